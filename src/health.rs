//! Health: named checks that any part of the daemon updates, read by `/healthz` and by the
//! watchdog heartbeat.
//!
//! A check is a name, a verdict (ok, or failed with a reason) and the time it was last
//! updated. Each update states how long it stays valid (`max_age`): a check that nobody
//! refreshed in time counts as failed ("stale"), so a wedged task cannot leave a green check
//! behind. A check that was never reported is absent, not failed: a part of the daemon that is
//! disabled simply never reports.
//!
//! Names in use: [`JOURNAL`] and [`SPOOL`] (heartbeat), [`SPOOL_SCAN`] (the spool loop after
//! each rescan). Other parts add theirs (e.g. "peer" for net-entreprises reachability, with the
//! last successful poll in the reason) by calling [`global`]`().pass(..)` / `.fail(..)`.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

/// The journal took a tiny write (heartbeat).
pub const JOURNAL: &str = "journal";
/// No journal write job has panicked since start (set only on failure: the writer thread
/// survives the panic, fails that job and raises this).
pub const JOURNAL_JOB: &str = "journal_job";
/// The spool inbound folder is readable (heartbeat).
pub const SPOOL: &str = "spool";
/// The spool loop completed a rescan recently (spool loop).
pub const SPOOL_SCAN: &str = "spool_scan";

#[derive(Debug, Clone)]
struct Check {
    ok: bool,
    reason: Option<String>,
    at: Instant,
    max_age: Duration,
}

/// One check as reported.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckReport {
    pub name: String,
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Milliseconds since the check was last updated.
    pub age_ms: u64,
}

/// Every check, and the overall verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub healthy: bool,
    pub checks: Vec<CheckReport>,
}

/// The set of named checks.
#[derive(Debug, Default)]
pub struct Health {
    checks: Mutex<BTreeMap<String, Check>>,
    /// Checks that must have reported: absent, they count as failed ("not reported yet"), so
    /// `/healthz` is not green before the first heartbeat.
    expected: Mutex<std::collections::BTreeSet<String>>,
}

static GLOBAL: LazyLock<Health> = LazyLock::new(Health::default);

/// The daemon's health registry.
pub fn global() -> &'static Health {
    &GLOBAL
}

impl Health {
    fn set(&self, name: &str, ok: bool, reason: Option<String>, max_age: Duration) {
        if let Ok(mut m) = self.checks.lock() {
            m.insert(
                name.to_string(),
                Check {
                    ok,
                    reason,
                    at: Instant::now(),
                    max_age,
                },
            );
        }
    }

    /// `name` is fine, and stays so for `max_age` unless refreshed.
    pub fn pass(&self, name: &str, max_age: Duration) {
        self.set(name, true, None, max_age);
    }

    /// `name` is fine, with a note (e.g. "last successful poll 2026-11-25T10:00:00Z").
    pub fn pass_with(&self, name: &str, note: impl Into<String>, max_age: Duration) {
        self.set(name, true, Some(note.into()), max_age);
    }

    /// `name` failed for `reason`.
    pub fn fail(&self, name: &str, reason: impl Into<String>) {
        self.set(name, false, Some(reason.into()), Duration::MAX);
    }

    /// True once `name` has reported at least once.
    pub fn reported(&self, name: &str) -> bool {
        self.checks.lock().is_ok_and(|m| m.contains_key(name))
    }

    /// Declares that `name` must report (the daemon does it for the parts it starts).
    pub fn expect(&self, name: &str) {
        if let Ok(mut e) = self.expected.lock() {
            e.insert(name.to_string());
        }
    }

    /// Forgets a check (its part was disabled by a reload).
    pub fn remove(&self, name: &str) {
        if let Ok(mut m) = self.checks.lock() {
            m.remove(name);
        }
        if let Ok(mut e) = self.expected.lock() {
            e.remove(name);
        }
    }

    /// The current verdict of every check at `now`.
    pub fn report_at(&self, now: Instant) -> Report {
        let Ok(m) = self.checks.lock() else {
            return Report {
                healthy: false,
                checks: Vec::new(),
            };
        };
        let expected = self.expected.lock().map(|e| e.clone()).unwrap_or_default();
        let mut checks: Vec<CheckReport> = m
            .iter()
            .map(|(name, c)| {
                let age = now.saturating_duration_since(c.at);
                let stale = c.ok && age > c.max_age;
                CheckReport {
                    name: name.clone(),
                    ok: c.ok && !stale,
                    reason: if stale {
                        Some(format!(
                            "stale: not confirmed for {}s (limit {}s)",
                            age.as_secs(),
                            c.max_age.as_secs()
                        ))
                    } else {
                        c.reason.clone()
                    },
                    age_ms: age.as_millis() as u64,
                }
            })
            .collect();
        for name in expected.iter().filter(|n| !m.contains_key(*n)) {
            checks.push(CheckReport {
                name: name.clone(),
                ok: false,
                reason: Some("not reported yet".into()),
                age_ms: 0,
            });
        }
        checks.sort_by(|a, b| a.name.cmp(&b.name));
        Report {
            healthy: checks.iter().all(|c| c.ok),
            checks,
        }
    }

    pub fn report(&self) -> Report {
        self.report_at(Instant::now())
    }

    /// True when every one of `names` is present and ok (the watchdog's condition).
    pub fn all_ok(&self, names: &[&str]) -> bool {
        let r = self.report();
        names
            .iter()
            .all(|n| r.checks.iter().any(|c| c.name == *n && c.ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_and_stale_checks_make_it_unhealthy() {
        let h = Health::default();
        assert!(h.report().healthy, "no check: nothing is wrong");
        assert!(!h.all_ok(&[JOURNAL]), "absent is not ok for the watchdog");
        h.pass(JOURNAL, Duration::from_secs(10));
        h.pass(SPOOL, Duration::from_secs(10));
        assert!(h.report().healthy);
        assert!(h.all_ok(&[JOURNAL, SPOOL]));
        // Later than max_age: stale.
        let later = Instant::now() + Duration::from_secs(11);
        let r = h.report_at(later);
        assert!(!r.healthy);
        assert!(r.checks[0].reason.as_deref().unwrap().starts_with("stale"));
        h.fail(SPOOL, "inbound: permission denied");
        let r = h.report();
        assert!(!r.healthy);
        let spool = r.checks.iter().find(|c| c.name == SPOOL).unwrap();
        assert_eq!(spool.reason.as_deref(), Some("inbound: permission denied"));
        assert!(!h.all_ok(&[JOURNAL, SPOOL]));
        h.remove(SPOOL);
        assert!(h.report().healthy);
    }

    #[test]
    fn expected_checks_must_report() {
        let h = Health::default();
        h.expect(JOURNAL);
        let r = h.report();
        assert!(!r.healthy);
        assert_eq!(r.checks[0].reason.as_deref(), Some("not reported yet"));
        h.pass(JOURNAL, Duration::from_secs(10));
        assert!(h.report().healthy);
    }
}
