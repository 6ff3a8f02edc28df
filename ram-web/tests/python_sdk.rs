//! Requests signed by the official Python SDK code itself (tea-openapi 0.4.6's
//! `Utils.get_authorization` and `get_rpcsignature`, alibabacloud-credentials 1.0.12's
//! `compose_string_to_sign`), recorded by `fixtures/gen_python_sdk.py`: ram-web accepts
//! each, refuses its replay, and refuses it once tampered with.

use jiff::{SignedDuration, Timestamp};
use ram_core::authorizer::Authorizer;
use ram_core::directory::{Change, Directory};
use ram_web::{Authenticator, SignatureScheme, SignedRequest};
use serde_json::Value;

const FIXTURE: &str = include_str!("fixtures/python_sdk.json");

fn request<'a>(method: &'a str, query: &'a str, headers: &'a serde_json::Map<String, Value>) -> SignedRequest<'a> {
    let mut r = SignedRequest::new(method, "/", query);
    for (k, v) in headers {
        r.push_header(k, v.as_str().unwrap().as_bytes());
    }
    r.body(b"")
}

#[test]
fn every_python_sdk_signature_verifies() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let auth = Authorizer::new(Directory::new("123456789012").unwrap());
    auth.apply(&[
        Change::CreateUser {
            name: "alice".into(),
            display_name: None,
        },
        Change::CreateAccessKey {
            user: "alice".into(),
            access_key_id: fixture["access_key_id"].as_str().unwrap().into(),
            access_key_secret: fixture["access_key_secret"].as_str().unwrap().into(),
        },
    ])
    .unwrap();
    let snap = auth.snapshot();
    let now = fixture["date"]
        .as_str()
        .unwrap()
        .parse::<Timestamp>()
        .unwrap()
        .checked_add(SignedDuration::from_mins(1))
        .unwrap();
    let authn = Authenticator::new();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 30);
    let mut quote_plus = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let method = case["method"].as_str().unwrap();
        let query = case["query"].as_str().unwrap();
        let headers = case["headers"].as_object().unwrap();

        // Tampered first (a failure records no nonce): another method, a changed value.
        let other = if method == "GET" { "POST" } else { "GET" };
        let e = authn
            .authenticate(&snap, &request(other, query, headers), now)
            .unwrap_err();
        assert_eq!(e.code(), "SignatureDoesNotMatch", "{name}: {e}");
        let changed = query
            .replacen("AssumeRole", "AssumeRolf", 1)
            .replacen("=alice", "=alicf", 1);
        if changed != query {
            let e = authn
                .authenticate(&snap, &request(method, &changed, headers), now)
                .unwrap_err();
            assert_eq!(e.code(), "SignatureDoesNotMatch", "{name}: {e}");
        }

        let who = authn
            .authenticate(&snap, &request(method, query, headers), now)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = if name.starts_with("v3") { "V3" } else { "V1" };
        assert!(
            format!("{:?}", who.scheme).starts_with(expected),
            "{name}: {:?}",
            who.scheme
        );
        if who.scheme == SignatureScheme::V1QuotePlus {
            quote_plus += 1;
            assert!(name.starts_with("v1-cred"), "{name}");
        }
        let e = authn
            .authenticate(&snap, &request(method, query, headers), now)
            .unwrap_err();
        assert_eq!(e.code(), "SignatureNonceUsed", "{name}");
    }
    // The credentials library's signature differs from RFC 3986 exactly when a value has a
    // space: cases 1, 3 and 4 (Bob Smith, the CJK name, the JSON policy), GET and POST.
    assert_eq!(quote_plus, 6);
}
