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

mod read;
mod summary;
mod types;
mod write;

pub use types::*;

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
