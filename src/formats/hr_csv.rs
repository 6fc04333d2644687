//! HR CSV exports → records of canonical fields.
//!
//! Legacy HR tools export whatever their version does: `;` or `,` separators, UTF-8 with or
//! without BOM or Windows-1252, decimal commas, their own column titles. We sniff what can be
//! sniffed, let the configuration say the rest (encoding and a column mapping per client), and
//! report problems per row so that one bad row never blocks the others.

use encoding_rs::WINDOWS_1252;
use std::collections::BTreeMap;
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

/// Counts physical lines the way the file has them: `\r\n`, `\n` and a lone `\r` each end one
/// line (a BOM is not a line). Offsets only move forward, so a whole file costs one pass.
struct LineCounter<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            pos: 0,
            line: 1,
        }
    }

    /// The 1-based physical line holding byte `off`.
    fn line_at(&mut self, off: usize) -> u64 {
        let off = off.min(self.bytes.len());
        while self.pos < off {
            match self.bytes[self.pos] {
                b'\n' => self.line += 1,
                b'\r' if self.bytes.get(self.pos + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
            self.pos += 1;
        }
        self.line
    }
}

/// The 1-based physical line of byte `off` of `bytes`.
pub fn line_of(bytes: &[u8], off: usize) -> u64 {
    LineCounter::new(bytes).line_at(off)
}

/// The encoding a file is read with, decided once per file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charset {
    Utf8,
    Windows1252,
}

/// Strict UTF-8 first pass: valid UTF-8 (BOM or not) is UTF-8, whatever the client declared,
/// because Windows-1252 text almost never forms valid multi-byte UTF-8 and decoding UTF-8 as
/// 1252 silently turns `MÜLLER` into `MÃœLLER`. Otherwise Windows-1252 only when the client
/// declared it (or Latin-1, read as its superset 1252) and the file holds no UTF-8 multi-byte
/// sequence at all; a file mixing both, or undeclared, is refused whole at its first bad line.
fn detect(bytes: &[u8], declared: CsvEncoding) -> Result<Charset, FieldError> {
    let body = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let Err(e) = std::str::from_utf8(body) else {
        return Ok(Charset::Utf8);
    };
    let off = e.valid_up_to() + (bytes.len() - body.len());
    let line = line_of(bytes, off);
    let byte = bytes.get(off).copied().unwrap_or(0);
    let has_utf8_multibyte = body.utf8_chunks().any(|c| !c.valid().is_ascii());
    let declared_8bit = matches!(declared, CsvEncoding::Windows1252 | CsvEncoding::Iso88591);
    let reason = if declared_8bit && !has_utf8_multibyte && !bytes.starts_with(BOM) {
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

/// One record as the file has it: its first physical line, its exact bytes (terminator
/// included) and its fields, still undecoded.
#[derive(Debug)]
pub struct RawRecord {
    pub line: u64,
    pub span: Range<usize>,
    pub fields: csv::ByteRecord,
}

/// Splits a CSV file into records with their physical lines and byte ranges in `bytes`.
///
/// The `csv` crate counts lines by `\n` and leaves a CRLF's `\n` to the next record, so its
/// `Position::line()` is one too low on CRLF files and blind to CR-only files (issue 17).
/// We take its byte positions only, skip the terminators it left, and count lines ourselves.
pub struct RawReader<'a> {
    bytes: &'a [u8],
    base: usize,
    rdr: csv::Reader<&'a [u8]>,
    lines: LineCounter<'a>,
}

impl<'a> RawReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        let base = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
        let body = &bytes[base..];
        let rdr = csv::ReaderBuilder::new()
            .delimiter(sniff_delimiter(body))
            .flexible(true)
            .has_headers(false)
            .from_reader(body);
        RawReader {
            bytes,
            base,
            rdr,
            lines: LineCounter::new(bytes),
        }
    }

    /// The next record, or the line of a CSV error; `None` at the end.
    pub fn next_record(&mut self) -> Option<Result<RawRecord, (u64, String)>> {
        let mut rec = csv::ByteRecord::new();
        let before = self.base + self.rdr.position().byte() as usize;
        match self.rdr.read_byte_record(&mut rec) {
            Ok(false) => None,
            Ok(true) => {
                let after = self.base + self.rdr.position().byte() as usize;
                let span = self.span(before, after);
                let line = self.lines.line_at(span.start);
                Some(Ok(RawRecord {
                    line,
                    span,
                    fields: rec,
                }))
            }
            Err(e) => {
                let at = e
                    .position()
                    .map_or(before, |p| self.base + p.byte() as usize);
                Some(Err((self.lines.line_at(at), e.to_string())))
            }
        }
    }

    /// The exact bytes of a record read between `before` and `after`: terminators left over
    /// from the previous record skipped, one terminator of its own included.
    fn span(&self, before: usize, after: usize) -> Range<usize> {
        let b = self.bytes;
        let after = after.clamp(before, b.len());
        let mut start = before;
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
}

/// The header and the records on `lines` of a CSV file, as their original bytes (encoding,
/// separators and line endings untouched), for `rejected/<name>`: the HR clerk fixes exactly
/// the rows that failed and drops them again.
pub fn extract_lines(bytes: &[u8], lines: &std::collections::HashSet<u64>) -> Vec<u8> {
    // A BOM stays: it tells Excel the extract is UTF-8, as it told it for the original.
    let mut out = if bytes.starts_with(BOM) {
        BOM.to_vec()
    } else {
        Vec::new()
    };
    let mut r = RawReader::new(bytes);
    let mut first = true;
    while let Some(Ok(rec)) = r.next_record() {
        if first || lines.contains(&rec.line) {
            out.extend_from_slice(&bytes[rec.span.clone()]);
            // The last record may lack a terminator; keep the extract well-formed.
            if !matches!(out.last(), Some(b'\n' | b'\r')) {
                out.extend_from_slice(b"\n");
            }
        }
        first = false;
    }
    out
}

/// Reads a CSV file.
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
    if cs == Charset::Windows1252 {
        out.encoding = "windows-1252";
    }
    let mut rdr = RawReader::new(bytes);
    let (header_line, headers): (u64, Vec<String>) = match rdr.next_record() {
        Some(Ok(h)) => (
            h.line,
            h.fields.iter().map(|f| decode_field(f, cs)).collect(),
        ),
        Some(Err((line, e))) => {
            out.file_errors.push(file_error(
                Some(line),
                "header",
                format!("unreadable header row: {e}"),
            ));
            return out;
        }
        None => (1, Vec::new()),
    };
    if headers.iter().all(|h| h.trim().is_empty()) {
        out.file_errors.push(file_error(
            Some(header_line),
            "header",
            "the file is empty or has no header row",
        ));
        return out;
    }
    let mut columns = Vec::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        match map_column(h, opts) {
            Some(f) => columns.push(Some(f)),
            None if h.trim().is_empty() => columns.push(None),
            None => {
                // A file that is not the CSV it claims to be (or a symlink's target, before
                // issue 17) must not come back whole in the report: a bounded excerpt only.
                let shown = excerpt(h, 32);
                out.file_errors.push(file_error(
                    Some(header_line),
                    &shown,
                    format!("column {} ({shown:?}) is not a known field and no mapping is configured for it", i + 1),
                ));
                columns.push(None);
            }
        }
        if out.file_errors.len() >= 10 {
            break; // not a header at all: ten complaints are enough
        }
    }
    for f in ["event", "hr_ref", "siret", "nir"] {
        if !columns.iter().flatten().any(|c| c == f) {
            out.file_errors.push(file_error(
                Some(header_line),
                f,
                "required column is missing from the header",
            ));
        }
    }
    if !out.file_errors.is_empty() {
        return out;
    }
    while let Some(result) = rdr.next_record() {
        match result {
            Ok(row) => {
                let line = Some(row.line);
                if row
                    .fields
                    .iter()
                    .all(|v| v.iter().all(|b| b.is_ascii_whitespace()))
                {
                    continue; // trailing blank lines are common in exports
                }
                if row.fields.len() != headers.len() {
                    out.file_errors.push(file_error(
                        line,
                        "row",
                        format!(
                            "has {} fields where the header has {}",
                            row.fields.len(),
                            headers.len()
                        ),
                    ));
                    continue;
                }
                let mut rec = Record {
                    location: Location { line, item: None },
                    fields: BTreeMap::new(),
                };
                for (col, value) in columns.iter().zip(row.fields.iter()) {
                    if let Some(field) = col {
                        let value = decode_field(value, cs);
                        if !value.trim().is_empty() {
                            rec.fields.insert(field.clone(), value);
                        }
                    }
                }
                out.records.push(rec);
            }
            Err((line, e)) => {
                out.file_errors.push(file_error(
                    Some(line),
                    "row",
                    format!("unreadable CSV row: {e}"),
                ));
                break;
            }
        }
    }
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
