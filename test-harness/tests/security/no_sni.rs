//! Connections without SNI (a client that connects by IP) on topology (c): served by the
//! filter chain without `server_names` when there is one, let through by sni-guard and counted;
//! refused in the handshake when there is none.

use super::*;
use sni_guard_harness::{envoy::edits, suite_version};

/// A default chain (a copy of `www`, SIMPLE, whose one route answers any authority with
/// "default"): the request for admin.example.com is served there, on its route table, without
/// a certificate; sni-guard has no SNI to compare and lets it through, counting it.
#[test]
fn without_sni_the_default_chain_serves_and_sni_guard_counts() {
    let gateway = Gateway::builder(Topology::MutualBesideWildcard)
        .filter(&mutual(r#""mode":"strict""#))
        .version(&suite_version())
        .edit(|config| edits::add_tls_chain(config, "default", &[]))
        .start()
        .unwrap();
    let client = gateway.client().unwrap();
    for protocol in BOTH {
        let response = client.get(protocol, None, "admin.example.com").unwrap();
        assert_eq!(
            (response.status, response.body.as_str()),
            (200, "default\n")
        );
    }
    assert_eq!(counters(&gateway), [0, 0, 2]);
    let log = gateway.stop().unwrap().access_log;
    assert_eq!(
        logged(&log, "admin.example.com"),
        [
            ("default", 200, "direct_response", "HTTP/2"),
            ("default", 200, "direct_response", "HTTP/1.1")
        ]
    );
    assert!(log.iter().all(|e| e.sni.is_none()));
}

/// No chain without `server_names`: Envoy finds no filter chain and closes the connection
/// before the TLS handshake; no request reaches a filter.
#[test]
fn without_sni_and_without_a_default_chain_the_handshake_fails() {
    let gateway = start_mutual(&mutual(r#""mode":"strict""#), &suite_version());
    let client = gateway.client().unwrap();
    for result in [client.h2(None).map(drop), client.http1(None).map(drop)] {
        let error = result.expect_err("a TLS handshake without SNI succeeded");
        assert!(error.to_string().contains("TLS handshake"), "{error}");
    }
    let listener = format!("listener.127.0.0.1_{}.no_filter_chain_match", gateway.port);
    let unmatched =
        sni_guard_harness::envoy::admin::stat(gateway.envoy.admin(), &listener).unwrap();
    assert_eq!(unmatched, Some(2));
    assert_eq!(counters(&gateway), [0, 0, 0]);
    assert!(gateway.stop().unwrap().access_log.is_empty());
}
