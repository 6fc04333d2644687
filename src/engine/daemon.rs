//! The daemon: prepares folders and the journal, starts the doors and workers, and stops them
//! gracefully on SIGTERM/SIGINT (stop taking input, finish in-flight work, exit 0).

use arc_swap::ArcSwap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::ingest::Engine;
use super::{purge, reload, service};
use crate::channels::netent::NetEntConfig;
use crate::channels::spool::{SpoolDirs, SpoolOptions};
use crate::channels::{admin, api, outbound, spool, tls};
use crate::config::{Config, ConfigError, NetEntMode};
use crate::engine::exchange::Exchange;
use crate::fsio::Perms;
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
        crate::internal_events::insecure_setting(
            "api.dev_certs",
            &format!(
                "DEVELOPMENT certificates generated in {} ({} files): never use them in production",
                dir.display(),
                out.written.len()
            ),
        );
    } else {
        crate::internal_events::insecure_setting(
            "api.dev_certs",
            &format!(
                "api.dev_certs = true ({}): development settings, not for production",
                dir.display()
            ),
        );
    }
    Ok(())
}

/// One shutdown stage: its cancellation token and the tasks that watch it.
struct Stage {
    name: &'static str,
    stop: CancellationToken,
    tasks: tokio::task::JoinSet<()>,
}

impl Stage {
    fn new(name: &'static str) -> Stage {
        Stage {
            name,
            stop: CancellationToken::new(),
            tasks: tokio::task::JoinSet::new(),
        }
    }

    /// Cancels the stage and waits for its tasks until `deadline`; false when it elapsed
    /// (the tasks left are aborted when the stage is dropped).
    async fn stop_by(&mut self, deadline: tokio::time::Instant) -> bool {
        self.stop.cancel();
        let done = tokio::time::timeout_at(deadline, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await
        .is_ok();
        tracing::debug!(stage = self.name, done, "shutdown: stage stopped");
        done
    }
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
    // Shutdown stages, stopped in this order (mini-redis `src/server.rs`): each has its own
    // token and tasks, so the outbox's last flush runs only after every in-flight ingest has
    // committed and every worker has finished its current item.
    let mut doors = Stage::new("doors");
    let mut workers = Stage::new("workers");
    let mut outbox = Stage::new("outbox");
    let mut last = Stage::new("service");
    let engine = Engine {
        journal: journal.clone(),
        config: Arc::new(ArcSwap::from_pointee(cfg.clone())),
        outbox_wake: Arc::new(Notify::new()),
        exchange_wake: Arc::new(Notify::new()),
        insurer_wake: Arc::new(Notify::new()),
    };
    outbox.tasks.spawn(outbound::run(
        journal.clone(),
        dirs.outbound.clone(),
        perms,
        engine.outbox_wake.clone(),
        outbox.stop.clone(),
        engine.config.clone(),
    ));
    let opts = SpoolOptions {
        perms,
        settle_time: cfg.spool.settle_time,
        rescan_interval: cfg.spool.rescan_interval,
        max_file_size: cfg.spool.max_file_size,
        concurrency: 8,
        batch_rows: cfg.spool.batch_rows.max(1),
        stop: doors.stop.clone(),
        router: Arc::new(spool_router()),
    };
    workers.tasks.spawn(super::insurer::franchise::run(
        journal.clone(),
        engine.config.clone(),
        engine.insurer_wake.clone(),
        engine.outbox_wake.clone(),
        workers.stop.clone(),
    ));
    workers.tasks.spawn(super::insurer::push::run(
        journal.clone(),
        engine.config.clone(),
        workers.stop.clone(),
    ));
    doors.tasks.spawn(spool::run(
        engine.clone(),
        dirs.clone(),
        opts,
        doors.stop.clone(),
    ));
    // Prest'IJ (engine::prestij): GESTIP out, ARL/CR and BPIJ in, for insurers that have it.
    workers.tasks.spawn(super::prestij::worker::run(
        journal.clone(),
        engine.config.clone(),
        engine.insurer_wake.clone(),
        workers.stop.clone(),
    ));
    if cfg.dsn.enabled {
        let dsn_dirs = crate::channels::dsn_spool::DsnDirs::new(&cfg.spool.dir);
        dsn_dirs.prepare(perms).map_err(io("spool/inbound/dsn"))?;
        doors.tasks.spawn(crate::channels::dsn_spool::run(
            dsn_dirs,
            perms,
            journal.clone(),
            engine.config.clone(),
            doors.stop.clone(),
        ));
    }
    // The CPAM exchange: the sandbox peer (a child process) or a remote API DSN.
    let netent = match cfg.netent.mode {
        NetEntMode::Disabled => None,
        NetEntMode::Sandbox => Some(start_sandbox(&cfg, &mut last.tasks, last.stop.clone()).await?),
        NetEntMode::Remote => Some((remote_netent(&cfg)?, true)),
        // Refused by Config::validate before we get here; kept exhaustive on purpose.
        NetEntMode::Unset => {
            return Err(DaemonError::Io {
                what: "netent.mode".into(),
                source: std::io::Error::other("required: \"remote\", \"sandbox\" or \"disabled\""),
            });
        }
    };
    if let Some((netent_cfg, paris_time)) = netent {
        let client = crate::channels::netent::NetEntClient::new(netent_cfg).map_err(|e| {
            DaemonError::Io {
                what: "net-entreprises client".into(),
                source: std::io::Error::other(e.to_string()),
            }
        })?;
        let ex = Exchange {
            journal: journal.clone(),
            config: engine.config.clone(),
            client: Arc::new(client),
            wake: engine.exchange_wake.clone(),
            outbox_wake: engine.outbox_wake.clone(),
            insurer_wake: engine.insurer_wake.clone(),
            paris_time,
        };
        workers
            .tasks
            .spawn(ex.clone().run_deposits(workers.stop.clone()));
        workers
            .tasks
            .spawn(ex.clone().run_flux_poller(workers.stop.clone()));
        workers
            .tasks
            .spawn(ex.clone().run_declarant_poller(workers.stop.clone()));
        workers.tasks.spawn(crate::documents::uploader::run(
            journal.clone(),
            engine.config.clone(),
            ex.client.clone(),
            engine.outbox_wake.clone(),
            workers.stop.clone(),
        ));
        workers
            .tasks
            .spawn(ex.run_bpij_poller(workers.stop.clone()));
    }
    // Deadlines, alerts and DSIJ tasks.
    let alerts_wake = Arc::new(Notify::new());
    workers.tasks.spawn(crate::alerts::run_scanner(
        journal.clone(),
        engine.config.clone(),
        alerts_wake.clone(),
        engine.outbox_wake.clone(),
        workers.stop.clone(),
    ));
    workers.tasks.spawn(crate::alerts::run_sender(
        journal.clone(),
        engine.config.clone(),
        alerts_wake,
        workers.stop.clone(),
    ));
    // Service life: watchdog heartbeat (also feeds /healthz), daily retention, admin listener.
    let watchdog = service::watchdog_interval();
    last.tasks.spawn(service::heartbeat(
        journal.clone(),
        dirs.inbound.clone(),
        watchdog,
        last.stop.clone(),
    ));
    workers.tasks.spawn(purge::daily(
        journal.clone(),
        engine.config.clone(),
        workers.stop.clone(),
    ));
    let mut admin_addr = None;
    if cfg.admin.enabled {
        let l = tokio::net::TcpListener::bind(cfg.admin.listen)
            .await
            .map_err(io(format!("admin.listen {}", cfg.admin.listen)))?;
        admin_addr = l.local_addr().ok();
        last.tasks
            .spawn(admin::serve(l, engine.clone(), last.stop.clone()));
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
        doors.tasks.spawn(api::serve(
            listener,
            tls_cfg,
            engine.clone(),
            api::Limits::from(&cfg.api),
            doors.stop.clone(),
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
    let deadline = tokio::time::Instant::now() + cfg.daemon.shutdown_grace;
    // (1) doors stop accepting and (2) their in-flight ingest commits (the spool finishes
    // the files it took, the API drains its open requests); (3) workers finish their
    // current item; (4) the outbox flushes what was committed; (5) the sandbox peer, admin
    // listener and heartbeat go last. All within `shutdown_grace`.
    let mut complete = true;
    for stage in [&mut doors, &mut workers, &mut outbox, &mut last] {
        complete &= stage.stop_by(deadline).await;
    }
    if !complete {
        crate::internal_events::shutdown_incomplete(cfg.daemon.shutdown_grace);
    }
    service::remove_pid_file(&cfg.daemon.state_dir);
    tracing::info!("ijgate stopped");
    Ok(())
}

/// Starts the sandbox peer — the separate `ijgate-sandbox` binary, never part of this
/// library — as a child process on its own TLS (a private CA written to the state folder), and
/// returns the client configuration that points at it. The child reports its bound address on
/// its standard output (`listening ADDR`); it is stopped with the daemon (SIGTERM at shutdown,
/// and the kernel's parent-death signal should the daemon be killed).
async fn start_sandbox(
    cfg: &Config,
    tasks: &mut tokio::task::JoinSet<()>,
    stop: CancellationToken,
) -> Result<(NetEntConfig, bool), DaemonError> {
    use tokio::io::AsyncBufReadExt;
    let program = sandbox_program(cfg)?;
    let ca_path = cfg.daemon.state_dir.join("sandbox-ca.pem");
    let mut cmd = tokio::process::Command::new(&program);
    cmd.arg("--listen")
        .arg(cfg.sandbox.listen.to_string())
        .arg("--ca-out")
        .arg(&ca_path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true);
    if let Some(s) = &cfg.sandbox.scenario {
        cmd.arg("--scenario").arg(s);
    }
    // The sandbox also plays the CNAM's Prest'IJ side on each insurer's exchange folder.
    for i in &cfg.insurers {
        if let Some(p) = i.prestij.as_ref().filter(|p| p.sftp.is_none()) {
            cmd.arg("--prestij-dir")
                .arg(p.folder_of(&cfg.spool.dir, &i.code));
        }
    }
    // SAFETY: prctl is async-signal-safe; it only asks the kernel to SIGTERM the child when
    // its parent dies (kill -9 included), so no orphaned peer keeps the port. The kernel ties
    // this to the forking *thread*: we fork from a runtime worker (or the main thread), which
    // lives as long as the daemon — never from a short-lived blocking-pool thread.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let what = format!("sandbox peer {}", program.display());
    let mut child = cmd.spawn().map_err(io(what.clone()))?;
    let stdout = child.stdout.take().ok_or_else(|| DaemonError::Io {
        what: what.clone(),
        source: std::io::Error::other("no standard output"),
    })?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
    let addr: std::net::SocketAddr = match ready {
        Ok(Ok(Some(line))) => line
            .strip_prefix("listening ")
            .and_then(|a| a.trim().parse().ok())
            .ok_or_else(|| DaemonError::Io {
                what: what.clone(),
                source: std::io::Error::other(format!("unexpected first line {line:?}")),
            })?,
        Ok(Ok(None)) => {
            let status = child.wait().await.map_err(io(what.clone()))?;
            return Err(DaemonError::Io {
                what,
                source: std::io::Error::other(format!(
                    "exited before listening ({status}); its error is above"
                )),
            });
        }
        Ok(Err(e)) => return Err(DaemonError::Io { what, source: e }),
        Err(_) => {
            return Err(DaemonError::Io {
                what,
                source: std::io::Error::other("not listening after 30 s"),
            });
        }
    };
    tasks.spawn(async move {
        tokio::select! {
            status = child.wait() => {
                crate::internal_events::peer_exited("sandbox", &status, "the CPAM exchange has no peer until restart");
            }
            _ = stop.cancelled() => {
                if let Some(pid) = child.id() {
                    // SAFETY: plain kill(2) on our own child's pid.
                    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
                }
                if tokio::time::timeout(Duration::from_secs(5), child.wait()).await.is_err() {
                    let _ = child.kill().await;
                }
            }
        }
        // Keep reading (and dropping) its standard output so the child never blocks on it.
        while let Ok(Some(_)) = lines.next_line().await {}
    });
    tracing::warn!(%addr, "net-entreprises SANDBOX peer started as a child process (netent.mode = \"sandbox\"): nothing reaches the real CPAM");
    let siret = cfg
        .netent
        .siret
        .clone()
        .or_else(|| cfg.employers.first().map(|e| e.siret.clone()))
        .unwrap_or_default();
    let mut n = NetEntConfig::for_base(
        &format!("https://{addr}/"),
        &siret,
        &cfg.netent.nom,
        &cfg.netent.prenom,
        "sandbox",
    );
    n.ca_file = Some(ca_path);
    n.service = cfg.netent.service.clone();
    n.request_timeout = cfg.netent.request_timeout;
    n.listing_version = cfg.netent.listing_version.clone();
    crate::channels::netent::site::apply(&cfg.netent, &mut n, true).map_err(|m| {
        DaemonError::Io {
            what: "netent".into(),
            source: std::io::Error::other(m.to_string()),
        }
    })?;
    Ok((n, true))
}

/// The `ijgate-sandbox` executable (see [`crate::config::SandboxPeer::program`]); its absence
/// is also reported by `check-config`.
fn sandbox_program(cfg: &Config) -> Result<std::path::PathBuf, DaemonError> {
    let program = cfg.sandbox.program().map_err(io("current executable"))?;
    if !program.is_file() {
        return Err(DaemonError::Io {
            what: "netent.mode = \"sandbox\"".into(),
            source: std::io::Error::other(format!(
                "the sandbox peer {} is missing (not shipped in the package)",
                program.display()
            )),
        });
    }
    Ok(program)
}

/// The client configuration for a remote API DSN (password read from its 0600 file).
fn remote_netent(cfg: &Config) -> Result<NetEntConfig, DaemonError> {
    let n = &cfg.netent;
    let bad = |m: String| DaemonError::Io {
        what: "netent".into(),
        source: std::io::Error::other(m),
    };
    let password = match &n.password_file {
        Some(f) => crate::fsio::read_secret(f).map_err(|e| bad(e.to_string()))?,
        // With [[netent.accounts]] and no top-level login, the accounts are the logins.
        None if !n.accounts.is_empty() && n.siret.is_none() => String::new(),
        None => return Err(bad("netent.password_file is required".into())),
    };
    let siret = n.siret.clone().unwrap_or_default();
    let base = n.base_url.clone().unwrap_or_default();
    let mut c = NetEntConfig::for_base(&base, &siret, &n.nom, &n.prenom, &password);
    let pick = |o: &Option<String>, d: String| o.clone().unwrap_or(d);
    c.auth_url = pick(&n.auth_url, c.auth_url);
    c.deposit_url = pick(&n.deposit_url, c.deposit_url);
    c.consult_url = pick(&n.consult_url, c.consult_url);
    c.download_url = pick(&n.download_url, c.download_url);
    c.bpij_url = pick(&n.bpij_url, c.bpij_url);
    c.pj_url = n.pj_url.clone().or(c.pj_url);
    c.service = n.service.clone();
    c.ca_file = n.ca_file.clone();
    c.request_timeout = n.request_timeout;
    c.listing_version = n.listing_version.clone();
    crate::channels::netent::site::apply(n, &mut c, false).map_err(|e| bad(e.to_string()))?;
    Ok(c)
}

/// The spool door's handlers by kind: supporting documents the CPAM asks for
/// (`<hr_ref>.<TYPE>.pdf`, taken unread), BPIJ slips (`.xml`, a Prest'IJ feed), HR records
/// (`.csv`, `.txt`, `.json`) and payroll signalements (`.dsn`). A file no handler claims is
/// journaled as refused (unsupported type) and moved to `rejected/`.
pub fn spool_router() -> crate::channels::router::Router {
    use crate::channels::router::{Handled, Router, SpoolFile};
    fn document<'a>(f: SpoolFile<'a>) -> Handled<'a> {
        Box::pin(crate::documents::spool_door::process(
            f.engine, f.dirs, f.opts, f.path, f.name,
        ))
    }
    fn bpij<'a>(f: SpoolFile<'a>, bytes: Vec<u8>) -> Handled<'a> {
        Box::pin(super::insurer::spool_bpij::process(
            f.engine,
            f.dirs,
            f.opts.perms,
            f.path,
            f.name,
            bytes,
        ))
    }
    Router::new()
        .unread(
            "supporting document",
            crate::documents::spool_door::is_document,
            document,
        )
        .unread(
            "HR records, streamed",
            crate::channels::spool::is_streamed_records,
            crate::channels::spool::take_streamed,
        )
        .read("BPIJ", super::insurer::spool_bpij::is_bpij_file, bpij)
        .read(
            "HR records",
            crate::channels::spool::is_hr_records,
            crate::channels::spool::take_records,
        )
        .read(
            "payroll signalement",
            crate::channels::spool::is_payroll_signalement,
            crate::channels::spool::take_records,
        )
}

#[cfg(test)]
mod tests {
    /// Every kind of spool input goes through a registered handler; only unknown types are
    /// left to the door's refusal.
    #[test]
    fn every_spool_input_kind_has_a_handler() {
        let r = super::spool_router();
        assert_eq!(
            r.kinds(),
            [
                "supporting document",
                "HR records, streamed",
                "BPIJ",
                "HR records",
                "payroll signalement"
            ]
        );
        for name in ["y.json", "paie.dsn", "bpij.xml"] {
            assert!(r.take_read(name).is_some(), "{name}");
        }
        // CSV and TXT are taken unread first: streamed in bounded batches (issue 17).
        for name in ["rh-a_batch.csv", "x.TXT"] {
            assert!(r.take_unread(name).is_some(), "{name}");
        }
        assert!(r.take_unread("y.json").is_none());
        assert!(r.take_read("x.xlsx").is_none());
        assert!(r.take_read("noext").is_none());
    }
}
