//! The embedded store: round trips, file mode, locking, refusal of bad files, crash safety at
//! every step of a write, the journal.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard};

use jiff::Timestamp;
use ram_core::authorizer::Authorizer;
use ram_core::directory::{AccessKeyStatus, Change, Directory, PolicyTarget, PolicyType};
use ram_core::store::{CommitError, FaultMode, FaultPoint, FileStore, JournalPolicy, Store, StoreError};

/// Child processes inherit every open file between their fork and their exec, lock files of
/// other tests included, which would make those look locked for a moment: the test that
/// spawns children runs alone (write), the others together (read).
static SPAWNING: RwLock<()> = RwLock::new(());

/// A fresh folder under the system temp folder, removed on drop.
struct TempDir(PathBuf, #[allow(dead_code)] Option<RwLockReadGuard<'static, ()>>);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let guard = SPAWNING.read().unwrap_or_else(|e| e.into_inner());
        let mut dir = TempDir::unguarded(name);
        dir.1 = Some(guard);
        dir
    }
    fn unguarded(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("ram-store-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir, None)
    }
    fn state(&self) -> PathBuf {
        self.0.join("ram.json")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn now() -> Timestamp {
    "2024-05-01T12:00:00Z".parse().unwrap()
}

fn user(name: &str) -> Change {
    Change::CreateUser {
        name: name.into(),
        display_name: None,
    }
}

/// A directory with a little of everything.
fn sample() -> Directory {
    let mut dir = Directory::new("123456789012").unwrap();
    dir.apply_at(
        &[
            user("alice"),
            user("bob"),
            Change::CreateGroup { name: "dev".into() },
            Change::AddUserToGroup {
                group: "dev".into(),
                user: "alice".into(),
            },
            Change::CreatePolicy {
                name: "ReadLogs".into(),
                document: r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"log:Get*","Resource":"*"}]}"#
                    .into(),
                description: "logs".into(),
            },
            Change::AttachPolicy {
                target: PolicyTarget::Group("dev".into()),
                policy_type: Some(PolicyType::Custom),
                policy: "ReadLogs".into(),
            },
            Change::AttachPolicy {
                target: PolicyTarget::User("bob".into()),
                policy_type: Some(PolicyType::System),
                policy: "ReadOnlyAccess".into(),
            },
            Change::CreateAccessKey {
                user: "bob".into(),
                access_key_id: "LTAI0123456789abcdefABCD".into(),
                access_key_secret: "s".repeat(30),
            },
        ],
        now(),
    )
    .unwrap();
    dir
}

/// Journal every write, compact never (unless told).
fn journal_always() -> JournalPolicy {
    JournalPolicy {
        rewrite_max_bytes: 0,
        compact_percent: 1_000_000,
    }
}

fn rewrite_always() -> JournalPolicy {
    JournalPolicy {
        rewrite_max_bytes: u64::MAX,
        compact_percent: 25,
    }
}

fn load(path: &Path) -> ram_core::store::State {
    let mut store = FileStore::open(path).unwrap();
    store.load().unwrap()
}

#[test]
fn round_trip_through_the_file() {
    let tmp = TempDir::new("round-trip");
    let path = tmp.state();
    let dir = sample();
    let mut store = FileStore::create(&path, &dir).unwrap();
    assert_eq!(store.revision(), Some(0));
    let auth = Authorizer::new(dir);
    store.commit(&auth, &[user("carol")], now()).unwrap();
    store
        .commit(
            &auth,
            &[Change::UpdateAccessKey {
                user: "bob".into(),
                access_key_id: "LTAI0123456789abcdefABCD".into(),
                status: AccessKeyStatus::Inactive,
            }],
            now(),
        )
        .unwrap();
    drop(store);

    let expected = auth.snapshot().directory().clone();
    let state = load(&path);
    assert_eq!(state.directory, expected);
    assert_eq!(state.revision, 2);
    assert_eq!(FileStore::read(&path).unwrap().directory, expected);

    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("{\n  \"FormatVersion\": 1,\n  \"StateId\": \""),
        "{text}"
    );
    assert!(text.contains("\n  \"Revision\": 2,\n  \"Directory\": {\n    \"AccountId\": \"123456789012\""));
    assert!(text.contains("\"UserName\": \"carol\""));
    assert!(text.ends_with("}\n"));
}

#[test]
fn the_text_is_stable() {
    let tmp = TempDir::new("stable");
    let path = tmp.state();
    let mut store = FileStore::create(&path, &sample()).unwrap();
    store.load().unwrap();
    let first = fs::read(&path).unwrap();
    store.compact().unwrap();
    assert_eq!(
        fs::read(&path).unwrap(),
        first,
        "rewriting the same state gives the same bytes"
    );
    // Map entries in name order, whatever the order of creation.
    let text = String::from_utf8(first).unwrap();
    assert!(text.find("\"alice\": {").unwrap() < text.find("\"bob\": {").unwrap());
}

#[cfg(unix)]
#[test]
fn files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = TempDir::new("mode");
    let path = tmp.state();
    let mut store = FileStore::create(&path, &sample()).unwrap();
    store.set_journal_policy(journal_always());
    let mut dir = sample();
    store.commit_to(&mut dir, &[user("carol")], now()).unwrap();
    for p in [&path, store.journal_path(), store.lock_path()] {
        let mode = fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
    }
    // A rewrite keeps the mode.
    store.compact().unwrap();
    assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn one_writer_at_a_time() {
    let tmp = TempDir::new("lock");
    let path = tmp.state();
    let first = FileStore::create(&path, &sample()).unwrap();
    let err = FileStore::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::StateLocked { .. }), "{err:?}");
    assert_eq!(err.code(), "StateLocked");
    let message = err.to_string();
    assert!(message.contains("ram.json"), "{message}");
    assert!(
        message.contains(&format!("process {}", std::process::id())),
        "{message}"
    );
    assert!(matches!(
        FileStore::create(&path, &sample()).unwrap_err(),
        StoreError::StateLocked { .. }
    ));
    // A reader needs no lock.
    assert_eq!(FileStore::read(&path).unwrap().directory, sample());
    drop(first);
    let mut second = FileStore::open(&path).unwrap();
    assert_eq!(second.load().unwrap().directory, sample());
}

#[test]
fn lock_holds_across_writes_and_loads() {
    let tmp = TempDir::new("lock-rename");
    let path = tmp.state();
    let mut store = FileStore::create(&path, &sample()).unwrap();
    let mut dir = sample();
    // Each write renames a new file over the state file: the lock must stay.
    for i in 0..3 {
        store.commit_to(&mut dir, &[user(&format!("u{i}"))], now()).unwrap();
        assert!(matches!(FileStore::open(&path), Err(StoreError::StateLocked { .. })));
    }
    store.load().unwrap();
    assert!(matches!(FileStore::open(&path), Err(StoreError::StateLocked { .. })));
}

#[test]
fn missing_and_existing_files() {
    let tmp = TempDir::new("missing");
    let path = tmp.state();
    let err = FileStore::open(&path).unwrap_err();
    assert_eq!(err.code(), "StateNotFound");
    assert!(err.to_string().contains("ram.json"));
    assert!(
        !tmp.0.join("ram.json.lock").exists(),
        "opening a missing file creates nothing"
    );
    assert_eq!(FileStore::read(&path).unwrap_err().code(), "StateNotFound");
    drop(FileStore::create(&path, &sample()).unwrap());
    let err = FileStore::create(&path, &Directory::new("1").unwrap()).unwrap_err();
    assert_eq!(err.code(), "StateAlreadyExists");
    assert_eq!(load(&path).directory, sample());
}

#[test]
fn a_store_must_load_before_writing() {
    let tmp = TempDir::new("unloaded");
    let path = tmp.state();
    drop(FileStore::create(&path, &sample()).unwrap());
    let mut store = FileStore::open(&path).unwrap();
    let mut dir = sample();
    let err = store.commit_to(&mut dir, &[user("carol")], now()).unwrap_err();
    assert_eq!(err.code(), "StateUnsynced");
    assert!(dir.user("carol").is_none());
}

#[test]
fn a_refused_batch_writes_nothing() {
    let tmp = TempDir::new("refused");
    let path = tmp.state();
    let mut store = FileStore::create(&path, &sample()).unwrap();
    let before = fs::read(&path).unwrap();
    let auth = Authorizer::new(sample());
    let err = store.commit(&auth, &[user("carol"), user("alice")], now()).unwrap_err();
    assert!(matches!(err, CommitError::Directory(_)));
    assert_eq!(err.code(), "EntityAlreadyExists.User");
    assert_eq!(fs::read(&path).unwrap(), before);
    assert_eq!(store.revision(), Some(0));
    assert!(auth.snapshot().directory().user("carol").is_none());
}

/// Bad state files: each is refused with its code, and left byte for byte as it was.
#[test]
fn bad_files_are_refused_and_left_untouched() {
    let tmp = TempDir::new("bad");
    let path = tmp.state();
    drop(FileStore::create(&path, &sample()).unwrap());
    let good = fs::read_to_string(&path).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("empty", Vec::new(), "StateCorrupt", "empty"),
        ("blank", b"  \n".to_vec(), "StateCorrupt", "empty"),
        (
            "truncated",
            good.as_bytes()[..good.len() / 2].to_vec(),
            "StateCorrupt",
            "truncated",
        ),
        ("not json", b"hello: world\n".to_vec(), "StateCorrupt", "not valid JSON"),
        ("binary", vec![0xff, 0xfe, 0x00, 0x01], "StateCorrupt", "UTF-8"),
        (
            "a policy document",
            br#"{"Version":"1","Statement":[]}"#.to_vec(),
            "StateCorrupt",
            "no FormatVersion",
        ),
        (
            "an array",
            b"[1, 2, 3]".to_vec(),
            "StateCorrupt",
            "not a ram state file",
        ),
        (
            "newer",
            good.replacen("\"FormatVersion\": 1", "\"FormatVersion\": 2", 1)
                .into_bytes(),
            "StateUnsupportedFormatVersion",
            "newer ram",
        ),
        (
            "older without migration",
            good.replacen("\"FormatVersion\": 1", "\"FormatVersion\": 0", 1)
                .into_bytes(),
            "StateUnsupportedFormatVersion",
            "no migration",
        ),
        (
            "version not a number",
            good.replacen("\"FormatVersion\": 1", "\"FormatVersion\": \"1\"", 1)
                .into_bytes(),
            "StateCorrupt",
            "whole number",
        ),
        (
            "unknown section",
            good.replacen("\"FormatVersion\": 1,", "\"FormatVersion\": 1,\n  \"Mystery\": {},", 1)
                .into_bytes(),
            "StateUnknownSection",
            "Mystery",
        ),
        (
            "duplicate key",
            good.replacen(
                "\"FormatVersion\": 1,",
                "\"FormatVersion\": 1,\n  \"FormatVersion\": 1,",
                1,
            )
            .into_bytes(),
            "StateCorrupt",
            "twice",
        ),
        (
            "no directory",
            br#"{"FormatVersion": 1, "StateId": "x", "Revision": 0}"#.to_vec(),
            "StateCorrupt",
            "Directory is missing",
        ),
        (
            "bad directory",
            good.replacen("\"AccountId\": \"123456789012\"", "\"AccountId\": 12", 1)
                .into_bytes(),
            "StateCorrupt",
            "Directory: invalid type",
        ),
    ];
    for (name, bytes, code, detail) in cases {
        fs::write(&path, &bytes).unwrap();
        let mut store = FileStore::open(&path).unwrap();
        let err = store.load().unwrap_err();
        assert_eq!(err.code(), code, "{name}: {err}");
        if std::env::var_os("SHOW_MESSAGES").is_some() {
            eprintln!("{name}: {err}");
        }
        let message = err.to_string();
        assert!(message.contains(&*path.to_string_lossy()), "{name}: {message}");
        assert!(message.contains(detail), "{name}: {message}");
        // Still refused for writing, and by a reader.
        let mut dir = sample();
        assert!(store.commit_to(&mut dir, &[user("x")], now()).is_err(), "{name}");
        drop(store);
        assert_eq!(FileStore::read(&path).unwrap_err().code(), code, "{name}");
        assert_eq!(fs::read(&path).unwrap(), bytes, "{name}: the file was modified");
    }
    // The line of a bad directory entry is in the message.
    let bad = good.replacen("\"UserName\": \"bob\"", "\"UserName\": 7", 1);
    fs::write(&path, &bad).unwrap();
    let line = bad.lines().position(|l| l.contains("\"UserName\": 7")).unwrap() + 1;
    let message = FileStore::read(&path).unwrap_err().to_string();
    assert!(message.contains(&format!("line {line} of the file")), "{message}");
}

fn journal_of(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".journal");
    PathBuf::from(s)
}

#[test]
fn the_journal_is_replayed() {
    let tmp = TempDir::new("journal");
    let path = tmp.state();
    let mut store = FileStore::create(&path, &sample()).unwrap();
    store.set_journal_policy(journal_always());
    let snapshot = fs::read(&path).unwrap();
    let auth = Authorizer::new(sample());
    for i in 0..5 {
        store.commit(&auth, &[user(&format!("u{i}"))], now()).unwrap();
    }
    assert_eq!(
        fs::read(&path).unwrap(),
        snapshot,
        "journaled writes leave the state file alone"
    );
    let journal = fs::read_to_string(journal_of(&path)).unwrap();
    assert_eq!(journal.lines().count(), 6, "{journal}");
    assert!(
        journal
            .lines()
            .nth(1)
            .unwrap()
            .contains(r#"{"Revision":1,"Now":"2024-05-01T12:00:00Z","Changes":[{"CreateUser""#)
    );
    let expected = auth.snapshot().directory().clone();
    assert_eq!(FileStore::read(&path).unwrap().directory, expected);
    drop(store);
    let mut store = FileStore::open(&path).unwrap();
    store.set_journal_policy(journal_always());
    let state = store.load().unwrap();
    assert_eq!(state.directory, expected);
    assert_eq!(state.revision, 5);
    // Appends continue the same journal.
    let mut dir = state.directory;
    store.commit_to(&mut dir, &[user("later")], now()).unwrap();
    assert_eq!(fs::read_to_string(journal_of(&path)).unwrap().lines().count(), 7);
    drop(store);
    assert_eq!(load(&path).directory, dir);
}

#[test]
fn the_journal_is_compacted() {
    let tmp = TempDir::new("compact");
    let path = tmp.state();
    let mut store = FileStore::create(&path, &sample()).unwrap();
    // Compact once the journal passes 10% of the state file.
    store.set_journal_policy(JournalPolicy {
        rewrite_max_bytes: 0,
        compact_percent: 10,
    });
    let mut dir = sample();
    let mut compactions = 0;
    for i in 0..40 {
        store.commit_to(&mut dir, &[user(&format!("u{i:02}"))], now()).unwrap();
        let journal = journal_of(&path);
        if !journal.exists() {
            compactions += 1;
            assert_eq!(load_rev(&path), i + 1);
        } else {
            let size = fs::metadata(&path).unwrap().len();
            assert!(fs::metadata(&journal).unwrap().len() <= size / 10);
        }
    }
    assert!(compactions >= 2, "{compactions}");
    assert_eq!(FileStore::read(&path).unwrap().directory, dir);
    drop(store);
    assert_eq!(load(&path).directory, dir);
}

fn load_rev(path: &Path) -> u64 {
    FileStore::read(path).unwrap().revision
}

#[test]
fn small_states_are_rewritten_whole_by_default() {
    let tmp = TempDir::new("default-policy");
    let path = tmp.state();
    let mut store = FileStore::create(&path, &sample()).unwrap();
    let mut dir = sample();
    store.commit_to(&mut dir, &[user("carol")], now()).unwrap();
    assert!(!journal_of(&path).exists());
    assert!(fs::read_to_string(&path).unwrap().contains("\"carol\""));
}

#[test]
fn a_torn_last_record_is_ignored_and_cut_off() {
    let tmp = TempDir::new("torn");
    let path = tmp.state();
    let mut store = FileStore::create(&path, &sample()).unwrap();
    store.set_journal_policy(journal_always());
    let mut dir = sample();
    store.commit_to(&mut dir, &[user("carol")], now()).unwrap();
    let committed = dir.clone();
    store.commit_to(&mut dir, &[user("dave")], now()).unwrap();
    drop(store);
    let journal = journal_of(&path);
    let full = fs::read(&journal).unwrap();
    let good_len = full[..full.len() - 1].iter().rposition(|&b| b == b'\n').unwrap() + 1;
    // Every cut inside the last record, and a last record with a bad checksum.
    let mut damaged: Vec<Vec<u8>> = (good_len + 1..full.len())
        .step_by(7)
        .map(|n| full[..n].to_vec())
        .collect();
    let mut flipped = full.clone();
    let at = full.len() - 5;
    flipped[at] ^= 0x01;
    damaged.push(flipped);
    let mut zeros = full[..good_len].to_vec();
    zeros.extend_from_slice(&[0; 40]);
    damaged.push(zeros);
    for bytes in damaged {
        fs::write(&journal, &bytes).unwrap();
        // A reader ignores it and modifies nothing.
        assert_eq!(FileStore::read(&path).unwrap().directory, committed);
        assert_eq!(fs::read(&journal).unwrap(), bytes);
        // A writer cuts it off.
        let mut store = FileStore::open(&path).unwrap();
        store.set_journal_policy(journal_always());
        assert_eq!(store.load().unwrap().directory, committed);
        assert_eq!(fs::read(&journal).unwrap(), &full[..good_len]);
        let mut d = committed.clone();
        store.commit_to(&mut d, &[user("erin")], now()).unwrap();
        drop(store);
        assert_eq!(load(&path).directory, d);
        fs::write(&journal, &full[..good_len]).unwrap();
    }
}

#[test]
fn a_damaged_journal_is_refused_and_left_untouched() {
    let tmp = TempDir::new("bad-journal");
    let path = tmp.state();
    let mut store = FileStore::create(&path, &sample()).unwrap();
    store.set_journal_policy(journal_always());
    let mut dir = sample();
    for name in ["carol", "dave", "erin"] {
        store.commit_to(&mut dir, &[user(name)], now()).unwrap();
    }
    drop(store);
    let journal = journal_of(&path);
    let full = fs::read_to_string(&journal).unwrap();
    let lines: Vec<&str> = full.lines().collect();
    let flip = |line: &str| line.replacen("carol", "carox", 1);
    let cases: Vec<(&str, String, &str)> = vec![
        ("empty", String::new(), "empty"),
        (
            "damaged record before the last",
            format!("{}\n{}\n{}\n{}\n", lines[0], flip(lines[1]), lines[2], lines[3]),
            "line 2 is damaged",
        ),
        (
            "records out of order",
            format!("{}\n{}\n{}\n", lines[0], lines[2], lines[1]),
            "expected 1",
        ),
        (
            "damaged header",
            format!("{}\n{}\n", flip(lines[0]).replacen('"', "'", 1), lines[1]),
            "header",
        ),
        (
            "intact checksum, unreadable record",
            {
                let json = r#"{"Revision":1,"Bogus":true}"#;
                format!("{}\n{:08x} {json}\n", lines[0], crc32(json.as_bytes()))
            },
            "line 2 does not read",
        ),
    ];
    for (name, bytes, detail) in cases {
        fs::write(&journal, &bytes).unwrap();
        for err in [
            FileStore::read(&path).unwrap_err(),
            FileStore::open(&path).unwrap().load().unwrap_err(),
        ] {
            assert_eq!(err.code(), "StateCorrupt", "{name}: {err}");
            let message = err.to_string();
            assert!(message.contains("ram.json.journal"), "{name}: {message}");
            assert!(message.contains(detail), "{name}: {message}");
        }
        assert_eq!(fs::read_to_string(&journal).unwrap(), bytes, "{name}");
    }
}

/// CRC-32 (IEEE), to forge a record whose checksum matches.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

#[test]
fn a_journal_that_does_not_belong_is_refused() {
    let tmp = TempDir::new("foreign-journal");
    let path = tmp.state();
    let mut store = FileStore::create(&path, &sample()).unwrap();
    store.set_journal_policy(journal_always());
    let mut dir = sample();
    store.commit_to(&mut dir, &[user("carol")], now()).unwrap();
    let old_state = fs::read(&path).unwrap();
    store.compact().unwrap();
    store.commit_to(&mut dir, &[user("dave")], now()).unwrap();
    drop(store);
    // The state file replaced by an older copy: the journal continues a later revision.
    let newer = fs::read(&path).unwrap();
    fs::write(&path, &old_state).unwrap();
    let err = FileStore::read(&path).unwrap_err();
    assert_eq!(err.code(), "StateCorrupt");
    assert!(err.to_string().contains("older copy"), "{err}");
    fs::write(&path, &newer).unwrap();
    assert_eq!(load(&path).directory, dir);
    // Another state's journal.
    let journal = fs::read(journal_of(&path)).unwrap();
    fs::remove_file(&path).unwrap();
    drop(FileStore::create(&path, &sample()).unwrap());
    assert!(!journal_of(&path).exists(), "create removes a leftover journal");
    fs::write(journal_of(&path), &journal).unwrap();
    let err = FileStore::read(&path).unwrap_err();
    assert!(err.to_string().contains("belongs to another state file"), "{err}");
}

/// What a scenario sets up before the faulted write, and which policy makes the write reach
/// the step.
fn prepare(point: FaultPoint, store: &mut FileStore, auth: &Authorizer) {
    use FaultPoint::*;
    match point {
        SnapshotWrite | SnapshotFsync | SnapshotRename | SnapshotDirFsync => {
            store.set_journal_policy(rewrite_always());
            store.commit(auth, &[user("before")], now()).unwrap();
        }
        JournalCreateWrite | JournalCreateFsync | JournalCreateRename | JournalCreateDirFsync => {
            store.set_journal_policy(journal_always());
        }
        JournalAppend | JournalFsync => {
            store.set_journal_policy(journal_always());
            store.commit(auth, &[user("before")], now()).unwrap();
        }
        JournalRemove => {
            store.set_journal_policy(journal_always());
            store.commit(auth, &[user("before")], now()).unwrap();
            // The next write compacts.
            store.set_journal_policy(JournalPolicy {
                rewrite_max_bytes: 0,
                compact_percent: 0,
            });
        }
    }
}

/// The faulted batch.
fn faulted_batch() -> Vec<Change> {
    vec![
        user("victim"),
        Change::AddUserToGroup {
            group: "dev".into(),
            user: "victim".into(),
        },
    ]
}

/// A write failing at each step, handled as an I/O error: the batch is not published, and the
/// disk holds what the handle believes (or the handle refuses to write until it loads again).
#[test]
fn failure_at_each_step() {
    for point in FaultPoint::ALL {
        let tmp = TempDir::new(&format!("error-{point:?}"));
        let path = tmp.state();
        let mut store = FileStore::create(&path, &sample()).unwrap();
        let auth = Authorizer::new(sample());
        prepare(point, &mut store, &auth);
        let old = auth.snapshot().directory().clone();
        store.inject_fault(point, FaultMode::Error);
        let result = store.commit(&auth, &faulted_batch(), now());
        let published = auth.snapshot().directory().clone();
        if point == FaultPoint::JournalRemove {
            // After the new state file is in place, a journal that cannot be deleted is harmless.
            result.unwrap();
            assert_ne!(published, old);
        } else {
            let err = result.unwrap_err();
            assert!(
                matches!(err, CommitError::Store(StoreError::Io { .. })),
                "{point:?}: {err:?}"
            );
            assert!(err.to_string().contains("injected fault"), "{point:?}: {err}");
            assert_eq!(published, old, "{point:?}: a failed batch is never published");
        }
        // The handle goes on if the disk holds what it believes, else it refuses to write.
        match store.commit(&auth, &[user("next")], now()) {
            Ok(_) => {
                drop(store);
                assert_eq!(load(&path).directory, *auth.snapshot().directory(), "{point:?}");
            }
            Err(e) => {
                assert_eq!(point, FaultPoint::SnapshotDirFsync, "{point:?}: {e}");
                assert_eq!(e.code(), "StateUnsynced");
                drop(store);
                let mut expected_new = old.clone();
                expected_new.apply_at(&faulted_batch(), now()).unwrap();
                let on_disk = load(&path).directory;
                assert!(on_disk == old || on_disk == expected_new, "{point:?}");
            }
        }
        assert!(!tmp.0.join("ram.json.tmp").exists(), "{point:?}: temp file left");
        assert!(
            !tmp.0.join("ram.json.journal.tmp").exists(),
            "{point:?}: temp file left"
        );
    }
}

/// A crash (simulated in process: nothing runs after the step, no clean-up) at each step:
/// the disk holds the old state or the new one, and it loads and takes writes again.
#[test]
fn crash_at_each_step() {
    for point in FaultPoint::ALL {
        let tmp = TempDir::new(&format!("crash-{point:?}"));
        let path = tmp.state();
        let mut store = FileStore::create(&path, &sample()).unwrap();
        let auth = Authorizer::new(sample());
        prepare(point, &mut store, &auth);
        let old = auth.snapshot().directory().clone();
        let mut new = old.clone();
        new.apply_at(&faulted_batch(), now()).unwrap();
        store.inject_fault(point, FaultMode::Crash);
        assert!(store.commit(&auth, &faulted_batch(), now()).is_err(), "{point:?}");
        assert_eq!(
            store.commit(&auth, &[user("x")], now()).unwrap_err().code(),
            "StateUnsynced",
            "{point:?}: a crashed handle writes nothing more"
        );
        drop(store);
        check_after_crash(&path, point, &old, &new);
    }
}

fn check_after_crash(path: &Path, point: FaultPoint, old: &Directory, new: &Directory) {
    let read = FileStore::read(path).unwrap().directory;
    assert!(read == *old || read == *new, "{point:?}: reader sees neither state");
    let mut store = FileStore::open(path).unwrap();
    let state = store.load().unwrap();
    assert!(
        state.directory == *old || state.directory == *new,
        "{point:?}: neither the old nor the new state"
    );
    // Which one is a matter of the step: before the commit point, the old one.
    use FaultPoint::*;
    let expect_new = matches!(point, SnapshotDirFsync | JournalFsync | JournalRemove);
    assert_eq!(state.directory == *new, expect_new, "{point:?}");
    // And it takes writes again, which survive.
    let mut dir = state.directory;
    store.commit_to(&mut dir, &[user("after")], now()).unwrap();
    drop(store);
    assert_eq!(load(path).directory, dir, "{point:?}");
    let names: Vec<_> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{point:?}: {names:?}");
}

const CHILD_ENV: &str = "RAM_STORE_ABORT_CHILD";

/// A real crash: a child process aborts at each step of a write; the parent then loads.
#[test]
fn abort_at_each_step() {
    let _alone = SPAWNING.write().unwrap_or_else(|e| e.into_inner());
    let exe = std::env::current_exe().unwrap();
    for (i, point) in FaultPoint::ALL.into_iter().enumerate() {
        let tmp = TempDir::unguarded(&format!("abort-{point:?}"));
        let path = tmp.state();
        drop(FileStore::create(&path, &sample()).unwrap());
        let output = std::process::Command::new(&exe)
            .args(["--exact", "abort_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, format!("{i} {}", path.display()))
            .output()
            .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                output.status.signal(),
                Some(6),
                "{point:?}: the child did not abort (SIGABRT): {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        #[cfg(not(unix))]
        assert!(!output.status.success(), "{point:?}: the child did not abort");
        let mut old = sample();
        old.apply_at(&[user("before")], now()).unwrap();
        if matches!(
            point,
            FaultPoint::JournalCreateWrite
                | FaultPoint::JournalCreateFsync
                | FaultPoint::JournalCreateRename
                | FaultPoint::JournalCreateDirFsync
        ) {
            old = sample();
        }
        let mut new = old.clone();
        new.apply_at(&faulted_batch(), now()).unwrap();
        check_after_crash(&path, point, &old, &new);
    }
}

/// The child of [`abort_at_each_step`]; does nothing in a normal run.
#[test]
fn abort_child() {
    let Ok(arg) = std::env::var(CHILD_ENV) else { return };
    let (i, path) = arg.split_once(' ').unwrap();
    let point = FaultPoint::ALL[i.parse::<usize>().unwrap()];
    let mut store = FileStore::open(path).unwrap();
    let state = store.load().unwrap();
    let auth = Authorizer::new(state.directory);
    prepare(point, &mut store, &auth);
    store.inject_fault(point, FaultMode::Abort);
    let _ = store.commit(&auth, &faulted_batch(), now());
    // Not reached: the fault aborts the process.
}

/// Readers never see a half state while a writer writes, journals and compacts.
#[test]
fn readers_see_committed_states_only() {
    let tmp = TempDir::new("readers");
    let path = tmp.state();
    let base = Directory::new("123456789012").unwrap();
    let mut store = FileStore::create(&path, &base).unwrap();
    store.set_journal_policy(JournalPolicy {
        rewrite_max_bytes: 0,
        compact_percent: 30,
    });
    const WRITES: u64 = 60;
    let reader_path = path.clone();
    let reader = std::thread::spawn(move || {
        let mut last = 0;
        let mut reads = 0;
        loop {
            let state = FileStore::read(&reader_path).unwrap();
            // Write n creates one user: revision n has exactly n users.
            assert_eq!(state.directory.users().count() as u64, state.revision);
            assert!(state.revision >= last, "went back from {last} to {}", state.revision);
            last = state.revision;
            reads += 1;
            if last == WRITES {
                return reads;
            }
        }
    });
    let mut dir = base;
    for i in 0..WRITES {
        store.commit_to(&mut dir, &[user(&format!("u{i:03}"))], now()).unwrap();
    }
    let reads = reader.join().unwrap();
    assert!(reads > 1);
}

#[test]
fn error_codes_are_stable() {
    let tmp = TempDir::new("codes");
    let path = tmp.state();
    let _held = FileStore::create(&path, &sample()).unwrap();
    assert_eq!(FileStore::open(&path).unwrap_err().code(), "StateLocked");
    assert_eq!(
        FileStore::read(tmp.0.join("nope.json")).unwrap_err().code(),
        "StateNotFound"
    );
}

/// A state file written before users, groups and roles had descriptive fields (by `ram`
/// at the commit before UpdateUser/UpdateGroup/UpdatePolicyDescription): it loads
/// unchanged, rewrites to the same bytes (no format change), and takes the new changes.
#[test]
fn a_state_file_from_before_the_update_actions_loads_unchanged() {
    use ram_core::authorizer::{AuthError, Caller};
    use ram_core::{Decision, Request, RequestContext};

    const OLD: &str = include_str!("fixtures/state-v1-before-update-actions.json");
    let tmp = TempDir::new("before-update-actions");
    let path = tmp.state();
    fs::write(&path, OLD).unwrap();
    let mut store = FileStore::open(&path).unwrap();
    let state = store.load().unwrap();
    let dir = &state.directory;
    let alice = dir.user("alice").unwrap();
    assert_eq!(alice.display_name.as_deref(), Some("Alice Smith"));
    assert_eq!(
        (&alice.mobile_phone, &alice.email, &alice.comments),
        (&None, &None, &None)
    );
    assert_eq!(alice.update_date, None);
    assert_eq!(dir.group("dev").unwrap().comments, None);
    assert_eq!(dir.role("reader").unwrap().description, None);
    assert_eq!(dir.custom_policy("ReadLogs").unwrap().description, "read logs");
    store.compact().unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), OLD, "rewritten byte for byte");

    let auth = Authorizer::new(state.directory);
    store
        .commit(
            &auth,
            &[
                Change::UpdateUser {
                    name: "alice".into(),
                    new_name: Some("alicia".into()),
                    display_name: None,
                    mobile_phone: Some("86-13800000000".into()),
                    email: Some("alicia@example.com".into()),
                    comments: Some("renamed".into()),
                },
                Change::UpdateGroup {
                    name: "dev".into(),
                    new_name: Some("devs".into()),
                    comments: Some("developers".into()),
                },
            ],
            now(),
        )
        .unwrap();
    drop(store);
    let reloaded = load(&path).directory;
    assert_eq!(&reloaded, auth.snapshot().directory());
    let alicia = reloaded.user("alicia").unwrap();
    assert_eq!(alicia.user_id, "2000000000000002");
    assert_eq!(alicia.email.as_deref(), Some("alicia@example.com"));
    assert_eq!(alicia.groups, ["devs"]);
    assert_eq!(reloaded.group("devs").unwrap().members, ["alicia"]);

    // Her key and her group's policy work under the new names only.
    let ctx = RequestContext::new();
    let req = Request::new("log:GetLogStore", "acs:log:*:123456789012:project/p", &ctx);
    let renamed = Authorizer::new(reloaded);
    assert_eq!(
        renamed.check(&Caller::user_with_key("alicia", "LTAIalice000000000000001"), &req),
        Ok(Decision::Allow)
    );
    assert_eq!(
        renamed.check(&Caller::user_with_key("alice", "LTAIalice000000000000001"), &req),
        Err(AuthError::UnknownUser("alice".into()))
    );
}

/// The update changes go through the journal and replay to the same directory.
#[test]
fn update_changes_are_journaled_and_replayed() {
    let tmp = TempDir::new("journal-updates");
    let path = tmp.state();
    let mut store = FileStore::create(&path, &sample()).unwrap();
    store.set_journal_policy(journal_always());
    let auth = Authorizer::new(sample());
    let trust = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::123456789012:root"]}}]}"#;
    store
        .commit(
            &auth,
            &[
                Change::UpdateUser {
                    name: "alice".into(),
                    new_name: Some("alicia".into()),
                    display_name: Some("Alicia".into()),
                    mobile_phone: Some("86-13800000000".into()),
                    email: Some("alicia@example.com".into()),
                    comments: Some("renamed".into()),
                },
                Change::UpdateGroup {
                    name: "dev".into(),
                    new_name: Some("devs".into()),
                    comments: Some("developers".into()),
                },
                Change::UpdatePolicyDescription {
                    name: "ReadLogs".into(),
                    description: "reads logs".into(),
                },
                Change::CreateRole {
                    name: "reader".into(),
                    trust_policy: trust.into(),
                    max_session_duration: None,
                },
                Change::SetRoleDescription {
                    name: "reader".into(),
                    description: "reads".into(),
                },
            ],
            now(),
        )
        .unwrap();
    let journal = fs::read_to_string(journal_of(&path)).unwrap();
    assert!(journal.contains(r#""UpdateUser""#), "{journal}");
    drop(store);
    let replayed = load(&path).directory;
    assert_eq!(&replayed, auth.snapshot().directory());
    assert_eq!(replayed.user("alicia").unwrap().groups, ["devs"]);
    assert_eq!(replayed.role("reader").unwrap().description.as_deref(), Some("reads"));
}
