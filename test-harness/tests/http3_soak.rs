//! A short soak over HTTP/3 beside HTTP/2: one Envoy (two workers) with sni-guard strict and
//! topology (a)'s servers table, QUIC listeners as istiod renders them, loopback only. Each
//! wave runs at once: h2load (matching and coalesced, HTTP/2) and threads of HTTP/3 clients
//! (`Client::h3`, a new QUIC connection every `PER_CONNECTION` requests, matching and
//! coalesced alternating on it). Checked: every status (200 / 421), sni-guard's counter and
//! Envoy's per-protocol request counters against what the clients sent, and Envoy's RSS
//! after the warm-up wave against the end, with tolerances from the HTTP/2 soak
//! (from `soak::RSS_GROWTH` and `soak::RSS_SLACK_KIB`: allocator and stats growth, not leaks;
//! checked over the whole run and over its second half).

use sni_guard_harness::envoy::topology::LISTENER_STATS;
use sni_guard_harness::load::h2load::{self, Run};
use sni_guard_harness::load::procfs::rss_kib;
use sni_guard_harness::load::soak::{RSS_GROWTH, RSS_SLACK_KIB};
use sni_guard_harness::{
    Client, Filter, Gateway, Protocol, Topology, envoy::admin, envoy::edits, envoy::quic,
};
use std::collections::BTreeMap;
use std::time::Instant;

const A: Option<&str> = Some("a.example.com");
/// Matching (200) and coalesced (421) on connections with SNI a.
const HOSTS: [&str; 2] = ["a.example.com", "b.example.com"];
const WAVES: u32 = 10;
/// HTTP/2 requests per kind and wave (h2load, 2 connections of 10 streams).
const H2_PER_KIND: u32 = 8_000;
const H3_THREADS: u32 = 2;
/// HTTP/3 requests per thread and wave, half matching, half coalesced.
const H3_PER_THREAD: u32 = 1_200;
const PER_CONNECTION: u32 = 50;

/// (protocol, authority, status) → responses; status 0: no response.
type Tally = BTreeMap<(&'static str, &'static str, u16), u64>;

/// `requests` HTTP/3 requests on connections with SNI a, alternating a (200) and b (421).
fn h3_load(client: &Client, requests: u32) -> Tally {
    let mut tally = Tally::new();
    let mut sent = 0;
    while sent < requests {
        let mut h3 = match client.h3(A) {
            Ok(h3) => h3,
            Err(e) => {
                eprintln!("QUIC connection: {e}");
                *tally.entry(("HTTP/3", "connect", 0)).or_insert(0) += 1;
                sent += PER_CONNECTION;
                continue;
            }
        };
        for i in 0..PER_CONNECTION.min(requests - sent) {
            let authority = HOSTS[(i % 2) as usize];
            let status = h3.get(authority).map_or(0, |r| r.status);
            *tally.entry(("HTTP/3", authority, status)).or_insert(0) += 1;
        }
        sent += PER_CONNECTION;
    }
    tally
}

fn h2_run<'a>(port: u16, authority: &'a str, log: &'a std::path::Path) -> Run<'a> {
    Run {
        port,
        sni: A,
        authority,
        protocol: Protocol::Http2,
        requests: H2_PER_KIND,
        clients: 2,
        streams: 10,
        log: Some(log),
        cpu: None,
    }
}

#[test]
fn http3_beside_http2_every_status_counter_and_rss_right() {
    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(&Filter::two_gateways("strict", true))
        .edit(|config| {
            quic::enable(config)?;
            edits::remove_key(config, "access_log");
            Ok(())
        })
        .envoy_args(["--concurrency", "2"])
        .start()
        .unwrap();
    let pid = gateway.envoy.pid().unwrap();
    let client = gateway.client().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let rss_ready = rss_kib(pid).unwrap();
    let mut rss = Vec::new();
    let mut tally = Tally::new();
    let started = Instant::now();
    for wave in 1..=WAVES {
        let paths = ["a", "b"].map(|k| logs.path().join(format!("wave{wave}-{k}.log")));
        let runs = [
            h2_run(gateway.port, HOSTS[0], &paths[0]),
            h2_run(gateway.port, HOSTS[1], &paths[1]),
        ];
        let running: Vec<_> = runs.iter().map(|r| r.spawn().unwrap()).collect();
        let h3: Vec<Tally> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..H3_THREADS)
                .map(|_| s.spawn(|| h3_load(&client, H3_PER_THREAD)))
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        for part in h3 {
            for (key, n) in part {
                *tally.entry(key).or_insert(0) += n;
            }
        }
        let kinds = running.into_iter().zip(HOSTS).zip(&paths);
        for ((running, authority), path) in kinds {
            running.finish().unwrap();
            for (status, n) in h2load::read_log(path).unwrap().statuses {
                *tally.entry(("HTTP/2", authority, status)).or_insert(0) += n;
            }
        }
        rss.push(rss_kib(pid).unwrap());
    }
    let took = started.elapsed();

    let h2_kind = u64::from(WAVES * H2_PER_KIND);
    let h3_kind = u64::from(WAVES * H3_THREADS * H3_PER_THREAD / 2);
    let expected = Tally::from([
        (("HTTP/2", "a.example.com", 200), h2_kind),
        (("HTTP/2", "b.example.com", 421), h2_kind),
        (("HTTP/3", "a.example.com", 200), h3_kind),
        (("HTTP/3", "b.example.com", 421), h3_kind),
    ]);
    let stats = admin::stats_under(gateway.envoy.admin(), LISTENER_STATS).unwrap();
    let stat = |name: &str| stats.get(name).copied().unwrap_or(0);
    let (warm, end) = (rss[0], rss[rss.len() - 1]);
    println!(
        "{WAVES} waves in {took:.1?}: {tally:?}; Envoy RSS ready {rss_ready} KiB, after the \
         warm-up {warm} KiB, end {end} KiB ({rss:?}); downstream_rq_http2_total {}, \
         downstream_rq_http3_total {}, 2xx {}, 4xx {}",
        stat("downstream_rq_http2_total"),
        stat("downstream_rq_http3_total"),
        stat("downstream_rq_2xx"),
        stat("downstream_rq_4xx"),
    );
    assert_eq!(tally, expected);
    assert_eq!(
        gateway.counter("misdirected").unwrap(),
        h2_kind + h3_kind,
        "one per 421 sent"
    );
    assert_eq!(gateway.counter("log_only_mismatches").unwrap(), 0);
    assert_eq!(stat("downstream_rq_http2_total"), 2 * h2_kind);
    assert_eq!(stat("downstream_rq_http3_total"), 2 * h3_kind);
    assert_eq!(stat("downstream_rq_2xx"), h2_kind + h3_kind);
    assert_eq!(stat("downstream_rq_4xx"), h2_kind + h3_kind);
    // QUIC's pools still grow through the first waves (one run: +14 MiB over the first five,
    // +1.3 MiB over the last five), so the bound over the whole run is twice the soak's; a
    // leak also keeps growing in the second half, which gets half the soak's bound.
    let limit = warm + (warm as f64 * 2.0 * RSS_GROWTH) as u64 + RSS_SLACK_KIB;
    assert!(end <= limit, "RSS {end} KiB > {limit} KiB: {rss:?}");
    let mid = rss[rss.len() / 2];
    let later = mid + (mid as f64 * RSS_GROWTH / 2.0) as u64 + RSS_SLACK_KIB / 2;
    assert!(
        end <= later,
        "RSS {end} KiB > {later} KiB over the second half: {rss:?}"
    );
    // Afterwards both protocols still serve and refuse.
    let mut h3 = client.h3(A).unwrap();
    assert_eq!(h3.get("a.example.com").unwrap().status, 200);
    assert_eq!(h3.get("b.example.com").unwrap().status, 421);
    let h2 = client.get(Protocol::Http2, A, "b.example.com").unwrap();
    assert_eq!(h2.status, 421);
    drop(h3);
    let stderr = gateway.stop().unwrap().exited.stderr;
    let wasm = sni_guard_harness::envoy::wasm_failures(&stderr);
    assert!(wasm.is_empty(), "{wasm:#?}");
}
