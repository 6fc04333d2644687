//! The outbox worker: writes queued notices into spool/outbound/<dest>/ after their commit.
//!
//! Crash reasoning: a notice row is committed together with the event that caused it, the
//! file is written atomically (temp name, fsync, rename), the folder is fsynced once for the
//! whole batch, and only then are the rows marked delivered. A crash between the
//! write and the mark rewrites the same file under the same name on restart: the HR tool may
//! see a file twice in time, never half a file and never a missing one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::fsio::{Perms, ensure_dir, sync_dir, write_temp};
use crate::journal::{Journal, JournalError, now, query, store};

/// Resolves an outbox destination ("hr", "insurer/AXA") to its folder under outbound/.
pub fn dest_dir(outbound: &Path, dest: &str) -> Option<PathBuf> {
    // Destinations come from code and configuration, but guard against path tricks anyway.
    if dest
        .split('/')
        .any(|p| p.is_empty() || p == "." || p == "..")
    {
        return None;
    }
    Some(outbound.join(dest))
}

/// Destinations written somewhere else than outbound/<dest> (an insurer's `outbound` folder).
pub type Overrides = std::collections::HashMap<String, PathBuf>;

/// Writes a batch: contents and their fsyncs in parallel under temporary names (the costly
/// part), then the renames in journal order (so notice `n` never appears before `n - 1`, nor a
/// notice before its raw XML), then one fsync per folder. Returns the ids now durable.
fn write_batch(
    outbound: &Path,
    items: &[crate::journal::query::OutboxItem],
    perms: Perms,
    overrides: &Overrides,
) -> Vec<i64> {
    let targets: Vec<Option<PathBuf>> = items
        .iter()
        .map(|it| {
            let dir = overrides
                .get(&it.dest)
                .cloned()
                .or_else(|| dest_dir(outbound, &it.dest))?;
            ensure_dir(&dir, perms).ok()?;
            Some(dir.join(&it.file_name))
        })
        .collect();
    let threads = 8.min(items.len().max(1));
    let chunk = items.len().div_ceil(threads).max(1);
    let temps: Vec<std::io::Result<PathBuf>> = std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .zip(targets.chunks(chunk))
            .map(|(its, dests)| {
                scope.spawn(move || {
                    its.iter()
                        .zip(dests)
                        .map(|(it, dest)| match dest {
                            Some(d) => write_temp(d, &it.body, perms),
                            None => Err(std::io::Error::other(format!(
                                "invalid destination {:?}",
                                it.dest
                            ))),
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec![Err(std::io::Error::other("writer thread panicked"))])
            })
            .collect()
    });
    let mut ids = Vec::with_capacity(items.len());
    let mut dirs: std::collections::BTreeSet<PathBuf> = std::collections::BTreeSet::new();
    let mut failed = false;
    for ((it, dest), tmp) in items.iter().zip(&targets).zip(temps) {
        if dest.is_none()
            && !overrides.contains_key(&it.dest)
            && dest_dir(outbound, &it.dest).is_none()
        {
            // A destination that can never be valid would block the outbox forever: drop it.
            crate::internal_events::outbox_write_failed(
                "destination",
                &format!("{}/{}", it.dest, it.file_name),
                &"invalid destination, skipped",
            );
            ids.push(it.id);
            continue;
        }
        match (failed, dest, tmp) {
            (false, Some(dest), Ok(tmp)) => match std::fs::rename(&tmp, dest) {
                Ok(()) => {
                    ids.push(it.id);
                    if let Some(d) = dest.parent() {
                        dirs.insert(d.to_path_buf());
                    }
                }
                Err(e) => {
                    crate::internal_events::outbox_write_failed("rename", &dest.display(), &e);
                    let _ = std::fs::remove_file(&tmp);
                    failed = true;
                }
            },
            (_, _, Ok(tmp)) => {
                // After a failure, later files wait for the next pass (order is kept).
                let _ = std::fs::remove_file(&tmp);
            }
            (false, _, Err(e)) => {
                crate::internal_events::outbox_write_failed(
                    "write",
                    &format!("{}/{}", it.dest, it.file_name),
                    &e,
                );
                failed = true;
            }
            (true, _, Err(_)) => {}
        }
    }
    // Rows are marked delivered only after their folders are durable.
    for d in &dirs {
        if let Err(e) = sync_dir(d) {
            crate::internal_events::outbox_write_failed("fsync", &d.display(), &e);
            return Vec::new();
        }
    }
    ids
}

/// Writes every pending notice once; returns how many were written.
pub async fn flush(
    journal: &Journal,
    outbound: &Path,
    perms: Perms,
    overrides: &Overrides,
) -> Result<usize, JournalError> {
    let mut total = 0;
    loop {
        let items = journal.read(|c| query::pending_outbox(c, 256)).await?;
        if items.is_empty() {
            return Ok(total);
        }
        let outbound = outbound.to_path_buf();
        let overrides = overrides.clone();
        let written =
            tokio::task::spawn_blocking(move || write_batch(&outbound, &items, perms, &overrides))
                .await
                .map_err(|_| JournalError::Closed)?;
        if written.is_empty() {
            return Ok(total);
        }
        total += written.len();
        journal
            .write(move |c| store::mark_delivered(c, &written, &now()))
            .await?;
    }
}

/// Runs until cancelled, writing notices whenever woken (and every few seconds, to retry).
/// `config` gives the destination overrides (read at each pass: a reload applies at once).
pub async fn run(
    journal: Journal,
    outbound: PathBuf,
    perms: Perms,
    wake: Arc<Notify>,
    stop: CancellationToken,
    config: Arc<arc_swap::ArcSwap<crate::config::Config>>,
) {
    let overrides = || crate::config::insurers::outbound_overrides(&config.load().insurers);
    loop {
        match flush(&journal, &outbound, perms, &overrides()).await {
            Ok(n) if n > 0 => tracing::debug!(written = n, "outbox: notices written"),
            Ok(_) => {}
            Err(e) => crate::internal_events::worker_step_failed("outbox flush", &e),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = stop.cancelled() => {
                // Last flush so that everything committed before the stop is handed back.
                if let Err(e) = flush(&journal, &outbound, perms, &overrides()).await {
                    crate::internal_events::worker_step_failed("outbox final flush", &e);
                }
                return;
            }
        }
    }
}
