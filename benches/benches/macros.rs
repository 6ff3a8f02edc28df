//! The cost of `#[require]`: an annotated handler against a hand-written one that builds the
//! same resource string (same escaping, same capacity) and calls the same check
//! (`RequireContext::authorize`, i.e. one `Authorizer::check`), both on the allow path.
//!
//! The directory is small (a user with one custom policy of 4 statements): the policy
//! evaluation itself is measured by `policies`; here the difference is what matters.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use ram_core::authorizer::{Authorizer, Caller};
use ram_core::directory::{Change, Directory, PolicyTarget};
use ram_core::guard::{push_path, push_segment};
use ram_core::{Denied, RequestContext, RequireContext, require};

const POLICY: &str = r#"{"Version":"1","Statement":[
  {"Effect":"Allow","Action":["oss:GetObject","oss:ListObjects"],"Resource":"acs:oss:cn-hangzhou:123456789012:photos/*"},
  {"Effect":"Allow","Action":"ecs:StartInstance","Resource":"acs:ecs:cn-hangzhou:123456789012:instance/*"},
  {"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:cn-hangzhou:123456789012:home/alice/*"},
  {"Effect":"Deny","Action":"oss:DeleteObject","Resource":"acs:oss:cn-hangzhou:123456789012:photos/keep/*"}
]}"#;

struct AppContext {
    auth: Authorizer,
    user: String,
    request: RequestContext,
}

impl RequireContext for AppContext {
    fn authorizer(&self) -> &Authorizer {
        &self.auth
    }
    fn caller(&self) -> Option<Caller<'_>> {
        Some(Caller::user(&self.user))
    }
    fn request_context(&self) -> &RequestContext {
        &self.request
    }
    fn region(&self) -> &str {
        "cn-hangzhou"
    }
    fn account(&self) -> &str {
        "123456789012"
    }
}

fn context() -> AppContext {
    let auth = Authorizer::new(Directory::new("123456789012").expect("account"));
    auth.apply(&[
        Change::CreateUser {
            name: "alice".into(),
            display_name: None,
        },
        Change::CreatePolicy {
            name: "Photos".into(),
            document: POLICY.into(),
            description: String::new(),
        },
        Change::AttachPolicy {
            target: PolicyTarget::User("alice".into()),
            policy_type: None,
            policy: "Photos".into(),
        },
    ])
    .expect("directory");
    AppContext {
        auth,
        user: "alice".into(),
        request: RequestContext::builder().secure_transport(true).build(),
    }
}

#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:{bucket}/{key..}")]
#[inline(never)]
fn annotated(ctx: &AppContext, bucket: &str, key: &str) -> Result<usize, Denied> {
    Ok(key.len())
}

#[inline(never)]
fn hand_written(ctx: &AppContext, bucket: &str, key: &str) -> Result<usize, Denied> {
    let mut arn = String::with_capacity(8 + 1 + 1 + 1 + 4 * 16);
    arn.push_str("acs:oss:");
    push_segment(&mut arn, ctx.region());
    arn.push(':');
    push_segment(&mut arn, ctx.account());
    arn.push(':');
    push_segment(&mut arn, bucket);
    arn.push('/');
    push_path(&mut arn, key);
    ctx.authorize("oss:GetObject", &arn)?;
    Ok(key.len())
}

/// The check alone, with a prebuilt ARN: the floor both handlers stand on.
#[inline(never)]
fn check_only(ctx: &AppContext, arn: &str) -> Result<usize, Denied> {
    ctx.authorize("oss:GetObject", arn)?;
    Ok(arn.len())
}

fn bench(c: &mut Criterion) {
    let ctx = context();
    let (bucket, key) = ("photos", "2024/06/holiday/beach.jpg");
    assert_eq!(annotated(&ctx, bucket, key).ok(), Some(key.len()));
    assert_eq!(hand_written(&ctx, bucket, key).ok(), Some(key.len()));
    let arn = "acs:oss:cn-hangzhou:123456789012:photos/2024/06/holiday/beach.jpg";
    let mut g = c.benchmark_group("require");
    g.bench_function("annotated", |b| {
        b.iter(|| annotated(black_box(&ctx), black_box(bucket), black_box(key)))
    });
    g.bench_function("hand_written", |b| {
        b.iter(|| hand_written(black_box(&ctx), black_box(bucket), black_box(key)))
    });
    g.bench_function("check_only", |b| b.iter(|| check_only(black_box(&ctx), black_box(arn))));
    g.finish();
}

/// Interleaved medians: batches of each handler alternate (and swap order every round), so
/// that a change in machine load hits both alike; criterion runs one after the other.
fn interleaved() {
    const BATCH: u32 = 20_000;
    const ROUNDS: usize = 301;
    let ctx = context();
    let (bucket, key) = ("photos", "2024/06/holiday/beach.jpg");
    let mut annotated_ns = Vec::with_capacity(ROUNDS);
    let mut hand_ns = Vec::with_capacity(ROUNDS);
    let time = |f: &dyn Fn() -> Result<usize, Denied>| {
        let t = Instant::now();
        for _ in 0..BATCH {
            let _ = black_box(f());
        }
        t.elapsed().as_nanos() as f64 / f64::from(BATCH)
    };
    let a = || annotated(black_box(&ctx), black_box(bucket), black_box(key));
    let h = || hand_written(black_box(&ctx), black_box(bucket), black_box(key));
    for round in 0..ROUNDS {
        if round % 2 == 0 {
            annotated_ns.push(time(&a));
            hand_ns.push(time(&h));
        } else {
            hand_ns.push(time(&h));
            annotated_ns.push(time(&a));
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (ma, mh) = (median(&mut annotated_ns), median(&mut hand_ns));
    println!(
        "require/interleaved: annotated {ma:.1} ns, hand_written {mh:.1} ns, difference {:+.1} ns ({:+.1}%)",
        ma - mh,
        (ma / mh - 1.0) * 100.0
    );
}

criterion_group!(benches, bench);

fn main() {
    interleaved();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
