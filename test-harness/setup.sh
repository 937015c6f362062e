#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian machine: the wasm32-wasip1
# target, Debian packages (Chromium and NSS tools for the browser test, docker-compose to
# validate the compose file, h2load), and the pinned Envoy binaries. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1; then
  rustup target add wasm32-wasip1
fi

need=()
for pair in chromium:chromium certutil:libnss3-tools docker-compose:docker-compose h2load:nghttp2-client; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

"$here/install-envoy.sh" 1.40.0 >/dev/null
"$here/install-envoy.sh" 1.36.4 >/dev/null
