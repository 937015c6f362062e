//! The benchmark: no filter, do-nothing proxy-wasm filters, the Lua workaround and sni-guard
//! side by side in the real Envoy. Writes `docs/benchmark.md` and `docs/benchmark.svg`
//! (or `--out DIR`) and prints the sni-guard / Lua overhead ratio last.
//!
//!   test-harness/bench.sh [--rounds 5] [--requests 100000] [--warmup 5000] [--out docs]
//!                         [--module NAME=PATH.wasm]...   (more modules, no configuration)

use sni_guard_harness::args;
use sni_guard_harness::bench::{self, Load};
use sni_guard_harness::bench_report::{self, Setup};
use sni_guard_harness::error::fail;
use sni_guard_harness::Filter;
use sni_guard_harness::{paths, Result, DEFAULT_VERSION};
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
                extra.push(bench::Variant {
                    name,
                    filter: Filter::Module(PathBuf::from(path)),
                });
            }
            _ => {
                return Err(fail(format!(
                    "unknown flag {flag} (--rounds, --requests, --warmup, --out)"
                )))
            }
        }
    }
    let mut variants = bench::variants()?;
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
        envoy: DEFAULT_VERSION.to_string(),
        cpu: cpu_model(),
        module_bytes: std::fs::metadata(paths::module()?)?.len(),
    };
    std::fs::create_dir_all(&out)?;
    let md = bench_report::markdown(&setup, &medians);
    std::fs::write(out.join("benchmark.md"), &md)?;
    std::fs::write(out.join("benchmark.svg"), bench_report::svg(&medians))?;
    println!("{md}");
    println!("wrote {}", out.join("benchmark.md").display());
    for (what, ratio) in bench_report::ratios(&medians) {
        println!("sni-guard / Lua overhead ratio ({what}): {ratio:.2}");
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
