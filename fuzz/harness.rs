//! The per-input logic of the fuzz targets, shared by `fuzz_targets/*.rs` (libFuzzer) and by
//! `ram-core/tests/fuzz_corpus.rs`, which replays the committed corpora in a plain
//! `cargo test` run. Each function must never panic; an assertion here is a bug found.

// Each fuzz target uses one of the two entry points.
#![allow(dead_code)]

use std::sync::Arc;

use ram_core::{
    CompiledPolicy, Decision, Effect, Explanation, ParseOptions, PolicyDocument, PolicyError, PolicyKind, PolicyRef,
    PolicySet, Request, RequestContext, Source,
};

/// Arbitrary bytes as a policy document: when they are UTF-8, parse them with every grammar
/// and limit, render every error, and compile every valid document.
pub fn parse_policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let identity = check_parse(text, &ParseOptions::identity(), PolicyKind::Identity);
    let session = check_parse(text, &ParseOptions::session(), PolicyKind::Identity);
    let trust = check_parse(text, &ParseOptions::trust(), PolicyKind::Trust);
    let unlimited = check_parse(
        text,
        &ParseOptions::identity().max_chars(usize::MAX),
        PolicyKind::Identity,
    );
    // The session grammar is the identity grammar with a smaller limit.
    if session {
        assert!(identity, "valid as a session policy but not as an identity policy");
    }
    if identity {
        assert!(unlimited, "valid with a limit but not without one");
        if text.chars().count() <= ram_core::MAX_SESSION_POLICY_CHARS {
            assert!(session, "a short valid identity policy is not a valid session policy");
        }
    }
    let _ = trust;
}

/// Parses `text`, checks the result's invariants and says whether it was valid.
fn check_parse(text: &str, options: &ParseOptions, kind: PolicyKind) -> bool {
    match PolicyDocument::parse_with(text, options) {
        Ok(doc) => {
            assert_eq!(doc.kind(), kind);
            let compiled = CompiledPolicy::new(&doc);
            assert_eq!(compiled.len(), doc.statements().len());
            // A valid document reparses to the same statements.
            let again = PolicyDocument::parse_with(text, options).expect("a valid document stays valid");
            assert_eq!(again.statements().len(), doc.statements().len());
            true
        }
        Err(e) => {
            check_error(&e);
            false
        }
    }
}

fn check_error(e: &PolicyError) {
    let rendered = e.to_string();
    assert!(!rendered.is_empty());
    let _ = format!("{e:?}");
    assert_eq!(e.code(), "MalformedPolicyDocument");
    assert!(
        !e.problems().is_empty(),
        "a rejected document names at least one problem"
    );
    for p in e.problems() {
        assert!(
            p.path.is_empty() || p.path.starts_with('/'),
            "not a JSON Pointer: {:?}",
            p.path
        );
        assert!(!p.message.is_empty());
        let _ = p.to_string();
    }
    serde_json::to_string(e.problems()).expect("problems serialize");
}

/// Most policies and context entries an `evaluate` input may carry.
const MAX_POLICIES: usize = 4;
const MAX_CONTEXT: usize = 8;

/// An arbitrary (policies, request) pair, as text split at NUL bytes:
///
/// `POLICIES \0 ACTION \0 RESOURCE \0 KEY=VALUE \0 KEY=VALUE ...`
///
/// where `POLICIES` is up to four documents separated by `\x01` (each parsed as an identity
/// policy, else as a trust policy, else skipped) and each context entry adds one value to a
/// key (a repeated key is multi-valued). Invalid UTF-8 is replaced, not rejected.
///
/// Checks: `decide` agrees with `explain`, the explanation's shape fits its decision, the
/// decision does not depend on policy order or on the ASCII case of the action, and the set's
/// decision is the combination of each policy's own decision (any deny, else any allow).
pub fn evaluate(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let policies = parts.next().unwrap_or_default();
    let action = parts.next().unwrap_or_default();
    let resource = parts.next().unwrap_or_default();
    let mut context = RequestContext::builder();
    for entry in parts.take(MAX_CONTEXT) {
        let (key, value) = entry.split_once('=').unwrap_or((entry, ""));
        context = context.add(key, value);
    }
    let context = context.build();

    let mut compiled: Vec<(PolicyRef, Arc<CompiledPolicy>)> = Vec::new();
    for (i, doc) in policies.split('\x01').take(MAX_POLICIES).enumerate() {
        let parsed = PolicyDocument::parse(doc).or_else(|_| PolicyDocument::parse_with(doc, &ParseOptions::trust()));
        if let Ok(doc) = parsed {
            let source = match i {
                0 => Source::User,
                1 => Source::Group("dev".into()),
                2 => Source::Guardrail,
                _ => Source::Policy,
            };
            compiled.push((
                PolicyRef::new(format!("p{i}"), "v1", source),
                Arc::new(CompiledPolicy::new(&doc)),
            ));
        }
    }
    let build = |policies: &mut dyn Iterator<Item = &(PolicyRef, Arc<CompiledPolicy>)>| {
        let mut b = PolicySet::builder();
        for (r, p) in policies {
            b.push(r.clone(), p.clone());
        }
        b.build()
    };
    let set = build(&mut compiled.iter());
    let request = Request::new(action, resource, &context);

    let decision = set.decide(&request);
    let explanation = set.explain(&request);
    assert_eq!(decision, explanation.decision, "decide and explain disagree");
    check_explanation(&explanation, &compiled);
    serde_json::to_string(&explanation).expect("an explanation serializes");

    let reversed = build(&mut compiled.iter().rev());
    assert_eq!(reversed.decide(&request), decision, "policy order changed the decision");

    for folded in [action.to_ascii_lowercase(), action.to_ascii_uppercase()] {
        let r = Request::new(&folded, resource, &context);
        assert_eq!(set.decide(&r), decision, "action case changed the decision");
    }

    let each: Vec<Decision> = compiled
        .iter()
        .map(|p| build(&mut std::iter::once(p)).decide(&request))
        .collect();
    let combined = if each.contains(&Decision::ExplicitDeny) {
        Decision::ExplicitDeny
    } else if each.contains(&Decision::Allow) {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    };
    assert_eq!(decision, combined, "the set disagrees with its policies one by one");
}

fn check_explanation(e: &Explanation, policies: &[(PolicyRef, Arc<CompiledPolicy>)]) {
    let statement_exists =
        |policy: &str, statement: usize| policies.iter().any(|(r, p)| &*r.name == policy && statement < p.len());
    match e.decision {
        Decision::ImplicitDeny => {
            assert!(e.matched.is_empty(), "an implicit deny names no deciding statement");
            let failed = e
                .failed_conditions
                .as_ref()
                .expect("an implicit deny lists failed conditions");
            for f in failed {
                assert!(statement_exists(&f.policy, f.statement));
                let _ = (f.operator.to_string(), f.source.to_string());
            }
        }
        d => {
            let effect = if d == Decision::Allow {
                Effect::Allow
            } else {
                Effect::Deny
            };
            assert!(!e.matched.is_empty(), "{d} names no statement");
            assert!(e.failed_conditions.is_none());
            for m in &e.matched {
                assert_eq!(m.effect, effect);
                assert!(statement_exists(&m.policy, m.statement));
                let _ = m.source.to_string();
            }
        }
    }
}
