//! DSN reading benchmark (a bench binary, `harness = false`): generates a realistic lot in a
//! temporary directory, then times on the same file, in the same run:
//! `wc -l`, `grep -c S21.G00.30.001`, the tokenizer alone, the codec reader (charset, norm,
//! hierarchy, totals), and the full insurer check (reader + extraction + checks + calls).
//! Peak RSS is read from /proc/self/status (VmHWM) after each phase; before the full check the
//! high-water mark is reset (`/proc/self/clear_refs`), so its figure is the check's own peak.
//!
//! Size: `IJGATE_BENCH_MB` (default 512), in `IJGATE_BENCH_DECLS` declarations of one company
//! (default 1: a single declaration of the whole size, ~200,000 employees for 500 MB, the case
//! where memory must not grow with the declaration). Run: `cargo bench --bench dsn_read`.

use std::fs::File;
use std::io::BufWriter;
use std::process::Command;
use std::time::{Duration, Instant};

use ijgate::dsn::analyze::{AnalyzeOptions, analyze};
use ijgate::dsn::fiche::Fiche;
use ijgate::dsn::generate::{GenSpec, generate};
use ijgate::neodes::line::tokenize_stream;
use ijgate::neodes::reader::{Event, Reader};

fn vm_hwm_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// User + system CPU time of this process and of its waited-for children. The machine is
/// shared, so wall time alone says more about the neighbours than about the code.
fn cpu_time() -> Duration {
    let mut total = Duration::ZERO;
    for who in [libc::RUSAGE_SELF, libc::RUSAGE_CHILDREN] {
        // SAFETY: getrusage only writes into the zeroed struct we pass.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(who, &mut ru) } == 0 {
            for tv in [ru.ru_utime, ru.ru_stime] {
                total += Duration::new(tv.tv_sec as u64, (tv.tv_usec as u32) * 1000);
            }
        }
    }
    total
}

#[derive(Clone, Copy)]
struct Timing {
    wall: Duration,
    cpu: Duration,
}

fn report(name: &str, bytes: u64, t: Timing, extra: &str) {
    let mb = bytes as f64 / 1e6;
    println!(
        "{name:<40} wall {:>7.3} s {:>7.0} MB/s | cpu {:>7.3} s {:>7.0} MB/s | VmHWM {:>6} kB | {extra}",
        t.wall.as_secs_f64(),
        mb / t.wall.as_secs_f64(),
        t.cpu.as_secs_f64(),
        mb / t.cpu.as_secs_f64(),
        vm_hwm_kb()
    );
}

/// Best of `n` runs, by CPU time.
fn best_of<T>(n: usize, mut f: impl FnMut() -> T) -> (Timing, T) {
    let mut best = Timing {
        wall: Duration::MAX,
        cpu: Duration::MAX,
    };
    let mut out = None;
    for _ in 0..n {
        let (w, c) = (Instant::now(), cpu_time());
        let r = f();
        let t = Timing {
            wall: w.elapsed(),
            cpu: cpu_time().saturating_sub(c),
        };
        if t.cpu < best.cpu {
            best = t;
        }
        out = Some(r);
    }
    (best, out.expect("n >= 1"))
}

fn main() {
    let mb: u64 = std::env::var("IJGATE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512);
    let runs: usize = std::env::var("IJGATE_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("lot.dsn");
    // ~2.5 kB per employee with the generator's blocks.
    let declarations: u32 = std::env::var("IJGATE_BENCH_DECLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let per_decl = ((mb * 1_000_000) / (2_530 * u64::from(declarations))).max(1) as u32;
    let t = Instant::now();
    let mut w = BufWriter::with_capacity(1 << 20, File::create(&path).expect("create"));
    let bytes = generate(
        &mut w,
        GenSpec {
            declarations,
            employees_per_declaration: per_decl,
            stoppage_every: 25,
        },
    )
    .expect("generate");
    drop(w);
    println!(
        "generated {} MB ({declarations} declarations x {per_decl} employees) in {:.1} s",
        bytes / 1_000_000,
        t.elapsed().as_secs_f64()
    );
    println!(
        "machine: {} cores, runs per measure: {runs} (best kept)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let (d, out) = best_of(runs, || {
        Command::new("wc")
            .arg("-l")
            .arg(&path)
            .output()
            .expect("wc")
    });
    report(
        "wc -l",
        bytes,
        d,
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap_or(""),
    );
    let (d, out) = best_of(runs, || {
        Command::new("grep")
            .arg("-c")
            .arg("S21.G00.30.001")
            .arg(&path)
            .output()
            .expect("grep")
    });
    let grep_time = d;
    report(
        "grep -c S21.G00.30.001",
        bytes,
        d,
        String::from_utf8_lossy(&out.stdout).trim(),
    );

    let (d, n) = best_of(runs, || {
        let mut individuals = 0u64;
        tokenize_stream(File::open(&path).expect("open"), |_, r| {
            if let Ok(l) = r
                && l.rubric.packed() == 210_030_001
            {
                individuals += 1;
            }
        })
        .expect("read");
        individuals
    });
    report(
        "tokenize (ijgate line::tokenize)",
        bytes,
        d,
        &format!(
            "{n} individus, {:.2}x grep -c (cpu)",
            grep_time.cpu.as_secs_f64() / d.cpu.as_secs_f64()
        ),
    );

    let (d, (items, errors)) = best_of(runs, || {
        let mut r = Reader::new(File::open(&path).expect("open"));
        let mut items = 0u64;
        while let Some(ev) = r.next_event() {
            if let Event::Item(_) = ev {
                items += 1;
            }
        }
        (items, r.stats().errors)
    });
    report(
        "codec reader (norm+hierarchy+S90)",
        bytes,
        d,
        &format!("{items} items, {errors} errors"),
    );

    let fiche = Fiche::parse(
        "fiche",
        include_bytes!("../tests/fixtures/dsn/fiche_lac_p0999.xml"),
    )
    .expect("fiche");
    let opts = AnalyzeOptions {
        keep_snapshots: false,
        ..AnalyzeOptions::default()
    };
    // The full check's own peak: reset the high-water mark first (Linux: "5" → clear_refs).
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let (d, a) = best_of(runs, || {
        analyze(
            File::open(&path).expect("open"),
            std::slice::from_ref(&fiche),
            opts,
            &[],
            |_, _| {},
        )
        .expect("analyze")
    });
    let calls = a.calls.lines();
    report(
        "full check (codec+extract+checks+calls)",
        bytes,
        d,
        &format!(
            "{} declarations, {} anomalies, {} stoppages, {} call line(s)",
            a.declarations.len(),
            a.anomalies.len(),
            a.stoppages.len(),
            calls.len()
        ),
    );
    println!(
        "peak RSS (VmHWM) of the full check{}: {} kB",
        if reset {
            " (high-water mark reset before it)"
        } else {
            " (whole run: clear_refs not available)"
        },
        vm_hwm_kb()
    );
}
