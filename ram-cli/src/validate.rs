//! `ram policy validate FILE...`: checks every document and lists every problem.
//!
//! The report is the command's output, so it goes to stdout in both forms:
//!
//! - text: `FILE: valid`, or one `FILE: /json/path: message` line per problem;
//! - `--json`: `[{"file":..,"valid":bool,"errors":[{"path":..,"message":..}]}]`.
//!
//! An unreadable file is reported as a problem of that file at path `""`. The exit code is 0
//! when every document is valid and 2 otherwise.

use std::io::{self, Write};
use std::path::Path;

use ram_core::{ParseOptions, PolicyDocument, Problem};
use serde::Serialize;

use crate::error::CliError;
use crate::input::decode_policy_text;
use crate::output::problem_line;
use crate::{GlobalArgs, ValidateArgs};

/// The outcome for one file, as printed by `--json`.
#[derive(Debug, Serialize)]
struct FileReport {
    /// The file, exactly as given.
    file: String,
    /// Whether the document is valid.
    valid: bool,
    /// Every problem (empty when valid).
    errors: Vec<Problem>,
}

/// Runs `ram policy validate`.
pub fn run(args: &ValidateArgs, global: &GlobalArgs) -> Result<(), CliError> {
    let options = parse_options(args);
    let reports: Vec<FileReport> = args.files.iter().map(|f| check_file(f, &options)).collect();

    let mut out = Vec::new();
    if global.json {
        serde_json::to_writer(&mut out, &reports).map_err(io::Error::from)?;
        out.push(b'\n');
    } else {
        for r in &reports {
            if r.valid {
                writeln!(out, "{}: valid", r.file)?;
            }
            for p in &r.errors {
                writeln!(out, "{}", problem_line(&r.file, &p.path, &p.message))?;
            }
        }
    }
    let mut stdout = io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;

    if reports.iter().all(|r| r.valid) {
        Ok(())
    } else {
        Err(CliError::Reported)
    }
}

/// The grammar and size limit selected by `--trust`, `--session` and `--max-chars`.
fn parse_options(args: &ValidateArgs) -> ParseOptions {
    let options = if args.trust {
        ParseOptions::trust()
    } else if args.session {
        ParseOptions::session()
    } else {
        ParseOptions::identity()
    };
    match args.max_chars {
        Some(n) => options.max_chars(n),
        None => options,
    }
}

/// Reads and validates one file.
fn check_file(path: &Path, options: &ParseOptions) -> FileReport {
    let file = path.to_string_lossy().into_owned();
    let errors = match read_policy_text(path) {
        Err(problem) => vec![problem],
        Ok(text) => match PolicyDocument::parse_with(&text, options) {
            Ok(_) => Vec::new(),
            Err(err) => err.problems().to_vec(),
        },
    };
    FileReport {
        file,
        valid: errors.is_empty(),
        errors,
    }
}

/// Reads a policy file as text; a file that cannot be read, or is not UTF-8, is a problem of
/// the document itself (path `""`).
fn read_policy_text(path: &Path) -> Result<String, Problem> {
    let bytes = std::fs::read(path).map_err(|e| Problem::new("", format!("cannot read file: {e}")))?;
    decode_policy_text(bytes)
}
