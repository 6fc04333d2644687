//! BPIJ dispatch: each slip stored in the `bpij` table (from the API DSN or a Prest'IJ file
//! dropped in the spool) is parsed, each employee line matched to a journaled stoppage, and
//! dispatched once:
//! - to the employer (`hr`): the original XML byte for byte plus a JSON summary of every
//!   employee (matched or `"unmatched": true`);
//! - to each insurer (`insurer/<code>`): a JSON summary of its insured only, plus a reduced
//!   copy of the XML holding only its insured's `Assure` elements (re-serialised, with the
//!   `Cumul` totals of Caisse/Declare/Declarant recomputed over what remains).
//!
//! Matching: same establishment SIRET, same NIR (13 characters; a 15-character NIR is matched
//! on its first 13), and the slip's period overlapping the stoppage (first day ..= day before
//! the return, else the expected end, else open). Cancelled stoppages never match. The
//! all-9 placeholder NIR (recovery lines) goes to the employer only and is not an alert.
//!
//! Once: `dispatched_at` is set in the same transaction as the queued files; the `ref` column
//! is unique, so a slip seen twice is stored — and dispatched — once; the same bytes arriving
//! under another ref (API and Prest'IJ feed) are not dispatched again (same SHA-256).

use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

use super::events;
use crate::formats::bpij::{Bpij, EmployeeSummary};
use crate::journal::{JournalError, store};

/// One employee line of a slip, as dispatched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineSummary {
    pub siret: String,
    pub nir: String,
    pub last_name: String,
    pub first_name: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub gross_ij: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub csg: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub crds: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub net: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub days: Decimal,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    #[serde(with = "rust_decimal::serde::str")]
    pub overpayment_recovered: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub indu: Decimal,
    pub declaration_id: Option<i64>,
    pub hr_ref: Option<String>,
    pub insurer: Option<String>,
    pub unmatched: bool,
    pub placeholder: bool,
}

/// The stoppage a BPIJ line belongs to: (arret declaration id, hr_ref).
pub fn match_line(
    conn: &Connection,
    s: &EmployeeSummary,
) -> Result<Option<(i64, String)>, JournalError> {
    let nir13 = s.nir.without_key();
    let hr_refs = conn
        .prepare_cached(
            "SELECT DISTINCT hr_ref FROM declarations WHERE siret = ?1 AND event = 'arret' AND nir = ?2",
        )?
        .query_map(params![s.siret_declare, nir13], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut best: Option<(chrono::NaiveDate, i64, String)> = None;
    for hr_ref in hr_refs {
        let Some(v) = super::load_view(conn, &s.siret_declare, &hr_ref)? else {
            continue;
        };
        if v.cancelled {
            continue;
        }
        let overlaps = match s.period {
            Some((from, to)) => {
                v.first_day() <= to && v.last_day_off().is_none_or(|end| end >= from)
            }
            None => true,
        };
        if overlaps && best.as_ref().is_none_or(|b| v.first_day() > b.0) {
            best = Some((v.first_day(), v.arret_id, hr_ref));
        }
    }
    Ok(best.map(|(_, id, r)| (id, r)))
}

/// Dispatches every stored BPIJ not dispatched yet; returns how many files were queued.
pub fn dispatch_pending(conn: &Connection, at: &str) -> Result<usize, JournalError> {
    let pending = conn
        .prepare_cached(
            "SELECT id, source, ref, xml FROM bpij WHERE dispatched_at IS NULL ORDER BY id LIMIT 32",
        )?
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut queued = 0;
    for (id, source, reference, xml) in pending {
        // The same slip reached us twice (API and Prest'IJ feed): the first copy is enough.
        let earlier: Option<i64> = conn
            .prepare_cached(
                "SELECT b.id FROM bpij b JOIN bpij me ON me.id = ?1 WHERE b.sha256 = me.sha256 AND b.id < me.id LIMIT 1",
            )?
            .query_row([id], |r| r.get(0))
            .optional()?;
        match earlier {
            Some(first) => {
                tracing::info!(
                    bpij = id,
                    same_as = first,
                    "insurer: BPIJ already received, not dispatched again"
                )
            }
            None => queued += dispatch_one(conn, id, &source, &reference, &xml, at)?,
        }
        conn.prepare_cached("UPDATE bpij SET dispatched_at = ?2 WHERE id = ?1")?
            .execute(params![id, at])?;
    }
    Ok(queued)
}

fn dispatch_one(
    conn: &Connection,
    id: i64,
    source: &str,
    reference: &str,
    xml: &[u8],
    at: &str,
) -> Result<usize, JournalError> {
    let stem = format!("bpij_{id:06}");
    let bpij = match Bpij::parse(xml) {
        Ok(b) => b,
        Err(e) => {
            crate::internal_events::unreadable_input(
                "bpij (handed to the employer as is)",
                &id,
                &e,
            );
            store::enqueue_notice(conn, None, "hr", &stem, "xml", xml, at)?;
            events::record(
                conn,
                events::BPIJ_UNREADABLE,
                None,
                None,
                Some(id),
                &json!({"ref": reference, "source": source, "error": e.to_string()}),
                at,
            )?;
            return Ok(1);
        }
    };
    let mut lines = Vec::new();
    for s in bpij.summaries() {
        let matched = if s.placeholder {
            None
        } else {
            match_line(conn, &s)?
        };
        let insurer = match &matched {
            Some((_, hr_ref)) => {
                super::link(conn, &s.siret_declare, hr_ref)?.map(|l| l.insurer_code)
            }
            None => None,
        };
        let line = LineSummary {
            siret: s.siret_declare.clone(),
            nir: s.nir.expose().to_string(),
            last_name: s.nom.clone(),
            first_name: s.prenom.clone(),
            gross_ij: s.gross_ij,
            csg: s.csg,
            crds: s.crds,
            net: s.net,
            days: s.days,
            period_start: s.period.map(|p| p.0.to_string()),
            period_end: s.period.map(|p| p.1.to_string()),
            overpayment_recovered: s.overpayment_recovered,
            indu: s.indu,
            declaration_id: matched.as_ref().map(|m| m.0),
            hr_ref: matched.as_ref().map(|m| m.1.clone()),
            insurer,
            unmatched: matched.is_none() && !s.placeholder,
            placeholder: s.placeholder,
        };
        conn.prepare_cached(
            "INSERT INTO bpij_lines (bpij_id, siret, nir_masked, declaration_id, insurer_code, gross, csg, crds, net, days,
                period_start, period_end, overpayment, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        )?
        .execute(params![
            id,
            line.siret,
            s.nir.masked(),
            line.declaration_id,
            line.insurer,
            line.gross_ij.to_string(),
            line.csg.to_string(),
            line.crds.to_string(),
            line.net.to_string(),
            line.days.to_string(),
            line.period_start,
            line.period_end,
            line.overpayment_recovered.to_string(),
            at
        ])?;
        let detail = json!({"bpij": id, "ref": reference, "siret": line.siret, "nir": s.nir.masked(),
                            "period_start": line.period_start, "period_end": line.period_end,
                            "net": line.net.to_string(), "insurer": line.insurer});
        match line.declaration_id {
            Some(decl) => store::add_history(
                conn,
                decl,
                "bpij_dispatched",
                None,
                None,
                Some(&detail.to_string()),
                at,
            )?,
            None if line.unmatched => {
                events::record(
                    conn,
                    events::BPIJ_UNMATCHED,
                    None,
                    None,
                    Some(id),
                    &detail,
                    at,
                )?;
            }
            None => {}
        }
        lines.push(line);
    }
    let summary = |ls: &[&LineSummary]| {
        serde_json::to_vec_pretty(&json!({
            "bpij_id": id,
            "ref": reference,
            "source": source,
            "identification": bpij.identification,
            "version": bpij.version,
            "declarant_siret": bpij.declarant_siret,
            "employees": ls,
        }))
        .unwrap_or_default()
    };
    let all: Vec<&LineSummary> = lines.iter().collect();
    let mut files = 0;
    if source == crate::engine::prestij::BPIJ_SOURCE {
        // Prest'IJ slips are the insurer's feed: the employer gets only its subrogated lines.
        let (keep, hr_xml) = crate::engine::prestij::employer_share(&bpij);
        let ls: Vec<&LineSummary> = all
            .iter()
            .copied()
            .filter(|l| keep.iter().any(|(s, n)| *s == l.siret && *n == l.nir))
            .collect();
        if let Some(x) = hr_xml {
            let sum = summary(&ls);
            for f in store::enqueue_files(
                conn,
                None,
                "hr",
                &stem,
                &[("xml", x.as_slice()), ("json", sum.as_slice())],
                at,
            )? {
                crate::metrics::bpij_dispatched("hr", &f);
            }
            files += 2;
        }
    } else {
        // The slip and its summary share one sequence number (they pair by name).
        let sum = summary(&all);
        for f in store::enqueue_files(
            conn,
            None,
            "hr",
            &stem,
            &[("xml", xml), ("json", sum.as_slice())],
            at,
        )? {
            crate::metrics::bpij_dispatched("hr", &f);
        }
        files += 2;
    }
    let mut by_insurer: BTreeMap<&str, Vec<&LineSummary>> = BTreeMap::new();
    for l in &lines {
        if let Some(code) = &l.insurer {
            by_insurer.entry(code.as_str()).or_default().push(l);
        }
    }
    for (code, ls) in by_insurer {
        let dest = format!("insurer/{code}");
        let keep: Vec<(String, String)> = ls
            .iter()
            .map(|l| (l.siret.clone(), l.nir.clone()))
            .collect();
        let (x, j) = (reduced(&bpij, &keep).to_xml(), summary(&ls));
        for f in store::enqueue_files(
            conn,
            None,
            &dest,
            &stem,
            &[("xml", x.as_slice()), ("json", j.as_slice())],
            at,
        )? {
            crate::metrics::bpij_dispatched(&dest, &f);
        }
        files += 2;
    }
    Ok(files)
}

/// A copy of the slip holding only the `Assure` of `keep` (SIRET, NIR as written in the
/// slip); empty Caisse/Declare dropped, their totals recomputed.
pub fn reduced(b: &Bpij, keep: &[(String, String)]) -> Bpij {
    let mut out = b.clone();
    for d in &mut out.declares {
        for c in &mut d.caisses {
            c.assures.retain(|a| {
                keep.iter()
                    .any(|(s, n)| *s == d.siret && n == a.nir.expose())
            });
            c.total = Some(
                c.assures
                    .iter()
                    .map(|a| {
                        a.total.unwrap_or_else(|| {
                            a.assurances
                                .iter()
                                .flat_map(|s| &s.prestations)
                                .filter_map(|p| p.montant)
                                .sum()
                        })
                    })
                    .sum(),
            );
        }
        d.caisses.retain(|c| !c.assures.is_empty());
        d.total = Some(d.caisses.iter().filter_map(|c| c.total).sum());
    }
    out.declares.retain(|d| !d.caisses.is_empty());
    out.declarant_total = Some(out.declares.iter().filter_map(|d| d.total).sum());
    out
}
