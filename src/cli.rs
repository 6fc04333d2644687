//! Command-line interface (clap). Each command returns an exit code; `main` only sets up
//! logging and calls [`run`].

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::journal::{self, query};

/// EX_CONFIG from sysexits.h: the configuration is wrong (defined with the configuration).
pub use crate::config::EXIT_CONFIG;

#[derive(Debug, Parser)]
#[command(
    name = "ijgate",
    version,
    about = "On-premise EDI gateway for sick-leave declarations (DSN signalements, BPIJ, prévoyance)"
)]
pub struct Cli {
    /// Configuration file [default: $IJGATE_CONFIG, then /etc/ijgate/ijgate.toml]
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Log format: human or json [default: the config's daemon.log_format]
    #[arg(long, global = true, value_parser = ["human", "json"])]
    pub log_format: Option<String>,
    /// Log target: auto (journald when started by systemd, else stderr), stderr or journald
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t,
        env = "IJGATE_LOG_TARGET"
    )]
    pub log_target: crate::logging::Target,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon.
    Run,
    /// Check the configuration and list every problem (exit 78 if any).
    CheckConfig,
    /// Counts of declarations per state.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// One declaration and its whole history.
    Show {
        /// Declaration id.
        #[arg(required_unless_present = "hr_ref", conflicts_with = "hr_ref")]
        id: Option<i64>,
        /// Every declaration of this HR reference.
        #[arg(long)]
        hr_ref: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Stoppages of a period: motif, duration, franchise, delays to AEE/30/31, late returns, BPIJ.
    Report(crate::engine::report::ReportArgs),
    /// Certificates.
    #[command(subcommand)]
    Certs(CertsCommand),
    /// DSN files for insurers: check a lot (anomalies, CRM), produce contribution calls.
    #[command(subcommand)]
    Dsn(crate::dsn::cli::DsnCommand),
    /// Put a failed or rejected declaration back in the deposit queue (file rebuilt from the
    /// journal with the current configuration).
    Retry {
        /// Declaration id.
        id: i64,
    },
    /// Write notices again to their outbound folder (a consumer lost them): those of a
    /// declaration, of an HR reference, or queued since an instant. Same names and bytes as
    /// the first time; the running daemon writes them within seconds (audited).
    Replay {
        /// Declaration id.
        id: Option<i64>,
        /// Every declaration of this HR reference.
        #[arg(long)]
        hr_ref: Option<String>,
        /// Files queued since: an RFC 3339 instant (2026-11-25T09:00:00+01:00) or an age (2h, 3d).
        #[arg(long)]
        since: Option<String>,
        /// Which outbound folders.
        #[arg(long, value_enum, default_value_t)]
        to: crate::engine::replay::Recipients,
        #[arg(long)]
        json: bool,
    },
    /// Ask the running daemon to reload its configuration (SIGHUP) and print its verdict.
    Reload,
    /// Delete finished stoppages and spool files older than a duration (retention). On a
    /// terminal it only lists what would go unless --yes is given.
    Purge {
        /// e.g. 400d [default: the config's retention.keep; less needs --force]
        #[arg(long)]
        older_than: Option<humantime::Duration>,
        /// List and count only; delete nothing.
        #[arg(long)]
        dry_run: bool,
        /// Delete without the dry run a terminal gets by default.
        #[arg(long, conflicts_with = "dry_run")]
        yes: bool,
        /// Allow --older-than below retention.keep.
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
    /// Prévoyance complement: compute a case, claim bordereau, quarterly history.
    #[command(subcommand)]
    Prevoyance(crate::prevoyance::cli::PrevoyanceCommand),
    /// E-mail alerts: send a test mail, list the alerts.
    #[command(subcommand)]
    Alert(crate::alerts::cli::AlertCommand),
    /// Manual tasks (DSIJ fallback attestations): list, close.
    #[command(subcommand)]
    Task(crate::tasks::cli::TaskCommand),
    /// The journal database: copy it between SQLite and PostgreSQL (high availability).
    #[command(subcommand)]
    Journal(crate::journal::pg::cli::JournalCommand),
    /// Packaging: write the man pages or the shell completions into DIR (called by
    /// packaging/build-deb.sh; generated from this very command-line definition).
    #[command(hide = true)]
    Generate {
        #[arg(value_enum)]
        what: Generated,
        dir: PathBuf,
    },
}

/// What `ijgate generate` writes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Generated {
    /// ijgate.1 and one page per subcommand (ijgate-status.1, ...), roff.
    Man,
    /// bash (ijgate.bash), zsh (_ijgate) and fish (ijgate.fish).
    Completions,
}

/// `ijgate generate`: the files the Debian package ships under /usr/share/man and the
/// shell-completion folders. Returns the files written.
pub fn generate(what: Generated, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    use clap::CommandFactory;
    std::fs::create_dir_all(dir)?;
    let cmd = Cli::command();
    let mut written = Vec::new();
    match what {
        Generated::Man => {
            clap_mangen::generate_to(cmd, dir)?;
            for e in std::fs::read_dir(dir)? {
                written.push(e?.path());
            }
            written.sort();
        }
        Generated::Completions => {
            use clap_complete::Shell;
            for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
                let mut c = cmd.clone();
                written.push(clap_complete::generate_to(shell, &mut c, "ijgate", dir)?);
            }
        }
    }
    Ok(written)
}

#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Development PKI: a CA, a server certificate for localhost/127.0.0.1 and one client
    /// certificate per configured HR client (existing files are kept), each also as a PKCS#12
    /// bundle `client-<name>.p12` (certificate, key and CA) for Windows/.NET tools and browsers.
    Dev {
        #[arg(long)]
        out: PathBuf,
        /// File (mode 0600) holding the PKCS#12 password; without it a password is generated
        /// per bundle and written beside it as `client-<name>.p12.pass` (0600).
        #[arg(long)]
        p12_password_file: Option<PathBuf>,
    },
}

/// Commands that keep SIGPIPE ignored (see `main`): the daemon and those that talk to peers.
pub fn keeps_sigpipe_ignored(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::Run
            | Command::Reload
            | Command::Alert(crate::alerts::cli::AlertCommand::Test { .. })
    )
}

/// The configuration for a command that only reads the journal (`status`, `show`): parsed but
/// not validated, so that a missing certificate or an unreachable SMTP password — exactly when
/// one needs to look — does not hide the journal. Problems are announced in one line.
pub fn load_for_reading(path: &Path) -> Result<Config, i32> {
    match Config::parse_file(path) {
        Ok(cfg) => {
            let problems = cfg.validate();
            if !problems.is_empty() {
                eprintln!(
                    "ijgate: warning: {}: {} configuration problem(s) (ijgate check-config lists them)",
                    path.display(),
                    problems.len()
                );
            }
            Ok(cfg)
        }
        Err(e) => {
            eprintln!("ijgate: {e}");
            Err(EXIT_CONFIG)
        }
    }
}

fn load(path: &Path) -> Result<Config, i32> {
    Config::load(path).map_err(|e| {
        eprintln!("ijgate: {e}");
        EXIT_CONFIG
    })
}

/// Runs a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let path = Config::locate(cli.config.as_deref());
    match cli.command {
        Command::Run => {
            if let Ok(cfg) = Config::parse_file(&path)
                && let Some(why) = crate::journal::pg::cli::refuses_run(&cfg)
            {
                crate::logging::fatal(&why);
                return EXIT_CONFIG;
            }
            let Some(rt) = runtime() else { return 1 };
            match rt.block_on(crate::engine::daemon::run(&path)) {
                Ok(()) => 0,
                // One message per fatal error (the logs, or stderr when they are elsewhere).
                Err(crate::engine::daemon::DaemonError::Config(e)) => {
                    crate::logging::fatal(&e.to_string());
                    EXIT_CONFIG
                }
                Err(e) => {
                    crate::logging::fatal(&e.to_string());
                    1
                }
            }
        }
        Command::Reload => crate::engine::reload::cli(&path),
        Command::Replay {
            id,
            hr_ref,
            since,
            to,
            json,
        } => replay(&path, id, hr_ref, since, to, json),
        Command::Retry { id } => {
            let cfg = match load(&path) {
                Ok(c) => c,
                Err(code) => return code,
            };
            let db = cfg.db_path();
            if let Err(code) = crate::journal::require_existing(&db) {
                return code;
            }
            // A second writer beside the daemon is fine: SQLite serialises writers (WAL with a
            // busy timeout), and the deposit worker picks the deposit up at its next look.
            let r = rusqlite::Connection::open(&db)
                .map_err(journal::JournalError::from)
                .and_then(|mut c| {
                    c.busy_timeout(std::time::Duration::from_secs(10))?;
                    // IMMEDIATE: take the write lock first (waiting up to the busy timeout). A
                    // deferred transaction that reads and then writes gets "database is locked"
                    // at once when the daemon commits in between.
                    let tx =
                        c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    let dep = journal::store::retry_declaration(&tx, id, &journal::now())?;
                    tx.commit()?;
                    Ok(dep)
                });
            match r {
                Ok(dep) => {
                    println!("declaration {id}: deposit {dep} queued again");
                    0
                }
                Err(e) => {
                    eprintln!("ijgate: {e}");
                    1
                }
            }
        }
        Command::Purge {
            older_than,
            dry_run,
            yes,
            force,
            json,
        } => match load(&path) {
            Ok(cfg) => {
                use std::io::IsTerminal;
                let o = crate::engine::purge::Options {
                    older_than: older_than.map(Into::into),
                    dry_run,
                    yes,
                    force,
                    json,
                    interactive: std::io::stdin().is_terminal() && std::io::stdout().is_terminal(),
                };
                crate::engine::purge::run_cli(&cfg, o)
            }
            Err(code) => code,
        },
        Command::CheckConfig => match Config::load(&path) {
            Ok(cfg) => {
                for w in cfg.warnings() {
                    eprintln!("warning: {w}");
                }
                println!("{}: OK", path.display());
                0
            }
            Err(e) => {
                eprintln!("{e}");
                EXIT_CONFIG
            }
        },
        Command::Report(args) => match load(&path) {
            Ok(cfg) => crate::engine::report::run_cli(&cfg, &args),
            Err(code) => code,
        },
        Command::Status { json } => {
            let cfg = match load_for_reading(&path) {
                Ok(c) => c,
                Err(code) => return code,
            };
            if cfg
                .journal
                .url
                .as_deref()
                .is_some_and(crate::config::journal::is_postgres_url)
            {
                return crate::journal::pg::cli::status(&cfg, json);
            }
            with_reader(&cfg, |c| {
                let s = query::status(c)?;
                if json {
                    let mut v = serde_json::to_value(&s).unwrap_or_default();
                    v["prestij"] = crate::engine::prestij::status_json(c);
                    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
                } else {
                    println!("declarations: {}", s.declarations_total);
                    for (state, n) in &s.declarations_by_state {
                        println!("  {state:<24} {n}");
                    }
                    println!("rejected messages: {}", s.rejections);
                    if let Ok(x) = query::exchange_status(c, chrono::Utc::now().timestamp() as f64)
                    {
                        if !x.deposits_by_state.is_empty() {
                            println!("deposits to net-entreprises:");
                            for (state, n) in &x.deposits_by_state {
                                println!("  {state:<24} {n}");
                            }
                        }
                        for (nature, age) in &x.oldest_pending_return_seconds {
                            if *age > 0.0 {
                                println!(
                                    "oldest deposit waiting for return {nature}: {:.0} min",
                                    age / 60.0
                                );
                            }
                        }
                        println!(
                            "BPIJ kept: {} ({} not dispatched)",
                            x.bpij_stored, x.bpij_undispatched
                        );
                    }
                    let count =
                        |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap_or(0);
                    println!(
                        "open tasks (DSIJ attestations to send): {}",
                        count("SELECT COUNT(*) FROM tasks WHERE state = 'open'")
                    );
                    println!(
                        "open alerts: {}",
                        count(
                            "SELECT COUNT(*) FROM alerts WHERE resolved_at IS NULL AND state != 'dropped'"
                        )
                    );
                    if let Ok(mut stmt) =
                        c.prepare("SELECT id, hr_ref, created_at FROM tasks WHERE state = 'open' ORDER BY id LIMIT 20")
                    {
                        let rows = stmt
                            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)));
                        for (id, hr, at) in rows.into_iter().flatten().flatten() {
                            println!("  task {id}  {hr}  since {at}");
                        }
                    }
                    println!("inputs journaled: {}", s.inputs);
                    println!("notices waiting to be written: {}", s.outbox_pending);
                    crate::engine::prestij::print_status(c);
                }
                Ok(0)
            })
        }
        Command::Show { id, hr_ref, json } => {
            let cfg = match load_for_reading(&path) {
                Ok(c) => c,
                Err(code) => return code,
            };
            with_reader(&cfg, |c| {
                let ids = match (&hr_ref, id) {
                    (Some(r), _) => query::ids_by_hr_ref(c, r)?,
                    (None, Some(id)) => vec![id],
                    (None, None) => vec![],
                };
                let mut decls = Vec::new();
                for id in ids {
                    if let Some(d) = query::declaration(c, id)? {
                        decls.push(d);
                    }
                }
                if decls.is_empty() {
                    eprintln!("ijgate: no such declaration");
                    return Ok(1);
                }
                if json {
                    let v = if hr_ref.is_some() {
                        serde_json::to_value(&decls)
                    } else {
                        serde_json::to_value(&decls[0])
                    };
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&v.unwrap_or_default()).unwrap_or_default()
                    );
                } else {
                    for d in &decls {
                        print_declaration(d);
                    }
                    if let Some(d) = decls.first() {
                        crate::engine::prestij::print_show(c, &d.siret, &d.hr_ref);
                    }
                }
                Ok(0)
            })
        }
        Command::Generate { what, dir } => match generate(what, &dir) {
            Ok(files) => {
                for f in files {
                    println!("wrote {}", f.display());
                }
                0
            }
            Err(e) => {
                eprintln!("ijgate generate: {}: {e}", dir.display());
                1
            }
        },
        Command::Dsn(cmd) => crate::dsn::cli::run(cmd),
        Command::Alert(cmd) => crate::alerts::cli::run(&path, cmd),
        Command::Task(cmd) => crate::tasks::cli::run(&path, cmd),
        Command::Journal(cmd) => crate::journal::pg::cli::run(&path, cmd),
        Command::Prevoyance(cmd) => match crate::prevoyance::cli::run(cmd) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("ijgate prevoyance: {e}");
                e.exit_code()
            }
        },
        Command::Certs(CertsCommand::Dev {
            out,
            p12_password_file,
        }) => {
            let clients: Vec<String> = Config::load(&path)
                .map(|c| c.hr_clients.iter().map(|h| h.name.clone()).collect())
                .unwrap_or_default();
            let password = match p12_password_file.as_deref().map(crate::fsio::read_secret) {
                None => None,
                Some(Ok(p)) if !p.is_empty() => Some(p),
                Some(Ok(_)) => {
                    eprintln!("ijgate: --p12-password-file: the file is empty");
                    return 1;
                }
                Some(Err(e)) => {
                    eprintln!("ijgate: --p12-password-file: {e}");
                    return 1;
                }
            };
            let made = crate::channels::tls::generate_dev(&out, &clients).and_then(|r| {
                let p12 = crate::channels::pkcs12::bundle_dev_clients(&out, password.as_deref())?;
                Ok(r.written.into_iter().chain(p12).collect::<Vec<_>>())
            });
            match made {
                Ok(written) => {
                    for p in written {
                        println!("wrote {}", p.display());
                    }
                    println!("development certificates only: never use them in production");
                    0
                }
                Err(e) => {
                    eprintln!("ijgate: {e}");
                    1
                }
            }
        }
    }
}

/// `--since` of `ijgate replay`: an RFC 3339 instant or an age before now.
fn since_instant(v: &str, now: chrono::DateTime<chrono::Utc>) -> Option<String> {
    if let Some(t) = crate::channels::api_list::parse_timestamp(v) {
        return Some(t);
    }
    let age = chrono::Duration::from_std(humantime::parse_duration(v).ok()?).ok()?;
    Some((now - age).to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

/// `ijgate replay`: marks the files for writing again in one IMMEDIATE transaction (a second
/// writer beside the running daemon, like `retry`), then reports them.
fn replay(
    path: &Path,
    id: Option<i64>,
    hr_ref: Option<String>,
    since: Option<String>,
    to: crate::engine::replay::Recipients,
    json: bool,
) -> i32 {
    use crate::engine::replay::{Actor, Filter};
    let since = match since
        .as_deref()
        .map(|s| (s, since_instant(s, chrono::Utc::now())))
    {
        Some((s, None)) => {
            eprintln!(
                "ijgate replay: --since {s:?}: neither an RFC 3339 instant nor an age (2h, 3d)"
            );
            return 2;
        }
        Some((_, t)) => t,
        None => None,
    };
    let filter = Filter {
        declaration_id: id,
        hr_ref,
        since,
        sirets: None,
        to,
    };
    if !filter.is_bounded() {
        eprintln!("ijgate replay: give a declaration id, --hr-ref or --since");
        return 2;
    }
    let cfg = match load_for_reading(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let db = cfg.db_path();
    if let Err(code) = crate::journal::require_existing(&db) {
        return code;
    }
    let actor = Actor {
        channel: "cli",
        name: std::env::var("SUDO_USER")
            .or_else(|_| std::env::var("USER"))
            .unwrap_or_else(|_| "unknown".into()),
    };
    let r = rusqlite::Connection::open(&db)
        .map_err(journal::JournalError::from)
        .and_then(|mut c| {
            c.busy_timeout(std::time::Duration::from_secs(10))?;
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let r = crate::engine::replay::replay(&tx, &filter, &actor, &journal::now())?;
            tx.commit()?;
            Ok(r)
        });
    match r {
        Ok(r) if json => {
            println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
            0
        }
        Ok(r) => {
            for f in &r.files {
                let note = if f.already_pending {
                    "  (already waiting)"
                } else {
                    ""
                };
                println!("{}/{}{note}", f.dest, f.file_name);
            }
            println!(
                "{} file(s) to be written again, {} already waiting (the running daemon writes them within seconds)",
                r.replayed, r.already_pending
            );
            if r.files.is_empty() {
                println!("nothing matches (delivered files are kept for retention.keep)");
            }
            0
        }
        Err(e) => {
            eprintln!("ijgate: {e}");
            1
        }
    }
}

/// The async runtime for commands that serve (daemon, sandbox).
fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("ijgate: cannot start the runtime: {e}");
            None
        }
    }
}

fn with_reader(
    cfg: &Config,
    f: impl FnOnce(&rusqlite::Connection) -> Result<i32, journal::JournalError>,
) -> i32 {
    let db = cfg.db_path();
    if let Err(code) = crate::journal::require_existing(&db) {
        return code;
    }
    match journal::open_reader(&db).and_then(|c| f(&c)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ijgate: {e}");
            1
        }
    }
}

fn print_declaration(d: &query::Declaration) {
    println!(
        "declaration {}  {}  hr_ref={}  siret={}",
        d.id, d.event, d.hr_ref, d.siret
    );
    println!(
        "  state: {}  (revision {}, attempts {})",
        d.state, d.revision, d.attempts
    );
    if let Some(k) = &d.last_error_kind {
        println!("  last error: {k}");
    }
    if d.test {
        println!(
            "  TEST: sent as an essai file (S10.G00.00.005 = 01), ignored by CPAM: nothing is declared"
        );
    }
    println!("  timeline:");
    for h in &d.history {
        let src = h
            .source_label()
            .map(|s| format!("  {s}"))
            .unwrap_or_default();
        let detail = h
            .detail
            .as_ref()
            .map(|d| format!("  {d}"))
            .unwrap_or_default();
        println!("    {}  {:<24}{src}{detail}", h.at, h.what);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_since_is_an_instant_or_an_age() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            since_instant("2h", now).as_deref(),
            Some("2026-11-25T10:00:00.000Z")
        );
        assert_eq!(
            since_instant("2026-11-25T09:00:00+01:00", now).as_deref(),
            Some("2026-11-25T08:00:00.000Z")
        );
        assert_eq!(since_instant("yesterday", now), None);
    }

    /// The package's man pages and completions come from this definition (issue 16).
    #[test]
    fn man_pages_and_completions_are_generated_without_the_hidden_command() {
        let d = tempfile::tempdir().unwrap();
        let man = generate(Generated::Man, &d.path().join("man")).unwrap();
        let names: Vec<String> = man
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        for page in ["ijgate.1", "ijgate-purge.1", "ijgate-check-config.1"] {
            assert!(names.iter().any(|n| n == page), "{page}: {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("generate")), "{names:?}");
        let purge = std::fs::read_to_string(d.path().join("man/ijgate-purge.1")).unwrap();
        assert!(purge.starts_with(".ie") || purge.contains(".TH"), "{purge}");
        assert!(purge.contains("force"));
        let comp = generate(Generated::Completions, &d.path().join("comp")).unwrap();
        assert_eq!(comp.len(), 3);
        let bash = std::fs::read_to_string(d.path().join("comp/ijgate.bash")).unwrap();
        assert!(bash.contains("check-config") && bash.contains("--older-than"));
    }
}
