//! The directory store and the authorizer's writer, on a 100,000-user directory shaped like
//! W-directory (`../shared/bench/workloads.md`): each user in 1–3 of 50 groups, each user and
//! group with 1–5 of 200 custom policies (5–20 statements, a quarter with a condition), and
//! one access key per user.
//!
//! - `directory_apply/*`: `Directory::apply_at` alone with a one-user change (an access
//!   key's status), the first step of a publish and what a journal replay does per record.
//! - `publish/*`: a one-user change (attach or detach a policy, alternately) through
//!   `Authorizer::apply_at`, nothing persisted.
//! - `persist/*`: persisting a one-user change (an access key's status, toggled) with the
//!   default `JournalPolicy`: at 100 users (a state file under 1 MiB) a whole rewrite, at
//!   100,000 users an fsync'd journal append.
//! - `persist/rewrite_whole/*`: rewriting the whole state file (what a compaction costs, and
//!   what every write would cost without the journal).
//! - `commit/*`: both, as `ram serve` will do: `Store::commit`.
//! - `load/with_journal/*`: reading the state file whole and replaying the journal the
//!   benchmarks above left (start-up); `load/snapshot_only/*` after a compaction.
//!
//! The state files go to the system temp folder (`TMPDIR`), so the disk measured is its disk.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use ram_core::authorizer::Authorizer;
use ram_core::directory::{AccessKeyStatus, Change, Directory, PolicyTarget, PolicyType, Quotas};
use ram_core::store::{FileStore, Store};

const ACCOUNT: &str = "123456";
const GROUPS: usize = 50;
const POLICIES: usize = 200;

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// In `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
    /// `lo..=hi` distinct values below `below`.
    fn distinct(&mut self, lo: usize, hi: usize, below: usize) -> Vec<usize> {
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

const SERVICES: [&str; 8] = ["ecs", "oss", "rds", "slb", "vpc", "log", "kms", "cms"];

fn policy_document(rng: &mut Rng, p: usize) -> String {
    let statements: Vec<String> = (0..rng.range(5, 20))
        .map(|s| {
            let svc = SERVICES[rng.range(0, SERVICES.len() - 1)];
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
    format!(r#"{{"Version":"1","Statement":[{}]}}"#, statements.join(","))
}

fn user_name(i: usize) -> String {
    format!("user{i:06}")
}

fn key_id(i: usize) -> String {
    format!("LTAI{i:020}")
}

/// The W-directory with `users` users.
fn w_directory(users: usize) -> Directory {
    let mut rng = Rng(7);
    let quotas = Quotas {
        users: users.max(1_000),
        ..Quotas::default()
    };
    let mut dir = Directory::new(ACCOUNT).unwrap().with_quotas(quotas);
    let mut changes = Vec::new();
    for p in 0..POLICIES {
        changes.push(Change::CreatePolicy {
            name: format!("Policy{p:03}"),
            document: policy_document(&mut rng, p),
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
    dir.apply(&changes).unwrap();
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
        dir.apply(&changes).unwrap();
    }
    dir
}

/// A one-user change for `publish`: attach or detach a system policy, alternately.
fn policy_change(step: usize, users: usize) -> Vec<Change> {
    let user = user_name((step / 2 * 7_919) % users);
    let target = PolicyTarget::User(user);
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

/// A one-user change for `persist`: an access key's status, toggled.
fn key_change(step: usize, users: usize) -> Vec<Change> {
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

fn temp_state(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ram-bench-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("ram.json")
}

fn bench(c: &mut Criterion) {
    for users in [100, 100_000] {
        let dir = w_directory(users);
        // A timestamp of the right type without naming the time crate.
        let now = dir.user(&user_name(0)).unwrap().create_date;
        let label = if users == 100 { "100_users" } else { "100k_users" };

        // The directory alone: Directory::apply_at (part of publish, and of a journal replay).
        let mut plain = dir.clone();
        let mut step = 0;
        c.bench_function(&format!("directory_apply/{label}"), |b| {
            b.iter(|| {
                let changes = key_change(step, users);
                step += 1;
                black_box(plain.apply_at(&changes, now).unwrap());
            })
        });
        drop(plain);

        // publish: Authorizer::apply_at, nothing persisted.
        let auth = Authorizer::new(dir.clone());
        let mut step = 0;
        c.bench_function(&format!("publish/{label}"), |b| {
            b.iter(|| {
                let changes = policy_change(step, users);
                step += 1;
                black_box(auth.apply_at(&changes, now, |_, _| Ok(())).unwrap());
            })
        });
        if step % 2 == 1 {
            auth.apply_at(&policy_change(step, users), now, |_, _| Ok(())).unwrap();
        }

        // persist: one journal append (default policy: a state file over 1 MiB is journaled).
        let path = temp_state(label);
        let mut store = FileStore::create(&path, &dir).unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        eprintln!("{label}: state file {size} bytes");
        let mut current = dir.clone();
        let mut step = 0;
        c.bench_function(&format!("persist/{label}"), |b| {
            b.iter(|| {
                let changes = key_change(step, users);
                step += 1;
                current.apply_at(&changes, now).unwrap();
                store.persist(&current, now, &changes).unwrap();
            })
        });
        eprintln!(
            "{label}: journal {} bytes after {step} writes",
            std::fs::metadata(store.journal_path()).map_or(0, |m| m.len())
        );

        // commit: publish and persist, as `ram serve` does.
        let auth = Authorizer::new(current.clone());
        let mut step = 1_000_000;
        c.bench_function(&format!("commit/{label}"), |b| {
            b.iter(|| {
                let changes = key_change(step, users);
                step += 1;
                black_box(store.commit(&auth, &changes, now).unwrap());
            })
        });

        // The whole file: load with the journal the writes above left, rewrite (a
        // compaction), load again.
        let journal = std::fs::metadata(store.journal_path()).map_or(0, |m| m.len());
        eprintln!("{label}: journal {journal} bytes before loading");
        let mut group = c.benchmark_group("whole_file");
        group.sample_size(10);
        group.bench_function(format!("load/with_journal/{label}"), |b| {
            b.iter(|| black_box(FileStore::read(&path).unwrap()))
        });
        group.bench_function(format!("persist/rewrite_whole/{label}"), |b| {
            b.iter(|| store.compact().unwrap())
        });
        group.bench_function(format!("load/snapshot_only/{label}"), |b| {
            b.iter(|| black_box(FileStore::read(&path).unwrap()))
        });
        group.finish();
        drop(store);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
