//! The evaluation form: compiled policies and an indexed set of them (spec sections 2 and 4).
//!
//! A [`CompiledPolicy`] turns each statement's patterns into specialised matchers and its
//! condition values into typed values, once. A [`PolicySet`] indexes the statements of many
//! policies by action: exact actions in a hash table, patterns with a literal service code in
//! a table by service, and only what could match any service (`*`, `*:Describe*`,
//! `NotAction`) in a short global list. A decision then touches only the statements that could
//! apply to the request's action, checks `Deny` before `Allow`, takes no lock and allocates
//! nothing.

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use foldhash::fast::FixedState;
use hashbrown::HashTable;

use crate::condition::Condition;
use crate::context::RequestContext;
use crate::decision::{Decision, Explanation, FailedCondition, MatchedStatement, PolicyRef};
use crate::glob::Glob;
use crate::policy::{Effect, PolicyDocument};

/// One request to decide: an action, a resource ARN and the context.
///
/// ```
/// use ram_core::{Request, RequestContext};
///
/// let ctx = RequestContext::new();
/// let req = Request::new("oss:GetObject", "acs:oss:*:123456:bucket/public/a.txt", &ctx);
/// assert_eq!(req.action, "oss:GetObject");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// `<service>:<ActionName>`.
    pub action: &'a str,
    /// The resource ARN.
    pub resource: &'a str,
    /// The request's condition keys.
    pub context: &'a RequestContext,
}

impl<'a> Request<'a> {
    /// A request from its parts.
    pub fn new(action: &'a str, resource: &'a str, context: &'a RequestContext) -> Request<'a> {
        Request {
            action,
            resource,
            context,
        }
    }
}

/// A policy document compiled for evaluation; share it between sets with an `Arc`.
///
/// ```
/// use ram_core::{CompiledPolicy, PolicyDocument};
///
/// let doc = PolicyDocument::parse(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#).unwrap();
/// assert_eq!(CompiledPolicy::new(&doc).len(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct CompiledPolicy {
    statements: Box<[CompiledStatement]>,
}

#[derive(Clone, Debug)]
struct CompiledStatement {
    effect: Effect,
    /// Lower-cased action patterns, kept to build indexes.
    action_patterns: Box<[Box<str>]>,
    actions: Box<[Glob]>,
    not_action: bool,
    /// `None` when the statement has no resource part (trust policies).
    resources: Option<Box<[Glob]>>,
    not_resource: bool,
    conditions: Box<[Condition]>,
    /// Trust statements apply only through principal matching, never in an identity set.
    has_principal: bool,
}

impl CompiledStatement {
    #[inline]
    fn action_matches(&self, action: &str) -> bool {
        self.actions.iter().any(|g| g.is_match(action)) != self.not_action
    }

    #[inline]
    fn resource_matches(&self, resource: &str) -> bool {
        match &self.resources {
            None => true,
            Some(globs) => globs.iter().any(|g| g.is_match(resource)) != self.not_resource,
        }
    }
}

impl CompiledPolicy {
    /// Compiles a valid document.
    pub fn new(doc: &PolicyDocument) -> CompiledPolicy {
        let statements = doc
            .statements()
            .iter()
            .map(|s| CompiledStatement {
                effect: s.effect,
                action_patterns: s
                    .action
                    .patterns
                    .iter()
                    .map(|p| p.to_ascii_lowercase().into())
                    .collect(),
                actions: s
                    .action
                    .patterns
                    .iter()
                    .map(|p| Glob::ascii_case_insensitive(p))
                    .collect(),
                not_action: s.action.negated,
                resources: s
                    .resource
                    .as_ref()
                    .map(|r| r.patterns.iter().map(|p| Glob::new(p)).collect()),
                not_resource: s.resource.as_ref().is_some_and(|r| r.negated),
                conditions: s.conditions.clone().into(),
                has_principal: s.principal.is_some(),
            })
            .collect();
        CompiledPolicy { statements }
    }

    /// Number of statements.
    pub fn len(&self) -> usize {
        self.statements.len()
    }

    /// Whether the policy has no statement.
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }
}

/// Index entry: a statement, and which of its action patterns must still be checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    policy: u32,
    statement: u32,
    check: u32,
}

/// The action equals the bucket's key: nothing left to check.
const CHECK_NONE: u32 = u32::MAX;
/// Check the statement's whole action part (global list: `NotAction`, wildcard services).
const CHECK_ALL: u32 = u32::MAX - 1;

#[derive(Clone, Debug, Default)]
struct Bucket {
    deny: Vec<Entry>,
    allow: Vec<Entry>,
}

impl Bucket {
    fn push(&mut self, effect: Effect, entry: Entry) {
        let list = match effect {
            Effect::Deny => &mut self.deny,
            Effect::Allow => &mut self.allow,
        };
        // Entries of one statement are pushed together, so a repeat is always the last one.
        if list.last() != Some(&entry) {
            list.push(entry);
        }
    }
}

/// A set of compiled policies evaluated together: one step of spec section 4 (a user's own
/// and group policies, a role's policies, a session policy or the guardrails).
///
/// ```
/// use std::sync::Arc;
/// use ram_core::{CompiledPolicy, Decision, PolicyDocument, PolicyRef, PolicySet, Request, RequestContext, Source};
///
/// let doc = PolicyDocument::parse(r#"{"Version":"1","Statement":[
///   {"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"},
///   {"Effect":"Deny","Action":"ecs:DescribeUserData","Resource":"*"}]}"#).unwrap();
/// let set = PolicySet::builder()
///     .add(PolicyRef::new("ecs-read", "v1", Source::User), Arc::new(CompiledPolicy::new(&doc)))
///     .build();
/// let ctx = RequestContext::new();
/// assert_eq!(set.decide(&Request::new("ecs:DescribeInstances", "acs:ecs:*:1:instance/i-1", &ctx)), Decision::Allow);
/// let why = set.explain(&Request::new("ecs:DescribeUserData", "acs:ecs:*:1:instance/i-1", &ctx));
/// assert_eq!(why.decision, Decision::ExplicitDeny);
/// assert_eq!(why.matched[0].statement, 1);
/// ```
#[derive(Clone, Debug)]
pub struct PolicySet {
    policies: Box<[(PolicyRef, Arc<CompiledPolicy>)]>,
    exact: HashTable<(Box<str>, Bucket)>,
    services: HashTable<(Box<str>, Bucket)>,
    global: Bucket,
}

/// Collects the policies of a [`PolicySet`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct PolicySetBuilder {
    policies: Vec<(PolicyRef, Arc<CompiledPolicy>)>,
}

impl PolicySetBuilder {
    /// Adds a compiled policy.
    pub fn add(mut self, policy: PolicyRef, compiled: Arc<CompiledPolicy>) -> Self {
        self.push(policy, compiled);
        self
    }

    /// Adds a document, compiling it.
    pub fn add_document(self, policy: PolicyRef, doc: &PolicyDocument) -> Self {
        self.add(policy, Arc::new(CompiledPolicy::new(doc)))
    }

    /// Adds a compiled policy in place.
    pub fn push(&mut self, policy: PolicyRef, compiled: Arc<CompiledPolicy>) {
        self.policies.push((policy, compiled));
    }

    /// Builds the index.
    pub fn build(self) -> PolicySet {
        let mut set = PolicySet {
            policies: self.policies.into(),
            exact: HashTable::new(),
            services: HashTable::new(),
            global: Bucket::default(),
        };
        for (p, (_, policy)) in set.policies.iter().enumerate() {
            for (s, st) in policy.statements.iter().enumerate() {
                if st.has_principal {
                    continue;
                }
                let entry = |check| Entry {
                    policy: p as u32,
                    statement: s as u32,
                    check,
                };
                if st.not_action {
                    set.global.push(st.effect, entry(CHECK_ALL));
                    continue;
                }
                for (i, pattern) in st.action_patterns.iter().enumerate() {
                    match pattern.split_once(':') {
                        Some((service, _)) if !Glob::has_wildcard(service) => {
                            if Glob::has_wildcard(pattern) {
                                bucket(&mut set.services, service).push(st.effect, entry(i as u32));
                            } else {
                                bucket(&mut set.exact, pattern).push(st.effect, entry(CHECK_NONE));
                            }
                        }
                        _ => set.global.push(st.effect, entry(CHECK_ALL)),
                    }
                }
            }
        }
        set
    }
}

fn hasher() -> FixedState {
    FixedState::with_seed(0x5241_4d5f_494e_4458)
}

/// Hash of the ASCII lower-case form of `s`, computed without allocating.
#[inline]
fn hash_folded(s: &str) -> u64 {
    let mut h = hasher().build_hasher();
    let mut buf = [0u8; 64];
    for chunk in s.as_bytes().chunks(buf.len()) {
        let b = &mut buf[..chunk.len()];
        b.copy_from_slice(chunk);
        b.make_ascii_lowercase();
        h.write(b);
    }
    h.finish()
}

fn bucket<'t>(table: &'t mut HashTable<(Box<str>, Bucket)>, key: &str) -> &'t mut Bucket {
    let hash = hash_folded(key);
    let entry = table.entry(hash, |(k, _)| k.eq_ignore_ascii_case(key), |(k, _)| hash_folded(k));
    &mut entry.or_insert_with(|| (key.into(), Bucket::default())).into_mut().1
}

#[inline]
fn lookup<'t>(table: &'t HashTable<(Box<str>, Bucket)>, key: &str) -> Option<&'t Bucket> {
    if table.is_empty() {
        return None;
    }
    table
        .find(hash_folded(key), |(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, b)| b)
}

impl PolicySet {
    /// A builder.
    pub fn builder() -> PolicySetBuilder {
        PolicySetBuilder::default()
    }

    /// A set with no policy: it decides `ImplicitDeny` for everything.
    pub fn empty() -> PolicySet {
        PolicySetBuilder::default().build()
    }

    /// The policies, in the order they were added.
    pub fn policies(&self) -> impl Iterator<Item = &PolicyRef> {
        self.policies.iter().map(|(r, _)| r)
    }

    /// Number of statements in all policies.
    pub fn statement_count(&self) -> usize {
        self.policies.iter().map(|(_, p)| p.len()).sum()
    }

    #[inline]
    fn statement(&self, e: Entry) -> &CompiledStatement {
        &self.policies[e.policy as usize].1.statements[e.statement as usize]
    }

    #[inline]
    fn action_matches(&self, e: Entry, action: &str) -> bool {
        let st = self.statement(e);
        match e.check {
            CHECK_NONE => true,
            CHECK_ALL => st.action_matches(action),
            i => st.actions[i as usize].is_match(action),
        }
    }

    #[inline]
    fn applies(&self, e: Entry, req: &Request<'_>) -> bool {
        if !self.action_matches(e, req.action) {
            return false;
        }
        let st = self.statement(e);
        st.resource_matches(req.resource) && st.conditions.iter().all(|c| c.holds(req.context))
    }

    #[inline]
    fn buckets<'s>(&'s self, action: &str) -> [Option<&'s Bucket>; 3] {
        let service = match action.split_once(':') {
            Some((svc, _)) => lookup(&self.services, svc),
            None => None,
        };
        [lookup(&self.exact, action), service, Some(&self.global)]
    }

    /// Decides a request: `ExplicitDeny` if any applying statement denies, else `Allow` if
    /// any allows, else `ImplicitDeny`. Takes no lock and allocates nothing.
    #[inline]
    pub fn decide(&self, req: &Request<'_>) -> Decision {
        let buckets = self.buckets(req.action);
        for b in buckets.iter().flatten() {
            if b.deny.iter().any(|&e| self.applies(e, req)) {
                return Decision::ExplicitDeny;
            }
        }
        for b in buckets.iter().flatten() {
            if b.allow.iter().any(|&e| self.applies(e, req)) {
                return Decision::Allow;
            }
        }
        Decision::ImplicitDeny
    }

    /// Decides a request and says why: the deciding statements, and for an implicit deny the
    /// conditions that kept statements matching the action and resource from applying.
    pub fn explain(&self, req: &Request<'_>) -> Explanation {
        let mut candidates: Vec<Entry> = self
            .buckets(req.action)
            .iter()
            .flatten()
            .flat_map(|b| b.deny.iter().chain(&b.allow))
            .copied()
            .filter(|&e| self.action_matches(e, req.action))
            .map(|e| Entry { check: CHECK_NONE, ..e })
            .collect();
        candidates.sort_unstable_by_key(|e| (e.policy, e.statement));
        candidates.dedup();

        let mut denies = Vec::new();
        let mut allows = Vec::new();
        let mut failed = Vec::new();
        for e in candidates {
            let st = self.statement(e);
            if !st.resource_matches(req.resource) {
                continue;
            }
            let (policy, _) = &self.policies[e.policy as usize];
            let failing: Vec<&Condition> = st.conditions.iter().filter(|c| !c.holds(req.context)).collect();
            if failing.is_empty() {
                let m = MatchedStatement {
                    policy: policy.name.clone(),
                    version: policy.version.clone(),
                    statement: e.statement as usize,
                    effect: st.effect,
                    source: policy.source.clone(),
                };
                match st.effect {
                    Effect::Deny => denies.push(m),
                    Effect::Allow => allows.push(m),
                }
            } else {
                failed.extend(failing.into_iter().map(|c| FailedCondition {
                    policy: policy.name.clone(),
                    version: policy.version.clone(),
                    statement: e.statement as usize,
                    operator: c.operator(),
                    key: c.key().to_owned(),
                    effect: st.effect,
                    source: policy.source.clone(),
                }));
            }
        }
        if !denies.is_empty() {
            Explanation {
                decision: Decision::ExplicitDeny,
                matched: denies,
                failed_conditions: None,
            }
        } else if !allows.is_empty() {
            Explanation {
                decision: Decision::Allow,
                matched: allows,
                failed_conditions: None,
            }
        } else {
            Explanation {
                decision: Decision::ImplicitDeny,
                matched: Vec::new(),
                failed_conditions: Some(failed),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::Source;

    fn set(docs: &[&str]) -> PolicySet {
        let mut b = PolicySet::builder();
        for (i, d) in docs.iter().enumerate() {
            b = b.add_document(
                PolicyRef::new(format!("p{i}"), "v1", Source::Policy),
                &PolicyDocument::parse(d).unwrap(),
            );
        }
        b.build()
    }

    fn decide(s: &PolicySet, action: &str, resource: &str) -> Decision {
        let ctx = RequestContext::new();
        let req = Request::new(action, resource, &ctx);
        let d = s.decide(&req);
        assert_eq!(s.explain(&req).decision, d, "explain and decide disagree");
        d
    }

    #[test]
    fn index_covers_every_pattern_shape() {
        let s = set(&[r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":["ECS:DescribeInstances","oss:Get*","*:List*"],"Resource":"*"},
            {"Effect":"Allow","NotAction":["ram:*","sts:*"],"Resource":"acs:vpc:*"},
            {"Effect":"Deny","Action":"e?s:Delete*","Resource":"*"}]}"#]);
        assert_eq!(decide(&s, "ecs:describeinstances", "x"), Decision::Allow);
        assert_eq!(decide(&s, "OSS:GetObject", "x"), Decision::Allow);
        assert_eq!(decide(&s, "rds:ListThings", "x"), Decision::Allow);
        assert_eq!(decide(&s, "vpc:CreateVpc", "acs:vpc:x"), Decision::Allow);
        assert_eq!(decide(&s, "ram:CreateUser", "acs:vpc:x"), Decision::ImplicitDeny);
        assert_eq!(decide(&s, "ecs:DeleteInstance", "acs:vpc:x"), Decision::ExplicitDeny);
        assert_eq!(decide(&s, "ecs", "x"), Decision::ImplicitDeny);
        assert_eq!(decide(&s, "", ""), Decision::ImplicitDeny);
    }

    #[test]
    fn explanation_lists_all_deciding_statements_once() {
        let s = set(&[
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["ecs:Describe*","ecs:DescribeInstances","*"],"Resource":"*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"},
               {"Effect":"Allow","Action":"ecs:*","Resource":"*","Condition":{"Bool":{"acs:MFAPresent":"true"}}}]}"#,
        ]);
        let ctx = RequestContext::new();
        let e = s.explain(&Request::new("ecs:DescribeInstances", "r", &ctx));
        let got: Vec<(&str, usize)> = e.matched.iter().map(|m| (&*m.policy, m.statement)).collect();
        assert_eq!(got, [("p0", 0), ("p1", 0)]);
        assert_eq!(e.failed_conditions, None);
        let e = s.explain(&Request::new("vpc:X", "r", &ctx));
        assert_eq!(e.decision, Decision::Allow);
    }

    #[test]
    fn implicit_deny_names_failed_conditions() {
        let s = set(&[r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"true"},"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}},
            {"Effect":"Allow","Action":"oss:*","Resource":"acs:oss:*:*:other/*","Condition":{"Bool":{"acs:SecureTransport":"true"}}}]}"#]);
        let ctx = RequestContext::builder().secure_transport(false).build();
        let e = s.explain(&Request::new("oss:GetObject", "acs:oss:*:1:bucket/x", &ctx));
        assert_eq!(e.decision, Decision::ImplicitDeny);
        let failed_conditions = e.failed_conditions.unwrap();
        let failed: Vec<(usize, String, &str)> = failed_conditions
            .iter()
            .map(|f| (f.statement, f.operator.to_string(), f.key.as_str()))
            .collect();
        let mut expected = vec![
            (0, "Bool".to_owned(), "acs:SecureTransport"),
            (0, "IpAddress".to_owned(), "acs:SourceIp"),
        ];
        expected.sort();
        let mut failed = failed;
        failed.sort();
        assert_eq!(failed, expected);
    }

    #[test]
    fn hash_is_case_insensitive_past_the_buffer() {
        let long = format!("svc:{}", "Ab".repeat(100));
        assert_eq!(hash_folded(&long), hash_folded(&long.to_ascii_lowercase()));
        let s = set(&[&format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"{long}","Resource":"*"}}]}}"#
        )]);
        assert_eq!(decide(&s, &long.to_ascii_uppercase(), "x"), Decision::Allow);
    }
}
