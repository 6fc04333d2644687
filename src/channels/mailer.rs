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

pub use crate::config::smtp::{Security, SmtpConfig};

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
            let password = crate::fsio::read_secret(file).map_err(|e| conf(e.to_string()))?;
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
