// FsImpl: extended attributes. user.* ones are kept in the index;
// user.dfs.id is the file's ID (a directory's: its snapshot's), read-only,
// computed on demand. A directory's is not listed: tools that copy every
// listed attribute (cp -a, rsync -X) would snapshot each directory they
// walk; asked for by name, it is there.
#include <sys/stat.h>
#include <sys/xattr.h>

#include <climits>

#include "dfs/util/log.hpp"
#include "fs_impl.hpp"

namespace dfs::fs {

namespace {

constexpr std::string_view kUserPrefix = "user.";
constexpr std::string_view kIdAttr = "user.dfs.id";
constexpr std::size_t kMaxXattrValue = 64 * 1024;  // XATTR_SIZE_MAX

Status check_xattr_name(std::string_view name) {
  if (name.size() > XATTR_NAME_MAX) return make_error(Errc::name_too_long, "extended attribute name too long");
  if (name.substr(0, kUserPrefix.size()) != kUserPrefix || name.size() == kUserPrefix.size()) {
    return make_error(Errc::not_supported, "only user.* extended attributes are supported, not " + std::string(name));
  }
  return {};
}

Error no_attribute(Ino ino, std::string_view name) {
  return make_error(Errc::not_found, "inode " + std::to_string(ino) + " has no attribute " + std::string(name));
}

// user.* attributes exist on files and directories only (as on Linux).
Status check_xattr_target(const index::InodeAttr& inode) {
  if (S_ISREG(inode.mode) || S_ISDIR(inode.mode)) return {};
  return make_error(Errc::permission_denied, "user.* attributes are only for files and directories");
}

}  // namespace

// Setting user.dfs.id to the ID it has is a no-op, so that a copy with
// its xattrs (cp -a, rsync -aX) back onto the same file works; any other
// value is refused, and logged since a tool meant something by it.
Status FsImpl::set_id_attr(Ino ino, ByteView value, int flags) {
  if (flags & XATTR_CREATE) return make_error(Errc::already_exists, std::string(kIdAttr) + " always exists");
  auto id = file_id(ino);
  if (id.ok()) {
    const std::string text = id->to_string();
    if (std::string_view(reinterpret_cast<const char*>(value.data()), value.size()) == text) return {};
  }
  log::warn("fs: refused to set " + std::string(kIdAttr) + " of inode " + std::to_string(ino) +
            " to another value: a file's ID follows from its content");
  return make_error(Errc::permission_denied, std::string(kIdAttr) + " is read-only");
}

Status FsImpl::setxattr(Ino ino, std::string_view name, ByteView value, int flags) {
  DFS_TRY(check_xattr_name(name));
  if (name == kIdAttr) return set_id_attr(ino, value, flags);
  if (value.size() > kMaxXattrValue) return make_error(Errc::too_large, "extended attribute value too large");
  index::XattrMode mode = index::XattrMode::create_or_replace;
  if (flags & XATTR_CREATE) mode = index::XattrMode::create_only;
  if (flags & XATTR_REPLACE) mode = index::XattrMode::replace_only;
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, txn.get_inode(ino));
  DFS_TRY(check_xattr_target(inode));
  DFS_TRY(txn.set_xattr(ino, std::string(name), value, mode));
  inode.ctime_ns = now_ns();
  DFS_TRY(txn.update_inode(inode));
  return txn.commit();
}

Result<Bytes> FsImpl::getxattr(Ino ino, std::string_view name) {
  DFS_TRY(check_xattr_name(name));
  if (name == kIdAttr) {
    DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, backend_.index->get_inode(ino));
    if (!S_ISREG(inode.mode) && !S_ISDIR(inode.mode)) return no_attribute(ino, name);
    DFS_ASSIGN_OR_RETURN(FileId id, file_id(ino));
    const std::string text = id.to_string();
    return Bytes(text.begin(), text.end());
  }
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_TRY(txn.get_inode(ino));
  DFS_ASSIGN_OR_RETURN(auto value, txn.get_xattr(ino, std::string(name)));
  if (!value) return no_attribute(ino, name);
  return std::move(*value);
}

Result<std::vector<std::string>> FsImpl::listxattr(Ino ino) {
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, txn.get_inode(ino));
  DFS_ASSIGN_OR_RETURN(std::vector<std::string> names, txn.list_xattrs(ino));
  if (S_ISREG(inode.mode)) names.insert(names.begin(), std::string(kIdAttr));
  return names;
}

Status FsImpl::removexattr(Ino ino, std::string_view name) {
  DFS_TRY(check_xattr_name(name));
  if (name == kIdAttr) return make_error(Errc::permission_denied, std::string(kIdAttr) + " is read-only");
  DFS_ASSIGN_OR_RETURN(index::NamespaceTxn txn, backend_.index->begin_namespace());
  DFS_ASSIGN_OR_RETURN(index::InodeAttr inode, txn.get_inode(ino));
  DFS_ASSIGN_OR_RETURN(bool removed, txn.remove_xattr(ino, std::string(name)));
  if (!removed) return no_attribute(ino, name);
  inode.ctime_ns = now_ns();
  DFS_TRY(txn.update_inode(inode));
  return txn.commit();
}

}  // namespace dfs::fs
