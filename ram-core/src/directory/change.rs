//! Changes to a directory and their all-or-nothing application.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::error::{DirectoryError, EntityKind};
use super::names::{
    check_comments, check_description, check_display_name, check_email, check_group_name, check_mfa_device_name,
    check_mobile_phone, check_new_group_name, check_new_user_name, check_policy_name, check_role_name, check_user_name,
    random_alphanumeric,
};
use super::password::{Argon2Params, PasswordPolicy, check_hash};
use super::session::SessionKey;
use super::system::system_policy;
use super::{
    AccessKey, AccessKeyStatus, AttachedPolicy, CustomPolicy, Directory, Group, LoginProfile, MfaDevice, PolicyType,
    PolicyVersion, Role, SecurityPreference, User, mfa,
};
use crate::policy::ParseOptions;

/// Who a policy is attached to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PolicyTarget {
    /// A user.
    User(String),
    /// A group.
    Group(String),
    /// A role.
    Role(String),
}

/// One change to a directory. Changes are data, so a batch can be journaled and replayed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Change {
    /// CreateUser.
    CreateUser {
        /// UserName.
        name: String,
        /// DisplayName.
        display_name: Option<String>,
    },
    /// DeleteUser; with `cascade`, also its keys, memberships, attachments, login profile and
    /// MFA binding (as the console does), otherwise `DeleteConflict.User.*` while any remain.
    DeleteUser {
        /// UserName.
        name: String,
        /// Remove everything that references the user first.
        cascade: bool,
    },
    /// UpdateUser: each field given replaces the stored one. A new name moves everything
    /// that refers to the user by name (group members, key owners, the MFA binding) and
    /// keeps its UserId; console sessions opened under the old name end.
    UpdateUser {
        /// UserName.
        name: String,
        /// NewUserName (the UserName rules; `EntityAlreadyExists.User` if taken).
        new_name: Option<String>,
        /// NewDisplayName, 1–128 characters.
        display_name: Option<String>,
        /// NewMobilePhone, `<country code>-<number>`.
        mobile_phone: Option<String>,
        /// NewEmail.
        email: Option<String>,
        /// NewComments, 1–128 characters.
        comments: Option<String>,
    },
    /// CreateGroup.
    CreateGroup {
        /// GroupName.
        name: String,
    },
    /// UpdateGroup: a new name moves every member's membership and keeps the GroupId.
    UpdateGroup {
        /// GroupName.
        name: String,
        /// NewGroupName (the GroupName rules; `EntityAlreadyExists.Group` if taken).
        new_name: Option<String>,
        /// NewComments, 1–128 characters.
        comments: Option<String>,
    },
    /// DeleteGroup: refused while it has members or attached policies.
    DeleteGroup {
        /// GroupName.
        name: String,
    },
    /// AddUserToGroup.
    AddUserToGroup {
        /// GroupName.
        group: String,
        /// UserName.
        user: String,
    },
    /// RemoveUserFromGroup.
    RemoveUserFromGroup {
        /// GroupName.
        group: String,
        /// UserName.
        user: String,
    },
    /// CreateRole.
    CreateRole {
        /// RoleName.
        name: String,
        /// AssumeRolePolicyDocument (a trust policy).
        trust_policy: String,
        /// MaxSessionDuration in seconds (3,600–43,200; default 3,600).
        max_session_duration: Option<u32>,
    },
    /// UpdateRole.
    UpdateRole {
        /// RoleName.
        name: String,
        /// New trust policy.
        trust_policy: Option<String>,
        /// New MaxSessionDuration.
        max_session_duration: Option<u32>,
    },
    /// A role's Description (CreateRole's `Description`, UpdateRole's `NewDescription`),
    /// 1–1,024 characters.
    SetRoleDescription {
        /// RoleName.
        name: String,
        /// Description.
        description: String,
    },
    /// DeleteRole: refused while policies are attached.
    DeleteRole {
        /// RoleName.
        name: String,
    },
    /// Revokes every STS session of a role issued before `before` (ours; RAM has no such
    /// call). A later revocation replaces an earlier one, so it can also be moved back.
    RevokeRoleSessions {
        /// RoleName.
        name: String,
        /// Sessions issued strictly before this instant are refused from now on.
        before: Timestamp,
    },
    /// CreatePolicy (custom; its first version is `v1`).
    CreatePolicy {
        /// PolicyName.
        name: String,
        /// PolicyDocument.
        document: String,
        /// Description.
        description: String,
    },
    /// UpdatePolicyDescription (custom policies only; system policies are read-only).
    UpdatePolicyDescription {
        /// PolicyName.
        name: String,
        /// NewDescription, up to 1,024 characters; empty clears it.
        description: String,
    },
    /// CreatePolicyVersion.
    CreatePolicyVersion {
        /// PolicyName.
        name: String,
        /// PolicyDocument.
        document: String,
        /// Make it the default version.
        set_as_default: bool,
        /// `DeleteOldestNonDefaultVersionWhenLimitExceeded` instead of failing at the limit.
        rotate: bool,
    },
    /// SetDefaultPolicyVersion.
    SetDefaultPolicyVersion {
        /// PolicyName.
        name: String,
        /// VersionId.
        version: String,
    },
    /// DeletePolicyVersion: the default version cannot be deleted.
    DeletePolicyVersion {
        /// PolicyName.
        name: String,
        /// VersionId.
        version: String,
    },
    /// DeletePolicy: refused while attached, or while it has non-default versions unless `cascade`.
    DeletePolicy {
        /// PolicyName.
        name: String,
        /// Also delete non-default versions.
        cascade: bool,
    },
    /// AttachPolicyToUser / Group / Role. Without a type, the custom policy of that name is
    /// meant if one exists, else the system policy.
    AttachPolicy {
        /// Who gets it.
        target: PolicyTarget,
        /// System or Custom, or resolve by name.
        policy_type: Option<PolicyType>,
        /// PolicyName.
        policy: String,
    },
    /// DetachPolicyFromUser / Group / Role.
    DetachPolicy {
        /// Who loses it.
        target: PolicyTarget,
        /// System or Custom, or resolve by name.
        policy_type: Option<PolicyType>,
        /// PolicyName.
        policy: String,
    },
    /// Adds a guardrail policy bounding every RAM identity of the account.
    AttachGuardrail {
        /// System or Custom, or resolve by name.
        policy_type: Option<PolicyType>,
        /// PolicyName.
        policy: String,
    },
    /// Removes a guardrail policy.
    DetachGuardrail {
        /// System or Custom, or resolve by name.
        policy_type: Option<PolicyType>,
        /// PolicyName.
        policy: String,
    },
    /// CreateAccessKey with an id and secret drawn beforehand (see [`Change::create_access_key`]).
    CreateAccessKey {
        /// UserName.
        user: String,
        /// AccessKeyId.
        access_key_id: String,
        /// AccessKeySecret.
        access_key_secret: String,
    },
    /// UpdateAccessKey.
    UpdateAccessKey {
        /// UserName.
        user: String,
        /// AccessKeyId.
        access_key_id: String,
        /// New status.
        status: AccessKeyStatus,
    },
    /// DeleteAccessKey.
    DeleteAccessKey {
        /// UserName.
        user: String,
        /// AccessKeyId.
        access_key_id: String,
    },
    /// Records that an access key authenticated a request at `now` (its
    /// `AccessKeyLastUsed`). Touches no permission, so no policy set is recompiled; callers
    /// that see many requests should record a key at most once a minute or so.
    RecordAccessKeyUse {
        /// UserName.
        user: String,
        /// AccessKeyId.
        access_key_id: String,
    },
    /// SetSecurityPreference.
    SetSecurityPreference(SecurityPreference),
    /// SetPasswordPolicy: every field within RAM's range (`InvalidParameter.<Field>.Range`).
    SetPasswordPolicy(PasswordPolicy),
    /// CreateLoginProfile with a password hashed beforehand
    /// ([`Directory::hash_new_password`], [`Change::create_login_profile`]).
    CreateLoginProfile {
        /// UserName.
        user: String,
        /// argon2id PHC string.
        password_hash: String,
        /// The user must change the password at the next login.
        password_reset_required: bool,
        /// The user must bind an MFA device at the next login.
        mfa_bind_required: bool,
    },
    /// UpdateLoginProfile (an administrator): a new password resets its age, the failed
    /// attempts and any lock.
    UpdateLoginProfile {
        /// UserName.
        user: String,
        /// New argon2id PHC string.
        password_hash: Option<String>,
        /// New PasswordResetRequired.
        password_reset_required: Option<bool>,
        /// New MFABindRequired.
        mfa_bind_required: Option<bool>,
    },
    /// DeleteLoginProfile.
    DeleteLoginProfile {
        /// UserName.
        user: String,
    },
    /// ChangePassword (the user, see [`Directory::change_password`]): also clears
    /// PasswordResetRequired, the failed attempts and any lock.
    ChangePassword {
        /// UserName.
        user: String,
        /// New argon2id PHC string.
        password_hash: String,
    },
    /// A failed console login at the time of the batch: counted, and `MaxLoginAttemps`
    /// failures within an hour lock the login profile for an hour.
    RecordLoginFailure {
        /// UserName.
        user: String,
        /// The UserId the login was checked against: refused if the name now belongs to
        /// another user (renamed in between), so one user's attempts never count for another.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<String>,
    },
    /// A successful console login: clears the failed attempts, sets `LastLoginDate`.
    RecordLoginSuccess {
        /// UserName.
        user: String,
        /// As for `RecordLoginFailure`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_id: Option<String>,
    },
    /// An MFA code of `step` was accepted: no code of that step or earlier is accepted
    /// again (`CheckAuthenticationCodeFail` if one already was).
    UseMfaCode {
        /// SerialNumber.
        serial: String,
        /// The TOTP step.
        step: u64,
    },
    /// CreateVirtualMFADevice with a seed drawn beforehand (see
    /// [`Change::create_virtual_mfa_device`]); its serial is `acs:ram::<account>:mfa/<name>`.
    CreateVirtualMfaDevice {
        /// VirtualMFADeviceName.
        name: String,
        /// Base32StringSeed.
        base32_string_seed: String,
    },
    /// DeleteVirtualMFADevice: refused while bound (`DeleteConflict.VirtualMFADevice.User`).
    DeleteVirtualMfaDevice {
        /// SerialNumber.
        serial: String,
    },
    /// BindMFADevice: the codes of two consecutive steps, the second within the window of
    /// the batch's time, both unused (`CheckAuthenticationCodeFail` otherwise).
    BindMfaDevice {
        /// UserName.
        user: String,
        /// SerialNumber.
        serial: String,
        /// AuthenticationCode1.
        code1: String,
        /// AuthenticationCode2.
        code2: String,
    },
    /// UnbindMFADevice.
    UnbindMfaDevice {
        /// UserName.
        user: String,
    },
    /// Sets the console-session key if there is none yet (the first login draws it).
    InitConsoleSessionKey {
        /// The key.
        key: SessionKey,
    },
    /// Replaces the console-session key: every console session ends.
    RotateConsoleSessionKey {
        /// The key.
        key: SessionKey,
    },
}

/// Field names whose values are secrets, replaced in `Debug`.
const SECRET_FIELDS: [&str; 6] = [
    "access_key_secret",
    "password_hash",
    "base32_string_seed",
    "code1",
    "code2",
    "key",
];

fn redact(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if SECRET_FIELDS.contains(&k.as_str()) {
                    if !v.is_null() {
                        *v = serde_json::Value::String("<redacted>".to_owned());
                    }
                } else {
                    redact(v);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

impl std::fmt::Debug for Change {
    /// The change's JSON form with every secret (access key secret, password hash, MFA seed
    /// and codes, session key) replaced by `"<redacted>"`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut json = serde_json::to_value(self).map_err(|_| std::fmt::Error)?;
        redact(&mut json);
        f.write_str(&json.to_string())
    }
}

impl Change {
    /// A `CreateAccessKey` with a fresh `LTAI…` id and a 30-character secret from the OS
    /// random source.
    pub fn create_access_key(user: &str) -> Result<Change, getrandom::Error> {
        Ok(Change::CreateAccessKey {
            user: user.to_owned(),
            access_key_id: format!("LTAI{}", random_alphanumeric(20)?),
            access_key_secret: random_alphanumeric(30)?,
        })
    }

    /// A `CreateVirtualMfaDevice` with a fresh 64-character base32 seed from the OS random
    /// source. The seed is in the change: show it to the user once, as RAM does.
    pub fn create_virtual_mfa_device(name: &str) -> Result<Change, getrandom::Error> {
        Ok(Change::CreateVirtualMfaDevice {
            name: name.to_owned(),
            base32_string_seed: mfa::new_seed()?,
        })
    }

    /// A `CreateLoginProfile` for `user` with `password` checked against `dir`'s password
    /// policy and hashed at the recommended argon2id cost.
    pub fn create_login_profile(
        dir: &Directory,
        user: &str,
        password: &str,
        password_reset_required: bool,
        mfa_bind_required: bool,
    ) -> Result<Change, DirectoryError> {
        Ok(Change::CreateLoginProfile {
            user: user.to_owned(),
            password_hash: dir.hash_new_password(user, password, Argon2Params::default())?,
            password_reset_required,
            mfa_bind_required,
        })
    }

    /// An `UpdateLoginProfile` (administrator reset): a new password is checked against the
    /// policy and `PasswordReusePrevention` and hashed at the recommended cost.
    pub fn update_login_profile(
        dir: &Directory,
        user: &str,
        password: Option<&str>,
        password_reset_required: Option<bool>,
        mfa_bind_required: Option<bool>,
    ) -> Result<Change, DirectoryError> {
        let password_hash = password
            .map(|p| dir.hash_new_password(user, p, Argon2Params::default()))
            .transpose()?;
        Ok(Change::UpdateLoginProfile {
            user: user.to_owned(),
            password_hash,
            password_reset_required,
            mfa_bind_required,
        })
    }

    /// A `RotateConsoleSessionKey` with 32 bytes from the OS random source.
    pub fn rotate_console_session_key() -> Result<Change, getrandom::Error> {
        Ok(Change::RotateConsoleSessionKey {
            key: SessionKey::generate()?,
        })
    }
}

/// Which content checks a batch goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Checks {
    /// Every check of this version: a batch being applied now.
    Current,
    /// Only the checks a journal's batches already passed when they were written.
    AsRecorded,
}

/// What a batch touched, so a compiled snapshot can be updated incrementally.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dirty {
    /// Users whose own attachments, memberships, keys or existence changed.
    pub users: BTreeSet<String>,
    /// Groups whose attachments changed (every member is affected).
    pub groups: BTreeSet<String>,
    /// Roles whose attachments, trust policy or existence changed.
    pub roles: BTreeSet<String>,
    /// Custom policies whose default document changed (everything attached is affected).
    pub policies: BTreeSet<String>,
    /// The guardrail list changed.
    pub guardrails: bool,
}

impl Dirty {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == Dirty::default()
    }
}

impl Directory {
    /// Applies a batch of changes at the current time: all of them, or none.
    pub fn apply(&mut self, changes: &[Change]) -> Result<Dirty, DirectoryError> {
        self.apply_at(changes, Timestamp::now())
    }

    /// Applies a batch of changes as of `now`: all of them, or none (on error the directory
    /// is exactly as before). Deterministic for a given `now`, so a journal can replay it.
    pub fn apply_at(&mut self, changes: &[Change], now: Timestamp) -> Result<Dirty, DirectoryError> {
        self.apply_batch(changes, now, Checks::Current)
    }

    /// Replays a batch that a journal recorded as accepted: like [`Directory::apply_at`],
    /// except that the content checks added after a change type was first written to
    /// journals (a user's `DisplayName`, a policy's `Description`) are skipped, so a journal
    /// written by an older version still loads instead of failing on data it once accepted.
    pub fn replay_at(&mut self, changes: &[Change], now: Timestamp) -> Result<Dirty, DirectoryError> {
        self.apply_batch(changes, now, Checks::AsRecorded)
    }

    fn apply_batch(&mut self, changes: &[Change], now: Timestamp, checks: Checks) -> Result<Dirty, DirectoryError> {
        let mut next = self.clone();
        let mut dirty = Dirty::default();
        for change in changes {
            next.apply_one(change, now, checks, &mut dirty)?;
        }
        *self = next;
        Ok(dirty)
    }

    fn new_id(&mut self, prefix: u8) -> String {
        self.next_id += 1;
        format!("{prefix}{:015}", self.next_id)
    }

    fn user_mut(&mut self, name: &str) -> Result<&mut User, DirectoryError> {
        self.users
            .get_mut(name)
            .ok_or_else(|| DirectoryError::not_exist(EntityKind::User, name))
    }

    /// Resolves a policy name for attachment: custom first when no type is given.
    fn resolve(&self, policy_type: Option<PolicyType>, name: &str) -> Result<(PolicyType, String), DirectoryError> {
        let custom = || {
            self.policies
                .get(name)
                .map(|p| (PolicyType::Custom, p.policy_name.clone()))
        };
        let system = || system_policy(name).map(|p| (PolicyType::System, p.name.to_owned()));
        let found = match policy_type {
            Some(PolicyType::Custom) => custom(),
            Some(PolicyType::System) => system(),
            None => custom().or_else(system),
        };
        found.ok_or_else(|| DirectoryError::not_exist(EntityKind::Policy, name))
    }

    fn apply_one(
        &mut self,
        change: &Change,
        now: Timestamp,
        checks: Checks,
        dirty: &mut Dirty,
    ) -> Result<(), DirectoryError> {
        match change {
            Change::CreateUser { name, display_name } => {
                check_user_name(name)?;
                if let Some(d) = display_name
                    && checks == Checks::Current
                {
                    check_display_name(d, "DisplayName")?;
                }
                if self.users.contains_key(name) {
                    return Err(DirectoryError::exists(EntityKind::User, name));
                }
                if self.users.len() >= self.quotas.users {
                    return Err(DirectoryError::limit(
                        "LimitExceeded.User",
                        format!("the account already has {} users, the quota", self.quotas.users),
                    ));
                }
                let user_id = self.new_id(2);
                self.users.insert(
                    name.clone(),
                    User {
                        user_name: name.clone(),
                        user_id,
                        display_name: display_name.clone(),
                        mobile_phone: None,
                        email: None,
                        comments: None,
                        create_date: now,
                        update_date: None,
                        groups: Vec::new(),
                        policies: Vec::new(),
                        access_keys: Vec::new(),
                        login_profile: None,
                        mfa_device: None,
                        last_login_date: None,
                        renamed_date: None,
                    },
                );
                dirty.users.insert(name.clone());
            }
            Change::DeleteUser { name, cascade } => self.delete_user(name, *cascade, dirty)?,
            Change::UpdateUser {
                name,
                new_name,
                display_name,
                mobile_phone,
                email,
                comments,
            } => {
                // Named as UpdateUser's parameters; CreateUser's handlers check theirs first.
                display_name
                    .as_deref()
                    .map(|v| check_display_name(v, "NewDisplayName"))
                    .transpose()?;
                mobile_phone
                    .as_deref()
                    .map(|v| check_mobile_phone(v, "NewMobilePhone"))
                    .transpose()?;
                email.as_deref().map(|v| check_email(v, "NewEmail")).transpose()?;
                comments
                    .as_deref()
                    .map(|v| check_comments(v, "NewComments"))
                    .transpose()?;
                let u = self.user_mut(name)?;
                let set = |field: &mut Option<String>, value: &Option<String>| {
                    if value.is_some() {
                        field.clone_from(value);
                    }
                };
                set(&mut u.display_name, display_name);
                set(&mut u.mobile_phone, mobile_phone);
                set(&mut u.email, email);
                set(&mut u.comments, comments);
                u.update_date = Some(now);
                if let Some(new) = new_name.as_deref().filter(|n| n != name) {
                    self.rename_user(name, new, now, dirty)?;
                }
            }
            Change::CreateGroup { name } => {
                check_group_name(name)?;
                if self.groups.contains_key(name) {
                    return Err(DirectoryError::exists(EntityKind::Group, name));
                }
                if self.groups.len() >= self.quotas.groups {
                    return Err(DirectoryError::limit(
                        "LimitExceeded.Group",
                        format!("the account already has {} groups, the quota", self.quotas.groups),
                    ));
                }
                let group_id = self.new_id(3);
                self.groups.insert(
                    name.clone(),
                    Group {
                        group_name: name.clone(),
                        group_id,
                        comments: None,
                        create_date: now,
                        update_date: None,
                        members: Vec::new(),
                        join_dates: Default::default(),
                        policies: Vec::new(),
                    },
                );
            }
            Change::UpdateGroup {
                name,
                new_name,
                comments,
            } => {
                comments
                    .as_deref()
                    .map(|v| check_comments(v, "NewComments"))
                    .transpose()?;
                let group = self
                    .groups
                    .get_mut(name)
                    .ok_or_else(|| DirectoryError::not_exist(EntityKind::Group, name))?;
                if comments.is_some() {
                    group.comments.clone_from(comments);
                }
                group.update_date = Some(now);
                if let Some(new) = new_name.as_deref().filter(|n| n != name) {
                    self.rename_group(name, new, dirty)?;
                }
            }
            Change::DeleteGroup { name } => {
                let group = self
                    .groups
                    .get(name)
                    .ok_or_else(|| DirectoryError::not_exist(EntityKind::Group, name))?;
                if !group.members.is_empty() {
                    return Err(DirectoryError::conflict(
                        "DeleteConflict.Group.User",
                        format!(
                            "group {name:?} still has {} member(s); remove them first",
                            group.members.len()
                        ),
                    ));
                }
                if !group.policies.is_empty() {
                    return Err(DirectoryError::conflict(
                        "DeleteConflict.Group.Policy",
                        format!(
                            "group {name:?} still has {} attached policies; detach them first",
                            group.policies.len()
                        ),
                    ));
                }
                self.groups.remove(name);
            }
            Change::AddUserToGroup { group, user } => {
                if !self.groups.contains_key(group) {
                    return Err(DirectoryError::not_exist(EntityKind::Group, group));
                }
                let limit = self.quotas.groups_per_user;
                let u = self.user_mut(user)?;
                if u.groups.contains(group) {
                    return Err(DirectoryError::exists(
                        EntityKind::User,
                        &format!("{user} in group {group}"),
                    ));
                }
                if u.groups.len() >= limit {
                    return Err(DirectoryError::limit(
                        "LimitExceeded.User.Group",
                        format!("user {user:?} is already in {limit} groups, the quota"),
                    ));
                }
                u.groups.push(group.clone());
                if let Some(g) = self.groups.get_mut(group) {
                    g.members.push(user.clone());
                    g.join_dates.insert(user.clone(), now);
                }
                dirty.users.insert(user.clone());
            }
            Change::RemoveUserFromGroup { group, user } => {
                if !self.groups.contains_key(group) {
                    return Err(DirectoryError::not_exist(EntityKind::Group, group));
                }
                let u = self.user_mut(user)?;
                let before = u.groups.len();
                u.groups.retain(|g| g != group);
                if u.groups.len() == before {
                    return Err(DirectoryError::not_exist(
                        EntityKind::User,
                        &format!("{user} in group {group}"),
                    ));
                }
                if let Some(g) = self.groups.get_mut(group) {
                    g.members.retain(|m| m != user);
                    g.join_dates.remove(user);
                }
                dirty.users.insert(user.clone());
            }
            Change::CreateRole {
                name,
                trust_policy,
                max_session_duration,
            } => {
                check_role_name(name)?;
                if self.roles.contains_key(name) {
                    return Err(DirectoryError::exists(EntityKind::Role, name));
                }
                if self.roles.len() >= self.quotas.roles {
                    return Err(DirectoryError::limit(
                        "LimitExceeded.Role",
                        format!("the account already has {} roles, the quota", self.quotas.roles),
                    ));
                }
                self.check_trust_policy(trust_policy)?;
                let max = check_max_session_duration(max_session_duration.unwrap_or(3_600))?;
                let role_id = self.new_id(3);
                let arn = self.role_arn(name);
                self.roles.insert(
                    name.clone(),
                    Role {
                        role_name: name.clone(),
                        role_id,
                        arn,
                        description: None,
                        assume_role_policy_document: trust_policy.clone(),
                        max_session_duration: max,
                        create_date: now,
                        update_date: None,
                        policies: Vec::new(),
                        sessions_revoked_before: None,
                    },
                );
                dirty.roles.insert(name.clone());
            }
            Change::UpdateRole {
                name,
                trust_policy,
                max_session_duration,
            } => {
                if let Some(t) = trust_policy {
                    self.check_trust_policy(t)?;
                }
                let max = max_session_duration.map(check_max_session_duration).transpose()?;
                let role = self
                    .roles
                    .get_mut(name)
                    .ok_or_else(|| DirectoryError::not_exist(EntityKind::Role, name))?;
                if let Some(t) = trust_policy {
                    role.assume_role_policy_document = t.clone();
                }
                if let Some(m) = max {
                    role.max_session_duration = m;
                }
                role.update_date = Some(now);
                dirty.roles.insert(name.clone());
            }
            Change::SetRoleDescription { name, description } => {
                check_description(description, "Description")?;
                let role = self
                    .roles
                    .get_mut(name)
                    .ok_or_else(|| DirectoryError::not_exist(EntityKind::Role, name))?;
                role.description = Some(description.clone());
                role.update_date = Some(now);
                // No policy set changes: a description decides nothing.
            }
            Change::RevokeRoleSessions { name, before } => {
                let role = self
                    .roles
                    .get_mut(name)
                    .ok_or_else(|| DirectoryError::not_exist(EntityKind::Role, name))?;
                role.sessions_revoked_before = Some(*before);
                // No policy set changes: sessions read the role live at each check.
            }
            Change::DeleteRole { name } => {
                let role = self
                    .roles
                    .get(name)
                    .ok_or_else(|| DirectoryError::not_exist(EntityKind::Role, name))?;
                if !role.policies.is_empty() {
                    return Err(DirectoryError::conflict(
                        "DeleteConflict.Role.Policy",
                        format!(
                            "role {name:?} still has {} attached policies; detach them first",
                            role.policies.len()
                        ),
                    ));
                }
                self.roles.remove(name);
                dirty.roles.insert(name.clone());
            }
            Change::CreatePolicy {
                name,
                document,
                description,
            } => {
                check_policy_name(name)?;
                if !description.is_empty() && checks == Checks::Current {
                    check_description(description, "Description")?;
                }
                if self.policies.contains_key(name)
                    || system_policy(name).is_some()
                    || self.policies.keys().any(|k| k.eq_ignore_ascii_case(name))
                {
                    return Err(DirectoryError::exists(EntityKind::Policy, name));
                }
                if self.policies.len() >= self.quotas.custom_policies {
                    return Err(DirectoryError::limit(
                        "LimitExceeded.Policy",
                        format!(
                            "the account already has {} custom policies, the quota",
                            self.quotas.custom_policies
                        ),
                    ));
                }
                self.validate_document(document)?;
                self.policies.insert(
                    name.clone(),
                    CustomPolicy {
                        policy_name: name.clone(),
                        description: description.clone(),
                        default_version: "v1".to_owned(),
                        versions: vec![PolicyVersion {
                            version_id: "v1".to_owned(),
                            policy_document: document.clone(),
                            create_date: now,
                        }],
                        next_version: 2,
                        create_date: now,
                        description_date: None,
                    },
                );
                dirty.policies.insert(name.clone());
            }
            Change::UpdatePolicyDescription { name, description } => {
                if !description.is_empty() {
                    check_description(description, "NewDescription")?;
                }
                let policy = self.custom_mut(name)?;
                policy.description.clone_from(description);
                policy.description_date = Some(now);
                // No policy set changes: a description decides nothing.
            }
            Change::CreatePolicyVersion {
                name,
                document,
                set_as_default,
                rotate,
            } => {
                self.validate_document(document)?;
                let limit = self.quotas.versions_per_policy;
                let policy = self.custom_mut(name)?;
                if policy.versions.len() >= limit {
                    let oldest = policy
                        .versions
                        .iter()
                        .position(|v| v.version_id != policy.default_version);
                    match (rotate, oldest) {
                        (true, Some(i)) => {
                            policy.versions.remove(i);
                        }
                        _ => {
                            return Err(DirectoryError::limit(
                                "LimitExceeded.Policy.Version",
                                format!(
                                    "policy {name:?} already has {limit} versions, the quota; delete one or rotate"
                                ),
                            ));
                        }
                    }
                }
                let id = format!("v{}", policy.next_version);
                policy.next_version += 1;
                policy.versions.push(PolicyVersion {
                    version_id: id.clone(),
                    policy_document: document.clone(),
                    create_date: now,
                });
                if *set_as_default {
                    policy.default_version = id;
                    dirty.policies.insert(name.clone());
                }
            }
            Change::SetDefaultPolicyVersion { name, version } => {
                let policy = self.custom_mut(name)?;
                if !policy.versions.iter().any(|v| v.version_id == *version) {
                    return Err(DirectoryError::not_exist(
                        EntityKind::PolicyVersion,
                        &format!("{name} {version}"),
                    ));
                }
                policy.default_version = version.clone();
                dirty.policies.insert(name.clone());
            }
            Change::DeletePolicyVersion { name, version } => {
                let policy = self.custom_mut(name)?;
                if policy.default_version == *version {
                    return Err(DirectoryError::conflict(
                        "DeleteConflict.Policy.Version.Default",
                        format!("{version} is the default version of policy {name:?}; set another default first"),
                    ));
                }
                let before = policy.versions.len();
                policy.versions.retain(|v| v.version_id != *version);
                if policy.versions.len() == before {
                    return Err(DirectoryError::not_exist(
                        EntityKind::PolicyVersion,
                        &format!("{name} {version}"),
                    ));
                }
            }
            Change::DeletePolicy { name, cascade } => {
                let policy = self
                    .policies
                    .get(name)
                    .ok_or_else(|| DirectoryError::not_exist(EntityKind::Policy, name))?;
                let attached = |list: &[AttachedPolicy]| {
                    list.iter()
                        .any(|a| a.policy_type == PolicyType::Custom && a.policy_name == *name)
                };
                if self.users.values().any(|u| attached(&u.policies)) {
                    return Err(DirectoryError::conflict(
                        "DeleteConflict.Policy.User",
                        format!("policy {name:?} is attached to users; detach it first"),
                    ));
                }
                if self.groups.values().any(|g| attached(&g.policies)) {
                    return Err(DirectoryError::conflict(
                        "DeleteConflict.Policy.Group",
                        format!("policy {name:?} is attached to groups; detach it first"),
                    ));
                }
                if self.roles.values().any(|r| attached(&r.policies)) {
                    return Err(DirectoryError::conflict(
                        "DeleteConflict.Policy.Role",
                        format!("policy {name:?} is attached to roles; detach it first"),
                    ));
                }
                if attached(&self.guardrails) {
                    return Err(DirectoryError::conflict(
                        "DeleteConflict.Policy.Guardrail",
                        format!("policy {name:?} is a guardrail; detach it first"),
                    ));
                }
                if policy.versions.len() > 1 && !cascade {
                    return Err(DirectoryError::conflict(
                        "DeleteConflict.Policy.Version",
                        format!("policy {name:?} has non-default versions; delete them first or delete with cascade"),
                    ));
                }
                self.policies.remove(name);
                dirty.policies.insert(name.clone());
            }
            Change::AttachPolicy {
                target,
                policy_type,
                policy,
            } => {
                let (ty, name) = self.resolve(*policy_type, policy)?;
                let quotas = self.quotas.clone();
                let (list, kind, label, sys_limit, custom_limit) = match target {
                    PolicyTarget::User(u) => {
                        dirty.users.insert(u.clone());
                        let user = self.user_mut(u)?;
                        (
                            &mut user.policies,
                            "User",
                            u,
                            quotas.system_policies_per_user,
                            quotas.custom_policies_per_user,
                        )
                    }
                    PolicyTarget::Group(g) => {
                        dirty.groups.insert(g.clone());
                        let group = self
                            .groups
                            .get_mut(g)
                            .ok_or_else(|| DirectoryError::not_exist(EntityKind::Group, g))?;
                        (
                            &mut group.policies,
                            "Group",
                            g,
                            quotas.system_policies_per_group,
                            quotas.custom_policies_per_group,
                        )
                    }
                    PolicyTarget::Role(r) => {
                        dirty.roles.insert(r.clone());
                        let role = self
                            .roles
                            .get_mut(r)
                            .ok_or_else(|| DirectoryError::not_exist(EntityKind::Role, r))?;
                        (
                            &mut role.policies,
                            "Role",
                            r,
                            quotas.system_policies_per_role,
                            quotas.custom_policies_per_role,
                        )
                    }
                };
                if list.iter().any(|a| a.policy_type == ty && a.policy_name == name) {
                    return Err(DirectoryError::exists(
                        EntityKind::Policy,
                        &format!("{name} attached to {} {label}", kind.to_lowercase()),
                    ));
                }
                let count = list.iter().filter(|a| a.policy_type == ty).count();
                let limit = if ty == PolicyType::System {
                    sys_limit
                } else {
                    custom_limit
                };
                if count >= limit {
                    return Err(DirectoryError::limit(
                        &format!("LimitExceeded.{kind}.Policy"),
                        format!(
                            "{} {label:?} already has {limit} {} policies attached, the quota",
                            kind.to_lowercase(),
                            ty.as_str().to_lowercase()
                        ),
                    ));
                }
                list.push(AttachedPolicy {
                    policy_type: ty,
                    policy_name: name,
                    attach_date: now,
                });
            }
            Change::DetachPolicy {
                target,
                policy_type,
                policy,
            } => {
                let (ty, name) = self.resolve(*policy_type, policy)?;
                let list = match target {
                    PolicyTarget::User(u) => {
                        dirty.users.insert(u.clone());
                        &mut self.user_mut(u)?.policies
                    }
                    PolicyTarget::Group(g) => {
                        dirty.groups.insert(g.clone());
                        &mut self
                            .groups
                            .get_mut(g)
                            .ok_or_else(|| DirectoryError::not_exist(EntityKind::Group, g))?
                            .policies
                    }
                    PolicyTarget::Role(r) => {
                        dirty.roles.insert(r.clone());
                        &mut self
                            .roles
                            .get_mut(r)
                            .ok_or_else(|| DirectoryError::not_exist(EntityKind::Role, r))?
                            .policies
                    }
                };
                let before = list.len();
                list.retain(|a| !(a.policy_type == ty && a.policy_name == name));
                if list.len() == before {
                    return Err(DirectoryError::not_exist(
                        EntityKind::Policy,
                        &format!("{name} (not attached)"),
                    ));
                }
            }
            Change::AttachGuardrail { policy_type, policy } => {
                let (ty, name) = self.resolve(*policy_type, policy)?;
                if self
                    .guardrails
                    .iter()
                    .any(|a| a.policy_type == ty && a.policy_name == name)
                {
                    return Err(DirectoryError::exists(
                        EntityKind::Policy,
                        &format!("{name} (guardrail)"),
                    ));
                }
                self.guardrails.push(AttachedPolicy {
                    policy_type: ty,
                    policy_name: name,
                    attach_date: now,
                });
                dirty.guardrails = true;
            }
            Change::DetachGuardrail { policy_type, policy } => {
                let (ty, name) = self.resolve(*policy_type, policy)?;
                let before = self.guardrails.len();
                self.guardrails
                    .retain(|a| !(a.policy_type == ty && a.policy_name == name));
                if self.guardrails.len() == before {
                    return Err(DirectoryError::not_exist(
                        EntityKind::Policy,
                        &format!("{name} (guardrail)"),
                    ));
                }
                dirty.guardrails = true;
            }
            Change::CreateAccessKey {
                user,
                access_key_id,
                access_key_secret,
            } => {
                let valid_id = access_key_id.len() == 24
                    && access_key_id.starts_with("LTAI")
                    && access_key_id.bytes().all(|b| b.is_ascii_alphanumeric());
                if !valid_id {
                    return Err(DirectoryError::invalid(
                        "InvalidParameter.AccessKeyId",
                        "AccessKeyId",
                        "an access key id is \"LTAI\" followed by 20 letters and digits",
                    ));
                }
                if access_key_secret.len() != 30 || !access_key_secret.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(DirectoryError::invalid(
                        "InvalidParameter.AccessKeySecret",
                        "AccessKeySecret",
                        "an access key secret is 30 letters and digits",
                    ));
                }
                if self.key_owners.contains_key(access_key_id) {
                    return Err(DirectoryError::exists(EntityKind::AccessKey, access_key_id));
                }
                let limit = self.quotas.access_keys_per_user;
                let forbid_both = self.security_preference.forbid_password_with_access_keys;
                let u = self.user_mut(user)?;
                if u.access_keys.len() >= limit {
                    return Err(DirectoryError::limit(
                        "LimitExceeded.User.AccessKey",
                        format!("user {user:?} already has {limit} access keys, the quota"),
                    ));
                }
                if forbid_both && u.login_profile.is_some() {
                    return Err(DirectoryError::NotAllowed {
                        code: "NotAllowed.User.PasswordWithAccessKey".to_owned(),
                        message: format!(
                            "user {user:?} has a console password; the security preference forbids access keys for console users"
                        ),
                    });
                }
                u.access_keys.push(AccessKey {
                    access_key_id: access_key_id.clone(),
                    access_key_secret: access_key_secret.clone(),
                    status: AccessKeyStatus::Active,
                    create_date: now,
                    last_used_date: None,
                });
                self.key_owners.insert(access_key_id.clone(), user.clone());
                dirty.users.insert(user.clone());
            }
            Change::UpdateAccessKey {
                user,
                access_key_id,
                status,
            } => {
                let key = self
                    .user_mut(user)?
                    .access_keys
                    .iter_mut()
                    .find(|k| k.access_key_id == *access_key_id)
                    .ok_or_else(|| DirectoryError::not_exist(EntityKind::AccessKey, access_key_id))?;
                key.status = *status;
                dirty.users.insert(user.clone());
            }
            Change::DeleteAccessKey { user, access_key_id } => {
                let u = self.user_mut(user)?;
                let before = u.access_keys.len();
                u.access_keys.retain(|k| k.access_key_id != *access_key_id);
                if u.access_keys.len() == before {
                    return Err(DirectoryError::not_exist(EntityKind::AccessKey, access_key_id));
                }
                self.key_owners.remove(access_key_id);
                dirty.users.insert(user.clone());
            }
            Change::RecordAccessKeyUse { user, access_key_id } => {
                let key = self
                    .user_mut(user)?
                    .access_keys
                    .iter_mut()
                    .find(|k| k.access_key_id == *access_key_id)
                    .ok_or_else(|| DirectoryError::not_exist(EntityKind::AccessKey, access_key_id))?;
                // A clock that steps back never moves the record backwards.
                if key.last_used_date.is_none_or(|last| last < now) {
                    key.last_used_date = Some(now);
                }
            }
            Change::SetSecurityPreference(pref) => {
                if !(1..=24).contains(&pref.login_session_duration) {
                    return Err(DirectoryError::invalid(
                        "InvalidParameter.LoginSessionDuration",
                        "LoginSessionDuration",
                        format!(
                            "found {}; LoginSessionDuration must be 1 to 24 hours",
                            pref.login_session_duration
                        ),
                    ));
                }
                self.security_preference = pref.clone();
            }
            Change::SetPasswordPolicy(_)
            | Change::CreateLoginProfile { .. }
            | Change::UpdateLoginProfile { .. }
            | Change::DeleteLoginProfile { .. }
            | Change::ChangePassword { .. }
            | Change::RecordLoginFailure { .. }
            | Change::RecordLoginSuccess { .. }
            | Change::UseMfaCode { .. }
            | Change::CreateVirtualMfaDevice { .. }
            | Change::DeleteVirtualMfaDevice { .. }
            | Change::BindMfaDevice { .. }
            | Change::UnbindMfaDevice { .. }
            | Change::InitConsoleSessionKey { .. }
            | Change::RotateConsoleSessionKey { .. } => self.apply_console(change, now)?,
        }
        Ok(())
    }

    /// The console-authentication changes: password policy, login profiles, logins, MFA.
    /// None of them touches a policy set, so none marks anything dirty.
    fn apply_console(&mut self, change: &Change, now: Timestamp) -> Result<(), DirectoryError> {
        let code_fail = || DirectoryError::NotAllowed {
            code: "CheckAuthenticationCodeFail".to_owned(),
            message: "the authentication code is incorrect, outside its window or already used".to_owned(),
        };
        match change {
            Change::SetPasswordPolicy(policy) => {
                policy.validate()?;
                self.password_policy = policy.clone();
            }
            Change::CreateLoginProfile {
                user,
                password_hash,
                password_reset_required,
                mfa_bind_required,
            } => {
                check_hash(password_hash)?;
                let forbid_both = self.security_preference.forbid_password_with_access_keys;
                let u = self.user_mut(user)?;
                if u.login_profile.is_some() {
                    return Err(DirectoryError::exists(EntityKind::LoginProfile, user));
                }
                if forbid_both && !u.access_keys.is_empty() {
                    return Err(DirectoryError::NotAllowed {
                        code: "NotAllowed.User.PasswordWithAccessKey".to_owned(),
                        message: format!(
                            "user {user:?} has access keys; the security preference forbids a console password for users with access keys"
                        ),
                    });
                }
                u.login_profile = Some(LoginProfile {
                    password_hash: password_hash.clone(),
                    previous_password_hashes: Vec::new(),
                    password_reset_required: *password_reset_required,
                    mfa_bind_required: *mfa_bind_required,
                    password_set_date: now,
                    failed_attempts: Vec::new(),
                    locked_until: None,
                });
            }
            Change::UpdateLoginProfile {
                user,
                password_hash,
                password_reset_required,
                mfa_bind_required,
            } => {
                if let Some(hash) = password_hash {
                    check_hash(hash)?;
                }
                let profile = self.profile_mut(user)?;
                if let Some(hash) = password_hash {
                    profile.set_password(hash, now);
                }
                if let Some(v) = password_reset_required {
                    profile.password_reset_required = *v;
                }
                if let Some(v) = mfa_bind_required {
                    profile.mfa_bind_required = *v;
                }
            }
            Change::DeleteLoginProfile { user } => {
                let u = self.user_mut(user)?;
                if u.login_profile.take().is_none() {
                    return Err(DirectoryError::not_exist(EntityKind::LoginProfile, user));
                }
            }
            Change::ChangePassword { user, password_hash } => {
                check_hash(password_hash)?;
                let profile = self.profile_mut(user)?;
                profile.set_password(password_hash, now);
                profile.password_reset_required = false;
            }
            Change::RecordLoginFailure { user, user_id } => {
                self.check_same_user(user, user_id.as_deref())?;
                let max = self.password_policy.max_login_attempts;
                self.profile_mut(user)?.record_failure(now, max);
            }
            Change::RecordLoginSuccess { user, user_id } => {
                self.check_same_user(user, user_id.as_deref())?;
                self.profile_mut(user)?.failed_attempts.clear();
                self.user_mut(user)?.last_login_date = Some(now);
            }
            Change::UseMfaCode { serial, step } => {
                let device = self.device_mut(serial)?;
                if device.last_used_step.is_some_and(|last| last >= *step) {
                    return Err(code_fail());
                }
                device.last_used_step = Some(*step);
            }
            Change::CreateVirtualMfaDevice {
                name,
                base32_string_seed,
            } => {
                check_mfa_device_name(name)?;
                mfa::check_seed(base32_string_seed)?;
                let serial = self.mfa_serial(name);
                if self.mfa_devices.contains_key(&serial) {
                    return Err(DirectoryError::exists(EntityKind::MfaDevice, name));
                }
                if self.mfa_devices.len() >= self.quotas.virtual_mfa_devices {
                    return Err(DirectoryError::limit(
                        "LimitExceeded.VirtualMFADevice",
                        format!(
                            "the account already has {} virtual MFA devices, the quota",
                            self.quotas.virtual_mfa_devices
                        ),
                    ));
                }
                self.mfa_devices.insert(
                    serial.clone(),
                    MfaDevice {
                        serial_number: serial,
                        base32_string_seed: base32_string_seed.clone(),
                        user_name: None,
                        last_used_step: None,
                        enable_date: None,
                    },
                );
            }
            Change::DeleteVirtualMfaDevice { serial } => {
                let device = self.device_mut(serial)?;
                if let Some(user) = &device.user_name {
                    return Err(DirectoryError::conflict(
                        "DeleteConflict.VirtualMFADevice.User",
                        format!("the MFA device {serial:?} is bound to user {user:?}; unbind it first"),
                    ));
                }
                self.mfa_devices.remove(serial);
            }
            Change::BindMfaDevice {
                user,
                serial,
                code1,
                code2,
            } => {
                mfa::check_code_format(code1)?;
                mfa::check_code_format(code2)?;
                if self.user_mut(user)?.mfa_device.is_some() {
                    return Err(DirectoryError::exists(EntityKind::UserMfaDevice, user));
                }
                let device = self.device_mut(serial)?;
                if let Some(other) = &device.user_name {
                    return Err(DirectoryError::NotAllowed {
                        code: "EntityAlreadyExists.VirtualMFADevice.User".to_owned(),
                        message: format!("the MFA device {serial:?} is already bound to user {other:?}"),
                    });
                }
                let step =
                    mfa::verify_consecutive(&device.base32_string_seed, code1, code2, now, device.last_used_step)
                        .ok_or_else(code_fail)?;
                device.user_name = Some(user.clone());
                device.last_used_step = Some(step);
                device.enable_date = Some(now);
                self.user_mut(user)?.mfa_device = Some(serial.clone());
            }
            Change::UnbindMfaDevice { user } => {
                let serial = self
                    .user_mut(user)?
                    .mfa_device
                    .take()
                    .ok_or_else(|| DirectoryError::not_exist(EntityKind::UserMfaDevice, user))?;
                if let Some(device) = self.mfa_devices.get_mut(&serial) {
                    // The last used step stays: a code accepted once is never accepted again.
                    device.user_name = None;
                    device.enable_date = None;
                }
            }
            Change::InitConsoleSessionKey { key } => {
                if self.console_session_key.is_none() {
                    self.console_session_key = Some(key.clone());
                }
            }
            Change::RotateConsoleSessionKey { key } => {
                self.console_session_key = Some(key.clone());
            }
            _ => unreachable!("apply_one routes only console changes here"),
        }
        Ok(())
    }

    /// Refuses a change recorded for user id `id` when `user` now names another user.
    fn check_same_user(&self, user: &str, id: Option<&str>) -> Result<(), DirectoryError> {
        match (self.users.get(user), id) {
            (Some(u), Some(id)) if u.user_id != id => Err(DirectoryError::not_exist(EntityKind::User, user)),
            _ => Ok(()),
        }
    }

    fn profile_mut(&mut self, user: &str) -> Result<&mut LoginProfile, DirectoryError> {
        self.user_mut(user)?
            .login_profile
            .as_mut()
            .ok_or_else(|| DirectoryError::not_exist(EntityKind::LoginProfile, user))
    }

    fn device_mut(&mut self, serial: &str) -> Result<&mut MfaDevice, DirectoryError> {
        self.mfa_devices
            .get_mut(serial)
            .ok_or_else(|| DirectoryError::not_exist(EntityKind::MfaDevice, serial))
    }

    fn custom_mut(&mut self, name: &str) -> Result<&mut CustomPolicy, DirectoryError> {
        self.policies
            .get_mut(name)
            .ok_or_else(|| DirectoryError::not_exist(EntityKind::Policy, name))
    }

    fn check_trust_policy(&self, text: &str) -> Result<(), DirectoryError> {
        crate::PolicyDocument::parse_with(
            text,
            &ParseOptions::trust().max_chars(self.quotas.policy_document_chars),
        )
        .map(|_| ())
        .map_err(DirectoryError::MalformedPolicyDocument)
    }

    /// Moves user `old` to `new` with everything that names it. Both names are dirty: the
    /// old one's compiled set and keys must go, the new one's be built.
    fn rename_user(&mut self, old: &str, new: &str, now: Timestamp, dirty: &mut Dirty) -> Result<(), DirectoryError> {
        check_new_user_name(new)?;
        if self.users.contains_key(new) {
            return Err(DirectoryError::exists(EntityKind::User, new));
        }
        let mut user = self
            .users
            .remove(old)
            .ok_or_else(|| DirectoryError::not_exist(EntityKind::User, old))?;
        self.repoint_user_references(&user, Some(new));
        user.user_name = new.to_owned();
        user.renamed_date = Some(now);
        self.users.insert(new.to_owned(), user);
        dirty.users.insert(old.to_owned());
        dirty.users.insert(new.to_owned());
        Ok(())
    }

    /// Moves group `old` to `new` and every member's membership with it. Every member's
    /// compiled set names the group (its policies' source), so every member is dirty.
    fn rename_group(&mut self, old: &str, new: &str, dirty: &mut Dirty) -> Result<(), DirectoryError> {
        check_new_group_name(new)?;
        if self.groups.contains_key(new) {
            return Err(DirectoryError::exists(EntityKind::Group, new));
        }
        let mut group = self
            .groups
            .remove(old)
            .ok_or_else(|| DirectoryError::not_exist(EntityKind::Group, old))?;
        group.group_name = new.to_owned();
        for member in &group.members {
            if let Some(u) = self.users.get_mut(member) {
                for g in u.groups.iter_mut().filter(|g| *g == old) {
                    new.clone_into(g);
                }
            }
            dirty.users.insert(member.clone());
        }
        self.groups.insert(new.to_owned(), group);
        dirty.groups.insert(old.to_owned());
        dirty.groups.insert(new.to_owned());
        Ok(())
    }

    fn delete_user(&mut self, name: &str, cascade: bool, dirty: &mut Dirty) -> Result<(), DirectoryError> {
        let user = self
            .users
            .get(name)
            .ok_or_else(|| DirectoryError::not_exist(EntityKind::User, name))?
            .clone();
        if !cascade {
            let conflict = if !user.groups.is_empty() {
                Some(("DeleteConflict.User.Group", "is a member of groups"))
            } else if !user.access_keys.is_empty() {
                Some(("DeleteConflict.User.AccessKey", "has access keys"))
            } else if user.login_profile.is_some() {
                Some(("DeleteConflict.User.LoginProfile", "has a login profile"))
            } else if user.mfa_device.is_some() {
                Some(("DeleteConflict.User.MFADevice", "has a bound MFA device"))
            } else if !user.policies.is_empty() {
                Some(("DeleteConflict.User.Policy", "has attached policies"))
            } else {
                None
            };
            if let Some((code, what)) = conflict {
                return Err(DirectoryError::conflict(
                    code,
                    format!("user {name:?} still {what}; remove them first or delete with cascade"),
                ));
            }
        }
        self.repoint_user_references(&user, None);
        self.users.remove(name);
        dirty.users.insert(name.to_owned());
        Ok(())
    }

    /// Points every reference to `user` held outside it (group member lists, the key-owner
    /// index, its MFA device) at the name `to`, or drops them (`None`, a deletion). Renames
    /// and deletions share it so that no kind of reference is moved by one and missed by the
    /// other.
    fn repoint_user_references(&mut self, user: &User, to: Option<&str>) {
        let name = user.user_name.as_str();
        for g in &user.groups {
            if let Some(group) = self.groups.get_mut(g) {
                let joined = group.join_dates.remove(name);
                match to {
                    Some(new) => {
                        group
                            .members
                            .iter_mut()
                            .filter(|m| *m == name)
                            .for_each(|m| new.clone_into(m));
                        if let Some(joined) = joined {
                            group.join_dates.insert(new.to_owned(), joined);
                        }
                    }
                    None => group.members.retain(|m| m != name),
                }
            }
        }
        for k in &user.access_keys {
            match to {
                Some(new) => self.key_owners.insert(k.access_key_id.clone(), new.to_owned()),
                None => self.key_owners.remove(&k.access_key_id),
            };
        }
        if let Some(serial) = &user.mfa_device
            && let Some(device) = self.mfa_devices.get_mut(serial)
        {
            device.user_name = to.map(str::to_owned);
            if to.is_none() {
                // The last used step stays: a code accepted once is never accepted again.
                device.enable_date = None;
            }
        }
    }
}

fn check_max_session_duration(seconds: u32) -> Result<u32, DirectoryError> {
    if (3_600..=43_200).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(DirectoryError::invalid(
            "InvalidParameter.MaxSessionDuration",
            "MaxSessionDuration",
            format!("found {seconds}; MaxSessionDuration must be 3600 to 43200 seconds"),
        ))
    }
}
