//! What ram-core provides for `ram-sts`: revoking a role's sessions, the compiled trust
//! policy and its digest per snapshot, authentication without a decision, role-session
//! callers, and the `StsKeys` section of the state file.

use jiff::Timestamp;
use ram_core::authorizer::{AuthError, Authorizer, Caller};
use ram_core::directory::{Change, Directory, PolicyTarget};
use ram_core::store::{FileStore, SECTIONS, Store};
use ram_core::trust::{TrustPrincipal, trust_decision};
use ram_core::{Decision, PolicyDocument, PolicyRef, PolicySet, Request, RequestContext, Source};

const TRUST_ROOT: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::123456789012:root"}}]}"#;
const TRUST_ECS: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}}]}"#;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn setup() -> Authorizer {
    let auth = Authorizer::new(Directory::new("123456789012").unwrap());
    auth.apply(&[
        Change::CreateUser {
            name: "alice".into(),
            display_name: None,
        },
        Change::CreateRole {
            name: "ops".into(),
            trust_policy: TRUST_ROOT.into(),
            max_session_duration: None,
        },
        Change::AttachPolicy {
            target: PolicyTarget::Role("ops".into()),
            policy_type: None,
            policy: "AliyunOSSFullAccess".into(),
        },
    ])
    .unwrap();
    auth
}

#[test]
fn revoke_role_sessions_is_a_change() {
    let auth = setup();
    assert_eq!(
        auth.snapshot().directory().role("ops").unwrap().sessions_revoked_before,
        None
    );
    let before = t("2025-01-01T00:00:00Z");
    auth.apply(&[Change::RevokeRoleSessions {
        name: "ops".into(),
        before,
    }])
    .unwrap();
    let dir = auth.snapshot().directory().clone();
    assert_eq!(dir.role("ops").unwrap().sessions_revoked_before, Some(before));
    let err = auth
        .apply(&[Change::RevokeRoleSessions {
            name: "nope".into(),
            before,
        }])
        .unwrap_err();
    assert_eq!(err.code(), "EntityNotExist.Role");
    // Stored with the role, and absent from roles never revoked.
    let json = serde_json::to_value(&dir).unwrap();
    assert_eq!(json["Roles"]["ops"]["SessionsRevokedBefore"], "2025-01-01T00:00:00Z");
    let back: Directory = serde_json::from_value(json).unwrap();
    assert_eq!(back, dir);
    // Its Debug form is its JSON form, like every change.
    let c = Change::RevokeRoleSessions {
        name: "ops".into(),
        before,
    };
    assert!(format!("{c:?}").contains("RevokeRoleSessions"));
}

#[test]
fn revocations_survive_the_journal_and_the_section_is_known() {
    assert!(SECTIONS.contains(&"StsKeys"));
    let dir = std::env::temp_dir().join(format!("ram-core-sts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ram.json");
    let _ = std::fs::remove_file(&path);
    let mut directory = Directory::new("123456789012").unwrap();
    let now = t("2025-01-01T00:00:00Z");
    {
        let mut store = FileStore::create(&path, &directory).unwrap();
        // Journal every write, so the revocation is replayed on load.
        store.set_journal_policy(ram_core::store::JournalPolicy {
            rewrite_max_bytes: 0,
            compact_percent: u64::MAX,
        });
        store
            .commit_to(
                &mut directory,
                &[Change::CreateRole {
                    name: "ops".into(),
                    trust_policy: TRUST_ROOT.into(),
                    max_session_duration: None,
                }],
                now,
            )
            .unwrap();
        store
            .commit_to(
                &mut directory,
                &[Change::RevokeRoleSessions {
                    name: "ops".into(),
                    before: now,
                }],
                now,
            )
            .unwrap();
        store
            .put_section("StsKeys", Some(serde_json::json!({"Active": null, "Keys": []})))
            .unwrap();
    }
    let state = FileStore::read(&path).unwrap();
    assert_eq!(state.directory.role("ops").unwrap().sessions_revoked_before, Some(now));
    assert!(state.sections.contains_key("StsKeys"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn snapshots_keep_each_roles_trust_policy_parsed() {
    let auth = setup();
    let snap = auth.snapshot();
    let trust = snap.role_trust("ops").unwrap().clone();
    let alice = TrustPrincipal::User {
        account: "123456789012",
        name: "alice",
    };
    let ctx = RequestContext::new();
    assert_eq!(trust_decision(trust.document().unwrap(), &alice, &ctx), Decision::Allow);
    auth.apply(&[Change::UpdateRole {
        name: "ops".into(),
        trust_policy: Some(TRUST_ECS.into()),
        max_session_duration: None,
    }])
    .unwrap();
    let next = auth.snapshot().role_trust("ops").unwrap().clone();
    assert_ne!(next.digest(), trust.digest());
    assert_eq!(
        trust_decision(next.document().unwrap(), &alice, &ctx),
        Decision::ImplicitDeny
    );
    // Another change of the role leaves the digest alone.
    auth.apply(&[Change::UpdateRole {
        name: "ops".into(),
        trust_policy: None,
        max_session_duration: Some(7_200),
    }])
    .unwrap();
    assert_eq!(auth.snapshot().role_trust("ops").unwrap().digest(), next.digest());
    // A snapshot built from scratch agrees with the incremental one.
    let fresh = ram_core::authorizer::Snapshot::new(auth.snapshot().directory().clone());
    assert_eq!(fresh.role_trust("ops").unwrap().digest(), next.digest());
    auth.apply(&[
        Change::DetachPolicy {
            target: PolicyTarget::Role("ops".into()),
            policy_type: None,
            policy: "AliyunOSSFullAccess".into(),
        },
        Change::DeleteRole { name: "ops".into() },
    ])
    .unwrap();
    assert!(auth.snapshot().role_trust("ops").is_none());
}

#[test]
fn authenticate_without_deciding_and_role_session_callers() {
    let auth = setup();
    let snap = auth.snapshot();
    assert_eq!(snap.authenticate(&Caller::user("alice")), Ok(()));
    assert_eq!(
        snap.authenticate(&Caller::user("bob")),
        Err(AuthError::UnknownUser("bob".into()))
    );
    assert_eq!(snap.authenticate(&Caller::role_session("ops", None)), Ok(()));
    assert_eq!(
        snap.authenticate(&Caller::role_session("nope", None)),
        Err(AuthError::UnknownRole("nope".into()))
    );
    let ctx = RequestContext::new();
    let put = Request::new("oss:PutObject", "acs:oss:*:1:b/k", &ctx);
    assert_eq!(
        auth.check(&Caller::role_session("ops", None), &put),
        Ok(Decision::Allow)
    );
    let session = PolicySet::builder()
        .add_document(
            PolicyRef::new("s", "", Source::Session),
            &PolicyDocument::parse(
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get*","Resource":"*"}]}"#,
            )
            .unwrap(),
        )
        .build();
    assert_eq!(
        auth.check(&Caller::role_session("ops", Some(&session)), &put),
        Ok(Decision::ImplicitDeny)
    );
}
