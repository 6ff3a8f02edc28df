//! `ram-server`: the local RAM and STS endpoint behind `ram serve`.
//!
//! One HTTP endpoint (`/`, any method) that answers Alibaba Cloud's RPC-style OpenAPI as the
//! official SDKs call it: requests are authenticated by [`ram_web`] (V3 `ACS3-HMAC-SHA256`
//! and V1 HMAC-SHA1, replay window, nonces, STS tokens), dispatched on the *signed*
//! `(Version, Action)`, authorized by the engine through `#[require]` on each handler, and
//! every change is committed through the [`FileStore`] (persisted before the response).
//!
//! - RAM `2015-05-01`: users, login profiles, access keys, groups and membership, roles,
//!   policies and versions, attachments and their List* calls, password policy, security
//!   preference, virtual MFA devices ([`ram::ACTIONS`]).
//! - STS `2015-04-01`: AssumeRole (through [`ram_sts`]; its signing keys live in the state
//!   file's `StsKeys` section, created on first start) and GetCallerIdentity (no permission
//!   needed). Requests signed with the temporary credentials are accepted: the token is
//!   verified before the signature (`ram_sts::Verifier` as ram-web's `TokenVerifier`).
//! - Anything else: `InvalidApi.NotFound` (404).
//!
//! Errors are `{"RequestId","HostId","Code","Message"}` with the documented status;
//! `NoPermission` (403) adds `AccessDeniedDetail`. The [`Enforcement`] mode decides what a
//! denial does: `strict` refuses, `audit` logs it (tracing, target `ram_server::audit`)
//! and allows, `off` does not evaluate.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use ram_core::store::FileStore;
//! use ram_server::{Config, Server};
//!
//! let store = FileStore::open("ram.json")?; // the lock is held while the server runs
//! let server = Server::bind("127.0.0.1:0".parse()?, store, Config::default()).await?;
//! println!("listening on {}", server.local_addr());
//! server.run().await?;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod params;
pub mod ram;
pub mod sts;
mod views;

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use jiff::{SignedDuration, Timestamp};
use parking_lot::Mutex;
use ram_core::RequestContext;
use ram_core::authorizer::{Authorizer, Caller};
use ram_core::directory::{Change, Dirty};
use ram_core::guard::{Denied, RequireContext, authorize_with};
use ram_core::store::{FileStore, Store, StoreError};
use ram_web::axum::{AuthLayer, JSON_CONTENT_TYPE};
use ram_web::{Authenticated, Authenticator, Identity, RequestInfo, SignatureScheme};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::params::Params;

/// RAM's API version.
pub const RAM_VERSION: &str = "2015-05-01";
/// STS's API version.
pub const STS_VERSION: &str = "2015-04-01";

/// What a denial does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Enforcement {
    /// Refuse with `NoPermission` (the default).
    #[default]
    Strict,
    /// Decide, log the would-be denial, allow (for migrating to least privilege).
    Audit,
    /// Do not evaluate: every authenticated call is allowed.
    Off,
}

impl FromStr for Enforcement {
    type Err = String;

    fn from_str(s: &str) -> Result<Enforcement, String> {
        match s {
            "strict" => Ok(Enforcement::Strict),
            "audit" => Ok(Enforcement::Audit),
            "off" => Ok(Enforcement::Off),
            _ => Err(format!("unknown enforcement mode {s:?}: use strict, audit or off")),
        }
    }
}

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// What a denial does.
    pub enforcement: Enforcement,
    /// `HostId` of error bodies.
    pub host_id: String,
    /// Added to the system clock for everything the server does (signature window, token
    /// expiry, dates): `ram --now` sets it, so tests can run the server in the past or future.
    pub clock_offset: SignedDuration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            enforcement: Enforcement::Strict,
            host_id: "ram.aliyuncs.com".to_owned(),
            clock_offset: SignedDuration::ZERO,
        }
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The state file could not be loaded.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The address could not be bound, or serving failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The STS signing keys could not be read or created.
    #[error("the STS signing keys: {0}")]
    StsKeys(String),
}

/// The shared state of the handlers: the authorizer all checks read, and the store every
/// change is committed through.
pub struct App {
    authorizer: Arc<Authorizer>,
    store: Mutex<FileStore>,
    enforcement: Enforcement,
    sts: Arc<ram_sts::Sts>,
    tokens: Arc<ram_sts::Verifier>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("enforcement", &self.enforcement)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Loads the state `store` holds (the store keeps its lock for the app's lifetime), and
    /// the STS signing keys from its `StsKeys` section (shared with `ram sts`), creating and
    /// persisting an Ed25519 key, as `ram sts assume-role` does, when none is active.
    pub fn load(mut store: FileStore, enforcement: Enforcement, now: Timestamp) -> Result<App, ServeError> {
        let state = store.load()?;
        let keys = match state.section::<ram_sts::KeyRing>() {
            Ok(Some(keys)) if keys.active().is_some() => keys,
            Ok(existing) => {
                // Keep retired and older keys: tokens they signed still verify.
                let mut keys = existing.unwrap_or_default();
                keys.rotate(ram_sts::Algorithm::Ed25519, now)
                    .map_err(|e| ServeError::StsKeys(e.to_string()))?;
                let json = serde_json::to_value(&keys).map_err(|e| ServeError::StsKeys(e.to_string()))?;
                store.put_section(<ram_sts::KeyRing as ram_core::store::Section>::NAME, Some(json))?;
                keys
            }
            Err(e) => return Err(ServeError::StsKeys(format!("the StsKeys section does not read: {e}"))),
        };
        let authorizer = Arc::new(Authorizer::new(state.directory));
        let tokens = Arc::new(ram_sts::Verifier::new(keys.clone()));
        let sts = Arc::new(ram_sts::Sts::new(authorizer.clone(), keys));
        Ok(App {
            authorizer,
            store: Mutex::new(store),
            enforcement,
            sts,
            tokens,
        })
    }

    /// The STS service.
    pub fn sts(&self) -> &Arc<ram_sts::Sts> {
        &self.sts
    }

    /// The authorizer (its snapshot is the directory the server serves).
    pub fn authorizer(&self) -> &Arc<Authorizer> {
        &self.authorizer
    }

    /// Applies and persists a batch at `now`; published only once durable.
    pub(crate) fn commit(&self, changes: &[Change], now: Timestamp) -> Result<Dirty, ApiError> {
        let mut store = self.store.lock();
        store.commit(&self.authorizer, changes, now).map_err(ApiError::from)
    }
}

/// The axum router serving `app`: one endpoint, with the authentication layer outermost
/// (STS tokens accepted), its clock the system clock plus `clock_offset`.
pub fn router(app: Arc<App>, host_id: &str, clock_offset: SignedDuration) -> Router {
    let authn = Arc::new(Authenticator::new().with_token_verifier(app.tokens.clone()));
    let clock = move || {
        Timestamp::now()
            .checked_add(clock_offset)
            .unwrap_or_else(|_| Timestamp::now())
    };
    Router::new().route("/", any(endpoint)).with_state(app.clone()).layer(
        AuthLayer::new(app.authorizer.clone(), authn)
            .host_id(host_id)
            .clock(clock),
    )
}

/// A bound server, not yet serving.
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.listener.local_addr().ok())
            .finish()
    }
}

impl Server {
    /// Loads the state and binds `addr` (port 0: any free port, see [`Server::local_addr`]).
    pub async fn bind(addr: SocketAddr, store: FileStore, config: Config) -> Result<Server, ServeError> {
        let now = Timestamp::now()
            .checked_add(config.clock_offset)
            .unwrap_or_else(|_| Timestamp::now());
        let app = Arc::new(App::load(store, config.enforcement, now)?);
        let listener = tokio::net::TcpListener::bind(addr).await?;
        Ok(Server {
            listener,
            router: router(app, &config.host_id, config.clock_offset),
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        // A bound listener knows its address; the fallback is never used in practice.
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until the process ends.
    pub async fn run(self) -> Result<(), ServeError> {
        axum::serve(
            self.listener,
            self.router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await?;
        Ok(())
    }
}

/// What a handler sees: the app, the caller, the request and its parameters.
pub struct Ctx<'a> {
    app: &'a App,
    who: &'a Authenticated,
    info: &'a RequestInfo,
    params: &'a Params,
    context: RequestContext,
    account: String,
    security_token: Option<&'a str>,
}

impl<'a> Ctx<'a> {
    /// The call's parameters.
    pub fn params(&self) -> &Params {
        self.params
    }

    /// The caller.
    pub fn who(&self) -> &Authenticated {
        self.who
    }

    /// The time the request arrived (changes are applied as of it).
    pub fn now(&self) -> Timestamp {
        self.info.received_at
    }

    /// The STS token the request was signed with, if any (`x-acs-security-token` in V3,
    /// `SecurityToken` in V1; the authentication layer verified it).
    pub fn security_token(&self) -> Option<&str> {
        self.security_token
    }

    /// The request's condition keys.
    pub fn context(&self) -> &RequestContext {
        &self.context
    }

    /// The app.
    pub(crate) fn app(&self) -> &App {
        self.app
    }

    /// The caller's user name, if the caller is a RAM user.
    pub fn caller_user(&self) -> Option<&str> {
        match &self.who.identity {
            Identity::User { user_name, .. } => Some(user_name),
            _ => None,
        }
    }

    pub(crate) fn principal(&self) -> error::Principal {
        match &self.who.identity {
            Identity::User { user_name, .. } => error::Principal {
                kind: "SubUser",
                owner_id: self.account.clone(),
                display_name: user_name.clone(),
            },
            Identity::RoleSession {
                role_name,
                session_name,
                ..
            } => error::Principal {
                kind: "AssumedRoleUser",
                owner_id: self.account.clone(),
                display_name: format!("{role_name}/{session_name}"),
            },
            _ => error::Principal {
                kind: "Unknown",
                owner_id: self.account.clone(),
                display_name: String::new(),
            },
        }
    }
}

impl RequireContext for Ctx<'_> {
    fn authorizer(&self) -> &Authorizer {
        &self.app.authorizer
    }

    fn caller(&self) -> Option<Caller<'_>> {
        Some(self.who.caller())
    }

    fn request_context(&self) -> &RequestContext {
        &self.context
    }

    fn region(&self) -> &str {
        // Never used in templates: RAM ARNs are written by `RamArn` with a literal `*`.
        "*"
    }

    fn account(&self) -> &str {
        &self.account
    }

    /// Every `#[require]` check ends here: the enforcement mode decides what a denial does.
    fn authorize(&self, action: &str, resource: &str) -> Result<(), Denied> {
        match self.app.enforcement {
            Enforcement::Off => Ok(()),
            Enforcement::Strict => authorize_with(
                self.authorizer(),
                self.caller(),
                self.request_context(),
                action,
                resource,
            ),
            Enforcement::Audit => {
                match authorize_with(
                    self.authorizer(),
                    self.caller(),
                    self.request_context(),
                    action,
                    resource,
                ) {
                    // An unauthenticated caller is refused even in audit mode: audit is
                    // about permissions, not identities.
                    Err(d) if !d.is_unauthenticated() => {
                        tracing::warn!(
                            target: "ram_server::audit",
                            principal = %self.who.principal_arn(),
                            action,
                            resource,
                            decision = ?d.decision(),
                            request_id = %self.info.request_id,
                            "would deny (enforcement=audit): allowed"
                        );
                        Ok(())
                    }
                    other => other,
                }
            }
        }
    }
}

/// A RAM resource ARN as RAM's authorization tables write it: `acs:ram:*:<account>:<kind>/<name>`
/// (`acs:ram:*:system:policy/<name>` for system policies). The name is escaped like a
/// `#[require]` placeholder, so a parameter cannot change the ARN's shape; `name = None`
/// writes `*` (List* calls act on every entity of the kind).
#[derive(Clone, Copy, Debug)]
pub struct RamArn<'a> {
    account: &'a str,
    kind: &'a str,
    name: Option<&'a str>,
}

impl<'a> RamArn<'a> {
    /// `acs:ram:*:<account>:<kind>/<name>`.
    pub fn new(account: &'a str, kind: &'a str, name: &'a str) -> RamArn<'a> {
        RamArn {
            account,
            kind,
            name: Some(name),
        }
    }

    /// `acs:ram:*:<account>:<kind>/*`.
    pub fn all(account: &'a str, kind: &'a str) -> RamArn<'a> {
        RamArn {
            account,
            kind,
            name: None,
        }
    }
}

impl ram_core::Resource for RamArn<'_> {
    fn write_arn(&self, out: &mut String) {
        out.push_str("acs:ram:*:");
        out.push_str(self.account);
        out.push(':');
        out.push_str(self.kind);
        out.push('/');
        match self.name {
            Some(name) => ram_core::guard::push_segment(out, name),
            None => out.push('*'),
        }
    }
}

async fn endpoint(
    State(app): State<Arc<App>>,
    who: Authenticated,
    info: RequestInfo,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let params = Params::parse(uri.query().unwrap_or(""), is_form.then_some(&body[..]));
    let token = match who.scheme {
        SignatureScheme::V3 => headers
            .get("x-acs-security-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        _ => params.get("SecurityToken").map(str::to_owned),
    };
    let request_id = info.request_id.clone();
    let host_id = info.host_id.clone();
    // Commits fsync and password hashing is deliberately slow: off the async workers.
    let result = tokio::task::spawn_blocking(move || dispatch(&app, &who, &info, &params, token.as_deref())).await;
    let result = match result {
        Ok(r) => r,
        Err(_) => Err(ApiError::internal("the request handler failed")),
    };
    render(result, &request_id, &host_id)
}

/// Runs one authenticated call.
fn dispatch(
    app: &App,
    who: &Authenticated,
    info: &RequestInfo,
    params: &Params,
    security_token: Option<&str>,
) -> Result<Map<String, Value>, ApiError> {
    let action = who.action.as_deref().unwrap_or("");
    let version = who.version.as_deref().unwrap_or("");
    record_key_use(app, who, info.received_at);
    let ctx = Ctx {
        app,
        who,
        info,
        params,
        context: info.context(Some(who)),
        account: who.account_id.clone(),
        security_token,
    };
    let result = match version {
        RAM_VERSION => ram::dispatch(&ctx, action),
        STS_VERSION => sts::dispatch(&ctx, action),
        _ => None,
    };
    let result = result.unwrap_or_else(|| Err(ApiError::not_found_api(action, version)));
    result.inspect_err(|e| {
        if e.status >= 500 {
            tracing::error!(target: "ram_server", action, code = %e.code, message = %e.message, request_id = %info.request_id, "request failed");
        }
    })
}

/// How stale a key's `AccessKeyLastUsed` may get before a request records it again: each
/// record is a durable write, so a busy key is written at most once a minute.
const KEY_USE_GRANULARITY: SignedDuration = SignedDuration::from_secs(60);

/// Records that a user's access key signed a request (for GetAccessKeyLastUsed), at most
/// once per [`KEY_USE_GRANULARITY`]. A failure to record never fails the request.
fn record_key_use(app: &App, who: &Authenticated, now: Timestamp) {
    let Identity::User { user_name, .. } = &who.identity else {
        return;
    };
    let snapshot = app.authorizer.snapshot();
    let stale = snapshot
        .directory()
        .access_key(&who.access_key_id)
        .is_some_and(|(_, key)| {
            key.last_used_date
                .is_none_or(|last| last.checked_add(KEY_USE_GRANULARITY).is_ok_and(|next| next <= now))
        });
    if !stale {
        return;
    }
    let change = Change::RecordAccessKeyUse {
        user: user_name.clone(),
        access_key_id: who.access_key_id.clone(),
    };
    if let Err(e) = app.commit(&[change], now) {
        tracing::warn!(target: "ram_server", code = %e.code, "could not record the access key's use");
    }
}

/// Handlers return a `Result<Map, HandlerError>`: an API error, or a `Denied` from
/// `#[require]` (turned into `NoPermission` with the caller's details by [`HandlerError::resolve`]).
/// Boxed: the success path should not carry the size of the error.
#[derive(Debug)]
pub(crate) enum HandlerError {
    Api(Box<ApiError>),
    Denied(Box<Denied>),
}

impl From<Denied> for HandlerError {
    fn from(d: Denied) -> HandlerError {
        HandlerError::Denied(Box::new(d))
    }
}

impl From<ApiError> for HandlerError {
    fn from(e: ApiError) -> HandlerError {
        HandlerError::Api(Box::new(e))
    }
}

impl From<ram_core::directory::DirectoryError> for HandlerError {
    fn from(e: ram_core::directory::DirectoryError) -> HandlerError {
        HandlerError::Api(Box::new(e.into()))
    }
}

impl HandlerError {
    pub(crate) fn resolve(self, ctx: &Ctx<'_>) -> ApiError {
        match self {
            HandlerError::Denied(d) => error::denied(&d, &ctx.principal()),
            HandlerError::Api(e) => *e,
        }
    }
}

fn render(result: Result<Map<String, Value>, ApiError>, request_id: &str, host_id: &str) -> Response {
    let json = HeaderValue::from_static(JSON_CONTENT_TYPE);
    match result {
        Ok(mut body) => {
            body.insert("RequestId".into(), Value::String(request_id.to_owned()));
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, json)],
                Value::Object(body).to_string(),
            )
                .into_response()
        }
        Err(e) => {
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
            (status, [(header::CONTENT_TYPE, json)], e.body(request_id, host_id)).into_response()
        }
    }
}
