//! The axum layer with `tower::ServiceExt::oneshot`, requests signed by the independent
//! test signer.
#![cfg(feature = "axum")]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use axum::routing::{any, post};
use common::{sign_v1, sign_v3, wire_query};
use http_body_util::BodyExt;
use jiff::Timestamp;
use ram_core::authorizer::Authorizer;
use ram_core::directory::{Change, Directory};
use ram_web::axum::{AuthLayer, SecureTransport};
use ram_web::{Authenticated, Authenticator, ClientIpConfig, RequestInfo};
use tower::ServiceExt;

const AK: &str = "LTAI5tTestKey00000000001";
const SK: &str = "TestSecret0000000000000000abcd";
const DATE: &str = "2024-01-01T00:00:00Z";

fn authorizer() -> Arc<Authorizer> {
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
    ])
    .unwrap();
    Arc::new(auth)
}

async fn whoami(who: Authenticated, info: RequestInfo, body: String) -> String {
    format!(
        "{}|{}|{:?}|{}|{}",
        who.principal_arn(),
        who.action.unwrap_or_default(),
        info.client_ip,
        info.secure_transport,
        body
    )
}

async fn maybe(who: Option<Authenticated>, info: RequestInfo) -> String {
    format!(
        "{}|{}",
        who.map(|w| w.principal_arn()).unwrap_or_else(|| "anonymous".into()),
        info.request_id.len()
    )
}

fn layer() -> AuthLayer {
    AuthLayer::new(authorizer(), Arc::new(Authenticator::new()))
        .clock(|| "2024-01-01T00:01:00Z".parse::<Timestamp>().unwrap())
        .host_id("sts.test.internal")
}

fn app(layer: AuthLayer) -> Router {
    Router::new()
        .route("/", post(whoami))
        .route("/maybe", any(maybe))
        .layer(layer)
}

/// A V3 request as the Python SDK sends it, from `peer`.
fn v3_request(nonce: &str, body: &[u8], extra: &[(&str, &str)], peer: &str) -> Request<Body> {
    let params = [("RoleSessionName", "alice"), ("DisplayName", "Bob Smith")];
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body));
    let mut headers: Vec<(&str, &str)> = vec![
        ("host", "127.0.0.1:18080"),
        ("x-acs-action", "AssumeRole"),
        ("x-acs-version", "2015-04-01"),
        ("x-acs-date", DATE),
        ("x-acs-signature-nonce", nonce),
        ("x-acs-content-sha256", &hash),
    ];
    headers.extend_from_slice(extra);
    let signed = sign_v3(SK, AK, "POST", "/", &params, &headers, body);
    let mut b = Request::builder()
        .method("POST")
        .uri(format!("/?{}", wire_query(&params)));
    for (k, v) in &headers {
        b = b.header(*k, *v);
    }
    let mut req = b
        .header("authorization", signed.authorization)
        .body(Body::from(body.to_vec()))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
    req
}

async fn text(resp: Response) -> (StatusCode, Option<String>, String) {
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8(body.to_vec()).unwrap())
}

#[test]
fn signer_matches_the_reference_vectors() {
    common::check_signer_against_vectors();
}

#[tokio::test]
async fn signed_request_reaches_the_handler_with_its_caller() {
    let resp = app(layer())
        .oneshot(v3_request("n1", b"payload", &[], "[::ffff:192.0.2.10]:5000"))
        .await
        .unwrap();
    let (status, _, body) = text(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The body is handed on intact, and the mapped peer address is IPv4.
    assert_eq!(
        body,
        "acs:ram::123456789012:user/alice|AssumeRole|Some(192.0.2.10)|false|payload"
    );
}

#[tokio::test]
async fn failures_are_alibaba_json_errors() {
    let app = app(layer());
    // Replay of the same request.
    let first = app
        .clone()
        .oneshot(v3_request("dup", b"", &[], "192.0.2.1:1"))
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let (status, ct, body) = text(
        app.clone()
            .oneshot(v3_request("dup", b"", &[], "192.0.2.1:1"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(ct.as_deref(), Some("application/json;charset=utf-8"));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["Code"], "SignatureNonceUsed");
    assert_eq!(v["HostId"], "sts.test.internal");
    assert_eq!(v["RequestId"].as_str().unwrap().len(), 36);
    assert!(v["Message"].as_str().unwrap().contains("nonce"));

    // A tampered query.
    let mut req = v3_request("t1", b"", &[], "192.0.2.1:1");
    *req.uri_mut() = "/?RoleSessionName=mallory&DisplayName=Bob+Smith".parse().unwrap();
    let (status, _, body) = text(app.clone().oneshot(req).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("\"Code\":\"SignatureDoesNotMatch\""), "{body}");

    // Unsigned.
    let req = Request::builder().method("POST").uri("/").body(Body::empty()).unwrap();
    let (status, _, body) = text(app.clone().oneshot(req).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("MissingSignature"), "{body}");

    // An unknown key is a 404.
    let mut req = v3_request("k1", b"", &[], "192.0.2.1:1");
    let auth = req.headers()["authorization"]
        .to_str()
        .unwrap()
        .replace(AK, "LTAI5tUnknown00000000000");
    req.headers_mut().insert("authorization", auth.parse().unwrap());
    let (status, _, body) = text(app.oneshot(req).await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("InvalidAccessKeyId.NotFound"), "{body}");
}

#[tokio::test]
async fn client_ip_through_trusted_proxies_and_forwarded_proto() {
    let layer = layer()
        .client_ip(ClientIpConfig::behind_proxies(["10.0.0.0/8".parse().unwrap()]))
        .secure_transport(SecureTransport::ForwardedProto);
    let app = app(layer);
    // Via a trusted proxy: the right-most untrusted hop, and its https claim.
    let mut req = v3_request("p1", b"", &[], "10.0.0.2:443");
    req.headers_mut()
        .insert("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.1.1.1".parse().unwrap());
    req.headers_mut().insert("x-forwarded-proto", "https".parse().unwrap());
    let (status, _, body) = text(app.clone().oneshot(req).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("|Some(203.0.113.7)|true|"), "{body}");
    // Directly from a client: its headers are ignored.
    let mut req = v3_request("p2", b"", &[], "198.51.100.4:1");
    req.headers_mut().insert("x-forwarded-for", "10.0.0.9".parse().unwrap());
    req.headers_mut().insert("x-forwarded-proto", "https".parse().unwrap());
    let (_, _, body) = text(app.oneshot(req).await.unwrap()).await;
    assert!(body.contains("|Some(198.51.100.4)|false|"), "{body}");
}

#[tokio::test]
async fn anonymous_mode_lets_only_unsigned_requests_through() {
    let app = app(layer().allow_anonymous(true));
    let req = Request::builder()
        .uri("/maybe?Action=AssumeRoleWithOIDC")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = text(app.clone().oneshot(req).await.unwrap()).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "anonymous|36"));
    // A handler that needs a caller answers MissingSignature.
    let req = Request::builder().method("POST").uri("/").body(Body::empty()).unwrap();
    let (status, _, body) = text(app.clone().oneshot(req).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("MissingSignature"), "{body}");
    // A signed request that fails is still refused.
    let q = "Action=GetCallerIdentity&Signature=AAAA";
    let req = Request::builder()
        .uri(format!("/maybe?{q}"))
        .body(Body::empty())
        .unwrap();
    let (status, _, _) = text(app.oneshot(req).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn v1_get_like_the_credentials_library() {
    let policy = r#"{"Version": "1", "Statement": []}"#;
    let params = [
        ("Action", "AssumeRole"),
        ("Format", "JSON"),
        ("Version", "2015-04-01"),
        ("Timestamp", DATE),
        ("SignatureNonce", "v1-lib"),
        ("RoleArn", "acs:ram::123456789012:role/test-role"),
        ("RoleSessionName", "alice"),
        ("Policy", policy),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("AccessKeyId", AK),
    ];
    let sig = sign_v1(SK, "GET", &params, true);
    let mut all = params.to_vec();
    all.push(("Signature", &sig));
    let req = Request::builder()
        .uri(format!("/maybe?{}", wire_query(&all)))
        .header("host", "http://127.0.0.1:18080")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = text(app(layer()).oneshot(req).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.starts_with("acs:ram::123456789012:user/alice|"), "{body}");
}

#[tokio::test]
async fn oversized_body_is_413() {
    let app = app(layer().body_limit(8));
    let (status, _, body) = text(
        app.oneshot(v3_request("big", &[b'x'; 64], &[], "192.0.2.1:1"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body.contains("RequestEntityTooLarge"), "{body}");
}

#[tokio::test]
async fn extractor_without_the_layer_is_a_500() {
    let app = Router::new().route("/", post(whoami));
    let req = Request::builder().method("POST").uri("/").body(Body::empty()).unwrap();
    let (status, _, body) = text(app.oneshot(req).await.unwrap()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("InternalError"), "{body}");
}

#[tokio::test]
async fn http2_style_authority_stands_in_for_host() {
    // No Host header; the authority is in the URI, as hyper presents HTTP/2 requests.
    let mut req = v3_request("h2", b"", &[], "192.0.2.1:1");
    req.headers_mut().remove("host");
    let pq = req.uri().path_and_query().unwrap().clone();
    *req.uri_mut() = format!("http://127.0.0.1:18080{pq}").parse().unwrap();
    let (status, _, body) = text(app(layer()).oneshot(req).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
