//! The BPIJ model: slip, employer, CPAM, insured person, prestation lines, and the
//! per-employee summary type.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct BankDetails {
    pub iban: Option<String>,
    pub bic: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificat {
    /// Initial / prolongation (code as given).
    pub type_code: String,
    pub date_deb: NaiveDate,
    pub date_fin: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prestation {
    pub code_nature: String,
    pub reference: Option<String>,
    pub libelle: String,
    pub date_deb: NaiveDate,
    pub date_fin: Option<NaiveDate>,
    /// Claim number (`NumSin`).
    pub num_sin: Option<String>,
    pub date_sin: Option<NaiveDate>,
    pub date_deb_conge: Option<NaiveDate>,
    pub date_fin_conge: Option<NaiveDate>,
    pub nb_ij: Option<Decimal>,
    /// Subrogated to the employer.
    pub ij_sub: Option<bool>,
    /// Daily rate.
    pub pu: Option<Decimal>,
    /// Signed amount.
    pub montant: Option<Decimal>,
    pub certificat: Option<Certificat>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assurance {
    /// Risk: MA (maternité), AT, AS (assurance maladie), …
    pub code_nature: String,
    pub total: Option<Decimal>,
    pub prestations: Vec<Prestation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Regularisation {
    pub numero: String,
    pub montant: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assure {
    #[serde(with = "crate::model::nir::full")]
    pub nir: RawNir,
    pub nom: String,
    pub prenom: String,
    pub bank: Option<BankDetails>,
    pub total: Option<Decimal>,
    pub assurances: Vec<Assurance>,
    pub indus: Vec<Regularisation>,
    pub rappels: Vec<Regularisation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caisse {
    /// 3-digit CPAM code.
    pub code_cpam: String,
    pub libelle: Option<String>,
    /// Accounting (payment) date.
    pub j_comptable: NaiveDate,
    pub total: Option<Decimal>,
    pub assures: Vec<Assure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declare {
    pub siret: String,
    pub raison_sociale: Option<String>,
    pub bank: Option<BankDetails>,
    pub total: Option<Decimal>,
    pub caisses: Vec<Caisse>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bpij {
    /// `02.03`, `02.04`.
    pub version: String,
    pub identification: String,
    /// `xsd:dateTime` as written (e.g. `2021-02-25T00:00:00.000+01:00`).
    pub temps: String,
    pub fonction: Option<String>,
    pub declarant_siret: String,
    pub declarant_raison_sociale: Option<String>,
    pub declarant_bank: Option<BankDetails>,
    pub declarant_total: Option<Decimal>,
    pub declares: Vec<Declare>,
}

/// How a prestation line counts in the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Daily allowance (IJNOR, IJMAJ, PRE, …).
    Ij,
    Csg,
    Crds,
    /// Récupération d'indu (RPR).
    Recovery,
    /// Waiting days (CAR), amount 0.
    Carence,
    Other,
}

pub fn line_kind(code: &str) -> LineKind {
    match code {
        "CSJ" | "RETRCJ" | "REGRCJ" => LineKind::Csg,
        "RETCRD" | "REGRRD" => LineKind::Crds,
        "RPR" => LineKind::Recovery,
        "CAR" => LineKind::Carence,
        c if c.starts_with("IJ") || c == "PRE" || c == "POST" => LineKind::Ij,
        c if c.contains("CSG") => LineKind::Csg,
        c if c.contains("CRD") => LineKind::Crds,
        _ => LineKind::Other,
    }
}

/// Per-employee figures of one slip (see the module header for the rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmployeeSummary {
    #[serde(with = "crate::model::nir::full")]
    pub nir: RawNir,
    pub nom: String,
    pub prenom: String,
    pub siret_declare: String,
    pub gross_ij: Decimal,
    pub csg: Decimal,
    pub crds: Decimal,
    pub net: Decimal,
    pub days: Decimal,
    pub carence_days: Decimal,
    pub period: Option<(NaiveDate, NaiveDate)>,
    pub overpayment_recovered: Decimal,
    /// Sum of `Indu` amounts declared for the employee.
    pub indu: Decimal,
    pub other: Decimal,
    /// All-9 NIR the CNAM uses for recovery lines not tied to a person.
    pub placeholder: bool,
}
