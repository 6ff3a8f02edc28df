//! Console login: password, lockout, expiry, MFA, and the session a login yields.
//!
//! A login reads the directory and decides; the state it changes (failed-attempt counting,
//! the MFA step it consumed, the last login date, the first console-session key) comes back
//! as [`Change`]s in a [`LoginAttempt`] that the caller applies like any other batch, e.g.
//! through [`Authorizer::apply_at`](crate::authorizer::Authorizer::apply_at) so the store
//! persists it:
//!
//! ```
//! use jiff::Timestamp;
//! use ram_core::authorizer::Authorizer;
//! use ram_core::directory::{Argon2Params, Change, Directory};
//!
//! let auth = Authorizer::new(Directory::new("123456789012")?);
//! let now: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
//! auth.apply_at(&[Change::CreateUser { name: "alice".into(), display_name: None }], now, |_, _| Ok(()))?;
//! let dir = auth.snapshot();
//! let hash = dir.directory().hash_new_password("alice", "correct horse 1", Argon2Params::INSECURE_FAST)?;
//! auth.apply_at(&[Change::CreateLoginProfile {
//!     user: "alice".into(), password_hash: hash, password_reset_required: false, mfa_bind_required: false,
//! }], now, |_, _| Ok(()))?;
//!
//! let attempt = auth.snapshot().directory().login("alice", "correct horse 1", None, now);
//! // Always apply the changes, whatever the outcome; if that fails, the login failed.
//! auth.apply_at(&attempt.changes, now, |_, _| Ok(()))?;
//! let session = attempt.outcome.expect("logged in");
//! assert!(!session.mfa_present);
//! let token = session.to_token(auth.snapshot().directory()).unwrap();
//! assert_eq!(auth.snapshot().directory().verify_console_session(&token, now).unwrap(), session);
//!
//! let attempt = auth.snapshot().directory().login("alice", "wrong", None, now);
//! assert_eq!(attempt.outcome.unwrap_err().code(), "Login.InvalidCredentials");
//! auth.apply_at(&attempt.changes, now, |_, _| Ok(()))?; // counts the failure
//! # Ok::<(), ram_core::directory::DirectoryError>(())
//! ```
//!
//! Applying the changes is where races resolve: two logins that consumed the same MFA code
//! both produce a [`Change::UseMfaCode`] for the same step, and the second batch fails with
//! `CheckAuthenticationCodeFail` (that login failed); failures are counted, and the lock
//! decided, as of the moment each one is applied.

use jiff::{SignedDuration, Timestamp};

use super::error::DirectoryError;
use super::password::{Argon2Params, dummy_verify, hash_password_with, verify_password};
use super::session::{ConsoleSession, SessionKey};
use super::{Change, Directory, LoginProfile, User, mfa};

/// Failed logins are counted over this window, and a lock lasts as long.
pub const LOCKOUT_WINDOW: SignedDuration = SignedDuration::from_hours(1);

/// Earlier password hashes kept for `PasswordReusePrevention` (its maximum, 24, counts the
/// current password too).
pub const REMEMBERED_PASSWORDS: usize = 23;

/// The outcome of a login (or a password change) and the changes it causes. Apply
/// `changes` whatever the outcome: a failed attempt must be counted.
#[must_use = "apply `changes` even when the outcome is an error, so failures are counted and MFA codes consumed"]
#[derive(Debug)]
pub struct LoginAttempt<T = ConsoleSession> {
    /// The session, or why there is none.
    pub outcome: Result<T, LoginError>,
    /// What the attempt changes in the directory.
    pub changes: Vec<Change>,
}

/// Why a console login (or password change) did not succeed. Messages never contain the
/// password, a hash, a seed or a code, and never tell an unknown user from a wrong password.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// Unknown user, no login profile, or wrong password: one error for all three.
    #[error("the user name or password is incorrect")]
    InvalidCredentials,
    /// Too many failed attempts within an hour.
    #[error("the login is locked after too many failed attempts; try again after {until}")]
    Locked {
        /// When the lock ends.
        until: Timestamp,
    },
    /// The password expired and the policy's `HardExpiry` is on: an administrator must reset it.
    #[error("the password expired at {expired_at}; an administrator must reset it")]
    PasswordExpired {
        /// When it expired.
        expired_at: Timestamp,
    },
    /// The password must be changed first (`PasswordResetRequired`, or it expired without
    /// `HardExpiry`).
    #[error("the password must be changed before logging in")]
    PasswordResetRequired {
        /// Whether it is because the password expired (`MaxPasswordAge`).
        expired: bool,
    },
    /// The user has a bound MFA device and no code was given.
    #[error("the user has an MFA device: an authentication code is required")]
    MfaCodeRequired,
    /// The code is not six digits.
    #[error("invalid AuthenticationCode: a code is exactly 6 digits")]
    MfaCodeFormat,
    /// The code is wrong, outside its window, or already used.
    #[error("the authentication code is incorrect")]
    InvalidMfaCode,
    /// `MFABindRequired`: an MFA device must be bound before logging in.
    #[error("an MFA device must be bound to the user before logging in")]
    MfaBindRequired,
    /// The new password was refused (policy, reuse).
    #[error("{0}")]
    NewPassword(DirectoryError),
    /// The operating system's random source failed.
    #[error("the operating system's random source failed")]
    Unavailable,
}

impl LoginError {
    /// The error code. RAM documents none for console logins except the MFA ones
    /// (`CheckAuthenticationCodeFail`, `InvalidParameter.AuthenticationCode.Format`); the
    /// `Login.*` codes are ours.
    pub fn code(&self) -> String {
        match self {
            LoginError::InvalidCredentials => "Login.InvalidCredentials".to_owned(),
            LoginError::Locked { .. } => "Login.Locked".to_owned(),
            LoginError::PasswordExpired { .. } => "Login.PasswordExpired".to_owned(),
            LoginError::PasswordResetRequired { .. } => "Login.PasswordResetRequired".to_owned(),
            LoginError::MfaCodeRequired => "Login.MFACodeRequired".to_owned(),
            LoginError::MfaCodeFormat => "InvalidParameter.AuthenticationCode.Format".to_owned(),
            LoginError::InvalidMfaCode => "CheckAuthenticationCodeFail".to_owned(),
            LoginError::MfaBindRequired => "Login.MFABindRequired".to_owned(),
            LoginError::NewPassword(e) => e.code(),
            LoginError::Unavailable => "InternalError".to_owned(),
        }
    }

    /// Whether this is an authentication failure (as opposed to invalid input or a state the
    /// user must resolve first).
    pub fn is_authentication_failure(&self) -> bool {
        matches!(
            self,
            LoginError::InvalidCredentials
                | LoginError::Locked { .. }
                | LoginError::PasswordExpired { .. }
                | LoginError::MfaCodeRequired
                | LoginError::InvalidMfaCode
        )
    }
}

/// Credentials that passed the password and MFA checks.
struct Verified<'a> {
    user: &'a User,
    profile: &'a LoginProfile,
    /// The MFA step consumed, with the device's serial.
    mfa: Option<(&'a str, u64)>,
}

type Failure = (LoginError, Vec<Change>);

impl Directory {
    /// Checks password and MFA code; on failure, the error and the changes it causes.
    fn verify_credentials(
        &self,
        user: &str,
        password: &str,
        mfa_code: Option<&str>,
        now: Timestamp,
    ) -> Result<Verified<'_>, Failure> {
        let Some((u, profile)) = self
            .users
            .get(user)
            .and_then(|u| u.login_profile.as_ref().map(|p| (u, p)))
        else {
            // As slow as a wrong password, so timing tells nothing either.
            dummy_verify(password);
            return Err((LoginError::InvalidCredentials, Vec::new()));
        };
        if let Some(until) = profile.locked_until
            && now < until
        {
            return Err((LoginError::Locked { until }, Vec::new()));
        }
        let failure = |e| {
            let record = Change::RecordLoginFailure {
                user: user.to_owned(),
                user_id: Some(u.user_id.clone()),
            };
            (e, vec![record])
        };
        if !verify_password(password, &profile.password_hash) {
            return Err(failure(LoginError::InvalidCredentials));
        }
        let mfa = match &u.mfa_device {
            None => None,
            Some(serial) => {
                let code = mfa_code.ok_or((LoginError::MfaCodeRequired, Vec::new()))?;
                mfa::check_code_format(code).map_err(|_| (LoginError::MfaCodeFormat, Vec::new()))?;
                let device = self
                    .mfa_devices
                    .get(serial)
                    .ok_or_else(|| failure(LoginError::InvalidMfaCode))?;
                let step = mfa::verify_code(&device.base32_string_seed, code, now, device.last_used_step)
                    .ok_or_else(|| failure(LoginError::InvalidMfaCode))?;
                Some((serial.as_str(), step))
            }
        };
        Ok(Verified { user: u, profile, mfa })
    }

    /// When the password of `profile` expires under the policy, if it does.
    fn password_expiry(&self, profile: &LoginProfile) -> Option<Timestamp> {
        let days = self.password_policy.max_password_age;
        if days == 0 {
            return None;
        }
        profile
            .password_set_date
            .checked_add(SignedDuration::from_hours(24 * i64::from(days)))
            .ok()
    }

    /// A console login as of `now`: the session, or why not, with the changes the attempt
    /// causes (see the module documentation for how to apply them).
    ///
    /// In order: an unknown user, a user without login profile and a wrong password all give
    /// [`LoginError::InvalidCredentials`]; a locked profile gives [`LoginError::Locked`]
    /// (without checking the password); a user with a bound MFA device needs a valid, unused
    /// code; then an expired password ([`LoginError::PasswordExpired`] with `HardExpiry`,
    /// else [`LoginError::PasswordResetRequired`]), `PasswordResetRequired`, and
    /// `MFABindRequired` without a bound device stop the login. A wrong password or MFA
    /// code counts as a failed attempt: `MaxLoginAttemps` failures within an hour lock the
    /// profile for an hour.
    pub fn login(&self, user: &str, password: &str, mfa_code: Option<&str>, now: Timestamp) -> LoginAttempt {
        let verified = match self.verify_credentials(user, password, mfa_code, now) {
            Ok(v) => v,
            Err((e, changes)) => {
                return LoginAttempt {
                    outcome: Err(e),
                    changes,
                };
            }
        };
        let mut changes: Vec<Change> = verified
            .mfa
            .iter()
            .map(|&(serial, step)| Change::UseMfaCode {
                serial: serial.to_owned(),
                step,
            })
            .collect();
        let refuse = |e, changes| LoginAttempt {
            outcome: Err(e),
            changes,
        };
        let profile = verified.profile;
        if let Some(expired_at) = self.password_expiry(profile)
            && now >= expired_at
        {
            return if self.password_policy.hard_expiry {
                refuse(LoginError::PasswordExpired { expired_at }, changes)
            } else {
                refuse(LoginError::PasswordResetRequired { expired: true }, changes)
            };
        }
        if profile.password_reset_required {
            return refuse(LoginError::PasswordResetRequired { expired: false }, changes);
        }
        if profile.mfa_bind_required && verified.user.mfa_device.is_none() {
            return refuse(LoginError::MfaBindRequired, changes);
        }
        if self.console_session_key.is_none() {
            match SessionKey::generate() {
                Ok(key) => changes.push(Change::InitConsoleSessionKey { key }),
                Err(_) => return refuse(LoginError::Unavailable, changes),
            }
        }
        changes.push(Change::RecordLoginSuccess {
            user: user.to_owned(),
            user_id: Some(verified.user.user_id.clone()),
        });
        let hours = i64::from(self.security_preference.login_session_duration.clamp(1, 24));
        let session = ConsoleSession {
            account_id: self.account_id.clone(),
            user_name: user.to_owned(),
            user_id: Some(verified.user.user_id.clone()),
            login_time: now,
            expiration: now
                .checked_add(SignedDuration::from_hours(hours))
                .unwrap_or(Timestamp::MAX),
            mfa_present: verified.mfa.is_some(),
        };
        LoginAttempt {
            outcome: Ok(session),
            changes,
        }
    }

    /// A user changes their own password (`ChangePassword`): the old password (and an MFA
    /// code when a device is bound) must be right, as for a login, and the new one must pass
    /// the policy and `PasswordReusePrevention`. Allowed when the password must be reset or
    /// expired without `HardExpiry`; refused with `HardExpiry` once expired.
    pub fn change_password(
        &self,
        user: &str,
        old_password: &str,
        new_password: &str,
        mfa_code: Option<&str>,
        now: Timestamp,
        params: Argon2Params,
    ) -> LoginAttempt<()> {
        let verified = match self.verify_credentials(user, old_password, mfa_code, now) {
            Ok(v) => v,
            Err((e, changes)) => {
                return LoginAttempt {
                    outcome: Err(e),
                    changes,
                };
            }
        };
        let mut changes: Vec<Change> = verified
            .mfa
            .iter()
            .map(|&(serial, step)| Change::UseMfaCode {
                serial: serial.to_owned(),
                step,
            })
            .collect();
        if let Some(expired_at) = self.password_expiry(verified.profile)
            && now >= expired_at
            && self.password_policy.hard_expiry
        {
            return LoginAttempt {
                outcome: Err(LoginError::PasswordExpired { expired_at }),
                changes,
            };
        }
        match self.hash_new_password(user, new_password, params) {
            Ok(password_hash) => {
                changes.push(Change::ChangePassword {
                    user: user.to_owned(),
                    password_hash,
                });
                LoginAttempt {
                    outcome: Ok(()),
                    changes,
                }
            }
            Err(e) => LoginAttempt {
                outcome: Err(LoginError::NewPassword(e)),
                changes,
            },
        }
    }

    /// Checks a new password for `user` against the password policy and
    /// `PasswordReusePrevention` (its current and earlier passwords), then hashes it:
    /// the PHC string for [`Change::CreateLoginProfile`], [`Change::UpdateLoginProfile`] or
    /// [`Change::ChangePassword`]. Slow by design (one argon2 verification per remembered
    /// password, then the hash), so call it before taking any writer lock.
    pub fn hash_new_password(
        &self,
        user: &str,
        password: &str,
        params: Argon2Params,
    ) -> Result<String, DirectoryError> {
        self.password_policy.check_password(password)?;
        let remembered = self.password_policy.password_reuse_prevention as usize;
        if remembered > 0
            && let Some(profile) = self.users.get(user).and_then(|u| u.login_profile.as_ref())
        {
            let reused = std::iter::once(&profile.password_hash)
                .chain(&profile.previous_password_hashes)
                .take(remembered)
                .any(|h| verify_password(password, h));
            if reused {
                return Err(DirectoryError::invalid(
                    "InvalidParameter.Password.Reused",
                    "Password",
                    format!(
                        "the password is one of the last {remembered} passwords of the user, which PasswordReusePrevention forbids"
                    ),
                ));
            }
        }
        hash_password_with(password, &self.password_policy, params)
    }
}

impl LoginProfile {
    /// Replaces the password hash, remembering the old one, and resets the password age and
    /// the failed-attempt counter and lock.
    pub(crate) fn set_password(&mut self, hash: &str, now: Timestamp) {
        let old = std::mem::replace(&mut self.password_hash, hash.to_owned());
        self.previous_password_hashes.insert(0, old);
        self.previous_password_hashes.truncate(REMEMBERED_PASSWORDS);
        self.password_set_date = now;
        self.failed_attempts.clear();
        self.locked_until = None;
    }

    /// Counts a failed attempt at `now` under `max_attempts` (0 = unlimited).
    pub(crate) fn record_failure(&mut self, now: Timestamp, max_attempts: u32) {
        if self.locked_until.is_some_and(|until| now < until) {
            return;
        }
        self.locked_until = None;
        let window_start = now.checked_sub(LOCKOUT_WINDOW).unwrap_or(Timestamp::MIN);
        self.failed_attempts.retain(|&t| t > window_start && t <= now);
        self.failed_attempts.push(now);
        // Never more than the largest MaxLoginAttemps, however long an attack goes on.
        let excess = self.failed_attempts.len().saturating_sub(32);
        self.failed_attempts.drain(..excess);
        if max_attempts > 0 && self.failed_attempts.len() >= max_attempts as usize {
            self.locked_until = Some(now.checked_add(LOCKOUT_WINDOW).unwrap_or(Timestamp::MAX));
            self.failed_attempts.clear();
        }
    }
}
