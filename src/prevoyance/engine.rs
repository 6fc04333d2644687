//! The complement engine: eligibility and seniority, the cascade of coverages, the day-by-day
//! amounts, and the split per pay period.
//!
//! Order of a computation: (1) contract and case checks; (2) replay of the previous
//! stoppages of the same employment contract, oldest first, which only walks the calendar
//! (carence, tiers, legal periods) to extend the consumed-days history; (3) the stoppage
//! itself. A cascade's starting point is read once, on the first day, from the 12 months
//! before it; a day paid by a coverage is consumed even when the complement is 0 (IJSS above
//! the guarantee). Rounding: see [`crate::prevoyance`].

use crate::prevoyance::calendar::{YearMonth, full_months_between};
use crate::prevoyance::case::{Case, CaseError, ContractInvalid, EmploymentContract, Stoppage};
use crate::prevoyance::contract::{
    Base, CCN_AIDE_A_DOMICILE, CCN_PARTICULIER_EMPLOYEUR, CONTRACT_99_DAYS, CONTRACT_99_NUMBER,
    CONTRACT_99_RATE_PCT, PrevoyanceContract, SeniorityMode,
};
use crate::prevoyance::history::{ConsumedDays, CoverageKey};
use crate::prevoyance::ijss;
use crate::prevoyance::legal::{self, LegalDay, LegalEntitlement};
use crate::prevoyance::money::{cents, pct};
use crate::prevoyance::reference::{ReferenceSalary, reference_salary, salaries_before};
use crate::prevoyance::result::{
    CaseResult, DayLine, DayRule, IjssSource, PeriodTotal, TierInfo, Totals,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One coverage of the cascade, ready to use.
#[derive(Debug, Clone)]
struct Tier {
    key: CoverageKey,
    days: u32,
    rate_pct: Decimal,
    rate: Decimal,
    ceiling: Option<Decimal>,
    base: Base,
}

/// What is known on the first day of a stoppage, before any amount.
struct Start<'a> {
    seniority_months: u32,
    eligible: bool,
    note: Option<String>,
    row_min: Option<u32>,
    reference_contracts: Vec<&'a EmploymentContract>,
    tiers: Vec<Tier>,
    consumed_before: Vec<u32>,
    legal: LegalEntitlement,
}

/// The contract rule of a day, from the cascade walker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ContractDay {
    NotEligible,
    Carence,
    Tier(usize),
    Exhausted,
}

struct Cascade {
    eligible: bool,
    carence: u32,
    remaining: Vec<u32>,
    cur: usize,
}

impl Cascade {
    fn next_day(&mut self, day: u32) -> ContractDay {
        if !self.eligible {
            return ContractDay::NotEligible;
        }
        if day <= self.carence {
            return ContractDay::Carence;
        }
        while self.cur < self.remaining.len() {
            if self.remaining[self.cur] > 0 {
                self.remaining[self.cur] -= 1;
                return ContractDay::Tier(self.cur);
            }
            self.cur += 1;
        }
        ContractDay::Exhausted
    }
}

/// First and last date each coverage paid during a walk (a cascade is consumed in order, so
/// each coverage's days are contiguous).
#[derive(Default)]
struct SpanRecorder {
    tiers: Vec<Option<(NaiveDate, NaiveDate, u32)>>,
    legal: [Option<(NaiveDate, NaiveDate, u32)>; 2],
}

fn bump(slot: &mut Option<(NaiveDate, NaiveDate, u32)>, d: NaiveDate) {
    match slot {
        Some((_, last, n)) => {
            *last = d;
            *n += 1;
        }
        None => *slot = Some((d, d, 1)),
    }
}

impl SpanRecorder {
    fn new(n_tiers: usize) -> Self {
        Self {
            tiers: vec![None; n_tiers],
            legal: [None, None],
        }
    }
    fn see(&mut self, d: NaiveDate, c: ContractDay, l: LegalDay) {
        if let ContractDay::Tier(i) = c
            && let Some(slot) = self.tiers.get_mut(i)
        {
            bump(slot, d);
        }
        match l {
            LegalDay::Ninety => bump(&mut self.legal[0], d),
            LegalDay::TwoThirds => bump(&mut self.legal[1], d),
            _ => {}
        }
    }
    fn record(&self, into: &mut ConsumedDays, employment_contract: &str, tiers: &[Tier]) {
        for (slot, t) in self.tiers.iter().zip(tiers) {
            if let Some((a, b, _)) = slot {
                into.record(employment_contract, t.key.clone(), *a, *b);
            }
        }
        for (i, slot) in self.legal.iter().enumerate() {
            if let Some((a, b, _)) = slot {
                into.record(
                    employment_contract,
                    CoverageKey::Legal { tier: i as u8 + 1 },
                    *a,
                    *b,
                );
            }
        }
    }
    fn used(&self, i: usize) -> u32 {
        self.tiers.get(i).copied().flatten().map_or(0, |s| s.2)
    }
}

/// Computes a case against a contract (the contract is validated here).
pub fn compute(contract: &PrevoyanceContract, case: &Case) -> Result<CaseResult, CaseError> {
    let problems = contract.validate();
    if !problems.is_empty() {
        return Err(CaseError::Contract {
            case_id: case.case_id.clone(),
            source: ContractInvalid(
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        });
    }
    case.check()?;
    // A stoppage and its prolongations are one period.
    let stoppage = case.stoppage.merged();
    let emp = case.employment_contract_of(&stoppage, "stoppage")?;
    check_ccn(contract, case, emp)?;

    let history = replay_history(contract, case, emp)?;
    let chain = continued(case, emp, &stoppage);
    let start = start_of(contract, case, emp, &stoppage, chain.origin, &history);
    amounts(contract, case, emp, &stoppage, chain, start, &history)
}

/// How a stoppage continues earlier ones: a previous stoppage of the same employment contract
/// ending the day before (no day worked in between) is a prolongation sent as a new stoppage.
#[derive(Debug, Clone, Copy)]
struct Chain {
    /// Days off work before this stoppage in the same continuous absence.
    days_before: u32,
    /// First day of that absence.
    origin: NaiveDate,
}

fn continued(case: &Case, emp: &EmploymentContract, s: &Stoppage) -> Chain {
    let mut chain = Chain {
        days_before: 0,
        origin: s.start,
    };
    loop {
        let prev = case.previous_stoppages.iter().find(|p| {
            p.last_day().succ_opt() == Some(chain.origin)
                && case
                    .employment_contract_of(p, "previous_stoppages")
                    .is_ok_and(|pe| pe.id == emp.id)
        });
        let Some(p) = prev else {
            return chain;
        };
        let p = p.merged();
        chain.days_before += u32::try_from(p.days()).unwrap_or(0);
        chain.origin = p.start;
    }
}

fn check_ccn(
    contract: &PrevoyanceContract,
    case: &Case,
    emp: &EmploymentContract,
) -> Result<(), CaseError> {
    if contract.has_ccn(emp.ccn.trim()) {
        return Ok(());
    }
    let i = case
        .employment_contracts
        .iter()
        .position(|c| c.id == emp.id)
        .unwrap_or(0);
    Err(case.err(
        format!("employment_contracts[{i}].ccn"),
        format!(
            "CCN {:?} is not covered by prévoyance contract {:?} ({})",
            emp.ccn,
            contract.identification.numero_contrat,
            contract.conventions.join(", ")
        ),
    ))
}

/// The case's explicit history plus the days of the replayed previous stoppages of `emp`.
fn replay_history(
    contract: &PrevoyanceContract,
    case: &Case,
    emp: &EmploymentContract,
) -> Result<ConsumedDays, CaseError> {
    let mut history = case.consumed_days.clone();
    let mut previous: Vec<(usize, &Stoppage)> = Vec::new();
    for (i, p) in case.previous_stoppages.iter().enumerate() {
        let pe = case.employment_contract_of(p, &format!("previous_stoppages[{i}]"))?;
        if pe.id == emp.id {
            previous.push((i, p));
        }
    }
    previous.sort_by_key(|(_, p)| p.start);
    for (_, p) in previous {
        let p = &p.merged();
        let chain = continued(case, emp, p);
        let s = start_of(contract, case, emp, p, chain.origin, &history);
        let mut cascade = cascade_of(contract, &s, p);
        let mut legal = s.legal.walker();
        let mut rec = SpanRecorder::new(s.tiers.len());
        for (day, date) in (1u32..).zip(p.start.iter_days().take_while(|d| *d <= p.end)) {
            // Day numbers go on across a prolongation: no second carence.
            let day = day + chain.days_before;
            rec.see(date, cascade.next_day(day), legal.next_day(day));
        }
        rec.record(&mut history, &emp.id, &s.tiers);
    }
    Ok(history)
}

fn cascade_of(contract: &PrevoyanceContract, s: &Start<'_>, stoppage: &Stoppage) -> Cascade {
    Cascade {
        eligible: s.eligible,
        carence: if stoppage.motif.contract_sickness() {
            contract.rules.carence_days_sickness
        } else {
            0
        },
        remaining: s
            .tiers
            .iter()
            .zip(&s.consumed_before)
            .map(|(t, c)| t.days.saturating_sub(*c))
            .collect(),
        cur: 0,
    }
}

/// Seniority, eligibility, table row, cascade and legal entitlement on the first day. Seniority
/// is read on `origin`, the first day of the continuous absence (a prolongation keeps the
/// stoppage's seniority); the days already consumed, on the stoppage's own first day.
fn start_of<'a>(
    contract: &PrevoyanceContract,
    case: &'a Case,
    emp: &'a EmploymentContract,
    stoppage: &Stoppage,
    origin: NaiveDate,
    history: &ConsumedDays,
) -> Start<'a> {
    let first = stoppage.start;
    let emp_seniority = full_months_between(emp.start, origin);
    let particulier = contract.has_ccn(CCN_PARTICULIER_EMPLOYEUR);

    let (seniority_months, reference_contracts, mut note) = match &contract.ccn02 {
        Some(d) if particulier => {
            let active: Vec<&EmploymentContract> = case
                .employment_contracts
                .iter()
                .filter(|c| c.ccn.trim() == CCN_PARTICULIER_EMPLOYEUR && c.active_on(origin))
                .collect();
            let seniority = |c: &EmploymentContract| full_months_between(c.start, origin);
            let with: Vec<&EmploymentContract> = active
                .iter()
                .copied()
                .filter(|c| seniority(c) >= d.seniority_months_required)
                .collect();
            let refs = match d.seniority {
                SeniorityMode::PerContract => with,
                SeniorityMode::OldestContract if with.is_empty() => with,
                SeniorityMode::OldestContract => active.clone(),
            };
            let oldest = active
                .iter()
                .map(|c| seniority(c))
                .max()
                .unwrap_or(emp_seniority);
            let note = refs.is_empty().then(|| {
                format!(
                    "no active CCN 02 employment contract has the {} months of seniority required",
                    d.seniority_months_required
                )
            });
            (oldest, refs, note)
        }
        _ => (emp_seniority, vec![emp], None),
    };

    let row = contract.row_for(seniority_months);
    if row.is_none() && note.is_none() {
        note = Some(format!(
            "{seniority_months} months of seniority: below the first row of the coverage table"
        ));
    }
    let mut tiers: Vec<Tier> = row
        .map(|r| {
            r.coverages
                .iter()
                .enumerate()
                .map(|(i, c)| Tier {
                    key: CoverageKey::Contract {
                        contract: contract.identification.numero_contrat.clone(),
                        tier: i as u8 + 1,
                    },
                    days: c.days,
                    rate_pct: c.rate_pct,
                    rate: pct(c.rate_pct),
                    ceiling: c.ceiling_daily,
                    base: contract.rules.base,
                })
                .collect()
        })
        .unwrap_or_default();
    // CCN 01 avenant of 1 April 2000: the incapacity contract 99 relays salary maintenance.
    if emp.ccn.trim() == CCN_AIDE_A_DOMICILE && row.is_some() {
        tiers.push(Tier {
            key: CoverageKey::Contract {
                contract: CONTRACT_99_NUMBER.to_owned(),
                tier: 1,
            },
            days: CONTRACT_99_DAYS,
            rate_pct: CONTRACT_99_RATE_PCT,
            rate: pct(CONTRACT_99_RATE_PCT),
            ceiling: None,
            base: Base::Brut,
        });
    }
    let consumed_before = tiers
        .iter()
        .map(|t| history.days(&emp.id, &t.key, first))
        .collect();
    let legal = LegalEntitlement::at_start(
        emp_seniority,
        stoppage.motif,
        particulier,
        history,
        &emp.id,
        first,
    );
    Start {
        seniority_months,
        eligible: note.is_none(),
        note,
        row_min: row.map(|r| r.min_seniority_months),
        reference_contracts,
        tiers,
        consumed_before,
        legal,
    }
}

/// Everything a day line carries that depends only on (contract rule, legal rule, IJSS):
/// computed once per run of identical days.
#[derive(Clone, Copy)]
struct DayMoney {
    base_daily: Decimal,
    complement_net: Decimal,
    complement_gross: Decimal,
    ceiling_applied: bool,
    ijss_exceed: bool,
    legal_floor: Decimal,
    ijss_gross: Decimal,
    ijss_net: Decimal,
    below_legal_floor: bool,
    shortfall: Decimal,
}

impl DayMoney {
    fn finish(
        mut self,
        ijss_gross: Decimal,
        ijss_net_factor: Decimal,
        l: LegalDay,
        legal_applies: bool,
    ) -> Self {
        self.base_daily = cents(self.base_daily);
        self.ijss_gross = ijss_gross;
        self.ijss_net = cents(ijss_gross * ijss_net_factor);
        self.below_legal_floor = legal_applies
            && matches!(l, LegalDay::Ninety | LegalDay::TwoThirds)
            && self.complement_gross < self.legal_floor;
        self.shortfall = if self.below_legal_floor {
            self.legal_floor - self.complement_gross
        } else {
            cents(Decimal::ZERO)
        };
        self
    }
}

/// Amounts of a run of identical consecutive days inside one period, added at once.
struct Run {
    money: DayMoney,
    days: u32,
    covered: bool,
}

impl Run {
    fn flush_into(&self, p: &mut PeriodTotal, t: &mut Totals) {
        let n = Decimal::from(self.days);
        p.ijss_gross += self.money.ijss_gross * n;
        p.complement_net += self.money.complement_net * n;
        p.complement_gross += self.money.complement_gross * n;
        p.legal_floor_gross += self.money.legal_floor * n;
        if self.covered {
            p.covered_days += self.days;
        }
        if self.money.below_legal_floor {
            t.days_below_legal_floor += self.days;
            t.legal_shortfall_gross += self.money.shortfall * n;
        }
    }
}

struct Rates {
    daily_gross: Decimal,
    daily_net: Decimal,
    ijss_net_factor: Decimal,
    divisor: Decimal,
}

fn day_money(
    rates: &Rates,
    tiers: &[Tier],
    c: ContractDay,
    l: LegalDay,
    ijss_gross: Decimal,
) -> DayMoney {
    let legal_floor = cents(legal::floor_gross(l, rates.daily_gross, ijss_gross));
    let zero = cents(Decimal::ZERO);
    let nothing = DayMoney {
        base_daily: zero,
        complement_net: zero,
        complement_gross: zero,
        ceiling_applied: false,
        ijss_exceed: false,
        legal_floor,
        ijss_gross: zero,
        ijss_net: zero,
        below_legal_floor: false,
        shortfall: zero,
    };
    let ContractDay::Tier(i) = c else {
        return nothing;
    };
    let Some(t) = tiers.get(i) else {
        return nothing;
    };
    let (base_daily, ijss_on_base) = match t.base {
        Base::Net => (rates.daily_net, ijss_gross * rates.ijss_net_factor),
        Base::Brut => (rates.daily_gross, ijss_gross),
    };
    let mut raw = t.rate * base_daily - ijss_on_base;
    let ijss_exceed = raw < Decimal::ZERO;
    if ijss_exceed {
        raw = Decimal::ZERO;
    }
    let ceiling_applied = t.ceiling.is_some_and(|c| raw > c);
    if let Some(c) = t.ceiling
        && ceiling_applied
    {
        raw = c;
    }
    // Seed 001: "Indemnité journalière brute = Indemnité journalière nette / (100 − (taux de
    // charges × quote-part employeur))". Its last line writes "× 83,90 %", but a gross is
    // larger than its net, so the division is the rule; we divide.
    let (net, gross) = match t.base {
        Base::Net => (raw, raw / rates.divisor),
        Base::Brut => (raw * rates.divisor, raw),
    };
    DayMoney {
        complement_net: cents(net),
        complement_gross: cents(gross),
        ceiling_applied,
        ijss_exceed,
        base_daily,
        ..nothing
    }
}

#[allow(clippy::too_many_arguments)]
fn amounts(
    contract: &PrevoyanceContract,
    case: &Case,
    emp: &EmploymentContract,
    stoppage: &Stoppage,
    chain: Chain,
    start: Start<'_>,
    history: &ConsumedDays,
) -> Result<CaseResult, CaseError> {
    let (n_months, average) = (
        contract.rules.reference_months,
        contract.rules.reference_average,
    );
    // A prolongation keeps the reference salary of the stoppage it continues.
    let on = chain.origin;
    let no_salary = || {
        case.err(
            "employment_contracts.salaries",
            format!("no gross salary in the {n_months} civil months before {on}"),
        )
    };
    let reference = if start.reference_contracts.is_empty() {
        // Not eligible (no contract has the seniority): the stoppage's own contract gives the
        // daily bases shown, and the legal floor.
        reference_salary(&[emp], on, n_months, average).ok_or_else(no_salary)?
    } else {
        match reference_salary(&start.reference_contracts, on, n_months, average) {
            Some(r) => r,
            // CCN 02 "contrat par contrat": only the contracts with the seniority count; with
            // no salary in the window they maintain nothing. Never fall back on a contract
            // without the seniority.
            None if !start.reference_contracts.iter().any(|c| c.id == emp.id) => ReferenceSalary {
                months: YearMonth::of(on).months_before(n_months as usize),
                contracts: start
                    .reference_contracts
                    .iter()
                    .map(|c| c.id.clone())
                    .collect(),
                missing: Vec::new(),
                monthly: Decimal::ZERO,
                daily_gross: Decimal::ZERO,
            },
            None => return Err(no_salary()),
        }
    };
    let charges = pct(contract.rules.charges_rate_pct.unwrap_or_default());
    let rates = Rates {
        daily_gross: reference.daily_gross,
        daily_net: reference.daily_gross * (Decimal::ONE - charges),
        ijss_net_factor: Decimal::ONE - pct(contract.rules.csg_crds_ijss_pct),
        divisor: contract.gross_divisor(),
    };
    let cpam_salaries = salaries_before(&case.employment_contracts, on, 3);
    let estimate = if stoppage.cpam_carence_waived {
        ijss::estimate_carence_waived(stoppage.motif, &cpam_salaries, stoppage.start)
    } else {
        ijss::estimate(stoppage.motif, &cpam_salaries, stoppage.start)
    };

    let mut cascade = cascade_of(contract, &start, stoppage);
    let mut legal_walk = start.legal.walker();
    let mut rec = SpanRecorder::new(start.tiers.len());
    let legal_applies = start.legal.excluded.is_none();
    let rubrique = contract.rubrique_for(stoppage.motif).map(str::to_owned);

    let n_days = usize::try_from(stoppage.days()).unwrap_or(0);
    let mut days = Vec::with_capacity(n_days);
    let mut periods: Vec<PeriodTotal> = Vec::new();
    let mut totals = Totals::default();
    // Consecutive days usually share tier, legal period and IJSS: the last amounts are
    // reused, and added to the period once per run (amount × days) instead of day by day.
    // Both are exact: the daily amounts are already rounded.
    let mut memo: Option<((ContractDay, LegalDay, Decimal), DayMoney)> = None;
    let mut run: Option<Run> = None;

    for (day, date) in (1u32..).zip(stoppage.start.iter_days().take(n_days)) {
        // Day numbers go on across a prolongation sent as a new stoppage: no second carence.
        let c = cascade.next_day(day + chain.days_before);
        let l = legal_walk.next_day(day + chain.days_before);
        rec.see(date, c, l);
        let (raw_ijss, ijss_source) = match case.bpij_on(date) {
            Some(g) => (g, IjssSource::Bpij),
            None => (
                estimate.daily_gross_on(day + chain.days_before),
                IjssSource::Estimate,
            ),
        };
        let key = (c, l, raw_ijss);
        let (m, same) = match memo {
            Some((k, m)) if k == key => (m, true),
            _ => {
                // BPIJ amounts are in cents; rounding guards against a 3-decimal input.
                let g = cents(raw_ijss);
                let m = day_money(&rates, &start.tiers, c, l, g).finish(
                    g,
                    rates.ijss_net_factor,
                    l,
                    legal_applies,
                );
                memo = Some((key, m));
                (m, false)
            }
        };
        let month = YearMonth::of(date);
        let new_period = periods.last().is_none_or(|p| p.period != month);
        if (!same || new_period)
            && let (Some(r), Some(p)) = (run.take(), periods.last_mut())
        {
            r.flush_into(p, &mut totals);
        }
        if new_period {
            periods.push(PeriodTotal {
                period: month,
                from: date,
                to: date,
                days: 0,
                covered_days: 0,
                ijss_gross: cents(Decimal::ZERO),
                complement_net: cents(Decimal::ZERO),
                complement_gross: cents(Decimal::ZERO),
                legal_floor_gross: cents(Decimal::ZERO),
                rubrique: rubrique.clone(),
            });
        }
        if let Some(p) = periods.last_mut() {
            p.to = date;
            p.days += 1;
        }
        match run.as_mut() {
            Some(r) => r.days += 1,
            None => {
                run = Some(Run {
                    money: m,
                    days: 1,
                    covered: matches!(c, ContractDay::Tier(_)),
                })
            }
        }
        let tier = match c {
            ContractDay::Tier(i) => start.tiers.get(i),
            _ => None,
        };
        days.push(DayLine {
            date,
            day,
            rule: match c {
                ContractDay::NotEligible => DayRule::NotEligible,
                ContractDay::Carence => DayRule::Carence,
                ContractDay::Tier(_) => DayRule::Coverage,
                ContractDay::Exhausted => DayRule::Exhausted,
            },
            tier: match c {
                ContractDay::Tier(i) => Some(i as u8 + 1),
                _ => None,
            },
            rate_pct: tier.map(|t| t.rate_pct),
            base: tier.map(|t| t.base),
            base_daily: m.base_daily,
            ijss_gross: m.ijss_gross,
            ijss_net: m.ijss_net,
            ijss_source,
            complement_net: m.complement_net,
            complement_gross: m.complement_gross,
            ceiling_applied: m.ceiling_applied,
            ijss_exceed_guarantee: m.ijss_exceed,
            legal: l,
            legal_floor_gross: m.legal_floor,
            below_legal_floor: m.below_legal_floor,
        });
    }
    if let (Some(r), Some(p)) = (run.take(), periods.last_mut()) {
        r.flush_into(p, &mut totals);
    }
    for p in &periods {
        totals.days += p.days;
        totals.covered_days += p.covered_days;
        totals.ijss_gross += p.ijss_gross;
        totals.complement_net += p.complement_net;
        totals.complement_gross += p.complement_gross;
        totals.legal_floor_gross += p.legal_floor_gross;
    }
    // Money is always shown with two decimals, zero included ("0.00", never "0").
    for m in [
        &mut totals.ijss_gross,
        &mut totals.complement_net,
        &mut totals.complement_gross,
        &mut totals.legal_floor_gross,
        &mut totals.legal_shortfall_gross,
    ] {
        *m = cents(*m);
    }

    let mut consumed = ConsumedDays::new();
    rec.record(&mut consumed, &emp.id, &start.tiers);
    let tiers = start
        .tiers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let before = start.consumed_before.get(i).copied().unwrap_or(0);
            TierInfo {
                position: i as u8 + 1,
                coverage: t.key.clone(),
                days: t.days,
                rate_pct: t.rate_pct,
                base: t.base,
                ceiling_daily: t.ceiling,
                consumed_before: before,
                remaining_at_start: t.days.saturating_sub(before),
                used: rec.used(i),
            }
        })
        .collect();

    Ok(CaseResult {
        case_id: case.case_id.clone(),
        employee: case.employee.name.clone(),
        employment_contract: emp.id.clone(),
        ccn: emp.ccn.clone(),
        prevoyance_contract: contract.identification.numero_contrat.clone(),
        motif: stoppage.motif,
        start: stoppage.start,
        end: stoppage.end,
        seniority_months: start.seniority_months,
        eligible: start.eligible,
        eligibility_note: start.note,
        table_row_min_months: start.row_min,
        daily_net_reference: cents(rates.daily_net),
        reference,
        ijss_estimate: estimate,
        tiers,
        legal: start.legal,
        consumed_before: history.for_contract(&emp.id, stoppage.start),
        consumed,
        days,
        periods,
        totals,
    })
}
