//! `ram attach (--user U | --group G | --role R) POLICY [--policy-type System|Custom]` and
//! `ram detach (...) POLICY`.
//!
//! Without `--policy-type` the name resolves to the custom policy of that name, else the
//! system one (a custom policy may not take a system policy's name, so the name is never
//! ambiguous); an unknown name is `EntityNotExist.Policy`.
//!
//! JSON: `{"PolicyType","PolicyName","UserName"|"GroupName"|"RoleName"}`.

use clap::{ArgGroup, Args, ValueEnum};
use ram_core::directory::{Change, Directory, PolicyTarget, PolicyType};
use serde_json::json;

use super::Reply;
use crate::GlobalArgs;
use crate::error::CliError;
use crate::state::Writer;

/// `--policy-type System|Custom` (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PolicyTypeArg {
    /// A built-in policy.
    #[value(name = "System")]
    System,
    /// A policy created in this account.
    #[value(name = "Custom")]
    Custom,
}

impl From<PolicyTypeArg> for PolicyType {
    fn from(t: PolicyTypeArg) -> PolicyType {
        match t {
            PolicyTypeArg::System => PolicyType::System,
            PolicyTypeArg::Custom => PolicyType::Custom,
        }
    }
}

/// Arguments of `ram attach` and `ram detach`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["user", "group", "role"])))]
pub struct AttachArgs {
    /// To a user.
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// To a group.
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// To a role.
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,
    /// The policy name.
    pub policy: String,
    /// System or Custom (without it: the custom policy of that name, else the system one).
    #[arg(long, value_enum, ignore_case = true)]
    pub policy_type: Option<PolicyTypeArg>,
}

impl AttachArgs {
    fn target(&self) -> Result<(PolicyTarget, &'static str, &str), CliError> {
        match (&self.user, &self.group, &self.role) {
            (Some(u), None, None) => Ok((PolicyTarget::User(u.clone()), "UserName", u)),
            (None, Some(g), None) => Ok((PolicyTarget::Group(g.clone()), "GroupName", g)),
            (None, None, Some(r)) => Ok((PolicyTarget::Role(r.clone()), "RoleName", r)),
            _ => Err(CliError::InvalidInput(String::from(
                "give exactly one of --user, --group, --role",
            ))),
        }
    }
}

/// The type a name resolves to as the directory resolves it (custom first), for the reply.
pub fn resolved_type(dir: &Directory, ty: Option<PolicyTypeArg>, name: &str) -> PolicyType {
    match ty {
        Some(t) => t.into(),
        None if dir.custom_policy(name).is_some() => PolicyType::Custom,
        None => PolicyType::System,
    }
}

/// Runs `ram attach` (`attach` true) or `ram detach`.
pub fn run(args: &AttachArgs, attach: bool, global: &GlobalArgs) -> Result<Reply, CliError> {
    let (target, field, who) = args.target()?;
    let mut w = Writer::open(global)?;
    // Resolved before the change: after a detach the name no longer tells.
    let ty = resolved_type(w.directory(), args.policy_type, &args.policy);
    let policy_type = args.policy_type.map(PolicyType::from);
    let change = if attach {
        Change::AttachPolicy {
            target,
            policy_type,
            policy: args.policy.clone(),
        }
    } else {
        Change::DetachPolicy {
            target,
            policy_type,
            policy: args.policy.clone(),
        }
    };
    w.commit(&[change])?;
    let verb = if attach { "attached" } else { "detached" };
    let prep = if attach { "to" } else { "from" };
    let kind = field.trim_end_matches("Name").to_lowercase();
    Ok(Reply::json(json!({
        "PolicyType": ty.as_str(),
        "PolicyName": args.policy,
        field: who,
    }))
    .with_text(format!(
        "{verb} {} policy {} {prep} {kind} {who}\n",
        ty.as_str(),
        args.policy
    )))
}
