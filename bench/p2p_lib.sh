# shellcheck shell=bash disable=SC2154  # `bench` is set by the sourcing script
# Shared by the benchmark scripts (sourced, not run): the checks every
# benchmark makes, its work directory and cleanup, the life of the `dfs node`
# peers and FUSE mounts it starts (peers on 127.0.0.N, loopback only), and
# small helpers for figures (mbps, keep_best, ratio, verdict...).
#
# The sourcing script sets `bench` (its name, for messages) and calls, in
# order: p2p_priority "$@", p2p_require_root, p2p_find_dfs, p2p_make_work
# NEED_MIB, p2p_wait_load. Everything it starts goes through p2p_spawn or
# p2p_start_peer, so that the EXIT trap stops it; the work directory is
# removed on exit unless DFS_BENCH_KEEP=1.

p2p_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# With autogroup scheduling (the default on Debian) CPU time is shared
# between sessions first, so nice alone does not help: with
# DFS_BENCH_PRIORITY=1 the script re-runs itself as the leader of a new
# session whose weight it raises (as bench/foundation.sh does).
p2p_priority() {
  if [[ ${DFS_BENCH_PRIORITY:-} == 1 && -z ${DFS_BENCH_IN_SESSION:-} && $(id -u) -eq 0 ]]; then
    exec setsid --wait env DFS_BENCH_IN_SESSION=1 nice -n -19 "$0" "$@"
  fi
  if [[ -n ${DFS_BENCH_IN_SESSION:-} && -w /proc/self/autogroup ]]; then
    echo -19 >/proc/self/autogroup
  fi
}

p2p_require_root() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "$bench: run as root: dropping the page cache and installing packages need it" >&2
    exit 2
  fi
}

p2p_find_dfs() {
  p2p_build=${DFS_BUILD_DIR:-$p2p_root/build}
  dfs=${DFS_BIN:-$p2p_build/src/cli/dfs}
  if [[ ! -x $dfs ]]; then
    echo "$bench: $dfs not found; build it first: meson compile -C ${p2p_build#"$p2p_root"/}" >&2
    exit 2
  fi
}

# p2p_find_mount_tools [small-files]: after p2p_find_dfs, for the benchmarks
# that mount: sets $dfsmount (DFS_MOUNT_BIN overrides) and, when asked,
# $small_files (DFS_BENCH_SMALL_FILES), checks that they are built and that
# FUSE is usable here.
p2p_find_mount_tools() {
  dfsmount=${DFS_MOUNT_BIN:-$p2p_build/src/cli/dfsmount}
  local bins=("$dfsmount") bin
  if [[ ${1:-} == small-files ]]; then
    small_files=${DFS_BENCH_SMALL_FILES:-$p2p_build/bench/dfs-bench-small-files}
    bins+=("$small_files")
  fi
  for bin in "${bins[@]}"; do
    [[ -x $bin ]] || { echo "$bench: $bin not found; build it first: meson compile -C ${p2p_build#"$p2p_root"/}" >&2; exit 2; }
  done
  command -v fusermount3 >/dev/null || { echo "$bench: fusermount3 is missing (Debian: fuse3)" >&2; exit 2; }
  [[ -w /dev/fuse ]] || { echo "$bench: /dev/fuse is missing or not writable: cannot mount" >&2; exit 2; }
}

# p2p_install CMD PACKAGE: installs Debian's PACKAGE if CMD is missing.
p2p_install() {
  command -v "$1" >/dev/null && return 0
  echo "== $1 is missing; installing Debian's $2 package"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null 2>&1; } ||
    return 1
}

declare -a p2p_pids=()       # every background process started, in order
declare -a p2p_mounts=()     # FUSE mount points still mounted
declare -A peer_pid=()       # peer number -> pid of its `dfs node`
p2p_port=0                   # the TCP port every peer listens on (one IP each)

p2p_cleanup() {
  local status=$?
  trap - EXIT INT TERM
  p2p_unmount_all
  p2p_stop_all
  if declare -F p2p_on_exit >/dev/null; then p2p_on_exit || true; fi
  if [[ -n ${work:-} && -d $work ]]; then
    if [[ ${DFS_BENCH_KEEP:-} == 1 ]]; then
      echo "$bench: kept $work" >&2
    else
      rm -rf "$work"
    fi
  fi
  exit "$status"
}

# Makes the work directory under $DFS_BENCH_DIR (default /var/tmp) after
# checking that NEED_MIB MiB are free there, and installs the cleanup (it
# also calls p2p_on_exit if the script defines it). The dfs binary is
# copied there and run from the copy, so that a rebuild during the run
# (others may be compiling) cannot change it half-way.
p2p_make_work() {
  local need_kib=$(($1 * 1024)) base=${DFS_BENCH_DIR:-/var/tmp} free_kib
  free_kib=$(df -Pk "$base" | awk 'NR == 2 { print $4 }')
  if ((free_kib < need_kib)); then
    echo "$bench: $base has $((free_kib / 1024)) MiB free, the run needs about $1 MiB" >&2
    exit 2
  fi
  work=$(mktemp -d "$base/dfs-$bench.XXXXXX")
  log=$work/log
  trap p2p_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  (umask 077 && head -c 64 /dev/urandom >"$work/network.key")  # a node refuses a key others can read
  dfs_source=$dfs
  cp "$dfs" "$work/dfs"
  dfs=$work/dfs
}

fail() {
  echo "$bench: $*" >&2
  if [[ -s ${log:-} ]]; then
    echo "--- output of the failed command:" >&2
    tail -n 20 "$log" >&2
  fi
  exit 1
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

# With DFS_BENCH_MAX_LOAD set (e.g. 1.0), waits up to 15 minutes for the
# 1-minute load average to fall below it. Then prints the load.
p2p_wait_load() {
  if [[ -n ${DFS_BENCH_MAX_LOAD:-} ]]; then
    local waited
    for ((waited = 0; waited < 900; waited += 15)); do
      awk -v l="$(load)" -v m="$DFS_BENCH_MAX_LOAD" 'BEGIN { exit !(l + 0 < m + 0) }' && break
      ((waited % 120 == 0)) && echo "   waiting for the load ($(load)) to fall below $DFS_BENCH_MAX_LOAD"
      sleep 15
    done
  fi
  load_start=$(load)
  echo "   load average at start: $load_start"
  if [[ -n ${DFS_BENCH_IN_SESSION:-} ]]; then
    echo "   priority: own session, $(sed 's/.* nice /autogroup nice /' /proc/self/autogroup), nice $(nice)"
  fi
  if awk -v l="${load_start%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
    echo "   note: the machine is busy (1-minute load ${load_start%% *} on $(nproc) cores);" \
      "figures will be low and noisy; rerun when it is idle or with DFS_BENCH_PRIORITY=1"
  fi
}

drop_caches() {
  sync
  echo 3 >/proc/sys/vm/drop_caches
}

# Starts a write run from the same state every time: nothing dirty, no
# earlier output cached, and $input in memory, so that a write measures the
# write path only (not the disk holding the source).
before_write() {
  drop_caches
  cat "$input" >/dev/null
}

# A TCP port free on 127.0.0.1 and, as far as `ss` shows, on every
# address: the peers share it, one loopback address each. Also checks
# PORT+1 (iperf3) is free. DFS_BENCH_PORT overrides.
p2p_pick_port() {
  if [[ -n ${DFS_BENCH_PORT:-} ]]; then
    p2p_port=$DFS_BENCH_PORT
    return
  fi
  local used candidate
  used=$(ss -Htanu 2>/dev/null | awk '{ n = split($5, a, ":"); print a[n] }' | sort -u)
  for ((try = 0; try < 100; try++)); do
    candidate=$((30000 + RANDOM % 20000))
    if ! grep -qxE "$candidate|$((candidate + 1))" <<<"$used"; then
      p2p_port=$candidate
      return
    fi
  done
  fail "found no free TCP port"
}

# p2p_spawn LOGFILE CMD...: runs CMD in the background (stdout and stderr
# to LOGFILE), remembers its pid in $spawned and for cleanup.
p2p_spawn() {
  local logfile=$1
  shift
  "$@" >"$logfile" 2>&1 </dev/null &
  spawned=$!
  p2p_pids+=("$spawned")
}

# Stops a pid gently (TERM, up to 10 s), then with KILL; waits for it.
p2p_stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || true
}

# Stops every process started, all at once (TERM to each by its pid, then
# a wait for each), since a peer takes a second or more to shut down.
p2p_stop_all() {
  local pid
  for pid in "${p2p_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${p2p_pids[@]}"; do p2p_stop_pid "$pid"; done
  p2p_pids=()
  peer_pid=()
}

# CPU time (user + system, in clock ticks) the processes PIDS... have used
# so far, all threads; a figure the load of other work does not skew.
pids_cpu_ticks() {
  local pid sum=0 t
  for pid in "$@"; do
    t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
    sum=$((sum + t))
  done
  echo "$sum"
}

peer_dir() { echo "$work/peer$1"; }
peer_addr() { echo "127.0.0.$1:$p2p_port"; }
dfs_at() {
  local n=$1
  shift
  "$dfs" --data "$(peer_dir "$n")" "$@"
}

# p2p_start_peer N [BOOTSTRAP_PEER] [dfs node options...]: starts peer N on
# 127.0.0.N (its data directory fresh), in the test network (a network key,
# so that no stray peer joins, unless p2p_open_network is set), and waits
# until it listens.
p2p_start_peer() {
  local n=$1 boot=${2:-}
  shift $(($# >= 2 ? 2 : $#))
  local dir i
  dir=$(peer_dir "$n")
  rm -rf "$dir"
  mkdir -p "$dir"
  local args=(--data "$dir" node --listen "$(peer_addr "$n")" "$@")
  # p2p_open_network=1: no network key, any peer may connect (bench/hostile.sh)
  [[ -n ${p2p_open_network:-} ]] || args+=(--network-key "$work/network.key")
  [[ -n $boot ]] && args+=(--bootstrap "$(peer_addr "$boot")")
  p2p_spawn "$dir.log" "$dfs" "${args[@]}"
  peer_pid[$n]=$spawned
  for ((i = 0; i < 300; i++)); do
    grep -q "listening on" "$dir.log" 2>/dev/null && return 0
    kill -0 "$spawned" 2>/dev/null || { log=$dir.log; fail "peer $n exited before it listened"; }
    sleep 0.05
  done
  log=$dir.log
  fail "peer $n did not listen within 15 s"
}

known_peers() { dfs_at "$1" peers 2>/dev/null | grep -c . || true; }

# p2p_peer_fail N MESSAGE: fails, showing peer N's log and what
# `dfs peers` says there.
p2p_peer_fail() {
  local dir
  dir=$(peer_dir "$1")
  { echo "--- dfs peers at peer $1:"; dfs_at "$1" peers 2>&1 | tail -n 25 || true; } >>"$dir.log"
  log=$dir.log
  fail "$2"
}

# p2p_wait_known N COUNT [SECONDS]: waits until peer N knows COUNT peers;
# returns 1 (without failing) if it still knows fewer after SECONDS (20).
p2p_wait_known() {
  local n=$1 want=$2 limit=$((${3:-20} * 10)) i
  for ((i = 0; i < limit; i++)); do
    (($(known_peers "$n") >= want)) && return 0
    sleep 0.1
  done
  return 1
}

# Peak resident set of peer N so far, in KiB.
peer_hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/${peer_pid[$1]}/status" 2>/dev/null || echo 0; }

# Chunk files in peer N's store, and in its store and cache together.
store_chunks() { find "$(peer_dir "$1")/store/chunks" "$(peer_dir "$1")/held/chunks" -type f 2>/dev/null | wc -l; }
held_chunks() { find "$(peer_dir "$1")/store/chunks" "$(peer_dir "$1")/held/chunks" "$(peer_dir "$1")/cache/chunks" -type f 2>/dev/null | wc -l; }

now_ns() { date +%s%N; }
secs_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
# mbps SECONDS: MB/s (10^6 bytes) for $size_mib MiB in SECONDS.
mbps() { awk -v s="$1" -v m="$size_mib" 'BEGIN { printf "%.0f", m * 1048576 / s / 1e6 }'; }
# keep_best NAME VALUE: the largest VALUE seen for NAME (over rounds) in
# best[NAME]; keep_least NAME VALUE: the smallest, in least[NAME].
declare -A best least
keep_best() {
  if [[ -z ${best[$1]:-} ]] || awk -v a="$2" -v b="${best[$1]}" 'BEGIN { exit !(a > b) }'; then
    best[$1]=$2
  fi
}
keep_least() {
  if [[ -z ${least[$1]:-} ]] || awk -v a="$2" -v b="${least[$1]}" 'BEGIN { exit !(a < b) }'; then
    least[$1]=$2
  fi
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == ">=") ? v >= t : v <= t; print ok ? "PASS" : "MISS" }'; }

p2p_describe_machine() {
  echo "   work dir $work on $(findmnt -n -o SOURCE,FSTYPE -T "$work" | tr -s ' ' ' '), $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))"
  echo "   dfs ${dfs_source:-$dfs} ($(cd "$p2p_root" && git rev-parse --short HEAD 2>/dev/null || echo '?')," \
    "built $(date -r "${dfs_source:-$dfs}" '+%F %T'); run from a copy)"
}

# ---- FUSE mounts -------------------------------------------------------------
# p2p_mounted MNT PID SECONDS LOGFILE: waits until MNT is a mount point (the
# FUSE daemon PID, started with p2p_spawn in the foreground, mounted it) and
# remembers it for p2p_unmount_all. Fails if PID exits first or SECONDS pass.
p2p_mounted() {
  local mnt=$1 pid=$2 limit=$(($3 * 10)) i
  for ((i = 0; i < limit; i++)); do
    if mountpoint -q "$mnt"; then
      p2p_mounts+=("$mnt")
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { log=$4; fail "the daemon for $mnt exited before it mounted"; }
    sleep 0.1
  done
  log=$4
  fail "$mnt was not mounted within $3 s"
}

# p2p_unmount MNT [PID]: unmounts MNT (fusermount3 -u, retried while busy,
# lazily as a last resort) and waits up to 60 s for its daemon PID to exit
# (dfsmount commits open files first), then stops it.
p2p_unmount() {
  local mnt=$1 pid=${2:-} i m
  if mountpoint -q "$mnt"; then
    for ((i = 0; i < 50; i++)); do
      fusermount3 -u "$mnt" 2>/dev/null && break
      sleep 0.1
    done
    mountpoint -q "$mnt" && { fusermount3 -uz "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true; }
  fi
  local kept=()
  for m in "${p2p_mounts[@]}"; do [[ $m == "$mnt" ]] || kept+=("$m"); done
  p2p_mounts=("${kept[@]}")
  if [[ -n $pid ]]; then
    for ((i = 0; i < 600; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    p2p_stop_pid "$pid"
  fi
}

p2p_unmount_all() {
  local mnt
  for mnt in "${p2p_mounts[@]}"; do p2p_unmount "$mnt"; done
  p2p_mounts=()
}

# With DFS_BENCH_PERF_DIR set: checks that perf is there and makes the
# directory. start_cpu_profile NAME then records `perf record -g` of every
# running peer into DIR/NAME.perf.data until stop_cpu_profile NAME.
p2p_check_perf_dir() {
  [[ -n ${DFS_BENCH_PERF_DIR:-} ]] || return 0
  command -v perf >/dev/null || { echo "$bench: DFS_BENCH_PERF_DIR needs perf (Debian: linux-perf)" >&2; exit 2; }
  mkdir -p "$DFS_BENCH_PERF_DIR"
}
start_cpu_profile() {  # start_cpu_profile NAME: perf record -g of every peer
  [[ -n ${DFS_BENCH_PERF_DIR:-} ]] || return 0
  p2p_spawn "$DFS_BENCH_PERF_DIR/$1.perf.log" perf record -g -F 999 \
    -p "$(IFS=,; echo "${peer_pid[*]}")" -o "$DFS_BENCH_PERF_DIR/$1.perf.data"
  cpu_perf_pid=$spawned
}
stop_cpu_profile() {
  [[ -n ${DFS_BENCH_PERF_DIR:-} ]] || return 0
  kill -INT "$cpu_perf_pid" 2>/dev/null || true
  wait "$cpu_perf_pid" 2>/dev/null || true
  echo "   perf -g: $DFS_BENCH_PERF_DIR/$1.perf.data (peers: $(for n in $(printf '%s\n' "${!peer_pid[@]}" | sort -n); do
    printf 'peer%s=pid %s ' "$n" "${peer_pid[$n]}"; done))"
}
