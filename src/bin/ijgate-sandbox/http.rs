//! HTTP front of the sandbox: routing of the API DSN / CNAM PJ IJ paths, transport checks
//! (token, gzip, content types) and injected faults. Business answers come from [`State`].

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::{NaiveDate, NaiveDateTime};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use super::state::{DepositResult, Fault, Principal, State};
use super::{Clock, auth, kit, pj};
use ijgate::formats::listing::{self, ListingFormat, MAX_WINDOW_MINUTES};
use ijgate::formats::xml_tree;

/// Largest request body (compressed) and largest DSN once gunzipped.
const MAX_BODY: usize = 16 * 1024 * 1024;
const MAX_DSN: usize = 64 * 1024 * 1024;

pub type Resp = Response<Full<Bytes>>;

/// `lister-depots` window of a concentrateur (kit: modeles/Config.java).
const CONCENTRATEUR_WINDOW_MINUTES: i64 = 10;

/// What a request handler needs.
#[derive(Clone)]
pub struct Ctx {
    pub state: Arc<Mutex<State>>,
    pub clock: Clock,
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

/// Error returned to hyper to drop the connection without an answer (injected reset).
#[derive(Debug)]
pub struct InjectedReset;

impl std::fmt::Display for InjectedReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("injected connection reset")
    }
}
impl std::error::Error for InjectedReset {}

fn status(code: StatusCode) -> Resp {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = code;
    r
}

fn unauthorized(realm: &str) -> Resp {
    let mut r = status(StatusCode::UNAUTHORIZED);
    if let Ok(v) = HeaderValue::from_str(realm) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}

fn accepts_gzip(req: &Request<Incoming>) -> Option<bool> {
    req.headers()
        .get(header::ACCEPT_ENCODING)
        .map(|v| v.to_str().unwrap_or_default().contains("gzip"))
}

fn gzip(data: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).ok()?;
    enc.finish().ok()
}

/// Body answer, gzipped when the client accepts it.
fn body(code: StatusCode, content_type: &str, data: Vec<u8>, gz: bool) -> Resp {
    let (data, encoded) = match gz.then(|| gzip(&data)).flatten() {
        Some(z) => (z, true),
        None => (data, false),
    };
    let mut r = Response::new(Full::new(Bytes::from(data)));
    *r.status_mut() = code;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    if encoded {
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    r.headers_mut().insert(
        header::EXPIRES,
        HeaderValue::from_static("Thu, 01 Dec 1994 16:00:00 GMT"),
    );
    r
}

fn base_url(req: &Request<Incoming>) -> String {
    let host = req
        .uri()
        .authority()
        .map(|a| a.to_string())
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "localhost".into());
    format!("https://{host}/")
}

async fn read_body(req: Request<Incoming>) -> Option<Bytes> {
    Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .ok()
        .map(|c| c.to_bytes())
}

fn gunzip(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .take(u64::try_from(MAX_DSN).unwrap_or(u64::MAX) + 1)
        .read_to_end(&mut out)
        .ok()?;
    (out.len() <= MAX_DSN).then_some(out)
}

/// What the request's `Accept-Encoding` allows. The kit answers 406 only when the header is
/// present without gzip (kit: `headerAcceptEncoding != null && !contains("gzip")`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AcceptEnc {
    Absent,
    Gzip,
    Other,
}

fn accept_enc(req: &Request<Incoming>) -> AcceptEnc {
    match accepts_gzip(req) {
        None => AcceptEnc::Absent,
        Some(true) => AcceptEnc::Gzip,
        Some(false) => AcceptEnc::Other,
    }
}

/// The peer's "now": the injected clock shifted by the scenario's `clock_skew`.
fn peer_now(ctx: &Ctx) -> NaiveDateTime {
    let skew = ctx
        .state
        .lock()
        .map(|s| s.scenario.clock_skew)
        .unwrap_or_default();
    (ctx.clock)() + chrono::Duration::seconds(skew)
}

/// A 200 as the kit's services write it: Content-Type, `Expires` = now + 2 minutes on every
/// 200 (kit: utils/ExpiresHeaderFilter.java, modeles/Config.java RATE_LIMITING_BACKOFF),
/// `Cache-Control: no-cache` on the `@NoCache` services, gzip when accepted.
fn ok(ctx: &Ctx, content_type: &str, data: Vec<u8>, ae: AcceptEnc, no_cache: bool) -> Resp {
    let mut r = body(StatusCode::OK, content_type, data, ae == AcceptEnc::Gzip);
    let skew = ctx
        .state
        .lock()
        .map(|s| s.scenario.clock_skew)
        .unwrap_or_default();
    let expires = chrono::Utc::now() + chrono::Duration::seconds(skew + 120);
    if let Ok(v) = HeaderValue::from_str(&expires.format("%a, %d %b %Y %H:%M:%S GMT").to_string()) {
        r.headers_mut().insert(header::EXPIRES, v);
    }
    if no_cache {
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    r
}

fn listing_format(version: &str) -> ListingFormat {
    if version == "1.0" {
        ListingFormat::Xml
    } else {
        ListingFormat::Json
    }
}

/// Entry point for one request.
pub async fn handle(ctx: Ctx, req: Request<Incoming>) -> Result<Resp, InjectedReset> {
    let path = req.uri().path().to_string();
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let first = segments.first().cloned().unwrap_or_default();
    if first == "sandbox" {
        return Ok(sandbox_route(&ctx, &req, &segments));
    }
    let fault = ctx
        .state
        .lock()
        .map(|mut s| s.draw_fault(&first))
        .unwrap_or(None);
    match fault {
        Some(Fault::Reset) => return Err(InjectedReset),
        Some(Fault::Error5xx) => return Ok(status(StatusCode::SERVICE_UNAVAILABLE)),
        Some(Fault::Throttle) => {
            let secs = ctx
                .state
                .lock()
                .map(|s| s.scenario.faults.retry_after.as_secs())
                .unwrap_or(1);
            let mut r = status(StatusCode::TOO_MANY_REQUESTS);
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(r);
        }
        Some(Fault::Timeout) => {
            let delay = ctx
                .state
                .lock()
                .map(|s| s.scenario.faults.timeout_delay)
                .unwrap_or_default();
            let mut shutdown = ctx.shutdown.clone();
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => {}
            }
            return Ok(status(StatusCode::GATEWAY_TIMEOUT));
        }
        None => {}
    }
    let ae = accept_enc(&req);
    // The CNAM PJ IJ API is published under /public/rest/facade/v1.
    let seg: Vec<&str> = match segments.iter().map(String::as_str).collect::<Vec<_>>() {
        v if v.starts_with(&["public", "rest", "facade", "v1"]) => v[4..].to_vec(),
        v => v,
    };
    let method = req.method().clone();
    Ok(match (method, seg.as_slice()) {
        (Method::POST, ["authentifier", "1.0"]) => authenticate(&ctx, req, ae).await,
        (Method::POST, ["deposer-dsn", v @ ("1.0" | "2.0")]) => {
            let v = v.to_string();
            deposit(&ctx, req, ae, &v).await
        }
        (Method::GET, ["lister-depots", v @ ("1.0" | "2.0"), debut, rest @ ..])
            if rest.len() <= 1 =>
        {
            list_deposits(&ctx, &req, ae, v, debut, rest.first().copied())
        }
        (Method::GET, ["lister-retours-flux", v @ ("1.0" | "2.0"), idflux]) => {
            list_returns_flux(&ctx, &req, ae, v, idflux)
        }
        (
            Method::GET,
            [
                "lister-retours-declarant",
                v @ ("1.0" | "2.0"),
                debut,
                rest @ ..,
            ],
        ) if rest.len() <= 1 => {
            list_returns_declarant(&ctx, &req, ae, v, debut, rest.first().copied())
        }
        (
            Method::GET,
            [
                "lister-retours-concentrateur",
                v @ ("1.0" | "2.0"),
                debut,
                rest @ ..,
            ],
        ) if rest.len() <= 1 => {
            list_returns_concentrateur(&ctx, &req, ae, v, debut, rest.first().copied())
        }
        (Method::GET, ["lister-bpij-concentrateur", "1.0", debut, rest @ ..])
            if rest.len() <= 1 =>
        {
            list_bpij_concentrateur(&ctx, &req, ae, debut, rest.first().copied())
        }
        (Method::GET, ["telecharger-retour", "1.0", idflux, id]) => {
            download_return(&ctx, &req, ae, idflux, id)
        }
        (Method::GET, ["lister-bpij-declarant", "1.0", debut, rest @ ..]) if rest.len() <= 1 => {
            list_bpij(&ctx, &req, ae, debut, rest.first().copied())
        }
        (Method::GET, ["telecharger-bpij", "1.0", id]) => {
            if ae == AcceptEnc::Other {
                return Ok(status(StatusCode::NOT_ACCEPTABLE));
            }
            let now = peer_now(&ctx);
            let siret = match authorize(&ctx, &req, false, now) {
                Ok(Principal::Declarant(s)) => s,
                Ok(Principal::Kit) => return Ok(status(StatusCode::NOT_FOUND)),
                Err(r) => return Ok(*r),
            };
            match ctx.state.lock().map(|s| s.bpij_body(&siret, id, now)) {
                Ok(Some(b)) => ok(&ctx, "application/xml", b, ae, true),
                Ok(None) => status(StatusCode::NOT_FOUND),
                Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
        (Method::POST, ["indemnites-journalieres-pj"]) => {
            if ae == AcceptEnc::Other {
                return Ok(status(StatusCode::NOT_ACCEPTABLE));
            }
            pj_upload(&ctx, req, ae == AcceptEnc::Gzip).await
        }
        (Method::GET, ["indemnites-journalieres-pj", rest @ ..]) => {
            if ae == AcceptEnc::Other {
                return Ok(status(StatusCode::NOT_ACCEPTABLE));
            }
            let gz = ae == AcceptEnc::Gzip;
            if auth(&ctx, &req).is_none() {
                return Ok(unauthorized(auth::INVALID_TOKEN));
            }
            let reports = ctx
                .state
                .lock()
                .map(|s| s.pj_reports.clone())
                .unwrap_or_default();
            match rest.first() {
                Some(id) => match reports.iter().rev().find(|r| r.id_envoi == *id) {
                    Some(r) => json(StatusCode::OK, r, gz),
                    None => status(StatusCode::NOT_FOUND),
                },
                None => json(
                    StatusCode::OK,
                    &serde_json::json!({
                        "page": 1, "taillePage": reports.len(), "totalPages": 1,
                        "totalElements": reports.len(), "nombreElements": reports.len(),
                        "elements": reports,
                    }),
                    gz,
                ),
            }
        }
        _ => status(StatusCode::NOT_FOUND),
    })
}

/// The kit's `Authorization` check, or the 401 to answer.
fn authorize(
    ctx: &Ctx,
    req: &Request<Incoming>,
    needs_declarant: bool,
    now: NaiveDateTime,
) -> Result<Principal, Box<Resp>> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match ctx
        .state
        .lock()
        .map(|mut s| s.authorize(header, needs_declarant, now))
    {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(refusal)) => Err(Box::new(unauthorized(refusal.realm()))),
        Err(_) => Err(Box::new(status(StatusCode::INTERNAL_SERVER_ERROR))),
    }
}

/// True when the caller authenticated as a concentrateur (its `lister-depots` window is 10
/// minutes, kit: modeles/Config.java `plageDeRechercheParConcentrateur`).
fn is_concentrateur(req: &Request<Incoming>) -> bool {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let pairs = auth::parse_header(header);
    !pairs.iter().any(|(k, _)| k == "jeton") && pairs.iter().any(|(k, _)| k == "concentrateur")
}

/// `{debut}[/{fin}]` as `AAAAMMJJHHMMSS`; a missing `fin` is now. 422 on a bad date
/// (kit: `DateUtils.parse` → ParseException → 422).
fn window_bounds(
    debut: &str,
    fin: Option<&str>,
    now: NaiveDateTime,
) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let parse = |s: &str| (s.len() == 14).then(|| listing::parse_ts(s)).flatten();
    let a = parse(debut)?;
    let b = match fin {
        Some(f) => parse(f)?,
        None => now,
    };
    Some((a, b))
}

/// kit: 429 when `fin` is after `debut + plage` (a reversed window is not refused).
fn too_wide(a: NaiveDateTime, b: NaiveDateTime, minutes: i64) -> bool {
    b > a + chrono::Duration::minutes(minutes)
}

fn ranged_to(mut r: Resp, minutes: i64) -> Resp {
    if let Ok(v) = HeaderValue::from_str(&format!("minutes=0-{minutes}")) {
        r.headers_mut().insert(header::ACCEPT_RANGES, v);
    }
    r
}

/// kit: services/depot/recherche/ServiceRechercherDepotsParConcentrateur{,2}.java.
fn list_deposits(
    ctx: &Ctx,
    req: &Request<Incoming>,
    ae: AcceptEnc,
    version: &str,
    debut: &str,
    fin: Option<&str>,
) -> Resp {
    let now = peer_now(ctx);
    let Some((a, b)) = window_bounds(debut, fin, now) else {
        return status(StatusCode::UNPROCESSABLE_ENTITY);
    };
    if ae == AcceptEnc::Other {
        return status(StatusCode::NOT_ACCEPTABLE);
    }
    let principal = match authorize(ctx, req, true, now) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let plage = if is_concentrateur(req) {
        CONCENTRATEUR_WINDOW_MINUTES
    } else {
        MAX_WINDOW_MINUTES
    };
    if too_wide(a, b, plage) {
        return status(StatusCode::TOO_MANY_REQUESTS);
    }
    let format = listing_format(version);
    let text = match principal {
        Principal::Kit => kit::deposits(format),
        Principal::Declarant(siret) => {
            let Ok((mut l, lag)) = ctx
                .state
                .lock()
                .map(|s| (s.deposits_between(&siret, a, b), s.scenario.listing_lag))
            else {
                return status(StatusCode::INTERNAL_SERVER_ERROR);
            };
            // Knob `listing_lag`: a deposit is listed only that long after its reception.
            let lag = chrono::Duration::from_std(lag).unwrap_or(chrono::Duration::MAX);
            l.depots.retain(|d| {
                d.date
                    .is_some_and(|t| t.checked_add_signed(lag).is_some_and(|v| v <= now))
            });
            l.render(format)
        }
    };
    ranged_to(
        ok(ctx, format.content_type(), text.into_bytes(), ae, true),
        plage,
    )
}

/// kit: services/recherche/ServiceRechercheParFlux{,2}.java.
fn list_returns_flux(
    ctx: &Ctx,
    req: &Request<Incoming>,
    ae: AcceptEnc,
    version: &str,
    idflux: &str,
) -> Resp {
    if idflux.len() > 50 {
        return status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    if ae == AcceptEnc::Other {
        return status(StatusCode::NOT_ACCEPTABLE);
    }
    let now = peer_now(ctx);
    let principal = match authorize(ctx, req, false, now) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    if idflux == "kaboom" {
        return status(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let format = listing_format(version);
    let text = match principal {
        Principal::Kit => kit::returns_of_flux(idflux, format),
        Principal::Declarant(siret) => {
            let base = base_url(req);
            match ctx
                .state
                .lock()
                .map(|s| s.returns_of_flux(&siret, idflux, now, &base))
            {
                Ok(l) => l.map(|l| l.render(format)),
                Err(_) => return status(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
    };
    match text {
        Some(t) => ok(ctx, format.content_type(), t.into_bytes(), ae, true),
        None => status(StatusCode::NOT_FOUND),
    }
}

/// kit: services/recherche/ServiceRechercheParDeclarant{,2}.java.
fn list_returns_declarant(
    ctx: &Ctx,
    req: &Request<Incoming>,
    ae: AcceptEnc,
    version: &str,
    debut: &str,
    fin: Option<&str>,
) -> Resp {
    let now = peer_now(ctx);
    let Some((a, b)) = window_bounds(debut, fin, now) else {
        return status(StatusCode::UNPROCESSABLE_ENTITY);
    };
    if ae == AcceptEnc::Other {
        return status(StatusCode::NOT_ACCEPTABLE);
    }
    let principal = match authorize(ctx, req, true, now) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    if too_wide(a, b, MAX_WINDOW_MINUTES) {
        return status(StatusCode::TOO_MANY_REQUESTS);
    }
    let format = listing_format(version);
    let text = match principal {
        Principal::Kit => kit::returns_declarant(format),
        Principal::Declarant(siret) => {
            let base = base_url(req);
            match ctx
                .state
                .lock()
                .map(|s| s.returns_between(&siret, a, b, now, &base))
            {
                Ok(l) => l.render(format),
                Err(_) => return status(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
    };
    ranged_to(
        ok(ctx, format.content_type(), text.into_bytes(), ae, true),
        MAX_WINDOW_MINUTES,
    )
}

/// kit: services/telechargement/ServiceTelechargement.java.
fn download_return(
    ctx: &Ctx,
    req: &Request<Incoming>,
    ae: AcceptEnc,
    idflux: &str,
    id: &str,
) -> Resp {
    if ae == AcceptEnc::Other {
        return status(StatusCode::NOT_ACCEPTABLE);
    }
    if idflux.len() > 50 || id.len() > 10 {
        return status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let now = peer_now(ctx);
    let principal = match authorize(ctx, req, false, now) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    match id {
        "purge" => return status(StatusCode::NOT_FOUND),
        "kaboom" => return status(StatusCode::INTERNAL_SERVER_ERROR),
        _ => {}
    }
    match principal {
        Principal::Kit => match kit::download(idflux, id) {
            Some((ct, b)) => ok(ctx, ct, b, ae, true),
            None => status(StatusCode::NOT_FOUND),
        },
        Principal::Declarant(siret) => match ctx
            .state
            .lock()
            .map(|s| s.return_body(&siret, idflux, id, now))
        {
            Ok(Some(b)) => ok(ctx, "application/xml", b, ae, true),
            Ok(None) => status(StatusCode::NOT_FOUND),
            Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
        },
    }
}

/// The concentrateur-only services accept a concentrateur token and nothing else ("Pas un
/// concentrateur" → invalid token; kit: ServiceRechercheParConcentrateur.java,
/// ServiceRechercheBpijParConcentrateur.java). Served with the kit's data only.
fn concentrateur_only(req: &Request<Incoming>) -> Result<(), auth::Refusal> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let pairs = auth::parse_header(header);
    let Some((_, c)) = pairs.iter().find(|(k, _)| k == "concentrateur") else {
        return Err(auth::Refusal::InvalidToken);
    };
    match auth::read_caller(Some(&format!("DSNLogin concentrateur={c}")), false)? {
        auth::Caller::Concentrateur { who, .. } => auth::check_concentrateur(&who, None),
        auth::Caller::Declarant { .. } => Err(auth::Refusal::InvalidToken),
    }
}

/// kit: services/recherche/ServiceRechercheParConcentrateur.java (1.0 XML, 2.0 JSON; window
/// of 10 minutes checked before Accept-Encoding and the token).
fn list_returns_concentrateur(
    ctx: &Ctx,
    req: &Request<Incoming>,
    ae: AcceptEnc,
    version: &str,
    debut: &str,
    fin: Option<&str>,
) -> Resp {
    let now = peer_now(ctx);
    let Some((a, b)) = window_bounds(debut, fin, now) else {
        return status(StatusCode::UNPROCESSABLE_ENTITY);
    };
    if too_wide(a, b, CONCENTRATEUR_WINDOW_MINUTES) {
        return status(StatusCode::TOO_MANY_REQUESTS);
    }
    if ae == AcceptEnc::Other {
        return status(StatusCode::NOT_ACCEPTABLE);
    }
    if let Err(r) = concentrateur_only(req) {
        return unauthorized(r.realm());
    }
    let format = listing_format(version);
    ranged_to(
        ok(
            ctx,
            format.content_type(),
            kit::returns_declarant(format).into_bytes(),
            ae,
            true,
        ),
        CONCENTRATEUR_WINDOW_MINUTES,
    )
}

/// The day window of the BPIJ listings (`AAAAMMJJ`, kit: services/recherche/
/// ServiceRechercheBpijParDeclarant.java): `fin` defaults to the peer's today; `None` (a 422)
/// when a date is not eight digits of a real day.
fn day_bounds(
    debut: &str,
    fin: Option<&str>,
    now: chrono::NaiveDateTime,
) -> Option<(NaiveDate, NaiveDate)> {
    let day = |s: &str| {
        (s.len() == 8)
            .then(|| NaiveDate::parse_from_str(s, "%Y%m%d").ok())
            .flatten()
    };
    Some((day(debut)?, fin.map_or(Some(now.date()), day)?))
}

/// kit: services/recherche/ServiceRechercheBpijParConcentrateur.java.
fn list_bpij_concentrateur(
    ctx: &Ctx,
    req: &Request<Incoming>,
    ae: AcceptEnc,
    debut: &str,
    fin: Option<&str>,
) -> Resp {
    let now = peer_now(ctx);
    let Some((a, _)) = day_bounds(debut, fin, now) else {
        return status(StatusCode::UNPROCESSABLE_ENTITY);
    };
    if ae == AcceptEnc::Other {
        return status(StatusCode::NOT_ACCEPTABLE);
    }
    if let Err(r) = concentrateur_only(req) {
        return unauthorized(r.realm());
    }
    let text = if a == now.date() {
        kit::REPONSE_LISTER_BPIJ_VIDE
    } else {
        kit::REPONSE_LISTER_BPIJ
    };
    ok(ctx, "application/xml", text.as_bytes().to_vec(), ae, true)
}

/// kit: services/recherche/ServiceRechercheBpijParDeclarant.java (dates `AAAAMMJJ`).
fn list_bpij(
    ctx: &Ctx,
    req: &Request<Incoming>,
    ae: AcceptEnc,
    debut: &str,
    fin: Option<&str>,
) -> Resp {
    let now = peer_now(ctx);
    let Some((a, b)) = day_bounds(debut, fin, now) else {
        return status(StatusCode::UNPROCESSABLE_ENTITY);
    };
    if ae == AcceptEnc::Other {
        return status(StatusCode::NOT_ACCEPTABLE);
    }
    let principal = match authorize(ctx, req, true, now) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let text = match principal {
        // The kit answers the empty sample for a window starting today, the full one otherwise.
        Principal::Kit if a == now.date() => kit::REPONSE_LISTER_BPIJ_VIDE.to_string(),
        Principal::Kit => kit::REPONSE_LISTER_BPIJ.to_string(),
        Principal::Declarant(siret) => {
            let query: Vec<(String, String)> = req
                .uri()
                .query()
                .unwrap_or_default()
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let q = |k: &str| query.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
            let page = q("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let base = base_url(req);
            match ctx.state.lock().map(|s| {
                let query = super::state::BpijQuery {
                    debut: a,
                    fin: b,
                    siret: q("siret"),
                    page,
                };
                s.bpij_listing(&siret, &query, now, &base)
            }) {
                Ok(l) => l.to_xml(),
                Err(_) => return status(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
    };
    ok(ctx, "application/xml", text.into_bytes(), ae, true)
}

fn json<T: serde::Serialize>(code: StatusCode, v: &T, gz: bool) -> Resp {
    match serde_json::to_vec(v) {
        Ok(b) => body(code, "application/json", b, gz),
        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

fn auth(ctx: &Ctx, req: &Request<Incoming>) -> Option<String> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let now = (ctx.clock)();
    ctx.state.lock().ok()?.check_token(header, now)
}

/// kit: services/auth/ServiceAuthentificationNetEImpl.java.
async fn authenticate(ctx: &Ctx, req: Request<Incoming>, ae: AcceptEnc) -> Resp {
    let is_xml = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let e = v.split(';').next().unwrap_or_default().trim();
            e.eq_ignore_ascii_case("application/xml") || e.eq_ignore_ascii_case("text/xml")
        });
    if !is_xml {
        return status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    if ae == AcceptEnc::Other {
        return status(StatusCode::NOT_ACCEPTABLE);
    }
    let Some(raw) = read_body(req).await else {
        return status(StatusCode::BAD_REQUEST);
    };
    let Ok(root) = xml_tree::parse(&raw) else {
        return status(StatusCode::BAD_REQUEST);
    };
    if root.name != "identifiants" {
        return status(StatusCode::BAD_REQUEST);
    }
    let f = |n: &str| root.child_text(n).map(str::to_string);
    let (Some(siret), Some(nom), Some(prenom), Some(mdp), Some(service)) = (
        f("siret"),
        f("nom"),
        f("prenom"),
        f("motdepasse"),
        f("service"),
    ) else {
        return status(StatusCode::UNPROCESSABLE_ENTITY);
    };
    if service.chars().count() > 2
        || siret.chars().count() != 14
        || nom.chars().count() > 64
        || prenom.chars().count() > 39
        || mdp.chars().count() > 30
    {
        return status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let token_ok = |token: String| {
        let mut r = ok(
            ctx,
            "application/octet-stream",
            token.into_bytes(),
            AcceptEnc::Absent,
            false,
        );
        r.headers_mut().remove(header::CACHE_CONTROL);
        r
    };
    // The kit's fixture accounts answer as in the kit, whatever the scenario.
    let fixture = |who: auth::Identity| auth::make_token(&who, "22/06/2013 01:20:00", 1);
    if (siret.as_str(), nom.as_str(), prenom.as_str(), mdp.as_str())
        == ("99900000300015", "declarant", "declarant", "Refonte01")
    {
        return match service.as_str() {
            "97" | "94" => token_ok(fixture(auth::kit_declarant())),
            _ => unauthorized(auth::AUTH_REFUSED),
        };
    }
    if (siret.as_str(), nom.as_str(), prenom.as_str(), mdp.as_str())
        == ("18751249600022", "CTR2000", "concentrateur", "azerty")
    {
        return match service.as_str() {
            "98" => token_ok(fixture(auth::kit_concentrateur())),
            _ => unauthorized(auth::AUTH_REFUSED),
        };
    }
    if nom == "kaboom" {
        return status(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let now = peer_now(ctx);
    let result = ctx
        .state
        .lock()
        .map(|mut s| s.authenticate(&siret, &nom, &prenom, &mdp, &service, now));
    match result {
        Ok(Ok(token)) => token_ok(token),
        Ok(Err(422)) => status(StatusCode::UNPROCESSABLE_ENTITY),
        Ok(Err(_)) => unauthorized(auth::AUTH_REFUSED),
        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// kit: services/depot/ServiceDepotImpl.java (1.0, application/xml) and ServiceDepot2.java
/// (2.0, application/json — with the AEE/ARE XML as body, as the kit does).
async fn deposit(ctx: &Ctx, req: Request<Incoming>, ae: AcceptEnc, version: &str) -> Resp {
    let h = req.headers();
    let is_text = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("text/plain")
        });
    if !is_text {
        return status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    let is_gzip = h
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "gzip");
    if !is_gzip {
        return status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    if ae == AcceptEnc::Other {
        return status(StatusCode::NOT_ACCEPTABLE);
    }
    let now = peer_now(ctx);
    let principal = authorize(ctx, &req, true, now);
    let Some(raw) = read_body(req).await else {
        return status(StatusCode::BAD_REQUEST);
    };
    if raw.is_empty() {
        // No body at all: the kit's framework fails reading the gzip stream (400).
        return status(StatusCode::BAD_REQUEST);
    }
    // An undecodable gzip stream is a file format error: ARE, like the real service.
    let file = gunzip(&raw).unwrap_or_else(|| b"\x00not gzip".to_vec());
    if file.is_empty() {
        return status(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let principal = match principal {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let ct = if version == "1.0" {
        "application/xml"
    } else {
        "application/json"
    };
    let answer = |code: StatusCode, b: Vec<u8>, force_gzip: bool| {
        let mut r = if code == StatusCode::OK {
            ok(
                ctx,
                ct,
                b,
                if force_gzip { AcceptEnc::Gzip } else { ae },
                false,
            )
        } else {
            body(code, ct, b, ae == AcceptEnc::Gzip)
        };
        if code != StatusCode::OK {
            r.headers_mut().remove(header::EXPIRES);
        }
        r
    };
    match principal {
        Principal::Kit => {
            if !file.starts_with(b"S10") {
                return answer(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    kit::ARE.as_bytes().to_vec(),
                    false,
                );
            }
            if memchr::memmem::find(&file, b"KABOOM").is_some() {
                return status(StatusCode::INTERNAL_SERVER_ERROR);
            }
            // The kit sets Content-Encoding: gzip on its AEE whatever Accept-Encoding says.
            answer(StatusCode::OK, kit::AEE.as_bytes().to_vec(), true)
        }
        Principal::Declarant(siret) => {
            match ctx.state.lock().map(|mut s| s.deposit(&siret, &file, now)) {
                Ok(DepositResult::Accepted { idflux, body: b }) => {
                    tracing::info!(idflux = %idflux, "sandbox: deposit accepted");
                    answer(StatusCode::OK, b.into_bytes(), true)
                }
                Ok(DepositResult::Rejected { body: b }) => {
                    tracing::info!("sandbox: deposit rejected (ARE)");
                    answer(StatusCode::UNPROCESSABLE_ENTITY, b.into_bytes(), false)
                }
                Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
    }
}

async fn pj_upload(ctx: &Ctx, req: Request<Incoming>, gz: bool) -> Resp {
    if auth(ctx, &req).is_none() {
        return unauthorized(auth::INVALID_TOKEN);
    }
    let Some(b) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(pj::boundary)
    else {
        return status(StatusCode::BAD_REQUEST);
    };
    let Some(raw) = read_body(req).await else {
        return status(StatusCode::PAYLOAD_TOO_LARGE);
    };
    let Some(parts) = pj::parse_multipart(&raw, &b) else {
        return status(StatusCode::BAD_REQUEST);
    };
    let now = (ctx.clock)();
    let report = pj::check_upload(&parts, &listing::format_ts(now));
    let code = if report.code_retour == "200" {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let answer = json(code, &report, gz);
    if let Ok(mut s) = ctx.state.lock() {
        s.record_pj(report);
    }
    answer
}

fn sandbox_route(ctx: &Ctx, _req: &Request<Incoming>, seg: &[String]) -> Resp {
    match seg.get(1).map(String::as_str) {
        Some("stats") => {
            let now = peer_now(ctx);
            match ctx.state.lock().map(|s| s.stats(now)) {
                Ok(st) => json(StatusCode::OK, &st, false),
                Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
        _ => status(StatusCode::NOT_FOUND),
    }
}
