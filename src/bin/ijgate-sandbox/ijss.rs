//! The sandbox's IJ maladie figures (what the CPAM would pay), and the BPIJ it issues for a
//! subrogated stoppage.
//!
//! The legal IJ computation is the prévoyance module's (one rule, one place).
//! Rules (CSS R323-4, R323-5, R323-1; décret 2025-160): IJ = 50 % of (the last 3 monthly
//! gross pays, capped in total at 3 × 1.4 SMIC mensuel) / 91.25, rounded to the cent; the
//! SMIC is the one in force on the last day of the month before the stop; 3 waiting days.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use super::check::Stoppage;
use ijgate::formats::bpij::{Assurance, Assure, Bpij, Caisse, Certificat, Declare, Prestation};
use ijgate::model::nir::RawNir;

/// Waiting days before IJ maladie are paid.
pub const CARENCE_DAYS: i64 = 3;

/// Daily gross IJ maladie for a stop starting on `stop_start`, from the monthly gross pays
/// of the months before it, oldest first (the last 3 are used; missing months count as 0).
/// The legal rule itself (and its dated SMIC table) lives in [`ijgate::prevoyance::ijss`].
pub fn ijss_daily_gross(last_three_monthly_gross: &[Decimal], stop_start: NaiveDate) -> Decimal {
    let recent_first: Vec<Decimal> = last_three_monthly_gross
        .iter()
        .rev()
        .take(3)
        .copied()
        .collect();
    ijgate::prevoyance::ijss::ijss_daily_gross(
        ijgate::prevoyance::motif::Motif::Maladie,
        &recent_first,
        stop_start,
    )
}

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Parameters of one issued slip.
pub struct BpijIssue<'a> {
    pub identification: String,
    pub declarant_siret: &'a str,
    pub declare_siret: String,
    pub code_cpam: &'a str,
    pub libelle_cpam: &'a str,
    pub paid_on: NaiveDate,
    pub default_monthly_gross: Decimal,
}

/// A BPIJ (version 02.04) paying a subrogated sick-leave stoppage from its first day
/// after the waiting days to its expected end. `None` when the stoppage has no dates or is
/// shorter than the waiting period.
pub fn bpij_for(stop: &Stoppage, issue: &BpijIssue<'_>) -> Option<Bpij> {
    let start = stop.last_day_worked?.succ_opt()?;
    let end = stop.expected_end?;
    let first_paid = start + chrono::Duration::days(CARENCE_DAYS);
    if end < first_paid {
        return None;
    }
    let salaries: Vec<Decimal> = if stop.monthly_gross.is_empty() {
        vec![issue.default_monthly_gross; 3]
    } else {
        stop.monthly_gross.range(..start).map(|(_, v)| *v).collect()
    };
    let pu = ijss_daily_gross(&salaries, start);
    let days = (end - first_paid).num_days() + 1;
    let gross = cents(pu * Decimal::from(days));
    let csg = cents(gross * Decimal::new(62, 3));
    let crds = cents(gross * Decimal::new(5, 3));
    let net = gross - csg - crds;
    let num_sin = format!(
        "{:09}",
        issue.identification.len() as u64 * 7919 + days as u64
    );
    let line = |code: &str,
                libelle: &str,
                deb: NaiveDate,
                fin: Option<NaiveDate>,
                nb: Option<i64>,
                pu: Option<Decimal>,
                m: Decimal| Prestation {
        code_nature: code.into(),
        reference: None,
        libelle: libelle.into(),
        date_deb: deb,
        date_fin: fin,
        num_sin: Some(num_sin.clone()),
        date_sin: None,
        date_deb_conge: None,
        date_fin_conge: None,
        nb_ij: nb.map(|n| Decimal::new(n * 10, 1)),
        ij_sub: Some(true),
        pu,
        montant: Some(m),
        certificat: None,
    };
    let mut ij = line(
        "IJNOR",
        "I.J. NORMALES",
        first_paid,
        Some(end),
        Some(days),
        Some(pu),
        gross,
    );
    ij.certificat = Some(Certificat {
        type_code: "INITIAL".into(),
        date_deb: start,
        date_fin: end,
    });
    let prestations = vec![
        line(
            "CAR",
            "CARENCE",
            start,
            Some(first_paid.pred_opt().unwrap_or(first_paid)),
            Some(CARENCE_DAYS),
            Some(Decimal::ZERO),
            Decimal::new(0, 2),
        ),
        ij,
        line(
            "RETCRD",
            "RETENUE CONTRIB. REMBOURSEMENT DETTE SOCIALE",
            first_paid,
            None,
            None,
            None,
            -crds,
        ),
        line(
            "CSJ",
            "CONTRIBUTION SOCIALE GENERALISEE",
            first_paid,
            None,
            None,
            None,
            -csg,
        ),
    ];
    Some(Bpij {
        version: "02.04".into(),
        identification: issue.identification.clone(),
        temps: format!("{}T00:00:00.000+01:00", issue.paid_on),
        fonction: Some("9 : document original".into()),
        declarant_siret: issue.declarant_siret.to_string(),
        declarant_raison_sociale: None,
        declarant_bank: None,
        declarant_total: Some(net),
        declares: vec![Declare {
            siret: issue.declare_siret.clone(),
            raison_sociale: None,
            bank: None,
            total: Some(net),
            caisses: vec![Caisse {
                code_cpam: issue.code_cpam.to_string(),
                libelle: Some(issue.libelle_cpam.to_string()),
                j_comptable: issue.paid_on,
                total: Some(net),
                assures: vec![Assure {
                    nir: RawNir::new(stop.nir.clone()),
                    nom: stop.nom.clone(),
                    prenom: stop.prenoms.clone(),
                    bank: None,
                    total: Some(net),
                    assurances: vec![Assurance {
                        code_nature: "AS".into(),
                        total: Some(net),
                        prestations,
                    }],
                    indus: vec![],
                    rappels: vec![],
                }],
            }],
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use std::collections::BTreeMap;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn half_of_three_months_over_91_25() {
        // 3 × 2000 / 91.25 = 65.753… → 50 % = 32.88
        assert_eq!(
            ijss_daily_gross(&[dec!(2000); 3], d(2026, 3, 2)),
            dec!(32.88)
        );
    }

    #[test]
    fn capped_at_1_4_smic_for_2026_stops() {
        // cap 2 552.24 × 3 / 91.25 / 2 = 41.95
        assert_eq!(
            ijss_daily_gross(&[dec!(5000); 3], d(2026, 3, 2)),
            dec!(41.95)
        );
        // Stop in January 2026: SMIC of 31 Dec 2025 → cap 2 522.52 → 41.47.
        assert_eq!(
            ijss_daily_gross(&[dec!(5000); 3], d(2026, 1, 15)),
            dec!(41.47)
        );
        // Below the cap the cap does not bite.
        assert!(ijss_daily_gross(&[dec!(2500); 3], d(2026, 3, 2)) < dec!(41.95));
    }

    #[test]
    fn only_the_last_three_months_count() {
        let four = [dec!(9000), dec!(1000), dec!(1000), dec!(1000)];
        assert_eq!(ijss_daily_gross(&four, d(2026, 3, 2)), dec!(16.44));
    }

    #[test]
    fn slip_for_subrogated_stop() {
        let stop = Stoppage {
            nir: "1850175123456".into(),
            nom: "MARTIN".into(),
            prenoms: "LEA".into(),
            motif: "01".into(),
            last_day_worked: Some(d(2026, 3, 1)),
            expected_end: Some(d(2026, 3, 20)),
            subrogation: true,
            monthly_gross: BTreeMap::new(),
        };
        let issue = BpijIssue {
            identification: "1".into(),
            declarant_siret: "12345678200010",
            declare_siret: "12345678200028".into(),
            code_cpam: "751",
            libelle_cpam: "CPAM de PARIS",
            paid_on: d(2026, 3, 21),
            default_monthly_gross: dec!(2000),
        };
        let b = bpij_for(&stop, &issue).unwrap();
        let s = &b.summaries()[0];
        // Stop 2 March, carence 2–4 March, paid 5–20 March = 16 days × 32.88.
        assert_eq!(s.days, dec!(16));
        assert_eq!(s.carence_days, dec!(3));
        assert_eq!(s.gross_ij, dec!(526.08));
        assert_eq!(s.csg, dec!(32.62));
        assert_eq!(s.crds, dec!(2.63));
        assert_eq!(s.net, dec!(490.83));
        assert_eq!(s.period, Some((d(2026, 3, 5), d(2026, 3, 20))));
        // The issued slip is valid BPIJ 02.04.
        if std::process::Command::new("xmllint")
            .arg("--version")
            .output()
            .is_ok()
        {
            let dir = tempfile::tempdir().unwrap();
            let file = dir.path().join("slip.xml");
            std::fs::write(&file, b.to_xml()).unwrap();
            let xsd = crate::reference_dir().join("gip-mds/ROOT_BPIJ_V02_04.xsd");
            let out = std::process::Command::new("xmllint")
                .args(["--noout", "--schema"])
                .arg(&xsd)
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        } else if std::env::var("CI").as_deref() == Ok("true") {
            panic!("xmllint is required in CI");
        } else {
            eprintln!("SKIP xmllint validation of the issued slip: xmllint not installed");
        }
        // Too short for any IJ.
        let short = Stoppage {
            expected_end: Some(d(2026, 3, 3)),
            ..stop
        };
        assert!(bpij_for(&short, &issue).is_none());
    }
}
