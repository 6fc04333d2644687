//! PostgreSQL migrations, applied in order by a versioned runner; `ijgate_schema` records
//! each applied version.
//!
//! Migration 1 is the SQLite journal at its schema [`MIRRORS_SQLITE`] (`journal::schema`,
//! migrations 1..8) translated: the same tables, columns in the same order, the same CHECK
//! constraints on typed states, UNIQUE keys and partial indexes. Translation rules:
//! `INTEGER PRIMARY KEY AUTOINCREMENT` → `BIGSERIAL PRIMARY KEY` (the copy sets each sequence
//! to SQLite's `sqlite_sequence`, so an id — an identifiant métier — is never reused);
//! `INTEGER` → `BIGINT` (SQLite integers are 64-bit); `BLOB` → `BYTEA`; `TEXT` stays `TEXT`,
//! timestamps included (RFC 3339 UTC text, as `journal::now()` writes them: a copy is lossless
//! and compares as text the same way). Foreign keys are `DEFERRABLE` so that the copy may
//! insert tables in any order inside its one transaction; they are checked at its commit.
//!
//! Migration 2 adds the HA tables (nodes, leases, leadership); they use `timestamptz` on the
//! database's clock, the one clock all nodes share.
//!
//! Like SQLite's, a released migration is never edited: append one. When a SQLite migration
//! is added, its translation is appended here and [`MIRRORS_SQLITE`] follows (a unit test
//! fails until then).

use tokio_postgres::Client;

/// The SQLite schema version that migration 1 (plus later mirrors) reproduces.
pub const MIRRORS_SQLITE: u32 = 11;

/// Migration N is `MIGRATIONS[N-1]`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the SQLite journal, schema version 8.
    r#"
    CREATE TABLE declarations (
        id              BIGSERIAL PRIMARY KEY,
        siret           TEXT NOT NULL,
        hr_ref          TEXT NOT NULL,
        event           TEXT NOT NULL,
        nir             TEXT NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('validated','queued','depositing','uncertain','deposited',
                            'acknowledged','accepted','test_accepted','refused','rejected','documents_requested',
                            'dsij_fallback','failed','cancelled','recorded')),
        revision        BIGINT NOT NULL,
        content_hash    TEXT NOT NULL,
        payload         TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        next_attempt_at TEXT,
        attempts        BIGINT NOT NULL DEFAULT 0,
        last_error_kind TEXT,
        UNIQUE (siret, hr_ref, event)
    );
    CREATE INDEX declarations_due ON declarations(state, next_attempt_at);
    CREATE INDEX declarations_hr_ref ON declarations(hr_ref);
    CREATE TABLE history (
        id             BIGSERIAL PRIMARY KEY,
        declaration_id BIGINT NOT NULL REFERENCES declarations(id) DEFERRABLE,
        at             TEXT NOT NULL,
        what           TEXT NOT NULL,
        state          TEXT,
        source         TEXT,
        detail         TEXT
    );
    CREATE INDEX history_declaration ON history(declaration_id);
    CREATE INDEX history_alert_events ON history(what) WHERE what IN ('bpij_unmatched');
    CREATE TABLE inputs (
        id          BIGSERIAL PRIMARY KEY,
        channel     TEXT NOT NULL,
        name        TEXT NOT NULL,
        sha256      TEXT NOT NULL UNIQUE,
        received_at TEXT NOT NULL,
        accepted    BIGINT NOT NULL,
        rejected    BIGINT NOT NULL
    );
    CREATE TABLE rejections (
        id       BIGSERIAL PRIMARY KEY,
        input_id BIGINT REFERENCES inputs(id) DEFERRABLE,
        at       TEXT NOT NULL,
        channel  TEXT NOT NULL,
        source   TEXT NOT NULL,
        hr_ref   TEXT,
        errors   TEXT NOT NULL
    );
    CREATE TABLE outbox (
        id             BIGSERIAL PRIMARY KEY,
        declaration_id BIGINT,
        dest           TEXT NOT NULL,
        file_name      TEXT NOT NULL,
        body           BYTEA NOT NULL,
        created_at     TEXT NOT NULL,
        delivered_at   TEXT
    );
    CREATE INDEX outbox_pending ON outbox(id) WHERE delivered_at IS NULL;
    CREATE TABLE deposits (
        id                    BIGSERIAL PRIMARY KEY,
        declaration_id        BIGINT NOT NULL REFERENCES declarations(id) DEFERRABLE,
        target_declaration_id BIGINT NOT NULL REFERENCES declarations(id) DEFERRABLE,
        nature                TEXT NOT NULL,
        decl_type             TEXT NOT NULL,
        identifiant_metier    TEXT NOT NULL DEFAULT '',
        payload               TEXT NOT NULL,
        file                  BYTEA,
        replaces_idflux       TEXT,
        state                 TEXT NOT NULL CHECK (state IN ('pending','depositing','uncertain','deposited',
                                  'rejected','failed','withdrawn')),
        attempts              BIGINT NOT NULL DEFAULT 0,
        next_attempt_at       TEXT NOT NULL,
        sent_at               TEXT,
        idflux                TEXT,
        returns_done          BIGINT NOT NULL DEFAULT 0,
        last_error_kind       TEXT,
        last_error            TEXT,
        created_at            TEXT NOT NULL,
        updated_at            TEXT NOT NULL,
        test                  BIGINT NOT NULL DEFAULT 0 CHECK (test IN (0, 1)),
        absent_checks         BIGINT NOT NULL DEFAULT 0
    );
    CREATE INDEX deposits_due ON deposits(state, next_attempt_at);
    CREATE INDEX deposits_target ON deposits(target_declaration_id, id);
    CREATE INDEX deposits_idflux ON deposits(idflux);
    CREATE INDEX deposits_ident ON deposits(identifiant_metier);
    CREATE INDEX deposits_declaration ON deposits(declaration_id, id);
    CREATE TABLE returns (
        id          BIGSERIAL PRIMARY KEY,
        idflux      TEXT NOT NULL,
        nature      TEXT NOT NULL,
        return_id   TEXT NOT NULL,
        statut      TEXT,
        production  TEXT,
        deposit_id  BIGINT REFERENCES deposits(id) DEFERRABLE,
        outcome     TEXT,
        raw         BYTEA,
        fetched_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        UNIQUE (idflux, nature, return_id)
    );
    CREATE TABLE cursors (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE bpij (
        id            BIGSERIAL PRIMARY KEY,
        source        TEXT NOT NULL,
        ref           TEXT NOT NULL UNIQUE,
        sha256        TEXT NOT NULL,
        siret         TEXT,
        xml           BYTEA NOT NULL,
        fetched_at    TEXT NOT NULL,
        dispatched_at TEXT
    );
    CREATE TABLE insurer_stoppages (
        id                   BIGSERIAL PRIMARY KEY,
        siret                TEXT NOT NULL,
        hr_ref               TEXT NOT NULL,
        insurer_code         TEXT NOT NULL,
        insurer_name         TEXT NOT NULL,
        employer_name        TEXT NOT NULL,
        contract_ref         TEXT NOT NULL,
        franchise_days       BIGINT NOT NULL,
        first_day            TEXT NOT NULL,
        guarantee_date       TEXT NOT NULL,
        due_at               TEXT NOT NULL,
        fired_kind           TEXT,
        fired_at             TEXT,
        created_at           TEXT NOT NULL,
        updated_at           TEXT NOT NULL,
        complement_bpij_line BIGINT,
        UNIQUE (siret, hr_ref)
    );
    CREATE INDEX insurer_stoppages_due ON insurer_stoppages(due_at) WHERE fired_at IS NULL;
    CREATE TABLE bpij_lines (
        id             BIGSERIAL PRIMARY KEY,
        bpij_id        BIGINT NOT NULL REFERENCES bpij(id) DEFERRABLE,
        siret          TEXT NOT NULL,
        nir_masked     TEXT NOT NULL,
        declaration_id BIGINT,
        insurer_code   TEXT,
        gross          TEXT NOT NULL,
        csg            TEXT NOT NULL,
        crds           TEXT NOT NULL,
        net            TEXT NOT NULL,
        days           TEXT NOT NULL,
        period_start   TEXT,
        period_end     TEXT,
        overpayment    TEXT NOT NULL,
        at             TEXT NOT NULL
    );
    CREATE INDEX bpij_lines_declaration ON bpij_lines(declaration_id);
    CREATE TABLE insurer_events (
        id             BIGSERIAL PRIMARY KEY,
        at             TEXT NOT NULL,
        kind           TEXT NOT NULL,
        insurer_code   TEXT,
        declaration_id BIGINT,
        bpij_id        BIGINT,
        detail         TEXT,
        alerted_at     TEXT
    );
    CREATE INDEX insurer_events_pending ON insurer_events(id) WHERE alerted_at IS NULL;
    CREATE TABLE alerts (
        id              BIGSERIAL PRIMARY KEY,
        declaration_id  BIGINT NOT NULL,
        condition       TEXT NOT NULL,
        siret           TEXT,
        hr_ref          TEXT,
        detail          TEXT NOT NULL DEFAULT '',
        mail_kind       TEXT NOT NULL DEFAULT 'alert',
        state           TEXT NOT NULL,
        attempts        BIGINT NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        delivered_to    TEXT NOT NULL DEFAULT '[]',
        last_error      TEXT,
        created_at      TEXT NOT NULL,
        sent_at         TEXT,
        resolved_at     TEXT,
        UNIQUE (declaration_id, condition)
    );
    CREATE INDEX alerts_due ON alerts(state, next_attempt_at);
    CREATE TABLE tasks (
        id             BIGSERIAL PRIMARY KEY,
        declaration_id BIGINT NOT NULL UNIQUE REFERENCES declarations(id) DEFERRABLE,
        kind           TEXT NOT NULL,
        siret          TEXT NOT NULL,
        hr_ref         TEXT NOT NULL,
        state          TEXT NOT NULL,
        files          TEXT NOT NULL DEFAULT '[]',
        created_at     TEXT NOT NULL,
        done_at        TEXT,
        done_by        TEXT
    );
    CREATE TABLE documents (
        id              BIGSERIAL PRIMARY KEY,
        declaration_id  BIGINT NOT NULL REFERENCES declarations(id) DEFERRABLE,
        doc_type        TEXT NOT NULL,
        file_name       TEXT NOT NULL,
        sha256          TEXT NOT NULL,
        body            BYTEA NOT NULL,
        state           TEXT NOT NULL,
        attempts        BIGINT NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        id_envoi        TEXT,
        report          TEXT,
        last_error      TEXT,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        UNIQUE (declaration_id, doc_type, sha256)
    );
    CREATE INDEX documents_due ON documents(state, next_attempt_at);
    -- The installation row is not drawn here: a migrated journal brings its own (its
    -- identifiants métier go on), and a new PostgreSQL journal gets one from
    -- `ensure_installation`.
    CREATE TABLE installation (
        id              BIGINT PRIMARY KEY CHECK (id = 1),
        installation_id TEXT NOT NULL CHECK (length(installation_id) = 8),
        created_at      TEXT NOT NULL
    );
    CREATE TABLE returns_applied (
        idflux      TEXT NOT NULL,
        nature      TEXT NOT NULL,
        return_id   TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        applied_at  TEXT NOT NULL,
        PRIMARY KEY (idflux, nature, return_id, sha256)
    );
    CREATE TABLE exchange_faults (
        service     TEXT NOT NULL,
        cause       TEXT NOT NULL,
        detail      TEXT NOT NULL,
        first_at    TEXT NOT NULL,
        last_at     TEXT NOT NULL,
        count       BIGINT NOT NULL DEFAULT 1,
        alerted_at  TEXT,
        resolved_at TEXT,
        PRIMARY KEY (service, cause)
    );
    CREATE TABLE prestij_enrolments (
        id            BIGSERIAL PRIMARY KEY,
        insurer_code  TEXT NOT NULL,
        siret         TEXT NOT NULL,
        nir           TEXT NOT NULL,
        last_name     TEXT NOT NULL,
        first_name    TEXT,
        cover_from    TEXT NOT NULL,
        cover_to      TEXT,
        source        TEXT NOT NULL,
        link_id       BIGINT REFERENCES insurer_stoppages(id) DEFERRABLE,
        state         TEXT NOT NULL,
        flow_id       TEXT,
        reject_code   TEXT,
        reject_reason TEXT,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        UNIQUE (insurer_code, nir, cover_from)
    );
    CREATE INDEX prestij_enrolments_state ON prestij_enrolments(insurer_code, state);
    CREATE TABLE prestij_flows (
        id            BIGSERIAL PRIMARY KEY,
        flow_id       TEXT NOT NULL,
        insurer_code  TEXT NOT NULL,
        state         TEXT NOT NULL,
        body          BYTEA NOT NULL,
        reason        TEXT,
        delivered_at  TEXT,
        arl_due_at    TEXT,
        arl_alerted   BIGINT NOT NULL DEFAULT 0,
        arl_at        TEXT,
        cr_at         TEXT,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    );
    CREATE INDEX prestij_flows_id ON prestij_flows(flow_id);
    CREATE TABLE console_actions (
        id       BIGSERIAL PRIMARY KEY,
        at       TEXT NOT NULL,
        operator TEXT NOT NULL,
        action   TEXT NOT NULL,
        target   BIGINT NOT NULL,
        detail   TEXT
    );
    CREATE INDEX console_actions_target ON console_actions(action, target);
    "#,
    // 2: high availability. `nodes`: each running ijgate (a restart is a new node: its
    // in-memory work died with the old one). `leases`: which node works on which row, until
    // when; `epoch` counts the claims of the row (a takeover of an expired lease increments
    // it, and a write under a lease checks its epoch). `leadership`: the holder and fencing
    // epoch of each singleton duty (the lock itself is a session advisory lock).
    r#"
    CREATE TABLE nodes (
        node_id      TEXT PRIMARY KEY,
        host         TEXT NOT NULL,
        pid          BIGINT NOT NULL,
        version      TEXT NOT NULL,
        started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
        heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        stopped_at   TIMESTAMPTZ
    );
    -- Lease epochs: one sequence, so an epoch is never reused (a stale holder's epoch
    -- never matches a later claim, even of the same row by the same node).
    CREATE SEQUENCE lease_epochs;
    CREATE TABLE leases (
        resource   TEXT NOT NULL CHECK (resource IN ('deposit','outbox')),
        row_id     BIGINT NOT NULL,
        owner      TEXT NOT NULL REFERENCES nodes(node_id),
        epoch      BIGINT NOT NULL CHECK (epoch >= 1),
        claimed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        expires_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (resource, row_id)
    );
    CREATE INDEX leases_owner ON leases(owner);
    CREATE INDEX leases_expiry ON leases(expires_at);
    CREATE TABLE leadership (
        duty        TEXT PRIMARY KEY CHECK (duty IN ('return_listings','bpij_polling','alert_scanner',
                        'retention','franchise_scheduler')),
        holder      TEXT NOT NULL REFERENCES nodes(node_id),
        epoch       BIGINT NOT NULL CHECK (epoch >= 1),
        acquired_at TIMESTAMPTZ NOT NULL DEFAULT now()
    );
    "#,
    // 3: SQLite migrations 9–11 translated (journal::schema): HR files journaled in batches,
    // Prest'IJ enrolments from DSN affiliations and SFTP incidents, the insurer's DSN door.
    r#"
    ALTER TABLE inputs ADD COLUMN records_done BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE inputs ADD COLUMN complete BIGINT NOT NULL DEFAULT 1;
    ALTER TABLE prestij_enrolments ADD COLUMN dsn_month TEXT;
    ALTER TABLE prestij_enrolments ADD COLUMN withdraw_state TEXT;
    ALTER TABLE prestij_enrolments ADD COLUMN withdraw_flow_id TEXT;
    CREATE INDEX prestij_enrolments_nir ON prestij_enrolments(insurer_code, nir);
    CREATE TABLE prestij_incidents (
        id            BIGSERIAL PRIMARY KEY,
        insurer_code  TEXT NOT NULL,
        host          TEXT NOT NULL,
        opened_at     TEXT NOT NULL,
        last_at       TEXT NOT NULL,
        last_error    TEXT NOT NULL,
        failures      BIGINT NOT NULL,
        resolved_at   TEXT,
        alerted_at    TEXT
    );
    CREATE UNIQUE INDEX prestij_incidents_open ON prestij_incidents(insurer_code) WHERE resolved_at IS NULL;
    CREATE TABLE dsn_lots (
        sha256       TEXT PRIMARY KEY,
        name         TEXT NOT NULL,
        accepted_at  TEXT NOT NULL,
        declarations BIGINT NOT NULL,
        findings     BIGINT NOT NULL
    );
    CREATE TABLE dsn_snapshots (
        siret        TEXT NOT NULL,
        organisme    TEXT NOT NULL,
        contract_ref TEXT NOT NULL,
        month        TEXT NOT NULL,
        file         TEXT NOT NULL,
        lot_sha256   TEXT NOT NULL,
        body         BYTEA NOT NULL,
        PRIMARY KEY (siret, organisme, contract_ref, month)
    );
    CREATE TABLE dsn_missing (
        siret       TEXT NOT NULL,
        month       TEXT NOT NULL,
        due         TEXT NOT NULL,
        detail      TEXT NOT NULL,
        found_at    TEXT NOT NULL,
        resolved_at TEXT,
        PRIMARY KEY (siret, month)
    );
    "#,
];

/// The schema version this binary writes.
pub const VERSION: i32 = MIGRATIONS.len() as i32;

/// Advisory lock key of the migration runner ('ijg' 'mig').
const MIGRATION_LOCK: i64 = 0x0069_6a67_006d_6967;

/// The HA tables: not part of a SQLite journal, left out of the copy and of its emptiness check.
pub const HA_TABLES: &[&str] = &["nodes", "leases", "leadership"];

/// The version recorded in the database (0: none).
pub async fn current_version(c: &Client) -> Result<i32, super::PgError> {
    let exists: bool = c
        .query_one("SELECT to_regclass('ijgate_schema') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        return Ok(0);
    }
    Ok(
        c.query_one("SELECT coalesce(max(version), 0) FROM ijgate_schema", &[])
            .await?
            .get(0),
    )
}

/// Brings the database to [`VERSION`] in one transaction under an advisory lock (nodes
/// starting together: one migrates, the others wait and find nothing to do); refuses a
/// database written by a newer ijgate.
pub async fn migrate(c: &mut Client) -> Result<i32, super::PgError> {
    let tx = c.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS ijgate_schema (
             version    INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let current: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM ijgate_schema", &[])
        .await?
        .get(0);
    if current > VERSION {
        return Err(super::PgError::TooNew {
            found: current,
            supported: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO ijgate_schema (version) VALUES ($1)",
            &[&(i as i32 + 1)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(current)
}

/// Draws the installation id of a new PostgreSQL journal (the first part of every
/// identifiant métier), as SQLite migration 5 does; keeps an existing one.
pub async fn ensure_installation(c: &Client) -> Result<String, super::PgError> {
    c.execute(
        &format!(
            "INSERT INTO installation (id, installation_id, created_at)
             VALUES (1, upper(substr(replace(gen_random_uuid()::text, '-', ''), 1, 8)), {})
             ON CONFLICT (id) DO NOTHING",
            super::text_of("now()")
        ),
        &[],
    )
    .await?;
    Ok(
        c.query_one("SELECT installation_id FROM installation WHERE id = 1", &[])
            .await?
            .get(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SQLite migration without its PostgreSQL translation fails here (see module doc).
    #[test]
    fn postgres_mirrors_the_current_sqlite_schema() {
        assert_eq!(
            MIRRORS_SQLITE,
            crate::journal::SCHEMA_VERSION,
            "a SQLite journal migration was added: append its PostgreSQL translation to \
             journal::pg::schema::MIGRATIONS and bump MIRRORS_SQLITE"
        );
    }
}
