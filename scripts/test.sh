#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test:
#   1. all suites (unit + integration) on the normal build,
#   2. the unit suites again under AddressSanitizer + UndefinedBehaviorSanitizer,
#   3. every libFuzzer target built with clang and run briefly
#      (DFS_FUZZ_SECONDS per target, default 5; scripts/fuzz.sh runs longer).
# Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

echo "== build"
scripts/build.sh build
echo "== tests (unit + integration)"
meson test -C build --print-errorlogs

echo "== unit tests under ASan + UBSan"
scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbench=false
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C build-asan --suite unit --print-errorlogs

echo "== fuzz targets (${DFS_FUZZ_SECONDS:-5}s each)"
scripts/fuzz.sh "${DFS_FUZZ_SECONDS:-5}"
