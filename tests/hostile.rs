//! Hostile and messy spool input (issue 17), end to end with the real binary: symlinks, FIFOs
//! and folders are refused unread; a CRLF file reports exact lines and an exact rejected
//! extract; a mixed UTF-8/Latin-1 file is refused whole; archived files get the spool mode.

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

const T: Duration = Duration::from_secs(20);

fn report(site: &Site, name: &str) -> serde_json::Value {
    serde_json::from_slice(
        &std::fs::read(site.path(&format!("spool/rejected/{name}.errors.json"))).unwrap(),
    )
    .unwrap()
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn symlink_fifo_and_folder_are_moved_aside_unread() {
    let site = Site::new("");
    let d = site.start();
    let secret = site.path("secret.txt");
    std::fs::write(&secret, "event;password=hunter2\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let inbound = site.inbound();
    std::fs::create_dir_all(&inbound).unwrap();
    std::os::unix::fs::symlink(&secret, inbound.join("x.csv")).unwrap();
    let fifo = std::ffi::CString::new(inbound.join("p.csv").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a NUL-terminated path of our temp folder.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    std::fs::create_dir(inbound.join("d.csv")).unwrap();
    let rejected = site.path("spool/rejected");
    let moved = || {
        ["x.csv", "p.csv", "d.csv"].iter().all(|n| {
            rejected.join(n).symlink_metadata().is_ok()
                && rejected.join(format!("{n}.errors.json")).exists()
        })
    };
    assert!(wait_until(T, moved), "{}", d.log_text());
    for (n, kind) in [
        ("x.csv", "symbolic link"),
        ("p.csv", "named pipe"),
        ("d.csv", "directory"),
    ] {
        let text = std::fs::read_to_string(rejected.join(format!("{n}.errors.json"))).unwrap();
        assert!(text.contains(kind), "{n}: {text}");
        assert!(text.contains("refused without being read"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(inbound.join(n).symlink_metadata().is_err());
    }
    // The link is moved as a link; its target was never touched.
    assert!(
        std::fs::symlink_metadata(rejected.join("x.csv"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(mode(&secret), 0o600);
    // The door keeps working.
    site.drop_file("after.csv", &csv(&[csv_row("AFTER-1", SIRET_A)]));
    assert!(
        wait_until(T, || site.files("spool/archive").len() == 1),
        "{}",
        d.log_text()
    );
}

/// Issue 17's hold-out: a Windows (CRLF) export with good and bad rows. Each error names the
/// physical line of its row; `rejected/<name>` holds the header and exactly the bad rows, byte
/// for byte; the archived original and the extract are 0600 although dropped 0644.
#[test]
fn crlf_file_reports_exact_lines_and_exact_rejected_rows() {
    let site = Site::new("");
    let d = site.start();
    let bad1 = csv_row("BAD-1", SIRET_A).replace("09/11/2026;20/11/2026", "31/11/2026;20/11/2026");
    let bad2 = csv_row("BAD-2", SIRET_A).replace("1850578006084", "185057800608492");
    let rows = [
        csv_row("OK-1", SIRET_A),
        bad1.clone(),
        csv_row("OK-2", SIRET_A),
        String::new(),
        bad2.clone(),
        csv_row("OK-3", SIRET_A),
    ];
    let header = CSV_HEADER;
    let mut file = format!("{header}\r\n");
    for r in &rows {
        file.push_str(r);
        file.push_str("\r\n");
    }
    site.drop_file("win.csv", file.as_bytes());
    assert!(
        wait_until(T, || site.files("spool/archive").len() == 1),
        "{}",
        d.log_text()
    );
    assert!(wait_until(T, || site
        .path("spool/rejected/win.csv")
        .exists()));
    let rep = report(&site, "win.csv");
    assert_eq!(rep["accepted"], 3, "{rep}");
    assert_eq!(rep["rejected"], 2, "{rep}");
    let mut lines: Vec<i64> = rep["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    lines.dedup();
    assert_eq!(lines, [3, 6], "{rep}");
    let extract = std::fs::read_to_string(site.path("spool/rejected/win.csv")).unwrap();
    assert_eq!(extract, format!("{header}\r\n{bad1}\r\n{bad2}\r\n"));
    assert_eq!(mode(&site.path("spool/rejected/win.csv")), 0o600);
    let archived = site.files("spool/archive");
    assert_eq!(
        mode(&site.path(&format!("spool/archive/{}", archived[0]))),
        0o600
    );
    assert_eq!(site.count_in_state("validated"), 3);
}

/// Issue 17: `MÜLLER` in a mostly UTF-8 file with one Latin-1 row was journaled as
/// `MÃœLLER`. The file is refused whole, naming the Latin-1 line, and nothing is journaled.
#[test]
fn mixed_utf8_and_latin1_file_is_refused_whole_at_the_latin1_line() {
    let site = Site::new("");
    let d = site.start();
    let mut bytes = csv(&[csv_row("MU-1", SIRET_A).replace("Dupont", "MÜLLER")]);
    bytes.extend_from_slice(
        csv_row("MU-2", SIRET_A)
            .replace("Dupont", "H\u{e9}l\u{e8}ne")
            .as_bytes(),
    );
    // Turn the second row's UTF-8 é/è into Latin-1 bytes.
    let bytes: Vec<u8> = String::from_utf8(bytes)
        .unwrap()
        .replace("Hélène", "H\u{1}l\u{2}ne")
        .into_bytes()
        .into_iter()
        .map(|b| match b {
            1 => 0xE9,
            2 => 0xE8,
            b => b,
        })
        .collect();
    site.drop_file("mixed8.csv", &bytes);
    assert!(
        wait_until(T, || site.path("spool/rejected/mixed8.csv").exists()),
        "{}",
        d.log_text()
    );
    let rep = report(&site, "mixed8.csv");
    assert_eq!(rep["errors"][0]["field"], "encoding", "{rep}");
    assert_eq!(rep["errors"][0]["line"], 3, "{rep}");
    assert_eq!(rep["accepted"], 0);
    assert_eq!(site.count_in_state("validated"), 0);
}

/// A file that is not the CSV its name says (a key, a dump) is never echoed back whole: the
/// report quotes bounded, escaped excerpts only.
#[test]
fn a_file_that_fails_to_parse_is_not_echoed_back() {
    let site = Site::new("");
    let d = site.start();
    let mut secret = b"-----BEGIN PRIVATE KEY-----\x1b[2J".to_vec();
    secret.extend(std::iter::repeat_n(b'k', 1_000_000));
    secret.extend_from_slice(b"\n-----END PRIVATE KEY-----\n");
    site.drop_file("key.csv", &secret);
    let mut dsn = b"S10.G00.00.001,'".to_vec();
    dsn.extend(std::iter::repeat_n(b'd', 100_000));
    dsn.extend_from_slice(b"'\n");
    site.drop_file("lot.dsn", &dsn);
    assert!(
        wait_until(T, || site
            .path("spool/rejected/key.csv.errors.json")
            .exists()
            && site.path("spool/rejected/lot.dsn.errors.json").exists()),
        "{}",
        d.log_text()
    );
    for n in ["key.csv", "lot.dsn"] {
        let text =
            std::fs::read_to_string(site.path(&format!("spool/rejected/{n}.errors.json"))).unwrap();
        assert!(text.len() < 4096, "{n}: {} bytes", text.len());
        assert!(
            !text.contains(&"k".repeat(100)) && !text.contains(&"d".repeat(100)),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "{text}");
    }
}

/// Issue 17 (memory): a large HR CSV is journaled in batches of `spool.batch_rows`, each
/// commit carrying the file's checkpoint. Stopped (SIGTERM) once the journal shows part of the
/// file, restarted, killed (SIGKILL) further on, restarted again: every row is journaled
/// exactly once (declarations, history, rejections, notices), the file is answered only after
/// its last batch, and the report and rejected extract are those of an uninterrupted run.
#[test]
fn large_csv_stopped_and_killed_mid_file_resumes_from_its_checkpoint() {
    const ROWS: usize = 12_000;
    let site = Site::new("");
    // Small batches: many commits, so that the kill lands mid-file.
    let toml = std::fs::read_to_string(&site.config).unwrap();
    std::fs::write(
        &site.config,
        toml.replacen("[spool]\n", "[spool]\nbatch_rows = 100\n", 1),
    )
    .unwrap();
    let mut file = format!("{CSV_HEADER}\r\n");
    let (mut good, mut bad, mut bad_rows) = (0usize, 0usize, Vec::new());
    for i in 0..ROWS {
        let row = if i % 997 == 5 {
            // Rejected by validation (impossible date), reported at its line.
            bad += 1;
            let r = csv_row(&format!("BIG-{i:05}"), SIRET_A)
                .replace("09/11/2026;20/11/2026", "31/11/2026;20/11/2026");
            bad_rows.push(r.clone());
            r
        } else if i == ROWS / 2 {
            // Ragged: a file error, journaled once with the last batch.
            bad_rows.push("arret;RAGGED;1".into());
            "arret;RAGGED;1".into()
        } else {
            good += 1;
            csv_row(&format!("BIG-{i:05}"), SIRET_A)
        };
        file.push_str(&row);
        file.push_str("\r\n");
    }
    let progress = || -> Option<(i64, bool)> {
        let db = site.db();
        db.query_row(
            "SELECT records_done, complete FROM inputs WHERE name = 'big.csv'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok()
    };
    // Awaits a checkpoint past `after` with the file still incomplete.
    let partial_past = |d: &Daemon, after: i64| {
        assert!(
            wait_until(Duration::from_secs(120), || match progress() {
                Some((n, false)) => n > after,
                Some((_, true)) => panic!("the file completed before the stop: raise ROWS"),
                None => false,
            }),
            "no partial checkpoint past {after}: {}",
            d.log_text()
        );
    };
    let unanswered = || {
        assert_eq!(site.files("spool/inbound"), ["big.csv"]);
        assert!(site.files("spool/archive").is_empty());
        assert!(site.files("spool/rejected").is_empty());
    };

    // 1. A clean stop (SIGTERM) mid-file: it stops between two batches, unanswered.
    let mut d = site.start();
    site.drop_file("big.csv", file.as_bytes());
    partial_past(&d, 0);
    assert_eq!(d.stop(), Some(0));
    assert!(
        d.find_log("stopping mid-file").is_some(),
        "{}",
        d.log_text()
    );
    let (at_stop, complete) = progress().unwrap();
    assert!(!complete && at_stop > 0 && at_stop < (good + bad) as i64);
    assert_eq!(at_stop % 100, 0, "the checkpoint moves by whole batches");
    unanswered();

    // 2. Resumed, then killed (SIGKILL) further on.
    let mut d = site.start();
    partial_past(&d, at_stop + 100);
    d.kill9();
    let (at_kill, complete) = progress().unwrap();
    assert!(!complete && at_kill > at_stop && at_kill < (good + bad) as i64);
    assert_eq!(at_kill % 100, 0, "the checkpoint moves by whole batches");
    unanswered();
    let db = site.db();
    let one = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    let declared_at_kill = one("SELECT COUNT(*) FROM declarations");
    assert!(declared_at_kill > 0 && declared_at_kill < good as i64);

    // 3. Resumed to the end.
    let mut d = site.start();
    assert!(
        wait_until(Duration::from_secs(180), || site
            .files("spool/inbound")
            .is_empty()),
        "{}",
        d.log_text()
    );
    assert!(
        d.find_log("resuming a file after its last journaled batch")
            .is_some(),
        "{}",
        d.log_text()
    );
    assert!(wait_until(
        Duration::from_secs(60),
        || site.status()["outbox_pending"] == 0
    ));
    assert_eq!(d.stop(), Some(0));

    // Exactly once: one declaration, one "received" event and one notice per good row; one
    // rejection and one notice per bad row; the ragged row once among the file's errors.
    assert_eq!(one("SELECT COUNT(*) FROM declarations"), good as i64);
    assert_eq!(
        one("SELECT COUNT(*) FROM history WHERE what = 'received'"),
        good as i64
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM history WHERE what = 'duplicate_ignored'"),
        0
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM rejections WHERE source LIKE '%\"line\"%'"),
        bad as i64
    );
    assert_eq!(
        one("SELECT COUNT(DISTINCT source) FROM rejections WHERE source LIKE '%\"line\"%'"),
        bad as i64
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM rejections WHERE source NOT LIKE '%\"line\"%'"),
        1
    );
    assert_eq!(one("SELECT COUNT(*) FROM outbox"), (good + bad + 1) as i64);
    assert_eq!(
        one("SELECT COUNT(DISTINCT file_name) FROM outbox"),
        (good + bad + 1) as i64
    );
    let (done, accepted, rejected, complete): (i64, i64, i64, bool) = db
        .query_row(
            "SELECT records_done, accepted, rejected, complete FROM inputs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (done, accepted, rejected, complete),
        ((good + bad) as i64, good as i64, bad as i64, true)
    );
    // The answer: archived, with the report and the extract of exactly the bad rows.
    assert_eq!(site.files("spool/archive").len(), 1);
    let rep = report(&site, "big.csv");
    assert_eq!(rep["accepted"], good, "{rep}");
    assert_eq!(rep["rejected"], bad, "{rep}");
    assert_eq!(rep["file_errors"], 1, "{rep}");
    let extract = std::fs::read_to_string(site.path("spool/rejected/big.csv")).unwrap();
    let mut expected = format!("{CSV_HEADER}\r\n");
    for r in &bad_rows {
        expected.push_str(r);
        expected.push_str("\r\n");
    }
    assert_eq!(extract, expected);
}
