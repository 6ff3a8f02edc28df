//! `ram check (--principal (user/NAME | root) | --console-session TOKEN) [--access-key KEY_ID]
//! --action A --resource R [--context KEY=VALUE...]`: decides a request for a caller of the
//! directory and prints `{"decision":..,"matched":[..]}` like `ram eval` (plus
//! `failed_conditions` for an implicit deny). Exit 0 whatever the decision; 3 when the caller
//! cannot be authenticated; 2 for invalid input.
//!
//! - `--principal user/NAME` without `--access-key`: a user the operator vouches for; it must
//!   exist. With `--access-key`, the key must exist, be Active and belong to NAME.
//! - `--principal root`: allowed everything; with `--access-key` refused as the directory's
//!   security preference says.
//! - `--console-session TOKEN` (from `ram login`): the session's user, with `acs:MFAPresent`
//!   set from the session (replacing any given).
//!
//! The `--context` arguments are the request context, as for `ram eval`; the only keys added
//! are `acs:PrincipalARN` (`acs:ram::<account>:user/<name>` or `acs:ram::<account>:root`) and,
//! with `--access-key`, `acs:AccessId`, each only when not given. `--now` never becomes
//! `acs:CurrentTime`. The state is read without the lock.
//!
//! - `--security-token TOKEN` (from `ram sts assume-role`): the role session, verified with
//!   the signing keys in the state file (no clock skew) and checked live against the
//!   directory (role deleted, re-created, trust policy changed or sessions revoked: exit 3);
//!   with `--access-key`, the session's `STS.` AccessKeyId must match. The session policy is
//!   evaluated first (an implicit deny there is final), then the role's policies.
//!   `acs:PrincipalARN` is `acs:ram::<account>:assumed-role/<Role>/<session>`.

use clap::{ArgGroup, Args};
use ram_core::authorizer::{Caller, Principal, Snapshot};
use ram_core::context::keys;
use ram_core::{Request, RequestContext};

use super::Reply;
use crate::GlobalArgs;
use crate::error::CliError;
use crate::input::{check_action, check_resource, quote, split_context_arg};
use crate::output::explanation_text;
use crate::state::{self, auth_error, session_error};

/// Arguments of `ram check`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("caller").required(true).args(["principal", "console_session", "security_token"])))]
pub struct CheckArgs {
    /// Who asks: `user/NAME` or `root`.
    #[arg(long, value_name = "PRINCIPAL")]
    pub principal: Option<String>,
    /// A console session token from `ram login`.
    #[arg(long, value_name = "TOKEN")]
    pub console_session: Option<String>,
    /// A role session's security token from `ram sts assume-role`.
    #[arg(long, value_name = "TOKEN")]
    pub security_token: Option<String>,
    /// The AccessKeyId that signed the request: it must exist, be Active and be the caller's.
    #[arg(long, value_name = "KEY_ID")]
    pub access_key: Option<String>,
    /// The action, `<service>:<Name>` (e.g. `oss:GetObject`).
    #[arg(long, value_name = "ACTION")]
    pub action: String,
    /// The resource ARN (e.g. `acs:oss:*:123456:bucket/b/key`).
    #[arg(long, value_name = "ARN", allow_hyphen_values = true)]
    pub resource: String,
    /// A condition key and value, split at the first `=`; a key given twice is multi-valued.
    #[arg(long = "context", value_name = "KEY=VALUE", allow_hyphen_values = true)]
    pub context: Vec<String>,
}

/// Who `--principal` names.
#[derive(Debug, PartialEq, Eq)]
enum Named<'a> {
    Root,
    User(&'a str),
}

fn parse_principal(text: &str) -> Result<Named<'_>, CliError> {
    if text == "root" {
        return Ok(Named::Root);
    }
    match text.strip_prefix("user/") {
        Some(name) if !name.is_empty() => Ok(Named::User(name)),
        _ => Err(CliError::InvalidInput(format!(
            "--principal {} is neither user/NAME nor root (role sessions will be checked with --security-token)",
            quote(text)
        ))),
    }
}

/// Runs `ram check`.
pub fn run(args: &CheckArgs, global: &GlobalArgs) -> Result<Reply, CliError> {
    check_action(&args.action).map_err(CliError::InvalidInput)?;
    check_resource(&args.resource).map_err(CliError::InvalidInput)?;
    let named = args.principal.as_deref().map(parse_principal).transpose()?;
    let mut context = RequestContext::new();
    for arg in &args.context {
        let (key, value) = split_context_arg(arg).map_err(CliError::InvalidInput)?;
        context.add(key, value);
    }
    let now = state::now(global)?;
    let state = state::read(global)?;
    if let Some(token) = &args.security_token {
        return check_session(args, token, context, state, now);
    }
    let account = state.directory.account_id().to_owned();

    let session = match &args.console_session {
        Some(token) => Some(
            state
                .directory
                .verify_console_session(token, now)
                .map_err(session_error)?,
        ),
        None => None,
    };
    let (principal, arn) = match (&named, &session) {
        (Some(Named::Root), _) => (Principal::Root, format!("acs:ram::{account}:root")),
        (Some(Named::User(name)), _) => (Principal::User(name), format!("acs:ram::{account}:user/{name}")),
        (None, Some(s)) => (
            Principal::User(&s.user_name),
            format!("acs:ram::{account}:user/{}", s.user_name),
        ),
        (None, None) => {
            return Err(CliError::InvalidInput(String::from(
                "give --principal or --console-session",
            )));
        }
    };
    if let Some(s) = &session {
        s.add_to_context(&mut context);
    }
    if context.get(keys::PRINCIPAL_ARN).is_none() {
        context.add(keys::PRINCIPAL_ARN, &arn);
    }
    if let Some(key) = &args.access_key
        && context.get(keys::ACCESS_ID).is_none()
    {
        context.add(keys::ACCESS_ID, key);
    }

    let caller = Caller {
        principal,
        access_key_id: args.access_key.as_deref(),
    };
    let snapshot = Snapshot::new(state.directory);
    let explanation = snapshot
        .explain(&caller, &Request::new(&args.action, &args.resource, &context))
        .map_err(auth_error)?;
    let json = serde_json::to_value(&explanation).map_err(|e| CliError::ram("InternalError", e.to_string()))?;
    Ok(Reply::json(json).with_text(explanation_text(&explanation)))
}

/// `ram check --security-token`: verify the token, then decide as its role session.
fn check_session(
    args: &CheckArgs,
    token: &str,
    mut context: RequestContext,
    state: ram_core::store::State,
    now: jiff::Timestamp,
) -> Result<Reply, CliError> {
    let keys = state
        .section::<ram_sts::KeyRing>()
        .map_err(|e| CliError::ram("StateCorrupt", format!("the StsKeys section does not read: {e}")))?
        .unwrap_or_default();
    let sts = ram_sts::Sts::new(
        std::sync::Arc::new(ram_core::authorizer::Authorizer::new(state.directory)),
        keys,
    );
    let session = sts
        .authenticate(token, args.access_key.as_deref(), now)
        .map_err(super::sts::sts_error)?;
    if context.get(keys::PRINCIPAL_ARN).is_none() {
        context.add(keys::PRINCIPAL_ARN, &session.claims().arn());
    }
    if context.get(keys::ACCESS_ID).is_none() {
        context.add(keys::ACCESS_ID, session.token().access_key_id());
    }
    let explanation = session
        .explain(&Request::new(&args.action, &args.resource, &context))
        .map_err(super::sts::sts_error)?;
    let json = serde_json::to_value(&explanation).map_err(|e| CliError::ram("InternalError", e.to_string()))?;
    Ok(Reply::json(json).with_text(explanation_text(&explanation)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principals() {
        assert_eq!(parse_principal("root").unwrap(), Named::Root);
        assert_eq!(parse_principal("user/alice").unwrap(), Named::User("alice"));
        for bad in ["user/", "alice", "role/admin", "", "Root"] {
            assert!(parse_principal(bad).is_err(), "{bad:?}");
        }
    }
}
