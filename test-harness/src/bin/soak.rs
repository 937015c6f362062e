//! The soak: a sustained mixed load through Envoy with sni-guard (see `src/load/soak/`). Prints
//! the report; exits 1 if anything was not as expected.
//!
//!   test-harness/soak.sh [--requests 500000] [--waves 10]

use clap::Parser;
use sni_guard_harness::Result;
use sni_guard_harness::load::h2load::count;
use sni_guard_harness::load::soak::{self, Options};

/// A sustained mixed load through Envoy with sni-guard strict and topology (a)'s servers
/// table; exits 1 on any problem.
#[derive(Parser)]
#[command(name = "soak")]
struct Args {
    /// At least this many requests in all (`500_000` and `500,000` are read as 500000).
    #[arg(long, default_value = "500000", value_parser = count::<u64>)]
    requests: u64,
    /// Waves of every kind at once; the first is the warm-up.
    #[arg(long, default_value = "10", value_parser = count::<u32>)]
    waves: u32,
}

fn main() {
    let args = Args::parse();
    match run(Options {
        requests: args.requests,
        waves: args.waves,
    }) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::exit(1);
        }
    }
}

fn run(options: Options) -> Result<bool> {
    eprintln!(
        "soak: at least {} requests in {} waves of {} kinds at once",
        options.requests,
        options.waves,
        soak::KINDS.len()
    );
    let report = soak::run(options, |wave, rss_kib| {
        eprintln!(
            "wave {wave}/{}: Envoy RSS {:.1} MiB",
            options.waves,
            rss_kib as f64 / 1024.0
        );
    })?;
    println!("{report}");
    Ok(report.problems.is_empty())
}
