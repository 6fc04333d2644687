//! `ijgate dsn check/calls` exit codes and outputs, and `process_file` for the spool watcher.

use std::path::{Path, PathBuf};

use ijgate::dsn::cli::{DsnCommand, load_fiches, process_file, run};

fn fx(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dsn")
        .join(name)
}

#[test]
fn check_exit_codes() {
    let fiche = vec![fx("fiche_lac_p0999.xml")];
    assert_eq!(
        run(DsnCommand::Check {
            files: vec![fx("lac_2026_03_clean.dsn")],
            fiche: fiche.clone(),
            json: false,
            due_day: 5,
            today: None,
        }),
        0
    );
    // Non-blocking anomalies only (a payment mismatch): 2, never 0.
    assert_eq!(
        run(DsnCommand::Check {
            files: vec![fx("lac_ecve98_underpaid.dsn")],
            fiche: fiche.clone(),
            json: true,
            due_day: 5,
            today: None,
        }),
        2
    );
    assert_eq!(
        run(DsnCommand::Check {
            files: vec![fx("lac_ecve98_component_mismatch.dsn")],
            fiche: fiche.clone(),
            json: true,
            due_day: 5,
            today: None,
        }),
        2
    );
    // Blocking beats anomalies-only over several files.
    assert_eq!(
        run(DsnCommand::Check {
            files: vec![
                fx("lac_ecve98_underpaid.dsn"),
                fx("lac_eadh02_unknown_contract.dsn")
            ],
            fiche: fiche.clone(),
            json: true,
            due_day: 5,
            today: None,
        }),
        1
    );
    assert_eq!(
        run(DsnCommand::Check {
            files: vec![fx("lac_eadh02_unknown_contract.dsn")],
            fiche: fiche.clone(),
            json: false,
            due_day: 5,
            today: None,
        }),
        1
    );
    assert_eq!(
        run(DsnCommand::Check {
            files: vec![fx("does-not-exist.dsn")],
            fiche: fiche.clone(),
            json: false,
            due_day: 5,
            today: None,
        }),
        3
    );
    assert_eq!(
        run(DsnCommand::Check {
            files: vec![fx("lac_2026_03_clean.dsn")],
            fiche: vec![fx("lac_2026_03_clean.dsn")],
            json: false,
            due_day: 5,
            today: None,
        }),
        3
    );
}

#[test]
fn calls_write_json_csv_html_and_crm() {
    let dir = tempfile::tempdir().unwrap();
    let code = run(DsnCommand::Calls {
        files: vec![
            fx("lac_2026_02_with_mercier.dsn"),
            fx("lac_ecve98_underpaid.dsn"),
        ],
        fiche: vec![fx("fiche_lac_p0999.xml")],
        out: dir.path().to_path_buf(),
        contact_mail: "dsn@mutuelle-lac.fr".into(),
    });
    // The underpaid March file has a (non-blocking) payment mismatch.
    assert_eq!(code, 2);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("calls.json")).unwrap()).unwrap();
    let periods: Vec<_> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["period"].as_str().unwrap().to_string(),
                l["balance"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        periods,
        [
            ("2026-02".to_string(), "0.00".to_string()),
            ("2026-03".to_string(), "10.00".to_string())
        ]
    );
    assert!(
        std::fs::read_to_string(dir.path().join("calls.csv"))
            .unwrap()
            .starts_with("siren;company;contract")
    );
    assert!(
        std::fs::read_to_string(dir.path().join("calls.html"))
            .unwrap()
            .contains("Total dû")
    );
    assert!(dir.path().join("lac_ecve98_underpaid-1.crm.xml").exists());
}

#[test]
fn process_file_for_the_watcher() {
    let dir = tempfile::tempdir().unwrap();
    let fiches = load_fiches(&[fx("fiche_lac_p0999.xml")]).unwrap();
    let r = process_file(&fx("lac_ecin05_missing_component.dsn"), &fiches, dir.path()).unwrap();
    assert_eq!((r.declarations, r.codec_errors, r.blocking), (1, 0, 1));
    assert_eq!(r.written.len(), 5);
    let report =
        std::fs::read_to_string(dir.path().join("lac_ecin05_missing_component.report.json"))
            .unwrap();
    assert!(report.contains("ECIN05"));
    assert!(
        !report.contains("1850575123456"),
        "full NIR must not appear in the report"
    );
    assert!(process_file(&fx("missing.dsn"), &fiches, dir.path()).is_err());
}

/// The exit statuses are written in `--help` (the real binary).
#[test]
fn help_documents_the_exit_statuses() {
    for sub in ["check", "calls"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ijgate"))
            .args(["dsn", sub, "--help"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Exit status: 0 clean; 1 blocking error")
                && text.contains("2 anomalies only"),
            "{sub}: {text}"
        );
    }
    // And the binary exits with them: a payment mismatch is 2.
    let st = std::process::Command::new(env!("CARGO_BIN_EXE_ijgate"))
        .args(["dsn", "check"])
        .arg(fx("lac_ecve98_component_mismatch.dsn"))
        .arg("--fiche")
        .arg(fx("fiche_lac_p0999.xml"))
        .output()
        .unwrap();
    assert_eq!(
        st.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&st.stdout)
    );
}

/// MDSN01 in `dsn check`: an establishment of the fiches (NIC 00026, second fiche) has no DSN for
/// a declared month once the due day of the next month has passed.
#[test]
fn check_reports_a_missing_declaration_after_its_due_day() {
    let fiches = [fx("fiche_lac_p0999.xml"), fx("fiche_lac_p0999_etab2.xml")];
    let run_on = |day: u32| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ijgate"))
            .args(["dsn", "check"])
            .arg(fx("lac_2026_03_clean.dsn"))
            .arg("--fiche")
            .arg(&fiches[0])
            .arg("--fiche")
            .arg(&fiches[1])
            .args(["--due-day", "5", "--today", &format!("2026-04-{day:02}")])
            .output()
            .unwrap()
    };
    let late = run_on(6);
    let text = String::from_utf8_lossy(&late.stdout);
    assert_eq!(late.status.code(), Some(2), "{text}");
    assert!(
        text.contains("MDSN01 48765432100026 no DSN for 03/2026"),
        "{text}"
    );
    assert!(!text.contains("MDSN01 48765432100018"), "{text}");
    let on_time = run_on(5);
    assert_eq!(on_time.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&on_time.stdout).contains("MDSN01"));
}
