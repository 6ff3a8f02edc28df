//! Tokens: tampering, exact expiry, clock skew, AccessKeyId binding, cross-verification by a
//! second replica, key rotation and retirement, the cache, arbitrary input, persistence.

mod common;

use std::sync::Arc;

use base64ct::{Base64UrlUnpadded, Encoding};
use common::*;
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use ram_core::authorizer::Authorizer;
use ram_core::directory::Directory;
use ram_core::{Decision, Request, RequestContext};
use ram_sts::key::{Algorithm, KeyRing};
use ram_sts::token::Claims;
use ram_sts::{ErrorKind, MintedCredentials, Sts, StsError, Verifier};

const ALGS: [Algorithm; 2] = [Algorithm::HmacSha256, Algorithm::Ed25519];

fn claims(issued: Timestamp, duration: u32, policy: Option<&str>) -> Claims {
    Claims {
        token_id: [0x5a; 16],
        account_id: ACCT.into(),
        role_name: "ops".into(),
        role_id: "300000000000000001".into(),
        session_name: "s1".into(),
        issued,
        duration_seconds: duration,
        trust_digest: [1; 8],
        source_identity: format!("acs:ram::{ACCT}:user/alice"),
        session_policy: policy.map(str::to_owned),
    }
}

fn minter(alg: Algorithm) -> Verifier {
    Verifier::new(KeyRing::generate(alg, t0()).unwrap())
}

fn mint(v: &Verifier, c: &Claims) -> MintedCredentials {
    v.mint(c).unwrap()
}

const POLICY: &str = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:Get*","Resource":"*"}]}"#;

#[test]
fn claims_round_trip_exactly() {
    for alg in ALGS {
        let v = minter(alg);
        let policy = "{ \"Version\": \"1\",\n  \"Statement\": [{\"Effect\":\"Allow\",\"Action\":\"oss:Get*\",\"Resource\":\"acs:oss:*:*:bücket/*\"}] }";
        let c = claims(t0(), 900, Some(policy));
        let m = mint(&v, &c);
        let got = v
            .verify_uncached(&m.security_token, Some(&m.access_key_id), t0())
            .unwrap();
        assert_eq!(got.claims(), &c);
        assert_eq!(got.access_key_id(), c.access_key_id());
        assert_eq!(v.access_key_secret(&got).unwrap(), m.access_key_secret);
        assert!(m.security_token.starts_with("RAMSTS1."));
        // The largest session policy (2,048 four-byte characters) fits under the length limit.
        let widest = "\u{1F600}".repeat(2_048);
        let big = mint(&v, &claims(t0(), 900, Some(&widest)));
        assert!(big.security_token.len() <= ram_sts::token::MAX_TOKEN_LEN);
        let got_big = v.verify(&big.security_token, None, t0()).unwrap();
        assert_eq!(got_big.claims().session_policy.as_deref(), Some(widest.as_str()));
        // Two tokens with other ids have other AccessKeyIds and secrets.
        let m2 = mint(
            &v,
            &Claims {
                token_id: [0x5b; 16],
                ..c
            },
        );
        assert_ne!(m2.access_key_id, m.access_key_id);
        assert_ne!(m2.access_key_secret, m.access_key_secret);
    }
}

/// Every byte of the token text replaced by other characters (base64url ones, the
/// separator, others), truncated at every length, and with bytes appended: always refused,
/// never a panic, and always an InvalidSecurityToken.Malformed.
#[test]
fn tampering_with_any_byte_is_refused() {
    for alg in ALGS {
        let v = minter(alg).with_cache_capacity(0);
        let m = mint(&v, &claims(t0(), 3_600, Some(POLICY)));
        let token = m.security_token.as_bytes();
        assert!(v.verify(&m.security_token, None, t0()).is_ok());
        let mut checked = 0;
        for i in 0..token.len() {
            for c in [
                b'A', b'B', b'g', b'z', b'0', b'9', b'-', b'_', b'.', b'=', b'+', b'/', b' ',
            ] {
                if token[i] == c {
                    continue;
                }
                let mut t = token.to_vec();
                t[i] = c;
                let t = String::from_utf8(t).unwrap();
                let e = v.verify(&t, None, t0()).expect_err(&t);
                assert_eq!(e.code(), "InvalidSecurityToken.Malformed", "{alg} at {i}: {e:?}");
                checked += 1;
            }
        }
        for len in 0..token.len() {
            let t = &m.security_token[..len];
            assert_eq!(
                v.verify(t, None, t0()).unwrap_err().code(),
                "InvalidSecurityToken.Malformed"
            );
        }
        let huge = format!("{}{}", m.security_token, "A".repeat(ram_sts::token::MAX_TOKEN_LEN));
        assert_eq!(
            v.verify(&huge, None, t0()).unwrap_err(),
            StsError::Malformed("too long")
        );
        for extra in ["A", "AA", ".", "=", "\n", " "] {
            let t = format!("{}{extra}", m.security_token);
            assert_eq!(
                v.verify(&t, None, t0()).unwrap_err().code(),
                "InvalidSecurityToken.Malformed"
            );
        }
        assert!(checked > 10 * token.len());
    }
}

/// Every byte of the decoded body and of the signature flipped, re-encoded canonically: the
/// signature no longer verifies (or the header no longer names the key).
#[test]
fn tampering_with_any_decoded_byte_is_refused() {
    for alg in ALGS {
        let v = minter(alg).with_cache_capacity(0);
        let m = mint(&v, &claims(t0(), 3_600, Some(POLICY)));
        let rest = m.security_token.strip_prefix("RAMSTS1.").unwrap();
        let (body, sig) = rest.split_once('.').unwrap();
        let body = Base64UrlUnpadded::decode_vec(body).unwrap();
        let sig = Base64UrlUnpadded::decode_vec(sig).unwrap();
        let enc = |b: &[u8], s: &[u8]| {
            format!(
                "RAMSTS1.{}.{}",
                Base64UrlUnpadded::encode_string(b),
                Base64UrlUnpadded::encode_string(s)
            )
        };
        assert!(v.verify(&enc(&body, &sig), None, t0()).is_ok());
        for i in 0..body.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut b = body.clone();
                b[i] ^= flip;
                let e = v.verify(&enc(&b, &sig), None, t0()).unwrap_err();
                assert_eq!(e.code(), "InvalidSecurityToken.Malformed", "{alg} body byte {i}: {e:?}");
                // Past the header (format, algorithm, key id), it is the signature that fails.
                if i > 3 + 12 {
                    assert_eq!(e, StsError::BadSignature, "{alg} body byte {i}");
                }
            }
        }
        for i in 0..sig.len() {
            let mut s = sig.clone();
            s[i] ^= 0x01;
            assert_eq!(
                v.verify(&enc(&body, &s), None, t0()).unwrap_err(),
                StsError::BadSignature
            );
        }
        // Dropped or added body bytes.
        assert!(v.verify(&enc(&body[..body.len() - 1], &sig), None, t0()).is_err());
        let mut longer = body.clone();
        longer.push(0);
        assert!(v.verify(&enc(&longer, &sig), None, t0()).is_err());
    }
}

#[test]
fn non_canonical_base64_is_refused() {
    let v = minter(Algorithm::HmacSha256).with_cache_capacity(0);
    // Find a token whose body length leaves spare bits in its last character, then set them.
    for n in 0..8 {
        let c = Claims {
            session_name: format!("s{}", "x".repeat(n + 1)),
            ..claims(t0(), 900, None)
        };
        let m = mint(&v, &c);
        let (head, sig) = m.security_token.rsplit_once('.').unwrap();
        for (part, is_body) in [(head, true), (sig, false)] {
            let last = *part.as_bytes().last().unwrap();
            let decoded_len = Base64UrlUnpadded::decode_vec(part.strip_prefix("RAMSTS1.").unwrap_or(part))
                .unwrap()
                .len();
            if decoded_len % 3 == 0 {
                continue;
            }
            // The alphabet's next character differs only in the low (spare) bits.
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let pos = alphabet.iter().position(|&b| b == last).unwrap();
            let bumped = alphabet[pos + 1] as char;
            let t = if is_body {
                format!("{}{bumped}.{sig}", &head[..head.len() - 1])
            } else {
                format!("{head}.{}{bumped}", &sig[..sig.len() - 1])
            };
            // base64ct refuses set spare bits itself; the re-encoding check backs it up.
            assert!(
                matches!(v.verify(&t, None, t0()).unwrap_err(), StsError::Malformed(_)),
                "{t}"
            );
        }
    }
    // Padding and the standard alphabet are not accepted either.
    let m = mint(&v, &claims(t0(), 900, None));
    assert!(v.verify(&format!("{}=", m.security_token), None, t0()).is_err());
    assert!(
        v.verify(&m.security_token.replace('-', "+").replace('_', "/"), None, t0())
            .is_err()
            || !m.security_token.contains(['-', '_'])
    );
    assert!(v.verify(&m.security_token.to_lowercase(), None, t0()).is_err());
}

#[test]
fn expiry_is_exact_on_both_sides() {
    for alg in ALGS {
        let v = minter(alg);
        let m = mint(&v, &claims(t0(), 900, None));
        let ok = |t: Timestamp| v.verify(&m.security_token, None, t);
        assert!(ok(t0()).is_ok());
        assert!(ok(at(899)).is_ok());
        assert!(ok(at(899) + SignedDuration::from_nanos(999_999_999)).is_ok());
        let e = ok(at(900)).unwrap_err();
        assert_eq!(e, StsError::Expired { expiration: at(900) });
        assert_eq!(
            (e.code(), e.kind()),
            ("InvalidSecurityToken.Expired", ErrorKind::Authentication)
        );
        assert!(ok(at(901)).is_err());
        // The uncached path agrees.
        assert!(v.verify_uncached(&m.security_token, None, at(899)).is_ok());
        assert!(v.verify_uncached(&m.security_token, None, at(900)).is_err());
    }
    // Through AssumeRole: valid while now < issued + DurationSeconds.
    let sts = sts(Algorithm::HmacSha256);
    let resp = assume(&sts, &ALICE, "ops", at(0)).unwrap();
    assert!(
        sts.authenticate(&resp.credentials.security_token, None, at(3_599))
            .is_ok()
    );
    assert_eq!(
        sts.authenticate(&resp.credentials.security_token, None, at(3_600))
            .unwrap_err()
            .code(),
        "InvalidSecurityToken.Expired"
    );
}

#[test]
fn not_yet_valid_with_a_bounded_skew() {
    for alg in ALGS {
        let keys = KeyRing::generate(alg, t0()).unwrap();
        let m = Verifier::new(keys.clone()).mint(&claims(at(100), 900, None)).unwrap();
        let strict = Verifier::new(keys.clone());
        let e = strict.verify(&m.security_token, None, at(99)).unwrap_err();
        assert_eq!(e, StsError::NotYetValid { issued: at(100) });
        assert_eq!(
            (e.code(), e.kind()),
            ("InvalidSecurityToken.NotYetValid", ErrorKind::Authentication)
        );
        assert!(
            strict
                .verify(&m.security_token, None, at(100) - SignedDuration::from_nanos(1))
                .is_err()
        );
        assert!(strict.verify(&m.security_token, None, at(100)).is_ok());
        let lenient = Verifier::new(keys.clone()).with_clock_skew(30).unwrap();
        assert!(lenient.verify(&m.security_token, None, at(70)).is_ok());
        assert!(lenient.verify(&m.security_token, None, at(69)).is_err());
        // The skew never extends the expiry.
        assert!(lenient.verify(&m.security_token, None, at(1_000)).is_err());
        assert!(Verifier::new(keys.clone()).with_clock_skew(300).is_ok());
        let e = Verifier::new(keys).with_clock_skew(301).unwrap_err();
        assert_eq!(e.code(), "InvalidParameter.ClockSkew");
    }
}

#[test]
fn access_key_id_must_match() {
    for alg in ALGS {
        let v = minter(alg);
        let m = mint(&v, &claims(t0(), 900, None));
        assert!(v.verify(&m.security_token, Some(&m.access_key_id), t0()).is_ok());
        assert!(v.verify(&m.security_token, None, t0()).is_ok());
        for wrong in [
            "STS.0000000000000000000000",
            "",
            "LTAIalice000000000000000",
            &m.access_key_id[..25],
        ] {
            let e = v.verify(&m.security_token, Some(wrong), t0()).unwrap_err();
            assert_eq!(e, StsError::MismatchWithAccessKey);
            assert_eq!(e.code(), "InvalidSecurityToken.MismatchWithAccessKey");
        }
        // Expiry is reported before the mismatch.
        let e = v.verify(&m.security_token, Some("STS.x"), at(900)).unwrap_err();
        assert_eq!(e.code(), "InvalidSecurityToken.Expired");
    }
}

/// A second process: the directory and the keys go through their stored (JSON) forms, and a
/// new Authorizer and Sts are built from them.
fn replica(sts: &Sts, keys: KeyRing) -> Sts {
    let dir_json = serde_json::to_string(sts.authorizer().snapshot().directory()).unwrap();
    let dir: Directory = serde_json::from_str(&dir_json).unwrap();
    let keys_json = serde_json::to_string(&keys).unwrap();
    let keys: KeyRing = serde_json::from_str(&keys_json).unwrap();
    Sts::new(Arc::new(Authorizer::new(dir)), keys)
}

#[test]
fn cross_verification_by_a_second_replica() {
    for alg in ALGS {
        let a = sts(alg);
        let b = replica(&a, (*a.verifier().keys()).clone());
        let resp = assume(&a, &ALICE, "ops", at(0)).unwrap();
        let c = &resp.credentials;
        let ctx = RequestContext::new();
        for action in ["oss:GetObject", "oss:DeleteBucket", "ecs:StopInstance"] {
            let r = Request::new(action, "acs:oss:*:123456789012:b/k", &ctx);
            let da = a.check(&c.security_token, Some(&c.access_key_id), &r, at(1)).unwrap();
            let db = b.check(&c.security_token, Some(&c.access_key_id), &r, at(1)).unwrap();
            assert_eq!(da, db, "{alg} {action}");
        }
        // The replica recomputes the AccessKeySecret from the token alone.
        let vb = b
            .authenticate(&c.security_token, Some(&c.access_key_id), at(1))
            .unwrap();
        assert_eq!(b.verifier().access_key_secret(vb.token()).unwrap(), c.access_key_secret);
        // And a session minted by the replica verifies on the first.
        let back = assume(&b, &ALICE, "ops", at(2)).unwrap();
        assert!(a.authenticate(&back.credentials.security_token, None, at(3)).is_ok());
        // Replicas with other keys refuse both.
        let stranger = replica(&a, KeyRing::generate(alg, t0()).unwrap());
        let e = stranger.authenticate(&c.security_token, None, at(1)).unwrap_err();
        assert!(matches!(e, StsError::UnknownKey(_)), "{e:?}");
        assert_eq!(e.code(), "InvalidSecurityToken.Malformed");
    }
}

#[test]
fn ed25519_verifiers_need_only_public_keys() {
    let a = sts(Algorithm::Ed25519);
    let public = a.verifier().keys().public_only();
    assert!(serde_json::to_string(&public).unwrap().contains("PublicKey"));
    assert!(!serde_json::to_string(&public).unwrap().contains("\"Secret\""));
    let b = replica(&a, public);
    let resp = assume(&a, &ALICE, "ops", at(0)).unwrap();
    let session = b.authenticate(&resp.credentials.security_token, None, at(1)).unwrap();
    let ctx = RequestContext::new();
    assert_eq!(
        session.check(&Request::new("oss:GetObject", "x", &ctx)).unwrap(),
        Decision::Allow
    );
    // It cannot mint nor derive secrets.
    assert_eq!(assume(&b, &ALICE, "ops", at(0)).unwrap_err(), StsError::NoSigningKey);
    assert!(matches!(
        b.verifier().access_key_secret(session.token()),
        Err(StsError::NoSecret(_))
    ));
    // HMAC keys have no public part: a public ring does not verify HMAC tokens.
    let h = sts(Algorithm::HmacSha256);
    let hr = assume(&h, &ALICE, "ops", at(0)).unwrap();
    let hb = replica(&h, h.verifier().keys().public_only());
    assert!(matches!(
        hb.authenticate(&hr.credentials.security_token, None, at(1)),
        Err(StsError::UnknownKey(_))
    ));
}

#[test]
fn key_rotation_and_retirement() {
    for (first, second) in [
        (Algorithm::HmacSha256, Algorithm::Ed25519),
        (Algorithm::Ed25519, Algorithm::HmacSha256),
        (Algorithm::Ed25519, Algorithm::Ed25519),
    ] {
        let sts = sts(first);
        let old = assume(&sts, &ALICE, "ops", at(0)).unwrap();
        let mut ring = (*sts.verifier().keys()).clone();
        let k1 = ring.active().unwrap().kid().to_owned();
        let k2 = ring.rotate(second, at(1)).unwrap().to_owned();
        assert_ne!(k1, k2);
        sts.set_keys(ring.clone());
        let new = assume(&sts, &ALICE, "ops", at(2)).unwrap();
        let kid = |t: &str| sts.verifier().verify(t, None, at(3)).unwrap().kid().to_owned();
        assert_eq!(kid(&new.credentials.security_token), k2);
        // The old key still verifies its tokens.
        assert_eq!(kid(&old.credentials.security_token), k1);
        assert!(sts.authenticate(&old.credentials.security_token, None, at(3)).is_ok());
        // The active key cannot be retired; an unknown one is not found.
        assert_eq!(ring.retire(&k2, at(4)).unwrap_err().code(), "InvalidParameter.KeyId");
        assert_eq!(ring.retire("nope", at(4)).unwrap_err().code(), "EntityNotExist.StsKey");
        // Retired: its tokens are refused at once (the cache is emptied), Malformed on the wire.
        ring.retire(&k1, at(4)).unwrap();
        ring.retire(&k1, at(5)).unwrap(); // idempotent
        assert_eq!(ring.key(&k1).unwrap().retired(), Some(at(4)));
        assert!(!ring.key(&k1).unwrap().has_secret());
        sts.set_keys(ring.clone());
        let e = sts
            .authenticate(&old.credentials.security_token, None, at(5))
            .unwrap_err();
        assert_eq!(e, StsError::RetiredKey(k1.clone()));
        assert_eq!(e.code(), "InvalidSecurityToken.Malformed");
        assert!(sts.authenticate(&new.credentials.security_token, None, at(5)).is_ok());
        // The stored ring keeps the retired id without its secret.
        let json = serde_json::to_value(&ring).unwrap();
        let k1_json = json["Keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["KeyId"] == k1.as_str())
            .unwrap();
        assert!(k1_json.get("Secret").is_none() && k1_json.get("Retired").is_some());
        let back: KeyRing = serde_json::from_value(json).unwrap();
        assert_eq!(
            Verifier::new(back)
                .verify(&old.credentials.security_token, None, at(5))
                .unwrap_err(),
            e
        );
    }
}

#[test]
fn the_cache_is_bounded_and_rechecks_time_and_key_id() {
    let v = minter(Algorithm::Ed25519).with_cache_capacity(4);
    let tokens: Vec<MintedCredentials> = (0..10u8)
        .map(|i| {
            mint(
                &v,
                &Claims {
                    token_id: [i; 16],
                    ..claims(t0(), 900, None)
                },
            )
        })
        .collect();
    for t in &tokens {
        v.verify(&t.security_token, None, t0()).unwrap();
        assert!(v.cached() <= 4);
    }
    let t = &tokens[9].security_token;
    let a = v.verify(t, None, t0()).unwrap();
    let b = v.verify(t, None, t0()).unwrap();
    assert!(Arc::ptr_eq(&a, &b), "a repeat is served from the cache");
    assert!(v.verify(t, None, at(900)).is_err(), "expiry is checked on every hit");
    assert_eq!(
        v.verify(t, Some("STS.other"), t0()).unwrap_err(),
        StsError::MismatchWithAccessKey
    );
    // The byte budget bounds the cache too.
    let keyed = Verifier::new((*v.keys()).clone()).with_cache_bytes(4 * tokens[0].security_token.len());
    for t in &tokens {
        keyed.verify(&t.security_token, None, t0()).unwrap();
        assert!(keyed.cached() <= 4);
    }
    // A cached token never lets a different text through.
    let mut other = t.clone();
    other.push('A');
    assert!(v.verify(&other, None, t0()).is_err());
}

#[test]
fn the_key_ring_lives_in_the_state_file() {
    use ram_core::store::{FileStore, Store};
    let dir = std::env::temp_dir().join(format!("ram-sts-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ram.json");
    let _ = std::fs::remove_file(&path);
    let ring = KeyRing::generate(Algorithm::Ed25519, t0()).unwrap();
    {
        let mut store = FileStore::create(&path, &directory()).unwrap();
        store
            .put_section("StsKeys", Some(serde_json::to_value(&ring).unwrap()))
            .unwrap();
    }
    let state = FileStore::read(&path).unwrap();
    let back: KeyRing = state.section().unwrap().unwrap();
    let m = Verifier::new(ring).mint(&claims(t0(), 900, None)).unwrap();
    let v = Verifier::new(back);
    let verified = v.verify(&m.security_token, None, t0()).unwrap();
    assert_eq!(v.access_key_secret(&verified).unwrap(), m.access_key_secret);
    // Debug output never shows the secret.
    let text = std::fs::read_to_string(&path).unwrap();
    let secret = text.split("\"Secret\": \"").nth(1).unwrap().split('"').next().unwrap();
    assert!(!format!("{:?}", v.keys()).contains(secret));
    assert!(!format!("{v:?}").contains(secret));
    std::fs::remove_dir_all(&dir).unwrap();
}

static VERIFIERS: std::sync::LazyLock<[Verifier; 2]> =
    std::sync::LazyLock::new(|| [minter(Algorithm::HmacSha256), minter(Algorithm::Ed25519)]);

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_are_refused_without_panic(s in ".{0,300}") {
        for v in VERIFIERS.iter() {
            prop_assert!(v.verify(&s, None, t0()).is_err());
        }
    }

    #[test]
    fn arbitrary_token_shaped_strings_are_refused(body in "[A-Za-z0-9_-]{0,200}", sig in "[A-Za-z0-9_-]{0,100}") {
        for v in VERIFIERS.iter() {
            let e = v.verify(&format!("RAMSTS1.{body}.{sig}"), None, t0()).unwrap_err();
            prop_assert_eq!(e.code(), "InvalidSecurityToken.Malformed");
        }
    }

    #[test]
    fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..300), alg in 0u8..4) {
        // Bodies that start like a real header (format 1, a known algorithm) go deeper.
        let mut b = vec![1u8, alg];
        b.extend_from_slice(&body);
        for (v, sig_len) in VERIFIERS.iter().zip([32, 64]) {
            let t = format!("RAMSTS1.{}.{}", Base64UrlUnpadded::encode_string(&b), Base64UrlUnpadded::encode_string(&vec![0u8; sig_len]));
            prop_assert!(v.verify(&t, None, t0()).is_err());
        }
    }
}

#[test]
fn shared_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Sts>();
    send_sync::<Verifier>();
    send_sync::<ram_sts::VerifiedToken>();
    let sts = Arc::new(sts(Algorithm::HmacSha256));
    let resp = assume(&sts, &ALICE, "ops", at(0)).unwrap();
    let token = Arc::new(resp.credentials.security_token);
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let (sts, token) = (sts.clone(), token.clone());
            std::thread::spawn(move || {
                let ctx = RequestContext::new();
                let req = Request::new("oss:GetObject", "acs:oss:*:1:b/k", &ctx);
                for n in 0..200 {
                    if i == 0 && n % 50 == 0 {
                        // Key changes (a rotation keeping the old key) empty the cache meanwhile.
                        let mut ring = (*sts.verifier().keys()).clone();
                        ring.rotate(Algorithm::HmacSha256, at(1)).unwrap();
                        sts.set_keys(ring);
                    }
                    assert_eq!(sts.check(&token, None, &req, at(2)).unwrap(), Decision::Allow);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
