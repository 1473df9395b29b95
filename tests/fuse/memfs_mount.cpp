// dfs_memfs_mount [-d] [-o OPTS] MOUNTPOINT: mounts a MemoryFileSystem
// through the fuse/ adapter in the foreground, until unmounted or
// signalled. The FUSE tests run against it to check the adapter alone.
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "dfs/fs/id_directory.hpp"
#include "dfs/fuse/mount.hpp"
#include "dfs/util/log.hpp"
#include "memory_filesystem.hpp"

int main(int argc, char** argv) {
  dfs::fuse::MountOptions options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-d") == 0) {
      options.debug = true;
    } else if (std::strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
      options.fuse_options.emplace_back(argv[++i]);
    } else {
      options.mountpoint = argv[i];
    }
  }
  if (options.mountpoint.empty()) {
    std::fprintf(stderr, "usage: dfs_memfs_mount [-d] [-o OPTS] MOUNTPOINT\n");
    return 2;
  }
  dfs::log::set_level(dfs::log::Level::warn);
  // With the mount's .dfs/ids on top, as dfsmount has it.
  dfs::fs::IdDirectory filesystem(std::make_unique<dfs::fuse::test::MemoryFileSystem>());
  auto mount = dfs::fuse::Mount::create(filesystem, options);
  if (!mount.ok()) {
    std::fprintf(stderr, "dfs_memfs_mount: %s\n", mount.error().message.c_str());
    return 1;
  }
  std::fprintf(stderr, "dfs_memfs_mount: mounted on %s\n", options.mountpoint.c_str());
  auto status = (*mount)->run();
  if (!status.ok()) {
    std::fprintf(stderr, "dfs_memfs_mount: %s\n", status.error().message.c_str());
    return 1;
  }
  return 0;
}
