//! HR CSV exports → records of canonical fields.
//!
//! Legacy HR tools export whatever their version does: `;` or `,` separators, UTF-8 with or
//! without BOM or Windows-1252, decimal commas, their own column titles. We sniff what can be
//! sniffed, let the configuration say the rest (encoding and a column mapping per client), and
//! report problems per row so that one bad row never blocks the others.

use encoding_rs::WINDOWS_1252;
use std::collections::{BTreeMap, VecDeque};
use std::io::{Read, Write};
use std::ops::Range;

use crate::model::stoppage::normalise_word;
use crate::model::validate::{FieldError, Location, Record, excerpt, is_field};

/// How to decode the bytes of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CsvEncoding {
    /// UTF-8 (BOM allowed); a file that is not valid UTF-8 is rejected whole.
    #[default]
    Auto,
    #[serde(alias = "utf8", alias = "utf-8")]
    Utf8,
    /// Declared by the client: a file that is not valid UTF-8 is read as Windows-1252.
    // The spellings the documentation and conf/ijgate.toml use are accepted too.
    #[serde(alias = "cp1252", alias = "windows-1252")]
    Windows1252,
    #[serde(alias = "latin1", alias = "iso8859-1", alias = "iso-8859-1")]
    Iso88591,
}

/// Per-sender reading options.
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    pub encoding: CsvEncoding,
    /// The sender's column title (normalised) → canonical field name.
    pub columns: BTreeMap<String, String>,
}

/// Records read from one input, plus problems that concern the whole input.
#[derive(Debug, Default)]
pub struct Parsed {
    pub records: Vec<Record>,
    pub file_errors: Vec<FieldError>,
    /// The detected encoding, for the log.
    pub encoding: &'static str,
}

fn file_error(line: Option<u64>, field: &str, reason: impl Into<String>) -> FieldError {
    FieldError {
        location: Location { line, item: None },
        field: field.into(),
        value: None,
        reason: reason.into(),
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Counts physical lines as bytes go past: `\r\n`, `\n` and a lone `\r` each end one line (a
/// BOM is not a line). A `\r` at the end of one piece is settled by the next piece's first
/// byte, so a file fed in pieces of any size counts exactly as the file fed whole.
#[derive(Debug, Clone, Copy)]
struct LineCount {
    /// 1 + the lines ended by the bytes fed, not counting a trailing `\r`.
    line: u64,
    /// The last byte fed was `\r`: it ends a line unless the next byte is `\n`.
    pending_cr: bool,
}

impl LineCount {
    fn new() -> Self {
        LineCount {
            line: 1,
            pending_cr: false,
        }
    }

    fn feed(&mut self, piece: &[u8]) {
        for &b in piece {
            if self.pending_cr && b != b'\n' {
                self.line += 1;
            }
            self.pending_cr = b == b'\r';
            if b == b'\n' {
                self.line += 1;
            }
        }
    }

    /// The line of the next byte, for a next byte that is not `\n`.
    fn next_line(&self) -> u64 {
        self.line + u64::from(self.pending_cr)
    }
}

/// The 1-based physical line of byte `off` of `bytes`.
pub fn line_of(bytes: &[u8], off: usize) -> u64 {
    let off = off.min(bytes.len());
    let mut c = LineCount::new();
    c.feed(&bytes[..off]);
    c.line + u64::from(c.pending_cr && bytes.get(off) != Some(&b'\n'))
}

/// The encoding a file is read with, decided once per file by a [`Sniffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Windows1252,
}

impl Charset {
    /// For the log.
    pub fn name(self) -> &'static str {
        match self {
            Charset::Utf8 => "utf-8",
            Charset::Windows1252 => "windows-1252",
        }
    }
}

/// Strict UTF-8 first pass: valid UTF-8 (BOM or not) is UTF-8, whatever the client declared,
/// because Windows-1252 text almost never forms valid multi-byte UTF-8 and decoding UTF-8 as
/// 1252 silently turns `MÜLLER` into `MÃœLLER`. Otherwise Windows-1252 only when the client
/// declared it (or Latin-1, read as its superset 1252) and the file holds no UTF-8 multi-byte
/// sequence at all; a file mixing both, or undeclared, is refused whole at its first bad line.
///
/// Fed the file in pieces of any size (the spool streams large files through it without
/// holding them, issue 17): a multi-byte sequence cut between two pieces is carried over.
pub struct Sniffer {
    declared: CsvEncoding,
    /// The first bytes, until there are enough to tell whether the file starts with a BOM.
    head: Vec<u8>,
    started: bool,
    bom: bool,
    /// Offset of the next byte fed.
    fed: u64,
    /// The start of a UTF-8 sequence cut by the end of the last piece, and its offset.
    carry: Vec<u8>,
    carry_at: u64,
    /// The first byte that is not UTF-8: offset, value, physical line.
    bad: Option<(u64, u8, u64)>,
    /// Some valid non-ASCII UTF-8 sequence was seen (outside the BOM).
    multibyte: bool,
    lines: LineCount,
}

impl Sniffer {
    pub fn new(declared: CsvEncoding) -> Sniffer {
        Sniffer {
            declared,
            head: Vec::new(),
            started: false,
            bom: false,
            fed: 0,
            carry: Vec::new(),
            carry_at: 0,
            bad: None,
            multibyte: false,
            lines: LineCount::new(),
        }
    }

    /// The next piece of the file.
    pub fn feed(&mut self, piece: &[u8]) {
        if self.started {
            self.scan(piece, 0);
            return;
        }
        self.head.extend_from_slice(piece);
        if self.head.len() >= BOM.len() {
            self.start();
        }
    }

    fn start(&mut self) {
        self.started = true;
        let head = std::mem::take(&mut self.head);
        self.bom = head.starts_with(BOM);
        let skip = if self.bom { BOM.len() } else { 0 };
        self.scan(&head, skip);
    }

    /// Scans `piece`, which continues the file; its first `skip` bytes (a BOM) are not text.
    fn scan(&mut self, piece: &[u8], skip: usize) {
        let piece_at = self.fed;
        let base = if self.carry.is_empty() {
            piece_at + skip as u64
        } else {
            self.carry_at
        };
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(&piece[skip..]);
        let mut i = 0;
        let mut first_bad = None;
        loop {
            match std::str::from_utf8(&buf[i..]) {
                Ok(s) => {
                    self.multibyte |= !s.is_ascii();
                    i = buf.len();
                    break;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    self.multibyte |= !buf[i..i + valid].is_ascii();
                    match e.error_len() {
                        // Cut by the end of the piece: wait for the next one.
                        None => {
                            i += valid;
                            break;
                        }
                        Some(n) => {
                            first_bad.get_or_insert(i + valid);
                            i += valid + n;
                        }
                    }
                }
            }
        }
        if self.bad.is_none()
            && let Some(at) = first_bad
        {
            let abs = base + at as u64;
            // A byte that is not UTF-8 is never `\n`, so `next_line` is its line; bytes carried
            // from the last piece are no line ends either.
            let line = match abs.checked_sub(piece_at) {
                Some(k) => {
                    let mut c = self.lines;
                    c.feed(&piece[..k as usize]);
                    c.next_line()
                }
                None => self.lines.next_line(),
            };
            self.bad = Some((abs, buf[at], line));
        }
        self.lines.feed(piece);
        self.fed += piece.len() as u64;
        self.carry_at = base + i as u64;
        self.carry = buf.split_off(i);
    }

    /// The file's encoding, or the error that refuses it whole.
    pub fn finish(mut self) -> Result<Charset, FieldError> {
        if !self.started {
            self.start();
        }
        if self.bad.is_none() && !self.carry.is_empty() {
            // A multi-byte sequence cut by the end of the file.
            self.bad = Some((self.carry_at, self.carry[0], self.lines.next_line()));
        }
        let Some((_, byte, line)) = self.bad else {
            return Ok(Charset::Utf8);
        };
        let declared_8bit = matches!(
            self.declared,
            CsvEncoding::Windows1252 | CsvEncoding::Iso88591
        );
        let reason = if declared_8bit && !self.multibyte && !self.bom {
            return Ok(Charset::Windows1252);
        } else if declared_8bit {
            format!(
                "mixes encodings: this line is not valid UTF-8 (byte 0x{byte:02X}) while other lines are UTF-8; \
                 the whole file is refused so that no name is decoded wrongly: save it as UTF-8 and drop it again"
            )
        } else {
            format!(
                "is not valid UTF-8 (byte 0x{byte:02X}); the whole file is refused: save it as UTF-8, \
                 or declare encoding = \"windows-1252\" for this client if its exports are Windows-1252"
            )
        };
        Err(file_error(Some(line), "encoding", reason))
    }
}

/// The encoding of a whole file held in memory.
fn detect(bytes: &[u8], declared: CsvEncoding) -> Result<Charset, FieldError> {
    let mut s = Sniffer::new(declared);
    s.feed(bytes);
    s.finish()
}

/// Decodes one field with the file's encoding.
fn decode_field(raw: &[u8], cs: Charset) -> String {
    match cs {
        // Validated as a whole file above; lossy only as a panic-free fallback.
        Charset::Utf8 => String::from_utf8_lossy(raw).into_owned(),
        Charset::Windows1252 => WINDOWS_1252.decode_without_bom_handling(raw).0.into_owned(),
    }
}

/// Picks the delimiter from the header line: the most frequent of `;`, `,` and tab outside quotes.
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let header = bytes
        .split(|&b| b == b'\n' || b == b'\r')
        .next()
        .unwrap_or(b"");
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut in_quotes = false;
    for &b in header {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            for c in counts.iter_mut() {
                if c.0 == b {
                    c.1 += 1;
                }
            }
        }
    }
    counts
        .iter()
        .max_by_key(|c| c.1)
        .filter(|c| c.1 > 0)
        .map_or(b';', |c| c.0)
}

/// Maps a column title to a canonical field: the client's mapping first, then the canonical
/// names themselves (case, accents and separators folded).
fn map_column(title: &str, opts: &CsvOptions) -> Option<String> {
    let n = normalise_word(title);
    if let Some(f) = opts.columns.get(&n) {
        return Some(f.clone());
    }
    is_field(&n).then_some(n)
}

/// One record as the file has it: its first physical line, the byte offsets the CSV reader
/// read it between (see [`record_span`] for its exact bytes) and its fields, still undecoded.
#[derive(Debug)]
pub struct RawRecord {
    pub line: u64,
    pub start: u64,
    pub end: u64,
    pub fields: csv::ByteRecord,
}

/// Why the next record could not be read.
#[derive(Debug)]
pub enum RawError {
    /// The CSV itself, at a physical line: reported against the file.
    Csv(u64, String),
    /// Reading the source failed (a disk error): the file is not answered, it is taken again.
    Io(std::io::Error),
}

/// One run of `\r`/`\n` bytes: `start..end` and the lines it ends.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: u64,
    end: u64,
    breaks: u64,
}

/// A `Read` that notes the runs of line terminators going through it, so that the physical
/// line of a record is known when the `csv` reader (which reads ahead) returns it. Only the
/// runs between the last record returned and the read-ahead are kept.
struct Tracked<R> {
    inner: R,
    /// Offset of the next byte read.
    pos: u64,
    runs: VecDeque<Run>,
    open: Option<Run>,
    /// The open run ends with `\r`: a line end unless the next byte is `\n`.
    pending_cr: bool,
    /// The line of the first byte after the runs taken off `runs`.
    line: u64,
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.close_run();
        }
        for (k, &b) in buf[..n].iter().enumerate() {
            if b == b'\r' || b == b'\n' {
                let at = self.pos + k as u64;
                let pending = self.pending_cr;
                let run = self.open.get_or_insert(Run {
                    start: at,
                    end: at,
                    breaks: 0,
                });
                run.breaks += u64::from(pending && b != b'\n') + u64::from(b == b'\n');
                run.end = at + 1;
                self.pending_cr = b == b'\r';
            } else if self.open.is_some() {
                self.close_run();
            }
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R> Tracked<R> {
    fn close_run(&mut self) {
        if let Some(mut r) = self.open.take() {
            r.breaks += u64::from(self.pending_cr);
            self.pending_cr = false;
            self.runs.push_back(r);
        }
    }

    /// The physical line of a record the CSV reader read from `before`: its first byte is the
    /// first one at or after `before` that is not a line terminator.
    fn record_line(&mut self, before: u64) -> u64 {
        while let Some(r) = self.runs.front().copied() {
            if r.start > before {
                break;
            }
            // Wholly before the record, or the terminators it starts after.
            self.line += r.breaks;
            self.runs.pop_front();
            if r.end > before {
                break;
            }
        }
        self.line
    }

    /// The physical line of byte `at` (for a CSV error), approximately inside a run.
    fn line_at(&mut self, at: u64) -> u64 {
        while let Some(r) = self.runs.front().copied() {
            if r.end > at {
                break;
            }
            self.line += r.breaks;
            self.runs.pop_front();
        }
        self.line
    }
}

/// Bytes read ahead to find the BOM and the header's delimiter.
const HEAD: usize = 64 * 1024;

type Source<R> = Tracked<std::io::Chain<std::io::Cursor<Vec<u8>>, R>>;

/// Splits a CSV source into records with their physical lines and byte offsets, reading it
/// in order without holding it (a `&[u8]` or a file).
///
/// The `csv` crate counts lines by `\n` and leaves a CRLF's `\n` to the next record, so its
/// `Position::line()` is one too low on CRLF files and blind to CR-only files (issue 17).
/// We take its byte positions only and count lines ourselves.
pub struct RawReader<R: Read> {
    rdr: csv::Reader<Source<R>>,
    base: u64,
}

impl<R: Read> RawReader<R> {
    pub fn new(mut src: R) -> std::io::Result<Self> {
        let mut head = Vec::with_capacity(HEAD);
        (&mut src).take(HEAD as u64).read_to_end(&mut head)?;
        let base = if head.starts_with(BOM) { BOM.len() } else { 0 };
        let delimiter = sniff_delimiter(&head[base..]);
        let body = head.split_off(base);
        let tracked = Tracked {
            inner: std::io::Cursor::new(body).chain(src),
            pos: base as u64,
            runs: VecDeque::new(),
            open: None,
            pending_cr: false,
            line: 1,
        };
        let rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(false)
            .buffer_capacity(HEAD)
            .from_reader(tracked);
        Ok(RawReader {
            rdr,
            base: base as u64,
        })
    }

    /// The next record; `None` at the end.
    pub fn next_record(&mut self) -> Option<Result<RawRecord, RawError>> {
        let mut rec = csv::ByteRecord::new();
        let before = self.base + self.rdr.position().byte();
        match self.rdr.read_byte_record(&mut rec) {
            Ok(false) => None,
            Ok(true) => {
                let end = self.base + self.rdr.position().byte();
                let line = self.rdr.get_mut().record_line(before);
                Some(Ok(RawRecord {
                    line,
                    start: before,
                    end,
                    fields: rec,
                }))
            }
            Err(e) => {
                let at = e.position().map_or(before, |p| self.base + p.byte());
                let line = self.rdr.get_mut().line_at(at);
                if e.is_io_error() {
                    if let csv::ErrorKind::Io(io) = e.into_kind() {
                        return Some(Err(RawError::Io(io)));
                    }
                    return Some(Err(RawError::Io(std::io::Error::other("CSV source"))));
                }
                Some(Err(RawError::Csv(line, e.to_string())))
            }
        }
    }
}

/// The exact bytes of a record the CSV reader read between `before` and `after`, as a range of
/// `b` (which starts at `before` and holds at least two bytes past `after` when the file has
/// them): terminators left over from the previous record skipped, one terminator of its own
/// included.
pub fn record_span(b: &[u8], before: usize, after: usize) -> Range<usize> {
    let after = after.clamp(before.min(b.len()), b.len());
    let mut start = before.min(after);
    while start < after && matches!(b[start], b'\r' | b'\n') {
        start += 1;
    }
    let mut end = after;
    while end > start && matches!(b[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    if b[end..].starts_with(b"\r\n") {
        end += 2;
    } else if matches!(b.get(end), Some(b'\r' | b'\n')) {
        end += 1;
    }
    start..end
}

/// Writes the header and the records on `lines` of a CSV source, as their original bytes
/// (encoding, separators and line endings untouched), for `rejected/<name>`: the HR clerk
/// fixes exactly the rows that failed and drops them again. `src` is read in order;
/// `fetch(offset, len)` returns the source's bytes at `offset` (fewer at its end), for the
/// records kept only.
pub fn extract_records<R: Read, W: Write + ?Sized>(
    src: R,
    mut fetch: impl FnMut(u64, usize) -> std::io::Result<Vec<u8>>,
    lines: &std::collections::HashSet<u64>,
    out: &mut W,
) -> std::io::Result<()> {
    let mut tail = None;
    // A BOM stays: it tells Excel the extract is UTF-8, as it told it for the original.
    if fetch(0, BOM.len())?.starts_with(BOM) {
        out.write_all(BOM)?;
        tail = BOM.last().copied();
    }
    let mut r = RawReader::new(src)?;
    let mut first = true;
    while let Some(rec) = r.next_record() {
        let rec = match rec {
            Ok(rec) => rec,
            Err(RawError::Io(e)) => return Err(e),
            Err(RawError::Csv(..)) => break,
        };
        if first || lines.contains(&rec.line) {
            let len = usize::try_from(rec.end - rec.start).unwrap_or(usize::MAX);
            let buf = fetch(rec.start, len.saturating_add(2))?;
            let bytes = &buf[record_span(&buf, 0, len)];
            out.write_all(bytes)?;
            tail = bytes.last().copied().or(tail);
            // The last record may lack a terminator; keep the extract well-formed.
            if !matches!(tail, Some(b'\n' | b'\r')) {
                out.write_all(b"\n")?;
                tail = Some(b'\n');
            }
        }
        first = false;
    }
    Ok(())
}

/// [`extract_records`] of a file held in memory.
pub fn extract_lines(bytes: &[u8], lines: &std::collections::HashSet<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    let fetch = |at: u64, len: usize| {
        let at = usize::try_from(at).unwrap_or(usize::MAX).min(bytes.len());
        Ok(bytes[at..at.saturating_add(len).min(bytes.len())].to_vec())
    };
    // Reading and writing memory cannot fail.
    let _ = extract_records(bytes, fetch, lines, &mut out);
    out
}

/// HR records read one at a time from a CSV source whose encoding a [`Sniffer`] decided: the
/// spool journals a large file in bounded batches from this, never holding the file (issue
/// 17); [`read`] collects it for a file held in memory.
pub struct CsvStream<R: Read> {
    /// `None` once the header was refused or the CSV became unreadable.
    raw: Option<RawReader<R>>,
    cs: Charset,
    columns: Vec<Option<String>>,
    width: usize,
    /// Problems with the file as a whole, in reading order (header, ragged rows...), so far.
    pub file_errors: Vec<FieldError>,
}

impl<R: Read> CsvStream<R> {
    /// Reads the header. A header that does not fit is a file error and no record follows.
    pub fn new(src: R, cs: Charset, opts: &CsvOptions) -> std::io::Result<CsvStream<R>> {
        let mut s = CsvStream {
            raw: None,
            cs,
            columns: Vec::new(),
            width: 0,
            file_errors: Vec::new(),
        };
        let mut rdr = RawReader::new(src)?;
        let (header_line, headers): (u64, Vec<String>) = match rdr.next_record() {
            Some(Ok(h)) => (
                h.line,
                h.fields.iter().map(|f| decode_field(f, cs)).collect(),
            ),
            Some(Err(RawError::Io(e))) => return Err(e),
            Some(Err(RawError::Csv(line, e))) => {
                s.file_errors.push(file_error(
                    Some(line),
                    "header",
                    format!("unreadable header row: {e}"),
                ));
                return Ok(s);
            }
            None => (1, Vec::new()),
        };
        if headers.iter().all(|h| h.trim().is_empty()) {
            s.file_errors.push(file_error(
                Some(header_line),
                "header",
                "the file is empty or has no header row",
            ));
            return Ok(s);
        }
        let mut columns = Vec::with_capacity(headers.len());
        for (i, h) in headers.iter().enumerate() {
            match map_column(h, opts) {
                Some(f) => columns.push(Some(f)),
                None if h.trim().is_empty() => columns.push(None),
                None => {
                    // A file that is not the CSV it claims to be (or a symlink's target,
                    // before issue 17) must not come back whole in the report: a bounded
                    // excerpt only.
                    let shown = excerpt(h, 32);
                    s.file_errors.push(file_error(
                        Some(header_line),
                        &shown,
                        format!("column {} ({shown:?}) is not a known field and no mapping is configured for it", i + 1),
                    ));
                    columns.push(None);
                }
            }
            if s.file_errors.len() >= 10 {
                break; // not a header at all: ten complaints are enough
            }
        }
        for f in ["event", "hr_ref", "siret", "nir"] {
            if !columns.iter().flatten().any(|c| c == f) {
                s.file_errors.push(file_error(
                    Some(header_line),
                    f,
                    "required column is missing from the header",
                ));
            }
        }
        if s.file_errors.is_empty() {
            s.width = headers.len();
            s.columns = columns;
            s.raw = Some(rdr);
        }
        Ok(s)
    }

    /// The next record; `Ok(None)` at the end. Blank lines are skipped; a ragged or
    /// unreadable row becomes a file error (an unreadable one ends the file).
    pub fn next_record(&mut self) -> std::io::Result<Option<Record>> {
        let Some(raw) = self.raw.as_mut() else {
            return Ok(None);
        };
        while let Some(result) = raw.next_record() {
            let row = match result {
                Ok(row) => row,
                Err(RawError::Io(e)) => return Err(e),
                Err(RawError::Csv(line, e)) => {
                    self.file_errors.push(file_error(
                        Some(line),
                        "row",
                        format!("unreadable CSV row: {e}"),
                    ));
                    self.raw = None;
                    return Ok(None);
                }
            };
            let line = Some(row.line);
            if row
                .fields
                .iter()
                .all(|v| v.iter().all(|b| b.is_ascii_whitespace()))
            {
                continue; // trailing blank lines are common in exports
            }
            if row.fields.len() != self.width {
                self.file_errors.push(file_error(
                    line,
                    "row",
                    format!(
                        "has {} fields where the header has {}",
                        row.fields.len(),
                        self.width
                    ),
                ));
                continue;
            }
            let mut rec = Record {
                location: Location { line, item: None },
                fields: BTreeMap::new(),
            };
            for (col, value) in self.columns.iter().zip(row.fields.iter()) {
                if let Some(field) = col {
                    let value = decode_field(value, self.cs);
                    if !value.trim().is_empty() {
                        rec.fields.insert(field.clone(), value);
                    }
                }
            }
            return Ok(Some(rec));
        }
        self.raw = None;
        Ok(None)
    }
}

/// Reads a CSV file held in memory.
pub fn read(bytes: &[u8], opts: &CsvOptions) -> Parsed {
    let mut out = Parsed {
        encoding: "utf-8",
        ..Parsed::default()
    };
    let cs = match detect(bytes, opts.encoding) {
        Ok(cs) => cs,
        Err(e) => {
            out.file_errors.push(e);
            return out;
        }
    };
    out.encoding = cs.name();
    // Reading memory cannot fail.
    let Ok(mut s) = CsvStream::new(bytes, cs, opts) else {
        return out;
    };
    while let Ok(Some(rec)) = s.next_record() {
        out.records.push(rec);
    }
    out.file_errors = s.file_errors;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semicolon_utf8_bom() {
        let csv = "\u{feff}event;hr_ref;siret;nir;last_name\narret;A1;73282932000074;1850578006084;Éloïse\n\n";
        let p = read(csv.as_bytes(), &CsvOptions::default());
        assert!(p.file_errors.is_empty(), "{:?}", p.file_errors);
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.records[0].location.line, Some(2));
        assert_eq!(p.records[0].fields["last_name"], "Éloïse");
        assert_eq!(p.encoding, "utf-8");
    }

    fn declared(enc: CsvEncoding) -> CsvOptions {
        CsvOptions {
            encoding: enc,
            ..CsvOptions::default()
        }
    }

    #[test]
    fn comma_latin1() {
        let mut bytes =
            b"Event,HR_REF,SIRET,NIR,Last Name\narret,A1,73282932000074,1850578006084,".to_vec();
        bytes.extend_from_slice(&[b'H', 0xE9, b'l', 0xE8, b'n', b'e', b'\n']);
        for enc in [CsvEncoding::Windows1252, CsvEncoding::Iso88591] {
            let p = read(&bytes, &declared(enc));
            assert!(p.file_errors.is_empty(), "{:?}", p.file_errors);
            assert_eq!(p.records[0].fields["last_name"], "Hélène");
            assert_eq!(p.encoding, "windows-1252");
        }
        // Not declared: neither UTF-8 nor declared 8-bit → refused whole, at the bad line.
        for enc in [CsvEncoding::Auto, CsvEncoding::Utf8] {
            let p = read(&bytes, &declared(enc));
            assert!(p.records.is_empty());
            assert_eq!(p.file_errors.len(), 1, "{:?}", p.file_errors);
            assert_eq!(p.file_errors[0].field, "encoding");
            assert_eq!(p.file_errors[0].location.line, Some(2));
            assert!(
                p.file_errors[0].reason.contains("0xE9"),
                "{:?}",
                p.file_errors
            );
        }
    }

    /// Issue 17: a mostly UTF-8 file with one Latin-1 row was decoded whole as Windows-1252
    /// and `MÜLLER` reached the CPAM as `MÃœLLER`. Now the file is refused whole, naming the
    /// Latin-1 line, whatever the client declared; valid UTF-8 is never read as 1252.
    #[test]
    fn mixed_utf8_and_latin1_is_refused_at_the_latin1_line() {
        let mut bytes =
            "event;hr_ref;siret;nir;last_name\r\narret;A1;1;2;MÜLLER\r\narret;A2;1;2;Gaël\r\n"
                .as_bytes()
                .to_vec();
        bytes.extend_from_slice(b"arret;A3;1;2;H\xe9l\xe8ne\r\narret;A4;1;2;Zo\xc3\xa9\r\n");
        for enc in [
            CsvEncoding::Auto,
            CsvEncoding::Utf8,
            CsvEncoding::Windows1252,
            CsvEncoding::Iso88591,
        ] {
            let p = read(&bytes, &declared(enc));
            assert!(
                p.records.is_empty(),
                "{enc:?}: nothing is read from a mixed file"
            );
            assert_eq!(p.file_errors.len(), 1, "{:?}", p.file_errors);
            assert_eq!(p.file_errors[0].field, "encoding");
            assert_eq!(p.file_errors[0].location.line, Some(4), "{enc:?}");
        }
        // The same file all UTF-8: MÜLLER stays MÜLLER, even when 1252 is declared.
        let utf8 = "event;hr_ref;siret;nir;last_name\narret;A1;1;2;MÜLLER\n";
        for enc in [CsvEncoding::Auto, CsvEncoding::Windows1252] {
            let p = read(utf8.as_bytes(), &declared(enc));
            assert_eq!(p.records[0].fields["last_name"], "MÜLLER");
            assert_eq!(p.encoding, "utf-8");
        }
    }

    /// Issue 17's CRLF hold-out: on a Windows file every error line was one too low and the
    /// rejected extract held the good rows. Lines are physical lines; the extract is the
    /// header and the bad records' own bytes.
    #[test]
    fn crlf_file_lines_and_rejected_extract() {
        let file = "event;hr_ref;siret;nir\r\narret;GOOD-1;1;2\r\narret;BAD-1;1;2\r\n\r\narret;GOOD-2;1;2\r\narret;BAD-2;1;2\r\n";
        let p = read(file.as_bytes(), &CsvOptions::default());
        let lines: Vec<_> = p
            .records
            .iter()
            .map(|r| (r.fields["hr_ref"].as_str(), r.location.line))
            .collect();
        assert_eq!(
            lines,
            [
                ("GOOD-1", Some(2)),
                ("BAD-1", Some(3)),
                ("GOOD-2", Some(5)),
                ("BAD-2", Some(6))
            ]
        );
        let bad = [3u64, 6].into_iter().collect();
        assert_eq!(
            String::from_utf8(extract_lines(file.as_bytes(), &bad)).unwrap(),
            "event;hr_ref;siret;nir\r\narret;BAD-1;1;2\r\narret;BAD-2;1;2\r\n"
        );
    }

    #[test]
    fn header_excerpt_is_bounded_and_escaped() {
        let long = format!("password=hunter2{}\x1b[31m", "x".repeat(5000));
        let p = read(
            format!("{long};event\nx\n").as_bytes(),
            &CsvOptions::default(),
        );
        for e in &p.file_errors {
            let shown = serde_json::to_string(e).unwrap();
            assert!(shown.len() < 400, "{shown}");
            assert!(!shown.contains('\x1b'), "{shown}");
        }
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone, Copy)]
        enum Quoting {
            None,
            Quoted,
            EmbeddedNewline,
        }

        fn quoting() -> impl Strategy<Value = Quoting> {
            prop_oneof![
                Just(Quoting::None),
                Just(Quoting::Quoted),
                Just(Quoting::EmbeddedNewline)
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]
            /// line ending × encoding × quoting: every record's line is the physical line it
            /// starts on, and the extract of the bad lines is exactly header + bad records.
            #[test]
            fn lines_and_extracts_are_exact(
                eol in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
                enc in 0u8..3, // 0 UTF-8, 1 UTF-8 with BOM, 2 Windows-1252 (declared)
                rows in proptest::collection::vec((any::<bool>(), quoting(), any::<bool>()), 1..12),
                last_eol in any::<bool>(),
            ) {
                let mut file: Vec<u8> = Vec::new();
                if enc == 1 { file.extend_from_slice(BOM); }
                let name = |i: usize| -> Vec<u8> {
                    if enc == 2 { format!("M{i}").into_bytes().into_iter().chain([0xDC]).collect() }
                    else { format!("M{i}Ü").into_bytes() }
                };
                file.extend_from_slice(format!("event;hr_ref;siret;nir;last_name;address{eol}").as_bytes());
                let mut line = 2u64;
                let mut expected_lines = Vec::new();
                let mut extract = format!("event;hr_ref;siret;nir;last_name;address{eol}").into_bytes();
                if enc == 1 { extract.splice(0..0, BOM.iter().copied()); }
                let mut bad_lines = std::collections::HashSet::new();
                for (i, (bad, q, blank_before)) in rows.iter().enumerate() {
                    if *blank_before { file.extend_from_slice(eol.as_bytes()); line += 1; }
                    let mut row = format!("arret;{}-{i};1;2;", if *bad { "BAD" } else { "OK" }).into_bytes();
                    row.extend(name(i));
                    row.push(b';');
                    match q {
                        Quoting::None => row.extend_from_slice(b"3 rue X"),
                        Quoting::Quoted => row.extend_from_slice(b"\"3; rue \"\"X\"\"\""),
                        Quoting::EmbeddedNewline => row.extend_from_slice(format!("\"3 rue X{eol}B\"").as_bytes()),
                    }
                    let last = i + 1 == rows.len();
                    if !last || last_eol { row.extend_from_slice(eol.as_bytes()); }
                    expected_lines.push(line);
                    if *bad {
                        bad_lines.insert(line);
                        extract.extend_from_slice(&row);
                        if !matches!(extract.last(), Some(b'\n' | b'\r')) { extract.push(b'\n'); }
                    }
                    file.extend_from_slice(&row);
                    line += 1 + u64::from(matches!(q, Quoting::EmbeddedNewline));
                }
                let opts = declared(if enc == 2 { CsvEncoding::Windows1252 } else { CsvEncoding::Auto });
                let p = read(&file, &opts);
                prop_assert!(p.file_errors.is_empty(), "{:?}", p.file_errors);
                let got: Vec<u64> = p.records.iter().filter_map(|r| r.location.line).collect();
                prop_assert_eq!(&got, &expected_lines);
                for (i, r) in p.records.iter().enumerate() {
                    prop_assert_eq!(r.fields["last_name"].clone(), format!("M{i}Ü"));
                }
                prop_assert_eq!(extract_lines(&file, &bad_lines), extract);
            }
        }
    }

    /// A source that hands out its bytes in pieces of the given sizes (cycled), as a file
    /// read by a buffer, a pipe or a slow disk would.
    struct Pieces<'a> {
        data: &'a [u8],
        sizes: Vec<usize>,
        i: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let want = self.sizes[self.i % self.sizes.len()].max(1);
            self.i += 1;
            let n = want.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// The file read in pieces of any size (the spool's streaming path) gives exactly what the
    /// file read whole gives: encoding verdict, records with their lines, file errors, and
    /// the same rejected extract.
    fn same_in_pieces(data: &[u8], sizes: &[usize], enc: CsvEncoding) {
        let opts = declared(enc);
        let whole = read(data, &opts);
        let mut sn = Sniffer::new(enc);
        let mut rest = data;
        for s in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let n = (*s).clamp(1, rest.len());
            sn.feed(&rest[..n]);
            rest = &rest[n..];
        }
        let verdict = sn.finish();
        assert_eq!(verdict.clone().err(), detect(data, enc).err());
        let Ok(cs) = verdict else {
            assert!(whole.records.is_empty());
            return;
        };
        let src = Pieces {
            data,
            sizes: sizes.to_vec(),
            i: 0,
        };
        let mut s = CsvStream::new(src, cs, &opts).unwrap();
        let mut records = Vec::new();
        while let Some(r) = s.next_record().unwrap() {
            records.push(r);
        }
        assert_eq!(records, whole.records);
        assert_eq!(s.file_errors, whole.file_errors);
        let lines: std::collections::HashSet<u64> = records
            .iter()
            .filter_map(|r| r.location.line)
            .step_by(2)
            .collect();
        let src = Pieces {
            data,
            sizes: sizes.to_vec(),
            i: 0,
        };
        let mut out = Vec::new();
        let fetch = |at: u64, len: usize| {
            let at = (at as usize).min(data.len());
            Ok(data[at..(at + len).min(data.len())].to_vec())
        };
        extract_records(src, fetch, &lines, &mut out).unwrap();
        assert_eq!(out, extract_lines(data, &lines));
    }

    /// Reference line count: every `\n`, and every `\r` not followed by `\n`, before `off`.
    fn reference_line_of(b: &[u8], off: usize) -> u64 {
        1 + (0..off.min(b.len()))
            .filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')))
            .count() as u64
    }

    #[test]
    fn pieces_cut_inside_crlf_bom_and_multibyte() {
        let mut file = b"\xEF\xBB\xBFevent;hr_ref;siret;nir;last_name\r\n".to_vec();
        file.extend_from_slice(
            "arret;A1;1;2;MÜLLER\r\r\narret;A2;1;2;\"Zo\r\né\"\rarret;A3;1\n".as_bytes(),
        );
        for sizes in [
            vec![1],
            vec![2],
            vec![3],
            vec![1, 4],
            vec![7, 1, 2],
            vec![4096],
        ] {
            same_in_pieces(&file, &sizes, CsvEncoding::Auto);
        }
        let mut mixed = file.clone();
        mixed.extend_from_slice(b"arret;A4;1;2;H\xe9l\xe8ne\r\n");
        for sizes in [vec![1], vec![2], vec![5, 3]] {
            same_in_pieces(&mixed, &sizes, CsvEncoding::Windows1252);
            same_in_pieces(&mixed, &sizes, CsvEncoding::Auto);
        }
        // A multi-byte sequence cut by the end of the file.
        same_in_pieces(b"event;hr_ref;siret;nir\n\xC3", &[1], CsvEncoding::Auto);
        same_in_pieces(b"\xEF\xBB", &[1], CsvEncoding::Auto);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Any bytes, any piece sizes: the streamed reading equals the whole reading, and the
        /// line of any offset is the reference count.
        #[test]
        fn streamed_equals_whole(
            data in proptest::collection::vec(proptest::prelude::prop_oneof![
                proptest::prelude::Just(b'\r'), proptest::prelude::Just(b'\n'), proptest::prelude::Just(b';'),
                proptest::prelude::Just(b'"'), proptest::prelude::Just(b'a'), proptest::prelude::Just(0xC3u8),
                proptest::prelude::Just(0xA9u8), proptest::prelude::Just(0xE9u8), proptest::prelude::Just(0xEFu8),
            ], 0..200),
            header in proptest::prelude::any::<bool>(),
            sizes in proptest::collection::vec(1usize..9, 1..5),
            latin in proptest::prelude::any::<bool>(),
        ) {
            let mut file = if header { b"event;hr_ref;siret;nir\r\n".to_vec() } else { Vec::new() };
            file.extend_from_slice(&data);
            let enc = if latin { CsvEncoding::Windows1252 } else { CsvEncoding::Auto };
            same_in_pieces(&file, &sizes, enc);
            for off in 0..=file.len() {
                proptest::prop_assert_eq!(line_of(&file, off), reference_line_of(&file, off));
            }
        }
    }

    #[test]
    fn column_mapping_and_unknown_columns() {
        let mut opts = CsvOptions::default();
        opts.columns.insert("matricule_secu".into(), "nir".into());
        let p = read(
            b"event;hr_ref;siret;Matricule Secu;couleur\narret;A;1;2;x\n",
            &opts,
        );
        assert_eq!(p.file_errors.len(), 1);
        assert_eq!(p.file_errors[0].field, "couleur");
        let p = read(b"event;hr_ref;siret\narret;A;1\n", &CsvOptions::default());
        assert_eq!(p.file_errors[0].field, "nir");
    }

    #[test]
    fn ragged_row_is_located() {
        let p = read(
            b"event;hr_ref;siret;nir\narret;A;1;2\narret;B;1\narret;C;1;2\n",
            &CsvOptions::default(),
        );
        assert_eq!(p.records.len(), 2);
        assert_eq!(p.file_errors.len(), 1);
        assert_eq!(p.file_errors[0].location.line, Some(3));
    }

    #[test]
    fn quoted_fields_with_delimiters() {
        let p = read(
            b"event;hr_ref;siret;nir;address\narret;A;1;2;\"3; rue X\"\n",
            &CsvOptions::default(),
        );
        assert_eq!(p.records[0].fields["address"], "3; rue X");
    }
}
