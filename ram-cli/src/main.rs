//! `ram`: validate Alibaba Cloud RAM policy documents, evaluate requests against them, and
//! manage and query the directory of an account kept in a state file.
//!
//! This file holds the top-level command-line grammar (clap) and maps outcomes to exit codes;
//! each command lives in its own module:
//!
//! - [`validate`]: `ram policy validate FILE...`
//! - [`eval`]: `ram eval --policy FILE... --action A --resource R [--context KEY=VALUE...]`
//! - [`batch`]: `ram eval --batch FILE` (JSON Lines in, JSON Lines out)
//! - [`cache`]: the batch's memo of compiled documents
//! - [`input`]: the request checks both forms of `ram eval` share
//! - [`output`]: rendering of decisions and errors, human and JSON
//! - [`error`]: the error type and its exit code
//! - [`state`]: the state file, the clock (`--now`) and the mapping of ram-core's errors
//! - [`commands`]: the directory commands (`init`, `user`, `group`, `policy`, `attach`,
//!   `detach`, `role`, `guardrail`, `security-preference`, `mfa`, `access-key`,
//!   `login-profile`, `login`, `password-policy`, `check`, `sts`, `serve`), one module per group
//!
//! Exit codes: `0` success (for `ram eval` and `ram check`: a decision was made, whatever it
//! is), `2` invalid input or invalid policies (clap's own usage errors also exit `2`), `3` an
//! authentication failure, `1` anything else. `ram eval` and `ram policy validate` never read
//! or create a state file.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod batch;
mod cache;
mod commands;
mod error;
mod eval;
mod input;
mod output;
mod state;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use commands::Reply;
use commands::access_key::AccessKeyCommand;
use commands::account::{GuardrailCommand, PasswordPolicyCommand, SecurityPreferenceCommand};
use commands::attach::AttachArgs;
use commands::bench::BenchArgs;
use commands::check::CheckArgs;
use commands::group::GroupCommand;
use commands::init::InitArgs;
use commands::login::{LoginArgs, LoginProfileCommand};
use commands::mfa::MfaCommand;
use commands::policy::PolicyCommand;
use commands::role::RoleCommand;
use commands::serve::ServeArgs;
use commands::sts::StsCommand;
use commands::user::UserCommand;
use error::CliError;

/// The allocator. A batch line allocates many small, short-lived objects (parsing, compiling
/// and explaining its documents); mimalloc makes `ram eval --batch` about 15% faster than the
/// system allocator (see `tools/measure_batch.sh`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The whole command line.
#[derive(Debug, Parser)]
#[command(
    name = "ram",
    version,
    about = "Alibaba Cloud RAM policies and directory: validate, evaluate, manage, check"
)]
#[command(propagate_version = true, after_help = MAIN_AFTER_HELP)]
struct Cli {
    /// Options accepted by every command.
    #[command(flatten)]
    global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    command: Command,
}

/// Options that every command accepts, before or after the command name.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Print JSON on stdout, errors too, as {"error":{"code":..,"message":..}} (`eval --batch`
    /// always prints JSON Lines).
    #[arg(long, global = true)]
    pub json: bool,
    /// The state file of the directory commands (`ram eval` and `ram policy validate` never
    /// read it).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "RAM_STATE",
        default_value = "ram.json"
    )]
    pub state: PathBuf,
    /// Run as of this instant (RFC 3339) instead of the system clock: timestamps, expiry,
    /// password age, lockout, TOTP. Never becomes acs:CurrentTime.
    #[arg(long, global = true, value_name = "RFC3339")]
    pub now: Option<String>,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Work with policies: validate documents (no state); create, version, show, list custom
    /// policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Evaluate a request against policy documents (one request, or a batch with --batch).
    #[command(after_help = EVAL_AFTER_HELP)]
    Eval(EvalArgs),
    /// Create the state file with an administrator user `admin` and its access key.
    Init(InitArgs),
    /// RAM users.
    #[command(subcommand)]
    User(UserCommand),
    /// User groups and their members.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Attach a policy to a user, group or role.
    Attach(AttachArgs),
    /// Detach a policy from a user, group or role.
    Detach(AttachArgs),
    /// RAM roles.
    #[command(subcommand)]
    Role(RoleCommand),
    /// Guardrail policies bounding every RAM identity of the account.
    #[command(subcommand)]
    Guardrail(GuardrailCommand),
    /// Account-wide best-practice switches.
    #[command(subcommand)]
    SecurityPreference(SecurityPreferenceCommand),
    /// Virtual MFA devices.
    #[command(subcommand)]
    Mfa(MfaCommand),
    /// Access keys of users.
    #[command(subcommand)]
    AccessKey(AccessKeyCommand),
    /// Console passwords of users.
    #[command(subcommand)]
    LoginProfile(LoginProfileCommand),
    /// Log in to the console as a user; prints a console session token.
    Login(LoginArgs),
    /// The account's password policy.
    #[command(subcommand)]
    PasswordPolicy(PasswordPolicyCommand),
    /// Decide a request for a caller of the directory (exit 0 whatever the decision, 3 when
    /// the caller cannot be authenticated).
    Check(CheckArgs),
    /// STS: assume a role for temporary credentials, verify tokens, manage signing keys.
    #[command(subcommand)]
    Sts(StsCommand),
    /// Replay requests (JSON Lines) against the directory and report decisions per second,
    /// latency percentiles and the decision mix; or generate such requests with --generate N.
    Bench(BenchArgs),
    /// Serve the directory as a local RAM and STS endpoint for Alibaba Cloud's SDKs (holds
    /// the state lock while running; prints `listening on ADDR` once bound).
    Serve(ServeArgs),
}

/// Shown after `ram --help`.
const MAIN_AFTER_HELP: &str = "\
Exit status: 0 success (for eval and check: a decision was made, whatever it is); 2 invalid
input; 3 authentication failure (unknown user, unknown/inactive/foreign access key, bad or
expired console session or security token, wrong MFA code); 1 anything else (EntityNotExist.*, DeleteConflict.*,
StateLocked, ...). With --json, stdout holds exactly one JSON value; errors are
{\"error\":{\"code\":..,\"message\":..}}.";

/// Shown after `ram eval --help`.
const EVAL_AFTER_HELP: &str = "\
Exit status: 0 when a decision was made (Allow, ExplicitDeny or ImplicitDeny alike); 2 for
invalid input (a bad action, resource or --context, an unreadable or invalid policy file).

--batch reads one request per line:
  {\"policies\":[<policy document>...],\"request\":{\"action\":..,\"resource\":..,\"context\":{KEY: string or [strings]}}}
and prints exactly one JSON line per input line, in order: a decision, or
{\"error\":{\"code\":\"MalformedPolicyDocument\"|\"InvalidInput\",..}} for that line (blank lines included).
Its exit status is 0 once every line has its answer, 2 if the input cannot be read.";

/// Arguments of `ram policy validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Policy documents to check (JSON files).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Validate as role trust policies (Principal required, no Resource).
    #[arg(long, conflicts_with = "session")]
    pub trust: bool,
    /// Validate as STS session policies (at most 2,048 characters).
    #[arg(long)]
    pub session: bool,
    /// Replace the size limit, in characters (default 6,144; 2,048 with --session).
    #[arg(long, value_name = "N")]
    pub max_chars: Option<usize>,
}

/// Arguments of `ram eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// A policy document (JSON file); repeat for several. Its name in explanations is the path
    /// exactly as given here.
    #[arg(long = "policy", value_name = "FILE", required_unless_present = "batch")]
    pub policies: Vec<PathBuf>,
    /// The action, `<service>:<Name>` (e.g. `oss:GetObject`).
    #[arg(long, value_name = "ACTION", required_unless_present = "batch")]
    pub action: Option<String>,
    /// The resource ARN (e.g. `acs:oss:*:123456:bucket/b/key`).
    #[arg(
        long,
        value_name = "ARN",
        required_unless_present = "batch",
        allow_hyphen_values = true
    )]
    pub resource: Option<String>,
    /// A condition key and value, split at the first `=`; a key given twice is multi-valued.
    /// This is the whole request context: nothing is added implicitly.
    #[arg(long = "context", value_name = "KEY=VALUE", allow_hyphen_values = true)]
    pub context: Vec<String>,
    /// Evaluate JSON Lines from FILE (`-` for stdin) and print one JSON line per input line.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["policies", "action", "resource", "context"]
    )]
    pub batch: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    let result = match &cli.command {
        Command::Policy(PolicyCommand::Validate(args)) => validate::run(args, &cli.global),
        Command::Eval(args) => match &args.batch {
            Some(path) => batch::run(path, &cli.global),
            None => eval::run(args, &cli.global),
        },
        Command::Serve(args) => commands::serve::run(args, &cli.global),
        command => run_state_command(command, &cli.global).and_then(|reply| Ok(reply.print(&cli.global)?)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            output::report_error(&err, &cli.global);
            err.exit_code()
        }
    }
}

/// Runs a command that works on the state file.
fn run_state_command(command: &Command, global: &GlobalArgs) -> Result<Reply, CliError> {
    match command {
        Command::Policy(c) => commands::policy::run(c, global),
        Command::Init(args) => commands::init::run(args, global),
        Command::User(c) => commands::user::run(c, global),
        Command::Group(c) => commands::group::run(c, global),
        Command::Attach(args) => commands::attach::run(args, true, global),
        Command::Detach(args) => commands::attach::run(args, false, global),
        Command::Role(c) => commands::role::run(c, global),
        Command::Guardrail(c) => commands::account::run_guardrail(c, global),
        Command::SecurityPreference(c) => commands::account::run_security_preference(c, global),
        Command::PasswordPolicy(c) => commands::account::run_password_policy(c, global),
        Command::Mfa(c) => commands::mfa::run(c, global),
        Command::AccessKey(c) => commands::access_key::run(c, global),
        Command::LoginProfile(c) => commands::login::run_profile(c, global),
        Command::Login(args) => commands::login::run_login(args, global),
        Command::Check(args) => commands::check::run(args, global),
        Command::Sts(c) => commands::sts::run(c, global),
        Command::Bench(args) => commands::bench::run(args, global),
        Command::Eval(_) | Command::Serve(_) => Err(CliError::InvalidInput(String::from(
            "eval and serve are not one-shot state commands",
        ))),
    }
}

/// A command line clap refused: with `--json`, one `{"error":{"code":"InvalidInput",..}}` on
/// stdout (so stdout still holds exactly one JSON value), else clap's own message; exit 2.
/// Help and version requests print as usual and exit 0.
fn usage_error(err: clap::Error) -> ExitCode {
    let json = std::env::args_os().skip(1).any(|a| a == "--json");
    if !err.use_stderr() || !json {
        err.exit();
    }
    let rendered = err.render().to_string();
    let message = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid command line")
        .trim_start_matches("error: ")
        .to_owned();
    output::report_error(
        &CliError::InvalidInput(message),
        &GlobalArgs {
            json: true,
            state: PathBuf::new(),
            now: None,
        },
    );
    ExitCode::from(error::EXIT_INVALID)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn json_is_global() {
        let cli = Cli::try_parse_from(["ram", "policy", "validate", "a.json", "--json"]).unwrap();
        assert!(cli.global.json);
        let cli = Cli::try_parse_from(["ram", "--json", "eval", "--batch", "-"]).unwrap();
        assert!(cli.global.json);
    }

    #[test]
    fn batch_excludes_single_request_flags() {
        assert!(Cli::try_parse_from(["ram", "eval", "--batch", "-", "--action", "a:b"]).is_err());
        assert!(Cli::try_parse_from(["ram", "eval", "--policy", "p.json", "--action", "a:b"]).is_err());
    }
}
