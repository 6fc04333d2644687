//! The CRM OC written for each fixture is valid against the official XSD (xmllint), and carries
//! the planted anomaly.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use ijgate::dsn::analyze::{AnalyzeOptions, analyze};
use ijgate::dsn::crm::{CrmContext, crm_xml};
use ijgate::dsn::fiche::Fiche;

fn reference_dir() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    [
        root.join("../shared/reference"),
        root.join("../../shared/reference"),
    ]
    .into_iter()
    .find(|d| d.is_dir())
}

fn xmllint_available() -> bool {
    Command::new("xmllint").arg("--version").output().is_ok()
}

fn ctx() -> CrmContext {
    CrmContext {
        producer_code: None,
        producer_name: "Prévoyance Mutuelle du Lac".into(),
        contact_name: "Service DSN".into(),
        contact_mail: "dsn@mutuelle-lac.fr".into(),
        contact_tel: Some("0400000000".into()),
        now: NaiveDate::from_ymd_opt(2026, 4, 8)
            .unwrap()
            .and_hms_opt(9, 30, 0)
            .unwrap(),
    }
}

#[test]
fn crm_of_every_fixture_validates_against_the_xsd() {
    let (Some(reference), true) = (reference_dir(), xmllint_available()) else {
        assert!(
            std::env::var("CI").is_err(),
            "xmllint and ../shared/reference are required in CI (apt-get install -y libxml2-utils)"
        );
        println!("skipped: xmllint or shared/reference not available");
        return;
    };
    let xsd = reference.join("gip-mds/CRM-DSN-OC-P3-V1.1.4-17062025.xsd");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dsn");
    let fiche = Fiche::parse(
        "fiche",
        &std::fs::read(fixtures.join("fiche_lac_p0999.xml")).unwrap(),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    let mut with_returns = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("dsn") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let mut outputs = Vec::new();
        analyze(
            &bytes[..],
            std::slice::from_ref(&fiche),
            AnalyzeOptions::default(),
            &[],
            |d, a| {
                outputs.push((
                    crm_xml(d, a, Some(&fiche), &ctx()),
                    a.iter().any(|x| x.code.starts_with('E')),
                ));
            },
        )
        .unwrap();
        for (i, (xml, has)) in outputs.into_iter().enumerate() {
            let out = dir.path().join(format!(
                "{}-{i}.xml",
                path.file_stem().unwrap().to_string_lossy()
            ));
            std::fs::write(&out, &xml).unwrap();
            let res = Command::new("xmllint")
                .arg("--noout")
                .arg("--schema")
                .arg(&xsd)
                .arg(&out)
                .output()
                .unwrap();
            assert!(
                res.status.success(),
                "{}: {}",
                out.display(),
                String::from_utf8_lossy(&res.stderr)
            );
            checked += 1;
            if has {
                with_returns += 1;
                assert!(
                    xml.windows(12).any(|w| w == b"RetourMetier"),
                    "{}",
                    out.display()
                );
            }
        }
    }
    assert!(checked >= 12, "{checked}");
    assert!(with_returns >= 11, "{with_returns}");
}

#[test]
fn crm_carries_code_line_and_context() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dsn");
    let fiche = Fiche::parse(
        "fiche",
        &std::fs::read(fixtures.join("fiche_lac_p0999.xml")).unwrap(),
    )
    .unwrap();
    let bytes = std::fs::read(fixtures.join("lac_ecin05_missing_component.dsn")).unwrap();
    let mut xml = Vec::new();
    analyze(
        &bytes[..],
        std::slice::from_ref(&fiche),
        AnalyzeOptions::default(),
        &[],
        |d, a| xml = crm_xml(d, a, Some(&fiche), &ctx()),
    )
    .unwrap();
    let text: String = xml.iter().map(|&b| char::from(b)).collect();
    assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"));
    assert!(text.contains("CodeRetourMetier=\"ECIN05\""), "{text}");
    assert!(text.contains("ligne 56"), "{text}");
    assert!(text.contains("CodeRetourDecla=\"2\""));
    assert!(
        text.contains("Rubrique=\"S21.G00.15.001\"") && text.contains("Valeur=\"PRV-LAC-2026\"")
    );
    let clean = std::fs::read(fixtures.join("lac_2026_03_clean.dsn")).unwrap();
    analyze(
        &clean[..],
        std::slice::from_ref(&fiche),
        AnalyzeOptions::default(),
        &[],
        |d, a| xml = crm_xml(d, a, Some(&fiche), &ctx()),
    )
    .unwrap();
    let text: String = xml.iter().map(|&b| char::from(b)).collect();
    // Clean: no error return (only the IDEC99 saying the fixture has no deposit identifiers).
    assert!(text.contains("CodeRetourDecla=\"0\"") && !text.contains("CodeRetourMetier=\"E"));
}

/// The month-to-month findings are in the CRM (with both locations) and it stays valid.
#[test]
fn month_to_month_findings_are_in_a_valid_crm() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dsn");
    let read = |n: &str| std::fs::read(fixtures.join(n)).unwrap();
    let feb = ijgate::dsn::analyze::analyze_named(
        &read("m2m_2026_02.dsn")[..],
        "m2m_2026_02.dsn",
        &[],
        AnalyzeOptions::default(),
        &[],
        |_, _| {},
    )
    .unwrap();
    let mut xml = Vec::new();
    ijgate::dsn::analyze::analyze_named(
        &read("m2m_2026_03.dsn")[..],
        "m2m_2026_03.dsn",
        &[],
        AnalyzeOptions::default(),
        &feb.snapshots,
        |d, a| xml = crm_xml(d, a, None, &ctx()),
    )
    .unwrap();
    let text: String = xml.iter().map(|&b| char::from(b)).collect();
    for code in ["ESAL98", "EFCT98", "EAFF01", "ECIN01"] {
        assert!(
            text.contains(&format!("CodeRetourMetier=\"{code}\"")),
            "{code}: {text}"
        );
    }
    assert!(
        text.contains("mois precedent m2m_2026_02.dsn ligne 108"),
        "{text}"
    );
    let (Some(reference), true) = (reference_dir(), xmllint_available()) else {
        assert!(std::env::var("CI").is_err(), "xmllint required in CI");
        return;
    };
    let xsd = reference.join("gip-mds/CRM-DSN-OC-P3-V1.1.4-17062025.xsd");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m2m.crm.xml");
    std::fs::write(&out, &xml).unwrap();
    let r = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "{}\n{text}",
        String::from_utf8_lossy(&r.stderr)
    );
}

fn xsd_valid(xml: &[u8]) {
    let (Some(reference), true) = (reference_dir(), xmllint_available()) else {
        assert!(std::env::var("CI").is_err(), "xmllint required in CI");
        return;
    };
    let xsd = reference.join("gip-mds/CRM-DSN-OC-P3-V1.1.4-17062025.xsd");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("crm.xml");
    std::fs::write(&out, xml).unwrap();
    let r = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&r.stderr),
        String::from_utf8_lossy(xml)
    );
}

/// IdEnvoi and DateHeureReceptionDep come from the lot's S10.G00.95.900 and .008 (open-neodes
/// restitution sample: line 32 and line 30); without them the CRM says so (IDEC99) and carries
/// visible markers, never the file name or the clock.
#[test]
fn crm_identifiers_come_from_the_lot() {
    let sample = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/neodes/open-neodes_sample_dsn_P25V01.dsn"),
    )
    .unwrap();
    let mut xmls = Vec::new();
    analyze(&sample[..], &[], AnalyzeOptions::default(), &[], |d, a| {
        xmls.push(crm_xml(d, a, None, &ctx()))
    })
    .unwrap();
    assert_eq!(xmls.len(), 3);
    let text: String = xmls[0].iter().map(|&b| char::from(b)).collect();
    assert!(
        text.contains("IdEnvoi=\"XXXXXXXXXXXXXXXXXXXXXXX\""),
        "{text}"
    );
    assert!(
        text.contains("DateHeureReceptionDep=\"20251219141038\""),
        "{text}"
    );
    assert!(!text.contains("IDEC99"), "{text}");
    let second: String = xmls[1].iter().map(|&b| char::from(b)).collect();
    assert!(
        second.contains("DateHeureReceptionDep=\"20251219080252\""),
        "{second}"
    );
    for x in &xmls {
        xsd_valid(x);
    }

    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dsn");
    let clean = std::fs::read(fixtures.join("lac_2026_03_clean.dsn")).unwrap();
    let mut xml = Vec::new();
    analyze(&clean[..], &[], AnalyzeOptions::default(), &[], |d, a| {
        xml = crm_xml(d, a, None, &ctx())
    })
    .unwrap();
    let text: String = xml.iter().map(|&b| char::from(b)).collect();
    assert!(text.contains("IdEnvoi=\"ABSENT-S10.G00.95.900\""), "{text}");
    assert!(
        text.contains("DateHeureReceptionDep=\"20000101000000\""),
        "{text}"
    );
    assert!(
        text.contains("CodeRetourMetier=\"IDEC99\"")
            && text.contains("S10.G00.95.900 absente du lot")
            && text.contains("S10.G00.95.008 absente du lot"),
        "{text}"
    );
    assert!(!text.contains("DateHeureReceptionDep=\"20260408"), "{text}");
    xsd_valid(&xml);
}
