//! Process-wide metrics registry and the internal events that feed it.
//!
//! Vector-style "internal events": every event worth counting has one function here that logs
//! it *and* counts it, so logs and metrics cannot drift apart. Callers anywhere in the crate
//! write `crate::metrics::deposit_failed("http_5xx", &err)` and nothing else.
//!
//! The registry is a set of `static` counters (atomics, no lock on the hot path); labelled
//! counters keep one atomic per label value behind a mutex taken only to find the slot.
//! [`render`] writes them in the Prometheus text exposition format (version 0.0.4); the admin
//! listener adds the gauges it reads from the journal and the spool at scrape time.
//!
//! Invariant: metric names are `ijgate_*`, counters end in `_total`, label values never carry
//! personal data (no NIR, no name: only kinds, destinations and channel names).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// A monotonically increasing count.
pub struct Counter {
    pub name: &'static str,
    pub help: &'static str,
    value: AtomicU64,
}

impl Counter {
    pub const fn new(name: &'static str, help: &'static str) -> Counter {
        Counter {
            name,
            help,
            value: AtomicU64::new(0),
        }
    }

    pub fn inc(&self) {
        self.add(1);
    }

    pub fn add(&self, n: u64) {
        self.value.fetch_add(n, Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.value.load(Relaxed)
    }

    fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "counter");
        let _ = writeln!(out, "{} {}", self.name, self.get());
    }
}

/// A counter split by one label (e.g. `kind`).
pub struct LabeledCounter {
    pub name: &'static str,
    pub help: &'static str,
    pub label: &'static str,
    values: Mutex<BTreeMap<String, u64>>,
}

impl LabeledCounter {
    pub const fn new(
        name: &'static str,
        help: &'static str,
        label: &'static str,
    ) -> LabeledCounter {
        LabeledCounter {
            name,
            help,
            label,
            values: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn inc(&self, value: &str) {
        if let Ok(mut m) = self.values.lock() {
            *m.entry(value.to_string()).or_insert(0) += 1;
        }
    }

    pub fn get(&self, value: &str) -> u64 {
        self.values
            .lock()
            .ok()
            .and_then(|m| m.get(value).copied())
            .unwrap_or(0)
    }

    pub(crate) fn render(&self, out: &mut String) {
        header(out, self.name, self.help, "counter");
        if let Ok(m) = self.values.lock() {
            for (v, n) in m.iter() {
                let _ = writeln!(
                    out,
                    "{}{{{}=\"{}\"}} {n}",
                    self.name,
                    self.label,
                    escape_label(v)
                );
            }
        }
    }
}

/// Writes the `# HELP` and `# TYPE` lines of a metric family.
pub fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let help = help.replace('\\', "\\\\").replace('\n', "\\n");
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Escapes a label value for the text format.
pub fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Writes a gauge family with one sample per label value (or one unlabelled sample when
/// `label` is empty).
pub fn gauge(out: &mut String, name: &str, help: &str, label: &str, samples: &[(String, f64)]) {
    header(out, name, help, "gauge");
    for (v, x) in samples {
        if label.is_empty() {
            let _ = writeln!(out, "{name} {x}");
        } else {
            let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {x}", escape_label(v));
        }
    }
}

pub static DEPOSIT_FAILURES: LabeledCounter = LabeledCounter::new(
    "ijgate_deposit_failures_total",
    "Failed deposits to net-entreprises, by error kind.",
    "kind",
);
pub static BPIJ_DISPATCHED: LabeledCounter = LabeledCounter::new(
    "ijgate_bpij_dispatched_total",
    "BPIJ payment slips handed to a destination, by destination.",
    "dest",
);
pub static ALERTS_SENT: LabeledCounter = LabeledCounter::new(
    "ijgate_alerts_sent_total",
    "Alerts sent to operators, by condition.",
    "condition",
);
pub static SPOOL_FILES: LabeledCounter = LabeledCounter::new(
    "ijgate_spool_files_total",
    "Spool input files processed, by outcome (archived, rejected, refused = not a regular file, failed).",
    "outcome",
);
pub static API_REFUSALS: LabeledCounter = LabeledCounter::new(
    "ijgate_api_refusals_total",
    "Web service connections closed or bodies refused by a limit, by reason (idle, handshake_timeout, handshake_failed, too_many_connections, body_too_large).",
    "reason",
);
pub static HEARTBEAT_FAILURES: Counter = Counter::new(
    "ijgate_heartbeat_failures_total",
    "Heartbeats whose journal write or spool check failed (the watchdog was not pinged).",
);
pub static RELOADS: LabeledCounter = LabeledCounter::new(
    "ijgate_config_reloads_total",
    "Configuration reloads (SIGHUP), by result.",
    "result",
);

pub static DSN_MISSING_DECLARATIONS: Counter = Counter::new(
    "ijgate_dsn_missing_declarations_total",
    "Establishments of the fiches found without a DSN after its due day (MDSN01).",
);

pub static DSN_MONTH_TO_MONTH: LabeledCounter = LabeledCounter::new(
    "ijgate_dsn_month_to_month_findings_total",
    "Month-to-month findings of the DSN door (counted once per lot taken), by check (MSAL01, MCTR01, MAFF01, MCOT01).",
    "check",
);

pub static PRESTIJ_FILES: LabeledCounter = LabeledCounter::new(
    "ijgate_prestij_files_total",
    "Prest'IJ exchange files, by outcome (gestip_sent, answer, bpij, rejected, failed).",
    "outcome",
);

/// One per completed pass of the Prest'IJ worker over every insurer (tests await it instead
/// of sleeping: a pass that starts after a file appears has taken it).
pub static PRESTIJ_CYCLES: Counter = Counter::new(
    "ijgate_prestij_cycles_total",
    "Completed passes of the Prest'IJ worker (build, deliver, transfer, take answers and BPIJ).",
);

/// What the DSN door's lots did to Prest'IJ enrolments (engine::prestij::affiliations).
pub static PRESTIJ_AFFILIATIONS: LabeledCounter = LabeledCounter::new(
    "ijgate_prestij_affiliations_total",
    "Prest'IJ enrolments from DSN affiliations, by outcome (enrolled, withdrawn, skipped, unreadable, failed).",
    "outcome",
);

pub static PRESTIJ_INCIDENTS: LabeledCounter = LabeledCounter::new(
    "ijgate_prestij_incidents_total",
    "Prest'IJ SFTP incidents, by change (opened, resolved).",
    "change",
);

pub static API_QUERIES_REFUSED: LabeledCounter = LabeledCounter::new(
    "ijgate_api_queries_refused_total",
    "Listing and replay requests of the web service refused as invalid (400/422), by operation (list, replay).",
    "operation",
);
pub static NOTICES_REPLAYED: Counter = Counter::new(
    "ijgate_notices_replayed_total",
    "Outbound files set to be written again by a replay through the web service.",
);

/// Every registered counter family, in exposition order.
/// Operator console events, by kind (the console is a door: the counter lives here, below it).
pub static CONSOLE_EVENTS: LabeledCounter = LabeledCounter::new(
    "ijgate_console_events_total",
    "Operator console events, by kind (refused, csrf_refused, actions, actions_refused, journal_errors, bad_requests, tls_handshake_failed, live_streams, live_events, live_refused).",
    "event",
);

fn families(out: &mut String) {
    PRESTIJ_FILES.render(out);
    PRESTIJ_CYCLES.render(out);
    PRESTIJ_INCIDENTS.render(out);
    PRESTIJ_AFFILIATIONS.render(out);
    DSN_MISSING_DECLARATIONS.render(out);
    DSN_MONTH_TO_MONTH.render(out);
    DEPOSIT_FAILURES.render(out);
    BPIJ_DISPATCHED.render(out);
    ALERTS_SENT.render(out);
    SPOOL_FILES.render(out);
    API_REFUSALS.render(out);
    HEARTBEAT_FAILURES.render(out);
    RELOADS.render(out);
    CONSOLE_EVENTS.render(out);
    API_QUERIES_REFUSED.render(out);
    NOTICES_REPLAYED.render(out);
    crate::internal_events::COMPONENT_ERRORS.render(out);
}

/// The registry in the Prometheus text format.
pub fn render() -> String {
    let mut out = String::new();
    families(&mut out);
    out
}

// ---- internal events: log and count together -------------------------------------------

/// A deposit to net-entreprises failed; `kind` groups failures (e.g. "timeout", "http_5xx",
/// "rejected").
pub fn deposit_failed(kind: &str, detail: &dyn std::fmt::Display) {
    DEPOSIT_FAILURES.inc(kind);
    tracing::warn!(kind, error = %detail, "deposit failed");
}

/// A BPIJ slip was handed to `dest` (a folder or an insurer name).
pub fn bpij_dispatched(dest: &str, file: &str) {
    BPIJ_DISPATCHED.inc(dest);
    tracing::info!(dest, file, "BPIJ dispatched");
}

/// An alert was sent about `condition`.
pub fn alert_sent(condition: &str, to: &str) {
    ALERTS_SENT.inc(condition);
    tracing::info!(condition, to, "alert sent");
}

/// The web service closed a connection or refused a body because of a limit (`[api]`).
pub fn api_connection_closed(reason: &str) {
    API_REFUSALS.inc(reason);
}

/// A spool file left inbound/ (`outcome` "archived" or "rejected"), or failed and stays.
pub fn spool_file(outcome: &str) {
    SPOOL_FILES.inc(outcome);
}

/// A heartbeat failed: the watchdog is not pinged this time.
pub fn heartbeat_failed(reason: &str) {
    HEARTBEAT_FAILURES.inc();
    tracing::error!(reason, "heartbeat failed: watchdog not pinged");
}

/// A configuration reload finished.
pub fn reload_done(ok: bool) {
    RELOADS.inc(if ok { "success" } else { "failure" });
}

/// The DSN door's daily check found an establishment of the fiches without its DSN (MDSN01).
pub fn dsn_declaration_missing(siret: &str, month: &str) {
    DSN_MISSING_DECLARATIONS.inc();
    tracing::warn!(
        siret,
        month,
        "dsn: MDSN01 no DSN received after its due day"
    );
}

/// The DSN door reported a month-to-month finding of a lot it took.
pub fn dsn_month_to_month(check: &str) {
    DSN_MONTH_TO_MONTH.inc(check);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_in_text_format() {
        static C: Counter = Counter::new("ijgate_test_total", "A test.\nSecond line.");
        static L: LabeledCounter = LabeledCounter::new("ijgate_test_kinds_total", "Kinds.", "kind");
        C.add(2);
        L.inc("a\"b");
        L.inc("a\"b");
        let mut out = String::new();
        C.render(&mut out);
        L.render(&mut out);
        assert!(out.contains("# HELP ijgate_test_total A test.\\nSecond line.\n"));
        assert!(out.contains("# TYPE ijgate_test_total counter\nijgate_test_total 2\n"));
        assert!(
            out.contains("ijgate_test_kinds_total{kind=\"a\\\"b\"} 2\n"),
            "{out}"
        );
        assert_eq!(L.get("a\"b"), 2);
        assert_eq!(L.get("other"), 0);
    }

    #[test]
    fn events_count() {
        let before = DEPOSIT_FAILURES.get("timeout");
        deposit_failed("timeout", &"no answer in 30s");
        assert_eq!(DEPOSIT_FAILURES.get("timeout"), before + 1);
        assert!(render().contains("ijgate_deposit_failures_total{kind=\"timeout\"}"));
    }

    #[test]
    fn gauges_with_and_without_labels() {
        let mut out = String::new();
        gauge(&mut out, "ijgate_g", "G.", "", &[(String::new(), 3.0)]);
        gauge(
            &mut out,
            "ijgate_h",
            "H.",
            "state",
            &[("validated".into(), 1.0)],
        );
        assert!(out.contains("ijgate_g 3\n"));
        assert!(out.contains("ijgate_h{state=\"validated\"} 1\n"));
    }
}
