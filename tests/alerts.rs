//! Deadlines, e-mail alerts, DSIJ fallback tasks and supporting documents, end to end: the
//! real binary, the in-process sandbox net-entreprises peer and a real SMTP server
//! (aiosmtpd, tests/smtp_sink.py) that saves every mail it accepts.

mod common;

use common::*;
use ijgate::channels::mtls_client::{MtlsClient, client_config};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const T: Duration = Duration::from_secs(40);

/// The SMTP sink; stopped on drop.
struct Smtp {
    child: Child,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        // SIGKILL: nothing to flush (each mail is already renamed into place), and a graceful
        // stop would wait for sessions a refused TLS handshake left open.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// aiosmtpd is provisioned by tests/run.sh. Without it: fail under CI, skip otherwise.
fn have_aiosmtpd() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "aiosmtpd is missing (python3 -m pip install aiosmtpd, or tests/run.sh)"
        );
        eprintln!("SKIPPED: python3 module aiosmtpd missing (python3 -m pip install aiosmtpd)");
    }
    ok
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_smtp(port: u16, folder: &Path) -> Smtp {
    start_smtp_with(port, folder, &[])
}

fn start_smtp_with(port: u16, folder: &Path, extra: &[&str]) -> Smtp {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .arg(folder)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready", "SMTP sink did not start");
    Smtp { child }
}

/// Every mail received so far (raw text), oldest first.
fn mails(folder: &Path) -> Vec<String> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

/// The Subject header, decoded by a real mail parser (RFC 2047 words, folding).
fn subject(mail: &str) -> String {
    mail_parser::MessageParser::default()
        .parse(mail.as_bytes())
        .and_then(|m| m.subject().map(str::to_string))
        .unwrap_or_default()
}

/// The text body, decoded (quoted-printable, charset).
fn body(mail: &str) -> String {
    mail_parser::MessageParser::default()
        .parse(mail.as_bytes())
        .and_then(|m| m.body_text(0).map(|b| b.into_owned()))
        .unwrap_or_default()
}

fn mails_about(folder: &Path, hr_ref: &str) -> Vec<String> {
    mails(folder)
        .into_iter()
        .filter(|m| subject(m).contains(hr_ref))
        .collect()
}

/// A site with the sandbox exchange, fast polling, alerts to ops@example.fr over plain SMTP
/// on `port`, and the given scenario and deadlines.
fn site(scenario: &str, port: u16, deadlines: &str) -> Site {
    site_with(scenario, port, deadlines, "")
}

fn site_with(scenario: &str, port: u16, deadlines: &str, alerts: &str) -> Site {
    let site = Site::new(&format!(
        r#"{FAST_EXCHANGE}
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
from = "ijgate <ijgate@example.fr>"
timeout = "2s"
[alerts]
to = ["ops@example.fr"]
scan_interval = "200ms"
retry_initial = "200ms"
retry_max = "500ms"
reminder_after = "0s"
{alerts}
[deadlines]
{deadlines}
"#
    ));
    std::fs::write(site.path("scenario.toml"), scenario).unwrap();
    site
}

fn alert_rows(site: &Site, condition: &str) -> Vec<(String, String, i64)> {
    let db = site.db();
    let mut stmt = db
        .prepare("SELECT mail_kind, state, attempts FROM alerts WHERE condition = ?1 ORDER BY id")
        .unwrap();
    stmt.query_map([condition], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map(|rows| rows.flatten().collect())
        .unwrap_or_default()
}

#[test]
fn late_31_gives_one_alert_then_a_resolved_mail_when_it_arrives() {
    if !have_aiosmtpd() {
        return;
    }
    let port = free_port();
    let box_dir = tempfile::tempdir().unwrap();
    let _smtp = start_smtp(port, box_dir.path());
    let site = site("[delays]\n\"31\" = \"6s\"\n", port, "\"31\" = \"1s\"");
    let d = site.start();
    site.drop_file("rh-a_late.csv", &csv(&[csv_row("LATE-31", SIRET_A)]));
    assert!(
        wait_until(T, || !mails_about(box_dir.path(), "LATE-31").is_empty()),
        "no alert mail:\n{}",
        d.log_text()
    );
    let first = mails_about(box_dir.path(), "LATE-31");
    assert_eq!(first.len(), 1);
    assert!(
        subject(&first[0]).contains("ALERTE : pas de compte rendu métier CNAM (31)"),
        "{}",
        first[0]
    );
    assert!(first[0].contains("X-Envelope-To: ops@example.fr"));
    // What the SMTP server received, parsed by a real mail parser (issue 16): the headers
    // relays score, and French text with Paris times, never bare UTC.
    let parsed = mail_parser::MessageParser::default()
        .parse(first[0].as_bytes())
        .unwrap();
    let id = parsed.message_id().expect("Message-ID");
    assert!(id.contains('@'), "{id}");
    assert_eq!(
        parsed.header_raw("MIME-Version").map(str::trim),
        Some("1.0"),
        "{}",
        first[0]
    );
    assert!(parsed.date().is_some(), "Date");
    let text = body(&first[0]);
    assert!(text.contains("heure de Paris, UTC+0"), "{text}");
    assert!(
        text.contains("déposé le") && !text.contains(" UTC\n"),
        "{text}"
    );
    // The declaration was still waiting for its 31 when the alert went out.
    let st = states(&site, "LATE-31")[0].1.clone();
    assert!(matches!(st.as_str(), "deposited" | "acknowledged"), "{st}");
    assert!(
        wait_until(T, || mails_about(box_dir.path(), "LATE-31").len() >= 2),
        "no resolved mail:\n{}",
        d.log_text()
    );
    let all = mails_about(box_dir.path(), "LATE-31");
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(subject(&all[1]).contains("RÉSOLU"), "{}", all[1]);
    assert_eq!(states(&site, "LATE-31")[0].1, "accepted");
    let rows = alert_rows(&site, "missing_31");
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str()),
        ("resolved", "sent")
    );
    // The 11 and the 30 came in time: no alert for them.
    assert!(alert_rows(&site, "missing_30").is_empty());
    assert!(alert_rows(&site, "missing_11").is_empty());
}

#[test]
fn smtp_down_when_the_alert_is_due_then_delivered_once_it_is_back() {
    if !have_aiosmtpd() {
        return;
    }
    let port = free_port();
    let box_dir = tempfile::tempdir().unwrap();
    // The 31 is withheld for an hour; its deadline is one second.
    let site = site("[delays]\n\"31\" = \"1h\"\n", port, "\"31\" = \"1s\"");
    let d = site.start();
    site.drop_file("rh-a_down.csv", &csv(&[csv_row("DOWN-1", SIRET_A)]));
    // Due, tried, refused (nothing listens on the port): kept and retried.
    assert!(
        wait_until(T, || alert_rows(&site, "missing_31")
            .first()
            .is_some_and(|r| r.1 == "failed" && r.2 >= 1)),
        "{}",
        d.log_text()
    );
    let _smtp = start_smtp(port, box_dir.path());
    assert!(
        wait_until(T, || !mails_about(box_dir.path(), "DOWN-1").is_empty()),
        "mail not delivered after the SMTP server came back:\n{}",
        d.log_text()
    );
    assert!(wait_until(T, || alert_rows(&site, "missing_31")[0].1 == "sent"));
    // Later rounds do not mail it again: a second declaration's alert goes out alone.
    site.drop_file("rh-a_down2.csv", &csv(&[csv_row("DOWN-2", SIRET_A)]));
    assert!(wait_until(T, || !mails_about(box_dir.path(), "DOWN-2").is_empty()));
    assert_eq!(mails_about(box_dir.path(), "DOWN-1").len(), 1);
    assert_eq!(mails_about(box_dir.path(), "DOWN-2").len(), 1);
    // The CLI test mail goes through the same server.
    let o = site.cli(&["alert", "test", "--to", "someone@example.fr"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        mails(box_dir.path())
            .iter()
            .any(|m| subject(m).contains("TEST") && m.contains("someone@example.fr"))
    );
}

fn api_client(site: &Site, d: &Daemon, who: &str) -> MtlsClient {
    let tls = client_config(
        &site.path("certs/ca.pem"),
        Some((
            site.path(&format!("certs/client-{who}.pem")).as_path(),
            site.path(&format!("certs/client-{who}.key")).as_path(),
        )),
    )
    .unwrap();
    MtlsClient::new(d.addr.unwrap(), "localhost", tls).unwrap()
}

fn request(
    c: &MtlsClient,
    method: &str,
    path: &str,
    body: Option<Vec<u8>>,
) -> (u16, serde_json::Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let r = rt.block_on(c.request(method, path, body)).unwrap();
    (r.status.as_u16(), r.json())
}

fn tasks(site: &Site) -> Vec<serde_json::Value> {
    let o = site.cli(&["task", "list", "--all", "--json"]);
    serde_json::from_slice::<serde_json::Value>(&o.stdout)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

#[test]
fn dsij_task_for_a_therapeutic_part_time_is_written_and_closed_by_cli_and_api() {
    let site = site("", free_port(), "");
    let d = site.start();
    let tpt = |r: &str| csv_row(r, SIRET_A).replace(";maladie;", ";tpt_maladie;");
    site.drop_file("rh-a_tpt.csv", &csv(&[tpt("TPT-1"), tpt("TPT-2")]));
    assert!(
        wait_until(T, || tasks(&site).len() == 2),
        "{}",
        d.log_text()
    );
    assert!(wait_until(T, || site
        .files("spool/outbound/hr")
        .iter()
        .filter(|n| n.contains("_dsij_"))
        .count()
        == 4));
    let list = tasks(&site);
    let t1 = list
        .iter()
        .find(|t| t["hr_ref"] == "TPT-1")
        .unwrap()
        .clone();
    let t2 = list
        .iter()
        .find(|t| t["hr_ref"] == "TPT-2")
        .unwrap()
        .clone();
    assert_eq!(t1["state"], "open");
    let id1 = t1["id"].as_i64().unwrap();
    let json_name = format!("TPT-1_dsij_{id1}.json");
    let html_name = format!("TPT-1_dsij_{id1}.html");
    assert_eq!(t1["files"], serde_json::json!([html_name, json_name]));
    let att: serde_json::Value = serde_json::from_slice(
        &std::fs::read(site.path(&format!("spool/outbound/hr/{json_name}"))).unwrap(),
    )
    .unwrap();
    assert_eq!(att["reference_months"], 3);
    assert_eq!(att["motif"], "15");
    assert_eq!(att["salaries"][0]["month"], "2026-10");
    assert_eq!(att["salaries"][0]["gross"], "2500.00");
    assert_eq!(att["employer_name"], "Employer A");
    assert!(att["subrogation"]["iban"].as_str().is_some());
    let html =
        std::fs::read_to_string(site.path(&format!("spool/outbound/hr/{html_name}"))).unwrap();
    assert!(html.contains("Attestation de salaire") && html.contains("2026-10"));
    // One alert per declaration for the fallback.
    assert!(wait_until(T, || alert_rows(&site, "dsij_fallback").len() == 2));

    // Closed by the CLI.
    let o = site.cli(&["task", "done", &id1.to_string()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = site.cli(&["task", "done", "999"]);
    assert!(!o.status.success());
    // Closed by the API, only by a client of the task's SIRET.
    let id2 = t2["id"].as_i64().unwrap();
    let (status, _) = request(
        &api_client(&site, &d, "rh-b"),
        "POST",
        &format!("/v1/tasks/{id2}/done"),
        None,
    );
    assert_eq!(status, 404);
    let (status, body) = request(
        &api_client(&site, &d, "rh-a"),
        "POST",
        &format!("/v1/tasks/{id2}/done"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "done");
    assert_eq!(body["done_by"], "api:rh-a");
    let o = site.cli(&["task", "list", "--json"]);
    let open: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(open, serde_json::json!([]));
    let show =
        String::from_utf8_lossy(&site.cli(&["show", "--hr-ref", "TPT-1"]).stdout).to_string();
    assert!(
        show.contains("task_opened") && show.contains("task_done"),
        "{show}"
    );
}

#[test]
fn requested_document_dropped_as_pdf_is_uploaded_and_bad_ones_are_refused() {
    let scenario = r#"
[delays]
"31" = "0s"
[outcome]
default = "documents_requested"
[[outcome.rules]]
nir_prefix = "1"
outcome = "documents_requested"
documents = ["BULLETIN_SALAIRE", "RIB_EMPLOYEUR"]
"#;
    let site = site(scenario, free_port(), "");
    let d = site.start();
    site.drop_file("rh-a_docs.csv", &csv(&[csv_row("DOC-1", SIRET_A)]));
    assert!(
        wait_until(T, || states(&site, "DOC-1")
            == vec![("arret".to_string(), "documents_requested".to_string())]),
        "{}",
        d.log_text()
    );
    let stats =
        |site: &Site| sandbox_stats(d.sandbox_addr().unwrap(), &site.path("var/sandbox-ca.pem"));
    site.drop_file(
        "rh-a_DOC-1.BULLETIN_SALAIRE.pdf",
        b"%PDF-1.4\n% bulletin de salaire\n%%EOF\n",
    );
    assert!(
        wait_until(T, || stats(&site)["pj_uploads"] == 1),
        "{}\n{}",
        stats(&site),
        d.log_text()
    );
    assert!(wait_until(T, || !notices(&site, "DOC-1", "document").is_empty()));
    let n = &notices(&site, "DOC-1", "document")[0];
    assert_eq!(n["status"], "OK", "{n}");
    assert_eq!(n["type"], "BULLETIN_SALAIRE");
    assert_eq!(n["report"]["codeRetour"], "200");
    assert!(
        site.files("spool/archive")
            .iter()
            .any(|f| f.ends_with("rh-a_DOC-1.BULLETIN_SALAIRE.pdf"))
    );
    let show =
        String::from_utf8_lossy(&site.cli(&["show", "--hr-ref", "DOC-1"]).stdout).to_string();
    assert!(
        show.contains("document_received") && show.contains("document_uploaded"),
        "{show}"
    );

    // Not a PDF: refused before sending, with a located report.
    site.drop_file("rh-a_DOC-1.RIB_EMPLOYEUR.pdf", b"GIF89a not a pdf");
    assert!(wait_until(T, || site.files("spool/rejected").contains(
        &"rh-a_DOC-1.RIB_EMPLOYEUR.pdf.errors.json".to_string()
    )));
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(site.path("spool/rejected/rh-a_DOC-1.RIB_EMPLOYEUR.pdf.errors.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(report["errors"][0]["field"], "content");
    // Unknown hr_ref: refused too.
    site.drop_file("rh-a_NOPE.BULLETIN_SALAIRE.pdf", b"%PDF-1.4\n");
    assert!(wait_until(T, || site.files("spool/rejected").contains(
        &"rh-a_NOPE.BULLETIN_SALAIRE.pdf.errors.json".to_string()
    )));

    // The same through the API.
    let id = site
        .db()
        .query_row(
            "SELECT id FROM declarations WHERE hr_ref = 'DOC-1'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    let a = api_client(&site, &d, "rh-a");
    let (status, body) = request(
        &a,
        "POST",
        &format!("/v1/stoppages/{id}/documents?type=RIB_EMPLOYEUR"),
        Some(b"%PDF-1.7\nrib\n".to_vec()),
    );
    assert_eq!(status, 202, "{body}");
    let (status, _) = request(
        &a,
        "POST",
        &format!("/v1/stoppages/{id}/documents?type=RIB_EMPLOYEUR"),
        Some(b"no pdf".to_vec()),
    );
    assert_eq!(status, 422);
    let (status, _) = request(
        &api_client(&site, &d, "rh-b"),
        "POST",
        &format!("/v1/stoppages/{id}/documents?type=RIB_EMPLOYEUR"),
        Some(b"%PDF-1.7\n".to_vec()),
    );
    assert_eq!(status, 404);
    assert!(
        wait_until(T, || notices(&site, "DOC-1", "document").len() == 2),
        "{}",
        d.log_text()
    );
}

/// STARTTLS and implicit TLS with a private CA, and a password read from a 0600 file: the
/// test mail goes through; an unknown CA or a wrong password does not.
#[test]
fn smtp_over_tls_with_a_private_ca_and_a_password_file() {
    if !have_aiosmtpd() {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let (ca, cert, key) =
        ijgate::channels::tls::dev_certificates(&["localhost", "127.0.0.1"]).unwrap();
    let (other_ca, _, _) = ijgate::channels::tls::dev_certificates(&["localhost"]).unwrap();
    for (n, v) in [
        ("ca.pem", &ca),
        ("cert.pem", &cert),
        ("key.pem", &key),
        ("other-ca.pem", &other_ca),
    ] {
        std::fs::write(p(n), v).unwrap();
    }
    for (n, v) in [("pw", "s3cret\n"), ("bad-pw", "nope\n")] {
        std::fs::write(p(n), v).unwrap();
        std::fs::set_permissions(p(n), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (cert_s, key_s) = (
        p("cert.pem").display().to_string(),
        p("key.pem").display().to_string(),
    );
    for security in ["starttls", "tls"] {
        let port = free_port();
        let inbox = dir.path().join(format!("inbox-{security}"));
        let _smtp = start_smtp_with(
            port,
            &inbox,
            &[
                &format!("--{security}"),
                &cert_s,
                &key_s,
                "--auth",
                "ijgate:s3cret",
            ],
        );
        let try_send = |ca_file: &str, pw: &str| {
            let site = Site::new(&format!(
                "[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"{security}\"\nusername = \"ijgate\"\npassword_file = \"{}\"\nca_file = \"{}\"\ntimeout = \"5s\"\n",
                p(pw).display(),
                p(ca_file).display()
            ));
            site.cli(&["alert", "test", "--to", "tls@example.fr"])
        };
        let o = try_send("ca.pem", "pw");
        assert!(
            o.status.success(),
            "{security}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(mails(&inbox).len(), 1, "{security}");
        let o = try_send("other-ca.pem", "pw");
        assert!(
            !o.status.success(),
            "{security}: a server signed by another CA was trusted"
        );
        let o = try_send("ca.pem", "bad-pw");
        assert!(
            !o.status.success(),
            "{security}: a wrong password was accepted"
        );
        assert_eq!(mails(&inbox).len(), 1, "{security}");
    }
}

/// Many alerts due at once for one recipient: one digest, not a flood.
#[test]
fn many_alerts_at_once_become_one_digest() {
    if !have_aiosmtpd() {
        return;
    }
    let port = free_port();
    let box_dir = tempfile::tempdir().unwrap();
    let site = site_with(
        "[delays]\n\"31\" = \"1h\"\n",
        port,
        "\"31\" = \"1s\"",
        "digest_threshold = 3",
    );
    let d = site.start();
    let refs: Vec<String> = (1..=6).map(|i| format!("DIG-{i}")).collect();
    let rows: Vec<String> = refs.iter().map(|r| csv_row(r, SIRET_A)).collect();
    site.drop_file("rh-a_digest.csv", &csv(&rows));
    // The SMTP server is down: every alert fails together in each round, so they are due
    // together (same next attempt) when it comes back.
    let synced = || {
        site.db()
            .query_row(
                "SELECT COUNT(*), COUNT(DISTINCT next_attempt_at), SUM(state = 'failed') FROM alerts WHERE condition = 'missing_31'",
                [],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)),
            )
            .unwrap_or((0, 0, 0))
            == (6, 1, 6)
    };
    assert!(wait_until(T, synced), "{}", d.log_text());
    let _smtp = start_smtp(port, box_dir.path());
    assert!(
        wait_until(T, || !mails(box_dir.path()).is_empty()),
        "{}",
        d.log_text()
    );
    assert!(wait_until(T, || alert_rows(&site, "missing_31")
        .iter()
        .all(|r| r.1 == "sent")));
    let all = mails(box_dir.path());
    assert_eq!(all.len(), 1, "{all:#?}");
    assert!(subject(&all[0]).contains("6 alertes"), "{}", all[0]);
    let text = body(&all[0]);
    for r in &refs {
        assert!(text.contains(r.as_str()), "{r} missing from the digest");
    }
}

#[test]
fn contribution_calls_of_a_dsn_lot_are_mailed_to_the_company_contact() {
    if !have_aiosmtpd() {
        return;
    }
    let port = free_port();
    let mailbox = tempfile::tempdir().unwrap();
    let _smtp = start_smtp(port, mailbox.path());
    let site = Site::new(&format!(
        r#"
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
from = "ijgate <ijgate@example.fr>"
[dsn]
settle_time = "200ms"
calls_to = ["rh@entreprise.example.fr"]
"#
    ));
    let d = site.start();
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/neodes/open-neodes_sample_dsn_P25V01.dsn"
    ))
    .unwrap();
    let inbound = site.path("spool/inbound/dsn");
    std::fs::write(inbound.join(".lot.part"), &sample).unwrap();
    std::fs::rename(inbound.join(".lot.part"), inbound.join("lot42.dsn")).unwrap();
    assert!(
        wait_until(Duration::from_secs(30), || !mails(mailbox.path())
            .is_empty()),
        "{}",
        d.log_text()
    );
    let m = &mails(mailbox.path())[0];
    assert!(m.contains("rh@entreprise.example.fr"), "{m}");
    assert!(
        m.contains("lot42.calls.html") && m.contains("lot42.calls.csv"),
        "attachments missing:\n{m}"
    );
}

/// MDSN01 as an alert (issue 11): an establishment of the fiches without its DSN for last month
/// once the due day passed is mailed to `[alerts] to`; the DSN dropped at the door resolves it
/// (a "RÉSOLU" mail). The lot is tests/fixtures/dsn/lac_2026_03_clean.dsn made the
/// establishment's (NIC 00026 of fiche_lac_p0999_etab2.xml) and last month's.
#[test]
fn missing_dsn_is_mailed_then_resolved_when_the_lot_arrives() {
    use chrono::Datelike;
    if !have_aiosmtpd() {
        return;
    }
    let today = chrono::Local::now().date_naive();
    if today.day() == 1 {
        println!("skipped: on the 1st the due day (1) has not passed");
        return;
    }
    let port = free_port();
    let mailbox = tempfile::tempdir().unwrap();
    let _smtp = start_smtp(port, mailbox.path());
    let fiche = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dsn/fiche_lac_p0999_etab2.xml"
    );
    let site = site_with(
        "",
        port,
        "",
        &format!("[dsn]\nsettle_time = \"200ms\"\nfiches = [\"{fiche}\"]\ndue_day = 1\n"),
    );
    let d = site.start();
    let about = |m: &String| subject(m).contains("DSN mensuelle non reçue");
    assert!(
        wait_until(T, || mails(mailbox.path()).iter().any(about)),
        "no MDSN01 mail:\n{}",
        d.log_text()
    );
    let first: Vec<String> = mails(mailbox.path()).into_iter().filter(about).collect();
    assert_eq!(first.len(), 1, "{first:#?}");
    assert!(subject(&first[0]).contains("ALERTE"), "{}", first[0]);
    assert!(
        subject(&first[0]).contains("48765432100026"),
        "{}",
        first[0]
    );
    let month = today.with_day(1).unwrap() - chrono::Months::new(1);
    assert!(
        body(&first[0]).contains(&month.format("%m/%Y").to_string()),
        "{}",
        body(&first[0])
    );
    // Last month's DSN of that establishment arrives.
    let lot = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dsn/lac_2026_03_clean.dsn"
    ))
    .unwrap()
    .replace(
        "S20.G00.05.005,'01032026'",
        &format!("S20.G00.05.005,'{}'", month.format("%d%m%Y")),
    )
    .replace("S21.G00.11.001,'00018'", "S21.G00.11.001,'00026'");
    let inbound = site.path("spool/inbound/dsn");
    std::fs::write(inbound.join(".late.part"), lot).unwrap();
    std::fs::rename(inbound.join(".late.part"), inbound.join("late.dsn")).unwrap();
    assert!(
        wait_until(T, || mails(mailbox.path())
            .iter()
            .filter(|m| about(m))
            .count()
            >= 2),
        "no resolved mail:\n{}",
        d.log_text()
    );
    let all: Vec<String> = mails(mailbox.path()).into_iter().filter(about).collect();
    assert_eq!(all.len(), 2, "{all:#?}");
    assert!(subject(&all[1]).contains("RÉSOLU"), "{}", all[1]);
    // The mail is marked sent once the SMTP server accepted it (just after it saved it).
    let cond = format!("missing_dsn:48765432100026:{}", month.format("%Y-%m"));
    assert!(
        wait_until(T, || alert_rows(&site, &cond)
            .iter()
            .map(|r| (r.0.as_str(), r.1.as_str()))
            .eq([("resolved", "sent")])),
        "{:?}",
        alert_rows(&site, &cond)
    );
}
