//! The authorizer: lock-free checks against an immutable, compiled snapshot of a directory
//! (spec section 4).
//!
//! Readers load the current [`Snapshot`] through `arc-swap` (no lock, no blocking) and
//! evaluate the caller's precomputed policies. Writers are serialized by a mutex, apply a
//! batch to a copy of the directory, rebuild only the users and roles the batch touched and
//! publish the next snapshot with one atomic swap: a reader sees the old directory or the new
//! one, never half of a change, and the very next check sees the change.

use std::sync::{Arc, LazyLock};

use arc_swap::ArcSwap;
use imbl::HashMap;
use jiff::Timestamp;
use parking_lot::Mutex;

use crate::decision::{Decision, Explanation, PolicyRef, Source};
use crate::directory::{
    AccessKeyStatus, AttachedPolicy, Change, Directory, DirectoryError, Dirty, PolicyType, SYSTEM_POLICIES,
};
use crate::name_table::{INLINE, Name, NameTable, Prefetched};
use crate::policy::PolicyDocument;
use crate::policy_set::{ActionKey, CompiledPolicy, ListedPolicy, PolicySet, Request, decide_each, explain_listed};

/// Who is asking.
#[derive(Clone, Copy, Debug)]
pub enum Principal<'a> {
    /// The account root: allowed everything, bounded by no RAM policy.
    Root,
    /// A RAM user by name.
    User(&'a str),
    /// A session of a role, with its session policy (already compiled) if it has one.
    RoleSession {
        /// The role's name.
        role: &'a str,
        /// The session policy, evaluated as its own gate before the role's policies.
        session_policy: Option<&'a PolicySet>,
    },
}

/// A principal and, when the request was signed, the access key that signed it.
#[derive(Clone, Copy, Debug)]
pub struct Caller<'a> {
    /// Who is asking.
    pub principal: Principal<'a>,
    /// The AccessKeyId that signed the request, if any.
    pub access_key_id: Option<&'a str>,
}

impl<'a> Caller<'a> {
    /// A RAM user the application has already authenticated (no key check).
    pub fn user(name: &'a str) -> Caller<'a> {
        Caller {
            principal: Principal::User(name),
            access_key_id: None,
        }
    }

    /// A RAM user by one of its access keys: the key must exist, be active and be the user's.
    pub fn user_with_key(name: &'a str, access_key_id: &'a str) -> Caller<'a> {
        Caller {
            principal: Principal::User(name),
            access_key_id: Some(access_key_id),
        }
    }

    /// A session of `role` (from a verified STS token), with its compiled session policy if
    /// the session has one: checks evaluate the session policy first (an implicit deny there
    /// is final), then the role's policies.
    ///
    /// ```
    /// use ram_core::authorizer::{Caller, Principal};
    ///
    /// let c = Caller::role_session("ops", None);
    /// assert!(matches!(c.principal, Principal::RoleSession { role: "ops", session_policy: None }));
    /// ```
    pub fn role_session(role: &'a str, session_policy: Option<&'a PolicySet>) -> Caller<'a> {
        Caller {
            principal: Principal::RoleSession { role, session_policy },
            access_key_id: None,
        }
    }

    /// The account root.
    pub fn root() -> Caller<'a> {
        Caller {
            principal: Principal::Root,
            access_key_id: None,
        }
    }
}

/// Why a caller could not be authenticated. Never a decision: the request was not evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No such user.
    #[error("the user {0:?} does not exist")]
    UnknownUser(String),
    /// No such role.
    #[error("the role {0:?} does not exist")]
    UnknownRole(String),
    /// No such access key.
    #[error("the access key does not exist")]
    UnknownAccessKey,
    /// The access key is inactive.
    #[error("the access key is inactive")]
    InactiveAccessKey,
    /// The access key belongs to someone else.
    #[error("the access key does not belong to the caller")]
    ForeignAccessKey,
    /// The directory refuses the root's access keys.
    #[error("the account root may not use access keys (refused by the security preference)")]
    RootAccessKeysRefused,
}

impl AuthError {
    /// The wire error code.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::UnknownAccessKey | AuthError::ForeignAccessKey => "InvalidAccessKeyId.NotFound",
            AuthError::InactiveAccessKey => "InvalidAccessKeyId.Inactive",
            AuthError::RootAccessKeysRefused => "InvalidAccessKeyId.RootRefused",
            AuthError::UnknownUser(_) => "EntityNotExist.User",
            AuthError::UnknownRole(_) => "EntityNotExist.Role",
        }
    }
}

/// A system policy, compiled once per process, with the name and version that every set
/// holding it shares (see [`Attached`]).
struct SystemCompiled {
    name: Arc<str>,
    version: Arc<str>,
    compiled: Arc<CompiledPolicy>,
}

/// The system policies, compiled once per process.
static SYSTEM_COMPILED: LazyLock<Vec<SystemCompiled>> = LazyLock::new(|| {
    SYSTEM_POLICIES
        .iter()
        .filter_map(|p| {
            PolicyDocument::parse(p.document).ok().map(|d| SystemCompiled {
                name: Arc::from(p.name),
                version: Arc::from(p.version),
                compiled: compile_kept(d),
            })
        })
        .collect()
});

/// A role's trust policy as of a snapshot: parsed once per change of the role, with a
/// digest that STS tokens record so that a change of the trust policy ends the sessions
/// issued under the previous one.
#[derive(Clone, Debug)]
pub struct RoleTrust {
    document: Option<Arc<PolicyDocument>>,
    digest: [u8; 32],
}

impl RoleTrust {
    fn new(text: &str) -> RoleTrust {
        use sha2::{Digest, Sha256};
        // Stored documents were validated; one that no longer parses trusts nobody.
        let document = PolicyDocument::parse_with(text, &crate::ParseOptions::trust().max_chars(usize::MAX))
            .ok()
            .map(Arc::new);
        RoleTrust {
            document,
            digest: Sha256::digest(text.as_bytes()).into(),
        }
    }

    /// The parsed trust policy (`None` if the stored text no longer parses: trusts nobody).
    pub fn document(&self) -> Option<&PolicyDocument> {
        self.document.as_deref()
    }

    /// SHA-256 of the trust policy text.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }
}

/// An empty policy: what a position of [`Snapshot::policies`] holds once its custom policy
/// is deleted (it has no service, so a decision skips it), and what a stored document that
/// no longer parses compiles to.
static NO_POLICY: LazyLock<Arc<CompiledPolicy>> = LazyLock::new(|| {
    let doc = PolicyDocument::parse(r#"{"Version":"1","Statement":[]}"#).expect("the empty policy parses");
    Arc::new(CompiledPolicy::new(&doc))
});

/// An immutable view of a directory with every caller's policy set compiled.
#[derive(Clone, Debug)]
pub struct Snapshot {
    directory: Directory,
    /// Custom policy name -> its default version, compiled, and its position in `policies`.
    custom: HashMap<Arc<str>, CustomPolicy>,
    /// Every compiled policy a user's entry can list ([`UserPolicies`]), by position: the
    /// system policies, then the custom policies in the order this snapshot's line first
    /// compiled them. A position is never given to another policy (a deleted policy's
    /// becomes [`NO_POLICY`]), so a slot carried over from an earlier snapshot of the line
    /// still means what it meant; once the positions run out, the next publish that changes a
    /// policy compiles a fresh snapshot, which numbers the live policies densely again.
    /// Shared between snapshots until a policy changes.
    policies: Arc<[ListedPolicy]>,
    /// Every group's policies as positions in `policies`, at the group's own position: the
    /// slot of a user whose policies do not all fit in it lists the user's groups instead of
    /// their policies ([`PolicyIds`]), and a check reads those here, in a table every check
    /// shares and keeps warm. Numbered like `policies` (a deleted group's position stays
    /// empty until the positions run out and a fresh snapshot renumbers them). Shared between
    /// snapshots until a group's policies change.
    groups: Arc<[Option<GroupIds>]>,
    /// Group name (the one that every member's set shares, see [`Attached`]) -> its position
    /// in `groups` (`None` once all [`POSITIONS`] are taken).
    group_positions: HashMap<Arc<str>, Option<u16>>,
    /// User name -> the user's policies, in a table whose lookup is about one cache miss in
    /// a large directory (see [`NameTable`]).
    users: UserTable,
    /// Active access key id -> its user and the user's policies: a signed check is one lookup
    /// here instead of the directory's key index plus its user map (measured on W-directory
    /// at 100,000 users: about 2 µs less per check, those lookups being cache misses).
    keys: NameTable<ActiveKey>,
    roles: HashMap<String, Arc<PolicySet>>,
    guardrails: Option<Arc<PolicySet>>,
    /// Role name -> its trust policy, parsed, and digest.
    trust: HashMap<String, Arc<RoleTrust>>,
}

/// User names of up to this many bytes are stored in their table slot (RAM allows 64; a
/// longer one costs one more miss per check to compare): 24 bytes, so that a user's slot
/// (name, [`PolicyIds`], set) takes 64 bytes. At 100,000 users the table is then 8.4 MB
/// instead of 10.5 (80-byte slots with a copy of the hash). On W-directory the gain is within
/// this VM's noise (100,000 users, five alternating `latency --quick` runs: a check 545 → 529
/// ns at the median); it is kept for the smaller footprint, which leaves more of a shared
/// cache to the policies. The table's memory ([`crate::table_memory`]) starts every block on a
/// cache line, so each slot is exactly one line. (Aligned by glibc before, that made a
/// one-user publish at 100,000 users 51 → 99–136 µs, glibc serving 64-aligned blocks of a
/// copied shard from fresh pages; the tables' pool reuses what a publish frees, and a
/// publish measured 57–58 µs with it and 57–59 µs without.)
const USER_NAME_INLINE: usize = 22;

type UserTable = NameTable<UserPolicies, USER_NAME_INLINE>;

const _: () = assert!(UserTable::SLOT_BYTES == 64);

/// An active access key in a [`Snapshot`].
#[derive(Clone, Debug)]
struct ActiveKey {
    /// Inline, so that checking the owner costs no load beyond the key's slot.
    owner: Name<USER_NAME_INLINE>,
    user: UserPolicies,
}

/// Whose policies decide for an authenticated caller.
enum Identity<'a> {
    User(&'a UserPolicies),
    Role(&'a PolicySet),
}

/// A policy attached to a user, group or role, as a set is built from it.
///
/// Its name and version are the snapshot's (the custom policy's name is the key of
/// [`Snapshot::custom`]), shared by every set that holds the policy, as is a group's name in
/// [`Source::Group`] (the key of [`Snapshot::group_positions`]): an explanation clones them,
/// and a copy per set was a cache miss per name at 100,000 users, while shared ones stay
/// warm.
struct Attached {
    name: Arc<str>,
    version: Arc<str>,
    compiled: Arc<CompiledPolicy>,
    /// Its position in [`Snapshot::policies`].
    id: Option<u16>,
}

/// A custom policy in a [`Snapshot`].
#[derive(Clone, Debug)]
struct CustomPolicy {
    version: Arc<str>,
    compiled: Arc<CompiledPolicy>,
    /// Its position in [`Snapshot::policies`] (`None` once all [`POSITIONS`] are taken).
    id: Option<u16>,
}

/// A user's policies as a check reads them: their positions in [`Snapshot::policies`] and
/// their groups' in [`Snapshot::groups`], in the user's table slot, and the user's set.
///
/// In a large directory the slot of the user (one of 100,000, at random) is the one cache
/// miss a check cannot avoid; following a pointer from it to the user's set was a second
/// one of about the same price (`perf` on W-directory at 100,000 users: each about a fifth
/// of a check). So the slot lists the policies itself, as 2-byte positions in a table that
/// every check shares and keeps warm, and the set is read only to explain a decision, or to
/// decide for a user whose slot cannot list them (more than [`INLINE_IDS`] own policies and
/// groups, more than [`MAX_LISTED`] policies in all, or a policy without a position).
#[derive(Clone, Debug)]
struct UserPolicies {
    ids: PolicyIds,
    set: Arc<PolicySet>,
}

impl UserPolicies {
    // Positions come from this snapshot or an earlier one of its line: the tables only grow,
    // and a position never changes policy or group. A slot that does not expand (which the
    // build rules out) is decided through the set, never by a partial list.
    #[inline]
    fn decide(&self, snap: &Snapshot, key: &ActionKey<'_>, req: &Request<'_>) -> Decision {
        let policies = &snap.policies;
        match self.ids.get() {
            Some(ids) if self.ids.groups == 0 => decide_each(ids.len(), |i| &policies[usize::from(ids[i])], key, req),
            Some(_) => {
                let mut listed = [0; LISTED_ROOM];
                match self.ids.expand(&snap.groups, &mut listed) {
                    Some(n) => decide_each(n, |i| &policies[usize::from(listed[i])], key, req),
                    None => self.set.decide_with(key, req),
                }
            }
            None => self.set.decide_with(key, req),
        }
    }

    fn explain(&self, snap: &Snapshot, key: &ActionKey<'_>, req: &Request<'_>) -> Explanation {
        // The set is read only to name what matched, after the statements are matched.
        self.set.prefetch_refs();
        let mut listed = [0; LISTED_ROOM];
        match self.ids.expand(&snap.groups, &mut listed) {
            // The set holds the same policies in the same order (`Snapshot::rebuild_user`).
            Some(n) => explain_listed(
                n,
                |i| &snap.policies[usize::from(listed[i])],
                |i| self.set.policy_ref(i),
                key,
                req,
            ),
            None => self.set.explain_with(key, req),
        }
    }
}

/// Positions in [`Snapshot::policies`], and apart from them in [`Snapshot::groups`]: what 15
/// bits can number, the 16th telling a group's from a policy's in [`PolicyIds`] (a few in
/// unit tests, so that they can run out).
const POSITIONS: usize = if cfg!(test) { 40 } else { GROUP as usize };

/// The bit that marks a group's position in [`PolicyIds`].
const GROUP: u16 = 0x8000;

/// Own policies and groups a [`UserPolicies`] lists by position: RAM's quotas allow a user 10
/// custom policies of their own and 5 groups.
const INLINE_IDS: usize = 15;

/// Policies a [`UserPolicies`] lists in all, its groups' included (on the stack of a check;
/// a few in unit tests, so that a user can exceed it).
const MAX_LISTED: usize = if cfg!(test) { 20 } else { 64 };

/// Room for the positions a check lists: up to [`MAX_LISTED`], and a whole [`GroupIds`]
/// copied past them.
const LISTED_ROOM: usize = MAX_LISTED + GROUP_IDS;

/// Policies a [`GroupIds`] lists: RAM's quotas allow a group 5 custom and 20 system policies.
const GROUP_IDS: usize = 31;

/// A group's policies as positions in [`Snapshot::policies`], in attachment order, inline
/// (64 bytes): expanding a member's slot copies the whole array, a fixed-size copy without a
/// call to `memcpy` and without following a pointer per group (a first form with boxed lists,
/// which every check expanded, cost 25–30 ns per check at 100 users). A group of more
/// policies, or of one without a position, has none, and its members are decided through
/// their sets.
#[derive(Clone, Copy, Debug)]
struct GroupIds {
    len: u16,
    ids: [u16; GROUP_IDS],
}

impl GroupIds {
    fn new(ids: impl IntoIterator<Item = Option<u16>>) -> Option<GroupIds> {
        let mut list = GroupIds {
            len: 0,
            ids: [0; GROUP_IDS],
        };
        for id in ids {
            *list.ids.get_mut(usize::from(list.len))? = id?;
            list.len += 1;
        }
        Some(list)
    }

    fn len(&self) -> usize {
        usize::from(self.len)
    }
}

/// What [`Snapshot::prepare`] readies while the caller's table slot loads: the request's key,
/// and where the slot is, so that the lookup after it does not hash the name or search the
/// table again.
struct Prepared<'s, 'r> {
    key: ActionKey<'r>,
    slot: PrefetchedSlot<'s>,
}

/// The slot being loaded: of the caller's access key if it signed with one, else of the user.
#[derive(Clone, Copy)]
enum PrefetchedSlot<'s> {
    User(Prefetched<'s, UserPolicies, USER_NAME_INLINE>),
    Key(Prefetched<'s, ActiveKey, INLINE>),
}

/// Up to [`INLINE_IDS`] positions, in the order of the user's set (the user's own policies,
/// then each group's): either of every policy (flat: a check reads them as they are), or, for
/// a user whose policies do not fit, of the user's own policies and of each group ([`GROUP`]
/// set), which a check expands from [`Snapshot::groups`]; or none (`len`
/// [`PolicyIds::NONE`]: too many, or one without a position).
///
/// Users whose policies did not fit used to be decided through their set, one more cache miss
/// in a large directory: on W-directory at 100,000 users, the checks of users of 16–20
/// policies (6.6% of them) took 1.07–1.40 µs at the median against 0.39–0.56 µs for the
/// others. Listed by group they take 0.55–0.59 µs, and a check's p99 went from 1.73 to 1.16
/// µs (`Instant` around each check, 20 rounds of 65,536). A flat list is kept where it fits,
/// since expanding costs a check about 20 ns.
#[derive(Clone, Copy, Debug, Default)]
struct PolicyIds {
    len: u8,
    /// How many of them are groups (0: flat).
    groups: u8,
    ids: [u16; INLINE_IDS],
}

impl PolicyIds {
    const NONE: u8 = u8::MAX;

    /// Lists a policy at `id`.
    fn push(&mut self, id: Option<u16>) {
        match id {
            Some(id) if usize::from(self.len) < INLINE_IDS => {
                self.ids[usize::from(self.len)] = id;
                self.len += 1;
            }
            _ => self.len = Self::NONE,
        }
    }

    /// Lists a group at `id`.
    fn push_group(&mut self, id: Option<u16>) {
        self.push(id.map(|id| id | GROUP));
        self.groups = self.groups.saturating_add(1);
    }

    /// The positions of every policy listed, the groups' expanded from `groups`, into
    /// `out`; their number, or `None` if this lists none, more than [`MAX_LISTED`], or a
    /// group without a list in `groups`.
    #[inline]
    fn expand(&self, groups: &[Option<GroupIds>], out: &mut [u16; LISTED_ROOM]) -> Option<usize> {
        let mut n = 0;
        for &id in self.get()? {
            if id & GROUP == 0 {
                *out.get_mut(n)? = id;
                n += 1;
            } else {
                let list = groups.get(usize::from(id & !GROUP))?.as_ref()?;
                out.get_mut(n..n + GROUP_IDS)?.copy_from_slice(&list.ids);
                n += list.len();
            }
        }
        (n <= MAX_LISTED).then_some(n)
    }

    #[inline]
    fn get(&self) -> Option<&[u16]> {
        self.ids.get(..usize::from(self.len))
    }
}

impl Snapshot {
    /// Compiles every set of `directory`.
    pub fn new(directory: Directory) -> Snapshot {
        let mut snap = Snapshot {
            directory,
            custom: HashMap::new(),
            policies: Arc::new([]),
            groups: Arc::new([]),
            group_positions: HashMap::new(),
            users: UserTable::default(),
            keys: NameTable::default(),
            roles: HashMap::new(),
            guardrails: None,
            trust: HashMap::new(),
        };
        let mut policies: Vec<ListedPolicy> = SYSTEM_COMPILED.iter().map(|s| s.compiled.listed()).collect();
        let names: Vec<String> = snap
            .directory
            .custom_policies()
            .map(|p| p.policy_name.clone())
            .collect();
        for name in names {
            snap.recompile(&name, &mut policies);
        }
        snap.policies = policies.into();
        let groups: Vec<String> = snap.directory.groups().map(|g| g.group_name.clone()).collect();
        snap.rebuild_groups(&groups);
        let users: Vec<String> = snap.directory.users().map(|u| u.user_name.clone()).collect();
        let roles: Vec<String> = snap.directory.roles().map(|r| r.role_name.clone()).collect();
        for u in users {
            snap.rebuild_user(&u);
        }
        for r in roles {
            snap.rebuild_role(&r);
        }
        snap.rebuild_guardrails();
        snap
    }

    /// The directory this snapshot was built from.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The compiled identity set of a user (own and group policies).
    pub fn user_set(&self, name: &str) -> Option<&Arc<PolicySet>> {
        self.users.get(name).map(|u| &u.set)
    }

    /// The compiled set of a role's attached policies.
    pub fn role_set(&self, name: &str) -> Option<&Arc<PolicySet>> {
        self.roles.get(name)
    }

    /// A role's trust policy, parsed, with its digest.
    pub fn role_trust(&self, name: &str) -> Option<&Arc<RoleTrust>> {
        self.trust.get(name)
    }

    /// Authenticates a caller without deciding anything: the user exists, and the access key
    /// (if any) exists, is active and is the user's; the role of a session exists; root keys
    /// follow the security preference.
    pub fn authenticate(&self, caller: &Caller<'_>) -> Result<(), AuthError> {
        self.identity(caller, None).map(|_| ())
    }

    /// The next snapshot after a batch that touched `dirty`, sharing everything untouched.
    fn next(&self, directory: Directory, dirty: &Dirty) -> Snapshot {
        let mut snap = Snapshot {
            directory,
            custom: self.custom.clone(),
            policies: self.policies.clone(),
            groups: self.groups.clone(),
            group_positions: self.group_positions.clone(),
            users: self.users.clone(),
            keys: self.keys.clone(),
            roles: self.roles.clone(),
            guardrails: self.guardrails.clone(),
            trust: self.trust.clone(),
        };
        let mut users: Vec<String> = dirty.users.iter().cloned().collect();
        let mut roles: Vec<String> = dirty.roles.iter().cloned().collect();
        let mut groups: Vec<String> = dirty.groups.iter().cloned().collect();
        for g in &dirty.groups {
            if let Some(group) = snap.directory.group(g) {
                users.extend(group.members.iter().cloned());
            }
        }
        let mut guardrails = dirty.guardrails;
        if !dirty.policies.is_empty() {
            let mut policies = snap.policies.to_vec();
            for name in &dirty.policies {
                snap.recompile(name, &mut policies);
            }
            if policies.len() >= POSITIONS && snap.custom.len() + SYSTEM_COMPILED.len() < POSITIONS / 2 {
                // Mostly the positions of deleted policies: start the numbering afresh.
                return Snapshot::new(snap.directory);
            }
            snap.policies = policies.into();
            let touches = |list: &[AttachedPolicy]| {
                list.iter()
                    .any(|a| a.policy_type == PolicyType::Custom && dirty.policies.contains(&a.policy_name))
            };
            let dir = &snap.directory;
            groups.extend(
                dir.groups()
                    .filter(|g| touches(&g.policies))
                    .map(|g| g.group_name.clone()),
            );
            for u in dir.users() {
                if touches(&u.policies)
                    || u.groups
                        .iter()
                        .any(|g| dir.group(g).is_some_and(|g| touches(&g.policies)))
                {
                    users.push(u.user_name.clone());
                }
            }
            roles.extend(
                dir.roles()
                    .filter(|r| touches(&r.policies))
                    .map(|r| r.role_name.clone()),
            );
            guardrails |= touches(dir.guardrails());
        }
        users.sort_unstable();
        users.dedup();
        roles.sort_unstable();
        roles.dedup();
        groups.sort_unstable();
        groups.dedup();
        // Members read their groups' lists: groups first.
        snap.rebuild_groups(&groups);
        if snap.groups.len() >= POSITIONS && snap.directory.groups().count() < POSITIONS / 2 {
            // Mostly the positions of deleted groups: start the numbering afresh.
            return Snapshot::new(snap.directory);
        }
        // All the old keys go before any user is rebuilt: a rename moves key ids from one
        // dirty user to another, and a later removal must not undo an earlier rebuild.
        for u in &users {
            if let Some(old) = self.directory.user(u) {
                for k in &old.access_keys {
                    snap.keys.remove(&k.access_key_id);
                }
            }
        }
        // rebuild_user enters the active keys of now.
        for u in &users {
            snap.rebuild_user(u);
        }
        for r in &roles {
            snap.rebuild_role(r);
        }
        if guardrails {
            snap.rebuild_guardrails();
        }
        snap
    }

    /// Compiles custom policy `name` as the directory now has it (or forgets it if it is
    /// gone), at its position in `policies` (the next `Snapshot::policies`), given one if it
    /// is new.
    fn recompile(&mut self, name: &str, policies: &mut Vec<ListedPolicy>) {
        if self.directory.custom_policy(name).is_none() {
            if let Some(old) = self.custom.remove(name)
                && let Some(id) = old.id
            {
                policies[usize::from(id)] = NO_POLICY.listed();
            }
            return;
        }
        let (version, compiled) = compile_custom(&self.directory, name);
        let old = self.custom.get_key_value(name);
        // The name that every set holding the policy shares stays the same allocation.
        let shared = old.map_or_else(|| Arc::from(name), |(shared, _)| shared.clone());
        let id = match old {
            Some((_, old)) => old.id,
            None => u16::try_from(policies.len())
                .ok()
                .filter(|&id| usize::from(id) < POSITIONS)
                .inspect(|_| {
                    policies.push(NO_POLICY.listed());
                }),
        };
        if let Some(id) = id {
            policies[usize::from(id)] = compiled.listed();
        }
        self.custom.insert(shared, CustomPolicy { version, compiled, id });
    }

    /// An attached policy's default version, compiled, and its position in `policies`.
    fn compiled(&self, a: &AttachedPolicy) -> Option<Attached> {
        match a.policy_type {
            PolicyType::Custom => self
                .custom
                .get_key_value(a.policy_name.as_str())
                .map(|(name, c)| Attached {
                    name: name.clone(),
                    version: c.version.clone(),
                    compiled: c.compiled.clone(),
                    id: c.id,
                }),
            PolicyType::System => {
                let id = SYSTEM_COMPILED.iter().position(|s| *s.name == *a.policy_name)?;
                let system = &SYSTEM_COMPILED[id];
                Some(Attached {
                    name: system.name.clone(),
                    version: system.version.clone(),
                    compiled: system.compiled.clone(),
                    id: u16::try_from(id).ok(),
                })
            }
        }
    }

    /// Adds the policies of `list` to `builder` and their positions to `ids`; how many.
    fn add_all(
        &self,
        builder: &mut crate::PolicySetBuilder,
        ids: &mut PolicyIds,
        list: &[AttachedPolicy],
        source: &Source,
    ) -> usize {
        let mut added = 0;
        for a in list {
            if let Some(attached) = self.compiled(a) {
                builder.push(
                    PolicyRef::new(attached.name, attached.version, source.clone()),
                    attached.compiled,
                );
                ids.push(attached.id);
                added += 1;
            }
        }
        added
    }

    /// Lists the policies of each group of `names` as the directory now has them (or empties
    /// the position of one that is gone), giving a position to a group new to this line.
    fn rebuild_groups(&mut self, names: &[String]) {
        if names.is_empty() {
            return;
        }
        let mut groups = self.groups.to_vec();
        for name in names {
            let Some(group) = self.directory.group(name) else {
                if let Some(Some(id)) = self.group_positions.remove(name.as_str()) {
                    groups[usize::from(id)] = None;
                }
                continue;
            };
            let id = match self.group_positions.get(name.as_str()) {
                Some(&id) => id,
                None => {
                    let id = u16::try_from(groups.len())
                        .ok()
                        .filter(|&id| usize::from(id) < POSITIONS)
                        .inspect(|_| groups.push(None));
                    self.group_positions.insert(Arc::from(name.as_str()), id);
                    id
                }
            };
            if let Some(id) = id {
                // The policies `add_all` adds to a member's set, in its order.
                let ids = group.policies.iter().filter_map(|a| self.compiled(a)).map(|a| a.id);
                groups[usize::from(id)] = GroupIds::new(ids);
            }
        }
        self.groups = groups.into();
    }

    fn rebuild_user(&mut self, name: &str) {
        let Some(user) = self.directory.user(name) else {
            self.users.remove(name);
            return;
        };
        let mut b = PolicySet::builder();
        // Every policy's position, and for a user whose policies do not all fit, their own
        // and their groups'.
        let mut flat = PolicyIds::default();
        let mut listed = self.add_all(&mut b, &mut flat, &user.policies, &Source::User);
        let mut grouped = flat;
        for g in &user.groups {
            if let Some(group) = self.directory.group(g) {
                let position = self.group_positions.get_key_value(g.as_str());
                let shared = position.map_or_else(|| Arc::from(g.as_str()), |(name, _)| name.clone());
                self.add_all(&mut b, &mut flat, &group.policies, &Source::Group(shared));
                // The group's list in `groups` holds the same policies in the same order.
                let id = position.and_then(|(_, &id)| id);
                match id.and_then(|id| self.groups.get(usize::from(id))?.as_ref()) {
                    Some(list) => {
                        grouped.push_group(id);
                        listed += list.len();
                    }
                    None => grouped.push(None),
                }
            }
        }
        let ids = match flat.get() {
            Some(_) => flat,
            None if listed <= MAX_LISTED => grouped,
            None => PolicyIds {
                len: PolicyIds::NONE,
                ..grouped
            },
        };
        let entry = UserPolicies {
            ids,
            set: Arc::new(b.build_shared()),
        };
        let owner = Name::new(name);
        for k in &user.access_keys {
            if k.status == AccessKeyStatus::Active {
                let active = ActiveKey {
                    owner: owner.clone(),
                    user: entry.clone(),
                };
                self.keys.insert(&k.access_key_id, active);
            }
        }
        self.users.insert(name, entry);
    }

    fn rebuild_role(&mut self, name: &str) {
        let Some(role) = self.directory.role(name) else {
            self.roles.remove(name);
            self.trust.remove(name);
            return;
        };
        self.trust.insert(
            name.to_owned(),
            Arc::new(RoleTrust::new(&role.assume_role_policy_document)),
        );
        let mut b = PolicySet::builder();
        self.add_all(&mut b, &mut PolicyIds::default(), &role.policies, &Source::Role);
        // Roles are few and each session's checks read their set: it gets a merged index,
        // unlike the users' sets, which a large directory holds by the hundred thousand.
        self.roles.insert(name.to_owned(), Arc::new(b.build()));
    }

    fn rebuild_guardrails(&mut self) {
        let list = self.directory.guardrails();
        self.guardrails = if list.is_empty() {
            None
        } else {
            let mut b = PolicySet::builder();
            self.add_all(&mut b, &mut PolicyIds::default(), list, &Source::Guardrail);
            Some(Arc::new(b.build()))
        };
    }

    /// In a large directory, starts loading the caller's table slot and prepares the
    /// request's key while it comes: the slot of a random user among 100,000 is the one cache
    /// miss a check cannot avoid, and [`ActionKey::new`] (hashing the action, scanning the
    /// resource) does not depend on it. W-directory at 100,000 users: a check 630 → 577 ns
    /// (medians of 12 alternating `latency --quick` runs in stop 12).
    ///
    /// The slot it finds is kept ([`Prepared`]), so that the lookup after the key neither
    /// hashes the name nor searches the table again: in stop 18 that took the `--bin gap`
    /// column `100k warm` (100,000 users, 100 of them asked about, so their slots stay warm)
    /// from 332–350 to 315–316 ns, and random users 7.5 ns (pairwise median, 16 alternating
    /// `latency --quick` runs), where the slot's miss, not the work, sets the pace.
    ///
    /// `None` (the key is prepared after the lookup, as before) for root and role sessions,
    /// which have no slot, and when the caller's table is small and warm
    /// ([`crate::name_table::PREFETCH_ABOVE`]): there, preparing the key first made a check at
    /// 100 users 18 ns slower (8 alternating runs, without the prefetch).
    #[inline]
    fn prepare<'r>(&self, caller: &Caller<'_>, req: &Request<'r>) -> Option<Prepared<'_, 'r>> {
        let Principal::User(name) = caller.principal else {
            return None;
        };
        let slot = match caller.access_key_id {
            Some(key_id) => PrefetchedSlot::Key(self.keys.prefetch(key_id)?),
            None => PrefetchedSlot::User(self.users.prefetch(name)?),
        };
        Some(Prepared {
            key: ActionKey::new(req),
            slot,
        })
    }

    /// Authenticates the caller and returns the identity policies to evaluate (`None` for
    /// root).
    /// `slot`: what [`Snapshot::prepare`] found in the table of the caller's key, or of the
    /// user without a key.
    fn identity<'s>(
        &'s self,
        caller: &Caller<'_>,
        slot: Option<PrefetchedSlot<'s>>,
    ) -> Result<Option<Identity<'s>>, AuthError> {
        match caller.principal {
            Principal::Root => {
                if caller.access_key_id.is_some() {
                    return Err(if self.directory.security_preference().refuse_root_access_keys {
                        AuthError::RootAccessKeysRefused
                    } else {
                        // Root keys are not managed by this directory.
                        AuthError::UnknownAccessKey
                    });
                }
                Ok(None)
            }
            Principal::User(name) => {
                // The common case of a signed request: an active key of this user.
                if let Some(key_id) = caller.access_key_id
                    && let Some(key) = match slot {
                        Some(PrefetchedSlot::Key(p)) => self.keys.get_prefetched(key_id, p),
                        _ => self.keys.get(key_id),
                    }
                    && key.owner.is(name)
                {
                    return Ok(Some(Identity::User(&key.user)));
                }
                // Otherwise the user alone, or the exact authentication failure.
                let user = match slot {
                    Some(PrefetchedSlot::User(p)) => self.users.get_prefetched(name, p),
                    _ => self.users.get(name),
                };
                let set = user.ok_or_else(|| AuthError::UnknownUser(name.to_owned()))?;
                if let Some(key_id) = caller.access_key_id {
                    let (owner, key) = self.directory.access_key(key_id).ok_or(AuthError::UnknownAccessKey)?;
                    if owner.user_name != name {
                        return Err(AuthError::ForeignAccessKey);
                    }
                    if key.status != AccessKeyStatus::Active {
                        return Err(AuthError::InactiveAccessKey);
                    }
                }
                Ok(Some(Identity::User(set)))
            }
            Principal::RoleSession { role, .. } => {
                let set = self
                    .roles
                    .get(role)
                    .ok_or_else(|| AuthError::UnknownRole(role.to_owned()))?;
                Ok(Some(Identity::Role(set)))
            }
        }
    }

    /// Decides a request for a caller: guardrails, then the session policy, then identity
    /// policies; the first step that does not allow ends evaluation with its outcome.
    pub fn check(&self, caller: &Caller<'_>, req: &Request<'_>) -> Result<Decision, AuthError> {
        let (key, slot) = self.prepare(caller, req).map(|p| (p.key, p.slot)).unzip();
        let Some(identity) = self.identity(caller, slot)? else {
            return Ok(Decision::Allow);
        };
        if let Some(g) = &self.guardrails {
            let d = g.decide(req);
            if d != Decision::Allow {
                return Ok(d);
            }
        }
        if let Principal::RoleSession {
            session_policy: Some(s),
            ..
        } = caller.principal
        {
            let d = s.decide(req);
            if d != Decision::Allow {
                return Ok(d);
            }
        }
        Ok(match identity {
            Identity::User(user) => user.decide(self, &key.unwrap_or_else(|| ActionKey::new(req)), req),
            Identity::Role(set) => set.decide(req),
        })
    }

    /// Like [`Snapshot::check`], with the explanation of the deciding step.
    pub fn explain(&self, caller: &Caller<'_>, req: &Request<'_>) -> Result<Explanation, AuthError> {
        let (key, slot) = self.prepare(caller, req).map(|p| (p.key, p.slot)).unzip();
        let Some(identity) = self.identity(caller, slot)? else {
            return Ok(Explanation {
                decision: Decision::Allow,
                matched: Vec::new(),
                failed_conditions: None,
            });
        };
        if let Some(g) = &self.guardrails {
            let e = g.explain(req);
            if e.decision != Decision::Allow {
                return Ok(e);
            }
        }
        if let Principal::RoleSession {
            session_policy: Some(s),
            ..
        } = caller.principal
        {
            let e = s.explain(req);
            if e.decision != Decision::Allow {
                return Ok(e);
            }
        }
        Ok(match identity {
            Identity::User(user) => user.explain(self, &key.unwrap_or_else(|| ActionKey::new(req)), req),
            Identity::Role(set) => set.explain(req),
        })
    }
}

fn compile_custom(dir: &Directory, name: &str) -> (Arc<str>, Arc<CompiledPolicy>) {
    let (text, version) = dir.policy_document(PolicyType::Custom, name).unwrap_or(("", "v1"));
    // Documents were validated when stored; a document that no longer parses (e.g. a
    // hand-edited state file) compiles to nothing rather than granting anything.
    let compiled = match PolicyDocument::parse_with(text, &crate::ParseOptions::identity().max_chars(usize::MAX)) {
        Ok(doc) => compile_kept(doc),
        Err(_) => NO_POLICY.clone(),
    };
    (Arc::from(version), compiled)
}

/// Compiles `doc`, and keeps a copy made once the document and the compiler's temporaries
/// are freed.
///
/// Compiling allocates the blocks a policy keeps (statements, index tables, conditions)
/// between those temporaries, whose holes the users' data then fills, so in a large
/// directory the policies' hot data lay scattered through hundreds of megabytes and every
/// check paid cache and TLB misses to reach it. The copy's blocks are allocated one after
/// another: its statements and index tables in [`crate::table_memory`]'s pool (since stop 16),
/// its index's entry lists (stop 18) and its statements' compiled conditions (stop 19) too, the
/// rest (the policy itself, what only explanations and index builds read) from the global
/// allocator, which serves consecutive requests from nearby memory. W-directory at
/// 100,000 users: a check 694 → 590 ns, p99 2.14 → 1.87 µs, no change at 100 users (10
/// alternating `latency --quick` runs in stop 12; copying all policies in one pass after
/// compiling them measured the same, 592 ns, and would not serve a publish's recompiles).
fn compile_kept(doc: PolicyDocument) -> Arc<CompiledPolicy> {
    let compiled = CompiledPolicy::new(&doc);
    drop(doc);
    Arc::new(compiled.clone())
}

/// Answers checks from many threads while an administrator changes the directory.
///
/// ```
/// use ram_core::authorizer::{Authorizer, Caller};
/// use ram_core::directory::{Change, Directory, PolicyTarget};
/// use ram_core::{Decision, Request, RequestContext};
///
/// let auth = Authorizer::new(Directory::new("123456789012")?);
/// auth.apply(&[
///     Change::CreateUser { name: "alice".into(), display_name: None },
///     Change::AttachPolicy { target: PolicyTarget::User("alice".into()), policy_type: None, policy: "AliyunOSSReadOnlyAccess".into() },
/// ])?;
/// let ctx = RequestContext::new();
/// let req = Request::new("oss:GetObject", "acs:oss:*:123456789012:bucket/a", &ctx);
/// assert_eq!(auth.check(&Caller::user("alice"), &req), Ok(Decision::Allow));
///
/// auth.apply(&[Change::DeleteUser { name: "alice".into(), cascade: true }])?;
/// assert!(auth.check(&Caller::user("alice"), &req).is_err()); // revoked at once
/// # Ok::<(), ram_core::directory::DirectoryError>(())
/// ```
pub struct Authorizer {
    current: ArcSwap<Snapshot>,
    /// Serializes writers, and holds the snapshot that the last publish replaced until the
    /// next one: a check that was running when it was replaced has finished by then, so the
    /// writer, not a reader, releases its memory. Releasing returns its tables to the pool of
    /// [`crate::table_memory`] under that pool's lock, which a writer may hold while the
    /// kernel faults in a fresh huge page; a check should not wait for that.
    writer: Mutex<Option<Arc<Snapshot>>>,
}

impl std::fmt::Debug for Authorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorizer").finish_non_exhaustive()
    }
}

impl Authorizer {
    /// Compiles `directory` and starts serving checks from it.
    pub fn new(directory: Directory) -> Authorizer {
        Authorizer {
            current: ArcSwap::from_pointee(Snapshot::new(directory)),
            writer: Mutex::new(None),
        }
    }

    /// The current snapshot; hold it to make several checks against one consistent view.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Decides a request (lock-free).
    pub fn check(&self, caller: &Caller<'_>, req: &Request<'_>) -> Result<Decision, AuthError> {
        self.current.load().check(caller, req)
    }

    /// Decides a request with its explanation (lock-free).
    pub fn explain(&self, caller: &Caller<'_>, req: &Request<'_>) -> Result<Explanation, AuthError> {
        self.current.load().explain(caller, req)
    }

    /// Applies a batch of changes now and publishes the result; all or nothing.
    pub fn apply(&self, changes: &[Change]) -> Result<Dirty, DirectoryError> {
        self.apply_at(changes, Timestamp::now(), |_, _| Ok(()))
    }

    /// Applies a batch as of `now`; `persist` sees the new directory and the batch before
    /// it is published, and an error from it abandons the batch.
    pub fn apply_at<F>(&self, changes: &[Change], now: Timestamp, persist: F) -> Result<Dirty, DirectoryError>
    where
        F: FnOnce(&Directory, &[Change]) -> Result<(), DirectoryError>,
    {
        let mut replaced = self.writer.lock();
        let current = self.current.load_full();
        let mut directory = current.directory.clone();
        let dirty = directory.apply_at(changes, now)?;
        persist(&directory, changes)?;
        let next = current.next(directory, &dirty);
        self.current.store(Arc::new(next));
        // Releases the snapshot replaced one publish ago (see `writer`).
        *replaced = Some(current);
        Ok(dirty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_ids_list_up_to_the_inline_limit_and_give_up_on_a_policy_without_a_position() {
        let mut ids = PolicyIds::default();
        assert_eq!(ids.get(), Some(&[][..]));
        for id in 0..INLINE_IDS as u16 {
            ids.push(Some(id * 2));
        }
        assert_eq!(ids.get().map(<[u16]>::len), Some(INLINE_IDS));
        assert_eq!(ids.get().unwrap()[INLINE_IDS - 1], (INLINE_IDS as u16 - 1) * 2);
        ids.push(Some(1));
        assert_eq!(ids.get(), None);
        ids.push(Some(1));
        assert_eq!(ids.get(), None, "once given up, stays given up");

        let mut ids = PolicyIds::default();
        ids.push(Some(3));
        ids.push(None);
        ids.push(Some(4));
        assert_eq!(ids.get(), None);
    }

    #[test]
    fn a_deleted_policy_keeps_its_position_emptied_and_a_new_one_takes_the_next() {
        let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}"#;
        let create = |name: &str| Change::CreatePolicy {
            name: name.into(),
            document: doc.into(),
            description: String::new(),
        };
        let auth = Authorizer::new(Directory::new("123456789012").unwrap());
        auth.apply(&[create("A"), create("B")]).unwrap();
        let snap = auth.snapshot();
        let systems = SYSTEM_COMPILED.len();
        assert_eq!(snap.policies.len(), systems + 2);
        let b = snap.custom.get("B").unwrap().id.unwrap();
        auth.apply(&[
            Change::DeletePolicy {
                name: "A".into(),
                cascade: true,
            },
            create("C"),
        ])
        .unwrap();
        let next = auth.snapshot();
        let a = snap.custom.get("A").unwrap().id.unwrap();
        assert!(Arc::ptr_eq(&next.policies[usize::from(a)].policy, &NO_POLICY));
        assert_eq!(
            next.policies[usize::from(a)].services,
            0,
            "no service: a decision skips it"
        );
        assert_eq!(next.custom.get("B").unwrap().id, Some(b));
        assert_eq!(usize::from(next.custom.get("C").unwrap().id.unwrap()), systems + 2);
        // The earlier snapshot is unchanged.
        assert!(Arc::ptr_eq(
            &snap.policies[usize::from(a)].policy,
            &snap.custom.get("A").unwrap().compiled
        ));
    }

    #[test]
    fn positions_of_deleted_policies_are_renumbered_once_they_run_out() {
        let allow = |svc: &str| {
            format!(r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"{svc}:*","Resource":"*"}}]}}"#)
        };
        let create = |name: &str, svc: &str| Change::CreatePolicy {
            name: name.into(),
            document: allow(svc),
            description: String::new(),
        };
        let attach = |user: &str, policy: &str| Change::AttachPolicy {
            target: crate::directory::PolicyTarget::User(user.into()),
            policy_type: None,
            policy: policy.into(),
        };
        let auth = Authorizer::new(Directory::new("123456789012").unwrap());
        auth.apply(&[
            Change::CreateUser {
                name: "alice".into(),
                display_name: None,
            },
            create("Ecs", "ecs"),
            attach("alice", "Ecs"),
        ])
        .unwrap();
        let ctx = crate::RequestContext::new();
        let ecs = Request::new("ecs:DescribeInstances", "acs:ecs:*:1:instance/i-1", &ctx);
        let oss = Request::new("oss:GetObject", "acs:oss:*:1:bucket/a", &ctx);
        let mut renumbered = 0;
        let mut last = auth.snapshot().policies.len();
        let mut count = |len: usize| {
            renumbered += usize::from(len < last);
            last = len;
        };
        for round in 0..3 * POSITIONS {
            let name = format!("T{round}");
            auth.apply(&[create(&name, "oss")]).unwrap();
            count(auth.snapshot().policies.len());
            auth.apply(&[Change::DeletePolicy { name, cascade: true }]).unwrap();
            let snap = auth.snapshot();
            count(snap.policies.len());
            assert!(snap.policies.len() <= POSITIONS);
            let alice = snap.users.get("alice").unwrap();
            assert!(
                alice.ids.get().is_some(),
                "round {round}: alice's policy keeps a position"
            );
            assert_eq!(snap.check(&Caller::user("alice"), &ecs), Ok(Decision::Allow));
            assert_eq!(snap.check(&Caller::user("alice"), &oss), Ok(Decision::ImplicitDeny));
        }
        assert!(
            renumbered >= 2,
            "the positions ran out and were renumbered ({renumbered} times)"
        );
        // A policy created now gets a position and counts at once.
        auth.apply(&[create("Oss", "oss"), attach("alice", "Oss")]).unwrap();
        let snap = auth.snapshot();
        assert!(snap.custom.get("Oss").unwrap().id.is_some());
        assert_eq!(snap.users.get("alice").unwrap().ids.get().map(<[u16]>::len), Some(2));
        assert_eq!(snap.check(&Caller::user("alice"), &oss), Ok(Decision::Allow));
    }

    #[test]
    fn the_writer_releases_replaced_snapshots_one_publish_later() {
        let auth = Authorizer::new(Directory::new("123456789012").unwrap());
        let create = |name: &str| Change::CreateUser {
            name: name.into(),
            display_name: None,
        };
        let first = auth.snapshot();
        auth.apply(&[create("alice")]).unwrap();
        // Replaced: still held by the writer, so a check that still uses it does not free it.
        assert_eq!(Arc::strong_count(&first), 2);
        let second = auth.snapshot();
        auth.apply(&[create("bob")]).unwrap();
        assert_eq!(Arc::strong_count(&first), 1, "released by the next publish");
        assert_eq!(Arc::strong_count(&second), 2);
        // A failed batch publishes nothing and keeps what it held.
        assert!(auth.apply(&[create("bob")]).is_err());
        assert_eq!(Arc::strong_count(&second), 2);
    }

    #[test]
    fn a_snapshot_shares_one_copy_of_each_compiled_policy() {
        let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*"}]}"#;
        let mut changes = vec![Change::CreateUser {
            name: "alice".into(),
            display_name: None,
        }];
        for name in ["A", "B", "C"] {
            changes.push(Change::CreatePolicy {
                name: name.into(),
                document: doc.into(),
                description: String::new(),
            });
            changes.push(Change::AttachPolicy {
                target: crate::directory::PolicyTarget::User("alice".into()),
                policy_type: None,
                policy: name.into(),
            });
        }
        let mut dir = Directory::new("123456789012").unwrap();
        dir.apply(&changes).unwrap();
        let snap = Snapshot::new(dir);
        let alice = snap.users.get("alice").unwrap();
        let ids = alice.ids.get().unwrap();
        assert_eq!(ids.len(), 3);
        for (i, name) in ["A", "B", "C"].into_iter().enumerate() {
            let custom = &snap.custom[name];
            let listed = &snap.policies[usize::from(custom.id.unwrap())].policy;
            // The table, the map and the user's list and set all hold the one copy that
            // `compile_custom` kept.
            assert!(Arc::ptr_eq(listed, &custom.compiled), "{name}");
            assert!(Arc::ptr_eq(
                &snap.policies[usize::from(ids[i])].policy,
                &custom.compiled
            ));
            assert_eq!(Arc::strong_count(&custom.compiled), 3, "{name}: map, table and set");
        }
        let ctx = crate::RequestContext::new();
        let req = Request::new("ecs:StartInstance", "acs:ecs:*:1:instance/i-1", &ctx);
        assert_eq!(snap.check(&Caller::user("alice"), &req), Ok(Decision::Allow));
    }

    #[test]
    fn sets_share_the_names_that_explanations_clone() {
        use crate::directory::PolicyTarget::{Group, User};
        let mut changes = vec![
            policy("Ecs", "Allow", "ecs:*"),
            policy("Rds", "Allow", "rds:*"),
            Change::CreateGroup { name: "dev".into() },
            attach(Group("dev".into()), "Rds"),
        ];
        for user in ["alice", "bob"] {
            changes.push(Change::CreateUser {
                name: user.into(),
                display_name: None,
            });
            changes.push(Change::AddUserToGroup {
                group: "dev".into(),
                user: user.into(),
            });
            changes.push(attach(User(user.into()), "Ecs"));
            changes.push(attach(User(user.into()), "AliyunOSSReadOnlyAccess"));
        }
        let mut dir = Directory::new("123456789012").unwrap();
        dir.apply(&changes).unwrap();
        let auth = Authorizer::new(dir);
        let ctx = crate::RequestContext::new();
        let requests = [
            Request::new("ecs:StartInstance", "acs:ecs:*:1:instance/i-1", &ctx),
            Request::new("oss:GetObject", "acs:oss:*:1:bucket/a", &ctx),
            Request::new("rds:DescribeDBInstances", "acs:rds:*:1:dbinstance/d", &ctx),
        ];
        let named = |user: &str, req: &Request<'_>| {
            let e = auth.explain(&Caller::user(user), req).unwrap();
            assert_eq!(e.decision, Decision::Allow, "{user} {}", req.action);
            assert_eq!(e.matched.len(), 1);
            e.matched[0].clone()
        };
        let snap = auth.snapshot();
        let oss_version = snap
            .directory()
            .policy_document(PolicyType::System, "AliyunOSSReadOnlyAccess")
            .unwrap()
            .1;
        let expected = [
            ("Ecs", "v1", Source::User),
            ("AliyunOSSReadOnlyAccess", oss_version, Source::User),
            ("Rds", "v1", Source::Group("dev".into())),
        ];
        let mut first = Vec::new();
        for (req, (name, version, source)) in requests.iter().zip(expected) {
            let (a, b) = (named("alice", req), named("bob", req));
            assert_eq!((&*a.policy, &*a.version, a.source.clone()), (name, version, source));
            assert_eq!(a, b);
            // One copy of each name and version for both users, not one per set.
            assert!(Arc::ptr_eq(&a.policy, &b.policy), "{name}");
            assert!(Arc::ptr_eq(&a.version, &b.version), "{name}");
            if let (Source::Group(x), Source::Group(y)) = (&a.source, &b.source) {
                assert!(Arc::ptr_eq(x, y));
            }
            first.push(a);
        }
        // A new default version: the sets are rebuilt with the new version and the same name.
        auth.apply(&[Change::CreatePolicyVersion {
            name: "Ecs".into(),
            document: r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Start*","Resource":"*"}]}"#.into(),
            set_as_default: true,
            rotate: false,
        }])
        .unwrap();
        let (a, b) = (named("alice", &requests[0]), named("bob", &requests[0]));
        assert_eq!((&*a.policy, &*a.version), ("Ecs", "v2"));
        assert!(Arc::ptr_eq(&a.policy, &b.policy) && Arc::ptr_eq(&a.version, &b.version));
        assert!(
            Arc::ptr_eq(&a.policy, &first[0].policy),
            "the name outlives a new version"
        );
    }

    /// Every check and explanation of `users` in the current snapshot agrees with the user's
    /// set, for requests that the tests' named policies decide.
    fn agrees_with_sets(auth: &Authorizer, users: &[&str]) {
        let snap = auth.snapshot();
        let ctx = crate::RequestContext::new();
        let requests = [
            Request::new("ecs:StartInstance", "acs:ecs:*:1:instance/i-1", &ctx),
            Request::new("ecs:DeleteInstance", "acs:ecs:*:1:instance/i-1", &ctx),
            Request::new("oss:GetObject", "acs:oss:*:1:bucket/a", &ctx),
            Request::new("rds:DescribeDBInstances", "acs:rds:*:1:dbinstance/d", &ctx),
        ];
        for user in users {
            let set = &snap.users.get(user).unwrap().set;
            for req in &requests {
                let caller = Caller::user(user);
                assert_eq!(snap.check(&caller, req), Ok(set.decide(req)), "{user} {}", req.action);
                assert_eq!(
                    snap.explain(&caller, req),
                    Ok(set.explain(req)),
                    "{user} {}",
                    req.action
                );
            }
        }
    }

    fn policy(name: &str, effect: &str, action: &str) -> Change {
        Change::CreatePolicy {
            name: name.into(),
            document: format!(
                r#"{{"Version":"1","Statement":[{{"Effect":"{effect}","Action":"{action}","Resource":"*"}}]}}"#
            ),
            description: String::new(),
        }
    }

    fn attach(target: crate::directory::PolicyTarget, policy: &str) -> Change {
        Change::AttachPolicy {
            target,
            policy_type: None,
            policy: policy.into(),
        }
    }

    #[test]
    fn a_slot_lists_the_groups_of_a_user_whose_policies_do_not_fit_and_a_group_change_reaches_every_member() {
        use crate::directory::PolicyTarget::{Group, User};
        let auth = Authorizer::new(Directory::new("123456789012").unwrap());
        let mut changes = vec![
            policy("EcsAll", "Allow", "ecs:*"),
            policy("NoDelete", "Deny", "ecs:DeleteInstance"),
            policy("OssRead", "Allow", "oss:Get*"),
            policy("RdsRead", "Allow", "rds:Describe*"),
        ];
        // Alice: 5 policies of her own, and groups of 5, 5 and 2: 17, more than her slot lists
        // flat (15 in unit tests). Bob: one group of 5.
        let fillers = |prefix: &'static str, n: usize| (0..n).map(move |i| format!("{prefix}{i}"));
        let mut own = vec!["RdsRead".to_owned()];
        own.extend(fillers("Own", 4));
        let groups = [
            (
                "dev",
                ["EcsAll".to_owned(), "OssRead".to_owned()]
                    .into_iter()
                    .chain(fillers("Dev", 3))
                    .collect::<Vec<_>>(),
            ),
            (
                "ops",
                std::iter::once("NoDelete".to_owned())
                    .chain(fillers("Ops", 4))
                    .collect(),
            ),
            ("qa", fillers("Qa", 2).collect()),
        ];
        for name in own.iter().chain(groups.iter().flat_map(|(_, p)| p)) {
            if !["EcsAll", "NoDelete", "OssRead", "RdsRead"].contains(&name.as_str()) {
                changes.push(policy(name, "Allow", &format!("{}:Get*", name.to_lowercase())));
            }
        }
        for user in ["alice", "bob"] {
            changes.push(Change::CreateUser {
                name: user.into(),
                display_name: None,
            });
        }
        changes.extend(own.iter().map(|p| attach(User("alice".into()), p)));
        for (group, policies) in &groups {
            changes.push(Change::CreateGroup { name: (*group).into() });
            changes.extend(policies.iter().map(|p| attach(Group((*group).into()), p)));
            changes.push(Change::AddUserToGroup {
                group: (*group).into(),
                user: "alice".into(),
            });
        }
        changes.push(Change::AddUserToGroup {
            group: "dev".into(),
            user: "bob".into(),
        });
        auth.apply(&changes).unwrap();
        let snap = auth.snapshot();
        let alice = snap.users.get("alice").unwrap();
        // Her own five and her three groups, standing for 17 policies in the order of her set.
        assert_eq!(alice.ids.get().map(<[u16]>::len), Some(8));
        assert_eq!(alice.ids.groups, 3);
        let mut listed = [0; LISTED_ROOM];
        let n = alice.ids.expand(&snap.groups, &mut listed).unwrap();
        let names: Vec<&str> = (0..n).map(|i| &*alice.set.policy_ref(i).name).collect();
        let expected: Vec<&str> = own
            .iter()
            .chain(groups.iter().flat_map(|(_, p)| p))
            .map(String::as_str)
            .collect();
        assert_eq!(names, expected);
        for (i, name) in names.iter().enumerate() {
            let compiled = &snap.custom[*name].compiled;
            assert!(
                Arc::ptr_eq(&snap.policies[usize::from(listed[i])].policy, compiled),
                "{name}"
            );
        }
        let bob = snap.users.get("bob").unwrap();
        assert_eq!(
            (bob.ids.get().map(<[u16]>::len), bob.ids.groups),
            (Some(5), 0),
            "bob's fit flat"
        );
        agrees_with_sets(&auth, &["alice", "bob"]);
        let ctx = crate::RequestContext::new();
        let delete = Request::new("ecs:DeleteInstance", "acs:ecs:*:1:instance/i-1", &ctx);
        let get = Request::new("oss:GetObject", "acs:oss:*:1:bucket/a", &ctx);
        assert_eq!(auth.check(&Caller::user("alice"), &delete), Ok(Decision::ExplicitDeny));
        assert_eq!(auth.check(&Caller::user("bob"), &delete), Ok(Decision::Allow));

        // A change to a group's policies reaches its members at once, through the group's list
        // and through a flat slot alike.
        auth.apply(&[Change::DetachPolicy {
            target: Group("dev".into()),
            policy_type: None,
            policy: "OssRead".into(),
        }])
        .unwrap();
        assert_eq!(auth.check(&Caller::user("alice"), &get), Ok(Decision::ImplicitDeny));
        assert_eq!(auth.check(&Caller::user("bob"), &get), Ok(Decision::ImplicitDeny));
        agrees_with_sets(&auth, &["alice", "bob"]);
        auth.apply(&[attach(Group("qa".into()), "OssRead")]).unwrap();
        assert_eq!(auth.snapshot().users.get("alice").unwrap().ids.groups, 3);
        assert_eq!(auth.check(&Caller::user("alice"), &get), Ok(Decision::Allow));
        assert_eq!(auth.check(&Caller::user("bob"), &get), Ok(Decision::ImplicitDeny));
        agrees_with_sets(&auth, &["alice", "bob"]);

        // A policy's new version reaches the members of the groups it is attached to.
        auth.apply(&[Change::CreatePolicyVersion {
            name: "NoDelete".into(),
            document: r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:*","Resource":"*"}]}"#.into(),
            set_as_default: true,
            rotate: false,
        }])
        .unwrap();
        assert_eq!(auth.check(&Caller::user("alice"), &get), Ok(Decision::ExplicitDeny));
        assert_eq!(auth.check(&Caller::user("alice"), &delete), Ok(Decision::Allow));
        agrees_with_sets(&auth, &["alice", "bob"]);

        // A renamed group keeps its policies under a new position; leaving it drops them, and
        // what is left fits flat.
        auth.apply(&[Change::UpdateGroup {
            name: "ops".into(),
            new_name: Some("sre".into()),
            comments: None,
        }])
        .unwrap();
        let snap = auth.snapshot();
        assert!(!snap.group_positions.contains_key("ops"));
        assert!(snap.group_positions.get("sre").copied().flatten().is_some());
        assert_eq!(auth.check(&Caller::user("alice"), &get), Ok(Decision::ExplicitDeny));
        agrees_with_sets(&auth, &["alice", "bob"]);
        auth.apply(&[Change::RemoveUserFromGroup {
            group: "sre".into(),
            user: "alice".into(),
        }])
        .unwrap();
        assert_eq!(auth.snapshot().users.get("alice").unwrap().ids.groups, 0);
        assert_eq!(auth.check(&Caller::user("alice"), &get), Ok(Decision::Allow));
        assert_eq!(auth.check(&Caller::user("alice"), &delete), Ok(Decision::Allow));
        agrees_with_sets(&auth, &["alice", "bob"]);
    }

    #[test]
    fn positions_of_deleted_groups_are_renumbered_once_they_run_out() {
        use crate::directory::PolicyTarget::Group;
        let auth = Authorizer::new(Directory::new("123456789012").unwrap());
        auth.apply(&[
            policy("EcsAll", "Allow", "ecs:*"),
            Change::CreateUser {
                name: "alice".into(),
                display_name: None,
            },
            Change::CreateGroup { name: "dev".into() },
            attach(Group("dev".into()), "EcsAll"),
            Change::AddUserToGroup {
                group: "dev".into(),
                user: "alice".into(),
            },
        ])
        .unwrap();
        let mut renumbered = 0;
        let mut last = auth.snapshot().groups.len();
        for round in 0..3 * POSITIONS {
            let name = format!("tmp{round}");
            // A group gets a position once it has policies.
            auth.apply(&[
                Change::CreateGroup { name: name.clone() },
                attach(Group(name.clone()), "EcsAll"),
            ])
            .unwrap();
            renumbered += usize::from(auth.snapshot().groups.len() < last);
            last = auth.snapshot().groups.len();
            auth.apply(&[
                Change::DetachPolicy {
                    target: Group(name.clone()),
                    policy_type: None,
                    policy: "EcsAll".into(),
                },
                Change::DeleteGroup { name },
            ])
            .unwrap();
            let snap = auth.snapshot();
            renumbered += usize::from(snap.groups.len() < last);
            last = snap.groups.len();
            assert!(snap.groups.len() <= POSITIONS);
            assert!(
                snap.users.get("alice").unwrap().ids.get().is_some(),
                "round {round}: alice's group keeps a position"
            );
            agrees_with_sets(&auth, &["alice"]);
        }
        assert!(
            renumbered >= 2,
            "the positions ran out and were renumbered ({renumbered} times)"
        );
    }

    #[test]
    fn a_user_name_longer_than_its_slot_holds_is_found_and_told_apart() {
        use crate::directory::PolicyTarget::User;
        let long = "u".repeat(64);
        let almost = "u".repeat(63);
        let auth = Authorizer::new(Directory::new("123456789012").unwrap());
        let mut changes = vec![policy("EcsAll", "Allow", "ecs:*")];
        for name in [&long, &almost, &"u".repeat(USER_NAME_INLINE)] {
            changes.push(Change::CreateUser {
                name: name.clone(),
                display_name: None,
            });
        }
        changes.push(attach(User(long.clone()), "EcsAll"));
        let key = Change::create_access_key(&long).unwrap();
        let Change::CreateAccessKey { access_key_id, .. } = &key else {
            unreachable!()
        };
        let key_id = access_key_id.clone();
        changes.push(key);
        auth.apply(&changes).unwrap();
        let ctx = crate::RequestContext::new();
        let req = Request::new("ecs:StartInstance", "acs:ecs:*:1:instance/i-1", &ctx);
        assert_eq!(auth.check(&Caller::user(&long), &req), Ok(Decision::Allow));
        assert_eq!(
            auth.check(&Caller::user_with_key(&long, &key_id), &req),
            Ok(Decision::Allow)
        );
        assert_eq!(auth.check(&Caller::user(&almost), &req), Ok(Decision::ImplicitDeny));
        assert_eq!(
            auth.check(&Caller::user_with_key(&almost, &key_id), &req),
            Err(AuthError::ForeignAccessKey)
        );
        assert_eq!(
            auth.check(&Caller::user(&"u".repeat(65)), &req),
            Err(AuthError::UnknownUser("u".repeat(65)))
        );
        agrees_with_sets(&auth, &[&long, &almost]);
    }

    #[test]
    fn a_group_with_a_policy_without_a_position_sends_its_members_to_their_sets() {
        let mut ids = PolicyIds::default();
        ids.push(Some(1));
        ids.push_group(Some(0));
        let groups = [GroupIds::new([Some(3), Some(4)])];
        let mut listed = [0; LISTED_ROOM];
        assert_eq!(ids.expand(&groups, &mut listed), Some(3));
        assert_eq!(listed[..3], [1, 3, 4]);
        // A list that no longer matches the table is never expanded partially.
        assert_eq!(ids.expand(&[None], &mut listed), None);
        assert_eq!(ids.expand(&[], &mut listed), None);
        let mut long = ids;
        long.push_group(Some(0));
        let full = [GroupIds::new(vec![Some(0); MAX_LISTED - 2])];
        assert_eq!(long.expand(&full, &mut listed), None, "more than a check lists");
        // A group of more policies than it lists inline, or of one without a position, has
        // no list.
        assert!(GroupIds::new(vec![Some(0); GROUP_IDS]).is_some());
        assert!(GroupIds::new(vec![Some(0); GROUP_IDS + 1]).is_none());
        assert!(GroupIds::new([Some(0), None]).is_none());
        // A group without a position: none.
        let mut ids = PolicyIds::default();
        ids.push_group(None);
        assert_eq!(ids.get(), None);
    }

    #[test]
    fn a_directory_large_enough_to_prefetch_decides_and_authenticates_as_its_sets_do() {
        use crate::name_table::PREFETCH_ABOVE;

        let doc = r#"{"Version":"1","Statement":[
            {"Effect":"Allow","Action":"ecs:*","Resource":"acs:ecs:*:*:instance/i-1*"},
            {"Effect":"Deny","Action":"ecs:DeleteInstance","Resource":"*"}]}"#;
        let attach = |user: &str, policy: &str| Change::AttachPolicy {
            target: crate::directory::PolicyTarget::User(user.into()),
            policy_type: None,
            policy: policy.into(),
        };
        // "Ecs", and as many more as make user u0's list too long for its slot ([`MAX_LISTED`]),
        // so that u0 is decided through its set with the prepared key.
        let policies: Vec<String> = std::iter::once("Ecs".to_owned())
            .chain((0..MAX_LISTED).map(|i| format!("Filler{i}")))
            .collect();
        let mut changes: Vec<Change> = policies
            .iter()
            .map(|name| Change::CreatePolicy {
                name: name.clone(),
                document: doc.into(),
                description: String::new(),
            })
            .collect();
        let users: Vec<String> = (0..2 * PREFETCH_ABOVE).map(|i| format!("u{i}")).collect();
        let mut keys = Vec::new();
        for (i, user) in users.iter().enumerate() {
            changes.push(Change::CreateUser {
                name: user.clone(),
                display_name: None,
            });
            if i == 0 {
                // Ten of its own and the rest through groups of five (the quotas).
                changes.extend(policies[..10].iter().map(|p| attach(user, p)));
                for (g, chunk) in policies[10..].chunks(5).enumerate() {
                    let group = format!("g{g}");
                    changes.push(Change::CreateGroup { name: group.clone() });
                    changes.push(Change::AddUserToGroup {
                        group: group.clone(),
                        user: user.clone(),
                    });
                    changes.extend(chunk.iter().map(|p| Change::AttachPolicy {
                        target: crate::directory::PolicyTarget::Group(group.clone()),
                        policy_type: None,
                        policy: p.clone(),
                    }));
                }
            } else if i % 2 == 0 {
                changes.push(attach(user, "Ecs"));
            }
            let key = Change::create_access_key(user).unwrap();
            if let Change::CreateAccessKey { access_key_id, .. } = &key {
                keys.push(access_key_id.clone());
            }
            changes.push(key);
        }
        let auth = Authorizer::new(Directory::new("123456789012").unwrap());
        auth.apply(&changes).unwrap();
        let snap = auth.snapshot();
        assert!(
            snap.users.get("u0").unwrap().ids.get().is_none(),
            "u0 is decided by its set"
        );

        let ctx = crate::RequestContext::new();
        let requests = [
            (
                Request::new("ecs:StartInstance", "acs:ecs:*:1:instance/i-12", &ctx),
                Decision::Allow,
            ),
            (
                Request::new("ecs:DeleteInstance", "acs:ecs:*:1:instance/i-12", &ctx),
                Decision::ExplicitDeny,
            ),
            (
                Request::new("ecs:StartInstance", "acs:ecs:*:1:instance/i-2", &ctx),
                Decision::ImplicitDeny,
            ),
        ];
        for (i, user) in users.iter().enumerate() {
            for (req, expected) in &requests {
                let expected = if i % 2 == 0 { *expected } else { Decision::ImplicitDeny };
                let set = &snap.users.get(user).unwrap().set;
                for caller in [Caller::user(user), Caller::user_with_key(user, &keys[i])] {
                    // The request's key is prepared before the lookup.
                    if crate::prefetch::ENABLED {
                        assert!(snap.prepare(&caller, req).is_some());
                    }
                    assert_eq!(snap.check(&caller, req), Ok(expected), "{user} {}", req.action);
                    assert_eq!(set.decide(req), expected);
                    assert_eq!(snap.explain(&caller, req), Ok(set.explain(req)));
                }
                let other = &keys[(i + 1) % keys.len()];
                assert_eq!(
                    snap.check(&Caller::user_with_key(user, other), req),
                    Err(AuthError::ForeignAccessKey)
                );
                assert_eq!(
                    snap.check(&Caller::user_with_key(user, "LTAI-unknown"), req),
                    Err(AuthError::UnknownAccessKey)
                );
            }
        }
        let req = &requests[0].0;
        assert_eq!(
            snap.check(&Caller::user("nobody"), req),
            Err(AuthError::UnknownUser("nobody".into()))
        );
        assert_eq!(snap.check(&Caller::root(), req), Ok(Decision::Allow));
    }
}
