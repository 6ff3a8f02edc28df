//! `ram user create|get|delete NAME [--cascade]`, `ram user update NAME [--new-name ..] ..`,
//! `ram user list`.
//!
//! JSON: `create`, `get` and `update` print `{"User":{..}}`, `list` prints `{"Users":[..]}`,
//! `delete` prints `{"UserName":..}`.

use clap::{Args, Subcommand};
use ram_core::directory::{Change, EntityKind};
use serde_json::{Value, json};

use super::{Reply, views};
use crate::GlobalArgs;
use crate::error::CliError;
use crate::state::{self, Writer};

/// `ram user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a RAM user.
    Create(CreateArgs),
    /// Show a user: groups, policies, access keys (no secrets), login profile, MFA device.
    Get(NameArg),
    /// Rename a user (keeping its id, keys, groups, policies, login profile and MFA device)
    /// or change its display name, mobile phone, email or comments.
    Update(UpdateArgs),
    /// Delete a user; refused while it has groups, keys, a login profile, an MFA device or
    /// policies, unless --cascade.
    Delete(DeleteArgs),
    /// List the users.
    List,
}

/// A user name.
#[derive(Debug, Args)]
pub struct NameArg {
    /// The user name.
    pub name: String,
}

/// Arguments of `ram user create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The user name: 1–64 of letters, digits, '.', '_', '-'.
    pub name: String,
    /// A display name.
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,
}

/// Arguments of `ram user update`: each option given replaces the stored value.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The user name.
    pub name: String,
    /// A new user name: 1–64 of letters, digits, '.', '_', '-'.
    #[arg(long, value_name = "NAME")]
    pub new_name: Option<String>,
    /// A new display name, 1–128 characters.
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,
    /// A new mobile phone, `<country code>-<number>` (e.g. 86-13800000000).
    #[arg(long, value_name = "PHONE")]
    pub mobile_phone: Option<String>,
    /// A new email address.
    #[arg(long, value_name = "ADDRESS")]
    pub email: Option<String>,
    /// New comments, 1–128 characters.
    #[arg(long, value_name = "TEXT")]
    pub comments: Option<String>,
}

/// Arguments of `ram user delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The user name.
    pub name: String,
    /// Also remove its keys, group memberships, attachments, login profile and MFA binding,
    /// in one change.
    #[arg(long)]
    pub cascade: bool,
}

/// Runs `ram user ...`.
pub fn run(command: &UserCommand, global: &GlobalArgs) -> Result<Reply, CliError> {
    match command {
        UserCommand::Create(args) => {
            let mut w = Writer::open(global)?;
            w.commit(&[Change::CreateUser {
                name: args.name.clone(),
                display_name: args.display_name.clone(),
            }])?;
            user_reply(w.directory(), &args.name)
        }
        UserCommand::Get(args) => {
            let state = state::read(global)?;
            user_reply(&state.directory, &args.name)
        }
        UserCommand::Update(args) => {
            let mut w = Writer::open(global)?;
            w.commit(&[Change::UpdateUser {
                name: args.name.clone(),
                new_name: args.new_name.clone(),
                display_name: args.display_name.clone(),
                mobile_phone: args.mobile_phone.clone(),
                email: args.email.clone(),
                comments: args.comments.clone(),
            }])?;
            user_reply(w.directory(), args.new_name.as_deref().unwrap_or(&args.name))
        }
        UserCommand::Delete(args) => {
            let mut w = Writer::open(global)?;
            w.commit(&[Change::DeleteUser {
                name: args.name.clone(),
                cascade: args.cascade,
            }])?;
            Ok(Reply::json(json!({"UserName": args.name})).with_text(format!("deleted user {}\n", args.name)))
        }
        UserCommand::List => {
            let state = state::read(global)?;
            let users: Vec<Value> = state.directory.users().map(views::user_summary).collect();
            Ok(Reply::listing(
                "Users",
                users,
                &["UserName", "DisplayName", "CreateDate"],
            ))
        }
    }
}

fn user_reply(dir: &ram_core::directory::Directory, name: &str) -> Result<Reply, CliError> {
    let user = dir.user(name).ok_or_else(|| not_exist(EntityKind::User, name))?;
    Ok(Reply::json(json!({ "User": views::user(user) })))
}

/// `EntityNotExist.<Kind>` for an entity a command only reads (exit 1).
pub fn not_exist(kind: EntityKind, name: &str) -> CliError {
    CliError::ram(
        format!("EntityNotExist.{kind}"),
        format!("the {kind} {} does not exist", crate::input::quote(name)),
    )
}
