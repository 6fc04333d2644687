//! The "manques": what is missing from one month to the next, and declarations not received.
//!
//! Month to month (a declaration against the previous month's of the same establishment,
//! `S20.G00.05.005` one month apart), each finding located in both files — its `line` in the
//! current file, `previous` the file and line of the previous month — with a CRM-OC code of the
//! XSD's list (so it goes into the CRM) and ijgate's own check id:
//! - `MSAL01` → `ESAL98` (Erreur individu): an individual affiliated last month is absent, with
//!   no end of contract (S21.G00.62) last month. Current line: the establishment's
//!   S21.G00.11.001, where the individual should be.
//! - `MCTR01` → `EFCT98` (Erreur fin de contrat): a work contract (S21.G00.40.009) of an
//!   individual still declared has vanished without an end. Current line: the individual's
//!   S21.G00.30.001.
//! - `MAFF01` → `EAFF01` (Affiliation manquante): an affiliation (S21.G00.70, identified by
//!   its adhesion's contract reference and option) of a contract still declared has vanished
//!   without an end date (S21.G00.70.015). Current line: the contract's S21.G00.40.009.
//! - `MCOT01` → `ECIN01` (Base assujettie manquante): an affiliation that had a contribution
//!   059 last month has none this month. Current line: its S21.G00.70.012.
//!
//! Declarations not received: `MDSN01` (local code, not a CRM return: there is no declaration to
//! answer) for an establishment of the fiches without a DSN for a month once its due day of the
//! next month has passed.
//!
//! Invariant: pure; memory is one small record per affiliated individual of the previous month
//! (`AffiliatedSnapshot`), and the current month is compared one individual at a time.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};

use crate::dsn::checks::{Anomaly, Located};
use crate::dsn::fiche::Fiche;
use crate::dsn::model::{Declaration, Establishment, Individual, RawNir};
use crate::neodes::rubric::{RubricId, rid};
use serde::{Deserialize, Serialize};

/// What the previous month knew of one individual.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrevIndividual {
    pub line: u64,
    /// Every contract ended that month.
    pub ended: bool,
    pub contracts: Vec<PrevContract>,
}

/// A work contract of the previous month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrevContract {
    pub number: String,
    pub line: u64,
    pub ended: bool,
    pub affiliations: Vec<PrevAffiliation>,
}

/// An affiliation of the previous month, keyed by (adhesion contract reference, option).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrevAffiliation {
    pub contract_ref: String,
    pub option: String,
    pub line: u64,
    pub ended: bool,
    /// Line of its contribution 059 (S21.G00.81.004), when it had one.
    pub contribution_line: Option<u64>,
}

/// Who was affiliated in one declaration, per (SIRET, NIR), for the next month's comparison.
#[derive(Debug, Clone, Default)]
pub struct AffiliatedSnapshot {
    /// The file it was read from (named in the findings).
    pub file: String,
    pub month: Option<NaiveDate>,
    pub employees: HashMap<(String, RawNir), PrevIndividual>,
}

fn affiliation_key(e: &Establishment, a: &crate::dsn::model::Affiliation) -> (String, String) {
    let contract_ref = e
        .adhesions
        .iter()
        .find(|x| x.id == a.adhesion_id)
        .map_or_else(|| format!("#{}", a.adhesion_id), |x| x.contract_ref.clone());
    (contract_ref, a.option.clone().unwrap_or_default())
}

/// Line of the first contribution 059 of a base pointing to affiliation `id`.
fn contribution_line(i: &Individual, id: &str) -> Option<u64> {
    i.pay
        .iter()
        .flat_map(|p| &p.bases)
        .filter(|b| b.code == "31" && b.affiliation_id.as_deref() == Some(id))
        .flat_map(|b| &b.contributions)
        .find(|c| c.code == "059")
        .map(|c| c.line_or_start(4))
}

impl AffiliatedSnapshot {
    pub fn new(file: impl Into<String>, month: Option<NaiveDate>) -> Self {
        Self {
            file: file.into(),
            month,
            employees: HashMap::new(),
        }
    }

    /// Remembers individual `i` of establishment `e` (SIRET `siret`) when affiliated.
    pub fn add(&mut self, siret: &str, e: &Establishment, i: &Individual) {
        if i.contracts.iter().all(|c| c.affiliations.is_empty()) {
            return;
        }
        let contracts = i
            .contracts
            .iter()
            .map(|c| PrevContract {
                number: c.number.clone(),
                line: c.line_or_start(9),
                ended: c.end.is_some(),
                affiliations: c
                    .affiliations
                    .iter()
                    .map(|a| {
                        let (contract_ref, option) = affiliation_key(e, a);
                        PrevAffiliation {
                            contract_ref,
                            option,
                            line: a.line,
                            ended: a.end.is_some() || c.end.is_some(),
                            contribution_line: contribution_line(i, &a.id),
                        }
                    })
                    .collect(),
            })
            .collect();
        self.employees.insert(
            (siret.to_string(), i.nir.clone()),
            PrevIndividual {
                line: i.line_or_start(1),
                ended: i.contracts.iter().all(|c| c.end.is_some()),
                contracts,
            },
        );
    }

    /// The snapshot of a whole declaration held in memory.
    pub fn of(decl: &Declaration) -> Self {
        let mut s = Self::new("", decl.month);
        for e in &decl.establishments {
            let siret = decl.siret(e);
            for i in &e.individuals {
                s.add(&siret, e, i);
            }
        }
        s
    }
}

/// The adhesions an establishment declared for a month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredAdhesions {
    pub siret: String,
    pub month: NaiveDate,
    /// (contract reference, insurer code).
    pub contracts: Vec<(String, String)>,
}

/// One stored part of a snapshot: the individuals of one establishment affiliated to one
/// insurer contract (S21.G00.15.001), each with only that contract's affiliations (their work
/// contracts all kept, so a vanished work contract is still seen). The daemon keeps these in its
/// journal, per (SIRET, contract, month), to compare next month's lot with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPart {
    /// (full NIR, what the month knew of them). The full NIR is needed to match next month's
    /// individual and for the CRM's context; it stays in the journal (0600).
    pub individuals: Vec<(String, PrevIndividual)>,
}

impl AffiliatedSnapshot {
    /// The snapshot cut per (SIRET, insurer contract reference), for storage.
    pub fn split_by_contract(&self) -> BTreeMap<(String, String), StoredPart> {
        let mut parts: BTreeMap<(String, String), StoredPart> = BTreeMap::new();
        for ((siret, nir), p) in &self.employees {
            let refs: std::collections::BTreeSet<&str> = p
                .contracts
                .iter()
                .flat_map(|c| c.affiliations.iter().map(|a| a.contract_ref.as_str()))
                .collect();
            for r in refs {
                let only = PrevIndividual {
                    contracts: p
                        .contracts
                        .iter()
                        .map(|c| PrevContract {
                            affiliations: c
                                .affiliations
                                .iter()
                                .filter(|a| a.contract_ref == r)
                                .cloned()
                                .collect(),
                            ..c.clone()
                        })
                        .collect(),
                    ..p.clone()
                };
                parts
                    .entry((siret.clone(), r.to_string()))
                    .or_insert_with(|| StoredPart {
                        individuals: Vec::new(),
                    })
                    .individuals
                    .push((nir.expose().to_string(), only));
            }
        }
        for part in parts.values_mut() {
            part.individuals.sort_by(|a, b| a.0.cmp(&b.0));
        }
        parts
    }

    /// Adds a stored part of establishment `siret` back (the inverse of
    /// [`Self::split_by_contract`]): an individual known from several contracts gets their work
    /// contracts merged by number, the affiliations of each contract side by side.
    pub fn add_part(&mut self, siret: &str, part: StoredPart) {
        for (nir, p) in part.individuals {
            match self.employees.entry((siret.to_string(), RawNir::new(nir))) {
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(p);
                }
                std::collections::hash_map::Entry::Occupied(mut o) => {
                    let known = o.get_mut();
                    for c in p.contracts {
                        match known.contracts.iter_mut().find(|k| k.number == c.number) {
                            Some(k) => k.affiliations.extend(c.affiliations),
                            None => known.contracts.push(c),
                        }
                    }
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn finding(
    check: &'static str,
    code: &'static str,
    line: u64,
    rubric: RubricId,
    siret: &str,
    message: String,
    previous: Located,
    context: Vec<(RubricId, String)>,
) -> Anomaly {
    Anomaly {
        code,
        line,
        rubric: Some(rubric),
        message: format!(
            "{message} (previous month: {} line {})",
            previous.file, previous.line
        ),
        blocking: false,
        siret: siret.to_string(),
        caused_by: None,
        check: Some(check),
        previous: Some(previous),
        context,
    }
}

/// Compares a declaration with the previous month's snapshots, one individual at a time.
pub struct MonthToMonth<'p> {
    previous: Vec<Cow<'p, AffiliatedSnapshot>>,
    seen: HashSet<(String, RawNir)>,
}

impl<'p> MonthToMonth<'p> {
    /// The snapshots of the month before `month` among `previous`.
    pub fn new(previous: &'p [AffiliatedSnapshot], month: Option<NaiveDate>) -> Self {
        let prev_month = month.and_then(|m| m.checked_sub_months(chrono::Months::new(1)));
        Self {
            previous: previous
                .iter()
                .filter(|s| prev_month.is_some() && s.month == prev_month)
                .map(Cow::Borrowed)
                .collect(),
            seen: HashSet::new(),
        }
    }

    /// Compares with snapshots loaded for this declaration (the daemon's journal), keeping
    /// those of the month before `month`.
    pub fn owned(previous: Vec<AffiliatedSnapshot>, month: Option<NaiveDate>) -> Self {
        let prev_month = month.and_then(|m| m.checked_sub_months(chrono::Months::new(1)));
        Self {
            previous: previous
                .into_iter()
                .filter(|s| prev_month.is_some() && s.month == prev_month)
                .map(Cow::Owned)
                .collect(),
            seen: HashSet::new(),
        }
    }

    /// True when there is a previous month to compare with.
    pub fn active(&self) -> bool {
        !self.previous.is_empty()
    }

    /// Compares individual `i` of establishment `e` (SIRET `siret`); `out` holds the anomalies
    /// of the declaration so far (an in-declaration ECIN01 at the same line gets the previous
    /// month's location instead of a second finding).
    pub fn individual(
        &mut self,
        siret: &str,
        e: &Establishment,
        i: &Individual,
        out: &mut Vec<Anomaly>,
    ) {
        if self.previous.is_empty() {
            return;
        }
        let key = (siret.to_string(), i.nir.clone());
        // Several snapshots may know the individual (one per insurer contract's lot).
        let holders: Vec<_> = self
            .previous
            .iter()
            .filter_map(|s| s.employees.get(&key).map(|p| (s.as_ref(), p)))
            .collect();
        if holders.is_empty() {
            return;
        }
        for (snap, prev) in holders {
            compare_individual(snap, prev, siret, e, i, out);
        }
        self.seen.insert(key);
    }
    /// Individuals of the previous month absent from the whole declaration (same SIRET) with
    /// no end of contract.
    pub fn finish(self, current: &Declaration, out: &mut Vec<Anomaly>) {
        let establishments: HashMap<String, u64> = current
            .establishments
            .iter()
            .map(|e| (current.siret(e), e.line))
            .collect();
        let mut found = Vec::new();
        // One finding per individual, even when several snapshots (lots) knew them.
        let mut reported = HashSet::new();
        for snap in &self.previous {
            for ((siret, nir), p) in &snap.employees {
                let Some(&line) = establishments.get(siret) else {
                    continue;
                };
                let key = (siret.clone(), nir.clone());
                if p.ended || self.seen.contains(&key) || !reported.insert(key) {
                    continue;
                }
                found.push(finding(
                    "MSAL01",
                    "ESAL98",
                    line,
                    rid("S21.G00.11.001"),
                    siret,
                    format!(
                        "employee {nir} affiliated last month is absent with no end of contract"
                    ),
                    Located {
                        file: snap.file.clone(),
                        line: p.line,
                    },
                    vec![(rid("S21.G00.30.001"), nir.expose().to_string())],
                ));
            }
        }
        found.sort_by_key(|a| a.previous.as_ref().map(|p| (p.file.clone(), p.line)));
        out.extend(found);
    }
}

/// Compares individual `i` with what snapshot `snap` knew of them (`prev`).
fn compare_individual(
    snap: &AffiliatedSnapshot,
    prev: &PrevIndividual,
    siret: &str,
    e: &Establishment,
    i: &Individual,
    out: &mut Vec<Anomaly>,
) {
    let nir_ctx = vec![(rid("S21.G00.30.001"), i.nir.expose().to_string())];
    let at = |line| Located {
        file: snap.file.clone(),
        line,
    };
    for pc in prev.contracts.iter().filter(|c| !c.ended) {
        let Some(cc) = i.contracts.iter().find(|c| c.number == pc.number) else {
            out.push(finding(
                "MCTR01",
                "EFCT98",
                i.line_or_start(1),
                rid("S21.G00.30.001"),
                siret,
                format!(
                    "work contract {:?} of employee {} declared last month without an end (S21.G00.62) is absent",
                    pc.number, i.nir
                ),
                at(pc.line),
                nir_ctx.clone(),
            ));
            continue;
        };
        for pa in pc.affiliations.iter().filter(|a| !a.ended) {
            let current = cc
                .affiliations
                .iter()
                .find(|a| affiliation_key(e, a) == (pa.contract_ref.clone(), pa.option.clone()));
            let Some(ca) = current else {
                let (line, rubric) = match cc.line_of(9) {
                    Some(l) => (l, rid("S21.G00.40.009")),
                    None => (cc.line, rid("S21.G00.40.001")),
                };
                let mut ctx = nir_ctx.clone();
                ctx.insert(0, (rid("S21.G00.15.001"), pa.contract_ref.clone()));
                ctx.push((rid("S21.G00.70.004"), pa.option.clone()));
                ctx.retain(|(_, v)| !v.is_empty());
                out.push(finding(
                    "MAFF01",
                    "EAFF01",
                    line,
                    rubric,
                    siret,
                    format!(
                        "affiliation to contract {:?} option {:?} of employee {} (work contract {:?}) has vanished without an end date (S21.G00.70.015)",
                        pa.contract_ref, pa.option, i.nir, pc.number
                    ),
                    at(pa.line),
                    ctx,
                ));
                continue;
            };
            let Some(prev_line) = pa.contribution_line else {
                continue;
            };
            if ca.end.is_some() || contribution_line(i, &ca.id).is_some() {
                continue;
            }
            let line = ca.line_or_start(12);
            if let Some(a) = out
                .iter_mut()
                .find(|a| a.line == line && a.code == "ECIN01" && a.previous.is_none())
            {
                a.previous = Some(at(prev_line));
                continue;
            }
            let mut ctx = nir_ctx.clone();
            ctx.push((rid("S21.G00.70.012"), ca.id.clone()));
            out.push(finding(
                "MCOT01",
                "ECIN01",
                line,
                rid("S21.G00.70.012"),
                siret,
                format!(
                    "affiliation {:?} of employee {} had a contribution 059 last month and has none this month",
                    ca.id, i.nir
                ),
                at(prev_line),
                ctx,
            ));
        }
    }
}

/// Employees affiliated in `previous` and absent from `current` (whole declaration in memory).
pub fn missing_employees(previous: &AffiliatedSnapshot, current: &Declaration) -> Vec<Anomaly> {
    let snaps = [previous.clone()];
    let mut m = MonthToMonth {
        previous: snaps.iter().map(Cow::Borrowed).collect(),
        seen: HashSet::new(),
    };
    let mut out = Vec::new();
    for e in &current.establishments {
        let siret = current.siret(e);
        for i in &e.individuals {
            m.individual(&siret, e, i, &mut out);
        }
    }
    out.retain(|a| a.check == Some("MSAL01"));
    m.finish(current, &mut out);
    out
}

/// Due date of the DSN of `month`: day `due_day` (the 5th or the 15th) of the next month.
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
                caused_by: None,
                check: Some("MDSN01"),
                previous: None,
                context: Vec::new(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsn::model::{Affiliation, Company, Contract, ContractEnd};

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
                line: 5,
                nic: "00018".into(),
                individuals,
                ..Establishment::default()
            }],
            ..Declaration::default()
        }
    }

    /// Stored per insurer contract and read back: an individual affiliated to two contracts
    /// comes back whole (work contracts merged by number), so next month compares the same.
    #[test]
    fn a_snapshot_split_per_contract_reads_back_whole() {
        let aff = |r: &str, line| PrevAffiliation {
            contract_ref: r.into(),
            option: "1".into(),
            line,
            ended: false,
            contribution_line: Some(line + 1),
        };
        let mut s = AffiliatedSnapshot::new("feb.dsn", NaiveDate::from_ymd_opt(2026, 2, 1));
        let key = ("48765432100018".to_string(), RawNir::new("1850575123456"));
        s.employees.insert(
            key.clone(),
            PrevIndividual {
                line: 20,
                ended: false,
                contracts: vec![PrevContract {
                    number: "C1".into(),
                    line: 30,
                    ended: false,
                    affiliations: vec![aff("PRV-A", 40), aff("PRV-B", 50)],
                }],
            },
        );
        let parts = s.split_by_contract();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[&(key.0.clone(), "PRV-B".to_string())].individuals[0].0,
            "1850575123456"
        );
        let mut back = AffiliatedSnapshot::new("feb.dsn", s.month);
        for ((siret, _), part) in parts {
            back.add_part(&siret, part);
        }
        assert_eq!(back.employees, s.employees);
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
        let mut snap = AffiliatedSnapshot::of(&feb);
        snap.file = "feb.dsn".into();
        let found = missing_employees(&snap, &mar);
        // The one whose contract ended in February is not reported. Located in both files:
        // the establishment's line in March, the individual's line in February.
        assert_eq!(
            found
                .iter()
                .map(|a| (a.code, a.check, a.line, a.previous.clone()))
                .collect::<Vec<_>>(),
            [(
                "ESAL98",
                Some("MSAL01"),
                5,
                Some(Located {
                    file: "feb.dsn".into(),
                    line: 10
                })
            )]
        );
        assert!(found[0].message.contains("185**********") && !found[0].message.contains("0575"));
        let mar_with_him = decl(3, &[("1850575123456", false)]);
        assert!(missing_employees(&snap, &mar_with_him).is_empty());
    }
}
