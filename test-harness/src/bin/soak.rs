//! The soak: a sustained mixed load through Envoy with sni-guard (see `soak.rs`). Prints
//! the report; exits 1 if anything was not as expected.
//!
//!   test-harness/soak.sh [--requests 500000] [--waves 10]

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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| fail(format!("{flag} needs a value")))?;
        let number = || {
            value
                .replace(['_', ','], "")
                .parse::<u64>()
                .map_err(|_| fail(format!("{flag}: not a number: {value}")))
        };
        match flag.as_str() {
            "--requests" => options.requests = number()?,
            "--waves" => {
                options.waves = u32::try_from(number()?)
                    .map_err(|_| fail(format!("--waves: too large: {value}")))?
            }
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
