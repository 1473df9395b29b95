// FsImpl: the namespace operations. Each writing operation is one
// NamespaceTxn, so a crash shows all of it or none of it.
#include <sys/stat.h>

#include <chrono>
#include <climits>
#include <map>

#include "fs_impl.hpp"

namespace dfs::fs {

namespace {

constexpr std::uint64_t kMaxLinks = 65000;       // link(2) beyond: EMLINK
constexpr std::size_t kMaxSymlinkTarget = 4095;  // PATH_MAX - 1
constexpr int kMaxDepth = 4096;                  // bound on a walk to the root

Timespec to_timespec(std::int64_t ns) { return Timespec{ns / 1'000'000'000, ns % 1'000'000'000}; }
std::int64_t to_ns(const Timespec& t) { return t.sec * 1'000'000'000 + t.nsec; }

Result<index::InodeAttr> directory(index::NamespaceTxn& txn, Ino ino) {
  DFS_ASSIGN_OR_RETURN(index::InodeAttr dir, txn.get_inode(ino));
  if (!S_ISDIR(dir.mode)) return make_error(Errc::not_directory, "inode " + std::to_string(ino) + " is not a directory");
  return dir;
}

Result<Ino> existing(index::NamespaceTxn& txn, Ino parent, const std::string& name) {
  DFS_ASSIGN_OR_RETURN(auto ino, txn.lookup(parent, name));
  if (!ino) return make_error(Errc::not_found, "no '" + name + "' in directory " + std::to_string(parent));
  return *ino;
}

void touch(index::InodeAttr& inode, std::int64_t now, bool content) {
  inode.ctime_ns = now;
  if (content) inode.mtime_ns = now;
}

// Whether `dir` is `ino` or one of its ancestors.
Result<bool> is_ancestor(index::NamespaceTxn& txn, Ino dir, Ino ino) {
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    if (ino == dir) return true;
    DFS_ASSIGN_OR_RETURN(auto parent, txn.parent_of(ino));
    if (!parent) return false;
    ino = *parent;
  }
  return make_error(Errc::corrupt, "the namespace is deeper than " + std::to_string(kMaxDepth) + " directories");
}

// Checks that `dst` may be replaced by an inode of mode `src_mode`.
Status check_replace(index::NamespaceTxn& txn, std::uint32_t src_mode, const index::InodeAttr& dst) {
  if (S_ISDIR(src_mode) && !S_ISDIR(dst.mode)) return make_error(Errc::not_directory, "cannot replace a file by a directory");
  if (!S_ISDIR(src_mode) && S_ISDIR(dst.mode)) return make_error(Errc::is_directory, "cannot replace a directory by a file");
  if (S_ISDIR(dst.mode)) {
    DFS_ASSIGN_OR_RETURN(bool full, txn.has_entries(dst.ino));
    if (full) return make_error(Errc::not_empty, "the directory to replace is not empty");
  }
  return {};
}

}  // namespace

Attr to_attr(const index::InodeAttr& inode) {
  Attr a;
  a.ino = inode.ino;
  a.mode = inode.mode;
  a.nlink = static_cast<std::uint32_t>(inode.nlink);
  a.uid = inode.uid;
  a.gid = inode.gid;
  a.size = inode.size;
  a.blocks = (inode.stored_bytes.value_or(inode.size) + 511) / 512;
  a.rdev = inode.rdev;
  a.atime = to_timespec(inode.atime_ns);
  a.mtime = to_timespec(inode.mtime_ns);
  a.ctime = to_timespec(inode.ctime_ns);
  return a;
}

Status check_name(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find_first_of(std::string_view("/\0", 2)) != name.npos) {
    // Appended, not "'" + std::string(name): GCC 12 at -O3 warns falsely
    // (-Wrestrict) about the operator+ of a literal and a temporary.
    std::string message = "'";
    message.append(name).append("' cannot be a name in a directory");
    return make_error(Errc::invalid_argument, message);
  }
  if (name.size() > NAME_MAX) {
    return make_error(Errc::name_too_long, "a name of " + std::to_string(name.size()) + " bytes is longer than " +
                                               std::to_string(NAME_MAX));
  }
  return {};
}

Result<Attr> FsImpl::lookup(Ino parent, std::string_view name) {
  if (name.size() > NAME_MAX) return check_name(name).take_error();
  DFS_ASSIGN_OR_RETURN(index::InodeAttr dir, backend_.index->get_inode(parent));
  if (!S_ISDIR(dir.mode)) return make_error(Errc::not_directory, "inode " + std::to_string(parent) + " is not a directory");
  DFS_ASSIGN_OR_RETURN(auto ino, backend_.index->lookup(parent, std::string(name)));
  if (!ino) return make_error(Errc::not_found, "no '" + std::string(name) + "' in directory " + std::to_string(parent));
  return getattr(*ino);
}

Result<Attr> FsImpl::getattr(Ino ino) {
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, backend_.index->get_inode(ino));
  return with_open_state(inode);
}

Result<std::vector<DirEntry>> FsImpl::readdir(Ino dir) {
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, backend_.index->get_inode(dir));
  if (!S_ISDIR(inode.mode)) return make_error(Errc::not_directory, "inode " + std::to_string(dir) + " is not a directory");
  DFS_ASSIGN_OR_RETURN(auto entries, backend_.index->list_dir(dir));
  std::vector<DirEntry> out;
  out.reserve(entries.size());
  for (auto& e : entries) out.push_back(DirEntry{std::move(e.name), e.ino, e.mode});
  return out;
}

Result<Attr> FsImpl::setattr(const Caller&, Ino ino, const SetAttr& changes, std::optional<FileHandle> fh) {
  DFS_ASSIGN_OR_RETURN(index::InodeAttr before, backend_.index->get_inode(ino));
  if (changes.size) {
    if (S_ISDIR(before.mode)) return make_error(Errc::is_directory, "cannot truncate a directory");
    if (!S_ISREG(before.mode)) return make_error(Errc::invalid_argument, "only a regular file can be truncated");
    DFS_ASSIGN_OR_RETURN(auto state, acquire_state(ino));
    Status truncated;
    {
      std::lock_guard lock(state->mu);
      truncated = state->content.truncate(*changes.size);
      if (truncated.ok()) state->mtime_ns = changes.mtime ? to_ns(*changes.mtime) : now_ns();
      // truncate(2) on a path is durable at once; ftruncate like a write.
      if (truncated.ok() && !fh) truncated = commit_locked(*state);
    }
    release_state(ino);
    DFS_TRY(std::move(truncated));
  } else if (changes.mtime || changes.mtime_now) {
    if (auto state = find_state(ino)) {
      std::lock_guard lock(state->mu);
      state->mtime_ns = changes.mtime ? to_ns(*changes.mtime) : now_ns();  // so a later commit keeps it
    }
  }
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, txn.get_inode(ino));
  const std::int64_t now = now_ns();
  if (changes.mode) inode.mode = (inode.mode & S_IFMT) | (*changes.mode & 07777);
  if (changes.uid) inode.uid = *changes.uid;
  if (changes.gid) inode.gid = *changes.gid;
  if (changes.atime) inode.atime_ns = to_ns(*changes.atime);
  if (changes.atime_now) inode.atime_ns = now;
  if (changes.mtime) inode.mtime_ns = to_ns(*changes.mtime);
  if (changes.mtime_now) inode.mtime_ns = now;
  inode.ctime_ns = now;
  DFS_TRY(txn.update_inode(inode));
  DFS_TRY(txn.commit());
  if (auto state = find_state(ino)) state->setid.store((inode.mode & (S_ISUID | S_ISGID)) != 0);
  return with_open_state(inode);
}

Result<Attr> FsImpl::make_node(const Caller& caller, Ino parent, std::string_view name, index::InodeAttr inode,
                               std::optional<std::int64_t> mtime_ns) {
  DFS_ASSIGN_OR_RETURN(index::InodeAttr made, make_inode(caller, parent, name, std::move(inode), mtime_ns));
  return to_attr(made);
}

Result<index::InodeAttr> FsImpl::make_inode(const Caller& caller, Ino parent, std::string_view name,
                                            index::InodeAttr inode, std::optional<std::int64_t> mtime_ns) {
  DFS_TRY(check_name(name));
  const std::string key(name);
  const std::int64_t now = now_ns();
  inode.uid = caller.uid;
  inode.gid = caller.gid;
  inode.atime_ns = inode.mtime_ns = inode.ctime_ns = now;
  if (mtime_ns) inode.mtime_ns = *mtime_ns;
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_ASSIGN_OR_RETURN(index::InodeAttr dir, directory(txn, parent));
  DFS_ASSIGN_OR_RETURN(auto taken, txn.lookup(parent, key));
  if (taken) return make_error(Errc::already_exists, "'" + key + "' already exists");
  const bool is_dir = S_ISDIR(inode.mode);
  if (dir.mode & S_ISGID) {  // BSD group semantics, as ext4: the group of the directory, passed on to subdirectories
    inode.gid = dir.gid;
    if (is_dir) inode.mode |= S_ISGID;
  }
  if (is_dir && dir.nlink >= kMaxLinks) return make_error(Errc::too_many_links, "too many subdirectories");
  DFS_ASSIGN_OR_RETURN(inode.ino, txn.create_inode(inode));
  DFS_TRY(txn.add_entry(parent, key, inode.ino));
  if (is_dir) ++dir.nlink;
  touch(dir, now, true);
  DFS_TRY(txn.update_inode(dir));
  DFS_TRY(txn.commit());
  return inode;
}

Result<Attr> FsImpl::mkdir(const Caller& caller, Ino parent, std::string_view name, std::uint32_t mode) {
  index::InodeAttr inode;
  inode.mode = S_IFDIR | (mode & 07777 & ~caller.umask);
  inode.nlink = 2;
  return make_node(caller, parent, name, std::move(inode));
}

Result<Attr> FsImpl::mknod(const Caller& caller, Ino parent, std::string_view name, std::uint32_t mode,
                           std::uint64_t rdev) {
  const std::uint32_t type = mode & S_IFMT;
  if (type == S_IFDIR || type == S_IFLNK) {
    return make_error(Errc::invalid_argument, "mknod makes no directories or symbolic links");
  }
  if (type != 0 && type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR && type != S_IFBLK) {
    return make_error(Errc::invalid_argument, "mknod of an unknown file type");
  }
  index::InodeAttr inode;
  inode.mode = (type == 0 ? S_IFREG : type) | (mode & 07777 & ~caller.umask);
  inode.nlink = 1;
  if (type == S_IFCHR || type == S_IFBLK) inode.rdev = rdev;
  return make_node(caller, parent, name, std::move(inode));
}

Result<Attr> FsImpl::symlink(const Caller& caller, std::string_view target, Ino parent, std::string_view name) {
  if (target.empty()) return make_error(Errc::not_found, "a symbolic link needs a target");
  if (target.size() > kMaxSymlinkTarget) return make_error(Errc::name_too_long, "symbolic link target too long");
  index::InodeAttr inode;
  inode.mode = S_IFLNK | 0777;
  inode.nlink = 1;
  inode.size = target.size();
  inode.symlink_target = std::string(target);
  return make_node(caller, parent, name, std::move(inode));
}

Result<std::string> FsImpl::readlink(Ino ino) {
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, backend_.index->get_inode(ino));
  if (!S_ISLNK(inode.mode) || !inode.symlink_target) {
    return make_error(Errc::invalid_argument, "inode " + std::to_string(ino) + " is not a symbolic link");
  }
  return *inode.symlink_target;
}

Status FsImpl::rmdir(Ino parent, std::string_view name) {
  if (name == ".") return make_error(Errc::invalid_argument, "cannot remove '.'");
  if (name == "..") return make_error(Errc::not_empty, "cannot remove '..'");
  DFS_TRY(check_name(name));
  const std::string key(name);
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_ASSIGN_OR_RETURN(index::InodeAttr dir, directory(txn, parent));
  DFS_ASSIGN_OR_RETURN(Ino ino, existing(txn, parent, key));
  DFS_ASSIGN_OR_RETURN(index::InodeAttr victim, txn.get_inode(ino));
  if (!S_ISDIR(victim.mode)) return make_error(Errc::not_directory, "'" + key + "' is not a directory");
  DFS_ASSIGN_OR_RETURN(bool full, txn.has_entries(ino));
  if (full) return make_error(Errc::not_empty, "directory '" + key + "' is not empty");
  DFS_TRY(txn.remove_entry(parent, key));
  DFS_TRY(txn.delete_inode(ino));
  --dir.nlink;
  touch(dir, now_ns(), true);
  DFS_TRY(txn.update_inode(dir));
  return txn.commit();
}

Status FsImpl::unlink(Ino parent, std::string_view name) {
  DFS_TRY(check_name(name));
  const std::string key(name);
  Ino ino = 0;
  bool last_link = false;
  {
    DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
    DFS_ASSIGN_OR_RETURN(index::InodeAttr dir, directory(txn, parent));
    DFS_ASSIGN_OR_RETURN(ino, existing(txn, parent, key));
    DFS_ASSIGN_OR_RETURN(index::InodeAttr victim, txn.get_inode(ino));
    if (S_ISDIR(victim.mode)) return make_error(Errc::is_directory, "'" + key + "' is a directory");
    const std::int64_t now = now_ns();
    DFS_TRY(txn.remove_entry(parent, key));
    --victim.nlink;
    last_link = victim.nlink == 0;
    touch(victim, now, false);
    DFS_TRY(txn.update_inode(victim));
    touch(dir, now, true);
    DFS_TRY(txn.update_inode(dir));
    DFS_TRY(txn.commit());
  }
  // An open file stays readable: its inode goes with the last release.
  return last_link ? reap_if_unlinked(ino) : Status{};
}

Result<Attr> FsImpl::link(Ino ino, Ino new_parent, std::string_view new_name) {
  DFS_TRY(check_name(new_name));
  const std::string key(new_name);
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, txn.get_inode(ino));
  if (S_ISDIR(inode.mode)) return make_error(Errc::permission_denied, "a directory cannot be hard-linked");
  if (inode.nlink == 0) return make_error(Errc::not_found, "inode " + std::to_string(ino) + " was unlinked");
  if (inode.nlink >= kMaxLinks) return make_error(Errc::too_many_links, "inode has too many links");
  DFS_ASSIGN_OR_RETURN(index::InodeAttr dir, directory(txn, new_parent));
  DFS_ASSIGN_OR_RETURN(auto taken, txn.lookup(new_parent, key));
  if (taken) return make_error(Errc::already_exists, "'" + key + "' already exists");
  DFS_TRY(txn.add_entry(new_parent, key, ino));
  const std::int64_t now = now_ns();
  ++inode.nlink;
  touch(inode, now, false);
  DFS_TRY(txn.update_inode(inode));
  touch(dir, now, true);
  DFS_TRY(txn.update_inode(dir));
  DFS_TRY(txn.commit());
  return with_open_state(inode);
}

Status FsImpl::rename(Ino parent, std::string_view name, Ino new_parent, std::string_view new_name, unsigned flags) {
  if ((flags & ~(kRenameNoReplace | kRenameExchange)) != 0 ||
      flags == (kRenameNoReplace | kRenameExchange)) {
    return make_error(Errc::invalid_argument, "unknown or conflicting rename flags");
  }
  DFS_TRY(check_name(name));
  DFS_TRY(check_name(new_name));
  std::vector<Ino> unlinked;
  {
    DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
    DFS_TRY(rename_locked(txn, parent, std::string(name), new_parent, std::string(new_name), flags, unlinked));
    DFS_TRY(txn.commit());
  }
  for (Ino ino : unlinked) DFS_TRY(reap_if_unlinked(ino));
  return {};
}

Status FsImpl::rename_locked(index::NamespaceTxn& txn, Ino parent, const std::string& name, Ino new_parent,
                             const std::string& new_name, unsigned flags, std::vector<Ino>& unlinked) {
  std::map<Ino, index::InodeAttr> dirs;  // the one or two parents, written back at the end
  DFS_ASSIGN_OR_RETURN(dirs[parent], directory(txn, parent));
  DFS_ASSIGN_OR_RETURN(dirs[new_parent], directory(txn, new_parent));
  DFS_ASSIGN_OR_RETURN(Ino src, existing(txn, parent, name));
  DFS_ASSIGN_OR_RETURN(auto dst, txn.lookup(new_parent, new_name));
  const bool exchange = flags & kRenameExchange;
  if (exchange && !dst) return make_error(Errc::not_found, "no '" + new_name + "' to exchange with");
  if ((flags & kRenameNoReplace) && dst) return make_error(Errc::already_exists, "'" + new_name + "' already exists");
  if (dst && *dst == src) return {};  // two names of one inode: nothing to do (POSIX)
  DFS_ASSIGN_OR_RETURN(index::InodeAttr src_inode, txn.get_inode(src));
  const bool src_dir = S_ISDIR(src_inode.mode);
  DFS_ASSIGN_OR_RETURN(bool into_itself, is_ancestor(txn, src, new_parent));
  if (src_dir && into_itself) return make_error(Errc::invalid_argument, "cannot move a directory into itself");
  const std::int64_t now = now_ns();
  if (dst) {
    DFS_ASSIGN_OR_RETURN(index::InodeAttr dst_inode, txn.get_inode(*dst));
    const bool dst_dir = S_ISDIR(dst_inode.mode);
    if (exchange) {
      DFS_ASSIGN_OR_RETURN(bool swaps_into_itself, is_ancestor(txn, *dst, parent));
      if (dst_dir && swaps_into_itself) return make_error(Errc::invalid_argument, "cannot move a directory into itself");
    } else {
      DFS_TRY(check_replace(txn, src_inode.mode, dst_inode));
    }
    DFS_TRY(txn.remove_entry(new_parent, new_name));
    if (exchange) {
      DFS_TRY(txn.remove_entry(parent, name));
      DFS_TRY(txn.add_entry(parent, name, *dst));
      if (dst_dir && parent != new_parent) {
        ++dirs[parent].nlink;
        --dirs[new_parent].nlink;
      }
      touch(dst_inode, now, false);
      DFS_TRY(txn.update_inode(dst_inode));
    } else {
      if (dst_dir) {
        DFS_TRY(txn.delete_inode(*dst));
        --dirs[new_parent].nlink;
      } else {
        --dst_inode.nlink;
        touch(dst_inode, now, false);
        DFS_TRY(txn.update_inode(dst_inode));
        if (dst_inode.nlink == 0) unlinked.push_back(*dst);
      }
    }
  }
  if (!exchange) DFS_TRY(txn.remove_entry(parent, name));
  DFS_TRY(txn.add_entry(new_parent, new_name, src));
  if (src_dir && parent != new_parent) {
    --dirs[parent].nlink;
    ++dirs[new_parent].nlink;
  }
  touch(src_inode, now, false);
  DFS_TRY(txn.update_inode(src_inode));
  for (auto& [ino, dir] : dirs) {
    touch(dir, now, true);
    DFS_TRY(txn.update_inode(dir));
  }
  return {};
}

}  // namespace dfs::fs
