//! Legal salary maintenance (Code du travail L1226-1, D1226-1 to D1226-8): the floor a
//! prévoyance complement is set against.
//!
//! Rules: ≥ 1 year of seniority on the first day of absence; 7 days of carence (none for
//! AT/MP; the accident de trajet keeps it); 90 % of the gross then 2/3, IJSS gross deducted;
//! each period lasts 30 days, +10 per full 5 years beyond the first year, capped at 90
//! ([`params::LEGAL_DURATIONS`]); days already paid in the 12 months before the stoppage are
//! deducted (all stoppages of the employment contract).
//! Simplifications (documented in README-case.md): the daily gross is the contract's
//! reference daily gross (what the employee "would have earned" is not known to the module);
//! the 12-month look-back is evaluated once, on the first day of the stoppage. Employees of
//! particuliers-employeurs (CCN 02) are outside L1226-1 (L7221-2 does not list it).

use crate::prevoyance::history::{ConsumedDays, CoverageKey};
use crate::prevoyance::motif::Motif;
use crate::prevoyance::params;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// Why no legal maintenance is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalExclusion {
    /// Less than one year of seniority on the first day.
    Seniority,
    /// Particulier-employeur (CCN 02): L1226-1 does not apply.
    ParticulierEmployeur,
}

/// Legal entitlement at the start of a stoppage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegalEntitlement {
    /// `None` when maintenance is due.
    pub excluded: Option<LegalExclusion>,
    /// Full years of seniority on the first day.
    pub seniority_years: u32,
    /// Days of carence for this motif.
    pub carence_days: u32,
    /// Days at 90 % / at 2/3 for this seniority.
    pub period_days: [u32; 2],
    /// Days of each period already paid in the 12 months before.
    pub consumed_before: [u32; 2],
    /// Days of each period left at the start.
    pub remaining: [u32; 2],
}

/// The legal rule on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalDay {
    /// No legal maintenance for this employee.
    NotApplicable,
    /// Legal carence day.
    Carence,
    /// First period: 90 % of the gross.
    Ninety,
    /// Second period: 2/3 of the gross.
    TwoThirds,
    /// Both periods used up.
    Exhausted,
}

impl LegalDay {
    /// History key of the period paid that day.
    pub fn key(self) -> Option<CoverageKey> {
        match self {
            LegalDay::Ninety => Some(CoverageKey::Legal { tier: 1 }),
            LegalDay::TwoThirds => Some(CoverageKey::Legal { tier: 2 }),
            _ => None,
        }
    }

    /// Rate of the gross guaranteed that day (0 when none).
    pub fn rate(self) -> Decimal {
        match self {
            LegalDay::Ninety => params::LEGAL_RATE_FIRST,
            LegalDay::TwoThirds => params::legal_rate_second(),
            _ => Decimal::ZERO,
        }
    }
}

impl LegalEntitlement {
    /// Entitlement of an employee with `seniority_months` on `first_day`.
    pub fn at_start(
        seniority_months: u32,
        motif: Motif,
        particulier_employeur: bool,
        history: &ConsumedDays,
        employment_contract: &str,
        first_day: NaiveDate,
    ) -> Self {
        let seniority_years = seniority_months / 12;
        let carence_days = if motif.legal_no_carence() {
            0
        } else {
            params::LEGAL_CARENCE_DAYS
        };
        let excluded = if particulier_employeur {
            Some(LegalExclusion::ParticulierEmployeur)
        } else if seniority_months < params::LEGAL_MIN_SENIORITY_MONTHS {
            Some(LegalExclusion::Seniority)
        } else {
            None
        };
        let (a, b) = match excluded {
            None => params::legal_durations(seniority_years).unwrap_or((0, 0)),
            Some(_) => (0, 0),
        };
        let consumed =
            |tier| history.days(employment_contract, &CoverageKey::Legal { tier }, first_day);
        let consumed_before = if excluded.is_none() {
            [consumed(1), consumed(2)]
        } else {
            [0, 0]
        };
        Self {
            excluded,
            seniority_years,
            carence_days,
            period_days: [a, b],
            consumed_before,
            remaining: [
                a.saturating_sub(consumed_before[0]),
                b.saturating_sub(consumed_before[1]),
            ],
        }
    }

    /// A day-by-day walker over this entitlement.
    pub fn walker(&self) -> LegalWalker {
        LegalWalker {
            excluded: self.excluded.is_some(),
            carence: self.carence_days,
            remaining: self.remaining,
        }
    }
}

/// Consumes the entitlement one stoppage day at a time.
#[derive(Debug, Clone)]
pub struct LegalWalker {
    excluded: bool,
    carence: u32,
    remaining: [u32; 2],
}

impl LegalWalker {
    /// The rule on stoppage day `day` (1-based); days must be asked in order.
    pub fn next_day(&mut self, day: u32) -> LegalDay {
        if self.excluded {
            LegalDay::NotApplicable
        } else if day <= self.carence {
            LegalDay::Carence
        } else if self.remaining[0] > 0 {
            self.remaining[0] -= 1;
            LegalDay::Ninety
        } else if self.remaining[1] > 0 {
            self.remaining[1] -= 1;
            LegalDay::TwoThirds
        } else {
            LegalDay::Exhausted
        }
    }
}

/// Legal floor (gross) for one day: rate × daily gross − IJSS gross, never below 0.
pub fn floor_gross(day: LegalDay, daily_gross: Decimal, ijss_gross: Decimal) -> Decimal {
    let rate = day.rate();
    if rate.is_zero() {
        return Decimal::ZERO;
    }
    (rate * daily_gross - ijss_gross).max(Decimal::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    fn walk(e: &LegalEntitlement, n: u32) -> Vec<LegalDay> {
        let mut w = e.walker();
        (1..=n).map(|i| w.next_day(i)).collect()
    }

    #[test]
    fn seniority_under_one_year_excluded() {
        let h = ConsumedDays::new();
        let e = LegalEntitlement::at_start(11, Motif::Maladie, false, &h, "CT", d(2026, 3, 1));
        assert_eq!(e.excluded, Some(LegalExclusion::Seniority));
        assert_eq!(walk(&e, 10), vec![LegalDay::NotApplicable; 10]);
        let e = LegalEntitlement::at_start(12, Motif::Maladie, false, &h, "CT", d(2026, 3, 1));
        assert_eq!(e.excluded, None);
        assert_eq!(e.period_days, [30, 30]);
    }

    #[test]
    fn durations_by_seniority_in_months() {
        let h = ConsumedDays::new();
        for (months, want) in [
            (71, [30, 30]),
            (72, [40, 40]),
            (372, [90, 90]),
            (371, [80, 80]),
        ] {
            let e =
                LegalEntitlement::at_start(months, Motif::Maladie, false, &h, "CT", d(2026, 3, 1));
            assert_eq!(e.period_days, want, "{months} months");
        }
    }

    #[test]
    fn carence_seven_days_except_atmp() {
        let h = ConsumedDays::new();
        let e = LegalEntitlement::at_start(24, Motif::Maladie, false, &h, "CT", d(2026, 3, 1));
        let days = walk(&e, 68);
        assert_eq!(days[6], LegalDay::Carence);
        assert_eq!(days[7], LegalDay::Ninety);
        assert_eq!(days[36], LegalDay::Ninety);
        assert_eq!(days[37], LegalDay::TwoThirds);
        assert_eq!(days[66], LegalDay::TwoThirds);
        assert_eq!(days[67], LegalDay::Exhausted);
        let at =
            LegalEntitlement::at_start(24, Motif::AccidentTravail, false, &h, "CT", d(2026, 3, 1));
        assert_eq!(walk(&at, 1), vec![LegalDay::Ninety]);
        let trajet =
            LegalEntitlement::at_start(24, Motif::AccidentTrajet, false, &h, "CT", d(2026, 3, 1));
        assert_eq!(walk(&trajet, 1), vec![LegalDay::Carence]);
    }

    #[test]
    fn previous_days_in_12_months_deducted() {
        let mut h = ConsumedDays::new();
        h.record(
            "CT",
            CoverageKey::Legal { tier: 1 },
            d(2025, 11, 1),
            d(2025, 11, 25),
        );
        h.record(
            "CT",
            CoverageKey::Legal { tier: 1 },
            d(2024, 11, 1),
            d(2024, 11, 30),
        );
        let e =
            LegalEntitlement::at_start(24, Motif::AccidentTravail, false, &h, "CT", d(2026, 3, 1));
        assert_eq!(e.consumed_before, [25, 0]);
        assert_eq!(e.remaining, [5, 30]);
        assert_eq!(walk(&e, 6)[5], LegalDay::TwoThirds);
    }

    #[test]
    fn particulier_employeur_excluded() {
        let h = ConsumedDays::new();
        let e = LegalEntitlement::at_start(240, Motif::Maladie, true, &h, "CT", d(2026, 3, 1));
        assert_eq!(e.excluded, Some(LegalExclusion::ParticulierEmployeur));
    }

    #[test]
    fn floor_amounts() {
        assert_eq!(floor_gross(LegalDay::Ninety, dec!(100), dec!(40)), dec!(50));
        assert_eq!(floor_gross(LegalDay::Ninety, dec!(100), dec!(95)), dec!(0));
        let two_thirds = floor_gross(LegalDay::TwoThirds, dec!(90), dec!(0));
        assert_eq!(crate::prevoyance::money::cents(two_thirds), dec!(60.00));
        assert_eq!(floor_gross(LegalDay::Carence, dec!(100), dec!(0)), dec!(0));
    }
}
