//! End-to-end benchmark of the CPAM exchange against the real binary and its in-process
//! sandbox peer on loopback: latency from a file drop in spool/inbound to the AEE notice in
//! spool/outbound/hr (p50/p99), and sustained throughput (declarations/s from drop to AEE).
//!
//! Run: `cargo bench --bench exchange` (env IJGATE_BENCH_N = declarations, default 1000;
//! IJGATE_BENCH_RATE = drops per second for the latency run, default 200).
//!
//! Peer faults: `IJGATE_BENCH_FAULTS=0.3 cargo bench --bench exchange` measures instead how
//! fast a backlog of N declarations drains to `accepted` (the CNAM report notice) when that
//! share of API requests fails (5xx, resets, 429, timeouts, as the sandbox injects them).

mod support;

use notify::{RecursiveMode, Watcher};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SIRET: &str = "12345678200010";

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn row(hr: &str) -> String {
    format!(
        "event;hr_ref;siret;nir;last_name;first_names;birth_date;sex;contract_number;contract_start;reason;last_day_worked;expected_end;subrogation;\
         birth_place;birth_department;birth_country;address;postal_code;city;contract_nature;job_title;pcs_ese;statut_conventionnel;retirement_category;idcc\n\
         arret;{hr};{SIRET};2850578006048;Martin;Claire;12/05/1985;F;C2;01/03/2016;maladie;09/11/2026;20/11/2026;non;\
         Nantes;44;FR;5 rue du Test;44000;Nantes;01;Comptable;461d;06;04;1486\n"
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Run {
    arrivals: Arc<Mutex<HashMap<String, Instant>>>,
    _watcher: notify::RecommendedWatcher,
}

fn watch(dir: &std::path::Path) -> Run {
    let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let a = arrivals.clone();
    let mut w = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        let t = Instant::now();
        if let Ok(ev) = ev {
            for p in ev.paths {
                if let Some(n) = p.file_name().and_then(|n| n.to_str())
                    && let Some((hr, _)) = n.split_once("_aee_")
                    && n.ends_with(".json")
                {
                    a.lock().unwrap().entry(hr.to_string()).or_insert(t);
                }
            }
        }
    })
    .unwrap();
    w.watch(dir, RecursiveMode::NonRecursive).unwrap();
    Run {
        arrivals,
        _watcher: w,
    }
}

fn drop_file(inbound: &std::path::Path, hr: &str) -> Instant {
    let tmp = inbound.join(format!(".{hr}.part"));
    std::fs::write(&tmp, row(hr)).unwrap();
    let t = Instant::now();
    std::fs::rename(&tmp, inbound.join(format!("{hr}.csv"))).unwrap();
    t
}

fn wait_all(run: &Run, n: usize, limit: Duration) {
    let start = Instant::now();
    while run.arrivals.lock().unwrap().len() < n {
        assert!(
            start.elapsed() < limit,
            "only {} AEE of {n} after {limit:?}",
            run.arrivals.lock().unwrap().len()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Watches outbound/hr for notices whose name contains `marker` (e.g. `_crm_cnam_`).
fn watch_kind(dir: &std::path::Path, marker: &'static str) -> Run {
    let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let a = arrivals.clone();
    let mut w = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        let t = Instant::now();
        if let Ok(ev) = ev {
            for p in ev.paths {
                if let Some(n) = p.file_name().and_then(|n| n.to_str())
                    && let Some((hr, _)) = n.split_once(marker)
                    && n.ends_with(".json")
                {
                    a.lock().unwrap().entry(hr.to_string()).or_insert(t);
                }
            }
        }
    })
    .unwrap();
    w.watch(dir, RecursiveMode::NonRecursive).unwrap();
    Run {
        arrivals,
        _watcher: w,
    }
}

/// Backlog drain under injected peer faults: N files dropped at once, time until every
/// declaration is accepted (its CNAM report notice is written).
fn drain_under_faults(n: usize, rate: f64) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ijgate.toml");
    // The 30 % split as in tests/exchange.rs: mostly 5xx, some resets, 429 and timeouts.
    std::fs::write(
        dir.path().join("scenario.toml"),
        format!(
            "seed = 3\n[delays]\n\"31\" = \"0s\"\n[bpij]\nenabled = false\n[faults]\n\
             error_5xx_rate = {}\nreset_rate = {}\nthrottle_rate = {}\ntimeout_rate = {}\n\
             timeout_delay = \"2s\"\nretry_after = \"500ms\"\n",
            rate * 0.5,
            rate / 6.0,
            rate / 6.0,
            rate / 6.0
        ),
    )
    .unwrap();
    std::fs::write(
        &cfg,
        format!(
            "[daemon]\nstate_dir = \"var\"\n[spool]\ndir = \"spool\"\n[api]\nenabled = false\n\
             [netent]\nmode = \"sandbox\"\npoll_interval = \"1s\"\ndeclarant_poll_interval = \"5s\"\n\
             concurrency = 16\nretry_initial = \"200ms\"\nretry_max = \"5s\"\nrequest_timeout = \"3s\"\n\
             reconcile_min_age = \"2s\"\nreconcile_recheck_interval = \"500ms\"\nclock_tolerance = \"1s\"\n\
             [sandbox]\nscenario = \"{}\"\n\
             [[employers]]\nsiret = \"{SIRET}\"\nname = \"Bench\"\n",
            dir.path().join("scenario.toml").display()
        ),
    )
    .unwrap();
    let (child, _) = support::start_daemon(&cfg);
    let inbound = dir.path().join("spool/inbound");
    let run = watch_kind(&dir.path().join("spool/outbound/hr"), "_crm_cnam_");
    let t0 = Instant::now();
    for i in 0..n {
        drop_file(&inbound, &format!("D{i:06}"));
    }
    let mut marks = Vec::new();
    for q in [n / 2, n] {
        wait_all(&run, q, Duration::from_secs(1800));
        marks.push(t0.elapsed());
    }
    let e = marks[1];
    println!(
        "exchange backlog drain under {:.0} % peer faults: {n} declarations accepted in {:.1} s ({:.0} declarations/min; first half in {:.1} s)",
        rate * 100.0,
        e.as_secs_f64(),
        n as f64 / e.as_secs_f64() * 60.0,
        marks[0].as_secs_f64()
    );
    support::stop_daemon(child);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if let Some(rate) = std::env::var("IJGATE_BENCH_FAULTS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
    {
        drain_under_faults(env_usize("IJGATE_BENCH_N", 500), rate);
        return;
    }
    let n = env_usize("IJGATE_BENCH_N", 1000);
    let rate = env_usize("IJGATE_BENCH_RATE", 200);
    let poll = std::env::var("IJGATE_BENCH_POLL").unwrap_or_else(|_| "5s".into());
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ijgate.toml");
    std::fs::write(
        &cfg,
        format!(
            "[daemon]\nstate_dir = \"var\"\n[spool]\ndir = \"spool\"\n[api]\nenabled = false\n\
             [netent]\nmode = \"sandbox\"\npoll_interval = \"{poll}\"\nconcurrency = 16\n\
             [[employers]]\nsiret = \"{SIRET}\"\nname = \"Bench\"\n\
             ape = \"2511Z\"\napet = \"2511Z\"\naddress = \"1 rue A\"\npostal_code = \"75002\"\ncity = \"Paris\"\n\
             head_office_nic = \"00010\"\ncontact_name = \"Paie\"\ncontact_phone = \"0102030405\"\n\
             [declarant]\nname = \"Bench\"\ncontact_email = \"paie@bench.invalid\"\ncontact_phone = \"0102030405\"\ntest_files = false\n"
        ),
    )
    .unwrap();
    let (child, _) = support::start_daemon(&cfg);
    let inbound = dir.path().join("spool/inbound");
    let run = watch(&dir.path().join("spool/outbound/hr"));

    // Latency: drops at a steady rate.
    let gap = Duration::from_secs_f64(1.0 / rate as f64);
    let mut dropped = HashMap::new();
    let start = Instant::now();
    for i in 0..n {
        let hr = format!("L{i:06}");
        dropped.insert(hr.clone(), drop_file(&inbound, &hr));
        let next = start + gap * (i as u32 + 1);
        if let Some(d) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
    }
    wait_all(&run, n, Duration::from_secs(300));
    let mut lat: Vec<Duration> = {
        let a = run.arrivals.lock().unwrap();
        dropped
            .iter()
            .map(|(hr, t)| a[hr].duration_since(*t))
            .collect()
    };
    lat.sort();
    println!(
        "exchange latency, file drop → AEE notice (sandbox on loopback, {n} declarations at {rate}/s): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&lat, 0.5).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat[lat.len() - 1].as_secs_f64() * 1e3
    );

    // Throughput: a burst of n drops, time until every AEE notice is there.
    let before = run.arrivals.lock().unwrap().len();
    let t0 = Instant::now();
    for i in 0..n {
        drop_file(&inbound, &format!("T{i:06}"));
    }
    wait_all(&run, before + n, Duration::from_secs(600));
    let e = t0.elapsed();
    println!(
        "exchange throughput, burst of {n} files (1 declaration each) → AEE: {:.0} declarations/s end to end ({:.2} s)",
        n as f64 / e.as_secs_f64(),
        e.as_secs_f64()
    );
    support::stop_daemon(child);
}
