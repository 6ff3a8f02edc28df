//! Name rules of RAM entities (spec section 6) and identifier generation.

use super::error::DirectoryError;

/// Checks `value` is 1–`max` characters, each ASCII alphanumeric or in `extra`.
fn check(value: &str, max: usize, extra: &str, code: &str, field: &'static str) -> Result<(), DirectoryError> {
    let ok = (1..=max).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || extra.as_bytes().contains(&b));
    if ok {
        Ok(())
    } else {
        let allowed: String = extra.chars().map(|c| format!(" '{c}'")).collect();
        Err(DirectoryError::invalid(
            code,
            field,
            format!(
                "found {}; {field} must be 1 to {max} characters of letters, digits and{allowed}",
                crate::json::quote(value)
            ),
        ))
    }
}

/// `UserName`: 1–64 of `[A-Za-z0-9._-]`.
pub fn check_user_name(name: &str) -> Result<(), DirectoryError> {
    check(name, 64, "._-", "InvalidParameter.UserName", "UserName")
}

/// `GroupName`: 1–64 of `[A-Za-z0-9._-]`.
pub fn check_group_name(name: &str) -> Result<(), DirectoryError> {
    check(name, 64, "._-", "InvalidParameter.GroupName", "GroupName")
}

/// `RoleName`: 1–64 of `[A-Za-z0-9.-]`.
pub fn check_role_name(name: &str) -> Result<(), DirectoryError> {
    check(name, 64, ".-", "InvalidParameter.RoleName", "RoleName")
}

/// `PolicyName`: 1–128 of `[A-Za-z0-9-]`.
pub fn check_policy_name(name: &str) -> Result<(), DirectoryError> {
    check(name, 128, "-", "InvalidParameter.PolicyName", "PolicyName")
}

/// `VirtualMFADeviceName`: 1–64 of `[A-Za-z0-9._-]`.
pub fn check_mfa_device_name(name: &str) -> Result<(), DirectoryError> {
    check(
        name,
        64,
        "._-",
        "InvalidParameter.VirtualMFADeviceName",
        "VirtualMFADeviceName",
    )
}

/// An account id: 1–32 ASCII digits.
pub fn check_account_id(id: &str) -> Result<(), DirectoryError> {
    if (1..=32).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(DirectoryError::invalid(
            "InvalidParameter.AccountId",
            "AccountId",
            format!("found {}; an account id is 1 to 32 digits", crate::json::quote(id)),
        ))
    }
}

/// `n` characters drawn uniformly from `[A-Za-z0-9]` with the operating system's randomness.
pub fn random_alphanumeric(n: usize) -> Result<String, getrandom::Error> {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(n);
    let mut buf = [0u8; 64];
    while out.len() < n {
        getrandom::fill(&mut buf)?;
        // Rejection sampling: 248 = 4 * 62, so accepted bytes map uniformly.
        for &b in buf.iter().filter(|&&b| b < 248) {
            if out.len() == n {
                break;
            }
            out.push(ALPHABET[usize::from(b % 62)] as char);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        assert!(check_user_name("alice.smith-2_x").is_ok());
        assert!(check_user_name(&"a".repeat(64)).is_ok());
        assert!(check_user_name(&"a".repeat(65)).is_err());
        assert!(check_user_name("").is_err());
        assert!(check_user_name("al ice").is_err());
        assert!(check_role_name("ecs_admin").is_err());
        assert!(check_role_name("ecs-admin.1").is_ok());
        assert!(check_policy_name("My-Policy1").is_ok());
        assert!(check_policy_name("my_policy").is_err());
        assert!(check_account_id("123456789012").is_ok());
        assert!(check_account_id("12a").is_err());
        let e = check_user_name("bad name").unwrap_err();
        assert_eq!(e.code(), "InvalidParameter.UserName");
    }

    #[test]
    fn random_strings() {
        let a = random_alphanumeric(30).unwrap();
        assert_eq!(a.len(), 30);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, random_alphanumeric(30).unwrap());
    }
}
