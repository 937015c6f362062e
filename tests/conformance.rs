//! The Kubernetes Gateway API's rules for HTTPS listeners on one port (GEP-3567), as its
//! conformance test HTTPRouteHTTPSListenerDetectMisdirectedRequests checks them.

mod common;
use common::{config, decide, outcome};

/// Gateway `same-namespace-with-https-listener`: one port, four HTTPS listeners.
const TOPOLOGY: &str = r#"{"servers": [
    {"name": "https", "hosts": ["*"]},
    {"name": "https-with-hostname", "hosts": ["second-example.org"]},
    {"name": "https-with-wildcard-hostname", "hosts": ["*.wildcard.org"]},
    {"name": "https-with-hostname-matching-wildcard", "hosts": ["fourth-example.wildcard.org"]}
]}"#;

/// (SNI, authority, status the Gateway must answer). 200 and 404 both mean "let through":
/// the route table decides between them.
const CASES: [(&str, &str, u16); 15] = [
    ("example.org", "example.org", 200),
    ("example.org", "second-example.org", 421),
    ("example.org", "unknown-example.org", 404),
    ("second-example.org", "second-example.org", 200),
    ("second-example.org", "example.org", 421),
    ("second-example.org", "unknown-example.org", 421),
    (
        "third-example.wildcard.org",
        "third-example.wildcard.org",
        200,
    ),
    (
        "third-example.wildcard.org",
        "fith-example.wildcard.org",
        200,
    ),
    (
        "third-example.wildcard.org",
        "fourth-example.wildcard.org",
        421,
    ),
    ("third-example.wildcard.org", "second-example.org", 421),
    ("third-example.wildcard.org", "unknown-example.org", 421),
    (
        "fourth-example.wildcard.org",
        "fourth-example.wildcard.org",
        200,
    ),
    (
        "fourth-example.wildcard.org",
        "fith-example.wildcard.org",
        421,
    ),
    ("unknown-example.org", "example.org", 200),
    ("unknown-example.org", "unknown-example.org", 404),
];

#[test]
fn the_fifteen_conformance_cases() {
    let config = config(TOPOLOGY);
    for (sni, authority, status) in CASES {
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
    let config = config(TOPOLOGY);
    for (sni, authority, status) in CASES {
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
