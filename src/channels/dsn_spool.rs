//! The insurer's DSN door: lots dropped in `spool/inbound/dsn/` are analysed (anomalies, one
//! CRM-OC per declaration, contribution calls) into `spool/outbound/insurer/calls/`, then moved
//! to `archive/dsn/` (or `rejected/dsn/` with `<name>.errors.json` when unreadable).
//!
//! Lots are large and arrive by copy from the net-entreprises restitution: a file is taken
//! once its size and mtime are stable for `settle_time` across rescans. The analysis streams the
//! file (flat memory) on a blocking thread.
//!
//! Daily check MDSN01 (once per day, and at start): each lot leaves `<stem>.received.json`
//! (SIRET and month of every declaration) beside its calls; once `[dsn] due_day` of a month
//! has passed, the establishments of the fiches with no DSN for the previous month are
//! reported the way the door reports its other findings: a file in
//! `outbound/insurer/calls/` (`missing-declarations-YYYY-MM.json`, written once per month),
//! a warning in the log and the counter `ijgate_dsn_missing_declarations_total`; each is also
//! recorded in the journal (`journal::dsn_door`) as an alert mailed by the alerts subsystem,
//! resolved when that DSN is taken.
//!
//! Month to month: with the journal, each lot's declarations are compared with the previous
//! month's snapshot of their establishment kept in the journal (`journal::dsn_door`), findings
//! written to `<stem>.manques.json`; the lot is then taken — recorded by content hash, its
//! snapshots replaced — in one journal transaction, before it is archived. Prest'IJ enrolment
//! from the lot's affiliations (`engine::prestij::affiliations::on_dsn_lot`) runs before, in
//! its own transaction, reading the lot in one streaming pass of its own. A lot whose hash is already taken is archived without a second reading.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};
use tokio_util::sync::CancellationToken;

use super::spool::ignored;
use crate::dsn::journal_check::{JournalStoppage, cross_check};
use crate::fsio::{self, Perms};
use crate::journal::Journal;

/// Folders of the DSN door.
#[derive(Debug, Clone)]
pub struct DsnDirs {
    pub inbound: PathBuf,
    pub archive: PathBuf,
    pub rejected: PathBuf,
    pub calls: PathBuf,
}

impl DsnDirs {
    pub fn new(spool: &Path) -> DsnDirs {
        DsnDirs {
            inbound: spool.join("inbound/dsn"),
            archive: spool.join("archive/dsn"),
            rejected: spool.join("rejected/dsn"),
            calls: spool.join("outbound/insurer/calls"),
        }
    }

    pub fn prepare(&self, perms: Perms) -> std::io::Result<()> {
        for d in [&self.inbound, &self.archive, &self.rejected, &self.calls] {
            fsio::ensure_dir(d, perms)?;
        }
        Ok(())
    }
}

/// The arrêts of the journal, for the DSN ↔ journal check.
fn journal_stoppages(journal: &Journal) -> Vec<JournalStoppage> {
    let r = journal.read_blocking(|c| {
        let mut stmt = c.prepare(
            "SELECT id, hr_ref, siret, nir, payload FROM declarations WHERE event = 'arret' AND state != 'cancelled'",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    });
    r.unwrap_or_default()
        .into_iter()
        .filter_map(|(id, hr_ref, siret, nir, payload)| {
            let s: crate::model::Stoppage = serde_json::from_str(&payload).ok()?;
            Some(JournalStoppage {
                declaration_id: id,
                hr_ref,
                siret,
                nir,
                last_day_worked: s.last_day_worked?,
                end: s.return_date.and_then(|r| r.pred_opt()).or(s.expected_end),
            })
        })
        .collect()
}

/// Processes one lot; returns where the lot went. With a journal (the daemon runs both
/// roles), the lot's stoppages are also checked against the declarations
/// (`<stem>.journal-check.json`).
pub fn process_one(
    dirs: &DsnDirs,
    fiches: &[PathBuf],
    path: &Path,
    perms: Perms,
    journal: Option<&Journal>,
) -> std::io::Result<PathBuf> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("lot.dsn")
        .to_string();
    // Only a regular file is analysed: a symlink, FIFO, device or folder is moved aside
    // unread with a report naming what it is (issue 17).
    if let Err(fsio::ReadRefused::NotRegular(kind)) = fsio::open_regular(path) {
        crate::internal_events::entry_refused("dsn", &name, kind.describe());
        let reason = fsio::ReadRefused::NotRegular(kind).to_string();
        let report = serde_json::json!({ "file": name, "errors": [reason] });
        let rep = fsio::free_name(&dirs.rejected, &format!("{name}.errors.json"));
        fsio::write_atomic(
            &rep,
            &serde_json::to_vec_pretty(&report).unwrap_or_default(),
            perms,
        )?;
        let dest = fsio::free_name(&dirs.rejected, &name);
        fsio::move_durable(path, &dest)?;
        return Ok(dest);
    }
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for f in fiches {
        match std::fs::read(f).map_err(|e| e.to_string()).and_then(|b| {
            crate::dsn::fiche::Fiche::parse(&f.display().to_string(), &b).map_err(|e| e.to_string())
        }) {
            Ok(fiche) => loaded.push(fiche),
            Err(e) => errors.push(format!("fiche {}: {e}", f.display())),
        }
    }
    // A lot already taken (read again after a crash before it was archived, or dropped
    // twice): archived as is; its outputs were written the first time, and it is neither
    // compared nor counted again.
    let sha256 = match journal {
        Some(j) => {
            let sha = fsio_sha256(path)?;
            let s = sha.clone();
            let taken = j
                .read_blocking(move |c| crate::journal::dsn_door::lot_taken(c, &s))
                .map_err(std::io::Error::other)?;
            if let Some(at) = taken {
                tracing::info!(file = %name, taken_at = %at, "dsn: lot already taken, archived without a second reading");
                let dest = fsio::free_name(&dirs.archive, &name);
                fsio::move_spool_file(path, &dest, perms)?;
                return Ok(dest);
            }
            Some(sha)
        }
        None => None,
    };
    let load = |d: &crate::dsn::model::Declaration| match journal {
        Some(j) => j
            .read_blocking(|c| crate::journal::dsn_door::previous_of(c, d))
            .map_err(|e| e.to_string()),
        None => Ok(Vec::new()),
    };
    let door = crate::dsn::files::DoorInput {
        name: &name,
        previous: if journal.is_some() {
            crate::dsn::analyze::Previous::Loaded(&load)
        } else {
            crate::dsn::analyze::Previous::Given(&[])
        },
        on_individual: None,
    };
    match crate::dsn::files::process_file_with(path, &loaded, &dirs.calls, door) {
        Ok(report) if report.previous_error.is_some() => {
            // The comparison would be incomplete: the lot stays in inbound/ and is read again.
            Err(std::io::Error::other(format!(
                "previous month's snapshots unreadable: {}",
                report.previous_error.unwrap_or_default()
            )))
        }
        Ok(report) => {
            tracing::info!(
                file = %name, declarations = report.declarations, anomalies = report.anomalies,
                blocking = report.blocking, codec_errors = report.codec_errors, "dsn: lot analysed"
            );
            if !errors.is_empty() {
                crate::internal_events::config_file_unusable(
                    &"dsn.fiches",
                    &errors.join("; "),
                    "calls are incomplete",
                );
            }
            // What was received, for the daily MDSN01 check (survives restarts).
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("lot");
            fsio::write_atomic(
                &dirs.calls.join(format!("{stem}.received.json")),
                &serde_json::to_vec(&report.received).unwrap_or_default(),
                perms,
            )?;
            if let Some(j) = journal {
                let findings =
                    cross_check(&report.stoppages, &journal_stoppages(j), &report.months);
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("lot");
                let body = serde_json::json!({ "file": name, "findings": findings });
                let out = dirs.calls.join(format!("{stem}.journal-check.json"));
                fsio::write_atomic(
                    &out,
                    &serde_json::to_vec_pretty(&body).unwrap_or_default(),
                    perms,
                )?;
                if !findings.is_empty() {
                    tracing::warn!(file = %name, findings = findings.len(), "dsn: stoppages differ between the DSN and the journal");
                }
            }
            if let (Some(j), Some(sha256)) = (journal, sha256) {
                take(j, &name, sha256, report)?;
            }
            let dest = fsio::free_name(&dirs.archive, &name);
            fsio::move_spool_file(path, &dest, perms)?;
            Ok(dest)
        }
        Err(e) => {
            crate::internal_events::unreadable_input("dsn lot", &name, &e);
            errors.push(e.to_string());
            let report = serde_json::json!({ "file": name, "errors": errors });
            let rep = fsio::free_name(&dirs.rejected, &format!("{name}.errors.json"));
            fsio::write_atomic(
                &rep,
                &serde_json::to_vec_pretty(&report).unwrap_or_default(),
                perms,
            )?;
            let dest = rep.with_file_name(
                rep.file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.strip_suffix(".errors.json"))
                    .unwrap_or(&name),
            );
            fsio::move_spool_file(path, &dest, perms)?;
            Ok(dest)
        }
    }
}

/// SHA-256 of a file, read in blocks (a lot can be gigabytes).
fn fsio_sha256(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Takes an analysed lot in one journal transaction: the lot recorded, its establishments'
/// snapshots replaced and their MDSN01 resolved. Only then are its month-to-month findings
/// logged and counted (once: a lot already taken changes nothing).
fn take(
    journal: &Journal,
    name: &str,
    sha256: String,
    report: crate::dsn::files::ProcessReport,
) -> std::io::Result<()> {
    let findings = report.month_to_month;
    let lot = crate::journal::dsn_door::TakenLot {
        sha256,
        name: name.to_string(),
        declarations: report.declarations,
        findings: findings.len(),
        adhesions: report.adhesions,
        snapshots: report.snapshots,
        received: report.received,
    };
    let at = crate::journal::now();
    let new = journal
        .write_blocking(move |c| crate::journal::dsn_door::take_lot(c, &lot, &at))
        .map_err(std::io::Error::other)?;
    if new {
        for f in &findings {
            crate::metrics::dsn_month_to_month(f.check.unwrap_or(f.code));
        }
        if !findings.is_empty() {
            tracing::warn!(file = %name, findings = findings.len(), "dsn: month-to-month findings (MSAL01/MCTR01/MAFF01/MCOT01), see <stem>.manques.json");
        }
    }
    Ok(())
}

/// The daily MDSN01 check on `today`: the establishments of `fiches` with no DSN received for
/// the previous month once its due day has passed. Findings are recorded once per month in
/// `calls/missing-declarations-YYYY-MM.json` (and logged and counted then); returns them.
pub fn check_missing_declarations(
    dirs: &DsnDirs,
    fiches: &[PathBuf],
    due_day: u32,
    today: chrono::NaiveDate,
    perms: Perms,
    journal: Option<&Journal>,
) -> std::io::Result<Vec<crate::dsn::checks::Anomaly>> {
    use chrono::Datelike;
    let Some(month) = today
        .with_day(1)
        .and_then(|d| d.checked_sub_months(chrono::Months::new(1)))
    else {
        return Ok(Vec::new());
    };
    let loaded: Vec<_> = fiches
        .iter()
        .filter_map(|f| {
            let b = std::fs::read(f).ok()?;
            crate::dsn::fiche::Fiche::parse(&f.display().to_string(), &b).ok()
        })
        .collect();
    let mut received: Vec<(String, chrono::NaiveDate)> = Vec::new();
    for e in std::fs::read_dir(&dirs.calls)?.flatten() {
        let p = e.path();
        if p.to_str().is_some_and(|n| n.ends_with(".received.json"))
            && let Ok(b) = std::fs::read(&p)
            && let Ok(mut v) = serde_json::from_slice::<Vec<(String, chrono::NaiveDate)>>(&b)
        {
            received.append(&mut v);
        }
    }
    let found =
        crate::dsn::manques::missing_declarations(&loaded, &received, month, today, due_day);
    // Each one is an alert (mailed by the alerts subsystem) until its DSN arrives. Only once
    // the due day has passed: before it, nothing is known missing (and nothing resolved).
    if let Some(j) = journal
        && today > crate::dsn::manques::due_date(month, due_day)
    {
        let rows: Vec<(String, String)> = found
            .iter()
            .map(|f| (f.siret.clone(), f.message.clone()))
            .collect();
        let due = crate::dsn::manques::due_date(month, due_day);
        let at = crate::journal::now();
        j.write_blocking(move |c| {
            crate::journal::dsn_door::record_missing(c, month, due, &rows, &at)
        })
        .map_err(std::io::Error::other)?;
    }
    let out = dirs.calls.join(format!(
        "missing-declarations-{}.json",
        month.format("%Y-%m")
    ));
    if !found.is_empty() && !out.exists() {
        let body = serde_json::json!({
            "check": "MDSN01",
            "month": month.format("%Y-%m").to_string(),
            "due": crate::dsn::manques::due_date(month, due_day),
            "findings": &found,
        });
        fsio::write_atomic(
            &out,
            &serde_json::to_vec_pretty(&body).unwrap_or_default(),
            perms,
        )?;
        for f in &found {
            crate::metrics::dsn_declaration_missing(&f.siret, &month.format("%Y-%m").to_string());
        }
    }
    Ok(found)
}

/// Mails the calls of a lot to the company contacts, when configured. The files stay in
/// outbound/insurer/calls/ whatever happens: a failed mail is logged, not retried.
async fn mail_calls(cfg: &crate::config::Config, dirs: &DsnDirs, stem: &str) {
    if cfg.dsn.calls_to.is_empty() || !cfg.smtp.enabled() {
        return;
    }
    let mut attachments = Vec::new();
    for (ext, ct) in [
        ("calls.html", "text/html; charset=utf-8"),
        ("calls.csv", "text/csv; charset=utf-8"),
    ] {
        let name = format!("{stem}.{ext}");
        if let Ok(body) = std::fs::read(dirs.calls.join(&name)) {
            attachments.push(crate::channels::mailer::Attachment {
                name,
                content_type: ct.into(),
                body,
            });
        }
    }
    let mail = crate::channels::mailer::Mail {
        from: String::new(),
        to: cfg.dsn.calls_to.clone(),
        subject: format!("Appel de cotisations prévoyance — {stem}"),
        text: format!(
            "Bonjour,\n\nVeuillez trouver ci-joint l'appel de cotisations établi à partir de la DSN {stem} \
             (cotisations attendues, déclarées, versées et solde dû).\n"
        ),
    };
    let sent = match crate::channels::mailer::Mailer::new(&cfg.smtp) {
        Ok(m) => m.send_with(&mail, &attachments).await,
        Err(e) => Err(e),
    };
    match sent {
        Ok(()) => {
            tracing::info!(lot = stem, to = ?cfg.dsn.calls_to, "dsn: contribution calls mailed")
        }
        Err(e) => crate::internal_events::peer_call_failed(
            "smtp",
            "calls_not_mailed",
            &format!("lot {stem} (files are in outbound/insurer/calls): {e}"),
        ),
    }
}

/// Rescans `inbound/dsn/` until cancelled.
/// The fiches, settle time and mail recipients are read from `config` at each pass, so a
/// reload applies to the next lot.
pub async fn run(
    dirs: DsnDirs,
    perms: Perms,
    journal: Journal,
    config: std::sync::Arc<arc_swap::ArcSwap<crate::config::Config>>,
    stop: CancellationToken,
) {
    let mut seen: HashMap<PathBuf, (u64, Option<SystemTime>, Instant)> = HashMap::new();
    let mut checked_on: Option<chrono::NaiveDate> = None;
    loop {
        let cfg = config.load_full();
        let today = chrono::Local::now().date_naive();
        if checked_on != Some(today) {
            checked_on = Some(today);
            let (d, f, due) = (dirs.clone(), cfg.dsn.fiches.clone(), cfg.dsn.due_day);
            let j = journal.clone();
            let r = tokio::task::spawn_blocking(move || {
                check_missing_declarations(&d, &f, due, today, perms, Some(&j))
            })
            .await;
            if let Ok(Err(e)) = r {
                crate::internal_events::worker_step_failed("dsn_mdsn01", &e);
            }
        }
        let settle = cfg.dsn.settle_time;
        let fiches = cfg.dsn.fiches.clone();
        let tick = cfg
            .spool
            .rescan_interval
            .min(settle.max(Duration::from_millis(100)));
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = stop.cancelled() => return,
        }
        let Ok(rd) = std::fs::read_dir(&dirs.inbound) else {
            continue;
        };
        let mut ready = Vec::new();
        let now = Instant::now();
        let mut present = Vec::new();
        for e in rd.flatten() {
            let p = e.path();
            let Some(n) = p.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Ok(meta) = e.metadata() else { continue };
            // Non-regular entries are taken too, to be moved aside unread.
            if ignored(n) {
                continue;
            }
            present.push(p.clone());
            let sig = (meta.len(), meta.modified().ok());
            let entry = seen.entry(p.clone()).or_insert((sig.0, sig.1, now));
            if (entry.0, entry.1) != sig {
                *entry = (sig.0, sig.1, now);
            } else if now.duration_since(entry.2) >= settle {
                ready.push(p);
            }
        }
        seen.retain(|p, _| present.contains(p));
        for p in ready {
            seen.remove(&p);
            let (d, f, j, c) = (dirs.clone(), fiches.clone(), journal.clone(), cfg.clone());
            let stem = p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("lot")
                .to_string();
            let r = tokio::task::spawn_blocking(move || {
                // Prest'IJ enrolments from the lot's affiliations, journaled before the move.
                crate::engine::prestij::affiliations::on_dsn_lot(&j, &c.insurers, &p)?;
                process_one(&d, &f, &p, perms, Some(&j))
            })
            .await;
            if let Ok(Ok(dest)) = &r
                && dest.starts_with(&dirs.archive)
            {
                mail_calls(&config.load_full(), &dirs, &stem).await;
            }
            if let Ok(Err(e)) = r {
                // Not taken (journal unavailable, previous month unreadable, or the move
                // failed): the lot stays in inbound/dsn/ and is read again (counted).
                crate::internal_events::worker_step_failed("dsn_door", &e);
            }
        }
    }
}
