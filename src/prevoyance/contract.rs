//! Prévoyance contract model (seed 001 "Identification", "Règles de gestion", "Détails de
//! calcul"), its TOML/JSON loading and its validation.
//!
//! Invariants: a contract that passed [`PrevoyanceContract::validate`] has a non-empty,
//! strictly ascending seniority table with 1 to 3 coverages per row, rates within 0–100 %,
//! the rates needed by a net base, rubriques when paiement anticipé is on, and CCN 02 alone
//! when it is listed. Validation collects every problem, not only the first.
//! Rates are percentages (`23` = 23 %), as on the seed's screens.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde::{Deserialize, Serialize};

/// CCN 02, particuliers-employeurs: prévoyance managed specifically (IRCEM), exclusive.
pub const CCN_PARTICULIER_EMPLOYEUR: &str = "02";
/// CCN 01, aide à domicile: salary maintenance then frozen contract 99 (avenant 1 April 2000).
pub const CCN_AIDE_A_DOMICILE: &str = "01";
/// Number of the frozen "Incapacité" contract chained after CCN 01 salary maintenance.
pub const CONTRACT_99_NUMBER: &str = "99";
/// Contract 99: 1 005 days …
pub const CONTRACT_99_DAYS: u32 = 1005;
/// … at 77 % of the gross.
pub const CONTRACT_99_RATE_PCT: Decimal = dec!(77);

/// A prévoyance contract: a set of coverages granted by one insurer to one legal entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrevoyanceContract {
    /// Who the insurer knows the employer as; printed on every claim and history file.
    pub identification: Identification,
    /// How the complement is computed and paid.
    pub rules: ManagementRules,
    /// Collective agreements this contract covers (e.g. "01", "02", "16"); an employment
    /// contract may only be linked to a prévoyance contract listing its CCN.
    pub conventions: Vec<String>,
    /// Details only for CCN 02 (particuliers-employeurs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ccn02: Option<Ccn02Details>,
    /// Coverages by seniority: up to 3 cascaded coverages per row.
    #[serde(default)]
    pub coverage_table: Vec<SeniorityRow>,
}

/// Insurer-side identification (mandatory, defined by the insurer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identification {
    /// Code organisme.
    pub code_organisme: String,
    /// Numéro de contrat.
    pub numero_contrat: String,
    /// Numéro émetteur.
    pub numero_emetteur: String,
    /// Postal address of the insurer, where claims are sent.
    #[serde(default)]
    pub adresse: Address,
}

/// Postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Name and street lines, as printed.
    #[serde(default)]
    pub lines: Vec<String>,
    /// Code postal.
    #[serde(default)]
    pub postal_code: String,
    /// Ville.
    #[serde(default)]
    pub city: String,
}

/// Gross or net base of the complement ("A partir du" salaire brut / net).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// Coverage rate applies to the gross reference salary; gross IJSS are deducted.
    Brut,
    /// Coverage rate applies to the net reference salary; net IJSS are deducted.
    Net,
}

fn is_default_average(a: &crate::prevoyance::reference::ReferenceAverage) -> bool {
    *a == crate::prevoyance::reference::ReferenceAverage::default()
}

/// "Règles de gestion".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagementRules {
    /// Days of each sickness stoppage not covered by the insurer (accidents: none).
    pub carence_days_sickness: u32,
    /// Civil months before the stoppage averaged into the reference salary.
    pub reference_months: u32,
    /// How months without salary are averaged: `civil_months` (default, seed 001: cumul / N)
    /// or `months_worked` (cumul / months with a salary).
    #[serde(default, skip_serializing_if = "is_default_average")]
    pub reference_average: crate::prevoyance::reference::ReferenceAverage,
    /// Claims (bordereaux) may be issued to the insurer.
    pub traitement_bordereau: bool,
    /// Base of the complement.
    pub base: Base,
    /// Taux cumulé de charges salariales, % — derives the net from the gross; required for a
    /// net base (absent with a gross base: net complement = gross complement).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::prevoyance::money::strict_option"
    )]
    pub charges_rate_pct: Option<Decimal>,
    /// CSG/CRDS withheld by the CPAM on IJSS, % (6.7 in 2026): IJSS net = gross × (1 − rate).
    #[serde(with = "crate::prevoyance::money::strict")]
    pub csg_crds_ijss_pct: Decimal,
    /// Quote-part participation employeur, %: only that share of the complement bears social
    /// charges, which is what turns a net complement into a gross one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::prevoyance::money::strict_option"
    )]
    pub employer_share_pct: Option<Decimal>,
    /// The complement is advanced on the payslip of each pay period.
    pub paiement_anticipe: bool,
    /// Payslip rubrique for the sickness complement (required with paiement anticipé).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rubrique_complement_maladie: Option<String>,
    /// Payslip rubrique for the accident complement (required with paiement anticipé).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rubrique_complement_accident: Option<String>,
}

/// How seniority is judged for CCN 02, where one employee often has several employers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeniorityMode {
    /// Only contracts having the required seniority enter the reference salary.
    PerContract,
    /// One contract with the seniority suffices: every contract active at the start counts.
    OldestContract,
}

/// "Détails de calcul" for CCN 02.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ccn02Details {
    /// Numéro association given by IRCEM prévoyance; required to produce the quarterly file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numero_association: Option<String>,
    /// Appréciation de l'ancienneté.
    pub seniority: SeniorityMode,
    /// Minimum seniority (months from the employment contract's start) to be covered.
    pub seniority_months_required: u32,
    /// Payslip charge rubriques applied when the employer subscribed the extra coverage.
    #[serde(default)]
    pub charge_rubriques: Vec<String>,
}

/// One row of the seniority table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeniorityRow {
    /// The row applies from this many full months of seniority on the first day of stoppage.
    pub min_seniority_months: u32,
    /// Cascaded coverages, consumed in order (1 to 3).
    pub coverages: Vec<Coverage>,
}

/// One coverage: `days` days at `rate_pct` of the base, complement capped per day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Coverage {
    /// Days paid under this coverage over a rolling 12 months.
    pub days: u32,
    /// Rate of the daily base guaranteed (IJSS included), %.
    #[serde(with = "crate::prevoyance::money::strict")]
    pub rate_pct: Decimal,
    /// Plafond d'indemnisation: maximum daily complement on the contract's base, €.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::prevoyance::money::strict_option"
    )]
    pub ceiling_daily: Option<Decimal>,
}

/// One validation problem, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractProblem {
    /// Dotted path of the field, e.g. `coverage_table[1].coverages[0].rate_pct`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ContractProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Loading or validation failure of a contract file.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// The text is not valid TOML/JSON for the model (message carries line and column).
    #[error("{origin}: cannot read prévoyance contract: {message}")]
    Parse {
        /// File name or other origin.
        origin: String,
        /// Parser message (with line/column).
        message: String,
    },
    /// The contract parsed but breaks rules; every problem is listed.
    #[error("{origin}: invalid prévoyance contract: {}", join_problems(.problems))]
    Invalid {
        /// File name or other origin.
        origin: String,
        /// All problems found.
        problems: Vec<ContractProblem>,
    },
}

fn join_problems(p: &[ContractProblem]) -> String {
    p.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl PrevoyanceContract {
    /// Parses and validates a TOML contract; `origin` names the file in errors.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, ContractError> {
        let c: Self = toml::from_str(text).map_err(|e| ContractError::Parse {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        c.validated(origin)
    }

    /// Parses and validates a JSON contract; `origin` names the file in errors.
    pub fn from_json_str(text: &str, origin: &str) -> Result<Self, ContractError> {
        let c: Self = serde_json::from_str(text).map_err(|e| ContractError::Parse {
            origin: origin.to_owned(),
            message: e.to_string(),
        })?;
        c.validated(origin)
    }

    /// Returns `self` when valid, else every problem.
    pub fn validated(self, origin: &str) -> Result<Self, ContractError> {
        let problems = self.validate();
        if problems.is_empty() {
            Ok(self)
        } else {
            Err(ContractError::Invalid {
                origin: origin.to_owned(),
                problems,
            })
        }
    }

    /// Every rule the contract breaks (empty when valid).
    pub fn validate(&self) -> Vec<ContractProblem> {
        let mut p = Problems::default();
        let id = &self.identification;
        p.non_empty("identification.code_organisme", &id.code_organisme);
        p.non_empty("identification.numero_contrat", &id.numero_contrat);
        p.non_empty("identification.numero_emetteur", &id.numero_emetteur);
        if id.numero_contrat.trim() == CONTRACT_99_NUMBER {
            p.push(
                "identification.numero_contrat",
                "\"99\" is reserved for the frozen CCN 01 incapacity contract",
            );
        }

        let r = &self.rules;
        if !(1..=12).contains(&r.reference_months) {
            p.push("rules.reference_months", "must be between 1 and 12");
        }
        if r.carence_days_sickness > 365 {
            p.push("rules.carence_days_sickness", "must be at most 365");
        }
        p.pct_below_100("rules.csg_crds_ijss_pct", r.csg_crds_ijss_pct);
        if let Some(c) = r.charges_rate_pct {
            p.pct_below_100("rules.charges_rate_pct", c);
        }
        if let Some(s) = r.employer_share_pct {
            p.pct_up_to_100("rules.employer_share_pct", s);
        }
        if r.base == Base::Net {
            if r.charges_rate_pct.is_none() {
                p.push("rules.charges_rate_pct", "required when the base is net");
            }
            if r.employer_share_pct.is_none() {
                p.push("rules.employer_share_pct", "required when the base is net");
            }
        }
        if r.paiement_anticipe {
            for (field, v) in [
                (
                    "rules.rubrique_complement_maladie",
                    &r.rubrique_complement_maladie,
                ),
                (
                    "rules.rubrique_complement_accident",
                    &r.rubrique_complement_accident,
                ),
            ] {
                if v.as_deref().is_none_or(|s| s.trim().is_empty()) {
                    p.push(field, "required when paiement_anticipe is true");
                }
            }
        }

        self.validate_conventions(&mut p);
        self.validate_table(&mut p);
        p.0
    }

    fn validate_conventions(&self, p: &mut Problems) {
        if self.conventions.is_empty() {
            p.push(
                "conventions",
                "at least one collective agreement is required",
            );
        }
        for (i, c) in self.conventions.iter().enumerate() {
            if c.trim().is_empty() {
                p.push(&format!("conventions[{i}]"), "must not be empty");
            } else if self.conventions[..i].iter().any(|o| o.trim() == c.trim()) {
                p.push(
                    &format!("conventions[{i}]"),
                    &format!("{c:?} is listed twice"),
                );
            }
        }
        let has02 = self.has_ccn(CCN_PARTICULIER_EMPLOYEUR);
        if has02 && self.conventions.len() > 1 {
            p.push(
                "conventions",
                "CCN 02 (particuliers-employeurs) excludes any other collective agreement",
            );
        }
        match (has02, &self.ccn02) {
            (true, None) => p.push("ccn02", "required when CCN 02 is listed"),
            (false, Some(_)) => p.push("ccn02", "only allowed when CCN 02 is listed"),
            (true, Some(d)) => {
                if d.seniority_months_required > 600 {
                    p.push("ccn02.seniority_months_required", "must be at most 600");
                }
                if let Some(a) = &d.numero_association {
                    p.non_empty("ccn02.numero_association", a);
                }
            }
            (false, None) => {}
        }
    }

    fn validate_table(&self, p: &mut Problems) {
        if self.coverage_table.is_empty() {
            p.push("coverage_table", "at least one seniority row is required");
        }
        let mut prev: Option<u32> = None;
        for (i, row) in self.coverage_table.iter().enumerate() {
            let f = format!("coverage_table[{i}]");
            if let Some(prev) = prev
                && row.min_seniority_months <= prev
            {
                p.push(
                    &format!("{f}.min_seniority_months"),
                    "rows must be in strictly ascending seniority",
                );
            }
            prev = Some(row.min_seniority_months);
            if !(1..=3).contains(&row.coverages.len()) {
                p.push(&format!("{f}.coverages"), "1 to 3 coverages per row");
            }
            for (j, c) in row.coverages.iter().enumerate() {
                let f = format!("{f}.coverages[{j}]");
                if c.days == 0 {
                    p.push(&format!("{f}.days"), "must be at least 1");
                }
                if c.rate_pct <= Decimal::ZERO || c.rate_pct > Decimal::ONE_HUNDRED {
                    p.push(&format!("{f}.rate_pct"), "must be > 0 and <= 100");
                }
                if let Some(ceil) = c.ceiling_daily
                    && (ceil <= Decimal::ZERO || ceil > dec!(1000000))
                {
                    p.push(
                        &format!("{f}.ceiling_daily"),
                        "must be > 0 and <= 1000000 when given",
                    );
                }
            }
        }
    }

    /// The contract lists this collective agreement.
    pub fn has_ccn(&self, ccn: &str) -> bool {
        self.conventions.iter().any(|c| c.trim() == ccn)
    }

    /// The row of the seniority table for `seniority_months` (greatest minimum not above it).
    pub fn row_for(&self, seniority_months: u32) -> Option<&SeniorityRow> {
        self.coverage_table
            .iter()
            .rev()
            .find(|r| r.min_seniority_months <= seniority_months)
    }

    /// Net-to-gross divisor `1 − charges × employer share` (seed: 100 − 23 × 0.70 = 83.90 %).
    pub fn gross_divisor(&self) -> Decimal {
        let charges = self.rules.charges_rate_pct.unwrap_or_default();
        let share = self.rules.employer_share_pct.unwrap_or_default();
        Decimal::ONE - charges * share / dec!(10000)
    }

    /// Payslip rubrique for the complement of a stoppage, when paid in advance.
    pub fn rubrique_for(&self, motif: crate::prevoyance::motif::Motif) -> Option<&str> {
        if !self.rules.paiement_anticipe {
            return None;
        }
        if motif.contract_sickness() {
            self.rules.rubrique_complement_maladie.as_deref()
        } else {
            self.rules.rubrique_complement_accident.as_deref()
        }
    }
}

#[derive(Default)]
struct Problems(Vec<ContractProblem>);

impl Problems {
    fn push(&mut self, field: &str, message: &str) {
        self.0.push(ContractProblem {
            field: field.to_owned(),
            message: message.to_owned(),
        });
    }
    fn non_empty(&mut self, field: &str, v: &str) {
        if v.trim().is_empty() {
            self.push(field, "must not be empty");
        }
    }
    fn pct_below_100(&mut self, field: &str, v: Decimal) {
        if v < Decimal::ZERO || v >= Decimal::ONE_HUNDRED {
            self.push(field, "must be >= 0 and < 100");
        }
    }
    fn pct_up_to_100(&mut self, field: &str, v: Decimal) {
        if v < Decimal::ZERO || v > Decimal::ONE_HUNDRED {
            self.push(field, "must be between 0 and 100");
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The seed's example: net base, 23 % charges, 70 % employer share, cascade 30/30/30 days
    /// at 100/80/60 %, 6-month reference salary.
    pub(crate) fn seed_contract() -> PrevoyanceContract {
        PrevoyanceContract {
            identification: Identification {
                code_organisme: "ORG1".into(),
                numero_contrat: "C-0042".into(),
                numero_emetteur: "E-17".into(),
                adresse: Address::default(),
            },
            rules: ManagementRules {
                carence_days_sickness: 3,
                reference_months: 6,
                reference_average: Default::default(),
                traitement_bordereau: true,
                base: Base::Net,
                charges_rate_pct: Some(dec!(23)),
                csg_crds_ijss_pct: dec!(6.7),
                employer_share_pct: Some(dec!(70)),
                paiement_anticipe: true,
                rubrique_complement_maladie: Some("4100".into()),
                rubrique_complement_accident: Some("4110".into()),
            },
            conventions: vec!["16".into()],
            ccn02: None,
            coverage_table: vec![SeniorityRow {
                min_seniority_months: 0,
                coverages: vec![
                    Coverage {
                        days: 30,
                        rate_pct: dec!(100),
                        ceiling_daily: None,
                    },
                    Coverage {
                        days: 30,
                        rate_pct: dec!(80),
                        ceiling_daily: None,
                    },
                    Coverage {
                        days: 30,
                        rate_pct: dec!(60),
                        ceiling_daily: None,
                    },
                ],
            }],
        }
    }

    fn fields(c: &PrevoyanceContract) -> Vec<String> {
        c.validate().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn seed_contract_is_valid() {
        assert_eq!(seed_contract().validate(), vec![]);
    }

    #[test]
    fn divisor_is_83_90_percent() {
        assert_eq!(seed_contract().gross_divisor(), dec!(0.839));
    }

    #[test]
    fn ccn02_excludes_others() {
        let mut c = seed_contract();
        c.conventions = vec!["02".into(), "16".into()];
        c.ccn02 = Some(Ccn02Details {
            numero_association: Some("A1".into()),
            seniority: SeniorityMode::PerContract,
            seniority_months_required: 6,
            charge_rubriques: vec![],
        });
        assert_eq!(fields(&c), ["conventions"]);
        c.conventions = vec!["02".into()];
        assert_eq!(fields(&c), Vec::<String>::new());
    }

    #[test]
    fn ccn02_details_required_and_only_with_ccn02() {
        let mut c = seed_contract();
        c.conventions = vec!["02".into()];
        assert_eq!(fields(&c), ["ccn02"]);
        let mut c = seed_contract();
        c.ccn02 = Some(Ccn02Details {
            numero_association: None,
            seniority: SeniorityMode::OldestContract,
            seniority_months_required: 0,
            charge_rubriques: vec![],
        });
        assert_eq!(fields(&c), ["ccn02"]);
    }

    #[test]
    fn collects_every_problem() {
        let mut c = seed_contract();
        c.identification.code_organisme = " ".into();
        c.identification.numero_emetteur = String::new();
        c.rules.reference_months = 0;
        c.rules.charges_rate_pct = None;
        c.rules.rubrique_complement_accident = None;
        c.conventions.clear();
        c.coverage_table[0].coverages[1].rate_pct = dec!(120);
        c.coverage_table[0].coverages[2].days = 0;
        c.coverage_table[0].coverages.push(Coverage {
            days: 1,
            rate_pct: dec!(10),
            ceiling_daily: Some(dec!(0)),
        });
        assert_eq!(
            fields(&c),
            [
                "identification.code_organisme",
                "identification.numero_emetteur",
                "rules.reference_months",
                "rules.charges_rate_pct",
                "rules.rubrique_complement_accident",
                "conventions",
                "coverage_table[0].coverages",
                "coverage_table[0].coverages[1].rate_pct",
                "coverage_table[0].coverages[2].days",
                "coverage_table[0].coverages[3].ceiling_daily",
            ]
        );
    }

    #[test]
    fn table_rows_ascending() {
        let mut c = seed_contract();
        let row = c.coverage_table[0].clone();
        c.coverage_table.push(row);
        assert_eq!(fields(&c), ["coverage_table[1].min_seniority_months"]);
        c.coverage_table[1].min_seniority_months = 12;
        assert!(c.validate().is_empty());
        assert_eq!(c.row_for(11).map(|r| r.min_seniority_months), Some(0));
        assert_eq!(c.row_for(12).map(|r| r.min_seniority_months), Some(12));
    }

    #[test]
    fn contract_99_is_reserved() {
        let mut c = seed_contract();
        c.identification.numero_contrat = "99".into();
        assert_eq!(fields(&c), ["identification.numero_contrat"]);
    }

    #[test]
    fn toml_round_trip_and_errors_name_origin() {
        let c = seed_contract();
        let text = toml::to_string(&c).unwrap();
        let back = PrevoyanceContract::from_toml_str(&text, "x.toml").unwrap();
        assert_eq!(back, c);
        let err = PrevoyanceContract::from_toml_str("conventions = 3", "bad.toml").unwrap_err();
        assert!(err.to_string().starts_with("bad.toml:"), "{err}");
        let mut bad = c.clone();
        bad.rules.reference_months = 13;
        let err = PrevoyanceContract::from_toml_str(&toml::to_string(&bad).unwrap(), "b.toml")
            .unwrap_err();
        assert!(err.to_string().contains("rules.reference_months"), "{err}");
    }

    #[test]
    fn numbers_rejected_strings_accepted_in_toml() {
        let ok = "days = 3\nrate_pct = \"80.5\"\nceiling_daily = \"12.30\"\n";
        let c: Coverage = toml::from_str(ok).unwrap();
        assert_eq!(
            (c.rate_pct, c.ceiling_daily),
            (dec!(80.5), Some(dec!(12.30)))
        );
        assert!(toml::from_str::<Coverage>("days = 3\nrate_pct = 80\n").is_err());
        assert!(toml::from_str::<Coverage>("days = 3\nrate_pct = 80.5\n").is_err());
        let err = toml::from_str::<Coverage>("days = 3\nrate_pct = \"8x\"\n").unwrap_err();
        assert!(err.to_string().contains("invalid decimal"), "{err}");
    }

    #[test]
    fn unknown_field_rejected() {
        let c = seed_contract();
        let mut v = serde_json::to_value(&c).unwrap();
        v["rules"]["typo_field"] = serde_json::json!(1);
        let err = PrevoyanceContract::from_json_str(&v.to_string(), "c.json").unwrap_err();
        assert!(err.to_string().contains("typo_field"), "{err}");
    }
}
