//! The operator console in a real browser, against the real daemon and its sandbox peer
//! (issue 13): headless Chromium from Debian driven by selenium (tests/browser/*.py, both
//! provisioned by tests/run.sh). Screenshots of each page go to target/console-screenshots/.
//!
//! - Browser part (loopback listener, the configured local identity is an operator): find a
//!   declaration by hr_ref, read its timeline, retry its failed deposit and see the state change
//!   to accepted live.
//! - mTLS part (HTTP client, tests/browser/mtls_roles.py): the same admin listener restarted
//!   with `console.tls`: no certificate → refused handshake; a viewer reads but cannot POST;
//!   an operator's POST needs the CSRF token. Client-certificate selection in headless Chromium
//!   needs a system-wide policy file (AutoSelectCertificateForUrls under /etc/chromium) and an
//!   NSS database, which a test should not install on the machine: so the certificate part is
//!   checked with an HTTP client instead.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

/// chromium, chromedriver and selenium are provisioned by tests/run.sh. Without them: fail
/// under CI, skip otherwise.
fn have_browser() -> bool {
    let ok = Path::new("/usr/bin/chromedriver").exists()
        && Path::new("/usr/bin/chromium").exists()
        && Command::new("python3")
            .args(["-c", "import selenium"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromium, chromium-driver or selenium is missing (tests/run.sh installs them)"
        );
        eprintln!("SKIPPED: chromium, chromium-driver or python3 selenium missing");
    }
    ok
}

fn script(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/browser")
        .join(name)
}

#[test]
fn console_in_a_real_browser_then_mtls_roles() {
    if !have_browser() {
        return;
    }
    let admin = "[admin]\nenabled = true\nlisten = \"127.0.0.1:0\"\n[console]\nlocal_role = \"operator\"\nlocal_identity = \"browser-test\"\n";
    let site = Site::new(&format!("{FAST_EXCHANGE}{admin}"));
    // The sandbox refuses our credentials: the deposit ends in `failed`
    // (as tests/exchange.rs permanent_failure_then_operator_retry).
    std::fs::write(
        site.path("scenario.toml"),
        "[credentials]\nsiret = \"12345678200010\"\nnom = \"SOMEONE\"\nprenom = \"Else\"\npassword = \"x\"\n[delays]\n\"31\" = \"0s\"\n",
    )
    .unwrap();
    let mut d = site.start();
    site.drop_file("rh-a_console.csv", &csv(&[csv_row("CONSOLE-1", SIRET_A)]));
    assert!(
        wait_until(T, || states(&site, "CONSOLE-1")
            == vec![("arret".into(), "failed".into())]),
        "{}",
        d.log_text()
    );
    assert_eq!(d.stop(), Some(0));
    // The operator fixes the cause (the peer now accepts anyone) and retries from the console.
    std::fs::write(site.path("scenario.toml"), "[delays]\n\"31\" = \"0s\"\n").unwrap();
    let mut d = site.start();
    let base = format!("http://{}", d.admin.expect("admin listener"));
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
    let o = Command::new("python3")
        .arg(script("console_browser.py"))
        .args([base.as_str(), "CONSOLE-1"])
        .arg(&shots)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "browser test failed:\n{}\n{}\ndaemon:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        d.log_text()
    );
    for f in [
        "1-overview.png",
        "3-declaration-failed.png",
        "4-declaration-retried.png",
    ] {
        assert!(shots.join(f).exists(), "{f}");
    }
    let actions: Vec<(String, String)> = {
        let c = site.db();
        let mut s = c
            .prepare("SELECT operator, action FROM console_actions")
            .unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(actions, vec![("browser-test".into(), "retry".into())]);
    // The page path and query never reach the logs (no personal data there either way).
    assert!(d.find_log("/console/declarations").is_none());
    assert_eq!(d.stop(), Some(0));

    // mTLS: the HR clients' development certificates double as operator (rh-a) and viewer
    // (rh-b) certificates; loopback without a certificate gets nothing.
    let cfg = std::fs::read_to_string(&site.config).unwrap().replace(
        "local_role = \"operator\"",
        "tls = true\noperators = [\"rh-a\"]\nviewers = [\"rh-b\"]\nlocal_role = \"none\"",
    );
    std::fs::write(&site.config, cfg).unwrap();
    let mut d = site.start();
    let addr = d.admin.expect("admin listener").to_string();
    let certs = |n: &str| site.path(&format!("certs/{n}")).display().to_string();
    let o = Command::new("python3")
        .arg(script("mtls_roles.py"))
        .args([
            addr,
            certs("ca.pem"),
            certs("client-rh-a.pem"),
            certs("client-rh-a.key"),
            certs("client-rh-b.pem"),
            certs("client-rh-b.key"),
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "mTLS role test failed:\n{}\n{}\ndaemon:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        d.log_text()
    );
    assert_eq!(d.stop(), Some(0));
}
