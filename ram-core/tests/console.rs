//! Console authentication: password policy, login profiles, virtual MFA, logins, sessions.
//!
//! Passwords are hashed with `Argon2Params::INSECURE_FAST` to keep the suite fast; one test
//! uses the recommended cost.

use jiff::{SignedDuration, Timestamp};
use ram_core::authorizer::{Authorizer, Caller};
use ram_core::directory::mfa;
use ram_core::directory::{
    Argon2Params, Change, ConsoleSession, Directory, DirectoryError, LoginError, PasswordPolicy, PolicyTarget,
    SecurityPreference, SessionError,
};
use ram_core::{Decision, Request, RequestContext};

const FAST: Argon2Params = Argon2Params::INSECURE_FAST;
const PW: &str = "Correct-Horse-1";

fn t0() -> Timestamp {
    "2025-01-01T00:00:00Z".parse().unwrap()
}

fn at(seconds: i64) -> Timestamp {
    t0() + SignedDuration::from_secs(seconds)
}

fn dir() -> Directory {
    let mut d = Directory::new("123456789012").unwrap();
    d.apply_at(
        &[
            Change::CreateUser {
                name: "alice".into(),
                display_name: None,
            },
            Change::CreateUser {
                name: "bob".into(),
                display_name: None,
            },
        ],
        t0(),
    )
    .unwrap();
    d
}

fn apply(d: &mut Directory, changes: &[Change], now: Timestamp) -> Result<(), DirectoryError> {
    d.apply_at(changes, now).map(|_| ())
}

fn policy(d: &mut Directory, p: PasswordPolicy) {
    apply(d, &[Change::SetPasswordPolicy(p)], t0()).unwrap();
}

fn create_profile(d: &mut Directory, user: &str, password: &str, now: Timestamp) {
    let hash = d.hash_new_password(user, password, FAST).unwrap();
    apply(
        d,
        &[Change::CreateLoginProfile {
            user: user.into(),
            password_hash: hash,
            password_reset_required: false,
            mfa_bind_required: false,
        }],
        now,
    )
    .unwrap();
}

/// Logs in and applies the attempt's changes, as a caller must.
fn login(
    d: &mut Directory,
    user: &str,
    password: &str,
    code: Option<&str>,
    now: Timestamp,
) -> Result<ConsoleSession, LoginError> {
    let attempt = d.login(user, password, code, now);
    apply(d, &attempt.changes, now).expect("a login's changes apply");
    attempt.outcome
}

fn change_password(d: &mut Directory, user: &str, old: &str, new: &str, now: Timestamp) -> Result<(), LoginError> {
    let attempt = d.change_password(user, old, new, None, now, FAST);
    apply(d, &attempt.changes, now).expect("a password change's changes apply");
    attempt.outcome
}

fn code(e: &LoginError) -> String {
    e.code()
}

// ---------------------------------------------------------------- password policy

#[test]
fn password_policy_defaults_and_ram_field_names() {
    let p = PasswordPolicy::default();
    assert_eq!(p.minimum_password_length, 8);
    assert!(!p.require_lowercase_characters && !p.require_uppercase_characters);
    assert!(!p.require_numbers && !p.require_symbols && !p.hard_expiry);
    assert_eq!(
        (p.max_password_age, p.password_reuse_prevention, p.max_login_attempts),
        (0, 0, 0)
    );
    let json = serde_json::to_value(&p).unwrap();
    let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "HardExpiry",
            "MaxLoginAttemps",
            "MaxPasswordAge",
            "MinimumPasswordLength",
            "PasswordReusePrevention",
            "RequireLowercaseCharacters",
            "RequireNumbers",
            "RequireSymbols",
            "RequireUppercaseCharacters",
        ]
    );
    // Missing fields take their defaults.
    let back: PasswordPolicy = serde_json::from_str(r#"{"MaxLoginAttemps": 5}"#).unwrap();
    assert_eq!(
        back,
        PasswordPolicy {
            max_login_attempts: 5,
            ..PasswordPolicy::default()
        }
    );
    assert_eq!(dir().password_policy(), &PasswordPolicy::default());
}

#[test]
fn password_policy_ranges() {
    type Setter = fn(&mut PasswordPolicy, u32);
    let cases: [(Setter, u32, u32, &str); 4] = [
        (
            |p, v| p.minimum_password_length = v,
            8,
            32,
            "InvalidParameter.MinimumPasswordLength.Range",
        ),
        (
            |p, v| p.max_password_age = v,
            0,
            1095,
            "InvalidParameter.MaxPasswordAge.Range",
        ),
        (
            |p, v| p.password_reuse_prevention = v,
            0,
            24,
            "InvalidParameter.PasswordReusePrevention.Range",
        ),
        (
            |p, v| p.max_login_attempts = v,
            0,
            32,
            "InvalidParameter.MaxLoginAttemps.Range",
        ),
    ];
    for (set, min, max, err) in cases {
        let mut d = dir();
        for ok in [min, max] {
            let mut p = PasswordPolicy::default();
            set(&mut p, ok);
            apply(&mut d, &[Change::SetPasswordPolicy(p.clone())], t0()).unwrap();
            assert_eq!(d.password_policy(), &p);
        }
        let mut bad_values = vec![max + 1, u32::MAX];
        if min > 0 {
            bad_values.push(min - 1);
        }
        for bad in bad_values {
            let mut p = PasswordPolicy::default();
            set(&mut p, bad);
            let before = d.clone();
            let e = apply(&mut d, &[Change::SetPasswordPolicy(p)], t0()).unwrap_err();
            assert_eq!(e.code(), err, "value {bad}");
            assert!(e.to_string().contains(&bad.to_string()));
            assert_eq!(d, before, "a refused policy leaves no trace");
        }
    }
}

#[test]
fn every_password_rule_is_checked_and_named() {
    let rules: [(PasswordPolicy, &str, &str, &str); 5] = [
        (
            PasswordPolicy {
                minimum_password_length: 12,
                ..PasswordPolicy::default()
            },
            "elevenchars",
            "twelve chars",
            "at least 12 characters (MinimumPasswordLength)",
        ),
        (
            PasswordPolicy {
                require_lowercase_characters: true,
                ..PasswordPolicy::default()
            },
            "ALL-UPPER-1",
            "MOSTLY-UPPEr",
            "a lowercase letter (RequireLowercaseCharacters)",
        ),
        (
            PasswordPolicy {
                require_uppercase_characters: true,
                ..PasswordPolicy::default()
            },
            "all-lower-1",
            "mostly-loweR",
            "an uppercase letter (RequireUppercaseCharacters)",
        ),
        (
            PasswordPolicy {
                require_numbers: true,
                ..PasswordPolicy::default()
            },
            "no-digits-here",
            "one digit 7 here",
            "a digit (RequireNumbers)",
        ),
        (
            PasswordPolicy {
                require_symbols: true,
                ..PasswordPolicy::default()
            },
            "NoSymbols123",
            "OneSymbol123~",
            "a symbol (RequireSymbols)",
        ),
    ];
    for (p, weak, strong, rule) in rules {
        let e = p.check_password(weak).unwrap_err();
        assert_eq!(e.code(), "InvalidParameter.Password.TooWeak");
        let msg = e.to_string();
        assert!(msg.contains(rule), "{msg}");
        assert!(!msg.contains(weak), "the password leaked into {msg}");
        p.check_password(strong).unwrap();
    }
    // The default policy: 8 characters, nothing else.
    let default = PasswordPolicy::default();
    assert!(default.check_password("1234567").is_err());
    default.check_password("12345678").unwrap();
    // Length counts characters, not bytes.
    assert!(default.check_password("ééééééé").is_err());
    default.check_password("éééééééé").unwrap();
    // Every broken rule is listed at once.
    let all = PasswordPolicy {
        minimum_password_length: 32,
        require_lowercase_characters: true,
        require_uppercase_characters: true,
        require_numbers: true,
        require_symbols: true,
        ..PasswordPolicy::default()
    };
    let msg = all.check_password("        ").unwrap_err().to_string();
    for rule in [
        "MinimumPasswordLength",
        "RequireLowercaseCharacters",
        "RequireUppercaseCharacters",
        "RequireNumbers",
        "RequireSymbols",
    ] {
        assert!(msg.contains(rule), "{msg}");
    }
    all.check_password("Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!Aa1!").unwrap();
    // Outside any policy: a maximum length and no control characters.
    assert_eq!(
        default.check_password(&"a".repeat(129)).unwrap_err().code(),
        "InvalidParameter.Password.Length"
    );
    default.check_password(&"a".repeat(128)).unwrap();
    assert_eq!(
        default.check_password("pass\nword").unwrap_err().code(),
        "InvalidParameter.Password.InvalidChars"
    );
}

#[test]
fn hashing_checks_the_policy_first_and_uses_argon2id() {
    let mut d = dir();
    policy(
        &mut d,
        PasswordPolicy {
            minimum_password_length: 10,
            ..PasswordPolicy::default()
        },
    );
    assert_eq!(
        d.hash_new_password("alice", "short", FAST).unwrap_err().code(),
        "InvalidParameter.Password.TooWeak"
    );
    let err = Change::create_login_profile(&d, "alice", "short", false, false).unwrap_err();
    assert_eq!(err.code(), "InvalidParameter.Password.TooWeak");
    let h = d.hash_new_password("alice", "long enough", FAST).unwrap();
    assert!(h.starts_with("$argon2id$v=19$"));
    assert!(ram_core::directory::password::verify_password("long enough", &h));
}

#[test]
fn recommended_cost_hash_verifies() {
    // The one hash at the crate's recommended cost (19 MiB, t=2, p=1).
    let d = dir();
    let change = Change::create_login_profile(&d, "alice", PW, false, false).unwrap();
    let Change::CreateLoginProfile { password_hash, .. } = &change else {
        unreachable!()
    };
    assert!(password_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(!format!("{change:?}").contains(password_hash.as_str()));
    let mut d = d;
    apply(&mut d, &[change], t0()).unwrap();
    assert!(login(&mut d, "alice", PW, None, t0()).is_ok());
}

// ---------------------------------------------------------------- login profiles

#[test]
fn login_profile_lifecycle_and_codes() {
    let mut d = dir();
    create_profile(&mut d, "alice", PW, t0());
    let p = d.user("alice").unwrap().login_profile.as_ref().unwrap();
    assert_eq!(p.password_set_date, t0());
    assert!(!p.password_reset_required && !p.mfa_bind_required);

    let hash = d.hash_new_password("alice", "another pass", FAST).unwrap();
    let dup = Change::CreateLoginProfile {
        user: "alice".into(),
        password_hash: hash.clone(),
        password_reset_required: false,
        mfa_bind_required: false,
    };
    assert_eq!(
        apply(&mut d, &[dup], t0()).unwrap_err().code(),
        "EntityAlreadyExists.User.LoginProfile"
    );
    let nobody = Change::CreateLoginProfile {
        user: "carol".into(),
        password_hash: hash.clone(),
        password_reset_required: false,
        mfa_bind_required: false,
    };
    assert_eq!(
        apply(&mut d, &[nobody], t0()).unwrap_err().code(),
        "EntityNotExist.User"
    );
    for garbage in ["", "plain text", "$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"] {
        let e = apply(
            &mut d,
            &[Change::CreateLoginProfile {
                user: "bob".into(),
                password_hash: garbage.into(),
                password_reset_required: false,
                mfa_bind_required: false,
            }],
            t0(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "InvalidParameter.PasswordHash");
        if !garbage.is_empty() {
            assert!(!e.to_string().contains(garbage));
        }
    }

    // Update: flags alone, then a new password (resets its age).
    apply(
        &mut d,
        &[Change::UpdateLoginProfile {
            user: "alice".into(),
            password_hash: None,
            password_reset_required: Some(true),
            mfa_bind_required: Some(true),
        }],
        at(10),
    )
    .unwrap();
    let p = d.user("alice").unwrap().login_profile.clone().unwrap();
    assert!(p.password_reset_required && p.mfa_bind_required);
    assert_eq!(p.password_set_date, t0());
    apply(
        &mut d,
        &[Change::UpdateLoginProfile {
            user: "alice".into(),
            password_hash: Some(hash),
            password_reset_required: Some(false),
            mfa_bind_required: Some(false),
        }],
        at(20),
    )
    .unwrap();
    let p = d.user("alice").unwrap().login_profile.clone().unwrap();
    assert_eq!(p.password_set_date, at(20));
    assert_eq!(p.previous_password_hashes.len(), 1);
    assert!(login(&mut d, "alice", "another pass", None, at(30)).is_ok());

    let update_missing = Change::UpdateLoginProfile {
        user: "bob".into(),
        password_hash: None,
        password_reset_required: Some(true),
        mfa_bind_required: None,
    };
    assert_eq!(
        apply(&mut d, &[update_missing], t0()).unwrap_err().code(),
        "EntityNotExist.User.LoginProfile"
    );
    apply(&mut d, &[Change::DeleteLoginProfile { user: "alice".into() }], t0()).unwrap();
    assert!(d.user("alice").unwrap().login_profile.is_none());
    assert_eq!(
        apply(&mut d, &[Change::DeleteLoginProfile { user: "alice".into() }], t0())
            .unwrap_err()
            .code(),
        "EntityNotExist.User.LoginProfile"
    );
    assert_eq!(
        code(&login(&mut d, "alice", "another pass", None, t0()).unwrap_err()),
        "Login.InvalidCredentials"
    );
}

#[test]
fn forbid_password_with_access_keys_both_ways() {
    let mut d = dir();
    apply(
        &mut d,
        &[Change::SetSecurityPreference(SecurityPreference {
            forbid_password_with_access_keys: true,
            ..SecurityPreference::default()
        })],
        t0(),
    )
    .unwrap();
    // alice has a key: no password.
    apply(&mut d, &[Change::create_access_key("alice").unwrap()], t0()).unwrap();
    let hash = d.hash_new_password("alice", PW, FAST).unwrap();
    let e = apply(
        &mut d,
        &[Change::CreateLoginProfile {
            user: "alice".into(),
            password_hash: hash,
            password_reset_required: false,
            mfa_bind_required: false,
        }],
        t0(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "NotAllowed.User.PasswordWithAccessKey");
    // bob has a password: no key (the same code).
    create_profile(&mut d, "bob", PW, t0());
    let e = apply(&mut d, &[Change::create_access_key("bob").unwrap()], t0()).unwrap_err();
    assert_eq!(e.code(), "NotAllowed.User.PasswordWithAccessKey");
    // Off (the default): both allowed.
    apply(
        &mut d,
        &[Change::SetSecurityPreference(SecurityPreference::default())],
        t0(),
    )
    .unwrap();
    apply(&mut d, &[Change::create_access_key("bob").unwrap()], t0()).unwrap();
    create_profile(&mut d, "alice", PW, t0());
}

#[test]
fn login_session_duration_range() {
    let mut d = dir();
    for bad in [0, 25] {
        let e = apply(
            &mut d,
            &[Change::SetSecurityPreference(SecurityPreference {
                login_session_duration: bad,
                ..SecurityPreference::default()
            })],
            t0(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "InvalidParameter.LoginSessionDuration");
    }
    for ok in [1, 24] {
        apply(
            &mut d,
            &[Change::SetSecurityPreference(SecurityPreference {
                login_session_duration: ok,
                ..SecurityPreference::default()
            })],
            t0(),
        )
        .unwrap();
    }
}

// ---------------------------------------------------------------- passwords over time

#[test]
fn password_reuse_prevention() {
    let mut d = dir();
    policy(
        &mut d,
        PasswordPolicy {
            password_reuse_prevention: 2,
            ..PasswordPolicy::default()
        },
    );
    create_profile(&mut d, "alice", "password-one", t0());
    // The current password is one of the last two.
    let e = change_password(&mut d, "alice", "password-one", "password-one", at(1)).unwrap_err();
    assert_eq!(code(&e), "InvalidParameter.Password.Reused");
    assert!(!e.to_string().contains("password-one"));
    change_password(&mut d, "alice", "password-one", "password-two", at(2)).unwrap();
    // Last two: two (current), one.
    assert_eq!(
        code(&change_password(&mut d, "alice", "password-two", "password-one", at(3)).unwrap_err()),
        "InvalidParameter.Password.Reused"
    );
    change_password(&mut d, "alice", "password-two", "password-three", at(4)).unwrap();
    // Last two: three, two — one is allowed again.
    change_password(&mut d, "alice", "password-three", "password-one", at(5)).unwrap();
    // An administrator's reset obeys the same rule.
    let e = Change::update_login_profile(&d, "alice", Some("password-three"), None, None).unwrap_err();
    assert_eq!(e.code(), "InvalidParameter.Password.Reused");
    // Without the rule, the same password may be set again.
    policy(&mut d, PasswordPolicy::default());
    change_password(&mut d, "alice", "password-one", "password-one", at(6)).unwrap();
    // At most 23 earlier hashes are kept (24 with the current one, the rule's maximum).
    for i in 0..30 {
        let old = if i == 0 {
            "password-one".to_owned()
        } else {
            format!("password-{}", i - 1)
        };
        change_password(&mut d, "alice", &old, &format!("password-{i}"), at(10 + i)).unwrap();
    }
    let p = d.user("alice").unwrap().login_profile.as_ref().unwrap();
    assert_eq!(p.previous_password_hashes.len(), 23);
    policy(
        &mut d,
        PasswordPolicy {
            password_reuse_prevention: 24,
            ..PasswordPolicy::default()
        },
    );
    for reused in [29, 6] {
        assert!(
            d.hash_new_password("alice", &format!("password-{reused}"), FAST)
                .is_err()
        );
    }
    d.hash_new_password("alice", "password-5", FAST).unwrap();
}

#[test]
fn lockout_after_max_login_attempts_within_an_hour() {
    let mut d = dir();
    policy(
        &mut d,
        PasswordPolicy {
            max_login_attempts: 3,
            ..PasswordPolicy::default()
        },
    );
    create_profile(&mut d, "alice", PW, t0());
    for s in [0, 1] {
        assert_eq!(
            login(&mut d, "alice", "wrong", None, at(s)).unwrap_err(),
            LoginError::InvalidCredentials
        );
    }
    assert!(
        d.user("alice")
            .unwrap()
            .login_profile
            .as_ref()
            .unwrap()
            .locked_until
            .is_none()
    );
    // The third failure within the hour locks for one hour from that failure.
    login(&mut d, "alice", "wrong", None, at(2)).unwrap_err();
    let until = at(2) + SignedDuration::from_hours(1);
    assert_eq!(
        d.user("alice").unwrap().login_profile.as_ref().unwrap().locked_until,
        Some(until)
    );
    // Locked: even the right password is refused, and nothing is counted.
    let before = d.clone();
    let last_locked = until - SignedDuration::from_secs(1);
    let e = login(&mut d, "alice", PW, None, last_locked).unwrap_err();
    assert_eq!(e, LoginError::Locked { until });
    assert_eq!(e.code(), "Login.Locked");
    assert_eq!(d, before);
    let last_nanosecond = until - SignedDuration::from_nanos(1);
    assert!(matches!(
        login(&mut d, "alice", PW, None, last_nanosecond),
        Err(LoginError::Locked { .. })
    ));
    // Exactly one hour after: unlocked.
    let s = login(&mut d, "alice", PW, None, until).unwrap();
    assert_eq!(s.login_time, until);
    let p = d.user("alice").unwrap().login_profile.as_ref().unwrap();
    assert!(p.failed_attempts.is_empty());
    assert_eq!(d.user("alice").unwrap().last_login_date, Some(until));
}

#[test]
fn failures_older_than_an_hour_do_not_count() {
    let mut d = dir();
    policy(
        &mut d,
        PasswordPolicy {
            max_login_attempts: 2,
            ..PasswordPolicy::default()
        },
    );
    create_profile(&mut d, "alice", PW, t0());
    login(&mut d, "alice", "wrong", None, at(0)).unwrap_err();
    // Exactly an hour later the first failure has left the window.
    login(&mut d, "alice", "wrong", None, at(3600)).unwrap_err();
    let p = d.user("alice").unwrap().login_profile.as_ref().unwrap();
    assert_eq!((p.failed_attempts.len(), p.locked_until), (1, None));
    // One second short of an hour it still counts.
    login(&mut d, "alice", "wrong", None, at(7199)).unwrap_err();
    let p = d.user("alice").unwrap().login_profile.as_ref().unwrap();
    assert_eq!(p.locked_until, Some(at(7199 + 3600)));
}

#[test]
fn success_and_password_change_reset_the_counter() {
    let mut d = dir();
    policy(
        &mut d,
        PasswordPolicy {
            max_login_attempts: 2,
            ..PasswordPolicy::default()
        },
    );
    create_profile(&mut d, "alice", PW, t0());
    login(&mut d, "alice", "wrong", None, at(0)).unwrap_err();
    login(&mut d, "alice", PW, None, at(1)).unwrap();
    login(&mut d, "alice", "wrong", None, at(2)).unwrap_err();
    assert!(
        d.user("alice")
            .unwrap()
            .login_profile
            .as_ref()
            .unwrap()
            .locked_until
            .is_none()
    );
    // A lock ends when an administrator resets the password.
    login(&mut d, "alice", "wrong", None, at(3)).unwrap_err();
    assert!(matches!(
        login(&mut d, "alice", PW, None, at(4)),
        Err(LoginError::Locked { .. })
    ));
    let hash = d.hash_new_password("alice", "brand new pass", FAST).unwrap();
    apply(
        &mut d,
        &[Change::UpdateLoginProfile {
            user: "alice".into(),
            password_hash: Some(hash),
            password_reset_required: None,
            mfa_bind_required: None,
        }],
        at(5),
    )
    .unwrap();
    login(&mut d, "alice", "brand new pass", None, at(6)).unwrap();
}

#[test]
fn unlimited_attempts_never_lock() {
    let mut d = dir();
    create_profile(&mut d, "alice", PW, t0());
    for s in 0..40 {
        login(&mut d, "alice", "wrong", None, at(s)).unwrap_err();
    }
    let p = d.user("alice").unwrap().login_profile.as_ref().unwrap();
    assert!(p.locked_until.is_none());
    assert_eq!(p.failed_attempts.len(), 32, "the record is bounded");
    login(&mut d, "alice", PW, None, at(41)).unwrap();
}

#[test]
fn soft_expiry_requires_a_change() {
    let mut d = dir();
    policy(
        &mut d,
        PasswordPolicy {
            max_password_age: 1,
            ..PasswordPolicy::default()
        },
    );
    create_profile(&mut d, "alice", PW, t0());
    let day = 24 * 3600;
    login(&mut d, "alice", PW, None, at(day - 1)).unwrap();
    let e = login(&mut d, "alice", PW, None, at(day)).unwrap_err();
    assert_eq!(e, LoginError::PasswordResetRequired { expired: true });
    assert_eq!(e.code(), "Login.PasswordResetRequired");
    // A wrong password still says only that.
    assert_eq!(
        login(&mut d, "alice", "wrong", None, at(day)).unwrap_err(),
        LoginError::InvalidCredentials
    );
    change_password(&mut d, "alice", PW, "a new password", at(day + 1)).unwrap();
    let s = login(&mut d, "alice", "a new password", None, at(day + 2)).unwrap();
    assert_eq!(s.user_name, "alice");
    // The age restarts from the change.
    assert!(login(&mut d, "alice", "a new password", None, at(2 * day + 1)).is_err());
    // MaxPasswordAge 0 = never expires.
    policy(&mut d, PasswordPolicy::default());
    login(&mut d, "alice", "a new password", None, at(1000 * day)).unwrap();
}

#[test]
fn hard_expiry_blocks_until_an_administrator_resets() {
    let mut d = dir();
    policy(
        &mut d,
        PasswordPolicy {
            max_password_age: 90,
            hard_expiry: true,
            ..PasswordPolicy::default()
        },
    );
    create_profile(&mut d, "alice", PW, t0());
    let expiry = t0() + SignedDuration::from_hours(90 * 24);
    login(&mut d, "alice", PW, None, expiry - SignedDuration::from_secs(1)).unwrap();
    let e = login(&mut d, "alice", PW, None, expiry).unwrap_err();
    assert_eq!(e, LoginError::PasswordExpired { expired_at: expiry });
    assert_eq!(e.code(), "Login.PasswordExpired");
    // The user cannot change it.
    assert_eq!(
        change_password(&mut d, "alice", PW, "a new password", expiry).unwrap_err(),
        LoginError::PasswordExpired { expired_at: expiry }
    );
    // An administrator resets it.
    let hash = d.hash_new_password("alice", "reset by admin", FAST).unwrap();
    apply(
        &mut d,
        &[Change::UpdateLoginProfile {
            user: "alice".into(),
            password_hash: Some(hash),
            password_reset_required: None,
            mfa_bind_required: None,
        }],
        expiry,
    )
    .unwrap();
    login(&mut d, "alice", "reset by admin", None, expiry).unwrap();
}

#[test]
fn password_reset_required() {
    let mut d = dir();
    let hash = d.hash_new_password("alice", PW, FAST).unwrap();
    apply(
        &mut d,
        &[Change::CreateLoginProfile {
            user: "alice".into(),
            password_hash: hash,
            password_reset_required: true,
            mfa_bind_required: false,
        }],
        t0(),
    )
    .unwrap();
    assert_eq!(
        login(&mut d, "alice", PW, None, at(1)).unwrap_err(),
        LoginError::PasswordResetRequired { expired: false }
    );
    // The old password must be right.
    assert_eq!(
        change_password(&mut d, "alice", "wrong", "new password!", at(2)).unwrap_err(),
        LoginError::InvalidCredentials
    );
    assert_eq!(
        d.user("alice").unwrap().login_profile.as_ref().unwrap().failed_attempts,
        [at(2)],
        "a wrong old password counts as a failed attempt"
    );
    // The new one must pass the policy.
    let e = change_password(&mut d, "alice", PW, "short", at(3)).unwrap_err();
    assert_eq!(code(&e), "InvalidParameter.Password.TooWeak");
    change_password(&mut d, "alice", PW, "new password!", at(4)).unwrap();
    assert!(
        !d.user("alice")
            .unwrap()
            .login_profile
            .as_ref()
            .unwrap()
            .password_reset_required
    );
    login(&mut d, "alice", "new password!", None, at(5)).unwrap();
}

#[test]
fn no_user_enumeration() {
    let mut d = dir();
    create_profile(&mut d, "alice", PW, t0());
    let unknown = login(&mut d, "nobody", PW, None, t0()).unwrap_err();
    let no_profile = login(&mut d, "bob", PW, None, t0()).unwrap_err();
    let wrong = login(&mut d, "alice", "wrong", None, t0()).unwrap_err();
    assert_eq!(unknown, LoginError::InvalidCredentials);
    assert_eq!(no_profile, unknown);
    assert_eq!(wrong, unknown);
    assert_eq!(unknown.to_string(), wrong.to_string());
    assert!(unknown.is_authentication_failure());
    // Unknown users cause no changes; a wrong password is counted.
    assert!(d.login("nobody", PW, None, t0()).changes.is_empty());
    assert_eq!(d.login("alice", "wrong", None, t0()).changes.len(), 1);
}

// ---------------------------------------------------------------- MFA

fn with_device(d: &mut Directory, name: &str) -> (String, String) {
    let change = Change::create_virtual_mfa_device(name).unwrap();
    let Change::CreateVirtualMfaDevice { base32_string_seed, .. } = &change else {
        unreachable!()
    };
    let seed = base32_string_seed.clone();
    assert!(!format!("{change:?}").contains(&seed), "seed leaked into Debug");
    apply(d, &[change], t0()).unwrap();
    (d.mfa_serial(name), seed)
}

fn step_time(step: u64) -> Timestamp {
    Timestamp::from_second((step * mfa::STEP_SECONDS) as i64).unwrap()
}

fn bind(
    d: &mut Directory,
    user: &str,
    serial: &str,
    code1: &str,
    code2: &str,
    now: Timestamp,
) -> Result<(), DirectoryError> {
    apply(
        d,
        &[Change::BindMfaDevice {
            user: user.into(),
            serial: serial.into(),
            code1: code1.into(),
            code2: code2.into(),
        }],
        now,
    )
}

#[test]
fn virtual_mfa_device_create_and_delete() {
    let mut d = dir();
    let (serial, seed) = with_device(&mut d, "alice-phone");
    assert_eq!(serial, "acs:ram::123456789012:mfa/alice-phone");
    assert_eq!(seed.len(), 64);
    let device = d.mfa_device(&serial).unwrap();
    assert_eq!(device.base32_string_seed, seed);
    assert!(device.user_name.is_none());
    assert!(!format!("{d:?}").contains(&seed), "seed leaked into Debug");
    assert_eq!(
        apply(
            &mut d,
            &[Change::create_virtual_mfa_device("alice-phone").unwrap()],
            t0()
        )
        .unwrap_err()
        .code(),
        "EntityAlreadyExists.VirtualMFADevice"
    );
    assert_eq!(
        apply(&mut d, &[Change::create_virtual_mfa_device("bad name").unwrap()], t0())
            .unwrap_err()
            .code(),
        "InvalidParameter.VirtualMFADeviceName"
    );
    let bad_seed = Change::CreateVirtualMfaDevice {
        name: "x".into(),
        base32_string_seed: "NOT-BASE32".into(),
    };
    let e = apply(&mut d, &[bad_seed], t0()).unwrap_err();
    assert_eq!(e.code(), "InvalidParameter.Base32StringSeed");
    assert!(!e.to_string().contains("NOT-BASE32"));
    apply(
        &mut d,
        &[Change::DeleteVirtualMfaDevice { serial: serial.clone() }],
        t0(),
    )
    .unwrap();
    assert_eq!(
        apply(&mut d, &[Change::DeleteVirtualMfaDevice { serial }], t0())
            .unwrap_err()
            .code(),
        "EntityNotExist.VirtualMFADevice"
    );
    // Quota.
    let mut d = Directory::new("123456789012")
        .unwrap()
        .with_quotas(ram_core::directory::Quotas {
            virtual_mfa_devices: 1,
            ..Default::default()
        });
    with_device(&mut d, "one");
    assert_eq!(
        apply(&mut d, &[Change::create_virtual_mfa_device("two").unwrap()], t0())
            .unwrap_err()
            .code(),
        "LimitExceeded.VirtualMFADevice"
    );
}

#[test]
fn binding_needs_two_consecutive_codes() {
    let mut d = dir();
    let (serial, seed) = with_device(&mut d, "phone");
    let n = 58_000_000; // a step well after the epoch
    let now = step_time(n) + SignedDuration::from_secs(7);
    let c = |s: u64| mfa::code_for_step(&seed, s).unwrap();
    let refused = |d: &mut Directory, c1: &str, c2: &str| bind(d, "alice", &serial, c1, c2, now).unwrap_err().code();
    // Not consecutive, reversed, the same code twice, outside the window.
    assert_eq!(refused(&mut d, &c(n - 2), &c(n)), "CheckAuthenticationCodeFail");
    assert_eq!(refused(&mut d, &c(n), &c(n - 1)), "CheckAuthenticationCodeFail");
    assert_eq!(refused(&mut d, &c(n), &c(n)), "CheckAuthenticationCodeFail");
    assert_eq!(refused(&mut d, &c(n - 3), &c(n - 2)), "CheckAuthenticationCodeFail");
    assert_eq!(refused(&mut d, &c(n + 1), &c(n + 2)), "CheckAuthenticationCodeFail");
    // Format: exactly six digits.
    assert_eq!(
        refused(&mut d, "12345", &c(n)),
        "InvalidParameter.AuthenticationCode.Format"
    );
    assert_eq!(
        refused(&mut d, &c(n - 1), "1234567"),
        "InvalidParameter.AuthenticationCode.Format"
    );
    assert_eq!(
        refused(&mut d, "abcdef", &c(n)),
        "InvalidParameter.AuthenticationCode.Format"
    );
    assert!(d.user("alice").unwrap().mfa_device.is_none());
    // Consecutive codes whose second is within the window of now: previous+current,
    // current+next, or the two before.
    for (c1, c2) in [(n - 1, n), (n, n + 1), (n - 2, n - 1)] {
        let mut d2 = d.clone();
        bind(&mut d2, "alice", &serial, &c(c1), &c(c2), now).unwrap();
        assert_eq!(d2.mfa_device(&serial).unwrap().last_used_step, Some(c2));
    }
    bind(&mut d, "alice", &serial, &c(n - 1), &c(n), now).unwrap();
    let device = d.mfa_device(&serial).unwrap();
    assert_eq!(device.user_name.as_deref(), Some("alice"));
    assert_eq!(device.enable_date, Some(now));
    assert_eq!(d.user("alice").unwrap().mfa_device.as_deref(), Some(serial.as_str()));

    // One device per user, one user per device.
    let (other, other_seed) = with_device(&mut d, "spare");
    let oc = |s: u64| mfa::code_for_step(&other_seed, s).unwrap();
    assert_eq!(
        bind(&mut d, "alice", &other, &oc(n), &oc(n + 1), now)
            .unwrap_err()
            .code(),
        "EntityAlreadyExists.User.MFADevice"
    );
    assert_eq!(
        bind(&mut d, "bob", &serial, &c(n), &c(n + 1), now).unwrap_err().code(),
        "EntityAlreadyExists.VirtualMFADevice.User"
    );
    assert_eq!(
        bind(&mut d, "bob", "acs:ram::123456789012:mfa/none", &c(n), &c(n + 1), now)
            .unwrap_err()
            .code(),
        "EntityNotExist.VirtualMFADevice"
    );
    // A bound device cannot be deleted.
    assert_eq!(
        apply(
            &mut d,
            &[Change::DeleteVirtualMfaDevice { serial: serial.clone() }],
            now
        )
        .unwrap_err()
        .code(),
        "DeleteConflict.VirtualMFADevice.User"
    );
    apply(&mut d, &[Change::UnbindMfaDevice { user: "alice".into() }], now).unwrap();
    assert!(d.user("alice").unwrap().mfa_device.is_none());
    assert!(d.mfa_device(&serial).unwrap().user_name.is_none());
    assert_eq!(
        apply(&mut d, &[Change::UnbindMfaDevice { user: "alice".into() }], now)
            .unwrap_err()
            .code(),
        "EntityNotExist.User.MFADevice"
    );
    // The codes used to bind cannot bind again (the last used step stays).
    assert_eq!(
        bind(&mut d, "bob", &serial, &c(n - 1), &c(n), now).unwrap_err().code(),
        "CheckAuthenticationCodeFail"
    );
    let later = step_time(n + 2);
    bind(&mut d, "bob", &serial, &c(n + 1), &c(n + 2), later).unwrap();
    apply(&mut d, &[Change::UnbindMfaDevice { user: "bob".into() }], later).unwrap();
    apply(&mut d, &[Change::DeleteVirtualMfaDevice { serial }], later).unwrap();
}

/// alice with a bound device at step `n`; returns the seed.
fn alice_with_mfa(d: &mut Directory, n: u64) -> String {
    create_profile(d, "alice", PW, t0());
    let (serial, seed) = with_device(d, "phone");
    let c = |s: u64| mfa::code_for_step(&seed, s).unwrap();
    bind(d, "alice", &serial, &c(n - 1), &c(n), step_time(n)).unwrap();
    seed
}

#[test]
fn login_with_mfa_and_replay() {
    let mut d = dir();
    let n = 58_000_000;
    let seed = alice_with_mfa(&mut d, n);
    let c = |s: u64| mfa::code_for_step(&seed, s).unwrap();
    let now = step_time(n + 1) + SignedDuration::from_secs(3);
    // A code is required.
    let e = login(&mut d, "alice", PW, None, now).unwrap_err();
    assert_eq!(e, LoginError::MfaCodeRequired);
    assert_eq!(e.code(), "Login.MFACodeRequired");
    assert_eq!(
        login(&mut d, "alice", PW, Some("12a456"), now).unwrap_err().code(),
        "InvalidParameter.AuthenticationCode.Format"
    );
    // The binding's codes were consumed.
    assert_eq!(
        login(&mut d, "alice", PW, Some(&c(n)), now).unwrap_err(),
        LoginError::InvalidMfaCode
    );
    // A wrong password with a good code: the password error, and the code is not consumed.
    assert_eq!(
        login(&mut d, "alice", "wrong", Some(&c(n + 1)), now).unwrap_err(),
        LoginError::InvalidCredentials
    );
    let s = login(&mut d, "alice", PW, Some(&c(n + 1)), now).unwrap();
    assert!(s.mfa_present);
    assert_eq!(s.user_name, "alice");
    let serial = d.user("alice").unwrap().mfa_device.clone().unwrap();
    assert_eq!(d.mfa_device(&serial).unwrap().last_used_step, Some(n + 1));
    // Replaying the same code within its window fails, and counts as a failure.
    let e = login(
        &mut d,
        "alice",
        PW,
        Some(&c(n + 1)),
        now + SignedDuration::from_secs(20),
    )
    .unwrap_err();
    assert_eq!(e, LoginError::InvalidMfaCode);
    assert_eq!(e.code(), "CheckAuthenticationCodeFail");
    assert_eq!(
        d.user("alice")
            .unwrap()
            .login_profile
            .as_ref()
            .unwrap()
            .failed_attempts
            .len(),
        1
    );
    // An older code of the window is refused too; the next one works.
    let later = step_time(n + 2);
    assert!(login(&mut d, "alice", PW, Some(&c(n + 1)), later).is_err());
    assert!(login(&mut d, "alice", PW, Some(&c(n + 2)), later).unwrap().mfa_present);
}

#[test]
fn concurrent_logins_with_one_code_race_at_apply() {
    let mut d = dir();
    let n = 58_000_000;
    let seed = alice_with_mfa(&mut d, n);
    let code = mfa::code_for_step(&seed, n + 1).unwrap();
    let now = step_time(n + 1);
    // Both attempts read the same directory.
    let a = d.login("alice", PW, Some(&code), now);
    let b = d.login("alice", PW, Some(&code), now);
    assert!(a.outcome.is_ok() && b.outcome.is_ok());
    apply(&mut d, &a.changes, now).unwrap();
    let before = d.clone();
    let e = apply(&mut d, &b.changes, now).unwrap_err();
    assert_eq!(e.code(), "CheckAuthenticationCodeFail");
    assert_eq!(d, before, "the losing attempt leaves no trace");
}

#[test]
fn wrong_mfa_codes_count_towards_the_lock() {
    let mut d = dir();
    policy(
        &mut d,
        PasswordPolicy {
            max_login_attempts: 2,
            ..PasswordPolicy::default()
        },
    );
    let n = 58_000_000;
    let seed = alice_with_mfa(&mut d, n);
    let now = step_time(n + 5);
    let wrong = if mfa::code_for_step(&seed, n + 5).unwrap() == "000000" {
        "111111"
    } else {
        "000000"
    };
    for s in 0..2 {
        login(&mut d, "alice", PW, Some(wrong), now + SignedDuration::from_secs(s)).unwrap_err();
    }
    let good = mfa::code_for_step(&seed, n + 5).unwrap();
    assert!(matches!(
        login(&mut d, "alice", PW, Some(&good), now + SignedDuration::from_secs(2)),
        Err(LoginError::Locked { .. })
    ));
}

#[test]
fn mfa_bind_required() {
    let mut d = dir();
    let hash = d.hash_new_password("alice", PW, FAST).unwrap();
    apply(
        &mut d,
        &[Change::CreateLoginProfile {
            user: "alice".into(),
            password_hash: hash,
            password_reset_required: false,
            mfa_bind_required: true,
        }],
        t0(),
    )
    .unwrap();
    let e = login(&mut d, "alice", PW, None, t0()).unwrap_err();
    assert_eq!(e, LoginError::MfaBindRequired);
    assert_eq!(e.code(), "Login.MFABindRequired");
    let (serial, seed) = with_device(&mut d, "phone");
    let n = 58_000_000;
    let c = |s: u64| mfa::code_for_step(&seed, s).unwrap();
    bind(&mut d, "alice", &serial, &c(n - 1), &c(n), step_time(n)).unwrap();
    let s = login(&mut d, "alice", PW, Some(&c(n + 1)), step_time(n + 1)).unwrap();
    assert!(s.mfa_present);
}

// ---------------------------------------------------------------- sessions and acs:MFAPresent

const MFA_ONLY: &str = r#"{"Version":"1","Statement":[
  {"Effect":"Allow","Action":"ecs:*","Resource":"*"},
  {"Effect":"Deny","Action":"ecs:Delete*","Resource":"*","Condition":{"Bool":{"acs:MFAPresent":"false"}}}
]}"#;

#[test]
fn console_sessions_carry_mfa_present() {
    let mut d = dir();
    let n = 58_000_000;
    let seed = alice_with_mfa(&mut d, n);
    create_profile(&mut d, "bob", PW, t0());
    apply(
        &mut d,
        &[
            Change::CreatePolicy {
                name: "EcsMfaDelete".into(),
                document: MFA_ONLY.into(),
                description: String::new(),
            },
            Change::AttachPolicy {
                target: PolicyTarget::User("alice".into()),
                policy_type: None,
                policy: "EcsMfaDelete".into(),
            },
            Change::AttachPolicy {
                target: PolicyTarget::User("bob".into()),
                policy_type: None,
                policy: "EcsMfaDelete".into(),
            },
        ],
        t0(),
    )
    .unwrap();
    let auth = Authorizer::new(d);
    let now = step_time(n + 1);
    let log_in = |user: &str, code: Option<&str>| {
        let attempt = auth.snapshot().directory().login(user, PW, code, now);
        auth.apply_at(&attempt.changes, now, |_, _| Ok(())).unwrap();
        attempt.outcome.unwrap()
    };
    let code = mfa::code_for_step(&seed, n + 1).unwrap();
    let alice = log_in("alice", Some(&code));
    let bob = log_in("bob", None);
    assert!(alice.mfa_present && !bob.mfa_present);
    let res = "acs:ecs:*:123456789012:instance/i-1";
    let check = |s: &ConsoleSession, claimed: Option<bool>| {
        let mut ctx = RequestContext::new();
        if let Some(c) = claimed {
            ctx.set("acs:MFAPresent", [c.to_string()]);
        }
        s.add_to_context(&mut ctx);
        auth.check(&s.caller(), &Request::new("ecs:DeleteInstance", res, &ctx))
            .unwrap()
    };
    assert_eq!(check(&alice, None), Decision::Allow);
    assert_eq!(check(&bob, None), Decision::ExplicitDeny);
    // A request cannot claim MFA the session did not have.
    assert_eq!(check(&bob, Some(true)), Decision::ExplicitDeny);
    assert_eq!(check(&alice, Some(false)), Decision::Allow);
    let ctx = alice.context();
    assert_eq!(ctx.get("acs:MFAPresent").unwrap()[0].raw(), "true");
    assert_eq!(bob.context().get("acs:MFAPresent").unwrap()[0].raw(), "false");
    let stop = Request::new("ecs:StopInstance", res, &ctx);
    assert_eq!(auth.check(&Caller::user("bob"), &stop).unwrap(), Decision::Allow);
}

#[test]
fn console_session_tokens() {
    let mut d = dir();
    create_profile(&mut d, "alice", PW, t0());
    let key_of = |d: &Directory| serde_json::to_value(d).unwrap().get("ConsoleSessionKey").cloned();
    assert!(key_of(&d).is_none(), "no key before the first login");
    let s = login(&mut d, "alice", PW, None, at(0)).unwrap();
    assert_eq!(s.expiration, at(6 * 3600), "LoginSessionDuration defaults to 6 hours");
    assert_eq!(s.account_id, "123456789012");
    let token = s.to_token(&d).unwrap();
    assert!(token.starts_with("RAMCS1."));
    assert_eq!(d.verify_console_session(&token, at(1)).unwrap(), s);
    // The key was drawn once; a second login keeps it.
    let key = key_of(&d).unwrap();
    let s2 = login(&mut d, "alice", PW, None, at(2)).unwrap();
    assert_eq!(d.verify_console_session(&s2.to_token(&d).unwrap(), at(3)).unwrap(), s2);
    assert_eq!(d.verify_console_session(&token, at(3)).unwrap(), s);
    assert_eq!(key_of(&d).unwrap(), key);

    // Expiry is exclusive.
    let last = s.expiration - SignedDuration::from_nanos(1);
    d.verify_console_session(&token, last).unwrap();
    assert_eq!(
        d.verify_console_session(&token, s.expiration).unwrap_err(),
        SessionError::Expired(s.expiration)
    );
    // Tampering.
    let forged = ConsoleSession {
        mfa_present: true,
        ..s.clone()
    };
    let mut other = dir();
    create_profile(&mut other, "alice", PW, t0());
    login(&mut other, "alice", PW, None, at(0)).unwrap();
    let forged_token = forged.to_token(&other).unwrap();
    let e = d.verify_console_session(&forged_token, at(1)).unwrap_err();
    assert_eq!(e, SessionError::Signature);
    assert_eq!(e.code(), "InvalidConsoleSession.Signature");
    let (head, _) = token.rsplit_once('.').unwrap();
    let (_, forged_tag) = forged_token.rsplit_once('.').unwrap();
    assert_eq!(
        d.verify_console_session(&format!("{head}.{forged_tag}"), at(1))
            .unwrap_err(),
        SessionError::Signature
    );
    for junk in ["", "RAMCS1.", "RAMCS1.a.b", "nonsense", "RAMCS1.!!!.???"] {
        assert!(d.verify_console_session(junk, at(1)).is_err(), "{junk}");
    }
    // A password change ends earlier sessions.
    change_password(&mut d, "alice", PW, "changed password", at(10)).unwrap();
    assert_eq!(
        d.verify_console_session(&token, at(11)).unwrap_err(),
        SessionError::Revoked
    );
    let s3 = login(&mut d, "alice", "changed password", None, at(12)).unwrap();
    let t3 = s3.to_token(&d).unwrap();
    d.verify_console_session(&t3, at(13)).unwrap();
    // Rotating the key ends every session.
    let mut rotated = d.clone();
    apply(&mut rotated, &[Change::rotate_console_session_key().unwrap()], at(14)).unwrap();
    assert_eq!(
        rotated.verify_console_session(&t3, at(15)).unwrap_err(),
        SessionError::Signature
    );
    // Deleting the login profile or the user ends them too.
    apply(
        &mut d,
        &[Change::DeleteUser {
            name: "alice".into(),
            cascade: true,
        }],
        at(16),
    )
    .unwrap();
    assert_eq!(
        d.verify_console_session(&t3, at(17)).unwrap_err(),
        SessionError::Revoked
    );
}

#[test]
fn session_duration_follows_the_security_preference() {
    let mut d = dir();
    apply(
        &mut d,
        &[Change::SetSecurityPreference(SecurityPreference {
            login_session_duration: 1,
            ..SecurityPreference::default()
        })],
        t0(),
    )
    .unwrap();
    create_profile(&mut d, "alice", PW, t0());
    let s = login(&mut d, "alice", PW, None, at(100)).unwrap();
    assert_eq!(s.expiration, at(3700));
}

// ---------------------------------------------------------------- deletes, state, secrets

#[test]
fn delete_user_conflicts_and_cascade() {
    let mut d = dir();
    create_profile(&mut d, "alice", PW, t0());
    let del = |cascade| Change::DeleteUser {
        name: "alice".into(),
        cascade,
    };
    assert_eq!(
        apply(&mut d, &[del(false)], t0()).unwrap_err().code(),
        "DeleteConflict.User.LoginProfile"
    );
    let (serial, seed) = with_device(&mut d, "phone");
    let n = 58_000_000;
    let c = |s: u64| mfa::code_for_step(&seed, s).unwrap();
    bind(&mut d, "alice", &serial, &c(n - 1), &c(n), step_time(n)).unwrap();
    apply(&mut d, &[Change::DeleteLoginProfile { user: "alice".into() }], t0()).unwrap();
    assert_eq!(
        apply(&mut d, &[del(false)], t0()).unwrap_err().code(),
        "DeleteConflict.User.MFADevice"
    );
    create_profile(&mut d, "alice", PW, t0());
    apply(&mut d, &[del(true)], t0()).unwrap();
    assert!(d.user("alice").is_none());
    let device = d.mfa_device(&serial).unwrap();
    assert!(device.user_name.is_none(), "the device is unbound, not deleted");
    assert_eq!(device.last_used_step, Some(n), "its used codes stay used");
    apply(&mut d, &[Change::DeleteVirtualMfaDevice { serial }], t0()).unwrap();
}

#[test]
fn state_round_trips_and_keeps_secrets_out_of_debug() {
    let mut d = dir();
    policy(
        &mut d,
        PasswordPolicy {
            minimum_password_length: 10,
            max_login_attempts: 5,
            hard_expiry: true,
            ..PasswordPolicy::default()
        },
    );
    create_profile(&mut d, "alice", PW, t0());
    let (serial, seed) = with_device(&mut d, "phone");
    let n = 58_000_000;
    let c1 = mfa::code_for_step(&seed, n - 1).unwrap();
    let c2 = mfa::code_for_step(&seed, n).unwrap();
    bind(&mut d, "alice", &serial, &c1, &c2, step_time(n)).unwrap();
    let code = mfa::code_for_step(&seed, n + 1).unwrap();
    let session = login(&mut d, "alice", PW, Some(&code), step_time(n + 1)).unwrap();
    let token = session.to_token(&d).unwrap();

    let text = serde_json::to_string_pretty(&d).unwrap();
    for field in [
        "\"PasswordPolicy\"",
        "\"MaxLoginAttemps\": 5",
        "\"LoginProfile\"",
        "\"VirtualMFADevices\"",
        "\"ConsoleSessionKey\"",
        "\"LastLoginDate\"",
    ] {
        assert!(text.contains(field), "{field} missing from the state");
    }
    let back: Directory = serde_json::from_str(&text).unwrap();
    assert_eq!(back, d);
    assert_eq!(back.verify_console_session(&token, step_time(n + 2)).unwrap(), session);
    // Older state files without the new fields load with the defaults.
    let mut old: serde_json::Value = serde_json::from_str(&text).unwrap();
    let map = old.as_object_mut().unwrap();
    map.remove("PasswordPolicy");
    map.remove("ConsoleSessionKey");
    let old: Directory = serde_json::from_value(old).unwrap();
    assert_eq!(old.password_policy(), &PasswordPolicy::default());

    let hash = d
        .user("alice")
        .unwrap()
        .login_profile
        .as_ref()
        .unwrap()
        .password_hash
        .clone();
    let key = serde_json::to_value(&d).unwrap()["ConsoleSessionKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let debug = format!("{d:?}");
    for secret in [hash.as_str(), seed.as_str(), key.as_str()] {
        assert!(!debug.contains(secret), "a secret leaked into the directory's Debug");
    }
    let changes = [
        Change::CreateLoginProfile {
            user: "bob".into(),
            password_hash: hash.clone(),
            password_reset_required: false,
            mfa_bind_required: false,
        },
        Change::ChangePassword {
            user: "bob".into(),
            password_hash: hash.clone(),
        },
        Change::UpdateLoginProfile {
            user: "bob".into(),
            password_hash: Some(hash.clone()),
            password_reset_required: None,
            mfa_bind_required: None,
        },
        Change::CreateVirtualMfaDevice {
            name: "x".into(),
            base32_string_seed: seed.clone(),
        },
        Change::BindMfaDevice {
            user: "bob".into(),
            serial: serial.clone(),
            code1: c1.clone(),
            code2: c2.clone(),
        },
    ];
    for change in &changes {
        let debug = format!("{change:?}");
        for secret in [hash.as_str(), seed.as_str(), c1.as_str(), c2.as_str()] {
            assert!(!debug.contains(secret), "a secret leaked into {debug}");
        }
        assert!(debug.contains("<redacted>"));
    }
    // A login attempt's Debug holds no password, and its errors name none.
    let attempt = d.login("alice", "hunter2-secret", Some("123456"), step_time(n + 2));
    let debug = format!("{attempt:?}");
    assert!(!debug.contains("hunter2-secret") && !debug.contains("123456"));
}

#[test]
fn rfc6238_sha1_test_vectors() {
    // Seed "12345678901234567890" in base32.
    let seed = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    for (time, expected) in [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ] {
        assert_eq!(mfa::code_with_digits(seed, time, 8).unwrap(), expected);
        let now = Timestamp::from_second(time as i64).unwrap();
        assert_eq!(mfa::code_at(seed, now).unwrap(), expected[2..]);
    }
}
