//! Live updates: `GET /console/events`, a `text/event-stream` (server-sent events) that tells
//! open console pages when what they show has changed, so `console.js` re-renders their live
//! parts without a reload. Framing (`event:`/`data:` lines, a blank line per event, `:`
//! comments as keep-alives) follows the WHATWG HTML Living Standard, §9.2 "Server-sent events",
//! the format browsers' `EventSource` parses; the browser test checks it in real Chromium.
//!
//! Fed by the journal, where every state change of the daemon lands: the journal's writer
//! signals each durable commit ([`crate::journal::Journal::subscribe`]); the stream then reads
//! a small fingerprint of what the pages show ([`Mark`]: newest history line, deposits,
//! alerts, tasks, returns, BPIJ, insurer files, console actions) and sends a `change` event only
//! when it moved, so the many commits that change nothing visible (cursors, heartbeats) send
//! nothing. Commits are coalesced ([`COALESCE`]) so a burst becomes one event.
//!
//! An event carries ids only (declaration ids whose timeline moved): no personal data.
//! A stream ends at shutdown (so the listener's graceful stop is not held open), after
//! [`MAX_LIFETIME`] (the browser reconnects, and is authenticated again), or when the client
//! goes away (the keep-alive comment fails to write). At most [`MAX_STREAMS`] run at once.

use bytes::Bytes;
use http_body_util::StreamBody;
use hyper::body::Frame;
use rusqlite::Connection;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::journal::{Journal, JournalError};

/// Commits closer together than this become one event.
pub const COALESCE: Duration = Duration::from_millis(250);
/// A comment line at least this often: proxies keep the stream open, and a vanished client
/// is noticed (the write fails and the stream is dropped).
pub const KEEPALIVE: Duration = Duration::from_secs(15);
/// A stream ends after this; the browser's `EventSource` reconnects (with its certificate
/// checked again against the configuration of the moment).
pub const MAX_LIFETIME: Duration = Duration::from_secs(600);
/// Streams open at once, across every client.
pub const MAX_STREAMS: usize = 64;
/// Delay the browser waits before it reconnects (the `retry:` field), in milliseconds.
const RETRY_MS: u32 = 2000;

static OPEN: AtomicUsize = AtomicUsize::new(0);

/// One open stream, counted (in [`OPEN`]) until dropped.
struct Slot(&'static AtomicUsize);

impl Slot {
    fn take_in(open: &'static AtomicUsize, max: usize) -> Option<Slot> {
        open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < max).then_some(n + 1)
        })
        .ok()
        .map(|_| Slot(open))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Streams open now.
pub fn open_streams() -> usize {
    OPEN.load(Ordering::Acquire)
}

/// What the console pages show, in a few numbers: when none moved, no page needs a refresh.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mark {
    pub history: i64,
    pub deposits: (i64, i64, String),
    pub alerts: (i64, i64),
    pub tasks: (i64, i64),
    pub returns: i64,
    pub bpij: (i64, i64),
    pub insurer: (i64, i64),
    pub outbox: i64,
    pub actions: i64,
}

/// Reads the fingerprint (one statement; the deposits part scans the table, a few ms at
/// 10,000 deposits, once per coalesced commit).
pub fn mark(conn: &Connection) -> Result<Mark, JournalError> {
    Ok(conn
        .prepare_cached(
            "SELECT (SELECT IFNULL(MAX(id), 0) FROM history),
                (SELECT COUNT(*) FROM deposits), (SELECT IFNULL(SUM(attempts), 0) FROM deposits),
                (SELECT IFNULL(MAX(updated_at), '') FROM deposits),
                (SELECT IFNULL(MAX(id), 0) FROM alerts),
                (SELECT COUNT(*) FROM alerts WHERE resolved_at IS NULL AND state != 'dropped'),
                (SELECT IFNULL(MAX(id), 0) FROM tasks),
                (SELECT COUNT(*) FROM tasks WHERE state = 'open'),
                (SELECT IFNULL(MAX(id), 0) FROM returns),
                (SELECT IFNULL(MAX(id), 0) FROM bpij),
                (SELECT COUNT(*) FROM bpij WHERE dispatched_at IS NOT NULL),
                (SELECT IFNULL(MAX(id), 0) FROM insurer_stoppages),
                (SELECT COUNT(*) FROM insurer_stoppages WHERE fired_at IS NOT NULL),
                (SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL),
                (SELECT IFNULL(MAX(id), 0) FROM console_actions)",
        )?
        .query_row([], |r| {
            Ok(Mark {
                history: r.get(0)?,
                deposits: (r.get(1)?, r.get(2)?, r.get(3)?),
                alerts: (r.get(4)?, r.get(5)?),
                tasks: (r.get(6)?, r.get(7)?),
                returns: r.get(8)?,
                bpij: (r.get(9)?, r.get(10)?),
                insurer: (r.get(11)?, r.get(12)?),
                outbox: r.get(13)?,
                actions: r.get(14)?,
            })
        })?)
}

/// Declarations whose timeline moved past history line `after` (at most 200, ids only).
pub fn moved(conn: &Connection, after: i64) -> Result<Vec<i64>, JournalError> {
    Ok(conn
        .prepare_cached(
            "SELECT DISTINCT declaration_id FROM history WHERE id > ?1 ORDER BY declaration_id LIMIT 200",
        )?
        .query_map([after], |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?)
}

/// The text of one event (`id` is the newest history line, so a reconnecting browser's
/// `Last-Event-ID` says how far it had seen).
pub fn event(kind: &str, id: i64, declarations: &[i64]) -> String {
    let data = serde_json::json!({ "history": id, "declarations": declarations });
    format!("event: {kind}\nid: {id}\ndata: {data}\n\n")
}

struct Stream {
    journal: Journal,
    commits: tokio::sync::watch::Receiver<u64>,
    stop: CancellationToken,
    last: Option<Mark>,
    started: Instant,
    hello: bool,
    _slot: Slot,
}

fn frame(s: String) -> Result<Frame<Bytes>, std::convert::Infallible> {
    Ok(Frame::data(Bytes::from(s)))
}

async fn read(journal: &Journal, after: Option<i64>) -> Result<(Mark, Vec<i64>), JournalError> {
    journal
        .read(move |c| {
            let m = mark(c)?;
            let moved = match after {
                Some(a) if m.history > a => moved(c, a)?,
                _ => Vec::new(),
            };
            Ok((m, moved))
        })
        .await
}

/// The next piece of the stream, or `None` to end it.
async fn next(mut s: Stream) -> Option<(Result<Frame<Bytes>, std::convert::Infallible>, Stream)> {
    if !s.hello {
        s.hello = true;
        // The starting point: later events are relative to what the page was rendered from
        // (a page rendered just before this read is refreshed by the browser on `ready`
        // after a reconnect).
        let (m, _) = match read(&s.journal, None).await {
            Ok(x) => x,
            Err(e) => {
                crate::internal_events::journal_read_failed("console events", &e);
                return None;
            }
        };
        let text = format!("retry: {RETRY_MS}\n{}", event("ready", m.history, &[]));
        s.last = Some(m);
        return Some((frame(text), s));
    }
    loop {
        let end = s.started + MAX_LIFETIME;
        tokio::select! {
            _ = s.stop.cancelled() => return None,
            _ = tokio::time::sleep_until(end) => return None,
            _ = tokio::time::sleep(KEEPALIVE) => return Some((frame(": keep-alive\n\n".into()), s)),
            r = s.commits.changed() => if r.is_err() { return None },
        }
        // Let the rest of a burst commit, then read once.
        tokio::select! {
            _ = s.stop.cancelled() => return None,
            _ = tokio::time::sleep(COALESCE) => {}
        }
        s.commits.borrow_and_update();
        let after = s.last.as_ref().map(|m| m.history);
        match read(&s.journal, after).await {
            Ok((m, moved)) => {
                if s.last.as_ref() != Some(&m) {
                    let text = event("change", m.history, &moved);
                    s.last = Some(m);
                    super::EVENTS.inc("live_events");
                    return Some((frame(text), s));
                }
            }
            // The next commit tries again; the page keeps what it shows.
            Err(e) => crate::internal_events::journal_read_failed("console events", &e),
        }
    }
}

/// The event stream's body, or `None` when [`MAX_STREAMS`] are already open.
pub fn stream(journal: &Journal, stop: &CancellationToken) -> Option<super::BoxedBody> {
    use http_body_util::BodyExt;
    let slot = Slot::take_in(&OPEN, MAX_STREAMS)?;
    let s = Stream {
        commits: journal.subscribe(),
        journal: journal.clone(),
        stop: stop.clone(),
        last: None,
        started: Instant::now(),
        hello: false,
        _slot: slot,
    };
    Some(StreamBody::new(futures_util::stream::unfold(s, next)).boxed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::tests::fixture;
    use crate::console::{Peer, events};
    use http_body_util::BodyExt;
    use hyper::StatusCode;

    /// The next data frame of a stream, as text (`None` at its end); a test bound, not a wait.
    async fn next_text(b: &mut crate::console::BoxedBody) -> Option<String> {
        let f = tokio::time::timeout(Duration::from_secs(20), b.frame())
            .await
            .expect("a frame within 20 s")?
            .unwrap();
        Some(String::from_utf8(f.into_data().unwrap().to_vec()).unwrap())
    }

    fn data(text: &str) -> serde_json::Value {
        let line = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
        serde_json::from_str(line).unwrap()
    }

    #[tokio::test]
    async fn a_state_change_is_sent_and_a_commit_that_changes_nothing_shown_is_not() {
        let d = tempfile::tempdir().unwrap();
        let (j, cfg) = fixture(d.path(), "viewer");
        let stop = CancellationToken::new();
        let local = Peer {
            loopback: true,
            tls_identities: None,
        };
        let r = events(&j, &cfg, &local, &stop);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            r.headers()["content-type"],
            "text/event-stream; charset=utf-8"
        );
        assert_eq!(r.headers()["cache-control"], "no-store");
        let mut body = r.into_body();
        let first = next_text(&mut body).await.unwrap();
        assert!(
            first.starts_with("retry: 2000\nevent: ready\nid: 2\n"),
            "{first}"
        );
        // A cursor moves (the pollers do this all the time): nothing a page shows.
        j.write(|c| crate::journal::store::set_cursor(c, "bpij:x", "42"))
            .await
            .unwrap();
        // Then the declaration's state changes: that is the next event, naming it.
        j.write(|c| {
            c.execute(
                "UPDATE declarations SET state = 'accepted' WHERE id = 1",
                [],
            )?;
            crate::journal::store::add_history(
                c,
                1,
                "accepted",
                Some("accepted"),
                None,
                None,
                "2026-11-02T10:00:00.000Z",
            )
        })
        .await
        .unwrap();
        let change = next_text(&mut body).await.unwrap();
        assert!(change.starts_with("event: change\nid: 3\n"), "{change}");
        assert_eq!(data(&change)["declarations"], serde_json::json!([1]));
        // Shutdown ends the stream (the listener's graceful stop is not held open).
        stop.cancel();
        assert_eq!(next_text(&mut body).await, None);
    }

    #[tokio::test]
    async fn events_need_a_console_identity_and_are_bounded() {
        let d = tempfile::tempdir().unwrap();
        let (j, cfg) = fixture(d.path(), "none");
        let stop = CancellationToken::new();
        let off_loopback = Peer {
            loopback: false,
            tls_identities: None,
        };
        assert_eq!(
            events(&j, &cfg, &off_loopback, &stop).status(),
            StatusCode::FORBIDDEN
        );
        let local = Peer {
            loopback: true,
            tls_identities: None,
        };
        assert_eq!(
            events(&j, &cfg, &local, &stop).status(),
            StatusCode::FORBIDDEN,
            "local_role = none"
        );
        let viewer = Peer {
            loopback: false,
            tls_identities: Some(vec!["victor.view".into()]),
        };
        assert_eq!(events(&j, &cfg, &viewer, &stop).status(), StatusCode::OK);
        // The bound (on a counter of its own: other tests hold streams meanwhile).
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let a = Slot::take_in(&COUNTER, 2).unwrap();
        let b = Slot::take_in(&COUNTER, 2).unwrap();
        assert!(Slot::take_in(&COUNTER, 2).is_none(), "a third is refused");
        drop(a);
        assert!(
            Slot::take_in(&COUNTER, 2).is_some(),
            "a closed stream frees its place"
        );
        drop(b);
    }

    #[test]
    fn an_event_is_one_block_with_ids_only() {
        assert_eq!(
            event("change", 7, &[3, 4]),
            "event: change\nid: 7\ndata: {\"declarations\":[3,4],\"history\":7}\n\n"
        );
    }
}
