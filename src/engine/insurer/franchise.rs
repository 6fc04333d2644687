//! The franchise trigger and the insurer worker.
//!
//! A stoppage's guarantee day is `first_day + franchise_days` (first_day is the day after
//! the last day worked); its `due_at` is 00:00 Europe/Paris that day, or the moment a return or a
//! cancellation makes it surely below the franchise. At due time the insurer gets
//! `guarantee_start` when the employee is still off work on the guarantee day, else
//! `below_franchise` (ended — by a return, or an expected end not prolonged — or cancelled).
//!
//! Exactly once across restarts: the message is queued and `fired_at` set in one journal
//! transaction, guarded by `fired_at IS NULL`; a crash before the commit fires it again at the
//! next start, after it never.
//!
//! The worker also dispatches BPIJ ([`super::bpij`]). It wakes on its `Notify` (after an
//! ingest or a stored BPIJ), at the earliest due time, and every [`FALLBACK`] (BPIJ stored
//! by the API poller).

use arc_swap::ArcSwap;
use rusqlite::{Connection, params};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{View, link_row, load_view};
use crate::config::Config;
use crate::formats::insurer as fmt;
use crate::journal::{Journal, JournalError, now, store};
use crate::prevoyance::PrevoyanceContract;

/// Longest sleep without being woken.
pub const FALLBACK: Duration = Duration::from_secs(30);

/// Prévoyance contracts by (insurer code, contract reference), for the complement.
pub type Contracts = HashMap<(String, String), PrevoyanceContract>;

/// Fires every franchise due at `at`; returns how many messages were queued.
pub fn fire_due(conn: &Connection, at: &str, contracts: &Contracts) -> Result<usize, JournalError> {
    let links = conn
        .prepare_cached(
            "SELECT id, siret, hr_ref, insurer_code, insurer_name, employer_name, contract_ref, franchise_days,
                    first_day, guarantee_date, fired_kind
             FROM insurer_stoppages WHERE fired_at IS NULL AND due_at <= ?1 ORDER BY due_at LIMIT 256",
        )?
        .query_map([at], link_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let mut fired = 0;
    for l in links {
        let view: Option<View> = load_view(conn, &l.siret, &l.hr_ref)?;
        let kind = match &view {
            Some(v) if !v.below_at_due(l.guarantee_date) => fmt::MessageKind::GuaranteeStart,
            _ => fmt::MessageKind::BelowFranchise,
        };
        let changed = conn
            .prepare_cached(
                "UPDATE insurer_stoppages SET fired_kind = ?2, fired_at = ?3, updated_at = ?3 WHERE id = ?1 AND fired_at IS NULL",
            )?
            .execute(params![l.id, kind.as_str(), at])?;
        if changed == 0 {
            continue;
        }
        let Some(view) = view else {
            continue;
        };
        let paid = paid_ijss(conn, view.arret_id)?;
        let guarantee = (kind == fmt::MessageKind::GuaranteeStart).then(|| fmt::Guarantee {
            date: l.guarantee_date,
            complement: contracts
                .get(&(l.insurer_code.clone(), l.contract_ref.clone()))
                .and_then(
                    |pc| match super::complement::compute(&l, &view, pc, &paid) {
                        Ok(c) => Some(c),
                        Err(e) => {
                            crate::internal_events::complement_unavailable(
                                &l.insurer_code,
                                &l.hr_ref,
                                &e,
                            );
                            None
                        }
                    },
                ),
        });
        super::enqueue_message(conn, &l, &view, view.arret_id, kind, guarantee, at)?;
        let detail = serde_json::json!({"insurer": l.insurer_code, "guarantee_date": l.guarantee_date.to_string()}).to_string();
        store::add_history(
            conn,
            view.arret_id,
            kind.as_str(),
            None,
            None,
            Some(&detail),
            at,
        )?;
        fired += 1;
    }
    Ok(fired)
}

/// IJSS paid for a stoppage according to its dispatched BPIJ lines.
pub(crate) fn paid_ijss(
    conn: &Connection,
    arret_id: i64,
) -> Result<Vec<super::complement::PaidIjss>, JournalError> {
    let rows = conn
        .prepare_cached(
            "SELECT period_start, period_end, gross, days FROM bpij_lines
             WHERE declaration_id = ?1 AND period_start IS NOT NULL AND period_end IS NOT NULL ORDER BY id",
        )?
        .query_map([arret_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let dec = |s: &str| s.parse::<rust_decimal::Decimal>().ok();
    Ok(rows
        .iter()
        .filter_map(|(a, b, g, n)| Some((date(a)?, date(b)?, dec(g)?, dec(n)?)))
        .collect())
}

/// The earliest unfired due time.
pub fn next_due(conn: &Connection) -> Result<Option<String>, JournalError> {
    Ok(conn
        .prepare_cached("SELECT MIN(due_at) FROM insurer_stoppages WHERE fired_at IS NULL")?
        .query_row([], |r| r.get(0))?)
}

/// Runs until cancelled: fires franchises and dispatches BPIJ.
pub async fn run(
    journal: Journal,
    config: Arc<ArcSwap<Config>>,
    wake: Arc<Notify>,
    outbox_wake: Arc<Notify>,
    stop: CancellationToken,
) {
    let mut first = true;
    loop {
        // One instant for the check and the pass: what is due is exactly what the contracts
        // were loaded for.
        let at = now();
        let due_now = journal
            .read(next_due)
            .await
            .ok()
            .flatten()
            .is_some_and(|t| t <= at);
        // Contract files are read only when something is due (the operator may edit them),
        // or when a BPIJ may change a complement already sent (complement_update).
        let due_now = due_now
            || journal
                .read(super::complement_update::may_be_needed)
                .await
                .unwrap_or(false);
        let contracts = if due_now {
            super::config::prevoyance_contracts(&config.load().insurers)
        } else {
            Contracts::new()
        };
        let work = journal
            .write(move |c| {
                Ok(fire_due(c, &at, &contracts)?
                    + super::bpij::dispatch_pending(c, &at)?
                    + super::complement_update::recompute(c, &at, &contracts)?)
            })
            .await;
        match work {
            Ok(n) if n > 0 => {
                tracing::info!(queued = n, "insurer: messages queued");
                outbox_wake.notify_one();
            }
            Ok(_) => {}
            Err(e) => crate::internal_events::worker_step_failed("insurer", &e),
        }
        if std::mem::take(&mut first) {
            // Tests and operators can tell that due franchises were looked at after a start.
            tracing::info!("insurer: first pass done");
        }
        let next = journal.read(next_due).await.ok().flatten();
        let sleep = next
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| {
                (t.with_timezone(&chrono::Utc) - chrono::Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
            })
            .map_or(FALLBACK, |d| d.min(FALLBACK));
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(sleep.max(Duration::from_millis(50))) => {}
            _ = stop.cancelled() => return,
        }
    }
}
