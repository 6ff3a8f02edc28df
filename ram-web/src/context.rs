//! [`RamContext`]: what `#[require]` checks a request against, as an axum extractor.
//!
//! A `RamContext` holds the authenticated principal (a signed API caller from
//! `ram_web::axum::AuthLayer`, or a console user from a session cookie), the
//! request's condition keys as the *server* establishes them (`acs:SourceIp`,
//! `acs:SecureTransport`, `acs:CurrentTime`, `acs:MFAPresent`, `acs:AccessId`,
//! `acs:PrincipalARN`), and the authorizer handle. It implements
//! [`RequireContext`], so a handler annotated with `#[require]` takes it as `ctx`.
//!
//! The context is built from scratch for every request: nothing the client sends (a header
//! or parameter named `acs:SourceIp`, an `X-Forwarded-For` from an untrusted peer) can set
//! an `acs:` key.
//!
//! # The authorizer handle
//!
//! In order: a [`RamHandle`] in the request extensions (the layer inserts its own; an
//! `axum::Extension(RamHandle)` inside the router overrides it), else the process-wide
//! default set once with [`set_default_authorizer`]. Without either the extractor answers
//! 500 `InternalError`.
//!
//! # Audit
//!
//! [`RamContext::authorize`] (which every `#[require]` check calls) logs one `tracing` event
//! per decision, target `ram::audit`: request id, principal ARN, access key id, action,
//! resource, decision, deciding statement, source IP. Never a secret, a signature, a token
//! or a cookie.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use jiff::Timestamp;
use ram_core::RequestContext;
use ram_core::authorizer::{Authorizer, Caller};
use ram_core::context::keys;
use ram_core::directory::ConsoleSession;
use ram_core::guard::{Denied, RequireContext, authorize_with};

use crate::authenticator::{Authenticated, RequestInfo};

/// The region `{$region}` stands for unless configured.
pub const DEFAULT_REGION: &str = "cn-hangzhou";

/// The authorizer a [`RamContext`] checks against, the region of `{$region}`, and whether
/// console sessions are accepted by cookie (and under which name).
///
/// ```
/// use std::sync::Arc;
/// use ram_core::authorizer::Authorizer;
/// use ram_core::directory::Directory;
/// use ram_web::RamHandle;
///
/// let handle = RamHandle::new(Arc::new(Authorizer::new(Directory::new("123456789012")?)))
///     .region("cn-shanghai")
///     .console_cookie(ram_web::session::DEFAULT_COOKIE);
/// assert_eq!(handle.region_name(), "cn-shanghai");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RamHandle {
    authorizer: Arc<Authorizer>,
    region: Arc<str>,
    console_cookie: Option<Arc<str>>,
}

impl RamHandle {
    /// Checks against `authorizer`, region [`DEFAULT_REGION`], no console cookies.
    pub fn new(authorizer: Arc<Authorizer>) -> RamHandle {
        RamHandle {
            authorizer,
            region: Arc::from(DEFAULT_REGION),
            console_cookie: None,
        }
    }

    /// The region `{$region}` stands for.
    pub fn region(mut self, region: &str) -> RamHandle {
        self.region = Arc::from(region);
        self
    }

    /// Accepts console sessions (the `RAMCS1.` tokens of a console login) from the cookie
    /// `name` on requests that carry no signature. Off by default: an API that takes cookies
    /// must think about cross-site requests (the login cookie is `SameSite=Strict`).
    pub fn console_cookie(mut self, name: &str) -> RamHandle {
        self.console_cookie = Some(Arc::from(name));
        self
    }

    /// The authorizer.
    pub fn authorizer(&self) -> &Arc<Authorizer> {
        &self.authorizer
    }

    /// The configured region.
    pub fn region_name(&self) -> &str {
        &self.region
    }

    /// The console cookie's name, when console sessions are accepted.
    pub fn console_cookie_name(&self) -> Option<&str> {
        self.console_cookie.as_deref()
    }
}

static DEFAULT: OnceLock<RamHandle> = OnceLock::new();

/// Sets the process-wide default authorizer, used by [`RamContext`] when the request
/// carries no [`RamHandle`]; once per process. A second call changes nothing and returns the
/// handle it was given.
///
/// ```
/// use std::sync::Arc;
/// use ram_core::authorizer::Authorizer;
/// use ram_core::directory::Directory;
///
/// let auth = Arc::new(Authorizer::new(Directory::new("123456789012")?));
/// ram_web::set_default_authorizer(ram_web::RamHandle::new(auth.clone())).unwrap();
/// assert!(ram_web::set_default_authorizer(ram_web::RamHandle::new(auth)).is_err());
/// assert!(ram_web::default_authorizer().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn set_default_authorizer(handle: RamHandle) -> Result<(), RamHandle> {
    DEFAULT.set(handle)
}

/// The process-wide default set by [`set_default_authorizer`], if any.
pub fn default_authorizer() -> Option<&'static RamHandle> {
    DEFAULT.get()
}

/// Who is calling.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Principal {
    /// A request signed with an access key or STS credentials.
    Signed(Authenticated),
    /// A console user, by session cookie.
    Console(ConsoleSession),
}

/// The request context of an authorized handler (see the [module docs](self)).
///
/// ```
/// use std::sync::Arc;
/// use ram_core::authorizer::Authorizer;
/// use ram_core::directory::Directory;
/// use ram_core::RequireContext;
/// use ram_web::{RamContext, RamHandle, RequestInfo};
///
/// let handle = RamHandle::new(Arc::new(Authorizer::new(Directory::new("123456789012")?)));
/// let info = RequestInfo {
///     client_ip: Some("192.0.2.1".parse()?),
///     secure_transport: true,
///     received_at: "2024-01-01T00:00:00Z".parse()?,
///     request_id: ram_web::new_request_id(),
///     host_id: "ram".into(),
/// };
/// let ctx = RamContext::new(handle, info, None);
/// assert_eq!(ctx.request_context().get("acs:SourceIp").unwrap()[0].raw(), "192.0.2.1");
/// // No principal: every check is unauthenticated.
/// assert_eq!(ctx.authorize("oss:GetObject", "*").unwrap_err().status(), 401);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RamContext {
    handle: RamHandle,
    account: String,
    principal: Option<Principal>,
    info: RequestInfo,
    context: RequestContext,
}

impl RamContext {
    /// Builds the context of a request: `info`'s keys, then the principal's
    /// (`acs:AccessId`, `acs:PrincipalARN`, `acs:MFAPresent`).
    pub fn new(handle: RamHandle, info: RequestInfo, principal: Option<Principal>) -> RamContext {
        let account = handle.authorizer.snapshot().directory().account_id().to_owned();
        let mut context = match &principal {
            Some(Principal::Signed(a)) => info.context(Some(a)),
            _ => info.context(None),
        };
        if let Some(Principal::Console(session)) = &principal {
            context.set(
                keys::PRINCIPAL_ARN,
                [format!("acs:ram::{}:user/{}", session.account_id, session.user_name).as_str()],
            );
            session.add_to_context(&mut context);
        }
        RamContext {
            handle,
            account,
            principal,
            info,
            context,
        }
    }

    /// The caller, if the request authenticated.
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    /// The signed caller, if the request was signed.
    pub fn authenticated(&self) -> Option<&Authenticated> {
        match &self.principal {
            Some(Principal::Signed(a)) => Some(a),
            _ => None,
        }
    }

    /// The console session, if the caller came by cookie.
    pub fn console_session(&self) -> Option<&ConsoleSession> {
        match &self.principal {
            Some(Principal::Console(s)) => Some(s),
            _ => None,
        }
    }

    /// The caller's ARN (`acs:PrincipalARN`).
    pub fn principal_arn(&self) -> Option<String> {
        match &self.principal {
            Some(Principal::Signed(a)) => Some(a.principal_arn()),
            Some(Principal::Console(s)) => Some(format!("acs:ram::{}:user/{}", s.account_id, s.user_name)),
            None => None,
        }
    }

    /// `acs:SourceIp`.
    pub fn source_ip(&self) -> Option<IpAddr> {
        self.info.client_ip
    }

    /// `acs:MFAPresent`: only a console login with an MFA code proves it.
    pub fn mfa_present(&self) -> bool {
        self.console_session().is_some_and(|s| s.mfa_present)
    }

    /// The connection facts (`RequestId`, client address, transport, arrival time).
    pub fn request_info(&self) -> &RequestInfo {
        &self.info
    }

    /// The handle the checks use.
    pub fn handle(&self) -> &RamHandle {
        &self.handle
    }

    /// When the request arrived (`acs:CurrentTime`).
    pub fn received_at(&self) -> Timestamp {
        self.info.received_at
    }
}

impl RequireContext for RamContext {
    fn authorizer(&self) -> &Authorizer {
        &self.handle.authorizer
    }

    fn caller(&self) -> Option<Caller<'_>> {
        match &self.principal {
            Some(Principal::Signed(a)) => Some(a.caller()),
            Some(Principal::Console(s)) => Some(s.caller()),
            None => None,
        }
    }

    fn request_context(&self) -> &RequestContext {
        &self.context
    }

    fn region(&self) -> &str {
        &self.handle.region
    }

    fn account(&self) -> &str {
        &self.account
    }

    /// The default decision, plus one audit event.
    fn authorize(&self, action: &str, resource: &str) -> Result<(), Denied> {
        let result = authorize_with(self.authorizer(), self.caller(), &self.context, action, resource);
        audit(self, action, resource, &result);
        result
    }
}

fn audit(ctx: &RamContext, action: &str, resource: &str, result: &Result<(), Denied>) {
    let principal = ctx.principal_arn();
    let principal = principal.as_deref().unwrap_or("anonymous");
    // An AccessKeyId names a key, it is not a credential (the secret never leaves the
    // authenticator), so it may be logged.
    // Absent values (`None`) are left out of the event rather than logged empty.
    let access_key_id = ctx.authenticated().map(|a| a.access_key_id.as_str());
    let source_ip = ctx.info.client_ip.map(|ip| ip.to_string());
    match result {
        Ok(()) => tracing::info!(
            target: "ram::audit",
            request_id = %ctx.info.request_id,
            principal,
            access_key_id,
            action,
            resource,
            decision = "Allow",
            source_ip = source_ip.as_deref(),
            "authorized"
        ),
        Err(denied) => {
            let decision = denied.decision().map_or("Unauthenticated", |d| d.as_str());
            let statement = denied
                .statement()
                .map(|s| format!("{} {} statement {} ({})", s.policy, s.version, s.statement, s.source));
            let reason = denied.auth_error().map(|e| e.code());
            tracing::warn!(
                target: "ram::audit",
                request_id = %ctx.info.request_id,
                principal,
                access_key_id,
                action,
                resource,
                decision,
                statement = statement.as_deref(),
                reason,
                source_ip = source_ip.as_deref(),
                "denied"
            );
        }
    }
}

#[cfg(feature = "axum")]
mod extract {
    use std::net::SocketAddr;

    use axum::extract::{ConnectInfo, FromRequestParts};
    use axum::http::request::Parts;
    use jiff::Timestamp;

    use super::{Principal, RamContext, RamHandle, default_authorizer};
    use crate::api_error::ApiError;
    use crate::authenticator::{Authenticated, RequestInfo};
    use crate::client_ip::canonical;
    use crate::error::new_request_id;
    use crate::session::cookie_value;

    impl<S: Send + Sync> FromRequestParts<S> for RamContext {
        type Rejection = ApiError;

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
            let handle = match parts.extensions.get::<RamHandle>() {
                Some(h) => h.clone(),
                None => default_authorizer().cloned().ok_or_else(|| {
                    ApiError::new(
                        500,
                        "InternalError",
                        "no authorizer: install AuthLayer or call ram_web::set_default_authorizer",
                    )
                })?,
            };
            let info = match parts.extensions.get::<RequestInfo>() {
                Some(info) => info.clone(),
                // Without the layer: the peer is the client (no proxy is trusted) and the
                // transport is not known to be secure.
                None => RequestInfo {
                    client_ip: parts
                        .extensions
                        .get::<ConnectInfo<SocketAddr>>()
                        .map(|c| canonical(c.0.ip())),
                    secure_transport: false,
                    received_at: Timestamp::now(),
                    request_id: new_request_id(),
                    host_id: "ram".to_owned(),
                },
            };
            let principal = if let Some(a) = parts.extensions.get::<Authenticated>() {
                Some(Principal::Signed(a.clone()))
            } else if let Some(token) = handle
                .console_cookie_name()
                .and_then(|name| cookie_value(&parts.headers, name))
            {
                // A presented cookie that does not verify is refused rather than ignored:
                // the browser should log in again, not be served as anonymous.
                let session = handle
                    .authorizer()
                    .snapshot()
                    .directory()
                    .verify_console_session(&token, info.received_at)
                    .map_err(|e| ApiError::from(e).with_request_id(info.request_id.clone()))?;
                Some(Principal::Console(session))
            } else {
                None
            };
            Ok(RamContext::new(handle, info, principal))
        }
    }
}
