// IdDirectory: the mount's own read-only directory MOUNT/.dfs/ids
// (DESIGN.md §1), as a FileSystem over another one. A lookup of a File ID
// in it resolves the file that ID names: `cat MOUNT/.dfs/ids/<ID>` works
// with no extra tool. Everything else about it is the filesystem's rule,
// decided here so that it is tested without FUSE:
//  - `.dfs` and `.dfs/ids` are virtual directories (mode 0555), reachable
//    by lookup only: `.dfs` is not listed in the root and `ids` lists
//    nothing, so tools that walk the tree (find, rsync, du) never descend
//    into them. Nothing can be created, removed or renamed in them, nor can
//    the name `.dfs` in the root be taken (already_exists).
//  - A file resolved by ID is read-only: its mode shows no write bits, and
//    writing it, its attributes or its xattrs gives read_only (EROFS);
//    linking it elsewhere gives cross_device (EXDEV: `dfs open` places a
//    shared file). A directory ID resolves to its whole tree, browsable
//    (`ls`, `cat .dfs/ids/<dirID>/sub/file`) and read-only the same way:
//    nothing can be created, removed or renamed in it.
//  - The resolved files live in the inner namespace under /.dfs/ids/<ID>
//    (a hidden directory the virtual one shadows), so a second lookup of
//    an ID costs no fetch.
// Every other call goes to the inner FileSystem unchanged.
//
// Threading: as the inner FileSystem; the state here has one lock.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "dfs/fs/dir_streams.hpp"
#include "dfs/fs/filesystem.hpp"

namespace dfs::fs {

inline constexpr std::string_view kDotDfsName = ".dfs";
inline constexpr std::string_view kIdsName = "ids";
// Inode numbers of the virtual directories, far above any the index hands out.
inline constexpr Ino kDotDfsIno = 0xFFFF'FFFF'FFFF'FF01ull;
inline constexpr Ino kIdsIno = 0xFFFF'FFFF'FFFF'FF02ull;

class IdDirectory final : public FileSystem {
 public:
  explicit IdDirectory(std::unique_ptr<FileSystem> inner);

  Result<Attr> lookup(Ino parent, std::string_view name) override;
  Result<Attr> getattr(Ino ino) override;
  Result<Attr> setattr(const Caller& caller, Ino ino, const SetAttr& changes, std::optional<FileHandle> fh) override;
  Result<std::vector<DirEntry>> readdir(Ino dir) override;
  Result<FileHandle> opendir(Ino dir) override { return dir_streams_.open(dir); }
  Result<std::vector<DirEntry>> readdir_from(FileHandle dh, Ino dir, std::uint64_t offset, std::size_t max) override {
    return dir_streams_.read(dh, dir, offset, max);
  }
  Status releasedir(FileHandle dh) override { return dir_streams_.release(dh); }
  Result<Attr> mkdir(const Caller& caller, Ino parent, std::string_view name, std::uint32_t mode) override;
  Result<Attr> mknod(const Caller& caller, Ino parent, std::string_view name, std::uint32_t mode,
                     std::uint64_t rdev) override;
  Status rmdir(Ino parent, std::string_view name) override;
  Status unlink(Ino parent, std::string_view name) override;
  Status rename(Ino parent, std::string_view name, Ino new_parent, std::string_view new_name,
                unsigned flags) override;
  Result<Attr> link(Ino ino, Ino new_parent, std::string_view new_name) override;
  Result<Attr> symlink(const Caller& caller, std::string_view target, Ino parent, std::string_view name) override;
  Result<std::string> readlink(Ino ino) override;
  Result<std::pair<Attr, FileHandle>> create(const Caller& caller, Ino parent, std::string_view name,
                                             std::uint32_t mode, int flags) override;
  Result<FileHandle> open(Ino ino, int flags) override;
  bool keeps_cache(FileHandle fh) override { return inner_->keeps_cache(fh); }
  bool writes_uncached(FileHandle fh) override { return inner_->writes_uncached(fh); }
  Result<std::size_t> read(FileHandle fh, std::uint64_t offset, MutableByteView out) override;
  Result<ReadPieces> read_pieces(FileHandle fh, std::uint64_t offset, std::size_t size) override;
  Result<std::size_t> write(FileHandle fh, std::uint64_t offset, ByteView data) override;
  Result<std::size_t> write_as(const Caller& caller, FileHandle fh, std::uint64_t offset, ByteView data) override;
  Status fallocate(FileHandle fh, int mode, std::uint64_t offset, std::uint64_t length) override;
  Result<std::uint64_t> seek_data(FileHandle fh, std::uint64_t offset, bool hole) override;
  Status flush(FileHandle fh) override;
  Status fsync(FileHandle fh, bool datasync) override;
  Status release(FileHandle fh) override;
  Status sync_all() override;
  Result<StatFs> statfs() override;
  Status setxattr(Ino ino, std::string_view name, ByteView value, int flags) override;
  Result<Bytes> getxattr(Ino ino, std::string_view name) override;
  Result<std::vector<std::string>> listxattr(Ino ino) override;
  Status removexattr(Ino ino, std::string_view name) override;
  Result<FileId> file_id(Ino ino) override;
  Result<DirectorySnapshot> snapshot(Ino dir, SnapshotScope scope) override;
  Result<RestoreSummary> restore(const FileId& root) override { return inner_->restore(root); }
  Status wait_replicated(std::chrono::milliseconds timeout) override { return inner_->wait_replicated(timeout); }
  Result<Attr> open_shared(const Caller& caller, const FileId& id, Ino parent, std::string_view name) override;

 private:
  static bool is_virtual(Ino ino) { return ino == kDotDfsIno || ino == kIdsIno; }
  // Whether parent/name is a name no call may change.
  static bool is_reserved(Ino parent, std::string_view name) {
    return is_virtual(parent) || (parent == kRootIno && name == kDotDfsName);
  }
  // What a call that would make parent/name gets when the name is reserved.
  static Error reserved_for_new(Ino parent, std::string_view name);
  bool is_shared(Ino ino);
  // Virtual inodes, shared files, and whether writes to `ino` are refused.
  Status check_writable(Ino ino);
  Attr virtual_dir(Ino ino) const;
  // A shared file's attributes show no write bits.
  Result<Attr> shown(Result<Attr> attr);
  Result<Ino> hidden_ids_dir();
  Result<Attr> resolve_id(std::string_view name);
  Status mark_tree_shared(Ino top);

  const std::unique_ptr<FileSystem> inner_;
  const Timespec created_at_;  // the virtual directories' times

  DirStreams dir_streams_{*this};         // listings through this view (.dfs hidden)

  std::mutex mu_;                         // guards the two below
  std::unordered_set<Ino> shared_;        // inodes resolved through .dfs/ids
  std::optional<Ino> hidden_ids_;         // the inner /.dfs/ids, once made
};

}  // namespace dfs::fs
