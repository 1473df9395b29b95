#!/usr/bin/env bash
# DHT lookup latency and hops of dfs against OpenDHT, each on N loopback
# processes, in one run (DESIGN.md §7).
#
#   bench/dht_latency.sh [N]        (default 20; run as root, Debian 12)
#
# dfs: N `dfs node` peers on 127.0.0.1..N (R = 3, one network key), joined
# through peer 1, each of which first gets a warm-up file (so connections
# are pooled and TLS handshakes are not counted, as in a running network).
# Then SAMPLES files of 1 byte are put, each at a different peer, and each
# is got once (`dfs get ID -o /dev/null`) at a peer that holds neither of
# its two chunks (manifest and data; holders found by listing every peer's
# store and cache). Such a get costs two fetches, each a DHT lookup (the
# iterative FIND_NODE of Replicator::fetch, k = 20, alpha = 3) and one
# GET_CHUNK from the closest holder. dfs has no lookup command yet, so the
# figures come from the running peers:
#   probes   (when perf can place uprobes: on by default) `perf probe`
#            puts uprobes on Lookup::start/finish and on the steps of
#            Replicator::fetch in the peers' binary; every lookup's time,
#            hops and messages, and each fetch's breakdown (local check,
#            lookup, GET_CHUNK round trip, hash check), are read from
#            `perf record`. Precise, but tied to those function names.
#   derived  (always) (remote get time - median local get time) / 2, the
#            local time measured by getting the same files at their
#            writers (no network). That is one fetch: lookup + GET_CHUNK
#            + hash check. Noisy: a dfs process start (~10 ms) is in both.
#
# OpenDHT: N `dhtnode` processes (Debian's dhtnode package) on 127.0.0.1,
# UDP ports 4222.., in a private network (-n) inside a network namespace
# whose only interface is loopback (see bench/dht_latency_opendht.sh).
# A writer console puts SAMPLES values, a reader console (warmed up by a
# few gets, since a fresh dhtnode knows only its bootstrap node) gets each
# once (`g KEY`). The figure is OpenDHT's own "Get: completed, took" time:
# the whole iterative search, measured inside the process, as the probes
# measure dfs's; also shown, the time its first value arrived.
#
# Both networks run side by side and their samples interleave (dfs get at
# a non-holder, dfs get at the writer, OpenDHT get, and again), so that
# both see the same load, which drifts on a shared machine.
#
# It prints median and p95 of each, the ratio dfs lookup / OpenDHT get
# (target <= 1.0, PASS or MISS; from the probes, else from the derived
# figure) and one `dht_latency ...` line of key=value pairs. OpenDHT's hops
# are not printed: its console does not report them. The exit status is
# non-zero only if something broke.
#
# Environment:
#   DFS_LATENCY_SAMPLES  lookups sampled on each side (default 60)
#   DFS_BENCH_PROBES=0  do not use perf uprobes (derived figure only)
#   DFS_BENCH_NO_OPENDHT=1  skip OpenDHT (dfs figures only)
#   DFS_BENCH_DIR, DFS_BUILD_DIR, DFS_BIN, DFS_BENCH_MAX_LOAD,
#   DFS_BENCH_PRIORITY, DFS_BENCH_PORT, DFS_BENCH_KEEP   as for bench/p2p.sh
set -euo pipefail

bench=dht_latency
here=$(dirname "${BASH_SOURCE[0]}")
# shellcheck source=bench/p2p_lib.sh
source "$here/p2p_lib.sh"
# shellcheck source=bench/p2p_probes.sh
source "$here/p2p_probes.sh"
p2p_priority "$@"

n=${1:-20}
samples=${DFS_LATENCY_SAMPLES:-60}
if [[ $# -gt 1 || ! $n =~ ^[0-9]+$ || $n -lt 4 || $n -gt 254 || ! $samples =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [N]   (peers, 4..254, default 20; run as root)" >&2
  echo "       DFS_LATENCY_SAMPLES, if set, must be a positive integer" >&2
  exit 2
fi
p2p_require_root
p2p_find_dfs
with_opendht=1
if [[ ${DFS_BENCH_NO_OPENDHT:-} == 1 ]]; then
  with_opendht=0
else
  # Debian's dhtnode package ships dhtnode.service, enabled, which joins
  # the public network (/etc/default/dhtnode: -b bootstrap.ring.cx). Under
  # systemd, mask it before installing so that nothing leaves loopback.
  if ! command -v dhtnode >/dev/null && [[ -d /run/systemd/system ]] &&
    systemctl mask dhtnode.service >/dev/null 2>&1; then
    echo "   masked dhtnode.service before installing dhtnode (it would join the public network);" \
      "'systemctl unmask dhtnode' undoes it"
  fi
fi
if ((with_opendht)) && ! p2p_install dhtnode dhtnode; then
  echo "$bench: dhtnode (Debian package dhtnode) is not installable here; dfs figures only" >&2
  with_opendht=0
fi
if ((with_opendht)) && ! unshare --net true 2>/dev/null; then
  echo "$bench: cannot make a network namespace (unshare --net); OpenDHT is only run" \
    "inside one, to keep it on loopback; dfs figures only" >&2
  with_opendht=0
fi
p2p_make_work 512

# Wall time of one command, in ms (its output discarded, failure fatal).
time_ms() {
  local t0 t1
  t0=$(now_ns)
  "$@" >/dev/null 2>"$log" || fail "failed: $*"
  t1=$(now_ns)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }'
}

# Chunk files of each peer (store and cache), one "PEER NAME" a line.
holdings() {
  local p
  for ((p = 1; p <= n; p++)); do
    find "$(peer_dir "$p")/store/chunks" "$(peer_dir "$p")/held/chunks" "$(peer_dir "$p")/cache/chunks" -type f -printf "$p %f\n" 2>/dev/null
  done | sort
}

echo "== DHT lookup latency: $n dfs peers against $n OpenDHT nodes, $samples lookups each, loopback only"
p2p_pick_port
p2p_describe_machine
p2p_wait_load
if probes_setup; then
  echo "   dfs probes: uprobes on Lookup::start/finish and Replicator::fetch's steps (perf probe, group $probe_group)"
else
  echo "   dfs probes: none ($probe_note); dfs figures are derived from get times only"
fi

# ---- both networks ---------------------------------------------------------
# Both run side by side and their samples interleave (a dfs get at a
# non-holder, the same file's get at its writer, an OpenDHT get, and
# again), so that both see the same load: on a shared machine it drifts.
if ((with_opendht)); then
  echo "== OpenDHT: starting $n dhtnode processes ($(dpkg-query -W -f '${Version}' dhtnode 2>/dev/null || echo '?'))" \
    "in a loopback-only network namespace"
  mkdir -p "$work/opendht"
  p2p_spawn "$work/opendht.out" unshare --net -- bash "$here/dht_latency_opendht.sh" "$n" "$samples" "$work/opendht"
  odht_pid=$spawned
fi
# opendht_wait WORD COUNT: waits (up to 120 s) until the OpenDHT side has
# printed COUNT lines starting with WORD; fails if it died.
opendht_wait() {
  local i
  for ((i = 0; i < 24000; i++)); do
    (($(grep -c "^$1" "$work/opendht.out" 2>/dev/null || true) >= $2)) && return 0
    kill -0 "$odht_pid" 2>/dev/null || { log=$work/opendht.out; fail "the OpenDHT side exited"; }
    sleep 0.005
  done
  log=$work/opendht.out
  fail "the OpenDHT side did not print '$1' $2 times within 120 s"
}

echo "== dfs: starting $n peers on 127.0.0.1..$n port $p2p_port"
p2p_start_peer 1 "" --replicas 3
for ((p = 2; p <= n; p++)); do p2p_start_peer "$p" 1 --replicas 3; done
# Until every peer knows every other, or 20 s have passed.
for ((t = 0; t < 100; t++)); do
  all=1
  for ((p = 1; p <= n; p++)); do
    if (($(known_peers "$p") < n - 1)); then all=0; break; fi
  done
  ((all)) && break
  sleep 0.2
done
known_list=$(for ((p = 1; p <= n; p++)); do known_peers "$p"; done | sort -n)
echo "   peers known per peer: min $(head -n 1 <<<"$known_list"), max $(tail -n 1 <<<"$known_list") (of $((n - 1)))"

printf 'x' >"$work/one_byte"
echo "== dfs: warm-up (one get at every peer, so that connections are pooled)"
warm_id=$(dfs_at 1 put "$work/one_byte" 2>"$log" | tail -n 1)
[[ $warm_id == dfs1* ]] || fail "dfs put printed no File ID"
for ((p = 2; p <= n; p++)); do dfs_at "$p" get "$warm_id" -o /dev/null 2>"$log" || fail "warm-up get at peer $p failed"; done

echo "== dfs: $samples files of 1 byte, each put at one peer and got at one holding none of its chunks"
: >"$work/dfs_remote_ms" && : >"$work/dfs_local_ms"
declare -a ids=() writers=() readers=()
before=$(holdings)
# A file whose chunks every peer holds (possible in a small network) is
# not a sample; another is put instead.
for ((i = 0; ${#ids[@]} < samples; i++)); do
  ((i < 3 * samples)) || fail "found non-holders for only ${#ids[@]} of $((3 * samples)) files"
  w=$((i % n + 1))
  id=$(dfs_at "$w" put "$work/one_byte" 2>"$log" | tail -n 1)
  [[ $id == dfs1* ]] || fail "dfs put at peer $w printed no File ID"
  after=$(holdings)
  # Peers that gained a chunk file with this put hold part of the file.
  holders=" $(comm -13 <(echo "$before") <(echo "$after") | cut -d' ' -f1 | sort -un | tr '\n' ' ')"
  before=$after
  r=0
  for ((k = 0; k < n; k++)); do
    c=$(((w - 1 + n / 2 + k) % n + 1))
    if [[ $holders != *" $c "* ]]; then r=$c; break; fi
  done
  ((r != 0)) || continue
  ids+=("$id") writers+=("$w") readers+=("$r")
done

if ((with_opendht)); then
  opendht_wait ready 1
  odht_warmups=$(awk '$1 == "known" { print $4 }' "$work/opendht.out")
  echo "== OpenDHT: ready; the reader knows $(awk '$1 == "known" { print $2 }' "$work/opendht.out") nodes" \
    "of $((n - 1)) after $odht_warmups warm-up gets; $samples values put"
  exec 6<>"$work/opendht/control"
fi

echo "== measuring: $samples x (dfs get at a non-holder, dfs get at the writer$( ((with_opendht)) && echo ", OpenDHT get"))"
if [[ -n $probe_group ]]; then probes_record_start; fi
for ((i = 0; i < samples; i++)); do
  time_ms dfs_at "${readers[$i]}" get "${ids[$i]}" -o /dev/null >>"$work/dfs_remote_ms"
  time_ms dfs_at "${writers[$i]}" get "${ids[$i]}" -o /dev/null >>"$work/dfs_local_ms"
  if ((with_opendht)); then
    echo g >&6
    opendht_wait "done" $((i + 1))
  fi
done
probed=0
if [[ -n $probe_group ]]; then
  probes_record_stop
  probed=$(wc -l <"$work/fetches")
fi

read -r local_med local_p95 _ <<<"$(stats <"$work/dfs_local_ms")"
read -r remote_med remote_p95 _ <<<"$(stats <"$work/dfs_remote_ms")"
awk -v l="$local_med" '{ printf "%.3f\n", ($1 - l) / 2 }' "$work/dfs_remote_ms" >"$work/dfs_fetch_ms"
read -r derived_med derived_p95 derived_min derived_max _ <<<"$(stats <"$work/dfs_fetch_ms")"
printf '   get at a writer (local, no lookup):   median %8.3f ms  p95 %8.3f ms\n' "$local_med" "$local_p95"
printf '   get at a non-holder (2 fetches):      median %8.3f ms  p95 %8.3f ms\n' "$remote_med" "$remote_p95"
printf '   => derived fetch (lookup + GET_CHUNK): median %7.3f ms  p95 %8.3f ms  (min %.3f, max %.3f)\n' \
  "$derived_med" "$derived_p95" "$derived_min" "$derived_max"
lookup_med=n/a lookup_p95=n/a hops_med=n/a hops_max=n/a fetch_med=n/a fetch_p95=n/a msgs_med=n/a
if ((probed > 0)); then
  read -r fetch_med fetch_p95 _ <<<"$(fetch_column 1)"
  read -r check_med _ <<<"$(fetch_column 2)"
  read -r lookup_med lookup_p95 lookup_min lookup_max _ <<<"$(fetch_column 3)"
  read -r getrtt_med getrtt_p95 _ <<<"$(fetch_column 4)"
  read -r verify_med _ <<<"$(fetch_column 5)"
  read -r hops_med _ _ hops_max _ <<<"$(fetch_column 6)"
  read -r msgs_med _ <<<"$(fetch_column 7)"
  hops_med=${hops_med%.000} hops_max=${hops_max%.000} msgs_med=${msgs_med%.000}
  echo "   probes: $probed network fetches seen (expected $((2 * samples)))"
  printf '   => lookup (probes):                   median %8.3f ms  p95 %8.3f ms  (min %.3f, max %.3f)\n' \
    "$lookup_med" "$lookup_p95" "$lookup_min" "$lookup_max"
  printf '      hops median %s, max %s; RPCs per lookup median %s\n' "$hops_med" "$hops_max" "$msgs_med"
  printf '   => fetch (probes):                    median %8.3f ms  p95 %8.3f ms\n' "$fetch_med" "$fetch_p95"
  printf '      medians: local store check %.3f, lookup %.3f, GET_CHUNK round trip %.3f (p95 %.3f), hash check %.3f ms\n' \
    "$check_med" "$lookup_med" "$getrtt_med" "$getrtt_p95" "$verify_med"
elif [[ -n $probe_group ]]; then
  echo "   probes: no network fetch seen (see $work/perf-probes.log); derived figures only"
fi
hwm_max=0
for ((p = 1; p <= n; p++)); do
  k=$(peer_hwm_kib "$p")
  if ((k > hwm_max)); then hwm_max=$k; fi
done

# ---- OpenDHT ---------------------------------------------------------------
odht_med=n/a odht_p95=n/a first_med=n/a first_p95=n/a odht_known=n/a
if ((with_opendht)); then
  echo "== OpenDHT"
  echo q >&6
  exec 6>&-
  if ! wait "$odht_pid"; then
    log=$work/opendht.out
    fail "the OpenDHT run failed"
  fi
  odht_known=$(awk '$1 == "known_at_end" { print $2 }' "$work/opendht.out")
  awk '$1 == "get" { print $2 }' "$work/opendht.out" >"$work/odht_ms"
  awk '$1 == "get" && $3 >= 0 { print $3 }' "$work/opendht.out" >"$work/odht_first_ms"
  read -r odht_med odht_p95 odht_min odht_max odht_count _ <<<"$(stats <"$work/odht_ms")"
  read -r first_med first_p95 _ <<<"$(stats <"$work/odht_first_ms")"
  ((odht_count == samples)) || fail "OpenDHT gave $odht_count timings for $samples gets"
  echo "   reader's routing table at the end: $odht_known nodes of $((n - 1)) (IPv4, good)"
  printf '   get, search completed:                median %8.3f ms  p95 %8.3f ms  (min %.3f, max %.3f)\n' \
    "$odht_med" "$odht_p95" "$odht_min" "$odht_max"
  printf '   get, first value arrived:             median %8.3f ms  p95 %8.3f ms\n' "$first_med" "$first_p95"
fi
p2p_stop_all
load_end=$(load)
echo "   load average at end: $load_end"

# ---- report ----------------------------------------------------------------
if ((probed > 0)); then
  dfs_med=$lookup_med dfs_p95=$lookup_p95 basis="lookup, probes"
else
  dfs_med=$derived_med dfs_p95=$derived_p95 basis="derived fetch"
fi
med_ratio=n/a p95_ratio=n/a
if [[ $odht_med != n/a ]]; then
  med_ratio=$(ratio "$dfs_med" "$odht_med")
  p95_ratio=$(ratio "$dfs_p95" "$odht_p95")
fi
echo
echo "== results: $n processes each, $samples lookups, $(nproc) cores, load $load_start -> $load_end"
line() { printf '   %-50s %9s %9s %6s\n' "$@"; }
ms() { [[ $1 == n/a ]] && echo n/a || echo "$1 ms"; }
line "" "median" "p95" "hops"
line "dfs lookup (uprobes in the peers)" "$(ms "$lookup_med")" "$(ms "$lookup_p95")" "$hops_med"
line "dfs fetch = lookup + GET_CHUNK (uprobes)" "$(ms "$fetch_med")" "$(ms "$fetch_p95")" ""
line "dfs fetch, derived from get times" "$(ms "$derived_med")" "$(ms "$derived_p95")" ""
line "  dfs get of 1 byte at a non-holder (2 fetches)" "$(ms "$remote_med")" "$(ms "$remote_p95")" ""
line "  dfs get of 1 byte at its writer (no network)" "$(ms "$local_med")" "$(ms "$local_p95")" ""
line "OpenDHT get, search completed" "$(ms "$odht_med")" "$(ms "$odht_p95")" "n/a"
line "OpenDHT get, first value arrived" "$(ms "$first_med")" "$(ms "$first_p95")" ""
echo
printf '   %-44s %9s   %-8s %s\n' "target" "measured" "goal" "result"
for which in median p95; do
  r=$med_ratio
  [[ $which == p95 ]] && r=$p95_ratio
  if [[ $r == n/a ]]; then
    printf '   %-44s %9s   %-8s %s\n' "dfs ($basis) / OpenDHT get, $which" n/a "<= 1.0" "n/a (no OpenDHT run)"
  else
    printf '   %-44s %9s   %-8s %s\n' "dfs ($basis) / OpenDHT get, $which" "$r" "<= 1.0" "$(verdict "$r" 1.0 "<=")"
  fi
done
echo "   peak RSS of the largest dfs peer: $(mib "$hwm_max") MiB"
echo
echo "dht_latency n=$n samples=$samples cores=$(nproc) load_start=${load_start%% *} load_end=${load_end%% *}" \
  "dfs_lookup_med_ms=$lookup_med dfs_lookup_p95_ms=$lookup_p95 dfs_hops_med=$hops_med dfs_hops_max=$hops_max" \
  "dfs_lookup_rpcs_med=$msgs_med dfs_fetch_med_ms=$fetch_med dfs_derived_fetch_med_ms=$derived_med" \
  "dfs_get_remote_med_ms=$remote_med dfs_get_local_med_ms=$local_med opendht_get_med_ms=$odht_med" \
  "opendht_get_p95_ms=$odht_p95 opendht_first_med_ms=$first_med ratio_basis=\"$basis\" ratio_med=$med_ratio" \
  "ratio_p95=$p95_ratio dfs_peer_hwm_kib=$hwm_max"
