//! `ram --state FILE bench --requests FILE.jsonl [--threads N] [--duration S] [--json]`:
//! replays requests against the directory of the state file through the lock-free
//! `Authorizer`, from `N` threads for `S` seconds, and reports decisions per second, the
//! median, p90, p99, p99.9 and max latency of one check, and the decision mix.
//!
//! `ram bench --generate N [--requests FILE]` writes `N` requests sampled from the
//! directory's own users and the actions and resources of the policies they hold (to stdout,
//! or to `FILE`), so a user can start from nothing.
//!
//! A request line is `{"principal":"user/NAME"|"root","action":..,"resource":..,
//! "context":{KEY: string or [strings]}}`, with an optional `"access_key"` (the AccessKeyId
//! that signed it). As in `ram check`, `acs:PrincipalARN` (and `acs:AccessId` with a key) are
//! added when not given. Lines are parsed and checked before the clock starts; every check
//! during the run evaluates (nothing is cached), and each is timed on its own with two
//! `Instant::now()` (about 20 ns, included in the figures). A progress bar goes to stderr
//! when it is a terminal and `--json` is not given.

use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use ram_core::authorizer::{Authorizer, Caller, Principal};
use ram_core::context::keys;
use ram_core::directory::Directory;
use ram_core::{Decision, ParseOptions, PolicyDocument, Request, RequestContext};
use serde_json::{Value, json};

use super::Reply;
use crate::GlobalArgs;
use crate::error::CliError;
use crate::input::{check_action, check_resource, quote};
use crate::state;

/// Arguments of `ram bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The requests to replay (JSON Lines); with --generate, where to write them.
    #[arg(long, value_name = "FILE", required_unless_present = "generate")]
    pub requests: Option<PathBuf>,
    /// Write N requests sampled from the directory instead of replaying (stdout unless
    /// --requests names a file).
    #[arg(long, value_name = "N", conflicts_with_all = ["threads", "duration"])]
    pub generate: Option<usize>,
    /// Threads checking at once.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub threads: usize,
    /// How long to replay, in seconds.
    #[arg(long, value_name = "S", default_value_t = 5.0)]
    pub duration: f64,
}

/// Runs `ram bench`.
pub fn run(args: &BenchArgs, global: &GlobalArgs) -> Result<Reply, CliError> {
    let state = state::read(global)?;
    if let Some(n) = args.generate {
        let lines = generate(&state.directory, n, 1)?;
        let mut text = String::with_capacity(lines.len() * 160);
        for line in &lines {
            text.push_str(line);
            text.push('\n');
        }
        return match &args.requests {
            None => Ok(Reply::json(json!({"Generated": n})).with_text(text)),
            Some(path) => {
                std::fs::write(path, text).map_err(|e| {
                    CliError::ram(
                        "InternalError",
                        format!("cannot write {}: {e}", quote(&path.display().to_string())),
                    )
                })?;
                Ok(Reply::json(json!({"Generated": n, "File": path.display().to_string()})))
            }
        };
    }
    if args.threads == 0 || args.threads > 1_024 {
        return Err(CliError::InvalidInput(String::from(
            "--threads must be between 1 and 1024",
        )));
    }
    if !(args.duration > 0.0 && args.duration <= 86_400.0) {
        return Err(CliError::InvalidInput(String::from(
            "--duration must be a number of seconds above 0 and at most 86400",
        )));
    }
    let path = args
        .requests
        .as_ref()
        .expect("clap requires --requests without --generate");
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::InvalidInput(format!("cannot read {}: {e}", quote(&path.display().to_string()))))?;
    let account = state.directory.account_id().to_owned();
    let lines: Vec<Line> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Line::parse(l, &account).map_err(|e| CliError::InvalidInput(format!("line {}: {e}", i + 1))))
        .collect::<Result<_, _>>()?;
    if lines.is_empty() {
        return Err(CliError::InvalidInput(String::from("the request file has no request")));
    }
    let auth = Authorizer::new(state.directory);
    let progress = !global.json && std::io::stderr().is_terminal();
    let result = replay(
        &auth,
        &lines,
        args.threads,
        Duration::from_secs_f64(args.duration),
        progress,
    );
    Ok(result.reply(lines.len(), args.threads))
}

/// One parsed request.
#[derive(Debug)]
struct Line {
    user: Option<String>,
    access_key: Option<String>,
    action: String,
    resource: String,
    context: RequestContext,
}

impl Line {
    fn parse(text: &str, account: &str) -> Result<Line, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let obj = v.as_object().ok_or("not a JSON object")?;
        let string = |k: &str| -> Result<String, String> {
            obj.get(k)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or(format!("\"{k}\" must be a string"))
        };
        let principal = string("principal")?;
        let user = match principal.as_str() {
            "root" => None,
            p => match p.strip_prefix("user/") {
                Some(name) if !name.is_empty() => Some(name.to_owned()),
                _ => return Err(format!("\"principal\" {} is neither user/NAME nor root", quote(p))),
            },
        };
        let access_key = match obj.get("access_key") {
            None | Some(Value::Null) => None,
            Some(Value::String(k)) => Some(k.clone()),
            Some(_) => return Err(String::from("\"access_key\" must be a string")),
        };
        let action = string("action")?;
        check_action(&action)?;
        let resource = string("resource")?;
        check_resource(&resource)?;
        let mut context = RequestContext::new();
        match obj.get("context") {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                for (key, value) in map {
                    match value {
                        Value::String(s) => context.add(key, s),
                        Value::Array(items) => {
                            for item in items {
                                let s = item
                                    .as_str()
                                    .ok_or(format!("context key {} has a value that is not a string", quote(key)))?;
                                context.add(key, s);
                            }
                        }
                        _ => return Err(format!("context key {} must be a string or strings", quote(key))),
                    }
                }
            }
            Some(_) => return Err(String::from("\"context\" must be an object")),
        }
        if context.get(keys::PRINCIPAL_ARN).is_none() {
            let arn = match &user {
                Some(name) => format!("acs:ram::{account}:user/{name}"),
                None => format!("acs:ram::{account}:root"),
            };
            context.add(keys::PRINCIPAL_ARN, &arn);
        }
        if let Some(key) = &access_key
            && context.get(keys::ACCESS_ID).is_none()
        {
            context.add(keys::ACCESS_ID, key);
        }
        Ok(Line {
            user,
            access_key,
            action,
            resource,
            context,
        })
    }

    fn caller(&self) -> Caller<'_> {
        Caller {
            principal: match &self.user {
                Some(name) => Principal::User(name),
                None => Principal::Root,
            },
            access_key_id: self.access_key.as_deref(),
        }
    }

    fn request(&self) -> Request<'_> {
        Request::new(&self.action, &self.resource, &self.context)
    }
}

/// Latencies in nanoseconds: 1 ns buckets below 8,192 ns, every larger value kept.
#[derive(Clone, Debug)]
struct Histogram {
    buckets: Vec<u64>,
    above: Vec<u64>,
    count: u64,
}

const LINEAR: usize = 8_192;

impl Histogram {
    fn new() -> Histogram {
        Histogram {
            buckets: vec![0; LINEAR],
            above: Vec::new(),
            count: 0,
        }
    }

    #[inline]
    fn record(&mut self, ns: u64) {
        self.count += 1;
        match self.buckets.get_mut(ns as usize) {
            Some(b) => *b += 1,
            None => self.above.push(ns),
        }
    }

    fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
        self.above.extend_from_slice(&other.above);
        self.count += other.count;
    }

    /// The smallest value with at least `q` of the values at or below it (0 when empty).
    fn percentile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (ns, &n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return ns as u64;
            }
        }
        let mut above = self.above.clone();
        above.sort_unstable();
        above[(rank - seen - 1) as usize]
    }
}

/// What a replay measured.
#[derive(Debug)]
struct Outcome {
    elapsed: Duration,
    latency: Histogram,
    /// Allow, ExplicitDeny, ImplicitDeny, authentication failure.
    mix: [u64; 4],
}

fn replay(auth: &Authorizer, lines: &[Line], threads: usize, duration: Duration, progress: bool) -> Outcome {
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let started = Instant::now();
    let (latency, mix) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (stop, done) = (&stop, &done);
                s.spawn(move || {
                    let mut h = Histogram::new();
                    let mut mix = [0u64; 4];
                    // Each thread starts at its own place in the requests.
                    let mut i = t * lines.len() / threads;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..256 {
                            let line = &lines[i % lines.len()];
                            i += 1;
                            let (caller, req) = (line.caller(), line.request());
                            let start = Instant::now();
                            let outcome = auth.check(&caller, &req);
                            h.record(start.elapsed().as_nanos() as u64);
                            mix[match outcome {
                                Ok(Decision::Allow) => 0,
                                Ok(Decision::ExplicitDeny) => 1,
                                Ok(Decision::ImplicitDeny) => 2,
                                Err(_) => 3,
                            }] += 1;
                        }
                        done.fetch_add(256, Ordering::Relaxed);
                    }
                    (h, mix)
                })
            })
            .collect();
        while started.elapsed() < duration {
            std::thread::sleep((duration - started.elapsed()).min(Duration::from_millis(100)));
            if progress {
                draw_progress(started.elapsed().min(duration), duration, done.load(Ordering::Relaxed));
            }
        }
        stop.store(true, Ordering::Relaxed);
        let mut all = Histogram::new();
        let mut mix = [0u64; 4];
        for w in workers {
            let (h, m) = w.join().expect("a bench thread panicked");
            all.merge(&h);
            for (a, b) in mix.iter_mut().zip(m) {
                *a += b;
            }
        }
        (all, mix)
    });
    if progress {
        eprintln!();
    }
    Outcome {
        elapsed: started.elapsed(),
        latency,
        mix,
    }
}

fn draw_progress(elapsed: Duration, total: Duration, done: u64) {
    let width = 30;
    let filled = ((elapsed.as_secs_f64() / total.as_secs_f64()) * width as f64) as usize;
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r[{}{}] {:.1}/{:.1} s, {} decisions",
        "#".repeat(filled.min(width)),
        " ".repeat(width - filled.min(width)),
        elapsed.as_secs_f64(),
        total.as_secs_f64(),
        done
    );
    let _ = err.flush();
}

impl Outcome {
    fn reply(&self, requests: usize, threads: usize) -> Reply {
        let h = &self.latency;
        let decisions = h.count;
        let seconds = self.elapsed.as_secs_f64();
        let per_second = decisions as f64 / seconds;
        let p = |q| h.percentile(q);
        let value = json!({
            "Requests": requests,
            "Threads": threads,
            "Seconds": (seconds * 1000.0).round() / 1000.0,
            "Decisions": decisions,
            "DecisionsPerSecond": per_second.round(),
            "LatencyNanoseconds": {"P50": p(0.5), "P90": p(0.9), "P99": p(0.99), "P999": p(0.999), "Max": p(1.0)},
            "Mix": {
                "Allow": self.mix[0],
                "ExplicitDeny": self.mix[1],
                "ImplicitDeny": self.mix[2],
                "AuthenticationFailure": self.mix[3],
            },
        });
        let share = |n: u64| 100.0 * n as f64 / decisions.max(1) as f64;
        let text = format!(
            "{decisions} decisions in {seconds:.2} s from {threads} thread(s) over {requests} request(s): \
             {per_second:.0} decisions/s\nlatency (each check timed, ~20 ns timer included): p50 {} ns, \
             p90 {} ns, p99 {} ns, p99.9 {} ns, max {} ns\nmix: Allow {:.1}%, ExplicitDeny {:.1}%, \
             ImplicitDeny {:.1}%, authentication failure {:.1}%\n",
            p(0.5),
            p(0.9),
            p(0.99),
            p(0.999),
            p(1.0),
            share(self.mix[0]),
            share(self.mix[1]),
            share(self.mix[2]),
            share(self.mix[3]),
        );
        Reply::json(value).with_text(text)
    }
}

/// A small deterministic generator (SplitMix64), so that `--generate` is reproducible.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

/// A concrete action from a pattern: wildcards become letters; a pattern without a literal
/// service becomes a common read action.
fn concrete_action(pattern: &str) -> String {
    match pattern.split_once(':') {
        Some((svc, name)) if !svc.contains(['*', '?']) && !svc.is_empty() => {
            format!("{svc}:{}", name.replace('*', "Example").replace('?', "X"))
        }
        _ => String::from("ecs:DescribeInstances"),
    }
}

/// A concrete ARN from a pattern: a wildcard region or account becomes `cn-hangzhou` or the
/// account, other wildcards `example`.
fn concrete_resource(pattern: &str, account: &str) -> String {
    if pattern == "*" {
        return format!("acs:ecs:cn-hangzhou:{account}:instance/i-example");
    }
    pattern
        .splitn(5, ':')
        .enumerate()
        .map(|(i, part)| match (i, part) {
            (2, "*") => String::from("cn-hangzhou"),
            (3, "*") => account.to_owned(),
            _ => part.replace('*', "example").replace('?', "x"),
        })
        .collect::<Vec<_>>()
        .join(":")
}

/// `n` request lines sampled from the directory: a random user, a random statement of a
/// policy it holds (own or through a group; a third of the time another user's, so that
/// denies show up), an action and a resource made concrete from its patterns.
fn generate(dir: &Directory, n: usize, seed: u64) -> Result<Vec<String>, CliError> {
    let users: Vec<_> = dir.users().collect();
    if users.is_empty() {
        return Err(CliError::InvalidInput(String::from(
            "the directory has no users to sample requests from",
        )));
    }
    let account = dir.account_id();
    let mut rng = Rng(seed);
    let options = ParseOptions::identity().max_chars(usize::MAX);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let user = users[rng.below(users.len())];
        let source = if rng.below(3) == 0 {
            users[rng.below(users.len())]
        } else {
            user
        };
        let attached: Vec<_> = source
            .policies
            .iter()
            .chain(
                source
                    .groups
                    .iter()
                    .filter_map(|g| dir.group(g))
                    .flat_map(|g| g.policies.iter()),
            )
            .collect();
        let statement = attached.get(rng.below(attached.len().max(1))).and_then(|a| {
            let (text, _) = dir.policy_document(a.policy_type, &a.policy_name)?;
            let doc = PolicyDocument::parse_with(text, &options).ok()?;
            let statements = doc.statements();
            (!statements.is_empty()).then(|| statements[rng.below(statements.len())].clone())
        });
        let (action, resource) = match statement {
            Some(s) => {
                let action = if s.action.negated || s.action.patterns.is_empty() {
                    String::from("ecs:DescribeInstances")
                } else {
                    concrete_action(&s.action.patterns[rng.below(s.action.patterns.len())])
                };
                let resource = match &s.resource {
                    Some(r) if !r.negated && !r.patterns.is_empty() => {
                        concrete_resource(&r.patterns[rng.below(r.patterns.len())], account)
                    }
                    _ => format!("acs:oss:cn-hangzhou:{account}:bucket/example/object"),
                };
                (action, resource)
            }
            None => (
                String::from("oss:GetObject"),
                format!("acs:oss:cn-hangzhou:{account}:bucket/example/object"),
            ),
        };
        let line = json!({
            "principal": format!("user/{}", user.user_name),
            "action": action,
            "resource": resource,
            "context": {"acs:SourceIp": "192.0.2.10", "acs:SecureTransport": "true"},
        });
        out.push(line.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ram_core::directory::{Change, PolicyTarget, PolicyType};

    fn directory() -> Directory {
        let mut dir = Directory::new("123456").unwrap();
        let c = |s: &str| s.to_owned();
        dir.apply(&[
            Change::CreatePolicy {
                name: c("Logs"),
                document: c(
                    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:Get*","oss:List*"],"Resource":"acs:oss:*:*:bucket/logs/*"},{"Effect":"Deny","Action":"oss:Delete*","Resource":"*"}]}"#,
                ),
                description: String::new(),
            },
            Change::CreateGroup { name: c("dev") },
            Change::CreateUser {
                name: c("alice"),
                display_name: None,
            },
            Change::CreateUser {
                name: c("bob"),
                display_name: None,
            },
            Change::AddUserToGroup {
                group: c("dev"),
                user: c("alice"),
            },
            Change::AttachPolicy {
                target: PolicyTarget::Group(c("dev")),
                policy_type: Some(PolicyType::Custom),
                policy: c("Logs"),
            },
            Change::AttachPolicy {
                target: PolicyTarget::User(c("bob")),
                policy_type: Some(PolicyType::System),
                policy: c("AliyunECSFullAccess"),
            },
        ])
        .unwrap();
        dir
    }

    #[test]
    fn lines_parse_and_add_the_principal_arn() {
        let l = Line::parse(
            r#"{"principal":"user/alice","action":"oss:GetObject","resource":"acs:oss:*:123456:bucket/logs/a","context":{"acs:SourceIp":"10.0.0.1","acs:UserAgent":["a","b"]}}"#,
            "123456",
        )
        .unwrap();
        assert_eq!(l.user.as_deref(), Some("alice"));
        assert!(l.context.get(keys::PRINCIPAL_ARN).is_some());
        let root = Line::parse(
            r#"{"principal":"root","action":"a:b","resource":"*","access_key":"LTAI1"}"#,
            "1",
        )
        .unwrap();
        assert!(root.user.is_none());
        assert!(root.context.get(keys::ACCESS_ID).is_some());
        for bad in [
            "",
            "[]",
            r#"{"principal":"role/x","action":"a:b","resource":"*"}"#,
            r#"{"principal":"user/a","action":"nocolon","resource":"*"}"#,
            r#"{"principal":"user/a","action":"a:b"}"#,
            r#"{"principal":"user/a","action":"a:b","resource":"*","context":{"k":1}}"#,
        ] {
            assert!(Line::parse(bad, "1").is_err(), "{bad}");
        }
    }

    #[test]
    fn percentiles() {
        let mut h = Histogram::new();
        for ns in 1..=100 {
            h.record(ns);
        }
        h.record(1_000_000);
        assert_eq!(h.percentile(0.5), 51);
        assert_eq!(h.percentile(0.99), 100);
        assert_eq!(h.percentile(1.0), 1_000_000);
    }

    #[test]
    fn generated_requests_replay() {
        let dir = directory();
        let lines = generate(&dir, 200, 1).unwrap();
        assert_eq!(lines, generate(&dir, 200, 1).unwrap(), "deterministic");
        let parsed: Vec<Line> = lines.iter().map(|l| Line::parse(l, "123456").unwrap()).collect();
        let auth = Authorizer::new(dir);
        let outcome = replay(&auth, &parsed, 2, Duration::from_millis(50), false);
        let total: u64 = outcome.mix.iter().sum();
        assert_eq!(total, outcome.latency.count);
        assert!(total > 0);
        assert_eq!(outcome.mix[3], 0, "every generated principal authenticates");
        assert!(outcome.mix[0] > 0, "some requests are allowed: {:?}", outcome.mix);
        assert!(outcome.mix[2] > 0, "some are denied: {:?}", outcome.mix);
        let reply = outcome.reply(parsed.len(), 2);
        assert!(format!("{reply:?}").contains("DecisionsPerSecond"));
        assert!(generate(&Directory::new("1").unwrap(), 1, 1).is_err());
    }

    #[test]
    fn concrete_patterns() {
        assert_eq!(concrete_action("oss:Get*"), "oss:GetExample");
        assert_eq!(concrete_action("*"), "ecs:DescribeInstances");
        assert_eq!(
            concrete_resource("acs:oss:*:*:bucket/logs/*", "123456"),
            "acs:oss:cn-hangzhou:123456:bucket/logs/example"
        );
    }
}
