# shellcheck shell=bash disable=SC2154  # `dfs`, `work`, `peer_pid`: set by p2p_lib.sh
# Sourced by bench/dht_latency.sh and bench/p2p.sh after p2p_lib.sh: where
# the time of a dfs fetch or put goes, read from the running peers with
# uprobes (`perf probe` on the copy of dfs they run; removed on exit).
#
# dfs has no command that reports a lookup's time and hops, nor a put's
# phases, so these probes stand in. They name functions of dfs (mangled)
# and one line of Lookup::finish, so a refactoring there can break them:
# then probes_setup says why (probe_note) and the scripts go on without.
# Each probe costs about a microsecond per hit; there are a few per chunk.
#
#   probes_setup          places the probes; 1 if it cannot
#   probes_record_start   starts `perf record` of them on every running peer
#   probes_record_stop    stops it, then writes:
#     $work/fetches  one line per fetch that went to the network, in ms:
#                    total local_check lookup get_round_trip hash_check hops rpcs
#                    (total: Replicator::fetch to fetch_finish; local_check:
#                    its look into the local store; lookup: Lookup::start to
#                    finish; get_round_trip: first GET_CHUNK sent to first
#                    answer; hash_check: that answer to fetch_finish; hops,
#                    rpcs: the lookup's stats)
#     $work/calls    one line per peer and function probed on entry and
#                    return: PID NAME CALLS TOTAL_MS (see probe_calls)
#   stats, fetch_column N, call_ms PID NAME, call_count PID NAME

# shellcheck disable=SC2034  # probe_note: read by the sourcing scripts
probe_group="" probe_note="" probe_perf_pid=""

# Functions timed from entry to return, per thread (they are synchronous):
# NAME=REGEX of the mangled name.
probe_calls=(
  node_put='^_ZN3dfs4node4Node3putE'                 # the whole put at the writer
  node_replicate='^_ZN3dfs4node4Node9replicateE'     # replication + moving others' chunks to the cache
  peer_replicate='^_ZN3dfs4node4Peer9replicateE'     # replication only
  on_put='^_ZN3dfs9replicate11ChunkServer6on_putE'   # a PUT_CHUNK received: hash check + store put
  store_put='^_ZN3dfs5store14DiskChunkStore3putE'    # one durable chunk put (file fsync + directory fsync)
  fsync='^_ZN3dfs8fsync_fdE'                         # fsync of a file or a directory
  serve='^_ZN3dfs9replicate11ChunkServer6on_getE'    # a GET_CHUNK served: store read + hash check
)

p2p_on_exit() {
  if [[ -n $probe_group ]]; then perf probe -q -d "$probe_group:*" >/dev/null 2>&1 || true; fi
}

# sym REGEX: the mangled name of the first global function of $dfs matching REGEX.
sym() { nm "$dfs" 2>/dev/null | awk -v p="$1" '!found && $2 == "T" && $3 ~ p { print $3; found = 1 }'; }

probes_setup() {
  if [[ ${DFS_BENCH_PROBES:-1} == 0 ]]; then probe_note="off (DFS_BENCH_PROBES=0)"; return 1; fi
  command -v perf >/dev/null || { probe_note="perf is not installed (Debian: linux-perf)"; return 1; }
  local start finish fetch peers get answer finished line s entry name
  start=$(sym '^_ZN3dfs3dht6Lookup5startE')
  finish=$(sym '^_ZN3dfs3dht6Lookup6finishEv$')
  fetch=$(sym '^_ZN3dfs9replicate10Replicator5fetchE')
  peers=$(sym '^_ZN3dfs9replicate10Replicator16fetch_from_peersE')
  get=$(sym '^_ZN3dfs9replicate10Replicator3getE')
  answer=$(sym '^_ZN3dfs9replicate10Replicator12fetch_answerE')
  finished=$(sym '^_ZN3dfs9replicate10Replicator12fetch_finishE')
  for s in start finish fetch peers get answer finished; do
    [[ -n ${!s} ]] || { probe_note="no symbol for $s in dfs (renamed or inlined?)"; return 1; }
  done
  # In Lookup::finish, the first line after `result.stats = stats_;`:
  # the stats are complete and `result` is still alive there.
  line=$(perf probe -x "$dfs" -L "$finish" 2>/dev/null |
    awk '!found && f && $1 ~ /^[0-9]+$/ { print $1; found = 1 } /result\.stats = stats_;/ { f = 1 }')
  [[ -n $line ]] || { probe_note="cannot find 'result.stats = stats_;' in Lookup::finish (no debug info?)"; return 1; }
  probe_group=dfsbench$$
  # x86-64 arguments: %di = this, %si = the first one. A FetchOp is known by
  # its address (+0 of the shared_ptr) and by the first 8 bytes of its
  # chunk ID (its first member), which fetch() gets as its first argument.
  if ! perf probe -q -x "$dfs" \
    --add "$probe_group:fetch=$fetch chunk=+0(%si):x64" \
    --add "$probe_group:fetch_peers=$peers op=+0(%si):x64 chunk=+0(+0(%si)):x64" \
    --add "$probe_group:lookup_start=$start lookup=%di:x64" \
    --add "$probe_group:lookup_finish=$finish lookup=%di:x64" \
    --add "$probe_group:lookup_stats=$finish:$line result.stats.hops:u64 result.stats.messages:u64" \
    --add "$probe_group:get_sent=$get" \
    --add "$probe_group:get_answer=$answer op=+0(%si):x64" \
    --add "$probe_group:fetch_done=$finished op=+0(%si):x64" >"$work/probe.log" 2>&1; then
    probe_note="perf probe failed: $(grep -v '^$' "$work/probe.log" | tail -n 1)"
    p2p_on_exit
    probe_group=""
    return 1
  fi
  # Entry and return of each timed function (a return probe needs the
  # mangled name taken as is: --no-demangle). One missing is not fatal.
  for entry in "${probe_calls[@]}"; do
    name=${entry%%=*}
    s=$(sym "${entry#*=}")
    if [[ -z $s ]] || ! perf probe -q -x "$dfs" --no-demangle --add "$probe_group:call_$name=$s" \
      --add "$probe_group:call_$name=$s%return" >>"$work/probe.log" 2>&1; then
      echo "   note: cannot probe $name (${entry#*=}); its figure is left out" >&2
    fi
  done
}

probes_record_start() {
  p2p_spawn "$work/perf-probes.log" perf record -q -e "$probe_group:*" \
    -p "$(IFS=,; echo "${peer_pid[*]}")" -o "$work/probes.data"
  probe_perf_pid=$spawned
  sleep 1  # perf attaches
}

probes_record_stop() {
  kill -INT "$probe_perf_pid" 2>/dev/null || true
  wait "$probe_perf_pid" 2>/dev/null || true
  perf script -i "$work/probes.data" --ns -F pid,tid,time,event,trace 2>/dev/null >"$work/probes.txt" || true
  # Lines: "PID/TID TIME: GROUP:EVENT: (ADDR) key=value...".
  awk '
    function val(key,   i, kv) { for (i = 5; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) return kv[2] } return "" }
    { split($1, pt, "/"); p = pt[1]; tid = $1; t = $2; sub(/:$/, "", t)
      ev = $3; sub(/:$/, "", ev); sub(/^[^:]*:/, "", ev) }
    ev ~ /^call_.*__return$/ { name = substr(ev, 6); sub(/__return$/, "", name)
                            if ((tid, name) in entered) { total[p, name] += t - entered[tid, name]; calls[p, name]++ }
                            delete entered[tid, name]; next }
    ev ~ /^call_/         { entered[tid, substr(ev, 6)] = t; next }
    ev == "fetch"         { start[p, val("chunk")] = t; next }
    ev == "fetch_peers"   { op = p SUBSEP val("op"); t0[op] = start[p, val("chunk")]; t1[op] = t
                            delete start[p, val("chunk")]; last_op[tid] = op; next }
    ev == "lookup_start"  { lk = p SUBSEP val("lookup"); op = last_op[tid]; last_op[tid] = ""
                            if (op != "") { lookup_op[lk] = op; ls[op] = t }; next }
    ev == "lookup_finish" { lk = p SUBSEP val("lookup"); op = lookup_op[lk]; delete lookup_op[lk]
                            finishing[tid] = op; if (op != "") ld[op] = t; next }
    ev == "lookup_stats"  { op = finishing[tid]; if (op != "") { hops[op] = val("hops"); rpcs[op] = val("messages") }
                            got_lookup[tid] = op; next }
    ev == "get_sent"      { op = got_lookup[tid]; got_lookup[tid] = ""; if (op != "" && !(op in gs)) gs[op] = t; next }
    ev == "get_answer"    { op = p SUBSEP val("op"); if (!(op in ga)) ga[op] = t; next }
    ev == "fetch_done"    { op = p SUBSEP val("op")
                            if ((op in t1) && t0[op] != "" && (op in ld) && (op in gs) && (op in ga))
                              printf "%.3f %.3f %.3f %.3f %.3f %d %d\n", (t - t0[op]) * 1e3, (t1[op] - t0[op]) * 1e3,
                                (ld[op] - ls[op]) * 1e3, (ga[op] - gs[op]) * 1e3, (t - ga[op]) * 1e3, hops[op], rpcs[op] > fetches
                            delete t0[op]; delete t1[op]; delete ls[op]; delete ld[op]; delete gs[op]; delete ga[op]; next }
    END { for (k in calls) { split(k, a, SUBSEP); printf "%s %s %d %.3f\n", a[1], a[2], calls[k], total[k] * 1e3 > callfile } }
  ' fetches="$work/fetches" callfile="$work/calls" "$work/probes.txt"
  touch "$work/fetches" "$work/calls"
}

# stats: reads numbers (one a line) and prints "median p95 min max count
# sum"; p95 by nearest rank.
stats() {
  sort -g | awk '{ v[NR] = $1; s += $1 }
    END {
      if (NR == 0) { print "n/a n/a n/a n/a 0 0"; exit }
      med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      r = int(0.95 * NR); if (r < 0.95 * NR) r++
      printf "%.3f %.3f %.3f %.3f %d %.3f\n", med, v[r], v[1], v[NR], NR, s }'
}

# fetch_column N: stats of column N of $work/fetches.
fetch_column() { awk -v c="$1" '{ print $c }' "$work/fetches" | stats; }

# call_ms PID NAME / call_count PID NAME: total time (ms) in, and calls of,
# a timed function in one peer ("all" for the sum over the peers but PID
# when PID is given as -PID).
call_sum() {
  awk -v p="$1" -v n="$2" -v c="$3" '$2 == n && (p == "all" || $1 == p || (p ~ /^-/ && $1 != substr(p, 2))) { s += $c }
    END { printf (c == 4 ? "%.1f\n" : "%d\n"), s }' "$work/calls"
}
call_ms() { call_sum "$1" "$2" 4; }
call_count() { call_sum "$1" "$2" 3; }
