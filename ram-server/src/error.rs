//! API errors: Alibaba Cloud's code, HTTP status and JSON body.

use ram_core::Decision;
use ram_core::decision::Source;
use ram_core::directory::DirectoryError;
use ram_core::guard::{Denied, DeniedKind};
use ram_core::store::CommitError;
use serde_json::{Map, Value, json};

/// A failed call, rendered as `{"RequestId","HostId","Code","Message"}` (plus
/// `AccessDeniedDetail` for `NoPermission`) with its HTTP status.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Alibaba Cloud's error code.
    pub code: String,
    /// What went wrong (never a secret).
    pub message: String,
    /// `AccessDeniedDetail`, for `NoPermission` (boxed: errors stay small on the `Result`
    /// paths of every handler).
    pub detail: Option<Box<Value>>,
}

impl ApiError {
    /// An error with no detail.
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
            detail: None,
        }
    }

    /// `Missing<Name>` (400): a required parameter is absent or empty.
    pub fn missing(name: &str) -> ApiError {
        ApiError::new(
            400,
            format!("Missing{name}"),
            format!("{name} is mandatory for this action."),
        )
    }

    /// `InvalidParameter.<Name>` (400).
    pub fn invalid(name: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(400, format!("InvalidParameter.{name}"), message)
    }

    /// `InvalidApi.NotFound` (404): an action this server does not serve.
    pub fn not_found_api(action: &str, version: &str) -> ApiError {
        ApiError::new(
            404,
            "InvalidApi.NotFound",
            format!(
                "Specified api is not found, please check your url and method. (Action {action:?}, Version {version:?})"
            ),
        )
    }

    /// `InternalError` (500).
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, "InternalError", message)
    }

    /// The JSON body.
    pub fn body(&self, request_id: &str, host_id: &str) -> String {
        let base = ram_web::error::error_body(request_id, host_id, &self.code, &self.message);
        match &self.detail {
            None => base,
            Some(detail) => {
                // error_body keeps the documented key order; the detail goes last.
                let mut text = base;
                text.pop();
                text.push_str(",\"AccessDeniedDetail\":");
                text.push_str(&detail.to_string());
                text.push('}');
                text
            }
        }
    }
}

/// The HTTP status RAM answers a directory error with (ram-facts 5.7).
pub fn directory_status(e: &DirectoryError) -> u16 {
    match e {
        DirectoryError::NotExist { .. } => 404,
        DirectoryError::AlreadyExists { .. }
        | DirectoryError::DeleteConflict { .. }
        | DirectoryError::LimitExceeded { .. } => 409,
        _ => 400,
    }
}

impl From<DirectoryError> for ApiError {
    fn from(e: DirectoryError) -> ApiError {
        ApiError::new(directory_status(&e), e.code(), e.to_string())
    }
}

impl From<CommitError> for ApiError {
    fn from(e: CommitError) -> ApiError {
        match e {
            CommitError::Directory(d) => d.into(),
            // The batch was not persisted, so it was not applied either.
            CommitError::Store(s) => ApiError::internal(format!("the state file could not be written: {s}")),
        }
    }
}

/// Who was refused, for `AccessDeniedDetail`.
#[derive(Clone, Debug)]
pub struct Principal {
    /// `SubUser` or `AssumedRoleUser`.
    pub kind: &'static str,
    /// The account id.
    pub owner_id: String,
    /// The user name, or `<role>/<session>`.
    pub display_name: String,
}

/// A refused `#[require]` check as the API answers it: `NoPermission` (403) with
/// `AccessDeniedDetail`, or the authentication error when the caller no longer
/// authenticates (its key was deleted or disabled after the signature was checked).
pub fn denied(d: &Denied, who: &Principal) -> ApiError {
    match d.kind() {
        DeniedKind::Forbidden => {
            let explicit = d.decision() == Some(Decision::ExplicitDeny);
            let mut detail = Map::new();
            detail.insert("AuthAction".into(), json!(d.action()));
            detail.insert("AuthResource".into(), json!(d.resource()));
            detail.insert("AuthPrincipalType".into(), json!(who.kind));
            detail.insert("AuthPrincipalOwnerId".into(), json!(who.owner_id));
            detail.insert("AuthPrincipalDisplayName".into(), json!(who.display_name));
            detail.insert(
                "NoPermissionType".into(),
                json!(if explicit { "ExplicitDeny" } else { "ImplicitDeny" }),
            );
            if let Some(s) = d.statement() {
                let policy_type = match s.source {
                    Source::Session => "SessionPolicy",
                    Source::Guardrail => "ControlPolicy",
                    _ => "AccountLevelIdentityBasedPolicy",
                };
                detail.insert("PolicyType".into(), json!(policy_type));
            } else {
                detail.insert("PolicyType".into(), json!("AccountLevelIdentityBasedPolicy"));
            }
            ApiError {
                status: 403,
                code: "NoPermission".into(),
                message: format!(
                    "You are not authorized to do this action. You should be authorized by RAM. ({} on {})",
                    d.action(),
                    d.resource()
                ),
                detail: Some(Box::new(Value::Object(detail))),
            }
        }
        _ => match d.auth_error() {
            Some(e) => {
                let status = if e.code() == "InvalidAccessKeyId.NotFound" {
                    404
                } else {
                    400
                };
                ApiError::new(status, e.code(), e.to_string())
            }
            None => ApiError::new(401, "NotAuthenticated", "the request carries no valid credentials"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_goes_last_and_parses() {
        let mut e = ApiError::new(403, "NoPermission", "no \"way\"");
        e.detail = Some(Box::new(json!({"AuthAction": "ram:CreateUser"})));
        let v: Value = serde_json::from_str(&e.body("R", "h")).unwrap();
        assert_eq!(v["Code"], "NoPermission");
        assert_eq!(v["Message"], "no \"way\"");
        assert_eq!(v["AccessDeniedDetail"]["AuthAction"], "ram:CreateUser");
        assert_eq!(v["RequestId"], "R");
        assert_eq!(v["HostId"], "h");
    }

    #[test]
    fn directory_statuses() {
        let e = DirectoryError::NotExist {
            kind: ram_core::directory::EntityKind::User,
            name: "x".into(),
        };
        assert_eq!(ApiError::from(e).status, 404);
    }
}
