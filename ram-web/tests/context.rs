//! `RamContext` behind the layer (signed callers) and without it (console cookie, the
//! process-wide default authorizer), and the audit events of `#[require]` checks.
#![cfg(feature = "axum")]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::response::Response;
use axum::routing::get;
use http_body_util::BodyExt;
use jiff::Timestamp;
use ram_core::authorizer::Authorizer;
use ram_core::directory::{Argon2Params, Change, Directory, PolicyTarget};
use ram_core::{RequireContext, require};
use ram_web::axum::AuthLayer;
use ram_web::session::ConsoleLogin;
use ram_web::signer::{Call, Credentials, sign_v3};
use ram_web::{ApiError, Authenticator, RamContext, RamHandle};
use tower::ServiceExt;

const AK: &str = "LTAI5tTestKey00000000001";
const SK: &str = "TestSecret0000000000000000abcd";
const PASSWORD: &str = "Correct-horse-1";
const NOW: &str = "2024-01-01T00:01:00Z";

fn authorizer() -> Arc<Authorizer> {
    let dir = Directory::new("123456789012").unwrap();
    let hash = dir
        .hash_new_password("alice", PASSWORD, Argon2Params::INSECURE_FAST)
        .unwrap();
    let auth = Authorizer::new(dir);
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
        Change::CreateLoginProfile {
            user: "alice".into(),
            password_hash: hash,
            password_reset_required: false,
            mfa_bind_required: false,
        },
        Change::CreatePolicy {
            name: "Docs".into(),
            document: r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"acs:oss:cn-shanghai:123456789012:docs/*"}]}"#.into(),
            description: String::new(),
        },
        Change::AttachPolicy {
            target: PolicyTarget::User("alice".into()),
            policy_type: None,
            policy: "Docs".into(),
        },
    ])
    .unwrap();
    Arc::new(auth)
}

/// The context's `acs:` keys, one per line.
#[require(action = "oss:GetObject", resource = "acs:oss:{$region}:{$account}:{bucket}/{key}")]
async fn keys(
    ctx: RamContext,
    axum::extract::Path((bucket, key)): axum::extract::Path<(String, String)>,
) -> Result<String, ApiError> {
    let mut out: Vec<String> = ctx
        .request_context()
        .iter()
        .map(|(k, v)| format!("{k}={}", v.iter().map(|v| v.raw()).collect::<Vec<_>>().join(",")))
        .collect();
    out.sort();
    Ok(out.join("\n"))
}

fn app(auth: Arc<Authorizer>) -> Router {
    Router::new().route("/{bucket}/{key}", get(keys)).layer(
        AuthLayer::new(auth, Arc::new(Authenticator::new()))
            .region("cn-shanghai")
            .clock(|| NOW.parse::<Timestamp>().unwrap()),
    )
}

fn signed(path: &str, params: &[(&str, &str)]) -> Request<Body> {
    let call = Call::new("GetObject", "2024-01-01")
        .method("GET")
        .path(path)
        .params(params);
    let s = sign_v3(
        &Credentials::new(AK, SK),
        &call,
        "localhost",
        NOW.parse().unwrap(),
        None,
    );
    let mut b = Request::builder().method("GET").uri(s.path_and_query());
    for (k, v) in &s.headers {
        b = b.header(k, v);
    }
    // Headers named like condition keys: they must change nothing.
    b = b
        .header("x-acs-sourceip", "203.0.113.9")
        .header("acs-mfapresent", "true")
        .header("x-forwarded-for", "203.0.113.9");
    let mut req = b.body(Body::empty()).unwrap();
    req.extensions_mut()
        .insert(ConnectInfo("192.0.2.10:5000".parse::<SocketAddr>().unwrap()));
    req
}

async fn text(r: Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body = r.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn context_holds_only_server_side_keys() {
    let params = [
        ("acs:SourceIp", "203.0.113.9"),
        ("acs:MFAPresent", "true"),
        ("acs:AccessId", "LTAIsomeoneElse000000001"),
    ];
    let (status, body) = text(app(authorizer()).oneshot(signed("/docs/a.txt", &params)).await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        [
            format!("acs:AccessId={AK}"),
            format!("acs:CurrentTime={NOW}"),
            "acs:MFAPresent=false".to_owned(),
            "acs:PrincipalARN=acs:ram::123456789012:user/alice".to_owned(),
            "acs:SecureTransport=false".to_owned(),
            "acs:SourceIp=192.0.2.10".to_owned(),
        ]
        .join("\n")
    );
}

/// Collects the `ram::audit` events as `field=value` lines.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push_str(&format!("{}={} ", field.name(), value));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if event.metadata().target() == "ram::audit" {
            let mut f = Fields(String::new());
            event.record(&mut f);
            self.0.lock().unwrap().push(f.0);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn one_audit_event_per_decision_without_secrets() {
    let capture = Capture::default();
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let auth = authorizer();
    let (allowed, denied) = tracing::subscriber::with_default(capture.clone(), || {
        rt.block_on(async {
            let a = text(app(auth.clone()).oneshot(signed("/docs/a.txt", &[])).await.unwrap()).await;
            let d = text(app(auth.clone()).oneshot(signed("/private/b.txt", &[])).await.unwrap()).await;
            (a, d)
        })
    });
    assert_eq!(allowed.0, 200);
    assert_eq!(denied.0, 403);
    let events = capture.0.lock().unwrap().clone();
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(events[0].contains("decision=Allow"), "{}", events[0]);
    assert!(events[0].contains("resource=acs:oss:cn-shanghai:123456789012:docs/a.txt"));
    assert!(events[1].contains("decision=ImplicitDeny"), "{}", events[1]);
    assert!(events[1].contains(&format!("access_key_id={AK}")));
    // The error body's RequestId is the one the audit event logged.
    let body: serde_json::Value = serde_json::from_str(&denied.1).unwrap();
    let request_id = body["RequestId"].as_str().unwrap();
    assert!(
        events[1].contains(&format!("request_id={request_id}")),
        "{} vs {request_id}",
        events[1]
    );
    for e in &events {
        assert!(!e.contains(SK) && !e.contains("Signature="), "secret in {e}");
    }
}

/// Without the layer: the process-wide default authorizer, and a console session by cookie.
#[tokio::test]
async fn console_cookie_with_the_default_authorizer() {
    let auth = authorizer();
    ram_web::set_default_authorizer(
        RamHandle::new(auth.clone())
            .region("cn-shanghai")
            .console_cookie("ram_console"),
    )
    .unwrap();
    let router = Router::new().route("/{bucket}/{key}", get(keys));
    let now = Timestamp::now();
    let login = ConsoleLogin::new(auth.clone());
    let (session, token) = login.login("alice", PASSWORD, None, now).unwrap();
    assert!(!session.mfa_present);

    let get = |cookie: Option<String>, path: &str| {
        let mut b = Request::builder().uri(path);
        if let Some(c) = cookie {
            b = b.header("cookie", c);
        }
        let mut req = b.body(Body::empty()).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo("[::ffff:192.0.2.7]:5000".parse::<SocketAddr>().unwrap()));
        router.clone().oneshot(req)
    };
    let (status, body) = text(
        get(Some(format!("a=b; ram_console={token}")), "/docs/a.txt")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("acs:MFAPresent=false"), "{body}");
    assert!(
        body.contains("acs:PrincipalARN=acs:ram::123456789012:user/alice"),
        "{body}"
    );
    // IPv4-mapped IPv6 peer, as IPv4.
    assert!(body.contains("acs:SourceIp=192.0.2.7"), "{body}");
    assert!(!body.contains("acs:AccessId"), "{body}");

    let (status, _) = text(
        get(Some(format!("ram_console={token}")), "/private/a.txt")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = text(get(None, "/docs/a.txt").await.unwrap()).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = text(
        get(Some("ram_console=RAMCS1.garbage".into()), "/docs/a.txt")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    assert!(body.contains("InvalidConsoleSession.Malformed"), "{body}");
}

/// Whatever a client sends (parameters and headers named like condition keys, forwarding
/// headers from an untrusted peer, cookies without a cookie name configured), the context of
/// an unsigned request holds exactly the server's three keys.
mod client_keys {
    use proptest::prelude::*;

    use super::*;

    async fn anonymous_keys(ctx: RamContext) -> String {
        let mut out: Vec<String> = ctx
            .request_context()
            .iter()
            .map(|(k, v)| format!("{k}={}", v.iter().map(|v| v.raw()).collect::<Vec<_>>().join(",")))
            .collect();
        out.sort();
        out.join("\n")
    }

    fn key_name() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("acs:SourceIp".to_owned()),
            Just("acs:SecureTransport".to_owned()),
            Just("acs:MFAPresent".to_owned()),
            Just("acs:AccessId".to_owned()),
            Just("acs:CurrentTime".to_owned()),
            Just("acs:PrincipalARN".to_owned()),
            "acs:[A-Za-z]{1,12}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn no_client_value_reaches_the_context(
            params in proptest::collection::vec((key_name(), "[ -~]{0,16}"), 0..6),
            headers in proptest::collection::vec(("(x-acs-|acs-|x-forwarded-)[a-z]{1,12}", "[ -~]{0,16}"), 0..6),
        ) {
            let query: String = params
                .iter()
                .map(|(k, v)| format!("{}={}", ram_web::encoding::percent_encode(k.as_bytes()), ram_web::encoding::percent_encode(v.as_bytes())))
                .collect::<Vec<_>>()
                .join("&");
            let mut b = Request::builder().uri(format!("/?{query}"));
            for (k, v) in &headers {
                b = b.header(k.as_str(), v.as_str());
            }
            let mut req = b.body(Body::empty()).unwrap();
            req.extensions_mut().insert(ConnectInfo("192.0.2.10:5000".parse::<SocketAddr>().unwrap()));
            let app = Router::new().route("/", get(anonymous_keys)).layer(
                AuthLayer::new(authorizer(), Arc::new(Authenticator::new()))
                    .allow_anonymous(true)
                    .secure_transport(ram_web::axum::SecureTransport::ForwardedProto)
                    .clock(|| NOW.parse::<Timestamp>().unwrap()),
            );
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let (status, body) = rt.block_on(async { text(app.oneshot(req).await.unwrap()).await });
            prop_assert_eq!(status, 200);
            prop_assert_eq!(
                body,
                format!("acs:CurrentTime={NOW}\nacs:SecureTransport=false\nacs:SourceIp=192.0.2.10")
            );
        }
    }
}
