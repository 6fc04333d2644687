//! Runs the CLI glue on the shipped example case and contract.

use ijgate::prevoyance::cli::{PrevoyanceCommand, run, run_with};
use std::path::PathBuf;

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(p)
}

#[test]
fn compute_example_case_prints_json() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run_with(
        PrevoyanceCommand::Compute {
            case: fixture("tests/fixtures/prevoyance/case-example.json"),
            contract: None,
            compact: false,
        },
        &mut out,
        &mut err,
    )
    .unwrap();
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["case_id"], "ARR-2026-0042");
    // 2025-09..2026-02: (2400 × 5 + 2700) / 6 = 2450.
    assert_eq!(v["reference"]["monthly"], "2450.00");
    // Previous stoppage in October 2025: 15 days − 3 carence = 12 days of tier 1.
    assert_eq!(v["tiers"][0]["consumed_before"], 12);
    assert_eq!(v["days"].as_array().unwrap().len(), 75);
    assert_eq!(v["days"][3]["rule"], "coverage");
    assert_eq!(v["days"][3]["ijss_source"], "bpij");
    assert_eq!(v["periods"].as_array().unwrap().len(), 3);
    assert_eq!(v["periods"][0]["rubrique"], "4100");
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("2850575123456"), "NIR must not be printed");
}

#[test]
fn compute_with_explicit_contract() {
    let mut out = Vec::new();
    let code = run_with(
        PrevoyanceCommand::Compute {
            case: fixture("tests/fixtures/prevoyance/case-example.json"),
            contract: Some(fixture("conf/prevoyance-example.toml")),
            compact: true,
        },
        &mut out,
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(code, 0);
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), 1);
}

#[test]
fn run_entry_point_checks_the_example_contract() {
    let code = run(PrevoyanceCommand::CheckContract {
        contract: fixture("conf/prevoyance-example.toml"),
    })
    .unwrap();
    assert_eq!(code, 0);
}

#[test]
fn bordereau_to_stdout_is_masked() {
    let mut out = Vec::new();
    let code = run_with(
        PrevoyanceCommand::Bordereau {
            case: fixture("tests/fixtures/prevoyance/case-example.json"),
            contract: None,
            format: ijgate::prevoyance::cli::DocFormat::Csv,
            out: None,
        },
        &mut out,
        &mut Vec::new(),
    )
    .unwrap();
    assert_eq!(code, 0);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), 4);
    assert!(text.contains("285**********"));
}

#[test]
fn history_for_q1() {
    let mut out = Vec::new();
    run_with(
        PrevoyanceCommand::History {
            cases: vec![fixture("tests/fixtures/prevoyance/case-example.json")],
            contract: None,
            quarter: "2026-Q1".into(),
            format: ijgate::prevoyance::cli::DocFormat::Html,
            out: None,
        },
        &mut out,
        &mut Vec::new(),
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("<td>2026-03</td>"));
    assert!(!text.contains("<td>2026-04</td>"));
}

#[test]
fn missing_case_file_is_exit_66() {
    let e = run_with(
        PrevoyanceCommand::Compute {
            case: fixture("tests/fixtures/prevoyance/nope.json"),
            contract: None,
            compact: true,
        },
        &mut Vec::new(),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert_eq!(e.exit_code(), 66);
    assert!(e.to_string().contains("nope.json"));
}

#[test]
fn check_contract_reports_every_problem() {
    let dir = std::env::temp_dir().join(format!("ijgate-prev-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    let text = std::fs::read_to_string(fixture("conf/prevoyance-example.toml"))
        .unwrap()
        .replace("reference_months = 6", "reference_months = 0")
        .replace("conventions = [\"16\"]", "conventions = [\"02\", \"16\"]");
    std::fs::write(&path, text).unwrap();
    let mut err = Vec::new();
    let code = run_with(
        PrevoyanceCommand::CheckContract {
            contract: path.clone(),
        },
        &mut Vec::new(),
        &mut err,
    )
    .unwrap();
    assert_eq!(code, 78);
    let msg = String::from_utf8(err).unwrap();
    assert!(msg.contains("rules.reference_months"), "{msg}");
    assert!(msg.contains("excludes any other"), "{msg}");
    assert!(msg.contains("ccn02"), "{msg}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Golden file: the example's full JSON result. After an intended change, regenerate with
/// `cargo run --example prevoyance -- compute --case tests/fixtures/prevoyance/case-example.json > tests/fixtures/prevoyance/case-example.expected.json`
/// and review the diff.
#[test]
fn example_matches_golden_output() {
    let mut out = Vec::new();
    run_with(
        PrevoyanceCommand::Compute {
            case: fixture("tests/fixtures/prevoyance/case-example.json"),
            contract: None,
            compact: false,
        },
        &mut out,
        &mut Vec::new(),
    )
    .unwrap();
    let got: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let want: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture(
            "tests/fixtures/prevoyance/case-example.expected.json",
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(got["totals"], want["totals"]);
    assert_eq!(got["periods"], want["periods"]);
    assert_eq!(got, want);
}

/// `prevoyance compute` with a prolongation: the example case's stoppage (2 March – 15 May)
/// given as 2 March – 31 March prolonged to 15 May computes exactly as the whole period (one
/// carence, the coverage days go on), and the JSON totals keep two decimals.
#[test]
fn compute_a_stoppage_with_its_prolongation_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut case: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("tests/fixtures/prevoyance/case-example.json")).unwrap(),
    )
    .unwrap();
    case["contract_file"] = fixture("conf/prevoyance-example.toml")
        .display()
        .to_string()
        .into();
    let compute = |case: &serde_json::Value| {
        let path = dir.path().join("case.json");
        std::fs::write(&path, serde_json::to_vec(case).unwrap()).unwrap();
        let mut out = Vec::new();
        let code = run_with(
            PrevoyanceCommand::Compute {
                case: path,
                contract: None,
                compact: true,
            },
            &mut out,
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(code, 0);
        serde_json::from_slice::<serde_json::Value>(&out).unwrap()
    };
    let whole = compute(&case);
    case["stoppage"]["end"] = "2026-03-31".into();
    case["stoppage"]["prolongations"] =
        serde_json::json!([{ "start": "2026-04-01", "end": "2026-05-15" }]);
    let prolonged = compute(&case);
    assert_eq!(prolonged["totals"], whole["totals"]);
    assert_eq!(prolonged["days"], whole["days"]);
    assert_eq!(prolonged["end"], "2026-05-15");
    let carence = prolonged["days"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["rule"] == "carence")
        .count();
    assert_eq!(carence, 3);
    assert!(
        prolonged["totals"]["legal_shortfall_gross"]
            .as_str()
            .unwrap()
            .contains('.')
    );
}
