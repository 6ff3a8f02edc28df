//! Arbitrary bytes through the policy parser with every grammar and size limit.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../harness.rs"]
mod harness;

fuzz_target!(|data: &[u8]| harness::parse_policy(data));
