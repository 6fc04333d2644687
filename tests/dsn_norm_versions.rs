//! P25V01 and P26V01 files are each read against their own norm table, chosen by
//! S10.G00.00.006 (one envoi of each in one lot, as insurers receive them in January).
//! S21.G00.11.008 (effectif) exists in P25V01 only, S21.G00.30.030 in P26V01 only
//! (open-neodes_norm-P25V01.yaml / -P26V01.yaml).

use ijgate::neodes::reader::{Options, Severity, read_all};

fn envoi(version: &str, extra: &[(&str, &str)]) -> String {
    let mut lines = vec![
        ("S10.G00.00.001", "PAYEXPRESS"),
        ("S10.G00.00.002", "LOGIPAIE"),
        ("S10.G00.00.003", "4.2"),
        ("S10.G00.00.005", "02"),
        ("S10.G00.00.006", version),
        ("S10.G00.00.007", "01"),
        ("S10.G00.00.008", "01"),
        ("S10.G00.01.001", "487654321"),
        ("S10.G00.01.002", "00018"),
        ("S10.G00.01.003", "ATELIERS DU LAC"),
        ("S20.G00.05.001", "01"),
        ("S20.G00.05.002", "01"),
        ("S20.G00.05.003", "11"),
        ("S20.G00.05.004", "7"),
        ("S20.G00.05.005", "01012026"),
        ("S21.G00.06.001", "487654321"),
        ("S21.G00.06.002", "00018"),
        ("S21.G00.11.001", "00018"),
        ("S21.G00.11.002", "2562B"),
    ];
    lines.extend_from_slice(extra);
    let n = lines.len() + 2;
    let mut s: String = lines
        .iter()
        .map(|(r, v)| format!("{r},'{v}'\r\n"))
        .collect();
    s.push_str(&format!("S90.G00.90.001,'{n}'\r\nS90.G00.90.002,'1'\r\n"));
    s
}

fn codes(input: &str) -> Vec<(u64, &'static str, Severity)> {
    let (_, diags, _) = read_all(input.as_bytes(), Options::default());
    diags
        .iter()
        .map(|d| (d.line, d.kind.code(), d.severity))
        .collect()
}

#[test]
fn each_envoi_is_read_against_its_own_version() {
    let p25 = envoi("P25V01", &[("S21.G00.11.008", "12")]);
    let p26 = envoi(
        "P26V01",
        &[
            ("S21.G00.30.001", "1850575123456"),
            ("S21.G00.30.030", "01"),
        ],
    );
    // Clean, each alone and both in one input (P25 then P26, then P25 again).
    assert_eq!(codes(&p25), []);
    assert_eq!(codes(&p26), []);
    let lot = format!("{p25}{p26}{p25}");
    assert_eq!(codes(&lot), []);
    // The same rubrics under the other version are unknown to it.
    let wrong25 = envoi(
        "P25V01",
        &[
            ("S21.G00.30.001", "1850575123456"),
            ("S21.G00.30.030", "01"),
        ],
    );
    assert_eq!(codes(&wrong25), [(21, "unknown-rubric", Severity::Error)]);
    let wrong26 = envoi("P26V01", &[("S21.G00.11.008", "12")]);
    assert_eq!(codes(&wrong26), [(20, "unknown-rubric", Severity::Error)]);
    // An enum code of one year only: S20.G00.05.001 nature "10" exists from P26V01.
    let nature10 = envoi("P25V01", &[]).replace("S20.G00.05.001,'01'", "S20.G00.05.001,'10'");
    assert_eq!(codes(&nature10), [(11, "not-in-enum", Severity::Error)]);
    assert_eq!(codes(&nature10.replace("P25V01", "P26V01")), []);
}

#[test]
fn an_unknown_version_is_a_located_error_and_the_rest_is_still_read() {
    let p24 = envoi("P24V01", &[("S21.G00.11.008", "12")]);
    let found = codes(&p24);
    assert_eq!(found[0], (5, "unknown-norm-version", Severity::Error));
    // Checked against the default table (P26V01) for the rest of the envoi.
    assert_eq!(found[1..], [(20, "unknown-rubric", Severity::Error)]);
}
