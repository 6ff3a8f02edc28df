//! The error type of the command line and its exit code.

use std::io;
use std::process::ExitCode;

/// Exit code for invalid input, invalid policies and unreadable files (clap uses it too).
pub const EXIT_INVALID: u8 = 2;

/// One problem of one policy file: which file, where in it (a JSON Pointer) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileProblem {
    /// The file, exactly as given on the command line.
    pub file: String,
    /// JSON Pointer into the document; `""` is the document itself.
    pub path: String,
    /// What was found and what is allowed.
    pub message: String,
}

/// Why a command did not succeed.
#[derive(Debug)]
pub enum CliError {
    /// The request or the arguments are not acceptable (code `InvalidInput`).
    InvalidInput(String),
    /// One or more policy files are invalid (code `MalformedPolicyDocument`); every problem of
    /// every invalid file is listed.
    MalformedPolicy {
        /// A one-line summary.
        message: String,
        /// Every problem, with its file and JSON path.
        errors: Vec<FileProblem>,
    },
    /// The outcome was already printed as the command's normal output (e.g. `ram policy
    /// validate` found invalid documents): nothing more to say, but exit 2.
    Reported,
    /// The batch input cannot be read. Reported on stderr only, so that stdout of a batch
    /// stays exactly one JSON line per input line.
    BatchInput(String),
    /// Standard output cannot be written (a closed pipe is not reported).
    Output(io::Error),
}

impl CliError {
    /// The process exit code for this error: always 2.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(EXIT_INVALID)
    }

    /// The RAM-style error code used in JSON output.
    pub fn code(&self) -> &'static str {
        match self {
            CliError::MalformedPolicy { .. } => "MalformedPolicyDocument",
            _ => "InvalidInput",
        }
    }
}

impl From<io::Error> for CliError {
    fn from(err: io::Error) -> Self {
        CliError::Output(err)
    }
}
