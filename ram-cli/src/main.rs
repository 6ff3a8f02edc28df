//! `ram`: validate Alibaba Cloud RAM policy documents and evaluate requests against them.
//!
//! This file holds the command-line grammar (clap) and maps outcomes to exit codes; each
//! command lives in its own module:
//!
//! - [`validate`]: `ram policy validate FILE...`
//! - [`eval`]: `ram eval --policy FILE... --action A --resource R [--context KEY=VALUE...]`
//! - [`batch`]: `ram eval --batch FILE` (JSON Lines in, JSON Lines out)
//! - [`cache`]: the batch's memo of compiled documents
//! - [`input`]: the request checks both forms of `ram eval` share
//! - [`output`]: rendering of decisions and errors, human and JSON
//! - [`error`]: the error type and its exit code
//!
//! Exit codes: `0` success (for `ram eval`: a decision was made, whatever it is), `2` invalid
//! input or invalid policies (clap's own usage errors also exit `2`). No command reads,
//! creates or needs a state file.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod batch;
mod cache;
mod error;
mod eval;
mod input;
mod output;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

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
    about = "Validate Alibaba Cloud RAM policies and evaluate requests against them"
)]
#[command(propagate_version = true)]
struct Cli {
    /// Options accepted by every command.
    #[command(flatten)]
    global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    command: Command,
}

/// Options that every command accepts, before or after the command name.
///
/// Later options such as `--state FILE` or `--now RFC3339` belong here too.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Print JSON on stdout, errors too, as {"error":{"code":..,"message":..}} (`eval --batch`
    /// always prints JSON Lines).
    #[arg(long, global = true)]
    pub json: bool,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Work with policy documents.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Evaluate a request against policy documents (one request, or a batch with --batch).
    #[command(after_help = EVAL_AFTER_HELP)]
    Eval(EvalArgs),
}

/// Shown after `ram eval --help`.
const EVAL_AFTER_HELP: &str = "\
Exit status: 0 when a decision was made (Allow, ExplicitDeny or ImplicitDeny alike); 2 for
invalid input (a bad action, resource or --context, an unreadable or invalid policy file).

--batch reads one request per line:
  {\"policies\":[<policy document>...],\"request\":{\"action\":..,\"resource\":..,\"context\":{KEY: string or [strings]}}}
and prints exactly one JSON line per input line, in order: a decision, or
{\"error\":{\"code\":\"MalformedPolicyDocument\"|\"InvalidInput\",..}} for that line (blank lines included).
Its exit status is 0 once every line has its answer, 2 if the input cannot be read.";

/// `ram policy ...`.
#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Check policy documents; exit 0 when all are valid, 2 otherwise (every problem is listed
    /// on stdout with its file and JSON path).
    Validate(ValidateArgs),
}

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
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Policy(PolicyCommand::Validate(args)) => validate::run(args, &cli.global),
        Command::Eval(args) => match &args.batch {
            Some(path) => batch::run(path, &cli.global),
            None => eval::run(args, &cli.global),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            output::report_error(&err, &cli.global);
            err.exit_code()
        }
    }
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
