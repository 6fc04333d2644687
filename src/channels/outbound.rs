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

use super::fsio::{Perms, ensure_dir, sync_dir, write_renamed};
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

/// Writes every pending notice once; returns how many were written.
pub async fn flush(
    journal: &Journal,
    outbound: &Path,
    perms: Perms,
) -> Result<usize, JournalError> {
    let mut total = 0;
    loop {
        let items = journal.read(|c| query::pending_outbox(c, 256)).await?;
        if items.is_empty() {
            return Ok(total);
        }
        let outbound = outbound.to_path_buf();
        let written = tokio::task::spawn_blocking(move || {
            let mut ids = Vec::with_capacity(items.len());
            let mut dirs: std::collections::BTreeSet<PathBuf> = std::collections::BTreeSet::new();
            for it in items {
                let Some(dir) = dest_dir(&outbound, &it.dest) else {
                    tracing::error!(dest = %it.dest, "outbox: invalid destination, skipped");
                    ids.push(it.id);
                    continue;
                };
                let res = ensure_dir(&dir, perms).and_then(|_| write_renamed(&dir.join(&it.file_name), &it.body, perms));
                match res {
                    Ok(()) => {
                        ids.push(it.id);
                        dirs.insert(dir);
                    }
                    Err(e) => {
                        tracing::error!(file = %it.file_name, dir = %dir.display(), error = %e, "outbox: write failed, will retry");
                        break;
                    }
                }
            }
            // One folder fsync per folder and batch; rows are marked delivered only after it.
            for d in &dirs {
                if let Err(e) = sync_dir(d) {
                    tracing::error!(dir = %d.display(), error = %e, "outbox: folder fsync failed, will retry");
                    return Vec::new();
                }
            }
            ids
        })
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
pub async fn run(
    journal: Journal,
    outbound: PathBuf,
    perms: Perms,
    wake: Arc<Notify>,
    stop: CancellationToken,
) {
    loop {
        match flush(&journal, &outbound, perms).await {
            Ok(n) if n > 0 => tracing::debug!(written = n, "outbox: notices written"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "outbox: flush failed"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = stop.cancelled() => {
                // Last flush so that everything committed before the stop is handed back.
                if let Err(e) = flush(&journal, &outbound, perms).await {
                    tracing::error!(error = %e, "outbox: final flush failed");
                }
                return;
            }
        }
    }
}
