//! The evaluation form: compiled policies and an indexed set of them (spec sections 2 and 4).
//!
//! A [`CompiledPolicy`] turns each statement's patterns into specialised matchers and its
//! condition values into typed values, once, and indexes its statements by action: exact
//! actions in a hash table, patterns with a literal service code in a table by service, and
//! only what could match any service (`*`, `*:Describe*`, `NotAction`) in a short global list.
//! A decision then touches only the statements that could apply to the request's action,
//! checks `Deny` before `Allow`, takes no lock and allocates nothing.
//!
//! A [`PolicySet`] of more than one policy builds one merged index over all of them, so that
//! a decision looks the request's action up once, whatever the number of policies.
//!
//! A directory's sets are built differently (`PolicySetBuilder::build_shared`): a user's own
//! and group policies are shared between every user and group holding them, and a check in a
//! 100,000-user directory should touch little memory of its own, so such a set of a few
//! policies (up to [`SHARED_MERGE_ABOVE`]) consults each policy's own index, which is warm in
//! the cache. Before reading a policy's index, it skips the policies that have nothing for the
//! request's service, and those whose statements all require byte pairs that the request's
//! resource lacks (a policy scoped to one bucket, instance or path prefix, asked about
//! another).

use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

use foldhash::fast::FixedState;
use hashbrown::HashTable;
use smallvec::SmallVec;

use crate::condition::{CompiledCondition, Condition};
use crate::context::RequestContext;
use crate::decision::{Decision, Explanation, FailedCondition, MatchedStatement, PolicyRef};
use crate::fold::eq_folded;
use crate::glob::Glob;
use crate::name_table::Name;
use crate::policy::{Effect, PolicyDocument};
use crate::table_memory::{PoolSlice, TableMemory, pool_slice};

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
// `repr(C)`, in the order a decision reads the fields: the index's table headers first, so
// that a policy that may apply costs one cache line before its tables, not the several that
// the compiler's order spread them over. The masks, which decide whether it may apply, are
// read from the lists that hold the policy ([`ListedPolicy`]).
#[derive(Clone, Debug)]
#[repr(C)]
pub struct CompiledPolicy {
    /// The statements indexed by action (entries' `policy` is 0).
    index: Index,
    /// In [`TableMemory`], like the index's tables: the statements of the policies that
    /// every check consults lie in a few huge pages, not scattered through the heap.
    statements: PoolSlice<CompiledStatement>,
    /// The byte pairs every indexed statement's resource requires (the intersection of
    /// their resource filters): a request whose resource lacks one of them cannot match any
    /// statement of this policy, which is then skipped without reading its index.
    required: u64,
    /// [`service_bit`] of every service the index has statements for; all ones if it has
    /// statements for any service (the global list).
    services: u64,
}

// The globs inline: a decision that reaches a statement reads its action and resource
// globs, and in a large directory, where the shared policies' memory is often out of the
// cache, a separate allocation for each was one more miss per statement (W-directory at
// 100,000 users: a check about 15% faster with them inline). `repr(C)`, in the order a
// decision reads the fields, and 256 bytes: the flags, the conditions' pointer and the
// resource glob in the first two cache lines, the action globs next, what only builds
// indexes last. (In the compiler's order, with 112-byte globs, a statement took 408 bytes and
// a decision read five or six of its cache lines.) The lines are the ones named here because
// the statements' block starts on a cache line ([`TableMemory`] aligns every block to 64).
#[derive(Clone, Debug)]
#[repr(C)]
struct CompiledStatement {
    effect: Effect,
    not_action: bool,
    not_resource: bool,
    /// The statement has no resource part (trust policies): any resource matches. Kept
    /// apart from `resources.is_empty()`, which the parser never produces for a resource part,
    /// so that an empty list could only ever match nothing, never everything.
    any_resource: bool,
    /// Trust statements apply only through principal matching, never in an identity set.
    has_principal: bool,
    /// Byte pairs every resource this statement can match contains ([`bigrams`]); 0 when
    /// nothing can be said (no resource part, `NotResource`).
    resource_filter: u64,
    /// In [`TableMemory`], like what each of them reads (see [`CompiledCondition`]).
    conditions: PoolSlice<CompiledCondition>,
    /// Empty when `any_resource`.
    resources: SmallVec<[Glob; 1]>,
    actions: SmallVec<[Glob; 2]>,
    /// Lower-cased action patterns, kept to build indexes.
    action_patterns: Box<[Box<str>]>,
}

const _: () = assert!(size_of::<CompiledStatement>() == 256);

impl CompiledStatement {
    #[inline]
    fn action_matches(&self, action: &str) -> bool {
        self.actions.iter().any(|g| g.is_match(action)) != self.not_action
    }

    #[inline]
    fn resource_matches(&self, resource: &str) -> bool {
        self.any_resource || self.resources.iter().any(|g| g.is_match(resource)) != self.not_resource
    }
}

impl CompiledPolicy {
    /// Compiles a valid document.
    pub fn new(doc: &PolicyDocument) -> CompiledPolicy {
        let statements = doc.statements().iter().map(|s| CompiledStatement {
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
            any_resource: s.resource.is_none(),
            resources: s
                .resource
                .iter()
                .flat_map(|r| r.patterns.iter().map(|p| Glob::new(p)))
                .collect(),
            not_resource: s.resource.as_ref().is_some_and(|r| r.negated),
            resource_filter: match &s.resource {
                Some(r) if !r.negated => r
                    .patterns
                    .iter()
                    .map(|p| required_bigrams(p))
                    .reduce(|a, b| a & b)
                    .unwrap_or(0),
                _ => 0,
            },
            conditions: pool_slice(s.conditions.iter().map(Condition::compile)),
            has_principal: s.principal.is_some(),
        });
        let statements = pool_slice(statements);
        let mut policy = CompiledPolicy {
            index: Index::default(),
            statements,
            required: 0,
            services: 0,
        };
        let mut index = Index::default();
        index.add(0, &policy.statements);
        policy.services = index.services_mask();
        policy.required = index.required_bigrams();
        policy.index = index;
        policy
    }

    /// The policy with its masks, as a list of policies holds it.
    pub(crate) fn listed(self: &Arc<Self>) -> ListedPolicy {
        ListedPolicy {
            services: self.services,
            required: self.required,
            policy: self.clone(),
        }
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

/// Index entry: a statement, which of its action patterns must still be checked, its
/// resource filter, and for an entry of a pattern like `oss:Get*` the start of the action
/// name that the pattern requires ([`ActionPrefix`]). A statement that cannot match the
/// request's resource, or whose pattern cannot match its action (`oss:Get*` asked about
/// `oss:PutObject`), is skipped without touching the statement's own memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    filter: u64,
    policy: u32,
    statement: u32,
    check: u32,
    /// In the 4 bytes that padding would take.
    prefix: ActionPrefix,
}

const _: () = assert!(size_of::<Entry>() == 24);

/// Up to the first three bytes of an action's name (after `service:`), lower-cased, and
/// (in the high byte) how many of them an entry requires: a service's index bucket holds
/// every pattern of the service (`Get*`, `Describe*`, `List*`), and most requests of the
/// service match few of them; telling which from the bucket saves reading the statements of
/// the others, which in a large directory are cache misses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ActionPrefix(u32);

impl ActionPrefix {
    /// The name's first three bytes (fewer if it is shorter, the rest zero), lower-cased.
    #[inline]
    fn of_name(name: &[u8]) -> ActionPrefix {
        let mut bytes = [0; 4];
        for (b, n) in bytes.iter_mut().zip(name.iter().take(3)) {
            *b = n.to_ascii_lowercase();
        }
        ActionPrefix(u32::from_le_bytes(bytes))
    }

    /// What a lower-case pattern's name part requires: its literal start, up to three bytes.
    fn required_by(pattern: &str) -> ActionPrefix {
        let Some((_, name)) = pattern.split_once(':') else {
            return ActionPrefix::default();
        };
        let literal = name.split(['*', '?']).next().unwrap_or_default().as_bytes();
        let start = &literal[..literal.len().min(3)];
        ActionPrefix(ActionPrefix::of_name(start).0 | (start.len() as u32) << 24)
    }

    /// Whether an action whose name starts with `name` (from [`ActionPrefix::of_name`]) can
    /// have the start this requires.
    #[inline]
    fn admits(self, name: ActionPrefix) -> bool {
        let mask = (1u32 << (8 * (self.0 >> 24))) - 1;
        (self.0 ^ name.0) & mask == 0
    }
}

/// The bit of a byte pair in a 64-bit signature.
#[inline]
fn bigram_bit(a: u8, b: u8) -> u64 {
    1 << ((u32::from(a) << 8 | u32::from(b)).wrapping_mul(0x9E37_79B1) >> 26)
}

/// Signature of the adjacent byte pairs of `text`: a resource pattern can match `text` only
/// if every pair of its literal runs is in `text`, so `required & !bigrams(text) != 0`
/// proves that a statement's resource cannot match without running its globs. In a set
/// where many statements of one service differ by resource (buckets, instances, paths), most
/// are rejected this way, reading only the index entry. Together with the per-policy
/// indexes this took a W-directory check (`benches/`) from about 0.9 µs to 0.4 µs at 100
/// users and from about 4 µs to 1.9 µs at 100,000, where the statements' memory is what the
/// rest of a large directory keeps pushing out of the cache.
#[inline]
fn bigrams(text: &[u8]) -> u64 {
    let pairs = text.iter().zip(text.iter().skip(1));
    pairs.fold(0, |m, (&a, &b)| m | bigram_bit(a, b))
}

/// The pairs every match of the glob `pattern` contains: those inside its literal runs (a
/// `*` or `?` breaks a run, since what it matches is unknown).
fn required_bigrams(pattern: &str) -> u64 {
    pattern.split(['*', '?']).fold(0, |m, run| m | bigrams(run.as_bytes()))
}

/// The action equals the bucket's key: nothing left to check.
const CHECK_NONE: u32 = u32::MAX;
/// Check the statement's whole action part (global list: `NotAction`, wildcard services).
const CHECK_ALL: u32 = u32::MAX - 1;

/// The statements of one index key.
#[derive(Clone, Debug)]
struct Bucket {
    deny: EntryList,
    allow: EntryList,
}

impl Default for Bucket {
    fn default() -> Self {
        Bucket {
            deny: EntryList::new_in(TableMemory),
            allow: EntryList::new_in(TableMemory),
        }
    }
}

/// A bucket's entries of one effect, in [`TableMemory`] beside the index tables, not on the
/// global heap. A policy is compiled in a heap that a large directory has fragmented: lists
/// that outgrew an inline `SmallVec` of two (most of W-directory's: a statement has an entry
/// for each of its patterns) landed in holes scattered over hundreds of megabytes, between
/// the names and conditions compiled with them, and reaching them cost a check cache and TLB
/// misses that a small directory's compact heap did not. Here every list is out of line, but
/// the lists of the policies that checks consult lie together on a few huge pages. (Stop 18:
/// W-directory at 100,000 users 11 ns faster, pairwise median of 14 alternating
/// `latency --quick` runs; with both directories in one process, so that the 100-user one is
/// compiled in a fragmented heap too, 28–50 ns at 100,000 users and 11–27 ns at 100.)
type EntryList = allocator_api2::vec::Vec<Entry, TableMemory>;

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
// `repr(C)`: what a decision reads first (`merged`, then the start of `compiled`) is at the
// start of the set, in the cache line that reaching the set already loaded; left to itself
// the compiler put `merged` after the inline list, a third cache line away.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct PolicySet {
    /// One index over every policy (see [`PolicySetBuilder::build`]); without it each
    /// policy's own index is consulted. Boxed: inline it would push the list away from the
    /// start of the set.
    merged: Option<Box<Index>>,
    /// The references of the compiled policies, for explanations: beside `merged`, in the
    /// set's first cache line, so that an explanation that has prefetched it
    /// ([`PolicySet::prefetch_refs`]) finds where they are without another miss (after the
    /// inline list, they were 400 bytes in).
    refs: Box<[PolicyRef]>,
    /// The compiled policies, in the order of `refs`, each with its masks: a compact
    /// array, since a decision of a set without a merged index walks it and skips, without
    /// touching it, every policy whose masks say it cannot apply. Up to
    /// [`INLINE_POLICIES`] of them are stored in the set itself, so that in a large directory
    /// reaching a user's set and reading its list is one cache miss, not two.
    compiled: PolicyList,
}

/// Policies a [`PolicySet`] holds without a separate allocation (384 bytes, in every set):
/// a user's own policies plus those of a few groups. On W-directory (2–20 policies per user)
/// going from 8 to 16 (together with the `repr(C)` order of [`PolicySet`]) took a check at
/// 100,000 users from about 1.4 µs to 1.1 µs, the users whose list no longer spilled saving
/// one cache miss. Since then the authorizer decides for most users from the positions in
/// their table slot without reading their set; the inline list still serves roles, `explain`,
/// and users of more policies than a slot lists.
const INLINE_POLICIES: usize = 16;

/// A set's policies, each with its masks.
type PolicyList = SmallVec<[ListedPolicy; INLINE_POLICIES]>;

/// Sets of a directory (`PolicySetBuilder::build_shared`) of up to this many policies consult
/// each policy's own (shared) index; larger ones build a merged index. Consulting a policy's
/// index is one hash probe of warm memory, so a few dozen cost less than the cache misses of
/// a per-set index in a large directory, while a set of hundreds of policies (W-policies'
/// 10,000 statements are 1,009 policies) needs the merged index to stay independent of its
/// size.
pub const SHARED_MERGE_ABOVE: usize = 32;

/// An index's buckets by key. In [`TableMemory`] with the name tables: every check reads the
/// tables of the policies it consults, which then lie in a few huge pages instead of
/// hundreds of small pages scattered through the heap.
type KeyTable = HashTable<(Name, Bucket), TableMemory>;

/// Statements indexed by the action they can match. `repr(C)`: the table headers and
/// `has_global`, which every lookup reads, before the global bucket, which is usually empty.
#[derive(Clone, Debug, Default)]
#[repr(C)]
struct Index {
    exact: KeyTable,
    services: KeyTable,
    /// Whether `global` holds any statement.
    has_global: bool,
    global: Bucket,
}

impl Index {
    /// Adds the statements of policy number `p`.
    fn add(&mut self, p: u32, statements: &[CompiledStatement]) {
        for (s, st) in statements.iter().enumerate() {
            if st.has_principal {
                continue;
            }
            let entry = |check| Entry {
                filter: st.resource_filter,
                policy: p,
                statement: s as u32,
                check,
                prefix: ActionPrefix::default(),
            };
            // Only an entry that checks one pattern knows how the action must start.
            let pattern_entry = |i: usize, pattern: &str| Entry {
                prefix: ActionPrefix::required_by(pattern),
                ..entry(i as u32)
            };
            if st.not_action {
                self.global.push(st.effect, entry(CHECK_ALL));
                continue;
            }
            for (i, pattern) in st.action_patterns.iter().enumerate() {
                match pattern.split_once(':') {
                    Some((service, _)) if !Glob::has_wildcard(service) => {
                        if Glob::has_wildcard(pattern) {
                            bucket(&mut self.services, service).push(st.effect, pattern_entry(i, pattern));
                        } else {
                            bucket(&mut self.exact, pattern).push(st.effect, entry(CHECK_NONE));
                        }
                    }
                    _ => self.global.push(st.effect, entry(CHECK_ALL)),
                }
            }
        }
        self.has_global = !self.global.deny.is_empty() || !self.global.allow.is_empty();
    }

    /// The [`service_bit`]s of the services it has statements for (all ones with a global
    /// list).
    fn services_mask(&self) -> u64 {
        if self.has_global {
            return u64::MAX;
        }
        fn service(key: &Name) -> &[u8] {
            let key = key.as_bytes();
            key.split(|&b| b == b':').next().unwrap_or(key)
        }
        self.services
            .iter()
            .chain(self.exact.iter())
            .fold(0, |m, (key, _)| m | service_bit(hash_folded(service(key))))
    }

    /// The byte pairs every entry's resource filter requires (0 without entries).
    fn required_bigrams(&self) -> u64 {
        let buckets = self.exact.iter().chain(self.services.iter()).map(|(_, b)| b);
        std::iter::once(&self.global)
            .chain(buckets)
            .flat_map(|b| b.deny.iter().chain(&b.allow))
            .map(|e| e.filter)
            .reduce(|a, b| a & b)
            .unwrap_or(0)
    }

    /// The buckets that may hold statements for the action.
    #[inline]
    fn buckets(&self, key: &ActionKey<'_>) -> [Option<&Bucket>; 3] {
        let service = match key.service {
            Some((svc, hash)) => lookup(&self.services, hash, svc),
            None => None,
        };
        let global = self.has_global.then_some(&self.global);
        [lookup(&self.exact, key.action_hash, key.action), service, global]
    }
}

/// A service's bit in a policy's `services` mask, from the hash of its name.
#[inline]
fn service_bit(hash: u64) -> u64 {
    1 << (hash >> 58)
}

/// A request's action and the hashes of its index keys, the start of its action's name, and
/// its resource's byte-pair signature, computed once per decision.
pub(crate) struct ActionKey<'a> {
    action: &'a str,
    action_hash: u64,
    service: Option<(&'a str, u64)>,
    /// [`service_bit`] of the action's service (0 without a service).
    service_bit: u64,
    /// The start of the action's name (after `service:`).
    name: ActionPrefix,
    resource: u64,
}

impl<'a> ActionKey<'a> {
    #[inline]
    pub(crate) fn new(req: &Request<'a>) -> ActionKey<'a> {
        let action = req.action;
        let parts = action.split_once(':');
        let service = parts.map(|(svc, _)| (svc, hash_folded(svc.as_bytes())));
        ActionKey {
            action,
            action_hash: hash_folded(action.as_bytes()),
            service,
            service_bit: service.map_or(0, |(_, h)| service_bit(h)),
            name: ActionPrefix::of_name(parts.map_or(&[][..], |(_, name)| name.as_bytes())),
            resource: bigrams(req.resource.as_bytes()),
        }
    }

    /// Whether this is the key of `req` (same action, same resource signature).
    fn is_of(&self, req: &Request<'_>) -> bool {
        std::ptr::eq(self.action, req.action) && self.resource == bigrams(req.resource.as_bytes())
    }

    /// Whether the entry's statement may match the resource and action (false: it cannot).
    #[inline]
    fn may_match(&self, e: Entry) -> bool {
        e.filter & !self.resource == 0 && e.prefix.admits(self.name)
    }

    /// Whether any statement of the listed policy may apply: it has statements for the
    /// action's service and its resources' common byte pairs are all in the resource (false:
    /// none can, and the policy need not be read).
    #[inline]
    fn may_apply(&self, p: &ListedPolicy) -> bool {
        (p.services & self.service_bit != 0 || p.services == u64::MAX) && p.required & !self.resource == 0
    }
}

#[inline]
fn action_matches(st: &CompiledStatement, check: u32, action: &str) -> bool {
    match check {
        CHECK_NONE => true,
        CHECK_ALL => st.action_matches(action),
        i => st.actions[i as usize].is_match(action),
    }
}

#[inline]
fn applies(st: &CompiledStatement, check: u32, req: &Request<'_>) -> bool {
    action_matches(st, check, req.action)
        && st.resource_matches(req.resource)
        && st.conditions.iter().all(|c| c.holds(req.context))
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

    /// Builds the set, with a merged index over its policies when it has more than one.
    ///
    /// A merged index finds every statement of the request's action with one lookup, where
    /// consulting each policy's index takes one per policy and, for an allow, a second one
    /// after the pass over the denies. On W-policies' ten relevant statements (ten policies)
    /// it took a decision from 141–148 to 104–114 ns for the allow, from 106–111 to 82–83 ns
    /// for the explicit deny and from 96–98 to 76–78 ns for the implicit deny (stop 14, three
    /// alternating runs); sets of two to five policies gained as much, except an implicit
    /// deny whose service no policy has, which the per-policy masks skip at no cost (58 ns
    /// either way, 8–17 ns more with the merged index at five policies).
    pub fn build(self) -> PolicySet {
        let merge = self.policies.len() > 1;
        self.build_with(merge)
    }

    /// Builds a set of a directory's shared policies, which consults each policy's own index
    /// up to [`SHARED_MERGE_ABOVE`] policies (see there).
    pub(crate) fn build_shared(self) -> PolicySet {
        let merge = self.policies.len() > SHARED_MERGE_ABOVE;
        self.build_with(merge)
    }

    /// Builds the set, with a merged index or without.
    fn build_with(self, merge: bool) -> PolicySet {
        let (refs, mut compiled): (Vec<PolicyRef>, PolicyList) =
            self.policies.into_iter().map(|(r, c)| (r, c.listed())).unzip();
        compiled.shrink_to_fit();
        let merged = merge.then(|| {
            let mut index = Index::default();
            for (p, listed) in compiled.iter().enumerate() {
                index.add(p as u32, &listed.policy.statements);
            }
            Box::new(index)
        });
        PolicySet {
            refs: refs.into(),
            compiled,
            merged,
        }
    }
}

fn hasher() -> FixedState {
    FixedState::with_seed(0x5241_4d5f_494e_4458)
}

/// Hash of the ASCII lower-case form of `s`, computed without allocating. (Hashing it as
/// folded eight-byte words instead, plus the length, measured slightly more instructions per
/// check in stop 14: 2,213 → 2,226.)
#[inline]
fn hash_folded(s: &[u8]) -> u64 {
    let mut h = hasher().build_hasher();
    let mut buf = [0u8; 64];
    for chunk in s.chunks(buf.len()) {
        let b = &mut buf[..chunk.len()];
        b.copy_from_slice(chunk);
        b.make_ascii_lowercase();
        h.write(b);
    }
    h.finish()
}

fn bucket<'t>(table: &'t mut KeyTable, key: &str) -> &'t mut Bucket {
    let hash = hash_folded(key.as_bytes());
    let entry = table.entry(
        hash,
        |(k, _)| k.as_bytes().eq_ignore_ascii_case(key.as_bytes()),
        |(k, _)| hash_folded(k.as_bytes()),
    );
    &mut entry
        .or_insert_with(|| (Name::new(key), Bucket::default()))
        .into_mut()
        .1
}

/// The bucket of `key` (any case) in an index table, whose keys are lower-case (they come from
/// a statement's `action_patterns`).
#[inline]
fn lookup<'t>(table: &'t KeyTable, hash: u64, key: &str) -> Option<&'t Bucket> {
    if table.is_empty() {
        return None;
    }
    table
        .find(hash, |(k, _)| eq_folded(key.as_bytes(), k.as_bytes()))
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
        self.refs.iter()
    }

    /// Number of statements in all policies.
    pub fn statement_count(&self) -> usize {
        self.compiled.iter().map(|l| l.policy.len()).sum()
    }

    #[inline]
    fn statement(&self, e: Entry) -> &CompiledStatement {
        &self.compiled[e.policy as usize].policy.statements[e.statement as usize]
    }

    /// Decides a request: `ExplicitDeny` if any applying statement denies, else `Allow` if
    /// any allows, else `ImplicitDeny`. Takes no lock and allocates nothing.
    #[inline]
    pub fn decide(&self, req: &Request<'_>) -> Decision {
        self.decide_with(&ActionKey::new(req), req)
    }

    /// [`PolicySet::decide`] with the request's key already prepared.
    #[inline]
    pub(crate) fn decide_with(&self, key: &ActionKey<'_>, req: &Request<'_>) -> Decision {
        debug_assert!(key.is_of(req), "the key of another request");
        if let Some(index) = &self.merged {
            let buckets = index.buckets(key);
            for b in buckets.iter().flatten() {
                if b.deny
                    .iter()
                    .any(|&e| key.may_match(e) && applies(self.statement(e), e.check, req))
                {
                    return Decision::ExplicitDeny;
                }
            }
            for b in buckets.iter().flatten() {
                if b.allow
                    .iter()
                    .any(|&e| key.may_match(e) && applies(self.statement(e), e.check, req))
                {
                    return Decision::Allow;
                }
            }
            return Decision::ImplicitDeny;
        }
        decide_each(self.compiled.len(), |i| &self.compiled[i], key, req)
    }

    /// Decides a request and says why: the deciding statements, and for an implicit deny the
    /// conditions that kept statements matching the action and resource from applying.
    pub fn explain(&self, req: &Request<'_>) -> Explanation {
        self.explain_with(&ActionKey::new(req), req)
    }

    /// [`PolicySet::explain`] with the request's key already prepared.
    pub(crate) fn explain_with(&self, key: &ActionKey<'_>, req: &Request<'_>) -> Explanation {
        explain_each(
            self.compiled.len(),
            |i| &self.compiled[i],
            self.merged.as_deref(),
            |i| &self.refs[i],
            key,
            req,
        )
    }

    /// The reference of the set's policy number `i`.
    pub(crate) fn policy_ref(&self, i: usize) -> &PolicyRef {
        &self.refs[i]
    }

    /// Starts loading where the set's references are, without waiting: an explanation for
    /// a user reads them only after matching the statements, and in a large directory the
    /// user's set is a cache miss that matching can hide.
    #[inline]
    pub(crate) fn prefetch_refs(&self) {
        crate::prefetch::prefetch(&self.refs);
    }
}

/// A policy of a set, with its [`CompiledPolicy::services`] and [`CompiledPolicy::required`]
/// masks copied beside it, so that skipping a policy that cannot apply reads only the list.
/// Reading the service mask from the policy instead made a W-directory check at 100,000
/// users about 6% slower (650 → 692 ns, six alternating runs in stop 11). Copying `required`
/// as well (stop 14) took 3 of about 30 first-level cache misses off a check at every size
/// (callgrind's cache simulation), and 49 ns off the pairwise median at 100,000 users (8
/// alternating `latency --quick` runs).
#[derive(Clone, Debug)]
pub(crate) struct ListedPolicy {
    pub(crate) services: u64,
    pub(crate) required: u64,
    pub(crate) policy: Arc<CompiledPolicy>,
}

/// Decides a request on the list of `len` policies that `policy(i)` gives, through each
/// policy's own index (a set without a merged index; the authorizer's users, who list
/// positions in a table of policies): all denies first, then the allows. (One pass that
/// tries each policy's allows before the next policy's denies was measured too: it made an
/// explicit deny in a small set 30% slower for a few ns off the other decisions.) The first
/// pass notes the buckets that hold allows (up to [`NOTED_ALLOWS`]), so that the second does
/// not look them up again. `key` is the request's [`ActionKey`], which a caller may have
/// prepared while waiting on memory.
#[inline]
pub(crate) fn decide_each<'p>(
    len: usize,
    policy: impl Fn(usize) -> &'p ListedPolicy,
    key: &ActionKey<'_>,
    req: &Request<'_>,
) -> Decision {
    debug_assert!(key.is_of(req), "the key of another request");
    let holds =
        |p: &CompiledPolicy, e: &Entry| key.may_match(*e) && applies(&p.statements[e.statement as usize], e.check, req);
    let mut noted: [Option<(&CompiledPolicy, &Bucket)>; NOTED_ALLOWS] = [None; NOTED_ALLOWS];
    let mut with_allows = 0;
    for i in 0..len {
        let listed = policy(i);
        if !key.may_apply(listed) {
            continue;
        }
        let p: &CompiledPolicy = &listed.policy;
        for b in p.index.buckets(key).into_iter().flatten() {
            if b.deny.iter().any(|e| holds(p, e)) {
                return Decision::ExplicitDeny;
            }
            if !b.allow.is_empty() {
                if let Some(slot) = noted.get_mut(with_allows) {
                    *slot = Some((p, b));
                }
                with_allows += 1;
            }
        }
    }
    let allowed = if with_allows <= NOTED_ALLOWS {
        noted
            .iter()
            .flatten()
            .any(|&(p, b)| b.allow.iter().any(|e| holds(p, e)))
    } else {
        (0..len).any(|i| {
            let listed = policy(i);
            let p: &CompiledPolicy = &listed.policy;
            key.may_apply(listed)
                && p.index
                    .buckets(key)
                    .into_iter()
                    .flatten()
                    .any(|b| b.allow.iter().any(|e| holds(p, e)))
        })
    };
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

/// Buckets with allows that [`decide_each`] notes on its pass over the denies (a W-directory
/// check usually finds one to three); a decision that finds more looks them up again. Two in
/// unit tests, so that both ways are taken. Looking every bucket up once instead of twice
/// took a W-directory check from 2,454 to 2,213 instructions (callgrind, 100 users) and
/// 30 ns off it at 100,000 users (pairwise median, 8 alternating `latency --quick` runs;
/// 12 ns at 100 users).
const NOTED_ALLOWS: usize = if cfg!(test) { 2 } else { 8 };

/// [`PolicySet::explain`] for a list of `len` policies without a merged index, given by
/// `policy(i)` and named by `policy_ref(i)`, which is called only for statements that match
/// the request's action and resource: the authorizer's users list their policies by position
/// in a table and read their set's references only then (in a large directory, the set is
/// one more cache miss).
pub(crate) fn explain_listed<'p>(
    len: usize,
    policy: impl Fn(usize) -> &'p ListedPolicy,
    policy_ref: impl Fn(usize) -> &'p PolicyRef,
    key: &ActionKey<'_>,
    req: &Request<'_>,
) -> Explanation {
    explain_each(len, policy, None, policy_ref, key, req)
}

/// What [`PolicySet::explain`] does, for the list of `len` policies that `policy(i)` gives,
/// with their merged index if they have one, naming them by `policy_ref(i)`.
fn explain_each<'p>(
    len: usize,
    policy: impl Fn(usize) -> &'p ListedPolicy,
    merged: Option<&Index>,
    policy_ref: impl Fn(usize) -> &'p PolicyRef,
    key: &ActionKey<'_>,
    req: &Request<'_>,
) -> Explanation {
    debug_assert!(key.is_of(req), "the key of another request");
    let statement = |e: Entry| &policy(e.policy as usize).policy.statements[e.statement as usize];
    let mut candidates: Vec<Entry> = Vec::new();
    // `policy`: the set's number of the policy whose own index the buckets come from
    // (`None` for the merged index, whose entries carry it).
    let mut add = |policy: Option<u32>, buckets: [Option<&Bucket>; 3]| {
        for e in buckets.iter().flatten().flat_map(|b| b.deny.iter().chain(&b.allow)) {
            let e = Entry {
                policy: policy.unwrap_or(e.policy),
                ..*e
            };
            // A statement whose resource cannot match is skipped below anyway; the filter
            // only saves reading it.
            if key.may_match(e) && action_matches(statement(e), e.check, req.action) {
                // One statement's entries differ in their check and prefix only.
                candidates.push(Entry {
                    check: CHECK_NONE,
                    prefix: ActionPrefix::default(),
                    ..e
                });
            }
        }
    };
    match merged {
        Some(index) => add(None, index.buckets(key)),
        None => {
            for p in 0..len {
                let listed = policy(p);
                if key.may_apply(listed) {
                    add(Some(p as u32), listed.policy.index.buckets(key));
                }
            }
        }
    }
    candidates.sort_unstable_by_key(|e| (e.policy, e.statement));
    candidates.dedup();
    // Start loading the references of the policies that may be named while their
    // statements' resources and conditions are matched (in a large directory they are cache
    // misses; candidates are sorted by policy).
    if crate::prefetch::ENABLED {
        for same_policy in candidates.chunk_by(|a, b| a.policy == b.policy) {
            crate::prefetch::prefetch(policy_ref(same_policy[0].policy as usize));
        }
    }

    let mut denies = Vec::new();
    let mut allows = Vec::new();
    let mut failed = Vec::new();
    for e in candidates {
        let st = statement(e);
        if !st.resource_matches(req.resource) {
            continue;
        }
        let policy = policy_ref(e.policy as usize);
        let failing: Vec<&CompiledCondition> = st.conditions.iter().filter(|c| !c.holds(req.context)).collect();
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
    fn a_key_hashes_alike_in_any_ascii_case_and_apart_from_its_padding() {
        let name = "ECS:DescribeInstancesOfTheWholeAccount";
        for len in 0..=name.len() {
            let key = &name[..len];
            assert_eq!(
                hash_folded(key.as_bytes()),
                hash_folded(key.to_ascii_lowercase().as_bytes()),
                "{key:?}"
            );
            assert_eq!(
                hash_folded(key.as_bytes()),
                hash_folded(key.to_ascii_uppercase().as_bytes())
            );
            let padded = format!("{key}\0");
            assert_ne!(hash_folded(key.as_bytes()), hash_folded(padded.as_bytes()), "{key:?}");
        }
    }

    #[test]
    fn merged_and_per_policy_indexes_agree() {
        let docs = [
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["ECS:DescribeInstances","oss:Get*","*:List*"],"Resource":"*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","NotAction":["ram:*","sts:*"],"Resource":"acs:vpc:*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"e?s:Delete*","Resource":"*"},{"Effect":"Allow","Action":"ecs:*","Resource":"acs:ecs:*:1:instance/*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:DeleteObject","Resource":"acs:oss:*:1:bucket/keep/*"},{"Effect":"Allow","Action":"oss:*","Resource":"*","Condition":{"Bool":{"acs:SecureTransport":"true"}}}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"acs:log:*","Condition":{"IpAddress":{"acs:SourceIp":"10.0.0.0/8"}}}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Deny","NotAction":"ecs:Describe*","Resource":"acs:ecs:*:1:instance/locked-*"}]}"#,
        ];
        let compiled: Vec<Arc<CompiledPolicy>> = docs
            .iter()
            .map(|d| Arc::new(CompiledPolicy::new(&PolicyDocument::parse(d).unwrap())))
            .collect();
        let sets = |merge| {
            let mut b = PolicySet::builder();
            for (i, c) in compiled.iter().enumerate() {
                b.push(PolicyRef::new(format!("p{i}"), "v1", Source::Policy), c.clone());
            }
            b.build_with(merge)
        };
        let (merged, per_policy) = (sets(true), sets(false));
        assert!(merged.merged.is_some() && per_policy.merged.is_none());
        let secure = RequestContext::builder()
            .secure_transport(true)
            .source_ip("10.1.2.3".parse().unwrap())
            .build();
        let plain = RequestContext::new();
        let actions = [
            "ecs:DescribeInstances",
            "ECS:deleteinstance",
            "ecs:StartInstance",
            "oss:GetObject",
            "oss:DeleteObject",
            "rds:ListTags",
            "ram:CreateUser",
            "vpc:CreateVpc",
            "log:GetLogs",
            "",
            "ecs",
        ];
        let resources = [
            "acs:ecs:cn-hangzhou:1:instance/i-1",
            "acs:ecs:cn-hangzhou:1:instance/locked-1",
            "acs:oss:*:1:bucket/keep/a",
            "acs:vpc:x",
            "acs:log:y",
            "",
        ];
        for action in actions {
            for resource in resources {
                for ctx in [&secure, &plain] {
                    let req = Request::new(action, resource, ctx);
                    assert_eq!(merged.decide(&req), per_policy.decide(&req), "{action} {resource}");
                    assert_eq!(merged.explain(&req), per_policy.explain(&req), "{action} {resource}");
                    assert_eq!(merged.decide(&req), merged.explain(&req).decision);
                }
            }
        }
        // The builders pick the merged index above their thresholds.
        let builder = |n: usize| {
            let mut b = PolicySet::builder();
            for i in 0..n {
                b.push(
                    PolicyRef::new(format!("p{i}"), "v1", Source::Policy),
                    compiled[i % docs.len()].clone(),
                );
            }
            b
        };
        assert!(builder(1).build().merged.is_none());
        assert!(builder(2).build().merged.is_some());
        assert!(builder(SHARED_MERGE_ABOVE).build_shared().merged.is_none());
        assert!(builder(SHARED_MERGE_ABOVE + 1).build_shared().merged.is_some());
    }

    #[test]
    fn resource_filter_never_rejects_a_match() {
        let patterns = [
            "*",
            "",
            "acs:ecs:*:123456:p12/s3/*",
            "acs:oss:*:*:bucket/public/*",
            "a?c",
            "*é?*",
            "日本*",
            "acs:ram:*:123:role/x",
            "ab*b",
        ];
        let texts = [
            "",
            "acs:ecs:cn-hangzhou:123456:p12/s3/i-1",
            "acs:ecs:cn-hangzhou:123456:p12/s4/i-1",
            "acs:oss:cn-beijing:1:bucket/public/a",
            "abc",
            "aéc",
            "日本語",
            "acs:ram::123:role/x",
            "abb",
            "ab",
        ];
        for p in patterns {
            let g = Glob::new(p);
            for t in texts {
                if g.is_match(t) {
                    assert_eq!(required_bigrams(p) & !bigrams(t.as_bytes()), 0, "{p:?} {t:?}");
                }
            }
        }
        // It does reject what differs in a literal.
        let required = required_bigrams("acs:ecs:*:123456:p12/s3/*");
        assert_ne!(required & !bigrams(b"acs:ecs:cn-hangzhou:123456:p40/s7/i-bp1"), 0);
        // Several resources: only what all of them require; NotResource: nothing.
        let s = set(&[r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"oss:Get*","Resource":["acs:oss:*:1:bucket/a/*","acs:oss:*:1:bucket/b/*"]},
            {"Effect":"Deny","Action":"oss:Get*","NotResource":"acs:oss:*:1:bucket/a/*"}]}"#]);
        assert_eq!(decide(&s, "oss:GetObject", "acs:oss:x:1:bucket/a/k"), Decision::Allow);
        assert_eq!(
            decide(&s, "oss:GetObject", "acs:oss:x:1:bucket/b/k"),
            Decision::ExplicitDeny
        );
        assert_eq!(
            decide(&s, "oss:GetObject", "acs:oss:x:1:bucket/c/k"),
            Decision::ExplicitDeny
        );
    }

    /// Entry lists, however long, and those of the kept copy a clone makes, lie in the huge
    /// page pool with the index tables, not on the global heap.
    #[cfg(target_os = "linux")]
    #[test]
    fn entry_lists_lie_in_the_huge_page_pool() {
        use crate::table_memory::tests::in_huge_pool;
        let statements: Vec<String> = (0..5)
            .map(|i| {
                format!(r#"{{"Effect":"Allow","Action":["oss:Get*","oss:List*"],"Resource":"acs:oss:*:1:b{i}/*"}}"#)
            })
            .collect();
        let doc = format!(r#"{{"Version":"1","Statement":[{}]}}"#, statements.join(","));
        let compiled = CompiledPolicy::new(&PolicyDocument::parse(&doc).unwrap());
        for policy in [&compiled, &compiled.clone()] {
            let ctx = RequestContext::new();
            let req = Request::new("oss:GetObject", "acs:oss:x:1:b1/k", &ctx);
            let buckets = policy.index.buckets(&ActionKey::new(&req));
            let list = &buckets[1].expect("the service's bucket").allow;
            assert_eq!(list.len(), 10);
            assert!(in_huge_pool(list.as_ptr() as usize));
        }
    }

    /// A statement's compiled conditions, and those of the kept copy a clone makes, lie in the
    /// huge page pool with the statements, and decide as the document's conditions do.
    #[cfg(target_os = "linux")]
    #[test]
    fn compiled_conditions_lie_in_the_huge_page_pool() {
        use crate::table_memory::tests::in_huge_pool;
        let doc = PolicyDocument::parse(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*",
                "Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","192.168.0.0/16"]},"Bool":{"acs:SecureTransport":"true"}}}]}"#,
        )
        .unwrap();
        let compiled = CompiledPolicy::new(&doc);
        let inside = RequestContext::builder()
            .source_ip("10.1.2.3".parse().unwrap())
            .secure_transport(true)
            .build();
        let outside = RequestContext::builder()
            .source_ip("203.0.113.9".parse().unwrap())
            .secure_transport(true)
            .build();
        for policy in [&compiled, &compiled.clone()] {
            let compiled = &policy.statements[0].conditions;
            assert_eq!(compiled.len(), 2);
            assert!(in_huge_pool(compiled.as_ptr() as usize));
            for (ctx, holds) in [(&inside, true), (&outside, false)] {
                let from_doc = doc.statements()[0].conditions.iter().all(|c| c.holds(ctx));
                assert_eq!(from_doc, holds);
                assert_eq!(compiled.iter().all(|c| c.holds(ctx)), holds);
            }
        }
    }

    /// An entry of a pattern like `oss:Get*` is skipped for an action whose name does not start
    /// as the pattern's does, whatever the case of either, before its statement is read.
    #[test]
    fn entries_of_a_pattern_filter_the_action_too() {
        let compiled = CompiledPolicy::new(
            &PolicyDocument::parse(
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["OSS:Get*","oss:ListObjects"],"Resource":"acs:oss:*:1:bucket/*"}]}"#,
            )
            .unwrap(),
        );
        let ctx = RequestContext::new();
        let resource = "acs:oss:x:1:bucket/k";
        let entries = |action: &str| -> Vec<(u32, bool)> {
            let req = Request::new(action, resource, &ctx);
            let key = ActionKey::new(&req);
            let buckets = compiled.index.buckets(&key);
            let entries = buckets.into_iter().flatten().flat_map(|b| b.allow.iter());
            entries.map(|e| (e.check, key.may_match(*e))).collect()
        };
        assert_eq!(entries("oss:GetObject"), [(0, true)]);
        assert_eq!(entries("oss:gETOBJECT"), [(0, true)]);
        assert_eq!(entries("oss:PutObject"), [(0, false)]);
        // An exact key needs no filter of the action: the key is the action.
        assert_eq!(entries("OSS:ListObjects"), [(CHECK_NONE, true), (0, false)]);
    }

    proptest::proptest! {
        /// The prefix filter never rejects an action that the pattern matches: for every
        /// pattern a service's bucket can hold (no wildcard in the service) and any action,
        /// a match implies that the entry's prefix admits the action's name.
        #[test]
        fn action_prefixes_never_reject_a_match(
            service in "[a-zA-Z]{1,3}",
            name in "[a-zA-Zé*?\\x00]{0,6}",
            fill in "[a-zA-Zé]{0,3}",
            action in "[a-zA-Zé:\\x00]{0,8}",
            case in 0u8..3,
        ) {
            let pattern = format!("{service}:{name}");
            let required = ActionPrefix::required_by(&pattern.to_ascii_lowercase());
            // An action the pattern matches by construction (each `*` filled, each `?` one
            // character), in some case, and arbitrary ones.
            let built: String = name.chars().map(|c| match c {
                '*' => fill.clone(),
                '?' => "é".to_owned(),
                c => c.to_string(),
            }).collect();
            let built = format!("{service}:{built}");
            let built = match case {
                0 => built,
                1 => built.to_ascii_uppercase(),
                _ => built.to_ascii_lowercase(),
            };
            proptest::prop_assert!(Glob::ascii_case_insensitive(&pattern).is_match(&built));
            for action in [built, action.clone(), format!("{service}:{action}")] {
                let name_part = action.split_once(':').map_or("", |(_, n)| n);
                if Glob::ascii_case_insensitive(&pattern).is_match(&action) {
                    proptest::prop_assert!(
                        required.admits(ActionPrefix::of_name(name_part.as_bytes())),
                        "{pattern:?} matches {action:?} but its prefix rejects it"
                    );
                }
            }
        }
    }

    #[test]
    fn policy_filter_is_what_all_its_statements_require() {
        let compile = |d: &str| CompiledPolicy::new(&PolicyDocument::parse(d).unwrap());
        let scoped = compile(
            r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"oss:Get*","Resource":"acs:oss:*:1:bucket/logs/*"},
            {"Effect":"Deny","Action":"oss:GetObjectAcl","Resource":"acs:oss:*:1:bucket/logs/private/*"}]}"#,
        );
        assert_eq!(scoped.required, required_bigrams("acs:oss:*:1:bucket/logs/*"));
        // A statement that requires nothing (any resource, NotResource) makes the policy
        // require nothing; so does a policy without statements.
        for d in [
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get*","Resource":"acs:oss:*:1:bucket/logs/*"},{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:*","NotResource":"acs:oss:*:1:bucket/logs/*"}]}"#,
            r#"{"Version":"1","Statement":[]}"#,
        ] {
            assert_eq!(compile(d).required, 0, "{d}");
        }
        let s = set(&[
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get*","Resource":"acs:oss:*:1:bucket/logs/*"},
               {"Effect":"Deny","Action":"oss:GetObjectAcl","Resource":"acs:oss:*:1:bucket/logs/private/*"}]}"#,
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"acs:oss:*:1:bucket/site/*"}]}"#,
        ]);
        for (action, resource, expected) in [
            ("oss:GetObject", "acs:oss:x:1:bucket/logs/a", Decision::Allow),
            (
                "oss:GetObjectAcl",
                "acs:oss:x:1:bucket/logs/private/a",
                Decision::ExplicitDeny,
            ),
            ("oss:GetObject", "acs:oss:x:1:bucket/site/a", Decision::Allow),
            ("oss:GetObject", "acs:oss:x:1:bucket/other/a", Decision::ImplicitDeny),
        ] {
            assert_eq!(decide(&s, action, resource), expected, "{action} {resource}");
        }
    }

    #[test]
    fn hash_is_case_insensitive_past_the_buffer() {
        let long = format!("svc:{}", "Ab".repeat(100));
        assert_eq!(
            hash_folded(long.as_bytes()),
            hash_folded(long.to_ascii_lowercase().as_bytes())
        );
        let s = set(&[&format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"{long}","Resource":"*"}}]}}"#
        )]);
        assert_eq!(decide(&s, &long.to_ascii_uppercase(), "x"), Decision::Allow);
    }
}
