//! The Prest'IJ cycle, folder mode: for every insurer with `[insurers.prestij]`, build the
//! GESTIP of the enrolments waiting (once per `cycle`), deliver built flows to `out/`, take
//! the ARL, CR and BPIJ dropped in `in/`, and raise the ARL deadline alerts.
//!
//! Crash reasoning: a flow is built in one transaction and delivered under its flow id
//! (temp name, fsync, rename, fsync folder) before it is marked delivered; an input file
//! leaves `in/` (to `archive/` or `rejected/`) only after the journal commit of what it
//! carried, and applying it again is a no-op (answers check the flow state; a BPIJ's `ref`
//! is unique), so a kill -9 at any instant loses nothing and does nothing twice.

use arc_swap::ArcSwap;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::config::PrestijConfig;
use crate::channels::fsio::{self, Perms};
use crate::config::Config;
use crate::engine::insurer::events;
use crate::formats::{bpij::Bpij, gestip, xml_tree};
use crate::journal::{Journal, now};
use crate::metrics::{PRESTIJ_CYCLES, PRESTIJ_FILES, PRESTIJ_INCIDENTS};

/// How often `in/` is looked at (answers and BPIJ are taken between two GESTIP cycles).
const SCAN_EVERY: Duration = Duration::from_secs(1);
/// Largest exchange file accepted.
const MAX_FILE: u64 = 64 * 1024 * 1024;

/// The four folders of an insurer's exchange folder.
#[derive(Debug, Clone)]
pub struct Folders {
    pub out: PathBuf,
    pub inbound: PathBuf,
    pub archive: PathBuf,
    pub rejected: PathBuf,
}

impl Folders {
    pub fn new(root: &Path) -> Folders {
        Folders {
            out: root.join("out"),
            inbound: root.join("in"),
            archive: root.join("archive"),
            rejected: root.join("rejected"),
        }
    }

    fn prepare(&self, perms: Perms) -> std::io::Result<()> {
        for d in [
            &self.out,
            &self.inbound,
            &self.archive,
            &self.rejected,
            &self.sent(),
        ] {
            fsio::ensure_dir(d, perms)?;
        }
        Ok(())
    }
}

impl Folders {
    /// SFTP mode: GESTIP put on the server are moved here.
    pub fn sent(&self) -> PathBuf {
        self.out.with_file_name("sent")
    }
}

/// The SFTP link of one insurer: retry with backoff, one journaled incident per outage
/// ([`super::incident`]: it survives a restart, the alert engine raises and resolves it).
/// Only the next try instant is in memory: after a restart the link is tried at once, and the
/// backoff resumes from the incident's failure count.
#[derive(Default)]
struct SftpLink {
    next_try: Option<tokio::time::Instant>,
}

impl SftpLink {
    async fn sync(
        &mut self,
        journal: &Journal,
        code: &str,
        cfg: &crate::channels::sftp::SftpConfig,
        folders: &Folders,
        perms: Perms,
    ) {
        use super::incident::{self, Change};
        if self
            .next_try
            .is_some_and(|t| t > tokio::time::Instant::now())
        {
            return;
        }
        let result = transfer(cfg, folders, perms).await;
        let (c, host) = (code.to_string(), format!("{}:{}", cfg.host, cfg.port));
        let error = result.err().map(|e| e.to_string());
        let e2 = error.clone();
        let change = journal
            .write(move |conn| match &e2 {
                None => incident::succeeded(conn, &c, &now()),
                Some(e) => incident::failed(conn, &c, &host, e, &now()),
            })
            .await;
        let change = match change {
            Ok(ch) => ch,
            Err(e) => {
                // Not journaled: the next pass tries again (the transfer is idempotent).
                PRESTIJ_FILES.inc("failed");
                crate::internal_events::journal_write_failed(
                    "prestij SFTP incident",
                    &format!("insurer {code}: {e}"),
                );
                return;
            }
        };
        match (change, error) {
            (Change::Resolved, _) => {
                PRESTIJ_INCIDENTS.inc("resolved");
                tracing::info!(insurer = %code, "prestij: SFTP transfer works again; incident resolved");
                self.next_try = None;
            }
            (_, None) => self.next_try = None,
            (ch, Some(e)) => {
                PRESTIJ_FILES.inc("failed");
                let failures = match ch {
                    Change::Continued { failures } => failures,
                    _ => {
                        PRESTIJ_INCIDENTS.inc("opened");
                        1
                    }
                };
                let wait = sftp_retry_delay(failures);
                self.next_try = Some(tokio::time::Instant::now() + wait);
                crate::internal_events::peer_call_failed(
                    "sftp",
                    "transfer_failed",
                    &format!("insurer {code}: {e} (failure {failures}, next try in {wait:?})"),
                );
            }
        }
    }
}

/// The wait before the next SFTP try after `failures` consecutive failures: the crate's one
/// backoff (`exchange::decide::backoff`), from 1 s doubled per failure, capped at 5 minutes.
fn sftp_retry_delay(failures: u32) -> Duration {
    crate::engine::exchange::decide::backoff(
        Duration::from_secs(1),
        Duration::from_secs(300),
        i64::from(failures.saturating_sub(1)),
    )
}

/// One SFTP exchange: every GESTIP of `out/` put (then moved to `sent/`), every remote file
/// taken into `in/`.
async fn transfer(
    cfg: &crate::channels::sftp::SftpConfig,
    folders: &Folders,
    perms: Perms,
) -> Result<(), crate::channels::sftp::SftpError> {
    let local = |d: &Path, e: std::io::Error| {
        crate::channels::sftp::SftpError::Local(d.display().to_string(), e)
    };
    let mut names: Vec<String> = std::fs::read_dir(&folders.out)
        .map_err(|e| local(&folders.out, e))?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !crate::fsio::ignored(n))
        .collect();
    names.sort();
    let session = crate::channels::sftp::connect(cfg).await?;
    for n in names {
        let path = folders.out.join(&n);
        let data = std::fs::read(&path).map_err(|e| local(&path, e))?;
        session.put(&cfg.remote_out, &n, &data).await?;
        let dest = fsio::free_name(&folders.sent(), &n);
        fsio::move_durable(&path, &dest).map_err(|e| local(&path, e))?;
        PRESTIJ_FILES.inc("sftp_put");
    }
    let taken = session
        .take_all(&cfg.remote_in, &folders.inbound, perms)
        .await?;
    if taken > 0 {
        tracing::info!(files = taken, "prestij: files taken from the SFTP server");
    }
    Ok(())
}

/// Runs until `stop`.
pub async fn run(
    journal: Journal,
    config: Arc<ArcSwap<Config>>,
    insurer_wake: Arc<Notify>,
    stop: CancellationToken,
) {
    let mut next_build: HashMap<String, tokio::time::Instant> = HashMap::new();
    let mut links: HashMap<String, SftpLink> = HashMap::new();
    loop {
        let cfg = config.load_full();
        let perms = Perms::for_spool(cfg.spool.shared_group);
        for ins in &cfg.insurers {
            let Some(p) = &ins.prestij else { continue };
            let folders = Folders::new(&p.folder_of(&cfg.spool.dir, &ins.code));
            if let Err(e) = folders.prepare(perms) {
                PRESTIJ_FILES.inc("failed");
                crate::internal_events::worker_step_failed(
                    "prestij exchange folder",
                    &format!("insurer {}: {e}", ins.code),
                );
                continue;
            }
            let due = next_build
                .get(&ins.code)
                .is_none_or(|t| *t <= tokio::time::Instant::now());
            if due {
                next_build.insert(ins.code.clone(), tokio::time::Instant::now() + p.cycle);
                if let Err(e) = build(&journal, &ins.code, &ins.name, p).await {
                    crate::internal_events::worker_step_failed(
                        "prestij GESTIP build",
                        &format!("insurer {}: {e}", ins.code),
                    );
                }
            }
            if let Err(e) = deliver(&journal, &ins.code, p, &folders, perms).await {
                PRESTIJ_FILES.inc("failed");
                crate::internal_events::worker_step_failed(
                    "prestij GESTIP delivery (retried next cycle)",
                    &format!("insurer {}: {e}", ins.code),
                );
            }
            if let Some(sftp) = &p.sftp {
                let link = links.entry(ins.code.clone()).or_default();
                link.sync(&journal, &ins.code, sftp, &folders, perms).await;
            }
            scan_inbound(&journal, &ins.code, &folders, perms, &insurer_wake).await;
        }
        let _ = journal
            .write(|c| super::check_arl_deadlines(c, chrono::Utc::now()))
            .await;
        PRESTIJ_CYCLES.inc();
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(SCAN_EVERY) => {}
        }
    }
}

async fn build(
    journal: &Journal,
    code: &str,
    name: &str,
    p: &PrestijConfig,
) -> Result<Option<String>, crate::journal::JournalError> {
    let (code, name, key) = (code.to_string(), name.to_string(), p.access_key.clone());
    let flow = journal
        .write(move |c| {
            super::build_flow(
                c,
                &super::Sender {
                    code: &code,
                    name: &name,
                    access_key: &key,
                },
                chrono::Utc::now(),
            )
        })
        .await?;
    if let Some(f) = &flow {
        tracing::info!(flow = %f, "prestij: GESTIP built");
    }
    Ok(flow)
}

async fn deliver(
    journal: &Journal,
    code: &str,
    p: &PrestijConfig,
    folders: &Folders,
    perms: Perms,
) -> Result<(), WorkerError> {
    let c = code.to_string();
    let flows = journal
        .read(move |conn| super::undelivered(conn, &c))
        .await?;
    for (flow_id, body) in flows {
        let dest = folders.out.join(format!("{flow_id}.xml"));
        fsio::write_atomic(&dest, &body, perms).map_err(|source| WorkerError::Write {
            path: dest.clone(),
            source,
        })?;
        let deadline = p.arl_deadline;
        let f = flow_id.clone();
        journal
            .write(move |conn| super::mark_delivered(conn, &f, chrono::Utc::now(), deadline))
            .await?;
        PRESTIJ_FILES.inc("gestip_sent");
        tracing::info!(flow = %flow_id, "prestij: GESTIP delivered");
    }
    Ok(())
}

/// Why a pass of the worker left something for the next pass (the file stays in place, the
/// flow stays undelivered): each names what failed.
#[derive(Debug, thiserror::Error)]
enum WorkerError {
    #[error("journal: {0}")]
    Journal(#[from] crate::journal::JournalError),
    #[error("{path}: cannot write: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: cannot move: {source}")]
    Move {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read: {0}")]
    Read(#[from] fsio::ReadRefused),
}

/// Why an input file is not a Prest'IJ answer or BPIJ (the file is moved aside with it).
#[derive(Debug, thiserror::Error)]
enum Unreadable {
    #[error(transparent)]
    Xml(#[from] xml_tree::XmlError),
    #[error(transparent)]
    Bpij(#[from] crate::formats::bpij::BpijError),
    #[error(transparent)]
    Gestip(#[from] gestip::GestipError),
}

/// What one input file turned out to be.
enum Input {
    Answer(gestip::Answer),
    Bpij { siret: String },
}

fn classify(bytes: &[u8]) -> Result<Input, Unreadable> {
    let root = xml_tree::parse(bytes)?;
    if root.name == "BPIJ" {
        let b = Bpij::parse(bytes)?;
        return Ok(Input::Bpij {
            siret: b.declarant_siret,
        });
    }
    Ok(gestip::read_answer(bytes).map(Input::Answer)?)
}

async fn scan_inbound(
    journal: &Journal,
    code: &str,
    folders: &Folders,
    perms: Perms,
    insurer_wake: &Notify,
) {
    let Ok(rd) = std::fs::read_dir(&folders.inbound) else {
        return;
    };
    let mut names: Vec<String> = rd
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !crate::fsio::ignored(n))
        .collect();
    names.sort();
    for name in names {
        let path = folders.inbound.join(&name);
        if let Err(e) = take(journal, code, folders, perms, &path, &name, insurer_wake).await {
            PRESTIJ_FILES.inc("failed");
            crate::internal_events::worker_step_failed(
                "prestij input (left in place, retried)",
                &format!("{name}: {e}"),
            );
        }
    }
}

async fn take(
    journal: &Journal,
    code: &str,
    folders: &Folders,
    perms: Perms,
    path: &Path,
    name: &str,
    insurer_wake: &Notify,
) -> Result<(), WorkerError> {
    let bytes = fsio::read_regular(path, MAX_FILE)?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let code = code.to_string();
    match classify(&bytes) {
        Ok(Input::Answer(a)) => {
            let applied = journal
                .write(move |c| super::apply_answer(c, &a, &now()))
                .await?;
            tracing::info!(file = %name, ?applied, "prestij: answer applied");
            PRESTIJ_FILES.inc("answer");
        }
        Ok(Input::Bpij { siret }) => {
            // ref = content hash: the same slip under two file names is stored once, and
            // the dispatch skips bytes already received from the API DSN (same SHA-256).
            let id = journal
                .write(move |c| {
                    c.execute(
                        "INSERT OR IGNORE INTO bpij (source, ref, sha256, siret, xml, fetched_at) VALUES ('prestij', ?1, ?2, ?3, ?4, ?5)",
                        rusqlite::params![format!("prestij:{sha}"), sha, siret, bytes, now()],
                    )?;
                    Ok(c.query_row("SELECT id FROM bpij WHERE sha256 = ?1 ORDER BY id LIMIT 1", [&sha], |r| r.get::<_, i64>(0))?)
                })
                .await?;
            insurer_wake.notify_one();
            tracing::info!(file = %name, bpij = id, "prestij: BPIJ stored");
            PRESTIJ_FILES.inc("bpij");
        }
        Err(reason) => {
            let reason = reason.to_string();
            let report = serde_json::json!({
                "file": name,
                "input_sha256": sha,
                "errors": [{"field": "file", "reason": crate::model::validate::excerpt(&reason, 300)}],
            });
            let body = serde_json::to_vec_pretty(&report).unwrap_or_default();
            let report_path = folders.rejected.join(format!("{name}.errors.json"));
            fsio::write_atomic(&report_path, &body, perms).map_err(|source| {
                WorkerError::Write {
                    path: report_path.clone(),
                    source,
                }
            })?;
            let (n, r, s) = (name.to_string(), reason.clone(), sha.clone());
            journal
                .write(move |c| {
                    // Once per file content: a crash before the move below replays this.
                    let seen: bool = c
                        .prepare_cached("SELECT 1 FROM insurer_events WHERE kind = ?1 AND detail LIKE ?2")?
                        .query_row(rusqlite::params![super::EV_BAD_FILE, format!("%{s}%")], |_| Ok(()))
                        .is_ok();
                    if seen {
                        return Ok(0);
                    }
                    let detail = serde_json::json!({"file": n, "sha256": s, "reason": crate::model::validate::excerpt(&r, 300)});
                    events::record(c, super::EV_BAD_FILE, Some(&code), None, None, &detail, &now())
                })
                .await?;
            crate::internal_events::unreadable_input("prestij input (moved aside)", &name, &reason);
            PRESTIJ_FILES.inc("rejected");
            let dest = fsio::free_name(&folders.rejected, name);
            return fsio::move_durable(path, &dest).map_err(|source| WorkerError::Move {
                path: path.to_path_buf(),
                source,
            });
        }
    }
    let dest = fsio::free_name(&folders.archive, name);
    fsio::move_durable(path, &dest).map_err(|source| WorkerError::Move {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn sftp_retries_back_off_to_five_minutes() {
        use std::time::Duration;
        assert_eq!(super::sftp_retry_delay(1), Duration::from_secs(1));
        assert_eq!(super::sftp_retry_delay(4), Duration::from_secs(8));
        assert_eq!(super::sftp_retry_delay(30), Duration::from_secs(300));
    }
}
