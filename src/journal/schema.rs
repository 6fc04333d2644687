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
