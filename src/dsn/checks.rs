//! Prévoyance consistency checks of one declaration against the insurer's fiches, coded with
//! the CRM OC vocabulary (CRM-DSN-OC-P3 `CodeRetourMetier`: EADH*, EAFF*, ECIN*, ECVE*, EVER*),
//! plus the "manques" (missing declarations, vanished employees) with ijgate's own codes.
//!
//! Invariant: checks are pure functions of their inputs; each anomaly names the physical line
//! and rubric it is about, and says whether it blocks the contribution call.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::dsn::calls::{CallOptions, cents, expected_for_base};
use crate::dsn::fiche::Fiche;
use crate::dsn::model::{Affiliation, Base, Declaration, Establishment, Individual, Nir};
use crate::neodes::rubric::{RubricId, rid};

/// A business anomaly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    /// CRM OC `CodeRetourMetier` (EADH02, ECIN05, ...) or an ijgate code (MDSN01, MSAL01).
    pub code: &'static str,
    pub line: u64,
    pub rubric: Option<RubricId>,
    pub message: String,
    /// True when the anomaly prevents computing the contribution call of the affiliation.
    pub blocking: bool,
    /// SIRET of the establishment concerned (empty when not known).
    pub siret: String,
    /// Rubrics and values giving context (for the CRM `ContexteRetourMetier`).
    #[serde(skip)]
    pub context: Vec<(RubricId, String)>,
}

/// Labels of the CRM codes used here (from the XSD `LibelCodeRetourMetier` documentation).
pub fn crm_label(code: &str) -> &'static str {
    match code {
        "EADH01" => "Adhésion manquante",
        "EADH02" => "Référence Contrat de l'adhésion erronée",
        "EADH03" => "Code OC de l'adhésion erroné",
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

struct Ctx<'a> {
    decl: &'a Declaration,
    fiche: Option<&'a Fiche>,
    out: Vec<Anomaly>,
    siret: String,
}

impl Ctx<'_> {
    fn push(
        &mut self,
        code: &'static str,
        line: u64,
        rubric: RubricId,
        blocking: bool,
        message: String,
        context: Vec<(RubricId, String)>,
    ) {
        self.out.push(Anomaly {
            code,
            line,
            rubric: Some(rubric),
            message,
            blocking,
            siret: self.siret.clone(),
            context,
        });
    }
}

/// The fiche of the declared company among `fiches` (by SIREN).
pub fn fiche_for<'a>(decl: &Declaration, fiches: &'a [Fiche]) -> Option<&'a Fiche> {
    fiches.iter().find(|f| f.company.siren == decl.siren())
}

fn period_date(decl: &Declaration) -> Option<NaiveDate> {
    decl.month
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

/// Runs every check of one declaration. `fiches` are all the fiches known (the one of the
/// declared SIREN is used); without a fiche only the structural links are checked.
pub fn check_declaration(decl: &Declaration, fiches: &[Fiche], tol: Tolerance) -> Vec<Anomaly> {
    let mut ctx = Ctx {
        decl,
        fiche: fiche_for(decl, fiches),
        out: Vec::new(),
        siret: String::new(),
    };
    for e in &decl.establishments {
        ctx.siret = decl.siret(e);
        check_establishment(&mut ctx, e, tol);
    }
    ctx.out
}

fn check_establishment(ctx: &mut Ctx<'_>, e: &Establishment, tol: Tolerance) {
    let when = period_date(ctx.decl);
    // Adhesions vs fiche.
    if let Some(f) = ctx.fiche {
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
                ctx.push("EADH02", a.line, rid("S21.G00.15.001"), true, msg, c);
            } else if !params.iter().any(|p| p.organisme.code_oc == a.organisme) {
                let msg = format!(
                    "organisme {:?} differs from the fiche's {:?}",
                    a.organisme, params[0].organisme.code_oc
                );
                ctx.push("EADH03", a.line, rid("S21.G00.15.002"), false, msg, c);
            }
        }
    }
    let adhesions: HashMap<&str, &crate::dsn::model::Adhesion> =
        e.adhesions.iter().map(|a| (a.id.as_str(), a)).collect();
    // Declared contributions per contract reference, for the payment reconciliation.
    let mut declared_by_contract: HashMap<String, Decimal> = HashMap::new();
    for i in &e.individuals {
        // Individuals have one to three affiliations: linear scans beat hashing here.
        let affiliation = |id: &str| {
            i.contracts
                .iter()
                .flat_map(|c| &c.affiliations)
                .find(|a| a.id == id)
        };
        let mut based: Vec<&str> = Vec::new();
        for c in &i.contracts {
            for a in &c.affiliations {
                // Built only when an anomaly is pushed (this loop runs for every employee).
                let context = |contract_ref: Option<&str>| {
                    let mut v = indiv_context(i);
                    v.push((rid("S21.G00.70.012"), a.id.clone()));
                    if let Some(r) = contract_ref {
                        v.insert(0, (rid("S21.G00.15.001"), r.to_string()));
                    }
                    v
                };
                let Some(adh) = adhesions.get(a.adhesion_id.as_str()) else {
                    let msg = format!(
                        "affiliation {:?} points to adhesion {:?} which the establishment does not declare (S21.G00.15.005)",
                        a.id, a.adhesion_id
                    );
                    ctx.push(
                        "EADH01",
                        a.line,
                        rid("S21.G00.70.013"),
                        true,
                        msg,
                        context(None),
                    );
                    continue;
                };
                let context = || context(Some(&adh.contract_ref));
                // Dates: affiliation within the contract and the fiche's validity.
                if let (Some(s), Some(cs)) = (a.start, c.start)
                    && s < cs
                {
                    let msg = format!("affiliation starts {s} before the work contract ({cs})");
                    ctx.push(
                        "EAFF98",
                        a.line,
                        rid("S21.G00.70.014"),
                        false,
                        msg,
                        context(),
                    );
                }
                if let (Some(s), Some(end)) = (a.start, c.end.as_ref().and_then(|e| e.date))
                    && s > end
                {
                    let msg = format!(
                        "affiliation starts {s} after the end of the work contract ({end})"
                    );
                    ctx.push(
                        "EAFF98",
                        a.line,
                        rid("S21.G00.70.014"),
                        false,
                        msg,
                        context(),
                    );
                }
                if let Some(f) = ctx.fiche {
                    let params: Vec<_> = f.for_contract(&adh.contract_ref, None).collect();
                    if params.is_empty() {
                        continue; // already EADH02
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
                        ctx.push(
                            "EAFF03",
                            a.line,
                            rid("S21.G00.70.004"),
                            true,
                            msg,
                            context(),
                        );
                    } else if !pop_known {
                        let msg = format!(
                            "population {:?} is not in the fiche for contract {:?}",
                            pop.unwrap_or(""),
                            adh.contract_ref
                        );
                        ctx.push(
                            "EAFF06",
                            a.line,
                            rid("S21.G00.70.005"),
                            true,
                            msg,
                            context(),
                        );
                    } else if !params.iter().any(|p| p.matches(opt, pop)) {
                        let msg = format!(
                            "option {:?} with population {:?} is not a combination of the fiche",
                            opt.unwrap_or(""),
                            pop.unwrap_or("")
                        );
                        ctx.push(
                            "EAFF02",
                            a.line,
                            rid("S21.G00.70.004"),
                            true,
                            msg,
                            context(),
                        );
                    } else if let Some(d) = when
                        && !params
                            .iter()
                            .any(|p| p.matches(opt, pop) && p.is_valid_on(d))
                    {
                        let msg = format!(
                            "no parameter of the fiche for contract {:?} is valid on {d}",
                            adh.contract_ref
                        );
                        ctx.push(
                            "EAFF98",
                            a.line,
                            rid("S21.G00.70.014"),
                            false,
                            msg,
                            context(),
                        );
                    }
                }
            }
        }
        for p in &i.pay {
            for b in &p.bases {
                if b.code != "31" {
                    continue;
                }
                let Some(aid) = b.affiliation_id.as_deref() else {
                    let msg = "base 31 without the affiliation id S21.G00.78.005".to_string();
                    ctx.push(
                        "ECIN02",
                        b.line,
                        rid("S21.G00.78.005"),
                        true,
                        msg,
                        indiv_context(i),
                    );
                    continue;
                };
                let Some(aff) = affiliation(aid) else {
                    let msg = format!(
                        "base points to affiliation {aid:?} which the individual does not have (S21.G00.70.012)"
                    );
                    ctx.push(
                        "ECIN02",
                        b.line,
                        rid("S21.G00.78.005"),
                        true,
                        msg,
                        indiv_context(i),
                    );
                    continue;
                };
                based.push(aid);
                let adh = adhesions.get(aff.adhesion_id.as_str());
                check_base(
                    ctx,
                    i,
                    b,
                    aff,
                    adh.map(|a| a.contract_ref.as_str()),
                    tol,
                    &mut declared_by_contract,
                );
            }
        }
        // Affiliations with no base 31 while the individual was paid this month.
        if !i.pay.is_empty() {
            for c in &i.contracts {
                for a in &c.affiliations {
                    if !based.contains(&a.id.as_str())
                        && adhesions.contains_key(a.adhesion_id.as_str())
                    {
                        let msg = format!(
                            "affiliation {:?} has no base assujettie 31 (S21.G00.78.005)",
                            a.id
                        );
                        let mut context = indiv_context(i);
                        context.push((rid("S21.G00.70.012"), a.id.clone()));
                        ctx.push("ECIN01", a.line, rid("S21.G00.70.012"), true, msg, context);
                    }
                }
            }
        }
    }
    check_payments(ctx, e, &declared_by_contract, tol);
}

fn check_base(
    ctx: &mut Ctx<'_>,
    i: &Individual,
    b: &Base,
    aff: &Affiliation,
    contract_ref: Option<&str>,
    tol: Tolerance,
    declared_by_contract: &mut HashMap<String, Decimal>,
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
    let declared: Option<Decimal> = {
        let c: Vec<_> = b.contributions.iter().filter(|c| c.code == "059").collect();
        if c.is_empty() {
            None
        } else {
            Some(c.iter().filter_map(|c| c.amount).sum())
        }
    };
    if declared.is_none() {
        ctx.push(
            "ECIN98",
            b.line,
            rid("S21.G00.81.001"),
            false,
            "base 31 without an individual contribution 059".to_string(),
            context(),
        );
    }
    if let (Some(r), Some(d)) = (contract_ref, declared) {
        *declared_by_contract.entry(r.to_string()).or_default() += d;
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
    let x = expected_for_base(p, b, tol.call);
    for kind in &x.missing {
        let msg = format!(
            "component {kind} expected by the fiche for contract {r:?} is missing under the base (S21.G00.79.001)"
        );
        ctx.push(
            "ECIN05",
            b.line,
            rid("S21.G00.79.001"),
            true,
            msg,
            context(),
        );
    }
    if !x.missing.is_empty() || x.terms == 0 {
        return;
    }
    let (expected, n) = (x.amount, x.terms);
    if let Some(d) = declared {
        let gap = (d - cents(expected)).abs();
        if gap > tol.per_component * Decimal::from(n) {
            let line = b
                .contributions
                .iter()
                .find(|c| c.code == "059")
                .map_or(b.line, |c| c.line);
            let msg = format!(
                "declared contribution {d} differs from base × rate {} (gap {gap})",
                cents(expected)
            );
            ctx.push("ECIN08", line, rid("S21.G00.81.004"), false, msg, context());
        }
    }
}

fn check_payments(
    ctx: &mut Ctx<'_>,
    e: &Establishment,
    declared: &HashMap<String, Decimal>,
    tol: Tolerance,
) {
    let organismes: HashMap<&str, &str> = e
        .adhesions
        .iter()
        .map(|a| (a.contract_ref.as_str(), a.organisme.as_str()))
        .collect();
    let mut paid: HashMap<&str, Decimal> = HashMap::new();
    for p in &e.payments {
        for c in &p.components {
            if organismes.contains_key(c.assignment.as_str()) {
                *paid.entry(c.assignment.as_str()).or_default() += c.amount.unwrap_or_default();
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
                ctx.push("ECVE03", c.line, rid("S21.G00.55.003"), false, msg, context);
            }
        }
        let sum: Decimal = p.components.iter().filter_map(|c| c.amount).sum();
        if let Some(amount) = p.amount
            && !p.components.is_empty()
            && (amount - sum).abs() > tol.per_component
        {
            let msg = format!("payment of {amount} but its components add up to {sum}");
            ctx.push(
                "EVER98",
                p.line,
                rid("S21.G00.20.005"),
                false,
                msg,
                vec![(rid("S21.G00.20.001"), p.ops.clone())],
            );
        }
    }
    let mut refs: Vec<_> = declared.iter().collect();
    refs.sort();
    for (contract, amount) in refs {
        if amount.is_zero() {
            continue;
        }
        let organisme = organismes.get(contract.as_str()).copied().unwrap_or("");
        let context = vec![
            (rid("S21.G00.15.001"), contract.clone()),
            (rid("S21.G00.15.002"), organisme.to_string()),
        ];
        let line = e
            .adhesions
            .iter()
            .find(|a| &a.contract_ref == contract)
            .map_or(e.line, |a| a.line);
        match paid.get(contract.as_str()) {
            None if !e.payments.iter().any(|p| p.ops == organisme) => {
                let msg = format!(
                    "contributions of {amount} declared for contract {contract:?} but no payment to {organisme}"
                );
                ctx.push("EVER01", line, rid("S21.G00.20.001"), false, msg, context);
            }
            None => {
                let msg = format!(
                    "contributions of {amount} declared for contract {contract:?} but no payment component assigned to it"
                );
                ctx.push("ECVE98", line, rid("S21.G00.55.003"), false, msg, context);
            }
            Some(p) if (*p - *amount).abs() > tol.per_component => {
                let msg =
                    format!("contract {contract:?}: contributions declared {amount}, paid {p}");
                ctx.push("ECVE98", line, rid("S21.G00.55.001"), false, msg, context);
            }
            Some(_) => {}
        }
    }
}

/// What the manques check remembers of a declaration: who was affiliated, per SIRET.
#[derive(Debug, Clone, Default)]
pub struct AffiliatedSnapshot {
    pub month: Option<NaiveDate>,
    /// (SIRET, NIR) → (line of the individual, contract ended this month).
    pub employees: HashMap<(String, Nir), (u64, bool)>,
}

impl AffiliatedSnapshot {
    pub fn of(decl: &Declaration) -> Self {
        let mut employees = HashMap::new();
        for e in &decl.establishments {
            let siret = decl.siret(e);
            for i in &e.individuals {
                if i.contracts.iter().any(|c| !c.affiliations.is_empty()) {
                    let ended = i.contracts.iter().all(|c| c.end.is_some());
                    employees.insert((siret.clone(), i.nir.clone()), (i.line, ended));
                }
            }
        }
        Self {
            month: decl.month,
            employees,
        }
    }
}

/// Employees affiliated in `previous` and absent from `current` (same SIRET) although no end of
/// contract was declared. The anomaly points at the individual's line in the previous file.
pub fn missing_employees(previous: &AffiliatedSnapshot, current: &Declaration) -> Vec<Anomaly> {
    let present: HashSet<(String, Nir)> = current
        .establishments
        .iter()
        .flat_map(|e| {
            e.individuals
                .iter()
                .map(move |i| (current.siret(e), i.nir.clone()))
        })
        .collect();
    let current_sirets: HashSet<String> = current
        .establishments
        .iter()
        .map(|e| current.siret(e))
        .collect();
    let mut out: Vec<Anomaly> = previous
        .employees
        .iter()
        .filter(|((siret, nir), (_, ended))| {
            !ended
                && current_sirets.contains(siret)
                && !present.contains(&(siret.clone(), nir.clone()))
        })
        .map(|((siret, nir), (line, _))| Anomaly {
            code: "MSAL01",
            line: *line,
            rubric: Some(rid("S21.G00.30.001")),
            message: format!(
                "employee {nir} affiliated in the previous month is absent with no end of contract"
            ),
            blocking: false,
            siret: siret.clone(),
            context: vec![(rid("S21.G00.30.001"), nir.expose().to_string())],
        })
        .collect();
    out.sort_by_key(|a| a.line);
    out
}

/// Due date of the DSN of `month` (the 5th or the 15th of the next month).
pub fn due_date(month: NaiveDate, due_day: u32) -> NaiveDate {
    let (y, m) = if month.month() == 12 {
        (month.year() + 1, 1)
    } else {
        (month.year(), month.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, due_day.clamp(1, 28)).unwrap_or(month)
}

/// Establishments of the fiches (SIREN + NIC) with no declaration received for `month` once
/// its due date has passed on `today`. `received` lists (SIRET, month) of the DSN read.
pub fn missing_declarations(
    fiches: &[Fiche],
    received: &[(String, NaiveDate)],
    month: NaiveDate,
    today: NaiveDate,
    due_day: u32,
) -> Vec<Anomaly> {
    if today <= due_date(month, due_day) {
        return Vec::new();
    }
    let first = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let mut out = Vec::new();
    for f in fiches {
        let Some(nic) = f.company.nic.as_deref() else {
            continue;
        };
        let siret = format!("{}{}", f.company.siren, nic);
        if !received
            .iter()
            .any(|(s, m)| *s == siret && first(*m) == first(month))
        {
            out.push(Anomaly {
                code: "MDSN01",
                line: 0,
                rubric: None,
                message: format!(
                    "no DSN for {} received from establishment {siret} (due {})",
                    month.format("%m/%Y"),
                    due_date(month, due_day)
                ),
                blocking: false,
                siret,
                context: Vec::new(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsn::model::{Company, Contract, ContractEnd, Establishment};

    fn decl(month: u32, people: &[(&str, bool)]) -> Declaration {
        let individuals = people
            .iter()
            .enumerate()
            .map(|(n, (nir, ended))| Individual {
                line: 10 + n as u64,
                nir: Nir::new(*nir),
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
    fn due_dates() {
        let m = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(due_date(m, 5), NaiveDate::from_ymd_opt(2027, 1, 5).unwrap());
        assert_eq!(
            due_date(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), 15),
            NaiveDate::from_ymd_opt(2026, 4, 15).unwrap()
        );
    }

    #[test]
    fn vanished_employee_only_without_end_of_contract() {
        let feb = decl(2, &[("1850575123456", false), ("2900133456789", true)]);
        let mar = decl(3, &[]);
        let found = missing_employees(&AffiliatedSnapshot::of(&feb), &mar);
        // The one whose contract ended in February is not reported.
        assert_eq!(
            found.iter().map(|a| (a.code, a.line)).collect::<Vec<_>>(),
            [("MSAL01", 10)]
        );
        assert!(found[0].message.contains("185**********") && !found[0].message.contains("0575"));
        let mar_with_him = decl(3, &[("1850575123456", false)]);
        assert!(missing_employees(&AffiliatedSnapshot::of(&feb), &mar_with_him).is_empty());
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

    #[test]
    fn labels_of_crm_codes() {
        assert_eq!(crm_label("ECIN05"), "Composant base assujettie manquant");
        assert_eq!(crm_label("ZZZZ99"), "Anomalie");
    }
}
