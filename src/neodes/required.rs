//! What a DSN signalement arrêt de travail (nature 04) or reprise (nature 05) must carry: ONE
//! table, read by the writer (which refuses an incomplete file and names the configuration key
//! or CSV column to fill), by `check-config` (which refuses a remote configuration that cannot
//! fill it), by HR validation (a required individual field missing is a located error) and by
//! the sandbox (a file missing one gets a BAN, return 11).
//!
//! Authorities, in this order:
//! - the norm P26V01 (`../shared/reference/open-neodes/open-neodes_norm-P26V01.yaml`,
//!   generated into [`crate::neodes::norm`]): which rubrics exist, their lengths and codes.
//!   Its `natures:` section is NOT reliable (every nature has the same map, all `minOccurs: 1`,
//!   see `../shared/reference/README.md`), so it cannot say what is required;
//! - a real file from a payroll vendor (`open-neodes_sample_dsn_P25V01.dsn`, cited below as
//!   "sample l.N"): what a production declaration carries in S10, S20, S21.G00.06/.11/.30/.40;
//! - `../shared/domain.md` §1.3, §1.4, §3.2 (the rubric meanings and the signalement rules);
//! - the public usage rules of the cahier technique DSN as quoted there.
//!
//! A rubric of the sample that ijgate does not write is listed too, with the reason
//! ([`When::NotWritten`]), so the table shows every choice.

use std::fmt;

/// When a rubric is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// In every signalement of the natures listed.
    Always,
    /// With subrogation (S21.G00.60.004 = 01).
    Subrogation,
    /// In a nature 05, and in a nature 04 whose return date is already known (early return).
    ReturnKnown,
    /// For motifs 04 accident de trajet, 05 maladie professionnelle, 06 accident du travail.
    ProfessionalRisk,
    /// In an "annule et remplace" (03) or an "annule" (04) declaration.
    ReplacesOrCancels,
    /// Written when the source has it; never required.
    WhenKnown,
    /// Not written by ijgate (the reason is in `why`).
    NotWritten,
}

/// Where the value comes from: what the operator or the HR tool must fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A configuration key (`declarant.*`, `employers.*`).
    Config(&'static str),
    /// A canonical HR field (CSV column, JSON key).
    Hr(&'static str),
    /// A constant written by ijgate.
    Fixed(&'static str),
    /// Computed by ijgate (the text says from what).
    Derived(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Config(k) => write!(f, "configuration key {k}"),
            Source::Hr(c) => write!(f, "HR column {c}"),
            Source::Fixed(v) => write!(f, "constant {v}"),
            Source::Derived(d) => write!(f, "computed ({d})"),
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub rubric: &'static str,
    pub label: &'static str,
    /// S20.G00.05.001 values the rule applies to.
    pub natures: &'static [&'static str],
    pub when: When,
    pub source: Source,
    /// The authority for the choice.
    pub why: &'static str,
}

const BOTH: &[&str] = &["04", "05"];

macro_rules! rule {
    ($r:literal, $l:literal, $n:expr, $w:ident, $s:expr, $y:literal) => {
        Rule {
            rubric: $r,
            label: $l,
            natures: $n,
            when: When::$w,
            source: $s,
            why: $y,
        }
    };
}

use Source::{Config, Derived, Fixed, Hr};

/// The table. Order = file order.
#[rustfmt::skip]
pub static TABLE: &[Rule] = &[
    // S10.G00.00 envoi: constants of ijgate, all in sample l.1-8 (domain.md §1.3).
    rule!("S10.G00.00.001", "nom du logiciel", BOTH, Always, Fixed("IJGATE"), "sample l.1"),
    rule!("S10.G00.00.002", "éditeur", BOTH, Always, Fixed("IJGATE"), "sample l.2"),
    rule!("S10.G00.00.003", "version du logiciel", BOTH, Always, Derived("package version"), "sample l.3"),
    rule!("S10.G00.00.005", "essai ou réel", BOTH, Always, Config("declarant.test_files"), "sample l.5 (02 réel); domain.md §3.3: test vs real is decided by this rubric"),
    rule!("S10.G00.00.006", "version de la norme", BOTH, Always, Fixed("P26V01"), "YAML P26V01 S10.G00.00.006 options"),
    rule!("S10.G00.00.007", "point de dépôt", BOTH, Always, Fixed("01"), "sample l.7 (01 net-entreprises)"),
    rule!("S10.G00.00.008", "type de l'envoi", BOTH, Always, Fixed("01"), "sample l.8 (01 normal)"),
    // S10.G00.01 émetteur: SIREN/NIC/name/address, sample l.16-21. When declarant.siret is
    // unset the émetteur is the employer itself, and its address is the employer's.
    rule!("S10.G00.01.001", "SIREN de l'émetteur", BOTH, Always, Config("declarant.siret"), "sample l.16; defaults to the employer's SIRET (the employer sends itself)"),
    rule!("S10.G00.01.002", "NIC de l'émetteur", BOTH, Always, Config("declarant.siret"), "sample l.17"),
    rule!("S10.G00.01.003", "nom de l'émetteur", BOTH, Always, Config("declarant.name"), "sample l.18"),
    rule!("S10.G00.01.004", "voie de l'émetteur", BOTH, Always, Config("declarant.address"), "sample l.19; issue 10 item 2"),
    rule!("S10.G00.01.005", "code postal de l'émetteur", BOTH, Always, Config("declarant.postal_code"), "sample l.20"),
    rule!("S10.G00.01.006", "localité de l'émetteur", BOTH, Always, Config("declarant.city"), "sample l.21"),
    // S10.G00.02 contact émetteur: sample l.22-25; the phone is where net-entreprises calls
    // about a rejected envoi.
    rule!("S10.G00.02.001", "civilité du contact", BOTH, Always, Config("declarant.contact_civility"), "sample l.22"),
    rule!("S10.G00.02.002", "nom du contact", BOTH, Always, Config("declarant.contact_name"), "sample l.23"),
    rule!("S10.G00.02.004", "mél du contact", BOTH, Always, Config("declarant.contact_email"), "sample l.24"),
    rule!("S10.G00.02.005", "téléphone du contact", BOTH, Always, Config("declarant.contact_phone"), "sample l.25; issue 10 item 2"),
    // S20.G00.05 déclaration (domain.md §1.3).
    rule!("S20.G00.05.001", "nature", BOTH, Always, Derived("the HR event: arret 04, early reprise 05"), "YAML P26V01 options 04/05"),
    rule!("S20.G00.05.002", "type", BOTH, Always, Derived("01 normale, 03 annule et remplace, 04 annule"), "YAML P26V01"),
    rule!("S20.G00.05.003", "numéro de fraction", BOTH, Always, Fixed("11"), "sample l.29 (single fraction)"),
    rule!("S20.G00.05.004", "numéro d'ordre", BOTH, Always, Derived("deposit number in the journal"), "sample l.30"),
    rule!("S20.G00.05.005", "date du mois principal déclaré", BOTH, Always, Derived("first day of the month of the event"), "domain.md §1.3"),
    rule!("S20.G00.05.006", "identifiant de la déclaration annulée ou remplacée", BOTH, ReplacesOrCancels, Derived("idflux of the deposit replaced"), "domain.md §1.3: id of the cancelled/replaced declaration"),
    rule!("S20.G00.05.007", "date de constitution du fichier", BOTH, Always, Derived("day the file is built"), "sample l.31"),
    rule!("S20.G00.05.008", "champ de la déclaration", BOTH, Always, Fixed("01"), "domain.md §1.3 (01 totale)"),
    rule!("S20.G00.05.009", "identifiant métier", BOTH, Always, Derived("installation id + deposit number, journal"), "sample l.32; ≤15 (YAML); unique per declarant (README)"),
    rule!("S20.G00.05.010", "devise", BOTH, Always, Fixed("01"), "domain.md §1.3 (01 euro)"),
    // S20.G00.07 contact chez le déclaré, type 01 = contact for the IJ (YAML S20.G00.07.004
    // option 01). The sample carries one per type (l.40-91); a signalement needs the IJ one.
    rule!("S20.G00.07.001", "nom du contact chez le déclaré (IJ)", BOTH, Always, Config("employers.contact_name"), "sample l.40; domain.md §1.2 (type 01 = contact IJ)"),
    rule!("S20.G00.07.002", "téléphone du contact chez le déclaré", BOTH, Always, Config("employers.contact_phone"), "sample l.41"),
    rule!("S20.G00.07.003", "mél du contact chez le déclaré", BOTH, WhenKnown, Config("employers.contact_email"), "sample l.42; the phone is enough to reach the employer"),
    rule!("S20.G00.07.004", "type de contact", BOTH, Always, Fixed("01"), "sample l.43; YAML option 01 = contact chez le déclaré pour les IJ"),
    // S21.G00.06 entreprise: sample l.93-98. The NIC du siège is the head office's, which the
    // sample shows differs from the establishment's (00014 vs 00022): never guessed (item 7).
    rule!("S21.G00.06.001", "SIREN", BOTH, Always, Derived("first 9 digits of the HR row's siret"), "sample l.93"),
    rule!("S21.G00.06.002", "NIC du siège", BOTH, Always, Config("employers.head_office_nic"), "sample l.94 (siège 00014 ≠ établissement 00022); issue 10 item 7"),
    rule!("S21.G00.06.003", "code APEN", BOTH, Always, Config("employers.ape"), "sample l.95"),
    rule!("S21.G00.06.004", "voie du siège", BOTH, Always, Config("employers.head_office_address"), "sample l.96; the establishment's address when head_office_nic is this establishment's NIC"),
    rule!("S21.G00.06.005", "code postal du siège", BOTH, Always, Config("employers.head_office_postal_code"), "sample l.97"),
    rule!("S21.G00.06.006", "localité du siège", BOTH, Always, Config("employers.head_office_city"), "sample l.98"),
    // S21.G00.11 établissement: sample l.100-104 (APET exists in P26V01: S21.G00.11.002).
    rule!("S21.G00.11.001", "NIC", BOTH, Always, Derived("last 5 digits of the HR row's siret"), "sample l.100"),
    rule!("S21.G00.11.002", "code APET", BOTH, Always, Config("employers.apet"), "sample l.101; YAML P26V01 S21.G00.11.002"),
    rule!("S21.G00.11.003", "voie de l'établissement", BOTH, Always, Config("employers.address"), "sample l.102"),
    rule!("S21.G00.11.004", "code postal de l'établissement", BOTH, Always, Config("employers.postal_code"), "sample l.103"),
    rule!("S21.G00.11.005", "localité de l'établissement", BOTH, Always, Config("employers.city"), "sample l.104"),
    // S21.G00.30 individu: sample l.106-116; domain.md §1.4. CPAM identifies the person by
    // NIR, names, birth date and place (the DSIJ carries the same, domain.md §3.1).
    rule!("S21.G00.30.001", "NIR", BOTH, Always, Hr("nir"), "sample; domain.md §1.4"),
    rule!("S21.G00.30.002", "nom de famille", BOTH, Always, Hr("last_name"), "sample"),
    rule!("S21.G00.30.003", "nom d'usage", BOTH, WhenKnown, Hr("usage_name"), "YAML; only when it differs"),
    rule!("S21.G00.30.004", "prénoms", BOTH, Always, Hr("first_names"), "sample"),
    rule!("S21.G00.30.005", "sexe", BOTH, Always, Hr("sex"), "domain.md §1.4"),
    rule!("S21.G00.30.006", "date de naissance", BOTH, Always, Hr("birth_date"), "sample"),
    rule!("S21.G00.30.007", "lieu de naissance", BOTH, Always, Hr("birth_place"), "sample; issue 10 item 2"),
    rule!("S21.G00.30.008", "voie", BOTH, Always, Hr("address"), "sample"),
    rule!("S21.G00.30.009", "code postal", BOTH, Always, Hr("postal_code"), "sample"),
    rule!("S21.G00.30.010", "localité", BOTH, Always, Hr("city"), "sample"),
    rule!("S21.G00.30.014", "département de naissance", BOTH, Always, Hr("birth_department"), "sample (81); 99 when born abroad"),
    rule!("S21.G00.30.015", "pays de naissance", BOTH, Always, Hr("birth_country"), "sample (FR)"),
    rule!("S21.G00.30.019", "matricule", BOTH, WhenKnown, Hr("employee_id"), "sample; a payroll reference, not needed by CPAM"),
    // S21.G00.40 contrat: the sample carries .001-.004, .006-.014, .016-.021, .024, .026,
    // .036, .037. ijgate writes what identifies the contract and the person's category;
    // working time and regimes are the monthly DSN's, from which CPAM reconstitutes the
    // salary attestation (domain.md §3.2), and the HR stoppage message does not carry them.
    rule!("S21.G00.40.001", "date de début du contrat", BOTH, Always, Hr("contract_start"), "sample"),
    rule!("S21.G00.40.002", "statut conventionnel", BOTH, Always, Hr("statut_conventionnel"), "sample (06)"),
    rule!("S21.G00.40.003", "statut catégoriel retraite complémentaire", BOTH, Always, Hr("retirement_category"), "sample (04); YAML options 01/02/04/98/99; issue 10 item 2"),
    rule!("S21.G00.40.004", "PCS-ESE", BOTH, Always, Hr("pcs_ese"), "sample"),
    rule!("S21.G00.40.006", "libellé de l'emploi", BOTH, Always, Hr("job_title"), "sample"),
    rule!("S21.G00.40.007", "nature du contrat", BOTH, Always, Hr("contract_nature"), "sample (01); no silent 01 for a value from outside"),
    rule!("S21.G00.40.008", "dispositif de politique publique", BOTH, NotWritten, Hr("-"), "sample (99); monthly DSN"),
    rule!("S21.G00.40.009", "numéro du contrat", BOTH, Always, Hr("contract_number"), "sample; the key of the contract in the monthly DSN"),
    rule!("S21.G00.40.010", "date de fin prévisionnelle du contrat", BOTH, NotWritten, Hr("-"), "sample (CDD only); monthly DSN"),
    rule!("S21.G00.40.011", "unité de mesure de la quotité", BOTH, NotWritten, Hr("-"), "sample (10); working time: monthly DSN"),
    rule!("S21.G00.40.012", "quotité de la catégorie", BOTH, NotWritten, Hr("-"), "sample; monthly DSN"),
    rule!("S21.G00.40.013", "quotité du contrat", BOTH, NotWritten, Hr("-"), "sample; monthly DSN"),
    rule!("S21.G00.40.014", "modalité d'exercice du temps de travail", BOTH, NotWritten, Hr("-"), "sample; monthly DSN"),
    rule!("S21.G00.40.016", "complément de base au régime obligatoire", BOTH, NotWritten, Hr("-"), "sample; monthly DSN"),
    rule!("S21.G00.40.017", "code convention collective", BOTH, Always, Hr("idcc"), "sample (1501); 9999 without a convention"),
    rule!("S21.G00.40.018", "régime maladie", BOTH, NotWritten, Hr("-"), "sample (200); monthly DSN"),
    rule!("S21.G00.40.019", "identifiant du lieu de travail", BOTH, Always, Derived("the HR row's siret: the establishment the employee is assigned to"), "sample l.135; cahier technique: the SIRET of the place of work, the assignment establishment when the employee works there; issue 10 item 2"),
    rule!("S21.G00.40.020", "régime vieillesse", BOTH, NotWritten, Hr("-"), "sample (200); monthly DSN"),
    rule!("S21.G00.40.021", "motif de recours", BOTH, NotWritten, Hr("-"), "sample (CDD only); monthly DSN"),
    rule!("S21.G00.40.024", "travailleur à l'étranger", BOTH, NotWritten, Hr("-"), "sample (99); monthly DSN"),
    rule!("S21.G00.40.026", "code statut catégoriel APECITA", BOTH, NotWritten, Hr("-"), "sample; monthly DSN"),
    rule!("S21.G00.40.036", "code emplois multiples", BOTH, NotWritten, Hr("-"), "sample; monthly DSN"),
    rule!("S21.G00.40.037", "code employeurs multiples", BOTH, NotWritten, Hr("-"), "sample; monthly DSN"),
    // S21.G00.60 arrêt de travail: domain.md §1.4 table.
    rule!("S21.G00.60.001", "motif de l'arrêt", BOTH, Always, Hr("reason"), "domain.md §1.4"),
    rule!("S21.G00.60.002", "dernier jour travaillé", BOTH, Always, Hr("last_day_worked"), "domain.md §1.4"),
    rule!("S21.G00.60.003", "date de fin prévisionnelle", BOTH, Always, Hr("expected_end"), "domain.md §1.4"),
    rule!("S21.G00.60.004", "subrogation", BOTH, Always, Hr("subrogation"), "domain.md §1.4 (01 oui / 02 non)"),
    rule!("S21.G00.60.005", "début de subrogation", BOTH, Subrogation, Hr("subrogation_start"), "domain.md §1.4: both required when .004 = 01"),
    rule!("S21.G00.60.006", "fin de subrogation", BOTH, Subrogation, Hr("subrogation_end"), "domain.md §1.4"),
    rule!("S21.G00.60.007", "IBAN", BOTH, Subrogation, Hr("iban"), "domain.md §1.4"),
    rule!("S21.G00.60.008", "BIC", BOTH, Subrogation, Hr("bic"), "domain.md §1.4"),
    // An early return closes the stoppage: in the 05, and in the 04 itself when the return is
    // known when it is written, otherwise CPAM pays up to the expected end (issue 10 item 3).
    rule!("S21.G00.60.010", "date de la reprise", BOTH, ReturnKnown, Hr("return_date"), "domain.md §1.4 (.010 closes the stoppage); §3.2"),
    rule!("S21.G00.60.011", "motif de la reprise", BOTH, ReturnKnown, Hr("return_reason"), "domain.md §1.4; goes with .010"),
    rule!("S21.G00.60.012", "date de l'accident", BOTH, ProfessionalRisk, Hr("accident_date"), "domain.md §1.4 (AT/MP motifs)"),
];

/// The rule of a rubric.
pub fn rule(rubric: &str) -> Option<&'static Rule> {
    TABLE.iter().find(|r| r.rubric == rubric)
}

/// The facts that decide the conditions, for one declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Situation<'a> {
    pub nature: &'a str,
    pub decl_type: &'a str,
    pub subrogation: bool,
    pub return_known: bool,
    /// Motif 04, 05 or 06.
    pub professional: bool,
}

impl Rule {
    /// Whether this rule requires its rubric in `s`.
    pub fn applies(&self, s: &Situation<'_>) -> bool {
        if !self.natures.contains(&s.nature) {
            return false;
        }
        match self.when {
            When::Always => true,
            When::Subrogation => s.subrogation,
            When::ReturnKnown => s.return_known || s.nature == "05",
            When::ProfessionalRisk => s.professional,
            When::ReplacesOrCancels => matches!(s.decl_type, "03" | "04"),
            When::WhenKnown | When::NotWritten => false,
        }
    }

    /// "S21.G00.30.007 (lieu de naissance): fill HR column birth_place".
    pub fn missing_message(&self) -> String {
        format!("{} ({}): fill {}", self.rubric, self.label, self.source)
    }
}

/// The rules `s` requires that `present` says are absent.
pub fn missing(s: &Situation<'_>, present: impl Fn(&str) -> bool) -> Vec<&'static Rule> {
    TABLE
        .iter()
        .filter(|r| r.applies(s) && !present(r.rubric))
        .collect()
}

/// True when an arrêt row must carry HR field `field` (a rule [`When::Always`] of nature 04
/// whose source is that field).
pub fn hr_required(field: &str) -> bool {
    TABLE.iter().any(|r| {
        r.when == When::Always
            && r.natures.contains(&"04")
            && matches!(r.source, Source::Hr(f) if f == field)
    })
}

/// Checks an HR value against the norm of the rubric the table feeds from HR field `field`
/// (length, codes of an enumeration): an HR row is then refused with its line and field
/// rather than its file failing at deposit. `Ok` for a field the table does not source.
pub fn check_hr_value(field: &str, value: &str) -> Result<(), HrValueError> {
    let Some(rule) = TABLE
        .iter()
        .find(|r| matches!(r.source, Source::Hr(f) if f == field) && r.when != When::NotWritten)
    else {
        return Ok(());
    };
    let Some(spec) = rule
        .rubric
        .parse()
        .ok()
        .and_then(|id| crate::neodes::norm::lookup(&crate::neodes::norm::P26V01, id))
    else {
        return Ok(());
    };
    let Some(latin1) = crate::neodes::charset::to_latin1(value) else {
        return Ok(()); // the character set is checked by the caller's own rules
    };
    crate::neodes::norm::check_value(spec, &latin1, value.chars().count()).map_err(|e| {
        HrValueError {
            rubric: rule.rubric,
            label: rule.label,
            reason: e.to_string(),
        }
    })
}

/// An HR value the norm refuses for the rubric it feeds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rubric} ({label}): {reason}")]
pub struct HrValueError {
    pub rubric: &'static str,
    pub label: &'static str,
    pub reason: String,
}

/// Motifs for which the accident date is required (accident de trajet, maladie
/// professionnelle, accident du travail).
pub fn is_professional_motif(code: &str) -> bool {
    matches!(code, "04" | "05" | "06")
}

/// Reads the situation of each declaration of a file from its items (sandbox side), and
/// returns, per declaration, the required rubrics absent from it.
pub fn missing_in_items<'a>(
    items: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<Vec<&'static Rule>> {
    let mut decls: Vec<Vec<(&str, &str)>> = Vec::new();
    let mut header: Vec<(&str, &str)> = Vec::new();
    for (r, v) in items {
        if r == "S20.G00.05.001" {
            decls.push(Vec::new());
        }
        match decls.last_mut() {
            Some(d) => d.push((r, v)),
            None => header.push((r, v)),
        }
    }
    decls
        .iter()
        .map(|d| {
            let get = |rub: &str| d.iter().find(|(r, _)| *r == rub).map(|(_, v)| *v);
            let nature = get("S20.G00.05.001").unwrap_or("");
            let s = Situation {
                nature,
                decl_type: get("S20.G00.05.002").unwrap_or(""),
                subrogation: get("S21.G00.60.004") == Some("01"),
                return_known: get("S21.G00.60.010").is_some(),
                professional: get("S21.G00.60.001").is_some_and(is_professional_motif),
            };
            // The S20.G00.07 contact must be the IJ one (type 01).
            let ij_contact = d.iter().any(|(r, v)| *r == "S20.G00.07.004" && *v == "01");
            missing(&s, |rub| {
                if rub.starts_with("S20.G00.07") && !ij_contact {
                    return false;
                }
                header.iter().chain(d.iter()).any(|(r, _)| *r == rub)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neodes::norm::{self, P26V01};
    use crate::neodes::rubric::RubricId;

    #[test]
    fn every_rubric_of_the_table_exists_in_the_norm_once_and_in_file_order() {
        let mut last = String::new();
        for r in TABLE {
            let id: RubricId = r.rubric.parse().unwrap();
            assert!(
                norm::lookup(&P26V01, id).is_some(),
                "{} not in P26V01",
                r.rubric
            );
            assert!(r.rubric > last.as_str(), "{} out of order", r.rubric);
            last = r.rubric.to_string();
        }
    }

    /// The rubrics the issue lists and the sample's contract rubrics are all in the table.
    #[test]
    fn the_table_covers_the_issue_and_the_sample() {
        for r in [
            "S10.G00.01.004",
            "S10.G00.01.005",
            "S10.G00.01.006",
            "S10.G00.02.005",
            "S20.G00.07.001",
            "S20.G00.07.004",
            "S21.G00.06.002",
            "S21.G00.06.003",
            "S21.G00.06.004",
            "S21.G00.06.005",
            "S21.G00.06.006",
            "S21.G00.11.002",
            "S21.G00.11.003",
            "S21.G00.11.004",
            "S21.G00.11.005",
            "S21.G00.30.007",
            "S21.G00.30.008",
            "S21.G00.30.009",
            "S21.G00.30.010",
            "S21.G00.30.014",
            "S21.G00.30.015",
            "S21.G00.40.003",
            "S21.G00.40.019",
        ] {
            assert_eq!(rule(r).map(|x| x.when), Some(When::Always), "{r}");
        }
        let sample = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/reference/open-neodes/open-neodes_sample_dsn_P25V01.dsn"
        ))
        .unwrap();
        let text: String = sample.iter().map(|&b| char::from(b)).collect();
        for line in text.lines() {
            if let Some(r) = line.get(..14)
                && r.starts_with("S21.G00.40")
            {
                assert!(rule(r).is_some(), "{r} of the sample is not in the table");
            }
        }
    }

    #[test]
    fn hr_values_are_checked_against_the_norm() {
        assert!(check_hr_value("contract_nature", "01").is_ok());
        let e = check_hr_value("contract_nature", "00")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("S21.G00.40.007 (nature du contrat): "), "{e}");
        assert!(check_hr_value("retirement_category", "04").is_ok());
        assert!(check_hr_value("retirement_category", "03").is_err());
        assert!(check_hr_value("statut_conventionnel", "05").is_ok());
        assert!(check_hr_value("statut_conventionnel", "42").is_err());
        assert!(check_hr_value("not_a_field", "x").is_ok());
    }

    #[test]
    fn conditions() {
        let s = Situation {
            nature: "04",
            decl_type: "01",
            ..Default::default()
        };
        let miss: Vec<&str> = missing(&s, |_| false).iter().map(|r| r.rubric).collect();
        assert!(miss.contains(&"S21.G00.30.007"));
        assert!(!miss.contains(&"S21.G00.60.005"));
        assert!(!miss.contains(&"S21.G00.60.010"));
        assert!(!miss.contains(&"S20.G00.05.006"));
        let s = Situation {
            nature: "05",
            decl_type: "03",
            subrogation: true,
            ..s
        };
        let miss: Vec<&str> = missing(&s, |_| false).iter().map(|r| r.rubric).collect();
        for r in [
            "S21.G00.60.005",
            "S21.G00.60.010",
            "S21.G00.60.011",
            "S20.G00.05.006",
        ] {
            assert!(miss.contains(&r), "{r}");
        }
        assert!(missing(&s, |_| true).is_empty());
        assert_eq!(
            rule("S21.G00.30.007").unwrap().missing_message(),
            "S21.G00.30.007 (lieu de naissance): fill HR column birth_place"
        );
    }
}
