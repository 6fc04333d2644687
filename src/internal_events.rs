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
    /// A door's file watcher is unavailable or failed: the door relies on rescans.
    Watch,
    /// A spool file could not be processed; it stays in place and is taken again.
    SpoolRetry,
    /// A spool entry that is not a regular file was moved aside unread.
    EntryRefused,
    /// A reload was refused; the previous configuration keeps running.
    Reload,
    /// A changed setting needs a restart; the running value is kept.
    RestartNeeded,
    /// A state file (reload outcome) could not be written.
    StateFile,
    /// Signal handlers could not be installed.
    Signals,
    /// systemd could not be notified (or the clock it needs read).
    Systemd,
    /// The web service refused a client (connection limit, identity not allowed).
    ApiRefused,
    /// The web service failed internally and answered 503.
    ApiInternal,
    /// A listener's TLS could not be set up; it stays closed.
    Tls,
    /// Shutdown did not finish within its grace; the rest resumes at next start.
    ShutdownIncomplete,
    /// A child peer (the sandbox) exited.
    PeerExited,
    /// A development or test setting is in use (never in production).
    InsecureSetting,
    /// An alert has no recipient: it is kept in the journal only.
    NoRecipient,
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
            ErrorKind::Watch => "watch",
            ErrorKind::SpoolRetry => "spool_retry",
            ErrorKind::EntryRefused => "entry_refused",
            ErrorKind::Reload => "reload",
            ErrorKind::RestartNeeded => "restart_needed",
            ErrorKind::StateFile => "state_file",
            ErrorKind::Signals => "signals",
            ErrorKind::Systemd => "systemd",
            ErrorKind::ApiRefused => "api_refused",
            ErrorKind::ApiInternal => "api_internal",
            ErrorKind::Tls => "tls",
            ErrorKind::ShutdownIncomplete => "shutdown_incomplete",
            ErrorKind::PeerExited => "peer_exited",
            ErrorKind::InsecureSetting => "insecure_setting",
            ErrorKind::NoRecipient => "no_recipient",
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

/// The file watcher of `door` is unavailable or failed (`at`: the folder or "events").
pub fn watcher_unavailable(door: &str, at: &dyn std::fmt::Display, error: &dyn std::fmt::Display) {
    count(ErrorKind::Watch);
    tracing::warn!(
        door,
        at = %at,
        error = %error,
        error_kind = ErrorKind::Watch.as_str(),
        "file watcher unavailable; relying on rescans"
    );
}

/// A spool file could not be processed; it stays in `inbound/` and the next rescan retries.
pub fn spool_file_retried(file: &dyn std::fmt::Display, error: &dyn std::fmt::Display) {
    count(ErrorKind::SpoolRetry);
    tracing::error!(
        file = %file,
        error = %error,
        error_kind = ErrorKind::SpoolRetry.as_str(),
        "spool: processing failed, will retry"
    );
}

/// A `door` entry that is not a regular file (`what`: symlink, FIFO…) was moved aside unread.
pub fn entry_refused(door: &str, file: &str, what: &str) {
    count(ErrorKind::EntryRefused);
    tracing::warn!(
        door,
        file,
        kind = what,
        error_kind = ErrorKind::EntryRefused.as_str(),
        "not a regular file, moved aside unread"
    );
}

/// Reload `generation` was refused; the previous configuration keeps running.
pub fn reload_failed(generation: u64, why: &dyn std::fmt::Display) {
    count(ErrorKind::Reload);
    tracing::error!(
        generation,
        error = %why,
        error_kind = ErrorKind::Reload.as_str(),
        "reload failed; still running on the previous configuration"
    );
}

/// A reloaded file changes `setting`, which only a restart applies.
pub fn restart_needed(setting: &str) {
    count(ErrorKind::RestartNeeded);
    tracing::warn!(
        setting,
        error_kind = ErrorKind::RestartNeeded.as_str(),
        "reload: changed setting needs a restart; keeping the running value"
    );
}

/// A state file (`what`) could not be written at `file`.
pub fn state_file_not_written(
    what: &str,
    file: &dyn std::fmt::Display,
    error: &dyn std::fmt::Display,
) {
    count(ErrorKind::StateFile);
    tracing::error!(
        what,
        file = %file,
        error = %error,
        error_kind = ErrorKind::StateFile.as_str(),
        "state file not written"
    );
}

/// The signal handlers could not be installed: only SIGKILL stops the daemon.
pub fn signal_handlers_unavailable() {
    count(ErrorKind::Signals);
    tracing::error!(
        error_kind = ErrorKind::Signals.as_str(),
        "cannot install signal handlers: stop with SIGKILL only"
    );
}

/// systemd could not be told `what` (or the clock it needs could not be read).
pub fn systemd_failed(what: &str, error: &dyn std::fmt::Display) {
    count(ErrorKind::Systemd);
    tracing::warn!(
        what,
        error = %error,
        error_kind = ErrorKind::Systemd.as_str(),
        "systemd notification failed"
    );
}

/// The web service refused a client (`reason`: "too_many_connections", "identity");
/// `detail` names the peer or its certificate identities, never a person.
pub fn api_refused(reason: &str, detail: &dyn std::fmt::Display) {
    count(ErrorKind::ApiRefused);
    tracing::warn!(
        reason,
        detail = %detail,
        error_kind = ErrorKind::ApiRefused.as_str(),
        "api: client refused"
    );
}

/// The web service failed internally (answered 503).
pub fn api_internal(error: &dyn std::fmt::Display) {
    count(ErrorKind::ApiInternal);
    tracing::error!(
        error = %error,
        error_kind = ErrorKind::ApiInternal.as_str(),
        "api: internal error"
    );
}

/// The TLS of `listener` could not be set up; the listener stays closed.
pub fn tls_setup_failed(listener: &str, error: &dyn std::fmt::Display) {
    count(ErrorKind::Tls);
    tracing::error!(
        listener,
        error = %error,
        error_kind = ErrorKind::Tls.as_str(),
        "cannot set up TLS; the listener stays closed"
    );
}

/// Shutdown did not finish within `grace`; what is left resumes at next start.
pub fn shutdown_incomplete(grace: std::time::Duration) {
    count(ErrorKind::ShutdownIncomplete);
    tracing::warn!(
        grace = ?grace,
        error_kind = ErrorKind::ShutdownIncomplete.as_str(),
        "shutdown grace elapsed; abandoning remaining work (it resumes at next start)"
    );
}

/// The child peer `peer` exited (`status`: its exit status); `consequence` says what stops.
pub fn peer_exited(peer: &str, status: &dyn std::fmt::Debug, consequence: &str) {
    count(ErrorKind::PeerExited);
    tracing::error!(
        peer,
        status = ?status,
        consequence,
        error_kind = ErrorKind::PeerExited.as_str(),
        "child peer exited"
    );
}

/// A development or test setting (`setting`) is in use; `detail` says what it means.
pub fn insecure_setting(setting: &str, detail: &str) {
    count(ErrorKind::InsecureSetting);
    tracing::warn!(
        setting,
        error_kind = ErrorKind::InsecureSetting.as_str(),
        "{detail}"
    );
}

/// Alert `alert` (condition `condition`) has no recipient configured: journal only.
pub fn alert_without_recipient(alert: i64, condition: &str) {
    count(ErrorKind::NoRecipient);
    tracing::warn!(
        alert,
        condition,
        error_kind = ErrorKind::NoRecipient.as_str(),
        "alerts: no recipient configured; alert kept in the journal only"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_counts_under_its_kind() {
        let cases: Vec<(ErrorKind, fn())> = vec![
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
            (ErrorKind::Watch, || {
                watcher_unavailable("spool", &"inbound", &"ENOSPC")
            }),
            (ErrorKind::SpoolRetry, || {
                spool_file_retried(&"inbound/a.csv", &"EIO")
            }),
            (ErrorKind::EntryRefused, || {
                entry_refused("spool", "a.csv", "symbolic link")
            }),
            (ErrorKind::Reload, || reload_failed(2, &"bad toml")),
            (ErrorKind::RestartNeeded, || restart_needed("api.listen")),
            (ErrorKind::StateFile, || {
                state_file_not_written("reload", &"var/reload.json", &"EROFS")
            }),
            (ErrorKind::Signals, signal_handlers_unavailable),
            (ErrorKind::Systemd, || systemd_failed("notify", &"EPIPE")),
            (ErrorKind::ApiRefused, || {
                api_refused("identity", &"[\"x\"]")
            }),
            (ErrorKind::ApiInternal, || api_internal(&"closed")),
            (ErrorKind::Tls, || tls_setup_failed("admin", &"no key")),
            (ErrorKind::ShutdownIncomplete, || {
                shutdown_incomplete(std::time::Duration::from_secs(1))
            }),
            (ErrorKind::PeerExited, || {
                peer_exited("sandbox", &Some(1), "no CPAM peer")
            }),
            (ErrorKind::InsecureSetting, || {
                insecure_setting("api.dev_certs", "development settings")
            }),
            (ErrorKind::NoRecipient, || {
                alert_without_recipient(1, "deposit_late")
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
