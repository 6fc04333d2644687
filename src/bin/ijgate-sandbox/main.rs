//! `ijgate-sandbox`: a local net-entreprises peer over HTTPS, for demos and tests. It is a
//! separate binary, never part of the `ijgate` library or of the Debian package, so that the
//! shipped daemon cannot produce a fake "accepted": in `netent.mode = "sandbox"` the daemon
//! starts this binary as a child process and talks to it over HTTPS like to the real service.
//!
//! Services: authentifier,
//! deposer-dsn, lister-depots, lister-retours-flux, lister-retours-declarant,
//! telecharger-retour, lister-bpij-declarant, telecharger-bpij, the CNAM PJ IJ endpoint,
//! and `GET /sandbox/stats` (JSON) to prove, from outside, that nothing was deposited twice.
//!
//! Behaviour comes from a [`Scenario`] (delays per return nature, outcomes, seeded faults,
//! BPIJ). The server takes its listener, TLS config, clock and shutdown signal from the
//! caller (tests bind `127.0.0.1:0`).
//!
//! Layout: `scenario` (TOML), `check` (what is checked in a file), `ijss` (IJ figures and
//! the BPIJ issued), `state` (memory, no I/O), `pj` (multipart + PJ checks), `http`
//! (routing), `cli` (the command line).

pub mod auth;
pub mod check;
pub mod cli;
pub mod http;
pub mod ijss;
pub mod kit;
pub mod pj;
pub mod prestij;
pub mod scenario;
pub mod state;

#[cfg(test)]
mod e2e_tests;

use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;

pub use cli::{SandboxArgs, run_cli};
pub use ijgate::channels::tls::dev_certificates;
pub use scenario::Scenario;
pub use state::Stats;

/// Source of "now": French local time, naive, as net-entreprises speaks it (listing windows,
/// deposit and publication timestamps).
pub type Clock = Arc<dyn Fn() -> NaiveDateTime + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(paris_now)
}

/// The current time in Europe/Paris, naive.
pub fn paris_now() -> NaiveDateTime {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .naive_local()
}

/// Handle on a sandbox: share it between the server task and the test/driver.
#[derive(Clone)]
pub struct Sandbox {
    state: Arc<Mutex<state::State>>,
    clock: Clock,
}

impl Sandbox {
    pub fn new(scenario: Scenario) -> Self {
        Self::with_clock(scenario, system_clock())
    }

    pub fn with_clock(scenario: Scenario, clock: Clock) -> Self {
        Sandbox {
            state: Arc::new(Mutex::new(state::State::new(scenario))),
            clock,
        }
    }

    /// The peer's clock: the injected one shifted by the scenario's `clock_skew`.
    fn peer_now(&self) -> NaiveDateTime {
        let skew = self
            .state
            .lock()
            .map(|s| s.scenario.clock_skew)
            .unwrap_or_default();
        (self.clock)() + chrono::Duration::seconds(skew)
    }

    pub fn stats(&self) -> Stats {
        let now = self.peer_now();
        self.state.lock().map(|s| s.stats(now)).unwrap_or_default()
    }

    /// Overwrites the return of `nature` of flux `idflux` (upstream organisms do this);
    /// false when there is no such return.
    pub fn overwrite_return(
        &self,
        idflux: &str,
        nature: &str,
        statut: &str,
        body: Vec<u8>,
    ) -> bool {
        let now = self.peer_now();
        self.state
            .lock()
            .map(|mut s| s.overwrite_return(idflux, nature, statut, body, now))
            .unwrap_or(false)
    }

    /// Serves HTTPS on `listener` until `shutdown` resolves, then lets in-flight requests
    /// finish (connections are told to close gracefully).
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        tls: Arc<rustls::ServerConfig>,
        shutdown: impl Future<Output = ()>,
    ) -> std::io::Result<()> {
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = listener.accept() => {
                    let (tcp, peer) = match accepted {
                        Ok(x) => x,
                        Err(e) => {
                            // Resource exhaustion (EMFILE…) must not kill the server.
                            tracing::warn!(error = %e, "sandbox: accept failed");
                            continue;
                        }
                    };
                    let acceptor = acceptor.clone();
                    let ctx = http::Ctx {
                        state: self.state.clone(),
                        clock: self.clock.clone(),
                        shutdown: stop_rx.clone(),
                    };
                    let mut stop = stop_rx.clone();
                    tasks.spawn(async move {
                        let tls = match acceptor.accept(tcp).await {
                            Ok(t) => t,
                            Err(e) => {
                                tracing::debug!(%peer, error = %e, "sandbox: TLS handshake failed");
                                return;
                            }
                        };
                        let svc = hyper::service::service_fn(move |req| http::handle(ctx.clone(), req));
                        let builder = auto::Builder::new(TokioExecutor::new());
                        let conn = builder.serve_connection(TokioIo::new(tls), svc);
                        tokio::pin!(conn);
                        tokio::select! {
                            res = conn.as_mut() => {
                                if let Err(e) = res {
                                    tracing::debug!(%peer, error = %e, "sandbox: connection ended");
                                }
                            }
                            _ = stop.changed() => {
                                conn.as_mut().graceful_shutdown();
                                let _ = conn.await;
                            }
                        }
                    });
                }
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        let _ = stop_tx.send(true);
        while tasks.join_next().await.is_some() {}
        Ok(())
    }
}

/// Serves a fresh sandbox for `scenario` (see [`Sandbox::serve`]).
pub async fn serve(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    scenario: Scenario,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    Sandbox::new(scenario).serve(listener, tls, shutdown).await
}

/// A rustls server config (ring, h2 + http/1.1 ALPN) from PEM certificate chain and key.
pub fn tls_config(cert_pem: &[u8], key_pem: &[u8]) -> std::io::Result<Arc<rustls::ServerConfig>> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let invalid = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| invalid(format!("certificate PEM: {e}")))?;
    let key =
        PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| invalid(format!("key PEM: {e}")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| invalid(e.to_string()))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// `../shared/reference/` beside the project (third-party reference files read by tests);
/// `IJGATE_REFERENCE_DIR` overrides it.
#[cfg(test)]
fn reference_dir() -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("IJGATE_REFERENCE_DIR") {
        return std::path::PathBuf::from(dir);
    }
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reference")
}

#[derive(clap::Parser)]
#[command(
    name = "ijgate-sandbox",
    version,
    about = "A local net-entreprises peer (API DSN + CNAM PJ IJ) for ijgate demos and tests"
)]
struct Cli {
    #[command(flatten)]
    args: SandboxArgs,
}

fn main() {
    use clap::Parser;
    let cli = Cli::parse();
    ijgate::logging::init("human", ijgate::logging::Target::Stderr);
    ijgate::channels::tls::install_crypto_provider();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ijgate-sandbox: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = rt.block_on(run_cli(cli.args)) {
        eprintln!("ijgate-sandbox: {e}");
        std::process::exit(1);
    }
}
