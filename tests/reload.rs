//! Configuration reload with the real binary: allow-list and certificates changed, SIGHUP via
//! `ijgate reload`, new client accepted, removed client and old CA refused, no in-flight work
//! dropped; a broken configuration leaves the daemon running on the previous one.

mod common;

use common::*;
use ijgate::channels::mtls_client::{MtlsClient, client_config};
use std::path::Path;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

fn client(
    site: &Site,
    addr: std::net::SocketAddr,
    ca_dir: &str,
    certs_dir: &str,
    who: &str,
) -> MtlsClient {
    let tls = client_config(
        &site.path(&format!("{ca_dir}/ca.pem")),
        Some((
            &site.path(&format!("{certs_dir}/client-{who}.pem")),
            &site.path(&format!("{certs_dir}/client-{who}.key")),
        )),
    )
    .unwrap();
    MtlsClient::new(addr, "localhost", tls).unwrap()
}

async fn get_status(c: &MtlsClient) -> Result<u16, String> {
    c.request("GET", "/v1/stoppages?hr_ref=NONE", None)
        .await
        .map(|r| r.status.as_u16())
        .map_err(|e| e.to_string())
}

fn reload(site: &Site) -> std::process::Output {
    site.cli(&["reload"])
}

fn write(path: &Path, text: &str) {
    // Atomic, like an editor or a configuration manager would (no half file for the daemon).
    let tmp = path.with_extension("toml.new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn reload_swaps_allow_list_and_certificates_without_dropping_work() {
    let site = Site::new("");
    let d = site.start();
    let addr = d.addr.unwrap();
    // A new PKI (new CA) for the new configuration, with the new client rh-c.
    ijgate::channels::tls::generate_dev(
        &site.path("certs2"),
        &["rh-a".into(), "rh-b".into(), "rh-c".into()],
    )
    .unwrap();
    let original = std::fs::read_to_string(&site.config).unwrap();
    let changed = original
        .replace("certs/", "certs2/")
        .replace("dev_certs = true", "dev_certs = false")
        .replace("name = \"rh-b\"", "name = \"rh-c\"")
        .replace("rescan_interval = \"1s\"", "rescan_interval = \"2s\"");
    assert_ne!(original, changed);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let b_old = client(&site, addr, "certs", "certs", "rh-b");
        assert_eq!(get_status(&b_old).await, Ok(200));

        // Work in flight across the reload: files in the spool and API submissions.
        for i in 0..20 {
            site.drop_file(
                &format!("f{i}.csv"),
                format!("{CSV_HEADER}\n{}\n", csv_row(&format!("F-{i}"), SIRET_A)).as_bytes(),
            );
        }
        let mut posts = Vec::new();
        for i in 0..10 {
            let a = client(&site, addr, "certs", "certs", "rh-a");
            // Connected (handshake done) before the swap; the POST races the reload.
            assert_eq!(get_status(&a).await, Ok(200));
            let body = serde_json::to_vec(&json_decl(&format!("API-{i}"), SIRET_A)).unwrap();
            posts.push(tokio::spawn(async move {
                a.request("POST", "/v1/stoppages", Some(body))
                    .await
                    .map(|r| r.status.as_u16())
            }));
        }
        write(&site.config, &changed);
        let out = tokio::task::spawn_blocking({
            let config = site.config.clone();
            move || {
                std::process::Command::new(BIN)
                    .arg("--config")
                    .arg(config)
                    .arg("reload")
                    .output()
                    .unwrap()
            }
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            d.log_text()
        );
        assert!(stdout.contains("reloaded (generation 1)"), "{stdout}");
        assert!(
            stdout.contains("spool.rescan_interval: changed, needs a restart"),
            "{stdout}"
        );
        for p in posts {
            // Submitted before the swap: answered 202 (the connection keeps its handshake).
            assert_eq!(p.await.unwrap().map_err(|e| e.to_string()), Ok(202));
        }

        // The new client, on the new CA: accepted.
        let c_new = client(&site, addr, "certs2", "certs2", "rh-c");
        assert_eq!(get_status(&c_new).await, Ok(200));
        let a_new = client(&site, addr, "certs2", "certs2", "rh-a");
        assert_eq!(get_status(&a_new).await, Ok(200));
        // rh-b removed from the allow-list: 403 even with a valid certificate.
        let b_new = client(&site, addr, "certs2", "certs2", "rh-b");
        assert_eq!(get_status(&b_new).await, Ok(403));
        // Its connection opened before the reload: the allow-list applies per request.
        assert_eq!(get_status(&b_old).await, Ok(403));
        // A certificate of the old CA: refused at the handshake.
        let a_old = client(&site, addr, "certs2", "certs", "rh-a");
        assert!(get_status(&a_old).await.is_err());
    });
    // Every file of the spool and every API submission journaled.
    assert!(
        wait_until(T, || site.files("spool/archive").len() == 20),
        "{}",
        d.log_text()
    );
    assert_eq!(site.status()["declarations_total"], 30);

    // A broken configuration: refused, the daemon keeps running on the previous one.
    write(&site.config, &changed.replace(SIRET_B, "98765432400018"));
    let out = reload(&site);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(
        err.contains("still running on the previous configuration"),
        "{err}"
    );
    assert!(err.contains("employers[1].siret"), "{err}");
    // Unreadable certificate: refused as well, naming the file.
    std::fs::write(site.path("certs2/bad.pem"), "not a certificate").unwrap();
    write(
        &site.config,
        &changed.replace("certs2/server.pem", "certs2/bad.pem"),
    );
    let out = reload(&site);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(78), "{err}");
    assert!(err.contains("bad.pem"), "{err}");
    rt.block_on(async {
        let c_new = client(&site, addr, "certs2", "certs2", "rh-c");
        assert_eq!(
            get_status(&c_new).await,
            Ok(200),
            "still on the last good configuration"
        );
    });
    let mut d = d;
    assert!(!d.exited());
    assert_eq!(d.stop(), Some(0));
    // Stopped: no pid file left, and `reload` says so.
    let out = reload(&site);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is the daemon running?"));
}

/// Issue 16: reload compared with the last file, not with the running values: change
/// `api.listen`, reload, revert, reload still said "needs a restart".
#[test]
fn reverting_a_restart_only_setting_needs_no_restart() {
    let site = Site::new("");
    let mut d = site.start();
    let status = || -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(site.path("var/reload.status")).unwrap()).unwrap()
    };
    let original = std::fs::read_to_string(&site.config).unwrap();
    let changed = original.replace("listen = \"127.0.0.1:0\"", "listen = \"127.0.0.1:1\"");
    assert_ne!(original, changed);
    write(&site.config, &changed);
    let o = reload(&site);
    assert_eq!(o.status.code(), Some(0), "{o:?}\n{}", d.log_text());
    assert_eq!(
        status()["needs_restart"],
        serde_json::json!(["api.listen"]),
        "{}",
        status()
    );
    write(&site.config, &original);
    let o = reload(&site);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let s = status();
    assert_eq!(s["generation"], 2, "{s}");
    assert_eq!(s["needs_restart"], serde_json::json!([]), "{s}");
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("restart"),
        "{o:?}"
    );
    // A second reload of the changed file still says it (the running value did not move).
    write(&site.config, &changed);
    reload(&site);
    write(&site.config, &changed);
    assert_eq!(reload(&site).status.code(), Some(0));
    assert_eq!(status()["needs_restart"], serde_json::json!(["api.listen"]));
    assert_eq!(d.stop(), Some(0));
}
