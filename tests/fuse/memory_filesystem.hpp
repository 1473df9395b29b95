// MemoryFileSystem: an in-memory fs::FileSystem for the adapter's tests, so
// that the FUSE edge (request → call → reply, errno, caching, .dfs/ids) is
// exercised by real mounts independently of the fs/ core. Its File IDs are
// derived from content (the SHA-256 as both chunk ID and key) and resolve
// only within this process.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "dfs/fs/dir_streams.hpp"
#include "dfs/fs/filesystem.hpp"

namespace dfs::fuse::test {

class MemoryFileSystem final : public fs::FileSystem {
 public:
  MemoryFileSystem();

  Result<fs::Attr> lookup(fs::Ino parent, std::string_view name) override;
  Result<fs::Attr> getattr(fs::Ino ino) override;
  Result<fs::Attr> setattr(const fs::Caller& caller, fs::Ino ino, const fs::SetAttr& changes,
                           std::optional<fs::FileHandle> fh) override;
  Result<std::vector<fs::DirEntry>> readdir(fs::Ino dir) override;
  Result<fs::FileHandle> opendir(fs::Ino dir) override { return dir_streams_.open(dir); }
  Result<std::vector<fs::DirEntry>> readdir_from(fs::FileHandle dh, fs::Ino dir, std::uint64_t offset, std::size_t max) override {
    return dir_streams_.read(dh, dir, offset, max);
  }
  Status releasedir(fs::FileHandle dh) override { return dir_streams_.release(dh); }
  Result<fs::Attr> mkdir(const fs::Caller& caller, fs::Ino parent, std::string_view name, std::uint32_t mode) override;
  Result<fs::Attr> mknod(const fs::Caller& caller, fs::Ino parent, std::string_view name, std::uint32_t mode,
                         std::uint64_t rdev) override;
  Status rmdir(fs::Ino parent, std::string_view name) override;
  Status unlink(fs::Ino parent, std::string_view name) override;
  Status rename(fs::Ino parent, std::string_view name, fs::Ino new_parent, std::string_view new_name,
                unsigned flags) override;
  Result<fs::Attr> link(fs::Ino ino, fs::Ino new_parent, std::string_view new_name) override;
  Result<fs::Attr> symlink(const fs::Caller& caller, std::string_view target, fs::Ino parent,
                           std::string_view name) override;
  Result<std::string> readlink(fs::Ino ino) override;
  Result<std::pair<fs::Attr, fs::FileHandle>> create(const fs::Caller& caller, fs::Ino parent, std::string_view name,
                                                     std::uint32_t mode, int flags) override;
  Result<fs::FileHandle> open(fs::Ino ino, int flags) override;
  Result<std::size_t> read(fs::FileHandle fh, std::uint64_t offset, MutableByteView out) override;
  Result<std::size_t> write(fs::FileHandle fh, std::uint64_t offset, ByteView data) override;
  Status flush(fs::FileHandle fh) override;
  Status fsync(fs::FileHandle fh, bool datasync) override;
  Status release(fs::FileHandle fh) override;
  Status sync_all() override;
  Result<fs::StatFs> statfs() override;
  Status setxattr(fs::Ino ino, std::string_view name, ByteView value, int flags) override;
  Result<Bytes> getxattr(fs::Ino ino, std::string_view name) override;
  Result<std::vector<std::string>> listxattr(fs::Ino ino) override;
  Status removexattr(fs::Ino ino, std::string_view name) override;
  Result<FileId> file_id(fs::Ino ino) override;
  Result<fs::Attr> open_shared(const fs::Caller& caller, const FileId& id, fs::Ino parent,
                               std::string_view name) override;

 private:
  struct Node {
    fs::Attr attr;
    std::map<std::string, fs::Ino, std::less<>> entries;  // directories
    Bytes data;                                            // regular files
    std::string target;                                    // symlinks
    std::map<std::string, Bytes, std::less<>> xattrs;
    unsigned open_count = 0;
  };
  struct Handle {
    fs::Ino ino;
    int flags;
  };

  static fs::Attr attr_of(const Node& n);
  Result<Node*> node(fs::Ino ino);
  Result<Node*> dir(fs::Ino ino);
  Result<fs::Attr> add(const fs::Caller& caller, fs::Ino parent, std::string_view name, std::uint32_t mode);
  void drop_if_unused(fs::Ino ino);
  Result<FileId> id_of(const Node& n);

  fs::DirStreams dir_streams_{*this};  // thread-safe on its own

  std::mutex mutex_;  // guards everything below
  std::unordered_map<fs::Ino, Node> nodes_;
  std::unordered_map<fs::FileHandle, Handle> handles_;
  std::unordered_map<std::string, Bytes> snapshots_;  // File ID → content
  fs::Ino next_ino_ = fs::kRootIno + 1;
  fs::FileHandle next_fh_ = 1;
};

}  // namespace dfs::fuse::test
