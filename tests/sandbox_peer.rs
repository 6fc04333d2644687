//! The sandbox peer is a separate binary (`ijgate-sandbox`) that the daemon starts as a child
//! process in `netent.mode = "sandbox"`: it is found, it dies with the daemon (even after
//! SIGKILL), and a missing binary or a missing mode is a configuration error, never a silent
//! fallback.

mod common;

use common::*;
use std::net::TcpStream;
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

#[test]
fn the_sandbox_child_serves_and_dies_with_a_killed_daemon() {
    let site = Site::new(FAST_EXCHANGE);
    std::fs::write(site.path("scenario.toml"), "").unwrap();
    let mut d = site.start();
    assert!(wait_until(T, || d.sandbox_addr().is_some()));
    let addr = d.sandbox_addr().unwrap();
    eprintln!("sandbox at {addr}");
    let stats = sandbox_stats(addr, &site.path("var/sandbox-ca.pem"));
    assert_eq!(stats["deposits_accepted"], 0, "{stats}");
    d.kill9();
    // The kernel's parent-death signal stops the peer: its port closes.
    assert!(
        wait_until(T, || TcpStream::connect(addr).is_err()),
        "the sandbox peer outlived its daemon"
    );
}

#[test]
fn a_missing_sandbox_binary_or_mode_is_a_configuration_error() {
    let site = Site::new("[netent]\nmode = \"sandbox\"\n[sandbox]\ncommand = \"no-such-peer\"\n");
    let o = site.cli(&["check-config"]);
    assert_eq!(o.status.code(), Some(78));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no-such-peer is missing"), "{err}");

    let site = Site::new("[netent]\nservice = \"97\"\n");
    let o = site.cli(&["check-config"]);
    assert_eq!(o.status.code(), Some(78));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("netent.mode: required"), "{err}");
}
