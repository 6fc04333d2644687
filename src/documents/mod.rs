//! Supporting documents the CPAM asks for (declaration state `documents_requested`, from a
//! CRM whose anomalies name CNAM PJ IJ `typePieces` values).
//!
//! The HR tool drops each PDF in spool/inbound/ as `<hr_ref>.<TYPE>.pdf` (TYPE a `typePieces`
//! value such as BULLETIN_SALAIRE or RIB_EMPLOYEUR; the hr_ref must not contain a dot), or
//! posts it to `POST /v1/stoppages/{id}/documents?type=TYPE` with a PDF body. ijgate checks it
//! (PDF magic `%PDF-`, at most 5 MB, a known type, a declaration of a SIRET the sender may use)
//! before anything is sent, stores it in the journal (`documents`), and [`uploader`] sends it
//! through the CNAM PJ IJ API and follows its report; the outcome goes to the history and to
//! the HR tool (`<hr_ref>_document_<n>.json` in spool/outbound/hr/).

pub mod spool_door;
pub mod uploader;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::formats::rapport::DOCUMENT_TYPES;
use crate::journal::{JournalError, store};

/// Largest document the CNAM accepts (CTL-PJ-TAI).
pub const MAX_SIZE: usize = 5 * 1024 * 1024;

/// Why a document is refused before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("file name {0:?}: expected <hr_ref>.<TYPE>.pdf")]
    BadName(String),
    #[error("type {0:?} is not a CNAM PJ IJ typePieces value (e.g. BULLETIN_SALAIRE)")]
    UnknownType(String),
    #[error("not a PDF: the content does not start with %PDF-")]
    NotPdf,
    #[error("{size} bytes: more than the 5 MB the CNAM accepts")]
    TooLarge { size: usize },
    #[error("no declaration with hr_ref {0:?} for a SIRET this sender may use")]
    NoDeclaration(String),
}

impl DocumentError {
    /// The field a located error report names.
    pub fn field(&self) -> &'static str {
        match self {
            DocumentError::BadName(_) => "file",
            DocumentError::UnknownType(_) => "type",
            DocumentError::NotPdf | DocumentError::TooLarge { .. } => "content",
            DocumentError::NoDeclaration(_) => "hr_ref",
        }
    }
}

/// Splits `<hr_ref>.<TYPE>.pdf`.
pub fn parse_name(name: &str) -> Result<(String, String), DocumentError> {
    let bad = || DocumentError::BadName(name.to_string());
    let stem = name
        .len()
        .checked_sub(4)
        .filter(|&i| name.is_char_boundary(i) && name[i..].eq_ignore_ascii_case(".pdf"))
        .map(|i| &name[..i])
        .ok_or_else(bad)?;
    let (hr_ref, t) = stem.rsplit_once('.').ok_or_else(bad)?;
    if hr_ref.is_empty() || t.is_empty() {
        return Err(bad());
    }
    Ok((hr_ref.to_string(), t.to_ascii_uppercase()))
}

/// The checks the CNAM would make, made before sending.
pub fn check(doc_type: &str, body: &[u8]) -> Result<(), DocumentError> {
    if !DOCUMENT_TYPES.contains(&doc_type) {
        return Err(DocumentError::UnknownType(doc_type.to_string()));
    }
    if body.len() > MAX_SIZE {
        return Err(DocumentError::TooLarge { size: body.len() });
    }
    if !body.starts_with(b"%PDF-") {
        return Err(DocumentError::NotPdf);
    }
    Ok(())
}

/// The `arret` declaration of `hr_ref` among `sirets` (the one asking for documents first).
pub fn find_declaration(
    conn: &Connection,
    hr_ref: &str,
    sirets: &[String],
) -> Result<Option<(i64, String)>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, siret FROM declarations WHERE hr_ref = ?1 AND event = 'arret'
         ORDER BY state = 'documents_requested' DESC, id DESC",
    )?;
    let rows: Vec<(i64, String)> = stmt
        .query_map([hr_ref], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows.into_iter().find(|(_, s)| sirets.contains(s)))
}

/// The SIRET of a declaration.
pub fn declaration_siret(conn: &Connection, id: i64) -> Result<Option<String>, JournalError> {
    Ok(conn
        .prepare_cached("SELECT siret FROM declarations WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Journals a checked document for upload (idempotent on declaration, type and content).
/// Returns its id and whether it was new.
pub fn record(
    conn: &Connection,
    declaration_id: i64,
    doc_type: &str,
    file_name: &str,
    body: &[u8],
    source: &str,
    at: &str,
) -> Result<(i64, bool), JournalError> {
    let sha = hex::encode(Sha256::digest(body));
    let n = conn.execute(
        "INSERT INTO documents (declaration_id, doc_type, file_name, sha256, body, state, next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6, ?6)
         ON CONFLICT(declaration_id, doc_type, sha256) DO NOTHING",
        params![declaration_id, doc_type, file_name, sha, body, at],
    )?;
    let id: i64 = conn.query_row(
        "SELECT id FROM documents WHERE declaration_id = ?1 AND doc_type = ?2 AND sha256 = ?3",
        params![declaration_id, doc_type, sha],
        |r| r.get(0),
    )?;
    if n > 0 {
        store::add_history(
            conn,
            declaration_id,
            "document_received",
            None,
            Some(source),
            Some(
                &json!({"document": id, "type": doc_type, "file": file_name, "size": body.len()})
                    .to_string(),
            ),
            at,
        )?;
    }
    Ok((id, n > 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_hr_ref_and_type() {
        assert_eq!(
            parse_name("ARR-12.bulletin_salaire.PDF"),
            Ok(("ARR-12".into(), "BULLETIN_SALAIRE".into()))
        );
        assert!(matches!(
            parse_name("ARR-12.pdf"),
            Err(DocumentError::BadName(_))
        ));
        assert!(matches!(
            parse_name("x.csv"),
            Err(DocumentError::BadName(_))
        ));
        assert!(matches!(
            parse_name(".X.pdf"),
            Err(DocumentError::BadName(_))
        ));
    }

    #[test]
    fn checks_type_magic_and_size() {
        assert_eq!(check("BULLETIN_SALAIRE", b"%PDF-1.7 ..."), Ok(()));
        assert_eq!(
            check("PHOTO", b"%PDF-1.7"),
            Err(DocumentError::UnknownType("PHOTO".into()))
        );
        assert_eq!(
            check("BULLETIN_SALAIRE", b"GIF89a"),
            Err(DocumentError::NotPdf)
        );
        let big = [b"%PDF-".as_slice(), &vec![b' '; MAX_SIZE]].concat();
        assert!(matches!(
            check("BULLETIN_SALAIRE", &big),
            Err(DocumentError::TooLarge { .. })
        ));
    }
}
