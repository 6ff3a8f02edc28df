//! The directory of one account: users, groups, roles, policies, attachments, access keys
//! (spec section 6).
//!
//! A [`Directory`] is a plain value built on persistent maps, so cloning it is cheap and a
//! batch of [`Change`]s is applied to a copy that replaces the original only when every
//! change succeeded: a refused batch leaves no trace.

mod change;
mod error;
pub mod login;
pub mod mfa;
pub mod names;
pub mod password;
pub mod session;
mod system;

use imbl::OrdMap;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use change::{Change, Dirty, PolicyTarget};
pub use error::{DirectoryError, EntityKind};
pub use login::{LoginAttempt, LoginError};
pub use password::{Argon2Params, PasswordPolicy, hash_password, hash_password_with};
pub use session::{ConsoleSession, SessionError, SessionKey};
pub use system::{SYSTEM_POLICIES, SystemPolicy, system_policy};

use crate::policy::{MAX_POLICY_CHARS, ParseOptions, PolicyDocument};

/// Configurable quotas; the defaults are RAM's (spec section 6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Quotas {
    /// RAM users per account.
    pub users: usize,
    /// Groups per account.
    pub groups: usize,
    /// Groups one user may join.
    pub groups_per_user: usize,
    /// Roles per account.
    pub roles: usize,
    /// Custom policies per account.
    pub custom_policies: usize,
    /// Versions kept per custom policy.
    pub versions_per_policy: usize,
    /// Access keys per user.
    pub access_keys_per_user: usize,
    /// System policies attached to one user.
    pub system_policies_per_user: usize,
    /// Custom policies attached to one user.
    pub custom_policies_per_user: usize,
    /// System policies attached to one group.
    pub system_policies_per_group: usize,
    /// Custom policies attached to one group.
    pub custom_policies_per_group: usize,
    /// System policies attached to one role.
    pub system_policies_per_role: usize,
    /// Custom policies attached to one role.
    pub custom_policies_per_role: usize,
    /// Characters in a custom policy document.
    pub policy_document_chars: usize,
    /// Virtual MFA devices per account.
    #[serde(rename = "VirtualMFADevices")]
    pub virtual_mfa_devices: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas {
            users: 1_000,
            groups: 50,
            groups_per_user: 5,
            roles: 1_000,
            custom_policies: 1_500,
            versions_per_policy: 5,
            access_keys_per_user: 2,
            system_policies_per_user: 20,
            custom_policies_per_user: 10,
            system_policies_per_group: 20,
            custom_policies_per_group: 5,
            system_policies_per_role: 20,
            custom_policies_per_role: 5,
            policy_document_chars: MAX_POLICY_CHARS,
            virtual_mfa_devices: 1_000,
        }
    }
}

/// Account-wide best-practice switches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SecurityPreference {
    /// Refuse the root's access keys altogether (default on).
    pub refuse_root_access_keys: bool,
    /// Forbid one user from having both a password and access keys (default off).
    pub forbid_password_with_access_keys: bool,
    /// Hours a console session lasts, 1–24 (default 6).
    pub login_session_duration: u32,
}

impl Default for SecurityPreference {
    fn default() -> Self {
        SecurityPreference {
            refuse_root_access_keys: true,
            forbid_password_with_access_keys: false,
            login_session_duration: 6,
        }
    }
}

/// `System` or `Custom`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PolicyType {
    /// Built in, read-only.
    System,
    /// Created in this account.
    Custom,
}

impl PolicyType {
    /// `"System"` or `"Custom"`.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyType::System => "System",
            PolicyType::Custom => "Custom",
        }
    }
}

/// A policy attached to a user, group, role or the account's guardrails.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttachedPolicy {
    /// System or custom.
    pub policy_type: PolicyType,
    /// The policy's name as stored.
    pub policy_name: String,
    /// When it was attached.
    pub attach_date: Timestamp,
}

/// `Active` or `Inactive`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccessKeyStatus {
    /// May authenticate.
    Active,
    /// Fails authentication.
    Inactive,
}

/// An access key. The secret never appears in `Debug`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessKey {
    /// `LTAI` + 20 characters.
    pub access_key_id: String,
    /// 30 characters from the OS random source (needed in clear to check request signatures).
    pub access_key_secret: String,
    /// Active or inactive.
    pub status: AccessKeyStatus,
    /// When it was created.
    pub create_date: Timestamp,
    /// When it last authenticated a request, if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_date: Option<Timestamp>,
}

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessKey")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("status", &self.status)
            .field("create_date", &self.create_date)
            .field("last_used_date", &self.last_used_date)
            .finish()
    }
}

/// A console login: the password only as an argon2id hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoginProfile {
    /// PHC-format argon2id hash of the password.
    pub password_hash: String,
    /// Hashes of earlier passwords, newest first, for `PasswordReusePrevention`.
    #[serde(default)]
    pub previous_password_hashes: Vec<String>,
    /// The user must change the password at the next login.
    pub password_reset_required: bool,
    /// The user must bind an MFA device at the next login.
    #[serde(rename = "MFABindRequired")]
    pub mfa_bind_required: bool,
    /// When the password was last set.
    pub password_set_date: Timestamp,
    /// Failed logins within the current hour.
    #[serde(default)]
    pub failed_attempts: Vec<Timestamp>,
    /// Locked until this instant after too many failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<Timestamp>,
}

impl std::fmt::Debug for LoginProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginProfile")
            .field("password_hash", &"<redacted>")
            .field("password_reset_required", &self.password_reset_required)
            .field("mfa_bind_required", &self.mfa_bind_required)
            .field("password_set_date", &self.password_set_date)
            .field("failed_attempts", &self.failed_attempts)
            .field("locked_until", &self.locked_until)
            .finish_non_exhaustive()
    }
}

/// A RAM user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    /// `UserName`.
    pub user_name: String,
    /// Stable numeric id.
    pub user_id: String,
    /// Optional display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `MobilePhone`, `<country code>-<number>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<String>,
    /// `Email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `Comments`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    /// When it was created.
    pub create_date: Timestamp,
    /// When UpdateUser last changed it (absent: never, so `UpdateDate` is the creation date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_date: Option<Timestamp>,
    /// Groups it belongs to.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Policies attached to it.
    #[serde(default)]
    pub policies: Vec<AttachedPolicy>,
    /// Its access keys.
    #[serde(default)]
    pub access_keys: Vec<AccessKey>,
    /// Its console login, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_profile: Option<LoginProfile>,
    /// The serial of its bound virtual MFA device, if any.
    #[serde(default, rename = "MFADevice", skip_serializing_if = "Option::is_none")]
    pub mfa_device: Option<String>,
    /// When it last logged in to the console, if ever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login_date: Option<Timestamp>,
    /// When it took its current name by a rename, if it did: console sessions that logged in
    /// before under this name belong to whoever held it then, and are refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_date: Option<Timestamp>,
}

/// A user group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Group {
    /// `GroupName`.
    pub group_name: String,
    /// Stable numeric id.
    pub group_id: String,
    /// `Comments`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<String>,
    /// When it was created.
    pub create_date: Timestamp,
    /// When UpdateGroup last changed it (absent: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_date: Option<Timestamp>,
    /// Its members.
    #[serde(default)]
    pub members: Vec<String>,
    /// When each member joined (`JoinDate` of ListGroupsForUser and ListUsersForGroup), by
    /// user name. State files written before it was recorded have none: see
    /// [`Group::join_date`].
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub join_dates: std::collections::BTreeMap<String, Timestamp>,
    /// Policies attached to it.
    #[serde(default)]
    pub policies: Vec<AttachedPolicy>,
}

impl Group {
    /// When `user` joined the group: the recorded date, or for a membership from before
    /// dates were recorded, the group's creation date (the earliest it can have been).
    ///
    /// ```
    /// use ram_core::directory::{Change, Directory};
    ///
    /// let mut dir = Directory::new("123456789012")?;
    /// let created: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    /// let joined: jiff::Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
    /// dir.apply_at(&[Change::CreateGroup { name: "dev".into() }, Change::CreateUser { name: "alice".into(), display_name: None }], created)?;
    /// dir.apply_at(&[Change::AddUserToGroup { group: "dev".into(), user: "alice".into() }], joined)?;
    /// assert_eq!(dir.group("dev").unwrap().join_date("alice"), joined);
    /// # Ok::<(), ram_core::directory::DirectoryError>(())
    /// ```
    pub fn join_date(&self, user: &str) -> Timestamp {
        self.join_dates.get(user).copied().unwrap_or(self.create_date)
    }
}

/// A RAM role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    /// `RoleName`.
    pub role_name: String,
    /// Stable numeric id.
    pub role_id: String,
    /// `acs:ram::<account>:role/<name>`.
    pub arn: String,
    /// `Description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The trust policy document as submitted.
    pub assume_role_policy_document: String,
    /// 3,600–43,200 seconds.
    pub max_session_duration: u32,
    /// When it was created.
    pub create_date: Timestamp,
    /// When UpdateRole last changed it (absent: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_date: Option<Timestamp>,
    /// Policies attached to it.
    #[serde(default)]
    pub policies: Vec<AttachedPolicy>,
    /// STS sessions of this role issued before this instant are revoked
    /// ([`Change::RevokeRoleSessions`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_revoked_before: Option<Timestamp>,
}

/// One version of a custom policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyVersion {
    /// `v1`, `v2`, ...
    pub version_id: String,
    /// The document as submitted.
    pub policy_document: String,
    /// When it was created.
    pub create_date: Timestamp,
}

/// A custom policy with its versions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomPolicy {
    /// `PolicyName`.
    pub policy_name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// The version in force.
    pub default_version: String,
    /// Versions, oldest first.
    pub versions: Vec<PolicyVersion>,
    /// The number the next version gets.
    pub next_version: u32,
    /// When it was created.
    pub create_date: Timestamp,
    /// When UpdatePolicyDescription last changed it (absent: never; a new version also
    /// counts as an update, see [`CustomPolicy::update_date`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_date: Option<Timestamp>,
}

impl CustomPolicy {
    /// `UpdateDate`: the latest of its creation, its newest version and its last
    /// description change.
    pub fn update_date(&self) -> Timestamp {
        let newest = self.versions.iter().map(|v| v.create_date).max();
        [Some(self.create_date), newest, self.description_date]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(self.create_date)
    }

    /// The document of the default version.
    pub fn default_document(&self) -> &str {
        self.versions
            .iter()
            .find(|v| v.version_id == self.default_version)
            .map_or("", |v| v.policy_document.as_str())
    }
}

/// A virtual MFA device (TOTP seed stored base32; never in `Debug`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MfaDevice {
    /// `acs:ram::<account>:mfa/<name>`.
    pub serial_number: String,
    /// Base32 seed.
    pub base32_string_seed: String,
    /// The user it is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// The last accepted TOTP step, so a code is never accepted twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_step: Option<u64>,
    /// When it was bound to its user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_date: Option<Timestamp>,
}

impl std::fmt::Debug for MfaDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaDevice")
            .field("serial_number", &self.serial_number)
            .field("base32_string_seed", &"<redacted>")
            .field("user_name", &self.user_name)
            .field("last_used_step", &self.last_used_step)
            .field("enable_date", &self.enable_date)
            .finish()
    }
}

/// The account's identities and policies.
///
/// ```
/// use ram_core::directory::{Change, Directory, PolicyTarget, PolicyType};
///
/// let mut dir = Directory::new("123456789012")?;
/// dir.apply(&[
///     Change::CreateUser { name: "alice".into(), display_name: None },
///     Change::CreateGroup { name: "dev".into() },
///     Change::AddUserToGroup { group: "dev".into(), user: "alice".into() },
///     Change::AttachPolicy { target: PolicyTarget::Group("dev".into()), policy_type: Some(PolicyType::System), policy: "ReadOnlyAccess".into() },
/// ])?;
/// assert_eq!(dir.user("alice").unwrap().groups, ["dev"]);
/// # Ok::<(), ram_core::directory::DirectoryError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", from = "StoredDirectory")]
pub struct Directory {
    account_id: String,
    #[serde(default)]
    quotas: Quotas,
    #[serde(default)]
    security_preference: SecurityPreference,
    #[serde(default)]
    password_policy: PasswordPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    console_session_key: Option<SessionKey>,
    #[serde(default)]
    users: OrdMap<String, User>,
    #[serde(default)]
    groups: OrdMap<String, Group>,
    #[serde(default)]
    roles: OrdMap<String, Role>,
    #[serde(default)]
    policies: OrdMap<String, CustomPolicy>,
    #[serde(default)]
    guardrails: Vec<AttachedPolicy>,
    #[serde(default, rename = "VirtualMFADevices")]
    mfa_devices: OrdMap<String, MfaDevice>,
    #[serde(default)]
    next_id: u64,
    /// Derived: access key id -> user name. Rebuilt on load, never stored.
    #[serde(skip)]
    key_owners: imbl::HashMap<String, String>,
}

/// The stored form: the same fields without the derived indexes.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StoredDirectory {
    account_id: String,
    #[serde(default)]
    quotas: Quotas,
    #[serde(default)]
    security_preference: SecurityPreference,
    #[serde(default)]
    password_policy: PasswordPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    console_session_key: Option<SessionKey>,
    #[serde(default)]
    users: OrdMap<String, User>,
    #[serde(default)]
    groups: OrdMap<String, Group>,
    #[serde(default)]
    roles: OrdMap<String, Role>,
    #[serde(default)]
    policies: OrdMap<String, CustomPolicy>,
    #[serde(default)]
    guardrails: Vec<AttachedPolicy>,
    #[serde(default, rename = "VirtualMFADevices")]
    mfa_devices: OrdMap<String, MfaDevice>,
    #[serde(default)]
    next_id: u64,
}

impl From<StoredDirectory> for Directory {
    fn from(s: StoredDirectory) -> Directory {
        let key_owners = s
            .users
            .values()
            .flat_map(|u| {
                u.access_keys
                    .iter()
                    .map(|k| (k.access_key_id.clone(), u.user_name.clone()))
            })
            .collect();
        Directory {
            account_id: s.account_id,
            quotas: s.quotas,
            security_preference: s.security_preference,
            password_policy: s.password_policy,
            console_session_key: s.console_session_key,
            users: s.users,
            groups: s.groups,
            roles: s.roles,
            policies: s.policies,
            guardrails: s.guardrails,
            mfa_devices: s.mfa_devices,
            next_id: s.next_id,
            key_owners,
        }
    }
}

impl Directory {
    /// An empty directory for `account_id` (1–32 digits).
    pub fn new(account_id: &str) -> Result<Directory, DirectoryError> {
        names::check_account_id(account_id)?;
        Ok(Directory {
            account_id: account_id.to_owned(),
            quotas: Quotas::default(),
            security_preference: SecurityPreference::default(),
            password_policy: PasswordPolicy::default(),
            console_session_key: None,
            users: OrdMap::new(),
            groups: OrdMap::new(),
            roles: OrdMap::new(),
            policies: OrdMap::new(),
            guardrails: Vec::new(),
            mfa_devices: OrdMap::new(),
            next_id: 0,
            key_owners: imbl::HashMap::new(),
        })
    }

    /// Replaces the quotas.
    pub fn with_quotas(mut self, quotas: Quotas) -> Directory {
        self.quotas = quotas;
        self
    }

    /// The account id.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }
    /// The quotas in force.
    pub fn quotas(&self) -> &Quotas {
        &self.quotas
    }
    /// The best-practice switches.
    pub fn security_preference(&self) -> &SecurityPreference {
        &self.security_preference
    }
    /// A user by name.
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.get(name)
    }
    /// All users, by name.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }
    /// A group by name.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(name)
    }
    /// All groups, by name.
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }
    /// A role by name.
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.get(name)
    }
    /// All roles, by name.
    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }
    /// A custom policy by name.
    pub fn custom_policy(&self, name: &str) -> Option<&CustomPolicy> {
        self.policies.get(name)
    }
    /// All custom policies, by name.
    pub fn custom_policies(&self) -> impl Iterator<Item = &CustomPolicy> {
        self.policies.values()
    }
    /// The account's guardrail policies.
    pub fn guardrails(&self) -> &[AttachedPolicy] {
        &self.guardrails
    }
    /// A virtual MFA device by serial number.
    pub fn mfa_device(&self, serial: &str) -> Option<&MfaDevice> {
        self.mfa_devices.get(serial)
    }
    /// All virtual MFA devices, by serial number.
    pub fn mfa_devices(&self) -> impl Iterator<Item = &MfaDevice> {
        self.mfa_devices.values()
    }
    /// The serial number a virtual MFA device named `name` gets (`acs:ram::<account>:mfa/<name>`).
    pub fn mfa_serial(&self, name: &str) -> String {
        format!("acs:ram::{}:mfa/{name}", self.account_id)
    }
    /// The password policy in force.
    pub fn password_policy(&self) -> &PasswordPolicy {
        &self.password_policy
    }
    /// The ARN of the role named `name` (`acs:ram::<account>:role/<name>`).
    pub fn role_arn(&self, name: &str) -> String {
        format!("acs:ram::{}:role/{name}", self.account_id)
    }

    /// The user owning the access key `access_key_id`, with the key.
    pub fn access_key(&self, access_key_id: &str) -> Option<(&User, &AccessKey)> {
        let user = self.users.get(self.key_owners.get(access_key_id)?)?;
        let key = user.access_keys.iter().find(|k| k.access_key_id == access_key_id)?;
        Some((user, key))
    }

    /// The document (and version id) in force for an attached policy.
    pub fn policy_document(&self, policy_type: PolicyType, name: &str) -> Option<(&str, &str)> {
        match policy_type {
            PolicyType::System => system_policy(name).map(|p| (p.document, p.version)),
            PolicyType::Custom => self
                .policies
                .get(name)
                .map(|p| (p.default_document(), p.default_version.as_str())),
        }
    }

    /// Parse options for custom documents under this directory's size quota.
    pub(crate) fn parse_options(&self) -> ParseOptions {
        ParseOptions::identity().max_chars(self.quotas.policy_document_chars)
    }

    /// Validates a custom policy document under this directory's limits.
    pub fn validate_document(&self, text: &str) -> Result<PolicyDocument, DirectoryError> {
        PolicyDocument::parse_with(text, &self.parse_options()).map_err(DirectoryError::MalformedPolicyDocument)
    }
}

#[cfg(test)]
mod tests;
