//! The configuration: one serde tree for the TOML file, validated as a whole.
//!
//! Every field has a default in code so that a minimal file works; `validate()` collects every
//! problem (an operator fixes the file once, not once per error) and `ijgate check-config`
//! exits 78 (EX_CONFIG) when there is any. Relative paths resolve against the folder of the
//! configuration file, so `conf/ijgate.toml` works from a fresh clone whatever the cwd.

pub mod admin;
pub mod console;
pub mod insurers;
pub mod journal;
pub mod netent;
pub mod retention;
pub mod sftp;
pub mod smtp;

use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::formats::hr_csv::CsvEncoding;
use crate::model::Siret;
use crate::model::stoppage::normalise_word;
use crate::model::validate::is_field;

/// Where to look for the configuration when `--config` is not given.
pub const DEFAULT_PATH: &str = "/etc/ijgate/ijgate.toml";

/// EX_CONFIG from sysexits.h: the configuration is wrong. Every command that refuses a
/// configuration (the CLI, `ijgate reload`) exits with it.
pub const EXIT_CONFIG: i32 = 78;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub daemon: Daemon,
    #[serde(default)]
    pub spool: Spool,
    #[serde(default)]
    pub api: Api,
    /// Employers (establishments) ijgate declares for.
    #[serde(default)]
    pub employers: Vec<Employer>,
    /// HR tools allowed to call the web service, and per-sender spool options.
    #[serde(default)]
    pub hr_clients: Vec<HrClient>,
    /// Who sends the DSN signalements (S10 émetteur and contact) and how.
    #[serde(default)]
    pub declarant: Declarant,
    /// The net-entreprises API DSN (or the in-process sandbox).
    #[serde(default)]
    pub netent: NetEnt,
    /// The in-process sandbox peer, used when `netent.mode = "sandbox"`.
    #[serde(default)]
    pub sandbox: SandboxPeer,
    /// The insurer's DSN door (spool/inbound/dsn/).
    #[serde(default)]
    pub dsn: DsnDoor,
    /// Health and metrics listener.
    #[serde(default)]
    pub admin: admin::Admin,
    /// How long personal data is kept.
    #[serde(default)]
    pub retention: retention::Retention,
    /// Prévoyance insurers and the contracts that cover employers' populations.
    #[serde(default)]
    pub insurers: Vec<insurers::Insurer>,
    /// The SMTP server every mail goes through (alerts, …).
    #[serde(default)]
    pub smtp: smtp::SmtpConfig,
    /// E-mail alerts: recipients, reminders, digests.
    #[serde(default)]
    pub alerts: crate::alerts::config::AlertsConfig,
    /// How long each expected return may take before an alert.
    #[serde(default)]
    pub deadlines: crate::alerts::config::Deadlines,
    /// The operator console on the admin listener: language, TLS, roles.
    #[serde(default)]
    pub console: console::ConsoleConfig,
    /// Which database holds the journal: SQLite (default) or PostgreSQL (issue 15).
    #[serde(default)]
    pub journal: journal::JournalConfig,
    /// Where this file was read from (set by `load`).
    #[serde(skip)]
    pub source: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Daemon {
    /// Folder of the SQLite journal (`ijgate.db`) and other state.
    pub state_dir: PathBuf,
    /// Log format when not given on the command line: "human" or "json".
    pub log_format: String,
    /// How long in-flight work may take to finish after SIGTERM.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
}

impl Default for Daemon {
    fn default() -> Self {
        Daemon {
            state_dir: "var".into(),
            log_format: "human".into(),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Spool {
    /// Root of inbound/, archive/, rejected/ and outbound/.
    pub dir: PathBuf,
    /// The spool is shared with HR tools through a group: folders get 2770 (setgid) and files
    /// 0660 instead of 0700/0600.
    pub shared_group: bool,
    /// Full rescan period, the fallback when inotify misses events (overflow, network mounts).
    #[serde(with = "humantime_serde")]
    pub rescan_interval: Duration,
    /// A file seen by a rescan only (no close event) is taken once its size and mtime have not
    /// changed for this long: slow copies over SMB/NFS give no reliable close event.
    #[serde(with = "humantime_serde")]
    pub settle_time: Duration,
    /// Largest input file accepted; bigger ones are rejected unread.
    pub max_file_size: u64,
    /// Records of an HR CSV journaled per commit: a large file is streamed in batches of
    /// this size, never held whole (memory stays bounded whatever the file's length).
    pub batch_rows: usize,
}

impl Default for Spool {
    fn default() -> Self {
        Spool {
            dir: "spool".into(),
            shared_group: false,
            rescan_interval: Duration::from_secs(5),
            settle_time: Duration::from_secs(1),
            max_file_size: 64 * 1024 * 1024,
            batch_rows: 1000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Api {
    pub enabled: bool,
    pub listen: SocketAddr,
    /// Server certificate chain (PEM).
    pub cert_file: PathBuf,
    /// Server private key (PEM); must not be readable by others.
    pub key_file: PathBuf,
    /// CA that signs the HR clients' certificates (PEM).
    pub client_ca_file: PathBuf,
    /// Generate a development CA and certificates when the files above are absent.
    /// Never in production: the daemon logs it loudly.
    pub dev_certs: bool,
    /// Largest request body accepted.
    pub max_body: usize,
    /// A connection with no request in flight for this long is closed (HTTP/1 keep-alive and
    /// HTTP/2 alike; also the longest wait for a request's headers).
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// Longest TLS handshake.
    #[serde(with = "humantime_serde")]
    pub handshake_timeout: Duration,
    /// Open connections allowed per client certificate identity; more are closed at once.
    pub max_connections_per_client: usize,
}

impl Default for Api {
    fn default() -> Self {
        Api {
            enabled: true,
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            cert_file: "certs/server.pem".into(),
            key_file: "certs/server.key".into(),
            client_ca_file: "certs/ca.pem".into(),
            dev_certs: false,
            max_body: 4 * 1024 * 1024,
            idle_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
            max_connections_per_client: 32,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Employer {
    pub siret: String,
    pub name: String,
    /// APEN code of the company (S21.G00.06.003).
    #[serde(default)]
    pub ape: Option<String>,
    /// NIC of the head office (S21.G00.06.002). Required for signalements: never guessed
    /// from this establishment's NIC (the head office is often another establishment).
    #[serde(default)]
    pub head_office_nic: Option<String>,
    /// Address of this establishment (S21.G00.11.003–.005).
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    /// APET code of this establishment (S21.G00.11.002); `ape` is the company's APEN.
    #[serde(default)]
    pub apet: Option<String>,
    /// Address of the head office (S21.G00.06.004–.006), when `head_office_nic` is not this
    /// establishment's NIC (otherwise the establishment's address is the head office's).
    #[serde(default)]
    pub head_office_address: Option<String>,
    #[serde(default)]
    pub head_office_postal_code: Option<String>,
    #[serde(default)]
    pub head_office_city: Option<String>,
    /// Contact chez le déclaré for the daily allowances (S20.G00.07, type 01).
    #[serde(default)]
    pub contact_name: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
    #[serde(default)]
    pub contact_email: Option<String>,
    /// Who receives this employer's alerts (besides `[alerts] to`).
    #[serde(default)]
    pub alert_emails: Vec<String>,
}

/// The émetteur of the DSN files (S10.G00.01/.02) and the software identity (S10.G00.00).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Declarant {
    /// SIRET of the émetteur (the employer itself, or its payroll service provider).
    pub siret: Option<String>,
    pub name: String,
    /// The émetteur's address (S10.G00.01.004–.006); without `siret` the émetteur is each
    /// employer and its address is used when these are unset.
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    /// Contact: civilité 01 (M.) or 02 (Mme), name, e-mail, phone (S10.G00.02; e-mail and
    /// phone are required for signalements, neodes::required).
    pub contact_civility: String,
    pub contact_name: String,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    /// true: files are sent as "essai" (S10.G00.00.005 = 01): net-entreprises checks them and
    /// CPAM ignores them. Customers test on production with essai files.
    pub test_files: bool,
}

impl Default for Declarant {
    fn default() -> Self {
        Declarant {
            siret: None,
            name: "ijgate".into(),
            address: None,
            postal_code: None,
            city: None,
            contact_civility: "01".into(),
            contact_name: "Service paie".into(),
            contact_email: None,
            contact_phone: None,
            // Réel by default: an essai file is never processed by the CPAM (it ends in
            // `test_accepted`), which is only meant for a deliberate test.
            test_files: false,
        }
    }
}

impl Declarant {
    /// The émetteur as the signalement writer takes it (it sees no settings type).
    pub fn emitter(&self) -> crate::formats::signalement::Emitter<'_> {
        crate::formats::signalement::Emitter {
            siret: self.siret.as_deref(),
            name: &self.name,
            address: self.address.as_deref(),
            postal_code: self.postal_code.as_deref(),
            city: self.city.as_deref(),
            contact_civility: &self.contact_civility,
            contact_name: &self.contact_name,
            contact_email: self.contact_email.as_deref(),
            contact_phone: self.contact_phone.as_deref(),
            test_files: self.test_files,
        }
    }
}

impl Employer {
    /// The establishment as the signalement writer takes it.
    pub fn establishment(&self) -> crate::formats::signalement::Establishment<'_> {
        crate::formats::signalement::Establishment {
            siret: &self.siret,
            ape: self.ape.as_deref(),
            head_office_nic: self.head_office_nic.as_deref(),
            address: self.address.as_deref(),
            postal_code: self.postal_code.as_deref(),
            city: self.city.as_deref(),
            apet: self.apet.as_deref(),
            head_office_address: self.head_office_address.as_deref(),
            head_office_postal_code: self.head_office_postal_code.as_deref(),
            head_office_city: self.head_office_city.as_deref(),
            contact_name: self.contact_name.as_deref(),
            contact_phone: self.contact_phone.as_deref(),
            contact_email: self.contact_email.as_deref(),
        }
    }
}

/// How ijgate reaches net-entreprises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum NetEntMode {
    /// Not written in the file: refused by validation. There is no silent default, because
    /// either default would be wrong somewhere (a sandbox in production fakes "accepted";
    /// remote on a developer's machine needs credentials).
    #[default]
    #[serde(skip_deserializing)]
    Unset,
    /// The sandbox peer `ijgate-sandbox`, started as a child process (demos, development).
    Sandbox,
    /// A real (or remote test) API DSN at `base_url`.
    Remote,
    /// No CPAM exchange: declarations stay journaled.
    Disabled,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetEnt {
    pub mode: NetEntMode,
    /// One base URL for every service (sandbox-like deployments). For production set the
    /// per-service URLs below instead.
    pub base_url: Option<String>,
    pub auth_url: Option<String>,
    pub deposit_url: Option<String>,
    pub consult_url: Option<String>,
    pub download_url: Option<String>,
    pub bpij_url: Option<String>,
    pub pj_url: Option<String>,
    /// Declarant credentials ("logiciel de paie" mode): SIRET, nom, prénom.
    pub siret: Option<String>,
    pub nom: String,
    pub prenom: String,
    /// File holding the password; must be mode 0600 (refused otherwise). Never logged.
    pub password_file: Option<PathBuf>,
    /// 25 = DSN régime général production, 97 = editors' test service.
    pub service: String,
    /// Extra CA (PEM) to trust instead of the public roots (private test peers).
    pub ca_file: Option<PathBuf>,
    /// How often returns are polled for deposits still waiting for them.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// How often the declarant-wide listing (60-minute windows, persisted cursor) is read.
    #[serde(with = "humantime_serde")]
    pub declarant_poll_interval: Duration,
    /// How often BPIJ are listed.
    #[serde(with = "humantime_serde")]
    pub bpij_poll_interval: Duration,
    /// First retry delay after a transient failure; doubles up to `retry_max`, with jitter.
    #[serde(with = "humantime_serde")]
    pub retry_initial: Duration,
    #[serde(with = "humantime_serde")]
    pub retry_max: Duration,
    /// After this many failed attempts a deposit ends in `failed` (an operator retries it).
    pub max_attempts: u32,
    /// Deposits in flight at once.
    pub concurrency: usize,
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Version of the listing services called (`lister-depots`, `lister-retours-flux`,
    /// `lister-retours-declarant`): "2.0" (JSON, default) or "1.0" (XML).
    pub listing_version: String,
    /// Reconciliation of a deposit whose answer was lost: absence from `lister-depots` counts
    /// only once the deposit is this old (the listing may show a deposit late).
    #[serde(with = "humantime_serde")]
    pub reconcile_min_age: Duration,
    /// Consecutive empty looks at `lister-depots` before sending such a deposit again.
    pub reconcile_rechecks: u32,
    /// Delay between two looks.
    #[serde(with = "humantime_serde")]
    pub reconcile_recheck_interval: Duration,
    /// Largest difference between our clock and net-entreprises' (widens every time window).
    #[serde(with = "humantime_serde")]
    pub clock_tolerance: Duration,
    /// Several accounts, each for its establishments (`[[netent.accounts]]`, see
    /// [`netent`]); the top-level login, when set, is the default account.
    pub accounts: Vec<netent::Account>,
    /// Outbound proxy, `http://host:port` (CONNECT); absent: `HTTPS_PROXY` from the
    /// environment, if any.
    pub proxy: Option<String>,
    /// File (0600) holding the proxy's `user:password`.
    pub proxy_auth_file: Option<PathBuf>,
    /// Hosts reached without the proxy (comma-separated; `.domain` and CIDR ranges accepted).
    pub no_proxy: Option<String>,
}

impl Default for NetEnt {
    fn default() -> Self {
        NetEnt {
            mode: NetEntMode::Unset,
            base_url: None,
            auth_url: None,
            deposit_url: None,
            consult_url: None,
            download_url: None,
            bpij_url: None,
            pj_url: None,
            siret: None,
            nom: "IJGATE".into(),
            prenom: "Service".into(),
            password_file: None,
            service: "97".into(),
            ca_file: None,
            poll_interval: Duration::from_secs(30),
            declarant_poll_interval: Duration::from_secs(300),
            bpij_poll_interval: Duration::from_secs(3600),
            retry_initial: Duration::from_secs(5),
            retry_max: Duration::from_secs(3600),
            max_attempts: 30,
            concurrency: 8,
            request_timeout: Duration::from_secs(120),
            listing_version: "2.0".into(),
            reconcile_min_age: Duration::from_secs(300),
            reconcile_rechecks: 2,
            reconcile_recheck_interval: Duration::from_secs(60),
            clock_tolerance: Duration::from_secs(180),
            accounts: Vec::new(),
            proxy: None,
            proxy_auth_file: None,
            no_proxy: None,
        }
    }
}

/// The insurer's DSN door: lots dropped in spool/inbound/dsn/ are checked against the fiches
/// de paramétrage and answered with CRM-OC files and contribution calls.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DsnDoor {
    pub enabled: bool,
    /// Fiches de paramétrage DSN OC (XML) describing the insurer's contracts.
    pub fiches: Vec<PathBuf>,
    /// A lot is taken once its size has been stable this long (lots arrive by copy).
    #[serde(with = "humantime_serde")]
    pub settle_time: Duration,
    /// Company contacts who receive the contribution calls (HTML and CSV attached) through
    /// `[smtp]`; empty: the calls stay in spool/outbound/insurer/calls/ only.
    pub calls_to: Vec<String>,
    /// Day of the month M+1 by which the DSN of month M is due (5 or 15 in practice, 1 to 28):
    /// the daily MDSN01 check reports the fiches' establishments with no DSN once it passed.
    pub due_day: u32,
}

impl Default for DsnDoor {
    fn default() -> Self {
        DsnDoor {
            enabled: true,
            fiches: Vec::new(),
            settle_time: Duration::from_secs(2),
            calls_to: Vec::new(),
            due_day: 5,
        }
    }
}

/// The sandbox peer (`ijgate-sandbox`, started as a child process).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SandboxPeer {
    /// The `ijgate-sandbox` executable; default: the one beside the `ijgate` binary.
    pub command: Option<PathBuf>,
    /// Where it listens (port 0: any free port).
    pub listen: SocketAddr,
    /// Scenario TOML (delays, outcomes, faults, BPIJ); absent: every signalement accepted,
    /// CNAM business report after 10 s.
    pub scenario: Option<PathBuf>,
}

impl SandboxPeer {
    /// The `ijgate-sandbox` executable: `command` when set, else the one beside the running
    /// binary (`cargo build` puts both in `target/<profile>/`; the Debian package ships none).
    pub fn program(&self) -> std::io::Result<PathBuf> {
        match &self.command {
            Some(p) => Ok(p.clone()),
            None => Ok(std::env::current_exe()?.with_file_name("ijgate-sandbox")),
        }
    }
}

impl Default for SandboxPeer {
    fn default() -> Self {
        SandboxPeer {
            command: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            scenario: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HrClient {
    /// The identity in the client certificate: a DNS subject-alternative name or the CN.
    pub name: String,
    /// SIRETs this client may declare for.
    pub sirets: Vec<String>,
    /// Spool files whose name starts with this prefix are read with this client's options and
    /// limited to its SIRETs.
    #[serde(default)]
    pub spool_prefix: Option<String>,
    /// CSV encoding of this client's exports.
    #[serde(default)]
    pub encoding: CsvEncoding,
    /// Column title in the client's CSV → canonical field name.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

/// A configuration error, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {} problem(s):\n  - {}", .problems.len(), .problems.join("\n  - "))]
    Invalid {
        path: PathBuf,
        problems: Vec<String>,
    },
}

impl Config {
    /// Resolves which file to read: `--config`, else $IJGATE_CONFIG, else /etc/ijgate/ijgate.toml.
    pub fn locate(cli: Option<&Path>) -> PathBuf {
        if let Some(p) = cli {
            return p.to_path_buf();
        }
        match std::env::var_os("IJGATE_CONFIG") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => PathBuf::from(DEFAULT_PATH),
        }
    }

    /// Reads, parses and resolves paths; does not validate.
    pub fn parse_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        // Absolute, so that paths compare equal to what the file watcher reports.
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = std::path::absolute(&base).unwrap_or(base);
        let mut cfg: Config = match toml::from_str(&text) {
            Ok(c) => c,
            Err(first) => {
                // Every TOML-level problem at once, then what validation finds in the rest.
                let (mut problems, rest) = toml_problems(&text, first);
                if let Some(mut rest) = rest {
                    rest.source = path.to_path_buf();
                    rest.resolve_paths(&base);
                    problems.extend(rest.validate());
                }
                return Err(ConfigError::Invalid {
                    path: path.into(),
                    problems,
                });
            }
        };
        cfg.source = path.to_path_buf();
        cfg.resolve_paths(&base);
        Ok(cfg)
    }

    /// Advice that does not stop the daemon (`check-config` prints it, exit 0): configured
    /// folders outside the systemd unit's writable paths (`ProtectSystem=strict`).
    fn unit_warnings(&self) -> Vec<String> {
        let Some(unit) = UnitSandbox::read_installed() else {
            return Vec::new();
        };
        unit.outside(&self.writable_folders())
    }

    /// Folders the daemon writes to, by setting name.
    pub fn writable_folders(&self) -> Vec<(String, PathBuf)> {
        let mut v = vec![
            (
                "daemon.state_dir".to_string(),
                self.daemon.state_dir.clone(),
            ),
            ("spool.dir".to_string(), self.spool.dir.clone()),
        ];
        let mut extra: Vec<(String, PathBuf)> =
            crate::config::insurers::outbound_overrides(&self.insurers)
                .into_iter()
                .map(|(dest, dir)| (format!("insurers ({dest}) outbound"), dir))
                .collect();
        extra.sort();
        v.extend(extra);
        v
    }

    /// Reads and validates; the error lists every problem.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let cfg = Self::parse_file(path)?;
        let problems = cfg.validate();
        if problems.is_empty() {
            Ok(cfg)
        } else {
            Err(ConfigError::Invalid {
                path: path.into(),
                problems,
            })
        }
    }

    fn resolve_paths(&mut self, base: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        fix(&mut self.daemon.state_dir);
        fix(&mut self.spool.dir);
        fix(&mut self.api.cert_file);
        fix(&mut self.api.key_file);
        fix(&mut self.api.client_ca_file);
        for p in [
            &mut self.netent.password_file,
            &mut self.netent.ca_file,
            &mut self.sandbox.scenario,
            &mut self.sandbox.command,
        ]
        .into_iter()
        .flatten()
        {
            fix(p);
        }
        netent::resolve_paths(&mut self.netent, base);
        self.admin.resolve_paths(base);
        self.console.resolve_paths(base);
        for f in &mut self.dsn.fiches {
            fix(f);
        }
        insurers::resolve_paths(&mut self.insurers, base);
        self.smtp.resolve_paths(base);
        self.journal.resolve_paths(base);
    }

    /// Every problem in the configuration, as sentences naming the setting.
    pub fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !matches!(self.daemon.log_format.as_str(), "human" | "json") {
            p.push(format!(
                "daemon.log_format: {:?} must be \"human\" or \"json\"",
                self.daemon.log_format
            ));
        }
        if self.spool.rescan_interval < Duration::from_millis(100) {
            p.push("spool.rescan_interval: must be at least 100ms".into());
        }
        if self.spool.batch_rows == 0 {
            p.push("spool.batch_rows: must be at least 1".into());
        }
        if self.employers.is_empty() {
            p.push("employers: at least one employer must be configured".into());
        }
        let mut seen = HashSet::new();
        for (i, e) in self.employers.iter().enumerate() {
            if let Err(err) = Siret::parse(&e.siret) {
                p.push(format!("employers[{i}].siret: {:?} {err}", e.siret));
            }
            if !seen.insert(e.siret.clone()) {
                p.push(format!(
                    "employers[{i}].siret: {} is configured twice",
                    e.siret
                ));
            }
            if e.name.trim().is_empty() {
                p.push(format!("employers[{i}].name: must not be empty"));
            }
        }
        let mut names = HashSet::new();
        let mut prefixes = HashSet::new();
        for (i, c) in self.hr_clients.iter().enumerate() {
            if c.name.trim().is_empty() {
                p.push(format!("hr_clients[{i}].name: must not be empty"));
            }
            if !names.insert(c.name.clone()) {
                p.push(format!(
                    "hr_clients[{i}].name: {:?} is configured twice",
                    c.name
                ));
            }
            if c.sirets.is_empty() {
                p.push(format!(
                    "hr_clients[{i}].sirets: must list at least one SIRET"
                ));
            }
            for s in &c.sirets {
                if !seen.contains(s) {
                    p.push(format!(
                        "hr_clients[{i}].sirets: {s} is not one of the configured employers"
                    ));
                }
            }
            if let Some(prefix) = &c.spool_prefix {
                if prefix.is_empty() || prefix.contains('/') {
                    p.push(format!(
                        "hr_clients[{i}].spool_prefix: must be a non-empty file-name prefix"
                    ));
                }
                if !prefixes.insert(prefix.clone()) {
                    p.push(format!(
                        "hr_clients[{i}].spool_prefix: {prefix:?} is used twice"
                    ));
                }
            }
            for (title, field) in &c.columns {
                if !is_field(field) {
                    p.push(format!(
                        "hr_clients[{i}].columns.{title:?}: {field:?} is not a canonical field"
                    ));
                }
            }
        }
        if let Some(s) = &self.declarant.siret
            && let Err(e) = Siret::parse(s)
        {
            p.push(format!("declarant.siret: {s:?} {e}"));
        }
        if !matches!(self.declarant.contact_civility.as_str(), "01" | "02") {
            p.push("declarant.contact_civility: must be \"01\" (M.) or \"02\" (Mme)".into());
        }
        if self.netent.mode == NetEntMode::Remote {
            let urls = [
                &self.netent.auth_url,
                &self.netent.deposit_url,
                &self.netent.consult_url,
                &self.netent.download_url,
                &self.netent.bpij_url,
            ];
            if self.netent.base_url.is_none() && urls.iter().any(|u| u.is_none()) {
                p.push("netent: mode = \"remote\" needs base_url, or auth_url, deposit_url, consult_url, download_url and bpij_url".into());
            }
            // With [[netent.accounts]], the top-level login is optional (the default account).
            let single = self.netent.accounts.is_empty();
            match &self.netent.siret {
                Some(s) if Siret::parse(s).is_err() => {
                    p.push(format!("netent.siret: {s:?} is not a valid SIRET"))
                }
                None if single => p.push("netent.siret: required when mode = \"remote\"".into()),
                _ => {}
            }
            match &self.netent.password_file {
                None if !single && self.netent.siret.is_none() => {}
                None => p.push("netent.password_file: required when mode = \"remote\"".into()),
                Some(f) => {
                    if let Err(e) = crate::fsio::read_secret(f) {
                        p.push(format!("netent.password_file: {e}"));
                    }
                }
            }
            // A remote peer gets real files: every rubric the signalement table
            // (neodes::required) takes from the configuration must be there, all listed.
            for (i, e) in self.employers.iter().enumerate() {
                for g in crate::formats::signalement::config_gaps(
                    &self.declarant.emitter(),
                    &e.establishment(),
                    &format!("employers[{i}]"),
                ) {
                    if !p.contains(&g) {
                        p.push(g);
                    }
                }
            }
            // Without employers, the declarant's own gaps are still listed now.
            if self.employers.is_empty() {
                let none = Employer::default();
                p.extend(
                    crate::formats::signalement::config_gaps(
                        &self.declarant.emitter(),
                        &none.establishment(),
                        "employers",
                    )
                    .into_iter()
                    // Without declarant.siret the émetteur is each employer, with its
                    // SIRET and address: not a gap of the declarant.
                    .filter(|g| {
                        g.starts_with("declarant.")
                            && !(self.declarant.siret.is_none()
                                && ["siret:", "address:", "postal_code:", "city:"]
                                    .iter()
                                    .any(|k| g.starts_with(&format!("declarant.{k}"))))
                    }),
                );
            }
            if !matches!(
                self.netent.service.as_str(),
                "25" | "26" | "94" | "97" | "98"
            ) {
                p.push(format!(
                    "netent.service: {:?} is not a DSN service code (25, 26, 94, 97, 98)",
                    self.netent.service
                ));
            }
        }
        if self.netent.mode == NetEntMode::Unset {
            p.push(
                "netent.mode: required: \"remote\" (the real API DSN), \"sandbox\" (the local \
                 ijgate-sandbox peer, development only) or \"disabled\""
                    .into(),
            );
        }
        if self.netent.mode == NetEntMode::Sandbox {
            match self.sandbox.program() {
                Ok(prog) if prog.is_file() => {}
                Ok(prog) => p.push(format!(
                    "netent.mode = \"sandbox\": the sandbox peer {} is missing: it is a development \
                     tool, built by `cargo build` beside ijgate and not shipped in the package (set \
                     sandbox.command, or use mode = \"remote\")",
                    prog.display()
                )),
                Err(e) => p.push(format!("netent.mode = \"sandbox\": {e}")),
            }
        }
        if self.netent.mode == NetEntMode::Sandbox
            && let Some(f) = &self.sandbox.scenario
            && let Err(e) = std::fs::metadata(f)
        {
            // The scenario's content is checked by the sandbox binary itself at start.
            p.push(format!("sandbox.scenario: {}: {e}", f.display()));
        }
        for (i, f) in self.dsn.fiches.iter().enumerate() {
            if !f.exists() {
                p.push(format!("dsn.fiches[{i}]: {} does not exist", f.display()));
            }
        }
        p.extend(netent::validate(&self.netent, &self.employers));
        if self.netent.concurrency == 0 {
            p.push("netent.concurrency: must be at least 1".into());
        }
        if !["1.0", "2.0"].contains(&self.netent.listing_version.as_str()) {
            p.push(format!(
                "netent.listing_version: \"1.0\" (XML) or \"2.0\" (JSON), got {:?}",
                self.netent.listing_version
            ));
        }
        if self.api.enabled && !self.api.dev_certs {
            for (name, f) in [
                ("api.cert_file", &self.api.cert_file),
                ("api.key_file", &self.api.key_file),
                ("api.client_ca_file", &self.api.client_ca_file),
            ] {
                if !f.exists() {
                    p.push(format!("{name}: {} does not exist", f.display()));
                }
            }
        }
        if self.api.enabled
            && !self.api.dev_certs
            && self.api.key_file.exists()
            && let Err(e) = crate::fsio::check_secret_mode(&self.api.key_file)
        {
            p.push(format!("api.key_file: {e}"));
        }
        p.extend(self.placeholders());
        for (name, dir) in self.writable_folders() {
            if let Err(e) = crate::fsio::check_writable(&dir) {
                p.push(format!("{name}: {e}"));
            }
        }
        // Off loopback, the console's client-certificate TLS replaces the bearer token.
        p.extend(
            self.admin
                .validate()
                .into_iter()
                .filter(|m| !(self.console.tls && m.starts_with("admin.listen"))),
        );
        p.extend(self.console.validate(&self.admin, &self.api));
        p.extend(self.retention.validate());
        p.extend(insurers::validate(&self.insurers, &seen));
        p.extend(self.smtp.validate());
        p.extend(self.journal.validate());
        p.extend(self.alerts.validate());
        for (i, e) in self.employers.iter().enumerate() {
            for a in &e.alert_emails {
                if a.parse::<lettre::message::Mailbox>().is_err() {
                    p.push(format!(
                        "employers[{i}].alert_emails: {a:?} is not a mail address"
                    ));
                }
            }
        }
        p
    }

    /// What is valid but probably not intended, as sentences naming the setting
    /// (`check-config` prints them; they do not stop the daemon).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.netent.mode == NetEntMode::Remote && self.declarant.test_files {
            w.push("declarant.test_files: true with netent.mode = \"remote\": files are sent as essai (S10.G00.00.005 = 01), net-entreprises checks them and CPAM ignores them; nothing is declared".into());
        }
        // The sandbox checks the same required rubrics: say now what its BAN would say.
        if self.netent.mode == NetEntMode::Sandbox {
            for (i, e) in self.employers.iter().enumerate() {
                for g in crate::formats::signalement::config_gaps(
                    &self.declarant.emitter(),
                    &e.establishment(),
                    &format!("employers[{i}]"),
                ) {
                    let g = format!("{g} (signalements will not be built)");
                    if !w.contains(&g) {
                        w.push(g);
                    }
                }
            }
        }
        w.extend(self.unit_warnings());
        w
    }

    /// Values left as the packaged example has them: they would be sent to net-entreprises
    /// or printed in documents as is.
    fn placeholders(&self) -> Vec<String> {
        let mut p = Vec::new();
        let zeros = |s: &str| !s.is_empty() && s.chars().all(|c| c == '0');
        let placeholder = |s: &str| {
            matches!(
                s.trim().to_lowercase().as_str(),
                "nom" | "prenom" | "prénom" | "name" | "changeme" | "todo" | "xxx"
            )
        };
        // With [[netent.accounts]] and no top-level siret, the top-level login is unused.
        let top_login = self.netent.accounts.is_empty() || self.netent.siret.is_some();
        if self.netent.mode == NetEntMode::Remote && top_login {
            if placeholder(&self.netent.nom) {
                p.push(format!(
                    "netent.nom: {:?} is the example's placeholder: the declarant account's last name",
                    self.netent.nom
                ));
            }
            if placeholder(&self.netent.prenom) {
                p.push(format!(
                    "netent.prenom: {:?} is the example's placeholder: the declarant account's first name",
                    self.netent.prenom
                ));
            }
        }
        for (name, v) in [
            ("netent.siret", self.netent.siret.as_deref()),
            ("declarant.siret", self.declarant.siret.as_deref()),
        ] {
            if let Some(v) = v
                && zeros(v)
            {
                p.push(format!("{name}: {v:?} is a placeholder, not a SIRET"));
            }
        }
        for (i, e) in self.employers.iter().enumerate() {
            if zeros(&e.siret) {
                p.push(format!(
                    "employers[{i}].siret: {:?} is a placeholder, not a SIRET",
                    e.siret
                ));
            }
        }
        p
    }

    /// Every configured employer SIRET.
    pub fn employer_sirets(&self) -> HashSet<String> {
        self.employers.iter().map(|e| e.siret.clone()).collect()
    }

    /// The client whose certificate identity is `identity`.
    pub fn client_by_name(&self, identity: &str) -> Option<&HrClient> {
        self.hr_clients.iter().find(|c| c.name == identity)
    }

    /// The client whose spool prefix matches a file name.
    pub fn client_for_file(&self, file_name: &str) -> Option<&HrClient> {
        self.hr_clients
            .iter()
            .filter(|c| {
                c.spool_prefix
                    .as_deref()
                    .is_some_and(|p| file_name.starts_with(p))
            })
            .max_by_key(|c| c.spool_prefix.as_ref().map_or(0, String::len))
    }

    /// The employer configured for a SIRET.
    pub fn employer(&self, siret: &str) -> Option<&Employer> {
        self.employers.iter().find(|e| e.siret == siret)
    }

    /// The SQLite journal file: `journal.url = "sqlite:PATH"`, else `state_dir/ijgate.db`.
    pub fn db_path(&self) -> PathBuf {
        match self.journal.backend(&self.daemon.state_dir) {
            Ok(journal::Backend::Sqlite(p)) => p,
            _ => self.daemon.state_dir.join("ijgate.db"),
        }
    }
}

impl HrClient {
    /// CSV options for this client, with column titles normalised like the reader does.
    pub fn csv_options(&self) -> crate::formats::hr_csv::CsvOptions {
        crate::formats::hr_csv::CsvOptions {
            encoding: self.encoding,
            columns: self
                .columns
                .iter()
                .map(|(k, v)| (normalise_word(k), v.clone()))
                .collect(),
        }
    }
}

/// Every TOML-level problem of `text` (syntax, unknown keys, wrong types), each with its line,
/// instead of the first one only: the offending lines are commented out and the parse is
/// retried (line numbers stay as in the file). A table header's whole table goes with it.
/// Returns the problems and, when the rest parses, the configuration without those lines
/// (so that validation can report on it too).
fn toml_problems(text: &str, first: toml::de::Error) -> (Vec<String>, Option<Config>) {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut problems = Vec::new();
    let mut err = first;
    let mut dropped = HashSet::new();
    for _ in 0..200 {
        let current = lines.join("\n");
        let message = err.message().trim().replace('\n', " ");
        let Some(span) = err.span() else {
            problems.push(message);
            return (problems, None);
        };
        let at = |off: usize| current[..off.min(current.len())].matches('\n').count();
        let (first_line, last_line) = (
            at(span.start),
            at(span.end.saturating_sub(1).max(span.start)),
        );
        let first_line = first_line.min(lines.len().saturating_sub(1));
        if lines.is_empty() || !dropped.insert(first_line) {
            problems.push(format!("line {}: {message}", first_line + 1));
            return (problems, None);
        }
        let shown = lines[first_line].trim();
        problems.push(format!("line {} ({shown}): {message}", first_line + 1));
        let mut last = last_line.min(lines.len() - 1).max(first_line);
        if shown.starts_with('[') {
            // The table goes whole: its keys would otherwise land in the previous table.
            last = (first_line + 1..lines.len())
                .find(|&i| lines[i].trim_start().starts_with('['))
                .map_or(lines.len() - 1, |i| i - 1);
        }
        for l in &mut lines[first_line..=last] {
            *l = format!("# {l}");
        }
        match toml::from_str::<Config>(&lines.join("\n")) {
            Ok(c) => return (by_line(problems), Some(c)),
            Err(e) => err = e,
        }
    }
    (by_line(problems), None)
}

/// TOML problems in file order (the parser reports outer tables first).
fn by_line(mut problems: Vec<String>) -> Vec<String> {
    let line = |p: &String| -> usize {
        p.strip_prefix("line ")
            .and_then(|r| r.split([' ', ':']).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(usize::MAX)
    };
    problems.sort_by_key(line);
    problems
}

/// What the installed systemd unit lets the service write (`ProtectSystem=strict` makes the
/// rest of the file system read-only): `ReadWritePaths=` of the unit and of its drop-ins
/// (`systemctl edit ijgate`), plus the `StateDirectory=`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitSandbox {
    pub strict: bool,
    pub writable: Vec<PathBuf>,
}

impl UnitSandbox {
    /// The installed unit, if any (a development machine has none: no warning).
    pub fn read_installed() -> Option<UnitSandbox> {
        let unit = [
            "/etc/systemd/system",
            "/usr/lib/systemd/system",
            "/lib/systemd/system",
        ]
        .iter()
        .map(|d| Path::new(d).join("ijgate.service"))
        .find(|p| p.is_file())?;
        let mut texts = vec![std::fs::read_to_string(&unit).ok()?];
        for dir in [
            "/usr/lib/systemd/system",
            "/etc/systemd/system",
            "/run/systemd/system",
        ] {
            let Ok(rd) = std::fs::read_dir(Path::new(dir).join("ijgate.service.d")) else {
                continue;
            };
            let mut confs: Vec<PathBuf> = rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "conf"))
                .collect();
            confs.sort();
            texts.extend(confs.iter().filter_map(|p| std::fs::read_to_string(p).ok()));
        }
        Some(Self::parse(
            &texts.iter().map(String::as_str).collect::<Vec<_>>(),
        ))
    }

    /// The unit then its drop-ins, in order (an empty `ReadWritePaths=` resets the list).
    pub fn parse(texts: &[&str]) -> UnitSandbox {
        let mut u = UnitSandbox::default();
        for t in texts {
            for line in t.lines().map(str::trim) {
                let Some((k, v)) = line.split_once('=') else {
                    continue;
                };
                match k.trim() {
                    "ProtectSystem" => u.strict = v.trim() == "strict",
                    "ReadWritePaths" if v.trim().is_empty() => u.writable.clear(),
                    "ReadWritePaths" => u.writable.extend(
                        v.split_whitespace()
                            .map(|p| PathBuf::from(p.trim_start_matches(['-', '+']))),
                    ),
                    "StateDirectory" => u
                        .writable
                        .extend(v.split_whitespace().map(|d| Path::new("/var/lib").join(d))),
                    _ => {}
                }
            }
        }
        u
    }

    /// A sentence per folder the daemon must write that the unit keeps read-only.
    pub fn outside(&self, folders: &[(String, PathBuf)]) -> Vec<String> {
        if !self.strict {
            return Vec::new();
        }
        folders
            .iter()
            .filter(|(_, dir)| !self.writable.iter().any(|w| dir.starts_with(w)))
            .map(|(name, dir)| {
                format!(
                    "{name}: {} is read-only for the service (ProtectSystem=strict); allow it \
                     with `systemctl edit ijgate`: [Service] ReadWritePaths={}",
                    dir.display(),
                    dir.display()
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Config, String> {
        let mut c: Config = toml::from_str(s).map_err(|e| e.to_string())?;
        c.resolve_paths(Path::new("/etc/ijgate"));
        Ok(c)
    }

    #[test]
    fn minimal_and_paths_resolved() {
        let c = parse(
            r#"
            [daemon]
            state_dir = "../var"
            [[employers]]
            siret = "73282932000074"
            name = "ACME"
            "#,
        )
        .unwrap();
        assert_eq!(c.daemon.state_dir, PathBuf::from("/etc/ijgate/../var"));
        assert_eq!(c.spool.rescan_interval, Duration::from_secs(5));
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = parse("[daemon]\nstate_dirr = \"x\"\n").unwrap_err();
        assert!(e.contains("state_dirr"), "{e}");
    }

    #[test]
    fn validate_lists_every_problem() {
        let c = parse(
            r#"
            [daemon]
            log_format = "xml"
            [api]
            enabled = false
            [[employers]]
            siret = "73282932000075"
            name = ""
            [[hr_clients]]
            name = "rh"
            sirets = ["11111111111111"]
            columns = { "Matricule" = "matricule" }
            "#,
        )
        .unwrap();
        let p = c.validate();
        assert_eq!(p.len(), 6, "{p:#?}");
        assert!(p.iter().any(|m| m.starts_with("netent.mode: required")));
        assert!(p.iter().any(|m| m.starts_with("daemon.log_format")));
        assert!(p.iter().any(|m| m.starts_with("employers[0].siret")));
        assert!(p.iter().any(|m| m.starts_with("employers[0].name")));
        assert!(p.iter().any(|m| m.starts_with("hr_clients[0].sirets")));
        assert!(p.iter().any(|m| m.starts_with("hr_clients[0].columns")));
    }

    /// Remote mode refuses a declarant/employer configuration that cannot fill the
    /// signalement table (neodes::required), listing every missing key at once; essai files
    /// in remote mode are a warning.
    #[test]
    fn remote_mode_needs_a_complete_identity() {
        let c = parse(
            r#"
            [[employers]]
            siret = "73282932000074"
            name = "ACME"
            ape = "2511Z"
            [declarant]
            name = "ACME"
            test_files = true
            [netent]
            mode = "remote"
            base_url = "https://x.invalid/"
            "#,
        )
        .unwrap();
        let p = c.validate();
        for key in [
            "declarant.address",
            "declarant.contact_phone",
            "declarant.contact_email",
            "employers[0].contact_name",
            "employers[0].contact_phone",
            "employers[0].head_office_nic",
            "employers[0].head_office_address",
            "employers[0].apet",
            "employers[0].address",
            "employers[0].postal_code",
            "employers[0].city",
        ] {
            assert!(
                p.iter()
                    .any(|m| m.starts_with(&format!("{key}: required for S"))),
                "{key} not listed in {p:#?}"
            );
        }
        assert!(!p.iter().any(|m| m.starts_with("employers[0].ape:")));
        assert_eq!(c.warnings().len(), 1);
        assert!(c.warnings()[0].starts_with("declarant.test_files"));
        // The same configuration in sandbox mode is not refused, only warned about.
        let mut sandbox = c.clone();
        sandbox.netent.mode = NetEntMode::Sandbox;
        assert!(
            !sandbox
                .validate()
                .iter()
                .any(|m| m.contains("required for S"))
        );
        assert!(sandbox.warnings().iter().any(|w| w
            .starts_with("employers[0].head_office_nic: required for S21.G00.06.002")));
    }

    #[test]
    fn listing_version_defaults_to_2_0_and_is_checked() {
        let base = "[[employers]]\nsiret = \"73282932000074\"\nname = \"ACME\"\n";
        let c = parse(base).unwrap();
        assert_eq!(c.netent.listing_version, "2.0");
        assert!(
            !c.validate()
                .iter()
                .any(|m| m.starts_with("netent.listing_version"))
        );
        let c = parse(&format!("{base}[netent]\nlisting_version = \"3.0\"\n")).unwrap();
        assert!(
            c.validate()
                .iter()
                .any(|m| m.starts_with("netent.listing_version")),
            "{:?}",
            c.validate()
        );
    }

    #[test]
    fn client_for_file_prefers_longest_prefix() {
        let c = parse(
            r#"
            [[employers]]
            siret = "73282932000074"
            name = "ACME"
            [[hr_clients]]
            name = "a"
            sirets = ["73282932000074"]
            spool_prefix = "paie"
            [[hr_clients]]
            name = "b"
            sirets = ["73282932000074"]
            spool_prefix = "paie_rh"
            "#,
        )
        .unwrap();
        assert_eq!(c.client_for_file("paie_rh_1.csv").unwrap().name, "b");
        assert_eq!(c.client_for_file("paie1.csv").unwrap().name, "a");
        assert!(c.client_for_file("x.csv").is_none());
    }

    /// Issue 16: TOML-level errors came one at a time. Every unknown key and wrong type is
    /// listed with its line, in file order, with what validation finds in the rest.
    #[test]
    fn every_toml_problem_with_its_line() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("c.toml");
        std::fs::write(
            &f,
            "[netent]\nmode = \"disabled\"\ncolour = \"blue\"\n[daemon]\nlog_formt = \"json\"\n\
             [spool]\nrescan_interval = 5\n[apii]\nlisten = \"x\"\n[[employers]]\nsiret = \"12345678200010\"\nname = \"\"\n",
        )
        .unwrap();
        let Err(ConfigError::Invalid { problems, .. }) = Config::parse_file(&f) else {
            panic!("accepted");
        };
        let lines: Vec<&str> = problems
            .iter()
            .filter_map(|p| p.strip_prefix("line "))
            .map(|p| p.split(' ').next().unwrap())
            .collect();
        assert_eq!(lines, ["3", "5", "7", "8"], "{problems:#?}");
        assert!(
            problems[0].contains("unknown field `colour`"),
            "{problems:#?}"
        );
        assert!(problems[2].contains("invalid type"), "{problems:#?}");
        assert!(problems[3].contains("`apii`"), "{problems:#?}");
        // Validation of what remains: the empty employer name.
        assert!(
            problems.iter().any(|p| p.starts_with("employers[0].name")),
            "{problems:#?}"
        );
        // A syntax error stops there, with its line.
        std::fs::write(&f, "[daemon]\nstate_dir = \n").unwrap();
        let Err(ConfigError::Invalid { problems, .. }) = Config::parse_file(&f) else {
            panic!("accepted");
        };
        assert!(problems[0].starts_with("line 2"), "{problems:#?}");
    }

    #[test]
    fn the_packaged_placeholders_are_refused() {
        let c = parse(
            r#"
            [netent]
            mode = "remote"
            base_url = "https://x.example"
            siret = "00000000000000"
            nom = "NOM"
            prenom = "Prenom"
            [[employers]]
            siret = "73282932000074"
            name = "ACME"
            "#,
        )
        .unwrap();
        let p = c.validate();
        for key in ["netent.nom", "netent.prenom", "netent.siret: \"000"] {
            assert!(p.iter().any(|m| m.starts_with(key)), "{key}: {p:#?}");
        }
        // The packaged file itself.
        let packaged = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/ijgate.toml"),
        )
        .unwrap();
        let p = parse(&packaged).unwrap().validate();
        assert!(p.iter().any(|m| m.starts_with("netent.nom")), "{p:#?}");
    }

    #[test]
    fn an_unwritable_folder_is_a_problem() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        let c = parse(&format!(
            "[spool]\ndir = \"{}/spool\"\n[[employers]]\nsiret = \"73282932000074\"\nname = \"A\"\n",
            file.display()
        ))
        .unwrap();
        let p = c.validate();
        assert!(
            p.iter()
                .any(|m| m.starts_with("spool.dir") && m.contains("not a folder")),
            "{p:#?}"
        );
        // /proc refuses new files even to root.
        let c = parse("[spool]\ndir = \"/proc/ijgate\"\n").unwrap();
        assert!(
            c.validate()
                .iter()
                .any(|m| m.starts_with("spool.dir") && m.contains("not writable")),
            "{:#?}",
            c.validate()
        );
        assert!(crate::fsio::check_writable(d.path()).is_ok());
        assert!(
            std::fs::read_dir(d.path()).unwrap().count() == 1,
            "the probe is removed"
        );
    }

    #[test]
    fn folders_outside_the_units_writable_paths_are_warned_about() {
        let unit = "[Service]\nStateDirectory=ijgate\nReadWritePaths=/var/spool/ijgate /var/lib/ijgate\nProtectSystem=strict\n";
        let dropin = "[Service]\nReadWritePaths=-/srv/prevoyance\n";
        let u = UnitSandbox::parse(&[unit, dropin]);
        assert!(u.strict);
        let folders = vec![
            ("spool.dir".to_string(), PathBuf::from("/var/spool/ijgate")),
            (
                "insurers (insurer/A) outbound".to_string(),
                PathBuf::from("/srv/prevoyance/out"),
            ),
            (
                "insurers (insurer/B) outbound".to_string(),
                PathBuf::from("/mnt/smb/b"),
            ),
        ];
        let w = u.outside(&folders);
        assert_eq!(w.len(), 1, "{w:#?}");
        assert!(w[0].contains("/mnt/smb/b") && w[0].contains("systemctl edit ijgate"));
        assert!(UnitSandbox::parse(&[unit]).outside(&folders).len() == 2);
        // Not strict: nothing to say.
        assert!(
            UnitSandbox::parse(&["ReadWritePaths=/x\n"])
                .outside(&folders)
                .is_empty()
        );
    }
}
