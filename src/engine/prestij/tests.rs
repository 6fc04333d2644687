//! Tests of enrolment, batching and answers on a real journal (temporary SQLite file, real
//! migrations), through the insurer hook as the daemon calls it.

use super::*;
use crate::engine::insurer::{self, Routing, config::Insurer};
use crate::formats::gestip::{Arl, Cr, CrLine};
use crate::journal::Journal;
use std::collections::HashMap;
use std::sync::Arc;

const SIRET: &str = "12345678200010";
const NIR_1: &str = "1850578006084";
const NIR_2: &str = "2850578006048";

fn journal() -> (tempfile::TempDir, Journal) {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(&dir.path().join("ijgate.db")).unwrap();
    (dir, j)
}

fn routing(prestij: bool) -> Arc<Routing> {
    let section = if prestij {
        "[insurers.prestij]\naccess_key = \"KEY-P\"\ncycle = \"1s\"\n"
    } else {
        ""
    };
    let cfg: HashMap<String, Vec<Insurer>> = toml::from_str(&format!(
        "[[insurers]]\ncode = \"PREVP\"\nname = \"Prévoyance P\"\n{section}[[insurers.contracts]]\nreference = \"P-1\"\nsirets = [\"{SIRET}\"]\nfranchise_days = 3\n"
    ))
    .unwrap();
    Arc::new(Routing {
        insurers: cfg["insurers"].clone(),
        employer_names: HashMap::new(),
    })
}

fn arret(hr_ref: &str, nir: &str, ldw: &str, end: &str) -> serde_json::Value {
    serde_json::json!({
        "event": "arret", "hr_ref": hr_ref, "siret": SIRET,
        "employee": {"nir": nir, "last_name": "Dupont", "first_names": "Jean", "birth_date": "1985-05-12", "sex": "male"},
        "contract": {"number": "C001", "start": "2015-01-05", "nature": "01"},
        "reason": "01", "last_day_worked": ldw, "expected_end": end,
        "salaries": ["2500.00", "2500.00", "2400.00"]
    })
}

fn submit(j: &Journal, r: &Arc<Routing>, v: serde_json::Value) -> i64 {
    insurer::tests::submit(j, Some(r), v)
}

fn enrolments(j: &Journal) -> Vec<(String, String, String, Option<String>)> {
    j.read_blocking(|c| {
        let mut s = c.prepare(
            "SELECT nir, cover_from, state, flow_id FROM prestij_enrolments ORDER BY id",
        )?;
        let rows = s
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    })
    .unwrap()
}

fn build(j: &Journal) -> Option<String> {
    j.write_blocking(|c| {
        build_flow(
            c,
            &Sender {
                code: "PREVP",
                name: "Prévoyance P",
                access_key: "KEY-P",
            },
            chrono::Utc::now(),
        )
    })
    .unwrap()
}

fn events_of(j: &Journal, kind: &'static str) -> Vec<serde_json::Value> {
    j.read_blocking(move |c| {
        let mut s = c.prepare("SELECT detail FROM insurer_events WHERE kind = ?1 ORDER BY id")?;
        let rows = s
            .query_map([kind], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .map(|d| serde_json::from_str(&d).unwrap())
            .collect())
    })
    .unwrap()
}

#[test]
fn a_stoppage_enrols_its_employee_once_retroactively() {
    let (_d, j) = journal();
    let r = routing(true);
    submit(&j, &r, arret("A1", NIR_1, "2026-01-09", "2026-01-20"));
    // Cover from the stoppage's first day (the day after the last day worked), in the past.
    assert_eq!(
        enrolments(&j),
        vec![(NIR_1.into(), "2026-01-10".into(), "pending".into(), None)]
    );
    // A later stoppage of the same employee is already covered: no second enrolment.
    submit(&j, &r, arret("A2", NIR_1, "2026-02-01", "2026-02-10"));
    // An earlier one is not: a new enrolment from its first day.
    submit(&j, &r, arret("A0", NIR_1, "2025-12-01", "2025-12-05"));
    let e = enrolments(&j);
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!(e[1].1, "2025-12-02");
}

#[test]
fn no_enrolment_without_prestij() {
    let (_d, j) = journal();
    submit(
        &j,
        &routing(false),
        arret("A1", NIR_1, "2026-01-09", "2026-01-20"),
    );
    assert!(enrolments(&j).is_empty());
}

#[test]
fn pending_enrolments_are_batched_into_one_flow() {
    let (_d, j) = journal();
    let r = routing(true);
    submit(&j, &r, arret("A1", NIR_1, "2026-01-09", "2026-01-20"));
    submit(&j, &r, arret("A2", NIR_2, "2026-01-12", "2026-01-20"));
    let flow = build(&j).expect("a flow");
    assert_eq!(flow, "GESTIP-PREVP-000001");
    assert_eq!(build(&j), None, "nothing left to send");
    let e = enrolments(&j);
    assert!(
        e.iter()
            .all(|x| x.2 == "sent" && x.3.as_deref() == Some(flow.as_str()))
    );
    let bodies = j.read_blocking(|c| undelivered(c, "PREVP")).unwrap();
    assert_eq!(bodies.len(), 1);
    let g = gestip::read_gestip(&bodies[0].1).unwrap();
    assert_eq!(g.access_key, "KEY-P");
    assert_eq!(g.companies.len(), 1);
    assert_eq!(g.companies[0].lines.len(), 2);
    assert_eq!(g.companies[0].lines[0].nir.expose(), NIR_1);
}

fn cr(flow: &str, reject_second: bool) -> Answer {
    Answer::Cr(Cr {
        flow_id: flow.into(),
        processed: chrono::Utc::now().naive_utc(),
        lines: vec![
            CrLine {
                reference: "E1".into(),
                nir: Nir::new(NIR_1),
                accepted: true,
                code: None,
                reason: None,
            },
            CrLine {
                reference: "E2".into(),
                nir: Nir::new(NIR_2),
                accepted: !reject_second,
                code: Some("NIR_INCONNU".into()),
                reason: Some("NIR inconnu".into()),
            },
        ],
    })
}

#[test]
fn a_rejected_employee_is_alerted_masked_and_resent_once_fixed() {
    let (_d, j) = journal();
    let r = routing(true);
    submit(&j, &r, arret("A1", NIR_1, "2026-01-09", "2026-01-20"));
    submit(&j, &r, arret("A2", NIR_2, "2026-01-12", "2026-01-20"));
    let flow = build(&j).unwrap();
    let a = cr(&flow, true);
    let applied = j
        .write_blocking(move |c| apply_answer(c, &a, &crate::journal::now()))
        .unwrap();
    assert_eq!(
        applied,
        Applied::Cr {
            accepted: 1,
            rejected: 1
        }
    );
    let states: Vec<String> = enrolments(&j).into_iter().map(|e| e.2).collect();
    assert_eq!(states, ["accepted", "rejected"]);
    let ev = events_of(&j, EV_REJECTED);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["nir"], "285**********");
    assert_eq!(ev[0]["reason"], "NIR inconnu");
    assert!(
        !ev[0].to_string().contains(NIR_2),
        "no full NIR in an alert"
    );
    // The same CR again changes nothing and alerts nothing.
    let a = cr(&flow, true);
    let again = j
        .write_blocking(move |c| apply_answer(c, &a, &crate::journal::now()))
        .unwrap();
    assert!(matches!(again, Applied::Ignored(_)));
    assert_eq!(events_of(&j, EV_REJECTED).len(), 1);
    // Unchanged identity: not re-sent.
    let view_of = |j: &Journal| {
        j.read_blocking(|c| insurer::load_view(c, SIRET, "A2"))
            .unwrap()
            .unwrap()
    };
    let link_id: i64 = j
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT id FROM insurer_stoppages WHERE hr_ref = 'A2'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    let v = view_of(&j);
    let v2 = v.clone();
    assert!(
        !j.write_blocking(move |c| on_stoppage(
            c,
            &Subject {
                insurer_code: "PREVP",
                siret: SIRET,
                link_id,
                view: &v2,
            },
            &crate::journal::now()
        ))
        .unwrap()
    );
    // The NIR corrected: back to pending, and in the next flow.
    let mut fixed = v.clone();
    fixed.nir = "2850578006099".into();
    assert!(
        j.write_blocking(move |c| on_stoppage(
            c,
            &Subject {
                insurer_code: "PREVP",
                siret: SIRET,
                link_id,
                view: &fixed,
            },
            &crate::journal::now()
        ))
        .unwrap()
    );
    assert_eq!(enrolments(&j)[1].2, "pending");
    assert_eq!(build(&j).as_deref(), Some("GESTIP-PREVP-000002"));
}

#[test]
fn a_missing_arl_alerts_once_and_an_arl_ko_rejects_the_flow() {
    let (_d, j) = journal();
    let r = routing(true);
    submit(&j, &r, arret("A1", NIR_1, "2026-01-09", "2026-01-20"));
    let flow = build(&j).unwrap();
    let f = flow.clone();
    let t0 = chrono::Utc::now();
    j.write_blocking(move |c| mark_delivered(c, &f, t0, std::time::Duration::from_secs(3600)))
        .unwrap();
    assert_eq!(
        j.write_blocking(move |c| check_arl_deadlines(c, t0))
            .unwrap(),
        0
    );
    let later = t0 + chrono::Duration::hours(2);
    assert_eq!(
        j.write_blocking(move |c| check_arl_deadlines(c, later))
            .unwrap(),
        1
    );
    assert_eq!(
        j.write_blocking(move |c| check_arl_deadlines(c, later))
            .unwrap(),
        0
    );
    assert_eq!(events_of(&j, EV_ARL_MISSING).len(), 1);
    let s = j.read_blocking(summary).unwrap();
    assert_eq!(s.awaiting_answer, 1);
    // A late ARL KO: the flow is refused and its employees rejected, alerted.
    let arl = Answer::Arl(Arl {
        flow_id: flow,
        accepted: false,
        reason: Some("clé d'accès invalide".into()),
        received: chrono::Utc::now().naive_utc(),
    });
    let applied = j
        .write_blocking(move |c| apply_answer(c, &arl, &crate::journal::now()))
        .unwrap();
    assert_eq!(applied, Applied::Arl { accepted: false });
    assert_eq!(enrolments(&j)[0].2, "rejected");
    assert_eq!(events_of(&j, EV_ARL_KO).len(), 1);
    let s = j.read_blocking(summary).unwrap();
    assert_eq!(s.awaiting_answer, 0);
    assert_eq!(s.enrolments, BTreeMap::from([("rejected".to_string(), 1)]));
}

#[test]
fn an_answer_for_an_unknown_flow_is_ignored() {
    let (_d, j) = journal();
    let a = cr("GESTIP-X-000009", false);
    let applied = j
        .write_blocking(move |c| apply_answer(c, &a, &crate::journal::now()))
        .unwrap();
    assert_eq!(applied, Applied::Ignored("unknown flow"));
}
