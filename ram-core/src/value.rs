//! Typed condition values: exact decimals, instants, booleans and IP blocks (spec section 3).
//!
//! Both sides of a condition are parsed with these functions: policy values when a policy
//! is parsed (a failure makes the document invalid), request values when the request
//! context is built (a failure just means the value never satisfies a positive operator).

use std::cmp::Ordering;
use std::net::IpAddr;

use ipnet::IpNet;

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

/// An instant of a date condition: seconds since the Unix epoch plus the exact fraction of a
/// second as written, so any RFC 3339 instant (years 0000 to 9999 with any offset, any number
/// of fractional digits) compares exactly.
///
/// ```
/// use ram_core::value::{Instant, parse_instant};
///
/// let a = parse_instant("2019-08-12T17:00:00+08:00").unwrap();
/// assert_eq!(a, parse_instant("2019-08-12T09:00:00Z").unwrap());
/// assert!(parse_instant("9999-12-31T23:59:59.5Z").unwrap() > parse_instant("9999-12-31").unwrap());
/// assert_eq!(Instant::from("2024-01-01T00:00:00Z".parse::<jiff::Timestamp>().unwrap()), parse_instant("2024-01-01").unwrap());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Instant {
    /// Whole seconds since 1970-01-01T00:00:00Z (negative before).
    seconds: i64,
    /// Fraction digits without trailing zeros: compared as text, which orders them exactly.
    fraction: Box<str>,
}

impl Instant {
    /// Whole seconds since the Unix epoch (the fraction rounds towards the past).
    pub fn as_second(&self) -> i64 {
        self.seconds
    }
}

impl From<jiff::Timestamp> for Instant {
    fn from(t: jiff::Timestamp) -> Instant {
        let (mut seconds, mut nanos) = (t.as_second(), t.subsec_nanosecond());
        if nanos < 0 {
            seconds -= 1;
            nanos += 1_000_000_000;
        }
        let fraction = format!("{nanos:09}");
        Instant {
            seconds,
            fraction: fraction.trim_end_matches('0').into(),
        }
    }
}

/// Days from 1970-01-01 to the proleptic Gregorian date `y-m-d`.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `n` ASCII digits at the start of `b` as a number.
fn digits(b: &[u8], n: usize) -> Option<i64> {
    let part = b.get(..n)?;
    part.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

/// `YYYY-MM-DD` as days since the epoch, if the date exists.
fn full_date(b: &[u8]) -> Option<i64> {
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(b, 4)?, digits(&b[5..], 2)?, digits(&b[8..], 2)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=month_days).contains(&d).then(|| days_from_civil(y, m, d))
}

/// Parses an RFC 3339 instant (`2019-08-12T17:00:00+08:00`, `...Z`, optional fractional
/// seconds) or a date alone (`2024-01-01`, midnight UTC). Nothing else is accepted: no
/// comma fractions, no offsets without a colon or beyond 23:59, no ISO 8601 basic forms.
/// A leap second (`:60`) counts as the last second of its minute.
///
/// ```
/// use ram_core::value::parse_instant;
///
/// let a = parse_instant("2019-08-12T17:00:00+08:00").unwrap();
/// let b = parse_instant("2019-08-12T09:00:00Z").unwrap();
/// assert_eq!(a, b);
/// assert!(parse_instant("next tuesday").is_none());
/// ```
pub fn parse_instant(s: &str) -> Option<Instant> {
    let b = s.as_bytes();
    let days = full_date(b)?;
    if b.len() == 10 {
        return Some(Instant {
            seconds: days * 86_400,
            fraction: "".into(),
        });
    }
    // date-time = full-date "T" HH ":" MM ":" SS ["." 1*DIGIT] ("Z" / ("+" / "-") HH ":" MM)
    if b.len() < 20 || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (hour, minute, second) = (digits(&b[11..], 2)?, digits(&b[14..], 2)?, digits(&b[17..], 2)?);
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut fraction = "";
    if let Some(after_dot) = rest.strip_prefix('.') {
        let n = after_dot.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        fraction = after_dot[..n].trim_end_matches('0');
        rest = &after_dot[n..];
    }
    let offset = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (digits(&[*h1, *h2], 2)?, digits(&[*m1, *m2], 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let magnitude = h * 3_600 + m * 60;
            if *sign == b'-' { -magnitude } else { magnitude }
        }
        _ => return None,
    };
    Some(Instant {
        seconds: days * 86_400 + hour * 3_600 + minute * 60 + second.min(59) - offset,
        fraction: fraction.into(),
    })
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
        assert_eq!(z.as_second(), 1_704_067_200);
        assert_eq!(parse_instant("2024-01-01"), Some(z.clone()));
        assert_eq!(parse_instant("2024-01-01T08:00:00+08:00"), Some(z.clone()));
        assert_eq!(parse_instant("2023-12-31T19:30:00-04:30"), Some(z.clone()));
        assert_eq!(parse_instant("2024-01-01t00:00:00z"), Some(z.clone()));
        assert_eq!(parse_instant("2024-01-01T00:00:00.000Z"), Some(z.clone()));
        assert!(parse_instant("2024-01-01T00:00:00.5Z").unwrap() > z);
        assert!(parse_instant("2023-12-31T23:59:59.999999999999Z").unwrap() < z);
        assert!(parse_instant("2024-01-01T00:00:00.0000000001Z").unwrap() > z);
        assert!(parse_instant("2024-01-01T00:00:00.25Z").unwrap() < parse_instant("2024-01-01T00:00:00.5Z").unwrap());
        assert_eq!(parse_instant("1970-01-01").unwrap().as_second(), 0);
        assert_eq!(parse_instant("1969-12-31T23:59:59Z").unwrap().as_second(), -1);
        assert_eq!(parse_instant("2000-02-29").unwrap().as_second(), 951_782_400);
        assert_eq!(parse_instant("0000-01-01").unwrap().as_second(), -62_167_219_200);
        // The whole of year 9999, in any offset, is representable.
        let end = parse_instant("9999-12-31T23:59:59Z").unwrap();
        assert_eq!(end.as_second(), 253_402_300_799);
        assert!(parse_instant("9999-12-31T23:59:59-23:59").unwrap() > end);
        assert!(parse_instant("9999-12-31").unwrap() < end);
        // A leap second counts as the last second of its minute.
        assert_eq!(
            parse_instant("2016-12-31T23:59:60Z"),
            parse_instant("2016-12-31T23:59:59Z")
        );
        for t in [
            "2024-05-01T12:00:00.123456789Z",
            "1960-03-04T05:06:07.5Z",
            "2024-05-01T12:00:00Z",
        ] {
            let ts: jiff::Timestamp = t.parse().unwrap();
            assert_eq!(Instant::from(ts), parse_instant(t).unwrap(), "{t}");
        }
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
            "2024-01-01T00:00:00,5Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00+08:60",
            "2024-01-01T00:00:00+8:00",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2024-01-01T00:00:61Z",
            "2023-02-29",
            "1900-02-29",
            "2024-00-10",
            "2024-01-00",
            "+2024-01-01",
            "2024-01-01T00:00:00ZZ",
            "2024-01-01T00:00:00+08:00:00",
            "2024-01-01T00:00Z",
            "2024-01-01T0:00:00Z",
            "2024-1-01",
            "２０２４-01-01",
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
