//! Condition operators and their evaluation against a request context (spec section 3).

use std::fmt;
use std::str::FromStr;

use allocator_api2::alloc::{Allocator, Global};
use ipnet::IpNet;

use crate::context::{ContextValue, RequestContext};
use crate::glob::Glob;
use crate::name_table::Name;
use crate::table_memory::{TableMemory, slice_in};
use crate::value::{Decimal, Instant};

/// The 21 condition operators of the RAM policy language. Names are case-sensitive.
///
/// ```
/// use ram_core::Operator;
///
/// let op: Operator = "NotIpAddress".parse().unwrap();
/// assert!(op.is_negated());
/// assert!("StringEqualsIfExists".parse::<Operator>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operator {
    /// Exact, case-sensitive string equality (`*` is literal).
    StringEquals,
    /// Negation of `StringEquals`.
    StringNotEquals,
    /// Equality of the Unicode lower-case forms.
    StringEqualsIgnoreCase,
    /// Negation of `StringEqualsIgnoreCase`.
    StringNotEqualsIgnoreCase,
    /// Case-sensitive glob (`*`, `?`).
    StringLike,
    /// Negation of `StringLike`.
    StringNotLike,
    /// Exact decimal equality.
    NumericEquals,
    /// Negation of `NumericEquals`.
    NumericNotEquals,
    /// Request value < policy value.
    NumericLessThan,
    /// Request value <= policy value.
    NumericLessThanEquals,
    /// Request value > policy value.
    NumericGreaterThan,
    /// Request value >= policy value.
    NumericGreaterThanEquals,
    /// Same instant.
    DateEquals,
    /// Negation of `DateEquals`.
    DateNotEquals,
    /// Request instant before the policy's.
    DateLessThan,
    /// Request instant at or before the policy's.
    DateLessThanEquals,
    /// Request instant after the policy's.
    DateGreaterThan,
    /// Request instant at or after the policy's.
    DateGreaterThanEquals,
    /// Boolean equality (`"true"` / `"false"`).
    Bool,
    /// Request IP inside one of the blocks.
    IpAddress,
    /// Negation of `IpAddress`.
    NotIpAddress,
}

/// What an operator's values must parse as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Any string.
    String,
    /// A decimal number `-?[0-9]+(\.[0-9]+)?`.
    Numeric,
    /// An RFC 3339 instant or a date.
    Date,
    /// `"true"` or `"false"`.
    Bool,
    /// An IP address or CIDR block.
    Ip,
}

impl Family {
    /// What a value of this family must look like, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Family::String => "a string",
            Family::Numeric => {
                "a decimal number such as \"10\", \"-3\" or \"2.5\" (no exponent, sign '+', NaN or infinity)"
            }
            Family::Date => {
                "an RFC 3339 instant such as \"2024-01-01T00:00:00Z\" or \"2019-08-12T17:00:00+08:00\", or a date such as \"2024-01-01\""
            }
            Family::Bool => "\"true\" or \"false\"",
            Family::Ip => "an IPv4 or IPv6 address or CIDR block such as \"192.0.2.0/24\"",
        }
    }
}

/// A name that is not one of the 21 operators.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown condition operator")]
pub struct UnknownOperator;

impl Operator {
    /// Every operator, in the order of the spec's table.
    pub const ALL: [Operator; 21] = [
        Operator::StringEquals,
        Operator::StringNotEquals,
        Operator::StringEqualsIgnoreCase,
        Operator::StringNotEqualsIgnoreCase,
        Operator::StringLike,
        Operator::StringNotLike,
        Operator::NumericEquals,
        Operator::NumericNotEquals,
        Operator::NumericLessThan,
        Operator::NumericLessThanEquals,
        Operator::NumericGreaterThan,
        Operator::NumericGreaterThanEquals,
        Operator::DateEquals,
        Operator::DateNotEquals,
        Operator::DateLessThan,
        Operator::DateLessThanEquals,
        Operator::DateGreaterThan,
        Operator::DateGreaterThanEquals,
        Operator::Bool,
        Operator::IpAddress,
        Operator::NotIpAddress,
    ];

    /// The operator's name as written in policies.
    pub fn as_str(self) -> &'static str {
        use Operator::*;
        match self {
            StringEquals => "StringEquals",
            StringNotEquals => "StringNotEquals",
            StringEqualsIgnoreCase => "StringEqualsIgnoreCase",
            StringNotEqualsIgnoreCase => "StringNotEqualsIgnoreCase",
            StringLike => "StringLike",
            StringNotLike => "StringNotLike",
            NumericEquals => "NumericEquals",
            NumericNotEquals => "NumericNotEquals",
            NumericLessThan => "NumericLessThan",
            NumericLessThanEquals => "NumericLessThanEquals",
            NumericGreaterThan => "NumericGreaterThan",
            NumericGreaterThanEquals => "NumericGreaterThanEquals",
            DateEquals => "DateEquals",
            DateNotEquals => "DateNotEquals",
            DateLessThan => "DateLessThan",
            DateLessThanEquals => "DateLessThanEquals",
            DateGreaterThan => "DateGreaterThan",
            DateGreaterThanEquals => "DateGreaterThanEquals",
            Bool => "Bool",
            IpAddress => "IpAddress",
            NotIpAddress => "NotIpAddress",
        }
    }

    /// The family that decides how values parse.
    pub fn family(self) -> Family {
        use Operator::*;
        match self {
            StringEquals
            | StringNotEquals
            | StringEqualsIgnoreCase
            | StringNotEqualsIgnoreCase
            | StringLike
            | StringNotLike => Family::String,
            NumericEquals
            | NumericNotEquals
            | NumericLessThan
            | NumericLessThanEquals
            | NumericGreaterThan
            | NumericGreaterThanEquals => Family::Numeric,
            DateEquals
            | DateNotEquals
            | DateLessThan
            | DateLessThanEquals
            | DateGreaterThan
            | DateGreaterThanEquals => Family::Date,
            Bool => Family::Bool,
            IpAddress | NotIpAddress => Family::Ip,
        }
    }

    /// Negated operators hold when no (request value, policy value) pair matches, and when
    /// the key is absent from the request.
    pub fn is_negated(self) -> bool {
        use Operator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
        )
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Operator {
    type Err = UnknownOperator;

    fn from_str(s: &str) -> Result<Operator, UnknownOperator> {
        Operator::ALL
            .into_iter()
            .find(|op| op.as_str() == s)
            .ok_or(UnknownOperator)
    }
}

impl serde::Serialize for Operator {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The policy's values for one key, parsed for the operator's family.
#[derive(Clone, Debug, PartialEq)]
pub enum ConditionValues {
    /// String operators: the values as written.
    Strings(Vec<String>),
    /// Numeric operators.
    Numbers(Vec<Decimal>),
    /// Date operators.
    Instants(Vec<Instant>),
    /// `Bool`: exactly one value.
    Bool(bool),
    /// IP operators: blocks (a single address is a block of one).
    Blocks(Vec<IpNet>),
}

/// One `Operator: {Key: values}` test of a statement's `Condition` block.
///
/// ```
/// use ram_core::{Condition, ConditionValues, Operator, RequestContext};
///
/// let c = Condition::new(Operator::Bool, "acs:SecureTransport", ConditionValues::Bool(true));
/// assert!(c.holds(&RequestContext::builder().secure_transport(true).build()));
/// assert!(!c.holds(&RequestContext::new()));
/// ```
#[derive(Clone, Debug)]
pub struct Condition {
    compiled: CompiledCondition<Global>,
    values: ConditionValues,
}

/// What deciding a condition reads: the operator, the key in lower case (inline up to
/// [`crate::name_table::INLINE`] bytes, as most keys are) and the policy's values prepared for
/// the operator, in a slice of the allocator `A`; and the key as written, for explanations.
///
/// A [`Condition`] (a parsed document's) holds one on the global heap. A compiled statement
/// holds a copy in the tables' pool ([`CompiledCondition::new_in`] with [`TableMemory`]):
/// a statement's conditions are compiled with its policy, and in a large directory the
/// global heap that a policy is compiled in has been fragmented by the directory, so the
/// conditions' blocks (the conditions, their keys, their values: three or four per condition)
/// landed in holes scattered over hundreds of megabytes, each a cache and TLB miss to a check
/// that evaluated the condition. In the pool they lie together with the statements, on a few
/// huge pages. W-directory at 100,000 users (stop 19): the checks that reach a statement whose
/// condition fails (4.6% of them) took 630–790 ns at the median before, 480–690 ns after; a
/// check's p99 went from 1.09 to 0.72 µs and its median 31 ns down (8 alternating
/// `latency --quick` pairs), with no change at 100 users. (Values longer than the inline
/// limit, and globs other than the common shapes, still keep their bytes on the global heap.)
#[derive(Clone, Debug)]
pub(crate) struct CompiledCondition<A: Allocator + Clone = TableMemory> {
    operator: Operator,
    key_lower: Name,
    values: Prepared<A>,
    key: Box<str>,
}

/// A block of `A` holding a condition's values.
type Slice<T, A> = allocator_api2::boxed::Box<[T], A>;

/// A condition's values in the form its operator matches them, computed once.
#[derive(Clone, Debug)]
enum Prepared<A: Allocator + Clone> {
    /// The values as written: `StringEquals`, `StringNotEquals` (and any other operator given
    /// strings through [`Condition::new`], which compares them as `StringEquals` does).
    Strings(Slice<Name, A>),
    /// The `IgnoreCase` operators: the values in lower case.
    Lowered(Slice<Name, A>),
    /// `StringLike`, `StringNotLike`.
    Globs(Slice<Glob, A>),
    Numbers(Slice<Decimal, A>),
    Instants(Slice<Instant, A>),
    Bool(bool),
    Blocks(Slice<IpNet, A>),
}

impl Condition {
    /// A condition; the values must be of the operator's family (the parser guarantees it).
    pub fn new(operator: Operator, key: impl Into<String>, values: ConditionValues) -> Condition {
        Condition {
            compiled: CompiledCondition::new_in(operator, &key.into(), &values, Global),
            values,
        }
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.compiled.operator()
    }

    /// The key as written in the policy.
    pub fn key(&self) -> &str {
        self.compiled.key()
    }

    /// The policy's values.
    pub fn values(&self) -> &ConditionValues {
        &self.values
    }

    /// Whether the condition holds for the request context.
    #[inline]
    pub fn holds(&self, context: &RequestContext) -> bool {
        self.compiled.holds(context)
    }

    /// The condition compiled into the tables' pool, for a compiled statement to keep.
    pub(crate) fn compile(&self) -> CompiledCondition {
        CompiledCondition::new_in(self.operator(), self.key(), &self.values, TableMemory)
    }
}

impl<A: Allocator + Clone> Prepared<A> {
    /// Where the values are (none for `Bool`).
    #[cfg(test)]
    fn addr(&self) -> Option<usize> {
        Some(match self {
            Prepared::Strings(v) | Prepared::Lowered(v) => v.as_ptr() as usize,
            Prepared::Globs(v) => v.as_ptr() as usize,
            Prepared::Numbers(v) => v.as_ptr() as usize,
            Prepared::Instants(v) => v.as_ptr() as usize,
            Prepared::Blocks(v) => v.as_ptr() as usize,
            Prepared::Bool(_) => return None,
        })
    }
}

impl<A: Allocator + Clone> CompiledCondition<A> {
    /// Compiles `operator: {key: values}` with its prepared values in `alloc`.
    fn new_in(operator: Operator, key: &str, values: &ConditionValues, alloc: A) -> CompiledCondition<A> {
        let prepared = match (values, operator) {
            (ConditionValues::Strings(v), Operator::StringEqualsIgnoreCase | Operator::StringNotEqualsIgnoreCase) => {
                Prepared::Lowered(slice_in(v.iter().map(|s| Name::new(&s.to_lowercase())), alloc))
            }
            (ConditionValues::Strings(v), Operator::StringLike | Operator::StringNotLike) => {
                Prepared::Globs(slice_in(v.iter().map(|s| Glob::new(s)), alloc))
            }
            (ConditionValues::Strings(v), _) => Prepared::Strings(slice_in(v.iter().map(|s| Name::new(s)), alloc)),
            (ConditionValues::Numbers(v), _) => Prepared::Numbers(slice_in(v.iter().cloned(), alloc)),
            (ConditionValues::Instants(v), _) => Prepared::Instants(slice_in(v.iter().cloned(), alloc)),
            (ConditionValues::Bool(b), _) => Prepared::Bool(*b),
            (ConditionValues::Blocks(v), _) => Prepared::Blocks(slice_in(v.iter().copied(), alloc)),
        };
        CompiledCondition {
            operator,
            key_lower: Name::new(&key.to_lowercase()),
            values: prepared,
            key: key.into(),
        }
    }

    /// The operator.
    pub(crate) fn operator(&self) -> Operator {
        self.operator
    }

    /// The key as written in the policy.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// Whether the condition holds for the request context.
    #[inline]
    pub(crate) fn holds(&self, context: &RequestContext) -> bool {
        let key = self.key_lower.as_bytes();
        let request = context.values_lowercase_key(key);
        let any_pair = request.iter().any(|v| self.matches(v));
        if self.operator.is_negated() {
            !any_pair
        } else {
            any_pair
        }
    }

    /// Whether one request value matches any policy value under the operator's positive
    /// relation (for a negated operator: the relation it negates).
    fn matches(&self, v: &ContextValue) -> bool {
        use Operator::*;
        match &self.values {
            Prepared::Strings(values) => values.iter().any(|p| p.is(v.raw())),
            Prepared::Lowered(lower) => lower.iter().any(|p| p.is(v.lower())),
            Prepared::Globs(globs) => globs.iter().any(|g| g.is_match(v.raw())),
            Prepared::Numbers(values) => {
                let Some(n) = v.number() else { return false };
                values.iter().any(|p| match self.operator {
                    NumericEquals | NumericNotEquals => n == p,
                    NumericLessThan => n < p,
                    NumericLessThanEquals => n <= p,
                    NumericGreaterThan => n > p,
                    NumericGreaterThanEquals => n >= p,
                    _ => false,
                })
            }
            Prepared::Instants(values) => {
                let Some(t) = v.instant() else { return false };
                values.iter().any(|p| match self.operator {
                    DateEquals | DateNotEquals => t == p,
                    DateLessThan => t < p,
                    DateLessThanEquals => t <= p,
                    DateGreaterThan => t > p,
                    DateGreaterThanEquals => t >= p,
                    _ => false,
                })
            }
            Prepared::Bool(expected) => v.boolean() == Some(*expected),
            Prepared::Blocks(blocks) => {
                let Some(ip) = v.ip() else { return false };
                blocks.iter().any(|b| b.contains(&ip))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> ConditionValues {
        ConditionValues::Strings(v.iter().map(|s| s.to_string()).collect())
    }

    fn ctx(pairs: &[(&str, &str)]) -> RequestContext {
        let mut b = RequestContext::builder();
        for (k, v) in pairs {
            b = b.add(k, v);
        }
        b.build()
    }

    #[test]
    fn operator_names_round_trip_and_are_case_sensitive() {
        for op in Operator::ALL {
            assert_eq!(op.as_str().parse::<Operator>(), Ok(op));
            assert!(op.as_str().to_lowercase().parse::<Operator>().is_err());
        }
        for bad in [
            "Null",
            "ArnLike",
            "ForAnyValue:StringEquals",
            "StringEqualsIfExists",
            "",
        ] {
            assert!(bad.parse::<Operator>().is_err());
        }
    }

    #[test]
    fn string_equals_is_exact_and_literal() {
        let c = Condition::new(Operator::StringEquals, "acs:SourceVpc", strings(&["vpc-*"]));
        assert!(c.holds(&ctx(&[("acs:SourceVpc", "vpc-*")])));
        assert!(!c.holds(&ctx(&[("acs:SourceVpc", "vpc-1")])));
        assert!(!c.holds(&ctx(&[("acs:SourceVpc", "VPC-*")])));
    }

    #[test]
    fn ignore_case_uses_unicode_lowercase() {
        let c = Condition::new(Operator::StringEqualsIgnoreCase, "a:b", strings(&["ÄBC"]));
        assert!(c.holds(&ctx(&[("a:b", "äbc")])));
        let n = Condition::new(Operator::StringNotEqualsIgnoreCase, "a:b", strings(&["ÄBC"]));
        assert!(!n.holds(&ctx(&[("a:b", "äBc")])));
        assert!(n.holds(&ctx(&[("a:b", "abc")])));
    }

    #[test]
    fn negated_operators_are_nor_and_true_when_absent() {
        let c = Condition::new(Operator::StringNotLike, "acs:SourceVpc", strings(&["vpc-*", "x"]));
        assert!(c.holds(&RequestContext::new()));
        assert!(c.holds(&ctx(&[("acs:SourceVpc", "y")])));
        assert!(!c.holds(&ctx(&[("acs:SourceVpc", "vpc-9")])));
        assert!(!c.holds(&ctx(&[("acs:SourceVpc", "y"), ("acs:SourceVpc", "x")])));
    }

    #[test]
    fn keys_compare_case_insensitively() {
        let c = Condition::new(Operator::StringEquals, "acs:PrincipalARN", strings(&["x"]));
        assert!(c.holds(&ctx(&[("ACS:principalarn", "x")])));
        let tag = Condition::new(Operator::StringEquals, "acs:ResourceTag/Équipe", strings(&["x"]));
        assert!(tag.holds(&ctx(&[("ACS:RESOURCETAG/éQUIPE", "x")])));
        assert!(!tag.holds(&ctx(&[("acs:ResourceTag/Equipe", "x")])));
    }

    #[test]
    fn unparseable_request_values_never_satisfy_positive_operators() {
        let n = Condition::new(
            Operator::NumericLessThan,
            "a:n",
            ConditionValues::Numbers(vec!["10".parse().unwrap()]),
        );
        assert!(!n.holds(&ctx(&[("a:n", "ten")])));
        assert!(n.holds(&ctx(&[("a:n", "9.99")])));
        let b = Condition::new(Operator::Bool, "a:b", ConditionValues::Bool(true));
        assert!(!b.holds(&ctx(&[("a:b", "yes")])));
        assert!(!b.holds(&ctx(&[("a:b", "1")])));
        assert!(b.holds(&ctx(&[("a:b", "true")])));
    }

    /// A parsed condition's prepared values are on the global heap. Compiled for a statement,
    /// every form of them, and a clone's, lies in the huge page pool; the key's lower case is
    /// inline.
    #[cfg(target_os = "linux")]
    #[test]
    fn prepared_values_lie_in_the_huge_page_pool_once_compiled() {
        use crate::table_memory::tests::in_huge_pool;
        let conditions = [
            Condition::new(Operator::StringEquals, "acs:SourceVpc", strings(&["vpc-1"])),
            Condition::new(Operator::StringEqualsIgnoreCase, "acs:SourceVpc", strings(&["VPC-1"])),
            Condition::new(Operator::StringLike, "acs:SourceVpc", strings(&["vpc-*"])),
            Condition::new(
                Operator::NumericLessThan,
                "a:n",
                ConditionValues::Numbers(vec!["3".parse().unwrap()]),
            ),
            Condition::new(
                Operator::DateLessThan,
                "acs:CurrentTime",
                ConditionValues::Instants(vec![crate::value::parse_instant("2026-01-01T00:00:00Z").unwrap()]),
            ),
            Condition::new(
                Operator::IpAddress,
                "acs:SourceIp",
                ConditionValues::Blocks(vec!["10.0.0.0/8".parse().unwrap()]),
            ),
        ];
        for c in &conditions {
            assert!(!in_huge_pool(c.compiled.values.addr().unwrap()), "{c:?}");
            let compiled = c.compile();
            for compiled in [&compiled, &compiled.clone()] {
                assert!(matches!(compiled.key_lower, Name::Inline { .. }), "{c:?}");
                assert!(in_huge_pool(compiled.values.addr().unwrap()), "{c:?}");
            }
        }
    }

    /// The key is matched ignoring case but reported as written, parsed and compiled alike.
    #[test]
    fn a_compiled_condition_keeps_the_key_as_written() {
        let c = Condition::new(
            Operator::IpAddress,
            "ACS:SourceIP",
            ConditionValues::Blocks(vec!["10.0.0.0/8".parse().unwrap()]),
        );
        let compiled = c.compile();
        assert_eq!((c.key(), compiled.key()), ("ACS:SourceIP", "ACS:SourceIP"));
        assert_eq!(compiled.operator(), Operator::IpAddress);
        let inside = ctx(&[("acs:sourceip", "10.1.2.3")]);
        let outside = ctx(&[("acs:sourceip", "192.0.2.1")]);
        assert!(c.holds(&inside) && compiled.holds(&inside));
        assert!(!c.holds(&outside) && !compiled.holds(&outside));
    }
}
