//! The operator console in a real browser, against the real daemon and its sandbox peer
//! (issue 13): headless Chromium from Debian driven by selenium (tests/browser/*.py; chromium,
//! chromium-driver, libnss3-tools, openssl and selenium are provisioned by tests/run.sh).
//! Screenshots of each page go to target/console-screenshots/.
//!
//! - Loopback listener, the configured local identity is an operator
//!   (tests/browser/console_browser.py): find a declaration by hr_ref, read its timeline, retry
//!   its failed deposit and see the state change to accepted. Live updates (server-sent events):
//!   on pages that are not navigated meanwhile, a retry made from outside moves the open
//!   declaration's state and timeline, and a stoppage dropped in the spool appears in the open
//!   list and is accepted. Then a browser with JavaScript off reads the same declaration.
//! - mTLS listener (`console.tls`), in the browser (tests/browser/console_mtls_browser.py):
//!   Chromium presents a client certificate from an NSS database in a temporary HOME, selected
//!   by the AutoSelectCertificateForUrls content setting of a temporary profile (no root needed):
//!   the operator (rh-a) sees and uses the retry button, journaled under its certificate
//!   identity; the viewer (rh-b) sees no button and its POST is refused; no certificate → the
//!   handshake is refused. Then an HTTP client (tests/browser/mtls_roles.py) checks the CSRF
//!   token on the same listener.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

/// chromium, chromedriver, certutil/pk12util, openssl and selenium are provisioned by
/// tests/run.sh. Without them: fail under CI (and when IJGATE_REQUIRE_BROWSER=1), skip
/// otherwise, saying so.
fn have_browser() -> bool {
    let tool = |t: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let missing: Vec<&str> = [
        "chromium",
        "chromedriver",
        "certutil",
        "pk12util",
        "openssl",
    ]
    .into_iter()
    .filter(|t| !tool(t))
    .chain(
        (!Command::new("python3")
            .args(["-c", "import selenium"])
            .output()
            .is_ok_and(|o| o.status.success()))
        .then_some("python3 selenium"),
    )
    .collect();
    if !missing.is_empty() {
        let required = std::env::var("CI").as_deref() == Ok("true")
            || std::env::var("IJGATE_REQUIRE_BROWSER").as_deref() == Ok("1");
        assert!(
            !required,
            "missing {missing:?} for the browser test (tests/run.sh installs them)"
        );
        eprintln!("SKIPPED console browser test: missing {missing:?} (run tests/run.sh)");
    }
    missing.is_empty()
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
    site.drop_file(
        "rh-a_console.csv",
        &csv(&[csv_row("CONSOLE-1", SIRET_A), csv_row("CONSOLE-2", SIRET_A)]),
    );
    for r in ["CONSOLE-1", "CONSOLE-2"] {
        assert!(
            wait_until(T, || states(&site, r)
                == vec![("arret".into(), "failed".into())]),
            "{r}: {}",
            d.log_text()
        );
    }
    assert_eq!(d.stop(), Some(0));
    // The operator fixes the cause (the peer now accepts anyone) and retries from the console.
    std::fs::write(site.path("scenario.toml"), "[delays]\n\"31\" = \"0s\"\n").unwrap();
    let mut d = site.start();
    let base = format!("http://{}", d.admin.expect("admin listener"));
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/console-screenshots");
    // The stoppage the browser sees arrive: staged under a name the spool ignores; the browser
    // script renames it in once the list is open.
    let inbound = site.inbound();
    std::fs::create_dir_all(&inbound).unwrap();
    let staged = inbound.join(".rh-a_live.csv.part");
    std::fs::write(&staged, csv(&[csv_row("CONSOLE-LIVE", SIRET_A)])).unwrap();
    let o = Command::new("python3")
        .arg(script("console_browser.py"))
        .args([base.as_str(), "CONSOLE-1"])
        .arg(&shots)
        .arg("CONSOLE-2")
        .arg(&staged)
        .args(["rh-a_live.csv", "CONSOLE-LIVE"])
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
        "5-declaration-live.png",
        "6-declarations-live.png",
        "9-declaration-without-javascript.png",
    ] {
        assert!(shots.join(f).exists(), "{f}");
    }
    assert_eq!(
        states(&site, "CONSOLE-LIVE"),
        vec![("arret".into(), "accepted".into())]
    );
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
    assert_eq!(
        actions,
        vec![
            ("browser-test".into(), "retry".into()),
            ("browser-test".into(), "retry".into())
        ]
    );
    // The page path and query never reach the logs (no personal data there either way).
    assert!(d.find_log("/console/declarations").is_none());
    assert_eq!(d.stop(), Some(0));

    // mTLS: the HR clients' development certificates double as operator (rh-a) and viewer
    // (rh-b) certificates; loopback without a certificate gets nothing. The peer refuses our
    // credentials again, so that a new stoppage has a failed deposit to act on.
    let cfg = std::fs::read_to_string(&site.config).unwrap().replace(
        "local_role = \"operator\"",
        "tls = true\noperators = [\"rh-a\"]\nviewers = [\"rh-b\"]\nlocal_role = \"none\"",
    );
    std::fs::write(&site.config, cfg).unwrap();
    std::fs::write(
        site.path("scenario.toml"),
        "[credentials]\nsiret = \"12345678200010\"\nnom = \"SOMEONE\"\nprenom = \"Else\"\npassword = \"x\"\n[delays]\n\"31\" = \"0s\"\n",
    )
    .unwrap();
    let mut d = site.start();
    site.drop_file("rh-a_mtls.csv", &csv(&[csv_row("CONSOLE-3", SIRET_A)]));
    assert!(
        wait_until(T, || states(&site, "CONSOLE-3")
            == vec![("arret".into(), "failed".into())]),
        "{}",
        d.log_text()
    );
    let addr = d.admin.expect("admin listener");
    let certs = |n: &str| site.path(&format!("certs/{n}")).display().to_string();
    let o = Command::new("python3")
        .arg(script("console_mtls_browser.py"))
        .args([
            format!("https://127.0.0.1:{}", addr.port()),
            certs("ca.pem"),
            certs("client-rh-a.pem"),
            certs("client-rh-a.key"),
            certs("client-rh-b.pem"),
            certs("client-rh-b.key"),
            "CONSOLE-3".into(),
        ])
        .arg(&shots)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "mTLS browser test failed:\n{}\n{}\ndaemon:\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        d.log_text()
    );
    for f in [
        "mtls-1-operator-late.png",
        "mtls-2-viewer-late.png",
        "mtls-3-viewer-post-refused.png",
    ] {
        assert!(shots.join(f).exists(), "{f}");
    }
    // The operator's retry is journaled under its certificate identity; the viewer left none.
    let by_cert: Vec<(String, String)> = {
        let c = site.db();
        let mut s = c
            .prepare(
                "SELECT operator, action FROM console_actions WHERE operator != 'browser-test'",
            )
            .unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(by_cert, vec![("rh-a".into(), "retry".into())]);
    let o = Command::new("python3")
        .arg(script("mtls_roles.py"))
        .args([
            addr.to_string(),
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
