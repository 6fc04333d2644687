//! Parsing cost of the API DSN formats (returns, listings, BPIJ) and of the sandbox's
//! NEODeS check. Reads the gip-mds samples from ../shared/reference (never copied).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use ijgate::formats::bpij::Bpij;
use ijgate::formats::listing::ReturnsListing;
use ijgate::formats::rapport::Rapport;

fn reference(name: &str) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var_os("IJGATE_REFERENCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let beside = root.join("../shared/reference");
            if beside.is_dir() {
                beside
            } else {
                root.join("../../shared/reference")
            }
        });
    std::fs::read(dir.join("gip-mds").join(name)).unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let bpij = reference("BPIJ_sans_indu.xml");
    c.bench_function("bpij_parse_and_summarise_sans_indu", |b| {
        b.iter(|| {
            let slip = Bpij::parse(black_box(&bpij)).map(|s| s.summaries().len());
            black_box(slip.ok())
        })
    });
    let r22 = reference("exemple_retour_22_A6M.xml");
    c.bench_function("rapport_parse_and_outcome_22", |b| {
        b.iter(|| {
            black_box(
                Rapport::parse(black_box(&r22))
                    .map(|r| r.outcome(None))
                    .ok(),
            )
        })
    });
    // A listing of 1 000 returns over 250 flux (a busy hour for a large employer).
    let mut xml = String::from("<retours>");
    for f in 0..250 {
        xml.push_str(&format!("<flux><id>Flux{f:019}</id>"));
        for n in ["10", "11", "30", "31"] {
            xml.push_str(&format!(
                "<retour><publication>20261125101500</publication><production>20261125101400</production><nature>{n}</nature><statut>OK</statut><id>{f}{n}</id></retour>"
            ));
        }
        xml.push_str("</flux>");
    }
    xml.push_str("</retours>");
    c.bench_function("returns_listing_parse_1000", |b| {
        b.iter(|| {
            black_box(
                ReturnsListing::parse(black_box(xml.as_bytes()))
                    .map(|l| l.flux.len())
                    .ok(),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
