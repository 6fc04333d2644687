//! The PostgreSQL journal backend (issue 15): the foundation several ijgate nodes share.
//!
//! What exists: a connection pool (`deadpool-postgres` over `tokio-postgres`, TLS by rustls
//! with the ring provider), the SQLite journal's schema translated to PostgreSQL and applied
//! by a versioned migration runner ([`schema`]), the HA tables and their primitives (node
//! registry, row leases claimed with `FOR UPDATE SKIP LOCKED`, advisory-lock leadership with
//! a fencing epoch: [`ha`]), the lossless copy of a SQLite journal ([`copy`]) and the status
//! of nodes, leases and leaders ([`status`]).
//!
//! What does not exist yet: the engine's own SQL still runs on SQLite only (`journal::Journal`);
//! `ijgate run` refuses a postgres:// journal URL rather than silently using SQLite.

pub mod cli;
pub mod copy;
pub mod ha;
pub mod schema;
pub mod status;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::journal::JournalConfig;

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("postgres: {}", pg_message(.0))]
    Pg(#[from] tokio_postgres::Error),
    #[error("postgres: no connection from the pool: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("postgres: {0}")]
    Config(String),
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "postgres: journal schema version {found} is newer than this ijgate supports ({supported})"
    )]
    TooNew { found: i32, supported: i32 },
    /// A leader's write with an epoch that is no longer the duty's: another node took over.
    #[error("postgres: {duty}: epoch {mine} is deposed (the duty is at epoch {current})")]
    Deposed {
        duty: &'static str,
        mine: i64,
        current: i64,
    },
    /// A write under a lease this node no longer holds (expired and taken by another node).
    #[error("postgres: lease {resource} {row_id} (epoch {epoch}) is no longer held by this node")]
    LeaseLost {
        resource: &'static str,
        row_id: i64,
        epoch: i64,
    },
    /// The copy or its verification found something that is not lossless: nothing committed.
    #[error("{0}")]
    Copy(String),
}

/// The server's own message (and detail) rather than tokio-postgres' bare "db error".
fn pg_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut m = format!("{} ({})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                m.push_str(": ");
                m.push_str(d);
            }
            m
        }
        None => match std::error::Error::source(e) {
            Some(s) => format!("{e}: {s}"),
            None => e.to_string(),
        },
    }
}

/// How to reach the PostgreSQL journal.
#[derive(Clone)]
pub struct PgOptions {
    pub config: tokio_postgres::Config,
    pub ca_file: Option<PathBuf>,
    pub pool_size: usize,
}

impl std::fmt::Debug for PgOptions {
    // Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("user", &self.config.get_user())
            .field("hosts", &self.config.get_hosts())
            .field("ports", &self.config.get_ports())
            .field("dbname", &self.config.get_dbname())
            .field("ssl_mode", &self.config.get_ssl_mode())
            .finish()
    }
}

impl PgOptions {
    /// From a URL and a password file (mode checked: 0600).
    pub fn new(
        url: &str,
        password_file: Option<&std::path::Path>,
        ca_file: Option<PathBuf>,
    ) -> Result<PgOptions, PgError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| PgError::Config(format!("{url}: {e}")))?;
        if let Some(f) = password_file {
            let pw = crate::fsio::read_secret(f).map_err(|e| PgError::Config(e.to_string()))?;
            config.password(pw);
        }
        if config.get_application_name().is_none() {
            config.application_name("ijgate");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        Ok(PgOptions {
            config,
            ca_file,
            pool_size: 16,
        })
    }

    /// From `[journal]`; `None` when the journal is SQLite.
    pub fn from_config(j: &JournalConfig) -> Result<Option<PgOptions>, PgError> {
        let Some(url) = j.url.as_deref() else {
            return Ok(None);
        };
        if !crate::config::journal::is_postgres_url(url) {
            return Ok(None);
        }
        let mut o = PgOptions::new(url, j.password_file.as_deref(), j.ca_file.clone())?;
        o.pool_size = j.pool_size.unwrap_or(16);
        Ok(Some(o))
    }
}

/// How connections are made: plain, or TLS through rustls (ring).
#[derive(Clone)]
enum Connector {
    Plain,
    Tls(tokio_postgres_rustls::MakeRustlsConnect),
}

fn connector(o: &PgOptions) -> Result<Connector, PgError> {
    if o.config.get_ssl_mode() == tokio_postgres::config::SslMode::Disable {
        return Ok(Connector::Plain);
    }
    // Prefer or require: whenever TLS is used, the server certificate is verified (the public
    // roots, or the private CA of `journal.ca_file`): rustls has no "encrypt but trust anyone".
    let mut roots = rustls::RootCertStore::empty();
    match &o.ca_file {
        Some(f) => {
            let pem = std::fs::read(f)
                .map_err(|e| PgError::Config(format!("journal.ca_file: {}: {e}", f.display())))?;
            let mut n = 0;
            use rustls_pki_types::pem::PemObject;
            for cert in rustls_pki_types::CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| {
                    PgError::Config(format!("journal.ca_file: {}: {e}", f.display()))
                })?;
                roots.add(cert).map_err(|e| {
                    PgError::Config(format!("journal.ca_file: {}: {e}", f.display()))
                })?;
                n += 1;
            }
            if n == 0 {
                return Err(PgError::Config(format!(
                    "journal.ca_file: {}: no certificate",
                    f.display()
                )));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PgError::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Connector::Tls(
        tokio_postgres_rustls::MakeRustlsConnect::new(tls),
    ))
}

/// Handle to a PostgreSQL journal: a pool plus the means to open a dedicated session (a
/// leader's advisory lock lives as long as its session). Cheap to clone.
#[derive(Clone)]
pub struct PgJournal {
    pool: deadpool_postgres::Pool,
    options: Arc<PgOptions>,
    connector: Connector,
}

impl PgJournal {
    /// Connects and brings the schema to [`schema::VERSION`] (several nodes starting at once
    /// serialise on an advisory lock; the first migrates, the others find it done).
    pub async fn open(o: &PgOptions) -> Result<PgJournal, PgError> {
        let j = Self::open_unmigrated(o)?;
        let mut c = j.client().await?;
        schema::migrate(&mut c).await?;
        Ok(j)
    }

    /// The pool only; connections are made at first use.
    pub fn open_unmigrated(o: &PgOptions) -> Result<PgJournal, PgError> {
        use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
        let connector = connector(o)?;
        let mc = ManagerConfig {
            // Verified: a connection that died with a failed-over server is not handed out.
            recycling_method: RecyclingMethod::Verified,
        };
        let mgr = match &connector {
            Connector::Plain => Manager::from_config(o.config.clone(), tokio_postgres::NoTls, mc),
            Connector::Tls(t) => Manager::from_config(o.config.clone(), t.clone(), mc),
        };
        let pool = Pool::builder(mgr)
            .max_size(o.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            // Fail, do not hang, when the server is away (a failover in progress).
            .wait_timeout(Some(Duration::from_secs(15)))
            .create_timeout(Some(Duration::from_secs(15)))
            .recycle_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| PgError::Config(e.to_string()))?;
        Ok(PgJournal {
            pool,
            options: Arc::new(o.clone()),
            connector,
        })
    }

    /// A pooled connection.
    pub async fn client(&self) -> Result<deadpool_postgres::Object, PgError> {
        Ok(self.pool.get().await?)
    }

    /// A dedicated session outside the pool; its connection task ends with the client.
    pub async fn session(&self) -> Result<tokio_postgres::Client, PgError> {
        let cfg = &self.options.config;
        let client = match &self.connector {
            Connector::Plain => {
                let (client, conn) = cfg.connect(tokio_postgres::NoTls).await?;
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        crate::internal_events::worker_step_failed(
                            "postgres dedicated session",
                            &e,
                        );
                    }
                });
                client
            }
            Connector::Tls(t) => {
                let (client, conn) = cfg.connect(t.clone()).await?;
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        crate::internal_events::worker_step_failed(
                            "postgres dedicated session",
                            &e,
                        );
                    }
                });
                client
            }
        };
        Ok(client)
    }
}

/// Now on the database's clock, in the journal's text format (RFC 3339 UTC, milliseconds,
/// as `journal::now()` writes): every node compares due dates on one clock.
pub const NOW_TEXT: &str =
    r#"to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#;

/// The same instant in the same format, for a `timestamptz` expression.
pub fn text_of(expr: &str) -> String {
    format!(r#"to_char(({expr}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"#)
}
