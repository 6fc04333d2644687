//! Feeds arbitrary bytes to the HR JSON reader: it must never panic, and what it echoes in
//! errors stays bounded.
#![no_main]

use ijgate::formats::hr_json::read;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let p = read(data);
    for e in &p.file_errors {
        if let Some(v) = &e.value {
            assert!(v.chars().count() <= 65 * 8, "unbounded echo");
        }
    }
});
