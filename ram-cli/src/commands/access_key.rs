//! `ram access-key create USER` (prints `{"AccessKeyId":..,"AccessKeySecret":..}` with or
//! without `--json`: the only time the secret is shown), `ram access-key set-status USER
//! KEY_ID Active|Inactive`, `ram access-key delete USER KEY_ID`, `ram access-key list USER`.
//!
//! JSON: `set-status` prints `{"UserName","AccessKeyId","Status"}`, `delete`
//! `{"UserName","AccessKeyId"}`, `list` `{"AccessKeys":[..]}` (never a secret).

use clap::{Args, Subcommand, ValueEnum};
use ram_core::directory::{AccessKeyStatus, Change, EntityKind};
use serde_json::{Value, json};

use super::user::not_exist;
use super::{Reply, views};
use crate::GlobalArgs;
use crate::error::CliError;
use crate::state::{self, Writer};

/// `ram access-key ...`.
#[derive(Debug, Subcommand)]
pub enum AccessKeyCommand {
    /// Create an access key for a user (at most 2 per user).
    Create(UserArg),
    /// Make a key Active or Inactive.
    SetStatus(SetStatusArgs),
    /// Delete a key.
    Delete(KeyArgs),
    /// List a user's keys (without secrets).
    List(UserArg),
}

/// A user.
#[derive(Debug, Args)]
pub struct UserArg {
    /// The user name.
    pub user: String,
}

/// A user's key.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The user name.
    pub user: String,
    /// The AccessKeyId.
    pub key_id: String,
}

/// `Active` or `Inactive` (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    /// The key authenticates.
    #[value(name = "Active")]
    Active,
    /// The key fails authentication.
    #[value(name = "Inactive")]
    Inactive,
}

/// Arguments of `ram access-key set-status`.
#[derive(Debug, Args)]
pub struct SetStatusArgs {
    /// The user name.
    pub user: String,
    /// The AccessKeyId.
    pub key_id: String,
    /// The new status.
    #[arg(value_enum, ignore_case = true)]
    pub status: StatusArg,
}

/// Runs `ram access-key ...`.
pub fn run(command: &AccessKeyCommand, global: &GlobalArgs) -> Result<Reply, CliError> {
    match command {
        AccessKeyCommand::Create(args) => {
            let change = Change::create_access_key(&args.user).map_err(|e| {
                CliError::ram(
                    "InternalError",
                    format!("the operating system's random source failed: {e}"),
                )
            })?;
            let Change::CreateAccessKey {
                access_key_id,
                access_key_secret,
                ..
            } = &change
            else {
                return Err(CliError::ram("InternalError", "unexpected access key change"));
            };
            let reply = Reply::always_json(json!({"AccessKeyId": access_key_id, "AccessKeySecret": access_key_secret}));
            let mut w = Writer::open(global)?;
            w.commit(&[change])?;
            Ok(reply)
        }
        AccessKeyCommand::SetStatus(args) => {
            let (status, name) = match args.status {
                StatusArg::Active => (AccessKeyStatus::Active, "Active"),
                StatusArg::Inactive => (AccessKeyStatus::Inactive, "Inactive"),
            };
            let mut w = Writer::open(global)?;
            w.commit(&[Change::UpdateAccessKey {
                user: args.user.clone(),
                access_key_id: args.key_id.clone(),
                status,
            }])?;
            Ok(
                Reply::json(json!({"UserName": args.user, "AccessKeyId": args.key_id, "Status": name})).with_text(
                    format!("access key {} of user {} is now {name}\n", args.key_id, args.user),
                ),
            )
        }
        AccessKeyCommand::Delete(args) => {
            let mut w = Writer::open(global)?;
            w.commit(&[Change::DeleteAccessKey {
                user: args.user.clone(),
                access_key_id: args.key_id.clone(),
            }])?;
            Ok(Reply::json(json!({"UserName": args.user, "AccessKeyId": args.key_id}))
                .with_text(format!("deleted access key {} of user {}\n", args.key_id, args.user)))
        }
        AccessKeyCommand::List(args) => {
            let state = state::read(global)?;
            let user = state
                .directory
                .user(&args.user)
                .ok_or_else(|| not_exist(EntityKind::User, &args.user))?;
            let keys: Vec<Value> = user.access_keys.iter().map(views::access_key).collect();
            Ok(Reply::listing(
                "AccessKeys",
                keys,
                &["AccessKeyId", "Status", "CreateDate", "LastUsedDate"],
            ))
        }
    }
}
