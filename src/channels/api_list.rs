//! `GET /v1/stoppages`: the listing for HR tools that poll instead of reading spool notices.
//!
//! Filters: `hr_ref`, `changed_since` (RFC 3339), `state` (the typed [`DeclState`] values,
//! repeated or comma-separated), `late` (overdue by the `[deadlines]` rules the alert scanner
//! applies: [`crate::alerts::conditions::DEADLINE_RULES`]), `limit` (1..=[`MAX_LIMIT`]) and an
//! opaque `cursor`.
//!
//! Order and cursor: a declaration's place is its last history row's id (the journal's
//! AUTOINCREMENT: writers are serialised, so a change committed after a page was read always
//! gets a larger id than any row that page saw). The cursor carries that id, so a client that
//! keeps the last `next_cursor` and polls with it sees every later change at least once, and
//! a wall clock stepped back by NTP cannot hide one (an `updated_at` order could).
//!
//! Parsing is pure (tested below); [`list`] reads one connection.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use std::collections::BTreeMap;

use crate::config::Config;
use crate::engine::exchange::decide::DeclState;
use crate::journal::{JournalError, query};
use crate::model::validate::{FieldError, excerpt};

/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: usize = 50;
/// Largest `limit` accepted (each row carries its history and payload).
pub const MAX_LIMIT: usize = 200;

/// The query parameters the listing accepts.
pub const PARAMS: &[&str] = &[
    "hr_ref",
    "changed_since",
    "state",
    "late",
    "limit",
    "cursor",
];

/// A parsed listing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub hr_ref: Option<String>,
    /// In the journal's timestamp format (UTC, milliseconds), which sorts as text.
    pub changed_since: Option<String>,
    pub states: Vec<DeclState>,
    pub late: Option<bool>,
    pub limit: usize,
    /// The last change sequence already seen.
    pub after: Option<i64>,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            hr_ref: None,
            changed_since: None,
            states: Vec::new(),
            late: None,
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }
}

fn bad(field: &str, value: &str, reason: impl Into<String>) -> FieldError {
    FieldError {
        location: Default::default(),
        field: field.into(),
        value: Some(excerpt(value, 64)),
        reason: reason.into(),
    }
}

/// The opaque cursor for a change sequence.
pub fn encode_cursor(seq: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("c1.{seq}"))
}

/// The change sequence of a cursor; `None` if it is not one of ours.
pub fn decode_cursor(s: &str) -> Option<i64> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .ok()?;
    let text = std::str::from_utf8(&raw).ok()?;
    text.strip_prefix("c1.")?
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
}

/// An RFC 3339 timestamp in the journal's format. A `+` offset sent unencoded in a query
/// string arrives as a space (form encoding): it is read as the `+` it was meant to be.
pub fn parse_timestamp(v: &str) -> Option<String> {
    let t = DateTime::parse_from_rfc3339(v)
        .or_else(|_| DateTime::parse_from_rfc3339(&v.replace(' ', "+")))
        .ok()?;
    Some(
        t.with_timezone(&Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    )
}

/// Parses the query string; every problem is listed (400 with `errors`).
pub fn parse_query(q: &str) -> Result<ListQuery, Vec<FieldError>> {
    let mut out = ListQuery::default();
    let mut errors = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (k, v) in form_urlencoded::parse(q.as_bytes()) {
        let (k, v) = (k.into_owned(), v.into_owned());
        if !PARAMS.contains(&k.as_str()) {
            errors.push(bad(
                &k,
                &v,
                format!("unknown parameter; known: {}", PARAMS.join(", ")),
            ));
            continue;
        }
        if k != "state" && seen.contains(&k) {
            errors.push(bad(&k, &v, "given twice"));
            continue;
        }
        seen.push(k.clone());
        match k.as_str() {
            "hr_ref" => {
                if v.is_empty() {
                    errors.push(bad(&k, &v, "empty"));
                } else {
                    out.hr_ref = Some(v);
                }
            }
            "changed_since" => match parse_timestamp(&v) {
                Some(t) => out.changed_since = Some(t),
                None => errors.push(bad(
                    &k,
                    &v,
                    "not an RFC 3339 date-time (e.g. 2026-11-25T09:00:00Z)",
                )),
            },
            "state" => {
                for s in v.split(',') {
                    match DeclState::parse(s.trim()) {
                        Some(st) if !out.states.contains(&st) => out.states.push(st),
                        Some(_) => {}
                        None => errors.push(bad(
                            &k,
                            s,
                            format!(
                                "unknown state; one of {}",
                                DeclState::ALL
                                    .iter()
                                    .map(|s| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )),
                    }
                }
            }
            "late" => match v.as_str() {
                "true" => out.late = Some(true),
                "false" => out.late = Some(false),
                _ => errors.push(bad(&k, &v, "true or false")),
            },
            "limit" => match v.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => out.limit = n,
                _ => errors.push(bad(&k, &v, format!("an integer from 1 to {MAX_LIMIT}"))),
            },
            "cursor" => match decode_cursor(&v) {
                Some(n) => out.after = Some(n),
                None => errors.push(bad(
                    &k,
                    &v,
                    "not a cursor from this service (use next_cursor as given)",
                )),
            },
            _ => {}
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The deadline rules each of these SIRETs' declarations is overdue by, at `now` (the same
/// facts and rules as the alert scanner, read without its side effects).
pub fn late_by_declaration(
    conn: &Connection,
    cfg: &Config,
    sirets: &[String],
    now: DateTime<Utc>,
) -> Result<BTreeMap<i64, Vec<String>>, JournalError> {
    use crate::alerts::conditions::{DEADLINE_RULES, evaluate};
    let mut facts = crate::alerts::scanner::read_declaration_facts(conn, cfg)?;
    facts.declarations.retain(|d| sirets.contains(&d.siret));
    facts.deposits.retain(|d| sirets.contains(&d.siret));
    let mut out: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for f in evaluate(&facts, &cfg.alerts, &cfg.deadlines, now) {
        if DEADLINE_RULES.contains(&f.condition.as_str()) {
            out.entry(f.declaration_id).or_default().push(f.condition);
        }
    }
    Ok(out)
}

/// One page of the listing.
#[derive(Debug, Clone)]
pub struct Page {
    /// Declarations as `GET /v1/stoppages/{id}` shows them, plus `late` and `changed_at`.
    pub declarations: Vec<Value>,
    /// Resume after the last row (or where the request started when the page is empty).
    pub next_cursor: Option<String>,
    pub has_more: bool,
}

impl Page {
    pub fn to_json(&self) -> Value {
        json!({
            "declarations": self.declarations,
            "next_cursor": self.next_cursor,
            "has_more": self.has_more,
        })
    }
}

/// The page of the client's declarations (its SIRETs only) matching `q`.
pub fn list(
    conn: &Connection,
    cfg: &Config,
    sirets: &[String],
    q: &ListQuery,
    now: DateTime<Utc>,
) -> Result<Page, JournalError> {
    let late = late_by_declaration(conn, cfg, sirets, now)?;
    let late_ids: Vec<i64> = late.keys().copied().collect();
    let sirets_json = json_text(&sirets);
    let states_json = (!q.states.is_empty()).then(|| {
        serde_json::to_string(&q.states.iter().map(|s| s.as_str()).collect::<Vec<_>>())
            .unwrap_or_default()
    });
    let (only, except) = match q.late {
        Some(true) => (Some(json_text(&late_ids)), None),
        Some(false) => (None, Some(json_text(&late_ids))),
        None => (None, None),
    };
    let mut stmt = conn.prepare_cached(
        "SELECT x.id, x.seq, COALESCE((SELECT h.at FROM history h WHERE h.id = x.seq), x.updated_at) AS changed_at
         FROM (SELECT d.id, d.updated_at,
                      COALESCE((SELECT MAX(h.id) FROM history h WHERE h.declaration_id = d.id), 0) AS seq
               FROM declarations d
               WHERE d.siret IN (SELECT value FROM json_each(?1))
                 AND (?2 IS NULL OR d.hr_ref = ?2)
                 AND (?3 IS NULL OR d.state IN (SELECT value FROM json_each(?3)))
                 AND (?4 IS NULL OR d.id IN (SELECT value FROM json_each(?4)))
                 AND (?5 IS NULL OR d.id NOT IN (SELECT value FROM json_each(?5)))) x
         WHERE (?6 IS NULL OR x.seq > ?6) AND (?7 IS NULL OR changed_at >= ?7)
         ORDER BY x.seq, x.id LIMIT ?8",
    )?;
    let rows: Vec<(i64, i64, String)> = stmt
        .query_map(
            params![
                sirets_json,
                q.hr_ref,
                states_json,
                only,
                except,
                q.after,
                q.changed_since,
                (q.limit + 1) as i64
            ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?
        .collect::<Result<_, _>>()?;
    let has_more = rows.len() > q.limit;
    let mut declarations = Vec::with_capacity(rows.len().min(q.limit));
    let mut last = q.after;
    for (id, seq, changed_at) in rows.into_iter().take(q.limit) {
        last = Some(seq);
        let Some(d) = query::declaration(conn, id)? else {
            continue;
        };
        let mut v = serde_json::to_value(&d).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("changed_at".into(), json!(changed_at));
            o.insert(
                "late".into(),
                json!(late.get(&id).cloned().unwrap_or_default()),
            );
            o.insert("href".into(), json!(format!("/v1/stoppages/{id}")));
        }
        declarations.push(v);
    }
    Ok(Page {
        declarations,
        next_cursor: last.map(encode_cursor),
        has_more,
    })
}

/// JSON text of a list parameter (bound as one SQL value and read with `json_each`).
fn json_text<T: serde::Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;
    use crate::journal::store::add_history;

    #[test]
    fn query_parsing_lists_every_problem() {
        let q = parse_query(
            "changed_since=2026-11-25T10:00:00+01:00&state=queued,accepted&state=refused&late=true&limit=10",
        )
        .unwrap();
        // "+01:00" arrived as " 01:00" (form encoding) and is read as meant.
        assert_eq!(q.changed_since.as_deref(), Some("2026-11-25T09:00:00.000Z"));
        assert_eq!(
            q.states,
            vec![DeclState::Queued, DeclState::Accepted, DeclState::Refused]
        );
        assert_eq!((q.late, q.limit), (Some(true), 10));
        let q = parse_query("changed_since=2026-11-25T10%3A00%3A00%2B01%3A00").unwrap();
        assert_eq!(q.changed_since.as_deref(), Some("2026-11-25T09:00:00.000Z"));
        assert_eq!(parse_query("").unwrap(), ListQuery::default());
        let e = parse_query(
            "changed_since=yesterday&state=sent&late=yes&limit=201&cursor=zzz&colour=red&hr_ref=A&hr_ref=B",
        )
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "changed_since",
                "state",
                "late",
                "limit",
                "cursor",
                "colour",
                "hr_ref"
            ]
        );
        assert!(parse_query("limit=0").is_err());
        assert_eq!(parse_query("limit=200").unwrap().limit, 200);
    }

    #[test]
    fn cursor_round_trip_and_refusals() {
        for n in [0, 1, 42, i64::MAX] {
            assert_eq!(decode_cursor(&encode_cursor(n)), Some(n));
        }
        assert_eq!(decode_cursor("abc"), None);
        assert_eq!(decode_cursor(""), None);
        let neg = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("c1.-3");
        assert_eq!(decode_cursor(&neg), None);
    }

    const A: &str = "12345678200010";
    const B: &str = "98765432400019";

    fn journal(dir: &std::path::Path, extra: &str) -> (Journal, Config) {
        let toml = format!(
            "[daemon]\nstate_dir = {:?}\n[spool]\ndir = {:?}\n[netent]\nmode = \"sandbox\"\n{extra}",
            dir.join("state"),
            dir.join("spool")
        );
        let cfg: Config = toml::from_str(&toml).unwrap();
        (Journal::open(&cfg.db_path()).unwrap(), cfg)
    }

    fn decl(c: &Connection, siret: &str, hr_ref: &str, state: &str, at: &str) -> i64 {
        c.execute(
            "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
             VALUES (?1, ?2, 'arret', '1850578006084', ?3, 1, 'h', '{}', ?4, ?4)",
            params![siret, hr_ref, state, at],
        )
        .unwrap();
        let id = c.last_insert_rowid();
        add_history(c, id, "received", Some(state), None, None, at).unwrap();
        id
    }

    fn ids(p: &Page) -> Vec<i64> {
        p.declarations
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect()
    }

    #[test]
    fn pages_follow_changes_filters_and_deadlines() {
        let dir = tempfile::tempdir().unwrap();
        // signalement deadline: 5 days (the default).
        let (j, cfg) = journal(dir.path(), "");
        let now = DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let (a1, a2, _b1, a3) = j
            .write_blocking(|c| {
                Ok((
                    // Queued for 10 days: not deposited in time.
                    decl(c, A, "A1", "queued", "2026-11-15T09:00:00.000Z"),
                    decl(c, A, "A2", "accepted", "2026-11-24T09:00:00.000Z"),
                    decl(c, B, "B1", "queued", "2026-11-15T09:00:00.000Z"),
                    decl(c, A, "A3", "queued", "2026-11-25T09:00:00.000Z"),
                ))
            })
            .unwrap();
        let sirets = vec![A.to_string()];
        let read = |q: ListQuery| {
            let cfg = cfg.clone();
            let sirets = sirets.clone();
            j.read_blocking(move |c| list(c, &cfg, &sirets, &q, now))
                .unwrap()
        };
        // Everything of the client's SIRETs (never B's), in change order, two per page.
        let p1 = read(ListQuery {
            limit: 2,
            ..Default::default()
        });
        assert_eq!(ids(&p1), vec![a1, a2]);
        assert!(p1.has_more);
        assert_eq!(p1.declarations[0]["late"], json!(["not_deposited"]));
        assert_eq!(p1.declarations[1]["late"], json!([]));
        let after = decode_cursor(p1.next_cursor.as_deref().unwrap());
        let p2 = read(ListQuery {
            limit: 2,
            after,
            ..Default::default()
        });
        assert_eq!(ids(&p2), vec![a3]);
        assert!(!p2.has_more);
        // Nothing new: an empty page keeps the cursor where it was.
        let p3 = read(ListQuery {
            after: decode_cursor(p2.next_cursor.as_deref().unwrap()),
            ..Default::default()
        });
        assert!(p3.declarations.is_empty());
        assert_eq!(p3.next_cursor, p2.next_cursor);
        // A1 changes: it comes after the cursor again, once.
        j.write_blocking(move |c| {
            crate::journal::store::transition(
                c,
                a1,
                "failed",
                "deposit_failed",
                None,
                "2026-11-25T11:00:00.000Z",
            )
        })
        .unwrap();
        let p4 = read(ListQuery {
            after: decode_cursor(p2.next_cursor.as_deref().unwrap()),
            ..Default::default()
        });
        assert_eq!(ids(&p4), vec![a1]);
        assert_eq!(p4.declarations[0]["state"], "failed");
        assert_eq!(p4.declarations[0]["changed_at"], "2026-11-25T11:00:00.000Z");
        // Filters.
        let by_state = read(ListQuery {
            states: vec![DeclState::Queued, DeclState::Accepted],
            ..Default::default()
        });
        assert_eq!(ids(&by_state), vec![a2, a3]);
        let since = read(ListQuery {
            changed_since: Some("2026-11-24T09:00:00.000Z".into()),
            ..Default::default()
        });
        assert_eq!(ids(&since), vec![a2, a3, a1]);
        let by_ref = read(ListQuery {
            hr_ref: Some("A2".into()),
            ..Default::default()
        });
        assert_eq!(ids(&by_ref), vec![a2]);
        // A failed deposit is not "late" (it is an alert of its own); A3 is young.
        assert!(
            read(ListQuery {
                late: Some(true),
                ..Default::default()
            })
            .declarations
            .is_empty()
        );
        j.write_blocking(move |c| {
            crate::journal::store::transition(
                c,
                a1,
                "queued",
                "queued",
                None,
                "2026-11-25T11:30:00.000Z",
            )
        })
        .unwrap();
        assert_eq!(
            ids(&read(ListQuery {
                late: Some(true),
                ..Default::default()
            })),
            vec![a1]
        );
        assert_eq!(
            ids(&read(ListQuery {
                late: Some(false),
                ..Default::default()
            })),
            vec![a2, a3]
        );
    }
}
