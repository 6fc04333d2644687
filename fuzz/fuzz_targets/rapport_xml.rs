//! Feeds arbitrary bytes to the net-entreprises return readers (`rapport` XML, deposit
//! answers): they must never panic, and an accepted rapport gives an outcome.
#![no_main]

use ijgate::formats::rapport::{DepositAnswer, Rapport};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = Rapport::parse(data) {
        let _ = r.outcome(None);
    }
    let _ = DepositAnswer::parse(data);
});
