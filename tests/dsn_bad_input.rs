//! Bad input never panics and never stops the analysis: a truncated or mixed-charset file, a
//! lot with a broken envelope, a rate written with a comma give located errors and the rest is
//! still checked; negative or absurd amounts are anomalies. Inputs are the own fixtures of
//! tests/fixtures/dsn, damaged here.

use std::path::Path;

use ijgate::dsn::analyze::{Analysis, AnalyzeOptions, analyze};
use ijgate::dsn::fiche::Fiche;
use ijgate::neodes::reader::Severity;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/dsn")
            .join(name),
    )
    .unwrap()
}

fn run(bytes: &[u8]) -> Analysis {
    let fiche = Fiche::parse("fiche", &fixture("fiche_lac_p0999.xml")).unwrap();
    analyze(bytes, &[fiche], AnalyzeOptions::default(), &[], |_, _| {}).unwrap()
}

fn errors(a: &Analysis) -> Vec<(u64, &'static str)> {
    a.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.line, d.kind.code()))
        .collect()
}

fn replace_line(bytes: &[u8], line: usize, new: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, l) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        if i + 1 == line {
            out.extend_from_slice(new);
            out.extend_from_slice(b"\r\n");
        } else {
            out.extend_from_slice(l);
        }
    }
    out
}

#[test]
fn truncated_file_is_located_and_the_rest_checked() {
    let clean = fixture("lac_2026_03_clean.dsn");
    // Cut in the middle of line 67 (S21.G00.81.004 of the first employee).
    let cut = clean
        .windows(17)
        .position(|w| w == b"S21.G00.81.004,'3")
        .unwrap()
        + 17;
    let a = run(&clean[..cut]);
    let e = errors(&a);
    assert!(e.contains(&(67, "syntax")), "{e:?}");
    assert!(e.iter().any(|(_, c)| *c == "missing-total"), "{e:?}");
    // What was read is still analysed: the declaration, its first employee, its payment.
    assert_eq!(a.declarations.len(), 1);
    assert_eq!(a.declarations[0].employees, 1);
}

#[test]
fn mixed_charset_is_located_and_the_rest_checked() {
    let clean = fixture("lac_2026_03_clean.dsn");
    // Line 39 in ISO-8859-1 (É = C9), line 73 in UTF-8 (Ö = C3 96).
    let a = replace_line(&clean, 39, b"S21.G00.30.002,'B\xc9RTIN'");
    let b = replace_line(&a, 73, b"S21.G00.30.002,'R\xc3\x96USSEL'");
    let r = run(&b);
    let e = errors(&r);
    assert_eq!(e, [(73, "forbidden-char")], "{:?}", r.diagnostics);
    assert_eq!(r.declarations[0].employees, 2);
    assert!(r.anomalies.is_empty(), "{:?}", r.anomalies);
}

#[test]
fn broken_lot_envelope_is_located_and_the_declarations_checked() {
    let clean = fixture("lac_ecve98_underpaid.dsn");
    let mut lot =
        b"S05.G51.00.001,'01'\r\nS05.G51.00.002,'769608'\r\nS06.G51.00.001,'DSNOK'\r\n".to_vec();
    lot.extend_from_slice(&clean);
    // The group says 3 DSN, it holds 1; the lot number reminder differs.
    lot.extend_from_slice(b"S96.G51.00.001,'DSNOK'\r\nS96.G51.00.002,'3'\r\nS95.G51.00.001,'769609'\r\nS95.G51.00.002,'1'\r\n");
    let a = run(&lot);
    let e = errors(&a);
    let n = 3 + 98;
    assert!(e.contains(&(n + 2, "envelope-count")), "{e:?}");
    assert!(e.contains(&(n + 3, "envelope-count")), "{e:?}");
    // The declaration inside is still checked: its planted defect is found.
    assert_eq!(
        a.anomalies
            .iter()
            .map(|x| (x.code, x.line))
            .collect::<Vec<_>>(),
        [("ECVE98", 3 + 35)]
    );
}

#[test]
fn rate_with_a_comma_is_located_and_the_rest_checked() {
    let raised = fixture("lac_ecin08_rate_raised.dsn");
    let text =
        String::from_utf8_lossy(&raised).replace("S21.G00.81.007,'1.00'", "S21.G00.81.007,'1,00'");
    let a = run(text.as_bytes());
    assert_eq!(errors(&a), [(69, "not-numeric")], "{:?}", a.diagnostics);
    // The contribution is still checked against the fiche's rates.
    assert!(
        a.anomalies
            .iter()
            .any(|x| x.code == "ECIN08" && x.line == 68),
        "{:?}",
        a.anomalies
    );
}

#[test]
fn negative_and_absurd_amounts_are_anomalies() {
    let clean = fixture("lac_2026_03_clean.dsn");
    let neg = replace_line(&clean, 67, b"S21.G00.81.004,'-30.00'");
    let a = run(&neg);
    assert!(
        a.anomalies
            .iter()
            .any(|x| x.code == "ECIN98" && x.line == 67),
        "{:?}",
        a.anomalies
    );
    // 28-digit amounts and rates: beyond the norm's length (codec errors) and absurd
    // (anomalies); nothing overflows.
    let huge = b"9999999999999999999999999999";
    let mut absurd = replace_line(
        &clean,
        59,
        &[b"S21.G00.78.004,'".as_slice(), huge, b"'"].concat(),
    );
    absurd = replace_line(
        &absurd,
        62,
        &[b"S21.G00.79.004,'".as_slice(), huge, b"'"].concat(),
    );
    absurd = replace_line(
        &absurd,
        67,
        &[b"S21.G00.81.004,'".as_slice(), huge, b"'"].concat(),
    );
    absurd = replace_line(
        &absurd,
        31,
        &[b"S21.G00.20.005,'".as_slice(), huge, b"'"].concat(),
    );
    absurd = replace_line(
        &absurd,
        35,
        &[b"S21.G00.55.001,'".as_slice(), huge, b"'"].concat(),
    );
    let a = run(&absurd);
    assert!(
        errors(&a).contains(&(59, "too-long")),
        "{:?}",
        a.diagnostics
    );
    let found: Vec<_> = a.anomalies.iter().map(|x| (x.code, x.line)).collect();
    for want in [("ECIN98", 59), ("ECIN98", 67), ("EVER98", 31)] {
        assert!(found.contains(&want), "{want:?} in {found:?}");
    }
    let _ = a.calls.lines();
}
