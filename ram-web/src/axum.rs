//! axum integration: a tower layer that authenticates every request, and extractors for
//! its result.
//!
//! [`AuthLayer`] buffers the body (up to a limit) to hash it, resolves the client address
//! and transport, runs the [`Authenticator`] against the authorizer's current snapshot, and
//! puts an [`Authenticated`] and a [`RequestInfo`] into the request extensions; handlers
//! take them as extractors. A failed request never reaches the handler: it is answered
//! with Alibaba Cloud's JSON error body and status.
//!
//! Install the layer on the outermost router (`Router::layer`), not inside a `nest`: nesting
//! rewrites the URI path, and the signature covers the path the client sent. Serve with
//! `into_make_service_with_connect_info::<SocketAddr>()` so the peer address is known.
//!
//! ```
//! use std::sync::Arc;
//! use axum::{Router, routing::post};
//! use ram_core::authorizer::Authorizer;
//! use ram_core::directory::Directory;
//! use ram_web::axum::AuthLayer;
//! use ram_web::{Authenticated, Authenticator, ClientIpConfig, RequestInfo};
//!
//! async fn whoami(who: Authenticated, info: RequestInfo) -> String {
//!     format!("{} from {:?}", who.principal_arn(), info.client_ip)
//! }
//!
//! let authorizer = Arc::new(Authorizer::new(Directory::new("123456789012")?));
//! let app: Router = Router::new().route("/", post(whoami)).layer(
//!     AuthLayer::new(authorizer, Arc::new(Authenticator::new()))
//!         .client_ip(ClientIpConfig::behind_proxies(["10.0.0.0/8".parse()?]))
//!         .host_id("ram.example.internal"),
//! );
//! # let _ = app;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts};
use axum::http::{HeaderValue, Request, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use jiff::Timestamp;
use ram_core::authorizer::Authorizer;
use tower::{Layer, Service};

use crate::api_error::ApiError;
use crate::authenticator::{Authenticated, Authenticator, RequestInfo};
use crate::client_ip::ClientIpConfig;
use crate::context::RamHandle;
use crate::error::{AuthenticationError, new_request_id};
use crate::request::SignedRequest;

/// Default limit on a buffered request body: the RPC APIs carry everything in the query,
/// and the longest documented parameter (a SAML response) is 100,000 characters.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// Where `acs:SecureTransport` comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SecureTransport {
    /// This server speaks plain HTTP and no proxy terminates TLS for it: always `false`.
    #[default]
    Never,
    /// This server terminates TLS itself: always `true`.
    Always,
    /// A trusted proxy (see [`ClientIpConfig::trusted_proxies`]) terminates TLS and says so
    /// in `X-Forwarded-Proto` (right-most value); from anyone else, `false`.
    ForwardedProto,
}

type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

struct Config {
    authorizer: Arc<Authorizer>,
    authenticator: Arc<Authenticator>,
    client_ip: ClientIpConfig,
    transport: SecureTransport,
    host_id: String,
    body_limit: usize,
    allow_anonymous: bool,
    clock: Clock,
    handle: RamHandle,
}

/// The tower layer that authenticates requests (see the [module docs](self)).
#[derive(Clone)]
pub struct AuthLayer {
    config: Arc<Config>,
}

impl std::fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLayer")
            .field("client_ip", &self.config.client_ip)
            .field("transport", &self.config.transport)
            .field("host_id", &self.config.host_id)
            .field("body_limit", &self.config.body_limit)
            .field("allow_anonymous", &self.config.allow_anonymous)
            .finish_non_exhaustive()
    }
}

impl AuthLayer {
    /// Authenticates with `authenticator` against `authorizer`'s current snapshot; peer
    /// address as the client, plain HTTP, `HostId` "ram", 1 MiB bodies, no anonymous calls.
    pub fn new(authorizer: Arc<Authorizer>, authenticator: Arc<Authenticator>) -> AuthLayer {
        AuthLayer {
            config: Arc::new(Config {
                handle: RamHandle::new(authorizer.clone()),
                authorizer,
                authenticator,
                client_ip: ClientIpConfig::direct(),
                transport: SecureTransport::Never,
                host_id: "ram".to_owned(),
                body_limit: DEFAULT_BODY_LIMIT,
                allow_anonymous: false,
                clock: Arc::new(Timestamp::now),
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut Config)) -> AuthLayer {
        match Arc::get_mut(&mut self.config) {
            Some(c) => f(c),
            None => {
                let c = &*self.config;
                let mut copy = Config {
                    authorizer: c.authorizer.clone(),
                    authenticator: c.authenticator.clone(),
                    client_ip: c.client_ip.clone(),
                    transport: c.transport,
                    host_id: c.host_id.clone(),
                    body_limit: c.body_limit,
                    allow_anonymous: c.allow_anonymous,
                    clock: c.clock.clone(),
                    handle: c.handle.clone(),
                };
                f(&mut copy);
                self.config = Arc::new(copy);
            }
        }
        self
    }

    /// How to find `acs:SourceIp`.
    pub fn client_ip(self, config: ClientIpConfig) -> AuthLayer {
        self.edit(|c| c.client_ip = config)
    }

    /// Where `acs:SecureTransport` comes from.
    pub fn secure_transport(self, mode: SecureTransport) -> AuthLayer {
        self.edit(|c| c.transport = mode)
    }

    /// The `HostId` of error bodies (Alibaba Cloud puts the endpoint's host name there).
    pub fn host_id(self, host_id: impl Into<String>) -> AuthLayer {
        let host_id = host_id.into();
        self.edit(|c| c.host_id = host_id)
    }

    /// The largest body buffered for hashing; a larger one is refused with 413.
    pub fn body_limit(self, bytes: usize) -> AuthLayer {
        self.edit(|c| c.body_limit = bytes)
    }

    /// Lets requests that carry no signature at all through without an [`Authenticated`]
    /// (for anonymous actions such as AssumeRoleWithOIDC); a request that is signed but
    /// fails is still refused.
    pub fn allow_anonymous(self, allow: bool) -> AuthLayer {
        self.edit(|c| c.allow_anonymous = allow)
    }

    /// The region `{$region}` stands for in the [`RamContext`](crate::RamContext) of each
    /// request (default [`DEFAULT_REGION`](crate::context::DEFAULT_REGION)).
    pub fn region(self, region: &str) -> AuthLayer {
        self.edit(|c| c.handle = c.handle.clone().region(region))
    }

    /// Accepts console sessions from cookie `name` in [`RamContext`](crate::RamContext) (see
    /// [`session`](crate::session)). An unsigned request reaches handlers only with
    /// [`allow_anonymous`](AuthLayer::allow_anonymous), so turn that on too; the handlers'
    /// `#[require]` then refuses requests that have neither signature nor session (401).
    pub fn console_cookie(self, name: &str) -> AuthLayer {
        self.edit(|c| c.handle = c.handle.clone().console_cookie(name))
    }

    /// Replaces the clock (tests sign requests at fixed instants).
    pub fn clock(self, clock: impl Fn() -> Timestamp + Send + Sync + 'static) -> AuthLayer {
        let clock: Clock = Arc::new(clock);
        self.edit(|c| c.clock = clock)
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> AuthService<S> {
        AuthService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service [`AuthLayer`] wraps around a router or handler.
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for AuthService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S> Service<Request<Body>> for AuthService<S>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The clone that was polled ready is the one to call; leave a fresh clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = self.config.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let info = request_info(&config, &parts);
            let bytes = match Limited::new(body, config.body_limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(e) => {
                    let error = if e.downcast_ref::<LengthLimitError>().is_some() {
                        AuthenticationError::BodyTooLarge {
                            limit: config.body_limit,
                        }
                    } else {
                        AuthenticationError::BodyUnreadable
                    };
                    return Ok(ErrorResponse::new(error, &info).into_response());
                }
            };
            match authenticate(&config, &parts, &bytes, info.received_at) {
                Ok(authenticated) => {
                    if let Some(a) = authenticated {
                        parts.extensions.insert(a);
                    }
                    parts.extensions.insert(config.handle.clone());
                    parts.extensions.insert(info.clone());
                    let mut response = inner.call(Request::from_parts(parts, Body::from(bytes))).await?;
                    // A handler's ApiError was rendered without knowing the request; render it
                    // again with this request's RequestId and HostId (those of the audit log).
                    if let Some(error) = response.extensions_mut().remove::<ApiError>() {
                        let error = match error.request_id() {
                            Some(_) => error,
                            None => error.with_request_id(info.request_id.clone()),
                        };
                        let mut again = error_response(&error, &info.host_id);
                        std::mem::swap(again.headers_mut(), response.headers_mut());
                        *response.body_mut() = std::mem::take(again.body_mut());
                    }
                    Ok(response)
                }
                Err(error) => Ok(ErrorResponse::new(error, &info).into_response()),
            }
        })
    }
}

fn request_info(config: &Config, parts: &Parts) -> RequestInfo {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let client_ip = peer.map(|peer| match &config.client_ip.header {
        Some(name) => config.client_ip.resolve(
            peer,
            parts.headers.get_all(name.as_str()).iter().map(HeaderValue::as_bytes),
        ),
        None => config.client_ip.resolve(peer, []),
    });
    let secure_transport = match config.transport {
        SecureTransport::Never => false,
        SecureTransport::Always => true,
        SecureTransport::ForwardedProto => {
            peer.is_some_and(|p| config.client_ip.is_trusted(p))
                && parts
                    .headers
                    .get_all("x-forwarded-proto")
                    .iter()
                    .next_back()
                    .and_then(|v| v.as_bytes().rsplit(|&b| b == b',').next())
                    .is_some_and(|proto| proto.trim_ascii().eq_ignore_ascii_case(b"https"))
        }
    };
    RequestInfo {
        client_ip,
        secure_transport,
        received_at: (config.clock)(),
        request_id: new_request_id(),
        host_id: config.host_id.clone(),
    }
}

fn authenticate(
    config: &Config,
    parts: &Parts,
    body: &Bytes,
    now: Timestamp,
) -> Result<Option<Authenticated>, AuthenticationError> {
    let mut request = SignedRequest::new(parts.method.as_str(), parts.uri.path(), parts.uri.query().unwrap_or(""));
    for (name, value) in &parts.headers {
        request.push_header(name.as_str(), value.as_bytes());
    }
    // HTTP/2 carries the host in `:authority`, which hyper puts in the URI, not the headers;
    // a client that signed `host` signed that value.
    let authority = parts.uri.authority().map(|a| a.as_str().to_owned());
    if !parts.headers.contains_key(header::HOST)
        && let Some(authority) = &authority
    {
        request.push_header("host", authority.as_bytes());
    }
    let request = request.body(body);
    if config.allow_anonymous && !Authenticator::is_signed(&request) {
        return Ok(None);
    }
    let snapshot = config.authorizer.snapshot();
    config.authenticator.authenticate(&snapshot, &request, now).map(Some)
}

/// An [`AuthenticationError`] ready to send: with the request's `RequestId` and the
/// server's `HostId`.
#[derive(Clone, Debug)]
pub struct ErrorResponse {
    /// What went wrong.
    pub error: AuthenticationError,
    /// The request's id.
    pub request_id: String,
    /// The endpoint's name.
    pub host_id: String,
}

impl ErrorResponse {
    /// The error for the request described by `info`.
    pub fn new(error: AuthenticationError, info: &RequestInfo) -> ErrorResponse {
        ErrorResponse {
            error,
            request_id: info.request_id.clone(),
            host_id: info.host_id.clone(),
        }
    }
}

/// `application/json;charset=utf-8`, the content type the SDKs expect on errors too.
pub const JSON_CONTENT_TYPE: &str = "application/json;charset=utf-8";

impl IntoResponse for ErrorResponse {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.error.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let body = self.error.to_json(&self.request_id, &self.host_id);
        (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE))],
            body,
        )
            .into_response()
    }
}

impl IntoResponse for AuthenticationError {
    /// Without a [`RequestInfo`] at hand: a fresh `RequestId` and `HostId` "ram".
    fn into_response(self) -> Response {
        ErrorResponse {
            error: self,
            request_id: new_request_id(),
            host_id: "ram".to_owned(),
        }
        .into_response()
    }
}

fn missing(parts: &Parts) -> ErrorResponse {
    match parts.extensions.get::<RequestInfo>() {
        // The layer ran and let an unsigned request through (anonymous mode).
        Some(info) => ErrorResponse::new(AuthenticationError::MissingSignature, info),
        None => ErrorResponse {
            error: AuthenticationError::NotAuthenticated,
            request_id: new_request_id(),
            host_id: "ram".to_owned(),
        },
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = ErrorResponse;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Authenticated>()
            .cloned()
            .ok_or_else(|| missing(parts))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Authenticated {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Authenticated>().cloned())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestInfo {
    type Rejection = ErrorResponse;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestInfo>()
            .cloned()
            .ok_or_else(|| ErrorResponse {
                error: AuthenticationError::NotAuthenticated,
                request_id: new_request_id(),
                host_id: "ram".to_owned(),
            })
    }
}

/// `error` as a response with `host_id`, not handed on for another rendering.
fn error_response(error: &ApiError, host_id: &str) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE))],
        error.to_json(host_id),
    )
        .into_response()
}
