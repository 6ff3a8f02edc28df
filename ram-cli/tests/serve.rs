//! `ram serve` as a process: binds within 2 s, prints the bound address (port 0 picks one),
//! holds the state lock, and refuses to start on a locked or missing state file.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn temp_state(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ram-cli-serve-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("state.json")
}

fn ram(state: &PathBuf, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ram"))
        .arg("--state")
        .arg(state)
        .args(args)
        .output()
        .unwrap()
}

/// Kills the server when the test ends, whatever happens.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(state: &PathBuf, extra: &[&str]) -> (Server, String, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ram"))
        .arg("--state")
        .arg(state)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (Server(child), line.trim().to_owned(), started.elapsed())
}

#[test]
fn serve_binds_prints_its_address_and_holds_the_lock() {
    let state = temp_state("bind");
    assert!(ram(&state, &["init", "--account", "123456789012"]).status.success());
    let (_server, line, elapsed) = serve(&state, &[]);
    assert!(elapsed < Duration::from_secs(2), "bound after {elapsed:?}");
    let addr = line.strip_prefix("listening on 127.0.0.1:").expect(&line);
    let port: u16 = addr.parse().unwrap();
    assert_ne!(port, 0);

    // Another writer is refused; a reader still works.
    let out = ram(&state, &["--json", "user", "create", "bob"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("StateLocked"));
    assert!(ram(&state, &["user", "list"]).status.success());

    // It speaks HTTP: an unsigned request is refused in Alibaba Cloud's JSON shape.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
        .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("\"Code\":\"MissingSignature\""), "{text}");
}

#[test]
fn serve_json_prints_the_address_as_json() {
    let state = temp_state("json");
    assert!(ram(&state, &["init", "--account", "123456789012"]).status.success());
    let (_server, line, _) = serve(&state, &["--json", "--enforcement", "audit"]);
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert!(v["Listen"].as_str().unwrap().starts_with("127.0.0.1:"));
}

#[test]
fn serve_refuses_a_missing_state_or_a_bad_mode() {
    let state = temp_state("missing");
    let out = ram(&state, &["--json", "serve", "--listen", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("StateNotFound"),
        "{out:?}"
    );
    let out = ram(&state, &["serve", "--enforcement", "lenient"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn serve_lists_the_actions_it_serves() {
    let state = temp_state("list");
    let out = ram(&state, &["serve", "--list-actions"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ram_actions = v["2015-05-01"].as_array().unwrap();
    assert!(ram_actions.iter().any(|a| a == "CreateUser"));
    assert!(
        v["2015-04-01"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "GetCallerIdentity")
    );
}
