//! Virtual MFA devices: `ram mfa create DEVICE`, `ram mfa bind USER DEVICE CODE1 CODE2`,
//! `ram mfa unbind USER`, `ram mfa delete DEVICE`. DEVICE is a device name or its serial
//! number (`acs:ram::<account>:mfa/<name>`).
//!
//! `create` prints `{"VirtualMFADevice":{"SerialNumber":..,"Base32StringSeed":..}}` with or
//! without `--json`: the seed is shown this once, for the authenticator app. `bind` needs the
//! codes of two consecutive 30-second steps, the second current at `--now`; a wrong, stale or
//! used code is `CheckAuthenticationCodeFail` (exit 3). `bind`, `unbind` and `delete` print
//! `{"UserName":..,"SerialNumber":..}` (`delete`: `{"SerialNumber":..}`).

use clap::{Args, Subcommand};
use ram_core::directory::{Change, Directory, EntityKind};
use serde_json::json;

use super::Reply;
use super::user::not_exist;
use crate::GlobalArgs;
use crate::error::CliError;
use crate::state::Writer;

/// `ram mfa ...`.
#[derive(Debug, Subcommand)]
pub enum MfaCommand {
    /// Create a virtual MFA device; prints its seed once.
    Create(DeviceArg),
    /// Bind a device to a user with two consecutive codes.
    Bind(BindArgs),
    /// Unbind a user's device.
    Unbind(UserArg),
    /// Delete an unbound device.
    Delete(DeviceArg),
}

/// A device.
#[derive(Debug, Args)]
pub struct DeviceArg {
    /// The device name (1–64 of letters, digits, '.', '_', '-') or serial number.
    pub device: String,
}

/// A user.
#[derive(Debug, Args)]
pub struct UserArg {
    /// The user name.
    pub user: String,
}

/// Arguments of `ram mfa bind`.
#[derive(Debug, Args)]
pub struct BindArgs {
    /// The user name.
    pub user: String,
    /// The device name or serial number.
    pub device: String,
    /// The code of one 30-second step (6 digits).
    pub code1: String,
    /// The code of the next step (6 digits), current at --now.
    pub code2: String,
}

/// The serial number of `device` (a name, or already a serial).
fn serial(dir: &Directory, device: &str) -> String {
    if device.starts_with("acs:ram:") {
        device.to_owned()
    } else {
        dir.mfa_serial(device)
    }
}

/// Runs `ram mfa ...`.
pub fn run(command: &MfaCommand, global: &GlobalArgs) -> Result<Reply, CliError> {
    let mut w = Writer::open(global)?;
    match command {
        MfaCommand::Create(args) => {
            let change = Change::create_virtual_mfa_device(&args.device).map_err(|e| {
                CliError::ram(
                    "InternalError",
                    format!("the operating system's random source failed: {e}"),
                )
            })?;
            let Change::CreateVirtualMfaDevice { base32_string_seed, .. } = &change else {
                return Err(CliError::ram("InternalError", "unexpected MFA device change"));
            };
            let seed = base32_string_seed.clone();
            w.commit(&[change])?;
            let serial = w.directory().mfa_serial(&args.device);
            Ok(Reply::always_json(json!({"VirtualMFADevice": {
                "SerialNumber": serial,
                "Base32StringSeed": seed,
            }})))
        }
        MfaCommand::Bind(args) => {
            let serial = serial(w.directory(), &args.device);
            w.commit(&[Change::BindMfaDevice {
                user: args.user.clone(),
                serial: serial.clone(),
                code1: args.code1.clone(),
                code2: args.code2.clone(),
            }])?;
            Ok(Reply::json(json!({"UserName": args.user, "SerialNumber": serial}))
                .with_text(format!("bound MFA device {serial} to user {}\n", args.user)))
        }
        MfaCommand::Unbind(args) => {
            let serial = w
                .directory()
                .user(&args.user)
                .ok_or_else(|| not_exist(EntityKind::User, &args.user))?
                .mfa_device
                .clone();
            w.commit(&[Change::UnbindMfaDevice {
                user: args.user.clone(),
            }])?;
            let serial = serial.unwrap_or_default();
            Ok(Reply::json(json!({"UserName": args.user, "SerialNumber": serial}))
                .with_text(format!("unbound MFA device {serial} from user {}\n", args.user)))
        }
        MfaCommand::Delete(args) => {
            let serial = serial(w.directory(), &args.device);
            w.commit(&[Change::DeleteVirtualMfaDevice { serial: serial.clone() }])?;
            Ok(Reply::json(json!({ "SerialNumber": serial })).with_text(format!("deleted MFA device {serial}\n")))
        }
    }
}
