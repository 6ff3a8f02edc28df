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

fn update_user(name: &str, new_name: Option<&str>) -> Change {
    Change::UpdateUser {
        name: name.into(),
        new_name: new_name.map(Into::into),
        display_name: None,
        mobile_phone: None,
        email: None,
        comments: None,
    }
}

fn fast_hash(password: &str) -> String {
    hash_password_with(password, &PasswordPolicy::default(), Argon2Params::INSECURE_FAST).unwrap()
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// alice in group dev, with a key, a login profile and a bound MFA device.
fn alice_with_everything() -> (Directory, String, String) {
    let mut d = dir();
    let t0 = at("2024-05-01T12:00:00Z");
    let seed = mfa::new_seed().unwrap();
    let serial = d.mfa_serial("phone");
    let step = mfa::step_of(t0);
    d.apply_at(
        &[
            user("alice"),
            Change::CreateGroup { name: "dev".into() },
            Change::AddUserToGroup {
                group: "dev".into(),
                user: "alice".into(),
            },
            Change::create_access_key("alice").unwrap(),
            Change::CreateLoginProfile {
                user: "alice".into(),
                password_hash: fast_hash("correct horse battery"),
                password_reset_required: false,
                mfa_bind_required: false,
            },
            Change::CreateVirtualMfaDevice {
                name: "phone".into(),
                base32_string_seed: seed.clone(),
            },
            Change::BindMfaDevice {
                user: "alice".into(),
                serial: serial.clone(),
                code1: mfa::code_for_step(&seed, step - 1).unwrap(),
                code2: mfa::code_for_step(&seed, step).unwrap(),
            },
        ],
        t0,
    )
    .unwrap();
    let key = d.user("alice").unwrap().access_keys[0].access_key_id.clone();
    (d, key, serial)
}

#[test]
fn renaming_a_user_moves_every_reference_and_keeps_the_id() {
    let (mut d, key, serial) = alice_with_everything();
    let id = d.user("alice").unwrap().user_id.clone();
    let t1 = at("2024-05-02T08:00:00Z");
    let dirty = d.apply_at(&[update_user("alice", Some("alicia"))], t1).unwrap();
    assert_eq!(dirty.users, ["alice".to_owned(), "alicia".to_owned()].into());
    assert!(d.user("alice").is_none());
    let u = d.user("alicia").unwrap();
    assert_eq!((u.user_name.as_str(), u.user_id.as_str()), ("alicia", id.as_str()));
    assert_eq!(u.groups, ["dev"]);
    assert!(u.login_profile.is_some());
    assert_eq!(u.mfa_device.as_deref(), Some(serial.as_str()));
    assert_eq!(u.update_date, Some(t1));
    assert_eq!(d.group("dev").unwrap().members, ["alicia"]);
    assert_eq!(d.access_key(&key).unwrap().0.user_name, "alicia");
    assert_eq!(d.mfa_device(&serial).unwrap().user_name.as_deref(), Some("alicia"));

    // Everything follows: removal from the group, unbinding and a cascading delete leave
    // nothing behind under either name.
    d.apply(&[Change::DeleteUser {
        name: "alicia".into(),
        cascade: true,
    }])
    .unwrap();
    assert!(d.group("dev").unwrap().members.is_empty());
    assert!(d.access_key(&key).is_none());
    assert_eq!(d.mfa_device(&serial).unwrap().user_name, None);
}

/// A directory with console users `alice` and `zed` (passwords "alice password 1" and "zed
/// password 1", no MFA, so a login needs only the password), created at `t0`.
fn alice_and_zed_with_passwords(t0: Timestamp) -> Directory {
    let mut d = dir();
    let profile = |u: &str| Change::CreateLoginProfile {
        user: u.into(),
        password_hash: fast_hash(&format!("{u} password 1")),
        password_reset_required: false,
        mfa_bind_required: false,
    };
    d.apply_at(&[user("alice"), user("zed"), profile("alice"), profile("zed")], t0)
        .unwrap();
    d
}

#[test]
fn a_renamed_users_console_session_ends_and_does_not_pass_to_the_next_holder_of_the_name() {
    let mut d = alice_and_zed_with_passwords(at("2024-05-01T12:00:00Z"));
    let t1 = at("2024-05-01T13:00:00Z");
    let attempt = d.login("alice", "alice password 1", None, t1);
    d.apply_at(&attempt.changes, t1).unwrap();
    let token = attempt.outcome.unwrap().to_token(&d).unwrap();
    assert_eq!(d.verify_console_session(&token, t1).unwrap().user_name, "alice");

    // alice -> alicia, then zed (password set before the session began) takes "alice".
    d.apply_at(
        &[update_user("alice", Some("alicia")), update_user("zed", Some("alice"))],
        t1,
    )
    .unwrap();
    assert_eq!(d.verify_console_session(&token, t1).unwrap_err(), SessionError::Revoked);
}

#[test]
fn a_rename_ends_sessions_issued_before_it_even_without_a_user_id() {
    let t0 = at("2024-05-01T12:00:00Z");
    let mut d = alice_and_zed_with_passwords(t0);
    let t1 = at("2024-05-01T13:00:00Z");
    let attempt = d.login("alice", "alice password 1", None, t1);
    d.apply_at(&attempt.changes, t1).unwrap();
    // A token as versions before UserId in sessions issued them.
    let mut session = attempt.outcome.unwrap();
    session.user_id = None;
    let legacy = session.to_token(&d).unwrap();
    assert_eq!(d.verify_console_session(&legacy, t1).unwrap().user_name, "alice");

    // Renamed away and back: the sessions of before the renames end.
    let t2 = at("2024-05-01T13:01:00Z");
    let mut away_and_back = d.clone();
    away_and_back
        .apply_at(
            &[
                update_user("alice", Some("alicia")),
                update_user("alicia", Some("alice")),
            ],
            t2,
        )
        .unwrap();
    assert_eq!(
        away_and_back.verify_console_session(&legacy, t2).unwrap_err(),
        SessionError::Revoked
    );

    // Another user takes the name: the legacy token does not pass to zed.
    d.apply_at(
        &[update_user("alice", Some("alicia")), update_user("zed", Some("alice"))],
        t2,
    )
    .unwrap();
    assert_eq!(
        d.verify_console_session(&legacy, t2).unwrap_err(),
        SessionError::Revoked
    );

    // A login after the rename is the new holder's, and valid.
    let t3 = at("2024-05-01T13:02:00Z");
    let attempt = d.login("alice", "zed password 1", None, t3);
    d.apply_at(&attempt.changes, t3).unwrap();
    let token = attempt.outcome.unwrap().to_token(&d).unwrap();
    assert_eq!(d.verify_console_session(&token, t3).unwrap().user_name, "alice");
}

#[test]
fn login_bookkeeping_never_lands_on_the_next_holder_of_a_name() {
    let t0 = at("2024-05-01T12:00:00Z");
    let mut d = alice_and_zed_with_passwords(t0);
    let failed = d.login("alice", "wrong", None, t0);
    let succeeded = d.login("alice", "alice password 1", None, t0);
    // Between the check and the bookkeeping, zed takes the name.
    d.apply_at(
        &[update_user("alice", Some("alicia")), update_user("zed", Some("alice"))],
        t0,
    )
    .unwrap();
    let before = d.clone();
    for attempt in [failed, succeeded] {
        assert_eq!(
            d.apply_at(&attempt.changes, t0).unwrap_err().code(),
            "EntityNotExist.User"
        );
        assert_eq!(d, before);
    }
}

#[test]
fn renaming_a_user_is_refused_cleanly() {
    let (mut d, _, _) = alice_with_everything();
    d.apply(&[user("bob")]).unwrap();
    let before = d.clone();
    let cases = [
        (update_user("alice", Some("bob")), "EntityAlreadyExists.User"),
        (update_user("carol", Some("dave")), "EntityNotExist.User"),
        (update_user("carol", None), "EntityNotExist.User"),
        (update_user("alice", Some("bad name")), "InvalidParameter.NewUserName"),
        (
            update_user("alice", Some(&"a".repeat(65))),
            "InvalidParameter.NewUserName",
        ),
        (update_user("alice", Some("")), "InvalidParameter.NewUserName"),
    ];
    for (change, code) in cases {
        // Each after a change that would succeed: the batch leaves no trace.
        let err = d.apply(&[user("eve"), change]).unwrap_err();
        assert_eq!(err.code(), code);
        assert_eq!(d, before);
    }
    // The same name is no rename.
    let dirty = d.apply(&[update_user("alice", Some("alice"))]).unwrap();
    assert!(dirty.users.is_empty());
    assert!(d.user("alice").is_some());
}

#[test]
fn updating_user_fields_validates_each() {
    let mut d = dir();
    d.apply(&[user("alice")]).unwrap();
    let fields =
        |display: Option<&str>, phone: Option<&str>, email: Option<&str>, comments: Option<&str>| Change::UpdateUser {
            name: "alice".into(),
            new_name: None,
            display_name: display.map(Into::into),
            mobile_phone: phone.map(Into::into),
            email: email.map(Into::into),
            comments: comments.map(Into::into),
        };
    let dirty = d
        .apply(&[fields(
            Some("Alice"),
            Some("86-13800000000"),
            Some("alice@example.com"),
            Some("on call"),
        )])
        .unwrap();
    assert!(dirty.is_empty(), "descriptive fields decide nothing");
    let u = d.user("alice").unwrap();
    assert_eq!(u.display_name.as_deref(), Some("Alice"));
    assert_eq!(u.mobile_phone.as_deref(), Some("86-13800000000"));
    assert_eq!(u.email.as_deref(), Some("alice@example.com"));
    assert_eq!(u.comments.as_deref(), Some("on call"));
    // Fields not given stay.
    d.apply(&[fields(None, None, None, Some("off call"))]).unwrap();
    let u = d.user("alice").unwrap();
    assert_eq!(u.email.as_deref(), Some("alice@example.com"));
    assert_eq!(u.comments.as_deref(), Some("off call"));

    let before = d.clone();
    let long = "x".repeat(129);
    for (change, code) in [
        (fields(Some(&long), None, None, None), "InvalidParameter.NewDisplayName"),
        (
            fields(None, Some("13800000000"), None, None),
            "InvalidParameter.NewMobilePhone",
        ),
        (fields(None, None, Some("alice"), None), "InvalidParameter.NewEmail"),
        (fields(None, None, None, Some(&long)), "InvalidParameter.NewComments"),
        (
            fields(None, None, None, Some("a\u{1b}[2J")),
            "InvalidParameter.NewComments",
        ),
    ] {
        let err = d.apply(&[change]).unwrap_err();
        assert_eq!(err.code(), code);
        assert_eq!(d, before);
    }
    let err = d
        .apply(&[Change::CreateUser {
            name: "bob".into(),
            display_name: Some(long.clone()),
        }])
        .unwrap_err();
    assert_eq!(err.code(), "InvalidParameter.DisplayName");
}

#[test]
fn renaming_a_group_moves_every_membership() {
    let mut d = dir();
    d.apply(&[
        user("alice"),
        user("bob"),
        Change::CreateGroup { name: "dev".into() },
        Change::CreateGroup { name: "ops".into() },
        Change::AddUserToGroup {
            group: "dev".into(),
            user: "alice".into(),
        },
        Change::AddUserToGroup {
            group: "dev".into(),
            user: "bob".into(),
        },
        Change::AddUserToGroup {
            group: "ops".into(),
            user: "bob".into(),
        },
    ])
    .unwrap();
    let id = d.group("dev").unwrap().group_id.clone();
    let rename = |from: &str, to: &str| Change::UpdateGroup {
        name: from.into(),
        new_name: Some(to.into()),
        comments: None,
    };
    let dirty = d.apply(&[rename("dev", "builders")]).unwrap();
    assert_eq!(dirty.groups, ["builders".to_owned(), "dev".to_owned()].into());
    assert_eq!(dirty.users, ["alice".to_owned(), "bob".to_owned()].into());
    assert!(d.group("dev").is_none());
    let g = d.group("builders").unwrap();
    assert_eq!((g.group_name.as_str(), g.group_id.as_str()), ("builders", id.as_str()));
    assert_eq!(g.members, ["alice", "bob"]);
    assert_eq!(d.user("alice").unwrap().groups, ["builders"]);
    assert_eq!(d.user("bob").unwrap().groups, ["builders", "ops"]);

    let before = d.clone();
    for (change, code) in [
        (rename("builders", "ops"), "EntityAlreadyExists.Group"),
        (rename("dev", "x"), "EntityNotExist.Group"),
        (rename("builders", "no/slash"), "InvalidParameter.NewGroupName"),
        (
            Change::UpdateGroup {
                name: "builders".into(),
                new_name: None,
                comments: Some("c".repeat(129)),
            },
            "InvalidParameter.NewComments",
        ),
    ] {
        assert_eq!(d.apply(&[change]).unwrap_err().code(), code);
        assert_eq!(d, before);
    }
    d.apply(&[Change::UpdateGroup {
        name: "builders".into(),
        new_name: None,
        comments: Some("builds things".into()),
    }])
    .unwrap();
    assert_eq!(d.group("builders").unwrap().comments.as_deref(), Some("builds things"));
}

#[test]
fn role_and_policy_descriptions() {
    let mut d = dir();
    let trust = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::123456789012:root"]}}]}"#;
    let doc = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get*","Resource":"*"}]}"#;
    d.apply(&[
        Change::CreateRole {
            name: "reader".into(),
            trust_policy: trust.into(),
            max_session_duration: None,
        },
        Change::SetRoleDescription {
            name: "reader".into(),
            description: "reads".into(),
        },
        Change::CreatePolicy {
            name: "ReadOss".into(),
            document: doc.into(),
            description: String::new(),
        },
    ])
    .unwrap();
    assert_eq!(d.role("reader").unwrap().description.as_deref(), Some("reads"));
    let t1 = at("2030-01-01T00:00:00Z");
    let dirty = d
        .apply_at(
            &[Change::UpdatePolicyDescription {
                name: "ReadOss".into(),
                description: "reads objects".into(),
            }],
            t1,
        )
        .unwrap();
    assert!(dirty.is_empty(), "a description decides nothing");
    let p = d.custom_policy("ReadOss").unwrap();
    assert_eq!(p.description, "reads objects");
    assert_eq!(p.update_date(), t1);
    // Empty clears.
    d.apply(&[Change::UpdatePolicyDescription {
        name: "ReadOss".into(),
        description: String::new(),
    }])
    .unwrap();
    assert_eq!(d.custom_policy("ReadOss").unwrap().description, "");

    let before = d.clone();
    let long = "d".repeat(1_025);
    for (change, code) in [
        (
            Change::UpdatePolicyDescription {
                name: "ReadOss".into(),
                description: long.clone(),
            },
            "InvalidParameter.NewDescription",
        ),
        (
            Change::UpdatePolicyDescription {
                name: "ReadOnlyAccess".into(),
                description: "mine now".into(),
            },
            "EntityNotExist.Policy",
        ),
        (
            Change::SetRoleDescription {
                name: "reader".into(),
                description: long.clone(),
            },
            "InvalidParameter.Description",
        ),
        (
            Change::SetRoleDescription {
                name: "writer".into(),
                description: "x".into(),
            },
            "EntityNotExist.Role",
        ),
        (
            Change::CreatePolicy {
                name: "Other".into(),
                document: doc.into(),
                description: long.clone(),
            },
            "InvalidParameter.Description",
        ),
    ] {
        assert_eq!(d.apply(&[change]).unwrap_err().code(), code);
        assert_eq!(d, before);
    }
}

#[test]
fn join_dates_follow_each_membership() {
    let (t0, t1, t2, t3) = (
        at("2026-01-01T00:00:00Z"),
        at("2026-02-01T00:00:00Z"),
        at("2026-03-01T00:00:00Z"),
        at("2026-04-01T00:00:00Z"),
    );
    let join = |user: &str| Change::AddUserToGroup {
        group: "dev".into(),
        user: user.into(),
    };
    let mut d = dir();
    d.apply_at(
        &[user("alice"), user("bob"), Change::CreateGroup { name: "dev".into() }],
        t0,
    )
    .unwrap();
    d.apply_at(&[join("alice")], t1).unwrap();
    d.apply_at(&[join("bob")], t2).unwrap();
    let dev = d.group("dev").unwrap();
    assert_eq!((dev.join_date("alice"), dev.join_date("bob")), (t1, t2));

    // A failed batch leaves the dates as they were.
    let err = d.apply_at(
        &[
            Change::RemoveUserFromGroup {
                group: "dev".into(),
                user: "alice".into(),
            },
            join("nobody"),
        ],
        t3,
    );
    assert!(err.is_err());
    assert_eq!(d.group("dev").unwrap().join_date("alice"), t1);

    // A rename moves the date with the membership; leaving and joining again starts anew.
    d.apply_at(&[update_user("alice", Some("alicia"))], t3).unwrap();
    d.apply_at(
        &[Change::RemoveUserFromGroup {
            group: "dev".into(),
            user: "bob".into(),
        }],
        t3,
    )
    .unwrap();
    let dev = d.group("dev").unwrap();
    assert_eq!(dev.join_dates.len(), 1, "{:?}", dev.join_dates);
    assert_eq!(dev.join_date("alicia"), t1);
    d.apply_at(&[join("bob")], t3).unwrap();
    assert_eq!(d.group("dev").unwrap().join_date("bob"), t3);

    // Deleting a member (cascade) drops its date; renaming the group keeps the others.
    d.apply_at(
        &[Change::DeleteUser {
            name: "bob".into(),
            cascade: true,
        }],
        t3,
    )
    .unwrap();
    assert!(!d.group("dev").unwrap().join_dates.contains_key("bob"));
    d.apply_at(
        &[Change::UpdateGroup {
            name: "dev".into(),
            new_name: Some("devs".into()),
            comments: None,
        }],
        t3,
    )
    .unwrap();
    assert_eq!(d.group("devs").unwrap().join_date("alicia"), t1);
    let text = serde_json::to_string(&d).unwrap();
    assert!(
        text.contains(r#""JoinDates":{"alicia":"2026-02-01T00:00:00Z"}"#),
        "{text}"
    );
    assert_eq!(serde_json::from_str::<Directory>(&text).unwrap(), d);

    // A state file from before dates were recorded: the group's creation date stands in.
    let old = text.replace(r#","JoinDates":{"alicia":"2026-02-01T00:00:00Z"}"#, "");
    assert_ne!(old, text);
    let old: Directory = serde_json::from_str(&old).unwrap();
    assert_eq!(old.group("devs").unwrap().join_date("alicia"), t0);
}
