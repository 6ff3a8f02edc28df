//! Properties of evaluation (spec sections 2–4) over random small policy sets and requests.
//!
//! Policies are drawn from realistic actions, resources and conditions (valid by
//! construction, and every generated document is checked to parse), requests from actions,
//! resources and context values that sometimes match and sometimes do not (including values
//! that do not parse, multi-valued keys and keys in another case).

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::sample::select;
use ram_core::{
    Decision, Effect, Explanation, Glob, PolicyDocument, PolicyRef, PolicySet, Request, RequestContext, Source,
};
use serde_json::{Value, json};

const ACTION_PATTERNS: &[&str] = &[
    "*",
    "*:*",
    "ecs:*",
    "ecs:Describe*",
    "ecs:DescribeInstances",
    "ecs:DeleteInstance",
    "ECS:describe?nstances",
    "e?s:Delete*",
    "oss:Get*",
    "oss:GetObject",
    "oss:PutObject",
    "oss:*Object",
    "*:Describe*",
    "*:List*",
    "ram:*",
    "ram:CreateUser",
    "sts:AssumeRole",
];

const REQUEST_ACTIONS: &[&str] = &[
    "ecs:DescribeInstances",
    "ECS:DESCRIBEINSTANCES",
    "ecs:DeleteInstance",
    "ecs:RunInstances",
    "oss:GetObject",
    "oss:PutObject",
    "oss:ListObjects",
    "ram:CreateUser",
    "rds:DescribeDBInstances",
    "sts:AssumeRole",
];

const RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "acs:*",
    "acs:ecs:*:*:instance/*",
    "acs:ecs:cn-hangzhou:123456789012:instance/i-1",
    "acs:ecs:*:123456789012:instance/i-?",
    "acs:oss:*:*:bucket/*",
    "acs:oss:*:*:bucket/public/*",
    "acs:oss:*:*:Bucket/*",
    "acs:oss:*:*:bucket/file?.txt",
    "acs:ram:*:123456789012:user/*",
];

const REQUEST_RESOURCES: &[&str] = &[
    "acs:ecs:cn-hangzhou:123456789012:instance/i-1",
    "acs:ecs:cn-beijing:123456789012:instance/i-22",
    "acs:oss:cn-hangzhou:123456789012:bucket/public/a.txt",
    "acs:oss:cn-hangzhou:123456789012:bucket/private/x",
    "acs:oss:cn-hangzhou:123456789012:bucket/file1.txt",
    "acs:oss:cn-hangzhou:123456789012:bucket/fileé.txt",
    "acs:ram::123456789012:user/alice",
];

/// One condition test: (operator, key, policy values).
fn condition_tests() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("Bool", "acs:SecureTransport", json!("true")),
        ("Bool", "acs:MFAPresent", json!("false")),
        ("IpAddress", "acs:SourceIp", json!(["10.0.0.0/8", "2001:db8::/32"])),
        ("NotIpAddress", "acs:SourceIp", json!("192.0.2.0/24")),
        ("StringLike", "oss:Prefix", json!(["logs/*", "tmp/?"])),
        ("StringNotLike", "oss:Prefix", json!("private/*")),
        ("StringEquals", "acs:SourceVpc", json!("vpc-1")),
        ("StringNotEquals", "acs:SourceVpc", json!(["vpc-1", "vpc-2"])),
        ("StringEqualsIgnoreCase", "acs:ResourceTag/env", json!("Prod")),
        ("StringNotEqualsIgnoreCase", "acs:ResourceTag/env", json!("dev")),
        ("NumericLessThan", "oss:MaxKeys", json!("100")),
        ("NumericGreaterThanEquals", "oss:MaxKeys", json!(["10", "-5.5"])),
        ("NumericNotEquals", "oss:MaxKeys", json!("50")),
        ("DateLessThan", "acs:CurrentTime", json!("2025-01-01")),
        (
            "DateGreaterThanEquals",
            "acs:CurrentTime",
            json!("2024-06-01T00:00:00+08:00"),
        ),
        ("DateNotEquals", "acs:CurrentTime", json!("2024-06-01T00:00:00Z")),
    ]
}

/// Context keys and the values a request may carry for them.
const CONTEXT_VALUES: &[(&str, &[&str])] = &[
    ("acs:SecureTransport", &["true", "false", "yes"]),
    ("ACS:MFAPRESENT", &["true", "false"]),
    (
        "acs:SourceIp",
        &["10.1.2.3", "192.0.2.9", "::ffff:10.0.0.1", "2001:db8::5", "bogus"],
    ),
    ("oss:Prefix", &["logs/a", "tmp/x", "private/k", ""]),
    ("acs:SourceVpc", &["vpc-1", "vpc-2", "vpc-3"]),
    ("acs:ResourceTag/env", &["prod", "PROD", "dev"]),
    ("oss:MaxKeys", &["5", "100", "100.0", "-6", "ten"]),
    (
        "acs:CurrentTime",
        &["2024-01-01", "2024-05-31T16:00:00Z", "2026-01-01T00:00:00Z", "soon"],
    ),
];

fn pattern_list(options: &'static [&'static str], max: usize) -> impl Strategy<Value = Value> {
    prop::collection::vec(select(options), 1..=max).prop_map(|v| if v.len() == 1 { json!(v[0]) } else { json!(v) })
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    let tests = condition_tests();
    let n = tests.len();
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(json!({}))),
        4 => prop::collection::btree_set(0..n, 1..=2).prop_map(move |picked| {
            let mut block = serde_json::Map::new();
            for i in picked {
                let (op, key, values) = &tests[i];
                let entry = block.entry(op.to_string()).or_insert_with(|| json!({}));
                entry[*key] = values.clone();
            }
            Some(Value::Object(block))
        }),
    ]
}

fn statement_with(effect: impl Strategy<Value = Effect>) -> impl Strategy<Value = Value> {
    (
        effect,
        prop::bool::weighted(0.2),
        pattern_list(ACTION_PATTERNS, 3),
        prop::bool::weighted(0.15),
        pattern_list(RESOURCE_PATTERNS, 2),
        condition(),
    )
        .prop_map(|(effect, not_action, actions, not_resource, resources, cond)| {
            let mut s = serde_json::Map::new();
            s.insert("Effect".into(), json!(effect.as_str()));
            s.insert(if not_action { "NotAction" } else { "Action" }.into(), actions);
            s.insert(if not_resource { "NotResource" } else { "Resource" }.into(), resources);
            if let Some(c) = cond {
                s.insert("Condition".into(), c);
            }
            Value::Object(s)
        })
}

fn effect() -> impl Strategy<Value = Effect> {
    prop_oneof![2 => Just(Effect::Allow), 1 => Just(Effect::Deny)]
}

fn statement() -> impl Strategy<Value = Value> {
    statement_with(effect())
}

/// A policy set: 1–3 policies of 0–4 statements.
fn policies() -> impl Strategy<Value = Vec<Vec<Value>>> {
    prop::collection::vec(prop::collection::vec(statement(), 0..=4), 1..=3)
}

#[derive(Clone, Debug)]
struct Req {
    action: &'static str,
    resource: &'static str,
    context: Vec<(&'static str, Vec<&'static str>)>,
}

fn request() -> impl Strategy<Value = Req> {
    let keys = prop::collection::vec(
        (0..CONTEXT_VALUES.len()).prop_flat_map(|k| {
            let (key, values) = CONTEXT_VALUES[k];
            prop::collection::vec(select(values), 1..=2).prop_map(move |v| (key, v))
        }),
        0..=5,
    );
    (select(REQUEST_ACTIONS), select(REQUEST_RESOURCES), keys).prop_map(|(action, resource, context)| Req {
        action,
        resource,
        context,
    })
}

fn context(req: &Req) -> RequestContext {
    let mut b = RequestContext::builder();
    for (key, values) in &req.context {
        for v in values {
            b = b.add(key, v);
        }
    }
    b.build()
}

fn document(statements: &[Value]) -> PolicyDocument {
    let text = json!({"Version": "1", "Statement": statements}).to_string();
    PolicyDocument::parse(&text).unwrap_or_else(|e| panic!("generated an invalid policy {text}: {e}"))
}

/// A set of the policies `(name, statements)`, in the given order.
fn set_of(policies: &[(String, Vec<Value>)]) -> PolicySet {
    let mut b = PolicySet::builder();
    for (name, statements) in policies {
        b = b.add_document(
            PolicyRef::new(name.as_str(), "v1", Source::Policy),
            &document(statements),
        );
    }
    b.build()
}

fn named(policies: Vec<Vec<Value>>) -> Vec<(String, Vec<Value>)> {
    policies
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("p{i}"), s))
        .collect()
}

fn explain(set: &PolicySet, req: &Req) -> Explanation {
    let ctx = context(req);
    let r = Request::new(req.action, req.resource, &ctx);
    let e = set.explain(&r);
    assert_eq!(set.decide(&r), e.decision, "decide() and explain() disagree");
    e
}

fn decide(set: &PolicySet, req: &Req) -> Decision {
    explain(set, req).decision
}

/// The deciding statements as (policy, statement index).
fn matched(e: &Explanation) -> BTreeSet<(String, usize)> {
    e.matched.iter().map(|m| (m.policy.to_string(), m.statement)).collect()
}

/// Whether one statement applies to the request, judged on its own: a set holding only it
/// gives its effect's decision exactly when it applies.
fn applies_alone(statement: &Value, req: &Req) -> bool {
    let set = set_of(&[("alone".to_owned(), vec![statement.clone()])]);
    let d = decide(&set, req);
    match d {
        Decision::ImplicitDeny => false,
        Decision::Allow => {
            assert_eq!(statement["Effect"], "Allow");
            true
        }
        Decision::ExplicitDeny => {
            assert_eq!(statement["Effect"], "Deny");
            true
        }
    }
}

/// A deterministic Fisher–Yates shuffle driven by `seed`.
fn shuffled<T>(mut items: Vec<T>, seed: u64) -> (Vec<T>, Vec<usize>) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    let mut state = seed | 1;
    for i in (1..items.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = ((state >> 33) % (i as u64 + 1)) as usize;
        items.swap(i, j);
        order.swap(i, j);
    }
    (items, order)
}

/// A reference glob: `*` any run, `?` one scalar, everything else literal.
fn reference_glob(p: &[char], t: &[char]) -> bool {
    // Dynamic programming over (pattern prefix, text prefix); never exponential.
    let mut row = vec![false; t.len() + 1];
    row[0] = true;
    for &pc in p {
        let mut next = vec![false; t.len() + 1];
        if pc == '*' {
            let mut any = false;
            for j in 0..=t.len() {
                any |= row[j];
                next[j] = any;
            }
        } else {
            for j in 1..=t.len() {
                next[j] = row[j - 1] && (pc == '?' || pc == t[j - 1]);
            }
        }
        row = next;
    }
    row[t.len()]
}

fn reference_match(pattern: &str, text: &str, ascii_fold: bool) -> bool {
    let fold = |s: &str| {
        if ascii_fold {
            s.to_ascii_lowercase()
        } else {
            s.to_owned()
        }
    };
    let p: Vec<char> = fold(pattern).chars().collect();
    let t: Vec<char> = fold(text).chars().collect();
    reference_glob(&p, &t)
}

fn strings_of(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// Action and resource parts of a statement, judged with the reference glob.
fn reference_parts_match(statement: &Value, req: &Req) -> bool {
    let part = |pos: &str, neg: &str, text: &str, fold: bool| match (statement.get(pos), statement.get(neg)) {
        (Some(p), _) => strings_of(p).iter().any(|p| reference_match(p, text, fold)),
        (_, Some(n)) => !strings_of(n).iter().any(|p| reference_match(p, text, fold)),
        _ => unreachable!("generated statements have both parts"),
    };
    part("Action", "NotAction", req.action, true) && part("Resource", "NotResource", req.resource, false)
}

const GLOB_TEXT: &[char] = &['a', 'b', 'A', 'B', 'é', '日', '😀', ':', '/', '*', '?'];
const GLOB_PATTERN: &[char] = &['a', 'b', 'A', 'é', '日', '😀', ':', '/', '*', '?'];

/// What a derived pattern does with one character of the text.
#[derive(Clone, Copy, Debug)]
enum Op {
    Keep,
    Question,
    /// `*` instead of this character.
    Star,
    /// `*` before this character.
    StarKeep,
    /// Drop this character.
    Skip,
    /// Another character instead.
    Other(char),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => Just(Op::Keep),
        2 => Just(Op::Question),
        2 => Just(Op::Star),
        1 => Just(Op::StarKeep),
        1 => Just(Op::Skip),
        1 => select(GLOB_PATTERN).prop_map(Op::Other),
    ]
}

/// (pattern, text): a random pattern, or one derived from the text.
fn glob_case() -> impl Strategy<Value = (String, String)> {
    let text = prop::collection::vec(select(GLOB_TEXT), 0..12);
    prop_oneof![
        (prop::collection::vec(select(GLOB_PATTERN), 0..9), text.clone())
            .prop_map(|(p, t)| (p.into_iter().collect(), t.into_iter().collect())),
        text.prop_flat_map(|t| {
            let n = t.len();
            (Just(t), prop::collection::vec(op(), n), prop::bool::ANY)
        })
        .prop_map(|(t, ops, trailing_star)| {
            let mut p = String::new();
            for (c, op) in t.iter().zip(ops) {
                match op {
                    Op::Keep => p.push(*c),
                    Op::Question => p.push('?'),
                    Op::Star => p.push('*'),
                    Op::StarKeep => {
                        p.push('*');
                        p.push(*c);
                    }
                    Op::Skip => {}
                    Op::Other(o) => p.push(o),
                }
            }
            if trailing_star {
                p.push('*');
            }
            (p, t.into_iter().collect())
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// `decide()` and `explain().decision` always agree, and the explanation is well formed.
    #[test]
    fn decide_equals_explain(p in policies(), req in request()) {
        let set = set_of(&named(p));
        let e = explain(&set, &req);
        match e.decision {
            Decision::ImplicitDeny => {
                prop_assert!(e.matched.is_empty());
                prop_assert!(e.failed_conditions.is_some());
            }
            Decision::Allow => prop_assert!(!e.matched.is_empty() && e.matched.iter().all(|m| m.effect == Effect::Allow)),
            Decision::ExplicitDeny => prop_assert!(!e.matched.is_empty() && e.matched.iter().all(|m| m.effect == Effect::Deny)),
        }
    }

    /// Statement order and policy order never change a decision, nor which statements decide.
    #[test]
    fn order_never_matters(p in policies(), req in request(), seed in any::<u64>()) {
        let original = named(p);
        let before = explain(&set_of(&original), &req);

        // Shuffle the statements of every policy, and the policies themselves.
        let mut maps = Vec::new();
        let mut reordered = Vec::new();
        for (i, (name, statements)) in original.iter().enumerate() {
            let (s, order) = shuffled(statements.clone(), seed.rotate_left(i as u32 * 7));
            maps.push((name.clone(), order));
            reordered.push((name.clone(), s));
        }
        let (reordered, _) = shuffled(reordered, seed.rotate_right(17));
        let after = explain(&set_of(&reordered), &req);
        prop_assert_eq!(after.decision, before.decision);
        // Map statement indices back to the original positions.
        let back: BTreeSet<(String, usize)> = after
            .matched
            .iter()
            .map(|m| {
                let order = &maps.iter().find(|(n, _)| **n == *m.policy).unwrap().1;
                (m.policy.to_string(), order[m.statement])
            })
            .collect();
        prop_assert_eq!(back, matched(&before));
    }

    /// Adding a Deny statement never turns a deny into Allow (and keeps an explicit deny).
    #[test]
    fn adding_deny_never_allows(
        p in policies(),
        req in request(),
        deny in statement_with(Just(Effect::Deny)),
        target in any::<prop::sample::Index>(),
    ) {
        let mut policies = named(p);
        let before = decide(&set_of(&policies), &req);
        let n = policies.len();
        let i = target.index(n + 1);
        if i == n {
            policies.push(("extra".to_owned(), vec![deny]));
        } else {
            policies[i].1.push(deny);
        }
        let after = decide(&set_of(&policies), &req);
        if before != Decision::Allow {
            prop_assert_ne!(after, Decision::Allow);
        }
        if before == Decision::ExplicitDeny {
            prop_assert_eq!(after, Decision::ExplicitDeny);
        }
    }

    /// Adding an Allow statement never turns an Allow into a deny (and never lifts an explicit deny).
    #[test]
    fn adding_allow_never_denies(
        p in policies(),
        req in request(),
        allow in statement_with(Just(Effect::Allow)),
        target in any::<prop::sample::Index>(),
    ) {
        let mut policies = named(p);
        let before = decide(&set_of(&policies), &req);
        let n = policies.len();
        let i = target.index(n + 1);
        if i == n {
            policies.push(("extra".to_owned(), vec![allow]));
        } else {
            policies[i].1.push(allow);
        }
        let after = decide(&set_of(&policies), &req);
        if before == Decision::Allow {
            prop_assert_eq!(after, Decision::Allow);
        }
        if before == Decision::ExplicitDeny {
            prop_assert_eq!(after, Decision::ExplicitDeny);
        }
    }

    /// ExplicitDeny iff some Deny statement applies, Allow iff none does and some Allow does,
    /// where "applies" is judged for each statement on its own; and the explanation lists
    /// exactly the applying statements of the deciding effect.
    #[test]
    fn decision_is_determined_by_applying_statements(p in policies(), req in request()) {
        let policies = named(p);
        let e = explain(&set_of(&policies), &req);
        let mut denies = BTreeSet::new();
        let mut allows = BTreeSet::new();
        for (name, statements) in &policies {
            for (i, s) in statements.iter().enumerate() {
                let applies = applies_alone(s, &req);
                if s.get("Condition").is_none_or(|c| c == &json!({})) {
                    // Without a condition, the action and resource parts decide alone:
                    // cross-check them with an independent reference glob.
                    prop_assert_eq!(applies, reference_parts_match(s, &req), "statement {}", s);
                }
                if applies {
                    if s["Effect"] == "Deny" { denies.insert((name.clone(), i)); } else { allows.insert((name.clone(), i)); }
                }
            }
        }
        let expected = if !denies.is_empty() {
            Decision::ExplicitDeny
        } else if !allows.is_empty() {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        };
        prop_assert_eq!(e.decision, expected);
        match expected {
            Decision::ExplicitDeny => prop_assert_eq!(matched(&e), denies),
            Decision::Allow => prop_assert_eq!(matched(&e), allows),
            Decision::ImplicitDeny => {
                // Every statement named by failed_conditions matched action and resource,
                // and none of them applies.
                for f in e.failed_conditions.as_ref().unwrap() {
                    let statements = &policies.iter().find(|(n, _)| **n == *f.policy).unwrap().1;
                    let s = &statements[f.statement];
                    prop_assert!(reference_parts_match(s, &req), "{:?} does not match action and resource", f);
                    prop_assert!(!applies_alone(s, &req));
                }
            }
        }
    }

    /// The glob matcher agrees with a reference matcher, case-sensitively (resources,
    /// StringLike) and ignoring ASCII case (actions), on texts with multi-byte characters.
    /// Half the patterns are derived from the text (characters kept, turned into `?`,
    /// swallowed by `*`, or changed), so that matches are frequent.
    #[test]
    fn glob_agrees_with_reference((pattern, text) in glob_case()) {
        prop_assert_eq!(Glob::new(&pattern).is_match(&text), reference_match(&pattern, &text, false), "{:?} {:?}", pattern, text);
        prop_assert_eq!(
            Glob::ascii_case_insensitive(&pattern).is_match(&text),
            reference_match(&pattern, &text, true),
            "{:?} {:?} (ASCII case-insensitive)", pattern, text
        );
    }
}
