//! Console logins: `ram login-profile create USER --password P [--mfa-bind-required]
//! [--password-reset-required]`, `ram login-profile update USER [...]`,
//! `ram login-profile delete USER`, and `ram login USER --password P [--mfa-code C]`.
//!
//! `--password -` reads the password from the first line of stdin, so it stays out of the
//! process list and shell history. Passwords are only ever hashed (argon2id); they are never
//! printed or logged.
//!
//! `ram login` prints the console session token alone on stdout (so `TOKEN=$(ram login ...)`
//! works); with `--json`
//! `{"ConsoleSessionToken":..,"UserName":..,"LoginTime":..,"Expiration":..,"MFAPresent":bool}`.
//! A failed login is still recorded (failed attempts, `MaxLoginAttemps` lock) before the
//! command exits 3. `ram check --console-session TOKEN` checks as the session's user, with
//! `acs:MFAPresent` from the session.

use std::io::BufRead;

use clap::{ArgAction, Args, Subcommand};
use ram_core::directory::{Change, EntityKind};
use serde_json::json;

use super::Reply;
use super::user::not_exist;
use crate::GlobalArgs;
use crate::error::CliError;
use crate::state::{Writer, directory_error, login_error, session_error};

/// `ram login-profile ...`.
#[derive(Debug, Subcommand)]
pub enum LoginProfileCommand {
    /// Give a user a console password.
    Create(CreateArgs),
    /// Reset a user's password or flags (an administrator's reset: clears a lock).
    Update(UpdateArgs),
    /// Remove a user's console password (ends its console sessions).
    Delete(UserArg),
}

/// A user.
#[derive(Debug, Args)]
pub struct UserArg {
    /// The user name.
    pub user: String,
}

/// Arguments of `ram login-profile create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The user name.
    pub user: String,
    /// The password (`-`: read it from stdin); checked against the password policy.
    #[arg(long, value_name = "PASSWORD", allow_hyphen_values = true)]
    pub password: String,
    /// The user must bind an MFA device before logging in.
    #[arg(long)]
    pub mfa_bind_required: bool,
    /// The user must change the password at the next login.
    #[arg(long)]
    pub password_reset_required: bool,
}

/// Arguments of `ram login-profile update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The user name.
    pub user: String,
    /// A new password (`-`: read it from stdin).
    #[arg(long, value_name = "PASSWORD", allow_hyphen_values = true)]
    pub password: Option<String>,
    /// The user must bind an MFA device before logging in.
    #[arg(long, value_name = "BOOL", action = ArgAction::Set)]
    pub mfa_bind_required: Option<bool>,
    /// The user must change the password at the next login.
    #[arg(long, value_name = "BOOL", action = ArgAction::Set)]
    pub password_reset_required: Option<bool>,
}

/// Arguments of `ram login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The user name.
    pub user: String,
    /// The password (`-`: read it from stdin).
    #[arg(long, value_name = "PASSWORD", allow_hyphen_values = true)]
    pub password: String,
    /// The current code of the user's MFA device (6 digits).
    #[arg(long, value_name = "CODE")]
    pub mfa_code: Option<String>,
}

/// The password argument: itself, or the first line of stdin for `-` (no valid password is
/// `-`: the shortest policy allows 8 characters).
fn password(arg: &str) -> Result<String, CliError> {
    if arg != "-" {
        return Ok(arg.to_owned());
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::InvalidInput(format!("cannot read the password from stdin: {e}")))?;
    let trimmed = line.strip_suffix('\n').unwrap_or(&line);
    Ok(trimmed.strip_suffix('\r').unwrap_or(trimmed).to_owned())
}

fn profile_reply(w: &Writer, user: &str) -> Result<Reply, CliError> {
    let u = w
        .directory()
        .user(user)
        .ok_or_else(|| not_exist(EntityKind::User, user))?;
    let p = u
        .login_profile
        .as_ref()
        .ok_or_else(|| not_exist(EntityKind::LoginProfile, user))?;
    Ok(Reply::json(json!({"LoginProfile": {
        "UserName": user,
        "PasswordResetRequired": p.password_reset_required,
        "MFABindRequired": p.mfa_bind_required,
        "PasswordSetDate": p.password_set_date,
    }})))
}

/// Runs `ram login-profile ...`.
pub fn run_profile(command: &LoginProfileCommand, global: &GlobalArgs) -> Result<Reply, CliError> {
    match command {
        LoginProfileCommand::Create(args) => {
            let password = password(&args.password)?;
            let mut w = Writer::open(global)?;
            let change = Change::create_login_profile(
                w.directory(),
                &args.user,
                &password,
                args.password_reset_required,
                args.mfa_bind_required,
            )
            .map_err(directory_error)?;
            w.commit(&[change])?;
            profile_reply(&w, &args.user)
        }
        LoginProfileCommand::Update(args) => {
            let password = args.password.as_deref().map(password).transpose()?;
            let mut w = Writer::open(global)?;
            let change = Change::update_login_profile(
                w.directory(),
                &args.user,
                password.as_deref(),
                args.password_reset_required,
                args.mfa_bind_required,
            )
            .map_err(directory_error)?;
            w.commit(&[change])?;
            profile_reply(&w, &args.user)
        }
        LoginProfileCommand::Delete(args) => {
            let mut w = Writer::open(global)?;
            w.commit(&[Change::DeleteLoginProfile {
                user: args.user.clone(),
            }])?;
            Ok(Reply::json(json!({"UserName": args.user}))
                .with_text(format!("deleted the login profile of user {}\n", args.user)))
        }
    }
}

/// Runs `ram login`.
pub fn run_login(args: &LoginArgs, global: &GlobalArgs) -> Result<Reply, CliError> {
    let password = password(&args.password)?;
    let mut w = Writer::open(global)?;
    let attempt = w
        .directory()
        .login(&args.user, &password, args.mfa_code.as_deref(), w.now());
    // The changes are applied whatever the outcome: a failure must be counted, an MFA code
    // consumed. If they cannot be applied, the login failed.
    let committed = if attempt.changes.is_empty() {
        Ok(())
    } else {
        w.commit(&attempt.changes).map(|_| ())
    };
    let session = attempt.outcome.map_err(login_error)?;
    committed?;
    let token = session.to_token(w.directory()).map_err(session_error)?;
    Ok(Reply::json(json!({
        "ConsoleSessionToken": token,
        "UserName": session.user_name,
        "LoginTime": session.login_time,
        "Expiration": session.expiration,
        "MFAPresent": session.mfa_present,
    }))
    .with_text(format!("{token}\n")))
}
