//! The bug only exists in browsers: headless Chromium loads a page on a.example.com that
//! embeds https://b.example.com in an iframe, over one shared wildcard certificate, and
//! Envoy's access log shows where each request went.

use sni_guard_harness::demo::{self, BrowserRun};
use sni_guard_harness::envoy::access_log::Entry;
use sni_guard_harness::{Filter, Pki};

/// One page load, as the demo shows it (screenshot included).
fn visit(filter: &Filter) -> BrowserRun {
    let out = tempfile::tempdir().unwrap();
    let run = demo::browser_run("test", filter, &Pki::generate().unwrap(), out.path()).unwrap();
    let png = std::fs::read(&run.screenshot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "no screenshot");
    print!("{}", demo::browser_story(&run));
    run
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
    let page = page(&visit.access_log);
    let b = b_requests(&visit.access_log);
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
    assert_421_then_200_on_a_new_connection(&visit.access_log);
}

#[test]
fn strict_without_a_servers_table_does_the_same() {
    let visit = visit(&Filter::two_gateways("strict", false));
    assert_421_then_200_on_a_new_connection(&visit.access_log);
}

#[test]
fn log_only_keeps_the_404_and_counts_it() {
    let visit = visit(&Filter::two_gateways("log_only", true));
    let page = page(&visit.access_log);
    let b = b_requests(&visit.access_log);
    assert_eq!(b.len(), 1, "{b:?}");
    assert_eq!(b[0].connection, page.connection);
    assert_eq!((b[0].filter_chain.as_str(), b[0].status), ("gw-a", 404));
    assert_eq!(visit.counters["log_only_mismatches"], 1);
}
