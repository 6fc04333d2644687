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

fn site(extra_insurer: &str) -> Site {
    let site = Site::new(&format!(
        r#"{FAST_EXCHANGE}
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
    // The slip is never taken twice: the sandbox keeps publishing nothing new.
    std::thread::sleep(Duration::from_millis(1500));
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
    std::thread::sleep(Duration::from_millis(1500));
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
    // Kill at several instants of the cycle, restarting each time.
    for pause in [150u64, 400, 900] {
        std::thread::sleep(Duration::from_millis(pause));
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

fn events(site: &Site, kind: &str) -> Vec<String> {
    let db = site.db();
    let Ok(mut s) = db.prepare("SELECT detail FROM insurer_events WHERE kind = ?1 ORDER BY id")
    else {
        return vec![];
    };
    s.query_map([kind], |r| r.get::<_, String>(0))
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
    assert!(events(&site, "prestij_transfer_failed").is_empty());
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
    assert!(
        wait_until(T, || events(&site, "prestij_transfer_failed").len() == 1),
        "{}",
        d.log_text()
    );
    // Several retries (backoff 1 s, 2 s…), still one incident.
    assert!(wait_until(T, || d
        .log_text()
        .matches("prestij: SFTP transfer failed")
        .count()
        >= 3));
    assert_eq!(events(&site, "prestij_transfer_failed").len(), 1);
    assert_eq!(enrolment_state(&site), ["sent"]);
    sshd.start();
    assert!(
        wait_until(T, || enrolment_state(&site) == ["accepted"]),
        "{}",
        d.log_text()
    );
    assert_eq!(events(&site, "prestij_transfer_restored").len(), 1);
    assert_eq!(events(&site, "prestij_transfer_failed").len(), 1);
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
        wait_until(T, || events(&site, "prestij_transfer_failed").len() == 1),
        "{}",
        d.log_text()
    );
    let ev = &events(&site, "prestij_transfer_failed")[0];
    assert!(ev.contains("host key"), "{ev}");
    assert!(
        std::fs::read_dir(sshd.remote("out"))
            .unwrap()
            .next()
            .is_none(),
        "nothing may reach an unverified server"
    );
    d.stop();
}
