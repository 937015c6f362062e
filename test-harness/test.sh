#!/usr/bin/env bash
# The test command: sets up a fresh machine, builds the module, lints, and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
test-harness/setup.sh
cargo build --release --target wasm32-wasip1
# the native build: target/release/libsni_guard_native.so (an Envoy dynamic module)
cargo build --release -p sni-guard-native
# the benchmark's reference modules (tests/bench.rs runs one small round)
cargo build --release --target wasm32-wasip1 -p sni-guard-bench-noop-abi -p sni-guard-bench-noop-sdk -p sni-guard-bench-reads-abi
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --release --target wasm32-wasip1 -- -D warnings
cargo test --workspace
# The real-Envoy suites again on the native build (the harness renders its dynamic-module filter
# wherever sni-guard runs; "oldest" is then the oldest Envoy its ABI loads in).
SNI_GUARD_BUILD=native cargo test -p sni-guard-harness \
  --test two_gateways --test conformance --test normalisation --test hostile --test refusals \
  --test log_only --test large_table --test soak --test browser --test browser_http3 \
  --test http3 --test http3_conformance --test http3_hostile --test http3_security \
  --test http3_soak --test security --test options --test demo
fuzz/run.sh 20
