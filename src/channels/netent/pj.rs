//! The CNAM PJ IJ upload (`/indemnites-journalieres-pj`): supporting documents asked for by
//! the CPAM.

use chrono::NaiveDate;
use reqwest::StatusCode;

use super::*;

/// Form fields of the CNAM PJ IJ upload (`POST /indemnites-journalieres-pj`).
#[derive(Debug, Clone)]
pub struct PjForm {
    /// Unique id of the upload (≤ 250 chars).
    pub id_envoi: String,
    pub siret_declare: String,
    /// 15 characters, with key.
    pub nir: crate::model::nir::RawNir,
    pub nature_absence: String,
    pub origine: String,
    pub dernier_jour_travaille: NaiveDate,
    pub motif: String,
    pub type_pieces: String,
    pub commentaire: Option<String>,
    pub file_name: String,
}

impl NetEntClient {
    /// `POST /indemnites-journalieres-pj` (multipart): uploads a PDF the CNAM asked for.
    /// Returns the JSON report (`codeRetour`, `rapportRejet`); a 400 report is returned too.
    pub async fn upload_supporting_document(
        &self,
        form: &PjForm,
        pdf: Vec<u8>,
    ) -> Result<serde_json::Value, NetEntError> {
        let Some(url) = self.cfg.pj_url.clone() else {
            return Err(NetEntError::permanent(
                "config",
                None,
                "pj_url not configured",
            ));
        };
        let acct = self.account_for(&form.siret_declare)?;
        let boundary = format!("ijgate-{:016x}", rand::random::<u64>());
        let body = bytes::Bytes::from(multipart_body(&boundary, form, &pdf));
        let ctype = format!("multipart/form-data; boundary={boundary}");
        let (status, _, answer) = self
            .call(
                acct,
                |h| {
                    h.post(&url)
                        .header(reqwest::header::CONTENT_TYPE, &ctype)
                        .body(body.clone())
                },
                &[400, 409],
            )
            .await?;
        if self.accounts.len() > 1 {
            self.owners().uploads.insert(form.id_envoi.clone(), acct);
        }
        serde_json::from_slice(&answer).map_err(|e| {
            NetEntError::permanent(
                "bad_answer",
                Some(status.as_u16()),
                format!("{e}: {}", truncate(&answer)),
            )
        })
    }

    /// `GET /indemnites-journalieres-pj/{idEnvoi}`: the report of an upload; `None` while
    /// the CNAM does not know it yet (404).
    pub async fn supporting_document_report(
        &self,
        id_envoi: &str,
    ) -> Result<Option<serde_json::Value>, NetEntError> {
        let Some(base) = self.cfg.pj_url.clone() else {
            return Err(NetEntError::permanent(
                "config",
                None,
                "pj_url not configured",
            ));
        };
        if id_envoi.is_empty()
            || id_envoi.len() > 250
            || !id_envoi
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(NetEntError::permanent("config", None, "invalid idEnvoi"));
        }
        let url = format!("{}/{id_envoi}", base.trim_end_matches('/'));
        // The uploading account when known; else each in turn (after a restart).
        let known = self.owners().uploads.get(id_envoi).copied();
        let accts: Vec<usize> = match known {
            Some(i) => vec![i],
            None => (0..self.accounts.len()).collect(),
        };
        for acct in accts {
            let (status, _, answer) = self.call(acct, |h| h.get(&url), &[404]).await?;
            if status == StatusCode::NOT_FOUND {
                continue;
            }
            return serde_json::from_slice(&answer).map(Some).map_err(|e| {
                NetEntError::permanent(
                    "bad_answer",
                    Some(status.as_u16()),
                    format!("{e}: {}", truncate(&answer)),
                )
            });
        }
        Ok(None)
    }
}

fn multipart_body(boundary: &str, f: &PjForm, pdf: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut field = |name: &str, value: &str| {
        out.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    field("idEnvoi", &f.id_envoi);
    field("siretDeclare", &f.siret_declare);
    field("nir", f.nir.expose());
    field("natureAbsence", &f.nature_absence);
    field("origine", &f.origine);
    field(
        "dernierJourTravaille",
        &f.dernier_jour_travaille.format("%Y%m%d").to_string(),
    );
    field("motif", &f.motif);
    field("typePieces", &f.type_pieces);
    if let Some(c) = &f.commentaire {
        field("commentaire", c);
    }
    field("editeur", "ijgate");
    field("logiciel", "ijgate");
    field("versionLogiciel", env!("CARGO_PKG_VERSION"));
    let name: String = f
        .file_name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
        .collect();
    out.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"fichierPj\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(pdf);
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}
