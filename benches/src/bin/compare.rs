//! `ram`, Cedar and casbin side by side on W-policies, in one process.
//!
//! ```sh
//! cargo run --release -p ram-benches --bin compare -- [--quick] [--json]
//! ```
//!
//! For each filler shape (F1, F2), statement count (10, 100, 1,000, 10,000; `--quick`: 10 and
//! 1,000) and request (allow, explicit_deny, implicit_deny), the three engines are built from
//! the same statement list (`ram_benches::workload`, `ram_benches::peers`), checked to reach
//! the expected decision (before timing on a spread of the resources, and during timing on
//! every decision, from the count of allows in each batch), then timed:
//!
//! - six measurements per workload: each engine's decision alone on requests built
//!   beforehand, and each engine's request construction from the strings;
//! - each measurement takes batches of `n` calls timed with one `Instant` each, `n` calibrated
//!   so that a batch lasts about [`Config::batch`] (at least one call); a sample is the mean of
//!   one batch, and the figure is the median of the samples;
//! - the six are interleaved: every round takes one batch of each, starting with a different
//!   one each round, so that drift (other processes, frequency) affects all engines alike;
//! - no decision is cached anywhere; the allow and implicit-deny requests cycle through 1,024
//!   resources, and every input and result goes through `black_box`.
//!
//! Progress goes to stderr. Without `--json`, stdout gets a Markdown table of medians and of
//! the ratios peer/ram; with `--json`, stdout holds only
//! `{"workloads":[{"name":..,"statements":..,"filler":..,"request":..,"ram_ns":..,
//! "cedar_ns":..,"casbin_ns":..,"ram_request_ns":..,"cedar_request_ns":..,
//! "casbin_request_ns":..}]}`.

use std::fmt::Write as _;
use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;

use ram_benches::SIZES;
use ram_benches::args;
use ram_benches::peers::{Casbin, Engines, sample_indices};
use ram_benches::workload::{Filler, Kind, Requests, ram_context, ram_statements};
use ram_core::{Decision, Request};

/// Runs the W-policies workload for ram, Cedar and casbin in one process, interleaved, and
/// prints the medians of a decision and of a request construction, and the ratios peer/ram.
// Scripts depend on `--quick` and `--json` (issue 6).
#[derive(Parser)]
#[command(name = "compare")]
struct Args {
    /// 10 and 1,000 statements only, fewer samples (under a minute).
    #[arg(long)]
    quick: bool,
    #[command(flatten)]
    output: args::Output,
}

/// How much to measure.
#[derive(Clone, Copy, Debug)]
struct Config {
    /// Statement totals.
    sizes: &'static [usize],
    /// Rounds, i.e. samples per measurement (odd, so the median is one sample).
    rounds: usize,
    /// Target duration of one batch.
    batch: Duration,
}

const FULL: Config = Config {
    sizes: &SIZES,
    rounds: 101,
    batch: Duration::from_millis(2),
};

const QUICK: Config = Config {
    sizes: &[10, 1_000],
    rounds: 51,
    batch: Duration::from_millis(2),
};

/// One measurement: a function of the cycling index, called in timed batches.
struct Bench<F> {
    f: F,
    /// Calls per batch.
    n: usize,
    /// The next cycling index.
    next: usize,
    /// Mean time of a call in each batch, in nanoseconds.
    samples: Vec<f64>,
    /// For decisions, whether every call must return true (allowed) or false; `None` for
    /// request construction.
    allowed: Option<bool>,
    what: String,
}

impl<F: FnMut(usize) -> bool> Bench<F> {
    fn new(what: String, allowed: Option<bool>, f: F) -> Bench<F> {
        Bench {
            f,
            n: 1,
            next: 0,
            samples: Vec::new(),
            allowed,
            what,
        }
    }

    /// Runs `n` calls; returns the elapsed time.
    fn batch(&mut self, n: usize) -> Duration {
        let start_index = self.next;
        let start = Instant::now();
        let mut allowed = 0usize;
        for k in 0..n {
            allowed += usize::from(black_box((self.f)(start_index.wrapping_add(k))));
        }
        let elapsed = start.elapsed();
        self.next = start_index.wrapping_add(n);
        if let Some(want) = self.allowed {
            let want = if want { n } else { 0 };
            if allowed != want {
                eprintln!(
                    "WRONG DECISION while timing {}: {allowed} of {n} allowed, expected {want}",
                    self.what
                );
                std::process::exit(1);
            }
        }
        elapsed
    }

    /// Warms up and picks the batch size: doubles `n` until a batch lasts at least half the
    /// target, then scales it to the target.
    fn calibrate(&mut self, target: Duration) {
        let mut n = 1usize;
        loop {
            let t = self.batch(n);
            if t >= target / 2 || n >= 1 << 24 {
                let per_call = t.as_secs_f64() / n as f64;
                self.n = ((target.as_secs_f64() / per_call).round() as usize).max(1);
                return;
            }
            n *= 2;
        }
    }

    fn sample(&mut self) {
        let t = self.batch(self.n);
        self.samples.push(t.as_nanos() as f64 / self.n as f64);
    }

    fn median(&self) -> f64 {
        let mut s = self.samples.clone();
        s.sort_by(f64::total_cmp);
        let m = s.len() / 2;
        if s.len() % 2 == 1 {
            s[m]
        } else {
            (s[m - 1] + s[m]) / 2.0
        }
    }
}

/// Medians of one workload, in nanoseconds: decisions and request constructions, in the order
/// ram, Cedar, casbin.
struct Row {
    filler: Filler,
    total: usize,
    kind: Kind,
    decision: [f64; 3],
    request: [f64; 3],
}

fn measure(engines: &Engines, requests: &Requests, config: Config) -> Row {
    let context = ram_context();
    let mask = requests.mask();
    let action = requests.action;
    let resources = &requests.resources;
    let kind = requests.kind;
    let allowed = Some(kind.allowed());
    let what = |engine: &str, part: &str| {
        format!(
            "{engine} {part}, {} filler, {} statements, {kind}",
            engines.filler, engines.total
        )
    };

    let ram_requests: Vec<Request<'_>> = requests.ram(&context);
    let cedar_requests: Vec<cedar_policy::Request> =
        resources.iter().map(|r| engines.cedar.request(action, r)).collect();
    let casbin_requests: Vec<_> = resources.iter().map(|r| Casbin::request(action, r)).collect();

    let (ram, cedar, casbin) = (&engines.ram, &engines.cedar, &engines.casbin);
    let mut ram_d = Bench::new(what("ram", "decision"), allowed, |i| {
        ram.decide(black_box(&ram_requests[i & mask])) == Decision::Allow
    });
    let mut cedar_d = Bench::new(what("Cedar", "decision"), allowed, |i| {
        cedar.allowed(black_box(&cedar_requests[i & mask]))
    });
    let mut casbin_d = Bench::new(what("casbin", "decision"), allowed, |i| {
        casbin.allowed(black_box(&casbin_requests[i & mask]))
    });
    let mut ram_r = Bench::new(what("ram", "request"), None, |i| {
        black_box(Request::new(
            black_box(action),
            black_box(resources[i & mask].as_str()),
            &context,
        ));
        true
    });
    let mut cedar_r = Bench::new(what("Cedar", "request"), None, |i| {
        black_box(cedar.request(black_box(action), black_box(resources[i & mask].as_str())));
        true
    });
    let mut casbin_r = Bench::new(what("casbin", "request"), None, |i| {
        black_box(Casbin::request(
            black_box(action),
            black_box(resources[i & mask].as_str()),
        ));
        true
    });

    ram_d.calibrate(config.batch);
    cedar_d.calibrate(config.batch);
    casbin_d.calibrate(config.batch);
    ram_r.calibrate(config.batch);
    cedar_r.calibrate(config.batch);
    casbin_r.calibrate(config.batch);

    for round in 0..config.rounds {
        for k in 0..6 {
            match (round + k) % 6 {
                0 => ram_d.sample(),
                1 => cedar_d.sample(),
                2 => casbin_d.sample(),
                3 => ram_r.sample(),
                4 => cedar_r.sample(),
                _ => casbin_r.sample(),
            }
        }
    }

    Row {
        filler: engines.filler,
        total: engines.total,
        kind,
        decision: [ram_d.median(), cedar_d.median(), casbin_d.median()],
        request: [ram_r.median(), cedar_r.median(), casbin_r.median()],
    }
}

fn ns(v: f64) -> String {
    if v < 1_000.0 {
        format!("{v:.1} ns")
    } else if v < 1_000_000.0 {
        format!("{:.2} µs", v / 1_000.0)
    } else {
        format!("{:.2} ms", v / 1_000_000.0)
    }
}

fn ratio(v: f64) -> String {
    if v < 100.0 {
        format!("{v:.1}x")
    } else {
        format!("{}x", thousands(v.round() as usize))
    }
}

/// `1,000` for 1000.
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    format!("{cores} cores, {cpu}, load average {load}")
}

fn table(rows: &[Row], config: Config, elapsed: Duration) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "W-policies, ram vs Cedar vs casbin: medians of {} batch means per figure (batches of \
         about {} ms), engines interleaved; {}; {:.0} s.\n",
        config.rounds,
        config.batch.as_millis(),
        machine(),
        elapsed.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "| filler | statements | ram set | request | ram | Cedar | casbin | Cedar/ram | casbin/ram \
         | ram request | Cedar request | casbin request |"
    );
    let _ = writeln!(
        out,
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.filler,
            thousands(r.total),
            thousands(ram_statements(r.filler, r.total)),
            r.kind,
            ns(r.decision[0]),
            ns(r.decision[1]),
            ns(r.decision[2]),
            ratio(r.decision[1] / r.decision[0]),
            ratio(r.decision[2] / r.decision[0]),
            ns(r.request[0]),
            ns(r.request[1]),
            ns(r.request[2]),
        );
    }
    let _ = writeln!(
        out,
        "\n\"ram set\": the statements in alice's ram set. F1 filler is attached to other users \
         (u{{i}}), so it is not in the set ram evaluates for alice (ram indexes by principal); \
         Cedar and casbin hold and evaluate all the statements."
    );
    for (size, target) in [(10usize, 50.0f64), (1_000, 1_000.0)] {
        let at: Vec<&Row> = rows.iter().filter(|r| r.total == size).collect();
        if let Some(worst) = at
            .iter()
            .min_by(|a, b| (a.decision[1] / a.decision[0]).total_cmp(&(b.decision[1] / b.decision[0])))
        {
            let min = worst.decision[1] / worst.decision[0];
            let _ = writeln!(
                out,
                "Target: ram at least {}x faster than Cedar at {} statements: {} (smallest \
                 ratio {}, {} {}).",
                thousands(target as usize),
                thousands(size),
                if min >= target { "met" } else { "NOT met" },
                ratio(min),
                worst.filler,
                worst.kind
            );
        }
    }
    out
}

fn json(rows: &[Row]) -> String {
    let items: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{{\"name\":\"w_policies\",\"statements\":{},\"filler\":\"{}\",\"request\":\"{}\",\
                 \"ram_ns\":{:.1},\"cedar_ns\":{:.1},\"casbin_ns\":{:.1},\"ram_request_ns\":{:.1},\
                 \"cedar_request_ns\":{:.1},\"casbin_request_ns\":{:.1}}}",
                r.total,
                r.filler,
                r.kind,
                r.decision[0],
                r.decision[1],
                r.decision[2],
                r.request[0],
                r.request[1],
                r.request[2]
            )
        })
        .collect();
    format!("{{\"workloads\":[{}]}}", items.join(","))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = if args.quick { QUICK } else { FULL };
    let as_json = args.output.json;

    let started = Instant::now();
    let requests: Vec<Requests> = Kind::ALL.into_iter().map(Requests::new).collect();
    let mut rows = Vec::new();
    for filler in Filler::ALL {
        for &total in config.sizes {
            eprintln!("{filler}, {total} statements: building the three engines");
            let engines = Engines::new(filler, total);
            for req in &requests {
                if let Err(e) = engines.verify(req, Some(&sample_indices())) {
                    eprintln!("WRONG DECISION: {e}");
                    return ExitCode::FAILURE;
                }
            }
            for req in &requests {
                let row = measure(&engines, req, config);
                eprintln!(
                    "  {:<13} ram {:>10}  Cedar {:>10}  casbin {:>10}",
                    req.kind.name(),
                    ns(row.decision[0]),
                    ns(row.decision[1]),
                    ns(row.decision[2])
                );
                rows.push(row);
            }
        }
    }

    if as_json {
        println!("{}", json(&rows));
    } else {
        print!("{}", table(&rows, config, started.elapsed()));
    }
    ExitCode::SUCCESS
}
