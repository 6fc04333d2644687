//! BPIJ (bordereau de paiement des indemnités journalières) XML, versions 02.03 and 02.04
//! (`ROOT_BPIJ_V02_0{3,4}.xsd`, namespace `www.cnamts.fr/tlsemp/IJ`, UTF-8 with BOM):
//! reader into typed structs, per-employee summary, and a writer (used by the sandbox)
//! whose output validates against `ROOT_BPIJ_V02_04.xsd`.
//!
//! Summary rules (one place): prestation lines are classified by `CodeNature`
//! ([`LineKind`]); per employee (NIR):
//! - gross IJ = signed sum of IJ lines (IJNOR, IJMAJ, PRE, … — a negative IJ line is a
//!   reversal and reduces the gross). This equals "the sum of positive lines" whenever the
//!   slip has no reversal, and stays right when it has one: positive CSG/CRDS
//!   regularisations (REGRCJ, REGRRD) are not IJ;
//! - CSG and CRDS = withheld amounts (positive numbers) from their lines;
//! - net = signed sum of every line of the employee (what the employer receives);
//! - days = NbIJ of positive IJ lines, minus NbIJ of reversals that do not overlap a paid
//!   period of the same slip (a re-qualification AS→AT pays the same day once);
//! - overpayment recovered = −sum of `RPR` lines; `Indu`/`Rappel` amounts are kept as given.
//!
//! Amounts are `Decimal`, dates `NaiveDate`; NIR is masked in `Debug`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::xml_tree::{self, Element, XmlError};
use crate::model::nir::RawNir;

pub const BPIJ_NS: &str = "www.cnamts.fr/tlsemp/IJ";

#[derive(Debug, thiserror::Error)]
pub enum BpijError {
    #[error("BPIJ: {0}")]
    Xml(#[from] XmlError),
    #[error("BPIJ: root element is <{0}>, expected <BPIJ>")]
    WrongRoot(String),
    #[error("BPIJ: root is not in namespace {BPIJ_NS} (found {0:?})")]
    WrongNamespace(Option<String>),
    #[error("BPIJ: Nature attribute is {0:?}, expected \"BPIJ\"")]
    WrongNature(Option<String>),
    #[error("BPIJ {context}: missing <{field}>")]
    Missing {
        context: String,
        field: &'static str,
    },
    #[error("BPIJ {context}: <{field}> has invalid value {value:?}")]
    Invalid {
        context: String,
        field: &'static str,
        value: String,
    },
}

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

impl Bpij {
    pub fn parse(bytes: &[u8]) -> Result<Bpij, BpijError> {
        let root = xml_tree::parse(bytes)?;
        if root.name != "BPIJ" {
            return Err(BpijError::WrongRoot(root.name));
        }
        if root.ns.as_deref() != Some(BPIJ_NS) {
            return Err(BpijError::WrongNamespace(root.ns));
        }
        if root.attr("Nature") != Some("BPIJ") {
            return Err(BpijError::WrongNature(
                root.attr("Nature").map(str::to_string),
            ));
        }
        let ctx = "BPIJ".to_string();
        let declarant = req(&root, "Declarant", &ctx)?;
        let declares = declarant
            .children_named("Declare")
            .enumerate()
            .map(|(i, d)| declare(d, &format!("Declare[{}]", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Bpij {
            version: root.attr("Version").unwrap_or_default().to_string(),
            identification: req_text(&root, "Identification", &ctx)?,
            temps: req_text(&root, "Temps", &ctx)?,
            fonction: root.child_text("Fonction").map(str::to_string),
            declarant_siret: req_text(declarant, "Identite", "Declarant")?,
            declarant_raison_sociale: declarant.child_text("RaisonSociale").map(str::to_string),
            declarant_bank: declarant.child("Domiciliation").map(bank),
            declarant_total: cumul(declarant, "Declarant")?,
            declares,
        })
    }

    /// Per-employee summary, one entry per (establishment SIRET, NIR), in slip order.
    pub fn summaries(&self) -> Vec<EmployeeSummary> {
        let mut order: Vec<(String, String)> = Vec::new();
        let mut acc: BTreeMap<(String, String), (EmployeeSummary, Vec<&Prestation>)> =
            BTreeMap::new();
        for d in &self.declares {
            for c in &d.caisses {
                for a in &c.assures {
                    let key = (d.siret.clone(), a.nir.expose().to_string());
                    let entry = acc.entry(key.clone()).or_insert_with(|| {
                        order.push(key.clone());
                        (
                            EmployeeSummary {
                                nir: a.nir.clone(),
                                nom: a.nom.clone(),
                                prenom: a.prenom.clone(),
                                siret_declare: d.siret.clone(),
                                gross_ij: Decimal::ZERO,
                                csg: Decimal::ZERO,
                                crds: Decimal::ZERO,
                                net: Decimal::ZERO,
                                days: Decimal::ZERO,
                                carence_days: Decimal::ZERO,
                                period: None,
                                overpayment_recovered: Decimal::ZERO,
                                indu: Decimal::ZERO,
                                other: Decimal::ZERO,
                                placeholder: a.nir.expose().chars().all(|c| c == '9'),
                            },
                            Vec::new(),
                        )
                    });
                    entry.0.indu += a.indus.iter().map(|i| i.montant).sum::<Decimal>();
                    for s in &a.assurances {
                        entry.1.extend(s.prestations.iter());
                    }
                }
            }
        }
        order
            .into_iter()
            .filter_map(|k| acc.remove(&k))
            .map(|(mut sum, lines)| {
                summarise(&mut sum, &lines);
                sum
            })
            .collect()
    }

    /// Assurance blocks whose `Cumul` differs from the sum of their lines:
    /// (context, declared, computed).
    pub fn assurance_total_mismatches(&self) -> Vec<(String, Decimal, Decimal)> {
        let mut out = Vec::new();
        for d in &self.declares {
            for c in &d.caisses {
                for a in &c.assures {
                    for s in &a.assurances {
                        let computed: Decimal =
                            s.prestations.iter().filter_map(|p| p.montant).sum();
                        if let Some(total) = s.total
                            && total != computed
                        {
                            out.push((
                                format!("{}/{}/{}/{}", d.siret, c.code_cpam, a.nir, s.code_nature),
                                total,
                                computed,
                            ));
                        }
                    }
                }
            }
        }
        out
    }

    /// Writes the slip (UTF-8 with BOM, default namespace, XSD element order).
    pub fn to_xml(&self) -> Vec<u8> {
        let mut root = Element::new("BPIJ")
            .with_attr("Nature", "BPIJ")
            .with_attr("Version", &self.version)
            .with_attr("xmlns", BPIJ_NS)
            .with_child(Element::leaf("Identification", &self.identification))
            .with_child(Element::leaf("Temps", &self.temps));
        if let Some(f) = &self.fonction {
            root.push(Element::leaf("Fonction", f).with_attr("Q", "REQBPIJ"));
        }
        let mut decl = Element::new("Declarant")
            .with_child(Element::leaf("Identite", &self.declarant_siret).with_attr("R", "SIRET"))
            .with_opt("RaisonSociale", self.declarant_raison_sociale.clone());
        push_bank(&mut decl, &self.declarant_bank);
        push_cumul(&mut decl, "Total Declarant", self.declarant_total);
        for d in &self.declares {
            let mut de = Element::new("Declare")
                .with_child(Element::leaf("Identite", &d.siret).with_attr("R", "SIRET"))
                .with_opt("RaisonSociale", d.raison_sociale.clone());
            push_bank(&mut de, &d.bank);
            push_cumul(&mut de, "Total Entreprise", d.total);
            for c in &d.caisses {
                let mut ce = Element::new("Caisse")
                    .with_child(Element::leaf("CodeCPAM", &c.code_cpam))
                    .with_opt("Libelle", c.libelle.clone())
                    .with_child(Element::leaf("JComptable", c.j_comptable.to_string()));
                push_cumul(&mut ce, "Total bordereau par organisme émetteur", c.total);
                for a in &c.assures {
                    let mut ae = Element::new("Assure")
                        .with_child(Element::leaf("NIR", a.nir.expose()))
                        .with_child(Element::leaf("Nom", &a.nom))
                        .with_child(Element::leaf("Prenom", &a.prenom));
                    push_bank(&mut ae, &a.bank);
                    push_cumul(&mut ae, "Total Salarié", a.total);
                    for s in &a.assurances {
                        let mut se = Element::new("Assurance")
                            .with_child(Element::leaf("CodeNature", &s.code_nature));
                        push_cumul(&mut se, "Total Nature Assurance", s.total);
                        for p in &s.prestations {
                            se.push(prestation_el(p));
                        }
                        ae.push(se);
                    }
                    for (tag, list) in [("Indu", &a.indus), ("Rappel", &a.rappels)] {
                        for r in list {
                            ae.push(
                                Element::new(tag)
                                    .with_child(Element::leaf("Numero", &r.numero))
                                    .with_child(Element::leaf("Montant", r.montant.to_string())),
                            );
                        }
                    }
                    ce.push(ae);
                }
                de.push(ce);
            }
            decl.push(de);
        }
        root.push(decl);
        let mut out = b"\xEF\xBB\xBF".to_vec();
        out.extend_from_slice(root.to_xml().as_bytes());
        out
    }
}

fn summarise(sum: &mut EmployeeSummary, lines: &[&Prestation]) {
    let paid: Vec<(NaiveDate, NaiveDate)> = lines
        .iter()
        .filter(|p| line_kind(&p.code_nature) == LineKind::Ij)
        .filter(|p| p.montant.unwrap_or_default() > Decimal::ZERO)
        .map(|p| (p.date_deb, p.date_fin.unwrap_or(p.date_deb)))
        .collect();
    for p in lines {
        let m = p.montant.unwrap_or_default();
        sum.net += m;
        match line_kind(&p.code_nature) {
            LineKind::Ij => {
                sum.gross_ij += m;
                let (deb, fin) = (p.date_deb, p.date_fin.unwrap_or(p.date_deb));
                let n = p.nb_ij.unwrap_or_default();
                if m >= Decimal::ZERO {
                    sum.days += n;
                    sum.period = Some(match sum.period {
                        None => (deb, fin),
                        Some((a, b)) => (a.min(deb), b.max(fin)),
                    });
                } else if !paid.iter().any(|(a, b)| deb <= *b && *a <= fin) {
                    sum.days -= n;
                }
            }
            LineKind::Csg => sum.csg -= m,
            LineKind::Crds => sum.crds -= m,
            LineKind::Recovery => sum.overpayment_recovered -= m,
            LineKind::Carence => sum.carence_days += p.nb_ij.unwrap_or_default(),
            LineKind::Other => sum.other += m,
        }
    }
}

fn req<'a>(el: &'a Element, field: &'static str, ctx: &str) -> Result<&'a Element, BpijError> {
    el.child(field).ok_or_else(|| BpijError::Missing {
        context: ctx.to_string(),
        field,
    })
}

fn req_text(el: &Element, field: &'static str, ctx: &str) -> Result<String, BpijError> {
    el.child_text(field)
        .map(str::to_string)
        .ok_or_else(|| BpijError::Missing {
            context: ctx.to_string(),
            field,
        })
}

fn opt_date(el: &Element, field: &'static str, ctx: &str) -> Result<Option<NaiveDate>, BpijError> {
    el.child_text(field)
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| BpijError::Invalid {
                context: ctx.to_string(),
                field,
                value: v.to_string(),
            })
        })
        .transpose()
}

fn req_date(el: &Element, field: &'static str, ctx: &str) -> Result<NaiveDate, BpijError> {
    opt_date(el, field, ctx)?.ok_or_else(|| BpijError::Missing {
        context: ctx.to_string(),
        field,
    })
}

/// Largest amount (in absolute value) a BPIJ may carry, €: far above any payment slip, and
/// small enough that the sums made of a slip's lines never overflow (issue 17).
pub const MAX_BPIJ_AMOUNT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// Largest daily IJ (`PU`), €: the legal maxima are a few hundred euros a day.
pub const MAX_DAILY_IJ: Decimal = Decimal::from_parts(10_000, 0, 0, false, 0);

fn opt_dec(el: &Element, field: &'static str, ctx: &str) -> Result<Option<Decimal>, BpijError> {
    el.child_text(field)
        .map(|v| {
            let max = if field == "PU" {
                MAX_DAILY_IJ
            } else {
                MAX_BPIJ_AMOUNT
            };
            v.parse::<Decimal>()
                .ok()
                .filter(|d| d.abs() <= max)
                .ok_or_else(|| BpijError::Invalid {
                    context: ctx.to_string(),
                    field,
                    value: crate::model::validate::excerpt(v, crate::model::validate::ECHO_MAX),
                })
        })
        .transpose()
}

fn cumul(el: &Element, ctx: &str) -> Result<Option<Decimal>, BpijError> {
    match el.child("Cumul") {
        Some(c) => opt_dec(c, "Montant", &format!("{ctx}/Cumul")),
        None => Ok(None),
    }
}

fn bank(el: &Element) -> BankDetails {
    BankDetails {
        iban: el.child_text("IBAN").map(str::to_string),
        bic: el.child_text("BIC").map(str::to_string),
    }
}

fn declare(d: &Element, ctx: &str) -> Result<Declare, BpijError> {
    let caisses = d
        .children_named("Caisse")
        .enumerate()
        .map(|(i, c)| caisse(c, &format!("{ctx}/Caisse[{}]", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Declare {
        siret: req_text(d, "Identite", ctx)?,
        raison_sociale: d.child_text("RaisonSociale").map(str::to_string),
        bank: d.child("Domiciliation").map(bank),
        total: cumul(d, ctx)?,
        caisses,
    })
}

fn caisse(c: &Element, ctx: &str) -> Result<Caisse, BpijError> {
    let code = req_text(c, "CodeCPAM", ctx)?;
    if code.len() != 3 || !code.chars().all(|ch| ch.is_ascii_digit()) {
        return Err(BpijError::Invalid {
            context: ctx.to_string(),
            field: "CodeCPAM",
            value: code,
        });
    }
    let assures = c
        .children_named("Assure")
        .enumerate()
        .map(|(i, a)| assure(a, &format!("{ctx}/Assure[{}]", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Caisse {
        code_cpam: code,
        libelle: c.child_text("Libelle").map(str::to_string),
        j_comptable: req_date(c, "JComptable", ctx)?,
        total: cumul(c, ctx)?,
        assures,
    })
}

fn regul(el: &Element, ctx: &str) -> Result<Regularisation, BpijError> {
    Ok(Regularisation {
        numero: el.child_text("Numero").unwrap_or_default().to_string(),
        montant: opt_dec(el, "Montant", ctx)?.ok_or_else(|| BpijError::Missing {
            context: ctx.to_string(),
            field: "Montant",
        })?,
    })
}

fn assure(a: &Element, ctx: &str) -> Result<Assure, BpijError> {
    let nir = req_text(a, "NIR", ctx)?;
    // XSD pattern \d{6}[A-Za-z0-9]((\d{6})|(\d{8})): 13 chars, or 15 with the key.
    let ok = (nir.len() == 13 || nir.len() == 15)
        && nir
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || (i == 6 && c.is_ascii_alphanumeric()));
    if !ok {
        return Err(BpijError::Invalid {
            context: ctx.to_string(),
            field: "NIR",
            value: RawNir::new(nir).masked(),
        });
    }
    let assurances = a
        .children_named("Assurance")
        .enumerate()
        .map(|(i, s)| {
            let sctx = format!("{ctx}/Assurance[{}]", i + 1);
            Ok(Assurance {
                code_nature: req_text(s, "CodeNature", &sctx)?,
                total: cumul(s, &sctx)?,
                prestations: s
                    .children_named("Prestation")
                    .enumerate()
                    .map(|(j, p)| prestation(p, &format!("{sctx}/Prestation[{}]", j + 1)))
                    .collect::<Result<Vec<_>, _>>()?,
            })
        })
        .collect::<Result<Vec<_>, BpijError>>()?;
    Ok(Assure {
        nir: RawNir::new(nir),
        nom: a.child_text("Nom").unwrap_or_default().to_string(),
        prenom: a.child_text("Prenom").unwrap_or_default().to_string(),
        bank: a.child("Domiciliation").map(bank),
        total: cumul(a, ctx)?,
        assurances,
        indus: a
            .children_named("Indu")
            .map(|i| regul(i, &format!("{ctx}/Indu")))
            .collect::<Result<Vec<_>, _>>()?,
        rappels: a
            .children_named("Rappel")
            .map(|i| regul(i, &format!("{ctx}/Rappel")))
            .collect::<Result<Vec<_>, _>>()?,
    })
}

fn prestation(p: &Element, ctx: &str) -> Result<Prestation, BpijError> {
    let ij_sub = p
        .child_text("IJSub")
        .map(|v| match v {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            other => Err(BpijError::Invalid {
                context: ctx.to_string(),
                field: "IJSub",
                value: other.to_string(),
            }),
        })
        .transpose()?;
    let certificat = match p.child("Certificat") {
        Some(c) => {
            let cctx = format!("{ctx}/Certificat");
            Some(Certificat {
                type_code: req_text(c, "Type", &cctx)?,
                date_deb: req_date(c, "DateDeb", &cctx)?,
                date_fin: req_date(c, "DateFin", &cctx)?,
            })
        }
        None => None,
    };
    Ok(Prestation {
        code_nature: req_text(p, "CodeNature", ctx)?,
        reference: p.child_text("Reference").map(str::to_string),
        libelle: p.child_text("Libelle").unwrap_or_default().to_string(),
        date_deb: req_date(p, "DateDebPrest", ctx)?,
        date_fin: opt_date(p, "DateFinPrest", ctx)?,
        num_sin: p.child_text("NumSin").map(str::to_string),
        date_sin: opt_date(p, "DateSin", ctx)?,
        date_deb_conge: opt_date(p, "DateDebConge", ctx)?,
        date_fin_conge: opt_date(p, "DateFinConge", ctx)?,
        nb_ij: opt_dec(p, "NbIJ", ctx)?,
        ij_sub,
        pu: opt_dec(p, "PU", ctx)?,
        montant: opt_dec(p, "Montant", ctx)?,
        certificat,
    })
}

fn push_bank(el: &mut Element, b: &Option<BankDetails>) {
    if let Some(b) = b {
        el.push(
            Element::new("Domiciliation")
                .with_opt("IBAN", b.iban.clone())
                .with_opt("BIC", b.bic.clone()),
        );
    }
}

fn push_cumul(el: &mut Element, libelle: &str, total: Option<Decimal>) {
    if let Some(t) = total {
        el.push(
            Element::new("Cumul")
                .with_child(Element::leaf("Libelle", libelle))
                .with_child(Element::leaf("Montant", t.to_string())),
        );
    }
}

fn prestation_el(p: &Prestation) -> Element {
    let mut e = Element::new("Prestation")
        .with_child(Element::leaf("CodeNature", &p.code_nature))
        .with_opt("Reference", p.reference.clone())
        .with_child(Element::leaf("Libelle", &p.libelle))
        .with_child(Element::leaf("DateDebPrest", p.date_deb.to_string()))
        .with_opt("DateFinPrest", p.date_fin.map(|d| d.to_string()))
        .with_opt("NumSin", p.num_sin.clone())
        .with_opt("DateSin", p.date_sin.map(|d| d.to_string()))
        .with_opt("DateDebConge", p.date_deb_conge.map(|d| d.to_string()))
        .with_opt("DateFinConge", p.date_fin_conge.map(|d| d.to_string()))
        .with_opt("NbIJ", p.nb_ij.map(|d| d.to_string()))
        .with_opt("IJSub", p.ij_sub.map(|b| b.to_string()))
        .with_opt("PU", p.pu.map(|d| d.to_string()))
        .with_opt("Montant", p.montant.map(|d| d.to_string()));
    if let Some(c) = &p.certificat {
        e.push(
            Element::new("Certificat")
                .with_child(Element::leaf("Type", &c.type_code))
                .with_child(Element::leaf("DateDeb", c.date_deb.to_string()))
                .with_child(Element::leaf("DateFin", c.date_fin.to_string())),
        );
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::reference_dir;
    use rust_decimal_macros::dec;

    fn load(name: &str) -> Bpij {
        let bytes = std::fs::read(reference_dir().join("gip-mds").join(name)).unwrap();
        Bpij::parse(&bytes).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn reference_without_overpayment() {
        let b = load("BPIJ_sans_indu.xml");
        assert_eq!(b.version, "02.03");
        assert_eq!(b.identification, "381194");
        assert_eq!(b.temps, "2021-02-25T00:00:00.000+01:00");
        assert_eq!(b.fonction.as_deref(), Some("9 : document original"));
        assert_eq!(b.declarant_siret, "18003502403003");
        assert_eq!(b.declarant_raison_sociale, None);
        assert_eq!(b.declarant_total, Some(dec!(5591.71)));
        let de = &b.declares[0];
        assert_eq!(de.siret, "18003502400058");
        assert_eq!(de.caisses.len(), 2);
        let c = &de.caisses[0];
        assert_eq!(c.code_cpam, "631");
        assert_eq!(c.libelle.as_deref(), Some("CPAM du PUY de DOME"));
        assert_eq!(c.j_comptable, d("2021-02-22"));
        assert_eq!(c.total, Some(dec!(3747.53)));
        let a = &c.assures[0];
        assert_eq!(a.nir.expose(), "0851201001001");
        assert_eq!(a.nom, "ANONYME1");
        assert_eq!(a.assurances[0].code_nature, "MA");
        let p = &a.assurances[0].prestations[0];
        assert_eq!(p.code_nature, "PRE");
        assert_eq!(p.libelle, "I.J. PRENATALES");
        assert_eq!(p.date_deb, d("2020-07-17"));
        assert_eq!(p.date_fin, Some(d("2020-08-01")));
        assert_eq!(p.num_sin.as_deref(), Some("235812327"));
        assert_eq!(p.nb_ij, Some(dec!(16.0)));
        assert_eq!(p.ij_sub, Some(true));
        assert_eq!(p.pu, Some(dec!(52.60)));
        assert_eq!(p.montant, Some(dec!(841.60)));
        assert_eq!(a.assurances[0].prestations[1].montant, Some(dec!(-4.21)));
        assert!(b.assurance_total_mismatches().is_empty());

        let s = b.summaries();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].gross_ij, dec!(841.60));
        assert_eq!(s[0].crds, dec!(4.21));
        assert_eq!(s[0].csg, dec!(54.70));
        assert_eq!(s[0].net, dec!(782.69));
        assert_eq!(s[0].days, dec!(16));
        assert_eq!(s[0].period, Some((d("2020-07-17"), d("2020-08-01"))));
        // AT: normal + increased IJ.
        assert_eq!(s[1].gross_ij, dec!(3188.00));
        assert_eq!(s[1].net, dec!(2964.84));
        assert_eq!(s[1].days, dec!(20));
        // Second Caisse, with 3 carence days.
        assert_eq!(s[2].nom, "ANONYME3");
        assert_eq!(s[2].carence_days, dec!(3));
        assert_eq!(s[2].days, dec!(89));
        assert_eq!(s[2].gross_ij, dec!(1982.98));
        assert_eq!(s[2].net, dec!(1844.18));
        assert_eq!(s[2].period, Some((d("2020-03-04"), d("2020-05-31"))));
        // net = gross − CSG − CRDS for every employee of this slip.
        for e in &s {
            assert_eq!(e.net, e.gross_ij - e.csg - e.crds);
        }
        assert!(!format!("{b:?}").contains("0851201001001"));
    }

    #[test]
    fn reference_with_overpayment() {
        let b = load("BPIJ_avec_indu.xml");
        let c = &b.declares[0].caisses[0];
        assert_eq!(c.code_cpam, "971");
        let placeholder = &c.assures[0];
        assert_eq!(placeholder.rappels[0].numero, "2103943157");
        assert_eq!(placeholder.rappels[0].montant, dec!(-35.29));
        let p = &placeholder.assurances[0].prestations[0];
        assert_eq!(p.reference.as_deref(), Some("2103943157"));
        assert_eq!(p.ij_sub, Some(false));
        let a = &c.assures[1];
        assert_eq!(a.assurances.len(), 2);
        assert_eq!(a.indus[0].montant, dec!(35.29));

        let s = b.summaries();
        assert!(s[0].placeholder);
        assert_eq!(s[0].overpayment_recovered, dec!(35.29));
        assert_eq!(s[0].net, dec!(-35.29));
        let e = &s[1];
        assert!(!e.placeholder);
        // +44.22 AT, −37.83 AS reversal of the same day.
        assert_eq!(e.gross_ij, dec!(6.39));
        assert_eq!(e.days, dec!(1.0));
        assert_eq!(e.csg, dec!(0.39)); // 2.74 withheld − 2.35 regularised
        assert_eq!(e.crds, dec!(0.03)); // 0.22 − 0.19
        assert_eq!(e.net, dec!(5.97));
        assert_eq!(e.indu, dec!(35.29));
    }

    fn line(
        code: &str,
        deb: &str,
        fin: Option<&str>,
        nb: Option<Decimal>,
        pu: Option<Decimal>,
        m: Decimal,
    ) -> Prestation {
        Prestation {
            code_nature: code.into(),
            reference: None,
            libelle: code.into(),
            date_deb: d(deb),
            date_fin: fin.map(d),
            num_sin: Some("9000001".into()),
            date_sin: None,
            date_deb_conge: None,
            date_fin_conge: None,
            nb_ij: nb,
            ij_sub: Some(true),
            pu,
            montant: Some(m),
            certificat: None,
        }
    }

    /// Our own 02.04 slip: 15-char NIR, two CPAM, two employees, bank details, certificate.
    fn own_slip() -> Bpij {
        let mut ij = line(
            "IJNOR",
            "2026-03-04",
            Some("2026-03-17"),
            Some(dec!(14)),
            Some(dec!(41.95)),
            dec!(587.30),
        );
        ij.certificat = Some(Certificat {
            type_code: "INITIAL".into(),
            date_deb: d("2026-03-01"),
            date_fin: d("2026-03-17"),
        });
        let a1 = Assure {
            nir: RawNir::new("185017512345612"),
            nom: "MARTIN".into(),
            prenom: "LUC".into(),
            bank: None,
            total: Some(dec!(547.95)),
            assurances: vec![Assurance {
                code_nature: "AS".into(),
                total: Some(dec!(547.95)),
                prestations: vec![
                    line(
                        "CAR",
                        "2026-03-01",
                        Some("2026-03-03"),
                        Some(dec!(3)),
                        Some(dec!(0)),
                        dec!(0),
                    ),
                    ij,
                    line("CSJ", "2026-03-04", None, None, None, dec!(-36.41)),
                    line("RETCRD", "2026-03-04", None, None, None, dec!(-2.94)),
                ],
            }],
            indus: vec![],
            rappels: vec![],
        };
        let a2 = Assure {
            nir: RawNir::new("2920375123456"),
            nom: "DURAND".into(),
            prenom: "EVE".into(),
            bank: None,
            total: Some(dec!(-20.00)),
            assurances: vec![Assurance {
                code_nature: "AS".into(),
                total: Some(dec!(-20.00)),
                prestations: vec![{
                    let mut r = line("RPR", "2026-03-20", None, None, None, dec!(-20.00));
                    r.reference = Some("IND-77".into());
                    r.ij_sub = Some(false);
                    r
                }],
            }],
            indus: vec![Regularisation {
                numero: "IND-77".into(),
                montant: dec!(20.00),
            }],
            rappels: vec![],
        };
        Bpij {
            version: "02.04".into(),
            identification: "900001".into(),
            temps: "2026-03-20T00:00:00.000+01:00".into(),
            fonction: Some("9 : document original".into()),
            declarant_siret: "12345678200010".into(),
            declarant_raison_sociale: Some("ACME SAS".into()),
            declarant_bank: Some(BankDetails {
                iban: Some("FR7630006000011234567890189".into()),
                bic: Some("AGRIFRPPXXX".into()),
            }),
            declarant_total: Some(dec!(527.95)),
            declares: vec![Declare {
                siret: "12345678200028".into(),
                raison_sociale: Some("ACME Lyon".into()),
                bank: None,
                total: Some(dec!(527.95)),
                caisses: vec![
                    Caisse {
                        code_cpam: "691".into(),
                        libelle: Some("CPAM du RHONE".into()),
                        j_comptable: d("2026-03-19"),
                        total: Some(dec!(547.95)),
                        assures: vec![a1],
                    },
                    Caisse {
                        code_cpam: "751".into(),
                        libelle: Some("CPAM de PARIS".into()),
                        j_comptable: d("2026-03-20"),
                        total: Some(dec!(-20.00)),
                        assures: vec![a2],
                    },
                ],
            }],
        }
    }

    #[test]
    fn own_variant_round_trips_and_summarises() {
        let b = own_slip();
        let xml = b.to_xml();
        assert!(xml.starts_with(b"\xEF\xBB\xBF<?xml"));
        let back = Bpij::parse(&xml).unwrap();
        assert_eq!(back, b);
        let s = back.summaries();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].nir.expose().len(), 15);
        assert_eq!(s[0].gross_ij, dec!(587.30));
        assert_eq!(s[0].csg, dec!(36.41));
        assert_eq!(s[0].crds, dec!(2.94));
        assert_eq!(s[0].net, dec!(547.95));
        assert_eq!(s[0].days, dec!(14));
        assert_eq!(s[0].carence_days, dec!(3));
        assert_eq!(s[1].overpayment_recovered, dec!(20.00));
        assert_eq!(s[1].gross_ij, Decimal::ZERO);
        assert_eq!(
            back.declares[0].caisses[0].assures[0].assurances[0].prestations[1]
                .certificat
                .as_ref()
                .unwrap()
                .type_code,
            "INITIAL"
        );
        assert_eq!(
            back.declarant_bank.as_ref().unwrap().bic.as_deref(),
            Some("AGRIFRPPXXX")
        );
    }

    #[test]
    fn same_employee_in_two_caisses_is_summed() {
        let mut b = own_slip();
        let mut dup = b.declares[0].caisses[0].clone();
        dup.code_cpam = "692".into();
        b.declares[0].caisses.push(dup);
        let s = b.summaries();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].gross_ij, dec!(1174.60));
        assert_eq!(s[0].days, dec!(28));
    }

    #[test]
    fn rejects_bad_documents() {
        let good = String::from_utf8(own_slip().to_xml()).unwrap();
        let cases: Vec<(String, &str)> = vec![
            (
                good.replace("xmlns=\"www.cnamts.fr/tlsemp/IJ\"", ""),
                "namespace",
            ),
            (good.replace("Nature=\"BPIJ\"", "Nature=\"XX\""), "Nature"),
            (
                good.replace("<CodeCPAM>691</CodeCPAM>", "<CodeCPAM>69</CodeCPAM>"),
                "CodeCPAM",
            ),
            (good.replace("185017512345612", "18501751234561"), "NIR"),
            (
                good.replace("<Montant>587.30</Montant>", "<Montant>587,30</Montant>"),
                "Montant",
            ),
            (
                good.replace("<JComptable>2026-03-19</JComptable>", ""),
                "JComptable",
            ),
            (
                good.replace("<IJSub>true</IJSub>", "<IJSub>oui</IJSub>"),
                "IJSub",
            ),
            // Plausibility bounds (issue 17): an implausible amount is refused, not summed.
            (
                good.replace(
                    "<Montant>587.30</Montant>",
                    "<Montant>99999999999999999999999999.00</Montant>",
                ),
                "Montant",
            ),
        ];
        for (doc, what) in cases {
            let err = Bpij::parse(doc.as_bytes()).expect_err(what).to_string();
            assert!(
                err.contains(what) || err.contains("namespace"),
                "{what}: {err}"
            );
            // Error messages never carry a full NIR.
            assert!(!err.contains("18501751234561"), "{err}");
        }
        assert!(matches!(Bpij::parse(b"<x/>"), Err(BpijError::WrongRoot(_))));
    }

    #[test]
    fn writer_output_validates_against_xsd_02_04() {
        let xsd = reference_dir().join("gip-mds/ROOT_BPIJ_V02_04.xsd");
        let have_xmllint = std::process::Command::new("xmllint")
            .arg("--version")
            .output()
            .is_ok();
        if !have_xmllint {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("xmllint is required in CI (apt-get install -y libxml2-utils)");
            }
            eprintln!("SKIP writer_output_validates_against_xsd_02_04: xmllint not installed");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bpij.xml");
        std::fs::write(&file, own_slip().to_xml()).unwrap();
        let out = std::process::Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "xmllint: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The schema check can fail: a CodeCPAM of 2 digits is rejected.
        let bad = String::from_utf8(own_slip().to_xml())
            .unwrap()
            .replace("<CodeCPAM>691</CodeCPAM>", "<CodeCPAM>69</CodeCPAM>");
        std::fs::write(&file, bad).unwrap();
        let out = std::process::Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .arg(&file)
            .output()
            .unwrap();
        assert!(!out.status.success());
    }
}
