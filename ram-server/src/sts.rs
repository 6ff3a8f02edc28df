//! STS (`2015-04-01`) handlers. Requests signed with STS credentials are let in by
//! `ram_sts::Verifier`, which implements ram-web's `TokenVerifier`.

use ram_core::Decision;
use ram_core::require;
use ram_sts::{AssumeRoleRequest, ErrorKind, StsCaller, StsError};
use ram_web::Identity;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::{Ctx, HandlerError};

/// Every STS action served.
pub const ACTIONS: &[&str] = &["AssumeRole", "GetCallerIdentity"];

/// Runs an STS action; `None` when it is not served.
pub(crate) fn dispatch(ctx: &Ctx<'_>, action: &str) -> Option<Result<Map<String, Value>, ApiError>> {
    match action {
        "GetCallerIdentity" => Some(Ok(get_caller_identity(ctx))),
        "AssumeRole" => Some(
            ctx.params()
                .req("RoleArn")
                .map_err(HandlerError::from)
                .and_then(|arn| assume_role(ctx, arn))
                .map_err(|e| e.resolve(ctx)),
        ),
        _ => None,
    }
}

/// GetCallerIdentity: who signed. Needs no permission, as in STS.
fn get_caller_identity(ctx: &Ctx<'_>) -> Map<String, Value> {
    let who = ctx.who();
    let mut out = Map::new();
    out.insert("AccountId".into(), json!(who.account_id));
    out.insert("Arn".into(), json!(who.principal_arn()));
    match &who.identity {
        Identity::User { user_id, .. } => {
            out.insert("IdentityType".into(), json!("RAMUser"));
            out.insert("PrincipalId".into(), json!(user_id));
            out.insert("UserId".into(), json!(user_id));
        }
        Identity::RoleSession {
            role_id, session_name, ..
        } => {
            out.insert("IdentityType".into(), json!("AssumedRoleUser"));
            out.insert("PrincipalId".into(), json!(format!("{role_id}:{session_name}")));
            out.insert("RoleId".into(), json!(role_id));
        }
        _ => {}
    }
    out
}

/// AssumeRole: the caller's identity policies must allow `sts:AssumeRole` on the role ARN
/// (checked here, under the enforcement mode) and the role's trust policy must trust the
/// caller (checked by [`ram_sts::Sts::assume_role`], which also re-checks the identity side, so a
/// role can never be assumed against its trust policy whatever the mode).
#[require(action = "sts:AssumeRole", resource = role_arn)]
fn assume_role(ctx: &Ctx<'_>, role_arn: &str) -> Result<Map<String, Value>, HandlerError> {
    let p = ctx.params();
    let mut req = AssumeRoleRequest::new(role_arn, p.req("RoleSessionName")?).context(ctx.context().clone());
    if let Some(d) = p.get("DurationSeconds") {
        let seconds = d.parse::<u64>().map_err(|_| {
            ApiError::invalid(
                "DurationSeconds",
                format!("DurationSeconds must be a number of seconds, found {d:?}"),
            )
        })?;
        req = req.duration_seconds(seconds);
    }
    if let Some(policy) = p.get("Policy") {
        req = req.policy(policy);
    }
    if let Some(external_id) = p.get("ExternalId") {
        req = req.external_id(external_id);
    }
    let who = ctx.who();
    let caller = match &who.identity {
        Identity::User { user_name, .. } => StsCaller::User {
            name: user_name,
            access_key_id: Some(&who.access_key_id),
        },
        Identity::RoleSession { .. } => StsCaller::RoleSession {
            security_token: ctx
                .security_token()
                .ok_or_else(|| ApiError::new(400, "MissingSecurityToken", "the security token is missing"))?,
            access_key_id: Some(&who.access_key_id),
        },
        _ => return Err(ApiError::new(403, "NoPermission", "this caller cannot assume roles").into()),
    };
    let resp = ctx
        .app()
        .sts()
        .assume_role(&caller, &req, ctx.now())
        .map_err(|e| sts_error(ctx, &e))?;
    let c = &resp.credentials;
    let mut out = Map::new();
    out.insert(
        "Credentials".into(),
        json!({
            "AccessKeyId": c.access_key_id,
            "AccessKeySecret": c.access_key_secret,
            "SecurityToken": c.security_token,
            "Expiration": c.expiration,
        }),
    );
    out.insert(
        "AssumedRoleUser".into(),
        json!({
            "Arn": resp.assumed_role_user.arn,
            "AssumedRoleId": resp.assumed_role_user.assumed_role_id,
        }),
    );
    Ok(out)
}

/// An STS error as the API answers it.
fn sts_error(ctx: &Ctx<'_>, e: &StsError) -> ApiError {
    let code = e.code();
    let status = match e.kind() {
        ErrorKind::Authentication if code == "InvalidAccessKeyId.NotFound" => 404,
        ErrorKind::Authentication | ErrorKind::InvalidParameter => 400,
        ErrorKind::NotFound => 404,
        ErrorKind::Denied => 403,
        _ => 500,
    };
    let mut err = ApiError::new(status, code, e.to_string());
    if let Some(decision) = e.no_permission_type() {
        let who = ctx.principal();
        err.detail = Some(Box::new(json!({
            "AuthAction": "sts:AssumeRole",
            "AuthPrincipalType": who.kind,
            "AuthPrincipalOwnerId": who.owner_id,
            "AuthPrincipalDisplayName": who.display_name,
            "NoPermissionType": if decision == Decision::ExplicitDeny { "ExplicitDeny" } else { "ImplicitDeny" },
            "PolicyType": "AssumeRolePolicy",
        })));
    }
    err
}
