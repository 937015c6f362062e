#!/usr/bin/env bash
# The soak (one command): a sustained mixed load through Envoy with sni-guard strict and the
# servers table (matching, coalesced and no-SNI requests over HTTP/2 and HTTP/1.1, in waves),
# then the report: statuses per kind, counters, Envoy's RSS, Wasm failures. Exits 1 on any
# problem. Arguments go to the soak binary:
#   test-harness/soak.sh [--requests 500000] [--waves 10]
set -euo pipefail
cd "$(dirname "$0")/.."
test-harness/setup.sh
cargo build --release --target wasm32-wasip1
exec cargo run -q --release -p sni-guard-harness --bin soak -- "$@"
