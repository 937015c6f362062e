//! The benchmark: Envoy CPU per request with no filter, a do-nothing proxy-wasm filter, the
//! Lua workaround and sni-guard, side by side on topology (a), in interleaved rounds.
//!
//! Each run starts Envoy with one worker pinned to CPU 0 (access log off), sends `h2load`
//! traffic from CPU 1 over HTTP/2, and reads Envoy's CPU time from
//! `/proc/<pid>/task/*/schedstat` before and after. Figures are medians over rounds. The
//! proxied workload forwards to a backend Envoy pinned to CPU 1 ([`upstream`]).

pub mod callgrind;
pub mod report;
pub mod upstream;

use crate::bench::upstream::{Backend, proxy_to};
use crate::client::Protocol;
use crate::envoy::edits::remove_key;
use crate::envoy::gateway::Gateway;
use crate::envoy::shared_vm;
use crate::envoy::topology::{Filter, TWO_GATEWAYS_SERVERS, Topology};
use crate::error::{Context, Result, fail};
use crate::load::h2load::{self, Run};
use crate::load::procfs::{cpu_ns, rss_kib};
use crate::paths;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use yaml_serde::Value;

/// One filter under test.
#[derive(Debug, Clone)]
pub struct Variant {
    pub name: &'static str,
    pub filter: Filter,
    /// Another build of sni-guard in place of the built module (same configuration).
    pub module: Option<PathBuf>,
    /// A change to the rendered configuration beyond the filter.
    pub edit: Option<fn(&mut Value) -> Result<()>>,
}

impl Variant {
    fn new(name: &'static str, filter: Filter) -> Variant {
        Variant {
            name,
            filter,
            module: None,
            edit: None,
        }
    }
}

/// One kind of traffic: every request on a connection made for `a.example.com`.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    pub name: &'static str,
    pub authority: &'static str,
    /// gw-a's routes forward to the backend instead of answering themselves.
    pub proxied: bool,
}

pub const WORKLOADS: [Workload; 3] = [
    Workload {
        name: "matching",
        authority: "a.example.com",
        proxied: false,
    },
    Workload {
        name: "coalesced",
        authority: "b.example.com",
        proxied: false,
    },
    Workload {
        name: "proxied",
        authority: "a.example.com",
        proxied: true,
    },
];

/// The variants, reference modules included (`noop_abi.wasm`, `noop_sdk.wasm`,
/// `reads_abi.wasm`, built beside the module).
pub fn variants() -> Result<Vec<Variant>> {
    let dir = paths::module()?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let module = |name: &str| -> Result<PathBuf> {
        let path = dir.join(name);
        match path.is_file() {
            true => Ok(path),
            false => Err(fail(format!(
                "{} is missing: cargo build --release --target wasm32-wasip1 -p sni-guard-bench-noop-abi -p sni-guard-bench-noop-sdk -p sni-guard-bench-reads-abi",
                path.display()
            ))),
        }
    };
    Ok(vec![
        Variant::new(NONE, Filter::None),
        Variant::new(
            "no-op, 1 callback (floor)",
            Filter::Module(module("noop_abi.wasm")?),
        ),
        Variant::new(
            "no-op, proxy-wasm SDK",
            Filter::Module(module("noop_sdk.wasm")?),
        ),
        Variant::new(
            "SNI and :authority reads only",
            Filter::Module(module("reads_abi.wasm")?),
        ),
        Variant::new(LUA, Filter::Lua),
        Variant::new(SNI_GUARD, Filter::AsWritten),
        Variant::new(SNI_GUARD_10K, Filter::SniGuard(ten_thousand_hosts())),
        Variant {
            edit: Some(shared_vm::one_plugin_per_chain),
            ..Variant::new(SNI_GUARD_SHARED_VM, Filter::AsWritten)
        },
        Variant::new(NATIVE, native(Topology::TwoGateways.plugin_config()?)?),
        Variant::new(NATIVE_10K, native(ten_thousand_hosts())?),
    ])
}

/// The native build with `json`; an error says how to build it.
fn native(json: String) -> Result<Filter> {
    paths::native_module()?;
    Ok(Filter::Native(json))
}

/// sni-guard's two variants, 2 and 10,000 hosts, run on another build of the module
/// (`label`: "before", say), to compare builds in the same interleaved rounds.
pub fn other_build(label: &str, module: &Path) -> [Variant; 2] {
    let name = |hosts: &str| -> &'static str {
        Box::leak(format!("sni-guard {label}, {hosts}").into_boxed_str())
    };
    [
        Variant {
            module: Some(module.to_path_buf()),
            ..Variant::new(name("2 hosts"), Filter::AsWritten)
        },
        Variant {
            module: Some(module.to_path_buf()),
            ..Variant::new(name("10,000 hosts"), Filter::SniGuard(ten_thousand_hosts()))
        },
    ]
}

pub const SNI_GUARD: &str = "sni-guard, 2 hosts";
/// The native build (an Envoy dynamic module, no VM).
pub const NATIVE: &str = "sni-guard native, 2 hosts";
pub const NATIVE_10K: &str = "sni-guard native, 10,000 hosts";
pub const SNI_GUARD_10K: &str = "sni-guard, 10,000 hosts";
/// One plugin per filter chain in one VM: the stream's plugin is looked up by name.
pub const SNI_GUARD_SHARED_VM: &str = "sni-guard, 2 plugins in one VM";
pub const LUA: &str = "Lua workaround";
pub const NONE: &str = "no filter";

/// Topology (a)'s table plus 9,998 more hosts on other servers.
pub fn ten_thousand_hosts() -> String {
    let more: Vec<String> = (0..100)
        .map(|s| {
            let hosts: Vec<String> = (0..100)
                .filter(|h| s * 100 + h < 9_998)
                .map(|h| format!("\"h{h}.s{s}.example.net\""))
                .collect();
            format!(r#"{{"name":"s{s}","hosts":[{}]}}"#, hosts.join(","))
        })
        .collect();
    let two = TWO_GATEWAYS_SERVERS.trim_end_matches(']');
    format!(r#"{{"mode":"strict","servers":{two},{}]}}"#, more.join(","))
}

/// One measured run.
#[derive(Debug, Clone)]
pub struct Sample {
    pub variant: &'static str,
    pub workload: &'static str,
    /// Envoy CPU time per request, microseconds.
    pub cpu_us: f64,
    pub requests_per_second: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    /// Envoy's resident memory after the run, KiB.
    pub rss_kib: u64,
    /// From start to `/ready`, milliseconds (module compiled and configured).
    pub ready_ms: f64,
    /// The status every response had.
    pub status: u16,
}

/// How much traffic.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub requests: u32,
    pub warmup: u32,
}

/// Starts Envoy as a run needs it: one worker, the access log off, gw-a forwarding to the
/// backend for a proxied workload, the module swapped for a variant of another build.
pub fn start(variant: &Variant, workload: Workload, backend: Option<u16>) -> Result<Gateway> {
    let upstream = match (workload.proxied, backend) {
        (false, _) => None,
        (true, Some(port)) => Some(port),
        (true, None) => return Err(fail(format!("{}: no backend", workload.name))),
    };
    let edit = variant.edit;
    let builder = Gateway::builder(Topology::TwoGateways)
        .filter(&variant.filter)
        .edit(move |config| {
            remove_key(config, "access_log");
            if let Some(edit) = edit {
                edit(config)?;
            }
            if let Some(port) = upstream {
                proxy_to(config, port)?;
            }
            Ok(())
        })
        .envoy_args(["--concurrency", "1"]);
    let builder = match &variant.module {
        Some(path) => builder.module(path),
        None => builder,
    };
    builder
        .start()
        .map_err(|e| fail(format!("{}: {e}", variant.name)))
}

/// Runs `variant` under `workload` once (`backend`: the port of the proxied workload's
/// backend).
pub fn run(
    variant: &Variant,
    workload: Workload,
    load: Load,
    backend: Option<u16>,
) -> Result<Sample> {
    let started = Instant::now();
    let gateway = start(variant, workload, backend)?;
    let (envoy, port) = (gateway.envoy, gateway.port);
    let ready_ms = started.elapsed().as_secs_f64() * 1e3;
    let pid = envoy.pid().ok_or_else(|| fail("Envoy has no pid"))?;
    let pinned = pin(pid, 0)?;
    h2load(port, workload.authority, load.warmup, None, pinned)?;
    let log = tempfile::NamedTempFile::new()?;
    let before = cpu_ns(pid)?;
    let report = h2load(
        port,
        workload.authority,
        load.requests,
        Some(log.path()),
        pinned,
    )?;
    let after = cpu_ns(pid)?;
    let rss_kib = rss_kib(pid)?;
    envoy.stop()?;
    let (status, mut latencies) = read_log(log.path())?;
    latencies.sort_unstable();
    Ok(Sample {
        variant: variant.name,
        workload: workload.name,
        cpu_us: (after - before) as f64 / 1e3 / f64::from(load.requests),
        requests_per_second: report,
        p50_us: percentile(&latencies, 0.50),
        p99_us: percentile(&latencies, 0.99),
        rss_kib,
        ready_ms,
        status,
    })
}

/// The backend of the proxied workload, pinned to h2load's CPU.
pub fn backend() -> Result<Backend> {
    let backend = Backend::start()?;
    if let Some(pid) = backend.envoy.pid() {
        pin(pid, 1)?;
    }
    Ok(backend)
}

/// Every variant under every workload, `rounds` times, interleaved so that drift on the
/// machine hits all of them alike. `progress` sees each sample as it comes.
pub fn rounds(
    variants: &[Variant],
    rounds: usize,
    load: Load,
    mut progress: impl FnMut(usize, &Sample),
) -> Result<Vec<Sample>> {
    let backend = backend()?;
    let mut samples = Vec::new();
    for round in 1..=rounds {
        for workload in WORKLOADS {
            for variant in variants {
                let served = backend.served()?;
                let sample = run(variant, workload, load, Some(backend.port))?;
                let forwarded = backend.served()? - served;
                let sent = u64::from(load.requests + load.warmup);
                if workload.proxied != (forwarded == sent) {
                    return Err(fail(format!(
                        "{} {}: the backend answered {forwarded} of {sent} requests",
                        workload.name, variant.name
                    )));
                }
                progress(round, &sample);
                samples.push(sample);
            }
        }
    }
    Ok(samples)
}

/// Pins every thread of `pid` to `cpu` (the gateway to 0; h2load and the backend go to 1),
/// when there are two CPUs.
pub fn pin(pid: u32, cpu: usize) -> Result<bool> {
    if std::thread::available_parallelism().map_or(1, usize::from) < 2 {
        return Ok(false);
    }
    let out = Command::new("taskset")
        .args(["-a", "-cp", &cpu.to_string(), &pid.to_string()])
        .output()
        .context(|| "running taskset".into())?;
    Ok(out.status.success())
}

/// Runs h2load from CPU 1 (when Envoy is pinned): 4 connections, 10 streams each, SNI
/// `a.example.com`. Returns requests/s.
pub(crate) fn h2load(
    port: u16,
    authority: &str,
    n: u32,
    log: Option<&Path>,
    pinned: bool,
) -> Result<f64> {
    let run = Run {
        port,
        sni: Some("a.example.com"),
        authority,
        protocol: Protocol::Http2,
        requests: n,
        clients: 4,
        streams: 10,
        log,
        cpu: pinned.then_some(1),
    };
    Ok(run.run()?.requests_per_second)
}

/// h2load's per-request log: the one status every response had, and the durations (µs).
fn read_log(path: &Path) -> Result<(u16, Vec<u64>)> {
    let log = h2load::read_log(path)?;
    match log.statuses.len() {
        1 => Ok((
            log.statuses.into_keys().next().unwrap_or(0),
            log.latencies_us,
        )),
        _ => Err(fail(format!("mixed response statuses: {:?}", log.statuses))),
    }
}

fn percentile(sorted: &[u64], q: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n => sorted[((n - 1) as f64 * q).round() as usize] as f64,
    }
}

/// The median of each figure per (variant, workload), in `variants` order.
pub fn medians(samples: &[Sample], variants: &[Variant]) -> Vec<Sample> {
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let mut out = Vec::new();
    for workload in WORKLOADS {
        for variant in variants {
            let runs: Vec<&Sample> = samples
                .iter()
                .filter(|s| s.variant == variant.name && s.workload == workload.name)
                .collect();
            let Some(first) = runs.first() else { continue };
            let of = |f: fn(&Sample) -> f64| median(runs.iter().map(|s| f(s)).collect());
            out.push(Sample {
                cpu_us: of(|s| s.cpu_us),
                requests_per_second: of(|s| s.requests_per_second),
                p50_us: of(|s| s.p50_us),
                p99_us: of(|s| s.p99_us),
                rss_kib: of(|s| s.rss_kib as f64) as u64,
                ready_ms: of(|s| s.ready_ms),
                ..(*first).clone()
            });
        }
    }
    out
}
