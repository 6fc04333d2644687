//! `ijgate task list [--all] [--json]` and `ijgate task done ID`.

use clap::Subcommand;
use std::path::Path;

use super::Closed;
use crate::config::Config;
use crate::journal::JournalError;

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Open tasks (DSIJ salary attestations to send by hand).
    List {
        /// Closed tasks too.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Close a task once done.
    Done {
        id: i64,
        /// Who did it [default: cli:$USER]
        #[arg(long)]
        by: Option<String>,
    },
}

/// A read-write connection beside the running daemon (WAL: it waits for the writer's lock).
fn open_rw(db: &Path) -> Result<rusqlite::Connection, JournalError> {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    c.busy_timeout(std::time::Duration::from_secs(10))?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    Ok(c)
}

pub fn run(path: &Path, cmd: TaskCommand) -> i32 {
    let cfg = match Config::load(path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ijgate: {e}");
            return crate::cli::EXIT_CONFIG;
        }
    };
    let db = cfg.db_path();
    if let Err(code) = crate::journal::require_existing(&db) {
        return code;
    }
    match cmd {
        TaskCommand::List { all, json } => {
            match crate::journal::open_reader(&db).and_then(|c| super::list(&c, all)) {
                Ok(tasks) if json => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&tasks).unwrap_or_default()
                    );
                    0
                }
                Ok(tasks) => {
                    if tasks.is_empty() {
                        println!("no open task");
                    }
                    for t in tasks {
                        println!(
                            "{:>5}  {:<5} {:<6} hr_ref={:<16} siret={}  declaration {}  {}",
                            t.id,
                            t.kind,
                            t.state,
                            t.hr_ref,
                            t.siret,
                            t.declaration_id,
                            t.files.join(" ")
                        );
                    }
                    0
                }
                Err(e) => {
                    eprintln!("ijgate: {e}");
                    1
                }
            }
        }
        TaskCommand::Done { id, by } => {
            let by = by.unwrap_or_else(|| {
                format!(
                    "cli:{}",
                    std::env::var("USER").unwrap_or_else(|_| "unknown".into())
                )
            });
            let res = open_rw(&db).and_then(|mut c| {
                // IMMEDIATE: a deferred read-then-write transaction gets "database is locked"
                // at once when the daemon commits in between; this one waits for the lock.
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let r = super::close(&tx, id, None, &by, &crate::journal::now())?;
                tx.commit()?;
                Ok(r)
            });
            match res {
                Ok(Closed::Done(t)) => {
                    println!("task {} done (hr_ref {})", t.id, t.hr_ref);
                    0
                }
                Ok(Closed::AlreadyDone(t)) => {
                    println!(
                        "task {} was already done ({})",
                        t.id,
                        t.done_at.unwrap_or_default()
                    );
                    0
                }
                Ok(Closed::NotFound) => {
                    eprintln!("ijgate: no task {id}");
                    1
                }
                Err(e) => {
                    eprintln!("ijgate: {e}");
                    1
                }
            }
        }
    }
}
