//! Console logins with MFA through a state file: the consumed TOTP step is persisted, so a
//! code accepted by one process is refused by the next one that loads the same state, and a
//! session cookie issued by one verifies in the other with `acs:MFAPresent` = true.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use parking_lot::Mutex;
use ram_core::authorizer::Authorizer;
use ram_core::directory::{Argon2Params, Change, Directory, mfa};
use ram_core::store::{FileStore, Store};
use ram_core::{RequestContext, RequireContext};
use ram_web::session::ConsoleLogin;
use ram_web::{Principal, RamContext, RamHandle, RequestInfo};

const PASSWORD: &str = "Correct-horse-1";

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir() -> TempDir {
    let dir = std::env::temp_dir().join(format!("ram-web-session-{}", ram_web::new_request_id()));
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// alice with a password and a bound virtual MFA device, as of `t`; the seed.
fn directory(t: Timestamp) -> (Directory, String) {
    let mut dir = Directory::new("123456789012").unwrap();
    let seed = mfa::new_seed().unwrap();
    let step = mfa::step_of(t);
    let hash = dir
        .hash_new_password("alice", PASSWORD, Argon2Params::INSECURE_FAST)
        .unwrap();
    dir.apply_at(
        &[
            Change::CreateUser {
                name: "alice".into(),
                display_name: None,
            },
            Change::CreateLoginProfile {
                user: "alice".into(),
                password_hash: hash,
                password_reset_required: false,
                mfa_bind_required: false,
            },
            Change::CreateVirtualMfaDevice {
                name: "alice".into(),
                base32_string_seed: seed.clone(),
            },
            Change::BindMfaDevice {
                user: "alice".into(),
                serial: dir.mfa_serial("alice"),
                code1: mfa::code_for_step(&seed, step - 1).unwrap(),
                code2: mfa::code_for_step(&seed, step).unwrap(),
            },
        ],
        t,
    )
    .unwrap();
    (dir, seed)
}

fn info(t: Timestamp) -> RequestInfo {
    RequestInfo {
        client_ip: Some("192.0.2.1".parse().unwrap()),
        secure_transport: true,
        received_at: t,
        request_id: ram_web::new_request_id(),
        host_id: "ram".into(),
    }
}

#[test]
fn mfa_code_is_not_replayable_across_processes() {
    let tmp = temp_dir();
    let path = tmp.0.join("state.json");
    let t0: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
    let t1 = t0 + SignedDuration::from_secs(60);
    let (dir, seed) = directory(t0);
    let code = mfa::code_at(&seed, t1).unwrap();

    // Process 1 logs alice in with the code.
    let token = {
        let store = FileStore::create(&path, &dir).unwrap();
        let auth = Arc::new(Authorizer::new(dir));
        let login = ConsoleLogin::new(auth).with_store(Arc::new(Mutex::new(store)));
        let (session, token) = login.login("alice", PASSWORD, Some(&code), t1).unwrap();
        assert!(session.mfa_present);
        // The same code again in the same process: used.
        let again = login.login("alice", PASSWORD, Some(&code), t1).unwrap_err();
        assert_eq!(again.code(), "CheckAuthenticationCodeFail");
        token
    }; // the store's lock is released here, as when a process exits

    // Process 2 loads the state file: the code is still used, the session still valid.
    let mut store = FileStore::open(&path).unwrap();
    let state = store.load().unwrap();
    let auth = Arc::new(Authorizer::new(state.directory));
    let login = ConsoleLogin::new(auth.clone()).with_store(Arc::new(Mutex::new(store)));
    let replay = login.login("alice", PASSWORD, Some(&code), t1).unwrap_err();
    assert_eq!((replay.status(), replay.code()), (401, "CheckAuthenticationCodeFail"));

    let session = auth.snapshot().directory().verify_console_session(&token, t1).unwrap();
    let ctx = RamContext::new(
        RamHandle::new(auth.clone()),
        info(t1),
        Some(Principal::Console(session)),
    );
    let keys: &RequestContext = ctx.request_context();
    assert_eq!(keys.get("acs:MFAPresent").unwrap()[0].boolean(), Some(true));
    assert!(ctx.mfa_present());

    // A later code works.
    let t2 = t1 + SignedDuration::from_secs(60);
    let later = mfa::code_at(&seed, t2).unwrap();
    assert!(login.login("alice", PASSWORD, Some(&later), t2).is_ok());
}

#[test]
fn login_errors_have_statuses_and_no_secrets() {
    let t0: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
    let (dir, _) = directory(t0);
    let login = ConsoleLogin::new(Arc::new(Authorizer::new(dir)));
    let e = login.login("alice", PASSWORD, None, t0).unwrap_err();
    assert_eq!((e.status(), e.code()), (401, "Login.MFACodeRequired"));
    let e = login.login("alice", PASSWORD, Some("12x"), t0).unwrap_err();
    assert_eq!(
        (e.status(), e.code()),
        (400, "InvalidParameter.AuthenticationCode.Format")
    );
    let e = login.login("alice", "wrong", Some("123456"), t0).unwrap_err();
    assert_eq!((e.status(), e.code()), (401, "Login.InvalidCredentials"));
    assert!(!e.message().contains("wrong") && !e.to_json("h").contains("wrong"));
}

#[test]
fn prefixed_cookie_names_are_always_secure() {
    let auth = Arc::new(Authorizer::new(Directory::new("123456789012").unwrap()));
    auth.apply(&[Change::CreateUser {
        name: "alice".into(),
        display_name: None,
    }])
    .unwrap();
    let hash = auth
        .snapshot()
        .directory()
        .hash_new_password("alice", PASSWORD, Argon2Params::INSECURE_FAST)
        .unwrap();
    auth.apply(&[Change::CreateLoginProfile {
        user: "alice".into(),
        password_hash: hash,
        password_reset_required: false,
        mfa_bind_required: false,
    }])
    .unwrap();
    let now = Timestamp::now();
    let login = ConsoleLogin::new(auth.clone()).secure(false);
    let (session, token) = login.login("alice", PASSWORD, None, now).unwrap();
    let cookie = |name: &str| login.clone().cookie_name(name).set_cookie(&token, &session, now);
    assert!(!cookie("ram_console").contains("Secure"));
    for name in ["__Host-ram_console", "__Secure-ram_console"] {
        let c = cookie(name);
        assert!(c.starts_with(&format!("{name}=RAMCS1.")), "{c}");
        assert!(
            c.ends_with("; Secure") && c.contains("; Path=/;") && !c.contains("Domain"),
            "{c}"
        );
    }
}
