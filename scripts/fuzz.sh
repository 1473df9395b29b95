#!/usr/bin/env bash
# Runs every libFuzzer target in tests/fuzz for a while and reports.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 30)
#
# Configures build-fuzz with clang, ASan and UBSan if it does not exist,
# builds the fuzz targets only, then runs each on a work copy of its seeds
# in .fuzz-corpus/<target> (the committed tests/fuzz/corpus is never
# written). Exits non-zero if any target crashed, leaked, timed out or ran
# out of memory; the failing input is kept in .fuzz-corpus/<target>.crashes/.
#
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_TARGETS (a space-
# separated subset of the targets, default all).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-30}
if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [SECONDS_PER_TARGET]   (a positive integer, default 30)" >&2
  exit 2
fi
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
work=$root/.fuzz-corpus

# The largest input worth trying per target: room for a full File ID, a
# segment of ~100 entries, a chain of several segments, yet small enough
# that the fuzzer spends its time on structure, not on long random tails.
declare -A max_len=(
  [fuzz_base32]=512
  [fuzz_hex]=256
  [fuzz_address]=512
  [fuzz_file_id]=256
  [fuzz_manifest_segment]=4096
  [fuzz_sealed_chunk]=4096
  [fuzz_manifest_chain]=8192
  [fuzz_directory_segment]=4096
  [fuzz_directory_chain]=8192
  [fuzz_frame]=4096
  [fuzz_envelope]=4096
  [fuzz_dht_wire]=4096
  [fuzz_chunk_wire]=512
  [fuzz_put_batch]=8192
  [fuzz_chunk_pack]=4096
  [fuzz_verified_files]=2048
  [fuzz_signed_record]=1100
  [fuzz_recovery_key]=512
  [fuzz_recovery_pointer]=1024
  [fuzz_mountinfo]=2048
  [fuzz_config_file]=1024
  [fuzz_locate_reply]=4096
)
read -r -a targets <<< "${FUZZ_TARGETS:-fuzz_base32 fuzz_hex fuzz_address fuzz_file_id fuzz_manifest_segment fuzz_sealed_chunk fuzz_manifest_chain fuzz_directory_segment fuzz_directory_chain fuzz_frame fuzz_envelope fuzz_dht_wire fuzz_chunk_wire fuzz_put_batch fuzz_chunk_pack fuzz_verified_files fuzz_signed_record fuzz_recovery_key fuzz_recovery_pointer fuzz_mountinfo fuzz_config_file fuzz_locate_reply}"
for t in "${targets[@]}"; do
  [[ -n ${max_len[$t]:-} ]] || { echo "fuzz.sh: unknown target $t" >&2; exit 2; }
done

if [[ ! -f $build/build.ninja ]]; then
  echo "== configuring $build"
  CXX=${CXX:-clang++} meson setup "$build" "$root" -Dfuzz=true -Dtests=false -Dbench=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true
fi
echo "== building ${targets[*]}"
meson compile -C "$build" "${targets[@]}"

# UBSan reports and carries on by default; halting makes undefined behaviour
# a crash that libFuzzer records. Leaks count as failures too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=0:print_stacktrace=1}

summaries=()
failed=0
for t in "${targets[@]}"; do
  corpus=$work/$t
  crashes=$work/$t.crashes
  log=$work/$t.log
  mkdir -p "$corpus" "$crashes"
  seeds=$root/tests/fuzz/corpus/$t
  [[ -d $seeds ]] || { echo "fuzz.sh: no seeds in $seeds" >&2; exit 1; }
  cp -n -- "$seeds"/* "$corpus"/

  echo "== $t for ${seconds}s (log: ${log#"$root"/})"
  status=0
  "$build/tests/fuzz/$t" "$corpus" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len="${max_len[$t]}" -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$crashes/" > "$log" 2>&1 || status=$?

  # The last status line reads "#N DONE cov: C ft: F corp: K/..." and the
  # final stats count the executions; either may be missing (a crash on a
  # seed comes before any status line).
  execs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+).*/\1/p' "$log" | tail -n 1)
  cov=$(sed -nE 's/^#[0-9]+.*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+).*/cov \1, ft \2, corpus \3/p' "$log" | tail -n 1)
  if ((status == 0)); then
    summaries+=("$(printf '%-22s ok     %10s execs, %s' "$t" "${execs:-?}" "${cov:-no coverage line}")")
  else
    failed=1
    artifact=$(sed -nE 's/.*Test unit written to .*\/((crash|leak|timeout|oom|slow-unit)-[0-9a-f]+).*/\1/p' "$log" | tail -n 1)
    summaries+=("$(printf '%-22s FAILED %10s execs, exit %d, input %s' "$t" "${execs:-?}" "$status" \
      "${artifact:+${crashes#"$root"/}/$artifact}")")
    echo "---- $t failed:"
    # From the first report line (property, sanitizer or libFuzzer) on.
    sed -nE '/fuzz property violated|runtime error|==[0-9]+==ERROR|ERROR: libFuzzer/,$p' "$log" | head -n 60
  fi
done

echo
echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summaries[@]}"
exit "$failed"
