//! Notices handed back to the HR tool (and later the insurer) through spool/outbound/.
//!
//! One JSON document per event on a declaration, named after the HR tool's own reference so it
//! can match it without parsing: `<hr_ref>_<kind>_<n>.json` where `n` is a journal sequence
//! (unique, increasing). Documented in the README ("Notices").

use serde::Serialize;

use crate::journal::store::{Source, SubmitOutcome};
use crate::model::validate::FieldError;

/// Kind of notice (the `kind` field).
pub const RECEIVED: &str = "RECEIVED";
pub const REJECTED: &str = "REJECTED";

#[derive(Debug, Serialize)]
pub struct Notice<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hr_ref: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declaration_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<&'a str>,
    pub kind: &'a str,
    /// OK, ANO (accepted with anomalies) or KO.
    pub status: &'a str,
    pub at: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'a str>,
    pub source: &'a Source,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub errors: &'a [FieldError],
}

/// The file-name stem for a notice; `hr_ref` is safe as a name (validated), others are not.
pub fn stem(hr_ref: Option<&str>, kind: &str) -> String {
    let r = hr_ref.filter(|r| {
        !r.is_empty()
            && r.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    });
    format!(
        "{}_{}",
        r.unwrap_or("unidentified"),
        kind.to_ascii_lowercase()
    )
}

/// The same JSON notice with `"test": true` (an essai declaration: nothing is declared).
pub fn mark_test(body: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(mut o)) => {
            o.insert("test".into(), serde_json::Value::Bool(true));
            serde_json::to_vec_pretty(&o).unwrap_or_else(|_| body.to_vec())
        }
        _ => body.to_vec(),
    }
}

pub fn received(
    hr_ref: &str,
    event: &str,
    out: &SubmitOutcome,
    source: &Source,
    at: &str,
) -> Vec<u8> {
    let outcome = match out.status {
        crate::journal::store::SubmitStatus::Created => "created",
        crate::journal::store::SubmitStatus::Modified => "modified",
        crate::journal::store::SubmitStatus::Duplicate => "duplicate",
    };
    let n = Notice {
        hr_ref: Some(hr_ref),
        declaration_id: Some(out.id),
        event: Some(event),
        kind: RECEIVED,
        status: "OK",
        at,
        revision: Some(out.revision),
        outcome: Some(outcome),
        source,
        errors: &[],
    };
    serde_json::to_vec_pretty(&n).unwrap_or_default()
}

pub fn rejected(
    hr_ref: Option<&str>,
    event: Option<&str>,
    source: &Source,
    errors: &[FieldError],
    at: &str,
) -> Vec<u8> {
    let n = Notice {
        hr_ref,
        declaration_id: None,
        event,
        kind: REJECTED,
        status: "KO",
        at,
        revision: None,
        outcome: None,
        source,
        errors,
    };
    serde_json::to_vec_pretty(&n).unwrap_or_default()
}
