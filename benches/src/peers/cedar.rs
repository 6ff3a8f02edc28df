//! W-policies in Cedar (`cedar-policy`), as `../shared/bench/workloads.md` encodes it.
//!
//! - One policy per statement, with the statement's id (`R1`, `F2-17`, …) as policy id:
//!   `permit` for Allow, `forbid` for Deny; scope `principal == User::"alice"` (or
//!   `User::"u{i}"` for F1 filler) or `principal in Group::"dev"`, with `action` and
//!   `resource` unconstrained; condition
//!   `when { context.action like "<action>" && context.resource like "<resource>" }`, the
//!   resource clause dropped when the resource is `*`.
//! - Entities: `User::"alice"` (parent `Group::"dev"`) and `Group::"dev"`.
//! - A request: principal `User::"alice"`, action `Action::"<action>"`, resource
//!   `Resource::"<resource>"`, context `{"action": "<action>", "resource": "<resource>"}`,
//!   no schema. [`Cedar::request`] builds it from the strings (what the request-construction
//!   figures measure); [`Cedar::is_authorized`] is the decision alone.
//!
//! Cedar's `like` is case-sensitive and `*` matches any sequence, as the workload's patterns
//! need; the actions and resources of the workload are all in their canonical case.

use std::collections::HashSet;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, Policy, PolicyId, PolicySet,
    Request, Response, RestrictedExpression,
};

use crate::workload::{Effect, Principal, Statement};

/// The Cedar policy text of one statement.
pub fn policy_text(s: &Statement) -> String {
    let effect = match s.effect {
        Effect::Allow => "permit",
        Effect::Deny => "forbid",
    };
    let principal = match &s.principal {
        Principal::Alice => r#"principal == User::"alice""#.to_owned(),
        Principal::Dev => r#"principal in Group::"dev""#.to_owned(),
        Principal::User(name) => format!(r#"principal == User::"{name}""#),
    };
    let mut condition = format!(r#"context.action like "{}""#, s.action);
    if s.resource != "*" {
        condition.push_str(&format!(r#" && context.resource like "{}""#, s.resource));
    }
    format!("{effect}({principal}, action, resource) when {{ {condition} }};")
}

/// A Cedar policy set, its entities and an authorizer for one workload.
pub struct Cedar {
    policies: PolicySet,
    entities: Entities,
    authorizer: Authorizer,
    user: EntityTypeName,
    action: EntityTypeName,
    resource: EntityTypeName,
}

fn type_name(name: &str) -> EntityTypeName {
    EntityTypeName::from_str(name).expect("a valid Cedar type name")
}

impl Cedar {
    /// Translates the statements, one policy each.
    ///
    /// # Panics
    ///
    /// If a policy does not parse or two statements share an id.
    pub fn new(statements: &[Statement]) -> Cedar {
        let mut policies = PolicySet::new();
        for s in statements {
            let text = policy_text(s);
            let policy = Policy::parse(Some(PolicyId::new(&s.id)), &text)
                .unwrap_or_else(|e| panic!("Cedar rejects {text}: {e}"));
            policies
                .add(policy)
                .unwrap_or_else(|e| panic!("Cedar rejects {}: {e}", s.id));
        }
        let user = type_name("User");
        let group = type_name("Group");
        let dev = EntityUid::from_type_name_and_id(group, EntityId::new("dev"));
        let alice = EntityUid::from_type_name_and_id(user.clone(), EntityId::new("alice"));
        let entities = Entities::from_entities(
            [
                Entity::new_no_attrs(alice, HashSet::from([dev.clone()])),
                Entity::new_no_attrs(dev, HashSet::new()),
            ],
            None,
        )
        .expect("valid Cedar entities");
        Cedar {
            policies,
            entities,
            authorizer: Authorizer::new(),
            user,
            action: type_name("Action"),
            resource: type_name("Resource"),
        }
    }

    /// Number of policies.
    pub fn len(&self) -> usize {
        self.policies.policies().count()
    }

    /// Whether there is no policy.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Builds the request of alice for `action` on `resource` (entity uids and context).
    pub fn request(&self, action: &str, resource: &str) -> Request {
        let principal = EntityUid::from_type_name_and_id(self.user.clone(), EntityId::new("alice"));
        let action_uid = EntityUid::from_type_name_and_id(self.action.clone(), EntityId::new(action));
        let resource_uid = EntityUid::from_type_name_and_id(self.resource.clone(), EntityId::new(resource));
        let context = Context::from_pairs([
            ("action".to_owned(), RestrictedExpression::new_string(action.to_owned())),
            (
                "resource".to_owned(),
                RestrictedExpression::new_string(resource.to_owned()),
            ),
        ])
        .expect("a valid context");
        Request::new(principal, action_uid, resource_uid, context, None).expect("a valid request")
    }

    /// The decision alone, with Cedar's diagnostics.
    pub fn is_authorized(&self, request: &Request) -> Response {
        self.authorizer.is_authorized(request, &self.policies, &self.entities)
    }

    /// Whether the request is allowed.
    pub fn allowed(&self, request: &Request) -> bool {
        self.is_authorized(request).decision() == Decision::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Filler, statements};

    #[test]
    fn texts() {
        let s = statements(Filler::F1, 11);
        assert_eq!(
            policy_text(&s[0]),
            r#"permit(principal in Group::"dev", action, resource) when { context.action like "ecs:Describe*" && context.resource like "acs:ecs:cn-hangzhou:123456:instance/*" };"#
        );
        assert_eq!(
            policy_text(&s[2]),
            r#"forbid(principal in Group::"dev", action, resource) when { context.action like "ecs:Delete*" };"#
        );
        assert_eq!(
            policy_text(&s[1]),
            r#"permit(principal == User::"alice", action, resource) when { context.action like "ecs:*" && context.resource like "acs:ecs:cn-hangzhou:123456:instance/*" };"#
        );
        assert!(policy_text(&s[10]).starts_with(r#"permit(principal == User::"u0", "#));
        assert_eq!(Cedar::new(&s).len(), 11);
    }
}
