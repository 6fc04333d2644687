//! Enrolment from DSN affiliations on a real journal, with the door's month-to-month fixtures
//! (tests/fixtures/dsn/m2m_2026_02.dsn and m2m_2026_03.dsn, written by
//! tests/fixtures/dsn/generate_fixtures.py: three employees of SIRET 48765432100018 affiliated
//! since 01/01/2026 to contract PRV-LAC-2026 in February; MERCIER is gone in March).

use super::*;
use crate::engine::prestij::{Sender, apply_answer, build_flow};
use crate::formats::gestip::{self, Answer, Cr, CrLine, Operation};
use crate::journal::Journal;
use std::collections::HashMap;

const FEB: &str = include_str!("../../../tests/fixtures/dsn/m2m_2026_02.dsn");
const MAR: &str = include_str!("../../../tests/fixtures/dsn/m2m_2026_03.dsn");
const SIRET: &str = "48765432100018";
const MERCIER: &str = "2711275987654";

fn insurers(contract: &str, populations: &str) -> Vec<Insurer> {
    let cfg: HashMap<String, Vec<Insurer>> = toml::from_str(&format!(
        "[[insurers]]\ncode = \"PREV\"\nname = \"Prévoyance P\"\n[insurers.prestij]\naccess_key = \"K\"\n\
         [[insurers.contracts]]\nreference = \"{contract}\"\nsirets = [\"{SIRET}\"]\npopulations = [{populations}]\nfranchise_days = 3\n\
         [[insurers]]\ncode = \"NOPJ\"\nname = \"Sans Prest'IJ\"\n\
         [[insurers.contracts]]\nreference = \"{contract}\"\nsirets = [\"{SIRET}\"]\nfranchise_days = 3\n"
    ))
    .unwrap();
    cfg["insurers"].clone()
}

fn facts(dsn: &str, ins: &[Insurer]) -> LotFacts {
    read(dsn.as_bytes(), ins).unwrap()
}

fn journal() -> (tempfile::TempDir, Journal) {
    let d = tempfile::tempdir().unwrap();
    let j = Journal::open(&d.path().join("j.db")).unwrap();
    (d, j)
}

fn apply_lot(j: &Journal, f: &LotFacts) -> Applied {
    let f = f.clone();
    j.write_blocking(move |c| apply(c, &f, "2026-03-05T10:00:00.000Z"))
        .unwrap()
}

type Row = (String, String, Option<String>, String, Option<String>);

/// (nir, cover_from, cover_to, state, withdraw_state) by id.
fn rows(j: &Journal) -> Vec<Row> {
    j.read_blocking(|c| {
        let mut s = c.prepare(
            "SELECT nir, cover_from, cover_to, state, withdraw_state FROM prestij_enrolments ORDER BY id",
        )?;
        let v = s
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(v)
    })
    .unwrap()
}

/// Builds the insurer's flow and answers every line as `accepted`; returns the GESTIP read back.
fn send_and_answer(j: &Journal, accepted: bool) -> gestip::Gestip {
    let flow = j
        .write_blocking(|c| {
            build_flow(
                c,
                &Sender {
                    code: "PREV",
                    name: "Prévoyance P",
                    access_key: "K",
                },
                chrono::Utc::now(),
            )
        })
        .unwrap()
        .expect("a flow");
    let f = flow.clone();
    let body: Vec<u8> = j
        .read_blocking(move |c| {
            Ok(c.query_row(
                "SELECT body FROM prestij_flows WHERE flow_id = ?1",
                [&f],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    let g = gestip::read_gestip(&body).unwrap();
    let lines = g
        .companies
        .iter()
        .flat_map(|c| &c.lines)
        .map(|l| CrLine {
            reference: l.reference.clone(),
            nir: l.nir.clone(),
            accepted,
            code: (!accepted).then(|| "NIR_INCONNU".into()),
            reason: (!accepted).then(|| "NIR inconnu".into()),
        })
        .collect();
    let cr = Answer::Cr(Cr {
        flow_id: flow,
        processed: chrono::Utc::now().naive_utc(),
        lines,
    });
    j.write_blocking(move |c| apply_answer(c, &cr, "2026-03-05T11:00:00.000Z"))
        .unwrap();
    g
}

#[test]
fn a_monthly_dsn_enrols_the_affiliated_retroactively_once() {
    let ins = insurers("PRV-LAC-2026", "");
    let f = facts(FEB, &ins);
    // Three employees, for PREV only (NOPJ has no Prest'IJ), from the affiliation start
    // S21.G00.70.014 = 01012026 although the declared month is February (retroactivity).
    assert_eq!(f.affiliated.len(), 3, "{f:#?}");
    assert!(f.affiliated.iter().all(|a| a.insurer == "PREV"
        && a.siret == SIRET
        && a.from == NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
        && a.to.is_none()
        && a.month == NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()));
    assert_eq!(f.complete.len(), 1);
    assert!(f.skipped.is_empty(), "{:?}", f.skipped);
    let (_d, j) = journal();
    assert_eq!(
        apply_lot(&j, &f),
        Applied {
            enrolled: 3,
            withdrawn: 0
        }
    );
    let r = rows(&j);
    assert!(
        r.iter()
            .all(|x| x.1 == "2026-01-01" && x.2.is_none() && x.3 == "pending")
    );
    // The same lot again (a replay, a restart before the door's move): nothing changes.
    assert_eq!(apply_lot(&j, &f), Applied::default());
    assert_eq!(rows(&j), r);
    // BERTIN's two affiliations (two contracts) make one enrolment; the GESTIP says INS.
    let g = send_and_answer(&j, true);
    let lines: Vec<_> = g.companies.iter().flat_map(|c| &c.lines).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l.operation == Operation::Enrol));
}

#[test]
fn who_left_the_next_month_is_withdrawn_at_the_end_of_the_last_month_declared() {
    let ins = insurers("PRV-LAC-2026", "");
    let (_d, j) = journal();
    apply_lot(&j, &facts(FEB, &ins));
    send_and_answer(&j, true);
    let mar = facts(MAR, &ins);
    assert_eq!(mar.affiliated.len(), 2);
    assert_eq!(
        apply_lot(&j, &mar),
        Applied {
            enrolled: 0,
            withdrawn: 1
        }
    );
    let r = rows(&j);
    let m = r.iter().find(|x| x.0 == MERCIER).unwrap();
    assert_eq!(m.2.as_deref(), Some("2026-02-28"));
    assert_eq!(
        (m.3.as_str(), m.4.as_deref()),
        ("accepted", Some("pending"))
    );
    // Replays, of March and of the older February, change nothing (no reopening).
    assert_eq!(apply_lot(&j, &mar), Applied::default());
    assert_eq!(apply_lot(&j, &facts(FEB, &ins)), Applied::default());
    assert_eq!(rows(&j), r);
    // The next GESTIP carries one RAD line with the period's end, answered and recorded.
    let g = send_and_answer(&j, true);
    let lines: Vec<_> = g.companies.iter().flat_map(|c| &c.lines).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].operation, Operation::Withdraw);
    assert_eq!(lines[0].nir.expose(), MERCIER);
    assert!(lines[0].reference.starts_with('R'));
    assert_eq!(
        lines[0].cover_to,
        Some(NaiveDate::from_ymd_opt(2026, 2, 28).unwrap())
    );
    let m = rows(&j).into_iter().find(|x| x.0 == MERCIER).unwrap();
    assert_eq!(m.4.as_deref(), Some("accepted"));
    // Nothing more to send.
    let none = j
        .write_blocking(|c| {
            build_flow(
                c,
                &Sender {
                    code: "PREV",
                    name: "P",
                    access_key: "K",
                },
                chrono::Utc::now(),
            )
        })
        .unwrap();
    assert_eq!(none, None);
}

/// MERCIER's affiliation with an end date S21.G00.70.015 (after its start line).
fn with_mercier_end(dsn: &str, end: &str) -> String {
    let at = dsn.find("'MERCIER'").unwrap();
    let (head, tail) = dsn.split_at(at);
    let tail = tail.replacen(
        "S21.G00.70.014,'01012026'",
        &format!("S21.G00.70.014,'01012026'\nS21.G00.70.015,'{end}'"),
        1,
    );
    format!("{head}{tail}")
}

#[test]
fn an_affiliation_end_withdraws_and_an_unsent_enrolment_leaves_with_its_end() {
    let ins = insurers("PRV-LAC-2026", "");
    let (_d, j) = journal();
    // Not yet sent: the enrolment goes out once, with its closed period.
    apply_lot(&j, &facts(&with_mercier_end(FEB, "15022026"), &ins));
    let m = rows(&j).into_iter().find(|x| x.0 == MERCIER).unwrap();
    assert_eq!(m.2.as_deref(), Some("2026-02-15"));
    assert_eq!((m.3.as_str(), m.4.as_deref()), ("pending", None));
    let g = send_and_answer(&j, true);
    let l = g
        .companies
        .iter()
        .flat_map(|c| &c.lines)
        .find(|l| l.nir.expose() == MERCIER)
        .unwrap();
    assert_eq!(l.operation, Operation::Enrol);
    assert_eq!(
        l.cover_to,
        Some(NaiveDate::from_ymd_opt(2026, 2, 15).unwrap())
    );
    // Already accepted: the end is a withdrawal.
    let (_d2, j2) = journal();
    apply_lot(&j2, &facts(FEB, &ins));
    send_and_answer(&j2, true);
    let a = apply_lot(&j2, &facts(&with_mercier_end(FEB, "20022026"), &ins));
    assert_eq!(
        a,
        Applied {
            enrolled: 0,
            withdrawn: 1
        }
    );
    let m = rows(&j2).into_iter().find(|x| x.0 == MERCIER).unwrap();
    assert_eq!(m.2.as_deref(), Some("2026-02-20"));
    assert_eq!(m.4.as_deref(), Some("pending"));
}

#[test]
fn a_rejected_enrolment_is_not_withdrawn_and_is_sent_again_once_corrected() {
    let ins = insurers("PRV-LAC-2026", "");
    let (_d, j) = journal();
    apply_lot(&j, &facts(FEB, &ins));
    send_and_answer(&j, false);
    assert_eq!(apply_lot(&j, &facts(MAR, &ins)), Applied::default());
    assert!(rows(&j).iter().all(|x| x.3 == "rejected" && x.4.is_none()));
    // The same lot again: still rejected, nothing re-sent.
    assert_eq!(apply_lot(&j, &facts(FEB, &ins)), Applied::default());
    // A later DSN names them otherwise (identity corrected): sent again, once.
    let fixed = FEB.replace("S21.G00.30.004,'X'", "S21.G00.30.004,'CAMILLE'");
    assert_eq!(
        apply_lot(&j, &facts(&fixed, &ins)),
        Applied {
            enrolled: 3,
            withdrawn: 0
        }
    );
    assert!(rows(&j).iter().all(|x| x.3 == "pending"));
    assert_eq!(apply_lot(&j, &facts(&fixed, &ins)), Applied::default());
    let g = send_and_answer(&j, true);
    let l = &g.companies[0].lines[0];
    assert_eq!(l.first_name.as_deref(), Some("CAMILLE"));
}

#[test]
fn test_envois_cancellations_other_contracts_and_populations_enrol_nobody() {
    let ins = insurers("PRV-LAC-2026", "");
    // S10.G00.00.005 = 01: a test envoi (open-neodes_norm-P26V01.yaml).
    let test = FEB.replace("S10.G00.00.005,'02'", "S10.G00.00.005,'01'");
    assert_eq!(facts(&test, &ins), LotFacts::default());
    // S20.G00.05.002 = 04: "déclaration annule".
    let cancel = FEB.replace("S20.G00.05.002,'01'", "S20.G00.05.002,'04'");
    assert_eq!(facts(&cancel, &ins), LotFacts::default());
    // Another contract reference: nobody.
    assert_eq!(
        facts(FEB, &insurers("AUTRE-CONTRAT", "")).affiliated.len(),
        0
    );
    // A contract for executives only (population CAD; the fixture's are NCAD): nobody.
    assert!(
        facts(FEB, &insurers("PRV-LAC-2026", "\"CAD\""))
            .affiliated
            .is_empty()
    );
    assert_eq!(
        facts(FEB, &insurers("PRV-LAC-2026", "\"NCAD\""))
            .affiliated
            .len(),
        3
    );
    // A signalement (nature 04) lists one individual: it enrols, but never withdraws others.
    let sig = FEB.replace("S20.G00.05.001,'01'", "S20.G00.05.001,'04'");
    let f = facts(&sig, &ins);
    assert_eq!(f.affiliated.len(), 3);
    assert!(f.complete.is_empty());
    // A temporary number (NIA, first digit 7) is skipped with its line, never with the number.
    let nia = FEB.replace(
        "S21.G00.30.001,'2711275987654'",
        "S21.G00.30.001,'7711275987654'",
    );
    let f = facts(&nia, &ins);
    assert_eq!(f.affiliated.len(), 2);
    assert_eq!(f.skipped.len(), 1, "{:?}", f.skipped);
    assert!(f.skipped[0].starts_with("line "), "{:?}", f.skipped);
    assert!(!f.skipped[0].contains("7711275987654"));
    // A fraction (1 of 2) never withdraws others either.
    let frac = FEB.replace("S20.G00.05.003,'11'", "S20.G00.05.003,'12'");
    assert!(facts(&frac, &ins).complete.is_empty());
}

#[test]
fn a_stoppage_enrolment_is_not_withdrawn_by_the_dsn() {
    let ins = insurers("PRV-LAC-2026", "");
    let (_d, j) = journal();
    // MERCIER enrolled for a stoppage (loi Évin: the guarantee of a stoppage under way stays).
    j.write_blocking(|c| {
        c.execute(
            "INSERT INTO prestij_enrolments (insurer_code, siret, nir, last_name, cover_from, source, state, created_at, updated_at)
             VALUES ('PREV', ?1, ?2, 'MERCIER', '2025-12-10', 'stoppage', 'accepted', 't', 't')",
            rusqlite::params![SIRET, MERCIER],
        )?;
        Ok(())
    })
    .unwrap();
    // February: covered since December by the stoppage enrolment, no second one for her.
    assert_eq!(
        apply_lot(&j, &facts(FEB, &ins)),
        Applied {
            enrolled: 2,
            withdrawn: 0
        }
    );
    send_and_answer(&j, true);
    assert_eq!(apply_lot(&j, &facts(MAR, &ins)), Applied::default());
    let m = rows(&j).into_iter().find(|x| x.0 == MERCIER).unwrap();
    assert_eq!((m.2, m.4), (None, None));
}

#[test]
fn a_rejected_withdrawal_is_alerted_with_the_masked_nir() {
    let ins = insurers("PRV-LAC-2026", "");
    let (_d, j) = journal();
    apply_lot(&j, &facts(FEB, &ins));
    send_and_answer(&j, true);
    apply_lot(&j, &facts(MAR, &ins));
    let g = send_and_answer(&j, false);
    assert_eq!(g.companies[0].lines[0].operation, Operation::Withdraw);
    let m = rows(&j).into_iter().find(|x| x.0 == MERCIER).unwrap();
    assert_eq!(
        (m.3.as_str(), m.4.as_deref()),
        ("accepted", Some("rejected"))
    );
    let details: Vec<String> = j
        .read_blocking(|c| {
            let mut s = c.prepare(
                "SELECT detail FROM insurer_events WHERE kind = 'prestij_rejected' ORDER BY id",
            )?;
            let v = s
                .query_map([], |r| r.get(0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(v)
        })
        .unwrap();
    assert_eq!(details.len(), 1, "{details:?}");
    assert!(details[0].contains("\"withdrawal\""), "{}", details[0]);
    assert!(details[0].contains("271**********"), "{}", details[0]);
    assert!(!details[0].contains(MERCIER), "never a full NIR");
}
