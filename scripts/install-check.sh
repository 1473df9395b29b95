#!/usr/bin/env bash
# A real install, as a new user on a fresh Debian 12 machine does it (run
# it there as root, or from a clone with the session's pristine root:
#   ../shared/tools/fresh-debian scripts/install-check.sh):
#   1. the packages (scripts/install-deps.sh) and a release build of the
#      programs (no tests), prefix /usr;
#   2. `meson install`; then that the binaries, mount.dfs, the man pages
#      (`man dfs`), the bash completion and the systemd units are where a
#      user looks, and the units pass `systemd-analyze verify` when systemd
#      is there (a container's root often has none);
#   3. an fstab line (`dfs`, `_netdev,nofail`) mounted with `mount`, a file
#      written and read back through it, unmounted.
# Prints the time from `meson install` to the working fstab mount. Changes
# the machine (/usr, /etc/fstab, /mnt/dfs-check): not for a workstation.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
echo "== release build of dfs and dfsmount (no tests)"
[ -f build-release/build.ninja ] ||
  meson setup build-release --buildtype=release --prefix=/usr -Dtests=false -Dbench=false >/dev/null
meson compile -C build-release >/dev/null

# man(1) is not in a minimal root: installed as a user would, before the
# clock starts.
command -v man >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends man-db >/dev/null
echo "== meson install"
start=$(date +%s%N)
meson install -C build-release --quiet >/dev/null
echo "== what meson install put where a user looks"
# check WHAT TEST...: runs TEST, prints "ok WHAT" or fails the script.
check() {
  local what=$1
  shift
  "$@" >/dev/null 2>&1 || { echo "   MISSING: $what ($*)" >&2; exit 1; }
  echo "   ok  $what"
}
check "dfs on PATH" dfs --version
check "dfsmount on PATH" dfsmount --version
check "mount.dfs, the mount(8) helper" test -x /usr/sbin/mount.dfs
check "man dfs" sh -c 'man -w dfs && MANPAGER=cat man dfs | grep -q "check \[--repair\]"'
check "man dfsmount" man -w dfsmount
check "bash completion of dfs" bash -c '. /usr/share/bash-completion/completions/dfs && complete -p dfs'
check "bash completion of dfsmount" test -f /usr/share/bash-completion/completions/dfsmount
check "dfs-node@.service" grep -q "ExecStart=/usr/bin/dfs" /usr/lib/systemd/system/dfs-node@.service
check "the mount unit example" test -f /usr/share/doc/dfs/examples/mnt-dfs.mount
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify /usr/lib/systemd/system/dfs-node@.service /usr/share/doc/dfs/examples/mnt-dfs.mount 2>&1 |
    grep -v "not executable\|Unit is bound to inactive" || true
  echo "   systemd-analyze verify: done"
else
  echo "   note: no systemd in this root; the unit files were not verified"
fi

echo "== an fstab mount"
mnt=/mnt/dfs-check
data=/var/lib/dfs/check
mkdir -p "$mnt"
line="$data $mnt dfs _netdev,nofail 0 0"
grep -qxF "$line" /etc/fstab || echo "$line" >>/etc/fstab
mount "$mnt"
echo "written through fstab's mount" >"$mnt/hello"
[ "$(cat "$mnt/hello")" = "written through fstab's mount" ]
id=$(dfs id "$mnt/hello")
end=$(date +%s%N)
dfs --data "$data" status | head -n 1
umount "$mnt"
sed -i "\\|^$data $mnt dfs |d" /etc/fstab
[ "$(dfs --data "$data" get "$id")" = "written through fstab's mount" ]
awk -v a="$start" -v b="$end" 'BEGIN { printf "== meson install to a working fstab mount: %.2f s\n", (b - a) / 1e9 }'
