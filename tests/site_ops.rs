//! What the people who install and operate ijgate meet first (issue 16, site half), with the
//! real binary: `certs dev` writes PKCS#12 bundles that OpenSSL reads back.

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

/// The certificate blocks of a PEM text, as DER-independent normalised base64 (line breaks
/// removed), so that two PEM writers compare equal.
fn pem_blocks(text: &str, label: &str) -> Vec<String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    text.split(&begin)
        .skip(1)
        .filter_map(|b| b.split(&end).next())
        .map(|b| b.split_whitespace().collect::<String>())
        .collect()
}

fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn certs_dev_writes_a_pkcs12_that_openssl_reads_with_the_same_certificate_and_key() {
    let site = Site::new("");
    let out_dir = site.path("pki");
    let o = site.cli(&["certs", "dev", "--out", out_dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("client-rh-a.p12"), "{said}");
    let p12 = out_dir.join("client-rh-a.p12");
    let pass = out_dir.join("client-rh-a.p12.pass");
    for f in [&p12, &pass] {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }
    let passin = format!("file:{}", pass.display());
    let p12s = p12.to_str().unwrap();
    // The whole structure verifies (MAC, both safes) with the generated password.
    openssl(&["pkcs12", "-info", "-noout", "-in", p12s, "-passin", &passin]);
    let leaf = openssl(&[
        "pkcs12", "-in", p12s, "-passin", &passin, "-nokeys", "-clcerts",
    ]);
    let pem = std::fs::read_to_string(out_dir.join("client-rh-a.pem")).unwrap();
    assert_eq!(
        pem_blocks(&leaf, "CERTIFICATE"),
        pem_blocks(&pem, "CERTIFICATE")
    );
    let cas = openssl(&[
        "pkcs12", "-in", p12s, "-passin", &passin, "-nokeys", "-cacerts",
    ]);
    let ca = std::fs::read_to_string(out_dir.join("ca.pem")).unwrap();
    assert_eq!(
        pem_blocks(&cas, "CERTIFICATE"),
        pem_blocks(&ca, "CERTIFICATE")
    );
    let key = openssl(&[
        "pkcs12", "-in", p12s, "-passin", &passin, "-nocerts", "-nodes",
    ]);
    let key_pem = std::fs::read_to_string(out_dir.join("client-rh-a.key")).unwrap();
    assert_eq!(
        pem_blocks(&key, "PRIVATE KEY"),
        pem_blocks(&key_pem, "PRIVATE KEY")
    );
    // A wrong password does not open it.
    let wrong = Command::new("openssl")
        .args([
            "pkcs12",
            "-info",
            "-noout",
            "-in",
            p12s,
            "-passin",
            "pass:wrong",
        ])
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    // rh-b got its own bundle and its own password.
    assert!(out_dir.join("client-rh-b.p12").exists());
    assert_ne!(
        std::fs::read_to_string(&pass).unwrap(),
        std::fs::read_to_string(out_dir.join("client-rh-b.p12.pass")).unwrap()
    );
}

#[test]
fn certs_dev_takes_the_pkcs12_password_from_a_private_file_only() {
    let site = Site::new("");
    let out_dir = site.path("pki");
    let pw = site.path("p12.pw");
    std::fs::write(&pw, "Sésame-2026\n").unwrap();
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
    let args = [
        "certs",
        "dev",
        "--out",
        out_dir.to_str().unwrap(),
        "--p12-password-file",
        pw.to_str().unwrap(),
    ];
    let o = site.cli(&args);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("p12-password-file") && err.contains("0644"),
        "{err}"
    );
    assert!(!out_dir.join("client-rh-a.p12").exists());
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = site.cli(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out_dir.join("client-rh-a.p12.pass").exists());
    let p12 = out_dir.join("client-rh-a.p12");
    openssl(&[
        "pkcs12",
        "-info",
        "-noout",
        "-in",
        p12.to_str().unwrap(),
        "-passin",
        "pass:Sésame-2026",
    ]);
}

/// `ijgate dsn check` without fiches (issue 16, item 11): the call's balance is "not
/// computable", with why, never "balance -50.00".
#[test]
fn dsn_check_without_fiche_says_the_balance_is_not_computable() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dsn/lac_2026_03_clean.dsn");
    let o = Command::new(BIN)
        .args(["dsn", "check"])
        .arg(&file)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let call = out
        .lines()
        .find(|l| l.trim_start().starts_with("call "))
        .unwrap_or_else(|| panic!("no call line in:\n{out}"));
    assert!(
        call.contains("expected not computable")
            && call.contains("balance not computable: no fiche de paramétrage for SIREN"),
        "{call}"
    );
    assert!(!call.contains("balance -"), "{call}");
    // With the fiche, the balance is there.
    let fiche = file.with_file_name("fiche_lac_p0999.xml");
    let o = Command::new(BIN)
        .args(["dsn", "check"])
        .arg(&file)
        .arg("--fiche")
        .arg(&fiche)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("balance 0.00"), "{out}");
}

/// HR notices carry a French sentence (`resume`) an HR clerk can read, beside the machine
/// fields, with the time in Europe/Paris.
#[test]
fn hr_notices_say_in_french_what_happened() {
    let site = Site::new("");
    let mut d = site.start();
    let bad = csv_row("FR-2", SIRET_A).replace("1850578006084", "185057800608492");
    site.drop_file("fr.csv", &csv(&[csv_row("FR-1", SIRET_A), bad]));
    let t = std::time::Duration::from_secs(20);
    assert!(
        wait_until(t, || !notices(&site, "FR-1", "received").is_empty()
            && !notices(&site, "FR-2", "rejected").is_empty()),
        "{:?}\n{}",
        site.files("spool/outbound/hr"),
        d.log_text()
    );
    let ok = &notices(&site, "FR-1", "received")[0];
    let at = chrono::DateTime::parse_from_rfc3339(ok["at"].as_str().unwrap()).unwrap();
    let paris = at
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y à %H:%M")
        .to_string();
    let text = ok["resume"].as_str().unwrap();
    assert_eq!(
        text,
        format!(
            "ijgate a reçu l'arrêt de travail FR-1 le {paris} (heure de Paris) et l'a enregistré. La déclaration à la CPAM suit par net-entreprises."
        )
    );
    // The machine fields are unchanged.
    assert_eq!(
        (ok["kind"].as_str(), ok["status"].as_str()),
        (Some("RECEIVED"), Some("OK"))
    );
    let ko = &notices(&site, "FR-2", "rejected")[0];
    let text = ko["resume"].as_str().unwrap();
    assert!(
        text.starts_with("ijgate a refusé l'arrêt de travail FR-2 le ")
            && text.contains("1 erreur(s) : ligne 3, nir : ")
            && text.ends_with("corrigez la ligne et déposez-la à nouveau."),
        "{text}"
    );
    // Personal data stays masked in the sentence too.
    assert!(!text.contains("185057800608492"), "{text}");
    assert_eq!(d.stop(), Some(0));
}
