//! STS (`2015-04-01`) handlers.

use ram_web::Identity;
use serde_json::{Map, Value, json};

use crate::Ctx;
use crate::error::ApiError;

/// Every STS action served.
pub const ACTIONS: &[&str] = &["GetCallerIdentity"];

/// Runs an STS action; `None` when it is not served.
pub(crate) fn dispatch(ctx: &Ctx<'_>, action: &str) -> Option<Result<Map<String, Value>, ApiError>> {
    match action {
        "GetCallerIdentity" => Some(Ok(get_caller_identity(ctx))),
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
