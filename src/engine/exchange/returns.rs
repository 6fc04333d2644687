//! Returns: the per-flux poller (deposits still waiting for their business answer), the
//! declarant-wide poller (60-minute windows from a persisted cursor), and applying a return.
//!
//! Both pollers may see the same return at the same time: applying it is keyed (idflux,
//! nature, return id, content hash) inside the journal job that does everything it causes,
//! so it happens once ([`super::store::claim_return`]).

use chrono::{NaiveDateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use super::Exchange;
use super::decide;
use super::outcome::ReturnOutcome;
use super::store::{
    FaultKind, ReturnNotice, anomalies_json, claim_return, cursor, decl_info,
    enqueue_return_notice, set_cursor,
};
use crate::channels::netent::NetEntError;
use crate::formats::listing::ReturnEntry;
use crate::formats::rapport::{Rapport, Statut};
use crate::journal::{JournalError, now, store};

/// Cursor of the declarant-wide listing, and the windows that failed and are tried again.
const CURSOR: &str = "retours_declarant";
const RETRY_WINDOWS: &str = "retours_declarant:retry";
/// Consecutive listing failures of different flux after which the pass stops (the peer is
/// down rather than one flux being unlucky).
const PASS_FAILURES: u32 = 8;

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

/// Per-flux retry times of the flux poller: one flux whose listing fails waits alone.
#[derive(Default)]
struct FluxBackoff {
    failures: HashMap<String, (i64, Instant)>,
}

impl FluxBackoff {
    fn ready(&self, idflux: &str, now: Instant) -> bool {
        self.failures.get(idflux).is_none_or(|(_, at)| *at <= now)
    }

    fn failed(&mut self, idflux: &str, initial: Duration, max: Duration, now: Instant) {
        let n = self.failures.get(idflux).map_or(0, |(n, _)| *n);
        let d = decide::retry_delay(initial, max, n, rand::random_range(0.8..1.2), None);
        self.failures.insert(idflux.to_string(), (n + 1, now + d));
    }

    fn ok(&mut self, idflux: &str) {
        self.failures.remove(idflux);
    }
}

impl Exchange {
    /// Polls the returns of recent deposits still waiting for their business answer.
    pub async fn run_flux_poller(self, stop: CancellationToken) {
        let mut backoff = FluxBackoff::default();
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
            backoff.failures.retain(|f, _| fluxes.contains(f));
            let (initial, max) = {
                let c = self.config.load();
                (c.netent.retry_initial, c.netent.retry_max)
            };
            let mut in_a_row = 0;
            for idflux in fluxes {
                if stop.is_cancelled() {
                    return;
                }
                if !backoff.ready(&idflux, Instant::now()) {
                    continue;
                }
                match self.client.list_returns_flux(&idflux).await {
                    Ok(listing) => {
                        in_a_row = 0;
                        backoff.ok(&idflux);
                        self.peer_ok();
                        let entries: Vec<(String, ReturnEntry)> = listing
                            .entries()
                            .map(|(f, e)| (f.to_string(), e.clone()))
                            .collect();
                        self.process_returns(entries).await;
                    }
                    Err(e) => {
                        self.peer_failed(&e);
                        crate::internal_events::peer_call_failed(
                            "lister-retours-flux",
                            e.kind(),
                            &idflux,
                        );
                        if super::is_malformed(e.kind()) {
                            self.fault(
                                "lister-retours-flux",
                                e.kind(),
                                format!("flux {idflux}: {e}"),
                                FaultKind::Event,
                            )
                            .await;
                        }
                        // This flux waits; the others are polled now (a failure of one
                        // declaration never delays the others).
                        backoff.failed(&idflux, initial, max, Instant::now());
                        in_a_row += 1;
                        if in_a_row >= PASS_FAILURES {
                            break;
                        }
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
                    crate::internal_events::peer_call_failed(
                        "lister-retours-declarant",
                        e.kind(),
                        &"-",
                    );
                }
            }
        }
    }

    /// One pass over the declarant listing, from the cursor to now, after the windows that
    /// failed before. A window that fails is put aside for another try and the cursor moves
    /// past it: one bad window never pins the listing ([`decide::windows_to_retry`]).
    /// Saves a polling cursor; a failure is an event (logged and counted), and the next pass
    /// reads the same range again (returns are applied once, so that is harmless).
    async fn save_cursor(&self, name: &'static str, value: String) {
        if let Err(e) = self
            .journal
            .write(move |c| set_cursor(c, name, &value))
            .await
        {
            crate::internal_events::cursor_not_saved(name, &e);
        }
    }

    pub async fn poll_declarant_once(&self) -> Result<usize, NetEntError> {
        let now_api = self.api_now();
        let tolerance = self.config.load().netent.clock_tolerance;
        let (cur, retry) = self
            .journal
            .read(|c| Ok((cursor(c, CURSOR)?, cursor(c, RETRY_WINDOWS)?)))
            .await
            .unwrap_or_else(|e| {
                // Counted; this pass reads from one day back (returns are applied once).
                crate::internal_events::journal_read_failed("cursors", &e);
                (None, None)
            });
        // A cursor that does not read back is counted, never silently reset.
        let retry: Vec<decide::Window> = match retry {
            None => Vec::new(),
            Some(s) => serde_json::from_str(&s).unwrap_or_else(|_| {
                crate::internal_events::cursor_corrupt(RETRY_WINDOWS, &s);
                Vec::new()
            }),
        };
        let cur = cur.and_then(|s| {
            NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S")
                .inspect_err(|_| crate::internal_events::cursor_corrupt(CURSOR, &s))
                .ok()
        });
        let mut seen = 0;
        let mut failed: Vec<decide::Window> = Vec::new();
        let mut last_err: Option<NetEntError> = None;
        // Windows that failed before: each tried once per pass; a transient failure leaves
        // the rest for the next pass. They never hold back the fresh windows.
        let mut peer_down = false;
        for (a, b) in retry {
            if peer_down {
                failed.push((a, b));
                continue;
            }
            match self.client.list_returns_declarant(a, b).await {
                Ok(listing) => seen += self.process_listing(listing).await,
                Err(e) => {
                    failed.push((a, b));
                    peer_down = e.is_transient();
                    last_err = Some(e);
                }
            }
        }
        for (a, b) in decide::declarant_windows(cur, now_api, tolerance) {
            match self.client.list_returns_declarant(a, b).await {
                Ok(listing) => seen += self.process_listing(listing).await,
                Err(e) => {
                    crate::internal_events::peer_call_failed(
                        "lister-retours-declarant",
                        e.kind(),
                        &format!("window {a}..{b}, tried again later"),
                    );
                    failed.push((a, b));
                    let transient = e.is_transient();
                    last_err = Some(e);
                    if transient {
                        // The peer is in trouble: the rest waits for the next pass, after
                        // this window (which waits in the retry list).
                        let value = b.format("%Y-%m-%dT%H:%M:%S").to_string();
                        self.save_cursor(CURSOR, value).await;
                        break;
                    }
                }
            }
            let value = b.format("%Y-%m-%dT%H:%M:%S").to_string();
            self.save_cursor(CURSOR, value).await;
        }
        let keep = decide::windows_to_retry(failed, now_api);
        let value = serde_json::to_string(&keep).unwrap_or_else(|_| "[]".into());
        self.save_cursor(RETRY_WINDOWS, value).await;
        match last_err {
            None => {
                self.service_ok("lister-retours-declarant").await;
                Ok(seen)
            }
            Some(e) => {
                if super::is_malformed(e.kind()) {
                    self.fault(
                        "lister-retours-declarant",
                        e.kind(),
                        e.to_string(),
                        FaultKind::Standing,
                    )
                    .await;
                }
                Err(e)
            }
        }
    }

    async fn process_listing(&self, listing: crate::formats::listing::ReturnsListing) -> usize {
        let entries: Vec<(String, ReturnEntry)> = listing
            .entries()
            .map(|(f, e)| (f.to_string(), e.clone()))
            .collect();
        let n = entries.len();
        self.process_returns(entries).await;
        n
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
            // Saves a download only; exactly-once is the claim inside the write below.
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
                    crate::internal_events::peer_call_failed(
                        "telecharger-retour",
                        e.kind(),
                        &format!("{idflux} nature {}", entry.nature),
                    );
                    if !e.is_transient() {
                        self.fault(
                            "telecharger-retour",
                            e.kind(),
                            format!(
                                "flux {idflux}, return {} (nature {}): {e}",
                                key, entry.nature
                            ),
                            FaultKind::Event,
                        )
                        .await;
                    }
                    continue;
                }
            };
            let res = self
                .journal
                .write(move |c| apply_return(c, &idflux, &entry, &key, production.as_deref(), &doc))
                .await;
            if let Err(e) = res {
                crate::internal_events::journal_write_failed("return", &e);
            }
        }
        self.outbox_wake.notify_one();
    }
}

/// Which of our deposits a return concerns: by idflux, else by an identifiant métier it names.
fn deposit_of(
    c: &Connection,
    idflux: &str,
    rapport: Option<&Rapport>,
) -> Result<Option<(i64, i64, bool)>, JournalError> {
    let mut deposit: Option<(i64, i64, bool)> = c
        .prepare_cached(
            "SELECT id, declaration_id, test FROM deposits WHERE idflux = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row([idflux], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    if deposit.is_none()
        && let Some(rapport) = rapport
    {
        for ident in rapport.identifiants_metier() {
            deposit = c
                .prepare_cached(
                    "SELECT id, declaration_id, test FROM deposits WHERE identifiant_metier = ?1",
                )?
                .query_row([ident], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            if deposit.is_some() {
                break;
            }
        }
    }
    Ok(deposit)
}

/// Upserts a downloaded return and moves its declaration forward, exactly once per content.
pub(super) fn apply_return(
    c: &Connection,
    idflux: &str,
    entry: &ReturnEntry,
    key: &str,
    production: Option<&str>,
    doc: &[u8],
) -> Result<(), JournalError> {
    use sha2::{Digest, Sha256};
    let at = now();
    let sha = hex::encode(Sha256::digest(doc));
    if !claim_return(c, idflux, &entry.nature, key, &sha, &at)? {
        // Applied already (the other poller, or before a restart): only the listing facts.
        c.execute(
            "UPDATE returns SET statut = ?4, production = ?5 WHERE idflux = ?1 AND nature = ?2 AND return_id = ?3",
            params![idflux, entry.nature, key, entry.statut, production],
        )?;
        return Ok(());
    }
    let rapport = match Rapport::parse(doc) {
        Ok(r) => r,
        Err(e) => {
            crate::internal_events::unreadable_input(
                "return",
                &format!("{idflux} nature {}", entry.nature),
                &e,
            );
            c.execute(
                "INSERT INTO returns (idflux, nature, return_id, statut, production, outcome, raw, fetched_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'unreadable', ?6, ?7, ?7)
                 ON CONFLICT(idflux, nature, return_id) DO UPDATE SET statut = excluded.statut, production = excluded.production,
                   raw = excluded.raw, outcome = excluded.outcome, updated_at = excluded.updated_at",
                params![idflux, entry.nature, key, entry.statut, production, doc, at],
            )?;
            // Kept raw, the declaration stays where it is, one alert says which return.
            let detail = format!("flux {idflux}, return {key} (nature {}): {e}", entry.nature);
            super::store::record_fault(
                c,
                "telecharger-retour",
                "bad_return",
                &detail,
                FaultKind::Event,
                &at,
            )?;
            if let Some((deposit_id, decl, _)) = deposit_of(c, idflux, None)? {
                let d = json!({"idflux": idflux, "nature": entry.nature, "deposit": deposit_id, "error": e.to_string()})
                    .to_string();
                store::add_history(c, decl, "return_unreadable", None, None, Some(&d), &at)?;
            }
            return Ok(());
        }
    };
    let outcome = rapport.outcome(Some(&entry.nature));
    let deposit = deposit_of(c, idflux, Some(&rapport))?;
    c.execute(
        "INSERT INTO returns (idflux, nature, return_id, statut, production, deposit_id, outcome, raw, fetched_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
         ON CONFLICT(idflux, nature, return_id) DO UPDATE SET statut = excluded.statut, production = excluded.production,
           deposit_id = excluded.deposit_id, outcome = excluded.outcome, raw = excluded.raw, updated_at = excluded.updated_at",
        params![idflux, entry.nature, key, entry.statut, production, deposit.map(|d| d.0), outcome.label(), doc, at],
    )?;
    let Some((deposit_id, decl, test)) = deposit else {
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
                        "anomalies": json_anomalies, "deposit": deposit_id, "test": test})
    .to_string();
    let what = format!("return_{}", entry.nature);
    match decide::apply_return(current, &outcome, test) {
        Some(new) => store::transition(c, decl, new.as_str(), &what, Some(&detail), &at)?,
        None => store::add_history(c, decl, &what, None, None, Some(&detail), &at)?,
    }
    if decide::return_state(&outcome, test).is_some_and(decide::returns_done) {
        c.execute(
            "UPDATE deposits SET returns_done = 1 WHERE id = ?1",
            [deposit_id],
        )?;
    }
    let status = statut_str(&rapport.overall_status());
    crate::engine::insurer::on_event(c, decl, None, &at)?;
    enqueue_return_notice(
        c,
        ReturnNotice {
            declaration_id: decl,
            kind: &notice_kind(&rapport),
            status,
            idflux: Some(idflux),
            nature: Some(&entry.nature),
            outcome: Some(outcome.label()),
            anomalies: json_anomalies,
            extra,
            raw: Some(doc),
            test,
        },
        &at,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_flux_waits_alone() {
        let mut b = FluxBackoff::default();
        let t0 = Instant::now();
        let s = Duration::from_secs;
        b.failed("A", s(10), s(100), t0);
        assert!(!b.ready("A", t0));
        assert!(b.ready("B", t0));
        assert!(b.ready("A", t0 + s(13)));
        b.failed("A", s(10), s(100), t0);
        assert!(!b.ready("A", t0 + s(13)), "second failure waits longer");
        b.ok("A");
        assert!(b.ready("A", t0));
    }
}

#[cfg(test)]
mod apply_tests {
    use super::*;
    use crate::formats::rapport::{Declaration, RapportSpec, write_rapport};
    use crate::journal::Journal;

    fn rapport(nature: &str, conformity: bool) -> Vec<u8> {
        let d = Declaration {
            rang: Some(1),
            nature: Some("04".into()),
            type_decl: Some("01".into()),
            fraction: None,
            ordre: None,
            mois: None,
            identifiant_metier: Some("IJ000000001A".into()),
            id_annulation: None,
            siren: Some("732829320".into()),
            nic_siege: None,
            nic_affectation: Some("00074".into()),
            etat: Statut::Ok,
            salaries: Some(1),
            conformite: conformity.then_some(Statut::Ok),
            certificat_conformite: None,
            anomalies: vec![],
        };
        write_rapport(&RapportSpec {
            type_code: if nature == "11" {
                "CCO".into()
            } else {
                nature.into()
            },
            message: None,
            declarant: None,
            idflux: "F1".into(),
            essai_reel: None,
            emetteur_siret: "73282932000074".into(),
            received_at: crate::formats::listing::parse_ts("20261125100000").unwrap(),
            envoi_etat: Statut::Ok,
            envoi_anomalies: vec![],
            declarations: vec![d],
        })
        .into_bytes()
    }

    fn entry(nature: &str, id: &str) -> ReturnEntry {
        ReturnEntry {
            id: Some(id.into()),
            nature: nature.into(),
            statut: "OK".into(),
            publication: None,
            production: None,
            url: None,
            ops: None,
            delegataire: None,
        }
    }

    /// A journal with one deposited declaration (flux F1); `test`: an essai file.
    fn journal(test: bool) -> (tempfile::TempDir, Journal) {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(&d.path().join("j.db")).unwrap();
        j.write_blocking(move |c| {
            c.execute_batch(
                "INSERT INTO declarations (siret, hr_ref, event, nir, state, revision, content_hash, payload, created_at, updated_at)
                 VALUES ('73282932000074', 'R1', 'arret', '1850578006084', 'deposited', 1, 'h', '{}', 't', 't');",
            )?;
            c.execute(
                "INSERT INTO deposits (declaration_id, target_declaration_id, nature, decl_type, identifiant_metier, payload, state,
                                       next_attempt_at, idflux, sent_at, test, created_at, updated_at)
                 VALUES (1, 1, '04', '01', 'IJ000000001A', '{}', 'deposited', 't', 'F1', 't', ?1, 't', 't')",
                [test],
            )?;
            Ok(())
        })
        .unwrap();
        (d, j)
    }

    fn count(j: &Journal, sql: &'static str) -> i64 {
        j.read_blocking(|c| Ok(c.query_row(sql, [], |r| r.get(0))?))
            .unwrap()
    }

    fn state(j: &Journal) -> String {
        j.read_blocking(|c| {
            Ok(
                c.query_row("SELECT state FROM declarations WHERE id = 1", [], |r| {
                    r.get(0)
                })?,
            )
        })
        .unwrap()
    }

    fn apply(j: &Journal, nature: &'static str, id: &'static str, doc: Vec<u8>) {
        j.write_blocking(move |c| apply_return(c, "F1", &entry(nature, id), id, None, &doc))
            .unwrap();
    }

    #[test]
    fn the_same_return_twice_is_applied_once() {
        let (_d, j) = journal(false);
        for _ in 0..3 {
            apply(&j, "30", "r30", rapport("30", false));
            apply(&j, "31", "r31", rapport("31", false));
        }
        assert_eq!(state(&j), "accepted");
        assert_eq!(
            count(
                &j,
                "SELECT count(*) FROM history WHERE what LIKE 'return_%'"
            ),
            2
        );
        // One JSON notice and one raw copy per return, for HR and for the insurer.
        assert_eq!(
            count(&j, "SELECT count(*) FROM outbox WHERE dest = 'hr'"),
            4
        );
        assert_eq!(
            count(&j, "SELECT count(*) FROM outbox WHERE dest LIKE 'insurer%'"),
            4
        );
        // Overwritten upstream with new content: applied again, once.
        let mut changed = rapport("31", false);
        changed.extend_from_slice(b"\n");
        apply(&j, "31", "r31", changed.clone());
        apply(&j, "31", "r31", changed);
        assert_eq!(
            count(&j, "SELECT count(*) FROM history WHERE what = 'return_31'"),
            2
        );
    }

    #[test]
    fn an_unreadable_return_is_kept_with_one_alert_and_the_state_stays() {
        let (_d, j) = journal(false);
        apply(&j, "31", "bad", b"<rapport><oops".to_vec());
        apply(&j, "31", "bad", b"<rapport><oops".to_vec());
        assert_eq!(state(&j), "deposited");
        assert_eq!(
            count(
                &j,
                "SELECT count(*) FROM returns WHERE outcome = 'unreadable' AND raw IS NOT NULL"
            ),
            1
        );
        assert_eq!(
            count(
                &j,
                "SELECT count(*) FROM history WHERE what = 'return_unreadable'"
            ),
            1
        );
        let faults = j
            .write_blocking(|c| super::super::store::faults_to_alert(c, "t"))
            .unwrap();
        assert_eq!(faults.len(), 1, "{faults:?}");
        assert_eq!(
            (faults[0].service.as_str(), faults[0].cause.as_str()),
            ("telecharger-retour", "bad_return")
        );
        // The next, readable return still moves it on.
        apply(&j, "30", "r30", rapport("30", false));
        assert_eq!(state(&j), "acknowledged");
    }

    #[test]
    fn an_essai_deposit_ends_in_test_accepted_and_its_notices_say_test() {
        let (_d, j) = journal(true);
        apply(&j, "11", "r11", rapport("11", true));
        assert_eq!(state(&j), "test_accepted");
        apply(&j, "30", "r30", rapport("30", false));
        apply(&j, "31", "r31", rapport("31", false));
        assert_eq!(state(&j), "test_accepted", "never accepted");
        let bodies: Vec<Vec<u8>> = j
            .read_blocking(|c| {
                let mut s = c.prepare(
                    "SELECT body FROM outbox WHERE dest = 'hr' AND file_name LIKE '%.json'",
                )?;
                let v = s
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<Vec<Vec<u8>>, _>>()?;
                Ok(v)
            })
            .unwrap();
        assert_eq!(bodies.len(), 3);
        for b in bodies {
            let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
            assert_eq!(v["test"], true, "{v}");
        }
    }
}
