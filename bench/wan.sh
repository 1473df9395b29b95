#!/usr/bin/env bash
# bench/wan.sh: dfs across an emulated WAN (tests/netharness). Peers each in
# their own network namespace, joined by dfs-netharness; a file put at peer
# 0 is read at the last peer at several round-trip times, and each get's
# speed is printed as a ratio to the same get with no delay (target of
# issue 16: >= 0.5 at 80 ms) and to the bandwidth-delay bound (the no-delay
# speed, or the get's final window of 1 MiB chunks per round trip if
# less), with the reader's CPU-seconds per GiB. DHT lookups: a probe peer
# (dfs-bench-lookups) in the reader's namespace joins and times
# WAN_LOOKUPS (default 64) lookups of random keys after WAN_LOOKUP_WARMUP
# (16) that pool its connections; their median is printed in round trips
# against their hops (target: median <= hops + 1).
# First, the emulator's own forwarding speed (one TCP stream through it
# against loopback TCP in one namespace); and at each round trip, plain TCP
# through the same emulated links (as many streams at once as the reader
# has holders to fetch from, as iperf3 -P), as the get's baseline.
#
#   sudo bench/wan.sh              # 12 peers, 256 MiB, RTT 0 20 80 ms
#   WAN_MIB=64 WAN_RTTS="0 80" WAN_PEERS=6 sudo bench/wan.sh
# Needs a build with the tests (dfs-netharness is built with them).
set -euo pipefail
bench=wan
source "$(dirname "$0")/p2p_lib.sh"
p2p_priority "$@"
p2p_require_root
p2p_find_dfs
harness=${DFS_NETHARNESS_BIN:-$p2p_build/tests/netharness/dfs-netharness}
[[ -x $harness ]] || { echo "$bench: $harness not found (build with -Dtests=true)" >&2; exit 2; }
probe=${DFS_BENCH_LOOKUPS_BIN:-$p2p_build/bench/dfs-bench-lookups}
[[ -x $probe ]] || { echo "$bench: $probe not found (build with -Dbench=true)" >&2; exit 2; }
size_mib=${WAN_MIB:-256}
peers=${WAN_PEERS:-12}
rtts=${WAN_RTTS:-0 20 80}
p2p_make_work $((size_mib * 8 + 512))
p2p_wait_load
reader=$((peers - 1))
port=4001
ns_prefix=""
harness_pid=""
p2p_on_exit() { [[ -z $harness_pid ]] || { kill -TERM "$harness_pid" 2>/dev/null; wait "$harness_pid" 2>/dev/null; }; }

echo "== the emulator: one TCP stream of 1024 MiB (load $(load))"
"$harness" selftest --mbytes 1024 | sed 's/^/   /'

addr() { echo "10.201.0.$(($1 + 1)):$port"; }

# start_net RTT_MS: the harness and every peer, joined.
start_net() {
  local half i
  half=$(awk -v r="$1" 'BEGIN { print r / 2 }')
  rm -f "$work/harness.log"  # a fresh log: "ready" must be this run's
  p2p_spawn "$work/harness.log" "$harness" run --peers "$peers" --control "$work/h.sock" --delay-ms "$half"
  harness_pid=$spawned
  for ((i = 0; i < 600; i++)); do grep -q ready "$work/harness.log" 2>/dev/null && break; sleep 0.1; done
  ns_prefix=$(sed -n 's/.*ready prefix=\([^ ]*\).*/\1/p' "$work/harness.log")
  [[ -n $ns_prefix ]] || { log=$work/harness.log; fail "the harness did not start"; }
  [[ -n ${rmem_said:-} ]] || { rmem_said=1; sed -n "s/^dfs-netharness: namespaces' /   namespaces' /p" "$work/harness.log"; }
  for ((i = 0; i < peers; i++)); do
    rm -rf "$(peer_dir "$i")"
    mkdir -p "$(peer_dir "$i")"
    local args=(--data "$(peer_dir "$i")" node --listen "$(addr "$i")" --network-key "$work/network.key")
    ((i == 0)) || args+=(--bootstrap "$(addr 0)")
    ((i != reader)) || args=(--verbose "${args[@]}")  # its log gives the get's window
    p2p_spawn "$(peer_dir "$i").log" "$harness" exec "$ns_prefix-$i" "$dfs" "${args[@]}"
    peer_pid[$i]=$spawned
  done
  for ((i = 0; i < 1200; i++)); do
    [[ $(known_peers 0) -ge $((peers - 1)) ]] && return 0
    sleep 0.1
  done
  fail "peer 0 knows $(known_peers 0) of $((peers - 1)) peers after 120 s"
}

stop_net() {
  p2p_stop_all
  p2p_stop_pid "$harness_pid"
  harness_pid=""
  p2p_pids=()
}

cpu_of() { awk '{ print ($14 + $15) / 100 }' "/proc/$1/stat"; }

input=$work/input
head -c $((size_mib << 20)) /dev/urandom >"$input"
declare -A speed bound
echo "== a remote get of $size_mib MiB, $peers peers, R = 3 (load $(load))"
declare -A tcp
for rtt in $rtts; do
  # The same bytes as plain TCP through the same emulated link, one stream
  # per peer the reader fetches from (as iperf3 -P): what TCP itself moves
  # at this round trip, against which the get is also compared.
  tcp[$rtt]=$("$harness" selftest --mbytes "$size_mib" --streams $((peers - 1)) \
    --delay-ms "$(awk -v r="$rtt" 'BEGIN { print r / 2 }')" | sed -n 's/.*through the emulator.*: *\([0-9.]*\) MB\/s.*/\1/p')
  start_net "$rtt"
  id=$(dfs_at 0 put "$input" 2>"$log") || fail "put failed"
  id=${id%%$'\n'*}
  before=$(cpu_of "${peer_pid[$reader]}")
  start=$(date +%s.%N)
  dfs_at "$reader" get "$id" -o "$work/out" 2>"$log" || fail "get at $rtt ms failed"
  secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { print e - s }')
  cpu=$(awk -v a="$before" -v b="$(cpu_of "${peer_pid[$reader]}")" -v m="$size_mib" 'BEGIN { printf "%.2f", (b - a) * 1024 / m }')
  cmp -s "$input" "$work/out" || fail "the file read at $rtt ms differs"
  speed[$rtt]=$(mbps "$secs")
  # The get's window of chunk fetches at its end (src/node/node.cpp logs it).
  window=$(sed -n 's/.*up to \([0-9]*\) fetches in flight.*/\1/p' "$(peer_dir "$reader").log" | tail -1)
  printf "   RTT %3s ms: %6s MB/s  (%.1f s; reader %s CPU-s/GiB; %s chunks in flight; %s)\n" "$rtt" "${speed[$rtt]}" \
    "$secs" "$cpu" "${window:-?}" "$("$harness" ctl "$work/h.sock" stats | tr ' ' '\n' | grep -E '^(forwarded_bytes|lost|queue_full|write_failed)=' | tr '\n' ' ')"
  echo "      plain TCP through the same links, $((peers - 1)) streams at once: ${tcp[$rtt]:-?} MB/s;" \
    "the get is $(ratio "${speed[$rtt]}" "${tcp[$rtt]:-0}") of it"
  # DHT lookups as a peer of this network sees them: a probe peer in the
  # reader's namespace (dfs-bench-lookups) joins, looks up WAN_LOOKUP_WARMUP
  # random keys to pool its connections, then times WAN_LOOKUPS more.
  if [[ $rtt != 0 ]]; then
    rm -rf "$work/probe"
    mkdir -p "$work/probe"
    probe_out=$("$harness" exec "$ns_prefix-$reader" "$probe" --data "$work/probe" \
      --listen "10.201.0.$((reader + 1)):$((port + 1))" --bootstrap "$(addr 0)" --network-key "$work/network.key" \
      --peers "$peers" --warmup "${WAN_LOOKUP_WARMUP:-16}" --lookups "${WAN_LOOKUPS:-64}" 2>"$log") || fail "the lookup probe failed"
    count=$(sed -n 's/.*lookups=\([0-9]*\).*/\1/p' <<<"$probe_out")
    median_ms=$(sed -n 's/.*median_ms=\([0-9.]*\).*/\1/p' <<<"$probe_out")
    p90_ms=$(sed -n 's/.*p90_ms=\([0-9.]*\).*/\1/p' <<<"$probe_out")
    hops=$(sed -n 's/.* hops=\([0-9-]*\).*/\1/p' <<<"$probe_out")
    trips=$(awk -v m="$median_ms" -v r="$rtt" 'BEGIN { printf "%.2f", m / r }')
    echo "      $count lookups from a peer in the reader's namespace: median $median_ms ms = $trips round trips" \
      "(p90 $p90_ms ms), median $hops hops ($(verdict "$trips" "$((hops + 1))" "<=") against <= hops + 1)"
  fi
  # The bandwidth-delay bound: no faster than with no delay, nor than the
  # final window of 1 MiB chunks per round trip.
  if [[ -n ${speed[0]:-} ]]; then
    bound[$rtt]=$(awk -v b="${speed[0]}" -v w="${window:-0}" -v r="$rtt" \
      'BEGIN { x = (r > 0 && w > 0) ? w * 1048576 / (r / 1000) / 1e6 : b; printf "%.0f", (x < b) ? x : b }')
  fi
  stop_net
done
base=${speed[0]:-}
if [[ -n $base ]]; then
  for rtt in $rtts; do
    [[ $rtt == 0 ]] && continue
    r=$(ratio "${speed[$rtt]}" "$base")
    echo "   ratio at $rtt ms to 0 ms: $r ($(verdict "$r" 0.5 ">=") against >= 0.5 at 80 ms);" \
      "to the bandwidth-delay bound of ${bound[$rtt]} MB/s: $(ratio "${speed[$rtt]}" "${bound[$rtt]}")"
  done
fi
echo "   load at the end: $(load)"
