#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo fuzz, libFuzzer) of the configuration parser and the verdict.
#   fuzz/run.sh [SECONDS]   per target; default 20 (the test command's short run)
# Installs cargo-fuzz if missing. Stable Rust: no sanitizer (the fuzzed code has no unsafe).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-20}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
for target in config verdict; do
  seeds=()
  [ -d "seeds/$target" ] && seeds=("seeds/$target")
  mkdir -p "corpus/$target"
  log="$(mktemp)"
  if ! cargo fuzz run --sanitizer none "$target" "corpus/$target" "${seeds[@]}" -- \
      -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $target FAILED (reproducer in fuzz/artifacts/$target/)"
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  echo "fuzz: $target: $runs executions in ${seconds}s, no failure"
  rm -f "$log"
done
