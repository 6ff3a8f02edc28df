//! `ram init --account ID`: creates the state file (refusing one that exists) with an
//! administrator RAM user `admin` holding AdministratorAccess and one access key, and prints
//! `{"UserName":"admin","AccessKeyId":..,"AccessKeySecret":..}` with or without `--json`:
//! the only time the secret is shown.

use clap::Args;
use ram_core::directory::{Change, Directory, PolicyTarget, PolicyType};
use serde_json::json;

use super::Reply;
use crate::GlobalArgs;
use crate::error::CliError;
use crate::state::{self, Writer, directory_error};

/// The administrator `ram init` creates.
pub const ADMIN: &str = "admin";

/// Arguments of `ram init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The account id (1–32 digits; Alibaba Cloud's are 16).
    #[arg(long, value_name = "ID")]
    pub account: String,
}

/// Runs `ram init`.
pub fn run(args: &InitArgs, global: &GlobalArgs) -> Result<Reply, CliError> {
    let now = state::now(global)?;
    let mut directory = Directory::new(&args.account).map_err(directory_error)?;
    let key = Change::create_access_key(ADMIN).map_err(|e| {
        CliError::ram(
            "InternalError",
            format!("the operating system's random source failed: {e}"),
        )
    })?;
    let Change::CreateAccessKey {
        access_key_id,
        access_key_secret,
        ..
    } = &key
    else {
        return Err(CliError::ram("InternalError", "unexpected access key change"));
    };
    let (id, secret) = (access_key_id.clone(), access_key_secret.clone());
    // Built in memory first, then written once: the state file appears complete or not at all.
    directory
        .apply_at(
            &[
                Change::CreateUser {
                    name: ADMIN.to_owned(),
                    display_name: Some(String::from("Administrator")),
                },
                Change::AttachPolicy {
                    target: PolicyTarget::User(ADMIN.to_owned()),
                    policy_type: Some(PolicyType::System),
                    policy: String::from("AdministratorAccess"),
                },
                key,
            ],
            now,
        )
        .map_err(directory_error)?;
    Writer::create(global, &directory, now)?;
    Ok(Reply::always_json(
        json!({"UserName": ADMIN, "AccessKeyId": id, "AccessKeySecret": secret}),
    ))
}
