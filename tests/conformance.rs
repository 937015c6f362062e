//! The Kubernetes Gateway API's rules for HTTPS listeners on one port (GEP-3567), as its
//! conformance test HTTPRouteHTTPSListenerDetectMisdirectedRequests checks them.

mod common;
use common::{config, decide, outcome};

/// The conformance topology's plugin configuration, as the real-Envoy test runs it
/// (`test-harness/envoy/conformance.yaml`): one server per listener of Gateway
/// `same-namespace-with-https-listener`.
fn topology() -> String {
    let yaml = include_str!("../test-harness/envoy/conformance.yaml");
    let line = yaml.lines().find_map(|l| l.trim().strip_prefix("value: '"));
    line.and_then(|l| l.strip_suffix('\'')).unwrap().to_string()
}

/// (SNI, authority, status the Gateway must answer), from the table every test shares.
/// 200 and 404 both mean "let through": the route table decides between them.
fn cases() -> Vec<(&'static str, &'static str, u16)> {
    include_str!("../test-harness/envoy/conformance-cases.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0], f[1], f[2].parse().unwrap())
        })
        .collect()
}

#[test]
fn the_fifteen_conformance_cases() {
    let config = config(&topology());
    let cases = cases();
    assert_eq!(cases.len(), 15);
    for (sni, authority, status) in cases {
        let want = if status == 421 { "421" } else { "pass" };
        let got = outcome(decide(&config, Some(sni), authority));
        assert_eq!(
            got, want,
            "SNI {sni}, authority {authority} (expected {status})"
        );
    }
}

#[test]
fn conformance_cases_survive_case_ports_and_trailing_dots() {
    let config = config(&topology());
    for (sni, authority, status) in cases() {
        let want = if status == 421 { "421" } else { "pass" };
        let authority = format!("{}.:443", authority.to_uppercase());
        let got = outcome(decide(&config, Some(sni), &authority));
        assert_eq!(got, want, "SNI {sni}, authority {authority}");
    }
}

#[test]
fn without_a_catch_all_an_unknown_authority_is_left_to_the_router() {
    let config = config(
        r#"{"servers": [
        {"name": "gw-a", "hosts": ["a.example.com"]},
        {"name": "gw-b", "hosts": ["b.example.com"]}]}"#,
    );
    assert_eq!(
        outcome(decide(&config, Some("a.example.com"), "c.example.com")),
        "pass"
    );
    assert_eq!(
        outcome(decide(&config, Some("a.example.com"), "b.example.com")),
        "421"
    );
    // An SNI no server claims, asking for a served host: another server is the better match.
    assert_eq!(
        outcome(decide(&config, Some("c.example.com"), "b.example.com")),
        "421"
    );
}
