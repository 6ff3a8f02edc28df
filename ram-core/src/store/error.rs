//! The errors of the store, with stable codes for the command line.

use std::path::PathBuf;

use crate::directory::DirectoryError;

/// Why the state could not be read or written.
///
/// Every variant names the file concerned. [`StoreError::code`] gives a stable code for
/// scripts (`StateLocked`, `StateCorrupt`, ...).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Another writer holds the lock on the state (a running `ram serve`, or another command).
    #[error("the state file {path} is locked by another writer{holder}: wait for it to finish, or stop it")]
    StateLocked {
        /// The state file.
        path: PathBuf,
        /// `" (process N)"` when the lock file names its holder, else empty.
        holder: String,
    },
    /// The state file does not exist.
    #[error("the state file {path} does not exist (create it with `ram init`)")]
    NotFound {
        /// The state file.
        path: PathBuf,
    },
    /// Creating a state file that already exists.
    #[error("the state file {path} already exists; refusing to overwrite it")]
    AlreadyExists {
        /// The state file.
        path: PathBuf,
    },
    /// The file is empty, truncated, not JSON, not a ram state file, or inconsistent. It was
    /// left untouched.
    #[error("the file {path} is not a valid ram state: {detail}; it was left untouched")]
    Corrupt {
        /// The state file or its journal.
        path: PathBuf,
        /// What is wrong, and where.
        detail: String,
    },
    /// The file was written in a format this version of ram cannot read: a newer one, or an
    /// older one no migration covers.
    #[error(
        "the file {path} has FormatVersion {found}, this ram reads FormatVersion {supported}{}; it was left untouched",
        if *found > *supported { " (it was written by a newer ram)" } else { " and no migration covers it" }
    )]
    UnsupportedFormatVersion {
        /// The state file or its journal.
        path: PathBuf,
        /// The version in the file.
        found: u64,
        /// The version this build reads and writes.
        supported: u64,
    },
    /// The state file holds a top-level section this version of ram does not know (written by
    /// a newer ram, or edited by hand). Refused rather than dropped on the next write.
    #[error(
        "the state file {path} has a section {section:?} this ram does not know (written by a newer ram?); refusing to load it rather than drop the section on the next write"
    )]
    UnknownSection {
        /// The state file.
        path: PathBuf,
        /// The top-level key.
        section: String,
    },
    /// This handle may not write: it has not loaded the state yet, or an earlier write failed
    /// after the new state may have reached the disk, so the disk may hold a change the
    /// caller was told failed. Load again (and rebuild whatever was built from the state).
    #[error("the state file {path} must be loaded again before writing: {reason}")]
    Unsynced {
        /// The state file.
        path: PathBuf,
        /// Why.
        reason: &'static str,
    },
    /// An operating-system error.
    #[error("cannot {op} {path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// What was being done (`open`, `read`, `write`, `fsync`, `rename`, `lock`, ...).
        op: &'static str,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// A stable code for the command line and scripts.
    ///
    /// | variant | code |
    /// |---|---|
    /// | `StateLocked` | `StateLocked` |
    /// | `NotFound` | `StateNotFound` |
    /// | `AlreadyExists` | `StateAlreadyExists` |
    /// | `Corrupt` | `StateCorrupt` |
    /// | `UnsupportedFormatVersion` | `StateUnsupportedFormatVersion` |
    /// | `UnknownSection` | `StateUnknownSection` |
    /// | `Unsynced` | `StateUnsynced` |
    /// | `Io` | `StateIoError` |
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::StateLocked { .. } => "StateLocked",
            StoreError::NotFound { .. } => "StateNotFound",
            StoreError::AlreadyExists { .. } => "StateAlreadyExists",
            StoreError::Corrupt { .. } => "StateCorrupt",
            StoreError::UnsupportedFormatVersion { .. } => "StateUnsupportedFormatVersion",
            StoreError::UnknownSection { .. } => "StateUnknownSection",
            StoreError::Unsynced { .. } => "StateUnsynced",
            StoreError::Io { .. } => "StateIoError",
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, op: &'static str, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.into(),
            op,
            source,
        }
    }

    pub(crate) fn corrupt(path: impl Into<PathBuf>, detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            path: path.into(),
            detail: detail.into(),
        }
    }
}

/// Why a batch was not committed: the directory refused it, or the store could not make it
/// durable. Either way nothing was published.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The directory refused the batch (RAM's error codes).
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// The store failed; the batch was abandoned.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CommitError {
    /// RAM's error code for a refusal, or the store's code ([`StoreError::code`]).
    pub fn code(&self) -> String {
        match self {
            CommitError::Directory(e) => e.code(),
            CommitError::Store(e) => e.code().to_owned(),
        }
    }
}
