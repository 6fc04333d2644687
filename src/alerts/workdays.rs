//! French working days: public holidays (fixed ones, and Easter Monday, Ascension and Whit
//! Monday computed from Easter) and "N working days later".
//!
//! A working day (jour ouvré) is Monday–Friday and not a public holiday. Alsace-Moselle's
//! extra days (Good Friday, 26 December) are not counted: the rule is the national one.
//! Pure functions, total on valid dates.

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Easter Sunday of `year` (Gregorian computus, anonymous algorithm).
pub fn easter(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// The 11 national public holidays of `year`, in date order.
pub fn public_holidays(year: i32) -> Vec<NaiveDate> {
    let mut v: Vec<NaiveDate> = [
        (1, 1),   // Jour de l'an
        (5, 1),   // Fête du travail
        (5, 8),   // Victoire 1945
        (7, 14),  // Fête nationale
        (8, 15),  // Assomption
        (11, 1),  // Toussaint
        (11, 11), // Armistice
        (12, 25), // Noël
    ]
    .iter()
    .filter_map(|&(m, d)| NaiveDate::from_ymd_opt(year, m, d))
    .collect();
    if let Some(e) = easter(year) {
        v.push(e + Duration::days(1)); // Lundi de Pâques
        v.push(e + Duration::days(39)); // Ascension
        v.push(e + Duration::days(50)); // Lundi de Pentecôte
    }
    v.sort();
    v
}

pub fn is_public_holiday(d: NaiveDate) -> bool {
    public_holidays(d.year()).contains(&d)
}

/// Monday–Friday and not a public holiday.
pub fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_public_holiday(d)
}

/// The date `n` working days after `start` (`start` itself is not counted; n = 0 → `start`).
pub fn add_working_days(start: NaiveDate, n: u32) -> NaiveDate {
    let mut d = start;
    let mut left = n;
    while left > 0 {
        match d.succ_opt() {
            Some(next) => d = next,
            None => return d,
        }
        if is_working_day(d) {
            left -= 1;
        }
    }
    d
}

/// `t + d`, saturating: a huge configured duration means "never", not a panic.
pub fn later(
    t: chrono::DateTime<chrono::Utc>,
    d: std::time::Duration,
) -> chrono::DateTime<chrono::Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

/// `t - d`, saturating.
pub fn earlier(
    t: chrono::DateTime<chrono::Utc>,
    d: std::time::Duration,
) -> chrono::DateTime<chrono::Utc> {
    chrono::Duration::from_std(d)
        .ok()
        .and_then(|d| t.checked_sub_signed(d))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn easter_dates_known() {
        assert_eq!(easter(2024), Some(d(2024, 3, 31)));
        assert_eq!(easter(2025), Some(d(2025, 4, 20)));
        assert_eq!(easter(2026), Some(d(2026, 4, 5)));
        assert_eq!(easter(2027), Some(d(2027, 3, 28)));
        assert_eq!(easter(2038), Some(d(2038, 4, 25)));
        assert_ne!(easter(2026), Some(d(2026, 4, 12)));
    }

    #[test]
    fn movable_holidays_2026() {
        let h = public_holidays(2026);
        assert_eq!(h.len(), 11);
        assert!(h.contains(&d(2026, 4, 6)), "Easter Monday");
        assert!(h.contains(&d(2026, 5, 14)), "Ascension");
        assert!(h.contains(&d(2026, 5, 25)), "Whit Monday");
        assert!(!h.contains(&d(2026, 4, 3)), "Good Friday is not national");
        assert!(!h.contains(&d(2026, 12, 26)));
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // Thursday 13 May 2026 + 1 → Friday 15 (Ascension on the 14th).
        assert_eq!(add_working_days(d(2026, 5, 13), 1), d(2026, 5, 15));
        // Friday 22 May + 1 → Tuesday 26 (weekend, then Whit Monday).
        assert_eq!(add_working_days(d(2026, 5, 22), 1), d(2026, 5, 26));
        // Wednesday 25 Nov 2026 + 5 → Wednesday 2 Dec.
        assert_eq!(add_working_days(d(2026, 11, 25), 5), d(2026, 12, 2));
        // Christmas week 2026: Thu 24 + 2 → Mon 28 then Tue 29.
        assert_eq!(add_working_days(d(2026, 12, 24), 2), d(2026, 12, 29));
        assert_eq!(add_working_days(d(2026, 12, 24), 0), d(2026, 12, 24));
        assert!(!is_working_day(d(2026, 7, 14)));
        assert!(!is_working_day(d(2026, 11, 28)), "Saturday");
        assert!(is_working_day(d(2026, 11, 25)));
    }
}
