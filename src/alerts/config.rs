//! `[alerts]` and `[deadlines]` of the configuration.
//!
//! A deadline is either an elapsed time ("1h", "4h", "5d") or a number of French working
//! days ("5 working days", "5wd"), counted from the event the rule names.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use std::time::Duration;

use super::workdays::add_working_days;

/// Largest working-day deadline accepted (about ten years).
pub const MAX_WORKING_DAYS: u32 = 2500;

/// Why a deadline setting does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    #[error("{0:?}: expected a number of working days up to {MAX_WORKING_DAYS}")]
    WorkingDays(String),
    #[error("{input:?}: {reason} (e.g. \"4h\" or \"5 working days\")")]
    Duration { input: String, reason: String },
}

/// A deadline after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    Elapsed(Duration),
    WorkingDays(u32),
}

impl Deadline {
    pub fn parse(s: &str) -> Result<Deadline, DeadlineError> {
        let t = s.trim();
        for suffix in ["working days", "working day", "wd"] {
            if let Some(n) = t.strip_suffix(suffix) {
                return n
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|&n| n <= MAX_WORKING_DAYS)
                    .map(Deadline::WorkingDays)
                    .ok_or_else(|| DeadlineError::WorkingDays(s.to_string()));
            }
        }
        humantime::parse_duration(t)
            .map(Deadline::Elapsed)
            .map_err(|e| DeadlineError::Duration {
                input: s.to_string(),
                reason: e.to_string(),
            })
    }

    /// When a deadline started at `start` falls due. Working days keep the time of day.
    pub fn due(&self, start: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Deadline::Elapsed(d) => super::workdays::later(start, *d),
            Deadline::WorkingDays(n) => {
                let date = add_working_days(start.date_naive(), *n);
                date.and_time(start.time()).and_utc()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Deadline {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Deadline::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// `[deadlines]`: how long each expected return may take (domain.md §6 defaults).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Deadlines {
    /// Certificate of conformity (11) after the deposit.
    #[serde(rename = "11")]
    pub r11: Deadline,
    /// CNAM acknowledgement (30) after the deposit.
    #[serde(rename = "30")]
    pub r30: Deadline,
    /// CNAM business report (31) after the deposit.
    #[serde(rename = "31")]
    pub r31: Deadline,
    /// Insurer CRM (51) after the deposit (checked when `alerts.expect_crm_oc`).
    #[serde(rename = "51")]
    pub r51: Deadline,
    /// A signalement not deposited this long after the HR entry (the AEE is synchronous, so
    /// "no AEE" is this rule).
    pub signalement: Deadline,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines {
            r11: Deadline::Elapsed(Duration::from_secs(3600)),
            r30: Deadline::Elapsed(Duration::from_secs(3600)),
            r31: Deadline::Elapsed(Duration::from_secs(4 * 3600)),
            r51: Deadline::WorkingDays(5),
            signalement: Deadline::Elapsed(Duration::from_secs(5 * 86400)),
        }
    }
}

/// `[alerts]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsConfig {
    /// Scan and send (needs `[smtp] host`); off: nothing is detected or mailed.
    pub enabled: bool,
    /// Sender; empty: `[smtp] from`.
    pub from: String,
    /// Recipients of every alert (besides the employer's and the insurer's).
    pub to: Vec<String>,
    /// How often conditions are looked for and due mails sent.
    #[serde(with = "humantime_serde")]
    pub scan_interval: Duration,
    /// A still-open alert is mailed once more this long after the alert mail (0 = never).
    #[serde(with = "humantime_serde")]
    pub reminder_after: Duration,
    /// More than this many mails for one recipient in one tick → one digest instead.
    pub digest_threshold: usize,
    /// First retry delay when the SMTP server is unreachable; doubles up to `retry_max`.
    #[serde(with = "humantime_serde")]
    pub retry_initial: Duration,
    #[serde(with = "humantime_serde")]
    pub retry_max: Duration,
    /// Certificates (api.cert_file, api.client_ca_file) expiring within this are alerted.
    #[serde(with = "humantime_serde")]
    pub cert_warning: Duration,
    /// Deposit attempts after which repeated delivery failures are alerted.
    pub delivery_failures: i64,
    /// Insurers send a CRM (51) for the deposits: alert when it is late.
    pub expect_crm_oc: bool,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            enabled: true,
            from: String::new(),
            to: Vec::new(),
            scan_interval: Duration::from_secs(60),
            reminder_after: Duration::from_secs(24 * 3600),
            digest_threshold: 5,
            retry_initial: Duration::from_secs(30),
            retry_max: Duration::from_secs(3600),
            cert_warning: Duration::from_secs(30 * 86400),
            delivery_failures: 5,
            expect_crm_oc: false,
        }
    }
}

impl AlertsConfig {
    pub fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.scan_interval < Duration::from_millis(50) {
            p.push("alerts.scan_interval: must be at least 50ms".into());
        }
        for (i, a) in self.to.iter().enumerate() {
            if a.parse::<lettre::message::Mailbox>().is_err() {
                p.push(format!("alerts.to[{i}]: {a:?} is not a mail address"));
            }
        }
        if !self.from.is_empty() && self.from.parse::<lettre::message::Mailbox>().is_err() {
            p.push(format!(
                "alerts.from: {:?} is not a mail address",
                self.from
            ));
        }
        if self.digest_threshold == 0 {
            p.push("alerts.digest_threshold: must be at least 1".into());
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn deadlines_parse_both_forms() {
        assert_eq!(
            Deadline::parse("4h"),
            Ok(Deadline::Elapsed(Duration::from_secs(14400)))
        );
        assert_eq!(
            Deadline::parse("5 working days"),
            Ok(Deadline::WorkingDays(5))
        );
        assert_eq!(Deadline::parse("3wd"), Ok(Deadline::WorkingDays(3)));
        assert!(Deadline::parse("five working days").is_err());
        assert!(Deadline::parse("4000000000wd").is_err());
        assert!(Deadline::parse("soon").is_err());
    }

    #[test]
    fn working_day_deadline_skips_the_weekend_and_keeps_the_time() {
        // Friday 20 Nov 2026 10:00 + 1 working day → Monday 23 Nov 10:00.
        let start = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
        let due = Deadline::WorkingDays(1).due(start);
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap());
        let due = Deadline::Elapsed(Duration::from_secs(3600)).due(start);
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 11, 20, 11, 0, 0).unwrap());
        // An absurd configured delay means "never", not an overflow.
        let never = Deadline::Elapsed(Duration::from_secs(u64::MAX)).due(start);
        assert_eq!(never, DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn config_defaults_and_overrides() {
        let d: Deadlines = toml::from_str("\"31\" = \"1s\"\nsignalement = \"5wd\"").unwrap();
        assert_eq!(d.r31, Deadline::Elapsed(Duration::from_secs(1)));
        assert_eq!(d.r30, Deadline::Elapsed(Duration::from_secs(3600)));
        assert_eq!(d.signalement, Deadline::WorkingDays(5));
        assert!(toml::from_str::<Deadlines>("\"99\" = \"1h\"").is_err());
        let a: AlertsConfig = toml::from_str("to = [\"x\"]").unwrap();
        assert_eq!(a.validate().len(), 1);
    }
}
