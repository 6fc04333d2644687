//! `ijgate alert test [--to ADDR]` and `ijgate alert list`.

use clap::Subcommand;
use std::path::Path;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// Send a test mail through the configured SMTP server.
    Test {
        /// Recipient [default: the config's alerts.to]
        #[arg(long)]
        to: Option<String>,
    },
    /// Every alert recorded in the journal, with its mail state.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub fn run(path: &Path, cmd: AlertCommand) -> i32 {
    // Listing only reads the journal: a partial configuration is enough (see
    // `cli::load_for_reading`); sending a test mail needs a valid one.
    let loaded = match cmd {
        AlertCommand::List { .. } => crate::cli::load_for_reading(path),
        AlertCommand::Test { .. } => Config::load(path).map_err(|e| {
            eprintln!("ijgate: {e}");
            crate::cli::EXIT_CONFIG
        }),
    };
    let cfg = match loaded {
        Ok(c) => c,
        Err(code) => return code,
    };
    match cmd {
        AlertCommand::Test { to } => {
            crate::channels::tls::install_crypto_provider();
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("ijgate: cannot start the runtime: {e}");
                    return 1;
                }
            };
            match rt.block_on(super::send_test(&cfg, to)) {
                Ok(to) => {
                    println!("test mail sent to {}", to.join(", "));
                    0
                }
                Err(e) => {
                    eprintln!("ijgate alert test: {e}");
                    1
                }
            }
        }
        AlertCommand::List { json } => {
            let db = cfg.db_path();
            let rows = crate::journal::open_reader(&db).and_then(|c| super::store::list(&c));
            match rows {
                Ok(rows) if json => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&rows).unwrap_or_default()
                    );
                    0
                }
                Ok(rows) => {
                    println!(
                        "{:>5}  {:<28} {:<16} {:<9} {:<8} {:<20} LAST ERROR",
                        "ID", "CONDITION", "HR REF", "MAIL", "STATE", "RESOLVED"
                    );
                    if !rows
                        .iter()
                        .any(|r| r.resolved_at.is_none() && r.state != "dropped")
                    {
                        println!("no open alert");
                    }
                    for r in rows {
                        println!(
                            "{:>5}  {:<28} {:<16} {:<9} {:<8} {:<20} {}",
                            r.id,
                            r.condition,
                            r.hr_ref.unwrap_or_default(),
                            r.mail_kind,
                            r.state,
                            r.resolved_at.unwrap_or_else(|| "open".into()),
                            r.last_error.unwrap_or_default()
                        );
                    }
                    0
                }
                Err(e) => {
                    eprintln!("ijgate: {}: {e}", db.display());
                    1
                }
            }
        }
    }
}
