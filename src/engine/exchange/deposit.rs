//! Sending deposits and reconciling the ones whose answer was lost.
//!
//! Each deposit has its own retry time (`next_attempt_at`): a declaration whose deposits keep
//! failing waits alone, the worker goes on with the others (no global stall).

use chrono::{NaiveDateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use super::Exchange;
use super::decide::{self, DeclEvent, DepositEvent, DepositState, ListingVerdict};
use super::store::{
    DepositRow, FaultKind, deposit_next, fail, load_deposit, move_decl, record_answer,
    record_deposited, record_failure,
};
use crate::formats::listing::{DepositEntry, split_windows};
use crate::formats::rapport::Rapport;
use crate::formats::signalement::{self, DeclType, Nature};
use crate::journal::{JournalError, now};
use crate::model::Stoppage;

const DEPOSIT_STATES_ACTIVE: &str = "'pending','depositing','uncertain'";

/// Outcome of claiming a deposit for sending.
enum Claim {
    Send { file: Vec<u8>, row: Box<DepositRow> },
    Skip,
}

/// What reconciliation learnt from the peer.
enum Look {
    Verdict(ListingVerdict),
    Found(String),
    /// Candidates exist, none confirmed as ours yet.
    Unconfirmed,
    /// The listing could not be read (error kind).
    Failed(String),
}

fn rfc3339_in(delay: Duration) -> String {
    (Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Exchange {
    /// Deposits due now, oldest first, never two of the same declaration at once.
    async fn due(&self, limit: usize) -> Result<Vec<(i64, DepositState)>, JournalError> {
        self.journal
            .read(move |c| {
                let sql = format!(
                    "SELECT d.id, d.state FROM deposits d
                     WHERE d.state IN ('pending','uncertain') AND d.next_attempt_at <= ?1
                       AND NOT EXISTS (SELECT 1 FROM deposits e WHERE e.target_declaration_id = d.target_declaration_id
                                       AND e.id < d.id AND e.state IN ({DEPOSIT_STATES_ACTIVE}))
                     ORDER BY d.id LIMIT ?2"
                );
                let mut stmt = c.prepare_cached(&sql)?;
                let rows = stmt
                    .query_map(params![now(), limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    /// Runs the deposit worker until cancelled.
    pub async fn run_deposits(self, stop: CancellationToken) {
        if let Err(e) = self.recover().await {
            crate::internal_events::worker_step_failed("deposit recovery", &e);
        }
        let mut tasks = tokio::task::JoinSet::new();
        let mut busy: HashSet<i64> = HashSet::new();
        loop {
            if stop.is_cancelled() {
                break;
            }
            // Reap finished calls first so that the count below is of calls really in flight.
            while let Some(done) = tasks.try_join_next() {
                if let Ok(id) = done {
                    busy.remove(&id);
                }
            }
            let concurrency = self.config.load().netent.concurrency.max(1);
            let mut started = 0;
            if tasks.len() < concurrency {
                match self.due(concurrency * 4).await {
                    Ok(rows) => {
                        for (id, state) in rows {
                            if tasks.len() >= concurrency {
                                break;
                            }
                            if !busy.insert(id) {
                                continue;
                            }
                            let this = self.clone();
                            started += 1;
                            tasks.spawn(async move {
                                let r = if state == DepositState::Uncertain {
                                    this.reconcile(id).await
                                } else {
                                    this.deposit(id).await
                                };
                                if let Err(e) = r {
                                    crate::internal_events::worker_step_failed(
                                        &format!("deposit {id}"),
                                        &e,
                                    );
                                }
                                id
                            });
                        }
                    }
                    Err(e) => crate::internal_events::journal_read_failed("due deposits", &e),
                }
            }
            if started > 0 && tasks.len() < concurrency {
                continue;
            }
            tokio::select! {
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Ok(id) = done { busy.remove(&id); }
                }
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = stop.cancelled() => break,
            }
        }
        // Finish the calls in flight so their outcome is journaled before exiting.
        while tasks.join_next().await.is_some() {}
    }

    /// Freezes the file and marks the deposit `depositing` (committed before the HTTP call).
    async fn claim(&self, id: i64) -> Result<Claim, JournalError> {
        let cfg = self.config.load_full();
        self.journal
            .write(move |c| {
                let at = now();
                let Some(mut row) = load_deposit(c, id)? else { return Ok(Claim::Skip) };
                if row.state != DepositState::Pending {
                    return Ok(Claim::Skip);
                }
                let file = match row.file.clone() {
                    Some(f) => f,
                    None => {
                        // Replace/cancel point at the latest flux registered for the target.
                        let prev: Option<String> = c
                            .prepare_cached(
                                "SELECT idflux FROM deposits WHERE target_declaration_id = ?1 AND id < ?2 AND idflux IS NOT NULL
                                 ORDER BY id DESC LIMIT 1",
                            )?
                            .query_row(params![row.target, row.id], |r| r.get(0))
                            .optional()?;
                        let mut decl_type = match row.decl_type.as_str() {
                            "03" => DeclType::Replace,
                            "04" => DeclType::Cancel,
                            _ => DeclType::Normal,
                        };
                        if prev.is_none() && decl_type != DeclType::Normal {
                            if decl_type == DeclType::Cancel {
                                // Nothing ever registered: nothing to cancel at CPAM.
                                let to = deposit_next(&row, DepositEvent::Withdraw)?;
                                c.execute("UPDATE deposits SET state = ?3, updated_at = ?2 WHERE id = ?1", params![id, at, to])?;
                                let detail = json!({"reason": "the stoppage was never registered: nothing to cancel"}).to_string();
                                move_decl(c, row.declaration_id, DeclEvent::Cancelled, "cancelled", Some(&detail), &at)?;
                                move_decl(c, row.target, DeclEvent::Cancelled, "cancelled", Some(&detail), &at)?;
                                return Ok(Claim::Skip);
                            }
                            decl_type = DeclType::Normal;
                            c.execute("UPDATE deposits SET decl_type = '01' WHERE id = ?1", [id])?;
                        }
                        let stoppage: Stoppage =
                            serde_json::from_str(&row.payload).map_err(|e| JournalError::Data(e.to_string()))?;
                        let nature = if row.nature == "05" { Nature::Reprise } else { Nature::Arret };
                        let Some(employer) = cfg.employer(stoppage.siret.as_str()) else {
                            return fail(c, &row, "config", "the employer is no longer configured", &at).map(|_| Claim::Skip);
                        };
                        let spec = signalement::Spec {
                            nature,
                            decl_type,
                            ordre: row.id,
                            identifiant_metier: &row.ident,
                            replaces_idflux: prev.as_deref(),
                            created: Utc::now().date_naive(),
                            stoppage: &stoppage,
                        };
                        let envoi = signalement::Envoi {
                            emitter: cfg.declarant.emitter(),
                            establishment: employer.establishment(),
                            software_version: env!("CARGO_PKG_VERSION"),
                        };
                        match signalement::build(&spec, &envoi) {
                            Ok(f) => {
                                c.execute("UPDATE deposits SET file = ?2, replaces_idflux = ?3 WHERE id = ?1", params![id, f, prev])?;
                                f
                            }
                            Err(e) => return fail(c, &row, "build", &e.to_string(), &at).map(|_| Claim::Skip),
                        }
                    }
                };
                let to = deposit_next(&row, DepositEvent::Claim)?;
                row.attempts += 1;
                row.test = decide::is_essai(&file);
                c.execute(
                    "UPDATE deposits SET state = ?4, attempts = ?2, sent_at = ?3, updated_at = ?3, test = ?5, absent_checks = 0
                     WHERE id = ?1",
                    params![id, row.attempts, at, to, row.test],
                )?;
                row.state = to;
                row.sent_at = Some(at.clone());
                move_decl(c, row.declaration_id, DeclEvent::Claimed, "depositing",
                    Some(&json!({"deposit": id, "attempt": row.attempts, "identifiant_metier": row.ident, "test": row.test}).to_string()), &at)?;
                Ok(Claim::Send { file, row: Box::new(row) })
            })
            .await
    }

    /// Sends one pending deposit and journals the answer.
    pub(super) async fn deposit(&self, id: i64) -> Result<(), JournalError> {
        let Claim::Send { file, row } = self.claim(id).await? else {
            return Ok(());
        };
        let result = self.client.deposit_with_raw(&file).await;
        let cfg = self.config.load_full();
        let max_attempts = i64::from(cfg.netent.max_attempts);
        let res = match result {
            Ok((answer, raw)) => {
                self.peer_ok();
                if matches!(
                    answer,
                    crate::formats::rapport::DepositAnswer::Rejected { .. }
                ) {
                    crate::metrics::deposit_failed("rejected", &"ARE");
                }
                self.journal
                    .write(move |c| record_answer(c, &row, answer, &raw))
                    .await
            }
            Err(e) => {
                self.peer_failed(&e);
                crate::metrics::deposit_failed(e.kind(), &e);
                if super::is_malformed(e.kind()) {
                    self.fault("deposer-dsn", e.kind(), e.to_string(), FaultKind::Event)
                        .await;
                }
                let landed = e.deposit_may_have_landed();
                // Per deposit: its own attempts, its own time; the others go on meanwhile.
                // An uncertain one is looked up after the listing had time to show it.
                let delay = if landed {
                    self.policy().min_age
                } else {
                    decide::retry_delay(
                        cfg.netent.retry_initial,
                        cfg.netent.retry_max,
                        row.attempts - 1,
                        rand::random_range(0.8..1.2),
                        e.retry_after(),
                    )
                };
                // The failure itself was logged and counted by `deposit_failed` above.
                tracing::info!(
                    deposit = id,
                    kind = e.kind(),
                    may_have_landed = landed,
                    "exchange: deposit retry scheduled"
                );
                self.journal
                    .write(move |c| record_failure(c, &row, &e, landed, delay, max_attempts))
                    .await
            }
        };
        self.outbox_wake.notify_one();
        res
    }

    /// Decides whether an `uncertain` deposit reached net-entreprises (see
    /// [`decide::judge_listing`] for the assumptions).
    pub(super) async fn reconcile(&self, id: i64) -> Result<(), JournalError> {
        let Some(row) = self.journal.read(move |c| load_deposit(c, id)).await? else {
            return Ok(());
        };
        if row.state != DepositState::Uncertain {
            return Ok(());
        }
        let sent = row
            .sent_at
            .as_deref()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.naive_utc());
        let Some(sent) = sent else {
            // Never sent (no sending time): nothing can have landed.
            return self
                .journal
                .write(move |c| {
                    let to = deposit_next(&row, DepositEvent::Absent)?;
                    c.execute("UPDATE deposits SET state = ?2, next_attempt_at = ?3, absent_checks = 0 WHERE id = ?1",
                        params![row.id, to, now()])?;
                    Ok(())
                })
                .await;
        };
        let around = self.api_time(sent);
        let policy = self.policy();
        let known: HashSet<String> = self
            .journal
            .read(|c| {
                let mut stmt =
                    c.prepare_cached("SELECT idflux FROM deposits WHERE idflux IS NOT NULL")?;
                let v = stmt
                    .query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<HashSet<_>, _>>()?;
                Ok(v)
            })
            .await?;
        let look = self
            .look_for_deposit(around, &row.ident, &known, row.absent_checks, &policy)
            .await;
        let cfg = self.config.load_full();
        let max_attempts = i64::from(cfg.netent.max_attempts);
        let api_now = self.api_now();
        let res = self
            .journal
            .write(move |c| {
                let at = now();
                // The row may have moved since it was read (an operator, another pass).
                let Some(row) = load_deposit(c, row.id)? else { return Ok(()) };
                if row.state != DepositState::Uncertain {
                    return Ok(());
                }
                let later = |c: &rusqlite::Connection, delay: Duration, checks: u32, kind: Option<&str>, attempt: bool| {
                    let to = deposit_next(&row, DepositEvent::StillUnsure)?;
                    c.execute(
                        "UPDATE deposits SET state = ?6, next_attempt_at = ?2, absent_checks = ?3,
                                last_error_kind = COALESCE(?4, last_error_kind), attempts = attempts + ?5, updated_at = ?7
                         WHERE id = ?1",
                        params![row.id, rfc3339_in(delay), checks, kind, i64::from(attempt), to, at],
                    )?;
                    Ok::<(), JournalError>(())
                };
                match look {
                    Look::Found(idflux) => {
                        tracing::info!(deposit = row.id, %idflux, "exchange: uncertain deposit found at net-entreprises");
                        record_deposited(c, &row, &idflux, None, true, &at)
                    }
                    Look::Verdict(ListingVerdict::Absent) => {
                        // Absent as long and as often as the policy requires: sending again
                        // cannot make a duplicate.
                        let to = deposit_next(&row, DepositEvent::Absent)?;
                        c.execute("UPDATE deposits SET state = ?3, next_attempt_at = ?2, absent_checks = 0, updated_at = ?2 WHERE id = ?1",
                            params![row.id, at, to])?;
                        crate::journal::store::add_history(c, row.declaration_id, "reconciled_not_found", None, None,
                            Some(&json!({"deposit": row.id, "checks": row.absent_checks + 1}).to_string()), &at)
                    }
                    Look::Verdict(ListingVerdict::TooEarly { recheck_at }) => {
                        let wait = (recheck_at - api_now).to_std().unwrap_or_default();
                        later(c, wait.max(policy.recheck_interval.min(Duration::from_secs(1))), row.absent_checks, None, false)
                    }
                    Look::Verdict(ListingVerdict::AbsentOnce { checks }) => {
                        later(c, policy.recheck_interval, checks, None, false)
                    }
                    Look::Verdict(ListingVerdict::Candidates(_)) | Look::Unconfirmed => {
                        if row.attempts >= max_attempts {
                            return fail(c, &row, "unconfirmed", "deposit could not be confirmed nor ruled out", &at);
                        }
                        let delay = decide::retry_delay(cfg.netent.retry_initial, cfg.netent.retry_max,
                            row.attempts.min(6), rand::random_range(0.8..1.2), None);
                        later(c, delay.max(policy.recheck_interval), 0, Some("unconfirmed"), true)
                    }
                    Look::Failed(kind) => {
                        if row.attempts >= max_attempts {
                            return fail(c, &row, &kind, "deposit could not be confirmed nor ruled out", &at);
                        }
                        let delay = decide::retry_delay(cfg.netent.retry_initial, cfg.netent.retry_max,
                            row.attempts.min(6), rand::random_range(0.8..1.2), None);
                        // A failed look says nothing: the absent count starts again.
                        later(c, delay, 0, Some(&kind), true)
                    }
                }
            })
            .await;
        self.outbox_wake.notify_one();
        res
    }

    /// Reads `lister-depots` over the deposit's window and, for candidates, their returns (which
    /// name the identifiant métier).
    async fn look_for_deposit(
        &self,
        around: NaiveDateTime,
        ident: &str,
        known: &HashSet<String>,
        absent_before: u32,
        policy: &decide::ReconcilePolicy,
    ) -> Look {
        let (start, end) = decide::reconcile_window(around, policy);
        // Never ask for the future beyond the peer's possible clock.
        let tol = chrono::Duration::from_std(policy.clock_tolerance).unwrap_or_default();
        let end = end.min(self.api_now() + tol);
        let mut listed: Vec<DepositEntry> = Vec::new();
        for (a, b) in split_windows(start, end) {
            match self.client.list_deposits(a, b).await {
                Ok(l) => {
                    self.peer_ok();
                    listed.extend(l.depots);
                }
                Err(e) => {
                    self.peer_failed(&e);
                    if super::is_malformed(e.kind()) {
                        self.fault(
                            "lister-depots",
                            e.kind(),
                            e.to_string(),
                            FaultKind::Standing,
                        )
                        .await;
                    }
                    return Look::Failed(e.kind().to_string());
                }
            }
        }
        self.service_ok("lister-depots").await;
        let verdict = decide::judge_listing(
            around,
            self.api_now(),
            &listed,
            known,
            absent_before,
            policy,
        );
        let ListingVerdict::Candidates(candidates) = &verdict else {
            return Look::Verdict(verdict);
        };
        // A candidate whose report names other identifiants métier (and not ours) is somebody
        // else's deposit: typically another deposit whose answer was lost in the same crash.
        // Ruled out, it no longer hides our absence; otherwise an unsent deposit would wait,
        // "unconfirmed", until its neighbours are reconciled, and could run out of attempts.
        let mut ruled_out = known.clone();
        let mut open = 0usize;
        for idflux in candidates {
            let returns = match self.client.list_returns_flux(idflux).await {
                Ok(r) => r,
                Err(e) => return Look::Failed(e.kind().to_string()),
            };
            let mut others = false;
            for (flux, entry) in returns.entries() {
                if entry.nature == "10" {
                    continue;
                }
                if let Ok(doc) = self.client.download_return(flux, entry).await
                    && let Ok(r) = Rapport::parse(&doc)
                {
                    let named = r.identifiants_metier();
                    if named.contains(&ident) {
                        return Look::Found(idflux.clone());
                    }
                    others |= !named.is_empty();
                }
            }
            if others {
                ruled_out.insert(idflux.clone());
            } else {
                open += 1;
            }
        }
        if open > 0 {
            return Look::Unconfirmed;
        }
        // Every candidate belongs to somebody else: judge the listing without them.
        Look::Verdict(decide::judge_listing(
            around,
            self.api_now(),
            &listed,
            &ruled_out,
            absent_before,
            policy,
        ))
    }
}
