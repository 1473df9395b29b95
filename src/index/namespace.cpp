// Index: the mount's namespace (inodes and directory entries). Kept small on
// purpose; the filesystem layer extends it with the operations it needs.
#include <sys/stat.h>

#include <climits>

#include "dfs/index/index.hpp"
#include "dfs/index/sqlite.hpp"
#include "rows.hpp"

namespace dfs::index {

namespace {

constexpr std::string_view kInodeColumns =
    "ino, mode, uid, gid, nlink, size, atime_ns, mtime_ns, ctime_ns, rdev, manifest_id, file_key, symlink_target, "
    "generation";

// NAME_MAX: what Linux allows for one path component.
constexpr std::size_t kMaxNameBytes = NAME_MAX;

Status read_content(const Statement& stmt, InodeAttr& attr) {
  if (!stmt.column_is_null(10)) {
    DFS_ASSIGN_OR_RETURN(attr.manifest, rows::read_id(stmt, 10, "inode manifest ID"));
  }
  if (!stmt.column_is_null(11)) {
    DFS_ASSIGN_OR_RETURN(attr.file_key, rows::read_array<crypto::kKeySize>(stmt, 11, "inode file key"));
  }
  if (!stmt.column_is_null(12)) attr.symlink_target = stmt.column_text(12);
  return {};
}

Result<InodeAttr> read_inode_row(const Statement& stmt) {
  InodeAttr attr;
  DFS_ASSIGN_OR_RETURN(attr.ino, rows::read_uint<std::uint64_t>(stmt, 0, "inode number"));
  DFS_ASSIGN_OR_RETURN(attr.mode, rows::read_uint<std::uint32_t>(stmt, 1, "inode mode"));
  DFS_ASSIGN_OR_RETURN(attr.uid, rows::read_uint<std::uint32_t>(stmt, 2, "uid"));
  DFS_ASSIGN_OR_RETURN(attr.gid, rows::read_uint<std::uint32_t>(stmt, 3, "gid"));
  DFS_ASSIGN_OR_RETURN(attr.nlink, rows::read_uint<std::uint64_t>(stmt, 4, "link count"));
  DFS_ASSIGN_OR_RETURN(attr.size, rows::read_uint<std::uint64_t>(stmt, 5, "inode size"));
  attr.atime_ns = stmt.column_int64(6);
  attr.mtime_ns = stmt.column_int64(7);
  attr.ctime_ns = stmt.column_int64(8);
  DFS_ASSIGN_OR_RETURN(attr.rdev, rows::read_uint<std::uint64_t>(stmt, 9, "rdev"));
  DFS_TRY(read_content(stmt, attr));
  DFS_ASSIGN_OR_RETURN(attr.generation, rows::read_uint<std::uint64_t>(stmt, 13, "generation"));
  return attr;
}

Error no_such_inode(std::uint64_t ino) {
  return make_error(Errc::not_found, "no inode " + std::to_string(ino) + " in the index");
}

// The inode's mode, or not_found. Numbers above INT64_MAX cannot exist.
Result<std::uint32_t> inode_mode(Database& db, std::uint64_t ino) {
  if (!rows::to_sql(ino, "inode number").ok()) return no_such_inode(ino);
  DFS_ASSIGN_OR_RETURN(auto mode, rows::query_int(db, "SELECT mode FROM inodes WHERE ino = ?",
                                                  static_cast<std::int64_t>(ino)));
  if (!mode.has_value()) return no_such_inode(ino);
  return static_cast<std::uint32_t>(*mode);
}

Status check_directory(Database& db, std::uint64_t ino) {
  DFS_ASSIGN_OR_RETURN(std::uint32_t mode, inode_mode(db, ino));
  if (!S_ISDIR(mode)) return make_error(Errc::invalid_argument, "inode " + std::to_string(ino) + " is not a directory");
  return {};
}

Status check_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find_first_of(std::string_view("/\0", 2)) != std::string::npos) {
    return make_error(Errc::invalid_argument, "'" + name + "' cannot be a directory entry name");
  }
  if (name.size() > kMaxNameBytes) {
    return make_error(Errc::too_large, "a name of " + std::to_string(name.size()) + " bytes is longer than " +
                                           std::to_string(kMaxNameBytes));
  }
  return {};
}

// The integer fields of an inode, checked to fit SQLite's int64.
struct InodeNumbers {
  std::int64_t nlink, size, rdev, generation;
};

Result<InodeNumbers> inode_numbers(const InodeAttr& attr) {
  InodeNumbers n{};
  DFS_ASSIGN_OR_RETURN(n.nlink, rows::to_sql(attr.nlink, "link count"));
  DFS_ASSIGN_OR_RETURN(n.size, rows::to_sql(attr.size, "inode size"));
  DFS_ASSIGN_OR_RETURN(n.rdev, rows::to_sql(attr.rdev, "rdev"));
  DFS_ASSIGN_OR_RETURN(n.generation, rows::to_sql(attr.generation, "generation"));
  return n;
}

}  // namespace

Result<InodeAttr> Index::get_inode(std::uint64_t ino) {
  if (!rows::to_sql(ino, "inode number").ok()) return no_such_inode(ino);
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Statement stmt,
                       rows::prepare_bound(*db_, "SELECT " + std::string(kInodeColumns) + " FROM inodes WHERE ino = ?",
                                           static_cast<std::int64_t>(ino)));
  DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return no_such_inode(ino);
  return read_inode_row(stmt);
}

Result<std::optional<std::uint64_t>> Index::lookup(std::uint64_t parent, const std::string& name) {
  if (!rows::to_sql(parent, "inode number").ok()) return std::optional<std::uint64_t>();
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(auto ino, rows::query_int(*db_, "SELECT ino FROM entries WHERE parent = ? AND name = ?",
                                                 static_cast<std::int64_t>(parent), name));
  if (!ino.has_value()) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(*ino));
}

Result<std::uint64_t> Index::create_inode(const InodeAttr& attr) {
  if (attr.manifest.has_value() != attr.file_key.has_value()) {
    return make_error(Errc::invalid_argument, "an inode's manifest and file key are set together or not at all");
  }
  DFS_ASSIGN_OR_RETURN(InodeNumbers n, inode_numbers(attr));
  std::optional<ByteView> manifest;
  if (attr.manifest) manifest = ByteView(attr.manifest->bytes);
  std::optional<ByteView> key;
  if (attr.file_key) key = ByteView(*attr.file_key);
  std::lock_guard lock(mu_);
  DFS_TRY(rows::execute(*db_,
                        "INSERT INTO inodes (mode, uid, gid, nlink, size, atime_ns, mtime_ns, ctime_ns, rdev, "
                        "manifest_id, file_key, symlink_target, generation) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        std::int64_t{attr.mode}, std::int64_t{attr.uid}, std::int64_t{attr.gid}, n.nlink, n.size,
                        attr.atime_ns, attr.mtime_ns, attr.ctime_ns, n.rdev, manifest, key, attr.symlink_target,
                        n.generation));
  return static_cast<std::uint64_t>(db_->last_insert_rowid());
}

Status Index::add_entry(std::uint64_t parent, const std::string& name, std::uint64_t ino) {
  DFS_TRY(check_name(name));
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_));
  DFS_TRY(check_directory(*db_, parent));
  DFS_TRY(inode_mode(*db_, ino));  // exists?
  Status inserted = rows::execute(*db_, "INSERT INTO entries (parent, name, ino) VALUES (?, ?, ?)",
                                  static_cast<std::int64_t>(parent), name, static_cast<std::int64_t>(ino));
  if (!inserted.ok() && inserted.error().code == Errc::already_exists) {
    return make_error(Errc::already_exists, "'" + name + "' already exists in directory " + std::to_string(parent));
  }
  DFS_TRY(std::move(inserted));
  return tx.commit();
}

Result<std::vector<DirEntry>> Index::list_dir(std::uint64_t parent) {
  std::lock_guard lock(mu_);
  // One snapshot for the check and the listing.
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_, Transaction::Mode::deferred));
  DFS_TRY(check_directory(*db_, parent));
  DFS_ASSIGN_OR_RETURN(Statement stmt, rows::prepare_bound(*db_,
                                                           "SELECT e.name, e.ino, i.mode FROM entries AS e "
                                                           "JOIN inodes AS i ON i.ino = e.ino "
                                                           "WHERE e.parent = ? ORDER BY e.name",
                                                           static_cast<std::int64_t>(parent)));
  std::vector<DirEntry> entries;
  for (;;) {
    DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    DirEntry entry;
    entry.name = stmt.column_text(0);
    DFS_ASSIGN_OR_RETURN(entry.ino, rows::read_uint<std::uint64_t>(stmt, 1, "inode number"));
    DFS_ASSIGN_OR_RETURN(entry.mode, rows::read_uint<std::uint32_t>(stmt, 2, "inode mode"));
    entries.push_back(std::move(entry));
  }
  DFS_TRY(tx.commit());
  return entries;
}

}  // namespace dfs::index
