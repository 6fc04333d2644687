//! Feeds arbitrary bytes to the HR CSV reader under every encoding setting: it must never
//! panic, every record's line must lie in the file, the rejected extract of any lines must be
//! buildable, and the file read in small pieces (the spool's streaming path) must read
//! exactly as the file read whole.
#![no_main]

use ijgate::formats::hr_csv::{
    CsvEncoding, CsvOptions, CsvStream, Sniffer, extract_lines, extract_records, line_of, read,
};
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
            assert!(
                e.field.chars().count() <= 32 * 10 + 1,
                "unbounded field name in an error"
            );
        }
        let extract = extract_lines(data, &lines);
        assert!(extract.len() <= data.len() + lines.len() + 4);

        // In pieces of 1 to 7 bytes: the same verdict, records, errors and extract.
        let piece = 1 + usize::from(data.first().copied().unwrap_or(0)) % 7;
        let mut sniffer = Sniffer::new(encoding);
        for c in data.chunks(piece) {
            sniffer.feed(c);
        }
        match sniffer.finish() {
            Err(e) => {
                assert!(p.records.is_empty());
                assert_eq!(p.file_errors, vec![e]);
            }
            Ok(cs) => {
                let mut s = CsvStream::new(Pieces(data, piece), cs, &opts).unwrap();
                let mut records = Vec::new();
                while let Some(r) = s.next_record().unwrap() {
                    records.push(r);
                }
                assert_eq!(records, p.records);
                assert_eq!(s.file_errors, p.file_errors);
                let mut out = Vec::new();
                let fetch = |at: u64, len: usize| {
                    let at = (at as usize).min(data.len());
                    Ok(data[at..(at + len).min(data.len())].to_vec())
                };
                extract_records(Pieces(data, piece), fetch, &lines, &mut out).unwrap();
                assert_eq!(out, extract);
            }
        }
    }
});

/// A source handing out its bytes `.1` at a time.
struct Pieces<'a>(&'a [u8], usize);

impl std::io::Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}
