//! The client's IP address for `acs:SourceIp`.
//!
//! Without proxies the answer is the connection's peer address. Behind proxies the peer is
//! the last proxy, and the client is somewhere in `X-Forwarded-For`, which every hop
//! *appends* to. Only the entries appended by proxies we trust are believable; anything to
//! their left may have been written by the client. So the right answer is the right-most
//! address that is **not** a trusted proxy, found by walking the list from the right,
//! starting from the peer: the first untrusted address met is the one that connected to
//! our outermost trusted proxy. Taking the left-most entry instead would let any client
//! choose its own `acs:SourceIp` by sending the header itself.
//!
//! IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, what a dual-stack socket reports for an
//! IPv4 client) are turned into IPv4 everywhere, so `IpAddress` conditions written with
//! IPv4 CIDRs match.

use std::net::IpAddr;

use ipnet::IpNet;

/// How to find the client address.
///
/// ```
/// use ram_web::ClientIpConfig;
///
/// let cfg = ClientIpConfig::behind_proxies(["10.0.0.0/8".parse().unwrap()]);
/// // The client wrote a fake first entry; the load balancer 10.0.0.2 appended the real one.
/// let ip = cfg.resolve("10.0.0.5".parse().unwrap(), [&b"1.1.1.1, 203.0.113.7, 10.0.0.2"[..]]);
/// assert_eq!(ip, "203.0.113.7".parse::<std::net::IpAddr>().unwrap());
/// // A peer that is not a trusted proxy is the client, whatever the header says.
/// let ip = cfg.resolve("198.51.100.9".parse().unwrap(), [&b"1.1.1.1"[..]]);
/// assert_eq!(ip, "198.51.100.9".parse::<std::net::IpAddr>().unwrap());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientIpConfig {
    /// Networks whose addresses are our own proxies.
    pub trusted_proxies: Vec<IpNet>,
    /// The header the proxies append to (`x-forwarded-for`), lower-case; `None` ignores
    /// forwarding headers altogether.
    pub header: Option<String>,
}

/// The forwarding header proxies conventionally append to.
pub const X_FORWARDED_FOR: &str = "x-forwarded-for";

impl ClientIpConfig {
    /// No proxies: the peer address is the client.
    pub fn direct() -> ClientIpConfig {
        ClientIpConfig::default()
    }

    /// Behind the given proxies, which append to `X-Forwarded-For`.
    pub fn behind_proxies(trusted: impl IntoIterator<Item = IpNet>) -> ClientIpConfig {
        ClientIpConfig {
            trusted_proxies: trusted.into_iter().collect(),
            header: Some(X_FORWARDED_FOR.to_owned()),
        }
    }

    /// Uses another header name (e.g. `x-real-ip`), same right-to-left rule.
    pub fn with_header(mut self, name: &str) -> ClientIpConfig {
        self.header = Some(name.to_ascii_lowercase());
        self
    }

    /// Whether `ip` is one of our proxies.
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted_proxies.iter().any(|net| net.contains(&ip))
    }

    /// The client address, given the connection's `peer` and the values of the configured
    /// header in arrival order (several header lines count as one comma-separated list).
    ///
    /// Never fails: when the header is absent, unparsable or entirely trusted, the answer
    /// falls back to the nearest address that is known, never to client-written text that
    /// sits left of garbage.
    pub fn resolve<'v>(&self, peer: IpAddr, header_values: impl IntoIterator<Item = &'v [u8]>) -> IpAddr {
        let peer = canonical(peer);
        if self.header.is_none() || !self.is_trusted(peer) {
            return peer;
        }
        let values: Vec<&[u8]> = header_values.into_iter().collect();
        let mut nearest = peer;
        for value in values.iter().rev() {
            for entry in value.rsplit(|&b| b == b',') {
                let entry = entry.trim_ascii();
                if entry.is_empty() {
                    continue;
                }
                let Some(ip) = parse_hop(entry) else {
                    // Whoever wrote this is not a well-behaved proxy; everything from here
                    // leftwards is unverifiable, and `nearest` is the last address a trusted
                    // proxy vouched for.
                    return nearest;
                };
                if !self.is_trusted(ip) {
                    return ip;
                }
                nearest = ip;
            }
        }
        nearest
    }
}

/// An IPv4-mapped IPv6 address as IPv4; anything else unchanged.
///
/// ```
/// use std::net::IpAddr;
/// let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
/// assert_eq!(ram_web::client_ip::canonical(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
/// ```
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// One forwarding-list entry: a bare address, `v4:port`, `[v6]` or `[v6]:port`.
fn parse_hop(entry: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(entry).ok()?;
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        return inside.parse::<IpAddr>().ok().map(canonical);
    }
    let (host, port) = text.rsplit_once(':')?;
    if !is_port(port) {
        return None;
    }
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn cfg() -> ClientIpConfig {
        ClientIpConfig::behind_proxies(["10.0.0.0/8".parse().unwrap(), "fd00::/8".parse().unwrap()])
    }

    #[test]
    fn direct_uses_peer_and_unmaps_ipv4() {
        let c = ClientIpConfig::direct();
        assert_eq!(
            c.resolve(ip("::ffff:203.0.113.7"), [&b"1.2.3.4"[..]]),
            ip("203.0.113.7")
        );
        assert_eq!(c.resolve(ip("2001:db8::1"), []), ip("2001:db8::1"));
    }

    #[test]
    fn untrusted_peer_ignores_header() {
        assert_eq!(cfg().resolve(ip("203.0.113.7"), [&b"10.0.0.1"[..]]), ip("203.0.113.7"));
    }

    #[test]
    fn rightmost_untrusted_hop_wins() {
        let c = cfg();
        assert_eq!(
            c.resolve(ip("10.0.0.1"), [&b"6.6.6.6, 203.0.113.7, 10.1.1.1"[..]]),
            ip("203.0.113.7")
        );
        // Several header lines: the later line is further right.
        assert_eq!(
            c.resolve(ip("10.0.0.1"), [&b"6.6.6.6"[..], &b"203.0.113.7, 10.2.2.2"[..]]),
            ip("203.0.113.7")
        );
        // A mapped peer is trusted as its IPv4 form.
        assert_eq!(
            c.resolve(ip("::ffff:10.0.0.1"), [&b"203.0.113.7"[..]]),
            ip("203.0.113.7")
        );
        // Mapped entries are unmapped.
        assert_eq!(
            c.resolve(ip("10.0.0.1"), [&b"::ffff:198.51.100.1"[..]]),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn ports_and_brackets() {
        let c = cfg();
        assert_eq!(c.resolve(ip("10.0.0.1"), [&b"203.0.113.7:4711"[..]]), ip("203.0.113.7"));
        assert_eq!(
            c.resolve(ip("10.0.0.1"), [&b"[2001:db8::7]:443"[..]]),
            ip("2001:db8::7")
        );
        assert_eq!(c.resolve(ip("10.0.0.1"), [&b"[2001:db8::7]"[..]]), ip("2001:db8::7"));
    }

    #[test]
    fn all_trusted_or_garbage_falls_back_to_nearest_known() {
        let c = cfg();
        assert_eq!(c.resolve(ip("10.0.0.1"), [&b"10.9.9.9, 10.8.8.8"[..]]), ip("10.9.9.9"));
        assert_eq!(
            c.resolve(ip("10.0.0.1"), [&b"203.0.113.7, garbage, 10.8.8.8"[..]]),
            ip("10.8.8.8")
        );
        assert_eq!(c.resolve(ip("10.0.0.1"), [&b"unknown"[..]]), ip("10.0.0.1"));
        assert_eq!(c.resolve(ip("10.0.0.1"), [&b""[..], &b" , ,"[..]]), ip("10.0.0.1"));
        assert_eq!(c.resolve(ip("10.0.0.1"), []), ip("10.0.0.1"));
        assert_eq!(c.resolve(ip("10.0.0.1"), [&[0xff, 0xfe][..]]), ip("10.0.0.1"));
        assert_eq!(
            c.resolve(ip("10.0.0.1"), [&b"[::1"[..], &b"1.2.3.4:99999x"[..]]),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn no_header_configured_means_peer() {
        let mut c = cfg();
        c.header = None;
        assert_eq!(c.resolve(ip("10.0.0.1"), [&b"203.0.113.7"[..]]), ip("10.0.0.1"));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn any_ip() -> impl Strategy<Value = IpAddr> {
            prop_oneof![
                any::<[u8; 4]>().prop_map(IpAddr::from),
                any::<[u8; 16]>().prop_map(IpAddr::from),
                any::<[u8; 4]>().prop_map(|b| IpAddr::from(std::net::Ipv4Addr::from(b).to_ipv6_mapped())),
                Just(IpAddr::from([10, 0, 0, 1])),
            ]
        }

        proptest! {
            /// Never panics; an untrusted peer is always the answer; the answer is never
            /// an IPv4-mapped IPv6 address.
            #[test]
            fn resolve_is_total(peer in any_ip(), values in proptest::collection::vec(
                prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..40),
                    "[0-9a-f:., \\[\\]]{0,40}".prop_map(String::into_bytes),
                ], 0..4)) {
                let c = cfg();
                let got = c.resolve(peer, values.iter().map(Vec::as_slice));
                if !c.is_trusted(peer) {
                    prop_assert_eq!(got, canonical(peer));
                }
                if let IpAddr::V6(v6) = got {
                    prop_assert!(v6.to_ipv4_mapped().is_none());
                }
            }
        }
    }
}
