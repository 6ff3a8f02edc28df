//! Console sessions: what a successful console login yields, and their signed tokens.
//!
//! A token is `RAMCS1.<payload>.<tag>`: the session as JSON, base64url without padding, and
//! an HMAC-SHA256 tag over `RAMCS1.<payload>` with the directory's console-session key
//! (32 bytes from the operating system, drawn by the first login; see
//! [`Change::RotateConsoleSessionKey`](super::Change::RotateConsoleSessionKey)). A token is
//! valid until its `Expiration`, while its user still has a login profile whose password was
//! set no later than the login, and while the key is not rotated.

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::Directory;
use crate::authorizer::Caller;
use crate::context::{RequestContext, keys};

const TOKEN_PREFIX: &str = "RAMCS1.";

/// The key console-session tokens are signed with. Never in `Debug`; stored base64.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionKey([u8; 32]);

impl SessionKey {
    /// 32 bytes from the operating system's random source.
    pub fn generate() -> Result<SessionKey, getrandom::Error> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)?;
        Ok(SessionKey(key))
    }

    /// A key from its bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> SessionKey {
        SessionKey(bytes)
    }

    fn mac(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("HMAC takes keys of any length")
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(<redacted>)")
    }
}

impl Serialize for SessionKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Base64::encode_string(&self.0))
    }
}

impl<'de> Deserialize<'de> for SessionKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<SessionKey, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = Base64::decode_vec(&text).map_err(|_| serde::de::Error::custom("a session key is base64"))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom("a session key is 32 bytes"))?;
        Ok(SessionKey(key))
    }
}

/// A console session: who logged in, when, until when, and whether with MFA.
///
/// Checks made for it carry `acs:MFAPresent` ([`ConsoleSession::add_to_context`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsoleSession {
    /// The account.
    pub account_id: String,
    /// The RAM user.
    pub user_name: String,
    /// The user's UserId, so a session never passes to another user who later takes the
    /// name (UpdateUser renames). Absent in tokens issued before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// When the login succeeded.
    pub login_time: Timestamp,
    /// When the session ends (`LoginSessionDuration` after the login).
    pub expiration: Timestamp,
    /// Whether the login passed an MFA check.
    #[serde(rename = "MFAPresent")]
    pub mfa_present: bool,
}

/// Why a console-session token was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Not a console-session token.
    #[error("the console session token is malformed")]
    Malformed,
    /// The signature does not match (forged, altered, another directory, or a rotated key).
    #[error("the console session token's signature does not match")]
    Signature,
    /// Issued for another account.
    #[error("the console session belongs to another account")]
    WrongAccount,
    /// Past its expiration.
    #[error("the console session expired at {0}")]
    Expired(Timestamp),
    /// The user, its login profile, or the password the session was opened with is gone.
    #[error("the console session was revoked (the user, its login profile or its password changed)")]
    Revoked,
    /// The directory has no console-session key yet (no login has happened).
    #[error("the directory has no console session key")]
    NoKey,
}

impl SessionError {
    /// The error code (ours: RAM documents none for console sessions).
    pub fn code(&self) -> &'static str {
        match self {
            SessionError::Malformed => "InvalidConsoleSession.Malformed",
            SessionError::Signature => "InvalidConsoleSession.Signature",
            SessionError::WrongAccount => "InvalidConsoleSession.Account",
            SessionError::Expired(_) => "InvalidConsoleSession.Expired",
            SessionError::Revoked => "InvalidConsoleSession.Revoked",
            SessionError::NoKey => "InvalidConsoleSession.NoKey",
        }
    }
}

impl ConsoleSession {
    /// The caller to check requests as: the session's RAM user.
    pub fn caller(&self) -> Caller<'_> {
        Caller::user(&self.user_name)
    }

    /// Sets `acs:MFAPresent` in `ctx` from the session, replacing whatever the request claimed.
    pub fn add_to_context(&self, ctx: &mut RequestContext) {
        ctx.set(keys::MFA_PRESENT, [if self.mfa_present { "true" } else { "false" }]);
    }

    /// A context holding only `acs:MFAPresent`.
    pub fn context(&self) -> RequestContext {
        let mut ctx = RequestContext::new();
        self.add_to_context(&mut ctx);
        ctx
    }

    /// Signs the session with `directory`'s console-session key (present once the login's
    /// changes were applied).
    pub fn to_token(&self, directory: &Directory) -> Result<String, SessionError> {
        let key = directory.console_session_key.as_ref().ok_or(SessionError::NoKey)?;
        let json = serde_json::to_vec(self).map_err(|_| SessionError::Malformed)?;
        let signed = format!("{TOKEN_PREFIX}{}", Base64UrlUnpadded::encode_string(&json));
        let mut mac = key.mac();
        mac.update(signed.as_bytes());
        let tag = mac.finalize().into_bytes();
        Ok(format!("{signed}.{}", Base64UrlUnpadded::encode_string(&tag)))
    }
}

impl Directory {
    /// Verifies a console-session token as of `now` and returns its session.
    pub fn verify_console_session(&self, token: &str, now: Timestamp) -> Result<ConsoleSession, SessionError> {
        let key = self.console_session_key.as_ref().ok_or(SessionError::Signature)?;
        let rest = token.strip_prefix(TOKEN_PREFIX).ok_or(SessionError::Malformed)?;
        let (payload, tag) = rest.split_once('.').ok_or(SessionError::Malformed)?;
        let tag = Base64UrlUnpadded::decode_vec(tag).map_err(|_| SessionError::Malformed)?;
        let mut mac = key.mac();
        mac.update(&token.as_bytes()[..TOKEN_PREFIX.len() + payload.len()]);
        mac.verify_slice(&tag).map_err(|_| SessionError::Signature)?;
        let json = Base64UrlUnpadded::decode_vec(payload).map_err(|_| SessionError::Malformed)?;
        let session: ConsoleSession = serde_json::from_slice(&json).map_err(|_| SessionError::Malformed)?;
        if session.account_id != self.account_id {
            return Err(SessionError::WrongAccount);
        }
        if now >= session.expiration {
            return Err(SessionError::Expired(session.expiration));
        }
        let user = self.users.get(&session.user_name).ok_or(SessionError::Revoked)?;
        // The id catches a name now held by another user; the rename date also catches
        // sessions issued before sessions carried the id, and a user renamed away and back.
        if session.user_id.as_ref().is_some_and(|id| *id != user.user_id)
            || user.renamed_date.is_some_and(|renamed| renamed > session.login_time)
        {
            return Err(SessionError::Revoked);
        }
        let profile = user.login_profile.as_ref().ok_or(SessionError::Revoked)?;
        if profile.password_set_date > session.login_time {
            return Err(SessionError::Revoked);
        }
        Ok(session)
    }
}
