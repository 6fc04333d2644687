//! The CPAM exchange workers: deposit queued signalements, follow their returns, fetch BPIJ.
//!
//! Exactly-once deposit: a deposit is marked `depositing` (and its file frozen) in a committed
//! transaction *before* the HTTP call. If ijgate dies during the call, or the call ends in a way
//! that may have reached net-entreprises (timeout, reset, 5xx), the deposit becomes `uncertain`
//! and is **reconciled** through `lister-depots` (and the returns of the candidates, which name
//! the identifiant métier) before anything is sent again; the assumptions that decision rests
//! on (listing lag, statuses, clocks) are written where it is made, in [`decide`].
//!
//! Exactly-once returns: a return is applied under its key (idflux, nature, return id, content
//! hash) in one journal job with everything it causes (history, notices, insurer messages).
//!
//! Modules: [`decide`] (pure decisions over typed states), [`deposit`] (sending and
//! reconciliation), [`returns`] (listings and returns), [`bpij`] (payment slips), [`store`]
//! (SQL). States and their transition tables: [`decide::DepositState`], [`decide::DeclState`].

pub mod bpij;
pub mod decide;
pub mod deposit;
pub mod outcome;
pub mod returns;
pub mod store;

use arc_swap::ArcSwap;
use chrono::{NaiveDateTime, Utc};
use std::sync::Arc;
use tokio::sync::Notify;

use crate::channels::netent::{NetEntClient, NetEntError};
use crate::config::Config;
use crate::journal::{Journal, JournalError, now};

pub use returns::notice_kind;
use store::FaultKind;

/// Handles shared by the workers.
#[derive(Clone)]
pub struct Exchange {
    pub journal: Journal,
    pub config: Arc<ArcSwap<Config>>,
    pub client: Arc<NetEntClient>,
    /// Woken when deposits are queued.
    pub wake: Arc<Notify>,
    pub outbox_wake: Arc<Notify>,
    /// Woken when BPIJ are stored (the insurer worker dispatches them).
    pub insurer_wake: Arc<Notify>,
    /// net-entreprises speaks French local time; the sandbox speaks UTC.
    pub paris_time: bool,
}

/// Health check name: net-entreprises (or the sandbox) answered recently.
pub const PEER_CHECK: &str = "netent_peer";

/// Error kinds raised as a fault alert: the peer answered something we cannot read (the
/// client's `bad_answer`, and the finer `bad_listing` of the rewritten client), or refuses us
/// in a way no retry heals (`not_enrolled`: the user is not enrolled for the service).
pub fn is_malformed(kind: &str) -> bool {
    matches!(
        kind,
        "bad_answer" | "bad_listing" | "unsupported_encoding" | "not_enrolled"
    )
}

impl Exchange {
    fn api_time(&self, utc: NaiveDateTime) -> NaiveDateTime {
        if self.paris_time {
            utc.and_utc()
                .with_timezone(&chrono_tz::Europe::Paris)
                .naive_local()
        } else {
            utc
        }
    }

    fn api_now(&self) -> NaiveDateTime {
        self.api_time(Utc::now().naive_utc())
    }

    /// The peer answered: `/healthz` shows when it last did.
    fn peer_ok(&self) {
        let max_age = self.config.load().netent.declarant_poll_interval * 3;
        crate::health::global().pass_with(PEER_CHECK, format!("last answer at {}", now()), max_age);
    }

    fn peer_failed(&self, e: &NetEntError) {
        if e.is_transient() {
            crate::health::global().fail(
                PEER_CHECK,
                format!("net-entreprises unreachable: {}", e.kind()),
            );
        }
    }

    /// Reconciliation settings from `[netent]`.
    fn policy(&self) -> decide::ReconcilePolicy {
        let cfg = self.config.load();
        decide::ReconcilePolicy {
            min_age: cfg.netent.reconcile_min_age,
            rechecks: cfg.netent.reconcile_rechecks,
            recheck_interval: cfg.netent.reconcile_recheck_interval,
            clock_tolerance: cfg.netent.clock_tolerance,
            request_timeout: cfg.netent.request_timeout,
        }
    }

    /// Records a fault of `service` (one alert per service and cause while it lasts).
    async fn fault(&self, service: &str, cause: &str, detail: String, kind: FaultKind) {
        crate::internal_events::peer_fault(service, cause, &detail);
        let (s, c) = (service.to_string(), cause.to_string());
        if let Err(e) = self
            .journal
            .write(move |conn| store::record_fault(conn, &s, &c, &detail, kind, &now()))
            .await
        {
            crate::internal_events::journal_write_failed("fault", &e);
        }
    }

    /// `service` answered well: its standing faults are over.
    async fn service_ok(&self, service: &'static str) {
        let _ = self
            .journal
            .write(move |conn| store::clear_faults(conn, service, &now()))
            .await;
    }

    /// At start: a deposit left `depositing` by a crash may or may not have been received.
    pub async fn recover(&self) -> Result<usize, JournalError> {
        self.journal
            .write(|c| {
                let at = now();
                let n = c.execute(
                    "UPDATE deposits SET state = 'uncertain', absent_checks = 0, next_attempt_at = ?1, updated_at = ?1
                     WHERE state = 'depositing'",
                    [&at],
                )?;
                Ok(n)
            })
            .await
    }
}
