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
    -- Whether a declaration's latest file is an essai is asked for every notice
    -- (store::declaration_is_test): by declaration as well as by target.
    CREATE INDEX deposits_declaration ON deposits(declaration_id, id);
    "#,
    // 6: typed states. CHECK constraints on the states of declarations and deposits (the
    // values of `engine::exchange::decide::{DeclState, DepositState}`), by the SQLite table
    // rebuild (new table, copy, drop, rename) inside this migration's transaction: every row
    // is kept, and the AUTOINCREMENT sequences too (an identifiant métier is never reused).
    // Deposits gain `test` (an essai file, S10.G00.00.005 = 01, computed for existing rows
    // from the frozen file) and `absent_checks` (reconciliation). `returns_applied` keys the
    // processing of a return (idflux, nature, return id, content hash): applied once.
    // `exchange_faults`: one open fault per (service, cause), raised as one alert.
    // Guard: the rebuild lists the columns; a column added by another migration would be lost,
    // so the migration refuses to run unless the tables have exactly the expected columns.
    r#"
    CREATE TEMP TABLE migration5_guard (n INTEGER CHECK (n = 0));
    INSERT INTO migration5_guard SELECT count(*) FROM pragma_table_info('declarations')
        WHERE name NOT IN ('id','siret','hr_ref','event','nir','state','revision','content_hash','payload',
                           'created_at','updated_at','next_attempt_at','attempts','last_error_kind');
    INSERT INTO migration5_guard SELECT count(*) - 14 FROM pragma_table_info('declarations');
    INSERT INTO migration5_guard SELECT count(*) FROM pragma_table_info('deposits')
        WHERE name NOT IN ('id','declaration_id','target_declaration_id','nature','decl_type','identifiant_metier',
                           'payload','file','replaces_idflux','state','attempts','next_attempt_at','sent_at','idflux',
                           'returns_done','last_error_kind','last_error','created_at','updated_at');
    INSERT INTO migration5_guard SELECT count(*) - 19 FROM pragma_table_info('deposits');
    DROP TABLE migration5_guard;
    CREATE TEMP TABLE migration5_seq AS
        SELECT name, seq FROM sqlite_sequence WHERE name IN ('declarations', 'deposits');

    CREATE TABLE declarations_v5 (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        siret           TEXT NOT NULL,
        hr_ref          TEXT NOT NULL,
        event           TEXT NOT NULL,
        nir             TEXT NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('validated','queued','depositing','uncertain','deposited',
                            'acknowledged','accepted','test_accepted','refused','rejected','documents_requested',
                            'dsij_fallback','failed','cancelled','recorded')),
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
    INSERT INTO declarations_v5 (id, siret, hr_ref, event, nir, state, revision, content_hash, payload,
                                 created_at, updated_at, next_attempt_at, attempts, last_error_kind)
        SELECT id, siret, hr_ref, event, nir, state, revision, content_hash, payload,
               created_at, updated_at, next_attempt_at, attempts, last_error_kind FROM declarations;
    DROP TABLE declarations;
    ALTER TABLE declarations_v5 RENAME TO declarations;
    CREATE INDEX declarations_due ON declarations(state, next_attempt_at);
    CREATE INDEX declarations_hr_ref ON declarations(hr_ref);

    CREATE TABLE deposits_v5 (
        id                    INTEGER PRIMARY KEY AUTOINCREMENT,
        declaration_id        INTEGER NOT NULL REFERENCES declarations(id),
        target_declaration_id INTEGER NOT NULL REFERENCES declarations(id),
        nature                TEXT NOT NULL,
        decl_type             TEXT NOT NULL,
        identifiant_metier    TEXT NOT NULL DEFAULT '',
        payload               TEXT NOT NULL,
        file                  BLOB,
        replaces_idflux       TEXT,
        state                 TEXT NOT NULL CHECK (state IN ('pending','depositing','uncertain','deposited',
                                  'rejected','failed','withdrawn')),
        attempts              INTEGER NOT NULL DEFAULT 0,
        next_attempt_at       TEXT NOT NULL,
        sent_at               TEXT,
        idflux                TEXT,
        returns_done          INTEGER NOT NULL DEFAULT 0,
        last_error_kind       TEXT,
        last_error            TEXT,
        created_at            TEXT NOT NULL,
        updated_at            TEXT NOT NULL,
        test                  INTEGER NOT NULL DEFAULT 0 CHECK (test IN (0, 1)),
        absent_checks         INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO deposits_v5 (id, declaration_id, target_declaration_id, nature, decl_type, identifiant_metier,
                             payload, file, replaces_idflux, state, attempts, next_attempt_at, sent_at, idflux,
                             returns_done, last_error_kind, last_error, created_at, updated_at, test)
        SELECT id, declaration_id, target_declaration_id, nature, decl_type, identifiant_metier,
               payload, file, replaces_idflux, state, attempts, next_attempt_at, sent_at, idflux,
               returns_done, last_error_kind, last_error, created_at, updated_at,
               CASE WHEN file IS NOT NULL AND instr(file, CAST('S10.G00.00.005,''01''' AS BLOB)) > 0
                    THEN 1 ELSE 0 END
        FROM deposits;
    DROP TABLE deposits;
    ALTER TABLE deposits_v5 RENAME TO deposits;
    CREATE INDEX deposits_due ON deposits(state, next_attempt_at);
    CREATE INDEX deposits_target ON deposits(target_declaration_id, id);
    CREATE INDEX deposits_idflux ON deposits(idflux);
    CREATE INDEX deposits_ident ON deposits(identifiant_metier);
    -- Migration 5's index, dropped with the old table.
    CREATE INDEX deposits_declaration ON deposits(declaration_id, id);

    UPDATE sqlite_sequence SET seq = (SELECT s.seq FROM temp.migration5_seq s WHERE s.name = sqlite_sequence.name)
        WHERE name IN (SELECT name FROM temp.migration5_seq)
          AND seq < (SELECT s.seq FROM temp.migration5_seq s WHERE s.name = sqlite_sequence.name);
    INSERT INTO sqlite_sequence (name, seq)
        SELECT name, seq FROM temp.migration5_seq WHERE name NOT IN (SELECT name FROM sqlite_sequence);
    DROP TABLE temp.migration5_seq;

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
        count       INTEGER NOT NULL DEFAULT 1,
        alerted_at  TEXT,
        resolved_at TEXT,
        PRIMARY KEY (service, cause)
    );
    "#,
    // 7: Prest'IJ (engine::prestij): one enrolment per (insurer, NIR, cover start), the
    // GESTIP flows that carry them (body kept: a crash after the build delivers the same bytes)
    // and their ARL/CR outcome.
    r#"
    CREATE TABLE prestij_enrolments (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        insurer_code  TEXT NOT NULL,
        siret         TEXT NOT NULL,
        nir           TEXT NOT NULL,
        last_name     TEXT NOT NULL,
        first_name    TEXT,
        cover_from    TEXT NOT NULL,
        cover_to      TEXT,
        source        TEXT NOT NULL,
        link_id       INTEGER REFERENCES insurer_stoppages(id),
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
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        flow_id       TEXT NOT NULL,
        insurer_code  TEXT NOT NULL,
        state         TEXT NOT NULL,
        body          BLOB NOT NULL,
        reason        TEXT,
        delivered_at  TEXT,
        arl_due_at    TEXT,
        arl_alerted   INTEGER NOT NULL DEFAULT 0,
        arl_at        TEXT,
        cr_at         TEXT,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    );
    CREATE INDEX prestij_flows_id ON prestij_flows(flow_id);
    -- The last BPIJ line a guarantee_start complement was recomputed with (IJSS actually paid).
    ALTER TABLE insurer_stoppages ADD COLUMN complement_bpij_line INTEGER;
    "#,
    // 8: what operators did in the console (retry, task done, alert acknowledged), with the
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
    // 9: HR files journaled in batches (issue 17: a 100k-row CSV is streamed, never held).
    // `records_done` is the checkpoint: records of the file journaled so far, in reading
    // order; `complete` = 0 until the batch that carries the last record and the file's own
    // errors. A restart after a crash resumes after `records_done`: no row lost, none twice.
    // Inputs journaled before this migration were whole: complete.
    r#"
    ALTER TABLE inputs ADD COLUMN records_done INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE inputs ADD COLUMN complete INTEGER NOT NULL DEFAULT 1;
    "#,
    // 10: Prest'IJ (engine::prestij): enrolments driven by the insurer's DSN affiliations
    // (S21.G00.70) keep the last month they were seen (`dsn_month`) and carry their
    // withdrawal (GESTIP RAD: `withdraw_state`, `withdraw_flow_id`); the SFTP incidents of each
    // insurer are journaled so that a restart neither forgets nor re-alerts an open one.
    r#"
    ALTER TABLE prestij_enrolments ADD COLUMN dsn_month TEXT;
    ALTER TABLE prestij_enrolments ADD COLUMN withdraw_state TEXT;
    ALTER TABLE prestij_enrolments ADD COLUMN withdraw_flow_id TEXT;
    CREATE INDEX prestij_enrolments_nir ON prestij_enrolments(insurer_code, nir);
    CREATE TABLE prestij_incidents (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        insurer_code  TEXT NOT NULL,
        host          TEXT NOT NULL,
        opened_at     TEXT NOT NULL,
        last_at       TEXT NOT NULL,
        last_error    TEXT NOT NULL,
        failures      INTEGER NOT NULL,
        resolved_at   TEXT,
        alerted_at    TEXT
    );
    CREATE UNIQUE INDEX prestij_incidents_open ON prestij_incidents(insurer_code) WHERE resolved_at IS NULL;
    "#,
    // 11: the insurer's DSN door (journal::dsn_door): lots taken (by content hash), the
    // affiliations of the latest months per (SIRET, insurer, contract, month) for the
    // month-to-month checks, and the DSN not received by their due day (MDSN01 alerts).
    r#"
    CREATE TABLE dsn_lots (
        sha256       TEXT PRIMARY KEY,
        name         TEXT NOT NULL,
        accepted_at  TEXT NOT NULL,
        declarations INTEGER NOT NULL,
        findings     INTEGER NOT NULL
    );
    CREATE TABLE dsn_snapshots (
        siret        TEXT NOT NULL,
        organisme    TEXT NOT NULL,
        contract_ref TEXT NOT NULL,
        month        TEXT NOT NULL,
        file         TEXT NOT NULL,
        lot_sha256   TEXT NOT NULL,
        body         BLOB NOT NULL,
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
    migrate_to(conn, current, VERSION)
}

/// Applies migrations `current+1..=target`. Foreign keys are off meanwhile (a table rebuild
/// drops and renames a referenced table; SQLite ignores that pragma inside a transaction) and
/// checked before each commit.
fn migrate_to(conn: &mut Connection, current: u32, target: u32) -> Result<(), super::JournalError> {
    if current >= target {
        return Ok(());
    }
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let mut run = || -> Result<(), super::JournalError> {
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .take(target as usize)
            .skip(current as usize)
        {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            let broken: i64 =
                tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                    r.get(0)
                })?;
            if broken > 0 {
                return Err(super::JournalError::Data(format!(
                    "migration {} would leave {broken} dangling reference(s)",
                    i + 1
                )));
            }
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
            tx.commit()?;
        }
        Ok(())
    };
    let r = run();
    conn.pragma_update(None, "foreign_keys", "ON")?;
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::exchange::decide::{DeclState, DepositState};

    fn v5_with_rows() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "foreign_keys", "ON").unwrap();
        migrate_to(&mut c, 0, 4).unwrap();
        c.execute_batch(
            "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
               VALUES ('73282932000074', 'A', 'arret', '1850578006084', 'accepted', 1, 'h', '{}', 't', 't'),
                      ('73282932000074', 'B', 'arret', '1850578006084', 'queued', 1, 'h', '{}', 't', 't'),
                      ('73282932000074', 'C', 'arret', '1850578006084', 'queued', 1, 'h', '{}', 't', 't');
             INSERT INTO history (declaration_id, at, what) VALUES (1, 't', 'received');
             INSERT INTO deposits (declaration_id, target_declaration_id, nature, decl_type, payload, file, state,
                                   next_attempt_at, idflux, created_at, updated_at)
               VALUES (1, 1, '04', '01', '{}', CAST('S10.G00.00.005,''01''' || char(13) || char(10) AS BLOB),
                       'deposited', 't', 'F1', 't', 't'),
                      (2, 2, '04', '01', '{}', CAST('S10.G00.00.005,''02''' AS BLOB), 'uncertain', 't', NULL, 't', 't'),
                      (3, 3, '04', '01', '{}', NULL, 'pending', 't', NULL, 't', 't');
             INSERT INTO returns (idflux, nature, return_id, deposit_id, fetched_at, updated_at)
               VALUES ('F1', '31', 'r1', 1, 't', 't');
             -- The newest declaration and deposit were purged: their ids must not come back.
             DELETE FROM deposits WHERE id = 3;
             DELETE FROM declarations WHERE id = 3;",
        )
        .unwrap();
        // Migration 5 (the installation id) touches none of these rows.
        migrate_to(&mut c, 4, 5).unwrap();
        c
    }

    #[test]
    fn migration_6_keeps_rows_sequences_and_adds_state_checks() {
        let mut c = v5_with_rows();
        migrate_to(&mut c, 5, 6).unwrap();
        let v: u32 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 6);
        let fk: i64 = c
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1, "foreign keys back on");
        let states: Vec<(i64, DeclState)> = c
            .prepare("SELECT id, state FROM declarations ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            states,
            vec![(1, DeclState::Accepted), (2, DeclState::Queued)]
        );
        let deps: Vec<(i64, DepositState, bool, Option<String>)> = c
            .prepare("SELECT id, state, test, idflux FROM deposits ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            deps,
            vec![
                (1, DepositState::Deposited, true, Some("F1".into())),
                (2, DepositState::Uncertain, false, None)
            ]
        );
        // History and returns still point at their rows.
        let joined: i64 = c
            .query_row(
                "SELECT count(*) FROM history h JOIN declarations d ON d.id = h.declaration_id",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(joined, 1);
        // Sequences kept: the next ids are 4, not 3.
        c.execute(
            "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
             VALUES ('73282932000074', 'D', 'arret', '1850578006084', 'validated', 1, 'h', '{}', 't', 't')",
            [],
        )
        .unwrap();
        assert_eq!(c.last_insert_rowid(), 4);
        c.execute(
            "INSERT INTO deposits (declaration_id, target_declaration_id, nature, decl_type, payload, state, next_attempt_at, created_at, updated_at)
             VALUES (4, 4, '04', '01', '{}', 'pending', 't', 't', 't')",
            [],
        )
        .unwrap();
        assert_eq!(c.last_insert_rowid(), 4);
        // Every typed state is accepted; anything else is refused.
        for s in DeclState::ALL {
            c.execute("UPDATE declarations SET state = ?1 WHERE id = 4", [s])
                .unwrap();
        }
        for s in DepositState::ALL {
            c.execute("UPDATE deposits SET state = ?1 WHERE id = 4", [s])
                .unwrap();
        }
        assert!(
            c.execute("UPDATE declarations SET state = 'sent' WHERE id = 4", [])
                .is_err()
        );
        assert!(
            c.execute("UPDATE deposits SET state = 'accepted' WHERE id = 4", [])
                .is_err()
        );
        // Foreign keys hold on the rebuilt tables.
        assert!(
            c.execute(
                "INSERT INTO deposits (declaration_id, target_declaration_id, nature, decl_type, payload, state, next_attempt_at, created_at, updated_at)
                 VALUES (99, 99, '04', '01', '{}', 'pending', 't', 't', 't')",
                [],
            )
            .is_err()
        );
    }

    #[test]
    fn migration_6_refuses_a_table_it_does_not_know() {
        let mut c = v5_with_rows();
        c.execute_batch("ALTER TABLE deposits ADD COLUMN extra TEXT")
            .unwrap();
        assert!(migrate_to(&mut c, 5, 6).is_err());
        let v: u32 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 5, "left at the previous version");
        let n: i64 = c
            .query_row("SELECT count(*) FROM deposits", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn migration_6_refuses_an_unknown_state() {
        let mut c = v5_with_rows();
        c.execute_batch("UPDATE declarations SET state = 'mystery' WHERE id = 2")
            .unwrap();
        assert!(migrate_to(&mut c, 5, 6).is_err());
        let n: i64 = c
            .query_row("SELECT count(*) FROM declarations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }
}
