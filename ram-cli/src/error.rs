//! The error type of the command line and its exit code.
//!
//! Exit codes are a public contract: `0` success (or a decision was made), `2` invalid input,
//! `3` authentication failure, `1` anything else (a refusal such as `NoPermission`, an
//! `EntityNotExist.*`, a `DeleteConflict.*`, a locked or missing state file).

use std::io;
use std::process::ExitCode;

/// Exit code for invalid input, invalid policies and unreadable files (clap uses it too).
pub const EXIT_INVALID: u8 = 2;
/// Exit code for an authentication failure (unknown user, wrong or inactive key, bad token).
pub const EXIT_AUTH: u8 = 3;
/// Exit code for every other failure.
pub const EXIT_FAILURE: u8 = 1;

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

/// How a failure ends the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// Exit 2: the input is not acceptable.
    Invalid,
    /// Exit 3: the caller could not be authenticated.
    Auth,
    /// Exit 1: anything else.
    Failure,
}

impl ExitKind {
    /// The classification of a RAM (or store) error code. One table, so that every command,
    /// and later `ram sts ...`, maps the same code to the same exit code.
    pub fn of_code(code: &str) -> ExitKind {
        let invalid = code == "InvalidInput"
            || code == "MalformedPolicyDocument"
            || code.starts_with("InvalidParameter")
            || code.starts_with("MissingParameter");
        let auth = code.starts_with("InvalidAccessKeyId")
            || code.starts_with("InvalidSecurityToken")
            || code.starts_with("InvalidConsoleSession")
            || code == "SignatureDoesNotMatch"
            || code == "CheckAuthenticationCodeFail";
        if invalid {
            ExitKind::Invalid
        } else if auth {
            ExitKind::Auth
        } else {
            ExitKind::Failure
        }
    }

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitKind::Invalid => EXIT_INVALID,
            ExitKind::Auth => EXIT_AUTH,
            ExitKind::Failure => EXIT_FAILURE,
        }
    }
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
    /// A refusal with a RAM error code (`EntityNotExist.User`, `StateLocked`,
    /// `InvalidAccessKeyId.NotFound`, ...) and the exit code it ends with.
    Ram {
        /// The error code.
        code: String,
        /// A one-line description (never a secret).
        message: String,
        /// Exit 1, 2 or 3.
        exit: ExitKind,
    },
    /// A refused STS call (`NoPermission`, exit 1) and whether a policy denied it explicitly:
    /// its JSON error carries `"NoPermissionType":"ExplicitDeny"|"ImplicitDeny"`.
    NoPermission {
        /// RAM's message.
        message: String,
        /// `ExplicitDeny` or `ImplicitDeny`.
        no_permission_type: &'static str,
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
    /// A refusal whose exit code follows from its code ([`ExitKind::of_code`]).
    pub fn ram(code: impl Into<String>, message: impl Into<String>) -> CliError {
        let code = code.into();
        let exit = ExitKind::of_code(&code);
        CliError::Ram {
            code,
            message: message.into(),
            exit,
        }
    }

    /// An authentication failure (exit 3) with its code.
    pub fn auth(code: impl Into<String>, message: impl Into<String>) -> CliError {
        CliError::Ram {
            code: code.into(),
            message: message.into(),
            exit: ExitKind::Auth,
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            CliError::Ram { exit, .. } => exit.code(),
            CliError::NoPermission { .. } => EXIT_FAILURE,
            _ => EXIT_INVALID,
        })
    }

    /// The RAM-style error code used in JSON output.
    pub fn code(&self) -> &str {
        match self {
            CliError::MalformedPolicy { .. } => "MalformedPolicyDocument",
            CliError::Ram { code, .. } => code,
            CliError::NoPermission { .. } => "NoPermission",
            _ => "InvalidInput",
        }
    }
}

impl From<io::Error> for CliError {
    fn from(err: io::Error) -> Self {
        CliError::Output(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_exit_codes() {
        for (code, exit) in [
            ("InvalidParameter.UserName", 2),
            ("MalformedPolicyDocument", 2),
            ("InvalidInput", 2),
            ("InvalidAccessKeyId.NotFound", 3),
            ("InvalidAccessKeyId.Inactive", 3),
            ("InvalidSecurityToken.Expired", 3),
            ("InvalidConsoleSession.Expired", 3),
            ("CheckAuthenticationCodeFail", 3),
            ("NoPermission", 1),
            ("EntityNotExist.User", 1),
            ("DeleteConflict.User.Group", 1),
            ("StateLocked", 1),
        ] {
            assert_eq!(ExitKind::of_code(code).code(), exit, "{code}");
        }
    }
}
