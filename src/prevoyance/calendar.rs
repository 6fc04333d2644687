//! Calendar helpers: civil months (`YearMonth`, serialised "YYYY-MM"), full months of
//! seniority, and "the same day N months earlier" used by the 12-month windows.
//!
//! Invariant: every function is total on valid `NaiveDate`s (no panics); month arithmetic
//! clamps to the last day of shorter months (31 March − 1 month = 28/29 February).

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A civil month, e.g. a pay period or a month of salary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct YearMonth {
    /// Calendar year.
    pub year: i32,
    /// Month 1..=12.
    pub month: u32,
}

impl YearMonth {
    /// Builds a month; `None` when `month` is not 1..=12.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        (1..=12).contains(&month).then_some(Self { year, month })
    }

    /// The month containing `d`.
    pub fn of(d: NaiveDate) -> Self {
        Self {
            year: d.year(),
            month: d.month(),
        }
    }

    /// The month before.
    pub fn pred(self) -> Self {
        if self.month == 1 {
            Self {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Self {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The `n` civil months strictly before `self`, most recent first.
    pub fn months_before(self, n: usize) -> Vec<YearMonth> {
        let mut out = Vec::with_capacity(n);
        let mut m = self;
        for _ in 0..n {
            m = m.pred();
            out.push(m);
        }
        out
    }

    /// Last day of the month (the day the SMIC is read for IJ maladie).
    pub fn last_day(self) -> Option<NaiveDate> {
        let first = NaiveDate::from_ymd_opt(self.year, self.month, 1)?;
        first
            .checked_add_months(Months::new(1))
            .and_then(|d| d.pred_opt())
    }

    /// Quarter number 1..=4.
    pub fn quarter(self) -> u32 {
        (self.month - 1) / 3 + 1
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Error for a month that is not "YYYY-MM".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid month {0:?}: expected \"YYYY-MM\"")]
pub struct YearMonthError(pub String);

impl FromStr for YearMonth {
    type Err = YearMonthError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || YearMonthError(s.to_owned());
        let (y, m) = s.split_once('-').ok_or_else(err)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(err());
        }
        let year = y.parse::<i32>().map_err(|_| err())?;
        let month = m.parse::<u32>().map_err(|_| err())?;
        YearMonth::new(year, month).ok_or_else(err)
    }
}

impl TryFrom<String> for YearMonth {
    type Error = YearMonthError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<YearMonth> for String {
    fn from(m: YearMonth) -> String {
        m.to_string()
    }
}

/// Full months elapsed from `start` to `on` (0 when `on` precedes `start`). A month is full on
/// the same day-of-month (clamped), so 2025-01-31 → 2025-02-28 is one full month.
pub fn full_months_between(start: NaiveDate, on: NaiveDate) -> u32 {
    if on < start {
        return 0;
    }
    let mut months = (on.year() - start.year()) * 12 + on.month() as i32 - start.month() as i32;
    while months > 0 {
        match start.checked_add_months(Months::new(months as u32)) {
            Some(d) if d <= on => break,
            _ => months -= 1,
        }
    }
    months.max(0) as u32
}

/// The date `n` months before `d` (clamped to month end); `d` itself when out of range.
pub fn months_earlier(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(n)).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    /// The month-end rule written in README-case.md ("Seniority in full months").
    #[test]
    fn seniority_on_a_month_end() {
        assert_eq!(full_months_between(d(2024, 2, 29), d(2025, 2, 28)), 12);
        assert_eq!(full_months_between(d(2024, 2, 29), d(2025, 2, 27)), 11);
        assert_eq!(full_months_between(d(2025, 1, 31), d(2025, 2, 28)), 1);
        assert_eq!(full_months_between(d(2024, 1, 31), d(2024, 2, 29)), 1);
        assert_eq!(full_months_between(d(2024, 1, 31), d(2024, 2, 28)), 0);
    }

    #[test]
    fn year_month_parse_and_display() {
        let m: YearMonth = "2026-03".parse().unwrap();
        assert_eq!(m, YearMonth::new(2026, 3).unwrap());
        assert_eq!(m.to_string(), "2026-03");
        for bad in ["2026-13", "2026-3", "26-03", "2026/03", "", "2026-00"] {
            assert!(bad.parse::<YearMonth>().is_err(), "{bad}");
        }
    }

    #[test]
    fn months_before_crosses_year_end() {
        let m = YearMonth::new(2026, 2).unwrap();
        let got: Vec<String> = m.months_before(3).iter().map(|m| m.to_string()).collect();
        assert_eq!(got, ["2026-01", "2025-12", "2025-11"]);
    }

    #[test]
    fn last_day_of_month() {
        assert_eq!(
            YearMonth::new(2024, 2).unwrap().last_day(),
            Some(d(2024, 2, 29))
        );
        assert_eq!(
            YearMonth::new(2025, 12).unwrap().last_day(),
            Some(d(2025, 12, 31))
        );
    }

    #[test]
    fn full_months() {
        assert_eq!(full_months_between(d(2025, 1, 15), d(2026, 1, 15)), 12);
        assert_eq!(full_months_between(d(2025, 1, 15), d(2026, 1, 14)), 11);
        assert_eq!(full_months_between(d(2025, 1, 31), d(2025, 2, 28)), 1);
        assert_eq!(full_months_between(d(2026, 1, 1), d(2025, 1, 1)), 0);
    }

    #[test]
    fn twelve_months_earlier_clamps() {
        assert_eq!(months_earlier(d(2024, 2, 29), 12), d(2023, 2, 28));
        assert_eq!(months_earlier(d(2026, 3, 10), 12), d(2025, 3, 10));
    }
}
