#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian machine: the wasm32-wasip1
# target, Debian packages (Chromium and NSS tools for the browser test, h2load, and for the
# compose and OCI tests docker-compose, podman with runc, docker-registry and skopeo), and the
# pinned Envoy binaries. Idempotent. Arguments PROGRAM:PACKAGE add more Debian packages,
# installed the same way (callgrind.sh: valgrind:valgrind).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1; then
  rustup target add wasm32-wasip1
fi

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ]; }
need=()
for pair in chromium:chromium certutil:libnss3-tools docker-compose:docker-compose h2load:nghttp2-client \
  podman:podman runc:runc docker-registry:docker-registry skopeo:skopeo "$@"; do
  have "${pair%%:*}" || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # The package starts a registry on port 5000 where systemd runs; the OCI test starts its own.
  if [[ " ${need[*]} " == *" docker-registry "* ]] && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
fi

for version in $(awk '!/^#/ && NF && !seen[$1]++ { print $1 }' "$here/envoy-versions"); do
  "$here/install-envoy.sh" "$version" >/dev/null
done
