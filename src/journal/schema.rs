//! Versioned migrations, applied in order at open; `PRAGMA user_version` records the last one.
//!
//! A migration is never edited once released: add a new one. Each runs in its own transaction
//! with the version bump, so a crash mid-migration leaves the previous version intact.

use rusqlite::Connection;

/// Migration N is `MIGRATIONS[N-1]`.
const MIGRATIONS: &[&str] = &[
    // 1: declarations, their history, inputs, rejections and the outbox.
    r#"
    CREATE TABLE declarations (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        siret           TEXT NOT NULL,
        hr_ref          TEXT NOT NULL,
        event           TEXT NOT NULL,
        nir             TEXT NOT NULL,
        state           TEXT NOT NULL,
        revision        INTEGER NOT NULL,
        content_hash    TEXT NOT NULL,
        payload         TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        next_attempt_at TEXT,
        attempts        INTEGER NOT NULL DEFAULT 0,
        last_error_kind TEXT,
        UNIQUE (siret, hr_ref, event)
    );
    CREATE INDEX declarations_due ON declarations(state, next_attempt_at);
    CREATE INDEX declarations_hr_ref ON declarations(hr_ref);
    CREATE TABLE history (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        declaration_id INTEGER NOT NULL REFERENCES declarations(id),
        at             TEXT NOT NULL,
        what           TEXT NOT NULL,
        state          TEXT,
        source         TEXT,
        detail         TEXT
    );
    CREATE INDEX history_declaration ON history(declaration_id);
    CREATE TABLE inputs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        channel     TEXT NOT NULL,
        name        TEXT NOT NULL,
        sha256      TEXT NOT NULL UNIQUE,
        received_at TEXT NOT NULL,
        accepted    INTEGER NOT NULL,
        rejected    INTEGER NOT NULL
    );
    CREATE TABLE rejections (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        input_id INTEGER REFERENCES inputs(id),
        at       TEXT NOT NULL,
        channel  TEXT NOT NULL,
        source   TEXT NOT NULL,
        hr_ref   TEXT,
        errors   TEXT NOT NULL
    );
    CREATE TABLE outbox (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        declaration_id INTEGER,
        dest           TEXT NOT NULL,
        file_name      TEXT NOT NULL,
        body           BLOB NOT NULL,
        created_at     TEXT NOT NULL,
        delivered_at   TEXT
    );
    CREATE INDEX outbox_pending ON outbox(id) WHERE delivered_at IS NULL;
    "#,
    // 2: the CPAM exchange: deposits (one per signalement sent), returns (upserted on
    // idflux, nature, return id: net-entreprises may overwrite a return), polling cursors
    // and BPIJ payment slips.
    r#"
    CREATE TABLE deposits (
        id                    INTEGER PRIMARY KEY AUTOINCREMENT,
        declaration_id        INTEGER NOT NULL REFERENCES declarations(id),
        target_declaration_id INTEGER NOT NULL REFERENCES declarations(id),
        nature                TEXT NOT NULL,
        decl_type             TEXT NOT NULL,
        identifiant_metier    TEXT NOT NULL DEFAULT '',
        payload               TEXT NOT NULL,
        file                  BLOB,
        replaces_idflux       TEXT,
        state                 TEXT NOT NULL,
        attempts              INTEGER NOT NULL DEFAULT 0,
        next_attempt_at       TEXT NOT NULL,
        sent_at               TEXT,
        idflux                TEXT,
        returns_done          INTEGER NOT NULL DEFAULT 0,
        last_error_kind       TEXT,
        last_error            TEXT,
        created_at            TEXT NOT NULL,
        updated_at            TEXT NOT NULL
    );
    CREATE INDEX deposits_due ON deposits(state, next_attempt_at);
    CREATE INDEX deposits_target ON deposits(target_declaration_id, id);
    CREATE INDEX deposits_idflux ON deposits(idflux);
    CREATE INDEX deposits_ident ON deposits(identifiant_metier);
    CREATE TABLE returns (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        idflux      TEXT NOT NULL,
        nature      TEXT NOT NULL,
        return_id   TEXT NOT NULL,
        statut      TEXT,
        production  TEXT,
        deposit_id  INTEGER REFERENCES deposits(id),
        outcome     TEXT,
        raw         BLOB,
        fetched_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        UNIQUE (idflux, nature, return_id)
    );
    CREATE TABLE cursors (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE bpij (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        source        TEXT NOT NULL,
        ref           TEXT NOT NULL UNIQUE,
        sha256        TEXT NOT NULL,
        siret         TEXT,
        xml           BLOB NOT NULL,
        fetched_at    TEXT NOT NULL,
        dispatched_at TEXT
    );
    "#,
    // 3: the insurer side: which insurer contract covers each stoppage and when its
    // franchise elapses (fired once), BPIJ lines as dispatched, and alertable events.
    r#"
    CREATE TABLE insurer_stoppages (
        id                  INTEGER PRIMARY KEY AUTOINCREMENT,
        siret               TEXT NOT NULL,
        hr_ref              TEXT NOT NULL,
        insurer_code        TEXT NOT NULL,
        insurer_name        TEXT NOT NULL,
        employer_name       TEXT NOT NULL,
        contract_ref        TEXT NOT NULL,
        franchise_days      INTEGER NOT NULL,
        first_day           TEXT NOT NULL,
        guarantee_date      TEXT NOT NULL,
        due_at              TEXT NOT NULL,
        fired_kind          TEXT,
        fired_at            TEXT,
        created_at          TEXT NOT NULL,
        updated_at          TEXT NOT NULL,
        UNIQUE (siret, hr_ref)
    );
    CREATE INDEX insurer_stoppages_due ON insurer_stoppages(due_at) WHERE fired_at IS NULL;
    CREATE TABLE bpij_lines (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        bpij_id        INTEGER NOT NULL REFERENCES bpij(id),
        siret          TEXT NOT NULL,
        nir_masked     TEXT NOT NULL,
        declaration_id INTEGER,
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
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        at             TEXT NOT NULL,
        kind           TEXT NOT NULL,
        insurer_code   TEXT,
        declaration_id INTEGER,
        bpij_id        INTEGER,
        detail         TEXT,
        alerted_at     TEXT
    );
    CREATE INDEX insurer_events_pending ON insurer_events(id) WHERE alerted_at IS NULL;
    "#,
    // 4: alerts (one row per declaration and condition; declaration 0 = installation-wide),
    // DSIJ fallback tasks, and supporting documents asked for by the CPAM.
    r#"
    CREATE TABLE alerts (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        declaration_id  INTEGER NOT NULL,
        condition       TEXT NOT NULL,
        siret           TEXT,
        hr_ref          TEXT,
        detail          TEXT NOT NULL DEFAULT '',
        mail_kind       TEXT NOT NULL DEFAULT 'alert',
        state           TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        delivered_to    TEXT NOT NULL DEFAULT '[]',
        last_error      TEXT,
        created_at      TEXT NOT NULL,
        sent_at         TEXT,
        resolved_at     TEXT,
        UNIQUE (declaration_id, condition)
    );
    CREATE INDEX alerts_due ON alerts(state, next_attempt_at);
    CREATE INDEX history_alert_events ON history(what) WHERE what IN ('bpij_unmatched');
    CREATE TABLE tasks (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        declaration_id INTEGER NOT NULL UNIQUE REFERENCES declarations(id),
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
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        declaration_id  INTEGER NOT NULL REFERENCES declarations(id),
        doc_type        TEXT NOT NULL,
        file_name       TEXT NOT NULL,
        sha256          TEXT NOT NULL,
        body            BLOB NOT NULL,
        state           TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        id_envoi        TEXT,
        report          TEXT,
        last_error      TEXT,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        UNIQUE (declaration_id, doc_type, sha256)
    );
    CREATE INDEX documents_due ON documents(state, next_attempt_at);
    "#,
    // 5: the installation id, drawn once at random (SQLite's randomness comes from the OS),
    // the first part of every identifiant métier (S20.G00.05.009): two journals (a reinstall,
    // a second site) never share a sequence (engine::cpam::identifiant_metier).
    r#"
    CREATE TABLE installation (
        id              INTEGER PRIMARY KEY CHECK (id = 1),
        installation_id TEXT NOT NULL CHECK (length(installation_id) = 8),
        created_at      TEXT NOT NULL
    );
    INSERT INTO installation (id, installation_id, created_at)
        VALUES (1, upper(hex(randomblob(4))), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
    "#,
    // 6: what operators did in the console (retry, task done, alert acknowledged), with the
    // identity of their client certificate (or the configured local identity).
    r#"
    CREATE TABLE console_actions (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        at       TEXT NOT NULL,
        operator TEXT NOT NULL,
        action   TEXT NOT NULL,
        target   INTEGER NOT NULL,
        detail   TEXT
    );
    CREATE INDEX console_actions_target ON console_actions(action, target);
    "#,
];

/// The schema version this binary writes.
pub const VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings the database to [`VERSION`]; refuses a database written by a newer ijgate.
pub fn migrate(conn: &mut Connection) -> Result<(), super::JournalError> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > VERSION {
        return Err(super::JournalError::TooNew {
            found: current,
            supported: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        tx.commit()?;
    }
    Ok(())
}
