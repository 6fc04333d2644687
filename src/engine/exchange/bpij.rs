//! BPIJ retrieval: list and download the payment slips of every configured establishment
//! (their dispatch to HR and insurers is the insurer worker's).
//!
//! One bad link never fails the pass: a link to a host we were not configured for is skipped
//! (the token is never sent there) with one alert; a slip that cannot be downloaded is tried
//! again at the next pass while it is listed.

use rusqlite::{OptionalExtension, params};
use tokio_util::sync::CancellationToken;

use super::Exchange;
use super::store::{FaultKind, cursor, set_cursor};
use crate::channels::netent::NetEntError;
use crate::journal::now;

/// Host part of a URL, for an alert (never the path: it may carry identifiers).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

impl Exchange {
    /// Lists and downloads BPIJ for every configured establishment (dispatch is separate).
    pub async fn run_bpij_poller(self, stop: CancellationToken) {
        loop {
            match self.poll_bpij_once().await {
                Ok(_) => self.peer_ok(),
                Err(e) => {
                    self.peer_failed(&e);
                    crate::internal_events::peer_call_failed("lister-bpij", e.kind(), &"-");
                }
            }
            let interval = self.config.load().netent.bpij_poll_interval;
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.cancelled() => return,
            }
        }
    }

    /// One pass of BPIJ retrieval; returns how many new BPIJ were stored. An establishment
    /// whose listing fails keeps its cursor and does not stop the others; the first error is
    /// returned after the pass.
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
        let mut first_err: Option<NetEntError> = None;
        'sirets: for siret in sirets {
            let name = format!("bpij:{siret}");
            let n2 = name.clone();
            let from = self
                .journal
                .read(move |c| cursor(c, &n2))
                .await
                .inspect_err(|e| crate::internal_events::journal_read_failed("cursors", e))
                .ok()
                .flatten()
                .and_then(|s| {
                    // Counted, then 30 days back (BPIJ are stored once by their hash).
                    chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                        .inspect_err(|_| crate::internal_events::cursor_corrupt(&name, &s))
                        .ok()
                })
                .unwrap_or(today - chrono::Days::new(30));
            let mut page = 1;
            loop {
                let listing = match self
                    .client
                    .list_bpij(from, Some(today), Some(&siret), Some(page))
                    .await
                {
                    Ok(l) => l,
                    Err(e) => {
                        if super::is_malformed(e.kind()) {
                            self.fault(
                                "lister-bpij-declarant",
                                e.kind(),
                                e.to_string(),
                                FaultKind::Standing,
                            )
                            .await;
                        }
                        let transient = e.is_transient();
                        first_err.get_or_insert(e);
                        if transient {
                            break 'sirets;
                        }
                        continue 'sirets;
                    }
                };
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
                    let xml = match self.client.download_bpij(&url).await {
                        Ok(x) => x,
                        Err(e) if e.kind() == "untrusted_url" => {
                            // Never follow it (the token would go there); the others go on.
                            self.fault(
                                "telecharger-bpij",
                                "untrusted_url",
                                format!(
                                    "BPIJ link of establishment {declare_siret} points at host {}, not a configured net-entreprises service: skipped",
                                    host_of(&url)
                                ),
                                FaultKind::Event,
                            )
                            .await;
                            continue;
                        }
                        Err(e) if e.is_transient() => {
                            // The peer is in trouble: this establishment keeps its cursor.
                            first_err.get_or_insert(e);
                            continue 'sirets;
                        }
                        Err(e) => {
                            self.fault(
                                "telecharger-bpij",
                                e.kind(),
                                format!(
                                    "BPIJ of establishment {declare_siret} at host {}: {}",
                                    host_of(&url),
                                    e.kind()
                                ),
                                FaultKind::Event,
                            )
                            .await;
                            continue;
                        }
                    };
                    if let Err(e) = crate::formats::bpij::Bpij::parse(&xml) {
                        crate::internal_events::unreadable_input("bpij", &url, &e);
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
                        .unwrap_or_else(|e| {
                            crate::internal_events::journal_write_failed("bpij", &e);
                            0
                        });
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
            let n2 = name.clone();
            if let Err(e) = self
                .journal
                .write(move |c| set_cursor(c, &n2, &value))
                .await
            {
                crate::internal_events::cursor_not_saved(&name, &e);
            }
        }
        if stored > 0 {
            tracing::info!(stored, "exchange: BPIJ retrieved");
            self.insurer_wake.notify_one();
        }
        match first_err {
            None => {
                self.service_ok("lister-bpij-declarant").await;
                Ok(stored)
            }
            Some(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn alerts_name_the_host_only() {
        assert_eq!(
            super::host_of("https://evil.example:8443/x/y?nir=1"),
            "evil.example:8443"
        );
        assert_eq!(super::host_of("evil.example/x"), "evil.example");
    }
}
