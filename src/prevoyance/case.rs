//! The case: everything one complement computation needs besides the contract — employee,
//! employment contracts with their monthly gross salaries, the stoppage, the real IJSS when a
//! BPIJ is known, previous stoppages and/or an explicit consumed-days history.
//! Documented for users in `README-case.md`.
//!
//! Invariants after [`Case::check`]: dates ordered, at most [`MAX_STOPPAGE_DAYS`] days, the
//! stoppage's employment contract resolved and started on or before the stoppage, no
//! negative amount, no month given twice, no two BPIJ periods overlapping.

use crate::prevoyance::calendar::YearMonth;
use crate::prevoyance::contract::PrevoyanceContract;
use crate::prevoyance::history::ConsumedDays;
use crate::prevoyance::motif::Motif;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Longest stoppage computed in one case (covers 3 years of IJ plus margin); bounds the work
/// an input can ask for.
pub const MAX_STOPPAGE_DAYS: i64 = 4000;

/// Largest monthly gross accepted, €. `Decimal` arithmetic panics on overflow: bounding the
/// inputs keeps every product and sum of the engine far inside its range.
pub const MAX_MONTHLY_GROSS: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// Largest daily IJSS accepted, €.
pub const MAX_DAILY_IJSS: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// One complement computation request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Caller's identifier, echoed in every output.
    pub case_id: String,
    /// Employer, printed on the claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer: Option<Employer>,
    /// The employee.
    pub employee: Employee,
    /// The prévoyance contract inline (else `contract_file`, else the CLI's `--contract`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<PrevoyanceContract>,
    /// Path of a TOML/JSON contract, relative to the case file (resolved by the CLI only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_file: Option<String>,
    /// The employee's employment contracts (several for CCN 02).
    pub employment_contracts: Vec<EmploymentContract>,
    /// The stoppage to compute.
    pub stoppage: Stoppage,
    /// Real IJSS from BPIJ, overriding the legal estimate on the days they cover.
    #[serde(default)]
    pub ijss: Vec<IjssPeriod>,
    /// Earlier stoppages, replayed to know the days already consumed.
    #[serde(default)]
    pub previous_stoppages: Vec<Stoppage>,
    /// Days already consumed, as kept by the caller (alternative to `previous_stoppages`;
    /// give each past day through one of them only).
    #[serde(default)]
    pub consumed_days: ConsumedDays,
}

/// Employer identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Employer {
    /// Raison sociale.
    pub name: String,
    /// SIRET (14 digits), as declared.
    #[serde(default)]
    pub siret: String,
}

/// Employee identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Employee {
    /// Name as printed on the claim.
    pub name: String,
    /// NIR; printed on documents for the insurer, masked everywhere else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nir: Option<String>,
}

/// An employment contract (contrat de travail).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmploymentContract {
    /// Identifier, key of the consumed-days history.
    pub id: String,
    /// Start date: seniority runs from it.
    pub start: NaiveDate,
    /// End date, when ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<NaiveDate>,
    /// Collective agreement code ("01", "02", …).
    pub ccn: String,
    /// Monthly gross salaries.
    #[serde(default)]
    pub salaries: Vec<MonthlySalary>,
}

impl EmploymentContract {
    /// Gross of month `m`, if given.
    pub fn gross(&self, m: YearMonth) -> Option<Decimal> {
        self.salaries.iter().find(|s| s.month == m).map(|s| s.gross)
    }

    /// Active on `d` (started, not ended).
    pub fn active_on(&self, d: NaiveDate) -> bool {
        self.start <= d && self.end.is_none_or(|e| e >= d)
    }
}

/// Gross salary of one civil month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthlySalary {
    /// "YYYY-MM".
    pub month: YearMonth,
    /// Gross, €.
    #[serde(with = "crate::prevoyance::money::strict")]
    pub gross: Decimal,
}

/// A stoppage (arrêt de travail), inclusive dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stoppage {
    /// Employment contract id; optional when the employee has only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employment_contract: Option<String>,
    /// First day off work.
    pub start: NaiveDate,
    /// Last day to compute (end of the stoppage, or of the pay period for an open one).
    pub end: NaiveDate,
    /// Motif.
    pub motif: Motif,
    /// CPAM carence not applied (ALD, resumption < 48 h): affects the IJSS estimate only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cpam_carence_waived: bool,
    /// Continuation periods (avis de prolongation), oldest first: each starts the day after the
    /// previous period ends. They continue this stoppage: one carence, the coverage days go on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prolongations: Vec<Prolongation>,
}

/// One continuation period of a stoppage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prolongation {
    /// First day: the day after the end of the previous period.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
}

impl Stoppage {
    /// Number of days of the initial period, inclusive (see [`Stoppage::merged`]).
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    /// Last day off work, prolongations included.
    pub fn last_day(&self) -> NaiveDate {
        self.prolongations
            .last()
            .map_or(self.end, |p| p.end.max(self.end))
    }

    /// The stoppage with its prolongations as one period (what the engine computes).
    pub fn merged(&self) -> Stoppage {
        Stoppage {
            end: self.last_day(),
            prolongations: Vec::new(),
            ..self.clone()
        }
    }
}

/// IJSS actually paid (from a BPIJ) on `from..=to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IjssPeriod {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Daily gross IJ (PU of the BPIJ), €.
    #[serde(with = "crate::prevoyance::money::strict")]
    pub daily_gross: Decimal,
}

/// A case that cannot be computed; `field` is a JSON path into the case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// Field-level problem.
    #[error("case {case_id}: {field}: {message}")]
    Field {
        /// Case id.
        case_id: String,
        /// JSON path, e.g. `stoppage.end`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The contract is invalid.
    #[error("case {case_id}: {source}")]
    Contract {
        /// Case id.
        case_id: String,
        /// Problems, joined.
        source: ContractInvalid,
    },
}

/// Contract problems carried by [`CaseError::Contract`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid prévoyance contract: {0}")]
pub struct ContractInvalid(pub String);

impl Case {
    pub(crate) fn err(&self, field: impl Into<String>, message: impl Into<String>) -> CaseError {
        CaseError::Field {
            case_id: self.case_id.clone(),
            field: field.into(),
            message: message.into(),
        }
    }

    /// Resolves the employment contract of `s` (field path `path` for errors).
    pub fn employment_contract_of(
        &self,
        s: &Stoppage,
        path: &str,
    ) -> Result<&EmploymentContract, CaseError> {
        match &s.employment_contract {
            Some(id) => self
                .employment_contracts
                .iter()
                .find(|c| &c.id == id)
                .ok_or_else(|| {
                    self.err(
                        format!("{path}.employment_contract"),
                        format!("no employment contract {id:?}"),
                    )
                }),
            None => match self.employment_contracts.as_slice() {
                [only] => Ok(only),
                [] => Err(self.err("employment_contracts", "at least one is required")),
                _ => Err(self.err(
                    format!("{path}.employment_contract"),
                    "required when there are several employment contracts",
                )),
            },
        }
    }

    /// Structural checks (see the module invariants).
    pub fn check(&self) -> Result<(), CaseError> {
        check_stoppage(self, &self.stoppage, "stoppage")?;
        for (i, p) in self.previous_stoppages.iter().enumerate() {
            let path = format!("previous_stoppages[{i}]");
            check_stoppage(self, p, &path)?;
            if p.last_day() >= self.stoppage.start {
                return Err(self.err(
                    format!("{path}.end"),
                    "a previous stoppage must end before the stoppage starts",
                ));
            }
        }
        let mut ids = std::collections::HashSet::new();
        for (i, c) in self.employment_contracts.iter().enumerate() {
            let path = format!("employment_contracts[{i}]");
            if !ids.insert(c.id.as_str()) {
                return Err(self.err(format!("{path}.id"), format!("{:?} given twice", c.id)));
            }
            if c.end.is_some_and(|e| e < c.start) {
                return Err(self.err(format!("{path}.end"), "before start"));
            }
            for (j, s) in c.salaries.iter().enumerate() {
                if s.gross < Decimal::ZERO || s.gross > MAX_MONTHLY_GROSS {
                    return Err(self.err(
                        format!("{path}.salaries[{j}].gross"),
                        format!("must be between 0 and {MAX_MONTHLY_GROSS}"),
                    ));
                }
                if c.salaries[..j].iter().any(|o| o.month == s.month) {
                    return Err(self.err(
                        format!("{path}.salaries[{j}].month"),
                        format!("{} given twice", s.month),
                    ));
                }
            }
        }
        for (i, p) in self.ijss.iter().enumerate() {
            let path = format!("ijss[{i}]");
            if p.to < p.from {
                return Err(self.err(format!("{path}.to"), "before from"));
            }
            if p.daily_gross < Decimal::ZERO || p.daily_gross > MAX_DAILY_IJSS {
                return Err(self.err(
                    format!("{path}.daily_gross"),
                    format!("must be between 0 and {MAX_DAILY_IJSS}"),
                ));
            }
            if self.ijss[..i]
                .iter()
                .any(|o| o.from <= p.to && p.from <= o.to)
            {
                return Err(self.err(path, "overlaps an earlier IJSS period"));
            }
        }
        Ok(())
    }

    /// Real daily gross IJSS on `d`, if a BPIJ period covers it.
    pub fn bpij_on(&self, d: NaiveDate) -> Option<Decimal> {
        self.ijss
            .iter()
            .find(|p| p.from <= d && d <= p.to)
            .map(|p| p.daily_gross)
    }
}

fn check_stoppage(case: &Case, s: &Stoppage, path: &str) -> Result<(), CaseError> {
    if s.end < s.start {
        return Err(case.err(format!("{path}.end"), "before start"));
    }
    let mut last = s.end;
    for (i, p) in s.prolongations.iter().enumerate() {
        if last.succ_opt() != Some(p.start) {
            return Err(case.err(
                format!("{path}.prolongations[{i}].start"),
                format!(
                    "a prolongation starts the day after the previous period ends ({last}); after a day worked it is a new stoppage"
                ),
            ));
        }
        if p.end < p.start {
            return Err(case.err(format!("{path}.prolongations[{i}].end"), "before start"));
        }
        last = p.end;
    }
    if s.merged().days() > MAX_STOPPAGE_DAYS {
        return Err(case.err(
            format!("{path}.end"),
            format!("more than {MAX_STOPPAGE_DAYS} days"),
        ));
    }
    let ec = case.employment_contract_of(s, path)?;
    if ec.start > s.start {
        return Err(case.err(
            format!("{path}.start"),
            format!("before the start of employment contract {:?}", ec.id),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> serde_json::Value {
        serde_json::json!({
            "case_id": "K",
            "employee": { "name": "E" },
            "employment_contracts": [
                { "id": "A", "start": "2020-01-01", "ccn": "16",
                  "salaries": [ { "month": "2026-01", "gross": "2000.00" } ] }
            ],
            "stoppage": { "start": "2026-02-02", "end": "2026-02-10", "motif": "maladie" }
        })
    }

    fn parse(v: serde_json::Value) -> Case {
        serde_json::from_value(v).unwrap()
    }

    fn field_of(e: CaseError) -> String {
        match e {
            CaseError::Field { field, .. } => field,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn minimal_case_is_valid() {
        assert_eq!(parse(base()).check(), Ok(()));
    }

    #[test]
    fn amounts_must_be_strings() {
        let mut v = base();
        v["employment_contracts"][0]["salaries"][0]["gross"] = serde_json::json!(2000.5);
        assert!(serde_json::from_value::<Case>(v).is_err());
    }

    #[test]
    fn unknown_field_rejected() {
        let mut v = base();
        v["stoppage"]["typo"] = serde_json::json!(1);
        assert!(serde_json::from_value::<Case>(v).is_err());
    }

    #[test]
    fn duplicate_month_rejected() {
        let mut v = base();
        v["employment_contracts"][0]["salaries"] = serde_json::json!([
            { "month": "2026-01", "gross": "1.00" }, { "month": "2026-01", "gross": "2.00" }
        ]);
        let e = parse(v).check().unwrap_err();
        assert_eq!(field_of(e), "employment_contracts[0].salaries[1].month");
    }

    #[test]
    fn overlapping_bpij_rejected() {
        let mut v = base();
        v["ijss"] = serde_json::json!([
            { "from": "2026-02-02", "to": "2026-02-05", "daily_gross": "30.00" },
            { "from": "2026-02-05", "to": "2026-02-10", "daily_gross": "31.00" }
        ]);
        assert_eq!(field_of(parse(v.clone()).check().unwrap_err()), "ijss[1]");
        v["ijss"][1]["from"] = serde_json::json!("2026-02-06");
        assert_eq!(parse(v).check(), Ok(()));
    }

    #[test]
    fn previous_stoppage_must_end_before() {
        let mut v = base();
        v["previous_stoppages"] = serde_json::json!([
            { "start": "2026-01-20", "end": "2026-02-02", "motif": "maladie" }
        ]);
        assert_eq!(
            field_of(parse(v.clone()).check().unwrap_err()),
            "previous_stoppages[0].end"
        );
        v["previous_stoppages"][0]["end"] = serde_json::json!("2026-02-01");
        assert_eq!(parse(v).check(), Ok(()));
    }

    #[test]
    fn several_contracts_need_an_id() {
        let mut v = base();
        let second = v["employment_contracts"][0].clone();
        v["employment_contracts"]
            .as_array_mut()
            .unwrap()
            .push(second);
        v["employment_contracts"][1]["id"] = serde_json::json!("B");
        assert_eq!(
            field_of(parse(v.clone()).check().unwrap_err()),
            "stoppage.employment_contract"
        );
        v["stoppage"]["employment_contract"] = serde_json::json!("B");
        assert_eq!(parse(v.clone()).check(), Ok(()));
        v["stoppage"]["employment_contract"] = serde_json::json!("Z");
        assert_eq!(
            field_of(parse(v).check().unwrap_err()),
            "stoppage.employment_contract"
        );
    }

    #[test]
    fn stoppage_before_hiring_and_too_long() {
        let mut v = base();
        v["stoppage"]["start"] = serde_json::json!("2019-12-31");
        assert_eq!(
            field_of(parse(v.clone()).check().unwrap_err()),
            "stoppage.start"
        );
        v["stoppage"]["start"] = serde_json::json!("2020-01-01");
        v["stoppage"]["end"] = serde_json::json!("2031-01-01");
        assert_eq!(field_of(parse(v).check().unwrap_err()), "stoppage.end");
    }
}
