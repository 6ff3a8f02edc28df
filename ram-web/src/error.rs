//! Authentication failures, with Alibaba Cloud's error code, HTTP status and JSON body.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::replay::ReplayError;
use crate::signature::v3::AuthorizationError;
use crate::token::TokenError;

/// Why a request could not be authenticated. Never a policy decision: a request that fails
/// here was not evaluated.
///
/// [`code`](AuthenticationError::code) and [`status`](AuthenticationError::status) are the
/// values Alibaba Cloud's gateway uses, so the SDKs raise the exception their users expect
/// (`ClientException` with `.code == "SignatureDoesNotMatch"`, ...); the `Display` text is the
/// `Message` and says precisely what is wrong without ever quoting a secret.
///
/// ```
/// use ram_web::AuthenticationError;
///
/// let e = AuthenticationError::AccessKeyNotFound;
/// assert_eq!((e.code(), e.status()), ("InvalidAccessKeyId.NotFound", 404));
/// let body = e.to_json("04F0F334-1335-436C-A1D7-6C044FE73368", "sts.aliyuncs.com");
/// let v: serde_json::Value = serde_json::from_str(&body).unwrap();
/// assert_eq!(v["Code"], "InvalidAccessKeyId.NotFound");
/// assert_eq!(v["RequestId"], "04F0F334-1335-436C-A1D7-6C044FE73368");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthenticationError {
    /// Neither an `Authorization` header nor a `Signature` parameter.
    #[error("the request is not signed: it has no Authorization header and no Signature parameter")]
    MissingSignature,
    /// A required parameter or header is absent.
    #[error("the request has no {what}")]
    Missing {
        /// The `Missing{Name}` code.
        code: &'static str,
        /// What is missing, as the client would name it.
        what: &'static str,
    },
    /// A security-relevant parameter appears more than once.
    #[error("the parameter {0} appears more than once")]
    DuplicateParameter(&'static str),
    /// A parameter or header that must be text is not UTF-8.
    #[error("the {0} is not valid UTF-8")]
    NotUtf8(&'static str),
    /// The `Authorization` header cannot be used.
    #[error("{0}")]
    Authorization(#[from] AuthorizationError),
    /// V1 `SignatureMethod` other than `HMAC-SHA1`.
    #[error("the SignatureMethod {0:?} is not supported; use HMAC-SHA1")]
    UnsupportedSignatureMethod(String),
    /// V1 `SignatureVersion` other than `1.0`.
    #[error("the SignatureVersion {0:?} is not supported; use 1.0")]
    UnsupportedSignatureVersion(String),
    /// A header that changes the request's meaning is present but not signed.
    #[error("the header {0} is present but not listed in SignedHeaders")]
    UnsignedHeader(&'static str),
    /// SignedHeaders names a header the request does not have.
    #[error("the header {0:?} is listed in SignedHeaders but absent from the request")]
    MissingSignedHeader(String),
    /// `x-acs-accesskey-id` names another key than `Credential`.
    #[error("the x-acs-accesskey-id header does not match the Credential of the Authorization header")]
    AccessKeyIdMismatch,
    /// `x-acs-content-sha256` is not 64 hex digits.
    #[error("the x-acs-content-sha256 header is not 64 hexadecimal digits")]
    MalformedContentSha256,
    /// `x-acs-content-sha256` is not the SHA-256 of the body received.
    #[error("the x-acs-content-sha256 header does not match the SHA-256 of the request body")]
    ContentSha256Mismatch,
    /// V1 `Signature` is not the Base64 of 20 bytes.
    #[error("the Signature parameter is not the Base64 encoding of a 20-byte HMAC-SHA1")]
    MalformedSignature,
    /// No such access key.
    #[error("Specified access key is not found.")]
    AccessKeyNotFound,
    /// The access key is disabled.
    #[error("Specified access key is disabled.")]
    AccessKeyInactive,
    /// The signature is wrong. Carries the server's string to sign (request data only, and
    /// never when the request holds a security token) so a client can compare.
    #[error("Specified signature is not matched with our calculation.{}", server_string(.string_to_sign))]
    SignatureDoesNotMatch {
        /// What the server signed, when it is safe to show.
        string_to_sign: Option<String>,
    },
    /// The timestamp does not parse.
    #[error("the timestamp {0:?} is not in the format YYYY-MM-DDThh:mm:ssZ")]
    TimestampFormat(String),
    /// The timestamp is outside the window, the nonce reused, or the cache full.
    #[error("{0}")]
    Replay(#[from] ReplayError),
    /// An STS key pair without its token.
    #[error("SecurityToken is mandatory for this action.")]
    MissingSecurityToken,
    /// The token failed verification.
    #[error("{0}")]
    SecurityToken(#[from] TokenError),
    /// A token was sent, and this server has no [`TokenVerifier`](crate::TokenVerifier).
    #[error("this endpoint does not accept STS security tokens")]
    TokensNotAccepted,
    /// The body exceeds the configured limit.
    #[error("the request body exceeds {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body could not be read.
    #[error("the request body could not be read")]
    BodyUnreadable,
    /// The authentication layer was not installed in front of a handler that needs it.
    #[error("the request did not pass through the authentication layer")]
    NotAuthenticated,
}

fn server_string(sts: &Option<String>) -> String {
    match sts {
        Some(s) => format!(" server string to sign is:{s}"),
        None => String::new(),
    }
}

impl AuthenticationError {
    /// Alibaba Cloud's error code.
    pub fn code(&self) -> &'static str {
        use AuthenticationError as E;
        match self {
            E::MissingSignature => "MissingSignature",
            E::Missing { code, .. } => code,
            E::DuplicateParameter(_) | E::NotUtf8(_) => "InvalidParameter",
            E::Authorization(AuthorizationError::UnsupportedAlgorithm(_))
            | E::UnsupportedSignatureMethod(_)
            | E::UnsupportedSignatureVersion(_) => "InvalidSignatureMethod",
            E::Authorization(_)
            | E::UnsignedHeader(_)
            | E::MissingSignedHeader(_)
            | E::AccessKeyIdMismatch
            | E::MalformedContentSha256
            | E::MalformedSignature => "IncompleteSignature",
            E::AccessKeyNotFound => "InvalidAccessKeyId.NotFound",
            E::AccessKeyInactive => "InvalidAccessKeyId.Inactive",
            E::SignatureDoesNotMatch { .. } | E::ContentSha256Mismatch => "SignatureDoesNotMatch",
            E::TimestampFormat(_) => "InvalidTimeStamp.Format",
            E::Replay(ReplayError::Expired { .. }) => "InvalidTimeStamp.Expired",
            E::Replay(ReplayError::NonceUsed) => "SignatureNonceUsed",
            E::Replay(ReplayError::InvalidNonce) => "InvalidParameter",
            E::Replay(ReplayError::CacheFull) => "ServiceUnavailable",
            E::MissingSecurityToken => "MissingSecurityToken",
            E::SecurityToken(t) => t.code(),
            E::TokensNotAccepted => "InvalidSecurityToken.Malformed",
            E::BodyTooLarge { .. } => "RequestEntityTooLarge",
            E::BodyUnreadable => "InvalidParameter",
            E::NotAuthenticated => "InternalError",
        }
    }

    /// The HTTP status Alibaba Cloud answers with.
    pub fn status(&self) -> u16 {
        use AuthenticationError as E;
        match self {
            E::AccessKeyNotFound => 404,
            E::Replay(ReplayError::CacheFull) => 503,
            E::BodyTooLarge { .. } => 413,
            E::NotAuthenticated => 500,
            _ => 400,
        }
    }

    /// The JSON error body `{"RequestId","HostId","Code","Message"}` the SDKs parse.
    pub fn to_json(&self, request_id: &str, host_id: &str) -> String {
        error_body(request_id, host_id, self.code(), &self.to_string())
    }
}

/// Alibaba Cloud's JSON error body for any code and message.
///
/// ```
/// let body = ram_web::error::error_body("R", "h", "NoPermission", "You are not authorized");
/// assert_eq!(body, r#"{"RequestId":"R","HostId":"h","Code":"NoPermission","Message":"You are not authorized"}"#);
/// ```
pub fn error_body(request_id: &str, host_id: &str, code: &str, message: &str) -> String {
    // Built by hand to keep the documented key order; serde_json escapes the strings.
    let q = |s: &str| serde_json::Value::from(s).to_string();
    format!(
        "{{\"RequestId\":{},\"HostId\":{},\"Code\":{},\"Message\":{}}}",
        q(request_id),
        q(host_id),
        q(code),
        q(message)
    )
}

/// A fresh request id in Alibaba Cloud's shape: an upper-case UUID v4
/// (`04F0F334-1335-436C-A1D7-6C044FE73368`).
///
/// ```
/// let id = ram_web::new_request_id();
/// assert_eq!(id.len(), 36);
/// assert_eq!(id.as_bytes()[14], b'4');
/// assert_ne!(id, ram_web::new_request_id());
/// ```
pub fn new_request_id() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        // A request id need only be unique, not secret: fall back to time and a counter
        // rather than fail the request.
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = jiff::Timestamp::now().as_nanosecond() as u64;
        b[..8].copy_from_slice(&nanos.to_be_bytes());
        b[8..].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_be_bytes());
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode_upper(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses() {
        use AuthenticationError as E;
        let cases: Vec<(E, &str, u16)> = vec![
            (E::MissingSignature, "MissingSignature", 400),
            (E::AccessKeyNotFound, "InvalidAccessKeyId.NotFound", 404),
            (E::AccessKeyInactive, "InvalidAccessKeyId.Inactive", 400),
            (
                E::SignatureDoesNotMatch { string_to_sign: None },
                "SignatureDoesNotMatch",
                400,
            ),
            (E::ContentSha256Mismatch, "SignatureDoesNotMatch", 400),
            (E::TimestampFormat("x".into()), "InvalidTimeStamp.Format", 400),
            (E::Replay(ReplayError::NonceUsed), "SignatureNonceUsed", 400),
            (E::Replay(ReplayError::CacheFull), "ServiceUnavailable", 503),
            (E::MissingSecurityToken, "MissingSecurityToken", 400),
            (
                E::SecurityToken(TokenError::Expired),
                "InvalidSecurityToken.Expired",
                400,
            ),
            (
                E::SecurityToken(TokenError::MismatchWithAccessKey),
                "InvalidSecurityToken.MismatchWithAccessKey",
                400,
            ),
            (
                E::SecurityToken(TokenError::Malformed("x".into())),
                "InvalidSecurityToken.Malformed",
                400,
            ),
            (
                E::Authorization(AuthorizationError::UnsupportedAlgorithm("ACS3-HMAC-SM3".into())),
                "InvalidSignatureMethod",
                400,
            ),
            (
                E::Authorization(AuthorizationError::MalformedSignature),
                "IncompleteSignature",
                400,
            ),
            (E::UnsignedHeader("x-acs-action"), "IncompleteSignature", 400),
            (
                E::Missing {
                    code: "MissingTimestamp",
                    what: "Timestamp parameter",
                },
                "MissingTimestamp",
                400,
            ),
        ];
        for (e, code, status) in cases {
            assert_eq!((e.code(), e.status()), (code, status), "{e:?}");
            assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn signature_message_carries_the_string_to_sign() {
        let e = AuthenticationError::SignatureDoesNotMatch {
            string_to_sign: Some("GET&%2F&A%3D1".into()),
        };
        assert_eq!(
            e.to_string(),
            "Specified signature is not matched with our calculation. server string to sign is:GET&%2F&A%3D1"
        );
    }

    #[test]
    fn json_body_escapes() {
        let body = error_body("r\"", "h", "C", "line\nbreak");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["RequestId"], "r\"");
        assert_eq!(v["Message"], "line\nbreak");
    }
}
