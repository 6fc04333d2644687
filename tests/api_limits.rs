//! Web service strictness and limits (issue 17), with the real binary over mTLS: strings are
//! strings, 422 details truncate echoed values, 405 with `Allow`, 413 over HTTP/1.1 and
//! HTTP/2, idle connections closed, a cap on connections per client identity.

mod common;

use common::*;
use ijgate::channels::mtls_client::client_config;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

/// A site whose `[api]` has the given extra keys.
fn site_with_api(keys: &str) -> Site {
    let site = Site::new("");
    let text = std::fs::read_to_string(&site.config).unwrap();
    std::fs::write(
        &site.config,
        text.replacen("[api]\n", &format!("[api]\n{keys}\n"), 1),
    )
    .unwrap();
    site
}

fn tls(site: &Site, who: &str) -> Arc<rustls::ClientConfig> {
    client_config(
        &site.path("certs/ca.pem"),
        Some((
            &site.path(&format!("certs/client-{who}.pem")),
            &site.path(&format!("certs/client-{who}.key")),
        )),
    )
    .unwrap()
}

/// A reqwest client over our mTLS configuration; `h2` forces HTTP/2 (ALPN h2 only).
fn http(site: &Site, who: &str, h2: bool) -> reqwest::Client {
    let mut cfg = (*tls(site, who)).clone();
    cfg.alpn_protocols = if h2 {
        vec![b"h2".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    let b = reqwest::Client::builder().tls_backend_preconfigured(cfg);
    let b = if h2 {
        b.http2_prior_knowledge()
    } else {
        b.http1_only()
    };
    b.build().unwrap()
}

fn url(d: &Daemon, path: &str) -> String {
    format!("https://localhost:{}{path}", d.addr.unwrap().port())
}

#[test]
fn strings_truncation_405_and_413_over_both_protocols() {
    let site = site_with_api("max_body = 65536");
    let d = site.start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        for h2 in [false, true] {
            let c = http(&site, "rh-a", h2);
            // Strings are strings: `true` for hr_ref is refused, not turned into "oui".
            let mut decl = json_decl("STR-1", SIRET_A);
            decl["hr_ref"] = true.into();
            decl["salaries"] = serde_json::json!([2800.0]);
            let r = c
                .post(url(&d, "/v1/stoppages"))
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&decl).unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 422, "h2={h2}");
            let v: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
            let fields: Vec<&str> = v["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap())
                .collect();
            assert_eq!(fields, ["hr_ref", "salaries[0]"], "{v}");
            // A 422 echoes a bounded excerpt of a huge value.
            let mut decl = json_decl("STR-2", SIRET_A);
            decl["last_name"] = "Ω".repeat(40_000).into();
            let r = c
                .post(url(&d, "/v1/stoppages"))
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&decl).unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 413, "over max_body, h2={h2}");
            decl["last_name"] = "Ω".repeat(5_000).into();
            let r = c
                .post(url(&d, "/v1/stoppages"))
                .header("content-type", "application/json")
                .body(serde_json::to_vec(&decl).unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 422);
            let body = r.bytes().await.unwrap();
            assert!(body.len() < 1500, "{} bytes", body.len());
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let value = v["errors"][0]["value"].as_str().unwrap();
            assert_eq!(value.chars().count(), 65, "{value}");
            assert!(value.ends_with('…'));
            // A wrong method on a known route: 405 with Allow; an unknown route stays 404.
            let r = c.delete(url(&d, "/v1/stoppages")).send().await.unwrap();
            assert_eq!(r.status(), 405);
            assert_eq!(r.headers()["allow"], "GET, POST");
            let r = c.put(url(&d, "/v1/stoppages/12")).send().await.unwrap();
            assert_eq!(r.status(), 405);
            assert_eq!(r.headers()["allow"], "GET");
            assert_eq!(
                c.get(url(&d, "/v1/nothing")).send().await.unwrap().status(),
                404
            );
            // 413 over HTTP/2 too, declared length or streamed without one.
            let big = vec![b' '; 8_000_000];
            let r = c
                .post(url(&d, "/v1/stoppages"))
                .body(big.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 413, "h2={h2}");
            let chunks = futures_util::stream::iter(
                big.chunks(64_000)
                    .map(|c| {
                        Ok::<_, std::io::Error>(hyper::body::Frame::data(bytes::Bytes::from(
                            c.to_vec(),
                        )))
                    })
                    .collect::<Vec<_>>(),
            );
            let r = c
                .post(url(&d, "/v1/stoppages"))
                .body(reqwest::Body::wrap(http_body_util::StreamBody::new(chunks)))
                .send()
                .await;
            match r {
                Ok(r) => assert_eq!(r.status(), 413, "streamed, h2={h2}"),
                Err(e) => panic!("streamed body over the limit, h2={h2}: {e:?}"),
            }
        }
    });
    let _ = d;
}

async fn open_tls(
    site: &Site,
    d: &Daemon,
    who: &str,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect(d.addr.unwrap())
        .await
        .unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    tokio_rustls::TlsConnector::from(tls(site, who))
        .connect(name, tcp)
        .await
        .unwrap()
}

/// True when the server closes the connection within `t` (EOF or reset).
async fn closed_within(
    s: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    t: Duration,
) -> bool {
    let mut buf = [0u8; 64];
    matches!(
        tokio::time::timeout(t, s.read(&mut buf)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

#[test]
fn idle_connections_are_closed_and_connections_per_identity_capped() {
    let site = site_with_api("idle_timeout = \"3s\"\nmax_connections_per_client = 2");
    let d = site.start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut a1 = open_tls(&site, &d, "rh-a").await;
        let mut a2 = open_tls(&site, &d, "rh-a").await;
        // The third connection of rh-a is closed at once; rh-b has its own allowance.
        let mut a3 = open_tls(&site, &d, "rh-a").await;
        assert!(
            closed_within(&mut a3, Duration::from_millis(2500)).await,
            "third rh-a connection kept: {}",
            d.log_text()
        );
        let mut b1 = open_tls(&site, &d, "rh-b").await;
        assert!(
            !closed_within(&mut b1, Duration::from_millis(300)).await,
            "rh-b refused"
        );
        // Idle: closed after about idle_timeout, not kept for a minute.
        let t0 = Instant::now();
        assert!(
            closed_within(&mut a1, Duration::from_secs(10)).await,
            "idle connection kept"
        );
        assert!(closed_within(&mut a2, Duration::from_secs(10)).await);
        assert!(t0.elapsed() < Duration::from_secs(9), "{:?}", t0.elapsed());
        // Slots are given back: rh-a can connect and be served again.
        let c = http(&site, "rh-a", true);
        let r = c
            .get(url(&d, "/v1/stoppages?hr_ref=X"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    });
}

/// Reads (and drops) whatever the server sends until it closes the connection (EOF or reset):
/// true if that happens before `deadline`.
async fn server_closes(s: &mut tokio::net::TcpStream, deadline: tokio::time::Instant) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {} // the server's own handshake messages
        }
    }
}

fn refusals(admin: std::net::SocketAddr, reason: &str) -> u64 {
    let (status, body) = http_get(admin, "/metrics", None).unwrap();
    assert_eq!(status, 200, "{body}");
    let needle = format!("ijgate_api_refusals_total{{reason=\"{reason}\"}} ");
    body.lines()
        .find_map(|l| l.strip_prefix(&needle))
        .map_or(0, |v| v.trim().parse().unwrap())
}

/// Issue 17: `handshake_timeout` firing. A client that opens a TCP connection and never sends
/// its ClientHello, one that sends half of it, and one that stalls after it (the server has
/// answered; the client never finishes) are each disconnected once `handshake_timeout` has
/// passed, never before, and counted as `handshake_timeout`; a well-behaved client is served
/// meanwhile.
#[test]
fn stalled_tls_handshakes_are_cut_after_handshake_timeout() {
    const TIMEOUT: Duration = Duration::from_secs(4);
    let site = Site::new("[admin]\nenabled = true\nlisten = \"127.0.0.1:0\"\n");
    let text = std::fs::read_to_string(&site.config).unwrap();
    std::fs::write(
        &site.config,
        text.replacen("[api]\n", "[api]\nhandshake_timeout = \"4s\"\n", 1),
    )
    .unwrap();
    let d = site.start();
    let admin = d.admin.expect("admin listener");
    let before = refusals(admin, "handshake_timeout");
    // A real ClientHello, from rustls itself.
    let mut hello = Vec::new();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    rustls::ClientConnection::new(tls(&site, "rh-a"), name)
        .unwrap()
        .write_tls(&mut hello)
        .unwrap();
    assert!(
        hello.len() > 100 && hello[0] == 0x16,
        "a TLS handshake record"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use tokio::io::AsyncWriteExt;
        let addr = d.addr.unwrap();
        let t0 = tokio::time::Instant::now();
        let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut half = tokio::net::TcpStream::connect(addr).await.unwrap();
        half.write_all(&hello[..hello.len() / 2]).await.unwrap();
        let mut stalled = tokio::net::TcpStream::connect(addr).await.unwrap();
        stalled.write_all(&hello).await.unwrap();

        // Meanwhile, a well-behaved client is served, while the three still hang.
        let c = http(&site, "rh-b", false);
        let r = c
            .get(url(&d, "/v1/stoppages?hr_ref=X"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        for s in [&mut silent, &mut half, &mut stalled] {
            assert!(
                !server_closes(s, tokio::time::Instant::now()).await,
                "closed before handshake_timeout"
            );
        }

        // Each is cut by the server, not before the timeout, well before the deadline.
        let deadline = t0 + Duration::from_secs(30);
        for (what, s) in [
            ("no ClientHello", &mut silent),
            ("half a ClientHello", &mut half),
            ("stalled after its ClientHello", &mut stalled),
        ] {
            assert!(
                server_closes(s, deadline).await,
                "{what}: still open after 30 s; {}",
                d.log_text()
            );
            assert!(
                t0.elapsed() >= TIMEOUT,
                "{what}: cut after {:?}",
                t0.elapsed()
            );
        }
    });
    // Counted, once each.
    assert!(
        wait_until(Duration::from_secs(10), || refusals(
            admin,
            "handshake_timeout"
        ) >= before + 3),
        "{}",
        http_get(admin, "/metrics", None).unwrap().1
    );
    assert_eq!(refusals(admin, "handshake_timeout"), before + 3);
}
