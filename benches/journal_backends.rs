//! Durable declaration inserts per second and latency percentiles, SQLite journal beside a
//! PostgreSQL journal, in the same run on the same disk (issue 15).
//!
//! One "declaration" is what ingest commits for it: a `declarations` row and its `history`
//! row in one transaction, answered only after the commit is durable. SQLite goes through the
//! journal's group-commit writer (`Journal::write`, `synchronous=FULL`); PostgreSQL through
//! the pool, one transaction per declaration, `synchronous_commit = on` and `fsync = on`
//! (the server's defaults, checked below). PostgreSQL has no group commit of ours yet: each
//! declaration is its own commit (the server merges concurrent WAL flushes by itself).
//!
//! Needs PostgreSQL installed (the Debian `postgresql` package; tests/run.sh installs it).
//! Run: `cargo bench --bench journal_backends` (IJGATE_BENCH_N=… to change the count).

#[path = "../tests/common/pg.rs"]
#[allow(dead_code)]
mod pg;

use ijgate::journal::pg::{PgJournal, PgOptions, schema};
use std::time::{Duration, Instant};

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn print(name: &str, conc: usize, n: usize, elapsed: Duration, mut lat: Vec<Duration>) {
    lat.sort();
    println!(
        "{name:<12} concurrency {conc:>3}  {n:>6} declarations  {:>8.0} /s  p50 {:>7.2} ms  p99 {:>7.2} ms",
        n as f64 / elapsed.as_secs_f64(),
        pct(&lat, 0.50).as_secs_f64() * 1e3,
        pct(&lat, 0.99).as_secs_f64() * 1e3,
    );
}

const INSERT_DECL_SQLITE: &str = "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
     VALUES ('73282932000074', ?1, 'arret', '1850578006084', 'validated', 1, 'h', '{\"bench\":true}', ?2, ?2)";
const INSERT_DECL_PG: &str = "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
     VALUES ('73282932000074', $1, 'arret', '1850578006084', 'validated', 1, 'h', '{\"bench\":true}', $2, $2) RETURNING id";

async fn sqlite(j: &ijgate::journal::Journal, tag: &str, n: usize, conc: usize) {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..conc {
        let j = j.clone();
        let tag = tag.to_string();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            for i in (w..n).step_by(conc) {
                let hr = format!("{tag}-{i}");
                let t = Instant::now();
                j.write(move |c| {
                    let now = ijgate::journal::now();
                    c.execute(INSERT_DECL_SQLITE, [&hr, &now])?;
                    let id = c.last_insert_rowid();
                    c.execute(
                        "INSERT INTO history (declaration_id, at, what) VALUES (?1, ?2, 'received')",
                        rusqlite::params![id, now],
                    )?;
                    Ok(())
                })
                .await
                .unwrap();
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    print("sqlite", conc, n, start.elapsed(), lat);
}

async fn postgres(j: &PgJournal, tag: &str, n: usize, conc: usize) {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..conc {
        let j = j.clone();
        let tag = tag.to_string();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut c = j.client().await.unwrap();
            for i in (w..n).step_by(conc) {
                let hr = format!("{tag}-{i}");
                let t = Instant::now();
                let now = ijgate::journal::now();
                let tx = c.transaction().await.unwrap();
                let id: i64 = tx
                    .query_one(INSERT_DECL_PG, &[&hr, &now])
                    .await
                    .unwrap()
                    .get(0);
                tx.execute(
                    "INSERT INTO history (declaration_id, at, what) VALUES ($1, $2, 'received')",
                    &[&id, &now],
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    print("postgres", conc, n, start.elapsed(), lat);
}

fn main() {
    let n: usize = std::env::var("IJGATE_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = pg::Pg::start();
    server.create_db("bench");
    let dir = tempfile::tempdir().unwrap();
    let o = PgOptions::new(
        &server.url("bench"),
        Some(&server.password_file(dir.path())),
        None,
    )
    .unwrap();
    let o = PgOptions { pool_size: 64, ..o };
    let pgj = rt.block_on(PgJournal::open(&o)).unwrap();
    rt.block_on(async {
        let c = pgj.client().await.unwrap();
        for (setting, want) in [("synchronous_commit", "on"), ("fsync", "on")] {
            let v: String = c
                .query_one(&format!("SHOW {setting}"), &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(v, want, "{setting}");
        }
        assert_eq!(schema::current_version(&c).await.unwrap(), schema::VERSION);
    });
    // The SQLite journal on the same file system as the PostgreSQL data folder (/tmp).
    let sj = ijgate::journal::Journal::open(&dir.path().join("ijgate.db")).unwrap();
    println!("durable declaration inserts (declaration + history row, one commit each):");
    for conc in [1usize, 16, 64] {
        let count = if conc == 1 { n / 3 } else { n };
        rt.block_on(sqlite(&sj, &format!("s{conc}"), count, conc));
        rt.block_on(postgres(&pgj, &format!("p{conc}"), count, conc));
    }
    let stats = sj.stats();
    println!(
        "sqlite group commit: {} jobs in {} commits",
        stats.jobs.load(std::sync::atomic::Ordering::Relaxed),
        stats.commits.load(std::sync::atomic::Ordering::Relaxed)
    );
}
