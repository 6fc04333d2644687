//! The one SMTP mailer of the product (lettre over tokio + rustls/ring): alerts use it, and so
//! can any other feature that mails someone (DSN contribution calls…).
//!
//! Security modes: `starttls` (submission, port 587), `tls` (implicit TLS, port 465) and
//! `none` (plain text, only meant for a relay on localhost and for tests). The password is
//! read from a 0600 file (`fsio::read_secret`) each time the mailer is built, never logged.
//! A private CA (`ca_file`) replaces the public roots: lettre 0.11 builds its rustls
//! `ClientConfig` itself (no constructor takes one), so the CA goes in as its only root
//! certificate through `TlsParametersBuilder` — the same rustls verifier, with the ring provider.

use lettre::message::{Mailbox, header::ContentType};
// ContentType is used for attachments.
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
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
            && let Err(e) = crate::channels::fsio::read_secret(f)
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

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("smtp: not configured ([smtp] host is empty)")]
    NotConfigured,
    #[error("smtp: {0}")]
    Config(String),
    #[error("smtp: bad address {address:?}: {reason}")]
    Address { address: String, reason: String },
    #[error("smtp: cannot build the message: {0}")]
    Build(String),
    #[error("smtp: {0}")]
    Send(String),
}

/// A plain-text mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Empty: the `[smtp] from` default.
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
}

/// A file sent with a mail (contribution calls: HTML and CSV).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    /// MIME type, e.g. `text/html; charset=utf-8`.
    pub content_type: String,
    pub body: Vec<u8>,
}

/// A connected-on-demand SMTP transport. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

fn address(a: &str) -> Result<Mailbox, MailError> {
    a.parse::<Mailbox>().map_err(|e| MailError::Address {
        address: a.to_string(),
        reason: e.to_string(),
    })
}

/// The headers every mail carries, which corporate relays score when absent: From, Subject,
/// `Date` (now), and a `Message-ID` in the sender's domain (random part: 128 bits), so that
/// it is unique and does not reveal the host name. MIME-Version comes with the MIME body.
fn builder(from: &str, subject: &str) -> Result<lettre::message::MessageBuilder, MailError> {
    let from = address(from)?;
    let domain = from.email.domain().to_string();
    let id = format!(
        "<{}.{}@{domain}>",
        chrono::Utc::now().format("%Y%m%d%H%M%S"),
        hex::encode(rand::random::<[u8; 16]>())
    );
    Ok(Message::builder()
        .from(from)
        .subject(subject.to_string())
        .date_now()
        .message_id(Some(id)))
}

impl Mailer {
    /// Builds the transport (reads the password file and the CA now). Must be called, and
    /// the mailer dropped, inside the tokio runtime (lettre's pool runs a task).
    pub fn new(cfg: &SmtpConfig) -> Result<Mailer, MailError> {
        if !cfg.enabled() {
            return Err(MailError::NotConfigured);
        }
        let conf = |e: String| MailError::Config(e);
        let tls_params = || -> Result<TlsParameters, MailError> {
            let mut b = TlsParameters::builder(cfg.host.clone());
            if let Some(ca) = &cfg.ca_file {
                let pem = std::fs::read(ca).map_err(|e| conf(format!("{}: {e}", ca.display())))?;
                let cert = Certificate::from_pem(&pem)
                    .map_err(|e| conf(format!("{}: {e}", ca.display())))?;
                b = b
                    .certificate_store(CertificateStore::None)
                    .add_root_certificate(cert);
            }
            b.build_rustls().map_err(|e| conf(e.to_string()))
        };
        let tls = match cfg.security {
            Security::None => Tls::None,
            Security::Starttls => Tls::Required(tls_params()?),
            Security::Tls => Tls::Wrapper(tls_params()?),
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(cfg.host.clone())
            .port(cfg.effective_port())
            .tls(tls)
            .timeout(Some(cfg.timeout));
        if let (Some(user), Some(file)) = (&cfg.username, &cfg.password_file) {
            let password = crate::channels::fsio::read_secret(file).map_err(conf)?;
            b = b.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Mailer {
            transport: b.build(),
            from: cfg.from.clone(),
        })
    }

    /// Builds the RFC 5322 message (exposed for tests).
    /// A mail whose text is followed by attached files (multipart/mixed).
    pub fn message_with(
        &self,
        mail: &Mail,
        attachments: &[Attachment],
    ) -> Result<Message, MailError> {
        use lettre::message::{MultiPart, SinglePart};
        if attachments.is_empty() {
            return self.message(mail);
        }
        let from = if mail.from.is_empty() {
            &self.from
        } else {
            &mail.from
        };
        let mut b = builder(from, &mail.subject)?;
        for to in &mail.to {
            b = b.to(address(to)?);
        }
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain(mail.text.clone()));
        for a in attachments {
            let ct =
                ContentType::parse(&a.content_type).map_err(|e| MailError::Build(e.to_string()))?;
            parts = parts.singlepart(
                lettre::message::Attachment::new(a.name.clone()).body(a.body.clone(), ct),
            );
        }
        b.multipart(parts)
            .map_err(|e| MailError::Build(e.to_string()))
    }

    /// Sends a mail with attachments.
    pub async fn send_with(
        &self,
        mail: &Mail,
        attachments: &[Attachment],
    ) -> Result<(), MailError> {
        use lettre::AsyncTransport;
        let m = self.message_with(mail, attachments)?;
        self.transport
            .send(m)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Send(e.to_string()))
    }

    pub fn message(&self, mail: &Mail) -> Result<Message, MailError> {
        let from = if mail.from.is_empty() {
            &self.from
        } else {
            &mail.from
        };
        let mut b = builder(from, &mail.subject)?;
        for to in &mail.to {
            b = b.to(address(to)?);
        }
        // A MIME single part: MIME-Version, Content-Type text/plain; charset=utf-8 and a
        // transfer encoding fit for the accents.
        b.singlepart(lettre::message::SinglePart::plain(mail.text.clone()))
            .map_err(|e| MailError::Build(e.to_string()))
    }

    /// Sends one mail; an error means it was not accepted by the server (retry later).
    pub async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        if mail.to.is_empty() {
            return Err(MailError::Build("no recipient".into()));
        }
        let msg = self.message(mail)?;
        self.transport
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Send(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(toml_text: &str) -> SmtpConfig {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn ports_follow_the_security_mode() {
        assert_eq!(cfg("host = \"h\"").effective_port(), 587);
        assert_eq!(
            cfg("host = \"h\"\nsecurity = \"tls\"").effective_port(),
            465
        );
        assert_eq!(
            cfg("host = \"h\"\nsecurity = \"none\"\nport = 2525").effective_port(),
            2525
        );
    }

    #[test]
    fn plain_smtp_only_on_localhost_and_bad_from_refused() {
        let ok = cfg("host = \"127.0.0.1\"\nsecurity = \"none\"");
        assert!(ok.validate().is_empty(), "{:?}", ok.validate());
        let bad = cfg("host = \"smtp.example.fr\"\nsecurity = \"none\"\nfrom = \"nope\"");
        let p = bad.validate();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("smtp.security")));
        assert!(p.iter().any(|m| m.starts_with("smtp.from")));
        // Nothing configured: nothing to check.
        assert!(SmtpConfig::default().validate().is_empty());
    }

    #[tokio::test]
    async fn message_has_every_recipient_and_refuses_bad_addresses() {
        crate::channels::tls::install_crypto_provider();
        let m = Mailer::new(&cfg("host = \"127.0.0.1\"\nsecurity = \"none\"")).unwrap();
        let mail = Mail {
            from: String::new(),
            to: vec!["a@example.fr".into(), "b@example.fr".into()],
            subject: "Sujet accentué".into(),
            text: "corps".into(),
        };
        let raw = String::from_utf8(m.message(&mail).unwrap().formatted()).unwrap();
        assert!(raw.contains("a@example.fr") && raw.contains("b@example.fr"));
        assert!(raw.contains("ijgate@localhost"));
        let bad = Mail {
            to: vec!["not an address".into()],
            ..mail
        };
        assert!(matches!(m.message(&bad), Err(MailError::Address { .. })));
        assert!(matches!(
            Mailer::new(&SmtpConfig::default()),
            Err(MailError::NotConfigured)
        ));
    }

    /// Issue 16: mails lacked Message-ID and MIME-Version (spam score). Parsed back with a
    /// real mail parser: the headers are there and the French text survives its encoding.
    #[tokio::test]
    async fn messages_carry_message_id_mime_version_and_date() {
        use mail_parser::MessageParser;
        crate::channels::tls::install_crypto_provider();
        let m = Mailer::new(&cfg(
            "host = \"127.0.0.1\"\nsecurity = \"none\"\nfrom = \"ijgate <alertes@rh.example.fr>\"",
        ))
        .unwrap();
        let mail = Mail {
            from: String::new(),
            to: vec!["paie@example.fr".into()],
            subject: "[ijgate] ALERTE : pas de compte rendu métier CNAM (31)".into(),
            text: "Déposé le 25/11/2026 à 11:00 (heure de Paris, UTC+01:00).\n".into(),
        };
        let att = [Attachment {
            name: "appel.csv".into(),
            content_type: "text/csv; charset=utf-8".into(),
            body: b"a;b\n".to_vec(),
        }];
        let plain = m.message(&mail).unwrap().formatted();
        let multi = m.message_with(&mail, &att).unwrap().formatted();
        let mut ids = Vec::new();
        for raw in [&plain, &multi] {
            let p = MessageParser::default().parse(raw.as_slice()).unwrap();
            let id = p.message_id().expect("Message-ID");
            assert!(id.ends_with("@rh.example.fr"), "{id}");
            ids.push(id.to_string());
            assert!(
                p.header_raw("MIME-Version")
                    .is_some_and(|v| v.trim() == "1.0"),
                "{}",
                String::from_utf8_lossy(raw)
            );
            let date = p.date().expect("Date");
            let age = chrono::Utc::now().timestamp() - date.to_timestamp();
            assert!((0..120).contains(&age), "{date}");
            assert_eq!(p.subject(), Some(mail.subject.as_str()));
            assert!(p.body_text(0).unwrap().contains("heure de Paris"));
        }
        assert_ne!(ids[0], ids[1], "one Message-ID per mail");
    }
}
