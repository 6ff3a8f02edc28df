//! End-to-end tests of the `ram` binary: exit codes, exact JSON shapes, batch behaviour.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ram-cli-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `name` with `text` and returns its path as a string.
    fn file(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a run of `ram` produced.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim_end())
            .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}): {}", self.stdout))
    }

    fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}

fn ram_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ram"))
        .args(args)
        .current_dir(dir)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().expect("ram was killed by a signal"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn ram(args: &[&str]) -> Run {
    ram_in(&std::env::temp_dir(), args, None)
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn set<'a>(items: &[&'a str]) -> BTreeSet<&'a str> {
    items.iter().copied().collect()
}

const POLICY: &str = r#"{
  "Version": "1",
  "Statement": [
    {"Effect": "Allow", "Action": "oss:Get*", "Resource": "acs:oss:*:123456:bucket/pub/*",
     "Condition": {"Bool": {"acs:SecureTransport": "true"}}},
    {"Effect": "Deny", "Action": "oss:DeleteObject", "Resource": "*"},
    {"Effect": "Allow", "Action": "oss:ListObjects", "Resource": "*",
     "Condition": {"StringEquals": {"oss:Prefix": "b=c"}}}
  ]
}"#;

const BAD_POLICY: &str =
    r#"{"Version":"1","Statement":[{"Effect":"allow","Action":"oss:GetObject","Resource":"*","Sid":"x"}]}"#;

const RESOURCE: &str = "acs:oss:cn-hangzhou:123456:bucket/pub/a.txt";

fn check_matched_shape(matched: &Value) {
    for m in matched.as_array().unwrap() {
        assert_eq!(keys(m), set(&["policy", "version", "statement", "effect", "source"]));
        assert_eq!(m["version"], "v1");
        assert_eq!(m["source"], "policy");
    }
}

// ---------------------------------------------------------------- ram policy validate

#[test]
fn validate_valid_files_exit_0() {
    let dir = TempDir::new();
    let p = dir.file("p.json", POLICY);
    let run = ram(&["policy", "validate", &p, &p]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, format!("{p}: valid\n{p}: valid\n"));
}

#[test]
fn validate_lists_every_error_with_file_and_path() {
    let dir = TempDir::new();
    let good = dir.file("good.json", POLICY);
    let bad = dir.file("bad.json", BAD_POLICY);
    let run = ram(&["policy", "validate", &good, &bad]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains(&format!("{good}: valid")));
    assert!(
        run.stdout.contains(&format!("{bad}: /Statement/0/Effect: ")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("{bad}: /Statement/0/Sid: ")),
        "{}",
        run.stdout
    );
}

#[test]
fn validate_json_shape() {
    let dir = TempDir::new();
    let good = dir.file("good.json", POLICY);
    let bad = dir.file("bad.json", BAD_POLICY);
    let missing = dir.path().join("missing.json").to_str().unwrap().to_owned();
    let run = ram(&["policy", "validate", "--json", &good, &bad, &missing]);
    assert_eq!(run.code, 2);
    let reports = run.json();
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 3);
    for r in reports {
        assert_eq!(keys(r), set(&["file", "valid", "errors"]));
        for e in r["errors"].as_array().unwrap() {
            assert_eq!(keys(e), set(&["path", "message"]));
        }
    }
    assert_eq!(reports[0]["file"], good.as_str());
    assert_eq!(reports[0]["valid"], true);
    assert_eq!(reports[0]["errors"], Value::Array(vec![]));
    assert_eq!(reports[1]["valid"], false);
    let paths: Vec<&str> = reports[1]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"/Statement/0/Effect") && paths.contains(&"/Statement/0/Sid"),
        "{paths:?}"
    );
    assert_eq!(reports[2]["file"], missing.as_str());
    assert_eq!(reports[2]["valid"], false);
    assert_eq!(reports[2]["errors"][0]["path"], "");

    let run = ram(&["--json", "policy", "validate", &good]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        format!("[{{\"file\":{},\"valid\":true,\"errors\":[]}}]\n", Value::from(good))
    );
}

#[test]
fn validate_unreadable_and_non_utf8_files_are_errors_not_crashes() {
    let dir = TempDir::new();
    let binary = dir.path().join("bin.json");
    std::fs::write(&binary, b"{\"Version\":\"1\xff\"}").unwrap();
    let run = ram(&[
        "policy",
        "validate",
        binary.to_str().unwrap(),
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("not UTF-8"), "{}", run.stdout);
    assert!(run.stdout.contains("cannot read file"), "{}", run.stdout);
}

#[test]
fn validate_extension_flags() {
    let dir = TempDir::new();
    let trust = dir.file(
        "trust.json",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":"acs:ram::123456:root"}}]}"#,
    );
    assert_eq!(ram(&["policy", "validate", &trust]).code, 2);
    assert_eq!(ram(&["policy", "validate", "--trust", &trust]).code, 0);

    let padded = format!("{}{}", POLICY, " ".repeat(2100));
    let big = dir.file("big.json", &padded);
    assert_eq!(ram(&["policy", "validate", &big]).code, 0);
    let run = ram(&["policy", "validate", "--session", "--json", &big]);
    assert_eq!(run.code, 2);
    assert_eq!(run.json()[0]["errors"][0]["path"], "");
    assert_eq!(ram(&["policy", "validate", "--max-chars", "100", &big]).code, 2);
    assert_eq!(ram(&["policy", "validate", "--trust", "--session", &big]).code, 2);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(ram(&["policy", "validate"]).code, 2);
    assert_eq!(ram(&["eval", "--action", "oss:GetObject", "--resource", "r"]).code, 2);
    assert_eq!(ram(&["eval", "--batch", "-", "--action", "oss:GetObject"]).code, 2);
    assert_eq!(ram(&["frobnicate"]).code, 2);
    assert_eq!(ram(&[]).code, 2);
}

// ---------------------------------------------------------------- ram eval

fn eval(dir: &TempDir, extra: &[&str]) -> Run {
    let p = dir.file("p.json", POLICY);
    let mut args = vec!["eval", "--policy", &p];
    args.extend_from_slice(extra);
    ram(&args)
}

#[test]
fn eval_allow_text_and_json() {
    let dir = TempDir::new();
    let p = dir.file("p.json", POLICY);
    let args = [
        "eval",
        "--policy",
        &p,
        "--action",
        "oss:GetObject",
        "--resource",
        RESOURCE,
        "--context",
        "acs:SecureTransport=true",
    ];
    let run = ram(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut lines = run.stdout.lines();
    assert_eq!(lines.next(), Some("Allow"));
    let second = lines.next().unwrap();
    assert!(second.contains(&p) && second.contains("statement 0"), "{second}");

    let mut json_args = args.to_vec();
    json_args.push("--json");
    let run = ram(&json_args);
    assert_eq!(run.code, 0);
    let v = run.json();
    assert_eq!(keys(&v), set(&["decision", "matched"]));
    assert_eq!(v["decision"], "Allow");
    check_matched_shape(&v["matched"]);
    assert_eq!(
        v["matched"],
        serde_json::json!([{"policy": p, "version": "v1", "statement": 0, "effect": "Allow", "source": "policy"}])
    );
}

#[test]
fn eval_explicit_deny_exits_0() {
    let dir = TempDir::new();
    let run = eval(
        &dir,
        &["--action", "oss:DeleteObject", "--resource", RESOURCE, "--json"],
    );
    assert_eq!(run.code, 0);
    let v = run.json();
    assert_eq!(keys(&v), set(&["decision", "matched"]));
    assert_eq!(v["decision"], "ExplicitDeny");
    assert_eq!(v["matched"][0]["statement"], 1);
    assert_eq!(v["matched"][0]["effect"], "Deny");
    check_matched_shape(&v["matched"]);

    let run = eval(&dir, &["--action", "oss:DeleteObject", "--resource", RESOURCE]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout.lines().next(), Some("ExplicitDeny"));
}

#[test]
fn eval_implicit_deny_names_failed_conditions() {
    let dir = TempDir::new();
    let run = eval(&dir, &["--action", "oss:GetObject", "--resource", RESOURCE, "--json"]);
    assert_eq!(run.code, 0);
    let v = run.json();
    assert_eq!(keys(&v), set(&["decision", "matched", "failed_conditions"]));
    assert_eq!(v["decision"], "ImplicitDeny");
    assert_eq!(v["matched"], Value::Array(vec![]));
    let failed = v["failed_conditions"].as_array().unwrap();
    assert_eq!(failed.len(), 1);
    for k in ["policy", "version", "statement", "operator", "key"] {
        assert!(failed[0].get(k).is_some(), "failed condition lacks {k}: {}", failed[0]);
    }
    assert_eq!(failed[0]["operator"], "Bool");
    assert_eq!(failed[0]["key"], "acs:SecureTransport");

    let run = eval(&dir, &["--action", "oss:GetObject", "--resource", RESOURCE]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout.lines().next(), Some("ImplicitDeny"));
    assert!(run.stdout.contains("Bool acs:SecureTransport"), "{}", run.stdout);

    let run = eval(&dir, &["--action", "ecs:RunInstances", "--resource", "*", "--json"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["failed_conditions"], Value::Array(vec![]));
}

#[test]
fn eval_context_splits_at_the_first_equals_and_repeats_are_multi_valued() {
    let dir = TempDir::new();
    let decision = |ctx: &[&str]| {
        let mut args = vec!["--action", "oss:ListObjects", "--resource", RESOURCE, "--json"];
        for c in ctx {
            args.push("--context");
            args.push(c);
        }
        let run = eval(&dir, &args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json()["decision"].as_str().unwrap().to_owned()
    };
    assert_eq!(decision(&["oss:Prefix=b=c"]), "Allow");
    assert_eq!(decision(&["oss:Prefix=b"]), "ImplicitDeny");
    assert_eq!(decision(&["oss:Prefix=x", "oss:Prefix=b=c"]), "Allow");
    assert_eq!(decision(&["oss:Prefix=x", "OSS:PREFIX=b=c"]), "Allow");
    assert_eq!(decision(&["oss:Prefix=x", "oss:Prefix=y"]), "ImplicitDeny");
}

#[test]
fn eval_adds_no_context_of_its_own() {
    // Holds only when none of these keys is present at all.
    let dir = TempDir::new();
    let p = dir.file(
        "absent.json",
        r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotLike":{
            "acs:CurrentTime":"*","acs:SecureTransport":"*","acs:MFAPresent":"*","acs:SourceIp":"*"}}}]}"#,
    );
    let base = [
        "eval",
        "--policy",
        p.as_str(),
        "--action",
        "oss:GetObject",
        "--resource",
        "*",
        "--json",
    ];
    let run = ram(&base);
    assert_eq!(run.json()["decision"], "Allow", "{}", run.stdout);
    let mut with_key = base.to_vec();
    with_key.extend_from_slice(&["--context", "acs:MFAPresent=false"]);
    assert_eq!(ram(&with_key).json()["decision"], "ImplicitDeny");
}

#[test]
fn eval_several_policies_are_named_by_their_paths() {
    let dir = TempDir::new();
    dir.file("a.json", ALLOW_DOC);
    let run = ram_in(
        dir.path(),
        &[
            "eval",
            "--policy",
            "./a.json",
            "--policy",
            "p.json",
            "--action",
            "oss:GetObject",
            "--resource",
            RESOURCE,
            "--json",
        ],
        None,
    );
    // p.json does not exist yet in this directory: unreadable is invalid input.
    assert_eq!(run.code, 2);
    dir.file("p.json", POLICY);
    let run = ram_in(
        dir.path(),
        &[
            "eval",
            "--policy",
            "./a.json",
            "--policy",
            "p.json",
            "--action",
            "oss:GetObject",
            "--resource",
            RESOURCE,
            "--context",
            "acs:SecureTransport=true",
            "--json",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let v = run.json();
    let names: Vec<&str> = v["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["policy"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["./a.json", "p.json"]);
}

#[test]
fn eval_invalid_input_exits_2() {
    let dir = TempDir::new();
    let cases: &[&[&str]] = &[
        &["--action", "oss", "--resource", RESOURCE],
        &["--action", "oss:a:b", "--resource", RESOURCE],
        &["--action", ":GetObject", "--resource", RESOURCE],
        &["--action", "oss:", "--resource", RESOURCE],
        &["--action", "oss:GetObject", "--resource", ""],
        &[
            "--action",
            "oss:GetObject",
            "--resource",
            RESOURCE,
            "--context",
            "acs:SecureTransport",
        ],
        &[
            "--action",
            "oss:GetObject",
            "--resource",
            RESOURCE,
            "--context",
            "SecureTransport=true",
        ],
        &[
            "--action",
            "oss:GetObject",
            "--resource",
            RESOURCE,
            "--context",
            "=true",
        ],
    ];
    for case in cases {
        let run = eval(&dir, case);
        assert_eq!(run.code, 2, "{case:?}");
        assert!(run.stdout.is_empty(), "{case:?}: {}", run.stdout);
        assert!(run.stderr.starts_with("ram: error: "), "{case:?}: {}", run.stderr);

        let mut json = case.to_vec();
        json.push("--json");
        let run = eval(&dir, &json);
        assert_eq!(run.code, 2, "{case:?}");
        let v = run.json();
        assert_eq!(keys(&v), set(&["error"]));
        assert_eq!(keys(&v["error"]), set(&["code", "message"]));
        assert_eq!(v["error"]["code"], "InvalidInput");
    }
}

#[test]
fn eval_unreadable_policy_exits_2() {
    let dir = TempDir::new();
    let missing = dir.path().join("nope.json");
    let missing = missing.to_str().unwrap();
    let run = ram(&[
        "eval",
        "--policy",
        missing,
        "--action",
        "oss:GetObject",
        "--resource",
        "*",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains(missing), "{}", run.stderr);
    let run = ram(&[
        "eval",
        "--policy",
        missing,
        "--action",
        "oss:GetObject",
        "--resource",
        "*",
        "--json",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(run.json()["error"]["code"], "InvalidInput");
}

#[test]
fn eval_invalid_policy_lists_every_problem() {
    let dir = TempDir::new();
    let bad = dir.file("bad.json", BAD_POLICY);
    let good = dir.file("good.json", POLICY);
    let run = ram(&[
        "eval",
        "--policy",
        &good,
        "--policy",
        &bad,
        "--action",
        "oss:GetObject",
        "--resource",
        "*",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains(&format!("{bad}: /Statement/0/Effect: ")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!("{bad}: /Statement/0/Sid: ")),
        "{}",
        run.stderr
    );

    let run = ram(&[
        "eval",
        "--policy",
        &good,
        "--policy",
        &bad,
        "--action",
        "oss:GetObject",
        "--resource",
        "*",
        "--json",
    ]);
    assert_eq!(run.code, 2);
    let v = run.json();
    assert_eq!(keys(&v), set(&["error"]));
    assert_eq!(keys(&v["error"]), set(&["code", "message", "errors"]));
    assert_eq!(v["error"]["code"], "MalformedPolicyDocument");
    let errors = v["error"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    for e in errors {
        assert_eq!(keys(e), set(&["file", "path", "message"]));
        assert_eq!(e["file"], bad.as_str());
    }
}

#[test]
fn no_state_file_is_read_or_created() {
    let work = TempDir::new();
    let files = TempDir::new();
    let p = files.file("p.json", POLICY);
    let runs = [
        ram_in(work.path(), &["policy", "validate", &p], None),
        ram_in(
            work.path(),
            &["eval", "--policy", &p, "--action", "oss:GetObject", "--resource", "*"],
            None,
        ),
        ram_in(work.path(), &["eval", "--batch", "-"], Some(b"{}\n")),
    ];
    for run in &runs {
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let left: Vec<_> = std::fs::read_dir(work.path()).unwrap().collect();
    assert!(left.is_empty(), "files created in the working directory: {left:?}");
}

// ---------------------------------------------------------------- ram eval --batch

const ALLOW_DOC: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}"#;
const DENY_DOC: &str = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:Delete*","Resource":"*"}]}"#;

fn batch_line(docs: &[&str], action: &str, context: &str) -> String {
    format!(
        r#"{{"policies":[{}],"request":{{"action":"{action}","resource":"acs:oss:*:1:bucket/b/k","context":{context}}}}}"#,
        docs.join(",")
    )
}

fn outcome(v: &Value) -> String {
    v["decision"]
        .as_str()
        .or_else(|| v["error"]["code"].as_str())
        .unwrap_or_else(|| panic!("neither decision nor error: {v}"))
        .to_owned()
}

#[test]
fn batch_from_stdin_gives_one_line_per_input_line_in_order() {
    let lines = [
        batch_line(&[ALLOW_DOC, DENY_DOC], "oss:GetObject", "{}"),
        batch_line(&[ALLOW_DOC, BAD_POLICY], "oss:GetObject", "{}"),
        String::from("this is not JSON"),
        String::new(),
        batch_line(&[ALLOW_DOC, DENY_DOC], "oss:DeleteObject", "{}"),
        String::from(r#"{"policies":[],"request":{"action":"oss:GetObject"}}"#),
        batch_line(&[DENY_DOC], "oss:GetObject", r#"{"acs:SourceIp":"10.0.0.1"}"#),
        batch_line(&[ALLOW_DOC], "oss", "{}"),
        batch_line(&[ALLOW_DOC], "oss:GetObject", r#"{"SourceIp":"10.0.0.1"}"#),
        batch_line(&[ALLOW_DOC], "oss:GetObject", r#"{"acs:SourceIp":1}"#),
        String::from("   "),
        batch_line(
            &[ALLOW_DOC],
            "oss:GetObject",
            r#"{"acs:SourceIp":["10.0.0.1","10.0.0.2"]}"#,
        ),
    ];
    let input = lines.join("\n") + "\n";
    let dir = TempDir::new();
    let run = ram_in(dir.path(), &["eval", "--batch", "-"], Some(input.as_bytes()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json_lines();
    let got: Vec<String> = out.iter().map(outcome).collect();
    assert_eq!(
        got,
        [
            "Allow",
            "MalformedPolicyDocument",
            "InvalidInput",
            "InvalidInput",
            "ExplicitDeny",
            "InvalidInput",
            "ImplicitDeny",
            "InvalidInput",
            "InvalidInput",
            "InvalidInput",
            "InvalidInput",
            "Allow",
        ]
    );

    // Exact shapes.
    assert_eq!(keys(&out[0]), set(&["decision", "matched"]));
    check_matched_shape(&out[0]["matched"]);
    assert_eq!(out[0]["matched"][0]["policy"], "/policies/0");
    assert_eq!(out[4]["matched"][0]["policy"], "/policies/1");
    assert_eq!(keys(&out[6]), set(&["decision", "matched", "failed_conditions"]));
    assert_eq!(keys(&out[1]), set(&["error"]));
    assert_eq!(keys(&out[1]["error"]), set(&["code", "message", "path", "errors"]));
    assert_eq!(out[1]["error"]["path"], "/policies/1");
    let paths: Vec<&str> = out[1]["error"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(keys(e), set(&["path", "message"]));
            e["path"].as_str().unwrap()
        })
        .collect();
    assert!(
        paths.contains(&"/Statement/0/Effect") && paths.contains(&"/Statement/0/Sid"),
        "{paths:?}"
    );
    for i in [2, 3, 5, 7, 8, 9, 10] {
        assert_eq!(keys(&out[i]["error"]), set(&["code", "message"]), "line {i}");
    }
}

#[test]
fn batch_output_is_the_same_with_json() {
    let input = [batch_line(&[ALLOW_DOC], "oss:GetObject", "{}"), String::from("{")].join("\n");
    let dir = TempDir::new();
    let a = ram_in(dir.path(), &["eval", "--batch", "-"], Some(input.as_bytes()));
    let b = ram_in(dir.path(), &["--json", "eval", "--batch", "-"], Some(input.as_bytes()));
    assert_eq!(a.code, 0);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stdout.lines().count(), 2, "a last line without a newline counts");
}

#[test]
fn batch_from_file_with_crlf_and_invalid_utf8() {
    let dir = TempDir::new();
    let mut input = Vec::new();
    input.extend_from_slice(batch_line(&[ALLOW_DOC], "oss:GetObject", "{}").as_bytes());
    input.extend_from_slice(b"\r\n");
    input.extend_from_slice(b"{\"policies\":[],\"request\":{\"action\":\"oss:\xff\"}}\n");
    input.extend_from_slice(batch_line(&[DENY_DOC], "oss:DeleteBucket", "{}").as_bytes());
    input.extend_from_slice(b"\r\n");
    let path = dir.path().join("batch.jsonl");
    std::fs::write(&path, &input).unwrap();
    let run = ram(&["eval", "--batch", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got: Vec<String> = run.json_lines().iter().map(outcome).collect();
    assert_eq!(got, ["Allow", "InvalidInput", "ExplicitDeny"]);
}

#[test]
fn batch_documents_are_checked_as_their_own_text() {
    // Duplicate keys and the 6,144-character limit are only visible in the exact text.
    let duplicate = r#"{"Version":"1","Version":"1","Statement":[]}"#;
    let padded = format!(r#"{{"Version":"1",{}"Statement":[]}}"#, " ".repeat(6200));
    let input = [
        batch_line(&[ALLOW_DOC, duplicate], "oss:GetObject", "{}"),
        batch_line(&[&padded], "oss:GetObject", "{}"),
        batch_line(&[ALLOW_DOC], "oss:GetObject", r#"{"acs:a":"1","ACS:A":"2"}"#),
    ]
    .join("\n");
    let dir = TempDir::new();
    let run = ram_in(dir.path(), &["eval", "--batch", "-"], Some(input.as_bytes()));
    assert_eq!(run.code, 0);
    let out = run.json_lines();
    assert_eq!(out[0]["error"]["code"], "MalformedPolicyDocument");
    assert_eq!(out[0]["error"]["path"], "/policies/1");
    assert_eq!(out[1]["error"]["code"], "MalformedPolicyDocument");
    assert_eq!(out[1]["error"]["errors"][0]["path"], "");
    assert_eq!(out[2]["error"]["code"], "InvalidInput");
}

#[test]
fn batch_unreadable_input_exits_2() {
    let dir = TempDir::new();
    let missing = dir.path().join("missing.jsonl");
    let run = ram(&["eval", "--batch", missing.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("missing.jsonl"), "{}", run.stderr);
    let run = ram(&["eval", "--batch", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
}

#[test]
fn batch_empty_input_gives_no_output() {
    let dir = TempDir::new();
    let run = ram_in(dir.path(), &["eval", "--batch", "-"], Some(b""));
    assert_eq!(run.code, 0);
    assert!(run.stdout.is_empty());
}

#[test]
fn batch_answers_each_line_before_waiting_for_the_next() {
    use std::io::{BufRead, BufReader};
    use std::sync::mpsc;
    use std::time::Duration;

    let mut child = Command::new(env!("CARGO_BIN_EXE_ram"))
        .args(["eval", "--batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    for action in ["oss:GetObject", "oss:DeleteObject"] {
        writeln!(stdin, "{}", batch_line(&[ALLOW_DOC, DENY_DOC], action, "{}")).unwrap();
        stdin.flush().unwrap();
        let answer = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("no answer while stdin is still open");
        let v: Value = serde_json::from_str(&answer).unwrap();
        let expected = if action == "oss:GetObject" {
            "Allow"
        } else {
            "ExplicitDeny"
        };
        assert_eq!(v["decision"], expected);
    }
    drop(stdin);
    assert_eq!(child.wait().unwrap().code(), Some(0));
    reader.join().unwrap();
}
