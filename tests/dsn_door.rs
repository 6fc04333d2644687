//! The DSN door's daily MDSN01 check (real daemon): with a fiche whose establishment never sent
//! a DSN, the previous month's missing declaration is recorded in outbound/insurer/calls/ once
//! its due day has passed.

mod common;

use std::time::Duration;

use chrono::{Datelike, Local, Months};
use common::{Site, wait_until};

#[test]
fn missing_declaration_is_recorded_by_the_daily_check() {
    let fiche = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dsn/fiche_lac_p0999_etab2.xml"
    );
    // Due day 1: whatever today is (but the 1st), last month's DSN is late.
    let site = Site::new(&format!(
        "[dsn]\nsettle_time = \"200ms\"\nfiches = [\"{fiche}\"]\ndue_day = 1\n"
    ));
    let today = Local::now().date_naive();
    if today.day() == 1 {
        println!("skipped: on the 1st the due day has not passed");
        return;
    }
    let month = today.with_day(1).unwrap() - Months::new(1);
    let name = format!("missing-declarations-{}.json", month.format("%Y-%m"));
    let d = site.start();
    assert!(
        wait_until(Duration::from_secs(20), || site
            .files("spool/outbound/insurer/calls")
            .contains(&name)),
        "{}",
        d.log_text()
    );
    let v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(site.path(&format!("spool/outbound/insurer/calls/{name}"))).unwrap(),
    )
    .unwrap();
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{v}");
    assert_eq!(f[0]["code"], "MDSN01");
    assert_eq!(f[0]["siret"], "48765432100026");
    assert!(d.find_log("MDSN01").is_some(), "{}", d.log_text());
}

fn drop_lot(site: &Site, name: &str, bytes: &[u8]) {
    let inbound = site.path("spool/inbound/dsn");
    let part = inbound.join(format!(".{name}.part"));
    std::fs::write(&part, bytes).unwrap();
    std::fs::rename(&part, inbound.join(name)).unwrap();
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/dsn/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Month to month at the daemon's door (tests/fixtures/dsn/generate_fixtures.py, m2m pair, the
/// same findings as tests/dsn_checks.rs gives the CLI): February's lot is kept in the journal,
/// March's is compared with it, each finding located in March's file and in February's. The
/// same March content dropped again is archived without a second comparison.
#[test]
fn month_to_month_findings_at_the_door_are_located_in_both_lots_and_reported_once() {
    let site = Site::new("[dsn]\nsettle_time = \"200ms\"\n");
    let d = site.start();
    let archived = |n: &str| site.files("spool/archive/dsn").contains(&n.to_string());
    drop_lot(&site, "m2m_2026_02.dsn", &fixture("m2m_2026_02.dsn"));
    assert!(
        wait_until(Duration::from_secs(30), || archived("m2m_2026_02.dsn")),
        "{}",
        d.log_text()
    );
    let calls = "spool/outbound/insurer/calls";
    let feb: serde_json::Value = serde_json::from_slice(
        &std::fs::read(site.path(&format!("{calls}/m2m_2026_02.manques.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(feb["findings"].as_array().unwrap().len(), 0, "{feb}");
    drop_lot(&site, "m2m_2026_03.dsn", &fixture("m2m_2026_03.dsn"));
    assert!(
        wait_until(Duration::from_secs(30), || archived("m2m_2026_03.dsn")),
        "{}",
        d.log_text()
    );
    let mar: serde_json::Value = serde_json::from_slice(
        &std::fs::read(site.path(&format!("{calls}/m2m_2026_03.manques.json"))).unwrap(),
    )
    .unwrap();
    let mut found: Vec<(String, String, u64, String, String, u64)> = mar["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["check"].as_str().unwrap().to_string(),
                f["current"]["line"].as_u64().unwrap(),
                f["current"]["file"].as_str().unwrap().to_string(),
                f["previous"]["file"].as_str().unwrap().to_string(),
                f["previous"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    let m = |c: &str, k: &str, l: u64, p: u64| {
        (
            c.to_string(),
            k.to_string(),
            l,
            "m2m_2026_03.dsn".to_string(),
            "m2m_2026_02.dsn".to_string(),
            p,
        )
    };
    assert_eq!(
        found,
        [
            m("EAFF01", "MAFF01", 54, 86),
            m("ECIN01", "MCOT01", 45, 65),
            m("EFCT98", "MCTR01", 36, 51),
            m("ESAL98", "MSAL01", 24, 108),
        ],
        "{mar:#}"
    );
    // In the CRM too; never a full NIR in the findings file.
    let crm = String::from_utf8_lossy(
        &std::fs::read(site.path(&format!("{calls}/m2m_2026_03-1.crm.xml"))).unwrap(),
    )
    .into_owned();
    for code in ["ESAL98", "EFCT98", "EAFF01", "ECIN01"] {
        assert!(crm.contains(code), "{code} missing from the CRM");
    }
    assert!(!mar.to_string().contains("1850575123456"));
    assert!(
        d.find_log("month-to-month findings").is_some(),
        "{}",
        d.log_text()
    );
    // The same content again (a replay, or a second drop): archived, not compared again.
    drop_lot(&site, "m2m_2026_03_again.dsn", &fixture("m2m_2026_03.dsn"));
    assert!(
        wait_until(Duration::from_secs(30), || archived(
            "m2m_2026_03_again.dsn"
        )),
        "{}",
        d.log_text()
    );
    assert!(d.find_log("already taken").is_some(), "{}", d.log_text());
    assert!(
        !site
            .files(calls)
            .contains(&"m2m_2026_03_again.manques.json".to_string())
    );
    let db = site.db();
    let lots: i64 = db
        .query_row("SELECT count(*) FROM dsn_lots", [], |r| r.get(0))
        .unwrap();
    assert_eq!(lots, 2);
    let findings: i64 = db
        .query_row("SELECT sum(findings) FROM dsn_lots", [], |r| r.get(0))
        .unwrap();
    assert_eq!(findings, 4);
}
