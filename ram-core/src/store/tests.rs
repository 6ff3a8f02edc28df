//! Unit tests of the store's internals: migrations, sections, the journal's lines.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::format::{self, Migration};
use super::journal;
use super::*;
use crate::directory::{Change, Directory};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("ram-store-unit-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
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

fn journal_always() -> JournalPolicy {
    JournalPolicy {
        rewrite_max_bytes: 0,
        compact_percent: 1_000_000,
    }
}

/// A made-up FormatVersion 0: the directory was under `Identities`, and there was no
/// `StateId` nor `Revision`.
fn fake_v0_to_v1(doc: &mut Map<String, Value>) -> Result<(), String> {
    let identities = doc.remove("Identities").ok_or("no Identities")?;
    doc.insert("Directory".into(), identities);
    doc.insert("StateId".into(), json!("0123456789abcdef0123456789abcdef"));
    doc.insert("Revision".into(), json!(0));
    Ok(())
}

const FAKE_MIGRATIONS: &[Migration] = &[Migration {
    from: 0,
    run: fake_v0_to_v1,
}];

fn v0_file(dir: &Directory) -> String {
    let text = serde_json::to_string_pretty(&json!({"FormatVersion": 0, "Identities": dir})).unwrap();
    text + "\n"
}

#[test]
fn crc32_check_value() {
    assert_eq!(journal::crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(journal::crc32(b""), 0);
}

#[test]
fn an_older_format_is_migrated_then_rewritten() {
    let tmp = TempDir::new("migrate");
    let path = tmp.state();
    let mut dir = Directory::new("123456789012").unwrap();
    dir.apply_at(&[user("alice")], now()).unwrap();
    let v0 = v0_file(&dir);
    fs::write(&path, &v0).unwrap();

    // A reader migrates in memory and writes nothing.
    let state = read_with(&Paths::new(&path), SECTIONS, FAKE_MIGRATIONS).unwrap();
    assert_eq!(state.directory, dir);
    assert_eq!(fs::read_to_string(&path).unwrap(), v0);

    // So does a writer's load; its next write stores the current format, whole, even under
    // a policy that would journal it.
    let mut store = FileStore::open(&path).unwrap();
    store.set_format(SECTIONS, FAKE_MIGRATIONS);
    store.set_journal_policy(journal_always());
    let state = store.load().unwrap();
    assert_eq!(state.directory, dir);
    assert_eq!(fs::read_to_string(&path).unwrap(), v0);
    store.commit_to(&mut dir, &[user("bob")], now()).unwrap();
    assert!(!store.journal_path().exists());
    let text = fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with(
            "{\n  \"FormatVersion\": 1,\n  \"StateId\": \"0123456789abcdef0123456789abcdef\",\n  \"Revision\": 1,"
        ),
        "{text}"
    );
    drop(store);
    // Now plain v1: read without any migration.
    assert_eq!(FileStore::read(&path).unwrap().directory, dir);
    // The next writes journal again.
    let mut store = FileStore::open(&path).unwrap();
    store.set_journal_policy(journal_always());
    store.load().unwrap();
    store.commit_to(&mut dir, &[user("carol")], now()).unwrap();
    assert!(store.journal_path().exists());
}

#[test]
fn a_failing_migration_is_reported() {
    let tmp = TempDir::new("migrate-fail");
    let path = tmp.state();
    fs::write(&path, r#"{"FormatVersion": 0, "Other": {}}"#).unwrap();
    let err = read_with(&Paths::new(&path), SECTIONS, FAKE_MIGRATIONS).unwrap_err();
    assert_eq!(err.code(), "StateCorrupt");
    assert!(
        err.to_string()
            .contains("migrating FormatVersion 0 to 1: no Identities"),
        "{err}"
    );
    // Without the migration, version 0 is unsupported.
    let err = FileStore::read(&path).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::UnsupportedFormatVersion {
                found: 0,
                supported: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Keys {
    current: String,
    previous: Vec<String>,
}

impl Section for Keys {
    const NAME: &'static str = "TestKeys";
}

const TEST_SECTIONS: &[&str] = &["TestKeys", "Zeta"];

#[test]
fn sections_round_trip_through_journal_and_file() {
    let tmp = TempDir::new("sections");
    let path = tmp.state();
    let mut dir = Directory::new("123456789012").unwrap();
    let mut store = FileStore::create(&path, &dir).unwrap();
    store.set_format(TEST_SECTIONS, MIGRATIONS);
    store.set_journal_policy(journal_always());
    let keys = Keys {
        current: "k2".into(),
        previous: vec!["k1".into()],
    };
    store
        .put_section("TestKeys", Some(serde_json::to_value(&keys).unwrap()))
        .unwrap();
    store.put_section("Zeta", Some(json!([1, 2]))).unwrap();
    store.commit_to(&mut dir, &[user("alice")], now()).unwrap();
    store.put_section("Zeta", None).unwrap();
    assert_eq!(store.revision(), Some(4));
    let journal = fs::read_to_string(store.journal_path()).unwrap();
    assert!(
        journal.contains(r#"{"Revision":4,"Section":"Zeta","Value":null}"#),
        "{journal}"
    );

    let state = read_with(&Paths::new(&path), TEST_SECTIONS, MIGRATIONS).unwrap();
    assert_eq!(state.section::<Keys>().unwrap(), Some(keys));
    assert!(!state.sections.contains_key("Zeta"));
    assert_eq!(state.directory, dir);
    assert_eq!(state.revision, 4);

    // An unknown section is refused, to write and in the journal.
    let err = store.put_section("Other", Some(json!(1))).unwrap_err();
    assert_eq!(err.code(), "StateUnknownSection");
    let err = read_with(&Paths::new(&path), &[], MIGRATIONS).unwrap_err();
    assert!(
        matches!(&err, StoreError::UnknownSection { section, .. } if section == "TestKeys"),
        "{err:?}"
    );

    // Compacted: the section is a top-level key after the directory.
    store.put_section("Zeta", Some(json!("z"))).unwrap();
    store.compact().unwrap();
    drop(store);
    let text = fs::read_to_string(&path).unwrap();
    let at = |key: &str| {
        text.find(&format!("\n  \"{key}\": "))
            .unwrap_or_else(|| panic!("{key}: {text}"))
    };
    assert!(at("Directory") < at("TestKeys") && at("TestKeys") < at("Zeta"));
    let mut store = FileStore::open(&path).unwrap();
    store.set_format(TEST_SECTIONS, MIGRATIONS);
    let state = store.load().unwrap();
    assert_eq!(state.sections.get("Zeta"), Some(&json!("z")));
    assert_eq!(state.revision, 5);
    // The file with sections is refused by a build that does not know them.
    drop(store);
    let err = FileStore::read(&path).unwrap_err();
    assert_eq!(err.code(), "StateUnknownSection");
}

#[test]
fn journal_lines() {
    let header = journal::header_line("abc", 7).unwrap();
    let text = String::from_utf8(header.clone()).unwrap();
    assert!(
        text.ends_with(" {\"FormatVersion\":1,\"StateId\":\"abc\",\"Base\":7}\n"),
        "{text}"
    );
    let changes = [user("alice")];
    let record = journal::line(&journal::RecordOut {
        revision: 8,
        now: Some(now()),
        changes: Some(&changes),
        section: None,
        value: None,
    })
    .unwrap();
    let mut bytes = header.clone();
    bytes.extend_from_slice(&record);
    let parsed = journal::parse(&bytes).unwrap();
    assert_eq!(parsed.header.base, 7);
    assert_eq!(parsed.entries.len(), 1);
    assert!(!parsed.torn);
    assert!(matches!(&parsed.entries[0], (8, journal::Entry::Batch { changes, .. }) if changes.len() == 1));

    // Cut anywhere inside the record: torn, good up to the header.
    for cut in header.len() + 1..bytes.len() {
        let parsed = journal::parse(&bytes[..cut]).unwrap();
        assert!(parsed.torn && parsed.entries.is_empty(), "{cut}");
        assert_eq!(parsed.good_len, header.len() as u64);
    }
    // A header alone is an empty journal; a header cut short is corruption.
    assert!(journal::parse(&header).unwrap().entries.is_empty());
    assert!(journal::parse(&header[..header.len() - 1]).is_err());
    assert!(journal::parse(b"").is_err());
    // A record written for another base is out of order.
    let other = journal::header_line("abc", 3).unwrap();
    let mut bytes = other;
    bytes.extend_from_slice(&record);
    assert!(journal::parse(&bytes).unwrap_err().contains("expected 4"));
}

#[test]
fn state_text_is_sorted_and_pretty() {
    let mut dir = Directory::new("123456789012").unwrap();
    dir.apply_at(&[user("zed"), user("amy")], now()).unwrap();
    let mut sections = BTreeMap::new();
    sections.insert("B".to_owned(), json!({"y": 1, "x": 2}));
    sections.insert("A".to_owned(), json!(null));
    let bytes = format::write("id", 3, &dir, &sections).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.find("\"amy\"").unwrap() < text.find("\"zed\"").unwrap());
    assert!(text.find("\n  \"A\": null").unwrap() < text.find("\n  \"B\": {").unwrap());
    let snap = format::parse(std::path::Path::new("x"), &bytes, &["A", "B"], &[]).unwrap();
    assert_eq!(snap.directory, dir);
    assert_eq!(snap.revision, 3);
    assert_eq!(snap.state_id, "id");
    assert_eq!(format::write("id", 3, &snap.directory, &snap.sections).unwrap(), bytes);
}

#[test]
fn a_journal_replays_what_an_older_version_accepted() {
    // Older versions stored a user's DisplayName and a policy's Description unchecked; a
    // journal holding such a batch must still load after the checks were added.
    let tmp = TempDir::new("journal-older");
    let path = tmp.state();
    let mut dir = Directory::new("123456789012").unwrap();
    let mut store = FileStore::create(&path, &dir).unwrap();
    store.set_journal_policy(journal_always());
    store.commit_to(&mut dir, &[user("alice")], now()).unwrap();
    let display_name = format!("two\nlines {}", "x".repeat(200));
    let description = "d".repeat(2_000);
    let accepted_then = [
        Change::CreateUser {
            name: "bob".into(),
            display_name: Some(display_name.clone()),
        },
        Change::CreatePolicy {
            name: "Notes".into(),
            document: r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get*","Resource":"*"}]}"#.into(),
            description: description.clone(),
        },
    ];
    // What this version refuses to apply now...
    assert!(dir.clone().apply_at(&accepted_then[..1], now()).is_err());
    assert!(dir.clone().apply_at(&accepted_then[1..], now()).is_err());
    // ...but finds in a journal written before.
    let record = journal::line(&journal::RecordOut {
        revision: 2,
        now: Some(now()),
        changes: Some(&accepted_then),
        section: None,
        value: None,
    })
    .unwrap();
    drop(store);
    let mut bytes = fs::read(Paths::new(&path).journal).unwrap();
    bytes.extend_from_slice(&record);
    fs::write(Paths::new(&path).journal, bytes).unwrap();

    let state = FileStore::read(&path).unwrap();
    assert_eq!(state.revision, 2);
    let bob = state.directory.user("bob").unwrap();
    assert_eq!(bob.display_name.as_deref(), Some(display_name.as_str()));
    assert_eq!(state.directory.custom_policy("Notes").unwrap().description, description);
}
