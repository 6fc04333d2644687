//! Exactly-once deposit under crashes: SIGKILL the daemon repeatedly while it deposits a batch
//! of 1,000 declarations to a sandbox peer running in its own process; after the last restart
//! every declaration is deposited exactly once (the sandbox's count) and acknowledged.

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn repeated_sigkill_during_a_batch_deposits_each_declaration_exactly_once() {
    const N: usize = 1000;
    let port = free_port();
    let site = Site::new(&format!(
        r#"
[netent]
mode = "remote"
base_url = "https://127.0.0.1:{port}/"
ca_file = "sandbox-ca.pem"
siret = "{SIRET_A}"
nom = "PAIE"
prenom = "Service"
password_file = "netent.password"
poll_interval = "300ms"
declarant_poll_interval = "2s"
bpij_poll_interval = "1h"
retry_initial = "100ms"
retry_max = "1s"
request_timeout = "5s"
concurrency = 8
reconcile_min_age = "2s"
reconcile_recheck_interval = "500ms"
clock_tolerance = "2s"
"#
    ));
    let pw = site.path("netent.password");
    std::fs::write(&pw, "secret\n").unwrap();
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(
        site.path("scenario.toml"),
        "[delays]\n\"31\" = \"0s\"\n[bpij]\nenabled = false\n",
    )
    .unwrap();
    let mut sandbox = Command::new(BIN)
        .args([
            "sandbox",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--scenario",
        ])
        .arg(site.path("scenario.toml"))
        .arg("--ca-out")
        .arg(site.path("sandbox-ca.pem"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let ca = site.path("sandbox-ca.pem");
    assert!(wait_until(Duration::from_secs(30), || ca.exists()
        && !sandbox_stats(addr, &ca).is_null()));
    let accepted = || {
        sandbox_stats(addr, &ca)["deposits_accepted"]
            .as_u64()
            .unwrap_or(0)
    };

    for f in 0..10 {
        let rows: Vec<String> = (0..N / 10)
            .map(|i| csv_row(&format!("X{f:02}-{i:03}"), SIRET_A))
            .collect();
        site.drop_file(&format!("rh-a_batch{f:02}.csv"), &csv(&rows));
    }
    let mut kills = 0;
    for _ in 0..5 {
        let before = accepted();
        if before as usize >= N {
            break;
        }
        let mut d = site.start();
        // Kill while deposits are flowing.
        wait_until(Duration::from_secs(60), || {
            accepted() >= before + 120 || accepted() as usize >= N
        });
        d.kill9();
        kills += 1;
    }
    assert!(
        kills >= 2,
        "the batch finished before the daemon could be killed twice"
    );
    let mut d = site.start();
    let all_accepted =
        || site.status()["declarations_by_state"]["accepted"].as_i64() == Some(N as i64);
    assert!(
        wait_until(Duration::from_secs(240), all_accepted),
        "{}\n{}",
        site.status(),
        d.log_text()
    );
    assert_eq!(d.stop(), Some(0));

    let st = sandbox_stats(addr, &ca);
    let per = st["deposits_per_identifiant_metier"].as_object().unwrap();
    assert_eq!(per.len(), N, "every declaration deposited");
    assert!(
        per.values().all(|v| v == 1),
        "a declaration was deposited twice: {:?}",
        st["duplicates"]
    );
    assert_eq!(st["duplicates"].as_array().unwrap().len(), 0);
    assert_eq!(st["deposits_accepted"].as_u64(), Some(N as u64));
    let _ = sandbox.kill();
    let _ = sandbox.wait();
}
