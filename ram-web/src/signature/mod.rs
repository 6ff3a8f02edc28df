//! The two request-signing schemes the Alibaba Cloud SDKs use, as pure functions.
//!
//! [`v3`] is `ACS3-HMAC-SHA256` (the SDKs' default: `Authorization` header, action and
//! version in `x-acs-*` headers); [`v1`] is the classic RPC `HMAC-SHA1` query signature
//! (`Signature` parameter; `signature_algorithm='v2'` in tea-openapi, and the credentials
//! library). Neither module looks anything up or checks time: the
//! [`Authenticator`](crate::Authenticator) does that and calls these to rebuild what the
//! client signed.

pub mod v1;
pub mod v3;

use subtle::ConstantTimeEq;

/// An access key secret. Its `Debug` never shows the value, so it can sit in structs that
/// are logged.
///
/// ```
/// let s = ram_web::Secret::new("testsecret");
/// assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
/// assert_eq!(s.expose(), "testsecret");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Box<str>);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<Box<str>>) -> Secret {
        Secret(secret.into())
    }

    /// The secret itself, for computing a signature.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s.into())
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.into())
    }
}

/// Compares two MACs in constant time (for equal lengths), so the time a wrong signature
/// takes to reject says nothing about how many leading bytes were right.
pub fn macs_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Cuts client-supplied text quoted in an error message to a readable, bounded length.
pub(crate) fn clip(text: &str) -> String {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_comparison() {
        assert!(macs_equal(b"abc", b"abc"));
        assert!(!macs_equal(b"abc", b"abd"));
        assert!(!macs_equal(b"abc", b"ab"));
    }

    #[test]
    fn clip_is_char_safe() {
        let long = "é".repeat(100);
        let c = clip(&long);
        assert!(c.ends_with("..."));
        assert_eq!(c.chars().count(), 67);
        assert_eq!(clip("short"), "short");
    }
}
