//! Entities in the JSON shapes of the RAM API's responses.

use jiff::Timestamp;
use ram_core::directory::{
    AccessKey, AccessKeyStatus, AttachedPolicy, CustomPolicy, Directory, Group, PolicyType, PolicyVersion, Role,
    SystemPolicy, User,
};
use serde_json::{Map, Value, json};

/// `YYYY-MM-DDThh:mm:ssZ`, RAM's date format.
pub fn date(t: Timestamp) -> String {
    ram_web::signer::format_timestamp(t)
}

/// A JSON object from pairs.
pub fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// `{"<outer>": {"<inner>": [..]}}`, the RAM list wrapper.
pub fn wrapped(outer: &str, inner: &str, items: Vec<Value>) -> (String, Value) {
    (outer.to_owned(), json!({ inner: items }))
}

/// An optional text field as RAM shows an unset one: empty.
pub fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// A user as GetUser shows it (CreateUser and UpdateUser drop what they do not return).
pub fn user(u: &User) -> Map<String, Value> {
    let mut m = obj([
        ("UserId", json!(u.user_id)),
        ("UserName", json!(u.user_name)),
        ("DisplayName", json!(text(&u.display_name))),
        ("MobilePhone", json!(text(&u.mobile_phone))),
        ("Email", json!(text(&u.email))),
        ("Comments", json!(text(&u.comments))),
        ("CreateDate", json!(date(u.create_date))),
        ("UpdateDate", json!(date(u.update_date.unwrap_or(u.create_date)))),
    ]);
    if let Some(t) = u.last_login_date {
        m.insert("LastLoginDate".into(), json!(date(t)));
    }
    m
}

pub fn group(g: &Group) -> Value {
    json!({
        "GroupId": g.group_id,
        "GroupName": g.group_name,
        "Comments": text(&g.comments),
        "CreateDate": date(g.create_date),
        "UpdateDate": date(g.update_date.unwrap_or(g.create_date)),
    })
}

pub fn role(r: &Role) -> Value {
    json!({
        "RoleId": r.role_id,
        "RoleName": r.role_name,
        "Arn": r.arn,
        "Description": text(&r.description),
        "AssumeRolePolicyDocument": r.assume_role_policy_document,
        "MaxSessionDuration": r.max_session_duration,
        "CreateDate": date(r.create_date),
        "UpdateDate": date(r.update_date.unwrap_or(r.create_date)),
        "IsServiceLinkedRole": false,
    })
}

fn status(s: AccessKeyStatus) -> &'static str {
    match s {
        AccessKeyStatus::Active => "Active",
        AccessKeyStatus::Inactive => "Inactive",
    }
}

/// An access key in a listing: never its secret.
pub fn access_key(k: &AccessKey) -> Value {
    json!({
        "AccessKeyId": k.access_key_id,
        "Status": status(k.status),
        "CreateDate": date(k.create_date),
    })
}

/// How many users, groups and roles have the policy attached.
pub fn attachment_count(dir: &Directory, policy_type: PolicyType, name: &str) -> usize {
    let has = |ps: &[AttachedPolicy]| ps.iter().any(|p| p.policy_type == policy_type && p.policy_name == name);
    dir.users().filter(|u| has(&u.policies)).count()
        + dir.groups().filter(|g| has(&g.policies)).count()
        + dir.roles().filter(|r| has(&r.policies)).count()
}

pub fn custom_policy(dir: &Directory, p: &CustomPolicy) -> Value {
    let updated = p.update_date();
    json!({
        "PolicyName": p.policy_name,
        "PolicyType": "Custom",
        "Description": p.description,
        "DefaultVersion": p.default_version,
        "CreateDate": date(p.create_date),
        "UpdateDate": date(updated),
        "AttachmentCount": attachment_count(dir, PolicyType::Custom, &p.policy_name),
    })
}

/// System policies have no dates of their own; the account's epoch stands in.
pub fn system_policy(dir: &Directory, p: &SystemPolicy) -> Value {
    json!({
        "PolicyName": p.name,
        "PolicyType": "System",
        "Description": p.description,
        "DefaultVersion": p.version,
        "CreateDate": "2015-04-01T00:00:00Z",
        "UpdateDate": "2015-04-01T00:00:00Z",
        "AttachmentCount": attachment_count(dir, PolicyType::System, p.name),
    })
}

pub fn policy_version(v: &PolicyVersion, default: &str) -> Value {
    json!({
        "VersionId": v.version_id,
        "IsDefaultVersion": v.version_id == default,
        "PolicyDocument": v.policy_document,
        "CreateDate": date(v.create_date),
    })
}

/// A policy as `ListPoliciesFor*` shows it: with its attach date.
pub fn attached(dir: &Directory, a: &AttachedPolicy) -> Value {
    let (description, default) = match a.policy_type {
        PolicyType::System => ram_core::directory::system_policy(&a.policy_name)
            .map(|p| (p.description.to_owned(), p.version.to_owned()))
            .unwrap_or_default(),
        PolicyType::Custom => dir
            .custom_policy(&a.policy_name)
            .map(|p| (p.description.clone(), p.default_version.clone()))
            .unwrap_or_default(),
    };
    json!({
        "PolicyName": a.policy_name,
        "PolicyType": a.policy_type.as_str(),
        "Description": description,
        "DefaultVersion": default,
        "AttachDate": date(a.attach_date),
    })
}
