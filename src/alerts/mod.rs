//! Deadlines and e-mail alerts.
//!
//! - [`conditions`]: which alert conditions hold (missing returns after their deadline,
//!   signalements not deposited, ARE, 31 KO, DSIJ fallback, documents requested, failed
//!   deposits, repeated delivery failures, unmatched BPIJ, expiring certificates). Pure.
//! - [`workdays`]: French public holidays and working days. Pure.
//! - [`config`]: `[alerts]` and `[deadlines]`.
//! - [`store`]: the durable `alerts` table (one row per declaration and condition).
//! - [`scanner`] and [`sender`]: the two workers; [`compose`]: the mail texts.
//!
//! Invariant: an alert is recorded before it is mailed, and a mail is marked sent only after
//! the SMTP server accepted it; an SMTP outage delays mails, it never loses them.

pub mod cli;
pub mod compose;
pub mod conditions;
pub mod config;
pub mod scanner;
pub mod sender;
pub mod store;
pub mod workdays;

use arc_swap::ArcSwap;
use std::sync::Arc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::channels::mailer::{Mail, MailError, Mailer};
use crate::config::Config;
use crate::journal::Journal;

/// Health check name of the scanner.
pub const HEALTH_CHECK: &str = "alerts_scan";

/// Most mails handled in one sender round.
const ROUND: usize = 500;

/// The scanner worker: every `alerts.scan_interval`, records the conditions that hold and
/// opens DSIJ tasks; wakes the sender (and the outbox writer, for task documents).
pub async fn run_scanner(
    journal: Journal,
    config: Arc<ArcSwap<Config>>,
    sender_wake: Arc<Notify>,
    outbox_wake: Arc<Notify>,
    stop: CancellationToken,
) {
    loop {
        let cfg = config.load_full();
        let certs = if cfg.alerts.enabled {
            scanner::cert_facts(&cfg)
        } else {
            Vec::new()
        };
        let c = cfg.clone();
        let now = chrono::Utc::now();
        match journal
            .write(move |conn| scanner::scan(conn, &c, certs, now))
            .await
        {
            Ok((ch, tasks)) => {
                // A wedged scanner turns /healthz red; an SMTP outage does not (mails wait).
                crate::health::global().pass(
                    HEALTH_CHECK,
                    cfg.alerts.scan_interval * 3 + std::time::Duration::from_secs(30),
                );
                if ch.opened + ch.reminded + ch.resolved > 0 {
                    tracing::info!(
                        opened = ch.opened,
                        reminders = ch.reminded,
                        resolved = ch.resolved,
                        "alerts: conditions changed"
                    );
                    sender_wake.notify_one();
                }
                if tasks > 0 {
                    tracing::info!(tasks, "alerts: DSIJ fallback task(s) opened");
                    outbox_wake.notify_one();
                    sender_wake.notify_one();
                }
            }
            Err(e) => {
                crate::internal_events::worker_step_failed("alerts scan", &e);
                crate::health::global().fail(HEALTH_CHECK, format!("alert scan failed: {e}"));
            }
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(cfg.alerts.scan_interval) => {}
        }
    }
}

/// The sender worker: mails due alerts whenever woken, and at least every scan interval
/// (retries after an SMTP outage).
pub async fn run_sender(
    journal: Journal,
    config: Arc<ArcSwap<Config>>,
    wake: Arc<Notify>,
    stop: CancellationToken,
) {
    loop {
        let cfg = config.load_full();
        if cfg.alerts.enabled
            && cfg.smtp.enabled()
            && let Err(e) = send_due(&journal, &cfg).await
        {
            crate::internal_events::worker_step_failed("alerts send round", &e);
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(cfg.alerts.scan_interval) => {}
        }
    }
}

/// Why a sender round failed.
#[derive(Debug, thiserror::Error)]
pub enum SendRoundError {
    #[error("alerts: journal: {0}")]
    Journal(#[from] crate::journal::JournalError),
    #[error("alerts: mailer: {0}")]
    Mailer(#[from] MailError),
}

/// One sender round.
pub async fn send_due(journal: &Journal, cfg: &Config) -> Result<usize, SendRoundError> {
    let now = chrono::Utc::now();
    let due = journal.read(move |c| store::due(c, now, ROUND)).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mailer = Mailer::new(&cfg.smtp)?;
    let deliveries = sender::send_round(cfg, &mailer, due, now).await;
    let n = deliveries.iter().filter(|d| d.complete).count();
    let done = chrono::Utc::now();
    journal
        .write(move |c| {
            for d in &deliveries {
                store::record(c, d, done)?;
            }
            Ok(())
        })
        .await?;
    Ok(n)
}

/// `ijgate alert test`: one mail to `to` (default: `[alerts] to`), straight through SMTP.
pub async fn send_test(cfg: &Config, to: Option<String>) -> Result<Vec<String>, MailError> {
    let to = match to {
        Some(a) => vec![a],
        None => cfg.alerts.to.clone(),
    };
    if to.is_empty() {
        return Err(MailError::Build(
            "no recipient: give --to or set [alerts] to".into(),
        ));
    }
    let mailer = Mailer::new(&cfg.smtp)?;
    let host = hostname();
    mailer
        .send(&Mail {
            from: cfg.alerts.from.clone(),
            to: to.clone(),
            subject: "[ijgate] TEST : message d'alerte".into(),
            text: format!(
                "Ceci est un message de test envoyé par ijgate depuis {host} le {}.\n\
                 Si vous le lisez, les alertes vous parviennent.\n",
                compose::paris_time(chrono::Utc::now())
            ),
        })
        .await?;
    for a in &to {
        crate::metrics::alert_sent("test", a);
    }
    Ok(to)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "this host".into())
}
