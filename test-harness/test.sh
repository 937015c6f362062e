#!/usr/bin/env bash
# The test command: sets up a fresh machine, builds the module, lints, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
test-harness/setup.sh
cargo build --release --target wasm32-wasip1
# the benchmark's reference modules (tests/bench.rs runs one small round)
cargo build --release --target wasm32-wasip1 -p sni-guard-bench-noop-abi -p sni-guard-bench-noop-sdk -p sni-guard-bench-reads-abi
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --release --target wasm32-wasip1 -- -D warnings
cargo test --workspace
fuzz/run.sh 20
