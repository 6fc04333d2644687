//! The spool door: HR tools drop files in `inbound/`, ijgate journals them and moves them to
//! `archive/` (processed) or `rejected/` (with `<name>.errors.json`).
//!
//! When is a file complete? Rename-into-place is the documented way (inotify `MOVED_TO`); a
//! writer that closes the file (`CLOSE_WRITE`) is also taken at once. Files seen only by the
//! periodic rescan (network mounts, inotify overflow, files present at start) are taken once
//! their size and mtime have been stable for `settle_time`. Names starting with '.' or ending
//! in .tmp/.part are never taken.
//!
//! Crash reasoning: a file leaves `inbound/` only after its records are committed. If ijgate
//! dies in between, the file is processed again at restart; its content hash is already in
//! the journal, so nothing is journaled twice and the move simply completes.

use notify::{EventKind, RecursiveMode, Watcher};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

mod stream;

use crate::engine::ingest::{Engine, FileOutcome, IngestReport, InputMeta};
use crate::formats::hr_csv::{self, Parsed};
use crate::formats::hr_json;
use crate::fsio::{self, Perms};
use crate::model::validate::{ECHO_MAX, FieldError, Location, excerpt};

/// The spool's folders.
#[derive(Debug, Clone)]
pub struct SpoolDirs {
    pub inbound: PathBuf,
    pub archive: PathBuf,
    pub rejected: PathBuf,
    pub outbound: PathBuf,
}

impl SpoolDirs {
    pub fn new(root: &Path) -> SpoolDirs {
        SpoolDirs {
            inbound: root.join("inbound"),
            archive: root.join("archive"),
            rejected: root.join("rejected"),
            outbound: root.join("outbound"),
        }
    }

    /// Creates every folder with the spool's permissions and removes our own crash leftovers.
    pub fn prepare(&self, perms: Perms) -> std::io::Result<()> {
        for d in [
            &self.inbound,
            &self.archive,
            &self.rejected,
            &self.outbound,
            &self.outbound.join("hr"),
            &self.outbound.join("insurer"),
        ] {
            fsio::ensure_dir(d, perms)?;
        }
        for d in [&self.archive, &self.rejected, &self.outbound.join("hr")] {
            fsio::remove_stale_temps(d)?;
        }
        Ok(())
    }
}

/// True for names the spool never takes (temporary names of writers, hidden files).
pub use crate::fsio::ignored;

/// Folders of `inbound/` that belong to other doors (the DSN lots door reads `inbound/dsn/`):
/// never candidates of this door, never moved aside; every other folder dropped in
/// `inbound/` is moved aside like any non-regular entry.
pub const DOOR_FOLDERS: &[&str] = &["dsn"];

#[derive(Debug)]
struct Candidate {
    size: u64,
    mtime: Option<SystemTime>,
    stable_since: Instant,
    /// Renamed into place or closed after writing: complete unless it changes again.
    complete: bool,
}

enum Seen {
    Event { path: PathBuf, complete: bool },
    Removed(PathBuf),
    Overflow,
}

fn classify(ev: notify::Event) -> Vec<Seen> {
    use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
    if ev.need_rescan() {
        return vec![Seen::Overflow];
    }
    match ev.kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => ev
            .paths
            .into_iter()
            .map(|path| Seen::Event {
                path,
                complete: true,
            })
            .collect(),
        EventKind::Modify(ModifyKind::Name(RenameMode::To)) => ev
            .paths
            .into_iter()
            .map(|path| Seen::Event {
                path,
                complete: true,
            })
            .collect(),
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
            // paths = [from, to]
            let mut v = Vec::new();
            let mut it = ev.paths.into_iter();
            if let Some(from) = it.next() {
                v.push(Seen::Removed(from));
            }
            if let Some(to) = it.next() {
                v.push(Seen::Event {
                    path: to,
                    complete: true,
                });
            }
            v
        }
        EventKind::Modify(ModifyKind::Name(RenameMode::From)) | EventKind::Remove(_) => {
            ev.paths.into_iter().map(Seen::Removed).collect()
        }
        EventKind::Create(_) | EventKind::Modify(_) => ev
            .paths
            .into_iter()
            .map(|path| Seen::Event {
                path,
                complete: false,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Runtime options of the spool door.
#[derive(Debug, Clone)]
pub struct SpoolOptions {
    pub perms: Perms,
    pub settle_time: Duration,
    pub rescan_interval: Duration,
    pub max_file_size: u64,
    /// Files processed at once (they share group commits).
    pub concurrency: usize,
    /// Records of a large HR CSV journaled per commit (the file is streamed, never held).
    pub batch_rows: usize,
    /// The doors' stop: a streamed file stops between two batches (it resumes at next start).
    pub stop: CancellationToken,
    /// Handlers by kind of file, registered by the daemon's wiring.
    pub router: Arc<super::router::Router>,
}

/// Watches `inbound/` and processes files until cancelled; in-flight files finish first.
pub async fn run(engine: Engine, dirs: SpoolDirs, opts: SpoolOptions, stop: CancellationToken) {
    let (tx, mut rx) = mpsc::unbounded_channel::<notify::Result<notify::Event>>();
    let watcher = notify::recommended_watcher(move |ev| {
        let _ = tx.send(ev);
    });
    let _watcher = match watcher {
        Ok(mut w) => match w.watch(&dirs.inbound, RecursiveMode::NonRecursive) {
            Ok(()) => Some(w),
            Err(e) => {
                crate::internal_events::watcher_unavailable("spool", &dirs.inbound.display(), &e);
                None
            }
        },
        Err(e) => {
            crate::internal_events::watcher_unavailable("spool", &"no watcher", &e);
            None
        }
    };
    let mut candidates: HashMap<PathBuf, Candidate> = HashMap::new();
    let in_flight: Arc<std::sync::Mutex<HashSet<PathBuf>>> = Arc::default();
    let permits = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let tick = (opts.settle_time / 4).clamp(Duration::from_millis(20), Duration::from_millis(500));
    let mut ticker = tokio::time::interval(tick);
    let mut rescan = tokio::time::interval(opts.rescan_interval);
    rescan.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            Some(ev) = rx.recv() => {
                let mut want_rescan = apply(&dirs.inbound, &mut candidates, ev);
                // Drain what else is queued before looking for ready files.
                while let Ok(ev) = rx.try_recv() {
                    want_rescan |= apply(&dirs.inbound, &mut candidates, ev);
                }
                if want_rescan { let _ = scan(&dirs.inbound, &mut candidates); }
                dispatch(&engine, &dirs, &opts, &mut candidates, &in_flight, &permits, &mut tasks);
            }
            _ = ticker.tick() => dispatch(&engine, &dirs, &opts, &mut candidates, &in_flight, &permits, &mut tasks),
            _ = rescan.tick() => {
                // The watchdog heartbeat pings systemd only while rescans keep happening.
                match scan(&dirs.inbound, &mut candidates) {
                    Ok(()) => crate::health::global().pass(crate::health::SPOOL_SCAN, opts.rescan_interval * 3 + Duration::from_secs(5)),
                    Err(e) => crate::health::global().fail(crate::health::SPOOL_SCAN, format!("{}: {e}", dirs.inbound.display())),
                }
                dispatch(&engine, &dirs, &opts, &mut candidates, &in_flight, &permits, &mut tasks);
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    // Graceful stop: take nothing new, let in-flight files finish.
    while tasks.join_next().await.is_some() {}
}

/// Applies one watcher event; returns true when a full rescan is needed.
fn apply(
    inbound: &Path,
    candidates: &mut HashMap<PathBuf, Candidate>,
    ev: notify::Result<notify::Event>,
) -> bool {
    let Ok(ev) = ev else {
        crate::internal_events::watcher_unavailable(
            "spool",
            &"events",
            &"watcher error, rescanning",
        );
        return true;
    };
    tracing::trace!(?ev, "spool: watcher event");
    let mut rescan = false;
    for s in classify(ev) {
        match s {
            Seen::Overflow => rescan = true,
            Seen::Removed(p) => {
                candidates.remove(&p);
            }
            Seen::Event { path, complete } => note(inbound, candidates, path, complete),
        }
    }
    rescan
}

fn note(
    inbound: &Path,
    candidates: &mut HashMap<PathBuf, Candidate>,
    path: PathBuf,
    complete: bool,
) {
    if path.parent() != Some(inbound) {
        return;
    }
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return;
    };
    if ignored(name) {
        return;
    }
    // lstat: a symlink, FIFO, device or folder is a candidate too (never followed or read),
    // so that it is moved aside with a report instead of lingering unexplained.
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return;
    };
    // Other doors' folders inside inbound/ (a real directory, not a link to one) are theirs.
    if meta.is_dir() && DOOR_FOLDERS.contains(&name) {
        return;
    }
    let (size, mtime) = (meta.len(), meta.modified().ok());
    let c = candidates.entry(path).or_insert(Candidate {
        size,
        mtime,
        stable_since: Instant::now(),
        complete: false,
    });
    if c.size != size || c.mtime != mtime {
        c.size = size;
        c.mtime = mtime;
        c.stable_since = Instant::now();
    }
    c.complete = complete;
}

/// True when another process holds `path` open for writing. A read lease (F_SETLEASE with
/// F_RDLCK) is refused with EAGAIN exactly in that case; it needs to own the file or
/// CAP_LEASE (granted by the systemd unit), and when it cannot tell we rely on stability alone.
fn open_for_writing(path: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(f) = fsio::open_regular(path) else {
        return false;
    };
    let fd = f.as_raw_fd();
    // SAFETY: fcntl on a file descriptor we own; the lease is released before `f` is closed.
    let r = unsafe { libc::fcntl(fd, libc::F_SETLEASE, libc::F_RDLCK) };
    if r == 0 {
        unsafe { libc::fcntl(fd, libc::F_SETLEASE, libc::F_UNLCK) };
        return false;
    }
    std::io::Error::last_os_error().raw_os_error() == Some(libc::EAGAIN)
}

fn scan(inbound: &Path, candidates: &mut HashMap<PathBuf, Candidate>) -> std::io::Result<()> {
    let rd = std::fs::read_dir(inbound)?;
    for e in rd.flatten() {
        let p = e.path();
        if !candidates.contains_key(&p) {
            note(inbound, candidates, p, false);
        }
    }
    Ok(())
}

fn dispatch(
    engine: &Engine,
    dirs: &SpoolDirs,
    opts: &SpoolOptions,
    candidates: &mut HashMap<PathBuf, Candidate>,
    in_flight: &Arc<std::sync::Mutex<HashSet<PathBuf>>>,
    permits: &Arc<Semaphore>,
    tasks: &mut tokio::task::JoinSet<()>,
) {
    let now = Instant::now();
    let mut ready = Vec::new();
    candidates.retain(|path, c| {
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            return false;
        };
        let (size, mtime) = (meta.len(), meta.modified().ok());
        if size != c.size || mtime != c.mtime {
            c.size = size;
            c.mtime = mtime;
            c.stable_since = now;
            c.complete = false;
        }
        let settled = now.duration_since(c.stable_since) >= opts.settle_time;
        let regular = meta.file_type().is_file();
        if c.complete || (settled && (!regular || !open_for_writing(path))) {
            ready.push(path.clone());
            return false;
        }
        if settled {
            // Stable but still open by a writer (a stalled copy): wait for it to close.
            c.stable_since = now;
        }
        true
    });
    for path in ready {
        {
            let Ok(mut f) = in_flight.lock() else {
                continue;
            };
            if !f.insert(path.clone()) {
                continue;
            }
        }
        let (engine, dirs, opts, in_flight, permits) = (
            engine.clone(),
            dirs.clone(),
            opts.clone(),
            in_flight.clone(),
            permits.clone(),
        );
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            if let Err(e) = process(&engine, &dirs, &opts, &path).await {
                crate::metrics::spool_file("failed");
                // Left in inbound/: the next rescan takes it again.
                crate::internal_events::spool_file_retried(&path.display(), &e);
            }
            release_memory();
            if let Ok(mut f) = in_flight.lock() {
                f.remove(&path);
            }
        });
    }
}

/// Gives freed heap back to the system after a file. A 20 MB, 100k-row CSV needs a few
/// hundred MB while it is parsed and journaled; glibc keeps freed memory in its per-thread
/// arenas, so without a trim the daemon's RSS stayed at its peak until shutdown (issue 17).
/// `malloc_trim(0)` returns the free pages of every arena (glibc ≥ 2.8); cheap when there is
/// nothing to give back.
fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator; no pointer is involved.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Parses a file's bytes by its extension.
pub fn parse_input(name: &str, bytes: &[u8], csv: &hr_csv::CsvOptions) -> Parsed {
    match extension(name).as_str() {
        "csv" | "txt" => hr_csv::read(bytes, csv),
        "json" => hr_json::read(bytes),
        "dsn" => crate::formats::dsn_signalement::read(bytes),
        _ => file_error(Some(name), UNSUPPORTED.into()),
    }
}

/// Processes one complete file: parse, journal, then archive or reject.
pub async fn process(
    engine: &Engine,
    dirs: &SpoolDirs,
    opts: &SpoolOptions,
    path: &Path,
) -> Result<(), SpoolError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("unnamed")
        .to_string();
    // Only regular files are read: anything else is moved aside unread (issue 17).
    let kind = fsio::entry_kind(path).map_err(io_err(path))?;
    if kind != fsio::EntryKind::Regular {
        return refuse_entry(dirs, path, &name, kind, opts.perms);
    }
    let file = |name| super::router::SpoolFile {
        engine,
        dirs,
        opts,
        path,
        name,
    };
    if let Some(take) = opts.router.take_unread(&name) {
        return take(file(&name)).await;
    }
    read_and_take(file(&name)).await
}

/// Router handler for HR CSV/TXT files: streamed and journaled in bounded batches, whatever
/// their size (issue 17); never held whole in memory. A file over `spool.max_file_size` goes
/// to the read path, which refuses it with its report.
pub fn take_streamed<'a>(f: super::router::SpoolFile<'a>) -> super::router::Handled<'a> {
    Box::pin(async move {
        let job = stream::Job {
            engine: f.engine.clone(),
            dirs: f.dirs.clone(),
            perms: f.opts.perms,
            max_file_size: f.opts.max_file_size,
            batch_rows: f.opts.batch_rows,
            stop: f.opts.stop.clone(),
            path: f.path.to_path_buf(),
            name: f.name.to_string(),
        };
        let streamed = tokio::task::spawn_blocking(move || stream::run(job))
            .await
            .map_err(|e| SpoolError::Io {
                path: f.path.to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            })??;
        match streamed {
            stream::Streamed::Done | stream::Streamed::Stopped => Ok(()),
            stream::Streamed::Refused(kind) => {
                refuse_entry(f.dirs, f.path, f.name, kind, f.opts.perms)
            }
            stream::Streamed::TooLarge => read_and_take(f).await,
        }
    })
}

/// Router claim: HR files that are streamed (CSV, TXT).
pub fn is_streamed_records(name: &str) -> bool {
    stream::streams(name)
}

/// The read path: the file read whole (bounded by `spool.max_file_size`), then given to the
/// handler that claims it, or refused with a report.
async fn read_and_take(f: super::router::SpoolFile<'_>) -> Result<(), SpoolError> {
    let (path, name, opts, dirs) = (f.path, f.name, f.opts, f.dirs);
    let (p, max) = (path.to_path_buf(), opts.max_file_size);
    let read = tokio::task::spawn_blocking(move || fsio::read_regular(&p, max))
        .await
        .map_err(|e| SpoolError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
    match read {
        Err(fsio::ReadRefused::NotRegular(kind)) => {
            // Swapped for something else between lstat and open.
            refuse_entry(dirs, path, name, kind, opts.perms)
        }
        Err(fsio::ReadRefused::Io(e)) => Err(io_err(path)(e)),
        Err(fsio::ReadRefused::TooLarge(len, _)) => {
            let reason = format!(
                "is {len} bytes, more than spool.max_file_size ({})",
                opts.max_file_size
            );
            journal_input(f, Vec::new(), file_error(None, reason)).await
        }
        Ok(bytes) => match opts.router.take_read(name) {
            Some(take) => take(f, bytes).await,
            // No handler claims it: journaled as refused, with the reason.
            None => {
                let parsed = file_error(Some(name), UNSUPPORTED.into());
                journal_input(f, bytes, parsed).await
            }
        },
    }
}

/// Why a file no handler claims is refused.
const UNSUPPORTED: &str =
    "unsupported file type: expected .csv, .txt, .json or .dsn (declarations), .xml (BPIJ)";

/// A file-level error (`value`: what to echo, e.g. the file name).
fn file_error(value: Option<&str>, reason: String) -> Parsed {
    Parsed {
        file_errors: vec![FieldError {
            location: Location::default(),
            field: "file".into(),
            value: value.map(String::from),
            reason,
        }],
        ..Parsed::default()
    }
}

/// Router claim: HR records read whole (JSON). CSV and TXT are claimed before, unread, by
/// [`take_streamed`].
pub fn is_hr_records(name: &str) -> bool {
    extension(name) == "json"
}

/// Router claim: payroll signalements (a NEODeS `.dsn` file from the payroll software).
pub fn is_payroll_signalement(name: &str) -> bool {
    extension(name) == "dsn"
}

fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Router handler for HR records and payroll signalements: parsed by their format (with the
/// HR client's CSV options), journaled by the ingest handle, then archived or rejected.
pub fn take_records<'a>(
    f: super::router::SpoolFile<'a>,
    bytes: Vec<u8>,
) -> super::router::Handled<'a> {
    Box::pin(async move {
        let cfg = f.engine.config.load_full();
        let csv_opts = cfg
            .client_for_file(f.name)
            .map(|c| c.csv_options())
            .unwrap_or_default();
        let parsed = parse_input(f.name, &bytes, &csv_opts);
        journal_input(f, bytes, parsed).await
    })
}

/// Journals what was read of a file (records and errors, one transaction), then writes the
/// error report and moves the file out of inbound/.
async fn journal_input(
    f: super::router::SpoolFile<'_>,
    bytes: Vec<u8>,
    parsed: Parsed,
) -> Result<(), SpoolError> {
    let cfg = f.engine.config.load_full();
    let client = cfg.client_for_file(f.name).map(|c| c.name.clone());
    let sha = hex::encode(Sha256::digest(&bytes));
    let input = InputMeta {
        channel: "spool",
        name: f.name.to_string(),
        sha256: Some(sha.clone()),
    };
    let report = f.engine.ingest(client.as_deref(), input, parsed).await?;
    tracing::info!(
        file = %f.name, accepted = report.accepted(), rejected = report.rejected(),
        file_errors = report.file_errors.len(), replayed = report.replayed, "spool: file journaled"
    );
    let outcome = FileOutcome::from(&report);
    // The bad rows of a mixed file, in the file's own format (none for a NEODeS file).
    let extract = (outcome.accepted > 0 && !outcome.errors.is_empty())
        .then(|| bad_rows(f.name, &bytes, &report))
        .flatten();
    drop(report);
    let name = f.name.to_string();
    let (dirs, path, perms) = (f.dirs.clone(), f.path.to_path_buf(), f.opts.perms);
    tokio::task::spawn_blocking(move || {
        let extract = extract.map(|bytes| -> Box<ExtractFn<'_>> {
            Box::new(move |_, out| out.write_all(&bytes).map(|()| true))
        });
        finish(&dirs, &path, &name, &sha, &outcome, extract, perms)
    })
    .await
    .map_err(|e| SpoolError::Io {
        path: PathBuf::new(),
        source: std::io::Error::other(e.to_string()),
    })?
}

/// Writes the rejected rows of a mixed file (its outcome given) to a writer; false when the
/// format cannot be cut into rows.
type ExtractFn<'a> =
    dyn FnOnce(&FileOutcome, &mut dyn std::io::Write) -> std::io::Result<bool> + Send + 'a;

/// After the last commit: write the error report and move the file out of inbound/.
fn finish(
    dirs: &SpoolDirs,
    path: &Path,
    name: &str,
    sha: &str,
    report: &FileOutcome,
    extract: Option<Box<ExtractFn<'_>>>,
    perms: Perms,
) -> Result<(), SpoolError> {
    // Whatever a reader put in an error, the report quotes a bounded, escaped excerpt only:
    // a file that is not what its name says is never echoed back whole (issue 17).
    let errors: Vec<FieldError> = report
        .errors
        .iter()
        .cloned()
        .map(|mut e| {
            e.field = excerpt(&e.field, ECHO_MAX);
            e.value = e.value.map(|v| excerpt(&v, ECHO_MAX));
            e.reason = excerpt(&e.reason, 400);
            e
        })
        .collect();
    let any_accepted = report.accepted > 0;
    if !errors.is_empty() {
        // Same input replayed after a crash → same names (overwrite); another file that
        // happens to share the name → a free name, so no report is lost.
        let report_name = format!("{name}.errors.json");
        let existing = dirs.rejected.join(&report_name);
        let report_path = if existing.exists() && !same_input(&existing, sha) {
            fsio::free_name(&dirs.rejected, &report_name)
        } else {
            existing
        };
        let body = serde_json::json!({
            "file": name,
            "input_sha256": sha,
            "accepted": report.accepted,
            "rejected": report.rejected,
            "file_errors": report.file_errors,
            "errors": errors,
        });
        let body = serde_json::to_vec_pretty(&body).unwrap_or_default();
        fsio::write_atomic(&report_path, &body, perms).map_err(io_err(&report_path))?;
        if any_accepted {
            // Mixed file: the original is archived; rejected/ gets the bad rows alone so the
            // HR clerk can fix and drop them again.
            let bad_name = report_path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".errors.json"))
                .unwrap_or(name)
                .to_string();
            if let Some(extract) = extract {
                let p = dirs.rejected.join(bad_name);
                fsio::write_atomic_from(&p, perms, |out| extract(report, out))
                    .map_err(io_err(&p))?;
            }
        } else {
            let dest = report_path.with_file_name(
                report_path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_suffix(".errors.json"))
                    .unwrap_or(name),
            );
            fsio::move_spool_file(path, &dest, perms).map_err(io_err(path))?;
            crate::metrics::spool_file("rejected");
            return Ok(());
        }
    }
    let id = report.input_id.unwrap_or(0);
    let dest = dirs.archive.join(format!("{id:06}_{name}"));
    fsio::move_spool_file(path, &dest, perms).map_err(io_err(path))?;
    crate::metrics::spool_file("archived");
    Ok(())
}

/// Moves a spool entry that is not a regular file (symlink, FIFO, device, folder) to
/// `rejected/` with a report naming what it is. It is never opened: a symlink's target could
/// be any file the daemon can read (issue 17: `ln -s /etc/passwd inbound/x.csv`).
fn refuse_entry(
    dirs: &SpoolDirs,
    path: &Path,
    name: &str,
    kind: fsio::EntryKind,
    perms: Perms,
) -> Result<(), SpoolError> {
    crate::internal_events::entry_refused("spool", name, kind.describe());
    let reason = fsio::ReadRefused::NotRegular(kind).to_string();
    let err = FieldError {
        location: Location::default(),
        field: "file".into(),
        value: None,
        reason,
    };
    let body = serde_json::json!({
        "file": name,
        "accepted": 0,
        "rejected": 0,
        "file_errors": 1,
        "errors": [err],
    });
    let dest = write_rejection_report(dirs, name, &body, perms)?;
    let dest = if dest.symlink_metadata().is_ok() {
        fsio::free_name(&dirs.rejected, name)
    } else {
        dest
    };
    fsio::move_durable(path, &dest).map_err(io_err(path))?;
    crate::metrics::spool_file("refused");
    Ok(())
}

/// Writes `body` as `rejected/<name>.errors.json` (a free name when that one is taken, so no
/// report is lost) and returns where the refused file goes: beside its report, same stem.
/// Shared by the handlers that refuse a whole file (the door, supporting documents).
pub fn write_rejection_report(
    dirs: &SpoolDirs,
    name: &str,
    body: &serde_json::Value,
    perms: Perms,
) -> Result<PathBuf, SpoolError> {
    let report = fsio::free_name(&dirs.rejected, &format!("{name}.errors.json"));
    fsio::write_atomic(
        &report,
        &serde_json::to_vec_pretty(body).unwrap_or_default(),
        perms,
    )
    .map_err(io_err(&report))?;
    Ok(report.with_file_name(
        report
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".errors.json"))
            .unwrap_or(name),
    ))
}

fn same_input(report: &Path, sha: &str) -> bool {
    std::fs::read(report)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v.get("input_sha256").and_then(|s| s.as_str()) == Some(sha))
}

/// The rejected rows of a mixed file, in the file's own format: CSV keeps its header line and
/// the bad lines as they were; JSON becomes an array of the bad objects.
fn bad_rows(name: &str, bytes: &[u8], report: &IngestReport) -> Option<Vec<u8>> {
    let bad: Vec<_> = report.rows.iter().filter(|r| r.result.is_err()).collect();
    if name.to_ascii_lowercase().ends_with(".dsn") {
        // A NEODeS file cannot be cut into rows: the report names the lines to fix.
        return None;
    }
    if name.to_ascii_lowercase().ends_with(".json") {
        let items: Vec<_> = bad.iter().map(|r| &r.record.fields).collect();
        return serde_json::to_vec_pretty(&items).ok();
    }
    // The exact bytes of each bad record (encoding, separators, line endings untouched),
    // ragged rows included, located by the same reader that produced the lines (issue 17).
    let lines: HashSet<u64> = bad
        .iter()
        .filter_map(|r| r.record.location.line)
        .chain(report.file_errors.iter().filter_map(|e| e.location.line))
        .collect();
    Some(hr_csv::extract_lines(bytes, &lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_names() {
        assert!(ignored(".hidden.csv"));
        assert!(ignored("x.csv.tmp"));
        assert!(ignored("x.csv.part"));
        assert!(!ignored("x.csv"));
    }

    #[test]
    fn unsupported_extension_is_a_file_error() {
        let p = parse_input("x.xlsx", b"", &hr_csv::CsvOptions::default());
        assert_eq!(p.file_errors[0].field, "file");
    }
}
