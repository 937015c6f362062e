#!/usr/bin/env bash
# The demo: two Istio Gateways sharing one certificate in the real Envoy, and what a
# coalesced request gets without sni-guard (404 from the wrong Gateway), with it (421, then
# 200 on a new connection) and in log_only mode. Runs unattended; Envoy is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
test-harness/setup.sh
cargo build --release --target wasm32-wasip1
cargo run -q -p sni-guard-harness --bin demo-certs
exec cargo run -q -p sni-guard-harness --bin demo
