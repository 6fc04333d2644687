//! The canonical stoppage message: what every door (CSV, JSON, DSN signalement, web service)
//! is mapped to before it reaches the journal.
//!
//! One message = one event on one stoppage of one employee, identified by the employer's SIRET
//! and the HR tool's own reference (`hr_ref`). Fields that only some events need are optional
//! here; [`crate::model::validate`] guarantees the ones each event requires.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;

use super::nir::Nir;
use super::siret::Siret;

/// What happened to the stoppage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A new stoppage (DSN signalement nature 04).
    Arret,
    /// The expected end moves later (nothing to CPAM; the monthly DSN carries it).
    Prolongation,
    /// The employee is back (nature 05 when earlier than expected).
    Reprise,
    /// The stoppage was entered by mistake (nature 04 "annule").
    Annulation,
}

impl EventKind {
    pub const ALL: [EventKind; 4] = [
        EventKind::Arret,
        EventKind::Prolongation,
        EventKind::Reprise,
        EventKind::Annulation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Arret => "arret",
            EventKind::Prolongation => "prolongation",
            EventKind::Reprise => "reprise",
            EventKind::Annulation => "annulation",
        }
    }

    /// Accepts the canonical names and the usual French spellings HR exports use.
    pub fn parse(s: &str) -> Option<EventKind> {
        let n = normalise_word(s);
        Some(match n.as_str() {
            "arret" | "arret_de_travail" | "arret_travail" | "debut" | "nouvel_arret" => {
                EventKind::Arret
            }
            "prolongation" => EventKind::Prolongation,
            "reprise" | "fin" | "fin_arret" | "retour" => EventKind::Reprise,
            "annulation" | "annule" | "suppression" => EventKind::Annulation,
            _ => return None,
        })
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lower-case, accents and separators folded, so "Arrêt de travail" matches "arret_de_travail".
pub fn normalise_word(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.trim()
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .map(|c| {
            if c == ' ' || c == '-' || c == '\'' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Motif de l'arrêt (S21.G00.60.001), kept as its DSN code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Motif(u8);

impl Motif {
    pub const MALADIE: Motif = Motif(1);
    pub const MATERNITE: Motif = Motif(2);
    pub const PATERNITE: Motif = Motif(3);
    pub const ACCIDENT_TRAJET: Motif = Motif(4);
    pub const MALADIE_PROFESSIONNELLE: Motif = Motif(5);
    pub const ACCIDENT_TRAVAIL: Motif = Motif(6);
    pub const DEUIL_ENFANT: Motif = Motif(19);

    const NAMES: [(&'static str, u8); 18] = [
        ("maladie", 1),
        ("maternite", 2),
        ("paternite", 3),
        ("accueil_enfant", 3),
        ("accident_trajet", 4),
        ("accident_de_trajet", 4),
        ("maladie_professionnelle", 5),
        ("accident_travail", 6),
        ("accident_du_travail", 6),
        ("femme_enceinte_dispensee", 7),
        ("adoption", 9),
        ("tpt_maladie", 15),
        ("tpt_accident_travail", 16),
        ("tpt_accident_trajet", 17),
        ("tpt_maladie_professionnelle", 18),
        ("temps_partiel_therapeutique", 15),
        ("deuil_enfant", 19),
        ("conge_deuil_enfant", 19),
    ];

    /// Parses a DSN code ("01", "6") or a name ("maladie", "Accident du travail").
    pub fn parse(s: &str) -> Option<Motif> {
        let t = s.trim();
        if !t.is_empty() && t.len() <= 2 && t.chars().all(|c| c.is_ascii_digit()) {
            let code: u8 = t.parse().ok()?;
            // 08 does not exist; 10–14 are civil-service motifs; 99 is "annulation", which
            // is an event here, not a motif.
            return matches!(code, 1..=7 | 9..=19).then_some(Motif(code));
        }
        let n = normalise_word(t);
        Self::NAMES
            .iter()
            .find(|(name, _)| *name == n)
            .map(|&(_, c)| Motif(c))
    }

    pub fn code(self) -> u8 {
        self.0
    }

    /// The two-digit DSN value.
    pub fn dsn_code(self) -> String {
        format!("{:02}", self.0)
    }

    /// Work accident, commuting accident or occupational disease (and their therapeutic
    /// part-time variants): no carence, accident date required, 12 months of history.
    pub fn is_professional(self) -> bool {
        matches!(self.0, 4 | 5 | 6 | 16 | 17 | 18)
    }

    /// Therapeutic part-time (15–18) and child bereavement (19) are not covered by the DSN
    /// signalement: they go to the DSIJ fallback (domain.md §3.2).
    pub fn needs_dsij(self) -> bool {
        matches!(self.0, 15..=19)
    }
}

impl TryFrom<String> for Motif {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Motif::parse(&s).ok_or_else(|| format!("unknown motif {s:?}"))
    }
}

impl From<Motif> for String {
    fn from(m: Motif) -> String {
        m.dsn_code()
    }
}

/// Sex as the DSN codes it (S21.G00.30.005).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn parse(s: &str) -> Option<Sex> {
        match normalise_word(s).as_str() {
            "1" | "01" | "m" | "h" | "homme" | "masculin" | "male" => Some(Sex::Male),
            "2" | "02" | "f" | "femme" | "feminin" | "female" => Some(Sex::Female),
            _ => None,
        }
    }
    pub fn dsn_code(self) -> &'static str {
        match self {
            Sex::Male => "01",
            Sex::Female => "02",
        }
    }
    /// The first digit of a NIR for this sex.
    pub fn nir_digit(self) -> char {
        match self {
            Sex::Male => '1',
            Sex::Female => '2',
        }
    }
}

/// The employee (S21.G00.30).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Employee {
    pub nir: Nir,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_names: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_place: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// The payroll's own employee number (matricule, S21.G00.30.019).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
}

/// The employment contract the stoppage suspends (S21.G00.40).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmploymentContract {
    /// Numéro du contrat (S21.G00.40.009), the key other DSN blocks point to.
    pub number: String,
    pub start: NaiveDate,
    /// Nature du contrat (S21.G00.40.007): 01 CDI, 02 CDD, ... Required for an arrêt (no
    /// silent default); empty only on journal rows written before it was.
    pub nature: String,
    /// Statut catégoriel retraite complémentaire (S21.G00.40.003): 01 cadre, 04 non cadre, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retirement_category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pcs_ese: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statut_conventionnel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idcc: Option<String>,
    /// Population code, used to pick the insurer contract.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<String>,
}

/// Subrogation: the employer keeps paying and receives the daily allowances (S21.G00.60.004–.008).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subrogation {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub iban: String,
    pub bic: String,
}

/// Reason for returning to work (S21.G00.60.011).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnReason {
    /// 01 reprise normale.
    Normal,
    /// 02 temps partiel thérapeutique.
    TherapeuticPartTime,
    /// 03 temps partiel pour raison personnelle.
    PersonalPartTime,
}

impl ReturnReason {
    pub fn parse(s: &str) -> Option<ReturnReason> {
        match normalise_word(s).as_str() {
            "1" | "01" | "normale" | "normal" => Some(ReturnReason::Normal),
            "2" | "02" | "temps_partiel_therapeutique" | "tpt" => {
                Some(ReturnReason::TherapeuticPartTime)
            }
            "3" | "03" | "temps_partiel_raison_personnelle" | "temps_partiel" => {
                Some(ReturnReason::PersonalPartTime)
            }
            _ => None,
        }
    }
    pub fn dsn_code(self) -> &'static str {
        match self {
            ReturnReason::Normal => "01",
            ReturnReason::TherapeuticPartTime => "02",
            ReturnReason::PersonalPartTime => "03",
        }
    }
}

/// One validated stoppage message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stoppage {
    pub event: EventKind,
    pub hr_ref: String,
    pub siret: Siret,
    pub employee: Employee,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<EmploymentContract>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Motif>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_day_worked: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_end: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_reason: Option<ReturnReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accident_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subrogation: Option<Subrogation>,
    /// Gross monthly salaries of the 12 months before the stoppage, most recent first.
    /// Exact decimals, serialised as strings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub salaries: Vec<SalaryAmount>,
}

/// A gross monthly salary, serialised as an exact decimal string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SalaryAmount(#[serde(with = "rust_decimal::serde::str")] pub Decimal);

impl Stoppage {
    /// Canonical JSON: the journal's payload and the input of the content hash, so the same
    /// data sent as CSV or JSON, with any column order, hashes the same.
    pub fn canonical_json(&self) -> String {
        // Serialising a plain struct of strings, dates and decimals cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// SHA-256 of the canonical JSON, hex.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(self.canonical_json().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn motif_codes_and_names() {
        assert_eq!(Motif::parse("01"), Some(Motif::MALADIE));
        assert_eq!(Motif::parse("6"), Some(Motif::ACCIDENT_TRAVAIL));
        assert_eq!(
            Motif::parse("Accident du travail"),
            Some(Motif::ACCIDENT_TRAVAIL)
        );
        assert_eq!(Motif::parse("Maternité"), Some(Motif::MATERNITE));
        assert_eq!(Motif::parse("08"), None);
        assert_eq!(Motif::parse("99"), None);
        assert_eq!(Motif::parse("grippe"), None);
        assert!(Motif::parse("15").unwrap().needs_dsij());
        assert!(!Motif::MALADIE.needs_dsij());
        assert!(Motif::parse("04").unwrap().is_professional());
    }

    #[test]
    fn event_and_sex_spellings() {
        assert_eq!(EventKind::parse("Arrêt"), Some(EventKind::Arret));
        assert_eq!(EventKind::parse("REPRISE"), Some(EventKind::Reprise));
        assert_eq!(EventKind::parse("modif"), None);
        assert_eq!(Sex::parse("F"), Some(Sex::Female));
        assert_eq!(Sex::parse("01"), Some(Sex::Male));
        assert_eq!(Sex::parse("X"), None);
        assert_eq!(
            ReturnReason::parse("02"),
            Some(ReturnReason::TherapeuticPartTime)
        );
    }
}
