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

/// `NewUserName` of UpdateUser: the `UserName` rule, named after the parameter that broke it.
pub fn check_new_user_name(name: &str) -> Result<(), DirectoryError> {
    check(name, 64, "._-", "InvalidParameter.NewUserName", "NewUserName")
}

/// `GroupName`: 1–64 of `[A-Za-z0-9._-]`.
pub fn check_group_name(name: &str) -> Result<(), DirectoryError> {
    check(name, 64, "._-", "InvalidParameter.GroupName", "GroupName")
}

/// `NewGroupName` of UpdateGroup: the `GroupName` rule.
pub fn check_new_group_name(name: &str) -> Result<(), DirectoryError> {
    check(name, 64, "._-", "InvalidParameter.NewGroupName", "NewGroupName")
}

/// Free text (`DisplayName`, `Comments`, `Description`): 1–`max` characters (Unicode
/// scalar values, as the SDK docstrings count them). RAM documents no character set for
/// these; control characters are refused here so a stored value cannot forge log lines or
/// terminal output when it is printed.
pub fn check_text(value: &str, max: usize, field: &'static str) -> Result<(), DirectoryError> {
    let len = value.chars().count();
    if !(1..=max).contains(&len) {
        return Err(DirectoryError::invalid(
            &format!("InvalidParameter.{field}"),
            field,
            format!("found {len} characters; {field} must be 1 to {max} characters"),
        ));
    }
    if value.chars().any(is_forging) {
        return Err(DirectoryError::invalid(
            &format!("InvalidParameter.{field}"),
            field,
            format!(
                "found {}; {field} must not contain control characters, line or paragraph separators, or bidirectional formatting characters",
                crate::json::quote(value)
            ),
        ));
    }
    Ok(())
}

// The field checks below take the request parameter they report (`DisplayName` in
// CreateUser, `NewDisplayName` in UpdateUser), so an error names what the caller sent.

/// Characters that can make a printed value look like something else: control characters,
/// Unicode line and paragraph separators, and bidirectional overrides and isolates.
fn is_forging(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `DisplayName`: 1–128 characters (SDK docstring).
pub fn check_display_name(value: &str, field: &'static str) -> Result<(), DirectoryError> {
    check_text(value, 128, field)
}

/// `Comments` of a user or group: 1–128 characters (SDK docstring).
pub fn check_comments(value: &str, field: &'static str) -> Result<(), DirectoryError> {
    check_text(value, 128, field)
}

/// `Description` of a role or custom policy: 1–1,024 characters (SDK docstring).
pub fn check_description(value: &str, field: &'static str) -> Result<(), DirectoryError> {
    check_text(value, 1_024, field)
}

/// `MobilePhone`: `<country code>-<number>` (SDK docstring; RAM documents no lengths).
/// Chosen here: the E.164 bounds, a 1–3 digit country code and at most 15 digits in all,
/// with at least 4 digits of number.
pub fn check_mobile_phone(value: &str, field: &'static str) -> Result<(), DirectoryError> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let ok = value.split_once('-').is_some_and(|(cc, number)| {
        digits(cc) && digits(number) && cc.len() <= 3 && number.len() >= 4 && cc.len() + number.len() <= 15
    });
    if ok {
        Ok(())
    } else {
        Err(DirectoryError::invalid(
            &format!("InvalidParameter.{field}"),
            field,
            format!(
                "found {}; {field} must be <country code>-<number>, e.g. 86-13800000000 (1 to 3 digits, '-', at least 4 digits, at most 15 digits in all)",
                crate::json::quote(value)
            ),
        ))
    }
}

/// `Email`: RAM documents no format. Chosen here: at most 254 characters (RFC 5321's
/// path limit), one `@` with a non-empty local part and a domain of non-empty dot-separated
/// labels, no spaces or control characters.
pub fn check_email(value: &str, field: &'static str) -> Result<(), DirectoryError> {
    let ok = value.chars().count() <= 254
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && value.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && domain.split('.').all(|l| !l.is_empty())
        });
    if ok {
        Ok(())
    } else {
        Err(DirectoryError::invalid(
            &format!("InvalidParameter.{field}"),
            field,
            format!(
                "found {}; {field} must be an address like name@example.com (at most 254 characters, no spaces)",
                crate::json::quote(value)
            ),
        ))
    }
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
        assert_eq!(
            check_new_user_name("bad name").unwrap_err().code(),
            "InvalidParameter.NewUserName"
        );
        assert_eq!(
            check_new_group_name("").unwrap_err().code(),
            "InvalidParameter.NewGroupName"
        );
    }

    #[test]
    fn text_rules() {
        assert!(check_display_name("Alice Smith*", "DisplayName").is_ok());
        assert!(check_display_name(&"é".repeat(128), "DisplayName").is_ok());
        assert!(check_display_name(&"é".repeat(129), "DisplayName").is_err());
        assert!(check_display_name("", "DisplayName").is_err());
        let e = check_comments("line\nforged", "Comments").unwrap_err();
        assert_eq!(e.code(), "InvalidParameter.Comments");
        assert!(e.to_string().contains("control characters"), "{e}");
        for forging in ["a\u{2028}b", "a\u{202E}b", "a\u{2066}b", "a\u{7}b"] {
            assert!(check_comments(forging, "Comments").is_err(), "{forging:?}");
        }
        assert!(check_comments("été, 東京, emoji 🙂", "Comments").is_ok());
        assert!(check_comments(&"c".repeat(128), "Comments").is_ok());
        assert!(check_comments(&"c".repeat(129), "Comments").is_err());
        assert!(check_description(&"d".repeat(1_024), "Description").is_ok());
        assert_eq!(
            check_description(&"d".repeat(1_025), "NewDescription")
                .unwrap_err()
                .code(),
            "InvalidParameter.NewDescription"
        );
    }

    #[test]
    fn phone_and_email_rules() {
        for ok in ["86-13800000000", "1-5550100", "852-12345678"] {
            assert!(check_mobile_phone(ok, "MobilePhone").is_ok(), "{ok}");
        }
        for bad in [
            "13800000000",
            "86-",
            "-1380000",
            "8612-13800000",
            "86-138 0000",
            "86-1234567890123456",
            "86-123",
            "+86-13800000000",
            "86-1-3800000",
        ] {
            assert_eq!(
                check_mobile_phone(bad, "MobilePhone").unwrap_err().code(),
                "InvalidParameter.MobilePhone",
                "{bad}"
            );
        }
        for ok in ["alice@example.com", "a.b+c@mail.example.cn"] {
            assert!(check_email(ok, "Email").is_ok(), "{ok}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        for bad in [
            "alice",
            "@example.com",
            "alice@",
            "alice@example",
            "a@b@example.com",
            "a lice@example.com",
            "alice@example..com",
            long.as_str(),
        ] {
            assert_eq!(
                check_email(bad, "NewEmail").unwrap_err().code(),
                "InvalidParameter.NewEmail",
                "{bad}"
            );
        }
    }

    #[test]
    fn random_strings() {
        let a = random_alphanumeric(30).unwrap();
        assert_eq!(a.len(), 30);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(a, random_alphanumeric(30).unwrap());
    }
}
