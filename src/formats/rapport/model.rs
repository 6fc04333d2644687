//! The typed return: envoi, declarations, anomalies, individuals, statuses.

use super::*;

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
    pub(super) fn parse(s: &str) -> Option<EssaiReel> {
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
