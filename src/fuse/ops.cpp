// The low-level request handlers: each turns one FUSE request into one
// FileSystem call and its Result into a reply; every errno comes from
// errno_of. No logic of their own: .dfs/ids, read-only shared files and
// page-cache validity are the FileSystem's (fs/id_directory.hpp).
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "adapter.hpp"
#include "dfs/util/log.hpp"

namespace dfs::fuse {
namespace {

Mount::Adapter& self(fuse_req_t req) { return *static_cast<Mount::Adapter*>(fuse_req_userdata(req)); }

fs::Caller caller_of(fuse_req_t req) {
  const fuse_ctx* ctx = fuse_req_ctx(req);
  return fs::Caller{ctx->uid, ctx->gid, ctx->umask, static_cast<std::uint32_t>(ctx->pid)};
}

void reply_error(fuse_req_t req, const Error& error, const char* what, Op op = Op::other) {
  const int err = errno_of(error, op);
  // Routine answers (ENOENT on lookup...) are not worth a line; I/O is.
  if (err == EIO) {
    log::warn(std::string("fuse: ") + what + ": " + error.to_string());
  } else {
    log::debug(std::string("fuse: ") + what + ": " + error.to_string());
  }
  fuse_reply_err(req, err);
}

struct timespec to_timespec(fs::Timespec t) {
  struct timespec out {};
  out.tv_sec = static_cast<time_t>(t.sec);
  out.tv_nsec = static_cast<long>(t.nsec);
  return out;
}

struct stat to_stat(const fs::Attr& a) {
  struct stat st {};
  st.st_ino = a.ino;
  st.st_mode = a.mode;
  st.st_nlink = a.nlink;
  st.st_uid = a.uid;
  st.st_gid = a.gid;
  st.st_rdev = static_cast<dev_t>(a.rdev);
  st.st_size = static_cast<off_t>(a.size);
  st.st_blocks = static_cast<blkcnt_t>(a.blocks);
  st.st_blksize = 4096;
  st.st_atim = to_timespec(a.atime);
  st.st_mtim = to_timespec(a.mtime);
  st.st_ctim = to_timespec(a.ctime);
  return st;
}

fuse_entry_param entry_of(const Mount::Adapter& a, const fs::Attr& attr) {
  fuse_entry_param e{};
  e.ino = attr.ino;
  e.attr = to_stat(attr);
  e.attr_timeout = a.attr_timeout;
  e.entry_timeout = a.entry_timeout;
  return e;
}

void reply_entry(fuse_req_t req, const Result<fs::Attr>& attr, const char* what, Op op = Op::other) {
  if (!attr.ok()) return reply_error(req, attr.error(), what, op);
  const fuse_entry_param e = entry_of(self(req), *attr);
  fuse_reply_entry(req, &e);
}

void reply_status(fuse_req_t req, const Status& status, const char* what, Op op = Op::other) {
  if (!status.ok()) return reply_error(req, status.error(), what, op);
  fuse_reply_err(req, 0);
}

// ---- names -----------------------------------------------------------------

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  reply_entry(req, self(req).fs.lookup(parent, name), "lookup");
}

void op_forget(fuse_req_t req, fuse_ino_t, uint64_t) { fuse_reply_none(req); }
void op_forget_multi(fuse_req_t req, size_t, fuse_forget_data*) { fuse_reply_none(req); }

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Mount::Adapter& a = self(req);
  auto attr = a.fs.getattr(ino);
  if (!attr.ok()) return reply_error(req, attr.error(), "getattr");
  const struct stat st = to_stat(*attr);
  fuse_reply_attr(req, &st, a.attr_timeout);
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* st, int to_set, fuse_file_info* fi) {
  Mount::Adapter& a = self(req);
  fs::SetAttr changes;
  if (to_set & FUSE_SET_ATTR_MODE) changes.mode = st->st_mode & 07777;
  if (to_set & FUSE_SET_ATTR_UID) changes.uid = st->st_uid;
  if (to_set & FUSE_SET_ATTR_GID) changes.gid = st->st_gid;
  if (to_set & FUSE_SET_ATTR_SIZE) changes.size = static_cast<std::uint64_t>(st->st_size);
  if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
    changes.atime_now = true;
  } else if (to_set & FUSE_SET_ATTR_ATIME) {
    changes.atime = fs::Timespec{st->st_atim.tv_sec, st->st_atim.tv_nsec};
  }
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
    changes.mtime_now = true;
  } else if (to_set & FUSE_SET_ATTR_MTIME) {
    changes.mtime = fs::Timespec{st->st_mtim.tv_sec, st->st_mtim.tv_nsec};
  }
  std::optional<fs::FileHandle> fh;
  if (fi != nullptr) fh = fi->fh;
  auto attr = a.fs.setattr(caller_of(req), ino, changes, fh);
  if (!attr.ok()) return reply_error(req, attr.error(), "setattr", Op::setattr);
  const struct stat out = to_stat(*attr);
  fuse_reply_attr(req, &out, a.attr_timeout);
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
  auto target = self(req).fs.readlink(ino);
  if (!target.ok()) return reply_error(req, target.error(), "readlink");
  fuse_reply_readlink(req, target->c_str());
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  reply_entry(req, self(req).fs.mkdir(caller_of(req), parent, name, mode), "mkdir");
}

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  reply_entry(req, self(req).fs.mknod(caller_of(req), parent, name, mode, rdev), "mknod");
}

void op_symlink(fuse_req_t req, const char* target, fuse_ino_t parent, const char* name) {
  reply_entry(req, self(req).fs.symlink(caller_of(req), target, parent, name), "symlink");
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  reply_status(req, self(req).fs.unlink(parent, name), "unlink");
}

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  reply_status(req, self(req).fs.rmdir(parent, name), "rmdir");
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent, const char* new_name,
               unsigned flags) {
  reply_status(req, self(req).fs.rename(parent, name, new_parent, new_name, flags), "rename");
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name) {
  reply_entry(req, self(req).fs.link(ino, new_parent, new_name), "link", Op::link);
}

// ---- files -----------------------------------------------------------------

bool writes(int flags) { return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0; }

void op_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  Mount::Adapter& a = self(req);
  auto created = a.fs.create(caller_of(req), parent, name, mode & 07777, fi->flags);
  if (!created.ok()) return reply_error(req, created.error(), "create");
  fi->fh = created->second;
  fi->direct_io = a.fs.writes_uncached(created->second);
  const fuse_entry_param e = entry_of(a, created->first);
  if (fuse_reply_create(req, &e, fi) != 0) (void)a.fs.release(created->second);  // the caller was interrupted
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Mount::Adapter& a = self(req);
  auto fh = a.fs.open(ino, fi->flags);
  if (!fh.ok()) return reply_error(req, fh.error(), "open");
  fi->fh = *fh;
  fi->keep_cache = a.fs.keeps_cache(*fh);
  // A descriptor that cannot write has nothing to commit at close: the
  // kernel may skip the FLUSH round trip (one in five requests of a small
  // file read). Other handles' writes are committed by their own close.
  fi->noflush = !writes(fi->flags);
  if (fuse_reply_open(req, fi) != 0) (void)a.fs.release(*fh);
}

// Replies from the read cache's own buffers: a copy into a reply buffer
// would touch every byte once more (5% of a sequential read's CPU).
void op_read(fuse_req_t req, fuse_ino_t, size_t size, off_t offset, fuse_file_info* fi) {
  auto read = self(req).fs.read_pieces(fi->fh, static_cast<std::uint64_t>(offset), size);
  if (!read.ok()) return reply_error(req, read.error(), "read");
  std::vector<iovec> pieces;
  pieces.reserve(read->pieces.size());
  for (ByteView piece : read->pieces) {
    pieces.push_back(iovec{const_cast<std::uint8_t*>(piece.data()), piece.size()});  // writev only reads it
  }
  fuse_reply_iov(req, pieces.data(), static_cast<int>(pieces.size()));
}

void op_write(fuse_req_t req, fuse_ino_t, const char* data, size_t size, off_t offset, fuse_file_info* fi) {
  auto n = self(req).fs.write_as(caller_of(req), fi->fh, static_cast<std::uint64_t>(offset),
                                 ByteView(reinterpret_cast<const std::uint8_t*>(data), size));
  if (!n.ok()) return reply_error(req, n.error(), "write");
  fuse_reply_write(req, *n);
}

void op_flush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  reply_status(req, self(req).fs.flush(fi->fh), "flush");
}

void op_fsync(fuse_req_t req, fuse_ino_t, int datasync, fuse_file_info* fi) {
  reply_status(req, self(req).fs.fsync(fi->fh, datasync != 0), "fsync");
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  reply_status(req, self(req).fs.release(fi->fh), "release");
}

void op_fallocate(fuse_req_t req, fuse_ino_t, int mode, off_t offset, off_t length, fuse_file_info* fi) {
  reply_status(req,
               self(req).fs.fallocate(fi->fh, mode, static_cast<std::uint64_t>(offset),
                                      static_cast<std::uint64_t>(length)),
               "fallocate");
}

void op_lseek(fuse_req_t req, fuse_ino_t, off_t offset, int whence, fuse_file_info* fi) {
  const bool hole = whence == SEEK_HOLE;
  auto found = self(req).fs.seek_data(fi->fh, static_cast<std::uint64_t>(offset), hole);
  if (!found.ok()) return reply_error(req, found.error(), "lseek", Op::seek);
  fuse_reply_lseek(req, static_cast<off_t>(*found));
}

// ---- directories -----------------------------------------------------------

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Mount::Adapter& a = self(req);
  auto dh = a.fs.opendir(ino);
  if (!dh.ok()) return reply_error(req, dh.error(), "opendir");
  fi->fh = *dh;
  fi->cache_readdir = 0;
  if (fuse_reply_open(req, fi) != 0) (void)a.fs.releasedir(*dh);
}

// Fills `buffer` with the stream's entries from `offset`; returns the
// bytes used. Entries that do not fit are asked for again by the kernel.
Result<std::size_t> fill_dir(fuse_req_t req, fuse_ino_t ino, std::vector<char>& buffer, off_t offset,
                             fs::FileHandle dh, bool plus) {
  Mount::Adapter& a = self(req);
  constexpr std::size_t kSmallestDirent = 24;  // a fuse_dirent with a name of up to 8 bytes
  DFS_ASSIGN_OR_RETURN(auto entries, a.fs.readdir_from(dh, ino, static_cast<std::uint64_t>(offset),
                                                       buffer.size() / kSmallestDirent + 1));
  const std::size_t size = buffer.size();
  std::size_t used = 0;
  off_t next = offset;
  for (const fs::DirEntry& entry : entries) {
    ++next;
    const bool dot = entry.name == "." || entry.name == "..";
    std::size_t needed;
    if (plus) {
      fuse_entry_param e{};
      if (dot) {
        e.attr.st_ino = entry.ino;
        e.attr.st_mode = entry.mode;
      } else {
        auto attr = a.fs.getattr(entry.ino);
        if (!attr.ok()) continue;  // removed since the listing was taken
        e = entry_of(a, *attr);
      }
      needed = fuse_add_direntry_plus(req, buffer.data() + used, size - used, entry.name.c_str(), &e, next);
    } else {
      struct stat st {};
      st.st_ino = entry.ino;
      st.st_mode = entry.mode;
      needed = fuse_add_direntry(req, buffer.data() + used, size - used, entry.name.c_str(), &st, next);
    }
    if (needed > size - used) break;  // full; the kernel asks again from `next`
    used += needed;
  }
  return used;
}

void read_dir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t offset, fuse_file_info* fi, bool plus) {
  std::vector<char> buffer(size);
  auto used = fill_dir(req, ino, buffer, offset, fi->fh, plus);
  if (!used.ok()) return reply_error(req, used.error(), "readdir");
  fuse_reply_buf(req, buffer.data(), *used);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  read_dir(req, ino, size, off, fi, false);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  read_dir(req, ino, size, off, fi, true);
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  reply_status(req, self(req).fs.releasedir(fi->fh), "releasedir");
}

void op_fsyncdir(fuse_req_t req, fuse_ino_t, int, fuse_file_info*) {
  reply_status(req, self(req).fs.sync_all(), "fsyncdir");
}

// ---- filesystem, xattrs ----------------------------------------------------

void op_statfs(fuse_req_t req, fuse_ino_t) {
  auto s = self(req).fs.statfs();
  if (!s.ok()) return reply_error(req, s.error(), "statfs");
  struct statvfs out {};
  out.f_bsize = s->block_size;
  out.f_frsize = s->block_size;
  out.f_blocks = s->blocks;
  out.f_bfree = s->blocks_free;
  out.f_bavail = s->blocks_free;
  out.f_files = s->files;
  out.f_ffree = s->files_free;
  out.f_favail = s->files_free;
  out.f_namemax = s->name_max;
  fuse_reply_statfs(req, &out);
}

void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size, int flags) {
  Mount::Adapter& a = self(req);
  const ByteView bytes(reinterpret_cast<const std::uint8_t*>(value), size);
  reply_status(req, a.fs.setxattr(ino, name, bytes, flags), "setxattr", Op::xattr);
}

// Replies to a getxattr/listxattr: the size when asked for it, ERANGE when
// the caller's buffer is too small.
void reply_sized(fuse_req_t req, const char* data, std::size_t length, std::size_t size) {
  if (size == 0) return (void)fuse_reply_xattr(req, length);
  if (length > size) {
    return reply_error(req, make_error(Errc::too_large, "the value does not fit the caller's buffer"), "getxattr",
                       Op::xattr_buffer);
  }
  fuse_reply_buf(req, data, length);
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  auto value = self(req).fs.getxattr(ino, name);
  if (!value.ok()) return reply_error(req, value.error(), "getxattr", Op::xattr);
  reply_sized(req, reinterpret_cast<const char*>(value->data()), value->size(), size);
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  std::string joined;  // "name\0name\0"
  auto names = self(req).fs.listxattr(ino);
  if (!names.ok()) return reply_error(req, names.error(), "listxattr", Op::xattr);
  for (const auto& n : *names) joined.append(n).push_back('\0');
  reply_sized(req, joined.data(), joined.size(), size);
}

void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  reply_status(req, self(req).fs.removexattr(ino, name), "removexattr", Op::xattr);
}

void op_init(void* userdata, fuse_conn_info* conn) {
  auto& a = *static_cast<Mount::Adapter*>(userdata);
  // Large writes: libfuse negotiates max_pages from max_write (3.6+).
  conn->max_write = a.max_write;
  conn->max_readahead = std::max(conn->max_readahead, a.max_write);
  auto want = [conn](unsigned cap) {
    if (conn->capable & cap) conn->want |= cap;
  };
  want(FUSE_CAP_ATOMIC_O_TRUNC);    // open(O_TRUNC) in one call
  want(FUSE_CAP_PARALLEL_DIROPS);   // lookups and readdirs in one directory at once
  want(FUSE_CAP_READDIRPLUS);
  want(FUSE_CAP_READDIRPLUS_AUTO);
  want(FUSE_CAP_AUTO_INVAL_DATA);   // drop cached pages when size/mtime change
  want(FUSE_CAP_CACHE_SYMLINKS);
  want(FUSE_CAP_ASYNC_READ);
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;  // write-through: close-to-open needs every write at flush
  conn->want &= ~FUSE_CAP_EXPORT_SUPPORT;
}

}  // namespace

const fuse_lowlevel_ops& lowlevel_ops() {
  static const fuse_lowlevel_ops ops = [] {
    fuse_lowlevel_ops o{};
    o.init = op_init;
    o.lookup = op_lookup;
    o.forget = op_forget;
    o.forget_multi = op_forget_multi;
    o.getattr = op_getattr;
    o.setattr = op_setattr;
    o.readlink = op_readlink;
    o.mknod = op_mknod;
    o.mkdir = op_mkdir;
    o.unlink = op_unlink;
    o.rmdir = op_rmdir;
    o.symlink = op_symlink;
    o.rename = op_rename;
    o.link = op_link;
    o.open = op_open;
    o.read = op_read;
    o.write = op_write;
    o.flush = op_flush;
    o.release = op_release;
    o.fsync = op_fsync;
    o.opendir = op_opendir;
    o.readdir = op_readdir;
    o.readdirplus = op_readdirplus;
    o.releasedir = op_releasedir;
    o.fsyncdir = op_fsyncdir;
    o.statfs = op_statfs;
    o.setxattr = op_setxattr;
    o.getxattr = op_getxattr;
    o.listxattr = op_listxattr;
    o.removexattr = op_removexattr;
    o.create = op_create;
    o.fallocate = op_fallocate;
    o.lseek = op_lseek;
    return o;
  }();
  return ops;
}

}  // namespace dfs::fuse
