#!/usr/bin/env bash
# Directory IDs on the mount (issue 12): how long `dfs id DIR` takes for a
# tree of FILES small files on dfsmount (a lone peer), beside a walk of the
# same tree that stats every entry (`find DIR -printf '%s %T@'`, what any
# tool that checks a tree for changes pays) on the same mount and on the
# raw disk, in the same run.
#
#   bench/dir_id.sh [FILES]      (default 10000, in directories of 100; run as root)
#
#   first      dfs id of the tree just written: every directory sealed
#   unchanged  dfs id again, nothing changed (target <= 0.2 s); best of 5
#   one edit   dfs id after one file's content changed: the directories on
#              its path re-sealed, the rest cached; best of 3, a new edit each
#   find       the walk above, on the mount and on the raw disk; best of 3
# Prints the times, unchanged/find ratios and the load (uptime) at start and
# end. The mount is set up as bench/mount.sh does (bench/mount_lib.sh).
set -euo pipefail

bench=dir_id
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
# shellcheck source=bench/mount_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/mount_lib.sh"

echo "== dfs id of an unchanged $files-file tree on dfsmount vs a stat walk (find)"
p2p_describe_machine
p2p_wait_load

# The tree, made on the raw disk and copied in with tar: dirs of 100 files.
src=$work/raw.back/tree
mkdir -p "$src"
for ((i = 0; i < files; i++)); do
  ((i % 100 == 0)) && mkdir -p "$src/d$((i / 100))"
  echo "file $i" >"$src/d$((i / 100))/f$i"
done
setup_fs dfs
mount_fs dfs
tree=$work/dfs.mnt/tree
t0=$(now_ns)
tar cf - -C "$work/raw.back" tree | tar xf - -C "$work/dfs.mnt"
echo "   copy in (tar): $(secs_between "$t0" "$(now_ns)") s"

# timed NAME CMD...: runs CMD, keeps its time as the least of NAME.
timed() {
  local name=$1 t0 t1
  shift
  t0=$(now_ns)
  "$@" >"$work/$bench.out" 2>"$work/$bench.err" || { log=$work/$bench.err; fail "$name failed: $*"; }
  t1=$(now_ns)
  keep_least "$name" "$(secs_between "$t0" "$t1")"
}
walk() { find "$1" -printf '%s %T@\n' >/dev/null; }

timed first "$dfs" id "$tree"
id=$(cat "$work/$bench.out")
for ((r = 0; r < 5; r++)); do
  timed unchanged "$dfs" id "$tree"
  [[ $(cat "$work/$bench.out") == "$id" ]] || fail "the ID of the unchanged tree changed"
done
for ((r = 0; r < 3; r++)); do
  timed "find (mount)" walk "$tree"
  timed "find (raw)" walk "$src"
done
for ((r = 0; r < 3; r++)); do
  echo "edit $r" >>"$tree/d0/f0"
  timed "one edit" "$dfs" id "$tree"
done
unmount_fs dfs

for name in first unchanged "one edit" "find (mount)" "find (raw)"; do
  printf '   %-14s %8.3f s\n' "$name" "${least[$name]}"
done
echo "   unchanged dfs id: $(verdict "${least[unchanged]}" 0.2 "<=") (target <= 0.2 s)" \
  "  unchanged / find (mount): $(ratio "${least[unchanged]}" "${least["find (mount)"]}")" \
  "  unchanged / find (raw): $(ratio "${least[unchanged]}" "${least["find (raw)"]}")"
echo "   load at end: $(load)"
