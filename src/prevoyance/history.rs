//! Consumed-days history: which coverage paid which days, per employment contract, across
//! stoppages. It decides where a cascade starts ("jours consommés sur les 12 mois qui
//! précèdent l'arrêt") and where the legal maintenance stands.
//!
//! Invariants: a span is inclusive (`from..=to`, `from <= to` enforced by `record`); a query
//! window is the 12 months before `window_end`, i.e. `[window_end − 12 months, window_end)`,
//! `window_end` being the first day of the new stoppage (exclusive). Only the part of a span
//! inside the window counts.

use crate::prevoyance::calendar::months_earlier;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Length of the look-back window, in months.
pub const WINDOW_MONTHS: u32 = 12;

/// A coverage whose days are counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CoverageKey {
    /// Coverage `tier` (1-based, in the contract's cascade) of prévoyance contract `contract`.
    Contract {
        /// Prévoyance contract number ("99" for the CCN 01 incapacity relay).
        contract: String,
        /// Position in that contract's cascade, 1..=3.
        tier: u8,
    },
    /// Legal maintenance period 1 (90 %) or 2 (2/3).
    Legal {
        /// 1 or 2.
        tier: u8,
    },
}

/// Days `from..=to` paid by `coverage` for `employment_contract`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumedSpan {
    /// Employment contract id.
    pub employment_contract: String,
    /// Coverage that paid these days.
    pub coverage: CoverageKey,
    /// First day (inclusive).
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
}

/// Days consumed by one coverage in a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsumedTotal {
    /// The coverage.
    pub coverage: CoverageKey,
    /// Days inside the window.
    pub days: u32,
}

/// The history, serialised as a plain list of spans.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ConsumedDays {
    spans: Vec<ConsumedSpan>,
}

impl ConsumedDays {
    /// Empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records days `from..=to`; a reversed range is recorded with its bounds swapped.
    pub fn record(
        &mut self,
        employment_contract: &str,
        coverage: CoverageKey,
        from: NaiveDate,
        to: NaiveDate,
    ) {
        let (from, to) = if from <= to { (from, to) } else { (to, from) };
        self.spans.push(ConsumedSpan {
            employment_contract: employment_contract.to_owned(),
            coverage,
            from,
            to,
        });
    }

    /// Adds every span of `other`.
    pub fn extend(&mut self, other: &ConsumedDays) {
        self.spans.extend(other.spans.iter().cloned());
    }

    /// All spans, in recording order.
    pub fn spans(&self) -> &[ConsumedSpan] {
        &self.spans
    }

    /// Days of `coverage` consumed for `employment_contract` in the 12 months before
    /// `window_end` (exclusive).
    pub fn days(
        &self,
        employment_contract: &str,
        coverage: &CoverageKey,
        window_end: NaiveDate,
    ) -> u32 {
        let window_start = months_earlier(window_end, WINDOW_MONTHS);
        self.spans
            .iter()
            .filter(|s| s.employment_contract == employment_contract && &s.coverage == coverage)
            .map(|s| overlap_days(s.from, s.to, window_start, window_end))
            .fold(0u32, u32::saturating_add)
    }

    /// Per coverage, days consumed for `employment_contract` in the 12 months before
    /// `window_end` (exclusive), sorted by coverage; coverages with no day are omitted.
    pub fn for_contract(
        &self,
        employment_contract: &str,
        window_end: NaiveDate,
    ) -> Vec<ConsumedTotal> {
        let window_start = months_earlier(window_end, WINDOW_MONTHS);
        let mut out: Vec<ConsumedTotal> = Vec::new();
        for s in self
            .spans
            .iter()
            .filter(|s| s.employment_contract == employment_contract)
        {
            let days = overlap_days(s.from, s.to, window_start, window_end);
            if days == 0 {
                continue;
            }
            match out.iter_mut().find(|t| t.coverage == s.coverage) {
                Some(t) => t.days = t.days.saturating_add(days),
                None => out.push(ConsumedTotal {
                    coverage: s.coverage.clone(),
                    days,
                }),
            }
        }
        out.sort_by(|a, b| a.coverage.cmp(&b.coverage));
        out
    }
}

/// Days of `from..=to` inside `[start, end)`.
fn overlap_days(from: NaiveDate, to: NaiveDate, start: NaiveDate, end: NaiveDate) -> u32 {
    let lo = from.max(start);
    let Some(hi_excl) = to.succ_opt().map(|t| t.min(end)) else {
        return 0;
    };
    let n = (hi_excl - lo).num_days();
    u32::try_from(n.max(0)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }
    fn k(tier: u8) -> CoverageKey {
        CoverageKey::Contract {
            contract: "C".into(),
            tier,
        }
    }

    #[test]
    fn counts_only_inside_window_and_contract() {
        let mut h = ConsumedDays::new();
        h.record("CT1", k(1), d(2025, 1, 1), d(2025, 1, 30)); // older than 12 months
        h.record("CT1", k(1), d(2025, 3, 1), d(2025, 3, 20)); // straddles the window start
        h.record("CT1", k(2), d(2025, 6, 1), d(2025, 6, 10));
        h.record("CT2", k(1), d(2025, 6, 1), d(2025, 6, 10)); // other employment contract
        let end = d(2026, 3, 10); // window = 2025-03-10 .. 2026-03-09
        assert_eq!(h.days("CT1", &k(1), end), 11);
        assert_eq!(h.days("CT1", &k(2), end), 10);
        assert_eq!(
            h.for_contract("CT1", end),
            vec![
                ConsumedTotal {
                    coverage: k(1),
                    days: 11
                },
                ConsumedTotal {
                    coverage: k(2),
                    days: 10
                }
            ]
        );
        assert_eq!(h.for_contract("CT3", end), vec![]);
    }

    #[test]
    fn window_end_is_exclusive() {
        let mut h = ConsumedDays::new();
        h.record(
            "CT1",
            CoverageKey::Legal { tier: 1 },
            d(2026, 3, 9),
            d(2026, 3, 12),
        );
        assert_eq!(
            h.days("CT1", &CoverageKey::Legal { tier: 1 }, d(2026, 3, 10)),
            1
        );
    }

    #[test]
    fn serde_round_trip() {
        let mut h = ConsumedDays::new();
        h.record("CT1", k(2), d(2025, 6, 10), d(2025, 6, 1));
        let json = serde_json::to_string(&h).unwrap();
        assert!(json.contains("\"kind\":\"contract\""), "{json}");
        let back: ConsumedDays = serde_json::from_str(&json).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.spans()[0].from, d(2025, 6, 1));
    }
}
