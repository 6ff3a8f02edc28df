//! `ram policy create|create-version|get|delete|set-default|delete-version|list` (custom
//! policies; system policies can be read and listed), next to the state-free
//! `ram policy validate`.
//!
//! JSON: `create` prints `{"Policy":{..}}`; `create-version`
//! `{"PolicyVersion":{"PolicyName","VersionId","IsDefaultVersion","CreateDate"}}`; `get`
//! `{"Policy":{..},"DefaultPolicyVersion":{"VersionId","IsDefaultVersion","PolicyDocument","CreateDate"}}`
//! (plus `"Versions":[..]` for a custom policy, the document as submitted, a string);
//! `set-default` and `delete-version` `{"PolicyName","VersionId"}`; `delete`
//! `{"PolicyName":..}`; `list` `{"Policies":[..]}` (system policies first).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use ram_core::directory::{Change, Directory, EntityKind, PolicyType, system_policy};
use serde_json::{Value, json};

use super::attach::PolicyTypeArg;
use super::user::not_exist;
use super::{Reply, views};
use crate::error::CliError;
use crate::state::{self, Writer, read_document};
use crate::{GlobalArgs, ValidateArgs};

/// `ram policy ...`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check policy documents; exit 0 when all are valid, 2 otherwise (every problem is listed
    /// on stdout with its file and JSON path). Reads no state file.
    Validate(ValidateArgs),
    /// Create a custom policy from a document file (its version v1).
    Create(CreateArgs),
    /// Add a version to a custom policy (at most 5 versions).
    CreateVersion(CreateVersionArgs),
    /// Show a policy (custom or system) and its default document.
    Get(GetArgs),
    /// Delete a custom policy; refused while attached, or while it has other versions unless
    /// --cascade.
    Delete(DeleteArgs),
    /// Make a version the default.
    SetDefault(VersionArgs),
    /// Delete a non-default version.
    DeleteVersion(VersionArgs),
    /// List the policies, system first, then custom.
    List(ListArgs),
}

/// Arguments of `ram policy create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The policy name: 1–128 of letters, digits and '-'; not a system policy's name.
    pub name: String,
    /// The policy document (a JSON file).
    #[arg(long, value_name = "FILE")]
    pub document: PathBuf,
    /// A description.
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub description: String,
}

/// Arguments of `ram policy create-version`.
#[derive(Debug, Args)]
pub struct CreateVersionArgs {
    /// The policy name.
    pub name: String,
    /// The policy document (a JSON file).
    #[arg(long, value_name = "FILE")]
    pub document: PathBuf,
    /// Make the new version the default.
    #[arg(long)]
    pub set_default: bool,
    /// At the version limit, delete the oldest non-default version instead of failing.
    #[arg(long)]
    pub rotate: bool,
}

/// Arguments of `ram policy get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The policy name.
    pub name: String,
    /// System or Custom (without it: the custom policy of that name, else the system one).
    #[arg(long, value_enum, ignore_case = true)]
    pub policy_type: Option<PolicyTypeArg>,
}

/// Arguments of `ram policy delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The policy name.
    pub name: String,
    /// Also delete its non-default versions.
    #[arg(long)]
    pub cascade: bool,
}

/// A policy and one of its versions.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// The policy name.
    pub name: String,
    /// The version id (`v1`, `v2`, ...).
    #[arg(value_name = "VERSION")]
    pub version_id: String,
}

/// Arguments of `ram policy list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only System or only Custom policies.
    #[arg(long, value_enum, ignore_case = true)]
    pub policy_type: Option<PolicyTypeArg>,
}

/// Runs a state command of `ram policy ...` (`validate` is handled by `main`).
pub fn run(command: &PolicyCommand, global: &GlobalArgs) -> Result<Reply, CliError> {
    match command {
        PolicyCommand::Validate(_) => Err(CliError::InvalidInput(String::from(
            "policy validate is not a state command",
        ))),
        PolicyCommand::Create(args) => {
            let document = read_document(&args.document)?;
            let mut w = Writer::open(global)?;
            w.commit_document(
                &[Change::CreatePolicy {
                    name: args.name.clone(),
                    document,
                    description: args.description.clone(),
                }],
                &args.document,
            )?;
            let dir = w.directory();
            let policy = dir
                .custom_policy(&args.name)
                .ok_or_else(|| not_exist(EntityKind::Policy, &args.name))?;
            Ok(Reply::json(json!({ "Policy": views::custom_summary(dir, policy) })))
        }
        PolicyCommand::CreateVersion(args) => {
            let document = read_document(&args.document)?;
            let mut w = Writer::open(global)?;
            w.commit_document(
                &[Change::CreatePolicyVersion {
                    name: args.name.clone(),
                    document,
                    set_as_default: args.set_default,
                    rotate: args.rotate,
                }],
                &args.document,
            )?;
            let policy = w
                .directory()
                .custom_policy(&args.name)
                .ok_or_else(|| not_exist(EntityKind::Policy, &args.name))?;
            let version = policy
                .versions
                .last()
                .ok_or_else(|| not_exist(EntityKind::PolicyVersion, &args.name))?;
            Ok(Reply::json(json!({"PolicyVersion": {
                "PolicyName": policy.policy_name,
                "VersionId": version.version_id,
                "IsDefaultVersion": version.version_id == policy.default_version,
                "CreateDate": version.create_date,
            }})))
        }
        PolicyCommand::Get(args) => {
            let state = state::read(global)?;
            get(&state.directory, &args.name, args.policy_type.map(PolicyType::from))
        }
        PolicyCommand::Delete(args) => {
            let mut w = Writer::open(global)?;
            w.commit(&[Change::DeletePolicy {
                name: args.name.clone(),
                cascade: args.cascade,
            }])?;
            Ok(Reply::json(json!({"PolicyName": args.name})).with_text(format!("deleted policy {}\n", args.name)))
        }
        PolicyCommand::SetDefault(args) => {
            let mut w = Writer::open(global)?;
            w.commit(&[Change::SetDefaultPolicyVersion {
                name: args.name.clone(),
                version: args.version_id.clone(),
            }])?;
            Ok(
                Reply::json(json!({"PolicyName": args.name, "VersionId": args.version_id})).with_text(format!(
                    "{} is now the default version of policy {}\n",
                    args.version_id, args.name
                )),
            )
        }
        PolicyCommand::DeleteVersion(args) => {
            let mut w = Writer::open(global)?;
            w.commit(&[Change::DeletePolicyVersion {
                name: args.name.clone(),
                version: args.version_id.clone(),
            }])?;
            Ok(
                Reply::json(json!({"PolicyName": args.name, "VersionId": args.version_id}))
                    .with_text(format!("deleted version {} of policy {}\n", args.version_id, args.name)),
            )
        }
        PolicyCommand::List(args) => {
            let state = state::read(global)?;
            let policies = views::all_policies(&state.directory, args.policy_type.map(PolicyType::from));
            Ok(Reply::listing(
                "Policies",
                policies,
                &[
                    "PolicyName",
                    "PolicyType",
                    "DefaultVersion",
                    "AttachmentCount",
                    "Description",
                ],
            ))
        }
    }
}

/// `ram policy get`: the custom policy of that name, else the system one (or the type asked).
fn get(dir: &Directory, name: &str, ty: Option<PolicyType>) -> Result<Reply, CliError> {
    let custom = dir.custom_policy(name).filter(|_| ty != Some(PolicyType::System));
    let (policy, default, versions) = if let Some(p) = custom {
        let versions: Vec<Value> = p
            .versions
            .iter()
            .map(|v| {
                json!({
                    "VersionId": v.version_id,
                    "IsDefaultVersion": v.version_id == p.default_version,
                    "CreateDate": v.create_date,
                })
            })
            .collect();
        let default = p.versions.iter().find(|v| v.version_id == p.default_version).map(|v| {
            json!({
                "VersionId": v.version_id,
                "IsDefaultVersion": true,
                "PolicyDocument": v.policy_document,
                "CreateDate": v.create_date,
            })
        });
        (views::custom_summary(dir, p), default, Some(versions))
    } else {
        let system = system_policy(name)
            .filter(|_| ty != Some(PolicyType::Custom))
            .ok_or_else(|| not_exist(EntityKind::Policy, name))?;
        let default = json!({
            "VersionId": system.version,
            "IsDefaultVersion": true,
            "PolicyDocument": system.document,
        });
        (views::system_summary(dir, name), Some(default), None)
    };
    let mut text = super::render(&json!({ "Policy": policy }));
    if let Some(doc) = default.as_ref().and_then(|d| d["PolicyDocument"].as_str()) {
        // As submitted when it already spans lines (its author's layout), else pretty-printed.
        let pretty = if doc.contains('\n') {
            doc.trim_end().to_owned()
        } else {
            serde_json::from_str::<Value>(doc)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| doc.to_owned())
        };
        text.push_str("PolicyDocument:\n");
        text.push_str(&pretty);
        text.push('\n');
    }
    Ok(Reply::json(json!({
        "Policy": policy,
        "DefaultPolicyVersion": default,
        "Versions": versions,
    }))
    .with_text(text))
}
