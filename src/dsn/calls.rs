//! Prévoyance contribution calls (appels de cotisation) per company / contract / period:
//! expected (fiche × bases), declared (S21.G00.81 `059`, S21.G00.82), paid (S21.G00.55) and the
//! balance due, rendered as JSON, CSV and a printable HTML document.
//!
//! Invariant: pure functions; amounts are `Decimal` rounded to the cent only when rendered or
//! compared; the period key follows the fiche's periodicity (`2026-03`, `2026-T1`, `2026-S1`,
//! `2026`).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::dsn::fiche::{ContractParameters, Fiche};
use crate::dsn::model::{Base, Declaration, Individual};

/// Parameters of the computation that are not in the fiche.
#[derive(Debug, Clone, Copy)]
pub struct CallOptions {
    /// Plafond mensuel de la sécurité sociale, for `Assiette` = PMSS (2026: 4 005 € [verify]).
    pub pmss: Decimal,
}

impl Default for CallOptions {
    fn default() -> Self {
        Self {
            pmss: Decimal::new(4005, 0),
        }
    }
}

/// What a fiche expects for one base.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExpectedAmount {
    pub amount: Decimal,
    /// S21.G00.79.001 component types the fiche rates but the base lacks.
    pub missing: Vec<String>,
    /// Number of rated terms (for the rounding tolerance).
    pub terms: u32,
}

/// base × rate for every tranche rate and unconditional specific base of `p`; flat amounts are
/// added as they are; conditional lines (`Condition`: per dependant...) are not computed.
pub fn expected_for_base(p: &ContractParameters, base: &Base, opts: CallOptions) -> ExpectedAmount {
    let mut out = ExpectedAmount::default();
    let Some(exp) = p.expected.as_ref() else {
        return out;
    };
    // An absurd component (beyond 10 M€, reported by the checks) is treated as missing:
    // products of values from outside must not overflow.
    let component = |kind: &str| {
        base.components
            .iter()
            .find(|c| c.kind == kind)
            .and_then(|c| crate::dsn::checks::plausible(c.amount))
    };
    for (kind, rate) in exp.tranche_rates() {
        out.terms += 1;
        match component(kind) {
            Some(a) => out.amount += a * rate / Decimal::ONE_HUNDRED,
            None => out.missing.push(kind.to_string()),
        }
    }
    for s in exp.specific.iter().filter(|s| s.condition.is_none()) {
        match (s.rate, s.coef, s.amount) {
            (Some(rate), Some(coef), _) if s.assiette.as_deref() == Some("PMSS") => {
                out.terms += 1;
                out.amount += coef * opts.pmss * rate / Decimal::ONE_HUNDRED;
            }
            (Some(rate), None, _) => {
                out.terms += 1;
                match component(&s.component) {
                    Some(a) => out.amount += a * rate / Decimal::ONE_HUNDRED,
                    None => out.missing.push(s.component.clone()),
                }
            }
            (None, _, Some(flat)) => {
                out.terms += 1;
                out.amount += flat;
            }
            _ => {}
        }
    }
    out
}

/// Rounds to the cent, half away from zero, as payroll does for each contribution line (so a
/// call equals the sum of correctly rounded individual contributions).
pub fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// Period key of `month` under a fiche periodicity.
pub fn period_key(month: NaiveDate, periodicity: &str) -> String {
    let y = month.year();
    match periodicity.to_ascii_lowercase().as_str() {
        "trimestriel" => format!("{y}-T{}", (month.month() - 1) / 3 + 1),
        "semestriel" => format!("{y}-S{}", (month.month() - 1) / 6 + 1),
        "annuel" => format!("{y}"),
        _ => format!("{y}-{:02}", month.month()),
    }
}

/// One line of the calls.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallLine {
    pub siren: String,
    pub company: String,
    pub contract: String,
    pub organisme: String,
    pub period: String,
    pub employees: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub expected: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub declared: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub paid: Decimal,
    /// expected − paid; `None` (JSON `null`, CSV empty) when the expected amount is not
    /// computable, never a figure that would read as a debt or a credit.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub balance: Option<Decimal>,
    /// Bases whose expected amount could not be computed (missing component, no fiche line).
    pub incomplete: u32,
    /// Why the balance is not computable (no fiche for the SIREN, no rate for the contract,
    /// a rated component missing from the bases), the first reason met; `None` when it is.
    pub not_computable: Option<String>,
}

impl CallLine {
    /// Records the first reason the expected amount (hence the balance) is not computable.
    fn cannot_compute(&mut self, why: impl FnOnce() -> String) {
        if self.not_computable.is_none() {
            self.not_computable = Some(why());
        }
    }
}

/// The reason given when no fiche describes a SIREN's contracts.
fn no_fiche(siren: &str) -> String {
    format!(
        "no fiche de paramétrage for SIREN {siren}: the expected contributions need its contract parameters (dsn check --fiche FILE)"
    )
}

/// Accumulates calls over any number of declarations.
#[derive(Debug, Default)]
pub struct Calls {
    lines: BTreeMap<(String, String, String), CallLine>,
}

impl Calls {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the contributions of one declaration held whole in memory.
    pub fn add(&mut self, decl: &Declaration, fiches: &[Fiche], opts: CallOptions) {
        for (k, e) in decl.establishments.iter().enumerate() {
            for i in &e.individuals {
                self.add_individual(decl, k, i, fiches, opts);
            }
        }
        self.add_establishments(decl, fiches);
    }

    fn company_of(decl: &Declaration, fiche: Option<&Fiche>) -> String {
        fiche
            .and_then(|f| f.company.name.clone())
            .unwrap_or_else(|| decl.envoi.emitter_name.clone())
    }

    fn periodicity(fiche: Option<&Fiche>, contract: &str, month: NaiveDate) -> String {
        fiche
            .and_then(|f| f.for_contract(contract, Some(month)).next())
            .map_or_else(|| "Mensuel".to_string(), |p| p.periodicity.clone())
    }

    /// Adds the bases 31 of one individual of establishment number `e_index` (streaming: the
    /// individual may be dropped afterwards).
    pub fn add_individual(
        &mut self,
        decl: &Declaration,
        e_index: usize,
        i: &Individual,
        fiches: &[Fiche],
        opts: CallOptions,
    ) {
        let Some(month) = decl.month else { return };
        let Some(e) = decl.establishments.get(e_index) else {
            return;
        };
        let siren = decl.siren();
        let fiche = fiches.iter().find(|f| f.company.siren == siren);
        // An individual counts once per call line, however many bases it has.
        let mut counted: Vec<usize> = Vec::new();
        for b in i
            .pay
            .iter()
            .flat_map(|p| &p.bases)
            .filter(|b| b.code == "31")
        {
            let Some(aff) = b.affiliation_id.as_deref().and_then(|id| {
                i.contracts
                    .iter()
                    .flat_map(|c| &c.affiliations)
                    .find(|a| a.id == id)
            }) else {
                continue;
            };
            let Some(k) = e.adhesions.iter().position(|a| a.id == aff.adhesion_id) else {
                continue;
            };
            let adh = &e.adhesions[k];
            let contract = adh.contract_ref.as_str();
            let declared = b
                .contributions
                .iter()
                .filter(|c| c.code == "059")
                .filter_map(|c| crate::dsn::checks::plausible(c.amount))
                .sum::<Decimal>();
            let params = fiche.and_then(|f| {
                f.for_contract(contract, b.start.or(Some(month))).find(|p| {
                    p.matches(aff.option.as_deref(), aff.population.as_deref())
                        && p.expected.is_some()
                })
            });
            let computed = params.map(|p| expected_for_base(p, b, opts));
            let key = (
                siren.to_string(),
                contract.to_string(),
                period_key(month, &Self::periodicity(fiche, contract, month)),
            );
            let company = Self::company_of(decl, fiche);
            let line = self.line(&key, &company, &adh.organisme);
            line.declared += declared;
            match computed {
                Some(x) if x.missing.is_empty() => line.expected += cents(x.amount),
                Some(x) => {
                    line.incomplete += 1;
                    line.cannot_compute(|| {
                        format!(
                            "contract {contract}: the fiche rates component(s) {} that base 31 of line {} does not declare (S21.G00.79)",
                            x.missing.join(", "),
                            b.line
                        )
                    });
                }
                None => {
                    line.incomplete += 1;
                    line.cannot_compute(|| match fiche {
                        None => no_fiche(siren),
                        Some(_) => format!(
                            "the fiche de paramétrage of SIREN {siren} has no rate for contract {contract} (option {:?}, population {:?}) in {}",
                            aff.option.as_deref().unwrap_or("-"),
                            aff.population.as_deref().unwrap_or("-"),
                            month.format("%m/%Y")
                        ),
                    });
                }
            }
            if !counted.contains(&k) {
                counted.push(k);
                line.employees += 1;
            }
        }
    }

    /// Adds what the establishments declare and pay besides individuals (S21.G00.82, S21.G00.55).
    pub fn add_establishments(&mut self, decl: &Declaration, fiches: &[Fiche]) {
        let Some(month) = decl.month else { return };
        let siren = decl.siren().to_string();
        let fiche = fiches.iter().find(|f| f.company.siren == siren);
        let company = Self::company_of(decl, fiche);
        for e in &decl.establishments {
            let organisme_of: BTreeMap<&str, &str> = e
                .adhesions
                .iter()
                .map(|a| (a.contract_ref.as_str(), a.organisme.as_str()))
                .collect();
            for c in &e.contributions {
                if let Some(contract) = c.contract_ref.as_deref() {
                    let key = (
                        siren.clone(),
                        contract.to_string(),
                        period_key(month, &Self::periodicity(fiche, contract, month)),
                    );
                    let organisme = organisme_of.get(contract).copied().unwrap_or("");
                    let line = self.line(&key, &company, organisme);
                    line.declared += crate::dsn::checks::plausible(c.amount).unwrap_or_default();
                    if fiche.is_none() {
                        line.cannot_compute(|| no_fiche(&siren));
                    }
                }
            }
            for p in &e.payments {
                for c in &p.components {
                    if let Some(organisme) = organisme_of.get(c.assignment.as_str()) {
                        let key = (
                            siren.clone(),
                            c.assignment.clone(),
                            period_key(month, &Self::periodicity(fiche, &c.assignment, month)),
                        );
                        let line = self.line(&key, &company, organisme);
                        line.paid += crate::dsn::checks::plausible(c.amount).unwrap_or_default();
                        if fiche.is_none() {
                            line.cannot_compute(|| no_fiche(&siren));
                        }
                    }
                }
            }
        }
    }

    /// Adds every line of `other` (the calls of another file).
    pub fn merge(&mut self, other: &Calls) {
        for (k, l) in &other.lines {
            let line = self.line(k, &l.company, &l.organisme);
            line.expected += l.expected;
            line.declared += l.declared;
            line.paid += l.paid;
            line.incomplete += l.incomplete;
            line.employees += l.employees;
            if let Some(why) = &l.not_computable {
                line.cannot_compute(|| why.clone());
            }
        }
    }

    fn line(
        &mut self,
        key: &(String, String, String),
        company: &str,
        organisme: &str,
    ) -> &mut CallLine {
        self.lines.entry(key.clone()).or_insert_with(|| CallLine {
            siren: key.0.clone(),
            company: company.to_string(),
            contract: key.1.clone(),
            organisme: organisme.to_string(),
            period: key.2.clone(),
            ..CallLine::default()
        })
    }

    /// The calls, sorted by company, contract, period; amounts rounded to the cent.
    pub fn lines(&self) -> Vec<CallLine> {
        self.lines
            .values()
            .map(|l| {
                let mut l = l.clone();
                l.expected = l.expected.round_dp_with_strategy(
                    2,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                );
                l.declared = l.declared.round_dp_with_strategy(
                    2,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                );
                l.paid = l.paid.round_dp_with_strategy(
                    2,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                );
                for m in [&mut l.expected, &mut l.declared, &mut l.paid] {
                    m.rescale(2);
                }
                l.balance = l.not_computable.is_none().then(|| l.expected - l.paid);
                l
            })
            .collect()
    }
}

/// The calls as JSON (amounts as exact strings).
pub fn to_json(lines: &[CallLine]) -> Vec<u8> {
    serde_json::to_vec_pretty(lines).unwrap_or_default()
}

/// The calls as CSV (`;`-separated, as French spreadsheets expect; `.` decimal point).
pub fn to_csv(lines: &[CallLine]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    for l in lines {
        // Serializing plain strings and numbers into memory cannot fail.
        let _ = w.serialize(l);
    }
    w.into_inner().unwrap_or_default()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn money(d: Decimal) -> String {
    let mut d = d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    d.rescale(2);
    let s = d.abs().to_string();
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    format!(
        "{}{grouped},{frac}\u{a0}€",
        if d.is_sign_negative() && !d.is_zero() {
            "-"
        } else {
            ""
        }
    )
}

/// A printable HTML document: one call per company and period, a table per contract.
pub fn to_html(lines: &[CallLine], generated_on: NaiveDate) -> Vec<u8> {
    let mut h = String::from(
        "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Appels de cotisation prévoyance</title>\n<style>\
body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%;margin-bottom:2em}\
th,td{border:1px solid #999;padding:4px 8px}td.n{text-align:right}section{page-break-after:always}\
.due{font-weight:bold}</style></head><body>\n",
    );
    let mut by_company: BTreeMap<(&str, &str), Vec<&CallLine>> = BTreeMap::new();
    for l in lines {
        by_company
            .entry((l.siren.as_str(), l.period.as_str()))
            .or_default()
            .push(l);
    }
    for ((siren, period), ls) in by_company {
        let company = ls.first().map_or("", |l| l.company.as_str());
        h.push_str(&format!(
            "<section><h1>Appel de cotisations prévoyance — période {}</h1>\n<p>{} — SIREN {}<br>Établi le {}</p>\n",
            esc(period),
            esc(company),
            esc(siren),
            generated_on.format("%d/%m/%Y")
        ));
        h.push_str("<table><tr><th>Contrat</th><th>Organisme</th><th>Salariés</th><th>Attendu</th><th>Déclaré</th><th>Versé</th><th>Solde dû</th></tr>\n");
        let mut total = Some(Decimal::ZERO);
        for l in &ls {
            total = total.zip(l.balance).map(|(t, b)| t + b);
            let balance = l
                .balance
                .map_or_else(|| "non calculable".to_string(), money);
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n due\">{}</td></tr>\n",
                esc(&l.contract),
                esc(&l.organisme),
                l.employees,
                money(l.expected),
                money(l.declared),
                money(l.paid),
                balance
            ));
            if let Some(why) = &l.not_computable {
                h.push_str(&format!(
                    "<tr><td colspan=\"7\">Solde non calculable ({} base(s)) : {}</td></tr>\n",
                    l.incomplete,
                    esc(why)
                ));
            }
        }
        let total = total.map_or_else(|| "non calculable".to_string(), money);
        h.push_str(&format!("<tr><th colspan=\"6\">Total dû</th><td class=\"n due\">{}</td></tr></table></section>\n", total));
    }
    h.push_str("</body></html>\n");
    h.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn period_keys() {
        let m = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        assert_eq!(period_key(m, "Mensuel"), "2026-05");
        assert_eq!(period_key(m, "Trimestriel"), "2026-T2");
        assert_eq!(period_key(m, "Semestriel"), "2026-S1");
        assert_eq!(period_key(m, "Annuel"), "2026");
    }

    #[test]
    fn renders_money_and_outputs() {
        assert_eq!(money(dec!(1234.5)), "1\u{a0}234,50\u{a0}€");
        assert_eq!(money(dec!(-3)), "-3,00\u{a0}€");
        let l = CallLine {
            siren: "487654321".into(),
            company: "A & B".into(),
            contract: "PRV".into(),
            organisme: "P0999".into(),
            period: "2026-03".into(),
            employees: 2,
            expected: dec!(50.00),
            declared: dec!(50.00),
            paid: dec!(40.00),
            balance: Some(dec!(10.00)),
            incomplete: 0,
            not_computable: None,
        };
        let json = String::from_utf8(to_json(std::slice::from_ref(&l))).unwrap();
        assert!(json.contains("\"balance\": \"10.00\""), "{json}");
        let csv = String::from_utf8(to_csv(std::slice::from_ref(&l))).unwrap();
        assert_eq!(
            csv.lines().nth(1).unwrap(),
            "487654321;A & B;PRV;P0999;2026-03;2;50.00;50.00;40.00;10.00;0;"
        );
        let html = String::from_utf8(to_html(&[l], NaiveDate::from_ymd_opt(2026, 4, 20).unwrap()))
            .unwrap();
        assert!(html.contains("A &amp; B") && html.contains("10,00"));
    }
}
