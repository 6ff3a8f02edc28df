//! Glob patterns over a whole string: `*` matches any run of characters (including none,
//! `:` and `/`), `?` exactly one Unicode scalar; there is no escape (spec section 2).
//!
//! A pattern is compiled once into the cheapest matcher that decides it: a simple glob
//! (any, exact, prefix, suffix, or `head*middle*tail` with any part empty), or a general one
//! for `?` and several middle literals. The general matcher anchors the first
//! and last segments and then places every middle segment at its leftmost occurrence, which
//! is always correct for `*`-separated segments and needs no backtracking, so a match costs
//! at most O(text × pattern) and never grows exponentially.

use crate::fold::eq_folded;
use crate::name_table::Name;

/// A compiled glob pattern.
///
/// ```
/// use ram_core::Glob;
///
/// let g = Glob::new("acs:oss:*:123456:bucket/public/*");
/// assert!(g.is_match("acs:oss:cn-hangzhou:123456:bucket/public/a/b.txt"));
/// assert!(!g.is_match("acs:oss:cn-hangzhou:123456:bucket/private/a"));
///
/// let actions = Glob::ascii_case_insensitive("ecs:Describe*");
/// assert!(actions.is_match("ECS:describeInstances"));
/// ```
#[derive(Clone, Debug)]
pub struct Glob(Kind);

/// The shapes without `?` and with at most one literal between stars (`*`, `a*`, `*a`,
/// `a*b`, `*a*`, `a*b*c` and an exact literal) are [`Simple`]: almost every action and
/// resource pattern, matched from the glob alone. Every other pattern is [`General`], and so
/// is a simple shape whose head or middle is longer than a `u16` can count.
#[derive(Clone, Debug)]
enum Kind {
    Simple(Simple),
    /// Boxed, so that the common shapes keep the glob at 64 bytes.
    General(Box<General>, bool),
}

/// `head*middle*tail` (any part may be empty; `middle` only between two stars), or an exact
/// literal: the parts' bytes in one string, so that the glob takes one cache line.
///
/// A statement's globs are what a decision reads of it, and in a large directory its memory
/// is mostly out of the cache: with a separate inline [`Name`] per part (32 bytes each) a
/// `head*middle*tail` glob took 112 bytes and a statement 408, its globs spread over five
/// cache lines.
#[derive(Clone, Debug)]
struct Simple {
    /// `head`, `middle` and `tail`, one after the other (inline up to [`LITERALS`] bytes).
    literals: Name<LITERALS>,
    head: u16,
    middle: u16,
    shape: Shape,
    fold: bool,
}

/// Which parts a [`Simple`] glob has, so that the common shapes compare only what they have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// Only stars.
    Any,
    /// No star: the text must equal the literals (all of them the tail, so that a literal of
    /// any length fits the counts).
    Exact,
    /// `head*`.
    Prefix,
    /// `*tail`.
    Suffix,
    /// Any other: `head*tail`, `*middle*`, `head*middle*tail`.
    Around,
}

/// Bytes of literals a [`Simple`] glob holds inline: `Name<54>` takes 56 bytes, the glob 64.
const LITERALS: usize = 54;

impl Simple {
    /// The three parts; `literals` is split at the stars of a `str`, so each is a `str`.
    #[inline]
    fn parts(&self) -> (&[u8], &[u8], &[u8]) {
        let all = self.literals.as_bytes();
        let (head, rest) = all.split_at(usize::from(self.head));
        let (middle, tail) = rest.split_at(usize::from(self.middle));
        (head, middle, tail)
    }

    #[inline]
    fn is_match(&self, text: &str) -> bool {
        let t = text.as_bytes();
        let fold = self.fold;
        let all = self.literals.as_bytes();
        match self.shape {
            Shape::Any => return true,
            Shape::Exact => return eq(t, all, fold),
            Shape::Prefix => return t.len() >= all.len() && eq(&t[..all.len()], all, fold),
            Shape::Suffix => return t.len() >= all.len() && eq(&t[t.len() - all.len()..], all, fold),
            Shape::Around => {}
        }
        let (head, middle, tail) = self.parts();
        let (h, m) = (head.len(), tail.len());
        t.len() >= h + m
            && eq(&t[..h], head, fold)
            && eq(&t[t.len() - m..], tail, fold)
            && (middle.is_empty() || find_literal(text, self.middle_str(), middle, h, t.len() - m, fold).is_some())
    }

    /// The middle part as a `str` when the literals are on the heap (see [`find_literal`]).
    fn middle_str(&self) -> Option<&str> {
        let all = self.literals.heap_str()?;
        let start = usize::from(self.head);
        all.get(start..start + usize::from(self.middle))
    }
}

/// `head * middle[0] * ... * tail`, or a single `whole` segment when there is no `*`.
#[derive(Clone, Debug)]
struct General {
    whole: Option<Segment>,
    head: Segment,
    middle: Vec<Segment>,
    tail: Segment,
}

#[derive(Clone, Debug, Default)]
struct Segment(Vec<Piece>);

#[derive(Clone, Debug)]
enum Piece {
    Literal(Name),
    AnyChar,
}

impl Glob {
    /// A case-sensitive pattern (resources, `StringLike`).
    pub fn new(pattern: &str) -> Glob {
        Glob::build(pattern, false)
    }

    /// A pattern that ignores ASCII case (actions).
    pub fn ascii_case_insensitive(pattern: &str) -> Glob {
        Glob::build(&pattern.to_ascii_lowercase(), true)
    }

    /// Whether `pattern` contains a wildcard character.
    pub fn has_wildcard(pattern: &str) -> bool {
        pattern.bytes().any(|b| b == b'*' || b == b'?')
    }

    /// Whether the pattern matches all of `text`.
    #[inline]
    pub fn is_match(&self, text: &str) -> bool {
        match &self.0 {
            Kind::Simple(s) => s.is_match(text),
            Kind::General(g, fold) => g.is_match(text, *fold),
        }
    }

    /// Whether this pattern matches every string (it is only `*`s).
    pub fn matches_everything(&self) -> bool {
        matches!(&self.0, Kind::Simple(s) if s.shape == Shape::Any)
    }

    fn build(pattern: &str, fold: bool) -> Glob {
        let general = |g: General| Glob(Kind::General(Box::new(g), fold));
        let simple = |exact: bool, head: &str, middle: &str, tail: &str| {
            let head_len = u16::try_from(head.len()).ok()?;
            let middle_len = u16::try_from(middle.len()).ok()?;
            let shape = match (exact, head.is_empty(), middle.is_empty(), tail.is_empty()) {
                (true, ..) => Shape::Exact,
                (false, true, true, true) => Shape::Any,
                (false, false, true, true) => Shape::Prefix,
                (false, true, true, false) => Shape::Suffix,
                _ => Shape::Around,
            };
            Some(Glob(Kind::Simple(Simple {
                literals: Name::new(&[head, middle, tail].concat()),
                head: head_len,
                middle: middle_len,
                shape,
                fold,
            })))
        };
        let parts: Vec<&str> = pattern.split('*').collect();
        if pattern.contains('?') {
            return general(General::parse(&parts));
        }
        let head = parts[0];
        let tail = parts[parts.len() - 1];
        let middle: Vec<&str> = middle_literals(&parts).collect();
        let built = match (parts.len(), middle.as_slice()) {
            // An exact glob compares all its literals: its parts' counts are not used.
            (1, _) => simple(true, "", "", pattern),
            (_, []) => simple(false, head, "", tail),
            (_, [only]) => simple(false, head, only, tail),
            _ => None,
        };
        // A head or middle longer than a `u16` can count is matched by a general glob.
        built.unwrap_or_else(|| general(General::parse(&parts)))
    }
}

#[inline]
fn eq(text: &[u8], pattern: &[u8], fold: bool) -> bool {
    if fold {
        eq_folded(text, pattern)
    } else {
        text == pattern
    }
}

/// Leftmost occurrence of the literal `n` in `text[from..limit]`, as (start, end). `long` is
/// `n` as a `str` when the caller has one at hand (a literal stored on the heap); a long
/// needle without it is validated again.
fn find_literal(
    text: &str,
    long: Option<&str>,
    n: &[u8],
    from: usize,
    limit: usize,
    fold: bool,
) -> Option<(usize, usize)> {
    debug_assert!(long.is_none_or(|s| s.as_bytes() == n), "`long` is the needle");
    let hay = &text.as_bytes()[from..limit];
    if n.len() > hay.len() {
        return None;
    }
    let start = if fold {
        hay.windows(n.len()).position(|w| eq_folded(w, n))?
    } else if n.len() <= SHORT_NEEDLE {
        find_short(hay, n)?
    } else {
        // Both are valid UTF-8 (a needle is a whole literal of the pattern) and `from`/`limit`
        // are char boundaries, so `str::find` applies.
        let needle = match long {
            Some(needle) => needle,
            None => std::str::from_utf8(n).expect("a literal of a str pattern"),
        };
        text[from..limit].find(needle)?
    };
    Some((from + start, from + start + n.len()))
}

/// Needles up to this length are searched by [`find_short`], longer ones by `str::find`: at
/// least [`LITERALS`], so that an inline literal, which has no `str` at hand, is never
/// validated again on a search.
const SHORT_NEEDLE: usize = 64;

const _: () = assert!(SHORT_NEEDLE >= LITERALS && SHORT_NEEDLE >= crate::name_table::INLINE);

/// Leftmost occurrence of a short `needle` in `hay` (`needle.len() <= hay.len()`).
///
/// `str::find` builds a Two-Way searcher for every call, which costs more than the whole
/// search of a short literal in an ARN (it was the largest item of a decision's profile on
/// the W-directory workload); scanning for the first byte and comparing the rest costs at most
/// `needle × hay` byte comparisons, bounded by [`SHORT_NEEDLE`]. A match of valid UTF-8 in
/// valid UTF-8 always starts on a char boundary, so byte positions are safe to slice at.
#[inline]
fn find_short(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let Some((&first, rest)) = needle.split_first() else {
        return Some(0);
    };
    let last = hay.len() - needle.len();
    let mut i = 0;
    while i <= last {
        i += hay[i..=last].iter().position(|&b| b == first)?;
        if &hay[i + 1..i + needle.len()] == rest {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Byte length of the UTF-8 sequence that starts with `lead`.
#[inline]
fn char_width(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

impl Segment {
    fn parse(text: &str) -> Segment {
        let mut pieces = Vec::new();
        for (i, lit) in text.split('?').enumerate() {
            if i > 0 {
                pieces.push(Piece::AnyChar);
            }
            if !lit.is_empty() {
                pieces.push(Piece::Literal(Name::new(lit)));
            }
        }
        Segment(pieces)
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Matches the segment starting at char boundary `pos`; returns the end.
    fn match_at(&self, text: &str, mut pos: usize, fold: bool) -> Option<usize> {
        let t = text.as_bytes();
        for piece in &self.0 {
            match piece {
                Piece::Literal(l) => {
                    let end = pos + l.len();
                    if end > t.len() || !eq(&t[pos..end], l.as_bytes(), fold) {
                        return None;
                    }
                    pos = end;
                }
                Piece::AnyChar => {
                    if pos >= t.len() {
                        return None;
                    }
                    pos += char_width(t[pos]);
                }
            }
        }
        Some(pos)
    }

    /// Matches the segment ending at char boundary `end`; returns the start.
    fn match_back(&self, text: &str, mut end: usize, fold: bool) -> Option<usize> {
        let t = text.as_bytes();
        for piece in self.0.iter().rev() {
            match piece {
                Piece::Literal(l) => {
                    let start = end.checked_sub(l.len())?;
                    if !eq(&t[start..end], l.as_bytes(), fold) {
                        return None;
                    }
                    end = start;
                }
                Piece::AnyChar => {
                    if end == 0 {
                        return None;
                    }
                    end -= 1;
                    while !text.is_char_boundary(end) {
                        end -= 1;
                    }
                }
            }
        }
        Some(end)
    }

    /// Leftmost placement within `text[from..limit]`, as (start, end).
    fn find(&self, text: &str, from: usize, limit: usize, fold: bool) -> Option<(usize, usize)> {
        if let [Piece::Literal(l)] = self.0.as_slice() {
            return find_literal(text, l.heap_str(), l.as_bytes(), from, limit, fold);
        }
        let t = text.as_bytes();
        let mut start = from;
        while start < limit {
            if let Some(end) = self.match_at(text, start, fold) {
                if end <= limit {
                    return Some((start, end));
                }
                // A later start only ends later: nothing further can fit.
                return None;
            }
            start += char_width(t[start]);
        }
        None
    }
}

/// The non-empty parts between the first and the last of a pattern split at its stars (`**`
/// is one star).
fn middle_literals<'p>(parts: &[&'p str]) -> impl Iterator<Item = &'p str> {
    let middle = parts.get(1..parts.len().saturating_sub(1)).unwrap_or_default();
    middle.iter().copied().filter(|p| !p.is_empty())
}

impl General {
    /// The pattern split at its stars.
    fn parse(parts: &[&str]) -> General {
        let [head, .., tail] = parts else {
            return General {
                whole: Some(Segment::parse(parts.first().copied().unwrap_or_default())),
                head: Segment::default(),
                middle: Vec::new(),
                tail: Segment::default(),
            };
        };
        General {
            whole: None,
            head: Segment::parse(head),
            middle: middle_literals(parts).map(Segment::parse).collect(),
            tail: Segment::parse(tail),
        }
    }

    fn is_match(&self, text: &str, fold: bool) -> bool {
        if let Some(whole) = &self.whole {
            return whole.match_at(text, 0, fold) == Some(text.len());
        }
        let Some(mut pos) = self.head.match_at(text, 0, fold) else {
            return false;
        };
        let limit = if self.tail.is_empty() {
            text.len()
        } else {
            match self.tail.match_back(text, text.len(), fold) {
                Some(start) => start,
                None => return false,
            }
        };
        if pos > limit {
            return false;
        }
        for segment in &self.middle {
            match segment.find(text, pos, limit, fold) {
                Some((_, end)) => pos = end,
                None => return false,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// A plainly exponential reference matcher used to cross-check small cases.
    fn reference(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|i| reference(&p[1..], &t[i..])),
            Some('?') => !t.is_empty() && reference(&p[1..], &t[1..]),
            Some(c) => t.first() == Some(c) && reference(&p[1..], &t[1..]),
        }
    }

    #[test]
    fn specialised_kinds_agree_with_reference() {
        for p in PATTERNS {
            let g = Glob::new(p);
            let pc: Vec<char> = p.chars().collect();
            for t in TEXTS {
                let tc: Vec<char> = t.chars().collect();
                assert_eq!(g.is_match(t), reference(&pc, &tc), "pattern {p:?} text {t:?}");
            }
        }
    }

    /// Action patterns ignore ASCII case on both sides: every shape agrees with the reference
    /// on the lower-cased pattern and text.
    #[test]
    fn case_insensitive_kinds_agree_with_reference() {
        for p in PATTERNS {
            let pc: Vec<char> = p.to_ascii_lowercase().chars().collect();
            for pattern in [p.to_owned(), p.to_ascii_uppercase()] {
                let g = Glob::ascii_case_insensitive(&pattern);
                for t in TEXTS {
                    let tc: Vec<char> = t.to_ascii_lowercase().chars().collect();
                    for text in [t.to_owned(), t.to_ascii_uppercase()] {
                        assert_eq!(
                            g.is_match(&text),
                            reference(&pc, &tc),
                            "pattern {pattern:?} text {text:?}"
                        );
                    }
                }
            }
        }
    }

    const PATTERNS: [&str; 28] = [
        "", "*", "**", "a", "a*", "*a", "a*b", "*a*", "a?c", "?", "??", "*?", "?*", "a*?*c", "*ab*ab*", "a**b", "*é?*",
        "é*", "?é", "x*y*z", "*a*a*b", "ab*b", "a*ab", "a*b*", "*a*b", "ab*a*ba", "a**b**c", "é*é*é",
    ];

    const TEXTS: [&str; 28] = [
        "", "a", "b", "ab", "abc", "aab", "abab", "xyz", "xaybz", "é", "aé", "éé", "éa", "abb", "aab", "ababab", "zzz",
        "a?c", "a*c", "aba", "abba", "ababa", "abc", "abbc", "ééé", "éé", "aaba", "abaaba",
    ];

    #[test]
    fn star_crosses_separators_and_matches_empty() {
        assert!(Glob::new("*:Describe*").is_match("ecs:Describe"));
        assert!(Glob::new("acs:oss:*:*:bucket/*").is_match("acs:oss:::bucket/a/b/c"));
        assert!(Glob::new("acs:ram:*:123:role/x").is_match("acs:ram::123:role/x"));
    }

    #[test]
    fn question_mark_is_one_unicode_scalar() {
        assert!(Glob::new("a?c").is_match("aéc"));
        assert!(!Glob::new("a?c").is_match("ac"));
        assert!(!Glob::new("a?c").is_match("aééc"));
        assert!(Glob::new("*?").is_match("日"));
        assert!(Glob::new("?本*").is_match("日本語"));
    }

    #[test]
    fn case_rules() {
        assert!(!Glob::new("Bucket/*").is_match("bucket/x"));
        assert!(Glob::ascii_case_insensitive("OSS:Get*").is_match("oss:getobject"));
        assert!(Glob::ascii_case_insensitive("*:list?").is_match("ECS:LISTS"));
    }

    #[test]
    fn wildcards_in_text_are_plain_characters() {
        assert!(!Glob::new("a").is_match("*"));
        assert!(Glob::new("a*").is_match("a*"));
        assert!(!Glob::new("ab").is_match("a?"));
    }

    #[test]
    fn short_and_long_literal_search_agree_with_str_find() {
        let texts = [
            "",
            "a",
            "acs:ecs:cn-hangzhou:123456:p40/s2/i-bp100123",
            "acs:ecs:cn-hangzhou:123456:p12/s3/i-bp1:123456:p12/s3/x",
            "ababababababababababababababababababababababababababababababababab",
            "日本語:123456:日本",
        ];
        let needles = [
            "a",
            ":123456:p12/s3/",
            ":123456:p12/s4/",
            "abababababababababababababababababab",
            "ababababababababababababababababababababababababababababababababab",
            "本",
            ":123456:日",
            "ecs:cn-hangzhou:123456:p40/s2/i-bp100123",
        ];
        for t in texts {
            for n in needles {
                for from in 0..=t.len() {
                    if !t.is_char_boundary(from) {
                        continue;
                    }
                    let expected = t[from..].find(n).map(|s| (from + s, from + s + n.len()));
                    for long in [None, Some(n)] {
                        assert_eq!(
                            find_literal(t, long, n.as_bytes(), from, t.len(), false),
                            expected,
                            "{n:?} in {t:?} from {from}"
                        );
                    }
                }
            }
        }
        assert!(Glob::new("acs:ecs:*:123456:p12/s3/*").is_match("acs:ecs:cn-hangzhou:123456:p12/s3/i-1"));
        assert!(!Glob::new("acs:ecs:*:123456:p12/s3/*").is_match("acs:ecs:cn-hangzhou:123456:p12/s4/i-1"));
    }

    /// Literals past the inline room (on the heap, middle searched by `str::find`) and parts
    /// too long for a [`Simple`] glob's counts (a general glob) match like short ones.
    #[test]
    fn long_literals_match_like_short_ones() {
        let long = "x".repeat(70);
        let huge = "y".repeat(70_000);
        for (head, middle, tail) in [
            ("acs:", long.as_str(), ""),
            (long.as_str(), ":日本:", "/z"),
            ("", huge.as_str(), ""),
        ] {
            let g = Glob::new(&format!("{head}*{middle}*{tail}"));
            assert!(!g.matches_everything());
            assert!(g.is_match(&format!("{head}{middle}{tail}")));
            assert!(g.is_match(&format!("{head}a{middle}bé{tail}")));
            assert!(!g.is_match(&format!("{head}{}{tail}", &middle[1..])));
            assert!(!g.is_match(&format!("{head}{middle}")) || tail.is_empty());
        }
        let exact = Glob::new(&long);
        assert!(exact.is_match(&long) && !exact.is_match(&long[1..]));
        assert!(Glob::new(&huge).is_match(&huge));
        assert!(Glob::new("**").matches_everything() && Glob::new("*").is_match(""));
        assert!(matches!(Glob::new(&format!("{huge}*")).0, Kind::General(..)));
        assert!(matches!(Glob::new(&format!("{long}*{long}")).0, Kind::Simple(_)));
        assert_eq!(size_of::<Glob>(), 64);
    }

    #[test]
    fn pathological_pattern_is_linear() {
        let text = "a".repeat(10_000);
        let g = Glob::new("*a*a*a*a*a*a*a*a*b");
        let start = Instant::now();
        assert!(!g.is_match(&text));
        assert!(Glob::new("*a*a*a*a*a*a*a*a*").is_match(&text));
        assert!(!Glob::new("*a*a*a*a*a*a*a*ab*a").is_match(&text));
        assert!(!Glob::new("*a?a*a?a*a*a*a*ba*").is_match(&text));
        assert!(start.elapsed() < Duration::from_millis(50), "{:?}", start.elapsed());
    }
}
