//! The file edge of the `dsn` module: fiches and DSN files read from disk, CRM, calls and
//! reports written (temp name, fsync, rename). Shared by the CLI (`dsn::cli`) and the daemon's
//! `spool/inbound/dsn/` door (`channels::dsn_spool`, through [`process_file_with`]), so that the
//! door does not import the CLI (docs/ARCHITECTURE.md).

use std::fs::File;
use std::io::{BufReader, IsTerminal};
use std::path::{Path, PathBuf};

use chrono::{Local, NaiveDate};

use crate::dsn::analyze::{Analysis, AnalyzeOptions, OnIndividual, Previous, analyze_with};
use crate::dsn::calls::{to_csv, to_html, to_json};
use crate::dsn::checks::{AffiliatedSnapshot, fiche_for};
use crate::dsn::crm::{CrmContext, crm_xml};
use crate::dsn::fiche::Fiche;
use crate::dsn::manques::DeclaredAdhesions;

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
    analyze_path_with(
        path,
        &name,
        fiches,
        Previous::Given(previous),
        keep_snapshots,
        None,
        on_decl,
    )
}

fn analyze_path_with(
    path: &Path,
    name: &str,
    fiches: &[Fiche],
    previous: Previous<'_>,
    keep_snapshots: bool,
    on_individual: Option<OnIndividual<'_>>,
    on_decl: impl FnMut(&crate::dsn::model::Declaration, &[crate::dsn::checks::Anomaly]),
) -> Result<Analysis, DsnError> {
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
        Some(pb) => analyze_with(
            BufReader::new(pb.wrap_read(file)),
            name,
            fiches,
            opts,
            previous,
            on_individual,
            on_decl,
        ),
        None => analyze_with(file, name, fiches, opts, previous, on_individual, on_decl),
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
    /// Month-to-month findings (MSAL01, MCTR01, MAFF01, MCOT01), each located in this file and
    /// in the previous month's (also in the CRM and `<stem>.report.json`).
    #[serde(skip)]
    pub month_to_month: Vec<crate::dsn::checks::Anomaly>,
    /// Who was affiliated, per declaration (door: stored for next month's comparison).
    #[serde(skip)]
    pub snapshots: Vec<AffiliatedSnapshot>,
    /// Per declaration: (SIRET, month, the establishment's adhesions as (contract reference
    /// S21.G00.15.001, insurer S21.G00.15.002)).
    #[serde(skip)]
    pub adhesions: Vec<DeclaredAdhesions>,
    /// Why the previous month could not be loaded (the lot must be read again later).
    #[serde(skip)]
    pub previous_error: Option<String>,
}

/// What the daemon's DSN door adds to [`process_file`].
pub struct DoorInput<'a> {
    /// The lot's name, as written in findings and snapshots (not its spool path).
    pub name: &'a str,
    pub previous: Previous<'a>,
    pub on_individual: Option<OnIndividual<'a>>,
}

/// One month-to-month finding as `<stem>.manques.json` lists it: where it is in this file and
/// where it was in the previous month's, each naming its file.
#[derive(Debug, serde::Serialize)]
pub struct LocatedFinding<'a> {
    pub check: Option<&'static str>,
    pub code: &'static str,
    pub siret: &'a str,
    pub current: crate::dsn::checks::Located,
    pub rubric: Option<String>,
    pub previous: Option<&'a crate::dsn::checks::Located>,
    pub message: &'a str,
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
    let name = path.display().to_string();
    process_file_with(
        path,
        fiches,
        out_dir,
        DoorInput {
            name: &name,
            previous: Previous::Given(&[]),
            on_individual: None,
        },
    )
}

/// [`process_file`] for the daemon's door: the previous month comes from `door.previous`, each
/// individual goes to `door.on_individual`, the snapshots are kept in the report, and the
/// month-to-month findings are also written, located in both files, to `<stem>.manques.json`.
pub fn process_file_with(
    path: &Path,
    fiches: &[Fiche],
    out_dir: &Path,
    door: DoorInput<'_>,
) -> Result<ProcessReport, DsnError> {
    let loaded = matches!(door.previous, Previous::Loaded(_));
    std::fs::create_dir_all(out_dir).map_err(|source| DsnError::Write {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let stem = path
        .file_stem()
        .map_or_else(|| "dsn".to_string(), |s| s.to_string_lossy().into_owned());
    let mut crms = Vec::new();
    let mut adhesions = Vec::new();
    let analysis = analyze_path_with(
        path,
        door.name,
        fiches,
        door.previous,
        loaded,
        door.on_individual,
        |d, a| {
            if let Some(month) = d.month {
                for e in &d.establishments {
                    adhesions.push(DeclaredAdhesions {
                        siret: d.siret(e),
                        month,
                        contracts: e
                            .adhesions
                            .iter()
                            .map(|x| (x.contract_ref.clone(), x.organisme.clone()))
                            .collect(),
                    });
                }
            }
            let fiche = fiche_for(d, fiches);
            crms.push(crm_xml(
                d,
                a,
                fiche,
                &crm_context(fiche, "dsn@organisme.fr"),
            ));
        },
    )?;
    let month_to_month: Vec<_> = analysis
        .anomalies
        .iter()
        .filter(|a| a.previous.is_some())
        .cloned()
        .collect();
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
    if loaded {
        let listed: Vec<_> = month_to_month
            .iter()
            .map(|a| LocatedFinding {
                check: a.check,
                code: a.code,
                siret: &a.siret,
                current: crate::dsn::checks::Located {
                    file: door.name.to_string(),
                    line: a.line,
                },
                rubric: a.rubric.map(|r| r.to_string()),
                previous: a.previous.as_ref(),
                message: &a.message,
            })
            .collect();
        let body = serde_json::json!({ "file": door.name, "findings": listed });
        written.push(write_atomic(
            out_dir,
            &format!("{stem}.manques.json"),
            &serde_json::to_vec_pretty(&body).unwrap_or_default(),
        )?);
    }
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
        month_to_month,
        adhesions,
        previous_error: analysis.previous_error,
        snapshots: analysis.snapshots,
        stoppages: analysis.stoppages,
    })
}
