//! Where a W-directory check's time goes, at 100 and at 100,000 users: the parts of
//! `Authorizer::check` timed apart, over the same 65,536 requests for random users.
//!
//! ```sh
//! cargo run --release -p ram-benches --bin breakdown
//! ```
//!
//! - `user set lookup`: `Snapshot::user_set` (the snapshot's user map);
//! - `access key lookup`: `Directory::access_key` (the directory's key index and user map,
//!   which the authorizer no longer uses for active keys);
//! - `decide, each user's set`: `PolicySet::decide` on the set of each request's user, found
//!   beforehand: the decision alone, with the user's own memory cold as in a real check;
//! - `decide, one set`: the same requests all on the first user's set (cheaper mostly because
//!   most requests then aim at statements that set does not hold, which the resource filter
//!   rejects at once: not a warm-against-cold comparison);
//! - `touch each set`: `PolicySet::statement_count` of each request's user set: reading the
//!   set's list of policies and nothing else, i.e. the price of the cache misses alone;
//! - `check`: `Authorizer::check` (`Caller::user`).
//!
//! Each figure is the mean over one pass of the requests; three passes are printed per size,
//! so that the drift of a shared machine shows.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use ram_benches::directory::{DirectoryRequests, WDirectory};
use ram_core::PolicySet;
use ram_core::authorizer::Authorizer;

const REQUESTS: usize = 65_536;

/// Mean nanoseconds of `f(i)` over the requests.
fn mean(mut f: impl FnMut(usize)) -> f64 {
    let start = Instant::now();
    for i in 0..REQUESTS {
        f(i);
    }
    start.elapsed().as_nanos() as f64 / REQUESTS as f64
}

fn main() {
    println!(
        "| users | user set lookup | access key lookup | decide, each user's set | decide, one set | \
         touch each set | check |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for users in [100, 100_000] {
        let w = WDirectory::new(users);
        let auth = Authorizer::new(w.directory.clone());
        let reqs = DirectoryRequests::new(&w, REQUESTS, 1);
        drop(w);
        let snap = auth.snapshot();
        let sets: Vec<Arc<PolicySet>> = (0..reqs.len())
            .map(|i| snap.user_set(reqs.user(i)).expect("a workload user").clone())
            .collect();
        for _ in 0..3 {
            let lookup = mean(|i| {
                black_box(snap.user_set(black_box(reqs.user(i))));
            });
            let key = mean(|i| {
                black_box(snap.directory().access_key(black_box(reqs.access_key_id(i))));
            });
            let decide = mean(|i| {
                let (_, req) = reqs.get(i);
                black_box(sets[i].decide(black_box(&req)));
            });
            let one = mean(|i| {
                let (_, req) = reqs.get(i);
                black_box(sets[0].decide(black_box(&req)));
            });
            let touch = mean(|i| {
                black_box(sets[i].statement_count());
            });
            let check = mean(|i| {
                let (caller, req) = reqs.get(i);
                black_box(auth.check(black_box(&caller), black_box(&req)).is_ok());
            });
            println!(
                "| {users} | {lookup:.0} ns | {key:.0} ns | {decide:.0} ns | {one:.0} ns | {touch:.0} ns | {check:.0} ns |"
            );
        }
    }
}
