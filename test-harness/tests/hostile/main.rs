//! Hostile input through the real Envoy (odd ports, several colons, IP literals, long names,
//! case, dots, missing names), over HTTP/2 and HTTP/1.1, with sni-guard strict with a servers
//! table and strict without one (zero configuration).
//! Each input's expected result (status, counter movement) is written down in `cases.rs` and
//! asserted by `checker.rs`; where Envoy rejects an input before the filter, that rejection is
//! the expected result, and the access log must name it. After all of them Envoy still
//! serves, still refuses a coalesced request, and its log has no Wasm failure.
//!
//! HTTP/2 requests with a TLS SNI go through nghttp2 (`h2load -n 1`), which sends the
//! `:authority` bytes as given (the `http` crate refuses percent signs, several colons and
//! unbracketed IPv6 in an authority); HTTP/1.x requests are written byte for byte.

mod cases;
mod checker;

use cases::{A, Expect, RAW_HTTP1, authorities, envoy, no_sni_authorities};
use cases::{MISDIRECTED, NO_SNI, NO_SNI_NOT_FOUND, RESET, ROUTED};
use checker::{Checker, Send, Via};
use sni_guard_harness::envoy::edits::{self, PLAIN_LISTENER};
use sni_guard_harness::envoy::gateway::free_port;
use sni_guard_harness::{Filter, Gateway, Protocol, Topology};
use std::net::SocketAddr;

/// Topology (a)'s servers table, gw-b also serving `*.b.example.com`, so that long names
/// select a server through a wildcard.
const TABLE: &str = r#"{"mode":"strict","servers":[{"name":"gw-a","hosts":["a.example.com"]},{"name":"gw-b","hosts":["b.example.com","*.b.example.com"]}]}"#;

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
