//! When ijgate runs both roles (declaring for the employer, reading DSN for the insurer), the
//! stoppages a monthly DSN carries and the declarations in the journal must agree:
//! - `JDSN01`: a stoppage in the DSN that the gateway never declared (entered outside the HR
//!   tool, or a declaration lost on the way);
//! - `JDSN02`: an arrêt journaled for an establishment of the lot, running during a declared
//!   month, that the DSN does not carry (the payroll has not recorded it).
//!
//! Pure: both sides are given; matching is on SIRET, the 13-character NIR and the last day
//! worked (± 2 days: payroll and HR tools disagree on the "dernier jour travaillé" rule).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::model::StoppageRef;

/// An arrêt as journaled by the gateway.
#[derive(Debug, Clone)]
pub struct JournalStoppage {
    pub declaration_id: i64,
    pub hr_ref: String,
    pub siret: String,
    pub nir: String,
    pub last_day_worked: NaiveDate,
    pub end: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Finding {
    pub code: &'static str,
    pub message: String,
    /// Line of the S21.G00.60 block in the DSN (JDSN01).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declaration_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hr_ref: Option<String>,
    pub siret: String,
    /// Masked NIR.
    pub nir: String,
}

fn near(a: NaiveDate, b: NaiveDate) -> bool {
    (a - b).num_days().abs() <= 2
}

/// Compares the stoppages of a lot with the journal; `months` are the declared months.
pub fn cross_check(
    dsn: &[StoppageRef],
    journal: &[JournalStoppage],
    months: &[NaiveDate],
) -> Vec<Finding> {
    let mut out = Vec::new();
    let nir13 = |s: &str| s.get(..13).unwrap_or(s).to_string();
    for s in dsn {
        let Some(last) = s.stoppage.last_day_worked else {
            continue;
        };
        let found = journal.iter().any(|j| {
            j.siret == s.siret
                && nir13(&j.nir) == nir13(s.nir.expose())
                && near(j.last_day_worked, last)
        });
        if !found {
            out.push(Finding {
                code: "JDSN01",
                message: format!(
                    "stoppage (motif {}, last day worked {}) in the DSN has no declaration in the gateway",
                    s.stoppage.reason,
                    last.format("%d/%m/%Y")
                ),
                line: Some(s.stoppage.line),
                declaration_id: None,
                hr_ref: None,
                siret: s.siret.clone(),
                nir: s.nir.masked(),
            });
        }
    }
    let sirets: std::collections::BTreeSet<&str> = dsn.iter().map(|s| s.siret.as_str()).collect();
    for j in journal {
        if !sirets.contains(j.siret.as_str()) {
            continue;
        }
        let first_day = j.last_day_worked.succ_opt().unwrap_or(j.last_day_worked);
        let runs_in_month = months.iter().any(|m| {
            let month_end = NaiveDate::from_ymd_opt(
                m.year() + i32::from(m.month() == 12),
                m.month() % 12 + 1,
                1,
            )
            .and_then(|d| d.pred_opt())
            .unwrap_or(*m);
            first_day <= month_end && j.end.is_none_or(|e| e >= *m)
        });
        if !runs_in_month {
            continue;
        }
        let in_dsn = dsn.iter().any(|s| {
            s.siret == j.siret
                && nir13(s.nir.expose()) == nir13(&j.nir)
                && s.stoppage
                    .last_day_worked
                    .is_some_and(|l| near(l, j.last_day_worked))
        });
        if !in_dsn {
            out.push(Finding {
                code: "JDSN02",
                message: format!(
                    "declaration {} (last day worked {}) is not in the DSN of a month it covers",
                    j.hr_ref,
                    j.last_day_worked.format("%d/%m/%Y")
                ),
                line: None,
                declaration_id: Some(j.declaration_id),
                hr_ref: Some(j.hr_ref.clone()),
                siret: j.siret.clone(),
                nir: crate::model::nir::mask(&j.nir),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsn::model::{RawNir, Stoppage};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn dsn_stop(nir: &str, last: NaiveDate) -> StoppageRef {
        StoppageRef {
            siret: "12345678200010".into(),
            nir: RawNir::new(nir),
            contract_number: "C1".into(),
            stoppage: Stoppage {
                line: 40,
                reason: "01".into(),
                last_day_worked: Some(last),
                ..Stoppage::default()
            },
        }
    }

    fn journ(id: i64, nir: &str, last: NaiveDate, end: Option<NaiveDate>) -> JournalStoppage {
        JournalStoppage {
            declaration_id: id,
            hr_ref: format!("H{id}"),
            siret: "12345678200010".into(),
            nir: nir.into(),
            last_day_worked: last,
            end,
        }
    }

    #[test]
    fn matching_sides_give_nothing() {
        let f = cross_check(
            &[dsn_stop("1850578006084", d(2026, 11, 9))],
            &[journ(
                1,
                "1850578006084",
                d(2026, 11, 10),
                Some(d(2026, 11, 20)),
            )],
            &[d(2026, 11, 1)],
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn each_side_missing_is_reported() {
        let f = cross_check(
            &[dsn_stop("1850578006084", d(2026, 11, 9))],
            &[
                journ(2, "2850578006048", d(2026, 11, 3), None),
                // Outside the declared month: not expected in this DSN.
                journ(3, "2850578006048", d(2026, 9, 3), Some(d(2026, 9, 20))),
            ],
            &[d(2026, 11, 1)],
        );
        let codes: Vec<_> = f.iter().map(|x| (x.code, x.declaration_id)).collect();
        assert_eq!(codes, vec![("JDSN01", None), ("JDSN02", Some(2))]);
        assert_eq!(f[0].line, Some(40));
        assert_eq!(f[0].nir, "185**********");
    }
}
