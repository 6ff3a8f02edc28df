//! The one error type of `ram-sts`, with STS wire codes.

use jiff::Timestamp;
use ram_core::authorizer::AuthError;
use ram_core::directory::SessionError;
use ram_core::{Decision, PolicyError};

/// What kind of failure an [`StsError`] is: decides the exit status of the command line
/// (authentication 3, invalid parameter 2, the rest 1) and the HTTP status of a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller or its token could not be authenticated; nothing was evaluated.
    Authentication,
    /// A request parameter is invalid.
    InvalidParameter,
    /// The role does not exist (or no longer exists).
    NotFound,
    /// The request was evaluated and refused.
    Denied,
    /// A problem of this service: no signing key, no randomness, a key that cannot be found.
    Internal,
}

/// Every way an STS call or a token verification fails.
///
/// ```
/// use ram_sts::{ErrorKind, StsError};
///
/// let e = StsError::Expired { expiration: "2024-01-01T00:00:00Z".parse().unwrap() };
/// assert_eq!(e.code(), "InvalidSecurityToken.Expired");
/// assert_eq!(e.kind(), ErrorKind::Authentication);
/// assert_eq!(StsError::RootRefused.to_string(), "Roles may not be assumed by root accounts.");
/// ```
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StsError {
    // ---- token verification (InvalidSecurityToken.*) ----
    /// Not a token: wrong prefix, not canonical base64url, truncated or trailing bytes,
    /// fields out of range.
    #[error("the security token is malformed: {0}")]
    Malformed(&'static str),
    /// The signature does not verify under the key the token names.
    #[error("the security token's signature does not verify")]
    BadSignature,
    /// The key id in the token is not in the key ring.
    #[error("the security token was signed with an unknown key {0:?}")]
    UnknownKey(String),
    /// The key id in the token was retired: every token it signed is refused.
    #[error("the security token was signed with the retired key {0:?}")]
    RetiredKey(String),
    /// `now >= issued + duration`.
    #[error("the security token expired at {expiration}")]
    Expired {
        /// When it expired.
        expiration: Timestamp,
    },
    /// Issued later than now plus the allowed clock skew.
    #[error("the security token is not valid before {issued}")]
    NotYetValid {
        /// When it was issued.
        issued: Timestamp,
    },
    /// The AccessKeyId presented with the token is not the token's.
    #[error("the AccessKeyId does not match the security token")]
    MismatchWithAccessKey,
    /// The session was revoked: the role was re-created, its trust policy changed, or its
    /// sessions issued before some instant were revoked.
    #[error("the role session was revoked: {0}")]
    Revoked(&'static str),
    /// The caller's (non-STS) credentials were refused.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The caller's console session was refused.
    #[error(transparent)]
    ConsoleSession(#[from] SessionError),

    // ---- AssumeRole parameters ----
    /// `RoleArn` is not `acs:ram::<account>:role/<RoleName>`.
    #[error("RoleArn {0:?} is not acs:ram::<account-id>:role/<RoleName>")]
    InvalidRoleArn(String),
    /// `RoleSessionName` is not 2–64 characters of `[A-Za-z0-9.@_-]`.
    #[error("RoleSessionName {0:?} must be 2 to 64 characters of A-Z, a-z, 0-9, '.', '@', '_', '-'")]
    InvalidRoleSessionName(String),
    /// `DurationSeconds` outside 900 up to the role's MaxSessionDuration.
    #[error("DurationSeconds {found} must be between 900 and {max} (the role's MaxSessionDuration)")]
    InvalidDurationSeconds {
        /// What was asked.
        found: u64,
        /// The upper bound that applied.
        max: u32,
    },
    /// The session policy is longer than 2,048 characters.
    #[error("the session policy is {0} characters long; at most 2048 allowed")]
    PolicySize(usize),
    /// The session policy is not a valid policy.
    #[error("the session policy is invalid: {0}")]
    PolicyGrammar(PolicyError),
    /// `ExternalId` is not 2–1,224 characters of `[\w+=,.@:/-]`.
    #[error("ExternalId must be 2 to 1224 characters of letters, digits and +=,.@:/-_")]
    InvalidExternalId,
    /// The allowed clock skew is above 300 seconds.
    #[error("the clock skew allowance is {0} s; at most 300 s allowed")]
    InvalidClockSkew(u32),

    // ---- roles and decisions ----
    /// The role does not exist.
    #[error("The specified Role not exists: {0}")]
    RoleNotFound(String),
    /// The account root may never assume a role.
    #[error("Roles may not be assumed by root accounts.")]
    RootRefused,
    /// The identity side or the trust side did not allow.
    #[error("{message}")]
    NoPermission {
        /// `ExplicitDeny` or `ImplicitDeny`.
        decision: Decision,
        /// RAM's message for the side that refused.
        message: &'static str,
    },
    /// A service principal has no caller identity.
    #[error("a service principal has no caller identity")]
    NoCallerIdentity,

    // ---- keys ----
    /// The key ring has no key that mints.
    #[error("the STS key ring has no active signing key (rotate one in)")]
    NoSigningKey,
    /// No key with this id.
    #[error("there is no STS key {0:?}")]
    KeyNotFound(String),
    /// The active key cannot be retired (rotate first), or the key holds no private part.
    #[error("the STS key {0:?} cannot be retired: it is the key that mints (rotate first)")]
    RetireActiveKey(String),
    /// The key ring holds only public keys: it verifies but cannot mint or derive secrets.
    #[error("the STS key {0:?} has no secret part here (public keys verify only)")]
    NoSecret(String),
    /// The stored key ring does not read.
    #[error("the stored STS keys are invalid: {0}")]
    InvalidKeyRing(String),
    /// The operating system's random source failed.
    #[error("the operating system's random source failed")]
    Random,
}

impl StsError {
    /// The wire error code.
    pub fn code(&self) -> &'static str {
        match self {
            StsError::Malformed(_) | StsError::BadSignature | StsError::UnknownKey(_) | StsError::RetiredKey(_) => {
                "InvalidSecurityToken.Malformed"
            }
            StsError::Expired { .. } => "InvalidSecurityToken.Expired",
            StsError::NotYetValid { .. } => "InvalidSecurityToken.NotYetValid",
            StsError::MismatchWithAccessKey => "InvalidSecurityToken.MismatchWithAccessKey",
            StsError::Revoked(_) => "InvalidSecurityToken.Revoked",
            StsError::Auth(e) => e.code(),
            StsError::ConsoleSession(e) => e.code(),
            StsError::InvalidRoleArn(_) => "InvalidParameter.RoleArn",
            StsError::InvalidRoleSessionName(_) => "InvalidParameter.RoleSessionName",
            StsError::InvalidDurationSeconds { .. } => "InvalidParameter.DurationSeconds",
            StsError::PolicySize(_) => "InvalidParameter.PolicySize",
            StsError::PolicyGrammar(_) => "InvalidParameter.PolicyGrammar",
            StsError::InvalidExternalId => "InvalidParameter.ExternalId",
            StsError::InvalidClockSkew(_) => "InvalidParameter.ClockSkew",
            StsError::RoleNotFound(_) => "EntityNotExist.Role",
            StsError::RootRefused | StsError::NoPermission { .. } | StsError::NoCallerIdentity => "NoPermission",
            StsError::KeyNotFound(_) => "EntityNotExist.StsKey",
            StsError::RetireActiveKey(_) => "InvalidParameter.KeyId",
            StsError::NoSigningKey | StsError::NoSecret(_) | StsError::InvalidKeyRing(_) | StsError::Random => {
                "InternalError"
            }
        }
    }

    /// The kind of failure (exit status of the command line).
    pub fn kind(&self) -> ErrorKind {
        match self {
            StsError::Malformed(_)
            | StsError::BadSignature
            | StsError::UnknownKey(_)
            | StsError::RetiredKey(_)
            | StsError::Expired { .. }
            | StsError::NotYetValid { .. }
            | StsError::MismatchWithAccessKey
            | StsError::Revoked(_)
            | StsError::Auth(_)
            | StsError::ConsoleSession(_) => ErrorKind::Authentication,
            StsError::InvalidRoleArn(_)
            | StsError::InvalidRoleSessionName(_)
            | StsError::InvalidDurationSeconds { .. }
            | StsError::PolicySize(_)
            | StsError::PolicyGrammar(_)
            | StsError::InvalidExternalId
            | StsError::InvalidClockSkew(_)
            | StsError::RetireActiveKey(_) => ErrorKind::InvalidParameter,
            StsError::RoleNotFound(_) | StsError::KeyNotFound(_) => ErrorKind::NotFound,
            StsError::RootRefused | StsError::NoPermission { .. } | StsError::NoCallerIdentity => ErrorKind::Denied,
            StsError::NoSigningKey | StsError::NoSecret(_) | StsError::InvalidKeyRing(_) | StsError::Random => {
                ErrorKind::Internal
            }
        }
    }

    /// For `NoPermission`: `ExplicitDeny` or `ImplicitDeny` (the root's refusal is explicit:
    /// no policy can grant it).
    pub fn no_permission_type(&self) -> Option<Decision> {
        match self {
            StsError::RootRefused => Some(Decision::ExplicitDeny),
            StsError::NoPermission { decision, .. } => Some(*decision),
            StsError::NoCallerIdentity => Some(Decision::ImplicitDeny),
            _ => None,
        }
    }
}

impl From<getrandom::Error> for StsError {
    fn from(_: getrandom::Error) -> StsError {
        StsError::Random
    }
}
