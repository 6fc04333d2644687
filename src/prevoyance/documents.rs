//! Documents for the insurer: the bordereau de demande de prise en charge (claim) and the
//! quarterly history file, each as CSV (`csv` crate) and as a readable HTML page.
//!
//! Pure functions returning `String`: no file I/O here. Format (documented in
//! README-case.md): CSV UTF-8, `;` separator, one header line, one row per stoppage and pay
//! period (calendar month), dates `YYYY-MM-DD`, amounts with a dot and 2 decimals; the HTML
//! shows the same rows with the insurer identification. The NIR is written in full only
//! when the caller asks for it ([`NirMode::Full`], for the file sent to the insurer);
//! anything meant for a console or a log uses [`NirMode::Masked`].

use crate::prevoyance::case::Case;
use crate::prevoyance::contract::{CCN_PARTICULIER_EMPLOYEUR, PrevoyanceContract};
use crate::prevoyance::money::fmt_cents;
use crate::prevoyance::result::{CaseResult, PeriodTotal};
use std::fmt::Write as _;
use std::str::FromStr;

/// How the NIR appears in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NirMode {
    /// As given (the document goes to the insurer).
    Full,
    /// First 3 characters, the rest as `*`.
    Masked,
}

/// Masks all but the first 3 characters of a NIR (the product's one rule).
pub use crate::model::nir::mask as mask_nir;

fn nir_of(case: &Case, mode: NirMode) -> String {
    match (&case.employee.nir, mode) {
        (None, _) => String::new(),
        (Some(n), NirMode::Full) => n.clone(),
        (Some(n), NirMode::Masked) => mask_nir(n),
    }
}

/// A document cannot be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// The contract does not allow claims ("Traitement bordereau" unchecked).
    #[error("prévoyance contract {0:?}: traitement_bordereau is off, no claim can be issued")]
    BordereauDisabled(String),
    /// CCN 02 quarterly file without the IRCEM association number.
    #[error(
        "prévoyance contract {0:?}: ccn02.numero_association is required for the quarterly file"
    )]
    MissingAssociation(String),
    /// A result belongs to another contract.
    #[error("case {case_id}: computed for contract {found:?}, not {expected:?}")]
    WrongContract {
        /// Case id.
        case_id: String,
        /// Contract of the document.
        expected: String,
        /// Contract of the result.
        found: String,
    },
    /// CSV writer failure.
    #[error("CSV writing failed: {0}")]
    Csv(String),
}

/// A civil quarter, written "YYYY-Qn".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quarter {
    /// Year.
    pub year: i32,
    /// 1..=4.
    pub q: u32,
}

impl FromStr for Quarter {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid quarter {s:?}: expected \"YYYY-Qn\"");
        let (y, q) = s.split_once("-Q").ok_or_else(bad)?;
        let year = y.parse().map_err(|_| bad())?;
        let q = q.parse().map_err(|_| bad())?;
        if y.len() != 4 || !(1..=4).contains(&q) {
            return Err(bad());
        }
        Ok(Quarter { year, q })
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-Q{}", self.year, self.q)
    }
}

const BORDEREAU_HEADER: [&str; 23] = [
    "code_organisme",
    "numero_contrat",
    "numero_emetteur",
    "employeur",
    "siret",
    "dossier",
    "salarie",
    "nir",
    "contrat_travail",
    "ccn",
    "motif",
    "debut_arret",
    "fin_arret",
    "periode",
    "du",
    "au",
    "jours",
    "jours_indemnises",
    "salaire_reference_mensuel",
    "ijss_brutes",
    "complement_net",
    "complement_brut",
    "rubrique",
];

fn bordereau_row(
    contract: &PrevoyanceContract,
    case: &Case,
    r: &CaseResult,
    p: &PeriodTotal,
    nir: NirMode,
) -> Vec<String> {
    let id = &contract.identification;
    let (employer, siret) = case
        .employer
        .as_ref()
        .map(|e| (e.name.clone(), e.siret.clone()))
        .unwrap_or_default();
    vec![
        id.code_organisme.clone(),
        id.numero_contrat.clone(),
        id.numero_emetteur.clone(),
        employer,
        siret,
        r.case_id.clone(),
        r.employee.clone(),
        nir_of(case, nir),
        r.employment_contract.clone(),
        r.ccn.clone(),
        r.motif.label_fr().to_owned(),
        r.start.to_string(),
        r.end.to_string(),
        p.period.to_string(),
        p.from.to_string(),
        p.to.to_string(),
        p.days.to_string(),
        p.covered_days.to_string(),
        fmt_cents(r.reference.monthly),
        fmt_cents(p.ijss_gross),
        fmt_cents(p.complement_net),
        fmt_cents(p.complement_gross),
        p.rubrique.clone().unwrap_or_default(),
    ]
}

fn check_bordereau(contract: &PrevoyanceContract, r: &CaseResult) -> Result<(), DocumentError> {
    if !contract.rules.traitement_bordereau {
        return Err(DocumentError::BordereauDisabled(
            contract.identification.numero_contrat.clone(),
        ));
    }
    same_contract(contract, r)
}

fn same_contract(contract: &PrevoyanceContract, r: &CaseResult) -> Result<(), DocumentError> {
    if r.prevoyance_contract != contract.identification.numero_contrat {
        return Err(DocumentError::WrongContract {
            case_id: r.case_id.clone(),
            expected: contract.identification.numero_contrat.clone(),
            found: r.prevoyance_contract.clone(),
        });
    }
    Ok(())
}

fn to_csv(
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<String, DocumentError> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let err = |e: csv::Error| DocumentError::Csv(e.to_string());
    w.write_record(header).map_err(err)?;
    for row in rows {
        w.write_record(&row).map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| DocumentError::Csv(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| DocumentError::Csv(e.to_string()))
}

/// Claim to the insurer, CSV: one row per pay period of the stoppage.
pub fn bordereau_csv(
    contract: &PrevoyanceContract,
    case: &Case,
    r: &CaseResult,
    nir: NirMode,
) -> Result<String, DocumentError> {
    check_bordereau(contract, r)?;
    to_csv(
        &BORDEREAU_HEADER,
        r.periods
            .iter()
            .map(|p| bordereau_row(contract, case, r, p, nir)),
    )
}

/// Claim to the insurer, HTML page.
pub fn bordereau_html(
    contract: &PrevoyanceContract,
    case: &Case,
    r: &CaseResult,
    nir: NirMode,
) -> Result<String, DocumentError> {
    check_bordereau(contract, r)?;
    let id = &contract.identification;
    let mut h = page_start("Demande de prise en charge prévoyance");
    insurer_block(&mut h, contract);
    let _ = write!(
        h,
        "<h2>Salarié</h2><dl><dt>Nom</dt><dd>{}</dd><dt>NIR</dt><dd>{}</dd>\
         <dt>Contrat de travail</dt><dd>{} (CCN {})</dd><dt>Arrêt</dt><dd>{} du {} au {}</dd>\
         <dt>Salaire de référence mensuel</dt><dd>{}</dd></dl>",
        esc(&r.employee),
        esc(&nir_of(case, nir)),
        esc(&r.employment_contract),
        esc(&r.ccn),
        esc(r.motif.label_fr()),
        r.start,
        r.end,
        fmt_cents(r.reference.monthly)
    );
    if let Some(e) = &case.employer {
        let _ = write!(
            h,
            "<p>Employeur : {} — SIRET {}</p>",
            esc(&e.name),
            esc(&e.siret)
        );
    }
    h.push_str(
        "<table><thead><tr><th>Période</th><th>Du</th><th>Au</th><th>Jours</th>\
         <th>Jours indemnisés</th><th>IJSS brutes</th><th>Complément net</th>\
         <th>Complément brut</th><th>Rubrique</th></tr></thead><tbody>",
    );
    for p in &r.periods {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>",
            p.period,
            p.from,
            p.to,
            p.days,
            p.covered_days,
            fmt_cents(p.ijss_gross),
            fmt_cents(p.complement_net),
            fmt_cents(p.complement_gross),
            esc(p.rubrique.as_deref().unwrap_or(""))
        );
    }
    let t = &r.totals;
    let _ = write!(
        h,
        "</tbody><tfoot><tr><th colspan=\"3\">Total</th><td>{}</td><td>{}</td><td>{}</td>\
         <td>{}</td><td>{}</td><td></td></tr></tfoot></table>",
        t.days,
        t.covered_days,
        fmt_cents(t.ijss_gross),
        fmt_cents(t.complement_net),
        fmt_cents(t.complement_gross)
    );
    let _ = write!(
        h,
        "<p>Contrat {} — dossier {}</p>",
        esc(&id.numero_contrat),
        esc(&r.case_id)
    );
    h.push_str("</body></html>\n");
    Ok(h)
}

const HISTORY_HEADER: [&str; 17] = [
    "identifiant_adherent",
    "code_organisme",
    "numero_emetteur",
    "trimestre",
    "dossier",
    "salarie",
    "nir",
    "contrat_travail",
    "motif",
    "debut_arret",
    "fin_arret",
    "periode",
    "jours",
    "jours_indemnises",
    "ijss_brutes",
    "complement_net",
    "complement_brut",
];

/// Adherent identifier of the quarterly file: IRCEM association number for CCN 02, the
/// contract number otherwise.
fn adherent_id(contract: &PrevoyanceContract) -> Result<String, DocumentError> {
    if contract.has_ccn(CCN_PARTICULIER_EMPLOYEUR) {
        contract
            .ccn02
            .as_ref()
            .and_then(|d| d.numero_association.clone())
            .filter(|a| !a.trim().is_empty())
            .ok_or_else(|| {
                DocumentError::MissingAssociation(contract.identification.numero_contrat.clone())
            })
    } else {
        Ok(contract.identification.numero_contrat.clone())
    }
}

fn history_rows<'a>(
    contract: &'a PrevoyanceContract,
    quarter: Quarter,
    cases: &'a [(&'a Case, &'a CaseResult)],
    adherent: &'a str,
    nir: NirMode,
) -> impl Iterator<Item = Vec<String>> + 'a {
    cases.iter().flat_map(move |(case, r)| {
        r.periods
            .iter()
            .filter(move |p| p.period.year == quarter.year && p.period.quarter() == quarter.q)
            .map(move |p| {
                vec![
                    adherent.to_owned(),
                    contract.identification.code_organisme.clone(),
                    contract.identification.numero_emetteur.clone(),
                    quarter.to_string(),
                    r.case_id.clone(),
                    r.employee.clone(),
                    nir_of(case, nir),
                    r.employment_contract.clone(),
                    r.motif.label_fr().to_owned(),
                    r.start.to_string(),
                    r.end.to_string(),
                    p.period.to_string(),
                    p.days.to_string(),
                    p.covered_days.to_string(),
                    fmt_cents(p.ijss_gross),
                    fmt_cents(p.complement_net),
                    fmt_cents(p.complement_gross),
                ]
            })
    })
}

/// Quarterly history, CSV: one row per case and pay period falling in `quarter`.
pub fn quarterly_history_csv(
    contract: &PrevoyanceContract,
    quarter: Quarter,
    cases: &[(&Case, &CaseResult)],
    nir: NirMode,
) -> Result<String, DocumentError> {
    let adherent = adherent_id(contract)?;
    for (_, r) in cases {
        same_contract(contract, r)?;
    }
    to_csv(
        &HISTORY_HEADER,
        history_rows(contract, quarter, cases, &adherent, nir),
    )
}

/// Quarterly history, HTML page.
pub fn quarterly_history_html(
    contract: &PrevoyanceContract,
    quarter: Quarter,
    cases: &[(&Case, &CaseResult)],
    nir: NirMode,
) -> Result<String, DocumentError> {
    let adherent = adherent_id(contract)?;
    for (_, r) in cases {
        same_contract(contract, r)?;
    }
    let mut h = page_start(&format!("Historique trimestriel prévoyance {quarter}"));
    insurer_block(&mut h, contract);
    let _ = write!(h, "<p>Adhérent : {}</p><table><thead><tr>", esc(&adherent));
    for col in &HISTORY_HEADER[4..] {
        let _ = write!(h, "<th>{}</th>", esc(col));
    }
    h.push_str("</tr></thead><tbody>");
    for row in history_rows(contract, quarter, cases, &adherent, nir) {
        h.push_str("<tr>");
        for cell in &row[4..] {
            let _ = write!(h, "<td>{}</td>", esc(cell));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></body></html>\n");
    Ok(h)
}

fn page_start(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #999;padding:2px 6px}}td{{text-align:right}}</style></head>\
         <body><h1>{t}</h1>",
        t = esc(title)
    )
}

fn insurer_block(h: &mut String, contract: &PrevoyanceContract) {
    let id = &contract.identification;
    let _ = write!(
        h,
        "<h2>Organisme</h2><dl><dt>Code organisme</dt><dd>{}</dd><dt>Numéro de contrat</dt>\
         <dd>{}</dd><dt>Numéro émetteur</dt><dd>{}</dd><dt>Adresse</dt><dd>",
        esc(&id.code_organisme),
        esc(&id.numero_contrat),
        esc(&id.numero_emetteur)
    );
    for line in &id.adresse.lines {
        let _ = write!(h, "{}<br>", esc(line));
    }
    let _ = write!(
        h,
        "{} {}</dd></dl>",
        esc(&id.adresse.postal_code),
        esc(&id.adresse.city)
    );
}

/// Escapes text for HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prevoyance::case::{Employee, EmploymentContract, MonthlySalary, Stoppage};
    use crate::prevoyance::contract::tests::seed_contract;
    use crate::prevoyance::contract::{Ccn02Details, SeniorityMode};
    use crate::prevoyance::engine::compute;
    use crate::prevoyance::history::ConsumedDays;
    use crate::prevoyance::motif::Motif;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    fn case() -> Case {
        Case {
            case_id: "K<1>".into(),
            employer: None,
            employee: Employee {
                name: "Durand & Fils".into(),
                nir: Some("1850775123456".into()),
            },
            contract: None,
            contract_file: None,
            employment_contracts: vec![EmploymentContract {
                id: "CT1".into(),
                start: d(2020, 1, 1),
                end: None,
                ccn: "16".into(),
                salaries: (1..=12)
                    .map(|m| MonthlySalary {
                        month: crate::prevoyance::calendar::YearMonth::new(2025, m).unwrap(),
                        gross: dec!(2400),
                    })
                    .collect(),
            }],
            stoppage: Stoppage {
                employment_contract: None,
                start: d(2025, 12, 20),
                end: d(2026, 1, 10),
                motif: Motif::AccidentTravail,
                cpam_carence_waived: false,
                prolongations: Vec::new(),
            },
            ijss: vec![],
            previous_stoppages: vec![],
            consumed_days: ConsumedDays::new(),
        }
    }

    #[test]
    fn bordereau_csv_one_row_per_period() {
        let c = seed_contract();
        let k = case();
        let r = compute(&c, &k).unwrap();
        let csv = bordereau_csv(&c, &k, &r, NirMode::Full).unwrap();
        let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("code_organisme;numero_contrat;"));
        assert!(
            lines[1].contains(";2025-12;2025-12-20;2025-12-31;12;12;"),
            "{}",
            lines[1]
        );
        assert!(lines[1].contains("1850775123456"));
        assert!(lines[2].contains(";2026-01;"));
        let masked = bordereau_csv(&c, &k, &r, NirMode::Masked).unwrap();
        assert!(!masked.contains("1850775123456"));
        assert!(masked.contains("185**********"));
    }

    #[test]
    fn bordereau_requires_traitement_bordereau() {
        let mut c = seed_contract();
        let k = case();
        let r = compute(&c, &k).unwrap();
        c.rules.traitement_bordereau = false;
        assert!(matches!(
            bordereau_csv(&c, &k, &r, NirMode::Masked),
            Err(DocumentError::BordereauDisabled(_))
        ));
        assert!(bordereau_html(&c, &k, &r, NirMode::Masked).is_err());
    }

    #[test]
    fn html_escapes_and_shows_totals() {
        let c = seed_contract();
        let k = case();
        let r = compute(&c, &k).unwrap();
        let h = bordereau_html(&c, &k, &r, NirMode::Masked).unwrap();
        assert!(h.contains("Durand &amp; Fils"));
        assert!(h.contains("K&lt;1&gt;"));
        assert!(!h.contains("K<1>"));
        assert!(h.contains(&fmt_cents(r.totals.complement_net)));
    }

    #[test]
    fn quarterly_history_filters_quarter() {
        let c = seed_contract();
        let k = case();
        let r = compute(&c, &k).unwrap();
        let q1: Quarter = "2026-Q1".parse().unwrap();
        let csv = quarterly_history_csv(&c, q1, &[(&k, &r)], NirMode::Full).unwrap();
        assert_eq!(csv.lines().count(), 2);
        assert!(csv.contains(";2026-01;10;10;"));
        let q4: Quarter = "2025-Q4".parse().unwrap();
        let csv = quarterly_history_csv(&c, q4, &[(&k, &r)], NirMode::Full).unwrap();
        assert!(csv.contains(";2025-12;12;12;"));
        let q2: Quarter = "2026-Q2".parse().unwrap();
        assert_eq!(
            quarterly_history_csv(&c, q2, &[(&k, &r)], NirMode::Full)
                .unwrap()
                .lines()
                .count(),
            1
        );
        let h = quarterly_history_html(&c, q1, &[(&k, &r)], NirMode::Masked).unwrap();
        assert!(h.contains("2026-01"));
        assert!(!h.contains("1850775123456"));
    }

    #[test]
    fn quarterly_history_ccn02_needs_association() {
        let mut c = seed_contract();
        c.conventions = vec!["02".into()];
        c.ccn02 = Some(Ccn02Details {
            numero_association: None,
            seniority: SeniorityMode::PerContract,
            seniority_months_required: 0,
            charge_rubriques: vec![],
        });
        let mut k = case();
        k.employment_contracts[0].ccn = "02".into();
        let r = compute(&c, &k).unwrap();
        let q: Quarter = "2026-Q1".parse().unwrap();
        assert!(matches!(
            quarterly_history_csv(&c, q, &[(&k, &r)], NirMode::Full),
            Err(DocumentError::MissingAssociation(_))
        ));
        if let Some(d) = c.ccn02.as_mut() {
            d.numero_association = Some("ASSO-7".into());
        }
        let csv = quarterly_history_csv(&c, q, &[(&k, &r)], NirMode::Full).unwrap();
        assert!(csv.lines().nth(1).unwrap().starts_with("ASSO-7;"));
    }

    #[test]
    fn wrong_contract_rejected() {
        let c = seed_contract();
        let k = case();
        let r = compute(&c, &k).unwrap();
        let mut other = c.clone();
        other.identification.numero_contrat = "X".into();
        assert!(matches!(
            bordereau_csv(&other, &k, &r, NirMode::Full),
            Err(DocumentError::WrongContract { .. })
        ));
    }

    #[test]
    fn quarter_parse() {
        assert_eq!(
            "2026-Q4".parse::<Quarter>(),
            Ok(Quarter { year: 2026, q: 4 })
        );
        assert!("2026-Q5".parse::<Quarter>().is_err());
        assert!("2026Q1".parse::<Quarter>().is_err());
    }

    #[test]
    fn nir_mask() {
        assert_eq!(mask_nir("1850775123456"), "185**********");
        assert_eq!(mask_nir("18"), "18");
    }
}
