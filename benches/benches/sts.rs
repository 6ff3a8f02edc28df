//! STS tokens (`ram-sts`): minting and verifying a security token in HMAC-SHA256 and
//! Ed25519 modes, a repeat verification served by the cache, and the whole paths a server
//! runs (AssumeRole; authenticate a session and decide one request).
//!
//! - `mint/*`: `Verifier::mint`: encode the claims, sign, derive the AccessKeySecret.
//! - `verify/*`: `Verifier::verify_uncached`: decode (canonical base64url), check the
//!   signature, read the claims, check the times and the AccessKeyId.
//! - `verify_cached/*`: `Verifier::verify` of a token verified before: one lookup in the
//!   bounded cache, then the time and AccessKeyId checks.
//! - `assume_role/*`: `Sts::assume_role` for a user with `AliyunSTSAssumeRoleAccess` and a
//!   role that trusts the account (authenticate, validate, both policy sides, mint).
//! - `check_cached/*`: `Sts::check` with a cached token: verify, session liveness, decide.
//!
//! The token carries a 102-character session policy, as a narrowed session would.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use ram_core::authorizer::Authorizer;
use ram_core::directory::{Change, Directory, PolicyTarget};
use ram_core::{Request, RequestContext};
use ram_sts::key::{Algorithm, KeyRing};
use ram_sts::token::Claims;
use ram_sts::{AssumeRoleRequest, Sts, StsCaller, Verifier};

const ACCOUNT: &str = "123456789012";
const POLICY: &str =
    r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get*","Resource":"acs:oss:*:*:bucket/*"}]}"#;

fn now() -> Timestamp {
    "2025-01-01T00:00:00Z".parse().unwrap()
}

fn claims() -> Claims {
    Claims {
        token_id: [0x42; 16],
        account_id: ACCOUNT.into(),
        role_name: "ops".into(),
        role_id: "300000000000000007".into(),
        session_name: "alice-session".into(),
        issued: now(),
        duration_seconds: 3_600,
        trust_digest: [7; 8],
        source_identity: format!("acs:ram::{ACCOUNT}:user/alice"),
        session_policy: Some(POLICY.into()),
    }
}

fn sts(alg: Algorithm) -> Sts {
    let auth = Arc::new(Authorizer::new(Directory::new(ACCOUNT).unwrap()));
    let trust = format!(
        r#"{{"Version":"1","Statement":[{{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{{"RAM":"acs:ram::{ACCOUNT}:root"}}}}]}}"#
    );
    auth.apply(&[
        Change::CreateUser {
            name: "alice".into(),
            display_name: None,
        },
        Change::AttachPolicy {
            target: PolicyTarget::User("alice".into()),
            policy_type: None,
            policy: "AliyunSTSAssumeRoleAccess".into(),
        },
        Change::CreateRole {
            name: "ops".into(),
            trust_policy: trust,
            max_session_duration: None,
        },
        Change::AttachPolicy {
            target: PolicyTarget::Role("ops".into()),
            policy_type: None,
            policy: "AliyunOSSReadOnlyAccess".into(),
        },
    ])
    .unwrap();
    Sts::new(auth, KeyRing::generate(alg, now()).unwrap())
}

fn bench(c: &mut Criterion) {
    for (name, alg) in [("hmac", Algorithm::HmacSha256), ("ed25519", Algorithm::Ed25519)] {
        let v = Verifier::new(KeyRing::generate(alg, now()).unwrap());
        let claims = claims();
        let minted = v.mint(&claims).unwrap();
        let token = minted.security_token.clone();
        let id = minted.access_key_id.clone();
        c.bench_function(&format!("mint/{name}"), |b| {
            b.iter(|| v.mint(black_box(&claims)).unwrap())
        });
        c.bench_function(&format!("verify/{name}"), |b| {
            b.iter(|| v.verify_uncached(black_box(&token), Some(&id), now()).unwrap())
        });
        v.verify(&token, Some(&id), now()).unwrap();
        c.bench_function(&format!("verify_cached/{name}"), |b| {
            b.iter(|| v.verify(black_box(&token), Some(&id), now()).unwrap())
        });

        let sts = sts(alg);
        let alice = StsCaller::User {
            name: "alice",
            access_key_id: None,
        };
        let arn = format!("acs:ram::{ACCOUNT}:role/ops");
        let req = AssumeRoleRequest::new(&arn, "alice-session").policy(POLICY);
        c.bench_function(&format!("assume_role/{name}"), |b| {
            b.iter(|| sts.assume_role(&alice, black_box(&req), now()).unwrap())
        });
        let creds = sts.assume_role(&alice, &req, now()).unwrap().credentials;
        let ctx = RequestContext::new();
        let r = Request::new("oss:GetObject", "acs:oss:*:123456789012:bucket/a.txt", &ctx);
        c.bench_function(&format!("check_cached/{name}"), |b| {
            b.iter(|| {
                sts.check(black_box(&creds.security_token), Some(&creds.access_key_id), &r, now())
                    .unwrap()
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
