//! Writes the demo PKI: `ca.pem`, `server.pem` (leaf for `*.example.com`, `example.com` and
//! the conformance names) and `server-key.pem`.
//!
//!   cargo run -p sni-guard-harness --bin demo-certs [-- [--force] DIR]
//!
//! DIR defaults to `target/demo-certs` under the workspace root (what docker-compose
//! mounts). Existing files are kept, so a browser that trusts the CA keeps trusting it;
//! `--force` makes new ones.

use sni_guard_harness::demo;
use std::path::PathBuf;

fn main() {
    let mut force = false;
    let mut dir = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--force" => force = true,
            "-h" | "--help" => {
                println!("usage: demo-certs [--force] [DIR]   (default DIR: target/demo-certs)");
                return;
            }
            _ if dir.is_none() && !arg.starts_with('-') => dir = Some(PathBuf::from(arg)),
            _ => {
                eprintln!(
                    "demo-certs: unexpected argument {arg:?} (usage: demo-certs [--force] [DIR])"
                );
                std::process::exit(2);
            }
        }
    }
    let dir = dir.unwrap_or_else(demo::certs_dir);
    match demo::certs(&dir, force) {
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
