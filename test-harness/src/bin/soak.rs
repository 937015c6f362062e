//! The soak: a sustained mixed load through Envoy with sni-guard (see `soak.rs`). Prints
//! the report; exits 1 if anything was not as expected.
//!
//!   test-harness/soak.sh [--requests 500000] [--waves 10]

use sni_guard_harness::args;
use sni_guard_harness::error::fail;
use sni_guard_harness::soak::{self, Options};
use sni_guard_harness::Result;

fn main() {
    match run() {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::exit(1);
        }
    }
}

fn run() -> Result<bool> {
    let mut options = Options {
        requests: 500_000,
        waves: 10,
    };
    for (flag, value) in args::flag_values()? {
        match flag.as_str() {
            "--requests" => options.requests = args::number(&flag, &value)?,
            "--waves" => options.waves = args::number(&flag, &value)?,
            _ => return Err(fail(format!("unknown flag {flag} (--requests, --waves)"))),
        }
    }
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
