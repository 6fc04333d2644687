//! Enrolment driven by the insurer's DSN (issue 12: "when the insurer's DSN are read, enrol
//! every affiliated employee of the insurer's contracts from the affiliation start, and
//! withdraw them when the contract or affiliation ends").
//!
//! A lot read at the DSN door (`spool/inbound/dsn/`) is streamed once more here, before the
//! door archives it ([`on_dsn_lot`], the door's one call): for every insurer with
//! `[insurers.prestij]`, each individual affiliated (block S21.G00.70) to an adhesion
//! (S21.G00.15) whose contract reference (S21.G00.15.001) is one of the insurer's contracts
//! for that SIRET (and population, S21.G00.70.005, when the contract names populations):
//!
//! - is enrolled (GESTIP `INS`, cover type IJ) from the affiliation start (S21.G00.70.014;
//!   absent, the affiliation follows the work contract, S21.G00.40.001), in the past if need be
//!   (retroactivity);
//! - is withdrawn (GESTIP `RAD`) at the affiliation end (S21.G00.70.015) or the work contract
//!   end (S21.G00.62.001), whichever comes first;
//! - is withdrawn at the end of the last month it was declared when a later complete monthly
//!   DSN of its establishment no longer shows it affiliated to the insurer (the individual left
//!   the DSN, or the contract left the establishment's adhesions).
//!
//! Norm values (../shared/reference/open-neodes/open-neodes_norm-P26V01.yaml): test envois
//! (S10.G00.00.005 = 01) and cancelling declarations (S20.G00.05.002 = 04) are ignored; the
//! "left the DSN" rule only reads complete monthly declarations: nature 01 (S20.G00.05.001),
//! a single fraction (S20.G00.05.003 = 11), total field (S20.G00.05.008 = 01); a signalement
//! names one individual and says nothing of the others.
//!
//! Only enrolments of source `dsn` are withdrawn: an enrolment made for a stoppage stays (the
//! guarantees of a stoppage under way are maintained after the contract ends, loi Évin
//! 89-1009 art. 7).
//!
//! Idempotent across replays and restarts: one row per (insurer, NIR, cover start) (the
//! journal's unique key), a withdrawal is recorded once (`withdraw_state`), a month older than
//! the last one seen never withdraws, and the whole lot is one journal transaction committed
//! before the door moves the lot (a crash before the move replays a no-op).

use chrono::{Datelike, NaiveDate};
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::BTreeSet;
use std::path::Path;

use crate::config::insurers::Insurer;
use crate::dsn::extract::Extractor;
use crate::dsn::model::{Declaration, Individual};
use crate::journal::{Journal, JournalError};
use crate::neodes::reader::{Event, Options, Reader};

/// `prestij_enrolments.source` of the enrolments made from a DSN.
pub const SOURCE: &str = "dsn";

/// One individual affiliated to one insurer's contracts in one declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affiliated {
    pub insurer: String,
    pub siret: String,
    pub nir: String,
    pub last_name: String,
    pub first_name: Option<String>,
    /// The declared month (first day).
    pub month: NaiveDate,
    pub from: NaiveDate,
    /// The affiliation or contract end, when declared.
    pub to: Option<NaiveDate>,
}

/// A complete monthly declaration of an establishment covered by a Prest'IJ insurer: whoever
/// that insurer enrolled from an earlier DSN of this SIRET and is not in it has left.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Complete {
    pub insurer: String,
    pub siret: String,
    pub month: NaiveDate,
}

/// What a lot says, for the insurers with Prest'IJ.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LotFacts {
    pub affiliated: Vec<Affiliated>,
    pub complete: BTreeSet<Complete>,
    /// Affiliations that could not be used, with why (line numbers, never a NIR).
    pub skipped: Vec<String>,
}

fn prestij_insurers(insurers: &[Insurer]) -> impl Iterator<Item = &Insurer> {
    insurers.iter().filter(|i| i.prestij.is_some())
}

/// Whether the declaration is read at all: real envois, not cancellations.
fn usable(d: &Declaration) -> bool {
    d.envoi.test_or_real != "01" && d.kind != "04" && d.month.is_some()
}

/// Whether it lists every individual of its establishments (see the module doc).
fn is_complete(d: &Declaration) -> bool {
    d.nature == "01" && d.fraction == "11" && (d.champ.is_empty() || d.champ == "01")
}

/// Pure: the affiliations of one individual of establishment `k` of `d` to the contracts of
/// Prest'IJ insurers.
pub fn individual(
    d: &Declaration,
    k: usize,
    i: &Individual,
    insurers: &[Insurer],
    out: &mut LotFacts,
) {
    let (Some(e), Some(month)) = (d.establishments.get(k), d.month) else {
        return;
    };
    if !usable(d) {
        return;
    }
    let siret = d.siret(e);
    for ins in prestij_insurers(insurers) {
        let mut from: Option<NaiveDate> = None;
        let mut ends: Vec<Option<NaiveDate>> = Vec::new();
        for c in &i.contracts {
            let contract_end = c.end.as_ref().and_then(|x| x.date);
            for a in &c.affiliations {
                let Some(adh) = e.adhesions.iter().find(|x| x.id == a.adhesion_id) else {
                    continue;
                };
                let covers = ins.contracts.iter().any(|ct| {
                    ct.reference == adh.contract_ref
                        && ct.sirets.contains(&siret)
                        && (ct.populations.is_empty()
                            || a.population.as_deref().is_some_and(|p| {
                                ct.populations.iter().any(|q| q.eq_ignore_ascii_case(p))
                            }))
                });
                if !covers {
                    continue;
                }
                let Some(start) = a.start.or(c.start) else {
                    out.skipped.push(format!(
                        "line {}: affiliation {:?} has no start (S21.G00.70.014) and its contract none (S21.G00.40.001)",
                        a.line, a.id
                    ));
                    continue;
                };
                let end = match (a.end, contract_end) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, y) => x.or(y),
                };
                if end.is_some_and(|x| x < start) {
                    out.skipped.push(format!(
                        "line {}: affiliation {:?} ends before it starts (S21.G00.70.015)",
                        a.line, a.id
                    ));
                    continue;
                }
                from = Some(from.map_or(start, |f| f.min(start)));
                ends.push(end);
            }
        }
        let Some(from) = from else { continue };
        // GESTIP names the employee by NIR (gestip-model-v1.xsd `Nir`): an individual declared
        // with a temporary number (NIA/NTT) or a malformed one cannot be enrolled.
        let nir = match i.nir.validate() {
            Ok(n) => n,
            Err(e) => {
                out.skipped.push(format!(
                    "line {}: NIR S21.G00.30.001 not usable for Prest'IJ ({e})",
                    i.line
                ));
                continue;
            }
        };
        // Covered until the last of its affiliations ends; open if any is open.
        let to = if ends.iter().any(Option::is_none) {
            None
        } else {
            ends.into_iter().flatten().max()
        };
        let first = i.first_names.split_whitespace().next().map(str::to_string);
        out.affiliated.push(Affiliated {
            insurer: ins.code.clone(),
            siret: siret.clone(),
            nir: nir.body().to_string(),
            last_name: i.last_name.clone(),
            first_name: first,
            month,
            from,
            to,
        });
    }
}

/// Pure: the complete monthly declarations of `d`'s establishments, per Prest'IJ insurer
/// whose contracts name them.
pub fn declaration(d: &Declaration, insurers: &[Insurer], out: &mut LotFacts) {
    let Some(month) = d.month else { return };
    if !usable(d) || !is_complete(d) {
        return;
    }
    for e in &d.establishments {
        let siret = d.siret(e);
        for ins in prestij_insurers(insurers) {
            if ins.contracts.iter().any(|c| c.sirets.contains(&siret)) {
                out.complete.insert(Complete {
                    insurer: ins.code.clone(),
                    siret: siret.clone(),
                    month,
                });
            }
        }
    }
}

/// Streams a DSN file (flat memory: one individual at a time, as the door's analysis does).
pub fn read_lot(path: &Path, insurers: &[Insurer]) -> std::io::Result<LotFacts> {
    let f = crate::fsio::open_regular(path).map_err(|e| std::io::Error::other(e.to_string()))?;
    read(std::io::BufReader::new(f), insurers)
}

/// [`read_lot`] over any reader.
pub fn read(src: impl std::io::Read, insurers: &[Insurer]) -> std::io::Result<LotFacts> {
    let mut out = LotFacts::default();
    let mut reader = Reader::with_options(src, Options::default());
    let mut x = Extractor::streaming();
    while let Some(ev) = reader.next_event() {
        let Event::Item(item) = ev else { continue };
        let done = x.push(&item);
        if let Some((k, i)) = x.take_individual()
            && let Some(d) = done.as_deref().or(x.current())
        {
            individual(d, k, &i, insurers, &mut out);
        }
        if let Some(d) = done {
            declaration(&d, insurers, &mut out);
        }
    }
    if let Some(d) = x.finish() {
        if let Some((k, i)) = x.take_individual() {
            individual(&d, k, &i, insurers, &mut out);
        }
        declaration(&d, insurers, &mut out);
    }
    match reader.take_io_error() {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// What applying a lot did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    pub enrolled: usize,
    pub withdrawn: usize,
}

fn month_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn last_day_of(month: NaiveDate) -> NaiveDate {
    month
        .with_day(1)
        .and_then(|m| m.checked_add_months(chrono::Months::new(1)))
        .and_then(|m| m.pred_opt())
        .unwrap_or(month)
}

/// Ends enrolment `id` on `end`: not yet sent, it leaves with its end date; sent or accepted,
/// a withdrawal (RAD) is queued; rejected, only the date is kept. Returns whether a
/// withdrawal was queued or the period closed.
fn withdraw(conn: &Connection, id: i64, end: NaiveDate, at: &str) -> Result<bool, JournalError> {
    let n = conn
        .prepare_cached(
            "UPDATE prestij_enrolments SET cover_to = ?2,
                withdraw_state = CASE WHEN state IN ('sent', 'accepted') THEN 'pending' ELSE withdraw_state END,
                updated_at = ?3
             WHERE id = ?1 AND cover_to IS NULL AND withdraw_state IS NULL AND cover_from <= ?2",
        )?
        .execute(params![id, month_text(end), at])?;
    Ok(n > 0)
}

/// Applies what a lot says, in one transaction with nothing else (call inside a journal
/// write). Months are applied in order, so a lot holding several months ends in the state of
/// the last.
pub fn apply(conn: &Connection, facts: &LotFacts, at: &str) -> Result<Applied, JournalError> {
    let mut done = Applied::default();
    let mut affiliated: Vec<&Affiliated> = facts.affiliated.iter().collect();
    affiliated.sort_by_key(|a| a.month);
    for a in affiliated {
        let month = month_text(a.month);
        // Already covered from that start or earlier by an enrolment still open (any source).
        let covering: Option<(i64, String)> = conn
            .prepare_cached(
                "SELECT id, source FROM prestij_enrolments
                 WHERE insurer_code = ?1 AND substr(nir, 1, 13) = ?2 AND state != 'rejected'
                   AND cover_from <= ?3 AND cover_to IS NULL
                 ORDER BY source = 'dsn' DESC, cover_from LIMIT 1",
            )?
            .query_row(params![a.insurer, a.nir, month_text(a.from)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let id = match covering {
            Some((id, _)) => Some(id),
            None => {
                let n = conn
                    .prepare_cached(
                        "INSERT OR IGNORE INTO prestij_enrolments
                            (insurer_code, siret, nir, last_name, first_name, cover_from, source, state, dsn_month, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?9, ?9)",
                    )?
                    .execute(params![
                        a.insurer,
                        a.siret,
                        a.nir,
                        if a.last_name.is_empty() { "INCONNU" } else { a.last_name.as_str() },
                        a.first_name,
                        month_text(a.from),
                        SOURCE,
                        month,
                        at
                    ])?;
                if n > 0 {
                    done.enrolled += 1;
                    Some(conn.last_insert_rowid())
                } else {
                    // The same period was enrolled by an earlier lot (since closed, or
                    // rejected). Rejected and the DSN now names the employee otherwise: the
                    // identity was corrected, send it again (as for a stoppage).
                    let row: Option<(i64, String, String, Option<String>)> = conn
                        .prepare_cached(
                            "SELECT id, state, last_name, first_name FROM prestij_enrolments
                             WHERE insurer_code = ?1 AND nir = ?2 AND cover_from = ?3",
                        )?
                        .query_row(params![a.insurer, a.nir, month_text(a.from)], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                        })
                        .optional()?;
                    if let Some((id, state, last, first)) = &row
                        && state == "rejected"
                        && !a.last_name.is_empty()
                        && (*last != a.last_name || *first != a.first_name)
                    {
                        conn.prepare_cached(
                            "UPDATE prestij_enrolments SET last_name = ?2, first_name = ?3, state = 'pending',
                                flow_id = NULL, reject_code = NULL, reject_reason = NULL, updated_at = ?4
                             WHERE id = ?1",
                        )?
                        .execute(params![id, a.last_name, a.first_name, at])?;
                        done.enrolled += 1;
                    }
                    row.map(|r| r.0)
                }
            }
        };
        let Some(id) = id else { continue };
        // The last month this DSN row was seen (never moves back on a replayed older lot).
        conn.prepare_cached(
            "UPDATE prestij_enrolments SET dsn_month = ?2
             WHERE id = ?1 AND source = 'dsn' AND (dsn_month IS NULL OR dsn_month < ?2)",
        )?
        .execute(params![id, month])?;
        if let Some(end) = a.to {
            let is_dsn: bool = conn
                .prepare_cached("SELECT source = 'dsn' FROM prestij_enrolments WHERE id = ?1")?
                .query_row([id], |r| r.get(0))?;
            if is_dsn && withdraw(conn, id, end, at)? {
                done.withdrawn += 1;
            }
        }
    }
    // Left the DSN: open DSN enrolments of a completely declared SIRET last seen before.
    for c in &facts.complete {
        let month = month_text(c.month);
        let gone: Vec<(i64, String)> = conn
            .prepare_cached(
                "SELECT id, dsn_month FROM prestij_enrolments
                 WHERE insurer_code = ?1 AND siret = ?2 AND source = 'dsn' AND cover_to IS NULL
                   AND withdraw_state IS NULL AND state != 'rejected' AND dsn_month < ?3",
            )?
            .query_map(params![c.insurer, c.siret, month], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        for (id, last) in gone {
            let last = NaiveDate::parse_from_str(&last, "%Y-%m-%d").map_err(|_| {
                JournalError::Data(format!("prestij_enrolments {id}: dsn_month {last:?}"))
            })?;
            if withdraw(conn, id, last_day_of(last), at)? {
                done.withdrawn += 1;
            }
        }
    }
    Ok(done)
}

/// The DSN door's call, on a blocking thread, before it archives the lot: reads the lot for
/// the Prest'IJ insurers of `insurers` and journals what it says. An unreadable lot is left to
/// the door (which moves it aside with its report); a journal failure is returned, and the
/// door then leaves the lot in place to retry it.
pub fn on_dsn_lot(journal: &Journal, insurers: &[Insurer], path: &Path) -> std::io::Result<()> {
    use crate::metrics::PRESTIJ_AFFILIATIONS as M;
    if prestij_insurers(insurers).next().is_none() {
        return Ok(());
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let facts = match read_lot(path, insurers) {
        Ok(f) => f,
        Err(e) => {
            M.inc("unreadable");
            crate::internal_events::unreadable_input(
                "DSN lot for Prest'IJ enrolment (left to the DSN door)",
                &name.as_deref().unwrap_or("?"),
                &e,
            );
            return Ok(());
        }
    };
    for s in &facts.skipped {
        M.inc("skipped");
        crate::internal_events::unreadable_input(
            "DSN affiliation (not enrolled)",
            &name.as_deref().unwrap_or("?"),
            s,
        );
    }
    if facts.affiliated.is_empty() && facts.complete.is_empty() {
        return Ok(());
    }
    let applied = journal
        .write_blocking(move |c| apply(c, &facts, &crate::journal::now()))
        .map_err(|e| {
            M.inc("failed");
            std::io::Error::other(format!("prestij: DSN affiliations not journaled: {e}"))
        })?;
    for _ in 0..applied.enrolled {
        M.inc("enrolled");
    }
    for _ in 0..applied.withdrawn {
        M.inc("withdrawn");
    }
    tracing::info!(file = ?name, enrolled = applied.enrolled, withdrawn = applied.withdrawn, "prestij: DSN affiliations journaled");
    Ok(())
}

#[cfg(test)]
#[path = "affiliations_tests.rs"]
mod tests;
