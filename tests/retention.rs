//! Retention with the real binary: `ijgate purge --older-than` removes old declarations with
//! their history and notices, old inputs and rejections, and old archived/rejected files,
//! and keeps everything recent.

mod common;

use common::*;
use std::time::{Duration, SystemTime};

const T: Duration = Duration::from_secs(20);

fn backdate(path: &std::path::Path, days: u64) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(days * 86_400))
        .unwrap();
}

#[test]
fn purge_removes_old_data_only() {
    let site = Site::new("");
    let mut d = site.start();
    site.drop_file(
        "old.csv",
        format!("{CSV_HEADER}\n{}\n", csv_row("OLD-1", SIRET_A)).as_bytes(),
    );
    assert!(
        wait_until(T, || site.files("spool/archive").len() == 1),
        "{}",
        d.log_text()
    );
    let bad = csv_row("BAD-1", SIRET_A).replace("1850578006084", "123");
    site.drop_file("bad.csv", format!("{CSV_HEADER}\n{bad}\n").as_bytes());
    site.drop_file(
        "new.csv",
        format!("{CSV_HEADER}\n{}\n", csv_row("NEW-1", SIRET_A)).as_bytes(),
    );
    assert!(wait_until(T, || site.files("spool/archive").len() == 2
        && site.files("spool/rejected").len() == 2));
    assert!(wait_until(T, || site.status()["outbox_pending"] == 0));
    assert_eq!(d.stop(), Some(0));

    // Make OLD-1, its input, the rejection and their files 500 days old.
    let old = "2020-01-01T00:00:00.000Z";
    let db = site.db();
    // OLD-1 is finished (accepted by the CPAM); NEW-1 stays `validated` (never purged).
    db.execute(
        "UPDATE declarations SET state = 'accepted', created_at = ?1, updated_at = ?1 WHERE hr_ref = 'OLD-1'",
        [old],
    )
    .unwrap();
    db.execute("UPDATE outbox SET created_at = ?1, delivered_at = ?1 WHERE declaration_id = (SELECT id FROM declarations WHERE hr_ref = 'OLD-1')", [old]).unwrap();
    db.execute(
        "UPDATE inputs SET received_at = ?1 WHERE name IN ('old.csv', 'bad.csv')",
        [old],
    )
    .unwrap();
    db.execute("UPDATE rejections SET at = ?1", [old]).unwrap();
    drop(db);
    let archived_old = site
        .files("spool/archive")
        .into_iter()
        .find(|n| n.ends_with("_old.csv"))
        .unwrap();
    backdate(&site.path(&format!("spool/archive/{archived_old}")), 500);
    for f in site.files("spool/rejected") {
        backdate(&site.path(&format!("spool/rejected/{f}")), 500);
    }

    // Dry run: counts, removes nothing.
    let o = site.cli(&["purge", "--older-than", "400d", "--dry-run", "--json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["journal"]["declarations"], 1, "{v}");
    assert_eq!(v["files"], 3, "{v}");
    assert_eq!(site.status()["declarations_total"], 2);

    // On a terminal, without --yes: a dry run that lists what would go.
    let tty = std::process::Command::new("script")
        .args([
            "-qec",
            &format!("{BIN} --config {} purge", site.config.display()),
            "/dev/null",
        ])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&tty.stdout);
    assert!(
        shown.contains("OLD-1") && shown.contains("--yes"),
        "{shown}"
    );
    assert!(shown.contains("would remove 1 declaration"), "{shown}");
    assert_eq!(site.status()["declarations_total"], 2, "{shown}");

    let o = site.cli(&["purge", "--older-than", "400d", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["journal"]["declarations"], 1, "{v}");
    assert!(v["journal"]["history"].as_u64().unwrap() >= 2, "{v}");
    assert_eq!(v["journal"]["rejections"], 1, "{v}");
    assert_eq!(v["journal"]["inputs"], 2, "{v}");
    assert_eq!(v["files"], 3, "{v}");
    let s = site.status();
    assert_eq!(s["declarations_total"], 1, "{s}");
    assert_eq!(s["rejections"], 0, "{s}");
    assert_eq!(s["inputs"], 1, "{s}");
    let out = site.cli(&["show", "--hr-ref", "OLD-1"]);
    assert_eq!(out.status.code(), Some(1), "OLD-1 is gone");
    assert_eq!(
        site.cli(&["show", "--hr-ref", "NEW-1"]).status.code(),
        Some(0)
    );
    assert_eq!(site.files("spool/archive").len(), 1);
    assert!(site.files("spool/rejected").is_empty());
    // The default comes from the configuration (retention.keep = 400d): nothing left to do.
    let o = site.cli(&["purge", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["journal"]["declarations"], 0, "{v}");
    assert_eq!(v["files"], 0);
}

/// Issue 16: `ijgate purge --older-than 1s`, typed while the daemon runs, deleted two
/// declarations still waiting for their CNAM report. Now the age below `retention.keep` is
/// refused without `--force`, and even forced, nothing waiting for a return goes.
#[test]
fn purge_1s_keeps_what_waits_for_the_cnam_report() {
    let site = Site::new(FAST_EXCHANGE);
    // The CNAM business report (31) comes much later than the test lasts.
    std::fs::write(site.path("scenario.toml"), "[delays]\n\"31\" = \"1h\"\n").unwrap();
    let d = site.start();
    site.drop_file(
        "rh-a_two.csv",
        &csv(&[csv_row("WAIT-1", SIRET_A), csv_row("WAIT-2", SIRET_A)]),
    );
    let waiting = || {
        ["WAIT-1", "WAIT-2"].iter().all(|r| {
            states(&site, r)
                .iter()
                .any(|(_, s)| s == "deposited" || s == "acknowledged")
        })
    };
    assert!(wait_until(T, waiting), "{}", d.log_text());
    // The declarations must be older than the cutoff for the test to mean anything.
    std::thread::sleep(Duration::from_millis(1100));

    let o = site.cli(&["purge", "--older-than", "1s"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(err.lines().count(), 1, "one message: {err}");

    let o = site.cli(&["purge", "--older-than", "1s", "--force", "--json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["journal"]["declarations"], 0, "{v}");
    assert_eq!(v["declarations"], serde_json::json!([]), "{v}");
    assert_eq!(site.status()["declarations_total"], 2);
    for r in ["WAIT-1", "WAIT-2"] {
        assert_eq!(site.cli(&["show", "--hr-ref", r]).status.code(), Some(0));
    }
}
