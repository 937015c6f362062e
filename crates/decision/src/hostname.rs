//! Host-name normalisation: what an SNI or an `:authority` is reduced to before it is compared.
//!
//! Nothing is lowercased or copied here: every comparison downstream is ASCII
//! case-insensitive, so normalising is only a matter of slicing.

/// Strips a port (IPv6-literal aware) and one trailing dot.
///
/// `A.Example.COM.:8443` gives `A.Example.COM`; `[::1]:443` gives `[::1]`; an unbracketed
/// IPv6 literal such as `::1` has no port and is returned whole.
pub fn normalize(raw: &[u8]) -> &[u8] {
    let host = strip_port(raw);
    match host.split_last() {
        Some((b'.', rest)) if host.first() != Some(&b'[') => rest,
        _ => host,
    }
}

fn strip_port(raw: &[u8]) -> &[u8] {
    if raw.first() == Some(&b'[') {
        return match raw.iter().position(|&b| b == b']') {
            Some(end) => raw.get(..=end).unwrap_or(raw),
            None => raw,
        };
    }
    let mut colons = raw.iter().enumerate().filter(|&(_, &b)| b == b':');
    match (colons.next(), colons.next()) {
        (Some((at, _)), None) => raw.get(..at).unwrap_or(raw),
        _ => raw,
    }
}

/// ASCII case-insensitive equality of two normalised names.
pub fn same_name(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

#[cfg(test)]
mod tests {
    use super::normalize;

    fn n(s: &str) -> &str {
        std::str::from_utf8(normalize(s.as_bytes())).unwrap()
    }

    #[test]
    fn strips_port_and_one_trailing_dot() {
        assert_eq!(n("a.example.com"), "a.example.com");
        assert_eq!(n("a.example.com:443"), "a.example.com");
        assert_eq!(n("a.example.com."), "a.example.com");
        assert_eq!(n("a.example.com.:8443"), "a.example.com");
        assert_eq!(n("a.example.com.."), "a.example.com.");
        assert_eq!(n("a.example.com:"), "a.example.com");
        assert_eq!(n("A.Example.COM"), "A.Example.COM");
    }

    #[test]
    fn ipv6_literals() {
        assert_eq!(n("[::1]:443"), "[::1]");
        assert_eq!(n("[::1]"), "[::1]");
        assert_eq!(n("[2001:db8::1]:8443"), "[2001:db8::1]");
        assert_eq!(n("::1"), "::1");
        assert_eq!(n("2001:db8::1"), "2001:db8::1");
        assert_eq!(n("[::1"), "[::1");
    }

    #[test]
    fn degenerate_inputs() {
        assert_eq!(n(""), "");
        assert_eq!(n("."), "");
        assert_eq!(n(":443"), "");
        assert_eq!(n("10.0.0.1:443"), "10.0.0.1");
    }
}
