//! Policy documents: parsing and validation into a typed model (spec section 1).
//!
//! Parsing reads the text into a JSON tree that keeps duplicate keys, then validates it as a
//! whole, collecting every problem with its JSON path. Only a document with no problem
//! becomes a [`PolicyDocument`]; it is then compiled for evaluation by
//! [`CompiledPolicy`](crate::CompiledPolicy).

use crate::condition::{Condition, ConditionValues, Family, Operator};
use crate::error::{PolicyError, Problem};
use crate::glob::Glob;
use crate::json::{Json, pointer, quote};
use crate::value::{Decimal, parse_bool, parse_instant, parse_ip_block};

/// Default size limit of a custom policy document, in characters.
pub const MAX_POLICY_CHARS: usize = 6_144;
/// Default size limit of an STS session policy, in characters.
pub const MAX_SESSION_POLICY_CHARS: usize = 2_048;

/// Which grammar a document follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// Identity policies (attached to users, groups, roles; session and guardrail policies):
    /// `Resource`/`NotResource` required, no `Principal`.
    Identity,
    /// Role trust policies: `Principal` required, `Action` must match `sts:AssumeRole`, no
    /// `Resource`, `NotResource` or `NotAction`.
    Trust,
}

/// How to parse a document: its grammar and its size limit.
///
/// ```
/// use ram_core::{ParseOptions, PolicyDocument};
///
/// let text = r#"{"Version":"1","Statement":[]}"#;
/// assert!(PolicyDocument::parse_with(text, &ParseOptions::identity().max_chars(10)).is_err());
/// assert!(PolicyDocument::parse_with(text, &ParseOptions::session()).is_ok());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    kind: PolicyKind,
    max_chars: usize,
}

impl ParseOptions {
    /// A custom identity policy, at most 6,144 characters.
    pub fn identity() -> ParseOptions {
        ParseOptions {
            kind: PolicyKind::Identity,
            max_chars: MAX_POLICY_CHARS,
        }
    }

    /// An STS session policy: identity grammar, at most 2,048 characters.
    pub fn session() -> ParseOptions {
        ParseOptions {
            kind: PolicyKind::Identity,
            max_chars: MAX_SESSION_POLICY_CHARS,
        }
    }

    /// A role trust policy, at most 6,144 characters.
    pub fn trust() -> ParseOptions {
        ParseOptions {
            kind: PolicyKind::Trust,
            max_chars: MAX_POLICY_CHARS,
        }
    }

    /// Replaces the size limit (counted in Unicode scalar values of the text).
    pub fn max_chars(mut self, max_chars: usize) -> ParseOptions {
        self.max_chars = max_chars;
        self
    }

    /// The grammar.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The size limit in characters.
    pub fn limit(&self) -> usize {
        self.max_chars
    }
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions::identity()
    }
}

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Effect {
    /// Grants, unless a `Deny` also applies.
    Allow,
    /// Refuses, whatever else allows.
    Deny,
}

impl Effect {
    /// `"Allow"` or `"Deny"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// A list of patterns that applies when a name matches any of them (`Action`, `Resource`)
/// or, when `negated`, none of them (`NotAction`, `NotResource`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatternList {
    /// `true` for `NotAction` / `NotResource`.
    pub negated: bool,
    /// The patterns as written.
    pub patterns: Vec<String>,
}

/// The `Principal` of a trust-policy statement.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Principal {
    /// `RAM`: `acs:ram::<acct>:root`, `...:user/<name>` or `...:role/<name>`.
    pub ram: Vec<String>,
    /// `Service`: `<name>.aliyuncs.com`.
    pub service: Vec<String>,
    /// `Federated`: `acs:ram::<acct>:saml-provider/<name>` or `...:oidc-provider/<name>`.
    pub federated: Vec<String>,
}

/// One statement of a valid policy.
#[derive(Clone, Debug)]
pub struct Statement {
    /// `Allow` or `Deny`.
    pub effect: Effect,
    /// `Action` or `NotAction`.
    pub action: PatternList,
    /// `Resource` or `NotResource` (absent in trust policies).
    pub resource: Option<PatternList>,
    /// `Principal` (trust policies only).
    pub principal: Option<Principal>,
    /// Every test of the `Condition` block; all must hold.
    pub conditions: Vec<Condition>,
}

/// A valid policy document.
///
/// ```
/// use ram_core::{Effect, PolicyDocument};
///
/// let doc = PolicyDocument::parse(r#"{
///   "Version": "1",
///   "Statement": [{"Effect": "Allow", "Action": "oss:Get*", "Resource": "acs:oss:*:*:bucket/public/*"}]
/// }"#).unwrap();
/// assert_eq!(doc.statements()[0].effect, Effect::Allow);
///
/// let err = PolicyDocument::parse(r#"{"Version":"2","Statment":[]}"#).unwrap_err();
/// assert_eq!(err.problems().len(), 3); // bad Version, unknown Statment, missing Statement
/// ```
#[derive(Clone, Debug)]
pub struct PolicyDocument {
    kind: PolicyKind,
    statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Parses an identity policy with the default 6,144-character limit.
    pub fn parse(text: &str) -> Result<PolicyDocument, PolicyError> {
        PolicyDocument::parse_with(text, &ParseOptions::identity())
    }

    /// Parses with the given grammar and size limit.
    pub fn parse_with(text: &str, options: &ParseOptions) -> Result<PolicyDocument, PolicyError> {
        let mut problems = Vec::new();
        let chars = text.chars().count();
        if chars > options.max_chars {
            problems.push(Problem::new(
                "",
                format!(
                    "document is {chars} characters long; at most {} allowed",
                    options.max_chars
                ),
            ));
        }
        let tree: Json = match serde_json::from_str(text) {
            Ok(tree) => tree,
            Err(e) => {
                let message = e.to_string();
                let message = match message.rfind(" at line ") {
                    Some(i) => message[..i].to_owned(),
                    None => message,
                };
                problems.push(Problem::new(
                    "",
                    format!("not valid JSON at line {}, column {}: {message}", e.line(), e.column()),
                ));
                return Err(PolicyError::Syntax {
                    line: e.line(),
                    column: e.column(),
                    message,
                    problems,
                });
            }
        };
        let mut v = Validator {
            kind: options.kind,
            problems,
        };
        let statements = v.document(&tree);
        if v.problems.is_empty() {
            Ok(PolicyDocument {
                kind: options.kind,
                statements: statements.unwrap_or_default(),
            })
        } else {
            Err(PolicyError::Invalid { problems: v.problems })
        }
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The grammar the document was validated against.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }
}

impl std::str::FromStr for PolicyDocument {
    type Err = PolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PolicyDocument::parse(s)
    }
}

struct Validator {
    kind: PolicyKind,
    problems: Vec<Problem>,
}

const TOP_KEYS: &[&str] = &["Version", "Statement"];
const IDENTITY_KEYS: &[&str] = &["Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"];
const TRUST_KEYS: &[&str] = &["Effect", "Action", "Principal", "Condition"];
const PRINCIPAL_KEYS: &[&str] = &["RAM", "Service", "Federated"];

impl Validator {
    fn problem(&mut self, path: &str, message: impl Into<String>) {
        self.problems.push(Problem::new(path, message));
    }

    /// Checks an object's members: duplicates and unknown names are problems. Returns the
    /// first occurrence of each known member.
    fn members<'a>(
        &mut self,
        path: &str,
        members: &'a [(String, Json)],
        allowed: &[&str],
        what: &str,
        misplaced: impl Fn(&str) -> Option<String>,
    ) -> Vec<(&'a str, &'a Json)> {
        let mut seen: Vec<(&str, &Json)> = Vec::new();
        for (key, value) in members {
            let at = pointer(path, key);
            if seen.iter().any(|(k, _)| *k == key.as_str()) {
                self.problem(
                    &at,
                    format!("duplicate key {}; each key may appear only once", quote(key)),
                );
                continue;
            }
            if !allowed.contains(&key.as_str()) {
                let mut message = match misplaced(key) {
                    Some(m) => m,
                    None => format!("unknown {what} element {}; allowed: {}", quote(key), allowed.join(", ")),
                };
                if let Some(s) = suggest(key, allowed) {
                    message.push_str(&format!(" (did you mean \"{s}\"?)"));
                }
                self.problem(&at, message);
            }
            seen.push((key, value));
        }
        seen.retain(|(k, _)| allowed.contains(k));
        seen
    }

    fn document(&mut self, tree: &Json) -> Option<Vec<Statement>> {
        let Json::Object(members) = tree else {
            self.problem(
                "",
                format!("found {}; a policy document must be a JSON object", tree.describe()),
            );
            return None;
        };
        let known = self.members("", members, TOP_KEYS, "top-level", |_| None);
        let get = |name: &str| known.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        match get("Version") {
            None => self.problem("", "missing required element \"Version\"; it must be the string \"1\""),
            Some(Json::String(s)) if s == "1" => {}
            Some(other) => self.problem(
                "/Version",
                format!(
                    "found {}; the only allowed Version is the string \"1\"",
                    other.describe()
                ),
            ),
        }
        match get("Statement") {
            None => {
                self.problem(
                    "",
                    "missing required element \"Statement\"; it must be an array of statements",
                );
                None
            }
            Some(Json::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(s) = self.statement(&format!("/Statement/{i}"), item) {
                        out.push(s);
                    }
                }
                Some(out)
            }
            Some(other) => {
                self.problem(
                    "/Statement",
                    format!(
                        "found {}; Statement must be an array of statement objects",
                        other.describe()
                    ),
                );
                None
            }
        }
    }

    fn statement(&mut self, path: &str, item: &Json) -> Option<Statement> {
        let Json::Object(members) = item else {
            self.problem(
                path,
                format!("found {}; a statement must be a JSON object", item.describe()),
            );
            return None;
        };
        let before = self.problems.len();
        let kind = self.kind;
        let allowed = match kind {
            PolicyKind::Identity => IDENTITY_KEYS,
            PolicyKind::Trust => TRUST_KEYS,
        };
        let known = self.members(path, members, allowed, "statement", |key| match (kind, key) {
            (PolicyKind::Identity, "Principal") => {
                Some("\"Principal\" is only allowed in role trust policies, not in identity policies".to_owned())
            }
            (PolicyKind::Trust, "Resource" | "NotResource" | "NotAction" | "NotPrincipal") => Some(format!(
                "{} is not allowed in a role trust policy; allowed: {}",
                quote(key),
                TRUST_KEYS.join(", ")
            )),
            (_, "Sid") => Some(format!(
                "\"Sid\" is not part of the RAM policy grammar; allowed: {}",
                allowed.join(", ")
            )),
            _ => None,
        });
        let get = |name: &str| known.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);

        let effect = match get("Effect") {
            None => {
                self.problem(
                    path,
                    "missing required element \"Effect\"; it must be \"Allow\" or \"Deny\"",
                );
                None
            }
            Some(Json::String(s)) if s == "Allow" => Some(Effect::Allow),
            Some(Json::String(s)) if s == "Deny" => Some(Effect::Deny),
            Some(other) => {
                self.problem(
                    &pointer(path, "Effect"),
                    format!(
                        "found {}; allowed: \"Allow\" or \"Deny\" (case-sensitive)",
                        other.describe()
                    ),
                );
                None
            }
        };

        let action = self.either(path, get("Action"), get("NotAction"), "Action", "NotAction", |v, p| {
            v.action_pattern(p)
        });
        let action = match (kind, action) {
            (PolicyKind::Trust, Some(list)) => {
                for (i, a) in list.patterns.iter().enumerate() {
                    if !Glob::ascii_case_insensitive(a).is_match("sts:AssumeRole") {
                        let at = if get("Action").is_some_and(|v| matches!(v, Json::Array(_))) {
                            pointer(&pointer(path, "Action"), &i.to_string())
                        } else {
                            pointer(path, "Action")
                        };
                        self.problem(
                            &at,
                            format!(
                                "found {}; a trust policy's Action must match \"sts:AssumeRole\"",
                                quote(a)
                            ),
                        );
                    }
                }
                Some(list)
            }
            (_, a) => a,
        };

        let resource = match kind {
            PolicyKind::Identity => self.either(
                path,
                get("Resource"),
                get("NotResource"),
                "Resource",
                "NotResource",
                |v, p| v.resource_pattern(p),
            ),
            PolicyKind::Trust => None,
        };

        let principal = match (kind, get("Principal")) {
            (PolicyKind::Trust, None) => {
                self.problem(
                    path,
                    "missing required element \"Principal\"; a trust statement must name who may assume the role",
                );
                None
            }
            (PolicyKind::Trust, Some(p)) => self.principal(&pointer(path, "Principal"), p),
            (PolicyKind::Identity, _) => None,
        };

        let conditions = match get("Condition") {
            None => Vec::new(),
            Some(c) => self.condition(&pointer(path, "Condition"), c),
        };

        if self.problems.len() > before {
            return None;
        }
        Some(Statement {
            effect: effect?,
            action: action?,
            resource,
            principal,
            conditions,
        })
    }

    /// Exactly one of `positive` / `negative`, as a string or non-empty array of strings,
    /// each element checked by `check` (which returns a message when it is not allowed).
    fn either(
        &mut self,
        path: &str,
        positive: Option<&Json>,
        negative: Option<&Json>,
        pos_name: &str,
        neg_name: &str,
        check: impl Fn(&Validator, &str) -> Option<String>,
    ) -> Option<PatternList> {
        let (negated, name, value) = match (positive, negative) {
            (Some(_), Some(_)) => {
                self.problem(
                    path,
                    format!("both \"{pos_name}\" and \"{neg_name}\" are present; a statement has exactly one of them"),
                );
                return None;
            }
            (None, None) => {
                self.problem(
                    path,
                    format!(
                        "missing \"{pos_name}\"; a statement needs exactly one of \"{pos_name}\" and \"{neg_name}\""
                    ),
                );
                return None;
            }
            (Some(v), None) => (false, pos_name, v),
            (None, Some(v)) => (true, neg_name, v),
        };
        let at = pointer(path, name);
        let patterns = self.strings(&at, value, name)?;
        let mut ok = true;
        for (p, elem_path) in &patterns {
            if let Some(message) = check(self, p) {
                self.problem(elem_path, message);
                ok = false;
            }
        }
        ok.then(|| PatternList {
            negated,
            patterns: patterns.into_iter().map(|(p, _)| p).collect(),
        })
    }

    /// A string or a non-empty array of strings, with each element's path.
    fn strings(&mut self, path: &str, value: &Json, name: &str) -> Option<Vec<(String, String)>> {
        match value {
            Json::String(s) => Some(vec![(s.clone(), path.to_owned())]),
            Json::Array(items) if items.is_empty() => {
                self.problem(
                    path,
                    format!("found an empty array; {name} must be a string or a non-empty array of strings"),
                );
                None
            }
            Json::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    let at = pointer(path, &i.to_string());
                    match item {
                        Json::String(s) => out.push((s.clone(), at)),
                        other => {
                            self.problem(
                                &at,
                                format!("found {}; every element of {name} must be a string", other.describe()),
                            );
                            ok = false;
                        }
                    }
                }
                ok.then_some(out)
            }
            other => {
                self.problem(
                    path,
                    format!(
                        "found {}; {name} must be a string or a non-empty array of strings",
                        other.describe()
                    ),
                );
                None
            }
        }
    }

    fn action_pattern(&self, a: &str) -> Option<String> {
        if a == "*" {
            return None;
        }
        let ok = matches!(a.split_once(':'), Some((svc, name)) if !svc.is_empty() && !name.is_empty() && !name.contains(':'));
        (!ok).then(|| {
            format!(
                "found {}; an action is \"*\" or \"<service>:<ActionName>\" with exactly one ':' and both parts non-empty (wildcards * and ? allowed), e.g. \"ecs:Describe*\"",
                quote(a)
            )
        })
    }

    fn resource_pattern(&self, r: &str) -> Option<String> {
        (r != "*" && !r.starts_with("acs:")).then(|| {
            format!(
                "found {}; a resource is \"*\" or an ARN starting with \"acs:\", e.g. \"acs:oss:*:123456:bucket/*\"",
                quote(r)
            )
        })
    }

    fn principal(&mut self, path: &str, value: &Json) -> Option<Principal> {
        let Json::Object(members) = value else {
            self.problem(
                path,
                format!(
                    "found {}; Principal must be an object with \"RAM\", \"Service\" or \"Federated\"",
                    value.describe()
                ),
            );
            return None;
        };
        let before = self.problems.len();
        let known = self.members(path, members, PRINCIPAL_KEYS, "Principal", |_| None);
        if known.is_empty() && self.problems.len() == before {
            self.problem(
                path,
                "Principal is empty; it needs at least one of \"RAM\", \"Service\", \"Federated\"",
            );
        }
        let mut principal = Principal::default();
        for (key, v) in known {
            let at = pointer(path, key);
            let Some(values) = self.strings(&at, v, key) else {
                continue;
            };
            for (s, elem) in values {
                let message = match key {
                    "RAM" => ram_principal_problem(&s),
                    "Service" => service_principal_problem(&s),
                    _ => federated_principal_problem(&s),
                };
                match message {
                    Some(m) => self.problem(&elem, m),
                    None => match key {
                        "RAM" => principal.ram.push(s),
                        "Service" => principal.service.push(s),
                        _ => principal.federated.push(s),
                    },
                }
            }
        }
        (self.problems.len() == before).then_some(principal)
    }

    fn condition(&mut self, path: &str, value: &Json) -> Vec<Condition> {
        let Json::Object(operators) = value else {
            self.problem(
                path,
                format!(
                    "found {}; Condition must be an object of the form {{\"Operator\": {{\"key\": value}}}}",
                    value.describe()
                ),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for (op_name, block) in operators {
            let op_path = pointer(path, op_name);
            if seen.contains(&op_name.as_str()) {
                self.problem(
                    &op_path,
                    format!("duplicate key {}; each operator may appear only once", quote(op_name)),
                );
                continue;
            }
            seen.push(op_name);
            let Ok(op) = op_name.parse::<Operator>() else {
                let names: Vec<&str> = Operator::ALL.iter().map(|o| o.as_str()).collect();
                let mut message = format!(
                    "unknown condition operator {}; allowed: {}",
                    quote(op_name),
                    names.join(", ")
                );
                if let Some(s) = suggest(op_name, &names) {
                    message.push_str(&format!(" (did you mean \"{s}\"?)"));
                }
                self.problem(&op_path, message);
                continue;
            };
            let Json::Object(keys) = block else {
                self.problem(
                    &op_path,
                    format!("found {}; an operator maps condition keys to values, e.g. {{\"acs:SourceIp\": \"192.0.2.0/24\"}}", block.describe()),
                );
                continue;
            };
            if keys.is_empty() {
                self.problem(
                    &op_path,
                    format!("operator {op} has no keys; it needs at least one condition key"),
                );
                continue;
            }
            let mut seen_keys: Vec<&str> = Vec::new();
            for (key, values) in keys {
                let key_path = pointer(&op_path, key);
                if seen_keys.contains(&key.as_str()) {
                    self.problem(
                        &key_path,
                        format!(
                            "duplicate key {}; each condition key may appear only once per operator",
                            quote(key)
                        ),
                    );
                    continue;
                }
                seen_keys.push(key);
                if !crate::RequestContext::is_valid_key(key) {
                    self.problem(
                        &key_path,
                        format!(
                            "condition key {} must have the form \"<code>:<key>\", e.g. \"acs:SourceIp\"",
                            quote(key)
                        ),
                    );
                    continue;
                }
                if let Some(values) = self.condition_values(&key_path, op, values) {
                    out.push(Condition::new(op, key.clone(), values));
                }
            }
        }
        out
    }

    fn condition_values(&mut self, path: &str, op: Operator, value: &Json) -> Option<ConditionValues> {
        let family = op.family();
        let items: Vec<(&Json, String)> = match value {
            Json::Array(items) if items.is_empty() => {
                self.problem(path, "found an empty array; a condition needs at least one value");
                return None;
            }
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (v, pointer(path, &i.to_string())))
                .collect(),
            other => vec![(other, path.to_owned())],
        };
        if family == Family::Bool && items.len() > 1 {
            self.problem(
                path,
                format!(
                    "found {} values; Bool takes exactly one value, \"true\" or \"false\"",
                    items.len()
                ),
            );
            return None;
        }
        let before = self.problems.len();
        let mut strings = Vec::new();
        let mut numbers = Vec::new();
        let mut instants = Vec::new();
        let mut blocks = Vec::new();
        let mut boolean = None;
        for (item, at) in items {
            let Json::String(s) = item else {
                self.problem(
                    &at,
                    format!(
                        "found {}; condition values are always JSON strings (write \"3600\", \"true\"); {op} expects {}",
                        item.describe(),
                        family.describe()
                    ),
                );
                continue;
            };
            let parsed = match family {
                Family::String => {
                    strings.push(s.clone());
                    true
                }
                Family::Numeric => s.parse::<Decimal>().map(|d| numbers.push(d)).is_ok(),
                Family::Date => parse_instant(s).map(|t| instants.push(t)).is_some(),
                Family::Bool => parse_bool(s).map(|b| boolean = Some(b)).is_some(),
                Family::Ip => parse_ip_block(s).map(|n| blocks.push(n)).is_some(),
            };
            if !parsed {
                self.problem(&at, format!("found {}; {op} expects {}", quote(s), family.describe()));
            }
        }
        if self.problems.len() > before {
            return None;
        }
        Some(match family {
            Family::String => ConditionValues::Strings(strings),
            Family::Numeric => ConditionValues::Numbers(numbers),
            Family::Date => ConditionValues::Instants(instants),
            Family::Bool => ConditionValues::Bool(boolean?),
            Family::Ip => ConditionValues::Blocks(blocks),
        })
    }
}

fn is_account_id(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_name(s: &str, extra: &[u8]) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

fn ram_principal_problem(s: &str) -> Option<String> {
    let ok = s
        .strip_prefix("acs:ram::")
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(acct, what)| {
            is_account_id(acct)
                && (what == "root"
                    || what.strip_prefix("user/").is_some_and(|n| is_name(n, b"._-"))
                    || what.strip_prefix("role/").is_some_and(|n| is_name(n, b".-")))
        });
    (!ok).then(|| {
        format!(
            "found {}; a RAM principal is \"acs:ram::<account-id>:root\", \"acs:ram::<account-id>:user/<UserName>\" or \"acs:ram::<account-id>:role/<RoleName>\" (no wildcards)",
            quote(s)
        )
    })
}

fn service_principal_problem(s: &str) -> Option<String> {
    let ok = s.strip_suffix(".aliyuncs.com").is_some_and(|name| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    });
    (!ok).then(|| {
        format!(
            "found {}; a service principal is \"<service>.aliyuncs.com\", e.g. \"ecs.aliyuncs.com\" (no wildcards)",
            quote(s)
        )
    })
}

fn federated_principal_problem(s: &str) -> Option<String> {
    let ok = s
        .strip_prefix("acs:ram::")
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(acct, what)| {
            is_account_id(acct)
                && (what
                    .strip_prefix("saml-provider/")
                    .or_else(|| what.strip_prefix("oidc-provider/")))
                .is_some_and(|n| is_name(n, b"._-"))
        });
    (!ok).then(|| {
        format!(
            "found {}; a federated principal is \"acs:ram::<account-id>:saml-provider/<name>\" or \"acs:ram::<account-id>:oidc-provider/<name>\"",
            quote(s)
        )
    })
}

/// The allowed name closest to `found`, when it is plausibly a typo of it.
fn suggest<'a>(found: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|a| (edit_distance(&found.to_ascii_lowercase(), &a.to_ascii_lowercase()), *a))
        .filter(|(d, a)| *d <= 2.max(a.len() / 4) && *a != found)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(text: &str) -> Vec<String> {
        PolicyDocument::parse(text)
            .unwrap_err()
            .problems()
            .iter()
            .map(|p| p.path.clone())
            .collect()
    }

    #[test]
    fn collects_every_problem_with_its_path() {
        let p = paths(
            r#"{"Version":"1","Statement":[
                {"Effect":"Allow","Action":"ecs","Resource":"x"},
                {"Effect":"Deny","Action":["a:b",3],"Resource":"*","Condition":{"IpAddress":{"acs:SourceIp":["10.0.0.1","nope"]}}}
            ]}"#,
        );
        assert_eq!(
            p,
            [
                "/Statement/0/Action",
                "/Statement/0/Resource",
                "/Statement/1/Action/1",
                "/Statement/1/Condition/IpAddress/acs:SourceIp/1"
            ]
        );
    }

    #[test]
    fn duplicate_keys_are_invalid() {
        assert_eq!(paths(r#"{"Version":"1","Version":"1","Statement":[]}"#), ["/Version"]);
        assert_eq!(
            paths(r#"{"Version":"1","Statement":[{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}]}"#),
            ["/Statement/0/Effect"]
        );
    }

    #[test]
    fn suggestions_for_typos() {
        let e = PolicyDocument::parse(r#"{"Version":"1","Statment":[]}"#).unwrap_err();
        assert!(e.problems()[0].message.contains("did you mean \"Statement\""), "{e}");
        let e = PolicyDocument::parse(
            r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqual":{"a:b":"c"}}}]}"#,
        )
        .unwrap_err();
        assert!(e.problems()[0].message.contains("did you mean \"StringEquals\""), "{e}");
    }

    #[test]
    fn trust_policy_grammar() {
        let ok = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"RAM":["acs:ram::123456789012:root"],"Service":"ecs.aliyuncs.com"}}]}"#;
        let doc = PolicyDocument::parse_with(ok, &ParseOptions::trust()).unwrap();
        assert_eq!(
            doc.statements()[0].principal.as_ref().unwrap().service,
            ["ecs.aliyuncs.com"]
        );
        assert!(
            PolicyDocument::parse(ok).is_err(),
            "Principal is invalid in an identity policy"
        );
        let bad = r#"{"Version":"1","Statement":[{"Effect":"Allow","Action":"ecs:*","Resource":"*","Principal":{"RAM":"acs:ram::*:root"}}]}"#;
        let e = PolicyDocument::parse_with(bad, &ParseOptions::trust()).unwrap_err();
        let p: Vec<&str> = e.problems().iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            p,
            [
                "/Statement/0/Resource",
                "/Statement/0/Action",
                "/Statement/0/Principal/RAM"
            ]
        );
    }

    #[test]
    fn size_limit_counts_characters() {
        let doc = format!(r#"{{"Version":"1","Statement":[],"x":"{}"}}"#, "é".repeat(10));
        let e = PolicyDocument::parse_with(&doc, &ParseOptions::identity().max_chars(20)).unwrap_err();
        assert!(e.problems()[0].message.contains("at most 20"));
        assert_eq!(e.problems().len(), 2);
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = PolicyDocument::parse("{\n  \"Version\": \"1\",,\n}").unwrap_err();
        let PolicyError::Syntax { line, .. } = e else {
            panic!("{e:?}")
        };
        assert_eq!(line, 2);
    }
}
