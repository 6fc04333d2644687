//! Builds a NEODeS file from (rubric, value) items: ISO-8859-1, CRLF, ≤ 256 characters a line,
//! only the norm's characters, values checked against the norm, absent values omitted, and the
//! envoi totals `S90.G00.90.001/.002` computed.
//!
//! Invariant: `finish` returns bytes only when every pushed item was valid; otherwise it returns
//! every problem found (not just the first), each naming its rubric and push index. Whatever
//! `finish` returns `Ok` for is read back by [`crate::neodes::reader`] with no error diagnostic.
//!
//! Typical use (signalement nature 04):
//! ```
//! use ijgate::neodes::rubric::rid;
//! use ijgate::neodes::writer::Writer;
//! let mut w = Writer::new();
//! w.push(rid("S10.G00.00.001"), "IJGATE").push(rid("S10.G00.00.002"), "IJGATE");
//! // ... S10.G00.01/.02, S20.G00.05, S21.G00.06/.11/.30/.40/.60 ...
//! let bytes = w.finish().unwrap();
//! assert!(bytes.ends_with(b"S90.G00.90.002,'0'\r\n"));
//! ```

use std::io::Write as _;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::neodes::charset;
use crate::neodes::norm::{self, Norm, ValueError};
use crate::neodes::reader::MAX_LINE_CHARS;
use crate::neodes::rubric::{BlockId, RubricId, bid, rid};

/// One invalid item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("item {index}, {rubric}: {source}")]
    Forbidden {
        index: usize,
        rubric: RubricId,
        source: charset::ForbiddenChar,
    },
    #[error("item {index}, {rubric}: value has no letter or digit")]
    NoValidatingChar { index: usize, rubric: RubricId },
    #[error("item {index}, {rubric}: line of {chars} characters, the norm allows {MAX_LINE_CHARS}")]
    LineTooLong {
        index: usize,
        rubric: RubricId,
        chars: usize,
    },
    #[error("item {index}, {rubric}: rubric unknown to norm {norm}")]
    UnknownRubric {
        index: usize,
        rubric: RubricId,
        norm: &'static str,
    },
    #[error("item {index}, {rubric}: {source}")]
    Value {
        index: usize,
        rubric: RubricId,
        source: ValueError,
    },
    #[error("item {index}, {rubric}: computed by the writer, do not push it")]
    Computed { index: usize, rubric: RubricId },
    #[error("item {index}, {rubric}: comes before any S10.G00.00 envoi")]
    OutsideEnvoi { index: usize, rubric: RubricId },
}

/// Every problem of a `finish`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} invalid item(s): {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct WriteErrors(pub Vec<WriteError>);

const ENVOI: BlockId = bid("S10.G00.00");
const DECLARATION: BlockId = bid("S20.G00.05");
const TOTAL: BlockId = bid("S90.G00.90");

/// The NEODeS writer.
#[derive(Debug)]
pub struct Writer {
    norm: &'static Norm,
    out: Vec<u8>,
    errors: Vec<WriteError>,
    index: usize,
    in_envoi: bool,
    envoi_lines: u64,
    declarations: u64,
    last_declaration_rubric: Option<u16>,
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

impl Writer {
    /// A writer for norm P26V01.
    pub fn new() -> Self {
        Self::with_norm(&norm::P26V01)
    }

    pub fn with_norm(norm: &'static Norm) -> Self {
        Self {
            norm,
            out: Vec::with_capacity(8 * 1024),
            errors: Vec::new(),
            index: 0,
            in_envoi: false,
            envoi_lines: 0,
            declarations: 0,
            last_declaration_rubric: None,
        }
    }

    /// Adds `rubric` with `value`. An empty value is omitted (the norm forbids `''`). Errors
    /// are collected and returned by [`Writer::finish`].
    pub fn push(&mut self, rubric: RubricId, value: &str) -> &mut Self {
        let index = self.index;
        self.index += 1;
        if value.is_empty() {
            return self;
        }
        let block = rubric.block();
        if block == TOTAL {
            self.errors.push(WriteError::Computed { index, rubric });
            return self;
        }
        if block == ENVOI && (rubric.number() == 1 || !self.in_envoi) {
            self.close_envoi();
            self.in_envoi = true;
        }
        if !self.in_envoi {
            self.errors.push(WriteError::OutsideEnvoi { index, rubric });
            return self;
        }
        let before = self.errors.len();
        let mut chars = 0;
        for (i, c) in value.chars().enumerate() {
            chars += 1;
            if !charset::is_allowed(c) {
                self.errors.push(WriteError::Forbidden {
                    index,
                    rubric,
                    source: charset::ForbiddenChar {
                        ch: c,
                        code: u32::from(c),
                        position: i + 1,
                    },
                });
                break;
            }
        }
        if self.errors.len() == before && !charset::has_validating(value) {
            self.errors
                .push(WriteError::NoValidatingChar { index, rubric });
        }
        let line_chars = 14 + 2 + chars + 1 + 2;
        if line_chars > MAX_LINE_CHARS {
            self.errors.push(WriteError::LineTooLong {
                index,
                rubric,
                chars: line_chars,
            });
        }
        match norm::lookup(self.norm, rubric) {
            None => self.errors.push(WriteError::UnknownRubric {
                index,
                rubric,
                norm: self.norm.version,
            }),
            Some(spec) => {
                // Codes and dates are ASCII, so the Latin-1 bytes equal the UTF-8 bytes there.
                if let Some(latin1) = charset::to_latin1(value)
                    && let Err(source) = norm::check_value(spec, &latin1, chars)
                {
                    self.errors.push(WriteError::Value {
                        index,
                        rubric,
                        source,
                    });
                }
            }
        }
        if self.errors.len() != before {
            return self;
        }
        if block == DECLARATION {
            if self
                .last_declaration_rubric
                .is_none_or(|last| rubric.number() <= last)
            {
                self.declarations += 1;
            }
            self.last_declaration_rubric = Some(rubric.number());
        }
        self.line(rubric, value);
        self
    }

    /// Adds `rubric` when `value` is `Some`.
    pub fn push_opt(&mut self, rubric: RubricId, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.push(rubric, v),
            None => {
                self.index += 1;
                self
            }
        }
    }

    /// Adds a date as `JJMMAAAA`.
    pub fn push_date(&mut self, rubric: RubricId, date: NaiveDate) -> &mut Self {
        self.push(rubric, &date.format("%d%m%Y").to_string())
    }

    /// Adds an amount with two decimals (`1234.50`, `-3.00`).
    pub fn push_amount(&mut self, rubric: RubricId, amount: Decimal) -> &mut Self {
        let mut a = amount.round_dp(2);
        a.rescale(2);
        self.push(rubric, &a.to_string())
    }

    fn line(&mut self, rubric: RubricId, value: &str) {
        // Writing into a Vec cannot fail.
        let _ = write!(self.out, "{rubric},'");
        self.out.extend(
            value
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')),
        );
        self.out.extend_from_slice(b"'\r\n");
        self.envoi_lines += 1;
    }

    fn close_envoi(&mut self) {
        if !self.in_envoi {
            return;
        }
        let lines = self.envoi_lines + 2;
        let decls = self.declarations;
        let _ = write!(
            self.out,
            "S90.G00.90.001,'{lines}'\r\nS90.G00.90.002,'{decls}'\r\n"
        );
        self.in_envoi = false;
        self.envoi_lines = 0;
        self.declarations = 0;
        self.last_declaration_rubric = None;
    }

    /// The file, or every problem found.
    pub fn finish(mut self) -> Result<Vec<u8>, WriteErrors> {
        self.close_envoi();
        if self.errors.is_empty() {
            Ok(self.out)
        } else {
            Err(WriteErrors(self.errors))
        }
    }
}

/// `S90.G00.90.001`, exported for callers that inspect written files.
pub const TOTAL_LINES: RubricId = rid("S90.G00.90.001");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::neodes::reader::{Options, Severity, read_all};
    use rust_decimal_macros::dec;

    fn envoi(w: &mut Writer) {
        w.push(rid("S10.G00.00.001"), "IJGATE")
            .push(rid("S10.G00.00.002"), "JIKEN")
            .push(rid("S10.G00.00.003"), "1.0")
            .push(rid("S10.G00.00.005"), "01")
            .push(rid("S10.G00.00.006"), "P26V01")
            .push(rid("S10.G00.00.007"), "01")
            .push(rid("S10.G00.01.001"), "552100554")
            .push(rid("S20.G00.05.001"), "04")
            .push(rid("S20.G00.05.002"), "01");
    }

    #[test]
    fn computes_totals_and_reads_back_clean() {
        let mut w = Writer::new();
        envoi(&mut w);
        w.push(rid("S21.G00.06.001"), "552100554")
            .push(rid("S21.G00.11.001"), "00013");
        w.push(rid("S21.G00.30.002"), "O'CONNOR-Éloïse");
        w.push(rid("S21.G00.30.003"), "");
        w.push(rid("S21.G00.40.009"), "C1");
        w.push_date(
            rid("S21.G00.60.002"),
            NaiveDate::from_ymd_opt(2026, 8, 9).unwrap(),
        );
        w.push(rid("S21.G00.50.001"), "31082026");
        w.push(rid("S21.G00.78.001"), "31");
        w.push_amount(rid("S21.G00.81.004"), dec!(12.5));
        let bytes = w.finish().unwrap();
        let text: String = bytes.iter().map(|&b| char::from(b)).collect();
        assert!(text.contains("S21.G00.30.002,'O'CONNOR-\u{C9}lo\u{EF}se'\r\n"));
        assert!(bytes.contains(&0xC9), "ISO-8859-1 output");
        assert!(!text.contains("S21.G00.30.003"), "empty value omitted");
        assert!(text.contains("S21.G00.60.002,'09082026'"));
        assert!(text.contains("S21.G00.81.004,'12.50'"));
        assert!(
            text.ends_with("S90.G00.90.001,'19'\r\nS90.G00.90.002,'1'\r\n"),
            "{text}"
        );
        let (_, diags, _) = read_all(&bytes[..], Options::default());
        assert!(
            diags.iter().all(|d| d.severity == Severity::Warning),
            "{diags:?}"
        );
    }

    /// A complete signalement arrêt de travail (nature 04) as the lead will build it: it must
    /// read back with no diagnostic at all and the stoppage under the contract.
    #[test]
    fn signalement_arret_nature_04_reads_back_clean() {
        let mut w = Writer::new();
        let d = |y, m, j| NaiveDate::from_ymd_opt(y, m, j).unwrap();
        w.push(rid("S10.G00.00.001"), "IJGATE")
            .push(rid("S10.G00.00.002"), "JIKENLABS")
            .push(rid("S10.G00.00.003"), "0.1.0")
            .push(rid("S10.G00.00.005"), "01")
            .push(rid("S10.G00.00.006"), "P26V01")
            .push(rid("S10.G00.00.007"), "01")
            .push(rid("S10.G00.00.008"), "01")
            .push(rid("S10.G00.01.001"), "487654321")
            .push(rid("S10.G00.01.002"), "00018")
            .push(rid("S10.G00.01.003"), "ATELIERS DU LAC")
            .push(rid("S10.G00.01.004"), "3 QUAI DU LAC")
            .push(rid("S10.G00.01.005"), "74000")
            .push(rid("S10.G00.01.006"), "ANNECY")
            .push(rid("S10.G00.02.001"), "02")
            .push(rid("S10.G00.02.002"), "CLAIRE FONTAINE")
            .push(rid("S10.G00.02.004"), "paie@ateliers-lac.fr")
            .push(rid("S10.G00.02.005"), "0450000000")
            .push(rid("S20.G00.05.001"), "04")
            .push(rid("S20.G00.05.002"), "01")
            .push(rid("S20.G00.05.003"), "11")
            .push(rid("S20.G00.05.004"), "1")
            .push_date(rid("S20.G00.05.005"), d(2026, 3, 1))
            .push_date(rid("S20.G00.05.007"), d(2026, 3, 12))
            .push(rid("S20.G00.05.008"), "01")
            .push(rid("S20.G00.05.009"), "AT2026031200001")
            .push(rid("S20.G00.05.010"), "01")
            .push(rid("S21.G00.06.001"), "487654321")
            .push(rid("S21.G00.06.002"), "00018")
            .push(rid("S21.G00.11.001"), "00018")
            .push(rid("S21.G00.30.001"), "1850575123456")
            .push(rid("S21.G00.30.002"), "BERTIN")
            .push(rid("S21.G00.30.004"), "LUC")
            .push(rid("S21.G00.30.005"), "01")
            .push_date(rid("S21.G00.30.006"), d(1985, 5, 14))
            .push(rid("S21.G00.30.007"), "LYON")
            .push_date(rid("S21.G00.40.001"), d(2020, 1, 1))
            .push(rid("S21.G00.40.007"), "01")
            .push(rid("S21.G00.40.009"), "C001")
            .push(rid("S21.G00.60.001"), "01")
            .push_date(rid("S21.G00.60.002"), d(2026, 3, 10))
            .push_date(rid("S21.G00.60.003"), d(2026, 3, 24))
            .push(rid("S21.G00.60.004"), "01")
            .push_date(rid("S21.G00.60.005"), d(2026, 3, 11))
            .push_date(rid("S21.G00.60.006"), d(2026, 3, 24))
            .push(rid("S21.G00.60.007"), "FR7630006000011234567890189")
            .push(rid("S21.G00.60.008"), "AGRIFRPP");
        let bytes = w.finish().unwrap();
        assert!(bytes.ends_with(b"S90.G00.90.001,'48'\r\nS90.G00.90.002,'1'\r\n"));
        let (items, diags, stats) = read_all(&bytes[..], Options::default());
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!((stats.envois, stats.declarations), (1, 1));
        let contract = items
            .iter()
            .find(|i| i.rubric == rid("S21.G00.40.009"))
            .unwrap();
        let stop = items
            .iter()
            .find(|i| i.rubric == rid("S21.G00.60.001"))
            .unwrap();
        assert_eq!(stop.parent, Some(contract.node));
    }

    #[test]
    fn two_declarations_in_one_envoi() {
        let mut w = Writer::new();
        envoi(&mut w);
        w.push(rid("S20.G00.05.001"), "05")
            .push(rid("S20.G00.05.002"), "01");
        let bytes = w.finish().unwrap();
        assert!(bytes.ends_with(b"S90.G00.90.002,'2'\r\n"));
        let (_, diags, stats) = read_all(&bytes[..], Options::default());
        assert_eq!(stats.declarations, 2);
        assert!(diags.is_empty(), "{diags:?}");
    }

    #[test]
    fn collects_every_error() {
        let mut w = Writer::new();
        w.push(rid("S21.G00.30.002"), "EARLY");
        envoi(&mut w);
        w.push(rid("S21.G00.30.002"), "Prix 10€")
            .push(rid("S21.G00.30.002"), " - ")
            .push(rid("S21.G00.60.002"), "31042026")
            .push(rid("S21.G00.60.001"), "42")
            .push(rid("S21.G00.30.001"), "12345678901234")
            .push(rid("S21.G00.99.001"), "X")
            .push(rid("S90.G00.90.001"), "3")
            .push(rid("S21.G00.30.002"), &"A".repeat(240));
        let errs = w.finish().unwrap_err().0;
        let kinds: Vec<String> = errs
            .iter()
            .map(|e| {
                format!("{e:?}")
                    .split([' ', '{'])
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "OutsideEnvoi",
                "Forbidden",
                "NoValidatingChar",
                "Value",
                "Value",
                "Value",
                "UnknownRubric",
                "Computed",
                "LineTooLong",
                "Value"
            ]
        );
        assert!(errs[1].to_string().contains("item 10, S21.G00.30.002"));
    }
}
