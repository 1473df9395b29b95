#include "memory_filesystem.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "dfs/crypto/crypto.hpp"

namespace dfs::fuse::test {
namespace {

constexpr std::size_t kNameMax = 255;

fs::Timespec now() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return {ts.tv_sec, ts.tv_nsec};
}

bool is_dir(std::uint32_t mode) { return S_ISDIR(mode); }

}  // namespace

// A node's attributes with the size of its content.
fs::Attr MemoryFileSystem::attr_of(const Node& n) {
  fs::Attr a = n.attr;
  if (S_ISREG(a.mode)) a.size = n.data.size();
  a.blocks = (a.size + 511) / 512;
  return a;
}

namespace {

Status check_name(std::string_view name) {
  if (name.size() > kNameMax) return make_error(Errc::name_too_long, "name longer than 255 bytes");
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos) {
    return make_error(Errc::invalid_argument, "bad name");
  }
  return {};
}

}  // namespace

MemoryFileSystem::MemoryFileSystem() {
  Node root;
  root.attr.ino = fs::kRootIno;
  root.attr.mode = S_IFDIR | 0755;
  root.attr.nlink = 2;
  root.attr.atime = root.attr.mtime = root.attr.ctime = now();
  nodes_.emplace(fs::kRootIno, std::move(root));
}

Result<MemoryFileSystem::Node*> MemoryFileSystem::node(fs::Ino ino) {
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return make_error(Errc::not_found, "no inode " + std::to_string(ino));
  return &it->second;
}

Result<MemoryFileSystem::Node*> MemoryFileSystem::dir(fs::Ino ino) {
  DFS_ASSIGN_OR_RETURN(Node * n, node(ino));
  if (!is_dir(n->attr.mode)) return make_error(Errc::not_directory, "not a directory");
  return n;
}

void MemoryFileSystem::drop_if_unused(fs::Ino ino) {
  auto it = nodes_.find(ino);
  if (it != nodes_.end() && it->second.attr.nlink == 0 && it->second.open_count == 0) nodes_.erase(it);
}

Result<fs::Attr> MemoryFileSystem::add(const fs::Caller& caller, fs::Ino parent, std::string_view name,
                                       std::uint32_t mode) {
  DFS_ASSIGN_OR_RETURN(Node * p, dir(parent));
  DFS_TRY(check_name(name));
  if (p->entries.count(name)) return make_error(Errc::already_exists, std::string(name) + " exists");
  Node n;
  n.attr.ino = next_ino_++;
  n.attr.mode = mode;
  if (!S_ISLNK(mode)) n.attr.mode = (mode & S_IFMT) | (mode & 07777 & ~caller.umask);
  n.attr.nlink = is_dir(mode) ? 2 : 1;
  n.attr.uid = caller.uid;
  n.attr.gid = caller.gid;
  n.attr.atime = n.attr.mtime = n.attr.ctime = now();
  p->entries.emplace(std::string(name), n.attr.ino);
  if (is_dir(mode)) ++p->attr.nlink;
  p->attr.mtime = p->attr.ctime = now();
  const fs::Attr attr = n.attr;
  nodes_.emplace(attr.ino, std::move(n));
  return attr;
}

Result<fs::Attr> MemoryFileSystem::lookup(fs::Ino parent, std::string_view name) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(Node * p, dir(parent));
  if (name.size() > kNameMax) return make_error(Errc::name_too_long, "name longer than 255 bytes");
  auto it = p->entries.find(name);
  if (it == p->entries.end()) return make_error(Errc::not_found, std::string(name));
  return attr_of(nodes_.at(it->second));
}

Result<fs::Attr> MemoryFileSystem::getattr(fs::Ino ino) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(Node * n, node(ino));
  return attr_of(*n);
}

Result<fs::Attr> MemoryFileSystem::setattr(const fs::Caller&, fs::Ino ino, const fs::SetAttr& c,
                                           std::optional<fs::FileHandle>) {
  {
    std::lock_guard lock(mutex_);
    DFS_ASSIGN_OR_RETURN(Node * n, node(ino));
    if (c.size) {
      if (is_dir(n->attr.mode)) return make_error(Errc::is_directory, "truncate of a directory");
      n->data.resize(*c.size);
      n->attr.mtime = now();
    }
    if (c.mode) n->attr.mode = (n->attr.mode & S_IFMT) | (*c.mode & 07777);
    if (c.uid) n->attr.uid = *c.uid;
    if (c.gid) n->attr.gid = *c.gid;
    if (c.atime) n->attr.atime = *c.atime;
    if (c.atime_now) n->attr.atime = now();
    if (c.mtime) n->attr.mtime = *c.mtime;
    if (c.mtime_now) n->attr.mtime = now();
    n->attr.ctime = now();
  }
  return getattr(ino);
}

Result<std::vector<fs::DirEntry>> MemoryFileSystem::readdir(fs::Ino ino) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(Node * d, dir(ino));
  std::vector<fs::DirEntry> out;
  for (const auto& [name, child] : d->entries) out.push_back({name, child, nodes_.at(child).attr.mode});
  return out;
}

Result<fs::Attr> MemoryFileSystem::mkdir(const fs::Caller& caller, fs::Ino parent, std::string_view name,
                                         std::uint32_t mode) {
  std::lock_guard lock(mutex_);
  return add(caller, parent, name, S_IFDIR | (mode & 07777));
}

Result<fs::Attr> MemoryFileSystem::mknod(const fs::Caller& caller, fs::Ino parent, std::string_view name,
                                         std::uint32_t mode, std::uint64_t rdev) {
  std::lock_guard lock(mutex_);
  if ((mode & S_IFMT) == 0) mode |= S_IFREG;
  if (S_ISDIR(mode) || S_ISLNK(mode)) return make_error(Errc::invalid_argument, "mknod of a directory or symlink");
  DFS_ASSIGN_OR_RETURN(fs::Attr attr, add(caller, parent, name, mode));
  if (S_ISCHR(mode) || S_ISBLK(mode)) nodes_.at(attr.ino).attr.rdev = attr.rdev = rdev;
  return attr;
}

Status MemoryFileSystem::rmdir(fs::Ino parent, std::string_view name) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(Node * p, dir(parent));
  if (name == ".") return make_error(Errc::invalid_argument, "rmdir of .");
  auto it = p->entries.find(name);
  if (it == p->entries.end()) return make_error(Errc::not_found, std::string(name));
  Node& n = nodes_.at(it->second);
  if (!is_dir(n.attr.mode)) return make_error(Errc::not_directory, std::string(name));
  if (!n.entries.empty()) return make_error(Errc::not_empty, std::string(name));
  n.attr.nlink = 0;
  const fs::Ino ino = it->second;
  p->entries.erase(it);
  --p->attr.nlink;
  p->attr.mtime = p->attr.ctime = now();
  drop_if_unused(ino);
  return {};
}

Status MemoryFileSystem::unlink(fs::Ino parent, std::string_view name) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(Node * p, dir(parent));
  auto it = p->entries.find(name);
  if (it == p->entries.end()) return make_error(Errc::not_found, std::string(name));
  Node& n = nodes_.at(it->second);
  if (is_dir(n.attr.mode)) return make_error(Errc::is_directory, std::string(name));
  --n.attr.nlink;
  n.attr.ctime = now();
  const fs::Ino ino = it->second;
  p->entries.erase(it);
  p->attr.mtime = p->attr.ctime = now();
  drop_if_unused(ino);
  return {};
}

Status MemoryFileSystem::rename(fs::Ino parent, std::string_view name, fs::Ino new_parent,
                                std::string_view new_name, unsigned flags) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(Node * from, dir(parent));
  DFS_ASSIGN_OR_RETURN(Node * to, dir(new_parent));
  DFS_TRY(check_name(new_name));
  auto src = from->entries.find(name);
  if (src == from->entries.end()) return make_error(Errc::not_found, std::string(name));
  const fs::Ino moving = src->second;
  auto dst = to->entries.find(new_name);
  // A directory may not move below itself.
  for (fs::Ino up = new_parent; is_dir(nodes_.at(moving).attr.mode) && up != fs::kRootIno;) {
    if (up == moving) return make_error(Errc::invalid_argument, "rename into itself");
    bool found = false;
    for (const auto& [ino, n] : nodes_) {
      if (is_dir(n.attr.mode) && std::any_of(n.entries.begin(), n.entries.end(),
                                              [&](const auto& e) { return e.second == up; })) {
        up = ino;
        found = true;
        break;
      }
    }
    if (!found) break;
  }
  const bool moving_dir = is_dir(nodes_.at(moving).attr.mode);
  if (flags & fs::kRenameExchange) {
    if (dst == to->entries.end()) return make_error(Errc::not_found, std::string(new_name));
    const fs::Ino other = dst->second;
    const bool other_dir = is_dir(nodes_.at(other).attr.mode);
    src->second = other;
    dst->second = moving;
    if (moving_dir != other_dir && parent != new_parent) {
      if (moving_dir) { --from->attr.nlink; ++to->attr.nlink; } else { ++from->attr.nlink; --to->attr.nlink; }
    }
    from->attr.mtime = to->attr.mtime = now();
    return {};
  }
  if (dst != to->entries.end()) {
    if (flags & fs::kRenameNoReplace) return make_error(Errc::already_exists, std::string(new_name));
    if (dst->second == moving) return {};
    Node& old = nodes_.at(dst->second);
    if (is_dir(old.attr.mode) && !moving_dir) return make_error(Errc::is_directory, std::string(new_name));
    if (!is_dir(old.attr.mode) && moving_dir) return make_error(Errc::not_directory, std::string(new_name));
    if (is_dir(old.attr.mode) && !old.entries.empty()) return make_error(Errc::not_empty, std::string(new_name));
    const fs::Ino replaced = dst->second;
    if (is_dir(old.attr.mode)) {
      old.attr.nlink = 0;
      --to->attr.nlink;
    } else {
      --old.attr.nlink;
    }
    to->entries.erase(dst);
    drop_if_unused(replaced);
  }
  from->entries.erase(src);
  to->entries.emplace(std::string(new_name), moving);
  if (moving_dir) {
    --from->attr.nlink;
    ++to->attr.nlink;
  }
  from->attr.mtime = to->attr.mtime = nodes_.at(moving).attr.ctime = now();
  return {};
}

Result<fs::Attr> MemoryFileSystem::link(fs::Ino ino, fs::Ino new_parent, std::string_view new_name) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(Node * n, node(ino));
  if (is_dir(n->attr.mode)) return make_error(Errc::permission_denied, "hard link to a directory");
  DFS_ASSIGN_OR_RETURN(Node * p, dir(new_parent));
  DFS_TRY(check_name(new_name));
  if (p->entries.count(new_name)) return make_error(Errc::already_exists, std::string(new_name));
  p->entries.emplace(std::string(new_name), ino);
  ++n->attr.nlink;
  n->attr.ctime = now();
  return attr_of(*n);
}

Result<fs::Attr> MemoryFileSystem::symlink(const fs::Caller& caller, std::string_view target, fs::Ino parent,
                                           std::string_view name) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(fs::Attr a, add(caller, parent, name, S_IFLNK | 0777));
  Node& n = nodes_.at(a.ino);
  n.target = std::string(target);
  n.attr.size = a.size = target.size();
  return a;
}

Result<std::string> MemoryFileSystem::readlink(fs::Ino ino) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(Node * n, node(ino));
  if (!S_ISLNK(n->attr.mode)) return make_error(Errc::invalid_argument, "not a symlink");
  return n->target;
}

Result<std::pair<fs::Attr, fs::FileHandle>> MemoryFileSystem::create(const fs::Caller& caller, fs::Ino parent,
                                                                     std::string_view name, std::uint32_t mode,
                                                                     int flags) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(fs::Attr a, add(caller, parent, name, S_IFREG | (mode & 07777)));
  ++nodes_.at(a.ino).open_count;
  const fs::FileHandle fh = next_fh_++;
  handles_[fh] = Handle{a.ino, flags};
  return std::pair{a, fh};
}

Result<fs::FileHandle> MemoryFileSystem::open(fs::Ino ino, int flags) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(Node * n, node(ino));
  if (is_dir(n->attr.mode) && (flags & O_ACCMODE) != O_RDONLY) return make_error(Errc::is_directory, "write to dir");
  if (flags & O_TRUNC) {
    n->data.clear();
    n->attr.mtime = n->attr.ctime = now();
  }
  ++n->open_count;
  const fs::FileHandle fh = next_fh_++;
  handles_[fh] = Handle{ino, flags};
  return fh;
}

Result<std::size_t> MemoryFileSystem::read(fs::FileHandle fh, std::uint64_t offset, MutableByteView out) {
  std::lock_guard lock(mutex_);
  auto h = handles_.find(fh);
  if (h == handles_.end()) return make_error(Errc::invalid_argument, "bad handle");
  const Bytes& data = nodes_.at(h->second.ino).data;
  if (offset >= data.size()) return std::size_t{0};
  const std::size_t n = std::min<std::uint64_t>(out.size(), data.size() - offset);
  std::memcpy(out.data(), data.data() + offset, n);
  return n;
}

Result<std::size_t> MemoryFileSystem::write(fs::FileHandle fh, std::uint64_t offset, ByteView in) {
  std::lock_guard lock(mutex_);
  auto h = handles_.find(fh);
  if (h == handles_.end()) return make_error(Errc::invalid_argument, "bad handle");
  if ((h->second.flags & O_ACCMODE) == O_RDONLY) return make_error(Errc::permission_denied, "read-only handle");
  Node& n = nodes_.at(h->second.ino);
  if (offset + in.size() > n.data.size()) n.data.resize(offset + in.size());
  std::memcpy(n.data.data() + offset, in.data(), in.size());
  n.attr.mtime = n.attr.ctime = now();
  return in.size();
}

Status MemoryFileSystem::flush(fs::FileHandle) { return {}; }
Status MemoryFileSystem::fsync(fs::FileHandle, bool) { return {}; }

Status MemoryFileSystem::sync_all() { return {}; }  // memory: nothing to make durable

Status MemoryFileSystem::release(fs::FileHandle fh) {
  std::lock_guard lock(mutex_);
  auto h = handles_.find(fh);
  if (h == handles_.end()) return make_error(Errc::invalid_argument, "bad handle");
  const fs::Ino ino = h->second.ino;
  handles_.erase(h);
  --nodes_.at(ino).open_count;
  drop_if_unused(ino);
  return {};
}

Result<fs::StatFs> MemoryFileSystem::statfs() {
  std::lock_guard lock(mutex_);
  fs::StatFs s;
  s.blocks = 1u << 20;
  s.blocks_free = s.blocks / 2;
  s.files = 1u << 20;
  s.files_free = s.files - nodes_.size();
  return s;
}

Status MemoryFileSystem::setxattr(fs::Ino ino, std::string_view name, ByteView value, int flags) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(Node * n, node(ino));
  if (!name.starts_with("user.")) return make_error(Errc::not_supported, "only user.* attributes");
  if (name == "user.dfs.id") {  // settable to the value it has only, as fs/ has it
    auto id = id_of(*n);
    const std::string text = id.ok() ? id->to_string() : "";
    if (std::string_view(reinterpret_cast<const char*>(value.data()), value.size()) == text) return {};
    return make_error(Errc::permission_denied, "user.dfs.id is read-only");
  }
  const bool exists = n->xattrs.count(name) != 0;
  if ((flags & XATTR_CREATE) && exists) return make_error(Errc::already_exists, std::string(name));
  if ((flags & XATTR_REPLACE) && !exists) return make_error(Errc::not_found, std::string(name));
  n->xattrs[std::string(name)] = Bytes(value.begin(), value.end());
  return {};
}

Result<FileId> MemoryFileSystem::id_of(const Node& n) {
  if (!S_ISREG(n.attr.mode)) return make_error(Errc::not_found, "only regular files have an ID");
  const crypto::Digest digest = crypto::sha256(n.data);
  FileId id{ChunkId{digest}, crypto::SecretKey::from_bytes(digest)};
  snapshots_[id.to_string()] = n.data;
  return id;
}

Result<Bytes> MemoryFileSystem::getxattr(fs::Ino ino, std::string_view name) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(Node * n, node(ino));
  if (name == "user.dfs.id") {
    DFS_ASSIGN_OR_RETURN(FileId id, id_of(*n));
    const std::string text = id.to_string();
    return Bytes(text.begin(), text.end());
  }
  auto it = n->xattrs.find(name);
  if (it == n->xattrs.end()) return make_error(Errc::not_found, std::string(name));
  return it->second;
}

Result<std::vector<std::string>> MemoryFileSystem::listxattr(fs::Ino ino) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(Node * n, node(ino));
  std::vector<std::string> out;
  if (S_ISREG(n->attr.mode)) out.push_back("user.dfs.id");
  for (const auto& [name, value] : n->xattrs) out.push_back(name);
  return out;
}

Status MemoryFileSystem::removexattr(fs::Ino ino, std::string_view name) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(Node * n, node(ino));
  if (name == "user.dfs.id") return make_error(Errc::permission_denied, "user.dfs.id is read-only");
  if (n->xattrs.erase(std::string(name)) == 0) return make_error(Errc::not_found, std::string(name));
  return {};
}

Result<FileId> MemoryFileSystem::file_id(fs::Ino ino) {
  std::lock_guard lock(mutex_);
  DFS_ASSIGN_OR_RETURN(Node * n, node(ino));
  return id_of(*n);
}

Result<fs::Attr> MemoryFileSystem::open_shared(const fs::Caller& caller, const FileId& id, fs::Ino parent,
                                               std::string_view name) {
  std::lock_guard lock(mutex_);
  auto snapshot = snapshots_.find(id.to_string());
  if (snapshot == snapshots_.end()) return make_error(Errc::not_found, "no file has this ID here");
  DFS_ASSIGN_OR_RETURN(fs::Attr a, add(caller, parent, name, S_IFREG | 0444));
  Node& n = nodes_.at(a.ino);
  n.data = snapshot->second;
  a.size = n.data.size();
  return a;
}

}  // namespace dfs::fuse::test
