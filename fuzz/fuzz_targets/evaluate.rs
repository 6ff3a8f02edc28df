//! Arbitrary (policies, request) pairs through compilation, `decide` and `explain`.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::evaluate(data));
