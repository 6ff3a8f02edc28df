//! Query-string decoding and the two percent-encodings the Alibaba Cloud signatures use.
//!
//! Everything works on bytes: a parameter value may be any byte string once decoded (a
//! client can send `%FF`), and the canonical forms are defined on the encoded bytes, so
//! nothing here needs, checks or assumes UTF-8.

/// One decoded query (or form) parameter: name and value as bytes.
pub type Param = (Vec<u8>, Vec<u8>);

/// Splits a raw query string (without the leading `?`) into decoded parameters, in order.
///
/// `+` is decoded as a space *before* percent-decoding: the SDKs put `quote_plus` output on
/// the wire (`DisplayName=Bob+Smith`) but sign the value with the space, so the server has to
/// see the space to rebuild what was signed. A literal `+` arrives as `%2B` and stays a `+`.
/// A `%` not followed by two hex digits is kept as is (as Python's `unquote` does). Empty
/// segments (`a=1&&b=2`) are skipped; a segment without `=` is a name with an empty value.
///
/// ```
/// use ram_web::encoding::parse_query;
///
/// let params = parse_query("DisplayName=Bob+Smith&RoleArn=acs%3Aram%3A%3A1%3Arole%2Fr&flag");
/// assert_eq!(params[0], (b"DisplayName".to_vec(), b"Bob Smith".to_vec()));
/// assert_eq!(params[1].1, b"acs:ram::1:role/r");
/// assert_eq!(params[2], (b"flag".to_vec(), Vec::new()));
/// ```
pub fn parse_query(raw: &str) -> Vec<Param> {
    parse_query_bytes(raw.as_bytes())
}

/// [`parse_query`] on bytes (an `application/x-www-form-urlencoded` body, for instance).
pub fn parse_query_bytes(raw: &[u8]) -> Vec<Param> {
    raw.split(|&b| b == b'&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (form_decode(&segment[..eq]), form_decode(&segment[eq + 1..])),
            None => (form_decode(segment), Vec::new()),
        })
        .collect()
}

/// Decodes one form-encoded component: `+` is a space, `%XX` a byte, anything else itself.
pub fn form_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match (input.get(i + 1).and_then(hex_val), input.get(i + 2).and_then(hex_val)) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                }
                // Malformed escape: keep the `%` literally, like Python's unquote.
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn hex_val(b: &u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Whether RFC 3986 leaves `b` unencoded: `A-Z a-z 0-9 - _ . ~`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Appends the RFC 3986 percent-encoding of `input` to `out`: every byte outside
/// `A-Za-z0-9-_.~` becomes `%XX` (upper-case hex), so a space is `%20` and `*` is `%2A`.
///
/// ```
/// let mut s = String::new();
/// ram_web::encoding::percent_encode_into(b"a b*c~/", &mut s);
/// assert_eq!(s, "a%20b%2Ac~%2F");
/// ```
pub fn percent_encode_into(input: &[u8], out: &mut String) {
    encode_into(input, out, false);
}

/// The RFC 3986 percent-encoding of `input` (see [`percent_encode_into`]).
pub fn percent_encode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len());
    encode_into(input, &mut out, false);
    out
}

/// Python's `quote_plus` (safe set empty): like [`percent_encode`] but a space is `+`.
///
/// The `alibabacloud-credentials` library builds its V1 string to sign with this, so a
/// value containing a space signs differently from the RFC 3986 form.
pub fn quote_plus(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len());
    encode_into(input, &mut out, true);
    out
}

pub(crate) fn encode_into(input: &[u8], out: &mut String, plus_for_space: bool) {
    for &b in input {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else if b == b' ' && plus_for_space {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
            out.push(char::from(HEX_UPPER[usize::from(b & 0x0f)]));
        }
    }
}

/// Sorts encoded `name=value` pairs and joins them with `&`.
///
/// Pairs sort by encoded name, then encoded value, comparing bytes: the SDKs sort by name
/// (duplicate names cannot occur in their dict-based requests), and the official docs sort
/// after encoding; for parameter names made of unreserved characters both orders agree.
pub(crate) fn join_sorted(mut pairs: Vec<(String, String)>) -> String {
    pairs.sort_unstable();
    let len = pairs.iter().map(|(k, v)| k.len() + v.len() + 2).sum();
    let mut out = String::with_capacity(len);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_as_space_and_keeps_encoded_plus() {
        assert_eq!(form_decode(b"a+b%2Bc"), b"a b+c");
    }

    #[test]
    fn malformed_escapes_are_kept() {
        assert_eq!(form_decode(b"%"), b"%");
        assert_eq!(form_decode(b"%4"), b"%4");
        assert_eq!(form_decode(b"%zz%41"), b"%zzA");
        assert_eq!(form_decode(b"%e2%82%ac"), "€".as_bytes());
    }

    #[test]
    fn parse_query_shapes() {
        assert!(parse_query("").is_empty());
        assert!(parse_query("&&").is_empty());
        let p = parse_query("a=1=2&b=&c");
        assert_eq!(p[0], (b"a".to_vec(), b"1=2".to_vec()));
        assert_eq!(p[1], (b"b".to_vec(), Vec::new()));
        assert_eq!(p[2], (b"c".to_vec(), Vec::new()));
    }

    #[test]
    fn rfc3986_and_quote_plus() {
        assert_eq!(percent_encode(b"AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(percent_encode(b" *+/:=&%"), "%20%2A%2B%2F%3A%3D%26%25");
        assert_eq!(percent_encode("é".as_bytes()), "%C3%A9");
        assert_eq!(quote_plus(b"a b*c"), "a+b%2Ac");
        assert_eq!(percent_encode(&[0xff, 0x00]), "%FF%00");
    }

    #[test]
    fn join_sorted_orders_by_name_then_value() {
        let pairs = vec![
            ("b".to_owned(), "1".to_owned()),
            ("a".to_owned(), "2".to_owned()),
            ("a".to_owned(), "1".to_owned()),
        ];
        assert_eq!(join_sorted(pairs), "a=1&a=2&b=1");
        assert_eq!(join_sorted(Vec::new()), "");
    }
}
