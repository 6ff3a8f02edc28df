//! RAM (`2015-05-01`) handlers: one function per API action, each annotated with the RAM
//! action and resource it needs (`#[require]`), translating parameters into directory
//! [`Change`]s committed through the store, answering in RAM's JSON shapes.

use ram_core::RequireContext;
use ram_core::directory::{
    AccessKeyStatus, Change, PasswordPolicy, PolicyTarget, PolicyType, SecurityPreference, names,
};
use ram_core::require;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::params::Params;
use crate::views::{self, date, obj, wrapped};
use crate::{Ctx, HandlerError, RamArn};

type R = Result<Map<String, Value>, HandlerError>;

/// Every RAM action served, in the order of ram-facts section 8.
pub const ACTIONS: &[&str] = &[
    "CreateUser",
    "GetUser",
    "UpdateUser",
    "DeleteUser",
    "ListUsers",
    "CreateLoginProfile",
    "GetLoginProfile",
    "UpdateLoginProfile",
    "DeleteLoginProfile",
    "ChangePassword",
    "CreateAccessKey",
    "UpdateAccessKey",
    "DeleteAccessKey",
    "ListAccessKeys",
    "GetAccessKeyLastUsed",
    "CreateVirtualMFADevice",
    "ListVirtualMFADevices",
    "DeleteVirtualMFADevice",
    "BindMFADevice",
    "UnbindMFADevice",
    "GetUserMFAInfo",
    "CreateGroup",
    "GetGroup",
    "UpdateGroup",
    "DeleteGroup",
    "ListGroups",
    "AddUserToGroup",
    "RemoveUserFromGroup",
    "ListGroupsForUser",
    "ListUsersForGroup",
    "CreateRole",
    "GetRole",
    "UpdateRole",
    "DeleteRole",
    "ListRoles",
    "CreatePolicy",
    "GetPolicy",
    "DeletePolicy",
    "ListPolicies",
    "UpdatePolicyDescription",
    "CreatePolicyVersion",
    "GetPolicyVersion",
    "DeletePolicyVersion",
    "ListPolicyVersions",
    "SetDefaultPolicyVersion",
    "AttachPolicyToUser",
    "DetachPolicyFromUser",
    "AttachPolicyToGroup",
    "DetachPolicyFromGroup",
    "AttachPolicyToRole",
    "DetachPolicyFromRole",
    "ListPoliciesForUser",
    "ListPoliciesForGroup",
    "ListPoliciesForRole",
    "ListEntitiesForPolicy",
    "GetPasswordPolicy",
    "SetPasswordPolicy",
    "GetSecurityPreference",
    "SetSecurityPreference",
];

/// Runs a RAM action; `None` when it is not served.
pub(crate) fn dispatch(ctx: &Ctx<'_>, action: &str) -> Option<Result<Map<String, Value>, ApiError>> {
    match route(ctx, action) {
        Ok(Some(body)) => Some(Ok(body)),
        Ok(None) => None,
        Err(e) => Some(Err(e.resolve(ctx))),
    }
}

fn route(ctx: &Ctx<'_>, action: &str) -> Result<Option<Map<String, Value>>, HandlerError> {
    let p = ctx.params();
    Ok(Some(match action {
        "CreateUser" => create_user(ctx, p.req("UserName")?)?,
        "GetUser" => get_user(ctx, p.req("UserName")?)?,
        "UpdateUser" => {
            let name = p.req("UserName")?;
            update_user(ctx, name, p.get("NewUserName").unwrap_or(name))?
        }
        "DeleteUser" => delete_user(ctx, p.req("UserName")?)?,
        "ListUsers" => list_users(ctx)?,
        "CreateLoginProfile" => create_login_profile(ctx, p.req("UserName")?)?,
        "GetLoginProfile" => get_login_profile(ctx, p.req("UserName")?)?,
        "UpdateLoginProfile" => update_login_profile(ctx, p.req("UserName")?)?,
        "DeleteLoginProfile" => delete_login_profile(ctx, p.req("UserName")?)?,
        "ChangePassword" => {
            let me = ctx
                .caller_user()
                .ok_or_else(|| ApiError::new(403, "NoPermission", "only a RAM user can change its own password"))?
                .to_owned();
            change_password(ctx, &me)?
        }
        "CreateAccessKey" => create_access_key(ctx, &self_or(ctx, p)?)?,
        "UpdateAccessKey" => update_access_key(ctx, &self_or(ctx, p)?)?,
        "DeleteAccessKey" => delete_access_key(ctx, &self_or(ctx, p)?)?,
        "ListAccessKeys" => list_access_keys(ctx, &self_or(ctx, p)?)?,
        "GetAccessKeyLastUsed" => get_access_key_last_used(ctx, &self_or(ctx, p)?)?,
        "CreateVirtualMFADevice" => create_mfa_device(ctx, p.req("VirtualMFADeviceName")?)?,
        "ListVirtualMFADevices" => list_mfa_devices(ctx)?,
        "DeleteVirtualMFADevice" => delete_mfa_device(ctx, mfa_name(p.req("SerialNumber")?))?,
        "BindMFADevice" => bind_mfa_device(ctx, p.req("UserName")?)?,
        "UnbindMFADevice" => unbind_mfa_device(ctx, p.req("UserName")?)?,
        "GetUserMFAInfo" => get_user_mfa_info(ctx, p.req("UserName")?)?,
        "CreateGroup" => create_group(ctx, p.req("GroupName")?)?,
        "GetGroup" => get_group(ctx, p.req("GroupName")?)?,
        "UpdateGroup" => {
            let name = p.req("GroupName")?;
            update_group(ctx, name, p.get("NewGroupName").unwrap_or(name))?
        }
        "DeleteGroup" => delete_group(ctx, p.req("GroupName")?)?,
        "ListGroups" => list_groups(ctx)?,
        "AddUserToGroup" => add_user_to_group(ctx, p.req("GroupName")?, p.req("UserName")?)?,
        "RemoveUserFromGroup" => remove_user_from_group(ctx, p.req("GroupName")?, p.req("UserName")?)?,
        "ListGroupsForUser" => list_groups_for_user(ctx, p.req("UserName")?)?,
        "ListUsersForGroup" => list_users_for_group(ctx, p.req("GroupName")?)?,
        "CreateRole" => create_role(ctx, p.req("RoleName")?)?,
        "GetRole" => get_role(ctx, p.req("RoleName")?)?,
        "UpdateRole" => update_role(ctx, p.req("RoleName")?)?,
        "DeleteRole" => delete_role(ctx, p.req("RoleName")?)?,
        "ListRoles" => list_roles(ctx)?,
        "CreatePolicy" => create_policy(ctx, p.req("PolicyName")?)?,
        "GetPolicy" => {
            let name = p.req("PolicyName")?;
            let t = policy_type(p, true)?;
            get_policy(ctx, policy_owner(ctx, t, name), name)?
        }
        "DeletePolicy" => delete_policy(ctx, p.req("PolicyName")?)?,
        "ListPolicies" => list_policies(ctx)?,
        "UpdatePolicyDescription" => update_policy_description(ctx, p.req("PolicyName")?)?,
        "CreatePolicyVersion" => create_policy_version(ctx, p.req("PolicyName")?)?,
        "GetPolicyVersion" => {
            let name = p.req("PolicyName")?;
            let t = policy_type(p, true)?;
            get_policy_version(ctx, policy_owner(ctx, t, name), name)?
        }
        "DeletePolicyVersion" => delete_policy_version(ctx, p.req("PolicyName")?)?,
        "ListPolicyVersions" => {
            let name = p.req("PolicyName")?;
            let t = policy_type(p, true)?;
            list_policy_versions(ctx, policy_owner(ctx, t, name), name)?
        }
        "SetDefaultPolicyVersion" => set_default_policy_version(ctx, p.req("PolicyName")?)?,
        "AttachPolicyToUser" | "DetachPolicyFromUser" => {
            let (t, name) = (policy_type(p, true)?, p.req("PolicyName")?);
            let owner = policy_owner(ctx, t, name);
            let target = p.req("UserName")?;
            if action.starts_with("Attach") {
                attach_to_user(ctx, owner, name, target)?
            } else {
                detach_from_user(ctx, owner, name, target)?
            }
        }
        "AttachPolicyToGroup" | "DetachPolicyFromGroup" => {
            let (t, name) = (policy_type(p, true)?, p.req("PolicyName")?);
            let owner = policy_owner(ctx, t, name);
            let target = p.req("GroupName")?;
            if action.starts_with("Attach") {
                attach_to_group(ctx, owner, name, target)?
            } else {
                detach_from_group(ctx, owner, name, target)?
            }
        }
        "AttachPolicyToRole" | "DetachPolicyFromRole" => {
            let (t, name) = (policy_type(p, true)?, p.req("PolicyName")?);
            let owner = policy_owner(ctx, t, name);
            let target = p.req("RoleName")?;
            if action.starts_with("Attach") {
                attach_to_role(ctx, owner, name, target)?
            } else {
                detach_from_role(ctx, owner, name, target)?
            }
        }
        "ListPoliciesForUser" => list_policies_for_user(ctx, p.req("UserName")?)?,
        "ListPoliciesForGroup" => list_policies_for_group(ctx, p.req("GroupName")?)?,
        "ListPoliciesForRole" => list_policies_for_role(ctx, p.req("RoleName")?)?,
        "ListEntitiesForPolicy" => {
            let name = p.req("PolicyName")?;
            let t = policy_type(p, true)?;
            list_entities_for_policy(ctx, policy_owner(ctx, t, name), name)?
        }
        "GetPasswordPolicy" => get_password_policy(ctx)?,
        "SetPasswordPolicy" => set_password_policy(ctx)?,
        "GetSecurityPreference" => get_security_preference(ctx)?,
        "SetSecurityPreference" => set_security_preference(ctx)?,
        _ => return Ok(None),
    }))
}

// ---- helpers -------------------------------------------------------------------------

/// `UserName`, or the calling user when it is absent (RAM's rule for the access key calls).
fn self_or(ctx: &Ctx<'_>, p: &Params) -> Result<String, ApiError> {
    match p.get("UserName") {
        Some(name) => Ok(name.to_owned()),
        None => ctx
            .caller_user()
            .map(str::to_owned)
            .ok_or_else(|| ApiError::missing("UserName")),
    }
}

/// The device name of a serial number `acs:ram::<account>:mfa/<name>` (or a bare name).
fn mfa_name(serial: &str) -> &str {
    serial.rsplit_once(":mfa/").map_or(serial, |(_, name)| name)
}

/// `PolicyType`: `System`, `Custom`, or absent (then resolved by name).
fn policy_type(p: &Params, optional: bool) -> Result<Option<PolicyType>, ApiError> {
    match p.get("PolicyType") {
        Some("System") => Ok(Some(PolicyType::System)),
        Some("Custom") => Ok(Some(PolicyType::Custom)),
        None if optional => Ok(None),
        None => Err(ApiError::missing("PolicyType")),
        Some(other) => Err(ApiError::invalid(
            "PolicyType",
            format!("PolicyType must be System or Custom, found {other:?}"),
        )),
    }
}

/// The account part of a policy's ARN: `system` for a system policy. Without a type, the
/// custom policy of that name if one exists, else the system policy (as attachments resolve).
fn policy_owner<'a>(ctx: &'a Ctx<'_>, t: Option<PolicyType>, name: &str) -> PolicyRef<'a> {
    let t = t.unwrap_or_else(|| {
        let snapshot = ctx.app().authorizer().snapshot();
        if snapshot.directory().custom_policy(name).is_none() && ram_core::directory::system_policy(name).is_some() {
            PolicyType::System
        } else {
            PolicyType::Custom
        }
    });
    PolicyRef {
        policy_type: t,
        owner: match t {
            PolicyType::System => "system",
            PolicyType::Custom => ctx.account(),
        },
    }
}

/// A policy's type and the account part of its ARN.
#[derive(Clone, Copy)]
struct PolicyRef<'a> {
    policy_type: PolicyType,
    owner: &'a str,
}

fn not_exist(kind: &str, name: &str) -> ApiError {
    ApiError::new(
        404,
        format!("EntityNotExist.{kind}"),
        format!("The {kind} {name:?} does not exist."),
    )
}

fn commit(ctx: &Ctx<'_>, changes: &[Change]) -> Result<(), HandlerError> {
    ctx.app().commit(changes, ctx.now())?;
    Ok(())
}

/// One page of `items` (sorted by key): `MaxItems` (1..=`limit`, default 100) from
/// `Marker` (the key of the first item of the page, as the previous page returned it).
fn page(
    ctx: &Ctx<'_>,
    items: Vec<(String, Value)>,
    limit: u32,
    out: &mut Map<String, Value>,
) -> Result<Vec<Value>, ApiError> {
    let p = ctx.params();
    let max = p.u32("MaxItems")?.unwrap_or(100.min(limit));
    if !(1..=limit).contains(&max) {
        return Err(ApiError::invalid(
            "MaxItems",
            format!("MaxItems must be 1 to {limit}, found {max}"),
        ));
    }
    let start = match p.get("Marker") {
        None => 0,
        Some(marker) => items.partition_point(|(k, _)| k.as_str() < marker),
    };
    let mut rest = items.into_iter().skip(start);
    let page: Vec<Value> = rest.by_ref().take(max as usize).map(|(_, v)| v).collect();
    let next = rest.next().map(|(k, _)| k);
    out.insert("IsTruncated".into(), json!(next.is_some()));
    if let Some(marker) = next {
        out.insert("Marker".into(), json!(marker));
    }
    Ok(page)
}

fn arn<'a>(ctx: &'a Ctx<'_>, kind: &'a str, name: &'a str) -> RamArn<'a> {
    RamArn::new(ctx.account(), kind, name)
}

fn all<'a>(ctx: &'a Ctx<'_>, kind: &'a str) -> RamArn<'a> {
    RamArn::all(ctx.account(), kind)
}

/// The account-level resource of the password policy and security preference calls.
fn account_arn<'a>(ctx: &'a Ctx<'_>) -> RamArn<'a> {
    RamArn::new(ctx.account(), "account", ctx.account())
}

// ---- users ---------------------------------------------------------------------------

#[require(action = "ram:CreateUser", resource = arn(ctx, "user", name))]
fn create_user(ctx: &Ctx<'_>, name: &str) -> R {
    let p = ctx.params();
    let owned = |key: &str| p.get(key).map(str::to_owned);
    let mut changes = vec![Change::CreateUser {
        name: name.to_owned(),
        display_name: owned("DisplayName"),
    }];
    let (mobile_phone, email, comments) = (owned("MobilePhone"), owned("Email"), owned("Comments"));
    // Checked here under CreateUser's parameter names; the change would name UpdateUser's.
    mobile_phone
        .as_deref()
        .map(|v| names::check_mobile_phone(v, "MobilePhone"))
        .transpose()?;
    email.as_deref().map(|v| names::check_email(v, "Email")).transpose()?;
    comments
        .as_deref()
        .map(|v| names::check_comments(v, "Comments"))
        .transpose()?;
    // The other fields in the same batch: a bad one refuses the user too.
    if mobile_phone.is_some() || email.is_some() || comments.is_some() {
        changes.push(Change::UpdateUser {
            name: name.to_owned(),
            new_name: None,
            display_name: None,
            mobile_phone,
            email,
            comments,
        });
    }
    commit(ctx, &changes)?;
    let mut v = user_view(ctx, name)?;
    v.remove("UpdateDate");
    v.remove("LastLoginDate");
    Ok(obj([("User", Value::Object(v))]))
}

fn user_view(ctx: &Ctx<'_>, name: &str) -> Result<Map<String, Value>, HandlerError> {
    let snapshot = ctx.app().authorizer().snapshot();
    let user = snapshot.directory().user(name).ok_or_else(|| not_exist("User", name))?;
    Ok(views::user(user))
}

#[require(action = "ram:GetUser", resource = arn(ctx, "user", name))]
fn get_user(ctx: &Ctx<'_>, name: &str) -> R {
    Ok(obj([("User", Value::Object(user_view(ctx, name)?))]))
}

/// UpdateUser. A rename needs the action on the new name too (`new_name` is `name` when
/// there is none), so a grant scoped to some user names cannot move a user out of or into
/// that scope (what IAM requires; RAM documents nothing either way).
#[require(action = "ram:UpdateUser", resource = arn(ctx, "user", name))]
#[require(action = "ram:UpdateUser", resource = arn(ctx, "user", new_name))]
fn update_user(ctx: &Ctx<'_>, name: &str, new_name: &str) -> R {
    let p = ctx.params();
    let owned = |key: &str| p.get(key).map(str::to_owned);
    commit(
        ctx,
        &[Change::UpdateUser {
            name: name.to_owned(),
            new_name: owned("NewUserName"),
            display_name: owned("NewDisplayName"),
            mobile_phone: owned("NewMobilePhone"),
            email: owned("NewEmail"),
            comments: owned("NewComments"),
        }],
    )?;
    let mut v = user_view(ctx, new_name)?;
    v.remove("LastLoginDate");
    Ok(obj([("User", Value::Object(v))]))
}

#[require(action = "ram:DeleteUser", resource = arn(ctx, "user", name))]
fn delete_user(ctx: &Ctx<'_>, name: &str) -> R {
    commit(
        ctx,
        &[Change::DeleteUser {
            name: name.to_owned(),
            cascade: false,
        }],
    )?;
    Ok(Map::new())
}

#[require(action = "ram:ListUsers", resource = all(ctx, "user"))]
fn list_users(ctx: &Ctx<'_>) -> R {
    let snapshot = ctx.app().authorizer().snapshot();
    let items = snapshot
        .directory()
        .users()
        .map(|u| (u.user_name.clone(), Value::Object(views::user(u))))
        .collect();
    let mut out = Map::new();
    let users = page(ctx, items, 1000, &mut out)?;
    let (k, v) = wrapped("Users", "User", users);
    out.insert(k, v);
    Ok(out)
}

// ---- login profiles ------------------------------------------------------------------

fn login_profile_view(ctx: &Ctx<'_>, name: &str) -> R {
    let snapshot = ctx.app().authorizer().snapshot();
    let user = snapshot.directory().user(name).ok_or_else(|| not_exist("User", name))?;
    let lp = user
        .login_profile
        .as_ref()
        .ok_or_else(|| not_exist("User.LoginProfile", name))?;
    Ok(obj([(
        "LoginProfile",
        json!({
            "UserName": name,
            "PasswordResetRequired": lp.password_reset_required,
            "MFABindRequired": lp.mfa_bind_required,
            "CreateDate": date(lp.password_set_date),
        }),
    )]))
}

#[require(action = "ram:CreateLoginProfile", resource = arn(ctx, "user", name))]
fn create_login_profile(ctx: &Ctx<'_>, name: &str) -> R {
    let p = ctx.params();
    let password = p.req("Password")?;
    let reset = p.bool("PasswordResetRequired")?.unwrap_or(false);
    let mfa = p.bool("MFABindRequired")?.unwrap_or(false);
    let change = {
        let snapshot = ctx.app().authorizer().snapshot();
        Change::create_login_profile(snapshot.directory(), name, password, reset, mfa)?
    };
    commit(ctx, &[change])?;
    login_profile_view(ctx, name)
}

#[require(action = "ram:GetLoginProfile", resource = arn(ctx, "user", name))]
fn get_login_profile(ctx: &Ctx<'_>, name: &str) -> R {
    login_profile_view(ctx, name)
}

#[require(action = "ram:UpdateLoginProfile", resource = arn(ctx, "user", name))]
fn update_login_profile(ctx: &Ctx<'_>, name: &str) -> R {
    let p = ctx.params();
    let change = {
        let snapshot = ctx.app().authorizer().snapshot();
        Change::update_login_profile(
            snapshot.directory(),
            name,
            p.get("Password"),
            p.bool("PasswordResetRequired")?,
            p.bool("MFABindRequired")?,
        )?
    };
    commit(ctx, &[change])?;
    Ok(Map::new())
}

#[require(action = "ram:DeleteLoginProfile", resource = arn(ctx, "user", name))]
fn delete_login_profile(ctx: &Ctx<'_>, name: &str) -> R {
    commit(ctx, &[Change::DeleteLoginProfile { user: name.to_owned() }])?;
    Ok(Map::new())
}

/// ChangePassword: the calling user's own password. The old password must be right (a
/// failure counts towards `MaxLoginAttemps`, as a console login does); the new one must
/// pass the password policy. Users with an MFA device cannot change their password here
/// (the API takes no MFA code).
#[require(action = "ram:ChangePassword", resource = arn(ctx, "user", name))]
fn change_password(ctx: &Ctx<'_>, name: &str) -> R {
    let p = ctx.params();
    let (old, new) = (p.req("OldPassword")?, p.req("NewPassword")?);
    let attempt = ctx.app().authorizer().snapshot().directory().change_password(
        name,
        old,
        new,
        None,
        ctx.now(),
        ram_core::directory::Argon2Params::default(),
    );
    if !attempt.changes.is_empty() {
        commit(ctx, &attempt.changes)?;
    }
    match attempt.outcome {
        Ok(()) => Ok(Map::new()),
        Err(e) => {
            let status = if e.is_authentication_failure() {
                403
            } else if e.code() == "InternalError" {
                500
            } else {
                400
            };
            Err(ApiError::new(status, e.code(), e.to_string()).into())
        }
    }
}

// ---- access keys ---------------------------------------------------------------------

#[require(action = "ram:CreateAccessKey", resource = arn(ctx, "user", name))]
fn create_access_key(ctx: &Ctx<'_>, name: &str) -> R {
    let change = Change::create_access_key(name)
        .map_err(|e| ApiError::internal(format!("the operating system's random source failed: {e}")))?;
    let Change::CreateAccessKey {
        access_key_id,
        access_key_secret,
        ..
    } = &change
    else {
        return Err(ApiError::internal("unexpected access key change").into());
    };
    let (id, secret) = (access_key_id.clone(), access_key_secret.clone());
    commit(ctx, &[change])?;
    // The only time the secret is shown, as in RAM.
    Ok(obj([(
        "AccessKey",
        json!({
            "AccessKeyId": id,
            "AccessKeySecret": secret,
            "Status": "Active",
            "CreateDate": date(ctx.now()),
        }),
    )]))
}

#[require(action = "ram:UpdateAccessKey", resource = arn(ctx, "user", name))]
fn update_access_key(ctx: &Ctx<'_>, name: &str) -> R {
    let p = ctx.params();
    let status = match p.req("Status")? {
        "Active" => AccessKeyStatus::Active,
        "Inactive" => AccessKeyStatus::Inactive,
        other => {
            return Err(
                ApiError::invalid("Status", format!("Status must be Active or Inactive, found {other:?}")).into(),
            );
        }
    };
    commit(
        ctx,
        &[Change::UpdateAccessKey {
            user: name.to_owned(),
            access_key_id: p.req("UserAccessKeyId")?.to_owned(),
            status,
        }],
    )?;
    Ok(Map::new())
}

#[require(action = "ram:DeleteAccessKey", resource = arn(ctx, "user", name))]
fn delete_access_key(ctx: &Ctx<'_>, name: &str) -> R {
    commit(
        ctx,
        &[Change::DeleteAccessKey {
            user: name.to_owned(),
            access_key_id: ctx.params().req("UserAccessKeyId")?.to_owned(),
        }],
    )?;
    Ok(Map::new())
}

#[require(action = "ram:ListAccessKeys", resource = arn(ctx, "user", name))]
fn list_access_keys(ctx: &Ctx<'_>, name: &str) -> R {
    let snapshot = ctx.app().authorizer().snapshot();
    let user = snapshot.directory().user(name).ok_or_else(|| not_exist("User", name))?;
    let keys = user.access_keys.iter().map(views::access_key).collect();
    let (k, v) = wrapped("AccessKeys", "AccessKey", keys);
    Ok([(k, v)].into_iter().collect())
}

#[require(action = "ram:GetAccessKeyLastUsed", resource = arn(ctx, "user", name))]
fn get_access_key_last_used(ctx: &Ctx<'_>, name: &str) -> R {
    let id = ctx.params().req("UserAccessKeyId")?;
    let snapshot = ctx.app().authorizer().snapshot();
    let user = snapshot.directory().user(name).ok_or_else(|| not_exist("User", name))?;
    let key = user
        .access_keys
        .iter()
        .find(|k| k.access_key_id == id)
        .ok_or_else(|| not_exist("User.AccessKey", id))?;
    let last = key.last_used_date.map(date).unwrap_or_default();
    Ok(obj([("AccessKeyLastUsed", json!({ "LastUsedDate": last }))]))
}

// ---- virtual MFA devices -------------------------------------------------------------

#[require(action = "ram:CreateVirtualMFADevice", resource = arn(ctx, "mfa", name))]
fn create_mfa_device(ctx: &Ctx<'_>, name: &str) -> R {
    let change = Change::create_virtual_mfa_device(name)
        .map_err(|e| ApiError::internal(format!("the operating system's random source failed: {e}")))?;
    let Change::CreateVirtualMfaDevice { base32_string_seed, .. } = &change else {
        return Err(ApiError::internal("unexpected MFA change").into());
    };
    let seed = base32_string_seed.clone();
    commit(ctx, &[change])?;
    let serial = ctx.app().authorizer().snapshot().directory().mfa_serial(name);
    // The seed is shown once, as in RAM. No QR code image is drawn.
    Ok(obj([(
        "VirtualMFADevice",
        json!({ "SerialNumber": serial, "Base32StringSeed": seed }),
    )]))
}

#[require(action = "ram:ListVirtualMFADevices", resource = all(ctx, "mfa"))]
fn list_mfa_devices(ctx: &Ctx<'_>) -> R {
    let snapshot = ctx.app().authorizer().snapshot();
    let dir = snapshot.directory();
    let devices = dir
        .mfa_devices()
        .map(|d| {
            let mut m = obj([("SerialNumber", json!(d.serial_number))]);
            if let Some(t) = d.enable_date {
                m.insert("ActivateDate".into(), json!(date(t)));
            }
            if let Some(u) = d.user_name.as_deref().and_then(|n| dir.user(n)) {
                m.insert(
                    "User".into(),
                    json!({"UserId": u.user_id, "UserName": u.user_name, "DisplayName": views::text(&u.display_name)}),
                );
            }
            Value::Object(m)
        })
        .collect();
    let (k, v) = wrapped("VirtualMFADevices", "VirtualMFADevice", devices);
    Ok([(k, v)].into_iter().collect())
}

#[require(action = "ram:DeleteVirtualMFADevice", resource = arn(ctx, "mfa", name))]
fn delete_mfa_device(ctx: &Ctx<'_>, name: &str) -> R {
    let serial = ctx.app().authorizer().snapshot().directory().mfa_serial(name);
    commit(ctx, &[Change::DeleteVirtualMfaDevice { serial }])?;
    Ok(Map::new())
}

#[require(action = "ram:BindMFADevice", resource = arn(ctx, "user", name))]
fn bind_mfa_device(ctx: &Ctx<'_>, name: &str) -> R {
    let p = ctx.params();
    let serial = p.req("SerialNumber")?;
    let serial = ctx
        .app()
        .authorizer()
        .snapshot()
        .directory()
        .mfa_serial(mfa_name(serial));
    commit(
        ctx,
        &[Change::BindMfaDevice {
            user: name.to_owned(),
            serial,
            code1: p.req("AuthenticationCode1")?.to_owned(),
            code2: p.req("AuthenticationCode2")?.to_owned(),
        }],
    )?;
    Ok(Map::new())
}

#[require(action = "ram:UnbindMFADevice", resource = arn(ctx, "user", name))]
fn unbind_mfa_device(ctx: &Ctx<'_>, name: &str) -> R {
    let serial = ctx
        .app()
        .authorizer()
        .snapshot()
        .directory()
        .user(name)
        .and_then(|u| u.mfa_device.clone());
    commit(ctx, &[Change::UnbindMfaDevice { user: name.to_owned() }])?;
    Ok(obj([(
        "MFADevice",
        json!({ "SerialNumber": serial.unwrap_or_default() }),
    )]))
}

#[require(action = "ram:GetUserMFAInfo", resource = arn(ctx, "user", name))]
fn get_user_mfa_info(ctx: &Ctx<'_>, name: &str) -> R {
    let snapshot = ctx.app().authorizer().snapshot();
    let user = snapshot.directory().user(name).ok_or_else(|| not_exist("User", name))?;
    let serial = user
        .mfa_device
        .as_deref()
        .ok_or_else(|| not_exist("User.MFADevice", name))?;
    Ok(obj([("MFADevice", json!({ "SerialNumber": serial, "Type": "VMFA" }))]))
}

// ---- groups --------------------------------------------------------------------------

#[require(action = "ram:CreateGroup", resource = arn(ctx, "group", name))]
fn create_group(ctx: &Ctx<'_>, name: &str) -> R {
    let mut changes = vec![Change::CreateGroup { name: name.to_owned() }];
    if let Some(comments) = ctx.params().get("Comments") {
        names::check_comments(comments, "Comments")?;
        changes.push(Change::UpdateGroup {
            name: name.to_owned(),
            new_name: None,
            comments: Some(comments.to_owned()),
        });
    }
    commit(ctx, &changes)?;
    get_group_view(ctx, name)
}

/// UpdateGroup; a rename needs the action on the new name too, as for UpdateUser.
#[require(action = "ram:UpdateGroup", resource = arn(ctx, "group", name))]
#[require(action = "ram:UpdateGroup", resource = arn(ctx, "group", new_name))]
fn update_group(ctx: &Ctx<'_>, name: &str, new_name: &str) -> R {
    let p = ctx.params();
    commit(
        ctx,
        &[Change::UpdateGroup {
            name: name.to_owned(),
            new_name: p.get("NewGroupName").map(str::to_owned),
            comments: p.get("NewComments").map(str::to_owned),
        }],
    )?;
    get_group_view(ctx, new_name)
}

fn get_group_view(ctx: &Ctx<'_>, name: &str) -> R {
    let snapshot = ctx.app().authorizer().snapshot();
    let group = snapshot
        .directory()
        .group(name)
        .ok_or_else(|| not_exist("Group", name))?;
    Ok(obj([("Group", views::group(group))]))
}

#[require(action = "ram:GetGroup", resource = arn(ctx, "group", name))]
fn get_group(ctx: &Ctx<'_>, name: &str) -> R {
    get_group_view(ctx, name)
}

#[require(action = "ram:DeleteGroup", resource = arn(ctx, "group", name))]
fn delete_group(ctx: &Ctx<'_>, name: &str) -> R {
    commit(ctx, &[Change::DeleteGroup { name: name.to_owned() }])?;
    Ok(Map::new())
}

#[require(action = "ram:ListGroups", resource = all(ctx, "group"))]
fn list_groups(ctx: &Ctx<'_>) -> R {
    let snapshot = ctx.app().authorizer().snapshot();
    let items = snapshot
        .directory()
        .groups()
        .map(|g| (g.group_name.clone(), views::group(g)))
        .collect();
    let mut out = Map::new();
    let groups = page(ctx, items, 1000, &mut out)?;
    let (k, v) = wrapped("Groups", "Group", groups);
    out.insert(k, v);
    Ok(out)
}

#[require(action = "ram:AddUserToGroup", resource = arn(ctx, "group", group))]
fn add_user_to_group(ctx: &Ctx<'_>, group: &str, user: &str) -> R {
    commit(
        ctx,
        &[Change::AddUserToGroup {
            group: group.to_owned(),
            user: user.to_owned(),
        }],
    )?;
    Ok(Map::new())
}

#[require(action = "ram:RemoveUserFromGroup", resource = arn(ctx, "group", group))]
fn remove_user_from_group(ctx: &Ctx<'_>, group: &str, user: &str) -> R {
    commit(
        ctx,
        &[Change::RemoveUserFromGroup {
            group: group.to_owned(),
            user: user.to_owned(),
        }],
    )?;
    Ok(Map::new())
}

#[require(action = "ram:ListGroupsForUser", resource = arn(ctx, "user", name))]
fn list_groups_for_user(ctx: &Ctx<'_>, name: &str) -> R {
    let snapshot = ctx.app().authorizer().snapshot();
    let dir = snapshot.directory();
    let user = dir.user(name).ok_or_else(|| not_exist("User", name))?;
    let groups = user
        .groups
        .iter()
        .filter_map(|g| dir.group(g))
        .map(|g| json!({"GroupName": g.group_name, "Comments": views::text(&g.comments), "JoinDate": date(g.join_date(name))}))
        .collect();
    let (k, v) = wrapped("Groups", "Group", groups);
    Ok([(k, v)].into_iter().collect())
}

#[require(action = "ram:ListUsersForGroup", resource = arn(ctx, "group", name))]
fn list_users_for_group(ctx: &Ctx<'_>, name: &str) -> R {
    let snapshot = ctx.app().authorizer().snapshot();
    let dir = snapshot.directory();
    let group = dir.group(name).ok_or_else(|| not_exist("Group", name))?;
    let mut items: Vec<(String, Value)> = group
        .members
        .iter()
        .filter_map(|u| dir.user(u))
        .map(|u| {
            (
                u.user_name.clone(),
                json!({"UserName": u.user_name, "DisplayName": views::text(&u.display_name), "JoinDate": date(group.join_date(&u.user_name))}),
            )
        })
        .collect();
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Map::new();
    let users = page(ctx, items, 1000, &mut out)?;
    let (k, v) = wrapped("Users", "User", users);
    out.insert(k, v);
    Ok(out)
}

// ---- roles ---------------------------------------------------------------------------

/// The change that sets a role's description from request parameter `field`, checked under
/// that parameter's name.
fn role_description(ctx: &Ctx<'_>, name: &str, field: &'static str) -> Result<Option<Change>, HandlerError> {
    let Some(d) = ctx.params().get(field) else {
        return Ok(None);
    };
    names::check_description(d, field)?;
    Ok(Some(Change::SetRoleDescription {
        name: name.to_owned(),
        description: d.to_owned(),
    }))
}

fn role_view(ctx: &Ctx<'_>, name: &str) -> R {
    let snapshot = ctx.app().authorizer().snapshot();
    let role = snapshot.directory().role(name).ok_or_else(|| not_exist("Role", name))?;
    Ok(obj([("Role", views::role(role))]))
}

#[require(action = "ram:CreateRole", resource = arn(ctx, "role", name))]
fn create_role(ctx: &Ctx<'_>, name: &str) -> R {
    let p = ctx.params();
    let mut changes = vec![Change::CreateRole {
        name: name.to_owned(),
        trust_policy: p.req("AssumeRolePolicyDocument")?.to_owned(),
        max_session_duration: p.u32("MaxSessionDuration")?,
    }];
    changes.extend(role_description(ctx, name, "Description")?);
    commit(ctx, &changes)?;
    role_view(ctx, name)
}

#[require(action = "ram:GetRole", resource = arn(ctx, "role", name))]
fn get_role(ctx: &Ctx<'_>, name: &str) -> R {
    role_view(ctx, name)
}

#[require(action = "ram:UpdateRole", resource = arn(ctx, "role", name))]
fn update_role(ctx: &Ctx<'_>, name: &str) -> R {
    let p = ctx.params();
    let mut changes = vec![Change::UpdateRole {
        name: name.to_owned(),
        trust_policy: p.get("NewAssumeRolePolicyDocument").map(str::to_owned),
        max_session_duration: p.u32("NewMaxSessionDuration")?,
    }];
    changes.extend(role_description(ctx, name, "NewDescription")?);
    commit(ctx, &changes)?;
    role_view(ctx, name)
}

#[require(action = "ram:DeleteRole", resource = arn(ctx, "role", name))]
fn delete_role(ctx: &Ctx<'_>, name: &str) -> R {
    commit(ctx, &[Change::DeleteRole { name: name.to_owned() }])?;
    Ok(Map::new())
}

#[require(action = "ram:ListRoles", resource = all(ctx, "role"))]
fn list_roles(ctx: &Ctx<'_>) -> R {
    let snapshot = ctx.app().authorizer().snapshot();
    let items = snapshot
        .directory()
        .roles()
        .map(|r| {
            let mut v = views::role(r);
            if let Some(m) = v.as_object_mut() {
                m.remove("AssumeRolePolicyDocument");
            }
            (r.role_name.clone(), v)
        })
        .collect();
    let mut out = Map::new();
    let roles = page(ctx, items, 1000, &mut out)?;
    let (k, v) = wrapped("Roles", "Role", roles);
    out.insert(k, v);
    Ok(out)
}

// ---- policies ------------------------------------------------------------------------

#[require(action = "ram:CreatePolicy", resource = arn(ctx, "policy", name))]
fn create_policy(ctx: &Ctx<'_>, name: &str) -> R {
    let p = ctx.params();
    commit(
        ctx,
        &[Change::CreatePolicy {
            name: name.to_owned(),
            document: p.req("PolicyDocument")?.to_owned(),
            description: p.get("Description").unwrap_or("").to_owned(),
        }],
    )?;
    let snapshot = ctx.app().authorizer().snapshot();
    let dir = snapshot.directory();
    let policy = dir.custom_policy(name).ok_or_else(|| not_exist("Policy", name))?;
    let mut v = views::custom_policy(dir, policy);
    if let Some(m) = v.as_object_mut() {
        m.remove("UpdateDate");
        m.remove("AttachmentCount");
    }
    Ok(obj([("Policy", v)]))
}

#[require(action = "ram:GetPolicy", resource = RamArn::new(t.owner, "policy", name))]
fn get_policy(ctx: &Ctx<'_>, t: PolicyRef<'_>, name: &str) -> R {
    let snapshot = ctx.app().authorizer().snapshot();
    let dir = snapshot.directory();
    match t.policy_type {
        PolicyType::System => {
            let sp = ram_core::directory::system_policy(name).ok_or_else(|| not_exist("Policy", name))?;
            Ok(obj([
                ("Policy", views::system_policy(dir, sp)),
                (
                    "DefaultPolicyVersion",
                    json!({"VersionId": sp.version, "IsDefaultVersion": true, "PolicyDocument": sp.document, "CreateDate": "2015-04-01T00:00:00Z"}),
                ),
            ]))
        }
        PolicyType::Custom => {
            let cp = dir.custom_policy(name).ok_or_else(|| not_exist("Policy", name))?;
            let default = cp
                .versions
                .iter()
                .find(|v| v.version_id == cp.default_version)
                .map(|v| views::policy_version(v, &cp.default_version))
                .unwrap_or(Value::Null);
            Ok(obj([
                ("Policy", views::custom_policy(dir, cp)),
                ("DefaultPolicyVersion", default),
            ]))
        }
    }
}

#[require(action = "ram:DeletePolicy", resource = arn(ctx, "policy", name))]
fn delete_policy(ctx: &Ctx<'_>, name: &str) -> R {
    let cascade = ctx.params().bool("CascadingDelete")?.unwrap_or(false);
    commit(
        ctx,
        &[Change::DeletePolicy {
            name: name.to_owned(),
            cascade,
        }],
    )?;
    Ok(Map::new())
}

#[require(action = "ram:ListPolicies", resource = all(ctx, "policy"))]
fn list_policies(ctx: &Ctx<'_>) -> R {
    let filter = policy_type(ctx.params(), true)?;
    let snapshot = ctx.app().authorizer().snapshot();
    let dir = snapshot.directory();
    let mut items: Vec<(String, Value)> = Vec::new();
    // Marker keys sort system policies before custom ones, each by name.
    if filter != Some(PolicyType::Custom) {
        items.extend(
            ram_core::directory::SYSTEM_POLICIES
                .iter()
                .map(|p| (format!("0:{}", p.name), views::system_policy(dir, p))),
        );
    }
    if filter != Some(PolicyType::System) {
        items.extend(
            dir.custom_policies()
                .map(|p| (format!("1:{}", p.policy_name), views::custom_policy(dir, p))),
        );
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Map::new();
    let policies = page(ctx, items, 1000, &mut out)?;
    let (k, v) = wrapped("Policies", "Policy", policies);
    out.insert(k, v);
    Ok(out)
}

/// UpdatePolicyDescription: custom policies only (system ones are read-only, so a system
/// policy's name is `EntityNotExist.Policy` here, as for the other writes). An absent or
/// empty NewDescription clears the description.
#[require(action = "ram:UpdatePolicyDescription", resource = arn(ctx, "policy", name))]
fn update_policy_description(ctx: &Ctx<'_>, name: &str) -> R {
    commit(
        ctx,
        &[Change::UpdatePolicyDescription {
            name: name.to_owned(),
            description: ctx.params().get("NewDescription").unwrap_or("").to_owned(),
        }],
    )?;
    let snapshot = ctx.app().authorizer().snapshot();
    let dir = snapshot.directory();
    let policy = dir.custom_policy(name).ok_or_else(|| not_exist("Policy", name))?;
    let mut v = views::custom_policy(dir, policy);
    if let Some(m) = v.as_object_mut() {
        m.remove("AttachmentCount");
    }
    Ok(obj([("Policy", v)]))
}

#[require(action = "ram:CreatePolicyVersion", resource = arn(ctx, "policy", name))]
fn create_policy_version(ctx: &Ctx<'_>, name: &str) -> R {
    let p = ctx.params();
    let rotate = match p.get("RotateStrategy") {
        None | Some("None") => false,
        Some("DeleteOldestNonDefaultVersionWhenLimitExceeded") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "RotateStrategy",
                format!(
                    "RotateStrategy must be None or DeleteOldestNonDefaultVersionWhenLimitExceeded, found {other:?}"
                ),
            )
            .into());
        }
    };
    let before = ctx
        .app()
        .authorizer()
        .snapshot()
        .directory()
        .custom_policy(name)
        .map(|p| p.next_version);
    commit(
        ctx,
        &[Change::CreatePolicyVersion {
            name: name.to_owned(),
            document: p.req("PolicyDocument")?.to_owned(),
            set_as_default: p.bool("SetAsDefault")?.unwrap_or(false),
            rotate,
        }],
    )?;
    let snapshot = ctx.app().authorizer().snapshot();
    let cp = snapshot
        .directory()
        .custom_policy(name)
        .ok_or_else(|| not_exist("Policy", name))?;
    let id = before.map(|n| format!("v{n}"));
    let version = cp
        .versions
        .iter()
        .find(|v| Some(&v.version_id) == id.as_ref())
        .or_else(|| cp.versions.iter().max_by_key(|v| v.create_date))
        .ok_or_else(|| not_exist("Policy.Version", name))?;
    Ok(obj([(
        "PolicyVersion",
        views::policy_version(version, &cp.default_version),
    )]))
}

#[require(action = "ram:GetPolicyVersion", resource = RamArn::new(t.owner, "policy", name))]
fn get_policy_version(ctx: &Ctx<'_>, t: PolicyRef<'_>, name: &str) -> R {
    let id = ctx.params().req("VersionId")?;
    let snapshot = ctx.app().authorizer().snapshot();
    let dir = snapshot.directory();
    let version = match t.policy_type {
        PolicyType::System => {
            let sp = ram_core::directory::system_policy(name).ok_or_else(|| not_exist("Policy", name))?;
            if sp.version != id {
                return Err(not_exist("Policy.Version", id).into());
            }
            json!({"VersionId": sp.version, "IsDefaultVersion": true, "PolicyDocument": sp.document, "CreateDate": "2015-04-01T00:00:00Z"})
        }
        PolicyType::Custom => {
            let cp = dir.custom_policy(name).ok_or_else(|| not_exist("Policy", name))?;
            let v = cp
                .versions
                .iter()
                .find(|v| v.version_id == id)
                .ok_or_else(|| not_exist("Policy.Version", id))?;
            views::policy_version(v, &cp.default_version)
        }
    };
    Ok(obj([("PolicyVersion", version)]))
}

#[require(action = "ram:DeletePolicyVersion", resource = arn(ctx, "policy", name))]
fn delete_policy_version(ctx: &Ctx<'_>, name: &str) -> R {
    commit(
        ctx,
        &[Change::DeletePolicyVersion {
            name: name.to_owned(),
            version: ctx.params().req("VersionId")?.to_owned(),
        }],
    )?;
    Ok(Map::new())
}

#[require(action = "ram:ListPolicyVersions", resource = RamArn::new(t.owner, "policy", name))]
fn list_policy_versions(ctx: &Ctx<'_>, t: PolicyRef<'_>, name: &str) -> R {
    let snapshot = ctx.app().authorizer().snapshot();
    let versions = match t.policy_type {
        PolicyType::System => {
            let sp = ram_core::directory::system_policy(name).ok_or_else(|| not_exist("Policy", name))?;
            vec![
                json!({"VersionId": sp.version, "IsDefaultVersion": true, "PolicyDocument": sp.document, "CreateDate": "2015-04-01T00:00:00Z"}),
            ]
        }
        PolicyType::Custom => {
            let cp = snapshot
                .directory()
                .custom_policy(name)
                .ok_or_else(|| not_exist("Policy", name))?;
            cp.versions
                .iter()
                .map(|v| views::policy_version(v, &cp.default_version))
                .collect()
        }
    };
    let (k, v) = wrapped("PolicyVersions", "PolicyVersion", versions);
    Ok([(k, v)].into_iter().collect())
}

#[require(action = "ram:SetDefaultPolicyVersion", resource = arn(ctx, "policy", name))]
fn set_default_policy_version(ctx: &Ctx<'_>, name: &str) -> R {
    commit(
        ctx,
        &[Change::SetDefaultPolicyVersion {
            name: name.to_owned(),
            version: ctx.params().req("VersionId")?.to_owned(),
        }],
    )?;
    Ok(Map::new())
}

// ---- attachments ---------------------------------------------------------------------
//
// An attachment changes both sides, so it needs the action on the policy and on the
// identity (two checks, both must pass).

fn attach(ctx: &Ctx<'_>, attach: bool, target: PolicyTarget, t: PolicyRef<'_>, name: &str) -> R {
    let (policy_type, policy) = (Some(t.policy_type), name.to_owned());
    let change = if attach {
        Change::AttachPolicy {
            target,
            policy_type,
            policy,
        }
    } else {
        Change::DetachPolicy {
            target,
            policy_type,
            policy,
        }
    };
    commit(ctx, &[change])?;
    Ok(Map::new())
}

#[require(action = "ram:AttachPolicyToUser", resource = RamArn::new(t.owner, "policy", name))]
#[require(action = "ram:AttachPolicyToUser", resource = arn(ctx, "user", user))]
fn attach_to_user(ctx: &Ctx<'_>, t: PolicyRef<'_>, name: &str, user: &str) -> R {
    attach(ctx, true, PolicyTarget::User(user.to_owned()), t, name)
}

#[require(action = "ram:DetachPolicyFromUser", resource = RamArn::new(t.owner, "policy", name))]
#[require(action = "ram:DetachPolicyFromUser", resource = arn(ctx, "user", user))]
fn detach_from_user(ctx: &Ctx<'_>, t: PolicyRef<'_>, name: &str, user: &str) -> R {
    attach(ctx, false, PolicyTarget::User(user.to_owned()), t, name)
}

#[require(action = "ram:AttachPolicyToGroup", resource = RamArn::new(t.owner, "policy", name))]
#[require(action = "ram:AttachPolicyToGroup", resource = arn(ctx, "group", group))]
fn attach_to_group(ctx: &Ctx<'_>, t: PolicyRef<'_>, name: &str, group: &str) -> R {
    attach(ctx, true, PolicyTarget::Group(group.to_owned()), t, name)
}

#[require(action = "ram:DetachPolicyFromGroup", resource = RamArn::new(t.owner, "policy", name))]
#[require(action = "ram:DetachPolicyFromGroup", resource = arn(ctx, "group", group))]
fn detach_from_group(ctx: &Ctx<'_>, t: PolicyRef<'_>, name: &str, group: &str) -> R {
    attach(ctx, false, PolicyTarget::Group(group.to_owned()), t, name)
}

#[require(action = "ram:AttachPolicyToRole", resource = RamArn::new(t.owner, "policy", name))]
#[require(action = "ram:AttachPolicyToRole", resource = arn(ctx, "role", role))]
fn attach_to_role(ctx: &Ctx<'_>, t: PolicyRef<'_>, name: &str, role: &str) -> R {
    attach(ctx, true, PolicyTarget::Role(role.to_owned()), t, name)
}

#[require(action = "ram:DetachPolicyFromRole", resource = RamArn::new(t.owner, "policy", name))]
#[require(action = "ram:DetachPolicyFromRole", resource = arn(ctx, "role", role))]
fn detach_from_role(ctx: &Ctx<'_>, t: PolicyRef<'_>, name: &str, role: &str) -> R {
    attach(ctx, false, PolicyTarget::Role(role.to_owned()), t, name)
}

fn policies_list(ctx: &Ctx<'_>, list: Option<Vec<ram_core::directory::AttachedPolicy>>, kind: &str, name: &str) -> R {
    let list = list.ok_or_else(|| not_exist(kind, name))?;
    let snapshot = ctx.app().authorizer().snapshot();
    let policies = list.iter().map(|a| views::attached(snapshot.directory(), a)).collect();
    let (k, v) = wrapped("Policies", "Policy", policies);
    Ok([(k, v)].into_iter().collect())
}

#[require(action = "ram:ListPoliciesForUser", resource = arn(ctx, "user", name))]
fn list_policies_for_user(ctx: &Ctx<'_>, name: &str) -> R {
    let list = ctx
        .app()
        .authorizer()
        .snapshot()
        .directory()
        .user(name)
        .map(|u| u.policies.clone());
    policies_list(ctx, list, "User", name)
}

#[require(action = "ram:ListPoliciesForGroup", resource = arn(ctx, "group", name))]
fn list_policies_for_group(ctx: &Ctx<'_>, name: &str) -> R {
    let list = ctx
        .app()
        .authorizer()
        .snapshot()
        .directory()
        .group(name)
        .map(|g| g.policies.clone());
    policies_list(ctx, list, "Group", name)
}

#[require(action = "ram:ListPoliciesForRole", resource = arn(ctx, "role", name))]
fn list_policies_for_role(ctx: &Ctx<'_>, name: &str) -> R {
    let list = ctx
        .app()
        .authorizer()
        .snapshot()
        .directory()
        .role(name)
        .map(|r| r.policies.clone());
    policies_list(ctx, list, "Role", name)
}

#[require(action = "ram:ListEntitiesForPolicy", resource = RamArn::new(t.owner, "policy", name))]
fn list_entities_for_policy(ctx: &Ctx<'_>, t: PolicyRef<'_>, name: &str) -> R {
    let snapshot = ctx.app().authorizer().snapshot();
    let dir = snapshot.directory();
    let exists = match t.policy_type {
        PolicyType::System => ram_core::directory::system_policy(name).is_some(),
        PolicyType::Custom => dir.custom_policy(name).is_some(),
    };
    if !exists {
        return Err(not_exist("Policy", name).into());
    }
    let find = |ps: &[ram_core::directory::AttachedPolicy]| {
        ps.iter()
            .find(|p| p.policy_type == t.policy_type && p.policy_name == name)
            .map(|p| date(p.attach_date))
    };
    let users = dir
        .users()
        .filter_map(|u| find(&u.policies).map(|d| json!({"UserId": u.user_id, "UserName": u.user_name, "DisplayName": views::text(&u.display_name), "AttachDate": d})))
        .collect();
    let groups = dir
        .groups()
        .filter_map(|g| {
            find(&g.policies)
                .map(|d| json!({"GroupName": g.group_name, "Comments": views::text(&g.comments), "AttachDate": d}))
        })
        .collect();
    let roles = dir
        .roles()
        .filter_map(|r| find(&r.policies).map(|d| json!({"RoleId": r.role_id, "RoleName": r.role_name, "Arn": r.arn, "Description": views::text(&r.description), "AttachDate": d})))
        .collect();
    Ok([
        wrapped("Users", "User", users),
        wrapped("Groups", "Group", groups),
        wrapped("Roles", "Role", roles),
    ]
    .into_iter()
    .collect())
}

// ---- account settings ----------------------------------------------------------------

#[require(action = "ram:GetPasswordPolicy", resource = account_arn(ctx))]
fn get_password_policy(ctx: &Ctx<'_>) -> R {
    let policy = ctx.app().authorizer().snapshot().directory().password_policy().clone();
    let v = serde_json::to_value(&policy).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(obj([("PasswordPolicy", v)]))
}

#[require(action = "ram:SetPasswordPolicy", resource = account_arn(ctx))]
fn set_password_policy(ctx: &Ctx<'_>) -> R {
    let p = ctx.params();
    let mut policy: PasswordPolicy = ctx.app().authorizer().snapshot().directory().password_policy().clone();
    if let Some(v) = p.u32("MinimumPasswordLength")? {
        policy.minimum_password_length = v;
    }
    if let Some(v) = p.bool("RequireLowercaseCharacters")? {
        policy.require_lowercase_characters = v;
    }
    if let Some(v) = p.bool("RequireUppercaseCharacters")? {
        policy.require_uppercase_characters = v;
    }
    if let Some(v) = p.bool("RequireNumbers")? {
        policy.require_numbers = v;
    }
    if let Some(v) = p.bool("RequireSymbols")? {
        policy.require_symbols = v;
    }
    if let Some(v) = p.u32("MaxPasswordAge")? {
        policy.max_password_age = v;
    }
    if let Some(v) = p.u32("PasswordReusePrevention")? {
        policy.password_reuse_prevention = v;
    }
    if let Some(v) = p.u32("MaxLoginAttemps")? {
        policy.max_login_attempts = v;
    }
    if let Some(v) = p.bool("HardExpiry")? {
        policy.hard_expiry = v;
    }
    commit(ctx, &[Change::SetPasswordPolicy(policy.clone())])?;
    let v = serde_json::to_value(&policy).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(obj([("PasswordPolicy", v)]))
}

fn security_preference_view(sp: &SecurityPreference) -> Value {
    json!({
        "LoginProfilePreference": { "LoginSessionDuration": sp.login_session_duration },
        "AccessKeyPreference": {},
        "MFAPreference": {},
        // This directory's own switches (no RAM API field holds them).
        "RefuseRootAccessKeys": sp.refuse_root_access_keys,
        "ForbidPasswordWithAccessKeys": sp.forbid_password_with_access_keys,
    })
}

#[require(action = "ram:GetSecurityPreference", resource = account_arn(ctx))]
fn get_security_preference(ctx: &Ctx<'_>) -> R {
    let sp = ctx
        .app()
        .authorizer()
        .snapshot()
        .directory()
        .security_preference()
        .clone();
    Ok(obj([("SecurityPreference", security_preference_view(&sp))]))
}

#[require(action = "ram:SetSecurityPreference", resource = account_arn(ctx))]
fn set_security_preference(ctx: &Ctx<'_>) -> R {
    let p = ctx.params();
    let mut sp = ctx
        .app()
        .authorizer()
        .snapshot()
        .directory()
        .security_preference()
        .clone();
    if let Some(v) = p.u32("LoginSessionDuration")? {
        sp.login_session_duration = v;
    }
    if let Some(v) = p.bool("RefuseRootAccessKeys")? {
        sp.refuse_root_access_keys = v;
    }
    if let Some(v) = p.bool("ForbidPasswordWithAccessKeys")? {
        sp.forbid_password_with_access_keys = v;
    }
    commit(ctx, &[Change::SetSecurityPreference(sp.clone())])?;
    Ok(obj([("SecurityPreference", security_preference_view(&sp))]))
}
