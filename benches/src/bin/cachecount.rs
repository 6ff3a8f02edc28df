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

use ram_benches::directory::{DirectoryRequests, WDirectory};
use ram_core::Decision;
use ram_core::authorizer::Authorizer;

const USAGE: &str = "usage: cachecount [--users N] [--explain] [--requests N]

Runs W-directory's checks (or explanations, with --explain) of N requests (default 65,536) on
a directory of --users users (default 100) in the function `measured_checks`, for callgrind's
--toggle-collect; prints the number of calls to stderr.";

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
    let (mut users, mut requests, mut explain) = (100, 65_536, false);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| match args.next().map(|v| v.replace(',', "").parse::<usize>()) {
            Some(Ok(n)) if n > 0 => Ok(n),
            _ => Err(format!("cachecount: {name} takes a whole number above 0")),
        };
        let parsed = match arg.as_str() {
            "--users" => number("--users").map(|n| users = n),
            "--requests" => number("--requests").map(|n| requests = n),
            "--explain" => {
                explain = true;
                Ok(())
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => Err(format!("cachecount: unknown argument {other:?}")),
        };
        if let Err(message) = parsed {
            eprintln!("{message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    }
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
