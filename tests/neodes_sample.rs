//! Reads the open-neodes P25V01 sample lot (Apache-2.0, see NOTICE) and checks every count.

use ijgate::neodes::reader::{Options, Severity, read_all};
use ijgate::neodes::rubric::rid;

const SAMPLE: &[u8] = include_bytes!("fixtures/neodes/open-neodes_sample_dsn_P25V01.dsn");

#[test]
fn sample_lot_reads_exactly() {
    let (items, diags, stats) = read_all(SAMPLE, Options::default());
    for d in &diags {
        println!("{d}");
    }
    assert_eq!(stats.lines, 443);
    assert_eq!(items.len(), 443);
    assert_eq!(stats.envois, 3);
    assert_eq!(stats.declarations, 3);
    // Each envoi is checked against its own P25V01 table (S10.G00.00.006): no norm diagnostic.
    // Line 124 of the sample really holds a UTF-8 U+FFFD replacement character ("Pr\u{FFFD}parateur": the é was
    // lost upstream), which is detected as UTF-8 input and rejected as a forbidden character.
    // The S90 totals 161/155/107 and the S96 DSN counts all match (no diagnostic).
    let found: Vec<_> = diags
        .iter()
        .map(|d| (d.line, d.kind.code(), d.severity))
        .collect();
    assert_eq!(
        found,
        [
            (124, "utf8-input", Severity::Warning),
            (124, "forbidden-char", Severity::Error),
        ]
    );
    let totals: Vec<_> = items
        .iter()
        .filter(|i| i.rubric == rid("S90.G00.90.001"))
        .map(|i| i.value.as_str())
        .collect();
    assert_eq!(totals, ["161", "155", "107"]);
    let lot = items
        .iter()
        .find(|i| i.rubric == rid("S05.G51.00.002"))
        .unwrap();
    assert_eq!(lot.value, "769608");
    let groups: Vec<_> = items
        .iter()
        .filter(|i| i.rubric == rid("S06.G51.00.001"))
        .map(|i| i.value.as_str())
        .collect();
    assert_eq!(groups, ["DSNOK", "FP-KO", "CT-KO", "AUTRE"]);
    // Hierarchy: each envoi hangs under the DSNOK group, each declaration under its envoi.
    let group_node = items
        .iter()
        .find(|i| i.rubric == rid("S06.G51.00.001"))
        .unwrap()
        .node;
    let envois: Vec<_> = items
        .iter()
        .filter(|i| i.rubric == rid("S10.G00.00.001"))
        .collect();
    assert_eq!(envois.len(), 3);
    assert!(
        envois
            .iter()
            .all(|e| e.parent == Some(group_node) && e.starts_block)
    );
    for d in items.iter().filter(|i| i.rubric == rid("S20.G00.05.001")) {
        assert!(
            envois.iter().any(|e| Some(e.node) == d.parent),
            "declaration line {} not under an envoi",
            d.line
        );
        assert_eq!(d.value, "07");
    }
    // Every individu hangs under an établissement, every arrêt under a contrat.
    let node_block = |n: u32| {
        items
            .iter()
            .find(|i| i.node == n)
            .unwrap()
            .rubric
            .block()
            .to_string()
    };
    for i in items.iter().filter(|i| i.starts_block) {
        let b = i.rubric.block().to_string();
        let expected = match b.as_str() {
            "S21.G00.30" => "S21.G00.11",
            "S21.G00.60" | "S21.G00.62" | "S21.G00.65" | "S21.G00.70" => "S21.G00.40",
            "S21.G00.40" | "S21.G00.86" => "S21.G00.30",
            "S21.G00.11" => "S21.G00.06",
            _ => continue,
        };
        assert_eq!(node_block(i.parent.unwrap()), expected, "line {}", i.line);
    }
    let stops = items
        .iter()
        .filter(|i| i.rubric == rid("S21.G00.60.001"))
        .count();
    assert!(stops >= 2);
}
