//! `ijgate prevoyance …` subcommands: the I/O edge of the module (reads the case and
//! contract files, prints JSON or documents). Everything else in `prevoyance` is pure.
//!
//! Contract resolution, first found wins: `--contract FILE` (TOML, or JSON when the name
//! ends in `.json`), the case's inline `contract`, the case's `contract_file` (relative to
//! the case file's folder). Console output never carries a full NIR: documents printed to
//! stdout are masked; `--out FILE` writes the insurer's copy with the full NIR.
//! Exit codes (sysexits): 0 ok, 65 data error, 66 missing input, 74 I/O error, 78 invalid
//! contract.

use crate::prevoyance::case::{Case, CaseError};
use crate::prevoyance::contract::{ContractError, PrevoyanceContract};
use crate::prevoyance::documents::{self, DocumentError, NirMode, Quarter};
use crate::prevoyance::engine::compute;
use crate::prevoyance::result::CaseResult;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Output format of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DocFormat {
    /// `;`-separated CSV.
    Csv,
    /// Readable HTML page.
    Html,
}

/// Prévoyance subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PrevoyanceCommand {
    /// Compute the complement of a case and print it as JSON.
    Compute {
        /// Case file (JSON, see README-case.md).
        #[arg(long)]
        case: PathBuf,
        /// Contract file (TOML, or JSON), overriding the one named by the case.
        #[arg(long)]
        contract: Option<PathBuf>,
        /// Print compact JSON (one line).
        #[arg(long)]
        compact: bool,
    },
    /// Produce the claim (bordereau de demande de prise en charge) of a case.
    Bordereau {
        /// Case file.
        #[arg(long)]
        case: PathBuf,
        /// Contract file, overriding the one named by the case.
        #[arg(long)]
        contract: Option<PathBuf>,
        /// csv or html.
        #[arg(long, value_enum, default_value = "csv")]
        format: DocFormat,
        /// Write here, NIR in full (stdout otherwise, NIR masked).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Produce the quarterly history file from computed cases.
    History {
        /// Case files (repeat the option).
        #[arg(long = "case", required = true)]
        cases: Vec<PathBuf>,
        /// Contract file (else the first case's contract).
        #[arg(long)]
        contract: Option<PathBuf>,
        /// Quarter, "YYYY-Qn".
        #[arg(long)]
        quarter: String,
        /// csv or html.
        #[arg(long, value_enum, default_value = "csv")]
        format: DocFormat,
        /// Write here, NIR in full (stdout otherwise, NIR masked).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Validate a contract file, listing every problem (exit 78 when invalid).
    CheckContract {
        /// Contract file.
        #[arg(long)]
        contract: PathBuf,
    },
}

/// Failure of a prévoyance command; messages name the file.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// An input file cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// An output cannot be written.
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        /// File, or "-" for stdout.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The case file is not valid JSON for the model.
    #[error("{}: invalid case: {message}", path.display())]
    CaseParse {
        /// File.
        path: PathBuf,
        /// serde_json message, with line and column.
        message: String,
    },
    /// No contract given anywhere.
    #[error("{}: no prévoyance contract: give --contract, or contract/contract_file in the case", path.display())]
    NoContract {
        /// Case file.
        path: PathBuf,
    },
    /// The contract cannot be loaded or is invalid.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// The case cannot be computed.
    #[error("{}: {source}", path.display())]
    Compute {
        /// Case file.
        path: PathBuf,
        /// Cause.
        source: CaseError,
    },
    /// A document cannot be produced.
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// Bad option value.
    #[error("{0}")]
    Usage(String),
    /// Result serialisation failed.
    #[error("cannot serialise the result: {0}")]
    Serialize(#[from] serde_json::Error),
}

impl CliError {
    /// Process exit code (sysexits).
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Read { .. } => 66,
            CliError::Write { .. } => 74,
            CliError::Contract(_) => 78,
            CliError::Usage(_) => 64,
            _ => 65,
        }
    }
}

/// Runs a command, printing to stdout/stderr.
pub fn run(cmd: PrevoyanceCommand) -> Result<i32, CliError> {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    run_with(cmd, &mut stdout.lock(), &mut stderr.lock())
}

/// Runs a command with the given output streams (tests capture them).
pub fn run_with(
    cmd: PrevoyanceCommand,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<i32, CliError> {
    match cmd {
        PrevoyanceCommand::Compute {
            case,
            contract,
            compact,
        } => {
            let (k, c) = load_case_and_contract(&case, contract.as_deref())?;
            let r = compute_at(&case, &c, &k)?;
            let json = if compact {
                serde_json::to_string(&r)?
            } else {
                serde_json::to_string_pretty(&r)?
            };
            emit(out, None, &json)?;
            Ok(0)
        }
        PrevoyanceCommand::Bordereau {
            case,
            contract,
            format,
            out: file,
        } => {
            let (k, c) = load_case_and_contract(&case, contract.as_deref())?;
            let r = compute_at(&case, &c, &k)?;
            let nir = nir_mode(&file);
            let doc = match format {
                DocFormat::Csv => documents::bordereau_csv(&c, &k, &r, nir)?,
                DocFormat::Html => documents::bordereau_html(&c, &k, &r, nir)?,
            };
            emit(out, file.as_deref(), &doc)?;
            Ok(0)
        }
        PrevoyanceCommand::History {
            cases,
            contract,
            quarter,
            format,
            out: file,
        } => {
            let quarter: Quarter = quarter.parse().map_err(CliError::Usage)?;
            let mut loaded: Vec<(Case, CaseResult)> = Vec::with_capacity(cases.len());
            let mut doc_contract: Option<PrevoyanceContract> = None;
            for path in &cases {
                let (k, c) = load_case_and_contract(path, contract.as_deref())?;
                let r = compute_at(path, &c, &k)?;
                doc_contract.get_or_insert(c);
                loaded.push((k, r));
            }
            let Some(c) = doc_contract else {
                return Err(CliError::Usage("at least one --case is required".into()));
            };
            let pairs: Vec<(&Case, &CaseResult)> = loaded.iter().map(|(k, r)| (k, r)).collect();
            let nir = nir_mode(&file);
            let doc = match format {
                DocFormat::Csv => documents::quarterly_history_csv(&c, quarter, &pairs, nir)?,
                DocFormat::Html => documents::quarterly_history_html(&c, quarter, &pairs, nir)?,
            };
            emit(out, file.as_deref(), &doc)?;
            Ok(0)
        }
        PrevoyanceCommand::CheckContract { contract } => match load_contract(&contract) {
            Ok(_) => {
                emit(out, None, &format!("{}: valid", contract.display()))?;
                Ok(0)
            }
            Err(CliError::Contract(e)) => {
                writeln!(err, "{e}").map_err(|source| CliError::Write {
                    path: "-".into(),
                    source,
                })?;
                Ok(78)
            }
            Err(e) => Err(e),
        },
    }
}

fn nir_mode(file: &Option<PathBuf>) -> NirMode {
    if file.is_some() {
        NirMode::Full
    } else {
        NirMode::Masked
    }
}

fn compute_at(path: &Path, c: &PrevoyanceContract, k: &Case) -> Result<CaseResult, CliError> {
    compute(c, k).map_err(|source| CliError::Compute {
        path: path.to_owned(),
        source,
    })
}

fn emit(out: &mut dyn Write, file: Option<&Path>, text: &str) -> Result<(), CliError> {
    match file {
        Some(p) => std::fs::write(p, text).map_err(|source| CliError::Write {
            path: p.to_owned(),
            source,
        }),
        None => {
            let r = if text.ends_with('\n') {
                out.write_all(text.as_bytes())
            } else {
                writeln!(out, "{text}")
            };
            r.map_err(|source| CliError::Write {
                path: "-".into(),
                source,
            })
        }
    }
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Loads a contract file: JSON when the name ends in `.json`, TOML otherwise (the loader is
/// `config::insurers::load_contract`, shared with the insurer settings).
pub fn load_contract(path: &Path) -> Result<PrevoyanceContract, CliError> {
    use crate::config::insurers::{ContractFileError, load_contract};
    load_contract(path).map_err(|e| match e {
        ContractFileError::Read { path, source } => CliError::Read { path, source },
        ContractFileError::Parse(e) => e.into(),
    })
}

/// Loads a case and resolves its contract (see the module header for the order).
pub fn load_case_and_contract(
    case_path: &Path,
    contract_path: Option<&Path>,
) -> Result<(Case, PrevoyanceContract), CliError> {
    let text = read(case_path)?;
    let case: Case = serde_json::from_str(&text).map_err(|e| CliError::CaseParse {
        path: case_path.to_owned(),
        message: e.to_string(),
    })?;
    let contract = if let Some(p) = contract_path {
        load_contract(p)?
    } else if let Some(c) = &case.contract {
        c.clone()
            .validated(&format!("{} (contract)", case_path.display()))?
    } else if let Some(f) = &case.contract_file {
        let base = case_path.parent().unwrap_or(Path::new("."));
        load_contract(&base.join(f))?
    } else {
        return Err(CliError::NoContract {
            path: case_path.to_owned(),
        });
    };
    Ok((case, contract))
}
