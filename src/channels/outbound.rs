//! The outbox worker: writes queued notices into spool/outbound/<dest>/ after their commit.
//!
//! Crash reasoning: a notice row is committed together with the event that caused it, the
//! file is written atomically, and only then is the row marked delivered. A crash between the
//! write and the mark rewrites the same file under the same name on restart: the HR tool may
//! see a file twice in time, never half a file and never a missing one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::fsio::{Perms, ensure_dir, write_atomic};
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
        let written = tokio::task::spawn_blocking(move || {
            let mut ids = Vec::with_capacity(items.len());
            for it in items {
                let dir = overrides
                    .get(&it.dest)
                    .cloned()
                    .or_else(|| dest_dir(&outbound, &it.dest));
                let Some(dir) = dir else {
                    tracing::error!(dest = %it.dest, "outbox: invalid destination, skipped");
                    ids.push(it.id);
                    continue;
                };
                let res = ensure_dir(&dir, perms).and_then(|_| write_atomic(&dir.join(&it.file_name), &it.body, perms));
                match res {
                    Ok(()) => ids.push(it.id),
                    Err(e) => {
                        tracing::error!(file = %it.file_name, dir = %dir.display(), error = %e, "outbox: write failed, will retry");
                        break;
                    }
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
/// `config` gives the destination overrides (read at each pass: a reload applies at once).
pub async fn run(
    journal: Journal,
    outbound: PathBuf,
    perms: Perms,
    wake: Arc<Notify>,
    stop: CancellationToken,
    config: Arc<arc_swap::ArcSwap<crate::config::Config>>,
) {
    let overrides = || crate::engine::insurer::config::outbound_overrides(&config.load().insurers);
    loop {
        match flush(&journal, &outbound, perms, &overrides()).await {
            Ok(n) if n > 0 => tracing::debug!(written = n, "outbox: notices written"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "outbox: flush failed"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = stop.cancelled() => {
                // Last flush so that everything committed before the stop is handed back.
                if let Err(e) = flush(&journal, &outbound, perms, &overrides()).await {
                    tracing::error!(error = %e, "outbox: final flush failed");
                }
                return;
            }
        }
    }
}
