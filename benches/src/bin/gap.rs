//! Where W-directory's cost at 100,000 users comes from: the caller's table slot, or the rest
//! of a check's memory, colder next to a large table.
//!
//! ```sh
//! cargo run --release -p ram-benches --bin gap -- [--rounds N]
//! ```
//!
//! The first 100 users of the 100,000-user directory are generated exactly as the 100-user
//! directory (same users, groups, policies and requests). So the same 65,536 requests can be
//! checked three ways, in alternating rounds of one pass each:
//!
//! - `100`: the 100-user directory;
//! - `100k warm`: the 100,000-user directory, for those first 100 users only, whose slots stay
//!   warm: the difference from `100` is what the large directory costs beyond the callers'
//!   slots (the policies, control bytes and page tables, colder beside a large table);
//! - `100k`: the 100,000-user directory with its own requests, for random users: the
//!   difference from `100k warm` is what the callers' slots cost.
//!
//! Explanations are measured on `100` and `100k` too. Prints the median of each column over
//! the rounds (ns per call, the timer outside the pass) and the ratio of `100k` to `100`.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use ram_benches::directory::{DirectoryRequests, WDirectory};
use ram_core::Decision;
use ram_core::authorizer::Authorizer;

const USAGE: &str = "usage: gap [--rounds N]

Splits W-directory's cost at 100,000 users into the callers' slots and the rest (see the
source's documentation); N rounds (default 15) of one pass per column.";

const REQUESTS: usize = 65_536;

/// Mean ns per check over one pass.
fn checks(auth: &Authorizer, reqs: &DirectoryRequests) -> f64 {
    let start = Instant::now();
    let mut allowed = 0usize;
    for i in 0..reqs.len() {
        let (caller, req) = reqs.get(i);
        allowed += usize::from(auth.check(black_box(&caller), black_box(&req)) == Ok(Decision::Allow));
    }
    black_box(allowed);
    start.elapsed().as_nanos() as f64 / reqs.len() as f64
}

/// Mean ns per explanation over one pass.
fn explanations(auth: &Authorizer, reqs: &DirectoryRequests) -> f64 {
    let start = Instant::now();
    let mut matched = 0usize;
    for i in 0..reqs.len() {
        let (caller, req) = reqs.get(i);
        matched += auth
            .explain(black_box(&caller), black_box(&req))
            .map_or(0, |e| e.matched.len());
    }
    black_box(matched);
    start.elapsed().as_nanos() as f64 / reqs.len() as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> ExitCode {
    let mut rounds = 15;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => match args.next().and_then(|v| v.parse::<usize>().ok()) {
                Some(n) if n > 0 => rounds = n,
                _ => {
                    eprintln!("gap: --rounds takes a whole number above 0\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--bench" => {}
            other => {
                eprintln!("gap: unknown argument {other:?}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let small = WDirectory::new(100);
    let small_auth = Authorizer::new(small.directory.clone());
    let small_reqs = DirectoryRequests::new(&small, REQUESTS, 1);
    let large = WDirectory::new(100_000);
    let large_auth = Authorizer::new(large.directory.clone());
    let large_reqs = DirectoryRequests::new(&large, REQUESTS, 1);
    drop(large);
    // The premise: the first 100 users decide alike in both directories.
    for i in 0..small_reqs.len() {
        let (caller, req) = small_reqs.get(i);
        assert_eq!(
            small_auth.explain(&caller, &req),
            large_auth.explain(&caller, &req),
            "request {i} is decided differently by the two directories"
        );
    }
    let columns = ["100", "100k warm", "100k", "explain 100", "explain 100k"];
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); columns.len()];
    for round in 0..rounds {
        eprint!("\rround {}/{rounds}", round + 1);
        samples[0].push(checks(&small_auth, &small_reqs));
        samples[1].push(checks(&large_auth, &small_reqs));
        samples[2].push(checks(&large_auth, &large_reqs));
        samples[3].push(explanations(&small_auth, &small_reqs));
        samples[4].push(explanations(&large_auth, &large_reqs));
    }
    eprintln!();
    let medians: Vec<f64> = samples.into_iter().map(median).collect();
    println!("| {} | check 100k / 100 | explain 100k / 100 |", columns.join(" | "));
    println!("|{}", " ---: |".repeat(columns.len() + 2));
    let cells: Vec<String> = medians.iter().map(|m| format!("{m:.1} ns")).collect();
    println!(
        "| {} | {:.2}x | {:.2}x |",
        cells.join(" | "),
        medians[2] / medians[0],
        medians[4] / medians[3]
    );
    ExitCode::SUCCESS
}
