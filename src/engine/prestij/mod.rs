//! Prest'IJ for insurers: enrol the employees of an insurer's stoppages with the CNAM (GESTIP),
//! follow the answers (ARL, CR), and take in the BPIJ the CNAM then sends.
//!
//! - [`config`] — `[insurers.prestij]`;
//! - this file: the journal side, pure over a `Connection` (no I/O): enrolment
//!   ([`on_stoppage`]), batching ([`build_flow`]), answers ([`apply_answer`]), deadlines
//!   ([`check_arl_deadlines`]) and the figures of `status` and `/metrics` ([`summary`]);
//! - [`worker`]: the cycle that moves files between the journal and the exchange folder;
//! - [`affiliations`]: enrolment and withdrawal from the insurer's DSN (the DSN door's call);
//! - [`incident`]: the journaled SFTP incident of each insurer (alerted once, resolved after).
//!
//! States are enums ([`EnrolState`], [`FlowState`]) stored as text. A withdrawal (GESTIP RAD,
//! line reference `R<id>`) is carried by the accepted enrolment it ends (`withdraw_state`, the
//! same states). Invariants:
//! - one enrolment per (insurer, NIR, cover start): enrolling again is a no-op;
//! - an enrolment joins exactly one flow: the flow row, its body and the enrolments' move to
//!   `sent` are one transaction, so a crash either builds the whole flow or nothing;
//! - a flow is delivered under its own id (`<flow_id>.xml`): a crash after the rename but
//!   before the journal says `delivered` writes the same file again, and the receiver (the
//!   CNAM or concentrator; our sandbox peer too) ignores a flow id it has seen;
//! - a rejected employee is alerted once (an `insurer_events` row in the CR's transaction)
//!   and goes back to `pending` when its identity is corrected, so it is re-sent once fixed.

pub mod affiliations;
pub mod config;
pub mod incident;
pub mod worker;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

use crate::engine::insurer::{View, events};
use crate::formats::gestip::{self, Answer, Company, Cover, Gestip, Line, Operation};
use crate::journal::JournalError;
use crate::model::nir::RawNir as Nir;

/// Alertable event kinds (in `insurer_events`, read by the alert engine).
pub const EV_REJECTED: &str = "prestij_rejected";
pub const EV_ARL_MISSING: &str = "prestij_arl_missing";
pub const EV_ARL_KO: &str = "prestij_flow_refused";
pub const EV_BAD_FILE: &str = "prestij_bad_file";

/// Where an enrolment is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrolState {
    /// Waiting for the next cycle's GESTIP.
    Pending,
    /// In a GESTIP; waiting for the ARL and the CR.
    Sent,
    Accepted,
    Rejected,
}

impl EnrolState {
    pub fn as_str(self) -> &'static str {
        match self {
            EnrolState::Pending => "pending",
            EnrolState::Sent => "sent",
            EnrolState::Accepted => "accepted",
            EnrolState::Rejected => "rejected",
        }
    }
}

/// Where a GESTIP flow is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowState {
    /// Journaled, not yet in the exchange folder.
    Built,
    /// In the exchange folder (or on the SFTP server); waiting for the ARL.
    Delivered,
    /// ARL OK; waiting for the CR.
    Acknowledged,
    /// ARL KO: the whole flow was refused.
    Refused,
    /// CR processed.
    Reported,
}

impl FlowState {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowState::Built => "built",
            FlowState::Delivered => "delivered",
            FlowState::Acknowledged => "acknowledged",
            FlowState::Refused => "refused",
            FlowState::Reported => "reported",
        }
    }
}

/// The insurer-side facts of one stoppage that enrolment needs.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub insurer_code: &'a str,
    pub siret: &'a str,
    /// `insurer_stoppages.id`.
    pub link_id: i64,
    pub view: &'a View,
}

/// The hook called from the insurer hook in the journal transaction of every stoppage event
/// of an insurer with Prest'IJ: enrols the employee from the stoppage's first day (cover may
/// start in the past: retroactivity); if the enrolment of this stoppage was rejected and the
/// identity has changed since, it goes back to `pending` (re-sent once fixed). Returns whether
/// something changed.
pub fn on_stoppage(conn: &Connection, s: &Subject<'_>, at: &str) -> Result<bool, JournalError> {
    let emp = s.view.stoppage.as_ref().map(|st| &st.employee);
    let last = emp.and_then(|e| e.last_name.clone()).unwrap_or_default();
    let first = emp.and_then(|e| e.first_names.clone());
    let nir = s.view.nir.as_str();
    let from = s.view.first_day().to_string();
    // A rejected enrolment of this stoppage whose identity was corrected: send it again.
    let rejected: Option<(i64, String, String, Option<String>)> = conn
        .prepare_cached(
            "SELECT id, nir, last_name, first_name FROM prestij_enrolments
             WHERE link_id = ?1 AND state = 'rejected' ORDER BY id DESC LIMIT 1",
        )?
        .query_row([s.link_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    if let Some((id, old_nir, old_last, old_first)) = rejected
        && (old_nir != nir || old_last != last || old_first != first)
    {
        let n = conn
            .prepare_cached(
                "UPDATE OR IGNORE prestij_enrolments SET nir = ?2, last_name = ?3, first_name = ?4,
                    state = 'pending', flow_id = NULL, reject_code = NULL, reject_reason = NULL, updated_at = ?5
                 WHERE id = ?1",
            )?
            .execute(params![id, nir, last, first, at])?;
        return Ok(n > 0);
    }
    // Already covered from that day or earlier, and not rejected: nothing to do.
    let covered: bool = conn
        .prepare_cached(
            "SELECT 1 FROM prestij_enrolments WHERE insurer_code = ?1 AND nir = ?2
                AND cover_from <= ?3 AND (cover_to IS NULL OR cover_to >= ?3) AND state != 'rejected'",
        )?
        .query_row(params![s.insurer_code, nir, from], |_| Ok(()))
        .optional()?
        .is_some();
    if covered {
        return Ok(false);
    }
    let n = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO prestij_enrolments
                (insurer_code, siret, nir, last_name, first_name, cover_from, source, link_id, state, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'stoppage', ?7, 'pending', ?8, ?8)",
        )?
        .execute(params![s.insurer_code, s.siret, nir, last, first, from, s.link_id, at])?;
    Ok(n > 0)
}

/// What an insurer needs to write its GESTIP header.
#[derive(Debug, Clone)]
pub struct Sender<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub access_key: &'a str,
}

/// Gathers every `pending` enrolment of the insurer into one GESTIP, journaled with its body;
/// `None` when nothing waits. Call inside one journal transaction.
pub fn build_flow(
    conn: &Connection,
    sender: &Sender<'_>,
    now: DateTime<Utc>,
) -> Result<Option<String>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, siret, nir, last_name, first_name, cover_from, cover_to, state = 'pending' FROM prestij_enrolments
         WHERE insurer_code = ?1 AND (state = 'pending' OR (state = 'accepted' AND withdraw_state = 'pending'))
         ORDER BY siret, id",
    )?;
    let rows = stmt
        .query_map([sender.code], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, bool>(7)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    if rows.is_empty() {
        return Ok(None);
    }
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    conn.prepare_cached(
        "INSERT INTO prestij_flows (flow_id, insurer_code, state, body, created_at, updated_at)
         VALUES ('', ?1, 'built', x'', ?2, ?2)",
    )?
    .execute(params![sender.code, at])?;
    let seq = conn.last_insert_rowid();
    let flow_id = format!("GESTIP-{}-{seq:06}", sender.code);
    let mut companies: Vec<Company> = Vec::new();
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d");
    for (id, siret, nir, last, first, from, to, enrol) in rows {
        // Dates were written by us; an unreadable one means a damaged journal: refuse loudly.
        let cover_from = day(&from).map_err(|_| {
            JournalError::Data(format!("prestij_enrolments {id}: cover_from {from:?}"))
        })?;
        let cover_to = match to {
            Some(t) => Some(day(&t).map_err(|_| {
                JournalError::Data(format!("prestij_enrolments {id}: cover_to {t:?}"))
            })?),
            None => None,
        };
        // An accepted enrolment with a withdrawal waiting goes as a RAD line (R<id>).
        let (reference, operation) = if enrol {
            (format!("E{id}"), Operation::Enrol)
        } else {
            (format!("R{id}"), Operation::Withdraw)
        };
        let line = Line {
            reference,
            operation,
            cover: Cover::DailyAllowances,
            nir: Nir::new(nir),
            last_name: if last.is_empty() {
                "INCONNU".into()
            } else {
                last
            },
            first_name: first,
            cover_from,
            cover_to,
        };
        match companies.last_mut() {
            Some(c) if c.siret == siret => c.lines.push(line),
            _ => companies.push(Company {
                siret,
                lines: vec![line],
            }),
        }
        conn.prepare_cached(if enrol {
            "UPDATE prestij_enrolments SET state = 'sent', flow_id = ?2, updated_at = ?3 WHERE id = ?1"
        } else {
            "UPDATE prestij_enrolments SET withdraw_state = 'sent', withdraw_flow_id = ?2, updated_at = ?3 WHERE id = ?1"
        })?
        .execute(params![id, flow_id, at])?;
    }
    let body = gestip::write_gestip(&Gestip {
        flow_id: flow_id.clone(),
        access_key: sender.access_key.to_string(),
        insurer_code: sender.code.to_string(),
        insurer_name: sender.name.to_string(),
        created: now.naive_utc(),
        companies,
    });
    conn.prepare_cached("UPDATE prestij_flows SET flow_id = ?2, body = ?3 WHERE id = ?1")?
        .execute(params![seq, flow_id, body.into_bytes()])?;
    Ok(Some(flow_id))
}

/// Flows journaled but not yet delivered: (flow_id, body).
pub fn undelivered(
    conn: &Connection,
    insurer: &str,
) -> Result<Vec<(String, Vec<u8>)>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT flow_id, body FROM prestij_flows WHERE insurer_code = ?1 AND state = 'built' ORDER BY id",
    )?;
    let rows = stmt.query_map([insurer], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// The flow is in the exchange folder: its ARL is due within `deadline`.
pub fn mark_delivered(
    conn: &Connection,
    flow_id: &str,
    now: DateTime<Utc>,
    deadline: std::time::Duration,
) -> Result<(), JournalError> {
    let due = now + chrono::Duration::from_std(deadline).unwrap_or(chrono::Duration::MAX);
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    conn.prepare_cached(
        "UPDATE prestij_flows SET state = 'delivered', delivered_at = ?2, arl_due_at = ?3, updated_at = ?2
         WHERE flow_id = ?1 AND state = 'built'",
    )?
    .execute(params![flow_id, at, due.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)])?;
    Ok(())
}

/// What applying an answer did (for logs and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The answer names a flow we never sent, or was applied already.
    Ignored(&'static str),
    Arl {
        accepted: bool,
    },
    Cr {
        accepted: usize,
        rejected: usize,
    },
}

/// Applies an ARL or a CR (in one transaction with the file's archiving decision).
pub fn apply_answer(conn: &Connection, answer: &Answer, at: &str) -> Result<Applied, JournalError> {
    let flow_id = match answer {
        Answer::Arl(a) => &a.flow_id,
        Answer::Cr(c) => &c.flow_id,
    };
    let flow: Option<(String, String)> = conn
        .prepare_cached("SELECT insurer_code, state FROM prestij_flows WHERE flow_id = ?1")?
        .query_row([flow_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((insurer, state)) = flow else {
        return Ok(Applied::Ignored("unknown flow"));
    };
    match answer {
        Answer::Arl(a) => {
            if !matches!(state.as_str(), "built" | "delivered") {
                return Ok(Applied::Ignored("ARL already applied"));
            }
            let new = if a.accepted {
                FlowState::Acknowledged
            } else {
                FlowState::Refused
            };
            conn.prepare_cached(
                "UPDATE prestij_flows SET state = ?2, arl_at = ?3, updated_at = ?3, reason = ?4 WHERE flow_id = ?1",
            )?
            .execute(params![flow_id, new.as_str(), at, a.reason])?;
            if !a.accepted {
                conn.prepare_cached(
                    "UPDATE prestij_enrolments SET state = 'rejected', withdraw_state = NULL, reject_code = 'ARL_KO', reject_reason = ?2, updated_at = ?3
                     WHERE flow_id = ?1 AND state = 'sent'",
                )?
                .execute(params![flow_id, a.reason, at])?;
                conn.prepare_cached(
                    "UPDATE prestij_enrolments SET withdraw_state = 'rejected', reject_code = 'ARL_KO', reject_reason = ?2, updated_at = ?3
                     WHERE withdraw_flow_id = ?1 AND withdraw_state = 'sent'",
                )?
                .execute(params![flow_id, a.reason, at])?;
                events::record(
                    conn,
                    EV_ARL_KO,
                    Some(&insurer),
                    None,
                    None,
                    &json!({"flow": flow_id, "reason": a.reason}),
                    at,
                )?;
            }
            Ok(Applied::Arl {
                accepted: a.accepted,
            })
        }
        Answer::Cr(c) => {
            if state == "reported" {
                return Ok(Applied::Ignored("CR already applied"));
            }
            // A CR implies the ARL: a peer may send them in either order.
            conn.prepare_cached(
                "UPDATE prestij_flows SET state = 'reported', cr_at = ?2, arl_at = coalesce(arl_at, ?2), updated_at = ?2 WHERE flow_id = ?1",
            )?
            .execute(params![flow_id, at])?;
            let (mut ok, mut ko) = (0, 0);
            for l in &c.lines {
                // E<id>: an enrolment line; R<id>: the withdrawal of enrolment <id>.
                let (enrol, num) = match l.reference.split_at_checked(1) {
                    Some(("E", n)) => (true, n),
                    Some(("R", n)) => (false, n),
                    _ => continue,
                };
                let Ok(id) = num.parse::<i64>() else { continue };
                let row: Option<(String, Option<i64>)> = conn
                    .prepare_cached(if enrol {
                        "SELECT siret, link_id FROM prestij_enrolments WHERE id = ?1 AND flow_id = ?2 AND state = 'sent'"
                    } else {
                        "SELECT siret, link_id FROM prestij_enrolments WHERE id = ?1 AND withdraw_flow_id = ?2 AND withdraw_state = 'sent'"
                    })?
                    .query_row(params![id, flow_id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                let Some((siret, link_id)) = row else {
                    continue;
                };
                if l.accepted {
                    ok += 1;
                    conn.prepare_cached(if enrol {
                        "UPDATE prestij_enrolments SET state = 'accepted', updated_at = ?2 WHERE id = ?1"
                    } else {
                        "UPDATE prestij_enrolments SET withdraw_state = 'accepted', updated_at = ?2 WHERE id = ?1"
                    })?
                    .execute(params![id, at])?;
                } else {
                    ko += 1;
                    // A rejected enrolment has nothing to withdraw.
                    conn.prepare_cached(if enrol {
                        "UPDATE prestij_enrolments SET state = 'rejected', withdraw_state = NULL, reject_code = ?2, reject_reason = ?3, updated_at = ?4 WHERE id = ?1"
                    } else {
                        "UPDATE prestij_enrolments SET withdraw_state = 'rejected', reject_code = ?2, reject_reason = ?3, updated_at = ?4 WHERE id = ?1"
                    })?
                    .execute(params![id, l.code, l.reason, at])?;
                    let declaration_id: Option<i64> = match link_id {
                        Some(lid) => conn
                            .prepare_cached(
                                "SELECT d.id FROM insurer_stoppages s JOIN declarations d
                                   ON d.siret = s.siret AND d.hr_ref = s.hr_ref AND d.event = 'arret'
                                 WHERE s.id = ?1 ORDER BY d.id LIMIT 1",
                            )?
                            .query_row([lid], |r| r.get(0))
                            .optional()?,
                        None => None,
                    };
                    events::record(
                        conn,
                        EV_REJECTED,
                        Some(&insurer),
                        declaration_id,
                        None,
                        &json!({
                            "siret": siret,
                            "nir": l.nir.masked(),
                            "operation": if enrol { "enrolment" } else { "withdrawal" },
                            "code": l.code,
                            "reason": l.reason,
                            "flow": flow_id,
                        }),
                        at,
                    )?;
                }
            }
            Ok(Applied::Cr {
                accepted: ok,
                rejected: ko,
            })
        }
    }
}

/// Flows whose ARL is overdue: recorded once as an alertable event. Returns how many.
pub fn check_arl_deadlines(conn: &Connection, now: DateTime<Utc>) -> Result<usize, JournalError> {
    let at = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut stmt = conn.prepare_cached(
        "SELECT flow_id, insurer_code, delivered_at FROM prestij_flows
         WHERE state = 'delivered' AND arl_alerted = 0 AND arl_due_at <= ?1",
    )?;
    let late = stmt
        .query_map([&at], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    for (flow, insurer, delivered) in &late {
        events::record(
            conn,
            EV_ARL_MISSING,
            Some(insurer),
            None,
            None,
            &json!({"flow": flow, "delivered_at": delivered}),
            &at,
        )?;
        conn.prepare_cached("UPDATE prestij_flows SET arl_alerted = 1 WHERE flow_id = ?1")?
            .execute([flow])?;
    }
    Ok(late.len())
}

/// The figures of `ijgate status` and `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Enrolments by state (pending, sent, accepted, rejected).
    pub enrolments: BTreeMap<String, i64>,
    /// Enrolments waiting for the next GESTIP (state pending).
    pub pending_enrolments: i64,
    /// Withdrawals (GESTIP RAD) by state (pending, sent, accepted, rejected).
    pub withdrawals: BTreeMap<String, i64>,
    /// GESTIP flows waiting for their ARL or CR.
    pub awaiting_answer: i64,
    /// Of which still without their ARL (built or delivered).
    pub awaiting_arl: i64,
    /// Of which acknowledged (ARL OK), waiting for the CR.
    pub awaiting_cr: i64,
    /// When the last BPIJ came in through Prest'IJ (RFC 3339), if ever.
    pub last_bpij_received: Option<String>,
    /// BPIJ received, by source (api, spool, prestij).
    pub bpij_by_source: BTreeMap<String, i64>,
    /// Open SFTP incidents ([`incident`]).
    pub open_incidents: Vec<incident::Incident>,
}

pub fn summary(conn: &Connection) -> Result<Summary, JournalError> {
    let pairs = |sql: &str| -> Result<BTreeMap<String, i64>, JournalError> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let count =
        |sql: &str| -> Result<i64, JournalError> { Ok(conn.query_row(sql, [], |r| r.get(0))?) };
    let enrolments =
        pairs("SELECT state, count(*) FROM prestij_enrolments GROUP BY state ORDER BY state")?;
    Ok(Summary {
        pending_enrolments: enrolments.get("pending").copied().unwrap_or(0),
        enrolments,
        withdrawals: pairs(
            "SELECT withdraw_state, count(*) FROM prestij_enrolments WHERE withdraw_state IS NOT NULL GROUP BY withdraw_state",
        )?,
        awaiting_answer: count(
            "SELECT count(*) FROM prestij_flows WHERE state IN ('built', 'delivered', 'acknowledged')",
        )?,
        awaiting_arl: count(
            "SELECT count(*) FROM prestij_flows WHERE state IN ('built', 'delivered')",
        )?,
        awaiting_cr: count("SELECT count(*) FROM prestij_flows WHERE state = 'acknowledged'")?,
        last_bpij_received: conn.query_row(
            "SELECT max(fetched_at) FROM bpij WHERE source = ?1",
            [BPIJ_SOURCE],
            |r| r.get(0),
        )?,
        bpij_by_source: pairs("SELECT source, count(*) FROM bpij GROUP BY source ORDER BY source")?,
        open_incidents: incident::open_all(conn)?,
    })
}

/// One enrolment as `ijgate show` prints it (NIR masked).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnrolmentView {
    pub insurer: String,
    pub nir: String,
    pub cover_from: String,
    pub state: String,
    pub flow: Option<String>,
    pub reject_reason: Option<String>,
}

/// The enrolments of a stoppage (`insurer_stoppages` of siret/hr_ref).
pub fn enrolments_of(
    conn: &Connection,
    siret: &str,
    hr_ref: &str,
) -> Result<Vec<EnrolmentView>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.insurer_code, e.nir, e.cover_from, e.state, e.flow_id, e.reject_reason
         FROM prestij_enrolments e JOIN insurer_stoppages s ON s.id = e.link_id
         WHERE s.siret = ?1 AND s.hr_ref = ?2 ORDER BY e.id",
    )?;
    let rows = stmt.query_map(params![siret, hr_ref], |r| {
        Ok(EnrolmentView {
            insurer: r.get(0)?,
            nir: crate::model::nir::mask(&r.get::<_, String>(1)?),
            cover_from: r.get(2)?,
            state: r.get(3)?,
            flow: r.get(4)?,
            reject_reason: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// `bpij.source` of the slips taken from a Prest'IJ channel.
pub const BPIJ_SOURCE: &str = "prestij";

/// The employer's share of a Prest'IJ slip: the (SIRET, NIR as written) of its subrogated
/// employees (a prestation with `IJSub` true) and the slip reduced to them; `None` when no
/// line is subrogated (the employer pays nothing in advance and gets nothing).
pub fn employer_share(b: &crate::formats::bpij::Bpij) -> (Vec<(String, String)>, Option<Vec<u8>>) {
    let mut keep = Vec::new();
    for d in &b.declares {
        for c in &d.caisses {
            for a in &c.assures {
                let subrogated = a
                    .assurances
                    .iter()
                    .flat_map(|s| &s.prestations)
                    .any(|p| p.ij_sub == Some(true));
                if subrogated {
                    keep.push((d.siret.clone(), a.nir.expose().to_string()));
                }
            }
        }
    }
    if keep.is_empty() {
        return (keep, None);
    }
    let x = crate::engine::insurer::bpij::reduced(b, &keep).to_xml();
    (keep, Some(x))
}

/// The `/metrics` gauges of [`summary`].
pub fn render_metrics(out: &mut String, s: &Summary) {
    let f = |v: &BTreeMap<String, i64>| {
        v.iter()
            .map(|(k, n)| (k.clone(), *n as f64))
            .collect::<Vec<_>>()
    };
    let one = |n: i64| [(String::new(), n as f64)];
    crate::metrics::gauge(
        out,
        "ijgate_prestij_enrolments",
        "Prest'IJ enrolments, by state (pending, sent, accepted, rejected).",
        "state",
        &f(&s.enrolments),
    );
    crate::metrics::gauge(
        out,
        "ijgate_prestij_withdrawals",
        "Prest'IJ withdrawals (GESTIP RAD), by state (pending, sent, accepted, rejected).",
        "state",
        &f(&s.withdrawals),
    );
    crate::metrics::gauge(
        out,
        "ijgate_prestij_flows_awaiting_answer",
        "GESTIP flows waiting for their ARL or CR.",
        "",
        &one(s.awaiting_answer),
    );
    crate::metrics::gauge(
        out,
        "ijgate_prestij_open_incidents",
        "Prest'IJ SFTP incidents open (one per insurer at most).",
        "",
        &one(s.open_incidents.len() as i64),
    );
    crate::metrics::gauge(
        out,
        "ijgate_bpij_received",
        "BPIJ payment slips received, by source (api, spool, prestij).",
        "source",
        &f(&s.bpij_by_source),
    );
}

/// The `prestij` object of `ijgate status --json` (`null` when Prest'IJ was never used).
pub fn status_json(conn: &Connection) -> serde_json::Value {
    match summary(conn) {
        Ok(s) if !s.enrolments.is_empty() || !s.open_incidents.is_empty() => {
            serde_json::to_value(&s).unwrap_or_default()
        }
        _ => serde_json::Value::Null,
    }
}

/// The `ijgate status` lines (nothing when Prest'IJ was never used).
pub fn print_status(conn: &Connection) {
    let Ok(s) = summary(conn) else { return };
    if s.enrolments.is_empty() && s.open_incidents.is_empty() {
        return;
    }
    println!("Prest'IJ enrolments:");
    for (state, n) in &s.enrolments {
        println!("  {state:<24} {n}");
    }
    if !s.withdrawals.is_empty() {
        println!("Prest'IJ withdrawals:");
        for (state, n) in &s.withdrawals {
            println!("  {state:<24} {n}");
        }
    }
    println!(
        "Prest'IJ flows awaiting ARL/CR: {} ({} without ARL, {} without CR)",
        s.awaiting_answer, s.awaiting_arl, s.awaiting_cr
    );
    println!(
        "last BPIJ received through Prest'IJ: {}",
        s.last_bpij_received.as_deref().unwrap_or("never")
    );
    let by_source: Vec<String> = s
        .bpij_by_source
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!("BPIJ received by source: {}", by_source.join(", "));
    println!("Prest'IJ open incidents: {}", s.open_incidents.len());
    for i in &s.open_incidents {
        println!("  {}", incident::describe(i));
    }
}

/// The `ijgate show` lines of a stoppage's enrolments.
pub fn print_show(conn: &Connection, siret: &str, hr_ref: &str) {
    let Ok(list) = enrolments_of(conn, siret, hr_ref) else {
        return;
    };
    for e in list {
        println!(
            "Prest'IJ: insurer {} NIR {} cover from {}: {}{}{}",
            e.insurer,
            e.nir,
            e.cover_from,
            e.state,
            e.flow.map(|f| format!(" (flow {f})")).unwrap_or_default(),
            e.reject_reason
                .map(|r| format!(", reason: {r}"))
                .unwrap_or_default()
        );
    }
}

#[cfg(test)]
mod tests;
