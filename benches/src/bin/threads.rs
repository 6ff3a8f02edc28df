//! W-threads: read scaling of `Authorizer::check` from 1 and 2 threads, and its tail latency
//! while a writer publishes a one-user change every 10 ms.
//!
//! ```sh
//! cargo run --release -p ram-benches --bin threads -- [--quick] [--json] [--users N] [--seconds S]
//! ```
//!
//! One `Authorizer` over the W-directory (`ram_benches::directory`, 100,000 users by default)
//! and 65,536 requests for random users, shared by every thread; each reader starts at its own
//! offset in the requests. No decision cache.
//!
//! - Scaling: rounds alternate a run of 1 reader and a run of 2 readers (which goes first
//!   alternates too), each `S` seconds (default 1, `--quick` 0.5); a run counts the checks
//!   all its readers made, untimed one by one (the clock is read every 1,024 checks). The
//!   figure is the median over the rounds of decisions per second, and the ratio is 2 readers'
//!   median over 1 reader's.
//! - Reloads: rounds alternate a run without writer and a run with a writer thread that
//!   applies and publishes a one-user change (attach or detach a system policy, alternately,
//!   for a user spread over the directory: `Authorizer::apply`, nothing persisted) every 10 ms,
//!   each with 1 reader and then with 2 readers. Readers time every check on its own (two
//!   `Instant::now()`, the timer's cost included and reported); the histograms of all rounds
//!   of one kind are merged, and the figure is their p99 (and p50, p99.9, max).
//!
//! The machine has 2 cores: with 2 readers and the writer, the writer takes a core from a
//! reader while it rebuilds (tens of µs every 10 ms), which shows in the max, not in the p99.
//! Progress goes to stderr; stdout holds Markdown, or with `--json` only JSON.

use std::fmt::Write as _;
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;

use ram_benches::args;
use ram_benches::directory::{DirectoryRequests, WDirectory, one_user_change};
use ram_benches::latency::{Histogram, time, timer_overhead};
use ram_core::authorizer::Authorizer;

/// W-threads: decisions/s of `Authorizer::check` from 1 and 2 threads, and p99 with and
/// without a one-user change published every 10 ms.
#[derive(Parser)]
#[command(name = "threads")]
struct Args {
    /// Fewer and shorter rounds.
    #[arg(long)]
    quick: bool,
    /// Directory size (at least 10).
    #[arg(long, default_value = "100000", value_parser = users)]
    users: usize,
    /// Length of one run [default: 1; with --quick 0.5].
    #[arg(long, value_parser = args::seconds)]
    seconds: Option<f64>,
    #[command(flatten)]
    output: args::Output,
}

/// `--users`: the one-user change needs a directory of at least 10 users.
fn users(text: &str) -> Result<usize, String> {
    match args::count(text)? {
        n if n >= 10 => Ok(n),
        _ => Err(format!("{text:?} is fewer than 10 users")),
    }
}

const REQUESTS: usize = 65_536;
const RELOAD_EVERY: Duration = Duration::from_millis(10);

/// Checks made by `readers` threads in `run`: total count.
fn throughput(auth: &Authorizer, reqs: &DirectoryRequests, readers: usize, run: Duration) -> f64 {
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let total: u64 = thread::scope(|s| {
        let handles: Vec<_> = (0..readers)
            .map(|t| {
                let stop = &stop;
                s.spawn(move || {
                    let mut i = t * REQUESTS / 2;
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..1_024 {
                            let (caller, req) = reqs.get(i);
                            i = i.wrapping_add(1);
                            black_box(auth.check(black_box(&caller), black_box(&req)).is_ok());
                        }
                        n += 1_024;
                    }
                    n
                })
            })
            .collect();
        thread::sleep(run);
        stop.store(true, Ordering::Relaxed);
        handles.into_iter().map(|h| h.join().expect("reader")).sum()
    });
    total as f64 / started.elapsed().as_secs_f64()
}

/// Per-check latencies of `readers` threads during `run`, with or without a writer; returns
/// the merged histogram and the publish durations.
fn latencies(
    auth: &Authorizer,
    reqs: &DirectoryRequests,
    users: usize,
    readers: usize,
    reload: bool,
    run: Duration,
    step: &mut usize,
) -> (Histogram, Histogram) {
    let stop = AtomicBool::new(false);
    thread::scope(|s| {
        let handles: Vec<_> = (0..readers)
            .map(|t| {
                let stop = &stop;
                s.spawn(move || {
                    let mut h = Histogram::new();
                    let mut i = t * REQUESTS / 2;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..1_024 {
                            let (caller, req) = reqs.get(i);
                            i = i.wrapping_add(1);
                            let (ns, d) = time(|| auth.check(black_box(&caller), black_box(&req)));
                            black_box(d.is_ok());
                            h.record(ns);
                        }
                    }
                    h
                })
            })
            .collect();
        let mut publishes = Histogram::new();
        let started = Instant::now();
        if reload {
            let mut next = started + RELOAD_EVERY;
            while next < started + run {
                if let Some(wait) = next.checked_duration_since(Instant::now()) {
                    thread::sleep(wait);
                }
                let changes = one_user_change(*step, users);
                *step += 1;
                let (ns, r) = time(|| auth.apply(&changes));
                r.expect("the one-user change applies");
                publishes.record(ns);
                next += RELOAD_EVERY;
            }
        }
        if let Some(rest) = (started + run).checked_duration_since(Instant::now()) {
            thread::sleep(rest);
        }
        stop.store(true, Ordering::Relaxed);
        let mut all = Histogram::new();
        for h in handles {
            all.merge(&h.join().expect("reader"));
        }
        (all, publishes)
    })
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> ExitCode {
    let Args {
        quick,
        users,
        seconds,
        output,
    } = Args::parse();
    let as_json = output.json;
    let run = Duration::from_secs_f64(seconds.unwrap_or(if quick { 0.5 } else { 1.0 }));
    let rounds = if quick { 3 } else { 9 };

    let started = Instant::now();
    let w = WDirectory::new(users);
    let auth = Authorizer::new(w.directory.clone());
    let reqs = DirectoryRequests::new(&w, REQUESTS, 1);
    drop(w);
    eprintln!("{users} users: built in {:.1} s", started.elapsed().as_secs_f64());
    let timer = timer_overhead();
    eprintln!("timer overhead {timer} ns");

    // Scaling.
    throughput(&auth, &reqs, 2, run / 2);
    let mut one = Vec::new();
    let mut two = Vec::new();
    for round in 0..rounds {
        if round % 2 == 0 {
            one.push(throughput(&auth, &reqs, 1, run));
            two.push(throughput(&auth, &reqs, 2, run));
        } else {
            two.push(throughput(&auth, &reqs, 2, run));
            one.push(throughput(&auth, &reqs, 1, run));
        }
        eprintln!(
            "scaling round {}/{rounds}: 1 thread {:.2} M/s, 2 threads {:.2} M/s",
            round + 1,
            one[round] / 1e6,
            two[round] / 1e6
        );
    }
    let (one, two) = (median(&mut one), median(&mut two));
    let scaling = two / one;

    // Reloads.
    let mut step = 0usize;
    let mut results = Vec::new();
    for readers in [1usize, 2] {
        let mut quiet = Histogram::new();
        let mut busy = Histogram::new();
        let mut publishes = Histogram::new();
        for round in 0..rounds {
            let order = if round % 2 == 0 { [false, true] } else { [true, false] };
            for reload in order {
                let (h, p) = latencies(&auth, &reqs, users, readers, reload, run, &mut step);
                if reload {
                    busy.merge(&h);
                    publishes.merge(&p);
                } else {
                    quiet.merge(&h);
                }
            }
            eprintln!(
                "reload round {}/{rounds}, {readers} reader(s): p99 {} ns without, {} ns with reloads",
                round + 1,
                quiet.percentile(0.99),
                busy.percentile(0.99)
            );
        }
        results.push((readers, quiet, busy, publishes));
    }

    if as_json {
        let items: Vec<String> = results
            .iter()
            .map(|(readers, quiet, busy, publishes)| {
                format!(
                    "{{\"readers\":{readers},\"checks_without\":{},\"checks_with\":{},\"p50_without_ns\":{},\
                     \"p50_with_ns\":{},\"p99_without_ns\":{},\"p99_with_ns\":{},\"p999_without_ns\":{},\
                     \"p999_with_ns\":{},\"max_without_ns\":{},\"max_with_ns\":{},\"publishes\":{},\
                     \"publish_p50_ns\":{},\"publish_max_ns\":{}}}",
                    quiet.count(),
                    busy.count(),
                    quiet.percentile(0.5),
                    busy.percentile(0.5),
                    quiet.percentile(0.99),
                    busy.percentile(0.99),
                    quiet.percentile(0.999),
                    busy.percentile(0.999),
                    quiet.max(),
                    busy.max(),
                    publishes.count(),
                    publishes.percentile(0.5),
                    publishes.max()
                )
            })
            .collect();
        println!(
            "{{\"users\":{users},\"timer_ns\":{timer},\"one_thread_per_s\":{one:.0},\"two_threads_per_s\":{two:.0},\
             \"scaling\":{scaling:.3},\"reloads\":[{}]}}",
            items.join(",")
        );
        return ExitCode::SUCCESS;
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "W-threads, {users} users, {rounds} rounds of {:.1} s runs; per-call values include the \
         timer ({timer} ns).\n",
        run.as_secs_f64()
    );
    let _ = writeln!(out, "| readers | decisions/s (median) | per thread |");
    let _ = writeln!(out, "| ---: | ---: | ---: |");
    let _ = writeln!(out, "| 1 | {:.2} M | {:.2} M |", one / 1e6, one / 1e6);
    let _ = writeln!(out, "| 2 | {:.2} M | {:.2} M |", two / 1e6, two / 2e6);
    let _ = writeln!(
        out,
        "\n2 threads / 1 thread = {scaling:.2}x (target 1.8x: {}).\n",
        if scaling >= 1.8 { "met" } else { "NOT met" }
    );
    let _ = writeln!(
        out,
        "| readers | reloads | checks timed | p50 | p99 | p99.9 | max | publishes | publish p50 | publish max |"
    );
    let _ = writeln!(
        out,
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (readers, quiet, busy, publishes) in &results {
        for (label, h, p) in [("no", quiet, None), ("every 10 ms", busy, Some(publishes))] {
            let _ = writeln!(
                out,
                "| {readers} | {label} | {} | {} ns | {} ns | {} ns | {} ns | {} | {} | {} |",
                h.count(),
                h.percentile(0.5),
                h.percentile(0.99),
                h.percentile(0.999),
                h.max(),
                p.map_or("".to_owned(), |p| p.count().to_string()),
                p.map_or("".to_owned(), |p| format!("{:.1} µs", p.percentile(0.5) as f64 / 1e3)),
                p.map_or("".to_owned(), |p| format!("{:.1} µs", p.max() as f64 / 1e3)),
            );
        }
    }
    for (readers, quiet, busy, _) in &results {
        let ratio = busy.percentile(0.99) as f64 / quiet.percentile(0.99) as f64;
        let _ = writeln!(
            out,
            "\n{readers} reader(s): p99 with reloads / without = {ratio:.2}x (target within 2x: {}).",
            if ratio <= 2.0 { "met" } else { "NOT met" }
        );
    }
    print!("{out}");
    ExitCode::SUCCESS
}
