//! AssumeRole: every error code, the order of checks, trust conditions, role chaining,
//! session policies, GetCallerIdentity, revocation.

mod common;

use common::*;
use ram_core::authorizer::Caller;
use ram_core::directory::{Change, PolicyTarget};
use ram_core::{Decision, Request, RequestContext, Source};
use ram_sts::key::Algorithm;
use ram_sts::{AssumeRoleRequest, ErrorKind, Sts, StsCaller, StsError};

fn code_of(r: Result<impl std::fmt::Debug, StsError>) -> (String, ErrorKind) {
    let e = r.expect_err("expected an error");
    (e.code().to_owned(), e.kind())
}

fn req(role_arn: &str) -> AssumeRoleRequest<'_> {
    AssumeRoleRequest::new(role_arn, "s1")
}

#[test]
fn response_has_the_api_shape() {
    let sts = sts(Algorithm::HmacSha256);
    let resp = assume(&sts, &ALICE, "ops", at(0)).unwrap();
    let c = &resp.credentials;
    assert!(c.access_key_id.starts_with("STS.") && c.access_key_id.len() == 26);
    assert!(c.access_key_id[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(c.access_key_secret.len(), 40);
    assert!(c.security_token.starts_with("RAMSTS1."));
    assert_eq!(c.expiration, "2025-01-01T01:00:00Z");
    let role_id = &sts
        .authorizer()
        .snapshot()
        .directory()
        .role("ops")
        .unwrap()
        .role_id
        .clone();
    assert_eq!(
        resp.assumed_role_user.arn,
        format!("acs:ram::{ACCT}:role/ops/test-session")
    );
    assert_eq!(
        resp.assumed_role_user.assumed_role_id,
        format!("{role_id}:test-session")
    );

    let json = serde_json::to_value(&resp).unwrap();
    // Sorted: serde_json keeps insertion order in workspace builds (cedar-policy enables
    // `preserve_order`), so the field set is what is compared, not the map's order.
    let keys = |v: &serde_json::Value| {
        let mut k = v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        k.sort();
        k
    };
    assert_eq!(keys(&json), ["AssumedRoleUser", "Credentials"]);
    assert_eq!(
        keys(&json["Credentials"]),
        ["AccessKeyId", "AccessKeySecret", "Expiration", "SecurityToken"]
    );
    assert_eq!(keys(&json["AssumedRoleUser"]), ["Arn", "AssumedRoleId"]);

    // Secrets never in Debug.
    let debug = format!("{resp:?}");
    assert!(!debug.contains(&c.access_key_secret) && !debug.contains(&c.security_token));

    // Sub-second `now` is truncated: the expiration is whole seconds from the issue second.
    let later = at(0) + jiff::SignedDuration::from_millis(999);
    assert_eq!(
        assume(&sts, &ALICE, "ops", later).unwrap().credentials.expiration,
        "2025-01-01T01:00:00Z"
    );
}

#[test]
fn every_error_code() {
    let sts = sts(Algorithm::HmacSha256);
    let ops = arn("ops");
    let now = at(0);
    let user = |name, key| StsCaller::User {
        name,
        access_key_id: key,
    };
    let a = |caller: StsCaller<'_>, r: AssumeRoleRequest<'_>| code_of(sts.assume_role(&caller, &r, now));
    use ErrorKind::*;
    let (long_name, missing, deny_alice, nobody, ecs_svc) = (
        "x".repeat(65),
        arn("missing"),
        arn("deny-alice"),
        arn("nobody"),
        arn("ecs-svc"),
    );
    let cases: Vec<(StsCaller<'_>, AssumeRoleRequest<'_>, &str, ErrorKind)> = vec![
        // 1. authentication
        (user("nobody", None), req(&ops), "EntityNotExist.User", Authentication),
        (
            user("alice", Some("LTAIunknown")),
            req(&ops),
            "InvalidAccessKeyId.NotFound",
            Authentication,
        ),
        (
            user("alice", Some(EVE_KEY)),
            req(&ops),
            "InvalidAccessKeyId.NotFound",
            Authentication,
        ),
        (
            user("eve", Some(EVE_KEY)),
            req(&ops),
            "InvalidAccessKeyId.Inactive",
            Authentication,
        ),
        (
            StsCaller::RoleSession {
                security_token: "RAMSTS1.garbage",
                access_key_id: None,
            },
            req(&ops),
            "InvalidSecurityToken.Malformed",
            Authentication,
        ),
        (
            StsCaller::ConsoleSession("RAMCS1.x.y"),
            req(&ops),
            "InvalidConsoleSession.Signature",
            Authentication,
        ),
        // 2. parameters
        (
            ALICE,
            req("acs:ram::123456789012:user/ops"),
            "InvalidParameter.RoleArn",
            InvalidParameter,
        ),
        (ALICE, req("ops"), "InvalidParameter.RoleArn", InvalidParameter),
        (
            ALICE,
            AssumeRoleRequest::new(&ops, "a"),
            "InvalidParameter.RoleSessionName",
            InvalidParameter,
        ),
        (
            ALICE,
            AssumeRoleRequest::new(&ops, "has space"),
            "InvalidParameter.RoleSessionName",
            InvalidParameter,
        ),
        (
            ALICE,
            AssumeRoleRequest::new(&ops, &long_name),
            "InvalidParameter.RoleSessionName",
            InvalidParameter,
        ),
        (
            ALICE,
            req(&ops).duration_seconds(899),
            "InvalidParameter.DurationSeconds",
            InvalidParameter,
        ),
        (
            ALICE,
            req(&ops).duration_seconds(3_601),
            "InvalidParameter.DurationSeconds",
            InvalidParameter,
        ),
        (
            ALICE,
            req(&ops).duration_seconds(43_201),
            "InvalidParameter.DurationSeconds",
            InvalidParameter,
        ),
        (
            ALICE,
            req(&ops).duration_seconds(u64::MAX),
            "InvalidParameter.DurationSeconds",
            InvalidParameter,
        ),
        (
            ALICE,
            req(&ops).policy("{"),
            "InvalidParameter.PolicyGrammar",
            InvalidParameter,
        ),
        (
            ALICE,
            req(&ops).policy(""),
            "InvalidParameter.PolicyGrammar",
            InvalidParameter,
        ),
        (
            ALICE,
            req(&ops).policy(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*"}]}"#),
            "InvalidParameter.PolicyGrammar",
            InvalidParameter,
        ),
        (
            ALICE,
            req(&ops).external_id("x"),
            "InvalidParameter.ExternalId",
            InvalidParameter,
        ),
        // 2b. the role
        (ALICE, req(&missing), "EntityNotExist.Role", NotFound),
        (
            ALICE,
            req("acs:ram::999999999999:role/ops"),
            "EntityNotExist.Role",
            NotFound,
        ),
        // 3. authorization
        (user("bob", None), req(&ops), "NoPermission", Denied),
        (user("mallory", None), req(&ops), "NoPermission", Denied),
        (ALICE, req(&deny_alice), "NoPermission", Denied),
        (ALICE, req(&nobody), "NoPermission", Denied),
        (ALICE, req(&ecs_svc), "NoPermission", Denied),
        (StsCaller::Root, req(&ops), "NoPermission", Denied),
        (
            StsCaller::Service("ecs.aliyuncs.com"),
            req(&ops),
            "NoPermission",
            Denied,
        ),
    ];
    for (caller, r, code, kind) in cases {
        let what = format!("{caller:?} {r:?}");
        assert_eq!(a(caller, r), (code.to_owned(), kind), "{what}");
    }
    let big = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"oss:{}","Resource":"*"}}]}}"#,
        "a".repeat(2_048)
    );
    assert_eq!(
        a(ALICE, req(&ops).policy(&big)),
        ("InvalidParameter.PolicySize".to_owned(), InvalidParameter)
    );
    // Exactly 2,048 characters (counted as characters, not bytes) is allowed.
    let head = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:"#;
    let tail = r#"","Resource":"*"}]}"#;
    let fill = 2_048 - head.chars().count() - tail.chars().count();
    let exact = format!("{head}{}{tail}", "é".repeat(fill));
    assert_eq!(exact.chars().count(), 2_048);
    assert!(sts.assume_role(&ALICE, &req(&ops).policy(&exact), now).is_ok());
}

#[test]
fn refusals_say_which_side_and_how() {
    let sts = sts(Algorithm::HmacSha256);
    let refused = |caller: &StsCaller<'_>, role: &str| match assume(&sts, caller, role, at(0)).unwrap_err() {
        e @ StsError::NoPermission { .. } | e @ StsError::RootRefused => {
            (e.no_permission_type().unwrap(), e.to_string())
        }
        e => panic!("{e:?}"),
    };
    let bob = StsCaller::User {
        name: "bob",
        access_key_id: None,
    };
    let mallory = StsCaller::User {
        name: "mallory",
        access_key_id: None,
    };
    let identity = "You are not authorized to do this action. You should be authorized by RAM.";
    let (d, m) = refused(&bob, "ops");
    assert_eq!((d, m.as_str()), (Decision::ImplicitDeny, identity));
    let (d, m) = refused(&mallory, "ops");
    assert_eq!((d, m.as_str()), (Decision::ExplicitDeny, identity));
    let (d, m) = refused(&ALICE, "deny-alice");
    assert_eq!(d, Decision::ExplicitDeny);
    assert!(m.starts_with("No permission perform sts:AssumeRole on this Role."));
    let (d, m) = refused(&ALICE, "nobody");
    assert_eq!(d, Decision::ImplicitDeny);
    assert!(m.starts_with("No permission perform sts:AssumeRole"));
    // Bob has no permission and is not trusted by `nobody`: identity side reported first.
    assert_eq!(refused(&bob, "nobody").1, identity);
    // Mallory is denied explicitly on ops by her identity; deny-alice does not involve her.
    let (d, m) = refused(&StsCaller::Root, "ops");
    assert_eq!(
        (d, m.as_str()),
        (Decision::ExplicitDeny, "Roles may not be assumed by root accounts.")
    );
    // A user cannot assume a role that trusts only a service, and vice versa.
    assert_eq!(refused(&ALICE, "ecs-svc").0, Decision::ImplicitDeny);
    assert!(assume(&sts, &StsCaller::Service("ecs.aliyuncs.com"), "ecs-svc", at(0)).is_ok());
    assert!(assume(&sts, &StsCaller::Service("rds.aliyuncs.com"), "ecs-svc", at(0)).is_err());
}

#[test]
fn order_of_checks() {
    let sts = sts(Algorithm::HmacSha256);
    let now = at(0);
    let nobody = StsCaller::User {
        name: "nobody",
        access_key_id: None,
    };
    let bob = StsCaller::User {
        name: "bob",
        access_key_id: None,
    };
    let code = |c: &StsCaller<'_>, r: AssumeRoleRequest<'_>| sts.assume_role(c, &r, now).unwrap_err().code();
    // 1 before 2: authentication fails before any parameter is looked at.
    let all_bad = AssumeRoleRequest::new("bad", "b").duration_seconds(1).policy("{");
    assert_eq!(code(&nobody, all_bad.clone()), "EntityNotExist.User");
    // Within 2: RoleArn, RoleSessionName, DurationSeconds, policy size, policy grammar, ExternalId.
    assert_eq!(code(&ALICE, all_bad.clone()), "InvalidParameter.RoleArn");
    let missing = arn("missing");
    let r = AssumeRoleRequest::new(&missing, "b")
        .duration_seconds(1)
        .policy("{")
        .external_id("x");
    assert_eq!(code(&ALICE, r.clone()), "InvalidParameter.RoleSessionName");
    let r = AssumeRoleRequest {
        role_session_name: "ok",
        ..r
    };
    assert_eq!(code(&ALICE, r.clone()), "InvalidParameter.DurationSeconds");
    let big = "x".repeat(2_049);
    let r = AssumeRoleRequest {
        duration_seconds: Some(900),
        policy: Some(&big),
        ..r
    };
    assert_eq!(code(&ALICE, r.clone()), "InvalidParameter.PolicySize");
    let r = AssumeRoleRequest { policy: Some("{"), ..r };
    assert_eq!(code(&ALICE, r.clone()), "InvalidParameter.PolicyGrammar");
    let r = AssumeRoleRequest { policy: None, ..r };
    assert_eq!(code(&ALICE, r.clone()), "InvalidParameter.ExternalId");
    // Then the role: unknown before any permission question, for bob and the root alike.
    let r = AssumeRoleRequest { external_id: None, ..r };
    assert_eq!(code(&bob, r.clone()), "EntityNotExist.Role");
    assert_eq!(code(&StsCaller::Root, r.clone()), "EntityNotExist.Role");
    // The role's own maximum needs the role: checked once it is found, still before step 3.
    let ops = arn("ops");
    let r = AssumeRoleRequest::new(&ops, "ok").duration_seconds(3_601);
    assert_eq!(code(&bob, r.clone()), "InvalidParameter.DurationSeconds");
    assert_eq!(code(&StsCaller::Root, r), "InvalidParameter.DurationSeconds");
    // The root passes 1 and 2 and is refused at 3, whatever the root-key setting.
    assert_eq!(
        code(&StsCaller::Root, AssumeRoleRequest::new(&ops, "a")),
        "InvalidParameter.RoleSessionName"
    );
    let err = sts
        .assume_role(&StsCaller::Root, &AssumeRoleRequest::new(&ops, "ok"), now)
        .unwrap_err();
    assert_eq!(err, StsError::RootRefused);
    sts.authorizer()
        .apply(
            &[Change::SetSecurityPreference(ram_core::directory::SecurityPreference {
                refuse_root_access_keys: false,
                ..Default::default()
            })],
        )
        .unwrap();
    let err = sts
        .assume_role(&StsCaller::Root, &AssumeRoleRequest::new(&ops, "ok"), now)
        .unwrap_err();
    assert_eq!(err, StsError::RootRefused);
}

#[test]
fn durations() {
    let sts = sts(Algorithm::HmacSha256);
    let ops = arn("ops");
    let long = arn("long");
    let exp = |r: AssumeRoleRequest<'_>| sts.assume_role(&ALICE, &r, at(0)).unwrap().credentials.expiration;
    assert_eq!(exp(req(&ops).duration_seconds(900)), "2025-01-01T00:15:00Z");
    assert_eq!(exp(req(&ops)), "2025-01-01T01:00:00Z");
    assert_eq!(exp(req(&ops).duration_seconds(3_600)), "2025-01-01T01:00:00Z");
    assert_eq!(exp(req(&long).duration_seconds(43_200)), "2025-01-01T12:00:00Z");
    assert_eq!(exp(req(&long)), "2025-01-01T01:00:00Z");
}

#[test]
fn trust_conditions_see_the_request_context() {
    let sts = sts(Algorithm::HmacSha256);
    let ext = arn("ext");
    let ctx = |ip: &str| RequestContext::builder().set("acs:SourceIp", ip).build();
    let ok = req(&ext).external_id("ext-123").context(ctx("10.1.2.3"));
    assert!(sts.assume_role(&ALICE, &ok, at(0)).is_ok());
    assert!(
        sts.assume_role(&ALICE, &ok.clone().duration_seconds(7_200), at(0))
            .is_ok()
    );
    assert_eq!(
        sts.assume_role(&ALICE, &ok.clone().duration_seconds(7_201), at(0))
            .unwrap_err()
            .code(),
        "InvalidParameter.DurationSeconds"
    );
    for bad in [
        req(&ext).context(ctx("10.1.2.3")),
        req(&ext).external_id("ext-124").context(ctx("10.1.2.3")),
        req(&ext).external_id("ext-123").context(ctx("192.168.0.1")),
        req(&ext).external_id("ext-123"),
    ] {
        let e = sts.assume_role(&ALICE, &bad, at(0)).unwrap_err();
        assert_eq!(e.no_permission_type(), Some(Decision::ImplicitDeny), "{bad:?}");
    }
    // The context a caller claims cannot override the ExternalId parameter.
    let spoof = req(&ext).context(
        RequestContext::builder()
            .set("acs:SourceIp", "10.0.0.1")
            .set("sts:ExternalId", "wrong")
            .build(),
    );
    assert!(
        sts.assume_role(&ALICE, &spoof.clone().external_id("ext-123"), at(0))
            .is_ok()
    );
    assert!(sts.assume_role(&ALICE, &spoof, at(0)).is_err());
}

fn session_of(sts: &Sts, resp: &ram_sts::AssumeRoleResponse) -> StsCaller<'static> {
    let token: &'static str = Box::leak(resp.credentials.security_token.clone().into_boxed_str());
    let id: &'static str = Box::leak(resp.credentials.access_key_id.clone().into_boxed_str());
    let _ = sts;
    StsCaller::RoleSession {
        security_token: token,
        access_key_id: Some(id),
    }
}

fn decide(sts: &Sts, resp: &ram_sts::AssumeRoleResponse, action: &str, now: jiff::Timestamp) -> Decision {
    let ctx = RequestContext::new();
    let r = Request::new(action, "acs:oss:*:123456789012:bucket/key", &ctx);
    sts.check(
        &resp.credentials.security_token,
        Some(&resp.credentials.access_key_id),
        &r,
        now,
    )
    .unwrap()
}

#[test]
fn role_chaining() {
    let sts = sts(Algorithm::Ed25519);
    let ops = assume(&sts, &ALICE, "ops", at(0)).unwrap();
    // Alice herself is not trusted by `reader`; a session of `ops` is.
    assert!(assume(&sts, &ALICE, "reader", at(0)).is_err());
    let reader = assume(&sts, &session_of(&sts, &ops), "reader", at(10)).unwrap();
    assert_eq!(decide(&sts, &reader, "oss:GetObject", at(20)), Decision::Allow);
    assert_eq!(decide(&sts, &reader, "oss:PutObject", at(20)), Decision::ImplicitDeny);
    assert_eq!(decide(&sts, &ops, "oss:PutObject", at(20)), Decision::Allow);
    let v = sts
        .verifier()
        .verify(&reader.credentials.security_token, None, at(20))
        .unwrap();
    assert_eq!(
        v.claims().source_identity,
        format!("acs:ram::{ACCT}:assumed-role/ops/test-session")
    );
    // A `reader` session cannot chain on: its role has no sts:AssumeRole permission.
    let e = assume(&sts, &session_of(&sts, &reader), "ops", at(30)).unwrap_err();
    assert_eq!(e.no_permission_type(), Some(Decision::ImplicitDeny));
    // The chaining session must present its own AccessKeyId, if any.
    let wrong = StsCaller::RoleSession {
        security_token: &ops.credentials.security_token,
        access_key_id: Some("STS.0000000000000000000000"),
    };
    assert_eq!(
        assume(&sts, &wrong, "reader", at(10)).unwrap_err().code(),
        "InvalidSecurityToken.MismatchWithAccessKey"
    );
    // An expired session cannot chain.
    assert_eq!(
        assume(&sts, &session_of(&sts, &ops), "reader", at(3_600))
            .unwrap_err()
            .code(),
        "InvalidSecurityToken.Expired"
    );
    // A session policy on the chaining session bounds its AssumeRole too.
    let narrowed = sts
        .assume_role(
            &ALICE,
            &req(&arn("ops"))
                .policy(r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}"#),
            at(0),
        )
        .unwrap();
    assert_eq!(
        assume(&sts, &session_of(&sts, &narrowed), "reader", at(1))
            .unwrap_err()
            .no_permission_type(),
        Some(Decision::ImplicitDeny)
    );
}

#[test]
fn session_policy_intersection() {
    let sts = sts(Algorithm::HmacSha256);
    let ops = arn("ops");
    let with = |policy: &str| {
        let doc = format!(r#"{{"Version":"1","Statement":[{policy}]}}"#);
        sts.assume_role(&ALICE, &req(&ops).policy(&doc), at(0)).unwrap()
    };
    let d = |resp, action| decide(&sts, resp, action, at(1));
    // No session policy: the role's permissions.
    let plain = assume(&sts, &ALICE, "ops", at(0)).unwrap();
    assert_eq!(d(&plain, "oss:PutObject"), Decision::Allow);
    assert_eq!(d(&plain, "oss:DeleteBucket"), Decision::ExplicitDeny);
    assert_eq!(d(&plain, "ecs:StopInstance"), Decision::ImplicitDeny);
    // Session allows, role does not: denied (implicitly or explicitly, as the role says).
    let wide = with(r#"{"Effect":"Allow","Action":["ecs:*","oss:*"],"Resource":"*"}"#);
    assert_eq!(d(&wide, "ecs:StopInstance"), Decision::ImplicitDeny);
    assert_eq!(d(&wide, "oss:DeleteBucket"), Decision::ExplicitDeny);
    assert_eq!(d(&wide, "oss:PutObject"), Decision::Allow);
    // Role allows, session implicitly denies: the session's implicit deny is final.
    let narrow = with(r#"{"Effect":"Allow","Action":"oss:Get*","Resource":"*"}"#);
    assert_eq!(d(&narrow, "oss:GetObject"), Decision::Allow);
    assert_eq!(d(&narrow, "oss:PutObject"), Decision::ImplicitDeny);
    // ... even where the role would deny explicitly.
    assert_eq!(d(&narrow, "oss:DeleteBucket"), Decision::ImplicitDeny);
    // Explicit deny in the session policy.
    let deny = with(
        r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"oss:GetObject","Resource":"*"}"#,
    );
    assert_eq!(d(&deny, "oss:GetObject"), Decision::ExplicitDeny);
    assert_eq!(d(&deny, "oss:PutObject"), Decision::Allow);
    // The explanation names the session policy as the deciding step.
    let session = sts
        .authenticate(&narrow.credentials.security_token, None, at(1))
        .unwrap();
    let ctx = RequestContext::new();
    let e = session
        .explain(&Request::new("oss:GetObject", "acs:oss:*:1:b/k", &ctx))
        .unwrap();
    assert_eq!(e.decision, Decision::Allow);
    assert_eq!(e.matched[0].source, Source::Role);
    let e = session
        .explain(&Request::new("oss:PutObject", "acs:oss:*:1:b/k", &ctx))
        .unwrap();
    assert_eq!(e.decision, Decision::ImplicitDeny);
    // The session policy is compiled once per token and reused from the cache.
    let again = sts
        .authenticate(&narrow.credentials.security_token, None, at(2))
        .unwrap();
    assert!(std::ptr::eq(
        session.token().session_policy().unwrap(),
        again.token().session_policy().unwrap()
    ));
    // The caller's own permissions do not carry over: alice may not read OSS herself.
    let alice = sts
        .authorizer()
        .check(
            &Caller::user("alice"),
            &Request::new("oss:GetObject", "acs:oss:*:1:b/k", &ctx),
        )
        .unwrap();
    assert_eq!(alice, Decision::ImplicitDeny);
    // Nor does the session carry the caller's: alice may assume roles, the ops session's
    // permission comes from OpsPolicy alone; remove it and the session cannot chain.
    sts.authorizer()
        .apply(&[Change::DetachPolicy {
            target: PolicyTarget::Role("ops".into()),
            policy_type: None,
            policy: "OpsPolicy".into(),
        }])
        .unwrap();
    assert!(assume(&sts, &session_of(&sts, &plain), "reader", at(3)).is_err());
}

#[test]
fn caller_identity() {
    let sts = sts(Algorithm::HmacSha256);
    let dir = sts.authorizer().snapshot();
    let alice_id = dir.directory().user("alice").unwrap().user_id.clone();
    let ops_id = dir.directory().role("ops").unwrap().role_id.clone();
    let me = sts.get_caller_identity(&ALICE, at(0)).unwrap();
    assert_eq!(
        serde_json::to_value(&me).unwrap(),
        serde_json::json!({"AccountId": ACCT, "Arn": format!("acs:ram::{ACCT}:user/alice"),
            "IdentityType": "RAMUser", "PrincipalId": alice_id, "UserId": alice_id})
    );
    let with_key = StsCaller::User {
        name: "alice",
        access_key_id: Some(ALICE_KEY),
    };
    assert_eq!(sts.get_caller_identity(&with_key, at(0)).unwrap(), me);
    let root = sts.get_caller_identity(&StsCaller::Root, at(0)).unwrap();
    assert_eq!(
        serde_json::to_value(&root).unwrap(),
        serde_json::json!({"AccountId": ACCT, "Arn": format!("acs:ram::{ACCT}:root"),
            "IdentityType": "Account", "PrincipalId": ACCT})
    );
    let resp = assume(&sts, &ALICE, "ops", at(0)).unwrap();
    let session = sts.get_caller_identity(&session_of(&sts, &resp), at(1)).unwrap();
    assert_eq!(
        serde_json::to_value(&session).unwrap(),
        serde_json::json!({"AccountId": ACCT, "Arn": format!("acs:ram::{ACCT}:assumed-role/ops/test-session"),
            "IdentityType": "AssumedRoleUser", "PrincipalId": format!("{ops_id}:test-session"), "RoleId": ops_id})
    );
    assert_eq!(
        sts.get_caller_identity(&StsCaller::Service("ecs.aliyuncs.com"), at(0))
            .unwrap_err()
            .code(),
        "NoPermission"
    );
    let ghost = StsCaller::User {
        name: "ghost",
        access_key_id: None,
    };
    assert_eq!(
        sts.get_caller_identity(&ghost, at(0)).unwrap_err().kind(),
        ErrorKind::Authentication
    );
}

#[test]
fn console_session_caller() {
    use ram_core::directory::Argon2Params;
    let sts = sts(Algorithm::HmacSha256);
    let auth = sts.authorizer();
    let dir = auth.snapshot().directory().clone();
    let hash = dir
        .hash_new_password("alice", "Correct-Horse-1", Argon2Params::INSECURE_FAST)
        .unwrap();
    auth.apply_at(
        &[Change::CreateLoginProfile {
            user: "alice".into(),
            password_hash: hash,
            password_reset_required: false,
            mfa_bind_required: false,
        }],
        at(0),
        |_, _| Ok(()),
    )
    .unwrap();
    let attempt = auth
        .snapshot()
        .directory()
        .login("alice", "Correct-Horse-1", None, at(1));
    auth.apply_at(&attempt.changes, at(1), |_, _| Ok(())).unwrap();
    let session = attempt.outcome.unwrap();
    let token = session.to_token(auth.snapshot().directory()).unwrap();
    let caller = StsCaller::ConsoleSession(&token);
    let resp = assume(&sts, &caller, "ops", at(2)).unwrap();
    let v = sts
        .verifier()
        .verify(&resp.credentials.security_token, None, at(2))
        .unwrap();
    assert_eq!(v.claims().source_identity, format!("acs:ram::{ACCT}:user/alice"));
    assert_eq!(
        sts.get_caller_identity(&caller, at(2)).unwrap().identity_type,
        "RAMUser"
    );
    // A role that requires MFA: the console session without MFA is refused.
    auth.apply(&[role(
        "mfa-only",
        format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":"acs:ram::{ACCT}:root"}},"Condition":{{"Bool":{{"acs:MFAPresent":"true"}}}}}}]}}"#
        ),
        None,
    )])
    .unwrap();
    // Claiming MFA in the context does not help: the console session sets it.
    let claim = RequestContext::builder().mfa_present(true).build();
    let mfa_only = arn("mfa-only");
    assert!(
        sts.assume_role(&caller, &req(&mfa_only).context(claim.clone()), at(3))
            .is_err()
    );
    assert!(sts.assume_role(&ALICE, &req(&mfa_only).context(claim), at(3)).is_ok());
    // An expired console session is an authentication failure.
    let late = at(7 * 3_600);
    assert_eq!(
        assume(&sts, &caller, "ops", late).unwrap_err().code(),
        "InvalidConsoleSession.Expired"
    );
}

#[test]
fn revocation() {
    let sts = sts(Algorithm::HmacSha256);
    let auth = sts.authorizer().clone();
    let resp = assume(&sts, &ALICE, "ops", at(0)).unwrap();
    let token = resp.credentials.security_token.clone();
    let check = |action: &str, t: i64| decide(&sts, &resp, action, at(t));
    assert_eq!(check("oss:GetObject", 1), Decision::Allow);

    // The user who assumed the role loses her permission: the session is unaffected.
    auth.apply(&[Change::DetachPolicy {
        target: PolicyTarget::User("alice".into()),
        policy_type: None,
        policy: "AliyunSTSAssumeRoleAccess".into(),
    }])
    .unwrap();
    assert_eq!(check("oss:GetObject", 2), Decision::Allow);

    // Attachment removed: the very next check sees it.
    let detach = Change::DetachPolicy {
        target: PolicyTarget::Role("ops".into()),
        policy_type: None,
        policy: "OpsPolicy".into(),
    };
    auth.apply(std::slice::from_ref(&detach)).unwrap();
    assert_eq!(check("oss:GetObject", 3), Decision::ImplicitDeny);
    auth.apply(&[attach(PolicyTarget::Role("ops".into()), "OpsPolicy")])
        .unwrap();
    assert_eq!(check("oss:GetObject", 4), Decision::Allow);

    // Revoke sessions issued before T: T after issue refuses; T at the issue second does not.
    let issued_later = assume(
        &sts,
        &StsCaller::User {
            name: "mallory",
            access_key_id: None,
        },
        "long",
        at(100),
    )
    .unwrap();
    auth.apply(&[Change::RevokeRoleSessions {
        name: "ops".into(),
        before: at(1),
    }])
    .unwrap();
    let err = sts.authenticate(&token, None, at(5)).unwrap_err();
    assert_eq!(
        (err.code(), err.kind()),
        ("InvalidSecurityToken.Revoked", ErrorKind::Authentication)
    );
    auth.apply(&[Change::RevokeRoleSessions {
        name: "ops".into(),
        before: at(0),
    }])
    .unwrap();
    assert!(sts.authenticate(&token, None, at(6)).is_ok());
    // Other roles' sessions are unaffected.
    assert!(
        sts.authenticate(&issued_later.credentials.security_token, None, at(101))
            .is_ok()
    );
    // New sessions after T work.
    auth.apply(&[Change::RevokeRoleSessions {
        name: "ops".into(),
        before: at(50),
    }])
    .unwrap();
    let fresh = assume(&sts, &ALICE, "ops", at(50));
    assert!(fresh.is_err(), "alice lost sts:AssumeRole above");
    auth.apply(&[attach(PolicyTarget::User("alice".into()), "AliyunSTSAssumeRoleAccess")])
        .unwrap();
    let fresh = assume(&sts, &ALICE, "ops", at(50)).unwrap();
    assert!(
        sts.authenticate(&fresh.credentials.security_token, None, at(51))
            .is_ok()
    );
    assert!(sts.authenticate(&token, None, at(51)).is_err());

    // Trust policy changed: sessions issued under the old one end.
    auth.apply(&[Change::UpdateRole {
        name: "ops".into(),
        trust_policy: Some(format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":"acs:ram::{ACCT}:user/bob"}}}}]}}"#
        )),
        max_session_duration: None,
    }])
    .unwrap();
    let err = sts
        .authenticate(&fresh.credentials.security_token, None, at(52))
        .unwrap_err();
    assert_eq!(err, StsError::Revoked("the role's trust policy changed"));
    // A MaxSessionDuration change alone does not touch the trust policy.
    let bob = StsCaller::User {
        name: "bob",
        access_key_id: None,
    };
    auth.apply(&[attach(PolicyTarget::User("bob".into()), "AliyunSTSAssumeRoleAccess")])
        .unwrap();
    let bobs = assume(&sts, &bob, "ops", at(60)).unwrap();
    auth.apply(&[Change::UpdateRole {
        name: "ops".into(),
        trust_policy: None,
        max_session_duration: Some(7_200),
    }])
    .unwrap();
    assert!(sts.authenticate(&bobs.credentials.security_token, None, at(61)).is_ok());

    // Role deleted: refused at the next check; created again under the same name: still
    // refused (another role id).
    auth.apply(&[detach, Change::DeleteRole { name: "ops".into() }])
        .unwrap();
    let err = sts
        .authenticate(&bobs.credentials.security_token, None, at(62))
        .unwrap_err();
    assert_eq!(
        (err.code(), err.kind()),
        ("EntityNotExist.Role", ErrorKind::Authentication)
    );
    let ctx = RequestContext::new();
    assert!(
        sts.check(
            &bobs.credentials.security_token,
            None,
            &Request::new("oss:GetObject", "x", &ctx),
            at(62)
        )
        .is_err()
    );
    auth.apply(&[role(
        "ops",
        format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":"acs:ram::{ACCT}:user/bob"}}}}]}}"#
        ),
        None,
    )])
    .unwrap();
    let err = sts
        .authenticate(&bobs.credentials.security_token, None, at(63))
        .unwrap_err();
    assert_eq!(err, StsError::Revoked("the role was deleted and created again"));
}

#[test]
fn guardrails_bound_role_sessions() {
    let sts = sts(Algorithm::HmacSha256);
    let resp = assume(&sts, &ALICE, "ops", at(0)).unwrap();
    assert_eq!(decide(&sts, &resp, "oss:GetObject", at(1)), Decision::Allow);
    sts.authorizer()
        .apply(&[
            policy("NoOssGet", r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"oss:Get*","Resource":"*"}"#),
            Change::AttachGuardrail {
                policy_type: None,
                policy: "NoOssGet".into(),
            },
        ])
        .unwrap();
    assert_eq!(decide(&sts, &resp, "oss:GetObject", at(2)), Decision::ExplicitDeny);
    assert_eq!(decide(&sts, &resp, "oss:PutObject", at(2)), Decision::Allow);
}
