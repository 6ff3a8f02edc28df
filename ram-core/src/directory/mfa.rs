//! Virtual MFA: TOTP (RFC 6238) with 6 digits, a 30-second step and HMAC-SHA1, as every
//! authenticator app computes it (spec section 6; ram-facts 5.5).
//!
//! A code is accepted for the step it belongs to and one step either side (RFC 6238's
//! recommended network delay), and never for a step at or before the device's last accepted
//! step, so a code cannot be replayed within its window.

use jiff::Timestamp;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use super::error::DirectoryError;

/// Digits of a code.
pub const DIGITS: u8 = 6;
/// Seconds per step.
pub const STEP_SECONDS: u64 = 30;
/// Steps accepted either side of the current one.
pub const SKEW_STEPS: u64 = 1;
/// Bytes of a new seed (RAM's seeds are 64 base32 characters, 40 bytes).
pub const SEED_BYTES: usize = 40;

/// A fresh base32 seed (RFC 4648 alphabet, no padding) from the operating system's random
/// source: 64 characters.
pub fn new_seed() -> Result<String, getrandom::Error> {
    let mut bytes = vec![0u8; SEED_BYTES];
    getrandom::fill(&mut bytes)?;
    Ok(Secret::from(bytes).to_base32())
}

/// Checks a base32 seed decodes to 16–64 bytes (`InvalidParameter.Base32StringSeed`).
pub fn check_seed(seed: &str) -> Result<(), DirectoryError> {
    totp(seed, DIGITS).map(|_| ())
}

fn totp(seed: &str, digits: u8) -> Result<Totp, DirectoryError> {
    let bad = || {
        DirectoryError::invalid(
            "InvalidParameter.Base32StringSeed",
            "Base32StringSeed",
            "a seed is 26 to 103 base32 characters (A-Z, 2-7) encoding 16 to 64 bytes",
        )
    };
    if !seed
        .bytes()
        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    {
        return Err(bad());
    }
    let secret = Secret::try_from_base32(seed).map_err(|_| bad())?;
    if !(16..=64).contains(&secret.as_bytes().len()) {
        return Err(bad());
    }
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(digits)
        .with_step_duration(STEP_SECONDS)
        .with_skew(0)
        .with_secret(secret)
        .build()
        .map_err(|_| bad())
}

/// The step `now` falls in (0 before the Unix epoch).
pub fn step_of(now: Timestamp) -> u64 {
    u64::try_from(now.as_second()).unwrap_or(0) / STEP_SECONDS
}

/// The code an authenticator app shows for `seed` at `now` (6 digits).
pub fn code_at(seed: &str, now: Timestamp) -> Result<String, DirectoryError> {
    code_for_step(seed, step_of(now))
}

/// The code of a given step.
pub fn code_for_step(seed: &str, step: u64) -> Result<String, DirectoryError> {
    Ok(totp(seed, DIGITS)?.generate(step * STEP_SECONDS).to_string())
}

/// An RFC 6238 code with any number of digits (6–8) at a Unix time, for test vectors.
pub fn code_with_digits(seed: &str, unix_seconds: u64, digits: u8) -> Result<String, DirectoryError> {
    Ok(totp(seed, digits)?.generate(unix_seconds).to_string())
}

/// Checks a code is exactly six ASCII digits (`InvalidParameter.AuthenticationCode.Format`).
pub fn check_code_format(code: &str) -> Result<(), DirectoryError> {
    if code.len() == usize::from(DIGITS) && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(DirectoryError::invalid(
            "InvalidParameter.AuthenticationCode.Format",
            "AuthenticationCode",
            "an authentication code is exactly 6 digits",
        ))
    }
}

/// Whether `code` is the code of `step` (constant-time comparison in `totp-rs`).
fn matches(totp: &Totp, code: &str, step: u64) -> bool {
    totp.check(code, step * STEP_SECONDS).is_some()
}

fn window(now: Timestamp) -> impl Iterator<Item = u64> {
    let n = step_of(now);
    n.saturating_sub(SKEW_STEPS)..=n + SKEW_STEPS
}

/// The step `code` is valid for at `now`, if it is valid and later than `last_used`.
pub(crate) fn verify_code(seed: &str, code: &str, now: Timestamp, last_used: Option<u64>) -> Option<u64> {
    let totp = totp(seed, DIGITS).ok()?;
    window(now)
        .filter(|&s| last_used.is_none_or(|l| s > l))
        .find(|&s| matches(&totp, code, s))
}

/// For binding: the step of `code2` when `code1` and `code2` are the codes of two
/// consecutive steps, the second within the window of `now`, both later than `last_used`.
pub(crate) fn verify_consecutive(
    seed: &str,
    code1: &str,
    code2: &str,
    now: Timestamp,
    last_used: Option<u64>,
) -> Option<u64> {
    let totp = totp(seed, DIGITS).ok()?;
    window(now)
        .filter(|&s| s >= 1 && last_used.is_none_or(|l| s - 1 > l))
        .find(|&s| matches(&totp, code2, s) && matches(&totp, code1, s - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1: seed "12345678901234567890".
    const RFC_SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    const VECTORS: [(u64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn rfc6238_sha1_test_vectors() {
        assert_eq!(
            Secret::try_from_base32(RFC_SEED).unwrap().as_bytes(),
            b"12345678901234567890"
        );
        for (time, expected) in VECTORS {
            assert_eq!(code_with_digits(RFC_SEED, time, 8).unwrap(), expected, "t={time}");
            let six = code_at(RFC_SEED, Timestamp::from_second(time as i64).unwrap()).unwrap();
            assert_eq!(six, expected[2..], "t={time}");
        }
    }

    #[test]
    fn window_and_replay() {
        let t = Timestamp::from_second(1_234_567_890).unwrap();
        let n = step_of(t);
        let code = code_for_step(RFC_SEED, n).unwrap();
        assert_eq!(verify_code(RFC_SEED, &code, t, None), Some(n));
        assert_eq!(verify_code(RFC_SEED, &code, t, Some(n)), None, "replay");
        let prev = code_for_step(RFC_SEED, n - 1).unwrap();
        assert_eq!(verify_code(RFC_SEED, &prev, t, None), Some(n - 1));
        let old = code_for_step(RFC_SEED, n - 2).unwrap();
        assert_eq!(verify_code(RFC_SEED, &old, t, None), None);
        let next = code_for_step(RFC_SEED, n + 1).unwrap();
        assert_eq!(verify_code(RFC_SEED, &next, t, None), Some(n + 1));
        let future = code_for_step(RFC_SEED, n + 2).unwrap();
        assert_eq!(verify_code(RFC_SEED, &future, t, None), None);
    }

    #[test]
    fn seeds() {
        let s = new_seed().unwrap();
        assert_eq!(s.len(), 64);
        assert!(check_seed(&s).is_ok());
        assert_ne!(s, new_seed().unwrap());
        assert!(check_seed("GEZDGNBV").is_err(), "too short");
        assert!(check_seed("gezdgnbvgy3tqojqgezdgnbvgy3tqojq").is_err(), "lowercase");
        assert!(check_seed("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1").is_err(), "bad char");
        assert!(check_code_format("123456").is_ok());
        for bad in ["12345", "1234567", "12345a", "+12345", " 12345"] {
            assert!(check_code_format(bad).is_err(), "{bad}");
        }
    }
}
