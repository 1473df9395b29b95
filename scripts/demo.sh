#!/usr/bin/env bash
# The main job: installs what is missing, builds dfs, and stores then reads
# back a file on a lone peer, printing its File ID.
#   scripts/demo.sh [FILE]     default: a 5 MiB file of random bytes
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh build
dfs=build/src/cli/dfs

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data="$work/data"
input=${1:-}
if [ -z "$input" ]; then
  input="$work/demo.bin"
  head -c $((5 << 20)) /dev/urandom >"$input"
fi

echo "\$ dfs put $input"
id=$("$dfs" --data "$data" put "$input")
echo "$id"
echo "\$ dfs get <ID> -o copy"
"$dfs" --data "$data" get "$id" -o "$work/copy"
cmp "$input" "$work/copy" && echo "the copy is bit-exact"
echo "\$ dfs ls"
"$dfs" --data "$data" ls
echo "\$ dfs status"
"$dfs" --data "$data" status
