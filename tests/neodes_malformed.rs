//! A corpus of malformed lines, each with its asserted diagnostic code and line number, plus
//! property tests: the reader never panics, and writer → reader is the identity.

use ijgate::neodes::reader::{Event, Options, Reader, Severity, read_all};
use ijgate::neodes::rubric::{RubricId, rid};
use ijgate::neodes::writer::Writer;
use proptest::prelude::*;

/// A valid envoi head (7 lines) so that each bad line below is judged on its own.
const HEAD: &[&[u8]] = &[
    b"S10.G00.00.001,'IJGATE'",
    b"S10.G00.00.006,'P26V01'",
    b"S20.G00.05.001,'01'",
    b"S21.G00.06.001,'552100554'",
    b"S21.G00.11.001,'00013'",
    b"S21.G00.30.002,'MARTIN'",
    b"S21.G00.40.009,'C1'",
];

fn corpus() -> (Vec<u8>, Vec<(u64, &'static str)>) {
    let long = format!("S21.G00.40.006,'{}'", "A".repeat(240));
    let cases: Vec<(Vec<u8>, &'static str)> = vec![
        (b"S21.G00.40.006 'JEAN'".to_vec(), "syntax"),
        (b"S21.G00.40.006,'JEAN".to_vec(), "syntax"),
        (b"S21.G0O.30.004,'JEAN'".to_vec(), "syntax"),
        (b"".to_vec(), "syntax"),
        (b"S21.G00.40.006,'JEAN#'".to_vec(), "forbidden-char"),
        (b"S21.G00.40.006,'JE\x80AN'".to_vec(), "forbidden-char"),
        (b"S21.G00.40.006,'JEAN\x09'".to_vec(), "forbidden-char"),
        (long.into_bytes(), "line-too-long+too-long"),
        (b"S21.G00.40.006,''".to_vec(), "empty-value"),
        (b"S21.G00.40.006,' - '".to_vec(), "no-validating-char"),
        (b"S21.G00.60.002,'31042026'".to_vec(), "bad-date"),
        (b"S21.G00.60.003,'2026-04-30'".to_vec(), "too-long"),
        (b"S21.G00.60.005,'0104202'".to_vec(), "bad-date"),
        (b"S21.G00.60.001,'42'".to_vec(), "not-in-enum"),
        (b"S21.G00.30.001,'12345678901234'".to_vec(), "too-long"),
        (b"S21.G00.40.013,'12,50'".to_vec(), "not-numeric"),
        (b"S21.G00.30.099,'X'".to_vec(), "unknown-rubric"),
        (b"S21.G00.79.001,'19'".to_vec(), "orphan-block"),
    ];
    let mut file = Vec::new();
    for l in HEAD {
        file.extend_from_slice(l);
        file.extend_from_slice(b"\r\n");
    }
    let mut expected = Vec::new();
    for (i, (line, code)) in cases.into_iter().enumerate() {
        file.extend_from_slice(&line);
        file.extend_from_slice(b"\n");
        for c in code.split('+') {
            expected.push((HEAD.len() as u64 + 1 + i as u64, c));
        }
    }
    let lines = file.iter().filter(|&&b| b == b'\n').count() as u64 + 2;
    file.extend_from_slice(
        format!("S90.G00.90.001,'{lines}'\r\nS90.G00.90.002,'1'\r\n").as_bytes(),
    );
    (file, expected)
}

#[test]
fn every_malformed_line_is_reported_at_its_line() {
    let (file, expected) = corpus();
    let (items, diags, stats) = read_all(&file[..], Options::default());
    let found: Vec<(u64, &str)> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.line, d.kind.code()))
        .collect();
    assert_eq!(found, expected);
    // Reading went on to the end: the totals were read and matched.
    assert_eq!(stats.lines, HEAD.len() as u64 + 18 + 2);
    assert!(items.iter().any(|i| i.rubric == rid("S90.G00.90.002")));
}

#[test]
fn wrong_totals_and_missing_total_are_reported() {
    let file = b"S10.G00.00.001,'A'\nS20.G00.05.001,'01'\nS90.G00.90.001,'5'\nS90.G00.90.002,'2'\nS10.G00.00.001,'B'\nS20.G00.05.001,'01'\n";
    let (_, diags, _) = read_all(&file[..], Options::default());
    let found: Vec<(u64, &str)> = diags.iter().map(|d| (d.line, d.kind.code())).collect();
    assert_eq!(
        found,
        [
            (3, "total-lines"),
            (4, "declaration-count"),
            (6, "missing-total")
        ]
    );
    let ok = b"S10.G00.00.001,'A'\nS20.G00.05.001,'01'\nS90.G00.90.001,'4'\nS90.G00.90.002,'1'\n";
    assert!(read_all(&ok[..], Options::default()).1.is_empty());
}

#[test]
fn an_unknown_block_does_not_break_the_hierarchy() {
    let file = b"S10.G00.00.001,'A'\nS20.G00.05.001,'01'\nS21.G00.06.001,'X'\nS21.G00.11.001,'1'\nS21.G00.30.002,'N'\nS21.G00.40.009,'C1'\nS21.G00.99.001,'Z'\nS21.G00.60.001,'01'\nS90.G00.90.001,'10'\nS90.G00.90.002,'1'\n";
    let (items, diags, _) = read_all(&file[..], Options::default());
    let found: Vec<(u64, &str)> = diags.iter().map(|d| (d.line, d.kind.code())).collect();
    assert_eq!(found, [(7, "unknown-rubric")]);
    // The stoppage still hangs under the contract.
    assert_eq!(items[7].parent, Some(items[5].node));
}

#[test]
fn utf8_input_is_accepted_with_a_warning() {
    let file = "S10.G00.00.001,'A'\nS20.G00.05.001,'01'\nS21.G00.06.001,'X'\nS21.G00.11.001,'1'\nS21.G00.30.002,'HÉLÈNE'\nS90.G00.90.001,'7'\nS90.G00.90.002,'1'\n";
    let (items, diags, _) = read_all(file.as_bytes(), Options::default());
    let found: Vec<(u64, &str)> = diags.iter().map(|d| (d.line, d.kind.code())).collect();
    assert_eq!(found, [(5, "utf8-input")]);
    assert_eq!(items[4].value, "HÉLÈNE");
    // The same file in ISO-8859-1 has no warning.
    let latin1: Vec<u8> = file.chars().map(|c| c as u32 as u8).collect();
    let (items, diags, _) = read_all(&latin1[..], Options::default());
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(items[4].value, "HÉLÈNE");
}

#[test]
fn bytes_valid_in_both_encodings_are_latin1() {
    // C7 B0 is "Ç°" in ISO-8859-1 and "ǰ" in UTF-8: the norm's encoding wins (found by proptest).
    let file = b"S10.G00.00.001,'A'\nS20.G00.05.001,'01'\nS21.G00.06.004,'\xC7\xB0'\nS90.G00.90.001,'5'\nS90.G00.90.002,'1'\n";
    let (items, diags, _) = read_all(&file[..], Options::default());
    assert_eq!(items[2].value, "Ç°");
    assert!(
        diags.iter().all(|d| d.kind.code() == "orphan-block"),
        "{diags:?}"
    );
}

#[test]
fn a_huge_line_does_not_grow_memory_or_stop_reading() {
    let mut file = b"S10.G00.00.001,'".to_vec();
    file.extend(std::iter::repeat_n(b'A', 3 << 20));
    file.extend_from_slice(b"'\nS20.G00.05.001,'01'\n");
    let mut r = Reader::new(&file[..]);
    let mut codes = Vec::new();
    let mut items = Vec::new();
    while let Some(ev) = r.next_event() {
        match ev {
            Event::Item(i) => items.push((i.line, i.rubric)),
            Event::Diagnostic(d) => codes.push((d.line, d.kind.code())),
        }
    }
    assert_eq!(codes[0], (1, "line-too-long"));
    assert_eq!(items, [(2, rid("S20.G00.05.001"))]);
}

fn rubric_strategy() -> impl Strategy<Value = RubricId> {
    // Free-text rubrics of several blocks, so that the hierarchy is exercised too.
    prop::sample::select(vec![
        rid("S21.G00.06.004"),
        rid("S21.G00.11.003"),
        rid("S21.G00.30.002"),
        rid("S21.G00.40.006"),
        rid("S21.G00.40.009"),
        rid("S21.G00.40.006"),
        rid("S21.G00.70.004"),
        rid("S21.G00.15.001"),
    ])
}

fn value_strategy() -> impl Strategy<Value = String> {
    "[A-Za-z0-9ÀÉÈÊÇàéèêçïôùÿ][A-Za-z0-9 ÀÉÈÊÇàéèêçïôùÿ'&()*+,./:=@_`«°»-]{0,19}"
}

proptest! {
    #[test]
    fn reader_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let mut r = Reader::new(&bytes[..]);
        let mut n = 0u64;
        while let Some(ev) = r.next_event() {
            if let Event::Item(i) = ev {
                let _ = i.value();
            }
            n += 1;
        }
        prop_assert!(n >= r.stats().lines.min(1));
    }

    #[test]
    fn reader_never_panics_on_line_like_input(lines in prop::collection::vec("(S[0-9]{2}\\.G[0-9]{2}\\.[0-9]{2}\\.[0-9]{3}(,'[^\\n]{0,20}'?)?|[^\\n]{0,30})", 0..60)) {
        let file = lines.join("\n");
        let (_, _, stats) = read_all(file.as_bytes(), Options::default());
        prop_assert!(stats.lines <= lines.len() as u64);
    }

    #[test]
    fn writer_then_reader_is_identity(body in prop::collection::vec((rubric_strategy(), value_strategy()), 0..40)) {
        let mut w = Writer::new();
        w.push(rid("S10.G00.00.001"), "IJGATE").push(rid("S20.G00.05.001"), "01");
        for (r, v) in &body {
            w.push(*r, v);
        }
        let bytes = w.finish().unwrap();
        let (items, diags, _) = read_all(&bytes[..], Options::default());
        let got: Vec<(RubricId, String)> = items.into_iter().map(|i| (i.rubric, i.value)).collect();
        let mut want = vec![(rid("S10.G00.00.001"), "IJGATE".to_string()), (rid("S20.G00.05.001"), "01".to_string())];
        want.extend(body.iter().cloned());
        prop_assert_eq!(&got[..want.len()], &want[..]);
        prop_assert_eq!(got.len(), want.len() + 2);
        // Only hierarchy findings may appear (random order of blocks), never codec errors.
        prop_assert!(diags.iter().all(|d| d.kind.code() == "orphan-block"), "{:?}", diags);
    }
}
