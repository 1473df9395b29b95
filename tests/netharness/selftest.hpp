// `dfs-netharness selftest`: how fast the emulator forwards. One TCP
// stream between two namespaces through it, against the same stream over
// loopback inside one namespace (no emulator), in the same run.
#pragma once

#include <cstdint>

#include "link_emulator.hpp"

namespace dfs::netharness {

// Prints MB/s both ways, their ratio and the emulator's CPU-seconds per
// GiB; returns a process exit status.
int run_selftest(std::uint64_t bytes, int mtu, const LinkParams& link);

}  // namespace dfs::netharness
