#!/usr/bin/env bash
# bench/wan.sh: dfs across an emulated WAN (tests/netharness). Peers each in
# their own network namespace, joined by dfs-netharness; a file put at peer
# 0 is read at the last peer at several round-trip times, and each get's
# speed is printed as a ratio to the same get with no delay (target of
# issue 16: >= 0.5 at 80 ms) and to the bandwidth-delay bound (the no-delay
# speed, or the get's final window of 1 MiB chunks per round trip if
# less), with the reader's CPU-seconds per GiB. The reader's DHT lookups
# during the get (its `dfs status` line: the medians of its last 256) are
# printed in round trips against their hops (target: median <= hops + 1).
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
  # "DHT lookups: N so far; the last M: median X ms, H hops, ..." (dfs status).
  lookups=$(dfs_at "$reader" status 2>/dev/null | sed -n 's/.*DHT lookups: [0-9]* so far; the last \([0-9]*\): median \([0-9]*\) ms, \([0-9]*\) hops.*/\1 \2 \3/p')
  if [[ -n $lookups && $rtt != 0 ]]; then
    read -r lookup_count median_ms hops <<<"$lookups"
    trips=$(awk -v m="$median_ms" -v r="$rtt" 'BEGIN { printf "%.1f", m / r }')
    echo "      lookups at the reader (last $lookup_count): median $median_ms ms = $trips round trips, median $hops hops" \
      "($(verdict "$trips" "$((hops + 1))" "<=") against <= hops + 1)"
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
