//! Deposits (`deposer-dsn`), listings (`lister-*`), downloads (`telecharger-*`) and the
//! reconciliation of a deposit whose answer was lost.

use std::io::Write;

use chrono::{NaiveDate, NaiveDateTime};
use reqwest::StatusCode;

use super::*;
use crate::formats::listing::{self, BpijListing, DepositsListing, ReturnsListing};
use crate::formats::rapport::{DepositAnswer, Rapport};

impl NetEntClient {
    /// `POST deposer-dsn/2.0/`: `latin1` is the DSN file as ISO-8859-1 bytes; it is gzipped
    /// here. 200 → AEE, 422 → ARE (an outcome, not an error).
    pub async fn deposit(&self, latin1: &[u8]) -> Result<DepositAnswer, NetEntError> {
        Ok(self.deposit_with_raw(latin1).await?.0)
    }

    /// [`NetEntClient::deposit`], also giving the raw AEE/ARE document (kept in the journal and
    /// forwarded beside the notice).
    pub async fn deposit_with_raw(
        &self,
        latin1: &[u8],
    ) -> Result<(DepositAnswer, Vec<u8>), NetEntError> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(latin1)
            .and_then(|_| gz.flush())
            .map_err(|e| NetEntError::permanent("config", None, e.to_string()))?;
        let body = gz
            .finish()
            .map_err(|e| NetEntError::permanent("config", None, e.to_string()))?;
        let body = bytes::Bytes::from(body);
        let url = self.cfg.deposit_url.clone();
        let acct = self.deposit_account(latin1)?;
        let (status, _, answer) = self
            .call(
                acct,
                |http| {
                    http.post(&url)
                        .header(reqwest::header::CONTENT_TYPE, "text/plain")
                        .header(reqwest::header::CONTENT_ENCODING, "gzip")
                        .body(body.clone())
                },
                &[422],
            )
            .await?;
        if status == StatusCode::UNPROCESSABLE_ENTITY && answer.iter().all(u8::is_ascii_whitespace)
        {
            // kit: services/depot/ServiceDepot2.java — 422 without ARE = empty deposit.
            return Err(NetEntError::permanent(
                "invalid_parameter",
                Some(422),
                "deposer-dsn refused an empty deposit",
            ));
        }
        let parsed = DepositAnswer::parse(&answer).map_err(|e| {
            NetEntError::permanent(
                "bad_answer",
                Some(status.as_u16()),
                format!("{e}: {}", truncate(&answer)),
            )
        })?;
        match (&parsed, status.as_u16()) {
            (DepositAnswer::Accepted { idflux, .. }, 200) => {
                self.own_flux(idflux, acct);
                tracing::info!(idflux = %idflux, account = %self.accounts[acct].login.siret, "DSN deposited (AEE)");
            }
            (DepositAnswer::Rejected { rapport }, _) => {
                let codes: Vec<&str> = rapport
                    .envoi
                    .anomalies
                    .iter()
                    .map(|a| a.code.as_str())
                    .collect();
                // Counted as a deposit failure ("rejected") by the exchange.
                tracing::info!(?codes, "DSN deposit rejected (ARE)");
            }
            (DepositAnswer::Accepted { .. }, other) => {
                return Err(NetEntError::permanent(
                    "bad_answer",
                    Some(other),
                    "AEE with a non-200 status",
                ));
            }
        }
        Ok((parsed, answer.to_vec()))
    }

    /// The account a deposit goes out with: the one of the establishment the file declares.
    fn deposit_account(&self, latin1: &[u8]) -> Result<usize, NetEntError> {
        if self.accounts.len() == 1 {
            return Ok(0);
        }
        match declaring_siret(latin1) {
            Some(siret) => self.account_for(&siret),
            None => Err(NetEntError::permanent(
                "no_account",
                None,
                "the DSN file names no declaring establishment (S21.G00.06.001 + S21.G00.11.001): no account to deposit it with",
            )),
        }
    }

    fn consult(&self, path: &str) -> String {
        join(&self.cfg.consult_url, path)
    }

    /// `lister-depots/{version}/{debut}/{fin}` (window ≤ 60 minutes), for every account, merged
    /// (the listing's declarant is the first account's).
    pub async fn list_deposits(
        &self,
        debut: NaiveDateTime,
        fin: NaiveDateTime,
    ) -> Result<DepositsListing, NetEntError> {
        check_window(debut, fin)?;
        let mut all: Option<DepositsListing> = None;
        for acct in 0..self.accounts.len() {
            let l = self.list_deposits_as(acct, debut, fin).await?;
            for d in &l.depots {
                self.own_flux(&d.idflux, acct);
            }
            match &mut all {
                None => all = Some(l),
                Some(a) => a.depots.extend(l.depots),
            }
        }
        Ok(all.unwrap_or_default())
    }

    async fn list_deposits_as(
        &self,
        acct: usize,
        debut: NaiveDateTime,
        fin: NaiveDateTime,
    ) -> Result<DepositsListing, NetEntError> {
        let service = format!("lister-depots/{}", self.cfg.listing_version);
        let url = self.window_url(&service, debut, fin)?;
        self.get_listing(acct, &service, &url, DepositsListing::parse_as)
            .await
    }

    /// `{service}/{debut}/{fin}` on the consultation host, the window checked (≤ 60 minutes).
    fn window_url(
        &self,
        service: &str,
        debut: NaiveDateTime,
        fin: NaiveDateTime,
    ) -> Result<String, NetEntError> {
        check_window(debut, fin)?;
        Ok(self.consult(&format!(
            "{service}/{}/{}",
            listing::format_ts(debut),
            listing::format_ts(fin)
        )))
    }

    /// GETs listing `service` at `url` and parses it in the format the answer declares.
    async fn get_listing<T>(
        &self,
        acct: usize,
        service: &str,
        url: &str,
        parse: fn(listing::ListingFormat, &[u8]) -> Result<T, listing::ListingError>,
    ) -> Result<T, NetEntError> {
        let (_, headers, body) = self.call(acct, |h| h.get(url), &[]).await?;
        let format = listing_format(service, &headers, &body)?;
        parse(format, &body).map_err(|e| bad_listing(service, e))
    }

    /// `lister-retours-flux/{version}/{idflux}`; `None` when net-entreprises does not know the
    /// flux (404 "flux inconnu", kit: services/recherche/ServiceRechercheParFlux2.java).
    pub async fn returns_of_flux(
        &self,
        idflux: &str,
    ) -> Result<Option<ReturnsListing>, NetEntError> {
        if idflux.is_empty()
            || idflux.len() > 50
            || !idflux.chars().all(|c| c.is_ascii_graphic() && c != '/')
        {
            return Err(NetEntError::permanent("config", None, "invalid idflux"));
        }
        // Its owner when known; else each account in turn (a flux is listed to its owner only).
        let candidates: Vec<usize> = match self.flux_owner(idflux) {
            Some(i) => vec![i],
            None => (0..self.accounts.len()).collect(),
        };
        for acct in candidates {
            if let Some(l) = self.returns_of_flux_as(acct, idflux).await? {
                self.own_flux(idflux, acct);
                return Ok(Some(l));
            }
        }
        Ok(None)
    }

    async fn returns_of_flux_as(
        &self,
        acct: usize,
        idflux: &str,
    ) -> Result<Option<ReturnsListing>, NetEntError> {
        let service = format!("lister-retours-flux/{}", self.cfg.listing_version);
        let url = self.consult(&format!("{service}/{idflux}"));
        let (status, headers, body) = self.call(acct, |h| h.get(&url), &[404]).await?;
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let format = listing_format(&service, &headers, &body)?;
        ReturnsListing::parse_as(format, &body)
            .map(Some)
            .map_err(|e| bad_listing(&service, e))
    }

    /// [`NetEntClient::returns_of_flux`] where an unknown flux (404) is an empty listing: the
    /// returns of a flux just deposited may not be listed yet.
    pub async fn list_returns_flux(&self, idflux: &str) -> Result<ReturnsListing, NetEntError> {
        Ok(self.returns_of_flux(idflux).await?.unwrap_or_default())
    }

    /// `lister-retours-declarant/{version}/{debut}/{fin}` (window ≤ 60 minutes), for every
    /// account, merged (flux are disjoint: each is its depositor's).
    pub async fn list_returns_declarant(
        &self,
        debut: NaiveDateTime,
        fin: NaiveDateTime,
    ) -> Result<ReturnsListing, NetEntError> {
        check_window(debut, fin)?;
        let mut all = ReturnsListing::default();
        for acct in 0..self.accounts.len() {
            let l = self.list_returns_declarant_as(acct, debut, fin).await?;
            for f in &l.flux {
                self.own_flux(&f.idflux, acct);
            }
            all.flux.extend(l.flux);
        }
        Ok(all)
    }

    async fn list_returns_declarant_as(
        &self,
        acct: usize,
        debut: NaiveDateTime,
        fin: NaiveDateTime,
    ) -> Result<ReturnsListing, NetEntError> {
        let service = format!("lister-retours-declarant/{}", self.cfg.listing_version);
        let url = self.window_url(&service, debut, fin)?;
        self.get_listing(acct, &service, &url, ReturnsListing::parse_as)
            .await
    }

    /// Lists returns over any range, one call per 60-minute window, merged by flux; an entry
    /// seen in two adjacent windows (published on the boundary second) is kept once.
    pub async fn list_returns_range(
        &self,
        start: NaiveDateTime,
        end: NaiveDateTime,
    ) -> Result<ReturnsListing, NetEntError> {
        let mut all = ReturnsListing::default();
        for (a, b) in listing::split_windows(start, end) {
            let part = self.list_returns_declarant(a, b).await?;
            for f in part.flux {
                match all.flux.iter_mut().find(|x| x.idflux == f.idflux) {
                    Some(existing) => {
                        for r in f.retours {
                            let seen = existing.retours.iter().any(|e| {
                                e.nature == r.nature
                                    && e.id == r.id
                                    && e.publication == r.publication
                            });
                            if !seen {
                                existing.retours.push(r);
                            }
                        }
                    }
                    None => all.flux.push(f),
                }
            }
        }
        Ok(all)
    }

    /// Downloads a return: from the listing's URL if any, else
    /// `telecharger-retour/1.0/{idflux}/{id}`.
    pub async fn download_return(
        &self,
        idflux: &str,
        entry: &listing::ReturnEntry,
    ) -> Result<Vec<u8>, NetEntError> {
        let url = match (&entry.url, &entry.id) {
            (Some(u), _) => u.clone(),
            (None, Some(id)) => join(
                &self.cfg.download_url,
                &format!("telecharger-retour/1.0/{idflux}/{id}"),
            ),
            (None, None) => {
                return Err(NetEntError::permanent(
                    "bad_answer",
                    None,
                    "return without id nor url",
                ));
            }
        };
        let acct = match self.flux_owner(idflux) {
            Some(i) => i,
            None => {
                // Learns the owner (after a restart) by asking each account.
                self.returns_of_flux(idflux).await?;
                self.flux_owner(idflux).unwrap_or(0)
            }
        };
        self.get_trusted(acct, &url).await
    }

    /// `GET lister-bpij-declarant/1.0/{debut}[/{fin}]?siret=&page=`, with the account of
    /// `siret`, or every account (merged) without one.
    pub async fn list_bpij(
        &self,
        debut: NaiveDate,
        fin: Option<NaiveDate>,
        siret: Option<&str>,
        page: Option<u32>,
    ) -> Result<BpijListing, NetEntError> {
        let accts: Vec<usize> = match siret {
            Some(s) if self.accounts.len() > 1 => vec![self.account_for(s)?],
            _ => (0..self.accounts.len()).collect(),
        };
        let mut all: Option<BpijListing> = None;
        for acct in accts {
            let l = self.list_bpij_as(acct, debut, fin, siret, page).await?;
            if self.accounts.len() > 1 {
                let mut o = self.owners();
                for (_, link) in l.links() {
                    o.links.insert(link.url.clone(), acct);
                }
            }
            match &mut all {
                None => all = Some(l),
                Some(a) => a.declares.extend(l.declares),
            }
        }
        Ok(all.unwrap_or_default())
    }

    async fn list_bpij_as(
        &self,
        acct: usize,
        debut: NaiveDate,
        fin: Option<NaiveDate>,
        siret: Option<&str>,
        page: Option<u32>,
    ) -> Result<BpijListing, NetEntError> {
        let mut path = format!("lister-bpij-declarant/1.0/{}", debut.format("%Y%m%d"));
        if let Some(f) = fin {
            path.push_str(&format!("/{}", f.format("%Y%m%d")));
        }
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(s) = siret {
            query.push(("siret", s.to_string()));
        }
        if let Some(p) = page {
            query.push(("page", p.to_string()));
        }
        let mut url = join(&self.cfg.bpij_url, &path);
        if !query.is_empty() {
            let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            url.push('?');
            url.push_str(&q.join("&"));
        }
        self.get_listing(
            acct,
            "lister-bpij-declarant/1.0",
            &url,
            BpijListing::parse_as,
        )
        .await
    }

    /// Downloads a BPIJ from a listing URL.
    pub async fn download_bpij(&self, url: &str) -> Result<Vec<u8>, NetEntError> {
        let acct = self.owners().links.get(url).copied().unwrap_or(0);
        self.get_trusted(acct, url).await
    }

    /// True when `url` is on one of the configured download/consultation hosts: the only
    /// ones the token is ever sent to. A listing may name other hosts (the kit's own sample
    /// BPIJ links read `https://.../telecharger-bpij/1.0/…`): each such link alone is refused
    /// (`untrusted_url`), never the listing that holds it.
    pub fn is_trusted_url(&self, url: &str) -> bool {
        [
            &self.cfg.download_url,
            &self.cfg.consult_url,
            &self.cfg.bpij_url,
        ]
        .iter()
        .any(|base| same_origin(base, url))
    }

    async fn get_trusted(&self, acct: usize, url: &str) -> Result<Vec<u8>, NetEntError> {
        if !self.is_trusted_url(url) {
            // Never send the token to a host we were not configured for.
            return Err(NetEntError::permanent(
                "untrusted_url",
                None,
                format!(
                    "link to a host that is not a configured net-entreprises host, skipped: {url}"
                ),
            ));
        }
        let (_, _, body) = self.call(acct, |h| h.get(url), &[]).await?;
        Ok(body.to_vec())
    }

    /// Looks for a deposit made around `sent_at` (± `tolerance`) whose returns name
    /// `identifiant_metier` (S20.G00.05.009). Used after a crash or an ambiguous failure.
    pub async fn find_deposit(
        &self,
        sent_at: NaiveDateTime,
        tolerance: chrono::Duration,
        identifiant_metier: &str,
    ) -> Result<Reconciliation, NetEntError> {
        let mut listing = DepositsListing::default();
        for (a, b) in listing::split_windows(sent_at - tolerance, sent_at + tolerance) {
            listing
                .depots
                .extend(self.list_deposits(a, b).await?.depots);
        }
        let candidates: Vec<String> = listing
            .candidates_near(sent_at, tolerance)
            .into_iter()
            .map(|d| d.idflux.clone())
            .collect();
        if candidates.is_empty() {
            return Ok(Reconciliation::NotFound);
        }
        for idflux in &candidates {
            let returns = self.list_returns_flux(idflux).await?;
            for (flux, entry) in returns.entries() {
                if entry.nature == "10" {
                    continue; // AEE/ARE do not carry the declaration's identifiant.
                }
                let Ok(doc) = self.download_return(flux, entry).await else {
                    continue;
                };
                if let Ok(r) = Rapport::parse(&doc)
                    && r.identifiants_metier().contains(&identifiant_metier)
                {
                    return Ok(Reconciliation::Found {
                        idflux: idflux.clone(),
                    });
                }
            }
        }
        Ok(Reconciliation::Unconfirmed { candidates })
    }
}
