//! Topology (b), the Gateway API conformance topology, in strict mode with the servers
//! table: all 15 cases of HTTPRouteHTTPSListenerDetectMisdirectedRequests, over HTTP/2 and
//! HTTP/1.1, on the suite's Envoy (1.40.0) and on the oldest Envoy Istio still ships (1.36.4).

use sni_guard_harness::{Gateway, Protocol, Topology};
use sni_guard_harness::{conformance, oldest_version, suite_version};

/// The listener Envoy's filter chain match picks for an SNI.
fn listener(sni: &str) -> &'static str {
    match sni {
        "second-example.org" => "https-with-hostname",
        "fourth-example.wildcard.org" => "https-with-hostname-matching-wildcard",
        s if s.ends_with(".wildcard.org") => "https-with-wildcard-hostname",
        _ => "https",
    }
}

fn conformance(version: &str) {
    let gateway = Gateway::builder(Topology::Conformance)
        .version(version)
        .start()
        .unwrap();
    assert_eq!(gateway.envoy.version(), version);
    let client = gateway.client().unwrap();
    let mut refused = 0;
    for protocol in [Protocol::Http2, Protocol::Http1] {
        for c in conformance::cases() {
            let (sni, authority, status) = (c.sni, c.authority, c.status);
            let response = client.get(protocol, Some(sni), authority).unwrap();
            assert_eq!(
                response.status, status,
                "Envoy {version}, {protocol:?}, SNI {sni}, authority {authority}: {}",
                response.body
            );
            if status == 200 {
                // Served by the right listener's route.
                let served_by = format!("{}: ", listener(sni));
                assert!(response.body.starts_with(&served_by), "{}", response.body);
            }
            if status == 421 {
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 14);
    assert_eq!(gateway.counter("misdirected").unwrap(), refused);
    let log = gateway.stop().unwrap().access_log;
    assert_eq!(log.len(), 30);
    for entry in &log {
        let sni = entry.sni.as_deref().unwrap();
        assert_eq!(entry.filter_chain, listener(sni), "{entry:?}");
        assert_eq!(
            entry.status == 421,
            entry.details == "sni_guard_misdirected_request"
        );
    }
}

#[test]
fn the_fifteen_conformance_cases_on_the_suite_envoy() {
    conformance(&suite_version());
}

#[test]
fn the_fifteen_conformance_cases_on_the_oldest_envoy() {
    conformance(oldest_version());
}
