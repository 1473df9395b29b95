#!/usr/bin/env bash
# Configures (once) and builds a build directory, with warnings as errors
# (development and CI; a plain `meson setup` leaves them warnings, so that
# every buildtype builds whatever the compiler). Quiet when all is well; on
# failure prints the end of the compiler's output.
#   scripts/build.sh [DIR [MESON SETUP OPTIONS...]]    default DIR: build
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" -Dwerror=true "$@" >"$log" 2>&1 || { tail -40 "$log"; echo "meson setup $dir failed" >&2; exit 1; }
fi
meson compile -C "$dir" >"$log" 2>&1 || { grep -E "error|FAILED" -A5 "$log" | head -60; echo "build of $dir failed" >&2; exit 1; }
