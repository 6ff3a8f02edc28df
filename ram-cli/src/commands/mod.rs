//! The directory commands, one module per command group. Each `run` returns a [`Reply`]
//! (or a [`CliError`](crate::error::CliError)); `main` prints it.
//!
//! JSON shapes (a public contract) follow the RAM API's names: an entity is wrapped in its
//! kind (`{"User":{..}}`, `{"Group":{..}}`, `{"Role":{..}}`, `{"Policy":{..}}`), a listing in
//! the plural (`{"Users":[..]}`), and a change without a result of its own echoes what it
//! changed (`{"GroupName":"dev","UserName":"alice"}`). Secrets appear only in the reply of
//! the command that creates them (`init`, `access-key create`, `mfa create`), never in a
//! listing. Absent values are left out rather than printed as `null`.
//!
//! Adding a command (e.g. `ram sts assume-role`): a module here with its clap arguments and a
//! `run(&Args, &GlobalArgs) -> Result<Reply, CliError>`, a variant in `main`'s `Command` and
//! a line in `run_state_command`. Use [`crate::state`] for the clock, the state file (a
//! `Writer` to change it, `state::read` to only read) and error mapping, so exit codes and
//! the JSON error shape stay the same everywhere.

pub mod access_key;
pub mod account;
pub mod attach;
pub mod bench;
pub mod check;
pub mod group;
pub mod init;
pub mod login;
pub mod mfa;
pub mod policy;
pub mod role;
pub mod serve;
pub mod sts;
pub mod user;
pub mod views;

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::Value;

use crate::GlobalArgs;

/// What a command prints on success.
#[derive(Debug)]
pub struct Reply {
    /// The JSON value printed with `--json`.
    json: Value,
    /// The text printed without `--json` (`None`: a readable rendering of the JSON).
    text: Option<String>,
}

impl Reply {
    /// A reply whose text form is rendered from its JSON.
    pub fn json(value: Value) -> Reply {
        Reply {
            json: strip_nulls(value),
            text: None,
        }
    }

    /// A reply printed as JSON with or without `--json` (credentials shown once: scripts must
    /// be able to read them whatever the flags).
    pub fn always_json(value: Value) -> Reply {
        let value = strip_nulls(value);
        let text = format!("{value}\n");
        Reply {
            json: value,
            text: Some(text),
        }
    }

    /// A listing `{"<key>": [..]}` whose text form is a table of `columns` (a list value
    /// shows as its items joined by commas), or `(none)` when empty.
    pub fn listing(key: &str, items: Vec<Value>, columns: &[&str]) -> Reply {
        let text = table(&items, columns);
        let mut map = serde_json::Map::new();
        map.insert(key.to_owned(), Value::Array(items));
        Reply::json(Value::Object(map)).with_text(text)
    }

    /// Replaces the text form.
    pub fn with_text(mut self, text: String) -> Reply {
        self.text = Some(text);
        self
    }

    /// Prints the reply on stdout: one JSON value with `--json`, else the text.
    pub fn print(&self, global: &GlobalArgs) -> io::Result<()> {
        let mut out = Vec::new();
        if global.json {
            serde_json::to_writer(&mut out, &self.json)?;
            out.push(b'\n');
        } else {
            match &self.text {
                Some(text) => out.extend_from_slice(text.as_bytes()),
                None => out.extend_from_slice(render(&self.json).as_bytes()),
            }
        }
        let mut stdout = io::stdout().lock();
        stdout.write_all(&out)?;
        stdout.flush()
    }
}

/// A table: a header row of `columns`, then one row per item, columns padded to align.
fn table(items: &[Value], columns: &[&str]) -> String {
    if items.is_empty() {
        return String::from("(none)\n");
    }
    let cell = |item: &Value, column: &str| match &item[column] {
        Value::Null => String::from("-"),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(scalar).collect();
            if parts.is_empty() {
                String::from("-")
            } else {
                parts.join(",")
            }
        }
        other => scalar(other),
    };
    let mut rows: Vec<Vec<String>> = vec![columns.iter().map(|c| (*c).to_owned()).collect()];
    rows.extend(items.iter().map(|item| columns.iter().map(|c| cell(item, c)).collect()));
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, value) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(value);
            } else {
                let _ = write!(line, "{value:<width$}  ", width = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Removes `null` members of objects, recursively.
fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

/// A readable, indented rendering of a JSON value:
///
/// ```text
/// Users:
///   - UserName: alice
///     UserId: 2000000000000001
/// ```
pub fn render(value: &Value) -> String {
    let mut out = String::new();
    render_into(value, 0, &mut out);
    out
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => String::from("(none)"),
        Value::Object(m) if m.is_empty() => String::from("(none)"),
        other => other.to_string(),
    }
}

fn is_nested(value: &Value) -> bool {
    match value {
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
        _ => false,
    }
}

fn render_into(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            // Sorted explicitly: serde_json keeps insertion order when any crate in the build
            // enables its `preserve_order` feature (cedar-policy does, in benches), and the
            // output must not depend on what else was built with it.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (k, v) in entries {
                if is_nested(v) {
                    let _ = writeln!(out, "{pad}{k}:");
                    render_into(v, indent + 2, out);
                } else {
                    let _ = writeln!(out, "{pad}{k}: {}", scalar(v));
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                if is_nested(item) {
                    let mut inner = String::new();
                    render_into(item, indent + 2, &mut inner);
                    // The first line of the item carries the dash.
                    let _ = write!(out, "{pad}- {}", &inner[(indent + 2).min(inner.len())..]);
                } else {
                    let _ = writeln!(out, "{pad}- {}", scalar(item));
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", scalar(other));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rendering_is_indented_and_lists_have_dashes() {
        let v =
            json!({"Users": [{"UserName": "alice", "UserId": "1"}, {"UserName": "bob", "UserId": "2"}], "Groups": []});
        assert_eq!(
            render(&v),
            "Groups: (none)\nUsers:\n  - UserId: 1\n    UserName: alice\n  - UserId: 2\n    UserName: bob\n"
        );
    }

    #[test]
    fn listings_are_tables() {
        let items = vec![
            json!({"UserName": "alice", "Groups": ["a", "b"]}),
            json!({"UserName": "bo"}),
        ];
        let r = Reply::listing("Users", items, &["UserName", "Groups"]);
        assert_eq!(
            r.text.as_deref(),
            Some("UserName  Groups\nalice     a,b\nbo        -\n")
        );
        assert_eq!(r.json["Users"][1], json!({"UserName": "bo"}));
        assert_eq!(
            Reply::listing("Users", Vec::new(), &["UserName"]).text.as_deref(),
            Some("(none)\n")
        );
    }

    #[test]
    fn nulls_are_left_out() {
        let r = Reply::json(json!({"a": null, "b": {"c": null, "d": 1}}));
        assert_eq!(r.json, json!({"b": {"d": 1}}));
    }
}
