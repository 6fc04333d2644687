//! The whole analysis of one DSN input: read (codec diagnostics), extract declarations one at a
//! time, check each against the fiches, accumulate contribution calls, collect stoppages.
//!
//! Invariant: memory holds one declaration plus small summaries, whatever the input size; the
//! caller gets each declaration with its anomalies through a callback (to write its CRM) before
//! it is dropped. No I/O beyond the `Read` given.

use std::io::Read;

use chrono::NaiveDate;
use serde::Serialize;

use crate::dsn::calls::Calls;
use crate::dsn::checks::{
    AffiliatedSnapshot, Anomaly, Tolerance, check_declaration, missing_employees,
};
use crate::dsn::extract::Extractor;
use crate::dsn::fiche::Fiche;
use crate::dsn::model::{Declaration, StoppageRef};
use crate::neodes::reader::{Diagnostic, Event, Options, Reader, Severity, Stats};

/// Most codec diagnostics kept in memory (the count is always exact).
pub const MAX_KEPT_DIAGNOSTICS: usize = 10_000;

/// A one-line view of a declaration.
#[derive(Debug, Clone, Serialize)]
pub struct DeclarationSummary {
    pub line: u64,
    pub nature: String,
    pub kind: String,
    pub siren: String,
    pub month: Option<NaiveDate>,
    pub establishments: Vec<String>,
    pub employees: usize,
    pub stoppages: usize,
    pub anomalies: usize,
    pub blocking: usize,
}

/// Result of [`analyze`].
#[derive(Debug, Default, Serialize)]
pub struct Analysis {
    pub stats: Stats,
    pub diagnostics: Vec<Diagnostic>,
    pub declarations: Vec<DeclarationSummary>,
    pub anomalies: Vec<Anomaly>,
    pub stoppages: Vec<StoppageRef>,
    #[serde(skip)]
    pub calls: Calls,
    /// Who was affiliated, per (SIRET, month), for the next month's manques check.
    #[serde(skip)]
    pub snapshots: Vec<AffiliatedSnapshot>,
}

impl Analysis {
    /// Codec errors (not warnings).
    pub fn codec_errors(&self) -> u64 {
        self.stats.errors
    }

    /// True when nothing blocks: no codec error and no blocking anomaly.
    pub fn is_clean(&self) -> bool {
        self.stats.errors == 0 && !self.anomalies.iter().any(|a| a.blocking)
    }
}

/// Analysis settings.
#[derive(Debug, Clone, Copy)]
pub struct AnalyzeOptions {
    pub reader: Options,
    pub tolerance: Tolerance,
    /// Skip the business extraction (codec checks only).
    pub codec_only: bool,
    /// Keep who was affiliated (for next month's vanished-employee check). Costs ~100 bytes per
    /// affiliated employee: turn off for huge lots when that check is not wanted.
    pub keep_snapshots: bool,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        Self {
            reader: Options::default(),
            tolerance: Tolerance::default(),
            codec_only: false,
            keep_snapshots: true,
        }
    }
}

/// Reads `src` and analyses every declaration; `on_declaration` sees each declaration with its
/// anomalies. `previous` snapshots (from earlier months) feed the vanished-employee check.
pub fn analyze<R: Read>(
    src: R,
    fiches: &[Fiche],
    opts: AnalyzeOptions,
    previous: &[AffiliatedSnapshot],
    mut on_declaration: impl FnMut(&Declaration, &[Anomaly]),
) -> Result<Analysis, std::io::Error> {
    let mut reader = Reader::with_options(src, opts.reader);
    let mut x = Extractor::new();
    let mut out = Analysis::default();
    let mut handle = |d: Box<Declaration>, out: &mut Analysis| {
        let mut anomalies = check_declaration(&d, fiches, opts.tolerance);
        if let Some(m) = d.month {
            let prev_month = m.checked_sub_months(chrono::Months::new(1));
            for snap in previous.iter().filter(|s| s.month == prev_month) {
                anomalies.extend(missing_employees(snap, &d));
            }
        }
        on_declaration(&d, &anomalies);
        out.calls.add(&d, fiches, opts.tolerance.call);
        let stoppages = d.stoppages();
        out.declarations.push(DeclarationSummary {
            line: d.line,
            nature: d.nature.clone(),
            kind: d.kind.clone(),
            siren: d.siren().to_string(),
            month: d.month,
            establishments: d.establishments.iter().map(|e| d.siret(e)).collect(),
            employees: d.employee_count(),
            stoppages: stoppages.len(),
            anomalies: anomalies.len(),
            blocking: anomalies.iter().filter(|a| a.blocking).count(),
        });
        out.stoppages.extend(stoppages);
        if opts.keep_snapshots {
            out.snapshots.push(AffiliatedSnapshot::of(&d));
        }
        out.anomalies.extend(anomalies);
    };
    while let Some(ev) = reader.next_event() {
        match ev {
            Event::Item(item) => {
                if !opts.codec_only
                    && let Some(d) = x.push(&item)
                {
                    handle(d, &mut out);
                }
            }
            Event::Diagnostic(d) => {
                if out.diagnostics.len() < MAX_KEPT_DIAGNOSTICS
                    || d.severity == Severity::Error
                        && out.diagnostics.len() < 2 * MAX_KEPT_DIAGNOSTICS
                {
                    out.diagnostics.push(d);
                }
            }
        }
    }
    if let Some(d) = x.finish() {
        handle(d, &mut out);
    }
    out.stats = reader.stats();
    match reader.take_io_error() {
        Some(e) => Err(e),
        None => Ok(out),
    }
}
