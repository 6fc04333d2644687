//! The daemon: prepares folders and the journal, starts the doors and workers, and stops them
//! gracefully on SIGTERM/SIGINT (stop taking input, finish in-flight work, exit 0).

use arc_swap::ArcSwap;
use std::path::Path;
use std::sync::Arc;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::ingest::Engine;
use super::{purge, reload, service};
use crate::channels::fsio::Perms;
use crate::channels::spool::{SpoolDirs, SpoolOptions};
use crate::channels::{admin, api, outbound, spool, tls};
use crate::config::{Config, ConfigError};
use crate::journal::{Journal, JournalError};

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> DaemonError {
    let what = what.into();
    move |source| DaemonError::Io { what, source }
}

/// Generates development certificates when configured and absent.
pub fn ensure_dev_certs(cfg: &Config) -> Result<(), DaemonError> {
    if !cfg.api.enabled || !cfg.api.dev_certs {
        return Ok(());
    }
    let missing = [
        &cfg.api.cert_file,
        &cfg.api.key_file,
        &cfg.api.client_ca_file,
    ]
    .iter()
    .any(|p| !p.exists());
    let dir = cfg.api.cert_file.parent().unwrap_or(Path::new("."));
    if missing {
        let clients: Vec<String> = cfg.hr_clients.iter().map(|c| c.name.clone()).collect();
        let out = tls::generate_dev(dir, &clients)?;
        tracing::warn!(
            dir = %dir.display(), files = out.written.len(),
            "DEVELOPMENT certificates generated (api.dev_certs = true): never use them in production"
        );
    } else {
        tracing::warn!(dir = %dir.display(), "api.dev_certs = true: development settings, not for production");
    }
    Ok(())
}

/// Runs the daemon until a stop signal.
pub async fn run(config_path: &Path) -> Result<(), DaemonError> {
    let cfg = Config::load(config_path)?;
    tls::install_crypto_provider();
    let perms = Perms::for_spool(cfg.spool.shared_group);
    // Everything we create is private unless the spool is shared on purpose.
    // SAFETY: umask is process-wide and set once at start, before any thread creates files.
    unsafe {
        libc::umask(if cfg.spool.shared_group { 0o007 } else { 0o077 });
    }
    let dirs = SpoolDirs::new(&cfg.spool.dir);
    dirs.prepare(perms)
        .map_err(io(format!("spool {}", cfg.spool.dir.display())))?;
    let journal = Journal::open(&cfg.db_path())?;
    let stop = CancellationToken::new();
    let engine = Engine {
        journal: journal.clone(),
        config: Arc::new(ArcSwap::from_pointee(cfg.clone())),
        outbox_wake: Arc::new(Notify::new()),
    };
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(outbound::run(
        journal.clone(),
        dirs.outbound.clone(),
        perms,
        engine.outbox_wake.clone(),
        stop.clone(),
    ));
    let opts = SpoolOptions {
        perms,
        settle_time: cfg.spool.settle_time,
        rescan_interval: cfg.spool.rescan_interval,
        max_file_size: cfg.spool.max_file_size,
        concurrency: 8,
    };
    tasks.spawn(spool::run(engine.clone(), dirs.clone(), opts, stop.clone()));
    // Service life: watchdog heartbeat (also feeds /healthz), daily retention, admin listener.
    let watchdog = service::watchdog_interval();
    tasks.spawn(service::heartbeat(
        journal.clone(),
        dirs.inbound.clone(),
        watchdog,
        stop.clone(),
    ));
    tasks.spawn(purge::daily(
        journal.clone(),
        engine.config.clone(),
        stop.clone(),
    ));
    let mut admin_addr = None;
    if cfg.admin.enabled {
        let l = tokio::net::TcpListener::bind(cfg.admin.listen)
            .await
            .map_err(io(format!("admin.listen {}", cfg.admin.listen)))?;
        admin_addr = l.local_addr().ok();
        tasks.spawn(admin::serve(l, engine.clone(), stop.clone()));
    }
    let mut tls_slot = None;
    let mut listen = None;
    if cfg.api.enabled {
        ensure_dev_certs(&cfg)?;
        let server = tls::server_config(
            &cfg.api.cert_file,
            &cfg.api.key_file,
            &cfg.api.client_ca_file,
        )?;
        let listener = tokio::net::TcpListener::bind(cfg.api.listen)
            .await
            .map_err(io(format!("api.listen {}", cfg.api.listen)))?;
        listen = listener.local_addr().ok();
        let tls_cfg = Arc::new(ArcSwap::new(server));
        tls_slot = Some(tls_cfg.clone());
        tasks.spawn(api::serve(
            listener,
            tls_cfg,
            engine.clone(),
            cfg.api.max_body,
            stop.clone(),
        ));
    }
    let signals = reload::Signals::install();
    service::write_pid_file(&cfg.daemon.state_dir).map_err(io("pid file"))?;
    let mut reloader = reload::Reloader::new(config_path, engine.config.clone(), tls_slot);
    tracing::info!(
        config = %config_path.display(),
        journal = %journal.path().display(),
        spool = %cfg.spool.dir.display(),
        listen = %listen.map(|a| a.to_string()).unwrap_or_else(|| "disabled".into()),
        admin = %admin_addr.map(|a| a.to_string()).unwrap_or_else(|| "disabled".into()),
        watchdog = ?watchdog,
        "ijgate ready"
    );
    service::ready("running");

    reload::run_until_stop(&mut reloader, signals).await;
    service::stopping();
    tracing::info!("stop requested: no new input; finishing in-flight work");
    stop.cancel();
    let grace = cfg.daemon.shutdown_grace;
    let drained =
        tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            ?grace,
            "shutdown grace elapsed; abandoning remaining work (it resumes at next start)"
        );
    }
    service::remove_pid_file(&cfg.daemon.state_dir);
    tracing::info!("ijgate stopped");
    Ok(())
}
