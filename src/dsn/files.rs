//! The file edge of the `dsn` module: fiches and DSN files read from disk, CRM, calls and
//! reports written (temp name, fsync, rename). Shared by the CLI (`dsn::cli`) and the daemon's
//! `spool/inbound/dsn/` door (`channels::dsn_spool`, through [`process_file`]), so that the
//! door does not import the CLI (docs/ARCHITECTURE.md).

use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};

use chrono::{Local, NaiveDate};

use crate::dsn::analyze::{Analysis, AnalyzeOptions, analyze_named};
use crate::dsn::calls::{to_csv, to_html, to_json};
use crate::dsn::checks::{AffiliatedSnapshot, fiche_for};
use crate::dsn::crm::{CrmContext, crm_xml};
use crate::dsn::fiche::Fiche;

/// Why a file could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum DsnError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: cannot write: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Fiche(#[from] crate::dsn::fiche::FicheError),
}

/// Reads fiches from files.
pub fn load_fiches(paths: &[PathBuf]) -> Result<Vec<Fiche>, DsnError> {
    paths
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).map_err(|source| DsnError::Read {
                path: p.clone(),
                source,
            })?;
            Ok(Fiche::parse(&p.display().to_string(), &bytes)?)
        })
        .collect()
}

pub fn analyze_path(
    path: &Path,
    fiches: &[Fiche],
    previous: &[AffiliatedSnapshot],
    keep_snapshots: bool,
    on_decl: impl FnMut(&crate::dsn::model::Declaration, &[crate::dsn::checks::Anomaly]),
) -> Result<Analysis, DsnError> {
    let name = path.display().to_string();
    let opts = AnalyzeOptions {
        keep_snapshots,
        ..AnalyzeOptions::default()
    };
    let file = File::open(path).map_err(|source| DsnError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    // A progress bar only for people watching a terminal, and only when it is worth it.
    let bar = (std::io::stderr().is_terminal() && len > 32 << 20).then(|| {
        let pb = indicatif::ProgressBar::new(len);
        pb.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        pb.set_message(path.display().to_string());
        pb
    });
    let res = match &bar {
        Some(pb) => analyze_named(
            BufReader::new(pb.wrap_read(file)),
            &name,
            fiches,
            opts,
            previous,
            on_decl,
        ),
        None => analyze_named(file, &name, fiches, opts, previous, on_decl),
    };
    if let Some(pb) = bar {
        pb.finish_and_clear();
    }
    res.map_err(|source| DsnError::Read {
        path: path.to_path_buf(),
        source,
    })
}

pub fn crm_context(fiche: Option<&Fiche>, mail: &str) -> CrmContext {
    CrmContext {
        producer_code: fiche.map(|f| f.producer.code.clone()),
        producer_name: fiche
            .and_then(|f| f.producer.name.clone())
            .unwrap_or_else(|| "ORGANISME".to_string()),
        contact_name: "Service DSN".to_string(),
        contact_mail: mail.to_string(),
        contact_tel: None,
        now: Local::now().naive_local(),
    }
}

/// Writes `bytes` to `dir/name` through a temporary file and a rename.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, DsnError> {
    // One durable-write routine for the whole product (temp name, fsync, rename, fsync dir).
    let path = dir.join(name);
    crate::fsio::write_atomic(&path, bytes, crate::fsio::Perms::PRIVATE).map_err(|source| {
        DsnError::Write {
            path: path.clone(),
            source,
        }
    })?;
    Ok(path)
}

/// What [`process_file`] produced.
#[derive(Debug, serde::Serialize)]
pub struct ProcessReport {
    pub file: PathBuf,
    pub declarations: usize,
    pub codec_errors: u64,
    pub anomalies: usize,
    pub blocking: usize,
    pub written: Vec<PathBuf>,
    /// The stoppages of the lot (full NIR inside: never serialised), for the journal check.
    #[serde(skip)]
    pub stoppages: Vec<crate::dsn::model::StoppageRef>,
    /// The declared months.
    #[serde(skip)]
    pub months: Vec<chrono::NaiveDate>,
    /// (SIRET, month) of every establishment declared, for the MDSN01 check.
    pub received: Vec<(String, NaiveDate)>,
}

/// (SIRET, month) of every establishment of the analysed declarations.
pub fn received(a: &Analysis) -> Vec<(String, NaiveDate)> {
    a.declarations
        .iter()
        .filter_map(|d| d.month.map(|m| (d, m)))
        .flat_map(|(d, m)| d.establishments.iter().map(move |s| (s.clone(), m)))
        .collect()
}

/// Daemon entry: analyses one DSN file against `fiches` and writes into `out_dir` one CRM per
/// declaration (`<stem>-<n>.crm.xml`), the calls (`<stem>.calls.json/.csv/.html`) and the full
/// report (`<stem>.report.json`).
pub fn process_file(
    path: &Path,
    fiches: &[Fiche],
    out_dir: &Path,
) -> Result<ProcessReport, DsnError> {
    std::fs::create_dir_all(out_dir).map_err(|source| DsnError::Write {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let stem = path
        .file_stem()
        .map_or_else(|| "dsn".to_string(), |s| s.to_string_lossy().into_owned());
    let mut crms = Vec::new();
    let analysis = analyze_path(path, fiches, &[], false, |d, a| {
        let fiche = fiche_for(d, fiches);
        crms.push(crm_xml(
            d,
            a,
            fiche,
            &crm_context(fiche, "dsn@organisme.fr"),
        ));
    })?;
    let mut written = Vec::new();
    for (n, xml) in crms.iter().enumerate() {
        written.push(write_atomic(
            out_dir,
            &format!("{stem}-{}.crm.xml", n + 1),
            xml,
        )?);
    }
    let lines = analysis.calls.lines();
    written.push(write_atomic(
        out_dir,
        &format!("{stem}.calls.json"),
        &to_json(&lines),
    )?);
    written.push(write_atomic(
        out_dir,
        &format!("{stem}.calls.csv"),
        &to_csv(&lines),
    )?);
    written.push(write_atomic(
        out_dir,
        &format!("{stem}.calls.html"),
        &to_html(&lines, Local::now().date_naive()),
    )?);
    written.push(write_atomic(
        out_dir,
        &format!("{stem}.report.json"),
        &serde_json::to_vec_pretty(&analysis).unwrap_or_default(),
    )?);
    Ok(ProcessReport {
        file: path.to_path_buf(),
        declarations: analysis.declarations.len(),
        codec_errors: analysis.stats.errors,
        anomalies: analysis.anomaly_count,
        blocking: analysis.blocking_count,
        written,
        months: analysis
            .declarations
            .iter()
            .filter_map(|d| d.month)
            .collect(),
        received: received(&analysis),
        stoppages: analysis.stoppages,
    })
}
