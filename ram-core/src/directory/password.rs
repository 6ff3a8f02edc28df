//! The account's password policy (RAM 2015-05-01 field names) and argon2id password hashing.
//!
//! Hashing is deliberately slow and salted from the operating system's random source, so it
//! happens outside [`Directory::apply_at`](super::Directory::apply_at): a
//! [`Change`](super::Change) carries the finished PHC string, never the password.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

use super::error::DirectoryError;

/// The longest password accepted, in characters (ours: RAM documents no maximum).
pub const MAX_PASSWORD_CHARS: usize = 128;

/// `SetPasswordPolicy`: the rules every console password of the account must follow.
///
/// Serialized with RAM's field names, including its misspelt `MaxLoginAttemps`.
///
/// ```
/// use ram_core::directory::PasswordPolicy;
///
/// let policy = PasswordPolicy { minimum_password_length: 12, require_numbers: true, ..PasswordPolicy::default() };
/// let err = policy.check_password("short").unwrap_err();
/// assert_eq!(err.code(), "InvalidParameter.Password.TooWeak");
/// assert!(err.to_string().contains("at least 12 characters"));
/// assert!(policy.check_password("long enough 1").is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PasswordPolicy {
    /// 8–32 characters (default 8).
    pub minimum_password_length: u32,
    /// At least one lowercase letter `a`–`z`.
    pub require_lowercase_characters: bool,
    /// At least one uppercase letter `A`–`Z`.
    pub require_uppercase_characters: bool,
    /// At least one digit `0`–`9`.
    pub require_numbers: bool,
    /// At least one ASCII punctuation character (`!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~`).
    pub require_symbols: bool,
    /// Days a password stays valid, 0–1,095 (0 = never expires).
    pub max_password_age: u32,
    /// How many of the latest passwords may not be reused, 0–24 (0 = reuse allowed).
    pub password_reuse_prevention: u32,
    /// Failed logins allowed within one hour before the login profile locks for one hour,
    /// 0–32 (0 = unlimited). RAM's field name is misspelt `MaxLoginAttemps`.
    #[serde(rename = "MaxLoginAttemps")]
    pub max_login_attempts: u32,
    /// An expired password blocks console login until an administrator resets it (otherwise
    /// the user must change it at the next login).
    pub hard_expiry: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            minimum_password_length: 8,
            require_lowercase_characters: false,
            require_uppercase_characters: false,
            require_numbers: false,
            require_symbols: false,
            max_password_age: 0,
            password_reuse_prevention: 0,
            max_login_attempts: 0,
            hard_expiry: false,
        }
    }
}

fn range(value: u32, min: u32, max: u32, field: &'static str, code: &str, unit: &str) -> Result<(), DirectoryError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(DirectoryError::invalid(
            code,
            field,
            format!("found {value}; {field} must be {min} to {max}{unit}"),
        ))
    }
}

impl PasswordPolicy {
    /// Checks every field is within RAM's range (`InvalidParameter.<Field>.Range`).
    pub fn validate(&self) -> Result<(), DirectoryError> {
        range(
            self.minimum_password_length,
            8,
            32,
            "MinimumPasswordLength",
            "InvalidParameter.MinimumPasswordLength.Range",
            " characters",
        )?;
        range(
            self.max_password_age,
            0,
            1_095,
            "MaxPasswordAge",
            "InvalidParameter.MaxPasswordAge.Range",
            " days (0 = never expires)",
        )?;
        range(
            self.password_reuse_prevention,
            0,
            24,
            "PasswordReusePrevention",
            "InvalidParameter.PasswordReusePrevention.Range",
            " (0 = reuse allowed)",
        )?;
        range(
            self.max_login_attempts,
            0,
            32,
            "MaxLoginAttemps",
            "InvalidParameter.MaxLoginAttemps.Range",
            " failed attempts per hour (0 = unlimited)",
        )
    }

    /// Checks a new password against the policy. The error (`InvalidParameter.Password.TooWeak`)
    /// names every rule the password breaks and never contains the password.
    pub fn check_password(&self, password: &str) -> Result<(), DirectoryError> {
        let chars = password.chars().count();
        if chars > MAX_PASSWORD_CHARS {
            return Err(DirectoryError::invalid(
                "InvalidParameter.Password.Length",
                "Password",
                format!("a password has at most {MAX_PASSWORD_CHARS} characters"),
            ));
        }
        if password.chars().any(char::is_control) {
            return Err(DirectoryError::invalid(
                "InvalidParameter.Password.InvalidChars",
                "Password",
                "a password may not contain control characters",
            ));
        }
        let mut broken = Vec::new();
        if chars < self.minimum_password_length as usize {
            broken.push(format!(
                "at least {} characters (MinimumPasswordLength)",
                self.minimum_password_length
            ));
        }
        let mut need = |required: bool, test: fn(&char) -> bool, rule: &str| {
            if required && !password.chars().any(|c| test(&c)) {
                broken.push(rule.to_owned());
            }
        };
        need(
            self.require_lowercase_characters,
            char::is_ascii_lowercase,
            "a lowercase letter (RequireLowercaseCharacters)",
        );
        need(
            self.require_uppercase_characters,
            char::is_ascii_uppercase,
            "an uppercase letter (RequireUppercaseCharacters)",
        );
        need(self.require_numbers, char::is_ascii_digit, "a digit (RequireNumbers)");
        need(
            self.require_symbols,
            char::is_ascii_punctuation,
            "a symbol (RequireSymbols)",
        );
        if broken.is_empty() {
            Ok(())
        } else {
            Err(DirectoryError::invalid(
                "InvalidParameter.Password.TooWeak",
                "Password",
                format!("the password policy requires {}", broken.join(", ")),
            ))
        }
    }
}

/// The cost of argon2id hashing. The default is the `argon2` crate's recommendation
/// (19 MiB, 2 passes, 1 lane: OWASP's argon2id minimum); tests may use
/// [`Argon2Params::INSECURE_FAST`]. Verification always uses the parameters recorded in the
/// stored hash, so changing this never locks anyone out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub m_cost: u32,
    /// Passes.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Argon2Params {
            m_cost: Params::DEFAULT_M_COST,
            t_cost: Params::DEFAULT_T_COST,
            p_cost: Params::DEFAULT_P_COST,
        }
    }
}

impl Argon2Params {
    /// The cheapest parameters argon2 accepts: for tests only, never for real passwords.
    pub const INSECURE_FAST: Argon2Params = Argon2Params {
        m_cost: 8,
        t_cost: 1,
        p_cost: 1,
    };

    /// Largest costs accepted in a stored hash, so a forged hash cannot make a login
    /// allocate gigabytes or spin for minutes.
    const MAX_M_COST: u32 = 1 << 20;
    const MAX_T_COST: u32 = 64;
    const MAX_P_COST: u32 = 64;

    fn hasher(self) -> Result<Argon2<'static>, DirectoryError> {
        let params = Params::new(self.m_cost, self.t_cost, self.p_cost, None).map_err(|e| {
            DirectoryError::invalid(
                "InvalidParameter.Argon2Params",
                "Argon2Params",
                format!("argon2 refuses these parameters: {e}"),
            )
        })?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Checks `password` against `policy` and hashes it with argon2id at the recommended cost,
/// with a 16-byte salt from the operating system: the PHC string (`$argon2id$v=19$...`).
pub fn hash_password(password: &str, policy: &PasswordPolicy) -> Result<String, DirectoryError> {
    hash_password_with(password, policy, Argon2Params::default())
}

/// [`hash_password`] at an explicit cost.
pub fn hash_password_with(
    password: &str,
    policy: &PasswordPolicy,
    params: Argon2Params,
) -> Result<String, DirectoryError> {
    policy.check_password(password)?;
    let hasher = params.hasher()?;
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| DirectoryError::NotAllowed {
        code: "InternalError".to_owned(),
        message: "the operating system's random source failed".to_owned(),
    })?;
    let hash = hasher
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|e| DirectoryError::NotAllowed {
            code: "InternalError".to_owned(),
            message: format!("argon2 failed: {e}"),
        })?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash` (argon2's constant-time comparison).
/// A hash that does not parse, or is not argon2id within sane costs, matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    if check_hash(hash).is_err() {
        return false;
    }
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

/// Checks that a stored hash is an argon2id PHC string with a salt, an output and costs
/// within bounds (`InvalidParameter.PasswordHash`; the message never quotes the hash).
pub fn check_hash(hash: &str) -> Result<(), DirectoryError> {
    let bad = |why: &str| {
        DirectoryError::invalid(
            "InvalidParameter.PasswordHash",
            "PasswordHash",
            format!("a password hash is an argon2id PHC string ($argon2id$v=19$m=..,t=..,p=..$salt$hash): {why}"),
        )
    };
    let parsed = PasswordHash::new(hash).map_err(|_| bad("it does not parse"))?;
    if parsed.algorithm.as_str() != "argon2id" {
        return Err(bad("the algorithm is not argon2id"));
    }
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err(bad("the salt or the output is missing"));
    }
    let params = Params::try_from(&parsed).map_err(|_| bad("its parameters are invalid"))?;
    if params.m_cost() > Argon2Params::MAX_M_COST
        || params.t_cost() > Argon2Params::MAX_T_COST
        || params.p_cost() > Argon2Params::MAX_P_COST
    {
        return Err(bad("its costs exceed the accepted maximum"));
    }
    Ok(())
}

/// A fixed hash at the default cost, verified when a login names no known user so that an
/// unknown user takes as long as a wrong password.
pub(crate) fn dummy_verify(password: &str) {
    static DUMMY: std::sync::LazyLock<Option<String>> = std::sync::LazyLock::new(|| {
        Argon2Params::default()
            .hasher()
            .ok()?
            .hash_password_with_salt(b"ram dummy password", b"ram-dummy-salt16")
            .ok()
            .map(|h| h.to_string())
    });
    if let Some(hash) = DUMMY.as_deref() {
        let _ = verify_password(password, hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let policy = PasswordPolicy::default();
        let h = hash_password_with("correct horse", &policy, Argon2Params::INSECURE_FAST).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=8,t=1,p=1$"));
        assert!(check_hash(&h).is_ok());
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("correct horsE", &h));
        let h2 = hash_password_with("correct horse", &policy, Argon2Params::INSECURE_FAST).unwrap();
        assert_ne!(h, h2, "salts differ");
        assert!(!verify_password("x", "not a hash"));
        let argon2i = h.replace("$argon2id$", "$argon2i$");
        assert!(check_hash(&argon2i).is_err());
        assert!(!verify_password("correct horse", &argon2i));
    }

    #[test]
    fn default_cost_is_the_crates_recommendation() {
        assert_eq!(
            Argon2Params::default(),
            Argon2Params {
                m_cost: 19 * 1024,
                t_cost: 2,
                p_cost: 1
            }
        );
    }
}
