//! Account-wide settings: `ram guardrail attach|detach POLICY` (and `list`),
//! `ram security-preference set [--refuse-root-access-keys BOOL]
//! [--forbid-password-with-access-keys BOOL]` (and `get`), `ram password-policy set [...]`
//! (and `get`). A `set` changes only the fields given.
//!
//! JSON: guardrail `attach`/`detach` print `{"PolicyType","PolicyName"}`, `list`
//! `{"Guardrails":[..]}`; `{"SecurityPreference":{..}}`; `{"PasswordPolicy":{..}}` with RAM's
//! field names (including its `MaxLoginAttemps`).

use clap::{ArgAction, Args, Subcommand};
use ram_core::directory::{Change, PasswordPolicy, PolicyType};
use serde_json::{Value, json};

use super::attach::{PolicyTypeArg, resolved_type};
use super::{Reply, views};
use crate::GlobalArgs;
use crate::error::CliError;
use crate::state::{self, Writer};

/// `ram guardrail ...`.
#[derive(Debug, Subcommand)]
pub enum GuardrailCommand {
    /// Bound every RAM identity of the account by a policy (never the root).
    Attach(GuardrailArgs),
    /// Remove a guardrail policy.
    Detach(GuardrailArgs),
    /// List the guardrail policies.
    List,
}

/// A guardrail policy.
#[derive(Debug, Args)]
pub struct GuardrailArgs {
    /// The policy name.
    pub policy: String,
    /// System or Custom (without it: the custom policy of that name, else the system one).
    #[arg(long, value_enum, ignore_case = true)]
    pub policy_type: Option<PolicyTypeArg>,
}

/// `ram security-preference ...`.
#[derive(Debug, Subcommand)]
pub enum SecurityPreferenceCommand {
    /// Change the best-practice switches given.
    Set(SecurityPreferenceArgs),
    /// Show them.
    Get,
}

/// Arguments of `ram security-preference set`.
#[derive(Debug, Args)]
pub struct SecurityPreferenceArgs {
    /// Refuse the root's access keys altogether (default true).
    #[arg(long, value_name = "BOOL", action = ArgAction::Set)]
    pub refuse_root_access_keys: Option<bool>,
    /// Forbid one user from having both a password and access keys (default false).
    #[arg(long, value_name = "BOOL", action = ArgAction::Set)]
    pub forbid_password_with_access_keys: Option<bool>,
    /// Hours a console session lasts, 1–24 (default 6).
    #[arg(long, value_name = "HOURS")]
    pub login_session_duration: Option<u32>,
}

/// `ram password-policy ...`.
#[derive(Debug, Subcommand)]
pub enum PasswordPolicyCommand {
    /// Change the password policy fields given.
    Set(PasswordPolicyArgs),
    /// Show the password policy.
    Get,
}

/// Arguments of `ram password-policy set`: RAM's `SetPasswordPolicy` fields.
#[derive(Debug, Args)]
pub struct PasswordPolicyArgs {
    /// Shortest password, 8–32 characters.
    #[arg(long, value_name = "N")]
    pub minimum_password_length: Option<u32>,
    /// Require a lowercase letter.
    #[arg(long, value_name = "BOOL", action = ArgAction::Set)]
    pub require_lowercase_characters: Option<bool>,
    /// Require an uppercase letter.
    #[arg(long, value_name = "BOOL", action = ArgAction::Set)]
    pub require_uppercase_characters: Option<bool>,
    /// Require a digit.
    #[arg(long, value_name = "BOOL", action = ArgAction::Set)]
    pub require_numbers: Option<bool>,
    /// Require a symbol.
    #[arg(long, value_name = "BOOL", action = ArgAction::Set)]
    pub require_symbols: Option<bool>,
    /// Days a password stays valid, 0–1095 (0: never expires).
    #[arg(long, value_name = "DAYS")]
    pub max_password_age: Option<u32>,
    /// How many latest passwords may not be reused, 0–24.
    #[arg(long, value_name = "N")]
    pub password_reuse_prevention: Option<u32>,
    /// Failed logins within an hour before a one-hour lock, 0–32 (0: unlimited). RAM's field
    /// is spelt MaxLoginAttemps; --max-login-attemps is accepted too.
    #[arg(long, value_name = "N", visible_alias = "max-login-attemps")]
    pub max_login_attempts: Option<u32>,
    /// An expired password blocks login until an administrator resets it.
    #[arg(long, value_name = "BOOL", action = ArgAction::Set)]
    pub hard_expiry: Option<bool>,
}

impl PasswordPolicyArgs {
    fn apply(&self, mut p: PasswordPolicy) -> PasswordPolicy {
        let set_u32 = |field: &mut u32, v: Option<u32>| {
            if let Some(v) = v {
                *field = v;
            }
        };
        let set_bool = |field: &mut bool, v: Option<bool>| {
            if let Some(v) = v {
                *field = v;
            }
        };
        set_u32(&mut p.minimum_password_length, self.minimum_password_length);
        set_bool(&mut p.require_lowercase_characters, self.require_lowercase_characters);
        set_bool(&mut p.require_uppercase_characters, self.require_uppercase_characters);
        set_bool(&mut p.require_numbers, self.require_numbers);
        set_bool(&mut p.require_symbols, self.require_symbols);
        set_u32(&mut p.max_password_age, self.max_password_age);
        set_u32(&mut p.password_reuse_prevention, self.password_reuse_prevention);
        set_u32(&mut p.max_login_attempts, self.max_login_attempts);
        set_bool(&mut p.hard_expiry, self.hard_expiry);
        p
    }
}

/// Runs `ram guardrail ...`.
pub fn run_guardrail(command: &GuardrailCommand, global: &GlobalArgs) -> Result<Reply, CliError> {
    let (args, attach) = match command {
        GuardrailCommand::List => {
            let state = state::read(global)?;
            let list: Vec<Value> = state.directory.guardrails().iter().map(views::attached).collect();
            return Ok(Reply::listing(
                "Guardrails",
                list,
                &["PolicyName", "PolicyType", "AttachDate"],
            ));
        }
        GuardrailCommand::Attach(args) => (args, true),
        GuardrailCommand::Detach(args) => (args, false),
    };
    let mut w = Writer::open(global)?;
    let ty = resolved_type(w.directory(), args.policy_type, &args.policy);
    let policy_type = args.policy_type.map(PolicyType::from);
    let policy = args.policy.clone();
    let change = if attach {
        Change::AttachGuardrail { policy_type, policy }
    } else {
        Change::DetachGuardrail { policy_type, policy }
    };
    w.commit(&[change])?;
    let verb = if attach { "attached" } else { "detached" };
    Ok(
        Reply::json(json!({"PolicyType": ty.as_str(), "PolicyName": args.policy})).with_text(format!(
            "{verb} guardrail {} policy {}\n",
            ty.as_str(),
            args.policy
        )),
    )
}

/// Runs `ram security-preference ...`.
pub fn run_security_preference(command: &SecurityPreferenceCommand, global: &GlobalArgs) -> Result<Reply, CliError> {
    let pref = match command {
        SecurityPreferenceCommand::Get => state::read(global)?.directory.security_preference().clone(),
        SecurityPreferenceCommand::Set(args) => {
            let mut w = Writer::open(global)?;
            let mut pref = w.directory().security_preference().clone();
            if let Some(v) = args.refuse_root_access_keys {
                pref.refuse_root_access_keys = v;
            }
            if let Some(v) = args.forbid_password_with_access_keys {
                pref.forbid_password_with_access_keys = v;
            }
            if let Some(v) = args.login_session_duration {
                pref.login_session_duration = v;
            }
            w.commit(&[Change::SetSecurityPreference(pref)])?;
            w.directory().security_preference().clone()
        }
    };
    Ok(Reply::json(json!({ "SecurityPreference": pref })))
}

/// Runs `ram password-policy ...`.
pub fn run_password_policy(command: &PasswordPolicyCommand, global: &GlobalArgs) -> Result<Reply, CliError> {
    let policy = match command {
        PasswordPolicyCommand::Get => state::read(global)?.directory.password_policy().clone(),
        PasswordPolicyCommand::Set(args) => {
            let mut w = Writer::open(global)?;
            let policy = args.apply(w.directory().password_policy().clone());
            w.commit(&[Change::SetPasswordPolicy(policy)])?;
            w.directory().password_policy().clone()
        }
    };
    Ok(Reply::json(json!({ "PasswordPolicy": policy })))
}
