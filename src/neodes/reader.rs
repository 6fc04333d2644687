//! Streaming NEODeS reader: located items and located diagnostics, in flat memory.
//!
//! The reader owns one fixed buffer (1 MiB) refilled from any `Read`; lines are found with
//! `memchr` and handed out as slices of that buffer, so memory does not grow with the file and
//! nothing is allocated per line. It rebuilds the block hierarchy from position alone (a new
//! occurrence starts when a rubric number ≤ the previous one of the same block appears; the
//! parent is the nearest open occurrence of the parent block of the norm), follows the lot
//! envelope (S05/S06/S96/S95) and several envois/declarations, and checks the S90 totals.
//!
//! Invariant: an error never stops the reading; every line is either an [`Item`] or at least one
//! [`Diagnostic`] (an item may also carry diagnostics, which follow it).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::Read;

use crate::neodes::charset;
use crate::neodes::line::{SyntaxError, tokenize};
use crate::neodes::norm::{self, Norm, RubricSpec, ValueError};
use crate::neodes::rubric::{BlockId, RubricId, bid, rid};

/// Maximum characters of a line including its line end (cahier technique, domain.md §1.1).
pub const MAX_LINE_CHARS: usize = 256;
const BUF_SIZE: usize = 1 << 20;

const ENVOI: BlockId = bid("S10.G00.00");
const DECLARATION: BlockId = bid("S20.G00.05");
const LOT: BlockId = bid("S05.G51.00");
const GROUP: BlockId = bid("S06.G51.00");
const GROUP_END: BlockId = bid("S96.G51.00");
const LOT_END: BlockId = bid("S95.G51.00");
const NORM_VERSION: RubricId = rid("S10.G00.00.006");
const TOTAL_LINES: RubricId = rid("S90.G00.90.001");
const TOTAL_DECLS: RubricId = rid("S90.G00.90.002");
const DEPOSIT: BlockId = bid("S10.G00.95");
const DECLARATION_EXTRA: BlockId = bid("S20.G00.96");
const LOT_NUMBER: RubricId = rid("S05.G51.00.002");
const GROUP_DSN_COUNT: RubricId = rid("S96.G51.00.002");
const LOT_NUMBER_REMINDER: RubricId = rid("S95.G51.00.001");
const LOT_GROUP_COUNT: RubricId = rid("S95.G51.00.002");
const NO_RUBRIC: RubricId = rid("S00.G00.00.000");

/// Identifies one block occurrence in the file (sequential from 1).
pub type NodeId = u32;

/// Encoding of the input, decided on the first non-ASCII byte (or a UTF-8 BOM).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Latin1,
    Utf8,
}

/// One well-formed line, with its place in the hierarchy.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// 1-based physical line number.
    pub line: u64,
    pub rubric: RubricId,
    /// Raw value bytes, in `encoding`.
    pub raw: &'a [u8],
    pub encoding: Encoding,
    /// The norm's spec of the rubric, when known.
    pub spec: Option<&'static RubricSpec>,
    /// The block occurrence this line belongs to.
    pub node: NodeId,
    /// The occurrence of the parent block (`None` for roots).
    pub parent: Option<NodeId>,
    /// True on the first line of a block occurrence.
    pub starts_block: bool,
}

impl<'a> Item<'a> {
    /// The value as text (borrowed when ASCII or UTF-8).
    pub fn value(&self) -> Cow<'a, str> {
        match self.encoding {
            Encoding::Utf8 => String::from_utf8_lossy(self.raw),
            Encoding::Latin1 => {
                if self.raw.is_ascii() {
                    // ASCII is valid UTF-8; from_utf8 cannot fail here.
                    Cow::Borrowed(std::str::from_utf8(self.raw).unwrap_or_default())
                } else {
                    Cow::Owned(self.raw.iter().map(|&b| char::from(b)).collect())
                }
            }
        }
    }

    /// The block of the rubric.
    pub fn block(&self) -> BlockId {
        self.rubric.block()
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiagKind {
    #[error("syntax: {0}")]
    Syntax(SyntaxError),
    #[error("line has {chars} characters with its line end, the norm allows {MAX_LINE_CHARS}")]
    LineTooLong { chars: usize },
    #[error("character {ch:?} (U+{:04X}) at position {position} of the value is not allowed by the norm", u32::from(*ch))]
    ForbiddenChar { ch: char, position: usize },
    #[error("empty value (an absent rubric must be omitted)")]
    EmptyValue,
    #[error("value has no letter or digit")]
    NoValidatingChar,
    #[error("input is UTF-8, not ISO-8859-1; read as UTF-8")]
    Utf8Input,
    #[error("line is not valid UTF-8 although the file was detected as UTF-8")]
    InvalidUtf8,
    #[error("rubric unknown to norm {norm}")]
    UnknownRubric { norm: &'static str },
    #[error("{0}")]
    Value(ValueError),
    #[error(
        "norm version {found:?} is not one this reader knows (P25V01, P26V01); checked against {used}"
    )]
    UnknownNormVersion { found: String, used: &'static str },
    #[error("block {block} appears outside a {parent} block")]
    OrphanBlock { block: BlockId, parent: BlockId },
    #[error("S90.G00.90.001 declares {declared} lines, the envoi has {counted}")]
    TotalLines { declared: String, counted: u64 },
    #[error("S90.G00.90.002 declares {declared} declarations, the envoi has {counted}")]
    DeclarationCount { declared: String, counted: u64 },
    #[error("envoi starting line {start} has no S90.G00.90 total")]
    MissingTotal { start: u64 },
    #[error("{what}: declared {declared}, counted {counted}")]
    EnvelopeCount {
        what: &'static str,
        declared: String,
        counted: u64,
    },
}

impl DiagKind {
    /// A stable short code (for JSON, metrics and tests).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Syntax(_) => "syntax",
            Self::LineTooLong { .. } => "line-too-long",
            Self::ForbiddenChar { .. } => "forbidden-char",
            Self::EmptyValue => "empty-value",
            Self::NoValidatingChar => "no-validating-char",
            Self::Utf8Input => "utf8-input",
            Self::InvalidUtf8 => "invalid-utf8",
            Self::UnknownRubric { .. } => "unknown-rubric",
            Self::Value(ValueError::TooLong { .. }) => "too-long",
            Self::Value(ValueError::NotNumeric { .. }) => "not-numeric",
            Self::Value(ValueError::BadDate { .. }) => "bad-date",
            Self::Value(ValueError::NotInEnum { .. }) => "not-in-enum",
            Self::UnknownNormVersion { .. } => "unknown-norm-version",
            Self::OrphanBlock { .. } => "orphan-block",
            Self::TotalLines { .. } => "total-lines",
            Self::DeclarationCount { .. } => "declaration-count",
            Self::MissingTotal { .. } => "missing-total",
            Self::EnvelopeCount { .. } => "envelope-count",
        }
    }

    fn severity(&self) -> Severity {
        match self {
            Self::Utf8Input => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

/// A located problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}{}: {kind}", rubric.map(|r| format!(", {r}")).unwrap_or_default())]
pub struct Diagnostic {
    pub line: u64,
    pub rubric: Option<RubricId>,
    pub severity: Severity,
    pub kind: DiagKind,
}

impl serde::Serialize for Diagnostic {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Diagnostic", 5)?;
        st.serialize_field("line", &self.line)?;
        st.serialize_field("rubric", &self.rubric)?;
        st.serialize_field("severity", &self.severity)?;
        st.serialize_field("code", self.kind.code())?;
        st.serialize_field("message", &self.kind.to_string())?;
        st.end()
    }
}

/// What the reader hands out.
#[derive(Debug)]
pub enum Event<'a> {
    Item(Item<'a>),
    Diagnostic(Diagnostic),
}

/// Reading options.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// The norm of an envoi until its S10.G00.00.006 names another known version (then that
    /// version's table is used for the rest of the envoi).
    pub norm: &'static Norm,
    /// Check values against the norm (type, length, enum); charset and syntax are always checked.
    pub check_values: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            norm: &norm::P26V01,
            check_values: true,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Open {
    block: BlockId,
    last: u16,
    node: NodeId,
}

#[derive(Debug, Default)]
struct EnvoiState {
    start: u64,
    last_line: u64,
    declarations: u64,
    total_lines: Option<(u64, String)>,
    total_decls: Option<(u64, String)>,
    closed: bool,
}

#[derive(Debug, Default)]
struct LotState {
    active: bool,
    number: String,
    group_envois: u64,
}

/// Counters kept while reading.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Stats {
    pub lines: u64,
    pub bytes: u64,
    pub items: u64,
    pub errors: u64,
    pub warnings: u64,
    pub envois: u64,
    pub declarations: u64,
}

/// The streaming reader. Use [`Reader::next_event`] in a `while let` loop.
pub struct Reader<R> {
    src: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    eof: bool,
    finished: bool,
    opts: Options,
    /// The norm of the current envoi (S10.G00.00.006), else `opts.norm`.
    norm: &'static Norm,
    encoding: Option<Encoding>,
    pending: VecDeque<Diagnostic>,
    stack: Vec<Open>,
    next_node: NodeId,
    envoi: Option<EnvoiState>,
    lot: LotState,
    stats: Stats,
    io_error: Option<std::io::Error>,
    /// Where the next rubric's spec probably is (see `Norm::rubric_index`).
    spec_hint: usize,
}

impl<R: Read> Reader<R> {
    /// A reader checking against norm P26V01.
    pub fn new(src: R) -> Self {
        Self::with_options(src, Options::default())
    }

    pub fn with_options(src: R, opts: Options) -> Self {
        Self {
            src,
            buf: vec![0u8; BUF_SIZE].into_boxed_slice(),
            start: 0,
            end: 0,
            eof: false,
            finished: false,
            opts,
            norm: opts.norm,
            encoding: None,
            pending: VecDeque::new(),
            stack: Vec::with_capacity(16),
            next_node: 0,
            envoi: None,
            lot: LotState::default(),
            stats: Stats::default(),
            io_error: None,
            spec_hint: 0,
        }
    }

    /// The norm table the current envoi is read against.
    pub fn norm(&self) -> &'static Norm {
        self.norm
    }

    /// Counters so far (complete once `next_event` returned `None`).
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The I/O error that ended the reading early, if any.
    pub fn io_error(&self) -> Option<&std::io::Error> {
        self.io_error.as_ref()
    }

    /// Takes the I/O error that ended the reading early, if any.
    pub fn take_io_error(&mut self) -> Option<std::io::Error> {
        self.io_error.take()
    }

    fn diag(&mut self, line: u64, rubric: Option<RubricId>, kind: DiagKind) {
        let severity = kind.severity();
        match severity {
            Severity::Error => self.stats.errors += 1,
            Severity::Warning => self.stats.warnings += 1,
        }
        self.pending.push_back(Diagnostic {
            line,
            rubric,
            severity,
            kind,
        });
    }

    /// Finds the next line; returns its range in `buf` (without line end) and its length with
    /// the line end, or `None` at end of input.
    fn next_line(&mut self) -> Option<(usize, usize, usize)> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let s = self.start;
                let nl = s + i;
                self.start = nl + 1;
                let e = if nl > s && self.buf[nl - 1] == b'\r' {
                    nl - 1
                } else {
                    nl
                };
                return Some((s, e, nl + 1 - s));
            }
            if self.eof {
                if self.start < self.end {
                    let s = self.start;
                    self.start = self.end;
                    let e = if self.buf[self.end - 1] == b'\r' {
                        self.end - 1
                    } else {
                        self.end
                    };
                    return Some((s, e, self.end - s));
                }
                return None;
            }
            if self.start == 0 && self.end == self.buf.len() {
                // A "line" of a whole megabyte: report it once and skip to its end.
                self.stats.lines += 1;
                self.stats.bytes += self.end as u64;
                let line = self.stats.lines;
                self.diag(line, None, DiagKind::LineTooLong { chars: self.end });
                self.end = 0;
                self.skip_rest_of_line();
                continue;
            }
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            self.fill();
        }
    }

    fn fill(&mut self) {
        while self.end < self.buf.len() {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return;
                }
                Ok(n) => {
                    self.end += n;
                    return;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.io_error = Some(e);
                    self.eof = true;
                    return;
                }
            }
        }
    }

    fn skip_rest_of_line(&mut self) {
        loop {
            self.start = 0;
            self.end = 0;
            self.fill();
            if let Some(i) = memchr::memchr(b'\n', &self.buf[..self.end]) {
                self.stats.bytes += (i + 1) as u64;
                self.start = i + 1;
                return;
            }
            self.stats.bytes += self.end as u64;
            if self.eof {
                self.end = 0;
                return;
            }
        }
    }

    /// The next item or diagnostic; `None` at the end.
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        loop {
            if let Some(d) = self.pending.pop_front() {
                return Some(Event::Diagnostic(d));
            }
            if self.finished {
                return None;
            }
            let Some((s, e, len_with_end)) = self.next_line() else {
                self.finish();
                continue;
            };
            self.stats.lines += 1;
            self.stats.bytes += len_with_end as u64;
            let line_no = self.stats.lines;
            let mut s = s;
            if line_no == 1 && self.buf[s..e].starts_with(&[0xEF, 0xBB, 0xBF]) {
                s += 3;
                self.set_utf8(line_no);
            }
            if let Some(placed) = self.process(s, e, len_with_end, line_no) {
                self.stats.items += 1;
                let spec = placed.spec;
                let (rubric, vs, ve) = (placed.rubric, placed.vs, placed.ve);
                return Some(Event::Item(Item {
                    line: line_no,
                    rubric,
                    raw: &self.buf[vs..ve],
                    encoding: self.encoding.unwrap_or(Encoding::Latin1),
                    spec,
                    node: placed.node,
                    parent: placed.parent,
                    starts_block: placed.starts,
                }));
            }
        }
    }

    fn set_utf8(&mut self, line: u64) {
        if self.encoding.is_none() {
            self.encoding = Some(Encoding::Utf8);
            self.diag(line, None, DiagKind::Utf8Input);
        }
    }

    fn process(&mut self, s: usize, e: usize, len_with_end: usize, line_no: u64) -> Option<Placed> {
        let tok = match tokenize(&self.buf[s..e]) {
            Ok(t) => t,
            Err(err) => {
                if len_with_end > MAX_LINE_CHARS && self.buf[s..e].is_ascii() {
                    self.diag(
                        line_no,
                        None,
                        DiagKind::LineTooLong {
                            chars: len_with_end,
                        },
                    );
                }
                self.diag(line_no, None, DiagKind::Syntax(err));
                return None;
            }
        };
        let rubric = tok.rubric;
        let vs = s + 16;
        let ve = vs + tok.value.len();
        // Encoding: decided on the first non-ASCII value.
        let value_ascii = self.buf[vs..ve].is_ascii();
        if !value_ascii && self.encoding.is_none() {
            // ISO-8859-1 is the norm's encoding: read as UTF-8 only when the bytes are valid
            // UTF-8 *and* not a valid Latin-1 value (`Ç°` = C7 B0 is both; UTF-8 `é` = C3 A9 reads
            // `Ã©` in Latin-1, and © is forbidden, so it is UTF-8).
            let latin1_ok = self.buf[vs..ve]
                .iter()
                .all(|&b| charset::is_allowed_latin1(b));
            if !latin1_ok && std::str::from_utf8(&self.buf[vs..ve]).is_ok() {
                self.set_utf8(line_no);
            } else {
                self.encoding = Some(Encoding::Latin1);
            }
        }
        let utf8 = self.encoding == Some(Encoding::Utf8);
        // Line length in characters, line end included.
        let chars = if utf8 && !value_ascii {
            match std::str::from_utf8(&self.buf[vs..ve]) {
                Ok(v) => len_with_end - (ve - vs) + v.chars().count(),
                Err(_) => {
                    self.diag(line_no, Some(rubric), DiagKind::InvalidUtf8);
                    len_with_end
                }
            }
        } else {
            len_with_end
        };
        if chars > MAX_LINE_CHARS {
            self.diag(line_no, Some(rubric), DiagKind::LineTooLong { chars });
        }
        let value_chars = self.check_charset(vs, ve, utf8 && !value_ascii, line_no, rubric);
        let spec = self.check_norm(rubric, vs, ve, value_chars, line_no);
        let placed = self.place(rubric, line_no);
        self.track(rubric, vs, ve, line_no, placed.starts);
        Some(Placed {
            rubric,
            vs,
            ve,
            spec,
            ..placed
        })
    }

    /// Checks the character set; returns the value length in characters.
    fn check_charset(
        &mut self,
        vs: usize,
        ve: usize,
        utf8: bool,
        line: u64,
        rubric: RubricId,
    ) -> usize {
        if vs == ve {
            self.diag(line, Some(rubric), DiagKind::EmptyValue);
            return 0;
        }
        if utf8 {
            let text = String::from_utf8_lossy(&self.buf[vs..ve]).into_owned();
            let mut validating = false;
            let mut n = 0;
            let mut bad = None;
            for (i, c) in text.chars().enumerate() {
                n += 1;
                validating |= charset::is_validating(c);
                if bad.is_none() && !charset::is_allowed(c) {
                    bad = Some(DiagKind::ForbiddenChar {
                        ch: c,
                        position: i + 1,
                    });
                }
            }
            if let Some(k) = bad {
                self.diag(line, Some(rubric), k);
            } else if !validating {
                self.diag(line, Some(rubric), DiagKind::NoValidatingChar);
            }
            return n;
        }
        let v = &self.buf[vs..ve];
        // One table lookup per byte, no branch: the slow path finds the culprit.
        let (mut min, mut any) = (2u8, 0u8);
        for &b in v {
            let c = charset::latin1_class(b);
            min = min.min(c);
            any |= c;
        }
        let validating = any & 2 != 0;
        let bad = (min == 0)
            .then(|| v.iter().position(|&b| !charset::is_allowed_latin1(b)))
            .flatten()
            .map(|i| DiagKind::ForbiddenChar {
                ch: char::from(v[i]),
                position: i + 1,
            });
        let len = v.len();
        if let Some(k) = bad {
            self.diag(line, Some(rubric), k);
        } else if !validating {
            self.diag(line, Some(rubric), DiagKind::NoValidatingChar);
        }
        len
    }

    fn check_norm(
        &mut self,
        rubric: RubricId,
        vs: usize,
        ve: usize,
        chars: usize,
        line: u64,
    ) -> Option<&'static RubricSpec> {
        if rubric == NORM_VERSION {
            // The table of the envoi's own version: P25V01 and P26V01 files arrive side by side.
            match norm::by_version(&self.buf[vs..ve]) {
                Some(n) => {
                    if !std::ptr::eq(n, self.norm) {
                        self.norm = n;
                        self.spec_hint = 0;
                    }
                }
                None => {
                    let found = self.buf[vs..ve].iter().map(|&b| char::from(b)).collect();
                    self.diag(
                        line,
                        Some(rubric),
                        DiagKind::UnknownNormVersion {
                            found,
                            used: self.norm.version,
                        },
                    );
                }
            }
            return norm::lookup(self.norm, rubric);
        }
        let spec = if rubric.block().group() == 51 {
            norm::lookup(self.norm, rubric)
        } else {
            let found = self.norm.rubric_index(rubric, self.spec_hint);
            if let Some(i) = found {
                self.spec_hint = i + 1;
            }
            found.map(|i| &self.norm.rubrics[i])
        };
        let Some(spec) = spec else {
            if !(self.lot.active && is_restitution_rubric(rubric)) {
                self.diag(
                    line,
                    Some(rubric),
                    DiagKind::UnknownRubric {
                        norm: self.norm.version,
                    },
                );
            }
            return None;
        };
        if self.opts.check_values
            && vs < ve
            && let Err(e) = norm::check_value(spec, &self.buf[vs..ve], chars)
        {
            self.diag(line, Some(rubric), DiagKind::Value(e));
        }
        Some(spec)
    }

    /// Places the line in the block hierarchy.
    fn place(&mut self, rubric: RubricId, line: u64) -> Placed {
        let block = rubric.block();
        let number = rubric.number();
        if let Some(pos) = self.stack.iter().rposition(|o| o.block == block) {
            if number > self.stack[pos].last {
                self.stack.truncate(pos + 1);
                self.stack[pos].last = number;
                let o = self.stack[pos];
                let parent = pos.checked_sub(1).map(|p| self.stack[p].node);
                return Placed::new(o.node, parent, false);
            }
            self.stack.truncate(pos);
            return self.push(block, number);
        }
        let known = norm::lookup_block(self.norm, block);
        let parent = match known {
            Some(spec) => spec.parent,
            None => restitution_parent(block),
        };
        // An envoi inside a lot hangs under its group.
        let parent = if block == ENVOI && self.stack.iter().any(|o| o.block == GROUP) {
            Some(GROUP)
        } else {
            parent
        };
        match parent {
            Some(p) => {
                if let Some(pos) = self.stack.iter().rposition(|o| o.block == p) {
                    self.stack.truncate(pos + 1);
                } else if !self.stack.is_empty() {
                    self.diag(
                        line,
                        Some(rubric),
                        DiagKind::OrphanBlock { block, parent: p },
                    );
                }
            }
            None if known.is_some() => self.stack.clear(),
            // A block unknown to the norm (its rubric is already reported): keep the context and
            // hang it under the current block, so the following lines are not misplaced.
            None => {}
        }
        self.push(block, number)
    }

    fn push(&mut self, block: BlockId, number: u16) -> Placed {
        self.next_node = self.next_node.wrapping_add(1);
        let parent = self.stack.last().map(|o| o.node);
        self.stack.push(Open {
            block,
            last: number,
            node: self.next_node,
        });
        Placed::new(self.next_node, parent, true)
    }

    /// Envoi totals and lot envelope bookkeeping.
    fn track(&mut self, rubric: RubricId, vs: usize, ve: usize, line: u64, starts: bool) {
        let block = rubric.block();
        if let Some(env) = self.envoi.as_mut()
            && !env.closed
        {
            env.last_line = line;
        }
        if starts {
            match block {
                ENVOI => {
                    self.close_envoi();
                    // Until this envoi's S10.G00.00.006, the default table.
                    self.norm = self.opts.norm;
                    self.stats.envois += 1;
                    self.lot.group_envois += 1;
                    self.envoi = Some(EnvoiState {
                        start: line,
                        last_line: line,
                        ..EnvoiState::default()
                    });
                }
                DECLARATION => {
                    self.stats.declarations += 1;
                    if let Some(env) = self.envoi.as_mut() {
                        env.declarations += 1;
                    }
                }
                LOT => {
                    self.close_envoi();
                    self.lot = LotState {
                        active: true,
                        ..LotState::default()
                    };
                }
                GROUP => {
                    self.close_envoi();
                    self.lot.group_envois = 0;
                }
                GROUP_END | LOT_END => self.close_envoi(),
                _ => {}
            }
        }
        let text = || {
            self.buf[vs..ve]
                .iter()
                .map(|&b| char::from(b))
                .collect::<String>()
        };
        match rubric {
            TOTAL_LINES => {
                let v = text();
                if let Some(env) = self.envoi.as_mut() {
                    env.total_lines = Some((line, v));
                }
            }
            TOTAL_DECLS => {
                let v = text();
                if let Some(env) = self.envoi.as_mut() {
                    env.total_decls = Some((line, v));
                }
                self.close_envoi();
            }
            LOT_NUMBER => self.lot.number = text(),
            GROUP_DSN_COUNT => {
                let v = text();
                let counted = self.lot.group_envois;
                if v.parse::<u64>().ok() != Some(counted) {
                    self.diag(
                        line,
                        Some(rubric),
                        DiagKind::EnvelopeCount {
                            what: "DSN in the group (S96.G51.00.002)",
                            declared: v,
                            counted,
                        },
                    );
                }
            }
            LOT_NUMBER_REMINDER => {
                let v = text();
                if v != self.lot.number {
                    let declared = v;
                    self.diag(
                        line,
                        Some(rubric),
                        DiagKind::EnvelopeCount {
                            what: "lot number reminder (S95.G51.00.001 vs S05.G51.00.002)",
                            declared,
                            counted: 0,
                        },
                    );
                }
            }
            // S05.G51.00.006 / S95.G51.00.002 ("nombre de groupes") are not checked: the
            // open-neodes restitution sample declares 3 for 4 S06 groups (3 of them empty), so
            // their exact meaning is unverified.
            LOT_GROUP_COUNT => self.close_lot(),
            _ => {}
        }
    }

    fn close_envoi(&mut self) {
        let Some(env) = self.envoi.as_mut() else {
            return;
        };
        if env.closed {
            return;
        }
        env.closed = true;
        let (start, last) = (env.start, env.last_line);
        let declarations = env.declarations;
        let total_lines = env.total_lines.take();
        let total_decls = env.total_decls.take();
        match total_lines {
            None => self.diag(last, None, DiagKind::MissingTotal { start }),
            Some((line, declared)) => {
                let counted = last - start + 1;
                if declared.parse::<u64>().ok() != Some(counted) {
                    self.diag(
                        line,
                        Some(TOTAL_LINES),
                        DiagKind::TotalLines { declared, counted },
                    );
                }
            }
        }
        if let Some((line, declared)) = total_decls
            && declared.parse::<u64>().ok() != Some(declarations)
        {
            self.diag(
                line,
                Some(TOTAL_DECLS),
                DiagKind::DeclarationCount {
                    declared,
                    counted: declarations,
                },
            );
        }
    }

    fn close_lot(&mut self) {
        self.lot.active = false;
    }

    fn finish(&mut self) {
        self.close_envoi();
        self.close_lot();
        self.finished = true;
    }
}

struct Placed {
    rubric: RubricId,
    vs: usize,
    ve: usize,
    spec: Option<&'static RubricSpec>,
    node: NodeId,
    parent: Option<NodeId>,
    starts: bool,
}

impl Placed {
    fn new(node: NodeId, parent: Option<NodeId>, starts: bool) -> Self {
        Self {
            rubric: NO_RUBRIC,
            vs: 0,
            ve: 0,
            spec: None,
            node,
            parent,
            starts,
        }
    }
}

/// Rubrics net-entreprises adds when it restitutes DSN to organisms inside a lot (domain.md §1.5):
/// deposit metadata `S10.G00.95.*`, `S20.G00.96.*`, and numbers ≥ 900 (`S21.G00.06.903`, ...).
fn is_restitution_rubric(r: RubricId) -> bool {
    let b = r.block();
    b == DEPOSIT || b == DECLARATION_EXTRA || r.number() >= 900
}

fn restitution_parent(b: BlockId) -> Option<BlockId> {
    match b {
        DEPOSIT => Some(ENVOI),
        DECLARATION_EXTRA => Some(DECLARATION),
        _ => None,
    }
}

/// A read item with owned value (tests, small files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedItem {
    pub line: u64,
    pub rubric: RubricId,
    pub value: String,
    pub node: NodeId,
    pub parent: Option<NodeId>,
    pub starts_block: bool,
}

/// Reads a whole input into owned items and diagnostics (convenience for small inputs and tests).
pub fn read_all<R: Read>(src: R, opts: Options) -> (Vec<OwnedItem>, Vec<Diagnostic>, Stats) {
    let mut r = Reader::with_options(src, opts);
    let mut items = Vec::new();
    let mut diags = Vec::new();
    while let Some(ev) = r.next_event() {
        match ev {
            Event::Item(i) => items.push(OwnedItem {
                line: i.line,
                rubric: i.rubric,
                value: i.value().into_owned(),
                node: i.node,
                parent: i.parent,
                starts_block: i.starts_block,
            }),
            Event::Diagnostic(d) => diags.push(d),
        }
    }
    (items, diags, r.stats())
}
