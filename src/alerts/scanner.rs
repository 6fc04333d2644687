//! The alert scanner: reads declarations, deposits, returns and history, decides which
//! conditions hold ([`super::conditions`]) and records them ([`super::store::reconcile`]) —
//! all inside one journal write, so what is decided matches what is recorded. It also opens
//! the DSIJ fallback tasks ([`crate::tasks`]).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::conditions::{CertFact, DeclFact, DepositFact, EventFact, Facts, evaluate};
use super::store::{Changes, parse_ts, reconcile};
use crate::config::{Config, NetEntMode};
use crate::journal::JournalError;

fn time(s: Option<String>) -> Option<DateTime<Utc>> {
    s.as_deref().and_then(parse_ts)
}

/// Certificates to watch (read from disk, outside the journal transaction).
pub fn cert_facts(cfg: &Config) -> Vec<CertFact> {
    let mut v = Vec::new();
    if !cfg.api.enabled {
        return v;
    }
    for (setting, path) in [
        ("api.cert_file", &cfg.api.cert_file),
        ("api.client_ca_file", &cfg.api.client_ca_file),
    ] {
        match crate::channels::tls::expiry(path) {
            Ok(ts) => {
                if let Some(not_after) = DateTime::from_timestamp(ts, 0) {
                    v.push(CertFact {
                        setting: setting.into(),
                        path: path.display().to_string(),
                        not_after,
                    });
                }
            }
            Err(e) => tracing::debug!(setting, error = %e, "alerts: certificate not readable"),
        }
    }
    v
}

/// Reads the facts the rules need.
pub fn read_facts(conn: &Connection, cfg: &Config) -> Result<Facts, JournalError> {
    let mut f = read_declaration_facts(conn, cfg)?;
    read_event_facts(conn, &mut f)?;
    Ok(f)
}

/// The declarations and deposits the state and deadline rules look at, read without any side
/// effect (the web service's `late` listing evaluates the same rules on them).
pub fn read_declaration_facts(conn: &Connection, cfg: &Config) -> Result<Facts, JournalError> {
    let mut f = Facts {
        exchange: cfg.netent.mode != NetEntMode::Disabled,
        ..Facts::default()
    };
    let mut stmt = conn.prepare_cached(
        "SELECT id, siret, hr_ref, event, state, created_at FROM declarations
         WHERE state IN ('queued','depositing','uncertain','rejected','refused','dsij_fallback','documents_requested','failed')
           AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.declaration_id = declarations.id AND t.state = 'done')
           AND NOT (state = 'documents_requested' AND EXISTS
                (SELECT 1 FROM documents x WHERE x.declaration_id = declarations.id AND x.state = 'uploaded'))",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    for row in rows {
        let (id, siret, hr_ref, event, state, created) = row?;
        if let Some(created_at) = parse_ts(&created) {
            f.declarations.push(DeclFact {
                id,
                siret,
                hr_ref,
                event,
                state,
                created_at,
            });
        }
    }
    let mut stmt = conn.prepare_cached(
        "SELECT p.declaration_id, d.siret, d.hr_ref, d.state, p.state, p.nature, p.attempts, p.sent_at, p.idflux, p.last_error
         FROM deposits p JOIN declarations d ON d.id = p.declaration_id
         WHERE (p.state = 'deposited' AND (p.returns_done = 0 OR ?1)) OR p.state IN ('pending', 'uncertain')",
    )?;
    let rows = stmt.query_map(params![cfg.alerts.expect_crm_oc], |r| {
        Ok(DepositFact {
            declaration_id: r.get(0)?,
            siret: r.get(1)?,
            hr_ref: r.get(2)?,
            decl_state: r.get(3)?,
            state: r.get(4)?,
            nature: r.get(5)?,
            attempts: r.get(6)?,
            sent_at: time(r.get(7)?),
            idflux: r.get(8)?,
            returns: Vec::new(),
            last_error: r.get(9)?,
        })
    })?;
    let mut natures =
        conn.prepare_cached("SELECT DISTINCT nature FROM returns WHERE idflux = ?1")?;
    for row in rows {
        let mut p = row?;
        if let Some(flux) = &p.idflux {
            p.returns = natures
                .query_map([flux], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
        }
        f.deposits.push(p);
    }
    Ok(f)
}

/// History events, net-entreprises faults and insurer events; the insurer events read are
/// marked as taken (this runs inside the scanner's write).
fn read_event_facts(conn: &Connection, f: &mut Facts) -> Result<(), JournalError> {
    let placeholders = super::conditions::EVENT_ALERTS
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(",");
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT h.declaration_id, COALESCE(d.siret, ''), COALESCE(d.hr_ref, ''), h.what, COALESCE(h.detail, '')
         FROM history h LEFT JOIN declarations d ON d.id = h.declaration_id WHERE h.what IN ({placeholders})"
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok(EventFact {
            declaration_id: r.get(0)?,
            siret: r.get(1)?,
            hr_ref: r.get(2)?,
            what: r.get(3)?,
            detail: r.get(4)?,
        })
    })?;
    for row in rows {
        f.events.push(row?);
    }
    // Faults of net-entreprises services (a malformed listing, an untrusted link): one alert
    // per service and cause while it lasts (declaration 0: installation-wide).
    for x in crate::engine::exchange::store::faults_to_alert(conn, &crate::journal::now())? {
        f.events.push(EventFact {
            declaration_id: 0,
            siret: String::new(),
            hr_ref: String::new(),
            what: format!("peer_fault:{}:{}", x.service, x.cause),
            detail: format!(
                "service {} — {}: {} ({} time(s) since {})",
                x.service, x.cause, x.detail, x.count, x.first_at
            ),
        });
    }
    // Prest'IJ SFTP incidents: one alert per incident while it lasts, resolved mail after.
    for x in crate::engine::prestij::incident::to_alert(conn, &crate::journal::now())? {
        f.events.push(EventFact {
            declaration_id: 0,
            siret: String::new(),
            hr_ref: String::new(),
            what: x.condition(),
            detail: crate::engine::prestij::incident::describe(&x),
        });
    }
    // DSN of the fiches not received by their due day (MDSN01): one alert per establishment
    // and month while it lasts (the DSN door resolves it when the lot arrives).
    for m in crate::journal::dsn_door::open_missing(conn)? {
        f.events.push(EventFact {
            declaration_id: 0,
            siret: m.siret.clone(),
            hr_ref: String::new(),
            what: format!("missing_dsn:{}:{}", m.siret, m.month),
            detail: m.detail,
        });
    }
    // The insurer side records its alertable events apart (an unmatched BPIJ line has no
    // declaration): each becomes its own alert, keyed by the event id, and is marked as taken.
    let events = crate::engine::insurer::events::pending(conn, 500)?;
    let mut taken = Vec::with_capacity(events.len());
    for ev in events {
        let (siret, hr_ref) = match ev.declaration_id {
            Some(d) => conn
                .query_row(
                    "SELECT siret, hr_ref FROM declarations WHERE id = ?1",
                    [d],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
                )
                .unwrap_or_default(),
            None => (
                ev.detail
                    .get("siret")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string(),
                String::new(),
            ),
        };
        f.events.push(EventFact {
            declaration_id: ev.declaration_id.unwrap_or(0),
            siret,
            hr_ref,
            what: format!("{}:{}", ev.kind, ev.id),
            detail: format!(
                "{}{}",
                ev.insurer_code
                    .map(|c| format!("insurer {c}: "))
                    .unwrap_or_default(),
                ev.detail
            ),
        });
        taken.push(ev.id);
    }
    crate::engine::insurer::events::mark_alerted(conn, &taken, &crate::journal::now())?;
    Ok(())
}

/// One scan: facts → findings → alert rows (and DSIJ tasks). Runs inside a journal write.
pub fn scan(
    conn: &Connection,
    cfg: &Config,
    certs: Vec<CertFact>,
    now: DateTime<Utc>,
) -> Result<(Changes, usize), JournalError> {
    let tasks = crate::tasks::open_dsij_tasks(conn, cfg, now)?;
    if !cfg.alerts.enabled {
        return Ok((Changes::default(), tasks));
    }
    let mut facts = read_facts(conn, cfg)?;
    facts.certs = certs;
    let findings = evaluate(&facts, &cfg.alerts, &cfg.deadlines, now);
    let ch = reconcile(conn, &findings, now, cfg.alerts.reminder_after)?;
    Ok((ch, tasks))
}
