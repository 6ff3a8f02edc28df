//! W-policies in casbin (`casbin` crate), as `../shared/bench/workloads.md` encodes it.
//!
//! The model ([`MODEL`]) is `r = sub, obj, act`, `p = sub, obj, act, eft`, `g = _, _`, effect
//! `some(where (p.eft == allow)) && !some(where (p.eft == deny))`, matcher
//! `g(r.sub, p.sub) && keyMatch(r.act, p.act) && keyMatch(r.obj, p.obj)`; one `p` row per
//! statement (`alice`, `dev` or `u{i}`; resource; action; `allow` or `deny`) plus
//! `g, alice, dev`. The enforcer is casbin's plain `Enforcer` (no `cached` feature: no decision
//! cache) over a `MemoryAdapter`.
//!
//! casbin's loading API is async: a tokio current-thread runtime drives it once in
//! [`Casbin::new`]. `enforce` itself is synchronous.
//!
//! A request is the `Vec<Dynamic>` of `(sub, obj, act)` that `enforce` takes
//! ([`Casbin::request`] builds it, which is what the request-construction figures measure);
//! as `enforce` consumes its argument, [`Casbin::allowed`] passes it a clone (one small
//! allocation and three reference-count increments, counted in casbin's decision time).
//!
//! Note that casbin's `keyMatch` treats everything from the first `*` of the pattern on as
//! "any suffix" (`acs:oss:*:123456:bucket/public/*` is the prefix `acs:oss:`): that is the
//! encoding the workload prescribes, and it gives the expected decisions for the three
//! requests.

use casbin::rhai::Dynamic;
use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};

use crate::workload::{Effect, Principal, Statement};

/// The casbin model of the workload.
pub const MODEL: &str = "\
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub) && keyMatch(r.act, p.act) && keyMatch(r.obj, p.obj)
";

/// The `p` row of one statement: sub, obj, act, eft.
pub fn row(s: &Statement) -> Vec<String> {
    let sub = match &s.principal {
        Principal::Alice => "alice".to_owned(),
        Principal::Dev => "dev".to_owned(),
        Principal::User(name) => name.clone(),
    };
    let eft = match s.effect {
        Effect::Allow => "allow",
        Effect::Deny => "deny",
    };
    vec![sub, s.resource.clone(), s.action.clone(), eft.to_owned()]
}

/// A casbin enforcer loaded with one workload.
pub struct Casbin {
    enforcer: Enforcer,
    rows: usize,
}

impl Casbin {
    /// Loads the model, one `p` row per statement and `g, alice, dev`.
    ///
    /// # Panics
    ///
    /// If casbin rejects the model or a row (or two rows are equal).
    pub fn new(statements: &[Statement]) -> Casbin {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio current-thread runtime");
        let rows: Vec<Vec<String>> = statements.iter().map(row).collect();
        let n = rows.len();
        let enforcer = runtime.block_on(async move {
            let model = DefaultModel::from_str(MODEL).await.expect("casbin accepts the model");
            let mut e = Enforcer::new(model, MemoryAdapter::default())
                .await
                .expect("a casbin enforcer");
            assert!(
                e.add_policies(rows).await.expect("casbin accepts the rows"),
                "casbin refused the rows (duplicates?)"
            );
            assert!(
                e.add_grouping_policy(vec!["alice".to_owned(), "dev".to_owned()])
                    .await
                    .expect("casbin accepts g, alice, dev")
            );
            e
        });
        assert_eq!(enforcer.get_policy().len(), n);
        Casbin { enforcer, rows: n }
    }

    /// Number of `p` rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there is no `p` row.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Builds the request of alice for `action` on `resource`: `(sub, obj, act)` as casbin
    /// values.
    pub fn request(action: &str, resource: &str) -> Vec<Dynamic> {
        vec![
            Dynamic::from("alice"),
            Dynamic::from(resource.to_owned()),
            Dynamic::from(action.to_owned()),
        ]
    }

    /// The decision (`enforce`) of a request built by [`Casbin::request`].
    ///
    /// # Panics
    ///
    /// If casbin reports an error.
    pub fn allowed(&self, request: &[Dynamic]) -> bool {
        self.enforcer
            .enforce(request.to_vec())
            .expect("casbin evaluates the request")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Filler, statements};

    #[test]
    fn rows() {
        let s = statements(Filler::F2, 11);
        assert_eq!(
            row(&s[0]),
            ["dev", "acs:ecs:cn-hangzhou:123456:instance/*", "ecs:Describe*", "allow"]
        );
        assert_eq!(row(&s[2]), ["dev", "*", "ecs:Delete*", "deny"]);
        assert_eq!(
            row(&s[9]),
            ["alice", "acs:oss:*:123456:bucket/*", "oss:Delete*", "deny"]
        );
        assert_eq!(
            row(&s[10]),
            ["dev", "acs:svc0:cn-hangzhou:123456:*", "svc0:Get*", "allow"]
        );
        let f1 = statements(Filler::F1, 11);
        assert_eq!(row(&f1[10])[0], "u0");
        assert_eq!(Casbin::new(&f1).len(), 11);
    }
}
