//! The integrator-facing web service with the real binary (issue 16): the polling listing
//! (`GET /v1/stoppages` with changed_since, state, late, cursor), notice replay through the
//! API and through `ijgate replay` beside the running daemon, and the Python client example
//! of docs/clients/ run against it.

mod common;

use common::*;
use ijgate::channels::mtls_client::{MtlsClient, client_config};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

fn client(site: &Site, addr: std::net::SocketAddr, who: &str) -> MtlsClient {
    let tls = client_config(
        &site.path("certs/ca.pem"),
        Some((
            site.path(&format!("certs/client-{who}.pem")).as_path(),
            site.path(&format!("certs/client-{who}.key")).as_path(),
        )),
    )
    .unwrap();
    MtlsClient::new(addr, "localhost", tls).unwrap()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn call(c: &MtlsClient, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = rt()
        .block_on(c.request(method, path, body.map(|b| serde_json::to_vec(&b).unwrap())))
        .unwrap();
    (r.status.as_u16(), r.json())
}

fn ids(v: &Value) -> Vec<String> {
    v["declarations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["hr_ref"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn listing_pages_follow_changes_and_refuse_bad_queries() {
    let site = Site::new("");
    let d = site.start();
    let a = client(&site, d.addr.unwrap(), "rh-a");
    let b = client(&site, d.addr.unwrap(), "rh-b");
    for r in ["L-1", "L-2", "L-3"] {
        let (s, v) = call(&a, "POST", "/v1/stoppages", Some(json_decl(r, SIRET_A)));
        assert_eq!(s, 202, "{v}");
    }
    let (s, _) = call(&b, "POST", "/v1/stoppages", Some(json_decl("L-B", SIRET_B)));
    assert_eq!(s, 202);
    // Two per page, in change order; B's declaration never shows for A.
    let (s, p1) = call(&a, "GET", "/v1/stoppages?limit=2", None);
    assert_eq!(s, 200, "{p1}");
    assert_eq!(ids(&p1), vec!["L-1", "L-2"]);
    assert_eq!(p1["has_more"], true);
    assert_eq!(p1["declarations"][0]["late"], json!([]));
    assert_eq!(p1["declarations"][0]["state"], "validated");
    let cur = p1["next_cursor"].as_str().unwrap().to_string();
    let (_, p2) = call(
        &a,
        "GET",
        &format!("/v1/stoppages?limit=2&cursor={cur}"),
        None,
    );
    assert_eq!(ids(&p2), vec!["L-3"]);
    assert_eq!(p2["has_more"], false);
    let cur = p2["next_cursor"].as_str().unwrap().to_string();
    // L-1 modified: it comes after the cursor again.
    let mut changed = json_decl("L-1", SIRET_A);
    changed["expected_end"] = json!("2026-11-25");
    let (s, v) = call(&a, "POST", "/v1/stoppages", Some(changed));
    assert_eq!((s, v["outcome"].as_str()), (202, Some("modified")));
    let (_, p3) = call(&a, "GET", &format!("/v1/stoppages?cursor={cur}"), None);
    assert_eq!(ids(&p3), vec!["L-1"]);
    assert_eq!(p3["declarations"][0]["revision"], 2);
    // changed_since, state (repeated and comma-separated), hr_ref.
    let since = p3["declarations"][0]["changed_at"].as_str().unwrap();
    let (_, v) = call(
        &a,
        "GET",
        &format!("/v1/stoppages?changed_since={}", since.replace('+', "%2B")),
        None,
    );
    assert_eq!(ids(&v), vec!["L-1"]);
    let (_, v) = call(
        &a,
        "GET",
        "/v1/stoppages?state=validated,accepted&state=queued",
        None,
    );
    assert_eq!(ids(&v).len(), 3);
    let (_, v) = call(&a, "GET", "/v1/stoppages?state=accepted", None);
    assert!(ids(&v).is_empty());
    let (_, v) = call(&a, "GET", "/v1/stoppages?hr_ref=L-2", None);
    assert_eq!(ids(&v), vec!["L-2"]);
    // Every problem in one 400.
    let (s, v) = call(
        &a,
        "GET",
        "/v1/stoppages?state=sent&limit=500&cursor=nope&late=maybe&changed_since=hier",
        None,
    );
    assert_eq!(s, 400, "{v}");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec!["state", "limit", "cursor", "late", "changed_since"]
    );
}

#[test]
fn late_lists_deposits_whose_cnam_report_is_overdue() {
    // The 31 comes after a minute; its deadline is one second.
    let site = Site::new(&format!("{FAST_EXCHANGE}\n[deadlines]\n\"31\" = \"1s\"\n"));
    std::fs::write(site.path("scenario.toml"), "[delays]\n\"31\" = \"60s\"\n").unwrap();
    let d = site.start();
    let a = client(&site, d.addr.unwrap(), "rh-a");
    let (s, _) = call(
        &a,
        "POST",
        "/v1/stoppages",
        Some(with_identity(json_decl("LATE-1", SIRET_A))),
    );
    assert_eq!(s, 202);
    let mut last = Value::Null;
    assert!(
        wait_until(T, || {
            last = call(&a, "GET", "/v1/stoppages?late=true", None).1;
            ids(&last) == vec!["LATE-1"]
        }),
        "{last}\n{}",
        d.log_text()
    );
    assert_eq!(last["declarations"][0]["late"], json!(["missing_31"]));
    let (_, v) = call(&a, "GET", "/v1/stoppages?late=false", None);
    assert!(ids(&v).is_empty(), "{v}");
}

fn hr_files(site: &Site, prefix: &str) -> Vec<String> {
    site.files("spool/outbound/hr")
        .into_iter()
        .filter(|n| n.starts_with(prefix))
        .collect()
}

#[test]
fn lost_notices_are_replayed_by_the_api_and_the_cli_with_the_same_names() {
    let site = Site::new("");
    let d = site.start();
    let a = client(&site, d.addr.unwrap(), "rh-a");
    let b = client(&site, d.addr.unwrap(), "rh-b");
    let (s, v) = call(&a, "POST", "/v1/stoppages", Some(json_decl("R-1", SIRET_A)));
    assert_eq!(s, 202);
    let id = v["id"].as_i64().unwrap();
    assert!(wait_until(T, || hr_files(&site, "R-1_").len() == 1));
    let names = hr_files(&site, "R-1_");
    let bytes = std::fs::read(site.path(&format!("spool/outbound/hr/{}", names[0]))).unwrap();
    // The HR tool lost it.
    std::fs::remove_file(site.path(&format!("spool/outbound/hr/{}", names[0]))).unwrap();

    // Another client cannot replay it, nor see that it exists.
    let (s, v) = call(
        &b,
        "POST",
        "/v1/notices:replay",
        Some(json!({"hr_ref": "R-1"})),
    );
    assert_eq!((s, v["replayed"].as_i64()), (202, Some(0)), "{v}");
    let (s, _) = call(
        &b,
        "POST",
        &format!("/v1/stoppages/{id}/notices:replay"),
        None,
    );
    assert_eq!(s, 404);
    // Unbounded or malformed requests are refused.
    let (s, v) = call(&a, "POST", "/v1/notices:replay", Some(json!({})));
    assert_eq!(s, 422, "{v}");
    let (s, _) = call(
        &a,
        "POST",
        "/v1/notices:replay",
        Some(json!({"since": "hier"})),
    );
    assert_eq!(s, 422);
    let (s, _) = call(&a, "POST", "/v1/notices:replay", Some(json!({"colour": 1})));
    assert_eq!(s, 422);

    let (s, v) = call(
        &a,
        "POST",
        "/v1/notices:replay",
        Some(json!({"hr_ref": "R-1"})),
    );
    assert_eq!(s, 202, "{v}");
    assert_eq!(v["replayed"], 1);
    assert_eq!(v["files"][0]["file_name"], names[0].as_str());
    assert!(wait_until(T, || hr_files(&site, "R-1_") == names));
    assert_eq!(
        std::fs::read(site.path(&format!("spool/outbound/hr/{}", names[0]))).unwrap(),
        bytes,
        "same bytes"
    );
    // Audited in the declaration's history.
    let (_, g) = call(&a, "GET", &format!("/v1/stoppages/{id}"), None);
    let replayed: Vec<&Value> = g["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["what"] == "notices_replayed")
        .collect();
    assert_eq!(replayed.len(), 1, "{g}");
    assert_eq!(replayed[0]["source"]["name"], "rh-a");

    // The operator's way, beside the running daemon.
    std::fs::remove_file(site.path(&format!("spool/outbound/hr/{}", names[0]))).unwrap();
    let o = site.cli(&["replay", "--hr-ref", "R-1", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["replayed"], 1, "{r}");
    assert!(
        wait_until(T, || hr_files(&site, "R-1_") == names),
        "{}",
        d.log_text()
    );
    let o = site.cli(&["replay", &id.to_string(), "--since", "1h"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains(&names[0]));
    // No criterion: refused, nothing touched.
    let o = site.cli(&["replay"]);
    assert_eq!(o.status.code(), Some(2));
    let o = site.cli(&["replay", "--since", "yesterday-ish"]);
    assert_eq!(o.status.code(), Some(2));
}

/// docs/clients/ijgate_client.py, as an integrator would run it: submit, poll to `accepted`
/// on the sandbox exchange, list.
#[test]
fn python_client_example_submits_and_polls_to_accepted() {
    let site = Site::new(FAST_EXCHANGE);
    std::fs::write(site.path("scenario.toml"), "[delays]\n\"31\" = \"1s\"\n").unwrap();
    let d = site.start();
    let stoppage = site.path("stoppage.json");
    std::fs::write(
        &stoppage,
        serde_json::to_vec(&with_identity(json_decl("PY-1", SIRET_A))).unwrap(),
    )
    .unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/clients/ijgate_client.py");
    let o = Command::new("python3")
        .arg(&script)
        .args([
            "--url",
            &format!("https://localhost:{}", d.addr.unwrap().port()),
        ])
        .arg("--cert")
        .arg(site.path("certs/client-rh-a.pem"))
        .arg("--key")
        .arg(site.path("certs/client-rh-a.key"))
        .arg("--ca")
        .arg(site.path("certs/ca.pem"))
        .arg("--stoppage")
        .arg(&stoppage)
        .args(["--until", "accepted", "--timeout", "60"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}\n{}",
        String::from_utf8_lossy(&o.stderr),
        d.log_text()
    );
    assert!(out.contains(": created (revision 1)"), "{out}");
    assert!(out.contains("state: accepted"), "{out}");
    assert!(
        out.contains("listed: ") && out.contains("PY-1 arret accepted"),
        "{out}"
    );
    // A refused stoppage: every problem printed, exit 1.
    let mut bad = with_identity(json_decl("PY-2", SIRET_A));
    bad["nir"] = json!("285057800604800");
    std::fs::write(&stoppage, serde_json::to_vec(&bad).unwrap()).unwrap();
    let o = Command::new("python3")
        .arg(&script)
        .args([
            "--url",
            &format!("https://localhost:{}", d.addr.unwrap().port()),
        ])
        .arg("--cert")
        .arg(site.path("certs/client-rh-a.pem"))
        .arg("--key")
        .arg(site.path("certs/client-rh-a.key"))
        .arg("--ca")
        .arg(site.path("certs/ca.pem"))
        .arg("--stoppage")
        .arg(&stoppage)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("nir:"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
