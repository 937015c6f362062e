//! Tables `sni-guard plugin-config` generates from Gateways beyond two HTTPS servers, run in
//! the real Envoy on the topology those Gateways make:
//! - the Gateway API conformance Gateway (GEP-3567): the 15 expected answers;
//! - a TLS PASSTHROUGH server beside a wildcard HTTPS server: the passthrough host, coalesced
//!   onto the wildcard connection, gets 421 (without the filter, the wildcard server's 404), and
//!   the retry with its own SNI reaches the passthrough backend.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // test helpers may fail loudly

mod common;

use common::sni_guard;
use sni_guard_harness::envoy::edits::add_passthrough_chain;
use sni_guard_harness::envoy::gateway::free_port;
use sni_guard_harness::{Filter, Gateway, Protocol, Topology, conformance};
use yaml_serde::Value;

fn generated(args: &[&str]) -> String {
    let mut all = vec!["plugin-config"];
    all.extend(args);
    let out = sni_guard(&all);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
}

#[test]
fn the_gateway_api_conformance_gateway_gives_the_fifteen_answers() {
    let table = generated(&[
        "--gateway",
        "gateway-conformance-infra/same-namespace-with-https-listener",
        "gateway-api-conformance.yaml",
    ]);
    let gateway = Gateway::builder(Topology::Conformance)
        .filter(&Filter::SniGuard(table))
        .start()
        .unwrap();
    let client = gateway.client().unwrap();
    let mut refused = 0;
    for protocol in [Protocol::Http2, Protocol::Http1] {
        for c in conformance::cases() {
            let response = client.get(protocol, Some(c.sni), c.authority).unwrap();
            assert_eq!(
                response.status, c.status,
                "{protocol:?}, SNI {}, authority {}: {}",
                c.sni, c.authority, response.body
            );
            refused += u64::from(c.status == 421);
        }
    }
    assert_eq!(refused, 14);
    assert_eq!(gateway.counter("misdirected").unwrap(), refused);
}

/// Topology (a) as the passthrough fixture lays it out: one HTTPS chain for `*.example.com`
/// (gw-a's route table: it answers a.example.com), and a passthrough chain for
/// httpbin.example.com in front of its own TLS backend.
fn passthrough_gateway(filter: &Filter) -> Gateway {
    Gateway::builder(Topology::TwoGateways)
        .filter(filter)
        .edit(|config: &mut Value| {
            let chains = config["static_resources"]["listeners"][0]["filter_chains"]
                .as_sequence_mut()
                .expect("filter chains");
            chains.retain(|c| c["name"].as_str() == Some("gw-a"));
            chains[0]["filter_chain_match"]["server_names"] =
                yaml_serde::to_value(["*.example.com"]).unwrap();
            add_passthrough_chain(config, "httpbin", &["httpbin.example.com"], free_port()?)
        })
        .start()
        .unwrap()
}

#[test]
fn a_passthrough_host_coalesced_onto_the_wildcard_connection_gets_421() {
    let audit = sni_guard(&["audit", "passthrough-beside-wildcard.yaml"]);
    assert_eq!(audit.code, 1, "{}", audit.stdout);
    assert!(
        audit
            .stdout
            .contains("can carry requests for httpbin.example.com of:")
    );
    let table = generated(&["passthrough-beside-wildcard.yaml"]);
    let parsed: serde_json::Value = serde_json::from_str(&table).unwrap();
    assert_eq!(parsed["servers"][1]["hosts"][0], "httpbin.example.com");

    // Without the filter: the wildcard server's route table has no httpbin.example.com.
    let plain = passthrough_gateway(&Filter::None);
    let mut h2 = plain.client().unwrap().h2(Some("www.example.com")).unwrap();
    assert_eq!(h2.get("a.example.com").unwrap().status, 200);
    assert_eq!(h2.get("httpbin.example.com").unwrap().status, 404);
    drop(plain);

    let gateway = passthrough_gateway(&Filter::SniGuard(table));
    let client = gateway.client().unwrap();
    let mut h2 = client.h2(Some("www.example.com")).unwrap();
    assert_eq!(h2.get("a.example.com").unwrap().status, 200);
    let coalesced = h2.get("httpbin.example.com").unwrap();
    assert_eq!(coalesced.status, 421, "{}", coalesced.body);
    // The browser's retry: a new connection whose SNI reaches the passthrough chain.
    for protocol in [Protocol::Http2, Protocol::Http1] {
        let retry = client
            .get(protocol, Some("httpbin.example.com"), "httpbin.example.com")
            .unwrap();
        assert_eq!(
            (retry.status, retry.body.as_str()),
            (200, "httpbin backend\n")
        );
    }
    assert_eq!(gateway.counter("misdirected").unwrap(), 1);
    let log = gateway.stop().unwrap().access_log;
    let refused: Vec<_> = log.iter().filter(|e| e.status == 421).collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].filter_chain, "gw-a");
    assert_eq!(refused[0].details, "sni_guard_misdirected_request");
    assert_eq!(
        log.iter()
            .filter(|e| e.filter_chain == "httpbin-backend")
            .count(),
        2,
        "{log:?}"
    );
}
