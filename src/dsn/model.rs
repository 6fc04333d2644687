//! Typed view of one DSN declaration as an insurer needs it (domain.md §1.4): company,
//! establishments, prévoyance adhesions, payments, individuals, contracts, stoppages,
//! affiliations, bases, components, individual contributions, seniority.
//!
//! Invariant: every record keeps the physical line number of its first rubric, so anomalies can
//! point at the file. Amounts are `Decimal`, dates `NaiveDate`; a value that does not parse is
//! `None` (the reader already reported it). A NIR is never shown in full by `Display`/`Debug`.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// The DSN carries the NIR as text ([`RawNir`]: masked in `Display`, `Debug` and `Serialize`).
pub use crate::model::nir::RawNir;

/// Lines of the rubrics of one block occurrence, as offsets from its first line. Fixed size (no
/// allocation per record): a block copies at most [`Lines::CAP`] rubrics into the model; further
/// ones fall back to the block's first line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lines {
    n: u8,
    at: [(u16, u32); Lines::CAP],
}

impl Lines {
    pub const CAP: usize = 8;

    /// Records that rubric `number` of the block starting on `first` is on `line`.
    pub fn set(&mut self, first: u64, number: u16, line: u64) {
        let off = u32::try_from(line.saturating_sub(first)).unwrap_or(u32::MAX);
        if let Some(x) = self.at[..usize::from(self.n)]
            .iter_mut()
            .find(|(n, _)| *n == number)
        {
            x.1 = off;
        } else if usize::from(self.n) < Self::CAP {
            self.at[usize::from(self.n)] = (number, off);
            self.n += 1;
        }
    }

    /// The line of rubric `number`, when it was present.
    pub fn get(&self, first: u64, number: u16) -> Option<u64> {
        self.at[..usize::from(self.n)]
            .iter()
            .find(|(n, _)| *n == number)
            .map(|(_, off)| first + u64::from(*off))
    }

    /// The number of the block's first copied rubric.
    pub fn first_number(&self) -> Option<u16> {
        (self.n > 0).then_some(self.at[0].0)
    }
}

/// Records located rubric by rubric: `line_of(n)` is the line of rubric `n` of the block, or
/// `None` when it is absent.
macro_rules! located {
    ($($t:ty),*) => {$(
        impl $t {
            /// Line of rubric number `n` of this block occurrence, when present.
            pub fn line_of(&self, n: u16) -> Option<u64> {
                self.lines.get(self.line, n)
            }
            /// Line of rubric `n` or, when absent, the block's first line.
            pub fn line_or_start(&self, n: u16) -> u64 {
                self.line_of(n).unwrap_or(self.line)
            }
        }
    )*};
}

located!(
    Adhesion,
    Payment,
    PaymentComponent,
    Contract,
    Affiliation,
    Base,
    IndividualContribution,
    Individual
);

/// Envoi-level data (S10), repeated on each of its declarations.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Envoi {
    pub line: u64,
    pub software: String,
    /// 01 test, 02 réel.
    pub test_or_real: String,
    pub norm_version: String,
    pub emitter_siren: String,
    pub emitter_nic: String,
    pub emitter_name: String,
    /// S10.G00.95.* deposit metadata when the DSN comes from a lot (MtoM / upload).
    pub deposit_mode: Option<String>,
    /// S10.G00.95.900: the flux id given by the deposit point (the CRM-OC `IdEnvoi`).
    pub flow_id: Option<String>,
    /// S10.G00.95.008: reception date-time at the deposit point, `AAAAMMJJHHMMSS` (the CRM-OC
    /// `DateHeureReceptionDep`).
    pub deposit_received: Option<String>,
}

/// One declaration (S20.G00.05) with its content.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Declaration {
    pub line: u64,
    pub envoi: Envoi,
    pub nature: String,
    pub kind: String,
    pub fraction: String,
    pub order: String,
    /// S20.G00.05.005, the first day of the main declared month.
    pub month: Option<NaiveDate>,
    pub constitution: Option<NaiveDate>,
    pub champ: String,
    pub company: Option<Company>,
    pub establishments: Vec<Establishment>,
    /// Last physical line of the declaration.
    pub last_line: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Company {
    pub line: u64,
    pub siren: String,
    pub nic_siege: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Establishment {
    pub line: u64,
    pub nic: String,
    pub headcount: Option<u32>,
    pub adhesions: Vec<Adhesion>,
    pub payments: Vec<Payment>,
    pub contributions: Vec<EstablishmentContribution>,
    /// The individuals still held (streaming keeps at most the one being read).
    pub individuals: Vec<Individual>,
    /// Individuals already handed out by a streaming extraction (counted, not kept).
    pub individuals_read: usize,
}

/// S21.G00.15
#[derive(Debug, Clone, Default, Serialize)]
pub struct Adhesion {
    pub line: u64,
    #[serde(skip)]
    pub lines: Lines,
    pub contract_ref: String,
    pub organisme: String,
    pub delegataire: Option<String>,
    pub covered: Option<String>,
    /// S21.G00.15.005, the id affiliations point to.
    pub id: String,
}

/// S21.G00.20 with its S21.G00.55 components.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Payment {
    pub line: u64,
    #[serde(skip)]
    pub lines: Lines,
    pub ops: String,
    pub amount: Option<Decimal>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub mode: Option<String>,
    pub date: Option<NaiveDate>,
    pub components: Vec<PaymentComponent>,
}

/// S21.G00.55
#[derive(Debug, Clone, Default, Serialize)]
pub struct PaymentComponent {
    pub line: u64,
    #[serde(skip)]
    pub lines: Lines,
    pub amount: Option<Decimal>,
    pub population: Option<String>,
    /// S21.G00.55.003, the contract reference for an OC.
    pub assignment: String,
    pub period: Option<String>,
}

/// S21.G00.82
#[derive(Debug, Clone, Default, Serialize)]
pub struct EstablishmentContribution {
    pub line: u64,
    pub amount: Option<Decimal>,
    pub code: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub contract_ref: Option<String>,
}

/// S21.G00.30
#[derive(Debug, Clone, Default, Serialize)]
pub struct Individual {
    pub line: u64,
    #[serde(skip)]
    pub lines: Lines,
    pub nir: RawNir,
    pub last_name: String,
    pub first_names: String,
    pub matricule: Option<String>,
    pub contracts: Vec<Contract>,
    pub pay: Vec<Pay>,
    pub seniority: Vec<Seniority>,
}

/// S21.G00.40 with its stoppages, end, affiliations.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Contract {
    pub line: u64,
    #[serde(skip)]
    pub lines: Lines,
    pub start: Option<NaiveDate>,
    pub category: Option<String>,
    pub nature: Option<String>,
    pub number: String,
    pub planned_end: Option<NaiveDate>,
    pub stoppages: Vec<Stoppage>,
    pub end: Option<ContractEnd>,
    pub affiliations: Vec<Affiliation>,
}

/// S21.G00.60
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stoppage {
    pub line: u64,
    pub reason: String,
    pub last_day_worked: Option<NaiveDate>,
    pub planned_end: Option<NaiveDate>,
    pub subrogation: Option<String>,
    pub return_date: Option<NaiveDate>,
    pub return_reason: Option<String>,
}

/// S21.G00.62
#[derive(Debug, Clone, Default, Serialize)]
pub struct ContractEnd {
    pub line: u64,
    pub date: Option<NaiveDate>,
    pub reason: Option<String>,
}

/// S21.G00.70
#[derive(Debug, Clone, Default, Serialize)]
pub struct Affiliation {
    pub line: u64,
    #[serde(skip)]
    pub lines: Lines,
    pub option: Option<String>,
    pub population: Option<String>,
    /// S21.G00.70.012, the id bases point to.
    pub id: String,
    /// S21.G00.70.013 → S21.G00.15.005.
    pub adhesion_id: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

/// S21.G00.50 with its bases.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Pay {
    pub line: u64,
    pub date: Option<NaiveDate>,
    pub bases: Vec<Base>,
}

/// S21.G00.78 with its components (79) and contributions (81).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Base {
    pub line: u64,
    #[serde(skip)]
    pub lines: Lines,
    pub code: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub amount: Option<Decimal>,
    /// S21.G00.78.005 → S21.G00.70.012.
    pub affiliation_id: Option<String>,
    pub contract_number: Option<String>,
    pub components: Vec<Component>,
    pub contributions: Vec<IndividualContribution>,
}

/// S21.G00.79
#[derive(Debug, Clone, Default, Serialize)]
pub struct Component {
    pub line: u64,
    pub kind: String,
    pub amount: Option<Decimal>,
}

/// S21.G00.81
#[derive(Debug, Clone, Default, Serialize)]
pub struct IndividualContribution {
    pub line: u64,
    #[serde(skip)]
    pub lines: Lines,
    pub code: String,
    pub ops: Option<String>,
    pub base_amount: Option<Decimal>,
    pub amount: Option<Decimal>,
    pub rate: Option<Decimal>,
}

/// S21.G00.86
#[derive(Debug, Clone, Default, Serialize)]
pub struct Seniority {
    pub line: u64,
    pub kind: String,
    pub unit: String,
    pub value: String,
    pub contract_number: Option<String>,
}

impl Declaration {
    /// SIREN of the declared company (empty when absent).
    pub fn siren(&self) -> &str {
        self.company.as_ref().map_or("", |c| c.siren.as_str())
    }

    /// SIRET of an establishment of this declaration.
    pub fn siret(&self, e: &Establishment) -> String {
        format!("{}{}", self.siren(), e.nic)
    }

    /// Every stoppage with its employer and employee, for reconciling with the journal.
    pub fn stoppages(&self) -> Vec<StoppageRef> {
        let mut out = Vec::new();
        for e in &self.establishments {
            for i in &e.individuals {
                for c in &i.contracts {
                    for s in &c.stoppages {
                        out.push(StoppageRef {
                            siret: self.siret(e),
                            nir: i.nir.clone(),
                            contract_number: c.number.clone(),
                            stoppage: s.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    /// Number of individuals (held or already handed out by a streaming extraction).
    pub fn employee_count(&self) -> usize {
        self.establishments
            .iter()
            .map(|e| e.individuals.len() + e.individuals_read)
            .sum()
    }
}

/// A stoppage located by SIRET / NIR (see [`Declaration::stoppages`]).
#[derive(Debug, Clone, Serialize)]
pub struct StoppageRef {
    pub siret: String,
    pub nir: RawNir,
    pub contract_number: String,
    pub stoppage: Stoppage,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nir_is_masked_everywhere_but_expose() {
        let n = RawNir::new("1850575123456");
        assert_eq!(n.to_string(), "185**********");
        assert_eq!(format!("{n:?}"), "Nir(185**********)");
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"185**********\"");
        assert_eq!(n.expose(), "1850575123456");
        assert!(
            !format!(
                "{:?}",
                Individual {
                    nir: n,
                    ..Default::default()
                }
            )
            .contains("0575")
        );
    }
}
