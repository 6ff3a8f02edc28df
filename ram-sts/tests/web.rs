//! Requests signed with temporary credentials, end to end through ram-web's authenticator:
//! AssumeRole, sign with ram-web's client signer (V3 and V1), authenticate (the token first,
//! then the signature with the secret it yields), decide as the role session.

mod common;

use std::sync::Arc;

use common::*;
use jiff::Timestamp;
use ram_core::directory::{Change, PolicyTarget};
use ram_core::{Decision, Request, RequestContext};
use ram_sts::key::Algorithm;
use ram_sts::{Sts, Verifier};
use ram_web::signer::{Call, Credentials, sign_v1, sign_v3};
use ram_web::{Authenticator, SignedRequest};

fn authenticate(
    sts: &Sts,
    verifier: Arc<Verifier>,
    creds: &Credentials,
    v1: bool,
    signed_at: Timestamp,
    now: Timestamp,
) -> Result<Decision, String> {
    let authn = Authenticator::new().with_token_verifier(verifier);
    let call = Call::new("GetObject", "2019-05-17").params(&[("Bucket", "b")]);
    let nonce = format!("n-{}", ram_web::signer::new_nonce());
    let snap = sts.authorizer().snapshot();
    let who = if v1 {
        let s = sign_v1(creds, &call, signed_at, Some(&nonce));
        authn.authenticate(&snap, &SignedRequest::new("POST", "/", &s.query), now)
    } else {
        let s = sign_v3(creds, &call, "127.0.0.1:1", signed_at, Some(&nonce));
        let mut req = SignedRequest::new("POST", "/", &s.query);
        for (k, v) in &s.headers {
            req.push_header(k, v.as_bytes());
        }
        authn.authenticate(&snap, &req, now)
    }
    .map_err(|e| e.code().to_owned())?;
    let ctx = RequestContext::new();
    snap.check(&who.caller(), &Request::new("oss:GetObject", "acs:oss:*:1:b/k", &ctx))
        .map_err(|e| e.code().to_owned())
}

#[test]
fn temporary_credentials_through_the_authenticator() {
    for alg in [Algorithm::HmacSha256, Algorithm::Ed25519] {
        let sts = sts(alg);
        // The server's verifier: another instance built from the same keys.
        let verifier = Arc::new(Verifier::new((*sts.verifier().keys()).clone()));
        let policy = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Put*","Resource":"*"}]}"#;
        for (session_policy, expected) in [(None, Decision::Allow), (Some(policy), Decision::ImplicitDeny)] {
            let arn = arn("ops");
            let mut req = ram_sts::AssumeRoleRequest::new(&arn, "web");
            req.policy = session_policy;
            let c = sts.assume_role(&ALICE, &req, at(0)).unwrap().credentials;
            let creds = Credentials::sts(&c.access_key_id, &c.access_key_secret, &c.security_token);
            for v1 in [false, true] {
                let got = authenticate(&sts, verifier.clone(), &creds, v1, at(10), at(10));
                assert_eq!(got, Ok(expected), "{alg} v1={v1} policy={session_policy:?}");
            }
            // A wrong secret: the token verifies, the signature does not.
            let wrong = Credentials::sts(&c.access_key_id, "0".repeat(40), &c.security_token);
            let got = authenticate(&sts, verifier.clone(), &wrong, false, at(10), at(10));
            assert_eq!(got, Err("SignatureDoesNotMatch".to_owned()));
            // Another session's AccessKeyId with this token.
            let other = sts.assume_role(&ALICE, &req, at(0)).unwrap().credentials;
            let mixed = Credentials::sts(&other.access_key_id, &other.access_key_secret, &c.security_token);
            let got = authenticate(&sts, verifier.clone(), &mixed, false, at(10), at(10));
            assert_eq!(got, Err("InvalidSecurityToken.MismatchWithAccessKey".to_owned()));
            // Expired at the exact second.
            let got = authenticate(&sts, verifier.clone(), &creds, false, at(3_600), at(3_600));
            assert_eq!(got, Err("InvalidSecurityToken.Expired".to_owned()));
            // A tampered token.
            let mut t = c.security_token.clone();
            t.push('A');
            let bad = Credentials::sts(&c.access_key_id, &c.access_key_secret, &t);
            let got = authenticate(&sts, verifier.clone(), &bad, false, at(10), at(10));
            assert_eq!(got, Err("InvalidSecurityToken.Malformed".to_owned()));
        }
    }
}

#[test]
fn the_authenticator_sees_revocation_at_the_next_request() {
    let sts = sts(Algorithm::Ed25519);
    let verifier = Arc::new(Verifier::new(sts.verifier().keys().public_only()));
    let c = assume(&sts, &ALICE, "ops", at(0)).unwrap().credentials;
    let creds = Credentials::sts(&c.access_key_id, &c.access_key_secret, &c.security_token);
    // A public-only verifier cannot recompute the secret: the request cannot be checked.
    assert!(authenticate(&sts, verifier, &creds, false, at(1), at(1)).is_err());
    let verifier = Arc::new(Verifier::new((*sts.verifier().keys()).clone()));
    assert_eq!(
        authenticate(&sts, verifier.clone(), &creds, false, at(1), at(1)),
        Ok(Decision::Allow)
    );
    sts.authorizer()
        .apply(&[Change::DetachPolicy {
            target: PolicyTarget::Role("ops".into()),
            policy_type: None,
            policy: "OpsPolicy".into(),
        }])
        .unwrap();
    assert_eq!(
        authenticate(&sts, verifier.clone(), &creds, false, at(2), at(2)),
        Ok(Decision::ImplicitDeny)
    );
    sts.authorizer()
        .apply(&[Change::RevokeRoleSessions {
            name: "ops".into(),
            before: at(1),
        }])
        .unwrap();
    assert_eq!(
        authenticate(&sts, verifier, &creds, false, at(3), at(3)),
        Err("InvalidSecurityToken.Revoked".to_owned())
    );
}
