//! The whole analysis of one DSN input: read (codec diagnostics), extract declarations one at a
//! time, check each against the fiches, accumulate contribution calls, collect stoppages.
//!
//! Invariant: memory holds one individual, the establishments of the declaration being read
//! (adhesions, payments) and what cross-individual rules need (sums per contract, the
//! month-to-month snapshot when asked for), whatever the size of one declaration; the caller
//! gets each declaration (its individuals already handed out) with its anomalies through a
//! callback (to write its CRM) before it is dropped. No I/O beyond the `Read` given.

use std::io::Read;

use chrono::NaiveDate;
use serde::Serialize;

use crate::dsn::calls::Calls;
use crate::dsn::checks::{Anomaly, DeclarationChecker, MAX_KEPT_PER_DECLARATION, Tolerance};
use crate::dsn::extract::Extractor;
use crate::dsn::fiche::Fiche;
use crate::dsn::manques::{AffiliatedSnapshot, MonthToMonth};
use crate::dsn::model::{Declaration, Establishment, Individual, StoppageRef};
use crate::neodes::reader::{Diagnostic, Event, Options, Reader, Severity, Stats};

/// Most codec diagnostics kept in memory (the count is always exact).
pub const MAX_KEPT_DIAGNOSTICS: usize = 10_000;

/// Most anomalies an analysis keeps in memory (the counts are always exact).
pub const MAX_KEPT_ANOMALIES: usize = 20_000;

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
    /// The anomalies, at most [`MAX_KEPT_ANOMALIES`] of them.
    pub anomalies: Vec<Anomaly>,
    /// Exact counts, kept or not: all anomalies, blocking ones.
    pub anomaly_count: usize,
    pub blocking_count: usize,
    pub stoppages: Vec<StoppageRef>,
    #[serde(skip)]
    pub calls: Calls,
    /// Who was affiliated, per (SIRET, month), for the next month's manques check.
    #[serde(skip)]
    pub snapshots: Vec<AffiliatedSnapshot>,
    /// Why the previous month could not be loaded ([`Previous::Loaded`]): the month-to-month
    /// comparison is then incomplete, and the caller must not take the lot as read.
    #[serde(skip)]
    pub previous_error: Option<String>,
}

/// Loads the previous month's snapshots of a declaration (its SIRET, its adhesions' insurers).
pub type PreviousLoader<'a> = &'a dyn Fn(&Declaration) -> Result<Vec<AffiliatedSnapshot>, String>;

/// Where the month-to-month comparison finds the previous month.
#[derive(Clone, Copy)]
pub enum Previous<'a> {
    /// Snapshots already in memory (`ijgate dsn check` with several files).
    Given(&'a [AffiliatedSnapshot]),
    /// Loaded per declaration when its first individual is read (the daemon's journal): only
    /// that establishment's previous month is in memory.
    Loaded(PreviousLoader<'a>),
}

/// Called with each individual as it is read (the establishment it belongs to, the
/// declaration so far), before it is dropped.
pub type OnIndividual<'a> = &'a mut dyn FnMut(&Declaration, &Establishment, &Individual);

impl Analysis {
    /// Codec errors (not warnings).
    pub fn codec_errors(&self) -> u64 {
        self.stats.errors
    }

    /// True when nothing blocks: no codec error and no blocking anomaly.
    pub fn is_clean(&self) -> bool {
        self.stats.errors == 0 && self.blocking_count == 0
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
/// anomalies. `previous` snapshots (from earlier months) feed the month-to-month checks.
pub fn analyze<R: Read>(
    src: R,
    fiches: &[Fiche],
    opts: AnalyzeOptions,
    previous: &[AffiliatedSnapshot],
    on_declaration: impl FnMut(&Declaration, &[Anomaly]),
) -> Result<Analysis, std::io::Error> {
    analyze_named(src, "", fiches, opts, previous, on_declaration)
}

/// The checks of the declaration being read, fed one individual at a time.
struct InProgress<'a> {
    checker: DeclarationChecker<'a>,
    month_to_month: MonthToMonth<'a>,
    snapshot: Option<AffiliatedSnapshot>,
    anomalies: Vec<Anomaly>,
    stoppages: usize,
}

impl<'a> InProgress<'a> {
    fn new(
        d: &Declaration,
        file: &str,
        fiches: &'a [Fiche],
        opts: AnalyzeOptions,
        previous: Previous<'a>,
        error: &mut Option<String>,
    ) -> Self {
        let month_to_month = match previous {
            Previous::Given(p) => MonthToMonth::new(p, d.month),
            Previous::Loaded(load) => match load(d) {
                Ok(p) => MonthToMonth::owned(p, d.month),
                Err(e) => {
                    error.get_or_insert(e);
                    MonthToMonth::owned(Vec::new(), d.month)
                }
            },
        };
        Self {
            checker: DeclarationChecker::new(d, fiches, opts.tolerance),
            month_to_month,
            snapshot: opts
                .keep_snapshots
                .then(|| AffiliatedSnapshot::new(file, d.month)),
            anomalies: Vec::new(),
            stoppages: 0,
        }
    }
}

/// [`analyze`], naming the input `file` in the month-to-month findings and snapshots.
pub fn analyze_named<'a, R: Read>(
    src: R,
    file: &str,
    fiches: &'a [Fiche],
    opts: AnalyzeOptions,
    previous: &'a [AffiliatedSnapshot],
    on_declaration: impl FnMut(&Declaration, &[Anomaly]),
) -> Result<Analysis, std::io::Error> {
    analyze_with(
        src,
        file,
        fiches,
        opts,
        Previous::Given(previous),
        None,
        on_declaration,
    )
}

/// [`analyze_named`] with the previous month from `previous` and, when given, each individual
/// handed to `on_individual` (the daemon's DSN door).
pub fn analyze_with<'a, R: Read>(
    src: R,
    file: &str,
    fiches: &'a [Fiche],
    opts: AnalyzeOptions,
    previous: Previous<'a>,
    mut on_individual: Option<OnIndividual<'_>>,
    mut on_declaration: impl FnMut(&Declaration, &[Anomaly]),
) -> Result<Analysis, std::io::Error> {
    let mut reader = Reader::with_options(src, opts.reader);
    let mut x = Extractor::streaming();
    let mut out = Analysis::default();
    let mut state: Option<InProgress<'a>> = None;
    let mut individual = |d: &Declaration,
                          k: usize,
                          i: &Individual,
                          st: &mut Option<InProgress<'a>>,
                          out: &mut Analysis| {
        let p = st.get_or_insert_with(|| {
            InProgress::new(d, file, fiches, opts, previous, &mut out.previous_error)
        });
        let Some(e) = d.establishments.get(k) else {
            return;
        };
        if let Some(f) = on_individual.as_mut() {
            f(d, e, i);
        }
        let siret = d.siret(e);
        p.checker.individual(d, k, i);
        out.calls
            .add_individual(d, k, i, fiches, opts.tolerance.call);
        for c in &i.contracts {
            for s in &c.stoppages {
                p.stoppages += 1;
                out.stoppages.push(StoppageRef {
                    siret: siret.clone(),
                    nir: i.nir.clone(),
                    contract_number: c.number.clone(),
                    stoppage: s.clone(),
                });
            }
        }
        if let Some(snap) = p.snapshot.as_mut() {
            snap.add(&siret, e, i);
        }
        // Month-to-month findings need this individual's in-declaration anomalies: they
        // are kept in the checker until the declaration ends, so compare on a side list.
        p.month_to_month.individual(&siret, e, i, &mut p.anomalies);
    };
    let mut finish = |d: Box<Declaration>, st: Option<InProgress<'a>>, out: &mut Analysis| {
        let st = st.unwrap_or_else(|| {
            InProgress::new(&d, file, fiches, opts, previous, &mut out.previous_error)
        });
        let checked = st.checker.finish(&d);
        let (dropped, dropped_blocking) = checked.dropped;
        let mut anomalies = checked.anomalies;
        let mut manques = st.anomalies;
        // A month-to-month ECIN01 where the declaration itself found one: keep one, located in
        // both months.
        manques.retain(|m| {
            match anomalies
                .iter_mut()
                .find(|a| a.code == m.code && a.line == m.line && a.previous.is_none())
            {
                Some(a) => {
                    a.previous = m.previous.clone();
                    false
                }
                None => true,
            }
        });
        anomalies.extend(manques);
        st.month_to_month.finish(&d, &mut anomalies);
        let (mut dropped, mut dropped_blocking) = (dropped, dropped_blocking);
        if anomalies.len() > MAX_KEPT_PER_DECLARATION {
            for a in anomalies.drain(MAX_KEPT_PER_DECLARATION..) {
                dropped += 1;
                dropped_blocking += usize::from(a.blocking);
            }
        }
        on_declaration(&d, &anomalies);
        out.calls.add_establishments(&d, fiches);
        out.declarations.push(DeclarationSummary {
            line: d.line,
            nature: d.nature.clone(),
            kind: d.kind.clone(),
            siren: d.siren().to_string(),
            month: d.month,
            establishments: d.establishments.iter().map(|e| d.siret(e)).collect(),
            employees: d.employee_count(),
            stoppages: st.stoppages,
            anomalies: anomalies.len() + dropped,
            blocking: anomalies.iter().filter(|a| a.blocking).count() + dropped_blocking,
        });
        out.anomaly_count += anomalies.len() + dropped;
        out.blocking_count += anomalies.iter().filter(|a| a.blocking).count() + dropped_blocking;
        if let Some(snap) = st.snapshot {
            out.snapshots.push(snap);
        }
        let room = MAX_KEPT_ANOMALIES.saturating_sub(out.anomalies.len());
        out.anomalies.extend(anomalies.into_iter().take(room));
    };
    while let Some(ev) = reader.next_event() {
        match ev {
            Event::Item(item) => {
                if opts.codec_only {
                    continue;
                }
                let done = x.push(&item);
                if let Some((k, i)) = x.take_individual() {
                    // The individual belongs to the declaration just closed, if any.
                    if let Some(d) = done.as_deref().or(x.current()) {
                        individual(d, k, &i, &mut state, &mut out);
                    }
                }
                if let Some(d) = done {
                    finish(d, state.take(), &mut out);
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
        if let Some((k, i)) = x.take_individual() {
            individual(&d, k, &i, &mut state, &mut out);
        }
        finish(d, state.take(), &mut out);
    }
    out.stats = reader.stats();
    match reader.take_io_error() {
        Some(e) => Err(e),
        None => Ok(out),
    }
}
