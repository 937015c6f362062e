//! The Kubernetes Gateway API's rules for HTTPS listeners on one port (GEP-3567), as its
//! conformance test HTTPRouteHTTPSListenerDetectMisdirectedRequests checks them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may fail loudly

mod common;
use common::{config, decide, outcome};
use sni_guard_conformance::conformance::{cases, plugin_config};

#[test]
fn the_fifteen_conformance_cases() {
    let config = config(&plugin_config());
    let cases = cases();
    assert_eq!(cases.len(), 15);
    // 200 and 404 both mean "let through": the route table decides between them.
    for c in cases {
        let (sni, authority, status) = (c.sni, c.authority, c.status);
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
    let config = config(&plugin_config());
    for c in cases() {
        let (sni, authority, status) = (c.sni, c.authority, c.status);
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
