//! Throughput of the complement engine: cases per second over a batch of 100 000 generated
//! cases (goal ≥ 100 000 cases/s on one core). Each case: one employment contract with 12
//! months of salary, a stoppage of 1–120 days across motifs, BPIJ on half of the cases, a
//! previous stoppage on a third of them (replayed), one per-day result line per day.

use chrono::{Duration, NaiveDate};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ijgate::prevoyance::calendar::YearMonth;
use ijgate::prevoyance::case::{
    Case, Employee, EmploymentContract, IjssPeriod, MonthlySalary, Stoppage,
};
use ijgate::prevoyance::{ConsumedDays, Motif, PrevoyanceContract, compute};
use rust_decimal::Decimal;
use std::hint::black_box;

const BATCH: usize = 100_000;

fn contract() -> PrevoyanceContract {
    let text = include_str!("../conf/prevoyance-example.toml");
    match PrevoyanceContract::from_toml_str(text, "conf/prevoyance-example.toml") {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

/// Small deterministic generator (xorshift), no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn generate(n: usize) -> Vec<Case> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let base = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
    (0..n)
        .map(|i| {
            let start = base + Duration::days(rng.below(700) as i64);
            let len = 1 + rng.below(120) as i64;
            let end = start + Duration::days(len - 1);
            let motif = match rng.below(4) {
                0 => Motif::AccidentTravail,
                1 => Motif::AccidentTrajet,
                _ => Motif::Maladie,
            };
            let gross = Decimal::new(150_000 + rng.below(500_000) as i64, 2);
            let salaries = YearMonth::of(start)
                .months_before(12)
                .into_iter()
                .map(|month| MonthlySalary { month, gross })
                .collect();
            let hired = start - Duration::days(rng.below(6000) as i64);
            let ijss = if rng.below(2) == 0 {
                vec![IjssPeriod {
                    from: start,
                    to: end,
                    daily_gross: Decimal::new(2_000 + rng.below(4_000) as i64, 2),
                }]
            } else {
                vec![]
            };
            let previous_stoppages = if rng.below(3) == 0 {
                let p_end = start - Duration::days(10 + rng.below(300) as i64);
                vec![Stoppage {
                    employment_contract: None,
                    start: p_end - Duration::days(rng.below(60) as i64),
                    end: p_end,
                    motif: Motif::Maladie,
                    cpam_carence_waived: false,
                    prolongations: Vec::new(),
                }]
            } else {
                vec![]
            };
            Case {
                case_id: format!("B-{i}"),
                employer: None,
                employee: Employee {
                    name: "Bench".into(),
                    nir: None,
                },
                contract: None,
                contract_file: None,
                employment_contracts: vec![EmploymentContract {
                    id: "CT".into(),
                    start: hired,
                    end: None,
                    ccn: "16".into(),
                    salaries,
                }],
                stoppage: Stoppage {
                    employment_contract: None,
                    start,
                    end,
                    motif,
                    cpam_carence_waived: false,
                    prolongations: Vec::new(),
                },
                ijss,
                previous_stoppages,
                consumed_days: ConsumedDays::new(),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let contract = contract();
    let cases = generate(BATCH);
    let total_days: i64 = cases.iter().map(|k| k.stoppage.days()).sum();
    eprintln!(
        "batch: {BATCH} cases, {total_days} stoppage days (mean {:.1})",
        total_days as f64 / BATCH as f64
    );
    let mut g = c.benchmark_group("prevoyance");
    g.sample_size(10);
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("compute_100k_cases", |b| {
        b.iter(|| {
            let mut ok = 0usize;
            for k in &cases {
                if let Ok(r) = compute(&contract, black_box(k)) {
                    ok += r.days.len();
                }
            }
            black_box(ok)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
