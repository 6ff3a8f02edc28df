//! `ram sts ...`: AssumeRole and temporary credentials (`ram-sts`) on the state file.
//!
//! - `ram sts assume-role (--caller (user/NAME | service/NAME | root) [--access-key KEY_ID] |
//!   --security-token TOKEN [--access-key STS_KEY_ID]) --role-arn ARN --session-name S
//!   [--duration SECONDS] [--policy FILE] [--external-id ID] [--context KEY=VALUE...]`
//!   prints the AssumeRole response `{"Credentials":{..},"AssumedRoleUser":{..}}` (always as
//!   JSON: the secret is shown this once).
//! - `ram sts caller-identity (--caller ... | --security-token TOKEN) [--access-key ID]`
//!   prints GetCallerIdentity's shape.
//! - `ram sts verify TOKEN [--access-key STS_KEY_ID]` prints the token's claims, or the reason
//!   it is refused (exit 3).
//! - `ram sts rotate-key [--algorithm ed25519|hmac-sha256]` adds a signing key that mints from
//!   now on; `ram sts retire-key KID` retires one (its tokens are refused from now on);
//!   `ram sts keys` lists them. Secret parts are never printed.
//! - `ram sts revoke-sessions ROLE --before RFC3339` refuses the role's sessions issued before
//!   that instant.
//!
//! The signing keys live in the state file's `StsKeys` section; the first command that needs
//! to mint draws an Ed25519 key if there is none. Verification allows no clock skew. Failures:
//! authentication 3 (`InvalidSecurityToken.*`, an unknown user, a bad access key), invalid
//! parameters 2, everything else 1; a refused AssumeRole is `NoPermission` with
//! `NoPermissionType` (`ExplicitDeny` or `ImplicitDeny`) in its JSON error.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{ArgGroup, Args, Subcommand};
use jiff::Timestamp;
use ram_core::RequestContext;
use ram_core::authorizer::Authorizer;
use ram_core::directory::Change;
use ram_core::store::State;
use ram_sts::key::{Algorithm, KeyRing};
use ram_sts::{AssumeRoleRequest, ErrorKind, Sts, StsCaller, StsError};
use serde_json::{Value, json};

use super::Reply;
use crate::GlobalArgs;
use crate::error::CliError;
use crate::input::{quote, split_context_arg};
use crate::state::{self, Writer, read_document};

/// `ram sts ...`.
#[derive(Debug, Subcommand)]
pub enum StsCommand {
    /// Assume a role: print temporary credentials (AccessKeyId, AccessKeySecret, SecurityToken,
    /// Expiration) and the AssumedRoleUser.
    AssumeRole(AssumeRoleArgs),
    /// Who a caller is (GetCallerIdentity).
    CallerIdentity(CallerArgs),
    /// Verify a security token: print its claims, or why it is refused (exit 3).
    Verify(VerifyArgs),
    /// Add a token signing key that mints from now on (older keys keep verifying).
    RotateKey(RotateKeyArgs),
    /// Retire a signing key: every token it signed is refused from now on.
    RetireKey(RetireKeyArgs),
    /// List the token signing keys (never their secrets).
    Keys,
    /// Revoke every session of a role issued before an instant.
    RevokeSessions(RevokeArgs),
}

/// Who calls: `--caller` or `--security-token`, and the access key that signed the call.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("who").required(true).args(["caller", "security_token"])))]
pub struct CallerArgs {
    /// `user/NAME` (vouched for without --access-key), `service/NAME` or `root`.
    #[arg(long, value_name = "CALLER")]
    pub caller: Option<String>,
    /// A role session's token (role chaining).
    #[arg(long, value_name = "TOKEN")]
    pub security_token: Option<String>,
    /// The AccessKeyId that signed the call: a user's key with --caller user/NAME, the
    /// session's `STS.` id with --security-token.
    #[arg(long, value_name = "KEY_ID")]
    pub access_key: Option<String>,
}

/// Arguments of `ram sts assume-role`.
#[derive(Debug, Args)]
pub struct AssumeRoleArgs {
    /// Who calls.
    #[command(flatten)]
    pub who: CallerArgs,
    /// `acs:ram::<account>:role/<RoleName>`.
    #[arg(long, value_name = "ARN")]
    pub role_arn: String,
    /// RoleSessionName: 2–64 of letters, digits, '.', '@', '_', '-'.
    #[arg(long, value_name = "NAME")]
    pub session_name: String,
    /// DurationSeconds: 900 up to the role's MaxSessionDuration (default 3600).
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<u64>,
    /// A session policy (JSON file, at most 2,048 characters) narrowing the session.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// ExternalId, seen by the trust policy as `sts:ExternalId`.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
    /// A condition key and value of the request, split at the first `=`.
    #[arg(long = "context", value_name = "KEY=VALUE", allow_hyphen_values = true)]
    pub context: Vec<String>,
}

/// Arguments of `ram sts verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The security token.
    #[arg(allow_hyphen_values = true)]
    pub token: String,
    /// The AccessKeyId presented with it (must be the token's).
    #[arg(long, value_name = "STS_KEY_ID")]
    pub access_key: Option<String>,
}

/// Arguments of `ram sts rotate-key`.
#[derive(Debug, Args)]
pub struct RotateKeyArgs {
    /// `ed25519` (verifiers need only the public key) or `hmac-sha256`.
    #[arg(long, value_name = "ALGORITHM", default_value = "ed25519")]
    pub algorithm: String,
}

/// Arguments of `ram sts retire-key`.
#[derive(Debug, Args)]
pub struct RetireKeyArgs {
    /// The key id.
    pub kid: String,
}

/// Arguments of `ram sts revoke-sessions`.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The role name.
    pub role: String,
    /// Sessions issued before this instant (RFC 3339) are refused.
    #[arg(long, value_name = "RFC3339")]
    pub before: String,
}

/// An STS error as the command line reports it: authentication failures exit 3, invalid
/// parameters 2, the rest 1; `NoPermission` carries its `NoPermissionType`.
pub fn sts_error(err: StsError) -> CliError {
    if let Some(kind) = err.no_permission_type() {
        return CliError::NoPermission {
            message: err.to_string(),
            no_permission_type: kind.as_str(),
        };
    }
    match err.kind() {
        ErrorKind::Authentication => CliError::auth(err.code(), err.to_string()),
        _ => CliError::ram(err.code(), err.to_string()),
    }
}

/// The signing keys of the state (an empty ring if none yet).
fn keys_of(state: &State) -> Result<KeyRing, CliError> {
    state
        .section::<KeyRing>()
        .map(Option::unwrap_or_default)
        .map_err(|e| CliError::ram("StateCorrupt", format!("the StsKeys section does not read: {e}")))
}

fn sts_of(state: State, keys: KeyRing) -> Sts {
    Sts::new(Arc::new(Authorizer::new(state.directory)), keys)
}

/// The keys, with an Ed25519 key drawn and stored first if there is none that mints.
fn minting_keys(global: &GlobalArgs, state: &State) -> Result<KeyRing, CliError> {
    let keys = keys_of(state)?;
    if keys.active().is_some() {
        return Ok(keys);
    }
    let mut w = Writer::open(global)?;
    let mut keys = w.section::<KeyRing>()?.unwrap_or_default();
    if keys.active().is_none() {
        keys.rotate(Algorithm::Ed25519, w.now()).map_err(sts_error)?;
        w.put_section(Some(&keys))?;
    }
    Ok(keys)
}

fn parse_caller<'a>(args: &'a CallerArgs) -> Result<StsCaller<'a>, CliError> {
    if let Some(token) = &args.security_token {
        return Ok(StsCaller::RoleSession {
            security_token: token,
            access_key_id: args.access_key.as_deref(),
        });
    }
    let text = args.caller.as_deref().unwrap_or_default();
    let caller = if text == "root" {
        StsCaller::Root
    } else if let Some(name) = text.strip_prefix("user/").filter(|n| !n.is_empty()) {
        StsCaller::User {
            name,
            access_key_id: args.access_key.as_deref(),
        }
    } else if let Some(name) = text.strip_prefix("service/").filter(|n| !n.is_empty()) {
        StsCaller::Service(name)
    } else {
        return Err(CliError::InvalidInput(format!(
            "--caller {} is none of user/NAME, service/NAME, root",
            quote(text)
        )));
    };
    if args.access_key.is_some() && !matches!(caller, StsCaller::User { .. }) {
        return Err(CliError::InvalidInput(String::from(
            "--access-key goes with --caller user/NAME or --security-token",
        )));
    }
    Ok(caller)
}

/// Runs `ram sts ...`.
pub fn run(command: &StsCommand, global: &GlobalArgs) -> Result<Reply, CliError> {
    match command {
        StsCommand::AssumeRole(args) => assume_role(args, global),
        StsCommand::CallerIdentity(args) => {
            let caller = parse_caller(args)?;
            let now = state::now(global)?;
            let state = state::read(global)?;
            let keys = keys_of(&state)?;
            let identity = sts_of(state, keys)
                .get_caller_identity(&caller, now)
                .map_err(sts_error)?;
            Ok(Reply::json(to_json(&identity)?))
        }
        StsCommand::Verify(args) => {
            let now = state::now(global)?;
            let state = state::read(global)?;
            let keys = keys_of(&state)?;
            let sts = sts_of(state, keys);
            let session = sts
                .authenticate(&args.token, args.access_key.as_deref(), now)
                .map_err(sts_error)?;
            let t = session.token();
            let c = t.claims();
            Ok(Reply::json(json!({
                "AccessKeyId": t.access_key_id(),
                "KeyId": t.kid(),
                "Arn": c.arn(),
                "AssumedRoleId": c.assumed_role_id(),
                "Expiration": c.expiration_text(),
                "Claims": to_json(c)?,
            })))
        }
        StsCommand::RotateKey(args) => {
            let algorithm: Algorithm = args.algorithm.parse().map_err(|_| {
                CliError::InvalidInput(format!(
                    "--algorithm {} is neither ed25519 nor hmac-sha256",
                    quote(&args.algorithm)
                ))
            })?;
            let mut w = Writer::open(global)?;
            let mut keys = w.section::<KeyRing>()?.unwrap_or_default();
            let kid = keys.rotate(algorithm, w.now()).map_err(sts_error)?.to_owned();
            w.put_section(Some(&keys))?;
            let key = keys.key(&kid).map(|k| key_view(k)).unwrap_or(Value::Null);
            Ok(Reply::json(json!({ "Key": key })))
        }
        StsCommand::RetireKey(args) => {
            let mut w = Writer::open(global)?;
            let mut keys = w.section::<KeyRing>()?.unwrap_or_default();
            keys.retire(&args.kid, w.now()).map_err(sts_error)?;
            w.put_section(Some(&keys))?;
            let key = keys.key(&args.kid).map(|k| key_view(k)).unwrap_or(Value::Null);
            Ok(Reply::json(json!({ "Key": key })))
        }
        StsCommand::Keys => {
            let state = state::read(global)?;
            let keys = keys_of(&state)?;
            let active = keys.active().map(|k| k.kid().to_owned());
            let items: Vec<Value> = keys
                .keys()
                .map(|k| {
                    let mut v = key_view(k);
                    v["Active"] = Value::Bool(active.as_deref() == Some(k.kid()));
                    v
                })
                .collect();
            Ok(Reply::listing(
                "Keys",
                items,
                &["KeyId", "Algorithm", "Created", "Retired", "Active"],
            ))
        }
        StsCommand::RevokeSessions(args) => {
            let before: Timestamp = args.before.parse().map_err(|_| {
                CliError::InvalidInput(format!("--before {} is not an RFC 3339 instant", quote(&args.before)))
            })?;
            let mut w = Writer::open(global)?;
            w.commit(&[Change::RevokeRoleSessions {
                name: args.role.clone(),
                before,
            }])?;
            Ok(Reply::json(json!({
                "RoleName": args.role,
                "SessionsRevokedBefore": before.to_string(),
            })))
        }
    }
}

fn assume_role(args: &AssumeRoleArgs, global: &GlobalArgs) -> Result<Reply, CliError> {
    let caller = parse_caller(&args.who)?;
    let policy = args.policy.as_deref().map(read_document).transpose()?;
    let mut context = RequestContext::new();
    for arg in &args.context {
        let (key, value) = split_context_arg(arg).map_err(CliError::InvalidInput)?;
        context.add(key, value);
    }
    let now = state::now(global)?;
    let state = state::read(global)?;
    let keys = minting_keys(global, &state)?;
    let sts = sts_of(state, keys);
    let mut request = AssumeRoleRequest::new(&args.role_arn, &args.session_name).context(context);
    request.duration_seconds = args.duration;
    request.policy = policy.as_deref();
    request.external_id = args.external_id.as_deref();
    let response = sts.assume_role(&caller, &request, now).map_err(sts_error)?;
    Ok(Reply::always_json(to_json(&response)?))
}

fn key_view(k: &ram_sts::key::Key) -> Value {
    use base64ct::{Base64, Encoding};
    json!({
        "KeyId": k.kid(),
        "Algorithm": k.algorithm().as_str(),
        "Created": k.created().to_string(),
        "Retired": k.retired().map(|t| t.to_string()),
        "PublicKey": k.public_key().map(|p| Base64::encode_string(&p)),
    })
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, CliError> {
    serde_json::to_value(value).map_err(|e| CliError::ram("InternalError", e.to_string()))
}
