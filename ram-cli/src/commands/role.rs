//! `ram role create NAME --trust-policy FILE [--max-session-duration SECONDS]`,
//! `ram role get|delete NAME`, `ram role list`,
//! `ram role update NAME [--trust-policy FILE] [--max-session-duration SECONDS]`.
//!
//! JSON: `create`, `get` and `update` print `{"Role":{..}}` (the trust policy as submitted,
//! a string), `list` `{"Roles":[..]}`, `delete` `{"RoleName":..}`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use ram_core::directory::{Change, Directory, EntityKind};
use serde_json::{Value, json};

use super::user::not_exist;
use super::{Reply, views};
use crate::GlobalArgs;
use crate::error::CliError;
use crate::state::{self, Writer, read_document};

/// `ram role ...`.
#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Create a role with a trust policy.
    Create(CreateArgs),
    /// Show a role.
    Get(NameArg),
    /// Delete a role; refused while policies are attached.
    Delete(NameArg),
    /// List the roles.
    List,
    /// Change a role's trust policy or maximum session duration.
    Update(UpdateArgs),
}

/// A role name.
#[derive(Debug, Args)]
pub struct NameArg {
    /// The role name.
    pub name: String,
}

/// Arguments of `ram role create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The role name: 1–64 of letters, digits, '.', '-'.
    pub name: String,
    /// The trust policy (a JSON file).
    #[arg(long, value_name = "FILE")]
    pub trust_policy: PathBuf,
    /// The longest session, 3600–43200 seconds (default 3600).
    #[arg(long, value_name = "SECONDS")]
    pub max_session_duration: Option<u32>,
}

/// Arguments of `ram role update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The role name.
    pub name: String,
    /// A new trust policy (a JSON file).
    #[arg(long, value_name = "FILE")]
    pub trust_policy: Option<PathBuf>,
    /// A new longest session, 3600–43200 seconds.
    #[arg(long, value_name = "SECONDS")]
    pub max_session_duration: Option<u32>,
}

/// Runs `ram role ...`.
pub fn run(command: &RoleCommand, global: &GlobalArgs) -> Result<Reply, CliError> {
    match command {
        RoleCommand::Create(args) => {
            let trust_policy = read_document(&args.trust_policy)?;
            let mut w = Writer::open(global)?;
            w.commit_document(
                &[Change::CreateRole {
                    name: args.name.clone(),
                    trust_policy,
                    max_session_duration: args.max_session_duration,
                }],
                &args.trust_policy,
            )?;
            role_reply(w.directory(), &args.name)
        }
        RoleCommand::Get(args) => role_reply(&state::read(global)?.directory, &args.name),
        RoleCommand::Delete(args) => {
            let mut w = Writer::open(global)?;
            w.commit(&[Change::DeleteRole {
                name: args.name.clone(),
            }])?;
            Ok(Reply::json(json!({"RoleName": args.name})).with_text(format!("deleted role {}\n", args.name)))
        }
        RoleCommand::List => {
            let state = state::read(global)?;
            let roles: Vec<Value> = state.directory.roles().map(views::role_summary).collect();
            Ok(Reply::listing(
                "Roles",
                roles,
                &["RoleName", "MaxSessionDuration", "Arn"],
            ))
        }
        RoleCommand::Update(args) => {
            let trust_policy = args.trust_policy.as_deref().map(read_document).transpose()?;
            let change = Change::UpdateRole {
                name: args.name.clone(),
                trust_policy,
                max_session_duration: args.max_session_duration,
            };
            let mut w = Writer::open(global)?;
            match &args.trust_policy {
                Some(file) => w.commit_document(&[change], file)?,
                None => w.commit(&[change])?,
            };
            role_reply(w.directory(), &args.name)
        }
    }
}

fn role_reply(dir: &Directory, name: &str) -> Result<Reply, CliError> {
    let role = dir.role(name).ok_or_else(|| not_exist(EntityKind::Role, name))?;
    Ok(Reply::json(json!({ "Role": views::role(role) })))
}
