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
//!
//! A second table times the user lookup alone (`Snapshot::authenticate`, no decision) in
//! both directories, for random users, two ways: with the names read from the requests
//! (about 7 MB, read front to back once per pass, as the checks above read them), and with
//! the names written into one reused buffer from a random number. The difference is what the
//! benchmark's own request stream costs the lookup, by pushing the table out of the shared
//! cache; a server that parses each request into reused buffers does not pay it. Each column
//! also times how it comes by the names (slicing a request, or writing digits), which differ;
//! the 100-user row, whose table stays warm either way, shows what that difference costs.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use ram_benches::args;
use ram_benches::directory::{DirectoryRequests, Rng, WDirectory, user_name};
use ram_core::Decision;
use ram_core::authorizer::{Authorizer, Caller};

/// Splits W-directory's cost at 100,000 users into the callers' slots and the rest (see the
/// source's documentation), and times the user lookup alone.
#[derive(Parser)]
#[command(name = "gap")]
struct Args {
    /// Rounds of one pass per column.
    #[arg(long, default_value = "15", value_parser = args::count)]
    rounds: usize,
    /// Passed by `cargo bench` to every target; nothing to do for it.
    #[arg(long, hide = true)]
    bench: bool,
}

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

/// Mean ns per user lookup over the requests' callers.
fn lookups(auth: &Authorizer, reqs: &DirectoryRequests) -> f64 {
    let snap = auth.snapshot();
    let start = Instant::now();
    let mut found = 0usize;
    for i in 0..reqs.len() {
        let (caller, _) = reqs.get(i);
        found += usize::from(snap.authenticate(black_box(&caller)).is_ok());
    }
    assert_eq!(found, reqs.len(), "every request's caller is a user");
    start.elapsed().as_nanos() as f64 / reqs.len() as f64
}

/// Mean ns per user lookup of `REQUESTS` random users among `users`, their names written
/// into one buffer (as [`user_name`] spells them).
fn generated_lookups(auth: &Authorizer, users: usize) -> f64 {
    let snap = auth.snapshot();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut name = *b"user000000";
    let start = Instant::now();
    let mut found = 0usize;
    for _ in 0..REQUESTS {
        let mut i = rng.range(0, users - 1);
        for digit in name[4..].iter_mut().rev() {
            *digit = b'0' + (i % 10) as u8;
            i /= 10;
        }
        let name = std::str::from_utf8(&name).expect("ASCII digits");
        found += usize::from(snap.authenticate(black_box(&Caller::user(name))).is_ok());
    }
    assert_eq!(found, REQUESTS, "every generated name is a user");
    start.elapsed().as_nanos() as f64 / REQUESTS as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> ExitCode {
    let Args { rounds, .. } = Args::parse();
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
    // `generated_lookups` spells names as the directory does.
    assert_eq!(user_name(42), "user000042");
    let columns = ["100", "100k warm", "100k", "explain 100", "explain 100k"];
    let lookup_columns = ["100, requests", "100, generated", "100k, requests", "100k, generated"];
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); columns.len() + lookup_columns.len()];
    for round in 0..rounds {
        eprint!("\rround {}/{rounds}", round + 1);
        samples[0].push(checks(&small_auth, &small_reqs));
        samples[1].push(checks(&large_auth, &small_reqs));
        samples[2].push(checks(&large_auth, &large_reqs));
        samples[3].push(explanations(&small_auth, &small_reqs));
        samples[4].push(explanations(&large_auth, &large_reqs));
        samples[5].push(lookups(&small_auth, &small_reqs));
        samples[6].push(generated_lookups(&small_auth, 100));
        samples[7].push(lookups(&large_auth, &large_reqs));
        samples[8].push(generated_lookups(&large_auth, 100_000));
    }
    eprintln!();
    let mut medians: Vec<f64> = samples.into_iter().map(median).collect();
    let lookup = medians.split_off(columns.len());
    println!("| {} | check 100k / 100 | explain 100k / 100 |", columns.join(" | "));
    println!("|{}", " ---: |".repeat(columns.len() + 2));
    let cells: Vec<String> = medians.iter().map(|m| format!("{m:.1} ns")).collect();
    println!(
        "| {} | {:.2}x | {:.2}x |",
        cells.join(" | "),
        medians[2] / medians[0],
        medians[4] / medians[3]
    );
    println!();
    println!("| user lookup alone | names from the requests | names generated |");
    println!("| ---: | ---: | ---: |");
    println!("| 100 users | {:.1} ns | {:.1} ns |", lookup[0], lookup[1]);
    println!("| 100,000 users | {:.1} ns | {:.1} ns |", lookup[2], lookup[3]);
    ExitCode::SUCCESS
}
