#!/usr/bin/env bash
# The product in one command: installs what is missing, builds dfs, then
#   - mounts alice's peer alone, copies a tree in, lists and reads it by path;
#   - mounts bob's peer on another loopback address, joined to alice's;
#   - shares a file's ID: bob opens it by path on his mount and reads it;
#   - prints `dfs status` of both, and unmounts both cleanly.
#   scripts/demo.sh [--keep]    --keep leaves both mounts up and says how to stop them
set -euo pipefail
cd "$(dirname "$0")/.."
keep=false
[ "${1:-}" = --keep ] && keep=true

scripts/install-deps.sh
scripts/build.sh build
dfs=$PWD/build/src/cli/dfs
dfsmount=$PWD/build/src/cli/dfsmount

work=$(mktemp -d /tmp/dfs-demo-XXXXXX)
alice=$work/alice
bob=$work/bob
mkdir -p "$alice/mnt" "$bob/mnt"

# Waits (at most 30 s) until no process holds a data directory's store.
released() {
  for _ in $(seq 300); do
    flock -n "$1/store/LOCK" true 2>/dev/null && return 0
    sleep 0.1
  done
  echo "a dfsmount on $1 did not exit" >&2
  return 1
}
stop() {
  for peer in "$bob" "$alice"; do
    if mountpoint -q "$peer/mnt"; then fusermount3 -u "$peer/mnt"; fi
  done
  released "$alice" && released "$bob" && rm -rf "$work"
}
$keep || trap stop EXIT

run() {
  echo "\$ $*" | sed "s|$dfs|dfs|; s|$dfsmount|dfsmount|; s|$work|\$demo|g"
  "$@"
}

echo "== alice mounts a lone peer (listening on 127.0.0.1, any free port)"
said=$(run "$dfsmount" --data "$alice" --listen 127.0.0.1:0 "$alice/mnt" 2>&1)
echo "$said"
address=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' <<<"$said")

echo "== alice copies a tree in and reads it by path"
run cp -a man "$alice/mnt/docs"
run ls -l "$alice/mnt/docs"
run head -3 "$alice/mnt/docs/dfs.1"
diff -r man "$alice/mnt/docs" && echo "(the tree reads back bit-exact)"

echo "== bob mounts his peer on 127.0.0.2, joining alice's"
run "$dfsmount" --data "$bob" --listen 127.0.0.2:0 --bootstrap "$address" "$bob/mnt"
for _ in $(seq 100); do
  [ -n "$("$dfs" --data "$bob" peers 2>/dev/null)" ] && break
  sleep 0.1
done

echo "== alice shares a file's ID; bob opens it by path on his mount"
echo "\$ dfs id \$demo/alice/mnt/docs/dfsmount.8"
id=$("$dfs" id "$alice/mnt/docs/dfsmount.8")
echo "$id"
run "$dfs" open "$id" "$bob/mnt/from-alice.8"
run head -3 "$bob/mnt/from-alice.8"
cmp man/dfsmount.8 "$bob/mnt/from-alice.8" && echo "(bob's copy is bit-exact)"

echo "== dfs status, alice then bob"
run "$dfs" --data "$alice" status
run "$dfs" --data "$bob" status

if $keep; then
  echo
  echo "The mounts stay up: $alice/mnt (alice) and $bob/mnt (bob). Stop them with"
  echo "  fusermount3 -u $bob/mnt; fusermount3 -u $alice/mnt; rm -rf $work"
else
  echo "== unmount both"
  stop
  trap - EXIT
  echo "unmounted; $work removed"
fi
