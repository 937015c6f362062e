//! Topology (a), two Gateways sharing one wildcard certificate, in the real Envoy: the bug
//! without a filter, and sni-guard strict with and without a servers table.

use sni_guard_harness::client::BODY_421;
use sni_guard_harness::{Filter, Gateway, Protocol, Request, Topology, paths};

const A: Option<&str> = Some("a.example.com");
const B: Option<&str> = Some("b.example.com");

#[test]
fn the_harness_runs_the_file_docker_compose_mounts() {
    let path = paths::two_gateways_yaml();
    assert!(path.ends_with("test-harness/envoy/two-gateways.yaml"));
    assert_eq!(Topology::TwoGateways.path(), path);
    let plugin = Topology::TwoGateways.plugin_config().unwrap();
    let plugin: serde_json::Value = serde_json::from_str(&plugin).unwrap();
    assert_eq!(plugin["mode"], "strict");
    assert_eq!(plugin["servers"][0]["name"], "gw-a");
    assert_eq!(plugin["servers"][1]["hosts"][0], "b.example.com");
}

#[test]
fn without_a_filter_a_coalesced_request_gets_the_wrong_gateways_404() {
    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(&Filter::None)
        .start()
        .unwrap();
    let client = gateway.client().unwrap();
    let mut h2 = client.h2(A).unwrap();
    let own = h2.get("a.example.com").unwrap();
    assert_eq!(
        (own.status, own.body.as_str()),
        (200, "gw-a: a.example.com\n")
    );
    assert_eq!(h2.get("b.example.com").unwrap().status, 404);
    assert_eq!(
        client
            .get(Protocol::Http2, B, "b.example.com")
            .unwrap()
            .status,
        200
    );
    // Without the module loaded there is no counter at all.
    assert!(gateway.envoy.sni_guard_counters().unwrap().is_empty());
    let log = gateway.stop().unwrap().access_log;
    let coalesced = log
        .iter()
        .find(|e| e.authority.as_deref() == Some("b.example.com") && e.status == 404)
        .unwrap();
    assert_eq!(coalesced.filter_chain, "gw-a");
    assert_eq!(coalesced.sni.as_deref(), Some("a.example.com"));
    assert_eq!(coalesced.details, "route_not_found");
}

/// The file as written: strict, with the servers table.
#[test]
fn strict_with_the_servers_table() {
    let gateway = Gateway::builder(Topology::TwoGateways).start().unwrap();
    let client = gateway.client().unwrap();
    let mut sent_421 = 0;

    // Many requests on one HTTP/2 connection: a 421 leaves it usable for its own host.
    let mut h2 = client.h2(A).unwrap();
    for _ in 0..3 {
        let own = h2.get("a.example.com").unwrap();
        assert_eq!(
            (own.status, own.body.as_str()),
            (200, "gw-a: a.example.com\n")
        );
        let coalesced = h2.get("b.example.com").unwrap();
        assert_eq!(coalesced.status, 421);
        assert_eq!(coalesced.body, BODY_421);
        assert_eq!(coalesced.header("content-type"), Some("text/plain"));
        sent_421 += 1;
    }
    // The retry on a new connection with SNI b reaches gw-b.
    let retry = client.get(Protocol::Http2, B, "b.example.com").unwrap();
    assert_eq!(
        (retry.status, retry.body.as_str()),
        (200, "gw-b: b.example.com\n")
    );
    // The other direction, and HTTP/1.1.
    assert_eq!(
        client
            .get(Protocol::Http2, B, "a.example.com")
            .unwrap()
            .status,
        421
    );
    sent_421 += 1;
    let mut h1 = client.http1(A).unwrap();
    let own = h1.get("a.example.com").unwrap();
    assert_eq!(
        (own.status, own.body.as_str()),
        (200, "gw-a: a.example.com\n")
    );
    let coalesced = h1.get("b.example.com").unwrap();
    assert_eq!((coalesced.status, coalesced.body.as_str()), (421, BODY_421));
    sent_421 += 1;
    // A host no Gateway serves is the router's 404, not a 421.
    assert_eq!(
        client
            .get(Protocol::Http2, A, "c.example.com")
            .unwrap()
            .status,
        404
    );

    assert_eq!(gateway.counter("misdirected").unwrap(), sent_421);
    assert_eq!(gateway.counter("log_only_mismatches").unwrap(), 0);
    let log = gateway.stop().unwrap().access_log;
    let refused: Vec<_> = log.iter().filter(|e| e.status == 421).collect();
    assert_eq!(refused.len() as u64, sent_421);
    assert!(
        refused
            .iter()
            .all(|e| e.details == "sni_guard_misdirected_request")
    );
    assert!(
        log.iter()
            .any(|e| e.status == 421 && e.protocol == "HTTP/1.1")
    );
    // The three coalesced HTTP/2 requests and their neighbours share one connection.
    let first = log.first().unwrap().connection;
    assert_eq!(log.iter().filter(|e| e.connection == first).count(), 6);
}

#[test]
fn strict_without_a_table_refuses_any_other_name() {
    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(&Filter::two_gateways("strict", false))
        .start()
        .unwrap();
    let client = gateway.client().unwrap();
    let mut h2 = client.h2(A).unwrap();
    assert_eq!(h2.get("a.example.com").unwrap().status, 200);
    assert_eq!(h2.get("b.example.com").unwrap().status, 421);
    // No table: an unknown host is another name too.
    assert_eq!(h2.get("c.example.com").unwrap().status, 421);
    assert_eq!(h2.get("a.example.com").unwrap().status, 200);
    assert_eq!(gateway.counter("misdirected").unwrap(), 2);
}

#[test]
fn the_page_embeds_gw_b_on_the_rendered_port() {
    let gateway = Gateway::builder(Topology::TwoGateways).start().unwrap();
    let client = gateway.client().unwrap();
    let page = client
        .send(
            Protocol::Http2,
            A,
            &Request::get("a.example.com").header("accept", "text/html,*/*"),
        )
        .unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let iframe = format!("<iframe src=\"https://b.example.com:{}/\"", gateway.port);
    assert!(page.body.contains(&iframe), "{}", page.body);
}

#[test]
fn dropping_a_gateway_kills_its_envoy() {
    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(&Filter::None)
        .start()
        .unwrap();
    let pid = gateway.envoy.pid().unwrap();
    let proc = std::path::PathBuf::from(format!("/proc/{pid}"));
    assert!(proc.exists());
    drop(gateway);
    assert!(!proc.exists(), "Envoy {pid} still runs");
}

#[test]
fn a_missing_module_says_how_to_build_it() {
    let empty = tempfile::tempdir().unwrap();
    let error = paths::module_in(empty.path()).unwrap_err().to_string();
    assert!(
        error.contains("cargo build --release --target wasm32-wasip1"),
        "{error}"
    );
}
