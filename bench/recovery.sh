#!/usr/bin/env bash
# Namespace snapshots and recovery (issue 15), on a 4-peer loopback network
# (mount A and `dfs node` peers B, C, D, R = 3, one 127.0.0.x address each):
#
#   bench/recovery.sh [FILES]    (default 10000, in directories of 100 under
#                                 10 top directories; run as root)
#
#   snapshot, first     dfs snapshot of the tree just copied in: every
#                       directory sealed (time; bytes it added to A's store)
#   snapshot, one edit  dfs snapshot after one file 3 levels down changed:
#                       what the issue targets (proportional to the edit's
#                       depth, not to the tree); the same for an unchanged
#                       namespace
#   recover             A unmounted and its data directory deleted; the time
#                       from `dfsmount --recover KEY` on a fresh data
#                       directory to a listable mount (`ls -R` done), target
#                       <= 10 s at 10,000 files; beside it, in the same run,
#                       the time A took to copy the tree in (cp -a) and a
#                       raw-disk `ls -R` of the source
#   loss window         at the default --snapshot-interval (60 s): what a
#                       machine lost at the worst moment loses, computed
#                       from the interval and the measured snapshot time
# Prints the load (uptime) at start and end.
set -euo pipefail

bench=recovery
# shellcheck source=bench/p2p_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/p2p_lib.sh"
p2p_priority "$@"

files=${1:-10000}
if [[ $# -gt 1 || ! $files =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [FILES]   (a positive integer; run as root)" >&2
  exit 2
fi
p2p_require_root
p2p_find_dfs
p2p_find_mount_tools
p2p_make_work 512
cp "$dfsmount" "$work/dfsmount"
dfsmount=$work/dfsmount
p2p_pick_port

echo "== namespace snapshots and recovery: a $files-file tree, 4 peers on loopback"
p2p_describe_machine
p2p_wait_load

# The tree on the raw disk: top/dNN/fM, 100 files a directory.
src=$work/source/tree
for ((i = 0; i < files; i++)); do
  if ((i % 100 == 0)); then mkdir -p "$src/t$((i / 1000))/d$((i / 100))"; fi
  echo "file $i" >"$src/t$((i / 1000))/d$((i / 100))/f$i"
done

p2p_start_peer 2
p2p_start_peer 3 2
p2p_start_peer 4 2
"$dfs" --data "$(peer_dir 1)" recovery-key --export "$work/recovery.key" >/dev/null 2>&1
mnt_a=$work/a.mnt
mkdir -p "$mnt_a"
p2p_spawn "$work/a.log" "$dfsmount" -f --data "$(peer_dir 1)" --listen "$(peer_addr 1)" \
  --bootstrap "$(peer_addr 2)" --network-key "$work/network.key" --snapshot-interval 3600 "$mnt_a"
pid_a=$spawned
p2p_mounted "$mnt_a" "$pid_a" 60 "$work/a.log"
p2p_wait_known 1 3 || p2p_peer_fail 1 "mount A did not meet the 3 nodes"

stored() { "$dfs" --data "$(peer_dir 1)" status --json | sed 's/.*"bytes_stored":\([0-9]*\).*/\1/'; }
# snap NAME: dfs snapshot at A, timed; prints the seconds and the bytes it
# added to A's store.
snap() {
  local before t0 t1 after
  before=$(stored)
  t0=$(now_ns)
  log=$work/snapshot.err
  "$dfs" --data "$(peer_dir 1)" snapshot >/dev/null 2>"$log" || fail "dfs snapshot failed"
  t1=$(now_ns)
  after=$(stored)
  printf '   %-22s %8s s  %10s bytes sealed\n' "$1" "$(secs_between "$t0" "$t1")" "$((after - before))"
  snap_secs=$(secs_between "$t0" "$t1")
}

t0=$(now_ns)
cp -a "$src" "$mnt_a/tree"
copy_secs=$(secs_between "$t0" "$(now_ns)")
echo "   copy in (cp -a):       $copy_secs s"
snap "snapshot, first"
first_secs=$snap_secs
for round in 1 2 3; do
  echo "edit $round" >>"$mnt_a/tree/t0/d0/f0"
  echo "edit $round" >>"$src/t0/d0/f0"  # the source follows, for the diff at the end
  snap "snapshot, one edit ($round)"
done
snap "snapshot, unchanged"

# The machine is lost: a clean unmount first (its replication queue drains
# and its last snapshot is published), then its data directory goes.
p2p_unmount "$mnt_a" "$pid_a"
# What A's placement met, from its log ($work/a.log): puts the
# peers refused (busy: beyond their rate limit), chunks left with no copy
# on another peer after their placement, snapshots held back because some
# chunk had none.
count() { grep -c -- "$1" "$work/a.log" || true; }
echo "   A's log: $(count 'not stored by') puts refused ($(count 'busy') lines say busy)," \
  "$(count 'could not replicate chunk') placements with no copy on another peer," \
  "$(count 'snapshot not published') snapshots held back"
rm -rf "$(peer_dir 1)"

mnt_e=$work/e.mnt
mkdir -p "$mnt_e" "$(peer_dir 5)"
t0=$(now_ns)
p2p_spawn "$work/e.log" "$dfsmount" -f --data "$(peer_dir 5)" --listen "$(peer_addr 5)" \
  --bootstrap "$(peer_addr 2)" --network-key "$work/network.key" --recover "$work/recovery.key" "$mnt_e"
pid_e=$spawned
p2p_mounted "$mnt_e" "$pid_e" 120 "$work/e.log"
listed=$(ls -R "$mnt_e" | grep -c '^f' || true)
recover_secs=$(secs_between "$t0" "$(now_ns)")
t0=$(now_ns)
ls -R "$src" >/dev/null
raw_ls=$(secs_between "$t0" "$(now_ns)")
echo "   recover to a listable mount: $recover_secs s ($listed files listed; target <= 10 s at 10,000:" \
  "$(verdict "$recover_secs" 10 "<=")); raw ls -R: $raw_ls s; A's cp -a in: $copy_secs s" \
  "(recover/copy $(ratio "$recover_secs" "$copy_secs"))"
((listed == files)) || { log=$work/e.log; fail "the recovered mount lists $listed files of $files"; }
diff -r "$src" "$mnt_e/tree" >/dev/null || { log=$work/e.log; fail "the recovered tree differs from the source"; }
echo "   recovered tree: identical to the source (diff -r)"
awk -v s="$first_secs" 'BEGIN { printf "   loss window at the default interval: at most 60 s + the time a snapshot takes (first: %s s), plus files still open\n", s }'
echo "   load average at end: $(load)"
