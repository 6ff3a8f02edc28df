//! [`ApiError`]: the error a handler returns, rendered as Alibaba Cloud's JSON error body.
//!
//! `#[require]` turns a failed check into the handler's error type with
//! `From<ram_core::Denied>`; `axum::response::IntoResponse` cannot be implemented for
//! `Denied` here (both are foreign to this crate), so handlers return `Result<_, ApiError>`
//! and [`ApiError`] does both. The codes and statuses are the gateway's:
//!
//! | Cause | `Code` | HTTP |
//! | --- | --- | --- |
//! | the policies do not allow it | `NoPermission` (with `AccessDeniedDetail`) | 403 |
//! | unknown (or someone else's) access key | `InvalidAccessKeyId.NotFound` | 404 |
//! | disabled access key | `InvalidAccessKeyId.Inactive` | 400 |
//! | wrong signature | `SignatureDoesNotMatch` | 400 |
//! | bad STS token | `InvalidSecurityToken.*` | 400 |
//! | no credentials at all | `MissingSignature` | 401 |
//!
//! The `RequestId` is the request's own when the error passes back through
//! `ram_web::axum::AuthLayer` (which re-renders it with its
//! [`RequestInfo`](crate::RequestInfo)), or one set with [`ApiError::with_request_id`].

use std::borrow::Cow;

use ram_core::authorizer::AuthError;
use ram_core::decision::{Decision, Source};
use ram_core::directory::SessionError;
use ram_core::guard::{Denied, DeniedKind};

use crate::error::{AuthenticationError, error_body, new_request_id};

/// The message Alibaba Cloud gives for `NoPermission`.
pub const NO_PERMISSION_MESSAGE: &str = "You are not authorized to do this action. You should be authorized by RAM.";

/// An error response: status, `Code`, `Message`, and for a denial the `AccessDeniedDetail`.
///
/// ```
/// use ram_core::Decision;
/// use ram_core::guard::Denied;
/// use ram_web::ApiError;
///
/// let denied = Denied::forbidden("oss:PutObject", "acs:oss:*:123456789012:photos/a.jpg", Decision::ImplicitDeny, None);
/// let e = ApiError::from(denied).with_request_id("04F0F334-1335-436C-A1D7-6C044FE73368");
/// assert_eq!((e.status(), e.code()), (403, "NoPermission"));
/// let body: serde_json::Value = serde_json::from_str(&e.to_json("oss.example")).unwrap();
/// assert_eq!(body["RequestId"], "04F0F334-1335-436C-A1D7-6C044FE73368");
/// assert_eq!(body["AccessDeniedDetail"]["NoPermissionType"], "ImplicitDeny");
/// assert_eq!(body["AccessDeniedDetail"]["AuthAction"], "oss:PutObject");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    status: u16,
    code: Cow<'static, str>,
    message: String,
    // Boxed: only denials carry it, and it keeps `Result<_, ApiError>` small.
    detail: Option<Box<AccessDeniedDetail>>,
    request_id: Option<String>,
}

/// The `AccessDeniedDetail` object of a `NoPermission` error (the fields this server knows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessDeniedDetail {
    /// `AuthAction`: the action that was refused.
    pub auth_action: String,
    /// `NoPermissionType`: `ImplicitDeny` or `ExplicitDeny`.
    pub no_permission_type: &'static str,
    /// `PolicyType` of the deciding statement, when one decided (an explicit deny).
    pub policy_type: Option<&'static str>,
}

impl ApiError {
    /// Any status, code and message (for the application's own errors, e.g. `NoSuchKey`).
    ///
    /// ```
    /// let e = ram_web::ApiError::new(404, "NoSuchBucket", "The specified bucket does not exist.");
    /// assert_eq!(e.message(), "The specified bucket does not exist.");
    /// ```
    pub fn new(status: u16, code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
            detail: None,
            request_id: None,
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Alibaba Cloud's error code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The `Message`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The `AccessDeniedDetail` of a `NoPermission` error.
    pub fn access_denied_detail(&self) -> Option<&AccessDeniedDetail> {
        self.detail.as_deref()
    }

    /// The `RequestId` set so far, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Sets the `RequestId` (the layer sets the request's own; an explicit one wins).
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> ApiError {
        self.request_id = Some(request_id.into());
        self
    }

    /// The JSON body: `RequestId`, `HostId`, `Code`, `Message` and, for a denial,
    /// `AccessDeniedDetail`. Without a `RequestId` set, a fresh one.
    pub fn to_json(&self, host_id: &str) -> String {
        let fresh;
        let request_id = match &self.request_id {
            Some(id) => id.as_str(),
            None => {
                fresh = new_request_id();
                fresh.as_str()
            }
        };
        // The gateway's key order (RequestId, HostId, Code, Message), then the detail.
        let mut body = error_body(request_id, host_id, &self.code, &self.message);
        if let Some(d) = &self.detail {
            let q = |s: &str| serde_json::Value::from(s).to_string();
            body.pop(); // the closing brace
            body.push_str(&format!(
                ",\"AccessDeniedDetail\":{{\"AuthAction\":{},\"NoPermissionType\":{}",
                q(&d.auth_action),
                q(d.no_permission_type)
            ));
            if let Some(p) = d.policy_type {
                body.push_str(&format!(",\"PolicyType\":{}", q(p)));
            }
            body.push_str("}}");
        }
        body
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

/// `PolicyType` as the gateway names where a deciding policy came from.
fn policy_type(source: &Source) -> &'static str {
    match source {
        Source::Session => "SessionPolicy",
        Source::Guardrail => "ControlPolicy",
        _ => "AccountLevelIdentityBasedPolicy",
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> ApiError {
        match denied.kind() {
            DeniedKind::Forbidden => ApiError {
                status: 403,
                code: Cow::Borrowed("NoPermission"),
                message: NO_PERMISSION_MESSAGE.to_owned(),
                detail: Some(Box::new(AccessDeniedDetail {
                    auth_action: denied.action().to_owned(),
                    no_permission_type: match denied.decision() {
                        Some(Decision::ExplicitDeny) => "ExplicitDeny",
                        _ => "ImplicitDeny",
                    },
                    policy_type: denied.statement().map(|s| policy_type(&s.source)),
                })),
                request_id: None,
            },
            // `DeniedKind` is non-exhaustive: anything else is a failed authentication.
            _ => match denied.auth_error() {
                Some(AuthError::UnknownAccessKey | AuthError::ForeignAccessKey) => {
                    ApiError::from(AuthenticationError::AccessKeyNotFound)
                }
                Some(AuthError::InactiveAccessKey) => ApiError::from(AuthenticationError::AccessKeyInactive),
                Some(e @ (AuthError::UnknownUser(_) | AuthError::UnknownRole(_))) => {
                    // The caller authenticated a moment ago and was deleted since.
                    ApiError::new(404, e.code(), e.to_string())
                }
                Some(e) => ApiError::new(400, e.code(), e.to_string()),
                None => ApiError::new(
                    401,
                    "MissingSignature",
                    "the request carries no credentials: sign it with an access key or log in",
                ),
            },
        }
    }
}

impl From<AuthenticationError> for ApiError {
    fn from(e: AuthenticationError) -> ApiError {
        ApiError::new(e.status(), e.code(), e.to_string())
    }
}

impl From<SessionError> for ApiError {
    /// A console session cookie that does not verify: 401 with its `InvalidConsoleSession.*` code.
    fn from(e: SessionError) -> ApiError {
        ApiError::new(401, e.code(), e.to_string())
    }
}

#[cfg(feature = "axum")]
mod response {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::{IntoResponse, Response};

    use super::ApiError;
    use crate::axum::JSON_CONTENT_TYPE;

    impl IntoResponse for ApiError {
        /// The JSON body with `HostId` "ram". The error rides along in the response's
        /// extensions so that `ram_web::axum::AuthLayer` can render it again
        /// with the request's own `RequestId` and `HostId`.
        fn into_response(self) -> Response {
            let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
            let body = self.to_json("ram");
            let mut response = (
                status,
                [(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE))],
                body,
            )
                .into_response();
            response.extensions_mut().insert(self);
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::TokenError;

    #[test]
    fn denials_map_to_gateway_codes() {
        let cases = [
            (
                Denied::forbidden("oss:GetObject", "arn", Decision::ExplicitDeny, None),
                403,
                "NoPermission",
            ),
            (
                Denied::unauthenticated("oss:GetObject", "arn", Some(AuthError::UnknownAccessKey)),
                404,
                "InvalidAccessKeyId.NotFound",
            ),
            (
                Denied::unauthenticated("oss:GetObject", "arn", Some(AuthError::InactiveAccessKey)),
                400,
                "InvalidAccessKeyId.Inactive",
            ),
            (
                Denied::unauthenticated("oss:GetObject", "arn", None),
                401,
                "MissingSignature",
            ),
        ];
        for (denied, status, code) in cases {
            let e = ApiError::from(denied);
            assert_eq!((e.status(), e.code()), (status, code));
        }
        let explicit = ApiError::from(Denied::forbidden("oss:GetObject", "arn", Decision::ExplicitDeny, None));
        assert_eq!(
            explicit.access_denied_detail().unwrap().no_permission_type,
            "ExplicitDeny"
        );
    }

    #[test]
    fn authentication_errors_keep_their_codes() {
        let e = ApiError::from(AuthenticationError::SignatureDoesNotMatch { string_to_sign: None });
        assert_eq!((e.status(), e.code()), (400, "SignatureDoesNotMatch"));
        let e = ApiError::from(AuthenticationError::SecurityToken(TokenError::Expired));
        assert_eq!((e.status(), e.code()), (400, "InvalidSecurityToken.Expired"));
    }

    #[test]
    fn body_has_no_detail_unless_denied() {
        let v: serde_json::Value = serde_json::from_str(
            &ApiError::new(404, "NoSuchKey", "gone")
                .with_request_id("R")
                .to_json("h"),
        )
        .unwrap();
        assert_eq!(v["RequestId"], "R");
        assert_eq!(v["HostId"], "h");
        assert!(v.get("AccessDeniedDetail").is_none());
    }

    #[test]
    fn body_keeps_the_gateway_key_order() {
        let denied = Denied::forbidden("oss:GetObject", "a\"rn", Decision::ImplicitDeny, None);
        let body = ApiError::from(denied).with_request_id("R").to_json("h");
        assert_eq!(
            body,
            r#"{"RequestId":"R","HostId":"h","Code":"NoPermission","Message":"You are not authorized to do this action. You should be authorized by RAM.","AccessDeniedDetail":{"AuthAction":"oss:GetObject","NoPermissionType":"ImplicitDeny"}}"#
        );
        assert!(serde_json::from_str::<serde_json::Value>(&body).is_ok());
    }
}
