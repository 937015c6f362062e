//! The client-certificate bypass on topology (c): the `admin` chain requires a client
//! certificate, the `www` chain (`*.example.com`, SIMPLE) does not, and its route table serves
//! admin.example.com too (a VirtualService bound to both Gateways).

use super::*;
use sni_guard_harness::client::BODY_421;
use sni_guard_harness::{oldest_version, suite_version};

/// The premise: without a filter, a client without a certificate reaches admin's backend
/// through the wildcard chain, over HTTP/2 and HTTP/1.1; on admin's own chain it cannot.
fn without_the_filter(version: &str) {
    let gateway = start_mutual(&Filter::None, version);
    for protocol in BOTH {
        let response = bypass(&gateway, protocol);
        assert_eq!(
            (response.status, response.body.as_str()),
            (200, ADMIN_BODY),
            "Envoy {version} {protocol:?}"
        );
    }
    let client = gateway.client().unwrap();
    for protocol in BOTH {
        let refused = client.get(protocol, ADMIN, "admin.example.com");
        assert_no_certificate_refused(refused, protocol);
    }
    assert!(gateway.envoy.sni_guard_counters().unwrap().is_empty());
    assert_eq!(gateway.tls_stats().unwrap()["fail_verify_no_cert"], 2);
    let log = gateway.stop().unwrap().access_log;
    assert_eq!(
        logged(&log, "admin.example.com"),
        [
            ("www", 200, "direct_response", "HTTP/2"),
            ("www", 200, "direct_response", "HTTP/1.1")
        ]
    );
}

#[test]
fn without_the_filter_a_client_without_a_certificate_reaches_the_mutual_host() {
    without_the_filter(&suite_version());
}

#[test]
fn without_the_filter_the_bypass_works_on_the_oldest_envoy() {
    without_the_filter(oldest_version());
}

/// Strict with both servers in `servers`: the bypass gets 421 on both protocols; the MUTUAL
/// host is served with a certificate and refused in the handshake without one; the wildcard
/// server's own host is served.
fn strict(version: &str) {
    let gateway = start_mutual(&mutual(r#""mode":"strict""#), version);
    for protocol in BOTH {
        let response = bypass(&gateway, protocol);
        assert_eq!(
            (response.status, response.body.as_str()),
            (421, BODY_421),
            "Envoy {version} {protocol:?}"
        );
    }
    let with_certificate = gateway.client_with_certificate().unwrap();
    let without = gateway.client().unwrap();
    for protocol in BOTH {
        let admin = with_certificate
            .get(protocol, ADMIN, "admin.example.com")
            .unwrap();
        assert_eq!((admin.status, admin.body.as_str()), (200, ADMIN_BODY));
        let refused = without.get(protocol, ADMIN, "admin.example.com");
        assert_no_certificate_refused(refused, protocol);
        let www = without.get(protocol, WWW, "www.example.com").unwrap();
        assert_eq!((www.status, www.body.as_str()), (200, WWW_BODY));
    }
    assert_eq!(counters(&gateway), [2, 0, 0]);
    assert_eq!(gateway.tls_stats().unwrap()["fail_verify_no_cert"], 2);
    let log = gateway.stop().unwrap().access_log;
    assert_eq!(
        logged(&log, "admin.example.com"),
        [
            ("www", 421, MISDIRECTED, "HTTP/2"),
            ("www", 421, MISDIRECTED, "HTTP/1.1"),
            ("admin", 200, "direct_response", "HTTP/2"),
            ("admin", 200, "direct_response", "HTTP/1.1"),
        ]
    );
}

#[test]
fn strict_refuses_the_bypass_and_serves_the_mutual_host_with_a_certificate() {
    strict(&suite_version());
}

#[test]
fn strict_refuses_the_bypass_on_the_oldest_envoy() {
    strict(oldest_version());
}

/// `exempt_hosts` listing the MUTUAL host: served on any connection, so the hole is open.
#[test]
fn exempting_the_mutual_host_reopens_the_bypass() {
    let filter = mutual(r#""exempt_hosts":["admin.example.com"]"#);
    let gateway = start_mutual(&filter, &suite_version());
    for protocol in BOTH {
        let response = bypass(&gateway, protocol);
        assert_eq!((response.status, response.body.as_str()), (200, ADMIN_BODY));
    }
    assert_eq!(counters(&gateway), [0, 0, 0]);
}

/// `log_only` lets the bypass through and counts it.
#[test]
fn log_only_lets_the_bypass_through_and_counts_it() {
    let gateway = start_mutual(&mutual(r#""mode":"log_only""#), &suite_version());
    for protocol in BOTH {
        let response = bypass(&gateway, protocol);
        assert_eq!((response.status, response.body.as_str()), (200, ADMIN_BODY));
    }
    assert_eq!(counters(&gateway), [0, 2, 0]);
    let stopped = gateway.stop().unwrap();
    let warning = r#"misdirected request let through (log_only): sni "www.example.com" (server www), authority "admin.example.com" (server admin)"#;
    let warnings = stopped.exited.stderr.matches(warning).count();
    assert_eq!(warnings, 2, "{}", stopped.exited.stderr);
}

/// `check_http1: false`: the bypass over HTTP/1.1 reaches admin's backend; HTTP/2 still
/// gets 421.
#[test]
fn check_http1_false_reopens_the_bypass_over_http1_only() {
    let gateway = start_mutual(&mutual(r#""check_http1":false"#), &suite_version());
    let h1 = bypass(&gateway, Protocol::Http1);
    assert_eq!((h1.status, h1.body.as_str()), (200, ADMIN_BODY));
    let h2 = bypass(&gateway, Protocol::Http2);
    assert_eq!((h2.status, h2.body.as_str()), (421, BODY_421));
    assert_eq!(counters(&gateway), [1, 0, 0]);
}
