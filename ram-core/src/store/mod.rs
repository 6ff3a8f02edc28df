//! The embedded store: the directory kept in a JSON state file on the local disk.
//!
//! # The state file
//!
//! One JSON object, pretty-printed with its keys in a stable order (so it reads and diffs
//! well), PascalCase names like the RAM API:
//!
//! ```json
//! {
//!   "FormatVersion": 1,
//!   "StateId": "5f0c…",
//!   "Revision": 42,
//!   "Directory": { "AccountId": "123456789012", "Users": { … }, … }
//! }
//! ```
//!
//! - `FormatVersion`: an older version is migrated on load (in memory; the next write stores
//!   the current format), a newer one is refused with
//!   [`StoreError::UnsupportedFormatVersion`].
//! - `StateId`: drawn when the file is created and kept for its life; it ties the journal to
//!   its state file.
//! - `Revision`: the number of writes the file has seen (each committed batch or section
//!   write is one).
//! - `Directory`: the [`Directory`] value.
//! - Sections: further top-level keys, each a typed [`Section`] listed in [`SECTIONS`] (for
//!   example the STS signing keys). **A top-level key that is not known is refused**
//!   ([`StoreError::UnknownSection`]) rather than preserved: this build could not keep it
//!   consistent with the directory, and dropping it on the next write would lose data. A new
//!   section is added by listing its name in [`SECTIONS`]; an older ram then refuses a file
//!   holding it with a message that says so.
//!
//! A file that is empty, truncated, not JSON, not UTF-8, another JSON document (no
//! `FormatVersion`), or whose directory does not read is refused with
//! [`StoreError::Corrupt`] naming the file and what is wrong, and is never modified.
//!
//! # Writes and crash safety
//!
//! Small states (up to [`JournalPolicy::rewrite_max_bytes`], 1 MiB by default) are rewritten
//! whole on every write: temp file `<state>.tmp` created with mode 0600 in the same folder,
//! written, fsync'd, renamed over the state file, then the folder fsync'd. A crash at any step
//! leaves the old file or the new one, never a mix.
//!
//! Larger states append each write to a journal `<state>.journal` (mode 0600) instead,
//! fsync'd (`fdatasync`); a rewrite of a 100,000-user state file takes far longer than an
//! append. One line per write, `<CRC-32 of the JSON, 8 hex digits> <JSON>\n`:
//!
//! ```text
//! 3b1f0c2a {"FormatVersion":1,"StateId":"5f0c…","Base":42}
//! 91d2e4f7 {"Revision":43,"Now":"2024-05-01T12:00:00Z","Changes":[{"CreateUser":{…}}]}
//! 0c77a1e9 {"Revision":44,"Section":"StsKeys","Value":{…}}
//! ```
//!
//! The header names the state file (`StateId`) and the `Revision` it continues (`Base`); a
//! journal of another state file, or one continuing a later revision than the state file's
//! (an older copy of the state file put back), is refused. The journal itself is created by
//! temp file and rename, so its header is never torn. On load the records past the state
//! file's `Revision` are replayed with [`Directory::replay_at`] (deterministic for a given
//! `now`, and without the content checks added after a batch was written); a batch that no
//! longer applies is reported as corruption. A last line without its
//! newline or whose checksum does not match is a write cut short by a crash: ignored, and cut
//! off by the next writer; a record is never applied in part. A damaged line before the last,
//! or an intact line (checksum matching) that does not read, is corruption: refused, the file
//! untouched. When the journal grows past
//! [`JournalPolicy::compact_percent`] of the state file, the next write rewrites the state
//! file whole (as above) and then deletes the journal. Records at or below the state file's
//! `Revision` are skipped, so a crash between the two steps loses nothing either. A journal
//! in another FormatVersion than this build's is refused (there is no journal migration:
//! compact it with the ram that wrote it).
//!
//! A journal append that fails is taken back (the journal cut to its previous length). If a
//! write fails after its data may have reached the disk (the folder fsync after the
//! rename, or a journal append that could not be rolled back), the handle refuses further
//! writes with [`StoreError::Unsynced`] until it loads again: the caller was told the batch
//! failed, and the disk may hold it.
//!
//! # Locking
//!
//! Every writer holds an exclusive lock ([`File::try_lock`]) on the sibling file
//! `<state>.lock` for the life of its [`FileStore`] (a running `ram serve` for its lifetime, a
//! command for its run); another writer gets [`StoreError::StateLocked`] at once instead of
//! waiting. The lock is on a file that is never renamed or deleted: a lock on the state file
//! itself would stay on the old inode when a write renames the new file over it, letting a
//! second writer in. The lock file holds the holder's process id, for the error message.
//! The lock is released when the handle is dropped (or its process dies).
//!
//! Readers that only read ([`FileStore::read`], e.g. `ram check`) take no lock, so they work
//! while `ram serve` runs: the rename makes every state file they open complete, and they
//! check that the state file was not replaced while they read its journal (retrying if it
//! was), so they see a state some write committed, never a mix. They never modify anything.
//! Locks are advisory and meant for local file systems.

mod error;
mod format;
mod journal;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use error::{CommitError, StoreError};

use crate::authorizer::Authorizer;
use crate::directory::{Change, Directory, DirectoryError, Dirty};
use format::{MIGRATIONS, Migration};
use journal::{Entry, RecordOut};

/// The format this build reads and writes.
pub const FORMAT_VERSION: u64 = 1;

/// The top-level sections besides `Directory` that this build knows. Any other top-level key
/// is refused ([`StoreError::UnknownSection`]). Add a section's name here when adding one.
/// `StsKeys`: the STS token signing keys of `ram-sts` (secret parts included: the state file
/// is mode 0600).
pub const SECTIONS: &[&str] = &["StsKeys"];

/// A typed top-level section of the state file (e.g. the STS signing keys), stored as
/// JSON next to the directory. Its [`NAME`](Section::NAME) must be listed in [`SECTIONS`].
pub trait Section: Serialize + DeserializeOwned {
    /// The top-level key, PascalCase.
    const NAME: &'static str;
}

/// The whole state: the directory and the sections.
#[derive(Clone, Debug)]
pub struct State {
    /// The directory.
    pub directory: Directory,
    /// The number of writes committed so far.
    pub revision: u64,
    /// The sections by name, as JSON.
    pub sections: BTreeMap<String, Value>,
}

impl State {
    /// A section, typed; `None` if absent.
    pub fn section<T: Section>(&self) -> Result<Option<T>, serde_json::Error> {
        self.sections
            .get(T::NAME)
            .map(|v| serde_json::from_value(v.clone()))
            .transpose()
    }
}

/// Where the state lives. The [`FileStore`] is the default; a distributed backend can come
/// later behind the same calls.
pub trait Store {
    /// Loads the whole state.
    fn load(&mut self) -> Result<State, StoreError>;

    /// Makes a batch durable: `directory` is the last persisted (or loaded) directory after
    /// `changes` were applied to it at `now` with [`Directory::apply_at`]. Returns once the
    /// batch survives a crash; an error means it was not persisted (or see
    /// [`StoreError::Unsynced`]).
    fn persist(&mut self, directory: &Directory, now: Timestamp, changes: &[Change]) -> Result<(), StoreError>;

    /// Sets a section (or removes it with `None`) durably. The name must be in [`SECTIONS`].
    fn put_section(&mut self, name: &str, value: Option<Value>) -> Result<(), StoreError>;

    /// Applies a batch through `authorizer` and persists it before it is published: a batch
    /// the directory refuses or the store cannot persist is abandoned and never seen.
    fn commit(&mut self, authorizer: &Authorizer, changes: &[Change], now: Timestamp) -> Result<Dirty, CommitError> {
        let mut failure = None;
        let result = authorizer.apply_at(changes, now, |directory, batch| {
            self.persist(directory, now, batch).map_err(|e| {
                // The authorizer's hook speaks DirectoryError; the real error goes back below.
                let stand_in = DirectoryError::NotAllowed {
                    code: e.code().to_owned(),
                    message: e.to_string(),
                };
                failure = Some(e);
                stand_in
            })
        });
        result.map_err(|e| match failure.take() {
            Some(store) => CommitError::Store(store),
            None => CommitError::Directory(e),
        })
    }

    /// Applies a batch to `directory` and persists it; `directory` changes only if both
    /// succeed (for one-shot commands that need no [`Authorizer`]).
    fn commit_to(
        &mut self,
        directory: &mut Directory,
        changes: &[Change],
        now: Timestamp,
    ) -> Result<Dirty, CommitError> {
        let mut next = directory.clone();
        let dirty = next.apply_at(changes, now)?;
        self.persist(&next, now, changes)?;
        *directory = next;
        Ok(dirty)
    }
}

/// When writes go to the journal, and when the journal is folded into the state file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JournalPolicy {
    /// A state file up to this size is rewritten whole on every write (no journal).
    /// Default 1 MiB. `0` journals every write; `u64::MAX` never journals.
    pub rewrite_max_bytes: u64,
    /// A write that would grow the journal past this percentage of the state file's size
    /// (and past `rewrite_max_bytes`) rewrites the state file whole instead and deletes the
    /// journal. Default 10: a compaction costs in proportion to the state file and comes
    /// once per a tenth of its size in appended records, so its amortized cost per write
    /// stays small (about 7 µs per write at 100,000 users, where it takes 0.4 s every 58,000
    /// writes or so), and a load replays at most a tenth of the state file's size in records
    /// (replaying costs about 11 µs a record at 100,000 users, loading the file 0.4 s).
    pub compact_percent: u64,
}

impl Default for JournalPolicy {
    fn default() -> Self {
        JournalPolicy {
            rewrite_max_bytes: 1 << 20,
            compact_percent: 10,
        }
    }
}

/// A step of a write where a test can inject a failure.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultPoint {
    /// Writing the state file's temp file (half of it is written, then the failure).
    SnapshotWrite,
    /// fsync of the temp file.
    SnapshotFsync,
    /// The rename over the state file.
    SnapshotRename,
    /// fsync of the folder after the rename.
    SnapshotDirFsync,
    /// Writing a new journal's temp file (half of its header).
    JournalCreateWrite,
    /// fsync of the new journal's temp file.
    JournalCreateFsync,
    /// The rename of the new journal into place.
    JournalCreateRename,
    /// fsync of the folder after it.
    JournalCreateDirFsync,
    /// Appending a record (half of it is written, then the failure).
    JournalAppend,
    /// fsync of the journal after the append.
    JournalFsync,
    /// Deleting the journal after a compaction.
    JournalRemove,
}

impl FaultPoint {
    /// Every step.
    pub const ALL: [FaultPoint; 11] = [
        FaultPoint::SnapshotWrite,
        FaultPoint::SnapshotFsync,
        FaultPoint::SnapshotRename,
        FaultPoint::SnapshotDirFsync,
        FaultPoint::JournalCreateWrite,
        FaultPoint::JournalCreateFsync,
        FaultPoint::JournalCreateRename,
        FaultPoint::JournalCreateDirFsync,
        FaultPoint::JournalAppend,
        FaultPoint::JournalFsync,
        FaultPoint::JournalRemove,
    ];
}

/// What an injected fault does.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultMode {
    /// The step fails with an I/O error and the store handles it as it would a real one.
    Error,
    /// The step fails and nothing after it runs, no clean-up either (a crash, simulated in
    /// process); the handle is dead.
    Crash,
    /// The process aborts at that step (a real crash, for tests that run a child process).
    Abort,
}

struct Paths {
    state: PathBuf,
    lock: PathBuf,
    journal: PathBuf,
    tmp: PathBuf,
    journal_tmp: PathBuf,
    dir: PathBuf,
}

impl Paths {
    fn new(state: &Path) -> Paths {
        let with = |suffix: &str| {
            let mut s = state.as_os_str().to_owned();
            s.push(suffix);
            PathBuf::from(s)
        };
        let dir = match state.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        Paths {
            state: state.to_owned(),
            lock: with(".lock"),
            journal: with(".journal"),
            tmp: with(".tmp"),
            journal_tmp: with(".journal.tmp"),
            dir,
        }
    }
}

/// The journal being appended to.
struct Journal {
    file: File,
    len: u64,
}

/// What a writer knows of the state on disk, once loaded.
struct Synced {
    state_id: String,
    revision: u64,
    directory: Directory,
    sections: BTreeMap<String, Value>,
    /// Size of the state file.
    snapshot_len: u64,
    /// The state file is in an older format: the next write rewrites it.
    migrated: bool,
    /// The live journal (its last record is `revision`), if there is one.
    journal: Option<Journal>,
}

/// The default [`Store`]: a JSON state file, a journal next to it, an exclusive lock.
///
/// ```
/// use ram_core::directory::{Change, Directory};
/// use ram_core::store::{FileStore, Store};
///
/// let dir = std::env::temp_dir().join(format!("ram-store-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("ram.json");
/// # let _ = std::fs::remove_file(&path);
/// let mut directory = Directory::new("123456789012")?;
/// let mut store = FileStore::create(&path, &directory)?;
/// let now = jiff::Timestamp::now();
/// store.commit_to(&mut directory, &[Change::CreateUser { name: "alice".into(), display_name: None }], now)?;
/// drop(store); // releases the lock
///
/// let state = FileStore::read(&path)?; // a reader: no lock
/// assert!(state.directory.user("alice").is_some());
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FileStore {
    paths: Paths,
    _lock: File,
    sync: Option<Synced>,
    unsynced: &'static str,
    policy: JournalPolicy,
    known: &'static [&'static str],
    migrations: &'static [Migration],
    fault: Option<(FaultPoint, FaultMode)>,
    crashed: bool,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.paths.state)
            .field("revision", &self.sync.as_ref().map(|s| s.revision))
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

const NOT_LOADED: &str = "this handle has not loaded it yet";
const HALF_WRITTEN: &str = "an earlier write failed after its data may have reached the disk";

fn io_err<'a>(path: &'a Path, op: &'static str) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |e| StoreError::io(path, op, e)
}

fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn remove_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// fsync of a folder, so a rename or a new file in it survives a crash.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Whether `path` still names the file `meta` was taken from.
fn still_current(path: &Path, meta: &fs::Metadata) -> bool {
    let Ok(now) = fs::metadata(path) else { return false };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        now.dev() == meta.dev() && now.ino() == meta.ino()
    }
    #[cfg(not(unix))]
    {
        now.len() == meta.len() && now.modified().ok() == meta.modified().ok()
    }
}

fn new_state_id() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::io("(random source)", "draw", io::Error::other(e.to_string())))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A state as read from disk.
struct Loaded {
    state: State,
    state_id: String,
    snapshot_len: u64,
    migrated: bool,
    journal: Option<JournalInfo>,
}

struct JournalInfo {
    good_len: u64,
    torn: bool,
    /// The last revision it holds (its base when it holds none).
    last: u64,
}

/// Reads the state file and replays its journal. Also returns the metadata of the state file
/// read, so a reader can check it was not replaced meanwhile.
fn read_once(
    paths: &Paths,
    known: &[&str],
    migrations: &[Migration],
) -> (Option<fs::Metadata>, Result<Loaded, StoreError>) {
    let mut file = match File::open(&paths.state) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return (
                None,
                Err(StoreError::NotFound {
                    path: paths.state.clone(),
                }),
            );
        }
        Err(e) => return (None, Err(StoreError::io(&paths.state, "open", e))),
    };
    let meta = match file.metadata() {
        Ok(m) => m,
        Err(e) => return (None, Err(StoreError::io(&paths.state, "stat", e))),
    };
    let result = (|| {
        let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
        file.read_to_end(&mut bytes).map_err(io_err(&paths.state, "read"))?;
        let snap = format::parse(&paths.state, &bytes, known, migrations)?;
        let mut state = State {
            directory: snap.directory,
            revision: snap.revision,
            sections: snap.sections,
        };
        let journal = match fs::read(&paths.journal) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(StoreError::io(&paths.journal, "read", e)),
            Ok(bytes) => Some(replay(paths, &bytes, &snap.state_id, &mut state, known)?),
        };
        Ok(Loaded {
            state,
            state_id: snap.state_id,
            snapshot_len: bytes.len() as u64,
            migrated: snap.migrated,
            journal,
        })
    })();
    (Some(meta), result)
}

/// Replays the journal's records past the state's revision.
fn replay(
    paths: &Paths,
    bytes: &[u8],
    state_id: &str,
    state: &mut State,
    known: &[&str],
) -> Result<JournalInfo, StoreError> {
    let corrupt = |detail: String| StoreError::corrupt(&paths.journal, detail);
    let parsed = journal::parse(bytes).map_err(corrupt)?;
    if parsed.header.format_version != FORMAT_VERSION {
        return Err(StoreError::UnsupportedFormatVersion {
            path: paths.journal.clone(),
            found: parsed.header.format_version,
            supported: FORMAT_VERSION,
        });
    }
    if parsed.header.state_id != state_id {
        return Err(corrupt(format!(
            "the journal belongs to another state file (StateId {}, the state file's is {state_id}); move it away to use the state file alone",
            parsed.header.state_id
        )));
    }
    let snapshot = state.revision;
    if parsed.header.base > snapshot {
        return Err(corrupt(format!(
            "the journal continues Revision {} but the state file is at Revision {snapshot} (was the state file replaced by an older copy?); move the journal away to use the state file alone",
            parsed.header.base
        )));
    }
    let last = parsed.header.base + parsed.entries.len() as u64;
    for (revision, entry) in parsed.entries {
        if revision <= snapshot {
            continue; // already in the state file (a crash between compaction and deletion)
        }
        match entry {
            Entry::Batch { now, changes } => {
                state.directory.replay_at(&changes, now).map_err(|e| {
                    corrupt(format!(
                        "the batch of Revision {revision} no longer applies: {e} ({})",
                        e.code()
                    ))
                })?;
            }
            Entry::Section { name, value } => {
                if !known.contains(&name.as_str()) {
                    return Err(StoreError::UnknownSection {
                        path: paths.journal.clone(),
                        section: name,
                    });
                }
                match value {
                    Some(v) => state.sections.insert(name, v),
                    None => state.sections.remove(&name),
                };
            }
        }
        state.revision = revision;
    }
    Ok(JournalInfo {
        good_len: parsed.good_len,
        torn: parsed.torn,
        last,
    })
}

impl FileStore {
    fn with_lock(path: &Path) -> Result<FileStore, StoreError> {
        let paths = Paths::new(path);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let lock = options.open(&paths.lock).map_err(io_err(&paths.lock, "open"))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let holder = fs::read_to_string(&paths.lock)
                    .ok()
                    .and_then(|s| s.trim().parse::<u32>().ok())
                    .map_or_else(String::new, |pid| format!(" (process {pid})"));
                return Err(StoreError::StateLocked {
                    path: paths.state,
                    holder,
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(StoreError::io(&paths.lock, "lock", e)),
        }
        // Name the holder, for the message another writer gets (best effort).
        if lock.set_len(0).is_ok() {
            let _ = (&lock).write_all(format!("{}\n", std::process::id()).as_bytes());
        }
        Ok(FileStore {
            paths,
            _lock: lock,
            sync: None,
            unsynced: NOT_LOADED,
            policy: JournalPolicy::default(),
            known: SECTIONS,
            migrations: MIGRATIONS,
            fault: None,
            crashed: false,
        })
    }

    /// Opens an existing state file for writing: takes the lock (or fails at once with
    /// [`StoreError::StateLocked`]). Call [`Store::load`] next.
    pub fn open(path: impl AsRef<Path>) -> Result<FileStore, StoreError> {
        let path = path.as_ref();
        if !path.exists() {
            return Err(StoreError::NotFound { path: path.to_owned() });
        }
        FileStore::with_lock(path)
    }

    /// Creates a state file holding `directory`, refusing one that exists, and keeps it
    /// locked for writing.
    pub fn create(path: impl AsRef<Path>, directory: &Directory) -> Result<FileStore, StoreError> {
        let mut store = FileStore::with_lock(path.as_ref())?;
        match fs::symlink_metadata(&store.paths.state) {
            Ok(_) => {
                return Err(StoreError::AlreadyExists {
                    path: store.paths.state.clone(),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::io(&store.paths.state, "stat", e)),
        }
        // A journal without its state file is a leftover of a deleted state: never replay it
        // onto this one.
        remove_if_exists(&store.paths.journal).map_err(io_err(&store.paths.journal, "remove"))?;
        let state_id = new_state_id()?;
        let sections = BTreeMap::new();
        let bytes = format::write(&state_id, 0, directory, &sections)
            .map_err(|e| StoreError::io(&store.paths.state, "serialize", e.into()))?;
        store.replace_snapshot(&bytes).map_err(|(e, _)| e)?;
        store.sync = Some(Synced {
            state_id,
            revision: 0,
            directory: directory.clone(),
            sections,
            snapshot_len: bytes.len() as u64,
            migrated: false,
            journal: None,
        });
        Ok(store)
    }

    /// Reads the state without locking or modifying anything (for commands that only read,
    /// e.g. `ram check`), consistent even while a writer works: see the module docs.
    pub fn read(path: impl AsRef<Path>) -> Result<State, StoreError> {
        read_with(&Paths::new(path.as_ref()), SECTIONS, MIGRATIONS)
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.paths.state
    }

    /// The journal file next to it (`<state>.journal`).
    pub fn journal_path(&self) -> &Path {
        &self.paths.journal
    }

    /// The lock file next to it (`<state>.lock`).
    pub fn lock_path(&self) -> &Path {
        &self.paths.lock
    }

    /// Replaces the journal policy.
    pub fn set_journal_policy(&mut self, policy: JournalPolicy) {
        self.policy = policy;
    }

    /// The revision last committed or loaded by this handle.
    pub fn revision(&self) -> Option<u64> {
        self.sync.as_ref().map(|s| s.revision)
    }

    /// Rewrites the state file whole with everything the journal holds, and deletes the
    /// journal (e.g. before a backup, or when `ram serve` stops).
    pub fn compact(&mut self) -> Result<(), StoreError> {
        let sync = self.synced()?;
        let (revision, directory, sections) = (sync.revision, sync.directory.clone(), sync.sections.clone());
        self.rewrite(revision, &directory, &sections)
    }

    /// Makes the step `point` of a later write fail (once).
    #[doc(hidden)]
    pub fn inject_fault(&mut self, point: FaultPoint, mode: FaultMode) {
        self.fault = Some((point, mode));
    }

    #[cfg(test)]
    pub(crate) fn set_format(&mut self, known: &'static [&'static str], migrations: &'static [Migration]) {
        self.known = known;
        self.migrations = migrations;
    }

    fn synced(&self) -> Result<&Synced, StoreError> {
        self.sync.as_ref().ok_or(StoreError::Unsynced {
            path: self.paths.state.clone(),
            reason: self.unsynced,
        })
    }

    fn armed(&self, point: FaultPoint) -> bool {
        self.fault.is_some_and(|(p, _)| p == point)
    }

    /// The injected fault of `point`, if armed.
    fn hit(&mut self, point: FaultPoint) -> io::Result<()> {
        match self.fault {
            Some((p, mode)) if p == point => {
                self.fault = None;
                match mode {
                    FaultMode::Abort => std::process::abort(),
                    FaultMode::Crash => self.crashed = true,
                    FaultMode::Error => {}
                }
                Err(io::Error::other(format!("injected fault at {point:?}")))
            }
            _ => Ok(()),
        }
    }

    /// `write_all`, or half of it and the injected fault.
    fn write_step(&mut self, file: &mut File, bytes: &[u8], point: FaultPoint) -> io::Result<()> {
        if self.armed(point) {
            file.write_all(&bytes[..bytes.len() / 2])?;
            return self.hit(point);
        }
        file.write_all(bytes)
    }

    /// Writes `bytes` to `tmp`, fsyncs, renames it to `target`, fsyncs the folder. On error,
    /// says whether the rename happened (the new file is then in place).
    fn replace_file(
        &mut self,
        tmp: &Path,
        target: &Path,
        bytes: &[u8],
        points: [FaultPoint; 4],
    ) -> Result<(), (StoreError, bool)> {
        let before = |e| (e, false);
        remove_if_exists(tmp).map_err(|e| before(StoreError::io(tmp, "remove", e)))?;
        let mut file = create_private(tmp).map_err(|e| before(StoreError::io(tmp, "create", e)))?;
        let written = self
            .write_step(&mut file, bytes, points[0])
            .map_err(io_err(tmp, "write"))
            .and_then(|()| {
                self.hit(points[1])
                    .and_then(|()| file.sync_all())
                    .map_err(io_err(tmp, "fsync"))
            });
        drop(file);
        let renamed = written.and_then(|()| {
            self.hit(points[2])
                .and_then(|()| fs::rename(tmp, target))
                .map_err(io_err(target, "rename"))
        });
        if let Err(e) = renamed {
            if !self.crashed {
                let _ = fs::remove_file(tmp);
            }
            return Err((e, false));
        }
        self.hit(points[3])
            .and_then(|()| sync_dir(&self.paths.dir))
            .map_err(|e| (StoreError::io(&self.paths.dir, "fsync", e), true))
    }

    fn replace_snapshot(&mut self, bytes: &[u8]) -> Result<(), (StoreError, bool)> {
        let (tmp, target) = (self.paths.tmp.clone(), self.paths.state.clone());
        self.replace_file(
            &tmp,
            &target,
            bytes,
            [
                FaultPoint::SnapshotWrite,
                FaultPoint::SnapshotFsync,
                FaultPoint::SnapshotRename,
                FaultPoint::SnapshotDirFsync,
            ],
        )
    }

    /// Marks the handle unable to write until it loads again.
    fn unsync(&mut self, reason: &'static str) {
        self.sync = None;
        self.unsynced = if self.crashed {
            "it crashed (injected fault)"
        } else {
            reason
        };
    }

    /// Writes the state file whole at `revision`, then deletes the journal.
    fn rewrite(
        &mut self,
        revision: u64,
        directory: &Directory,
        sections: &BTreeMap<String, Value>,
    ) -> Result<(), StoreError> {
        let state_id = self.synced()?.state_id.clone();
        let bytes = format::write(&state_id, revision, directory, sections)
            .map_err(|e| StoreError::io(&self.paths.state, "serialize", e.into()))?;
        if let Err((e, renamed)) = self.replace_snapshot(&bytes) {
            if renamed || self.crashed {
                self.unsync(HALF_WRITTEN);
            }
            return Err(e);
        }
        let sync = self.sync.as_mut().expect("synced");
        sync.snapshot_len = bytes.len() as u64;
        sync.migrated = false;
        sync.journal = None;
        // Every journal record is now in the state file: the journal only costs load time.
        // If it cannot be deleted it is harmless (its records are skipped) and the next append
        // replaces it.
        let removed = self
            .hit(FaultPoint::JournalRemove)
            .and_then(|()| remove_if_exists(&self.paths.journal));
        if let Err(e) = removed
            && self.crashed
        {
            self.unsync(HALF_WRITTEN);
            return Err(StoreError::io(&self.paths.journal, "remove", e));
        }
        Ok(())
    }

    /// Appends one record line to the journal (creating the journal first if needed).
    fn append(&mut self, line: &[u8]) -> Result<(), StoreError> {
        let sync = self.synced()?;
        if sync.journal.is_none() {
            let header = journal::header_line(&sync.state_id, sync.revision)
                .map_err(|e| StoreError::io(&self.paths.journal, "serialize", e.into()))?;
            let (tmp, target) = (self.paths.journal_tmp.clone(), self.paths.journal.clone());
            let created = self.replace_file(
                &tmp,
                &target,
                &header,
                [
                    FaultPoint::JournalCreateWrite,
                    FaultPoint::JournalCreateFsync,
                    FaultPoint::JournalCreateRename,
                    FaultPoint::JournalCreateDirFsync,
                ],
            );
            // A journal holding only its header changes nothing, whether or not it is in place.
            if let Err((e, _)) = created {
                if self.crashed {
                    self.unsync(HALF_WRITTEN);
                }
                return Err(e);
            }
            let file = OpenOptions::new()
                .append(true)
                .open(&self.paths.journal)
                .map_err(io_err(&self.paths.journal, "open"))?;
            self.sync.as_mut().expect("synced").journal = Some(Journal {
                file,
                len: header.len() as u64,
            });
        }
        let mut journal = self.sync.as_mut().expect("synced").journal.take().expect("journal");
        let old_len = journal.len;
        let result = self
            .write_step(&mut journal.file, line, FaultPoint::JournalAppend)
            .map_err(io_err(&self.paths.journal, "write"))
            .and_then(|()| {
                self.hit(FaultPoint::JournalFsync)
                    .and_then(|()| journal.file.sync_data())
                    .map_err(io_err(&self.paths.journal, "fsync"))
            });
        match result {
            Ok(()) => {
                journal.len += line.len() as u64;
                self.sync.as_mut().expect("synced").journal = Some(journal);
                Ok(())
            }
            Err(e) => {
                if self.crashed {
                    self.unsync(HALF_WRITTEN);
                    return Err(e);
                }
                // Take the record back out, so the disk holds what the caller is told.
                match journal.file.set_len(old_len).and_then(|()| journal.file.sync_data()) {
                    Ok(()) => self.sync.as_mut().expect("synced").journal = Some(journal),
                    Err(_) => self.unsync(HALF_WRITTEN),
                }
                Err(e)
            }
        }
    }

    /// Commits one write: appended to the journal, or the state file rewritten whole.
    fn write(
        &mut self,
        record: &RecordOut<'_>,
        directory: &Directory,
        sections: BTreeMap<String, Value>,
    ) -> Result<(), StoreError> {
        let line = journal::line(record).map_err(|e| StoreError::io(&self.paths.journal, "serialize", e.into()))?;
        let sync = self.synced()?;
        let journal_len = sync.journal.as_ref().map_or(0, |j| j.len);
        let limit = self
            .policy
            .rewrite_max_bytes
            .max(sync.snapshot_len.saturating_mul(self.policy.compact_percent) / 100);
        let whole = sync.migrated
            || sync.snapshot_len <= self.policy.rewrite_max_bytes
            || journal_len + line.len() as u64 > limit;
        if whole {
            self.rewrite(record.revision, directory, &sections)?;
        } else {
            self.append(&line)?;
        }
        let sync = self.sync.as_mut().expect("synced");
        sync.revision = record.revision;
        sync.directory = directory.clone();
        sync.sections = sections;
        Ok(())
    }
}

/// A lock-free read, retried while a writer replaces the state file underneath.
fn read_with(paths: &Paths, known: &[&str], migrations: &[Migration]) -> Result<State, StoreError> {
    let mut attempt = 0;
    loop {
        let (meta, result) = read_once(paths, known, migrations);
        let stable = meta.is_none_or(|m| still_current(&paths.state, &m));
        if stable || attempt >= 20 {
            return result.map(|l| l.state);
        }
        attempt += 1;
        std::thread::sleep(std::time::Duration::from_millis(attempt));
    }
}

impl Store for FileStore {
    fn load(&mut self) -> Result<State, StoreError> {
        self.sync = None;
        self.unsynced = NOT_LOADED;
        self.crashed = false;
        let (_, loaded) = read_once(&self.paths, self.known, self.migrations);
        let loaded = loaded?;
        // Leftovers of an interrupted write: never read, safe to delete under the lock.
        let _ = remove_if_exists(&self.paths.tmp);
        let _ = remove_if_exists(&self.paths.journal_tmp);
        let mut journal = None;
        if let Some(info) = &loaded.journal {
            if info.torn {
                // A torn last record: the write never committed; cut it off.
                let file = OpenOptions::new()
                    .write(true)
                    .open(&self.paths.journal)
                    .map_err(io_err(&self.paths.journal, "open"))?;
                file.set_len(info.good_len)
                    .and_then(|()| file.sync_data())
                    .map_err(io_err(&self.paths.journal, "truncate"))?;
            }
            if info.last == loaded.state.revision && !loaded.migrated {
                let file = OpenOptions::new()
                    .append(true)
                    .open(&self.paths.journal)
                    .map_err(io_err(&self.paths.journal, "open"))?;
                journal = Some(Journal {
                    file,
                    len: info.good_len,
                });
            }
        }
        self.sync = Some(Synced {
            state_id: loaded.state_id,
            revision: loaded.state.revision,
            directory: loaded.state.directory.clone(),
            sections: loaded.state.sections.clone(),
            snapshot_len: loaded.snapshot_len,
            migrated: loaded.migrated,
            journal,
        });
        Ok(loaded.state)
    }

    fn persist(&mut self, directory: &Directory, now: Timestamp, changes: &[Change]) -> Result<(), StoreError> {
        let sync = self.synced()?;
        if changes.is_empty() {
            return Ok(());
        }
        let (revision, sections) = (sync.revision + 1, sync.sections.clone());
        let record = RecordOut {
            revision,
            now: Some(now),
            changes: Some(changes),
            section: None,
            value: None,
        };
        self.write(&record, directory, sections)
    }

    fn put_section(&mut self, name: &str, value: Option<Value>) -> Result<(), StoreError> {
        if !self.known.contains(&name) {
            return Err(StoreError::UnknownSection {
                path: self.paths.state.clone(),
                section: name.to_owned(),
            });
        }
        let sync = self.synced()?;
        let (revision, directory, mut sections) = (sync.revision + 1, sync.directory.clone(), sync.sections.clone());
        match &value {
            Some(v) => sections.insert(name.to_owned(), v.clone()),
            None => sections.remove(name),
        };
        let record = RecordOut {
            revision,
            now: None,
            changes: None,
            section: Some(name),
            value: Some(value.as_ref().unwrap_or(&Value::Null)),
        };
        self.write(&record, &directory, sections)
    }
}
