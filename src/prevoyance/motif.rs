//! Reason of a stoppage and the families of rules it selects.
//!
//! Three rule sets look at the motif and do not group it the same way, hence three methods:
//! the CPAM (AT/MP IJ rules also cover the accident de trajet), the Code du travail (no
//! maintenance carence for AT/MP only) and the prévoyance contract (carence "maladie" only;
//! every other motif uses the "accident" rubrique).

use serde::{Deserialize, Serialize};

/// Motif of a stoppage. A non-work accident (accident de la vie privée) is declared as
/// `Maladie`: CPAM, the Code du travail and the contracts treat it as sickness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Motif {
    /// Maladie (including non-work accident).
    Maladie,
    /// Accident du travail.
    AccidentTravail,
    /// Accident de trajet.
    AccidentTrajet,
    /// Maladie professionnelle.
    MaladieProfessionnelle,
}

impl Motif {
    /// From the DSN motif code (S21.G00.60.001): 01 maladie, 04 trajet, 05 maladie
    /// professionnelle, 06 accident du travail; other motifs (maternity, therapeutic part-time,
    /// ...) are outside the complement engine.
    pub fn from_dsn_code(code: u8) -> Option<Motif> {
        Some(match code {
            1 => Motif::Maladie,
            4 => Motif::AccidentTrajet,
            5 => Motif::MaladieProfessionnelle,
            6 => Motif::AccidentTravail,
            _ => return None,
        })
    }

    /// CPAM pays IJ under the AT/MP rules (no carence, SJB / 30.42, 60 % then 80 %).
    pub fn cpam_professional(self) -> bool {
        !matches!(self, Motif::Maladie)
    }

    /// Legal maintenance starts on day 1 (no 7-day carence): AT and MP only (D1226-3).
    pub fn legal_no_carence(self) -> bool {
        matches!(self, Motif::AccidentTravail | Motif::MaladieProfessionnelle)
    }

    /// The contract's sickness carence applies, and the "complément maladie" rubrique is used.
    pub fn contract_sickness(self) -> bool {
        matches!(self, Motif::Maladie)
    }

    /// Short French label used in documents.
    pub fn label_fr(self) -> &'static str {
        match self {
            Motif::Maladie => "Maladie",
            Motif::AccidentTravail => "Accident du travail",
            Motif::AccidentTrajet => "Accident de trajet",
            Motif::MaladieProfessionnelle => "Maladie professionnelle",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_dsn_codes() {
        assert_eq!(Motif::from_dsn_code(1), Some(Motif::Maladie));
        assert_eq!(Motif::from_dsn_code(4), Some(Motif::AccidentTrajet));
        assert_eq!(Motif::from_dsn_code(5), Some(Motif::MaladieProfessionnelle));
        assert_eq!(Motif::from_dsn_code(6), Some(Motif::AccidentTravail));
        assert_eq!(Motif::from_dsn_code(2), None);
        assert_eq!(Motif::from_dsn_code(15), None);
    }

    #[test]
    fn families() {
        assert!(!Motif::Maladie.cpam_professional());
        assert!(Motif::AccidentTrajet.cpam_professional());
        assert!(Motif::AccidentTravail.legal_no_carence());
        assert!(!Motif::AccidentTrajet.legal_no_carence());
        assert!(Motif::Maladie.contract_sickness());
        assert!(!Motif::MaladieProfessionnelle.contract_sickness());
    }

    #[test]
    fn serde_names() {
        let m: Motif = serde_json::from_str("\"accident_travail\"").unwrap();
        assert_eq!(m, Motif::AccidentTravail);
        assert!(serde_json::from_str::<Motif>("\"AT\"").is_err());
    }
}
