//! Logging set-up: stderr (human or JSON lines) or the systemd journal.
//!
//! journald is used when asked (`--log-target journald`) or, with `auto` (the default), when
//! systemd connected our stderr to the journal ($JOURNAL_STREAM set). The native protocol keeps
//! fields structured (`journalctl -o json` shows `F_FILE=`, `F_ACCEPTED=`...) and levels as
//! priorities. If the journal socket cannot be opened, logging falls back to stderr with a
//! warning: a logging problem never stops the daemon and never panics.

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
                    return;
                }
            }
            Err(e) => fallback = Some(e.to_string()),
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter())
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
}
