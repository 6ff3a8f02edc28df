//! Token verification with a bounded cache of verified tokens.
//!
//! A [`Verifier`] holds a [`KeyRing`] and needs nothing else: any replica holding the same
//! keys (or, for Ed25519, only their public parts) verifies a token minted by another.
//! Verification, in this order:
//!
//! 1. the token is well formed: prefix, canonical base64url, known format and algorithm
//!    ([`StsError::Malformed`]);
//! 2. its key id is in the ring ([`StsError::UnknownKey`]) and not retired
//!    ([`StsError::RetiredKey`]), of the algorithm the token names, and the signature
//!    verifies ([`StsError::BadSignature`]); only then are the claims read;
//! 3. `now < issued + duration` ([`StsError::Expired`]), exactly;
//! 4. `now >= issued - skew` ([`StsError::NotYetValid`]; skew 0 to 300 s, default 0);
//! 5. the AccessKeyId presented, if any, is the token's
//!    ([`StsError::MismatchWithAccessKey`]).
//!
//! Steps 1 and 2 run once per distinct token: the result is kept in a bounded cache keyed by
//! the whole token text, so a repeat costs a hash lookup; steps 3 to 5 run every time.
//! Changing the keys ([`Verifier::set_keys`]) empties the cache, so a retired key's tokens
//! are refused at once.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use foldhash::fast::RandomState;
use jiff::{SignedDuration, Timestamp};
use parking_lot::{Mutex, RwLock};
use ram_core::authorizer::Caller;
use ram_core::{CompiledPolicy, ParseOptions, PolicyDocument, PolicyRef, PolicySet, Source};
use subtle::ConstantTimeEq;

use crate::StsError;
use crate::key::KeyRing;
use crate::token::{self, Claims};

/// The largest allowance for clocks that run behind.
pub const MAX_CLOCK_SKEW_SECONDS: u32 = 300;

/// Default number of verified tokens remembered.
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

/// Default bound on the bytes of token text the cache holds (each entry holds about three
/// times its token's length): tokens with long session policies weigh what they cost.
pub const DEFAULT_CACHE_BYTES: usize = 16 << 20;

/// A token whose signature verified: its claims, and what follows from them.
///
/// Shared (`Arc`) between the cache and callers; the session policy is compiled on first use
/// and kept with it, so once per token id.
pub struct VerifiedToken {
    claims: Claims,
    kid: String,
    access_key_id: String,
    signed: Box<[u8]>,
    session_set: OnceLock<Option<Arc<PolicySet>>>,
}

impl std::fmt::Debug for VerifiedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedToken")
            .field("claims", &self.claims)
            .field("kid", &self.kid)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

impl VerifiedToken {
    /// The claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The id of the key that signed it.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The session's AccessKeyId (`STS.…`).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The session policy compiled for evaluation (once; `None` without a session policy).
    pub fn session_policy(&self) -> Option<&PolicySet> {
        self.session_policy_shared().map(|s| &**s)
    }

    /// [`VerifiedToken::session_policy`], shareable.
    pub fn session_policy_shared(&self) -> Option<&Arc<PolicySet>> {
        self.session_set
            .get_or_init(|| {
                let text = self.claims.session_policy.as_deref()?;
                // It was validated when minted; if this build no longer reads it, the
                // session gets an empty gate (denies everything) rather than no gate.
                let set = match PolicyDocument::parse_with(text, &ParseOptions::session().max_chars(usize::MAX)) {
                    Ok(doc) => PolicySet::builder()
                        .add(
                            PolicyRef::new("SessionPolicy", "", Source::Session),
                            Arc::new(CompiledPolicy::new(&doc)),
                        )
                        .build(),
                    Err(_) => PolicySet::empty(),
                };
                Some(Arc::new(set))
            })
            .as_ref()
    }

    /// The role-session caller to check requests as (session policy, then the role's
    /// policies; the identity that assumed the role does not carry over).
    pub fn caller(&self) -> Caller<'_> {
        let mut c = Caller::role_session(&self.claims.role_name, self.session_policy());
        c.access_key_id = Some(&self.access_key_id);
        c
    }
}

/// Two generations of verified tokens: lookups check both, inserts go to the young one, and
/// when it holds half the entries or half the bytes allowed, the old generation is dropped
/// and the young one becomes old. So at most `capacity` entries and `max_bytes` of token
/// text, and a token in use survives a generation change (promoted on its next lookup).
/// Keyed by the token's whole text (hashed with a per-process random seed): a lookup never
/// mistakes one text for another.
struct Cache {
    capacity: usize,
    max_bytes: usize,
    young_bytes: usize,
    young: HashMap<Box<str>, Arc<VerifiedToken>, RandomState>,
    old: HashMap<Box<str>, Arc<VerifiedToken>, RandomState>,
}

impl Cache {
    fn new(capacity: usize, max_bytes: usize) -> Cache {
        Cache {
            capacity,
            max_bytes,
            young_bytes: 0,
            young: HashMap::default(),
            old: HashMap::default(),
        }
    }

    fn get(&mut self, token: &str) -> Option<Arc<VerifiedToken>> {
        if let Some(v) = self.young.get(token) {
            return Some(v.clone());
        }
        let (k, v) = self.old.remove_entry(token)?;
        self.insert(k, v.clone());
        Some(v)
    }

    fn insert(&mut self, token: Box<str>, v: Arc<VerifiedToken>) {
        if self.capacity == 0 || token.len() > self.max_bytes / 2 {
            return;
        }
        if self.young.len() >= self.capacity.div_ceil(2) || self.young_bytes + token.len() > self.max_bytes / 2 {
            self.old = std::mem::take(&mut self.young);
            self.young_bytes = 0;
        }
        self.young_bytes += token.len();
        self.young.insert(token, v);
    }

    fn clear(&mut self) {
        self.young.clear();
        self.old.clear();
        self.young_bytes = 0;
    }

    fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }
}

/// Verifies (and, holding secret keys, mints) security tokens.
///
/// ```
/// use ram_sts::key::{Algorithm, KeyRing};
/// use ram_sts::token::Claims;
/// use ram_sts::{StsError, Verifier};
///
/// let t0: jiff::Timestamp = "2024-05-01T12:00:00Z".parse().unwrap();
/// let minter = Verifier::new(KeyRing::generate(Algorithm::Ed25519, t0)?);
/// let claims = Claims {
///     token_id: [1; 16], account_id: "123456789012".into(), role_name: "ops".into(),
///     role_id: "300000000000000001".into(), session_name: "s1".into(), issued: t0,
///     duration_seconds: 900, trust_digest: [0; 8], source_identity: "acs:ram::123456789012:user/alice".into(),
///     session_policy: None,
/// };
/// let creds = minter.mint(&claims)?;
///
/// // Another replica with only the public keys verifies it.
/// let replica = Verifier::new(minter.keys().public_only());
/// let v = replica.verify(&creds.security_token, Some(&creds.access_key_id), t0)?;
/// assert_eq!(v.claims().session_name, "s1");
/// let late = t0 + jiff::SignedDuration::from_secs(900);
/// assert!(matches!(replica.verify(&creds.security_token, None, late), Err(StsError::Expired { .. })));
/// # Ok::<(), StsError>(())
/// ```
pub struct Verifier {
    keys: RwLock<Arc<KeyRing>>,
    skew: SignedDuration,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("keys", &*self.keys.read())
            .field("skew", &self.skew)
            .field("cached", &self.cache.lock().len())
            .finish()
    }
}

/// A minted token with its credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct MintedCredentials {
    /// `STS.…`
    pub access_key_id: String,
    /// The secret bound to the token.
    pub access_key_secret: String,
    /// The token.
    pub security_token: String,
}

impl std::fmt::Debug for MintedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MintedCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("security_token", &"<redacted>")
            .finish()
    }
}

impl Verifier {
    /// A verifier of `keys`, no clock skew allowed, caching up to
    /// [`DEFAULT_CACHE_CAPACITY`] tokens.
    pub fn new(keys: KeyRing) -> Verifier {
        Verifier {
            keys: RwLock::new(Arc::new(keys)),
            skew: SignedDuration::ZERO,
            cache: Mutex::new(Cache::new(DEFAULT_CACHE_CAPACITY, DEFAULT_CACHE_BYTES)),
        }
    }

    /// Accepts tokens issued up to `seconds` in the future (clocks that run behind), at most
    /// [`MAX_CLOCK_SKEW_SECONDS`].
    pub fn with_clock_skew(mut self, seconds: u32) -> Result<Verifier, StsError> {
        if seconds > MAX_CLOCK_SKEW_SECONDS {
            return Err(StsError::InvalidClockSkew(seconds));
        }
        self.skew = SignedDuration::from_secs(i64::from(seconds));
        Ok(self)
    }

    /// Remembers at most `capacity` verified tokens (0: no cache).
    pub fn with_cache_capacity(self, capacity: usize) -> Verifier {
        let bytes = self.cache.lock().max_bytes;
        *self.cache.lock() = Cache::new(capacity, bytes);
        self
    }

    /// Remembers at most `max_bytes` of token text (entries hold about three times that).
    pub fn with_cache_bytes(self, max_bytes: usize) -> Verifier {
        let capacity = self.cache.lock().capacity;
        *self.cache.lock() = Cache::new(capacity, max_bytes);
        self
    }

    /// The keys in use.
    pub fn keys(&self) -> Arc<KeyRing> {
        self.keys.read().clone()
    }

    /// Replaces the keys (after a rotation or retirement) and forgets every verified token.
    pub fn set_keys(&self, keys: KeyRing) {
        let mut k = self.keys.write();
        *k = Arc::new(keys);
        self.cache.lock().clear();
    }

    /// Signs `claims` with the active key.
    pub fn mint(&self, claims: &Claims) -> Result<MintedCredentials, StsError> {
        let keys = self.keys();
        let key = keys.active().ok_or(StsError::NoSigningKey)?;
        let minted = claims.mint(key)?;
        Ok(MintedCredentials {
            access_key_id: claims.access_key_id(),
            access_key_secret: minted.secret,
            security_token: minted.token,
        })
    }

    /// Verifies a token as of `now` and, when given, that `access_key_id` is its AccessKeyId.
    /// Cached: see the module documentation.
    pub fn verify(
        &self,
        token: &str,
        access_key_id: Option<&str>,
        now: Timestamp,
    ) -> Result<Arc<VerifiedToken>, StsError> {
        if token.len() > token::MAX_TOKEN_LEN {
            return Err(StsError::Malformed("too long"));
        }
        let cached = self.cache.lock().get(token);
        let v = match cached {
            Some(v) => v,
            None => {
                let v = Arc::new(self.verify_signature(token)?);
                self.cache.lock().insert(token.into(), v.clone());
                v
            }
        };
        self.check_time_and_key(&v, access_key_id, now)?;
        Ok(v)
    }

    /// Like [`Verifier::verify`] without the cache (every step, every time).
    pub fn verify_uncached(
        &self,
        token: &str,
        access_key_id: Option<&str>,
        now: Timestamp,
    ) -> Result<VerifiedToken, StsError> {
        let v = self.verify_signature(token)?;
        self.check_time_and_key(&v, access_key_id, now)?;
        Ok(v)
    }

    /// The AccessKeySecret of a verified token, recomputed from the token under its key (so
    /// a server can check the request signature made with it). Needs the key's secret part.
    pub fn access_key_secret(&self, token: &VerifiedToken) -> Result<String, StsError> {
        let keys = self.keys();
        let key = keys
            .key(&token.kid)
            .ok_or_else(|| StsError::UnknownKey(token.kid.clone()))?;
        if key.retired().is_some() {
            return Err(StsError::RetiredKey(token.kid.clone()));
        }
        Ok(token::access_key_secret(&key.derive_secret(&token.signed)?))
    }

    fn verify_signature(&self, text: &str) -> Result<VerifiedToken, StsError> {
        let parsed = token::parse(text)?;
        let keys = self.keys();
        let kid = parsed.kid();
        let key = keys.key(kid).ok_or_else(|| StsError::UnknownKey(kid.to_owned()))?;
        if key.retired().is_some() {
            return Err(StsError::RetiredKey(kid.to_owned()));
        }
        if key.algorithm() != parsed.algorithm || !key.verify(&parsed.signed, &parsed.signature) {
            return Err(StsError::BadSignature);
        }
        let claims = token::claims(&parsed)?;
        Ok(VerifiedToken {
            access_key_id: claims.access_key_id(),
            kid: kid.to_owned(),
            claims,
            signed: parsed.signed.into_boxed_slice(),
            session_set: OnceLock::new(),
        })
    }

    fn check_time_and_key(
        &self,
        v: &VerifiedToken,
        access_key_id: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StsError> {
        let c = &v.claims;
        let expiration = c.expiration();
        if now >= expiration {
            return Err(StsError::Expired { expiration });
        }
        let earliest = c.issued.checked_sub(self.skew).unwrap_or(c.issued);
        if now < earliest {
            return Err(StsError::NotYetValid { issued: c.issued });
        }
        if let Some(id) = access_key_id
            && !bool::from(id.as_bytes().ct_eq(v.access_key_id.as_bytes()))
        {
            return Err(StsError::MismatchWithAccessKey);
        }
        Ok(())
    }

    /// Number of tokens in the cache.
    pub fn cached(&self) -> usize {
        self.cache.lock().len()
    }
}
