//! Reference salary: the gross of the N civil months before the stoppage, averaged.
//!
//! Rule (seed 001): "cumul des bruts des N mois civils qui précèdent l'arrêt / N"; the
//! monthly reference is divided by 30 for the daily gross. With several employment
//! contracts (CCN 02) the monthly references of the retained contracts are added.
//! A month missing from the data counts as 0 by default, as the seed writes it (cumul / N,
//! [`ReferenceAverage::CivilMonths`]); a contract may choose the average of the months worked
//! instead ([`ReferenceAverage::MonthsWorked`]: an employee hired 2 months ago has a 2-month
//! average). The missing months are reported either way. No month at all for every retained
//! contract gives no reference.
//! Values are exact (full Decimal precision); rounding happens on daily amounts only.

use crate::prevoyance::calendar::YearMonth;
use crate::prevoyance::case::EmploymentContract;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// Days in the "mois de 30 jours" used to get a daily reference.
pub const DAYS_PER_MONTH: u32 = 30;

/// How the N months are averaged when some have no salary (contract rule
/// `rules.reference_average`, README-case.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceAverage {
    /// Seed 001: the cumul of the N civil months / N (a month without salary counts 0).
    #[default]
    CivilMonths,
    /// The cumul / the number of months with a salary.
    MonthsWorked,
}

/// Reference salary of one stoppage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReferenceSalary {
    /// The civil months considered, most recent first.
    pub months: Vec<YearMonth>,
    /// Employment contracts whose salaries were retained.
    pub contracts: Vec<String>,
    /// Months with no salary given, per contract.
    pub missing: Vec<MissingMonth>,
    /// Monthly reference (exact).
    pub monthly: Decimal,
    /// Daily gross = monthly / 30 (exact).
    pub daily_gross: Decimal,
}

/// A month with no salary in the case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingMonth {
    /// Employment contract id.
    pub contract: String,
    /// Month.
    pub month: YearMonth,
}

/// Computes the reference; `None` when no retained contract has any salary in the window.
pub fn reference_salary(
    contracts: &[&EmploymentContract],
    stoppage_start: NaiveDate,
    n_months: u32,
    average: ReferenceAverage,
) -> Option<ReferenceSalary> {
    let months = YearMonth::of(stoppage_start).months_before(n_months as usize);
    let mut monthly = Decimal::ZERO;
    let mut missing = Vec::new();
    let mut any = false;
    for c in contracts {
        let mut sum = Decimal::ZERO;
        let mut found = 0u32;
        for m in &months {
            match c.gross(*m) {
                Some(g) => {
                    sum += g;
                    found += 1;
                }
                None => missing.push(MissingMonth {
                    contract: c.id.clone(),
                    month: *m,
                }),
            }
        }
        if found > 0 {
            any = true;
            let divisor = match average {
                ReferenceAverage::CivilMonths => n_months.max(1),
                ReferenceAverage::MonthsWorked => found,
            };
            monthly += sum / Decimal::from(divisor);
        }
    }
    any.then(|| ReferenceSalary {
        months,
        contracts: contracts.iter().map(|c| c.id.clone()).collect(),
        missing,
        monthly,
        daily_gross: monthly / Decimal::from(DAYS_PER_MONTH),
    })
}

/// Gross of each of the `n` civil months before `stoppage_start`, summed over `contracts`,
/// most recent first (0 for a month nobody gave) — the CPAM view used by the IJSS estimate.
pub fn salaries_before(
    contracts: &[EmploymentContract],
    stoppage_start: NaiveDate,
    n: usize,
) -> Vec<Decimal> {
    YearMonth::of(stoppage_start)
        .months_before(n)
        .into_iter()
        .map(|m| contracts.iter().filter_map(|c| c.gross(m)).sum())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prevoyance::case::MonthlySalary;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    pub(crate) fn contract(id: &str, salaries: &[(&str, Decimal)]) -> EmploymentContract {
        EmploymentContract {
            id: id.into(),
            start: d(2020, 1, 1),
            end: None,
            ccn: "16".into(),
            salaries: salaries
                .iter()
                .map(|(m, g)| MonthlySalary {
                    month: m.parse().unwrap(),
                    gross: *g,
                })
                .collect(),
        }
    }

    #[test]
    fn six_civil_months_before_the_stoppage() {
        // Stoppage 2026-03-10: the 6 civil months are 2025-09 … 2026-02; March is excluded.
        let c = contract(
            "CT",
            &[
                ("2025-08", dec!(9999)),
                ("2025-09", dec!(2400)),
                ("2025-10", dec!(2400)),
                ("2025-11", dec!(2400)),
                ("2025-12", dec!(3000)),
                ("2026-01", dec!(2400)),
                ("2026-02", dec!(2400)),
                ("2026-03", dec!(9999)),
            ],
        );
        let r = reference_salary(&[&c], d(2026, 3, 10), 6, ReferenceAverage::CivilMonths).unwrap();
        assert_eq!(r.monthly, dec!(2500));
        assert!(r.missing.is_empty());
        assert_eq!(crate::prevoyance::money::cents(r.daily_gross), dec!(83.33));
    }

    /// Seed 001: "cumul des bruts des 6 mois civils qui précèdent l'arrêt / 6" — a missing
    /// month counts 0 by default; the per-contract option averages the months worked.
    #[test]
    fn missing_months_follow_the_seed_by_default() {
        let c = contract("CT", &[("2026-01", dec!(2000)), ("2026-02", dec!(2200))]);
        let r = reference_salary(&[&c], d(2026, 3, 1), 6, ReferenceAverage::CivilMonths).unwrap();
        assert_eq!(r.monthly, dec!(700));
        assert_eq!(r.missing.len(), 4);
        let w = reference_salary(&[&c], d(2026, 3, 1), 6, ReferenceAverage::MonthsWorked).unwrap();
        assert_eq!(w.monthly, dec!(2100));
        assert_eq!(w.missing.len(), 4);
        let none = contract("CT", &[("2024-01", dec!(2000))]);
        assert_eq!(
            reference_salary(&[&none], d(2026, 3, 1), 6, ReferenceAverage::CivilMonths),
            None
        );
    }

    #[test]
    fn several_contracts_add_up() {
        let a = contract("A", &[("2026-02", dec!(600))]);
        let b = contract("B", &[("2026-02", dec!(900))]);
        let r =
            reference_salary(&[&a, &b], d(2026, 3, 1), 1, ReferenceAverage::CivilMonths).unwrap();
        assert_eq!(r.monthly, dec!(1500));
        assert_eq!(r.daily_gross, dec!(50));
    }

    #[test]
    fn cpam_salaries_sum_all_contracts() {
        let a = contract("A", &[("2026-02", dec!(600)), ("2026-01", dec!(100))]);
        let b = contract("B", &[("2026-02", dec!(900))]);
        assert_eq!(
            salaries_before(&[a, b], d(2026, 3, 1), 3),
            vec![dec!(1500), dec!(100), dec!(0)]
        );
    }
}
