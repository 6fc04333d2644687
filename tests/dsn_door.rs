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
