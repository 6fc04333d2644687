//! A generator of realistic DSN lots for benchmarks and load tests: N monthly declarations of
//! one company (one establishment each), M employees per declaration with contracts,
//! prévoyance adhesion/affiliation, pay, bases 31 with TA/TB components, contributions 059
//! consistent with the test fiche (TA 0.80 %, TB 1.20 %), payments, seniority and some
//! stoppages. Output is ISO-8859-1 / CRLF with correct S90 totals, written as a stream.
//!
//! Invariant: deterministic for a given spec (no randomness source: a small LCG), so runs are
//! comparable.

use std::io::{self, Write};

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct GenSpec {
    pub declarations: u32,
    pub employees_per_declaration: u32,
    /// One employee in `stoppage_every` has a stoppage.
    pub stoppage_every: u32,
}

struct Out<'a, W: Write> {
    w: &'a mut W,
    lines: u64,
    bytes: u64,
}

impl<W: Write> Out<'_, W> {
    fn l(&mut self, rubric: &str, value: &str) -> io::Result<()> {
        self.lines += 1;
        self.bytes += (rubric.len() + value.len() + 5) as u64;
        write!(self.w, "{rubric},'{value}'\r\n")
    }
}

fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Writes a lot of `spec.declarations` envois; returns the number of bytes written.
pub fn generate<W: Write>(w: &mut W, spec: GenSpec) -> io::Result<u64> {
    let mut o = Out {
        w,
        lines: 0,
        bytes: 0,
    };
    let mut seed: u64 = 0x2026_0301;
    let mut rnd = move |m: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % m
    };
    for d in 0..spec.declarations {
        let start = o.lines;
        let nic = format!("{:05}", d % 99_999 + 1);
        o.l("S10.G00.00.001", "PAYEXPRESS")?;
        o.l("S10.G00.00.002", "LOGIPAIE")?;
        o.l("S10.G00.00.003", "4.2")?;
        o.l("S10.G00.00.005", "02")?;
        o.l("S10.G00.00.006", "P26V01")?;
        o.l("S10.G00.00.007", "01")?;
        o.l("S10.G00.00.008", "01")?;
        o.l("S10.G00.01.001", "487654321")?;
        o.l("S10.G00.01.002", &nic)?;
        o.l("S10.G00.01.003", "ATELIERS DU LAC")?;
        o.l("S10.G00.02.001", "02")?;
        o.l("S10.G00.02.002", "CLAIRE FONTAINE")?;
        o.l("S10.G00.02.004", "paie@ateliers-lac.example")?;
        o.l("S20.G00.05.001", "01")?;
        o.l("S20.G00.05.002", "01")?;
        o.l("S20.G00.05.003", "11")?;
        o.l("S20.G00.05.004", &(d + 1).to_string())?;
        o.l("S20.G00.05.005", "01032026")?;
        o.l("S20.G00.05.007", "05042026")?;
        o.l("S20.G00.05.008", "01")?;
        o.l("S20.G00.05.010", "01")?;
        o.l("S21.G00.06.001", "487654321")?;
        o.l("S21.G00.06.002", "00018")?;
        o.l("S21.G00.11.001", &nic)?;
        o.l("S21.G00.11.002", "2562B")?;
        o.l("S21.G00.15.001", "PRV-LAC-2026")?;
        o.l("S21.G00.15.002", "P0999")?;
        o.l("S21.G00.15.004", "01")?;
        o.l("S21.G00.15.005", "1")?;
        // Employees first (to know the total), payment after: compute amounts up front.
        let n = spec.employees_per_declaration;
        let salaries: Vec<(u64, u64)> = (0..n)
            .map(|_| {
                let gross = 180_000 + rnd(600_000); // cents
                let ta = gross.min(400_500);
                (ta, gross - ta)
            })
            .collect();
        let contribution = |ta: u64, tb: u64| (ta * 80 + tb * 120 + 5_000) / 10_000;
        let total: u64 = salaries.iter().map(|&(ta, tb)| contribution(ta, tb)).sum();
        o.l("S21.G00.20.001", "P0999")?;
        o.l("S21.G00.20.005", &money(total))?;
        o.l("S21.G00.20.006", "01032026")?;
        o.l("S21.G00.20.007", "31032026")?;
        o.l("S21.G00.20.010", "05")?;
        o.l("S21.G00.55.001", &money(total))?;
        o.l("S21.G00.55.003", "PRV-LAC-2026")?;
        o.l("S21.G00.55.004", "2026M03")?;
        for (e, &(ta, tb)) in salaries.iter().enumerate() {
            let nir = format!(
                "{}{:02}{:02}{:02}{:03}{:03}",
                1 + rnd(2),
                60 + rnd(40),
                1 + rnd(12),
                1 + rnd(95),
                1 + rnd(999),
                1 + rnd(999)
            );
            o.l("S21.G00.30.001", &nir)?;
            o.l("S21.G00.30.002", "DURAND-LEFEBVRE")?;
            o.l("S21.G00.30.004", "JEAN-BAPTISTE")?;
            o.l(
                "S21.G00.30.005",
                if nir.starts_with('1') { "01" } else { "02" },
            )?;
            o.l("S21.G00.30.006", "14071985")?;
            o.l("S21.G00.30.007", "LYON")?;
            o.l("S21.G00.30.008", "12 RUE DES LILAS")?;
            o.l("S21.G00.30.009", "69003")?;
            o.l("S21.G00.30.010", "LYON")?;
            o.l("S21.G00.30.019", &format!("M{e:06}"))?;
            let contract = format!("C{e:06}");
            o.l("S21.G00.40.001", "01092019")?;
            o.l("S21.G00.40.002", "07")?;
            o.l("S21.G00.40.003", "04")?;
            o.l("S21.G00.40.004", "623a")?;
            o.l("S21.G00.40.006", "TECHNICIEN DE MAINTENANCE")?;
            o.l("S21.G00.40.007", "01")?;
            o.l("S21.G00.40.009", &contract)?;
            o.l("S21.G00.40.011", "10")?;
            o.l("S21.G00.40.012", "151.67")?;
            o.l("S21.G00.40.013", "151.67")?;
            o.l("S21.G00.40.017", "1486")?;
            o.l("S21.G00.40.018", "200")?;
            o.l("S21.G00.40.020", "200")?;
            o.l("S21.G00.40.039", "200")?;
            if spec.stoppage_every > 0 && (e as u32).is_multiple_of(spec.stoppage_every) {
                o.l("S21.G00.60.001", "01")?;
                o.l("S21.G00.60.002", "10032026")?;
                o.l("S21.G00.60.003", "24032026")?;
                o.l("S21.G00.60.004", "02")?;
            }
            o.l("S21.G00.70.004", "OPT1")?;
            o.l("S21.G00.70.005", "NCAD")?;
            o.l("S21.G00.70.012", "1")?;
            o.l("S21.G00.70.013", "1")?;
            o.l("S21.G00.70.014", "01012026")?;
            o.l("S21.G00.50.001", "31032026")?;
            o.l("S21.G00.50.002", &money((ta + tb) * 78 / 100))?;
            o.l("S21.G00.50.003", "1")?;
            o.l("S21.G00.50.004", &money((ta + tb) * 76 / 100))?;
            for kind in ["001", "002", "010"] {
                o.l("S21.G00.51.001", "01032026")?;
                o.l("S21.G00.51.002", "31032026")?;
                o.l("S21.G00.51.010", &contract)?;
                o.l("S21.G00.51.011", kind)?;
                o.l("S21.G00.51.013", &money(ta + tb))?;
            }
            for code in ["02", "03", "04"] {
                o.l("S21.G00.78.001", code)?;
                o.l("S21.G00.78.002", "01032026")?;
                o.l("S21.G00.78.003", "31032026")?;
                o.l("S21.G00.78.004", &money(ta + tb))?;
                for (c, rate) in [("075", "7.00"), ("076", "0.30"), ("100", "8.55")] {
                    o.l("S21.G00.81.001", c)?;
                    o.l("S21.G00.81.004", &money((ta + tb) * 7 / 100))?;
                    o.l("S21.G00.81.007", rate)?;
                }
            }
            o.l("S21.G00.78.001", "31")?;
            o.l("S21.G00.78.002", "01032026")?;
            o.l("S21.G00.78.003", "31032026")?;
            o.l("S21.G00.78.004", &money(ta + tb))?;
            o.l("S21.G00.78.005", "1")?;
            o.l("S21.G00.79.001", "11")?;
            o.l("S21.G00.79.004", &money(ta))?;
            o.l("S21.G00.79.001", "13")?;
            o.l("S21.G00.79.004", &money(tb))?;
            o.l("S21.G00.81.001", "059")?;
            o.l("S21.G00.81.002", "P0999")?;
            o.l("S21.G00.81.004", &money(contribution(ta, tb)))?;
            o.l("S21.G00.86.001", "07")?;
            o.l("S21.G00.86.002", "03")?;
            o.l("S21.G00.86.003", "6")?;
            o.l("S21.G00.86.005", &contract)?;
        }
        let count = o.lines - start + 2;
        o.l("S90.G00.90.001", &count.to_string())?;
        o.l("S90.G00.90.002", "1")?;
    }
    o.w.flush()?;
    Ok(o.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsn::analyze::{AnalyzeOptions, analyze};
    use crate::dsn::fiche::Fiche;

    #[test]
    fn generated_lot_is_clean_and_balanced() {
        let mut buf = Vec::new();
        let bytes = generate(
            &mut buf,
            GenSpec {
                declarations: 3,
                employees_per_declaration: 40,
                stoppage_every: 10,
            },
        )
        .unwrap();
        assert_eq!(bytes, buf.len() as u64);
        let fiche = Fiche::parse(
            "f",
            include_bytes!("../../tests/fixtures/dsn/fiche_lac_p0999.xml"),
        )
        .unwrap();
        let a = analyze(
            &buf[..],
            &[fiche],
            AnalyzeOptions::default(),
            &[],
            |_, _| {},
        )
        .unwrap();
        assert_eq!(
            a.stats.errors,
            0,
            "{:?}",
            &a.diagnostics[..a.diagnostics.len().min(5)]
        );
        assert_eq!(a.declarations.len(), 3);
        assert_eq!(a.stoppages.len(), 12);
        assert!(
            a.anomalies.is_empty(),
            "{:?}",
            &a.anomalies[..a.anomalies.len().min(5)]
        );
        let calls = a.calls.lines();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].employees, 120);
        assert_eq!(
            calls[0].balance,
            Some(rust_decimal::Decimal::ZERO),
            "{calls:?}"
        );
    }
}
