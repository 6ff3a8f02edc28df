//! One decision per iteration on the W-policies workload (F2 filler) as the set alice sees.
//!
//! `cargo bench -p ram-benches --bench policies`
//!
//! Every iteration calls `PolicySet::decide` once; there is no decision cache. The allow and
//! implicit-deny requests cycle through 1,024 resources built beforehand, so building a
//! request is not measured. One more benchmark measures `explain` of the allow request.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ram_benches::{RESOURCES, SIZES, WPolicies, w_policies_f2};
use ram_core::{Decision, PolicySet, Request};

fn cycle(
    c: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    size: usize,
    set: &PolicySet,
    reqs: &[Request<'_>],
    expected: Decision,
) {
    assert_eq!(reqs.len(), RESOURCES);
    assert!(reqs.iter().all(|r| set.decide(r) == expected));
    c.bench_function(BenchmarkId::new(name, size), |b| {
        let mut i = 0usize;
        b.iter(|| {
            let req = &reqs[i % RESOURCES];
            i = i.wrapping_add(1);
            set.decide(black_box(req))
        })
    });
}

fn decide(c: &mut Criterion) {
    let w = WPolicies::new();
    let allow = w.allow();
    let implicit = w.implicit_deny();
    let explicit = w.explicit_deny();
    let mut group = c.benchmark_group("w_policies_f2");
    for size in SIZES {
        let set = w_policies_f2(size);
        assert_eq!(set.statement_count(), size);
        cycle(&mut group, "allow", size, &set, &allow, Decision::Allow);
        assert_eq!(set.decide(&explicit), Decision::ExplicitDeny);
        group.bench_function(BenchmarkId::new("explicit_deny", size), |b| {
            b.iter(|| set.decide(black_box(&explicit)))
        });
        cycle(
            &mut group,
            "implicit_deny",
            size,
            &set,
            &implicit,
            Decision::ImplicitDeny,
        );
    }
    group.finish();
}

fn explain(c: &mut Criterion) {
    let w = WPolicies::new();
    let allow = w.allow();
    let set = w_policies_f2(1_000);
    let mut group = c.benchmark_group("w_policies_f2_explain");
    group.bench_function(BenchmarkId::new("allow", 1_000), |b| {
        let mut i = 0usize;
        b.iter(|| {
            let req = &allow[i % RESOURCES];
            i = i.wrapping_add(1);
            set.explain(black_box(req))
        })
    });
    group.finish();
}

fn config() -> Criterion {
    // A busy 2-core machine: more samples and a longer measurement than the defaults, so the
    // medians are stable.
    Criterion::default()
        .sample_size(200)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8))
        .noise_threshold(0.03)
}

criterion_group! {
    name = benches;
    config = config();
    targets = decide, explain
}
criterion_main!(benches);
