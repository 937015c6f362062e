#!/usr/bin/env bash
# Envoy instructions per request under callgrind (valgrind): no filter and sni-guard, each
# workload of the benchmark, one run each; deterministic where timing is not. Another build
# of the module compares with --build LABEL=PATH.wasm. Slow: Envoy starts in about a minute
# under valgrind and serves a request in a few milliseconds.
#   test-harness/callgrind.sh [--requests 2000] [--warmup 200] [--build before=old.wasm]
set -euo pipefail
cd "$(dirname "$0")/.."
test-harness/setup.sh valgrind:valgrind
cargo build --release --target wasm32-wasip1
cargo build --release -p sni-guard-native
cargo build --release --target wasm32-wasip1 -p sni-guard-bench-noop-abi -p sni-guard-bench-noop-sdk -p sni-guard-bench-reads-abi
envoy="$(test-harness/install-envoy.sh)"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cat >"$dir/envoy" <<WRAP
#!/bin/sh
exec valgrind --tool=callgrind --smc-check=all-non-file --callgrind-out-file="$dir/callgrind.out.%p" "$envoy" "\$@"
WRAP
chmod +x "$dir/envoy"
export ENVOY_BIN="$dir/envoy" SNI_GUARD_CALLGRIND_DIR="$dir"
# The defaults unless given (bench refuses a flag given twice).
args=("$@")
[[ " $* " == *" --requests "* ]] || args+=(--requests 2000)
[[ " $* " == *" --warmup "* ]] || args+=(--warmup 200)
cargo run -q --release -p sni-guard-harness --bin bench -- --callgrind "${args[@]}"
