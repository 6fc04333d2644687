//! The console's overview on a 10,000-declaration journal: read (SQL) and render (maud), the
//! whole of what `GET /console/overview` does. Target: < 100 ms; the figure is printed. Also the
//! live events' fingerprint read (`console::live::mark`).
//!
//! Run: `cargo bench --bench console` (env IJGATE_BENCH_N = declarations, default 10000).

use std::time::Instant;

fn main() {
    let n: i64 = std::env::var("IJGATE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let toml = format!(
        "[daemon]\nstate_dir = {:?}\n[spool]\ndir = {:?}\n",
        dir.path().join("state"),
        dir.path().join("spool")
    );
    let cfg: ijgate::config::Config = toml::from_str(&toml).expect("config");
    let journal = ijgate::journal::Journal::open(&cfg.db_path()).expect("journal");
    let now = chrono::Utc::now();
    // A realistic mix over the 12 charted weeks: every stoppage deposited, most with their
    // 30 and 31 returns, some failed, some still waiting.
    journal
        .write_blocking(move |c| {
            let states = ["business_report", "acknowledged", "deposited", "failed", "queued"];
            for i in 0..n {
                let created = now - chrono::Duration::minutes(i * 12);
                let at = created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                let state = states[(i % 5) as usize];
                c.execute(
                    "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
                     VALUES ('12345678900011', ?1, 'arret', '1850575123456', ?2, 1, 'h', '{}', ?3, ?3)",
                    rusqlite::params![format!("RH-{i:06}"), state, at],
                )?;
                let id = c.last_insert_rowid();
                let dep_state = if state == "failed" { "failed" } else { "deposited" };
                let idflux = format!("F{i:08}");
                c.execute(
                    "INSERT INTO deposits (declaration_id, target_declaration_id, nature, decl_type, payload, state, next_attempt_at, sent_at, idflux, created_at, updated_at)
                     VALUES (?1, ?1, '04', '01', '{}', ?2, ?3, ?3, ?4, ?3, ?3)",
                    rusqlite::params![id, dep_state, at, idflux],
                )?;
                for (nature, after) in [("11", 2), ("30", 30), ("31", 60 + (i % 300))] {
                    if state == "business_report" || (state == "acknowledged" && nature != "31") {
                        let t = (created + chrono::Duration::minutes(after))
                            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                        c.execute(
                            "INSERT INTO returns (idflux, nature, return_id, fetched_at, updated_at) VALUES (?1, ?2, 'R', ?3, ?3)",
                            rusqlite::params![idflux, nature, t],
                        )?;
                    }
                }
            }
            Ok(())
        })
        .expect("fill");
    let lang = cfg.console.lang();
    let who = ijgate::console::Who {
        identity: "bench".into(),
        role: ijgate::console::Role::Viewer,
    };
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let o = journal
            .read_blocking(|c| ijgate::console::data::overview(c, &cfg, chrono::Utc::now()))
            .expect("overview");
        size = ijgate::console::pages::overview(lang, &who, &o)
            .into_string()
            .len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "console overview, {n} declarations: median {:.1} ms, max {:.1} ms ({size} bytes of HTML); target < 100 ms",
        times[times.len() / 2],
        times[times.len() - 1]
    );
    // What each open live stream reads after a commit (console::live): the fingerprint of
    // what the pages show.
    let mut marks = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        journal
            .read_blocking(ijgate::console::live::mark)
            .expect("mark");
        marks.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    marks.sort_by(|a, b| a.total_cmp(b));
    println!(
        "console live fingerprint, {n} declarations: median {:.2} ms, max {:.2} ms (per open stream, per coalesced commit)",
        marks[marks.len() / 2],
        marks[marks.len() - 1]
    );
}
