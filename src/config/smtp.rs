//! `[smtp]`: the settings of the one mailer (`channels::mailer`), here so that `config`
//! imports nothing above the domain (docs/ARCHITECTURE.md).

use lettre::message::Mailbox;
use lettre::transport::smtp::client::Certificate;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (required, not opportunistic).
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No TLS at all: a local relay or a test server.
    None,
}

/// `[smtp]` in the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// SMTP server host name (also the name checked in its certificate). Empty: no mail.
    pub host: String,
    /// Port; 0 = the usual one for `security` (587, 465, 25).
    pub port: u16,
    pub security: Security,
    /// Login; no authentication when absent.
    pub username: Option<String>,
    /// File holding the password; must be mode 0600.
    pub password_file: Option<PathBuf>,
    /// Private CA (PEM) that signs the server certificate, instead of the public roots.
    pub ca_file: Option<PathBuf>,
    /// Sender used when a feature does not give its own.
    pub from: String,
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: String::new(),
            port: 0,
            security: Security::Starttls,
            username: None,
            password_file: None,
            ca_file: None,
            from: "ijgate <ijgate@localhost>".into(),
            timeout: Duration::from_secs(30),
        }
    }
}

impl SmtpConfig {
    /// Whether mail is configured at all.
    pub fn enabled(&self) -> bool {
        !self.host.trim().is_empty()
    }

    pub fn effective_port(&self) -> u16 {
        match (self.port, self.security) {
            (0, Security::Starttls) => 587,
            (0, Security::Tls) => 465,
            (0, Security::None) => 25,
            (p, _) => p,
        }
    }

    /// Resolves relative paths against the configuration folder.
    pub fn resolve_paths(&mut self, base: &Path) {
        for p in [&mut self.password_file, &mut self.ca_file]
            .into_iter()
            .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }

    /// Problems, as sentences naming the setting.
    pub fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !self.enabled() {
            return p;
        }
        if self.from.parse::<Mailbox>().is_err() {
            p.push(format!("smtp.from: {:?} is not a mail address", self.from));
        }
        if self.username.is_some() != self.password_file.is_some() {
            p.push("smtp.username and smtp.password_file go together".into());
        }
        if let Some(f) = &self.password_file
            && let Err(e) = crate::fsio::read_secret(f)
        {
            p.push(format!("smtp.password_file: {e}"));
        }
        if let Some(f) = &self.ca_file
            && let Err(e) = std::fs::read(f).map_err(|e| e.to_string()).and_then(|pem| {
                Certificate::from_pem(&pem)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        {
            p.push(format!("smtp.ca_file: {}: {e}", f.display()));
        }
        if self.security == Security::None
            && !matches!(self.host.as_str(), "localhost" | "127.0.0.1" | "::1")
        {
            p.push("smtp.security: \"none\" is only allowed for a server on localhost".into());
        }
        p
    }
}
