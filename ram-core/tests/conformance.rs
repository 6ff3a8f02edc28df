//! The conformance suite: every rule of `shared/spec/semantics.md` sections 1–4 as a table of
//! cases, written from the spec (not from the code).
//!
//! The cases live in `tests/conformance_cases/*.json`, one file per spec section; each case
//! has an `id`, the `rule` it covers, its input and its expected outcome (see each file's
//! `notes` for the shorthands). This runner evaluates every case, collects every failure and
//! reports all failing ids at once. A handful of rules that need a sequence of steps (a
//! rejected document is never partly applied; policies, attachments and membership are read
//! at decision time) are written as Rust cases at the end of this file and reported the same
//! way.
//!
//! Run with `cargo test -p ram-core --test conformance -- --nocapture` to see the counts.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::IpAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};

use ram_core::authorizer::{AuthError, Authorizer, Caller, Principal};
use ram_core::directory::{AccessKeyStatus, Change, Directory, PolicyTarget};
use ram_core::{
    Decision, Explanation, ParseOptions, PolicyDocument, PolicyRef, PolicySet, Request, RequestContext, Source,
};
use serde_json::{Value, json};

const FILES: &[(&str, &str)] = &[
    ("s1_documents.json", include_str!("conformance_cases/s1_documents.json")),
    ("s2_matching.json", include_str!("conformance_cases/s2_matching.json")),
    (
        "s3_conditions.json",
        include_str!("conformance_cases/s3_conditions.json"),
    ),
    ("s4_decisions.json", include_str!("conformance_cases/s4_decisions.json")),
];

const ACCOUNT: &str = "123456789012";
const DEFAULT_ACTION: &str = "ecs:DescribeInstances";
const DEFAULT_RESOURCE: &str = "acs:ecs:cn-hangzhou:123456789012:instance/i-1";

type Outcome = Result<(), String>;

#[test]
fn conformance() {
    let mut failures: Vec<String> = Vec::new();
    let mut ids = HashSet::new();
    let mut per_section: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_kind: BTreeMap<&'static str, usize> = BTreeMap::new();

    let mut record = |id: &str, kind: &'static str, outcome: std::thread::Result<Outcome>| {
        if !ids.insert(id.to_owned()) {
            failures.push(format!("{id}: duplicate case id"));
        }
        let section = id.split('.').next().unwrap_or("?").to_owned();
        *per_section.entry(section).or_default() += 1;
        *per_kind.entry(kind).or_default() += 1;
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(message)) => failures.push(format!("{id}: {message}")),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "panic".to_owned());
                failures.push(format!("{id}: panicked: {message}"));
            }
        }
    };

    for (file, text) in FILES {
        let data: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let cases = data["cases"].as_array().unwrap_or_else(|| panic!("{file}: no cases"));
        for case in cases {
            let id = case["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{file}: a case without id: {case}"));
            assert!(
                case["rule"].as_str().is_some_and(|r| !r.is_empty()),
                "{id}: every case names its rule"
            );
            let kind = kind_of(case);
            let outcome = catch_unwind(AssertUnwindSafe(|| match kind {
                "validate" => run_validate(case),
                "eval" => run_eval(case),
                "chain" => run_chain(case),
                "policy_name" => run_policy_name(case),
                "policy_versions" => run_policy_versions(case),
                other => Err(format!("unknown case kind {other:?}")),
            }));
            record(id, kind, outcome);
        }
    }
    for (id, run) in SCRIPTED_CASES {
        record(id, "scripted", catch_unwind(AssertUnwindSafe(run)));
    }

    let total: usize = per_section.values().sum();
    println!("conformance: {total} cases; per spec section: {per_section:?}; per kind: {per_kind:?}");
    assert!(total >= 150, "the suite needs at least 150 cases, has {total}");
    if !failures.is_empty() {
        panic!(
            "{} of {total} conformance cases failed:\n  {}",
            failures.len(),
            failures.join("\n  ")
        );
    }
}

fn kind_of(case: &Value) -> &'static str {
    match case["kind"].as_str() {
        Some("chain") => "chain",
        Some("policy_name") => "policy_name",
        Some("policy_versions") => "policy_versions",
        Some(_) => "unknown",
        None if case.get("expect").is_some() => "eval",
        None => "validate",
    }
}

// ---------------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------------

/// The statement the `cond` shorthand stands for.
fn cond_statement(cond: &Value) -> Value {
    json!({"Effect": "Allow", "Action": "ecs:*", "Resource": "*", "Condition": cond})
}

/// The submitted text of a case's document (validate cases).
fn document_text(case: &Value) -> Result<String, String> {
    let text = if let Some(t) = case["text"].as_str() {
        t.to_owned()
    } else if let Some(doc) = case.get("doc") {
        doc.to_string()
    } else if let Some(stmts) = case.get("stmts") {
        json!({"Version": "1", "Statement": stmts}).to_string()
    } else if let Some(stmt) = case.get("stmt") {
        json!({"Version": "1", "Statement": [stmt]}).to_string()
    } else if let Some(cond) = case.get("cond") {
        json!({"Version": "1", "Statement": [cond_statement(cond)]}).to_string()
    } else {
        return Err("the case has no document".to_owned());
    };
    match case.get("pad") {
        None => Ok(text),
        Some(pad) => {
            let to = pad["to"].as_u64().ok_or("pad.to")? as usize;
            let fill = pad["fill"].as_str().ok_or("pad.fill")?;
            let base = text.chars().count() - "{PAD}".chars().count();
            let fill_len = fill.chars().count();
            let padded = text.replacen("{PAD}", &fill.repeat(to.saturating_sub(base) / fill_len), 1);
            if !text.contains("{PAD}") || padded.chars().count() != to {
                return Err(format!("cannot pad {base} characters to {to} with {fill:?}"));
            }
            Ok(padded)
        }
    }
}

fn parse_options(case: &Value) -> Result<ParseOptions, String> {
    let mut options = match case["grammar"].as_str().unwrap_or("identity") {
        "identity" => ParseOptions::identity(),
        "session" => ParseOptions::session(),
        "trust" => ParseOptions::trust(),
        other => return Err(format!("unknown grammar {other:?}")),
    };
    if let Some(max) = case["max_chars"].as_u64() {
        options = options.max_chars(max as usize);
    }
    Ok(options)
}

fn run_validate(case: &Value) -> Outcome {
    let text = document_text(case)?;
    let options = parse_options(case)?;
    let result = PolicyDocument::parse_with(&text, &options);
    match (case.get("valid"), case.get("invalid"), result) {
        (Some(Value::Bool(true)), None, Ok(_)) => Ok(()),
        (Some(Value::Bool(true)), None, Err(e)) => Err(format!("expected valid, got: {e}")),
        (None, Some(expected), Ok(_)) => Err(format!("expected invalid at {expected}, but it parsed")),
        (None, Some(expected), Err(e)) => {
            let expected: BTreeSet<String> = strings(expected)?.into_iter().collect();
            let problems = e.problems();
            if problems.is_empty() {
                return Err("rejected without any problem".to_owned());
            }
            if let Some(p) = problems.iter().find(|p| p.message.trim().is_empty()) {
                return Err(format!("problem at {:?} has no message", p.path));
            }
            let got: BTreeSet<String> = problems.iter().map(|p| p.path.clone()).collect();
            if got != expected {
                return Err(format!("expected problems at {expected:?}, got: {e}"));
            }
            // The problems say what was found and what is allowed.
            if let Some(texts) = case.get("messages") {
                for text in strings(texts)? {
                    if !problems.iter().any(|p| p.message.contains(&text)) {
                        return Err(format!("no problem message mentions {text:?}: {e}"));
                    }
                }
            }
            Ok(())
        }
        _ => Err("a validate case has exactly one of \"valid\": true and \"invalid\": [paths]".to_owned()),
    }
}

fn strings(v: &Value) -> Result<Vec<String>, String> {
    v.as_array()
        .ok_or_else(|| format!("expected an array of strings, found {v}"))?
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("not a string: {s}"))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Evaluation of one policy set
// ---------------------------------------------------------------------------------------------

struct Policy {
    name: String,
    version: String,
    text: String,
}

fn statements_text(stmts: &Value) -> String {
    json!({"Version": "1", "Statement": stmts}).to_string()
}

fn eval_policies(case: &Value) -> Result<Vec<Policy>, String> {
    if let Some(list) = case.get("policies") {
        let list = list.as_array().ok_or("policies must be an array")?;
        return list
            .iter()
            .map(|p| {
                let text = match (p.get("stmts"), p.get("doc"), p["text"].as_str()) {
                    (Some(s), _, _) => statements_text(s),
                    (_, Some(d), _) => d.to_string(),
                    (_, _, Some(t)) => t.to_owned(),
                    _ => return Err(format!("policy without document: {p}")),
                };
                Ok(Policy {
                    name: p["name"].as_str().ok_or("policy name")?.to_owned(),
                    version: p["version"].as_str().unwrap_or("v1").to_owned(),
                    text,
                })
            })
            .collect();
    }
    let text = if let Some(stmts) = case.get("stmts") {
        statements_text(stmts)
    } else if let Some(cond) = case.get("cond") {
        statements_text(&json!([cond_statement(cond)]))
    } else {
        return Err("an eval case needs policies, stmts or cond".to_owned());
    };
    Ok(vec![Policy {
        name: "p1".into(),
        version: "v1".into(),
        text,
    }])
}

fn build_set<'a>(policies: impl Iterator<Item = &'a Policy>, source: &Source) -> Result<PolicySet, String> {
    let mut builder = PolicySet::builder();
    for p in policies {
        let doc =
            PolicyDocument::parse(&p.text).map_err(|e| format!("policy {} of the case is invalid: {e}", p.name))?;
        builder = builder.add_document(
            PolicyRef::new(p.name.as_str(), p.version.as_str(), source.clone()),
            &doc,
        );
    }
    Ok(builder.build())
}

fn context(case: &Value) -> Result<RequestContext, String> {
    let mut b = RequestContext::builder();
    if let Some(ctx) = case.get("ctx") {
        for (key, value) in ctx.as_object().ok_or("ctx must be an object")? {
            match value {
                Value::String(s) => b = b.add(key, s),
                Value::Array(items) => {
                    for item in items {
                        b = b.add(key, item.as_str().ok_or("ctx values are strings")?);
                    }
                }
                other => return Err(format!("ctx value {other} is not a string or list")),
            }
        }
    }
    if let Some(typed) = case.get("typed") {
        for (setter, value) in typed.as_object().ok_or("typed must be an object")? {
            let s = || value.as_str().ok_or_else(|| format!("typed {setter} takes a string"));
            let flag = || value.as_bool().ok_or_else(|| format!("typed {setter} takes a boolean"));
            let pair = || -> Result<(String, String), String> {
                let v = strings(value)?;
                match v.as_slice() {
                    [k, v] => Ok((k.clone(), v.clone())),
                    _ => Err(format!("typed {setter} takes [tag, value]")),
                }
            };
            b = match setter.as_str() {
                "source_ip" => b.source_ip(s()?.parse::<IpAddr>().map_err(|e| e.to_string())?),
                "secure_transport" => b.secure_transport(flag()?),
                "mfa_present" => b.mfa_present(flag()?),
                "current_time" => b.current_time(s()?.parse::<jiff::Timestamp>().map_err(|e| e.to_string())?),
                "source_vpc" => b.source_vpc(s()?),
                "access_id" => b.access_id(s()?),
                "principal_arn" => b.principal_arn(s()?),
                "user_agent" => b.user_agent(s()?),
                "request_tag" => {
                    let (k, v) = pair()?;
                    b.request_tag(&k, &v)
                }
                "resource_tag" => {
                    let (k, v) = pair()?;
                    b.resource_tag(&k, &v)
                }
                other => return Err(format!("unknown typed setter {other:?}")),
            };
        }
    }
    Ok(b.build())
}

fn expected_decision(case: &Value) -> Result<Option<Decision>, String> {
    match case["expect"].as_str() {
        Some("Allow") => Ok(Some(Decision::Allow)),
        Some("ExplicitDeny") => Ok(Some(Decision::ExplicitDeny)),
        Some("ImplicitDeny") => Ok(Some(Decision::ImplicitDeny)),
        Some("AuthError") => Ok(None),
        other => Err(format!("unknown expect {other:?}")),
    }
}

/// (policy, version, statement)
type StatementId = (String, String, usize);
/// (policy, version, statement, operator, key)
type FailedId = (String, String, usize, String, String);

fn version_of(policies: &[Policy], name: &str) -> String {
    policies
        .iter()
        .find(|p| p.name == name)
        .map_or_else(|| "v1".to_owned(), |p| p.version.clone())
}

fn as_index(v: &Value) -> Result<usize, String> {
    v.as_u64()
        .map(|n| n as usize)
        .ok_or_else(|| format!("not a statement index: {v}"))
}

/// `matched` entries: `3` (statement of p1), `[policy, 3]` or `[policy, version, 3]`.
fn expected_matched(entries: &Value, policies: &[Policy]) -> Result<BTreeSet<StatementId>, String> {
    let mut out = BTreeSet::new();
    for e in entries.as_array().ok_or("matched must be an array")? {
        let id = match e {
            Value::Number(_) => ("p1".to_owned(), version_of(policies, "p1"), as_index(e)?),
            Value::Array(parts) => match parts.as_slice() {
                [Value::String(p), i] => (p.clone(), version_of(policies, p), as_index(i)?),
                [Value::String(p), Value::String(v), i] => (p.clone(), v.clone(), as_index(i)?),
                _ => return Err(format!("bad matched entry {e}")),
            },
            _ => return Err(format!("bad matched entry {e}")),
        };
        out.insert(id);
    }
    Ok(out)
}

/// `failed` entries: `[3, op, key]`, `[policy, 3, op, key]` or `[policy, version, 3, op, key]`;
/// `[op, key]` for the single statement of a `cond` case.
fn expected_failed(entries: &Value, policies: &[Policy]) -> Result<BTreeSet<FailedId>, String> {
    let mut out = BTreeSet::new();
    for e in entries.as_array().ok_or("failed must be an array")? {
        let parts = e.as_array().ok_or_else(|| format!("bad failed entry {e}"))?;
        let s = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("bad failed entry {e}"))
        };
        let id = match parts.as_slice() {
            [op, key] => ("p1".to_owned(), version_of(policies, "p1"), 0, s(op)?, s(key)?),
            [i @ Value::Number(_), op, key] => (
                "p1".to_owned(),
                version_of(policies, "p1"),
                as_index(i)?,
                s(op)?,
                s(key)?,
            ),
            [p, i, op, key] => {
                let p = s(p)?;
                (p.clone(), version_of(policies, &p), as_index(i)?, s(op)?, s(key)?)
            }
            [p, v, i, op, key] => (s(p)?, s(v)?, as_index(i)?, s(op)?, s(key)?),
            _ => return Err(format!("bad failed entry {e}")),
        };
        out.insert(id);
    }
    Ok(out)
}

fn actual_matched(e: &Explanation) -> Result<BTreeSet<StatementId>, String> {
    let mut out = BTreeSet::new();
    for m in &e.matched {
        let effect_ok = match e.decision {
            Decision::Allow => m.effect == ram_core::Effect::Allow,
            Decision::ExplicitDeny => m.effect == ram_core::Effect::Deny,
            Decision::ImplicitDeny => false,
        };
        if !effect_ok {
            return Err(format!(
                "{} explanation lists a {:?} statement: {m:?}",
                e.decision, m.effect
            ));
        }
        if !out.insert((m.policy.to_string(), m.version.to_string(), m.statement)) {
            return Err(format!("statement listed twice in matched: {m:?}"));
        }
    }
    Ok(out)
}

fn actual_failed(e: &Explanation) -> Result<BTreeSet<FailedId>, String> {
    let list = e
        .failed_conditions
        .as_ref()
        .ok_or("an implicit deny must carry failed_conditions (possibly empty)")?;
    Ok(list
        .iter()
        .map(|f| {
            (
                f.policy.to_string(),
                f.version.to_string(),
                f.statement,
                f.operator.to_string(),
                f.key.clone(),
            )
        })
        .collect())
}

/// The (operator, key) pairs of a `cond` block.
fn cond_pairs(cond: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    if let Some(ops) = cond.as_object() {
        for (op, keys) in ops {
            if let Some(keys) = keys.as_object() {
                for key in keys.keys() {
                    out.insert((op.clone(), key.clone()));
                }
            }
        }
    }
    out
}

fn run_eval(case: &Value) -> Outcome {
    let policies = eval_policies(case)?;
    let ctx = context(case)?;
    let action = case["action"].as_str().unwrap_or(DEFAULT_ACTION);
    let resource = case["resource"].as_str().unwrap_or(DEFAULT_RESOURCE);
    let expected = expected_decision(case)?.ok_or("AuthError is only for chain cases")?;

    let set = build_set(policies.iter(), &Source::Policy)?;
    let req = Request::new(action, resource, &ctx);
    let decided = set.decide(&req);
    let explained = set.explain(&req);
    if decided != explained.decision {
        return Err(format!("decide() = {decided} but explain() = {}", explained.decision));
    }
    if decided != expected {
        return Err(format!("expected {expected}, got {decided} ({explained:?})"));
    }
    let matched = actual_matched(&explained)?;
    if expected == Decision::ImplicitDeny {
        if !matched.is_empty() {
            return Err(format!("an implicit deny lists matched statements: {matched:?}"));
        }
        let failed = actual_failed(&explained)?;
        if let Some(entries) = case.get("failed") {
            let want = expected_failed(entries, &policies)?;
            if failed != want {
                return Err(format!("expected failed_conditions {want:?}, got {failed:?}"));
            }
        } else if let Some(cond) = case.get("cond") {
            let pairs = cond_pairs(cond);
            let ok = !failed.is_empty()
                && failed.iter().all(|(p, v, s, op, key)| {
                    p == "p1" && v == "v1" && *s == 0 && pairs.contains(&(op.clone(), key.clone()))
                })
                && (pairs.len() != 1 || failed.len() == 1);
            if !ok {
                return Err(format!(
                    "failed_conditions should name the failing tests among {pairs:?}, got {failed:?}"
                ));
            }
        }
    } else {
        let want = match case.get("matched") {
            Some(entries) => expected_matched(entries, &policies)?,
            None if case.get("cond").is_some() => BTreeSet::from([("p1".to_owned(), "v1".to_owned(), 0)]),
            None => return Err("an Allow/ExplicitDeny case must list matched statements".to_owned()),
        };
        if matched != want {
            return Err(format!("expected matched {want:?}, got {matched:?}"));
        }
    }

    // Policy order never matters: the same decision and the same deciding statements.
    let reversed = build_set(policies.iter().rev(), &Source::Policy)?;
    let again = reversed.explain(&req);
    if again.decision != decided || actual_matched(&again)? != matched {
        return Err(format!("reversing the policy order changed the outcome: {again:?}"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The evaluation chain (guardrails, session policy, identity policies)
// ---------------------------------------------------------------------------------------------

fn create_policy(name: &str, stmts: &Value) -> Change {
    Change::CreatePolicy {
        name: name.to_owned(),
        document: statements_text(stmts),
        description: String::new(),
    }
}

fn attach(target: PolicyTarget, name: &str) -> Change {
    Change::AttachPolicy {
        target,
        policy_type: None,
        policy: name.to_owned(),
    }
}

fn list<'a>(case: &'a Value, field: &str) -> Result<&'a [Value], String> {
    match case.get(field) {
        None => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(format!("{field} must be an array, found {other}")),
    }
}

fn base_directory() -> Vec<Change> {
    vec![
        Change::CreateUser {
            name: "alice".into(),
            display_name: None,
        },
        Change::CreateRole {
            name: "ops".into(),
            trust_policy: format!(
                r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":"acs:ram::{ACCOUNT}:root"}}}}]}}"#
            ),
            max_session_duration: None,
        },
    ]
}

fn run_chain(case: &Value) -> Outcome {
    let auth = Authorizer::new(Directory::new(ACCOUNT).map_err(|e| e.to_string())?);
    let mut changes = base_directory();
    for (i, stmts) in list(case, "user")?.iter().enumerate() {
        let name = format!("U{i}");
        changes.push(create_policy(&name, stmts));
        changes.push(attach(PolicyTarget::User("alice".into()), &name));
    }
    if let Some(groups) = case.get("groups") {
        for (group, policies) in groups.as_object().ok_or("groups must be an object")? {
            changes.push(Change::CreateGroup { name: group.clone() });
            changes.push(Change::AddUserToGroup {
                group: group.clone(),
                user: "alice".into(),
            });
            for (i, stmts) in policies.as_array().ok_or("group policies")?.iter().enumerate() {
                let name = format!("G-{group}-{i}");
                changes.push(create_policy(&name, stmts));
                changes.push(attach(PolicyTarget::Group(group.clone()), &name));
            }
        }
    }
    for (i, stmts) in list(case, "role")?.iter().enumerate() {
        let name = format!("R{i}");
        changes.push(create_policy(&name, stmts));
        changes.push(attach(PolicyTarget::Role("ops".into()), &name));
    }
    for (i, stmts) in list(case, "guardrails")?.iter().enumerate() {
        let name = format!("GR{i}");
        changes.push(create_policy(&name, stmts));
        changes.push(Change::AttachGuardrail {
            policy_type: None,
            policy: name,
        });
    }
    auth.apply(&changes)
        .map_err(|e| format!("setting up the directory: {e}"))?;

    let session = match case.get("session") {
        None => None,
        Some(stmts) => {
            let p = Policy {
                name: "S0".into(),
                version: "v1".into(),
                text: statements_text(stmts),
            };
            Some(build_set(std::iter::once(&p), &Source::Session)?)
        }
    };
    let caller = match case["caller"].as_str() {
        Some("user") => Caller::user("alice"),
        Some("role") => Caller {
            principal: Principal::RoleSession {
                role: "ops",
                session_policy: session.as_ref(),
            },
            access_key_id: None,
        },
        Some("root") => Caller::root(),
        Some("root_key") => Caller {
            principal: Principal::Root,
            access_key_id: Some("LTAIrootkey0000000000000"),
        },
        other => return Err(format!("unknown caller {other:?}")),
    };
    if session.is_some() && !matches!(caller.principal, Principal::RoleSession { .. }) {
        return Err("a session policy needs the role caller".to_owned());
    }

    let ctx = context(case)?;
    let action = case["action"].as_str().unwrap_or(DEFAULT_ACTION);
    let resource = case["resource"].as_str().unwrap_or(DEFAULT_RESOURCE);
    let req = Request::new(action, resource, &ctx);
    let checked = auth.check(&caller, &req);
    let explained = auth.explain(&caller, &req);
    let expected = expected_decision(case)?;
    let (decision, explanation) = match (checked, explained, expected) {
        (Err(a), Err(b), None) if a == b => return Ok(()),
        (Err(a), Err(b), None) => return Err(format!("check and explain fail differently: {a:?} / {b:?}")),
        (Ok(d), Ok(e), Some(want)) => {
            if d != e.decision {
                return Err(format!("check() = {d} but explain() = {}", e.decision));
            }
            if d != want {
                return Err(format!("expected {want}, got {d} ({e:?})"));
            }
            (d, e)
        }
        (c, e, want) => return Err(format!("expected {want:?}, got check {c:?} / explain {e:?}")),
    };
    let got: BTreeSet<(String, String, usize)> = explanation
        .matched
        .iter()
        .map(|m| (m.source.to_string(), m.policy.to_string(), m.statement))
        .collect();
    let want: BTreeSet<(String, String, usize)> = match case.get("matched") {
        None if decision == Decision::Allow && case["caller"] == "root" => BTreeSet::new(),
        None if decision == Decision::ImplicitDeny => BTreeSet::new(),
        None => return Err("an Allow/ExplicitDeny chain case must list matched statements".to_owned()),
        Some(entries) => entries
            .as_array()
            .ok_or("matched must be an array")?
            .iter()
            .map(|e| match e.as_array().map(Vec::as_slice) {
                Some([Value::String(s), Value::String(p), i]) => Ok((s.clone(), p.clone(), as_index(i)?)),
                _ => Err(format!("bad chain matched entry {e}")),
            })
            .collect::<Result<_, _>>()?,
    };
    if got != want {
        return Err(format!("expected matched {want:?}, got {got:?}"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Policy names and versions (section 1 limits)
// ---------------------------------------------------------------------------------------------

fn run_policy_name(case: &Value) -> Outcome {
    let name = match (case["name"].as_str(), case["name_repeat"].as_array()) {
        (Some(n), _) => n.to_owned(),
        (None, Some(r)) => r[0].as_str().ok_or("name_repeat")?.repeat(as_index(&r[1])?),
        _ => return Err("policy_name cases need name or name_repeat".to_owned()),
    };
    let valid = case["valid"].as_bool().ok_or("valid")?;
    let mut dir = Directory::new(ACCOUNT).map_err(|e| e.to_string())?;
    let result = dir.apply_at(&[create_policy(&name, &json!([]))], jiff::Timestamp::UNIX_EPOCH);
    match (valid, result) {
        (true, Ok(_)) => Ok(()),
        (false, Err(e)) if e.code() == "InvalidParameter.PolicyName" => Ok(()),
        (false, Err(e)) => Err(format!(
            "rejected with {} instead of InvalidParameter.PolicyName: {e}",
            e.code()
        )),
        (true, Err(e)) => Err(format!("expected a valid name, got {e}")),
        (false, Ok(_)) => Err("expected the name to be rejected".to_owned()),
    }
}

fn run_policy_versions(case: &Value) -> Outcome {
    let versions = as_index(&case["versions"])?;
    let valid = case["valid"].as_bool().ok_or("valid")?;
    let mut dir = Directory::new(ACCOUNT).map_err(|e| e.to_string())?;
    let now = jiff::Timestamp::UNIX_EPOCH;
    dir.apply_at(&[create_policy("Versioned", &json!([]))], now)
        .map_err(|e| e.to_string())?;
    for n in 2..=versions {
        let result = dir.apply_at(
            &[Change::CreatePolicyVersion {
                name: "Versioned".into(),
                document: statements_text(&json!([])),
                set_as_default: false,
                rotate: false,
            }],
            now,
        );
        match (result, n == versions && !valid) {
            (Ok(_), false) => {}
            (Err(e), true) if e.code().starts_with("LimitExceeded") => return Ok(()),
            (Err(e), _) => return Err(format!("version {n}: {e}")),
            (Ok(_), true) => return Err(format!("version {n} should exceed the limit")),
        }
    }
    if valid {
        Ok(())
    } else {
        Err("the last version should have been refused".to_owned())
    }
}

// ---------------------------------------------------------------------------------------------
// Scripted cases: a rejected document is never applied (section 1); policies, attachments and
// membership are read at decision time (section 4)
// ---------------------------------------------------------------------------------------------

type ScriptedCase = (&'static str, fn() -> Outcome);

const SCRIPTED_CASES: &[ScriptedCase] = &[
    ("1.reject.never-partly-applied", rejected_document_never_applied),
    ("4.dynamic.detach-applies-to-next-check", dynamic_detach),
    ("4.dynamic.new-default-version-applies", dynamic_new_version),
    ("4.dynamic.group-membership-read-at-decision", dynamic_membership),
    ("4.dynamic.delete-user-denies-at-once", dynamic_delete_user),
    ("4.dynamic.disabled-key-denies-at-once", dynamic_disable_key),
];

fn decide_for(auth: &Authorizer, caller: &Caller<'_>) -> Result<Decision, AuthError> {
    let ctx = RequestContext::new();
    auth.check(caller, &Request::new(DEFAULT_ACTION, DEFAULT_RESOURCE, &ctx))
}

fn expect_decision(step: &str, got: Result<Decision, AuthError>, want: Result<Decision, ()>) -> Outcome {
    match (got, want) {
        (Ok(g), Ok(w)) if g == w => Ok(()),
        (Err(_), Err(())) => Ok(()),
        (g, w) => Err(format!("{step}: expected {w:?}, got {g:?}")),
    }
}

fn allow_ecs() -> Value {
    json!([{"Effect": "Allow", "Action": "ecs:*", "Resource": "*"}])
}

fn dynamic_setup(extra: Vec<Change>) -> Result<Authorizer, String> {
    let auth = Authorizer::new(Directory::new(ACCOUNT).map_err(|e| e.to_string())?);
    let mut changes = base_directory();
    changes.push(create_policy("EcsAll", &allow_ecs()));
    changes.extend(extra);
    auth.apply(&changes).map_err(|e| e.to_string())?;
    Ok(auth)
}

fn rejected_document_never_applied() -> Outcome {
    let auth = dynamic_setup(vec![attach(PolicyTarget::User("alice".into()), "EcsAll")])?;
    let alice = Caller::user("alice");
    // A valid Deny next to an invalid statement: the whole document is rejected.
    let bad = json!([
        {"Effect": "Deny", "Action": "ecs:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "ecs", "Resource": "*"}
    ]);
    let refused = |step: &str, result: Result<_, ram_core::directory::DirectoryError>| match result {
        Err(e) if e.code() == "MalformedPolicyDocument" => Ok(()),
        other => Err(format!("{step}: expected MalformedPolicyDocument, got {other:?}")),
    };
    refused(
        "new default version",
        auth.apply(&[Change::CreatePolicyVersion {
            name: "EcsAll".into(),
            document: statements_text(&bad),
            set_as_default: true,
            rotate: false,
        }]),
    )?;
    expect_decision(
        "after the refused version",
        decide_for(&auth, &alice),
        Ok(Decision::Allow),
    )?;
    refused(
        "new policy",
        auth.apply(&[
            create_policy("Broken", &bad),
            attach(PolicyTarget::User("alice".into()), "Broken"),
        ]),
    )?;
    expect_decision(
        "after the refused policy",
        decide_for(&auth, &alice),
        Ok(Decision::Allow),
    )?;
    if auth.snapshot().directory().custom_policy("Broken").is_some() {
        return Err("the refused policy was stored".to_owned());
    }
    Ok(())
}

fn dynamic_detach() -> Outcome {
    let auth = dynamic_setup(vec![attach(PolicyTarget::User("alice".into()), "EcsAll")])?;
    let alice = Caller::user("alice");
    expect_decision("attached", decide_for(&auth, &alice), Ok(Decision::Allow))?;
    auth.apply(&[Change::DetachPolicy {
        target: PolicyTarget::User("alice".into()),
        policy_type: None,
        policy: "EcsAll".into(),
    }])
    .map_err(|e| e.to_string())?;
    expect_decision("detached", decide_for(&auth, &alice), Ok(Decision::ImplicitDeny))
}

fn dynamic_new_version() -> Outcome {
    let auth = dynamic_setup(vec![attach(PolicyTarget::User("alice".into()), "EcsAll")])?;
    let alice = Caller::user("alice");
    expect_decision("v1", decide_for(&auth, &alice), Ok(Decision::Allow))?;
    auth.apply(&[Change::CreatePolicyVersion {
        name: "EcsAll".into(),
        document: statements_text(&json!([{"Effect": "Deny", "Action": "ecs:*", "Resource": "*"}])),
        set_as_default: true,
        rotate: false,
    }])
    .map_err(|e| e.to_string())?;
    expect_decision("v2 default", decide_for(&auth, &alice), Ok(Decision::ExplicitDeny))
}

fn dynamic_membership() -> Outcome {
    let auth = dynamic_setup(vec![
        Change::CreateGroup { name: "dev".into() },
        attach(PolicyTarget::Group("dev".into()), "EcsAll"),
    ])?;
    let alice = Caller::user("alice");
    expect_decision("not a member", decide_for(&auth, &alice), Ok(Decision::ImplicitDeny))?;
    auth.apply(&[Change::AddUserToGroup {
        group: "dev".into(),
        user: "alice".into(),
    }])
    .map_err(|e| e.to_string())?;
    expect_decision("member", decide_for(&auth, &alice), Ok(Decision::Allow))?;
    auth.apply(&[Change::RemoveUserFromGroup {
        group: "dev".into(),
        user: "alice".into(),
    }])
    .map_err(|e| e.to_string())?;
    expect_decision("removed", decide_for(&auth, &alice), Ok(Decision::ImplicitDeny))
}

fn dynamic_delete_user() -> Outcome {
    let auth = dynamic_setup(vec![attach(PolicyTarget::User("alice".into()), "EcsAll")])?;
    let alice = Caller::user("alice");
    expect_decision("before", decide_for(&auth, &alice), Ok(Decision::Allow))?;
    auth.apply(&[Change::DeleteUser {
        name: "alice".into(),
        cascade: true,
    }])
    .map_err(|e| e.to_string())?;
    expect_decision("deleted", decide_for(&auth, &alice), Err(()))
}

fn dynamic_disable_key() -> Outcome {
    let auth = dynamic_setup(vec![
        attach(PolicyTarget::User("alice".into()), "EcsAll"),
        Change::CreateAccessKey {
            user: "alice".into(),
            access_key_id: "LTAIconformance000000001".into(),
            access_key_secret: "s".repeat(30),
        },
    ])?;
    let keyed = Caller::user_with_key("alice", "LTAIconformance000000001");
    expect_decision("active key", decide_for(&auth, &keyed), Ok(Decision::Allow))?;
    auth.apply(&[Change::UpdateAccessKey {
        user: "alice".into(),
        access_key_id: "LTAIconformance000000001".into(),
        status: AccessKeyStatus::Inactive,
    }])
    .map_err(|e| e.to_string())?;
    expect_decision("inactive key", decide_for(&auth, &keyed), Err(()))
}
