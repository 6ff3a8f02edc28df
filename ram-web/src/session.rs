//! Console sessions by cookie: a login endpoint that sets the cookie, and the parsing that
//! finds it again.
//!
//! [`ConsoleLogin::login`] runs ram-core's console login (password, lockout, MFA) and commits
//! the changes it causes — through a [`Store`] when one is given, so the MFA step a code
//! consumed is persisted and the code cannot be replayed against another process that
//! loads the same state. The session comes back as a `RAMCS1.` token in a cookie
//! (`HttpOnly`, `SameSite=Strict`, `Secure` unless turned off for plain-HTTP development).
//! A [`RamContext`](crate::RamContext) whose [`RamHandle`](crate::RamHandle) names the
//! cookie verifies it with `Directory::verify_console_session` on every request and takes
//! `acs:MFAPresent` from the session.
//!
//! ```
//! use std::sync::Arc;
//! use jiff::Timestamp;
//! use ram_core::authorizer::Authorizer;
//! use ram_core::directory::{Argon2Params, Change, Directory};
//! use ram_web::session::{ConsoleLogin, parse_cookie};
//!
//! let auth = Arc::new(Authorizer::new(Directory::new("123456789012")?));
//! auth.apply(&[Change::CreateUser { name: "alice".into(), display_name: None }])?;
//! let hash = auth.snapshot().directory().hash_new_password("alice", "correct horse 1", Argon2Params::INSECURE_FAST)?;
//! auth.apply(&[Change::CreateLoginProfile {
//!     user: "alice".into(), password_hash: hash, password_reset_required: false, mfa_bind_required: false,
//! }])?;
//!
//! let login = ConsoleLogin::new(auth.clone());
//! let now = Timestamp::now();
//! let (session, token) = login.login("alice", "correct horse 1", None, now)?;
//! let cookie = login.set_cookie(&token, &session, now);
//! assert!(cookie.starts_with("ram_console=RAMCS1."));
//! assert_eq!(parse_cookie("theme=dark; ram_console=abc", "ram_console"), Some("abc"));
//! assert_eq!(login.login("alice", "wrong", None, now).unwrap_err().code(), "Login.InvalidCredentials");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

use jiff::Timestamp;
use parking_lot::Mutex;
use ram_core::authorizer::Authorizer;
use ram_core::directory::{Change, ConsoleSession, LoginError};
use ram_core::store::Store;

use crate::api_error::ApiError;

/// The cookie name [`ConsoleLogin`] uses unless told otherwise.
pub const DEFAULT_COOKIE: &str = "ram_console";

/// Why a login's changes were not committed: the error code and the message.
type CommitFailure = (String, String);

/// How a login's changes are made durable and published.
type Commit = dyn Fn(&Authorizer, &[Change], Timestamp) -> Result<(), CommitFailure> + Send + Sync;

/// The console login endpoint's configuration (see the [module docs](self)).
#[derive(Clone)]
pub struct ConsoleLogin {
    authorizer: Arc<Authorizer>,
    commit: Arc<Commit>,
    cookie: Arc<str>,
    secure: bool,
}

impl std::fmt::Debug for ConsoleLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleLogin")
            .field("cookie", &self.cookie)
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

impl ConsoleLogin {
    /// Logs users of `authorizer` in; the login's changes are applied in memory only (see
    /// [`ConsoleLogin::with_store`]). Cookie [`DEFAULT_COOKIE`], `Secure`.
    pub fn new(authorizer: Arc<Authorizer>) -> ConsoleLogin {
        ConsoleLogin {
            authorizer,
            commit: Arc::new(|auth: &Authorizer, changes: &[Change], now: Timestamp| {
                auth.apply_at(changes, now, |_, _| Ok(()))
                    .map(drop)
                    .map_err(|e| (e.code(), e.to_string()))
            }),
            cookie: Arc::from(DEFAULT_COOKIE),
            secure: true,
        }
    }

    /// Commits each login's changes through `store` (failed attempts, the consumed MFA step,
    /// the first console-session key) before they are published.
    pub fn with_store<S: Store + Send + 'static>(mut self, store: Arc<Mutex<S>>) -> ConsoleLogin {
        self.commit = Arc::new(move |auth: &Authorizer, changes: &[Change], now: Timestamp| {
            store
                .lock()
                .commit(auth, changes, now)
                .map(drop)
                .map_err(|e| (e.code(), e.to_string()))
        });
        self
    }

    /// The cookie's name.
    pub fn cookie_name(mut self, name: &str) -> ConsoleLogin {
        self.cookie = Arc::from(name);
        self
    }

    /// Whether the cookie is `Secure` (sent over HTTPS only); turn off for plain-HTTP
    /// development servers only. A cookie named with the `__Host-` or `__Secure-` prefix
    /// (browsers then bind it to the origin, so a sibling subdomain cannot plant one) is
    /// always `Secure`, since browsers refuse such a cookie without it.
    pub fn secure(mut self, secure: bool) -> ConsoleLogin {
        self.secure = secure;
        self
    }

    /// Logs `user` in as of `now` and commits what the attempt changes (also when it
    /// fails, so failures are counted). The session and its token, or the error to answer.
    pub fn login(
        &self,
        user: &str,
        password: &str,
        mfa_code: Option<&str>,
        now: Timestamp,
    ) -> Result<(ConsoleSession, String), ApiError> {
        let attempt = self
            .authorizer
            .snapshot()
            .directory()
            .login(user, password, mfa_code, now);
        let committed = if attempt.changes.is_empty() {
            Ok(())
        } else {
            (self.commit)(&self.authorizer, &attempt.changes, now)
        };
        let session = match attempt.outcome {
            Ok(session) => session,
            Err(e) => {
                // The user name as typed, the code; never the password or the MFA code.
                tracing::warn!(target: "ram::audit", user, code = %e.code(), "console login refused");
                return Err(login_error(e));
            }
        };
        if let Err((code, reason)) = committed {
            // The consumed MFA step or the session key is not durable: refuse the login
            // rather than hand out a session a replayed code could also obtain.
            tracing::warn!(target: "ram::audit", user, code = %code, reason = %reason, "console login not committed");
            return Err(match code.as_str() {
                // Another login consumed the same code first.
                "CheckAuthenticationCodeFail" => login_error(LoginError::InvalidMfaCode),
                _ => ApiError::new(500, "InternalError", "the login could not be recorded"),
            });
        }
        let token = session
            .to_token(self.authorizer.snapshot().directory())
            .map_err(|e| ApiError::new(500, "InternalError", e.to_string()))?;
        tracing::info!(target: "ram::audit", user, mfa_present = session.mfa_present, "console login");
        Ok((session, token))
    }

    /// The `Set-Cookie` value carrying `token` until the session expires.
    pub fn set_cookie(&self, token: &str, session: &ConsoleSession, now: Timestamp) -> String {
        let max_age = session.expiration.duration_since(now).as_secs().max(0);
        // `__Host-` also demands `Path=/` and no `Domain`, which every cookie here has.
        let secure = self.secure || self.cookie.starts_with("__Host-") || self.cookie.starts_with("__Secure-");
        format!(
            "{}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
            self.cookie,
            if secure { "; Secure" } else { "" }
        )
    }
}

fn login_error(e: LoginError) -> ApiError {
    let status = match &e {
        LoginError::InvalidCredentials | LoginError::MfaCodeRequired | LoginError::InvalidMfaCode => 401,
        LoginError::Locked { .. }
        | LoginError::PasswordExpired { .. }
        | LoginError::PasswordResetRequired { .. }
        | LoginError::MfaBindRequired => 403,
        LoginError::Unavailable => 500,
        _ => 400,
    };
    ApiError::new(status, e.code(), e.to_string())
}

/// The value of cookie `name` in a `Cookie` header value (`a=1; b=2`), if present.
pub fn parse_cookie<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k.trim() == name).then(|| v.trim().trim_matches('"'))
    })
}

#[cfg(feature = "axum")]
pub use self::axum_login::cookie_value;

#[cfg(feature = "axum")]
mod axum_login {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, HeaderValue, header};
    use axum::response::{IntoResponse, Response};
    use axum::routing::{MethodRouter, post};
    use jiff::Timestamp;

    use super::{ConsoleLogin, parse_cookie};
    use crate::api_error::ApiError;
    use crate::authenticator::RequestInfo;
    use crate::axum::JSON_CONTENT_TYPE;
    use crate::encoding::parse_query_bytes;

    /// The value of cookie `name` among the request's `Cookie` headers.
    pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| parse_cookie(v, name).map(str::to_owned))
    }

    impl ConsoleLogin {
        /// A `POST` route taking a form body `UserName`, `Password` and optionally
        /// `AuthenticationCode`; it answers `{"RequestId","UserName","Expiration","MFAPresent"}`
        /// with the session cookie, or the login error (401, 403, 400) as JSON.
        ///
        /// ```
        /// use std::sync::Arc;
        /// use axum::Router;
        /// use ram_core::authorizer::Authorizer;
        /// use ram_core::directory::Directory;
        /// use ram_web::session::ConsoleLogin;
        ///
        /// let auth = Arc::new(Authorizer::new(Directory::new("123456789012")?));
        /// let app: Router = Router::new().route("/login", ConsoleLogin::new(auth).route());
        /// # let _ = app;
        /// # Ok::<(), Box<dyn std::error::Error>>(())
        /// ```
        pub fn route<S: Clone + Send + Sync + 'static>(self) -> MethodRouter<S> {
            post(move |info: Option<RequestInfoExt>, body: Bytes| {
                let login = self.clone();
                async move { login.answer(info.map(|i| i.0), &body) }
            })
        }

        fn answer(&self, info: Option<RequestInfo>, body: &[u8]) -> Response {
            let now = info.as_ref().map_or_else(Timestamp::now, |i| i.received_at);
            let request_id = info.map_or_else(crate::new_request_id, |i| i.request_id);
            let params = parse_query_bytes(body);
            let field = |name: &str| {
                params
                    .iter()
                    .find(|(k, _)| k == name.as_bytes())
                    .and_then(|(_, v)| std::str::from_utf8(v).ok())
            };
            let (Some(user), Some(password)) = (field("UserName"), field("Password")) else {
                return ApiError::new(400, "MissingParameter", "UserName and Password are required")
                    .with_request_id(request_id)
                    .into_response();
            };
            match self.login(user, password, field("AuthenticationCode"), now) {
                Ok((session, token)) => {
                    let body = serde_json::json!({
                        "RequestId": request_id,
                        "UserName": session.user_name,
                        "Expiration": session.expiration.to_string(),
                        "MFAPresent": session.mfa_present,
                    })
                    .to_string();
                    let mut response = ([(header::CONTENT_TYPE, JSON_CONTENT_TYPE)], body).into_response();
                    if let Ok(cookie) = HeaderValue::from_str(&self.set_cookie(&token, &session, now)) {
                        response.headers_mut().insert(header::SET_COOKIE, cookie);
                    }
                    response
                }
                Err(e) => e.with_request_id(request_id).into_response(),
            }
        }
    }

    /// The layer's [`RequestInfo`], optional (the login route works without the layer).
    struct RequestInfoExt(RequestInfo);

    impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for RequestInfoExt {
        type Rejection = std::convert::Infallible;

        async fn from_request_parts(
            parts: &mut axum::http::request::Parts,
            _: &S,
        ) -> Result<Option<Self>, Self::Rejection> {
            Ok(parts.extensions.get::<RequestInfo>().cloned().map(RequestInfoExt))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_cookie;

    #[test]
    fn cookies_parse_leniently() {
        assert_eq!(parse_cookie("ram_console=x", "ram_console"), Some("x"));
        assert_eq!(parse_cookie(" a=1 ;ram_console=\"y\"", "ram_console"), Some("y"));
        assert_eq!(parse_cookie("xram_console=1", "ram_console"), None);
        assert_eq!(parse_cookie("garbage;;=;", "ram_console"), None);
    }
}
