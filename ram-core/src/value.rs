//! Typed condition values: exact decimals, instants, booleans and IP blocks (spec section 3).
//!
//! Both sides of a condition are parsed with these functions: policy values when a policy
//! is parsed (a failure makes the document invalid), request values when the request
//! context is built (a failure just means the value never satisfies a positive operator).

use std::cmp::Ordering;
use std::net::IpAddr;

use ipnet::IpNet;
use jiff::Timestamp;

/// An exact decimal number, `-?[0-9]+(\.[0-9]+)?`, of any size.
///
/// ```
/// use ram_core::value::Decimal;
///
/// let ten: Decimal = "10".parse().unwrap();
/// assert_eq!(ten, "10.000".parse().unwrap());
/// assert!("-3".parse::<Decimal>().unwrap() < "0.5".parse().unwrap());
/// assert!("1e3".parse::<Decimal>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    negative: bool,
    /// Integer digits without leading zeros (empty for zero).
    integer: Box<str>,
    /// Fraction digits without trailing zeros.
    fraction: Box<str>,
}

/// A text that is not a decimal number of the form `-?[0-9]+(\.[0-9]+)?`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a decimal number of the form -?[0-9]+(.[0-9]+)?")]
pub struct NotADecimal;

impl std::str::FromStr for Decimal {
    type Err = NotADecimal;

    fn from_str(s: &str) -> Result<Decimal, NotADecimal> {
        let (negative, digits) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (int, frac) = match digits.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (digits, None),
        };
        let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int) || frac.is_some_and(|f| !all_digits(f)) {
            return Err(NotADecimal);
        }
        let integer = int.trim_start_matches('0');
        let fraction = frac.unwrap_or("").trim_end_matches('0');
        Ok(Decimal {
            negative: negative && !(integer.is_empty() && fraction.is_empty()),
            integer: integer.into(),
            fraction: fraction.into(),
        })
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let magnitude = self
            .integer
            .len()
            .cmp(&other.integer.len())
            .then_with(|| self.integer.cmp(&other.integer))
            .then_with(|| self.fraction.cmp(&other.fraction));
        match (self.negative, other.negative) {
            (false, false) => magnitude,
            (true, true) => magnitude.reverse(),
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Parses an RFC 3339 instant (`2019-08-12T17:00:00+08:00`, `...Z`, optional fractional
/// seconds) or a date alone (`2024-01-01`, midnight UTC).
///
/// ```
/// use ram_core::value::parse_instant;
///
/// let a = parse_instant("2019-08-12T17:00:00+08:00").unwrap();
/// let b = parse_instant("2019-08-12T09:00:00Z").unwrap();
/// assert_eq!(a, b);
/// assert!(parse_instant("next tuesday").is_none());
/// ```
pub fn parse_instant(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() == 10 {
        if !(b[4] == b'-' && b[7] == b'-') {
            return None;
        }
        let date: jiff::civil::Date = s.parse().ok()?;
        return jiff::tz::Offset::UTC
            .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .ok();
    }
    // RFC 3339 shape: YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM). jiff is more liberal (it also
    // takes ISO 8601 basic forms and bracketed zones), so check the shape first.
    if b.len() < 20
        || !(b[4] == b'-' && b[7] == b'-' && matches!(b[10], b'T' | b't') && b[13] == b':' && b[16] == b':')
        || s.contains('[')
    {
        return None;
    }
    let offset_ok = match b[b.len() - 1] {
        b'Z' | b'z' => true,
        _ => b.len() >= 25 && matches!(b[b.len() - 6], b'+' | b'-') && b[b.len() - 3] == b':',
    };
    if !offset_ok {
        return None;
    }
    s.parse::<Timestamp>().ok()
}

/// Parses an IP address or CIDR block; a block written with host bits set stands for its
/// network (`10.1.2.3/8` is `10.0.0.0/8`), an address for a block of one.
///
/// ```
/// use ram_core::value::parse_ip_block;
///
/// let net = parse_ip_block("10.1.2.3/8").unwrap();
/// assert_eq!(net.to_string(), "10.0.0.0/8");
/// assert_eq!(parse_ip_block("2001:db8::1").unwrap().to_string(), "2001:db8::1/128");
/// ```
pub fn parse_ip_block(s: &str) -> Option<IpNet> {
    if s.contains('/') {
        s.parse::<IpNet>().ok().map(|n| n.trunc())
    } else {
        s.parse::<IpAddr>().ok().map(IpNet::from)
    }
}

/// Parses a request's IP address; an IPv4-mapped IPv6 address counts as IPv4.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>().ok().map(canonical_ip)
}

/// An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as the IPv4 address it carries.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Parses a boolean condition value: exactly `true` or `false`.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn decimals_compare_exactly() {
        assert_eq!(d("10"), d("10.0"));
        assert_eq!(d("007"), d("7"));
        assert_eq!(d("-0"), d("0.000"));
        assert!(d("-10") < d("-9.5"));
        assert!(d("9007199254740993") > d("9007199254740992"));
        assert!(d("123456789012345678901234567890.1") < d("123456789012345678901234567890.10001"));
        assert!(d("0.1") > d("0.09"));
        assert!(d("-0.1") < d("0"));
        for bad in [
            "", "-", "NaN", "inf", "1e3", "+5", ".5", "5.", "1.2.3", " 1", "1 ", "--1", "0x10",
        ] {
            assert!(bad.parse::<Decimal>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn instants() {
        let z = parse_instant("2024-01-01T00:00:00Z").unwrap();
        assert_eq!(parse_instant("2024-01-01"), Some(z));
        assert_eq!(parse_instant("2024-01-01T08:00:00+08:00"), Some(z));
        assert_eq!(parse_instant("2024-01-01T00:00:00.000Z"), Some(z));
        assert!(parse_instant("2024-01-01T00:00:00.5Z").unwrap() > z);
        for bad in [
            "",
            "2024-01-01T00:00:00",
            "2024-13-01",
            "2024-02-30",
            "20240101",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00+0800",
            "yesterday",
            "1700000000",
            "2024-01-01T00:00:00Z[UTC]",
        ] {
            assert_eq!(parse_instant(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn ip_blocks() {
        assert_eq!(parse_ip_block("192.168.1.7/24").unwrap().to_string(), "192.168.1.0/24");
        assert!(parse_ip_block("10.0.0.1/33").is_none());
        assert!(parse_ip_block("10.0.0").is_none());
        assert!(parse_ip_block("fe80::1/64").is_some());
        assert_eq!(parse_ip("::ffff:10.1.2.3"), Some("10.1.2.3".parse().unwrap()));
    }
}
