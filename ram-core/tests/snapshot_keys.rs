//! The authorizer's index of active access keys follows every change of keys and users:
//! creation, status, deletion, a user's deletion, and a user's set being rebuilt.

use ram_core::authorizer::{AuthError, Authorizer, Caller};
use ram_core::directory::{AccessKeyStatus, Change, Directory, PolicyTarget, PolicyType};
use ram_core::{Decision, Request, RequestContext};

const ALICE_KEY: &str = "LTAI00000000000000000001";
const BOB_KEY: &str = "LTAI00000000000000000002";

fn key(user: &str, id: &str) -> Change {
    Change::CreateAccessKey {
        user: user.to_owned(),
        access_key_id: id.to_owned(),
        access_key_secret: "0".repeat(30),
    }
}

fn status(user: &str, id: &str, status: AccessKeyStatus) -> Change {
    Change::UpdateAccessKey {
        user: user.to_owned(),
        access_key_id: id.to_owned(),
        status,
    }
}

#[test]
fn signed_checks_follow_key_and_user_changes() {
    let auth = Authorizer::new(Directory::new("123456").unwrap());
    let user = |name: &str| Change::CreateUser {
        name: name.to_owned(),
        display_name: None,
    };
    auth.apply(&[user("alice"), user("bob"), key("alice", ALICE_KEY), key("bob", BOB_KEY)])
        .unwrap();
    let ctx = RequestContext::new();
    let req = Request::new("oss:GetObject", "acs:oss:*:123456:bucket/a", &ctx);
    let alice = Caller::user_with_key("alice", ALICE_KEY);
    assert_eq!(auth.check(&alice, &req), Ok(Decision::ImplicitDeny));

    // A new attachment rebuilds alice's set: the key sees the new set.
    auth.apply(&[Change::AttachPolicy {
        target: PolicyTarget::User("alice".into()),
        policy_type: Some(PolicyType::System),
        policy: "AliyunOSSReadOnlyAccess".into(),
    }])
    .unwrap();
    assert_eq!(auth.check(&alice, &req), Ok(Decision::Allow));

    assert_eq!(
        auth.check(&Caller::user_with_key("alice", BOB_KEY), &req),
        Err(AuthError::ForeignAccessKey)
    );
    assert_eq!(
        auth.check(&Caller::user_with_key("carol", ALICE_KEY), &req),
        Err(AuthError::UnknownUser("carol".into()))
    );

    auth.apply(&[status("alice", ALICE_KEY, AccessKeyStatus::Inactive)])
        .unwrap();
    assert_eq!(auth.check(&alice, &req), Err(AuthError::InactiveAccessKey));
    auth.apply(&[status("alice", ALICE_KEY, AccessKeyStatus::Active)])
        .unwrap();
    assert_eq!(auth.check(&alice, &req), Ok(Decision::Allow));

    auth.apply(&[Change::DeleteAccessKey {
        user: "alice".into(),
        access_key_id: ALICE_KEY.into(),
    }])
    .unwrap();
    assert_eq!(auth.check(&alice, &req), Err(AuthError::UnknownAccessKey));
    // A key id reused by another user is that user's now.
    auth.apply(&[key("bob", ALICE_KEY)]).unwrap();
    assert_eq!(auth.check(&alice, &req), Err(AuthError::ForeignAccessKey));
    assert_eq!(
        auth.check(&Caller::user_with_key("bob", ALICE_KEY), &req),
        Ok(Decision::ImplicitDeny)
    );

    auth.apply(&[Change::DeleteUser {
        name: "bob".into(),
        cascade: true,
    }])
    .unwrap();
    assert_eq!(
        auth.check(&Caller::user_with_key("bob", BOB_KEY), &req),
        Err(AuthError::UnknownUser("bob".into()))
    );
    // Nothing of bob's is left behind in the key index.
    auth.apply(&[user("bob")]).unwrap();
    assert_eq!(
        auth.check(&Caller::user_with_key("bob", BOB_KEY), &req),
        Err(AuthError::UnknownAccessKey)
    );
}

fn rename(from: &str, to: &str) -> Change {
    Change::UpdateUser {
        name: from.to_owned(),
        new_name: Some(to.to_owned()),
        display_name: None,
        mobile_phone: None,
        email: None,
        comments: None,
    }
}

/// A rename moves the user's keys from one dirty name to another. The snapshot handles the
/// dirty users in name order, so both directions are checked: the new name sorting before
/// the old one ("zed" -> "amy") and after it ("amy" -> "zed").
///
/// The key index is only the fast path: a key missing from it falls back to the directory
/// with the same answers, so these decisions cannot tell a lost index entry (the bug of
/// handling "zed" after rebuilding "amy") from a present one; no public API exposes the index.
/// What they pin is that the key authenticates the new name only, in both orders.
#[test]
fn keys_follow_a_renamed_user_both_ways() {
    let auth = Authorizer::new(Directory::new("123456").unwrap());
    auth.apply(&[
        Change::CreateUser {
            name: "zed".into(),
            display_name: None,
        },
        key("zed", ALICE_KEY),
        Change::AttachPolicy {
            target: PolicyTarget::User("zed".into()),
            policy_type: Some(PolicyType::System),
            policy: "AliyunOSSReadOnlyAccess".into(),
        },
    ])
    .unwrap();
    let ctx = RequestContext::new();
    let req = Request::new("oss:GetObject", "acs:oss:*:123456:bucket/a", &ctx);
    assert_eq!(
        auth.check(&Caller::user_with_key("zed", ALICE_KEY), &req),
        Ok(Decision::Allow)
    );

    for (from, to) in [("zed", "amy"), ("amy", "zed")] {
        auth.apply(&[rename(from, to)]).unwrap();
        assert_eq!(
            auth.check(&Caller::user_with_key(to, ALICE_KEY), &req),
            Ok(Decision::Allow),
            "{from} -> {to}: the key works under the new name"
        );
        assert_eq!(
            auth.check(&Caller::user_with_key(from, ALICE_KEY), &req),
            Err(AuthError::UnknownUser(from.into())),
            "{from} -> {to}: the old name is gone"
        );
        let (owner, _) = auth
            .snapshot()
            .directory()
            .access_key(ALICE_KEY)
            .map(|(u, k)| (u.user_name.clone(), k.status))
            .unwrap();
        assert_eq!(owner, to);
    }

    // A new user under the old name does not inherit the key.
    auth.apply(&[Change::CreateUser {
        name: "amy".into(),
        display_name: None,
    }])
    .unwrap();
    assert_eq!(
        auth.check(&Caller::user_with_key("amy", ALICE_KEY), &req),
        Err(AuthError::ForeignAccessKey)
    );
}

/// A group rename rebuilds every member: their sets keep the group's policies, and later
/// changes to the group under its new name reach them.
#[test]
fn members_follow_a_renamed_group() {
    let auth = Authorizer::new(Directory::new("123456").unwrap());
    let attach = |group: &str, detach: bool| {
        let (target, policy_type, policy) = (
            PolicyTarget::Group(group.into()),
            Some(PolicyType::System),
            "AliyunOSSReadOnlyAccess".to_owned(),
        );
        if detach {
            Change::DetachPolicy {
                target,
                policy_type,
                policy,
            }
        } else {
            Change::AttachPolicy {
                target,
                policy_type,
                policy,
            }
        }
    };
    auth.apply(&[
        Change::CreateUser {
            name: "alice".into(),
            display_name: None,
        },
        key("alice", ALICE_KEY),
        Change::CreateGroup { name: "dev".into() },
        Change::AddUserToGroup {
            group: "dev".into(),
            user: "alice".into(),
        },
        attach("dev", false),
    ])
    .unwrap();
    let ctx = RequestContext::new();
    let req = Request::new("oss:GetObject", "acs:oss:*:123456:bucket/a", &ctx);
    let alice = Caller::user_with_key("alice", ALICE_KEY);
    assert_eq!(auth.check(&alice, &req), Ok(Decision::Allow));
    auth.apply(&[Change::UpdateGroup {
        name: "dev".into(),
        new_name: Some("builders".into()),
        comments: None,
    }])
    .unwrap();
    assert_eq!(auth.check(&alice, &req), Ok(Decision::Allow));
    assert_eq!(auth.check(&Caller::user("alice"), &req), Ok(Decision::Allow));
    assert_eq!(
        auth.apply(&[attach("dev", true)]).unwrap_err().code(),
        "EntityNotExist.Group"
    );
    auth.apply(&[attach("builders", true)]).unwrap();
    assert_eq!(auth.check(&alice, &req), Ok(Decision::ImplicitDeny));
}
