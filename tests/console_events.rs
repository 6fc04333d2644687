//! The console's live event stream (`GET /console/events`, server-sent events) on the real
//! daemon's admin listener, without a browser (tests/console_browser.rs has the browser): a
//! stoppage dropped in the spool produces `change` events naming its declaration as it moves,
//! and an open stream does not hold the daemon's shutdown.

mod common;

use common::*;
use std::io::{Read, Write};
use std::time::Duration;

/// Reads the stream until `needle` has arrived; everything read so far is returned. The
/// socket's read timeout bounds the wait.
fn read_until(s: &mut std::net::TcpStream, seen: &mut String, needle: &str) -> bool {
    let mut buf = [0u8; 4096];
    while !seen.contains(needle) {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
    true
}

#[test]
fn a_dropped_stoppage_is_announced_live_and_an_open_stream_does_not_hold_shutdown() {
    let admin = "[admin]\nenabled = true\nlisten = \"127.0.0.1:0\"\n";
    let site = Site::new(&format!("{FAST_EXCHANGE}{admin}"));
    std::fs::write(site.path("scenario.toml"), "[delays]\n\"31\" = \"0s\"\n").unwrap();
    let mut d = site.start();
    let addr = d.admin.expect("admin listener");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET /console/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut seen = String::new();
    assert!(read_until(&mut s, &mut seen, "event: ready"), "{seen}");
    let head = seen.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{seen}");
    assert!(head.contains("content-type: text/event-stream"), "{seen}");
    assert!(head.contains("cache-control: no-store"), "{seen}");

    site.drop_file("rh-a_events.csv", &csv(&[csv_row("EVENTS-1", SIRET_A)]));
    // The declaration (id 1, the journal's first) is named as its timeline moves, until the
    // business report (31) makes it accepted.
    assert!(
        read_until(&mut s, &mut seen, "\"declarations\":[1]"),
        "{seen}\n{}",
        d.log_text()
    );
    assert!(
        wait_until(Duration::from_secs(30), || states(&site, "EVENTS-1")
            == vec![("arret".into(), "accepted".into())]),
        "{}",
        d.log_text()
    );
    // Nothing personal in the events: ids only.
    assert!(
        !seen.contains("EVENTS-1") && !seen.contains("Dupont"),
        "{seen}"
    );

    // SIGTERM with the stream still open: the daemon stops cleanly and ends the stream.
    assert_eq!(d.stop(), Some(0), "{}", d.log_text());
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    let rest = String::from_utf8_lossy(&rest);
    assert!(
        rest.ends_with("0\r\n\r\n") || rest.is_empty(),
        "the stream ends (last chunk) or the connection closes: {rest:?}"
    );
}
