//! Feeds arbitrary bytes to the NEODeS reader: it must never panic, whatever the input.
#![no_main]

use ijgate::neodes::reader::{Event, Reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    while let Some(ev) = r.next_event() {
        if let Event::Item(i) = ev {
            let _ = i.value();
        }
    }
});
