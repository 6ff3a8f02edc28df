//! `ram-sts`: STS `AssumeRole` and self-contained temporary credentials for `ram`
//! (spec section 5).
//!
//! A RAM user, a role session (role chaining) or a cloud service assumes a role of a
//! `ram-core` directory for 15 minutes to 12 hours, optionally narrowed by a session policy,
//! and gets temporary credentials: an `STS.…` AccessKeyId, an AccessKeySecret and a
//! `RAMSTS1.…` SecurityToken. The token is self-contained and signed (HMAC-SHA256, or
//! Ed25519 so that verifiers hold only public keys), so any replica holding the keys verifies
//! it without shared session state; the secret is derived from the token under the key, so a
//! verifier recomputes it. Permissions are looked up live at every check.
//!
//! - [`key`]: signing keys with key ids, rotation and retirement ([`KeyRing`]);
//! - [`token`]: the claims and their canonical encoding;
//! - [`verify`]: verification with distinct errors, and a bounded cache ([`Verifier`]);
//! - [`Sts`]: AssumeRole, GetCallerIdentity, authenticating role sessions for checks.
//!
//! ```
//! use std::sync::Arc;
//! use ram_core::authorizer::Authorizer;
//! use ram_core::directory::{Change, Directory};
//! use ram_sts::key::{Algorithm, KeyRing};
//! use ram_sts::{AssumeRoleRequest, Sts, StsCaller, StsError};
//!
//! let now: jiff::Timestamp = "2024-05-01T12:00:00Z".parse()?;
//! let auth = Arc::new(Authorizer::new(Directory::new("123456789012")?));
//! auth.apply(&[Change::CreateRole { name: "ecs-worker".into(), max_session_duration: None, trust_policy:
//!     r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}}]}"#.into() }])?;
//! let sts = Sts::new(auth, KeyRing::generate(Algorithm::Ed25519, now)?);
//!
//! let arn = "acs:ram::123456789012:role/ecs-worker";
//! let ok = sts.assume_role(&StsCaller::Service("ecs.aliyuncs.com"), &AssumeRoleRequest::new(arn, "i-123"), now)?;
//! assert!(ok.credentials.access_key_id.starts_with("STS."));
//! assert!(ok.credentials.security_token.starts_with("RAMSTS1."));
//!
//! let root = sts.assume_role(&StsCaller::Root, &AssumeRoleRequest::new(arn, "x1"), now).unwrap_err();
//! assert_eq!((root.code(), root.to_string().as_str()), ("NoPermission", "Roles may not be assumed by root accounts."));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Serving a request made with temporary credentials
//!
//! A server verifies the token first, then the request signature made with the temporary
//! secret (recomputed from the token: no session store), then decides the request as the
//! role session:
//!
//! ```
//! # use std::sync::Arc;
//! # use ram_core::authorizer::Authorizer;
//! # use ram_core::directory::{Change, Directory, PolicyTarget};
//! # use ram_sts::key::{Algorithm, KeyRing};
//! # use ram_sts::{AssumeRoleRequest, Sts, StsCaller};
//! use ram_core::{Decision, Request, RequestContext};
//! # let now: jiff::Timestamp = "2024-05-01T12:00:00Z".parse()?;
//! # let auth = Arc::new(Authorizer::new(Directory::new("123456789012")?));
//! # auth.apply(&[Change::CreateRole { name: "ecs-worker".into(), max_session_duration: None, trust_policy:
//! #     r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}}]}"#.into() },
//! #     Change::AttachPolicy { target: PolicyTarget::Role("ecs-worker".into()), policy_type: None, policy: "AliyunOSSReadOnlyAccess".into() }])?;
//! # let sts = Sts::new(auth, KeyRing::generate(Algorithm::HmacSha256, now)?);
//! # let arn = "acs:ram::123456789012:role/ecs-worker";
//! # let creds = sts.assume_role(&StsCaller::Service("ecs.aliyuncs.com"), &AssumeRoleRequest::new(arn, "i-123"), now)?.credentials;
//! // The client sent its token and AccessKeyId, and signed the request with its secret.
//! let session = sts.authenticate(&creds.security_token, Some(&creds.access_key_id), now)?;
//! let secret = sts.verifier().access_key_secret(session.token())?;
//! assert_eq!(secret, creds.access_key_secret); // check the request signature with it
//! let ctx = RequestContext::new();
//! let req = Request::new("oss:GetObject", "acs:oss:*:123456789012:bucket/a", &ctx);
//! assert_eq!(session.check(&req)?, Decision::Allow);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod assume;
mod error;
pub mod key;
pub mod token;
pub mod verify;
mod web;

pub use assume::{
    AssumeRoleRequest, AssumeRoleResponse, AssumedRoleUser, CallerIdentity, Credentials, DEFAULT_DURATION_SECONDS,
    EXTERNAL_ID_KEY, MAX_DURATION_SECONDS, MIN_DURATION_SECONDS, RoleSession, Sts, StsCaller,
};
pub use error::{ErrorKind, StsError};
pub use key::{Algorithm, KeyRing};
pub use verify::{MintedCredentials, VerifiedToken, Verifier};
