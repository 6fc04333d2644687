//! The "fiche de paramétrage DSN OC" (XSD FICHE-PARAM-DSN-OC-26-R1.4.0, ISO-8859-1 XML produced
//! by the insurer): which contracts, options and populations a company subscribed, with the
//! expected rates per base component, flat amounts, periodicity and validity dates.
//!
//! Invariant: parsing is pure (bytes in, [`Fiche`] out); rates are percentages kept as
//! `Decimal` exactly as written (`0.4` means 0.4 %). Elements ijgate does not use are ignored.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use crate::neodes::norm::parse_date;

/// Why a fiche could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FicheError {
    #[error("fiche {name}: not a valid fiche de paramétrage: {source}")]
    Xml {
        name: String,
        source: quick_xml::DeError,
    },
}

#[derive(Debug, Clone, Deserialize)]
pub struct Fiche {
    #[serde(rename = "@IdentifiantFiche")]
    pub id: String,
    #[serde(rename = "Entreprise")]
    pub company: FicheCompany,
    #[serde(rename = "ProducteurFiche")]
    pub producer: Producer,
    #[serde(rename = "GROUPE", default)]
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FicheCompany {
    #[serde(rename = "@SIREN")]
    pub siren: String,
    #[serde(rename = "@NIC", default)]
    pub nic: Option<String>,
    #[serde(rename = "@RaisonSociale", default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Producer {
    #[serde(rename = "@CodeProducteur")]
    pub code: String,
    #[serde(rename = "@RaisonSocialeProducteur", default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Group {
    #[serde(rename = "@NumeroGrp", default)]
    pub number: Option<String>,
    #[serde(rename = "@LibelleGrp", default)]
    pub label: Option<String>,
    #[serde(rename = "ParametresContrats", default)]
    pub parameters: Vec<ContractParameters>,
}

/// One `ParametresContrats`: a contract (+ option + population) with what is expected.
#[derive(Debug, Clone, Deserialize)]
pub struct ContractParameters {
    #[serde(rename = "@Periodicite")]
    pub periodicity: String,
    #[serde(rename = "@DateDebutValidite", deserialize_with = "jjmmaaaa")]
    pub valid_from: NaiveDate,
    #[serde(
        rename = "@DateFinValidite",
        default,
        deserialize_with = "jjmmaaaa_opt"
    )]
    pub valid_to: Option<NaiveDate>,
    #[serde(rename = "Organisme")]
    pub organisme: Organisme,
    #[serde(rename = "Contrat")]
    pub contract: FicheContract,
    #[serde(rename = "Option", default)]
    pub option: Option<FicheOption>,
    #[serde(rename = "Population", default)]
    pub population: Option<FichePopulation>,
    #[serde(rename = "ElementsDeCalculAttendus", default)]
    pub expected: Option<Expected>,
    #[serde(rename = "CotisationEtablissement", default)]
    pub establishment_contributions: Vec<FicheEstablishmentContribution>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Organisme {
    #[serde(rename = "@CodeOC")]
    pub code_oc: String,
    #[serde(rename = "@CodeDELEG", default)]
    pub code_deleg: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FicheContract {
    #[serde(rename = "@ReferenceContrat")]
    pub reference: String,
    #[serde(rename = "@LibelleContrat", default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FicheOption {
    #[serde(rename = "@CodeOption")]
    pub code: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FichePopulation {
    #[serde(rename = "@CodePopulation")]
    pub code: String,
}

/// `ElementsDeCalculAttendus`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Expected {
    #[serde(rename = "BrutPrev", default)]
    pub gross: Option<Rate>,
    #[serde(rename = "TAPrev", default)]
    pub ta: Option<Rate>,
    #[serde(rename = "TBPrev", default)]
    pub tb: Option<Rate>,
    #[serde(rename = "TCPrev", default)]
    pub tc: Option<Rate>,
    #[serde(rename = "TDPrev", default)]
    pub td: Option<Rate>,
    #[serde(rename = "BaseMontantSpecifique", default)]
    pub specific: Vec<SpecificBase>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Rate {
    #[serde(rename = "Taux", deserialize_with = "decimal")]
    pub rate: Decimal,
}

/// `BaseMontantSpecifique`: a rate on a component (`ValeurCodeNature` = S21.G00.79.001 type),
/// possibly on `Coef` × `Assiette` (PMSS), or a flat `Montant`.
#[derive(Debug, Clone, Deserialize)]
pub struct SpecificBase {
    #[serde(rename = "@ValeurCodeNature")]
    pub component: String,
    #[serde(rename = "@Condition", default)]
    pub condition: Option<String>,
    #[serde(rename = "Taux", default, deserialize_with = "decimal_opt")]
    pub rate: Option<Decimal>,
    #[serde(rename = "Coef", default, deserialize_with = "decimal_opt")]
    pub coef: Option<Decimal>,
    #[serde(rename = "Assiette", default)]
    pub assiette: Option<String>,
    #[serde(rename = "Montant", default, deserialize_with = "decimal_opt")]
    pub amount: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FicheEstablishmentContribution {
    #[serde(rename = "@CodeCotisation")]
    pub code: String,
    #[serde(rename = "@PeriodiciteDeclaration", default)]
    pub periodicity: Option<String>,
    #[serde(rename = "Montant", default)]
    pub amount: Option<FlatAmount>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FlatAmount {
    #[serde(rename = "@Montant", deserialize_with = "decimal")]
    pub amount: Decimal,
}

fn jjmmaaaa<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let s = String::deserialize(d)?;
    parse_date(s.trim().as_bytes())
        .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a date JJMMAAAA")))
}

fn jjmmaaaa_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    jjmmaaaa(d).map(Some)
}

fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let s = String::deserialize(d)?;
    s.trim()
        .parse()
        .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a decimal")))
}

fn decimal_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    decimal(d).map(Some)
}

impl Fiche {
    /// Parses a fiche from its bytes (ISO-8859-1 as the XSD requires; UTF-8 accepted).
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Self, FicheError> {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => encoding_rs::mem::decode_latin1(bytes),
        };
        quick_xml::de::from_str(&text).map_err(|source| FicheError::Xml {
            name: name.to_string(),
            source,
        })
    }

    /// Every parameter set, all groups together.
    pub fn parameters(&self) -> impl Iterator<Item = &ContractParameters> {
        self.groups.iter().flat_map(|g| &g.parameters)
    }

    /// True when some parameter set names this contract reference.
    pub fn knows_contract(&self, reference: &str) -> bool {
        self.parameters().any(|p| p.contract.reference == reference)
    }

    /// The parameter sets of a contract valid on `date` (all of them when `date` is `None`).
    pub fn for_contract<'a>(
        &'a self,
        reference: &'a str,
        date: Option<NaiveDate>,
    ) -> impl Iterator<Item = &'a ContractParameters> + 'a {
        self.parameters().filter(move |p| {
            p.contract.reference == reference && date.is_none_or(|d| p.is_valid_on(d))
        })
    }
}

impl ContractParameters {
    pub fn is_valid_on(&self, d: NaiveDate) -> bool {
        self.valid_from <= d && self.valid_to.is_none_or(|to| d <= to)
    }

    pub fn option_code(&self) -> Option<&str> {
        self.option.as_ref().map(|o| o.code.as_str())
    }

    pub fn population_code(&self) -> Option<&str> {
        self.population.as_ref().map(|p| p.code.as_str())
    }

    /// True when this parameter set applies to an affiliation with `option` / `population`
    /// (a parameter set without option or population applies to all).
    pub fn matches(&self, option: Option<&str>, population: Option<&str>) -> bool {
        self.option_code().is_none_or(|o| Some(o) == option)
            && self.population_code().is_none_or(|p| Some(p) == population)
    }
}

impl Expected {
    /// `(S21.G00.79.001 component type, rate %)` pairs of the tranche rates: BrutPrev → 10,
    /// TAPrev → 11, TBPrev → 13, TCPrev → 14, TDPrev → 15 (domain.md §1.4 component types).
    pub fn tranche_rates(&self) -> Vec<(&'static str, Decimal)> {
        [
            ("10", &self.gross),
            ("11", &self.ta),
            ("13", &self.tb),
            ("14", &self.tc),
            ("15", &self.td),
        ]
        .into_iter()
        .filter_map(|(k, r)| r.as_ref().map(|r| (k, r.rate)))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const OWN: &str = r#"<?xml version="1.0" encoding="ISO-8859-1"?>
<FICHE IdentifiantFiche="T1" DateHeureCreation="2026-01-02T08:00:00" Version="140">
  <Entreprise SIREN="552100554" NIC="00013" RaisonSociale="ACME"/>
  <ProducteurFiche CodeProducteur="P0942"/>
  <GROUPE NumeroGrp="1">
    <ParametresContrats Periodicite="Mensuel" DateDebutValidite="01012026">
      <Organisme CodeOC="P0942"/>
      <Contrat ReferenceContrat="PREVO-NC-01"/>
      <Option CodeOption="BASE"/>
      <Population CodePopulation="NC"/>
      <ElementsDeCalculAttendus><TAPrev><Taux>0.80</Taux></TAPrev><TBPrev><Taux>1.20</Taux></TBPrev></ElementsDeCalculAttendus>
    </ParametresContrats>
  </GROUPE>
</FICHE>"#;

    #[test]
    fn parses_own_fiche() {
        let f = Fiche::parse("own", OWN.as_bytes()).unwrap();
        assert_eq!(f.company.siren, "552100554");
        let p = f.parameters().next().unwrap();
        assert_eq!(
            p.expected.as_ref().unwrap().tranche_rates(),
            [("11", dec!(0.80)), ("13", dec!(1.20))]
        );
        assert!(p.matches(Some("BASE"), Some("NC")));
        assert!(!p.matches(Some("FAMILLE"), Some("NC")));
        assert!(p.is_valid_on(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()));
        assert!(!p.is_valid_on(NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()));
    }

    #[test]
    fn rejects_bad_date() {
        let bad = OWN.replace("01012026", "2026-01-01");
        let e = Fiche::parse("bad.xml", bad.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("bad.xml"));
    }
}
