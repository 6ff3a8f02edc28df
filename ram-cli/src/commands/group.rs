//! `ram group create|delete NAME`, `ram group update NAME [--new-name ..] [--comments ..]`,
//! `ram group list`, `ram group add-user GROUP USER`, `ram group remove-user GROUP USER`.
//!
//! JSON: `create` and `update` print `{"Group":{..}}`, `list` `{"Groups":[..]}` (each with its
//! members and policies), `delete` `{"GroupName":..}`, `add-user` and `remove-user`
//! `{"GroupName":..,"UserName":..}`.

use clap::{Args, Subcommand};
use ram_core::directory::Change;
use serde_json::{Value, json};

use super::{Reply, views};
use crate::GlobalArgs;
use crate::error::CliError;
use crate::state::{self, Writer};

/// `ram group ...`.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Create a group.
    Create(NameArg),
    /// Rename a group (its members and policies stay) or change its comments.
    Update(UpdateArgs),
    /// Delete a group; refused while it has members or policies.
    Delete(NameArg),
    /// List the groups with their members and policies.
    List,
    /// Add a user to a group.
    AddUser(MemberArgs),
    /// Remove a user from a group.
    RemoveUser(MemberArgs),
}

/// A group name.
#[derive(Debug, Args)]
pub struct NameArg {
    /// The group name: 1–64 of letters, digits, '.', '_', '-'.
    pub name: String,
}

/// Arguments of `ram group update`: each option given replaces the stored value.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The group name.
    pub name: String,
    /// A new group name: 1–64 of letters, digits, '.', '_', '-'.
    #[arg(long, value_name = "NAME")]
    pub new_name: Option<String>,
    /// New comments, 1–128 characters.
    #[arg(long, value_name = "TEXT")]
    pub comments: Option<String>,
}

/// A group and a user.
#[derive(Debug, Args)]
pub struct MemberArgs {
    /// The group name.
    pub group: String,
    /// The user name.
    pub user: String,
}

/// Runs `ram group ...`.
pub fn run(command: &GroupCommand, global: &GlobalArgs) -> Result<Reply, CliError> {
    match command {
        GroupCommand::Create(args) => {
            let mut w = Writer::open(global)?;
            w.commit(&[Change::CreateGroup {
                name: args.name.clone(),
            }])?;
            group_reply(w.directory(), &args.name)
        }
        GroupCommand::Update(args) => {
            let mut w = Writer::open(global)?;
            w.commit(&[Change::UpdateGroup {
                name: args.name.clone(),
                new_name: args.new_name.clone(),
                comments: args.comments.clone(),
            }])?;
            group_reply(w.directory(), args.new_name.as_deref().unwrap_or(&args.name))
        }
        GroupCommand::Delete(args) => {
            let mut w = Writer::open(global)?;
            w.commit(&[Change::DeleteGroup {
                name: args.name.clone(),
            }])?;
            Ok(Reply::json(json!({"GroupName": args.name})).with_text(format!("deleted group {}\n", args.name)))
        }
        GroupCommand::List => {
            let state = state::read(global)?;
            let groups: Vec<Value> = state.directory.groups().map(views::group).collect();
            Ok(Reply::listing("Groups", groups, &["GroupName", "Members"]))
        }
        GroupCommand::AddUser(args) => {
            let mut w = Writer::open(global)?;
            w.commit(&[Change::AddUserToGroup {
                group: args.group.clone(),
                user: args.user.clone(),
            }])?;
            Ok(Reply::json(json!({"GroupName": args.group, "UserName": args.user}))
                .with_text(format!("added user {} to group {}\n", args.user, args.group)))
        }
        GroupCommand::RemoveUser(args) => {
            let mut w = Writer::open(global)?;
            w.commit(&[Change::RemoveUserFromGroup {
                group: args.group.clone(),
                user: args.user.clone(),
            }])?;
            Ok(Reply::json(json!({"GroupName": args.group, "UserName": args.user}))
                .with_text(format!("removed user {} from group {}\n", args.user, args.group)))
        }
    }
}

fn group_reply(dir: &ram_core::directory::Directory, name: &str) -> Result<Reply, CliError> {
    let group = dir
        .group(name)
        .ok_or_else(|| super::user::not_exist(ram_core::directory::EntityKind::Group, name))?;
    Ok(Reply::json(json!({ "Group": views::group(group) })))
}
