//! Rendering: decisions and errors, as human text or as JSON.
//!
//! JSON shapes (scripts depend on them):
//!
//! - a decision: `{"decision":"Allow|ExplicitDeny|ImplicitDeny","matched":[{"policy","version",
//!   "statement","effect","source"}...]}`, plus `"failed_conditions":[...]` for an implicit
//!   deny (this is `ram_core::Explanation`'s own serialisation);
//! - an error: `{"error":{"code":"<RAM error code>","message":..}}` (`InvalidInput`,
//!   `MalformedPolicyDocument`, `EntityNotExist.User`, `StateLocked`, ...), with
//!   `"errors":[...]` for invalid policies (and `"path":"/policies/N"` in a batch).

use std::fmt::Write as _;
use std::io::{self, Write};

use ram_core::{Decision, Explanation, Problem};
use serde::Serialize;

use crate::GlobalArgs;
use crate::error::{CliError, FileProblem};

/// `{"error": ...}`.
#[derive(Serialize)]
pub struct ErrorEnvelope<'a, E: Serialize> {
    /// The error body.
    pub error: ErrorBody<'a, E>,
}

/// The body of an `{"error": ...}` object.
#[derive(Serialize)]
pub struct ErrorBody<'a, E: Serialize> {
    /// The error code: `InvalidInput`, `MalformedPolicyDocument` or a RAM code.
    pub code: &'a str,
    /// A one-line description.
    pub message: &'a str,
    /// In a batch: the JSON Pointer of the invalid document within its line (`/policies/N`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<&'a str>,
    /// For `MalformedPolicyDocument`: every problem found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<&'a [E]>,
}

/// Writes `{"error":{"code":"InvalidInput","message":..}}` and a newline.
pub fn write_invalid_input<W: Write>(out: &mut W, message: &str) -> io::Result<()> {
    let envelope = ErrorEnvelope::<Problem> {
        error: ErrorBody {
            code: "InvalidInput",
            message,
            path: None,
            errors: None,
        },
    };
    serde_json::to_writer(&mut *out, &envelope)?;
    out.write_all(b"\n")
}

/// Writes `{"error":{"code":"MalformedPolicyDocument","message":..,"path":..,"errors":[..]}}`
/// and a newline.
pub fn write_malformed<W: Write>(out: &mut W, message: &str, path: &str, errors: &[Problem]) -> io::Result<()> {
    let envelope = ErrorEnvelope {
        error: ErrorBody {
            code: "MalformedPolicyDocument",
            message,
            path: Some(path),
            errors: Some(errors),
        },
    };
    serde_json::to_writer(&mut *out, &envelope)?;
    out.write_all(b"\n")
}

/// Writes an explanation as one JSON line.
pub fn write_explanation_json<W: Write>(out: &mut W, explanation: &Explanation) -> io::Result<()> {
    serde_json::to_writer(&mut *out, explanation)?;
    out.write_all(b"\n")
}

/// An explanation as text: the decision on the first line, then one line per deciding
/// statement, or for an implicit deny one line per failed condition.
///
/// ```text
/// Allow
///   matched: policy.json v1 statement 0 (Allow, source policy)
/// ```
pub fn explanation_text(explanation: &Explanation) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "{}", explanation.decision);
    for m in &explanation.matched {
        let _ = writeln!(
            text,
            "  matched: {} {} statement {} ({}, source {})",
            m.policy,
            m.version,
            m.statement,
            m.effect.as_str(),
            m.source
        );
    }
    if explanation.decision == Decision::ImplicitDeny {
        let failed = explanation.failed_conditions.as_deref().unwrap_or_default();
        if failed.is_empty() {
            text.push_str("  no statement matches the action and resource\n");
        }
        for f in failed {
            let _ = writeln!(
                text,
                "  failed condition: {} {} statement {} ({}): {} {}",
                f.policy,
                f.version,
                f.statement,
                f.effect.as_str(),
                f.operator,
                f.key
            );
        }
    }
    text
}

/// Prints an error the way the command line reports it: with `--json`, as one
/// `{"error":..}` object on stdout; otherwise as text on stderr.
///
/// Batch input errors always go to stderr, so that a batch's stdout holds only the per-line
/// results; a closed stdout pipe is not reported at all.
pub fn report_error(err: &CliError, global: &GlobalArgs) {
    match err {
        CliError::Reported => {}
        CliError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        CliError::Output(e) => eprintln!("ram: error: cannot write output: {e}"),
        CliError::BatchInput(message) => eprintln!("ram: error: {message}"),
        CliError::Ram { code, message, .. } => {
            if global.json {
                print_json_error(&ErrorEnvelope::<FileProblem> {
                    error: ErrorBody {
                        code,
                        message,
                        path: None,
                        errors: None,
                    },
                });
            } else {
                eprintln!("ram: error: {code}: {message}");
            }
        }
        CliError::NoPermission {
            message,
            no_permission_type,
        } => {
            if global.json {
                print_json_error(&serde_json::json!({"error": {
                    "code": "NoPermission",
                    "message": message,
                    "NoPermissionType": no_permission_type,
                }}));
            } else {
                eprintln!("ram: error: NoPermission ({no_permission_type}): {message}");
            }
        }
        CliError::InvalidInput(message) => {
            if global.json {
                print_json_error(&ErrorEnvelope::<FileProblem> {
                    error: ErrorBody {
                        code: err.code(),
                        message,
                        path: None,
                        errors: None,
                    },
                });
            } else {
                eprintln!("ram: error: {message}");
            }
        }
        CliError::MalformedPolicy { message, errors } => {
            if global.json {
                print_json_error(&ErrorEnvelope {
                    error: ErrorBody {
                        code: err.code(),
                        message,
                        path: None,
                        errors: Some(errors),
                    },
                });
            } else {
                let mut text = format!("ram: error: {message}\n");
                for p in errors {
                    let _ = writeln!(text, "{}", problem_line(&p.file, &p.path, &p.message));
                }
                let _ = io::stderr().lock().write_all(text.as_bytes());
            }
        }
    }
}

/// `FILE: /json/path: message` (`FILE: (document): message` for the document itself).
pub fn problem_line(file: &str, path: &str, message: &str) -> String {
    if path.is_empty() {
        format!("{file}: (document): {message}")
    } else {
        format!("{file}: {path}: {message}")
    }
}

/// Prints one JSON value and a newline on stdout.
fn print_json_error<T: Serialize>(value: &T) {
    let mut line = serde_json::to_vec(value).unwrap_or_default();
    line.push(b'\n');
    // Nothing sensible is left to do if stdout is gone.
    let _ = io::stdout().lock().write_all(&line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ram_core::{PolicyDocument, PolicyRef, PolicySet, Request, RequestContext, Source};

    #[test]
    fn implicit_deny_text_lists_failed_conditions() {
        let doc = PolicyDocument::parse(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*",
                "Condition":{"Bool":{"acs:SecureTransport":"true"}}}]}"#,
        )
        .unwrap();
        let set = PolicySet::builder()
            .add_document(PolicyRef::new("p.json", "v1", Source::Policy), &doc)
            .build();
        let ctx = RequestContext::new();
        let text = explanation_text(&set.explain(&Request::new("oss:GetObject", "x", &ctx)));
        assert_eq!(
            text,
            "ImplicitDeny\n  failed condition: p.json v1 statement 0 (Allow): Bool acs:SecureTransport\n"
        );
        let text = explanation_text(&set.explain(&Request::new("ecs:Run", "x", &ctx)));
        assert_eq!(text, "ImplicitDeny\n  no statement matches the action and resource\n");
    }

    #[test]
    fn error_lines_have_the_documented_shape() {
        let mut out = Vec::new();
        write_invalid_input(&mut out, "bad").unwrap();
        write_malformed(&mut out, "m", "/policies/0", &[]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            r#"{"error":{"code":"InvalidInput","message":"bad"}}"#
        );
        assert_eq!(
            lines.next().unwrap(),
            r#"{"error":{"code":"MalformedPolicyDocument","message":"m","path":"/policies/0","errors":[]}}"#
        );
    }
}
