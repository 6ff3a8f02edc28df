//! The request context: the condition keys of one request and their values.
//!
//! Every value is parsed for every family when it is added (number, instant, boolean, IP),
//! so evaluating a condition only compares. A value that does not parse for a family is
//! kept; it simply never satisfies a positive operator of that family.

use std::net::IpAddr;

use jiff::Timestamp;

use crate::value::{Decimal, Instant, canonical_ip, parse_bool, parse_instant, parse_ip};

/// Well-known global condition keys.
pub mod keys {
    /// Time the request reached the service (date).
    pub const CURRENT_TIME: &str = "acs:CurrentTime";
    /// Whether the request came over TLS (bool).
    pub const SECURE_TRANSPORT: &str = "acs:SecureTransport";
    /// The client's IP address (IP).
    pub const SOURCE_IP: &str = "acs:SourceIp";
    /// Whether the console login used MFA (bool).
    pub const MFA_PRESENT: &str = "acs:MFAPresent";
    /// The VPC the request came through (string).
    pub const SOURCE_VPC: &str = "acs:SourceVpc";
    /// The AccessKey ID that signed the request (string).
    pub const ACCESS_ID: &str = "acs:AccessId";
    /// The caller's ARN (string).
    pub const PRINCIPAL_ARN: &str = "acs:PrincipalARN";
    /// The HTTP User-Agent (string).
    pub const USER_AGENT: &str = "acs:UserAgent";
}

/// One value of a context key, with its parsed forms.
#[derive(Clone, Debug, PartialEq)]
pub struct ContextValue {
    raw: Box<str>,
    lower: Box<str>,
    number: Option<Decimal>,
    instant: Option<Instant>,
    boolean: Option<bool>,
    ip: Option<IpAddr>,
}

impl ContextValue {
    /// Parses `raw` for every family.
    pub fn parse(raw: &str) -> ContextValue {
        ContextValue {
            raw: raw.into(),
            lower: raw.to_lowercase().into(),
            number: raw.parse().ok(),
            instant: parse_instant(raw),
            boolean: parse_bool(raw),
            ip: parse_ip(raw),
        }
    }

    /// The value as given.
    pub fn raw(&self) -> &str {
        &self.raw
    }
    /// Its Unicode lower-case form.
    pub fn lower(&self) -> &str {
        &self.lower
    }
    /// As a decimal number, if it is one.
    pub fn number(&self) -> Option<&Decimal> {
        self.number.as_ref()
    }
    /// As an instant, if it is one.
    pub fn instant(&self) -> Option<&Instant> {
        self.instant.as_ref()
    }
    /// As a boolean, if it is `true` or `false`.
    pub fn boolean(&self) -> Option<bool> {
        self.boolean
    }
    /// As an IP address, if it is one (IPv4-mapped IPv6 as IPv4).
    pub fn ip(&self) -> Option<IpAddr> {
        self.ip
    }
}

/// The condition keys of one request. Key names compare case-insensitively; a key may hold
/// several values.
///
/// ```
/// use ram_core::RequestContext;
///
/// let ctx = RequestContext::builder()
///     .source_ip("203.0.113.7".parse().unwrap())
///     .secure_transport(true)
///     .add("oss:Prefix", "logs/")
///     .add("oss:Prefix", "tmp/")
///     .build();
/// assert_eq!(ctx.get("ACS:SOURCEIP").unwrap()[0].raw(), "203.0.113.7");
/// assert_eq!(ctx.get("oss:prefix").unwrap().len(), 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestContext {
    /// (lower-case key, key as given, values); few keys per request, so a scan beats hashing.
    entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq)]
struct Entry {
    key_lower: Box<str>,
    key: Box<str>,
    values: Vec<ContextValue>,
}

impl RequestContext {
    /// An empty context.
    pub fn new() -> RequestContext {
        RequestContext::default()
    }

    /// A builder with typed setters for the global keys.
    pub fn builder() -> ContextBuilder {
        ContextBuilder::default()
    }

    /// The values of `key` (any case: key names compare by their Unicode lower-case forms),
    /// if present.
    pub fn get(&self, key: &str) -> Option<&[ContextValue]> {
        let found = if key.is_ascii() {
            // An ASCII key's lower-case form is its ASCII lower-case form: no allocation.
            self.entries.iter().find(|e| e.key_lower.eq_ignore_ascii_case(key))
        } else {
            let lower = key.to_lowercase();
            self.entries.iter().find(|e| *e.key_lower == *lower)
        };
        found.map(|e| e.values.as_slice())
    }

    /// Lookup by a key already in (Unicode) lower case: the condition evaluator's path.
    #[inline]
    pub(crate) fn values_lowercase_key(&self, key_lower: &[u8]) -> &[ContextValue] {
        for e in &self.entries {
            if e.key_lower.as_bytes() == key_lower {
                return &e.values;
            }
        }
        &[]
    }

    /// Keys (as first given) and their values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[ContextValue])> {
        self.entries.iter().map(|e| (&*e.key, e.values.as_slice()))
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `key` has the `<code>:<key>` form every condition key has.
    ///
    /// ```
    /// assert!(ram_core::RequestContext::is_valid_key("acs:ResourceTag/team"));
    /// assert!(!ram_core::RequestContext::is_valid_key("SourceIp"));
    /// ```
    pub fn is_valid_key(key: &str) -> bool {
        matches!(key.split_once(':'), Some((code, name)) if !code.is_empty() && !name.is_empty())
    }

    fn entry_mut(&mut self, key: &str) -> &mut Entry {
        let lower = key.to_lowercase();
        let pos = match self.entries.iter().position(|e| *e.key_lower == *lower) {
            Some(pos) => pos,
            None => {
                self.entries.push(Entry {
                    key_lower: lower.into(),
                    key: key.into(),
                    values: Vec::new(),
                });
                self.entries.len() - 1
            }
        };
        &mut self.entries[pos]
    }

    /// Adds one value to `key` (a second value makes the key multi-valued).
    pub fn add(&mut self, key: &str, value: &str) {
        self.entry_mut(key).values.push(ContextValue::parse(value));
    }

    /// Replaces the values of `key`.
    pub fn set<I, S>(&mut self, key: &str, values: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let parsed: Vec<ContextValue> = values.into_iter().map(|v| ContextValue::parse(v.as_ref())).collect();
        self.entry_mut(key).values = parsed;
    }

    fn set_one(&mut self, key: &str, value: ContextValue) {
        self.entry_mut(key).values = vec![value];
    }
}

/// Builds a [`RequestContext`]; typed setters replace a key's values, [`ContextBuilder::add`]
/// appends one.
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ContextBuilder {
    context: RequestContext,
}

impl ContextBuilder {
    /// `acs:SourceIp`.
    pub fn source_ip(mut self, ip: IpAddr) -> Self {
        let mut v = ContextValue::parse(&ip.to_string());
        v.ip = Some(canonical_ip(ip));
        self.context.set_one(keys::SOURCE_IP, v);
        self
    }

    /// `acs:SecureTransport`.
    pub fn secure_transport(mut self, tls: bool) -> Self {
        self.context
            .set(keys::SECURE_TRANSPORT, [if tls { "true" } else { "false" }]);
        self
    }

    /// `acs:MFAPresent`.
    pub fn mfa_present(mut self, mfa: bool) -> Self {
        self.context
            .set(keys::MFA_PRESENT, [if mfa { "true" } else { "false" }]);
        self
    }

    /// `acs:CurrentTime`.
    pub fn current_time(mut self, now: Timestamp) -> Self {
        let mut v = ContextValue::parse(&now.to_string());
        v.instant = Some(Instant::from(now));
        self.context.set_one(keys::CURRENT_TIME, v);
        self
    }

    /// `acs:SourceVpc`.
    pub fn source_vpc(self, vpc: &str) -> Self {
        self.set(keys::SOURCE_VPC, vpc)
    }

    /// `acs:AccessId`.
    pub fn access_id(self, access_key_id: &str) -> Self {
        self.set(keys::ACCESS_ID, access_key_id)
    }

    /// `acs:PrincipalARN`.
    pub fn principal_arn(self, arn: &str) -> Self {
        self.set(keys::PRINCIPAL_ARN, arn)
    }

    /// `acs:UserAgent`.
    pub fn user_agent(self, agent: &str) -> Self {
        self.set(keys::USER_AGENT, agent)
    }

    /// `acs:RequestTag/<tag>`.
    pub fn request_tag(self, tag: &str, value: &str) -> Self {
        self.set(&format!("acs:RequestTag/{tag}"), value)
    }

    /// `acs:ResourceTag/<tag>`.
    pub fn resource_tag(self, tag: &str, value: &str) -> Self {
        self.set(&format!("acs:ResourceTag/{tag}"), value)
    }

    /// Replaces `key`'s values with one raw value.
    pub fn set(mut self, key: &str, value: &str) -> Self {
        self.context.set(key, [value]);
        self
    }

    /// Replaces `key`'s values with several raw values.
    pub fn set_values<I, S>(mut self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.context.set(key, values);
        self
    }

    /// Appends one raw value to `key`.
    pub fn add(mut self, key: &str, value: &str) -> Self {
        self.context.add(key, value);
        self
    }

    /// The finished context.
    pub fn build(self) -> RequestContext {
        self.context
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_setters_parse() {
        let now: Timestamp = "2024-05-01T12:00:00Z".parse().unwrap();
        let ctx = RequestContext::builder()
            .source_ip("::ffff:192.0.2.1".parse().unwrap())
            .current_time(now)
            .mfa_present(true)
            .build();
        assert_eq!(
            ctx.get(keys::SOURCE_IP).unwrap()[0].ip(),
            Some("192.0.2.1".parse().unwrap())
        );
        assert_eq!(
            ctx.get(keys::CURRENT_TIME).unwrap()[0].instant(),
            Some(&Instant::from(now))
        );
        assert_eq!(ctx.get(keys::MFA_PRESENT).unwrap()[0].boolean(), Some(true));
    }

    #[test]
    fn setters_replace_and_add_appends() {
        let ctx = RequestContext::builder()
            .set("a:b", "1")
            .set("A:B", "2")
            .add("a:b", "3")
            .build();
        let v: Vec<&str> = ctx.get("a:b").unwrap().iter().map(|v| v.raw()).collect();
        assert_eq!(v, ["2", "3"]);
        assert_eq!(ctx.iter().count(), 1);
    }

    #[test]
    fn key_names_compare_by_unicode_lower_case() {
        let ctx = RequestContext::builder()
            .set("acs:ResourceTag/Équipe", "a")
            .add("ACS:resourcetag/éQUIPE", "b")
            .build();
        assert_eq!(ctx.iter().count(), 1);
        assert_eq!(ctx.get("acs:resourcetag/ÉQUIPE").unwrap().len(), 2);
        assert_eq!(ctx.get("ACS:RESOURCETAG/équipe").unwrap().len(), 2);
        assert!(ctx.get("acs:resourcetag/equipe").is_none());
    }

    #[test]
    fn raw_values_that_do_not_parse_are_kept() {
        let ctx = RequestContext::builder().set("acs:SourceIp", "not-an-ip").build();
        let v = &ctx.get("acs:SourceIp").unwrap()[0];
        assert_eq!(v.raw(), "not-an-ip");
        assert_eq!(v.ip(), None);
    }
}
