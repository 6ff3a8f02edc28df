//! The classic RPC signature: `SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`.
//!
//! 1. Every parameter (query, then form body) except `Signature`, decoded, re-encoded per
//!    RFC 3986 (name and value), sorted, joined as `name=value` with `&`: the canonicalized
//!    query string.
//! 2. `StringToSign = METHOD + "&%2F&" + percentEncode(canonicalized query string)`.
//! 3. `Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))`.
//!
//! The `alibabacloud-credentials` library (its RAM-role provider) encodes step 1 with
//! Python's `quote_plus` instead, so a space becomes `+` (then `%2B` in step 2) rather than
//! `%20` (`%2520`). [`verify`] accepts either form; they differ only when some name or value
//! holds a space, and only then is the second HMAC computed.
//!
//! ```
//! use ram_web::signature::v1::{self, QueryEncoding};
//! use ram_web::encoding::parse_query;
//!
//! // The documentation's vector (ram-facts.md section 7.3).
//! let params = parse_query(
//!     "UserName=test&SignatureVersion=1.0&Format=JSON&Timestamp=2015-08-18T03%3A15%3A45Z&AccessKeyId=testid\
//!      &SignatureMethod=HMAC-SHA1&Version=2015-05-01&Action=CreateUser&SignatureNonce=6a6e0ca6-4557-11e5-86a2-b8e8563dc8d2",
//! );
//! let sts = v1::string_to_sign("GET", &v1::canonicalized_query(&params, QueryEncoding::Rfc3986));
//! assert_eq!(v1::sign_base64(b"testsecret", &sts), "kRA2cnpJVacIhDMzXnoNZG9tDCI=");
//! ```

use base64ct::{Base64, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

use crate::encoding::{Param, encode_into, join_sorted, percent_encode};
use crate::signature::macs_equal;

/// The only `SignatureMethod` V1 defines.
pub const SIGNATURE_METHOD: &str = "HMAC-SHA1";
/// The only `SignatureVersion` V1 defines.
pub const SIGNATURE_VERSION: &str = "1.0";

/// How the canonicalized query string encodes a space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryEncoding {
    /// RFC 3986: a space is `%20` (the documented algorithm, tea-openapi).
    Rfc3986,
    /// Python `quote_plus`: a space is `+` (the credentials library).
    QuotePlus,
}

/// The sorted, encoded `name=value&...` string of every parameter except `Signature`.
pub fn canonicalized_query(params: &[Param], encoding: QueryEncoding) -> String {
    let plus = encoding == QueryEncoding::QuotePlus;
    let pairs = params
        .iter()
        .filter(|(k, _)| k.as_slice() != b"Signature")
        .map(|(k, v)| {
            let (mut ek, mut ev) = (String::with_capacity(k.len()), String::with_capacity(v.len()));
            encode_into(k, &mut ek, plus);
            encode_into(v, &mut ev, plus);
            (ek, ev)
        })
        .collect();
    join_sorted(pairs)
}

/// `METHOD&%2F&percentEncode(canonicalized query)`.
pub fn string_to_sign(method: &str, canonicalized_query: &str) -> String {
    format!("{method}&%2F&{}", percent_encode(canonicalized_query.as_bytes()))
}

/// `HMAC-SHA1(secret + "&", string to sign)`.
pub fn sign(secret: &[u8], string_to_sign: &str) -> [u8; 20] {
    let mut key = Vec::with_capacity(secret.len() + 1);
    key.extend_from_slice(secret);
    key.push(b'&');
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(string_to_sign.as_bytes());
    mac.finalize().into_bytes().into()
}

/// [`sign`], Base64-encoded as the `Signature` parameter carries it.
pub fn sign_base64(secret: &[u8], string_to_sign: &str) -> String {
    Base64::encode_string(&sign(secret, string_to_sign))
}

/// Decodes a `Signature` parameter value into its 20 bytes.
pub fn decode_signature(value: &[u8]) -> Option<[u8; 20]> {
    let mut out = [0u8; 20];
    match Base64::decode(value, &mut out) {
        Ok(decoded) if decoded.len() == 20 => Some(out),
        _ => None,
    }
}

/// How a V1 signature was found to match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verified {
    /// Over the RFC 3986 canonical form.
    Rfc3986,
    /// Over the `quote_plus` form (only tried when a parameter holds a space).
    QuotePlus,
}

/// Checks `signature` over `params` (which may include `Signature`; it is skipped) for
/// `method`, first in the RFC 3986 form, then in the `quote_plus` form when that differs.
///
/// On failure returns the RFC 3986 string to sign, the one the documentation defines, for
/// the error message.
pub fn verify(secret: &[u8], method: &str, params: &[Param], signature: &[u8; 20]) -> Result<Verified, String> {
    let rfc = string_to_sign(method, &canonicalized_query(params, QueryEncoding::Rfc3986));
    if macs_equal(&sign(secret, &rfc), signature) {
        return Ok(Verified::Rfc3986);
    }
    let has_space = params
        .iter()
        .filter(|(k, _)| k.as_slice() != b"Signature")
        .any(|(k, v)| k.contains(&b' ') || v.contains(&b' '));
    if has_space {
        let plus = string_to_sign(method, &canonicalized_query(params, QueryEncoding::QuotePlus));
        if macs_equal(&sign(secret, &plus), signature) {
            return Ok(Verified::QuotePlus);
        }
    }
    Err(rfc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::parse_query;

    fn params(list: &[(&str, &str)]) -> Vec<Param> {
        list.iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    /// ram-facts.md 7.3, the documentation's CreateUser vector.
    #[test]
    fn facts_vector_docs_create_user() {
        let p = params(&[
            ("UserName", "test"),
            ("SignatureVersion", "1.0"),
            ("Format", "JSON"),
            ("Timestamp", "2015-08-18T03:15:45Z"),
            ("AccessKeyId", "testid"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("Version", "2015-05-01"),
            ("Action", "CreateUser"),
            ("SignatureNonce", "6a6e0ca6-4557-11e5-86a2-b8e8563dc8d2"),
        ]);
        let sts = string_to_sign("GET", &canonicalized_query(&p, QueryEncoding::Rfc3986));
        assert_eq!(
            sts,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DCreateUser%26Format%3DJSON%26SignatureMethod%3DHMAC-SHA1\
             %26SignatureNonce%3D6a6e0ca6-4557-11e5-86a2-b8e8563dc8d2%26SignatureVersion%3D1.0\
             %26Timestamp%3D2015-08-18T03%253A15%253A45Z%26UserName%3Dtest%26Version%3D2015-05-01"
        );
        assert_eq!(sign_base64(b"testsecret", &sts), "kRA2cnpJVacIhDMzXnoNZG9tDCI=");
        let sig = decode_signature(b"kRA2cnpJVacIhDMzXnoNZG9tDCI=").unwrap();
        assert_eq!(verify(b"testsecret", "GET", &p, &sig), Ok(Verified::Rfc3986));
        assert!(verify(b"testsecret", "POST", &p, &sig).is_err(), "the method is signed");
    }

    /// ram-facts.md 7.3, the IMS documentation vector.
    #[test]
    fn facts_vector_docs_ims() {
        let p = params(&[
            ("UserPrincipalName", "test@example.onaliyun.com"),
            ("DisplayName", "test"),
            ("SignatureVersion", "1.0"),
            ("Format", "JSON"),
            ("Timestamp", "2021-01-15T06:02:28Z"),
            ("AccessKeyId", "testid"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("Version", "2019-08-15"),
            ("Action", "CreateUser"),
            ("SignatureNonce", "3f6b4e80-56f7-11eb-a256-a9f756ea7e85"),
        ]);
        let sts = string_to_sign("GET", &canonicalized_query(&p, QueryEncoding::Rfc3986));
        assert_eq!(sign_base64(b"testsecret", &sts), "02heLegtw4+BFamznl1Ltj+vJ4A=");
    }

    /// ram-facts.md 7.3, the POST AssumeRole vector, fed through the wire form.
    #[test]
    fn facts_vector_post_assume_role() {
        let wire = "Action=AssumeRole&Format=json&Version=2015-04-01&Timestamp=2024-01-01T00%3A00%3A00Z\
                    &SignatureNonce=0123456789abcdef0123456789abcdef\
                    &RoleArn=acs%3Aram%3A%3A123456789012%3Arole%2Ftest-role&RoleSessionName=alice\
                    &SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&AccessKeyId=testid\
                    &Signature=Sy7TNS85vNjMisk9el%2By%2BG5vRac%3D";
        let p = parse_query(wire);
        let sts = string_to_sign("POST", &canonicalized_query(&p, QueryEncoding::Rfc3986));
        assert!(sts.starts_with("POST&%2F&AccessKeyId%3Dtestid%26Action%3DAssumeRole%26Format%3Djson"));
        assert_eq!(sign_base64(b"testsecret", &sts), "Sy7TNS85vNjMisk9el+y+G5vRac=");
        let sig = decode_signature(b"Sy7TNS85vNjMisk9el+y+G5vRac=").unwrap();
        assert_eq!(verify(b"testsecret", "POST", &p, &sig), Ok(Verified::Rfc3986));
        assert!(verify(b"wrong", "POST", &p, &sig).is_err());
    }

    /// A value with a space: the credentials library signs `+`/`%2B`, tea-openapi `%20`/`%2520`.
    #[test]
    fn quote_plus_form_is_accepted_only_as_a_fallback() {
        let p = params(&[("Action", "AssumeRole"), ("Policy", r#"{"Version": "1"}"#)]);
        let rfc = string_to_sign("GET", &canonicalized_query(&p, QueryEncoding::Rfc3986));
        let plus = string_to_sign("GET", &canonicalized_query(&p, QueryEncoding::QuotePlus));
        assert!(rfc.contains("%2520"));
        assert!(plus.contains("%253A%2B%2522"));
        assert_ne!(rfc, plus);
        let sig_plus = sign(b"s", &plus);
        let sig_rfc = sign(b"s", &rfc);
        assert_eq!(verify(b"s", "GET", &p, &sig_plus), Ok(Verified::QuotePlus));
        assert_eq!(verify(b"s", "GET", &p, &sig_rfc), Ok(Verified::Rfc3986));
        assert_eq!(verify(b"t", "GET", &p, &sig_plus), Err(rfc));
    }

    #[test]
    fn signature_param_is_excluded_and_decoding_is_strict() {
        let with = params(&[("A", "1"), ("Signature", "x")]);
        let without = params(&[("A", "1")]);
        assert_eq!(
            canonicalized_query(&with, QueryEncoding::Rfc3986),
            canonicalized_query(&without, QueryEncoding::Rfc3986)
        );
        assert!(decode_signature(b"").is_none());
        assert!(decode_signature(b"not base64!").is_none());
        assert!(decode_signature(b"AAAA").is_none(), "3 bytes is not a SHA-1 MAC");
        assert!(decode_signature(&[b'A'; 1000]).is_none());
    }
}
