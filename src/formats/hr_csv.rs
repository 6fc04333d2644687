//! HR CSV exports → records of canonical fields.
//!
//! Legacy HR tools export whatever their version does: `;` or `,` separators, UTF-8 with or
//! without BOM or Windows-1252, decimal commas, their own column titles. We sniff what can be
//! sniffed, let the configuration say the rest (encoding and a column mapping per client), and
//! report problems per row so that one bad row never blocks the others.

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use std::collections::BTreeMap;

use crate::model::stoppage::normalise_word;
use crate::model::validate::{FieldError, Location, Record, is_field};

/// How to decode the bytes of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CsvEncoding {
    /// UTF-8 (BOM allowed) when the bytes are valid UTF-8, else Windows-1252.
    #[default]
    Auto,
    #[serde(alias = "utf8")]
    Utf8,
    #[serde(alias = "cp1252")]
    Windows1252,
    #[serde(alias = "latin1", alias = "iso8859-1")]
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

/// Decodes bytes to text. Windows-1252 is used for "ISO-8859-1" too: it is a superset for the
/// printable range, and Excel's "Latin-1" exports are really 1252 (’ and € live at 0x92/0x80).
pub fn decode(bytes: &[u8], enc: CsvEncoding) -> (String, &'static str) {
    let (encoding, label): (&'static Encoding, _) = match enc {
        CsvEncoding::Utf8 => (UTF_8, "utf-8"),
        CsvEncoding::Windows1252 | CsvEncoding::Iso88591 => (WINDOWS_1252, "windows-1252"),
        CsvEncoding::Auto => {
            if bytes.starts_with(b"\xEF\xBB\xBF") || std::str::from_utf8(bytes).is_ok() {
                (UTF_8, "utf-8")
            } else {
                (WINDOWS_1252, "windows-1252")
            }
        }
    };
    // decode() strips a BOM and replaces undecodable bytes with U+FFFD, which validation then
    // reports as a forbidden character in the field concerned.
    let (text, _, _) = encoding.decode(bytes);
    (text.into_owned(), label)
}

/// Picks the delimiter from the header line: the most frequent of `;`, `,` and tab outside quotes.
fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut in_quotes = false;
    for b in header.bytes() {
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

/// Reads a CSV file.
pub fn read(bytes: &[u8], opts: &CsvOptions) -> Parsed {
    let (text, encoding) = decode(bytes, opts.encoding);
    let mut out = Parsed {
        encoding,
        ..Parsed::default()
    };
    let delimiter = sniff_delimiter(&text);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            out.file_errors.push(file_error(
                Some(1),
                "header",
                format!("unreadable header row: {e}"),
            ));
            return out;
        }
    };
    if headers.iter().all(|h| h.trim().is_empty()) {
        out.file_errors.push(file_error(
            Some(1),
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
                out.file_errors.push(file_error(
                    Some(1),
                    h,
                    format!("column {} ({h:?}) is not a known field and no mapping is configured for it", i + 1),
                ));
                columns.push(None);
            }
        }
    }
    for f in ["event", "hr_ref", "siret", "nir"] {
        if !columns.iter().flatten().any(|c| c == f) {
            out.file_errors.push(file_error(
                Some(1),
                f,
                "required column is missing from the header",
            ));
        }
    }
    if !out.file_errors.is_empty() {
        return out;
    }
    for result in rdr.records() {
        match result {
            Ok(row) => {
                let line = row.position().map(|p| p.line());
                if row.iter().all(|v| v.trim().is_empty()) {
                    continue; // trailing blank lines are common in exports
                }
                let mut rec = Record {
                    location: Location { line, item: None },
                    fields: BTreeMap::new(),
                };
                if row.len() != headers.len() {
                    out.file_errors.push(file_error(
                        line,
                        "row",
                        format!(
                            "has {} fields where the header has {}",
                            row.len(),
                            headers.len()
                        ),
                    ));
                    continue;
                }
                for (col, value) in columns.iter().zip(row.iter()) {
                    if let Some(field) = col
                        && !value.trim().is_empty()
                    {
                        rec.fields.insert(field.clone(), value.to_string());
                    }
                }
                out.records.push(rec);
            }
            Err(e) => {
                let line = e.position().map(|p| p.line());
                out.file_errors
                    .push(file_error(line, "row", format!("unreadable CSV row: {e}")));
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

    #[test]
    fn comma_latin1() {
        let mut bytes =
            b"Event,HR_REF,SIRET,NIR,Last Name\narret,A1,73282932000074,1850578006084,".to_vec();
        bytes.extend_from_slice(&[b'H', 0xE9, b'l', 0xE8, b'n', b'e', b'\n']);
        let p = read(&bytes, &CsvOptions::default());
        assert!(p.file_errors.is_empty(), "{:?}", p.file_errors);
        assert_eq!(p.records[0].fields["last_name"], "Hélène");
        assert_eq!(p.encoding, "windows-1252");
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
