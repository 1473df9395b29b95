#!/usr/bin/env bash
# dfs check's figure (issue 14): the time of `dfs check` on a file held by
# 4 peers, beside a `dfs get` of the same file at another peer (which reads
# and verifies every chunk), in one run; the same for a tree of FILES small
# files (`put -r`: packed per directory) in 30 directories; then one holder
# is killed and `dfs check --repair` places the chunks of both again.
#
#   bench/check.sh [SIZE_MIB [FILES]]   (default 1024 and 3000; run as root, Debian 12)
#
# 4 `dfs node` peers on 127.0.0.1..4, R = 3, repair rounds off (an hour),
# so that only dfs check repairs. Prints seconds, chunks per second, the
# CPU-seconds of all peers, and check/get. Environment as bench/p2p.sh
# (DFS_BENCH_DIR, DFS_BUILD_DIR, DFS_BENCH_KEEP).
set -euo pipefail

bench=check
# shellcheck source=bench/p2p_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/p2p_lib.sh"
p2p_priority "$@"
size_mib=${1:-1024}
files=${2:-3000}
[[ $size_mib =~ ^[1-9][0-9]*$ && $files =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SIZE_MIB [FILES]]" >&2; exit 2; }
p2p_require_root
p2p_find_dfs
p2p_make_work $((size_mib * 5 + 256))
p2p_wait_load
input=$work/input

# timed NAME EXPECTED_STATUS CMD...: runs CMD, prints its time and the
# peers' CPU; sets $secs. EXPECTED_STATUS -1: any.
timed() {
  local name=$1 expected=$2 t0 t1 c0 c1 status=0
  shift 2
  c0=$(pids_cpu_ticks "${peer_pid[@]}")
  t0=$(now_ns)
  "$@" >"$work/$name.out" 2>"$work/$name.err" || status=$?
  t1=$(now_ns)
  c1=$(pids_cpu_ticks "${peer_pid[@]}")
  ((expected < 0 || status == expected)) || { log=$work/$name.err; fail "$name exited $status, not $expected: $*"; }
  secs=$(secs_between "$t0" "$t1")
  printf '   %-28s %8.3f s  %6.2f CPU-s (all peers)  %s\n' "$name" "$secs" \
    "$(awk -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", c / hz }')" \
    "$(head -n 1 "$work/$name.out" | cut -c1-60)"
}

echo "== dfs check: $size_mib MiB, 4 peers, R = 3 (load $(load))"
p2p_pick_port
dd if=/dev/urandom of="$input" bs=1M count="$size_mib" iflag=fullblock status=none
for n in 1 2 3 4; do
  if ((n == 1)); then
    p2p_start_peer 1 "" --replicas 3 --repair-interval 3600
  else
    p2p_start_peer "$n" 1 --replicas 3 --repair-interval 3600
  fi
done
for n in 1 2 3 4; do p2p_wait_known "$n" 3 || p2p_peer_fail "$n" "peer $n does not know 3 peers"; done
id=$(dfs_at 1 put "$input" | head -n 1)
chunks=$((size_mib + 1))

timed "dfs check (peer 1)" 0 dfs_at 1 check "$id"
check_secs=$secs
timed "dfs where (peer 1)" 0 dfs_at 1 where "$id"
timed "dfs get (peer 4)" 0 dfs_at 4 get "$id" -o /dev/null
get_secs=$secs

echo "== a tree of $files files of 1 byte to 8 KiB in 30 directories"
tree=$work/tree
for ((i = 0; i < files; i++)); do
  ((i % (files / 30 + 1) == 0)) && mkdir -p "$tree/d$((i / (files / 30 + 1)))"
  head -c $((RANDOM % 8192 + 1)) /dev/urandom >"$tree/d$((i / (files / 30 + 1)))/f$i"
done
tree_id=$(dfs_at 1 put -r "$tree" | head -n 1)
timed "dfs check of the tree" 0 dfs_at 1 check "$tree_id"
tree_check_secs=$secs
tree_chunks=$(sed -nE 's/.*ok: all ([0-9]+) chunks.*/\1/p' "$work/dfs check of the tree.out")
timed "dfs where of the tree" 0 dfs_at 1 where "$tree_id"
timed "dfs get of the tree (peer 4)" 0 dfs_at 4 get "$tree_id" -o "$work/tree-copy"
tree_get_secs=$secs

# The peer other than 1 whose store holds the most chunks.
victim=$(for n in 2 3 4; do echo "$(find "$(peer_dir "$n")/store" -type f -name '[0-9a-f]*' | wc -l) $n"; done |
  sort -rn | head -n 1 | cut -d' ' -f2)
p2p_stop_pid "${peer_pid[$victim]}"
unset "peer_pid[$victim]"
timed "dfs check, peer $victim dead" 1 dfs_at 1 check "$id"
timed "dfs check --repair" 0 dfs_at 1 check --repair "$id"
timed "dfs check after repair" 0 dfs_at 1 check "$id"
timed "dfs check of the tree, dead" -1 dfs_at 1 check "$tree_id"
timed "dfs check --repair of the tree" 0 dfs_at 1 check --repair "$tree_id"

echo "== figures ($chunks chunks; load at end $(load))"
awk -v c="$check_secs" -v g="$get_secs" -v n="$chunks" 'BEGIN {
  printf "   dfs check: %.2f s, %.0f chunks/s; dfs get of the same file: %.2f s; check/get %.3f\n", c, n / c, g, c / g }'
awk -v c="$tree_check_secs" -v g="$tree_get_secs" -v n="$tree_chunks" -v f="$files" 'BEGIN {
  printf "   tree of %d files, %d chunks: dfs check %.2f s, %.0f files/s; dfs get of the tree: %.2f s; check/get %.3f\n",
    f, n, c, f / c, g, c / g }'
