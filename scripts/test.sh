#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test:
#   0. `meson install` into a DESTDIR: every file of the install is there and runs,
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
echo "== meson install into a DESTDIR"
destdir=$(mktemp -d)
DESTDIR=$destdir meson install -C build --no-rebuild --quiet >/dev/null
prefix=$(meson introspect build --buildoptions | python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
for file in bin/dfs bin/dfsmount sbin/mount.dfs share/man/man1/dfs.1 share/man/man8/dfsmount.8 \
    share/bash-completion/completions/dfs share/bash-completion/completions/dfsmount \
    lib/systemd/system/dfs-node@.service share/doc/dfs/examples/mnt-dfs.mount; do
  [ -e "$destdir$prefix/$file" ] || { echo "meson install left out $prefix/$file" >&2; exit 1; }
done
"$destdir$prefix/bin/dfs" --version >/dev/null
"$destdir$prefix/sbin/mount.dfs" --version >/dev/null  # the link resolves to dfsmount
grep -q "^ExecStart=$prefix/bin/dfs " "$destdir$prefix/lib/systemd/system/dfs-node@.service"
rm -rf "$destdir"

echo "== tests (unit + integration)"
meson test -C build --print-errorlogs

echo "== unit tests under ASan + UBSan"
scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbench=false
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C build-asan --suite unit --print-errorlogs

echo "== fuzz targets (${DFS_FUZZ_SECONDS:-5}s each)"
scripts/fuzz.sh "${DFS_FUZZ_SECONDS:-5}"
