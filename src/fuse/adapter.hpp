// Mount::Adapter: what the request handlers share: the FileSystem and the
// mount's configuration. No state of its own (fs/ keeps it). Internal to
// fuse/.
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "dfs/fuse/mount.hpp"

namespace dfs::fuse {

struct Mount::Adapter {
  Adapter(fs::FileSystem& filesystem, const MountOptions& options)
      : fs(filesystem),
        entry_timeout(options.entry_timeout),
        attr_timeout(options.attr_timeout),
        max_write(options.max_write) {}

  fs::FileSystem& fs;
  const double entry_timeout;
  const double attr_timeout;
  const std::uint32_t max_write;
};

const fuse_lowlevel_ops& lowlevel_ops();

}  // namespace dfs::fuse
