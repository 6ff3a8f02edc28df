//! JSON views of directory entities, RAM API names, never a secret: access keys without
//! their secret, login profiles without their hash, MFA devices without their seed.

use ram_core::directory::{
    AccessKey, AttachedPolicy, CustomPolicy, Directory, Group, PolicyType, Role, SYSTEM_POLICIES, User, system_policy,
};
use serde_json::{Value, json};

/// An attached policy: `{"PolicyType","PolicyName","AttachDate"}`.
pub fn attached(a: &AttachedPolicy) -> Value {
    json!({"PolicyType": a.policy_type.as_str(), "PolicyName": a.policy_name, "AttachDate": a.attach_date})
}

/// An access key without its secret.
pub fn access_key(k: &AccessKey) -> Value {
    json!({
        "AccessKeyId": k.access_key_id,
        "Status": format!("{:?}", k.status),
        "CreateDate": k.create_date,
        "LastUsedDate": k.last_used_date,
    })
}

/// A user in a listing.
pub fn user_summary(u: &User) -> Value {
    json!({
        "UserName": u.user_name,
        "UserId": u.user_id,
        "DisplayName": u.display_name,
        "CreateDate": u.create_date,
        "LastLoginDate": u.last_login_date,
    })
}

/// A user with its groups, policies, keys (no secrets), login profile (no hash) and MFA device.
pub fn user(u: &User) -> Value {
    let mut v = user_summary(u);
    v["Groups"] = json!(u.groups);
    v["Policies"] = Value::Array(u.policies.iter().map(attached).collect());
    v["AccessKeys"] = Value::Array(u.access_keys.iter().map(access_key).collect());
    v["LoginProfile"] = u.login_profile.as_ref().map_or(Value::Null, |p| {
        json!({
            "PasswordResetRequired": p.password_reset_required,
            "MFABindRequired": p.mfa_bind_required,
            "PasswordSetDate": p.password_set_date,
            "LockedUntil": p.locked_until,
        })
    });
    v["MFADevice"] = json!(u.mfa_device);
    // Only when set (by `ram user update` or the API), so users without them print as before.
    for (key, value) in [
        ("MobilePhone", &u.mobile_phone),
        ("Email", &u.email),
        ("Comments", &u.comments),
    ] {
        if let Some(value) = value {
            v[key] = json!(value);
        }
    }
    v
}

/// A group in a listing.
pub fn group_summary(g: &Group) -> Value {
    json!({"GroupName": g.group_name, "GroupId": g.group_id, "CreateDate": g.create_date})
}

/// A group with its members and policies.
pub fn group(g: &Group) -> Value {
    let mut v = group_summary(g);
    v["Members"] = json!(g.members);
    v["Policies"] = Value::Array(g.policies.iter().map(attached).collect());
    // Only when set, so groups without comments print as before.
    if let Some(comments) = &g.comments {
        v["Comments"] = json!(comments);
    }
    v
}

/// A role in a listing.
pub fn role_summary(r: &Role) -> Value {
    json!({
        "RoleName": r.role_name,
        "RoleId": r.role_id,
        "Arn": r.arn,
        "MaxSessionDuration": r.max_session_duration,
        "CreateDate": r.create_date,
    })
}

/// A role with its trust policy (the text as submitted) and policies.
pub fn role(r: &Role) -> Value {
    let mut v = role_summary(r);
    v["AssumeRolePolicyDocument"] = json!(r.assume_role_policy_document);
    v["Policies"] = Value::Array(r.policies.iter().map(attached).collect());
    v
}

/// How many users, groups, roles and guardrails a policy is attached to.
pub fn attachment_count(dir: &Directory, ty: PolicyType, name: &str) -> usize {
    let hits = |list: &[AttachedPolicy]| {
        list.iter()
            .filter(|a| a.policy_type == ty && a.policy_name == name)
            .count()
    };
    dir.users().map(|u| hits(&u.policies)).sum::<usize>()
        + dir.groups().map(|g| hits(&g.policies)).sum::<usize>()
        + dir.roles().map(|r| hits(&r.policies)).sum::<usize>()
        + hits(dir.guardrails())
}

/// A custom policy in a listing.
pub fn custom_summary(dir: &Directory, p: &CustomPolicy) -> Value {
    json!({
        "PolicyName": p.policy_name,
        "PolicyType": "Custom",
        // Left out when empty, as RAM leaves out what was never given.
        "Description": Some(&p.description).filter(|d| !d.is_empty()),
        "DefaultVersion": p.default_version,
        "CreateDate": p.create_date,
        "AttachmentCount": attachment_count(dir, PolicyType::Custom, &p.policy_name),
    })
}

/// A system policy in a listing.
pub fn system_summary(dir: &Directory, name: &str) -> Value {
    let p = system_policy(name);
    json!({
        "PolicyName": name,
        "PolicyType": "System",
        "Description": p.map(|p| p.description),
        "DefaultVersion": p.map(|p| p.version),
        "AttachmentCount": attachment_count(dir, PolicyType::System, name),
    })
}

/// Every policy: system policies first, then custom ones, each by name.
pub fn all_policies(dir: &Directory, only: Option<PolicyType>) -> Vec<Value> {
    let mut out = Vec::new();
    if only != Some(PolicyType::Custom) {
        out.extend(SYSTEM_POLICIES.iter().map(|p| system_summary(dir, p.name)));
    }
    if only != Some(PolicyType::System) {
        out.extend(dir.custom_policies().map(|p| custom_summary(dir, p)));
    }
    out
}
