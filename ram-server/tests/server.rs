//! `ram-server` over real HTTP on an ephemeral loopback port, called with requests signed by
//! `ram_web::signer` (V3 and V1) through a raw socket: nothing between the test and the
//! server normalises the request.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use jiff::Timestamp;
use ram_core::directory::{Change, Directory, PolicyTarget, PolicyType};
use ram_core::store::FileStore;
use ram_server::{Config, Enforcement, Server};
use ram_web::signer::{Call, Credentials, SignedCall, sign_v1, sign_v3};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ACCOUNT: &str = "123456789012";
const ADMIN: (&str, &str) = ("LTAI5tAdminKey0000000001", "AdminSecret000000000000000abcd");
const BOB: (&str, &str) = ("LTAI5tBobKey000000000001", "BobSecret00000000000000000abcd");
const RAM: &str = "2015-05-01";
const STS: &str = "2015-04-01";

fn state_path() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "ram-server-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("state.json")
}

/// A state file with an administrator and an unprivileged `bob`, served on a free port.
async fn start(enforcement: Enforcement) -> (SocketAddr, PathBuf) {
    let path = state_path();
    let mut dir = Directory::new(ACCOUNT).unwrap();
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
    ])
    .unwrap();
    drop(FileStore::create(&path, &dir).unwrap());
    let store = FileStore::open(&path).unwrap();
    let config = Config {
        enforcement,
        ..Config::default()
    };
    let server = Server::bind("127.0.0.1:0".parse().unwrap(), store, config)
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
    raw.push_str("accept: application/json\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(30), stream.read_to_end(&mut out))
        .await
        .expect("the server answers")
        .unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    assert!(
        text.to_ascii_lowercase()
            .contains("content-type: application/json;charset=utf-8"),
        "{text}"
    );
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {text}"));
    (status, json)
}

async fn v3(addr: SocketAddr, key: (&str, &str), version: &str, action: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let creds = Credentials::new(key.0, key.1);
    let call = Call::new(action, version).params(params);
    let signed = sign_v3(&creds, &call, &addr.to_string(), Timestamp::now(), None);
    send(addr, &signed).await
}

/// A RAM API call by the administrator (signature V3).
async fn admin(addr: SocketAddr, action: &str, params: &[(&str, &str)]) -> (u16, Value) {
    v3(addr, ADMIN, RAM, action, params).await
}

async fn v1(addr: SocketAddr, key: (&str, &str), version: &str, action: &str, params: &[(&str, &str)]) -> (u16, Value) {
    let creds = Credentials::new(key.0, key.1);
    let call = Call::new(action, version).params(params);
    let signed = sign_v1(&creds, &call, Timestamp::now(), None);
    send(addr, &signed).await
}

fn ok(r: &(u16, Value)) -> &Value {
    assert_eq!(r.0, 200, "{}", r.1);
    assert!(r.1["RequestId"].as_str().is_some_and(|s| s.len() == 36), "{}", r.1);
    &r.1
}

fn err(r: &(u16, Value), status: u16, code: &str) {
    assert_eq!((r.0, r.1["Code"].as_str()), (status, Some(code)), "{}", r.1);
    assert!(r.1["RequestId"].is_string() && r.1["HostId"].is_string() && r.1["Message"].is_string());
}

#[tokio::test(flavor = "current_thread")]
async fn user_key_policy_attach_and_permission() {
    let (addr, path) = start(Enforcement::Strict).await;
    let r = admin(addr, "CreateUser", &[("UserName", "carol"), ("DisplayName", "Carol C")]).await;
    assert_eq!(ok(&r)["User"]["DisplayName"], "Carol C");
    // Persisted before the response: a reader sees it.
    assert!(FileStore::read(&path).unwrap().directory.user("carol").is_some());

    let r = admin(addr, "CreateAccessKey", &[("UserName", "carol")]).await;
    let key = ok(&r)["AccessKey"].clone();
    let carol = (
        key["AccessKeyId"].as_str().unwrap().to_owned(),
        key["AccessKeySecret"].as_str().unwrap().to_owned(),
    );
    let carol = (carol.0.as_str(), carol.1.as_str());

    // Before any policy, carol may not list users.
    let r = v3(addr, carol, RAM, "ListUsers", &[]).await;
    err(&r, 403, "NoPermission");
    let detail = &r.1["AccessDeniedDetail"];
    assert_eq!(detail["AuthAction"], "ram:ListUsers");
    assert_eq!(detail["AuthPrincipalType"], "SubUser");
    assert_eq!(detail["AuthPrincipalDisplayName"], "carol");
    assert_eq!(detail["NoPermissionType"], "ImplicitDeny");

    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:List*","Resource":"*"}]}"#;
    ok(&admin(
        addr,
        "CreatePolicy",
        &[("PolicyName", "lister"), ("PolicyDocument", doc)],
    )
    .await);
    ok(&admin(
        addr,
        "AttachPolicyToUser",
        &[
            ("PolicyType", "Custom"),
            ("PolicyName", "lister"),
            ("UserName", "carol"),
        ],
    )
    .await);
    let r = v3(addr, carol, RAM, "ListUsers", &[]).await;
    let names: Vec<&str> = ok(&r)["Users"]["User"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["UserName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "bob", "carol"]);
    // Still no writes.
    err(
        &v3(addr, carol, RAM, "DeleteUser", &[("UserName", "bob")]).await,
        403,
        "NoPermission",
    );

    // An explicit deny names itself.
    let deny = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"ram:ListUsers","Resource":"*"}]}"#;
    ok(&admin(
        addr,
        "CreatePolicy",
        &[("PolicyName", "nolist"), ("PolicyDocument", deny)],
    )
    .await);
    ok(&admin(
        addr,
        "AttachPolicyToUser",
        &[("PolicyName", "nolist"), ("UserName", "carol")],
    )
    .await);
    let r = v3(addr, carol, RAM, "ListUsers", &[]).await;
    err(&r, 403, "NoPermission");
    assert_eq!(r.1["AccessDeniedDetail"]["NoPermissionType"], "ExplicitDeny");

    // carol's key signed requests: its last use is recorded.
    let r = admin(
        addr,
        "GetAccessKeyLastUsed",
        &[("UserName", "carol"), ("UserAccessKeyId", carol.0)],
    )
    .await;
    let last = ok(&r)["AccessKeyLastUsed"]["LastUsedDate"].as_str().unwrap().to_owned();
    assert_eq!(last.len(), 20, "{last}");
}

#[tokio::test(flavor = "current_thread")]
async fn authentication_failures() {
    let (addr, _) = start(Enforcement::Strict).await;
    let unknown = ("LTAI5tNoSuchKey000000001", "whatever");
    err(
        &v3(addr, unknown, RAM, "ListUsers", &[]).await,
        404,
        "InvalidAccessKeyId.NotFound",
    );
    err(
        &v1(addr, unknown, RAM, "ListUsers", &[]).await,
        404,
        "InvalidAccessKeyId.NotFound",
    );
    let wrong = (ADMIN.0, "not-the-secret");
    err(
        &v3(addr, wrong, RAM, "ListUsers", &[]).await,
        400,
        "SignatureDoesNotMatch",
    );
    err(
        &v1(addr, wrong, RAM, "ListUsers", &[]).await,
        400,
        "SignatureDoesNotMatch",
    );
    // A deactivated key stops working at once.
    ok(&admin(
        addr,
        "UpdateAccessKey",
        &[("UserName", "bob"), ("UserAccessKeyId", BOB.0), ("Status", "Inactive")],
    )
    .await);
    err(
        &v3(addr, BOB, STS, "GetCallerIdentity", &[]).await,
        400,
        "InvalidAccessKeyId.Inactive",
    );
}

#[tokio::test(flavor = "current_thread")]
async fn dispatch_errors_and_parameters() {
    let (addr, _) = start(Enforcement::Strict).await;
    err(&admin(addr, "NoSuchAction", &[]).await, 404, "InvalidApi.NotFound");
    err(
        &v3(addr, ADMIN, "2099-01-01", "ListUsers", &[]).await,
        404,
        "InvalidApi.NotFound",
    );
    err(
        &v3(addr, ADMIN, STS, "ListUsers", &[]).await,
        404,
        "InvalidApi.NotFound",
    );
    err(&admin(addr, "GetUser", &[]).await, 400, "MissingUserName");
    err(
        &admin(addr, "ListUsers", &[("MaxItems", "lots")]).await,
        400,
        "InvalidParameter.MaxItems",
    );
    err(
        &admin(addr, "ListUsers", &[("MaxItems", "0")]).await,
        400,
        "InvalidParameter.MaxItems",
    );
    err(
        &admin(addr, "CreateUser", &[("UserName", "bad name/../x")]).await,
        400,
        "InvalidParameter.UserName",
    );
    err(
        &admin(addr, "GetUser", &[("UserName", "ghost")]).await,
        404,
        "EntityNotExist.User",
    );
    err(
        &admin(addr, "CreateUser", &[("UserName", "bob")]).await,
        409,
        "EntityAlreadyExists.User",
    );
    err(
        &admin(addr, "DeleteUser", &[("UserName", "bob")]).await,
        409,
        "DeleteConflict.User.AccessKey",
    );
    err(
        &admin(
            addr,
            "CreateLoginProfile",
            &[
                ("UserName", "bob"),
                ("Password", "x"),
                ("PasswordResetRequired", "maybe"),
            ],
        )
        .await,
        400,
        "InvalidParameter.PasswordResetRequired",
    );
    let r = admin(
        addr,
        "CreatePolicy",
        &[("PolicyName", "p"), ("PolicyDocument", "{not json")],
    )
    .await;
    err(&r, 400, "MalformedPolicyDocument");
}

#[tokio::test(flavor = "current_thread")]
async fn paging_with_marker() {
    let (addr, _) = start(Enforcement::Strict).await;
    for name in ["u1", "u2", "u3"] {
        ok(&v1(addr, ADMIN, RAM, "CreateUser", &[("UserName", name)]).await);
    }
    let mut seen = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut params = vec![("MaxItems", "2")];
        if let Some(m) = &marker {
            params.push(("Marker", m.as_str()));
        }
        let r = admin(addr, "ListUsers", &params).await;
        let body = ok(&r);
        for u in body["Users"]["User"].as_array().unwrap() {
            seen.push(u["UserName"].as_str().unwrap().to_owned());
        }
        if body["IsTruncated"] == Value::Bool(false) {
            assert!(body.get("Marker").is_none());
            break;
        }
        marker = Some(body["Marker"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen, ["admin", "bob", "u1", "u2", "u3"]);
}

#[tokio::test(flavor = "current_thread")]
async fn caller_identity_needs_no_permission() {
    let (addr, _) = start(Enforcement::Strict).await;
    for r in [
        v3(addr, BOB, STS, "GetCallerIdentity", &[]).await,
        v1(addr, BOB, STS, "GetCallerIdentity", &[]).await,
    ] {
        let body = ok(&r);
        assert_eq!(body["Arn"], format!("acs:ram::{ACCOUNT}:user/bob"));
        assert_eq!(body["AccountId"], ACCOUNT);
        assert_eq!(body["IdentityType"], "RAMUser");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn audit_mode_allows_and_off_mode_skips() {
    let (addr, path) = start(Enforcement::Audit).await;
    ok(&v3(addr, BOB, RAM, "CreateGroup", &[("GroupName", "audited")]).await);
    assert!(FileStore::read(&path).unwrap().directory.group("audited").is_some());
    // Authentication is never relaxed.
    err(
        &v3(addr, (BOB.0, "bad"), RAM, "ListUsers", &[]).await,
        400,
        "SignatureDoesNotMatch",
    );

    let (addr, _) = start(Enforcement::Off).await;
    ok(&v1(addr, BOB, RAM, "CreateRole", &[
        ("RoleName", "r"),
        ("AssumeRolePolicyDocument", r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::123456789012:root"]}}]}"#),
    ])
    .await);
}

#[tokio::test(flavor = "current_thread")]
async fn the_lock_is_held_while_serving() {
    let (_, path) = start(Enforcement::Strict).await;
    let e = FileStore::open(&path).unwrap_err();
    assert_eq!(e.code(), "StateLocked");
}

/// Every served action with no parameters, ordinary values, odd values and huge values: an
/// answer in the documented shape every time, never a 5xx, and the server keeps serving.
#[tokio::test(flavor = "current_thread")]
async fn every_action_survives_odd_parameters() {
    let (addr, _) = start(Enforcement::Strict).await;
    const NAMES: [&str; 36] = [
        "UserName",
        "NewUserName",
        "GroupName",
        "NewGroupName",
        "DisplayName",
        "NewDisplayName",
        "MobilePhone",
        "NewMobilePhone",
        "Email",
        "NewEmail",
        "Comments",
        "NewComments",
        "Description",
        "NewDescription",
        "RoleName",
        "PolicyName",
        "PolicyType",
        "VersionId",
        "SerialNumber",
        "VirtualMFADeviceName",
        "UserAccessKeyId",
        "Status",
        "PolicyDocument",
        "AssumeRolePolicyDocument",
        "NewAssumeRolePolicyDocument",
        "Password",
        "MaxItems",
        "Marker",
        "MaxSessionDuration",
        "SetAsDefault",
        "RotateStrategy",
        "CascadingDelete",
        "AuthenticationCode1",
        "AuthenticationCode2",
        "MinimumPasswordLength",
        "LoginSessionDuration",
    ];
    let huge = "é*".repeat(700);
    let values = ["x", "../a/*?%00\u{0}é", "-1", "99999999999999999999", "True"];
    for action in ram_server::ram::ACTIONS.iter().chain(ram_server::sts::ACTIONS) {
        let version = if ram_server::sts::ACTIONS.contains(action) {
            STS
        } else {
            RAM
        };
        let mut sets: Vec<Vec<(&str, &str)>> = vec![vec![]];
        for v in values {
            sets.push(NAMES.iter().map(|n| (*n, v)).collect());
        }
        // Long values where long values are plausible (the URI as a whole stays within what
        // the HTTP layer accepts).
        sets.push(
            [
                "UserName",
                "GroupName",
                "RoleName",
                "PolicyName",
                "PolicyDocument",
                "Password",
                "NewComments",
                "NewDescription",
            ]
            .iter()
            .map(|n| (*n, huge.as_str()))
            .collect(),
        );
        for params in &sets {
            let r = v3(addr, ADMIN, version, action, params).await;
            assert!(
                matches!(r.0, 200 | 400 | 403 | 404 | 409),
                "{action} {:?}: {} {}",
                params.first(),
                r.0,
                r.1
            );
            assert!(r.1["RequestId"].is_string(), "{action}: {}", r.1);
            if r.0 != 200 {
                assert!(r.1["Code"].is_string(), "{action}: {}", r.1);
            }
        }
    }
    ok(&v3(addr, ADMIN, STS, "GetCallerIdentity", &[]).await);
}

fn names<'a>(list: &'a Value, inner: &str, field: &str) -> Vec<&'a str> {
    list[inner]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[field].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "current_thread")]
async fn update_user_renames_and_stores_fields() {
    let (addr, path) = start(Enforcement::Strict).await;
    let r = admin(
        addr,
        "CreateUser",
        &[
            ("UserName", "carol"),
            ("DisplayName", "Carol C"),
            ("MobilePhone", "86-13800000000"),
            ("Email", "carol@example.com"),
            ("Comments", "first"),
        ],
    )
    .await;
    let user = &ok(&r)["User"];
    assert_eq!(user["MobilePhone"], "86-13800000000");
    assert_eq!(user["Email"], "carol@example.com");
    assert_eq!(user["Comments"], "first");
    let id = user["UserId"].clone();
    ok(&admin(addr, "CreateGroup", &[("GroupName", "dev")]).await);
    ok(&admin(addr, "AddUserToGroup", &[("GroupName", "dev"), ("UserName", "carol")]).await);
    let key = ok(&admin(addr, "CreateAccessKey", &[("UserName", "carol")]).await)["AccessKey"].clone();
    let carol = (
        key["AccessKeyId"].as_str().unwrap(),
        key["AccessKeySecret"].as_str().unwrap(),
    );
    ok(&admin(
        addr,
        "AttachPolicyToUser",
        &[
            ("PolicyType", "System"),
            ("PolicyName", "ReadOnlyAccess"),
            ("UserName", "carol"),
        ],
    )
    .await);

    let r = admin(
        addr,
        "UpdateUser",
        &[
            ("UserName", "carol"),
            ("NewUserName", "caroline"),
            ("NewDisplayName", "Caroline"),
            ("NewEmail", "caroline@example.com"),
            ("NewComments", "renamed"),
        ],
    )
    .await;
    let user = &ok(&r)["User"];
    assert_eq!(user["UserName"], "caroline");
    assert_eq!(user["UserId"], id);
    assert_eq!(user["DisplayName"], "Caroline");
    assert_eq!(user["MobilePhone"], "86-13800000000", "unchanged when not given");
    assert_eq!(user["Email"], "caroline@example.com");
    assert_eq!(user["Comments"], "renamed");
    assert!(user["UpdateDate"].is_string() && user["CreateDate"].is_string());
    // Persisted before the response.
    let stored = FileStore::read(&path).unwrap().directory;
    assert!(stored.user("carol").is_none());
    assert_eq!(stored.user("caroline").unwrap().groups, ["dev"]);

    // Get and List show the stored fields; memberships followed.
    let r = admin(addr, "GetUser", &[("UserName", "caroline")]).await;
    assert_eq!(ok(&r)["User"]["Email"], "caroline@example.com");
    err(
        &admin(addr, "GetUser", &[("UserName", "carol")]).await,
        404,
        "EntityNotExist.User",
    );
    let r = admin(addr, "ListUsers", &[]).await;
    let listed = ok(&r)["Users"]["User"].as_array().unwrap().clone();
    let c = listed.iter().find(|u| u["UserName"] == "caroline").unwrap();
    assert_eq!(
        (c["Comments"].as_str(), c["MobilePhone"].as_str()),
        (Some("renamed"), Some("86-13800000000"))
    );
    let r = admin(addr, "ListUsersForGroup", &[("GroupName", "dev")]).await;
    assert_eq!(names(&ok(&r)["Users"], "User", "UserName"), ["caroline"]);
    // JoinDate is when carol joined, moved with the rename, in both lists.
    let joined = stored.group("dev").unwrap().join_dates["caroline"];
    let joined = ram_web::signer::format_timestamp(joined);
    assert_eq!(ok(&r)["Users"]["User"][0]["JoinDate"], joined.as_str());
    let r = admin(addr, "ListGroupsForUser", &[("UserName", "caroline")]).await;
    assert_eq!(ok(&r)["Groups"]["Group"][0]["JoinDate"], joined.as_str());

    // Her key signs requests under the new name, with her permissions.
    let r = v3(addr, carol, STS, "GetCallerIdentity", &[]).await;
    assert_eq!(ok(&r)["Arn"], format!("acs:ram::{ACCOUNT}:user/caroline"));
    ok(&v3(addr, carol, RAM, "GetUser", &[("UserName", "bob")]).await);

    // Errors: unknown user, taken name, invalid values; nothing changes.
    err(
        &admin(addr, "UpdateUser", &[("UserName", "ghost"), ("NewComments", "x")]).await,
        404,
        "EntityNotExist.User",
    );
    err(
        &admin(addr, "UpdateUser", &[("UserName", "caroline"), ("NewUserName", "bob")]).await,
        409,
        "EntityAlreadyExists.User",
    );
    for (param, value, code) in [
        ("NewUserName", "no spaces", "InvalidParameter.NewUserName"),
        (
            "NewDisplayName",
            &"d".repeat(129)[..],
            "InvalidParameter.NewDisplayName",
        ),
        ("NewMobilePhone", "13800000000", "InvalidParameter.NewMobilePhone"),
        ("NewEmail", "not-an-address", "InvalidParameter.NewEmail"),
        ("NewComments", &"c".repeat(129)[..], "InvalidParameter.NewComments"),
    ] {
        let r = admin(addr, "UpdateUser", &[("UserName", "caroline"), (param, value)]).await;
        err(&r, 400, code);
    }
    err(
        &admin(addr, "CreateUser", &[("UserName", "dave"), ("Email", "dave")]).await,
        400,
        "InvalidParameter.Email",
    );
    err(&admin(addr, "UpdateUser", &[]).await, 400, "MissingUserName");
    let after = FileStore::read(&path).unwrap().directory;
    assert!(after.user("dave").is_none(), "a refused field refuses the user");
    let fields = |d: &Directory| {
        let u = d.user("caroline").unwrap();
        (
            u.display_name.clone(),
            u.mobile_phone.clone(),
            u.email.clone(),
            u.comments.clone(),
            u.update_date,
        )
    };
    assert_eq!(fields(&after), fields(&stored), "refused updates change nothing");

    // bob may update only himself: renaming himself to another name needs that name too.
    let own = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ram:UpdateUser","Resource":"acs:ram:*:*:user/bob"}]}"#;
    ok(&admin(addr, "CreatePolicy", &[("PolicyName", "self"), ("PolicyDocument", own)]).await);
    ok(&admin(
        addr,
        "AttachPolicyToUser",
        &[("PolicyType", "Custom"), ("PolicyName", "self"), ("UserName", "bob")],
    )
    .await);
    ok(&v3(
        addr,
        BOB,
        RAM,
        "UpdateUser",
        &[("UserName", "bob"), ("NewComments", "me")],
    )
    .await);
    let r = v3(
        addr,
        BOB,
        RAM,
        "UpdateUser",
        &[("UserName", "bob"), ("NewUserName", "root")],
    )
    .await;
    err(&r, 403, "NoPermission");
    assert_eq!(r.1["AccessDeniedDetail"]["AuthAction"], "ram:UpdateUser");
    err(
        &v3(
            addr,
            BOB,
            RAM,
            "UpdateUser",
            &[("UserName", "caroline"), ("NewComments", "x")],
        )
        .await,
        403,
        "NoPermission",
    );
}

#[tokio::test(flavor = "current_thread")]
async fn update_group_renames_and_members_keep_its_policies() {
    let (addr, _) = start(Enforcement::Strict).await;
    let r = admin(addr, "CreateGroup", &[("GroupName", "dev"), ("Comments", "developers")]).await;
    assert_eq!(ok(&r)["Group"]["Comments"], "developers");
    ok(&admin(addr, "CreateGroup", &[("GroupName", "ops")]).await);
    ok(&admin(addr, "AddUserToGroup", &[("GroupName", "dev"), ("UserName", "bob")]).await);
    ok(&admin(
        addr,
        "AttachPolicyToGroup",
        &[
            ("PolicyType", "System"),
            ("PolicyName", "ReadOnlyAccess"),
            ("GroupName", "dev"),
        ],
    )
    .await);
    ok(&v3(addr, BOB, RAM, "ListGroups", &[]).await);

    let r = admin(
        addr,
        "UpdateGroup",
        &[
            ("GroupName", "dev"),
            ("NewGroupName", "builders"),
            ("NewComments", "they build"),
        ],
    )
    .await;
    let g = &ok(&r)["Group"];
    assert_eq!(
        (g["GroupName"].as_str(), g["Comments"].as_str()),
        (Some("builders"), Some("they build"))
    );
    // bob still reads through the renamed group.
    let r = v3(addr, BOB, RAM, "ListGroupsForUser", &[("UserName", "bob")]).await;
    let groups = &ok(&r)["Groups"];
    assert_eq!(names(groups, "Group", "GroupName"), ["builders"]);
    assert_eq!(groups["Group"][0]["Comments"], "they build");
    let r = admin(addr, "GetGroup", &[("GroupName", "builders")]).await;
    assert_eq!(ok(&r)["Group"]["Comments"], "they build");
    let r = admin(addr, "ListGroups", &[]).await;
    assert_eq!(names(&ok(&r)["Groups"], "Group", "GroupName"), ["builders", "ops"]);
    let r = admin(
        addr,
        "ListEntitiesForPolicy",
        &[("PolicyType", "System"), ("PolicyName", "ReadOnlyAccess")],
    )
    .await;
    assert_eq!(ok(&r)["Groups"]["Group"][0]["Comments"], "they build");
    // Detaching from the new name takes bob's permission away: his set names the new group.
    ok(&admin(
        addr,
        "DetachPolicyFromGroup",
        &[
            ("PolicyType", "System"),
            ("PolicyName", "ReadOnlyAccess"),
            ("GroupName", "builders"),
        ],
    )
    .await);
    err(&v3(addr, BOB, RAM, "ListGroups", &[]).await, 403, "NoPermission");

    err(
        &admin(addr, "UpdateGroup", &[("GroupName", "dev"), ("NewComments", "x")]).await,
        404,
        "EntityNotExist.Group",
    );
    err(
        &admin(
            addr,
            "UpdateGroup",
            &[("GroupName", "builders"), ("NewGroupName", "ops")],
        )
        .await,
        409,
        "EntityAlreadyExists.Group",
    );
    err(
        &admin(
            addr,
            "UpdateGroup",
            &[("GroupName", "builders"), ("NewGroupName", "a/b")],
        )
        .await,
        400,
        "InvalidParameter.NewGroupName",
    );
    err(
        &admin(
            addr,
            "UpdateGroup",
            &[("GroupName", "builders"), ("NewComments", &"c".repeat(129))],
        )
        .await,
        400,
        "InvalidParameter.NewComments",
    );
    err(
        &admin(
            addr,
            "CreateGroup",
            &[("GroupName", "qa"), ("Comments", &"c".repeat(129))],
        )
        .await,
        400,
        "InvalidParameter.Comments",
    );
    err(
        &admin(addr, "GetGroup", &[("GroupName", "qa")]).await,
        404,
        "EntityNotExist.Group",
    );
}

#[tokio::test(flavor = "current_thread")]
async fn descriptions_of_policies_and_roles() {
    let (addr, _) = start(Enforcement::Strict).await;
    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get*","Resource":"*"}]}"#;
    ok(&admin(
        addr,
        "CreatePolicy",
        &[
            ("PolicyName", "ReadOss"),
            ("PolicyDocument", doc),
            ("Description", "old"),
        ],
    )
    .await);
    let r = admin(
        addr,
        "UpdatePolicyDescription",
        &[("PolicyName", "ReadOss"), ("NewDescription", "reads objects")],
    )
    .await;
    let p = &ok(&r)["Policy"];
    assert_eq!(p["Description"], "reads objects");
    assert_eq!(
        (p["PolicyType"].as_str(), p["DefaultVersion"].as_str()),
        (Some("Custom"), Some("v1"))
    );
    assert!(p["UpdateDate"].is_string() && p["CreateDate"].is_string());
    let r = admin(
        addr,
        "GetPolicy",
        &[("PolicyType", "Custom"), ("PolicyName", "ReadOss")],
    )
    .await;
    assert_eq!(ok(&r)["Policy"]["Description"], "reads objects");
    let r = admin(addr, "ListPolicies", &[("PolicyType", "Custom")]).await;
    assert_eq!(ok(&r)["Policies"]["Policy"][0]["Description"], "reads objects");

    err(
        &admin(
            addr,
            "UpdatePolicyDescription",
            &[("PolicyName", "Nope"), ("NewDescription", "x")],
        )
        .await,
        404,
        "EntityNotExist.Policy",
    );
    err(
        &admin(
            addr,
            "UpdatePolicyDescription",
            &[("PolicyName", "ReadOnlyAccess"), ("NewDescription", "x")],
        )
        .await,
        404,
        "EntityNotExist.Policy",
    );
    err(
        &admin(
            addr,
            "UpdatePolicyDescription",
            &[("PolicyName", "ReadOss"), ("NewDescription", &"d".repeat(1_025))],
        )
        .await,
        400,
        "InvalidParameter.NewDescription",
    );
    err(
        &v3(
            addr,
            BOB,
            RAM,
            "UpdatePolicyDescription",
            &[("PolicyName", "ReadOss"), ("NewDescription", "x")],
        )
        .await,
        403,
        "NoPermission",
    );
    err(
        &admin(addr, "UpdatePolicyDescription", &[]).await,
        400,
        "MissingPolicyName",
    );

    let trust = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::123456789012:root"]}}]}"#;
    let r = admin(
        addr,
        "CreateRole",
        &[
            ("RoleName", "reader"),
            ("AssumeRolePolicyDocument", trust),
            ("Description", "reads"),
        ],
    )
    .await;
    assert_eq!(ok(&r)["Role"]["Description"], "reads");
    let r = admin(
        addr,
        "UpdateRole",
        &[("RoleName", "reader"), ("NewDescription", "reads more")],
    )
    .await;
    assert_eq!(ok(&r)["Role"]["Description"], "reads more");
    let r = admin(addr, "ListRoles", &[]).await;
    assert_eq!(ok(&r)["Roles"]["Role"][0]["Description"], "reads more");
    err(
        &admin(
            addr,
            "UpdateRole",
            &[("RoleName", "reader"), ("NewDescription", &"d".repeat(1_025))],
        )
        .await,
        400,
        "InvalidParameter.NewDescription",
    );
    err(
        &admin(
            addr,
            "CreateRole",
            &[
                ("RoleName", "writer"),
                ("AssumeRolePolicyDocument", trust),
                ("Description", &"d".repeat(1_025)),
            ],
        )
        .await,
        400,
        "InvalidParameter.Description",
    );
    err(
        &admin(addr, "GetRole", &[("RoleName", "writer")]).await,
        404,
        "EntityNotExist.Role",
    );
}
