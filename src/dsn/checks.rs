//! Prévoyance consistency checks of one declaration against the insurer's fiches, coded with
//! the CRM OC vocabulary (CRM-DSN-OC-P3 `CodeRetourMetier`: EADH*, EAFF*, ECIN*, ECVE*, EVER*),
//! plus the "manques" (missing declarations, vanished employees) with ijgate's own codes.
//!
//! Invariant: checks are pure functions of their inputs; each anomaly names the physical line
//! and rubric it is about, and says whether it blocks the contribution call.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::dsn::calls::{CallOptions, cents, expected_for_base};
use crate::dsn::fiche::Fiche;
use crate::dsn::model::{Affiliation, Base, Declaration, Establishment, Individual};
use crate::neodes::rubric::{RubricId, rid};

/// The anomaly another one follows from: its code and line. One planted fault reads as one
/// fault: the consequences name it and the cause has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cause {
    pub code: &'static str,
    pub line: u64,
}

/// A line of a named file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Located {
    pub file: String,
    pub line: u64,
}

/// A business anomaly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    /// CRM OC `CodeRetourMetier` (EADH02, ECIN05, ...) or an ijgate code (MDSN01, MSAL01).
    pub code: &'static str,
    /// Physical line of `rubric` (the faulty value itself; for something absent, the first line
    /// of the block that lacks it, and `rubric` names that line's rubric).
    pub line: u64,
    pub rubric: Option<RubricId>,
    pub message: String,
    /// True when the anomaly prevents computing the contribution call of the affiliation.
    pub blocking: bool,
    /// SIRET of the establishment concerned (empty when not known).
    pub siret: String,
    /// Set when this anomaly is only a consequence of another one (same declaration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<Cause>,
    /// ijgate's own check id when the CRM code is shared (month-to-month "manques": MSAL01,
    /// MCTR01, MAFF01, MCOT01; MDSN01), see [`crate::dsn::manques`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<&'static str>,
    /// For a month-to-month finding: where the thing was in the previous month's file (the
    /// anomaly's own `line` is in the current file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<Located>,
    /// Rubrics and values giving context (for the CRM `ContexteRetourMetier`).
    #[serde(skip)]
    pub context: Vec<(RubricId, String)>,
}

impl Anomaly {
    /// This anomaly as the cause of others.
    pub fn as_cause(&self) -> Cause {
        Cause {
            code: self.code,
            line: self.line,
        }
    }
}

/// Labels of the CRM codes used here (from the XSD `LibelCodeRetourMetier` documentation).
pub fn crm_label(code: &str) -> &'static str {
    match code {
        "EADH01" => "Adhésion manquante",
        "EADH02" => "Référence Contrat de l'adhésion erronée",
        "EADH03" => "Code OC de l'adhésion erroné",
        "EAFF01" => "Affiliation manquante",
        "EAFF02" => "Incohérence entre la référence contrat et les codes option/population",
        "EAFF03" => "Code option erroné",
        "EAFF06" => "Code population erroné",
        "EAFF98" => "Erreur affiliation",
        "ECIN01" => "Base assujettie manquante",
        "ECIN02" => "Identifiant technique Affiliation erroné",
        "ECIN05" => "Composant base assujettie manquant",
        "ECIN08" => "Montant de cotisation individuelle erroné",
        "ECIN98" => "Erreur base ou cotisation individuelle",
        "ECVE03" => "Code d'affectation erroné",
        "ECVE98" => "Erreur composant de versement",
        "EVER01" => "Versement manquant",
        "EVER98" => "Erreur versement",
        "ESAL98" => "Erreur individu",
        "EFCT98" => "Erreur fin de contrat",
        "MDSN01" => "Déclaration manquante",
        "MSAL01" => "Salarié affilié absent sans fin de contrat",
        _ => "Anomalie",
    }
}

/// Tolerances of the amount checks.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    /// Accepted gap between a declared contribution and base × rate, per component.
    pub per_component: Decimal,
    /// How expected amounts are computed (PMSS).
    pub call: CallOptions,
}

impl Default for Tolerance {
    fn default() -> Self {
        Self {
            per_component: Decimal::new(1, 2),
            call: CallOptions::default(),
        }
    }
}

/// Accepted gap between S21.G00.81.004 and S21.G00.81.003 × S21.G00.81.007 % (rounded half-up
/// to the cent), per contribution code (S21.G00.81.001). Documented in README "DSN checks".
/// - `059` (prévoyance), `060`/`061`/`062` (retraite supplémentaire, frais de santé...): one
///   cent, the rounding of a payroll that rounds the rate or the base before multiplying.
/// - every other code: one cent as well; a code listed here with a larger tolerance would need
///   its reason written beside it.
pub fn rate_tolerance(code: &str) -> Decimal {
    match code {
        "059" | "060" | "061" | "062" => Decimal::new(1, 2),
        _ => Decimal::new(1, 2),
    }
}

/// Largest amount taken as plausible for one individual base or contribution (10 million €):
/// beyond it the value is reported as an anomaly and left out of the sums.
pub fn absurd_amount() -> Decimal {
    Decimal::new(10_000_000, 0)
}

/// What the establishment-level checks need from its individuals (sums and the causes of gaps),
/// accumulated one individual at a time.
#[derive(Debug, Default, Clone)]
pub struct EstablishmentSums {
    /// Declared contributions 059 per contract reference.
    declared: HashMap<String, Decimal>,
    /// Per contract: Σ (declared − expected) of the contributions found wrong, and the first.
    contribution_gaps: HashMap<String, (Decimal, Cause)>,
    /// Per contract: the first base 31 without a contribution 059 (ECIN98), which leaves the
    /// declared sum short of what was paid.
    missing_contribution: HashMap<String, Cause>,
    /// Contributions whose contract is unknown (broken link), and the first such link anomaly.
    unattributed: Decimal,
    unattributed_cause: Option<Cause>,
}

/// Most anomalies one declaration keeps in memory (the CRM carries at most 2000); beyond, they
/// are counted only ([`Checked::dropped`]), so a file wrong on every line stays in bounded
/// memory.
pub const MAX_KEPT_PER_DECLARATION: usize = 20_000;

struct Ctx<'a> {
    decl: &'a Declaration,
    fiche: Option<&'a Fiche>,
    tol: Tolerance,
    out: Vec<Anomaly>,
    siret: String,
    /// Anomalies beyond [`MAX_KEPT_PER_DECLARATION`]: (all, blocking).
    dropped: (usize, usize),
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        code: &'static str,
        line: u64,
        rubric: RubricId,
        blocking: bool,
        message: String,
        context: Vec<(RubricId, String)>,
    ) -> Cause {
        self.push_caused(code, line, rubric, blocking, message, context, None)
    }

    #[allow(clippy::too_many_arguments)]
    fn push_caused(
        &mut self,
        code: &'static str,
        line: u64,
        rubric: RubricId,
        blocking: bool,
        message: String,
        context: Vec<(RubricId, String)>,
        caused_by: Option<Cause>,
    ) -> Cause {
        if self.out.len() >= MAX_KEPT_PER_DECLARATION {
            self.dropped.0 += 1;
            self.dropped.1 += usize::from(blocking);
            return Cause { code, line };
        }
        self.out.push(Anomaly {
            code,
            line,
            rubric: Some(rubric),
            message,
            blocking,
            siret: self.siret.clone(),
            caused_by,
            check: None,
            previous: None,
            context,
        });
        Cause { code, line }
    }
}

/// The fiche of the declared company among `fiches` (by SIREN).
pub fn fiche_for<'a>(decl: &Declaration, fiches: &'a [Fiche]) -> Option<&'a Fiche> {
    fiches.iter().find(|f| f.company.siren == decl.siren())
}

fn indiv_context(i: &Individual) -> Vec<(RubricId, String)> {
    let mut c = vec![
        (rid("S21.G00.30.001"), i.nir.expose().to_string()),
        (rid("S21.G00.30.002"), i.last_name.clone()),
    ];
    if let Some(m) = &i.matricule {
        c.push((rid("S21.G00.30.019"), m.clone()));
    }
    c.retain(|(_, v)| !v.is_empty());
    c
}

/// `(line, rubric)` of rubric `n` of a block, or of the block's first line when `n` is absent.
fn locate(
    block: &str,
    line_of: Option<u64>,
    start: u64,
    first: Option<u16>,
    n: u16,
) -> (u64, RubricId) {
    match line_of {
        Some(l) => (l, rubric_of(block, n)),
        None => (start, rubric_of(block, first.unwrap_or(1))),
    }
}

fn rubric_of(block: &str, n: u16) -> RubricId {
    RubricId::parse(format!("{block}.{n:03}").as_bytes()).unwrap_or(rid("S00.G00.00.000"))
}

macro_rules! at {
    ($rec:expr, $block:literal, $n:literal) => {
        locate(
            $block,
            $rec.line_of($n),
            $rec.line,
            $rec.lines.first_number(),
            $n,
        )
    };
}

/// Checks one declaration one individual at a time: [`DeclarationChecker::individual`] for each
/// individual as it is read, [`DeclarationChecker::finish`] once the declaration is complete
/// (adhesions against the fiche, payments against the declared contributions).
pub struct DeclarationChecker<'a> {
    fiche: Option<&'a Fiche>,
    tol: Tolerance,
    sums: Vec<EstablishmentSums>,
    out: Vec<Anomaly>,
    dropped: (usize, usize),
}

/// The anomalies of one declaration, ordered by line, and how many more were only counted.
#[derive(Debug, Default)]
pub struct Checked {
    pub anomalies: Vec<Anomaly>,
    /// Anomalies beyond [`MAX_KEPT_PER_DECLARATION`] (all, blocking).
    pub dropped: (usize, usize),
}

impl<'a> DeclarationChecker<'a> {
    pub fn new(decl: &Declaration, fiches: &'a [Fiche], tol: Tolerance) -> Self {
        Self {
            fiche: fiche_for(decl, fiches),
            tol,
            sums: Vec::new(),
            out: Vec::new(),
            dropped: (0, 0),
        }
    }

    /// Checks individual `i` of establishment number `e_index` of `decl` (the establishment's
    /// adhesions are known: the norm puts S21.G00.15 before S21.G00.30).
    pub fn individual(&mut self, decl: &Declaration, e_index: usize, i: &Individual) {
        let Some(e) = decl.establishments.get(e_index) else {
            return;
        };
        if self.sums.len() <= e_index {
            self.sums
                .resize_with(e_index + 1, EstablishmentSums::default);
        }
        let mut ctx = Ctx {
            decl,
            fiche: self.fiche,
            tol: self.tol,
            out: std::mem::take(&mut self.out),
            siret: decl.siret(e),
            dropped: self.dropped,
        };
        check_individual(&mut ctx, e, i, &mut self.sums[e_index]);
        self.out = ctx.out;
        self.dropped = ctx.dropped;
    }

    /// Establishment-level checks; the anomalies of the declaration, ordered by line.
    pub fn finish(mut self, decl: &Declaration) -> Checked {
        let mut ctx = Ctx {
            decl,
            fiche: self.fiche,
            tol: self.tol,
            out: std::mem::take(&mut self.out),
            siret: String::new(),
            dropped: self.dropped,
        };
        for (k, e) in decl.establishments.iter().enumerate() {
            ctx.siret = decl.siret(e);
            let sums = self.sums.get(k).cloned().unwrap_or_default();
            let unknown = check_adhesions(&mut ctx, e);
            check_payments(&mut ctx, e, &sums, &unknown);
        }
        let mut out = ctx.out;
        out.sort_by_key(|a| a.line);
        Checked {
            anomalies: out,
            dropped: ctx.dropped,
        }
    }
}

/// Runs every check of one declaration held whole in memory. `fiches` are all the fiches known
/// (the one of the declared SIREN is used); without a fiche only the structural links are
/// checked.
pub fn check_declaration(decl: &Declaration, fiches: &[Fiche], tol: Tolerance) -> Vec<Anomaly> {
    let mut c = DeclarationChecker::new(decl, fiches, tol);
    for (k, e) in decl.establishments.iter().enumerate() {
        for i in &e.individuals {
            c.individual(decl, k, i);
        }
    }
    c.finish(decl).anomalies
}

/// Adhesions against the fiche; returns the contracts found unknown (EADH02) with that anomaly.
fn check_adhesions(ctx: &mut Ctx<'_>, e: &Establishment) -> HashMap<String, Cause> {
    let mut unknown = HashMap::new();
    let Some(f) = ctx.fiche else {
        return unknown;
    };
    for a in &e.adhesions {
        let params: Vec<_> = f.for_contract(&a.contract_ref, None).collect();
        let c = vec![
            (rid("S21.G00.15.001"), a.contract_ref.clone()),
            (rid("S21.G00.15.002"), a.organisme.clone()),
        ];
        if params.is_empty() {
            let msg = format!(
                "contract reference {:?} is not in fiche {}",
                a.contract_ref, f.id
            );
            let (line, r) = at!(a, "S21.G00.15", 1);
            let cause = ctx.push("EADH02", line, r, true, msg, c);
            unknown.insert(a.contract_ref.clone(), cause);
        } else if !params.iter().any(|p| p.organisme.code_oc == a.organisme) {
            let msg = format!(
                "organisme {:?} differs from the fiche's {:?}",
                a.organisme, params[0].organisme.code_oc
            );
            let (line, r) = at!(a, "S21.G00.15", 2);
            ctx.push("EADH03", line, r, false, msg, c);
        }
    }
    unknown
}

fn check_individual(
    ctx: &mut Ctx<'_>,
    e: &Establishment,
    i: &Individual,
    sums: &mut EstablishmentSums,
) {
    let adhesion = |id: &str| e.adhesions.iter().find(|a| a.id == id);
    // Individuals have one to three affiliations: linear scans beat hashing here.
    let affiliation = |id: &str| {
        i.contracts
            .iter()
            .flat_map(|c| &c.affiliations)
            .find(|a| a.id == id)
    };
    for c in &i.contracts {
        for a in &c.affiliations {
            check_affiliation(ctx, i, c, a, adhesion(&a.adhesion_id));
        }
    }
    let mut based: Vec<&str> = Vec::new();
    // A base pointing to an affiliation the individual lacks: the affiliation it should have
    // named then looks unbased, a consequence.
    let mut broken_base: Option<Cause> = None;
    for p in &i.pay {
        for b in &p.bases {
            if b.code != "31" {
                continue;
            }
            let amounts_059: Decimal = b
                .contributions
                .iter()
                .filter(|c| c.code == "059")
                .filter_map(|c| plausible(c.amount))
                .sum();
            let Some(aid) = b.affiliation_id.as_deref() else {
                let msg = "base 31 without the affiliation id S21.G00.78.005".to_string();
                let (line, r) = at!(b, "S21.G00.78", 1);
                let cause = ctx.push("ECIN02", line, r, true, msg, indiv_context(i));
                broken_base.get_or_insert(cause);
                sums.unattributed += amounts_059;
                sums.unattributed_cause.get_or_insert(cause);
                continue;
            };
            let Some(aff) = affiliation(aid) else {
                let msg = format!(
                    "base points to affiliation {aid:?} which the individual does not have (S21.G00.70.012)"
                );
                let (line, r) = at!(b, "S21.G00.78", 5);
                let cause = ctx.push("ECIN02", line, r, true, msg, indiv_context(i));
                broken_base.get_or_insert(cause);
                sums.unattributed += amounts_059;
                sums.unattributed_cause.get_or_insert(cause);
                continue;
            };
            based.push(aid);
            let adh = adhesion(&aff.adhesion_id);
            if adh.is_none() {
                // EADH01 already reported on the affiliation: the base's contributions belong to
                // no contract.
                sums.unattributed += amounts_059;
                if sums.unattributed_cause.is_none() {
                    sums.unattributed_cause = ctx
                        .out
                        .iter()
                        .rev()
                        .find(|x| x.code == "EADH01" && x.line == aff.line_or_start(13))
                        .map(Anomaly::as_cause);
                }
            }
            check_base(ctx, i, b, aff, adh.map(|a| a.contract_ref.as_str()), sums);
        }
    }
    // Affiliations with no base 31 while the individual was paid this month.
    if !i.pay.is_empty() {
        for c in &i.contracts {
            for a in &c.affiliations {
                if !based.contains(&a.id.as_str()) && adhesion(&a.adhesion_id).is_some() {
                    let msg = format!(
                        "affiliation {:?} has no base assujettie 31 (S21.G00.78.005)",
                        a.id
                    );
                    let mut context = indiv_context(i);
                    context.push((rid("S21.G00.70.012"), a.id.clone()));
                    let (line, r) = at!(a, "S21.G00.70", 12);
                    ctx.push_caused("ECIN01", line, r, true, msg, context, broken_base);
                }
            }
        }
    }
}

/// An amount taken into sums: `None` when absent or absurd (beyond [`absurd_amount`], reported
/// by the checks), so that sums and products of values from outside never overflow.
pub fn plausible(a: Option<Decimal>) -> Option<Decimal> {
    a.filter(|a| a.abs() <= absurd_amount())
}

fn check_affiliation(
    ctx: &mut Ctx<'_>,
    i: &Individual,
    c: &crate::dsn::model::Contract,
    a: &Affiliation,
    adh: Option<&crate::dsn::model::Adhesion>,
) {
    // Built only when an anomaly is pushed (this runs for every employee).
    let context = |contract_ref: Option<&str>| {
        let mut v = indiv_context(i);
        v.push((rid("S21.G00.70.012"), a.id.clone()));
        if let Some(r) = contract_ref {
            v.insert(0, (rid("S21.G00.15.001"), r.to_string()));
        }
        v
    };
    let Some(adh) = adh else {
        let msg = format!(
            "affiliation {:?} points to adhesion {:?} which the establishment does not declare (S21.G00.15.005)",
            a.id, a.adhesion_id
        );
        let (line, r) = at!(a, "S21.G00.70", 13);
        ctx.push("EADH01", line, r, true, msg, context(None));
        return;
    };
    let context = || context(Some(&adh.contract_ref));
    // Dates: affiliation within the contract and the fiche's validity.
    if let (Some(s), Some(cs)) = (a.start, c.start)
        && s < cs
    {
        let msg = format!("affiliation starts {s} before the work contract ({cs})");
        let (line, r) = at!(a, "S21.G00.70", 14);
        ctx.push("EAFF98", line, r, false, msg, context());
    }
    if let (Some(s), Some(end)) = (a.start, c.end.as_ref().and_then(|e| e.date))
        && s > end
    {
        let msg = format!("affiliation starts {s} after the end of the work contract ({end})");
        let (line, r) = at!(a, "S21.G00.70", 14);
        ctx.push("EAFF98", line, r, false, msg, context());
    }
    let Some(f) = ctx.fiche else {
        return;
    };
    let params: Vec<_> = f.for_contract(&adh.contract_ref, None).collect();
    if params.is_empty() {
        return; // EADH02, reported on the adhesion
    }
    let opt = a.option.as_deref();
    let pop = a.population.as_deref();
    let opt_known = params
        .iter()
        .any(|p| p.option_code().is_none_or(|o| Some(o) == opt));
    let pop_known = params
        .iter()
        .any(|p| p.population_code().is_none_or(|o| Some(o) == pop));
    if !opt_known {
        let msg = format!(
            "option {:?} is not in the fiche for contract {:?}",
            opt.unwrap_or(""),
            adh.contract_ref
        );
        let (line, r) = at!(a, "S21.G00.70", 4);
        ctx.push("EAFF03", line, r, true, msg, context());
    } else if !pop_known {
        let msg = format!(
            "population {:?} is not in the fiche for contract {:?}",
            pop.unwrap_or(""),
            adh.contract_ref
        );
        let (line, r) = at!(a, "S21.G00.70", 5);
        ctx.push("EAFF06", line, r, true, msg, context());
    } else if !params.iter().any(|p| p.matches(opt, pop)) {
        let msg = format!(
            "option {:?} with population {:?} is not a combination of the fiche",
            opt.unwrap_or(""),
            pop.unwrap_or("")
        );
        let (line, r) = at!(a, "S21.G00.70", 4);
        ctx.push("EAFF02", line, r, true, msg, context());
    } else if let Some(d) = ctx.decl.month
        && !params
            .iter()
            .any(|p| p.matches(opt, pop) && p.is_valid_on(d))
    {
        let msg = format!(
            "no parameter of the fiche for contract {:?} is valid on {d}",
            adh.contract_ref
        );
        let (line, r) = at!(a, "S21.G00.70", 14);
        ctx.push("EAFF98", line, r, false, msg, context());
    }
}

fn check_base(
    ctx: &mut Ctx<'_>,
    i: &Individual,
    b: &Base,
    aff: &Affiliation,
    contract_ref: Option<&str>,
    sums: &mut EstablishmentSums,
) {
    let context = || {
        let mut v = indiv_context(i);
        if let Some(r) = contract_ref {
            v.insert(0, (rid("S21.G00.15.001"), r.to_string()));
        }
        v.push((
            rid("S21.G00.70.004"),
            aff.option.clone().unwrap_or_default(),
        ));
        v.push((
            rid("S21.G00.70.005"),
            aff.population.clone().unwrap_or_default(),
        ));
        v.retain(|(_, x)| !x.is_empty());
        v
    };
    let gap_of_contract = |gap: Decimal, cause: Cause, sums: &mut EstablishmentSums| {
        if let Some(r) = contract_ref {
            let e = sums
                .contribution_gaps
                .entry(r.to_string())
                .or_insert((Decimal::ZERO, cause));
            e.0 += gap;
        }
    };
    // Absurd or negative amounts: anomalies, never a panic, and left out of the sums.
    if let Some(a) = b.amount
        && (a.is_sign_negative() || a > absurd_amount())
    {
        let msg = format!(
            "base 31 amount {a} is negative or beyond {}",
            absurd_amount()
        );
        let (line, r) = at!(b, "S21.G00.78", 4);
        ctx.push("ECIN98", line, r, false, msg, context());
    }
    let mut rate_flagged = false;
    for c in &b.contributions {
        let Some(amount) = c.amount else { continue };
        if amount.is_sign_negative() && !amount.is_zero() {
            let msg = format!(
                "contribution {} amount {amount} is negative (a regularisation is declared in its own block)",
                c.code
            );
            let (line, r) = at!(c, "S21.G00.81", 4);
            ctx.push("ECIN98", line, r, false, msg, context());
        }
        if amount.abs() > absurd_amount() {
            let msg = format!(
                "contribution {} amount {amount} is beyond {}",
                c.code,
                absurd_amount()
            );
            let (line, r) = at!(c, "S21.G00.81", 4);
            ctx.push("ECIN98", line, r, false, msg, context());
            rate_flagged = true;
            continue;
        }
        // amount = base × rate: rate in percent, half-up to the cent (S21.G00.81.003 × .007;
        // without .003 the base is the parent S21.G00.78.004).
        let (Some(rate), Some(base)) = (c.rate, c.base_amount.or(b.amount)) else {
            continue;
        };
        // A rate beyond 100 % or an absurd base cannot give an amount: reported, not computed.
        let Some(expected) = plausible(Some(base))
            .filter(|_| rate.abs() <= Decimal::ONE_HUNDRED)
            .and_then(|b| b.checked_mul(rate))
            .map(|x| cents(x / Decimal::ONE_HUNDRED))
        else {
            let msg = format!(
                "contribution {}: base {base} × rate {rate} % cannot be computed (rate beyond 100 % or absurd base)",
                c.code
            );
            let (line, r) = at!(c, "S21.G00.81", 7);
            ctx.push("ECIN98", line, r, false, msg, context());
            continue;
        };
        let gap = amount - expected;
        if gap.abs() > rate_tolerance(&c.code) {
            let msg = format!(
                "contribution {} of {amount} differs from base {base} × rate {rate} % = {expected} (gap {gap}, tolerance {})",
                c.code,
                rate_tolerance(&c.code)
            );
            let (line, r) = at!(c, "S21.G00.81", 4);
            let cause = ctx.push("ECIN08", line, r, false, msg, context());
            if c.code == "059" {
                gap_of_contract(gap, cause, sums);
                rate_flagged = true;
            }
        }
    }
    let declared: Option<Decimal> = {
        let c: Vec<_> = b.contributions.iter().filter(|c| c.code == "059").collect();
        if c.is_empty() {
            None
        } else {
            Some(c.iter().filter_map(|c| plausible(c.amount)).sum())
        }
    };
    if declared.is_none() {
        let (line, r) = at!(b, "S21.G00.78", 1);
        let cause = ctx.push(
            "ECIN98",
            line,
            r,
            false,
            "base 31 without an individual contribution 059 (S21.G00.81.001)".to_string(),
            context(),
        );
        if let Some(r) = contract_ref {
            sums.missing_contribution
                .entry(r.to_string())
                .or_insert(cause);
        }
    }
    if let (Some(r), Some(d)) = (contract_ref, declared) {
        *sums.declared.entry(r.to_string()).or_default() += d;
    }
    let (Some(f), Some(r)) = (ctx.fiche, contract_ref) else {
        return;
    };
    let when = b.start.or(ctx.decl.month);
    let Some(p) = f.for_contract(r, when).find(|p| {
        p.matches(aff.option.as_deref(), aff.population.as_deref()) && p.expected.is_some()
    }) else {
        return;
    };
    let x = expected_for_base(p, b, ctx.tol.call);
    for kind in &x.missing {
        let msg = format!(
            "component {kind} (S21.G00.79.001) expected by the fiche for contract {r:?} is missing under the base"
        );
        let (line, rb) = at!(b, "S21.G00.78", 1);
        ctx.push("ECIN05", line, rb, true, msg, context());
    }
    if !x.missing.is_empty() || x.terms == 0 || rate_flagged {
        return;
    }
    let (expected, n) = (x.amount, x.terms);
    if let Some(d) = declared {
        let gap = d - cents(expected);
        if gap.abs() > ctx.tol.per_component * Decimal::from(n) {
            let (line, rb) = match b.contributions.iter().find(|c| c.code == "059") {
                Some(c) => at!(c, "S21.G00.81", 4),
                None => at!(b, "S21.G00.78", 1),
            };
            let msg = format!(
                "declared contribution {d} differs from base × the fiche's rates {} (gap {gap})",
                cents(expected)
            );
            let cause = ctx.push("ECIN08", line, rb, false, msg, context());
            gap_of_contract(gap, cause, sums);
        }
    }
}

fn check_payments(
    ctx: &mut Ctx<'_>,
    e: &Establishment,
    sums: &EstablishmentSums,
    unknown: &HashMap<String, Cause>,
) {
    let tol = ctx.tol.per_component;
    let organismes: HashMap<&str, &str> = e
        .adhesions
        .iter()
        .map(|a| (a.contract_ref.as_str(), a.organisme.as_str()))
        .collect();
    let any_unknown = unknown.values().min_by_key(|c| c.line).copied();
    let mut paid: HashMap<&str, Decimal> = HashMap::new();
    // Line of the first S21.G00.55.001 paying each contract.
    let mut paid_line: HashMap<&str, u64> = HashMap::new();
    for p in &e.payments {
        for c in &p.components {
            if organismes.contains_key(c.assignment.as_str()) {
                *paid.entry(c.assignment.as_str()).or_default() +=
                    plausible(c.amount).unwrap_or_default();
                paid_line
                    .entry(c.assignment.as_str())
                    .or_insert(c.line_or_start(1));
            } else if ctx.fiche.is_some_and(|f| {
                f.producer.code == p.ops || f.parameters().any(|x| x.organisme.code_oc == p.ops)
            }) {
                let msg = format!(
                    "payment component assigned to {:?}, which is not a contract of the establishment",
                    c.assignment
                );
                let context = vec![
                    (rid("S21.G00.20.001"), p.ops.clone()),
                    (rid("S21.G00.55.003"), c.assignment.clone()),
                ];
                let (line, r) = at!(c, "S21.G00.55", 3);
                ctx.push_caused("ECVE03", line, r, false, msg, context, any_unknown);
            }
        }
    }
    let mut refs: Vec<_> = sums.declared.iter().collect();
    refs.sort();
    // Contracts whose payment components disagree with the contributions, with that anomaly.
    let mut mismatched: HashMap<String, Cause> = HashMap::new();
    for (contract, amount) in refs {
        if amount.is_zero() {
            continue;
        }
        let organisme = organismes.get(contract.as_str()).copied().unwrap_or("");
        let context = vec![
            (rid("S21.G00.15.001"), contract.clone()),
            (rid("S21.G00.15.002"), organisme.to_string()),
        ];
        let adh = e.adhesions.iter().find(|a| &a.contract_ref == contract);
        let (line, r) = match adh {
            Some(a) => at!(a, "S21.G00.15", 1),
            None => (e.line, rid("S21.G00.11.001")),
        };
        let cause = unknown.get(contract.as_str()).copied();
        match paid.get(contract.as_str()) {
            None if !e.payments.iter().any(|p| p.ops == organisme) => {
                let msg = format!(
                    "contributions of {amount} declared for contract {contract:?} but no payment (S21.G00.20) to {organisme}"
                );
                ctx.push_caused("EVER01", line, r, false, msg, context, cause);
            }
            None => {
                let msg = format!(
                    "contributions of {amount} declared for contract {contract:?} but no payment component (S21.G00.55.003) assigned to it"
                );
                ctx.push_caused("ECVE98", line, r, false, msg, context, cause);
            }
            Some(p) if (*p - *amount).abs() > tol => {
                let gap = *p - *amount;
                let explained = |x: Decimal| (gap - x).abs() <= tol;
                let cause = cause
                    .or_else(|| {
                        sums.contribution_gaps
                            .get(contract.as_str())
                            .filter(|(g, _)| explained(-*g))
                            .map(|(_, c)| *c)
                    })
                    .or_else(|| {
                        sums.unattributed_cause
                            .filter(|_| explained(sums.unattributed))
                    })
                    .or_else(|| {
                        // Paid more than declared where a base lacks its contribution.
                        sums.missing_contribution
                            .get(contract.as_str())
                            .copied()
                            .filter(|_| gap > Decimal::ZERO)
                    });
                let msg =
                    format!("contract {contract:?}: contributions declared {amount}, paid {p}");
                let line = paid_line.get(contract.as_str()).copied().unwrap_or(line);
                let me = ctx.push_caused(
                    "ECVE98",
                    line,
                    rid("S21.G00.55.001"),
                    false,
                    msg,
                    context,
                    cause,
                );
                mismatched.insert(contract.clone(), cause.unwrap_or(me));
            }
            Some(_) => {}
        }
    }
    // A payment whose components do not add up to its amount: when the amount equals what was
    // declared, the faulty value is the component (already reported) and this follows from it.
    for p in &e.payments {
        let sum: Decimal = p
            .components
            .iter()
            .filter_map(|c| plausible(c.amount))
            .sum();
        let Some(amount) = plausible(p.amount) else {
            if let Some(a) = p.amount {
                let msg = format!("payment amount {a} is beyond {}", absurd_amount());
                let (line, r) = at!(p, "S21.G00.20", 5);
                ctx.push("EVER98", line, r, false, msg, vec![]);
            }
            continue;
        };
        if p.components.is_empty() || (amount - sum).abs() <= tol {
            continue;
        }
        let declared_for_ops: Decimal = p
            .components
            .iter()
            .filter_map(|c| sums.declared.get(&c.assignment))
            .sum();
        let component_cause = p
            .components
            .iter()
            .find_map(|c| mismatched.get(&c.assignment).copied())
            .filter(|_| (amount - declared_for_ops).abs() <= tol);
        let msg =
            format!("payment of {amount} but its components (S21.G00.55.001) add up to {sum}");
        let (line, r) = at!(p, "S21.G00.20", 5);
        ctx.push_caused(
            "EVER98",
            line,
            r,
            false,
            msg,
            vec![(rid("S21.G00.20.001"), p.ops.clone())],
            component_cause,
        );
    }
}

pub use crate::dsn::manques::{AffiliatedSnapshot, due_date, missing_declarations};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsn::model::{Company, Contract, ContractEnd, Establishment, RawNir};
    use chrono::NaiveDate;

    fn decl(month: u32, people: &[(&str, bool)]) -> Declaration {
        let individuals = people
            .iter()
            .enumerate()
            .map(|(n, (nir, ended))| Individual {
                line: 10 + n as u64,
                nir: RawNir::new(*nir),
                contracts: vec![Contract {
                    affiliations: vec![Affiliation {
                        id: "1".into(),
                        adhesion_id: "1".into(),
                        ..Affiliation::default()
                    }],
                    end: ended.then(ContractEnd::default),
                    ..Contract::default()
                }],
                ..Individual::default()
            })
            .collect();
        Declaration {
            month: NaiveDate::from_ymd_opt(2026, month, 1),
            company: Some(Company {
                siren: "487654321".into(),
                ..Company::default()
            }),
            establishments: vec![Establishment {
                nic: "00018".into(),
                individuals,
                ..Establishment::default()
            }],
            ..Declaration::default()
        }
    }

    #[test]
    fn broken_adhesion_link_without_fiche() {
        let mut d = decl(3, &[("1850575123456", false)]);
        // No S21.G00.15 at all: the affiliation's .013 points nowhere.
        let found = check_declaration(&d, &[], Tolerance::default());
        assert_eq!(found.iter().map(|a| a.code).collect::<Vec<_>>(), ["EADH01"]);
        d.establishments[0]
            .adhesions
            .push(crate::dsn::model::Adhesion {
                id: "1".into(),
                ..Default::default()
            });
        assert!(check_declaration(&d, &[], Tolerance::default()).is_empty());
    }

    /// amount = base × rate %, half-up to the cent, one cent of tolerance for 059.
    #[test]
    fn contribution_is_base_times_rate() {
        use crate::dsn::model::{Adhesion, IndividualContribution, Pay};
        use rust_decimal_macros::dec;
        let with = |amount: Decimal, base: Option<Decimal>, rate: Decimal| {
            let mut d = decl(3, &[("1850575123456", false)]);
            let e = &mut d.establishments[0];
            e.adhesions.push(Adhesion {
                id: "1".into(),
                contract_ref: "C".into(),
                ..Default::default()
            });
            e.individuals[0].pay.push(Pay {
                bases: vec![Base {
                    line: 40,
                    code: "31".into(),
                    amount: Some(dec!(2000.50)),
                    affiliation_id: Some("1".into()),
                    contributions: vec![IndividualContribution {
                        line: 50,
                        code: "059".into(),
                        base_amount: base,
                        amount: Some(amount),
                        rate: Some(rate),
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            });
            check_declaration(&d, &[], Tolerance::default())
                .into_iter()
                .filter(|a| a.code == "ECIN08")
                .count()
        };
        // 1 234.50 × 0.81 % = 9.99945 → 10.00 (half-up).
        assert_eq!(with(dec!(10.00), Some(dec!(1234.50)), dec!(0.81)), 0);
        // 100.50 × 1.00 % = 1.005 → 1.01 half-up (1.00 is within the cent of tolerance).
        assert_eq!(with(dec!(1.01), Some(dec!(100.50)), dec!(1.00)), 0);
        assert_eq!(with(dec!(1.03), Some(dec!(100.50)), dec!(1.00)), 1);
        // Without .003 the base is S21.G00.78.004: 2 000.50 × 1.5 % = 30.0075 → 30.01.
        assert_eq!(with(dec!(30.01), None, dec!(1.5)), 0);
        // Raised by 12.34 (the case).
        assert_eq!(with(dec!(42.35), None, dec!(1.5)), 1);
        // Absurd and negative amounts: anomalies, no panic.
        assert_eq!(with(dec!(99999999999), None, dec!(1.5)), 0);
    }

    #[test]
    fn labels_of_crm_codes() {
        assert_eq!(crm_label("ECIN05"), "Composant base assujettie manquant");
        assert_eq!(crm_label("ZZZZ99"), "Anomalie");
    }
}
