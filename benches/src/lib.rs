//! Shared workload builders for the benchmarks (see `../shared/bench/workloads.md`).
//!
//! # W-policies, filler F2, as the policy set that alice sees
//!
//! Account `123456`; user `alice` is a member of group `dev`. The set holds:
//!
//! - the ten relevant statements R1–R10, **one statement per policy** (`R1` … `R10`, version
//!   `v1`), so an explanation names the statement that decided, as the peers' encodings (one
//!   Cedar policy or casbin row per statement) do. R1 and R3–R7 are attached to group `dev`
//!   ([`Source::Group`]`("dev")`), R2 and R8–R10 to alice ([`Source::User`]);
//! - F2 filler up to the requested total: Allow `svc{i}:Get*` on
//!   `acs:svc{i}:cn-hangzhou:123456:*`, attached to group `dev`, packed into policies of
//!   [`FILLER_STATEMENTS_PER_POLICY`] statements each (`F2-0`, `F2-1`, …; the last one may be
//!   shorter). Ten such statements are about 1,100 characters, well within RAM's 6,144-character
//!   limit, and a 10,000-statement set is then 1,009 policies, in line with the quotas of an
//!   account.
//!
//! Every document goes through [`PolicyDocument::parse`] and is compiled once by
//! [`PolicySet::builder`]; nothing is cached between decisions.
//!
//! ```
//! use ram_benches::{WPolicies, w_policies_f2};
//! use ram_core::Decision;
//!
//! let set = w_policies_f2(100);
//! assert_eq!(set.statement_count(), 100);
//! let w = WPolicies::new();
//! assert_eq!(set.decide(&w.allow()[7]), Decision::Allow);
//! assert_eq!(set.decide(&w.explicit_deny()), Decision::ExplicitDeny);
//! assert_eq!(set.decide(&w.implicit_deny()[7]), Decision::ImplicitDeny);
//! ```

pub mod args;
pub mod directory;
pub mod latency;
pub mod peers;
pub mod workload;

use std::sync::Arc;

use ram_core::{PolicyDocument, PolicyRef, PolicySet, Request, RequestContext, Source};

/// Statement totals measured: 10 (relevant only), 100, 1,000 and 10,000.
pub const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

/// Number of distinct resources the allow and implicit-deny requests cycle through.
pub const RESOURCES: usize = 1_024;

/// F2 filler statements per policy document.
pub const FILLER_STATEMENTS_PER_POLICY: usize = 10;

/// Who a relevant statement is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attached {
    /// Group `dev`.
    GroupDev,
    /// User `alice`.
    UserAlice,
}

/// One row of the W-policies table: (name, effect, attached to, action, resource).
pub type Relevant = (&'static str, &'static str, Attached, &'static str, &'static str);

/// The ten relevant statements R1–R10.
pub const RELEVANT: [Relevant; 10] = [
    (
        "R1",
        "Allow",
        Attached::GroupDev,
        "ecs:Describe*",
        "acs:ecs:cn-hangzhou:123456:instance/*",
    ),
    (
        "R2",
        "Allow",
        Attached::UserAlice,
        "ecs:*",
        "acs:ecs:cn-hangzhou:123456:instance/*",
    ),
    ("R3", "Deny", Attached::GroupDev, "ecs:Delete*", "*"),
    (
        "R4",
        "Allow",
        Attached::GroupDev,
        "oss:Get*",
        "acs:oss:*:123456:bucket/public/*",
    ),
    (
        "R5",
        "Allow",
        Attached::GroupDev,
        "rds:Describe*",
        "acs:rds:cn-hangzhou:123456:dbinstance/*",
    ),
    (
        "R6",
        "Allow",
        Attached::GroupDev,
        "slb:Describe*",
        "acs:slb:cn-hangzhou:123456:loadbalancer/*",
    ),
    (
        "R7",
        "Allow",
        Attached::GroupDev,
        "vpc:Describe*",
        "acs:vpc:cn-hangzhou:123456:vpc/*",
    ),
    (
        "R8",
        "Allow",
        Attached::UserAlice,
        "ram:Get*",
        "acs:ram:*:123456:user/alice",
    ),
    (
        "R9",
        "Allow",
        Attached::UserAlice,
        "log:Get*",
        "acs:log:cn-hangzhou:123456:project/*",
    ),
    (
        "R10",
        "Deny",
        Attached::UserAlice,
        "oss:Delete*",
        "acs:oss:*:123456:bucket/*",
    ),
];

fn statement_json(effect: &str, action: &str, resource: &str) -> String {
    format!(r#"{{"Effect":"{effect}","Action":"{action}","Resource":"{resource}"}}"#)
}

fn document(statements: &[String]) -> PolicyDocument {
    let text = format!(r#"{{"Version":"1","Statement":[{}]}}"#, statements.join(","));
    PolicyDocument::parse(&text).unwrap_or_else(|e| panic!("workload policy is invalid: {e}\n{text}"))
}

/// The relevant policies R1–R10, one statement each.
pub fn relevant_policies() -> Vec<(PolicyRef, PolicyDocument)> {
    let dev: Arc<str> = "dev".into();
    RELEVANT
        .iter()
        .map(|&(name, effect, attached, action, resource)| {
            let source = match attached {
                Attached::GroupDev => Source::Group(dev.clone()),
                Attached::UserAlice => Source::User,
            };
            (
                PolicyRef::new(name, "v1", source),
                document(&[statement_json(effect, action, resource)]),
            )
        })
        .collect()
}

/// `n` F2 filler statements, attached to group `dev`, in policies of
/// [`FILLER_STATEMENTS_PER_POLICY`] statements.
pub fn f2_filler_policies(n: usize) -> Vec<(PolicyRef, PolicyDocument)> {
    let dev: Arc<str> = "dev".into();
    let statements: Vec<String> = (0..n)
        .map(|i| {
            statement_json(
                "Allow",
                &format!("svc{i}:Get*"),
                &format!("acs:svc{i}:cn-hangzhou:123456:*"),
            )
        })
        .collect();
    statements
        .chunks(FILLER_STATEMENTS_PER_POLICY)
        .enumerate()
        .map(|(k, chunk)| {
            (
                PolicyRef::new(format!("F2-{k}"), "v1", Source::Group(dev.clone())),
                document(chunk),
            )
        })
        .collect()
}

/// The W-policies set alice sees with F2 filler, `total` statements in all (at least 10).
pub fn w_policies_f2(total: usize) -> PolicySet {
    assert!(
        total >= RELEVANT.len(),
        "the ten relevant statements are always present"
    );
    let mut builder = PolicySet::builder();
    for (r, doc) in relevant_policies()
        .into_iter()
        .chain(f2_filler_policies(total - RELEVANT.len()))
    {
        builder = builder.add_document(r, &doc);
    }
    builder.build()
}

/// The requests of W-policies with their context, built once so that benchmarks measure
/// decisions only.
///
/// The context is what a service would pass for a console request (source IP, TLS, time);
/// no W-policies statement has a condition, so it only has to be present.
#[derive(Clone, Debug)]
pub struct WPolicies {
    context: RequestContext,
    instances: Vec<String>,
    log_objects: Vec<String>,
}

/// Action of the allow request.
pub const ALLOW_ACTION: &str = "ecs:DescribeInstances";
/// Action of the explicit-deny request.
pub const EXPLICIT_DENY_ACTION: &str = "ecs:DeleteInstance";
/// Resource of the explicit-deny request.
pub const EXPLICIT_DENY_RESOURCE: &str = "acs:ecs:cn-hangzhou:123456:instance/i-001";
/// Action of the implicit-deny request.
pub const IMPLICIT_DENY_ACTION: &str = "oss:PutObject";

impl WPolicies {
    /// Builds the context and the 1,024 resource ids of each cycling request.
    pub fn new() -> WPolicies {
        let context = RequestContext::builder()
            .source_ip("198.51.100.23".parse().expect("an IP address"))
            .secure_transport(true)
            .current_time("2026-11-28T10:00:00Z".parse().expect("an instant"))
            .build();
        WPolicies {
            context,
            instances: (0..RESOURCES)
                .map(|i| format!("acs:ecs:cn-hangzhou:123456:instance/i-{i:04}"))
                .collect(),
            log_objects: (0..RESOURCES)
                .map(|i| format!("acs:oss:cn-hangzhou:123456:bucket/logs/{i}.txt"))
                .collect(),
        }
    }

    /// `ecs:DescribeInstances` on `instance/i-0000` … `instance/i-1023`: Allow (R1, R2).
    pub fn allow(&self) -> Vec<Request<'_>> {
        self.instances
            .iter()
            .map(|r| Request::new(ALLOW_ACTION, r, &self.context))
            .collect()
    }

    /// `ecs:DeleteInstance` on `instance/i-001`: ExplicitDeny (R3).
    pub fn explicit_deny(&self) -> Request<'_> {
        Request::new(EXPLICIT_DENY_ACTION, EXPLICIT_DENY_RESOURCE, &self.context)
    }

    /// `oss:PutObject` on `bucket/logs/0.txt` … `bucket/logs/1023.txt`: ImplicitDeny.
    pub fn implicit_deny(&self) -> Vec<Request<'_>> {
        self.log_objects
            .iter()
            .map(|r| Request::new(IMPLICIT_DENY_ACTION, r, &self.context))
            .collect()
    }
}

impl Default for WPolicies {
    fn default() -> Self {
        WPolicies::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ram_core::Decision;

    #[test]
    fn sizes_and_expected_decisions() {
        let w = WPolicies::new();
        for total in SIZES {
            let set = w_policies_f2(total);
            assert_eq!(set.statement_count(), total);
            for req in w.allow() {
                assert_eq!(set.decide(&req), Decision::Allow, "{total} {}", req.resource);
            }
            for req in w.implicit_deny() {
                assert_eq!(set.decide(&req), Decision::ImplicitDeny, "{total} {}", req.resource);
            }
            assert_eq!(set.decide(&w.explicit_deny()), Decision::ExplicitDeny);
        }
    }

    #[test]
    fn explanations_name_the_relevant_statements() {
        let w = WPolicies::new();
        let set = w_policies_f2(1_000);
        let names = |req: &Request<'_>| -> Vec<(String, String)> {
            set.explain(req)
                .matched
                .iter()
                .map(|m| (m.policy.to_string(), m.source.to_string()))
                .collect()
        };
        let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        assert_eq!(names(&w.allow()[0]), [s("R1", "group:dev"), s("R2", "user")]);
        assert_eq!(names(&w.explicit_deny()), [s("R3", "group:dev")]);
        let e = set.explain(&w.implicit_deny()[0]);
        assert_eq!(e.decision, Decision::ImplicitDeny);
        assert_eq!(e.failed_conditions, Some(Vec::new()));
    }

    #[test]
    fn filler_is_packed_and_within_the_size_limit() {
        let filler = f2_filler_policies(25);
        assert_eq!(filler.len(), 3);
        assert_eq!(filler[2].1.statements().len(), 5);
        let longest = (0..FILLER_STATEMENTS_PER_POLICY)
            .map(|i| {
                let i = i + 9_990;
                statement_json(
                    "Allow",
                    &format!("svc{i}:Get*"),
                    &format!("acs:svc{i}:cn-hangzhou:123456:*"),
                )
                .len()
                    + 1
            })
            .sum::<usize>();
        assert!(longest < ram_core::MAX_POLICY_CHARS);
    }
}
