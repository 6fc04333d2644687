//! Logging set-up: stderr (human or JSON lines) or the systemd journal.
//!
//! journald is used when asked (`--log-target journald`) or, with `auto` (the default), when
//! systemd connected our stderr to the journal ($JOURNAL_STREAM set). The native protocol keeps
//! fields structured (`journalctl -o json` shows `F_FILE=`, `F_ACCEPTED=`...) and levels as
//! priorities. If the journal socket cannot be opened, logging falls back to stderr with a
//! warning: a logging problem never stops the daemon and never panics.
//!
//! Colours only when stderr is a terminal and `NO_COLOR` is unset (<https://no-color.org>): a
//! redirected stderr (a log file, a pipe, systemd) gets plain text, never ANSI escapes.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Where the logs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Target {
    /// journald when $JOURNAL_STREAM is set (started by systemd), else stderr.
    #[default]
    Auto,
    Stderr,
    Journald,
}

/// Whether `target` means journald in this environment.
pub fn wants_journald(target: Target, journal_stream: Option<&std::ffi::OsStr>) -> bool {
    match target {
        Target::Journald => true,
        Target::Stderr => false,
        Target::Auto => journal_stream.is_some_and(|v| !v.is_empty()),
    }
}

/// Whether the logs go to stderr (set by [`init`]): a fatal error logged there must not be
/// printed a second time.
static ON_STDERR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Colours for a human on a terminal only, and never with `NO_COLOR` set (to anything
/// non-empty, as no-color.org says).
pub fn use_colour(stderr_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Reports a fatal error once: in the logs, and on stderr only if the logs are not already
/// there and a person is watching it (under systemd stderr is the journal too).
pub fn fatal(message: &str) {
    use std::io::IsTerminal;
    tracing::error!("{message}");
    if !ON_STDERR.load(std::sync::atomic::Ordering::Relaxed) && std::io::stderr().is_terminal() {
        eprintln!("ijgate: {message}");
    }
}

fn filter() -> EnvFilter {
    EnvFilter::try_from_env("IJGATE_LOG").unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Installs the global subscriber. `format` is "human" or "json" (stderr only).
pub fn init(format: &str, target: Target) {
    let stream = std::env::var_os("JOURNAL_STREAM");
    let mut fallback = None;
    if wants_journald(target, stream.as_deref()) {
        match tracing_journald::layer() {
            Ok(layer) => {
                let layer = layer.with_syslog_identifier("ijgate".into());
                if tracing_subscriber::registry()
                    .with(filter())
                    .with(layer)
                    .try_init()
                    .is_ok()
                {
                    ON_STDERR.store(false, std::sync::atomic::Ordering::Relaxed);
                    return;
                }
            }
            Err(e) => fallback = Some(e.to_string()),
        }
    }
    use std::io::IsTerminal;
    let colour = use_colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    if let Some(e) = fallback {
        tracing::warn!(error = %e, "journald unavailable: logging to stderr");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_follows_journal_stream() {
        use std::ffi::OsStr;
        assert!(wants_journald(Target::Auto, Some(OsStr::new("8:1234"))));
        assert!(!wants_journald(Target::Auto, None));
        assert!(!wants_journald(Target::Auto, Some(OsStr::new(""))));
        assert!(wants_journald(Target::Journald, None));
        assert!(!wants_journald(Target::Stderr, Some(OsStr::new("8:1"))));
    }

    #[test]
    fn colour_on_a_terminal_without_no_color_only() {
        use std::ffi::OsStr;
        assert!(use_colour(true, None));
        assert!(use_colour(true, Some(OsStr::new(""))));
        assert!(!use_colour(true, Some(OsStr::new("1"))));
        assert!(!use_colour(false, None));
    }
}
