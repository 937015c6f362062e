//! HTTP/3: topology (a) with QUIC listeners as istiod renders them (`quic::enable`), and a
//! real HTTP/3 client coalescing requests for b.example.com onto a QUIC connection made for
//! a.example.com. Each case runs on the default and on the oldest Envoy.

use sni_guard_harness::client::BODY_421;
use sni_guard_harness::plugin_slot::{is_sni_guard, visit_http_filters_mut};
use sni_guard_harness::{Filter, Gateway, Layout, Protocol, Topology, envoy::quic, paths};
use yaml_serde::Value;

const A: Option<&str> = Some("a.example.com");
const B: Option<&str> = Some("b.example.com");
const GW_A: &str = "gw-a: a.example.com\n";
const GW_B: &str = "gw-b: b.example.com\n";
const WARNING: &str = r#"sni-guard: misdirected request let through (log_only): sni "a.example.com" (server gw-a), authority "b.example.com" (server gw-b)"#;

sni_guard_harness::on_both_versions!(
    without_a_filter_a_coalesced_request_gets_the_wrong_gateways_404,
    strict_answers_421_and_the_retry_reaches_gw_b,
    log_only_lets_it_through_and_counts,
    the_tcp_listener_advertises_h3_on_its_port
);

fn start(version: &str, filter: &Filter) -> Gateway {
    Gateway::builder(Topology::TwoGateways)
        .version(version)
        .filter(filter)
        .edit(quic::enable)
        .start()
        .unwrap()
}

fn without_a_filter_a_coalesced_request_gets_the_wrong_gateways_404(version: &str) {
    let gateway = start(version, &Filter::None);
    let client = gateway.client().unwrap();
    let mut h3 = client.h3(A).unwrap();
    let own = h3.get("a.example.com").unwrap();
    assert_eq!((own.status, own.body.as_str()), (200, GW_A));
    let coalesced = h3.get("b.example.com").unwrap();
    assert_eq!(coalesced.status, 404);
    let retry = client.h3(B).unwrap().get("b.example.com").unwrap();
    assert_eq!((retry.status, retry.body.as_str()), (200, GW_B));
    drop(h3);
    let log = gateway.stop().unwrap().access_log;
    let coalesced = log
        .iter()
        .find(|e| e.authority.as_deref() == Some("b.example.com") && e.status == 404)
        .unwrap();
    // Envoy (1.36.4, 1.40.0) logs no %FILTER_CHAIN_NAME% for QUIC streams ("-"): the SNI
    // names the chain, and gw-b's table would have answered b with 200.
    assert_eq!(coalesced.sni.as_deref(), Some("a.example.com"));
    assert_eq!(coalesced.details, "route_not_found");
    assert_eq!(coalesced.protocol, "HTTP/3");
}

fn strict_answers_421_and_the_retry_reaches_gw_b(version: &str) {
    let gateway = start(version, &Filter::two_gateways("strict", true));
    let client = gateway.client().unwrap();
    let mut sent_421 = 0;
    // Many requests on one QUIC connection: a 421 leaves it usable for its own host.
    let mut h3 = client.h3(A).unwrap();
    for _ in 0..3 {
        let own = h3.get("a.example.com").unwrap();
        assert_eq!((own.status, own.body.as_str()), (200, GW_A));
        let coalesced = h3.get("b.example.com").unwrap();
        assert_eq!((coalesced.status, coalesced.body.as_str()), (421, BODY_421));
        assert_eq!(coalesced.header("content-type"), Some("text/plain"));
        sent_421 += 1;
    }
    // The retry on a new QUIC connection with SNI b reaches gw-b; the other direction too.
    let mut retry = client.h3(B).unwrap();
    let own = retry.get("b.example.com").unwrap();
    assert_eq!((own.status, own.body.as_str()), (200, GW_B));
    assert_eq!(retry.get("a.example.com").unwrap().status, 421);
    sent_421 += 1;
    // A host no Gateway serves is the router's 404, not a 421.
    assert_eq!(h3.get("c.example.com").unwrap().status, 404);

    assert_eq!(gateway.counter("misdirected").unwrap(), sent_421);
    assert_eq!(gateway.counter("log_only_mismatches").unwrap(), 0);
    drop((h3, retry));
    let log = gateway.stop().unwrap().access_log;
    assert!(log.iter().all(|e| e.protocol == "HTTP/3"), "{log:#?}");
    let refused: Vec<_> = log.iter().filter(|e| e.status == 421).collect();
    assert_eq!(refused.len() as u64, sent_421);
    assert!(
        refused
            .iter()
            .all(|e| e.details == "sni_guard_misdirected_request")
    );
    let on_a = refused.iter().filter(|e| e.sni == A.map(String::from));
    assert_eq!(on_a.count(), 3);
    // The three coalesced requests, their neighbours and the unknown host share one connection.
    let first = log.first().unwrap().connection;
    assert_eq!(log.iter().filter(|e| e.connection == first).count(), 7);
}

fn log_only_lets_it_through_and_counts(version: &str) {
    let gateway = start(version, &Filter::two_gateways("log_only", true));
    let client = gateway.client().unwrap();
    let mut h3 = client.h3(A).unwrap();
    let mut mismatches = 0;
    for _ in 0..3 {
        assert_eq!(h3.get("a.example.com").unwrap().status, 200);
        assert_eq!(h3.get("b.example.com").unwrap().status, 404);
        mismatches += 1;
    }
    // Not a mismatch: an unknown host, and the right connection.
    assert_eq!(h3.get("c.example.com").unwrap().status, 404);
    let own = client.h3(B).unwrap().get("b.example.com").unwrap();
    assert_eq!((own.status, own.body.as_str()), (200, GW_B));

    assert_eq!(gateway.counter("log_only_mismatches").unwrap(), mismatches);
    assert_eq!(gateway.counter("misdirected").unwrap(), 0);
    drop(h3);
    let stopped = gateway.stop().unwrap();
    let warnings = stopped
        .exited
        .stderr
        .lines()
        .filter(|l| l.contains("[warning]") && l.contains(WARNING))
        .count();
    assert_eq!(warnings as u64, mismatches, "{}", stopped.exited.stderr);
    let log = stopped.access_log;
    let through: Vec<_> = log
        .iter()
        .filter(|e| e.authority.as_deref() == Some("b.example.com") && e.sni == A.map(String::from))
        .collect();
    assert_eq!(through.len() as u64, mismatches);
    assert!(
        through
            .iter()
            .all(|e| e.status == 404 && e.details == "route_not_found" && e.protocol == "HTTP/3")
    );
}

fn the_tcp_listener_advertises_h3_on_its_port(version: &str) {
    let gateway = start(version, &Filter::None);
    let client = gateway.client().unwrap();
    let expected = quic::alt_svc(gateway.port);
    for protocol in [Protocol::Http2, Protocol::Http1] {
        let tcp = client.get(protocol, A, "a.example.com").unwrap();
        assert_eq!(tcp.status, 200);
        assert_eq!(
            tcp.header("alt-svc"),
            Some(expected.as_str()),
            "{protocol:?}"
        );
    }
    // What it advertises answers over HTTP/3 (the route tables are shared, the header too).
    let advertised: u16 = expected
        .split_once(":")
        .and_then(|(_, rest)| rest.split_once('"'))
        .and_then(|(port, _)| port.parse().ok())
        .unwrap();
    assert_eq!(advertised, gateway.port);
    let h3 = client.h3(A).unwrap().get("a.example.com").unwrap();
    assert_eq!((h3.status, h3.body.as_str()), (200, GW_A));
    assert_eq!(h3.header("alt-svc"), Some(expected.as_str()));
}

/// The rendered configuration is istiod's shape: two listeners on one port number, one UDP
/// with QUIC options, chains by SNI, codec HTTP3, sni-guard in every HCM.
#[test]
fn the_quic_listener_mirrors_the_tcp_one_as_istiod_renders_it() {
    let layout = Layout {
        wasm: paths::two_gateways_yaml(),
        certs: std::env::temp_dir(),
        port: 18443,
    };
    let filter = Filter::two_gateways("strict", true);
    let mut config =
        sni_guard_harness::envoy::topology::render(Topology::TwoGateways, &filter, &layout)
            .unwrap();
    quic::enable(&mut config).unwrap();
    let listeners = config["static_resources"]["listeners"]
        .as_sequence()
        .unwrap();
    assert_eq!(listeners.len(), 2);
    let (tcp, udp) = (&listeners[0], &listeners[1]);
    assert_eq!(udp["name"].as_str(), Some(quic::QUIC_LISTENER));
    assert_eq!(
        udp["address"]["socket_address"]["protocol"].as_str(),
        Some("UDP")
    );
    assert_eq!(
        udp["address"]["socket_address"]["port_value"],
        tcp["address"]["socket_address"]["port_value"]
    );
    assert!(udp["udp_listener_config"]["quic_options"].is_mapping());
    let chains = udp["filter_chains"].as_sequence().unwrap();
    let names: Vec<_> = chains
        .iter()
        .map(|c| c["filter_chain_match"]["server_names"][0].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.example.com", "b.example.com"]);
    for chain in chains {
        let socket = &chain["transport_socket"];
        assert_eq!(
            socket["name"].as_str(),
            Some("envoy.transport_sockets.quic")
        );
        let tls = &socket["typed_config"]["downstream_tls_context"]["common_tls_context"];
        assert_eq!(tls["alpn_protocols"][0].as_str(), Some("h3"));
        let hcm = &chain["filters"][0]["typed_config"];
        assert_eq!(hcm["codec_type"].as_str(), Some("HTTP3"));
    }
    let mut slots = 0;
    visit_http_filters_mut(&mut config, &mut |filters: &mut Vec<Value>| {
        slots += filters.iter().filter(|f| is_sni_guard(f)).count();
    });
    assert_eq!(slots, 4, "sni-guard in each chain of both listeners");
}
