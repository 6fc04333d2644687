//! The spool branch for `.pdf` files: `[<client spool_prefix>]<hr_ref>.<TYPE>.pdf`.
//!
//! Checked before anything is journaled; a refused file goes to rejected/ with a located
//! report `<name>.errors.json` (same shape as the CSV/JSON reports); an accepted one is
//! journaled for upload, then archived as `doc<id>_<name>`.

use std::path::Path;

use super::{DocumentError, check, find_declaration, parse_name, record};
use crate::channels::spool::{SpoolDirs, SpoolError, SpoolOptions};
use crate::engine::ingest::Engine;
use crate::fsio;
use crate::journal::now;
use crate::model::validate::{FieldError, Location};

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Whether the spool hands this file to [`process`].
pub fn is_document(name: &str) -> bool {
    name.len() > 4
        && name.is_char_boundary(name.len() - 4)
        && name[name.len() - 4..].eq_ignore_ascii_case(".pdf")
}

/// Processes one dropped PDF.
pub async fn process(
    engine: &Engine,
    dirs: &SpoolDirs,
    opts: &SpoolOptions,
    path: &Path,
    name: &str,
) -> Result<(), SpoolError> {
    let cfg = engine.config.load_full();
    let client = cfg.client_for_file(name).cloned();
    let sirets: Vec<String> = match &client {
        Some(c) => c.sirets.clone(),
        None => cfg.employers.iter().map(|e| e.siret.clone()).collect(),
    };
    let bare = client
        .as_ref()
        .and_then(|c| c.spool_prefix.as_deref())
        .and_then(|p| name.strip_prefix(p))
        .unwrap_or(name)
        .to_string();
    // Read through O_NOFOLLOW + fstat: only a regular file is ever read (issue 17).
    let p = path.to_path_buf();
    let read =
        tokio::task::spawn_blocking(move || crate::fsio::read_regular(&p, super::MAX_SIZE as u64))
            .await
            .map_err(|e| SpoolError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(e.to_string()),
            })?;
    let outcome: Result<(i64, bool), DocumentError> = match parse_name(&bare) {
        Err(e) => Err(e),
        Ok((hr_ref, doc_type)) => {
            let body = match read {
                Ok(b) => b,
                Err(crate::fsio::ReadRefused::TooLarge(size, _)) => {
                    return finish_blocking(
                        dirs,
                        path,
                        name,
                        Err(DocumentError::TooLarge {
                            size: usize::try_from(size).unwrap_or(usize::MAX),
                        }),
                        opts.perms,
                    )
                    .await;
                }
                Err(crate::fsio::ReadRefused::NotRegular(_)) => {
                    // Swapped after the spool's lstat: left for the next pass, which refuses it.
                    return Ok(());
                }
                Err(crate::fsio::ReadRefused::Io(e)) => return Err(io(path)(e)),
            };
            match check(&doc_type, &body) {
                Err(e) => Err(e),
                Ok(()) => {
                    let source = serde_json::json!({"channel": "spool", "name": name}).to_string();
                    let file = name.to_string();
                    engine
                        .journal
                        .write(move |c| {
                            let Some((decl, _)) = find_declaration(c, &hr_ref, &sirets)? else {
                                return Ok(Err(DocumentError::NoDeclaration(hr_ref)));
                            };
                            Ok(Ok(record(
                                c,
                                decl,
                                &doc_type,
                                &file,
                                &body,
                                &source,
                                &now(),
                            )?))
                        })
                        .await?
                }
            }
        }
    };
    finish_blocking(dirs, path, name, outcome, opts.perms).await
}

async fn finish_blocking(
    dirs: &SpoolDirs,
    path: &Path,
    name: &str,
    outcome: Result<(i64, bool), DocumentError>,
    perms: fsio::Perms,
) -> Result<(), SpoolError> {
    let (dirs, path, name) = (dirs.clone(), path.to_path_buf(), name.to_string());
    tokio::task::spawn_blocking(move || finish(&dirs, &path, &name, outcome, perms))
        .await
        .map_err(|e| SpoolError::Io {
            path: std::path::PathBuf::new(),
            source: std::io::Error::other(e.to_string()),
        })?
}

fn finish(
    dirs: &SpoolDirs,
    path: &Path,
    name: &str,
    outcome: Result<(i64, bool), DocumentError>,
    perms: fsio::Perms,
) -> Result<(), SpoolError> {
    match outcome {
        Ok((id, new)) => {
            tracing::info!(file = %name, document = id, new, "spool: supporting document journaled");
            let dest = dirs.archive.join(format!("doc{id:06}_{name}"));
            fsio::move_spool_file(path, &dest, perms).map_err(io(path))?;
            crate::metrics::spool_file("archived");
        }
        Err(e) => {
            crate::internal_events::unreadable_input("supporting document", &name, &e);
            let err = FieldError {
                location: Location::default(),
                field: e.field().into(),
                value: Some(name.to_string()),
                reason: e.to_string(),
            };
            let body = serde_json::json!({
                "file": name,
                "accepted": 0,
                "rejected": 1,
                "errors": [err],
            });
            let dest = crate::channels::spool::write_rejection_report(dirs, name, &body, perms)?;
            fsio::move_spool_file(path, &dest, perms).map_err(io(path))?;
            crate::metrics::spool_file("rejected");
        }
    }
    Ok(())
}
