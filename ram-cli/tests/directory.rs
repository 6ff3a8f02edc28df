//! End-to-end tests of the directory commands of the `ram` binary: every command's success
//! path and JSON shape, exit codes (2 invalid input, 3 authentication failure, 1 refusals),
//! `--now` (password age, lockout, TOTP, session expiry), the state file's lock, and console
//! sessions carrying `acs:MFAPresent`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use totp_rs::{Algorithm, Builder, Secret};

const ACCOUNT: &str = "1234567890123456";
const NOW: &str = "2025-01-01T00:00:00Z";
const PASSWORD: &str = "Correct-Horse-1";

/// A scratch directory with a state file path, removed on drop.
struct Env {
    dir: PathBuf,
    state: String,
}

impl Env {
    /// A fresh directory; no state file yet.
    fn empty() -> Env {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ram-dir-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let state = dir.join("state.json").to_str().unwrap().to_owned();
        Env { dir, state }
    }

    /// A directory initialised at [`NOW`]; returns it with the admin's key.
    fn init() -> (Env, Value) {
        let env = Env::empty();
        let run = env.run(&["init", "--account", ACCOUNT, "--now", NOW]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let key = run.json();
        (env, key)
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }

    /// Runs `ram --state <state> ARGS...`.
    fn run(&self, args: &[&str]) -> Run {
        self.run_stdin(args, None)
    }

    fn run_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut all = vec!["--state", &self.state];
        all.extend_from_slice(args);
        ram_in(&self.dir, &all, stdin)
    }

    /// Runs with `--json` at [`NOW`] and checks the contract: exactly one JSON value on stdout,
    /// nothing on stderr on success.
    fn json(&self, args: &[&str]) -> (i32, Value) {
        self.json_at(NOW, args)
    }

    fn json_at(&self, now: &str, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--json", "--now", now];
        all.extend_from_slice(args);
        let run = self.run(&all);
        if run.code == 0 {
            assert_eq!(run.stderr, "", "stderr on success: {args:?}");
        }
        (run.code, run.json())
    }

    /// Asserts a `--json` run fails with `exit` and `code`.
    fn fails(&self, exit: i32, code: &str, args: &[&str]) -> Value {
        self.fails_at(NOW, exit, code, args)
    }

    fn fails_at(&self, now: &str, exit: i32, code: &str, args: &[&str]) -> Value {
        let (got, v) = self.json_at(now, args);
        assert_eq!(got, exit, "exit code of {args:?}: {v}");
        assert_eq!(keys(&v), set(&["error"]), "{v}");
        assert_eq!(v["error"]["code"], code, "{args:?}: {v}");
        assert!(v["error"]["message"].is_string(), "{v}");
        v
    }

    /// Asserts a `--json` run succeeds and returns its JSON.
    fn ok(&self, args: &[&str]) -> Value {
        self.ok_at(NOW, args)
    }

    fn ok_at(&self, now: &str, args: &[&str]) -> Value {
        let (code, v) = self.json_at(now, args);
        assert_eq!(code, 0, "{args:?}: {v}");
        v
    }

    fn state_bytes(&self) -> Vec<u8> {
        std::fs::read(&self.state).unwrap()
    }

    /// The directory as a separate reader sees it (ram-core's own reader).
    fn stored(&self) -> ram_core::directory::Directory {
        ram_core::FileStore::read(&self.state).unwrap().directory
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim_end())
            .unwrap_or_else(|e| panic!("stdout is not one JSON value ({e}): {:?} {}", self.stdout, self.stderr))
    }
}

fn ram_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ram"))
        .args(args)
        .current_dir(dir)
        .env_remove("RAM_STATE")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().expect("ram was killed by a signal"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
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

/// An instant `seconds` after [`NOW`], RFC 3339.
fn at(seconds: i64) -> String {
    let t: jiff::Timestamp = NOW.parse().unwrap();
    (t + jiff::SignedDuration::from_secs(seconds)).to_string()
}

fn decision(v: &Value) -> &str {
    v["decision"].as_str().unwrap_or_else(|| panic!("no decision: {v}"))
}

const OSS_READ: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get*","Resource":"*"}]}"#;
const OSS_ALL: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:*","Resource":"*"}]}"#;
const DENY_DELETE: &str = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"oss:Delete*","Resource":"*"}]}"#;
const MFA_ONLY: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*",
  "Condition":{"Bool":{"acs:MFAPresent":"true"}}}]}"#;
const TRUST: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
  "Principal":{"RAM":["acs:ram::1234567890123456:root"]}}]}"#;
const RES: &str = "acs:oss:cn-hangzhou:1234567890123456:bucket/b/k";

fn check(env: &Env, principal: &str, action: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", "--principal", principal, "--action", action, "--resource", RES];
    args.extend_from_slice(extra);
    env.json(&args)
}

// ---------------------------------------------------------------- init and globals

#[test]
fn init_prints_the_admin_key_once_with_or_without_json() {
    let env = Env::empty();
    let run = env.run(&["init", "--account", ACCOUNT]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let v = run.json();
    assert_eq!(keys(&v), set(&["UserName", "AccessKeyId", "AccessKeySecret"]));
    assert_eq!(v["UserName"], "admin");
    let id = v["AccessKeyId"].as_str().unwrap();
    assert!(id.starts_with("LTAI") && id.len() == 24, "{id}");
    assert_eq!(v["AccessKeySecret"].as_str().unwrap().len(), 30);

    let env2 = Env::empty();
    let v2 = env2.ok(&["init", "--account", "123456789012"]);
    assert_eq!(keys(&v2), set(&["UserName", "AccessKeyId", "AccessKeySecret"]));

    // The admin holds AdministratorAccess and its key works.
    let (code, d) = check(&env, "user/admin", "ecs:DeleteInstance", &["--access-key", id]);
    assert_eq!(code, 0);
    assert_eq!(decision(&d), "Allow");
    assert_eq!(d["matched"][0]["policy"], "AdministratorAccess");
    // The secret is never shown again.
    let secret = v["AccessKeySecret"].as_str().unwrap();
    let listing = env.run(&["user", "get", "admin"]);
    assert!(!listing.stdout.contains(secret));
    assert!(
        !env.run(&["--json", "access-key", "list", "admin"])
            .stdout
            .contains(secret)
    );
}

#[test]
fn init_refuses_an_existing_file_and_a_bad_account() {
    let (env, _) = Env::init();
    let before = env.state_bytes();
    env.fails(1, "StateAlreadyExists", &["init", "--account", ACCOUNT]);
    assert_eq!(env.state_bytes(), before, "the existing state was modified");

    let env = Env::empty();
    env.fails(2, "InvalidParameter.AccountId", &["init", "--account", "12ab"]);
    assert!(!Path::new(&env.state).exists());
}

#[test]
fn global_flags_go_before_or_after_the_command() {
    let (env, _) = Env::init();
    let a = ram_in(&env.dir, &["--json", "--state", &env.state, "user", "list"], None);
    let b = ram_in(&env.dir, &["user", "list", "--state", &env.state, "--json"], None);
    let c = ram_in(&env.dir, &["user", "--json", "list", "--state", &env.state], None);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stdout, c.stdout);
    assert_eq!(a.json()["Users"][0]["UserName"], "admin");
    // RAM_STATE names the state file too.
    let out = Command::new(env!("CARGO_BIN_EXE_ram"))
        .args(["--json", "user", "list"])
        .env("RAM_STATE", &env.state)
        .current_dir(&env.dir)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), a.stdout);
}

#[test]
fn a_missing_state_file_is_exit_1_and_is_not_created() {
    let env = Env::empty();
    env.fails(1, "StateNotFound", &["user", "list"]);
    env.fails(1, "StateNotFound", &["user", "create", "alice"]);
    assert!(!Path::new(&env.state).exists());
}

#[test]
fn bad_now_and_usage_errors_are_exit_2_with_one_json_value() {
    let (env, _) = Env::init();
    env.fails_at("yesterday", 2, "InvalidInput", &["user", "create", "alice"]);
    env.fails_at("2025-13-01T00:00:00Z", 2, "InvalidInput", &["user", "list"]);
    env.fails_at("yesterday", 2, "InvalidInput", &["init", "--account", ACCOUNT]);
    env.fails(2, "InvalidInput", &["user", "frobnicate"]);
    env.fails(2, "InvalidInput", &["attach", "AdministratorAccess"]);
    env.fails(
        2,
        "InvalidInput",
        &["attach", "--user", "a", "--group", "g", "AdministratorAccess"],
    );
    // Without --json clap's usage message goes to stderr.
    let run = env.run(&["user", "frobnicate"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(!run.stderr.is_empty());
}

#[test]
fn now_sets_every_timestamp() {
    let (env, _) = Env::init();
    let v = env.ok_at("2030-06-01T12:00:00+08:00", &["user", "create", "alice"]);
    assert_eq!(v["User"]["CreateDate"], "2030-06-01T04:00:00Z");
    let admin = env.ok(&["user", "get", "admin"]);
    assert_eq!(admin["User"]["CreateDate"], NOW);
    assert_eq!(admin["User"]["AccessKeys"][0]["CreateDate"], NOW);
    assert_eq!(admin["User"]["Policies"][0]["AttachDate"], NOW);
}

#[test]
fn state_lock_held_by_another_writer_is_state_locked() {
    let (env, _) = Env::init();
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(format!("{}.lock", env.state))
        .unwrap();
    lock.lock().unwrap();
    let before = env.state_bytes();
    let v = env.fails(1, "StateLocked", &["user", "create", "alice"]);
    assert!(v["error"]["message"].as_str().unwrap().contains("locked"));
    assert_eq!(env.state_bytes(), before);
    // Readers take no lock.
    env.ok(&["user", "list"]);
    let (code, _) = check(&env, "user/admin", "oss:GetObject", &[]);
    assert_eq!(code, 0);
    lock.unlock().unwrap();
    env.ok(&["user", "create", "alice"]);
}

// ---------------------------------------------------------------- users and groups

#[test]
fn user_lifecycle() {
    let (env, _) = Env::init();
    let v = env.ok(&["user", "create", "alice", "--display-name", "Alice A."]);
    let u = &v["User"];
    assert_eq!(u["UserName"], "alice");
    assert_eq!(u["DisplayName"], "Alice A.");
    assert!(u["UserId"].is_string());
    assert_eq!(u["Groups"], json!([]));
    assert_eq!(u["AccessKeys"], json!([]));
    assert_eq!(
        env.stored().user("alice").unwrap().display_name.as_deref(),
        Some("Alice A.")
    );

    env.fails(1, "EntityAlreadyExists.User", &["user", "create", "alice"]);
    env.fails(2, "InvalidParameter.UserName", &["user", "create", "al ice"]);
    env.fails(2, "InvalidParameter.UserName", &["user", "create", &"a".repeat(65)]);
    env.fails(1, "EntityNotExist.User", &["user", "get", "bob"]);
    env.fails(1, "EntityNotExist.User", &["user", "delete", "bob"]);

    let list = env.ok(&["user", "list"]);
    let names: Vec<&str> = list["Users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["UserName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "alice"]);

    // Delete refuses while the user has keys; --cascade removes everything at once.
    env.ok(&["access-key", "create", "alice"]);
    env.ok(&["group", "create", "dev"]);
    env.ok(&["group", "add-user", "dev", "alice"]);
    let before = env.state_bytes();
    env.fails(1, "DeleteConflict.User.Group", &["user", "delete", "alice"]);
    assert_eq!(env.state_bytes(), before, "a refused change left a trace");
    assert_eq!(
        env.ok(&["user", "delete", "alice", "--cascade"]),
        json!({"UserName": "alice"})
    );
    assert!(env.stored().user("alice").is_none());
    assert_eq!(env.ok(&["group", "list"])["Groups"][0]["Members"], json!([]));

    env.ok(&["user", "create", "carol"]);
    assert_eq!(env.ok(&["user", "delete", "carol"]), json!({"UserName": "carol"}));
}

#[test]
fn user_and_group_update() {
    let (env, _) = Env::init();
    env.ok(&["user", "create", "alice"]);
    env.ok(&["group", "create", "dev"]);
    env.ok(&["group", "add-user", "dev", "alice"]);
    let key = env.ok(&["access-key", "create", "alice"])["AccessKeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    env.ok(&["attach", "--group", "dev", "AliyunOSSReadOnlyAccess"]);
    let id = env.stored().user("alice").unwrap().user_id.clone();
    // Users without the new fields print as before.
    assert!(env.ok(&["user", "get", "alice"])["User"].get("Email").is_none());

    let v = env.ok(&[
        "user",
        "update",
        "alice",
        "--new-name",
        "alicia",
        "--display-name",
        "Alicia",
        "--mobile-phone",
        "86-13800000000",
        "--email",
        "alicia@example.com",
        "--comments",
        "renamed",
    ]);
    let u = &v["User"];
    assert_eq!(
        (u["UserName"].as_str(), u["UserId"].as_str()),
        (Some("alicia"), Some(id.as_str()))
    );
    assert_eq!(u["Email"], "alicia@example.com");
    assert_eq!(u["MobilePhone"], "86-13800000000");
    assert_eq!(u["Comments"], "renamed");
    assert_eq!(u["Groups"], json!(["dev"]));
    assert_eq!(u["AccessKeys"][0]["AccessKeyId"], key.as_str());
    env.fails(1, "EntityNotExist.User", &["user", "get", "alice"]);
    // The key authenticates the new name, with the group's policy.
    let (code, d) = check(&env, "user/alicia", "oss:GetObject", &["--access-key", &key]);
    assert_eq!((code, decision(&d)), (0, "Allow"));

    env.ok(&["user", "create", "bob"]);
    let before = env.state_bytes();
    env.fails(
        1,
        "EntityAlreadyExists.User",
        &["user", "update", "alicia", "--new-name", "bob"],
    );
    env.fails(
        1,
        "EntityNotExist.User",
        &["user", "update", "alice", "--comments", "x"],
    );
    env.fails(
        2,
        "InvalidParameter.NewUserName",
        &["user", "update", "alicia", "--new-name", "al ice"],
    );
    env.fails(
        2,
        "InvalidParameter.NewEmail",
        &["user", "update", "alicia", "--email", "nope"],
    );
    env.fails(
        2,
        "InvalidParameter.NewMobilePhone",
        &["user", "update", "alicia", "--mobile-phone", "123"],
    );
    assert_eq!(env.state_bytes(), before, "a refused change left a trace");

    let g = env.ok(&[
        "group",
        "update",
        "dev",
        "--new-name",
        "builders",
        "--comments",
        "they build",
    ]);
    assert_eq!(g["Group"]["GroupName"], "builders");
    assert_eq!(g["Group"]["Comments"], "they build");
    assert_eq!(g["Group"]["Members"], json!(["alicia"]));
    assert_eq!(
        env.ok(&["user", "get", "alicia"])["User"]["Groups"],
        json!(["builders"])
    );
    let (code, d) = check(&env, "user/alicia", "oss:GetObject", &["--access-key", &key]);
    assert_eq!((code, decision(&d)), (0, "Allow"));
    env.ok(&["group", "create", "ops"]);
    env.fails(
        1,
        "EntityAlreadyExists.Group",
        &["group", "update", "builders", "--new-name", "ops"],
    );
    env.fails(
        1,
        "EntityNotExist.Group",
        &["group", "update", "dev", "--comments", "x"],
    );
    env.fails(
        2,
        "InvalidParameter.NewComments",
        &["group", "update", "ops", "--comments", &"c".repeat(129)],
    );
}

#[test]
fn human_output_is_readable_text() {
    let (env, _) = Env::init();
    let run = env.run(&["user", "create", "alice"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("UserName: alice"), "{}", run.stdout);
    assert_eq!(run.stderr, "");
    let run = env.run(&["user", "create", "alice"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("EntityAlreadyExists.User"), "{}", run.stderr);
}

#[test]
fn group_lifecycle() {
    let (env, _) = Env::init();
    env.ok(&["user", "create", "alice"]);
    let g = env.ok(&["group", "create", "dev"]);
    assert_eq!(g["Group"]["GroupName"], "dev");
    env.fails(2, "InvalidParameter.GroupName", &["group", "create", "d/v"]);
    assert_eq!(
        env.ok(&["group", "add-user", "dev", "alice"]),
        json!({"GroupName": "dev", "UserName": "alice"})
    );
    env.fails(1, "EntityNotExist.Group", &["group", "add-user", "ops", "alice"]);
    env.fails(1, "EntityNotExist.User", &["group", "add-user", "dev", "bob"]);
    let list = env.ok(&["group", "list"]);
    assert_eq!(list["Groups"][0]["Members"], json!(["alice"]));
    assert_eq!(env.ok(&["user", "get", "alice"])["User"]["Groups"], json!(["dev"]));

    // Group policies reach members.
    env.ok(&["attach", "--group", "dev", "AliyunOSSReadOnlyAccess"]);
    let (_, d) = check(&env, "user/alice", "oss:GetObject", &[]);
    assert_eq!(decision(&d), "Allow");
    assert_eq!(d["matched"][0]["source"], "group:dev");

    env.fails(1, "DeleteConflict.Group.User", &["group", "delete", "dev"]);
    env.ok(&["group", "remove-user", "dev", "alice"]);
    let (_, d) = check(&env, "user/alice", "oss:GetObject", &[]);
    assert_eq!(decision(&d), "ImplicitDeny");
    env.fails(1, "DeleteConflict.Group.Policy", &["group", "delete", "dev"]);
    env.ok(&["detach", "--group", "dev", "AliyunOSSReadOnlyAccess"]);
    assert_eq!(env.ok(&["group", "delete", "dev"]), json!({"GroupName": "dev"}));
    env.fails(1, "EntityNotExist.Group", &["group", "delete", "dev"]);
}

// ---------------------------------------------------------------- policies

#[test]
fn custom_policy_lifecycle() {
    let (env, _) = Env::init();
    let read = env.file("read.json", OSS_READ);
    let all = env.file("all.json", OSS_ALL);
    let v = env.ok(&[
        "policy",
        "create",
        "oss-read",
        "--document",
        &read,
        "--description",
        "read",
    ]);
    assert_eq!(v["Policy"]["PolicyName"], "oss-read");
    assert_eq!(v["Policy"]["PolicyType"], "Custom");
    assert_eq!(v["Policy"]["DefaultVersion"], "v1");

    let v = env.ok(&["policy", "create-version", "oss-read", "--document", &all]);
    assert_eq!(
        v,
        json!({"PolicyVersion": {"PolicyName": "oss-read", "VersionId": "v2", "IsDefaultVersion": false, "CreateDate": NOW}})
    );
    let v = env.ok(&["policy", "get", "oss-read"]);
    assert_eq!(v["Policy"]["DefaultVersion"], "v1");
    assert_eq!(v["DefaultPolicyVersion"]["PolicyDocument"], OSS_READ);
    assert_eq!(v["Versions"].as_array().unwrap().len(), 2);

    env.ok(&["user", "create", "alice"]);
    env.ok(&["attach", "--user", "alice", "oss-read"]);
    let (_, d) = check(&env, "user/alice", "oss:PutObject", &[]);
    assert_eq!(decision(&d), "ImplicitDeny");
    assert_eq!(
        env.ok(&["policy", "set-default", "oss-read", "v2"]),
        json!({"PolicyName": "oss-read", "VersionId": "v2"})
    );
    let (_, d) = check(&env, "user/alice", "oss:PutObject", &[]);
    assert_eq!(decision(&d), "Allow");
    assert_eq!(d["matched"][0]["version"], "v2");

    let v = env.ok(&[
        "policy",
        "create-version",
        "oss-read",
        "--document",
        &read,
        "--set-default",
    ]);
    assert_eq!(v["PolicyVersion"]["VersionId"], "v3");
    assert_eq!(v["PolicyVersion"]["IsDefaultVersion"], true);
    env.fails(
        1,
        "DeleteConflict.Policy.Version.Default",
        &["policy", "delete-version", "oss-read", "v3"],
    );
    env.fails(
        1,
        "EntityNotExist.Policy.Version",
        &["policy", "delete-version", "oss-read", "v9"],
    );
    env.ok(&["policy", "delete-version", "oss-read", "v1"]);

    let list = env.ok(&["policy", "list"]);
    let policies = list["Policies"].as_array().unwrap();
    assert!(
        policies
            .iter()
            .any(|p| p["PolicyName"] == "AdministratorAccess" && p["PolicyType"] == "System")
    );
    let mine = policies.iter().find(|p| p["PolicyName"] == "oss-read").unwrap();
    assert_eq!(mine["AttachmentCount"], 1);
    let custom = env.ok(&["policy", "list", "--policy-type", "Custom"]);
    assert_eq!(custom["Policies"].as_array().unwrap().len(), 1);

    env.fails(1, "DeleteConflict.Policy.User", &["policy", "delete", "oss-read"]);
    env.ok(&["detach", "--user", "alice", "oss-read"]);
    env.fails(1, "DeleteConflict.Policy.Version", &["policy", "delete", "oss-read"]);
    assert_eq!(
        env.ok(&["policy", "delete", "oss-read", "--cascade"]),
        json!({"PolicyName": "oss-read"})
    );
    env.fails(1, "EntityNotExist.Policy", &["policy", "get", "oss-read"]);
}

#[test]
fn policy_documents_are_checked() {
    let (env, _) = Env::init();
    let bad = env.file(
        "bad.json",
        r#"{"Version":"1","Statement":[{"Effect":"allow","Action":"oss:GetObject","Resource":"*","Sid":"x"}]}"#,
    );
    let before = env.state_bytes();
    let v = env.fails(
        2,
        "MalformedPolicyDocument",
        &["policy", "create", "p", "--document", &bad],
    );
    let errors = v["error"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{v}");
    for e in errors {
        assert_eq!(e["file"], bad.as_str());
        assert!(e["path"].as_str().unwrap().starts_with("/Statement/0"));
    }
    assert_eq!(env.state_bytes(), before);
    let missing = env.dir.join("missing.json");
    env.fails(
        2,
        "InvalidInput",
        &["policy", "create", "p", "--document", missing.to_str().unwrap()],
    );
    let good = env.file("good.json", OSS_READ);
    env.fails(
        2,
        "InvalidParameter.PolicyName",
        &["policy", "create", "p_1", "--document", &good],
    );
    // A custom policy may not take a system policy's name.
    env.fails(
        1,
        "EntityAlreadyExists.Policy",
        &["policy", "create", "AdministratorAccess", "--document", &good],
    );
    // `policy validate` still works, needs no state, and exits 2 for an invalid document.
    let run = ram_in(
        &env.dir,
        &["policy", "validate", &good, "--state", "/nonexistent/x.json"],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(ram_in(&env.dir, &["policy", "validate", &bad], None).code, 2);
}

#[test]
fn system_policies_can_be_read() {
    let (env, _) = Env::init();
    let v = env.ok(&["policy", "get", "AdministratorAccess"]);
    assert_eq!(v["Policy"]["PolicyType"], "System");
    assert_eq!(v["Policy"]["AttachmentCount"], 1);
    let doc: Value = serde_json::from_str(v["DefaultPolicyVersion"]["PolicyDocument"].as_str().unwrap()).unwrap();
    assert_eq!(doc["Statement"][0]["Action"], "*");
    env.fails(
        1,
        "EntityNotExist.Policy",
        &["policy", "get", "AdministratorAccess", "--policy-type", "Custom"],
    );
    let run = env.run(&["policy", "get", "ReadOnlyAccess"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("PolicyDocument:\n{"), "{}", run.stdout);
}

#[test]
fn attach_resolves_names_custom_then_system() {
    let (env, _) = Env::init();
    env.ok(&["user", "create", "alice"]);
    let doc = env.file("d.json", OSS_ALL);
    env.ok(&["policy", "create", "oss-all", "--document", &doc]);
    assert_eq!(
        env.ok(&["attach", "--user", "alice", "oss-all"]),
        json!({"PolicyType": "Custom", "PolicyName": "oss-all", "UserName": "alice"})
    );
    assert_eq!(
        env.ok(&["attach", "--user", "alice", "ReadOnlyAccess"]),
        json!({"PolicyType": "System", "PolicyName": "ReadOnlyAccess", "UserName": "alice"})
    );
    env.fails(
        1,
        "EntityAlreadyExists.Policy",
        &["attach", "--user", "alice", "ReadOnlyAccess"],
    );
    env.fails(
        1,
        "EntityNotExist.Policy",
        &["attach", "--user", "alice", "oss-all", "--policy-type", "System"],
    );
    env.fails(
        1,
        "EntityNotExist.Policy",
        &["attach", "--user", "alice", "NoSuchPolicy"],
    );
    env.fails(1, "EntityNotExist.User", &["attach", "--user", "bob", "ReadOnlyAccess"]);
    env.fails(
        2,
        "InvalidInput",
        &["attach", "--user", "alice", "ReadOnlyAccess", "--policy-type", "Other"],
    );
    assert_eq!(
        env.ok(&["detach", "--user", "alice", "ReadOnlyAccess", "--policy-type", "system"]),
        json!({"PolicyType": "System", "PolicyName": "ReadOnlyAccess", "UserName": "alice"})
    );
    env.fails(
        1,
        "EntityNotExist.Policy",
        &["detach", "--user", "alice", "ReadOnlyAccess"],
    );
    let u = env.ok(&["user", "get", "alice"]);
    assert_eq!(u["User"]["Policies"].as_array().unwrap().len(), 1);
}

// ---------------------------------------------------------------- roles, guardrails, preferences

#[test]
fn role_lifecycle() {
    let (env, _) = Env::init();
    let trust = env.file("trust.json", TRUST);
    let v = env.ok(&["role", "create", "deployer", "--trust-policy", &trust]);
    let r = &v["Role"];
    assert_eq!(r["RoleName"], "deployer");
    assert_eq!(r["Arn"], format!("acs:ram::{ACCOUNT}:role/deployer"));
    assert_eq!(r["MaxSessionDuration"], 3600);
    assert_eq!(r["AssumeRolePolicyDocument"], TRUST);

    env.fails(
        2,
        "InvalidParameter.RoleName",
        &["role", "create", "de_ployer", "--trust-policy", &trust],
    );
    let identity = env.file("id.json", OSS_READ);
    env.fails(
        2,
        "MalformedPolicyDocument",
        &["role", "create", "x", "--trust-policy", &identity],
    );
    env.fails(
        2,
        "InvalidParameter.MaxSessionDuration",
        &["role", "update", "deployer", "--max-session-duration", "60"],
    );
    let v = env.ok(&["role", "update", "deployer", "--max-session-duration", "7200"]);
    assert_eq!(v["Role"]["MaxSessionDuration"], 7200);
    assert_eq!(env.ok(&["role", "get", "deployer"])["Role"]["MaxSessionDuration"], 7200);
    assert_eq!(env.ok(&["role", "list"])["Roles"][0]["RoleName"], "deployer");

    env.ok(&["attach", "--role", "deployer", "AliyunECSFullAccess"]);
    env.fails(1, "DeleteConflict.Role.Policy", &["role", "delete", "deployer"]);
    env.ok(&["detach", "--role", "deployer", "AliyunECSFullAccess"]);
    assert_eq!(env.ok(&["role", "delete", "deployer"]), json!({"RoleName": "deployer"}));
    env.fails(1, "EntityNotExist.Role", &["role", "get", "deployer"]);
}

#[test]
fn guardrails_bound_users_but_not_the_root() {
    let (env, _) = Env::init();
    let deny = env.file("deny.json", DENY_DELETE);
    env.ok(&["policy", "create", "no-delete", "--document", &deny]);
    assert_eq!(
        env.ok(&["guardrail", "attach", "no-delete"]),
        json!({"PolicyType": "Custom", "PolicyName": "no-delete"})
    );
    assert_eq!(
        env.ok(&["guardrail", "list"])["Guardrails"][0]["PolicyName"],
        "no-delete"
    );
    let (_, d) = check(&env, "user/admin", "oss:DeleteObject", &[]);
    assert_eq!(decision(&d), "ExplicitDeny");
    assert_eq!(d["matched"][0]["source"], "guardrail");
    let (_, d) = check(&env, "root", "oss:DeleteObject", &[]);
    assert_eq!(decision(&d), "Allow");
    env.fails(1, "DeleteConflict.Policy.Guardrail", &["policy", "delete", "no-delete"]);
    env.ok(&["guardrail", "detach", "no-delete"]);
    let (_, d) = check(&env, "user/admin", "oss:DeleteObject", &[]);
    assert_eq!(decision(&d), "Allow");
    env.fails(1, "EntityNotExist.Policy", &["guardrail", "detach", "no-delete"]);
}

#[test]
fn security_preferences() {
    let (env, _) = Env::init();
    let v = env.ok(&["security-preference", "get"]);
    assert_eq!(v["SecurityPreference"]["RefuseRootAccessKeys"], true);
    assert_eq!(v["SecurityPreference"]["ForbidPasswordWithAccessKeys"], false);
    env.fails(
        3,
        "InvalidAccessKeyId.RootRefused",
        &[
            "check",
            "--principal",
            "root",
            "--access-key",
            "LTAI00000000000000000000",
            "--action",
            "oss:GetObject",
            "--resource",
            "*",
        ],
    );

    let v = env.ok(&[
        "security-preference",
        "set",
        "--forbid-password-with-access-keys",
        "true",
    ]);
    assert_eq!(v["SecurityPreference"]["ForbidPasswordWithAccessKeys"], true);
    assert_eq!(v["SecurityPreference"]["RefuseRootAccessKeys"], true);
    env.fails(
        1,
        "NotAllowed.User.PasswordWithAccessKey",
        &["login-profile", "create", "admin", "--password", PASSWORD],
    );
    env.fails(
        2,
        "InvalidInput",
        &["security-preference", "set", "--refuse-root-access-keys", "maybe"],
    );
    env.fails(
        2,
        "InvalidParameter.LoginSessionDuration",
        &["security-preference", "set", "--login-session-duration", "25"],
    );
}

// ---------------------------------------------------------------- access keys and check

#[test]
fn access_keys_authenticate_checks() {
    let (env, admin) = Env::init();
    let admin_key = admin["AccessKeyId"].as_str().unwrap();
    env.ok(&["user", "create", "alice"]);
    env.ok(&["attach", "--user", "alice", "AliyunOSSReadOnlyAccess"]);
    let run = env.run(&["access-key", "create", "alice"]);
    assert_eq!(run.code, 0);
    let key = run.json();
    assert_eq!(keys(&key), set(&["AccessKeyId", "AccessKeySecret"]));
    let id = key["AccessKeyId"].as_str().unwrap();
    let secret = key["AccessKeySecret"].as_str().unwrap();

    let list = env.ok(&["access-key", "list", "alice"]);
    assert_eq!(list["AccessKeys"][0]["AccessKeyId"], id);
    assert_eq!(list["AccessKeys"][0]["Status"], "Active");
    assert!(!list.to_string().contains(secret));

    let (code, d) = check(&env, "user/alice", "oss:GetObject", &["--access-key", id]);
    assert_eq!((code, decision(&d)), (0, "Allow"));
    // Unknown, foreign and inactive keys fail authentication.
    let with_key = |k: &str, code: &str| {
        env.fails(
            3,
            code,
            &[
                "check",
                "--principal",
                "user/alice",
                "--access-key",
                k,
                "--action",
                "oss:GetObject",
                "--resource",
                RES,
            ],
        );
    };
    with_key("LTAI00000000000000000000", "InvalidAccessKeyId.NotFound");
    with_key(admin_key, "InvalidAccessKeyId.NotFound");
    env.fails(
        3,
        "EntityNotExist.User",
        &[
            "check",
            "--principal",
            "user/bob",
            "--action",
            "oss:GetObject",
            "--resource",
            RES,
        ],
    );

    assert_eq!(
        env.ok(&["access-key", "set-status", "alice", id, "Inactive"]),
        json!({"UserName": "alice", "AccessKeyId": id, "Status": "Inactive"})
    );
    with_key(id, "InvalidAccessKeyId.Inactive");
    env.ok(&["access-key", "set-status", "alice", id, "active"]);
    let (code, _) = check(&env, "user/alice", "oss:GetObject", &["--access-key", id]);
    assert_eq!(code, 0);

    env.ok(&["access-key", "create", "alice"]);
    env.fails(1, "LimitExceeded.User.AccessKey", &["access-key", "create", "alice"]);
    env.fails(
        1,
        "EntityNotExist.User.AccessKey",
        &["access-key", "delete", "alice", admin_key],
    );
    assert_eq!(
        env.ok(&["access-key", "delete", "alice", id]),
        json!({"UserName": "alice", "AccessKeyId": id})
    );
    with_key(id, "InvalidAccessKeyId.NotFound");
    env.fails(1, "EntityNotExist.User", &["access-key", "create", "bob"]);
}

#[test]
fn check_adds_only_principal_arn_and_access_id() {
    let (env, admin) = Env::init();
    let id = admin["AccessKeyId"].as_str().unwrap();
    env.ok(&["user", "create", "alice"]);
    let arn_policy = env.file(
        "arn.json",
        &format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"oss:GetObject","Resource":"*",
              "Condition":{{"StringEquals":{{"acs:PrincipalARN":"acs:ram::{ACCOUNT}:user/alice"}}}}}},
              {{"Effect":"Allow","Action":"oss:ListObjects","Resource":"*",
              "Condition":{{"StringLike":{{"acs:AccessId":"LTAI*"}}}}}},
              {{"Effect":"Allow","Action":"oss:PutObject","Resource":"*",
              "Condition":{{"DateGreaterThan":{{"acs:CurrentTime":"2000-01-01T00:00:00Z"}}}}}},
              {{"Effect":"Allow","Action":"oss:PutBucket","Resource":"*",
              "Condition":{{"Bool":{{"acs:SecureTransport":"true"}}}}}}]}}"#
        ),
    );
    env.ok(&["policy", "create", "ctx", "--document", &arn_policy]);
    env.ok(&["attach", "--user", "alice", "ctx"]);
    env.ok(&["attach", "--user", "admin", "ctx"]);

    let (_, d) = check(&env, "user/alice", "oss:GetObject", &[]);
    assert_eq!(decision(&d), "Allow");
    // A PrincipalARN given on the command line wins (key names compare in any case).
    let (_, d) = check(
        &env,
        "user/alice",
        "oss:GetObject",
        &["--context", "acs:PrincipalArn=other"],
    );
    assert_eq!(decision(&d), "ImplicitDeny");
    // acs:AccessId only with --access-key.
    let (_, d) = check(&env, "user/alice", "oss:ListObjects", &[]);
    assert_eq!(decision(&d), "ImplicitDeny");
    let run = env.json(&[
        "check",
        "--principal",
        "user/admin",
        "--access-key",
        id,
        "--action",
        "oss:ListObjects",
        "--resource",
        "*",
    ]);
    assert_eq!(decision(&run.1), "Allow");
    // Neither --now nor anything else becomes acs:CurrentTime or a transport key.
    let (_, d) = check(&env, "user/alice", "oss:PutObject", &[]);
    assert_eq!(decision(&d), "ImplicitDeny");
    assert_eq!(d["failed_conditions"][0]["key"], "acs:CurrentTime");
    let (_, d) = check(&env, "user/alice", "oss:PutBucket", &[]);
    assert_eq!(decision(&d), "ImplicitDeny");
    let (_, d) = check(
        &env,
        "user/alice",
        "oss:PutBucket",
        &["--context", "acs:SecureTransport=true"],
    );
    assert_eq!(decision(&d), "Allow");
}

#[test]
fn check_rejects_malformed_input_with_exit_2() {
    let (env, _) = Env::init();
    for (principal, action, resource, ctx) in [
        ("alice", "oss:GetObject", RES, "acs:SourceIp=1.2.3.4"),
        ("role/deployer", "oss:GetObject", RES, "acs:SourceIp=1.2.3.4"),
        ("user/", "oss:GetObject", RES, "acs:SourceIp=1.2.3.4"),
        ("user/admin", "GetObject", RES, "acs:SourceIp=1.2.3.4"),
        ("user/admin", "oss:GetObject", "", "acs:SourceIp=1.2.3.4"),
        ("user/admin", "oss:GetObject", RES, "SourceIp=1.2.3.4"),
        ("user/admin", "oss:GetObject", RES, "acs:SourceIp"),
    ] {
        env.fails(
            2,
            "InvalidInput",
            &[
                "check",
                "--principal",
                principal,
                "--action",
                action,
                "--resource",
                resource,
                "--context",
                ctx,
            ],
        );
    }
    // Exactly one caller.
    env.fails(
        2,
        "InvalidInput",
        &["check", "--action", "oss:GetObject", "--resource", RES],
    );
    env.fails(
        2,
        "InvalidInput",
        &[
            "check",
            "--principal",
            "root",
            "--console-session",
            "x",
            "--action",
            "oss:GetObject",
            "--resource",
            RES,
        ],
    );
    // Text output: the decision and its statement.
    let run = env.run(&[
        "check",
        "--principal",
        "user/admin",
        "--action",
        "oss:GetObject",
        "--resource",
        RES,
    ]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        "Allow\n  matched: AdministratorAccess v1 statement 0 (Allow, source user)\n"
    );
}

// ---------------------------------------------------------------- console logins

/// The TOTP of a base32 seed at a Unix time, computed here with totp-rs (RFC 6238, SHA-1,
/// 6 digits, 30-second steps), independently of ram.
fn totp(seed: &str, unix: u64) -> String {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(0)
        .with_secret(Secret::try_from_base32(seed).unwrap())
        .build()
        .unwrap()
        .generate(unix)
        .to_string()
}

fn unix(rfc3339: &str) -> u64 {
    rfc3339.parse::<jiff::Timestamp>().unwrap().as_second() as u64
}

#[test]
fn the_test_totp_matches_rfc_6238() {
    // RFC 6238 appendix B, SHA-1 seed "12345678901234567890", T = 59 s: 94287082 (8 digits).
    let seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    let eight = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(8)
        .with_step_duration(30)
        .with_secret(Secret::try_from_base32(seed).unwrap())
        .build()
        .unwrap();
    assert_eq!(eight.generate(59).to_string(), "94287082");
    assert_eq!(eight.generate(1_111_111_109).to_string(), "07081804");
    assert_eq!(totp(seed, 59), "287082");
}

fn console_user(env: &Env) {
    env.ok(&["user", "create", "alice"]);
    let doc = env.file("mfa.json", MFA_ONLY);
    env.ok(&["policy", "create", "ecs-with-mfa", "--document", &doc]);
    env.ok(&["attach", "--user", "alice", "ecs-with-mfa"]);
    let v = env.ok(&["login-profile", "create", "alice", "--password", PASSWORD]);
    assert_eq!(
        v,
        json!({"LoginProfile": {"UserName": "alice", "PasswordResetRequired": false, "MFABindRequired": false, "PasswordSetDate": NOW}})
    );
}

#[test]
fn login_yields_a_console_session_for_check() {
    let (env, _) = Env::init();
    console_user(&env);
    env.fails(
        1,
        "EntityAlreadyExists.User.LoginProfile",
        &["login-profile", "create", "alice", "--password", PASSWORD],
    );
    env.fails(
        2,
        "InvalidParameter.Password.TooWeak",
        &["login-profile", "create", "admin", "--password", "short"],
    );

    // Text form: the token alone.
    let run = env.run(&["--now", NOW, "login", "alice", "--password", PASSWORD]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let token = run.stdout.trim_end().to_owned();
    assert!(token.starts_with("RAMCS1.") && !token.contains('\n'), "{token}");
    assert!(!run.stdout.contains(PASSWORD));

    let v = env.ok(&["login", "alice", "--password", PASSWORD]);
    assert_eq!(
        keys(&v),
        set(&[
            "ConsoleSessionToken",
            "UserName",
            "LoginTime",
            "Expiration",
            "MFAPresent"
        ])
    );
    assert_eq!(v["MFAPresent"], false);
    assert_eq!(v["Expiration"], "2025-01-01T06:00:00Z");
    assert_eq!(env.ok(&["user", "get", "alice"])["User"]["LastLoginDate"], NOW);

    // Checks as the session's user, with acs:MFAPresent false from the session.
    let check_session = |now: &str, token: &str, extra: &[&str]| {
        let mut args = vec![
            "check",
            "--console-session",
            token,
            "--action",
            "ecs:RunInstances",
            "--resource",
            "*",
        ];
        args.extend_from_slice(extra);
        env.json_at(now, &args)
    };
    let (code, d) = check_session(NOW, &token, &[]);
    assert_eq!((code, decision(&d)), (0, "ImplicitDeny"));
    // The session's MFAPresent replaces a claimed one.
    let (_, d) = check_session(NOW, &token, &["--context", "acs:MFAPresent=true"]);
    assert_eq!(decision(&d), "ImplicitDeny");

    // Expired, forged and malformed tokens fail authentication.
    let refused = |now: &str, code: &str, t: &str| {
        env.fails_at(
            now,
            3,
            code,
            &[
                "check",
                "--console-session",
                t,
                "--action",
                "ecs:RunInstances",
                "--resource",
                "*",
            ],
        )
    };
    refused(&at(6 * 3600), "InvalidConsoleSession.Expired", &token);
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    let (code, _) = env.json(&[
        "check",
        "--console-session",
        &forged,
        "--action",
        "ecs:RunInstances",
        "--resource",
        "*",
    ]);
    assert_eq!(code, 3);
    refused(NOW, "InvalidConsoleSession.Malformed", "not-a-token");
    // Deleting the login profile revokes the session.
    env.ok(&["login-profile", "delete", "alice"]);
    refused(NOW, "InvalidConsoleSession.Revoked", &token);

    // Wrong password and unknown user: exit 3, one error for both, no password echoed.
    let v = env.fails(
        3,
        "Login.InvalidCredentials",
        &["login", "alice", "--password", "Wrong-Password-9"],
    );
    assert!(!v.to_string().contains("Wrong-Password-9"));
    env.fails(3, "Login.InvalidCredentials", &["login", "bob", "--password", PASSWORD]);
}

#[test]
fn password_from_stdin() {
    let (env, _) = Env::init();
    env.ok(&["user", "create", "alice"]);
    let run = env.run_stdin(
        &[
            "--json",
            "--now",
            NOW,
            "login-profile",
            "create",
            "alice",
            "--password",
            "-",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = env.run_stdin(
        &["--now", NOW, "login", "alice", "--password", "-"],
        Some(&format!("{PASSWORD}\r\n")),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("RAMCS1."));
}

#[test]
fn mfa_binding_and_login_with_rfc_6238_codes() {
    let (env, _) = Env::init();
    console_user(&env);
    let run = env.run(&["mfa", "create", "alice-phone"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    let device = &v["VirtualMFADevice"];
    let serial = device["SerialNumber"].as_str().unwrap().to_owned();
    assert_eq!(serial, format!("acs:ram::{ACCOUNT}:mfa/alice-phone"));
    let seed = device["Base32StringSeed"].as_str().unwrap().to_owned();
    env.fails(
        1,
        "EntityAlreadyExists.VirtualMFADevice",
        &["mfa", "create", "alice-phone"],
    );

    let t = unix(NOW);
    let (c1, c2) = (totp(&seed, t - 30), totp(&seed, t));
    // Wrong or malformed codes.
    env.fails(
        3,
        "CheckAuthenticationCodeFail",
        &["mfa", "bind", "alice", "alice-phone", &c2, &c1],
    );
    env.fails(
        2,
        "InvalidParameter.AuthenticationCode.Format",
        &["mfa", "bind", "alice", "alice-phone", "12345", &c2],
    );
    assert_eq!(
        env.ok(&["mfa", "bind", "alice", "alice-phone", &c1, &c2]),
        json!({"UserName": "alice", "SerialNumber": serial})
    );
    assert_eq!(env.ok(&["user", "get", "alice"])["User"]["MFADevice"], serial.as_str());
    env.fails(
        1,
        "DeleteConflict.VirtualMFADevice.User",
        &["mfa", "delete", "alice-phone"],
    );

    // Login now needs the current code; the session carries MFAPresent.
    let later = at(90);
    env.fails_at(
        &later,
        3,
        "Login.MFACodeRequired",
        &["login", "alice", "--password", PASSWORD],
    );
    let code = totp(&seed, unix(&later));
    let v = env.ok_at(&later, &["login", "alice", "--password", PASSWORD, "--mfa-code", &code]);
    assert_eq!(v["MFAPresent"], true);
    let token = v["ConsoleSessionToken"].as_str().unwrap();
    let d = env.ok_at(
        &later,
        &[
            "check",
            "--console-session",
            token,
            "--action",
            "ecs:RunInstances",
            "--resource",
            "*",
        ],
    );
    assert_eq!(decision(&d), "Allow");
    assert_eq!(d["matched"][0]["policy"], "ecs-with-mfa");
    // The same code is never accepted twice.
    env.fails_at(
        &later,
        3,
        "CheckAuthenticationCodeFail",
        &["login", "alice", "--password", PASSWORD, "--mfa-code", &code],
    );

    assert_eq!(
        env.ok(&["mfa", "unbind", "alice"]),
        json!({"UserName": "alice", "SerialNumber": serial})
    );
    env.fails(1, "EntityNotExist.User.MFADevice", &["mfa", "unbind", "alice"]);
    assert_eq!(
        env.ok(&["mfa", "delete", "alice-phone"]),
        json!({"SerialNumber": serial})
    );
}

#[test]
fn mfa_bind_required_blocks_login_until_bound() {
    let (env, _) = Env::init();
    env.ok(&["user", "create", "alice"]);
    let v = env.ok(&[
        "login-profile",
        "create",
        "alice",
        "--password",
        PASSWORD,
        "--mfa-bind-required",
    ]);
    assert_eq!(v["LoginProfile"]["MFABindRequired"], true);
    env.fails(1, "Login.MFABindRequired", &["login", "alice", "--password", PASSWORD]);
}

#[test]
fn lockout_lasts_an_hour_of_now() {
    let (env, _) = Env::init();
    env.ok(&["user", "create", "alice"]);
    env.ok(&["login-profile", "create", "alice", "--password", PASSWORD]);
    let v = env.ok(&["password-policy", "set", "--max-login-attempts", "3"]);
    assert_eq!(v["PasswordPolicy"]["MaxLoginAttemps"], 3);
    for i in 0..3 {
        env.fails_at(
            &at(i * 60),
            3,
            "Login.InvalidCredentials",
            &["login", "alice", "--password", "Wrong-Pass-1"],
        );
    }
    // Locked for an hour from the third failure, even with the right password.
    let v = env.fails_at(
        &at(10 * 60),
        3,
        "Login.Locked",
        &["login", "alice", "--password", PASSWORD],
    );
    assert!(!v.to_string().contains(PASSWORD));
    env.fails_at(
        &at(120 + 3599),
        3,
        "Login.Locked",
        &["login", "alice", "--password", PASSWORD],
    );
    env.ok_at(&at(120 + 3600), &["login", "alice", "--password", PASSWORD]);
}

#[test]
fn password_age_counts_from_now() {
    let (env, _) = Env::init();
    env.ok(&["user", "create", "alice"]);
    env.ok(&["login-profile", "create", "alice", "--password", PASSWORD]);
    env.ok(&["password-policy", "set", "--max-password-age", "30"]);
    let day = 24 * 3600;
    env.ok_at(&at(29 * day), &["login", "alice", "--password", PASSWORD]);
    env.fails_at(
        &at(31 * day),
        1,
        "Login.PasswordResetRequired",
        &["login", "alice", "--password", PASSWORD],
    );
    env.ok(&["password-policy", "set", "--hard-expiry", "true"]);
    env.fails_at(
        &at(31 * day),
        3,
        "Login.PasswordExpired",
        &["login", "alice", "--password", PASSWORD],
    );
    // An administrator's reset at day 31 starts a new age.
    let v = env.ok_at(
        &at(31 * day),
        &["login-profile", "update", "alice", "--password", "Another-Horse-2"],
    );
    assert_eq!(v["LoginProfile"]["PasswordSetDate"], at(31 * day));
    env.ok_at(&at(32 * day), &["login", "alice", "--password", "Another-Horse-2"]);
}

#[test]
fn password_policy_fields_and_ranges() {
    let (env, _) = Env::init();
    let v = env.ok(&[
        "password-policy",
        "set",
        "--minimum-password-length",
        "12",
        "--require-lowercase-characters",
        "true",
        "--require-uppercase-characters",
        "true",
        "--require-numbers",
        "true",
        "--require-symbols",
        "true",
        "--max-password-age",
        "90",
        "--password-reuse-prevention",
        "3",
        "--max-login-attemps",
        "5",
        "--hard-expiry",
        "false",
    ]);
    assert_eq!(
        v,
        json!({"PasswordPolicy": {
            "MinimumPasswordLength": 12, "RequireLowercaseCharacters": true,
            "RequireUppercaseCharacters": true, "RequireNumbers": true, "RequireSymbols": true,
            "MaxPasswordAge": 90, "PasswordReusePrevention": 3, "MaxLoginAttemps": 5, "HardExpiry": false,
        }})
    );
    assert_eq!(env.ok(&["password-policy", "get"]), v);
    // A set changes only the fields given.
    let v = env.ok(&["password-policy", "set", "--require-symbols", "false"]);
    assert_eq!(v["PasswordPolicy"]["MinimumPasswordLength"], 12);
    assert_eq!(v["PasswordPolicy"]["RequireSymbols"], false);

    let before = env.state_bytes();
    env.fails(
        2,
        "InvalidParameter.MinimumPasswordLength.Range",
        &["password-policy", "set", "--minimum-password-length", "7"],
    );
    env.fails(
        2,
        "InvalidParameter.MaxPasswordAge.Range",
        &["password-policy", "set", "--max-password-age", "1096"],
    );
    env.fails(
        2,
        "InvalidParameter.PasswordReusePrevention.Range",
        &["password-policy", "set", "--password-reuse-prevention", "25"],
    );
    env.fails(
        2,
        "InvalidParameter.MaxLoginAttemps.Range",
        &["password-policy", "set", "--max-login-attempts", "33"],
    );
    env.fails(
        2,
        "InvalidInput",
        &["password-policy", "set", "--minimum-password-length", "-1"],
    );
    assert_eq!(env.state_bytes(), before);

    env.ok(&["user", "create", "alice"]);
    env.fails(
        2,
        "InvalidParameter.Password.TooWeak",
        &["login-profile", "create", "alice", "--password", "alllowercase1!"],
    );
    env.ok(&["login-profile", "create", "alice", "--password", "Mixed-Case-12"]);
}

#[test]
fn entity_json_shapes() {
    let (env, _) = Env::init();
    env.ok(&["user", "create", "alice"]);
    env.ok(&["group", "create", "dev"]);
    env.ok(&["group", "add-user", "dev", "alice"]);
    env.ok(&["access-key", "create", "alice"]);
    env.ok(&["login-profile", "create", "alice", "--password", PASSWORD]);
    env.ok(&["attach", "--user", "alice", "ReadOnlyAccess"]);
    env.ok_at(&at(60), &["login", "alice", "--password", PASSWORD]);
    let u = env.ok(&["user", "get", "alice"]);
    assert_eq!(keys(&u), set(&["User"]));
    assert_eq!(
        keys(&u["User"]),
        set(&[
            "UserName",
            "UserId",
            "CreateDate",
            "LastLoginDate",
            "Groups",
            "Policies",
            "AccessKeys",
            "LoginProfile"
        ])
    );
    assert_eq!(
        keys(&u["User"]["Policies"][0]),
        set(&["PolicyType", "PolicyName", "AttachDate"])
    );
    assert_eq!(
        keys(&u["User"]["AccessKeys"][0]),
        set(&["AccessKeyId", "Status", "CreateDate"])
    );
    assert_eq!(
        keys(&u["User"]["LoginProfile"]),
        set(&["PasswordResetRequired", "MFABindRequired", "PasswordSetDate"])
    );
    assert_eq!(
        keys(&env.ok(&["user", "list"])["Users"][1]),
        set(&["UserName", "UserId", "CreateDate", "LastLoginDate"])
    );
    assert_eq!(
        keys(&env.ok(&["group", "list"])["Groups"][0]),
        set(&["GroupName", "GroupId", "CreateDate", "Members", "Policies"])
    );
    let p = env.ok(&["policy", "list"]);
    assert_eq!(
        keys(&p["Policies"][0]),
        set(&[
            "PolicyName",
            "PolicyType",
            "Description",
            "DefaultVersion",
            "AttachmentCount"
        ])
    );
    let trust = env.file("trust.json", TRUST);
    let r = env.ok(&[
        "role",
        "create",
        "ops",
        "--trust-policy",
        &trust,
        "--max-session-duration",
        "43200",
    ]);
    assert_eq!(
        keys(&r["Role"]),
        set(&[
            "RoleName",
            "RoleId",
            "Arn",
            "MaxSessionDuration",
            "CreateDate",
            "AssumeRolePolicyDocument",
            "Policies"
        ])
    );
    assert_eq!(
        keys(&env.ok(&["role", "list"])["Roles"][0]),
        set(&["RoleName", "RoleId", "Arn", "MaxSessionDuration", "CreateDate"])
    );
    let d = env.ok(&[
        "check",
        "--principal",
        "root",
        "--action",
        "ram:DeleteUser",
        "--resource",
        "*",
    ]);
    assert_eq!(d, json!({"decision": "Allow", "matched": []}));
}

#[test]
fn a_bad_security_token_is_an_authentication_failure() {
    // `ram check --security-token` itself is tested in tests/sts.rs.
    let (env, _) = Env::init();
    env.fails(
        3,
        "InvalidSecurityToken.Malformed",
        &[
            "check",
            "--security-token",
            "x",
            "--action",
            "oss:GetObject",
            "--resource",
            RES,
        ],
    );
}
