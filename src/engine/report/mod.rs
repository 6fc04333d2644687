//! `ijgate report`: every stoppage of a period, read from the journal (read-only), with its
//! motif, duration, franchise outcome, the delays from HR entry to the AEE and the 30/31
//! returns, late returns and the BPIJ amounts. Rendering (CSV, JSON, HTML with inline SVG
//! charts) is pure, in [`render`].
//!
//! Rules: a stoppage belongs to the period when it overlaps it (first day ≤ `to` and last day
//! off ≥ `from`, or still open). "Late 31": the 31 return came more than [`LATE_AFTER`] after
//! the AEE, or has not come and the AEE is older than that.

pub mod render;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, params};
use rust_decimal::Decimal;
use serde::Serialize;
use std::str::FromStr;

use crate::engine::insurer;
use crate::journal::JournalError;

/// A 31 later than this after the AEE is late.
pub const LATE_AFTER: chrono::Duration = chrono::Duration::hours(4);

#[derive(Debug, Clone)]
pub struct Filter {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub employer: Option<String>,
    pub insurer: Option<String>,
}

/// One stoppage of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub declaration_id: i64,
    pub siret: String,
    pub hr_ref: String,
    pub motif: String,
    pub first_day: NaiveDate,
    pub last_day_off: Option<NaiveDate>,
    /// Days off from the first day to the last known day (or to the end of the period).
    pub duration_days: i64,
    pub status: String,
    pub insurer: Option<String>,
    pub franchise_days: Option<u32>,
    /// above / below / pending, or none without an insurer.
    pub franchise: Option<String>,
    pub hr_entry_at: String,
    pub minutes_to_aee: Option<i64>,
    pub minutes_to_30: Option<i64>,
    pub minutes_to_31: Option<i64>,
    pub late_31: bool,
    #[serde(with = "rust_decimal::serde::str")]
    pub bpij_gross: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub bpij_net: Decimal,
    /// The stoppage was only sent as an essai file (S10.G00.00.005 = 01): not declared.
    pub test: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub generated_at: String,
    pub rows: Vec<Row>,
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A BPIJ amount as the journal stores it (text, written from a `Decimal`). One that does
/// not parse is a damaged row: the report fails naming it, rather than counting it as 0.
fn stored_amount(rowid: i64, column: &'static str, v: &str) -> Result<Decimal, JournalError> {
    Decimal::from_str(v).map_err(|_| JournalError::Corrupt {
        table: "bpij_lines",
        row: rowid.to_string(),
        column,
        value: v.to_string(),
        expected: "decimal amount",
    })
}

fn minutes(from: &str, to: Option<&String>) -> Option<i64> {
    let (a, b) = (parse_time(from)?, parse_time(to?)?);
    Some((b - a).num_minutes())
}

/// Reads the report from the journal; `now` decides missing-31 lateness.
pub fn load(conn: &Connection, f: &Filter, now: DateTime<Utc>) -> Result<Report, JournalError> {
    let arrets = conn
        .prepare(
            "SELECT id, siret, hr_ref, created_at FROM declarations WHERE event = 'arret'
             AND (?1 IS NULL OR siret = ?1) ORDER BY id",
        )?
        .query_map(params![f.employer], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut rows = Vec::new();
    for (id, siret, hr_ref, created_at) in arrets {
        let Some(view) = insurer::load_view(conn, &siret, &hr_ref)? else {
            continue;
        };
        let first = view.first_day();
        let last = view.last_day_off();
        if first > f.to || last.is_some_and(|l| l < f.from) {
            continue;
        }
        let link = insurer::link(conn, &siret, &hr_ref)?;
        if let Some(code) = &f.insurer
            && link.as_ref().map(|l| &l.insurer_code) != Some(code)
        {
            continue;
        }
        let first_return = |nature: &str,
                            ret: Option<&str>|
         -> Result<Option<String>, JournalError> {
            Ok(conn
                .prepare_cached(
                    "SELECT MIN(r.fetched_at) FROM returns r JOIN deposits p ON r.deposit_id = p.id
                     WHERE p.declaration_id = ?1 AND r.nature = ?2 AND (?3 IS NULL OR r.return_id = ?3)",
                )?
                .query_row(params![id, nature, ret], |r| r.get(0))?)
        };
        let aee = first_return("10", Some("AEE"))?;
        let r30 = first_return("30", None)?;
        let r31 = first_return("31", None)?;
        let late_31 = match aee.as_deref().and_then(parse_time) {
            Some(a) => {
                let end = r31.as_deref().and_then(parse_time).unwrap_or(now);
                end - a > LATE_AFTER
            }
            None => false,
        };
        let mut bpij_gross = Decimal::ZERO;
        let mut bpij_net = Decimal::ZERO;
        let mut stmt = conn
            .prepare_cached("SELECT rowid, gross, net FROM bpij_lines WHERE declaration_id = ?1")?;
        let amounts = stmt.query_map([view.arret_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for a in amounts {
            let (rowid, g, n) = a?;
            bpij_gross += stored_amount(rowid, "gross", &g)?;
            bpij_net += stored_amount(rowid, "net", &n)?;
        }
        let franchise = link.as_ref().map(|l| match l.fired_kind.as_deref() {
            Some("guarantee_start") => "above".to_string(),
            Some(_) => "below".to_string(),
            None if view.surely_below(l.guarantee_date) => "below".to_string(),
            None => "pending".to_string(),
        });
        let motif = view.motif.clone().unwrap_or_default();
        let (view_siret, view_hr_ref) = (siret.clone(), hr_ref.clone());
        let until = last.unwrap_or(f.to);
        rows.push(Row {
            declaration_id: id,
            siret,
            hr_ref,
            motif,
            first_day: first,
            last_day_off: last,
            duration_days: ((until - first).num_days() + 1).max(0),
            status: view.status().as_str().to_string(),
            insurer: link.as_ref().map(|l| l.insurer_code.clone()),
            franchise_days: link.as_ref().map(|l| l.franchise_days),
            franchise,
            minutes_to_aee: minutes(&created_at, aee.as_ref()),
            minutes_to_30: minutes(&created_at, r30.as_ref()),
            minutes_to_31: minutes(&created_at, r31.as_ref()),
            hr_entry_at: created_at,
            late_31,
            bpij_gross,
            bpij_net,
            test: crate::journal::store::stoppage_is_test(conn, &view_siret, &view_hr_ref)?,
        });
    }
    Ok(Report {
        from: f.from,
        to: f.to,
        generated_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        rows,
    })
}

/// `ijgate report` options.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// First day of the period (YYYY-MM-DD).
    #[arg(long)]
    pub from: NaiveDate,
    /// Last day of the period (YYYY-MM-DD).
    #[arg(long)]
    pub to: NaiveDate,
    /// Only this establishment.
    #[arg(long)]
    pub employer: Option<String>,
    /// Only the stoppages of this insurer code.
    #[arg(long)]
    pub insurer: Option<String>,
    /// csv and json: for programs (English column names, codes, ISO dates, decimal point, no
    /// BOM); csv-fr and html: for people (French labels, motif names, decimal comma; csv-fr
    /// has a BOM and opens right in French Excel).
    #[arg(long, value_parser = ["csv", "csv-fr", "json", "html"], default_value = "csv")]
    pub format: String,
    /// Write here instead of stdout.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

/// Runs the command on a read-only journal connection; returns the exit code.
pub fn run_cli(cfg: &crate::config::Config, args: &ReportArgs) -> i32 {
    if args.from > args.to {
        eprintln!("ijgate: --from {} is after --to {}", args.from, args.to);
        return 64;
    }
    let db = cfg.db_path();
    if let Err(code) = crate::journal::require_existing(&db) {
        return code;
    }
    let filter = Filter {
        from: args.from,
        to: args.to,
        employer: args.employer.clone(),
        insurer: args.insurer.clone(),
    };
    let rep = match crate::journal::open_reader(&db).and_then(|c| load(&c, &filter, Utc::now())) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ijgate: {e}");
            return 1;
        }
    };
    let body = match args.format.as_str() {
        "json" => render::to_json(&rep),
        "html" => render::to_html(&rep),
        "csv-fr" => render::to_csv_fr(&rep),
        _ => render::to_csv(&rep),
    };
    let written = match &args.out {
        Some(p) => std::fs::write(p, &body),
        None => std::io::Write::write_all(&mut std::io::stdout(), &body),
    };
    match written {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("ijgate: cannot write the report: {e}");
            74
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;

    const A: &str = "12345678200010";
    const B: &str = "98765432400019";

    /// A stoppage entered at `created`, with an AEE and a 31 at the given times (if any):
    /// `times` = (created, aee, r31).
    fn stoppage(
        c: &Connection,
        siret: &str,
        hr_ref: &str,
        ldw: &str,
        ret: Option<&str>,
        times: (&str, Option<&str>, Option<&str>),
    ) -> Result<i64, JournalError> {
        let (created, aee, r31) = times;
        let mut payload =
            serde_json::json!({"event": "arret", "last_day_worked": ldw, "reason": "06"});
        if let Some(r) = ret {
            payload["return_date"] = r.into();
        }
        c.execute(
            "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
             VALUES (?1, ?2, 'arret', '1850578006084', 'accepted', 1, 'h', ?3, ?4, ?4)",
            params![siret, hr_ref, payload.to_string(), created],
        )?;
        let id = c.last_insert_rowid();
        c.execute(
            "INSERT INTO deposits (declaration_id, target_declaration_id, nature, decl_type, payload, state, next_attempt_at, idflux, created_at, updated_at)
             VALUES (?1, ?1, '04', '01', '{}', 'deposited', ?2, ?3, ?2, ?2)",
            params![id, created, format!("F{id}")],
        )?;
        let dep = c.last_insert_rowid();
        for (nature, rid, at) in [("10", "AEE", aee), ("31", "R", r31)] {
            if let Some(at) = at {
                c.execute(
                    "INSERT INTO returns (idflux, nature, return_id, deposit_id, fetched_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                    params![format!("F{id}"), nature, rid, dep, at],
                )?;
            }
        }
        Ok(id)
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_damaged_bpij_amount_is_a_located_error_not_zero() {
        let e = stored_amount(7, "net", "12,50").unwrap_err();
        assert!(matches!(e, JournalError::Corrupt { column: "net", .. }));
        let msg = e.to_string();
        assert!(
            msg.contains("bpij_lines row 7") && msg.contains("\"12,50\""),
            "{msg}"
        );
        assert_eq!(
            stored_amount(1, "gross", "50.50").unwrap(),
            rust_decimal_macros::dec!(50.50)
        );
    }

    #[test]
    fn delays_late_returns_franchise_and_filters() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("ijgate.db")).unwrap();
        j.write_blocking(|c| {
            // 31 one hour after the AEE: on time.
            let a = stoppage(c, A, "A1", "2026-03-01", None, ("2026-03-02T08:00:00.000Z", Some("2026-03-02T08:10:00.000Z"), Some("2026-03-02T09:10:00.000Z")))?;
            // 31 five hours after the AEE: late.
            stoppage(c, A, "A2", "2026-03-10", Some("2026-03-12"), ("2026-03-10T08:00:00.000Z", Some("2026-03-10T08:00:00.000Z"), Some("2026-03-10T13:00:00.000Z")))?;
            // No 31 yet, AEE 2 h before "now": not late yet.
            stoppage(c, B, "B1", "2026-03-20", None, ("2026-03-25T08:00:00.000Z", Some("2026-03-25T08:00:00.000Z"), None))?;
            // Outside the period (ended in February).
            stoppage(c, A, "A0", "2026-02-01", Some("2026-02-05"), ("2026-02-01T08:00:00.000Z", None, None))?;
            c.execute(
                "INSERT INTO insurer_stoppages (siret, hr_ref, insurer_code, insurer_name, employer_name, contract_ref, franchise_days,
                    first_day, guarantee_date, due_at, fired_kind, fired_at, created_at, updated_at)
                 VALUES (?1, 'A1', 'PREVA', 'x', 'y', 'C', 3, '2026-03-02', '2026-03-05', 'z', 'guarantee_start', 'z', 'now', 'now')",
                [A],
            )?;
            c.execute("INSERT INTO bpij (source, ref, sha256, xml, fetched_at) VALUES ('api', 'r', 's', x'00', 'now')", [])?;
            for (gross, net) in [("100.00", "90.00"), ("50.50", "45.25")] {
                c.execute(
                    "INSERT INTO bpij_lines (bpij_id, siret, nir_masked, declaration_id, gross, csg, crds, net, days, overpayment, at)
                     VALUES (1, ?1, '185', ?2, ?3, '0', '0', ?4, '1', '0', 'now')",
                    params![A, a, gross, net],
                )?;
            }
            Ok(())
        })
        .unwrap();
        let now = parse_time("2026-03-25T10:00:00.000Z").unwrap();
        let f = Filter {
            from: d("2026-03-01"),
            to: d("2026-03-31"),
            employer: None,
            insurer: None,
        };
        let rep = j.read_blocking(|c| load(c, &f, now)).unwrap();
        let refs: Vec<&str> = rep.rows.iter().map(|r| r.hr_ref.as_str()).collect();
        assert_eq!(refs, ["A1", "A2", "B1"]);
        let (a1, a2, b1) = (&rep.rows[0], &rep.rows[1], &rep.rows[2]);
        assert_eq!((a1.minutes_to_aee, a1.minutes_to_31), (Some(10), Some(70)));
        assert!(!a1.late_31);
        assert!(a2.late_31);
        assert!(!b1.late_31);
        assert_eq!(a1.motif, "06");
        assert_eq!(a1.franchise.as_deref(), Some("above"));
        assert_eq!(a1.insurer.as_deref(), Some("PREVA"));
        assert_eq!(a1.bpij_gross, rust_decimal_macros::dec!(150.50));
        assert_eq!(a1.bpij_net, rust_decimal_macros::dec!(135.25));
        assert_eq!(a2.franchise, None);
        assert_eq!(
            (a2.duration_days, a2.status.as_str()),
            (1, "ended"),
            "11 March only"
        );
        assert_eq!(
            b1.duration_days, 11,
            "open: counted to the end of the period"
        );
        // Four hours later B1's 31 is late.
        let later = parse_time("2026-03-25T12:30:00.000Z").unwrap();
        let rep = j.read_blocking(|c| load(c, &f, later)).unwrap();
        assert!(rep.rows[2].late_31);
        let only_b = Filter {
            employer: Some(B.into()),
            ..f.clone()
        };
        assert_eq!(
            j.read_blocking(|c| load(c, &only_b, now))
                .unwrap()
                .rows
                .len(),
            1
        );
        let only_preva = Filter {
            insurer: Some("PREVA".into()),
            ..f
        };
        let rep = j.read_blocking(|c| load(c, &only_preva, now)).unwrap();
        assert_eq!(rep.rows.len(), 1);
        // Every format renders the same rows.
        assert_eq!(
            String::from_utf8(render::to_csv(&rep))
                .unwrap()
                .lines()
                .count(),
            2
        );
        let v: serde_json::Value = serde_json::from_slice(&render::to_json(&rep)).unwrap();
        assert_eq!(v["rows"][0]["bpij_net"], "135.25");
        assert!(
            String::from_utf8(render::to_html(&rep))
                .unwrap()
                .contains("<svg id=\"delays\"")
        );
    }
}
