//! Prest'IJ end to end with the real binaries, folder mode: a non-subrogated stoppage declared
//! by HR is enrolled (GESTIP), answered by the sandbox CNAM peer (ARL, CR), and its BPIJ comes
//! back through Prest'IJ to the insurer with the prévoyance complement recomputed — no human
//! step; a rejected enrolment alerts; kill -9 loses no enrolment and sends none twice.

mod common;

use common::*;
use std::time::Duration;

const T: Duration = Duration::from_secs(60);
/// A NIR the sandbox referential does not know (birth month 50: a provisional number;
/// src/bin/ijgate-sandbox/prestij.rs). Valid for the NEOReS pattern (key computed by the HR
/// validator is not required in the CSV: 13 characters).
const NIR_UNKNOWN: &str = "1855078006084";

/// The admin listener, for `/metrics` (the worker's pass counter).
const ADMIN: &str = "[admin]\nenabled = true\nlisten = \"127.0.0.1:0\"\n";

fn site(extra_insurer: &str) -> Site {
    let site = Site::new(&format!(
        r#"{FAST_EXCHANGE}
{ADMIN}
[alerts]
scan_interval = "300ms"
[[insurers]]
code = "PREV"
name = "Prévoyance P"
alert_emails = ["gestion@prev.invalid"]
[insurers.prestij]
access_key = "CLE-TEST"
cycle = "1s"
{extra_insurer}
[[insurers.contracts]]
reference = "C-0042"
sirets = ["{SIRET_A}"]
franchise_days = 1
prevoyance_contract = "prevoyance.toml"
"#
    ));
    std::fs::write(site.path("scenario.toml"), "[delays]\n\"31\" = \"0s\"\n").unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/conf/prevoyance-example.toml"),
        site.path("prevoyance.toml"),
    )
    .unwrap();
    site
}

/// The fixture row without subrogation (the employer advances nothing: the API DSN gives it
/// no BPIJ, only Prest'IJ brings the slip to the insurer).
fn non_subrogated(hr_ref: &str, nir: &str) -> String {
    let row = csv_row(hr_ref, SIRET_A).replace("1850578006084", nir);
    row.replace(
        "oui;10/11/2026;20/11/2026;FR7630006000011234567890189;BNPAFRPP",
        "non;;;;",
    )
}

fn named(site: &Site, dir: &str, part: &str) -> Vec<String> {
    site.files(dir)
        .into_iter()
        .filter(|n| n.contains(part))
        .collect()
}

/// `ijgate_prestij_cycles_total` from the daemon's `/metrics`.
fn passes(d: &Daemon) -> Option<u64> {
    let (status, body) = http_get(d.admin?, "/metrics", None).ok()?;
    if status != 200 {
        return None;
    }
    body.lines()
        .find_map(|l| l.strip_prefix("ijgate_prestij_cycles_total "))
        .and_then(|v| v.trim().parse().ok())
}

/// Waits until the Prest'IJ worker has completed two more passes than now: the second one
/// started after this call, so whatever was in its folders then has been taken.
fn await_two_passes(d: &Daemon) {
    let start = passes(d).expect("the admin listener serves ijgate_prestij_cycles_total");
    assert!(
        wait_until(T, || passes(d).is_some_and(|n| n >= start + 2)),
        "the Prest'IJ worker stopped its passes\n{}",
        d.log_text()
    );
}

fn query_i64(site: &Site, sql: &str) -> i64 {
    site.db().query_row(sql, [], |r| r.get(0)).unwrap_or(-1)
}

fn enrolment_state(site: &Site) -> Vec<String> {
    let db = site.db();
    let Ok(mut s) = db.prepare("SELECT state FROM prestij_enrolments ORDER BY id") else {
        return vec![];
    };
    s.query_map([], |r| r.get::<_, String>(0))
        .map(|rows| rows.flatten().collect())
        .unwrap_or_default()
}

#[test]
fn a_non_subrogated_stoppage_reaches_the_insurer_through_prestij() {
    let site = site("");
    let mut d = site.start();
    site.drop_file(
        "rh-a_p1.csv",
        &csv(&[non_subrogated("P-1", "1850578006084")]),
    );
    // Enrolment → GESTIP → ARL/CR (sandbox) → accepted.
    assert!(
        wait_until(T, || enrolment_state(&site) == ["accepted"]),
        "{:?}\n{}",
        enrolment_state(&site),
        d.log_text()
    );
    let gestip = named(&site, "spool/prestij/PREV/out", "GESTIP-PREV-");
    let kept = named(&site, "spool/prestij/PREV/peer", "GESTIP-PREV-");
    assert!(gestip.len() + kept.len() >= 1, "the flow was written");
    // The CNAM pays (31 OK) → the sandbox publishes the BPIJ in Prest'IJ → journaled once,
    // source prestij → to the insurer, not to the employer (not subrogated).
    assert!(
        wait_until(T, || named(&site, "spool/outbound/insurer/PREV", "bpij_")
            .len()
            == 2),
        "{}",
        d.log_text()
    );
    assert_eq!(
        query_i64(&site, "SELECT count(*) FROM bpij WHERE source = 'prestij'"),
        1
    );
    assert!(
        named(&site, "spool/outbound/hr", "bpij_").is_empty(),
        "a non-subrogated employer gets no slip"
    );
    // The complement is recomputed with the IJSS actually paid: a second guarantee_start.
    assert!(
        wait_until(T, || query_i64(
            &site,
            "SELECT count(*) FROM history WHERE what = 'complement_recomputed'"
        ) == 1),
        "{}",
        d.log_text()
    );
    let gs = named(&site, "spool/outbound/insurer/PREV", "guarantee_start");
    assert!(
        gs.iter().filter(|n| n.ends_with(".xml")).count() >= 2,
        "{gs:?}"
    );
    // Visible in status.
    let out = site.cli(&["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Prest'IJ enrolments:"), "{text}");
    assert!(text.contains("prestij 1"), "{text}");
    // The slip is never taken twice: once the peer's folder is empty, two more full passes
    // of the worker take nothing new.
    assert!(wait_until(T, || site
        .files("spool/prestij/PREV/in")
        .is_empty()));
    await_two_passes(&d);
    assert_eq!(
        query_i64(&site, "SELECT count(*) FROM bpij WHERE source = 'prestij'"),
        1
    );
    d.stop();
}

#[test]
fn a_subrogated_slip_from_the_api_and_from_prestij_is_taken_once() {
    let site = site("");
    let mut d = site.start();
    // The fixture row is subrogated: the employer's API listing carries the slip, and the
    // sandbox CNAM publishes the very same bytes in Prest'IJ for the enrolled employee.
    site.drop_file("rh-a_p3.csv", &csv(&[csv_row("P-3", SIRET_A)]));
    assert!(
        wait_until(T, || query_i64(
            &site,
            "SELECT count(*) FROM bpij WHERE source = 'prestij'"
        ) == 1
            && query_i64(
                &site,
                "SELECT count(*) FROM bpij WHERE source != 'prestij'"
            ) == 1
            && query_i64(
                &site,
                "SELECT count(*) FROM bpij WHERE dispatched_at IS NULL"
            ) == 0),
        "{}",
        d.log_text()
    );
    assert_eq!(
        query_i64(&site, "SELECT count(DISTINCT sha256) FROM bpij"),
        1,
        "same content under two references"
    );
    // Dispatched once: one slip (xml + json) to the employer and one to the insurer.
    assert!(wait_until(T, || named(&site, "spool/outbound/hr", "bpij_")
        .len()
        == 2
        && named(&site, "spool/outbound/insurer/PREV", "bpij_").len()
            == 2));
    assert!(wait_until(T, || site
        .files("spool/prestij/PREV/in")
        .is_empty()));
    await_two_passes(&d);
    assert_eq!(named(&site, "spool/outbound/hr", "bpij_").len(), 2);
    assert_eq!(
        named(&site, "spool/outbound/insurer/PREV", "bpij_").len(),
        2
    );
    d.stop();
}

#[test]
fn a_rejected_enrolment_alerts_with_the_masked_nir_and_the_reason() {
    let site = site("");
    let mut d = site.start();
    site.drop_file("rh-a_p2.csv", &csv(&[non_subrogated("P-2", NIR_UNKNOWN)]));
    assert!(
        wait_until(T, || enrolment_state(&site) == ["rejected"]),
        "{:?}\n{}",
        enrolment_state(&site),
        d.log_text()
    );
    // The alert engine turns the event into an alert naming the employee (masked) and reason.
    assert!(
        wait_until(T, || query_i64(
            &site,
            "SELECT count(*) FROM alerts WHERE condition LIKE 'prestij_rejected:%'"
        ) == 1),
        "{}",
        d.log_text()
    );
    let detail: String = site
        .db()
        .query_row(
            "SELECT detail FROM alerts WHERE condition LIKE 'prestij_rejected:%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(detail.contains("185**********"), "{detail}");
    assert!(detail.contains("NIR inconnu"), "{detail}");
    assert!(!detail.contains(NIR_UNKNOWN), "never a full NIR: {detail}");
    // show names the enrolment and its reason.
    let out = site.cli(&["show", "--hr-ref", "P-2"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Prest'IJ: insurer PREV"), "{text}");
    assert!(text.contains("rejected"), "{text}");
    d.stop();
}

#[test]
fn kill_9_loses_no_enrolment_and_sends_none_twice() {
    let site = site("");
    let rows: Vec<String> = (0..6)
        .map(|i| non_subrogated(&format!("K-{i}"), &format!("18505780060{:02}", 10 + i)))
        .collect();
    let mut d = site.start();
    site.drop_file("rh-a_k.csv", &csv(&rows));
    // Kill at several instants of the cycle, each as soon as it is observed, restarting each
    // time: enrolments journaled, a GESTIP built, a GESTIP answered.
    let instants: [(&str, &str); 3] = [
        (
            "enrolments journaled",
            "SELECT count(*) FROM prestij_enrolments",
        ),
        ("GESTIP built", "SELECT count(*) FROM prestij_flows"),
        (
            "GESTIP answered",
            "SELECT count(*) FROM prestij_flows WHERE state = 'reported'",
        ),
    ];
    for (what, sql) in instants {
        assert!(
            wait_until(T, || query_i64(&site, sql) > 0),
            "{what}: never observed\n{}",
            d.log_text()
        );
        d.kill9();
        d = site.start();
    }
    assert!(
        wait_until(T, || enrolment_state(&site).len() == 6
            && enrolment_state(&site).iter().all(|s| s == "accepted")),
        "{:?}\n{}",
        enrolment_state(&site),
        d.log_text()
    );
    // Each employee was in exactly one flow, and the peer answered each flow once.
    assert_eq!(
        query_i64(
            &site,
            "SELECT count(DISTINCT flow_id) FROM prestij_enrolments"
        ),
        query_i64(&site, "SELECT count(*) FROM prestij_flows")
    );
    let db = site.db();
    let mut s = db.prepare("SELECT flow_id FROM prestij_flows").unwrap();
    let flows: Vec<String> = s.query_map([], |r| r.get(0)).unwrap().flatten().collect();
    let mut lines = 0;
    for f in &flows {
        let kept = site.path(&format!("spool/prestij/PREV/peer/{f}.xml"));
        let body = std::fs::read_to_string(&kept).unwrap_or_default();
        lines += body.matches("<Assure>").count();
    }
    assert_eq!(lines, 6, "every employee sent once: {flows:?}");
    d.stop();
}

/// The DSN door's month-to-month fixtures (tests/fixtures/dsn/generate_fixtures.py): three
/// employees of one establishment affiliated since 01/01/2026 to contract PRV-LAC-2026 in
/// February; MERCIER is gone in March.
const DSN_FEB: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/dsn/m2m_2026_02.dsn"
);
const DSN_MAR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/dsn/m2m_2026_03.dsn"
);

/// Drops a fixture lot, its establishment moved to employer A (the configuration accepts
/// only contracts of its employers, and the fixtures' SIRET fails the Luhn check).
fn drop_dsn(site: &Site, name: &str, from: &str) {
    let dir = site.path("spool/inbound/dsn");
    std::fs::create_dir_all(&dir).unwrap();
    let lot = std::fs::read_to_string(from)
        .unwrap()
        .replace("'487654321'", &format!("'{}'", &SIRET_A[..9]))
        .replace("'00018'", &format!("'{}'", &SIRET_A[9..]));
    // Written aside, then renamed: the door never sees half a lot.
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, lot).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

/// (NIR, cover_from, cover_to, state, withdraw_state) of an enrolment.
type EnrolmentRow = (String, String, Option<String>, String, Option<String>);

fn enrolment_rows(site: &Site) -> Vec<EnrolmentRow> {
    let db = site.db();
    let Ok(mut s) = db.prepare(
        "SELECT nir, cover_from, cover_to, state, withdraw_state FROM prestij_enrolments ORDER BY id",
    ) else {
        return vec![];
    };
    s.query_map([], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
    })
    .map(|rows| rows.flatten().collect())
    .unwrap_or_default()
}

#[test]
fn the_insurers_dsn_enrols_its_affiliated_and_withdraws_who_left() {
    let site = Site::new(&format!(
        r#"{FAST_EXCHANGE}
{ADMIN}
[dsn]
settle_time = "200ms"
[[insurers]]
code = "PREV"
name = "Prévoyance P"
[insurers.prestij]
access_key = "CLE-TEST"
cycle = "1s"
[[insurers.contracts]]
reference = "PRV-LAC-2026"
sirets = ["{SIRET_A}"]
franchise_days = 3
"#
    ));
    std::fs::write(site.path("scenario.toml"), "[delays]\n\"31\" = \"0s\"\n").unwrap();
    let mut d = site.start();
    drop_dsn(&site, "lac-2026-02.dsn", DSN_FEB);
    // February: three enrolments from the affiliation start (January: retroactive), sent in
    // one GESTIP and accepted by the sandbox CNAM.
    assert!(
        wait_until(T, || {
            let r = enrolment_rows(&site);
            r.len() == 3 && r.iter().all(|x| x.1 == "2026-01-01" && x.3 == "accepted")
        }),
        "{:?}\n{}",
        enrolment_rows(&site),
        d.log_text()
    );
    assert_eq!(site.status()["prestij"]["enrolments"]["accepted"], 3);
    // March: MERCIER left the DSN; withdrawn at the end of February (GESTIP RAD), accepted.
    drop_dsn(&site, "lac-2026-03.dsn", DSN_MAR);
    assert!(
        wait_until(T, || enrolment_rows(&site)
            .iter()
            .any(|x| x.0 == "2711275987654"
                && x.2.as_deref() == Some("2026-02-28")
                && x.4.as_deref() == Some("accepted"))),
        "{:?}\n{}",
        enrolment_rows(&site),
        d.log_text()
    );
    let kept: String = named(&site, "spool/prestij/PREV/peer", "GESTIP-PREV-")
        .iter()
        .map(|n| {
            std::fs::read_to_string(site.path(&format!("spool/prestij/PREV/peer/{n}")))
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        kept.matches("<Operation>INS</Operation>").count(),
        3,
        "{kept}"
    );
    assert_eq!(
        kept.matches("<Operation>RAD</Operation>").count(),
        1,
        "{kept}"
    );
    assert_eq!(site.status()["prestij"]["withdrawals"]["accepted"], 1);
    // Replays after a restart (February again, March again): nothing new is enrolled or sent.
    let flows = query_i64(&site, "SELECT count(*) FROM prestij_flows");
    let rows = enrolment_rows(&site);
    d.kill9();
    d = site.start();
    drop_dsn(&site, "lac-2026-02-replay.dsn", DSN_FEB);
    drop_dsn(&site, "lac-2026-03-replay.dsn", DSN_MAR);
    assert!(
        wait_until(T, || site.files("spool/archive/dsn").len() == 4),
        "{:?}\n{}",
        site.files("spool/archive/dsn"),
        d.log_text()
    );
    await_two_passes(&d);
    assert_eq!(enrolment_rows(&site), rows);
    assert_eq!(
        query_i64(&site, "SELECT count(*) FROM prestij_flows"),
        flows
    );
    d.stop();
}

// ---- SFTP against a real OpenSSH sshd (Debian openssh-server, tests/run.sh installs it) ----

/// An sshd on localhost with a temporary configuration, host key and authorized key; the
/// served folder is `<dir>/remote`. Stopped (by its own pid) when dropped.
struct Sshd {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<std::process::Child>,
}

fn keygen(path: &std::path::Path) {
    let st = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", ""])
        .arg("-f")
        .arg(path)
        .status()
        .expect("ssh-keygen (openssh-client)");
    assert!(st.success());
}

impl Sshd {
    fn prepare() -> Sshd {
        let dir = tempfile::tempdir().unwrap();
        keygen(&dir.path().join("host_key"));
        keygen(&dir.path().join("client_key"));
        std::fs::copy(
            dir.path().join("client_key.pub"),
            dir.path().join("authorized_keys"),
        )
        .unwrap();
        for d in ["remote/out", "remote/in"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let p = dir.path().display();
        std::fs::write(
            dir.path().join("sshd_config"),
            format!(
                "ListenAddress 127.0.0.1:{port}\nHostKey {p}/host_key\nPidFile none\nAuthorizedKeysFile {p}/authorized_keys\n\
PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\n\
UsePAM no\nStrictModes no\nSubsystem sftp internal-sftp\nLogLevel VERBOSE\n"
            ),
        )
        .unwrap();
        Sshd {
            dir,
            port,
            child: None,
        }
    }

    fn start(&mut self) {
        // sshd run as root wants its privilege-separation folder.
        let _ = std::fs::create_dir_all("/run/sshd");
        let child = std::process::Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(self.dir.path().join("sshd_config"))
            .stderr(std::fs::File::create(self.dir.path().join("sshd.log")).unwrap())
            .spawn()
            .expect("/usr/sbin/sshd (openssh-server)");
        self.child = Some(child);
        let port = self.port;
        assert!(
            wait_until(Duration::from_secs(10), || std::net::TcpStream::connect((
                "127.0.0.1",
                port
            ))
            .is_ok()),
            "sshd did not start: {}",
            std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
        );
    }

    fn remote(&self, rel: &str) -> std::path::PathBuf {
        self.dir.path().join("remote").join(rel)
    }

    /// The `[insurers.prestij.sftp]` section; `pin` is the host key line to trust.
    fn section(&self, pin: &str) -> String {
        let key = self.dir.path().join("client_key");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        let user = String::from_utf8(
            std::process::Command::new("id")
                .arg("-un")
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        format!(
            "[insurers.prestij.sftp]\nhost = \"127.0.0.1\"\nport = {}\nuser = \"{}\"\nkey_file = \"{}\"\nhost_key = \"{}\"\nremote_out = \"{}\"\nremote_in = \"{}\"\ntimeout = \"5s\"\n",
            self.port,
            user.trim(),
            key.display(),
            pin.trim(),
            self.remote("out").display(),
            self.remote("in").display(),
        )
    }

    fn host_pub(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("host_key.pub")).unwrap()
    }

    fn other_pub(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("client_key.pub")).unwrap()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// An insurer in SFTP mode, no net-entreprises exchange: the sandbox CNAM peer is started by
/// the test on the server's folder (`ijgate-sandbox --prestij-dir`), behind the real sshd.
fn sftp_site(section: &str) -> Site {
    Site::new(&format!(
        r#"
{ADMIN}
[alerts]
scan_interval = "300ms"
[[insurers]]
code = "PREV"
name = "Prévoyance P"
[insurers.prestij]
access_key = "CLE-TEST"
cycle = "1s"
{section}
[[insurers.contracts]]
reference = "C-0042"
sirets = ["{SIRET_A}"]
franchise_days = 400
"#
    ))
}

struct Peer(std::process::Child);

impl Peer {
    fn start(sshd: &Sshd) -> Peer {
        let child = std::process::Command::new(SANDBOX_BIN)
            .args(["--listen", "127.0.0.1:0", "--ca-out"])
            .arg(sshd.dir.path().join("peer-ca.pem"))
            .arg("--prestij-dir")
            .arg(sshd.dir.path().join("remote"))
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        Peer(child)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The journaled SFTP incidents: (failures, resolved).
fn incidents(site: &Site) -> Vec<(i64, bool)> {
    let db = site.db();
    let Ok(mut s) =
        db.prepare("SELECT failures, resolved_at IS NOT NULL FROM prestij_incidents ORDER BY id")
    else {
        return vec![];
    };
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map(|rows| rows.flatten().collect())
        .unwrap_or_default()
}

/// The alerts of the SFTP incidents: (condition, detail, resolved).
fn incident_alerts(site: &Site) -> Vec<(String, String, bool)> {
    let db = site.db();
    let Ok(mut s) = db.prepare(
        "SELECT condition, detail, resolved_at IS NOT NULL FROM alerts WHERE condition LIKE 'prestij_transfer:%' ORDER BY id",
    ) else {
        return vec![];
    };
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map(|rows| rows.flatten().collect())
        .unwrap_or_default()
}

#[test]
fn sftp_enrolment_round_trip_through_a_real_sshd() {
    let mut sshd = Sshd::prepare();
    sshd.start();
    let _peer = Peer::start(&sshd);
    let site = sftp_site(&sshd.section(&sshd.host_pub()));
    let mut d = site.start();
    site.drop_file(
        "rh-a_s1.csv",
        &csv(&[non_subrogated("S-1", "1850578006084")]),
    );
    assert!(
        wait_until(T, || enrolment_state(&site) == ["accepted"]),
        "{:?}\n{}",
        enrolment_state(&site),
        d.log_text()
    );
    // Put on the server, answered there, taken back: nothing left remotely, no partial file.
    assert!(wait_until(T, || std::fs::read_dir(sshd.remote("in"))
        .unwrap()
        .next()
        .is_none()));
    assert_eq!(
        named(&site, "spool/prestij/PREV/sent", "GESTIP-PREV-").len(),
        1
    );
    assert!(incidents(&site).is_empty(), "{:?}", incidents(&site));
    d.stop();
}

#[test]
fn sftp_server_down_alerts_once_then_resolves_and_delivers() {
    let mut sshd = Sshd::prepare();
    let _peer = Peer::start(&sshd);
    let site = sftp_site(&sshd.section(&sshd.host_pub()));
    let mut d = site.start();
    site.drop_file(
        "rh-a_s2.csv",
        &csv(&[non_subrogated("S-2", "1850578006084")]),
    );
    // One journaled incident, raised by the alert engine once.
    assert!(
        wait_until(T, || incidents(&site).len() == 1
            && incident_alerts(&site).len() == 1),
        "{:?} {:?}\n{}",
        incidents(&site),
        incident_alerts(&site),
        d.log_text()
    );
    // Several retries (backoff 1 s, 2 s…), still one incident.
    assert!(wait_until(T, || incidents(&site)
        .first()
        .is_some_and(|i| i.0 >= 3)));
    // A restart during the outage: the incident is the same one (no second alert), its
    // failures keep counting.
    let before = incidents(&site)[0].0;
    d.kill9();
    d = site.start();
    assert!(
        wait_until(T, || incidents(&site).first().is_some_and(|i| i.0 > before)),
        "{}",
        d.log_text()
    );
    assert_eq!(incidents(&site).len(), 1);
    let text = String::from_utf8_lossy(&site.cli(&["status"]).stdout).into_owned();
    assert!(text.contains("Prest'IJ open incidents: 1"), "{text}");
    let v = site.status();
    assert_eq!(
        v["prestij"]["open_incidents"].as_array().map(Vec::len),
        Some(1),
        "{v}"
    );
    assert_eq!(enrolment_state(&site), ["sent"]);
    assert_eq!(v["prestij"]["awaiting_arl"], 1, "{v}");
    sshd.start();
    assert!(
        wait_until(T, || enrolment_state(&site) == ["accepted"]),
        "{}",
        d.log_text()
    );
    // Resolved in the journal and in the alerts (the engine mails the resolution).
    assert!(
        wait_until(T, || incidents(&site) == [(incidents(&site)[0].0, true)]
            && incident_alerts(&site).iter().all(|a| a.2)),
        "{:?} {:?}",
        incidents(&site),
        incident_alerts(&site)
    );
    let alerts = incident_alerts(&site);
    assert_eq!(
        alerts.len(),
        1,
        "one alert for the whole outage: {alerts:?}"
    );
    assert!(alerts[0].1.contains("insurer PREV"), "{alerts:?}");
    assert!(
        site.status()["prestij"]["open_incidents"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    d.stop();
}

#[test]
fn sftp_unknown_host_key_is_refused_and_nothing_is_put() {
    let mut sshd = Sshd::prepare();
    sshd.start();
    // Pinned: another key than the server's.
    let site = sftp_site(&sshd.section(&sshd.other_pub()));
    let mut d = site.start();
    site.drop_file(
        "rh-a_s3.csv",
        &csv(&[non_subrogated("S-3", "1850578006084")]),
    );
    assert!(
        wait_until(T, || incident_alerts(&site).len() == 1),
        "{}",
        d.log_text()
    );
    let ev = &incident_alerts(&site)[0].1;
    assert!(ev.contains("host key"), "{ev}");
    assert_eq!(incidents(&site).len(), 1);
    assert!(
        std::fs::read_dir(sshd.remote("out"))
            .unwrap()
            .next()
            .is_none(),
        "nothing may reach an unverified server"
    );
    d.stop();
}
