// What the kernel holds of another process's privileges, as /proc shows
// it: for decisions the kernel leaves to a FUSE server (e.g. whether a
// write clears a file's setuid bit, fs::FileSystem::write_as).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "dfs/util/result.hpp"

namespace dfs {

struct ProcessCredentials {
  std::uint64_t effective_caps = 0;  // CapEff: bit N is capability N (linux/capability.h)
  std::vector<std::uint32_t> groups;  // supplementary groups

  bool has_capability(int cap) const { return cap >= 0 && cap < 64 && ((effective_caps >> cap) & 1) != 0; }
  bool in_group(std::uint32_t gid) const;
};

// The credentials in the text of a /proc/PID/status file (its CapEff and
// Groups lines); invalid_argument if either is missing or malformed.
Result<ProcessCredentials> parse_proc_status(std::string_view status);

// The credentials of process (or thread) `pid` now; not_found if it is gone.
Result<ProcessCredentials> process_credentials(std::uint32_t pid);

}  // namespace dfs
