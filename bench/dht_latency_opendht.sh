#!/usr/bin/env bash
# The OpenDHT side of bench/dht_latency.sh; run by it inside a network
# namespace of its own (`unshare --net`), where the only interface is
# loopback, so that no dhtnode can reach any other address whatever it
# learns or defaults to.
#
#   dht_latency_opendht.sh N SAMPLES DIR
#
# Starts N dhtnode processes on 127.0.0.1 (UDP ports 4222..), all in one
# private network (-n, a random network ID), bootstrapped through the
# first: N - 2 without a console (-s) and two with one, a writer and a
# reader, driven through FIFOs. After warm-up gets, the writer puts
# SAMPLES values under fresh keys; then, for each "g" line the caller
# writes to DIR/control (up to SAMPLES; "q" ends), the reader gets the next
# one (`g KEY`) and waits for it to complete. It prints, one per line:
#   known_at_start K / known K after W warm-up gets / known_at_end K
#                        nodes in the reader's routing table (IPv4, good)
#   ready                when it takes "g" lines
#   done I               when get I has completed
#   get MS FIRST_MS      at the end, per get: OpenDHT's own "completed,
#                        took" time and when its first value arrived, in ms
# and exits non-zero if something broke. Logs stay in DIR.
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 N SAMPLES DIR" >&2
  exit 2
fi
n=$1 samples=$2 dir=$3
port0=4222
network_id=$((1000 + RANDOM % 30000))
declare -a pids=()

cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  exec 3>&- 4>&- 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

fail() {
  echo "dht_latency_opendht: $*" >&2
  exit 1
}

ip link set lo up
[[ $(ip -o link show | grep -vc ' lo:') -eq 0 ]] || fail "the namespace has interfaces other than lo"

node() {  # node I [ARGS...]: dhtnode number I (0-based) as a service
  local i=$1
  shift
  dhtnode -n "$network_id" -p $((port0 + i)) "$@" >"$dir/dhtnode$i.log" 2>&1 </dev/null &
  pids+=("$!")
}

node 0 -s
for ((i = 1; i < n - 2; i++)); do node "$i" -s -b "127.0.0.1:$port0"; done
mkfifo "$dir/writer.in" "$dir/reader.in"
writer=$((n - 2)) reader=$((n - 1))
dhtnode -n "$network_id" -p $((port0 + writer)) -b "127.0.0.1:$port0" <"$dir/writer.in" >"$dir/writer.log" 2>&1 &
pids+=("$!")
dhtnode -n "$network_id" -p $((port0 + reader)) -b "127.0.0.1:$port0" <"$dir/reader.in" >"$dir/reader.log" 2>&1 &
pids+=("$!")
exec 3>"$dir/writer.in" 4>"$dir/reader.in"

# count FILE PATTERN: lines of FILE matching PATTERN.
count() { grep -c -- "$2" "$1" 2>/dev/null || true; }

# await FILE PATTERN COUNT: waits (up to 10 s) until FILE has COUNT lines
# matching PATTERN.
await() {
  local i
  for ((i = 0; i < 2000; i++)); do
    (($(count "$1" "$2") >= $3)) && return 0
    sleep 0.005
  done
  return 1
}

# Lets the joins settle: every node bootstraps, then refreshes its buckets.
sleep 3
for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || fail "a dhtnode exited early (logs in $dir)"; done

# known: the reader's IPv4 routing table ("Known nodes: 16 good, ..."),
# from the newest answer to `ll`.
known() {
  echo "ll" >&4
  await "$dir/reader.log" "Known nodes:" $((++lls * 2)) || fail "the reader did not answer 'll'"
  awk '/IPv4 stats/ { f = 1; next } f && /Known nodes:/ { k = $3; f = 0 } END { print k + 0 }' "$dir/reader.log"
}
lls=0
echo "known_at_start $(known)"

# Warm-up, as a running node would be: one put and get, then up to 20
# gets of random keys until the reader knows every other node (a fresh
# dhtnode knows only its bootstrap node until its searches teach it more),
# or its routing table has not grown over 5 gets.
tag=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "p dfsbench-$tag-warmup value" >&3
await "$dir/writer.log" "Put: " 1 || fail "the warm-up put did not finish"
warmups=0
echo "g dfsbench-$tag-warmup" >&4
await "$dir/reader.log" "Get: completed" $((++warmups)) || fail "the warm-up get did not finish"
grew_at=0 last=0
for ((w = 0; w < 20; w++)); do
  now=$(known)
  ((now < n - 1)) || break
  if ((now > last)); then grew_at=$w last=$now; fi
  ((w - grew_at < 5)) || break
  echo "g dfsbench-$tag-warmup-$w" >&4
  await "$dir/reader.log" "Get: completed" $((++warmups)) || fail "a warm-up get did not finish"
done
echo "known $(known) after $warmups warm-up gets"

for ((i = 1; i <= samples; i++)); do
  echo "p dfsbench-$tag-$i value-$i" >&3
done
await "$dir/writer.log" "Put: " $((samples + 1)) || fail "the writer's puts did not finish"
if (($(count "$dir/writer.log" "Put: success") < samples + 1)); then
  fail "some of the writer's puts failed (see $dir/writer.log)"
fi

# The gets, paced by the caller so that they interleave with its own
# samples (same load for both): one per "g" line it writes to DIR/control,
# each answered by "done I" on stdout once complete; "q" ends them.
mkfifo "$dir/control"
exec 5<>"$dir/control"
echo "ready"
i=0
while read -r command <&5 && [[ $command != q ]]; do
  ((i < samples)) || fail "asked for more than $samples gets"
  i=$((i + 1))
  echo "g dfsbench-$tag-$i" >&4
  await "$dir/reader.log" "Get: completed" $((warmups + i)) || fail "get $i did not complete within 10 s"
  echo "done $i"
done
echo "known_at_end $(known)"

# "Get: found 1 value(s) after 349 us (total 1)" then "Get: completed,
# took 2.17 ms (total 1)"; units us, ms or s. The first ones are warm-ups.
sed 's/\x1b\[[0-9;]*m//g' "$dir/reader.log" | awk -v skip="$warmups" '
  function ms(v, unit) { return unit ~ /^us/ ? v / 1000 : unit ~ /^ms/ ? v : unit ~ /^s/ ? v * 1000 : -1 }
  /Get: found/     { for (i = 1; i <= NF; i++) if ($i == "after") { first = ms($(i + 1), $(i + 2)) } }
  /Get: completed/ { for (i = 1; i <= NF; i++) if ($i == "took") { took = ms($(i + 1), $(i + 2)) }
                     if (++gets > skip) printf "get %.3f %.3f\n", took, (first == "" ? -1 : first)
                     first = "" }'
