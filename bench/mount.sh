#!/usr/bin/env bash
# The mount figures (issue 4, DESIGN.md §7): dfsmount against gocryptfs,
# cryfs, bindfs and the raw disk, in one run, on one disk.
#
#   bench/mount.sh [SIZE_MIB] [NFILES]     (default 1024 and 2000; run as root)
#
# For each filesystem in turn (raw = a plain directory; bindfs of a plain
# directory = FUSE with no crypto; gocryptfs; cryfs with aes-256-gcm;
# dfsmount on a lone peer), every backing directory on the same disk (a
# work directory under $DFS_BENCH_DIR, default /var/tmp):
#   write   dd if=FILE of=MNT/f bs=1M conv=fsync   FILE: SIZE_MIB MiB of random
#           data, in page cache (so neither /dev/urandom nor the source disk
#           is measured)
#   read    dd if=MNT/f of=/dev/null bs=1M          after an unmount, a drop of
#           the kernel's caches and a fresh mount: every filesystem, dfsmount's
#           own in-memory read cache included, starts cold
#   small   dfs-bench-small-files MNT/small NFILES  (bench/small_files.cpp): one
#           process creates NFILES files of 4 KiB (open, write, close each),
#           drops the kernel's caches (untimed), then reads them all back;
#           each phase timed. The target compares create + read.
# plus the peak RSS of dfsmount during the write (VmHWM of the process that
# mounted fresh for it, read right after the write), and every read's
# bytes are compared with FILE (cmp, untimed).
#
# Then the same write with replication: 3 `dfs node` peers on 127.0.0.2..4
# and dfsmount as a 4th peer on 127.0.0.1 (--listen, --bootstrap, a network
# key, R = 3): dd conv=fsync of FILE into the mount, which is cp followed by
# an fsync of the file in one process (dfs's fsync returns once the chunks
# are durable here and acknowledged by the replicas).
#
# gocryptfs, cryfs and bindfs are Debian packages; a missing one is installed
# with apt-get. If that fails its rows say "n/a" and the run goes on.
# Filesystems run in sequence (raw, bindfs, gocryptfs, cryfs, dfs), repeated
# DFS_BENCH_ROUNDS times (default 1), interleaved; the best of each figure is
# kept. It prints a table with the issue's targets marked PASS or MISS and
# one `mount ...` line of key=value pairs. A MISS is a figure, not a
# failure: the exit status is non-zero only if something broke.
# MB = 10^6 bytes throughout.
#
# Environment:
#   DFS_BENCH_DIR       where the work directory goes (default /var/tmp); it
#                       needs about 6 x SIZE_MIB MiB free
#   DFS_BUILD_DIR       build directory (default build): src/cli/dfs,
#                       src/cli/dfsmount, bench/dfs-bench-small-files
#   DFS_BIN, DFS_MOUNT_BIN, DFS_BENCH_SMALL_FILES  those binaries, one by one
#                       (e.g. to compare two builds of dfsmount)
#   DFS_BENCH_ROUNDS    rounds (default 1)
#   DFS_BENCH_MAX_LOAD  if set (e.g. 1.0), first wait up to 15 minutes for
#                       the 1-minute load average to fall below it
#   DFS_BENCH_PRIORITY=1  run in a session of its own at autogroup nice -19
#                       (and nice -19); the FUSE daemons inherit it
#   DFS_BENCH_PORT      the TCP port of the R = 3 peers (default: a free one)
#   DFS_BENCH_ONLY      a space-separated subset of "raw bindfs gocryptfs
#                       cryfs dfs r3" to run (default: all)
#   DFS_BENCH_READ_AHEAD_KB  if set (e.g. 1024), the kernel's read-ahead of
#                       every FUSE mount, in KiB (default: the kernel's, 128 KiB
#                       on a FUSE mount, so reads reach the daemons in 128 KiB
#                       requests); the raw disk keeps its own. dfsmount,
#                       run as root, raises its own mount's to 1 MiB by
#                       itself (dfsmount(8)); set 1024 here to give every FUSE
#                       mount the same
#   DFS_BENCH_KEEP=1    keep the work directory (logs, backing directories)
set -euo pipefail

bench=mount
# shellcheck source=bench/p2p_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/p2p_lib.sh"
p2p_priority "$@"

size_mib=${1:-1024}
nfiles=${2:-2000}
rounds=${DFS_BENCH_ROUNDS:-1}
if [[ $# -gt 2 || ! $size_mib =~ ^[1-9][0-9]*$ || ! $nfiles =~ ^[1-9][0-9]*$ || ! $rounds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SIZE_MIB] [NFILES]   (positive integers, default 1024 2000; run as root)" >&2
  echo "       DFS_BENCH_ROUNDS, if set, must be a positive integer" >&2
  exit 2
fi
p2p_require_root
p2p_find_dfs
p2p_find_mount_tools small-files

only=${DFS_BENCH_ONLY:-raw bindfs gocryptfs cryfs dfs r3}
wanted() { [[ " $only " == *" $1 "* ]]; }
declare -a systems=()
declare -A missing=()
for fs in raw bindfs gocryptfs cryfs dfs; do
  wanted "$fs" || continue
  if [[ $fs == bindfs || $fs == gocryptfs || $fs == cryfs ]] && ! p2p_install "$fs" "$fs"; then
    echo "   $fs: cannot install Debian's $fs package (apt-get failed); its figures are n/a, the others go on"
    missing[$fs]=1
    continue
  fi
  systems+=("$fs")
done

p2p_make_work $((size_mib * 6 + 512))
input=$work/input
cp "$dfsmount" "$work/dfsmount"
dfsmount_source=$dfsmount
dfsmount=$work/dfsmount
echo "pass-for-the-benchmark-only" >"$work/password"
replicas=3
export CRYFS_NO_UPDATE_CHECK=true  # also for `cryfs --version`

# ---- the filesystems -----------------------------------------------------------
# shellcheck source=bench/mount_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/mount_lib.sh"

hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# timed NAME CMD...: runs CMD (stdout to $work/NAME.out, stderr to $log) and
# sets $secs to its wall time.
timed() {
  local name=$1 t0 t1
  shift
  log=$work/$name.err
  t0=$(now_ns)
  "$@" >"$work/$name.out" 2>"$log" || fail "$name failed: $*"
  t1=$(now_ns)
  secs=$(secs_between "$t0" "$t1")
}

declare -A rss_kib=()
run_fs() {
  local fs=$1 target small_out create_s read_s hwm
  target=$(target_of "$fs")
  setup_fs "$fs"

  mount_fs "$fs"
  before_write
  timed "$fs.write" dd if="$input" of="$target/f" bs=1M conv=fsync status=none
  printf '   %-10s write %8.3f s %7s MB/s' "$fs" "$secs" "$(mbps "$secs")"
  keep_best "$fs.write" "$(mbps "$secs")"
  if [[ $fs == dfs ]]; then
    hwm=$(hwm_kib "${mount_pid[dfs]}")
    printf '   dfsmount peak RSS %s MiB' "$(mib "$hwm")"
    if [[ -z ${rss_kib[write]:-} ]] || ((hwm > rss_kib[write])); then rss_kib[write]=$hwm; fi
  fi
  echo
  unmount_fs "$fs"

  drop_caches
  mount_fs "$fs"
  timed "$fs.read" dd if="$target/f" of=/dev/null bs=1M status=none
  printf '   %-10s read  %8.3f s %7s MB/s   (remounted, caches dropped)\n' "$fs" "$secs" "$(mbps "$secs")"
  keep_best "$fs.read" "$(mbps "$secs")"
  log=$work/$fs.err
  cmp -s "$input" "$target/f" || fail "$fs: the file read back differs from the one written"

  mkdir "$target/small"
  timed "$fs.small" "$small_files" "$target/small" "$nfiles" --drop-caches
  small_out=$(cat "$work/$fs.small.out")
  create_s=$(sed -n 's/.*create_s=\([0-9.]*\).*/\1/p' <<<"$small_out")
  read_s=$(sed -n 's/.*read_s=\([0-9.]*\).*/\1/p' <<<"$small_out")
  [[ -n $create_s && -n $read_s ]] || fail "$fs: dfs-bench-small-files printed no times: $small_out"
  printf '   %-10s %s small files: create %s s, read %s s (caches dropped between)\n' "$fs" "$nfiles" "$create_s" "$read_s"
  keep_least "$fs.create" "$create_s"
  keep_least "$fs.sread" "$read_s"
  keep_least "$fs.small" "$(awk -v a="$create_s" -v b="$read_s" 'BEGIN { printf "%.3f", a + b }')"
  if [[ $fs == dfs ]]; then
    hwm=$(hwm_kib "${mount_pid[dfs]}")
    if [[ -z ${rss_kib[read]:-} ]] || ((hwm > rss_kib[read])); then rss_kib[read]=$hwm; fi
  fi
  unmount_fs "$fs"
  retire "$work/$fs.back"
}

# Deleting thousands of files (cryfs's blocks, dfs's chunks, the small
# files) makes ext4 without a journal skip the freed inode numbers for about
# 30 s, and scanning past them makes every file creation slower: whichever
# filesystem ran after a deletion would pay for it. So backing directories
# are moved aside during a round and deleted between rounds, with a pause.
retire() { mkdir -p "$work/retired" && mv "$1" "$work/retired/$(basename "$1").$round"; }
clear_retired() {
  [[ -d $work/retired ]] || return 0
  rm -rf "$work/retired"
  sync
  echo "   (deleted the last round's files; waiting 35 s so that ext4 reuses their inodes again)"
  sleep 35
}

# The write with R = 3: dfsmount as peer 1 of 4 on loopback.
run_r3() {
  local mnt=$work/r3.mnt dir n hwm counts=""
  p2p_start_peer 2 "" --replicas "$replicas"
  p2p_start_peer 3 2 --replicas "$replicas"
  p2p_start_peer 4 2 --replicas "$replicas"
  dir=$(peer_dir 1)
  rm -rf "$dir"
  mkdir -p "$dir" "$mnt"
  p2p_spawn "$dir.log" "$dfsmount" -f --data "$dir" --listen "$(peer_addr 1)" --bootstrap "$(peer_addr 2)" \
    --network-key "$work/network.key" --replicas "$replicas" "$mnt"
  peer_pid[1]=$spawned
  p2p_mounted "$mnt" "$spawned" 60 "$dir.log"
  set_read_ahead "$mnt"
  for n in 1 2 3 4; do p2p_wait_known "$n" 3 || p2p_peer_fail "$n" "peer $n knows $(known_peers "$n") peers, not 3, after 20 s"; done
  before_write
  timed r3.write dd if="$input" of="$mnt/f" bs=1M conv=fsync status=none
  hwm=$(peer_hwm_kib 1)
  printf '   %-10s write %8.3f s %7s MB/s   dfsmount peak RSS %s MiB\n' "dfs R=3" "$secs" "$(mbps "$secs")" "$(mib "$hwm")"
  keep_best r3.write "$(mbps "$secs")"
  if [[ -z ${rss_kib[r3]:-} ]] || ((hwm > rss_kib[r3])); then rss_kib[r3]=$hwm; fi
  for n in 1 2 3 4; do counts+=" peer$n=$(store_chunks "$n")"; done
  echo "              chunk files in the stores:$counts"
  p2p_unmount "$mnt" "${peer_pid[1]}"
  p2p_stop_all
  rm -rf "$work"/peer?
}

echo "== dfs mount benchmark: $size_mib MiB, $nfiles files of 4 KiB, $rounds round(s)"
p2p_describe_machine
[[ -z ${DFS_BENCH_READ_AHEAD_KB:-} ]] || echo "   read-ahead of every FUSE mount: $DFS_BENCH_READ_AHEAD_KB KiB (DFS_BENCH_READ_AHEAD_KB)"
echo "   dfsmount $dfsmount_source (built $(date -r "$dfsmount_source" '+%F %T'); run from a copy)"
for fs in bindfs gocryptfs cryfs; do
  [[ -n ${missing[$fs]:-} ]] || ! wanted "$fs" || echo "   $fs: $("$fs" --version 2>&1 | head -n 1)"
done
wanted r3 && p2p_pick_port
p2p_wait_load

echo "== creating $size_mib MiB of random data"
dd if=/dev/urandom of="$input" bs=1M count="$size_mib" iflag=fullblock status=none || fail "cannot create $input"

for ((round = 1; round <= rounds; round++)); do
  clear_retired
  echo "== round $round of $rounds (load $(load))"
  for fs in "${systems[@]}"; do run_fs "$fs"; done
  if wanted r3; then run_r3; fi
done
load_end=$(load)
echo "   load average at end: $load_end"

# ---- report ----------------------------------------------------------------
get() { local v=${best[$1]:-${least[$1]:-}}; echo "${v:-n/a}"; }
ratio_or_na() { if [[ $1 == n/a || $2 == n/a ]]; then echo n/a; else ratio "$1" "$2"; fi; }
verdict_or_na() { if [[ $1 == n/a ]]; then echo n/a; else verdict "$@"; fi; }

echo
echo "== results: $size_mib MiB, $nfiles files, best of $rounds, $(nproc) cores, load $load_start -> $load_end (MB = 10^6 bytes)"
printf '   %-24s %10s %10s   %-30s\n' "" "write MB/s" "read MB/s" "$nfiles x 4 KiB: create + read s"
for fs in raw bindfs gocryptfs cryfs dfs; do
  wanted "$fs" || continue
  label=$fs
  [[ $fs == dfs ]] && label="dfsmount (lone peer)"
  [[ $fs == raw ]] && label="raw disk"
  printf '   %-24s %10s %10s   %s\n' "$label" "$(get "$fs.write")" "$(get "$fs.read")" \
    "$(if [[ $(get "$fs.small") == n/a ]]; then echo n/a; else echo "$(get "$fs.create") + $(get "$fs.sread") = $(get "$fs.small")"; fi)"
done
wanted r3 && printf '   %-24s %10s %10s\n' "dfsmount, R = 3, 4 peers" "$(get r3.write)" ""
echo

w_go=$(ratio_or_na "$(get dfs.write)" "$(get gocryptfs.write)")
r_go=$(ratio_or_na "$(get dfs.read)" "$(get gocryptfs.read)")
w_cry=$(ratio_or_na "$(get dfs.write)" "$(get cryfs.write)")
r_cry=$(ratio_or_na "$(get dfs.read)" "$(get cryfs.read)")
small_go=$(ratio_or_na "$(get dfs.small)" "$(get gocryptfs.small)")
rss_write=${rss_kib[write]:-}
target() { printf '   %-36s %10s   %-10s %s\n' "$@"; }
target "target" "measured" "goal" "result"
target "write: dfs / gocryptfs" "$w_go" ">= 1.2" "$(verdict_or_na "$w_go" 1.2 ">=")"
target "read: dfs / gocryptfs" "$r_go" ">= 1.0" "$(verdict_or_na "$r_go" 1.0 ">=")"
target "write: dfs / cryfs" "$w_cry" ">= 3" "$(verdict_or_na "$w_cry" 3 ">=")"
target "read: dfs / cryfs" "$r_cry" ">= 3" "$(verdict_or_na "$r_cry" 3 ">=")"
target "small files: dfs time / gocryptfs" "$small_go" "<= 1.5" "$(verdict_or_na "$small_go" 1.5 "<=")"
if [[ -n $rss_write ]]; then
  target "dfsmount peak RSS, $size_mib MiB write" "$(mib "$rss_write") MiB" "<= 100 MiB" "$(verdict "$rss_write" 102400 "<=")"
  echo "   (dfsmount peak RSS over the read and small files: $(mib "${rss_kib[read]:-0}") MiB;" \
    "with R = 3: $(if [[ -n ${rss_kib[r3]:-} ]]; then mib "${rss_kib[r3]}"; else echo n/a; fi) MiB)"
fi
if [[ -n ${best[r3.write]:-} && -n ${best[dfs.write]:-} ]]; then
  echo "   (write with R = 3 / lone peer: $(ratio "${best[r3.write]}" "${best[dfs.write]}"); no target)"
fi
echo
kv=""
for key in $(printf '%s\n' "${!best[@]}" "${!least[@]}" | sort); do
  kv+=" ${key//./_}=$(get "$key")"
done
echo "mount size_mib=$size_mib nfiles=$nfiles rounds=$rounds cores=$(nproc) load_start=${load_start%% *}" \
  "load_end=${load_end%% *}$kv dfs_gocryptfs_write=$w_go dfs_gocryptfs_read=$r_go dfs_cryfs_write=$w_cry" \
  "dfs_cryfs_read=$r_cry dfs_gocryptfs_small=$small_go dfsmount_write_hwm_kib=${rss_write:-n/a}" \
  "dfsmount_r3_hwm_kib=${rss_kib[r3]:-n/a}"
