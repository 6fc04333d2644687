//! Feeds arbitrary bytes to the HR CSV reader under every encoding setting: it must never
//! panic, every record's line must lie in the file, and the rejected extract of any lines
//! must be buildable.
#![no_main]

use ijgate::formats::hr_csv::{CsvEncoding, CsvOptions, extract_lines, line_of, read};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let last = line_of(data, data.len());
    for encoding in [CsvEncoding::Auto, CsvEncoding::Windows1252] {
        let opts = CsvOptions {
            encoding,
            ..CsvOptions::default()
        };
        let p = read(data, &opts);
        let mut lines = std::collections::HashSet::new();
        for r in &p.records {
            let l = r.location.line.expect("a CSV record has a line");
            assert!(l >= 1 && l <= last, "line {l} outside 1..={last}");
            lines.insert(l);
        }
        for e in &p.file_errors {
            // 32 characters of the title at most, each escaped to at most 10 (`\u{10ffff}`).
            assert!(e.field.chars().count() <= 32 * 10 + 1, "unbounded field name in an error");
        }
        let extract = extract_lines(data, &lines);
        assert!(extract.len() <= data.len() + lines.len() + 4);
    }
});
