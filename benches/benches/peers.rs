//! W-policies in Cedar and casbin (and `ram` with F1 filler), next to `ram`'s own figures in
//! `policies.rs` (F2).
//!
//! `cargo bench -p ram-benches --bench peers`
//!
//! Groups `w_policies_{cedar,casbin}_{f1,f2}` and `w_policies_ram_f1` hold one benchmark per
//! request type and statement count (`allow/1000`, …), each iteration one decision on a request
//! built beforehand; `request_construction` holds the construction of a request from its
//! strings for each engine (`cedar/allow`, …), which does not depend on the policies. Every
//! engine is checked to reach the expected decision before it is timed
//! (`ram_benches::peers::Engines::verify`). There is no decision cache; the allow and
//! implicit-deny requests cycle through 1,024 resources.
//!
//! For F1, `ram` evaluates alice's set, R1–R10 only: the F1 filler belongs to other users (see
//! `ram_benches::workload`). For F2, `ram`'s figures are `policies.rs`'s `w_policies_f2`.
//!
//! A Cedar or casbin decision at 10,000 statements takes milliseconds, so these benchmarks use
//! flat sampling and fewer samples than criterion's defaults.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use ram_benches::SIZES;
use ram_benches::peers::{Casbin, Cedar, Engines, sample_indices};
use ram_benches::workload::{Filler, Kind, Requests, ram_context};
use ram_core::{Decision, Request};

fn requests() -> Vec<Requests> {
    Kind::ALL.into_iter().map(Requests::new).collect()
}

fn decisions(c: &mut Criterion) {
    let requests = requests();
    let context = ram_context();
    for filler in Filler::ALL {
        let f = filler.name().to_lowercase();
        for total in SIZES {
            let engines = Engines::new(filler, total);
            for req in &requests {
                engines
                    .verify(req, Some(&sample_indices()))
                    .unwrap_or_else(|e| panic!("wrong decision: {e}"));
            }
            for req in &requests {
                let mask = req.mask();
                let id = BenchmarkId::new(req.kind.name(), total);

                let cedar_reqs: Vec<_> = req
                    .resources
                    .iter()
                    .map(|r| engines.cedar.request(req.action, r))
                    .collect();
                let mut group = c.benchmark_group(format!("w_policies_cedar_{f}"));
                group.sampling_mode(SamplingMode::Flat);
                group.bench_function(id.clone(), |b| {
                    let mut i = 0usize;
                    b.iter(|| {
                        let r = &cedar_reqs[i & mask];
                        i = i.wrapping_add(1);
                        engines.cedar.allowed(black_box(r))
                    })
                });
                group.finish();

                let casbin_reqs: Vec<_> = req.resources.iter().map(|r| Casbin::request(req.action, r)).collect();
                let mut group = c.benchmark_group(format!("w_policies_casbin_{f}"));
                group.sampling_mode(SamplingMode::Flat);
                group.bench_function(id.clone(), |b| {
                    let mut i = 0usize;
                    b.iter(|| {
                        let r = &casbin_reqs[i & mask];
                        i = i.wrapping_add(1);
                        engines.casbin.allowed(black_box(r))
                    })
                });
                group.finish();

                if filler == Filler::F1 {
                    let ram_reqs = req.ram(&context);
                    let mut group = c.benchmark_group("w_policies_ram_f1");
                    group.bench_function(id, |b| {
                        let mut i = 0usize;
                        b.iter(|| {
                            let r = &ram_reqs[i & mask];
                            i = i.wrapping_add(1);
                            engines.ram.decide(black_box(r)) == Decision::Allow
                        })
                    });
                    group.finish();
                }
            }
        }
    }
}

fn construction(c: &mut Criterion) {
    let requests = requests();
    let context = ram_context();
    // Building a request does not depend on the policies; any set will do.
    let cedar = Cedar::new(&ram_benches::workload::statements(Filler::F2, 10));
    let mut group = c.benchmark_group("request_construction");
    for req in &requests {
        let mask = req.mask();
        let name = req.kind.name();
        let resource = |i: usize| req.resources[i & mask].as_str();
        group.bench_function(BenchmarkId::new("ram", name), |b| {
            let mut i = 0usize;
            b.iter(|| {
                i = i.wrapping_add(1);
                Request::new(black_box(req.action), black_box(resource(i)), &context)
            })
        });
        group.bench_function(BenchmarkId::new("cedar", name), |b| {
            let mut i = 0usize;
            b.iter(|| {
                i = i.wrapping_add(1);
                cedar.request(black_box(req.action), black_box(resource(i)))
            })
        });
        group.bench_function(BenchmarkId::new("casbin", name), |b| {
            let mut i = 0usize;
            b.iter(|| {
                i = i.wrapping_add(1);
                Casbin::request(black_box(req.action), black_box(resource(i)))
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = construction, decisions
}
criterion_main!(benches);
