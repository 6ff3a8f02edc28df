//! W-directory's checks inside one function that callgrind can measure alone, so that a
//! change's instructions and simulated cache misses per check can be compared without the
//! noise of wall-clock timing on a shared VM (in stop 14, single criterion runs at 100,000
//! users swung by ±20%; callgrind's counts are the same from run to run).
//!
//! ```sh
//! cargo build --release -p ram-benches --bin cachecount
//! valgrind --tool=callgrind --cache-sim=yes --toggle-collect='*measured_checks*' \
//!     target/release/cachecount [--users N] [--explain]
//! ```
//!
//! Divide callgrind's `I refs` and `D1 misses` by the number of checks this prints. One pass
//! over the requests runs first outside the measured function, so the caches and the
//! allocator are as a benchmark finds them. A 100-user directory takes about 15 s under
//! callgrind, a 100,000-user one about 4 minutes (most of it building the directory).

use std::hint::black_box;
use std::process::ExitCode;

use clap::Parser;

use ram_benches::args;
use ram_benches::directory::{DirectoryRequests, WDirectory};
use ram_core::Decision;
use ram_core::authorizer::Authorizer;

/// Runs W-directory's checks (or explanations) on a directory in the function
/// `measured_checks`, for callgrind's `--toggle-collect`; prints the number of calls to stderr.
#[derive(Parser)]
#[command(name = "cachecount")]
struct Args {
    /// Users in the directory.
    #[arg(long, default_value = "100", value_parser = args::count)]
    users: usize,
    /// Requests checked (commas allowed: 65,536).
    #[arg(long, default_value = "65536", value_parser = args::count)]
    requests: usize,
    /// Explain instead of check.
    #[arg(long)]
    explain: bool,
}

/// The calls that callgrind counts: `--toggle-collect='*measured_checks*'`.
#[inline(never)]
fn measured_checks(auth: &Authorizer, reqs: &DirectoryRequests, explain: bool) -> usize {
    run(auth, reqs, explain, 0..reqs.len())
}

/// The same calls outside the measured function, to warm the caches: in reverse order, so
/// that the compiler cannot fold the two functions into one (it did, and callgrind then
/// counted both passes).
#[inline(never)]
fn warm_up(auth: &Authorizer, reqs: &DirectoryRequests, explain: bool) -> usize {
    run(auth, reqs, explain, (0..reqs.len()).rev())
}

#[inline(always)]
fn run(auth: &Authorizer, reqs: &DirectoryRequests, explain: bool, order: impl Iterator<Item = usize>) -> usize {
    let mut allowed = 0;
    for i in order {
        let (caller, req) = reqs.get(i);
        let decision = if explain {
            auth.explain(black_box(&caller), black_box(&req)).map(|e| e.decision)
        } else {
            auth.check(black_box(&caller), black_box(&req))
        };
        allowed += usize::from(decision == Ok(Decision::Allow));
    }
    allowed
}

fn main() -> ExitCode {
    let Args {
        users,
        requests,
        explain,
    } = Args::parse();
    let w = WDirectory::new(users);
    let auth = Authorizer::new(w.directory.clone());
    let reqs = DirectoryRequests::new(&w, requests, 1);
    let warm = warm_up(&auth, &reqs, explain);
    let measured = measured_checks(&auth, &reqs, explain);
    assert_eq!(warm, measured, "the decisions changed between the two passes");
    eprintln!(
        "{} {} measured ({users} users, {measured} allowed)",
        reqs.len(),
        if explain { "explanations" } else { "checks" }
    );
    ExitCode::SUCCESS
}
