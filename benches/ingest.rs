//! Ingestion benchmark against the real binary (release build):
//! - N declarations through the mTLS web service at concurrency C: declarations/s, p50/p99;
//! - M files dropped in the spool: files/s until all are archived;
//! - beside them, the raw fsync rate of the same disk, measured in the same run.
//!
//! Run: `cargo bench --bench ingest` (env IJGATE_BENCH_N, IJGATE_BENCH_C, IJGATE_BENCH_FILES).

mod support;

use ijgate::channels::mtls_client::{MtlsClient, client_config};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SIRET: &str = "12345678200010";

fn env_usize(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn fsync_rate(dir: &std::path::Path) -> f64 {
    let p = dir.join("fsync.probe");
    let mut f = std::fs::File::create(&p).unwrap();
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < Duration::from_secs(2) {
        f.write_all(&[0u8; 4096]).unwrap();
        f.sync_data().unwrap();
        n += 1;
    }
    let _ = std::fs::remove_file(&p);
    n as f64 / start.elapsed().as_secs_f64()
}

fn decl(i: usize) -> serde_json::Value {
    serde_json::json!({
        "event": "arret", "hr_ref": format!("B-{i:08}"), "siret": SIRET, "nir": "2850578006048",
        "last_name": "Martin", "first_names": "Claire", "birth_date": "1985-05-12", "sex": "F",
        "contract_number": "C002", "contract_start": "2016-03-01", "reason": "maladie",
        "last_day_worked": "2026-11-09", "expected_end": "2026-11-20", "subrogation": "non",
        "salaries": ["2800.00", "2800.00", "2750.50"],
        "birth_place": "Nantes", "birth_department": "44", "birth_country": "FR",
        "address": "5 rue du Test", "postal_code": "44000", "city": "Nantes",
        "contract_nature": "01", "job_title": "Comptable", "pcs_ese": "461d",
        "statut_conventionnel": "06", "retirement_category": "04", "idcc": "1486"
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // cargo test --benches asks for a list; nothing to list.
    }
    let n = env_usize("IJGATE_BENCH_N", 20_000);
    let c = env_usize("IJGATE_BENCH_C", 64);
    let files = env_usize("IJGATE_BENCH_FILES", 2_000);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ijgate.toml");
    std::fs::write(
        &cfg,
        format!(
            "[daemon]\nstate_dir = \"var\"\nlog_format = \"json\"\n[spool]\ndir = \"spool\"\n[api]\nlisten = \"127.0.0.1:0\"\n\
             cert_file = \"certs/server.pem\"\nkey_file = \"certs/server.key\"\nclient_ca_file = \"certs/ca.pem\"\ndev_certs = true\n\
             [netent]\nmode = \"disabled\"\n[[employers]]\nsiret = \"{SIRET}\"\nname = \"Bench\"\n[[hr_clients]]\nname = \"bench\"\nsirets = [\"{SIRET}\"]\n"
        ),
    )
    .unwrap();
    let fsyncs = fsync_rate(dir.path());
    let (child, ready) = support::start_daemon(&cfg);
    let addr: std::net::SocketAddr = ready["fields"]["listen"].as_str().unwrap().parse().unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let certs = dir.path().join("certs");
    let tls = client_config(
        &certs.join("ca.pem"),
        Some((
            &certs.join("client-bench.pem"),
            &certs.join("client-bench.key"),
        )),
    )
    .unwrap();
    let (elapsed, mut lat) = rt.block_on(async {
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..c {
            let client = MtlsClient::new(addr, "localhost", tls.clone()).unwrap();
            let next = next.clone();
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= n {
                        return lat;
                    }
                    let body = serde_json::to_vec(&decl(i)).unwrap();
                    let t = Instant::now();
                    let r = client
                        .request("POST", "/v1/stoppages", Some(body))
                        .await
                        .unwrap();
                    assert_eq!(r.status, 202, "{:?}", r.body);
                    lat.push(t.elapsed());
                }
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        (start.elapsed(), all)
    });
    lat.sort();
    println!(
        "machine: {} cores; disk raw fsync rate: {fsyncs:.0}/s (4 KiB write + fdatasync)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!(
        "api: {n} declarations, concurrency {c}: {:.0} declarations/s durable (synchronous=FULL), p50 {:.2} ms, p99 {:.2} ms",
        n as f64 / elapsed.as_secs_f64(),
        percentile(&lat, 0.50).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3
    );

    // Spool: files of one declaration each, dropped by rename.
    let inbound = dir.path().join("spool/inbound");
    let archive = dir.path().join("spool/archive");
    let header = "event;hr_ref;siret;nir;last_name;first_names;birth_date;sex;contract_number;contract_start;reason;last_day_worked;expected_end;subrogation;\
                  birth_place;birth_department;birth_country;address;postal_code;city;contract_nature;job_title;pcs_ese;statut_conventionnel;retirement_category;idcc\n";
    let start = Instant::now();
    for i in 0..files {
        let body = format!(
            "{header}arret;S-{i:08};{SIRET};2850578006048;Martin;Claire;12/05/1985;F;C2;01/03/2016;maladie;09/11/2026;20/11/2026;non;\
             Nantes;44;FR;5 rue du Test;44000;Nantes;01;Comptable;461d;06;04;1486\n"
        );
        let tmp = inbound.join(format!(".f{i}.part"));
        std::fs::write(&tmp, body).unwrap();
        std::fs::rename(&tmp, inbound.join(format!("f{i:06}.csv"))).unwrap();
    }
    while std::fs::read_dir(&archive).map(|d| d.count()).unwrap_or(0) < files {
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "spool bench timed out"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let e = start.elapsed();
    println!(
        "spool: {files} files (1 declaration each): {:.0} files/s (drop to archive, journaled durably)",
        files as f64 / e.as_secs_f64()
    );
    support::stop_daemon(child);
}
