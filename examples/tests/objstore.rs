//! The object-store example over real HTTP: the server on an ephemeral loopback port, called
//! with reqwest, requests signed with the demo access keys by `ram_web::signer`.
//!
//! Loopback is the only address a test can connect from, so the server trusts loopback as
//! its TLS-terminating proxy (`ServerConfig::default`), and the tests play that proxy:
//! `X-Forwarded-For` carries the client address, `X-Forwarded-Proto` the transport.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use ram_core::authorizer::Authorizer;
use ram_core::directory::{AccessKeyStatus, Change};
use ram_examples::objstore::{
    ADMIN_KEY, CI_KEY, DemoKey, READER_KEY, ServerConfig, TEAM_A_KEY, VIEWER, VIEWER_PASSWORD, app, demo_authorizer,
    serve,
};
use ram_sts::key::{Algorithm, KeyRing};
use ram_sts::{AssumeRoleRequest, Sts, StsCaller, Verifier};
use ram_web::Authenticator;
use ram_web::signer::{Call, Credentials, SignedCall, sign_v1, sign_v3};
use serde_json::Value;

const TEAM_A_IP: &str = "203.0.113.7";
const OTHER_IP: &str = "198.51.100.1";

struct Server {
    host: String,
    client: reqwest::Client,
    authorizer: Arc<Authorizer>,
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn code(&self) -> String {
        self.json()["Code"].as_str().unwrap_or("").to_owned()
    }

    /// Status and Code, for one-line assertions on errors.
    fn error(&self) -> (u16, String) {
        (self.status, self.code())
    }
}

fn creds((_, id, secret): DemoKey) -> Credentials {
    Credentials::new(id, secret)
}

/// One request: what to sign and what to add unsigned (the proxy's headers, cookies).
struct Req<'a> {
    method: &'a str,
    path: &'a str,
    params: &'a [(&'a str, &'a str)],
    body: &'a [u8],
    extra: Vec<(&'a str, String)>,
    date: Option<Timestamp>,
}

impl<'a> Req<'a> {
    fn new(method: &'a str, path: &'a str) -> Req<'a> {
        Req {
            method,
            path,
            params: &[],
            body: b"",
            extra: Vec::new(),
            date: None,
        }
    }

    fn body(mut self, body: &'a [u8]) -> Req<'a> {
        self.body = body;
        self
    }

    fn params(mut self, params: &'a [(&'a str, &'a str)]) -> Req<'a> {
        self.params = params;
        self
    }

    fn header(mut self, name: &'a str, value: &str) -> Req<'a> {
        self.extra.push((name, value.to_owned()));
        self
    }

    /// As relayed by the TLS-terminating proxy for a client at `ip`.
    fn via_https_from(self, ip: &str) -> Req<'a> {
        self.header("x-forwarded-for", ip).header("x-forwarded-proto", "https")
    }

    fn dated(mut self, date: Timestamp) -> Req<'a> {
        self.date = Some(date);
        self
    }
}

impl Server {
    async fn start() -> Server {
        Server::start_with(
            demo_authorizer().expect("demo directory"),
            Authenticator::new(),
            ServerConfig::default(),
        )
        .await
    }

    async fn start_with(authorizer: Arc<Authorizer>, authenticator: Authenticator, config: ServerConfig) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let app = app(authorizer.clone(), Arc::new(authenticator), config);
        tokio::spawn(serve(listener, app));
        Server {
            host: addr.to_string(),
            client: reqwest::Client::new(),
            authorizer,
        }
    }

    fn sign(&self, creds: &Credentials, req: &Req<'_>) -> SignedCall {
        let call = Call::new("ObjectStore", "2024-01-01")
            .method(req.method)
            .path(req.path)
            .params(req.params)
            .body(req.body);
        sign_v3(creds, &call, &self.host, req.date.unwrap_or_else(Timestamp::now), None)
    }

    async fn send_signed(&self, signed: &SignedCall, req: &Req<'_>) -> Reply {
        let method = reqwest::Method::from_bytes(signed.method.as_bytes()).expect("method");
        let mut builder = self
            .client
            .request(method, format!("http://{}{}", self.host, signed.path_and_query()))
            .body(req.body.to_vec());
        for (name, value) in &signed.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        for (name, value) in &req.extra {
            builder = builder.header(*name, value.as_str());
        }
        let response = builder.send().await.expect("request");
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes().await.expect("body").to_vec(),
        }
    }

    async fn send(&self, key: DemoKey, req: Req<'_>) -> Reply {
        self.send_as(&creds(key), req).await
    }

    async fn send_as(&self, creds: &Credentials, req: Req<'_>) -> Reply {
        let signed = self.sign(creds, &req);
        self.send_signed(&signed, &req).await
    }

    async fn send_unsigned(&self, req: Req<'_>) -> Reply {
        let signed = SignedCall {
            method: req.method.to_owned(),
            path: req.path.to_owned(),
            query: String::new(),
            headers: Vec::new(),
        };
        self.send_signed(&signed, &req).await
    }

    /// The admin creates `bucket` and puts `key` with `body` in it.
    async fn seed(&self, bucket: &str, key: &str, body: &[u8]) {
        let r = self.send(ADMIN_KEY, Req::new("PUT", &format!("/{bucket}"))).await;
        assert!(r.status == 200 || r.code() == "BucketAlreadyExists", "{:?}", r.json());
        let r = self
            .send(ADMIN_KEY, Req::new("PUT", &format!("/{bucket}/{key}")).body(body))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.json());
    }
}

fn assert_request_id(reply: &Reply) {
    let v = reply.json();
    let id = v["RequestId"].as_str().unwrap_or("");
    assert_eq!(id.len(), 36, "RequestId in {v}");
    assert_eq!(v["HostId"], "objstore.example", "{v}");
}

#[tokio::test]
async fn admin_is_allowed_everything() {
    let s = Server::start().await;
    assert_eq!(s.send(ADMIN_KEY, Req::new("PUT", "/photos")).await.status, 200);
    let put = s
        .send(ADMIN_KEY, Req::new("PUT", "/photos/2024/a.jpg").body(b"jpeg bytes"))
        .await;
    assert_eq!(put.status, 200, "{:?}", put.json());
    assert_eq!(put.json()["Size"], 10);

    let get = s.send(ADMIN_KEY, Req::new("GET", "/photos/2024/a.jpg")).await;
    assert_eq!((get.status, get.body.as_slice()), (200, &b"jpeg bytes"[..]));

    let list = s
        .send(ADMIN_KEY, Req::new("GET", "/photos").params(&[("prefix", "2024/")]))
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json()["Contents"][0]["Key"], "2024/a.jpg");

    let buckets = s.send(ADMIN_KEY, Req::new("GET", "/")).await;
    assert_eq!(buckets.json()["Buckets"]["Bucket"][0], "photos");

    assert_eq!(
        s.send(ADMIN_KEY, Req::new("DELETE", "/photos")).await.code(),
        "BucketNotEmpty"
    );
    assert_eq!(
        s.send(ADMIN_KEY, Req::new("DELETE", "/photos/2024/a.jpg")).await.status,
        204
    );
    assert_eq!(s.send(ADMIN_KEY, Req::new("DELETE", "/photos")).await.status, 204);
    let gone = s.send(ADMIN_KEY, Req::new("GET", "/photos/2024/a.jpg")).await;
    assert_eq!(gone.error(), (404, "NoSuchBucket".to_owned()));
}

#[tokio::test]
async fn read_only_group_reads() {
    let s = Server::start().await;
    s.seed("photos", "a.jpg", b"A").await;
    let get = s.send(READER_KEY, Req::new("GET", "/photos/a.jpg")).await;
    assert_eq!((get.status, get.body.as_slice()), (200, &b"A"[..]));
    assert_eq!(s.send(READER_KEY, Req::new("GET", "/photos")).await.status, 200);
    assert_eq!(s.send(READER_KEY, Req::new("GET", "/")).await.status, 200);
}

#[tokio::test]
async fn implicit_deny_is_no_permission() {
    let s = Server::start().await;
    s.seed("photos", "a.jpg", b"A").await;
    for req in [
        Req::new("PUT", "/photos/b.jpg").body(b"B"),
        Req::new("DELETE", "/photos/a.jpg"),
        Req::new("PUT", "/newbucket"),
    ] {
        let r = s.send(READER_KEY, req).await;
        assert_eq!(r.error(), (403, "NoPermission".to_owned()), "{:?}", r.json());
        let v = r.json();
        assert_eq!(v["AccessDeniedDetail"]["NoPermissionType"], "ImplicitDeny", "{v}");
        assert_eq!(
            v["Message"],
            "You are not authorized to do this action. You should be authorized by RAM."
        );
        assert_request_id(&r);
        assert_eq!(
            r.headers.get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/json;charset=utf-8")
        );
    }
    // Nothing was written.
    let r = s.send(ADMIN_KEY, Req::new("GET", "/photos/b.jpg")).await;
    assert_eq!(r.code(), "NoSuchKey");
}

#[tokio::test]
async fn explicit_deny_beats_the_group_allow() {
    let s = Server::start().await;
    s.seed("audit", "2024.log", b"secret log").await;
    let r = s.send(READER_KEY, Req::new("GET", "/audit/2024.log")).await;
    assert_eq!(r.error(), (403, "NoPermission".to_owned()));
    let v = r.json();
    assert_eq!(v["AccessDeniedDetail"]["NoPermissionType"], "ExplicitDeny", "{v}");
    assert_eq!(v["AccessDeniedDetail"]["AuthAction"], "oss:GetObject");
    assert_eq!(v["AccessDeniedDetail"]["PolicyType"], "AccountLevelIdentityBasedPolicy");
    assert!(!String::from_utf8_lossy(&r.body).contains("secret log"));
    let r = s.send(READER_KEY, Req::new("GET", "/audit")).await;
    assert_eq!(r.json()["AccessDeniedDetail"]["NoPermissionType"], "ExplicitDeny");
}

#[tokio::test]
async fn bad_signature_unknown_and_inactive_keys() {
    let s = Server::start().await;
    s.seed("photos", "a.jpg", b"A").await;
    let (_, id, _) = READER_KEY;
    let wrong = Credentials::new(id, "not-the-secret");
    let req = Req::new("GET", "/photos/a.jpg");
    let r = s.send_signed(&s.sign(&wrong, &req), &req).await;
    assert_eq!(r.error(), (400, "SignatureDoesNotMatch".to_owned()));
    assert_request_id(&r);
    assert!(!String::from_utf8_lossy(&r.body).contains("not-the-secret"));

    // A body changed after signing no longer matches its signed hash.
    let req = Req::new("PUT", "/photos/a.jpg").body(b"signed body");
    let signed = s.sign(&creds(ADMIN_KEY), &req);
    let tampered = Req::new("PUT", "/photos/a.jpg").body(b"other body!");
    let r = s.send_signed(&signed, &tampered).await;
    assert_eq!(r.error(), (400, "SignatureDoesNotMatch".to_owned()));

    let unknown = Credentials::new("LTAIdoesNotExist000001", "x");
    let req = Req::new("GET", "/photos/a.jpg");
    let r = s.send_signed(&s.sign(&unknown, &req), &req).await;
    assert_eq!(r.error(), (404, "InvalidAccessKeyId.NotFound".to_owned()));

    let (user, id, _) = READER_KEY;
    s.authorizer
        .apply(&[Change::UpdateAccessKey {
            user: user.into(),
            access_key_id: id.into(),
            status: AccessKeyStatus::Inactive,
        }])
        .expect("deactivate");
    let r = s.send(READER_KEY, Req::new("GET", "/photos/a.jpg")).await;
    assert_eq!(r.error(), (400, "InvalidAccessKeyId.Inactive".to_owned()));
}

#[tokio::test]
async fn replayed_nonce_is_refused() {
    let s = Server::start().await;
    s.seed("photos", "a.jpg", b"A").await;
    let req = Req::new("GET", "/photos/a.jpg");
    let signed = s.sign(&creds(READER_KEY), &req);
    assert_eq!(s.send_signed(&signed, &req).await.status, 200);
    let again = s.send_signed(&signed, &req).await;
    assert_eq!(again.error(), (400, "SignatureNonceUsed".to_owned()));
}

#[tokio::test]
async fn stale_timestamp_is_refused() {
    let s = Server::start().await;
    let old = Timestamp::now() - SignedDuration::from_mins(20);
    let r = s.send(ADMIN_KEY, Req::new("GET", "/").dated(old)).await;
    assert_eq!(r.error(), (400, "InvalidTimeStamp.Expired".to_owned()));
}

#[tokio::test]
async fn prefix_user_from_its_network_over_https() {
    let s = Server::start().await;
    s.seed("shared", "team-a/plan.txt", b"plan").await;
    let r = s
        .send(
            TEAM_A_KEY,
            Req::new("GET", "/shared/team-a/plan.txt").via_https_from(TEAM_A_IP),
        )
        .await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"plan"[..]));
    let r = s
        .send(
            TEAM_A_KEY,
            Req::new("PUT", "/shared/team-a/new.txt")
                .body(b"n")
                .via_https_from(TEAM_A_IP),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let r = s
        .send(
            TEAM_A_KEY,
            Req::new("GET", "/shared")
                .params(&[("prefix", "team-a/")])
                .via_https_from(TEAM_A_IP),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["Contents"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn prefix_user_outside_its_prefix_is_denied() {
    let s = Server::start().await;
    s.seed("shared", "team-b/x.txt", b"b").await;
    for req in [
        Req::new("GET", "/shared/team-b/x.txt"),
        Req::new("GET", "/shared").params(&[("prefix", "team-b/")]),
        Req::new("GET", "/shared"),
        Req::new("GET", "/"),
    ] {
        let r = s.send(TEAM_A_KEY, req.via_https_from(TEAM_A_IP)).await;
        assert_eq!(r.error(), (403, "NoPermission".to_owned()), "{:?}", r.json());
    }
}

#[tokio::test]
async fn wrong_source_ip_is_denied() {
    let s = Server::start().await;
    s.seed("shared", "team-a/plan.txt", b"plan").await;
    let r = s
        .send(
            TEAM_A_KEY,
            Req::new("GET", "/shared/team-a/plan.txt").via_https_from(OTHER_IP),
        )
        .await;
    assert_eq!(r.error(), (403, "NoPermission".to_owned()));
    assert_eq!(r.json()["AccessDeniedDetail"]["NoPermissionType"], "ImplicitDeny");
    // A client that writes the allowed address into X-Forwarded-For itself is still the
    // right-most untrusted hop the proxy appended.
    let spoofed = format!("{TEAM_A_IP}, {OTHER_IP}");
    let r = s
        .send(
            TEAM_A_KEY,
            Req::new("GET", "/shared/team-a/plan.txt").via_https_from(&spoofed),
        )
        .await;
    assert_eq!(r.error(), (403, "NoPermission".to_owned()));
}

#[tokio::test]
async fn https_only_condition() {
    let s = Server::start().await;
    s.seed("shared", "team-a/plan.txt", b"plan").await;
    let plain = Req::new("GET", "/shared/team-a/plan.txt").header("x-forwarded-for", TEAM_A_IP);
    assert_eq!(s.send(TEAM_A_KEY, plain).await.status, 403);
    let http = Req::new("GET", "/shared/team-a/plan.txt")
        .header("x-forwarded-for", TEAM_A_IP)
        .header("x-forwarded-proto", "http");
    assert_eq!(s.send(TEAM_A_KEY, http).await.status, 403);
    // Only the right-most value counts: the proxy's.
    let spoofed = Req::new("GET", "/shared/team-a/plan.txt")
        .header("x-forwarded-for", TEAM_A_IP)
        .header("x-forwarded-proto", "https, http");
    assert_eq!(s.send(TEAM_A_KEY, spoofed).await.status, 403);
}

#[tokio::test]
async fn client_cannot_set_acs_keys() {
    let s = Server::start().await;
    s.seed("shared", "team-a/plan.txt", b"plan").await;
    // From the wrong network over plain HTTP, with every way a client might try to claim
    // the keys the policy needs: signed query parameters and headers named like them.
    let params = [
        ("acs:SourceIp", TEAM_A_IP),
        ("acs:SecureTransport", "true"),
        ("acs%3ASourceIp", TEAM_A_IP),
    ];
    let req = Req::new("GET", "/shared/team-a/plan.txt")
        .params(&params)
        .header("x-forwarded-for", OTHER_IP)
        .header("acs-sourceip", TEAM_A_IP)
        .header("x-acs-sourceip", TEAM_A_IP)
        .header("x-acs-securetransport", "true")
        .header("acs-securetransport", "true");
    let r = s.send(TEAM_A_KEY, req).await;
    assert_eq!(r.error(), (403, "NoPermission".to_owned()), "{:?}", r.json());
    // The same request from the right network over HTTPS is allowed: the parameters and
    // headers neither helped nor hurt.
    let req = Req::new("GET", "/shared/team-a/plan.txt")
        .params(&params)
        .via_https_from(TEAM_A_IP)
        .header("x-acs-sourceip", OTHER_IP);
    assert_eq!(s.send(TEAM_A_KEY, req).await.status, 200);
}

#[tokio::test]
async fn unsigned_request_is_unauthenticated() {
    let s = Server::start().await;
    s.seed("photos", "a.jpg", b"A").await;
    let r = s.send_unsigned(Req::new("GET", "/photos/a.jpg")).await;
    assert_eq!(r.error(), (401, "MissingSignature".to_owned()));
    assert_request_id(&r);
}

#[tokio::test]
async fn v1_signatures_are_refused_for_rest_paths() {
    let s = Server::start().await;
    s.seed("photos", "a.jpg", b"A").await;
    let call = Call::new("GetObject", "2024-01-01").method("GET").path("/photos/a.jpg");
    let signed = sign_v1(&creds(ADMIN_KEY), &call, Timestamp::now(), None);
    let r = s.send_signed(&signed, &Req::new("GET", "/photos/a.jpg")).await;
    assert_eq!(r.error(), (400, "IncompleteSignature".to_owned()));
}

#[tokio::test]
async fn user_without_object_rights_is_denied() {
    // `ci` may only assume the uploader role; on its own it writes nothing.
    let s = Server::start().await;
    s.seed("incoming", "x", b"x").await;
    let r = s
        .send(CI_KEY, Req::new("PUT", "/incoming/build.tar").body(b"tar"))
        .await;
    assert_eq!(r.error(), (403, "NoPermission".to_owned()));
}

async fn login(s: &Server, user: &str, password: &str) -> Reply {
    let body = format!("UserName={user}&Password={password}");
    let response = s
        .client
        .post(format!("http://{}/-/login", s.host))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("login");
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

#[tokio::test]
async fn console_session_by_cookie() {
    let s = Server::start().await;
    s.seed("photos", "a.jpg", b"A").await;
    let r = login(&s, VIEWER, VIEWER_PASSWORD).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["MFAPresent"], false);
    let set_cookie = r
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("Set-Cookie")
        .to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict") && set_cookie.contains("Secure"));
    let cookie = set_cookie.split(';').next().expect("pair").to_owned();
    assert!(cookie.starts_with("ram_console=RAMCS1."), "{cookie}");

    // The viewer is in the read-only group: reads by cookie, cannot write.
    let r = s
        .send_unsigned(Req::new("GET", "/photos/a.jpg").header("cookie", &cookie))
        .await;
    assert_eq!((r.status, r.body.as_slice()), (200, &b"A"[..]));
    let r = s
        .send_unsigned(Req::new("PUT", "/photos/b.jpg").body(b"B").header("cookie", &cookie))
        .await;
    assert_eq!(r.error(), (403, "NoPermission".to_owned()));

    // An altered token is refused, not treated as anonymous.
    let forged = format!("{}x", cookie);
    let r = s
        .send_unsigned(Req::new("GET", "/photos/a.jpg").header("cookie", &forged))
        .await;
    assert_eq!(r.status, 401);
    assert!(r.code().starts_with("InvalidConsoleSession."), "{:?}", r.json());

    let r = login(&s, VIEWER, "wrong-password").await;
    assert_eq!(r.error(), (401, "Login.InvalidCredentials".to_owned()));
    assert!(r.headers.get("set-cookie").is_none());
    let r = login(&s, "nobody", "x").await;
    assert_eq!(r.error(), (401, "Login.InvalidCredentials".to_owned()));
}

/// A server with an STS: `POST /-/sts/{role}` issues credentials, the authenticator verifies
/// their tokens (a verifier of its own over the same keys, as a separate replica would).
async fn start_with_sts() -> (Server, Arc<Sts>) {
    let authorizer = demo_authorizer().expect("demo directory");
    let keys =
        KeyRing::generate(Algorithm::HmacSha256, Timestamp::now() - SignedDuration::from_hours(24)).expect("keys");
    let sts = Arc::new(Sts::new(authorizer.clone(), keys));
    let verifier = Arc::new(Verifier::new((*sts.verifier().keys()).clone()));
    let config = ServerConfig {
        sts: Some(sts.clone()),
        ..ServerConfig::default()
    };
    let server = Server::start_with(authorizer, Authenticator::new().with_token_verifier(verifier), config).await;
    (server, sts)
}

fn temporary(reply: &Reply) -> Credentials {
    let v = reply.json();
    let c = &v["Credentials"];
    let field = |name: &str| c[name].as_str().unwrap_or_default().to_owned();
    Credentials::sts(field("AccessKeyId"), field("AccessKeySecret"), field("SecurityToken"))
}

#[tokio::test]
async fn temporary_write_access_through_the_uploader_role() {
    let (s, _) = start_with_sts().await;
    s.seed("incoming", "readme", b"r").await;
    s.seed("photos", "a.jpg", b"A").await;
    let r = s
        .send(
            CI_KEY,
            Req::new("POST", "/-/sts/uploader").params(&[("RoleSessionName", "build-1")]),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(
        r.json()["AssumedRoleUser"]["Arn"],
        "acs:ram::123456789012:role/uploader/build-1"
    );
    let temp = temporary(&r);
    assert!(temp.access_key_id.starts_with("STS."));

    let r = s
        .send_as(&temp, Req::new("PUT", "/incoming/build.tar").body(b"tar"))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    // The role may write there, not read, and nothing elsewhere.
    let r = s.send_as(&temp, Req::new("GET", "/incoming/build.tar")).await;
    assert_eq!(r.error(), (403, "NoPermission".to_owned()));
    let r = s.send_as(&temp, Req::new("PUT", "/photos/b.jpg").body(b"B")).await;
    assert_eq!(r.error(), (403, "NoPermission".to_owned()));
    // ci itself still cannot write.
    let r = s
        .send(CI_KEY, Req::new("PUT", "/incoming/direct.tar").body(b"tar"))
        .await;
    assert_eq!(r.error(), (403, "NoPermission".to_owned()));
}

#[tokio::test]
async fn assume_role_needs_the_permission() {
    let (s, _) = start_with_sts().await;
    let params = [("RoleSessionName", "x-1")];
    for key in [READER_KEY, TEAM_A_KEY] {
        let r = s.send(key, Req::new("POST", "/-/sts/uploader").params(&params)).await;
        assert_eq!(r.error(), (403, "NoPermission".to_owned()), "{:?}", r.json());
        assert_eq!(r.json()["AccessDeniedDetail"]["AuthAction"], "sts:AssumeRole");
    }
    let r = s.send(CI_KEY, Req::new("POST", "/-/sts/admin").params(&params)).await;
    assert_eq!(r.error(), (403, "NoPermission".to_owned()));
    let r = s
        .send(ADMIN_KEY, Req::new("POST", "/-/sts/nosuch").params(&params))
        .await;
    assert_eq!(r.error(), (404, "EntityNotExist.Role".to_owned()), "{:?}", r.json());
    let r = s
        .send_unsigned(Req::new("POST", "/-/sts/uploader?RoleSessionName=x-1"))
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn expired_or_foreign_security_token_is_refused() {
    let (s, sts) = start_with_sts().await;
    s.seed("incoming", "readme", b"r").await;
    let ci = StsCaller::User {
        name: CI_KEY.0,
        access_key_id: None,
    };
    let arn = "acs:ram::123456789012:role/uploader";
    let mint = |session: &'static str, at: Timestamp| {
        let c = sts
            .assume_role(&ci, &AssumeRoleRequest::new(arn, session), at)
            .expect("assume")
            .credentials;
        Credentials::sts(c.access_key_id, c.access_key_secret, c.security_token)
    };
    // Issued two hours ago for the default hour.
    let expired = mint("old-1", Timestamp::now() - SignedDuration::from_hours(2));
    let r = s
        .send_as(&expired, Req::new("PUT", "/incoming/late.tar").body(b"tar"))
        .await;
    assert_eq!(r.error(), (400, "InvalidSecurityToken.Expired".to_owned()));

    let valid = mint("new-1", Timestamp::now());
    let other = mint("new-2", Timestamp::now());
    let mixed = Credentials::sts(
        valid.access_key_id.clone(),
        valid.access_key_secret.expose(),
        other.security_token.clone().expect("token"),
    );
    let r = s.send_as(&mixed, Req::new("PUT", "/incoming/x").body(b"x")).await;
    assert_eq!(
        r.error(),
        (400, "InvalidSecurityToken.MismatchWithAccessKey".to_owned())
    );

    // An STS key pair without its token, and a token altered by one character.
    let bare = Credentials::new(valid.access_key_id.clone(), valid.access_key_secret.expose());
    let r = s.send_as(&bare, Req::new("GET", "/")).await;
    assert_eq!(r.error(), (400, "MissingSecurityToken".to_owned()));
    let mut token = valid.security_token.clone().expect("token");
    token.push('A');
    let forged = Credentials::sts(valid.access_key_id.clone(), valid.access_key_secret.expose(), token);
    let r = s.send_as(&forged, Req::new("GET", "/")).await;
    assert_eq!(r.error(), (400, "InvalidSecurityToken.Malformed".to_owned()));
    // The valid one works.
    let r = s.send_as(&valid, Req::new("PUT", "/incoming/ok").body(b"ok")).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
}
