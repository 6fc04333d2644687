//! The synchronous answer of `deposer-dsn` (AEE/ARE), XML or JSON.

use super::*;

/// The synchronous answer of `deposer-dsn`: an AEE or an ARE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DepositAnswer {
    Accepted {
        idflux: String,
        rapport: Box<Rapport>,
    },
    Rejected {
        rapport: Box<Rapport>,
    },
}

impl DepositAnswer {
    /// Reads the answer body: XML `gipmds:rapport` (v1.0, and v2.0 as the mock sends it even
    /// under `application/json`) or JSON (v2.0). Sniffs the body, not the Content-Type.
    pub fn parse(body: &[u8]) -> Result<DepositAnswer, RapportError> {
        let trimmed = body
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(body)
            .trim_ascii_start();
        let rapport = match trimmed.first() {
            Some(b'<') => Rapport::parse(trimmed)?,
            Some(b'{') => rapport_from_json(trimmed)?,
            _ => {
                let head = String::from_utf8_lossy(&trimmed[..trimmed.len().min(40)]).into_owned();
                return Err(RapportError::UnknownAnswer(head));
            }
        };
        Ok(match (&rapport.envoi.etat, rapport.envoi.idflux.clone()) {
            (Statut::Ok, Some(idflux)) if rapport.type_code != "ARE" => DepositAnswer::Accepted {
                idflux,
                rapport: Box::new(rapport),
            },
            _ => DepositAnswer::Rejected {
                rapport: Box::new(rapport),
            },
        })
    }
}

/// JSON form of the AEE/ARE. [assumption: the v2.0 JSON mirrors the XML element names, with
/// or without a `rapport` wrapper; we look fields up by name at any depth.]
pub(super) fn rapport_from_json(body: &[u8]) -> Result<Rapport, RapportError> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| RapportError::Json(e.to_string()))?;
    fn find<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
        match v {
            serde_json::Value::Object(m) => {
                m.get(key).or_else(|| m.values().find_map(|c| find(c, key)))
            }
            serde_json::Value::Array(a) => a.iter().find_map(|c| find(c, key)),
            _ => None,
        }
    }
    fn s(v: &serde_json::Value, key: &str) -> Option<String> {
        find(v, key).and_then(|x| match x {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    }
    let type_code = s(&v, "type").ok_or(RapportError::Missing("type"))?;
    let mut anomalies = Vec::new();
    if let Some(list) = find(&v, "envoi_anomalie") {
        let items: Vec<&serde_json::Value> = match list {
            serde_json::Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for item in items {
            anomalies.push(Anomaly {
                code: s(item, "code").unwrap_or_default(),
                severity: None,
                message: s(item, "message").unwrap_or_default(),
                line: s(item, "numero_ligne").and_then(|n| n.parse().ok()),
                count: None,
                rubric: None,
                related: Vec::new(),
                individuals: Vec::new(),
            });
        }
    }
    Ok(Rapport {
        nature: nature_of_type(&type_code),
        type_code,
        profil: s(&v, "profil"),
        version: s(&v, "version"),
        message: None,
        envoi: Envoi {
            declarant: None,
            idflux: s(&v, "idflux"),
            identifiant: s(&v, "identifiant"),
            version_norme: None,
            point_de_depot: s(&v, "point_de_depot"),
            type_envoi: None,
            essai_reel: s(&v, "essai_reel").as_deref().and_then(EssaiReel::parse),
            emetteur_siret: s(&v, "emetteur_siret"),
            raison_sociale: None,
            logiciel: None,
            editeur: None,
            version_logiciel: None,
            received_at: date_time(
                s(&v, "date_reception").as_deref(),
                s(&v, "heure_reception").as_deref(),
            ),
            recorded_at: None,
            etat: s(&v, "envoi_etat")
                .map(|e| Statut::parse(&e))
                .unwrap_or(Statut::Other(String::new())),
            anomalies,
        },
        declarations: Vec::new(),
        communication: Vec::new(),
    })
}
