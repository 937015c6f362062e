//! Normalisation on the wire: what the real Envoy hands the filter for upper-case
//! authorities, ports, trailing dots, IPv6 literals and connections without SNI, over
//! HTTP/2 and HTTP/1.1; and what each protocol's connection does after a 421.

use sni_guard_harness::{Gateway, Protocol, Topology};

const A: Option<&str> = Some("a.example.com");

#[test]
fn authorities_are_compared_after_normalisation() {
    let gateway = Gateway::builder(Topology::TwoGateways).start().unwrap();
    let client = gateway.client().unwrap();
    let port = gateway.port;
    // (authority, status): same server passes to gw-a's router, the other server is a 421.
    let cases = [
        ("A.EXAMPLE.COM".to_string(), 200),
        ("B.Example.Com".to_string(), 421),
        (format!("a.example.com:{port}"), 200),
        (format!("b.example.com:{port}"), 421),
        (format!("A.EXAMPLE.COM:{port}"), 200),
        // Istio does not strip the dot, so gw-a's router answers 404: but no 421.
        ("a.example.com.".to_string(), 404),
        ("b.example.com.".to_string(), 421),
        (format!("b.example.com.:{port}"), 421),
        // No server serves an IP literal: the router's 404.
        (format!("[::1]:{port}"), 404),
        ("[::1]".to_string(), 404),
        (format!("127.0.0.1:{port}"), 404),
    ];
    let mut refused = 0;
    for protocol in [Protocol::Http2, Protocol::Http1] {
        for (authority, status) in &cases {
            let response = client.get(protocol, A, authority).unwrap();
            assert_eq!(response.status, *status, "{protocol:?} {authority}");
            refused += u64::from(*status == 421);
        }
    }
    assert_eq!(gateway.counter("misdirected").unwrap(), refused);
    // Envoy passes the authority through as sent: the filter saw these exact bytes.
    let log = gateway.stop().unwrap().access_log;
    assert!(
        log.iter()
            .any(|e| e.authority.as_deref() == Some("B.Example.Com") && e.status == 421)
    );
    assert!(
        log.iter()
            .any(|e| e.authority.as_deref() == Some("b.example.com.") && e.status == 421)
    );
}

#[test]
fn after_a_421_each_connection_stays_usable_for_its_own_host() {
    let gateway = Gateway::builder(Topology::TwoGateways).start().unwrap();
    let client = gateway.client().unwrap();
    // HTTP/2: the 421 ends one stream, not the connection.
    let mut h2 = client.h2(A).unwrap();
    assert_eq!(h2.get("b.example.com").unwrap().status, 421);
    assert_eq!(h2.get("a.example.com").unwrap().status, 200);
    assert_eq!(h2.get("b.example.com").unwrap().status, 421);
    assert_eq!(h2.get("a.example.com").unwrap().status, 200);
    // HTTP/1.1: Envoy keeps the connection open after a local reply (it strips
    // `connection: close` from it), so the client's next request on it is served.
    let mut h1 = client.http1(A).unwrap();
    let refused = h1.get("b.example.com").unwrap();
    assert_eq!(refused.status, 421);
    assert_eq!(h1.get("a.example.com").unwrap().status, 200);
    assert_eq!(gateway.counter("misdirected").unwrap(), 3);
    let log = gateway.stop().unwrap().access_log;
    // Four requests on the HTTP/2 connection, two on the HTTP/1.1 one.
    let mut per_connection = std::collections::BTreeMap::new();
    for entry in &log {
        *per_connection.entry(entry.connection).or_insert(0) += 1;
    }
    assert_eq!(per_connection.values().copied().collect::<Vec<_>>(), [4, 2]);
}

#[test]
fn a_connection_without_sni_is_let_through_and_counted() {
    // Only the conformance topology has a catch-all chain to accept it.
    let gateway = Gateway::builder(Topology::Conformance).start().unwrap();
    let client = gateway.client().unwrap();
    for protocol in [Protocol::Http2, Protocol::Http1] {
        let own = client.get(protocol, None, "example.org").unwrap();
        assert_eq!(own.status, 200);
        assert!(own.body.starts_with("https: "));
        // Another server's host, but nothing to compare it with: the catch-all's router.
        assert_eq!(
            client
                .get(protocol, None, "second-example.org")
                .unwrap()
                .status,
            404
        );
    }
    assert_eq!(gateway.counter("no_sni").unwrap(), 4);
    assert_eq!(gateway.counter("misdirected").unwrap(), 0);
    let log = gateway.stop().unwrap().access_log;
    assert_eq!(log.len(), 4);
    assert!(
        log.iter()
            .all(|e| e.sni.is_none() && e.filter_chain == "https")
    );
}
