#!/usr/bin/env bash
# Sharing a folder by one ID (issue 12): `dfs put -r` of a tree and a
# `dfs get` of its directory ID at another peer, beside the tar route
# (`tar c | dfs put -` and `dfs get | tar x`) on the same tree, network
# and run.
#
#   bench/tree.sh [TREE]        (default /usr/include; run as root, Debian 12)
#
# 4 `dfs node` peers on 127.0.0.1..4, R = 3. Puts run at peer 1, gets at
# peer 4 into a fresh directory. The tree is read once first so both routes
# find it in the page cache. Prints files/s, MB/s, the CPU-seconds per GiB
# of the four peers (user + system; the dfs and tar clients not counted),
# and dfs/tar time ratios (target <= 1.5). The gets write to a tmpfs
# (DFS_BENCH_OUT_DISK=1: to the disk; see below). Environment as
# bench/p2p.sh (DFS_BENCH_DIR, DFS_BUILD_DIR, DFS_BIN, DFS_BENCH_KEEP);
# DFS_BENCH_PERF_DIR: `perf record -g` of the four peers during each put
# (put_r, put_tar), there; the puts' times then include perf's cost.
set -euo pipefail

bench=tree
# shellcheck source=bench/p2p_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/p2p_lib.sh"
p2p_priority "$@"
tree=${1:-/usr/include}
[[ -d $tree ]] || { echo "usage: $0 [TREE]" >&2; exit 2; }
p2p_require_root
p2p_find_dfs
p2p_check_perf_dir

files=$(find "$tree" -type f | wc -l)
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
size_mib=$(awk -v b="$bytes" 'BEGIN { printf "%.3f", b / 1048576 }')
p2p_make_work $((bytes / 1048576 * 12 + 256))

cpu_per_gib() { awk -v c="$1" -v hz="$(getconf CLK_TCK)" -v m="$size_mib" 'BEGIN { printf "%.2f", c / hz / (m / 1024) }'; }
files_per_s() { awk -v s="$1" -v f="$files" 'BEGIN { printf "%.0f", f / s }'; }

# measure NAME -- CMD...: runs CMD (a shell line), prints and sets $secs.
measure() {
  local name=$1 t0 t1 c0 c1
  shift 2
  c0=$(pids_cpu_ticks "${peer_pid[@]}")
  t0=$(now_ns)
  bash -c "$1" >"$work/$bench-$name.out" 2>"$work/$bench-$name.err" || { log=$work/$bench-$name.err; fail "$name failed: $1"; }
  t1=$(now_ns)
  c1=$(pids_cpu_ticks "${peer_pid[@]}")
  secs=$(secs_between "$t0" "$t1")
  printf '   %-30s %8.3f s %7s files/s %7s MB/s %7s CPU-s/GiB (4 peers)\n' "$name" "$secs" "$(files_per_s "$secs")" \
    "$(mbps "$secs")" "$(cpu_per_gib $((c1 - c0)))"
}

echo "== dfs put -r / get of a tree vs tar: $tree, $files files, $size_mib MiB, 4 peers, R = 3 (load $(load))"
p2p_pick_port
# Through a pipe: GNU tar writing to /dev/null itself skips reading the
# files' contents, which left put -r (run first) to read them from disk and
# tar's route to find them cached.
tar cf - "$tree" 2>/dev/null | cat >/dev/null
for n in 1 2 3 4; do
  if ((n == 1)); then p2p_start_peer 1 "" --replicas 3; else p2p_start_peer "$n" 1 --replicas 3; fi
done
for n in 1 2 3 4; do p2p_wait_known "$n" 3 || p2p_peer_fail "$n" "peer $n does not know 3 peers"; done
d1=$(peer_dir 1) d4=$(peer_dir 4)
dfs_cmd="$dfs --quiet --data"

start_cpu_profile put_r
measure "dfs put -r (peer 1)" -- "$dfs_cmd $d1 put -r $tree"
put_r=$secs
stop_cpu_profile put_r
dir_id=$(cut -c1-108 "$work/$bench-dfs put -r (peer 1).out")
start_cpu_profile put_tar
measure "tar c | dfs put - (peer 1)" -- "tar cf - $tree 2>/dev/null | $dfs_cmd $d1 put -"
put_tar=$secs
stop_cpu_profile put_tar
tar_id=$(cut -c1-108 "$work/$bench-tar c | dfs put - (peer 1).out")

# Both gets write their trees to a tmpfs (DFS_BENCH_OUT_DISK=1: to the
# work directory's disk). On ext4 without a journal, as here, each inode
# created scans past every inode freed in the last 30 s (recently_deleted):
# back to back, making the 22,640 files took 5-17 s for either route,
# depending on how lately the run before had deleted its copies, so the
# disk's allocator, not dfs or tar, set both times.
out=$work/out
mkdir -p "$out"
if [[ ${DFS_BENCH_OUT_DISK:-} != 1 ]]; then
  mount -t tmpfs -o size=$(((bytes / 1048576 + 64) * 3))m dfs-bench-tree "$out"
  p2p_on_exit() { umount "$out"; }
fi
echo "   the gets write to $(df --output=fstype "$out" | tail -1) ($out)"
measure "dfs get DIRID -o (peer 4)" -- "$dfs_cmd $d4 get $dir_id -o $out/tree-copy"
get_r=$secs
mkdir -p "$out/tar-copy"
measure "dfs get ID | tar x (peer 4)" -- "$dfs_cmd $d4 get $tar_id -o - | tar xf - -C $out/tar-copy"
get_tar=$secs
diff -r --no-dereference "$tree" "$out/tree-copy" >/dev/null || fail "the tree came back different"
p2p_stop_all

echo "   put -r / tar put: $(ratio "$put_r" "$put_tar")   get / tar get: $(ratio "$get_r" "$get_tar")" \
  "(target <= 1.5)   load $(load)"
