//! The authenticator end to end, with requests signed by the independent test signer.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{check_signer_against_vectors, sign_v1, sign_v3, wire_query};
use jiff::{SignedDuration, Timestamp};
use ram_core::authorizer::{Authorizer, Snapshot};
use ram_core::directory::{AccessKeyStatus, Change, Directory, PolicyTarget};
use ram_core::{Decision, Request, RequestContext};
use ram_web::{
    AuthenticationError, Authenticator, Identity, Secret, SignatureScheme, SignedRequest, TokenError, TokenSession,
    TokenVerifier,
};

const AK: &str = "LTAI5tTestKey00000000001";
const SK: &str = "TestSecret0000000000000000abcd";
const AK_OFF: &str = "LTAI5tTestKey00000000002";
const NOW: &str = "2024-01-01T00:00:30Z";
const DATE: &str = "2024-01-01T00:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

fn authorizer() -> Authorizer {
    let auth = Authorizer::new(Directory::new("123456789012").unwrap());
    auth.apply(&[
        Change::CreateUser {
            name: "alice".into(),
            display_name: None,
        },
        Change::CreateAccessKey {
            user: "alice".into(),
            access_key_id: AK.into(),
            access_key_secret: SK.into(),
        },
        Change::CreateAccessKey {
            user: "alice".into(),
            access_key_id: AK_OFF.into(),
            access_key_secret: SK.into(),
        },
        Change::UpdateAccessKey {
            user: "alice".into(),
            access_key_id: AK_OFF.into(),
            status: AccessKeyStatus::Inactive,
        },
        Change::AttachPolicy {
            target: PolicyTarget::User("alice".into()),
            policy_type: None,
            policy: "AliyunOSSReadOnlyAccess".into(),
        },
    ])
    .unwrap();
    auth
}

/// An owned V3 request: query, headers, body; borrowed into a SignedRequest on demand.
struct V3 {
    method: &'static str,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl V3 {
    /// A GetCallerIdentity-like call signed like the Python SDK: every header signed.
    fn new(ak: &str, secret: &str, nonce: &str, params: &[(&str, &str)]) -> V3 {
        V3::with_headers(ak, secret, params, &[("x-acs-signature-nonce", nonce)], b"")
    }

    fn with_headers(ak: &str, secret: &str, params: &[(&str, &str)], extra: &[(&str, &str)], body: &[u8]) -> V3 {
        let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body));
        let mut headers: Vec<(&str, &str)> = vec![
            ("host", "127.0.0.1:18080"),
            ("x-acs-action", "AssumeRole"),
            ("x-acs-version", "2015-04-01"),
            ("x-acs-date", DATE),
            ("x-acs-content-sha256", &hash),
            ("accept", "application/json"),
            (
                "user-agent",
                "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2",
            ),
        ];
        headers.extend_from_slice(extra);
        let signed = sign_v3(secret, ak, "POST", "/", params, &headers, body);
        let mut owned: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        owned.push(("Authorization".into(), signed.authorization));
        V3 {
            method: "POST",
            query: wire_query(params),
            headers: owned,
            body: body.to_vec(),
        }
    }

    fn set(&mut self, name: &str, value: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.into(), value.into()));
    }

    fn request(&self) -> SignedRequest<'_> {
        let mut r = SignedRequest::new(self.method, "/", &self.query);
        for (k, v) in &self.headers {
            r.push_header(k, v.as_bytes());
        }
        r.body(&self.body)
    }
}

fn run(authn: &Authenticator, snap: &Snapshot, req: &V3) -> Result<ram_web::Authenticated, AuthenticationError> {
    authn.authenticate(snap, &req.request(), now())
}

fn code(r: Result<ram_web::Authenticated, AuthenticationError>) -> (&'static str, u16) {
    let e = r.expect_err("expected a failure");
    (e.code(), e.status())
}

const PARAMS: &[(&str, &str)] = &[
    ("RoleArn", "acs:ram::123456789012:role/test-role"),
    ("RoleSessionName", "alice"),
    ("DisplayName", "Bob Smith*~"),
];

#[test]
fn signer_matches_the_reference_vectors() {
    check_signer_against_vectors();
}

#[test]
fn v3_signed_request_authenticates_a_user() {
    let auth = authorizer();
    let snap = auth.snapshot();
    let authn = Authenticator::new();
    let req = V3::new(AK, SK, "n-1", PARAMS);
    assert!(req.query.contains("DisplayName=Bob+Smith%2A~"), "{}", req.query);
    let who = run(&authn, &snap, &req).unwrap();
    assert_eq!(who.scheme, SignatureScheme::V3);
    assert_eq!(who.access_key_id, AK);
    assert_eq!(who.action.as_deref(), Some("AssumeRole"));
    assert_eq!(who.version.as_deref(), Some("2015-04-01"));
    assert_eq!(who.signed_at, DATE.parse::<Timestamp>().unwrap());
    assert!(matches!(&who.identity, Identity::User { user_name, .. } if user_name == "alice"));
    assert_eq!(who.principal_arn(), "acs:ram::123456789012:user/alice");
    // The caller is what the engine decides for.
    let mut ctx = RequestContext::new();
    who.add_to_context(&mut ctx);
    assert_eq!(ctx.get("acs:AccessId").unwrap()[0].raw(), AK);
    let r = Request::new("oss:GetObject", "acs:oss:*:123456789012:b/k", &ctx);
    assert_eq!(snap.check(&who.caller(), &r), Ok(Decision::Allow));
    // Revoking the key revokes the authenticated caller too.
    auth.apply(&[Change::UpdateAccessKey {
        user: "alice".into(),
        access_key_id: AK.into(),
        status: AccessKeyStatus::Inactive,
    }])
    .unwrap();
    assert!(auth.check(&who.caller(), &r).is_err());
}

#[test]
fn v3_failures_have_alibaba_codes() {
    let snap = authorizer().snapshot();
    let authn = Authenticator::new();
    // Unknown and inactive keys.
    assert_eq!(
        code(run(
            &authn,
            &snap,
            &V3::new("LTAI5tUnknown00000000000", SK, "a", PARAMS)
        )),
        ("InvalidAccessKeyId.NotFound", 404)
    );
    assert_eq!(
        code(run(&authn, &snap, &V3::new(AK_OFF, SK, "b", PARAMS))),
        ("InvalidAccessKeyId.Inactive", 400)
    );
    // Wrong secret.
    let wrong = V3::new(AK, "WrongSecret000000000000000000x", "c", PARAMS);
    let e = run(&authn, &snap, &wrong).unwrap_err();
    assert_eq!((e.code(), e.status()), ("SignatureDoesNotMatch", 400));
    assert!(e.to_string().contains("ACS3-HMAC-SHA256\n"), "{e}");
    assert!(!e.to_string().contains(SK));
    // A tampered parameter.
    let mut tampered = V3::new(AK, SK, "d", PARAMS);
    tampered.query = tampered.query.replace("alice", "mallory");
    assert_eq!(code(run(&authn, &snap, &tampered)), ("SignatureDoesNotMatch", 400));
    // A tampered signed header (the action).
    let mut other_action = V3::new(AK, SK, "e", PARAMS);
    other_action.set("x-acs-action", "DeleteUser");
    assert_eq!(code(run(&authn, &snap, &other_action)), ("SignatureDoesNotMatch", 400));
    // A tampered method.
    let mut get = V3::new(AK, SK, "f", PARAMS);
    get.method = "GET";
    assert_eq!(code(run(&authn, &snap, &get)), ("SignatureDoesNotMatch", 400));
}

#[test]
fn host_header_is_never_judged() {
    let snap = authorizer().snapshot();
    let authn = Authenticator::new();
    // The credentials library sends a URL in Host; signed as such, it verifies.
    let odd = V3::with_headers(
        AK,
        SK,
        PARAMS,
        &[("x-acs-signature-nonce", "h1"), ("host", "http://127.0.0.1:18080")],
        b"",
    );
    let mut odd = odd;
    odd.headers.retain(|(k, v)| k != "host" || v.starts_with("http://"));
    // Re-sign with only the URL-valued host.
    let headers: Vec<(&str, &str)> = odd
        .headers
        .iter()
        .filter(|(k, _)| k != "Authorization")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let signed = sign_v3(SK, AK, "POST", "/", PARAMS, &headers, b"");
    odd.set("Authorization", &signed.authorization);
    assert!(run(&authn, &snap, &odd).is_ok());

    // An unsigned Host may say anything.
    let mut req = V3::with_headers(AK, SK, PARAMS, &[("x-acs-signature-nonce", "h2")], b"");
    req.headers.retain(|(k, _)| k != "host");
    let headers: Vec<(&str, &str)> = req
        .headers
        .iter()
        .filter(|(k, _)| k != "Authorization")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let signed = sign_v3(SK, AK, "POST", "/", PARAMS, &headers, b"");
    req.set("Authorization", &signed.authorization);
    req.set("Host", "anything.example");
    assert!(run(&authn, &snap, &req).is_ok());
}

#[test]
fn replay_protection() {
    let snap = authorizer().snapshot();
    let authn = Authenticator::new();
    let req = V3::new(AK, SK, "nonce-1", PARAMS);
    assert!(run(&authn, &snap, &req).is_ok());
    assert_eq!(code(run(&authn, &snap, &req)), ("SignatureNonceUsed", 400));
    // A failed signature does not burn the nonce.
    let bad = V3::new(AK, "WrongSecret000000000000000000x", "nonce-2", PARAMS);
    assert_eq!(code(run(&authn, &snap, &bad)), ("SignatureDoesNotMatch", 400));
    assert!(run(&authn, &snap, &V3::new(AK, SK, "nonce-2", PARAMS)).is_ok());
    // Outside the window, either way.
    let late = now().checked_add(SignedDuration::from_mins(16)).unwrap();
    let e = authn
        .authenticate(&snap, &V3::new(AK, SK, "n-late", PARAMS).request(), late)
        .unwrap_err();
    assert_eq!(e.code(), "InvalidTimeStamp.Expired");
    let early = now().checked_sub(SignedDuration::from_mins(16)).unwrap();
    let e = authn
        .authenticate(&snap, &V3::new(AK, SK, "n-early", PARAMS).request(), early)
        .unwrap_err();
    assert_eq!(e.code(), "InvalidTimeStamp.Expired");
    // A bad date format.
    let odd = V3::with_headers(AK, SK, PARAMS, &[("x-acs-signature-nonce", "f")], b"");
    let mut odd = odd;
    odd.set("x-acs-date", "yesterday");
    assert_eq!(code(run(&authn, &snap, &odd)), ("InvalidTimeStamp.Format", 400));
    // No nonce.
    let mut no_nonce = V3::with_headers(AK, SK, PARAMS, &[], b"");
    no_nonce.headers.retain(|(k, _)| k != "x-acs-signature-nonce");
    assert_eq!(code(run(&authn, &snap, &no_nonce)), ("MissingSignatureNonce", 400));
    assert!(run(&Authenticator::new().require_nonce(false), &snap, &no_nonce).is_ok());
}

#[test]
fn meaningful_headers_must_be_signed() {
    let snap = authorizer().snapshot();
    let authn = Authenticator::new();
    let mut req = V3::new(AK, SK, "u1", PARAMS);
    // Add an unsigned token header after signing.
    req.headers.push(("x-acs-security-token".into(), "CAIS...".into()));
    let e = run(&authn, &snap, &req).unwrap_err();
    assert_eq!(e, AuthenticationError::UnsignedHeader("x-acs-security-token"));
    assert_eq!(e.code(), "IncompleteSignature");
    // SignedHeaders naming an absent header.
    let mut req = V3::new(AK, SK, "u2", PARAMS);
    req.headers.retain(|(k, _)| k != "accept");
    assert_eq!(
        run(&authn, &snap, &req).unwrap_err(),
        AuthenticationError::MissingSignedHeader("accept".into())
    );
    // A malformed Authorization header.
    let mut req = V3::new(AK, SK, "u3", PARAMS);
    req.set("Authorization", "ACS3-HMAC-SHA256 Credential=x");
    assert_eq!(code(run(&authn, &snap, &req)), ("IncompleteSignature", 400));
    req.set(
        "Authorization",
        "ACS3-HMAC-SM3 Credential=x,SignedHeaders=host,Signature=00",
    );
    assert_eq!(code(run(&authn, &snap, &req)), ("InvalidSignatureMethod", 400));
    // x-acs-accesskey-id must agree with Credential.
    let req = V3::with_headers(
        AK,
        SK,
        PARAMS,
        &[("x-acs-signature-nonce", "u4"), ("x-acs-accesskey-id", AK_OFF)],
        b"",
    );
    assert_eq!(
        run(&authn, &snap, &req).unwrap_err(),
        AuthenticationError::AccessKeyIdMismatch
    );
}

#[test]
fn body_hash_is_the_servers() {
    let snap = authorizer().snapshot();
    let authn = Authenticator::new();
    let body = br#"{"a":1}"#;
    let req = V3::with_headers(AK, SK, PARAMS, &[("x-acs-signature-nonce", "b1")], body);
    assert!(run(&authn, &snap, &req).is_ok());
    // The same signed headers with another body.
    let mut swapped = V3::with_headers(AK, SK, PARAMS, &[("x-acs-signature-nonce", "b2")], body);
    swapped.body = br#"{"a":2}"#.to_vec();
    assert_eq!(
        run(&authn, &snap, &swapped).unwrap_err(),
        AuthenticationError::ContentSha256Mismatch
    );
    let mut junk = V3::with_headers(AK, SK, PARAMS, &[("x-acs-signature-nonce", "b3")], body);
    junk.set("x-acs-content-sha256", "zz");
    assert_eq!(
        run(&authn, &snap, &junk).unwrap_err(),
        AuthenticationError::MalformedContentSha256
    );
}

// ---- V1 ----

fn v1_params<'a>(ak: &'a str, nonce: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("Action", "AssumeRole"),
        ("Format", "JSON"),
        ("Version", "2015-04-01"),
        ("Timestamp", DATE),
        ("SignatureNonce", nonce),
        ("RoleArn", "acs:ram::123456789012:role/test-role"),
        ("RoleSessionName", "alice"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("AccessKeyId", ak),
    ];
    p.extend_from_slice(extra);
    p
}

fn v1_query(secret: &str, method: &str, params: &[(&str, &str)], plus: bool) -> String {
    let sig = sign_v1(secret, method, params, plus);
    let mut all = params.to_vec();
    all.push(("Signature", &sig));
    wire_query(&all)
}

fn v1(
    authn: &Authenticator,
    snap: &Snapshot,
    method: &str,
    query: &str,
) -> Result<ram_web::Authenticated, AuthenticationError> {
    authn.authenticate(
        snap,
        &SignedRequest::new(method, "/", query).header("host", b"http://127.0.0.1:18080"),
        now(),
    )
}

#[test]
fn v1_get_and_post() {
    let snap = authorizer().snapshot();
    let authn = Authenticator::new();
    let p = v1_params(AK, "v1-a", &[]);
    let who = v1(&authn, &snap, "GET", &v1_query(SK, "GET", &p, false)).unwrap();
    assert_eq!(who.scheme, SignatureScheme::V1);
    assert_eq!(who.action.as_deref(), Some("AssumeRole"));
    let p = v1_params(AK, "v1-b", &[]);
    assert!(v1(&authn, &snap, "POST", &v1_query(SK, "POST", &p, false)).is_ok());
    // Signed for GET, sent as POST.
    let p = v1_params(AK, "v1-c", &[]);
    assert_eq!(
        code(v1(&authn, &snap, "POST", &v1_query(SK, "GET", &p, false))),
        ("SignatureDoesNotMatch", 400)
    );
}

#[test]
fn v1_accepts_the_credentials_library_quote_plus_form() {
    let snap = authorizer().snapshot();
    let authn = Authenticator::new();
    let policy = r#"{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:Get*", "Resource": "*"}]}"#;
    let p = v1_params(AK, "v1-qp", &[("Policy", policy)]);
    let who = v1(&authn, &snap, "GET", &v1_query(SK, "GET", &p, true)).unwrap();
    assert_eq!(who.scheme, SignatureScheme::V1QuotePlus);
    let p = v1_params(AK, "v1-rfc", &[("Policy", policy)]);
    assert_eq!(
        v1(&authn, &snap, "GET", &v1_query(SK, "GET", &p, false))
            .unwrap()
            .scheme,
        SignatureScheme::V1
    );
}

#[test]
fn v1_failures() {
    let snap = authorizer().snapshot();
    let authn = Authenticator::new();
    let sign = |p: &[(&str, &str)]| v1_query(SK, "GET", p, false);
    let without = |name: &str| {
        let p: Vec<_> = v1_params(AK, "x", &[])
            .into_iter()
            .filter(|(k, _)| *k != name)
            .collect();
        sign(&p)
    };
    assert_eq!(
        code(v1(&authn, &snap, "GET", &without("AccessKeyId"))).0,
        "MissingAccessKeyId"
    );
    assert_eq!(
        code(v1(&authn, &snap, "GET", &without("Timestamp"))).0,
        "MissingTimestamp"
    );
    assert_eq!(
        code(v1(&authn, &snap, "GET", &without("SignatureNonce"))).0,
        "MissingSignatureNonce"
    );
    assert_eq!(
        code(v1(&authn, &snap, "GET", &without("SignatureMethod"))).0,
        "MissingSignatureMethod"
    );
    let mut p = v1_params(AK, "y", &[]);
    p.retain(|(k, _)| *k != "SignatureMethod");
    p.push(("SignatureMethod", "HMAC-SHA256"));
    assert_eq!(
        code(v1(&authn, &snap, "GET", &sign(&p))),
        ("InvalidSignatureMethod", 400)
    );
    assert_eq!(
        code(v1(
            &authn,
            &snap,
            "GET",
            &format!("{}&Signature=AAAA", sign(&v1_params(AK, "z", &[])))
        ))
        .0,
        "InvalidParameter",
        "two Signature parameters"
    );
    let q = wire_query(&v1_params(AK, "w", &[])) + "&Signature=not-base64";
    assert_eq!(code(v1(&authn, &snap, "GET", &q)), ("IncompleteSignature", 400));
    assert_eq!(
        code(v1(
            &authn,
            &snap,
            "GET",
            &sign(&v1_params("LTAI5tUnknown00000000000", "v", &[]))
        )),
        ("InvalidAccessKeyId.NotFound", 404)
    );
    // No credentials at all.
    assert_eq!(
        code(v1(&authn, &snap, "GET", "Action=GetCallerIdentity")),
        ("MissingSignature", 400)
    );
    // A V1 replay.
    let q = sign(&v1_params(AK, "once", &[]));
    assert!(v1(&authn, &snap, "GET", &q).is_ok());
    assert_eq!(code(v1(&authn, &snap, "GET", &q)).0, "SignatureNonceUsed");
    // The wrong secret shows the string to sign, which holds no secret.
    let q = v1_query(
        "WrongSecret000000000000000000x",
        "GET",
        &v1_params(AK, "ws", &[]),
        false,
    );
    let e = v1(&authn, &snap, "GET", &q).unwrap_err();
    assert!(
        e.to_string().contains("server string to sign is:GET&%2F&AccessKeyId"),
        "{e}"
    );
}

// ---- STS tokens ----

struct MockSts {
    calls: AtomicUsize,
}

impl TokenVerifier for MockSts {
    fn verify(
        &self,
        _: &Snapshot,
        access_key_id: &str,
        token: &str,
        now: Timestamp,
    ) -> Result<TokenSession, TokenError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let expiration = match token {
            "good" => now.checked_add(SignedDuration::from_hours(1)).unwrap(),
            "stale" => return Err(TokenError::Expired),
            "lying" => now.checked_sub(SignedDuration::from_secs(1)).unwrap(),
            _ => return Err(TokenError::Malformed("not issued here".into())),
        };
        if access_key_id != "STS.Session000000000001" {
            return Err(TokenError::MismatchWithAccessKey);
        }
        Ok(TokenSession {
            access_key_secret: Secret::new("TemporarySecret"),
            role_name: "reader".into(),
            role_id: "300000000000000001".into(),
            session_name: "bob".into(),
            session_policy: None,
            expiration,
            source_identity: None,
        })
    }
}

const STS_AK: &str = "STS.Session000000000001";

#[test]
fn sts_token_is_verified_before_the_signature() {
    let snap = authorizer().snapshot();
    let mock = Arc::new(MockSts {
        calls: AtomicUsize::new(0),
    });
    let authn = Authenticator::new().with_token_verifier(mock.clone());
    let extra = |nonce: &'static str, token: &'static str| -> Vec<(&'static str, &'static str)> {
        vec![
            ("x-acs-signature-nonce", nonce),
            ("x-acs-security-token", token),
            ("x-acs-accesskey-id", STS_AK),
        ]
    };
    let ok = V3::with_headers(STS_AK, "TemporarySecret", PARAMS, &extra("s1", "good"), b"");
    let who = run(&authn, &snap, &ok).unwrap();
    assert!(
        matches!(&who.identity, Identity::RoleSession { role_name, session_name, .. } if role_name == "reader" && session_name == "bob")
    );
    assert_eq!(who.principal_arn(), "acs:ram::123456789012:assumed-role/reader/bob");
    // A stale token is reported as such even though the signature is also wrong: the token
    // is checked first.
    let stale = V3::with_headers(STS_AK, "nope", PARAMS, &extra("s2", "stale"), b"");
    assert_eq!(code(run(&authn, &snap, &stale)), ("InvalidSecurityToken.Expired", 400));
    let bogus = V3::with_headers(STS_AK, "TemporarySecret", PARAMS, &extra("s3", "bogus"), b"");
    assert_eq!(
        code(run(&authn, &snap, &bogus)),
        ("InvalidSecurityToken.Malformed", 400)
    );
    let lying = V3::with_headers(STS_AK, "TemporarySecret", PARAMS, &extra("s4", "lying"), b"");
    assert_eq!(code(run(&authn, &snap, &lying)).0, "InvalidSecurityToken.Expired");
    let wrong_sig = V3::with_headers(STS_AK, "Other", PARAMS, &extra("s5", "good"), b"");
    assert_eq!(code(run(&authn, &snap, &wrong_sig)).0, "SignatureDoesNotMatch");
    assert_eq!(mock.calls.load(Ordering::SeqCst), 5);
    // An STS key without its token.
    let bare = V3::new(STS_AK, "TemporarySecret", "s6", PARAMS);
    assert_eq!(code(run(&authn, &snap, &bare)), ("MissingSecurityToken", 400));
    // V1 carries the token as SecurityToken; the failure message then hides the string to sign.
    let p = v1_params(STS_AK, "s7", &[("SecurityToken", "good")]);
    assert!(v1(&authn, &snap, "GET", &v1_query("TemporarySecret", "GET", &p, false)).is_ok());
    let p = v1_params(STS_AK, "s8", &[("SecurityToken", "good")]);
    let e = v1(&authn, &snap, "GET", &v1_query("Wrong", "GET", &p, false)).unwrap_err();
    assert_eq!(e.code(), "SignatureDoesNotMatch");
    assert!(!e.to_string().contains("good"), "{e}");
    // Without a verifier, tokens are refused.
    let plain = Authenticator::new();
    let ok = V3::with_headers(STS_AK, "TemporarySecret", PARAMS, &extra("s9", "good"), b"");
    assert_eq!(
        run(&plain, &snap, &ok).unwrap_err(),
        AuthenticationError::TokensNotAccepted
    );
}

// ---- garbage ----

mod garbage {
    use super::*;
    use proptest::prelude::*;

    fn any_bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..80),
            "[ -~]{0,80}".prop_map(String::into_bytes),
            proptest::sample::select(vec![
                "ACS3-HMAC-SHA256".to_string(),
                "ACS3-HMAC-SHA256 Credential=LTAI5tTestKey00000000001,SignedHeaders=host;x-acs-date,Signature=00"
                    .into(),
                format!(
                    "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=x-acs-date,Signature={}",
                    "0".repeat(64)
                ),
                "2024-01-01T00:00:00Z".into(),
                "%".into(),
                "%%%ZZ+&=;,".into(),
            ])
            .prop_map(String::into_bytes),
        ]
    }

    fn header_name() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(vec![
                "authorization",
                "x-acs-date",
                "x-acs-signature-nonce",
                "x-acs-content-sha256",
                "x-acs-security-token",
                "x-acs-accesskey-id",
                "x-acs-action",
                "host",
                "content-type",
            ])
            .prop_map(str::to_owned),
            "[a-zA-Z-]{1,12}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// No input makes the authenticator panic, and garbage never authenticates.
        #[test]
        fn garbage_never_panics_nor_passes(
            method in "[A-Z]{0,7}",
            path in "[ -~]{0,20}",
            query in prop_oneof![
                "[ -~]{0,120}",
                Just("Signature=AAAA&AccessKeyId=LTAI5tTestKey00000000001&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&Timestamp=2024-01-01T00%3A00%3A00Z&SignatureNonce=x".to_string()),
            ],
            headers in proptest::collection::vec((header_name(), any_bytes()), 0..8),
            body in proptest::collection::vec(any::<u8>(), 0..32),
        ) {
            let snap = authorizer().snapshot();
            let authn = Authenticator::new().with_token_verifier(Arc::new(MockSts { calls: AtomicUsize::new(0) }));
            let mut req = SignedRequest::new(&method, &path, &query);
            for (k, v) in &headers {
                req.push_header(k, v);
            }
            let req = req.body(&body);
            let result = authn.authenticate(&snap, &req, now());
            prop_assert!(result.is_err());
            let e = result.unwrap_err();
            let _ = e.to_json("r", "h");
            prop_assert!(!e.to_string().contains(SK));
        }
    }
}

// ---- the crate's own client signer round-trips ----

#[test]
fn crate_signer_round_trips_through_the_authenticator() {
    use ram_web::signer::{Call, Credentials, sign_v1, sign_v3};
    let snap = authorizer().snapshot();
    let authn = Authenticator::new().with_token_verifier(Arc::new(MockSts {
        calls: AtomicUsize::new(0),
    }));
    let date: Timestamp = DATE.parse().unwrap();
    let params = [("UserName", "bob smith"), ("Comments", "a+b=c&d*~")];
    for creds in [
        Credentials::new(AK, SK),
        Credentials::sts(STS_AK, "TemporarySecret", "good"),
    ] {
        for method in ["POST", "GET"] {
            let call = Call::new("CreateUser", "2015-05-01").params(&params).method(method);
            let s = sign_v3(&creds, &call, "127.0.0.1:1", date, None);
            let mut req = SignedRequest::new(method, "/", &s.query);
            for (k, v) in &s.headers {
                req.push_header(k, v.as_bytes());
            }
            let who = authn.authenticate(&snap, &req, now()).unwrap();
            assert_eq!(
                (who.scheme, who.action.as_deref()),
                (SignatureScheme::V3, Some("CreateUser"))
            );
            let s = sign_v1(&creds, &call, date, None);
            let who = authn
                .authenticate(&snap, &SignedRequest::new(method, "/", &s.query), now())
                .unwrap();
            assert_eq!(
                (who.scheme, who.version.as_deref()),
                (SignatureScheme::V1, Some("2015-05-01"))
            );
            assert_eq!(who.access_key_id, creds.access_key_id);
        }
    }
}

#[test]
fn request_info_sets_the_server_side_keys() {
    let info = ram_web::RequestInfo {
        client_ip: Some("192.0.2.1".parse().unwrap()),
        secure_transport: true,
        received_at: "2024-01-01T00:00:00.5Z".parse().unwrap(),
        request_id: ram_web::new_request_id(),
        host_id: "h".into(),
    };
    let mut ctx = RequestContext::builder()
        .set("acs:SourceIp", "10.0.0.1")
        .set("acs:SecureTransport", "false")
        .build();
    info.add_to_context(&mut ctx);
    assert_eq!(ctx.get("acs:SourceIp").unwrap()[0].raw(), "192.0.2.1");
    assert_eq!(ctx.get("acs:SecureTransport").unwrap()[0].boolean(), Some(true));
    assert!(ctx.get("acs:CurrentTime").unwrap()[0].instant().is_some());
}
