//! A small object store (buckets and objects in memory) whose every handler declares the RAM
//! action and resource it needs with `#[require]`.
//!
//! Routes (REST, signed with `ACS3-HMAC-SHA256`; V1 is refused because it does not sign the
//! path a REST resource lives in):
//!
//! | Route | Action | Resource |
//! | --- | --- | --- |
//! | `GET /` | `oss:ListBuckets` | `*` (an account-level action) |
//! | `PUT /{bucket}` | `oss:PutBucket` | `acs:oss:{$region}:{$account}:{bucket}` |
//! | `DELETE /{bucket}` | `oss:DeleteBucket` | `acs:oss:{$region}:{$account}:{bucket}` |
//! | `GET /{bucket}?prefix=p` | `oss:ListObjects` | `acs:oss:{$region}:{$account}:{bucket}/{prefix..}` |
//! | `PUT /{bucket}/{key..}` | `oss:PutObject` | `acs:oss:{$region}:{$account}:{bucket}/{key..}` |
//! | `GET /{bucket}/{key..}` | `oss:GetObject` | `acs:oss:{$region}:{$account}:{bucket}/{key..}` |
//! | `DELETE /{bucket}/{key..}` | `oss:DeleteObject` | `acs:oss:{$region}:{$account}:{bucket}/{key..}` |
//! | `POST /-/sts/{role}?RoleSessionName=s` | `sts:AssumeRole` | `acs:ram::{$account}:role/{role}` |
//! | `POST /-/login` | (console login, form `UserName`, `Password`) | |
//!
//! The directory ([`demo_changes`]): see [`ACCOUNT`] and the constants below.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use ipnet::IpNet;
use parking_lot::RwLock;
use ram_core::authorizer::Authorizer;
use ram_core::directory::{Argon2Params, Change, Directory, DirectoryError, PolicyTarget};
use ram_core::{RequireContext, require};
use ram_sts::{AssumeRoleRequest, ErrorKind, Sts, StsCaller};
use ram_web::axum::{AuthLayer, JSON_CONTENT_TYPE, SecureTransport};
use ram_web::session::{ConsoleLogin, DEFAULT_COOKIE};
use ram_web::{ApiError, Authenticated, Authenticator, ClientIpConfig, Identity, RamContext, SignatureScheme};
use serde_json::json;

/// The demo account.
pub const ACCOUNT: &str = "123456789012";
/// The region `{$region}` stands for.
pub const REGION: &str = "cn-hangzhou";
/// The network `team-a` must call from.
pub const TEAM_A_CIDR: &str = "203.0.113.0/24";

/// A demo access key: (user, AccessKeyId, AccessKeySecret). **Demo values only**: they are
/// public, so the example server must never face a real network with them.
pub type DemoKey = (&'static str, &'static str, &'static str);

/// `admin`: `AdministratorAccess`.
pub const ADMIN_KEY: DemoKey = ("admin", "LTAIdemoAdmin00000000001", "demoAdminSecretNotForProd00000");
/// `reader`: member of group `readers` (read everything, explicitly never the `audit` bucket).
pub const READER_KEY: DemoKey = ("reader", "LTAIdemoReader0000000001", "demoReaderSecretNotForProd0000");
/// `team-a`: `shared/team-a/*` only, over HTTPS from [`TEAM_A_CIDR`].
pub const TEAM_A_KEY: DemoKey = ("team-a", "LTAIdemoTeamA00000000001", "demoTeamaSecretNotForProd00000");
/// `ci`: no object rights of its own; may assume the role `uploader`.
pub const CI_KEY: DemoKey = ("ci", "LTAIdemoCi00000000000001", "demoCiSecretNotForProd00000000");
/// `viewer`: member of `readers`, console only (password [`VIEWER_PASSWORD`]).
pub const VIEWER: &str = "viewer";
/// The console password of [`VIEWER`] (demo only).
pub const VIEWER_PASSWORD: &str = "Demo-viewer-pw-1";
/// The role for temporary write access to the `incoming` bucket.
pub const UPLOADER_ROLE: &str = "uploader";

const READ_ONLY: &str = r#"{"Version":"1","Statement":[
  {"Effect":"Allow","Action":"oss:ListBuckets","Resource":"*"},
  {"Effect":"Allow","Action":["oss:ListObjects","oss:GetObject"],"Resource":"acs:oss:*:123456789012:*"},
  {"Effect":"Deny","Action":"oss:*","Resource":["acs:oss:*:123456789012:audit","acs:oss:*:123456789012:audit/*"]}
]}"#;

const TEAM_A: &str = r#"{"Version":"1","Statement":[
  {"Effect":"Allow","Action":["oss:ListObjects","oss:GetObject","oss:PutObject","oss:DeleteObject"],
   "Resource":"acs:oss:*:123456789012:shared/team-a/*",
   "Condition":{"Bool":{"acs:SecureTransport":"true"},"IpAddress":{"acs:SourceIp":"203.0.113.0/24"}}}
]}"#;

const UPLOAD: &str = r#"{"Version":"1","Statement":[
  {"Effect":"Allow","Action":"oss:PutObject","Resource":"acs:oss:*:123456789012:incoming/*"}
]}"#;

const UPLOADER_TRUST: &str = r#"{"Version":"1","Statement":[
  {"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::123456789012:root"]}}
]}"#;

const ASSUME_UPLOADER: &str = r#"{"Version":"1","Statement":[
  {"Effect":"Allow","Action":"sts:AssumeRole","Resource":"acs:ram::123456789012:role/uploader"}
]}"#;

/// The demo directory as one batch: the same users, groups, policies, role and keys every
/// time (password hashes differ by their random salt).
pub fn demo_changes(directory: &Directory) -> Result<Vec<Change>, DirectoryError> {
    let user = |name: &str| Change::CreateUser {
        name: name.into(),
        display_name: None,
    };
    let policy = |name: &str, document: &str| Change::CreatePolicy {
        name: name.into(),
        document: document.into(),
        description: String::new(),
    };
    let attach = |target: PolicyTarget, name: &str| Change::AttachPolicy {
        target,
        policy_type: None,
        policy: name.into(),
    };
    let key = |(user, id, secret): DemoKey| Change::CreateAccessKey {
        user: user.into(),
        access_key_id: id.into(),
        access_key_secret: secret.into(),
    };
    let mut changes = vec![
        user("admin"),
        user("reader"),
        user("team-a"),
        user("ci"),
        user(VIEWER),
        Change::CreateGroup { name: "readers".into() },
        Change::AddUserToGroup {
            group: "readers".into(),
            user: "reader".into(),
        },
        Change::AddUserToGroup {
            group: "readers".into(),
            user: VIEWER.into(),
        },
        policy("ObjectStoreReadOnly", READ_ONLY),
        policy("TeamAPrefix", TEAM_A),
        policy("IncomingUpload", UPLOAD),
        policy("AssumeUploader", ASSUME_UPLOADER),
        attach(PolicyTarget::User("admin".into()), "AdministratorAccess"),
        attach(PolicyTarget::Group("readers".into()), "ObjectStoreReadOnly"),
        attach(PolicyTarget::User("team-a".into()), "TeamAPrefix"),
        attach(PolicyTarget::User("ci".into()), "AssumeUploader"),
        Change::CreateRole {
            name: UPLOADER_ROLE.into(),
            trust_policy: UPLOADER_TRUST.into(),
            max_session_duration: None,
        },
        attach(PolicyTarget::Role(UPLOADER_ROLE.into()), "IncomingUpload"),
        key(ADMIN_KEY),
        key(READER_KEY),
        key(TEAM_A_KEY),
        key(CI_KEY),
    ];
    // Hashed against the directory's password policy; the demo's fast parameters keep the
    // tests quick (a real deployment uses the default Argon2id cost).
    let hash = directory.hash_new_password(VIEWER, VIEWER_PASSWORD, Argon2Params::INSECURE_FAST)?;
    changes.push(Change::CreateLoginProfile {
        user: VIEWER.into(),
        password_hash: hash,
        password_reset_required: false,
        mfa_bind_required: false,
    });
    Ok(changes)
}

/// An authorizer over the demo directory.
pub fn demo_authorizer() -> Result<Arc<Authorizer>, DirectoryError> {
    let directory = Directory::new(ACCOUNT)?;
    let changes = demo_changes(&directory)?;
    let auth = Authorizer::new(directory);
    auth.apply(&changes)?;
    Ok(Arc::new(auth))
}

/// Buckets of objects, in memory, and the STS that hands out temporary credentials.
#[derive(Debug, Default)]
pub struct ObjectStore {
    buckets: RwLock<BTreeMap<String, BTreeMap<String, Bytes>>>,
    sts: Option<Arc<Sts>>,
}

type Shared = State<Arc<ObjectStore>>;

fn json_ok(ctx: &RamContext, mut body: serde_json::Value) -> Response {
    if let Some(map) = body.as_object_mut() {
        map.insert("RequestId".into(), ctx.request_info().request_id.clone().into());
    }
    ([(header::CONTENT_TYPE, JSON_CONTENT_TYPE)], body.to_string()).into_response()
}

fn no_such_bucket() -> ApiError {
    ApiError::new(404, "NoSuchBucket", "The specified bucket does not exist.")
}

/// `GET /`: the buckets.
// An account-level action: no single resource names "all buckets", so the check is on `*`.
#[require(action = "oss:ListBuckets", resource = "*")]
pub async fn list_buckets(ctx: RamContext, State(store): Shared) -> Result<Response, ApiError> {
    let names: Vec<String> = store.buckets.read().keys().cloned().collect();
    Ok(json_ok(&ctx, json!({ "Buckets": { "Bucket": names } })))
}

/// `PUT /{bucket}`: creates a bucket.
#[require(action = "oss:PutBucket", resource = "acs:oss:{$region}:{$account}:{bucket}")]
pub async fn create_bucket(
    ctx: RamContext,
    State(store): Shared,
    Path(bucket): Path<String>,
) -> Result<Response, ApiError> {
    let valid = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !bucket.starts_with('-');
    if !valid {
        return Err(ApiError::new(
            400,
            "InvalidBucketName",
            "The specified bucket is not valid.",
        ));
    }
    let mut buckets = store.buckets.write();
    if buckets.contains_key(&bucket) {
        return Err(ApiError::new(
            409,
            "BucketAlreadyExists",
            "The requested bucket name is not available.",
        ));
    }
    buckets.insert(bucket.clone(), BTreeMap::new());
    Ok(json_ok(&ctx, json!({ "Bucket": bucket })))
}

/// `DELETE /{bucket}`: deletes an empty bucket.
#[require(action = "oss:DeleteBucket", resource = "acs:oss:{$region}:{$account}:{bucket}")]
pub async fn delete_bucket(
    ctx: RamContext,
    State(store): Shared,
    Path(bucket): Path<String>,
) -> Result<Response, ApiError> {
    let mut buckets = store.buckets.write();
    match buckets.get(&bucket) {
        None => Err(no_such_bucket()),
        Some(objects) if !objects.is_empty() => Err(ApiError::new(409, "BucketNotEmpty", "The bucket is not empty.")),
        Some(_) => {
            buckets.remove(&bucket);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
    }
}

/// The query of `GET /{bucket}`: `prefix`, default empty.
#[derive(Debug, Default)]
pub struct ListQuery {
    /// Keys start with this.
    pub prefix: String,
}

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let params = ram_web::encoding::parse_query(parts.uri.query().unwrap_or(""));
        let prefix = params
            .iter()
            .find(|(k, _)| k == b"prefix")
            .map(|(_, v)| String::from_utf8(v.clone()))
            .transpose()
            .map_err(|_| ApiError::new(400, "InvalidArgument", "prefix is not UTF-8"))?
            .unwrap_or_default();
        Ok(ListQuery { prefix })
    }
}

/// `GET /{bucket}?prefix=p`: the objects whose key starts with `p` (checked on the prefix,
/// so a caller limited to a prefix can list it).
#[require(
    action = "oss:ListObjects",
    resource = "acs:oss:{$region}:{$account}:{bucket}/{prefix..}"
)]
pub async fn list_objects(
    ctx: RamContext,
    State(store): Shared,
    Path(bucket): Path<String>,
    ListQuery { prefix }: ListQuery,
) -> Result<Response, ApiError> {
    let buckets = store.buckets.read();
    let objects = buckets.get(&bucket).ok_or_else(no_such_bucket)?;
    let keys: Vec<serde_json::Value> = objects
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, v)| json!({ "Key": k, "Size": v.len() }))
        .collect();
    Ok(json_ok(
        &ctx,
        json!({ "Name": bucket, "Prefix": prefix, "Contents": keys }),
    ))
}

/// `PUT /{bucket}/{key..}`: stores the body.
#[require(action = "oss:PutObject", resource = "acs:oss:{$region}:{$account}:{bucket}/{key..}")]
pub async fn put_object(
    ctx: RamContext,
    State(store): Shared,
    Path((bucket, key)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let mut buckets = store.buckets.write();
    let objects = buckets.get_mut(&bucket).ok_or_else(no_such_bucket)?;
    let size = body.len();
    objects.insert(key.clone(), body);
    Ok(json_ok(&ctx, json!({ "Key": key, "Size": size })))
}

/// `GET /{bucket}/{key..}`: the object's bytes.
#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:{bucket}/{key..}")]
pub async fn get_object(
    ctx: RamContext,
    State(store): Shared,
    Path((bucket, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let buckets = store.buckets.read();
    let objects = buckets.get(&bucket).ok_or_else(no_such_bucket)?;
    let body = objects
        .get(&key)
        .cloned()
        .ok_or_else(|| ApiError::new(404, "NoSuchKey", "The specified key does not exist."))?;
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    Ok(response)
}

/// `DELETE /{bucket}/{key..}`: removes the object (idempotent, as OSS is).
#[require(
    action = "oss:DeleteObject",
    resource = "acs:oss:{$region}:{$account}:{bucket}/{key..}"
)]
pub async fn delete_object(
    ctx: RamContext,
    State(store): Shared,
    Path((bucket, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let mut buckets = store.buckets.write();
    let objects = buckets.get_mut(&bucket).ok_or_else(no_such_bucket)?;
    objects.remove(&key);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The query of AssumeRole: `RoleSessionName`, optional `DurationSeconds`.
#[derive(Debug)]
pub struct AssumeRoleQuery {
    /// `RoleSessionName`.
    pub session_name: String,
    /// `DurationSeconds`.
    pub duration_seconds: Option<u64>,
}

impl<S: Send + Sync> FromRequestParts<S> for AssumeRoleQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let params = ram_web::encoding::parse_query(parts.uri.query().unwrap_or(""));
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name.as_bytes())
                .and_then(|(_, v)| String::from_utf8(v.clone()).ok())
        };
        let session_name = get("RoleSessionName").ok_or_else(|| {
            ApiError::new(
                400,
                "MissingRoleSessionName",
                "RoleSessionName is mandatory for this action.",
            )
        })?;
        let duration_seconds = match get("DurationSeconds") {
            None => None,
            Some(d) => Some(d.parse().map_err(|_| {
                ApiError::new(
                    400,
                    "InvalidParameter.DurationSeconds",
                    "DurationSeconds is not a number",
                )
            })?),
        };
        Ok(AssumeRoleQuery {
            session_name,
            duration_seconds,
        })
    }
}

/// `POST /-/sts/{role}?RoleSessionName=s`: temporary credentials for a session of `role`
/// (AssumeRole's response). The attribute checks the caller's own permission; STS then
/// checks the role's trust policy too.
#[require(action = "sts:AssumeRole", resource = "acs:ram::{$account}:role/{role}")]
pub async fn assume_role(
    ctx: RamContext,
    State(store): Shared,
    Path(role): Path<String>,
    query: AssumeRoleQuery,
) -> Result<Response, ApiError> {
    let sts = store.sts.as_ref().ok_or_else(|| {
        ApiError::new(
            404,
            "InvalidAction.NotFound",
            "this server issues no temporary credentials",
        )
    })?;
    // Users only: a role session would chain by its token, which the context does not keep.
    let caller = match (ctx.authenticated(), ctx.console_session()) {
        (Some(a), _) => match &a.identity {
            Identity::User { user_name, .. } => StsCaller::User {
                name: user_name,
                access_key_id: Some(&a.access_key_id),
            },
            _ => return Err(ApiError::new(403, "NoPermission", "role chaining is not offered here")),
        },
        (None, Some(s)) => StsCaller::User {
            name: &s.user_name,
            access_key_id: None,
        },
        (None, None) => return Err(ApiError::new(401, "MissingSignature", "sign the request or log in")),
    };
    let arn = format!("acs:ram::{}:role/{role}", ACCOUNT);
    let mut request = AssumeRoleRequest::new(&arn, &query.session_name).context(ctx.request_context().clone());
    if let Some(d) = query.duration_seconds {
        request = request.duration_seconds(d);
    }
    let response = sts.assume_role(&caller, &request, ctx.received_at()).map_err(|e| {
        let status = match e.kind() {
            ErrorKind::Authentication => 400,
            ErrorKind::InvalidParameter => 400,
            ErrorKind::NotFound => 404,
            ErrorKind::Denied => 403,
            _ => 500,
        };
        ApiError::new(status, e.code(), e.to_string())
    })?;
    let body = serde_json::to_value(&response)
        .map_err(|_| ApiError::new(500, "InternalError", "the credentials could not be serialised"))?;
    Ok(json_ok(&ctx, body))
}

/// Refuses V1-signed requests: V1 signs the query only, so a man in the middle could move a
/// V1 request to another object's path.
async fn v3_only(request: Request, next: Next) -> Response {
    let scheme = request.extensions().get::<Authenticated>().map(|a| a.scheme);
    match scheme {
        Some(SignatureScheme::V1 | SignatureScheme::V1QuotePlus) => ApiError::new(
            400,
            "IncompleteSignature",
            "this service signs its paths: use ACS3-HMAC-SHA256",
        )
        .into_response(),
        _ => next.run(request).await,
    }
}

/// How the server sees its network.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Who may set `X-Forwarded-For` and `X-Forwarded-Proto`.
    pub client_ip: ClientIpConfig,
    /// Where `acs:SecureTransport` comes from.
    pub secure_transport: SecureTransport,
    /// Whether the console cookie is `Secure`.
    pub secure_cookie: bool,
    /// The STS behind `POST /-/sts/{role}` (none: that route answers 404). The
    /// authenticator verifies the tokens it issues only when given its verifier too.
    pub sts: Option<Arc<Sts>>,
}

impl Default for ServerConfig {
    /// Behind a TLS-terminating proxy on loopback (which the integration tests play).
    fn default() -> Self {
        ServerConfig {
            client_ip: ClientIpConfig::behind_proxies([
                IpNet::from(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                IpNet::from(IpAddr::V6(Ipv6Addr::LOCALHOST)),
            ]),
            secure_transport: SecureTransport::ForwardedProto,
            secure_cookie: true,
            sts: None,
        }
    }
}

/// The application: routes, the authentication layer (signatures, and console sessions by
/// cookie), the authorizer every `#[require]` checks against.
pub fn app(authorizer: Arc<Authorizer>, authenticator: Arc<Authenticator>, config: ServerConfig) -> Router {
    let login = ConsoleLogin::new(authorizer.clone());
    app_with_login(authorizer, authenticator, config, login)
}

/// [`app`] with a console login of the caller's making (e.g. one that commits through a
/// state file: [`ConsoleLogin::with_store`]).
pub fn app_with_login(
    authorizer: Arc<Authorizer>,
    authenticator: Arc<Authenticator>,
    config: ServerConfig,
    login: ConsoleLogin,
) -> Router {
    let login = login.secure(config.secure_cookie);
    let store = ObjectStore {
        sts: config.sts,
        ..ObjectStore::default()
    };
    Router::new()
        .route("/", get(list_buckets))
        .route("/-/login", login.route())
        .route("/-/sts/{role}", post(assume_role))
        .route("/{bucket}", get(list_objects).put(create_bucket).delete(delete_bucket))
        .route(
            "/{bucket}/{*key}",
            get(get_object).put(put_object).delete(delete_object),
        )
        .with_state(Arc::new(store))
        .layer(from_fn(v3_only))
        .layer(
            AuthLayer::new(authorizer, authenticator)
                .client_ip(config.client_ip)
                .secure_transport(config.secure_transport)
                .region(REGION)
                .host_id("objstore.example")
                // Unsigned requests reach the handlers (login, console cookies); their
                // `#[require]` refuses the ones that carry neither signature nor session.
                .allow_anonymous(true)
                .console_cookie(DEFAULT_COOKIE),
        )
}

/// Serves `app` on `listener` until the future is dropped, with the peer address known.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
}
