//! W-directory: the median and tail latency of `Authorizer::check` as the directory grows.
//!
//! ```sh
//! cargo run --release -p ram-benches --bin latency -- [--quick] [--json]
//! ```
//!
//! Builds the W-directory (`ram_benches::directory`) with 100, 10,000 and 100,000 users
//! (`--quick`: 100 and 100,000), 65,536 requests for random users each, and measures two
//! callers: `check` (a user the application authenticated, `Caller::user`) and `check_with_key`
//! (signed with the user's access key). Each measurement is made two ways:
//!
//! - batch: 65,536 checks timed with one `Instant`, the sample being their mean; the figure
//!   is the median of the rounds' samples (what criterion's `--bench directory` measures);
//! - per call: every check timed on its own with two `Instant::now()` into a 1 ns histogram,
//!   giving p50, p90, p99, p99.9 and max. The timer's own cost, measured first, is included in
//!   every value (not subtracted) and printed.
//!
//! Rounds interleave the sizes and callers so drift (other processes) affects all alike.
//! Progress goes to stderr; stdout holds a Markdown table, or with `--json` only
//! `{"timer_ns":..,"workloads":[{"name":"w_directory","users":..,"caller":..,"batch_ns":..,
//! "p50_ns":..,"p90_ns":..,"p99_ns":..,"p999_ns":..,"max_ns":..,"allow":..,
//! "explicit_deny":..,"implicit_deny":..}]}`.

use std::fmt::Write as _;
use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

use ram_benches::args;
use ram_benches::directory::{DirectoryRequests, USER_COUNTS, WDirectory};
use ram_benches::latency::{Histogram, time, timer_overhead};
use ram_core::authorizer::{Authorizer, Caller};
use ram_core::{Decision, Request};

/// Median and p99 of `Authorizer::check` on W-directory (100, 10,000, 100,000 users).
#[derive(Parser)]
#[command(name = "latency")]
struct Args {
    /// 100 and 100,000 users, fewer rounds.
    #[arg(long)]
    quick: bool,
    #[command(flatten)]
    output: args::Output,
}

/// Requests per directory, and calls per measurement.
const REQUESTS: usize = 65_536;

struct Size {
    users: usize,
    auth: Authorizer,
    reqs: DirectoryRequests,
    mix: (usize, usize, usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Check,
    CheckWithKey,
}

impl Kind {
    const ALL: [Kind; 2] = [Kind::Check, Kind::CheckWithKey];

    fn name(self) -> &'static str {
        match self {
            Kind::Check => "check",
            Kind::CheckWithKey => "check_with_key",
        }
    }
}

impl Size {
    #[inline]
    fn get(&self, kind: Kind, i: usize) -> (Caller<'_>, Request<'_>) {
        match kind {
            Kind::Check => self.reqs.get(i),
            Kind::CheckWithKey => self.reqs.get_with_key(i),
        }
    }

    /// Mean nanoseconds per check over one pass of the requests; counts allows as a check.
    fn batch(&self, kind: Kind) -> f64 {
        let start = Instant::now();
        let mut allows = 0usize;
        for i in 0..REQUESTS {
            let (caller, req) = self.get(kind, i);
            if black_box(self.auth.check(black_box(&caller), black_box(&req))) == Ok(Decision::Allow) {
                allows += 1;
            }
        }
        let ns = start.elapsed().as_nanos() as f64 / REQUESTS as f64;
        assert_eq!(allows, self.mix.0, "decisions changed while timing");
        ns
    }

    /// Every check of one pass timed on its own.
    fn per_call(&self, kind: Kind, h: &mut Histogram) {
        for i in 0..REQUESTS {
            let (caller, req) = self.get(kind, i);
            let (ns, d) = time(|| self.auth.check(black_box(&caller), black_box(&req)));
            assert!(d.is_ok());
            h.record(ns);
        }
    }
}

struct Row {
    users: usize,
    kind: Kind,
    batch: f64,
    hist: Histogram,
    mix: (usize, usize, usize),
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> ExitCode {
    let Args { quick, output } = Args::parse();
    let as_json = output.json;
    let counts: &[usize] = if quick { &[100, 100_000] } else { &USER_COUNTS };
    let rounds = if quick { 7 } else { 31 };

    let sizes: Vec<Size> = counts
        .iter()
        .map(|&users| {
            let started = Instant::now();
            let w = WDirectory::new(users);
            let auth = Authorizer::new(w.directory.clone());
            let reqs = DirectoryRequests::new(&w, REQUESTS, 1);
            let mix = reqs.mix(&auth);
            eprintln!(
                "{users} users: built in {:.1} s; {} allow, {} explicit deny, {} implicit deny",
                started.elapsed().as_secs_f64(),
                mix.0,
                mix.1,
                mix.2
            );
            Size { users, auth, reqs, mix }
        })
        .collect();

    let timer = timer_overhead();
    eprintln!("timer overhead (median of an empty timed call): {timer} ns");

    let mut batches: Vec<Vec<Vec<f64>>> = sizes.iter().map(|_| vec![Vec::new(); 2]).collect();
    let mut hists: Vec<Vec<Histogram>> = sizes.iter().map(|_| vec![Histogram::new(); 2]).collect();
    // Warm-up: one pass of each.
    for s in &sizes {
        for kind in Kind::ALL {
            s.batch(kind);
        }
    }
    for round in 0..rounds {
        for (si, s) in sizes.iter().enumerate() {
            for (ki, kind) in Kind::ALL.into_iter().enumerate() {
                batches[si][ki].push(s.batch(kind));
                s.per_call(kind, &mut hists[si][ki]);
            }
        }
        eprint!("\rround {}/{rounds}", round + 1);
    }
    eprintln!();

    let mut rows = Vec::new();
    for (si, s) in sizes.iter().enumerate() {
        for (ki, kind) in Kind::ALL.into_iter().enumerate() {
            rows.push(Row {
                users: s.users,
                kind,
                batch: median(&mut batches[si][ki]),
                hist: hists[si][ki].clone(),
                mix: s.mix,
            });
        }
    }

    if as_json {
        let items: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{{\"name\":\"w_directory\",\"users\":{},\"caller\":\"{}\",\"batch_ns\":{:.1},\"p50_ns\":{},\
                     \"p90_ns\":{},\"p99_ns\":{},\"p999_ns\":{},\"max_ns\":{},\"allow\":{},\"explicit_deny\":{},\
                     \"implicit_deny\":{}}}",
                    r.users,
                    r.kind.name(),
                    r.batch,
                    r.hist.percentile(0.5),
                    r.hist.percentile(0.9),
                    r.hist.percentile(0.99),
                    r.hist.percentile(0.999),
                    r.hist.max(),
                    r.mix.0,
                    r.mix.1,
                    r.mix.2
                )
            })
            .collect();
        println!("{{\"timer_ns\":{timer},\"workloads\":[{}]}}", items.join(","));
        return ExitCode::SUCCESS;
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "W-directory, {rounds} rounds of {REQUESTS} checks per measurement; per-call values include \
         the timer ({timer} ns).\n"
    );
    let _ = writeln!(
        out,
        "| users | caller | batch median | p50 | p90 | p99 | p99.9 | max | checks timed |"
    );
    let _ = writeln!(out, "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in &rows {
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} ns | {} ns | {} ns | {} ns | {} ns | {} ns | {} |",
            r.users,
            r.kind.name(),
            r.batch,
            r.hist.percentile(0.5),
            r.hist.percentile(0.9),
            r.hist.percentile(0.99),
            r.hist.percentile(0.999),
            r.hist.max(),
            r.hist.count()
        );
    }
    let smallest = counts[0];
    let largest = counts[counts.len() - 1];
    for kind in Kind::ALL {
        let find = |users| rows.iter().find(|r| r.users == users && r.kind == kind).expect("a row");
        let (a, b) = (find(smallest), find(largest));
        let ratio = b.batch / a.batch;
        let p99 = b.hist.percentile(0.99).max(a.hist.percentile(0.99));
        let _ = writeln!(
            out,
            "\n{}: {largest} users / {smallest} users = {ratio:.2}x (batch medians; target 1.5x: {}); \
             p50 ratio {:.2}x; worst p99 {p99} ns (target < 1000 ns: {}).",
            kind.name(),
            if ratio <= 1.5 { "met" } else { "NOT met" },
            b.hist.percentile(0.5) as f64 / a.hist.percentile(0.5) as f64,
            if p99 < 1_000 { "met" } else { "NOT met" },
        );
    }
    print!("{out}");
    ExitCode::SUCCESS
}
