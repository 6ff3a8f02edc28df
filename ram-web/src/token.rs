//! The extension point for STS security tokens.
//!
//! A request signed with temporary credentials carries three things: the temporary
//! AccessKeyId (`STS.…`), the token (`x-acs-security-token` header in V3, `SecurityToken`
//! parameter in V1, covered by the signature either way), and a signature made with the
//! temporary AccessKeySecret. The server does not store temporary secrets: the token is what
//! tells it the secret and the session. So the token is verified **before** the signature,
//! and the signature is then checked with the secret the token yields.
//!
//! Token crypto lives in `ram-sts`; this crate only defines the seam. Implement
//! [`TokenVerifier`] there and hand it to
//! [`Authenticator::with_token_verifier`](crate::Authenticator::with_token_verifier).
//!
//! ```
//! use std::sync::Arc;
//! use jiff::Timestamp;
//! use ram_core::authorizer::Snapshot;
//! use ram_web::{Authenticator, Secret, TokenError, TokenSession, TokenVerifier};
//!
//! /// A toy verifier: one hard-wired session (a real one decrypts and checks the token).
//! struct Fixed;
//!
//! impl TokenVerifier for Fixed {
//!     fn verify(&self, _: &Snapshot, access_key_id: &str, token: &str, now: Timestamp) -> Result<TokenSession, TokenError> {
//!         if token != "CAIS-test" {
//!             return Err(TokenError::Malformed("unknown token".into()));
//!         }
//!         if access_key_id != "STS.test" {
//!             return Err(TokenError::MismatchWithAccessKey);
//!         }
//!         Ok(TokenSession {
//!             access_key_secret: Secret::new("temporary-secret"),
//!             role_name: "reader".into(),
//!             role_id: "300000000000000001".into(),
//!             session_name: "alice".into(),
//!             session_policy: None,
//!             expiration: now.checked_add(jiff::SignedDuration::from_secs(3600)).unwrap(),
//!             source_identity: None,
//!         })
//!     }
//! }
//!
//! let authn = Authenticator::new().with_token_verifier(Arc::new(Fixed));
//! # let _ = authn;
//! ```

use std::sync::Arc;

use jiff::Timestamp;
use ram_core::PolicySet;
use ram_core::authorizer::Snapshot;

use crate::signature::Secret;

/// Verifies STS security tokens; implemented by the STS crate.
pub trait TokenVerifier: Send + Sync {
    /// Checks `token`, presented with `access_key_id`, as of `now`, against the current
    /// directory `snapshot` (the role must still exist, for instance), and returns the
    /// session it stands for, including the temporary secret the request must be signed with.
    ///
    /// Must not panic on any input: `token` and `access_key_id` come straight from the client.
    fn verify(
        &self,
        snapshot: &Snapshot,
        access_key_id: &str,
        token: &str,
        now: Timestamp,
    ) -> Result<TokenSession, TokenError>;
}

/// The session a valid token stands for.
#[derive(Clone, Debug)]
pub struct TokenSession {
    /// The temporary secret; the request signature is checked with it.
    pub access_key_secret: Secret,
    /// The assumed role's name.
    pub role_name: String,
    /// The assumed role's id.
    pub role_id: String,
    /// `RoleSessionName`.
    pub session_name: String,
    /// The compiled session policy, if AssumeRole had one (an intersection gate).
    pub session_policy: Option<Arc<PolicySet>>,
    /// When the credentials stop working.
    pub expiration: Timestamp,
    /// `SourceIdentity`, if AssumeRole had one.
    pub source_identity: Option<String>,
}

/// Why a token was refused; each maps to one of Alibaba Cloud's `InvalidSecurityToken.*` codes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Past its expiration.
    #[error("the security token has expired")]
    Expired,
    /// Not a token this server issued, or damaged; the text says what was wrong (no secrets).
    #[error("the security token is malformed: {0}")]
    Malformed(String),
    /// Valid, but issued for another AccessKeyId.
    #[error("the security token does not belong to the access key")]
    MismatchWithAccessKey,
    /// Refused for another reason the verifier names with its own `InvalidSecurityToken.*`
    /// code (a revoked session, a retired signing key, ...); the message says why, without
    /// secrets.
    #[error("{message}")]
    Refused {
        /// The `InvalidSecurityToken.*` code.
        code: &'static str,
        /// What was wrong.
        message: String,
    },
}

impl TokenError {
    /// Alibaba Cloud's error code.
    ///
    /// ```
    /// use ram_web::TokenError;
    ///
    /// let revoked = TokenError::Refused { code: "InvalidSecurityToken.Revoked", message: "the role session was revoked".into() };
    /// assert_eq!(revoked.code(), "InvalidSecurityToken.Revoked");
    /// let odd = TokenError::Refused { code: "NoPermission", message: "x".into() };
    /// assert_eq!(odd.code(), "InvalidSecurityToken.Malformed");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Expired => "InvalidSecurityToken.Expired",
            TokenError::Malformed(_) => "InvalidSecurityToken.Malformed",
            TokenError::MismatchWithAccessKey => "InvalidSecurityToken.MismatchWithAccessKey",
            // Only `InvalidSecurityToken.*` codes: a verifier cannot make a token failure look
            // like another kind of error.
            TokenError::Refused { code, .. } if code.starts_with("InvalidSecurityToken.") => code,
            TokenError::Refused { .. } => "InvalidSecurityToken.Malformed",
        }
    }
}
