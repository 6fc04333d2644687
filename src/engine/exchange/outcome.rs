//! What the workflow does with a return: the mapping of a parsed [`Rapport`] (formats) to a
//! business [`ReturnOutcome`], by nature and status. Workflow, not format: it lives in the
//! engine, beside the decisions that act on it (`decide::return_state`).

use serde::{Deserialize, Serialize};

use crate::formats::rapport::{Anomaly, Rapport, Statut};

/// What the workflow does with a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReturnOutcome {
    /// Nature 10 AEE: the file is registered under `idflux`.
    TechnicalAccepted { idflux: String },
    /// Nature 10 ARE: the file was refused; nothing was registered.
    TechnicalRejected { anomalies: Vec<Anomaly> },
    /// Nature 11: certificate of conformity (OK), anomalies (ANO) or rejection (KO).
    Conformity {
        status: Conformity,
        anomalies: Vec<Anomaly>,
    },
    /// Nature 30 (and 32): the CNAM received the signalement.
    CnamAck,
    /// Nature 31/33/36/38 OK: the CNAM built the salary attestation.
    CnamAccepted,
    /// Nature 31/33/36/38 KO.
    CnamRejected { anomalies: Vec<Anomaly> },
    /// The CNAM asks for supporting documents (to send through the CNAM PJ IJ API).
    DocumentsRequested {
        types: Vec<String>,
        anomalies: Vec<Anomaly>,
    },
    /// 21/22/23 (and a rejected 20 identification): the attestation cannot be built from the
    /// DSN; the employer must use the DSIJ on net-entreprises.
    NonReconstitution {
        nature: String,
        message: Option<String>,
        anomalies: Vec<Anomaly>,
    },
    /// Anything to forward without action (20 OK, 34, 50, 51, unknown natures).
    Info { nature: Option<String> },
}

impl ReturnOutcome {
    /// Stable label for journal rows, metrics and alerts.
    pub fn label(&self) -> &'static str {
        match self {
            ReturnOutcome::TechnicalAccepted { .. } => "technical_accepted",
            ReturnOutcome::TechnicalRejected { .. } => "technical_rejected",
            ReturnOutcome::Conformity {
                status: Conformity::Ok,
                ..
            } => "conformity_ok",
            ReturnOutcome::Conformity {
                status: Conformity::Ano,
                ..
            } => "conformity_ano",
            ReturnOutcome::Conformity {
                status: Conformity::Ko,
                ..
            } => "conformity_ko",
            ReturnOutcome::CnamAck => "cnam_ack",
            ReturnOutcome::CnamAccepted => "cnam_accepted",
            ReturnOutcome::CnamRejected { .. } => "cnam_rejected",
            ReturnOutcome::DocumentsRequested { .. } => "documents_requested",
            ReturnOutcome::NonReconstitution { .. } => "non_reconstitution",
            ReturnOutcome::Info { .. } => "info",
        }
    }

    /// True when a person must act (correct, send documents, use the DSIJ).
    pub fn needs_action(&self) -> bool {
        matches!(
            self,
            ReturnOutcome::TechnicalRejected { .. }
                | ReturnOutcome::Conformity {
                    status: Conformity::Ko,
                    ..
                }
                | ReturnOutcome::CnamRejected { .. }
                | ReturnOutcome::DocumentsRequested { .. }
                | ReturnOutcome::NonReconstitution { .. }
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Conformity {
    Ok,
    Ano,
    Ko,
}

impl Rapport {
    /// Maps the return to what the workflow must do. `listing_nature` is the nature given by
    /// the listing (authoritative when the `type` attribute is not a nature, e.g. `GSIJ`).
    pub fn outcome(&self, listing_nature: Option<&str>) -> ReturnOutcome {
        let nature = listing_nature
            .map(str::to_string)
            .or_else(|| self.nature.clone());
        let status = self.overall_status();
        let anomalies = self.all_anomalies();
        if let Some(types) = self.documents_requested() {
            return ReturnOutcome::DocumentsRequested { types, anomalies };
        }
        match nature.as_deref() {
            Some("10") => match (
                self.type_code.as_str(),
                &self.envoi.etat,
                &self.envoi.idflux,
            ) {
                ("AEE", Statut::Ok, Some(id)) | ("10", Statut::Ok, Some(id)) => {
                    ReturnOutcome::TechnicalAccepted { idflux: id.clone() }
                }
                _ => ReturnOutcome::TechnicalRejected { anomalies },
            },
            Some("11") => {
                let status = match status {
                    Statut::Ok => Conformity::Ok,
                    Statut::Ano => Conformity::Ano,
                    _ => Conformity::Ko,
                };
                ReturnOutcome::Conformity { status, anomalies }
            }
            Some("20") => match status {
                Statut::Ko => ReturnOutcome::NonReconstitution {
                    nature: "20".into(),
                    message: self.message.clone(),
                    anomalies,
                },
                _ => ReturnOutcome::Info { nature },
            },
            Some(n @ ("21" | "22" | "23")) => ReturnOutcome::NonReconstitution {
                nature: n.to_string(),
                message: self.message.clone(),
                anomalies,
            },
            Some("30" | "32") => ReturnOutcome::CnamAck,
            Some("31" | "33" | "36" | "38") => match status {
                Statut::Ok | Statut::Ano => ReturnOutcome::CnamAccepted,
                _ => ReturnOutcome::CnamRejected { anomalies },
            },
            _ => ReturnOutcome::Info { nature },
        }
    }
}
