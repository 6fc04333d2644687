//! One planted defect per fixture (tests/fixtures/dsn, own data): the expected CRM code at the
//! expected line; the clean fixture has no anomaly at all.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use ijgate::dsn::analyze::{Analysis, AnalyzeOptions, analyze_named};
use ijgate::dsn::checks::{AffiliatedSnapshot, missing_declarations};
use ijgate::dsn::fiche::Fiche;
use rust_decimal_macros::dec;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dsn")
        .join(name)
}

fn fiche() -> Fiche {
    Fiche::parse(
        "fiche_lac_p0999.xml",
        &std::fs::read(fixture("fiche_lac_p0999.xml")).unwrap(),
    )
    .unwrap()
}

fn run(name: &str, previous: &[AffiliatedSnapshot]) -> Analysis {
    run_with(name, &[fiche()], previous)
}

fn run_with(name: &str, fiches: &[Fiche], previous: &[AffiliatedSnapshot]) -> Analysis {
    let bytes = std::fs::read(fixture(name)).unwrap();
    analyze_named(
        &bytes[..],
        name,
        fiches,
        AnalyzeOptions::default(),
        previous,
        |_, _| {},
    )
    .unwrap()
}

/// Month to month (tests/fixtures/dsn/generate_fixtures.py, m2m pair): an individual, a work
/// contract and an affiliation vanished without an end, and an affiliation left without its
/// contribution; each located in March and in February, with its CRM code.
#[test]
fn month_to_month_findings_are_located_in_both_months() {
    let feb = run_with("m2m_2026_02.dsn", &[], &[]);
    assert_eq!(feb.stats.errors, 0, "{:?}", feb.diagnostics);
    assert!(feb.anomalies.is_empty(), "{:#?}", feb.anomalies);
    let mar = run_with("m2m_2026_03.dsn", &[], &feb.snapshots);
    assert_eq!(mar.stats.errors, 0, "{:?}", mar.diagnostics);
    let mut found: Vec<_> = mar
        .anomalies
        .iter()
        .map(|x| {
            let p = x.previous.as_ref().expect("located in the previous month");
            (x.code, x.check.unwrap(), x.line, p.file.as_str(), p.line)
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("EAFF01", "MAFF01", 54, "m2m_2026_02.dsn", 86),
            ("ECIN01", "MCOT01", 45, "m2m_2026_02.dsn", 65),
            ("EFCT98", "MCTR01", 36, "m2m_2026_02.dsn", 51),
            ("ESAL98", "MSAL01", 24, "m2m_2026_02.dsn", 108),
        ],
        "{:#?}",
        mar.anomalies
    );
    assert!(
        mar.anomalies
            .iter()
            .all(|a| a.message.contains("m2m_2026_02.dsn line"))
    );
    // Nothing to compare without the previous month.
    assert!(run_with("m2m_2026_03.dsn", &[], &[]).anomalies.is_empty());
}

#[test]
fn clean_fixture_has_no_anomaly_and_a_balanced_call() {
    let a = run("lac_2026_03_clean.dsn", &[]);
    assert_eq!(a.stats.errors, 0, "{:?}", a.diagnostics);
    assert!(a.anomalies.is_empty(), "{:#?}", a.anomalies);
    assert_eq!(a.declarations.len(), 1);
    assert_eq!(a.declarations[0].employees, 2);
    assert_eq!(a.stoppages.len(), 1);
    assert_eq!(a.stoppages[0].siret, "48765432100018");
    assert_eq!(
        a.stoppages[0].stoppage.last_day_worked,
        NaiveDate::from_ymd_opt(2026, 3, 10)
    );
    let calls = a.calls.lines();
    assert_eq!(calls.len(), 1);
    let c = &calls[0];
    assert_eq!(
        (c.contract.as_str(), c.period.as_str(), c.employees),
        ("PRV-LAC-2026", "2026-03", 2)
    );
    assert_eq!(
        (c.expected, c.declared, c.paid, c.balance),
        (dec!(50.00), dec!(50.00), dec!(50.00), Some(dec!(0.00)))
    );
}

/// The done-when of issue 11: one file per rule family (tests/fixtures/dsn/generate_fixtures.py
/// plants one defect in the clean file), each reporting exactly that defect at the line of the
/// faulty rubric; every other anomaly is marked as a consequence of it.
#[test]
fn each_planted_defect_is_found_at_its_line() {
    // (file, code, line, rubric, blocking, consequences (code, line))
    type Case = (
        &'static str,
        &'static str,
        u64,
        &'static str,
        bool,
        &'static [(&'static str, u64)],
    );
    let cases: [Case; 14] = [
        (
            "lac_eadh02_unknown_contract.dsn",
            "EADH02",
            26,
            "S21.G00.15.001",
            true,
            &[("ECVE98", 26), ("ECVE03", 36)],
        ),
        (
            "lac_eadh01_broken_adhesion_link.dsn",
            "EADH01",
            53,
            "S21.G00.70.013",
            true,
            &[("ECVE98", 35)],
        ),
        (
            "lac_ecin02_broken_affiliation_link.dsn",
            "ECIN02",
            89,
            "S21.G00.78.005",
            true,
            &[("ECVE98", 35), ("ECIN01", 81)],
        ),
        (
            "lac_eaff03_unknown_option.dsn",
            "EAFF03",
            79,
            "S21.G00.70.004",
            true,
            &[],
        ),
        (
            "lac_eaff06_unknown_population.dsn",
            "EAFF06",
            51,
            "S21.G00.70.005",
            true,
            &[],
        ),
        (
            "lac_ecin05_missing_component.dsn",
            "ECIN05",
            56,
            "S21.G00.78.001",
            true,
            &[],
        ),
        (
            "lac_ecin08_wrong_contribution.dsn",
            "ECIN08",
            67,
            "S21.G00.81.004",
            false,
            &[("ECVE98", 35)],
        ),
        (
            "lac_ecin08_rate_raised.dsn",
            "ECIN08",
            68,
            "S21.G00.81.004",
            false,
            &[],
        ),
        (
            "lac_ecve98_underpaid.dsn",
            "ECVE98",
            35,
            "S21.G00.55.001",
            false,
            &[],
        ),
        (
            "lac_ecve98_component_mismatch.dsn",
            "ECVE98",
            35,
            "S21.G00.55.001",
            false,
            &[("EVER98", 31)],
        ),
        (
            "lac_ever01_no_payment.dsn",
            "EVER01",
            26,
            "S21.G00.15.001",
            false,
            &[],
        ),
        (
            "lac_eaff98_affiliation_before_contract.dsn",
            "EAFF98",
            54,
            "S21.G00.70.014",
            false,
            &[],
        ),
        (
            "lac_ecin98_base_without_contribution.dsn",
            "ECIN98",
            85,
            "S21.G00.78.001",
            false,
            &[("ECVE98", 35)],
        ),
        (
            "lac_ecin01_affiliation_without_base.dsn",
            "ECIN01",
            81,
            "S21.G00.70.012",
            true,
            &[],
        ),
    ];
    for (file, code, line, rubric, blocking, consequences) in cases {
        let a = run(file, &[]);
        assert_eq!(
            a.stats.errors, 0,
            "{file}: codec errors {:?}",
            a.diagnostics
        );
        let primary: Vec<_> = a
            .anomalies
            .iter()
            .filter(|x| x.caused_by.is_none())
            .map(|x| (x.code, x.line, x.rubric.map(|r| r.to_string()), x.blocking))
            .collect();
        assert_eq!(
            primary,
            [(code, line, Some(rubric.to_string()), blocking)],
            "{file}: {:#?}",
            a.anomalies
        );
        let mut marked: Vec<_> = a
            .anomalies
            .iter()
            .filter(|x| x.caused_by.is_some())
            .map(|x| {
                let c = x.caused_by.unwrap();
                assert_eq!((c.code, c.line), (code, line), "{file}: {x:?}");
                (x.code, x.line)
            })
            .collect();
        marked.sort();
        let mut want = consequences.to_vec();
        want.sort();
        assert_eq!(marked, want, "{file}");
    }
}

#[test]
fn underpaid_call_shows_the_balance_due() {
    let a = run("lac_ecve98_underpaid.dsn", &[]);
    let c = &a.calls.lines()[0];
    assert_eq!(
        (c.expected, c.paid, c.balance),
        (dec!(50.00), dec!(40.00), Some(dec!(10.00)))
    );
}

#[test]
fn employee_vanished_without_end_of_contract() {
    let feb = run("lac_2026_02_with_mercier.dsn", &[]);
    assert_eq!(feb.stats.errors, 0, "{:?}", feb.diagnostics);
    assert!(feb.anomalies.is_empty(), "{:?}", feb.anomalies);
    let mar = run("lac_2026_03_clean.dsn", &feb.snapshots);
    // Located in both files: the establishment's line in March (where she should be), her
    // S21.G00.30.001 in February.
    let found: Vec<_> = mar
        .anomalies
        .iter()
        .map(|x| {
            let p = x.previous.as_ref().unwrap();
            (x.code, x.check, x.line, p.file.as_str(), p.line)
        })
        .collect();
    assert_eq!(
        found,
        [(
            "ESAL98",
            Some("MSAL01"),
            24,
            "lac_2026_02_with_mercier.dsn",
            97
        )]
    );
    assert!(
        mar.anomalies[0].message.contains("271**********"),
        "NIR masked: {}",
        mar.anomalies[0].message
    );
    // Without the previous month, nothing to compare.
    assert!(run("lac_2026_03_clean.dsn", &[]).anomalies.is_empty());
}

#[test]
fn establishment_without_dsn_after_due_date() {
    let f = fiche();
    let march = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let april = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
    let received = vec![("48765432100018".to_string(), march)];
    let late = NaiveDate::from_ymd_opt(2026, 5, 6).unwrap();
    let m = missing_declarations(std::slice::from_ref(&f), &received, april, late, 5);
    assert_eq!(
        m.iter()
            .map(|a| (a.code, a.siret.as_str()))
            .collect::<Vec<_>>(),
        [("MDSN01", "48765432100018")]
    );
    // Before the due date, or when received: nothing.
    assert!(
        missing_declarations(
            std::slice::from_ref(&f),
            &received,
            april,
            NaiveDate::from_ymd_opt(2026, 5, 5).unwrap(),
            5
        )
        .is_empty()
    );
    assert!(missing_declarations(std::slice::from_ref(&f), &received, march, late, 15).is_empty());
}

/// The GIP-MDS fiche examples (read in place, never copied) parse.
#[test]
fn gip_mds_fiche_examples_parse() {
    let dir = [
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/gip-mds"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/gip-mds"),
    ]
    .into_iter()
    .find(|d| d.is_dir());
    let Some(dir) = dir else {
        assert!(
            std::env::var("CI").is_err(),
            "shared/reference missing in CI"
        );
        println!("skipped: shared/reference not found beside the crate");
        return;
    };
    for name in [
        "FICHE-PARAM-DSN-OC-26-R1.4.0-ExempleMax.xml",
        "FICHE-PARAM-DSN-OC-26-R1.4.0-ExempleMin.xml",
    ] {
        let f = Fiche::parse(name, &std::fs::read(dir.join(name)).unwrap()).unwrap();
        assert_eq!(f.company.siren, "123456789");
        assert!(f.knows_contract("PREV00000000001"));
        assert!(f.parameters().count() >= 8, "{name}");
    }
}

/// Issue 16: without the fiche de paramétrage, the expected contributions (hence the balance)
/// are not computable, and the call says so with why, instead of "balance = −paid".
#[test]
fn without_fiche_the_balance_is_not_computable_and_says_why() {
    let a = run_with("lac_2026_03_clean.dsn", &[], &[]);
    let calls = a.calls.lines();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let c = &calls[0];
    assert_eq!(c.balance, None, "{c:?}");
    assert_eq!(c.paid, dec!(50.00));
    let why = c.not_computable.as_deref().unwrap();
    assert!(
        why.contains("no fiche de paramétrage for SIREN") && why.contains(&c.siren),
        "{why}"
    );
    let json = String::from_utf8(ijgate::dsn::calls::to_json(&calls)).unwrap();
    assert!(json.contains("\"balance\": null"), "{json}");
    let html = String::from_utf8(ijgate::dsn::calls::to_html(
        &calls,
        chrono::NaiveDate::from_ymd_opt(2026, 4, 20).unwrap(),
    ))
    .unwrap();
    assert!(
        html.contains("non calculable") && !html.contains("-50,00"),
        "{html}"
    );
    // With a fiche that gives no expected elements for the contract: named too.
    let mut f = fiche();
    for g in &mut f.groups {
        for p in &mut g.parameters {
            p.expected = None;
        }
    }
    let a = run_with("lac_2026_03_clean.dsn", &[f], &[]);
    let c = &a.calls.lines()[0];
    assert_eq!(c.balance, None);
    assert!(
        c.not_computable
            .as_deref()
            .is_some_and(|w| w.contains("has no rate for contract PRV-LAC-2026")),
        "{c:?}"
    );
}
