//! Hostile input through the real Envoy (odd ports, several colons, IP literals, long names,
//! case, dots, missing names), over HTTP/2 and HTTP/1.1, with sni-guard strict with a servers
//! table and strict without one (zero configuration).
//! Each input's expected result (status, counter movement) is written down in the tables
//! below and asserted; where Envoy rejects an input before the filter, that rejection is the
//! expected result, and the access log must name it. After all of them Envoy still serves,
//! still refuses a coalesced request, and its log has no Wasm failure.
//!
//! HTTP/2 requests with a TLS SNI go through nghttp2 (`h2load -n 1`), which sends the
//! `:authority` bytes as given (the `http` crate refuses percent signs, several colons and
//! unbracketed IPv6 in an authority); HTTP/1.x requests are written byte for byte.

use sni_guard_harness::client::{Http1, H2};
use sni_guard_harness::edits::{self, PLAIN_LISTENER};
use sni_guard_harness::envoy::wasm_failures;
use sni_guard_harness::gateway::free_port;
use sni_guard_harness::{h2load, Filter, Gateway, Protocol, Request, Topology};
use std::collections::BTreeMap;
use std::net::SocketAddr;

const A: Option<&str> = Some("a.example.com");

/// Topology (a)'s servers table, gw-b also serving `*.b.example.com`, so that long names
/// select a server through a wildcard.
const TABLE: &str = r#"{"mode":"strict","servers":[{"name":"gw-a","hosts":["a.example.com"]},{"name":"gw-b","hosts":["b.example.com","*.b.example.com"]}]}"#;

/// What a request got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Got {
    Status(u16),
    /// No response: Envoy reset the HTTP/2 stream or closed the connection.
    NoResponse,
}

/// The expected result of one request: what it gets, how sni-guard's counters move, and the
/// `%RESPONSE_CODE_DETAILS%` of its access log line (`None`: Envoy logs no line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Expect {
    got: Got,
    misdirected: u64,
    no_sni: u64,
    details: Option<&'static str>,
}

/// Let through to the route, which answers 200.
const ROUTED: Expect = Expect {
    got: Got::Status(200),
    misdirected: 0,
    no_sni: 0,
    details: Some("direct_response"),
};
/// Let through; the chain's router serves no such host.
const NOT_FOUND: Expect = Expect {
    got: Got::Status(404),
    details: Some("route_not_found"),
    ..ROUTED
};
/// Refused by sni-guard with a 421, counted.
const MISDIRECTED: Expect = Expect {
    got: Got::Status(421),
    misdirected: 1,
    no_sni: 0,
    details: Some("sni_guard_misdirected_request"),
};
/// No SNI (a catch-all chain, or a plain-HTTP listener): let through and counted.
const NO_SNI: Expect = Expect {
    no_sni: 1,
    ..ROUTED
};
const NO_SNI_NOT_FOUND: Expect = Expect {
    no_sni: 1,
    ..NOT_FOUND
};
/// Envoy's HTTP/2 codec resets the stream before any filter runs; no access log line.
const RESET: Expect = Expect {
    got: Got::NoResponse,
    misdirected: 0,
    no_sni: 0,
    details: None,
};

/// Rejected by Envoy itself before the filter, with this status and details.
const fn envoy(status: u16, details: &'static str) -> Expect {
    Expect {
        got: Got::Status(status),
        misdirected: 0,
        no_sni: 0,
        details: Some(details),
    }
}

/// One authority sent on a connection with SNI `a.example.com`, over HTTP/2 and HTTP/1.1:
/// the expected result with the servers table and without one, as `[HTTP/2, HTTP/1.1]`.
struct Row {
    what: &'static str,
    authority: String,
    table: [Expect; 2],
    zero: [Expect; 2],
}

fn row(what: &'static str, authority: &str, table: Expect, zero: Expect) -> Row {
    Row {
        what,
        authority: authority.to_string(),
        table: [table; 2],
        zero: [zero; 2],
    }
}

/// A name of `len` bytes: labels of 63 `x`, then `suffix`.
fn long_name(len: usize, suffix: &str) -> String {
    let label = format!("{}.", "x".repeat(63));
    let mut name = label.repeat(len / label.len() + 1);
    name.truncate(len - suffix.len());
    name.push_str(suffix);
    name
}

fn authorities() -> Vec<Row> {
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
const RAW_HTTP1: &[(&str, &[u8], Expect, Expect)] = &[
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
fn no_sni_authorities() -> Vec<String> {
    vec![
        "a.example.com".into(),
        "b.example.com".into(),
        "B.EXAMPLE.COM:99999".into(),
        "b.example.com.".into(),
        long_name(10_000, ".b.example.com"),
    ]
}

/// What one request sends.
enum Send<'a> {
    Authority(&'a str),
    /// HTTP/1.x only: these exact bytes.
    Raw(&'a [u8]),
    /// HTTP/2 only: a request with no `:authority`, and this `host` header if any.
    NoAuthority(Option<&'a str>),
    /// HTTP/2 only: this `:authority` and this `host` header.
    AuthorityAndHost(&'a str, &'a str),
}

/// Where it goes: the TLS listener with this SNI (`None`: connect by IP, no SNI), or the
/// plain-HTTP listener.
#[derive(Clone, Copy)]
enum Via {
    Tls(Option<&'static str>),
    Plain(SocketAddr),
}

/// Sends requests to one gateway, checks each, and keeps every failure for one report.
struct Checker {
    gateway: Gateway,
    /// (status, details) of the access log lines the requests so far must have left.
    expected_log: BTreeMap<(u16, String), u64>,
    failures: Vec<String>,
    checked: usize,
}

impl Checker {
    fn new(gateway: Gateway) -> Checker {
        Checker {
            gateway,
            expected_log: BTreeMap::new(),
            failures: Vec::new(),
            checked: 0,
        }
    }

    fn check(&mut self, what: &str, protocol: Protocol, via: Via, send: Send, expect: Expect) {
        self.checked += 1;
        let before = self.gateway.envoy.sni_guard_counters().unwrap();
        let got = self.send(protocol, via, &send);
        let after = self.gateway.envoy.sni_guard_counters().unwrap();
        let moved = |name: &str| after.get(name).unwrap_or(&0) - before.get(name).unwrap_or(&0);
        let seen = (
            got,
            moved("misdirected"),
            moved("no_sni"),
            moved("log_only_mismatches"),
        );
        let wanted = (expect.got, expect.misdirected, expect.no_sni, 0);
        if seen != wanted {
            self.failures.push(format!(
                "{what} ({protocol:?}): got {seen:?}, expected {wanted:?} \
                 (result, misdirected, no_sni, log_only_mismatches)"
            ));
        }
        log_line(&mut self.expected_log, expect);
    }

    fn send(&self, protocol: Protocol, via: Via, send: &Send) -> Got {
        let client = self.gateway.client().unwrap();
        let port = self.gateway.port;
        let result = match (protocol, via, send) {
            (Protocol::Http2, Via::Tls(sni), Send::Authority(authority)) => {
                return h2load::one(port, sni, authority)
                    .unwrap()
                    .map_or(Got::NoResponse, Got::Status)
            }
            (Protocol::Http2, Via::Tls(sni), Send::NoAuthority(host)) => client
                .h2(sni)
                .and_then(|mut h2| h2.get_without_authority("/", *host)),
            (Protocol::Http2, Via::Tls(sni), Send::AuthorityAndHost(authority, host)) => client
                .h2(sni)
                .and_then(|mut h2| h2.send(&Request::get(authority).header("host", host))),
            (Protocol::Http2, Via::Plain(addr), Send::Authority(authority)) => {
                H2::plain(addr).and_then(|mut h2| h2.get(authority))
            }
            (Protocol::Http1, via, Send::Authority(authority)) => {
                let head = format!("GET / HTTP/1.1\r\nhost: {authority}\r\n\r\n");
                http1(&client, via).and_then(|mut h1| h1.send_raw(head.as_bytes()))
            }
            (Protocol::Http1, via, Send::Raw(head)) => {
                http1(&client, via).and_then(|mut h1| h1.send_raw(head))
            }
            _ => panic!("this protocol cannot send this request"),
        };
        result.map_or(Got::NoResponse, |response| Got::Status(response.status))
    }

    /// Envoy still serves and still refuses; then it stops, and its access log must hold
    /// exactly the expected lines and its log no Wasm failure.
    fn finish(self, label: &str) {
        let Checker {
            gateway,
            mut expected_log,
            mut failures,
            checked,
        } = self;
        let client = gateway.client().unwrap();
        let own = client.get(Protocol::Http2, A, "a.example.com").unwrap();
        let coalesced = client.get(Protocol::Http1, A, "b.example.com").unwrap();
        if (own.status, coalesced.status) != (200, 421) {
            failures.push(format!(
                "afterwards: a.example.com got {}, b.example.com on its connection {}",
                own.status, coalesced.status
            ));
        }
        for expect in [ROUTED, MISDIRECTED] {
            log_line(&mut expected_log, expect);
        }
        let counted = gateway.counter("misdirected").unwrap();
        let stopped = gateway.stop().unwrap();
        let mut logged = BTreeMap::new();
        for entry in &stopped.access_log {
            *logged
                .entry((entry.status, entry.details.clone()))
                .or_insert(0) += 1;
        }
        if logged != expected_log {
            failures.push(format!(
                "access log (status, details): {logged:?}, expected {expected_log:?}"
            ));
        }
        let refused = logged
            .get(&(421, MISDIRECTED.details.unwrap_or_default().to_string()))
            .copied()
            .unwrap_or(0);
        if refused != counted {
            failures.push(format!(
                "{refused} 421s in the access log, misdirected counter {counted}"
            ));
        }
        let wasm = wasm_failures(&stopped.exited.stderr);
        if !wasm.is_empty() {
            failures.push(format!("Wasm failures in Envoy's log: {wasm:#?}"));
        }
        println!("{label}: {checked} hostile requests checked, then 2 normal ones");
        assert!(
            failures.is_empty(),
            "{label}: {} failures:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

/// Counts the access log line `expect` leaves, if any.
fn log_line(log: &mut BTreeMap<(u16, String), u64>, expect: Expect) {
    if let Some(details) = expect.details {
        let status = match expect.got {
            Got::Status(status) => status,
            Got::NoResponse => 0,
        };
        *log.entry((status, details.to_string())).or_insert(0) += 1;
    }
}

fn http1(client: &sni_guard_harness::Client, via: Via) -> sni_guard_harness::Result<Http1> {
    match via {
        Via::Tls(sni) => client.http1(sni),
        Via::Plain(addr) => Http1::plain(addr),
    }
}

/// Topology (a) with `filter`, a catch-all TLS chain (for connections without SNI) and a
/// plain-HTTP listener, as an Istio gateway with a `*` server and a port-80 server has.
fn gateway(filter: &Filter) -> (Gateway, SocketAddr) {
    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(filter)
        .edit(|config| {
            edits::add_plain_listener(config, free_port()?)?;
            edits::add_tls_chain(config, "catch-all", &[])
        })
        .start()
        .unwrap();
    let plain = edits::listener_port(&gateway.config, PLAIN_LISTENER).unwrap();
    (gateway, SocketAddr::from(([127, 0, 0, 1], plain)))
}

/// Every table above against one configuration (`zero`: the expectations without a table).
fn every_hostile_input(filter: &Filter, zero: bool, label: &str) {
    let (gateway, plain) = gateway(filter);
    let mut checker = Checker::new(gateway);
    let pick = |table: Expect, without: Expect| if zero { without } else { table };
    let tls = Via::Tls(A);
    for row in authorities() {
        let expected = if zero { row.zero } else { row.table };
        for (protocol, expect) in [Protocol::Http2, Protocol::Http1].into_iter().zip(expected) {
            let send = Send::Authority(&row.authority);
            checker.check(row.what, protocol, tls, send, expect);
        }
    }
    for (what, head, table, without) in RAW_HTTP1 {
        let expect = pick(*table, *without);
        checker.check(what, Protocol::Http1, tls, Send::Raw(head), expect);
    }
    // HTTP/2 requires an authority: Envoy's codec resets a request with neither
    // `:authority` nor `host`; with `host` alone, the filter compares that.
    let reset = Expect {
        details: Some("http2.violation.of.messaging.rule"),
        ..RESET
    };
    let none = Send::NoAuthority(None);
    checker.check("no :authority, no host", Protocol::Http2, tls, none, reset);
    let host = Send::NoAuthority(Some("b.example.com"));
    checker.check(
        "no :authority, host another's",
        Protocol::Http2,
        tls,
        host,
        MISDIRECTED,
    );
    // Envoy routes on `:authority` and ignores `host` beside it; so does the filter.
    let own = Send::AuthorityAndHost("a.example.com", "b.example.com");
    checker.check(
        ":authority own, host another's",
        Protocol::Http2,
        tls,
        own,
        ROUTED,
    );
    let other = Send::AuthorityAndHost("b.example.com", "a.example.com");
    let what = ":authority another's, host own";
    checker.check(what, Protocol::Http2, tls, other, MISDIRECTED);
    // No SNI, on the catch-all chain: let through and counted, whatever the authority.
    for authority in no_sni_authorities() {
        for protocol in [Protocol::Http2, Protocol::Http1] {
            let send = Send::Authority(&authority);
            checker.check("no SNI", protocol, Via::Tls(None), send, NO_SNI);
        }
    }
    // The plain-HTTP listener: no TLS, so no SNI; its route table serves both hosts.
    let plain = Via::Plain(plain);
    for protocol in [Protocol::Http2, Protocol::Http1] {
        for authority in ["a.example.com", "b.example.com", "B.EXAMPLE.COM:99999"] {
            let send = Send::Authority(authority);
            checker.check("plain HTTP", protocol, plain, send, NO_SNI);
        }
        let send = Send::Authority("[::1]");
        checker.check("plain HTTP, IPv6", protocol, plain, send, NO_SNI_NOT_FOUND);
    }
    let send = Send::Raw(b"GET / HTTP/1.0\r\n\r\n");
    let low = envoy(426, "low_version");
    checker.check(
        "plain HTTP/1.0 without Host",
        Protocol::Http1,
        plain,
        send,
        low,
    );
    checker.finish(label);
}

#[test]
fn hostile_input_with_a_servers_table() {
    every_hostile_input(
        &Filter::SniGuard(TABLE.into()),
        false,
        "strict, servers table",
    );
}

#[test]
fn hostile_input_without_a_table() {
    every_hostile_input(&Filter::SniGuard(String::new()), true, "strict, no table");
}

/// The file as written (no catch-all chain), with HTTP/1.0 accepted as Istio's
/// `PILOT_HTTP10` does: a connection without SNI finds no filter chain, and Envoy still
/// requires a Host from HTTP/1.0, so the filter always has an authority to compare.
#[test]
fn http_1_0_accepted_and_no_chain_for_no_sni() {
    let gateway = Gateway::builder(Topology::TwoGateways)
        .edit(edits::accept_http_10)
        .start()
        .unwrap();
    let client = gateway.client().unwrap();
    for result in [client.h2(None).map(drop), client.http1(None).map(drop)] {
        let error = result.expect_err("a TLS handshake without SNI succeeded");
        assert!(error.to_string().contains("TLS handshake"), "{error}");
    }
    drop(client);
    let mut checker = Checker::new(gateway);
    let tls = Via::Tls(A);
    let no_response = RESET;
    for protocol in [Protocol::Http2, Protocol::Http1] {
        let send = Send::Authority("a.example.com");
        checker.check(
            "no SNI, no chain",
            protocol,
            Via::Tls(None),
            send,
            no_response,
        );
    }
    let cases: [(&str, &[u8], Expect); 4] = [
        (
            "HTTP/1.0 without Host",
            b"GET / HTTP/1.0\r\n\r\n",
            envoy(400, "missing_host_header"),
        ),
        (
            "HTTP/1.0, own Host",
            b"GET / HTTP/1.0\r\nHost: a.example.com\r\n\r\n",
            ROUTED,
        ),
        (
            "HTTP/1.0, another server's Host",
            b"GET / HTTP/1.0\r\nHost: b.example.com\r\n\r\n",
            MISDIRECTED,
        ),
        (
            "HTTP/1.0, another server's Host, upper case with port",
            b"GET / HTTP/1.0\r\nHost: B.EXAMPLE.COM:99999\r\n\r\n",
            MISDIRECTED,
        ),
    ];
    for (what, head, expect) in cases {
        checker.check(what, Protocol::Http1, tls, Send::Raw(head), expect);
    }
    checker.finish("as written, HTTP/1.0 accepted");
}
