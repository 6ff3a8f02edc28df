use super::*;

fn dir() -> Directory {
    Directory::new("123456789012").unwrap()
}

fn user(name: &str) -> Change {
    Change::CreateUser {
        name: name.into(),
        display_name: None,
    }
}

#[test]
fn a_failed_batch_leaves_no_trace() {
    let mut d = dir();
    d.apply(&[user("alice")]).unwrap();
    let before = d.clone();
    let err = d
        .apply(&[
            user("bob"),
            Change::CreateGroup { name: "dev".into() },
            Change::AddUserToGroup {
                group: "dev".into(),
                user: "carol".into(),
            },
        ])
        .unwrap_err();
    assert_eq!(err.code(), "EntityNotExist.User");
    assert_eq!(d, before);
}

#[test]
fn delete_user_conflicts_and_cascade() {
    let mut d = dir();
    d.apply(&[
        user("alice"),
        Change::CreateGroup { name: "dev".into() },
        Change::AddUserToGroup {
            group: "dev".into(),
            user: "alice".into(),
        },
        Change::create_access_key("alice").unwrap(),
        Change::AttachPolicy {
            target: PolicyTarget::User("alice".into()),
            policy_type: None,
            policy: "ReadOnlyAccess".into(),
        },
    ])
    .unwrap();
    let key = d.user("alice").unwrap().access_keys[0].access_key_id.clone();
    assert!(d.access_key(&key).is_some());
    let err = d
        .apply(&[Change::DeleteUser {
            name: "alice".into(),
            cascade: false,
        }])
        .unwrap_err();
    assert_eq!(err.code(), "DeleteConflict.User.Group");
    d.apply(&[Change::DeleteUser {
        name: "alice".into(),
        cascade: true,
    }])
    .unwrap();
    assert!(d.user("alice").is_none());
    assert!(d.group("dev").unwrap().members.is_empty());
    assert!(d.access_key(&key).is_none());
}

#[test]
fn names_quotas_and_codes() {
    let mut d = dir().with_quotas(Quotas {
        users: 1,
        ..Quotas::default()
    });
    assert_eq!(
        d.apply(&[user("bad name")]).unwrap_err().code(),
        "InvalidParameter.UserName"
    );
    d.apply(&[user("a")]).unwrap();
    assert_eq!(d.apply(&[user("a")]).unwrap_err().code(), "EntityAlreadyExists.User");
    assert_eq!(d.apply(&[user("b")]).unwrap_err().code(), "LimitExceeded.User");
    for _ in 0..2 {
        d.apply(&[Change::create_access_key("a").unwrap()]).unwrap();
    }
    assert_eq!(
        d.apply(&[Change::create_access_key("a").unwrap()]).unwrap_err().code(),
        "LimitExceeded.User.AccessKey"
    );
}

#[test]
fn policy_versions() {
    let doc =
        |a: &str| format!(r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"{a}","Resource":"*"}}]}}"#);
    let mut d = dir();
    d.apply(&[Change::CreatePolicy {
        name: "p".into(),
        document: doc("ecs:*"),
        description: String::new(),
    }])
    .unwrap();
    assert_eq!(
        d.apply(&[Change::CreatePolicy {
            name: "AdministratorAccess".into(),
            document: doc("ecs:*"),
            description: String::new(),
        }])
        .unwrap_err()
        .code(),
        "EntityAlreadyExists.Policy"
    );
    for i in 0..4 {
        d.apply(&[Change::CreatePolicyVersion {
            name: "p".into(),
            document: doc(&format!("s{i}:*")),
            set_as_default: i == 3,
            rotate: false,
        }])
        .unwrap();
    }
    let p = d.custom_policy("p").unwrap();
    assert_eq!(p.versions.len(), 5);
    assert_eq!(p.default_version, "v5");
    let full = Change::CreatePolicyVersion {
        name: "p".into(),
        document: doc("x:*"),
        set_as_default: false,
        rotate: false,
    };
    assert_eq!(
        d.apply(std::slice::from_ref(&full)).unwrap_err().code(),
        "LimitExceeded.Policy.Version"
    );
    d.apply(&[Change::CreatePolicyVersion {
        name: "p".into(),
        document: doc("x:*"),
        set_as_default: false,
        rotate: true,
    }])
    .unwrap();
    let ids: Vec<&str> = d
        .custom_policy("p")
        .unwrap()
        .versions
        .iter()
        .map(|v| v.version_id.as_str())
        .collect();
    assert_eq!(ids, ["v2", "v3", "v4", "v5", "v6"]);
    assert_eq!(
        d.apply(&[Change::DeletePolicyVersion {
            name: "p".into(),
            version: "v5".into()
        }])
        .unwrap_err()
        .code(),
        "DeleteConflict.Policy.Version.Default"
    );
    assert_eq!(
        d.apply(&[Change::DeletePolicy {
            name: "p".into(),
            cascade: false
        }])
        .unwrap_err()
        .code(),
        "DeleteConflict.Policy.Version"
    );
    let bad = d
        .apply(&[Change::CreatePolicyVersion {
            name: "p".into(),
            document: "{}".into(),
            set_as_default: false,
            rotate: true,
        }])
        .unwrap_err();
    assert_eq!(bad.code(), "MalformedPolicyDocument");
    assert!(!bad.problems().is_empty());
}

#[test]
fn state_round_trips_through_json_with_indexes() {
    let mut d = dir();
    d.apply(&[user("alice"), Change::create_access_key("alice").unwrap()])
        .unwrap();
    let text = serde_json::to_string_pretty(&d).unwrap();
    assert!(!text.contains("key_owners") && !text.contains("KeyOwners"));
    let back: Directory = serde_json::from_str(&text).unwrap();
    assert_eq!(back, d);
    let key = &d.user("alice").unwrap().access_keys[0];
    assert!(back.access_key(&key.access_key_id).is_some());
    assert!(
        !format!("{d:?}").contains(&key.access_key_secret),
        "secret leaked into Debug"
    );
    let change = Change::create_access_key("alice").unwrap();
    let Change::CreateAccessKey { access_key_secret, .. } = &change else {
        unreachable!()
    };
    assert!(!format!("{change:?}").contains(access_key_secret.as_str()));
}

#[test]
fn access_key_use_is_recorded_and_never_moves_back() {
    let mut d = dir();
    let create = Change::create_access_key("alice").unwrap();
    let Change::CreateAccessKey { access_key_id: key, .. } = &create else {
        unreachable!("create_access_key builds a CreateAccessKey")
    };
    let key = key.clone();
    d.apply(&[user("alice"), create]).unwrap();
    assert_eq!(d.access_key(&key).unwrap().1.last_used_date, None);

    let record = Change::RecordAccessKeyUse {
        user: "alice".into(),
        access_key_id: key.clone(),
    };
    let t1: Timestamp = "2026-11-29T04:00:00Z".parse().unwrap();
    let t0: Timestamp = "2026-11-29T03:00:00Z".parse().unwrap();
    let dirty = d.apply_at(std::slice::from_ref(&record), t1).unwrap();
    assert!(dirty.is_empty(), "recording a use recompiles nothing");
    assert_eq!(d.access_key(&key).unwrap().1.last_used_date, Some(t1));
    d.apply_at(std::slice::from_ref(&record), t0).unwrap();
    assert_eq!(d.access_key(&key).unwrap().1.last_used_date, Some(t1));

    let foreign = Change::RecordAccessKeyUse {
        user: "alice".into(),
        access_key_id: "LTAI00000000000000000000".into(),
    };
    assert_eq!(
        d.apply_at(&[foreign], t1).unwrap_err().code(),
        "EntityNotExist.User.AccessKey"
    );
}
