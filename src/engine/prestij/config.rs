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
    pub sftp: Option<crate::config::sftp::SftpConfig>,
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

/// Problems of one `[insurers.prestij]` (`at` names it in the messages).
pub fn validate(p: &PrestijConfig, at: &str) -> Vec<String> {
    let mut out = Vec::new();
    let key = p.access_key.trim();
    if key.is_empty() || key.chars().count() > 80 || key.chars().any(char::is_control) {
        out.push(format!(
            "{at}.access_key: must be 1 to 80 printable characters (gestip-model-v1.xsd CleAcces)"
        ));
    }
    if p.cycle.is_zero() {
        out.push(format!("{at}.cycle: must be more than 0"));
    }
    if let Some(s) = &p.sftp {
        if s.host.trim().is_empty() || s.user.trim().is_empty() {
            out.push(format!("{at}.sftp: host and user are required"));
        }
        if let Err(e) = crate::config::sftp::parse_pin(&s.host_key) {
            out.push(format!("{at}.sftp.host_key: {e}"));
        }
        if let Err(e) = crate::fsio::check_secret_mode(&s.key_file) {
            out.push(format!("{at}.sftp.key_file: {}: {e}", s.key_file.display()));
        }
        for (name, dir) in [("remote_out", &s.remote_out), ("remote_in", &s.remote_in)] {
            if dir.trim().is_empty() {
                out.push(format!("{at}.sftp.{name}: required"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_sections_are_named() {
        let ok: PrestijConfig = toml::from_str("access_key = \"K\"").unwrap();
        assert!(validate(&ok, "insurers[0].prestij").is_empty());
        assert_eq!(ok.cycle, Duration::from_secs(60));
        let bad: PrestijConfig = toml::from_str(
            "access_key = \"\"\ncycle = \"0s\"\n[sftp]\nhost = \"h\"\nuser = \"u\"\nkey_file = \"/nonexistent/key\"\nhost_key = \"ssh-ed25519\"\nremote_out = \"/o\"\nremote_in = \"\"\n",
        )
        .unwrap();
        let p = validate(&bad, "insurers[0].prestij");
        assert_eq!(p.len(), 5, "{p:#?}");
        assert!(p[0].starts_with("insurers[0].prestij.access_key"));
        assert!(p.iter().any(|m| m.contains("sftp.host_key")));
        assert!(p.iter().any(|m| m.contains("sftp.key_file")));
        assert!(p.iter().any(|m| m.contains("sftp.remote_in")));
    }
}
