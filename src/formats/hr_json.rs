//! HR JSON inputs (one object or an array of objects) → records of canonical fields.
//!
//! Values are strings (openapi.json: `type: string`, salaries an array of strings, most
//! recent first); `null` means absent. A number or a boolean is refused, never converted:
//! `"hr_ref": true` once became `"oui"` and `2500.1` loses its written form (issue 17).

use serde_json::Value;
use std::collections::BTreeMap;

use super::hr_csv::Parsed;
use crate::model::validate::{ECHO_MAX, FieldError, Location, Record, excerpt};

fn scalar(v: &Value) -> Option<Result<String, &'static str>> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(Ok(s.clone())),
        Value::Number(_) | Value::Bool(_) => Some(Err(
            "must be a string (write numbers and amounts in quotes)",
        )),
        _ => Some(Err("must be a string")),
    }
}

/// Converts one JSON object into a record.
pub fn record_from_object(
    obj: &serde_json::Map<String, Value>,
    location: Location,
) -> Result<Record, Vec<FieldError>> {
    let mut rec = Record {
        location,
        fields: BTreeMap::new(),
    };
    let mut errors = Vec::new();
    let mut err = |field: &str, value: &Value, reason: &str| {
        errors.push(FieldError {
            location,
            field: excerpt(field, ECHO_MAX),
            // NIR and IBAN are not echoed even partially when they come with a wrong type.
            value: (!matches!(field, "nir" | "iban"))
                .then(|| excerpt(&value.to_string(), ECHO_MAX)),
            reason: reason.into(),
        })
    };
    for (k, v) in obj {
        if k == "salaries" {
            match v {
                Value::Array(items) if items.len() <= 12 => {
                    for (i, item) in items.iter().enumerate() {
                        match scalar(item) {
                            Some(Ok(s)) => {
                                rec.fields.insert(format!("salary_{}", i + 1), s);
                            }
                            Some(Err(r)) => err(&format!("salaries[{i}]"), item, r),
                            None => {}
                        }
                    }
                }
                _ => err(
                    "salaries",
                    v,
                    "must be an array of at most 12 amounts, most recent first",
                ),
            }
            continue;
        }
        match scalar(v) {
            Some(Ok(s)) => {
                rec.fields.insert(k.clone(), s);
            }
            Some(Err(r)) => err(k, v, r),
            None => {}
        }
    }
    if errors.is_empty() {
        Ok(rec)
    } else {
        Err(errors)
    }
}

/// Reads a JSON document: an object, or an array of objects (each its own message).
pub fn read(bytes: &[u8]) -> Parsed {
    let mut out = Parsed {
        encoding: "utf-8",
        ..Parsed::default()
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let doc: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            out.file_errors.push(FieldError {
                location: Location {
                    line: Some(e.line() as u64),
                    item: None,
                },
                field: "document".into(),
                value: None,
                reason: format!("invalid JSON: {e}"),
            });
            return out;
        }
    };
    let items: Vec<(Option<usize>, &Value)> = match &doc {
        Value::Array(a) => a.iter().enumerate().map(|(i, v)| (Some(i), v)).collect(),
        v => vec![(None, v)],
    };
    for (item, v) in items {
        let location = Location { line: None, item };
        match v {
            Value::Object(o) => match record_from_object(o, location) {
                Ok(r) => out.records.push(r),
                Err(e) => out.file_errors.extend(e),
            },
            _ => out.file_errors.push(FieldError {
                location,
                field: "document".into(),
                value: None,
                reason: "each declaration must be a JSON object".into(),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_and_array() {
        let p = read(
            br#"{"event":"arret","hr_ref":"A","salary_1":"2500.10","subrogation":"oui","iban":null}"#,
        );
        assert!(p.file_errors.is_empty());
        assert_eq!(p.records[0].fields["salary_1"], "2500.10");
        assert_eq!(p.records[0].fields["subrogation"], "oui");
        assert!(!p.records[0].fields.contains_key("iban"));
        let p = read(br#"[{"event":"arret","salaries":["2500.00","2400.00"]}, 3]"#);
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.records[0].fields["salary_2"], "2400.00");
        assert_eq!(p.file_errors[0].location.item, Some(1));
    }

    /// Issue 17: `"hr_ref": true` became `"oui"`; openapi.json says every field is a string.
    #[test]
    fn strings_are_strings() {
        let p = read(
            br#"{"event":"arret","hr_ref":true,"salary_1":2500.1,"salaries":[1,"2"],"nir":185057800608}"#,
        );
        assert!(p.records.is_empty());
        let mut fields: Vec<_> = p.file_errors.iter().map(|e| e.field.as_str()).collect();
        fields.sort();
        assert_eq!(fields, ["hr_ref", "nir", "salaries[0]", "salary_1"]);
        assert!(p.file_errors.iter().all(|e| e.reason.contains("string")));
        let hr = p.file_errors.iter().find(|e| e.field == "hr_ref").unwrap();
        assert_eq!(hr.value.as_deref(), Some("true"));
        assert!(
            p.file_errors
                .iter()
                .find(|e| e.field == "nir")
                .unwrap()
                .value
                .is_none()
        );
    }

    #[test]
    fn invalid_json_is_located() {
        let p = read(b"{\n\"event\": \"arret\",\n}");
        assert_eq!(p.file_errors[0].location.line, Some(3));
        let p = read(br#"{"event":{"x":1}}"#);
        assert_eq!(p.file_errors[0].field, "event");
    }
}
