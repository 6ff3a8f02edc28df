//! Replays the committed fuzz corpora (`fuzz/corpus/<target>/`) and regression inputs
//! (`fuzz/artifacts/<target>/`) through the same per-input logic the libFuzzer targets run
//! (`fuzz/harness.rs`), so every input the fuzzers found interesting stays checked in a
//! plain `cargo test`, without libFuzzer.

use std::fs;
use std::path::{Path, PathBuf};

#[path = "../../fuzz/harness.rs"]
mod harness;

fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut files = Vec::new();
    for dir in ["corpus", "artifacts"] {
        let Ok(entries) = fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable directory entry").path();
            if path.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn replay(target: &str, run: fn(&[u8])) {
    let files = inputs(target);
    assert!(
        files.len() >= 5,
        "expected the committed corpus of {target}, found {} files",
        files.len()
    );
    for path in files {
        let data = fs::read(&path).expect("a readable corpus file");
        // A panic names the input that caused it.
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target} panicked on {}", path.display());
    }
}

#[test]
fn parse_policy_corpus() {
    replay("parse_policy", harness::parse_policy);
}

#[test]
fn evaluate_corpus() {
    replay("evaluate", harness::evaluate);
}
