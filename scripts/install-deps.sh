#!/usr/bin/env bash
# Installs what dfs needs to build, test, fuzz and benchmark, from Debian 12's
# packages. Idempotent: installs only what is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  # build
  g++ meson ninja-build pkg-config
  libcrypto++-dev libsqlite3-dev libboost-dev libboost-program-options-dev
  libssl-dev libprotobuf-dev protobuf-compiler libfuse3-dev fuse3
  # tests, sanitizers and fuzzing (libFuzzer comes with clang's runtime)
  libgtest-dev clang libclang-rt-14-dev
  # tools the tests and benchmarks run (real programs on a real mount)
  util-linux time git rsync attr sqlite3
  # the network harness (tests/netharness): namespaces, and NAT for a peer
  iproute2 nftables
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
