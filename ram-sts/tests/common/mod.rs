//! A directory with users, roles and policies for the STS tests.
#![allow(dead_code)]

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use ram_core::authorizer::Authorizer;
use ram_core::directory::{Change, Directory, PolicyTarget};
use ram_sts::key::{Algorithm, KeyRing};
use ram_sts::{AssumeRoleRequest, AssumeRoleResponse, Sts, StsCaller, StsError};

pub const ACCT: &str = "123456789012";
pub const ALICE_KEY: &str = "LTAIalice000000000000000";
pub const EVE_KEY: &str = "LTAIeve00000000000000000";

pub fn t0() -> Timestamp {
    "2025-01-01T00:00:00Z".parse().unwrap()
}

pub fn at(seconds: i64) -> Timestamp {
    t0() + SignedDuration::from_secs(seconds)
}

pub fn arn(role: &str) -> String {
    format!("acs:ram::{ACCT}:role/{role}")
}

fn trust(statements: &str) -> String {
    format!(r#"{{"Version":"1","Statement":[{statements}]}}"#)
}

fn allow_ram(principal: &str) -> String {
    format!(r#"{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":"{principal}"}}}}"#)
}

fn user(name: &str) -> Change {
    Change::CreateUser {
        name: name.into(),
        display_name: None,
    }
}

pub fn attach(target: PolicyTarget, policy: &str) -> Change {
    Change::AttachPolicy {
        target,
        policy_type: None,
        policy: policy.into(),
    }
}

pub fn role(name: &str, trust_policy: String, max: Option<u32>) -> Change {
    Change::CreateRole {
        name: name.into(),
        trust_policy,
        max_session_duration: max,
    }
}

pub fn policy(name: &str, statements: &str) -> Change {
    Change::CreatePolicy {
        name: name.into(),
        document: format!(r#"{{"Version":"1","Statement":[{statements}]}}"#),
        description: String::new(),
    }
}

/// The fixture:
///
/// - users: `alice` (may assume roles; access key `ALICE_KEY`), `bob` (no permission),
///   `mallory` (may assume roles, but a policy denies `ops` explicitly), `eve` (may assume
///   roles; inactive key `EVE_KEY`);
/// - roles: `ops` (trusts the account; OSS all but DeleteBucket, ECS DescribeInstances, and
///   AssumeRole for chaining), `reader` (trusts sessions of `ops`; OSS read-only), `ext`
///   (trusts alice with ExternalId `ext-123` from 10.0.0.0/8; max 7,200 s), `ecs-svc` (trusts
///   ECS), `deny-alice` (trusts the account but denies alice), `long` (trusts the account;
///   max 43,200 s), `nobody` (trusts only another account).
pub fn directory() -> Directory {
    let mut d = Directory::new(ACCT).unwrap();
    let changes = vec![
        user("alice"),
        user("bob"),
        user("mallory"),
        user("eve"),
        Change::CreateAccessKey {
            user: "alice".into(),
            access_key_id: ALICE_KEY.into(),
            access_key_secret: "secretofalice00000000000000000".into(),
        },
        Change::CreateAccessKey {
            user: "eve".into(),
            access_key_id: EVE_KEY.into(),
            access_key_secret: "secretofeve0000000000000000000".into(),
        },
        Change::UpdateAccessKey {
            user: "eve".into(),
            access_key_id: EVE_KEY.into(),
            status: ram_core::directory::AccessKeyStatus::Inactive,
        },
        attach(PolicyTarget::User("alice".into()), "AliyunSTSAssumeRoleAccess"),
        attach(PolicyTarget::User("mallory".into()), "AliyunSTSAssumeRoleAccess"),
        attach(PolicyTarget::User("eve".into()), "AliyunSTSAssumeRoleAccess"),
        policy(
            "DenyAssumeOps",
            &format!(
                r#"{{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"{}"}}"#,
                arn("ops")
            ),
        ),
        attach(PolicyTarget::User("mallory".into()), "DenyAssumeOps"),
        policy(
            "OpsPolicy",
            r#"{"Effect":"Allow","Action":"oss:*","Resource":"*"},
               {"Effect":"Deny","Action":"oss:DeleteBucket","Resource":"*"},
               {"Effect":"Allow","Action":"ecs:DescribeInstances","Resource":"*"},
               {"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#,
        ),
        role("ops", trust(&allow_ram(&format!("acs:ram::{ACCT}:root"))), None),
        attach(PolicyTarget::Role("ops".into()), "OpsPolicy"),
        role("reader", trust(&allow_ram(&format!("acs:ram::{ACCT}:role/ops"))), None),
        attach(PolicyTarget::Role("reader".into()), "AliyunOSSReadOnlyAccess"),
        role(
            "ext",
            trust(&format!(
                r#"{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":"acs:ram::{ACCT}:user/alice"}},
                   "Condition":{{"StringEquals":{{"sts:ExternalId":"ext-123"}},"IpAddress":{{"acs:SourceIp":"10.0.0.0/8"}}}}}}"#
            )),
            Some(7_200),
        ),
        role(
            "ecs-svc",
            trust(r#"{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ecs.aliyuncs.com"}}"#),
            None,
        ),
        role(
            "deny-alice",
            trust(&format!(
                r#"{},{{"Effect":"Deny","Action":"sts:AssumeRole","Principal":{{"RAM":"acs:ram::{ACCT}:user/alice"}}}}"#,
                allow_ram(&format!("acs:ram::{ACCT}:root"))
            )),
            None,
        ),
        role(
            "long",
            trust(&allow_ram(&format!("acs:ram::{ACCT}:root"))),
            Some(43_200),
        ),
        role("nobody", trust(&allow_ram("acs:ram::999999999999:root")), None),
    ];
    d.apply_at(&changes, t0()).unwrap();
    d
}

pub fn sts(algorithm: Algorithm) -> Sts {
    let auth = Arc::new(Authorizer::new(directory()));
    Sts::new(auth, KeyRing::generate(algorithm, t0()).unwrap())
}

pub const ALICE: StsCaller<'static> = StsCaller::User {
    name: "alice",
    access_key_id: None,
};

/// Alice assumes `role` as `session` at `now` with the request's other fields default.
pub fn assume(sts: &Sts, caller: &StsCaller<'_>, role: &str, now: Timestamp) -> Result<AssumeRoleResponse, StsError> {
    let arn = arn(role);
    sts.assume_role(caller, &AssumeRoleRequest::new(&arn, "test-session"), now)
}
