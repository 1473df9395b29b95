// Mount::Adapter: the state the request handlers share. Internal to fuse/.
#pragma once

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "dfs/fuse/mount.hpp"

namespace dfs::fuse {

// Inode numbers of the virtual directories MOUNT/.dfs and MOUNT/.dfs/ids,
// far above any the index hands out.
inline constexpr fs::Ino kDotDfsIno = 0xFFFF'FFFF'FFFF'FF01ull;
inline constexpr fs::Ino kIdsIno = 0xFFFF'FFFF'FFFF'FF02ull;
inline constexpr std::string_view kIdsName = "ids";

struct Mount::Adapter {
  Adapter(fs::FileSystem& filesystem, const MountOptions& options);

  fs::FileSystem& fs;
  const double entry_timeout;
  const double attr_timeout;
  const std::uint32_t max_write;
  const fs::Timespec mounted_at;

  // What a file looked like when last opened or closed here: if it is the
  // same at the next open, the kernel's cached pages are still its content.
  struct Stamp {
    std::uint64_t size = 0;
    fs::Timespec mtime;
    bool operator==(const Stamp&) const = default;
  };
  bool note_open(fs::Ino ino, const fs::Attr& attr);   // true: keep the page cache
  void note_close(fs::Ino ino, const fs::Attr& attr);
  bool is_shared(fs::Ino ino);
  // The hidden fs directory that holds files resolved through .dfs/ids
  // (the fs's own "/.dfs/ids", shadowed by the virtual one).
  Result<fs::Ino> hidden_ids_dir();
  Result<fs::Attr> resolve_id(const fs::Caller& caller, std::string_view name);

  std::mutex mutex;                               // guards the three below
  std::unordered_map<fs::Ino, Stamp> stamps;
  std::unordered_set<fs::Ino> shared;             // inodes reached through .dfs/ids: read-only
  std::optional<fs::Ino> hidden_ids;
};

const fuse_lowlevel_ops& lowlevel_ops();

}  // namespace dfs::fuse
