//! What the console pages show, read from the journal (plain functions on a connection: no
//! I/O beyond SQLite, tested on a temporary journal), and the operator actions.
//!
//! State strings are read from the journal as they are (the exchange engine owns them); the
//! console only groups them.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use std::collections::BTreeMap;

use crate::alerts::store::parse_ts;
use crate::config::Config;
use crate::journal::{JournalError, query, store};

/// Return natures a deposited signalement waits for, with their deadline.
fn watched_natures(cfg: &Config) -> Vec<(&'static str, &crate::alerts::config::Deadline)> {
    let d = &cfg.deadlines;
    let mut v = vec![("11", &d.r11), ("30", &d.r30), ("31", &d.r31)];
    if cfg.alerts.expect_crm_oc {
        v.push(("51", &d.r51));
    }
    v
}

/// Deposits waiting for one return nature.
#[derive(Debug, Clone, Serialize)]
pub struct Waiting {
    pub nature: String,
    pub count: i64,
    /// Age of the oldest, in seconds.
    pub oldest_age_s: i64,
    /// Its deadline as a duration from the deposit, in seconds.
    pub deadline_s: i64,
    pub overdue: bool,
}

/// One week of the charts.
#[derive(Debug, Clone, Serialize)]
pub struct Week {
    pub label: String,
    pub stoppages: usize,
    /// Minutes from the HR entry to the first 31 (CNAM business report), percentiles.
    pub p50_min: Option<i64>,
    pub p90_min: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub generated_at: String,
    pub status: query::Status,
    pub deposits_by_state: BTreeMap<String, i64>,
    pub waiting: Vec<Waiting>,
    pub open_alerts: i64,
    pub open_tasks: i64,
    pub bpij_received: i64,
    pub bpij_dispatched: i64,
    pub bpij_unmatched: i64,
    pub spool_inbound: Option<usize>,
    pub journal_bytes: Option<u64>,
    pub health: crate::health::Report,
    pub weeks: Vec<Week>,
    /// Over the weeks shown.
    pub p50_min: Option<i64>,
    pub p90_min: Option<i64>,
}

impl Overview {
    /// The figures the page refreshes without a reload (`/console/counts.json`).
    pub fn live_counts(&self) -> BTreeMap<String, i64> {
        let mut m = BTreeMap::new();
        for (k, v) in &self.status.declarations_by_state {
            m.insert(format!("state-{k}"), *v);
        }
        m.insert("total".into(), self.status.declarations_total);
        m.insert("open-alerts".into(), self.open_alerts);
        m.insert("open-tasks".into(), self.open_tasks);
        for w in &self.waiting {
            m.insert(format!("waiting-{}", w.nature), w.count);
        }
        m
    }
}

fn count(conn: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<i64, JournalError> {
    Ok(conn.prepare_cached(sql)?.query_row(p, |r| r.get(0))?)
}

/// Percentile (nearest rank) of sorted values.
pub fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Monday of `t`'s ISO week.
fn week_start(d: NaiveDate) -> NaiveDate {
    d - Duration::days(d.weekday().num_days_from_monday() as i64)
}

/// Weeks shown on the overview charts.
pub const WEEKS: i64 = 12;

pub fn overview(
    conn: &Connection,
    cfg: &Config,
    now: DateTime<Utc>,
) -> Result<Overview, JournalError> {
    let status = query::status(conn)?;
    let mut deposits_by_state = BTreeMap::new();
    for row in conn
        .prepare_cached("SELECT state, COUNT(*) FROM deposits GROUP BY state")?
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
    {
        let (k, v) = row?;
        deposits_by_state.insert(k, v);
    }
    let mut waiting = Vec::new();
    for (nature, deadline) in watched_natures(cfg) {
        let (n, oldest): (i64, Option<String>) = conn
            .prepare_cached(
                "SELECT COUNT(*), MIN(d.sent_at) FROM deposits d WHERE d.state = 'deposited'
                   AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.idflux = d.idflux AND r.nature = ?1)
                   AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.idflux = d.idflux AND r.nature IN ('21','22'))",
            )?
            .query_row([nature], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let sent = oldest.as_deref().and_then(parse_ts);
        let age = sent.map(|s| (now - s).num_seconds().max(0)).unwrap_or(0);
        let deadline_s = sent
            .map(|s| (deadline.due(s) - s).num_seconds())
            .unwrap_or_else(|| (deadline.due(now) - now).num_seconds());
        waiting.push(Waiting {
            nature: nature.into(),
            count: n,
            oldest_age_s: age,
            deadline_s,
            overdue: sent.is_some_and(|s| deadline.due(s) <= now),
        });
    }
    let open_alerts = count(
        conn,
        "SELECT COUNT(*) FROM alerts WHERE resolved_at IS NULL AND state != 'dropped'",
        [],
    )?;
    let open_tasks = count(conn, "SELECT COUNT(*) FROM tasks WHERE state = 'open'", [])?;
    let today = now.date_naive();
    let month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let month_start = month.format("%Y-%m-%dT00:00:00").to_string();
    let bpij_received = count(
        conn,
        "SELECT COUNT(*) FROM bpij WHERE fetched_at >= ?1",
        [&month_start],
    )?;
    let bpij_dispatched = count(
        conn,
        "SELECT COUNT(*) FROM bpij WHERE dispatched_at >= ?1",
        [&month_start],
    )?;
    let bpij_unmatched = count(
        conn,
        "SELECT COUNT(*) FROM history WHERE what IN ('bpij_unmatched') AND at >= ?1",
        [&month_start],
    )?;
    let spool_inbound = crate::channels::admin::waiting_files(&cfg.spool.dir.join("inbound")).ok();
    let journal_bytes = ["", "-wal"]
        .iter()
        .map(|s| std::fs::metadata(format!("{}{s}", cfg.db_path().display())).map(|m| m.len()))
        .try_fold(0u64, |acc, r| r.map(|n| acc + n))
        .ok();
    // Charts: stoppages (arrêts) by week of their HR entry, and the delay from the HR entry to
    // the first 31 (CNAM business report) of their deposits.
    let first_week = week_start(today) - Duration::weeks(WEEKS - 1);
    let since = ts(first_week
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc());
    let mut weeks: Vec<(NaiveDate, usize, Vec<i64>)> = (0..WEEKS)
        .map(|i| (first_week + Duration::weeks(i), 0, Vec::new()))
        .collect();
    let mut all = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT d.created_at,
                (SELECT MIN(r.fetched_at) FROM deposits p JOIN returns r ON r.idflux = p.idflux
                  WHERE p.target_declaration_id = d.id AND p.declaration_id = d.id AND r.nature = '31')
         FROM declarations d WHERE d.event = 'arret' AND d.created_at >= ?1",
    )?;
    for row in stmt.query_map([&since], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
    })? {
        let (created, r31) = row?;
        let Some(c) = parse_ts(&created) else {
            continue;
        };
        let i = ((week_start(c.date_naive()) - first_week).num_days() / 7) as usize;
        let Some(w) = weeks.get_mut(i) else { continue };
        w.1 += 1;
        if let Some(r) = r31.as_deref().and_then(parse_ts) {
            let m = (r - c).num_minutes().max(0);
            w.2.push(m);
            all.push(m);
        }
    }
    all.sort_unstable();
    let weeks = weeks
        .into_iter()
        .map(|(start, n, mut d)| {
            d.sort_unstable();
            Week {
                label: start.format("%d/%m").to_string(),
                stoppages: n,
                p50_min: percentile(&d, 50),
                p90_min: percentile(&d, 90),
            }
        })
        .collect();
    Ok(Overview {
        generated_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        status,
        deposits_by_state,
        waiting,
        open_alerts,
        open_tasks,
        bpij_received,
        bpij_dispatched,
        bpij_unmatched,
        spool_inbound,
        journal_bytes,
        health: crate::health::global().report(),
        weeks,
        p50_min: percentile(&all, 50),
        p90_min: percentile(&all, 90),
    })
}

/// A declarations search.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// hr_ref or SIRET (prefix).
    pub text: String,
    pub state: String,
    /// The 13-character NIR body (from a POST; never echoed).
    pub nir: Option<String>,
    pub page: usize,
    pub page_size: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListRow {
    pub id: i64,
    pub hr_ref: String,
    pub siret: String,
    pub event: String,
    pub state: String,
    pub test: bool,
    pub created_at: String,
    pub updated_at: String,
    pub nir_masked: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct List {
    pub rows: Vec<ListRow>,
    pub total: i64,
    pub states: Vec<String>,
}

pub fn declarations(conn: &Connection, s: &Search) -> Result<List, JournalError> {
    let like = format!("{}%", s.text.replace(['%', '_'], ""));
    let filter = "(?1 = '' OR hr_ref LIKE ?2 OR siret LIKE ?2) AND (?3 = '' OR state = ?3)
                  AND (?4 IS NULL OR nir = ?4)";
    let total = count(
        conn,
        &format!("SELECT COUNT(*) FROM declarations WHERE {filter}"),
        params![s.text, like, s.state, s.nir],
    )?;
    let offset = (s.page.saturating_sub(1) * s.page_size) as i64;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, hr_ref, siret, event, state, created_at, updated_at, nir FROM declarations
         WHERE {filter} ORDER BY id DESC LIMIT ?5 OFFSET ?6"
    ))?;
    let mut rows = stmt
        .query_map(
            params![s.text, like, s.state, s.nir, s.page_size as i64, offset],
            |r| {
                Ok(ListRow {
                    id: r.get(0)?,
                    hr_ref: r.get(1)?,
                    siret: r.get(2)?,
                    event: r.get(3)?,
                    state: r.get(4)?,
                    test: false,
                    created_at: r.get(5)?,
                    updated_at: r.get(6)?,
                    nir_masked: crate::model::nir::mask(&r.get::<_, String>(7)?),
                })
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    for r in &mut rows {
        r.test = store::declaration_is_test(conn, r.id)?;
    }
    let states = conn
        .prepare_cached("SELECT DISTINCT state FROM declarations ORDER BY state")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(List {
        rows,
        total,
        states,
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct DepositRow {
    pub id: i64,
    pub nature: String,
    pub decl_type: String,
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub sent_at: Option<String>,
    pub idflux: Option<String>,
    pub last_error: Option<String>,
    pub retryable: bool,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReturnRow {
    pub id: i64,
    pub idflux: String,
    pub nature: String,
    pub return_id: String,
    pub statut: Option<String>,
    pub outcome: Option<String>,
    pub fetched_at: String,
    pub has_raw: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileRow {
    pub id: i64,
    pub dest: String,
    pub file_name: String,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BpijRow {
    pub bpij_ref: String,
    pub gross: String,
    pub net: String,
    pub days: String,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeclarationPage {
    pub decl: query::Declaration,
    pub nir_masked: String,
    pub deposits: Vec<DepositRow>,
    pub returns: Vec<ReturnRow>,
    pub files: Vec<FileRow>,
    pub bpij: Vec<BpijRow>,
    /// Why it is not finished yet, deposit by deposit ("in progress" never without a reason).
    pub why: Vec<Why>,
}

/// What an unfinished deposit waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Why {
    /// Queued: sent at `next_attempt_at` (after `attempts` tries, the last one failing with
    /// `last_error`).
    Pending {
        deposit: i64,
        next_attempt_at: String,
        attempts: i64,
        last_error: Option<String>,
    },
    /// The call to net-entreprises is under way since `since`.
    Depositing { deposit: i64, since: String },
    /// The call may have reached net-entreprises: reconciliation checks before sending again.
    Uncertain { deposit: i64, since: String },
    /// Deposited; return `nature` is awaited, due at `due` (from `[deadlines]`).
    Return {
        deposit: i64,
        nature: String,
        sent_at: String,
        due: String,
        overdue_s: Option<i64>,
    },
    /// Failed for good: an operator retries it (button, or `ijgate retry`).
    Failed {
        deposit: i64,
        attempts: i64,
        last_error: Option<String>,
    },
    /// Refused by net-entreprises (ARE): the file must be corrected and sent again.
    Rejected {
        deposit: i64,
        last_error: Option<String>,
    },
}

/// Why each deposit of a declaration is unfinished (pure: the page's rows, the deadlines, now).
pub fn why(
    deposits: &[DepositRow],
    returns: &[ReturnRow],
    cfg: &Config,
    now: DateTime<Utc>,
) -> Vec<Why> {
    use crate::engine::exchange::decide::DepositState as S;
    let mut out = Vec::new();
    for d in deposits {
        match S::parse(&d.state) {
            Some(S::Pending) => out.push(Why::Pending {
                deposit: d.id,
                next_attempt_at: d.next_attempt_at.clone(),
                attempts: d.attempts,
                last_error: d.last_error.clone(),
            }),
            Some(S::Depositing) => out.push(Why::Depositing {
                deposit: d.id,
                since: d.updated_at.clone(),
            }),
            Some(S::Uncertain) => out.push(Why::Uncertain {
                deposit: d.id,
                since: d.updated_at.clone(),
            }),
            Some(S::Failed) => out.push(Why::Failed {
                deposit: d.id,
                attempts: d.attempts,
                last_error: d.last_error.clone(),
            }),
            Some(S::Rejected) => out.push(Why::Rejected {
                deposit: d.id,
                last_error: d.last_error.clone(),
            }),
            Some(S::Deposited) => {
                let (Some(idflux), Some(sent_at)) = (&d.idflux, &d.sent_at) else {
                    continue;
                };
                let got = |n: &str| returns.iter().any(|r| &r.idflux == idflux && r.nature == n);
                // A refusal (21, 22) ends the wait: nothing more comes for this file.
                if got("21") || got("22") {
                    continue;
                }
                let Some(sent) = parse_ts(sent_at) else {
                    continue;
                };
                for (nature, deadline) in watched_natures(cfg) {
                    if got(nature) {
                        continue;
                    }
                    let due = deadline.due(sent);
                    out.push(Why::Return {
                        deposit: d.id,
                        nature: nature.into(),
                        sent_at: sent_at.clone(),
                        due: ts(due),
                        overdue_s: (due <= now).then(|| (now - due).num_seconds()),
                    });
                }
            }
            Some(S::Withdrawn) | None => {}
        }
    }
    out
}

pub fn declaration(
    conn: &Connection,
    cfg: &Config,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<DeclarationPage>, JournalError> {
    let Some(mut decl) = query::declaration(conn, id)? else {
        return Ok(None);
    };
    // The payload is the whole stoppage (names, NIR): the console never sends it.
    decl.payload = serde_json::Value::Null;
    let nir: String = conn.query_row("SELECT nir FROM declarations WHERE id = ?1", [id], |r| {
        r.get(0)
    })?;
    let deposits = conn
        .prepare_cached(
            "SELECT id, nature, decl_type, state, attempts, next_attempt_at, sent_at, idflux, last_error, updated_at
             FROM deposits WHERE declaration_id = ?1 OR target_declaration_id = ?1 ORDER BY id",
        )?
        .query_map([id], |r| {
            let state: String = r.get(3)?;
            Ok(DepositRow {
                id: r.get(0)?,
                nature: r.get(1)?,
                decl_type: r.get(2)?,
                retryable: state == "failed" || state == "rejected",
                state,
                attempts: r.get(4)?,
                next_attempt_at: r.get(5)?,
                sent_at: r.get(6)?,
                idflux: r.get(7)?,
                last_error: r.get(8)?,
                updated_at: r.get(9)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let returns = conn
        .prepare_cached(
            "SELECT r.id, r.idflux, r.nature, r.return_id, r.statut, r.outcome, r.fetched_at, r.raw IS NOT NULL
             FROM returns r JOIN deposits p ON r.idflux = p.idflux
             WHERE p.declaration_id = ?1 OR p.target_declaration_id = ?1 GROUP BY r.id ORDER BY r.id",
        )?
        .query_map([id], |r| {
            Ok(ReturnRow {
                id: r.get(0)?,
                idflux: r.get(1)?,
                nature: r.get(2)?,
                return_id: r.get(3)?,
                statut: r.get(4)?,
                outcome: r.get(5)?,
                fetched_at: r.get(6)?,
                has_raw: r.get(7)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let files = conn
        .prepare_cached(
            "SELECT id, dest, file_name, created_at, delivered_at FROM outbox
             WHERE declaration_id = ?1 AND dest LIKE 'insurer/%' ORDER BY id",
        )?
        .query_map([id], |r| {
            Ok(FileRow {
                id: r.get(0)?,
                dest: r.get(1)?,
                file_name: r.get(2)?,
                created_at: r.get(3)?,
                delivered_at: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let bpij = conn
        .prepare_cached(
            "SELECT b.ref, l.gross, l.net, l.days, l.period_start, l.period_end, l.at
             FROM bpij_lines l JOIN bpij b ON b.id = l.bpij_id WHERE l.declaration_id = ?1 ORDER BY l.id",
        )?
        .query_map([id], |r| {
            Ok(BpijRow {
                bpij_ref: r.get(0)?,
                gross: r.get(1)?,
                net: r.get(2)?,
                days: r.get(3)?,
                period_start: r.get(4)?,
                period_end: r.get(5)?,
                at: r.get(6)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let why = why(&deposits, &returns, cfg, now);
    Ok(Some(DeclarationPage {
        decl,
        nir_masked: crate::model::nir::mask(&nir),
        deposits,
        returns,
        files,
        bpij,
        why,
    }))
}

/// A raw return (`returns`) or an insurer file (`files`): (file name, bytes).
pub fn download(
    conn: &Connection,
    kind: &str,
    id: i64,
) -> Result<Option<(String, Vec<u8>)>, JournalError> {
    let sql = match kind {
        "returns" => {
            "SELECT 'return_' || idflux || '_' || nature || '_' || return_id || '.xml', raw FROM returns
             WHERE id = ?1 AND raw IS NOT NULL"
        }
        "files" => "SELECT file_name, body FROM outbox WHERE id = ?1 AND dest LIKE 'insurer/%'",
        _ => return Ok(None),
    };
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// A deposit that failed, was rejected, or is being retried.
#[derive(Debug, Clone, Serialize)]
pub struct FailedRow {
    pub declaration_id: i64,
    pub hr_ref: String,
    pub siret: String,
    pub deposit_id: i64,
    pub state: String,
    pub attempts: i64,
    pub since: String,
    pub next_attempt_at: Option<String>,
    pub last_error: Option<String>,
    pub retryable: bool,
}

/// A deposited signalement whose return is past its deadline.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueRow {
    pub declaration_id: i64,
    pub hr_ref: String,
    pub nature: String,
    pub sent_at: String,
    pub overdue_s: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertRow {
    pub id: i64,
    pub declaration_id: i64,
    pub condition: String,
    pub hr_ref: Option<String>,
    pub state: String,
    pub created_at: String,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Late {
    pub failed: Vec<FailedRow>,
    pub overdue: Vec<OverdueRow>,
    pub alerts: Vec<AlertRow>,
    pub tasks: Vec<crate::tasks::Task>,
}

/// Rows shown per section of the late page.
const LATE_LIMIT: i64 = 200;

pub fn late(conn: &Connection, cfg: &Config, now: DateTime<Utc>) -> Result<Late, JournalError> {
    let failed = conn
        .prepare_cached(
            "SELECT d.id, d.hr_ref, d.siret, p.id, p.state, p.attempts, p.updated_at,
                    CASE WHEN p.state = 'pending' THEN p.next_attempt_at END, p.last_error
             FROM deposits p JOIN declarations d ON d.id = p.declaration_id
             WHERE p.state IN ('failed', 'rejected') OR (p.state = 'pending' AND p.attempts > 0)
             ORDER BY p.updated_at LIMIT ?1",
        )?
        .query_map([LATE_LIMIT], |r| {
            let state: String = r.get(4)?;
            Ok(FailedRow {
                declaration_id: r.get(0)?,
                hr_ref: r.get(1)?,
                siret: r.get(2)?,
                deposit_id: r.get(3)?,
                retryable: state == "failed" || state == "rejected",
                state,
                attempts: r.get(5)?,
                since: r.get(6)?,
                next_attempt_at: r.get(7)?,
                last_error: r.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut overdue = Vec::new();
    for (nature, deadline) in watched_natures(cfg) {
        let rows = conn
            .prepare_cached(
                "SELECT d.declaration_id, x.hr_ref, d.sent_at FROM deposits d JOIN declarations x ON x.id = d.declaration_id
                 WHERE d.state = 'deposited' AND d.sent_at IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.idflux = d.idflux AND r.nature = ?1)
                   AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.idflux = d.idflux AND r.nature IN ('21','22'))
                 ORDER BY d.sent_at LIMIT ?2",
            )?
            .query_map(params![nature, LATE_LIMIT], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        for (declaration_id, hr_ref, sent_at) in rows {
            let Some(sent) = parse_ts(&sent_at) else {
                continue;
            };
            let due = deadline.due(sent);
            if due <= now {
                overdue.push(OverdueRow {
                    declaration_id,
                    hr_ref,
                    nature: nature.into(),
                    sent_at,
                    overdue_s: (now - due).num_seconds(),
                });
            }
        }
    }
    overdue.sort_by_key(|o| std::cmp::Reverse(o.overdue_s));
    let alerts = conn
        .prepare_cached(
            "SELECT a.id, a.declaration_id, a.condition, a.hr_ref, a.state, a.created_at,
                    (SELECT operator FROM console_actions c WHERE c.action = 'ack_alert' AND c.target = a.id ORDER BY c.id DESC LIMIT 1),
                    (SELECT at FROM console_actions c WHERE c.action = 'ack_alert' AND c.target = a.id ORDER BY c.id DESC LIMIT 1)
             FROM alerts a WHERE a.resolved_at IS NULL AND a.state != 'dropped' ORDER BY a.id LIMIT ?1",
        )?
        .query_map([LATE_LIMIT], |r| {
            Ok(AlertRow {
                id: r.get(0)?,
                declaration_id: r.get(1)?,
                condition: r.get(2)?,
                hr_ref: r.get(3)?,
                state: r.get(4)?,
                created_at: r.get(5)?,
                acknowledged_by: r.get(6)?,
                acknowledged_at: r.get(7)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let tasks = crate::tasks::list(conn, false)?;
    Ok(Late {
        failed,
        overdue,
        alerts,
        tasks,
    })
}

/// One stoppage in the insurer view.
#[derive(Debug, Clone, Serialize)]
pub struct GuaranteeRow {
    pub siret: String,
    pub hr_ref: String,
    pub first_day: String,
    pub guarantee_date: String,
    pub fired_kind: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InsurerBlock {
    pub code: String,
    pub name: String,
    pub stoppages: i64,
    pub below_franchise: i64,
    pub guarantees_started: i64,
    pub complements: i64,
    /// Guarantees starting from a week ago to two weeks ahead.
    pub starting: Vec<GuaranteeRow>,
}

pub fn insurers(conn: &Connection, today: NaiveDate) -> Result<Vec<InsurerBlock>, JournalError> {
    let mut blocks = conn
        .prepare_cached(
            "SELECT insurer_code, MAX(insurer_name), COUNT(*),
                    SUM(fired_kind = 'below_franchise'), SUM(fired_kind = 'guarantee_start')
             FROM insurer_stoppages GROUP BY insurer_code ORDER BY insurer_code",
        )?
        .query_map([], |r| {
            Ok(InsurerBlock {
                code: r.get(0)?,
                name: r.get(1)?,
                stoppages: r.get(2)?,
                below_franchise: r.get::<_, Option<i64>>(3)?.unwrap_or(0),
                guarantees_started: r.get::<_, Option<i64>>(4)?.unwrap_or(0),
                complements: 0,
                starting: Vec::new(),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let (from, to) = (
        (today - Duration::days(7)).to_string(),
        (today + Duration::days(14)).to_string(),
    );
    for b in &mut blocks {
        // A complement is computed into the guarantee-start message (formats::insurer).
        b.complements = count(
            conn,
            "SELECT COUNT(*) FROM outbox WHERE dest = ?1 AND file_name LIKE '%.xml'
               AND instr(body, CAST('<Complement' AS BLOB)) > 0",
            [format!("insurer/{}", b.code)],
        )?;
        b.starting = conn
            .prepare_cached(
                "SELECT siret, hr_ref, first_day, guarantee_date, fired_kind FROM insurer_stoppages
                 WHERE insurer_code = ?1 AND guarantee_date BETWEEN ?2 AND ?3
                   AND (fired_kind IS NULL OR fired_kind = 'guarantee_start')
                 ORDER BY guarantee_date, id LIMIT 200",
            )?
            .query_map(params![b.code, from, to], |r| {
                Ok(GuaranteeRow {
                    siret: r.get(0)?,
                    hr_ref: r.get(1)?,
                    first_day: r.get(2)?,
                    guarantee_date: r.get(3)?,
                    fired_kind: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
    }
    Ok(blocks)
}

/// What an action did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acted {
    Done {
        declaration: Option<i64>,
    },
    /// Not possible in the current state (the sentence says why).
    Refused(String),
    Unknown,
}

/// Runs an operator action inside a journal write and records it in `console_actions` (and in
/// the declaration's history) with the operator's identity.
pub fn act(
    conn: &Connection,
    kind: &str,
    id: i64,
    operator: &str,
    at: &str,
) -> Result<Acted, JournalError> {
    let record = |action: &str, target: i64, detail: &str| -> Result<(), JournalError> {
        conn.prepare_cached(
            "INSERT INTO console_actions (at, operator, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![at, operator, action, target, detail])?;
        Ok(())
    };
    let source = serde_json::json!({"channel": "console", "name": operator}).to_string();
    match kind {
        "retry" => match store::retry_declaration(conn, id, at) {
            Ok(dep) => {
                let detail = serde_json::json!({"deposit": dep}).to_string();
                record("retry", id, &detail)?;
                // The shared retry step journals `retry_requested` as from the command line:
                // this one came from the console, by this operator.
                conn.prepare_cached(
                    "UPDATE history SET source = ?1 WHERE id =
                       (SELECT MAX(id) FROM history WHERE declaration_id = ?2 AND what = 'retry_requested')",
                )?
                .execute(params![source, id])?;
                Ok(Acted::Done {
                    declaration: Some(id),
                })
            }
            Err(JournalError::Data(why)) => Ok(Acted::Refused(why)),
            Err(e) => Err(e),
        },
        "task-done" => match crate::tasks::close(conn, id, None, operator, at)? {
            crate::tasks::Closed::Done(t) => {
                record(
                    "task_done",
                    id,
                    &serde_json::json!({"declaration": t.declaration_id}).to_string(),
                )?;
                Ok(Acted::Done {
                    declaration: Some(t.declaration_id),
                })
            }
            crate::tasks::Closed::AlreadyDone(_) => {
                Ok(Acted::Refused(format!("task {id} is already done")))
            }
            crate::tasks::Closed::NotFound => Ok(Acted::Unknown),
        },
        "ack-alert" => {
            let decl: Option<i64> = conn
                .query_row(
                    "SELECT declaration_id FROM alerts WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(decl) = decl else {
                return Ok(Acted::Unknown);
            };
            record("ack_alert", id, "{}")?;
            if decl > 0 {
                let detail = serde_json::json!({"alert": id}).to_string();
                store::add_history(
                    conn,
                    decl,
                    "alert_acknowledged",
                    None,
                    Some(&source),
                    Some(&detail),
                    at,
                )?;
            }
            Ok(Acted::Done {
                declaration: (decl > 0).then_some(decl),
            })
        }
        _ => Ok(Acted::Unknown),
    }
}
