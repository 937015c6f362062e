//! Writes the demo PKI: `ca.pem`, `server.pem` (leaf for `*.example.com`, `example.com` and
//! the conformance names) and `server-key.pem`.
//!
//!   cargo run -p sni-guard-harness --bin demo-certs [-- [--force] DIR]
//!
//! DIR defaults to `target/demo-certs` under the workspace root (what docker-compose
//! mounts). Existing files are kept, so a browser that trusts the CA keeps trusting it;
//! `--force` makes new ones.

use clap::Parser;
use sni_guard_harness::demo;
use std::path::PathBuf;

/// Writes the demo CA and server certificate (kept if they exist, so a browser that trusts
/// the CA keeps trusting it).
#[derive(Parser)]
#[command(name = "demo-certs")]
struct Args {
    /// Make new files even if they exist.
    #[arg(long)]
    force: bool,
    /// The folder (default: target/demo-certs, what docker-compose mounts).
    dir: Option<PathBuf>,
}

fn main() {
    let args = Args::parse();
    let dir = args.dir.unwrap_or_else(demo::certs_dir);
    match demo::certs(&dir, args.force) {
        Ok((_, made)) => {
            let what = if made { "wrote" } else { "kept" };
            println!(
                "demo-certs: {what} ca.pem, server.pem, server-key.pem in {}",
                dir.display()
            );
        }
        Err(e) => {
            eprintln!("demo-certs: {e}");
            std::process::exit(1);
        }
    }
}
