//! log_only on topology (a): the coalesced request goes through to the wrong Gateway's route
//! table (as without a filter), Envoy logs a warning naming both servers, and the counter
//! equals the number of mismatches sent.

use sni_guard_harness::{Filter, Gateway, Protocol, Topology};

const WARNING: &str = r#"sni-guard: misdirected request let through (log_only): sni "a.example.com" (server gw-a), authority "b.example.com" (server gw-b)"#;

#[test]
fn log_only_lets_through_logs_and_counts() {
    let filter = Filter::two_gateways("log_only", true);
    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(&filter)
        .start()
        .unwrap();
    let client = gateway.client().unwrap();
    let mut h2 = client.h2(Some("a.example.com")).unwrap();
    let mut mismatches = 0;
    for _ in 0..4 {
        assert_eq!(h2.get("a.example.com").unwrap().status, 200);
        assert_eq!(h2.get("b.example.com").unwrap().status, 404);
        mismatches += 1;
    }
    let h1 = client.get(Protocol::Http1, Some("a.example.com"), "b.example.com");
    assert_eq!(h1.unwrap().status, 404);
    mismatches += 1;
    // Not a mismatch: an unknown host, and the right connection.
    assert_eq!(
        client
            .get(Protocol::Http2, Some("a.example.com"), "c.example.com")
            .unwrap()
            .status,
        404
    );
    assert_eq!(
        client
            .get(Protocol::Http2, Some("b.example.com"), "b.example.com")
            .unwrap()
            .status,
        200
    );

    assert_eq!(gateway.counter("log_only_mismatches").unwrap(), mismatches);
    assert_eq!(gateway.counter("misdirected").unwrap(), 0);
    let stopped = gateway.stop().unwrap();
    let warnings = stopped
        .exited
        .stderr
        .lines()
        .filter(|l| l.contains(WARNING))
        .count();
    assert_eq!(warnings as u64, mismatches, "{}", stopped.exited.stderr);
    assert!(
        stopped
            .exited
            .stderr
            .lines()
            .filter(|l| l.contains(WARNING))
            .all(|l| l.contains("[warning]"))
    );
    let through: Vec<_> = stopped
        .access_log
        .iter()
        .filter(|e| e.authority.as_deref() == Some("b.example.com") && e.filter_chain == "gw-a")
        .collect();
    assert_eq!(through.len() as u64, mismatches);
    assert!(
        through
            .iter()
            .all(|e| e.status == 404 && e.details == "route_not_found")
    );
}
