//! `ram-web`: authenticating Alibaba Cloud OpenAPI requests in Rust servers.
//!
//! Both the web integration (an axum service whose handlers are authorized by ram) and
//! `ram serve` (a local RAM/STS endpoint for Alibaba Cloud's own SDKs) must accept requests
//! signed exactly as the official SDKs sign them. This crate is that shared core: it turns a
//! request into an [`Authenticated`] caller, or into an [`AuthenticationError`] carrying
//! Alibaba Cloud's error code, HTTP status and JSON body.
//!
//! # Wire protocol choices
//!
//! - **Both signatures.** [`signature::v3`] (`ACS3-HMAC-SHA256`, `Authorization` header, the
//!   SDKs' default) and [`signature::v1`] (`HMAC-SHA1` `Signature` parameter, used by
//!   `signature_algorithm='v2'` and by the credentials library). A request with an
//!   `Authorization` header is V3; otherwise one with a `Signature` parameter is V1.
//! - **The client's SignedHeaders list**, not a fixed one: the Python SDK signs `accept`,
//!   `user-agent` and `host` too; others sign fewer. The headers that change a request's
//!   meaning (`x-acs-action`, `x-acs-version`, `x-acs-date`, `x-acs-signature-nonce`,
//!   `x-acs-content-sha256`, `x-acs-security-token`, `x-acs-accesskey-id`) must be signed
//!   when present.
//! - **`+` is a space** in the query before canonicalising (the wire uses `quote_plus`, the
//!   canonical form RFC 3986). For V1 the `quote_plus` canonical form is also accepted,
//!   because the credentials library signs that way.
//! - **The `Host` header is never checked**: a client may reach the server under any name
//!   (the credentials library sends `http://127.0.0.1:PORT` there). If the client signed it,
//!   its value is simply part of the canonical request.
//! - **The body is hashed by the server**, and `x-acs-content-sha256`, when sent, must agree.
//! - **Replay**: a 15-minute window either side of the server clock, and each nonce once per
//!   access key within that window ([`replay`]); nonces are recorded only after the
//!   signature verified.
//! - **STS tokens** are verified before the signature, by a [`TokenVerifier`] the STS crate
//!   provides; the token yields the temporary secret the signature is checked with.
//! - **Secrets** are compared in constant time and never appear in `Debug` output or error
//!   messages ([`Secret`]).
//!
//! # Example
//!
//! ```
//! use jiff::Timestamp;
//! use ram_core::authorizer::Authorizer;
//! use ram_core::directory::{Change, Directory};
//! use ram_web::{Authenticator, SignedRequest};
//!
//! let auth = Authorizer::new(Directory::new("123456789012")?);
//! let authn = Authenticator::new();
//! let now = Timestamp::now();
//! let request = SignedRequest::new("POST", "/", "").header("x-acs-action", b"GetCallerIdentity");
//! let err = authn.authenticate(&auth.snapshot(), &request, now).unwrap_err();
//! assert_eq!((err.code(), err.status()), ("MissingSignature", 400));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With the default `axum` feature, `ram_web::axum::AuthLayer` runs the
//! authenticator in front of a router and hands handlers the result.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api_error;
pub mod authenticator;
pub mod client_ip;
pub mod context;
pub mod encoding;
pub mod error;
pub mod replay;
pub mod request;
pub mod session;
pub mod signature;
pub mod signer;
pub mod token;

#[cfg(feature = "axum")]
pub mod axum;

pub use api_error::ApiError;
pub use authenticator::{Authenticated, Authenticator, Identity, RequestInfo, SignatureScheme};
pub use client_ip::ClientIpConfig;
pub use context::{Principal, RamContext, RamHandle, default_authorizer, set_default_authorizer};
pub use error::{AuthenticationError, new_request_id};
/// `#[require(action = "...", resource = "...")]`, re-exported from `ram-core` (the
/// generated code names `::ram_core`, so depend on `ram-core` with its `macros` feature too).
pub use ram_core::require;
pub use replay::ReplayGuard;
pub use request::SignedRequest;
pub use signature::Secret;
pub use token::{TokenError, TokenSession, TokenVerifier};
