//! The 15 Gateway API conformance cases (GEP-3567) over HTTP/3: topology (b) with QUIC
//! listeners as istiod renders them (`quic::enable`), each case's request on a new QUIC
//! connection with the case's SNI and `:authority`. Strict must answer what it answers over
//! HTTP/2 (`tests/conformance.rs`); log_only lets the 421 cases through to the router of the
//! SNI's listener and counts each. On the default and on the oldest Envoy.

use sni_guard_harness::client::BODY_421;
use sni_guard_harness::{Filter, Gateway, Topology, conformance, envoy::quic};

sni_guard_harness::on_both_versions!(
    strict_answers_every_case_as_over_http2,
    log_only_lets_the_421_cases_through_and_counts_them
);

/// The 421 cases of the table (7), and the requests sent.
const REFUSED: u64 = 7;
const CASES: usize = 15;

/// The listener (filter chain) Envoy's QUIC listener picks for an SNI.
fn listener(sni: &str) -> &'static str {
    match sni {
        "second-example.org" => "https-with-hostname",
        "fourth-example.wildcard.org" => "https-with-hostname-matching-wildcard",
        s if s.ends_with(".wildcard.org") => "https-with-wildcard-hostname",
        _ => "https",
    }
}

/// Whether that listener's route table (conformance.yaml) serves `authority`: what the
/// router answers when nothing refuses the request first.
fn routed(listener: &str, authority: &str) -> u16 {
    let served = match listener {
        "https-with-hostname" => authority == "second-example.org",
        "https-with-wildcard-hostname" => authority.ends_with(".wildcard.org"),
        "https-with-hostname-matching-wildcard" => authority == "fourth-example.wildcard.org",
        _ => authority == "example.org",
    };
    if served { 200 } else { 404 }
}

fn start(version: &str, filter: &Filter) -> Gateway {
    let gateway = Gateway::builder(Topology::Conformance)
        .version(version)
        .filter(filter)
        .edit(quic::enable)
        .start()
        .unwrap();
    assert_eq!(gateway.envoy.version(), version);
    gateway
}

/// Sends every case on its own QUIC connection; returns (case, status, body) in table order.
fn send_all(gateway: &Gateway) -> Vec<(conformance::ConformanceCase, u16, String)> {
    let client = gateway.client().unwrap();
    conformance::cases()
        .into_iter()
        .map(|c| {
            let response = client.h3(Some(c.sni)).unwrap().get(c.authority).unwrap();
            (c, response.status, response.body)
        })
        .collect()
}

/// A 200 names the listener whose route answered: the SNI's.
fn assert_served_by_the_sni_listener(sni: &str, body: &str) {
    let served_by = format!("{}: ", listener(sni));
    assert!(body.starts_with(&served_by), "SNI {sni}: {body}");
}

fn strict_answers_every_case_as_over_http2(version: &str) {
    let gateway = start(version, &Filter::AsWritten);
    let results = send_all(&gateway);
    assert_eq!(results.len(), CASES);
    for (c, status, body) in &results {
        let what = format!("Envoy {version}, SNI {}, authority {}", c.sni, c.authority);
        assert_eq!(*status, c.status, "{what}: {body}");
        match status {
            200 => assert_served_by_the_sni_listener(c.sni, body),
            421 => assert_eq!(body, BODY_421, "{what}"),
            _ => {}
        }
    }
    let refused = results.iter().filter(|(_, s, _)| *s == 421).count() as u64;
    assert_eq!(refused, REFUSED);
    assert_eq!(gateway.counter("misdirected").unwrap(), REFUSED);
    assert_eq!(gateway.counter("log_only_mismatches").unwrap(), 0);
    let log = gateway.stop().unwrap().access_log;
    assert_eq!(log.len(), CASES, "{log:#?}");
    for entry in &log {
        assert_eq!(entry.protocol, "HTTP/3", "{entry:?}");
        assert_eq!(
            entry.status == 421,
            entry.details == "sni_guard_misdirected_request",
            "{entry:?}"
        );
    }
}

fn log_only_lets_the_421_cases_through_and_counts_them(version: &str) {
    let config = conformance::plugin_config().replace(r#""mode":"strict""#, r#""mode":"log_only""#);
    assert!(config.contains(r#""mode":"log_only""#), "{config}");
    let gateway = start(version, &Filter::SniGuard(config));
    let results = send_all(&gateway);
    for (c, status, body) in &results {
        let expected = match c.status {
            421 => routed(listener(c.sni), c.authority),
            other => other,
        };
        let what = format!("Envoy {version}, SNI {}, authority {}", c.sni, c.authority);
        assert_eq!(*status, expected, "{what}: {body}");
        if *status == 200 {
            assert_served_by_the_sni_listener(c.sni, body);
        }
    }
    assert_eq!(gateway.counter("log_only_mismatches").unwrap(), REFUSED);
    assert_eq!(gateway.counter("misdirected").unwrap(), 0);
    let stopped = gateway.stop().unwrap();
    let warnings = stopped
        .exited
        .stderr
        .lines()
        .filter(|l| l.contains("[warning]") && l.contains("misdirected request let through"))
        .count() as u64;
    assert_eq!(warnings, REFUSED, "{}", stopped.exited.stderr);
    assert!(stopped.access_log.iter().all(|e| e.status != 421));
}
