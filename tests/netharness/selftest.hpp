// `dfs-netharness selftest`: how fast the emulator forwards. TCP streams
// (one, or several at once as iperf3 -P) between two namespaces through
// it, against the same streams over loopback inside one namespace (no
// emulator), in the same run.
#pragma once

#include <cstdint>

#include "link_emulator.hpp"

namespace dfs::netharness {

// Prints MB/s both ways, their ratio and the emulator's CPU-seconds per
// GiB; returns a process exit status.
int run_selftest(std::uint64_t bytes, int mtu, const LinkParams& link, int streams);

}  // namespace dfs::netharness
