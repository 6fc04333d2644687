//! Crash safety with the real binary: SIGKILL while files are being ingested, restart, and
//! check that every file ends up archived with its declarations journaled exactly once, or is
//! still waiting in inbound/ — never lost, never journaled twice.

mod common;

use common::*;
use std::time::Duration;

#[test]
fn sigkill_during_ingestion_loses_nothing_and_duplicates_nothing() {
    const FILES: usize = 60;
    const ROWS: usize = 20;
    let site = Site::new("");
    let files: Vec<(String, Vec<u8>)> = (0..FILES)
        .map(|f| {
            let mut csv = String::from(CSV_HEADER);
            for r in 0..ROWS {
                csv.push('\n');
                csv.push_str(&csv_row(&format!("K{f:03}-{r:02}"), SIRET_A));
            }
            csv.push('\n');
            (format!("batch{f:03}.csv"), csv.into_bytes())
        })
        .collect();

    let mut dropped = 0;
    let mut interrupted_rounds = 0;
    for round in 0..4 {
        let mut d = site.start();
        // Drop the next slice of files while the daemon works, then kill it mid-flight.
        let upto = (dropped + FILES / 4).min(FILES);
        for (name, bytes) in &files[dropped..upto] {
            site.drop_file(name, bytes);
        }
        dropped = upto;
        // Kill as soon as a few more files are archived: the rest is mid-flight.
        let target = site.files("spool/archive").len() + 3;
        wait_until(Duration::from_secs(20), || {
            site.files("spool/archive").len() >= target
        });
        d.kill9();
        // At every instant: each file is archived or still in inbound (never lost).
        let archived = site.files("spool/archive").len();
        let waiting = site.files("spool/inbound").len();
        assert_eq!(
            archived + waiting,
            dropped,
            "round {round}: a file went missing"
        );
        if waiting > 0 {
            interrupted_rounds += 1;
        }
    }
    // The test only proves something if the kills really interrupted work.
    assert!(
        interrupted_rounds > 0,
        "no kill happened while files were waiting"
    );
    // Final run: everything left is processed.
    let mut d = site.start();
    assert!(
        wait_until(Duration::from_secs(60), || site
            .files("spool/inbound")
            .is_empty()),
        "{}",
        d.log_text()
    );
    assert!(wait_until(
        Duration::from_secs(20),
        || site.status()["outbox_pending"] == 0
    ));
    assert_eq!(d.stop(), Some(0));

    assert_eq!(site.files("spool/archive").len(), FILES);
    assert!(site.files("spool/rejected").is_empty());
    let db = site.db();
    let one = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        one("SELECT COUNT(*) FROM declarations"),
        (FILES * ROWS) as i64
    );
    assert_eq!(one("SELECT COUNT(*) FROM inputs"), FILES as i64);
    // Journaled once: exactly one "received" event per declaration, no duplicate replays.
    assert_eq!(
        one("SELECT COUNT(*) FROM history WHERE what = 'received'"),
        (FILES * ROWS) as i64
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM history WHERE what = 'duplicate_ignored'"),
        0
    );
    // Every declaration got its notice, written once under its name.
    let notices = site.files("spool/outbound/hr");
    assert_eq!(notices.len(), FILES * ROWS);
}
