//! `ACS3-HMAC-SHA256`, the V3 signature the current SDKs send by default.
//!
//! The client builds a canonical request
//!
//! ```text
//! <METHOD>\n<path, "/" if empty>\n<canonical query>\n<canonical headers>\n<signed header names>\n<hex sha256 of body>
//! ```
//!
//! hashes it into the string to sign `ACS3-HMAC-SHA256\n<hex sha256(canonical request)>`,
//! and sends `hex(HMAC-SHA256(secret, string to sign))` in
//! `Authorization: ACS3-HMAC-SHA256 Credential=<AKID>,SignedHeaders=<a;b;c>,Signature=<hex>`.
//! The key is the secret as is (no trailing `&`, unlike V1).
//!
//! The server rebuilds the canonical request from the *client's* `SignedHeaders` list: the
//! Python SDK signs every header it sends (`accept`, `user-agent`, `host`, ...), other SDKs
//! sign fewer, and no fixed list would match both.
//!
//! ```
//! use ram_web::SignedRequest;
//! use ram_web::signature::v3;
//!
//! // ram-facts.md section 7.2's test vector.
//! let query = "DurationSeconds=3600&RoleArn=acs%3Aram%3A%3A123456789012%3Arole%2Ftest-role&RoleSessionName=alice";
//! let req = SignedRequest::new("POST", "/", query)
//!     .header("host", b"sts.aliyuncs.com")
//!     .header("x-acs-action", b"AssumeRole")
//!     .header("x-acs-version", b"2015-04-01")
//!     .header("x-acs-date", b"2024-01-01T00:00:00Z")
//!     .header("x-acs-signature-nonce", b"0123456789abcdef0123456789abcdef")
//!     .header("x-acs-content-sha256", b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
//! let auth = v3::Authorization::parse(
//!     "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;\
//!      x-acs-signature-nonce;x-acs-version,Signature=04789a934738e0c4485540e63cadf538a56b1ac2521d3958628e48cdff735773",
//! )?;
//! let canonical = v3::canonical_request(&req, &auth.signed_headers)?;
//! let string_to_sign = v3::string_to_sign(&canonical);
//! assert!(v3::verify(b"testsecret", &string_to_sign, &auth.signature));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::encoding::{join_sorted, parse_query, percent_encode};
use crate::request::SignedRequest;
use crate::signature::{clip, macs_equal};

/// The algorithm name in the `Authorization` header and the string to sign.
pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// A parsed `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The AccessKeyId from `Credential=`.
    pub access_key_id: String,
    /// The header names from `SignedHeaders=`, lower-cased, in the client's order.
    pub signed_headers: Vec<String>,
    /// The 32-byte signature from `Signature=` (hex, either case, on the wire).
    pub signature: [u8; 32],
}

/// What is wrong with an `Authorization` header.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizationError {
    /// The header is empty or holds only the algorithm.
    #[error(
        "the Authorization header is empty; expected \"ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=...\""
    )]
    Empty,
    /// Not an ACS3 header at all, or a V3 variant this server does not implement.
    #[error("the signature algorithm {0:?} is not supported; this server accepts ACS3-HMAC-SHA256")]
    UnsupportedAlgorithm(String),
    /// A field is not `name=value`.
    #[error("the Authorization header field {0:?} is not name=value")]
    MalformedField(String),
    /// A field other than Credential, SignedHeaders, Signature.
    #[error("the Authorization header has an unknown field {0:?}")]
    UnknownField(String),
    /// A field appears twice.
    #[error("the Authorization header repeats {0}")]
    DuplicateField(&'static str),
    /// A required field is missing or empty.
    #[error("the Authorization header has no {0}")]
    MissingField(&'static str),
    /// A name in SignedHeaders is empty, not a header token, repeated, or `authorization`.
    #[error("SignedHeaders holds an invalid header name {0:?}")]
    InvalidSignedHeader(String),
    /// `Signature=` is not 64 hex digits.
    #[error("the Signature is not 64 hexadecimal digits")]
    MalformedSignature,
}

impl Authorization {
    /// Parses `ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<a;b>,Signature=<hex>`.
    ///
    /// Spaces around the commas are tolerated; anything else unexpected is an error that
    /// names the field, since a silently ignored field could be one the client meant to sign.
    pub fn parse(value: &str) -> Result<Authorization, AuthorizationError> {
        let value = value.trim();
        let (algorithm, rest) = value
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((value, ""));
        if algorithm.is_empty() {
            return Err(AuthorizationError::Empty);
        }
        if algorithm != ALGORITHM {
            return Err(AuthorizationError::UnsupportedAlgorithm(clip(algorithm)));
        }
        let rest = rest.trim();
        if rest.is_empty() {
            return Err(AuthorizationError::Empty);
        }
        let mut credential = None;
        let mut signed = None;
        let mut signature = None;
        for field in rest.split(',') {
            let field = field.trim();
            let (name, val) = field
                .split_once('=')
                .ok_or_else(|| AuthorizationError::MalformedField(clip(field)))?;
            let (slot, label) = match name.trim() {
                "Credential" => (&mut credential, "Credential"),
                "SignedHeaders" => (&mut signed, "SignedHeaders"),
                "Signature" => (&mut signature, "Signature"),
                other => return Err(AuthorizationError::UnknownField(clip(other))),
            };
            if slot.replace(val.trim()).is_some() {
                return Err(AuthorizationError::DuplicateField(label));
            }
        }
        let access_key_id = match credential {
            Some(c) if !c.is_empty() => c.to_owned(),
            _ => return Err(AuthorizationError::MissingField("Credential")),
        };
        let signed_headers = match signed {
            Some(s) if !s.is_empty() => parse_signed_headers(s)?,
            _ => return Err(AuthorizationError::MissingField("SignedHeaders")),
        };
        let signature = match signature {
            Some(s) if !s.is_empty() => {
                let mut out = [0u8; 32];
                hex::decode_to_slice(s, &mut out).map_err(|_| AuthorizationError::MalformedSignature)?;
                out
            }
            _ => return Err(AuthorizationError::MissingField("Signature")),
        };
        Ok(Authorization {
            access_key_id,
            signed_headers,
            signature,
        })
    }

    /// Whether `name` (lower-case) is in SignedHeaders.
    pub fn signs(&self, name: &str) -> bool {
        self.signed_headers.iter().any(|h| h == name)
    }
}

fn parse_signed_headers(list: &str) -> Result<Vec<String>, AuthorizationError> {
    let mut out: Vec<String> = Vec::new();
    for name in list.split(';') {
        let lower = name.trim().to_ascii_lowercase();
        // RFC 9110 token characters; `authorization` cannot sign itself.
        let valid = !lower.is_empty()
            && lower
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
            && lower != "authorization";
        if !valid || out.contains(&lower) {
            return Err(AuthorizationError::InvalidSignedHeader(clip(name)));
        }
        out.push(lower);
    }
    Ok(out)
}

/// A header named in SignedHeaders is absent from the request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the signed header {0:?} is not in the request")]
pub struct MissingSignedHeader(pub String);

/// The canonical query: parameters decoded (`+` as a space), re-encoded per RFC 3986 (name
/// and value), sorted, joined as `name=value` with `&`.
///
/// ```
/// assert_eq!(ram_web::signature::v3::canonical_query("b=Bob+Smith&a=x%2Ay"), "a=x%2Ay&b=Bob%20Smith");
/// ```
pub fn canonical_query(raw_query: &str) -> String {
    let pairs = parse_query(raw_query)
        .into_iter()
        .map(|(k, v)| (percent_encode(&k), percent_encode(&v)))
        .collect();
    join_sorted(pairs)
}

/// The canonical request for `request` under the client's `signed_headers` (lower-case).
///
/// The payload hash is the request's own body hash (the server's computation, not the
/// client's `x-acs-content-sha256` claim; the authenticator checks the two agree).
pub fn canonical_request(
    request: &SignedRequest<'_>,
    signed_headers: &[String],
) -> Result<Vec<u8>, MissingSignedHeader> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(request.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(if request.path.is_empty() {
        b"/"
    } else {
        request.path.as_bytes()
    });
    out.push(b'\n');
    out.extend_from_slice(canonical_query(request.query).as_bytes());
    out.push(b'\n');
    for name in signed_headers {
        // A repeated header's trimmed values are sorted, then joined with `,`, as
        // tea-openapi's `get_canonicalized_headers` does.
        let mut values: Vec<&[u8]> = request.header_values(name).map(<[u8]>::trim_ascii).collect();
        if values.is_empty() {
            return Err(MissingSignedHeader(clip(name)));
        }
        values.sort_unstable();
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(&values.join(&b','));
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(signed_headers.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(hex::encode(request.body_sha256).as_bytes());
    Ok(out)
}

/// `ACS3-HMAC-SHA256\n<hex sha256(canonical request)>`.
pub fn string_to_sign(canonical_request: &[u8]) -> String {
    format!("{ALGORITHM}\n{}", hex::encode(Sha256::digest(canonical_request)))
}

/// `HMAC-SHA256(secret, string to sign)`.
pub fn sign(secret: &[u8], string_to_sign: &str) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(string_to_sign.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Whether `signature` is the signature of `string_to_sign` under `secret`, compared in
/// constant time.
pub fn verify(secret: &[u8], string_to_sign: &str, signature: &[u8; 32]) -> bool {
    macs_equal(&sign(secret, string_to_sign), signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_QUERY: &str =
        "DurationSeconds=3600&RoleArn=acs%3Aram%3A%3A123456789012%3Arole%2Ftest-role&RoleSessionName=alice";
    const VECTOR_SIGNED: &str = "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version";
    const VECTOR_CANONICAL: &str = "POST\n/\n\
DurationSeconds=3600&RoleArn=acs%3Aram%3A%3A123456789012%3Arole%2Ftest-role&RoleSessionName=alice\n\
host:sts.aliyuncs.com\n\
x-acs-action:AssumeRole\n\
x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
x-acs-date:2024-01-01T00:00:00Z\n\
x-acs-signature-nonce:0123456789abcdef0123456789abcdef\n\
x-acs-version:2015-04-01\n\
\n\
host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n\
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn vector_request(query: &str) -> SignedRequest<'_> {
        SignedRequest::new("POST", "/", query)
            .header("host", b"sts.aliyuncs.com")
            .header("x-acs-action", b"AssumeRole")
            .header("x-acs-version", b"2015-04-01")
            .header("x-acs-date", b"2024-01-01T00:00:00Z")
            .header("x-acs-signature-nonce", b"0123456789abcdef0123456789abcdef")
            .header(
                "x-acs-content-sha256",
                b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            )
    }

    fn vector_auth() -> Authorization {
        Authorization::parse(&format!(
            "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders={VECTOR_SIGNED},Signature=04789a934738e0c4485540e63cadf538a56b1ac2521d3958628e48cdff735773"
        ))
        .unwrap()
    }

    /// ram-facts.md 7.2: canonical request, its hash and the signature.
    #[test]
    fn facts_vector_canonical_request_hash_and_signature() {
        let req = vector_request(VECTOR_QUERY);
        let auth = vector_auth();
        assert_eq!(auth.access_key_id, "testid");
        let canonical = canonical_request(&req, &auth.signed_headers).unwrap();
        assert_eq!(String::from_utf8(canonical.clone()).unwrap(), VECTOR_CANONICAL);
        assert_eq!(
            hex::encode(Sha256::digest(&canonical)),
            "5e8e27eda0a68e527c9c3e7e8aba24efe0b5f173f341e1f9813907c250b6a439"
        );
        let sts = string_to_sign(&canonical);
        assert_eq!(
            sts,
            "ACS3-HMAC-SHA256\n5e8e27eda0a68e527c9c3e7e8aba24efe0b5f173f341e1f9813907c250b6a439"
        );
        assert_eq!(
            hex::encode(sign(b"testsecret", &sts)),
            "04789a934738e0c4485540e63cadf538a56b1ac2521d3958628e48cdff735773"
        );
        assert!(verify(b"testsecret", &sts, &auth.signature));
        assert!(!verify(b"testsecret&", &sts, &auth.signature), "V3 keys carry no '&'");
    }

    /// The same parameters in another order, with the SDK's `quote_plus` wire form, sign the same.
    #[test]
    fn query_order_and_wire_encoding_do_not_matter() {
        let reordered = "RoleSessionName=alice&RoleArn=acs:ram::123456789012:role%2Ftest-role&DurationSeconds=3600";
        let canonical = canonical_request(&vector_request(reordered), &vector_auth().signed_headers).unwrap();
        assert_eq!(String::from_utf8(canonical).unwrap(), VECTOR_CANONICAL);
    }

    #[test]
    fn plus_is_a_space_and_encoded_plus_is_a_plus() {
        assert_eq!(canonical_query("DisplayName=Bob+Smith"), "DisplayName=Bob%20Smith");
        assert_eq!(canonical_query("DisplayName=Bob%2BSmith"), "DisplayName=Bob%2BSmith");
        assert_eq!(canonical_query("k=%7E*"), "k=~%2A");
        assert_eq!(canonical_query(""), "");
    }

    #[test]
    fn header_values_are_trimmed_and_names_case_folded() {
        let req = SignedRequest::new("GET", "", "")
            .header("Host", b"  example  ")
            .header("X-Acs-Date", b"d");
        let c = canonical_request(&req, &["host".into(), "x-acs-date".into()]).unwrap();
        assert_eq!(
            String::from_utf8(c).unwrap(),
            "GET\n/\n\nhost:example\nx-acs-date:d\n\nhost;x-acs-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn repeated_header_values_are_sorted_and_joined() {
        let req = SignedRequest::new("GET", "/", "")
            .header("x-acs-b", b" 2 ")
            .header("X-Acs-B", b"1");
        let c = canonical_request(&req, &["x-acs-b".into()]).unwrap();
        assert!(String::from_utf8(c).unwrap().contains("\nx-acs-b:1,2\n"));
    }

    #[test]
    fn missing_signed_header_is_named() {
        let req = SignedRequest::new("GET", "/", "");
        assert_eq!(
            canonical_request(&req, &["x-acs-date".into()]),
            Err(MissingSignedHeader("x-acs-date".into()))
        );
    }

    #[test]
    fn authorization_parse_errors_are_precise() {
        use AuthorizationError as E;
        let ok_sig = "0".repeat(64);
        assert_eq!(Authorization::parse(""), Err(E::Empty));
        assert_eq!(Authorization::parse("ACS3-HMAC-SHA256"), Err(E::Empty));
        assert_eq!(
            Authorization::parse("ACS3-HMAC-SM3 Credential=a"),
            Err(E::UnsupportedAlgorithm("ACS3-HMAC-SM3".into()))
        );
        assert_eq!(
            Authorization::parse("acs testid:abc"),
            Err(E::UnsupportedAlgorithm("acs".into()))
        );
        assert_eq!(
            Authorization::parse("ACS3-HMAC-SHA256 Credential"),
            Err(E::MalformedField("Credential".into()))
        );
        assert_eq!(
            Authorization::parse("ACS3-HMAC-SHA256 Region=x"),
            Err(E::UnknownField("Region".into()))
        );
        assert_eq!(
            Authorization::parse("ACS3-HMAC-SHA256 Credential=a,Credential=b"),
            Err(E::DuplicateField("Credential"))
        );
        assert_eq!(
            Authorization::parse(&format!("ACS3-HMAC-SHA256 SignedHeaders=host,Signature={ok_sig}")),
            Err(E::MissingField("Credential"))
        );
        assert_eq!(
            Authorization::parse(&format!("ACS3-HMAC-SHA256 Credential=a,Signature={ok_sig}")),
            Err(E::MissingField("SignedHeaders"))
        );
        assert_eq!(
            Authorization::parse("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host"),
            Err(E::MissingField("Signature"))
        );
        assert_eq!(
            Authorization::parse("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=zz"),
            Err(E::MalformedSignature)
        );
        assert_eq!(
            Authorization::parse(&format!(
                "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;;x,Signature={ok_sig}"
            )),
            Err(E::InvalidSignedHeader("".into()))
        );
        assert_eq!(
            Authorization::parse(&format!(
                "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;Host,Signature={ok_sig}"
            )),
            Err(E::InvalidSignedHeader("Host".into()))
        );
        assert_eq!(
            Authorization::parse(&format!(
                "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=authorization,Signature={ok_sig}"
            )),
            Err(E::InvalidSignedHeader("authorization".into()))
        );
    }

    #[test]
    fn authorization_tolerates_spaces_and_upper_hex() {
        let a = Authorization::parse(&format!(
            "  ACS3-HMAC-SHA256   Credential=k , SignedHeaders=Host;X-Acs-Date , Signature={}  ",
            "AB".repeat(32)
        ))
        .unwrap();
        assert_eq!(a.access_key_id, "k");
        assert_eq!(a.signed_headers, vec!["host", "x-acs-date"]);
        assert_eq!(a.signature, [0xab; 32]);
        assert!(a.signs("host"));
    }
}
