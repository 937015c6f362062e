//! End to end: the configuration `sni-guard plugin-config` generates from the two-Gateway
//! fixture runs in the real Envoy on the matching topology (a) — gw-a serves a.example.com,
//! gw-b serves b.example.com, one wildcard certificate — and answers 421 exactly where a
//! request reaches the other Gateway's filter chain.

mod common;

use common::sni_guard;
use sni_guard_decision::{Config, Request as Decision, Verdict};
use sni_guard_harness::{Filter, Gateway, Protocol, Topology};

const FIXTURE: &str = "two-gateways-shared-wildcard.yaml";

/// Generates the configuration from the fixture, as an operator would.
fn generated(mode: &str) -> String {
    let audit = sni_guard(&["audit", FIXTURE]);
    assert_eq!(
        audit.code, 1,
        "the fixture is the conflict: {}",
        audit.stdout
    );
    let out = sni_guard(&["plugin-config", "--mode", mode, FIXTURE]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
}

/// (SNI, authority, status, body prefix): what the topology must answer with the filter.
const EXPECTED: [(&str, &str, u16, &str); 8] = [
    ("a.example.com", "a.example.com", 200, "gw-a: a.example.com"),
    ("a.example.com", "b.example.com", 421, "Misdirected Request"),
    (
        "a.example.com",
        "B.Example.com:443",
        421,
        "Misdirected Request",
    ),
    ("a.example.com", "c.example.com", 404, ""),
    ("b.example.com", "b.example.com", 200, "gw-b: b.example.com"),
    (
        "b.example.com",
        "b.example.com:443",
        200,
        "gw-b: b.example.com",
    ),
    ("b.example.com", "a.example.com", 421, "Misdirected Request"),
    ("b.example.com", "c.example.com", 404, ""),
];

#[test]
fn generated_strict_configuration_in_envoy() {
    let config = generated("strict");
    // The filter's own decision on the generated configuration agrees with the table.
    let parsed = Config::parse(config.as_bytes()).expect("the filter accepts it");
    for (sni, authority, status, _) in EXPECTED {
        let verdict = parsed.decide(&Decision {
            sni: Some(sni.as_bytes()),
            authority: Some(authority.as_bytes()),
            protocol: Some(b"HTTP/2"),
        });
        assert_eq!(
            matches!(verdict, Verdict::Misdirected(_)),
            status == 421,
            "{sni} {authority}"
        );
    }

    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(&Filter::SniGuard(config))
        .start()
        .unwrap();
    let client = gateway.client().unwrap();
    let mut sent_421 = 0;
    // HTTP/2: every authority on one connection per SNI, as a coalescing browser sends them.
    for sni in ["a.example.com", "b.example.com"] {
        let mut h2 = client.h2(Some(sni)).unwrap();
        for (_, authority, status, body) in EXPECTED.iter().filter(|e| e.0 == sni) {
            let response = h2.get(authority).unwrap();
            assert_eq!(
                response.status, *status,
                "HTTP/2 sni {sni} authority {authority}"
            );
            assert!(
                response.body.starts_with(body),
                "{sni} {authority}: {}",
                response.body
            );
            sent_421 += u64::from(*status == 421);
        }
    }
    // HTTP/1.1: one connection per request.
    for (sni, authority, status, _) in EXPECTED {
        let response = client.get(Protocol::Http1, Some(sni), authority).unwrap();
        assert_eq!(
            response.status, status,
            "HTTP/1.1 sni {sni} authority {authority}"
        );
        sent_421 += u64::from(status == 421);
    }
    assert_eq!(sent_421, 6);
    assert_eq!(gateway.counter("misdirected").unwrap(), sent_421);

    let log = gateway.stop().unwrap().access_log;
    assert_eq!(log.len(), 2 * EXPECTED.len());
    for entry in &log {
        let chain = match entry.sni.as_deref() {
            Some("a.example.com") => "gw-a",
            _ => "gw-b",
        };
        assert_eq!(entry.filter_chain, chain, "{entry:?}");
        if entry.status == 421 {
            assert_eq!(entry.details, "sni_guard_misdirected_request", "{entry:?}");
        }
    }
    assert_eq!(
        log.iter().filter(|e| e.status == 421).count() as u64,
        sent_421
    );
}

#[test]
fn generated_log_only_configuration_names_the_gateway_servers() {
    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(&Filter::SniGuard(generated("log_only")))
        .start()
        .unwrap();
    let client = gateway.client().unwrap();
    let mut h2 = client.h2(Some("a.example.com")).unwrap();
    assert_eq!(h2.get("a.example.com").unwrap().status, 200);
    // Let through: gw-a's route table has no b.example.com.
    assert_eq!(h2.get("b.example.com").unwrap().status, 404);
    assert_eq!(gateway.counter("log_only_mismatches").unwrap(), 1);
    assert_eq!(gateway.counter("misdirected").unwrap(), 0);
    let stopped = gateway.stop().unwrap();
    assert!(
        stopped.exited.stderr.contains(
            "sni-guard: misdirected request let through (log_only): sni \"a.example.com\" (server istio-system/gw-a/https), authority \"b.example.com\" (server istio-system/gw-b/https)"
        ),
        "{}",
        stopped.exited.stderr
    );
}
