//! `[retention]`: how long the journal and the spool keep finished work (applied by
//! `journal::retention` and `engine::purge`).

use serde::Deserialize;
use std::time::Duration;

/// `[retention]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Retention {
    /// How long journal rows and archived/rejected files are kept after their last update.
    #[serde(with = "humantime_serde")]
    pub keep: Duration,
    /// Purge automatically once a day (otherwise only `ijgate purge` does).
    pub automatic: bool,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep: Duration::from_secs(400 * 86_400),
            automatic: true,
        }
    }
}

impl Retention {
    pub fn validate(&self) -> Vec<String> {
        if self.keep < Duration::from_secs(86_400) {
            vec!["retention.keep: must be at least 1d".into()]
        } else {
            Vec::new()
        }
    }
}
