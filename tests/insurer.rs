//! The insurer's side end to end with the real binary: per-insurer stoppage messages, the
//! franchise trigger across a crash, BPIJ dropped in the spool split between the employer and
//! two insurers, and `ijgate report`.

mod common;

use common::insurers::{InsurerFx, contract, insurers_toml};
use common::*;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);
const NIR_B: &str = "2850578006048";

/// Employer A insured by PREVA (franchise 1 day: due at once for the fixture dates),
/// employer B by PREVB (franchise 400 days: never due during the test).
fn insurer_site(netent: &str) -> Site {
    let insurers = insurers_toml(&[
        InsurerFx {
            code: "PREVA",
            name: "Prévoyance A",
            extra: "",
            contracts: &[contract("CT-A", &[SIRET_A], 1)],
        },
        InsurerFx {
            code: "PREVB",
            name: "Prévoyance B",
            extra: "",
            contracts: &[contract("CT-B", &[SIRET_B], 400)],
        },
    ]);
    Site::new(&format!("{netent}\n{insurers}"))
}

fn row_b(hr_ref: &str) -> String {
    csv_row(hr_ref, SIRET_B)
        .replace("1850578006084", NIR_B)
        .replace("/1985;1;", "/1985;2;")
}

fn named(site: &Site, dir: &str, part: &str) -> Vec<String> {
    site.files(dir)
        .into_iter()
        .filter(|n| n.contains(part))
        .collect()
}

fn read(site: &Site, rel: &str) -> String {
    std::fs::read_to_string(site.path(rel)).unwrap()
}

/// A 02.04 slip for both employers (one CPAM each), NIR of A with its key (15 characters).
fn bpij_two_employers() -> String {
    let assure = |nir: &str, nom: &str| {
        format!(
            "<Assure><NIR>{nir}</NIR><Nom>{nom}</Nom><Prenom>X</Prenom><Cumul><Libelle>Total Salarié</Libelle><Montant>100.00</Montant></Cumul>\
<Assurance><CodeNature>MA</CodeNature><Cumul><Libelle>T</Libelle><Montant>100.00</Montant></Cumul>\
<Prestation><CodeNature>IJNOR</CodeNature><Libelle>IJ NORMALES</Libelle><DateDebPrest>2026-11-13</DateDebPrest><DateFinPrest>2026-11-20</DateFinPrest>\
<NumSin>1</NumSin><NbIJ>8.0</NbIJ><IJSub>true</IJSub><PU>12.50</PU><Montant>100.00</Montant></Prestation></Assurance></Assure>"
        )
    };
    let declare = |siret: &str, cpam: &str, a: String| {
        format!(
            "<Declare><Identite R=\"SIRET\">{siret}</Identite><Cumul><Libelle>T</Libelle><Montant>100.00</Montant></Cumul>\
<Caisse><CodeCPAM>{cpam}</CodeCPAM><JComptable>2026-11-24</JComptable><Cumul><Libelle>T</Libelle><Montant>100.00</Montant></Cumul>{a}</Caisse></Declare>"
        )
    };
    let nir_a_15 = "185057800608491";
    format!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BPIJ Nature=\"BPIJ\" Version=\"02.04\" xmlns=\"www.cnamts.fr/tlsemp/IJ\">\
<Identification>777001</Identification><Temps>2026-11-24T00:00:00.000+01:00</Temps><Declarant><Identite R=\"SIRET\">{SIRET_A}</Identite>\
<Cumul><Libelle>T</Libelle><Montant>200.00</Montant></Cumul>{}{}</Declarant></BPIJ>",
        declare(SIRET_A, "751", assure(nir_a_15, "DUPONT")),
        declare(SIRET_B, "631", assure(NIR_B, "MARTIN")),
    )
}

#[test]
fn bpij_for_two_insurers_is_split_and_each_insurer_sees_only_its_insured() {
    let site = insurer_site("");
    let mut d = site.start();
    site.drop_file("rh-a_1.csv", &csv(&[csv_row("A-1", SIRET_A)]));
    site.drop_file("rh-b_1.csv", &csv(&[row_b("B-1")]));
    assert!(
        wait_until(T, || !named(
            &site,
            "spool/outbound/insurer/PREVA",
            "A-1_stoppage_"
        )
        .is_empty()
            && !named(&site, "spool/outbound/insurer/PREVB", "B-1_stoppage_")
                .is_empty()),
        "{}",
        d.log_text()
    );
    assert!(named(&site, "spool/outbound/insurer/PREVA", "B-1").is_empty());
    assert!(named(&site, "spool/outbound/insurer/PREVB", "A-1").is_empty());
    let xml = &named(&site, "spool/outbound/insurer/PREVA", "A-1_stoppage_")
        .into_iter()
        .find(|n| n.ends_with(".xml"))
        .unwrap();
    let body = read(&site, &format!("spool/outbound/insurer/PREVA/{xml}"));
    assert!(body.contains("<ContractReference>CT-A</ContractReference>"));
    assert!(body.contains("<Salary rank=\"1\">2500.00</Salary>"));
    assert!(!body.contains(NIR_B));

    site.drop_file("prestij_777001.xml", bpij_two_employers().as_bytes());
    assert!(
        wait_until(T, || named(&site, "spool/outbound/hr", "bpij_").len() == 2
            && named(&site, "spool/outbound/insurer/PREVA", "bpij_").len() == 2
            && named(&site, "spool/outbound/insurer/PREVB", "bpij_").len() == 2),
        "{}",
        d.log_text()
    );
    assert!(named(&site, "spool/archive", "prestij_777001.xml").len() == 1);
    let hr_json = named(&site, "spool/outbound/hr", "bpij_")
        .into_iter()
        .find(|n| n.ends_with(".json"))
        .unwrap();
    let hr: serde_json::Value =
        serde_json::from_str(&read(&site, &format!("spool/outbound/hr/{hr_json}"))).unwrap();
    let emps = hr["employees"].as_array().unwrap();
    assert_eq!(emps.len(), 2);
    assert_eq!(emps[0]["hr_ref"], "A-1");
    assert_eq!(emps[0]["insurer"], "PREVA");
    assert_eq!(emps[1]["hr_ref"], "B-1");
    assert_eq!(emps[1]["insurer"], "PREVB");
    for (code, own, other) in [
        ("PREVA", "185057800608491", NIR_B),
        ("PREVB", NIR_B, "1850578006084"),
    ] {
        for f in named(&site, &format!("spool/outbound/insurer/{code}"), "bpij_") {
            let b = read(&site, &format!("spool/outbound/insurer/{code}/{f}"));
            assert!(b.contains(own), "{code}/{f}");
            assert!(
                !b.contains(other),
                "{code}/{f} leaks another insurer's insured"
            );
        }
    }
    // The same slip dropped again is archived but not dispatched twice.
    site.drop_file("prestij_again.xml", bpij_two_employers().as_bytes());
    assert!(wait_until(T, || named(
        &site,
        "spool/archive",
        "prestij_again.xml"
    )
    .len()
        == 1));
    // A file that is not a BPIJ is rejected with its reason.
    site.drop_file("junk.xml", b"<not-bpij/>");
    assert!(wait_until(T, || named(
        &site,
        "spool/rejected",
        "junk.xml.errors.json"
    )
    .len()
        == 1));

    // The report: both stoppages, A above its 1-day franchise, B pending, BPIJ amounts.
    assert!(wait_until(T, || named(
        &site,
        "spool/outbound/insurer/PREVA",
        "guarantee_start"
    )
    .len()
        == 2));
    d.stop();
    assert_eq!(named(&site, "spool/outbound/hr", "bpij_").len(), 2);
    let out = site.cli(&[
        "report",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rep: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rep["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    // Rows follow journal order, and the two files may be taken in either order.
    let a = rows.iter().find(|r| r["hr_ref"] == "A-1").unwrap();
    let b = rows.iter().find(|r| r["hr_ref"] == "B-1").unwrap();
    assert_eq!(a["franchise"], "above");
    assert_eq!(a["insurer"], "PREVA");
    assert_eq!(a["motif"], "01");
    assert_eq!(a["duration_days"], 11);
    assert_eq!(a["bpij_net"], "100.00");
    assert_eq!(b["franchise"], "pending");
    assert_eq!(b["insurer"], "PREVB");
    let out = site.cli(&[
        "report",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--insurer",
        "PREVB",
        "--format",
        "csv",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.lines().nth(1).unwrap().contains(";B-1;"));
    let out = site.cli(&[
        "report",
        "--from",
        "2026-12-01",
        "--to",
        "2026-12-31",
        "--format",
        "csv",
    ]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    let out = site.cli(&[
        "report",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--employer",
        SIRET_A,
        "--format",
        "html",
    ]);
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.contains("<svg id=\"per-month\"") && html.contains("<svg id=\"delays\""));
    assert!(html.contains("A-1") && !html.contains("B-1"));
    assert!(!html.contains("1850578006084"), "no NIR in reports");
    let bad = site.cli(&["report", "--from", "2026-12-01", "--to", "2026-11-01"]);
    assert_eq!(bad.status.code(), Some(64));
}

#[test]
fn the_franchise_fires_exactly_once_across_a_crash_and_restarts() {
    let site = insurer_site("");
    let mut d = site.start();
    site.drop_file("rh-a_1.csv", &csv(&[csv_row("A-1", SIRET_A)]));
    site.drop_file("rh-b_1.csv", &csv(&[row_b("B-1")]));
    // Crash as soon as the input is journaled: the franchise may or may not have fired yet.
    assert!(
        wait_until(T, || site.files("spool/archive").len() == 2),
        "{}",
        d.log_text()
    );
    d.kill9();
    for _ in 0..2 {
        let mut d = site.start();
        assert!(wait_until(T, || d
            .find_log("insurer: first pass done")
            .is_some()));
        assert!(wait_until(T, || named(
            &site,
            "spool/outbound/insurer/PREVA",
            "guarantee_start"
        )
        .len()
            == 2));
        d.stop();
    }
    let g = named(&site, "spool/outbound/insurer/PREVA", "_guarantee_start_");
    assert_eq!(g.len(), 2, "one XML and one CSV: {g:?}");
    let queued: i64 = site
        .db()
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE file_name LIKE '%guarantee_start%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(queued, 2);
    // B's 400-day franchise is in the future: nothing fired.
    assert!(named(&site, "spool/outbound/insurer/PREVB", "guarantee").is_empty());
    assert!(named(&site, "spool/outbound/insurer/PREVB", "below").is_empty());
    let fired: i64 = site
        .db()
        .query_row(
            "SELECT COUNT(*) FROM insurer_stoppages WHERE fired_at IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fired, 1);
}

#[test]
fn acknowledgements_from_the_cpam_reach_the_insurer_message() {
    let site = insurer_site(
        "[netent]\nmode = \"sandbox\"\npoll_interval = \"200ms\"\nbpij_poll_interval = \"300ms\"\nretry_initial = \"100ms\"\nretry_max = \"1s\"\n[sandbox]\nscenario = \"scenario.toml\"\n",
    );
    std::fs::write(site.path("scenario.toml"), "[delays]\n\"31\" = \"1s\"\n").unwrap();
    let d = site.start();
    site.drop_file("rh-a_1.csv", &csv(&[csv_row("A-1", SIRET_A)]));
    // (aee_idflux, return_31) of every CSV message of the stoppage written so far.
    let csv_acks = || -> Vec<(String, String)> {
        named(&site, "spool/outbound/insurer/PREVA", "A-1_stoppage_")
            .into_iter()
            .filter(|n| n.ends_with(".csv"))
            .map(|n| {
                let text = read(&site, &format!("spool/outbound/insurer/PREVA/{n}"));
                let mut lines = text.lines();
                let header: Vec<String> =
                    lines.next().unwrap().split(';').map(String::from).collect();
                let row: Vec<String> = lines.next().unwrap().split(';').map(String::from).collect();
                let col = |name: &str| row[header.iter().position(|h| h == name).unwrap()].clone();
                (col("aee_idflux"), col("return_31"))
            })
            .collect()
    };
    assert!(
        wait_until(T, || csv_acks()
            .iter()
            .any(|(aee, r31)| !aee.is_empty() && r31 == "cnam_accepted")),
        "{:?}\n{}",
        csv_acks(),
        d.log_text()
    );
    // The first message (at HR entry) had no acknowledgement yet.
    assert!(
        csv_acks()
            .iter()
            .any(|(aee, r31)| aee.is_empty() && r31.is_empty())
    );
    let xml_with_31 = named(&site, "spool/outbound/insurer/PREVA", "A-1_stoppage_")
        .into_iter()
        .filter(|n| n.ends_with(".xml"))
        .any(|n| {
            read(&site, &format!("spool/outbound/insurer/PREVA/{n}"))
                .contains("<Nature>31</Nature>")
        });
    assert!(xml_with_31);
    // The sandbox pays the subrogated stoppage: its BPIJ, fetched through the API, reaches
    // the employer and the insurer, matched to the stoppage.
    assert!(
        wait_until(T, || named(&site, "spool/outbound/insurer/PREVA", "bpij_")
            .len()
            == 2),
        "{}",
        d.log_text()
    );
    let j = named(&site, "spool/outbound/insurer/PREVA", "bpij_")
        .into_iter()
        .find(|n| n.ends_with(".json"))
        .unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&read(&site, &format!("spool/outbound/insurer/PREVA/{j}"))).unwrap();
    assert_eq!(v["source"], "api");
    assert_eq!(v["employees"][0]["hr_ref"], "A-1");
    assert_eq!(named(&site, "spool/outbound/hr", "bpij_").len(), 2);
    drop(d);
    let out = site.cli(&[
        "report",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--format",
        "json",
    ]);
    let rep: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(rep["rows"][0]["minutes_to_aee"].as_i64().is_some());
    assert!(rep["rows"][0]["minutes_to_31"].as_i64().is_some());
    assert_eq!(rep["rows"][0]["late_31"], false);
}

/// (method, path, content type, body) of a request the push peer accepted.
type Seen = (String, String, String, Vec<u8>);

/// A mutual-TLS HTTPS endpoint in the test process that records every request and answers
/// 503 to the first `fail_first` ones.
struct PushPeer {
    addr: std::net::SocketAddr,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
    _rt: tokio::runtime::Runtime,
}

fn push_peer(certs: &std::path::Path, fail_first: usize) -> PushPeer {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let tls = ijgate::channels::tls::server_config(
        &certs.join("server.pem"),
        &certs.join("server.key"),
        &certs.join("ca.pem"),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (s, count) = (seen.clone(), Arc::new(AtomicUsize::new(0)));
    rt.spawn(async move {
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, s, count) = (acceptor.clone(), s.clone(), count.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let (s, count) = (s.clone(), count.clone());
                        async move {
                            use http_body_util::BodyExt;
                            let method = req.method().to_string();
                            let path = req.uri().path().to_string();
                            let ct = req
                                .headers()
                                .get("content-type")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_string();
                            let body = req
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes().to_vec())
                                .unwrap_or_default();
                            let n = count.fetch_add(1, Ordering::SeqCst);
                            let status = if n < fail_first {
                                503
                            } else {
                                s.lock().unwrap().push((method, path, ct, body));
                                201
                            };
                            Ok::<_, std::convert::Infallible>(
                                hyper::Response::builder()
                                    .status(status)
                                    .body(http_body_util::Full::new(bytes::Bytes::new()))
                                    .unwrap(),
                            )
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    PushPeer {
        addr,
        seen,
        _rt: rt,
    }
}

#[test]
fn insurer_files_are_pushed_in_order_over_mutual_tls_and_failures_are_events() {
    let certs = tempfile::tempdir().unwrap();
    ijgate::channels::tls::generate_dev(certs.path(), &["ijgate-push".to_string()]).unwrap();
    let peer = push_peer(certs.path(), 1);
    let c = certs.path().display();
    let push = format!(
        r#"push_url = "https://localhost:{port}/edi/in/"
push_ca_file = "{c}/ca.pem"
push_cert_file = "{c}/client-ijgate-push.pem"
push_key_file = "{c}/client-ijgate-push.key""#,
        port = peer.addr.port()
    );
    let site = Site::new(&insurers_toml(&[InsurerFx {
        code: "PREVA",
        name: "Prévoyance A",
        extra: &push,
        contracts: &[contract("CT-A", &[SIRET_A], 1)],
    }]));
    let check = site.cli(&["check-config"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let d = site.start();
    site.drop_file("rh-a_1.csv", &csv(&[csv_row("A-1", SIRET_A)]));
    // stoppage (xml, csv) + guarantee start (xml, csv), after one refused attempt.
    assert!(
        wait_until(T, || peer.seen.lock().unwrap().len() == 4),
        "{:?}\n{}",
        peer.seen
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.1.clone())
            .collect::<Vec<_>>(),
        d.log_text()
    );
    let seen = peer.seen.lock().unwrap().clone();
    let mut local = named(&site, "spool/outbound/insurer/PREVA", "A-1_");
    assert_eq!(local.len(), 4);
    // Journal order is the sequence that ends every name (shared by a message's XML and
    // CSV, the XML first).
    local.sort_by_key(|n| {
        let (stem, ext) = n.rsplit_once('.').unwrap();
        (
            stem.rsplit('_').next().and_then(|x| x.parse::<u64>().ok()),
            ext != "xml",
        )
    });
    for ((method, path, ct, body), name) in seen.iter().zip(&local) {
        assert_eq!(method, "PUT");
        assert_eq!(path, &format!("/edi/in/{name}"), "in journal order");
        assert_eq!(
            body,
            &std::fs::read(site.path(&format!("spool/outbound/insurer/PREVA/{name}"))).unwrap()
        );
        assert!(ct.starts_with(if name.ends_with(".xml") {
            "application/xml"
        } else {
            "text/csv"
        }));
    }
    let failed: i64 = site
        .db()
        .query_row("SELECT COUNT(*) FROM insurer_events WHERE kind = 'insurer_push_failed' AND insurer_code = 'PREVA'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(failed, 1);
}

#[test]
fn an_insurer_outbound_folder_replaces_the_spool_folder() {
    let site = Site::new(&insurers_toml(&[InsurerFx {
        code: "PREVA",
        name: "Prévoyance A",
        extra: r#"outbound = "shares/preva""#,
        contracts: &[contract("CT-A", &[SIRET_A], 1)],
    }]));
    let d = site.start();
    site.drop_file("rh-a_1.csv", &csv(&[csv_row("A-1", SIRET_A)]));
    assert!(
        wait_until(T, || named(&site, "shares/preva", "A-1_").len() == 4),
        "{}",
        d.log_text()
    );
    assert!(site.files("spool/outbound/insurer/PREVA").is_empty());
    assert!(named(&site, "shares/preva", "_guarantee_start_").len() == 2);
}
