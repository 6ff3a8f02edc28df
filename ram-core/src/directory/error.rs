//! The error type of directory changes, with RAM's error codes.

use crate::error::{PolicyError, Problem};

/// Kinds of directory entity, as they appear in RAM's error codes (`EntityNotExist.User`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntityKind {
    /// A RAM user.
    User,
    /// A user group.
    Group,
    /// A RAM role.
    Role,
    /// A policy (system or custom).
    Policy,
    /// A version of a custom policy.
    PolicyVersion,
    /// An access key.
    AccessKey,
    /// A login profile.
    LoginProfile,
    /// A virtual MFA device.
    MfaDevice,
    /// A user's MFA device binding.
    UserMfaDevice,
}

impl EntityKind {
    /// The name used in error codes.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::User => "User",
            EntityKind::Group => "Group",
            EntityKind::Role => "Role",
            EntityKind::Policy => "Policy",
            EntityKind::PolicyVersion => "Policy.Version",
            EntityKind::AccessKey => "User.AccessKey",
            EntityKind::LoginProfile => "User.LoginProfile",
            EntityKind::MfaDevice => "VirtualMFADevice",
            EntityKind::UserMfaDevice => "User.MFADevice",
        }
    }
}

impl std::fmt::Display for EntityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a directory change was refused. A refused batch leaves the directory untouched.
///
/// ```
/// use ram_core::directory::{Change, Directory, DirectoryError};
///
/// let mut dir = Directory::new("123456789012").unwrap();
/// dir.apply(&[Change::CreateUser { name: "alice".into(), display_name: None }]).unwrap();
/// let err = dir.apply(&[Change::CreateUser { name: "alice".into(), display_name: None }]).unwrap_err();
/// assert_eq!(err.code(), "EntityAlreadyExists.User");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    /// A parameter breaks a rule (name syntax, range).
    #[error("invalid {field}: {message}")]
    InvalidParameter {
        /// The RAM error code, e.g. `InvalidParameter.UserName`.
        code: String,
        /// The offending field.
        field: &'static str,
        /// What was found and what is allowed.
        message: String,
    },
    /// The entity already exists.
    #[error("the {kind} {name:?} already exists")]
    AlreadyExists {
        /// What kind of entity.
        kind: EntityKind,
        /// Its name.
        name: String,
    },
    /// The entity does not exist.
    #[error("the {kind} {name:?} does not exist")]
    NotExist {
        /// What kind of entity.
        kind: EntityKind,
        /// Its name.
        name: String,
    },
    /// Deleting would leave dangling references; the RAM code names what is still attached.
    #[error("{message}")]
    DeleteConflict {
        /// The RAM error code, e.g. `DeleteConflict.User.Group`.
        code: String,
        /// What still references the entity and how to remove it.
        message: String,
    },
    /// A quota would be exceeded.
    #[error("{message}")]
    LimitExceeded {
        /// The RAM error code, e.g. `LimitExceeded.User.AccessKey`.
        code: String,
        /// Which quota and its value.
        message: String,
    },
    /// A policy document is invalid.
    #[error("{0}")]
    MalformedPolicyDocument(PolicyError),
    /// The change is not allowed in the current state (e.g. a system policy is read-only).
    #[error("{message}")]
    NotAllowed {
        /// The RAM error code.
        code: String,
        /// Why.
        message: String,
    },
}

impl DirectoryError {
    /// RAM's error code for this error (`EntityNotExist.Group`, `DeleteConflict.User.Group`, ...).
    pub fn code(&self) -> String {
        match self {
            DirectoryError::InvalidParameter { code, .. }
            | DirectoryError::DeleteConflict { code, .. }
            | DirectoryError::LimitExceeded { code, .. }
            | DirectoryError::NotAllowed { code, .. } => code.clone(),
            DirectoryError::AlreadyExists { kind, .. } => format!("EntityAlreadyExists.{kind}"),
            DirectoryError::NotExist { kind, .. } => format!("EntityNotExist.{kind}"),
            DirectoryError::MalformedPolicyDocument(_) => "MalformedPolicyDocument".to_owned(),
        }
    }

    /// The problems of a malformed policy document, if that is the error.
    pub fn problems(&self) -> &[Problem] {
        match self {
            DirectoryError::MalformedPolicyDocument(e) => e.problems(),
            _ => &[],
        }
    }

    pub(crate) fn invalid(code: &str, field: &'static str, message: impl Into<String>) -> DirectoryError {
        DirectoryError::InvalidParameter {
            code: code.to_owned(),
            field,
            message: message.into(),
        }
    }

    pub(crate) fn not_exist(kind: EntityKind, name: &str) -> DirectoryError {
        DirectoryError::NotExist {
            kind,
            name: name.to_owned(),
        }
    }

    pub(crate) fn exists(kind: EntityKind, name: &str) -> DirectoryError {
        DirectoryError::AlreadyExists {
            kind,
            name: name.to_owned(),
        }
    }

    pub(crate) fn conflict(code: &str, message: impl Into<String>) -> DirectoryError {
        DirectoryError::DeleteConflict {
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn limit(code: &str, message: impl Into<String>) -> DirectoryError {
        DirectoryError::LimitExceeded {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}
