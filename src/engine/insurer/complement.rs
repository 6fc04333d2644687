//! The prévoyance complement attached to a `guarantee_start` message, computed by
//! [`crate::prevoyance::compute`] from the journaled stoppage when the insurer contract names
//! a prévoyance contract file (`prevoyance_contract`).
//!
//! The case is built as `README-case.md` documents it: salaries most recent first become the
//! civil months before the first day; the employment contract's CCN is its IDCC when the
//! prévoyance contract lists it, else the contract's first convention (the insurer contract
//! was chosen for this population, so its conventions apply); the period runs from the first
//! day to the last known day off (return − 1 or expected end), or to the end of the month of
//! the guarantee day for an open stoppage. Motifs outside the four the engine knows
//! (maternity, paternity...) get no complement. Prolongations are not new stoppages: the view
//! already carries the latest prolonged end, so the case is one stoppage from the first day
//! (one carence, the coverage days go on; see README-case.md). IJSS actually paid (dispatched
//! BPIJ lines of the stoppage: gross ÷ days, rounded to the cent) replace the legal estimate on
//! the days they cover; periods are clipped to the stoppage and an overlapping later one is dropped
//! (the engine wants disjoint periods). Pure: no I/O.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::json;

use super::{Link, View};
use crate::formats::insurer::Complement;
use crate::prevoyance::PrevoyanceContract;
use crate::prevoyance::calendar::YearMonth;

/// The case's motif name, from the DSN code (the mapping is the prévoyance module's).
fn motif(code: u8) -> Option<serde_json::Value> {
    crate::prevoyance::motif::Motif::from_dsn_code(code).and_then(|m| serde_json::to_value(m).ok())
}

fn end_of_month(d: NaiveDate) -> NaiveDate {
    YearMonth::of(d).last_day().unwrap_or(d)
}

/// IJSS paid over a period: (from, to, total gross, days).
pub type PaidIjss = (NaiveDate, NaiveDate, Decimal, Decimal);

/// Disjoint daily IJSS periods within `start..=end`, from paid lines.
pub fn ijss_periods(paid: &[PaidIjss], start: NaiveDate, end: NaiveDate) -> Vec<serde_json::Value> {
    let mut sorted: Vec<&PaidIjss> = paid
        .iter()
        .filter(|p| p.3 > Decimal::ZERO && p.2 > Decimal::ZERO)
        .collect();
    sorted.sort_by_key(|p| p.0);
    let mut out = Vec::new();
    let mut last_end: Option<NaiveDate> = None;
    for (from, to, gross, days) in sorted {
        let (from, to) = ((*from).max(start), (*to).min(end));
        if from > to || last_end.is_some_and(|l| from <= l) {
            continue;
        }
        let daily = (gross / days).round_dp(2);
        out.push(json!({"from": from.to_string(), "to": to.to_string(), "daily_gross": daily.to_string()}));
        last_end = Some(to);
    }
    out
}

/// Why a stoppage gets no prévoyance complement in its insurer message.
#[derive(Debug, thiserror::Error)]
pub enum ComplementError {
    #[error("unreadable stoppage payload")]
    UnreadableStoppage,
    #[error("motif {0:02} is not covered by the complement engine")]
    MotifNotCovered(u8),
    #[error("no employment contract")]
    NoContract,
    #[error("the prévoyance contract lists no convention")]
    NoConvention,
    #[error("{0}")]
    Case(#[from] serde_json::Error),
    #[error("{0}")]
    Compute(#[from] crate::prevoyance::case::CaseError),
}

/// The complement over the stoppage, or why there is none.
pub fn compute(
    link: &Link,
    view: &View,
    contract: &PrevoyanceContract,
    paid: &[PaidIjss],
) -> Result<Complement, ComplementError> {
    let s = view
        .stoppage
        .as_ref()
        .ok_or(ComplementError::UnreadableStoppage)?;
    let code = s.reason.map(|m| m.code()).unwrap_or(1);
    let motif = motif(code).ok_or(ComplementError::MotifNotCovered(code))?;
    let ec = s.contract.as_ref().ok_or(ComplementError::NoContract)?;
    let ccn = match &ec.idcc {
        Some(idcc) if contract.has_ccn(idcc) => idcc.clone(),
        _ => contract
            .conventions
            .first()
            .cloned()
            .ok_or(ComplementError::NoConvention)?,
    };
    let start = view.first_day();
    let end = view
        .last_day_off()
        .unwrap_or_else(|| end_of_month(link.guarantee_date))
        .max(start);
    let months = YearMonth::of(start).months_before(s.salaries.len());
    let salaries: Vec<_> = months
        .iter()
        .zip(&s.salaries)
        .map(|(m, a)| json!({"month": format!("{:04}-{:02}", m.year, m.month), "gross": a.0.to_string()}))
        .collect();
    let name = [
        s.employee.first_names.as_deref(),
        s.employee.last_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let case = json!({
        "case_id": link.hr_ref,
        "employer": {"name": link.employer_name, "siret": link.siret},
        "employee": {"name": if name.is_empty() { "-".to_string() } else { name }},
        "employment_contracts": [{"id": ec.number, "start": ec.start.to_string(), "ccn": ccn, "salaries": salaries}],
        "stoppage": {"employment_contract": ec.number, "start": start.to_string(), "end": end.to_string(), "motif": motif},
        "ijss": ijss_periods(paid, start, end),
    });
    let case: crate::prevoyance::Case = serde_json::from_value(case)?;
    let r = crate::prevoyance::compute(contract, &case)?;
    Ok(Complement {
        from: r.start,
        to: r.end,
        gross: r.totals.complement_gross,
        net: r.totals.complement_net,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn paid_periods_are_clipped_disjoint_and_daily() {
        let paid = vec![
            (d("2026-01-05"), d("2026-01-20"), dec!(400.00), dec!(16)),
            // Overlaps the first one: dropped.
            (d("2026-01-18"), d("2026-01-25"), dec!(80.00), dec!(8)),
            (d("2026-01-26"), d("2026-02-10"), dec!(100.00), dec!(3)),
            // No day paid: ignored.
            (d("2026-02-11"), d("2026-02-12"), dec!(0), dec!(0)),
        ];
        let p = ijss_periods(&paid, d("2026-01-10"), d("2026-02-05"));
        assert_eq!(p.len(), 2);
        assert_eq!(p[0]["from"], "2026-01-10");
        assert_eq!(p[0]["daily_gross"], "25.00");
        assert_eq!(p[1]["to"], "2026-02-05");
        assert_eq!(p[1]["daily_gross"], "33.33");
    }
}
