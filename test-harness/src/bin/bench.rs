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

use clap::Parser;
use sni_guard_harness::Filter;
use sni_guard_harness::bench::callgrind;
use sni_guard_harness::bench::report::{self, Setup};
use sni_guard_harness::bench::{self, Load, Variant, WORKLOADS};
use sni_guard_harness::load::h2load::count;
use sni_guard_harness::{Result, default_version, paths};
use std::path::PathBuf;

/// Envoy CPU per request with no filter, do-nothing proxy-wasm filters, the Lua workaround
/// and sni-guard, in interleaved rounds; writes the benchmark page and chart.
#[derive(Parser)]
#[command(name = "bench")]
struct Args {
    /// Rounds; each figure is the median over them.
    #[arg(long, default_value = "5", value_parser = count::<usize>)]
    rounds: usize,
    /// Requests per run (`100_000` and `100,000` are read as 100000).
    #[arg(long, default_value = "100000", value_parser = count::<u32>)]
    requests: u32,
    /// Requests before each measured run.
    #[arg(long, default_value = "5000", value_parser = count::<u32>)]
    warmup: u32,
    /// Where benchmark.md and benchmark.svg go (default: docs/ at the workspace root).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Another proxy-wasm module in sni-guard's place, without configuration.
    #[arg(long = "module", value_name = "NAME=PATH.wasm", value_parser = labelled)]
    modules: Vec<(String, PathBuf)>,
    /// Another sni-guard build beside this one, in both tables.
    #[arg(long = "build", value_name = "LABEL=PATH.wasm", value_parser = labelled)]
    builds: Vec<(String, PathBuf)>,
    /// Instructions per request under callgrind instead of CPU time (set by callgrind.sh,
    /// which runs Envoy under valgrind).
    #[arg(long)]
    callgrind: bool,
}

/// `NAME=PATH` of `--module` and `--build`.
fn labelled(text: &str) -> std::result::Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((label, path)) if !label.is_empty() && !path.is_empty() => {
            Ok((label.to_string(), PathBuf::from(path)))
        }
        _ => Err(format!("{text:?}: expected LABEL=PATH to a .wasm")),
    }
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("bench: {e}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<()> {
    let (rounds, builds) = (args.rounds, &args.builds);
    let load = Load {
        requests: args.requests,
        warmup: args.warmup,
    };
    let out = args
        .out
        .unwrap_or_else(|| paths::workspace_root().join("docs"));
    let extra = args.modules.into_iter().map(|(name, path)| Variant {
        name: Box::leak(name.into_boxed_str()),
        filter: Filter::Module(path),
        module: None,
        edit: None,
    });
    let mut variants = bench::variants()?;
    if args.callgrind {
        // The requests' cost, not the table's: no filter, the Lua workaround, sni-guard of
        // each build (the native one too).
        let counted = [bench::NONE, bench::LUA, bench::SNI_GUARD, bench::NATIVE];
        variants.retain(|v| counted.contains(&v.name));
        for (label, path) in builds {
            variants.push(bench::other_build(label, path)[0].clone());
        }
        return instructions(&variants, load);
    }
    for (label, path) in builds {
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
    let md = report::markdown(&setup, &medians);
    std::fs::write(&page, report::with_kept(&md, previous.as_deref()))?;
    std::fs::write(out.join("benchmark.svg"), report::svg(&medians))?;
    println!("{md}");
    println!("wrote {}", out.join("benchmark.md").display());
    for (what, ratio) in report::ratios(&medians) {
        println!("sni-guard / Lua overhead ratio ({what}): {ratio:.2}");
    }
    Ok(())
}

/// Instructions per request for each variant and workload, one run each (the count does not
/// drift), printed as a table.
fn instructions(variants: &[Variant], load: Load) -> Result<()> {
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
            let c = callgrind::count(variant, workload, load, Some(backend.port))?;
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
