//! STS through `ram-server`: AssumeRole (identity and trust sides, session policy), calls
//! signed with the temporary credentials (V3 and V1), GetCallerIdentity as the session, and
//! the token errors.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use ram_core::authorizer::Authorizer;
use ram_core::directory::{Change, Directory, PolicyTarget, PolicyType};
use ram_core::store::FileStore;
use ram_server::{Config, Server};
use ram_sts::{AssumeRoleRequest, KeyRing, Sts, StsCaller};
use ram_web::signer::{Call, Credentials, SignedCall, sign_v1, sign_v3};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ACCOUNT: &str = "123456789012";
const ADMIN: (&str, &str) = ("LTAI5tAdminKey0000000001", "AdminSecret000000000000000abcd");
const BOB: (&str, &str) = ("LTAI5tBobKey000000000001", "BobSecret00000000000000000abcd");
const RAM: &str = "2015-05-01";
const STS: &str = "2015-04-01";
const ROLE: &str = "acs:ram::123456789012:role/reader";

fn state_path(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ram-server-sts-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("state.json")
}

/// admin; bob allowed to assume roles; role `reader` trusting bob, with ReadOnlyAccess.
async fn start(tag: &str) -> (SocketAddr, PathBuf) {
    let path = state_path(tag);
    let mut dir = Directory::new(ACCOUNT).unwrap();
    let trust = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":["acs:ram::{ACCOUNT}:user/bob"]}}}}]}}"#
    );
    dir.apply(&[
        Change::CreateUser {
            name: "admin".into(),
            display_name: None,
        },
        Change::AttachPolicy {
            target: PolicyTarget::User("admin".into()),
            policy_type: Some(PolicyType::System),
            policy: "AdministratorAccess".into(),
        },
        Change::CreateAccessKey {
            user: "admin".into(),
            access_key_id: ADMIN.0.into(),
            access_key_secret: ADMIN.1.into(),
        },
        Change::CreateUser {
            name: "bob".into(),
            display_name: None,
        },
        Change::CreateAccessKey {
            user: "bob".into(),
            access_key_id: BOB.0.into(),
            access_key_secret: BOB.1.into(),
        },
        Change::AttachPolicy {
            target: PolicyTarget::User("bob".into()),
            policy_type: Some(PolicyType::System),
            policy: "AliyunSTSAssumeRoleAccess".into(),
        },
        Change::CreateRole {
            name: "reader".into(),
            trust_policy: trust,
            max_session_duration: None,
        },
        Change::AttachPolicy {
            target: PolicyTarget::Role("reader".into()),
            policy_type: Some(PolicyType::System),
            policy: "ReadOnlyAccess".into(),
        },
    ])
    .unwrap();
    drop(FileStore::create(&path, &dir).unwrap());
    let store = FileStore::open(&path).unwrap();
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), store, Config::default())
        .await
        .unwrap();
    let addr = server.local_addr();
    tokio::spawn(server.run());
    (addr, path)
}

async fn send(addr: SocketAddr, signed: &SignedCall) -> (u16, Value) {
    let mut raw = format!("{} {} HTTP/1.1\r\n", signed.method, signed.path_and_query());
    if signed.header("host").is_none() {
        raw.push_str(&format!("host: {addr}\r\n"));
    }
    for (k, v) in &signed.headers {
        raw.push_str(&format!("{k}: {v}\r\n"));
    }
    raw.push_str("connection: close\r\ncontent-length: 0\r\n\r\n");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(30), stream.read_to_end(&mut out))
        .await
        .expect("the server answers")
        .unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    (
        status,
        serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

async fn call(
    addr: SocketAddr,
    creds: &Credentials,
    v1: bool,
    version: &str,
    action: &str,
    params: &[(&str, &str)],
) -> (u16, Value) {
    let c = Call::new(action, version).params(params);
    let signed = if v1 {
        sign_v1(creds, &c, Timestamp::now(), None)
    } else {
        sign_v3(creds, &c, &addr.to_string(), Timestamp::now(), None)
    };
    send(addr, &signed).await
}

fn ok(r: &(u16, Value)) -> &Value {
    assert_eq!(r.0, 200, "{}", r.1);
    &r.1
}

fn err(r: &(u16, Value), status: u16, code: &str) {
    assert_eq!((r.0, r.1["Code"].as_str()), (status, Some(code)), "{}", r.1);
}

fn temporary(body: &Value) -> Credentials {
    let c = &body["Credentials"];
    Credentials::sts(
        c["AccessKeyId"].as_str().unwrap(),
        c["AccessKeySecret"].as_str().unwrap(),
        c["SecurityToken"].as_str().unwrap(),
    )
}

#[tokio::test(flavor = "current_thread")]
async fn assume_role_and_call_as_the_session() {
    let (addr, _) = start("assume").await;
    let bob = Credentials::new(BOB.0, BOB.1);
    for v1 in [false, true] {
        let r = call(
            addr,
            &bob,
            v1,
            STS,
            "AssumeRole",
            &[("RoleArn", ROLE), ("RoleSessionName", "bob-s1")],
        )
        .await;
        let body = ok(&r);
        assert_eq!(body["AssumedRoleUser"]["Arn"], format!("{ROLE}/bob-s1"));
        let exp = body["Credentials"]["Expiration"].as_str().unwrap();
        assert_eq!(exp.len(), 20, "{exp}");
        let session = temporary(body);
        for sv1 in [false, true] {
            let r = call(addr, &session, sv1, STS, "GetCallerIdentity", &[]).await;
            let who = ok(&r);
            assert_eq!(who["Arn"], format!("acs:ram::{ACCOUNT}:assumed-role/reader/bob-s1"));
            assert_eq!(who["IdentityType"], "AssumedRoleUser");
            ok(&call(addr, &session, sv1, RAM, "ListUsers", &[]).await);
            let r = call(addr, &session, sv1, RAM, "CreateUser", &[("UserName", "x")]).await;
            err(&r, 403, "NoPermission");
            assert_eq!(r.1["AccessDeniedDetail"]["AuthPrincipalType"], "AssumedRoleUser");
            assert_eq!(r.1["AccessDeniedDetail"]["AuthPrincipalDisplayName"], "reader/bob-s1");
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn session_policy_narrows_the_session() {
    let (addr, _) = start("session").await;
    let bob = Credentials::new(BOB.0, BOB.1);
    let policy = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:GetUser","Resource":"*"}]}"#;
    let r = call(
        addr,
        &bob,
        false,
        STS,
        "AssumeRole",
        &[
            ("RoleArn", ROLE),
            ("RoleSessionName", "narrow"),
            ("Policy", policy),
            ("DurationSeconds", "900"),
        ],
    )
    .await;
    let session = temporary(ok(&r));
    ok(&call(addr, &session, false, RAM, "GetUser", &[("UserName", "bob")]).await);
    let r = call(addr, &session, false, RAM, "ListUsers", &[]).await;
    err(&r, 403, "NoPermission");
    assert_eq!(r.1["AccessDeniedDetail"]["NoPermissionType"], "ImplicitDeny");
}

#[tokio::test(flavor = "current_thread")]
async fn assume_role_refusals() {
    let (addr, _) = start("refuse").await;
    let admin = Credentials::new(ADMIN.0, ADMIN.1);
    let bob = Credentials::new(BOB.0, BOB.1);
    // admin may call sts:AssumeRole but the trust policy names only bob.
    let r = call(
        addr,
        &admin,
        false,
        STS,
        "AssumeRole",
        &[("RoleArn", ROLE), ("RoleSessionName", "s1")],
    )
    .await;
    err(&r, 403, "NoPermission");
    assert!(r.1["AccessDeniedDetail"].is_object());
    let r = call(
        addr,
        &bob,
        false,
        STS,
        "AssumeRole",
        &[
            ("RoleArn", "acs:ram::123456789012:role/none"),
            ("RoleSessionName", "s1"),
        ],
    )
    .await;
    err(&r, 404, "EntityNotExist.Role");
    let r = call(
        addr,
        &bob,
        false,
        STS,
        "AssumeRole",
        &[("RoleArn", ROLE), ("RoleSessionName", "a b")],
    )
    .await;
    err(&r, 400, "InvalidParameter.RoleSessionName");
    let r = call(
        addr,
        &bob,
        false,
        STS,
        "AssumeRole",
        &[("RoleArn", ROLE), ("RoleSessionName", "s1"), ("DurationSeconds", "60")],
    )
    .await;
    err(&r, 400, "InvalidParameter.DurationSeconds");
    let r = call(addr, &bob, false, STS, "AssumeRole", &[("RoleArn", ROLE)]).await;
    err(&r, 400, "MissingRoleSessionName");
    // Without sts:AssumeRole on the identity side.
    ok(&call(
        addr,
        &admin,
        false,
        RAM,
        "DetachPolicyFromUser",
        &[
            ("PolicyType", "System"),
            ("PolicyName", "AliyunSTSAssumeRoleAccess"),
            ("UserName", "bob"),
        ],
    )
    .await);
    let r = call(
        addr,
        &bob,
        false,
        STS,
        "AssumeRole",
        &[("RoleArn", ROLE), ("RoleSessionName", "s1")],
    )
    .await;
    err(&r, 403, "NoPermission");
}

#[tokio::test(flavor = "current_thread")]
async fn token_errors() {
    let (addr, path) = start("tokens").await;
    // A token minted two hours ago with the server's own keys (read from the state file).
    let state = FileStore::read(&path).unwrap();
    let keys: KeyRing = state.section().unwrap().expect("the server created its STS keys");
    let sts = Sts::new(Arc::new(Authorizer::new(state.directory)), keys);
    let then = Timestamp::now().checked_sub(SignedDuration::from_hours(2)).unwrap();
    let bob = StsCaller::User {
        name: "bob",
        access_key_id: None,
    };
    let old = sts
        .assume_role(&bob, &AssumeRoleRequest::new(ROLE, "old").duration_seconds(900), then)
        .unwrap()
        .credentials;
    let expired = Credentials::sts(&old.access_key_id, &old.access_key_secret, &old.security_token);
    for v1 in [false, true] {
        err(
            &call(addr, &expired, v1, STS, "GetCallerIdentity", &[]).await,
            400,
            "InvalidSecurityToken.Expired",
        );
    }

    let fresh = Credentials::new(BOB.0, BOB.1);
    let r = call(
        addr,
        &fresh,
        false,
        STS,
        "AssumeRole",
        &[("RoleArn", ROLE), ("RoleSessionName", "s2")],
    )
    .await;
    let good = temporary(ok(&r));
    let mut tampered = good.clone();
    tampered.security_token = good.security_token.as_ref().map(|t| format!("{t}x"));
    let r = call(addr, &tampered, false, STS, "GetCallerIdentity", &[]).await;
    assert_eq!(r.0, 400, "{}", r.1);
    assert!(
        r.1["Code"].as_str().unwrap().starts_with("InvalidSecurityToken."),
        "{}",
        r.1
    );
    // The right token with another session's key id.
    let mut swapped = good.clone();
    swapped.access_key_id = old.access_key_id.clone();
    let r = call(addr, &swapped, false, STS, "GetCallerIdentity", &[]).await;
    err(&r, 400, "InvalidSecurityToken.MismatchWithAccessKey");
    // The right token, the wrong secret.
    let wrong = Credentials::sts(&good.access_key_id, "wrong", good.security_token.clone().unwrap());
    err(
        &call(addr, &wrong, false, STS, "GetCallerIdentity", &[]).await,
        400,
        "SignatureDoesNotMatch",
    );
}
