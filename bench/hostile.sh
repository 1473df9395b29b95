#!/usr/bin/env bash
# The figures of issue 10 (a node that survives strangers): a remote get
# during each attack, against the same get with no attack in the same run,
# and the attacked node's peak resident memory.
#
#   bench/hostile.sh [SIZE_MIB]        (default 128; run as root)
#
# On loopback only, an open network (no network key: the attacker is a
# stranger with a valid certificate, as on the Internet) of 3 `dfs node`
# peers with default limits: the victim (127.0.0.1), the owner
# (127.0.0.2), which puts a random file of SIZE_MIB (1 MiB chunks) and a
# 32 MiB bait file of 16 MiB chunks, and the reader (127.0.0.3), which
# joins after the puts and holds none of the chunks. With R = 3 the victim
# holds every chunk and serves the reader's gets. Each round is
#   none      `dfs get ID -o /dev/null` at the reader, no attack
#   deaf      the same while dfs-bench-hostile (from 127.0.0.66) keeps a
#             connection with 64 GET_CHUNK of a 16 MiB bait chunk whose
#             answers it never reads
#   halfopen  ... while it keeps 1000 TCP connections that never start TLS
#   stall     ... while it keeps 64 connections, each with a 16 MiB frame
#             started and never finished
#   flood     ... while it opens connection after connection, each sending
#             a malformed frame
#   putflood  ... while it PUTs fresh 1 MiB chunks as fast as the victim
#             answers (8 in flight), filling the victim's storage for
#             others (set to what the owner's files take + 64 MiB)
# and prints MB/s, the ratio to `none` (target >= 0.5) and the victim's
# peak RSS during the attack (VmHWM, reset before each; target <= 256 MiB).
# Rounds repeat DFS_BENCH_ROUNDS times (default 1); the best MB/s and the
# highest RSS of each are kept. Then the victim's owner puts a 32 MiB file
# into its own --quota 64M, which must succeed however full the storage
# for others is ("owner put after fill"). Environment as for bench/p2p.sh
# (DFS_BENCH_DIR, DFS_BUILD_DIR, DFS_BIN, DFS_BENCH_PORT, DFS_BENCH_KEEP).
set -euo pipefail

bench=hostile
# shellcheck source=bench/p2p_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/p2p_lib.sh"
p2p_priority "$@"

size_mib=${1:-128}
rounds=${DFS_BENCH_ROUNDS:-1}
if [[ $# -gt 1 || ! $size_mib =~ ^[1-9][0-9]*$ || ! $rounds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SIZE_MIB]   (a positive integer, default 128; run as root)" >&2
  exit 2
fi
p2p_require_root
p2p_find_dfs
tool=$p2p_build/bench/dfs-bench-hostile
[[ -x $tool ]] || { echo "$bench: $tool not found; build it first" >&2; exit 2; }
p2p_make_work $((size_mib * 3 + 256))
p2p_pick_port
p2p_wait_load
p2p_open_network=1
victim=1 owner=2 reader=3
attacker_ip=127.0.0.66

head -c $((size_mib << 20)) /dev/urandom >"$work/input"
head -c $((32 << 20)) /dev/urandom >"$work/bait"
p2p_start_peer $victim "" --repair-interval 600 --quota 64M --storage-for-others $((size_mib + 32 + 64))M
p2p_start_peer $owner $victim --repair-interval 600
p2p_wait_known $owner 1 || p2p_peer_fail $owner "the owner did not join"
id=$(dfs_at $owner put "$work/input" 2>"$log" | head -n1) || fail "put failed"
dfs_at $owner put --chunk-size 16M "$work/bait" >/dev/null 2>"$log" || fail "put of the bait failed"
bait=$(find "$(peer_dir $victim)/store/chunks" "$(peer_dir $victim)/held/chunks" -type f -size +15M -printf '%f\n' | head -n1)
[[ -n $bait ]] || fail "the victim holds no 16 MiB chunk"
p2p_start_peer $reader $victim --repair-interval 600
p2p_wait_known $reader 2 || p2p_peer_fail $reader "the reader did not join"

victim_pid=${peer_pid[$victim]}
reset_hwm() { echo 5 >"/proc/$victim_pid/clear_refs"; }

declare -A best_mbps worst_rss
attacks=(none deaf halfopen stall flood putflood)
for ((round = 1; round <= rounds; round++)); do
  echo "== round $round of $rounds ($(load))"
  for attack in "${attacks[@]}"; do
    attacker=""
    reset_hwm
    if [[ $attack != none ]]; then
      p2p_spawn "$work/attack-$attack.log" "$tool" "$attack" "$attacker_ip" "$(peer_addr $victim)" "$bait"
      attacker=$spawned
      # Let it reach its steady state (its connections open, answers queued).
      sleep 3
    fi
    drop_caches
    t0=$(now_ns)
    dfs_at $reader get "$id" -o /dev/null 2>"$log" || fail "get during $attack failed"
    t1=$(now_ns)
    [[ -n $attacker ]] && p2p_stop_pid "$attacker"
    rate=$(mbps "$(secs_between "$t0" "$t1")")
    rss=$(peer_hwm_kib $victim)
    printf '   %-10s %6s MB/s   victim peak RSS %7s MiB\n' "$attack" "$rate" "$(mib "$rss")"
    ((rate > ${best_mbps[$attack]:-0})) && best_mbps[$attack]=$rate
    ((rss > ${worst_rss[$attack]:-0})) && worst_rss[$attack]=$rss
  done
done
# Strangers filled the storage for others; the owner's own put still fits.
head -c $((32 << 20)) /dev/urandom >"$work/own"
if dfs_at $victim put "$work/own" >/dev/null 2>"$log"; then owner_put=ok; else owner_put=FAILED; fi
for attack in "${attacks[@]}"; do
  # (an if: a grep that finds nothing must not end the run under set -e)
  if [[ -f $work/attack-$attack.log ]]; then grep -h "putflood:" "$work/attack-$attack.log" | sed 's/^/   /' || true; fi
done
dfs_at $victim status 2>/dev/null | grep "storage for others" | sed 's/^ */   victim: /'
echo "   owner put after fill: $owner_put"
# The file the reader gets is still the owner's, bit for bit.
dfs_at $reader get "$id" -o "$work/check" 2>"$log" || fail "the last get failed"
cmp -s "$work/input" "$work/check" || fail "the reader's copy differs from the file"

echo
echo "== figures ($size_mib MiB, best of $rounds; load $(load))"
printf '   %-10s %8s %8s %6s %12s %6s\n' attack MB/s ratio target "peak RSS" target
line="hostile size_mib=$size_mib"
for attack in "${attacks[@]}"; do
  r=$(ratio "${best_mbps[$attack]}" "${best_mbps[none]}")
  m=$(mib "${worst_rss[$attack]}")
  printf '   %-10s %8s %8s %6s %8s MiB %6s\n' "$attack" "${best_mbps[$attack]}" "$r" \
    "$(verdict "$r" 0.5 ">=")" "$m" "$(verdict "$m" 256 "<=")"
  line+=" ${attack}_mbps=${best_mbps[$attack]} ${attack}_ratio=$r ${attack}_rss_mib=$m"
done
echo "$line owner_put_after_fill=$owner_put"
