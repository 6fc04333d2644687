//! The durable journal: SQLite in WAL mode with `synchronous=FULL`.
//!
//! Every write goes through one writer thread that owns the write connection and practises
//! **group commit**: it takes the first pending job, drains whatever else is queued (up to
//! [`MAX_BATCH`]), runs each job inside its own SAVEPOINT and commits them all with one fsync.
//! Concurrent API requests therefore share the cost of the disk flush, which is what makes
//! ≥ 1,000 durable declarations/s possible on a disk that does a few hundred fsyncs/s.
//! A job's caller is answered only after the COMMIT returned: a sender is never told "received"
//! for something a crash could still lose.
//!
//! Reads use separate connections (WAL lets readers run beside the writer).

pub mod dsn_door;
pub mod pg;
pub mod query;
pub mod retention;
mod schema;
pub mod store;

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

pub use schema::VERSION as SCHEMA_VERSION;
#[cfg(test)]
pub(crate) use schema::migrate as migrate_for_tests;

/// Largest number of jobs committed together.
pub const MAX_BATCH: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("journal: cannot prepare {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("journal: commit failed: {0}")]
    Commit(String),
    #[error("journal: the writer has stopped")]
    Closed,
    #[error(
        "journal: database schema version {found} is newer than this ijgate supports ({supported})"
    )]
    TooNew { found: u32, supported: u32 },
    #[error("journal: {0}")]
    Data(String),
    /// The job panicked in the writer thread: it is failed alone (rolled back to its
    /// savepoint), the others in its batch commit and the writer goes on.
    #[error("journal: the write job panicked: {0}")]
    JobPanicked(String),
    /// A stored value that does not read back (a hand-edited or damaged row): located, never
    /// replaced by a default (0, epoch).
    #[error("journal: {table} row {row}: column {column} holds {value:?}, not a valid {expected}")]
    Corrupt {
        table: &'static str,
        row: String,
        column: &'static str,
        value: String,
        expected: &'static str,
    },
}

impl JournalError {
    /// The same error as a `rusqlite` one, for row-mapping closures.
    pub fn into_sql(self) -> rusqlite::Error {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(self))
    }
}

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;
type Job = Box<dyn FnOnce(&Connection) -> (JobEnd, Completion) + Send>;

/// How one job ended inside its savepoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobEnd {
    Done,
    Failed,
    /// Failed by a panic, caught so that the writer thread survives it.
    Panicked,
}

/// For the commands that read the daemon's journal: `Err(1)` (the exit status), with the
/// message on stderr, when there is none yet. The one "no journal yet" check of the crate.
pub fn require_existing(db: &Path) -> Result<(), i32> {
    if db.exists() {
        return Ok(());
    }
    eprintln!(
        "ijgate: no journal at {} yet (has the daemon run?)",
        db.display()
    );
    Err(1)
}

/// Handle to the journal; cheap to clone.
#[derive(Clone)]
pub struct Journal {
    sender: mpsc::Sender<Job>,
    path: PathBuf,
    readers: Arc<Mutex<Vec<Connection>>>,
    stats: Arc<Stats>,
    /// Bumped after every successful commit: live views (the console's server-sent events)
    /// wait on it instead of polling the database.
    committed: Arc<tokio::sync::watch::Sender<u64>>,
}

/// Counters for benchmarks and metrics.
#[derive(Default, Debug)]
pub struct Stats {
    pub commits: std::sync::atomic::AtomicU64,
    pub jobs: std::sync::atomic::AtomicU64,
    /// Jobs that panicked (each failed alone; the writer went on).
    pub job_panics: std::sync::atomic::AtomicU64,
}

fn configure(conn: &Connection) -> Result<(), JournalError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

/// Opens the write connection: WAL, synchronous=FULL, migrations applied.
fn open_writer(path: &Path) -> Result<Connection, JournalError> {
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(JournalError::Data(format!(
            "cannot switch {} to WAL (got {mode})",
            path.display()
        )));
    }
    // FULL: the WAL is fsynced at every commit, so a committed declaration survives power loss.
    conn.pragma_update(None, "synchronous", "FULL")?;
    schema::migrate(&mut conn)?;
    Ok(conn)
}

/// Opens a read-only connection (CLI commands while the daemon runs).
pub fn open_reader(path: &Path) -> Result<Connection, JournalError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    Ok(conn)
}

impl Journal {
    /// Opens (creating if needed) the journal at `path` and starts the writer thread.
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        if let Some(dir) = path.parent() {
            crate::fsio::ensure_dir(dir, crate::fsio::Perms::PRIVATE).map_err(|source| {
                JournalError::Io {
                    path: dir.into(),
                    source,
                }
            })?;
        }
        let conn = open_writer(path)?;
        // The database and its WAL hold health data: owner only.
        for suffix in ["", "-wal", "-shm"] {
            let p = PathBuf::from(format!("{}{suffix}", path.display()));
            if p.exists() {
                use std::os::unix::fs::PermissionsExt;
                // Not ignored: a journal readable by others is a leak of health data.
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).map_err(
                    |source| JournalError::Io {
                        path: p.clone(),
                        source,
                    },
                )?;
            }
        }
        let (sender, receiver) = mpsc::channel::<Job>();
        let stats = Arc::new(Stats::default());
        let st = stats.clone();
        let committed = Arc::new(tokio::sync::watch::Sender::new(0u64));
        let cm = committed.clone();
        std::thread::Builder::new()
            .name("journal-writer".into())
            .spawn(move || writer_loop(conn, receiver, st, cm))
            .map_err(|source| JournalError::Io {
                path: path.into(),
                source,
            })?;
        Ok(Journal {
            sender,
            path: path.to_path_buf(),
            readers: Arc::new(Mutex::new(Vec::new())),
            stats,
            committed,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Changes (to a count of commits) once each batch is durable: what a reader sees after
    /// a change includes that batch.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.committed.subscribe()
    }

    fn submit<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, JournalError> + Send + 'static,
        reply: impl FnOnce(Result<R, JournalError>) + Send + 'static,
    ) -> Result<(), JournalError> {
        let job: Job = Box::new(move |conn| {
            // A panicking job must not take the writer thread (and every later write) down.
            let (r, end) = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)))
            {
                Ok(r) => {
                    let end = if r.is_ok() {
                        JobEnd::Done
                    } else {
                        JobEnd::Failed
                    };
                    (r, end)
                }
                Err(p) => {
                    let msg = p
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "no message".into());
                    (Err(JournalError::JobPanicked(msg)), JobEnd::Panicked)
                }
            };
            let completion: Completion = Box::new(move |commit| {
                reply(match commit {
                    Ok(()) => r,
                    Err(e) => Err(JournalError::Commit(e)),
                })
            });
            (end, completion)
        });
        self.sender.send(job).map_err(|_| JournalError::Closed)
    }

    /// Runs `f` in the next group commit; resolves once it is durable.
    pub async fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, JournalError> + Send + 'static,
    ) -> Result<R, JournalError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit(f, move |r| {
            let _ = tx.send(r);
        })?;
        rx.await.map_err(|_| JournalError::Closed)?
    }

    /// Blocking form of [`Journal::write`], for threads outside the runtime.
    pub fn write_blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, JournalError> + Send + 'static,
    ) -> Result<R, JournalError> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.submit(f, move |r| {
            let _ = tx.send(r);
        })?;
        rx.recv().map_err(|_| JournalError::Closed)?
    }

    /// Runs a read on a pooled read connection, off the async runtime.
    pub async fn read<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, JournalError> + Send + 'static,
    ) -> Result<R, JournalError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.read_blocking(f))
            .await
            .map_err(|_| JournalError::Closed)?
    }

    /// Blocking read on a pooled connection.
    pub fn read_blocking<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, JournalError>,
    ) -> Result<R, JournalError> {
        let pooled = self.readers.lock().ok().and_then(|mut v| v.pop());
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open(&self.path)?;
                configure(&c)?;
                c
            }
        };
        let r = f(&conn);
        if let Ok(mut v) = self.readers.lock()
            && v.len() < 8
        {
            v.push(conn);
        }
        r
    }
}

fn writer_loop(
    conn: Connection,
    receiver: mpsc::Receiver<Job>,
    stats: Arc<Stats>,
    committed: Arc<tokio::sync::watch::Sender<u64>>,
) {
    use std::sync::atomic::Ordering::Relaxed;
    while let Ok(first) = receiver.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match receiver.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let mut completions = Vec::with_capacity(jobs.len());
        let begin = conn.execute_batch("BEGIN IMMEDIATE");
        if let Err(e) = begin {
            let msg = e.to_string();
            crate::internal_events::journal_write_failed("begin transaction", &msg);
            // Dropping the jobs unrun answers every caller with `Closed`; nothing was written.
            drop(jobs);
            continue;
        }
        for job in jobs {
            // Each job in its own savepoint: a failing job is rolled back alone and the others
            // still commit.
            if let Err(e) = conn.execute_batch("SAVEPOINT job") {
                completions.push((Box::new(move |_| {}) as Completion, Some(e.to_string())));
                continue;
            }
            let (ended, completion) = job(&conn);
            if ended == JobEnd::Panicked {
                stats.job_panics.fetch_add(1, Relaxed);
                tracing::error!("journal: a write job panicked; it is failed alone");
                crate::health::global().fail(
                    crate::health::JOURNAL_JOB,
                    "a write job panicked (see the log); the writer goes on",
                );
            }
            let end = if ended == JobEnd::Done {
                "RELEASE job"
            } else {
                "ROLLBACK TO job; RELEASE job"
            };
            let err = conn.execute_batch(end).err().map(|e| e.to_string());
            completions.push((completion, err));
        }
        let commit = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
        if let Err(e) = &commit {
            crate::internal_events::journal_write_failed("commit (batch rolled back)", e);
            let _ = conn.execute_batch("ROLLBACK");
        }
        let n = stats.commits.fetch_add(1, Relaxed) + 1;
        stats.jobs.fetch_add(completions.len() as u64, Relaxed);
        if commit.is_ok() {
            committed.send_replace(n);
        }
        for (c, savepoint_err) in completions {
            match (&commit, savepoint_err) {
                (Ok(()), None) => c(Ok(())),
                (Ok(()), Some(e)) => c(Err(e)),
                (Err(e), _) => c(Err(e.clone())),
            }
        }
    }
}

/// Current time as stored in the journal: RFC 3339 UTC with milliseconds (sorts as text).
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering::Relaxed;

    #[test]
    fn subscribers_see_each_commit_once_it_is_readable() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(&d.path().join("j.db")).unwrap();
        let mut rx = j.subscribe();
        assert!(!rx.has_changed().unwrap());
        j.write_blocking(|c| Ok(c.execute_batch("CREATE TABLE t (x INTEGER)")?))
            .unwrap();
        assert!(
            rx.has_changed().unwrap(),
            "signalled by the time the writer answers"
        );
        let n = *rx.borrow_and_update();
        assert!(n >= 1);
        // What a subscriber reads after the signal includes the commit.
        j.write_blocking(|c| Ok(c.execute("INSERT INTO t VALUES (7)", [])?))
            .unwrap();
        assert!(rx.has_changed().unwrap());
        let x: i64 = j
            .read_blocking(|c| Ok(c.query_row("SELECT x FROM t", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(x, 7);
        assert!(*rx.borrow_and_update() > n);
    }

    #[test]
    fn the_writer_survives_a_panicking_job_and_fails_only_that_job() {
        let d = tempfile::tempdir().unwrap();
        let j = Journal::open(&d.path().join("j.db")).unwrap();
        j.write_blocking(|c| {
            c.execute_batch("CREATE TABLE t (x INTEGER)")?;
            Ok(())
        })
        .unwrap();
        // Three jobs queued at once (usually one batch): the panicking one is rolled back
        // alone, the others commit.
        let (a, b, c) = (j.clone(), j.clone(), j.clone());
        let t1 = std::thread::spawn(move || {
            a.write_blocking(|c| Ok(c.execute("INSERT INTO t VALUES (1)", [])?))
        });
        let t2 = std::thread::spawn(move || {
            b.write_blocking(|c| -> Result<(), JournalError> {
                c.execute("INSERT INTO t VALUES (2)", [])?;
                panic!("a bug in a job");
            })
        });
        let t3 = std::thread::spawn(move || {
            c.write_blocking(|c| Ok(c.execute("INSERT INTO t VALUES (3)", [])?))
        });
        assert_eq!(t1.join().unwrap().unwrap(), 1);
        let e = t2.join().unwrap().unwrap_err();
        assert!(
            matches!(&e, JournalError::JobPanicked(m) if m == "a bug in a job"),
            "{e}"
        );
        assert_eq!(t3.join().unwrap().unwrap(), 1);
        assert_eq!(j.stats().job_panics.load(Relaxed), 1);
        let report = crate::health::global().report();
        assert!(
            report
                .checks
                .iter()
                .any(|c| c.name == crate::health::JOURNAL_JOB && !c.ok),
            "alert raised"
        );
        // The registry is process-wide: leave it as other tests expect it.
        crate::health::global().remove(crate::health::JOURNAL_JOB);
        // The writer goes on, and the panicking job's insert was rolled back.
        let rows: Vec<i64> = j
            .write_blocking(|c| {
                let mut s = c.prepare("SELECT x FROM t ORDER BY x")?;
                let v = s
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<Vec<i64>, _>>()?;
                Ok(v)
            })
            .unwrap();
        assert_eq!(rows, vec![1, 3]);
    }
}
