// IdDirectory: the virtual .dfs/ids directory and the read-only files it
// resolves; every other call passes through to the inner FileSystem.
#include "dfs/fs/id_directory.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <string>

#include "dfs/util/clock.hpp"
#include "dfs/util/log.hpp"

namespace dfs::fs {

namespace {

constexpr std::uint32_t kWriteBits = 0222;

bool writes(int flags) { return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0; }

Error read_only(std::string_view what) {
  return make_error(Errc::read_only, std::string(what) + " is read-only (.dfs is the mount's own directory, "
                                                         "and files opened by ID cannot change)");
}

Timespec realtime_now() {
  const std::int64_t ns = now_ns();
  return Timespec{ns / 1'000'000'000, ns % 1'000'000'000};
}

}  // namespace

IdDirectory::IdDirectory(std::unique_ptr<FileSystem> inner) : inner_(std::move(inner)), created_at_(realtime_now()) {}

Error IdDirectory::reserved_for_new(Ino parent, std::string_view name) {
  if (is_virtual(parent)) return read_only(".dfs");
  return make_error(Errc::already_exists, std::string(name) + " is the mount's own directory");
}

bool IdDirectory::is_shared(Ino ino) {
  std::lock_guard lock(mu_);
  return shared_.count(ino) != 0;
}

Status IdDirectory::check_writable(Ino ino) {
  if (is_virtual(ino)) return read_only(".dfs");
  if (is_shared(ino)) return read_only("inode " + std::to_string(ino));
  return {};
}

Attr IdDirectory::virtual_dir(Ino ino) const {
  Attr attr;
  attr.ino = ino;
  attr.mode = S_IFDIR | 0555;
  attr.nlink = 2;
  attr.atime = attr.mtime = attr.ctime = created_at_;
  return attr;
}

Result<Attr> IdDirectory::shown(Result<Attr> attr) {
  if (attr.ok() && is_shared(attr->ino)) attr->mode &= ~kWriteBits;
  return attr;
}

Result<Ino> IdDirectory::hidden_ids_dir() {
  {
    std::lock_guard lock(mu_);
    if (hidden_ids_) return *hidden_ids_;
  }
  const Caller owner{0, 0, 077};
  Ino dir = kRootIno;
  for (std::string_view name : {kDotDfsName, kIdsName}) {
    auto found = inner_->lookup(dir, name);
    if (!found.ok() && found.error().code == Errc::not_found) found = inner_->mkdir(owner, dir, name, 0755);
    if (!found.ok() && found.error().code == Errc::already_exists) found = inner_->lookup(dir, name);  // a race
    if (!found.ok()) return found.take_error();
    dir = found->ino;
  }
  std::lock_guard lock(mu_);
  hidden_ids_ = dir;
  return dir;
}

Result<Attr> IdDirectory::resolve_id(std::string_view name) {
  auto id = FileId::parse(name);
  if (!id.ok()) {
    log::warn("fs: .dfs/ids/" + std::string(name.substr(0, 16)) + (name.size() > 16 ? "…" : "") +
              ": not a File ID: " + id.error().message);
    // not_found, not invalid_argument: a lookup miss lets mkdir/create
    // report read_only.
    return make_error(Errc::not_found, id.error().message);
  }
  DFS_ASSIGN_OR_RETURN(const Ino dir, hidden_ids_dir());
  const std::string canonical = id->to_string();
  auto attr = inner_->lookup(dir, canonical);
  if (!attr.ok() && attr.error().code == Errc::not_found) {
    // Owned by root, readable by all (shown without write bits).
    attr = inner_->open_shared(Caller{0, 0, 022}, *id, dir, canonical);
    if (!attr.ok() && attr.error().code == Errc::already_exists) attr = inner_->lookup(dir, canonical);
    if (!attr.ok()) log::warn("fs: .dfs/ids/" + canonical.substr(0, 16) + "…: " + attr.error().to_string());
  }
  if (!attr.ok()) return attr;
  {
    std::lock_guard lock(mu_);
    if (!shared_.insert(attr->ino).second) return shown(std::move(attr));
  }
  if (S_ISDIR(attr->mode)) DFS_TRY(mark_tree_shared(attr->ino));
  return shown(std::move(attr));
}

// Everything beneath a directory resolved by ID is read-only too.
Status IdDirectory::mark_tree_shared(Ino top) {
  std::vector<Ino> pending{top};
  std::vector<Ino> found;
  while (!pending.empty()) {
    const Ino dir = pending.back();
    pending.pop_back();
    DFS_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, inner_->readdir(dir));
    for (const DirEntry& e : entries) {
      found.push_back(e.ino);
      if (S_ISDIR(e.mode)) pending.push_back(e.ino);
    }
  }
  std::lock_guard lock(mu_);
  shared_.insert(found.begin(), found.end());
  return {};
}

// ---- names -----------------------------------------------------------------

Result<Attr> IdDirectory::lookup(Ino parent, std::string_view name) {
  if (parent == kRootIno && name == kDotDfsName) return virtual_dir(kDotDfsIno);
  if (parent == kDotDfsIno) {
    if (name == kIdsName) return virtual_dir(kIdsIno);
    return make_error(Errc::not_found, "no '" + std::string(name) + "' in .dfs");
  }
  if (parent == kIdsIno) return resolve_id(name);
  return shown(inner_->lookup(parent, name));
}

Result<Attr> IdDirectory::getattr(Ino ino) {
  if (is_virtual(ino)) return virtual_dir(ino);
  return shown(inner_->getattr(ino));
}

Result<Attr> IdDirectory::setattr(const Caller& caller, Ino ino, const SetAttr& changes,
                                  std::optional<FileHandle> fh) {
  DFS_TRY(check_writable(ino));
  return inner_->setattr(caller, ino, changes, fh);
}

Result<std::vector<DirEntry>> IdDirectory::readdir(Ino dir) {
  if (is_virtual(dir)) return std::vector<DirEntry>{};  // lookup only: IDs are not listed
  DFS_ASSIGN_OR_RETURN(auto entries, inner_->readdir(dir));
  if (dir == kRootIno) std::erase_if(entries, [](const DirEntry& e) { return e.name == kDotDfsName; });
  return entries;
}

Result<Attr> IdDirectory::mkdir(const Caller& caller, Ino parent, std::string_view name, std::uint32_t mode) {
  if (is_reserved(parent, name)) return reserved_for_new(parent, name);
  if (is_shared(parent)) return read_only("a directory opened by ID");
  return inner_->mkdir(caller, parent, name, mode);
}

Result<Attr> IdDirectory::mknod(const Caller& caller, Ino parent, std::string_view name, std::uint32_t mode,
                                std::uint64_t rdev) {
  if (is_reserved(parent, name)) return reserved_for_new(parent, name);
  if (is_shared(parent)) return read_only("a directory opened by ID");
  return inner_->mknod(caller, parent, name, mode, rdev);
}

Result<Attr> IdDirectory::symlink(const Caller& caller, std::string_view target, Ino parent, std::string_view name) {
  if (is_reserved(parent, name)) return reserved_for_new(parent, name);
  if (is_shared(parent)) return read_only("a directory opened by ID");
  return inner_->symlink(caller, target, parent, name);
}

Status IdDirectory::rmdir(Ino parent, std::string_view name) {
  if (is_reserved(parent, name)) return read_only(".dfs");
  if (is_shared(parent)) return read_only("a directory opened by ID");
  return inner_->rmdir(parent, name);
}

Status IdDirectory::unlink(Ino parent, std::string_view name) {
  if (is_reserved(parent, name)) return read_only(".dfs");
  if (is_shared(parent)) return read_only("a directory opened by ID");
  return inner_->unlink(parent, name);
}

Status IdDirectory::rename(Ino parent, std::string_view name, Ino new_parent, std::string_view new_name,
                           unsigned flags) {
  if (is_reserved(parent, name) || is_reserved(new_parent, new_name)) return read_only(".dfs");
  if (is_shared(parent) || is_shared(new_parent)) return read_only("a directory opened by ID");
  return inner_->rename(parent, name, new_parent, new_name, flags);
}

Result<Attr> IdDirectory::link(Ino ino, Ino new_parent, std::string_view new_name) {
  if (is_reserved(new_parent, new_name)) return read_only(".dfs");
  if (is_shared(new_parent)) return read_only("a directory opened by ID");
  if (is_virtual(ino)) return make_error(Errc::is_directory, "a directory cannot be hard-linked");
  if (is_shared(ino)) {
    return make_error(Errc::cross_device, "a file opened by ID cannot be linked; `dfs open ID PATH` places it");
  }
  return inner_->link(ino, new_parent, new_name);
}

Result<std::string> IdDirectory::readlink(Ino ino) {
  if (is_virtual(ino)) return make_error(Errc::invalid_argument, "not a symbolic link");
  return inner_->readlink(ino);
}

// ---- files -----------------------------------------------------------------

Result<std::pair<Attr, FileHandle>> IdDirectory::create(const Caller& caller, Ino parent, std::string_view name,
                                                        std::uint32_t mode, int flags) {
  if (is_reserved(parent, name)) return reserved_for_new(parent, name);
  if (is_shared(parent)) return read_only("a directory opened by ID");
  return inner_->create(caller, parent, name, mode, flags);
}

Result<FileHandle> IdDirectory::open(Ino ino, int flags) {
  if (is_virtual(ino)) return make_error(Errc::is_directory, ".dfs is a directory");
  if (writes(flags)) DFS_TRY(check_writable(ino));
  return inner_->open(ino, flags);
}

Result<std::size_t> IdDirectory::read(FileHandle fh, std::uint64_t offset, MutableByteView out) {
  return inner_->read(fh, offset, out);
}

Result<ReadPieces> IdDirectory::read_pieces(FileHandle fh, std::uint64_t offset, std::size_t size) {
  return inner_->read_pieces(fh, offset, size);
}

// Handles of shared files are read-only (open refused the others): the
// inner FileSystem refuses writes through them.
Result<std::size_t> IdDirectory::write(FileHandle fh, std::uint64_t offset, ByteView data) {
  return inner_->write(fh, offset, data);
}

Result<std::size_t> IdDirectory::write_as(const Caller& caller, FileHandle fh, std::uint64_t offset, ByteView data) {
  return inner_->write_as(caller, fh, offset, data);
}

Status IdDirectory::fallocate(FileHandle fh, int mode, std::uint64_t offset, std::uint64_t length) {
  return inner_->fallocate(fh, mode, offset, length);
}

Result<std::uint64_t> IdDirectory::seek_data(FileHandle fh, std::uint64_t offset, bool hole) {
  return inner_->seek_data(fh, offset, hole);
}

Status IdDirectory::flush(FileHandle fh) { return inner_->flush(fh); }
Status IdDirectory::fsync(FileHandle fh, bool datasync) { return inner_->fsync(fh, datasync); }
Status IdDirectory::release(FileHandle fh) { return inner_->release(fh); }
Status IdDirectory::sync_all() { return inner_->sync_all(); }
Result<StatFs> IdDirectory::statfs() { return inner_->statfs(); }

// ---- xattrs, IDs -----------------------------------------------------------

Status IdDirectory::setxattr(Ino ino, std::string_view name, ByteView value, int flags) {
  DFS_TRY(check_writable(ino));
  return inner_->setxattr(ino, name, value, flags);
}

Result<Bytes> IdDirectory::getxattr(Ino ino, std::string_view name) {
  if (is_virtual(ino)) return make_error(Errc::not_found, "no attribute " + std::string(name) + " on .dfs");
  return inner_->getxattr(ino, name);
}

Result<std::vector<std::string>> IdDirectory::listxattr(Ino ino) {
  if (is_virtual(ino)) return std::vector<std::string>{};
  return inner_->listxattr(ino);
}

Status IdDirectory::removexattr(Ino ino, std::string_view name) {
  DFS_TRY(check_writable(ino));
  return inner_->removexattr(ino, name);
}

Result<FileId> IdDirectory::file_id(Ino ino) {
  if (is_virtual(ino)) return make_error(Errc::is_directory, ".dfs is a directory");
  return inner_->file_id(ino);
}

Result<DirectorySnapshot> IdDirectory::snapshot(Ino dir, SnapshotScope scope) {
  if (is_virtual(dir)) return make_error(Errc::invalid_argument, ".dfs is the mount's own and has no snapshot");
  return inner_->snapshot(dir, scope);
}

Result<Attr> IdDirectory::open_shared(const Caller& caller, const FileId& id, Ino parent, std::string_view name) {
  if (is_reserved(parent, name)) return reserved_for_new(parent, name);
  if (is_shared(parent)) return read_only("a directory opened by ID");
  return inner_->open_shared(caller, id, parent, name);
}

}  // namespace dfs::fs
