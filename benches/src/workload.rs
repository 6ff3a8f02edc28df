//! W-policies in engine-neutral terms, for the side-by-side comparison with the peers
//! (`../shared/bench/workloads.md`).
//!
//! [`statements`] lists every statement of a workload (R1–R10 from [`crate::RELEVANT`], then
//! F1 or F2 filler up to the total), and the peers ([`crate::peers`]) translate that list
//! mechanically. [`ram_set`] is the set `ram` evaluates for alice:
//!
//! - F2 (group `dev`, other services): [`crate::w_policies_f2`], all `total` statements,
//!   since every F2 statement is attached to a group alice is in;
//! - F1 (other principals): only R1–R10. F1 filler is attached to users `u{i}`, so it is not
//!   part of the set alice sees — `ram` keeps one compiled set per principal, which is the
//!   index by principal that makes such filler cost nothing. The peers get all `total`
//!   statements, as they have no notion of a per-principal set.
//!
//! [`Requests`] holds the strings of the three requests (the same as [`crate::WPolicies`]):
//! the allow and implicit-deny requests cycle through [`crate::RESOURCES`] resources.

use std::fmt;

use ram_core::{Decision, PolicySet, Request, RequestContext};

use crate::{
    ALLOW_ACTION, Attached, EXPLICIT_DENY_ACTION, EXPLICIT_DENY_RESOURCE, IMPLICIT_DENY_ACTION, RELEVANT, RESOURCES,
};

/// The shape of the filler statements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Filler {
    /// Other principals: Allow, user `u{i}`, `ecs:Describe*` on
    /// `acs:ecs:cn-hangzhou:123456:instance/*`.
    F1,
    /// Same group, other services: Allow, group `dev`, `svc{i}:Get*` on
    /// `acs:svc{i}:cn-hangzhou:123456:*`.
    F2,
}

impl Filler {
    /// Both shapes.
    pub const ALL: [Filler; 2] = [Filler::F1, Filler::F2];

    /// `"F1"` or `"F2"`.
    pub fn name(self) -> &'static str {
        match self {
            Filler::F1 => "F1",
            Filler::F2 => "F2",
        }
    }
}

impl fmt::Display for Filler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Allow or Deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

/// Who a statement is attached to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// User `alice`.
    Alice,
    /// Group `dev` (alice is a member).
    Dev,
    /// Another user (F1 filler: `u{i}`).
    User(String),
}

/// One statement of the workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// `R1` … `R10`, `F1-{i}` or `F2-{i}`.
    pub id: String,
    /// Allow or Deny.
    pub effect: Effect,
    /// Who it is attached to.
    pub principal: Principal,
    /// The action pattern (`ecs:Describe*`).
    pub action: String,
    /// The resource pattern (`acs:ecs:cn-hangzhou:123456:instance/*`, or `*`).
    pub resource: String,
}

/// The ten relevant statements, then `total - 10` filler statements of the given shape.
pub fn statements(filler: Filler, total: usize) -> Vec<Statement> {
    assert!(
        total >= RELEVANT.len(),
        "the ten relevant statements are always present"
    );
    let relevant = RELEVANT
        .iter()
        .map(|&(id, effect, attached, action, resource)| Statement {
            id: id.to_owned(),
            effect: match effect {
                "Allow" => Effect::Allow,
                "Deny" => Effect::Deny,
                other => panic!("unknown effect {other}"),
            },
            principal: match attached {
                Attached::GroupDev => Principal::Dev,
                Attached::UserAlice => Principal::Alice,
            },
            action: action.to_owned(),
            resource: resource.to_owned(),
        });
    let filler = (0..total - RELEVANT.len()).map(|i| match filler {
        Filler::F1 => Statement {
            id: format!("F1-{i}"),
            effect: Effect::Allow,
            principal: Principal::User(format!("u{i}")),
            action: "ecs:Describe*".to_owned(),
            resource: "acs:ecs:cn-hangzhou:123456:instance/*".to_owned(),
        },
        Filler::F2 => Statement {
            id: format!("F2-{i}"),
            effect: Effect::Allow,
            principal: Principal::Dev,
            action: format!("svc{i}:Get*"),
            resource: format!("acs:svc{i}:cn-hangzhou:123456:*"),
        },
    });
    relevant.chain(filler).collect()
}

/// The set `ram` evaluates for alice: all of them for F2, R1–R10 only for F1 (see the module
/// documentation).
pub fn ram_set(filler: Filler, total: usize) -> PolicySet {
    match filler {
        Filler::F1 => {
            assert!(total >= RELEVANT.len());
            let mut builder = PolicySet::builder();
            for (r, doc) in crate::relevant_policies() {
                builder = builder.add_document(r, &doc);
            }
            builder.build()
        }
        Filler::F2 => crate::w_policies_f2(total),
    }
}

/// Number of statements in alice's `ram` set for a workload of `total` statements.
pub fn ram_statements(filler: Filler, total: usize) -> usize {
    match filler {
        Filler::F1 => RELEVANT.len(),
        Filler::F2 => total,
    }
}

/// The three requests of W-policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `ecs:DescribeInstances` on `instance/i-0000` … `i-1023`: Allow (R1, R2).
    Allow,
    /// `ecs:DeleteInstance` on `instance/i-001`: ExplicitDeny (R3).
    ExplicitDeny,
    /// `oss:PutObject` on `bucket/logs/0.txt` … `1023.txt`: ImplicitDeny.
    ImplicitDeny,
}

impl Kind {
    /// The three, in the order of the workload's table.
    pub const ALL: [Kind; 3] = [Kind::Allow, Kind::ExplicitDeny, Kind::ImplicitDeny];

    /// `allow`, `explicit_deny` or `implicit_deny`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Allow => "allow",
            Kind::ExplicitDeny => "explicit_deny",
            Kind::ImplicitDeny => "implicit_deny",
        }
    }

    /// The decision `ram` must reach.
    pub fn expected(self) -> Decision {
        match self {
            Kind::Allow => Decision::Allow,
            Kind::ExplicitDeny => Decision::ExplicitDeny,
            Kind::ImplicitDeny => Decision::ImplicitDeny,
        }
    }

    /// Whether the request is allowed (what the peers report).
    pub fn allowed(self) -> bool {
        self == Kind::Allow
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The strings of one request type: an action and the resources it cycles through.
#[derive(Clone, Debug)]
pub struct Requests {
    /// Which request.
    pub kind: Kind,
    /// The action.
    pub action: &'static str,
    /// [`RESOURCES`] resources for allow and implicit deny, one for the explicit deny; the
    /// length is a power of two, so `resources[i & mask]` cycles.
    pub resources: Vec<String>,
}

impl Requests {
    /// The strings of a request type (identical to those of [`crate::WPolicies`]).
    pub fn new(kind: Kind) -> Requests {
        let (action, resources) = match kind {
            Kind::Allow => (
                ALLOW_ACTION,
                (0..RESOURCES)
                    .map(|i| format!("acs:ecs:cn-hangzhou:123456:instance/i-{i:04}"))
                    .collect(),
            ),
            Kind::ExplicitDeny => (EXPLICIT_DENY_ACTION, vec![EXPLICIT_DENY_RESOURCE.to_owned()]),
            Kind::ImplicitDeny => (
                IMPLICIT_DENY_ACTION,
                (0..RESOURCES)
                    .map(|i| format!("acs:oss:cn-hangzhou:123456:bucket/logs/{i}.txt"))
                    .collect(),
            ),
        };
        let r = Requests {
            kind,
            action,
            resources,
        };
        assert!(r.resources.len().is_power_of_two());
        r
    }

    /// `resources.len() - 1`: `i & mask` cycles through the resources.
    pub fn mask(&self) -> usize {
        self.resources.len() - 1
    }

    /// The `ram` requests, built once.
    pub fn ram<'a>(&'a self, context: &'a RequestContext) -> Vec<Request<'a>> {
        self.resources
            .iter()
            .map(|r| Request::new(self.action, r, context))
            .collect()
    }
}

/// The context of the `ram` requests (the same as [`crate::WPolicies`]'s): source IP, TLS and
/// time, as a service passes them; no W-policies statement has a condition.
pub fn ram_context() -> RequestContext {
    RequestContext::builder()
        .source_ip("198.51.100.23".parse().expect("an IP address"))
        .secure_transport(true)
        .current_time("2026-11-28T10:00:00Z".parse().expect("an instant"))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WPolicies;

    #[test]
    fn requests_are_those_of_wpolicies() {
        let w = WPolicies::new();
        let pairs = |reqs: Vec<Request<'_>>| -> Vec<(String, String)> {
            reqs.iter()
                .map(|r| (r.action.to_owned(), r.resource.to_owned()))
                .collect()
        };
        let ctx = ram_context();
        assert_eq!(pairs(Requests::new(Kind::Allow).ram(&ctx)), pairs(w.allow()));
        assert_eq!(
            pairs(Requests::new(Kind::ExplicitDeny).ram(&ctx)),
            pairs(vec![w.explicit_deny()])
        );
        assert_eq!(
            pairs(Requests::new(Kind::ImplicitDeny).ram(&ctx)),
            pairs(w.implicit_deny())
        );
    }

    #[test]
    fn statement_lists() {
        for filler in Filler::ALL {
            let s = statements(filler, 1_000);
            assert_eq!(s.len(), 1_000);
            assert_eq!(s[0].id, "R1");
            assert_eq!(s[2].effect, Effect::Deny);
            assert_eq!(s[2].resource, "*");
            assert_eq!(s[9].principal, Principal::Alice);
            assert_eq!(s[999].id, format!("{filler}-989"));
        }
        let f1 = statements(Filler::F1, 11);
        assert_eq!(f1[10].principal, Principal::User("u0".to_owned()));
        let f2 = statements(Filler::F2, 11);
        assert_eq!(f2[10].action, "svc0:Get*");
        assert_eq!(f2[10].resource, "acs:svc0:cn-hangzhou:123456:*");
    }

    #[test]
    fn ram_sets() {
        assert_eq!(ram_set(Filler::F1, 1_000).statement_count(), 10);
        assert_eq!(ram_set(Filler::F2, 1_000).statement_count(), 1_000);
        assert_eq!(ram_statements(Filler::F1, 1_000), 10);
    }
}
