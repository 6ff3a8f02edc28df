//! Checks on a request shared by `ram eval` and `ram eval --batch`: the action, the resource
//! and the context keys. Policy documents are checked by `ram-core`.

use ram_core::{Problem, RequestContext};

/// Longest piece of user text quoted back in an error message, in characters.
const QUOTE_MAX: usize = 80;

/// JSON-quotes user text for an error message, shortened to [`QUOTE_MAX`] characters.
pub fn quote(s: &str) -> String {
    let mut shown: String = s.chars().take(QUOTE_MAX).collect();
    if shown.len() < s.len() {
        shown.push('…');
    }
    // Serialising a string cannot fail.
    serde_json::to_string(&shown).unwrap_or_else(|_| String::from("\"?\""))
}

/// Checks that `action` is `<service>:<Name>`: exactly one `:` between two non-empty parts.
pub fn check_action(action: &str) -> Result<(), String> {
    let mut parts = action.split(':');
    let ok = matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(service), Some(name), None) if !service.is_empty() && !name.is_empty()
    );
    if ok {
        Ok(())
    } else {
        Err(format!(
            "action {} is not of the form <service>:<Name> (exactly one ':' between a non-empty service code \
             and a non-empty action name, e.g. \"oss:GetObject\")",
            quote(action)
        ))
    }
}

/// Checks that the resource is not empty.
pub fn check_resource(resource: &str) -> Result<(), String> {
    if resource.is_empty() {
        Err(String::from(
            "resource is empty; give the resource ARN, e.g. \"acs:oss:*:123456:bucket/b/key\", or \"*\"",
        ))
    } else {
        Ok(())
    }
}

/// Checks that a context key has the `<code>:<key>` form of every condition key.
pub fn check_context_key(key: &str) -> Result<(), String> {
    if RequestContext::is_valid_key(key) {
        Ok(())
    } else {
        Err(format!(
            "context key {} is not of the form <code>:<key> (e.g. \"acs:SourceIp\", \"oss:Prefix\")",
            quote(key)
        ))
    }
}

/// Splits a `--context KEY=VALUE` argument at its first `=` and checks the key.
pub fn split_context_arg(arg: &str) -> Result<(&str, &str), String> {
    let Some((key, value)) = arg.split_once('=') else {
        return Err(format!(
            "--context {} has no '='; expected KEY=VALUE, e.g. acs:SourceIp=203.0.113.7",
            quote(arg)
        ));
    };
    check_context_key(key)?;
    Ok((key, value))
}

/// Decodes a policy file's bytes as UTF-8 text; anything else is a problem of the document
/// itself (path `""`).
pub fn decode_policy_text(bytes: Vec<u8>) -> Result<String, Problem> {
    String::from_utf8(bytes).map_err(|e| {
        Problem::new(
            "",
            format!(
                "file is not UTF-8 text (invalid byte at offset {}); a policy document is JSON text",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions() {
        assert!(check_action("oss:GetObject").is_ok());
        assert!(check_action("oss:Get*").is_ok());
        for bad in ["", "oss", ":GetObject", "oss:", "oss:a:b", ":", "::"] {
            assert!(check_action(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn context_args_split_at_the_first_equals() {
        assert_eq!(split_context_arg("oss:Prefix=a=b").unwrap(), ("oss:Prefix", "a=b"));
        assert_eq!(split_context_arg("oss:Prefix=").unwrap(), ("oss:Prefix", ""));
        assert!(split_context_arg("oss:Prefix").is_err());
        assert!(split_context_arg("Prefix=x").is_err());
        assert!(split_context_arg("=x").is_err());
    }

    #[test]
    fn quotes_are_short_and_escaped() {
        assert_eq!(quote("a\"b"), r#""a\"b""#);
        assert_eq!(quote(&"x".repeat(200)).chars().count(), QUOTE_MAX + 3);
    }

    #[test]
    fn resources() {
        assert!(check_resource("").is_err());
        assert!(check_resource("*").is_ok());
    }
}
