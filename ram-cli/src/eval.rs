//! `ram eval --policy FILE... --action A --resource R [--context KEY=VALUE...]`: one request.
//!
//! Each policy is named in explanations by its path exactly as given, version `v1`, source
//! `policy`. The `--context` arguments are the whole request context. Exit 0 whenever a
//! decision is made (whatever it is); 2 for an invalid request, an unreadable policy file or
//! an invalid policy document (every problem of every invalid file is listed).

use std::io::{self, Write};
use std::sync::Arc;

use ram_core::{PolicyDocument, PolicyRef, PolicySet, Request, RequestContext, Source};

use crate::error::{CliError, FileProblem};
use crate::input::{check_action, check_resource, decode_policy_text, split_context_arg};
use crate::output::{explanation_text, write_explanation_json};
use crate::{EvalArgs, GlobalArgs};

/// Runs `ram eval` for one request.
pub fn run(args: &EvalArgs, global: &GlobalArgs) -> Result<(), CliError> {
    // clap requires both without --batch; an absent one is still an input error, not a panic.
    let action = args
        .action
        .as_deref()
        .ok_or_else(|| CliError::InvalidInput(String::from("--action is required")))?;
    let resource = args
        .resource
        .as_deref()
        .ok_or_else(|| CliError::InvalidInput(String::from("--resource is required")))?;
    check_action(action).map_err(CliError::InvalidInput)?;
    check_resource(resource).map_err(CliError::InvalidInput)?;
    let context = build_context(&args.context)?;
    let set = load_policies(args)?;

    let explanation = set.explain(&Request::new(action, resource, &context));
    let mut out = Vec::new();
    if global.json {
        write_explanation_json(&mut out, &explanation)?;
    } else {
        out.extend_from_slice(explanation_text(&explanation).as_bytes());
    }
    let mut stdout = io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(())
}

/// The request context from `--context KEY=VALUE` arguments, in order; a key given again
/// gains a value.
fn build_context(args: &[String]) -> Result<RequestContext, CliError> {
    let mut context = RequestContext::new();
    for arg in args {
        let (key, value) = split_context_arg(arg).map_err(CliError::InvalidInput)?;
        context.add(key, value);
    }
    Ok(context)
}

/// Reads, validates and compiles every `--policy` file. Unreadable files are `InvalidInput`;
/// otherwise every problem of every invalid document is collected into one
/// `MalformedPolicyDocument` error.
fn load_policies(args: &EvalArgs) -> Result<PolicySet, CliError> {
    let version: Arc<str> = Arc::from("v1");
    let mut builder = PolicySet::builder();
    let mut unreadable = Vec::new();
    let mut problems = Vec::new();
    let mut invalid_files = Vec::new();
    for path in &args.policies {
        let name = path.to_string_lossy().into_owned();
        let text = match std::fs::read(path) {
            Ok(bytes) => decode_policy_text(bytes),
            Err(e) => {
                unreadable.push(format!("cannot read policy file {name}: {e}"));
                continue;
            }
        };
        let errors = match text.map(|t| PolicyDocument::parse(&t)) {
            Ok(Ok(doc)) => {
                builder.push(
                    PolicyRef::new(name.as_str(), version.clone(), Source::Policy),
                    Arc::new(ram_core::CompiledPolicy::new(&doc)),
                );
                continue;
            }
            Ok(Err(err)) => err.problems().to_vec(),
            Err(problem) => vec![problem],
        };
        problems.extend(errors.into_iter().map(|p| FileProblem {
            file: name.clone(),
            path: p.path,
            message: p.message,
        }));
        invalid_files.push(name);
    }
    if !unreadable.is_empty() {
        return Err(CliError::InvalidInput(unreadable.join("; ")));
    }
    if !invalid_files.is_empty() {
        let n = problems.len();
        let message = format!(
            "invalid policy document{} {} ({n} problem{})",
            if invalid_files.len() == 1 { "" } else { "s" },
            invalid_files.join(", "),
            if n == 1 { "" } else { "s" },
        );
        return Err(CliError::MalformedPolicy {
            message,
            errors: problems,
        });
    }
    Ok(builder.build())
}
