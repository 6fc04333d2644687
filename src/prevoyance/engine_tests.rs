//! Engine tests with the seed's own numbers (23 % charges, 70 % employer share → ÷ 83.90 %;
//! cascade 30 d at 100 %, 30 at 80 %, 30 at 60 %; 6-month reference salary).

use crate::prevoyance::calendar::YearMonth;
use crate::prevoyance::case::{
    Case, CaseError, Employee, EmploymentContract, IjssPeriod, MonthlySalary, Stoppage,
};
use crate::prevoyance::contract::tests::seed_contract;
use crate::prevoyance::contract::{Ccn02Details, Coverage, SeniorityMode, SeniorityRow};
use crate::prevoyance::engine::compute;
use crate::prevoyance::history::{ConsumedDays, CoverageKey};
use crate::prevoyance::legal::LegalDay;
use crate::prevoyance::motif::Motif;
use crate::prevoyance::result::{CaseResult, DayRule, IjssSource};
use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, dd).unwrap()
}

/// Monthly gross `gross` for the 12 months before `before`.
fn salaries(before: NaiveDate, gross: Decimal) -> Vec<MonthlySalary> {
    YearMonth::of(before)
        .months_before(12)
        .into_iter()
        .map(|month| MonthlySalary { month, gross })
        .collect()
}

fn emp(
    id: &str,
    start: NaiveDate,
    ccn: &str,
    gross: Decimal,
    before: NaiveDate,
) -> EmploymentContract {
    EmploymentContract {
        id: id.into(),
        start,
        end: None,
        ccn: ccn.into(),
        salaries: salaries(before, gross),
    }
}

/// One employee, contract CT1 since 2020, 2 400 €/month, BPIJ 40 €/day over the stoppage.
fn case(start: NaiveDate, end: NaiveDate, motif: Motif) -> Case {
    Case {
        case_id: "T-1".into(),
        employer: None,
        employee: Employee {
            name: "Test".into(),
            nir: Some("1850775123456".into()),
        },
        contract: None,
        contract_file: None,
        employment_contracts: vec![emp("CT1", d(2020, 1, 6), "16", dec!(2400), start)],
        stoppage: Stoppage {
            employment_contract: None,
            start,
            end,
            motif,
            cpam_carence_waived: false,
            prolongations: Vec::new(),
        },
        ijss: vec![IjssPeriod {
            from: start,
            to: end,
            daily_gross: dec!(40),
        }],
        previous_stoppages: vec![],
        consumed_days: ConsumedDays::new(),
    }
}

fn rules(r: &CaseResult) -> Vec<(DayRule, Option<u8>)> {
    r.days.iter().map(|l| (l.rule, l.tier)).collect()
}

#[test]
fn seed_example_net_base_cascade() {
    let c = seed_contract();
    let k = case(d(2026, 3, 2), d(2026, 6, 9), Motif::Maladie); // 100 days
    let r = compute(&c, &k).unwrap();
    // Reference: 6 × 2 400 / 6 = 2 400; daily gross 80; daily net 80 × 77 % = 61.60.
    assert_eq!(r.reference.monthly, dec!(2400));
    assert_eq!(r.reference.daily_gross, dec!(80));
    assert_eq!(r.daily_net_reference, dec!(61.60));
    // IJSS net = 40 × (1 − 6.7 %) = 37.32.
    let table = [
        // (day, rule, tier, net, gross)
        (1, DayRule::Carence, None, dec!(0), dec!(0)),
        (3, DayRule::Carence, None, dec!(0), dec!(0)),
        // 61.60 − 37.32 = 24.28; ÷ 0.839 = 28.939… → 28.94
        (4, DayRule::Coverage, Some(1), dec!(24.28), dec!(28.94)),
        (33, DayRule::Coverage, Some(1), dec!(24.28), dec!(28.94)),
        // 80 % × 61.60 = 49.28 − 37.32 = 11.96; ÷ 0.839 = 14.255… → 14.26
        (34, DayRule::Coverage, Some(2), dec!(11.96), dec!(14.26)),
        (63, DayRule::Coverage, Some(2), dec!(11.96), dec!(14.26)),
        // 60 % × 61.60 = 36.96 < 37.32 → 0
        (64, DayRule::Coverage, Some(3), dec!(0), dec!(0)),
        (93, DayRule::Coverage, Some(3), dec!(0), dec!(0)),
        (94, DayRule::Exhausted, None, dec!(0), dec!(0)),
        (100, DayRule::Exhausted, None, dec!(0), dec!(0)),
    ];
    for (day, rule, tier, net, gross) in table {
        let l = &r.days[day - 1];
        assert_eq!(
            (l.rule, l.tier, l.complement_net, l.complement_gross),
            (rule, tier, net, gross),
            "day {day}"
        );
    }
    assert!(r.days[63].ijss_exceed_guarantee);
    assert_eq!(r.days[3].ijss_net, dec!(37.32));
    assert_eq!(r.totals.covered_days, 90);
    assert_eq!(
        r.totals.complement_net,
        dec!(24.28) * dec!(30) + dec!(11.96) * dec!(30)
    );
    assert_eq!(
        r.totals.complement_gross,
        dec!(28.94) * dec!(30) + dec!(14.26) * dec!(30)
    );
    assert_eq!(
        r.tiers.iter().map(|t| t.used).collect::<Vec<_>>(),
        vec![30, 30, 30]
    );
}

#[test]
fn gross_is_net_divided_by_83_90_not_multiplied() {
    let r = compute(
        &seed_contract(),
        &case(d(2026, 3, 2), d(2026, 3, 10), Motif::Maladie),
    )
    .unwrap();
    let l = &r.days[3];
    // Multiplying (the seed's last line) would give 20.37; the rule divides.
    assert_eq!(l.complement_gross, dec!(28.94));
    assert_ne!(l.complement_gross, dec!(20.37));
}

#[test]
fn gross_base_contract() {
    let mut c = seed_contract();
    c.rules.base = crate::prevoyance::contract::Base::Brut;
    let r = compute(&c, &case(d(2026, 3, 2), d(2026, 3, 10), Motif::Maladie)).unwrap();
    let l = &r.days[3];
    // 100 % × 80 − 40 = 40 gross; net = 40 × 0.839 = 33.56.
    assert_eq!(
        (l.complement_gross, l.complement_net),
        (dec!(40.00), dec!(33.56))
    );
    assert_eq!(l.base_daily, dec!(80.00));
}

#[test]
fn carence_for_sickness_only() {
    let c = seed_contract();
    let sick = compute(&c, &case(d(2026, 3, 2), d(2026, 3, 6), Motif::Maladie)).unwrap();
    assert_eq!(
        rules(&sick),
        vec![
            (DayRule::Carence, None),
            (DayRule::Carence, None),
            (DayRule::Carence, None),
            (DayRule::Coverage, Some(1)),
            (DayRule::Coverage, Some(1)),
        ]
    );
    for motif in [
        Motif::AccidentTravail,
        Motif::AccidentTrajet,
        Motif::MaladieProfessionnelle,
    ] {
        let acc = compute(&c, &case(d(2026, 3, 2), d(2026, 3, 6), motif)).unwrap();
        assert_eq!(acc.days[0].rule, DayRule::Coverage, "{motif:?}");
        assert_eq!(acc.days[0].complement_net, dec!(24.28));
        assert_eq!(acc.periods[0].rubrique.as_deref(), Some("4110"));
    }
    assert_eq!(sick.periods[0].rubrique.as_deref(), Some("4100"));
}

#[test]
fn cascade_starts_midway_after_a_stoppage_within_12_months() {
    let c = seed_contract();
    let mut k = case(d(2026, 3, 2), d(2026, 4, 30), Motif::Maladie);
    // 43 days: 3 carence, 30 at tier 1, 10 at tier 2.
    k.previous_stoppages.push(Stoppage {
        employment_contract: Some("CT1".into()),
        start: d(2025, 9, 1),
        end: d(2025, 10, 13),
        motif: Motif::Maladie,
        cpam_carence_waived: false,
        prolongations: Vec::new(),
    });
    let r = compute(&c, &k).unwrap();
    assert_eq!(r.tiers[0].consumed_before, 30);
    assert_eq!(r.tiers[1].consumed_before, 10);
    assert_eq!(r.tiers[1].remaining_at_start, 20);
    assert_eq!(r.days[3].tier, Some(2)); // first day after carence
    assert_eq!(r.days[22].tier, Some(2));
    assert_eq!(r.days[23].tier, Some(3));
    assert_eq!(r.days[52].tier, Some(3));
    assert_eq!(r.days[53].rule, DayRule::Exhausted);
}

#[test]
fn a_stoppage_older_than_12_months_does_not_count() {
    let c = seed_contract();
    let mut k = case(d(2026, 3, 2), d(2026, 3, 31), Motif::Maladie);
    k.previous_stoppages.push(Stoppage {
        employment_contract: None,
        start: d(2025, 1, 5),
        end: d(2025, 2, 16),
        motif: Motif::Maladie,
        cpam_carence_waived: false,
        prolongations: Vec::new(),
    });
    let r = compute(&c, &k).unwrap();
    assert_eq!(r.tiers[0].consumed_before, 0);
    assert_eq!(r.days[3].tier, Some(1));
}

#[test]
fn explicit_history_and_other_contract_ignored() {
    let c = seed_contract();
    let mut k = case(d(2026, 3, 2), d(2026, 3, 31), Motif::AccidentTravail);
    let key = |tier| CoverageKey::Contract {
        contract: "C-0042".into(),
        tier,
    };
    k.consumed_days
        .record("CT1", key(1), d(2025, 12, 1), d(2025, 12, 30));
    k.consumed_days
        .record("CT1", key(2), d(2025, 12, 31), d(2026, 1, 4));
    k.consumed_days
        .record("CT9", key(3), d(2025, 12, 31), d(2026, 1, 29));
    let r = compute(&c, &k).unwrap();
    assert_eq!(r.days[0].tier, Some(2));
    assert_eq!(r.days[25].tier, Some(3));
    // The result's own consumption, ready to be appended to the history.
    assert_eq!(r.consumed.days("CT1", &key(2), d(2026, 4, 1)), 25);
}

#[test]
fn ccn01_relays_to_contract_99_at_day_91() {
    let mut c = seed_contract();
    c.conventions = vec!["01".into()];
    c.coverage_table = vec![SeniorityRow {
        min_seniority_months: 0,
        coverages: vec![Coverage {
            days: 90,
            rate_pct: dec!(100),
            ceiling_daily: None,
        }],
    }];
    let mut k = case(d(2026, 1, 5), d(2026, 4, 14), Motif::AccidentTravail); // 100 days
    k.employment_contracts[0].ccn = "01".into();
    let r = compute(&c, &k).unwrap();
    assert_eq!(r.days[89].tier, Some(1));
    assert_eq!(r.days[89].complement_net, dec!(24.28));
    assert_eq!(r.days[90].tier, Some(2));
    assert_eq!(
        r.tiers[1].coverage,
        CoverageKey::Contract {
            contract: "99".into(),
            tier: 1
        }
    );
    // 77 % × 80 − 40 = 21.60 gross; net 21.60 × 0.839 = 18.1224 → 18.12.
    assert_eq!(r.days[90].complement_gross, dec!(21.60));
    assert_eq!(r.days[90].complement_net, dec!(18.12));
    assert_eq!(r.days[90].rate_pct, Some(dec!(77)));

    // Without CCN 01 on the employment contract there is no relay.
    let mut c16 = c.clone();
    c16.conventions = vec!["16".into()];
    k.employment_contracts[0].ccn = "16".into();
    let r = compute(&c16, &k).unwrap();
    assert_eq!(r.days[90].rule, DayRule::Exhausted);
}

fn ccn02_case(mode: SeniorityMode) -> (crate::prevoyance::PrevoyanceContract, Case) {
    let mut c = seed_contract();
    c.conventions = vec!["02".into()];
    c.ccn02 = Some(Ccn02Details {
        numero_association: Some("ASSO-7".into()),
        seniority: mode,
        seniority_months_required: 12,
        charge_rubriques: vec!["P02".into()],
    });
    let start = d(2026, 3, 2);
    let mut k = case(start, d(2026, 3, 20), Motif::AccidentTravail);
    k.employment_contracts = vec![
        emp("OLD", d(2020, 1, 6), "02", dec!(600), start),
        emp("NEW", d(2025, 12, 1), "02", dec!(900), start),
    ];
    k.stoppage.employment_contract = Some("OLD".into());
    (c, k)
}

#[test]
fn ccn02_seniority_contract_by_contract() {
    let (c, k) = ccn02_case(SeniorityMode::PerContract);
    let r = compute(&c, &k).unwrap();
    assert_eq!(r.reference.monthly, dec!(600));
    assert_eq!(r.reference.contracts, vec!["OLD".to_owned()]);
    assert_eq!(r.days[0].legal, LegalDay::NotApplicable);
}

#[test]
fn ccn02_seniority_by_oldest_contract() {
    let (c, k) = ccn02_case(SeniorityMode::OldestContract);
    let r = compute(&c, &k).unwrap();
    // NEW has 3 months of seniority but OLD qualifies: every active contract counts.
    assert_eq!(r.reference.monthly, dec!(1500));
    assert_eq!(r.seniority_months, 73);
}

#[test]
fn ccn02_no_contract_with_seniority_is_not_eligible() {
    for mode in [SeniorityMode::PerContract, SeniorityMode::OldestContract] {
        let (c, mut k) = ccn02_case(mode);
        k.employment_contracts[0].start = d(2025, 6, 1);
        let r = compute(&c, &k).unwrap();
        assert!(!r.eligible, "{mode:?}");
        assert!(r.eligibility_note.is_some());
        assert!(r.days.iter().all(|l| l.rule == DayRule::NotEligible));
        assert_eq!(r.totals.complement_net, dec!(0));
    }
}

#[test]
fn seniority_picks_the_table_row() {
    let mut c = seed_contract();
    c.coverage_table.push(SeniorityRow {
        min_seniority_months: 120,
        coverages: vec![Coverage {
            days: 200,
            rate_pct: dec!(100),
            ceiling_daily: None,
        }],
    });
    let k = case(d(2026, 3, 2), d(2026, 3, 10), Motif::AccidentTravail);
    assert_eq!(compute(&c, &k).unwrap().table_row_min_months, Some(0));
    let mut k2 = k.clone();
    k2.employment_contracts[0].start = d(2016, 3, 2); // exactly 120 months
    let r = compute(&c, &k2).unwrap();
    assert_eq!(r.table_row_min_months, Some(120));
    assert_eq!(r.tiers.len(), 1);
    // A table starting at 6 months: 2 months of seniority is not covered.
    c.coverage_table.remove(0);
    c.coverage_table[0].min_seniority_months = 6;
    let mut k3 = k.clone();
    k3.employment_contracts[0].start = d(2026, 1, 2);
    assert!(!compute(&c, &k3).unwrap().eligible);
}

#[test]
fn month_split_across_year_end() {
    let c = seed_contract();
    let r = compute(
        &c,
        &case(d(2025, 12, 20), d(2026, 1, 10), Motif::AccidentTravail),
    )
    .unwrap();
    let p: Vec<(String, u32)> = r
        .periods
        .iter()
        .map(|p| (p.period.to_string(), p.days))
        .collect();
    assert_eq!(
        p,
        vec![("2025-12".to_owned(), 12), ("2026-01".to_owned(), 10)]
    );
    assert_eq!(r.periods[0].complement_net, dec!(24.28) * dec!(12));
    assert_eq!(r.periods[1].to, d(2026, 1, 10));
    let sum: Decimal = r.periods.iter().map(|p| p.complement_gross).sum();
    assert_eq!(sum, r.totals.complement_gross);
}

#[test]
fn ceiling_caps_the_daily_complement() {
    let mut c = seed_contract();
    c.coverage_table[0].coverages[0].ceiling_daily = Some(dec!(10));
    let r = compute(
        &c,
        &case(d(2026, 3, 2), d(2026, 3, 5), Motif::AccidentTravail),
    )
    .unwrap();
    assert_eq!(r.days[0].complement_net, dec!(10.00));
    assert!(r.days[0].ceiling_applied);
    c.coverage_table[0].coverages[0].ceiling_daily = Some(dec!(30));
    let r = compute(
        &c,
        &case(d(2026, 3, 2), d(2026, 3, 5), Motif::AccidentTravail),
    )
    .unwrap();
    assert_eq!(r.days[0].complement_net, dec!(24.28));
    assert!(!r.days[0].ceiling_applied);
}

#[test]
fn ijss_estimate_when_no_bpij_and_bpij_overrides() {
    let c = seed_contract();
    let mut k = case(d(2026, 3, 2), d(2026, 3, 10), Motif::Maladie);
    k.ijss = vec![IjssPeriod {
        from: d(2026, 3, 8),
        to: d(2026, 3, 10),
        daily_gross: dec!(35),
    }];
    let r = compute(&c, &k).unwrap();
    // Estimate: 3 × 2 400 / 91.25 / 2 = 39.45; CPAM carence on days 1–3.
    assert_eq!(r.ijss_estimate.daily_initial, dec!(39.45));
    assert_eq!(r.days[2].ijss_gross, dec!(0));
    assert_eq!(r.days[3].ijss_gross, dec!(39.45));
    assert_eq!(r.days[3].ijss_source, IjssSource::Estimate);
    assert_eq!(r.days[6].ijss_gross, dec!(35));
    assert_eq!(r.days[6].ijss_source, IjssSource::Bpij);
    assert!(r.days[6].complement_net > r.days[3].complement_net);
}

#[test]
fn contract_below_legal_floor_is_flagged() {
    // Seed contract: 100 % of net gives 28.94 gross; legal 90 % × 80 − 40 = 32.00.
    let c = seed_contract();
    let r = compute(&c, &case(d(2026, 3, 2), d(2026, 3, 20), Motif::Maladie)).unwrap();
    assert_eq!(r.days[6].legal, LegalDay::Carence);
    assert!(!r.days[6].below_legal_floor);
    assert_eq!(r.days[7].legal, LegalDay::Ninety);
    assert_eq!(r.days[7].legal_floor_gross, dec!(32.00));
    assert!(r.days[7].below_legal_floor);
    assert_eq!(r.totals.days_below_legal_floor, 12);
    assert_eq!(
        r.totals.legal_shortfall_gross,
        (dec!(32.00) - dec!(28.94)) * dec!(12)
    );
    // A 100 % gross contract is above the floor.
    let mut g = c.clone();
    g.rules.base = crate::prevoyance::contract::Base::Brut;
    let r = compute(&g, &case(d(2026, 3, 2), d(2026, 3, 20), Motif::Maladie)).unwrap();
    assert_eq!(r.totals.days_below_legal_floor, 0);
}

#[test]
fn errors_name_the_field() {
    let c = seed_contract();
    let mut k = case(d(2026, 3, 2), d(2026, 3, 1), Motif::Maladie);
    let e = compute(&c, &k).unwrap_err();
    assert!(e.to_string().contains("stoppage.end"), "{e}");
    k.stoppage.end = d(2026, 3, 5);
    k.ijss[0].to = d(2026, 3, 5);
    k.employment_contracts[0].ccn = "02".into();
    let e = compute(&c, &k).unwrap_err();
    assert!(e.to_string().contains("employment_contracts[0].ccn"), "{e}");
    k.employment_contracts[0].ccn = "16".into();
    k.employment_contracts[0].salaries.clear();
    let e = compute(&c, &k).unwrap_err();
    assert!(e.to_string().contains("salaries"), "{e}");
    k.employment_contracts[0].salaries =
        salaries(d(2026, 3, 2), dec!(79228162514264337593543950335));
    let e = compute(&c, &k).unwrap_err();
    assert!(e.to_string().contains("salaries[0].gross"), "{e}");
    k.employment_contracts[0].salaries = salaries(d(2026, 3, 2), dec!(2400));
    k.ijss[0].daily_gross = dec!(-1);
    let e = compute(&c, &k).unwrap_err();
    assert!(e.to_string().contains("ijss[0].daily_gross"), "{e}");
    let mut bad = c.clone();
    bad.conventions.clear();
    assert!(matches!(compute(&bad, &k), Err(CaseError::Contract { .. })));
}

proptest! {
    #[test]
    fn complement_never_negative_and_totals_add_up(
        gross in 0u32..1_000_000,
        ijss in 0u32..50_000,
        len in 1i64..400,
        offset in 0i64..1500,
        base_net in any::<bool>(),
        motif in prop_oneof![Just(Motif::Maladie), Just(Motif::AccidentTravail)],
        rates in proptest::collection::vec(1u32..=100, 1..=3),
        ceiling in proptest::option::of(1u32..20_000),
        with_bpij in any::<bool>(),
    ) {
        let mut c = seed_contract();
        c.rules.base = if base_net { crate::prevoyance::contract::Base::Net } else { crate::prevoyance::contract::Base::Brut };
        c.coverage_table[0].coverages = rates
            .iter()
            .map(|r| Coverage { days: 25, rate_pct: Decimal::from(*r), ceiling_daily: ceiling.map(|x| Decimal::new(x as i64, 2)) })
            .collect();
        let start = d(2024, 1, 1) + chrono::Duration::days(offset);
        let mut k = case(start, start + chrono::Duration::days(len - 1), motif);
        k.employment_contracts[0].salaries = salaries(start, Decimal::new(gross as i64, 2));
        if with_bpij {
            k.ijss[0].daily_gross = Decimal::new(ijss as i64, 2);
        } else {
            k.ijss.clear();
        }
        let r = compute(&c, &k).unwrap();
        prop_assert_eq!(r.days.len() as i64, len);
        for l in &r.days {
            prop_assert!(l.complement_net >= Decimal::ZERO);
            prop_assert!(l.complement_gross >= Decimal::ZERO);
            prop_assert!(l.legal_floor_gross >= Decimal::ZERO);
            prop_assert_eq!(l.complement_net, l.complement_net.round_dp(2));
        }
        let net: Decimal = r.periods.iter().map(|p| p.complement_net).sum();
        let gross_sum: Decimal = r.periods.iter().map(|p| p.complement_gross).sum();
        let days: u32 = r.periods.iter().map(|p| p.days).sum();
        prop_assert_eq!(net, r.totals.complement_net);
        prop_assert_eq!(gross_sum, r.totals.complement_gross);
        prop_assert_eq!(days as i64, len);
        let day_sum: Decimal = r.days.iter().map(|l| l.complement_net).sum();
        prop_assert_eq!(day_sum, r.totals.complement_net);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn no_panic_at_input_bounds(
        gross_scale in 0u32..28,
        gross_mant in 0i64..1_000_000_000,
        charges in 0u32..9999,
        share in 0u32..=10000,
        csg in 0u32..9999,
        len in prop_oneof![Just(1i64), Just(4000i64), 1i64..200],
        ijss in 0i64..=1_000_000,
    ) {
        let mut c = seed_contract();
        c.rules.charges_rate_pct = Some(Decimal::new(charges as i64, 2));
        c.rules.employer_share_pct = Some(Decimal::new(share as i64, 2));
        c.rules.csg_crds_ijss_pct = Decimal::new(csg as i64, 2);
        c.coverage_table[0].coverages[0].ceiling_daily = Some(dec!(1000000));
        let start = d(2026, 3, 2);
        let mut k = case(start, start + chrono::Duration::days(len - 1), Motif::AccidentTravail);
        let g = Decimal::new(gross_mant, gross_scale);
        k.employment_contracts[0].salaries = salaries(start, g);
        k.ijss[0].daily_gross = Decimal::from(ijss);
        let r = compute(&c, &k).unwrap();
        prop_assert!(r.totals.complement_net >= Decimal::ZERO);
    }
}

/// Issue 11 probe: CCN 02 "contrat par contrat", the stoppage on the contract without the
/// seniority, the contract with it has no salary in the 6 months: nothing is maintained (the
/// stoppage's own contract is never used instead). Totals print with two decimals.
#[test]
fn ccn02_per_contract_without_salary_on_the_senior_contract_pays_nothing() {
    let (c, mut k) = ccn02_case(SeniorityMode::PerContract);
    k.stoppage.employment_contract = Some("NEW".into());
    k.employment_contracts[0].salaries.clear();
    let r = compute(&c, &k).unwrap();
    assert_eq!(r.reference.contracts, vec!["OLD".to_owned()]);
    assert_eq!(r.reference.monthly, dec!(0));
    assert_eq!(r.totals.complement_gross, dec!(0));
    let json = serde_json::to_value(&r.totals).unwrap();
    assert_eq!(json["complement_gross"], "0.00");
    assert_eq!(json["complement_net"], "0.00");
    assert_eq!(json["legal_shortfall_gross"], "0.00");
}

/// Seed 001: "cumul des bruts des 6 mois civils qui précèdent l'arrêt / 6". Two months of
/// 2 400 € in the six: 800 €/month by default, 2 400 with `months_worked`.
#[test]
fn missing_reference_months_count_zero_unless_the_contract_says_months_worked() {
    let mut k = case(d(2026, 3, 2), d(2026, 3, 10), Motif::AccidentTravail);
    k.employment_contracts[0]
        .salaries
        .retain(|s| s.month >= "2026-01".parse().unwrap());
    let mut c = seed_contract();
    let r = compute(&c, &k).unwrap();
    assert_eq!(r.reference.monthly, dec!(800));
    assert_eq!(r.reference.missing.len(), 4);
    c.rules.reference_average = crate::prevoyance::reference::ReferenceAverage::MonthsWorked;
    let r = compute(&c, &k).unwrap();
    assert_eq!(r.reference.monthly, dec!(2400));
    // The seed's net example again: 61.60 − 37.32 = 24.28 net, ÷ 83.90 % = 28.94 gross.
    assert_eq!(
        (r.days[0].complement_net, r.days[0].complement_gross),
        (dec!(24.28), dec!(28.94))
    );
}

/// A prolongation continues the stoppage: one carence, coverage days go on. The same 19 days
/// given as one period, as a stoppage with a prolongation, or as a previous stoppage followed
/// by a new one starting the next day, pay the same.
#[test]
fn prolongation_is_one_stoppage() {
    let c = seed_contract();
    let whole = compute(&c, &case(d(2026, 3, 2), d(2026, 3, 20), Motif::Maladie)).unwrap();
    let mut k = case(d(2026, 3, 2), d(2026, 3, 10), Motif::Maladie);
    k.ijss[0].to = d(2026, 3, 20);
    k.stoppage
        .prolongations
        .push(crate::prevoyance::case::Prolongation {
            start: d(2026, 3, 11),
            end: d(2026, 3, 20),
        });
    let prolonged = compute(&c, &k).unwrap();
    assert_eq!(prolonged.end, d(2026, 3, 20));
    assert_eq!(rules(&prolonged), rules(&whole));
    assert_eq!(prolonged.totals, whole.totals);
    // 3 carence days, then 16 days at tier 1 × 24.28 net (seed figures).
    assert_eq!(whole.totals.complement_net, dec!(24.28) * dec!(16));

    // Sent as a new stoppage: the second part starts the day after the first ends.
    let mut k = case(d(2026, 3, 11), d(2026, 3, 20), Motif::Maladie);
    k.previous_stoppages.push(Stoppage {
        employment_contract: None,
        start: d(2026, 3, 2),
        end: d(2026, 3, 10),
        motif: Motif::Maladie,
        cpam_carence_waived: false,
        prolongations: Vec::new(),
    });
    let second = compute(&c, &k).unwrap();
    assert!(
        second.days.iter().all(|l| l.rule == DayRule::Coverage),
        "no second carence: {:?}",
        rules(&second)
    );
    assert_eq!(second.tiers[0].consumed_before, 6);
    assert_eq!(second.totals.complement_net, dec!(24.28) * dec!(10));
    // After a day worked it is a new stoppage, with its carence.
    k.previous_stoppages[0].end = d(2026, 3, 9);
    let new = compute(&c, &k).unwrap();
    assert_eq!(new.days[0].rule, DayRule::Carence);
}

#[test]
fn a_prolongation_must_follow_without_gap() {
    let mut k = case(d(2026, 3, 2), d(2026, 3, 10), Motif::Maladie);
    k.stoppage
        .prolongations
        .push(crate::prevoyance::case::Prolongation {
            start: d(2026, 3, 12),
            end: d(2026, 3, 20),
        });
    let err = compute(&seed_contract(), &k).unwrap_err();
    assert!(
        err.to_string().contains("stoppage.prolongations[0].start"),
        "{err}"
    );
}
