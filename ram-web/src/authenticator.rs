//! From a signed request to an authenticated caller.

use std::net::IpAddr;
use std::sync::Arc;

use jiff::Timestamp;
use ram_core::authorizer::{Caller, Principal, Snapshot};
use ram_core::context::keys;
use ram_core::directory::AccessKeyStatus;
use ram_core::{PolicySet, RequestContext};

use crate::encoding::Param;
use crate::error::AuthenticationError as E;
use crate::replay::ReplayGuard;
use crate::request::SignedRequest;
use crate::signature::{Secret, v1, v3};
use crate::token::TokenVerifier;

/// Headers that change what a V3 request means; present but unsigned, a man in the middle
/// could rewrite them (call another action, or move the date to defeat the replay window),
/// so each one present must be listed in SignedHeaders.
const MUST_SIGN: [&str; 7] = [
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
    "x-acs-security-token",
    "x-acs-accesskey-id",
];

/// Which signature a request carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureScheme {
    /// `ACS3-HMAC-SHA256` in the `Authorization` header.
    V3,
    /// V1 HMAC-SHA1 over the RFC 3986 canonical query.
    V1,
    /// V1 HMAC-SHA1 over the `quote_plus` canonical query (the credentials library).
    V1QuotePlus,
}

/// Who signed the request.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Identity {
    /// A RAM user, by one of its access keys.
    User {
        /// `UserName`.
        user_name: String,
        /// `UserId`.
        user_id: String,
    },
    /// A role session, by the temporary credentials of an STS token.
    RoleSession {
        /// The assumed role.
        role_name: String,
        /// Its id.
        role_id: String,
        /// `RoleSessionName`.
        session_name: String,
        /// The session policy, compiled.
        session_policy: Option<Arc<PolicySet>>,
        /// When the credentials expire.
        expiration: Timestamp,
        /// `SourceIdentity`, if any.
        source_identity: Option<String>,
    },
}

/// A request whose signature, key, token, timestamp and nonce all checked out.
///
/// Owned (no borrow of the snapshot), so it can travel in request extensions; turn it into
/// the engine's [`Caller`] with [`Authenticated::caller`] for each check.
#[derive(Clone, Debug)]
pub struct Authenticated {
    /// Who signed.
    pub identity: Identity,
    /// The AccessKeyId that signed (`acs:AccessId`).
    pub access_key_id: String,
    /// The account the directory belongs to.
    pub account_id: String,
    /// Which signature was used.
    pub scheme: SignatureScheme,
    /// `x-acs-action` (V3) or `Action` (V1), if given. Always a *signed* value: dispatch
    /// on this, not on the raw headers (tea-openapi's V1 requests also carry
    /// `x-acs-action`, unsigned, so a man in the middle could change it).
    pub action: Option<String>,
    /// `x-acs-version` (V3) or `Version` (V1), if given; signed, like `action`.
    pub version: Option<String>,
    /// The request's signing time.
    pub signed_at: Timestamp,
}

impl Authenticated {
    /// The caller to decide requests for.
    ///
    /// A user is passed *with* its access key, so [`Snapshot::check`] re-checks that the key
    /// still exists, is active and is the user's: revoking a key takes effect even for a
    /// request authenticated a moment before.
    pub fn caller(&self) -> Caller<'_> {
        match &self.identity {
            Identity::User { user_name, .. } => Caller::user_with_key(user_name, &self.access_key_id),
            Identity::RoleSession {
                role_name,
                session_policy,
                ..
            } => Caller {
                principal: Principal::RoleSession {
                    role: role_name,
                    session_policy: session_policy.as_deref(),
                },
                access_key_id: Some(&self.access_key_id),
            },
        }
    }

    /// The caller's ARN as `acs:PrincipalARN` and GetCallerIdentity show it:
    /// `acs:ram::<account>:user/<name>` or `acs:ram::<account>:assumed-role/<role>/<session>`.
    pub fn principal_arn(&self) -> String {
        match &self.identity {
            Identity::User { user_name, .. } => format!("acs:ram::{}:user/{user_name}", self.account_id),
            Identity::RoleSession {
                role_name,
                session_name,
                ..
            } => format!("acs:ram::{}:assumed-role/{role_name}/{session_name}", self.account_id),
        }
    }

    /// Sets the keys this authentication establishes in `ctx`, replacing any value already
    /// there: `acs:AccessId`, `acs:PrincipalARN`, and `acs:MFAPresent` = false (a signed API
    /// call proves no MFA).
    pub fn add_to_context(&self, ctx: &mut RequestContext) {
        ctx.set(keys::ACCESS_ID, [self.access_key_id.as_str()]);
        ctx.set(keys::PRINCIPAL_ARN, [self.principal_arn().as_str()]);
        ctx.set(keys::MFA_PRESENT, ["false"]);
    }
}

/// Facts about the connection the server establishes itself (never from the client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestInfo {
    /// `acs:SourceIp`, resolved by [`ClientIpConfig`](crate::ClientIpConfig); `None` when the
    /// server did not record the peer address.
    pub client_ip: Option<IpAddr>,
    /// `acs:SecureTransport`: the request came over TLS (to us, or to a trusted proxy).
    pub secure_transport: bool,
    /// `acs:CurrentTime`: when the request arrived.
    pub received_at: Timestamp,
    /// The `RequestId` of this request's response.
    pub request_id: String,
    /// The endpoint's name for error bodies' `HostId`.
    pub host_id: String,
}

impl RequestInfo {
    /// A fresh context holding the server-side keys of this request and, when it was
    /// signed, those of its caller: the base every `RequestContext` of a handler should start
    /// from, so that no `acs:` key a client sent can stand.
    ///
    /// ```
    /// use ram_web::RequestInfo;
    ///
    /// let info = RequestInfo {
    ///     client_ip: Some("192.0.2.1".parse().unwrap()),
    ///     secure_transport: false,
    ///     received_at: "2024-01-01T00:00:00Z".parse().unwrap(),
    ///     request_id: ram_web::new_request_id(),
    ///     host_id: "ram".into(),
    /// };
    /// let ctx = info.context(None);
    /// assert_eq!(ctx.get("acs:SourceIp").unwrap()[0].raw(), "192.0.2.1");
    /// assert_eq!(ctx.get("acs:SecureTransport").unwrap()[0].boolean(), Some(false));
    /// ```
    pub fn context(&self, caller: Option<&Authenticated>) -> RequestContext {
        let mut b = RequestContext::builder()
            .current_time(self.received_at)
            .secure_transport(self.secure_transport);
        if let Some(ip) = self.client_ip {
            b = b.source_ip(ip);
        }
        if let Some(who) = caller {
            b = b
                .access_id(&who.access_key_id)
                .principal_arn(&who.principal_arn())
                .mfa_present(false);
        }
        b.build()
    }

    /// Sets `acs:CurrentTime`, `acs:SecureTransport` and (when known) `acs:SourceIp` in
    /// `ctx`, replacing any value already there.
    pub fn add_to_context(&self, ctx: &mut RequestContext) {
        ctx.set(keys::CURRENT_TIME, [self.received_at.to_string().as_str()]);
        ctx.set(
            keys::SECURE_TRANSPORT,
            [if self.secure_transport { "true" } else { "false" }],
        );
        if let Some(ip) = self.client_ip {
            ctx.set(keys::SOURCE_IP, [ip.to_string().as_str()]);
        }
    }
}

/// Authenticates signed requests: finds the key (or verifies the STS token), checks the
/// signature, the timestamp window and the nonce. One per server, shared by all requests.
///
/// ```
/// use jiff::Timestamp;
/// use ram_core::authorizer::Authorizer;
/// use ram_core::directory::{Change, Directory};
/// use ram_web::signature::v1;
/// use ram_web::{Authenticator, AuthenticationError, SignedRequest};
///
/// let auth = Authorizer::new(Directory::new("123456789012")?);
/// auth.apply(&[Change::CreateUser { name: "alice".into(), display_name: None }])?;
/// auth.apply(&[Change::create_access_key("alice")?])?;
/// let snapshot = auth.snapshot();
/// let key = &snapshot.directory().user("alice").unwrap().access_keys[0];
///
/// // A V1 request signed with alice's key.
/// let query = format!(
///     "Action=GetCallerIdentity&Version=2015-04-01&Format=JSON&AccessKeyId={}&SignatureMethod=HMAC-SHA1\
///      &SignatureVersion=1.0&SignatureNonce=n1&Timestamp=2024-01-01T00%3A00%3A00Z",
///     key.access_key_id
/// );
/// let params = ram_web::encoding::parse_query(&query);
/// let sts = v1::string_to_sign("GET", &v1::canonicalized_query(&params, v1::QueryEncoding::Rfc3986));
/// let sig = ram_web::encoding::percent_encode(v1::sign_base64(key.access_key_secret.as_bytes(), &sts).as_bytes());
/// let query = format!("{query}&Signature={sig}");
///
/// let authn = Authenticator::new();
/// let now: Timestamp = "2024-01-01T00:01:00Z".parse()?;
/// let who = authn.authenticate(&snapshot, &SignedRequest::new("GET", "/", &query), now)?;
/// assert_eq!(who.principal_arn(), "acs:ram::123456789012:user/alice");
/// assert_eq!(who.action.as_deref(), Some("GetCallerIdentity"));
///
/// // The same request again is a replay.
/// let again = authn.authenticate(&snapshot, &SignedRequest::new("GET", "/", &query), now);
/// assert_eq!(again.unwrap_err().code(), "SignatureNonceUsed");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Authenticator {
    replay: ReplayGuard,
    token_verifier: Option<Arc<dyn TokenVerifier>>,
    require_nonce: bool,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("replay", &self.replay)
            .field("token_verifier", &self.token_verifier.is_some())
            .field("require_nonce", &self.require_nonce)
            .finish()
    }
}

impl Default for Authenticator {
    fn default() -> Self {
        Authenticator::new()
    }
}

impl Authenticator {
    /// A 15-minute window, nonces required, no STS tokens accepted.
    pub fn new() -> Authenticator {
        Authenticator {
            replay: ReplayGuard::new(),
            token_verifier: None,
            require_nonce: true,
        }
    }

    /// Uses `replay` for the timestamp window and the nonce cache.
    pub fn with_replay_guard(mut self, replay: ReplayGuard) -> Authenticator {
        self.replay = replay;
        self
    }

    /// Accepts STS tokens, verified by `verifier`.
    pub fn with_token_verifier(mut self, verifier: Arc<dyn TokenVerifier>) -> Authenticator {
        self.token_verifier = Some(verifier);
        self
    }

    /// Whether a request without a nonce is refused (default `true`: every SDK sends one,
    /// and without it only the timestamp window limits replays).
    pub fn require_nonce(mut self, required: bool) -> Authenticator {
        self.require_nonce = required;
        self
    }

    /// The replay guard.
    pub fn replay_guard(&self) -> &ReplayGuard {
        &self.replay
    }

    /// Whether the request carries any credentials at all (an `Authorization` header or a
    /// `Signature` parameter); a server that serves anonymous actions (AssumeRoleWithOIDC)
    /// lets the others through unauthenticated.
    pub fn is_signed(request: &SignedRequest<'_>) -> bool {
        request.has_header("authorization") || request.params().iter().any(|(k, _)| k == b"Signature")
    }

    /// Authenticates `request` against `snapshot` as of `now`.
    ///
    /// Order: parse the credentials, check the timestamp window, verify the STS token if
    /// any (it yields the secret), else look the key up, verify the signature, and only then
    /// record the nonce (so an unsigned request cannot burn a nonce).
    pub fn authenticate(
        &self,
        snapshot: &Snapshot,
        request: &SignedRequest<'_>,
        now: Timestamp,
    ) -> Result<Authenticated, E> {
        let result = if let Some(value) = request.header_value("authorization") {
            let value = std::str::from_utf8(value).map_err(|_| E::NotUtf8("Authorization header"))?;
            self.authenticate_v3(snapshot, request, value, now)
        } else {
            let params = request.params();
            if params.iter().any(|(k, _)| k == b"Signature") {
                self.authenticate_v1(snapshot, request, &params, now)
            } else {
                Err(E::MissingSignature)
            }
        };
        if let Err(e) = &result {
            tracing::debug!(code = e.code(), reason = %e, "request authentication failed");
        }
        result
    }

    fn authenticate_v3(
        &self,
        snapshot: &Snapshot,
        request: &SignedRequest<'_>,
        value: &str,
        now: Timestamp,
    ) -> Result<Authenticated, E> {
        let auth = v3::Authorization::parse(value)?;
        for name in MUST_SIGN {
            if request.has_header(name) && !auth.signs(name) {
                return Err(E::UnsignedHeader(name));
            }
        }
        if request.form.is_some() && !auth.signs("content-type") {
            // Form fields are parameters; the content type decides whether they are read.
            return Err(E::UnsignedHeader("content-type"));
        }
        let date = header_text(request, "x-acs-date")?.ok_or(E::Missing {
            code: "MissingTimestamp",
            what: "x-acs-date header",
        })?;
        let signed_at = parse_timestamp(date)?;
        self.replay.check_timestamp(signed_at, now)?;
        let nonce = header_text(request, "x-acs-signature-nonce")?;
        if nonce.is_none() && self.require_nonce {
            return Err(E::Missing {
                code: "MissingSignatureNonce",
                what: "x-acs-signature-nonce header",
            });
        }
        if let Some(claimed) = request.header_value("x-acs-content-sha256") {
            let mut hash = [0u8; 32];
            hex::decode_to_slice(claimed.trim_ascii(), &mut hash).map_err(|_| E::MalformedContentSha256)?;
            if hash != request.body_sha256 {
                return Err(E::ContentSha256Mismatch);
            }
        }
        if let Some(id) = request.header_value("x-acs-accesskey-id")
            && id.trim_ascii() != auth.access_key_id.as_bytes()
        {
            return Err(E::AccessKeyIdMismatch);
        }
        let token = header_text(request, "x-acs-security-token")?.filter(|t| !t.is_empty());
        let (secret, identity) = self.credentials(snapshot, &auth.access_key_id, token, now)?;
        let canonical =
            v3::canonical_request(request, &auth.signed_headers).map_err(|m| E::MissingSignedHeader(m.0))?;
        let string_to_sign = v3::string_to_sign(&canonical);
        if !v3::verify(secret.expose().as_bytes(), &string_to_sign, &auth.signature) {
            // The V3 string to sign is the algorithm and a hash: safe to show.
            return Err(E::SignatureDoesNotMatch {
                string_to_sign: Some(string_to_sign),
            });
        }
        if let Some(nonce) = nonce {
            self.replay.record_nonce(&auth.access_key_id, nonce, signed_at, now)?;
        }
        Ok(Authenticated {
            identity,
            access_key_id: auth.access_key_id,
            account_id: snapshot.directory().account_id().to_owned(),
            scheme: SignatureScheme::V3,
            action: header_text(request, "x-acs-action")?.map(str::to_owned),
            version: header_text(request, "x-acs-version")?.map(str::to_owned),
            signed_at,
        })
    }

    fn authenticate_v1(
        &self,
        snapshot: &Snapshot,
        request: &SignedRequest<'_>,
        params: &[Param],
        now: Timestamp,
    ) -> Result<Authenticated, E> {
        let method = param_text(params, "SignatureMethod")?.ok_or(E::Missing {
            code: "MissingSignatureMethod",
            what: "SignatureMethod parameter",
        })?;
        if method != v1::SIGNATURE_METHOD {
            return Err(E::UnsupportedSignatureMethod(crate::signature::clip(method)));
        }
        let version = param_text(params, "SignatureVersion")?.ok_or(E::Missing {
            code: "MissingSignatureVersion",
            what: "SignatureVersion parameter",
        })?;
        if version != v1::SIGNATURE_VERSION {
            return Err(E::UnsupportedSignatureVersion(crate::signature::clip(version)));
        }
        let access_key_id = param_text(params, "AccessKeyId")?
            .filter(|id| !id.is_empty())
            .ok_or(E::Missing {
                code: "MissingAccessKeyId",
                what: "AccessKeyId parameter",
            })?;
        let timestamp = param_text(params, "Timestamp")?.ok_or(E::Missing {
            code: "MissingTimestamp",
            what: "Timestamp parameter",
        })?;
        let signed_at = parse_timestamp(timestamp)?;
        self.replay.check_timestamp(signed_at, now)?;
        let nonce = param_text(params, "SignatureNonce")?;
        if nonce.is_none() && self.require_nonce {
            return Err(E::Missing {
                code: "MissingSignatureNonce",
                what: "SignatureNonce parameter",
            });
        }
        let signature = single(params, "Signature")?
            .and_then(v1::decode_signature)
            .ok_or(E::MalformedSignature)?;
        let token = param_text(params, "SecurityToken")?.filter(|t| !t.is_empty());
        let (secret, identity) = self.credentials(snapshot, access_key_id, token, now)?;
        let scheme = match v1::verify(secret.expose().as_bytes(), request.method, params, &signature) {
            Ok(v1::Verified::Rfc3986) => SignatureScheme::V1,
            Ok(v1::Verified::QuotePlus) => SignatureScheme::V1QuotePlus,
            Err(string_to_sign) => {
                // The V1 string to sign quotes every parameter: keep it out of the message
                // (and so out of logs) when one of them is a token.
                return Err(E::SignatureDoesNotMatch {
                    string_to_sign: token.is_none().then_some(string_to_sign),
                });
            }
        };
        if let Some(nonce) = nonce {
            self.replay.record_nonce(access_key_id, nonce, signed_at, now)?;
        }
        Ok(Authenticated {
            identity,
            access_key_id: access_key_id.to_owned(),
            account_id: snapshot.directory().account_id().to_owned(),
            scheme,
            action: param_text(params, "Action")?.map(str::to_owned),
            version: param_text(params, "Version")?.map(str::to_owned),
            signed_at,
        })
    }

    /// The secret to check the signature with, and who it belongs to.
    fn credentials(
        &self,
        snapshot: &Snapshot,
        access_key_id: &str,
        token: Option<&str>,
        now: Timestamp,
    ) -> Result<(Secret, Identity), E> {
        if let Some(token) = token {
            let verifier = self.token_verifier.as_ref().ok_or(E::TokensNotAccepted)?;
            let s = verifier.verify(snapshot, access_key_id, token, now)?;
            // Defence in depth: a verifier that forgot the expiry check does not extend a session.
            if s.expiration <= now {
                return Err(E::SecurityToken(crate::TokenError::Expired));
            }
            return Ok((
                s.access_key_secret,
                Identity::RoleSession {
                    role_name: s.role_name,
                    role_id: s.role_id,
                    session_name: s.session_name,
                    session_policy: s.session_policy,
                    expiration: s.expiration,
                    source_identity: s.source_identity,
                },
            ));
        }
        if access_key_id.starts_with("STS.") {
            return Err(E::MissingSecurityToken);
        }
        let (user, key) = snapshot
            .directory()
            .access_key(access_key_id)
            .ok_or(E::AccessKeyNotFound)?;
        if key.status != AccessKeyStatus::Active {
            return Err(E::AccessKeyInactive);
        }
        Ok((
            Secret::new(key.access_key_secret.as_str()),
            Identity::User {
                user_name: user.user_name.clone(),
                user_id: user.user_id.clone(),
            },
        ))
    }
}

fn parse_timestamp(text: &str) -> Result<Timestamp, E> {
    // jiff takes RFC 3339 (`2024-01-01T00:00:00Z`, with or without fractions or an offset),
    // which covers every SDK's `YYYY-MM-DDThh:mm:ssZ`.
    text.trim()
        .parse::<Timestamp>()
        .map_err(|_| E::TimestampFormat(crate::signature::clip(text)))
}

fn header_text<'a>(request: &SignedRequest<'a>, name: &'static str) -> Result<Option<&'a str>, E> {
    match request.header_value(name) {
        None => Ok(None),
        Some(v) => std::str::from_utf8(v.trim_ascii())
            .map(Some)
            .map_err(|_| E::NotUtf8(name)),
    }
}

/// The value of a parameter that must appear at most once.
fn single<'p>(params: &'p [Param], name: &'static str) -> Result<Option<&'p [u8]>, E> {
    let mut found = params
        .iter()
        .filter(|(k, _)| k == name.as_bytes())
        .map(|(_, v)| v.as_slice());
    let first = found.next();
    if found.next().is_some() {
        return Err(E::DuplicateParameter(name));
    }
    Ok(first)
}

fn param_text<'p>(params: &'p [Param], name: &'static str) -> Result<Option<&'p str>, E> {
    single(params, name)?
        .map(|v| std::str::from_utf8(v).map_err(|_| E::NotUtf8(name)))
        .transpose()
}
