//! The state file's format: parsing (with migrations) and writing.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{FORMAT_VERSION, StoreError};
use crate::directory::Directory;

/// A migration turns the top-level object of FormatVersion `from` into FormatVersion
/// `from + 1` (the runner updates `FormatVersion` itself).
pub(crate) type MigrationFn = fn(&mut Map<String, Value>) -> Result<(), String>;

/// One migration step.
#[derive(Clone, Copy)]
pub(crate) struct Migration {
    /// The version it reads.
    pub from: u64,
    /// The step.
    pub run: MigrationFn,
}

/// The migrations of this build, oldest first. Empty: FormatVersion 1 is the first format.
/// When FormatVersion 2 comes, add `Migration { from: 1, run: v1_to_v2 }` here and bump
/// [`FORMAT_VERSION`].
pub(crate) const MIGRATIONS: &[Migration] = &[];

/// The reserved top-level keys.
pub(crate) const FORMAT_VERSION_KEY: &str = "FormatVersion";
pub(crate) const STATE_ID_KEY: &str = "StateId";
pub(crate) const REVISION_KEY: &str = "Revision";
pub(crate) const DIRECTORY_KEY: &str = "Directory";

/// A state file as parsed.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub state_id: String,
    pub revision: u64,
    pub directory: Directory,
    pub sections: BTreeMap<String, Value>,
    /// The file was in an older format and was migrated in memory.
    pub migrated: bool,
}

/// The top-level object with each member's text borrowed, refusing duplicate keys.
struct TopLevel<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for TopLevel<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = TopLevel<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopLevel<'a>, A::Error> {
                let mut members: Vec<(String, &'a RawValue)> = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if members.iter().any(|(k, _)| *k == key) {
                        return Err(serde::de::Error::custom(format_args!("the key {key:?} appears twice")));
                    }
                    let value: &'a RawValue = map.next_value()?;
                    members.push((key, value));
                }
                Ok(TopLevel(members))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// The 1-based line of the file where `inner` (a sub-slice of `text`) starts.
fn line_of(text: &str, inner: &str) -> usize {
    let offset = (inner.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn describe_json_error(text: &str, e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let object = text.trim_start().starts_with('{');
    match e.classify() {
        Category::Data if !object => "not a ram state file: the top level is not a JSON object".to_owned(),
        Category::Eof => format!(
            "the file is truncated: the JSON ends early (line {}, column {})",
            e.line(),
            e.column()
        ),
        Category::Syntax => format!("not valid JSON: {e}"),
        Category::Data => e.to_string(),
        Category::Io => format!("cannot read: {e}"),
    }
}

/// Parses a state file's bytes, migrating older formats with `migrations`, and accepting the
/// sections named in `known`.
pub(crate) fn parse(
    path: &Path,
    bytes: &[u8],
    known: &[&str],
    migrations: &[Migration],
) -> Result<Snapshot, StoreError> {
    let corrupt = |detail: String| StoreError::corrupt(path, detail);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(corrupt("the file is empty".to_owned()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        corrupt(format!(
            "not a ram state file: not UTF-8 text (byte {})",
            e.valid_up_to()
        ))
    })?;
    let top: TopLevel<'_> = serde_json::from_str(text).map_err(|e| corrupt(describe_json_error(text, &e)))?;
    let get = |key: &str| top.0.iter().find(|(k, _)| k == key).map(|(_, v)| *v);
    let Some(version) = get(FORMAT_VERSION_KEY) else {
        let keys: Vec<&str> = top.0.iter().map(|(k, _)| k.as_str()).take(8).collect();
        return Err(corrupt(format!(
            "not a ram state file: it has no FormatVersion (top-level keys: {})",
            if keys.is_empty() {
                "none".to_owned()
            } else {
                keys.join(", ")
            }
        )));
    };
    let version: u64 = serde_json::from_str(version.get()).map_err(|_| {
        corrupt(format!(
            "FormatVersion must be a whole number, found {}",
            version.get().chars().take(40).collect::<String>()
        ))
    })?;
    if version > FORMAT_VERSION {
        return Err(StoreError::UnsupportedFormatVersion {
            path: path.to_owned(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version < FORMAT_VERSION {
        let mut doc: Map<String, Value> =
            serde_json::from_str(text).map_err(|e| corrupt(describe_json_error(text, &e)))?;
        migrate(path, &mut doc, version, migrations)?;
        let migrated = serde_json::to_string(&doc).map_err(|e| StoreError::io(path, "migrate", e.into()))?;
        let mut snap = parse(path, migrated.as_bytes(), known, &[])?;
        snap.migrated = true;
        return Ok(snap);
    }
    for (key, _) in &top.0 {
        let reserved = [FORMAT_VERSION_KEY, STATE_ID_KEY, REVISION_KEY, DIRECTORY_KEY].contains(&key.as_str());
        if !reserved && !known.contains(&key.as_str()) {
            return Err(StoreError::UnknownSection {
                path: path.to_owned(),
                section: key.clone(),
            });
        }
    }
    let required = |key: &str| get(key).ok_or_else(|| corrupt(format!("the top-level key {key} is missing")));
    let state_id: String = serde_json::from_str(required(STATE_ID_KEY)?.get())
        .ok()
        .filter(|s: &String| !s.is_empty())
        .ok_or_else(|| corrupt("StateId must be a non-empty string".to_owned()))?;
    let revision: u64 = serde_json::from_str(required(REVISION_KEY)?.get())
        .map_err(|_| corrupt("Revision must be a whole number".to_owned()))?;
    let raw = required(DIRECTORY_KEY)?;
    let directory: Directory = serde_json::from_str(raw.get()).map_err(|e| {
        corrupt(format!(
            "Directory: {} (at line {} of the file)",
            strip_position(&e),
            line_of(text, raw.get()) + e.line().saturating_sub(1)
        ))
    })?;
    let mut sections = BTreeMap::new();
    for (key, raw) in &top.0 {
        if known.contains(&key.as_str()) {
            let value: Value = serde_json::from_str(raw.get()).map_err(|e| corrupt(format!("{key}: {e}")))?;
            sections.insert(key.clone(), value);
        }
    }
    Ok(Snapshot {
        state_id,
        revision,
        directory,
        sections,
        migrated: false,
    })
}

/// serde_json's message without its " at line L column C" suffix (positions of a sub-document).
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// Runs the migrations from `found` up to [`FORMAT_VERSION`].
pub(crate) fn migrate(
    path: &Path,
    doc: &mut Map<String, Value>,
    found: u64,
    migrations: &[Migration],
) -> Result<(), StoreError> {
    let mut version = found;
    while version < FORMAT_VERSION {
        let Some(m) = migrations.iter().find(|m| m.from == version) else {
            return Err(StoreError::UnsupportedFormatVersion {
                path: path.to_owned(),
                found,
                supported: FORMAT_VERSION,
            });
        };
        (m.run)(doc).map_err(|detail| {
            StoreError::corrupt(
                path,
                format!("migrating FormatVersion {version} to {}: {detail}", version + 1),
            )
        })?;
        version += 1;
        doc.insert(FORMAT_VERSION_KEY.to_owned(), Value::from(version));
    }
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SnapshotOut<'a> {
    format_version: u64,
    state_id: &'a str,
    revision: u64,
    directory: &'a Directory,
    #[serde(flatten)]
    sections: &'a BTreeMap<String, Value>,
}

/// The text of a state file: pretty-printed, keys in a stable order (the fixed keys first,
/// then the sections by name; inside the directory, fields in declaration order and map
/// entries sorted), ending with a newline.
pub(crate) fn write(
    state_id: &str,
    revision: u64,
    directory: &Directory,
    sections: &BTreeMap<String, Value>,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(64 * 1024);
    serde_json::to_writer_pretty(
        &mut out,
        &SnapshotOut {
            format_version: FORMAT_VERSION,
            state_id,
            revision,
            directory,
            sections,
        },
    )?;
    out.push(b'\n');
    Ok(out)
}
