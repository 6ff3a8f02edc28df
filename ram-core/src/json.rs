//! A JSON tree that keeps every member of an object, duplicates included.
//!
//! `serde_json::Value` silently keeps the last of two equal keys, but RAM's grammar makes a
//! duplicate key an error, so policy text is first read into this tree.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    /// The number as written (its textual form is only used in messages).
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in document order; duplicates are kept.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// A short description for "found ..." messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Json::Null => "null".to_owned(),
            Json::Bool(b) => format!("boolean {b}"),
            Json::Number(n) => format!("number {n}"),
            Json::String(s) => format!("string {}", quote(s)),
            Json::Array(a) if a.is_empty() => "an empty array".to_owned(),
            Json::Array(_) => "an array".to_owned(),
            Json::Object(_) => "an object".to_owned(),
        }
    }
}

/// A JSON-quoted, length-capped rendering of user text for error messages.
pub(crate) fn quote(s: &str) -> String {
    const MAX: usize = 80;
    let mut shown: String = s.chars().take(MAX).collect();
    if shown.len() < s.len() {
        shown.push('…');
    }
    let quoted = serde_json::to_string(&shown).unwrap_or_else(|_| "\"?\"".to_owned());
    // JSON escapes control characters; these others would still reorder or break the
    // line a message is printed on.
    quoted
        .chars()
        .map(|c| match c {
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
                format!("\\u{:04x}", u32::from(c))
            }
            c => c.to_string(),
        })
        .collect()
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Number(v.to_string()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(0).min(64));
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}

/// Appends one reference token to a JSON Pointer, escaping `~` and `/` (RFC 6901).
pub(crate) fn pointer(base: &str, token: &str) -> String {
    let mut out = String::with_capacity(base.len() + token.len() + 1);
    out.push_str(base);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_duplicate_members() {
        let v: Json = serde_json::from_str(r#"{"a":1,"a":[true,null,"x"]}"#).unwrap();
        let Json::Object(members) = v else { panic!() };
        assert_eq!(members.len(), 2);
        assert_eq!(members[0], ("a".into(), Json::Number("1".into())));
        assert_eq!(
            members[1].1,
            Json::Array(vec![Json::Bool(true), Json::Null, Json::String("x".into())])
        );
    }

    #[test]
    fn quote_escapes_what_could_forge_a_printed_line() {
        assert_eq!(quote("a\nb\u{7}"), r#""a\nb\u0007""#);
        assert_eq!(
            quote("evil\u{202E}txt\u{2028}x\u{2066}"),
            r#""evil\u202etxt\u2028x\u2066""#
        );
        assert_eq!(quote("été 東京"), "\"été 東京\"");
        assert_eq!(quote(&"x".repeat(100)), format!("\"{}…\"", "x".repeat(80)));
    }

    #[test]
    fn pointer_escapes_tilde_and_slash() {
        assert_eq!(
            pointer("/Condition", "acs:ResourceTag/a~b"),
            "/Condition/acs:ResourceTag~1a~0b"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        assert!(serde_json::from_str::<Json>(&text).is_err());
    }
}
