//! The plumbing every state command shares: the clock, the state file, and the mapping of
//! ram-core's errors to error codes and exit codes.
//!
//! A command that changes the directory:
//!
//! ```ignore
//! let mut w = Writer::open(global)?;            // takes the lock (StateLocked if held), loads
//! let change = Change::CreateUser { name, display_name: None };
//! w.commit(&[change])?;                          // applied at --now, persisted before Ok
//! let user = w.directory().user(&name);          // the directory after the batch
//! ```
//!
//! A command that only reads uses [`read`] (no lock, so it works while `ram serve` holds the
//! lock) and [`now`]. Errors go through [`directory_error`], [`store_error`],
//! [`commit_error`], [`auth_error`], [`login_error`] and [`session_error`], which pick the
//! code and exit code (see [`ExitKind::of_code`] for the table).
//!
//! For later commands (`ram sts ...`, `ram check --security-token`): [`Writer::section`] and
//! [`Writer::put_section`] read and write a typed top-level section of the state file (e.g.
//! the STS signing keys, once listed in `ram_core::store::SECTIONS`), [`State::section`] reads
//! one without the lock, and an STS error maps with [`CliError::ram`]`(err.code(), err)`: its
//! exit code then follows from its code (`InvalidSecurityToken.*` is 3, `NoPermission` 1,
//! `InvalidParameter.*` 2).

use std::path::Path;

use jiff::Timestamp;
use ram_core::authorizer::AuthError;
use ram_core::directory::{Change, Directory, DirectoryError, Dirty, LoginError, SessionError};
use ram_core::store::{CommitError, FileStore, Section, State, Store, StoreError};

use crate::GlobalArgs;
use crate::error::{CliError, ExitKind, FileProblem};
use crate::input::quote;

/// The time the command runs at: `--now` when given (nothing is then compared with the real
/// clock), else the system clock. It never becomes `acs:CurrentTime`.
pub fn now(global: &GlobalArgs) -> Result<Timestamp, CliError> {
    match &global.now {
        None => Ok(Timestamp::now()),
        Some(text) => text.parse::<Timestamp>().map_err(|_| {
            CliError::InvalidInput(format!(
                "--now {} is not an RFC 3339 instant (e.g. 2025-01-01T00:00:00Z or 2025-01-01T08:00:00+08:00)",
                quote(text)
            ))
        }),
    }
}

/// Reads the state without taking the lock (for commands that only read). A malformed
/// `--now` is refused here too, so every state command treats it alike.
pub fn read(global: &GlobalArgs) -> Result<State, CliError> {
    now(global)?;
    FileStore::read(&global.state).map_err(store_error)
}

/// A writer: the locked state file, its loaded state and the command's time.
pub struct Writer {
    store: FileStore,
    state: State,
    now: Timestamp,
}

impl Writer {
    /// Takes the lock of the state file named by `--state` (`StateLocked` at once if another
    /// writer holds it) and loads it.
    pub fn open(global: &GlobalArgs) -> Result<Writer, CliError> {
        let now = now(global)?;
        let mut store = FileStore::open(&global.state).map_err(store_error)?;
        let state = store.load().map_err(store_error)?;
        Ok(Writer { store, state, now })
    }

    /// Creates a new state file holding `directory` (refusing one that exists), locked.
    pub fn create(global: &GlobalArgs, directory: &Directory, now: Timestamp) -> Result<Writer, CliError> {
        let store = FileStore::create(&global.state, directory).map_err(store_error)?;
        let state = State {
            directory: directory.clone(),
            revision: 0,
            sections: Default::default(),
        };
        Ok(Writer { store, state, now })
    }

    /// The directory as loaded, with every batch committed since.
    pub fn directory(&self) -> &Directory {
        &self.state.directory
    }

    /// The command's time.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Applies a batch at the command's time and persists it: all of it or nothing, durable
    /// before this returns `Ok`.
    pub fn commit(&mut self, changes: &[Change]) -> Result<Dirty, CliError> {
        self.store
            .commit_to(&mut self.state.directory, changes, self.now)
            .map_err(commit_error)
    }

    /// Like [`Writer::commit`], naming `file` in the problems of a malformed policy document
    /// the batch carries.
    pub fn commit_document(&mut self, changes: &[Change], file: &Path) -> Result<Dirty, CliError> {
        self.store
            .commit_to(&mut self.state.directory, changes, self.now)
            .map_err(|e| match e {
                CommitError::Directory(d) => document_error(d, file),
                CommitError::Store(s) => store_error(s),
            })
    }

    /// A typed section of the state file, if present.
    #[allow(
        dead_code,
        reason = "plumbing for the STS commands (their signing keys), which come next"
    )]
    pub fn section<T: Section>(&self) -> Result<Option<T>, CliError> {
        self.state
            .section::<T>()
            .map_err(|e| CliError::ram("StateCorrupt", format!("the section {} does not read: {e}", T::NAME)))
    }

    /// Sets (or with `None` removes) a typed section of the state file, durably.
    #[allow(
        dead_code,
        reason = "plumbing for the STS commands (their signing keys), which come next"
    )]
    pub fn put_section<T: Section>(&mut self, value: Option<&T>) -> Result<(), CliError> {
        let json = value
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| CliError::ram("InternalError", e.to_string()))?;
        self.store.put_section(T::NAME, json.clone()).map_err(store_error)?;
        match json {
            Some(v) => self.state.sections.insert(T::NAME.to_owned(), v),
            None => self.state.sections.remove(T::NAME),
        };
        Ok(())
    }
}

/// Reads a policy document file given on the command line (`InvalidInput` if unreadable).
pub fn read_document(path: &Path) -> Result<String, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|e| CliError::InvalidInput(format!("cannot read policy file {}: {e}", path.display())))?;
    String::from_utf8(bytes).map_err(|e| {
        CliError::InvalidInput(format!(
            "policy file {} is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

/// A refusal of the directory: its RAM code, exit 2 for invalid parameters and documents,
/// 3 for a wrong MFA code, else 1.
pub fn directory_error(err: DirectoryError) -> CliError {
    if let DirectoryError::MalformedPolicyDocument(_) = &err {
        return document_error(err, Path::new("(document)"));
    }
    CliError::ram(err.code(), err.to_string())
}

/// A refusal of the directory, naming `file` in the problems of a malformed document.
pub fn document_error(err: DirectoryError, file: &Path) -> CliError {
    match &err {
        DirectoryError::MalformedPolicyDocument(_) => {
            let file = file.to_string_lossy().into_owned();
            let errors: Vec<FileProblem> = err
                .problems()
                .iter()
                .map(|p| FileProblem {
                    file: file.clone(),
                    path: p.path.clone(),
                    message: p.message.clone(),
                })
                .collect();
            let n = errors.len();
            CliError::MalformedPolicy {
                message: format!(
                    "invalid policy document {file} ({n} problem{})",
                    if n == 1 { "" } else { "s" }
                ),
                errors,
            }
        }
        _ => directory_error(err),
    }
}

/// A store failure (`StateLocked`, `StateNotFound`, `StateCorrupt`, ...): exit 1.
pub fn store_error(err: StoreError) -> CliError {
    CliError::Ram {
        code: err.code().to_owned(),
        message: err.to_string(),
        exit: ExitKind::Failure,
    }
}

/// A batch that was not committed.
pub fn commit_error(err: CommitError) -> CliError {
    match err {
        CommitError::Directory(e) => directory_error(e),
        CommitError::Store(e) => store_error(e),
    }
}

/// An authentication failure of a check: always exit 3 (even `EntityNotExist.User`: the
/// caller named does not exist).
pub fn auth_error(err: AuthError) -> CliError {
    CliError::auth(err.code(), err.to_string())
}

/// A console login that did not succeed: exit 3 for wrong credentials, a lock, an expired
/// password (`HardExpiry`) or a missing or wrong MFA code; 2 for a malformed code or a new
/// password the policy refuses; 1 for a state the user must resolve first
/// (`Login.PasswordResetRequired`, `Login.MFABindRequired`).
pub fn login_error(err: LoginError) -> CliError {
    let code = err.code();
    let exit = if err.is_authentication_failure() {
        ExitKind::Auth
    } else {
        ExitKind::of_code(&code)
    };
    CliError::Ram {
        code,
        message: err.to_string(),
        exit,
    }
}

/// A console-session token that was refused (malformed, forged, expired, revoked): exit 3.
pub fn session_error(err: SessionError) -> CliError {
    CliError::auth(err.code(), err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_errors_map_to_exit_codes() {
        assert_eq!(
            login_error(LoginError::InvalidCredentials).exit_code(),
            std::process::ExitCode::from(3)
        );
        assert_eq!(
            login_error(LoginError::MfaCodeFormat).exit_code(),
            std::process::ExitCode::from(2)
        );
        assert_eq!(
            login_error(LoginError::MfaBindRequired).exit_code(),
            std::process::ExitCode::from(1)
        );
    }

    #[test]
    fn a_bad_now_is_invalid_input() {
        let global = GlobalArgs {
            json: true,
            state: "x".into(),
            now: Some("yesterday".into()),
        };
        assert!(matches!(now(&global), Err(CliError::InvalidInput(_))));
        let global = GlobalArgs {
            now: Some("2025-01-01T08:00:00+08:00".into()),
            ..global
        };
        assert_eq!(now(&global).unwrap().to_string(), "2025-01-01T00:00:00Z");
    }
}
