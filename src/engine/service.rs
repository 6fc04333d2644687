//! Life as a system service: systemd notifications (Type=notify), the watchdog heartbeat and
//! the pid file.
//!
//! The watchdog is pinged only by the heartbeat, and only after it proved that the daemon
//! still does its job: a tiny write went through the journal writer and was committed, the
//! spool inbound folder is readable, and the spool loop completed a rescan recently. If the
//! journal writer or the spool loop is wedged, the pings stop and systemd restarts the
//! service (`WatchdogSec=`, `Restart=on-failure`). A free-running timer would keep a zombie
//! alive; this does not.
//!
//! Outside systemd ($NOTIFY_SOCKET unset) every notification is a no-op; the heartbeat still
//! runs because it feeds `/healthz`.

use sd_notify::NotifyState;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use crate::fsio::{Perms, write_atomic};
use crate::health::{self, Health};
use crate::journal::{Journal, JournalError, now};

fn notify(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        crate::internal_events::systemd_failed("notify", &e);
    }
}

/// Start-up finished: READY=1 with a status line.
pub fn ready(status: &str) {
    notify(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// Free-form status (`systemctl status` shows it).
pub fn status(status: &str) {
    notify(&[NotifyState::Status(status)]);
}

/// Stop requested: STOPPING=1.
pub fn stopping() {
    notify(&[
        NotifyState::Stopping,
        NotifyState::Status("stopping: finishing in-flight work"),
    ]);
}

/// Reload begins: RELOADING=1 with MONOTONIC_USEC (required by systemd ≥ 253).
pub fn reloading() {
    match NotifyState::monotonic_usec_now() {
        Ok(t) => notify(&[
            NotifyState::Reloading,
            t,
            NotifyState::Status("reloading configuration"),
        ]),
        Err(e) => crate::internal_events::systemd_failed("monotonic clock", &e),
    }
}

/// The watchdog interval systemd asked for ($WATCHDOG_USEC), if any.
pub fn watchdog_interval() -> Option<Duration> {
    sd_notify::watchdog_enabled()
}

/// How often the heartbeat runs: half the watchdog interval (systemd's advice), else 10 s
/// (it still feeds `/healthz`).
pub fn heartbeat_period(watchdog: Option<Duration>) -> Duration {
    watchdog
        .map(|w| (w / 2).max(Duration::from_millis(100)))
        .unwrap_or(Duration::from_secs(10))
}

/// A tiny durable write through the group-commit writer: proves that the writer thread runs
/// and that the database accepts commits (disk not full, not read-only, not locked).
///
/// The one-row table is created on first use instead of by a migration: it carries no data of
/// record and must not collide with the journal's own migration numbering.
pub async fn journal_probe(journal: &Journal) -> Result<(), JournalError> {
    journal
        .write(|c| {
            c.execute_batch(
                "CREATE TABLE IF NOT EXISTS heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL)",
            )?;
            c.execute(
                "INSERT INTO heartbeat (id, at) VALUES (1, ?1) ON CONFLICT(id) DO UPDATE SET at = excluded.at",
                [now()],
            )?;
            Ok(())
        })
        .await
}

/// One heartbeat: probes, records the checks, and returns true when the watchdog may be pinged.
pub async fn beat(journal: &Journal, inbound: &Path, health: &Health, period: Duration) -> bool {
    let max_age = period * 3;
    match tokio::time::timeout(period.max(Duration::from_secs(1)), journal_probe(journal)).await {
        Ok(Ok(())) => health.pass(health::JOURNAL, max_age),
        Ok(Err(e)) => health.fail(health::JOURNAL, format!("journal write failed: {e}")),
        Err(_) => health.fail(
            health::JOURNAL,
            format!(
                "journal write did not complete within {}ms",
                period.max(Duration::from_secs(1)).as_millis()
            ),
        ),
    }
    match tokio::fs::read_dir(inbound).await {
        Ok(_) => health.pass(health::SPOOL, max_age),
        Err(e) => health.fail(
            health::SPOOL,
            format!("{}: cannot read: {e}", inbound.display()),
        ),
    }
    let ok = health.all_ok(&[health::JOURNAL, health::SPOOL, health::SPOOL_SCAN]);
    let scan_reported = health.reported(health::SPOOL_SCAN);
    if !ok && !scan_reported {
        // Just started: the spool loop has not finished its first scan. Not a failure yet.
        tracing::debug!("heartbeat: waiting for the first spool scan");
    } else if !ok {
        let r = health.report();
        let why: Vec<String> = r
            .checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| format!("{}: {}", c.name, c.reason.as_deref().unwrap_or("failed")))
            .collect();
        crate::metrics::heartbeat_failed(&why.join("; "));
    }
    ok
}

/// Runs heartbeats until `stop`; pings the systemd watchdog after each good one.
pub async fn heartbeat(
    journal: Journal,
    inbound: PathBuf,
    watchdog: Option<Duration>,
    stop: CancellationToken,
) {
    let period = heartbeat_period(watchdog);
    for name in [health::JOURNAL, health::SPOOL, health::SPOOL_SCAN] {
        health::global().expect(name);
    }
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let ok = tokio::select! {
            _ = stop.cancelled() => return,
            ok = beat(&journal, &inbound, health::global(), period) => ok,
        };
        if ok && watchdog.is_some() {
            notify(&[NotifyState::Watchdog]);
        }
    }
}

/// The pid file `ijgate reload` reads.
pub fn pid_path(state_dir: &Path) -> PathBuf {
    state_dir.join("ijgate.pid")
}

/// Writes our pid file (atomically: a reader never sees half a number).
pub fn write_pid_file(state_dir: &Path) -> std::io::Result<()> {
    let pid = format!("{}\n", std::process::id());
    write_atomic(&pid_path(state_dir), pid.as_bytes(), Perms::PRIVATE)
}

/// Removes our pid file at a clean stop (only if it still names us).
pub fn remove_pid_file(state_dir: &Path) {
    let p = pid_path(state_dir);
    if read_pid(&p) == Some(std::process::id() as i32) {
        let _ = std::fs::remove_file(p);
    }
}

/// The pid in a pid file.
pub fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .filter(|p: &i32| *p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeat_period_is_half_the_watchdog() {
        assert_eq!(
            heartbeat_period(Some(Duration::from_secs(30))),
            Duration::from_secs(15)
        );
        assert_eq!(heartbeat_period(None), Duration::from_secs(10));
    }

    #[test]
    fn pid_file_round_trip() {
        let d = tempfile::tempdir().unwrap();
        write_pid_file(d.path()).unwrap();
        assert_eq!(
            read_pid(&pid_path(d.path())),
            Some(std::process::id() as i32)
        );
        remove_pid_file(d.path());
        assert!(!pid_path(d.path()).exists());
        std::fs::write(pid_path(d.path()), "garbage").unwrap();
        assert_eq!(read_pid(&pid_path(d.path())), None);
    }

    #[tokio::test]
    async fn beat_passes_on_a_working_journal_and_fails_without_spool_scan() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(&d.path().join("j.db")).unwrap();
        let h = Health::default();
        let inbound = d.path().join("inbound");
        std::fs::create_dir(&inbound).unwrap();
        // No rescan reported yet: the watchdog must not be pinged.
        assert!(!beat(&j, &inbound, &h, Duration::from_millis(200)).await);
        h.pass(health::SPOOL_SCAN, Duration::from_secs(5));
        assert!(beat(&j, &inbound, &h, Duration::from_millis(200)).await);
        std::fs::remove_dir(&inbound).unwrap();
        assert!(!beat(&j, &inbound, &h, Duration::from_millis(200)).await);
        let r = h.report();
        let spool = r.checks.iter().find(|c| c.name == health::SPOOL).unwrap();
        assert!(!spool.ok);
    }
}
