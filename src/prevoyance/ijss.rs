//! Legal IJSS estimate (régime général), used until a BPIJ gives the real daily amount.
//!
//! Maladie (R323-4, R323-5, R323-1): SJB = gross of the 3 civil months before the stoppage /
//! 91.25, the salary being capped at `factor × SMIC mensuel × 3` over the period — factor 1.4
//! for stoppages from 2025-04-01, 1.8 before; SMIC in force on the last day of the month
//! before the stoppage. IJ = 50 % of the SJB from the 4th day (3 days of carence, unless
//! waived). The cap is applied to the 3-month total (equal to a per-month cap when every
//! month is above it, which is where the ceiling matters) [verify against the CPAM practice].
//!
//! AT/MP and accident de trajet (L433-1, R433-1…): no carence; the stoppage's first day is
//! IJ day 1 (the accident day itself is paid by the employer). SJB = previous month's gross
//! / 30.42, capped at 0.834 % of the PASS; IJ = 60 % of the SJB days 1–28, 80 % from day 29,
//! never above the gain journalier net = uncapped daily gain × 79 %.
//!
//! Rounding: SJB exact; the daily IJ is a paid amount, rounded to the cent half-up.
//! All figures come from [`crate::prevoyance::params`].

use crate::prevoyance::calendar::YearMonth;
use crate::prevoyance::money::cents;
use crate::prevoyance::motif::Motif;
use crate::prevoyance::params;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// The estimate for one stoppage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IjssEstimate {
    /// Motif the estimate was made for.
    pub motif: Motif,
    /// Salary taken into account (after the ceiling), €.
    pub salary_retained: Decimal,
    /// Ceiling applied to the salary (maladie) or to the SJB (AT/MP), €.
    pub ceiling: Decimal,
    /// Salaire journalier de base (exact).
    pub sjb: Decimal,
    /// Daily gross IJ, days 1–28 (and every day for maladie), rounded to the cent.
    pub daily_initial: Decimal,
    /// Daily gross IJ from day 29 (AT/MP), rounded to the cent.
    pub daily_from_29: Decimal,
    /// Days without IJ at the start of the stoppage.
    pub carence_days: u32,
}

impl IjssEstimate {
    /// Gross IJ for stoppage day `day` (1-based): 0 during carence.
    pub fn daily_gross_on(&self, day: u32) -> Decimal {
        if day <= self.carence_days {
            Decimal::ZERO
        } else if self.motif.cpam_professional() && day >= params::IJ_ATMP_HIGHER_RATE_FROM_DAY {
            self.daily_from_29
        } else {
            self.daily_initial
        }
    }
}

/// Estimates the IJSS of a stoppage starting on `first_day` from the monthly gross salaries
/// of the civil months before it, most recent first (missing months count as 0).
pub fn estimate(
    motif: Motif,
    salaries_most_recent_first: &[Decimal],
    first_day: NaiveDate,
) -> IjssEstimate {
    if motif.cpam_professional() {
        estimate_atmp(motif, salaries_most_recent_first, first_day)
    } else {
        estimate_maladie(salaries_most_recent_first, first_day, false)
    }
}

/// Same as [`estimate`], with the CPAM maladie carence waived (ALD within 3 years, work
/// resumed less than 48 h between two stoppages).
pub fn estimate_carence_waived(
    motif: Motif,
    salaries_most_recent_first: &[Decimal],
    first_day: NaiveDate,
) -> IjssEstimate {
    if motif.cpam_professional() {
        estimate_atmp(motif, salaries_most_recent_first, first_day)
    } else {
        estimate_maladie(salaries_most_recent_first, first_day, true)
    }
}

/// Daily gross IJ (days 1–28 rate; outside carence) — a small helper for other modules, e.g.
/// to fabricate plausible BPIJ amounts.
pub fn ijss_daily_gross(
    motif: Motif,
    salaries_most_recent_first: &[Decimal],
    first_day: NaiveDate,
) -> Decimal {
    estimate(motif, salaries_most_recent_first, first_day).daily_initial
}

fn estimate_maladie(salaries: &[Decimal], first_day: NaiveDate, waived: bool) -> IjssEstimate {
    let months = params::IJ_MALADIE_MONTHS;
    let total: Decimal = salaries.iter().take(months).copied().sum();
    let smic_day = YearMonth::of(first_day)
        .pred()
        .last_day()
        .unwrap_or(first_day);
    let (_, smic_monthly) = params::smic_on(smic_day);
    let ceiling =
        params::ij_maladie_smic_factor(first_day) * smic_monthly * Decimal::from(months as u32);
    let salary_retained = total.max(Decimal::ZERO).min(ceiling);
    let sjb = salary_retained / params::IJ_MALADIE_DIVISOR;
    let daily = cents(sjb * params::IJ_MALADIE_RATE);
    IjssEstimate {
        motif: Motif::Maladie,
        salary_retained,
        ceiling,
        sjb,
        daily_initial: daily,
        daily_from_29: daily,
        carence_days: if waived {
            0
        } else {
            params::IJ_MALADIE_CARENCE_DAYS
        },
    }
}

fn estimate_atmp(motif: Motif, salaries: &[Decimal], first_day: NaiveDate) -> IjssEstimate {
    let last = salaries
        .first()
        .copied()
        .unwrap_or_default()
        .max(Decimal::ZERO);
    let raw_daily = last / params::IJ_ATMP_DIVISOR;
    let ceiling = params::pass_for(first_day) * params::IJ_ATMP_SJB_PASS_RATE;
    let sjb = raw_daily.min(ceiling);
    let net_gain = raw_daily * params::IJ_ATMP_NET_GAIN_FACTOR;
    let at = |rate: Decimal| cents((sjb * rate).min(net_gain));
    IjssEstimate {
        motif,
        salary_retained: last,
        ceiling,
        sjb,
        daily_initial: at(params::IJ_ATMP_RATE_INITIAL),
        daily_from_29: at(params::IJ_ATMP_RATE_FROM_29),
        carence_days: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    #[test]
    fn maladie_below_ceiling() {
        // 3 × 2 000 / 91.25 = 65.7534… → IJ 32.876… → 32.88
        let e = estimate(Motif::Maladie, &[dec!(2000); 3], d(2026, 3, 10));
        assert_eq!(e.daily_initial, dec!(32.88));
        assert_eq!(e.daily_gross_on(3), dec!(0));
        assert_eq!(e.daily_gross_on(4), dec!(32.88));
        assert_eq!(e.daily_gross_on(40), dec!(32.88));
    }

    #[test]
    fn maladie_ceiling_2025_after_april() {
        // SMIC 11.88 €/h → 1 801.80 €/month × 1.4 = 2 522.52 → max IJ 41.47
        let e = estimate(Motif::Maladie, &[dec!(9000); 3], d(2025, 6, 2));
        assert_eq!(e.ceiling, dec!(2522.52) * dec!(3));
        assert_eq!(e.daily_initial, dec!(41.47));
    }

    #[test]
    fn maladie_ceiling_before_april_2025_is_1_8_smic() {
        let e = estimate(Motif::Maladie, &[dec!(9000); 3], d(2025, 3, 31));
        // 1.8 × 1 801.80 = 3 243.24; × 3 / 91.25 / 2 = 53.31
        assert_eq!(e.ceiling, dec!(3243.24) * dec!(3));
        assert_eq!(e.daily_initial, dec!(53.31));
        let after = estimate(Motif::Maladie, &[dec!(9000); 3], d(2025, 4, 1));
        assert_eq!(after.daily_initial, dec!(41.47));
    }

    #[test]
    fn maladie_ceiling_2026() {
        // SMIC on the last day of the previous month: a stoppage on 2026-01-15 still uses the
        // 2025 SMIC (read on 2025-12-31); from February, 1 823.03 → cap 2 552.24 → 41.95.
        let jan = estimate(Motif::Maladie, &[dec!(9000); 3], d(2026, 1, 15));
        assert_eq!(jan.daily_initial, dec!(41.47));
        let feb = estimate(Motif::Maladie, &[dec!(9000); 3], d(2026, 2, 1));
        assert_eq!(
            crate::prevoyance::money::cents(feb.ceiling / dec!(3)),
            dec!(2552.24)
        );
        assert_eq!(feb.daily_initial, dec!(41.95));
    }

    #[test]
    fn atmp_ceiling_2026() {
        let e = estimate(Motif::AccidentTravail, &[dec!(20000)], d(2026, 5, 4));
        assert_eq!(cents(e.ceiling), dec!(400.82));
        assert_eq!(e.daily_gross_on(1), dec!(240.49));
        assert_eq!(e.daily_gross_on(28), dec!(240.49));
        assert_eq!(e.daily_gross_on(29), dec!(320.66));
        assert_eq!(e.carence_days, 0);
    }

    #[test]
    fn atmp_below_ceiling_day_29_capped_by_net_gain() {
        // 3 042 / 30.42 = 100: 60 % = 60.00; 80 % = 80 but the net gain is 79.00.
        let e = estimate(
            Motif::MaladieProfessionnelle,
            &[dec!(3042), dec!(1)],
            d(2026, 5, 4),
        );
        assert_eq!(e.daily_gross_on(1), dec!(60.00));
        assert_eq!(e.daily_gross_on(29), dec!(79.00));
    }

    #[test]
    fn trajet_uses_atmp_rules() {
        assert_eq!(
            ijss_daily_gross(Motif::AccidentTrajet, &[dec!(3042)], d(2026, 5, 4)),
            dec!(60.00)
        );
    }

    #[test]
    fn carence_waived() {
        let e = estimate_carence_waived(Motif::Maladie, &[dec!(2000); 3], d(2026, 3, 10));
        assert_eq!(e.daily_gross_on(1), dec!(32.88));
    }

    #[test]
    fn missing_months_and_negative_salary() {
        assert_eq!(
            ijss_daily_gross(Motif::Maladie, &[], d(2026, 3, 1)),
            dec!(0)
        );
        assert_eq!(
            ijss_daily_gross(Motif::AccidentTravail, &[dec!(-5)], d(2026, 3, 1)),
            dec!(0)
        );
    }
}
