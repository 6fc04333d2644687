//! Applying retention: journal rows (through [`crate::journal::retention`]) and the spool's
//! `archive/` and `rejected/` files older than the cutoff. Used by `ijgate purge` and by the
//! daemon's daily task.
//!
//! Files are judged by their modification time, which a rename keeps: the time the HR tool
//! wrote the file, or ijgate its error report.

use serde::Serialize;
use std::path::Path;
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::journal::retention::{self, Purged};
use crate::journal::{Journal, JournalError};

/// The purge steps of the modules that own tables beside the journal's own, in the order
/// their foreign keys need: alert follow-ups before declarations, insurer rows after them.
pub fn hooks() -> retention::PurgeHooks {
    retention::PurgeHooks {
        before_declarations: vec![crate::alerts::store::purge_followup],
        after_declarations: vec![crate::engine::insurer::purge],
    }
}

/// What a purge removed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub cutoff: String,
    pub journal: Purged,
    pub files: usize,
    pub dry_run: bool,
    /// The declarations removed (or that would be), without NIR.
    pub declarations: Vec<retention::Doomed>,
}

/// Regular files in `dir` last modified before `before`; removed unless `dry_run`.
pub fn purge_files(dir: &Path, before: SystemTime, dry_run: bool) -> std::io::Result<usize> {
    let mut n = 0;
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    for e in rd.flatten() {
        let Ok(meta) = e.metadata() else { continue };
        if !meta.is_file() || meta.modified().map_or(true, |m| m >= before) {
            continue;
        }
        if !dry_run {
            std::fs::remove_file(e.path())?;
        }
        n += 1;
    }
    if n > 0 && !dry_run {
        crate::fsio::sync_dir(dir)?;
    }
    Ok(n)
}

fn spool_files(cfg: &Config, keep: Duration, dry_run: bool) -> std::io::Result<usize> {
    let before = SystemTime::now()
        .checked_sub(keep)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let mut n = 0;
    for sub in ["archive", "rejected"] {
        n += purge_files(&cfg.spool.dir.join(sub), before, dry_run)?;
    }
    Ok(n)
}

/// How `ijgate purge` was asked to run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `--older-than` (default: `retention.keep`).
    pub older_than: Option<Duration>,
    /// `--dry-run`: count and list only.
    pub dry_run: bool,
    /// `--yes`: proceed without the dry run a terminal gets by default.
    pub yes: bool,
    /// `--force`: allow an age below `retention.keep`.
    pub force: bool,
    pub json: bool,
    /// Standard input and output are a terminal (an operator typing, not a script).
    pub interactive: bool,
}

/// Exit code of a purge refused before touching anything (age below `retention.keep`).
pub const EXIT_REFUSED: i32 = 2;

fn age_text(keep: Duration) -> String {
    if keep.as_secs().is_multiple_of(86_400) && keep.as_secs() > 0 {
        format!("{}d", keep.as_secs() / 86_400)
    } else {
        humantime::format_duration(keep).to_string()
    }
}

/// `ijgate purge`: a connection of its own beside the running daemon. Safety rules:
/// - an age below `retention.keep` is refused without `--force` (a typo such as `1s` must not
///   erase health records);
/// - only finished stoppages go ([`retention::purgeable_sql`]): never a declaration still
///   waiting for a deposit, a CNAM report, documents, a manual task or a notice;
/// - on a terminal, without `--yes`, it is a dry run that lists what would go;
/// - coordination with the daemon: the whole purge is one `BEGIN IMMEDIATE` transaction, which
///   takes the journal's write lock first, so the daemon's writers wait (busy timeout) and
///   no state changes between the check (evaluated inside the transaction) and the deletion.
///   A dry run is the same transaction, rolled back.
pub fn run_cli(cfg: &Config, o: Options) -> i32 {
    let keep = o.older_than.unwrap_or(cfg.retention.keep);
    if keep < cfg.retention.keep && !o.force {
        eprintln!(
            "ijgate: refusing to purge data younger than retention.keep ({}): --older-than {} \
             needs --force",
            age_text(cfg.retention.keep),
            age_text(keep)
        );
        return EXIT_REFUSED;
    }
    let dry_run = o.dry_run || (o.interactive && !o.yes);
    let db = cfg.db_path();
    if let Err(code) = crate::journal::require_existing(&db) {
        return code;
    }
    let cutoff = retention::cutoff(keep);
    let journal = (|| -> Result<(Purged, Vec<retention::Doomed>), JournalError> {
        let mut c = rusqlite::Connection::open(&db)?;
        c.busy_timeout(Duration::from_secs(30))?;
        c.pragma_update(None, "foreign_keys", "ON")?;
        let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let list = retention::doomed(&tx, &cutoff)?;
        let p = retention::purge(&tx, &cutoff, &hooks())?;
        if dry_run {
            tx.rollback()?;
        } else {
            tx.commit()?;
        }
        Ok((p, list))
    })();
    keep_owner(&db);
    let (journal, list) = match journal {
        Ok(p) => p,
        Err(e) => {
            eprintln!("ijgate: {e}");
            return 1;
        }
    };
    let files = match spool_files(cfg, keep, dry_run) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("ijgate: spool files: {e}");
            return 1;
        }
    };
    let r = Report {
        cutoff,
        journal,
        files,
        dry_run,
        declarations: list,
    };
    if o.json {
        println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
    } else {
        let verb = if dry_run { "would remove" } else { "removed" };
        println!("older than {} (before {}):", age_text(keep), r.cutoff);
        for d in r.declarations.iter().take(50) {
            println!(
                "  declaration {:>6}  {}  {}  {}  {}  last change {}",
                d.id, d.siret, d.hr_ref, d.event, d.state, d.updated_at
            );
        }
        if r.declarations.len() > 50 {
            println!(
                "  … and {} more (--json lists them all)",
                r.declarations.len() - 50
            );
        }
        println!(
            "  {verb} {} declaration(s) with {} history event(s), {} notice(s), {} rejection(s), {} input(s)",
            r.journal.declarations,
            r.journal.history,
            r.journal.outbox,
            r.journal.rejections,
            r.journal.inputs
        );
        println!("  {verb} {} archived/rejected file(s)", r.files);
        if dry_run && !o.dry_run {
            println!("dry run (the default on a terminal): run again with --yes to delete");
        }
    }
    0
}

/// Run as root on a journal owned by the daemon's user, SQLite may have created the `-wal`
/// and `-shm` files as root: give them back, or the daemon could not open its journal.
fn keep_owner(db: &Path) {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(db) else {
        return;
    };
    for suffix in ["-wal", "-shm"] {
        let p = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        if let Ok(m) = std::fs::metadata(&p)
            && (m.uid() != meta.uid() || m.gid() != meta.gid())
            && let Err(e) = std::os::unix::fs::chown(&p, Some(meta.uid()), Some(meta.gid()))
        {
            eprintln!(
                "ijgate: {}: cannot give it back to the journal's owner: {e}",
                p.display()
            );
        }
    }
}

/// The daemon's daily purge with `retention.keep` (the first one a minute after start).
pub async fn daily(
    journal: Journal,
    cfg: std::sync::Arc<arc_swap::ArcSwap<Config>>,
    stop: CancellationToken,
) {
    let mut wait = Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = Duration::from_secs(86_400);
        let c = cfg.load_full();
        if !c.retention.automatic {
            continue;
        }
        let cutoff = retention::cutoff(c.retention.keep);
        let cut = cutoff.clone();
        match journal
            .write(move |conn| retention::purge(conn, &cut, &hooks()))
            .await
        {
            Ok(p) => {
                tracing::info!(cutoff = %cutoff, declarations = p.declarations, history = p.history,
                outbox = p.outbox, rejections = p.rejections, inputs = p.inputs, "retention: journal purged")
            }
            Err(e) => crate::internal_events::worker_step_failed("retention journal purge", &e),
        }
        let (c2, keep) = (c.clone(), c.retention.keep);
        match tokio::task::spawn_blocking(move || spool_files(&c2, keep, false)).await {
            Ok(Ok(n)) => tracing::info!(files = n, "retention: spool files purged"),
            Ok(Err(e)) => crate::internal_events::worker_step_failed("retention spool purge", &e),
            Err(e) => crate::internal_events::worker_step_failed("retention spool purge task", &e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_files_go() {
        let d = tempfile::tempdir().unwrap();
        let old = d.path().join("old.csv");
        std::fs::write(&old, "x").unwrap();
        let f = std::fs::File::options().write(true).open(&old).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(500 * 86_400))
            .unwrap();
        std::fs::write(d.path().join("new.csv"), "y").unwrap();
        let before = SystemTime::now() - Duration::from_secs(400 * 86_400);
        assert_eq!(purge_files(d.path(), before, true).unwrap(), 1);
        assert!(old.exists(), "dry run keeps files");
        assert_eq!(purge_files(d.path(), before, false).unwrap(), 1);
        assert!(!old.exists());
        assert!(d.path().join("new.csv").exists());
        assert_eq!(
            purge_files(&d.path().join("absent"), before, false).unwrap(),
            0
        );
    }
}
