//! `[journal]`: which database holds the journal (issue 15).
//!
//! Absent, or `url = "sqlite:PATH"`: the embedded SQLite journal (the default, one site):
//! `daemon.state_dir/ijgate.db`, or PATH (relative to the configuration folder).
//! `url = "postgres://user@host:port/db"`: a PostgreSQL journal shared by several nodes; the
//! password comes from `password_file` (mode 0600, never in the URL), TLS from `sslmode` in
//! the URL (`require` verifies the server with rustls: the public roots or `ca_file`).

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// `[journal]` in the configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JournalConfig {
    /// `sqlite:PATH` or `postgres://user@host:port/db[?sslmode=require]`.
    pub url: Option<String>,
    /// PostgreSQL password, one line, mode 0600.
    pub password_file: Option<PathBuf>,
    /// Private CA (PEM) that signs the PostgreSQL server certificate (sslmode=require).
    pub ca_file: Option<PathBuf>,
    /// Largest number of pooled PostgreSQL connections of this node (default 16).
    pub pool_size: Option<usize>,
}

/// Where the journal is, once the URL is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Sqlite(PathBuf),
    Postgres(String),
}

/// Whether a journal URL names PostgreSQL.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Why a journal URL is refused.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    #[error("the password must not be in the URL: put it in journal.password_file (mode 0600)")]
    PasswordInUrl,
    #[error("sqlite: needs a file path (sqlite:/var/lib/ijgate/ijgate.db)")]
    NoSqlitePath,
    #[error("{0:?}: expected sqlite:PATH or postgres://user@host:port/db")]
    Unsupported(String),
}

/// Reads a journal URL: `sqlite:PATH` (relative to `base`) or `postgres(ql)://…`.
pub fn parse_url(url: &str, base: &Path) -> Result<Backend, UrlError> {
    if is_postgres_url(url) {
        if url_has_password(url) {
            return Err(UrlError::PasswordInUrl);
        }
        return Ok(Backend::Postgres(url.to_string()));
    }
    if let Some(p) = url.strip_prefix("sqlite:") {
        let p = p.strip_prefix("//").unwrap_or(p);
        if p.is_empty() {
            return Err(UrlError::NoSqlitePath);
        }
        let p = PathBuf::from(p);
        return Ok(Backend::Sqlite(if p.is_relative() {
            base.join(p)
        } else {
            p
        }));
    }
    Err(UrlError::Unsupported(url.to_string()))
}

/// `postgres://user:secret@host`: a password in the authority part.
fn url_has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

impl JournalConfig {
    /// The backend; SQLite in `state_dir` when no URL is given.
    pub fn backend(&self, state_dir: &Path) -> Result<Backend, UrlError> {
        match &self.url {
            None => Ok(Backend::Sqlite(state_dir.join("ijgate.db"))),
            // Relative sqlite: paths were made absolute by `resolve_paths`.
            Some(u) => parse_url(u, Path::new("")),
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
        if let Some(u) = &self.url
            && let Ok(Backend::Sqlite(p)) = parse_url(u, base)
        {
            self.url = Some(format!("sqlite:{}", p.display()));
        }
    }

    /// Problems, as sentences naming the setting.
    pub fn validate(&self) -> Vec<String> {
        let mut p = Vec::new();
        let backend = match &self.url {
            None => None,
            Some(u) => match parse_url(u, Path::new("")) {
                Ok(b) => Some(b),
                Err(e) => {
                    p.push(format!("journal.url: {e}"));
                    return p;
                }
            },
        };
        match backend {
            Some(Backend::Postgres(url)) => {
                match url.parse::<tokio_postgres::Config>() {
                    Err(e) => p.push(format!("journal.url: not a PostgreSQL URL: {e}")),
                    Ok(c) => {
                        // The password and health data cross the network: TLS, verified.
                        let remote = c.get_hosts().iter().any(|h| match h {
                            tokio_postgres::config::Host::Tcp(name) => !matches!(
                                name.as_str(),
                                "localhost" | "127.0.0.1" | "::1" | "[::1]"
                            ),
                            _ => false,
                        });
                        if remote && c.get_ssl_mode() != tokio_postgres::config::SslMode::Require {
                            p.push(
                                "journal.url: a server off this machine needs ?sslmode=require \
                                 (the password and health data cross the network)"
                                    .into(),
                            );
                        }
                    }
                }
                match &self.password_file {
                    None => p.push(
                        "journal.password_file: required with a postgres:// URL (mode 0600)".into(),
                    ),
                    Some(f) => {
                        if let Err(e) = crate::fsio::read_secret(f) {
                            p.push(format!("journal.password_file: {e}"));
                        }
                    }
                }
                if let Some(f) = &self.ca_file
                    && let Err(e) = std::fs::metadata(f)
                {
                    p.push(format!("journal.ca_file: {}: {e}", f.display()));
                }
                if self.pool_size == Some(0) {
                    p.push("journal.pool_size: must be at least 1".into());
                }
            }
            Some(Backend::Sqlite(_)) | None => {
                for (name, set) in [
                    ("password_file", self.password_file.is_some()),
                    ("ca_file", self.ca_file.is_some()),
                    ("pool_size", self.pool_size.is_some()),
                ] {
                    if set {
                        p.push(format!(
                            "journal.{name}: only for a postgres:// journal.url"
                        ));
                    }
                }
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn urls_name_the_backend() {
        let base = Path::new("/etc/ijgate");
        assert_eq!(
            parse_url("sqlite:var/j.db", base).unwrap(),
            Backend::Sqlite("/etc/ijgate/var/j.db".into())
        );
        assert_eq!(
            parse_url("sqlite:///srv/j.db", base).unwrap(),
            Backend::Sqlite("/srv/j.db".into())
        );
        assert_eq!(
            parse_url("postgres://ijgate@db1:5432/ijgate", base).unwrap(),
            Backend::Postgres("postgres://ijgate@db1:5432/ijgate".into())
        );
        assert!(parse_url("mysql://x", base).is_err());
        assert!(parse_url("sqlite:", base).is_err());
        let e = parse_url("postgres://ijgate:hunter2@db1/ijgate", base)
            .unwrap_err()
            .to_string();
        assert!(e.contains("password_file"), "{e}");
        // An '@' in the path or query is not a password.
        assert!(parse_url("postgres://ijgate@db1/ij?application_name=a:b", base).is_ok());
    }

    #[test]
    fn the_default_is_sqlite_in_the_state_dir() {
        let c = JournalConfig::default();
        assert_eq!(
            c.backend(Path::new("/var/lib/ijgate")).unwrap(),
            Backend::Sqlite("/var/lib/ijgate/ijgate.db".into())
        );
        assert!(c.validate().is_empty());
    }

    #[test]
    fn postgres_needs_a_private_password_file() {
        let d = tempfile::tempdir().unwrap();
        let mut c = JournalConfig {
            url: Some("postgres://ijgate@127.0.0.1:5432/ijgate".into()),
            ..Default::default()
        };
        assert!(c.validate()[0].contains("journal.password_file: required"));
        let f = d.path().join("pw");
        std::fs::write(&f, "s3cret\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        c.password_file = Some(f.clone());
        let p = c.validate();
        assert!(
            p.len() == 1 && p[0].starts_with("journal.password_file") && p[0].contains("0644"),
            "{p:?}"
        );
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(c.validate().is_empty(), "{:?}", c.validate());
        // Off this machine, TLS is required.
        c.url = Some("postgres://ijgate@db1.example:5432/ijgate".into());
        assert!(
            c.validate()[0].contains("sslmode=require"),
            "{:?}",
            c.validate()
        );
        c.url = Some("postgres://ijgate@db1.example:5432/ijgate?sslmode=require".into());
        assert!(c.validate().is_empty(), "{:?}", c.validate());
        c.url = Some("postgres://ijgate@127.0.0.1:notaport/ijgate".into());
        assert!(c.validate()[0].starts_with("journal.url"));
    }

    #[test]
    fn postgres_settings_without_postgres_are_refused() {
        let c = JournalConfig {
            url: Some("sqlite:/x/j.db".into()),
            pool_size: Some(4),
            ..Default::default()
        };
        assert_eq!(
            c.validate(),
            vec!["journal.pool_size: only for a postgres:// journal.url".to_string()]
        );
    }
}
