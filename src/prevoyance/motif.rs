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
