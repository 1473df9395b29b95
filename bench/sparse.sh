#!/usr/bin/env bash
# Sparse files (issue 11): what a huge truncate and a sparse copy cost on
# dfsmount (a lone peer), beside gocryptfs in the same run, on one disk.
#
#   bench/sparse.sh [SPARSE_MIB] [DATA_MIB]     (default 1024 and 10; run as root)
#
#   truncate   `truncate -s 1T MNT/huge`, then `dd` of its first 1 GiB to
#              /dev/null: the time of each, whether the truncate succeeded
#              and how much the backing directory grew (du -s -B1:
#              allocated bytes, not apparent sizes)
#   sparse cp  `cp --sparse=always` of a SPARSE_MIB MiB file holding DATA_MIB
#              MiB of random data (1 MiB extents spread evenly, the rest
#              holes) from the page cache into the mount, then `sync -f`:
#              time, backing-directory growth, the FUSE daemon's CPU time
#              (user + system, all threads) per GiB of the file's size
# Prints one line per filesystem and a `sparse ...` key=value line with the
# ratios dfs / gocryptfs. The load (uptime) is printed with the figures.
# The filesystems are set up as bench/mount.sh does (bench/mount_lib.sh).
set -euo pipefail

bench=sparse
# shellcheck source=bench/p2p_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/p2p_lib.sh"
p2p_priority "$@"

sparse_mib=${1:-1024}
data_mib=${2:-10}
if [[ $# -gt 2 || ! $sparse_mib =~ ^[1-9][0-9]*$ || ! $data_mib =~ ^[1-9][0-9]*$ || $data_mib -gt $sparse_mib ]]; then
  echo "usage: $0 [SPARSE_MIB] [DATA_MIB]   (positive integers, DATA_MIB <= SPARSE_MIB; run as root)" >&2
  exit 2
fi
p2p_require_root
p2p_find_dfs
p2p_find_mount_tools
systems=(dfs)
if p2p_install gocryptfs gocryptfs; then systems=(gocryptfs dfs); else echo "   gocryptfs: cannot install it; its figures are n/a"; fi

p2p_make_work $((sparse_mib + 512))
cp "$dfsmount" "$work/dfsmount"
dfsmount=$work/dfsmount
echo "pass-for-the-benchmark-only" >"$work/password"
# shellcheck source=bench/mount_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/mount_lib.sh"

# The source: DATA_MIB extents of 1 MiB, evenly spread, holes between.
src=$work/source
truncate -s "${sparse_mib}M" "$src"
step=$((sparse_mib / data_mib))
for ((i = 0; i < data_mib; i++)); do
  dd if=/dev/urandom of="$src" bs=1M count=1 seek=$((i * step)) conv=notrunc status=none
done

grown() { echo $(($(du -s -B1 "$1" | cut -f1) - $2)); }
hz=$(getconf CLK_TCK)
cpu_per_gib() { awk -v t="$1" -v hz="$hz" -v m="$sparse_mib" 'BEGIN { printf "%.3f", t / hz / (m / 1024) }'; }

declare -A fig=()
for fs in "${systems[@]}"; do
  back=$work/$fs.back mnt=$work/$fs.mnt
  setup_fs "$fs"
  mount_fs "$fs"

  base=$(du -s -B1 "$back" | cut -f1)
  t0=$(now_ns)
  if truncate -s 1T "$mnt/huge" 2>"$work/$fs.truncate.err"; then fig[$fs.truncate_ok]=yes; else fig[$fs.truncate_ok]="no ($(tr -d '\n' <"$work/$fs.truncate.err" | sed 's/.*: //'))"; fi
  t1=$(now_ns)
  dd if="$mnt/huge" of=/dev/null bs=1M count=1024 status=none 2>/dev/null || true
  t2=$(now_ns)
  fig[$fs.truncate_s]=$(secs_between "$t0" "$t1")
  fig[$fs.read_s]=$(secs_between "$t1" "$t2")
  fig[$fs.truncate_grew]=$(grown "$back" "$base")
  rm -f "$mnt/huge"

  cat "$src" >/dev/null  # in the page cache: the source disk is not measured
  base=$(du -s -B1 "$back" | cut -f1)
  ticks=$(pids_cpu_ticks "${mount_pid[$fs]}")
  t0=$(now_ns)
  cp --sparse=always "$src" "$mnt/copy"
  sync -f "$mnt/copy"
  t1=$(now_ns)
  fig[$fs.cp_cpu]=$(cpu_per_gib $(($(pids_cpu_ticks "${mount_pid[$fs]}") - ticks)))
  fig[$fs.cp_s]=$(secs_between "$t0" "$t1")
  fig[$fs.cp_grew]=$(grown "$back" "$base")
  cmp "$src" "$mnt/copy" || fail "$fs: the copy differs from the source"
  unmount_fs "$fs"
  echo "   $fs: truncate -s 1T ${fig[$fs.truncate_s]} s (ok: ${fig[$fs.truncate_ok]}), +${fig[$fs.truncate_grew]} B;" \
    "read 1 GiB ${fig[$fs.read_s]} s; cp --sparse=always of ${sparse_mib} MiB (${data_mib} MiB data)" \
    "${fig[$fs.cp_s]} s, +${fig[$fs.cp_grew]} B, ${fig[$fs.cp_cpu]} CPU-s/GiB"
done
echo "   load: $(uptime)"
versus() { if [[ -n ${fig[gocryptfs.$1]:-} ]]; then ratio "${fig[dfs.$1]}" "${fig[gocryptfs.$1]}"; else echo n/a; fi; }
echo "sparse sparse_mib=$sparse_mib data_mib=$data_mib dfs_truncate_s=${fig[dfs.truncate_s]}" \
  "dfs_truncate_grew=${fig[dfs.truncate_grew]} dfs_read_s=${fig[dfs.read_s]} dfs_cp_s=${fig[dfs.cp_s]}" \
  "dfs_cp_grew=${fig[dfs.cp_grew]} dfs_cp_cpu_s_per_gib=${fig[dfs.cp_cpu]}" \
  "gocryptfs_truncate_s=${fig[gocryptfs.truncate_s]:-n/a} gocryptfs_read_s=${fig[gocryptfs.read_s]:-n/a}" \
  "gocryptfs_cp_s=${fig[gocryptfs.cp_s]:-n/a} gocryptfs_cp_cpu_s_per_gib=${fig[gocryptfs.cp_cpu]:-n/a}" \
  "truncate_time_ratio=$(versus truncate_s) read_time_ratio=$(versus read_s) cp_time_ratio=$(versus cp_s)" \
  "cp_cpu_ratio=$(versus cp_cpu)"
