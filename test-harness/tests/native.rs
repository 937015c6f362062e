//! The native build (`libsni_guard_native.so`, an Envoy dynamic module) in the real Envoy, by
//! name, whatever `SNI_GUARD_BUILD` says (that variable runs the other suites on it): the
//! two-Gateway case on each Envoy release it supports, the ABI version each says it loaded,
//! and a clear refusal, not a crash, from an Envoy whose ABI it does not speak.

use sni_guard_harness::client::BODY_421;
use sni_guard_harness::envoy::topology::TWO_GATEWAYS_SERVERS;
use sni_guard_harness::{
    Filter, Gateway, Outcome, Protocol, Topology, default_version, envoy_gateway_version,
    istio_oldest_version, paths,
};
use std::os::unix::process::ExitStatusExt;

const A: Option<&str> = Some("a.example.com");
const B: Option<&str> = Some("b.example.com");

fn native() -> Filter {
    paths::native_module().unwrap();
    Filter::Native(format!(
        r#"{{"mode":"strict","servers":{TWO_GATEWAYS_SERVERS}}}"#
    ))
}

/// HTTP/2 and HTTP/1.1: 200 for the connection's own host, 421 for the other, the retry 200;
/// the counters and the access log's details; Envoy's line about the ABI version.
fn two_gateways_on(version: &str, abi_line: &str) {
    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(&native())
        .version(version)
        .start()
        .unwrap();
    let client = gateway.client().unwrap();
    for protocol in [Protocol::Http2, Protocol::Http1] {
        let own = client.get(protocol, A, "a.example.com").unwrap();
        assert_eq!(
            (own.status, own.body.as_str()),
            (200, "gw-a: a.example.com\n")
        );
        let coalesced = client.get(protocol, A, "b.example.com").unwrap();
        assert_eq!(
            (coalesced.status, coalesced.body.as_str()),
            (421, BODY_421),
            "{protocol:?}"
        );
        assert_eq!(coalesced.header("content-type"), Some("text/plain"));
        let retry = client.get(protocol, B, "b.example.com").unwrap();
        assert_eq!(
            (retry.status, retry.body.as_str()),
            (200, "gw-b: b.example.com\n")
        );
    }
    let counters = gateway.envoy.sni_guard_counters().unwrap();
    assert_eq!(counters["misdirected"], 2);
    assert_eq!(counters["no_sni"], 0);
    let stats = gateway
        .envoy
        .admin_get("/stats?filter=dynamicmodulescustom")
        .unwrap();
    assert!(
        stats.contains("dynamicmodulescustom.sni_guard.misdirected: 2"),
        "{stats}"
    );
    let stopped = gateway.stop().unwrap();
    let refused: Vec<_> = stopped
        .access_log
        .iter()
        .filter(|e| e.status == 421)
        .collect();
    assert_eq!(refused.len(), 2);
    assert!(
        refused
            .iter()
            .all(|e| e.details == "sni_guard_misdirected_request" && e.filter_chain == "gw-a"),
        "{refused:?}"
    );
    let log = &stopped.exited.stderr;
    assert!(log.contains(abi_line), "{log}");
    assert!(
        log.contains("sni-guard: configured: strict, 2 servers"),
        "{log}"
    );
}

#[test]
fn on_envoy_1_40_it_loads_as_a_module_of_the_previous_release() {
    two_gateways_on(
        default_version(),
        "Dynamic module ABI version v0.1.0 is deprecated",
    );
}

#[test]
fn on_envoy_1_39_its_abi_version_matches() {
    two_gateways_on(
        envoy_gateway_version(),
        "Dynamic module ABI version v0.1.0 matched.",
    );
}

/// Envoy 1.36 (the oldest Istio ships) speaks another ABI: it refuses the module at start-up,
/// with a line that says which; it does not crash.
#[test]
fn an_envoy_of_another_abi_refuses_it_with_a_line_and_no_crash() {
    let outcome = Gateway::builder(Topology::TwoGateways)
        .filter(&native())
        .version(istio_oldest_version())
        .launch()
        .unwrap();
    let Outcome::Refused(exited) = outcome else {
        panic!(
            "Envoy {} started with the native module",
            istio_oldest_version()
        );
    };
    assert_eq!(exited.status.signal(), None, "{}", exited.stderr);
    assert!(!exited.status.success());
    let line = exited
        .stderr
        .lines()
        .find(|l| l.contains("[critical]") && l.contains("Failed to load dynamic module"))
        .unwrap_or_else(|| panic!("no critical line about the module:\n{}", exited.stderr));
    assert!(line.contains("ABI version mismatch: got v0.1.0"), "{line}");
}
