//! The authorizer: spec section 4 across users, groups, roles, sessions and guardrails, and
//! consistency under concurrent changes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ram_core::authorizer::{AuthError, Authorizer, Caller, Principal};
use ram_core::directory::{AccessKeyStatus, Change, Directory, PolicyTarget, PolicyType, SecurityPreference};
use ram_core::{Decision, PolicyDocument, PolicyRef, PolicySet, Request, RequestContext, Source};

const ACCOUNT: &str = "123456789012";

fn policy(name: &str, statements: &str) -> Change {
    Change::CreatePolicy {
        name: name.into(),
        document: format!(r#"{{"Version":"1","Statement":[{statements}]}}"#),
        description: String::new(),
    }
}

fn attach(target: PolicyTarget, name: &str) -> Change {
    Change::AttachPolicy {
        target,
        policy_type: None,
        policy: name.into(),
    }
}

fn user(name: &str) -> Change {
    Change::CreateUser {
        name: name.into(),
        display_name: None,
    }
}

fn setup() -> Authorizer {
    let auth = Authorizer::new(Directory::new(ACCOUNT).unwrap());
    auth.apply(&[
        user("alice"),
        user("bob"),
        Change::CreateGroup { name: "dev".into() },
        Change::AddUserToGroup {
            group: "dev".into(),
            user: "alice".into(),
        },
        policy(
            "EcsRead",
            r#"{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"},{"Effect":"Deny","Action":"ecs:Delete*","Resource":"*"}"#,
        ),
        policy("EcsAll", r#"{"Effect":"Allow","Action":"ecs:*","Resource":"*"}"#),
        attach(PolicyTarget::Group("dev".into()), "EcsRead"),
        attach(PolicyTarget::User("alice".into()), "EcsAll"),
        Change::CreateRole {
            name: "ops".into(),
            trust_policy: format!(
                r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":"acs:ram::{ACCOUNT}:root"}}}}]}}"#
            ),
            max_session_duration: None,
        },
        attach(PolicyTarget::Role("ops".into()), "AliyunOSSFullAccess"),
    ])
    .unwrap();
    auth
}

fn check(auth: &Authorizer, caller: &Caller<'_>, action: &str) -> Result<Decision, AuthError> {
    let ctx = RequestContext::new();
    let req = Request::new(action, "acs:ecs:cn-hangzhou:123456789012:instance/i-1", &ctx);
    let d = auth.check(caller, &req);
    assert_eq!(d.clone().map(|_| ()), auth.explain(caller, &req).map(|_| ()));
    if let Ok(d) = &d {
        assert_eq!(*d, auth.explain(caller, &req).unwrap().decision);
    }
    d
}

#[test]
fn user_and_group_policies_combine() {
    let auth = setup();
    let alice = Caller::user("alice");
    assert_eq!(check(&auth, &alice, "ecs:StartInstance"), Ok(Decision::Allow));
    assert_eq!(check(&auth, &alice, "ecs:DeleteInstance"), Ok(Decision::ExplicitDeny));
    assert_eq!(
        check(&auth, &Caller::user("bob"), "ecs:DescribeInstances"),
        Ok(Decision::ImplicitDeny)
    );
    let ctx = RequestContext::new();
    let req = Request::new("ecs:DeleteInstance", "x", &ctx);
    let why = auth.explain(&alice, &req).unwrap();
    assert_eq!(&*why.matched[0].policy, "EcsRead");
    assert_eq!(why.matched[0].source, Source::Group("dev".into()));
    assert_eq!(why.matched[0].statement, 1);
}

#[test]
fn changes_apply_to_the_very_next_check() {
    let auth = setup();
    let alice = Caller::user("alice");
    auth.apply(&[Change::RemoveUserFromGroup {
        group: "dev".into(),
        user: "alice".into(),
    }])
    .unwrap();
    assert_eq!(check(&auth, &alice, "ecs:DeleteInstance"), Ok(Decision::Allow));
    // A new default version reaches every holder at once.
    auth.apply(&[Change::CreatePolicyVersion {
        name: "EcsAll".into(),
        document: r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:Describe*","Resource":"*"}]}"#.into(),
        set_as_default: true,
        rotate: false,
    }])
    .unwrap();
    assert_eq!(check(&auth, &alice, "ecs:DeleteInstance"), Ok(Decision::ImplicitDeny));
    assert_eq!(check(&auth, &alice, "ecs:DescribeRegions"), Ok(Decision::Allow));
    auth.apply(&[Change::DeleteUser {
        name: "alice".into(),
        cascade: true,
    }])
    .unwrap();
    assert_eq!(
        check(&auth, &alice, "ecs:DescribeRegions"),
        Err(AuthError::UnknownUser("alice".into()))
    );
}

#[test]
fn access_keys_authenticate() {
    let auth = setup();
    auth.apply(&[
        Change::create_access_key("alice").unwrap(),
        Change::create_access_key("bob").unwrap(),
    ])
    .unwrap();
    let snap = auth.snapshot();
    let key = snap.directory().user("alice").unwrap().access_keys[0]
        .access_key_id
        .clone();
    let bobs = snap.directory().user("bob").unwrap().access_keys[0]
        .access_key_id
        .clone();
    assert_eq!(
        check(&auth, &Caller::user_with_key("alice", &key), "ecs:StartInstance"),
        Ok(Decision::Allow)
    );
    assert_eq!(
        check(&auth, &Caller::user_with_key("alice", &bobs), "ecs:StartInstance"),
        Err(AuthError::ForeignAccessKey)
    );
    assert_eq!(
        check(
            &auth,
            &Caller::user_with_key("alice", "LTAIxxxxxxxxxxxxxxxxxxxx"),
            "ecs:StartInstance"
        ),
        Err(AuthError::UnknownAccessKey)
    );
    auth.apply(&[Change::UpdateAccessKey {
        user: "alice".into(),
        access_key_id: key.clone(),
        status: AccessKeyStatus::Inactive,
    }])
    .unwrap();
    assert_eq!(
        check(&auth, &Caller::user_with_key("alice", &key), "ecs:StartInstance"),
        Err(AuthError::InactiveAccessKey)
    );
}

#[test]
fn root_is_unbounded_but_its_keys_are_refused_by_default() {
    let auth = setup();
    auth.apply(&[Change::AttachGuardrail {
        policy_type: Some(PolicyType::System),
        policy: "ReadOnlyAccess".into(),
    }])
    .unwrap();
    assert_eq!(check(&auth, &Caller::root(), "ecs:DeleteInstance"), Ok(Decision::Allow));
    let with_key = Caller {
        principal: Principal::Root,
        access_key_id: Some("LTAIxxxxxxxxxxxxxxxxxxxx"),
    };
    assert_eq!(
        check(&auth, &with_key, "ecs:DescribeInstances"),
        Err(AuthError::RootAccessKeysRefused)
    );
    auth.apply(&[Change::SetSecurityPreference(SecurityPreference {
        refuse_root_access_keys: false,
        ..SecurityPreference::default()
    })])
    .unwrap();
    assert_eq!(
        check(&auth, &with_key, "ecs:DescribeInstances"),
        Err(AuthError::UnknownAccessKey)
    );
}

#[test]
fn guardrails_bound_every_ram_identity() {
    let auth = setup();
    auth.apply(&[Change::AttachGuardrail {
        policy_type: None,
        policy: "ReadOnlyAccess".into(),
    }])
    .unwrap();
    let alice = Caller::user("alice");
    assert_eq!(check(&auth, &alice, "ecs:StartInstance"), Ok(Decision::ImplicitDeny));
    assert_eq!(check(&auth, &alice, "ecs:DescribeInstances"), Ok(Decision::Allow));
    let ctx = RequestContext::new();
    let why = auth
        .explain(&alice, &Request::new("ecs:StartInstance", "x", &ctx))
        .unwrap();
    assert_eq!(why.decision, Decision::ImplicitDeny);
}

#[test]
fn session_policy_is_a_gate_before_the_role() {
    let auth = setup();
    let session = PolicySet::builder()
        .add_document(
            PolicyRef::new("session", "v1", Source::Session),
            &PolicyDocument::parse(
                r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:Get*","ecs:*"],"Resource":"*"}]}"#,
            )
            .unwrap(),
        )
        .build();
    let caller = Caller {
        principal: Principal::RoleSession {
            role: "ops",
            session_policy: Some(&session),
        },
        access_key_id: None,
    };
    let ctx = RequestContext::new();
    let d = |action: &str| auth.check(&caller, &Request::new(action, "acs:oss:*:1:bucket/x", &ctx));
    assert_eq!(d("oss:GetObject"), Ok(Decision::Allow));
    // The session allows nothing for PutObject: its implicit deny is final.
    assert_eq!(d("oss:PutObject"), Ok(Decision::ImplicitDeny));
    // The session allows ECS, but the role does not.
    assert_eq!(d("ecs:StartInstance"), Ok(Decision::ImplicitDeny));
    let unknown = Caller {
        principal: Principal::RoleSession {
            role: "nope",
            session_policy: None,
        },
        access_key_id: None,
    };
    assert_eq!(
        auth.check(&unknown, &Request::new("oss:GetObject", "x", &ctx)),
        Err(AuthError::UnknownRole("nope".into()))
    );
}

/// Readers check continuously while a writer flips alice's group membership; every decision
/// must be the old directory's or the new one's, and each reader must see every published
/// state eventually.
#[test]
fn readers_never_see_half_a_change() {
    let auth = Arc::new(setup());
    auth.apply(&[policy(
        "OssRead",
        r#"{"Effect":"Allow","Action":"oss:GetObject","Resource":"*"}"#,
    )])
    .unwrap();
    // The two directories the writer alternates between, as (ecs:DeleteInstance, oss:GetObject)
    // for alice: in `dev` without OssRead, the group's Deny wins and nothing grants oss; out of
    // `dev` with OssRead, her own EcsAll and OssRead allow both. A mixed pair would be half a
    // change (membership applied, attachment not, or the reverse).
    let in_group = (Decision::ExplicitDeny, Decision::ImplicitDeny);
    let out_of_group = (Decision::Allow, Decision::Allow);
    let stop = Arc::new(AtomicBool::new(false));
    // The writer starts once every reader has made a check: on a busy machine a reader
    // thread may otherwise not run before the writer is done, and see nothing.
    let started = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let auth = auth.clone();
            let stop = stop.clone();
            let started = started.clone();
            std::thread::spawn(move || {
                let ctx = RequestContext::new();
                let delete = Request::new("ecs:DeleteInstance", "x", &ctx);
                let get = Request::new("oss:GetObject", "x", &ctx);
                let alice = Caller::user("alice");
                let mut seen = [0usize; 2];
                while !stop.load(Ordering::Relaxed) {
                    // One snapshot for both questions: the pair must come from one directory.
                    let snapshot = auth.snapshot();
                    let pair = (
                        snapshot.check(&alice, &delete).unwrap(),
                        snapshot.check(&alice, &get).unwrap(),
                    );
                    if pair == in_group {
                        seen[0] += 1;
                    } else if pair == out_of_group {
                        seen[1] += 1;
                    } else {
                        panic!("half a change: {pair:?}");
                    }
                    // Through the Authorizer itself, each decision is one of the two states'.
                    let d = auth.check(&alice, &get).unwrap();
                    assert!(d == in_group.1 || d == out_of_group.1, "impossible decision {d:?}");
                    if seen[0] + seen[1] == 1 {
                        started.fetch_add(1, Ordering::SeqCst);
                    }
                }
                seen
            })
        })
        .collect();
    while started.load(Ordering::SeqCst) < 2 {
        std::thread::yield_now();
    }
    let membership = |add: bool| {
        if add {
            Change::AddUserToGroup {
                group: "dev".into(),
                user: "alice".into(),
            }
        } else {
            Change::RemoveUserFromGroup {
                group: "dev".into(),
                user: "alice".into(),
            }
        }
    };
    for i in 0..200 {
        let leave = i % 2 == 0;
        let attachment = if leave {
            attach(PolicyTarget::User("alice".into()), "OssRead")
        } else {
            Change::DetachPolicy {
                target: PolicyTarget::User("alice".into()),
                policy_type: None,
                policy: "OssRead".into(),
            }
        };
        auth.apply(&[membership(!leave), attachment]).unwrap();
        std::thread::yield_now();
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        let seen = r.join().unwrap();
        assert!(seen[0] + seen[1] > 0, "a reader made no check");
    }
}

/// The (action, resource) pairs the consistency test asks about for every user.
fn consistency_requests() -> Vec<(String, String)> {
    let mut requests = Vec::new();
    for svc in ["ecs", "oss", "kms"] {
        for action in ["GetThing", "ListThings", "DeleteThing"] {
            for r in 0..5 {
                requests.push((
                    format!("{svc}:{action}"),
                    format!("acs:{svc}:cn-hangzhou:{ACCOUNT}:r{r}/x"),
                ));
            }
        }
    }
    requests
}

/// Every decision for `users` in the authorizer's current snapshot, compared with their sets
/// and with a snapshot built afresh from the same directory.
fn assert_checks_decide_as_sets(auth: &Authorizer, users: &[String]) -> Vec<Decision> {
    let snap = auth.snapshot();
    let fresh = Authorizer::new(snap.directory().clone()).snapshot();
    let ctx = RequestContext::new();
    let mut decisions = Vec::new();
    let mut failed_conditions = 0;
    for u in users {
        let set = snap.user_set(u).expect("the user's set");
        for (action, resource) in consistency_requests() {
            let req = Request::new(&action, &resource, &ctx);
            let caller = Caller::user(u);
            let d = snap.check(&caller, &req).unwrap();
            assert_eq!(d, set.decide(&req), "{u} {action} {resource}");
            let why = snap.explain(&caller, &req).unwrap();
            assert_eq!(d, why.decision, "{u} {action} {resource}");
            assert_eq!(why, set.explain(&req), "{u} {action} {resource}");
            failed_conditions += why.failed_conditions.map_or(0, |f| f.len());
            assert_eq!(d, fresh.check(&caller, &req).unwrap(), "{u} {action} {resource}");
            decisions.push(d);
        }
    }
    assert!(failed_conditions > 0, "some explanations name failed conditions");
    decisions
}

/// A user's check reads their policies as positions in the snapshot's table of policies (up
/// to 15 of them) and their set otherwise; either way it must decide as the set does, for
/// users holding from none to 25 policies, as policies change, are deleted and are created.
#[test]
fn checks_decide_as_the_users_sets_as_policies_change() {
    let auth = Authorizer::new(Directory::new(ACCOUNT).unwrap());
    let document = |p: usize, effect: &str| {
        let svc = ["ecs", "oss", "kms"][p % 3];
        // Every fourth policy allows only over TLS, which the requests below lack: explain
        // then lists failed conditions.
        let condition = if p % 4 == 1 {
            r#","Condition":{"Bool":{"acs:SecureTransport":"true"}}"#
        } else {
            ""
        };
        format!(
            r#"{{"Effect":"{effect}","Action":"{svc}:Get*","Resource":"acs:{svc}:*:*:r{}/*"}},{{"Effect":"Allow","Action":["{svc}:List*","{svc}:Delete*"],"Resource":"acs:{svc}:*:*:r{}/*"{condition}}}"#,
            p % 4,
            (p + 1) % 5
        )
    };
    let mut changes: Vec<Change> = (0..24)
        .map(|p| {
            policy(
                &format!("P{p}"),
                &document(p, if p % 5 == 0 { "Deny" } else { "Allow" }),
            )
        })
        .collect();
    for g in 0..3 {
        changes.push(Change::CreateGroup { name: format!("g{g}") });
        for p in g * 5..g * 5 + 5 {
            changes.push(attach(PolicyTarget::Group(format!("g{g}")), &format!("P{p}")));
        }
    }
    let users: Vec<String> = (0..8).map(|i| format!("u{i}")).collect();
    for (i, u) in users.iter().enumerate() {
        changes.push(user(u));
        for k in 0..(i * 2).min(10) {
            changes.push(attach(PolicyTarget::User(u.clone()), &format!("P{}", (i + k * 2) % 24)));
        }
        if i % 2 == 1 {
            changes.push(attach(PolicyTarget::User(u.clone()), "AliyunECSFullAccess"));
        }
        for g in 0..i % 4 {
            changes.push(Change::AddUserToGroup {
                group: format!("g{g}"),
                user: u.clone(),
            });
        }
    }
    auth.apply(&changes).unwrap();
    let before = auth.snapshot();
    let first = assert_checks_decide_as_sets(&auth, &users);
    assert!(first.contains(&Decision::Allow) && first.contains(&Decision::ExplicitDeny));
    assert!(first.contains(&Decision::ImplicitDeny));

    // A new default version, a policy detached and deleted, new policies (new positions).
    let mut changes = vec![Change::CreatePolicyVersion {
        name: "P2".into(),
        document: format!(r#"{{"Version":"1","Statement":[{}]}}"#, document(2, "Deny")),
        set_as_default: true,
        rotate: false,
    }];
    for u in &users {
        if auth
            .snapshot()
            .directory()
            .user(u)
            .unwrap()
            .policies
            .iter()
            .any(|a| a.policy_name == "P23")
        {
            changes.push(Change::DetachPolicy {
                target: PolicyTarget::User(u.clone()),
                policy_type: None,
                policy: "P23".into(),
            });
        }
    }
    changes.push(Change::DeletePolicy {
        name: "P23".into(),
        cascade: true,
    });
    changes.push(policy("P24", &document(24, "Deny")));
    changes.push(attach(PolicyTarget::User("u2".into()), "P24"));
    changes.push(Change::DetachPolicy {
        target: PolicyTarget::Group("g0".into()),
        policy_type: None,
        policy: "P1".into(),
    });
    changes.push(attach(PolicyTarget::Group("g0".into()), "P24"));
    // Renames move a user's and a group's members' entries.
    changes.push(Change::UpdateUser {
        name: "u3".into(),
        new_name: Some("u3b".into()),
        display_name: None,
        mobile_phone: None,
        email: None,
        comments: None,
    });
    changes.push(Change::UpdateGroup {
        name: "g1".into(),
        new_name: Some("g1b".into()),
        comments: None,
    });
    auth.apply(&changes).unwrap();
    let renamed: Vec<String> = users
        .iter()
        .map(|u| if u == "u3" { "u3b".into() } else { u.clone() })
        .collect();
    let second = assert_checks_decide_as_sets(&auth, &renamed);
    assert_ne!(first, second);
    assert!(
        auth.check(
            &Caller::user("u3"),
            &Request::new("ecs:GetThing", "x", &RequestContext::new())
        )
        .is_err()
    );

    // The snapshot from before the changes still decides as it did.
    let ctx = RequestContext::new();
    let mut old = Vec::new();
    for u in &users {
        for (action, resource) in consistency_requests() {
            let req = Request::new(&action, &resource, &ctx);
            old.push(before.check(&Caller::user(u), &req).unwrap());
        }
    }
    assert_eq!(old, first);
}
