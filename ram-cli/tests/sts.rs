//! End-to-end tests of `ram sts ...` and `ram check --security-token`: the exact command
//! forms scripts depend on, exit codes (1 refused, 2 invalid parameter, 3 authentication),
//! JSON shapes, keys in the state file (secrets never printed), rotation, retirement and
//! revocation, with `--now` for expiry.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

const ACCOUNT: &str = "1234567890123456";
const NOW: &str = "2025-01-01T00:00:00Z";
const TRUST: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
  "Principal":{"RAM":["acs:ram::1234567890123456:root"]}}]}"#;
const TRUST_CHAIN: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
  "Principal":{"RAM":["acs:ram::1234567890123456:role/ops"]}}]}"#;
const TRUST_ECS: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",
  "Principal":{"Service":["ecs.aliyuncs.com"]}}]}"#;
const DENY_OPS: &str = r#"{"Version":"1","Statement":[{"Effect":"Deny","Action":"sts:AssumeRole",
  "Resource":"acs:ram::1234567890123456:role/ops"}]}"#;
const OPS_POLICY: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":["oss:*","sts:AssumeRole"],"Resource":"*"}]}"#;
const SESSION_READ: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get*","Resource":"*"}]}"#;
const RES: &str = "acs:oss:cn-hangzhou:1234567890123456:bucket/b/k";

struct Env {
    dir: PathBuf,
    state: String,
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

fn ram_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_ram"))
        .args(args)
        .current_dir(dir)
        .env_remove("RAM_STATE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run {
        code: out.status.code().expect("ram was killed by a signal"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

impl Env {
    /// A directory with alice (may assume roles, one access key), bob (no permission),
    /// mallory (may assume roles but denied `ops`), roles `ops` (trusts the account; OSS and
    /// AssumeRole), `reader` (trusts sessions of `ops`; OSS read-only) and `ecs-svc`
    /// (trusts ECS). Returns alice's AccessKeyId.
    fn new() -> (Env, String) {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ram-sts-cli-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let state = dir.join("state.json").to_str().unwrap().to_owned();
        let env = Env { dir, state };
        env.ok(&["init", "--account", ACCOUNT]);
        for u in ["alice", "bob", "mallory"] {
            env.ok(&["user", "create", u]);
        }
        let key = env.ok(&["access-key", "create", "alice"]);
        let key = key["AccessKey"]["AccessKeyId"]
            .as_str()
            .or_else(|| key["AccessKeyId"].as_str())
            .unwrap_or_else(|| panic!("no AccessKeyId in {key}"))
            .to_owned();
        env.ok(&["attach", "--user", "alice", "AliyunSTSAssumeRoleAccess"]);
        env.ok(&["attach", "--user", "mallory", "AliyunSTSAssumeRoleAccess"]);
        let deny = env.file("deny.json", DENY_OPS);
        env.ok(&["policy", "create", "DenyOps", "--document", &deny]);
        env.ok(&["attach", "--user", "mallory", "DenyOps"]);
        for (role, trust) in [("ops", TRUST), ("reader", TRUST_CHAIN), ("ecs-svc", TRUST_ECS)] {
            let f = env.file(&format!("{role}.json"), trust);
            env.ok(&["role", "create", role, "--trust-policy", &f]);
        }
        let ops = env.file("ops-policy.json", OPS_POLICY);
        env.ok(&["policy", "create", "OpsPolicy", "--document", &ops]);
        env.ok(&["attach", "--role", "ops", "OpsPolicy"]);
        env.ok(&["attach", "--role", "reader", "AliyunOSSReadOnlyAccess"]);
        (env, key)
    }

    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }

    /// `ram --state S --json --now NOW ARGS...`.
    fn json_at(&self, now: &str, args: &[&str]) -> (i32, Value, String) {
        let mut all = vec!["--state", &self.state, "--json", "--now", now];
        all.extend_from_slice(args);
        let run = ram_in(&self.dir, &all);
        if run.code == 0 {
            assert_eq!(run.stderr, "", "stderr on success: {args:?}");
        }
        (run.code, run.json(), run.stdout)
    }

    fn ok(&self, args: &[&str]) -> Value {
        self.ok_at(NOW, args)
    }

    fn ok_at(&self, now: &str, args: &[&str]) -> Value {
        let (code, v, _) = self.json_at(now, args);
        assert_eq!(code, 0, "{args:?}: {v}");
        v
    }

    fn fails(&self, exit: i32, code: &str, args: &[&str]) -> Value {
        self.fails_at(NOW, exit, code, args)
    }

    fn fails_at(&self, now: &str, exit: i32, code: &str, args: &[&str]) -> Value {
        let (got, v, _) = self.json_at(now, args);
        assert_eq!(got, exit, "exit code of {args:?}: {v}");
        assert_eq!(v["error"]["code"], code, "{args:?}: {v}");
        assert!(v["error"]["message"].is_string(), "{v}");
        v
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn at(seconds: i64) -> String {
    let t: jiff::Timestamp = NOW.parse().unwrap();
    (t + jiff::SignedDuration::from_secs(seconds)).to_string()
}

const OPS: &str = "acs:ram::1234567890123456:role/ops";
const READER: &str = "acs:ram::1234567890123456:role/reader";

fn assume(env: &Env, caller: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "sts",
        "assume-role",
        "--caller",
        caller,
        "--role-arn",
        OPS,
        "--session-name",
        "s1",
    ];
    args.extend_from_slice(extra);
    env.ok(&args)
}

fn creds(v: &Value) -> (String, String) {
    (
        v["Credentials"]["SecurityToken"].as_str().unwrap().to_owned(),
        v["Credentials"]["AccessKeyId"].as_str().unwrap().to_owned(),
    )
}

fn check_token(env: &Env, now: &str, token: &str, action: &str) -> (i32, Value) {
    let (code, v, _) = env.json_at(
        now,
        &[
            "check",
            "--security-token",
            token,
            "--action",
            action,
            "--resource",
            RES,
        ],
    );
    (code, v)
}

#[test]
fn assume_role_prints_the_api_response() {
    let (env, key) = Env::new();
    let v = assume(&env, "user/alice", &["--access-key", &key]);
    let c = &v["Credentials"];
    assert!(c["AccessKeyId"].as_str().unwrap().starts_with("STS."));
    assert_eq!(c["AccessKeySecret"].as_str().unwrap().len(), 40);
    assert!(c["SecurityToken"].as_str().unwrap().starts_with("RAMSTS1."));
    assert_eq!(c["Expiration"], "2025-01-01T01:00:00Z");
    assert_eq!(v["AssumedRoleUser"]["Arn"], format!("acs:ram::{ACCOUNT}:role/ops/s1"));
    assert!(v["AssumedRoleUser"]["AssumedRoleId"].as_str().unwrap().ends_with(":s1"));
    // Printed as JSON without --json too (the secret is shown this once).
    let run = ram_in(
        &env.dir,
        &[
            "--state",
            &env.state,
            "--now",
            NOW,
            "sts",
            "assume-role",
            "--caller",
            "user/alice",
            "--role-arn",
            OPS,
            "--session-name",
            "s2",
            "--duration",
            "900",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["Credentials"]["Expiration"], "2025-01-01T00:15:00Z");
    // The signing key is in the state file, never printed by `ram sts keys`.
    let state = std::fs::read_to_string(&env.state).unwrap();
    assert!(state.contains("\"StsKeys\""));
    let keys = env.ok(&["sts", "keys"]);
    assert_eq!(keys["Keys"].as_array().unwrap().len(), 1);
    assert!(!keys.to_string().contains("Secret"));
    // A service, by the trust policy alone.
    env.ok(&[
        "sts",
        "assume-role",
        "--caller",
        "service/ecs.aliyuncs.com",
        "--role-arn",
        "acs:ram::1234567890123456:role/ecs-svc",
        "--session-name",
        "i-1",
    ]);
}

#[test]
fn exit_codes_and_error_shapes() {
    let (env, key) = Env::new();
    let base = ["sts", "assume-role", "--role-arn", OPS, "--session-name", "s1"];
    let with = |caller: &[&str], extra: &[&str]| {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(caller);
        a.extend_from_slice(extra);
        a.iter().map(|s| s.to_string()).collect::<Vec<String>>()
    };
    let fails = |exit, code, args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        env.fails(exit, code, &refs)
    };
    // 3: authentication.
    fails(3, "EntityNotExist.User", with(&["--caller", "user/ghost"], &[]));
    fails(
        3,
        "InvalidAccessKeyId.NotFound",
        with(
            &["--caller", "user/alice", "--access-key", "LTAIxxxxxxxxxxxxxxxxxxxx"],
            &[],
        ),
    );
    fails(
        3,
        "InvalidAccessKeyId.NotFound",
        with(&["--caller", "user/bob", "--access-key", &key], &[]),
    );
    fails(
        3,
        "InvalidSecurityToken.Malformed",
        with(&["--security-token", "RAMSTS1.nope"], &[]),
    );
    // 2: parameters.
    env.fails(
        2,
        "InvalidParameter.RoleSessionName",
        &[
            "sts",
            "assume-role",
            "--caller",
            "user/alice",
            "--role-arn",
            OPS,
            "--session-name",
            "x",
        ],
    );
    fails(
        2,
        "InvalidParameter.DurationSeconds",
        with(&["--caller", "user/alice"], &["--duration", "899"]),
    );
    fails(
        2,
        "InvalidParameter.DurationSeconds",
        with(&["--caller", "user/alice"], &["--duration", "3601"]),
    );
    let bad = env.file("bad.json", "{");
    fails(
        2,
        "InvalidParameter.PolicyGrammar",
        with(&["--caller", "user/alice"], &["--policy", &bad]),
    );
    let big = env.file(
        "big.json",
        &format!(
            r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"oss:{}","Resource":"*"}}]}}"#,
            "a".repeat(2_048)
        ),
    );
    fails(
        2,
        "InvalidParameter.PolicySize",
        with(&["--caller", "user/alice"], &["--policy", &big]),
    );
    fails(2, "InvalidInput", with(&["--caller", "group/x"], &[]));
    let v = env.fails(
        2,
        "InvalidParameter.RoleArn",
        &[
            "sts",
            "assume-role",
            "--caller",
            "user/alice",
            "--role-arn",
            "ops",
            "--session-name",
            "s1",
        ],
    );
    assert!(v["error"].get("NoPermissionType").is_none());
    // 1: unknown role, refusals.
    env.fails(
        1,
        "EntityNotExist.Role",
        &[
            "sts",
            "assume-role",
            "--caller",
            "user/alice",
            "--role-arn",
            "acs:ram::1234567890123456:role/nope",
            "--session-name",
            "s1",
        ],
    );
    let v = fails(1, "NoPermission", with(&["--caller", "user/bob"], &[]));
    assert_eq!(v["error"]["NoPermissionType"], "ImplicitDeny");
    let v = fails(1, "NoPermission", with(&["--caller", "user/mallory"], &[]));
    assert_eq!(v["error"]["NoPermissionType"], "ExplicitDeny");
    let v = fails(1, "NoPermission", with(&["--caller", "root"], &[]));
    assert_eq!(v["error"]["message"], "Roles may not be assumed by root accounts.");
    // Without --json: the error on stderr, same exit code.
    let run = ram_in(
        &env.dir,
        &[
            "--state",
            &env.state,
            "sts",
            "assume-role",
            "--caller",
            "user/bob",
            "--role-arn",
            OPS,
            "--session-name",
            "s1",
        ],
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("NoPermission"), "{}", run.stderr);
}

#[test]
fn check_with_a_security_token_and_chaining() {
    let (env, _) = Env::new();
    let policy = env.file("session.json", SESSION_READ);
    let (token, id) = creds(&assume(&env, "user/alice", &[]));
    assert_eq!(check_token(&env, NOW, &token, "oss:PutObject").1["decision"], "Allow");
    // With its own AccessKeyId, fine; another one is exit 3.
    let (code, v, _) = env.json_at(
        NOW,
        &[
            "check",
            "--security-token",
            &token,
            "--access-key",
            &id,
            "--action",
            "oss:GetObject",
            "--resource",
            RES,
        ],
    );
    assert_eq!((code, v["decision"].as_str()), (0, Some("Allow")));
    let (code, v, _) = env.json_at(
        NOW,
        &[
            "check",
            "--security-token",
            &token,
            "--access-key",
            "STS.0000000000000000000000",
            "--action",
            "oss:GetObject",
            "--resource",
            RES,
        ],
    );
    assert_eq!(
        (code, v["error"]["code"].as_str()),
        (3, Some("InvalidSecurityToken.MismatchWithAccessKey"))
    );
    // A session policy narrows it; an implicit deny there is final.
    let (narrow, _) = creds(&assume(&env, "user/alice", &["--policy", &policy]));
    assert_eq!(check_token(&env, NOW, &narrow, "oss:GetObject").1["decision"], "Allow");
    assert_eq!(
        check_token(&env, NOW, &narrow, "oss:PutObject").1["decision"],
        "ImplicitDeny"
    );
    // Expiry at the exact second, via --now.
    assert_eq!(check_token(&env, &at(3_599), &token, "oss:GetObject").0, 0);
    let (code, v) = check_token(&env, &at(3_600), &token, "oss:GetObject");
    assert_eq!(
        (code, v["error"]["code"].as_str()),
        (3, Some("InvalidSecurityToken.Expired"))
    );
    // Not yet valid: no clock skew on the command line.
    let (code, v) = check_token(&env, &at(-1), &token, "oss:GetObject");
    assert_eq!(
        (code, v["error"]["code"].as_str()),
        (3, Some("InvalidSecurityToken.NotYetValid"))
    );
    // Role chaining with the token.
    let chained = env.ok(&[
        "sts",
        "assume-role",
        "--security-token",
        &token,
        "--access-key",
        &id,
        "--role-arn",
        READER,
        "--session-name",
        "chained",
    ]);
    let (reader, _) = creds(&chained);
    assert_eq!(check_token(&env, NOW, &reader, "oss:GetObject").1["decision"], "Allow");
    assert_eq!(
        check_token(&env, NOW, &reader, "oss:PutObject").1["decision"],
        "ImplicitDeny"
    );
    // Alice herself cannot assume `reader`.
    env.fails(
        1,
        "NoPermission",
        &[
            "sts",
            "assume-role",
            "--caller",
            "user/alice",
            "--role-arn",
            READER,
            "--session-name",
            "s1",
        ],
    );
    // Tampered token: exit 3.
    let mut bad = token.clone();
    bad.pop();
    assert_eq!(check_token(&env, NOW, &bad, "oss:GetObject").0, 3);
}

#[test]
fn caller_identity_and_verify() {
    let (env, key) = Env::new();
    let me = env.ok(&["sts", "caller-identity", "--caller", "user/alice", "--access-key", &key]);
    assert_eq!(me["IdentityType"], "RAMUser");
    assert_eq!(me["Arn"], format!("acs:ram::{ACCOUNT}:user/alice"));
    assert_eq!(me["PrincipalId"], me["UserId"]);
    env.fails(
        3,
        "EntityNotExist.User",
        &["sts", "caller-identity", "--caller", "user/ghost"],
    );
    let (token, id) = creds(&assume(&env, "user/alice", &[]));
    let s = env.ok(&["sts", "caller-identity", "--security-token", &token]);
    assert_eq!(s["IdentityType"], "AssumedRoleUser");
    assert_eq!(s["Arn"], format!("acs:ram::{ACCOUNT}:assumed-role/ops/s1"));
    assert_eq!(s["PrincipalId"], format!("{}:s1", s["RoleId"].as_str().unwrap()));
    let v = env.ok(&["sts", "verify", &token]);
    assert_eq!(v["AccessKeyId"], id.as_str());
    assert_eq!(v["Claims"]["RoleName"], "ops");
    assert_eq!(v["Claims"]["SessionName"], "s1");
    assert_eq!(v["Claims"]["SourceIdentity"], format!("acs:ram::{ACCOUNT}:user/alice"));
    assert_eq!(v["Expiration"], "2025-01-01T01:00:00Z");
    env.fails(3, "InvalidSecurityToken.Malformed", &["sts", "verify", "RAMSTS1.x.y"]);
    env.fails(3, "InvalidSecurityToken.Malformed", &["sts", "verify", "--", "-x"]);
    env.fails_at(
        &at(3_600),
        3,
        "InvalidSecurityToken.Expired",
        &["sts", "verify", &token],
    );
}

#[test]
fn keys_rotate_and_retire() {
    let (env, _) = Env::new();
    let (old, _) = creds(&assume(&env, "user/alice", &[]));
    let k1 = env.ok(&["sts", "keys"])["Keys"][0]["KeyId"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated = env.ok(&["sts", "rotate-key", "--algorithm", "hmac-sha256"]);
    let k2 = rotated["Key"]["KeyId"].as_str().unwrap().to_owned();
    assert_eq!(rotated["Key"]["Algorithm"], "HMAC-SHA256");
    assert!(!rotated.to_string().contains("Secret"));
    let (new, _) = creds(&assume(&env, "user/alice", &[]));
    assert_eq!(env.ok(&["sts", "verify", &new])["KeyId"], k2.as_str());
    assert_eq!(env.ok(&["sts", "verify", &old])["KeyId"], k1.as_str());
    env.fails(2, "InvalidParameter.KeyId", &["sts", "retire-key", &k2]);
    env.fails(1, "EntityNotExist.StsKey", &["sts", "retire-key", "nope"]);
    env.fails(2, "InvalidInput", &["sts", "rotate-key", "--algorithm", "rsa"]);
    let retired = env.ok(&["sts", "retire-key", &k1]);
    assert!(retired["Key"]["Retired"].is_string());
    env.fails(3, "InvalidSecurityToken.Malformed", &["sts", "verify", &old]);
    assert_eq!(check_token(&env, NOW, &old, "oss:GetObject").0, 3);
    assert_eq!(check_token(&env, NOW, &new, "oss:GetObject").0, 0);
}

#[test]
fn revoke_sessions_before_an_instant() {
    let (env, _) = Env::new();
    let (early, _) = creds(&assume(&env, "user/alice", &[]));
    let later_v = env.ok_at(
        &at(100),
        &[
            "sts",
            "assume-role",
            "--caller",
            "user/alice",
            "--role-arn",
            OPS,
            "--session-name",
            "s2",
        ],
    );
    let (later, _) = creds(&later_v);
    let v = env.ok_at(&at(200), &["sts", "revoke-sessions", "ops", "--before", &at(50)]);
    assert_eq!(v["RoleName"], "ops");
    let (code, v) = check_token(&env, &at(201), &early, "oss:GetObject");
    assert_eq!(
        (code, v["error"]["code"].as_str()),
        (3, Some("InvalidSecurityToken.Revoked"))
    );
    assert_eq!(check_token(&env, &at(201), &later, "oss:GetObject").0, 0);
    env.fails(
        1,
        "EntityNotExist.Role",
        &["sts", "revoke-sessions", "nope", "--before", NOW],
    );
    env.fails(
        2,
        "InvalidInput",
        &["sts", "revoke-sessions", "ops", "--before", "yesterday"],
    );
    // Detaching the role's policy applies at the next check.
    env.ok(&["detach", "--role", "ops", "OpsPolicy"]);
    assert_eq!(
        check_token(&env, &at(202), &later, "oss:GetObject").1["decision"],
        "ImplicitDeny"
    );
}
