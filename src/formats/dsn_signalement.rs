//! DSN signalement files as payroll software produces them (nature 04 arrêt de travail, 05
//! reprise) → records of canonical fields, validated like every other input.
//!
//! Only the subset an arrêt needs is read (S20.G00.05, S21.G00.06/.11, .30, .40, .60); the
//! NEODeS reader checks syntax, norm types and the S90 totals, and its diagnostics become
//! located file errors. Each S20 declaration is one message: nature 04 → `arret` (type 04
//! "annule" → `annulation`), nature 05 → `reprise`. `hr_ref` is the identifiant métier
//! (S20.G00.05.009), the payroll's own reference of the signalement. A file with any syntax,
//! norm or totals error is refused whole (it may be truncated): no declaration is taken.

use std::collections::BTreeMap;

use super::hr_csv::Parsed;
use crate::model::validate::{FieldError, Location, Record};
use crate::neodes::reader::{Event, Reader, Severity};

/// JJMMAAAA → YYYY-MM-DD (left as is when malformed: validation reports it on its field).
fn date(v: &str) -> String {
    if v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}-{}", &v[4..], &v[2..4], &v[..2])
    } else {
        v.to_string()
    }
}

/// The canonical field a rubric feeds, and whether it is a date.
fn field_of(rubric: &str) -> Option<(&'static str, bool)> {
    Some(match rubric {
        "S20.G00.05.009" => ("hr_ref", false),
        "S21.G00.30.001" => ("nir", false),
        "S21.G00.30.002" => ("last_name", false),
        "S21.G00.30.003" => ("usage_name", false),
        "S21.G00.30.004" => ("first_names", false),
        "S21.G00.30.005" => ("sex", false),
        "S21.G00.30.006" => ("birth_date", true),
        "S21.G00.30.007" => ("birth_place", false),
        "S21.G00.30.008" => ("address", false),
        "S21.G00.30.009" => ("postal_code", false),
        "S21.G00.30.010" => ("city", false),
        "S21.G00.30.014" => ("birth_department", false),
        "S21.G00.30.015" => ("birth_country", false),
        "S21.G00.30.019" => ("employee_id", false),
        "S21.G00.40.001" => ("contract_start", true),
        "S21.G00.40.002" => ("statut_conventionnel", false),
        "S21.G00.40.003" => ("retirement_category", false),
        "S21.G00.40.004" => ("pcs_ese", false),
        "S21.G00.40.006" => ("job_title", false),
        "S21.G00.40.007" => ("contract_nature", false),
        "S21.G00.40.009" => ("contract_number", false),
        "S21.G00.40.017" => ("idcc", false),
        "S21.G00.60.001" => ("reason", false),
        "S21.G00.60.002" => ("last_day_worked", true),
        "S21.G00.60.003" => ("expected_end", true),
        "S21.G00.60.005" => ("subrogation_start", true),
        "S21.G00.60.006" => ("subrogation_end", true),
        "S21.G00.60.007" => ("iban", false),
        "S21.G00.60.008" => ("bic", false),
        "S21.G00.60.010" => ("return_date", true),
        "S21.G00.60.011" => ("return_reason", false),
        "S21.G00.60.012" => ("accident_date", true),
        _ => return None,
    })
}

struct Current {
    rec: Record,
    nature: String,
    decl_type: String,
    siren: String,
    nic: String,
}

fn finish(cur: Option<Current>, out: &mut Parsed) {
    let Some(mut c) = cur else { return };
    let event = match (c.nature.as_str(), c.decl_type.as_str()) {
        ("04", "04") => "annulation",
        ("04", _) => "arret",
        ("05", "04") => {
            out.file_errors.push(FieldError {
                location: c.rec.location,
                field: "S20.G00.05.002".into(),
                value: Some(c.decl_type),
                reason:
                    "cancelling a reprise signalement is not supported: send the corrected reprise"
                        .into(),
            });
            return;
        }
        ("05", _) => "reprise",
        (n, _) => {
            out.file_errors.push(FieldError {
                location: c.rec.location,
                field: "S20.G00.05.001".into(),
                value: Some(n.to_string()),
                reason: "only signalements of nature 04 (arrêt) and 05 (reprise) are accepted here"
                    .into(),
            });
            return;
        }
    };
    c.rec.fields.insert("event".into(), event.into());
    if !c.siren.is_empty() || !c.nic.is_empty() {
        c.rec
            .fields
            .insert("siret".into(), format!("{}{}", c.siren, c.nic));
    }
    out.records.push(c.rec);
}

/// Reads a NEODeS file of signalements.
pub fn read(bytes: &[u8]) -> Parsed {
    let mut out = Parsed {
        encoding: "iso-8859-1",
        ..Parsed::default()
    };
    let mut reader = Reader::new(bytes);
    let mut cur: Option<Current> = None;
    while let Some(ev) = reader.next_event() {
        match ev {
            Event::Diagnostic(d) => {
                if d.severity == Severity::Error {
                    out.file_errors.push(FieldError {
                        location: Location {
                            line: Some(d.line),
                            item: None,
                        },
                        field: d
                            .rubric
                            .map(|r| r.to_string())
                            .unwrap_or_else(|| "line".into()),
                        value: None,
                        reason: d.kind.to_string(),
                    });
                }
            }
            Event::Item(item) => {
                let rubric = item.rubric.to_string();
                let value = item.value().into_owned();
                if rubric == "S20.G00.05.001" {
                    finish(cur.take(), &mut out);
                    cur = Some(Current {
                        rec: Record {
                            location: Location {
                                line: Some(item.line),
                                item: None,
                            },
                            fields: BTreeMap::new(),
                        },
                        nature: value,
                        decl_type: String::new(),
                        siren: String::new(),
                        nic: String::new(),
                    });
                    continue;
                }
                let Some(c) = cur.as_mut() else { continue };
                match rubric.as_str() {
                    "S20.G00.05.002" => c.decl_type = value,
                    "S21.G00.06.001" => c.siren = value,
                    "S21.G00.11.001" => c.nic = value,
                    "S21.G00.60.004" => {
                        let v = if value == "01" { "oui" } else { "non" };
                        c.rec.fields.insert("subrogation".into(), v.into());
                    }
                    r => {
                        if let Some((field, is_date)) = field_of(r) {
                            let v = if is_date { date(&value) } else { value };
                            c.rec.fields.insert(field.into(), v);
                        }
                    }
                }
            }
        }
    }
    finish(cur, &mut out);
    if !out.file_errors.is_empty() {
        // A NEODeS file with a syntax or totals error may be truncated or corrupted: the S90
        // totals are what proves it complete, so none of its declarations is taken.
        out.records.clear();
        return out;
    }
    if out.records.is_empty() {
        out.file_errors.push(FieldError {
            location: Location::default(),
            field: "S20.G00.05".into(),
            value: None,
            reason: "no declaration (S20.G00.05) in the file".into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ijgates_own_signalement() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/signalement/arret_normal.dsn"
        ))
        .unwrap();
        let p = read(&bytes);
        assert!(p.file_errors.is_empty(), "{:?}", p.file_errors);
        let f = &p.records[0].fields;
        assert_eq!(f["event"], "arret");
        assert_eq!(f["hr_ref"], "IJ000000042A01");
        assert_eq!(f["siret"], "73282932000074");
        assert_eq!(f["nir"], "1850578006084");
        assert_eq!(f["last_name"], "Müller");
        assert_eq!(f["birth_date"], "1985-05-12");
        assert_eq!(f["last_day_worked"], "2026-11-09");
        assert_eq!(f["subrogation"], "oui");
        assert_eq!(f["retirement_category"], "04");
        assert_eq!(f["birth_place"], "Strasbourg");
        assert_eq!(p.records[0].location.line, Some(18));
    }

    #[test]
    fn broken_file_errors_are_located() {
        let mut bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/signalement/arret_normal.dsn"
        ))
        .unwrap();
        // Break the S90 total and one line's syntax.
        let text = String::from_utf8_lossy(&bytes)
            .replace("S90.G00.90.001,'71'", "S90.G00.90.001,'50'")
            .replace("S21.G00.30.005,'01'", "S21.G00.30.005,01");
        bytes = text.into_bytes();
        let p = read(&bytes);
        assert!(
            p.file_errors.iter().any(|e| e.location.line == Some(45)),
            "{:?}",
            p.file_errors
        );
        assert!(
            p.file_errors.iter().any(|e| e.field == "S90.G00.90.001"),
            "{:?}",
            p.file_errors
        );
    }
}
