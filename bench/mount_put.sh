#!/usr/bin/env bash
# The one version writer's figure (issue 13): a write through the mount
# beside `dfs put` of the same file, each on a fresh 4-peer loopback
# network with R = 3, in one run.
#
#   bench/mount_put.sh [SIZE_MIB]      (default 256; run as root, Debian 12)
#
# put:   4 `dfs node` peers on 127.0.0.1..4; `dfs put FILE` at peer 1.
# mount: `dfsmount` as peer 1 and 3 `dfs node` peers; `dd if=FILE
#        of=MNT/f bs=1M conv=fsync` (fsync returns once R copies are
#        acknowledged, as `dfs put` does).
# FILE is in the page cache for both. Prints MB/s, the CPU-seconds per GiB
# of all four peers (user + system) and mount/put. Environment as
# bench/p2p.sh (DFS_BENCH_DIR, DFS_BUILD_DIR, DFS_BENCH_KEEP).
set -euo pipefail

bench=mount_put
# shellcheck source=bench/p2p_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/p2p_lib.sh"
p2p_priority "$@"
size_mib=${1:-256}
[[ $size_mib =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [SIZE_MIB]" >&2; exit 2; }
p2p_require_root
p2p_find_dfs
dfsmount=$(dirname "$dfs")/dfsmount
p2p_make_work $((size_mib * 6 + 256))
input=$work/input

cpu_per_gib() { awk -v c="$1" -v hz="$(getconf CLK_TCK)" -v m="$size_mib" 'BEGIN { printf "%.2f", c / hz / (m / 1024) }'; }

# measure NAME PIDS -- CMD...: runs CMD, prints and sets $mb and $cpu.
measure() {
  local name=$1 pids=() t0 t1 c0 c1 secs
  shift
  while [[ $1 != -- ]]; do pids+=("$1"); shift; done
  shift
  c0=$(pids_cpu_ticks "${pids[@]}")
  t0=$(now_ns)
  "$@" >"$work/$name.out" 2>"$work/$name.err" || { log=$work/$name.err; fail "$name failed: $*"; }
  t1=$(now_ns)
  c1=$(pids_cpu_ticks "${pids[@]}")
  secs=$(secs_between "$t0" "$t1")
  mb=$(mbps "$secs")
  cpu=$(cpu_per_gib $((c1 - c0)))
  printf '   %-34s %8.3f s %7s MB/s  %6s CPU-s/GiB (4 peers)\n' "$name" "$secs" "$mb" "$cpu"
}

echo "== dfs mount vs put: $size_mib MiB, 4 peers, R = 3 (load $(load))"
p2p_pick_port
dd if=/dev/urandom of="$input" bs=1M count="$size_mib" iflag=fullblock status=none
cat "$input" >/dev/null

for n in 1 2 3 4; do
  if ((n == 1)); then p2p_start_peer 1 "" --replicas 3; else p2p_start_peer "$n" 1 --replicas 3; fi
done
for n in 1 2 3 4; do p2p_wait_known "$n" 3 || p2p_peer_fail "$n" "peer $n does not know 3 peers"; done
measure "dfs put (peer 1)" "${peer_pid[@]}" -- dfs_at 1 put "$input"
put_mb=$mb
p2p_stop_all

mnt=$work/mnt
mount_data=$(peer_dir 1)
rm -rf "${mount_data:?}"
mkdir -p "$mnt" "$mount_data"
p2p_spawn "$work/mount.log" "$dfsmount" -f --data "$mount_data" --listen "$(peer_addr 1)" \
  --network-key "$work/network.key" --replicas 3 "$mnt"
peer_pid[1]=$spawned
p2p_mounted "$mnt" "$spawned" 60 "$work/mount.log"
for n in 2 3 4; do p2p_start_peer "$n" 1 --replicas 3; done
for n in 2 3 4; do p2p_wait_known "$n" 3 || p2p_peer_fail "$n" "peer $n does not know 3 peers"; done
measure "dd bs=1M conv=fsync (mount)" "${peer_pid[@]}" -- dd if="$input" of="$mnt/f" bs=1M conv=fsync status=none
mount_mb=$mb
cmp -s "$input" "$mnt/f" || fail "the mount returned different bytes"
p2p_unmount "$mnt" "${peer_pid[1]}"
p2p_stop_all

echo "   mount / put: $(ratio "$mount_mb" "$put_mb") (target >= 0.95)   load $(load)"
