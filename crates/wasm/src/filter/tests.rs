//! The adapter against a recording host: per verdict, exactly which host calls are made and
//! in which order, and what a failing host call does.

use super::mock::{self, Call, MockHost, calls};
use super::{Action, BODY, DETAILS, Filter, HEADERS};
use crate::logger::level_filter;
use crate::proxy::Status;
use log::Level;
use std::cell::Cell;
use std::fmt;

const TWO_GATEWAYS: &str = r#"{"servers": [
    {"name": "gw-a", "hosts": ["a.example.com"]},
    {"name": "gw-b", "hosts": ["b.example.com"]}]}"#;
const LOG_ONLY: &str = r#"{"mode": "log_only", "servers": [
    {"name": "gw-a", "hosts": ["a.example.com"]},
    {"name": "gw-b", "hosts": ["b.example.com"]}]}"#;
const HTTP1_UNCHECKED: &str = r#"{"check_http1": false, "servers": [
    {"name": "gw-a", "hosts": ["a.example.com"]},
    {"name": "gw-b", "hosts": ["b.example.com"]}]}"#;

fn sni() -> Call {
    Call::Property("connection.requested_server_name".into())
}

fn authority() -> Call {
    Call::Header(":authority".into())
}

fn protocol() -> Call {
    Call::Property("request.protocol".into())
}

fn plugin_name() -> Call {
    Call::Property("plugin_name".into())
}

fn increment(counter: &str) -> Call {
    Call::Increment(format!("sni_guard.{counter}"))
}

fn answer_421() -> Call {
    Call::LocalResponse(421, DETAILS.into(), HEADERS.to_vec(), BODY.to_vec())
}

fn error(message: &str) -> Call {
    Call::Log(Level::Error, message.into())
}

/// A filter with these plugins (name, configuration) configured; the journal emptied.
fn configured(plugins: &[(&'static str, &'static str)]) -> Filter {
    let mut filter = Filter::new();
    for &(name, json) in plugins {
        let host = MockHost::default()
            .with("plugin_name", Ok(Some(name)))
            .with_configuration(Ok(json));
        assert!(filter.configure(&host), "{json}");
    }
    calls();
    filter
}

fn one(json: &'static str) -> Filter {
    configured(&[("sni-guard", json)])
}

#[test]
fn a_matching_request_costs_two_host_reads() {
    let _turn = mock::begin();
    for json in [TWO_GATEWAYS, LOG_ONLY, HTTP1_UNCHECKED, ""] {
        let filter = one(json);
        let host = MockHost::request(Some("a.example.com"), Some("A.example.com:443"));
        assert_eq!(filter.request_headers(&host), Action::Continue);
        assert_eq!(calls(), [sni(), authority()], "{json}");
    }
}

#[test]
fn a_misdirected_request_is_counted_then_answered_421() {
    let _turn = mock::begin();
    let filter = one(TWO_GATEWAYS);
    let host = MockHost::request(Some("a.example.com"), Some("b.example.com"));
    assert_eq!(filter.request_headers(&host), Action::Pause);
    assert_eq!(
        calls(),
        [sni(), authority(), increment("misdirected"), answer_421()]
    );
}

#[test]
fn log_only_counts_and_logs_one_warning() {
    let _turn = mock::begin();
    let filter = one(LOG_ONLY);
    let host = MockHost::request(Some("a.example.com"), Some("b.example.com"));
    assert_eq!(filter.request_headers(&host), Action::Continue);
    let warning = "misdirected request let through (log_only): sni \"a.example.com\" \
                   (server gw-a), authority \"b.example.com\" (server gw-b)";
    assert_eq!(
        calls(),
        [
            sni(),
            authority(),
            increment("log_only_mismatches"),
            Call::Log(Level::Warn, warning.into())
        ]
    );
}

#[test]
fn without_sni_the_request_is_counted_and_let_through() {
    let _turn = mock::begin();
    let filter = one(TWO_GATEWAYS);
    for sni_value in [None, Some("")] {
        let host = MockHost::request(sni_value, Some("b.example.com"));
        assert_eq!(filter.request_headers(&host), Action::Continue);
        assert_eq!(calls(), [sni(), authority(), increment("no_sni")]);
    }
}

#[test]
fn passes_cost_the_two_reads_and_nothing_more() {
    let _turn = mock::begin();
    let exempt = r#"{"exempt_hosts": ["b.example.com"], "check_http1": false}"#;
    let cases = [
        (TWO_GATEWAYS, Some("b.example.com")), // SNI's own server
        (TWO_GATEWAYS, Some("c.example.com")), // no server's: the router's 404
        (TWO_GATEWAYS, None),                  // no authority
        (exempt, Some("b.example.com")),       // exempt: the protocol is not read
    ];
    for (json, authority_value) in cases {
        let filter = one(json);
        let host = MockHost::request(Some("b.example.com"), authority_value)
            .with("request.protocol", Ok(Some("HTTP/1.1")));
        assert_eq!(filter.request_headers(&host), Action::Continue);
        assert_eq!(calls(), [sni(), authority()], "{json} {authority_value:?}");
    }
}

#[test]
fn the_protocol_is_read_only_when_a_mismatch_depends_on_it() {
    let _turn = mock::begin();
    let filter = one(HTTP1_UNCHECKED);
    let coalesced = |version| {
        MockHost::request(Some("a.example.com"), Some("b.example.com"))
            .with("request.protocol", Ok(Some(version)))
    };
    assert_eq!(
        filter.request_headers(&coalesced("HTTP/1.1")),
        Action::Continue
    );
    assert_eq!(calls(), [sni(), authority(), protocol()]);
    assert_eq!(filter.request_headers(&coalesced("HTTP/2")), Action::Pause);
    assert_eq!(
        calls(),
        [
            sni(),
            authority(),
            protocol(),
            increment("misdirected"),
            answer_421()
        ]
    );
    // check_http1: true never reads it.
    let filter = one(TWO_GATEWAYS);
    assert_eq!(
        filter.request_headers(&coalesced("HTTP/1.1")),
        Action::Pause
    );
    assert_eq!(
        calls(),
        [sni(), authority(), increment("misdirected"), answer_421()]
    );
}

#[test]
fn plugin_name_is_read_only_when_several_configurations_share_the_vm() {
    let _turn = mock::begin();
    let filter = configured(&[("strict", TWO_GATEWAYS), ("audit", LOG_ONLY)]);
    let request = |name| {
        MockHost::request(Some("a.example.com"), Some("b.example.com"))
            .with("plugin_name", Ok(Some(name)))
    };
    assert_eq!(filter.request_headers(&request("strict")), Action::Pause);
    assert_eq!(
        calls(),
        [
            plugin_name(),
            sni(),
            authority(),
            increment("misdirected"),
            answer_421()
        ]
    );
    assert_eq!(filter.request_headers(&request("audit")), Action::Continue);
    let logged = calls();
    assert_eq!(
        logged[..4],
        [
            plugin_name(),
            sni(),
            authority(),
            increment("log_only_mismatches")
        ]
    );
    assert!(
        matches!(&logged[4], Call::Log(Level::Warn, _)),
        "{logged:?}"
    );
}

#[test]
fn a_stream_of_an_unconfigured_plugin_is_let_through_and_logged_once() {
    let _turn = mock::begin();
    let filter = configured(&[("strict", TWO_GATEWAYS), ("audit", LOG_ONLY)]);
    let coalesced = || MockHost::request(Some("a.example.com"), Some("b.example.com"));
    let other = coalesced().with("plugin_name", Ok(Some("other")));
    let warning = "no configuration for plugin \"other\" among the 2 in this VM: its requests \
                   are let through unchecked (logged once)";
    assert_eq!(filter.request_headers(&other), Action::Continue);
    assert_eq!(
        calls(),
        [plugin_name(), Call::Log(Level::Warn, warning.into())]
    );
    for _ in 0..3 {
        assert_eq!(filter.request_headers(&other), Action::Continue);
        assert_eq!(calls(), [plugin_name()], "logged again");
    }
    // Once per VM: a stream with no plugin_name at all is not logged either.
    assert_eq!(filter.request_headers(&coalesced()), Action::Continue);
    assert_eq!(calls(), [plugin_name()]);
    let filter = configured(&[("strict", TWO_GATEWAYS), ("audit", LOG_ONLY)]);
    let warning = "no configuration for plugin (plugin_name not found) among the 2 in this \
                   VM: its requests are let through unchecked (logged once)";
    assert_eq!(filter.request_headers(&coalesced()), Action::Continue);
    assert_eq!(
        calls(),
        [plugin_name(), Call::Log(Level::Warn, warning.into())]
    );
    // The configured plugins are still decided by their own tables.
    let strict = coalesced().with("plugin_name", Ok(Some("strict")));
    assert_eq!(filter.request_headers(&strict), Action::Pause);
}

#[test]
fn a_second_plugin_in_the_vm_is_logged_as_sharing_it() {
    let _turn = mock::begin();
    let mut filter = configured(&[("strict", TWO_GATEWAYS)]);
    let host = MockHost::default()
        .with("plugin_name", Ok(Some("audit")))
        .with_configuration(Ok(LOG_ONLY));
    assert!(filter.configure(&host));
    let line = "configured: log_only, 2 servers (plugin \"audit\"; 2 plugins share this VM)";
    assert_eq!(calls().last(), Some(&Call::Log(Level::Info, line.into())));
}

#[test]
fn a_failed_host_call_lets_the_request_through_and_is_logged_once() {
    let _turn = mock::begin();
    let coalesced = || MockHost::request(Some("a.example.com"), Some("b.example.com"));
    let failing = [
        (
            coalesced().with("connection.requested_server_name", Err(Status(2))),
            vec![sni()],
            "reading the SNI failed (BadArgument)",
        ),
        (
            coalesced().with_authority(Err(Status(10))),
            vec![sni(), authority()],
            "reading :authority failed (InternalFailure)",
        ),
        (
            MockHost {
                local_response: Err(Status(7)),
                ..coalesced()
            },
            vec![sni(), authority(), increment("misdirected"), answer_421()],
            "sending the 421 failed (Empty)",
        ),
    ];
    for (host, made, logged) in failing {
        let filter = one(TWO_GATEWAYS);
        let line = format!(
            "{logged}: the request is let through, as is every request whose host call \
             fails (logged once)"
        );
        assert_eq!(filter.request_headers(&host), Action::Continue);
        let mut first = made.clone();
        first.push(error(&line));
        assert_eq!(calls(), first);
        assert_eq!(filter.request_headers(&host), Action::Continue);
        assert_eq!(calls(), made, "logged again");
    }
    let filter = one(HTTP1_UNCHECKED);
    let host = coalesced().with("request.protocol", Err(Status(99)));
    assert_eq!(filter.request_headers(&host), Action::Continue);
    let line = "reading the protocol failed (status 99): the request is let through, as is \
                every request whose host call fails (logged once)";
    assert_eq!(calls(), [sni(), authority(), protocol(), error(line)]);
    let filter = configured(&[("x", TWO_GATEWAYS), ("y", LOG_ONLY)]);
    let host = coalesced().with("plugin_name", Err(Status::NOT_FOUND));
    assert_eq!(filter.request_headers(&host), Action::Continue);
    assert!(matches!(&calls()[..], [p, Call::Log(Level::Error, _)] if *p == plugin_name()));
}

#[test]
fn an_unconfigured_filter_makes_no_host_call() {
    let _turn = mock::begin();
    let host = MockHost::request(Some("a.example.com"), Some("b.example.com"));
    assert_eq!(Filter::new().request_headers(&host), Action::Continue);
    assert_eq!(calls(), []);
}

#[test]
fn configure_reads_the_name_and_the_configuration_then_defines_the_counters() {
    let _turn = mock::begin();
    let mut filter = Filter::new();
    let host = MockHost::default()
        .with("plugin_name", Ok(Some("sni-guard")))
        .with_configuration(Ok(TWO_GATEWAYS));
    assert!(filter.configure(&host));
    let mut want = vec![plugin_name(), Call::Configuration];
    want.extend(super::COUNTERS.map(|c| Call::DefineCounter(c.into())));
    want.push(Call::Log(
        Level::Info,
        "configured: strict, 2 servers".into(),
    ));
    assert_eq!(calls(), want);
    // The same plugin configured again replaces its configuration.
    let host = host.with_configuration(Ok(LOG_ONLY));
    assert!(filter.configure(&host));
    calls();
    let coalesced = MockHost::request(Some("a.example.com"), Some("b.example.com"));
    assert_eq!(filter.request_headers(&coalesced), Action::Continue);
    assert_eq!(calls()[..2], [sni(), authority()]);
}

#[test]
fn a_refused_configuration_is_logged_in_one_line_and_defines_nothing() {
    let _turn = mock::begin();
    let mut filter = Filter::new();
    let host = MockHost::default()
        .with_configuration(Ok(r#"{"servers": [{"hosts": ["a.*.example.com"]}]}"#));
    assert!(!filter.configure(&host));
    let line = "configuration refused: servers[0].hosts[0]: \"a.*.example.com\" is not a valid \
                host pattern: a wildcard is allowed only as the whole first label, as in \
                \"*.example.com\" at line 1 column 41";
    assert_eq!(calls(), [plugin_name(), Call::Configuration, error(line)]);
    let host = host.with_configuration(Err(Status(10)));
    assert!(!filter.configure(&host));
    let line = "configuration refused: cannot read the plugin configuration (InternalFailure)";
    assert_eq!(calls(), [plugin_name(), Call::Configuration, error(line)]);
}

/// Counts how often it is formatted.
struct Counted<'a>(&'a Cell<u32>);

impl fmt::Display for Counted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.set(self.0.get() + 1);
        f.write_str("counted")
    }
}

#[test]
fn below_the_hosts_log_level_nothing_is_formatted() {
    let _turn = mock::begin();
    let formatted = Cell::new(0);
    log::set_max_level(level_filter(3)); // the host logs warnings and up
    log::info!("{}", Counted(&formatted));
    assert_eq!((formatted.get(), calls()), (0, vec![]));
    log::warn!("{}", Counted(&formatted));
    assert_eq!(formatted.get(), 1);
    assert_eq!(calls(), [Call::Log(Level::Warn, "counted".into())]);
    // A log_only mismatch with the host at error level: counted, not logged.
    let filter = one(LOG_ONLY);
    log::set_max_level(level_filter(4));
    let host = MockHost::request(Some("a.example.com"), Some("b.example.com"));
    assert_eq!(filter.request_headers(&host), Action::Continue);
    assert_eq!(
        calls(),
        [sni(), authority(), increment("log_only_mismatches")]
    );
}
