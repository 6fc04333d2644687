//! BPIJ files dropped in `spool/inbound/` (a Prest'IJ feed: the same XML as the API DSN,
//! extension `.xml`): stored in the `bpij` table (source "spool", ref = SHA-256 of the file)
//! in one journal commit, then archived; a file that is not a readable BPIJ goes to
//! `rejected/` with its `.errors.json`. The insurer worker dispatches it after the commit.
//!
//! Crash reasoning: the file leaves inbound/ only after the commit; replayed, the same SHA-256
//! hits the unique `ref` and nothing is stored twice.

use sha2::{Digest, Sha256};
use std::path::Path;

use crate::channels::spool::{SpoolDirs, SpoolError};
use crate::engine::ingest::Engine;
use crate::formats::bpij::Bpij;
use crate::fsio::{self, Perms};
use crate::journal::now;

/// Whether the spool hands this file to [`process`].
pub fn is_bpij_file(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".xml")
}

/// Stores, archives or rejects one BPIJ file.
pub async fn process(
    engine: &Engine,
    dirs: &SpoolDirs,
    perms: Perms,
    path: &Path,
    name: &str,
    bytes: Vec<u8>,
) -> Result<(), SpoolError> {
    let io = |source| SpoolError::Io {
        path: path.to_path_buf(),
        source,
    };
    let sha = hex::encode(Sha256::digest(&bytes));
    match Bpij::parse(&bytes) {
        Ok(b) => {
            let siret = b.declarant_siret.clone();
            let (s, x) = (sha.clone(), bytes.clone());
            let id = engine
                .journal
                .write(move |c| {
                    c.execute(
                        "INSERT OR IGNORE INTO bpij (source, ref, sha256, siret, xml, fetched_at) VALUES ('spool', ?1, ?1, ?2, ?3, ?4)",
                        rusqlite::params![s, siret, x, now()],
                    )?;
                    Ok(c.query_row("SELECT id FROM bpij WHERE ref = ?1", [&s], |r| r.get::<_, i64>(0))?)
                })
                .await?;
            engine.insurer_wake.notify_one();
            tracing::info!(file = %name, bpij = id, "spool: BPIJ stored");
            let dest = dirs.archive.join(format!("bpij{id:06}_{name}"));
            fsio::move_spool_file(path, &dest, perms).map_err(io)?;
            crate::metrics::spool_file("archived");
        }
        Err(e) => {
            crate::internal_events::unreadable_input("spool bpij", &name, &e);
            let body = serde_json::json!({
                "file": name,
                "input_sha256": sha,
                // A parser message may quote the file: bounded and escaped (issue 17).
                "errors": [{"field": "file", "reason": crate::model::validate::excerpt(&e.to_string(), 200)}],
            });
            let report = dirs.rejected.join(format!("{name}.errors.json"));
            let body = serde_json::to_vec_pretty(&body).unwrap_or_default();
            fsio::write_atomic(&report, &body, perms).map_err(io)?;
            fsio::move_spool_file(path, &dirs.rejected.join(name), perms).map_err(io)?;
            crate::metrics::spool_file("rejected");
        }
    }
    Ok(())
}
