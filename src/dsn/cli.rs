//! Command-line glue: `ijgate dsn check FILE... [--fiche F.xml ...] [--json]` and
//! `ijgate dsn calls FILE... --fiche F.xml --out DIR`. The file reading and writing they share
//! with the daemon's `spool/inbound/dsn/` watcher is in [`crate::dsn::files`].
//!
//! Exit statuses of [`run`] ([`Outcome`], also in `--help` and the README): 0 clean, 1 blocking
//! error (a codec error or a blocking anomaly), 2 anomalies only (non-blocking anomalies or
//! codec warnings), 3 an input could not be read or an output written. Over several files the
//! worst wins, in the order 3, 1, 2, 0. Files are written to a temporary name then renamed, so a
//! watcher never sees half a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{Local, NaiveDate};

use crate::dsn::analyze::Analysis;
use crate::dsn::calls::{Calls, to_csv, to_html, to_json};
use crate::dsn::checks::{AffiliatedSnapshot, fiche_for};
use crate::dsn::crm::crm_xml;
use crate::dsn::manques::missing_declarations;

pub use crate::dsn::files::{
    DoorInput, DsnError, LocatedFinding, ProcessReport, load_fiches, process_file,
    process_file_with, received, write_atomic,
};
use crate::dsn::files::{analyze_path, crm_context};
/// Exit statuses of `ijgate dsn check` and `ijgate dsn calls`, shown by `--help`.
pub const EXIT_STATUSES: &str = "Exit status: 0 clean; 1 blocking error (a codec error or a \
blocking anomaly); 2 anomalies only (non-blocking anomalies, codec warnings); 3 an input could \
not be read (DSN file, fiche) or an output not written. Several files: the worst status wins, \
in the order 3, 1, 2, 0. (A malformed command line also exits 2, with the usage on stderr.)";

/// What a run found, worst last in [`Outcome::rank`]; its exit status is `as i32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Clean = 0,
    Blocking = 1,
    AnomaliesOnly = 2,
    Unreadable = 3,
}

impl Outcome {
    fn rank(self) -> u8 {
        match self {
            Self::Clean => 0,
            Self::AnomaliesOnly => 1,
            Self::Blocking => 2,
            Self::Unreadable => 3,
        }
    }

    /// The worse of two outcomes.
    pub fn worst(self, other: Self) -> Self {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    /// The outcome of one analysed file.
    pub fn of(a: &Analysis) -> Self {
        if !a.is_clean() {
            Self::Blocking
        } else if a.anomaly_count > 0 || a.stats.warnings > 0 {
            Self::AnomaliesOnly
        } else {
            Self::Clean
        }
    }
}

/// `ijgate dsn ...`
#[derive(Debug, clap::Subcommand)]
pub enum DsnCommand {
    /// Check DSN files (codec, prévoyance consistency against the fiches) and print a report.
    #[command(after_help = EXIT_STATUSES)]
    Check {
        /// DSN files (single declarations or lots), oldest month first.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Fiches de paramétrage DSN OC (XML).
        #[arg(long)]
        fiche: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Day of the next month by which a month's DSN is due (MDSN01: an establishment of
        /// the fiches with no DSN among the files for a declared month, once that day passed).
        #[arg(long, default_value_t = 5)]
        due_day: u32,
        /// The day the MDSN01 check is made (default: today).
        #[arg(long)]
        today: Option<NaiveDate>,
    },
    /// Compute contribution calls and write them (JSON, CSV, HTML) with one CRM per declaration.
    #[command(after_help = EXIT_STATUSES)]
    Calls {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, required = true)]
        fiche: Vec<PathBuf>,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Contact e-mail written in the CRM.
        #[arg(long, default_value = "dsn@organisme.fr")]
        contact_mail: String,
    },
}

fn print_human(path: &Path, a: &Analysis, out: &mut impl Write) -> std::io::Result<()> {
    let s = &a.stats;
    writeln!(
        out,
        "== {}: {} lines, {} envoi(s), {} declaration(s), {} error(s), {} warning(s)",
        path.display(),
        s.lines,
        s.envois,
        s.declarations,
        s.errors,
        s.warnings
    )?;
    for d in a.diagnostics.iter().take(200) {
        writeln!(out, "  {:?} {d}", d.severity)?;
    }
    if a.diagnostics.len() > 200 {
        writeln!(out, "  ... {} more diagnostics", a.diagnostics.len() - 200)?;
    }
    for d in &a.declarations {
        let month = d
            .month
            .map_or_else(|| "?".to_string(), |m| m.format("%m/%Y").to_string());
        writeln!(
            out,
            "  declaration line {}: nature {} type {} SIREN {} month {} — {} employee(s), {} stoppage(s), {} anomaly(ies) ({} blocking)",
            d.line,
            d.nature,
            d.kind,
            d.siren,
            month,
            d.employees,
            d.stoppages,
            d.anomalies,
            d.blocking
        )?;
    }
    for st in a.stoppages.iter().take(500) {
        let fmt = |d: Option<NaiveDate>| {
            d.map_or_else(|| "-".to_string(), |d| d.format("%d/%m/%Y").to_string())
        };
        writeln!(
            out,
            "  stoppage line {}: SIRET {} NIR {} motif {} last day worked {} planned end {} return {}",
            st.stoppage.line,
            st.siret,
            st.nir,
            st.stoppage.reason,
            fmt(st.stoppage.last_day_worked),
            fmt(st.stoppage.planned_end),
            fmt(st.stoppage.return_date)
        )?;
    }
    for an in &a.anomalies {
        let rubric = an.rubric.map(|r| r.to_string()).unwrap_or_default();
        let cause = an.caused_by.map_or_else(String::new, |c| {
            format!(" (consequence of {} line {})", c.code, c.line)
        });
        writeln!(
            out,
            "  {} line {} {} [{}] {}{cause}",
            an.code,
            an.line,
            rubric,
            if an.blocking { "blocking" } else { "warning" },
            an.message
        )?;
    }
    for c in a.calls.lines() {
        // Without the contract parameters the expected amount is unknown: say so and why,
        // never print expected − paid as if it were a balance.
        let (expected, balance) = match (&c.balance, &c.not_computable) {
            (Some(b), _) => (c.expected.to_string(), format!("balance {b}")),
            (None, why) => (
                "not computable".to_string(),
                format!(
                    "balance not computable: {}",
                    why.as_deref().unwrap_or("expected amount unknown")
                ),
            ),
        };
        writeln!(
            out,
            "  call {} {} {}: expected {expected} declared {} paid {} {balance} ({} employee(s){})",
            c.siren,
            c.contract,
            c.period,
            c.declared,
            c.paid,
            c.employees,
            if c.incomplete > 0 {
                format!(", {} base(s) not computable", c.incomplete)
            } else {
                String::new()
            }
        )?;
    }
    Ok(())
}

/// Runs a `dsn` subcommand; returns the process exit code.
pub fn run(cmd: DsnCommand) -> i32 {
    match cmd {
        DsnCommand::Check {
            files,
            fiche,
            json,
            due_day,
            today,
        } => check(
            &files,
            &fiche,
            json,
            due_day,
            today.unwrap_or_else(|| Local::now().date_naive()),
        ),
        DsnCommand::Calls {
            files,
            fiche,
            out,
            contact_mail,
        } => calls(&files, &fiche, &out, &contact_mail),
    }
}

fn check(
    files: &[PathBuf],
    fiche_paths: &[PathBuf],
    json: bool,
    due_day: u32,
    today: NaiveDate,
) -> i32 {
    let fiches = match load_fiches(fiche_paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("ijgate dsn check: {e}");
            return Outcome::Unreadable as i32;
        }
    };
    let mut previous: Vec<AffiliatedSnapshot> = Vec::new();
    let mut code = Outcome::Clean;
    let mut reports = Vec::new();
    let mut got: Vec<(String, NaiveDate)> = Vec::new();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in files {
        // Snapshots only when a later file will be compared with this one.
        let keep = files.len() > 1;
        match analyze_path(path, &fiches, &previous, keep, |_, _| {}) {
            Ok(mut a) => {
                code = code.worst(Outcome::of(&a));
                previous.append(&mut a.snapshots);
                got.extend(received(&a));
                if json {
                    reports.push(serde_json::json!({ "file": path, "analysis": &a, "calls": a.calls.lines() }));
                } else if let Err(e) = print_human(path, &a, &mut out) {
                    eprintln!("ijgate dsn check: {e}");
                    return Outcome::Unreadable as i32;
                }
            }
            Err(e) => {
                eprintln!("ijgate dsn check: {e}");
                code = Outcome::Unreadable;
            }
        }
    }
    // MDSN01: for every month declared in the files, the fiches' establishments without a DSN
    // once the due day of the next month has passed.
    let mut months: Vec<NaiveDate> = got.iter().map(|(_, m)| *m).collect();
    months.sort();
    months.dedup();
    let missing: Vec<_> = months
        .iter()
        .flat_map(|m| missing_declarations(&fiches, &got, *m, today, due_day))
        .collect();
    if !missing.is_empty() {
        code = code.worst(Outcome::AnomaliesOnly);
    }
    if json {
        if !fiches.is_empty() {
            reports.push(serde_json::json!({ "missing_declarations": &missing }));
        }
    } else {
        for m in &missing {
            if let Err(e) = writeln!(out, "  {} {} {}", m.code, m.siret, m.message) {
                eprintln!("ijgate dsn check: {e}");
                return Outcome::Unreadable as i32;
            }
        }
    }
    if json
        && let Err(e) = serde_json::to_writer_pretty(&mut out, &reports)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    {
        eprintln!("ijgate dsn check: {e}");
        return Outcome::Unreadable as i32;
    }
    code as i32
}

fn calls(files: &[PathBuf], fiche_paths: &[PathBuf], out_dir: &Path, mail: &str) -> i32 {
    let fiches = match load_fiches(fiche_paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("ijgate dsn calls: {e}");
            return Outcome::Unreadable as i32;
        }
    };
    if let Err(e) = std::fs::create_dir_all(out_dir) {
        eprintln!("ijgate dsn calls: {}: {e}", out_dir.display());
        return Outcome::Unreadable as i32;
    }
    let mut all = Calls::new();
    let mut previous: Vec<AffiliatedSnapshot> = Vec::new();
    let mut code = Outcome::Clean;
    for path in files {
        let stem = path
            .file_stem()
            .map_or_else(|| "dsn".to_string(), |s| s.to_string_lossy().into_owned());
        let mut crms = Vec::new();
        let keep = files.len() > 1;
        let res = analyze_path(path, &fiches, &previous, keep, |d, a| {
            let fiche = fiche_for(d, &fiches);
            crms.push(crm_xml(d, a, fiche, &crm_context(fiche, mail)));
        });
        match res {
            Ok(mut a) => {
                code = code.worst(Outcome::of(&a));
                all.merge(&a.calls);
                previous.append(&mut a.snapshots);
                for (n, xml) in crms.iter().enumerate() {
                    if let Err(e) = write_atomic(out_dir, &format!("{stem}-{}.crm.xml", n + 1), xml)
                    {
                        eprintln!("ijgate dsn calls: {e}");
                        return Outcome::Unreadable as i32;
                    }
                }
            }
            Err(e) => {
                eprintln!("ijgate dsn calls: {e}");
                code = Outcome::Unreadable;
            }
        }
    }
    let lines = all.lines();
    let outputs = [
        ("calls.json", to_json(&lines)),
        ("calls.csv", to_csv(&lines)),
        ("calls.html", to_html(&lines, Local::now().date_naive())),
    ];
    for (name, bytes) in outputs {
        match write_atomic(out_dir, name, &bytes) {
            Ok(p) => println!("{}", p.display()),
            Err(e) => {
                eprintln!("ijgate dsn calls: {e}");
                return Outcome::Unreadable as i32;
            }
        }
    }
    code as i32
}
