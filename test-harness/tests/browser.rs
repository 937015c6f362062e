//! The bug only exists in browsers: headless Chromium loads a page on a.example.com that
//! embeds https://b.example.com in an iframe, over one shared wildcard certificate, and
//! Envoy's access log shows where each request went.

use sni_guard_harness::access_log::Entry;
use sni_guard_harness::browser::Browser;
use sni_guard_harness::{Filter, Gateway, Topology};

/// What one page load did: the access log, and (with sni-guard loaded) a counter read
/// before Envoy stopped.
struct Visit {
    log: Vec<Entry>,
    log_only_mismatches: Option<u64>,
}

fn visit(filter: &Filter) -> Visit {
    let gateway = Gateway::start(Topology::TwoGateways, filter).unwrap();
    let browser = Browser::new(&gateway.pki.ca_pem).unwrap();
    let dom = browser
        .dump_dom(&format!("https://a.example.com:{}/", gateway.port))
        .unwrap();
    assert!(dom.contains("<iframe"), "the page did not load:\n{dom}");
    let log_only_mismatches = match filter {
        Filter::None | Filter::Lua => None,
        _ => Some(gateway.counter("log_only_mismatches").unwrap()),
    };
    let stopped = gateway.stop().unwrap();
    for entry in &stopped.access_log {
        println!("{entry:?}");
    }
    Visit {
        log: stopped.access_log,
        log_only_mismatches,
    }
}

fn is(entry: &Entry, host: &str) -> bool {
    entry.authority.as_deref().and_then(|a| a.split(':').next()) == Some(host)
}

/// The page's own request: on gw-a's chain, over HTTP/2.
fn page(log: &[Entry]) -> &Entry {
    let page = log
        .iter()
        .find(|e| is(e, "a.example.com") && e.status == 200)
        .expect("no a.example.com request in the access log");
    assert_eq!(page.filter_chain, "gw-a");
    assert_eq!(page.protocol, "HTTP/2");
    page
}

fn b_requests(log: &[Entry]) -> Vec<&Entry> {
    log.iter().filter(|e| is(e, "b.example.com")).collect()
}

#[test]
fn without_the_filter_the_browser_gets_gw_a_404() {
    let visit = visit(&Filter::None);
    let page = page(&visit.log);
    let b = b_requests(&visit.log);
    assert_eq!(b.len(), 1, "{b:?}");
    // Coalesced: b.example.com on a.example.com's connection, gw-a's route table, 404.
    assert_eq!(b[0].connection, page.connection);
    assert_eq!(b[0].filter_chain, "gw-a");
    assert_eq!(b[0].sni.as_deref(), Some("a.example.com"));
    assert_eq!(b[0].status, 404);
}

fn assert_421_then_200_on_a_new_connection(log: &[Entry]) {
    let page = page(log);
    let b = b_requests(log);
    assert_eq!(b.len(), 2, "{b:?}");
    assert_eq!(b[0].connection, page.connection);
    assert_eq!(b[0].filter_chain, "gw-a");
    assert_eq!(b[0].status, 421);
    assert_eq!(b[0].details, "sni_guard_misdirected_request");
    assert_ne!(b[1].connection, page.connection);
    assert_eq!(b[1].filter_chain, "gw-b");
    assert_eq!(b[1].sni.as_deref(), Some("b.example.com"));
    assert_eq!(b[1].status, 200);
}

#[test]
fn strict_sends_421_and_the_browser_retries_on_gw_b() {
    let visit = visit(&Filter::AsWritten);
    assert_421_then_200_on_a_new_connection(&visit.log);
}

#[test]
fn strict_without_a_servers_table_does_the_same() {
    let visit = visit(&Filter::two_gateways("strict", false));
    assert_421_then_200_on_a_new_connection(&visit.log);
}

#[test]
fn log_only_keeps_the_404_and_counts_it() {
    let visit = visit(&Filter::two_gateways("log_only", true));
    let page = page(&visit.log);
    let b = b_requests(&visit.log);
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0].connection, page.connection);
    assert_eq!((b[0].filter_chain.as_str(), b[0].status), ("gw-a", 404));
    assert_eq!(visit.log_only_mismatches, Some(1));
}
