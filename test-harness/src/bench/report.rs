//! The benchmark's figures as a Markdown table, an SVG bar chart, and the ratio line.
//!
//! `docs/benchmark.md` ends with a part written by hand (comparisons of builds, instruction
//! counts); [`with_kept`] carries it over when the benchmark writes the page again.

use crate::bench::{
    LUA, Load, NATIVE, NATIVE_10K, NONE, SNI_GUARD, SNI_GUARD_10K, SNI_GUARD_SHARED_VM, Sample,
    WORKLOADS,
};
use std::fmt::Write;

/// What the run was.
pub struct Setup {
    pub rounds: usize,
    pub load: Load,
    pub envoy: String,
    pub cpu: String,
    pub module_bytes: u64,
}

fn find<'a>(medians: &'a [Sample], variant: &str, workload: &str) -> Option<&'a Sample> {
    medians
        .iter()
        .find(|s| s.variant == variant && s.workload == workload)
}

/// Envoy CPU per request above the no-filter run of the same workload.
pub fn overhead(medians: &[Sample], variant: &str, workload: &str) -> Option<f64> {
    let base = find(medians, NONE, workload)?.cpu_us;
    Some(find(medians, variant, workload)?.cpu_us - base)
}

/// The overhead as a share of the request's Envoy CPU with the filter.
pub fn share(medians: &[Sample], variant: &str, workload: &str) -> Option<f64> {
    let total = find(medians, variant, workload)?.cpu_us;
    Some(overhead(medians, variant, workload)? / total)
}

/// sni-guard's overhead over the Lua workaround's, per workload and table size.
pub fn ratios(medians: &[Sample]) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for workload in WORKLOADS {
        for variant in [SNI_GUARD, SNI_GUARD_10K, NATIVE, NATIVE_10K] {
            if let (Some(ours), Some(lua)) = (
                overhead(medians, variant, workload.name),
                overhead(medians, LUA, workload.name),
            ) {
                out.push((format!("{variant}, {} requests", workload.name), ours / lua));
            }
        }
    }
    out
}

/// The line that starts the part of the page written by hand.
pub const KEPT: &str = "<!-- Everything below is written by hand; bench.sh keeps it. -->";

/// The page `generated`, followed by the hand-written part of the `previous` page, if any.
pub fn with_kept(generated: &str, previous: Option<&str>) -> String {
    match previous.and_then(|p| p.find(KEPT).map(|at| &p[at..])) {
        Some(kept) => format!("{generated}\n{kept}"),
        None => generated.to_string(),
    }
}

/// The results page.
pub fn markdown(setup: &Setup, medians: &[Sample]) -> String {
    let mut md = String::from("# Benchmark: Envoy CPU per request\n\n");
    let _ = writeln!(
        md,
        "`test-harness/bench.sh` on Envoy {}, {} ({} CPUs): one Envoy worker pinned to CPU 0, h2load pinned to \
         CPU 1 (HTTP/2, TLS, 4 connections × 10 streams, SNI `a.example.com`), access log off; \
         {} requests per run after {} of warm-up; {} interleaved rounds, medians. Envoy CPU is \
         the time of all its threads (`/proc/<pid>/task/*/schedstat`) during the run, per request. \
         **matching**: `:authority` `a.example.com` (200, gw-a's direct response); **coalesced**: \
         `:authority` `b.example.com` on that connection (421 from the Lua workaround and \
         sni-guard, gw-a's 404 otherwise); **proxied**: matching requests that gw-a forwards \
         over HTTP/1.1 to a backend on loopback (a second Envoy, one worker, pinned to CPU 1 \
         with h2load: never on the gateway's core, whose CPU alone is measured). \
         ![chart](benchmark.svg)\n",
        setup.envoy,
        setup.cpu,
        std::thread::available_parallelism().map_or(1, usize::from),
        setup.load.requests,
        setup.load.warmup,
        setup.rounds
    );
    for workload in WORKLOADS {
        let _ = writeln!(md, "## {} requests\n", workload.name);
        md.push_str("| filter | status | Envoy CPU µs/request | overhead µs | share of Envoy CPU | req/s | p50 µs | p99 µs | Envoy RSS MiB |\n");
        md.push_str("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
        for s in medians.iter().filter(|s| s.workload == workload.name) {
            let extra = overhead(medians, s.variant, workload.name).unwrap_or(0.0);
            let part = share(medians, s.variant, workload.name).unwrap_or(0.0);
            let _ = writeln!(
                md,
                "| {} | {} | {:.2} | {:+.2} | {:.0}% | {:.0} | {:.0} | {:.0} | {:.1} |",
                s.variant,
                s.status,
                s.cpu_us,
                extra,
                part * 100.0,
                s.requests_per_second,
                s.p50_us,
                s.p99_us,
                s.rss_kib as f64 / 1024.0
            );
        }
        md.push('\n');
    }
    md.push_str(&shares(medians));
    md.push_str("## sni-guard against the Lua workaround\n\n");
    md.push_str("| overhead ratio, sni-guard / Lua | |\n| --- | --- |\n");
    for (what, ratio) in ratios(medians) {
        match ratio.is_finite() && ratio > 0.0 {
            true => writeln!(md, "| {what} | **{ratio:.2}** |"),
            false => writeln!(md, "| {what} | - (an overhead not above no filter's) |"),
        }
        .unwrap_or_default();
    }
    md.push_str(&shared_vm(medians));
    let ready = |v| find(medians, v, "matching").map_or(0.0, |s| s.ready_ms);
    let _ = writeln!(
        md,
        "\nModule: {:.1} KB. Envoy start to `/ready` (module compiled, configuration parsed): \
         {:.0} ms with the 2-host table, {:.0} ms with the 10,000-host table; the native build \
         {:.0} ms and {:.0} ms; no filter {:.0} ms.",
        setup.module_bytes as f64 / 1000.0,
        ready(SNI_GUARD),
        ready(SNI_GUARD_10K),
        ready(NATIVE),
        ready(NATIVE_10K),
        ready(NONE)
    );
    md
}

/// What sharing a VM adds: the same table as one plugin per filter chain in one VM, where
/// each request also reads `plugin_name` to find its plugin.
fn shared_vm(medians: &[Sample]) -> String {
    let mut md = format!(
        "\n**{SNI_GUARD_SHARED_VM}**: the 2-host table as one plugin per filter chain in one \
         VM (as Istio loads several WasmPlugins of this module), so each request also reads \
         `plugin_name`. Above the one-plugin row:"
    );
    for workload in WORKLOADS {
        let one = overhead(medians, SNI_GUARD, workload.name);
        let shared = overhead(medians, SNI_GUARD_SHARED_VM, workload.name);
        if let (Some(one), Some(shared)) = (one, shared) {
            let _ = write!(md, " {} {:+.2} µs;", workload.name, shared - one);
        }
    }
    md.pop();
    md.push_str(".\n");
    md
}

/// Each filter's overhead and its share of the request's Envoy CPU, per workload side by side.
fn shares(medians: &[Sample]) -> String {
    let mut md = String::from("## Overhead as a share of the request's Envoy CPU\n\n| filter |");
    for workload in WORKLOADS {
        let _ = write!(md, " {} µs | share |", workload.name);
    }
    md.push_str("\n| --- |");
    md.push_str(&" --- | --- |".repeat(WORKLOADS.len()));
    md.push('\n');
    for s in medians
        .iter()
        .filter(|s| s.workload == "matching" && s.variant != NONE)
    {
        let _ = write!(md, "| {} |", s.variant);
        for workload in WORKLOADS {
            match (
                overhead(medians, s.variant, workload.name),
                share(medians, s.variant, workload.name),
            ) {
                (Some(extra), Some(part)) => {
                    let _ = write!(md, " {extra:+.2} | {:.0}% |", part * 100.0);
                }
                _ => md.push_str(" - | - |"),
            }
        }
        md.push('\n');
    }
    md.push('\n');
    md
}

/// Overhead per filter as horizontal bars, one colour per workload.
pub fn svg(medians: &[Sample]) -> String {
    let variants: Vec<&str> = medians
        .iter()
        .filter(|s| s.workload == "matching" && s.variant != NONE)
        .map(|s| s.variant)
        .collect();
    let max = medians
        .iter()
        .filter_map(|s| overhead(medians, s.variant, s.workload))
        .fold(1.0_f64, f64::max);
    const COLOURS: [&str; 3] = ["#4c78a8", "#f58518", "#54a24b"];
    let (left, width, row) = (230.0, 420.0, 64.0);
    let height = 50.0 + row * variants.len() as f64;
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="720" height="{height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" font-weight="bold">Envoy CPU per request above no filter (µs, median)</text>
"##
    );
    for (j, (workload, colour)) in WORKLOADS.iter().zip(COLOURS).enumerate() {
        let x = 420.0 + 95.0 * j as f64;
        let _ = writeln!(
            svg,
            r##"<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/><text x="{}" y="19">{}</text>"##,
            x + 16.0,
            workload.name
        );
    }
    for (i, variant) in variants.iter().enumerate() {
        let y = 40.0 + row * i as f64;
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{variant}</text>"#,
            left - 8.0,
            y + 20.0
        );
        for (j, (workload, colour)) in WORKLOADS.iter().zip(COLOURS).enumerate() {
            let value = overhead(medians, variant, workload.name)
                .unwrap_or(0.0)
                .max(0.0);
            let w = width * value / max;
            let by = y + 4.0 + 18.0 * j as f64;
            let _ = writeln!(
                svg,
                r##"<rect x="{left}" y="{by}" width="{w:.1}" height="16" fill="{colour}"/><text x="{:.1}" y="{:.1}">{value:.2}</text>"##,
                left + w + 4.0,
                by + 12.5
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}
