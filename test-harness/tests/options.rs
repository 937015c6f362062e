//! The configuration's two options in the real Envoy, on topology (a): `check_http1: false`
//! checks HTTP/2 only, and `exempt_hosts` are served on any connection.

use sni_guard_harness::envoy::topology::TWO_GATEWAYS_SERVERS;
use sni_guard_harness::{Filter, Gateway, Protocol, Topology};

fn start(options: &str) -> Gateway {
    let json = format!(r#"{{"servers":{TWO_GATEWAYS_SERVERS},{options}}}"#);
    Gateway::builder(Topology::TwoGateways)
        .filter(&Filter::SniGuard(json))
        .start()
        .unwrap()
}

fn status(gateway: &Gateway, protocol: Protocol, sni: &str, authority: &str) -> u16 {
    let client = gateway.client().unwrap();
    client.get(protocol, Some(sni), authority).unwrap().status
}

#[test]
fn check_http1_false_leaves_http1_unchecked() {
    let gateway = start(r#""check_http1":false"#);
    let a = "a.example.com";
    // HTTP/1.1 on a's connection asking for b: gw-a's router answers, as without a filter.
    assert_eq!(status(&gateway, Protocol::Http1, a, "b.example.com"), 404);
    assert_eq!(status(&gateway, Protocol::Http2, a, "b.example.com"), 421);
    assert_eq!(status(&gateway, Protocol::Http1, a, a), 200);
    assert_eq!(status(&gateway, Protocol::Http2, a, a), 200);
    assert_eq!(gateway.counter("misdirected").unwrap(), 1);
}

#[test]
fn exempt_hosts_are_served_on_any_connection() {
    let gateway = start(r#""exempt_hosts":["b.example.com"]"#);
    // Exempt: b on a's connection goes to gw-a's router (which does not serve it).
    assert_eq!(
        status(&gateway, Protocol::Http2, "a.example.com", "b.example.com"),
        404
    );
    assert_eq!(
        status(&gateway, Protocol::Http1, "a.example.com", "B.example.com."),
        404
    );
    // Not exempt: a on b's connection.
    assert_eq!(
        status(&gateway, Protocol::Http2, "b.example.com", "a.example.com"),
        421
    );
    assert_eq!(gateway.counter("misdirected").unwrap(), 1);
}
