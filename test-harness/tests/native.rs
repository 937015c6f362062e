//! The native build (`libsni_guard_native.so`, an Envoy dynamic module) in the real Envoy.

use sni_guard_harness::client::BODY_421;
use sni_guard_harness::envoy::topology::TWO_GATEWAYS_SERVERS;
use sni_guard_harness::{Filter, Gateway, Protocol, Topology, paths};

const A: Option<&str> = Some("a.example.com");
const B: Option<&str> = Some("b.example.com");

fn native(mode: &str) -> Filter {
    paths::native_module().unwrap();
    Filter::Native(format!(r#"{{"mode":"{mode}","servers":{TWO_GATEWAYS_SERVERS}}}"#))
}

fn two_gateways_on(version: &str) {
    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(&native("strict"))
        .version(version)
        .start()
        .unwrap();
    let client = gateway.client().unwrap();
    for protocol in [Protocol::Http2, Protocol::Http1] {
        let own = client.get(protocol, A, "a.example.com").unwrap();
        assert_eq!((own.status, own.body.as_str()), (200, "gw-a: a.example.com\n"));
        let coalesced = client.get(protocol, A, "b.example.com").unwrap();
        assert_eq!((coalesced.status, coalesced.body.as_str()), (421, BODY_421), "{protocol:?}");
        assert_eq!(coalesced.header("content-type"), Some("text/plain"));
    }
    let mut h2 = client.h2(A).unwrap();
    assert_eq!(h2.get("a.example.com").unwrap().status, 200);
    assert_eq!(h2.get("b.example.com").unwrap().status, 421);
    let stats = gateway.envoy.admin_get("/stats?filter=sni_guard").unwrap();
    println!("{stats}");
    let stopped = gateway.stop().unwrap();
    for line in stopped.exited.stderr.lines().filter(|l| l.contains("dynamic") || l.contains("sni-guard") || l.contains("configured")) {
        println!("{line}");
    }
    let coalesced: Vec<_> = stopped.access_log.iter().filter(|e| e.status == 421).collect();
    assert_eq!(coalesced.len(), 3);
    assert!(coalesced.iter().all(|e| e.details == "sni_guard_misdirected_request"), "{coalesced:?}");
}

#[test]
fn the_two_gateways_on_envoy_1_40() {
    two_gateways_on(sni_guard_harness::default_version());
}

#[test]
fn the_two_gateways_on_envoy_1_39() {
    two_gateways_on(sni_guard_harness::envoy_gateway_version());
}
