//! API DSN returns (`gipmds:rapport`, schema `dsn_bilans_v02r03.xsd`) and the synchronous
//! deposit answer (AEE/ARE), read into a typed [`Rapport`]. The mapping of a return to what
//! the workflow does (`ReturnOutcome`) lives in the engine (`engine::exchange::outcome`).
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

mod crm_oc;
mod deposit_answer;
mod model;
mod parse;
mod write;

use crm_oc::*;
pub use deposit_answer::DepositAnswer;
pub use model::*;
pub use parse::*;
pub use write::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::exchange::outcome::{Conformity, ReturnOutcome};
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
