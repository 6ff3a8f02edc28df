//! The error type of `ram-core`'s policy language boundary.

use std::fmt;

/// One problem found in a policy document: where it is (a JSON Pointer, RFC 6901) and
/// what is wrong, phrased as what was found and what is allowed.
///
/// ```
/// use ram_core::PolicyDocument;
///
/// let err = PolicyDocument::parse(r#"{"Version":"1","Statement":[{"Effect":"allow","Action":"*","Resource":"*"}]}"#)
///     .unwrap_err();
/// let problem = &err.problems()[0];
/// assert_eq!(problem.path, "/Statement/0/Effect");
/// assert!(problem.message.contains("\"Allow\" or \"Deny\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Problem {
    /// JSON Pointer to the offending element; `""` is the document itself.
    pub path: String,
    /// What was found and what is allowed.
    pub message: String,
}

impl Problem {
    /// A problem at `path` (a JSON Pointer) with its message.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "(document): {}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Why a policy document was rejected. A rejected document is never partly applied.
///
/// The problems of a document are collected, not just the first: [`PolicyError::problems`]
/// lists every one with its JSON path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not JSON at all (or not one JSON value).
    #[error("policy document is not valid JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line of the first syntax error.
        line: usize,
        /// 1-based column of the first syntax error.
        column: usize,
        /// The parser's description.
        message: String,
        /// The same error as a [`Problem`] at path `""`, so callers can list problems uniformly.
        problems: Vec<Problem>,
    },
    /// The document is JSON but breaks one or more rules of the policy grammar.
    #[error("policy document is invalid ({} problem{}): {}", problems.len(), if problems.len() == 1 { "" } else { "s" }, join(problems))]
    Invalid {
        /// Every problem found (unknown and duplicate keys of an object first, then its elements).
        problems: Vec<Problem>,
    },
}

fn join(problems: &[Problem]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl PolicyError {
    /// Every problem of the rejected document, each with its JSON path.
    pub fn problems(&self) -> &[Problem] {
        match self {
            PolicyError::Syntax { problems, .. } | PolicyError::Invalid { problems } => problems,
        }
    }

    /// The RAM error code for a rejected identity policy document.
    pub fn code(&self) -> &'static str {
        "MalformedPolicyDocument"
    }
}
