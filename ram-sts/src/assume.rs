//! AssumeRole, GetCallerIdentity and checks as a role session, on a ram-core
//! [`Authorizer`].

use std::sync::Arc;

use jiff::Timestamp;
use ram_core::authorizer::{Authorizer, Caller, Snapshot};
use ram_core::directory::ConsoleSession;
use ram_core::trust::{ASSUME_ROLE_ACTION, TrustPrincipal, trust_decision};
use ram_core::{
    Decision, Explanation, MAX_SESSION_POLICY_CHARS, ParseOptions, PolicyDocument, Request, RequestContext,
};
use serde::Serialize;

use crate::StsError;
use crate::key::KeyRing;
use crate::token::{Claims, format_expiration};
use crate::verify::{VerifiedToken, Verifier};

/// The smallest DurationSeconds.
pub const MIN_DURATION_SECONDS: u64 = 900;
/// DurationSeconds when none is given.
pub const DEFAULT_DURATION_SECONDS: u64 = 3_600;
/// The largest MaxSessionDuration a role can have.
pub const MAX_DURATION_SECONDS: u64 = 43_200;

/// The condition key AssumeRole's `ExternalId` is visible as.
pub const EXTERNAL_ID_KEY: &str = "sts:ExternalId";

const IDENTITY_REFUSED: &str = "You are not authorized to do this action. You should be authorized by RAM.";
const TRUST_REFUSED: &str = "No permission perform sts:AssumeRole on this Role. Maybe the role has not been trusted by the caller, or its trust policy denies it.";

/// Who calls an STS operation, with the credentials to authenticate it. `Debug` never shows
/// a token.
///
/// ```
/// use ram_sts::StsCaller;
///
/// let c = StsCaller::RoleSession { security_token: "RAMSTS1.secret-bits", access_key_id: None };
/// assert!(!format!("{c:?}").contains("secret-bits"));
/// ```
#[derive(Clone, Copy)]
pub enum StsCaller<'a> {
    /// The account root: authenticated, but never allowed to assume a role.
    Root,
    /// A RAM user: by one of its access keys (must exist, be active and be the user's), or
    /// vouched for by the application when `access_key_id` is `None` (must exist).
    User {
        /// UserName.
        name: &'a str,
        /// The AccessKeyId that signed the call, if any.
        access_key_id: Option<&'a str>,
    },
    /// A RAM user by a console-session token (`RAMCS1.…`); `acs:MFAPresent` comes from it.
    ConsoleSession(&'a str),
    /// A role session by its security token, and the AccessKeyId presented with it if any
    /// (role chaining for AssumeRole).
    RoleSession {
        /// The `RAMSTS1.…` token.
        security_token: &'a str,
        /// The `STS.…` AccessKeyId that signed the call, if any.
        access_key_id: Option<&'a str>,
    },
    /// A cloud service (`ecs.aliyuncs.com`): judged by the role's trust policy alone.
    Service(&'a str),
}

impl std::fmt::Debug for StsCaller<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StsCaller::Root => f.write_str("Root"),
            StsCaller::User { name, access_key_id } => f
                .debug_struct("User")
                .field("name", name)
                .field("access_key_id", access_key_id)
                .finish(),
            StsCaller::ConsoleSession(_) => f.write_str("ConsoleSession(<redacted>)"),
            StsCaller::RoleSession { access_key_id, .. } => f
                .debug_struct("RoleSession")
                .field("security_token", &"<redacted>")
                .field("access_key_id", access_key_id)
                .finish(),
            StsCaller::Service(name) => f.debug_tuple("Service").field(name).finish(),
        }
    }
}

/// The parameters of AssumeRole.
///
/// ```
/// use ram_sts::AssumeRoleRequest;
///
/// let req = AssumeRoleRequest::new("acs:ram::123456789012:role/ops", "alice")
///     .duration_seconds(900)
///     .external_id("abc123");
/// assert_eq!(req.role_session_name, "alice");
/// ```
#[derive(Clone, Debug)]
pub struct AssumeRoleRequest<'a> {
    /// `acs:ram::<account>:role/<RoleName>`.
    pub role_arn: &'a str,
    /// 2–64 characters of `[A-Za-z0-9.@_-]`.
    pub role_session_name: &'a str,
    /// 900 up to the role's MaxSessionDuration; 3,600 when `None`.
    pub duration_seconds: Option<u64>,
    /// A session policy (at most 2,048 characters).
    pub policy: Option<&'a str>,
    /// Visible to trust conditions as `sts:ExternalId`.
    pub external_id: Option<&'a str>,
    /// The request's context (source IP, transport...): seen by the caller's identity policies
    /// and by the trust policy's conditions.
    pub context: RequestContext,
}

impl<'a> AssumeRoleRequest<'a> {
    /// A request with the required parameters.
    pub fn new(role_arn: &'a str, role_session_name: &'a str) -> AssumeRoleRequest<'a> {
        AssumeRoleRequest {
            role_arn,
            role_session_name,
            duration_seconds: None,
            policy: None,
            external_id: None,
            context: RequestContext::new(),
        }
    }

    /// Sets DurationSeconds.
    pub fn duration_seconds(mut self, seconds: u64) -> Self {
        self.duration_seconds = Some(seconds);
        self
    }

    /// Sets the session policy.
    pub fn policy(mut self, policy: &'a str) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Sets ExternalId.
    pub fn external_id(mut self, external_id: &'a str) -> Self {
        self.external_id = Some(external_id);
        self
    }

    /// Sets the request context.
    pub fn context(mut self, context: RequestContext) -> Self {
        self.context = context;
        self
    }
}

/// AssumeRole's `Credentials`.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Credentials {
    /// `STS.…`
    pub access_key_id: String,
    /// The secret to sign requests with.
    pub access_key_secret: String,
    /// The token to send with them.
    pub security_token: String,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub expiration: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("security_token", &"<redacted>")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// AssumeRole's `AssumedRoleUser`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssumedRoleUser {
    /// `acs:ram::<acct>:role/<Role>/<session>`.
    pub arn: String,
    /// `<RoleId>:<session>`.
    pub assumed_role_id: String,
}

/// AssumeRole's response, serialised like the API:
/// `{"Credentials":{...},"AssumedRoleUser":{...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssumeRoleResponse {
    /// The temporary credentials.
    pub credentials: Credentials,
    /// The session's identity.
    pub assumed_role_user: AssumedRoleUser,
}

/// GetCallerIdentity's response (flat, PascalCase).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallerIdentity {
    /// The account.
    pub account_id: String,
    /// `acs:ram::<acct>:root`, `...:user/<name>` or `...:assumed-role/<Role>/<session>`.
    pub arn: String,
    /// `Account`, `RAMUser` or `AssumedRoleUser`.
    pub identity_type: &'static str,
    /// The account id, the UserId, or `<RoleId>:<session>`.
    pub principal_id: String,
    /// For a RAM user: its UserId.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// For a role session: the RoleId.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
}

/// An authenticated role session, checked live against one snapshot of the directory.
#[derive(Clone)]
pub struct RoleSession {
    token: Arc<VerifiedToken>,
    snapshot: Arc<Snapshot>,
}

impl std::fmt::Debug for RoleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoleSession")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

impl RoleSession {
    /// The verified token.
    pub fn token(&self) -> &VerifiedToken {
        &self.token
    }

    /// The claims.
    pub fn claims(&self) -> &Claims {
        self.token.claims()
    }

    /// Decides a request as this session: guardrails, the session policy (an implicit deny
    /// there is final), then the role's policies, against the snapshot the session was
    /// authenticated with.
    pub fn check(&self, req: &Request<'_>) -> Result<Decision, StsError> {
        Ok(self.snapshot.check(&self.token.caller(), req)?)
    }

    /// Like [`RoleSession::check`], with the explanation.
    pub fn explain(&self, req: &Request<'_>) -> Result<Explanation, StsError> {
        Ok(self.snapshot.explain(&self.token.caller(), req)?)
    }
}

/// The STS service of one directory: AssumeRole, GetCallerIdentity, and authenticating role
/// sessions.
///
/// ```
/// use std::sync::Arc;
/// use ram_core::authorizer::Authorizer;
/// use ram_core::directory::{Change, Directory, PolicyTarget};
/// use ram_core::{Decision, Request, RequestContext};
/// use ram_sts::key::{Algorithm, KeyRing};
/// use ram_sts::{AssumeRoleRequest, Sts, StsCaller};
///
/// let now: jiff::Timestamp = "2024-05-01T12:00:00Z".parse()?;
/// let auth = Arc::new(Authorizer::new(Directory::new("123456789012")?));
/// auth.apply(&[
///     Change::CreateUser { name: "alice".into(), display_name: None },
///     Change::AttachPolicy { target: PolicyTarget::User("alice".into()), policy_type: None, policy: "AliyunSTSAssumeRoleAccess".into() },
///     Change::CreateRole { name: "reader".into(), max_session_duration: None, trust_policy:
///         r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::123456789012:root"}}]}"#.into() },
///     Change::AttachPolicy { target: PolicyTarget::Role("reader".into()), policy_type: None, policy: "AliyunOSSReadOnlyAccess".into() },
/// ])?;
/// let sts = Sts::new(auth, KeyRing::generate(Algorithm::HmacSha256, now)?);
///
/// let alice = StsCaller::User { name: "alice", access_key_id: None };
/// let resp = sts.assume_role(&alice, &AssumeRoleRequest::new("acs:ram::123456789012:role/reader", "alice-s1"), now)?;
/// assert_eq!(resp.credentials.expiration, "2024-05-01T13:00:00Z");
/// assert_eq!(resp.assumed_role_user.arn, "acs:ram::123456789012:role/reader/alice-s1");
///
/// let session = sts.authenticate(&resp.credentials.security_token, Some(&resp.credentials.access_key_id), now)?;
/// let ctx = RequestContext::new();
/// assert_eq!(session.check(&Request::new("oss:GetObject", "acs:oss:*:123456789012:b/k", &ctx))?, Decision::Allow);
/// assert_eq!(session.check(&Request::new("oss:PutObject", "acs:oss:*:123456789012:b/k", &ctx))?, Decision::ImplicitDeny);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Sts {
    authorizer: Arc<Authorizer>,
    verifier: Verifier,
}

/// The authenticated caller of AssumeRole.
enum Who<'a> {
    Root,
    User(&'a str),
    Console(ConsoleSession),
    Session(Arc<VerifiedToken>),
    Service(&'a str),
}

impl Sts {
    /// STS on `authorizer`'s directory, minting and verifying with `keys`.
    pub fn new(authorizer: Arc<Authorizer>, keys: KeyRing) -> Sts {
        Sts::with_verifier(authorizer, Verifier::new(keys))
    }

    /// STS with a configured verifier (clock skew, cache size).
    pub fn with_verifier(authorizer: Arc<Authorizer>, verifier: Verifier) -> Sts {
        Sts { authorizer, verifier }
    }

    /// The authorizer.
    pub fn authorizer(&self) -> &Arc<Authorizer> {
        &self.authorizer
    }

    /// The verifier (and its keys).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Verifies a token and checks that its session is still live in the current directory:
    /// same account, the role exists with the id it had at issue, its trust policy is the one
    /// the session was issued under, and its sessions issued before the token were not
    /// revoked. Permissions are then looked up live at each check.
    pub fn authenticate(
        &self,
        security_token: &str,
        access_key_id: Option<&str>,
        now: Timestamp,
    ) -> Result<RoleSession, StsError> {
        let snapshot = self.authorizer.snapshot();
        let token = self.session_token(&snapshot, security_token, access_key_id, now)?;
        Ok(RoleSession { token, snapshot })
    }

    /// Verifies and authenticates a token, then decides a request as its session.
    pub fn check(
        &self,
        security_token: &str,
        access_key_id: Option<&str>,
        req: &Request<'_>,
        now: Timestamp,
    ) -> Result<Decision, StsError> {
        self.authenticate(security_token, access_key_id, now)?.check(req)
    }

    fn session_token(
        &self,
        snapshot: &Snapshot,
        security_token: &str,
        access_key_id: Option<&str>,
        now: Timestamp,
    ) -> Result<Arc<VerifiedToken>, StsError> {
        let token = self.verifier.verify(security_token, access_key_id, now)?;
        check_live(snapshot, token.claims())?;
        Ok(token)
    }

    /// AssumeRole. Checks, in this order:
    ///
    /// 1. authenticate the caller (an authentication error);
    /// 2. validate the parameters: `RoleArn`, `RoleSessionName`, `DurationSeconds` within
    ///    900–43,200, the session policy's size then grammar, `ExternalId`
    ///    (`InvalidParameter.*`); then the role must exist (`EntityNotExist.Role`) and
    ///    `DurationSeconds` be at most its MaxSessionDuration;
    /// 3. authorize: the root is refused; the caller's identity policies must allow
    ///    `sts:AssumeRole` on the role ARN (not asked for a service) and the role's trust policy
    ///    must allow the caller, conditions seeing the request context with `sts:ExternalId`
    ///    (`NoPermission`, explicit if either side denies explicitly).
    pub fn assume_role(
        &self,
        caller: &StsCaller<'_>,
        req: &AssumeRoleRequest<'_>,
        now: Timestamp,
    ) -> Result<AssumeRoleResponse, StsError> {
        let snapshot = self.authorizer.snapshot();
        let dir = snapshot.directory();

        // 1. Authenticate.
        let who = self.authenticate_caller(&snapshot, caller, now)?;

        // 2. Parameters.
        let (account, role_name) = parse_role_arn(req.role_arn)?;
        check_session_name(req.role_session_name)?;
        let duration = req.duration_seconds.unwrap_or(DEFAULT_DURATION_SECONDS);
        if !(MIN_DURATION_SECONDS..=MAX_DURATION_SECONDS).contains(&duration) {
            return Err(StsError::InvalidDurationSeconds {
                found: duration,
                max: MAX_DURATION_SECONDS as u32,
            });
        }
        if let Some(p) = req.policy {
            let chars = p.chars().count();
            if chars > MAX_SESSION_POLICY_CHARS {
                return Err(StsError::PolicySize(chars));
            }
            PolicyDocument::parse_with(p, &ParseOptions::session()).map_err(StsError::PolicyGrammar)?;
        }
        if let Some(e) = req.external_id {
            check_external_id(e)?;
        }
        let role = dir
            .role(role_name)
            .filter(|_| account == dir.account_id())
            .ok_or_else(|| StsError::RoleNotFound(role_name.to_owned()))?;
        if duration > u64::from(role.max_session_duration) {
            return Err(StsError::InvalidDurationSeconds {
                found: duration,
                max: role.max_session_duration,
            });
        }

        // 3. Authorize.
        let mut ctx = req.context.clone();
        if let Some(e) = req.external_id {
            ctx.set(EXTERNAL_ID_KEY, [e]);
        }
        if let Who::Console(s) = &who {
            s.add_to_context(&mut ctx);
        }
        let request = Request::new(ASSUME_ROLE_ACTION, &role.arn, &ctx);
        let account = dir.account_id();
        let (identity, principal, source_identity) = match &who {
            Who::Root => return Err(StsError::RootRefused),
            Who::User(name) => (
                snapshot.check(&Caller::user(name), &request)?,
                TrustPrincipal::User { account, name },
                format!("acs:ram::{account}:user/{name}"),
            ),
            Who::Console(s) => (
                snapshot.check(&Caller::user(&s.user_name), &request)?,
                TrustPrincipal::User {
                    account,
                    name: &s.user_name,
                },
                format!("acs:ram::{account}:user/{}", s.user_name),
            ),
            Who::Session(t) => (
                snapshot.check(&t.caller(), &request)?,
                TrustPrincipal::RoleSession {
                    account,
                    role: &t.claims().role_name,
                },
                t.claims().arn(),
            ),
            // A service is judged by the trust policy alone.
            Who::Service(name) => (Decision::Allow, TrustPrincipal::Service(name), (*name).to_owned()),
        };
        let trust = snapshot.role_trust(role_name);
        let trusted = trust
            .and_then(|t| t.document())
            .map_or(Decision::ImplicitDeny, |doc| trust_decision(doc, &principal, &ctx));
        let refused = |decision, message| Err(StsError::NoPermission { decision, message });
        match (identity, trusted) {
            (Decision::Allow, Decision::Allow) => {}
            (Decision::ExplicitDeny, _) => return refused(Decision::ExplicitDeny, IDENTITY_REFUSED),
            (_, Decision::ExplicitDeny) => return refused(Decision::ExplicitDeny, TRUST_REFUSED),
            (Decision::ImplicitDeny, _) => return refused(Decision::ImplicitDeny, IDENTITY_REFUSED),
            (_, _) => return refused(Decision::ImplicitDeny, TRUST_REFUSED),
        }

        // Mint.
        let mut token_id = [0u8; 16];
        getrandom::fill(&mut token_id)?;
        // Whole seconds, rounded down (also before 1970, where `as_second` rounds up).
        let second = now.as_second() - i64::from(now.subsec_nanosecond() < 0);
        let issued = Timestamp::from_second(second).map_err(|_| StsError::Malformed("time out of range"))?;
        let mut trust_digest = [0u8; 8];
        if let Some(t) = trust {
            trust_digest.copy_from_slice(&t.digest()[..8]);
        }
        let claims = Claims {
            token_id,
            account_id: account.to_owned(),
            role_name: role.role_name.clone(),
            role_id: role.role_id.clone(),
            session_name: req.role_session_name.to_owned(),
            issued,
            duration_seconds: duration as u32,
            trust_digest,
            source_identity,
            session_policy: req.policy.map(str::to_owned),
        };
        let minted = self.verifier.mint(&claims)?;
        Ok(AssumeRoleResponse {
            credentials: Credentials {
                access_key_id: minted.access_key_id,
                access_key_secret: minted.access_key_secret,
                security_token: minted.security_token,
                expiration: format_expiration(claims.expiration()),
            },
            assumed_role_user: AssumedRoleUser {
                arn: claims.assumed_role_user_arn(),
                assumed_role_id: claims.assumed_role_id(),
            },
        })
    }

    fn authenticate_caller<'a>(
        &self,
        snapshot: &Snapshot,
        caller: &StsCaller<'a>,
        now: Timestamp,
    ) -> Result<Who<'a>, StsError> {
        Ok(match *caller {
            StsCaller::Root => Who::Root,
            StsCaller::User { name, access_key_id } => {
                let c = match access_key_id {
                    Some(k) => Caller::user_with_key(name, k),
                    None => Caller::user(name),
                };
                snapshot.authenticate(&c)?;
                Who::User(name)
            }
            StsCaller::ConsoleSession(token) => {
                let s = snapshot.directory().verify_console_session(token, now)?;
                snapshot.authenticate(&Caller::user(&s.user_name))?;
                Who::Console(s)
            }
            StsCaller::RoleSession {
                security_token,
                access_key_id,
            } => Who::Session(self.session_token(snapshot, security_token, access_key_id, now)?),
            StsCaller::Service(name) => Who::Service(name),
        })
    }

    /// GetCallerIdentity: who the caller is, in the documented shape. Needs no permission;
    /// the caller is authenticated as for AssumeRole.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ram_core::authorizer::Authorizer;
    /// use ram_core::directory::{Change, Directory};
    /// use ram_sts::key::{Algorithm, KeyRing};
    /// use ram_sts::{Sts, StsCaller};
    ///
    /// let now = jiff::Timestamp::UNIX_EPOCH;
    /// let auth = Arc::new(Authorizer::new(Directory::new("123456789012")?));
    /// auth.apply(&[Change::CreateUser { name: "alice".into(), display_name: None }])?;
    /// let sts = Sts::new(auth, KeyRing::generate(Algorithm::HmacSha256, now)?);
    /// let me = sts.get_caller_identity(&StsCaller::User { name: "alice", access_key_id: None }, now)?;
    /// assert_eq!((me.identity_type, me.arn.as_str()), ("RAMUser", "acs:ram::123456789012:user/alice"));
    /// let root = sts.get_caller_identity(&StsCaller::Root, now)?;
    /// assert_eq!(root.identity_type, "Account");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_caller_identity(&self, caller: &StsCaller<'_>, now: Timestamp) -> Result<CallerIdentity, StsError> {
        let snapshot = self.authorizer.snapshot();
        let dir = snapshot.directory();
        let account = dir.account_id().to_owned();
        let user = |name: &str| -> Result<CallerIdentity, StsError> {
            let u = dir
                .user(name)
                .ok_or_else(|| ram_core::authorizer::AuthError::UnknownUser(name.to_owned()))?;
            Ok(CallerIdentity {
                arn: format!("acs:ram::{account}:user/{name}"),
                account_id: account.clone(),
                identity_type: "RAMUser",
                principal_id: u.user_id.clone(),
                user_id: Some(u.user_id.clone()),
                role_id: None,
            })
        };
        match self.authenticate_caller(&snapshot, caller, now)? {
            Who::Root => Ok(CallerIdentity {
                arn: format!("acs:ram::{account}:root"),
                principal_id: account.clone(),
                account_id: account,
                identity_type: "Account",
                user_id: None,
                role_id: None,
            }),
            Who::User(name) => user(name),
            Who::Console(s) => user(&s.user_name),
            Who::Session(t) => {
                let c = t.claims();
                Ok(CallerIdentity {
                    account_id: account,
                    arn: c.arn(),
                    identity_type: "AssumedRoleUser",
                    principal_id: c.assumed_role_id(),
                    user_id: None,
                    role_id: Some(c.role_id.clone()),
                })
            }
            Who::Service(_) => Err(StsError::NoCallerIdentity),
        }
    }

    /// Replaces the keys (rotation, retirement); cached verifications are forgotten.
    pub fn set_keys(&self, keys: KeyRing) {
        self.verifier.set_keys(keys);
    }
}

/// Whether the session of verified claims is still live in `snapshot`: same account, the role
/// exists with the id it had at issue, its trust policy is the one the session was issued
/// under, and its sessions issued before the token were not revoked.
pub(crate) fn check_live(snapshot: &Snapshot, c: &Claims) -> Result<(), StsError> {
    let dir = snapshot.directory();
    if c.account_id != dir.account_id() {
        return Err(StsError::Revoked("the token belongs to another account"));
    }
    let role = dir
        .role(&c.role_name)
        .ok_or_else(|| ram_core::authorizer::AuthError::UnknownRole(c.role_name.clone()))?;
    if role.role_id != c.role_id {
        return Err(StsError::Revoked("the role was deleted and created again"));
    }
    let digest_matches = snapshot
        .role_trust(&c.role_name)
        .is_some_and(|t| t.digest()[..8] == c.trust_digest);
    if !digest_matches {
        return Err(StsError::Revoked("the role's trust policy changed"));
    }
    if role.sessions_revoked_before.is_some_and(|t| c.issued < t) {
        return Err(StsError::Revoked(
            "the role's sessions issued before a given time were revoked",
        ));
    }
    Ok(())
}

/// Splits `acs:ram::<account>:role/<RoleName>`.
fn parse_role_arn(arn: &str) -> Result<(&str, &str), StsError> {
    let bad = || StsError::InvalidRoleArn(arn.to_owned());
    let rest = arn.strip_prefix("acs:ram::").ok_or_else(bad)?;
    let (account, name) = rest.split_once(":role/").ok_or_else(bad)?;
    let account_ok = !account.is_empty() && account.len() <= 32 && account.bytes().all(|b| b.is_ascii_digit());
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if account_ok && name_ok {
        Ok((account, name))
    } else {
        Err(bad())
    }
}

fn check_session_name(name: &str) -> Result<(), StsError> {
    let ok = (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'@' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(StsError::InvalidRoleSessionName(name.to_owned()))
    }
}

fn check_external_id(id: &str) -> Result<(), StsError> {
    let ok = (2..=1_224).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@:/-".contains(&b));
    if ok { Ok(()) } else { Err(StsError::InvalidExternalId) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_rules() {
        assert_eq!(parse_role_arn("acs:ram::123:role/a.b-c").unwrap(), ("123", "a.b-c"));
        for bad in [
            "acs:ram:cn:123:role/a",
            "acs:ram::12x:role/a",
            "acs:ram::123:role/",
            "acs:ram::123:role/a_b",
            "acs:ram::123:user/a",
            "",
        ] {
            assert!(parse_role_arn(bad).is_err(), "{bad}");
        }
        assert!(check_session_name("ab").is_ok());
        assert!(check_session_name(&"a".repeat(64)).is_ok());
        assert!(check_session_name("a").is_err());
        assert!(check_session_name(&"a".repeat(65)).is_err());
        assert!(check_session_name("a.b@c_d-e").is_ok());
        assert!(check_session_name("a b").is_err());
        assert!(check_session_name("é1").is_err());
        assert!(check_external_id("ab").is_ok());
        assert!(check_external_id("a").is_err());
        assert!(check_external_id("a b").is_err());
    }
}
