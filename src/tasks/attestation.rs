//! The prefilled salary attestation (the data of Cerfa 11135, "attestation de salaire pour
//! le paiement des indemnités journalières") for stoppages the DSN signalement cannot carry.
//! Pure: built from the journaled stoppage and the employer's configuration, rendered as a
//! readable HTML page and as JSON for the HR tool.
//!
//! Reference period: the 12 civil months before the stoppage for work accidents,
//! occupational diseases and commuting accidents (and their therapeutic part-time variants),
//! otherwise the 3 months before it. Months without a known salary are left to fill in.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::config::Employer;
use crate::model::Stoppage;
use crate::prevoyance::calendar::YearMonth;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SalaryLine {
    /// "YYYY-MM".
    pub month: String,
    /// Gross salary; `None` = not known to ijgate, to fill in.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub gross: Option<Decimal>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SubrogationLine {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub iban: String,
    pub bic: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Attestation {
    pub task: i64,
    pub form: &'static str,
    pub hr_ref: String,
    pub event: String,
    pub employer_siret: String,
    pub employer_name: String,
    pub employer_address: Option<String>,
    pub employer_postal_code: Option<String>,
    pub employer_city: Option<String>,
    /// The full NIR: the CPAM needs it on the form (this file is for the HR tool only).
    pub employee_nir: String,
    pub employee_last_name: Option<String>,
    pub employee_first_names: Option<String>,
    pub employee_birth_date: Option<NaiveDate>,
    /// DSN motif code (S21.G00.60.001) and the reason the DSIJ is needed.
    pub motif: Option<String>,
    pub reason: String,
    pub last_day_worked: Option<NaiveDate>,
    pub expected_end: Option<NaiveDate>,
    pub accident_date: Option<NaiveDate>,
    pub reference_months: usize,
    pub salaries: Vec<SalaryLine>,
    #[serde(with = "rust_decimal::serde::str")]
    pub total_known: Decimal,
    pub subrogation: Option<SubrogationLine>,
}

fn dsij_reason(s: &Stoppage) -> String {
    match s.reason.map(|m| m.code()) {
        Some(15..=18) => "therapeutic part-time (temps partiel thérapeutique)".into(),
        Some(19) => "child bereavement leave (congé de deuil d'un enfant)".into(),
        _ => "the CNAM could not rebuild the attestation from the DSN (non-reconstitution)".into(),
    }
}

/// Builds the attestation of task `task` for stoppage `s`.
pub fn build(task: i64, s: &Stoppage, employer: Option<&Employer>) -> Attestation {
    let months = if s.reason.is_some_and(|m| m.is_professional()) {
        12
    } else {
        3
    };
    let start = s.last_day_worked.and_then(|d| d.succ_opt());
    let salaries = match start {
        Some(first_day_off) => YearMonth::of(first_day_off)
            .months_before(months)
            .into_iter()
            .enumerate()
            .map(|(i, m)| SalaryLine {
                month: m.to_string(),
                gross: s.salaries.get(i).map(|a| a.0),
            })
            .collect(),
        None => Vec::new(),
    };
    let total_known = salaries.iter().filter_map(|l| l.gross).sum();
    Attestation {
        task,
        form: "Cerfa 11135 (attestation de salaire — indemnités journalières)",
        hr_ref: s.hr_ref.clone(),
        event: s.event.as_str().into(),
        employer_siret: s.siret.as_str().into(),
        employer_name: employer.map(|e| e.name.clone()).unwrap_or_default(),
        employer_address: employer.and_then(|e| e.address.clone()),
        employer_postal_code: employer.and_then(|e| e.postal_code.clone()),
        employer_city: employer.and_then(|e| e.city.clone()),
        employee_nir: s.employee.nir.with_key(),
        employee_last_name: s.employee.last_name.clone(),
        employee_first_names: s.employee.first_names.clone(),
        employee_birth_date: s.employee.birth_date,
        motif: s.reason.map(|m| m.dsn_code()),
        reason: dsij_reason(s),
        last_day_worked: s.last_day_worked,
        expected_end: s.expected_end,
        accident_date: s.accident_date,
        reference_months: months,
        salaries,
        total_known,
        subrogation: s.subrogation.as_ref().map(|x| SubrogationLine {
            start: x.start,
            end: x.end,
            iban: x.iban.clone(),
            bic: x.bic.clone(),
        }),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|x| esc(&x.to_string()))
        .unwrap_or_else(|| "<em>to fill in</em>".into())
}

/// A self-contained, printable HTML page.
pub fn render_html(a: &Attestation) -> String {
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\">");
    h.push_str(&format!(
        "<title>Attestation de salaire — {}</title>",
        esc(&a.hr_ref)
    ));
    h.push_str("<style>body{font-family:sans-serif;max-width:50em;margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em;text-align:left}</style></head><body>\n");
    h.push_str(&format!(
        "<h1>Attestation de salaire (DSIJ)</h1>\n<p>{} — task {} — HR reference <b>{}</b></p>\n<p>Why: {}.</p>\n",
        esc(a.form),
        a.task,
        esc(&a.hr_ref),
        esc(&a.reason)
    ));
    h.push_str("<h2>Employeur</h2><table>\n");
    for (k, v) in [
        ("SIRET", esc(&a.employer_siret)),
        ("Raison sociale", esc(&a.employer_name)),
        ("Adresse", opt(&a.employer_address)),
        ("Code postal", opt(&a.employer_postal_code)),
        ("Commune", opt(&a.employer_city)),
    ] {
        h.push_str(&format!("<tr><th>{k}</th><td>{v}</td></tr>\n"));
    }
    h.push_str("</table>\n<h2>Salarié</h2><table>\n");
    for (k, v) in [
        ("NIR", esc(&a.employee_nir)),
        ("Nom", opt(&a.employee_last_name)),
        ("Prénoms", opt(&a.employee_first_names)),
        ("Date de naissance", opt(&a.employee_birth_date)),
    ] {
        h.push_str(&format!("<tr><th>{k}</th><td>{v}</td></tr>\n"));
    }
    h.push_str("</table>\n<h2>Arrêt</h2><table>\n");
    for (k, v) in [
        ("Motif (code DSN)", opt(&a.motif)),
        ("Dernier jour travaillé", opt(&a.last_day_worked)),
        ("Fin prévue", opt(&a.expected_end)),
        ("Date de l'accident", opt(&a.accident_date)),
    ] {
        h.push_str(&format!("<tr><th>{k}</th><td>{v}</td></tr>\n"));
    }
    h.push_str(&format!(
        "</table>\n<h2>Salaires des {} mois précédant l'arrêt</h2><table>\n<tr><th>Mois</th><th>Salaire brut</th></tr>\n",
        a.reference_months
    ));
    for l in &a.salaries {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>\n",
            esc(&l.month),
            opt(&l.gross)
        ));
    }
    h.push_str(&format!(
        "<tr><th>Total connu</th><th>{}</th></tr>\n</table>\n",
        a.total_known
    ));
    h.push_str("<h2>Subrogation</h2>\n");
    match &a.subrogation {
        Some(s) => h.push_str(&format!(
            "<table><tr><th>Période</th><td>{} — {}</td></tr><tr><th>IBAN</th><td>{}</td></tr><tr><th>BIC</th><td>{}</td></tr></table>\n",
            s.start,
            s.end,
            esc(&s.iban),
            esc(&s.bic)
        )),
        None => h.push_str("<p>Pas de subrogation : les indemnités sont versées au salarié.</p>\n"),
    }
    h.push_str(&format!(
        "<p>Once sent through net-entreprises (DSIJ), close the task: <code>ijgate task done {}</code> or <code>POST /v1/tasks/{}/done</code>.</p>\n</body></html>\n",
        a.task, a.task
    ));
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stoppage(motif: &str) -> Stoppage {
        let v = serde_json::json!({
            "event": "arret", "hr_ref": "TPT<1>", "siret": "12345678200010",
            "employee": {"nir": "1850578006084", "last_name": "Dupont", "first_names": "Jean"},
            "reason": motif, "last_day_worked": "2026-11-09", "expected_end": "2026-11-20",
            "salaries": ["2500.00", "2500.00", "2400.00", "2300.00"]
        });
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn three_months_for_sickness_and_twelve_for_work_accidents() {
        let a = build(1, &stoppage("15"), None);
        assert_eq!(a.reference_months, 3);
        let months: Vec<&str> = a.salaries.iter().map(|l| l.month.as_str()).collect();
        assert_eq!(months, vec!["2026-10", "2026-09", "2026-08"]);
        assert_eq!(a.total_known, Decimal::new(740_000, 2));
        assert!(a.reason.contains("therapeutic"));
        let b = build(2, &stoppage("16"), None);
        assert_eq!(b.reference_months, 12);
        assert_eq!(b.salaries[11].month, "2025-11");
        assert_eq!(
            b.salaries[4].gross, None,
            "unknown months are left to fill in"
        );
        assert_eq!(b.total_known, Decimal::new(970_000, 2));
    }

    #[test]
    fn html_is_escaped_and_json_keeps_exact_amounts() {
        let a = build(3, &stoppage("19"), None);
        let h = render_html(&a);
        assert!(h.contains("TPT&lt;1&gt;") && !h.contains("TPT<1>"));
        assert!(h.contains("ijgate task done 3"));
        let j = serde_json::to_value(&a).unwrap();
        assert_eq!(j["salaries"][0]["gross"], "2500.00");
        assert_eq!(j["total_known"], "7400.00");
    }
}
