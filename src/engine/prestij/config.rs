//! `[insurers.prestij]`: an insurer that receives its BPIJ through Prest'IJ (README "Prest'IJ").
//!
//! Folder mode (the default) writes GESTIP to `<folder>/out/` and reads ARL, CR and BPIJ from
//! `<folder>/in/`, for sites whose transfer tool (CFT, PeSIT gateway) reads a directory.

use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrestijConfig {
    /// The Prest'IJ service access key given by the concentrator or the CNAM.
    pub access_key: String,
    /// Exchange folder; relative paths are under the spool directory. Default
    /// `<spool>/prestij/<insurer code>`.
    #[serde(default)]
    pub folder: Option<PathBuf>,
    /// One GESTIP per insurer per cycle, gathering every enrolment waiting.
    #[serde(default = "default_cycle", with = "humantime_serde")]
    pub cycle: Duration,
    /// An ARL not received this long after a GESTIP is delivered raises an alert.
    #[serde(default = "default_arl_deadline", with = "humantime_serde")]
    pub arl_deadline: Duration,
    /// SFTP mode: the GESTIP of `out/` are put on the server, the server's answers and BPIJ
    /// are taken into `in/` (the folder is then ijgate's own staging area).
    #[serde(default)]
    pub sftp: Option<crate::channels::sftp::SftpConfig>,
}

fn default_cycle() -> Duration {
    Duration::from_secs(60)
}

fn default_arl_deadline() -> Duration {
    Duration::from_secs(24 * 3600)
}

impl PrestijConfig {
    /// The exchange folder of insurer `code`.
    pub fn folder_of(&self, spool: &std::path::Path, code: &str) -> PathBuf {
        match &self.folder {
            Some(f) if f.is_absolute() => f.clone(),
            Some(f) => spool.join(f),
            None => spool.join("prestij").join(code),
        }
    }
}
