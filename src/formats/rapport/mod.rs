//! API DSN returns (`gipmds:rapport`, schema `dsn_bilans_v02r03.xsd`) and the synchronous
//! deposit answer (AEE/ARE), read into a typed [`Rapport`], plus the mapping of a return to the
//! business [`ReturnOutcome`] the workflow acts on.
//!
//! Also reads the complementary organisms' CRM (nature 51, `Fichier` root of
//! `CRM-DSN-OC-P3`) into the same shape, so the workflow sees one type for every return.
//!
//! Invariants:
//! - parsing is namespace-aware on the root (`rapport` in `http://www.gip-mds.fr/`, whatever
//!   the prefix: `gipmds:`, `ns2:`); inner elements are unqualified as in the XSD;
//! - unknown elements are ignored (the schema grows every year), missing optional ones are
//!   `None`; only a missing root or `envoi` is an error;
//! - NIRs are [`RawNir`] (masked in `Debug`; stored in full in the journal).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::xml_tree::{self, Element, XmlError};
use crate::model::nir::RawNir;

pub const GIPMDS_NS: &str = "http://www.gip-mds.fr/";

#[derive(Debug, thiserror::Error)]
pub enum RapportError {
    #[error("return document: {0}")]
    Xml(#[from] XmlError),
    #[error("return document: root element is <{0}>, expected gipmds:rapport or Fichier (CRM OC)")]
    UnexpectedRoot(String),
    #[error("return document: root <rapport> is not in namespace {GIPMDS_NS} (found {0:?})")]
    WrongNamespace(Option<String>),
    #[error("return document: missing element {0}")]
    Missing(&'static str),
    #[error("deposit answer: neither XML nor JSON ({0})")]
    UnknownAnswer(String),
    #[error("deposit answer JSON: {0}")]
    Json(String),
}

/// `OK`, `ANO`, `KO`, `EN COURS` (+ anything new, kept verbatim).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Statut {
    Ok,
    Ano,
    Ko,
    EnCours,
    Other(String),
}

impl Statut {
    pub fn parse(s: &str) -> Statut {
        match s.trim().to_ascii_uppercase().as_str() {
            "OK" => Statut::Ok,
            "ANO" => Statut::Ano,
            "KO" => Statut::Ko,
            "EN COURS" | "EN_COURS" | "ENCOURS" => Statut::EnCours,
            other => Statut::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Statut::Ok => "OK",
            Statut::Ano => "ANO",
            Statut::Ko => "KO",
            Statut::EnCours => "EN COURS",
            Statut::Other(s) => s,
        }
    }
}

/// S10.G00.00.005: test file or real declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EssaiReel {
    Essai,
    Reel,
}

impl EssaiReel {
    fn parse(s: &str) -> Option<EssaiReel> {
        match s.trim() {
            "01" => Some(EssaiReel::Essai),
            "02" => Some(EssaiReel::Reel),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            EssaiReel::Essai => "01",
            EssaiReel::Reel => "02",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    Blocking,
    NonBlocking,
}

/// A rubric quoted by an anomaly (`rubrique_declenchante` / `rubrique_associee`), or the
/// `RubriqueBlocRetour` of a CRM OC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RubricRef {
    /// `Sxx.Gxx.xx.xxx` or a bloc `Sxx.Gxx.xx`.
    pub id: String,
    pub label: Option<String>,
    pub value: Option<String>,
}

/// An individual named by an anomaly (`environnement/salarie`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Individual {
    #[serde(with = "crate::model::nir::full_opt", default)]
    pub nir: Option<RawNir>,
    #[serde(with = "crate::model::nir::full_opt", default)]
    pub ntt: Option<RawNir>,
    pub family_name: Option<String>,
    pub first_names: Option<String>,
    pub birth_date: Option<String>,
    pub employee_number: Option<String>,
    pub origin: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anomaly {
    pub code: String,
    pub severity: Option<Severity>,
    pub message: String,
    /// Line in the deposited text file (envoi-level syntax anomalies).
    pub line: Option<u32>,
    /// Number of identical anomalies.
    pub count: Option<u32>,
    pub rubric: Option<RubricRef>,
    pub related: Vec<RubricRef>,
    pub individuals: Vec<Individual>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declarant {
    pub siret: String,
    pub nom: Option<String>,
    pub prenom: Option<String>,
}

/// `envoi` block: the file as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envoi {
    pub declarant: Option<Declarant>,
    pub idflux: Option<String>,
    /// File name or `MtoM`.
    pub identifiant: Option<String>,
    pub version_norme: Option<String>,
    pub point_de_depot: Option<String>,
    pub type_envoi: Option<String>,
    pub essai_reel: Option<EssaiReel>,
    pub emetteur_siret: Option<String>,
    pub raison_sociale: Option<String>,
    pub logiciel: Option<String>,
    pub editeur: Option<String>,
    pub version_logiciel: Option<String>,
    pub received_at: Option<NaiveDateTime>,
    pub recorded_at: Option<NaiveDateTime>,
    pub etat: Statut,
    pub anomalies: Vec<Anomaly>,
}

/// `declaration` block: one S20 declaration of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declaration {
    pub rang: Option<u32>,
    /// S20.G00.05.001 as written (`04`, or `4` in CNAM reports).
    pub nature: Option<String>,
    pub type_decl: Option<String>,
    pub fraction: Option<String>,
    pub ordre: Option<String>,
    pub mois: Option<String>,
    /// S20.G00.05.009: correlates a signalement with the gateway's dossier.
    pub identifiant_metier: Option<String>,
    pub id_annulation: Option<String>,
    pub siren: Option<String>,
    pub nic_siege: Option<String>,
    pub nic_affectation: Option<String>,
    pub etat: Statut,
    pub salaries: Option<u32>,
    /// `niveau_conformite/etat_conformite` (nature 11).
    pub conformite: Option<Statut>,
    pub certificat_conformite: Option<String>,
    pub anomalies: Vec<Anomaly>,
}

/// One line of a collective communication (nature 34: AT/MP rate per section).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectiveInfo {
    /// `atmp`, `bmcc`.
    pub kind: Option<String>,
    pub computed_at: Option<String>,
    /// (`patronale`|`salariale`|`CCP`, rate in %).
    pub rates: Vec<(String, Decimal)>,
    /// All `rubrique_*` of the information (keys, payroll, declaration data), by name.
    pub rubriques: Vec<(String, String)>,
}

/// A return as published by net-entreprises (or the synchronous AEE/ARE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rapport {
    /// The `type` attribute verbatim: `AEE`, `ARE`, `CCO`, `BAN`, `20`, `21`, `31`, `GSIJ`, …
    /// (`CRM-OC` for a complementary organism's CRM).
    pub type_code: String,
    /// Return nature (10, 11, 20, 21, …) derived from `type_code` when it says so.
    pub nature: Option<String>,
    pub profil: Option<String>,
    pub version: Option<String>,
    /// Root `message` attribute (21/22/23: the non-reconstitution sentence).
    pub message: Option<String>,
    pub envoi: Envoi,
    pub declarations: Vec<Declaration>,
    pub communication: Vec<CollectiveInfo>,
}

/// Supporting documents the CNAM asks for (names of the CNAM PJ IJ `typePieces`).
pub const DOCUMENT_TYPES: &[&str] = &[
    "ATTESTATION_CURE",
    "BULLETIN_HOSPITALISATION",
    "JUSTIFICATIF_ECART_SALAIRE",
    "ACTE_DECES_ENFANT",
    "NON_RECLASSEMENT",
    "ACTE_NAISSANCE_ENFANT",
    "CONGES_PARENTAL",
    "CONTRAT_APPRENTISSAGE",
    "CONGE_ADOPTION",
    "BULLETIN_SALAIRE",
    "DECALAGE_GROSSESSE",
    "ACCIDENT_TRAVAIL",
    "CONGES_PATERNITE",
    "RIB_EMPLOYEUR",
    "CONGES_COORDINATION",
    "ARRET_POMPIER",
    "DECLARATION_FRACTIONNEMENT",
];

/// Anomaly code the sandbox (and, by assumption, the CNAM report) uses to ask for
/// supporting documents. [assumption: no public example of this return exists; detection
/// also accepts any anomaly whose message mentions "pièce(s) justificative(s)".]
pub const DOCUMENTS_REQUESTED_CODE: &str = "PJIJ";

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
    /// Parses a return document (gipmds rapport or CRM OC).
    pub fn parse(bytes: &[u8]) -> Result<Rapport, RapportError> {
        let root = xml_tree::parse(bytes)?;
        match root.name.as_str() {
            "rapport" => {
                if root.ns.as_deref() != Some(GIPMDS_NS) {
                    return Err(RapportError::WrongNamespace(root.ns.clone()));
                }
                from_rapport(&root)
            }
            "Fichier" => Ok(from_crm_oc(&root)),
            other => Err(RapportError::UnexpectedRoot(other.to_string())),
        }
    }

    /// Every anomaly, envoi level first.
    pub fn all_anomalies(&self) -> Vec<Anomaly> {
        let mut all = self.envoi.anomalies.clone();
        for d in &self.declarations {
            all.extend(d.anomalies.iter().cloned());
        }
        all
    }

    /// The worst state among envoi and declarations (KO > ANO > OK).
    pub fn overall_status(&self) -> Statut {
        let mut worst = self.envoi.etat.clone();
        for d in &self.declarations {
            worst = worse(worst, d.etat.clone());
            if let Some(c) = &d.conformite {
                worst = worse(worst, c.clone());
            }
        }
        worst
    }

    /// Identifiants métier (S20.G00.05.009) named in the return.
    pub fn identifiants_metier(&self) -> Vec<&str> {
        self.declarations
            .iter()
            .filter_map(|d| d.identifiant_metier.as_deref())
            .collect()
    }

    /// Document types requested, if this return asks for supporting documents.
    pub fn documents_requested(&self) -> Option<Vec<String>> {
        let mut types = Vec::new();
        let mut asked = false;
        for a in self.all_anomalies() {
            let msg = a.message.to_lowercase();
            if a.code == DOCUMENTS_REQUESTED_CODE
                || msg.contains("pièce justificative")
                || msg.contains("pièces justificatives")
            {
                asked = true;
                let candidates = a
                    .rubric
                    .iter()
                    .chain(a.related.iter())
                    .filter_map(|r| r.value.clone())
                    .chain(
                        a.message
                            .split([',', ':', ';', ' '])
                            .map(|s| s.trim().to_string()),
                    );
                for c in candidates {
                    if DOCUMENT_TYPES.contains(&c.as_str()) && !types.contains(&c) {
                        types.push(c);
                    }
                }
            }
        }
        asked.then_some(types)
    }

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

fn worse(a: Statut, b: Statut) -> Statut {
    fn rank(s: &Statut) -> u8 {
        match s {
            Statut::Ok => 0,
            Statut::EnCours => 1,
            Statut::Ano => 2,
            Statut::Other(_) => 3,
            Statut::Ko => 4,
        }
    }
    if rank(&b) > rank(&a) { b } else { a }
}

/// Nature implied by the `type` attribute.
pub fn nature_of_type(type_code: &str) -> Option<String> {
    match type_code {
        "AEE" | "ARE" => Some("10".into()),
        "CCO" | "BAN" => Some("11".into()),
        "GSIJ" => Some("31".into()),
        "CRM-OC" => Some("51".into()),
        t if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) => Some(t.to_string()),
        _ => None,
    }
}

fn text(el: &Element, name: &str) -> Option<String> {
    el.child_text(name).map(str::to_string)
}

fn date_time(date: Option<&str>, time: Option<&str>) -> Option<NaiveDateTime> {
    let d = NaiveDate::parse_from_str(date?, "%Y-%m-%d").ok()?;
    let t = time
        .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M:%S").ok())
        .unwrap_or(NaiveTime::MIN);
    Some(d.and_time(t))
}

fn from_rapport(root: &Element) -> Result<Rapport, RapportError> {
    let type_code = root.attr("type").unwrap_or_default().to_string();
    let envoi_el = root.child("envoi").ok_or(RapportError::Missing("envoi"))?;
    let ident = envoi_el.child("envoi_identification");
    let empty = Element::default();
    let ident = ident.unwrap_or(&empty);
    let declarant = ident.child("declarant").and_then(|d| {
        Some(Declarant {
            siret: text(d, "siret")?,
            nom: text(d, "nom"),
            prenom: text(d, "prenom"),
        })
    });
    let etat = envoi_el
        .path_text(&["envoi_bilan", "envoi_etat"])
        .map(Statut::parse)
        .unwrap_or(Statut::Other(String::new()));
    let envoi = Envoi {
        declarant,
        idflux: text(ident, "idflux"),
        identifiant: text(ident, "identifiant"),
        version_norme: text(ident, "version_norme"),
        point_de_depot: text(ident, "point_de_depot"),
        type_envoi: text(ident, "type_envoi"),
        essai_reel: ident.child_text("essai_reel").and_then(EssaiReel::parse),
        emetteur_siret: text(ident, "emetteur_siret"),
        raison_sociale: text(ident, "raison_sociale"),
        logiciel: text(ident, "nom_logiciel"),
        editeur: text(ident, "editeur_logiciel"),
        version_logiciel: text(ident, "version_logiciel"),
        received_at: date_time(
            ident.child_text("date_reception"),
            ident.child_text("heure_reception"),
        ),
        recorded_at: date_time(
            ident.child_text("date_enregistrement"),
            ident.child_text("heure_enregistrement"),
        ),
        etat,
        anomalies: envoi_el
            .children_named("envoi_anomalie")
            .map(anomaly)
            .collect(),
    };
    let declarations = root
        .children_named("declaration")
        .map(declaration)
        .collect();
    let communication = root
        .child("communication")
        .map(|c| {
            c.children_named("information_collective")
                .flat_map(|ic| {
                    ic.children_named("calcul").flat_map(move |calc| {
                        calc.children_named("information").map(move |info| {
                            collective_info(ic.attr("type"), calc.attr("date_calcul"), info)
                        })
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Rapport {
        nature: nature_of_type(&type_code),
        type_code,
        profil: root.attr("profil").map(str::to_string),
        version: root.attr("version").map(str::to_string),
        message: root.attr("message").map(str::to_string),
        envoi,
        declarations,
        communication,
    })
}

fn collective_info(kind: Option<&str>, at: Option<&str>, info: &Element) -> CollectiveInfo {
    let mut rates = Vec::new();
    let mut rubriques = Vec::new();
    collect_info(info, &mut rates, &mut rubriques);
    CollectiveInfo {
        kind: kind.map(str::to_string),
        computed_at: at.map(str::to_string),
        rates,
        rubriques,
    }
}

fn collect_info(el: &Element, rates: &mut Vec<(String, Decimal)>, rub: &mut Vec<(String, String)>) {
    for c in &el.children {
        if c.name == "taux" {
            if let Ok(v) = c.text.parse::<Decimal>() {
                rates.push((c.attr("part").unwrap_or_default().to_string(), v));
            }
        } else if c.name.starts_with("rubrique_") {
            rub.push((
                c.attr("name").unwrap_or_default().to_string(),
                c.text.clone(),
            ));
        } else {
            collect_info(c, rates, rub);
        }
    }
}

fn declaration(d: &Element) -> Declaration {
    let empty = Element::default();
    let id = d.child("declaration_identification").unwrap_or(&empty);
    let bilan = d.child("declaration_bilan").unwrap_or(&empty);
    Declaration {
        rang: id.child_text("rang").and_then(|r| r.parse().ok()),
        nature: text(id, "nature"),
        type_decl: text(id, "type"),
        fraction: text(id, "fraction"),
        ordre: text(id, "ordre"),
        mois: text(id, "mois"),
        identifiant_metier: text(id, "identifiant_metier"),
        id_annulation: text(id, "id_annulation"),
        siren: text(id, "SIREN"),
        nic_siege: text(id, "nic_siege"),
        nic_affectation: text(id, "nic_affectation"),
        etat: bilan
            .child_text("etat")
            .map(Statut::parse)
            .unwrap_or(Statut::Other(String::new())),
        salaries: bilan
            .path_text(&["declaration_contenu", "salaries"])
            .and_then(|s| s.parse().ok()),
        conformite: bilan
            .path_text(&["niveau_conformite", "etat_conformite"])
            .map(Statut::parse),
        certificat_conformite: bilan
            .path_text(&["niveau_conformite", "certificat_conformite"])
            .map(str::to_string),
        anomalies: d
            .children_named("declaration_anomalie")
            .map(anomaly)
            .collect(),
    }
}

fn rubric(r: &Element) -> Option<RubricRef> {
    Some(RubricRef {
        id: text(r, "identifiant")?,
        label: text(r, "libelle"),
        value: text(r, "valeur"),
    })
}

fn anomaly(a: &Element) -> Anomaly {
    let empty = Element::default();
    let desc = a.child("description").unwrap_or(&empty);
    let valeurs = a.child("valeurs");
    let individuals = a
        .child("environnement")
        .map(|env| {
            env.children
                .iter()
                .filter(|c| c.name == "salarie" || c.name == "individu_non_salarie")
                .map(|s| Individual {
                    nir: s.child_text("NIR").map(RawNir::new),
                    ntt: s.child_text("NTT").map(RawNir::new),
                    family_name: text(s, "nom_famille"),
                    first_names: text(s, "prenoms"),
                    birth_date: text(s, "date_naissance"),
                    employee_number: text(s, "matricule"),
                    origin: s.attr("origine").map(str::to_string),
                })
                .collect()
        })
        .unwrap_or_default();
    Anomaly {
        code: text(desc, "code").unwrap_or_default(),
        severity: desc.child_text("categorie").and_then(|c| match c {
            "bloquant" => Some(Severity::Blocking),
            "non-bloquant" => Some(Severity::NonBlocking),
            _ => None,
        }),
        // Messages carry the source's line breaks and indentation; keep words only.
        message: desc
            .child_text("message")
            .map(|m| m.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        line: desc.child_text("numero_ligne").and_then(|n| n.parse().ok()),
        count: desc.child_text("nombre").and_then(|n| n.parse().ok()),
        rubric: valeurs
            .and_then(|v| v.child("rubrique_declenchante"))
            .and_then(rubric),
        related: valeurs
            .map(|v| {
                v.children_named("rubrique_associee")
                    .filter_map(rubric)
                    .collect()
            })
            .unwrap_or_default(),
        individuals,
    }
}

/// CRM of a complementary organism (return nature 51), mapped onto [`Rapport`].
fn from_crm_oc(root: &Element) -> Rapport {
    let received = root
        .attr("DateHeureReceptionDep")
        .and_then(|s| NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").ok());
    let declarations: Vec<Declaration> = root
        .children_named("Declaration")
        .map(|d| {
            // CodeRetourDecla: 0 accepted, 1 accepted with corrections, 2 partly, 3 refused.
            let etat = match d.attr("CodeRetourDecla") {
                Some("0") | None => Statut::Ok,
                Some("1") | Some("2") => Statut::Ano,
                Some("3") => Statut::Ko,
                Some(other) => Statut::Other(other.to_string()),
            };
            Declaration {
                rang: d.attr("IdDec").and_then(|r| r.parse().ok()),
                nature: d.attr("NatureDecla").map(str::to_string),
                type_decl: d.attr("TypeDecla").map(str::to_string),
                fraction: d.attr("FractionDecla").map(str::to_string),
                ordre: d.attr("NoOrdreDecla").map(str::to_string),
                mois: d.attr("DateMoisDec").map(str::to_string),
                identifiant_metier: None,
                id_annulation: None,
                siren: d.attr("SirenDecla").map(str::to_string),
                nic_siege: d.attr("NicSiegeDecla").map(str::to_string),
                nic_affectation: d.attr("NicAffectation").map(str::to_string),
                etat,
                salaries: d.attr("NbreSal").and_then(|n| n.parse().ok()),
                conformite: None,
                certificat_conformite: None,
                anomalies: d
                    .children_named("RetourMetier")
                    .map(|r| Anomaly {
                        code: r.attr("CodeRetourMetier").unwrap_or_default().to_string(),
                        severity: r.attr("CodeRetourMetier").map(|c| {
                            if c.starts_with('I') {
                                Severity::NonBlocking
                            } else {
                                Severity::Blocking
                            }
                        }),
                        message: [r.attr("LibelCodeRetourMetier"), r.attr("DescriptionRetour")]
                            .into_iter()
                            .flatten()
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join(" - "),
                        line: None,
                        count: r.attr("NbErreursSimilaires").and_then(|n| n.parse().ok()),
                        rubric: r.attr("RubriqueBlocRetour").map(|id| RubricRef {
                            id: id.to_string(),
                            label: r.attr("LibelRubBlocRetour").map(str::to_string),
                            value: r.attr("ValeurRubriqueErreur").map(str::to_string),
                        }),
                        related: Vec::new(),
                        individuals: Vec::new(),
                    })
                    .collect(),
            }
        })
        .collect();
    Rapport {
        type_code: "CRM-OC".into(),
        nature: Some("51".into()),
        profil: None,
        version: root.attr("VersionCRM").map(str::to_string),
        message: None,
        envoi: Envoi {
            declarant: None,
            idflux: root.attr("IdEnvoi").map(str::to_string),
            identifiant: None,
            version_norme: root.attr("VersionNorme").map(str::to_string),
            point_de_depot: root.attr("PointDepot").map(str::to_string),
            type_envoi: root.attr("TypeEnvoi").map(str::to_string),
            essai_reel: None,
            emetteur_siret: root.attr("SiretEmetteur").map(str::to_string),
            raison_sociale: root.attr("NomEmetteur").map(str::to_string),
            logiciel: None,
            editeur: None,
            version_logiciel: None,
            received_at: received,
            recorded_at: None,
            etat: Statut::Ok,
            anomalies: Vec::new(),
        },
        declarations,
        communication: Vec::new(),
    }
}

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
fn rapport_from_json(body: &[u8]) -> Result<Rapport, RapportError> {
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

// ---------------------------------------------------------------- writers (sandbox side)

/// Data for writing a return (the sandbox publishes returns in the real shape).
#[derive(Debug, Clone)]
pub struct RapportSpec {
    pub type_code: String,
    pub message: Option<String>,
    pub declarant: Option<Declarant>,
    pub idflux: String,
    pub essai_reel: Option<EssaiReel>,
    pub emetteur_siret: String,
    pub received_at: NaiveDateTime,
    pub envoi_etat: Statut,
    pub envoi_anomalies: Vec<Anomaly>,
    pub declarations: Vec<Declaration>,
}

fn anomaly_el(name: &str, a: &Anomaly) -> Element {
    let mut desc = Element::new("description").with_child(Element::leaf("code", &a.code));
    if let Some(sev) = a.severity {
        desc.push(Element::leaf(
            "categorie",
            match sev {
                Severity::Blocking => "bloquant",
                Severity::NonBlocking => "non-bloquant",
            },
        ));
    }
    desc.push(Element::leaf("message", &a.message));
    let desc = desc
        .with_opt("numero_ligne", a.line.map(|n| n.to_string()))
        .with_opt("nombre", a.count.map(|n| n.to_string()));
    let mut el = Element::new(name).with_child(desc);
    let rub = |tag: &str, r: &RubricRef| {
        Element::new(tag)
            .with_child(Element::leaf("identifiant", &r.id))
            .with_opt("libelle", r.label.clone())
            .with_child(Element::leaf("valeur", r.value.clone().unwrap_or_default()))
    };
    if let Some(r) = &a.rubric {
        let mut v = Element::new("valeurs").with_child(rub("rubrique_declenchante", r));
        for rr in &a.related {
            v.push(rub("rubrique_associee", rr));
        }
        el.push(v);
    }
    if !a.individuals.is_empty() {
        let mut env = Element::new("environnement");
        for i in &a.individuals {
            let mut s = Element::new("salarie");
            if let Some(o) = &i.origin {
                s = s.with_attr("origine", o);
            }
            s = s
                .with_opt("NIR", i.nir.as_ref().map(|n| n.expose().to_string()))
                .with_opt("NTT", i.ntt.as_ref().map(|n| n.expose().to_string()))
                .with_opt("nom_famille", i.family_name.clone())
                .with_opt("prenoms", i.first_names.clone())
                .with_opt("date_naissance", i.birth_date.clone())
                .with_opt("matricule", i.employee_number.clone());
            env.push(s);
        }
        el.push(env);
    }
    el
}

/// Writes a `gipmds:rapport` following `dsn_bilans_v02r03.xsd` element order.
pub fn write_rapport(spec: &RapportSpec) -> String {
    let mut ident = Element::new("envoi_identification");
    if let Some(d) = &spec.declarant {
        ident.push(
            Element::new("declarant")
                .with_child(Element::leaf("siret", &d.siret))
                .with_child(Element::leaf("nom", d.nom.clone().unwrap_or_default()))
                .with_child(Element::leaf(
                    "prenom",
                    d.prenom.clone().unwrap_or_default(),
                )),
        );
    }
    let ident = ident
        .with_child(Element::leaf("idflux", &spec.idflux))
        .with_child(Element::leaf("identifiant", "MtoM"))
        .with_child(Element::leaf("point_de_depot", "01"))
        .with_child(Element::leaf(
            "essai_reel",
            spec.essai_reel.map(|e| e.code()).unwrap_or_default(),
        ))
        .with_child(Element::leaf("emetteur_siret", &spec.emetteur_siret))
        .with_child(Element::leaf(
            "date_reception",
            spec.received_at.format("%Y-%m-%d").to_string(),
        ))
        .with_child(Element::leaf(
            "heure_reception",
            spec.received_at.format("%H:%M:%S").to_string(),
        ));
    let mut envoi = Element::new("envoi").with_child(ident).with_child(
        Element::new("envoi_bilan")
            .with_child(Element::leaf("envoi_etat", spec.envoi_etat.as_str())),
    );
    for a in &spec.envoi_anomalies {
        envoi.push(anomaly_el("envoi_anomalie", a));
    }
    let mut root = Element::new("rapport")
        .with_attr("type", &spec.type_code)
        .with_attr("profil", "DSN")
        .with_attr("version", "v02r03");
    if let Some(m) = &spec.message {
        root = root.with_attr("message", m);
    }
    root = root
        .with_attr("xmlns:gipmds", GIPMDS_NS)
        .with_attr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance");
    root.prefix = Some("gipmds".into());
    root.push(envoi);
    for d in &spec.declarations {
        let id = Element::new("declaration_identification")
            .with_child(Element::leaf("rang", d.rang.unwrap_or(1).to_string()))
            .with_opt("nature", d.nature.clone())
            .with_opt("type", d.type_decl.clone())
            .with_opt("fraction", d.fraction.clone())
            .with_opt("ordre", d.ordre.clone())
            .with_opt("mois", d.mois.clone())
            .with_opt("identifiant_metier", d.identifiant_metier.clone())
            .with_child(Element::leaf("SIREN", d.siren.clone().unwrap_or_default()))
            .with_opt("nic_siege", d.nic_siege.clone())
            .with_child(Element::leaf(
                "nic_affectation",
                d.nic_affectation.clone().unwrap_or_default(),
            ));
        let mut bilan =
            Element::new("declaration_bilan").with_child(Element::leaf("etat", d.etat.as_str()));
        if let Some(n) = d.salaries {
            bilan.push(
                Element::new("declaration_contenu")
                    .with_child(Element::leaf("salaries", n.to_string())),
            );
        }
        if let Some(c) = &d.conformite {
            bilan.push(
                Element::new("niveau_conformite")
                    .with_child(Element::leaf("etat_conformite", c.as_str()))
                    .with_opt("certificat_conformite", d.certificat_conformite.clone()),
            );
        }
        let mut decl = Element::new("declaration").with_child(id).with_child(bilan);
        for a in &d.anomalies {
            decl.push(anomaly_el("declaration_anomalie", a));
        }
        root.push(decl);
    }
    root.to_xml()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::reference_dir;

    fn load(name: &str) -> Rapport {
        let path = reference_dir().join("gip-mds").join(name);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Rapport::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    #[test]
    fn nature_10_aee() {
        let r = load("exemple_retour_10_AEE.xml");
        assert_eq!(r.type_code, "AEE");
        assert_eq!(r.nature.as_deref(), Some("10"));
        assert_eq!(r.version.as_deref(), Some("v01r06"));
        assert_eq!(r.envoi.idflux.as_deref(), Some("WSaah7AQlUpYL5RsQssseG."));
        assert_eq!(r.envoi.declarant.as_ref().unwrap().siret, "41027602600029");
        assert_eq!(r.envoi.essai_reel, Some(EssaiReel::Reel));
        assert_eq!(
            r.envoi.received_at.unwrap().to_string(),
            "2015-02-10 11:02:59"
        );
        assert_eq!(r.envoi.etat, Statut::Ok);
        assert_eq!(
            r.outcome(None),
            ReturnOutcome::TechnicalAccepted {
                idflux: "WSaah7AQlUpYL5RsQssseG.".into()
            }
        );
    }

    #[test]
    fn nature_10_are() {
        let r = load("exemple_retour_10_ARE.xml");
        assert_eq!(r.type_code, "ARE");
        assert_eq!(r.envoi.essai_reel, None);
        assert_eq!(r.envoi.etat, Statut::Ko);
        assert_eq!(r.envoi.anomalies.len(), 1);
        assert_eq!(r.envoi.anomalies[0].code, "B1-105-15");
        assert_eq!(
            r.envoi.anomalies[0].message,
            "Le format du fichier depot_mtom n'est pas reconnu."
        );
        match r.outcome(None) {
            ReturnOutcome::TechnicalRejected { anomalies } => assert_eq!(anomalies.len(), 1),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nature_11_ban_and_cco() {
        let r = load("exemple_retour_11_BAN.xml");
        assert_eq!(r.nature.as_deref(), Some("11"));
        assert_eq!(r.envoi.version_norme.as_deref(), Some("P02V01"));
        assert_eq!(r.envoi.editeur.as_deref(), Some("HistoM-1_MtoM-7338-AR"));
        let a = &r.envoi.anomalies[0];
        assert_eq!(a.code, "CSL-01");
        assert_eq!(a.severity, Some(Severity::Blocking));
        assert_eq!(a.line, Some(2));
        let rub = a.rubric.as_ref().unwrap();
        assert_eq!(rub.id, "S10.G00.00.002");
        assert_eq!(rub.label.as_deref(), Some("Nom de l'éditeur"));
        assert_eq!(rub.value.as_deref(), Some("HistoM-1_MtoM-7338-AR"));
        assert!(
            a.message
                .starts_with("La rubrique S10.G00.00.002 est plus longue")
        );
        let d = &r.declarations[0];
        assert_eq!(d.nature.as_deref(), Some("01"));
        assert_eq!(d.siren.as_deref(), Some("300431533"));
        assert_eq!(d.conformite, Some(Statut::Ko));
        assert!(matches!(
            r.outcome(None),
            ReturnOutcome::Conformity {
                status: Conformity::Ko,
                ..
            }
        ));

        let c = load("exemple_retour_11_CCO.xml");
        assert_eq!(c.type_code, "CCO");
        assert_eq!(c.envoi.essai_reel, Some(EssaiReel::Essai));
        assert_eq!(c.envoi.editeur.as_deref(), Some("génielog"));
        assert_eq!(c.declarations[0].conformite, Some(Statut::Ok));
        assert_eq!(c.declarations[0].fraction.as_deref(), Some("32"));
        assert_eq!(
            c.outcome(None),
            ReturnOutcome::Conformity {
                status: Conformity::Ok,
                anomalies: vec![]
            }
        );
    }

    #[test]
    fn nature_20_bis_rejected_identity() {
        let r = load("exemple_retour_20_BIS_evenement.xml");
        assert_eq!(r.nature.as_deref(), Some("20"));
        assert!(
            r.message
                .as_deref()
                .unwrap()
                .contains("l'identité du salarié")
        );
        let d = &r.declarations[0];
        assert_eq!(d.nature.as_deref(), Some("04"));
        assert_eq!(d.identifiant_metier.as_deref(), Some("1"));
        let a = &d.anomalies[0];
        assert_eq!(a.code, "I0320");
        assert_eq!(a.message, "SALARIE_INCONNU");
        let ind = &a.individuals[0];
        assert_eq!(ind.nir.as_ref().unwrap().expose(), "1700102889999");
        assert_eq!(ind.origin.as_deref(), Some("DSN"));
        assert_eq!(ind.employee_number.as_deref(), Some("0002"));
        // The NIR never shows in Debug output.
        assert!(!format!("{r:?}").contains("1700102889999"));
        assert!(matches!(
            r.outcome(None),
            ReturnOutcome::NonReconstitution { ref nature, .. } if nature == "20"
        ));
    }

    #[test]
    fn nature_21_non_reconstitution() {
        let r = load("exemple_retour_21_DSIJ.xml");
        assert_eq!(r.type_code, "21");
        assert_eq!(r.envoi.essai_reel, Some(EssaiReel::Essai));
        let d = &r.declarations[0];
        assert_eq!(d.identifiant_metier.as_deref(), Some("IdtEvt"));
        assert_eq!(d.anomalies.len(), 3);
        assert_eq!(d.anomalies[2].code, "Rémunération");
        assert!(d.anomalies[2].message.contains("SalaireRetabli"));
        match r.outcome(None) {
            ReturnOutcome::NonReconstitution {
                nature,
                message,
                anomalies,
            } => {
                assert_eq!(nature, "21");
                assert!(message.unwrap().contains("utiliser l'ancienne procédure"));
                assert_eq!(anomalies.len(), 3);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nature_22_a6m() {
        let r = load("exemple_retour_22_A6M.xml");
        let d = &r.declarations[0];
        assert_eq!(d.anomalies.len(), 4);
        assert_eq!(d.anomalies[0].code, "D00SB");
        assert_eq!(d.anomalies[3].code, "D00SC");
        assert_eq!(
            d.anomalies[2].individuals[0].nir.as_ref().unwrap().expose(),
            "1751231210091"
        );
        assert_eq!(d.anomalies[0].count, Some(3));
        assert!(matches!(
            r.outcome(None),
            ReturnOutcome::NonReconstitution { ref nature, .. } if nature == "22"
        ));
    }

    #[test]
    fn nature_23_tpt() {
        let r = load("exemple_retour_23_CRM_TPT.xml");
        assert_eq!(r.version.as_deref(), Some("v02r01"));
        assert_eq!(r.envoi.declarant.as_ref().unwrap().siret, "33331123100034");
        assert_eq!(r.declarations[0].etat, Statut::Ano);
        assert_eq!(r.declarations[0].anomalies[0].code, "D00T4");
        assert!(matches!(
            r.outcome(None),
            ReturnOutcome::NonReconstitution { ref nature, .. } if nature == "23"
        ));
    }

    #[test]
    fn nature_31_three_variants() {
        let r1 = load("exemple_retour_31_CRM_CNAM_1.xml");
        assert_eq!(r1.type_code, "31");
        assert_eq!(
            r1.envoi.idflux.as_deref(),
            Some("A8tt3vWBFA47a5RQZf2HAI6000001")
        );
        assert_eq!(r1.declarations[0].nature.as_deref(), Some("4"));
        assert_eq!(r1.declarations[0].nic_affectation.as_deref(), Some("00051"));
        let a = &r1.declarations[0].anomalies[0];
        assert_eq!(a.code, "PMNR");
        assert_eq!(a.individuals[0].nir.as_ref().unwrap().expose().len(), 15);
        assert!(matches!(
            r1.outcome(None),
            ReturnOutcome::CnamRejected { ref anomalies } if anomalies[0].code == "PMNR"
        ));

        let r2 = load("exemple_retour_31_CRM_CNAM_2.xml");
        assert_eq!(r2.envoi.etat, Statut::Ok);
        assert_eq!(r2.outcome(None), ReturnOutcome::CnamAccepted);

        let r3 = load("exemple_retour_31_CRM_CNAM_3.xml");
        assert_eq!(r3.type_code, "GSIJ");
        assert_eq!(r3.version.as_deref(), Some("v01r07"));
        assert_eq!(r3.nature.as_deref(), Some("31"));
        assert!(matches!(
            r3.outcome(Some("31")),
            ReturnOutcome::CnamRejected { .. }
        ));
    }

    #[test]
    fn nature_34_atmp_rates() {
        let r = load("exemple_retour_34_CRM_CNAM.xml");
        assert_eq!(r.envoi.raison_sociale.as_deref(), Some("Raison sociale"));
        assert_eq!(r.envoi.idflux.as_deref(), Some("F1RwdjpMGt6s6mIteMc1IeG"));
        assert_eq!(r.communication.len(), 2);
        let c = &r.communication[0];
        assert_eq!(c.kind.as_deref(), Some("atmp"));
        assert_eq!(c.computed_at.as_deref(), Some("2020-02-23T04:05:11"));
        assert_eq!(
            c.rates,
            vec![("patronale".to_string(), "3.41".parse().unwrap())]
        );
        assert!(c.rubriques.contains(&("codeRisque".into(), "123AB".into())));
        assert_eq!(
            r.communication[1].rates[0].1,
            "1.70".parse::<Decimal>().unwrap()
        );
        assert_eq!(
            r.outcome(None),
            ReturnOutcome::Info {
                nature: Some("34".into())
            }
        );
    }

    #[test]
    fn nature_51_crm_oc() {
        let r = load("CRM-DSN-OC-P3-V1.1.4-Exemple-CRC-17062025.xml");
        assert_eq!(r.nature.as_deref(), Some("51"));
        assert_eq!(
            r.envoi.idflux.as_deref(),
            Some("AZ123...Egfk---jRR__qsdqsd")
        );
        let d = &r.declarations[0];
        assert_eq!(d.etat, Statut::Ano);
        assert_eq!(d.anomalies[0].code, "EADH02");
        assert_eq!(d.anomalies[0].rubric.as_ref().unwrap().id, "S21.G00.15.001");
        assert_eq!(
            d.anomalies[0].rubric.as_ref().unwrap().value.as_deref(),
            Some("C123")
        );
        assert_eq!(d.anomalies[1].severity, Some(Severity::NonBlocking));
        let ar = load("CRM-DSN-OC-P3-V1.1.4-Exemple-AR.xml");
        assert_eq!(ar.declarations[0].etat, Statut::Ok);
        assert!(matches!(ar.outcome(None), ReturnOutcome::Info { .. }));
    }

    #[test]
    fn rejects_foreign_documents() {
        assert!(matches!(
            Rapport::parse(b"<rapport type=\"AEE\"><envoi/></rapport>"),
            Err(RapportError::WrongNamespace(None))
        ));
        assert!(matches!(
            Rapport::parse(b"<html/>"),
            Err(RapportError::UnexpectedRoot(_))
        ));
        assert!(matches!(
            Rapport::parse(b"<g:rapport xmlns:g=\"http://www.gip-mds.fr/\" type=\"AEE\"/>"),
            Err(RapportError::Missing("envoi"))
        ));
        assert!(Rapport::parse(b"<g:rapport xmlns:g=\"http://www.gip-mds.fr/\"><envoi>").is_err());
    }

    #[test]
    fn deposit_answer_xml_and_json() {
        let aee = std::fs::read(reference_dir().join("gip-mds/exemple_retour_10_AEE.xml")).unwrap();
        match DepositAnswer::parse(&aee).unwrap() {
            DepositAnswer::Accepted { idflux, .. } => assert_eq!(idflux, "WSaah7AQlUpYL5RsQssseG."),
            other => panic!("{other:?}"),
        }
        let are = std::fs::read(reference_dir().join("gip-mds/exemple_retour_10_ARE.xml")).unwrap();
        assert!(matches!(
            DepositAnswer::parse(&are).unwrap(),
            DepositAnswer::Rejected { .. }
        ));
        let json = br#"{"rapport":{"type":"AEE","profil":"DSN","envoi":{"envoi_identification":{"idflux":"Xy12","essai_reel":"01","date_reception":"2026-11-25","heure_reception":"10:00:00"},"envoi_bilan":{"envoi_etat":"OK"}}}}"#;
        match DepositAnswer::parse(json).unwrap() {
            DepositAnswer::Accepted { idflux, rapport } => {
                assert_eq!(idflux, "Xy12");
                assert_eq!(rapport.envoi.essai_reel, Some(EssaiReel::Essai));
            }
            other => panic!("{other:?}"),
        }
        let json_are = br#"{"type":"ARE","envoi_etat":"KO","envoi_anomalie":[{"code":"B1-105-15","message":"format"}]}"#;
        match DepositAnswer::parse(json_are).unwrap() {
            DepositAnswer::Rejected { rapport } => {
                assert_eq!(rapport.envoi.anomalies[0].code, "B1-105-15")
            }
            other => panic!("{other:?}"),
        }
        assert!(DepositAnswer::parse(b"Internal error").is_err());
        assert!(DepositAnswer::parse(b"{\"x\":1}").is_err());
    }

    fn spec(
        type_code: &str,
        etat: Statut,
        decl_etat: Statut,
        anomalies: Vec<Anomaly>,
    ) -> RapportSpec {
        RapportSpec {
            type_code: type_code.into(),
            message: None,
            declarant: Some(Declarant {
                siret: "12345678200010".into(),
                nom: Some("DUPONT".into()),
                prenom: Some("ANNE".into()),
            }),
            idflux: "SBX0000000000000000001".into(),
            essai_reel: Some(EssaiReel::Reel),
            emetteur_siret: "12345678200010".into(),
            received_at: NaiveDate::from_ymd_opt(2026, 11, 25)
                .unwrap()
                .and_hms_opt(10, 1, 2)
                .unwrap(),
            envoi_etat: etat,
            envoi_anomalies: vec![],
            declarations: vec![Declaration {
                rang: Some(1),
                nature: Some("04".into()),
                type_decl: Some("01".into()),
                fraction: Some("11".into()),
                ordre: Some("1".into()),
                mois: None,
                identifiant_metier: Some("ARR-42".into()),
                id_annulation: None,
                siren: Some("123456782".into()),
                nic_siege: None,
                nic_affectation: Some("00010".into()),
                etat: decl_etat,
                salaries: Some(1),
                conformite: None,
                certificat_conformite: None,
                anomalies,
            }],
        }
    }

    #[test]
    fn written_rapport_reads_back_and_maps() {
        let ko = Anomaly {
            code: "PMNR".into(),
            severity: Some(Severity::Blocking),
            message: "Période de maintien non renseignée".into(),
            line: None,
            count: Some(1),
            rubric: None,
            related: vec![],
            individuals: vec![Individual {
                nir: Some(RawNir::new("185017512345612")),
                ntt: None,
                family_name: Some("MARTIN".into()),
                first_names: None,
                birth_date: None,
                employee_number: None,
                origin: Some("DSN".into()),
            }],
        };
        let xml = write_rapport(&spec("31", Statut::Ko, Statut::Ko, vec![ko]));
        let r = Rapport::parse(xml.as_bytes()).unwrap();
        assert_eq!(r.identifiants_metier(), vec!["ARR-42"]);
        assert!(matches!(
            r.outcome(None),
            ReturnOutcome::CnamRejected { .. }
        ));
        let ok =
            Rapport::parse(write_rapport(&spec("31", Statut::Ok, Statut::Ok, vec![])).as_bytes())
                .unwrap();
        assert_eq!(ok.outcome(None), ReturnOutcome::CnamAccepted);
        let ack =
            Rapport::parse(write_rapport(&spec("30", Statut::Ok, Statut::Ok, vec![])).as_bytes())
                .unwrap();
        assert_eq!(ack.outcome(None), ReturnOutcome::CnamAck);
    }

    #[test]
    fn documents_requested_is_detected() {
        let pj = Anomaly {
            code: DOCUMENTS_REQUESTED_CODE.into(),
            severity: Some(Severity::NonBlocking),
            message: "Pièces justificatives demandées : BULLETIN_SALAIRE, RIB_EMPLOYEUR".into(),
            line: None,
            count: None,
            rubric: Some(RubricRef {
                id: "typePieces".into(),
                label: None,
                value: Some("BULLETIN_SALAIRE".into()),
            }),
            related: vec![],
            individuals: vec![],
        };
        let xml = write_rapport(&spec("31", Statut::Ok, Statut::Ano, vec![pj]));
        let r = Rapport::parse(xml.as_bytes()).unwrap();
        match r.outcome(None) {
            ReturnOutcome::DocumentsRequested { types, .. } => {
                assert_eq!(types, vec!["BULLETIN_SALAIRE", "RIB_EMPLOYEUR"])
            }
            other => panic!("{other:?}"),
        }
        // A plain anomaly is not a document request.
        assert_eq!(
            load("exemple_retour_31_CRM_CNAM_1.xml").documents_requested(),
            None
        );
    }

    #[test]
    fn written_rapport_validates_against_dsn_bilans_xsd() {
        let have_xmllint = std::process::Command::new("xmllint")
            .arg("--version")
            .output()
            .is_ok();
        if !have_xmllint {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("xmllint is required in CI (apt-get install -y libxml2-utils)");
            }
            eprintln!(
                "SKIP written_rapport_validates_against_dsn_bilans_xsd: xmllint not installed"
            );
            return;
        }
        let xsd = reference_dir().join("gip-mds/dsn_bilans_v02r03.xsd");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("r.xml");
        let declared = Anomaly {
            code: "PMNR".into(),
            severity: Some(Severity::Blocking),
            message: "Période de maintien non renseignée".into(),
            line: None,
            count: Some(1),
            rubric: None,
            related: vec![],
            individuals: vec![Individual {
                nir: Some(RawNir::new("185017512345612")),
                ntt: None,
                family_name: Some("MARTIN".into()),
                first_names: Some("LUC".into()),
                birth_date: None,
                employee_number: Some("M01".into()),
                origin: Some("DSN".into()),
            }],
        };
        let mut with_anomaly = spec("31", Statut::Ko, Statut::Ko, vec![declared]);
        with_anomaly.envoi_anomalies.push(Anomaly {
            code: "SBX-S90".into(),
            severity: Some(Severity::Blocking),
            message: "total".into(),
            line: Some(45),
            count: None,
            rubric: Some(RubricRef {
                id: "S90.G00.90.001".into(),
                label: None,
                value: Some("44".into()),
            }),
            related: vec![],
            individuals: vec![],
        });
        let validate = |xml: &str| {
            std::fs::write(&file, xml).unwrap();
            std::process::Command::new("xmllint")
                .arg("--noout")
                .arg("--schema")
                .arg(&xsd)
                .arg(&file)
                .output()
                .unwrap()
        };
        let out = validate(&write_rapport(&with_anomaly));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The check can fail: an unknown envoi state is rejected by the schema.
        let bad = write_rapport(&with_anomaly).replace(
            "<envoi_etat>KO</envoi_etat>",
            "<envoi_etat>PERHAPS</envoi_etat>",
        );
        assert!(!validate(&bad).status.success());
    }
}
