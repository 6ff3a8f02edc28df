//! Decisions and their explanations (spec section 4).

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::condition::Operator;
use crate::policy::Effect;

/// The outcome of evaluating a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Decision {
    /// Some statement allows and none denies.
    Allow,
    /// Some `Deny` statement applies.
    ExplicitDeny,
    /// Nothing applies: denied by default.
    ImplicitDeny,
}

impl Decision {
    /// `"Allow"`, `"ExplicitDeny"` or `"ImplicitDeny"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        }
    }

    /// Whether the request may proceed.
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a policy in a set came from: it becomes the `source` of an explanation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// Attached to the user.
    User,
    /// Attached to a group the user belongs to.
    Group(Arc<str>),
    /// Attached to the role of a role session.
    Role,
    /// The session policy of a role session.
    Session,
    /// A guardrail policy of the account.
    Guardrail,
    /// A document evaluated on its own (`ram eval`).
    Policy,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::User => f.write_str("user"),
            Source::Group(name) => write!(f, "group:{name}"),
            Source::Role => f.write_str("role"),
            Source::Session => f.write_str("session"),
            Source::Guardrail => f.write_str("guardrail"),
            Source::Policy => f.write_str("policy"),
        }
    }
}

impl Serialize for Source {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Which policy a statement belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PolicyRef {
    /// The policy's name.
    pub name: Arc<str>,
    /// Its version (`v1`, `v2`, ...).
    pub version: Arc<str>,
    /// How it reached the caller.
    pub source: Source,
}

impl PolicyRef {
    /// A reference from its parts.
    pub fn new(name: impl Into<Arc<str>>, version: impl Into<Arc<str>>, source: Source) -> PolicyRef {
        PolicyRef {
            name: name.into(),
            version: version.into(),
            source,
        }
    }
}

/// A statement that decided (or helped decide) a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MatchedStatement {
    /// Policy name.
    pub policy: Arc<str>,
    /// Policy version.
    pub version: Arc<str>,
    /// Index of the statement in the policy's `Statement` array (0-based, as in JSON paths).
    pub statement: usize,
    /// The statement's effect.
    pub effect: Effect,
    /// How the policy reached the caller.
    pub source: Source,
}

/// A statement whose action and resource matched but whose condition did not hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedCondition {
    /// Policy name.
    pub policy: Arc<str>,
    /// Policy version.
    pub version: Arc<str>,
    /// Statement index (0-based).
    pub statement: usize,
    /// The failing operator.
    pub operator: Operator,
    /// The failing key, as written in the policy.
    pub key: String,
    /// The statement's effect.
    pub effect: Effect,
    /// How the policy reached the caller.
    pub source: Source,
}

/// A decision with the statements that made it.
///
/// `matched` holds every applying `Deny` for an explicit deny, every applying `Allow` for an
/// allow, and nothing for an implicit deny, which lists instead in `failed_conditions` each
/// condition test that kept a statement from applying.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The decision.
    pub decision: Decision,
    /// The deciding statements.
    pub matched: Vec<MatchedStatement>,
    /// For an implicit deny: conditions that failed on statements whose action and resource matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_conditions: Option<Vec<FailedCondition>>,
}
