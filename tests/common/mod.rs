//! Test harness: runs the real `ijgate` binary on a temporary folder with a generated
//! configuration, waits for it to be ready, and gives helpers to drop files, call the CLI and
//! await conditions (polling with a deadline: never a blind sleep).

#![allow(dead_code)]

pub mod insurers;
pub mod pg;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_ijgate");
pub const SIRET_A: &str = "12345678200010";
pub const SIRET_B: &str = "98765432400019";

/// Polls `f` until it is true or `timeout` passes.
/// The sandbox net-entreprises peer, a separate binary of this package (never shipped).
#[allow(dead_code)]
pub const SANDBOX_BIN: &str = env!("CARGO_BIN_EXE_ijgate-sandbox");

pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() > end {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A test installation: folders and configuration.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl Site {
    /// Two employers (A, B), clients rh-a (A) and rh-b (B), API on an ephemeral port,
    /// dev certificates. `extra` is appended to the TOML.
    pub fn new(extra: &str) -> Site {
        // The CPAM exchange is off unless the test configures it.
        let netent = if extra.contains("[netent]") {
            ""
        } else {
            "[netent]\nmode = \"disabled\"\n"
        };
        let extra = format!("{netent}{extra}");
        // Complete identities: every signalement carries the required-rubric table
        // (neodes::required). A is its own head office; B's head office is elsewhere.
        let identity_a = "ape = \"2511Z\"\napet = \"2511Z\"\naddress = \"1 rue A\"\npostal_code = \"75002\"\ncity = \"Paris\"\nhead_office_nic = \"00010\"\ncontact_name = \"Contact A\"\ncontact_phone = \"0102030405\"";
        let identity_b = "ape = \"4711D\"\napet = \"4711D\"\naddress = \"2 rue B\"\npostal_code = \"69002\"\ncity = \"Lyon\"\nhead_office_nic = \"00027\"\nhead_office_address = \"9 quai B\"\nhead_office_postal_code = \"69001\"\nhead_office_city = \"Lyon\"\ncontact_name = \"Contact B\"\ncontact_phone = \"0402030405\"\ncontact_email = \"rh@b.invalid\"";
        let declarant = if extra.contains("[declarant]") {
            String::new()
        } else {
            "[declarant]\nname = \"Paie\"\ncontact_name = \"Service paie\"\ncontact_email = \"paie@a.invalid\"\ncontact_phone = \"0102030406\"\ntest_files = false\n".to_string()
        };
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("ijgate.toml");
        let toml = format!(
            r#"
[daemon]
state_dir = "var"
log_format = "json"
shutdown_grace = "20s"
[spool]
dir = "spool"
rescan_interval = "1s"
settle_time = "300ms"
[api]
listen = "127.0.0.1:0"
cert_file = "certs/server.pem"
key_file = "certs/server.key"
client_ca_file = "certs/ca.pem"
dev_certs = true
[[employers]]
siret = "{SIRET_A}"
name = "Employer A"
{identity_a}
[[employers]]
siret = "{SIRET_B}"
name = "Employer B"
{identity_b}
[[hr_clients]]
name = "rh-a"
sirets = ["{SIRET_A}"]
spool_prefix = "rh-a_"
encoding = "windows-1252"
[hr_clients.columns]
"Matricule Sécu" = "nir"
[[hr_clients]]
name = "rh-b"
sirets = ["{SIRET_B}"]
{declarant}
{extra}
"#
        );
        std::fs::write(&config, toml).unwrap();
        Site { dir, config }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn inbound(&self) -> PathBuf {
        self.path("spool/inbound")
    }

    /// Drops a file the documented way: write a temporary name, then rename into place.
    pub fn drop_file(&self, name: &str, bytes: &[u8]) {
        let inbound = self.inbound();
        std::fs::create_dir_all(&inbound).unwrap();
        let tmp = inbound.join(format!(".{name}.part"));
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, inbound.join(name)).unwrap();
    }

    pub fn files(&self, rel: &str) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.path(rel))
            .map(|rd| {
                // Files only: sub-folders (archive/dsn, ...) are other doors.
                rd.flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.retain(|n| !n.starts_with('.'));
        v.sort();
        v
    }

    /// Runs the CLI with this site's configuration.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .unwrap()
    }

    /// `ijgate status --json`.
    pub fn status(&self) -> serde_json::Value {
        let o = self.cli(&["status", "--json"]);
        serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null)
    }

    pub fn count_in_state(&self, state: &str) -> i64 {
        self.status()["declarations_by_state"][state]
            .as_i64()
            .unwrap_or(0)
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.path("var/ijgate.db")).unwrap()
    }

    pub fn start(&self) -> Daemon {
        Daemon::start(&self.config)
    }
}

/// A running daemon.
pub struct Daemon {
    pub child: Child,
    pub addr: Option<SocketAddr>,
    /// The admin listener (health, metrics), when enabled.
    pub admin: Option<SocketAddr>,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Daemon {
    pub fn start(config: &Path) -> Daemon {
        Self::start_with_env(config, &[])
    }

    /// Starts with extra environment variables (e.g. NOTIFY_SOCKET, WATCHDOG_USEC).
    pub fn start_with_env(config: &Path, env: &[(&str, &str)]) -> Daemon {
        let mut child = Command::new(BIN)
            .arg("--config")
            .arg(config)
            .arg("--log-format")
            .arg("json")
            .arg("run")
            .env("IJGATE_LOG", "info")
            .env_remove("JOURNAL_STREAM")
            .env_remove("NOTIFY_SOCKET")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let l = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                l.lock().unwrap().push(line);
            }
        });
        let mut d = Daemon {
            child,
            addr: None,
            admin: None,
            log,
        };
        let ready = wait_until(Duration::from_secs(30), || {
            d.find_log("ijgate ready").is_some() || d.exited()
        });
        let line = d.find_log("ijgate ready");
        assert!(
            ready && line.is_some(),
            "daemon did not become ready:\n{}",
            d.log_text()
        );
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        d.addr = v["fields"]["listen"].as_str().and_then(|s| s.parse().ok());
        d.admin = v["fields"]["admin"].as_str().and_then(|s| s.parse().ok());
        d
    }

    /// Address of the in-process sandbox peer, when started.
    pub fn sandbox_addr(&self) -> Option<SocketAddr> {
        let line = self.find_log("SANDBOX peer started")?;
        let v: serde_json::Value = serde_json::from_str(&line).ok()?;
        v["fields"]["addr"].as_str().and_then(|s| s.parse().ok())
    }

    /// Sends a signal (SIGHUP for a reload).
    pub fn signal(&self, sig: i32) {
        unsafe {
            libc::kill(self.child.id() as i32, sig);
        }
    }

    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    pub fn find_log(&self, needle: &str) -> Option<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .find(|l| l.contains(needle))
            .cloned()
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// SIGKILL: the crash case.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait; returns the exit code.
    pub fn stop(&mut self) -> Option<i32> {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                return st.code();
            }
            if Instant::now() > end {
                self.kill9();
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if !self.exited() {
            self.kill9();
        }
    }
}

/// A CSV header with the canonical columns used by the fixtures.
pub const CSV_HEADER: &str = "event;hr_ref;siret;nir;last_name;first_names;birth_date;sex;contract_number;contract_start;reason;last_day_worked;expected_end;subrogation;subrogation_start;subrogation_end;iban;bic;salary_1;salary_2;salary_3;birth_place;birth_department;birth_country;address;postal_code;city;contract_nature;job_title;pcs_ese;statut_conventionnel;retirement_category;idcc";

/// The columns a signalement needs besides the stoppage (neodes::required), appended to
/// every fixture row.
pub const CSV_IDENTITY: &str = "Lyon;69;FR;3 rue du Test;69003;Lyon;01;Technicien;479a;05;04;1486";

/// One good "arret" CSV row for employer `siret`.
pub fn csv_row(hr_ref: &str, siret: &str) -> String {
    format!(
        "arret;{hr_ref};{siret};1850578006084;Dupont;Jean;12/05/1985;1;C001;05/01/2015;maladie;09/11/2026;20/11/2026;oui;10/11/2026;20/11/2026;FR7630006000011234567890189;BNPAFRPP;2500,00;2500,00;2400,00;{CSV_IDENTITY}"
    )
}

/// A JSON declaration for employer `siret`.
pub fn json_decl(hr_ref: &str, siret: &str) -> serde_json::Value {
    serde_json::json!({
        "event": "arret", "hr_ref": hr_ref, "siret": siret, "nir": "2850578006048",
        "last_name": "Martin", "first_names": "Claire", "birth_date": "1985-05-12", "sex": "F",
        "contract_number": "C002", "contract_start": "2016-03-01", "reason": "maladie",
        "last_day_worked": "2026-11-09", "expected_end": "2026-11-20", "subrogation": "non",
        "salaries": ["2800.00", "2800.00", "2750.50"],
        "birth_place": "Nantes", "birth_department": "44", "birth_country": "FR",
        "address": "5 rue du Test", "postal_code": "44000", "city": "Nantes",
        "contract_nature": "01", "job_title": "Comptable", "pcs_ese": "461d",
        "statut_conventionnel": "06", "retirement_category": "04", "idcc": "1486"
    })
}

/// Adds to a JSON declaration the fields a signalement needs besides the stoppage
/// (neodes::required); those already there are kept.
pub fn with_identity(mut v: serde_json::Value) -> serde_json::Value {
    let full = json_decl("X", SIRET_A);
    if let (Some(o), Some(f)) = (v.as_object_mut(), full.as_object()) {
        for k in [
            "birth_place",
            "birth_department",
            "birth_country",
            "address",
            "postal_code",
            "city",
            "contract_nature",
            "job_title",
            "pcs_ese",
            "statut_conventionnel",
            "retirement_category",
            "idcc",
            "subrogation",
        ] {
            if !o.contains_key(k) {
                o.insert(k.into(), f[k].clone());
            }
        }
    }
    v
}

/// `GET /sandbox/stats` of a sandbox peer (server-authenticated TLS with its CA).
pub fn sandbox_stats(addr: SocketAddr, ca: &Path) -> serde_json::Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let tls = ijgate::channels::mtls_client::client_config(ca, None).unwrap();
        let c = ijgate::channels::mtls_client::MtlsClient::new(addr, "localhost", tls).unwrap();
        match c.request("GET", "/sandbox/stats", None).await {
            Ok(r) => r.json(),
            Err(_) => serde_json::Value::Null,
        }
    })
}

/// Notices of a kind in outbound/hr (file names `<hr_ref>_<kind>_<n>.json`).
pub fn notices(site: &Site, hr_ref: &str, kind: &str) -> Vec<serde_json::Value> {
    let prefix = format!("{hr_ref}_{kind}_");
    site.files("spool/outbound/hr")
        .into_iter()
        .filter(|n| n.starts_with(&prefix) && n.ends_with(".json"))
        .map(|n| {
            serde_json::from_slice(
                &std::fs::read(site.path(&format!("spool/outbound/hr/{n}"))).unwrap(),
            )
            .unwrap()
        })
        .collect()
}

/// The state of the declarations of an HR reference (all events).
pub fn states(site: &Site, hr_ref: &str) -> Vec<(String, String)> {
    let o = site.cli(&["show", "--hr-ref", hr_ref, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|d| {
                    (
                        d["event"].as_str().unwrap_or("").to_string(),
                        d["state"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A CSV with the canonical header and the given rows.
pub fn csv(rows: &[String]) -> Vec<u8> {
    let mut s = String::from(CSV_HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.push('\n');
    s.into_bytes()
}

/// A plain HTTP/1.1 GET (the admin listener); returns (status, body).
pub fn http_get(
    addr: SocketAddr,
    path: &str,
    bearer: Option<&str>,
) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n"
    )?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    let (head, body) = buf.split_once("\r\n\r\n").unwrap_or((&buf, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, body.to_string()))
}

/// The CPAM exchange on the in-process sandbox with fast polling and retries, for tests; the
/// scenario is read from `scenario.toml` in the site.
pub const FAST_EXCHANGE: &str = r#"
[netent]
mode = "sandbox"
poll_interval = "200ms"
declarant_poll_interval = "1s"
bpij_poll_interval = "1s"
retry_initial = "100ms"
retry_max = "1s"
request_timeout = "3s"
# The in-process sandbox lists a deposit at once and shares our clock.
reconcile_min_age = "1s"
reconcile_recheck_interval = "300ms"
clock_tolerance = "1s"
[sandbox]
scenario = "scenario.toml"
"#;
