//! Notice replay: hands again to their consumers the outbound files (HR notices, insurer
//! messages) that a consumer lost, from the copies the outbox keeps (`[retention] keep`).
//!
//! A replay marks the matching delivered outbox rows as not delivered; the outbox worker
//! writes them again, under their original names and with their original bytes. So a replay
//! is idempotent: replaying twice writes the same files (a consumer that deduplicates by name
//! or by its sequence `n` sees nothing new), and rows still waiting are counted, not doubled.
//! Each replay is audited: one `notices_replayed` history row per declaration (who, which
//! files) and one `console_actions` row (`replay_notices`) with the request.
//!
//! Used by `POST /v1/notices:replay` (an HR client: `hr` files of its own SIRETs only) and
//! by `ijgate replay` (an operator: any destination, and notices without a declaration).

use rusqlite::{Connection, params};
use serde::Serialize;
use serde_json::json;

use crate::journal::JournalError;
use crate::journal::store::add_history;

/// Which outbound folders a replay covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Recipients {
    /// outbound/hr: the HR tool's notices.
    #[default]
    Hr,
    /// outbound/insurer and outbound/insurer/<code> (or the insurer's own `outbound`).
    Insurer,
    /// Every destination.
    All,
}

/// What to replay. At least one of `declaration_id`, `hr_ref` and `since` is required (a
/// replay of everything is never an accident).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Filter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declaration_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hr_ref: Option<String>,
    /// Files queued at or after this instant (journal timestamp format).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Only files of declarations of these SIRETs (an HR client's scope); `None`: every file,
    /// those without a declaration (rejections, unmatched BPIJ) included.
    #[serde(skip)]
    pub sirets: Option<Vec<String>>,
    pub to: Recipients,
}

impl Filter {
    pub fn is_bounded(&self) -> bool {
        self.declaration_id.is_some() || self.hr_ref.is_some() || self.since.is_some()
    }
}

/// One file of a replay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct File {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declaration_id: Option<i64>,
    pub dest: String,
    pub file_name: String,
    pub created_at: String,
    /// It had not been written yet: nothing changed for it.
    pub already_pending: bool,
}

/// The outcome, also the API's answer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Replay {
    /// Files that will be written again.
    pub replayed: usize,
    /// Files that were still waiting to be written (left as they were).
    pub already_pending: usize,
    pub files: Vec<File>,
}

/// Who asked (the audit's `source`).
#[derive(Debug, Clone)]
pub struct Actor {
    /// "api" or "cli".
    pub channel: &'static str,
    pub name: String,
}

/// Marks the matching files for writing again and audits it. Runs inside the caller's
/// transaction (the daemon's writer, or the CLI's IMMEDIATE transaction).
pub fn replay(
    conn: &Connection,
    f: &Filter,
    actor: &Actor,
    at: &str,
) -> Result<Replay, JournalError> {
    if !f.is_bounded() {
        return Err(JournalError::Data(
            "a replay needs a declaration, an hr_ref or a since instant".into(),
        ));
    }
    let sirets = f
        .sirets
        .as_ref()
        .map(|s| serde_json::to_string(s).unwrap_or_else(|_| "[]".into()));
    let dest = match f.to {
        Recipients::Hr => Some("hr"),
        Recipients::Insurer => Some("insurer"),
        Recipients::All => None,
    };
    let mut stmt = conn.prepare_cached(
        "SELECT o.id, o.declaration_id, o.dest, o.file_name, o.created_at, o.delivered_at IS NULL
         FROM outbox o LEFT JOIN declarations d ON d.id = o.declaration_id
         WHERE (?1 IS NULL OR o.declaration_id = ?1)
           AND (?2 IS NULL OR d.hr_ref = ?2)
           AND (?3 IS NULL OR o.created_at >= ?3)
           AND (?4 IS NULL OR d.siret IN (SELECT value FROM json_each(?4)))
           AND (?5 IS NULL OR o.dest = ?5 OR (?5 = 'insurer' AND o.dest LIKE 'insurer/%'))
         ORDER BY o.id",
    )?;
    let rows: Vec<(i64, File)> = stmt
        .query_map(
            params![f.declaration_id, f.hr_ref, f.since, sirets, dest],
            |r| {
                Ok((
                    r.get(0)?,
                    File {
                        declaration_id: r.get(1)?,
                        dest: r.get(2)?,
                        file_name: r.get(3)?,
                        created_at: r.get(4)?,
                        already_pending: r.get(5)?,
                    },
                ))
            },
        )?
        .collect::<Result<_, _>>()?;
    let mut out = Replay::default();
    let mut mark = conn.prepare_cached(
        "UPDATE outbox SET delivered_at = NULL WHERE id = ?1 AND delivered_at IS NOT NULL",
    )?;
    let mut by_decl: std::collections::BTreeMap<i64, Vec<String>> = Default::default();
    for (id, file) in rows {
        if file.already_pending {
            out.already_pending += 1;
        } else {
            mark.execute([id])?;
            out.replayed += 1;
            if let Some(d) = file.declaration_id {
                by_decl.entry(d).or_default().push(file.file_name.clone());
            }
        }
        out.files.push(file);
    }
    let source = json!({"channel": actor.channel, "name": actor.name}).to_string();
    for (decl, files) in &by_decl {
        let detail = json!({"files": files}).to_string();
        add_history(
            conn,
            *decl,
            "notices_replayed",
            None,
            Some(&source),
            Some(&detail),
            at,
        )?;
    }
    let detail =
        json!({"filter": f, "replayed": out.replayed, "already_pending": out.already_pending})
            .to_string();
    conn.prepare_cached(
        "INSERT INTO console_actions (at, operator, action, target, detail) VALUES (?1, ?2, 'replay_notices', ?3, ?4)",
    )?
    .execute(params![
        at,
        format!("{}:{}", actor.channel, actor.name),
        f.declaration_id.unwrap_or(0),
        detail
    ])?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::store::{enqueue_files, enqueue_notice, mark_delivered};

    const A: &str = "12345678200010";
    const B: &str = "98765432400019";

    /// A migrated journal file, then a plain connection on it (the functions run inside the
    /// caller's transaction; autocommit is enough here).
    fn conn() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("j.db");
        drop(crate::journal::Journal::open(&db).unwrap());
        let c = Connection::open(&db).unwrap();
        (dir, c)
    }

    fn decl(c: &Connection, siret: &str, hr_ref: &str) -> i64 {
        c.execute(
            "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
             VALUES (?1, ?2, 'arret', '1850578006084', 'validated', 1, 'h', '{}', 't', 't')",
            params![siret, hr_ref],
        )
        .unwrap();
        c.last_insert_rowid()
    }

    fn delivered_all(c: &Connection) {
        let ids: Vec<i64> = c
            .prepare("SELECT id FROM outbox")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        mark_delivered(c, &ids, "2026-11-25T10:00:00.000Z").unwrap();
    }

    fn pending(c: &Connection) -> Vec<String> {
        c.prepare("SELECT file_name FROM outbox WHERE delivered_at IS NULL ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn api(sirets: &[&str]) -> Filter {
        Filter {
            sirets: Some(sirets.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        }
    }

    const WHO: fn() -> Actor = || Actor {
        channel: "api",
        name: "rh-a".into(),
    };

    #[test]
    fn replays_own_hr_notices_idempotently_with_an_audit() {
        let (_dir, c) = conn();
        let a = decl(&c, A, "A1");
        let b = decl(&c, B, "B1");
        let t1 = "2026-11-25T09:00:00.000Z";
        let t2 = "2026-11-25T09:30:00.000Z";
        let n1 = enqueue_notice(&c, Some(a), "hr", "A1_received", "json", b"{}", t1).unwrap();
        enqueue_files(
            &c,
            Some(a),
            "insurer/AXA",
            "A1_stoppage",
            &[("xml", b"<x/>"), ("csv", b"x")],
            t1,
        )
        .unwrap();
        let n2 = enqueue_notice(&c, Some(a), "hr", "A1_aee", "json", b"{}", t2).unwrap();
        enqueue_notice(&c, Some(b), "hr", "B1_received", "json", b"{}", t1).unwrap();
        enqueue_notice(&c, None, "hr", "X_rejected", "json", b"{}", t2).unwrap();
        delivered_all(&c);

        // Unbounded: refused.
        assert!(replay(&c, &api(&[A]), &WHO(), t2).is_err());
        // By hr_ref: A1's HR notices only (not the insurer's files, not B's).
        let f = Filter {
            hr_ref: Some("A1".into()),
            ..api(&[A])
        };
        let r = replay(&c, &f, &WHO(), t2).unwrap();
        assert_eq!((r.replayed, r.already_pending), (2, 0));
        assert_eq!(pending(&c), vec![n1.clone(), n2.clone()]);
        // Again before the worker wrote them: nothing doubled.
        let r = replay(&c, &f, &WHO(), t2).unwrap();
        assert_eq!((r.replayed, r.already_pending), (0, 2));
        assert_eq!(pending(&c).len(), 2);
        // Another client's stoppage is out of reach.
        let f = Filter {
            hr_ref: Some("B1".into()),
            ..api(&[A])
        };
        assert!(replay(&c, &f, &WHO(), t2).unwrap().files.is_empty());
        // Audit: history of A1 and the action log.
        let (what, source, detail): (String, String, String) = c
            .query_row(
                "SELECT what, source, detail FROM history WHERE declaration_id = ?1",
                [a],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(what, "notices_replayed");
        assert!(source.contains("rh-a"), "{source}");
        assert!(detail.contains(&n1) && detail.contains(&n2), "{detail}");
        let actions: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM console_actions WHERE action = 'replay_notices' AND operator = 'api:rh-a'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(actions, 3);
    }

    #[test]
    fn operator_replays_by_time_and_destination() {
        let (_dir, c) = conn();
        let a = decl(&c, A, "A1");
        let t1 = "2026-11-25T09:00:00.000Z";
        let t2 = "2026-11-25T09:30:00.000Z";
        enqueue_notice(&c, Some(a), "hr", "A1_received", "json", b"{}", t1).unwrap();
        let ins = enqueue_files(
            &c,
            Some(a),
            "insurer/AXA",
            "A1_stoppage",
            &[("xml", b"<x/>"), ("csv", b"x")],
            t2,
        )
        .unwrap();
        let rej = enqueue_notice(&c, None, "hr", "X_rejected", "json", b"{}", t2).unwrap();
        delivered_all(&c);
        let op = Actor {
            channel: "cli",
            name: "root".into(),
        };
        let since = |to| Filter {
            since: Some(t2.into()),
            to,
            ..Default::default()
        };
        // The insurer's XML and CSV, as a pair.
        let r = replay(&c, &since(Recipients::Insurer), &op, t2).unwrap();
        assert_eq!(r.replayed, 2);
        assert_eq!(pending(&c), ins);
        delivered_all(&c);
        // HR since t2: the rejection notice (no declaration) too, for an operator.
        let r = replay(&c, &since(Recipients::Hr), &op, t2).unwrap();
        assert_eq!(pending(&c), vec![rej]);
        assert_eq!(r.files[0].declaration_id, None);
        delivered_all(&c);
        let r = replay(&c, &since(Recipients::All), &op, t2).unwrap();
        assert_eq!(r.replayed, 3);
        // One declaration, every destination.
        delivered_all(&c);
        let f = Filter {
            declaration_id: Some(a),
            to: Recipients::All,
            ..Default::default()
        };
        assert_eq!(replay(&c, &f, &op, t2).unwrap().replayed, 3);
    }
}
