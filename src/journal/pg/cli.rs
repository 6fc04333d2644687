//! The I/O edge of the PostgreSQL journal: `ijgate journal migrate` and `ijgate status` on a
//! postgres:// journal (parse, print, exit).

use clap::Subcommand;
use std::path::{Path, PathBuf};

use super::{PgError, PgJournal, PgOptions};
use crate::config::Config;
use crate::config::journal::{Backend, parse_url};

#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Copy a journal from SQLite into an empty PostgreSQL journal (or back, from PostgreSQL
    /// into a new SQLite file), in one transaction, verified by row counts and per-table
    /// SHA-256 before the commit. Stop the daemon first.
    Migrate {
        /// Source: sqlite:PATH (or postgres://… to go back to SQLite).
        #[arg(long)]
        from: String,
        /// Target: postgres://user@host:port/db (or sqlite:PATH, a new file)
        /// [default: the configuration's journal.url]
        #[arg(long)]
        to: Option<String>,
        /// PostgreSQL password file, mode 0600 [default: journal.password_file]
        #[arg(long)]
        password_file: Option<PathBuf>,
        /// Private CA of the PostgreSQL server (sslmode=require) [default: journal.ca_file]
        #[arg(long)]
        ca_file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
}

fn runtime() -> Result<tokio::runtime::Runtime, i32> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("ijgate: cannot start the runtime: {e}");
            1
        })
}

/// `ijgate journal …`.
pub fn run(config: &Path, cmd: JournalCommand) -> i32 {
    match cmd {
        JournalCommand::Migrate {
            from,
            to,
            password_file,
            ca_file,
            json,
        } => migrate(config, &from, to, password_file, ca_file, json),
    }
}

fn migrate(
    config: &Path,
    from: &str,
    to: Option<String>,
    password_file: Option<PathBuf>,
    ca_file: Option<PathBuf>,
    json: bool,
) -> i32 {
    let cwd = std::env::current_dir().unwrap_or_default();
    // The configuration supplies what the command line leaves out (read only then).
    let cfg = if to.is_none() || password_file.is_none() {
        Config::parse_file(config).ok()
    } else {
        None
    };
    let to = match to.or_else(|| cfg.as_ref().and_then(|c| c.journal.url.clone())) {
        Some(t) => t,
        None => {
            eprintln!("ijgate journal migrate: --to is required (no journal.url configured)");
            return 2;
        }
    };
    let password_file =
        password_file.or_else(|| cfg.as_ref().and_then(|c| c.journal.password_file.clone()));
    let ca_file = ca_file.or_else(|| cfg.as_ref().and_then(|c| c.journal.ca_file.clone()));
    let (src, dst) = match (parse_url(from, &cwd), parse_url(&to, &cwd)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("ijgate journal migrate: {e}");
            return 2;
        }
    };
    let Ok(rt) = runtime() else { return 1 };
    let open = |url: &str| -> Result<PgJournal, PgError> {
        let o = PgOptions::new(url, password_file.as_deref(), ca_file.clone())?;
        PgJournal::open_unmigrated(&o)
    };
    let r = match (&src, &dst) {
        (Backend::Sqlite(path), Backend::Postgres(url)) => {
            open(url).and_then(|j| rt.block_on(super::copy::copy_sqlite(path, &j)))
        }
        (Backend::Postgres(url), Backend::Sqlite(path)) => {
            open(url).and_then(|j| rt.block_on(super::copy::copy_to_sqlite(&j, path)))
        }
        _ => {
            eprintln!(
                "ijgate journal migrate: one side must be sqlite:PATH and the other postgres://…"
            );
            return 2;
        }
    };
    match r {
        Ok(report) => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                let rows: u64 = report.tables.iter().map(|t| t.rows).sum();
                for t in &report.tables {
                    println!(
                        "  {:<20} {:>8} rows  sha256 {}{}",
                        t.table,
                        t.rows,
                        &t.sha256[..16],
                        t.sequence
                            .map(|s| format!("  next id {}", s + 1))
                            .unwrap_or_default()
                    );
                }
                if report.text_in_blob_columns > 0 {
                    println!(
                        "  {} text value(s) in BLOB columns stored as their UTF-8 bytes",
                        report.text_in_blob_columns
                    );
                }
                println!(
                    "journal copied and verified: {} tables, {rows} rows (row counts and SHA-256 equal on both sides)",
                    report.tables.len()
                );
            }
            0
        }
        Err(e) => {
            eprintln!("ijgate journal migrate: {e}");
            1
        }
    }
}

/// `ijgate status` when `journal.url` is postgres://: nodes, leases, leaders.
pub fn status(cfg: &Config, json: bool) -> i32 {
    let o = match PgOptions::from_config(&cfg.journal) {
        Ok(Some(o)) => o,
        Ok(None) => {
            eprintln!("ijgate: the journal is not PostgreSQL");
            return 1;
        }
        Err(e) => {
            eprintln!("ijgate: {e}");
            return crate::cli::EXIT_CONFIG;
        }
    };
    let Ok(rt) = runtime() else { return 1 };
    let r = PgJournal::open_unmigrated(&o).and_then(|j| rt.block_on(super::status::load(&j)));
    match r {
        Ok(s) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
            } else {
                print!("{}", super::status::render(&s));
            }
            0
        }
        Err(e) => {
            eprintln!("ijgate: {e}");
            1
        }
    }
}

/// Whether `ijgate run` must refuse this configuration: the engine does not run on
/// PostgreSQL yet, and silently journaling to SQLite instead would be a lie.
pub fn refuses_run(cfg: &Config) -> Option<String> {
    match cfg.journal.backend(&cfg.daemon.state_dir) {
        Ok(Backend::Postgres(_)) => Some(
            "journal.url: the daemon does not run on PostgreSQL yet (issue 15: the engine's \
             journal is SQLite only); a postgres:// journal serves `ijgate journal migrate` \
             and `ijgate status` for now"
                .into(),
        ),
        _ => None,
    }
}
