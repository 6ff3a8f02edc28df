//! A framework-independent view of the request being authenticated.

use sha2::{Digest, Sha256};

use crate::encoding::{Param, parse_query, parse_query_bytes};

/// SHA-256 of the empty string: the payload hash of every RPC call the SDKs make (their
/// parameters travel in the query, the body is empty).
pub const EMPTY_SHA256: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41,
    0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// What the authenticator needs to know about one HTTP request: the method, the path and
/// raw query exactly as they arrived, the headers, and the body's SHA-256 (plus the body
/// itself when it is a form, whose fields V1 signs like query parameters).
///
/// The path and query must be the raw, still percent-encoded bytes from the request line:
/// decoding them first would lose the difference between `+` and `%2B`.
///
/// ```
/// use ram_web::SignedRequest;
///
/// let req = SignedRequest::new("POST", "/", "RoleSessionName=alice")
///     .header("Host", b"127.0.0.1:18080")
///     .header("x-acs-action", b"AssumeRole")
///     .body(b"");
/// assert_eq!(req.header_value("HOST"), Some(&b"127.0.0.1:18080"[..]));
/// assert_eq!(req.param("RoleSessionName").as_deref(), Some(&b"alice"[..]));
/// ```
#[derive(Clone)]
pub struct SignedRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    /// (lower-case name, value) in arrival order.
    pub(crate) headers: Vec<(String, &'a [u8])>,
    pub(crate) body_sha256: [u8; 32],
    /// The body's fields when it is `application/x-www-form-urlencoded`.
    pub(crate) form: Option<&'a [u8]>,
    body_set: bool,
}

/// Shows the method, path, header names and body hash: never the query or header values,
/// which may hold a security token (`SecurityToken`, `x-acs-security-token`).
impl std::fmt::Debug for SignedRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field(
                "headers",
                &self.headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            )
            .field("body_sha256", &hex::encode(self.body_sha256))
            .finish_non_exhaustive()
    }
}

impl<'a> SignedRequest<'a> {
    /// A request with no headers and an empty body; `query` is the raw query string
    /// without the `?`.
    pub fn new(method: &'a str, path: &'a str, query: &'a str) -> SignedRequest<'a> {
        SignedRequest {
            method,
            path,
            query,
            headers: Vec::new(),
            body_sha256: EMPTY_SHA256,
            form: None,
            body_set: false,
        }
    }

    /// Adds a header; the name is matched case-insensitively, a repeated header keeps
    /// every value (joined with `,` in the canonical form).
    ///
    /// Add the headers before [`SignedRequest::body`]: whether the body is a form depends
    /// on `content-type`.
    pub fn header(mut self, name: &str, value: &'a [u8]) -> SignedRequest<'a> {
        self.push_header(name, value);
        self
    }

    /// Adds a header in place (see [`SignedRequest::header`]).
    pub fn push_header(&mut self, name: &str, value: &'a [u8]) {
        self.headers.push((name.to_ascii_lowercase(), value));
    }

    /// Sets the body: hashes it, and keeps it as form fields when the `content-type`
    /// header says `application/x-www-form-urlencoded`.
    pub fn body(mut self, body: &'a [u8]) -> SignedRequest<'a> {
        self.body_sha256 = Sha256::digest(body).into();
        self.body_set = true;
        let is_form = self.header_value("content-type").is_some_and(|ct| {
            ct.split(|&b| b == b';').next().is_some_and(|mime| {
                mime.trim_ascii()
                    .eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
            })
        });
        self.form = is_form.then_some(body);
        self
    }

    /// Sets the body's SHA-256 when the caller hashed a streamed body itself (form fields
    /// are then not available to V1 signing).
    pub fn body_sha256(mut self, sha256: [u8; 32]) -> SignedRequest<'a> {
        self.body_sha256 = sha256;
        self.body_set = true;
        self.form = None;
        self
    }

    /// The HTTP method as received.
    pub fn method(&self) -> &'a str {
        self.method
    }

    /// The raw path.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The raw query string.
    pub fn query(&self) -> &'a str {
        self.query
    }

    /// The SHA-256 of the body (of the empty body unless one was set).
    pub fn payload_sha256(&self) -> &[u8; 32] {
        &self.body_sha256
    }

    /// Whether a body (or its hash) was set; without one the body counts as empty.
    pub fn has_body(&self) -> bool {
        self.body_set
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header_value(&self, name: &str) -> Option<&'a [u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// Every value of header `name`, in arrival order.
    pub fn header_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a [u8]> + 's {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// Whether header `name` is present.
    pub fn has_header(&self, name: &str) -> bool {
        self.header_value(name).is_some()
    }

    /// The decoded query parameters followed by the form fields, in order.
    pub fn params(&self) -> Vec<Param> {
        let mut params = parse_query(self.query);
        if let Some(form) = self.form {
            params.extend(parse_query_bytes(form));
        }
        params
    }

    /// The first decoded value of parameter `name` (query, then form).
    pub fn param(&self, name: &str) -> Option<Vec<u8>> {
        self.params()
            .into_iter()
            .find(|(n, _)| n == name.as_bytes())
            .map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_hash_constant_is_sha256_of_nothing() {
        let h: [u8; 32] = Sha256::digest(b"").into();
        assert_eq!(h, EMPTY_SHA256);
    }

    #[test]
    fn form_body_only_with_form_content_type() {
        let r = SignedRequest::new("POST", "/", "a=1")
            .header("Content-Type", b"application/x-www-form-urlencoded; charset=utf-8")
            .body(b"b=2");
        assert_eq!(r.params().len(), 2);
        assert_eq!(r.param("b").as_deref(), Some(&b"2"[..]));
        let r = SignedRequest::new("POST", "/", "a=1")
            .header("Content-Type", b"application/json")
            .body(b"b=2");
        assert_eq!(r.params().len(), 1);
    }

    #[test]
    fn debug_hides_tokens() {
        let r =
            SignedRequest::new("GET", "/", "SecurityToken=CAIS-secret").header("x-acs-security-token", b"CAIS-secret");
        let d = format!("{r:?}");
        assert!(!d.contains("CAIS-secret"), "{d}");
        assert!(d.contains("x-acs-security-token"), "{d}");
    }

    #[test]
    fn repeated_headers_are_kept() {
        let r = SignedRequest::new("GET", "/", "")
            .header("X-A", b"1")
            .header("x-a", b"2");
        assert_eq!(r.header_values("x-a").collect::<Vec<_>>(), vec![&b"1"[..], &b"2"[..]]);
    }
}
