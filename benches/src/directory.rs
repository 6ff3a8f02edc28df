//! W-directory (`../shared/bench/workloads.md`): a directory of 100 to 100,000 users, each in
//! 1–3 of 50 groups, each user and group with 1–5 of 200 custom policies of 5–20 statements
//! (a quarter with a condition), one access key per user; and requests for random users.
//!
//! Everything is deterministic (a SplitMix64 generator with fixed seeds), so two runs, two
//! benchmarks and two machines measure the same directory and the same requests.
//!
//! Policy statements are `Allow` (nine in ten) or `Deny` of `<svc>:Get*` and `<svc>:Describe*`
//! on `acs:<svc>:*:123456:p<policy>/s<statement>/*`, `<svc>` one of eight services; a quarter
//! carry `IpAddress` on `acs:SourceIp` (`10.0.0.0/8`, `192.168.0.0/16`). Requests use real
//! action names of those services (`ecs:DescribeInstances`, `oss:GetObject`,
//! `oss:PutObject`, `kms:Decrypt`, …) on ARNs under those paths: six in ten aim at one of the
//! statements the user holds (own or through a group), the rest at a random policy's path, so
//! the decisions mix allows, implicit denies and some explicit denies (see
//! [`DirectoryRequests::mix`]).
//!
//! ```
//! use ram_benches::directory::{DirectoryRequests, WDirectory};
//!
//! let w = WDirectory::new(100);
//! assert_eq!(w.directory.users().count(), 100);
//! let reqs = DirectoryRequests::new(&w, 256, 1);
//! let auth = ram_core::authorizer::Authorizer::new(w.directory.clone());
//! let (allow, explicit, implicit) = reqs.mix(&auth);
//! assert_eq!(allow + explicit + implicit, 256);
//! assert!(allow > 0 && implicit > 0);
//! ```

use ram_core::authorizer::{Authorizer, Caller};
use ram_core::directory::{AccessKeyStatus, Change, Directory, PolicyTarget, PolicyType, Quotas};
use ram_core::{Decision, Request, RequestContext};

/// The account of the workload.
pub const ACCOUNT: &str = "123456";
/// Groups in the directory.
pub const GROUPS: usize = 50;
/// Custom policies in the directory.
pub const POLICIES: usize = 200;
/// Directory sizes of W-directory.
pub const USER_COUNTS: [usize; 3] = [100, 10_000, 100_000];

/// A small deterministic generator (SplitMix64): no dependency, same stream everywhere.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    /// `lo..=hi` distinct values below `below`.
    pub fn distinct(&mut self, lo: usize, hi: usize, below: usize) -> Vec<usize> {
        let n = self.range(lo, hi);
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let v = self.range(0, below - 1);
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }
}

/// Services used by the policies and requests.
pub const SERVICES: [&str; 8] = ["ecs", "oss", "rds", "slb", "vpc", "log", "kms", "cms"];

/// Real action names per service (same order as [`SERVICES`]): first the ones the policies'
/// `Get*`/`Describe*` can match, then ones they cannot.
const ACTIONS: [&[&str]; 8] = [
    &[
        "ecs:DescribeInstances",
        "ecs:DescribeDisks",
        "ecs:StartInstance",
        "ecs:DeleteInstance",
    ],
    &[
        "oss:GetObject",
        "oss:GetBucketInfo",
        "oss:PutObject",
        "oss:DeleteObject",
    ],
    &["rds:DescribeDBInstances", "rds:DescribeBackups", "rds:CreateDBInstance"],
    &["slb:DescribeLoadBalancers", "slb:SetLoadBalancerStatus"],
    &["vpc:DescribeVpcs", "vpc:DescribeVSwitches", "vpc:CreateVpc"],
    &["log:GetLogs", "log:GetLogStore", "log:PostLogStoreLogs"],
    &["kms:GetSecretValue", "kms:DescribeKey", "kms:Decrypt"],
    &["cms:DescribeMetricList", "cms:PutResourceMetricRule"],
];

/// Resource id shapes per service, appended to a statement's path.
const IDS: [&str; 8] = [
    "i-bp1",
    "logs/2024/",
    "rm-bp1",
    "lb-bp1",
    "vpc-bp1",
    "logstore-",
    "key-",
    "rule-",
];

fn policy_document(rng: &mut Rng, p: usize) -> (String, Vec<usize>) {
    let mut services = Vec::new();
    let statements: Vec<String> = (0..rng.range(5, 20))
        .map(|s| {
            let svc_index = rng.range(0, SERVICES.len() - 1);
            services.push(svc_index);
            let svc = SERVICES[svc_index];
            let effect = if rng.range(0, 9) == 0 { "Deny" } else { "Allow" };
            let condition = if rng.range(0, 3) == 0 {
                r#","Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}"#
            } else {
                ""
            };
            format!(
                r#"{{"Effect":"{effect}","Action":["{svc}:Get*","{svc}:Describe*"],"Resource":"acs:{svc}:*:{ACCOUNT}:p{p}/s{s}/*"{condition}}}"#
            )
        })
        .collect();
    (
        format!(r#"{{"Version":"1","Statement":[{}]}}"#, statements.join(",")),
        services,
    )
}

/// The name of user `i`.
pub fn user_name(i: usize) -> String {
    format!("user{i:06}")
}

/// The access key id of user `i`.
pub fn key_id(i: usize) -> String {
    format!("LTAI{i:020}")
}

/// A W-directory and what the request generator needs to know about it.
#[derive(Clone, Debug)]
pub struct WDirectory {
    /// The directory.
    pub directory: Directory,
    /// Number of users.
    pub users: usize,
    /// Per custom policy, the service index of each statement.
    pub statement_services: Vec<Vec<usize>>,
}

impl WDirectory {
    /// The W-directory with `users` users (about 3 s at 100,000 users in a release build).
    pub fn new(users: usize) -> WDirectory {
        let mut rng = Rng(7);
        let quotas = Quotas {
            users: users.max(1_000),
            ..Quotas::default()
        };
        let mut dir = Directory::new(ACCOUNT).expect("a valid account").with_quotas(quotas);
        let mut changes = Vec::new();
        let mut statement_services = Vec::new();
        for p in 0..POLICIES {
            let (document, services) = policy_document(&mut rng, p);
            statement_services.push(services);
            changes.push(Change::CreatePolicy {
                name: format!("Policy{p:03}"),
                document,
                description: String::new(),
            });
        }
        for g in 0..GROUPS {
            changes.push(Change::CreateGroup {
                name: format!("group{g:02}"),
            });
            for p in rng.distinct(1, 5, POLICIES) {
                changes.push(Change::AttachPolicy {
                    target: PolicyTarget::Group(format!("group{g:02}")),
                    policy_type: Some(PolicyType::Custom),
                    policy: format!("Policy{p:03}"),
                });
            }
        }
        dir.apply(&changes)
            .expect("the workload's policies and groups are valid");
        // Batches of 10,000 users: one batch of 100,000 works too but holds every change in
        // memory at once.
        for chunk in (0..users).collect::<Vec<_>>().chunks(10_000) {
            let mut changes = Vec::new();
            for &i in chunk {
                let name = user_name(i);
                changes.push(Change::CreateUser {
                    name: name.clone(),
                    display_name: None,
                });
                for g in rng.distinct(1, 3, GROUPS) {
                    changes.push(Change::AddUserToGroup {
                        group: format!("group{g:02}"),
                        user: name.clone(),
                    });
                }
                for p in rng.distinct(1, 5, POLICIES) {
                    changes.push(Change::AttachPolicy {
                        target: PolicyTarget::User(name.clone()),
                        policy_type: Some(PolicyType::Custom),
                        policy: format!("Policy{p:03}"),
                    });
                }
                changes.push(Change::CreateAccessKey {
                    user: name,
                    access_key_id: key_id(i),
                    access_key_secret: format!("{i:030}"),
                });
            }
            dir.apply(&changes).expect("the workload's users are valid");
        }
        WDirectory {
            directory: dir,
            users,
            statement_services,
        }
    }

    /// The custom policies user `name` holds, own and through its groups (indexes).
    fn effective_policies(&self, name: &str) -> Vec<usize> {
        let dir = &self.directory;
        let Some(user) = dir.user(name) else {
            return Vec::new();
        };
        let groups = user
            .groups
            .iter()
            .filter_map(|g| dir.group(g))
            .flat_map(|g| g.policies.iter());
        user.policies
            .iter()
            .chain(groups)
            .filter_map(|a| a.policy_name.strip_prefix("Policy")?.parse().ok())
            .collect()
    }
}

/// A one-user change, attaching or detaching (alternately, by `step`) a system policy to a
/// user spread over the directory: what the publish benchmark and the reload writer apply.
pub fn one_user_change(step: usize, users: usize) -> Vec<Change> {
    let target = PolicyTarget::User(user_name((step / 2 * 7_919) % users));
    let policy = "AliyunOSSReadOnlyAccess".to_owned();
    if step.is_multiple_of(2) {
        vec![Change::AttachPolicy {
            target,
            policy_type: Some(PolicyType::System),
            policy,
        }]
    } else {
        vec![Change::DetachPolicy {
            target,
            policy_type: Some(PolicyType::System),
            policy,
        }]
    }
}

/// A one-user change of an access key's status (toggled by `step`).
pub fn key_change(step: usize, users: usize) -> Vec<Change> {
    let i = (step / 2 * 7_919) % users;
    vec![Change::UpdateAccessKey {
        user: user_name(i),
        access_key_id: key_id(i),
        status: if step.is_multiple_of(2) {
            AccessKeyStatus::Inactive
        } else {
            AccessKeyStatus::Active
        },
    }]
}

/// One generated request, as [`DirectoryRequests`] stores it: its strings are ranges of one
/// shared buffer, written in request order.
#[derive(Clone, Copy, Debug)]
struct PackedRequest {
    /// Where the user's name starts in [`DirectoryRequests::text`]; the access key id and the
    /// resource follow it.
    start: u32,
    user_len: u8,
    key_len: u8,
    resource_len: u16,
    /// Index into [`DirectoryRequests::contexts`].
    context: u8,
    action: &'static str,
}

/// Requests for random users of a [`WDirectory`], built once, so that a benchmark measures
/// the check alone.
///
/// The requests' strings (user name, access key id, resource) lie in one buffer, in request
/// order, and each request's record takes 32 bytes: a pass over 65,536 requests reads 7 MB
/// front to back, which the hardware prefetches as it goes. (Stored as three heap `String`s
/// per request, they took about 15 MB, scattered over the heap that the directory's build
/// had used, and competed with the directory for the cache: a harness cost, which a server
/// whose request was just parsed does not pay. See RESULTS.md, stop 15.)
#[derive(Clone, Debug)]
pub struct DirectoryRequests {
    text: String,
    requests: Vec<PackedRequest>,
    /// Request contexts: from inside `10.0.0.0/8` and from outside, TLS, a fixed time.
    pub contexts: Vec<RequestContext>,
}

impl DirectoryRequests {
    /// `n` requests with generator seed `seed`.
    pub fn new(w: &WDirectory, n: usize, seed: u64) -> DirectoryRequests {
        let context = |ip: &str| {
            RequestContext::builder()
                .source_ip(ip.parse().expect("an IP address"))
                .secure_transport(true)
                .current_time("2026-11-28T10:00:00Z".parse().expect("an instant"))
                .build()
        };
        let contexts = vec![context("10.12.7.31"), context("203.0.113.9")];
        let mut rng = Rng(seed);
        let mut text = String::new();
        let requests = (0..n)
            .map(|_| {
                let i = rng.range(0, w.users - 1);
                let user = user_name(i);
                let held = w.effective_policies(&user);
                // Six in ten aim at a statement the user holds; the rest anywhere.
                let p = if !held.is_empty() && rng.range(0, 9) < 6 {
                    held[rng.range(0, held.len() - 1)]
                } else {
                    rng.range(0, POLICIES - 1)
                };
                let s = rng.range(0, w.statement_services[p].len() - 1);
                let svc = w.statement_services[p][s];
                let actions = ACTIONS[svc];
                let action = actions[rng.range(0, actions.len() - 1)];
                let resource = format!(
                    "acs:{}:cn-hangzhou:{ACCOUNT}:p{p}/s{s}/{}{:05}",
                    SERVICES[svc],
                    IDS[svc],
                    rng.range(0, 99_999)
                );
                let key = key_id(i);
                let start = u32::try_from(text.len()).expect("requests' text under 4 GB");
                text.push_str(&user);
                text.push_str(&key);
                text.push_str(&resource);
                PackedRequest {
                    start,
                    user_len: u8::try_from(user.len()).expect("a short user name"),
                    key_len: u8::try_from(key.len()).expect("a short key id"),
                    resource_len: u16::try_from(resource.len()).expect("a short resource"),
                    context: u8::try_from(rng.range(0, contexts.len() - 1)).expect("two contexts"),
                    action,
                }
            })
            .collect();
        DirectoryRequests {
            text,
            requests,
            contexts,
        }
    }

    /// Number of requests.
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// Request `i`'s (modulo the count) user name, access key id, action and resource.
    #[inline]
    fn parts(&self, i: usize) -> (&str, &str, &'static str, &str, &RequestContext) {
        let r = &self.requests[i % self.requests.len()];
        let user_end = r.start as usize + usize::from(r.user_len);
        let key_end = user_end + usize::from(r.key_len);
        let resource_end = key_end + usize::from(r.resource_len);
        (
            &self.text[r.start as usize..user_end],
            &self.text[user_end..key_end],
            r.action,
            &self.text[key_end..resource_end],
            &self.contexts[usize::from(r.context)],
        )
    }

    /// The user name of request `i` (modulo the count).
    pub fn user(&self, i: usize) -> &str {
        self.parts(i).0
    }

    /// The access key id of request `i` (modulo the count).
    pub fn access_key_id(&self, i: usize) -> &str {
        self.parts(i).1
    }

    /// Request `i` (modulo the count) as a caller without key and a request.
    #[inline]
    pub fn get(&self, i: usize) -> (Caller<'_>, Request<'_>) {
        let (user, _, action, resource, context) = self.parts(i);
        (Caller::user(user), Request::new(action, resource, context))
    }

    /// Request `i` (modulo the count) as a caller signing with its access key.
    #[inline]
    pub fn get_with_key(&self, i: usize) -> (Caller<'_>, Request<'_>) {
        let (user, key, action, resource, context) = self.parts(i);
        (
            Caller::user_with_key(user, key),
            Request::new(action, resource, context),
        )
    }

    /// The decisions of all requests: (allow, explicit deny, implicit deny). Panics if any
    /// user fails authentication, which would mean a broken workload.
    pub fn mix(&self, auth: &Authorizer) -> (usize, usize, usize) {
        let mut mix = (0, 0, 0);
        for i in 0..self.len() {
            let (caller, req) = self.get_with_key(i);
            match auth.check(&caller, &req).expect("every workload user authenticates") {
                Decision::Allow => mix.0 += 1,
                Decision::ExplicitDeny => mix.1 += 1,
                Decision::ImplicitDeny => mix.2 += 1,
            }
        }
        mix
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_of_the_directory() {
        let w = WDirectory::new(100);
        let dir = &w.directory;
        assert_eq!(dir.users().count(), 100);
        for u in dir.users() {
            assert!((1..=3).contains(&u.groups.len()), "{}", u.user_name);
            assert!((1..=5).contains(&u.policies.len()), "{}", u.user_name);
            assert_eq!(u.access_keys.len(), 1);
        }
        assert_eq!(w.statement_services.len(), POLICIES);
        assert!(w.statement_services.iter().all(|s| (5..=20).contains(&s.len())));
    }

    #[test]
    fn requests_mix_every_decision() {
        let w = WDirectory::new(200);
        let auth = Authorizer::new(w.directory.clone());
        let reqs = DirectoryRequests::new(&w, 2_048, 1);
        let (allow, explicit, implicit) = reqs.mix(&auth);
        assert!(allow > 2_048 / 10, "{allow}");
        assert!(explicit > 0, "{explicit}");
        assert!(implicit > 2_048 / 10, "{implicit}");
        // Without the key, the same decisions.
        for i in 0..256 {
            let (a, r) = reqs.get(i);
            let (b, s) = reqs.get_with_key(i);
            assert_eq!(auth.check(&a, &r), auth.check(&b, &s));
        }
    }
}
