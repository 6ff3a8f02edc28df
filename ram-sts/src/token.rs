//! Security tokens: self-contained, signed role-session claims.
//!
//! # Encoding
//!
//! `RAMSTS1.<body>.<signature>`, both parts base64url without padding, in their one
//! canonical form (a token whose base64 decodes but does not re-encode to the same text is
//! refused). The prefix is alphanumeric up to its dot, so a token never looks like a
//! command-line flag. The signature (HMAC-SHA256 tag, 32 bytes, or Ed25519 signature,
//! 64 bytes) covers the bytes `RAMSTS1.` followed by the decoded body, which is binary with
//! fixed field order, so every set of claims has exactly one encoding:
//!
//! | field | encoding |
//! | --- | --- |
//! | format | `1` (one byte) |
//! | algorithm | `1` HMAC-SHA256, `2` Ed25519 |
//! | key id | length byte, ASCII |
//! | token id | 16 random bytes |
//! | issued | i64 big-endian, Unix seconds |
//! | duration | u32 big-endian, seconds |
//! | account, role name, role id, session name | each a length byte, UTF-8 |
//! | trust digest | 8 bytes: start of SHA-256 of the role's trust policy at issue |
//! | source identity | u16 big-endian length, UTF-8 (the ARN of the caller of AssumeRole) |
//! | session policy | `0`, or `1` then u16 big-endian length and the exact policy text |
//!
//! Nothing may follow. The `AccessKeyId` is `STS.` and the token id in base62 (22
//! characters); the `AccessKeySecret` is 40 base62 characters of an HMAC-SHA256 of the signed
//! bytes under the key's access-key-secret key. Both are recomputed by any verifier that
//! holds the key, from the token alone.

use base64ct::{Base64UrlUnpadded, Encoding};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::StsError;
use crate::key::{Algorithm, Key};

/// Every token starts with this.
pub const PREFIX: &str = "RAMSTS1.";
/// Every AccessKeyId of a session starts with this.
pub const ACCESS_KEY_PREFIX: &str = "STS.";

const FORMAT: u8 = 1;

/// The longest token text accepted: a 2,048-character session policy is at most 8,192 bytes
/// of UTF-8, the other claims well under 1 KiB, and base64 adds a third. Longer input is
/// refused before it is hashed or decoded.
pub const MAX_TOKEN_LEN: usize = 16_384;

/// What a token says about its session.
///
/// ```
/// use ram_sts::token::Claims;
///
/// let c = Claims {
///     token_id: [7; 16],
///     account_id: "123456789012".into(),
///     role_name: "ops".into(),
///     role_id: "300000000000000001".into(),
///     session_name: "alice".into(),
///     issued: "2024-05-01T12:00:00Z".parse().unwrap(),
///     duration_seconds: 3600,
///     trust_digest: [0; 8],
///     source_identity: "acs:ram::123456789012:user/alice".into(),
///     session_policy: None,
/// };
/// assert_eq!(c.expiration_text(), "2024-05-01T13:00:00Z");
/// assert_eq!(c.arn(), "acs:ram::123456789012:assumed-role/ops/alice");
/// assert_eq!(c.assumed_role_id(), "300000000000000001:alice");
/// assert!(c.access_key_id().starts_with("STS."));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Claims {
    /// 16 random bytes naming this token (the cache key, and the AccessKeyId).
    #[serde(serialize_with = "hex")]
    pub token_id: [u8; 16],
    /// The account.
    pub account_id: String,
    /// The role's name.
    pub role_name: String,
    /// The role's id at issue (a role deleted and created again gets another id).
    pub role_id: String,
    /// RoleSessionName.
    pub session_name: String,
    /// When the session starts (whole seconds).
    pub issued: Timestamp,
    /// How long it lasts.
    pub duration_seconds: u32,
    /// The start of SHA-256 of the role's trust policy when the session was issued.
    #[serde(serialize_with = "hex")]
    pub trust_digest: [u8; 8],
    /// The ARN of the identity that called AssumeRole.
    pub source_identity: String,
    /// The session policy, exactly as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_policy: Option<String>,
}

fn hex<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    s.serialize_str(&text)
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the one format STS clients parse.
pub fn format_expiration(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` base62 digits of `v` (most significant first).
fn base62(mut v: u128, n: usize, out: &mut String) {
    let start = out.len();
    for _ in 0..n {
        out.push(BASE62[(v % 62) as usize] as char);
        v /= 62;
    }
    // Digits were produced least significant first.
    // SAFETY of the slice: only ASCII was pushed.
    let tail: String = out[start..].chars().rev().collect();
    out.truncate(start);
    out.push_str(&tail);
}

impl Claims {
    /// When the session ends: `issued + duration`. Valid while `now` is before it.
    pub fn expiration(&self) -> Timestamp {
        self.issued
            .checked_add(SignedDuration::from_secs(i64::from(self.duration_seconds)))
            .unwrap_or(Timestamp::MAX)
    }

    /// [`Claims::expiration`] as `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn expiration_text(&self) -> String {
        format_expiration(self.expiration())
    }

    /// `STS.` and 22 base62 characters of the token id.
    pub fn access_key_id(&self) -> String {
        let mut s = String::with_capacity(26);
        s.push_str(ACCESS_KEY_PREFIX);
        base62(u128::from_be_bytes(self.token_id), 22, &mut s);
        s
    }

    /// The session's identity: `acs:ram::<acct>:assumed-role/<Role>/<session>`.
    pub fn arn(&self) -> String {
        format!(
            "acs:ram::{}:assumed-role/{}/{}",
            self.account_id, self.role_name, self.session_name
        )
    }

    /// The form AssumeRole's response shows: `acs:ram::<acct>:role/<Role>/<session>`.
    pub fn assumed_role_user_arn(&self) -> String {
        format!(
            "acs:ram::{}:role/{}/{}",
            self.account_id, self.role_name, self.session_name
        )
    }

    /// `<RoleId>:<session>`.
    pub fn assumed_role_id(&self) -> String {
        format!("{}:{}", self.role_id, self.session_name)
    }

    fn encode_body(&self, algorithm: Algorithm, kid: &str, out: &mut Vec<u8>) -> Result<(), StsError> {
        let short = |s: &str, out: &mut Vec<u8>| -> Result<(), StsError> {
            let len = u8::try_from(s.len()).map_err(|_| StsError::Malformed("a claim is too long"))?;
            out.push(len);
            out.extend_from_slice(s.as_bytes());
            Ok(())
        };
        let long = |s: &str, out: &mut Vec<u8>| -> Result<(), StsError> {
            let len = u16::try_from(s.len()).map_err(|_| StsError::Malformed("a claim is too long"))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(s.as_bytes());
            Ok(())
        };
        out.push(FORMAT);
        out.push(algorithm.code());
        short(kid, out)?;
        out.extend_from_slice(&self.token_id);
        out.extend_from_slice(&self.issued.as_second().to_be_bytes());
        out.extend_from_slice(&self.duration_seconds.to_be_bytes());
        short(&self.account_id, out)?;
        short(&self.role_name, out)?;
        short(&self.role_id, out)?;
        short(&self.session_name, out)?;
        out.extend_from_slice(&self.trust_digest);
        long(&self.source_identity, out)?;
        match &self.session_policy {
            None => out.push(0),
            Some(p) => {
                out.push(1);
                long(p, out)?;
            }
        }
        Ok(())
    }

    /// Signs the claims with `key`: the token, and the signed bytes (for the secret).
    pub(crate) fn mint(&self, key: &Key) -> Result<Minted, StsError> {
        if self.issued.subsec_nanosecond() != 0 {
            return Err(StsError::Malformed("the issue time must be whole seconds"));
        }
        let mut signed = Vec::with_capacity(PREFIX.len() + 128 + self.source_identity.len());
        signed.extend_from_slice(PREFIX.as_bytes());
        self.encode_body(key.algorithm(), key.kid(), &mut signed)?;
        let mut sig = Vec::with_capacity(key.algorithm().signature_len());
        key.sign(&signed, &mut sig)?;
        let body = &signed[PREFIX.len()..];
        let mut token = String::with_capacity(PREFIX.len() + (body.len() + sig.len()) * 4 / 3 + 4);
        token.push_str(PREFIX);
        token.push_str(&Base64UrlUnpadded::encode_string(body));
        token.push('.');
        token.push_str(&Base64UrlUnpadded::encode_string(&sig));
        let secret = access_key_secret(&key.derive_secret(&signed)?);
        Ok(Minted { token, secret })
    }
}

/// A freshly signed token and its AccessKeySecret.
pub(crate) struct Minted {
    pub(crate) token: String,
    pub(crate) secret: String,
}

/// 40 base62 characters from 32 derived bytes.
pub(crate) fn access_key_secret(bytes: &[u8; 32]) -> String {
    let mut s = String::with_capacity(44);
    let (hi, lo) = bytes.split_at(16);
    base62(u128::from_be_bytes(hi.try_into().unwrap_or_default()), 20, &mut s);
    base62(u128::from_be_bytes(lo.try_into().unwrap_or_default()), 20, &mut s);
    s
}

/// A token split and decoded, its signature not yet checked.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// `RAMSTS1.` and the decoded body: what the signature covers.
    pub(crate) signed: Vec<u8>,
    pub(crate) signature: Vec<u8>,
    pub(crate) algorithm: Algorithm,
    /// Where the key id sits in `signed`.
    pub(crate) kid: std::ops::Range<usize>,
}

impl Parsed {
    pub(crate) fn kid(&self) -> &str {
        // The range was checked to be ASCII when parsed.
        std::str::from_utf8(&self.signed[self.kid.clone()]).unwrap_or("")
    }
}

/// Strict base64url (no padding) that must re-encode to exactly `text`.
fn decode_canonical(text: &str, out: &mut Vec<u8>) -> Result<(), StsError> {
    let decoded = Base64UrlUnpadded::decode_vec(text).map_err(|_| StsError::Malformed("not base64url"))?;
    // base64 has several texts for the last bits of a chunk; only the canonical one counts.
    if Base64UrlUnpadded::encoded_len(&decoded) != text.len()
        || Base64UrlUnpadded::encode_string(&decoded).as_bytes() != text.as_bytes()
    {
        return Err(StsError::Malformed("not canonical base64url"));
    }
    out.extend_from_slice(&decoded);
    Ok(())
}

/// Splits a token and reads its header (format, algorithm, key id).
pub(crate) fn parse(token: &str) -> Result<Parsed, StsError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(StsError::Malformed("too long"));
    }
    let rest = token
        .strip_prefix(PREFIX)
        .ok_or(StsError::Malformed("it does not start with RAMSTS1."))?;
    let (body, sig) = rest
        .split_once('.')
        .ok_or(StsError::Malformed("it has no signature part"))?;
    if body.is_empty() || sig.is_empty() {
        return Err(StsError::Malformed("a part is empty"));
    }
    let mut signed = Vec::with_capacity(PREFIX.len() + body.len() * 3 / 4 + 1);
    signed.extend_from_slice(PREFIX.as_bytes());
    decode_canonical(body, &mut signed)?;
    let mut signature = Vec::with_capacity(64);
    decode_canonical(sig, &mut signature)?;
    let b = &signed[PREFIX.len()..];
    if b.len() < 3 || b[0] != FORMAT {
        return Err(StsError::Malformed("unknown token format"));
    }
    let algorithm = Algorithm::from_code(b[1]).ok_or(StsError::Malformed("unknown signature algorithm"))?;
    if signature.len() != algorithm.signature_len() {
        return Err(StsError::Malformed("the signature has the wrong length"));
    }
    let kid_len = usize::from(b[2]);
    let start = PREFIX.len() + 3;
    let kid = start..start + kid_len;
    let kid_bytes = signed.get(kid.clone()).ok_or(StsError::Malformed("truncated"))?;
    if kid_len == 0 || kid_len > crate::key::MAX_KID_LEN || !kid_bytes.iter().all(u8::is_ascii_alphanumeric) {
        return Err(StsError::Malformed("bad key id"));
    }
    Ok(Parsed {
        signed,
        signature,
        algorithm,
        kid,
    })
}

/// Reads the claims of a token whose signature was verified.
pub(crate) fn claims(p: &Parsed) -> Result<Claims, StsError> {
    let mut r = Reader {
        bytes: &p.signed,
        at: p.kid.end,
    };
    let token_id: [u8; 16] = r.array()?;
    let issued = i64::from_be_bytes(r.array()?);
    let duration_seconds = u32::from_be_bytes(r.array()?);
    let account_id = r.short()?;
    let role_name = r.short()?;
    let role_id = r.short()?;
    let session_name = r.short()?;
    let trust_digest: [u8; 8] = r.array()?;
    let source_identity = r.long()?;
    let session_policy = match r.array::<1>()?[0] {
        0 => None,
        1 => Some(r.long()?),
        _ => return Err(StsError::Malformed("bad session policy flag")),
    };
    if r.at != r.bytes.len() {
        return Err(StsError::Malformed("trailing bytes"));
    }
    let issued = Timestamp::from_second(issued).map_err(|_| StsError::Malformed("issue time out of range"))?;
    let claims = Claims {
        token_id,
        account_id,
        role_name,
        role_id,
        session_name,
        issued,
        duration_seconds,
        trust_digest,
        source_identity,
        session_policy,
    };
    if claims
        .issued
        .checked_add(SignedDuration::from_secs(i64::from(duration_seconds)))
        .is_err()
    {
        return Err(StsError::Malformed("expiration out of range"));
    }
    Ok(claims)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], StsError> {
        let end = self.at.checked_add(n).ok_or(StsError::Malformed("truncated"))?;
        let s = self.bytes.get(self.at..end).ok_or(StsError::Malformed("truncated"))?;
        self.at = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], StsError> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    fn text(&mut self, n: usize) -> Result<String, StsError> {
        let s = self.take(n)?;
        std::str::from_utf8(s)
            .map(str::to_owned)
            .map_err(|_| StsError::Malformed("a claim is not UTF-8"))
    }

    fn short(&mut self) -> Result<String, StsError> {
        let n = usize::from(self.array::<1>()?[0]);
        self.text(n)
    }

    fn long(&mut self) -> Result<String, StsError> {
        let n = usize::from(u16::from_be_bytes(self.array()?));
        self.text(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base62_is_fixed_width_and_ordered() {
        let mut s = String::new();
        base62(0, 22, &mut s);
        assert_eq!(s, "0".repeat(22));
        let mut s = String::new();
        base62(u128::MAX, 22, &mut s);
        assert_eq!(s.len(), 22);
        let mut s = String::new();
        base62(61, 3, &mut s);
        assert_eq!(s, "00z");
        assert_eq!(access_key_secret(&[0xff; 32]).len(), 40);
    }

    #[test]
    fn non_canonical_base64_is_refused() {
        let mut out = Vec::new();
        assert!(decode_canonical("AQ", &mut out).is_ok());
        // "AR" decodes to the same byte with non-zero trailing bits.
        assert!(decode_canonical("AR", &mut Vec::new()).is_err());
        assert!(decode_canonical("AQ==", &mut Vec::new()).is_err());
        assert!(decode_canonical("A+", &mut Vec::new()).is_err());
    }
}
