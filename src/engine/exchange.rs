//! The CPAM exchange workers: deposit queued signalements, follow their returns, fetch BPIJ.
//!
//! Exactly-once deposit: a deposit is marked `depositing` (and its file frozen) in a committed
//! transaction *before* the HTTP call. If ijgate dies during the call, or the call ends in a way
//! that may have reached net-entreprises (timeout, reset, 5xx), the deposit becomes `uncertain`
//! and is **reconciled** through `lister-depots` (and the returns of the candidates, which name
//! the identifiant métier) before anything is sent again: found → recorded as deposited; no
//! candidate that is not already ours → safe to send again; otherwise wait and look again.
//!
//! Deposit states: pending → depositing → deposited | rejected (ARE) | failed (permanent error or
//! too many attempts) | uncertain → …; withdrawn (superseded before being sent).
//! Declaration states follow: queued → depositing → deposited (AEE) → acknowledged (30) →
//! accepted | refused (31 KO) | documents_requested | dsij_fallback (21); rejected; failed.

use arc_swap::ArcSwap;
use chrono::{NaiveDateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::channels::netent::{NetEntClient, NetEntError};
use crate::config::Config;
use crate::formats::listing::{ReturnEntry, split_windows};
use crate::formats::rapport::{Anomaly, DepositAnswer, Rapport, ReturnOutcome, Statut};
use crate::formats::signalement::{self, DeclType, Nature};
use crate::journal::{Journal, JournalError, now, store};
use crate::model::Stoppage;

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

const DEPOSIT_STATES_ACTIVE: &str = "'pending','depositing','uncertain'";

/// Rank of a declaration state: a return never moves a declaration backwards (a late 30
/// after the 31 does not undo "accepted"); same-rank changes are allowed (overwritten returns).
fn rank(state: &str) -> u8 {
    match state {
        "validated" | "queued" | "depositing" | "uncertain" => 0,
        "deposited" => 1,
        "acknowledged" => 2,
        _ => 3,
    }
}

/// The declaration state a return leads to, if any.
fn state_for(outcome: &ReturnOutcome) -> Option<&'static str> {
    use crate::formats::rapport::Conformity;
    Some(match outcome {
        ReturnOutcome::TechnicalAccepted { .. } => "deposited",
        ReturnOutcome::TechnicalRejected { .. } => "rejected",
        ReturnOutcome::Conformity {
            status: Conformity::Ko,
            ..
        } => "rejected",
        ReturnOutcome::Conformity { .. } => return None,
        ReturnOutcome::CnamAck => "acknowledged",
        ReturnOutcome::CnamAccepted => "accepted",
        ReturnOutcome::CnamRejected { .. } => "refused",
        ReturnOutcome::DocumentsRequested { .. } => "documents_requested",
        ReturnOutcome::NonReconstitution { .. } => "dsij_fallback",
        ReturnOutcome::Info { .. } => return None,
    })
}

/// The notice kind of a return (documented in the README).
pub fn notice_kind(r: &Rapport) -> String {
    let t = r.type_code.to_ascii_uppercase();
    match (r.nature.as_deref(), t.as_str()) {
        (_, "AEE") => "AEE".into(),
        (_, "ARE") => "ARE".into(),
        (_, "CCO") => "CCO".into(),
        (_, "BAN") => "BAN".into(),
        (Some("20"), _) => "BIS".into(),
        (Some("21"), _) | (Some("22"), _) => "NON_RECONSTITUTION".into(),
        (Some("23"), _) => "TPT_CONTROL".into(),
        (Some("30"), _) | (Some("32"), _) => "AR_CNAM".into(),
        (Some("31"), _) | (Some("33"), _) | (_, "GSIJ") => "CRM_CNAM".into(),
        (Some("34"), _) => "TAUX_ATMP".into(),
        (Some("51"), _) => "CRM_OC".into(),
        (Some(n), _) => format!("RETURN_{n}"),
        (None, _) => format!("RETURN_{t}"),
    }
}

fn statut_str(s: &Statut) -> &'static str {
    match s {
        Statut::Ok => "OK",
        Statut::Ano => "ANO",
        Statut::Ko => "KO",
        Statut::EnCours => "EN COURS",
        Statut::Other(_) => "OTHER",
    }
}

/// Anomalies as forwarded (no personal identifiers).
fn anomalies_json(list: &[Anomaly]) -> serde_json::Value {
    serde_json::Value::Array(
        list.iter()
            .map(|a| {
                json!({
                    "code": a.code,
                    "message": a.message,
                    "rubric": a.rubric.as_ref().map(|r| r.id.clone()),
                    "line": a.line,
                })
            })
            .collect(),
    )
}

/// Row of a deposit being processed.
#[derive(Debug, Clone)]
struct DepositRow {
    id: i64,
    declaration_id: i64,
    target: i64,
    nature: String,
    decl_type: String,
    ident: String,
    payload: String,
    file: Option<Vec<u8>>,
    state: String,
    attempts: i64,
    sent_at: Option<String>,
}

fn load_deposit(conn: &Connection, id: i64) -> Result<Option<DepositRow>, JournalError> {
    Ok(conn
        .prepare_cached(
            "SELECT id, declaration_id, target_declaration_id, nature, decl_type, identifiant_metier, payload, file,
                    state, attempts, sent_at FROM deposits WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(DepositRow {
                id: r.get(0)?,
                declaration_id: r.get(1)?,
                target: r.get(2)?,
                nature: r.get(3)?,
                decl_type: r.get(4)?,
                ident: r.get(5)?,
                payload: r.get(6)?,
                file: r.get(7)?,
                state: r.get(8)?,
                attempts: r.get(9)?,
                sent_at: r.get(10)?,
            })
        })
        .optional()?)
}

/// Declaration facts needed for notices.
fn decl_info(conn: &Connection, id: i64) -> Result<(String, String, String), JournalError> {
    Ok(conn
        .prepare_cached("SELECT hr_ref, event, state FROM declarations WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?)
}

fn set_decl_retry(
    conn: &Connection,
    id: i64,
    attempts: i64,
    next: Option<&str>,
    kind: Option<&str>,
) -> Result<(), JournalError> {
    conn.prepare_cached("UPDATE declarations SET attempts = ?2, next_attempt_at = ?3, last_error_kind = ?4 WHERE id = ?1")?
        .execute(params![id, attempts, next, kind])?;
    Ok(())
}

/// Queues a return notice (JSON) with the raw document beside it, for the HR tool and the insurer.
#[allow(clippy::too_many_arguments)]
fn enqueue_return_notice(
    conn: &Connection,
    declaration_id: i64,
    kind: &str,
    status: &str,
    idflux: Option<&str>,
    nature: Option<&str>,
    outcome: Option<&str>,
    anomalies: serde_json::Value,
    extra: serde_json::Value,
    raw: Option<&[u8]>,
    at: &str,
) -> Result<(), JournalError> {
    let (hr_ref, event, state) = decl_info(conn, declaration_id)?;
    let stem = super::notices::stem(Some(&hr_ref), kind);
    // The insurer copy goes only to the insurer of the employee's contract; a stoppage no
    // insurer covers goes to the flat outbound/insurer/ (deployments without routing).
    let siret: String = conn.query_row(
        "SELECT siret FROM declarations WHERE id = ?1",
        [declaration_id],
        |r| r.get(0),
    )?;
    let insurer_dest = match super::insurer::link(conn, &siret, &hr_ref)? {
        Some(l) => format!("insurer/{}", l.insurer_code),
        None => "insurer".to_string(),
    };
    for dest in ["hr", insurer_dest.as_str()] {
        let raw_name = match raw {
            Some(xml) => Some(store::enqueue_notice(
                conn,
                Some(declaration_id),
                dest,
                &stem,
                "xml",
                xml,
                at,
            )?),
            None => None,
        };
        let mut notice = json!({
            "hr_ref": hr_ref, "declaration_id": declaration_id, "event": event, "kind": kind,
            "status": status, "state": state, "at": at, "idflux": idflux, "nature": nature,
            "outcome": outcome, "anomalies": anomalies, "raw": raw_name,
        });
        if let (Some(o), Some(e)) = (notice.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                o.insert(k.clone(), v.clone());
            }
        }
        let body = serde_json::to_vec_pretty(&notice).unwrap_or_default();
        match &raw_name {
            Some(x) => {
                let name = x.trim_end_matches(".xml").to_string() + ".json";
                store::enqueue_outbox(conn, Some(declaration_id), dest, &name, &body, at)?;
            }
            None => {
                store::enqueue_notice(conn, Some(declaration_id), dest, &stem, "json", &body, at)?;
            }
        }
    }
    Ok(())
}

/// Outcome of claiming a deposit for sending.
enum Claim {
    Send { file: Vec<u8>, row: Box<DepositRow> },
    Skip,
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

    fn api_now(&self) -> NaiveDateTime {
        self.api_time(Utc::now().naive_utc())
    }

    fn backoff(&self, attempts: i64, retry_after: Option<Duration>) -> Duration {
        let cfg = self.config.load();
        let exp = cfg
            .netent
            .retry_initial
            .saturating_mul(1u32 << attempts.clamp(0, 16) as u32);
        let base = exp.min(cfg.netent.retry_max);
        // ±20 % jitter so that a batch failing together does not retry together.
        let jitter = rand::random_range(0.8..1.2);
        base.mul_f64(jitter).max(retry_after.unwrap_or_default())
    }

    /// At start: a deposit left `depositing` by a crash may or may not have been received.
    pub async fn recover(&self) -> Result<usize, JournalError> {
        self.journal
            .write(|c| {
                let at = now();
                let n = c.execute(
                    "UPDATE deposits SET state = 'uncertain', next_attempt_at = ?1, updated_at = ?1 WHERE state = 'depositing'",
                    [&at],
                )?;
                Ok(n)
            })
            .await
    }

    /// Deposits due now, oldest first, never two of the same declaration at once.
    async fn due(&self, limit: usize) -> Result<Vec<(i64, String)>, JournalError> {
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
            tracing::error!(error = %e, "exchange: cannot recover in-flight deposits");
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
                                let r = if state == "uncertain" { this.reconcile(id).await } else { this.deposit(id).await };
                                if let Err(e) = r {
                                    tracing::error!(deposit = id, error = %e, "exchange: deposit step failed");
                                }
                                id
                            });
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "exchange: cannot read due deposits"),
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
                if row.state != "pending" {
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
                                c.execute("UPDATE deposits SET state = 'withdrawn', updated_at = ?2 WHERE id = ?1", params![id, at])?;
                                let detail = json!({"reason": "the stoppage was never registered: nothing to cancel"}).to_string();
                                store::transition(c, row.declaration_id, "cancelled", "cancelled", Some(&detail), &at)?;
                                store::transition(c, row.target, "cancelled", "cancelled", Some(&detail), &at)?;
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
                            declarant: &cfg.declarant,
                            employer,
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
                row.attempts += 1;
                c.execute(
                    "UPDATE deposits SET state = 'depositing', attempts = ?2, sent_at = ?3, updated_at = ?3 WHERE id = ?1",
                    params![id, row.attempts, at],
                )?;
                row.sent_at = Some(at.clone());
                store::transition(c, row.declaration_id, "depositing", "depositing",
                    Some(&json!({"deposit": id, "attempt": row.attempts, "identifiant_metier": row.ident}).to_string()), &at)?;
                Ok(Claim::Send { file, row: Box::new(row) })
            })
            .await
    }

    /// Sends one pending deposit and journals the answer.
    async fn deposit(&self, id: i64) -> Result<(), JournalError> {
        let Claim::Send { file, row } = self.claim(id).await? else {
            return Ok(());
        };
        let result = self.client.deposit_with_raw(&file).await;
        let max_attempts = i64::from(self.config.load().netent.max_attempts);
        let this = self.clone();
        let res = match result {
            Ok((answer, raw)) => {
                self.journal
                    .write(move |c| record_answer(c, &row, answer, &raw))
                    .await
            }
            Err(e) => {
                let (next_state, delay) = if e.deposit_may_have_landed() {
                    ("uncertain", this.backoff(0, None))
                } else {
                    ("pending", this.backoff(row.attempts - 1, e.retry_after()))
                };
                tracing::warn!(
                    deposit = id,
                    kind = e.kind(),
                    next_state,
                    "exchange: deposit failed"
                );
                self.journal
                    .write(move |c| record_failure(c, &row, &e, next_state, delay, max_attempts))
                    .await
            }
        };
        self.outbox_wake.notify_one();
        res
    }

    /// Decides whether an `uncertain` deposit reached net-entreprises.
    async fn reconcile(&self, id: i64) -> Result<(), JournalError> {
        let Some(row) = self.journal.read(move |c| load_deposit(c, id)).await? else {
            return Ok(());
        };
        let sent = row
            .sent_at
            .as_deref()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.naive_utc())
            .unwrap_or_else(|| Utc::now().naive_utc());
        let around = self.api_time(sent);
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
        let verdict = self.find_own_deposit(around, &row.ident, &known).await;
        let max_attempts = i64::from(self.config.load().netent.max_attempts);
        let delay = self.backoff(row.attempts.min(6), None);
        let res = self
            .journal
            .write(move |c| {
                let at = now();
                match verdict {
                    Ok(Some(idflux)) => {
                        tracing::info!(deposit = row.id, %idflux, "exchange: uncertain deposit found at net-entreprises");
                        record_deposited(c, &row, &idflux, None, true, &at)
                    }
                    Ok(None) => {
                        // No trace of it: sending again cannot make a duplicate.
                        c.execute("UPDATE deposits SET state = 'pending', next_attempt_at = ?2, updated_at = ?2 WHERE id = ?1", params![row.id, at])?;
                        store::add_history(c, row.declaration_id, "reconciled_not_found", None, None,
                            Some(&json!({"deposit": row.id}).to_string()), &at)?;
                        Ok(())
                    }
                    Err(kind) => {
                        if row.attempts >= max_attempts {
                            return fail(c, &row, &kind, "deposit could not be confirmed nor ruled out", &at);
                        }
                        let next = (Utc::now() + delay).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                        c.execute("UPDATE deposits SET next_attempt_at = ?2, last_error_kind = ?3, attempts = attempts + 1, updated_at = ?4 WHERE id = ?1",
                            params![row.id, next, kind, at])?;
                        Ok(())
                    }
                }
            })
            .await;
        self.outbox_wake.notify_one();
        res
    }

    /// `Ok(Some(idflux))` found, `Ok(None)` certainly absent, `Err(kind)` cannot tell yet.
    async fn find_own_deposit(
        &self,
        around: NaiveDateTime,
        ident: &str,
        known: &HashSet<String>,
    ) -> Result<Option<String>, String> {
        let tolerance = chrono::Duration::minutes(3);
        let mut candidates = Vec::new();
        for (a, b) in split_windows(around - tolerance, around + tolerance) {
            let listing = self
                .client
                .list_deposits(a, b)
                .await
                .map_err(|e| e.kind().to_string())?;
            let near = listing.candidates_near(around, tolerance);
            candidates.extend(
                near.into_iter()
                    .filter(|d| !known.contains(&d.idflux))
                    .map(|d| d.idflux.clone()),
            );
        }
        if candidates.is_empty() {
            return Ok(None);
        }
        for idflux in &candidates {
            let returns = self
                .client
                .list_returns_flux(idflux)
                .await
                .map_err(|e| e.kind().to_string())?;
            for (flux, entry) in returns.entries() {
                if entry.nature == "10" {
                    continue;
                }
                if let Ok(doc) = self.client.download_return(flux, entry).await
                    && let Ok(r) = Rapport::parse(&doc)
                    && r.identifiants_metier().contains(&ident)
                {
                    return Ok(Some(idflux.clone()));
                }
            }
        }
        Err("unconfirmed".into())
    }

    /// Polls the returns of recent deposits still waiting for their business answer.
    pub async fn run_flux_poller(self, stop: CancellationToken) {
        loop {
            let interval = self.config.load().netent.poll_interval;
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.cancelled() => return,
            }
            let since = (Utc::now() - chrono::Duration::days(7))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            let fluxes = self
                .journal
                .read(move |c| {
                    let mut stmt = c.prepare_cached(
                        "SELECT DISTINCT idflux FROM deposits WHERE idflux IS NOT NULL AND returns_done = 0 AND sent_at >= ?1 ORDER BY id",
                    )?;
                    let v = stmt.query_map([since], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
                    Ok(v)
                })
                .await;
            let Ok(fluxes) = fluxes else { continue };
            for idflux in fluxes {
                if stop.is_cancelled() {
                    return;
                }
                match self.client.list_returns_flux(&idflux).await {
                    Ok(listing) => {
                        self.peer_ok();
                        let entries: Vec<(String, ReturnEntry)> = listing
                            .entries()
                            .map(|(f, e)| (f.to_string(), e.clone()))
                            .collect();
                        self.process_returns(entries).await;
                    }
                    Err(e) => {
                        self.peer_failed(&e);
                        tracing::warn!(%idflux, kind = e.kind(), "exchange: cannot list returns");
                        break;
                    }
                }
            }
        }
    }

    /// Reads the declarant-wide listing in 60-minute windows from a persisted cursor.
    pub async fn run_declarant_poller(self, stop: CancellationToken) {
        loop {
            let interval = self.config.load().netent.declarant_poll_interval;
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.cancelled() => return,
            }
            match self.poll_declarant_once().await {
                Ok(_) => self.peer_ok(),
                Err(e) => {
                    self.peer_failed(&e);
                    tracing::warn!(kind = e.kind(), "exchange: declarant listing failed");
                }
            }
        }
    }

    /// One pass over the declarant listing, from the cursor to now.
    pub async fn poll_declarant_once(&self) -> Result<usize, NetEntError> {
        let now_api = self.api_now();
        let cursor: Option<String> = self
            .journal
            .read(|c| cursor(c, "retours_declarant"))
            .await
            .ok()
            .flatten();
        // First run: look one day back. Each run re-reads 5 minutes before the cursor, because a
        // return can be published with a slightly earlier timestamp than its listing time.
        let start = cursor
            .and_then(|s| NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S").ok())
            .map(|t| t - chrono::Duration::minutes(5))
            .unwrap_or(now_api - chrono::Duration::days(1));
        let mut seen = 0;
        for (a, b) in split_windows(start, now_api) {
            let listing = self.client.list_returns_declarant(a, b).await?;
            let entries: Vec<(String, ReturnEntry)> = listing
                .entries()
                .map(|(f, e)| (f.to_string(), e.clone()))
                .collect();
            seen += entries.len();
            self.process_returns(entries).await;
            let value = b.format("%Y-%m-%dT%H:%M:%S").to_string();
            let _ = self
                .journal
                .write(move |c| set_cursor(c, "retours_declarant", &value))
                .await;
        }
        Ok(seen)
    }

    /// Downloads and applies returns not seen yet (or changed since: returns can be overwritten).
    pub async fn process_returns(&self, entries: Vec<(String, ReturnEntry)>) {
        for (idflux, entry) in entries {
            let key = entry
                .id
                .clone()
                .or(entry.url.clone())
                .unwrap_or_else(|| entry.nature.clone());
            let production = entry.production.map(|p| p.to_string());
            let (i2, n2, k2, s2, p2) = (
                idflux.clone(),
                entry.nature.clone(),
                key.clone(),
                entry.statut.clone(),
                production.clone(),
            );
            let known = self
                .journal
                .read(move |c| {
                    Ok(c.prepare_cached(
                        "SELECT 1 FROM returns WHERE idflux = ?1 AND nature = ?2 AND return_id = ?3
                         AND statut IS ?4 AND production IS ?5",
                    )?
                    .query_row(params![i2, n2, k2, s2, p2], |_| Ok(()))
                    .optional()?
                    .is_some())
                })
                .await
                .unwrap_or(false);
            if known {
                continue;
            }
            let doc = match self.client.download_return(&idflux, &entry).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(%idflux, nature = %entry.nature, kind = e.kind(), "exchange: cannot download a return");
                    continue;
                }
            };
            let res = self
                .journal
                .write(move |c| apply_return(c, &idflux, &entry, &key, production.as_deref(), &doc))
                .await;
            if let Err(e) = res {
                tracing::error!(error = %e, "exchange: cannot journal a return");
            }
        }
        self.outbox_wake.notify_one();
    }

    /// Lists and downloads BPIJ for every configured establishment (dispatch is separate).
    pub async fn run_bpij_poller(self, stop: CancellationToken) {
        loop {
            match self.poll_bpij_once().await {
                Ok(_) => self.peer_ok(),
                Err(e) => {
                    self.peer_failed(&e);
                    tracing::warn!(kind = e.kind(), "exchange: BPIJ listing failed");
                }
            }
            let interval = self.config.load().netent.bpij_poll_interval;
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.cancelled() => return,
            }
        }
    }

    /// One pass of BPIJ retrieval; returns how many new BPIJ were stored.
    pub async fn poll_bpij_once(&self) -> Result<usize, NetEntError> {
        let sirets: Vec<String> = self
            .config
            .load()
            .employers
            .iter()
            .map(|e| e.siret.clone())
            .collect();
        let today = self.api_now().date();
        let mut stored = 0;
        for siret in sirets {
            let name = format!("bpij:{siret}");
            let n2 = name.clone();
            let from = self
                .journal
                .read(move |c| cursor(c, &n2))
                .await
                .ok()
                .flatten()
                .and_then(|s| chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
                .unwrap_or(today - chrono::Days::new(30));
            let mut page = 1;
            loop {
                let listing = self
                    .client
                    .list_bpij(from, Some(today), Some(&siret), Some(page))
                    .await?;
                for (declare_siret, link) in listing.links() {
                    let url = link.url.clone();
                    let u2 = url.clone();
                    let seen = self
                        .journal
                        .read(move |c| {
                            Ok(
                                c.query_row("SELECT 1 FROM bpij WHERE ref = ?1", [&u2], |_| Ok(()))
                                    .optional()?
                                    .is_some(),
                            )
                        })
                        .await
                        .unwrap_or(false);
                    if seen {
                        continue;
                    }
                    let xml = self.client.download_bpij(&url).await?;
                    if let Err(e) = crate::formats::bpij::Bpij::parse(&xml) {
                        tracing::warn!(%url, error = %e, "exchange: downloaded BPIJ does not parse; kept for inspection");
                    }
                    let s = declare_siret.to_string();
                    let inserted = self
                        .journal
                        .write(move |c| {
                            use sha2::{Digest, Sha256};
                            let sha = hex::encode(Sha256::digest(&xml));
                            Ok(c.execute(
                                "INSERT OR IGNORE INTO bpij (source, ref, sha256, siret, xml, fetched_at) VALUES ('api', ?1, ?2, ?3, ?4, ?5)",
                                params![url, sha, s, xml, now()],
                            )?)
                        })
                        .await
                        .unwrap_or(0);
                    stored += inserted;
                }
                match listing.page_total {
                    Some(total) if page < total => page += 1,
                    _ => break,
                }
            }
            // Re-read the last day next time: a BPIJ can be published later in the day.
            let value = (today - chrono::Days::new(1))
                .format("%Y-%m-%d")
                .to_string();
            let _ = self
                .journal
                .write(move |c| set_cursor(c, &name, &value))
                .await;
        }
        if stored > 0 {
            tracing::info!(stored, "exchange: BPIJ retrieved");
            self.insurer_wake.notify_one();
        }
        Ok(stored)
    }
}

fn cursor(c: &Connection, name: &str) -> Result<Option<String>, JournalError> {
    Ok(
        c.query_row("SELECT value FROM cursors WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?,
    )
}

fn set_cursor(c: &Connection, name: &str, value: &str) -> Result<(), JournalError> {
    c.execute(
        "INSERT INTO cursors (name, value) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        params![name, value],
    )?;
    Ok(())
}

fn fail(
    c: &Connection,
    row: &DepositRow,
    kind: &str,
    message: &str,
    at: &str,
) -> Result<(), JournalError> {
    c.execute(
        "UPDATE deposits SET state = 'failed', last_error_kind = ?2, last_error = ?3, updated_at = ?4 WHERE id = ?1",
        params![row.id, kind, message, at],
    )?;
    set_decl_retry(c, row.declaration_id, row.attempts, None, Some(kind))?;
    store::transition(
        c,
        row.declaration_id,
        "failed",
        "failed",
        Some(&json!({"deposit": row.id, "kind": kind, "message": message}).to_string()),
        at,
    )?;
    enqueue_return_notice(
        c,
        row.declaration_id,
        "DEPOSIT_FAILED",
        "KO",
        None,
        None,
        Some("failed"),
        json!([{"code": kind, "message": message}]),
        json!({}),
        None,
        at,
    )
}

fn record_failure(
    c: &Connection,
    row: &DepositRow,
    e: &NetEntError,
    next_state: &str,
    delay: Duration,
    max_attempts: i64,
) -> Result<(), JournalError> {
    let at = now();
    if !e.is_transient() {
        return fail(c, row, e.kind(), &e.to_string(), &at);
    }
    if row.attempts >= max_attempts && next_state == "pending" {
        return fail(
            c,
            row,
            e.kind(),
            &format!("gave up after {} attempts: {e}", row.attempts),
            &at,
        );
    }
    let next = (Utc::now() + delay).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    c.execute(
        "UPDATE deposits SET state = ?2, next_attempt_at = ?3, last_error_kind = ?4, last_error = ?5, updated_at = ?6 WHERE id = ?1",
        params![row.id, next_state, next, e.kind(), e.to_string(), at],
    )?;
    set_decl_retry(
        c,
        row.declaration_id,
        row.attempts,
        Some(&next),
        Some(e.kind()),
    )?;
    let state = if next_state == "uncertain" {
        "uncertain"
    } else {
        "queued"
    };
    store::transition(
        c,
        row.declaration_id,
        state,
        "retry_scheduled",
        Some(&json!({"deposit": row.id, "kind": e.kind(), "next_attempt_at": next}).to_string()),
        &at,
    )
}

/// Records an AEE (or a deposit found again by reconciliation).
fn record_deposited(
    c: &Connection,
    row: &DepositRow,
    idflux: &str,
    raw: Option<&[u8]>,
    reconciled: bool,
    at: &str,
) -> Result<(), JournalError> {
    c.execute(
        "UPDATE deposits SET state = 'deposited', idflux = ?2, last_error_kind = NULL, last_error = NULL, updated_at = ?3 WHERE id = ?1",
        params![row.id, idflux, at],
    )?;
    if let Some(raw) = raw {
        c.execute(
            "INSERT INTO returns (idflux, nature, return_id, statut, deposit_id, outcome, raw, fetched_at, updated_at)
             VALUES (?1, '10', 'AEE', 'OK', ?2, 'technical_accepted', ?3, ?4, ?4)
             ON CONFLICT(idflux, nature, return_id) DO NOTHING",
            params![idflux, row.id, raw, at],
        )?;
    }
    set_decl_retry(c, row.declaration_id, row.attempts, None, None)?;
    let detail = json!({"deposit": row.id, "idflux": idflux, "identifiant_metier": row.ident, "reconciled": reconciled}).to_string();
    store::transition(
        c,
        row.declaration_id,
        "deposited",
        "deposited",
        Some(&detail),
        at,
    )?;
    if row.decl_type == "04" && row.target != row.declaration_id {
        store::transition(c, row.target, "cancelled", "cancelled", Some(&detail), at)?;
    }
    super::insurer::on_event(c, row.declaration_id, None, at)?;
    enqueue_return_notice(
        c,
        row.declaration_id,
        "AEE",
        "OK",
        Some(idflux),
        Some("10"),
        Some("technical_accepted"),
        json!([]),
        json!({"identifiant_metier": row.ident, "reconciled": reconciled}),
        raw,
        at,
    )
}

fn record_answer(
    c: &Connection,
    row: &DepositRow,
    answer: DepositAnswer,
    raw: &[u8],
) -> Result<(), JournalError> {
    let at = now();
    match answer {
        DepositAnswer::Accepted { idflux, .. } => {
            record_deposited(c, row, &idflux, Some(raw), false, &at)
        }
        DepositAnswer::Rejected { rapport } => {
            let anomalies = rapport.all_anomalies();
            let codes: Vec<&str> = anomalies.iter().map(|a| a.code.as_str()).collect();
            c.execute(
                "UPDATE deposits SET state = 'rejected', last_error_kind = 'are', last_error = ?2, updated_at = ?3 WHERE id = ?1",
                params![row.id, codes.join(","), at],
            )?;
            let key = format!("ARE-{}", row.id);
            c.execute(
                "INSERT INTO returns (idflux, nature, return_id, statut, deposit_id, outcome, raw, fetched_at, updated_at)
                 VALUES (?1, '10', 'ARE', 'KO', ?2, 'technical_rejected', ?3, ?4, ?4)
                 ON CONFLICT(idflux, nature, return_id) DO NOTHING",
                params![rapport.envoi.idflux.clone().unwrap_or(key), row.id, raw, at],
            )?;
            set_decl_retry(c, row.declaration_id, row.attempts, None, Some("are"))?;
            let json_anomalies = anomalies_json(&anomalies);
            store::transition(
                c,
                row.declaration_id,
                "rejected",
                "rejected",
                Some(&json!({"deposit": row.id, "anomalies": json_anomalies}).to_string()),
                &at,
            )?;
            enqueue_return_notice(
                c,
                row.declaration_id,
                "ARE",
                "KO",
                rapport.envoi.idflux.as_deref(),
                Some("10"),
                Some("technical_rejected"),
                json_anomalies,
                json!({"identifiant_metier": row.ident}),
                Some(raw),
                &at,
            )
        }
    }
}

/// Upserts a downloaded return and moves its declaration forward.
fn apply_return(
    c: &Connection,
    idflux: &str,
    entry: &ReturnEntry,
    key: &str,
    production: Option<&str>,
    doc: &[u8],
) -> Result<(), JournalError> {
    let at = now();
    let rapport = match Rapport::parse(doc) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(%idflux, nature = %entry.nature, error = %e, "exchange: unreadable return kept raw");
            c.execute(
                "INSERT INTO returns (idflux, nature, return_id, statut, production, outcome, raw, fetched_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'unreadable', ?6, ?7, ?7)
                 ON CONFLICT(idflux, nature, return_id) DO UPDATE SET statut = excluded.statut, production = excluded.production,
                   raw = excluded.raw, outcome = excluded.outcome, updated_at = excluded.updated_at",
                params![idflux, entry.nature, key, entry.statut, production, doc, at],
            )?;
            return Ok(());
        }
    };
    let outcome = rapport.outcome(Some(&entry.nature));
    // Which of our deposits: by idflux, else by an identifiant métier the return names.
    let mut deposit: Option<(i64, i64)> = c
        .prepare_cached(
            "SELECT id, declaration_id FROM deposits WHERE idflux = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row([idflux], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if deposit.is_none() {
        for ident in rapport.identifiants_metier() {
            deposit = c
                .prepare_cached(
                    "SELECT id, declaration_id FROM deposits WHERE identifiant_metier = ?1",
                )?
                .query_row([ident], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            if deposit.is_some() {
                break;
            }
        }
    }
    c.execute(
        "INSERT INTO returns (idflux, nature, return_id, statut, production, deposit_id, outcome, raw, fetched_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
         ON CONFLICT(idflux, nature, return_id) DO UPDATE SET statut = excluded.statut, production = excluded.production,
           deposit_id = excluded.deposit_id, outcome = excluded.outcome, raw = excluded.raw, updated_at = excluded.updated_at",
        params![idflux, entry.nature, key, entry.statut, production, deposit.map(|d| d.0), outcome.label(), doc, at],
    )?;
    let Some((deposit_id, decl)) = deposit else {
        tracing::info!(%idflux, nature = %entry.nature, "exchange: return for a flux ijgate did not deposit; kept");
        return Ok(());
    };
    // The AEE was already forwarded from the synchronous deposit answer: the copy published
    // in the listing is kept, not forwarded twice.
    if entry.nature == "10" {
        let sync_aee: bool = c
            .prepare_cached("SELECT 1 FROM returns WHERE idflux = ?1 AND nature = '10' AND return_id IN ('AEE', 'ARE')")?
            .query_row([idflux], |_| Ok(()))
            .optional()?
            .is_some();
        if sync_aee {
            return Ok(());
        }
    }
    let (_, _, current) = decl_info(c, decl)?;
    let anomalies = match &outcome {
        ReturnOutcome::TechnicalRejected { anomalies }
        | ReturnOutcome::Conformity { anomalies, .. }
        | ReturnOutcome::CnamRejected { anomalies }
        | ReturnOutcome::DocumentsRequested { anomalies, .. }
        | ReturnOutcome::NonReconstitution { anomalies, .. } => anomalies.clone(),
        _ => Vec::new(),
    };
    let json_anomalies = anomalies_json(&anomalies);
    let mut extra = json!({});
    if let ReturnOutcome::DocumentsRequested { types, .. } = &outcome {
        extra = json!({ "documents_requested": types });
    }
    if let ReturnOutcome::NonReconstitution { message, .. } = &outcome {
        extra = json!({ "message": message });
    }
    let detail = json!({"idflux": idflux, "nature": entry.nature, "statut": entry.statut, "outcome": outcome.label(),
                        "anomalies": json_anomalies, "deposit": deposit_id})
    .to_string();
    match state_for(&outcome) {
        Some(new) if rank(new) >= rank(&current) && new != current => {
            store::transition(
                c,
                decl,
                new,
                &format!("return_{}", entry.nature),
                Some(&detail),
                &at,
            )?;
        }
        _ => store::add_history(
            c,
            decl,
            &format!("return_{}", entry.nature),
            None,
            None,
            Some(&detail),
            &at,
        )?,
    }
    if state_for(&outcome).is_some_and(|s| rank(s) == 3) {
        c.execute(
            "UPDATE deposits SET returns_done = 1 WHERE id = ?1",
            [deposit_id],
        )?;
    }
    let status = statut_str(&rapport.overall_status());
    super::insurer::on_event(c, decl, None, &at)?;
    enqueue_return_notice(
        c,
        decl,
        &notice_kind(&rapport),
        status,
        Some(idflux),
        Some(&entry.nature),
        Some(outcome.label()),
        json_anomalies,
        extra,
        Some(doc),
        &at,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_never_go_backwards() {
        assert!(rank("accepted") > rank("acknowledged"));
        assert!(rank("acknowledged") > rank("deposited"));
        assert!(rank("deposited") > rank("queued"));
        assert_eq!(rank("refused"), rank("accepted"));
    }

    #[test]
    fn states_for_outcomes() {
        assert_eq!(state_for(&ReturnOutcome::CnamAck), Some("acknowledged"));
        assert_eq!(state_for(&ReturnOutcome::CnamAccepted), Some("accepted"));
        assert_eq!(
            state_for(&ReturnOutcome::CnamRejected { anomalies: vec![] }),
            Some("refused")
        );
        assert_eq!(state_for(&ReturnOutcome::Info { nature: None }), None);
        let n = ReturnOutcome::NonReconstitution {
            nature: "21".into(),
            message: None,
            anomalies: vec![],
        };
        assert_eq!(state_for(&n), Some("dsij_fallback"));
    }
}
