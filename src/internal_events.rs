//! Internal events, Vector-style (`vector/src/internal_events/file.rs`): one function per
//! failure worth knowing about, which logs it *and* counts it in
//! `ijgate_component_errors_total{error_kind=…}`, so a log line and its metric cannot drift
//! apart. The `error_kind` label comes from [`ErrorKind`], never from free text.
//!
//! The older events (deposit failures, spool outcomes, heartbeat…) live in
//! [`crate::metrics`] with their own families; new failure paths are added here.
//!
//! Invariant: no event carries personal data (no NIR, no name): only kinds, insurer codes,
//! cursor names and error texts that are built without them.

use crate::metrics::LabeledCounter;

/// Why a component failed; the `error_kind` label of `ijgate_component_errors_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A polling cursor could not be saved: the next pass re-reads what this one read.
    CursorWrite,
    /// A stored cursor does not read back (damaged row).
    CursorCorrupt,
    /// A retrieved document could not be stored in the journal.
    JournalWrite,
    /// A queue or table could not be read from the journal.
    JournalRead,
    /// An insurer message goes without its prévoyance complement.
    ComplementUnavailable,
    /// A call to a peer (net-entreprises, an insurer endpoint) failed.
    PeerCall,
    /// A document from outside (BPIJ, return, spool file) does not parse; kept aside.
    UnreadableInput,
    /// A worker pass or step failed; the worker tries again at its next pass.
    WorkerStep,
    /// A net-entreprises fault (service, cause) was recorded.
    PeerFault,
    /// A state change was refused by the state machine; the state is kept.
    StateKept,
    /// An outbound file could not be written, renamed or made durable; retried.
    OutboxWrite,
    /// net-entreprises refused or failed our authentication.
    AuthFailed,
    /// A listener could not accept a connection.
    Accept,
    /// A configuration side file (prévoyance contract, token file) could not be loaded.
    ConfigFile,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::CursorWrite => "cursor_write",
            ErrorKind::CursorCorrupt => "cursor_corrupt",
            ErrorKind::JournalWrite => "journal_write",
            ErrorKind::JournalRead => "journal_read",
            ErrorKind::ComplementUnavailable => "complement_unavailable",
            ErrorKind::PeerCall => "peer_call",
            ErrorKind::UnreadableInput => "unreadable_input",
            ErrorKind::WorkerStep => "worker_step",
            ErrorKind::PeerFault => "peer_fault",
            ErrorKind::StateKept => "state_kept",
            ErrorKind::OutboxWrite => "outbox_write",
            ErrorKind::AuthFailed => "auth_failed",
            ErrorKind::Accept => "accept",
            ErrorKind::ConfigFile => "config_file",
        }
    }
}

pub static COMPONENT_ERRORS: LabeledCounter = LabeledCounter::new(
    "ijgate_component_errors_total",
    "Internal failures (journal, cursors), by error kind.",
    "error_kind",
);

fn count(kind: ErrorKind) {
    COMPONENT_ERRORS.inc(kind.as_str());
}

/// A polling cursor (`name`, e.g. `bpij:<siret>`) was not saved.
pub fn cursor_not_saved(name: &str, error: &dyn std::fmt::Display) {
    count(ErrorKind::CursorWrite);
    tracing::error!(
        cursor = name,
        error = %error,
        error_kind = ErrorKind::CursorWrite.as_str(),
        "cursor not saved; the next pass reads the same range again"
    );
}

/// A stored cursor does not read back; the caller stops rather than restart from zero.
pub fn cursor_corrupt(name: &str, value: &str) {
    count(ErrorKind::CursorCorrupt);
    tracing::error!(
        cursor = name,
        value,
        error_kind = ErrorKind::CursorCorrupt.as_str(),
        "cursor holds an unreadable value; not restarting from the beginning"
    );
}

/// A journal write of `what` failed.
pub fn journal_write_failed(what: &str, error: &dyn std::fmt::Display) {
    count(ErrorKind::JournalWrite);
    tracing::error!(
        what,
        error = %error,
        error_kind = ErrorKind::JournalWrite.as_str(),
        "journal write failed"
    );
}

/// A journal read of `what` failed.
pub fn journal_read_failed(what: &str, error: &dyn std::fmt::Display) {
    count(ErrorKind::JournalRead);
    tracing::error!(
        what,
        error = %error,
        error_kind = ErrorKind::JournalRead.as_str(),
        "journal read failed"
    );
}

/// The insurer message of stoppage `hr_ref` goes without its prévoyance complement.
pub fn complement_unavailable(insurer: &str, hr_ref: &str, reason: &dyn std::fmt::Display) {
    count(ErrorKind::ComplementUnavailable);
    tracing::warn!(
        insurer,
        hr_ref,
        reason = %reason,
        error_kind = ErrorKind::ComplementUnavailable.as_str(),
        "insurer: no prévoyance complement"
    );
}

/// A call to `service` failed with error `kind` (e.g. `timeout`, `http_5xx`); `context` says
/// which item (a flow id, a window), never personal data.
pub fn peer_call_failed(service: &str, kind: &str, context: &dyn std::fmt::Display) {
    count(ErrorKind::PeerCall);
    tracing::warn!(
        service,
        kind,
        context = %context,
        error_kind = ErrorKind::PeerCall.as_str(),
        "peer call failed"
    );
}

/// A document from outside (`what`: "bpij", "return", "spool bpij"…) does not parse; it is
/// kept for inspection or handed on as is.
pub fn unreadable_input(what: &str, at: &dyn std::fmt::Display, error: &dyn std::fmt::Display) {
    count(ErrorKind::UnreadableInput);
    tracing::warn!(
        what,
        at = %at,
        error = %error,
        error_kind = ErrorKind::UnreadableInput.as_str(),
        "unreadable input kept aside"
    );
}

/// A pass or step of `worker` failed; it tries again at its next pass.
pub fn worker_step_failed(worker: &str, error: &dyn std::fmt::Display) {
    count(ErrorKind::WorkerStep);
    tracing::error!(
        worker,
        error = %error,
        error_kind = ErrorKind::WorkerStep.as_str(),
        "worker step failed"
    );
}

/// A net-entreprises fault of `service` (cause `cause`) is being recorded.
pub fn peer_fault(service: &str, cause: &str, detail: &dyn std::fmt::Display) {
    count(ErrorKind::PeerFault);
    tracing::warn!(
        service,
        cause,
        detail = %detail,
        error_kind = ErrorKind::PeerFault.as_str(),
        "net-entreprises fault"
    );
}

/// The state machine refused a transition of `declaration`; its state is kept.
pub fn state_kept(declaration: i64, error: &dyn std::fmt::Display) {
    count(ErrorKind::StateKept);
    tracing::warn!(
        declaration,
        error = %error,
        error_kind = ErrorKind::StateKept.as_str(),
        "transition refused: state kept"
    );
}

/// An outbound file (`stage`: "destination", "write", "rename", "fsync") failed; the outbox
/// tries again at its next pass (an invalid destination is dropped).
pub fn outbox_write_failed(stage: &str, at: &dyn std::fmt::Display, error: &dyn std::fmt::Display) {
    count(ErrorKind::OutboxWrite);
    tracing::error!(
        stage,
        at = %at,
        error = %error,
        error_kind = ErrorKind::OutboxWrite.as_str(),
        "outbox: file not delivered"
    );
}

/// net-entreprises authentication failed (`kind`: its error kind; `detail`: status or realm).
pub fn auth_failed(kind: &str, detail: &dyn std::fmt::Display) {
    count(ErrorKind::AuthFailed);
    tracing::warn!(
        kind,
        detail = %detail,
        error_kind = ErrorKind::AuthFailed.as_str(),
        "net-entreprises authentication failed"
    );
}

/// Listener `listener` could not accept a connection.
pub fn accept_failed(listener: &str, error: &dyn std::fmt::Display) {
    count(ErrorKind::Accept);
    tracing::warn!(
        listener,
        error = %error,
        error_kind = ErrorKind::Accept.as_str(),
        "accept failed"
    );
}

/// A configuration side file could not be loaded (`consequence` says what happens instead).
pub fn config_file_unusable(
    file: &dyn std::fmt::Display,
    error: &dyn std::fmt::Display,
    consequence: &str,
) {
    count(ErrorKind::ConfigFile);
    tracing::error!(
        file = %file,
        error = %error,
        consequence,
        error_kind = ErrorKind::ConfigFile.as_str(),
        "configuration file unusable"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_counts_under_its_kind() {
        let cases: [(ErrorKind, fn()); 14] = [
            (ErrorKind::CursorWrite, || {
                cursor_not_saved("bpij:x", &"disk full")
            }),
            (ErrorKind::CursorCorrupt, || {
                cursor_corrupt("insurer_push:P", "abc")
            }),
            (ErrorKind::JournalWrite, || {
                journal_write_failed("bpij", &"closed")
            }),
            (ErrorKind::JournalRead, || {
                journal_read_failed("outbox", &"closed")
            }),
            (ErrorKind::ComplementUnavailable, || {
                complement_unavailable("P", "A1", &"no employment contract")
            }),
            (ErrorKind::PeerCall, || {
                peer_call_failed("lister-bpij", "timeout", &"-")
            }),
            (ErrorKind::UnreadableInput, || {
                unreadable_input("bpij", &"url", &"bad xml")
            }),
            (ErrorKind::WorkerStep, || {
                worker_step_failed("insurer", &"x")
            }),
            (ErrorKind::PeerFault, || {
                peer_fault("deposer-dsn", "malformed", &"x")
            }),
            (ErrorKind::StateKept, || state_kept(1, &"refused")),
            (ErrorKind::OutboxWrite, || {
                outbox_write_failed("rename", &"hr/a.json", &"EXDEV")
            }),
            (ErrorKind::AuthFailed, || {
                auth_failed("auth_rejected", &"401")
            }),
            (ErrorKind::Accept, || accept_failed("api", &"EMFILE")),
            (ErrorKind::ConfigFile, || {
                config_file_unusable(&"c.toml", &"bad", "not loaded")
            }),
        ];
        for (kind, fire) in cases {
            let before = COMPONENT_ERRORS.get(kind.as_str());
            fire();
            assert_eq!(COMPONENT_ERRORS.get(kind.as_str()), before + 1, "{kind:?}");
        }
        let text = crate::metrics::render();
        let scrape =
            prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
        assert!(scrape.samples.iter().any(|s| {
            s.metric == "ijgate_component_errors_total"
                && s.labels.get("error_kind") == Some("cursor_corrupt")
        }));
    }
}
