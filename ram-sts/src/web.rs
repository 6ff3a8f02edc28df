//! `ram-web`'s [`TokenVerifier`] seam, implemented by [`Verifier`]: a server's
//! [`Authenticator`](ram_web::Authenticator) verifies the `STS.…` credentials of a signed
//! request with it, then checks the request signature with the AccessKeySecret the token
//! yields (recomputed from the token, never stored).
//!
//! ```
//! use std::sync::Arc;
//! use ram_sts::Verifier;
//! use ram_sts::key::{Algorithm, KeyRing};
//!
//! let verifier = Arc::new(Verifier::new(KeyRing::generate(Algorithm::HmacSha256, jiff::Timestamp::UNIX_EPOCH)?));
//! let authn = ram_web::Authenticator::new().with_token_verifier(verifier);
//! # let _ = authn;
//! # Ok::<(), ram_sts::StsError>(())
//! ```

use jiff::Timestamp;
use ram_core::authorizer::Snapshot;
use ram_web::{Secret, TokenError, TokenSession, TokenVerifier};

use crate::{StsError, Verifier};

impl TokenVerifier for Verifier {
    /// Verifies the token (cached), that `access_key_id` is its AccessKeyId, and that the
    /// session is still live in `snapshot` (role, trust policy, revocations); derives the
    /// secret. `Expired` and `MismatchWithAccessKey` map to ram-web's own variants, a token
    /// not yet valid or a revoked session to `Refused` with its `InvalidSecurityToken.*`
    /// code, every other refusal (role gone included) to `Malformed` with its reason.
    fn verify(
        &self,
        snapshot: &Snapshot,
        access_key_id: &str,
        token: &str,
        now: Timestamp,
    ) -> Result<TokenSession, TokenError> {
        let verified = Verifier::verify(self, token, Some(access_key_id), now).map_err(token_error)?;
        let c = verified.claims();
        crate::assume::check_live(snapshot, c).map_err(token_error)?;
        let secret = self.access_key_secret(&verified).map_err(token_error)?;
        Ok(TokenSession {
            access_key_secret: Secret::new(secret),
            role_name: c.role_name.clone(),
            role_id: c.role_id.clone(),
            session_name: c.session_name.clone(),
            session_policy: verified.session_policy_shared().cloned(),
            expiration: c.expiration(),
            // AssumeRole's SourceIdentity parameter, which this STS does not take; the ARN
            // of the caller that assumed the role is in the claims.
            source_identity: None,
        })
    }
}

fn token_error(e: StsError) -> TokenError {
    match e {
        StsError::Expired { .. } => TokenError::Expired,
        StsError::MismatchWithAccessKey => TokenError::MismatchWithAccessKey,
        // Not yet valid and revoked sessions keep their own `InvalidSecurityToken.*` codes.
        e @ (StsError::NotYetValid { .. } | StsError::Revoked(_)) => TokenError::Refused {
            code: e.code(),
            message: e.to_string(),
        },
        other => TokenError::Malformed(other.to_string()),
    }
}
