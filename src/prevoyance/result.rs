//! Output of a computation: per-day lines, per pay period split, totals, and what decided
//! each day. Serialised as the CLI's JSON (amounts as exact decimal strings).
//!
//! Invariants: every money amount in a [`DayLine`] is rounded to the cent; a period's amounts
//! are sums of its days; [`Totals`] are sums of the periods (hence of the days).

use crate::prevoyance::calendar::YearMonth;
use crate::prevoyance::contract::Base;
use crate::prevoyance::history::{ConsumedDays, ConsumedTotal, CoverageKey};
use crate::prevoyance::ijss::IjssEstimate;
use crate::prevoyance::legal::{LegalDay, LegalEntitlement};
use crate::prevoyance::motif::Motif;
use crate::prevoyance::reference::ReferenceSalary;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// Full result of one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    /// Case id.
    pub case_id: String,
    /// Employee name (the NIR is never part of the result).
    pub employee: String,
    /// Employment contract of the stoppage.
    pub employment_contract: String,
    /// Its collective agreement.
    pub ccn: String,
    /// Prévoyance contract number.
    pub prevoyance_contract: String,
    /// Motif.
    pub motif: Motif,
    /// First day.
    pub start: NaiveDate,
    /// Last day computed.
    pub end: NaiveDate,
    /// Full months of seniority used to pick the table row.
    pub seniority_months: u32,
    /// The contract covers this stoppage (seniority row found, CCN 02 seniority met).
    pub eligible: bool,
    /// Why not eligible, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligibility_note: Option<String>,
    /// Minimum seniority of the table row used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_row_min_months: Option<u32>,
    /// Reference salary.
    pub reference: ReferenceSalary,
    /// Daily net reference = daily gross × (1 − charges) (rounded for display).
    pub daily_net_reference: Decimal,
    /// Legal IJSS estimate (used on days no BPIJ covers).
    pub ijss_estimate: IjssEstimate,
    /// The cascade, in order (CCN 01: contract 99 appended).
    pub tiers: Vec<TierInfo>,
    /// Legal maintenance entitlement at the start.
    pub legal: LegalEntitlement,
    /// History of the employment contract in the 12 months before the stoppage.
    pub consumed_before: Vec<ConsumedTotal>,
    /// Days consumed by this stoppage, to add to the caller's history.
    pub consumed: ConsumedDays,
    /// One line per stoppage day.
    pub days: Vec<DayLine>,
    /// Split per pay period (calendar month).
    pub periods: Vec<PeriodTotal>,
    /// Totals over the stoppage.
    pub totals: Totals,
}

/// One coverage of the cascade.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierInfo {
    /// 1-based position in the cascade (what `DayLine::tier` refers to).
    pub position: u8,
    /// Contract and tier within it (history key).
    pub coverage: CoverageKey,
    /// Days of the coverage.
    pub days: u32,
    /// Rate, %.
    pub rate_pct: Decimal,
    /// Base.
    pub base: Base,
    /// Daily ceiling of the complement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ceiling_daily: Option<Decimal>,
    /// Days consumed in the 12 months before.
    pub consumed_before: u32,
    /// Days left at the start.
    pub remaining_at_start: u32,
    /// Days used by this stoppage.
    pub used: u32,
}

/// What the contract did on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayRule {
    /// Contract does not cover this employee (see `eligibility_note`).
    NotEligible,
    /// Contract carence (sickness).
    Carence,
    /// Paid under a coverage of the cascade.
    Coverage,
    /// Every coverage used up over the 12 months.
    Exhausted,
}

/// Where the day's IJSS came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IjssSource {
    /// A BPIJ period given in the case.
    Bpij,
    /// The legal estimate.
    Estimate,
}

/// One stoppage day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayLine {
    /// Date.
    pub date: NaiveDate,
    /// 1-based day of the stoppage.
    pub day: u32,
    /// Contract rule.
    pub rule: DayRule,
    /// Position in the cascade (1-based) when `rule` is `coverage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<u8>,
    /// Rate of the coverage, %.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_pct: Option<Decimal>,
    /// Base of the coverage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<Base>,
    /// Daily reference on that base (rounded for display; computation uses the exact value).
    pub base_daily: Decimal,
    /// IJSS gross of the day.
    pub ijss_gross: Decimal,
    /// IJSS net of CSG/CRDS (rounded for display).
    pub ijss_net: Decimal,
    /// Origin of the IJSS.
    pub ijss_source: IjssSource,
    /// Complement, net.
    pub complement_net: Decimal,
    /// Complement, gross.
    pub complement_gross: Decimal,
    /// The daily ceiling cut the complement.
    pub ceiling_applied: bool,
    /// IJSS alone reach the guaranteed level (complement 0).
    pub ijss_exceed_guarantee: bool,
    /// Legal maintenance rule of the day.
    pub legal: LegalDay,
    /// Legal floor, gross (what L1226-1 would make the employer pay on top of IJSS).
    pub legal_floor_gross: Decimal,
    /// The contract's gross complement is below the legal floor.
    pub below_legal_floor: bool,
}

/// One pay period (calendar month).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodTotal {
    /// Month.
    pub period: YearMonth,
    /// First and last stoppage day in the month.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Stoppage days in the month.
    pub days: u32,
    /// Days paid under a coverage.
    pub covered_days: u32,
    /// Sum of daily IJSS gross.
    pub ijss_gross: Decimal,
    /// Sum of daily complement net.
    pub complement_net: Decimal,
    /// Sum of daily complement gross.
    pub complement_gross: Decimal,
    /// Sum of daily legal floor gross.
    pub legal_floor_gross: Decimal,
    /// Payslip rubrique (paiement anticipé).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rubrique: Option<String>,
}

/// Totals of the stoppage.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Stoppage days.
    pub days: u32,
    /// Days paid under a coverage.
    pub covered_days: u32,
    /// Sum of daily IJSS gross.
    pub ijss_gross: Decimal,
    /// Sum of daily complement net.
    pub complement_net: Decimal,
    /// Sum of daily complement gross.
    pub complement_gross: Decimal,
    /// Sum of daily legal floor gross.
    pub legal_floor_gross: Decimal,
    /// Days where the contract gives less than the legal floor.
    pub days_below_legal_floor: u32,
    /// Sum over those days of (legal floor − contract gross complement).
    pub legal_shortfall_gross: Decimal,
}
