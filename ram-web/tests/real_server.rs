//! The layer behind a real HTTP/1 server on an ephemeral loopback port, called over a raw
//! TCP socket so nothing between the test and the server normalises the request: the query
//! keeps its `+`, the Host header its odd value, and the peer address comes from the socket.
#![cfg(feature = "axum")]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::any;
use common::{sign_v1, sign_v3, wire_query};
use jiff::Timestamp;
use ram_core::authorizer::Authorizer;
use ram_core::directory::{Change, Directory};
use ram_web::axum::AuthLayer;
use ram_web::signer::format_timestamp;
use ram_web::{Authenticated, Authenticator, RequestInfo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const AK: &str = "LTAI5tTestKey00000000001";
const SK: &str = "TestSecret0000000000000000abcd";

async fn handler(who: Authenticated, info: RequestInfo) -> String {
    format!("{}|{:?}", who.principal_arn(), info.client_ip)
}

async fn start() -> SocketAddr {
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
    let app = Router::new()
        .route("/", any(handler))
        .layer(AuthLayer::new(Arc::new(auth), Arc::new(Authenticator::new())));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap();
    });
    addr
}

/// Sends raw request bytes and returns (status, body).
async fn send(addr: SocketAddr, raw: String) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read_to_end(&mut out));
    read.await.expect("the server answers within 10 s").unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test(flavor = "current_thread")]
async fn sdk_shaped_requests_over_a_socket() {
    let addr = start().await;
    let date = format_timestamp(Timestamp::now());
    let params = [("RoleSessionName", "alice"), ("DisplayName", "Bob Smith*")];
    let headers = [
        ("host", format!("127.0.0.1:{}", addr.port())),
        ("x-acs-action", "AssumeRole".into()),
        ("x-acs-version", "2015-04-01".into()),
        ("x-acs-date", date.clone()),
        ("x-acs-signature-nonce", "socket-1".into()),
        (
            "x-acs-content-sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into(),
        ),
        ("accept", "application/json".into()),
    ];
    let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let signed = sign_v3(SK, AK, "POST", "/", &params, &h, b"");
    let mut raw = format!("POST /?{} HTTP/1.1\r\n", wire_query(&params));
    assert!(raw.contains("Bob+Smith%2A"));
    for (k, v) in &h {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    raw.push_str(&format!(
        "Authorization: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        signed.authorization
    ));
    let (status, body) = send(addr, raw.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, "acs:ram::123456789012:user/alice|Some(127.0.0.1)");
    // The same bytes again: a replay.
    let (status, body) = send(addr, raw).await;
    assert_eq!(status, 400);
    assert!(body.contains("\"Code\":\"SignatureNonceUsed\""), "{body}");

    // The credentials library: V1 GET, quote_plus signature, a URL in Host.
    let policy = r#"{"Version": "1", "Statement": []}"#;
    let params = [
        ("Action", "AssumeRole"),
        ("Format", "JSON"),
        ("Version", "2015-04-01"),
        ("Timestamp", date.as_str()),
        ("SignatureNonce", "socket-2"),
        ("RoleArn", "acs:ram::123456789012:role/r"),
        ("RoleSessionName", "alice"),
        ("Policy", policy),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("AccessKeyId", AK),
    ];
    let sig = sign_v1(SK, "GET", &params, true);
    let mut all = params.to_vec();
    all.push(("Signature", &sig));
    let raw = format!(
        "GET /?{} HTTP/1.1\r\nhost: http://127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        wire_query(&all),
        addr.port()
    );
    let (status, body) = send(addr, raw).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("acs:ram::123456789012:user/alice|"), "{body}");
}
