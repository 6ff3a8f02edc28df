//! End-to-end test of `ram bench`: generate requests from a directory, replay them, and the
//! JSON report's shape; invalid arguments exit 2.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

struct Env {
    dir: PathBuf,
}

impl Env {
    fn new(name: &str) -> Env {
        let dir = std::env::temp_dir().join(format!("ram-bench-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Env { dir }
    }

    /// Runs `ram --state <dir>/s.json ARGS` in the directory: (exit code, stdout, stderr).
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(env!("CARGO_BIN_EXE_ram"))
            .current_dir(&self.dir)
            .arg("--state")
            .arg(self.dir.join("s.json"))
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn generate_then_replay() {
    let env = Env::new("replay");
    assert_eq!(env.run(&["init", "--account", "123456"]).0, 0);
    assert_eq!(env.run(&["user", "create", "alice"]).0, 0);
    assert_eq!(env.run(&["attach", "--user", "alice", "AliyunOSSReadOnlyAccess"]).0, 0);

    // To stdout: one request a line.
    let (code, out, _) = env.run(&["bench", "--generate", "20"]);
    assert_eq!(code, 0);
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 20);
    assert!(
        lines
            .iter()
            .all(|l| l["principal"].as_str().unwrap().starts_with("user/"))
    );

    // To a file, then replayed from two threads.
    let (code, out, err) = env.run(&["--json", "bench", "--generate", "50", "--requests", "r.jsonl"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap()["Generated"], 50);
    let (code, out, err) = env.run(&[
        "--json",
        "bench",
        "--requests",
        "r.jsonl",
        "--threads",
        "2",
        "--duration",
        "0.2",
    ]);
    assert_eq!((code, err.as_str()), (0, ""), "nothing on stderr with --json");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["Requests"], 50);
    assert_eq!(report["Threads"], 2);
    let decisions = report["Decisions"].as_u64().unwrap();
    assert!(decisions > 0);
    assert!(report["DecisionsPerSecond"].as_f64().unwrap() > 0.0);
    let mix = &report["Mix"];
    let sum: u64 = ["Allow", "ExplicitDeny", "ImplicitDeny", "AuthenticationFailure"]
        .iter()
        .map(|k| mix[k].as_u64().unwrap())
        .sum();
    assert_eq!(sum, decisions);
    assert_eq!(mix["AuthenticationFailure"], 0);
    let latency = &report["LatencyNanoseconds"];
    assert!(latency["P50"].as_u64().unwrap() <= latency["P99"].as_u64().unwrap());

    // Without --json: a readable summary.
    let (code, out, _) = env.run(&["bench", "--requests", "r.jsonl", "--duration", "0.1"]);
    assert_eq!(code, 0);
    assert!(out.contains("decisions/s"), "{out}");
}

#[test]
fn invalid_input_exits_2() {
    let env = Env::new("invalid");
    assert_eq!(env.run(&["init", "--account", "123456"]).0, 0);
    std::fs::write(
        env.dir.join("bad.jsonl"),
        "{\"principal\":\"role/x\",\"action\":\"a:b\",\"resource\":\"*\"}\n",
    )
    .unwrap();
    let (code, out, _) = env.run(&["--json", "bench", "--requests", "bad.jsonl", "--duration", "0.1"]);
    assert_eq!(code, 2);
    assert!(out.contains("line 1"), "{out}");
    let (code, _, _) = env.run(&["--json", "bench", "--requests", "bad.jsonl", "--threads", "0"]);
    assert_eq!(code, 2);
    let (code, _, _) = env.run(&["--json", "bench"]);
    assert_eq!(code, 2, "--requests or --generate is required");
}
