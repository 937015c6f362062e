//! A real browser over HTTP/3: headless Chromium (Debian's) loads gw-a's page, whose iframe
//! is https://b.example.com/, from topology (a) with the QUIC listener istiod renders
//! (`quic::enable`: UDP on the TCP port, `alt-svc: h3=":PORT"`), on the default Envoy.
//! Two ways Chromium gets to QUIC: alt-svc learnt over TCP and used on a later load of the
//! same profile, and QUIC forced for both origins. Each load's netlog says which session
//! (and SNI) every attempt of the iframe's request went on; Envoy's access log says which
//! server answered; the body bytes Chromium handed the frame say what the user saw.
//!
//! Chromium's QUIC refuses a certificate that does not chain to a root of its own store
//! (`is_issued_by_known_root`, net/quic/crypto/proof_verifier_chromium.cc,
//! `ERR_QUIC_CERT_ROOT_NOT_KNOWN`) unless the host is listed in
//! `--origin-to-force-quic-on` (quic_session_pool.cc, `HostsFromOrigins`). The test CA is
//! trusted through NSS, not known: `private_ca_*` shows what that does; the alt-svc tests
//! list both hosts on port 1, which nothing uses, to waive the check without forcing QUIC
//! on the gateway's port.

use sni_guard_harness::browser::Browser;
use sni_guard_harness::browser::netlog::{NetLog, Request};
use sni_guard_harness::client::BODY_421;
use sni_guard_harness::envoy::access_log::Entry;
use sni_guard_harness::{Filter, Gateway, Pki, Topology, envoy::quic};
use std::collections::BTreeMap;

const GW_B: &str = "gw-b: b.example.com\n";

/// Every load of one profile, Envoy's log, sni-guard's counters.
struct Visit {
    port: u16,
    loads: Vec<NetLog>,
    access_log: Vec<Entry>,
    counters: BTreeMap<String, u64>,
}

impl Visit {
    fn last(&self) -> &NetLog {
        self.loads.last().expect("no load")
    }

    /// The iframe's request in the last load.
    fn iframe(&self) -> &Request {
        let prefix = format!("https://b.example.com:{}/", self.port);
        let found: Vec<_> = self.last().requests_to(&prefix).collect();
        assert_eq!(found.len(), 1, "{}", self.last().summary());
        found[0]
    }

    /// The QUIC session the page itself was loaded on in the last load (its SNI checked).
    fn page_session(&self) -> u64 {
        let prefix = format!("https://a.example.com:{}/", self.port);
        let page = self.last().requests_to(&prefix).next().expect("no page");
        let attempt = &page.attempts[0];
        assert_eq!((attempt.protocol, attempt.status), ("h3", Some(200)));
        let id = attempt
            .quic_session
            .expect("the page is on no QUIC session");
        assert_eq!(self.last().quic_host(id), Some("a.example.com"));
        id
    }
}

/// Loads each of `hosts` (`a`: gw-a's page, `b`: gw-b's) in turn in one profile with
/// `flags(port)`, against Envoy with `filter`.
fn visit(filter: &Filter, flags: fn(u16) -> Vec<String>, hosts: &[&str]) -> Visit {
    let pki = Pki::generate().unwrap();
    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(filter)
        .pki(pki.clone())
        .edit(quic::enable)
        .start()
        .unwrap();
    let port = gateway.port;
    let browser = Browser::new(&pki.ca_pem).unwrap().with_quic(flags(port));
    let out = tempfile::tempdir().unwrap();
    let mut loads = Vec::new();
    for (i, host) in hosts.iter().enumerate() {
        let png = out.path().join(format!("{i}.png"));
        let json = out.path().join(format!("{i}.json"));
        let url = format!("https://{host}.example.com:{port}/");
        browser.screenshot_with_netlog(&url, &png, &json).unwrap();
        assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
        let log = NetLog::read(&json).unwrap();
        println!("== load {i}: {url}\n{}", log.summary());
        loads.push(log);
    }
    let counters = match filter {
        Filter::None => BTreeMap::new(),
        _ => gateway.envoy.sni_guard_counters().unwrap(),
    };
    let access_log = gateway.stop().unwrap().access_log;
    for e in &access_log {
        println!("  envoy: {e:?}");
    }
    Visit {
        port,
        loads,
        access_log,
        counters,
    }
}

/// alt-svc as Chromium learns it; both hosts (on a port nothing uses) exempt from the
/// known-root check, so the test CA is accepted over QUIC as a public one would be.
fn alt_svc(_port: u16) -> Vec<String> {
    vec![
        "--enable-quic".into(),
        "--origin-to-force-quic-on=a.example.com:1,b.example.com:1".into(),
    ]
}

fn forced(port: u16) -> Vec<String> {
    vec![
        "--enable-quic".into(),
        format!("--origin-to-force-quic-on=a.example.com:{port},b.example.com:{port}"),
    ]
}

fn private_ca(_port: u16) -> Vec<String> {
    vec!["--enable-quic".into()]
}

/// gw-b's page first (so b's alt-svc is known too, as after an earlier visit), gw-a's page
/// (learns a's alt-svc over TCP), gw-a's page again: now over QUIC.
const LEARN_THEN_RELOAD: &[&str] = &["b", "a", "a"];

fn strict() -> Filter {
    Filter::two_gateways("strict", true)
}

fn b_entries(log: &[Entry]) -> Vec<&Entry> {
    log.iter()
        .filter(|e| {
            e.authority
                .as_deref()
                .is_some_and(|a| a.starts_with("b.example.com"))
        })
        .collect()
}

/// Envoy's last entries for b.example.com: `n` of them, returned in order.
fn last_b(visit: &Visit, n: usize) -> Vec<&Entry> {
    let b = b_entries(&visit.access_log);
    assert!(b.len() >= n, "{b:#?}");
    b[b.len() - n..].to_vec()
}

/// sni-guard counted every 421 Envoy logged. (Earlier loads race QUIC against TCP, so how
/// many there are varies: the learning load may also send a.example.com's favicon onto b's
/// QUIC session and get a 421 there.)
fn assert_counted(visit: &Visit) {
    let sent = visit.access_log.iter().filter(|e| e.status == 421).count() as u64;
    assert!(sent > 0);
    assert_eq!(visit.counters["misdirected"], sent);
}

#[test]
fn alt_svc_without_the_filter_the_iframe_gets_gw_a_404_over_http3() {
    let visit = visit(&Filter::None, alt_svc, LEARN_THEN_RELOAD);
    let session = visit.page_session();
    let iframe = visit.iframe();
    // Coalesced onto the page's QUIC session (SNI a.example.com), answered once.
    assert_eq!(iframe.attempts.len(), 1, "{iframe:#?}");
    assert_eq!(iframe.attempts[0].quic_session, Some(session));
    assert_eq!(iframe.attempts[0].status, Some(404));
    assert_eq!(iframe.body_bytes, 0);
    let b = last_b(&visit, 1);
    assert_eq!((b[0].protocol.as_str(), b[0].status), ("HTTP/3", 404));
    assert_eq!(b[0].sni.as_deref(), Some("a.example.com"));
    assert_eq!(b[0].details, "route_not_found");
}

#[test]
fn alt_svc_strict_421_then_chromium_retries_over_tcp_with_sni_b() {
    let visit = visit(&strict(), alt_svc, LEARN_THEN_RELOAD);
    let session = visit.page_session();
    let iframe = visit.iframe();
    assert_eq!(iframe.attempts.len(), 2, "{iframe:#?}");
    let (first, retry) = (&iframe.attempts[0], &iframe.attempts[1]);
    assert_eq!(first.quic_session, Some(session));
    assert_eq!(first.status, Some(421));
    assert!(first.restarted_after_421);
    // The retry runs with alternative services off: HTTP/2 on a new TCP connection.
    assert_eq!((retry.protocol, retry.status), ("h2", Some(200)));
    assert_eq!(iframe.body_bytes, GW_B.len() as u64);
    let b = last_b(&visit, 2);
    assert_eq!((b[0].protocol.as_str(), b[0].status), ("HTTP/3", 421));
    assert_eq!(b[0].sni.as_deref(), Some("a.example.com"));
    assert_eq!(b[0].details, "sni_guard_misdirected_request");
    assert_eq!((b[1].protocol.as_str(), b[1].status), ("HTTP/2", 200));
    assert_eq!(
        (b[1].filter_chain.as_str(), b[1].sni.as_deref()),
        ("gw-b", Some("b.example.com"))
    );
    assert_counted(&visit);
}

#[test]
fn forced_quic_without_the_filter_the_iframe_gets_gw_a_404() {
    let visit = visit(&Filter::None, forced, &["a"]);
    let session = visit.page_session();
    let iframe = visit.iframe();
    assert_eq!(iframe.attempts.len(), 1, "{iframe:#?}");
    assert_eq!(iframe.attempts[0].quic_session, Some(session));
    assert_eq!(iframe.attempts[0].status, Some(404));
    let b = last_b(&visit, 1);
    assert_eq!((b[0].protocol.as_str(), b[0].status), ("HTTP/3", 404));
    assert_eq!(b[0].sni.as_deref(), Some("a.example.com"));
    assert!(visit.access_log.iter().all(|e| e.protocol == "HTTP/3"));
}

#[test]
fn forced_quic_strict_the_retry_reuses_the_same_session_and_the_user_sees_the_421() {
    let visit = visit(&strict(), forced, &["a"]);
    let session = visit.page_session();
    let iframe = visit.iframe();
    // Chromium restarts once, but its QUIC pool mapped b.example.com's key to the page's
    // session when it pooled the first try, so the retry goes there again.
    assert_eq!(iframe.attempts.len(), 2, "{iframe:#?}");
    for attempt in &iframe.attempts {
        assert_eq!((attempt.protocol, attempt.status), ("h3", Some(421)));
        assert_eq!(attempt.quic_session, Some(session));
    }
    assert!(iframe.attempts[0].restarted_after_421);
    assert!(!iframe.attempts[1].restarted_after_421);
    // The frame shows sni-guard's 421 body.
    assert_eq!(iframe.body_bytes, BODY_421.len() as u64);
    let b = b_entries(&visit.access_log);
    assert_eq!(b.len(), 2, "{b:#?}");
    assert!(b.iter().all(|e| e.protocol == "HTTP/3"
        && e.status == 421
        && e.sni.as_deref() == Some("a.example.com")));
    assert_counted(&visit);
}

#[test]
fn private_ca_chromium_refuses_quic_and_stays_on_tcp() {
    let visit = visit(&strict(), private_ca, LEARN_THEN_RELOAD);
    // Chromium tried the advertised h3 and closed every QUIC session itself.
    let sessions: Vec<_> = visit.loads.iter().flat_map(|l| &l.quic_sessions).collect();
    let ours: Vec<_> = sessions
        .iter()
        .filter(|s| s.host.ends_with(".example.com"))
        .collect();
    assert!(!ours.is_empty(), "Chromium never tried QUIC");
    for s in &ours {
        let closed = s.closed.as_deref().unwrap_or_default();
        assert!(closed.contains("certificate unknown"), "{s:?}");
    }
    assert!(visit.loads.iter().flat_map(|l| &l.known_root).all(|k| !k));
    // The profile remembers: on the last load a.example.com's h3 is known and held broken.
    let a = format!("quic a.example.com:{}", visit.port);
    let found: Vec<_> = visit
        .last()
        .alt_svc
        .iter()
        .filter(|(s, _)| s.starts_with(&a))
        .collect();
    assert!(
        !found.is_empty() && found.iter().all(|(_, broken)| *broken),
        "{found:?}"
    );
    // So everything went over TCP, and the 421's retry on a new connection worked.
    assert!(visit.access_log.iter().all(|e| e.protocol == "HTTP/2"));
    let iframe = visit.iframe();
    assert_eq!(iframe.attempts.last().and_then(|a| a.status), Some(200));
    assert_eq!(iframe.body_bytes, GW_B.len() as u64);
}
