//! A client-side signer written from ram-facts.md section 7 alone, sharing no code with the
//! crate's verification path, and checked against the section's test vectors in
//! `signer_vectors` below: requests it signs exercise the server the way an SDK would.
#![allow(dead_code)]

use base64ct::{Base64, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// RFC 3986: keep `A-Za-z0-9-_.~`, everything else `%XX`.
pub fn rfc3986(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Python `quote_plus`: like RFC 3986, but a space is `+`.
pub fn quote_plus(s: &str) -> String {
    rfc3986(s).replace("%20", "+")
}

/// The wire query the Python SDK sends: `urlencode` = quote_plus, in the given order.
pub fn wire_query(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub struct V3Signed {
    pub authorization: String,
    pub canonical_request: String,
}

/// ACS3-HMAC-SHA256 over `params` (decoded), `headers` (name, value), signing every header
/// given, like the Python SDK.
pub fn sign_v3(
    secret: &str,
    access_key_id: &str,
    method: &str,
    path: &str,
    params: &[(&str, &str)],
    headers: &[(&str, &str)],
    body: &[u8],
) -> V3Signed {
    let mut q: Vec<(String, String)> = params.iter().map(|(k, v)| (rfc3986(k), rfc3986(v))).collect();
    q.sort();
    let query = q.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let mut h: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    h.sort();
    let canonical_headers: String = h.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed = h.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(";");
    let payload = hex::encode(Sha256::digest(body));
    let path = if path.is_empty() { "/" } else { path };
    let canonical_request = format!("{method}\n{path}\n{query}\n{canonical_headers}\n{signed}\n{payload}");
    let sts = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    V3Signed {
        authorization: format!("ACS3-HMAC-SHA256 Credential={access_key_id},SignedHeaders={signed},Signature={sig}"),
        canonical_request,
    }
}

/// V1 HMAC-SHA1 signature (Base64) of `params` for `method`; `plus` signs the
/// credentials library's quote_plus form.
pub fn sign_v1(secret: &str, method: &str, params: &[(&str, &str)], plus: bool) -> String {
    let enc = if plus { quote_plus } else { rfc3986 };
    let mut q: Vec<(String, String)> = params.iter().map(|(k, v)| (enc(k), enc(v))).collect();
    q.sort();
    let canon = q.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    let sts = format!("{method}&%2F&{}", rfc3986(&canon));
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(format!("{secret}&").as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    Base64::encode_string(&mac.finalize().into_bytes())
}

/// The signer reproduces section 7's vectors, so it is a faithful stand-in for the SDKs.
pub fn check_signer_against_vectors() {
    let v3 = sign_v3(
        "testsecret",
        "testid",
        "POST",
        "/",
        &[
            ("DurationSeconds", "3600"),
            ("RoleArn", "acs:ram::123456789012:role/test-role"),
            ("RoleSessionName", "alice"),
        ],
        &[
            ("host", "sts.aliyuncs.com"),
            ("x-acs-action", "AssumeRole"),
            ("x-acs-version", "2015-04-01"),
            ("x-acs-date", "2024-01-01T00:00:00Z"),
            ("x-acs-signature-nonce", "0123456789abcdef0123456789abcdef"),
            (
                "x-acs-content-sha256",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
        ],
        b"",
    );
    assert_eq!(
        v3.authorization,
        "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;\
         x-acs-signature-nonce;x-acs-version,Signature=04789a934738e0c4485540e63cadf538a56b1ac2521d3958628e48cdff735773"
    );
    let docs = [
        ("UserName", "test"),
        ("SignatureVersion", "1.0"),
        ("Format", "JSON"),
        ("Timestamp", "2015-08-18T03:15:45Z"),
        ("AccessKeyId", "testid"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("Version", "2015-05-01"),
        ("Action", "CreateUser"),
        ("SignatureNonce", "6a6e0ca6-4557-11e5-86a2-b8e8563dc8d2"),
    ];
    assert_eq!(
        sign_v1("testsecret", "GET", &docs, false),
        "kRA2cnpJVacIhDMzXnoNZG9tDCI="
    );
    let post = [
        ("Action", "AssumeRole"),
        ("Format", "json"),
        ("Version", "2015-04-01"),
        ("Timestamp", "2024-01-01T00:00:00Z"),
        ("SignatureNonce", "0123456789abcdef0123456789abcdef"),
        ("RoleArn", "acs:ram::123456789012:role/test-role"),
        ("RoleSessionName", "alice"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("AccessKeyId", "testid"),
    ];
    assert_eq!(
        sign_v1("testsecret", "POST", &post, false),
        "Sy7TNS85vNjMisk9el+y+G5vRac="
    );
}
