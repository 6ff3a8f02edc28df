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
use ram_benches::directory::{WDirectory, key_change, one_user_change, user_name};
use ram_core::authorizer::Authorizer;
use ram_core::directory::Directory;
use ram_core::store::{FileStore, Store};

/// The W-directory with `users` users (`ram_benches::directory`).
fn w_directory(users: usize) -> Directory {
    WDirectory::new(users).directory
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
                let changes = one_user_change(step, users);
                step += 1;
                black_box(auth.apply_at(&changes, now, |_, _| Ok(())).unwrap());
            })
        });
        if step % 2 == 1 {
            auth.apply_at(&one_user_change(step, users), now, |_, _| Ok(()))
                .unwrap();
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
