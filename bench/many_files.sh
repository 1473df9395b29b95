#!/usr/bin/env bash
# Many small files in one directory (issue 13): what git checkouts, source
# trees and package installs do, through dfsmount beside gocryptfs in the
# same run.
#
#   bench/many_files.sh [NFILES] [BYTES]     (default 100000 100; root, Debian 12)
#
# On each filesystem, freshly mounted (dfsmount as a lone peer with its
# defaults), one process (bench/small_files.cpp) creates NFILES files of
# BYTES bytes in one directory (open O_CREAT|O_EXCL, one write, close),
# drops the kernel's caches, reads them all back (checking every byte) and
# unlinks them. Prints files/s of each phase, the create rate of each fifth
# of the files (does creating slow down as the directory grows?), the
# CPU-seconds of the filesystem's daemon, and the targets: create >= 1.0 x
# gocryptfs's files/s, and the last fifth's rate within 10% of the first.
# Environment as bench/mount.sh (DFS_BUILD_DIR, DFS_MOUNT_BIN,
# DFS_BENCH_SMALL_FILES, DFS_BENCH_DIR, DFS_BENCH_KEEP, DFS_BENCH_PRIORITY).
set -euo pipefail

bench=many_files
# shellcheck source=bench/p2p_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/p2p_lib.sh"
p2p_priority "$@"

nfiles=${1:-100000}
bytes=${2:-100}
if [[ $# -gt 2 || ! $nfiles =~ ^[1-9][0-9]*$ || ! $bytes =~ ^[1-9][0-9]*$ || nfiles -lt 5 ]]; then
  echo "usage: $0 [NFILES] [BYTES]   (NFILES >= 5, BYTES >= 1; default 100000 100; run as root)" >&2
  exit 2
fi
p2p_require_root
p2p_find_dfs
p2p_find_mount_tools small-files
p2p_install gocryptfs gocryptfs || { echo "$bench: cannot install Debian's gocryptfs package" >&2; exit 2; }

# Each file costs a few KiB of metadata on either filesystem.
p2p_make_work $((nfiles * (bytes + 8192) / 1048576 + 256))
echo "pass-for-the-benchmark-only" >"$work/password"
# shellcheck source=bench/mount_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/mount_lib.sh"

field() { sed -n "s/.*$1=\([0-9.,]*\).*/\1/p" <<<"$2"; }
rate() { awk -v n="$nfiles" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }
cpu_s() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'; }

echo "== $nfiles files of $bytes bytes in one directory: dfsmount (lone peer) vs gocryptfs (load $(load))"
declare -A create=() read_rate=() unlink_rate=() fifths=() cpu=()
for fs in gocryptfs dfs; do
  setup_fs "$fs"
  mount_fs "$fs"
  dir=$(target_of "$fs")/many
  mkdir "$dir"
  c0=$(pids_cpu_ticks "${mount_pid[$fs]}")
  log=$work/$fs.err
  out=$("$small_files" "$dir" "$nfiles" --size "$bytes" --drop-caches --unlink 2>"$log") ||
    fail "$fs: dfs-bench-small-files failed"
  c1=$(pids_cpu_ticks "${mount_pid[$fs]}")
  unmount_fs "$fs"
  create[$fs]=$(rate "$(field create_s "$out")")
  read_rate[$fs]=$(rate "$(field read_s "$out")")
  unlink_rate[$fs]=$(rate "$(field unlink_s "$out")")
  fifths[$fs]=$(field create_fifths "$out")
  cpu[$fs]=$(cpu_s $((c1 - c0)))
  printf '   %-10s create %7s files/s (fifths %s)  read %7s files/s  unlink %7s files/s  daemon CPU %s s\n' \
    "$fs" "${create[$fs]}" "${fifths[$fs]}" "${read_rate[$fs]}" "${unlink_rate[$fs]}" "${cpu[$fs]}"
done

first=${fifths[dfs]%%,*}
last=${fifths[dfs]##*,}
r_create=$(ratio "${create[dfs]}" "${create[gocryptfs]}")
r_fifth=$(ratio "$last" "$first")
echo
echo "== figures ($nfiles x $bytes bytes; load $(load))"
printf '   %-44s %8s %8s %s\n' "create: dfs files/s / gocryptfs" "$r_create" ">= 1.0" "$(verdict "$r_create" 1.0 ">=")"
printf '   %-44s %8s %8s %s\n' "create: dfs last fifth / first fifth" "$r_fifth" ">= 0.9" "$(verdict "$r_fifth" 0.9 ">=")"
printf '   %-44s %8s\n' "read: dfs files/s / gocryptfs" "$(ratio "${read_rate[dfs]}" "${read_rate[gocryptfs]}")"
printf '   %-44s %8s\n' "unlink: dfs files/s / gocryptfs" "$(ratio "${unlink_rate[dfs]}" "${unlink_rate[gocryptfs]}")"
printf '   %-44s %8s\n' "daemon CPU-s: dfs / gocryptfs" "$(ratio "${cpu[dfs]}" "${cpu[gocryptfs]}")"
echo "many_files nfiles=$nfiles bytes=$bytes dfs_create=${create[dfs]} gocryptfs_create=${create[gocryptfs]}" \
  "create_ratio=$r_create last_first_fifth=$r_fifth dfs_fifths=${fifths[dfs]} gocryptfs_fifths=${fifths[gocryptfs]}" \
  "dfs_read=${read_rate[dfs]} gocryptfs_read=${read_rate[gocryptfs]} dfs_unlink=${unlink_rate[dfs]}" \
  "gocryptfs_unlink=${unlink_rate[gocryptfs]} dfs_cpu_s=${cpu[dfs]} gocryptfs_cpu_s=${cpu[gocryptfs]}"
