//! W-directory: one check through `Authorizer` per iteration, for random users of a directory
//! of 100, 10,000 and 100,000 users (`ram_benches::directory`).
//!
//! `cargo bench -p ram-benches --bench directory`
//!
//! - `w_directory/check/<users>`: `Authorizer::check` for a user the application has
//!   authenticated (`Caller::user`): the snapshot load, the user's set lookup, the decision.
//! - `w_directory/check_with_key/<users>`: the same signed with the user's access key
//!   (`Caller::user_with_key`): also the key's lookup, owner and status.
//! - `w_directory/explain/<users>`: `Authorizer::explain`.
//!
//! Every iteration takes the next of 65,536 requests built beforehand (the same count at every
//! size, so the 100-user directory is not favoured by a shorter cycle), each for a random user;
//! there is no decision cache. Criterion gives the median; the p99 comes from
//! `cargo run --release -p ram-benches --bin threads` (per-call timing), see RESULTS.md.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ram_benches::directory::{DirectoryRequests, USER_COUNTS, WDirectory};
use ram_core::authorizer::Authorizer;

/// Requests cycled through at every size.
const REQUESTS: usize = 65_536;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("w_directory");
    for users in USER_COUNTS {
        let w = WDirectory::new(users);
        let auth = Authorizer::new(w.directory.clone());
        let reqs = DirectoryRequests::new(&w, REQUESTS, 1);
        drop(w);
        let (allow, explicit, implicit) = reqs.mix(&auth);
        eprintln!("{users} users: {allow} allow, {explicit} explicit deny, {implicit} implicit deny");

        group.bench_function(BenchmarkId::new("check", users), |b| {
            let mut i = 0usize;
            b.iter(|| {
                let (caller, req) = reqs.get(i);
                i = i.wrapping_add(1);
                auth.check(black_box(&caller), black_box(&req))
            })
        });
        group.bench_function(BenchmarkId::new("check_with_key", users), |b| {
            let mut i = 0usize;
            b.iter(|| {
                let (caller, req) = reqs.get_with_key(i);
                i = i.wrapping_add(1);
                auth.check(black_box(&caller), black_box(&req))
            })
        });
        group.bench_function(BenchmarkId::new("explain", users), |b| {
            let mut i = 0usize;
            b.iter(|| {
                let (caller, req) = reqs.get(i);
                i = i.wrapping_add(1);
                auth.explain(black_box(&caller), black_box(&req))
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    // A shared 2-core machine: longer than the defaults so that the medians settle.
    Criterion::default()
        .sample_size(100)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench
}
criterion_main!(benches);
