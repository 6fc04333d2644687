//! Memory benchmark against the real binary (release build): RSS of the daemon before, during
//! and after one large HR CSV (100k rows, about 20 MB) dropped in the spool (issue 17: RSS went
//! from 67 MB to 666 MB and stayed at 632 MB until shutdown).
//!
//! The door streams a CSV and journals it in batches of `spool.batch_rows`: the peak should
//! stay a fraction of the file's size (printed as the anchor).
//!
//! Run: `cargo bench --bench spool_memory` (env IJGATE_BENCH_ROWS, default 100000).

mod support;

use std::time::{Duration, Instant};

const SIRET: &str = "12345678200010";

/// Resident set size of a process, in MiB (from /proc/<pid>/status).
fn rss_mib(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // cargo test --benches asks for a list; nothing to list.
    }
    let rows: usize = std::env::var("IJGATE_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ijgate.toml");
    std::fs::write(
        &cfg,
        format!(
            "[daemon]\nstate_dir = \"var\"\nlog_format = \"json\"\n[spool]\ndir = \"spool\"\n[api]\nenabled = false\n\
             [netent]\nmode = \"disabled\"\n[[employers]]\nsiret = \"{SIRET}\"\nname = \"Bench\"\n"
        ),
    )
    .unwrap();
    let (child, _ready) = support::start_daemon(&cfg);
    let pid = child.id();
    std::thread::sleep(Duration::from_secs(1));
    let baseline = rss_mib(pid);

    // One export of `rows` stoppages (every column an arrêt needs), about 270 bytes a row.
    let mut body = String::from(
        "event;hr_ref;siret;nir;last_name;first_names;birth_date;sex;contract_number;contract_start;reason;\
         last_day_worked;expected_end;subrogation;subrogation_start;subrogation_end;iban;bic;salary_1;salary_2;salary_3;\
         birth_place;birth_department;birth_country;address;postal_code;city;contract_nature;job_title;pcs_ese;\
         statut_conventionnel;retirement_category;idcc\n",
    );
    for i in 0..rows {
        body.push_str(&format!(
            "arret;M-{i:08};{SIRET};2850578006048;Martin;Claire;12/05/1985;F;C2;01/03/2016;maladie;09/11/2026;20/11/2026;\
             oui;10/11/2026;20/11/2026;FR7630006000011234567890189;BNPAFRPP;2800,00;2800,00;2750,50;\
             Lyon;69;FR;3 rue du Test;69003;Lyon;01;Technicien;479a;05;04;1486\n"
        ));
    }
    let mib = body.len() as f64 / (1024.0 * 1024.0);
    let inbound = dir.path().join("spool/inbound");
    let archive = dir.path().join("spool/archive");
    let tmp = inbound.join(".big.part");
    std::fs::write(&tmp, &body).unwrap();
    drop(body);
    let start = Instant::now();
    std::fs::rename(&tmp, inbound.join("big.csv")).unwrap();
    let mut peak = baseline;
    // Done when big.csv has left inbound/ (archived as <id>_big.csv, or rejected).
    let done = || {
        std::fs::read_dir(&archive)
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with("_big.csv"))
            })
            .unwrap_or(false)
            || dir.path().join("spool/rejected/big.csv").exists()
    };
    while !done() {
        peak = peak.max(rss_mib(pid));
        assert!(
            start.elapsed() < Duration::from_secs(1800),
            "file not archived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = start.elapsed();
    let at_archive = rss_mib(pid);
    // The trim runs right after the move; give it a moment and take the lowest of a few reads.
    let mut after = at_archive;
    // The notices of the file's rows are written out after the commit: wait for that too.
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(200));
        after = after.min(rss_mib(pid));
    }
    assert!(
        !dir.path().join("spool/rejected/big.csv").exists(),
        "the bench file was rejected"
    );
    println!(
        "spool memory: {rows} rows, {mib:.1} MiB file, journaled in {:.1} s ({:.0} rows/s)",
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64()
    );
    println!(
        "spool memory: RSS baseline {baseline:.0} MiB, peak {peak:.0} MiB, at archive {at_archive:.0} MiB, lowest in the 30 s after {after:.0} MiB ({:+.0} MiB over baseline)",
        after - baseline
    );
    // Anchor: the file itself. Streaming in batches should keep the peak's growth well under
    // the file's size (the journal's page cache and one batch), whatever the row count.
    println!(
        "spool memory: peak over baseline {:.0} MiB = {:.2} x the file size ({mib:.1} MiB)",
        peak - baseline,
        (peak - baseline) / mib
    );
    support::stop_daemon(child);
}
