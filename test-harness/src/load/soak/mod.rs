//! The soak: a sustained mixed load through Envoy with sni-guard strict and topology (a)'s
//! servers table, plus a catch-all TLS chain for connections without SNI. Each wave runs six
//! kinds of request at once, one `h2load` each: matching, coalesced and no-SNI, over HTTP/2
//! and HTTP/1.1. Checked: every response's status per kind, sni-guard's counters against the
//! 421s and no-SNI requests sent, Envoy's own response counters, Envoy's memory after the
//! first (warm-up) wave against the end, no Wasm failure in Envoy's log, and Envoy still
//! serving afterwards. Problems are collected into the [`Report`], not thrown.

mod report;

pub use report::{Report, Sent};

use crate::client::Protocol;
use crate::envoy::admin;
use crate::envoy::edits;
use crate::envoy::gateway::Gateway;
use crate::envoy::topology::{LISTENER_STATS, Topology};
use crate::envoy::wasm_failures;
use crate::error::{Result, fail};
use crate::load::h2load::{self, Run};
use crate::load::procfs::rss_kib;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One kind of request.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub name: &'static str,
    pub protocol: Protocol,
    /// `None`: connect by IP, no SNI (the catch-all chain).
    pub sni: Option<&'static str>,
    pub authority: &'static str,
    /// The status every response must have.
    pub status: u16,
}

pub const KINDS: [Kind; 6] = [
    Kind {
        name: "matching",
        protocol: Protocol::Http2,
        sni: Some("a.example.com"),
        authority: "a.example.com",
        status: 200,
    },
    Kind {
        name: "coalesced",
        protocol: Protocol::Http2,
        sni: Some("a.example.com"),
        authority: "b.example.com",
        status: 421,
    },
    Kind {
        name: "no SNI",
        protocol: Protocol::Http2,
        sni: None,
        authority: "b.example.com",
        status: 200,
    },
    Kind {
        name: "matching",
        protocol: Protocol::Http1,
        sni: Some("b.example.com"),
        authority: "b.example.com",
        status: 200,
    },
    Kind {
        name: "coalesced",
        protocol: Protocol::Http1,
        sni: Some("b.example.com"),
        authority: "a.example.com",
        status: 421,
    },
    Kind {
        name: "no SNI",
        protocol: Protocol::Http1,
        sni: None,
        authority: "a.example.com",
        status: 200,
    },
];

/// How much load.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// At least this many requests in all (rounded up to whole waves of six kinds).
    pub requests: u64,
    /// Waves; the first is the warm-up.
    pub waves: u32,
}

/// Envoy's memory may grow by this fraction of the warm-up figure, plus [`RSS_SLACK_KIB`].
pub const RSS_GROWTH: f64 = 0.10;
pub const RSS_SLACK_KIB: u64 = 5 * 1024;
/// Envoy worker threads.
const WORKERS: u32 = 2;

/// Runs the soak; `progress` sees each wave's number and Envoy's RSS after it.
pub fn run(options: Options, mut progress: impl FnMut(u32, u64)) -> Result<Report> {
    if options.waves < 2 {
        return Err(fail(
            "the soak needs at least 2 waves (the first is the warm-up)",
        ));
    }
    let per_wave = u64::from(options.waves) * KINDS.len() as u64;
    let per_kind = u32::try_from(options.requests.div_ceil(per_wave).max(1))
        .map_err(|_| fail("too many requests per wave"))?;
    let gateway = Gateway::builder(Topology::TwoGateways)
        .edit(|config| {
            edits::add_tls_chain(config, "catch-all", &[])?;
            edits::remove_key(config, "access_log");
            Ok(())
        })
        .envoy_args(["--concurrency".to_string(), WORKERS.to_string()])
        .start()?;
    let pid = gateway
        .envoy
        .pid()
        .ok_or_else(|| fail("Envoy has no pid"))?;
    let logs = tempfile::Builder::new()
        .prefix("sni-guard-soak-")
        .tempdir()?;
    let mut report = Report {
        envoy: gateway.envoy.version().to_string(),
        waves: options.waves,
        sent: KINDS
            .iter()
            .map(|&kind| Sent {
                kind,
                requests: 0,
                statuses: BTreeMap::new(),
            })
            .collect(),
        counters: BTreeMap::new(),
        envoy_responses: BTreeMap::new(),
        rss_ready_kib: rss_kib(pid)?,
        rss_kib: Vec::new(),
        duration: Duration::ZERO,
        problems: Vec::new(),
    };
    let started = Instant::now();
    for wave in 1..=options.waves {
        let paths: Vec<_> = (0..KINDS.len())
            .map(|i| logs.path().join(format!("wave{wave}-kind{i}.log")))
            .collect();
        let runs: Vec<Run> = KINDS
            .iter()
            .zip(&paths)
            .map(|(kind, path)| run_of(gateway.port, kind, per_kind, path))
            .collect();
        let running = runs.iter().map(Run::spawn).collect::<Result<Vec<_>>>()?;
        for ((running, sent), path) in running.into_iter().zip(&mut report.sent).zip(&paths) {
            let label = format!("wave {wave}, {}", label(&sent.kind));
            if let Err(e) = running.finish() {
                report.problems.push(format!("{label}: {e}"));
            }
            sent.requests += u64::from(per_kind);
            let log = h2load::read_log(path)?;
            let logged: u64 = log.statuses.values().sum();
            if logged != u64::from(per_kind) {
                report.problems.push(format!(
                    "{label}: {logged} responses logged for {per_kind} requests"
                ));
            }
            for (status, n) in log.statuses {
                *sent.statuses.entry(status).or_insert(0) += n;
            }
            std::fs::remove_file(path)?;
        }
        let rss = rss_kib(pid)?;
        report.rss_kib.push(rss);
        progress(wave, rss);
    }
    report.duration = started.elapsed();
    report.counters = gateway.envoy.sni_guard_counters()?;
    report.envoy_responses = admin::stats_under(gateway.envoy.admin(), LISTENER_STATS)?
        .into_iter()
        .filter(|(k, _)| k.starts_with("downstream_rq_"))
        .collect();
    report.check_load();
    still_serving(&gateway, &mut report.problems)?;
    let exited = gateway.stop()?.exited;
    for line in wasm_failures(&exited.stderr) {
        report
            .problems
            .push(format!("Wasm failure in Envoy's log: {line}"));
    }
    Ok(report)
}

fn run_of<'a>(port: u16, kind: &'a Kind, requests: u32, log: &'a std::path::Path) -> Run<'a> {
    let (clients, streams) = match kind.protocol {
        Protocol::Http2 => (2, 10),
        Protocol::Http1 => (4, 1),
    };
    Run {
        port,
        sni: kind.sni,
        authority: kind.authority,
        protocol: kind.protocol,
        requests,
        clients,
        streams,
        log: Some(log),
        cpu: None,
    }
}

/// After the load: a request of each kind on a fresh connection gets its status.
fn still_serving(gateway: &Gateway, problems: &mut Vec<String>) -> Result<()> {
    let client = gateway.client()?;
    for kind in &KINDS {
        match client.get(kind.protocol, kind.sni, kind.authority) {
            Ok(response) if response.status == kind.status => {}
            Ok(response) => problems.push(format!(
                "after the load, {}: status {}, expected {}",
                label(kind),
                response.status,
                kind.status
            )),
            Err(e) => problems.push(format!("after the load, {}: {e}", label(kind))),
        }
    }
    Ok(())
}

fn label(kind: &Kind) -> String {
    let protocol = match kind.protocol {
        Protocol::Http2 => "HTTP/2",
        Protocol::Http1 => "HTTP/1.1",
    };
    format!("{} {protocol}", kind.name)
}
