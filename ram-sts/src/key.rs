//! Token signing keys: HMAC-SHA256 or Ed25519, each with a key id, gathered in a
//! [`KeyRing`] where several keys verify and one (the active key) mints.
//!
//! Each key is 32 random bytes from the operating system (an HMAC key, or an Ed25519 seed).
//! Two keys are derived from them with HMAC-SHA256 under fixed labels, so one secret never
//! serves two purposes:
//!
//! - `ram-sts/1/token-mac`: the HMAC key that authenticates tokens (HMAC mode only; Ed25519
//!   mode signs with the seed's key pair);
//! - `ram-sts/1/access-key-secret`: the key the `AccessKeySecret` of each token is derived
//!   under, so a verifier holding the key recomputes it without storing sessions.
//!
//! Rotation: [`KeyRing::rotate`] adds a key that mints from then on; older keys keep
//! verifying the tokens they signed until those expire, or until [`KeyRing::retire`] retires
//! them, which refuses every token they signed. Retired keys stay listed (without their
//! secret) so that their tokens are reported as signed by a retired key and their ids are never
//! reused. Secrets are never shown by `Debug`; they are persisted (base64) in the state file's
//! `StsKeys` section, which is mode 0600.

use std::sync::Arc;

use base64ct::{Base64, Encoding};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use ram_core::store::Section;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::StsError;

type HmacSha256 = Hmac<Sha256>;

const LABEL_TOKEN_MAC: &[u8] = b"ram-sts/1/token-mac";
const LABEL_ACCESS_KEY_SECRET: &[u8] = b"ram-sts/1/access-key-secret";

/// The longest key id.
pub const MAX_KID_LEN: usize = 32;

/// How tokens are signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// HMAC-SHA256: one shared secret signs and verifies (a single process, or replicas that
    /// all hold the secret). Fastest.
    #[serde(rename = "HMAC-SHA256")]
    HmacSha256,
    /// Ed25519 signatures: verifiers can hold only the public key.
    #[serde(rename = "Ed25519")]
    Ed25519,
}

impl Algorithm {
    /// `"HMAC-SHA256"` or `"Ed25519"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::HmacSha256 => "HMAC-SHA256",
            Algorithm::Ed25519 => "Ed25519",
        }
    }

    /// The byte naming the algorithm inside a token.
    pub(crate) fn code(self) -> u8 {
        match self {
            Algorithm::HmacSha256 => 1,
            Algorithm::Ed25519 => 2,
        }
    }

    pub(crate) fn from_code(b: u8) -> Option<Algorithm> {
        match b {
            1 => Some(Algorithm::HmacSha256),
            2 => Some(Algorithm::Ed25519),
            _ => None,
        }
    }

    /// Length of the signature (or tag) in a token.
    pub(crate) fn signature_len(self) -> usize {
        match self {
            Algorithm::HmacSha256 => 32,
            Algorithm::Ed25519 => 64,
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Algorithm {
    type Err = StsError;

    fn from_str(s: &str) -> Result<Algorithm, StsError> {
        match s.to_ascii_lowercase().as_str() {
            "hmac-sha256" | "hmac" => Ok(Algorithm::HmacSha256),
            "ed25519" => Ok(Algorithm::Ed25519),
            _ => Err(StsError::InvalidKeyRing(format!(
                "unknown algorithm {s:?}; use HMAC-SHA256 or Ed25519"
            ))),
        }
    }
}

/// What a key can do here, derived from its bytes once when it is loaded.
#[derive(Clone)]
enum Material {
    Hmac {
        mac: HmacSha256,
    },
    Ed25519 {
        signing: Option<Box<SigningKey>>,
        verifying: VerifyingKey,
    },
    /// A retired key: verifies nothing.
    Retired,
}

/// One signing key.
///
/// ```
/// use ram_sts::key::{Algorithm, Key};
///
/// let key = Key::generate(Algorithm::Ed25519, jiff::Timestamp::UNIX_EPOCH).unwrap();
/// assert_eq!(key.algorithm(), Algorithm::Ed25519);
/// assert!(key.public_key().is_some());
/// assert!(!format!("{key:?}").contains("Secret\":")); // the secret is never shown
/// ```
#[derive(Clone)]
pub struct Key {
    kid: String,
    algorithm: Algorithm,
    created: Timestamp,
    retired: Option<Timestamp>,
    secret: Option<[u8; 32]>,
    material: Material,
    /// Derives AccessKeySecrets; absent for public-only and retired keys.
    derive: Option<HmacSha256>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("created", &self.created)
            .field("retired", &self.retired)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("public_key", &self.public_key().map(|k| Base64::encode_string(&k)))
            .finish()
    }
}

fn labelled(secret: &[u8; 32], label: &[u8]) -> HmacSha256 {
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    m.update(label);
    let derived = m.finalize().into_bytes();
    <HmacSha256 as KeyInit>::new_from_slice(&derived).expect("HMAC takes keys of any length")
}

fn is_kid(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_KID_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl Key {
    /// A new key of `algorithm` with 32 bytes from the operating system's random source and
    /// a fresh random key id.
    pub fn generate(algorithm: Algorithm, now: Timestamp) -> Result<Key, StsError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)?;
        let kid = ram_core::directory::names::random_alphanumeric(12)?;
        Key::from_parts(kid, algorithm, now, None, Some(secret), None)
    }

    /// A key from its stored parts: `secret` (HMAC key or Ed25519 seed) and, for Ed25519,
    /// `public` (enough alone to verify).
    fn from_parts(
        kid: String,
        algorithm: Algorithm,
        created: Timestamp,
        retired: Option<Timestamp>,
        secret: Option<[u8; 32]>,
        public: Option<[u8; 32]>,
    ) -> Result<Key, StsError> {
        if !is_kid(&kid) {
            return Err(StsError::InvalidKeyRing(format!(
                "key id {kid:?} must be 1 to {MAX_KID_LEN} ASCII letters or digits"
            )));
        }
        let bad = |m: &str| StsError::InvalidKeyRing(format!("key {kid:?}: {m}"));
        if retired.is_some() {
            return Ok(Key {
                kid,
                algorithm,
                created,
                retired,
                secret: None,
                material: Material::Retired,
                derive: None,
            });
        }
        let material = match (algorithm, secret, public) {
            (Algorithm::HmacSha256, Some(s), _) => Material::Hmac {
                mac: labelled(&s, LABEL_TOKEN_MAC),
            },
            (Algorithm::HmacSha256, None, _) => return Err(bad("an HMAC key needs its secret")),
            (Algorithm::Ed25519, Some(s), public) => {
                let signing = SigningKey::from_bytes(&s);
                let verifying = signing.verifying_key();
                if public.is_some_and(|p| p != verifying.to_bytes()) {
                    return Err(bad("the public key does not belong to the secret key"));
                }
                Material::Ed25519 {
                    signing: Some(Box::new(signing)),
                    verifying,
                }
            }
            (Algorithm::Ed25519, None, Some(p)) => Material::Ed25519 {
                signing: None,
                verifying: VerifyingKey::from_bytes(&p).map_err(|_| bad("the public key is not a valid point"))?,
            },
            (Algorithm::Ed25519, None, None) => return Err(bad("an Ed25519 key needs its secret or public key")),
        };
        Ok(Key {
            kid,
            algorithm,
            created,
            retired,
            derive: secret.map(|s| labelled(&s, LABEL_ACCESS_KEY_SECRET)),
            secret,
            material,
        })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// When it was created.
    pub fn created(&self) -> Timestamp {
        self.created
    }

    /// When it was retired, if it was.
    pub fn retired(&self) -> Option<Timestamp> {
        self.retired
    }

    /// Whether this copy holds the secret part (can mint and derive AccessKeySecrets).
    pub fn has_secret(&self) -> bool {
        self.secret.is_some()
    }

    /// The Ed25519 public key (what a verify-only replica needs).
    pub fn public_key(&self) -> Option<[u8; 32]> {
        match &self.material {
            Material::Ed25519 { verifying, .. } => Some(verifying.to_bytes()),
            _ => None,
        }
    }

    /// Signs `msg` (the token's signed part).
    pub(crate) fn sign(&self, msg: &[u8], out: &mut Vec<u8>) -> Result<(), StsError> {
        match &self.material {
            Material::Hmac { mac } => {
                let mut m = mac.clone();
                m.update(msg);
                out.extend_from_slice(&m.finalize().into_bytes());
            }
            Material::Ed25519 {
                signing: Some(signing), ..
            } => out.extend_from_slice(&signing.sign(msg).to_bytes()),
            _ => return Err(StsError::NoSecret(self.kid.clone())),
        }
        Ok(())
    }

    /// Whether `sig` is this key's signature of `msg` (constant time for HMAC; strict
    /// verification for Ed25519, which refuses malleable signatures and weak keys).
    pub(crate) fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match &self.material {
            Material::Hmac { mac } => {
                let mut m = mac.clone();
                m.update(msg);
                m.verify_slice(sig).is_ok()
            }
            Material::Ed25519 { verifying, .. } => match ed25519_dalek::Signature::from_slice(sig) {
                Ok(s) => verifying.verify_strict(msg, &s).is_ok(),
                Err(_) => false,
            },
            Material::Retired => false,
        }
    }

    /// The 32 bytes an AccessKeySecret is made of for the token whose signed part is `msg`.
    pub(crate) fn derive_secret(&self, msg: &[u8]) -> Result<[u8; 32], StsError> {
        let mut m = self
            .derive
            .clone()
            .ok_or_else(|| StsError::NoSecret(self.kid.clone()))?;
        m.update(msg);
        Ok(m.finalize().into_bytes().into())
    }

    fn stored(&self) -> StoredKey {
        StoredKey {
            kid: self.kid.clone(),
            algorithm: self.algorithm,
            created: self.created,
            retired: self.retired,
            secret: self.secret.map(|s| Base64::encode_string(&s)),
            public_key: self.public_key().map(|p| Base64::encode_string(&p)),
        }
    }
}

/// The keys that verify tokens, and the one that mints them. Stored as the state file's
/// `StsKeys` section.
///
/// ```
/// use ram_sts::key::{Algorithm, KeyRing};
///
/// let t0 = jiff::Timestamp::UNIX_EPOCH;
/// let mut ring = KeyRing::generate(Algorithm::HmacSha256, t0)?;
/// let old = ring.active().unwrap().kid().to_owned();
/// let new = ring.rotate(Algorithm::Ed25519, t0)?.to_owned();
/// assert_eq!(ring.active().unwrap().kid(), new);
/// assert!(ring.key(&old).is_some()); // still verifies
/// ring.retire(&old, t0)?;
/// assert!(ring.key(&old).unwrap().retired().is_some());
/// assert!(ring.retire(&new, t0).is_err()); // the minting key cannot be retired
///
/// let json = serde_json::to_string(&ring).unwrap();
/// let back: KeyRing = serde_json::from_str(&json).unwrap();
/// assert_eq!(back.active().unwrap().kid(), new);
/// # Ok::<(), ram_sts::StsError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct KeyRing {
    active: Option<String>,
    keys: Vec<Arc<Key>>,
}

impl Section for KeyRing {
    const NAME: &'static str = "StsKeys";
}

impl KeyRing {
    /// An empty ring: verifies nothing, mints nothing.
    pub fn new() -> KeyRing {
        KeyRing::default()
    }

    /// A ring with one new active key.
    pub fn generate(algorithm: Algorithm, now: Timestamp) -> Result<KeyRing, StsError> {
        let mut ring = KeyRing::new();
        ring.rotate(algorithm, now)?;
        Ok(ring)
    }

    /// Adds a new key of `algorithm` that mints from now on; returns its key id. The other
    /// keys keep verifying.
    pub fn rotate(&mut self, algorithm: Algorithm, now: Timestamp) -> Result<&str, StsError> {
        let mut key = Key::generate(algorithm, now)?;
        while self.key(&key.kid).is_some() {
            key = Key::generate(algorithm, now)?;
        }
        self.add(key)
    }

    /// Adds a key (e.g. one built elsewhere) and makes it the active key; its id must be new.
    fn add(&mut self, key: Key) -> Result<&str, StsError> {
        if !key.has_secret() {
            return Err(StsError::NoSecret(key.kid.clone()));
        }
        self.active = Some(key.kid.clone());
        self.keys.push(Arc::new(key));
        Ok(self.active.as_deref().unwrap_or_default())
    }

    /// Retires a key: every token it signed is refused from now on, and its secret is
    /// dropped. The active key cannot be retired (rotate first). Retiring a retired key does
    /// nothing.
    pub fn retire(&mut self, kid: &str, now: Timestamp) -> Result<(), StsError> {
        if self.active.as_deref() == Some(kid) {
            return Err(StsError::RetireActiveKey(kid.to_owned()));
        }
        let slot = self
            .keys
            .iter_mut()
            .find(|k| k.kid == kid)
            .ok_or_else(|| StsError::KeyNotFound(kid.to_owned()))?;
        if slot.retired.is_none() {
            *slot = Arc::new(Key::from_parts(
                slot.kid.clone(),
                slot.algorithm,
                slot.created,
                Some(now),
                None,
                None,
            )?);
        }
        Ok(())
    }

    /// The key that mints.
    pub fn active(&self) -> Option<&Arc<Key>> {
        self.active.as_deref().and_then(|kid| self.key(kid))
    }

    /// A key by id (retired ones included).
    pub fn key(&self, kid: &str) -> Option<&Arc<Key>> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Every key, oldest first.
    pub fn keys(&self) -> impl Iterator<Item = &Arc<Key>> {
        self.keys.iter()
    }

    /// What a verify-only replica needs: the Ed25519 public keys (and the retired ids).
    /// HMAC keys have no public part and are left out; nothing mints.
    ///
    /// ```
    /// use ram_sts::key::{Algorithm, KeyRing};
    ///
    /// let ring = KeyRing::generate(Algorithm::Ed25519, jiff::Timestamp::UNIX_EPOCH)?;
    /// let public = ring.public_only();
    /// assert!(public.active().is_none());
    /// assert!(!public.keys().next().unwrap().has_secret());
    /// # Ok::<(), ram_sts::StsError>(())
    /// ```
    pub fn public_only(&self) -> KeyRing {
        let keys = self
            .keys
            .iter()
            .filter(|k| k.algorithm == Algorithm::Ed25519 || k.retired.is_some())
            .map(|k| {
                let pk = k.public_key();
                Key::from_parts(k.kid.clone(), k.algorithm, k.created, k.retired, None, pk).map(Arc::new)
            })
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_default();
        KeyRing { active: None, keys }
    }

    fn stored(&self) -> StoredKeyRing {
        StoredKeyRing {
            active: self.active.clone(),
            keys: self.keys.iter().map(|k| k.stored()).collect(),
        }
    }

    fn from_stored(s: StoredKeyRing) -> Result<KeyRing, StsError> {
        let decode = |kid: &str, what: &str, text: &Option<String>| -> Result<Option<[u8; 32]>, StsError> {
            text.as_deref()
                .map(|t| {
                    Base64::decode_vec(t)
                        .ok()
                        .and_then(|b| <[u8; 32]>::try_from(b).ok())
                        .ok_or_else(|| {
                            StsError::InvalidKeyRing(format!("key {kid:?}: {what} is not 32 bytes of base64"))
                        })
                })
                .transpose()
        };
        let mut keys: Vec<Arc<Key>> = Vec::with_capacity(s.keys.len());
        for k in s.keys {
            if keys.iter().any(|o| o.kid == k.kid) {
                return Err(StsError::InvalidKeyRing(format!("key id {:?} appears twice", k.kid)));
            }
            let secret = decode(&k.kid, "Secret", &k.secret)?;
            let public = decode(&k.kid, "PublicKey", &k.public_key)?;
            keys.push(Arc::new(Key::from_parts(
                k.kid,
                k.algorithm,
                k.created,
                k.retired,
                secret,
                public,
            )?));
        }
        if let Some(a) = &s.active {
            match keys.iter().find(|k| &k.kid == a) {
                Some(k) if k.retired.is_none() && k.has_secret() => {}
                _ => {
                    return Err(StsError::InvalidKeyRing(format!(
                        "the active key {a:?} is missing, retired or without its secret"
                    )));
                }
            }
        }
        Ok(KeyRing { active: s.active, keys })
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct StoredKey {
    #[serde(rename = "KeyId")]
    kid: String,
    algorithm: Algorithm,
    created: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retired: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    public_key: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct StoredKeyRing {
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    keys: Vec<StoredKey>,
}

impl Serialize for KeyRing {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.stored().serialize(s)
    }
}

impl<'de> Deserialize<'de> for KeyRing {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<KeyRing, D::Error> {
        KeyRing::from_stored(StoredKeyRing::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_round_trips_and_checks() {
        let t = Timestamp::UNIX_EPOCH;
        let mut ring = KeyRing::generate(Algorithm::Ed25519, t).unwrap();
        ring.rotate(Algorithm::HmacSha256, t).unwrap();
        let json = serde_json::to_value(&ring).unwrap();
        let back: KeyRing = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), json);
        let mut bad = json.clone();
        bad["Keys"][0]["PublicKey"] = serde_json::Value::String(Base64::encode_string(&[9u8; 32]));
        assert!(serde_json::from_value::<KeyRing>(bad).is_err());
        let mut bad = json.clone();
        bad["Active"] = serde_json::Value::String("nope".into());
        assert!(serde_json::from_value::<KeyRing>(bad).is_err());
        let mut bad = json;
        bad["Keys"][1]["KeyId"] = bad["Keys"][0]["KeyId"].clone();
        assert!(serde_json::from_value::<KeyRing>(bad).is_err());
        assert!(!format!("{ring:?}").contains(&Base64::encode_string(&ring.keys[0].secret.unwrap())));
    }
}
