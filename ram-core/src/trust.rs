//! Trust-policy evaluation: may this principal assume the role (spec section 5)?
//!
//! A trust statement applies when its `Action` matches `sts:AssumeRole`, its `Principal`
//! names the caller and its whole `Condition` holds against the AssumeRole request's context.
//! Then, as for any one set of policies (section 4): an applying `Deny` gives
//! `ExplicitDeny`, else an applying `Allow` gives `Allow`, else `ImplicitDeny`.
//!
//! Principal forms (validated by the trust grammar; no wildcards):
//!
//! | written | names |
//! | --- | --- |
//! | `RAM: acs:ram::<acct>:root` | every RAM user and every role session of `<acct>` |
//! | `RAM: acs:ram::<acct>:user/<name>` | that RAM user |
//! | `RAM: acs:ram::<acct>:role/<name>` | every session of that role |
//! | `Service: <name>.aliyuncs.com` | that cloud service |
//! | `Federated: <provider ARN>` | that identity provider |
//!
//! The account root itself is never named by anything: roles may not be assumed by root
//! accounts, and the caller of [`trust_decision`] refuses the root before asking.

use crate::context::RequestContext;
use crate::decision::Decision;
use crate::glob::Glob;
use crate::policy::{Effect, PolicyDocument, PolicyKind};

/// The action a trust statement must match.
pub const ASSUME_ROLE_ACTION: &str = "sts:AssumeRole";

/// Who asks to assume a role, as a trust policy sees it.
///
/// ```
/// use ram_core::trust::TrustPrincipal;
///
/// let alice = TrustPrincipal::User { account: "123456789012", name: "alice" };
/// assert_eq!(alice.arn(), "acs:ram::123456789012:user/alice");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrustPrincipal<'a> {
    /// A RAM user of `account`.
    User {
        /// The user's account.
        account: &'a str,
        /// UserName.
        name: &'a str,
    },
    /// A session of a role of `account` (role chaining).
    RoleSession {
        /// The role's account.
        account: &'a str,
        /// RoleName.
        role: &'a str,
    },
    /// A cloud service, `<name>.aliyuncs.com`.
    Service(&'a str),
    /// An identity provider, by its ARN.
    Federated(&'a str),
}

impl TrustPrincipal<'_> {
    /// The principal's ARN as a trust policy would name it (a service by its name).
    pub fn arn(&self) -> String {
        match self {
            TrustPrincipal::User { account, name } => format!("acs:ram::{account}:user/{name}"),
            TrustPrincipal::RoleSession { account, role } => format!("acs:ram::{account}:role/{role}"),
            TrustPrincipal::Service(s) | TrustPrincipal::Federated(s) => (*s).to_owned(),
        }
    }

    /// Whether a `RAM` principal entry (`acs:ram::<acct>:root|user/..|role/..`) names it.
    fn named_by_ram(&self, entry: &str) -> bool {
        let Some(rest) = entry.strip_prefix("acs:ram::") else {
            return false;
        };
        let Some((acct, what)) = rest.split_once(':') else {
            return false;
        };
        match *self {
            TrustPrincipal::User { account, name } => {
                acct == account && (what == "root" || what.strip_prefix("user/") == Some(name))
            }
            TrustPrincipal::RoleSession { account, role } => {
                acct == account && (what == "root" || what.strip_prefix("role/") == Some(role))
            }
            TrustPrincipal::Service(_) | TrustPrincipal::Federated(_) => false,
        }
    }

    fn named_by(&self, statement: &crate::policy::Statement) -> bool {
        let Some(p) = &statement.principal else {
            return false;
        };
        match *self {
            TrustPrincipal::User { .. } | TrustPrincipal::RoleSession { .. } => {
                p.ram.iter().any(|e| self.named_by_ram(e))
            }
            // Service names are DNS names: compared without regard to ASCII case.
            TrustPrincipal::Service(s) => p.service.iter().any(|e| e.eq_ignore_ascii_case(s)),
            TrustPrincipal::Federated(arn) => p.federated.iter().any(|e| e == arn),
        }
    }
}

/// Evaluates a trust policy for `who` against the AssumeRole request's `context`.
///
/// A document that is not a trust policy (parsed with another grammar) trusts nobody.
///
/// ```
/// use ram_core::trust::{TrustPrincipal, trust_decision};
/// use ram_core::{Decision, ParseOptions, PolicyDocument, RequestContext};
///
/// let doc = PolicyDocument::parse_with(r#"{"Version":"1","Statement":[{"Effect":"Allow",
///   "Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::123456789012:root"},
///   "Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}]}"#, &ParseOptions::trust())?;
/// let alice = TrustPrincipal::User { account: "123456789012", name: "alice" };
/// let ctx = RequestContext::builder().set("sts:ExternalId", "abc").build();
/// assert_eq!(trust_decision(&doc, &alice, &ctx), Decision::Allow);
/// assert_eq!(trust_decision(&doc, &alice, &RequestContext::new()), Decision::ImplicitDeny);
/// let other = TrustPrincipal::User { account: "999", name: "alice" };
/// assert_eq!(trust_decision(&doc, &other, &ctx), Decision::ImplicitDeny);
/// # Ok::<(), ram_core::PolicyError>(())
/// ```
pub fn trust_decision(doc: &PolicyDocument, who: &TrustPrincipal<'_>, context: &RequestContext) -> Decision {
    if doc.kind() != PolicyKind::Trust {
        return Decision::ImplicitDeny;
    }
    let mut allowed = false;
    for s in doc.statements() {
        let action = s
            .action
            .patterns
            .iter()
            .any(|p| Glob::ascii_case_insensitive(p).is_match(ASSUME_ROLE_ACTION))
            != s.action.negated;
        if !action || !who.named_by(s) || !s.conditions.iter().all(|c| c.holds(context)) {
            continue;
        }
        match s.effect {
            Effect::Deny => return Decision::ExplicitDeny,
            Effect::Allow => allowed = true,
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::ParseOptions;

    fn doc(statements: &str) -> PolicyDocument {
        PolicyDocument::parse_with(
            &format!(r#"{{"Version":"1","Statement":[{statements}]}}"#),
            &ParseOptions::trust(),
        )
        .unwrap()
    }

    const ACCT: &str = "123456789012";

    #[test]
    fn principal_forms() {
        let root =
            doc(r#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::123456789012:root"}}"#);
        let user = doc(
            r#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::123456789012:user/alice"]}}"#,
        );
        let role = doc(r#"{"Effect":"Allow","Action":"sts:*","Principal":{"RAM":"acs:ram::123456789012:role/ops"}}"#);
        let svc = doc(r#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}}"#);
        let ctx = RequestContext::new();
        let alice = TrustPrincipal::User {
            account: ACCT,
            name: "alice",
        };
        let bob = TrustPrincipal::User {
            account: ACCT,
            name: "bob",
        };
        let ops = TrustPrincipal::RoleSession {
            account: ACCT,
            role: "ops",
        };
        let ecs = TrustPrincipal::Service("ecs.aliyuncs.com");
        let d = |d: &PolicyDocument, w: &TrustPrincipal<'_>| trust_decision(d, w, &ctx);
        assert_eq!(d(&root, &alice), Decision::Allow);
        assert_eq!(d(&root, &ops), Decision::Allow);
        assert_eq!(d(&root, &ecs), Decision::ImplicitDeny);
        assert_eq!(d(&user, &alice), Decision::Allow);
        assert_eq!(d(&user, &bob), Decision::ImplicitDeny);
        assert_eq!(d(&user, &ops), Decision::ImplicitDeny);
        assert_eq!(d(&role, &ops), Decision::Allow);
        assert_eq!(d(&role, &alice), Decision::ImplicitDeny);
        assert_eq!(d(&svc, &ecs), Decision::Allow);
        assert_eq!(d(&svc, &TrustPrincipal::Service("ECS.aliyuncs.com")), Decision::Allow);
        assert_eq!(d(&svc, &alice), Decision::ImplicitDeny);
        let foreign = TrustPrincipal::User {
            account: "1",
            name: "alice",
        };
        assert_eq!(d(&root, &foreign), Decision::ImplicitDeny);
    }

    #[test]
    fn deny_wins_and_other_grammars_trust_nobody() {
        let both = doc(
            r#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::123456789012:root"}},
               {"Effect":"Deny","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::123456789012:user/mallory"}}"#,
        );
        let ctx = RequestContext::new();
        let mallory = TrustPrincipal::User {
            account: ACCT,
            name: "mallory",
        };
        assert_eq!(trust_decision(&both, &mallory, &ctx), Decision::ExplicitDeny);
        let identity =
            PolicyDocument::parse(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
                .unwrap();
        assert_eq!(trust_decision(&identity, &mallory, &ctx), Decision::ImplicitDeny);
    }
}
