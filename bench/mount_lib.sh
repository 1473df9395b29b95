# shellcheck shell=bash
# The filesystems the mount benchmarks compare, set up one way for all of
# them (bench/mount.sh, bench/sparse.sh). Source after p2p_lib.sh, with
# $work made (p2p_make_work), $dfsmount set and "$work/password" written.
#
# Each NAME (raw, bindfs, gocryptfs, cryfs, dfs) has a backing directory
# $work/NAME.back and, unless raw, a mount point $work/NAME.mnt; target_of
# NAME is where the files go. mount_pid[NAME] is its daemon while mounted.
declare -A mount_pid=()
target_of() { if [[ $1 == raw ]]; then echo "$work/raw.back"; else echo "$work/$1.mnt"; fi; }

# setup_fs NAME: a fresh, empty backing directory (gocryptfs: initialised).
setup_fs() {
  local back=$work/$1.back
  rm -rf "$back"
  mkdir -p "$back"
  [[ $1 == raw ]] || mkdir -p "$work/$1.mnt"
  log=$work/$1.setup.log
  if [[ $1 == gocryptfs ]]; then
    gocryptfs -init -q -passfile "$work/password" "$back" >"$log" 2>&1 || fail "gocryptfs -init failed"
  fi
}

# mount_fs NAME: mounts NAME on its mount point, its daemon in the
# foreground in the background (so that its pid is known), and waits.
mount_fs() {
  local name=$1 back=$work/$1.back mnt=$work/$1.mnt logfile=$work/$1.log
  case $name in
    raw) return 0 ;;
    bindfs) p2p_spawn "$logfile" bindfs -f "$back" "$mnt" ;;
    gocryptfs) p2p_spawn "$logfile" gocryptfs -fg -q -passfile "$work/password" "$back" "$mnt" ;;
    cryfs)  # the password on stdin; noninteractive: defaults for the rest (16 KiB blocks).
      # cryfs remembers the filesystem it last saw in a base directory and
      # refuses a new one there; each round makes a new one on purpose.
      # shellcheck disable=SC2016  # $1..$3 expand in the inner sh
      p2p_spawn "$logfile" env CRYFS_FRONTEND=noninteractive CRYFS_NO_UPDATE_CHECK=true \
        sh -c 'exec cryfs -f --allow-replaced-filesystem --cipher aes-256-gcm "$1" "$2" <"$3"' cryfs "$back" "$mnt" "$work/password" ;;
    dfs) p2p_spawn "$logfile" "$dfsmount" -f --data "$back" "$mnt" ;;
  esac
  mount_pid[$name]=$spawned
  # cryfs derives its key with scrypt: tens of seconds on a busy machine.
  p2p_mounted "$mnt" "$spawned" 180 "$logfile"
  set_read_ahead "$mnt"
}

# The kernel reads ahead at most 128 KiB on a FUSE mount (its bdi starts at
# the default read_ahead_kb and the daemon's max_readahead can only lower
# it), so reads reach the daemon in 128 KiB requests. With
# DFS_BENCH_READ_AHEAD_KB every FUSE mount (all alike) gets that instead.
set_read_ahead() {
  [[ -n ${DFS_BENCH_READ_AHEAD_KB:-} ]] || return 0
  echo "$DFS_BENCH_READ_AHEAD_KB" >"/sys/class/bdi/$(mountpoint -d "$1")/read_ahead_kb" ||
    fail "cannot set read_ahead_kb of $1"
}

unmount_fs() {
  [[ $1 == raw ]] && return 0
  p2p_unmount "$work/$1.mnt" "${mount_pid[$1]}"
  unset "mount_pid[$1]"
}
