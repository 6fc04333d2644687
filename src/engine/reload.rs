//! Configuration reload on SIGHUP, and the `ijgate reload` command that asks for one.
//!
//! The daemon re-reads and validates the whole file (`Config::load`) and rebuilds the web
//! service's TLS configuration; only when everything succeeded does it swap both atomically
//! (requests in flight keep the `Arc` they loaded, new ones see the new configuration; no
//! work is dropped). On any failure the running configuration stays and the reason is logged.
//! Settings that are bound at start (listening sockets, folders) are reported as "needs a
//! restart" and keep their running value.
//!
//! The outcome is recorded in `state_dir/reload.status` (JSON, written atomically) with a
//! generation counter that increases at every reload: `ijgate reload` sends SIGHUP to the pid
//! in `state_dir/ijgate.pid`, then polls that file until the generation moves, and so answers
//! synchronously with the daemon's own verdict.

use arc_swap::ArcSwap;
use rustls::ServerConfig;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::service;
use crate::channels::tls;
use crate::config::Config;
use crate::fsio::{Perms, write_atomic};

/// The last reload's outcome, as written to `reload.status`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReloadStatus {
    /// The daemon that wrote it.
    pub pid: u32,
    /// 0 at start, +1 at every reload attempt.
    pub generation: u64,
    pub ok: bool,
    pub at: String,
    pub message: String,
    /// Changed settings that keep their running value until a restart.
    #[serde(default)]
    pub needs_restart: Vec<String>,
}

pub fn status_path(state_dir: &Path) -> PathBuf {
    state_dir.join("reload.status")
}

pub fn read_status(state_dir: &Path) -> Option<ReloadStatus> {
    std::fs::read(status_path(state_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
}

/// The settings read once at start, listed once: `$each!(section, field)` for each, in the
/// order they are reported. Both the comparison and the keeping of the running values walk
/// this list, so a setting cannot be reported without being kept (or the reverse).
macro_rules! start_bound {
    ($each:ident) => {
        $each!(daemon, state_dir);
        $each!(daemon, log_format);
        $each!(spool, dir);
        $each!(spool, shared_group);
        $each!(spool, rescan_interval);
        $each!(spool, settle_time);
        $each!(spool, max_file_size);
        $each!(api, enabled);
        $each!(api, listen);
        $each!(api, max_body);
        $each!(api, idle_timeout);
        $each!(api, handshake_timeout);
        $each!(api, max_connections_per_client);
        $each!(admin, enabled);
        $each!(admin, listen);
    };
}

/// Settings read once at start: a changed value is reported and not applied.
pub fn restart_only_changes(old: &Config, new: &Config) -> Vec<String> {
    let mut v = Vec::new();
    macro_rules! compare {
        ($s:ident, $f:ident) => {
            if old.$s.$f != new.$s.$f {
                v.push(concat!(stringify!($s), ".", stringify!($f)).to_string());
            }
        };
    }
    start_bound!(compare);
    v.extend(crate::config::netent::client_changes(
        &old.netent,
        &new.netent,
    ));
    v
}

/// Puts the running values of the settings bound at start back into a newly read
/// configuration. The swapped configuration then always holds what the daemon really uses,
/// so the next reload compares the file with the *running* values: change `api.listen`,
/// reload ("needs a restart"), revert, reload → nothing to restart. (The API limits,
/// `api.idle_timeout`, `api.handshake_timeout` and `api.max_connections_per_client`, were
/// reported but not kept before the list was shared: they are read once at start too.)
pub fn keep_running(running: &Config, new: &mut Config) {
    macro_rules! keep {
        ($s:ident, $f:ident) => {
            new.$s.$f = Clone::clone(&running.$s.$f);
        };
    }
    start_bound!(keep);
    crate::config::netent::keep_client_settings(&running.netent, &mut new.netent);
}

/// Applies reloads for the running daemon.
pub struct Reloader {
    path: PathBuf,
    config: Arc<ArcSwap<Config>>,
    /// The web service's TLS configuration, when it runs.
    tls: Option<Arc<ArcSwap<ServerConfig>>>,
    /// Where `reload.status` goes: the state folder the daemon started with.
    state_dir: PathBuf,
    generation: u64,
}

impl Reloader {
    /// Records generation 0 ("started").
    pub fn new(
        path: &Path,
        config: Arc<ArcSwap<Config>>,
        tls: Option<Arc<ArcSwap<ServerConfig>>>,
    ) -> Reloader {
        let state_dir = config.load().daemon.state_dir.clone();
        let r = Reloader {
            path: path.to_path_buf(),
            config,
            tls,
            state_dir,
            generation: 0,
        };
        r.record(true, "started".into(), Vec::new());
        r
    }

    fn record(&self, ok: bool, message: String, needs_restart: Vec<String>) -> ReloadStatus {
        let s = ReloadStatus {
            pid: std::process::id(),
            generation: self.generation,
            ok,
            at: crate::journal::now(),
            message,
            needs_restart,
        };
        let body = serde_json::to_vec_pretty(&s).unwrap_or_default();
        let p = status_path(&self.state_dir);
        if let Err(e) = write_atomic(&p, &body, Perms::PRIVATE) {
            crate::internal_events::state_file_not_written("reload outcome", &p.display(), &e);
        }
        s
    }

    /// Re-reads the configuration and swaps it in when it is whole and valid.
    pub fn reload(&mut self) -> ReloadStatus {
        service::reloading();
        self.generation += 1;
        let old = self.config.load_full();
        let outcome = self.prepare();
        let status = match outcome {
            Ok((mut new, tls_cfg)) => {
                // `old` holds the running values of the start-bound settings (see
                // `keep_running`): compare the file with them, then keep them.
                let needs_restart = restart_only_changes(&old, &new);
                keep_running(&old, &mut new);
                for s in &needs_restart {
                    crate::internal_events::restart_needed(s);
                }
                if let (Some(slot), Some(t)) = (&self.tls, tls_cfg) {
                    slot.store(t);
                }
                self.config.store(Arc::new(new));
                let msg = format!(
                    "configuration {} reloaded (generation {})",
                    self.path.display(),
                    self.generation
                );
                tracing::info!(generation = self.generation, restart_needed = ?needs_restart, "{msg}");
                crate::metrics::reload_done(true);
                self.record(true, msg, needs_restart)
            }
            Err(why) => {
                crate::internal_events::reload_failed(self.generation, &why);
                crate::metrics::reload_done(false);
                self.record(
                    false,
                    format!("reload failed, still running on the previous configuration: {why}"),
                    Vec::new(),
                )
            }
        };
        service::ready(if status.ok {
            "running (configuration reloaded)"
        } else {
            "running (last reload failed: previous configuration kept)"
        });
        status
    }

    /// Everything that can fail, before anything is swapped.
    fn prepare(&self) -> Result<(Config, Option<Arc<ServerConfig>>), String> {
        let new = Config::load(&self.path).map_err(|e| e.to_string())?;
        // Bound at start: the running values stay (`keep_running`, in `reload`) so that every
        // reader of the swapped configuration agrees with what the daemon actually uses.
        let tls_cfg = match &self.tls {
            Some(_) if new.api.enabled => {
                super::daemon::ensure_dev_certs(&new).map_err(|e| e.to_string())?;
                Some(
                    tls::server_config(
                        &new.api.cert_file,
                        &new.api.key_file,
                        &new.api.client_ca_file,
                    )
                    .map_err(|e| e.to_string())?,
                )
            }
            _ => None,
        };
        Ok((new, tls_cfg))
    }
}

/// The daemon's signal handlers, installed before it says it is ready: a SIGTERM or SIGHUP
/// that follows "ready" at once must find them in place, not the default action (death).
pub struct Signals {
    streams: Option<[tokio::signal::unix::Signal; 3]>,
}

impl Signals {
    pub fn install() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        let streams = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) {
            (Ok(t), Ok(i), Ok(h)) => Some([t, i, h]),
            _ => {
                crate::internal_events::signal_handlers_unavailable();
                None
            }
        };
        Signals { streams }
    }
}

/// Waits for SIGTERM/SIGINT, applying a reload at every SIGHUP meanwhile.
pub async fn run_until_stop(reloader: &mut Reloader, signals: Signals) {
    let Some([mut term, mut int, mut hup]) = signals.streams else {
        // Without signal handlers we cannot stop gracefully; run until killed.
        std::future::pending::<()>().await;
        return;
    };
    loop {
        tokio::select! {
            _ = term.recv() => return,
            _ = int.recv() => return,
            _ = hup.recv() => {
                tracing::info!("SIGHUP: reloading the configuration");
                reloader.reload();
            }
        }
    }
}

/// Why `ijgate reload` could not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("cannot read {0}: permission denied (run as root or as the daemon's user)")]
    Unreadable(PathBuf),
    #[error("no pid file {0}: is the daemon running?")]
    NoPidFile(PathBuf),
    #[error("the daemon (pid {pid} in {file}) is not running")]
    NotRunning { pid: i32, file: PathBuf },
    #[error("cannot signal pid {pid}: {source}")]
    Signal { pid: i32, source: std::io::Error },
    #[error("no answer from the daemon within {0:?} (see its log)")]
    Timeout(Duration),
}

/// Sends SIGHUP to the daemon of `state_dir` and waits for its verdict.
pub fn request(state_dir: &Path, timeout: Duration) -> Result<ReloadStatus, RequestError> {
    let pid_file = service::pid_path(state_dir);
    if let Err(e) = std::fs::metadata(&pid_file)
        && e.kind() == std::io::ErrorKind::PermissionDenied
    {
        return Err(RequestError::Unreadable(pid_file));
    }
    let pid = service::read_pid(&pid_file).ok_or(RequestError::NoPidFile(pid_file.clone()))?;
    // SAFETY: kill with signal 0 only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } != 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ESRCH) {
            return Err(RequestError::NotRunning {
                pid,
                file: pid_file,
            });
        }
        return Err(RequestError::Signal { pid, source: e });
    }
    let before = read_status(state_dir)
        .filter(|s| s.pid as i32 == pid)
        .map(|s| s.generation)
        .unwrap_or(0);
    // SAFETY: plain kill(2) on a pid read from the daemon's own pid file.
    if unsafe { libc::kill(pid, libc::SIGHUP) } != 0 {
        return Err(RequestError::Signal {
            pid,
            source: std::io::Error::last_os_error(),
        });
    }
    let end = Instant::now() + timeout;
    loop {
        if let Some(s) = read_status(state_dir)
            && s.pid as i32 == pid
            && s.generation > before
        {
            return Ok(s);
        }
        if Instant::now() > end {
            return Err(RequestError::Timeout(timeout));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `ijgate reload`: prints the daemon's verdict; exit 0 when applied, 78 when refused.
pub fn cli(config_path: &Path) -> i32 {
    // Parsed only to find the state folder: validating is the daemon's job, whose verdict
    // (with every problem listed) is what the operator needs.
    let cfg = match Config::parse_file(config_path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ijgate: {e}");
            return crate::config::EXIT_CONFIG;
        }
    };
    match request(&cfg.daemon.state_dir, Duration::from_secs(60)) {
        Ok(s) if s.ok => {
            println!("{}", s.message);
            for n in &s.needs_restart {
                println!("  {n}: changed, needs a restart (running value kept)");
            }
            0
        }
        Ok(s) => {
            eprintln!("ijgate: {}", s.message);
            crate::config::EXIT_CONFIG
        }
        Err(e) => {
            eprintln!("ijgate: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(extra: &str) -> Config {
        let mut c: Config = toml::from_str(&format!(
            "[[employers]]\nsiret = \"73282932000074\"\nname = \"A\"\n{extra}"
        ))
        .unwrap();
        c.source = PathBuf::from("/x");
        c
    }

    #[test]
    fn restart_only_settings_are_reported() {
        let a = cfg("[api]\nlisten = \"127.0.0.1:1\"\n");
        let b = cfg("[api]\nlisten = \"127.0.0.1:2\"\n[spool]\ndir = \"other\"\n");
        assert_eq!(
            restart_only_changes(&a, &b),
            vec!["spool.dir".to_string(), "api.listen".to_string()]
        );
        assert!(restart_only_changes(&a, &a).is_empty());
    }

    /// Every setting reported as needing a restart keeps its running value, so the next
    /// reload still compares the file with what runs (the API limits were reported, not kept).
    #[test]
    fn every_reported_setting_keeps_its_running_value() {
        let a = cfg("[api]\nidle_timeout = \"10s\"\nmax_connections_per_client = 4\n");
        let mut b = cfg("[api]\nidle_timeout = \"20s\"\nmax_connections_per_client = 8\n");
        assert_eq!(
            restart_only_changes(&a, &b),
            vec![
                "api.idle_timeout".to_string(),
                "api.max_connections_per_client".to_string()
            ]
        );
        keep_running(&a, &mut b);
        assert!(restart_only_changes(&a, &b).is_empty());
        assert_eq!(b.api.idle_timeout, std::time::Duration::from_secs(10));
    }

    #[test]
    fn reload_swaps_a_valid_config_and_keeps_the_old_one_otherwise() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("ijgate.toml");
        let base = "[daemon]\nstate_dir = \"var\"\n[netent]\nmode = \"disabled\"\n[api]\nenabled = false\n[[employers]]\nsiret = \"73282932000074\"\nname = \"A\"\n";
        std::fs::write(&path, base).unwrap();
        std::fs::create_dir(d.path().join("var")).unwrap();
        let slot = Arc::new(ArcSwap::from_pointee(Config::load(&path).unwrap()));
        let mut r = Reloader::new(&path, slot.clone(), None);
        let state = slot.load().daemon.state_dir.clone();
        assert_eq!(read_status(&state).unwrap().generation, 0);
        std::fs::write(
            &path,
            format!("{base}[[employers]]\nsiret = \"12345678200010\"\nname = \"B\"\n"),
        )
        .unwrap();
        let s = r.reload();
        assert!(s.ok, "{s:?}");
        assert_eq!(slot.load().employers.len(), 2);
        assert_eq!(read_status(&state).unwrap(), s);
        // Invalid (bad SIRET): refused, previous configuration kept.
        std::fs::write(
            &path,
            format!("{base}[[employers]]\nsiret = \"12345678200011\"\nname = \"B\"\n"),
        )
        .unwrap();
        let s = r.reload();
        assert!(!s.ok);
        assert_eq!(s.generation, 2);
        assert!(s.message.contains("employers[1].siret"), "{}", s.message);
        assert_eq!(slot.load().employers.len(), 2);
    }
}
