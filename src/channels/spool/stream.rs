//! The HR CSV door for files of any size: a file is read as a stream and journaled in
//! bounded batches (`spool.batch_rows` records per commit), never held whole in memory
//! (issue 17: a 100k-row CSV took the daemon from 16 to 543 MiB).
//!
//! Reading: one pass computes the content hash (the input's key) and the encoding verdict
//! piece by piece; a second pass reads records and sends them to the journal batch by batch;
//! after the last commit the report comes from the journal, and a third pass copies the bad
//! records' own bytes to `rejected/<name>`.
//!
//! Crash reasoning: every batch commits with the file's checkpoint (`inputs.records_done`,
//! `complete`). After a kill, the file is still in `inbound/`; at restart the reader skips the
//! records the checkpoint counts and journals the rest, so no row is lost or journaled twice.
//! The file is answered (archived, or rejected with its report) only after the batch that
//! completes it, and the report is read back from the journal, so it is the same whether the
//! file went through in one run or across a crash.

use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

use super::{SpoolDirs, SpoolError, io_err};
use crate::config::HrClient;
use crate::engine::ingest::{
    Batch, Engine, FileOutcome, InputMeta, ingest_batch_blocking, input_outcome_blocking,
};
use crate::formats::hr_csv::{CsvStream, Sniffer, extract_records};
use crate::fsio::{self, EntryKind, Perms};
use crate::journal::store;

/// Pieces the first pass reads at a time.
const PIECE: usize = 64 * 1024;

/// True for the names this door streams (the extensions `parse_input` reads as CSV).
pub fn streams(name: &str) -> bool {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    matches!(ext.as_str(), "csv" | "txt")
}

/// How a streamed file ended.
pub(super) enum Streamed {
    /// Journaled and answered.
    Done,
    /// Not a regular file after all (swapped after the check): to be moved aside unread.
    Refused(EntryKind),
    /// Over `spool.max_file_size`: the door's general path refuses it.
    TooLarge,
    /// The daemon is stopping: left in `inbound/` between two batches, resumed at next start.
    Stopped,
}

/// What the stream needs, owned, for its blocking thread.
pub(super) struct Job {
    pub engine: Engine,
    pub dirs: SpoolDirs,
    pub perms: Perms,
    pub max_file_size: u64,
    pub batch_rows: usize,
    pub stop: CancellationToken,
    pub path: PathBuf,
    pub name: String,
}

/// Journals one CSV file in batches, then answers it. Runs on a blocking thread: the journal's
/// blocking writes are awaited one batch at a time.
pub(super) fn run(job: Job) -> Result<Streamed, SpoolError> {
    let Job {
        engine,
        dirs,
        perms,
        max_file_size,
        batch_rows,
        stop,
        path,
        name,
    } = job;
    let cfg = engine.config.load_full();
    let client: Option<HrClient> = cfg.client_for_file(&name).cloned();
    let csv_opts = client.as_ref().map(|c| c.csv_options()).unwrap_or_default();
    let file = match fsio::open_regular(&path) {
        Ok(f) => f,
        Err(fsio::ReadRefused::NotRegular(kind)) => return Ok(Streamed::Refused(kind)),
        Err(fsio::ReadRefused::TooLarge(..)) => return Ok(Streamed::TooLarge),
        Err(fsio::ReadRefused::Io(e)) => return Err(io_err(&path)(e)),
    };
    if file.metadata().map_err(io_err(&path))?.len() > max_file_size {
        return Ok(Streamed::TooLarge);
    }

    // Pass 1: the content hash and the encoding verdict, a piece at a time.
    let mut sha = Sha256::new();
    let mut sniffer = Sniffer::new(csv_opts.encoding);
    let mut piece = vec![0u8; PIECE];
    let mut total = 0u64;
    let mut src = (&file).take(max_file_size.saturating_add(1));
    loop {
        let n = src.read(&mut piece).map_err(io_err(&path))?;
        if n == 0 {
            break;
        }
        sha.update(&piece[..n]);
        sniffer.feed(&piece[..n]);
        total += n as u64;
    }
    drop(piece);
    if total > max_file_size {
        return Ok(Streamed::TooLarge); // grew past the limit while we read it
    }
    let sha = hex::encode(sha.finalize());
    let meta = InputMeta {
        channel: "spool",
        name: name.clone(),
        sha256: Some(sha.clone()),
    };
    let key = sha.clone();
    let progress = engine
        .journal
        .read_blocking(move |c| store::input_progress(c, &key))?;

    let (id, replayed) = match progress {
        Some(p) if p.complete => (p.id, true),
        _ => {
            let done = progress.map_or(0, |p| p.records_done);
            if done > 0 {
                crate::metrics::spool_file("resumed");
                tracing::info!(file = %name, records_done = done, "spool: resuming a file after its last journaled batch");
            }
            // Pass 2: records, journaled batch by batch with the checkpoint.
            (&file).seek(SeekFrom::Start(0)).map_err(io_err(&path))?;
            let mut file_errors = Vec::new();
            let mut stream = match sniffer.finish() {
                Ok(cs) => Some(CsvStream::new(&file, cs, &csv_opts).map_err(io_err(&path))?),
                Err(e) => {
                    file_errors.push(e);
                    None
                }
            };
            let commit = |batch: Batch| -> Result<i64, SpoolError> {
                let id =
                    ingest_batch_blocking(&engine.journal, &cfg, client.as_ref(), &meta, batch)?;
                engine.outbox_wake.notify_one();
                engine.exchange_wake.notify_one();
                engine.insurer_wake.notify_one();
                Ok(id)
            };
            let mut index = 0u64;
            let mut batch = Batch {
                first: done,
                ..Batch::default()
            };
            while let Some(rec) = match stream.as_mut() {
                Some(s) => s.next_record().map_err(io_err(&path))?,
                None => None,
            } {
                index += 1;
                if index <= done {
                    continue; // journaled before a crash
                }
                batch.records.push(rec);
                if batch.records.len() >= batch_rows.max(1) {
                    let next = Batch {
                        first: index,
                        ..Batch::default()
                    };
                    commit(std::mem::replace(&mut batch, next))?;
                    if stop.is_cancelled() {
                        // A clean stop between two batches: the checkpoint says where to resume.
                        tracing::info!(file = %name, records_done = index, "spool: stopping mid-file; it resumes there at next start");
                        return Ok(Streamed::Stopped);
                    }
                }
            }
            if let Some(s) = stream {
                file_errors = s.file_errors;
            }
            batch.last = Some(file_errors);
            (commit(batch)?, false)
        }
    };

    // The report, as the journal has it, then the answer.
    let mut outcome = input_outcome_blocking(&engine.journal, id)?;
    outcome.replayed = replayed;
    tracing::info!(
        file = %name, accepted = outcome.accepted, rejected = outcome.rejected,
        file_errors = outcome.file_errors, replayed, "spool: file journaled"
    );
    let extract = |o: &FileOutcome, out: &mut dyn std::io::Write| -> std::io::Result<bool> {
        let mut src = &file;
        src.seek(SeekFrom::Start(0))?;
        extract_records(src, |at, len| read_at(&file, at, len), &o.bad_lines, out)?;
        Ok(true)
    };
    super::finish(
        &dirs,
        &path,
        &name,
        &sha,
        &outcome,
        Some(Box::new(extract)),
        perms,
    )?;
    Ok(Streamed::Done)
}

/// Up to `len` bytes of `file` at `at` (fewer at its end), without moving its offset.
fn read_at(file: &File, at: u64, len: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let mut got = 0;
    while got < len {
        match file.read_at(&mut buf[got..], at + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(got);
    Ok(buf)
}
