//! Tests of the insurer hooks on a real journal (temporary SQLite file, real migrations).

use super::*;
use crate::formats::insurer::MessageKind;
use crate::journal::Journal;
use serde_json::Value;

// The insurer configuration fixtures shared with the integration tests.
#[path = "../../../tests/common/insurers.rs"]
mod fixtures;

pub(crate) const SIRET_A: &str = "12345678200010";
pub(crate) const SIRET_B: &str = "98765432400019";
pub(crate) const NIR_1: &str = "1850578006084";
pub(crate) const NIR_2: &str = "2850578006048";

fn journal() -> (tempfile::TempDir, Journal) {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(&dir.path().join("ijgate.db")).unwrap();
    (dir, j)
}

fn routing() -> Arc<Routing> {
    use fixtures::{ContractFx, InsurerFx, contract, insurers_toml};
    let toml_text = insurers_toml(&[
        InsurerFx {
            code: "PREVA",
            name: "Prévoyance A",
            extra: "",
            contracts: &[
                contract("A-1", &[SIRET_A], 30),
                ContractFx {
                    populations: &["long"],
                    ..contract("A-FUTURE", &[SIRET_A], 100000)
                },
            ],
        },
        InsurerFx {
            code: "PREVB",
            name: "Prévoyance B",
            extra: "",
            contracts: &[
                contract("B-1", &[SIRET_B], 3),
                ContractFx {
                    populations: &["cadres"],
                    ..contract("B-CADRES", &[SIRET_A], 0)
                },
            ],
        },
    ]);
    let cfg: HashMap<String, Vec<config::Insurer>> = toml::from_str(&toml_text).unwrap();
    Arc::new(Routing {
        insurers: cfg["insurers"].clone(),
        employer_names: [(SIRET_A, "Employer A"), (SIRET_B, "Employer B")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
    })
}

pub(crate) fn arret(
    hr_ref: &str,
    siret: &str,
    nir: &str,
    pop: Option<&str>,
    ldw: &str,
    end: &str,
) -> Value {
    serde_json::json!({
        "event": "arret", "hr_ref": hr_ref, "siret": siret,
        "employee": {"nir": nir, "last_name": "Dupont", "first_names": "Jean", "birth_date": "1985-05-12", "sex": "male"},
        "contract": {"number": "C001", "start": "2015-01-05", "nature": "01", "population": pop},
        "reason": "01", "last_day_worked": ldw, "expected_end": end,
        "subrogation": {"start": "2026-01-10", "end": "2026-01-20", "iban": "FR7630006000011234567890189", "bic": "BNPAFRPP"},
        "salaries": ["2500.00", "2500.00", "2400.00"]
    })
}

/// Journals stoppage `v` as the spool would, then routes it to the insurers of `r` (shared
/// with the Prest'IJ tests).
pub(crate) fn submit(j: &Journal, r: Option<&Arc<Routing>>, v: Value) -> i64 {
    let r = r.cloned();
    j.write_blocking(move |c| {
        let s: Stoppage = serde_json::from_value(v).unwrap();
        let src = store::Source {
            channel: "spool".into(),
            name: "t.csv".into(),
            line: None,
            item: None,
        };
        let at = crate::journal::now();
        let out = store::submit(c, &s, &src, &at)?;
        on_event(c, out.id, r.as_ref(), &at)?;
        Ok(out.id)
    })
    .unwrap()
}

/// (dest, file name, body) of every queued outbox row.
fn outbox(j: &Journal) -> Vec<(String, String, Vec<u8>)> {
    j.read_blocking(|c| {
        let mut s = c.prepare("SELECT dest, file_name, body FROM outbox ORDER BY id")?;
        let rows = s
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    })
    .unwrap()
}

fn of_dest(j: &Journal, dest: &str) -> Vec<(String, String)> {
    outbox(j)
        .into_iter()
        .filter(|o| o.0 == dest)
        .map(|o| (o.1, String::from_utf8_lossy(&o.2).into_owned()))
        .collect()
}

#[test]
fn employee_data_goes_only_to_the_insurer_of_their_contract() {
    let (_d, j) = journal();
    let r = routing();
    submit(
        &j,
        Some(&r),
        arret("A1", SIRET_A, NIR_1, None, "2026-01-09", "2026-01-20"),
    );
    submit(
        &j,
        Some(&r),
        arret("B1", SIRET_B, NIR_2, None, "2026-01-09", "2026-01-20"),
    );
    submit(
        &j,
        Some(&r),
        arret(
            "A2",
            SIRET_A,
            NIR_2,
            Some("Cadres"),
            "2026-01-09",
            "2026-01-20",
        ),
    );
    let a = of_dest(&j, "insurer/PREVA");
    let b = of_dest(&j, "insurer/PREVB");
    assert!(
        a.iter()
            .all(|(_, body)| body.contains(NIR_1) && !body.contains(NIR_2)),
        "{a:?}"
    );
    assert!(
        a.iter()
            .any(|(n, _)| n.starts_with("A1_stoppage_") && n.ends_with(".xml"))
    );
    assert!(
        a.iter()
            .any(|(n, _)| n.starts_with("A1_stoppage_") && n.ends_with(".csv"))
    );
    // The XML and the CSV of one message share their sequence number (issue 16).
    for (n, _) in a.iter().filter(|(n, _)| n.ends_with(".xml")) {
        let csv = n.replace(".xml", ".csv");
        assert!(a.iter().any(|(m, _)| *m == csv), "{n} has no {csv}: {a:?}");
    }
    assert!(
        b.iter()
            .all(|(_, body)| body.contains(NIR_2) && !body.contains(NIR_1))
    );
    assert!(b.iter().any(|(n, _)| n.starts_with("B1_")));
    // The "cadres" population of employer A is insured by B.
    assert!(
        b.iter()
            .any(|(n, body)| n.starts_with("A2_") && body.contains("B-CADRES"))
    );
    assert!(
        !a.iter()
            .any(|(n, _)| n.starts_with("A2_") || n.starts_with("B1_"))
    );
}

#[test]
fn without_routing_or_contract_nothing_is_sent() {
    let (_d, j) = journal();
    submit(
        &j,
        None,
        arret("A1", SIRET_A, NIR_1, None, "2026-01-09", "2026-01-20"),
    );
    assert!(outbox(&j).iter().all(|o| !o.0.starts_with("insurer/")));
    // A SIRET no contract names: silently not insured (no alert either).
    let mut r = (*routing()).clone();
    r.insurers.truncate(1);
    let r = Arc::new(r);
    submit(
        &j,
        Some(&r),
        arret("B1", SIRET_B, NIR_2, None, "2026-01-09", "2026-01-20"),
    );
    assert!(outbox(&j).iter().all(|o| !o.0.starts_with("insurer/")));
    let ev = j.read_blocking(|c| events::pending(c, 10)).unwrap();
    assert!(ev.is_empty());
}

#[test]
fn franchise_fires_once_and_future_ones_wait() {
    let (_d, j) = journal();
    let r = routing();
    // Past stoppage, franchise 3 days, still off: guarantee start.
    submit(
        &j,
        Some(&r),
        arret("B1", SIRET_B, NIR_2, None, "2026-01-09", "2099-01-01"),
    );
    // Past stoppage that ended before its 3-day franchise: below franchise.
    submit(
        &j,
        Some(&r),
        arret("B2", SIRET_B, NIR_1, None, "2026-01-09", "2026-01-10"),
    );
    // A franchise far in the future must not fire.
    submit(
        &j,
        Some(&r),
        arret(
            "A9",
            SIRET_A,
            NIR_1,
            Some("long"),
            "2026-01-09",
            "2099-01-01",
        ),
    );
    let now = crate::journal::now();
    let n = j
        .write_blocking(move |c| franchise::fire_due(c, &now, &Default::default()))
        .unwrap();
    assert_eq!(n, 2);
    let now = crate::journal::now();
    assert_eq!(
        j.write_blocking(move |c| franchise::fire_due(c, &now, &Default::default()))
            .unwrap(),
        0
    );
    let b = of_dest(&j, "insurer/PREVB");
    let g: Vec<_> = b
        .iter()
        .filter(|(n, _)| n.contains("_guarantee_start_"))
        .collect();
    assert_eq!(g.len(), 2, "xml + csv");
    assert!(g.iter().all(|(n, _)| n.starts_with("B1_")));
    assert!(g[0].1.contains("<GuaranteeDate>2026-01-13</GuaranteeDate>"));
    let below: Vec<_> = b
        .iter()
        .filter(|(n, _)| n.contains("_below_franchise_"))
        .collect();
    assert_eq!(below.len(), 2);
    assert!(below.iter().all(|(n, _)| n.starts_with("B2_")));
    let a = of_dest(&j, "insurer/PREVA");
    assert!(
        !a.iter()
            .any(|(n, _)| n.contains("guarantee") || n.contains("below"))
    );
    let next = j.read_blocking(franchise::next_due).unwrap().unwrap();
    assert!(next.starts_with("2299") || next.as_str() > "2099", "{next}");
}

/// The single value of a query.
fn one<T: rusqlite::types::FromSql + Send + 'static>(j: &Journal, sql: &'static str) -> T {
    j.read_blocking(|c| Ok(c.query_row(sql, [], |r| r.get::<_, T>(0))?))
        .unwrap()
}

#[test]
fn a_return_before_the_franchise_makes_it_due_at_once() {
    let (_d, j) = journal();
    let r = routing();
    // Franchise 30 days from a first day far in the future...
    submit(
        &j,
        Some(&r),
        arret("A1", SIRET_A, NIR_1, None, "2098-01-09", "2098-03-01"),
    );
    let due = |j: &Journal| -> String { one(j, "SELECT due_at FROM insurer_stoppages") };
    assert_eq!(
        due(&j),
        paris_midnight(NaiveDate::from_ymd_opt(2098, 2, 9).unwrap())
    );
    // ...and a return on day 5: below the franchise for sure, due now.
    let mut rep = arret("A1", SIRET_A, NIR_1, None, "2098-01-09", "2098-03-01");
    rep["event"] = "reprise".into();
    rep["return_date"] = "2098-01-15".into();
    submit(&j, Some(&r), rep);
    assert!(due(&j).as_str() < "2097");
    let now = crate::journal::now();
    assert_eq!(
        j.write_blocking(move |c| franchise::fire_due(c, &now, &Default::default()))
            .unwrap(),
        1
    );
    let a = of_dest(&j, "insurer/PREVA");
    let below = a
        .iter()
        .find(|(n, _)| n.ends_with(".xml") && n.contains("_below_franchise_"))
        .unwrap();
    assert!(below.1.contains("<ReturnDate>2098-01-15</ReturnDate>"));
    assert!(below.1.contains("<Status>ended</Status>"));
}

#[test]
fn paris_midnight_follows_summer_time() {
    assert_eq!(
        paris_midnight(NaiveDate::from_ymd_opt(2026, 1, 15).unwrap()),
        "2026-01-14T23:00:00.000Z"
    );
    assert_eq!(
        paris_midnight(NaiveDate::from_ymd_opt(2026, 7, 15).unwrap()),
        "2026-07-14T22:00:00.000Z"
    );
}

#[test]
fn acknowledgements_are_carried_and_every_message_validates() {
    let (d, j) = journal();
    let r = routing();
    let id = submit(
        &j,
        Some(&r),
        arret("A1", SIRET_A, NIR_1, None, "2026-01-09", "2099-01-01"),
    );
    j.write_blocking(move |c| {
        let at = crate::journal::now();
        c.execute(
            "INSERT INTO deposits (declaration_id, target_declaration_id, nature, decl_type, payload, state, next_attempt_at, idflux, created_at, updated_at)
             VALUES (?1, ?1, '04', '01', '{}', 'deposited', ?2, 'FLX42', ?2, ?2)",
            params![id, at],
        )?;
        let dep = c.last_insert_rowid();
        for (nature, rid, outcome) in [("10", "AEE", "technical_accepted"), ("31", "R31", "cnam_accepted")] {
            c.execute(
                "INSERT INTO returns (idflux, nature, return_id, statut, deposit_id, outcome, fetched_at, updated_at)
                 VALUES ('FLX42', ?1, ?2, 'OK', ?3, ?4, ?5, ?5)",
                params![nature, rid, dep, outcome, at],
            )?;
        }
        on_event(c, id, None, &at)?;
        Ok(())
    })
    .unwrap();
    let a = of_dest(&j, "insurer/PREVA");
    let last_csv = a.iter().rev().find(|(n, _)| n.ends_with(".csv")).unwrap();
    assert!(
        last_csv.1.contains(";FLX42;;cnam_accepted;"),
        "{}",
        last_csv.1
    );
    let now = crate::journal::now();
    j.write_blocking(move |c| franchise::fire_due(c, &now, &Default::default()))
        .unwrap();
    let docs: Vec<Vec<u8>> = of_dest(&j, "insurer/PREVA")
        .into_iter()
        .filter(|(n, _)| n.ends_with(".xml"))
        .map(|(_, b)| b.into_bytes())
        .collect();
    assert!(docs.len() >= 3);
    assert!(
        String::from_utf8_lossy(docs.last().unwrap())
            .contains(MessageKind::GuaranteeStart.as_str())
    );
    let xsd = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/formats/insurer/ijgate-insurer-v1.xsd");
    let ok = crate::formats::insurer::tests::xmllint_validate(&xsd, d.path(), &docs);
    assert!(ok.unwrap_or(true));
}

// ---- BPIJ dispatch ----

fn reference(name: &str) -> Vec<u8> {
    std::fs::read(crate::formats::reference_dir().join("gip-mds").join(name)).unwrap()
}

fn store_bpij(j: &Journal, reference: &str, xml: Vec<u8>) {
    let r = reference.to_string();
    j.write_blocking(move |c| {
        c.execute(
            "INSERT OR IGNORE INTO bpij (source, ref, sha256, xml, fetched_at) VALUES ('api', ?1, ?1, ?2, 'now')",
            params![r, xml],
        )?;
        Ok(())
    })
    .unwrap();
}

fn dispatch(j: &Journal) -> usize {
    j.write_blocking(|c| bpij::dispatch_pending(c, &crate::journal::now()))
        .unwrap()
}

/// A stoppage journaled as-is (the reference slips use NIRs the validator would refuse).
fn raw_stoppage(
    j: &Journal,
    siret: &str,
    hr_ref: &str,
    nir: &str,
    ldw: &str,
    insurer: Option<&str>,
) {
    let (s, h, n, l, i) = (
        siret.to_string(),
        hr_ref.to_string(),
        nir.to_string(),
        ldw.to_string(),
        insurer.map(str::to_string),
    );
    j.write_blocking(move |c| {
        let payload = serde_json::json!({"event": "arret", "last_day_worked": l}).to_string();
        c.execute(
            "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
             VALUES (?1, ?2, 'arret', ?3, 'accepted', 1, 'h', ?4, 'now', 'now')",
            params![s, h, n, payload],
        )?;
        if let Some(code) = i {
            c.execute(
                "INSERT INTO insurer_stoppages (siret, hr_ref, insurer_code, insurer_name, employer_name, contract_ref, franchise_days,
                    first_day, guarantee_date, due_at, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'x', 'y', 'C', 0, '2000-01-01', '2000-01-01', '9999', 'now', 'now')",
                params![s, h, code],
            )?;
        }
        Ok(())
    })
    .unwrap();
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

#[test]
fn reference_slip_without_overpayment_is_split() {
    let (d, j) = journal();
    let siret = "18003502400058";
    // Employee 1 insured by PREVA, employee 2 by PREVB, employee 3 unknown to the journal.
    raw_stoppage(
        &j,
        siret,
        "R1",
        "0851201001001",
        "2020-07-10",
        Some("PREVA"),
    );
    raw_stoppage(
        &j,
        siret,
        "R2",
        "0851201001002",
        "2020-03-01",
        Some("PREVB"),
    );
    // Same employee, a stoppage that does not overlap the slip: never chosen.
    raw_stoppage(
        &j,
        siret,
        "R1-old",
        "0851201001001",
        "2019-01-01",
        Some("PREVB"),
    );
    j.write_blocking(|c| {
        c.execute("UPDATE declarations SET payload = json_set(payload, '$.return_date', '2019-02-01') WHERE hr_ref = 'R1-old'", [])?;
        Ok(())
    })
    .unwrap();
    store_bpij(&j, "ref-1", reference("BPIJ_sans_indu.xml"));
    assert_eq!(dispatch(&j), 6);
    assert_eq!(dispatch(&j), 0, "dispatched once");
    let hr = of_dest(&j, "hr");
    let xml = hr.iter().find(|(n, _)| n.ends_with(".xml")).unwrap();
    assert_eq!(xml.1.as_bytes(), reference("BPIJ_sans_indu.xml").as_slice());
    let all = json_of(&hr.iter().find(|(n, _)| n.ends_with(".json")).unwrap().1);
    let emps = all["employees"].as_array().unwrap();
    assert_eq!(emps.len(), 3);
    assert_eq!(emps[0]["hr_ref"], "R1");
    assert_eq!(emps[0]["insurer"], "PREVA");
    assert_eq!(emps[1]["insurer"], "PREVB");
    assert_eq!(emps[2]["unmatched"], true);
    let a = of_dest(&j, "insurer/PREVA");
    let a_json = json_of(&a.iter().find(|(n, _)| n.ends_with(".json")).unwrap().1);
    assert_eq!(a_json["employees"].as_array().unwrap().len(), 1);
    let a_xml = &a.iter().find(|(n, _)| n.ends_with(".xml")).unwrap().1;
    assert!(
        a_xml.contains("0851201001001")
            && !a_xml.contains("0851201001002")
            && !a_xml.contains("0851201001003")
    );
    let b_xml = &of_dest(&j, "insurer/PREVB")
        .iter()
        .find(|(n, _)| n.ends_with(".xml"))
        .unwrap()
        .1
        .clone();
    assert!(b_xml.contains("0851201001002") && !b_xml.contains("0851201001001"));
    // The reduced copies are still BPIJ: they parse, totals recomputed.
    let reduced = crate::formats::bpij::Bpij::parse(a_xml.as_bytes()).unwrap();
    assert!(reduced.assurance_total_mismatches().is_empty());
    assert_eq!(reduced.declarant_total, reduced.declares[0].total);
    let xsd = crate::formats::reference_dir().join("gip-mds/ROOT_BPIJ_V02_04.xsd");
    let mut a_copy = a_xml.clone().into_bytes();
    // The XSD pins Version; the reduced copy keeps the slip's own (02.03).
    a_copy = String::from_utf8(a_copy)
        .unwrap()
        .replace("Version=\"02.03\"", "Version=\"02.04\"")
        .into_bytes();
    assert!(
        crate::formats::insurer::tests::xmllint_validate(&xsd, d.path(), &[a_copy]).unwrap_or(true)
    );
    let ev = j.read_blocking(|c| events::pending(c, 10)).unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].kind, events::BPIJ_UNMATCHED);
    assert_eq!(ev[0].detail["nir"], "085**********");
    // The matched stoppages have the dispatch in their history.
    let h: i64 = j
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM history WHERE what = 'bpij_dispatched'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(h, 2);
}

#[test]
fn reference_slip_with_overpayment_and_placeholder() {
    let (_d, j) = journal();
    raw_stoppage(
        &j,
        "18003502400058",
        "R1",
        "0851201001001",
        "2021-05-01",
        Some("PREVA"),
    );
    store_bpij(&j, "ref-2", reference("BPIJ_avec_indu.xml"));
    store_bpij(&j, "ref-2", reference("BPIJ_avec_indu.xml"));
    assert_eq!(dispatch(&j), 4);
    let all = json_of(
        &of_dest(&j, "hr")
            .iter()
            .find(|(n, _)| n.ends_with(".json"))
            .unwrap()
            .1,
    );
    let emps = all["employees"].as_array().unwrap();
    let placeholder = emps.iter().find(|e| e["placeholder"] == true).unwrap();
    assert_eq!(placeholder["unmatched"], false);
    assert_eq!(placeholder["overpayment_recovered"], "35.29");
    let a = json_of(
        &of_dest(&j, "insurer/PREVA")
            .iter()
            .find(|(n, _)| n.ends_with(".json"))
            .unwrap()
            .1,
    );
    assert_eq!(a["employees"].as_array().unwrap().len(), 1);
    assert_eq!(a["employees"][0]["hr_ref"], "R1");
    assert!(
        j.read_blocking(|c| events::pending(c, 10))
            .unwrap()
            .is_empty()
    );
}

/// A 02.04 slip: two CPAM, two establishments, 15-character NIR, an overpayment line.
pub(crate) fn variant_xml(nir1_15: &str, nir2_13: &str) -> String {
    let assure = |nir: &str, nom: &str, from: &str, to: &str, amount: &str, extra: &str| {
        format!(
            "<Assure><NIR>{nir}</NIR><Nom>{nom}</Nom><Prenom>X</Prenom><Cumul><Libelle>Total Salarié</Libelle><Montant>{amount}</Montant></Cumul>\
<Assurance><CodeNature>MA</CodeNature><Cumul><Libelle>Total</Libelle><Montant>{amount}</Montant></Cumul>\
<Prestation><CodeNature>IJNOR</CodeNature><Libelle>IJ NORMALES</Libelle><DateDebPrest>{from}</DateDebPrest><DateFinPrest>{to}</DateFinPrest>\
<NumSin>1</NumSin><NbIJ>10.0</NbIJ><IJSub>true</IJSub><PU>10.00</PU><Montant>100.00</Montant></Prestation>{extra}</Assurance></Assure>"
        )
    };
    let rpr = "<Prestation><CodeNature>RPR</CodeNature><Libelle>RECUPERATION</Libelle><DateDebPrest>2026-01-12</DateDebPrest><IJSub>true</IJSub><Montant>-20.00</Montant></Prestation>";
    let caisse = |code: &str, assures: String, total: &str| {
        format!(
            "<Caisse><CodeCPAM>{code}</CodeCPAM><Libelle>CPAM {code}</Libelle><JComptable>2026-02-01</JComptable><Cumul><Libelle>T</Libelle><Montant>{total}</Montant></Cumul>{assures}</Caisse>"
        )
    };
    let declare = |siret: &str, caisses: String, total: &str| {
        format!(
            "<Declare><Identite R=\"SIRET\">{siret}</Identite><RaisonSociale>E</RaisonSociale><Cumul><Libelle>T</Libelle><Montant>{total}</Montant></Cumul>{caisses}</Declare>"
        )
    };
    format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BPIJ Nature=\"BPIJ\" Version=\"02.04\" xmlns=\"www.cnamts.fr/tlsemp/IJ\">\
<Identification>900001</Identification><Temps>2026-02-01T00:00:00.000+01:00</Temps><Declarant><Identite R=\"SIRET\">{SIRET_A}</Identite>\
<Cumul><Libelle>T</Libelle><Montant>280.00</Montant></Cumul>{}{}</Declarant></BPIJ>",
        declare(
            SIRET_A,
            caisse(
                "751",
                assure(nir1_15, "UN", "2026-01-10", "2026-01-19", "80.00", rpr),
                "80.00"
            ) + &caisse(
                "631",
                assure(
                    "1990101001001",
                    "INCONNU",
                    "2026-01-10",
                    "2026-01-19",
                    "100.00",
                    ""
                ),
                "100.00"
            ),
            "180.00"
        ),
        declare(
            SIRET_B,
            caisse(
                "751",
                assure(nir2_13, "DEUX", "2026-01-10", "2026-01-19", "100.00", ""),
                "100.00"
            ),
            "100.00"
        ),
    )
}

#[test]
fn variant_slip_matches_15_char_nir_across_cpam_and_employers() {
    let (_d, j) = journal();
    let r = routing();
    submit(
        &j,
        Some(&r),
        arret("A1", SIRET_A, NIR_1, None, "2026-01-09", "2026-01-31"),
    );
    submit(
        &j,
        Some(&r),
        arret("B1", SIRET_B, NIR_2, None, "2026-01-09", "2026-01-31"),
    );
    let nir15 = crate::model::Nir::parse(NIR_1).unwrap().with_key();
    store_bpij(&j, "v1", variant_xml(&nir15, NIR_2).into_bytes());
    let before = outbox(&j).len();
    assert_eq!(dispatch(&j), 6);
    assert_eq!(outbox(&j).len(), before + 6);
    let hr = json_of(
        &of_dest(&j, "hr")
            .iter()
            .rev()
            .find(|(n, _)| n.starts_with("bpij_") && n.ends_with(".json"))
            .unwrap()
            .1,
    );
    let emps = hr["employees"].as_array().unwrap();
    assert_eq!(emps.len(), 3);
    assert_eq!(emps[0]["hr_ref"], "A1");
    assert_eq!(emps[0]["overpayment_recovered"], "20.00");
    assert_eq!(emps[0]["net"], "80.00");
    assert_eq!(emps[1]["unmatched"], true);
    assert_eq!(emps[2]["hr_ref"], "B1");
    let a: Vec<_> = of_dest(&j, "insurer/PREVA")
        .into_iter()
        .filter(|(n, _)| n.starts_with("bpij_"))
        .collect();
    let b: Vec<_> = of_dest(&j, "insurer/PREVB")
        .into_iter()
        .filter(|(n, _)| n.starts_with("bpij_"))
        .collect();
    assert_eq!((a.len(), b.len()), (2, 2));
    assert!(a.iter().all(|(_, body)| body.contains(&nir15)
        && !body.contains(NIR_2)
        && !body.contains("1990101001001")));
    assert!(
        b.iter()
            .all(|(_, body)| body.contains(NIR_2) && !body.contains(&nir15))
    );
    let reduced = crate::formats::bpij::Bpij::parse(
        a.iter()
            .find(|(n, _)| n.ends_with(".xml"))
            .unwrap()
            .1
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(reduced.declares.len(), 1);
    assert_eq!(reduced.declares[0].caisses.len(), 1);
    assert_eq!(
        reduced.declarant_total,
        Some(rust_decimal::Decimal::new(8000, 2))
    );
}

#[test]
fn guarantee_start_carries_the_prevoyance_complement() {
    let (d, j) = journal();
    let r = routing();
    let mut v = arret("B1", SIRET_B, NIR_2, None, "2026-01-09", "2026-02-15");
    v["salaries"] = serde_json::json!(vec!["2400.00"; 12]);
    submit(&j, Some(&r), v.clone());
    // The same stoppage for another employee whose IJSS were paid (a dispatched BPIJ line):
    // the real, higher IJSS leave less to complement than the legal estimate.
    let mut paid = v;
    paid["hr_ref"] = "B3".into();
    paid["employee"]["nir"] = "1990101001001".into();
    let b3 = submit(&j, Some(&r), paid);
    j.write_blocking(move |c| {
        c.execute("INSERT INTO bpij (source, ref, sha256, xml, fetched_at) VALUES ('api', 'r', 's', x'00', 'now')", [])?;
        c.execute(
            "INSERT INTO bpij_lines (bpij_id, siret, nir_masked, declaration_id, gross, csg, crds, net, days,
                period_start, period_end, overpayment, at)
             VALUES (1, ?1, '199', ?2, '2040.00', '0', '0', '2040.00', '34', '2026-01-13', '2026-02-15', '0', 'now')",
            params![SIRET_B, b3],
        )?;
        Ok(())
    })
    .unwrap();
    // Maternity: outside the complement engine, the guarantee start goes without it.
    let mut m = arret("B2", SIRET_B, NIR_1, None, "2026-01-09", "2026-02-15");
    m["reason"] = "02".into();
    submit(&j, Some(&r), m);
    let pc = crate::config::insurers::load_contract(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conf/prevoyance-example.toml"),
    )
    .unwrap();
    let contracts: franchise::Contracts = [(("PREVB".to_string(), "B-1".to_string()), pc)]
        .into_iter()
        .collect();
    let now = crate::journal::now();
    assert_eq!(
        j.write_blocking(move |c| franchise::fire_due(c, &now, &contracts))
            .unwrap(),
        3
    );
    let b = of_dest(&j, "insurer/PREVB");
    let xml = |hr: &str| {
        b.iter()
            .find(|(n, _)| n.starts_with(&format!("{hr}_guarantee_start_")) && n.ends_with(".xml"))
            .unwrap()
            .1
            .clone()
    };
    let with = xml("B1");
    assert!(with.contains("<Complement>"), "{with}");
    assert!(with.contains("<From>2026-01-10</From>") && with.contains("<To>2026-02-15</To>"));
    let gross = |x: &str| -> rust_decimal::Decimal {
        x.split("<Gross>")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(gross(&with) > rust_decimal::Decimal::ZERO);
    let with_paid = xml("B3");
    assert!(
        gross(&with_paid) < gross(&with),
        "{} vs {}",
        gross(&with_paid),
        gross(&with)
    );
    assert!(!xml("B2").contains("<Complement>"));
    let xsd = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/formats/insurer/ijgate-insurer-v1.xsd");
    let ok = crate::formats::insurer::tests::xmllint_validate(&xsd, d.path(), &[with.into_bytes()]);
    assert!(ok.unwrap_or(true));
}

#[test]
fn purge_forgets_routing_only_once_the_declarations_are_gone() {
    let (_d, j) = journal();
    let r = routing();
    submit(
        &j,
        Some(&r),
        arret("A1", SIRET_A, NIR_1, None, "2026-01-09", "2026-01-20"),
    );
    let count = |j: &Journal| -> i64 { one(j, "SELECT COUNT(*) FROM insurer_stoppages") };
    j.write_blocking(|c| purge(c, "9999")).unwrap();
    assert_eq!(count(&j), 1, "declaration still there");
    // Retention removes finished stoppages only.
    j.write_blocking(|c| {
        c.execute_batch(
            "UPDATE declarations SET state = 'accepted'; UPDATE outbox SET delivered_at = '2020'",
        )?;
        Ok(())
    })
    .unwrap();
    j.write_blocking(|c| {
        crate::journal::retention::purge(
            c,
            "9999",
            &crate::journal::retention::PurgeHooks {
                before_declarations: vec![crate::alerts::store::purge_followup],
                after_declarations: vec![purge],
            },
        )
    })
    .unwrap();
    assert_eq!(count(&j), 0);
}

#[test]
fn the_same_slip_from_the_api_and_the_spool_is_dispatched_once() {
    let (_d, j) = journal();
    let xml = reference("BPIJ_sans_indu.xml");
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&xml))
    };
    for (source, r) in [("api", "https://api/bpij/1"), ("spool", sha.as_str())] {
        let (source, r, sha, xml) = (source.to_string(), r.to_string(), sha.clone(), xml.clone());
        j.write_blocking(move |c| {
            c.execute(
                "INSERT INTO bpij (source, ref, sha256, xml, fetched_at) VALUES (?1, ?2, ?3, ?4, 'now')",
                params![source, r, sha, xml],
            )?;
            Ok(())
        })
        .unwrap();
    }
    assert_eq!(dispatch(&j), 2, "hr xml + json, once");
    let pending: i64 = j
        .read_blocking(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM bpij WHERE dispatched_at IS NULL",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(pending, 0);
}

#[test]
fn a_population_no_contract_covers_is_one_alertable_event() {
    let (_d, j) = journal();
    let mut r = (*routing()).clone();
    // Employer B: only the "cadres" population is insured.
    r.insurers[1].contracts[0].populations = vec!["cadres".into()];
    let r = Arc::new(r);
    submit(
        &j,
        Some(&r),
        arret(
            "B1",
            SIRET_B,
            NIR_2,
            Some("ouvriers"),
            "2026-01-09",
            "2026-01-20",
        ),
    );
    let mut rep = arret(
        "B1",
        SIRET_B,
        NIR_2,
        Some("ouvriers"),
        "2026-01-09",
        "2026-01-20",
    );
    rep["event"] = "reprise".into();
    rep["return_date"] = "2026-01-15".into();
    submit(&j, Some(&r), rep);
    assert!(outbox(&j).iter().all(|o| !o.0.starts_with("insurer/")));
    let ev = j.read_blocking(|c| events::pending(c, 10)).unwrap();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].kind, events::NO_CONTRACT);
    assert_eq!(ev[0].detail["population"], "ouvriers");
    let ids: Vec<i64> = ev.iter().map(|e| e.id).collect();
    j.write_blocking(move |c| events::mark_alerted(c, &ids, "now"))
        .unwrap();
    assert!(
        j.read_blocking(|c| events::pending(c, 10))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn guarantee_date_counts_from_the_first_day_and_saturates() {
    let d = NaiveDate::from_ymd_opt(2026, 1, 10).unwrap();
    assert_eq!(guarantee_date(d, 0), d);
    assert_eq!(
        guarantee_date(d, 30),
        NaiveDate::from_ymd_opt(2026, 2, 9).unwrap()
    );
    assert_eq!(guarantee_date(NaiveDate::MAX, 3), NaiveDate::MAX);
}

#[test]
fn a_damaged_link_date_is_a_located_error_not_1970() {
    let dir = tempfile::tempdir().unwrap();
    let j = Journal::open(&dir.path().join("ijgate.db")).unwrap();
    j.write_blocking(|c| {
        c.execute(
            "INSERT INTO insurer_stoppages (siret, hr_ref, insurer_code, insurer_name, employer_name, contract_ref, franchise_days,
                first_day, guarantee_date, due_at, fired_kind, fired_at, created_at, updated_at)
             VALUES ('12345678200010', 'A1', 'PREVA', 'x', 'y', 'C', 3, '02/03/2026', '2026-03-05', 'z', NULL, NULL, 'now', 'now')",
            [],
        )?;
        Ok(())
    })
    .unwrap();
    let e = j
        .read_blocking(|c| link(c, "12345678200010", "A1"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("insurer_stoppages row 1")
            && e.contains("first_day")
            && e.contains("02/03/2026"),
        "{e}"
    );
}

/// A prolongation the HR tool declared under a new reference continues the stoppage: the
/// contract of the seed (conf/prevoyance-example.toml: carence 3 days, 6 reference months,
/// net base with 23 % charges and a 70 % employer share, cascade 30 days at 100 / 80 / 60 %)
/// pays the same complement as for one stoppage over the whole period — one franchise, one
/// carence, the coverage days going on — and the prolongation gets no franchise of its own.
/// A "prolongation" after a day worked, or of an employee with no stoppage, is not chained.
#[test]
fn a_prolongation_under_a_new_reference_continues_the_stoppage() {
    let (_d, j) = journal();
    let r = routing();
    let salaries = serde_json::json!(vec!["2400.00"; 12]);
    let mut initial = arret("P1", SIRET_B, NIR_2, None, "2026-01-09", "2026-01-20");
    initial["salaries"] = salaries.clone();
    submit(&j, Some(&r), initial);
    // Avis de prolongation from 21/01 (the day after the initial end) to 15/02, new reference.
    let mut prol = arret("P1-PROL", SIRET_B, NIR_2, None, "2026-01-20", "2026-02-15");
    prol["event"] = "prolongation".into();
    submit(&j, Some(&r), prol);
    // The whole period as one stoppage, for another employee with the same data.
    let mut whole = arret("REF", SIRET_B, NIR_1, None, "2026-01-09", "2026-02-15");
    whole["salaries"] = salaries;
    submit(&j, Some(&r), whole);
    // Not chained: a prolongation of an employee with no stoppage.
    let mut other = arret(
        "X-PROL",
        SIRET_B,
        "1990101001001",
        None,
        "2026-01-20",
        "2026-02-15",
    );
    other["event"] = "prolongation".into();
    submit(&j, Some(&r), other);
    let chains = j
        .read_blocking(|c| prolongation_chains(c, SIRET_B, NIR_2))
        .unwrap();
    assert_eq!(
        chains
            .iter()
            .map(|c| (c.hr_ref.as_str(), c.continues.as_str(), c.end))
            .collect::<Vec<_>>(),
        [(
            "P1-PROL",
            "P1",
            NaiveDate::from_ymd_opt(2026, 2, 15).unwrap()
        )]
    );
    let routes: i64 = one(
        &j,
        "SELECT count(*) FROM insurer_stoppages WHERE hr_ref IN ('P1-PROL', 'X-PROL')",
    );
    assert_eq!(routes, 0, "a prolongation gets no franchise of its own");
    // The insurer heard of the new end under the initial reference.
    let b = of_dest(&j, "insurer/PREVB");
    assert!(
        b.iter().any(|(n, x)| n.starts_with("P1_")
            && n.ends_with(".xml")
            && x.contains("<ExpectedEnd>2026-02-15</ExpectedEnd>")),
        "{:#?}",
        b.iter().map(|x| &x.0).collect::<Vec<_>>()
    );
    let pc = crate::config::insurers::load_contract(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("conf/prevoyance-example.toml"),
    )
    .unwrap();
    let contracts: franchise::Contracts = [(("PREVB".to_string(), "B-1".to_string()), pc)]
        .into_iter()
        .collect();
    let now = crate::journal::now();
    assert_eq!(
        j.write_blocking(move |c| franchise::fire_due(c, &now, &contracts))
            .unwrap(),
        2,
        "P1 and REF"
    );
    let b = of_dest(&j, "insurer/PREVB");
    let xml = |hr: &str| {
        b.iter()
            .find(|(n, _)| n.starts_with(&format!("{hr}_guarantee_start_")) && n.ends_with(".xml"))
            .unwrap_or_else(|| panic!("no guarantee start for {hr}"))
            .1
            .clone()
    };
    let field = |x: &str, tag: &str| -> String {
        x.split(&format!("<{tag}>"))
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap()
            .to_string()
    };
    let (p1, reference) = (xml("P1"), xml("REF"));
    assert_eq!(field(&p1, "GuaranteeDate"), "2026-01-13");
    assert_eq!(field(&p1, "From"), "2026-01-10");
    assert_eq!(field(&p1, "To"), "2026-02-15");
    assert_eq!(field(&p1, "Gross"), field(&reference, "Gross"));
    assert_eq!(field(&p1, "Net"), field(&reference, "Net"));
    assert!(
        field(&p1, "Gross")
            .parse::<rust_decimal::Decimal>()
            .unwrap()
            > rust_decimal::Decimal::ZERO
    );
    // A prolongation starting after a day worked following the stoppage's end is not chained.
    let mut after = arret("P1-LATE", SIRET_B, NIR_2, None, "2026-02-17", "2026-03-01");
    after["event"] = "prolongation".into();
    submit(&j, Some(&r), after);
    let chains = j
        .read_blocking(|c| prolongation_chains(c, SIRET_B, NIR_2))
        .unwrap();
    assert!(chains.iter().all(|c| c.hr_ref != "P1-LATE"), "{chains:?}");
}
