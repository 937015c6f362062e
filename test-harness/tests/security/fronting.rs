//! Domain fronting on topology (a), two SIMPLE servers (gw-a `a.example.com`, gw-b
//! `b.example.com`) on one certificate: SNI a.example.com, what the network sees and what
//! selects the TLS settings, and `:authority`/`Host` another name.

use super::*;
use sni_guard_harness::client::BODY_421;
use sni_guard_harness::envoy::topology::TWO_GATEWAYS_SERVERS;
use sni_guard_harness::suite_version;

const A: Option<&str> = Some("a.example.com");

fn start(filter: &Filter) -> Gateway {
    Gateway::builder(Topology::TwoGateways)
        .filter(filter)
        .version(&suite_version())
        .start()
        .unwrap()
}

fn status(gateway: &Gateway, protocol: Protocol, authority: &str) -> u16 {
    let client = gateway.client().unwrap();
    client.get(protocol, A, authority).unwrap().status
}

/// Without a filter the fronted request runs on the SNI's chain: gw-a's router, which does
/// not serve b.example.com (404); with strict and the table, 421 over both protocols
/// (`check_http1` defaults to true).
#[test]
fn a_fronted_request_gets_421_over_both_protocols() {
    let none = start(&Filter::None);
    for protocol in BOTH {
        assert_eq!(
            status(&none, protocol, "b.example.com"),
            404,
            "{protocol:?}"
        );
    }
    let log = none.stop().unwrap().access_log;
    assert_eq!(
        logged(&log, "b.example.com"),
        [
            ("gw-a", 404, "route_not_found", "HTTP/2"),
            ("gw-a", 404, "route_not_found", "HTTP/1.1")
        ]
    );

    let strict = start(&Filter::two_gateways("strict", true));
    let client = strict.client().unwrap();
    for protocol in BOTH {
        let response = client.get(protocol, A, "b.example.com").unwrap();
        assert_eq!((response.status, response.body.as_str()), (421, BODY_421));
    }
    assert_eq!(counters(&strict), [2, 0, 0]);
    let log = strict.stop().unwrap().access_log;
    assert_eq!(
        logged(&log, "b.example.com"),
        [
            ("gw-a", 421, MISDIRECTED, "HTTP/2"),
            ("gw-a", 421, MISDIRECTED, "HTTP/1.1")
        ]
    );
}

/// With a servers table a name no server lists is let through (the router's 404); without
/// one, any other name than the SNI is refused.
#[test]
fn without_a_table_any_other_name_is_refused() {
    let table = start(&Filter::two_gateways("strict", true));
    let no_table = start(&Filter::two_gateways("strict", false));
    for protocol in BOTH {
        assert_eq!(status(&table, protocol, "c.example.com"), 404);
        assert_eq!(status(&no_table, protocol, "c.example.com"), 421);
        assert_eq!(status(&no_table, protocol, "b.example.com"), 421);
        assert_eq!(status(&no_table, protocol, "a.example.com"), 200);
    }
    assert_eq!(counters(&table), [0, 0, 0]);
    assert_eq!(counters(&no_table), [4, 0, 0]);
}

/// `check_http1: false`: the fronted HTTP/1.1 request passes to gw-a's router (404), the
/// HTTP/2 one still gets 421.
#[test]
fn check_http1_false_lets_fronted_http1_through() {
    let json = format!(r#"{{"servers":{TWO_GATEWAYS_SERVERS},"check_http1":false}}"#);
    let gateway = start(&Filter::SniGuard(json));
    assert_eq!(status(&gateway, Protocol::Http1, "b.example.com"), 404);
    assert_eq!(status(&gateway, Protocol::Http2, "b.example.com"), 421);
    assert_eq!(counters(&gateway), [1, 0, 0]);
    let log = gateway.stop().unwrap().access_log;
    assert_eq!(
        logged(&log, "b.example.com"),
        [
            ("gw-a", 404, "route_not_found", "HTTP/1.1"),
            ("gw-a", 421, MISDIRECTED, "HTTP/2")
        ]
    );
}
