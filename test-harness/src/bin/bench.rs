//! The benchmark: no filter, do-nothing proxy-wasm filters, the Lua workaround and sni-guard
//! side by side in the real Envoy. Writes `docs/benchmark.md` (keeping its hand-written end)
//! and `docs/benchmark.svg` (or `--out DIR`) and prints the sni-guard / Lua overhead ratio
//! last.
//!
//!   test-harness/bench.sh [--rounds 5] [--requests 100000] [--warmup 5000] [--out docs]
//!                         [--module NAME=PATH.wasm]...   (more modules, no configuration)
//!                         [--build LABEL=PATH.wasm]...   (another sni-guard build, both tables)
//!   test-harness/callgrind.sh [--requests 2000] [--warmup 200] [--build LABEL=PATH.wasm]...
//!                         (instructions per request under callgrind, no timing)

use sni_guard_harness::args;
use sni_guard_harness::bench::{self, Load, Variant, WORKLOADS};
use sni_guard_harness::bench_callgrind;
use sni_guard_harness::bench_report::{self, Setup};
use sni_guard_harness::error::fail;
use sni_guard_harness::Filter;
use sni_guard_harness::{default_version, paths, Result};
use std::path::PathBuf;

fn main() {
    if let Err(e) = run() {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let mut rounds = 5;
    let mut load = Load {
        requests: 100_000,
        warmup: 5_000,
    };
    let mut out = paths::workspace_root().join("docs");
    let mut extra = Vec::new();
    let mut builds = Vec::new();
    let mut callgrind = false;
    for (flag, value) in args::flag_values()? {
        match flag.as_str() {
            "--rounds" => rounds = args::number(&flag, &value)?,
            "--requests" => load.requests = args::number(&flag, &value)?,
            "--warmup" => load.warmup = args::number(&flag, &value)?,
            "--out" => out = PathBuf::from(&value),
            "--module" => {
                let (name, path) = value
                    .split_once('=')
                    .ok_or_else(|| fail("--module takes NAME=PATH to a .wasm"))?;
                let name: &'static str = Box::leak(name.to_string().into_boxed_str());
                extra.push(Variant {
                    name,
                    filter: Filter::Module(PathBuf::from(path)),
                    module: None,
                });
            }
            "--build" => {
                let (label, path) = value
                    .split_once('=')
                    .ok_or_else(|| fail("--build takes LABEL=PATH to a sni-guard .wasm"))?;
                builds.push((label.to_string(), PathBuf::from(path)));
            }
            "--callgrind" => callgrind = value == "yes",
            _ => {
                return Err(fail(format!(
                    "unknown flag {flag} (--rounds, --requests, --warmup, --out, --module, --build)"
                )))
            }
        }
    }
    let mut variants = bench::variants()?;
    if callgrind {
        // The requests' cost, not the table's: no filter, and sni-guard of each build.
        variants.retain(|v| v.name == bench::NONE || v.name == bench::SNI_GUARD);
        for (label, path) in &builds {
            variants.push(bench::other_build(label, path)[0].clone());
        }
        return count(&variants, load);
    }
    for (label, path) in &builds {
        variants.extend(bench::other_build(label, path));
    }
    variants.extend(extra);
    eprintln!(
        "{rounds} rounds × {} workloads × {} filters, {} requests each",
        bench::WORKLOADS.len(),
        variants.len(),
        load.requests
    );
    let samples = bench::rounds(&variants, rounds, load, |round, s| {
        eprintln!(
            "round {round} {:>9} {:<26} {:>6.2} µs/request  {:>7.0} req/s  status {}",
            s.workload, s.variant, s.cpu_us, s.requests_per_second, s.status
        );
    })?;
    let medians = bench::medians(&samples, &variants);
    let setup = Setup {
        rounds,
        load,
        envoy: default_version().to_string(),
        cpu: cpu_model(),
        module_bytes: std::fs::metadata(paths::module()?)?.len(),
    };
    std::fs::create_dir_all(&out)?;
    let page = out.join("benchmark.md");
    let previous = std::fs::read_to_string(&page).ok();
    let md = bench_report::markdown(&setup, &medians);
    std::fs::write(&page, bench_report::with_kept(&md, previous.as_deref()))?;
    std::fs::write(out.join("benchmark.svg"), bench_report::svg(&medians))?;
    println!("{md}");
    println!("wrote {}", out.join("benchmark.md").display());
    for (what, ratio) in bench_report::ratios(&medians) {
        println!("sni-guard / Lua overhead ratio ({what}): {ratio:.2}");
    }
    Ok(())
}

/// Instructions per request for each variant and workload, one run each (the count does not
/// drift), printed as a table.
fn count(variants: &[Variant], load: Load) -> Result<()> {
    let backend = bench::backend()?;
    eprintln!(
        "callgrind: {} workloads × {} filters, {} requests each after {} of warm-up",
        WORKLOADS.len(),
        variants.len(),
        load.requests,
        load.warmup
    );
    let mut counts = Vec::new();
    for workload in WORKLOADS {
        for variant in variants {
            let c = bench_callgrind::count(variant, workload, load, Some(backend.port))?;
            eprintln!(
                "{:>9} {:<28} {:>10.0} instructions/request",
                c.workload, c.variant, c.per_request
            );
            counts.push(c);
        }
    }
    println!("| workload | filter | Envoy instructions per request |\n| --- | --- | --- |");
    for c in &counts {
        println!("| {} | {} | {:.0} |", c.workload, c.variant, c.per_request);
    }
    Ok(())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}
