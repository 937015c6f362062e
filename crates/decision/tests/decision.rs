//! The decision outside the conformance table: zero-config mode, wildcards, IPv6, no SNI,
//! log_only, exemptions, HTTP/1.x.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // a test may fail loudly

mod common;
use common::{config, decide, outcome};
use sni_guard_decision::{Mismatch, Request, Verdict};

const TWO_GATEWAYS: &str = r#"{"servers": [
    {"name": "gw-a", "hosts": ["a.example.com"]},
    {"name": "gw-b", "hosts": ["b.example.com"]}]}"#;

#[test]
fn zero_config_compares_normalised_names() {
    let c = config("");
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "a.example.com")),
        "pass"
    );
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "A.EXAMPLE.COM:443")),
        "pass"
    );
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "a.example.com.")),
        "pass"
    );
    assert_eq!(
        outcome(decide(&c, Some("a.example.com."), "a.example.com")),
        "pass"
    );
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "b.example.com")),
        "421"
    );
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "a.example.com.evil")),
        "421"
    );
}

#[test]
fn empty_object_and_blank_mean_zero_config() {
    for json in ["", "  \n", "{}"] {
        let c = config(json);
        assert!(c.servers.is_none());
        assert_eq!(
            outcome(decide(&c, Some("a.example.com"), "b.example.com")),
            "421"
        );
    }
}

#[test]
fn no_sni_is_let_through_and_counted() {
    for c in [config(""), config(TWO_GATEWAYS)] {
        assert_eq!(decide(&c, None, "b.example.com"), Verdict::NoSni);
        assert_eq!(decide(&c, Some(""), "b.example.com"), Verdict::NoSni);
    }
}

#[test]
fn missing_or_empty_authority_is_let_through() {
    let c = config("");
    let request = Request {
        sni: Some(b"a.example.com"),
        ..Request::default()
    };
    assert_eq!(c.decide(&request), Verdict::Pass);
    assert_eq!(outcome(decide(&c, Some("a.example.com"), "")), "pass");
    assert_eq!(outcome(decide(&c, Some("a.example.com"), ":443")), "pass");
}

#[test]
fn wildcard_depth_and_apex() {
    let c = config(
        r#"{"servers": [
        {"name": "wild", "hosts": ["*.example.com"]},
        {"name": "apex", "hosts": ["example.com"]}]}"#,
    );
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "x.y.z.example.com")),
        "pass"
    );
    // The apex is not under its own wildcard.
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "example.com")),
        "421"
    );
    assert_eq!(
        outcome(decide(&c, Some("example.com"), "a.example.com")),
        "421"
    );
    assert_eq!(
        outcome(decide(&c, Some("example.com"), "EXAMPLE.com.")),
        "pass"
    );
}

#[test]
fn the_more_specific_server_wins() {
    let c = config(
        r#"{"servers": [
        {"name": "wild", "hosts": ["*.example.com"]},
        {"name": "deep", "hosts": ["*.api.example.com"]},
        {"name": "one", "hosts": ["x.api.example.com"]}]}"#,
    );
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "b.example.com")),
        "pass"
    );
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "v.api.example.com")),
        "421"
    );
    assert_eq!(
        outcome(decide(&c, Some("w.api.example.com"), "v.api.example.com")),
        "pass"
    );
    assert_eq!(
        outcome(decide(&c, Some("w.api.example.com"), "x.api.example.com")),
        "421"
    );
}

#[test]
fn names_of_one_server_may_coalesce() {
    let c = config(
        r#"{"servers": [
        {"name": "gw-ab", "hosts": ["a.example.com", "b.example.com"]},
        {"name": "gw-c", "hosts": ["istio-system/c.example.com"]}]}"#,
    );
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "b.example.com")),
        "pass"
    );
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "c.example.com")),
        "421"
    );
}

#[test]
fn ipv6_literal_authority() {
    let c = config("");
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "[::1]:443")),
        "421"
    );
    let c = config(TWO_GATEWAYS);
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "[::1]:443")),
        "pass"
    );
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "[2001:db8::1]")),
        "pass"
    );
}

#[test]
fn log_only_reports_the_servers() {
    let c = config(&TWO_GATEWAYS.replacen('{', r#"{"mode": "log_only", "#, 1));
    let verdict = decide(&c, Some("a.example.com"), "B.example.com:443");
    let Verdict::LogOnly(mismatch) = verdict else {
        panic!("{verdict:?}")
    };
    assert_eq!(
        mismatch,
        Mismatch {
            sni: b"a.example.com",
            authority: b"B.example.com",
            sni_server: Some("gw-a"),
            authority_server: Some("gw-b"),
        }
    );
    assert_eq!(
        mismatch.to_string(),
        r#"sni "a.example.com" (server gw-a), authority "B.example.com" (server gw-b)"#
    );
    let c = config(r#"{"mode": "log_only"}"#);
    let Verdict::LogOnly(mismatch) = decide(&c, Some("a.example.com"), "b.example.com") else {
        panic!()
    };
    assert_eq!(
        mismatch.to_string(),
        r#"sni "a.example.com", authority "b.example.com""#
    );
}

#[test]
fn exempt_hosts_are_never_refused() {
    let c = config(r#"{"exempt_hosts": ["health.example.com", "*.internal.example.com"]}"#);
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "Health.example.com")),
        "pass"
    );
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "x.internal.example.com")),
        "pass"
    );
    assert_eq!(
        outcome(decide(&c, Some("a.example.com"), "b.example.com")),
        "421"
    );
}

#[test]
fn http1_can_be_left_unchecked() {
    let checked = config("");
    let unchecked = config(r#"{"check_http1": false}"#);
    // The protocol is asked for only when a mismatch depends on it.
    let asked = std::cell::Cell::new(0);
    let protocol = || {
        asked.set(asked.get() + 1);
        Ok::<_, ()>(Some(&b"HTTP/1.1"[..]))
    };
    let a = Some(&b"a.example.com"[..]);
    let b = Some(&b"b.example.com"[..]);
    let verdict = |v: Result<Verdict, ()>| outcome(v.unwrap());
    assert_eq!(verdict(unchecked.decide_lazily(a, a, protocol)), "pass");
    assert_eq!(verdict(checked.decide_lazily(a, b, protocol)), "421");
    assert_eq!(asked.get(), 0);
    assert_eq!(verdict(unchecked.decide_lazily(a, b, protocol)), "pass");
    assert_eq!(asked.get(), 1);
    // A protocol that cannot be read is the caller's to handle: the verdict is not made.
    let failed = unchecked.decide_lazily(a, b, || Err("host call failed"));
    assert_eq!(failed, Err("host call failed"));
    for (protocol, want) in [
        ("HTTP/1.1", "pass"),
        ("HTTP/1.0", "pass"),
        ("HTTP/2", "421"),
        ("HTTP/3", "421"),
    ] {
        let request = Request {
            sni: Some(b"a.example.com"),
            authority: Some(b"b.example.com"),
            protocol: Some(protocol.as_bytes()),
        };
        assert_eq!(outcome(unchecked.decide(&request)), want, "{protocol}");
        assert_eq!(outcome(checked.decide(&request)), "421", "{protocol}");
    }
}
