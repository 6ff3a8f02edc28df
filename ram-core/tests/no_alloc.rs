//! `PolicySet::decide` and `Authorizer::check` perform no heap allocation: a counting global
//! allocator wraps the system one and counts the allocations of the current thread while
//! decisions run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ram_core::authorizer::{Authorizer, Caller, Principal};
use ram_core::directory::{Change, Directory, PolicyTarget, PolicyType};
use ram_core::{Decision, PolicyDocument, PolicyRef, PolicySet, Request, RequestContext, Source};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded unchanged to `System`; counting touches only a const-initialised
// thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made on this thread while `f` runs: from the global allocator, and from the
/// pool that holds the authorizer's tables, which does not go through it.
fn allocations<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let total = || ALLOCATIONS.with(Cell::get) + ram_core::table_memory_allocations();
    let before = total();
    let out = f();
    (total() - before, out)
}

const DEV: &str = r#"{
  "Version": "1",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["ecs:Describe*", "oss:Get*", "oss:List*", "*:List*"],
      "Resource": ["acs:ecs:cn-hangzhou:123456:instance/*", "acs:oss:*:123456:bucket/app-logs/*"],
      "Condition": {
        "Bool": {"acs:SecureTransport": "true"},
        "IpAddress": {"acs:SourceIp": ["198.51.100.0/24", "2001:db8::/32"]},
        "DateLessThan": {"acs:CurrentTime": "2027-01-01T00:00:00+08:00"},
        "StringLike": {"acs:UserAgent": ["*Chrome*", "aliyun-cli/*"]}
      }
    },
    {"Effect": "Deny", "Action": ["ecs:Delete*", "oss:Delete*"], "Resource": "*"},
    {
      "Effect": "Deny",
      "Action": "*",
      "Resource": "*",
      "Condition": {"NotIpAddress": {"acs:SourceIp": ["198.51.100.0/24", "2001:db8::/32", "10.0.0.0/8"]}}
    },
    {"Effect": "Allow", "Action": "ECS:StartInstance", "Resource": "acs:ecs:*:123456:instance/i-0?"},
    {"Effect": "Allow", "NotAction": ["ram:*", "sts:*"], "NotResource": "acs:ecs:*:*:instance/secret-*",
     "Condition": {"StringLike": {"acs:ResourceTag/team": "platform-*"}, "Bool": {"acs:MFAPresent": "true"}}}
  ]
}"#;

fn set() -> PolicySet {
    PolicySet::builder()
        .add_document(
            PolicyRef::new("Dev", "v3", Source::Group("dev".into())),
            &PolicyDocument::parse(DEV).unwrap(),
        )
        .build()
}

fn context(ip: &str, agent: &str) -> RequestContext {
    RequestContext::builder()
        .source_ip(ip.parse().unwrap())
        .secure_transport(true)
        .current_time("2026-11-28T10:00:00Z".parse().unwrap())
        .user_agent(agent)
        .add("acs:ResourceTag/team", "web")
        .add("acs:ResourceTag/team", "data")
        .build()
}

#[test]
fn decide_allocates_nothing() {
    let set = set();
    let office = context("198.51.100.23", "Mozilla/5.0 Chrome/126.0");
    let office6 = context("2001:db8::7", "aliyun-cli/3.0.200");
    let cafe = context("203.0.113.9", "Mozilla/5.0 Chrome/126.0");
    let curl = context("198.51.100.23", "curl/8.0");
    let empty = RequestContext::new();
    let instance = "acs:ecs:cn-hangzhou:123456:instance/i-01";
    let cases = [
        (
            Request::new("ecs:DescribeInstances", instance, &office),
            Decision::Allow,
        ),
        (
            Request::new("ECS:describeinstances", instance, &office6),
            Decision::Allow,
        ),
        (Request::new("ecs:StartInstance", instance, &office), Decision::Allow),
        (
            Request::new("rds:ListTagResources", instance, &office6),
            Decision::Allow,
        ),
        (
            Request::new("ecs:DeleteInstance", instance, &office),
            Decision::ExplicitDeny,
        ),
        (
            Request::new("ecs:DescribeInstances", instance, &cafe),
            Decision::ExplicitDeny,
        ),
        (
            Request::new("oss:GetObject", "acs:oss:*:123456:bucket/app-logs/a", &cafe),
            Decision::ExplicitDeny,
        ),
        (
            Request::new("ecs:DescribeInstances", instance, &curl),
            Decision::ImplicitDeny,
        ),
        (
            Request::new("oss:PutObject", "acs:oss:*:123456:bucket/app-logs/a", &office),
            Decision::ImplicitDeny,
        ),
        (
            Request::new("ram:CreateUser", "acs:ram:*:123456:user/bob", &office),
            Decision::ImplicitDeny,
        ),
        (
            Request::new("ecs:DescribeInstances", instance, &empty),
            Decision::ExplicitDeny,
        ),
        (Request::new("", "", &empty), Decision::ExplicitDeny),
        (
            Request::new("ecs:StartInstance", instance, &cafe),
            Decision::ExplicitDeny,
        ),
        (
            Request::new(
                "ecs:StartInstance",
                "acs:ecs:cn-hangzhou:123456:instance/i-012",
                &office,
            ),
            Decision::ImplicitDeny,
        ),
    ];
    // Once outside the count, so that any lazy one-time initialisation is not charged.
    for (req, expected) in &cases {
        assert_eq!(set.decide(req), *expected, "{} on {}", req.action, req.resource);
    }
    for (req, expected) in &cases {
        let (n, decision) = allocations(|| {
            let mut d = set.decide(req);
            for _ in 0..100 {
                d = set.decide(std::hint::black_box(req));
            }
            d
        });
        assert_eq!(decision, *expected);
        assert_eq!(
            n, 0,
            "decide allocated {n} times for {} on {}",
            req.action, req.resource
        );
    }
}

#[test]
fn the_counter_sees_allocations() {
    let (n, v) = allocations(|| vec![1u8; 16]);
    assert_eq!(v.len(), 16);
    assert!(n >= 1);
    // `explain` builds its answer on the heap: the counter must notice.
    let set = set();
    let ctx = context("198.51.100.23", "Mozilla/5.0 Chrome/126.0");
    let (n, e) = allocations(|| {
        set.explain(&Request::new(
            "ecs:DescribeInstances",
            "acs:ecs:cn-hangzhou:123456:instance/i-1",
            &ctx,
        ))
    });
    assert_eq!(e.decision, Decision::Allow);
    assert!(n >= 1);
    // A compiled policy's statements come from the tables' pool, which the global allocator
    // does not see (on Linux): the counter adds those blocks.
    let before = ram_core::table_memory_allocations();
    drop(set);
    drop(self::set());
    if cfg!(target_os = "linux") {
        assert!(ram_core::table_memory_allocations() > before);
    }
}

/// A directory where alice holds policies of her own and of two groups, bob is in one group,
/// a role has a policy, and a guardrail bounds everyone.
fn authorizer() -> Authorizer {
    let auth = Authorizer::new(Directory::new("123456").unwrap());
    let c = |s: &str| s.to_owned();
    let user = |u: &str| PolicyTarget::User(c(u));
    let group = |g: &str| PolicyTarget::Group(c(g));
    let attach = |target, policy: &str| Change::AttachPolicy {
        target,
        policy_type: Some(PolicyType::Custom),
        policy: c(policy),
    };
    auth.apply(&[
        Change::CreatePolicy {
            name: c("Dev"),
            document: DEV.to_owned(),
            description: String::new(),
        },
        Change::CreatePolicy {
            name: c("OssLogs"),
            document: r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:*:123456:bucket/app-logs/*"},{"Effect":"Deny","Action":"oss:PutBucketAcl","Resource":"*"}]}"#.to_owned(),
            description: String::new(),
        },
        Change::CreatePolicy {
            name: c("Fence"),
            document: r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"ram:Delete*","Resource":"*"}]}"#.to_owned(),
            description: String::new(),
        },
        Change::CreateGroup { name: c("dev") },
        Change::CreateGroup { name: c("ops") },
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
        Change::AddUserToGroup {
            group: c("ops"),
            user: c("alice"),
        },
        Change::AddUserToGroup {
            group: c("ops"),
            user: c("bob"),
        },
        attach(group("dev"), "Dev"),
        attach(group("ops"), "OssLogs"),
        Change::AttachPolicy {
            target: user("alice"),
            policy_type: Some(PolicyType::System),
            policy: c("AliyunRAMReadOnlyAccess"),
        },
        Change::CreateAccessKey {
            user: c("alice"),
            access_key_id: c("LTAI00000000000000000001"),
            access_key_secret: c("000000000000000000000000000001"),
        },
        Change::CreateRole {
            name: c("reader"),
            trust_policy: r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::123456:root"]}}]}"#.to_owned(),
            max_session_duration: None,
        },
        Change::AttachPolicy {
            target: PolicyTarget::Role(c("reader")),
            policy_type: Some(PolicyType::System),
            policy: c("AliyunOSSReadOnlyAccess"),
        },
        Change::AttachGuardrail {
            policy_type: Some(PolicyType::Custom),
            policy: c("Fence"),
        },
    ])
    .unwrap();
    auth
}

#[test]
fn authorizer_check_allocates_nothing() {
    let auth = authorizer();
    let office = context("198.51.100.23", "Mozilla/5.0 Chrome/126.0");
    let cafe = context("203.0.113.9", "Mozilla/5.0 Chrome/126.0");
    let instance = "acs:ecs:cn-hangzhou:123456:instance/i-01";
    let logs = "acs:oss:*:123456:bucket/app-logs/a.txt";
    let session = PolicySet::builder()
        .add_document(
            PolicyRef::new("session", "v1", Source::Session),
            &PolicyDocument::parse(
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get*","Resource":"acs:oss:*:123456:bucket/app-logs/*"}]}"#,
            )
            .unwrap(),
        )
        .build();
    let alice = Caller::user("alice");
    let alice_key = Caller::user_with_key("alice", "LTAI00000000000000000001");
    let bob = Caller::user("bob");
    let reader = Caller {
        principal: Principal::RoleSession {
            role: "reader",
            session_policy: None,
        },
        access_key_id: None,
    };
    let reader_session = Caller {
        principal: Principal::RoleSession {
            role: "reader",
            session_policy: Some(&session),
        },
        access_key_id: None,
    };
    let cases = [
        (
            alice,
            Request::new("ecs:DescribeInstances", instance, &office),
            Decision::Allow,
        ),
        (
            alice_key,
            Request::new("ecs:DescribeInstances", instance, &office),
            Decision::Allow,
        ),
        (alice, Request::new("oss:GetObject", logs, &office), Decision::Allow),
        (
            alice_key,
            Request::new("ram:GetUser", "acs:ram:*:123456:user/bob", &office),
            Decision::Allow,
        ),
        (
            alice,
            Request::new("ram:DeleteUser", "acs:ram:*:123456:user/bob", &office),
            Decision::ExplicitDeny,
        ),
        (
            alice,
            Request::new("ecs:DeleteInstance", instance, &office),
            Decision::ExplicitDeny,
        ),
        (
            alice_key,
            Request::new("ecs:DescribeInstances", instance, &cafe),
            Decision::ExplicitDeny,
        ),
        (
            alice,
            Request::new("oss:PutBucketAcl", logs, &office),
            Decision::ExplicitDeny,
        ),
        (
            alice,
            Request::new("vpc:CreateVpc", "acs:vpc:*:123456:vpc/*", &office),
            Decision::ImplicitDeny,
        ),
        (bob, Request::new("oss:PutObject", logs, &cafe), Decision::Allow),
        (
            bob,
            Request::new("ecs:DescribeInstances", instance, &office),
            Decision::ImplicitDeny,
        ),
        (reader, Request::new("oss:GetObject", logs, &cafe), Decision::Allow),
        (
            reader,
            Request::new("oss:PutObject", logs, &cafe),
            Decision::ImplicitDeny,
        ),
        (
            reader_session,
            Request::new("oss:GetObject", logs, &cafe),
            Decision::Allow,
        ),
        (
            reader_session,
            Request::new("oss:ListObjects", logs, &cafe),
            Decision::ImplicitDeny,
        ),
        (
            Caller::root(),
            Request::new("ram:DeleteUser", "*", &cafe),
            Decision::Allow,
        ),
    ];
    // Once outside the count: arc-swap gives each thread its debt slots on first use.
    for (caller, req, expected) in &cases {
        assert_eq!(
            auth.check(caller, req),
            Ok(*expected),
            "{} on {}",
            req.action,
            req.resource
        );
    }
    for (caller, req, expected) in &cases {
        let (n, decision) = allocations(|| {
            let mut d = auth.check(caller, req);
            for _ in 0..100 {
                d = auth.check(std::hint::black_box(caller), std::hint::black_box(req));
            }
            d
        });
        assert_eq!(decision, Ok(*expected));
        assert_eq!(
            n, 0,
            "Authorizer::check allocated {n} times for {:?} {} on {}",
            caller.principal, req.action, req.resource
        );
    }
    // The same through a held snapshot.
    let snapshot = auth.snapshot();
    for (caller, req, expected) in &cases {
        let (n, decision) = allocations(|| snapshot.check(caller, req));
        assert_eq!((n, decision), (0, Ok(*expected)));
    }
}
