//! The hostile inputs and what each must get, written down.

/// The SNI of the connections the TLS inputs go on.
pub const A: Option<&str> = Some("a.example.com");

/// What a request got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Got {
    Status(u16),
    /// No response: Envoy reset the HTTP/2 stream or closed the connection.
    NoResponse,
}

/// The expected result of one request: what it gets, how sni-guard's counters move, and the
/// `%RESPONSE_CODE_DETAILS%` of its access log line (`None`: Envoy logs no line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    pub got: Got,
    pub misdirected: u64,
    pub no_sni: u64,
    pub details: Option<&'static str>,
}

/// Let through to the route, which answers 200.
pub const ROUTED: Expect = Expect {
    got: Got::Status(200),
    misdirected: 0,
    no_sni: 0,
    details: Some("direct_response"),
};
/// Let through; the chain's router serves no such host.
pub const NOT_FOUND: Expect = Expect {
    got: Got::Status(404),
    details: Some("route_not_found"),
    ..ROUTED
};
/// Refused by sni-guard with a 421, counted.
pub const MISDIRECTED: Expect = Expect {
    got: Got::Status(421),
    misdirected: 1,
    no_sni: 0,
    details: Some("sni_guard_misdirected_request"),
};
/// No SNI (a catch-all chain, or a plain-HTTP listener): let through and counted.
pub const NO_SNI: Expect = Expect {
    no_sni: 1,
    ..ROUTED
};
pub const NO_SNI_NOT_FOUND: Expect = Expect {
    no_sni: 1,
    ..NOT_FOUND
};
/// Envoy's HTTP/2 codec resets the stream before any filter runs; no access log line.
pub const RESET: Expect = Expect {
    got: Got::NoResponse,
    misdirected: 0,
    no_sni: 0,
    details: None,
};

/// Rejected by Envoy itself before the filter, with this status and details.
pub const fn envoy(status: u16, details: &'static str) -> Expect {
    Expect {
        got: Got::Status(status),
        misdirected: 0,
        no_sni: 0,
        details: Some(details),
    }
}

/// One authority sent on a connection with SNI `a.example.com`, over HTTP/2 and HTTP/1.1:
/// the expected result with the servers table and without one, as `[HTTP/2, HTTP/1.1]`.
pub struct Row {
    pub what: &'static str,
    pub authority: String,
    pub table: [Expect; 2],
    pub zero: [Expect; 2],
}

pub fn row(what: &'static str, authority: &str, table: Expect, zero: Expect) -> Row {
    Row {
        what,
        authority: authority.to_string(),
        table: [table; 2],
        zero: [zero; 2],
    }
}

/// A name of `len` bytes: labels of 63 `x`, then `suffix`.
pub fn long_name(len: usize, suffix: &str) -> String {
    let label = format!("{}.", "x".repeat(63));
    let mut name = label.repeat(len / label.len() + 1);
    name.truncate(len - suffix.len());
    name.push_str(suffix);
    name
}

pub fn authorities() -> Vec<Row> {
    let (mis, nf) = (MISDIRECTED, NOT_FOUND);
    vec![
        // Ports: the filter strips whatever follows the one colon, so the host decides.
        row(
            "port out of range, own host",
            "a.example.com:99999",
            ROUTED,
            ROUTED,
        ),
        row("port out of range", "b.example.com:99999", mis, mis),
        row("port 65536", "b.example.com:65536", mis, mis),
        row("port 0", "b.example.com:0", mis, mis),
        row("negative port", "b.example.com:-1", mis, mis),
        row("port not a number", "b.example.com:abc", mis, mis),
        row(
            "port beyond 64 bits",
            "b.example.com:18446744073709551617",
            mis,
            mis,
        ),
        // Envoy's `a.example.com:*` domain needs a port: the router's 404, no 421.
        row("empty port, own host", "a.example.com:", nf, nf),
        row("empty port", "b.example.com:", mis, mis),
        // An empty host: nothing to compare.
        row("a port alone", ":443", nf, nf),
        // Several colons read as an unbracketed IPv6 literal: no server's host (with a
        // table the router decides; without one it is another name than the SNI).
        row("two ports, own host", "a.example.com:1:2", ROUTED, mis),
        row("two ports", "b.example.com:1:2", nf, mis),
        row("empty port, then a port", "b.example.com::443", nf, mis),
        // A list is one name to Envoy and the filter, and no server's.
        row(
            "a comma-joined list",
            "a.example.com,b.example.com",
            nf,
            mis,
        ),
        // IPv6 and IPv4 literals: no server serves them.
        row("bracketed IPv6", "[::1]", nf, mis),
        row("bracketed IPv6 with port", "[::1]:443", nf, mis),
        row("bracketed IPv6, long form", "[2001:db8::1]:8443", nf, mis),
        row("unclosed bracket", "[::1", nf, mis),
        row("bracketed name", "[b.example.com]:443", nf, mis),
        row("unbracketed IPv6", "::1", nf, mis),
        row("unbracketed IPv6, long form", "2001:db8::1", nf, mis),
        row("IPv4-mapped IPv6", "::ffff:127.0.0.1", nf, mis),
        row("IPv4", "127.0.0.1", nf, mis),
        row("IPv4 with port", "127.0.0.1:443", nf, mis),
        row("private IPv4 with port", "10.0.0.1:8443", nf, mis),
        // Envoy neither decodes percent-encoding nor routes on it; nor does the filter.
        row("percent-encoded dot", "b%2Eexample.com", nf, mis),
        row("percent-encoded letter", "%62.example.com", nf, mis),
        row("percent-encoded dot, own host", "a%2eexample.com", nf, mis),
        row("percent-encoded colon", "b.example.com%3A443", nf, mis),
        // Case never matters.
        row("upper case, own host", "A.EXAMPLE.COM", ROUTED, ROUTED),
        row("upper case", "B.EXAMPLE.COM", mis, mis),
        row("mixed case with port", "b.ExAmPlE.cOm:8443", mis, mis),
        // One trailing dot is the same name (Istio's routes do not match it: 404, no 421).
        row("trailing dot, own host", "a.example.com.", nf, nf),
        row("trailing dot", "b.example.com.", mis, mis),
        row(
            "trailing dot, upper case, port",
            "B.EXAMPLE.COM.:443",
            mis,
            mis,
        ),
        row("two trailing dots", "b.example.com..", nf, mis),
        row("a dot alone", ".", nf, nf),
        row("two dots", "..", nf, mis),
        // Long names: under `*.b.example.com` (gw-b), or no server's.
        row("255-byte name", &long_name(255, ".b.example.com"), mis, mis),
        row(
            "1,000-byte name",
            &long_name(1_000, ".b.example.com"),
            mis,
            mis,
        ),
        row(
            "10,000-byte name",
            &long_name(10_000, ".b.example.com"),
            mis,
            mis,
        ),
        row("1,000-byte label", &"x".repeat(1_000), nf, mis),
        row(
            "10,000-byte name, no server's",
            &long_name(10_000, ".example.net"),
            nf,
            mis,
        ),
        // Beyond Envoy's 60 KiB header limit: Envoy refuses it, the filter never sees it.
        Row {
            what: "70,000-byte name",
            authority: long_name(70_000, ".b.example.com"),
            table: [RESET, envoy(431, "http1.headers_too_large")],
            zero: [RESET, envoy(431, "http1.headers_too_large")],
        },
    ]
}

/// HTTP/1.x requests written byte for byte on a connection with SNI `a.example.com`:
/// (what, request head, with the table, without one).
pub const RAW_HTTP1: &[(&str, &[u8], Expect, Expect)] = &[
    // Istio does not accept HTTP/1.0 by default: Envoy answers 426 before any filter.
    (
        "HTTP/1.0 without Host",
        b"GET / HTTP/1.0\r\n\r\n",
        envoy(426, "low_version"),
        envoy(426, "low_version"),
    ),
    (
        "HTTP/1.0 with another server's Host",
        b"GET / HTTP/1.0\r\nHost: b.example.com\r\n\r\n",
        envoy(426, "low_version"),
        envoy(426, "low_version"),
    ),
    (
        "HTTP/1.1 without Host",
        b"GET / HTTP/1.1\r\n\r\n",
        envoy(400, "missing_host_header"),
        envoy(400, "missing_host_header"),
    ),
    // An empty authority: nothing to compare.
    (
        "empty Host",
        b"GET / HTTP/1.1\r\nHost: \r\n\r\n",
        NOT_FOUND,
        NOT_FOUND,
    ),
    // Envoy joins them into `a.example.com,b.example.com`: no server's host.
    (
        "two Host headers, own one first",
        b"GET / HTTP/1.1\r\nHost: a.example.com\r\nHost: b.example.com\r\n\r\n",
        NOT_FOUND,
        MISDIRECTED,
    ),
    // The absolute URI's authority wins over Host, for the router and the filter alike.
    (
        "absolute URI of another server",
        b"GET https://b.example.com/ HTTP/1.1\r\nHost: a.example.com\r\n\r\n",
        MISDIRECTED,
        MISDIRECTED,
    ),
    (
        "Host padded with spaces and a tab",
        b"GET / HTTP/1.1\r\nHost:  B.EXAMPLE.COM\t\r\n\r\n",
        MISDIRECTED,
        MISDIRECTED,
    ),
    (
        "NUL in Host",
        b"GET / HTTP/1.1\r\nHost: b.example.com\x00\r\n\r\n",
        envoy(400, "http1.invalid_characters"),
        envoy(400, "http1.invalid_characters"),
    ),
];

/// Authorities sent without SNI, to the catch-all chain and to the plain-HTTP listener.
pub fn no_sni_authorities() -> Vec<String> {
    vec![
        "a.example.com".into(),
        "b.example.com".into(),
        "B.EXAMPLE.COM:99999".into(),
        "b.example.com.".into(),
        long_name(10_000, ".b.example.com"),
    ]
}
