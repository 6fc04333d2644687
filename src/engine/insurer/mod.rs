//! The insurer's side: every stoppage of an insured employee is reported to the prévoyance
//! insurer of their contract (and to no other), the franchise is scheduled and fired once,
//! and BPIJ payment slips are split between the employer and the insurers.
//!
//! - [`config`]: `[[insurers]]` and the (SIRET, population) → contract routing;
//! - [`on_event`] (this file): called inside the journal transaction of every event and
//!   acknowledgement; journals the routing once (`insurer_stoppages`), keeps the franchise due
//!   time current and queues the full insurer message (XML + CSV) to `insurer/<code>`;
//! - [`franchise`]: the worker that fires `guarantee_start` / `below_franchise` at due time;
//! - [`bpij`]: BPIJ dispatch (employer: everything; insurer: its insured only);
//! - [`events`]: alertable events for the alert engine.
//!
//! Invariants: the insurer of a stoppage is decided once, at its first event, from the
//! configuration of that moment, and journaled; later events and acknowledgements (which run
//! without the configuration) follow that journaled decision. Everything is written in the
//! transaction of the event that caused it, so a crash never loses or duplicates a message.

pub mod bpij;
pub mod complement;
pub mod complement_update;
/// The `[[insurers]]` settings live in `config::insurers` (config imports nothing above the
/// domain); this path is kept for the code that names them from here.
pub use crate::config::insurers as config;
pub mod events;
pub mod franchise;
pub mod push;
pub mod spool_bpij;

use chrono::{NaiveDate, TimeZone};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

use crate::formats::insurer as fmt;
use crate::journal::{JournalError, store};
use crate::model::Stoppage;

/// What [`on_event`] needs from the configuration when a stoppage is first seen.
#[derive(Debug, Clone)]
pub struct Routing {
    pub insurers: Vec<config::Insurer>,
    pub employer_names: HashMap<String, String>,
}

impl Routing {
    /// `None` when no insurer is configured: [`on_event`] then only follows existing links.
    pub fn new(cfg: &crate::config::Config) -> Option<Arc<Routing>> {
        if cfg.insurers.is_empty() {
            return None;
        }
        Some(Arc::new(Routing {
            insurers: cfg.insurers.clone(),
            employer_names: cfg
                .employers
                .iter()
                .map(|e| (e.siret.clone(), e.name.clone()))
                .collect(),
        }))
    }
}

/// The journaled routing of one stoppage (`insurer_stoppages`).
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub id: i64,
    pub siret: String,
    pub hr_ref: String,
    pub insurer_code: String,
    pub insurer_name: String,
    pub employer_name: String,
    pub contract_ref: String,
    pub franchise_days: u32,
    pub first_day: NaiveDate,
    pub guarantee_date: NaiveDate,
    pub fired_kind: Option<String>,
}

/// A stoppage as the journal knows it now: the arret and what later events changed.
#[derive(Debug, Clone)]
pub struct View {
    pub arret_id: i64,
    pub nir: String,
    /// The arret's canonical payload (absent if it does not deserialise).
    pub stoppage: Option<Stoppage>,
    pub population: Option<String>,
    /// DSN motif code as journaled ("01", "06"...).
    pub motif: Option<String>,
    pub last_day_worked: NaiveDate,
    pub expected_end: Option<NaiveDate>,
    pub return_date: Option<NaiveDate>,
    pub cancelled: bool,
}

impl View {
    pub fn first_day(&self) -> NaiveDate {
        self.last_day_worked
            .succ_opt()
            .unwrap_or(self.last_day_worked)
    }

    /// Last day off work when known: the day before the return, else the expected end.
    pub fn last_day_off(&self) -> Option<NaiveDate> {
        match self.return_date {
            Some(r) => Some(r.pred_opt().unwrap_or(r)),
            None => self.expected_end,
        }
    }

    /// Ended (by a return) or cancelled before the guarantee day: below the franchise for
    /// sure, whatever happens later.
    pub fn surely_below(&self, guarantee: NaiveDate) -> bool {
        self.cancelled || self.return_date.is_some_and(|r| r <= guarantee)
    }

    /// At the due time: below the franchise unless still off work on the guarantee day.
    pub fn below_at_due(&self, guarantee: NaiveDate) -> bool {
        self.cancelled || self.last_day_off().is_some_and(|e| e < guarantee)
    }

    pub fn status(&self) -> fmt::StoppageStatus {
        if self.cancelled {
            fmt::StoppageStatus::Cancelled
        } else if self.return_date.is_some() {
            fmt::StoppageStatus::Ended
        } else {
            fmt::StoppageStatus::Open
        }
    }
}

fn date_of(v: &serde_json::Value, field: &str) -> Option<NaiveDate> {
    v.get(field)
        .and_then(|s| s.as_str())
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

/// Loads the stoppage (siret, hr_ref) from its declarations; `None` without an arret. A
/// prolongation the HR tool sent under another reference ([`prolongation_chains`]) extends it
/// like its own: one stoppage from the first day, one franchise, the complement goes on.
pub fn load_view(
    conn: &Connection,
    siret: &str,
    hr_ref: &str,
) -> Result<Option<View>, JournalError> {
    let Some(mut view) = load_own_view(conn, siret, hr_ref)? else {
        return Ok(None);
    };
    if view.return_date.is_none() && !view.cancelled {
        let mut chained = Vec::new();
        for c in prolongation_chains(conn, siret, &view.nir)? {
            if c.continues == hr_ref {
                view.expected_end = Some(view.expected_end.map_or(c.end, |e| e.max(c.end)));
                chained.push(c.hr_ref);
            }
        }
        // The return may come under the prolongation's reference too.
        for r in chained {
            let back: Option<String> = conn
                .prepare_cached(
                    "SELECT payload FROM declarations WHERE siret = ?1 AND hr_ref = ?2 AND event = 'reprise'
                     ORDER BY id DESC LIMIT 1",
                )?
                .query_row(params![siret, r], |row| row.get(0))
                .optional()?;
            if let Some(p) = back {
                let v: serde_json::Value = serde_json::from_str(&p).unwrap_or_default();
                view.return_date = date_of(&v, "return_date").or(view.return_date);
            }
        }
    }
    Ok(Some(view))
}

/// A prolongation sent under its own HR reference (no arrêt under it), chained to the stoppage
/// it continues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedProlongation {
    pub declaration_id: i64,
    pub hr_ref: String,
    /// The HR reference of the arrêt it continues.
    pub continues: String,
    pub end: NaiveDate,
}

/// The prolongations of employee `nir` at `siret` declared under a reference that has no
/// arrêt, each chained to the arrêt it continues: same employee (SIRET and NIR), the
/// prolongation event (the HR tool's flag), and contiguous dates — the arrêt is running (no
/// return, not cancelled) and the prolongation starts within it or the day after its current
/// end (its `last_day_worked`, when given, is at most that end: no day worked in between).
/// Among several, the latest arrêt wins; prolongations are applied in arrival order, so a
/// second one chains through the first. Unchained ones stay what they were (recorded only).
pub fn prolongation_chains(
    conn: &Connection,
    siret: &str,
    nir: &str,
) -> Result<Vec<ChainedProlongation>, JournalError> {
    let nir13: String = nir.chars().take(13).collect();
    let refs: Vec<String> = conn
        .prepare_cached(
            "SELECT DISTINCT hr_ref FROM declarations
             WHERE siret = ?1 AND substr(nir, 1, 13) = ?2 AND event = 'arret' ORDER BY hr_ref",
        )?
        .query_map(params![siret, nir13], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if refs.is_empty() {
        return Ok(Vec::new());
    }
    // (hr_ref, last day worked, current end) of the running arrêts.
    let mut running: Vec<(String, NaiveDate, Option<NaiveDate>)> = Vec::new();
    for r in &refs {
        if let Some(v) = load_own_view(conn, siret, r)?
            && !v.cancelled
            && v.return_date.is_none()
        {
            running.push((r.clone(), v.last_day_worked, v.expected_end));
        }
    }
    let foreign: Vec<(i64, String, String)> = conn
        .prepare_cached(
            "SELECT d.id, d.hr_ref, d.payload FROM declarations d
             WHERE d.siret = ?1 AND substr(d.nir, 1, 13) = ?2 AND d.event = 'prolongation'
               AND d.state != 'cancelled'
               AND NOT EXISTS (SELECT 1 FROM declarations a
                               WHERE a.siret = d.siret AND a.hr_ref = d.hr_ref AND a.event = 'arret')
             ORDER BY d.id",
        )?
        .query_map(params![siret, nir13], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (id, hr_ref, payload) in foreign {
        let v: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
        let Some(end) = date_of(&v, "expected_end") else {
            continue;
        };
        let ldw = date_of(&v, "last_day_worked");
        let target = running
            .iter_mut()
            .filter(|(_, first_ldw, current_end)| match ldw {
                // Starts within the arrêt or the day after its end.
                Some(l) => *first_ldw <= l && current_end.is_none_or(|e| l <= e),
                None => *first_ldw < end,
            })
            .max_by_key(|(_, first_ldw, _)| *first_ldw);
        if let Some((continues, _, current_end)) = target {
            *current_end = Some(current_end.map_or(end, |e| e.max(end)));
            out.push(ChainedProlongation {
                declaration_id: id,
                hr_ref,
                continues: continues.clone(),
                end,
            });
        }
    }
    Ok(out)
}

/// The HR reference of the arrêt that a prolongation declared under `hr_ref` (with no arrêt of
/// its own) continues, if it is chained to one.
pub fn continued_stoppage(
    conn: &Connection,
    siret: &str,
    hr_ref: &str,
) -> Result<Option<String>, JournalError> {
    let row: Option<String> = conn
        .prepare_cached(
            "SELECT nir FROM declarations WHERE siret = ?1 AND hr_ref = ?2 AND event = 'prolongation'
               AND NOT EXISTS (SELECT 1 FROM declarations a WHERE a.siret = ?1 AND a.hr_ref = ?2 AND a.event = 'arret')
             ORDER BY id LIMIT 1",
        )?
        .query_row(params![siret, hr_ref], |r| r.get(0))
        .optional()?;
    let Some(nir) = row else {
        return Ok(None);
    };
    Ok(prolongation_chains(conn, siret, &nir)?
        .into_iter()
        .find(|c| c.hr_ref == hr_ref)
        .map(|c| c.continues))
}

/// The stoppage (siret, hr_ref) from its own declarations only.
fn load_own_view(
    conn: &Connection,
    siret: &str,
    hr_ref: &str,
) -> Result<Option<View>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, event, state, nir, payload FROM declarations WHERE siret = ?1 AND hr_ref = ?2 ORDER BY id",
    )?;
    let rows = stmt
        .query_map(params![siret, hr_ref], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut view: Option<View> = None;
    let (mut prolonged, mut returned, mut annulled) = (None::<NaiveDate>, None, false);
    for (id, event, state, nir, payload) in rows {
        let v: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
        match event.as_str() {
            "arret" => {
                let Some(ldw) = date_of(&v, "last_day_worked") else {
                    continue;
                };
                view = Some(View {
                    arret_id: id,
                    nir,
                    stoppage: serde_json::from_value(v.clone()).ok(),
                    population: v
                        .pointer("/contract/population")
                        .and_then(|p| p.as_str())
                        .map(str::to_string),
                    motif: v.get("reason").and_then(|m| m.as_str()).map(str::to_string),
                    last_day_worked: ldw,
                    expected_end: date_of(&v, "expected_end"),
                    return_date: date_of(&v, "return_date"),
                    cancelled: state == "cancelled",
                });
            }
            "prolongation" => {
                if let Some(e) = date_of(&v, "expected_end") {
                    prolonged = Some(prolonged.map_or(e, |p: NaiveDate| p.max(e)));
                }
            }
            "reprise" => returned = date_of(&v, "return_date").or(returned),
            "annulation" => annulled = annulled || !matches!(state.as_str(), "rejected" | "failed"),
            _ => {}
        }
    }
    Ok(view.map(|mut v| {
        if let Some(p) = prolonged {
            v.expected_end = Some(v.expected_end.map_or(p, |e| e.max(p)));
        }
        v.return_date = returned.or(v.return_date);
        v.cancelled |= annulled;
        v
    }))
}

/// First day the contract pays: `first_day + franchise_days` (saturating: no panic at the end
/// of the calendar).
pub fn guarantee_date(first_day: NaiveDate, franchise_days: u32) -> NaiveDate {
    first_day
        .checked_add_days(chrono::Days::new(franchise_days.into()))
        .unwrap_or(NaiveDate::MAX)
}

/// 00:00 Europe/Paris of `d`, as a journal time (RFC 3339 UTC, millis).
pub fn paris_midnight(d: NaiveDate) -> String {
    let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    let utc = chrono_tz::Europe::Paris
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| local.and_utc());
    utc.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The journaled routing of a stoppage.
pub fn link(conn: &Connection, siret: &str, hr_ref: &str) -> Result<Option<Link>, JournalError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, siret, hr_ref, insurer_code, insurer_name, employer_name, contract_ref, franchise_days,
                    first_day, guarantee_date, fired_kind
             FROM insurer_stoppages WHERE siret = ?1 AND hr_ref = ?2",
        )?
        .query_row(params![siret, hr_ref], link_row)
        .optional()?)
}

pub(crate) fn link_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Link> {
    let id: i64 = r.get(0)?;
    // A date that does not read back is a damaged row: a located error, never 1970-01-01.
    let d = |column: &'static str, s: String| {
        NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| {
            JournalError::Corrupt {
                table: "insurer_stoppages",
                row: id.to_string(),
                column,
                value: s.clone(),
                expected: "date (YYYY-MM-DD)",
            }
            .into_sql()
        })
    };
    Ok(Link {
        id,
        siret: r.get(1)?,
        hr_ref: r.get(2)?,
        insurer_code: r.get(3)?,
        insurer_name: r.get(4)?,
        employer_name: r.get(5)?,
        contract_ref: r.get(6)?,
        franchise_days: r.get(7)?,
        first_day: d("first_day", r.get(8)?)?,
        guarantee_date: d("guarantee_date", r.get(9)?)?,
        fired_kind: r.get(10)?,
    })
}

/// The hook: called in the journal transaction of every event on declaration `decl_id`
/// (ingest, with `routing`) and of every acknowledgement (exchange, `routing = None`).
/// Queues the insurer message of the whole stoppage to its insurer, if it has one.
pub fn on_event(
    conn: &Connection,
    decl_id: i64,
    routing: Option<&Arc<Routing>>,
    at: &str,
) -> Result<(), JournalError> {
    let key: Option<(String, String)> = conn
        .prepare_cached("SELECT siret, hr_ref FROM declarations WHERE id = ?1")?
        .query_row([decl_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((siret, hr_ref)) = key else {
        return Ok(());
    };
    // A prolongation the HR tool declared under a new reference is an event of the stoppage
    // it continues: that stoppage's link, franchise and message (never a second franchise).
    let hr_ref = match continued_stoppage(conn, &siret, &hr_ref)? {
        Some(initial) => initial,
        None => hr_ref,
    };
    let existing = link(conn, &siret, &hr_ref)?;
    if existing.is_none() && routing.is_none() {
        return Ok(());
    }
    let Some(view) = load_view(conn, &siret, &hr_ref)? else {
        return Ok(());
    };
    let first_day = view.first_day();
    let link = match existing {
        Some(l) => {
            if l.fired_kind.is_none() {
                // Dates may have been corrected: the franchise follows them until it fired.
                let guarantee = guarantee_date(first_day, l.franchise_days);
                let due = if view.surely_below(guarantee) {
                    at.to_string()
                } else {
                    paris_midnight(guarantee)
                };
                conn.prepare_cached(
                    "UPDATE insurer_stoppages SET first_day = ?2, guarantee_date = ?3, due_at = ?4, updated_at = ?5 WHERE id = ?1",
                )?
                .execute(params![l.id, first_day.to_string(), guarantee.to_string(), due, at])?;
                Link {
                    first_day,
                    guarantee_date: guarantee,
                    ..l
                }
            } else {
                l
            }
        }
        None => {
            let Some(routing) = routing else {
                return Ok(());
            };
            let Some(route) = config::route(&routing.insurers, &siret, view.population.as_deref())
            else {
                let already: bool = conn
                    .prepare_cached(
                        "SELECT 1 FROM insurer_events WHERE kind = ?1 AND declaration_id = ?2",
                    )?
                    .query_row(params![events::NO_CONTRACT, view.arret_id], |_| Ok(()))
                    .optional()?
                    .is_some();
                // Once per stoppage, not at each of its events.
                if config::covers_siret(&routing.insurers, &siret) && !already {
                    events::record(
                        conn,
                        events::NO_CONTRACT,
                        None,
                        Some(view.arret_id),
                        None,
                        &json!({"siret": siret, "hr_ref": hr_ref, "population": view.population}),
                        at,
                    )?;
                }
                return Ok(());
            };
            let guarantee = guarantee_date(first_day, route.contract.franchise_days);
            let due = if view.surely_below(guarantee) {
                at.to_string()
            } else {
                paris_midnight(guarantee)
            };
            let employer_name = routing
                .employer_names
                .get(&siret)
                .cloned()
                .unwrap_or_default();
            conn.prepare_cached(
                "INSERT INTO insurer_stoppages (siret, hr_ref, insurer_code, insurer_name, employer_name, contract_ref,
                    franchise_days, first_day, guarantee_date, due_at, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
            )?
            .execute(params![
                siret,
                hr_ref,
                route.insurer.code,
                route.insurer.name,
                employer_name,
                route.contract.reference,
                route.contract.franchise_days,
                first_day.to_string(),
                guarantee.to_string(),
                due,
                at
            ])?;
            Link {
                id: conn.last_insert_rowid(),
                siret: siret.clone(),
                hr_ref: hr_ref.clone(),
                insurer_code: route.insurer.code.clone(),
                insurer_name: route.insurer.name.clone(),
                employer_name,
                contract_ref: route.contract.reference.clone(),
                franchise_days: route.contract.franchise_days,
                first_day,
                guarantee_date: guarantee,
                fired_kind: None,
            }
        }
    };
    // Prest'IJ: enrol the employee when the insurer receives its BPIJ through Prest'IJ.
    if routing.is_some_and(|r| {
        r.insurers
            .iter()
            .any(|i| i.code == link.insurer_code && i.prestij.is_some())
    }) {
        let subject = crate::engine::prestij::Subject {
            insurer_code: &link.insurer_code,
            siret: &siret,
            link_id: link.id,
            view: &view,
        };
        crate::engine::prestij::on_stoppage(conn, &subject, at)?;
    }
    enqueue_message(
        conn,
        &link,
        &view,
        decl_id,
        fmt::MessageKind::Stoppage,
        None,
        at,
    )
}

/// Builds the message of a stoppage and queues it (XML and CSV) for its insurer.
pub(crate) fn enqueue_message(
    conn: &Connection,
    link: &Link,
    view: &View,
    history_decl: i64,
    kind: fmt::MessageKind,
    guarantee: Option<fmt::Guarantee>,
    at: &str,
) -> Result<(), JournalError> {
    let Some(msg) = build_message(conn, link, view, kind, guarantee, at)? else {
        return Ok(());
    };
    let dest = format!("insurer/{}", link.insurer_code);
    let stem = crate::engine::notices::stem(Some(&link.hr_ref), kind.as_str());
    // One sequence for the message: `<stem>_<n>.xml` and `<stem>_<n>.csv` pair by name.
    let files = store::enqueue_files(
        conn,
        Some(history_decl),
        &dest,
        &stem,
        &[
            ("xml", msg.to_xml().as_slice()),
            ("csv", msg.to_csv().as_slice()),
        ],
        at,
    )?;
    let detail =
        json!({"insurer": link.insurer_code, "kind": kind.as_str(), "files": files}).to_string();
    store::add_history(
        conn,
        history_decl,
        "insurer_notified",
        None,
        None,
        Some(&detail),
        at,
    )
}

/// The insurer message of a stoppage as journaled now; `None` if its payload is unreadable.
pub fn build_message(
    conn: &Connection,
    link: &Link,
    view: &View,
    kind: fmt::MessageKind,
    guarantee: Option<fmt::Guarantee>,
    at: &str,
) -> Result<Option<fmt::InsurerMessage>, JournalError> {
    let Some(s) = &view.stoppage else {
        return Ok(None);
    };
    let acks = acknowledgements(conn, &link.siret, &link.hr_ref)?;
    Ok(Some(fmt::InsurerMessage {
        kind,
        generated_at: at.to_string(),
        insurer: fmt::Party {
            code: link.insurer_code.clone(),
            name: link.insurer_name.clone(),
        },
        contract_reference: link.contract_ref.clone(),
        franchise_days: link.franchise_days,
        employer: fmt::Party {
            code: link.siret.clone(),
            name: link.employer_name.clone(),
        },
        employee: fmt::EmployeeInfo {
            nir: s.employee.nir.body().to_string(),
            last_name: s.employee.last_name.clone(),
            first_names: s.employee.first_names.clone(),
            birth_date: s.employee.birth_date,
            sex: s.employee.sex.map(|x| x.dsn_code().to_string()),
            employee_id: s.employee.employee_id.clone(),
        },
        employment_contract: s.contract.as_ref().map(|c| fmt::ContractInfo {
            number: c.number.clone(),
            start: c.start,
            nature: c.nature.clone(),
            population: c.population.clone(),
            job_title: c.job_title.clone(),
        }),
        stoppage: fmt::StoppageInfo {
            hr_ref: link.hr_ref.clone(),
            motif: s
                .reason
                .map(|m| m.dsn_code())
                .unwrap_or_else(|| "01".into()),
            last_day_worked: view.last_day_worked,
            first_day: view.first_day(),
            expected_end: view.expected_end,
            return_date: view.return_date,
            accident_date: s.accident_date,
            status: view.status(),
        },
        subrogation: s.subrogation.as_ref().map(|x| fmt::SubrogationInfo {
            start: x.start,
            end: x.end,
        }),
        salaries: s.salaries.iter().take(12).map(|a| a.0).collect(),
        guarantee_date: link.guarantee_date,
        acknowledgements: acks,
        guarantee,
        test: store::stoppage_is_test(conn, &link.siret, &link.hr_ref)?,
    }))
}

/// Every return journaled for the deposits of a stoppage's declarations, in arrival order.
pub fn acknowledgements(
    conn: &Connection,
    siret: &str,
    hr_ref: &str,
) -> Result<Vec<fmt::Ack>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.event, r.idflux, r.nature, r.return_id, r.statut, r.outcome, r.updated_at
         FROM returns r JOIN deposits p ON r.deposit_id = p.id JOIN declarations d ON p.declaration_id = d.id
         WHERE d.siret = ?1 AND d.hr_ref = ?2 ORDER BY r.id",
    )?;
    let rows = stmt.query_map(params![siret, hr_ref], |r| {
        Ok(fmt::Ack {
            event: r.get(0)?,
            idflux: r.get(1)?,
            nature: r.get(2)?,
            return_id: r.get(3)?,
            statut: r.get(4)?,
            outcome: r.get(5)?,
            at: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Retention: routing rows of stoppages whose declarations are gone, BPIJ lines and alerted
/// events older than `cutoff`; returns the number of rows deleted. Runs inside the purge
/// transaction, after the declarations.
pub fn purge(conn: &Connection, cutoff: &str) -> Result<usize, JournalError> {
    let mut n = conn.execute(
        "DELETE FROM insurer_stoppages WHERE updated_at < ?1
           AND NOT EXISTS (SELECT 1 FROM declarations d WHERE d.siret = insurer_stoppages.siret AND d.hr_ref = insurer_stoppages.hr_ref)",
        [cutoff],
    )?;
    n += conn.execute("DELETE FROM bpij_lines WHERE at < ?1", [cutoff])?;
    n += conn.execute(
        "DELETE FROM insurer_events WHERE at < ?1 AND alerted_at IS NOT NULL",
        [cutoff],
    )?;
    Ok(n)
}

#[cfg(test)]
pub(crate) mod tests;
