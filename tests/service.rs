//! Running as a system service, with the real binary: the systemd unit (verify, security
//! exposure), the sd_notify protocol and the watchdog (pinged only while the journal takes
//! writes), the admin listener (/healthz, /metrics parsed by a Prometheus parser).

mod common;

use common::*;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(20);

fn admin_site(extra: &str) -> Site {
    Site::new(&format!(
        "[admin]\nenabled = true\nlisten = \"127.0.0.1:0\"\n{extra}"
    ))
}

/// The unit with /usr/bin/ijgate replaced by the binary under test (verify checks that every
/// Exec= path is executable).
fn unit_copy(dir: &Path) -> std::path::PathBuf {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/systemd/ijgate.service"
    ))
    .unwrap();
    let p = dir.join("ijgate.service");
    std::fs::write(&p, unit.replace("/usr/bin/ijgate", BIN)).unwrap();
    p
}

#[test]
fn systemd_unit_verifies_and_is_hardened() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("SKIPPED: systemd-analyze is not installed (tests/run.sh installs it)");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let unit = unit_copy(d.path());
    let o = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&unit)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && err.trim().is_empty(),
        "systemd-analyze verify:\n{err}"
    );
    let o = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--no-pager"])
        .arg(&unit)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let level: f64 = out
        .lines()
        .find_map(|l| l.split("Overall exposure level for ijgate.service:").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no exposure level in:\n{out}\n{}",
                String::from_utf8_lossy(&o.stderr)
            )
        });
    println!("systemd-analyze security exposure: {level}");
    assert!(level <= 2.5, "exposure {level} > 2.5:\n{out}");
}

/// Collects sd_notify datagrams sent to a socket of ours.
struct Notifications {
    sock: UnixDatagram,
    seen: Vec<String>,
}

impl Notifications {
    fn bind(path: &Path) -> Notifications {
        let sock = UnixDatagram::bind(path).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        Notifications {
            sock,
            seen: Vec::new(),
        }
    }

    fn drain(&mut self) {
        let mut buf = [0u8; 4096];
        while let Ok(n) = self.sock.recv(&mut buf) {
            self.seen
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }

    /// Waits for a datagram containing every one of `parts`; returns it.
    fn wait_for(&mut self, parts: &[&str], timeout: Duration) -> Option<String> {
        let end = Instant::now() + timeout;
        loop {
            if let Some(m) = self
                .seen
                .iter()
                .find(|m| parts.iter().all(|p| m.lines().any(|l| l.starts_with(p))))
            {
                return Some(m.clone());
            }
            if Instant::now() > end {
                return None;
            }
            self.drain();
        }
    }
}

fn metric(addr: std::net::SocketAddr, name: &str, label: Option<(&str, &str)>) -> Option<f64> {
    let (status, body) = http_get(addr, "/metrics", None).ok()?;
    assert_eq!(status, 200, "{body}");
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_string()))).unwrap();
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(x)
            | prometheus_parse::Value::Gauge(x)
            | prometheus_parse::Value::Untyped(x) => x,
            _ => f64::NAN,
        })
}

#[test]
fn sd_notify_protocol_and_watchdog_stops_when_the_journal_is_wedged() {
    let site = admin_site("");
    let sock_path = site.path("notify.sock");
    let mut n = Notifications::bind(&sock_path);
    let mut d = Daemon::start_with_env(
        &site.config,
        &[
            ("NOTIFY_SOCKET", sock_path.to_str().unwrap()),
            ("WATCHDOG_USEC", "1000000"),
        ],
    );
    let admin = d.admin.unwrap();
    assert!(
        n.wait_for(&["READY=1", "STATUS="], T).is_some(),
        "{:?}\n{}",
        n.seen,
        d.log_text()
    );
    // The watchdog is pinged (heartbeat every 500 ms).
    assert!(n.wait_for(&["WATCHDOG=1"], T).is_some(), "{:?}", n.seen);
    assert!(wait_until(T, || http_get(admin, "/healthz", None)
        .is_ok_and(|(s, _)| s == 200)));

    // Wedge the journal: another connection holds the write lock.
    let db = site.db();
    db.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let mut last = (0, String::new());
    assert!(
        wait_until(T, || {
            last = http_get(admin, "/healthz", None).unwrap();
            last.0 == 503
        }),
        "{last:?}"
    );
    let v: serde_json::Value = serde_json::from_str(&last.1).unwrap();
    assert_eq!(v["healthy"], false);
    let journal = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "journal")
        .unwrap();
    assert_eq!(journal["ok"], false, "{v}");
    // From now on, two more failed heartbeats and no ping in between.
    n.drain();
    n.seen.clear();
    let failures = metric(admin, "ijgate_heartbeat_failures_total", None).unwrap();
    assert!(wait_until(T, || metric(
        admin,
        "ijgate_heartbeat_failures_total",
        None
    )
    .unwrap()
        >= failures + 2.0));
    n.drain();
    assert!(
        !n.seen.iter().any(|m| m.contains("WATCHDOG=1")),
        "pinged while wedged: {:?}",
        n.seen
    );

    // Unwedged: pings and health come back.
    db.execute_batch("ROLLBACK").unwrap();
    assert!(
        n.wait_for(&["WATCHDOG=1"], T).is_some(),
        "{:?}\n{}",
        n.seen,
        d.log_text()
    );
    assert!(wait_until(T, || http_get(admin, "/healthz", None)
        .is_ok_and(|(s, _)| s == 200)));

    // Reload: RELOADING=1 with MONOTONIC_USEC, then READY=1.
    n.seen.clear();
    d.signal(libc::SIGHUP);
    assert!(
        n.wait_for(&["RELOADING=1", "MONOTONIC_USEC="], T).is_some(),
        "{:?}",
        n.seen
    );
    assert!(n.wait_for(&["READY=1"], T).is_some(), "{:?}", n.seen);
    // Stop: STOPPING=1, exit 0.
    assert_eq!(d.stop(), Some(0));
    n.drain();
    assert!(
        n.seen.iter().any(|m| m.contains("STOPPING=1")),
        "{:?}",
        n.seen
    );
}

#[test]
fn metrics_and_health_endpoints() {
    let site = admin_site("");
    let d = site.start();
    let admin = d.admin.expect("admin address in the ready line");
    site.drop_file(
        "m.csv",
        format!("{CSV_HEADER}\n{}\n", csv_row("M-1", SIRET_A)).as_bytes(),
    );
    assert!(
        wait_until(T, || site.files("spool/archive").len() == 1),
        "{}",
        d.log_text()
    );
    assert!(wait_until(T, || metric(
        admin,
        "ijgate_declarations",
        Some(("state", "validated"))
    ) == Some(1.0)));
    assert_eq!(
        metric(
            admin,
            "ijgate_spool_files_total",
            Some(("outcome", "archived"))
        ),
        Some(1.0)
    );
    assert_eq!(metric(admin, "ijgate_spool_inbound_files", None), Some(0.0));
    assert!(wait_until(T, || metric(
        admin,
        "ijgate_outbox_pending",
        None
    ) == Some(0.0)));
    let expiry = metric(
        admin,
        "ijgate_api_certificate_expiry_timestamp_seconds",
        None,
    )
    .unwrap();
    assert!(expiry > chrono::Utc::now().timestamp() as f64);
    assert_eq!(
        metric(admin, "ijgate_health_check", Some(("check", "journal"))),
        Some(1.0)
    );
    // A file that waits (a stalled writer: not renamed, held open) is counted.
    std::fs::write(site.inbound().join("slow.csv.part"), "x").unwrap();
    assert_eq!(
        metric(admin, "ijgate_spool_inbound_files", None),
        Some(0.0),
        "temporary names do not count"
    );
    // Health: 200 with every check listed.
    let mut last = (0, String::new());
    assert!(
        wait_until(T, || {
            last = http_get(admin, "/healthz", None).unwrap();
            last.0 == 200
        }),
        "{last:?}"
    );
    let v: serde_json::Value = serde_json::from_str(&last.1).unwrap();
    let names: Vec<&str> = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for n in ["journal", "spool", "spool_scan"] {
        assert!(names.contains(&n), "{v}");
    }
    assert_eq!(http_get(admin, "/nope", None).unwrap().0, 404);
}

#[test]
fn admin_bearer_token_is_required_when_configured() {
    use std::os::unix::fs::PermissionsExt;
    let site = admin_site("bearer_token_file = \"admin.token\"\n");
    let token = site.path("admin.token");
    std::fs::write(&token, "s3cret-token\n").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o644)).unwrap();
    // A token readable by others is a configuration error.
    let o = site.cli(&["check-config"]);
    assert_eq!(o.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&o.stderr).contains("admin.bearer_token_file"));
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    let d = site.start();
    let admin = d.admin.unwrap();
    assert_eq!(http_get(admin, "/metrics", None).unwrap().0, 401);
    assert_eq!(http_get(admin, "/metrics", Some("wrong")).unwrap().0, 401);
    let (status, body) = http_get(admin, "/metrics", Some("s3cret-token")).unwrap();
    assert_eq!(status, 200);
    assert!(
        body.contains("# TYPE ijgate_declarations gauge")
            || body.contains("ijgate_journal_readable 1"),
        "{body}"
    );
}

#[test]
fn journald_target_falls_back_to_stderr_without_a_journal() {
    if Path::new("/run/systemd/journal/socket").exists() {
        println!("SKIPPED: a journald socket exists here; the fallback cannot be observed");
        return;
    }
    let site = Site::new("");
    // Daemon::start waits for "ijgate ready" on stderr: it is there only if the fallback works.
    let mut d = Daemon::start_with_env(&site.config, &[("IJGATE_LOG_TARGET", "journald")]);
    assert!(
        d.find_log("journald unavailable").is_some(),
        "{}",
        d.log_text()
    );
    assert_eq!(d.stop(), Some(0));
}
