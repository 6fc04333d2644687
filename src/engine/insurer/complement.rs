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
//! (maternity, paternity...) get no complement. No IJSS from BPIJ yet: the legal estimate.
//! Pure: no I/O.

use chrono::NaiveDate;
use serde_json::json;

use super::{Link, View};
use crate::formats::insurer::Complement;
use crate::prevoyance::PrevoyanceContract;
use crate::prevoyance::calendar::YearMonth;

fn motif(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "maladie",
        6 => "accident_travail",
        4 => "accident_trajet",
        5 => "maladie_professionnelle",
        _ => return None,
    })
}

fn end_of_month(d: NaiveDate) -> NaiveDate {
    YearMonth::of(d).last_day().unwrap_or(d)
}

/// The complement over the stoppage, or why there is none.
pub fn compute(
    link: &Link,
    view: &View,
    contract: &PrevoyanceContract,
) -> Result<Complement, String> {
    let s = view
        .stoppage
        .as_ref()
        .ok_or("unreadable stoppage payload")?;
    let code = s.reason.map(|m| m.code()).unwrap_or(1);
    let motif = motif(code)
        .ok_or_else(|| format!("motif {code:02} is not covered by the complement engine"))?;
    let ec = s.contract.as_ref().ok_or("no employment contract")?;
    let ccn = match &ec.idcc {
        Some(idcc) if contract.has_ccn(idcc) => idcc.clone(),
        _ => contract
            .conventions
            .first()
            .cloned()
            .ok_or("the prévoyance contract lists no convention")?,
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
    });
    let case: crate::prevoyance::Case = serde_json::from_value(case).map_err(|e| e.to_string())?;
    let r = crate::prevoyance::compute(contract, &case).map_err(|e| e.to_string())?;
    Ok(Complement {
        from: r.start,
        to: r.end,
        gross: r.totals.complement_gross,
        net: r.totals.complement_net,
    })
}
