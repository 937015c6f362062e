#!/usr/bin/env bash
# The benchmark (one command): Envoy CPU per request with no filter, do-nothing proxy-wasm
# filters, the Lua workaround and sni-guard (2 and 10,000 hosts), interleaved rounds.
# Writes docs/benchmark.md and docs/benchmark.svg. Arguments go to the bench binary:
#   test-harness/bench.sh [--rounds 5] [--requests 100000] [--warmup 5000] [--out docs]
set -euo pipefail
cd "$(dirname "$0")/.."
test-harness/setup.sh
cargo build --release --target wasm32-wasip1
cargo build --release -p sni-guard-native
cargo build --release --target wasm32-wasip1 -p sni-guard-bench-noop-abi -p sni-guard-bench-noop-sdk -p sni-guard-bench-reads-abi
exec cargo run -q --release -p sni-guard-harness --bin bench -- "$@"
