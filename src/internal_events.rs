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
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::CursorWrite => "cursor_write",
            ErrorKind::CursorCorrupt => "cursor_corrupt",
            ErrorKind::JournalWrite => "journal_write",
            ErrorKind::JournalRead => "journal_read",
            ErrorKind::ComplementUnavailable => "complement_unavailable",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_counts_under_its_kind() {
        let cases: [(ErrorKind, fn()); 5] = [
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
