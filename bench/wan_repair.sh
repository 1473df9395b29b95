#!/usr/bin/env bash
# bench/wan_repair.sh: repair bytes after a partition heals (issue 16). On
# the network harness (tests/netharness), 12 peers at 20 ms round trips;
# the last third is cut off while a file is put at the others; once healed,
# the bytes the emulator forwards until every chunk is on its R closest are
# printed against the bytes of the copies that were missing (target:
# <= 1.2x). It runs the netharness test AfterAPartitionHealsRepairCopiesOnly-
# WhatIsMissing at this size; the comparison is the missing bytes it
# computes from the peers' stores and node IDs.
#
#   sudo bench/wan_repair.sh                 # 12 peers, 64 MiB put while cut off
#   WAN_PEERS=6 WAN_MIB=16 sudo bench/wan_repair.sh
# Needs a build with the tests.
set -euo pipefail
bench=wan_repair
source "$(dirname "$0")/p2p_lib.sh"
p2p_priority "$@"
p2p_require_root
p2p_find_dfs
test_wan=$p2p_build/tests/netharness/test_wan
harness=${DFS_NETHARNESS_BIN:-$p2p_build/tests/netharness/dfs-netharness}
[[ -x $test_wan && -x $harness ]] || { echo "$bench: $test_wan not found (build with -Dtests=true)" >&2; exit 2; }
echo "== repair after a partition of a third of ${WAN_PEERS:-12} peers heals, ${WAN_MIB:-64} MiB put while cut off (load $(load))"
start=$(date +%s.%N)
DFS_BIN=$dfs DFS_NETHARNESS_BIN=$harness DFS_WAN_REPAIR_PEERS=${WAN_PEERS:-12} DFS_WAN_REPAIR_MIB=${WAN_MIB:-64} \
  "$test_wan" --gtest_filter='*AfterAPartitionHealsRepairCopiesOnlyWhatIsMissing' >"${TMPDIR:-/tmp}/$bench.$$.log" 2>&1 &&
  status=0 || status=$?
grep -E '^repair after|Failure|forwarded|SKIPPED' "${TMPDIR:-/tmp}/$bench.$$.log" | sed 's/^/   /'
rm -f "${TMPDIR:-/tmp}/$bench.$$.log"
echo "   $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }') s in all; load at the end: $(load)"
exit "$status"
