//! Write operations, each meant to run inside a [`super::Journal::write`] job (and so inside
//! the group-commit transaction). They take a plain `&Connection`.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::JournalError;
use crate::model::Stoppage;

/// Where a message came from, recorded with every history event.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Source {
    /// "spool" or "api".
    pub channel: String,
    /// File name (spool) or client identity (api).
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
}

impl Source {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// What a submission did to the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmitStatus {
    /// A new declaration.
    Created,
    /// The same business key with the same content: nothing changed.
    Duplicate,
    /// The same business key with new content: a new revision.
    Modified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SubmitOutcome {
    pub id: i64,
    pub status: SubmitStatus,
    pub revision: i64,
}

/// The state a freshly journaled declaration takes.
pub const INITIAL_STATE: &str = "validated";

/// Appends a history event.
pub fn add_history(
    conn: &Connection,
    declaration_id: i64,
    what: &str,
    state: Option<&str>,
    source: Option<&str>,
    detail: Option<&str>,
    at: &str,
) -> Result<(), JournalError> {
    conn.prepare_cached(
        "INSERT INTO history (declaration_id, at, what, state, source, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![declaration_id, at, what, state, source, detail])?;
    Ok(())
}

/// Journals one validated stoppage, idempotently on (siret, hr_ref, event) + content hash.
pub fn submit(
    conn: &Connection,
    s: &Stoppage,
    source: &Source,
    at: &str,
) -> Result<SubmitOutcome, JournalError> {
    let hash = s.content_hash();
    let event = s.event.as_str();
    let src = source.to_json();
    let existing: Option<(i64, String, i64, String)> = conn
        .prepare_cached(
            "SELECT id, content_hash, revision, state FROM declarations WHERE siret = ?1 AND hr_ref = ?2 AND event = ?3",
        )?
        .query_row(params![s.siret.as_str(), s.hr_ref, event], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    match existing {
        None => {
            conn.prepare_cached(
                "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7, ?8, ?8)",
            )?
            .execute(params![
                s.siret.as_str(),
                s.hr_ref,
                event,
                s.employee.nir.body(),
                INITIAL_STATE,
                hash,
                s.canonical_json(),
                at
            ])?;
            let id = conn.last_insert_rowid();
            add_history(conn, id, "received", None, Some(&src), None, at)?;
            add_history(
                conn,
                id,
                "validated",
                Some(INITIAL_STATE),
                Some(&src),
                None,
                at,
            )?;
            Ok(SubmitOutcome {
                id,
                status: SubmitStatus::Created,
                revision: 1,
            })
        }
        Some((id, old_hash, revision, _)) if old_hash == hash => {
            add_history(conn, id, "duplicate_ignored", None, Some(&src), None, at)?;
            Ok(SubmitOutcome {
                id,
                status: SubmitStatus::Duplicate,
                revision,
            })
        }
        Some((id, _, revision, state)) => {
            let revision = revision + 1;
            conn.prepare_cached(
                "UPDATE declarations SET payload = ?2, content_hash = ?3, revision = ?4, nir = ?5, updated_at = ?6 WHERE id = ?1",
            )?
            .execute(params![id, s.canonical_json(), hash, revision, s.employee.nir.body(), at])?;
            let detail = format!("{{\"revision\":{revision}}}");
            add_history(
                conn,
                id,
                "modified",
                Some(&state),
                Some(&src),
                Some(&detail),
                at,
            )?;
            Ok(SubmitOutcome {
                id,
                status: SubmitStatus::Modified,
                revision,
            })
        }
    }
}

/// The id of an input already journaled with this content hash.
pub fn input_seen(conn: &Connection, sha256: &str) -> Result<Option<i64>, JournalError> {
    Ok(conn
        .prepare_cached("SELECT id FROM inputs WHERE sha256 = ?1")?
        .query_row([sha256], |r| r.get(0))
        .optional()?)
}

/// Records an input (file or API call body) and its counts.
pub fn record_input(
    conn: &Connection,
    channel: &str,
    name: &str,
    sha256: &str,
    accepted: usize,
    rejected: usize,
    at: &str,
) -> Result<i64, JournalError> {
    conn.prepare_cached(
        "INSERT INTO inputs (channel, name, sha256, received_at, accepted, rejected) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![channel, name, sha256, at, accepted as i64, rejected as i64])?;
    Ok(conn.last_insert_rowid())
}

/// How far a file journaled in batches has got (migration 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputProgress {
    pub id: i64,
    /// Records journaled so far, in reading order.
    pub records_done: u64,
    /// Its last batch is journaled: nothing more to write for it.
    pub complete: bool,
}

/// The progress of the input with this content hash, if any batch of it was journaled.
pub fn input_progress(
    conn: &Connection,
    sha256: &str,
) -> Result<Option<InputProgress>, JournalError> {
    Ok(conn
        .prepare_cached("SELECT id, records_done, complete FROM inputs WHERE sha256 = ?1")?
        .query_row([sha256], |r| {
            Ok(InputProgress {
                id: r.get(0)?,
                records_done: r.get::<_, i64>(1)?.max(0) as u64,
                complete: r.get(2)?,
            })
        })
        .optional()?)
}

/// Records the first batch of an input journaled in batches: incomplete, no record yet.
pub fn begin_input(
    conn: &Connection,
    channel: &str,
    name: &str,
    sha256: &str,
    at: &str,
) -> Result<i64, JournalError> {
    conn.prepare_cached(
        "INSERT INTO inputs (channel, name, sha256, received_at, accepted, rejected, records_done, complete)
         VALUES (?1, ?2, ?3, ?4, 0, 0, 0, 0)",
    )?
    .execute(params![channel, name, sha256, at])?;
    Ok(conn.last_insert_rowid())
}

/// Moves an input's checkpoint after a batch, in the batch's transaction.
pub fn advance_input(
    conn: &Connection,
    id: i64,
    records_done: u64,
    accepted: usize,
    rejected: usize,
    complete: bool,
) -> Result<(), JournalError> {
    conn.prepare_cached(
        "UPDATE inputs SET records_done = ?2, accepted = accepted + ?3, rejected = rejected + ?4,
                complete = ?5 WHERE id = ?1",
    )?
    .execute(params![
        id,
        records_done as i64,
        accepted as i64,
        rejected as i64,
        complete
    ])?;
    Ok(())
}

/// An input's counts and its rejections (source JSON, errors JSON) in journal order.
pub type InputRejections = (usize, usize, Vec<(String, String)>);

/// What the journal holds about one input: its counts and every rejection recorded for it.
pub fn input_rejections(conn: &Connection, id: i64) -> Result<InputRejections, JournalError> {
    let (accepted, rejected): (i64, i64) = conn
        .prepare_cached("SELECT accepted, rejected FROM inputs WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let rows = conn
        .prepare_cached("SELECT source, errors FROM rejections WHERE input_id = ?1 ORDER BY id")?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((accepted.max(0) as usize, rejected.max(0) as usize, rows))
}

/// Records a rejected message with its errors (JSON).
pub fn record_rejection(
    conn: &Connection,
    input_id: Option<i64>,
    source: &Source,
    hr_ref: Option<&str>,
    errors_json: &str,
    at: &str,
) -> Result<(), JournalError> {
    conn.prepare_cached(
        "INSERT INTO rejections (input_id, at, channel, source, hr_ref, errors) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![input_id, at, source.channel, source.to_json(), hr_ref, errors_json])?;
    Ok(())
}

/// The SQL test of an essai file: the deposit's `test` column, set from S10.G00.00.005 = 01
/// in the same transaction that builds the file (`exchange::deposit`), and computed from the
/// file by the migration that added it: no need to scan the file again.
const ESSAI_SQL: &str = "p.test";

/// True when the latest file built for declaration `id` (its own deposits, or a cancel
/// targeting it) is an essai (S10.G00.00.005 = 01): net-entreprises checked it, CPAM ignores
/// it, so nothing about it is a declaration (issue 10 item 4).
pub fn declaration_is_test(conn: &Connection, id: i64) -> Result<bool, JournalError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ESSAI_SQL} FROM deposits p
             WHERE (p.declaration_id = ?1 OR p.target_declaration_id = ?1) AND p.file IS NOT NULL
             ORDER BY p.id DESC LIMIT 1"
        ))?
        .query_row([id], |r| r.get::<_, bool>(0))
        .optional()?
        .unwrap_or(false))
}

/// [`declaration_is_test`] for the latest deposit of any declaration of a stoppage.
pub fn stoppage_is_test(
    conn: &Connection,
    siret: &str,
    hr_ref: &str,
) -> Result<bool, JournalError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ESSAI_SQL} FROM deposits p JOIN declarations d ON p.declaration_id = d.id
             WHERE d.siret = ?1 AND d.hr_ref = ?2 AND p.file IS NOT NULL
             ORDER BY p.id DESC LIMIT 1"
        ))?
        .query_row(params![siret, hr_ref], |r| r.get::<_, bool>(0))
        .optional()?
        .unwrap_or(false))
}

/// Queues a file for an outbound folder; the outbox worker writes it after the commit.
///
/// A JSON notice about a declaration whose file is an essai gets `"test": true`, whoever
/// wrote it (ingestion, exchange, tasks): a test never looks like a declaration. Every JSON
/// notice (one with a `kind`) gets its French sentence, `resume`, for the HR clerk who opens
/// it ([`crate::formats::notice_fr`]).
pub fn enqueue_outbox(
    conn: &Connection,
    declaration_id: Option<i64>,
    dest: &str,
    file_name: &str,
    body: &[u8],
    at: &str,
) -> Result<i64, JournalError> {
    let tagged;
    let parsed = match body.first() {
        Some(b'{') => serde_json::from_slice::<serde_json::Value>(body).ok(),
        _ => None,
    };
    let body = match parsed {
        Some(serde_json::Value::Object(mut o)) => {
            if let Some(id) = declaration_id
                && declaration_is_test(conn, id)?
            {
                o.insert("test".into(), serde_json::Value::Bool(true));
            }
            let o = crate::formats::notice_fr::with_resume(o);
            tagged = serde_json::to_vec_pretty(&o).unwrap_or_else(|_| body.to_vec());
            tagged.as_slice()
        }
        _ => body,
    };
    conn.prepare_cached(
        "INSERT INTO outbox (declaration_id, dest, file_name, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![declaration_id, dest, file_name, body, at])?;
    Ok(conn.last_insert_rowid())
}

/// Marks outbox rows as written.
pub fn mark_delivered(conn: &Connection, ids: &[i64], at: &str) -> Result<(), JournalError> {
    let mut stmt = conn.prepare_cached("UPDATE outbox SET delivered_at = ?2 WHERE id = ?1")?;
    for id in ids {
        stmt.execute(params![id, at])?;
    }
    Ok(())
}

/// Changes a declaration's state and records the transition.
pub fn transition(
    conn: &Connection,
    id: i64,
    state: &str,
    what: &str,
    detail: Option<&str>,
    at: &str,
) -> Result<(), JournalError> {
    conn.prepare_cached("UPDATE declarations SET state = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, state, at])?;
    add_history(conn, id, what, Some(state), None, detail, at)
}

/// Digits of the sequence `n` in outbound file names, zero-padded so that a plain name sort
/// (`ls`, Windows Explorer, a glob) is the journal order: 9 digits last a billion notices.
pub const SEQ_WIDTH: usize = 9;

/// `<stem>_<n>.<ext>` with `n` zero-padded to [`SEQ_WIDTH`].
pub fn seq_name(stem: &str, n: i64, ext: &str) -> String {
    format!("{stem}_{n:0width$}.{ext}", width = SEQ_WIDTH)
}

/// Queues a notice whose name is `<stem>_<n>.<ext>`, `n` its outbox id ([`seq_name`]): the
/// journal sequence makes it unique and increasing, so the HR tool can process notices in
/// order.
pub fn enqueue_notice(
    conn: &Connection,
    declaration_id: Option<i64>,
    dest: &str,
    stem: &str,
    ext: &str,
    body: &[u8],
    at: &str,
) -> Result<String, JournalError> {
    Ok(enqueue_files(conn, declaration_id, dest, stem, &[(ext, body)], at)?.remove(0))
}

/// Queues the files of one message (an insurer message's XML and CSV, a BPIJ and its JSON
/// summary) under one sequence number: all are named `<stem>_<n>.<ext>` with `n` the first
/// file's outbox id, so they pair by name and sort together. They are written in the order
/// given (outbox id order), the last one being the signal that the message is complete.
pub fn enqueue_files(
    conn: &Connection,
    declaration_id: Option<i64>,
    dest: &str,
    stem: &str,
    files: &[(&str, &[u8])],
    at: &str,
) -> Result<Vec<String>, JournalError> {
    let mut names = Vec::with_capacity(files.len());
    let mut n = None;
    for (ext, body) in files {
        let id = enqueue_outbox(conn, declaration_id, dest, "", body, at)?;
        let name = seq_name(stem, *n.get_or_insert(id), ext);
        conn.prepare_cached("UPDATE outbox SET file_name = ?2 WHERE id = ?1")?
            .execute(params![id, name])?;
        names.push(name);
    }
    Ok(names)
}

/// `ijgate retry ID`: puts the last failed or rejected deposit of a declaration back in the
/// queue, with its file rebuilt from the journaled data and the current configuration (the
/// usual fix is a configuration change: credentials, declarant, employer details).
/// Returns the deposit re-queued.
pub fn retry_declaration(conn: &Connection, id: i64, at: &str) -> Result<i64, JournalError> {
    let state: Option<String> = conn
        .query_row("SELECT state FROM declarations WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(state) = state else {
        return Err(JournalError::Data(format!("no declaration {id}")));
    };
    let dep: Option<i64> = conn
        .query_row(
            "SELECT id FROM deposits WHERE declaration_id = ?1 AND state IN ('failed', 'rejected') ORDER BY id DESC LIMIT 1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(dep) = dep else {
        return Err(JournalError::Data(format!(
            "declaration {id} is {state}: only a failed or rejected deposit can be retried"
        )));
    };
    conn.execute(
        "UPDATE deposits SET state = 'pending', attempts = 0, file = NULL, next_attempt_at = ?2, last_error_kind = NULL,
                last_error = NULL, updated_at = ?2 WHERE id = ?1",
        params![dep, at],
    )?;
    conn.execute(
        "UPDATE declarations SET attempts = 0, next_attempt_at = ?2, last_error_kind = NULL WHERE id = ?1",
        params![id, at],
    )?;
    let detail = format!("{{\"deposit\":{dep},\"previous_state\":\"{state}\"}}");
    add_history(
        conn,
        id,
        "retry_requested",
        None,
        Some("{\"channel\":\"cli\"}"),
        Some(&detail),
        at,
    )?;
    transition(conn, id, "queued", "queued", Some(&detail), at)?;
    Ok(dep)
}

/// A polling cursor's stored value (`cursors` table), if any.
pub fn cursor(c: &Connection, name: &str) -> Result<Option<String>, JournalError> {
    Ok(
        c.query_row("SELECT value FROM cursors WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?,
    )
}

/// Saves a polling cursor.
pub fn set_cursor(c: &Connection, name: &str, value: &str) -> Result<(), JournalError> {
    c.execute(
        "INSERT INTO cursors (name, value) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 16: `_1.xml` + `_2.csv` could not be paired, and `_13` sorted before `_2`. The
    /// files of one message share `n`; names sort in journal order.
    #[test]
    fn the_files_of_a_message_pair_and_names_sort_in_journal_order() {
        let d = tempfile::tempdir().unwrap();
        let j = crate::journal::Journal::open(&d.path().join("j.db")).unwrap();
        let names = j
            .write_blocking(|c| {
                let mut all = Vec::new();
                for i in 0..25 {
                    let files: &[(&str, &[u8])] = if i % 3 == 0 {
                        &[("xml", b"<x/>"), ("csv", b"a;b\n")]
                    } else {
                        &[("json", b"{}")]
                    };
                    all.push(enqueue_files(
                        c,
                        None,
                        "insurer/P",
                        "R_stoppage",
                        files,
                        "t",
                    )?);
                }
                Ok(all)
            })
            .unwrap();
        // Pairing: same stem and n, only the extension differs.
        let pair = &names[0];
        assert_eq!(pair.len(), 2);
        assert_eq!(pair[0], "R_stoppage_000000001.xml");
        assert_eq!(pair[1], "R_stoppage_000000001.csv");
        assert_eq!(names[1], ["R_stoppage_000000003.json"]);
        // Sort order: a plain name sort groups each message and follows the journal's order.
        let flat: Vec<String> = names.iter().flatten().cloned().collect();
        let mut sorted = flat.clone();
        sorted.sort();
        let seq = |n: &str| {
            let stem = n.rsplit_once('.').unwrap().0;
            stem.rsplit_once('_').unwrap().1.to_string()
        };
        let journal_order: Vec<String> = flat.iter().map(|n| seq(n)).collect();
        let sorted_order: Vec<String> = sorted.iter().map(|n| seq(n)).collect();
        let mut dedup_j = journal_order.clone();
        dedup_j.dedup();
        let mut dedup_s = sorted_order.clone();
        dedup_s.dedup();
        assert_eq!(dedup_j, dedup_s, "{sorted:?}");
        assert!(flat.iter().any(|n| n.contains("_000000013.")));
        assert_eq!(seq_name("s", 2, "xml").len(), "s_.xml".len() + SEQ_WIDTH);
    }

    /// A declaration whose latest file is an essai is a test: its JSON notices get
    /// `"test": true`, other files are left as they are; a later réel file ends it.
    #[test]
    fn essai_files_make_test_declarations_and_tagged_notices() {
        let mut c = Connection::open_in_memory().unwrap();
        crate::journal::migrate_for_tests(&mut c).unwrap();
        let at = "2026-11-10T00:00:00.000Z";
        c.execute(
            "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
             VALUES ('73282932000074', 'T-1', 'arret', 'x', 'queued', 1, 'h', '{}', ?1, ?1)",
            [at],
        )
        .unwrap();
        let id = c.last_insert_rowid();
        assert!(!declaration_is_test(&c, id).unwrap(), "no file yet");
        // As `exchange::deposit` stores a built file: with its essai flag (S10.G00.00.005).
        let deposit = |file: &[u8], test: bool| {
            c.execute(
                "INSERT INTO deposits (declaration_id, target_declaration_id, nature, decl_type, payload, file, state,
                                       next_attempt_at, created_at, updated_at, test)
                 VALUES (?1, ?1, '04', '01', '{}', ?2, 'deposited', ?3, ?3, ?3, ?4)",
                params![id, file, at, test],
            )
            .unwrap();
        };
        deposit(b"S10.G00.00.001,'IJGATE'\r\nS10.G00.00.005,'01'\r\n", true);
        assert!(declaration_is_test(&c, id).unwrap());
        assert!(stoppage_is_test(&c, "73282932000074", "T-1").unwrap());
        let n = enqueue_outbox(&c, Some(id), "hr", "n.json", b"{\"kind\":\"AEE\"}", at).unwrap();
        let x = enqueue_outbox(&c, Some(id), "hr", "n.xml", b"<rapport/>", at).unwrap();
        let body = |row: i64| -> Vec<u8> {
            c.query_row("SELECT body FROM outbox WHERE id = ?1", [row], |r| r.get(0))
                .unwrap()
        };
        let v: serde_json::Value = serde_json::from_slice(&body(n)).unwrap();
        assert_eq!(v["test"], true);
        assert_eq!(v["kind"], "AEE");
        assert_eq!(body(x), b"<rapport/>");
        deposit(b"S10.G00.00.001,'IJGATE'\r\nS10.G00.00.005,'02'\r\n", false);
        assert!(!declaration_is_test(&c, id).unwrap());
        let n = enqueue_outbox(&c, Some(id), "hr", "m.json", b"{\"kind\":\"AEE\"}", at).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body(n)).unwrap();
        assert!(v.get("test").is_none());
    }
}
