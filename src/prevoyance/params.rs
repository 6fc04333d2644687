//! Dated legal parameters (SMIC, PASS, IJSS ceilings and rates) in one table.
//!
//! Every figure the IJSS estimate and the legal maintenance need lives here, with its date of
//! effect, so that a yearly revaluation is a one-line change. Invariant: each table is sorted
//! by date of effect, ascending (checked by a unit test); a lookup takes the last row whose
//! date of effect is on or before the date asked for.
//!
//! Sources: domain.md §5 (CSS R323-4, R323-5, R433-1; décret 2025-160; arrêtés SMIC; PASS).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// SMIC revaluation: (date of effect, hourly gross, monthly gross for 151.67 h).
pub const SMIC: &[(NaiveDate, Decimal, Decimal)] = &[
    (date(2023, 1, 1), dec!(11.27), dec!(1709.28)),
    (date(2023, 5, 1), dec!(11.52), dec!(1747.20)),
    (date(2024, 1, 1), dec!(11.65), dec!(1766.92)),
    (date(2024, 11, 1), dec!(11.88), dec!(1801.80)),
    (date(2026, 1, 1), dec!(12.02), dec!(1823.03)),
];

/// Plafond annuel de la sécurité sociale: (year, annual amount).
pub const PASS: &[(i32, Decimal)] = &[
    (2023, dec!(43992)),
    (2024, dec!(46368)),
    (2025, dec!(47100)),
    (2026, dec!(48060)),
];

/// Ceiling on the salary taken into account for IJ maladie, in SMIC mensuel, by the first day
/// of the stoppage (décret n° 2025-160: 1.4 SMIC for stoppages from 2025-04-01, 1.8 before).
pub const IJ_MALADIE_SMIC_FACTOR: &[(NaiveDate, Decimal)] =
    &[(date(2000, 1, 1), dec!(1.8)), (date(2025, 4, 1), dec!(1.4))];

/// IJ maladie = 50 % of the salaire journalier de base (R323-5).
pub const IJ_MALADIE_RATE: Decimal = dec!(0.50);
/// SJB maladie = 3 monthly pays / 91.25 (R323-4).
pub const IJ_MALADIE_DIVISOR: Decimal = dec!(91.25);
/// Number of monthly pays in the SJB maladie.
pub const IJ_MALADIE_MONTHS: usize = 3;
/// CPAM carence for maladie (R323-1): IJ from the 4th day.
pub const IJ_MALADIE_CARENCE_DAYS: u32 = 3;

/// SJB AT/MP = previous month's gross / 30.42 (R433-4).
pub const IJ_ATMP_DIVISOR: Decimal = dec!(30.42);
/// SJB AT/MP ceiling = 0.834 % of the PASS in force on the first day of the stoppage.
pub const IJ_ATMP_SJB_PASS_RATE: Decimal = dec!(0.00834);
/// IJ AT/MP = 60 % of the SJB for days 1 to 28.
pub const IJ_ATMP_RATE_INITIAL: Decimal = dec!(0.60);
/// IJ AT/MP = 80 % of the SJB from day 29.
pub const IJ_ATMP_RATE_FROM_29: Decimal = dec!(0.80);
/// First stoppage day paid at the higher AT/MP rate.
pub const IJ_ATMP_HIGHER_RATE_FROM_DAY: u32 = 29;
/// IJ AT/MP never exceed the gain journalier net = SJB minus a 21 % flat rate (L433-2).
pub const IJ_ATMP_NET_GAIN_FACTOR: Decimal = dec!(0.79);

/// Legal maintenance (D1226-1): 90 % of the gross for the first period …
pub const LEGAL_RATE_FIRST: Decimal = dec!(0.90);
/// … and 2/3 for the second period (kept as 2/3 at Decimal precision, "66.66 %" in tables).
pub fn legal_rate_second() -> Decimal {
    Decimal::TWO / Decimal::from(3)
}
/// Legal maintenance carence (D1226-3), not applied to AT/MP.
pub const LEGAL_CARENCE_DAYS: u32 = 7;
/// Minimum seniority for legal maintenance (L1226-1), in months.
pub const LEGAL_MIN_SENIORITY_MONTHS: u32 = 12;
/// Legal durations per period by seniority: (minimum full years, days at 90 %, days at 2/3).
pub const LEGAL_DURATIONS: &[(u32, u32, u32)] = &[
    (1, 30, 30),
    (6, 40, 40),
    (11, 50, 50),
    (16, 60, 60),
    (21, 70, 70),
    (26, 80, 80),
    (31, 90, 90),
];

const fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(d) => d,
        None => panic!("invalid date in parameter table"),
    }
}

/// SMIC (hourly, monthly) in force on `on`. Dates before the table use its first row, which
/// keeps the function total; the estimate is only meaningful from 2023 on.
pub fn smic_on(on: NaiveDate) -> (Decimal, Decimal) {
    let row = SMIC
        .iter()
        .rev()
        .find(|(from, _, _)| *from <= on)
        .unwrap_or(&SMIC[0]);
    (row.1, row.2)
}

/// PASS of the year of `on`; years beyond the table use its last row (the most recent
/// known figure) so that a late revaluation degrades to a slightly low ceiling, not a panic.
pub fn pass_for(on: NaiveDate) -> Decimal {
    use chrono::Datelike;
    let year = on.year();
    PASS.iter()
        .rev()
        .find(|(y, _)| *y <= year)
        .unwrap_or(&PASS[0])
        .1
}

/// SMIC multiple capping the salary for IJ maladie, by the first day of the stoppage.
pub fn ij_maladie_smic_factor(first_day: NaiveDate) -> Decimal {
    IJ_MALADIE_SMIC_FACTOR
        .iter()
        .rev()
        .find(|(from, _)| *from <= first_day)
        .unwrap_or(&IJ_MALADIE_SMIC_FACTOR[0])
        .1
}

/// Legal maintenance durations (days at 90 %, days at 2/3) for `full_years` of seniority;
/// `None` below one year.
pub fn legal_durations(full_years: u32) -> Option<(u32, u32)> {
    LEGAL_DURATIONS
        .iter()
        .rev()
        .find(|(min, _, _)| *min <= full_years)
        .map(|(_, a, b)| (*a, *b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    #[test]
    fn tables_are_sorted() {
        assert!(SMIC.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(PASS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(IJ_MALADIE_SMIC_FACTOR.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(LEGAL_DURATIONS.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn smic_lookup_by_date() {
        assert_eq!(smic_on(d(2025, 12, 31)), (dec!(11.88), dec!(1801.80)));
        assert_eq!(smic_on(d(2026, 1, 1)), (dec!(12.02), dec!(1823.03)));
        assert_ne!(smic_on(d(2026, 1, 1)), smic_on(d(2025, 12, 31)));
    }

    #[test]
    fn pass_lookup_by_year() {
        assert_eq!(pass_for(d(2026, 6, 1)), dec!(48060));
        assert_eq!(pass_for(d(2025, 12, 31)), dec!(47100));
    }

    #[test]
    fn smic_factor_switches_on_2025_04_01() {
        assert_eq!(ij_maladie_smic_factor(d(2025, 3, 31)), dec!(1.8));
        assert_eq!(ij_maladie_smic_factor(d(2025, 4, 1)), dec!(1.4));
    }

    #[test]
    fn legal_durations_table() {
        let cases = [
            (0, None),
            (1, Some((30, 30))),
            (5, Some((30, 30))),
            (6, Some((40, 40))),
            (10, Some((40, 40))),
            (11, Some((50, 50))),
            (16, Some((60, 60))),
            (21, Some((70, 70))),
            (26, Some((80, 80))),
            (30, Some((80, 80))),
            (31, Some((90, 90))),
            (45, Some((90, 90))),
        ];
        for (years, want) in cases {
            assert_eq!(legal_durations(years), want, "{years} years");
        }
    }
}
