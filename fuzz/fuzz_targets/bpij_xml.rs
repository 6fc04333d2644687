//! Feeds arbitrary bytes to the BPIJ XML reader: it must never panic; a slip it accepts can
//! be summarised and written back, and the written form reads again.
#![no_main]

use ijgate::formats::bpij::Bpij;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = Bpij::parse(data) {
        let xml = b.to_xml();
        let _ = b.summaries();
        let again = Bpij::parse(&xml);
        assert!(again.is_ok(), "written BPIJ does not read again: {again:?}");
    }
});
