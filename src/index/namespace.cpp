// Index: the mount's namespace (inodes, directory entries, xattrs) and the
// NamespaceTxn the filesystem layer runs each operation in. Every operation
// is a function on a Database the caller has locked; the Index methods and
// the NamespaceTxn methods are the two ways of holding that lock.
#include <sys/stat.h>

#include <climits>

#include "dfs/index/index.hpp"
#include "dfs/index/sqlite.hpp"
#include "rows.hpp"

namespace dfs::index {

namespace {

constexpr std::string_view kInodeColumns =
    "ino, mode, uid, gid, nlink, size, atime_ns, mtime_ns, ctime_ns, rdev, manifest_id, file_key, symlink_target, "
    "generation, stored_bytes";

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
  if (!stmt.column_is_null(14)) {
    DFS_ASSIGN_OR_RETURN(attr.stored_bytes, rows::read_uint<std::uint64_t>(stmt, 14, "stored bytes"));
  }
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
  std::optional<std::int64_t> stored_bytes;
};

Result<InodeNumbers> inode_numbers(const InodeAttr& attr) {
  InodeNumbers n{};
  DFS_ASSIGN_OR_RETURN(n.nlink, rows::to_sql(attr.nlink, "link count"));
  DFS_ASSIGN_OR_RETURN(n.size, rows::to_sql(attr.size, "inode size"));
  DFS_ASSIGN_OR_RETURN(n.rdev, rows::to_sql(attr.rdev, "rdev"));
  DFS_ASSIGN_OR_RETURN(n.generation, rows::to_sql(attr.generation, "generation"));
  if (attr.stored_bytes) {
    DFS_ASSIGN_OR_RETURN(n.stored_bytes, rows::to_sql(*attr.stored_bytes, "stored bytes"));
  }
  return n;
}


std::int64_t sql_ino(std::uint64_t ino) { return static_cast<std::int64_t>(ino); }

// --- Operations on a locked connection --------------------------------

Result<InodeAttr> db_get_inode(Database& db, std::uint64_t ino) {
  if (!rows::to_sql(ino, "inode number").ok()) return no_such_inode(ino);
  DFS_ASSIGN_OR_RETURN(Statement stmt, rows::prepare_bound(db, "SELECT " + std::string(kInodeColumns) +
                                                                   " FROM inodes WHERE ino = ?",
                                                           sql_ino(ino)));
  DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return no_such_inode(ino);
  return read_inode_row(stmt);
}

Result<std::optional<std::uint64_t>> db_lookup(Database& db, std::uint64_t parent, const std::string& name) {
  if (!rows::to_sql(parent, "inode number").ok()) return std::optional<std::uint64_t>();
  DFS_ASSIGN_OR_RETURN(auto ino, rows::query_int(db, "SELECT ino FROM entries WHERE parent = ? AND name = ?",
                                                 sql_ino(parent), name));
  if (!ino.has_value()) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(*ino));
}

struct ContentColumns {
  std::optional<ByteView> manifest, key;
};

Result<ContentColumns> content_columns(const InodeAttr& attr) {
  if (attr.manifest.has_value() != attr.file_key.has_value()) {
    return make_error(Errc::invalid_argument, "an inode's manifest and file key are set together or not at all");
  }
  ContentColumns c;
  if (attr.manifest) c.manifest = ByteView(attr.manifest->bytes);
  if (attr.file_key) c.key = ByteView(*attr.file_key);
  return c;
}

Result<std::uint64_t> db_create_inode(Database& db, const InodeAttr& attr) {
  DFS_ASSIGN_OR_RETURN(ContentColumns c, content_columns(attr));
  DFS_ASSIGN_OR_RETURN(InodeNumbers n, inode_numbers(attr));
  DFS_TRY(rows::execute(db,
                        "INSERT INTO inodes (mode, uid, gid, nlink, size, atime_ns, mtime_ns, ctime_ns, rdev, "
                        "manifest_id, file_key, symlink_target, generation, stored_bytes) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        std::int64_t{attr.mode}, std::int64_t{attr.uid}, std::int64_t{attr.gid}, n.nlink, n.size,
                        attr.atime_ns, attr.mtime_ns, attr.ctime_ns, n.rdev, c.manifest, c.key, attr.symlink_target,
                        n.generation, n.stored_bytes));
  return static_cast<std::uint64_t>(db.last_insert_rowid());
}

Status db_update_inode(Database& db, const InodeAttr& attr) {
  DFS_ASSIGN_OR_RETURN(ContentColumns c, content_columns(attr));
  DFS_ASSIGN_OR_RETURN(InodeNumbers n, inode_numbers(attr));
  if (!rows::to_sql(attr.ino, "inode number").ok()) return no_such_inode(attr.ino);
  DFS_TRY(rows::execute(db,
                        "UPDATE inodes SET mode = ?, uid = ?, gid = ?, nlink = ?, size = ?, atime_ns = ?, "
                        "mtime_ns = ?, ctime_ns = ?, rdev = ?, manifest_id = ?, file_key = ?, symlink_target = ?, "
                        "generation = ?, stored_bytes = ? WHERE ino = ?",
                        std::int64_t{attr.mode}, std::int64_t{attr.uid}, std::int64_t{attr.gid}, n.nlink, n.size,
                        attr.atime_ns, attr.mtime_ns, attr.ctime_ns, n.rdev, c.manifest, c.key, attr.symlink_target,
                        n.generation, n.stored_bytes, sql_ino(attr.ino)));
  if (db.changes() == 0) return no_such_inode(attr.ino);
  return {};
}

// Inserts the entry; the caller holds a transaction.
Status db_add_entry(Database& db, std::uint64_t parent, const std::string& name, std::uint64_t ino) {
  DFS_TRY(check_name(name));
  DFS_TRY(check_directory(db, parent));
  DFS_TRY(inode_mode(db, ino));  // exists?
  Status inserted = rows::execute(db, "INSERT INTO entries (parent, name, ino) VALUES (?, ?, ?)", sql_ino(parent),
                                  name, sql_ino(ino));
  if (!inserted.ok() && inserted.error().code == Errc::already_exists) {
    return make_error(Errc::already_exists, "'" + name + "' already exists in directory " + std::to_string(parent));
  }
  return inserted;
}

Result<std::vector<DirEntry>> db_list_dir(Database& db, std::uint64_t parent) {
  DFS_TRY(check_directory(db, parent));
  DFS_ASSIGN_OR_RETURN(Statement stmt, rows::prepare_bound(db,
                                                           "SELECT e.name, e.ino, i.mode FROM entries AS e "
                                                           "JOIN inodes AS i ON i.ino = e.ino "
                                                           "WHERE e.parent = ? ORDER BY e.name",
                                                           sql_ino(parent)));
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
  return entries;
}

// The integers of the rows `stmt` returns, first column.
Result<std::vector<std::uint64_t>> read_uints(Statement& stmt) {
  std::vector<std::uint64_t> out;
  for (;;) {
    DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return out;
    DFS_ASSIGN_OR_RETURN(std::uint64_t v, rows::read_uint<std::uint64_t>(stmt, 0, "inode number"));
    out.push_back(v);
  }
}

Status check_xattr_name(const std::string& name) {
  if (name.empty()) return make_error(Errc::invalid_argument, "an extended attribute needs a name");
  return {};
}


}  // namespace

// --- Index ---------------------------------------------------------------

Result<InodeAttr> Index::get_inode(std::uint64_t ino) {
  std::lock_guard lock(mu_);
  return db_get_inode(*db_, ino);
}

Result<std::optional<std::uint64_t>> Index::lookup(std::uint64_t parent, const std::string& name) {
  std::lock_guard lock(mu_);
  return db_lookup(*db_, parent, name);
}

Result<std::uint64_t> Index::create_inode(const InodeAttr& attr) {
  std::lock_guard lock(mu_);
  return db_create_inode(*db_, attr);
}

Status Index::add_entry(std::uint64_t parent, const std::string& name, std::uint64_t ino) {
  DFS_TRY(check_name(name));
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_));
  DFS_TRY(db_add_entry(*db_, parent, name, ino));
  return tx.commit();
}

Result<std::vector<DirEntry>> Index::list_dir(std::uint64_t parent) {
  std::lock_guard lock(mu_);
  // One snapshot for the check and the listing.
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_, Transaction::Mode::deferred));
  DFS_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, db_list_dir(*db_, parent));
  DFS_TRY(tx.commit());
  return entries;
}

namespace {
Status read_child_xattrs(Database& db, std::uint64_t parent, std::vector<Child>& children) {
  DFS_ASSIGN_OR_RETURN(Statement stmt, rows::prepare_bound(db,
                                                           "SELECT e.name, x.name, x.value FROM entries AS e "
                                                           "JOIN xattrs AS x ON x.ino = e.ino "
                                                           "WHERE e.parent = ? ORDER BY e.name, x.name",
                                                           sql_ino(parent)));
  auto at = children.begin();
  for (;;) {
    DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return {};
    const std::string name = stmt.column_text(0);
    while (at != children.end() && at->name < name) ++at;
    if (at == children.end() || at->name != name) return make_error(Errc::corrupt, "xattrs of an entry not listed");
    ByteView value = stmt.column_blob(2);
    at->xattrs.emplace_back(stmt.column_text(1), Bytes(value.begin(), value.end()));
  }
}
}  // namespace

Result<std::vector<Child>> Index::list_children(std::uint64_t parent, bool with_xattrs) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Transaction tx, Transaction::begin(*db_, Transaction::Mode::deferred));
  DFS_TRY(check_directory(*db_, parent));
  std::string sql = "SELECT ";
  for (std::string_view column : {"ino", "mode", "uid", "gid", "nlink", "size", "atime_ns", "mtime_ns", "ctime_ns",
                                  "rdev", "manifest_id", "file_key", "symlink_target", "generation"}) {
    sql += "i." + std::string(column) + ", ";
  }
  sql += "e.name FROM entries AS e JOIN inodes AS i ON i.ino = e.ino WHERE e.parent = ? ORDER BY e.name";
  DFS_ASSIGN_OR_RETURN(Statement stmt, rows::prepare_bound(*db_, sql, sql_ino(parent)));
  std::vector<Child> children;
  for (;;) {
    DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) break;
    Child child;
    DFS_ASSIGN_OR_RETURN(child.attr, read_inode_row(stmt));
    child.name = stmt.column_text(14);
    children.push_back(std::move(child));
  }
  if (with_xattrs) DFS_TRY(read_child_xattrs(*db_, parent, children));
  DFS_TRY(tx.commit());
  return children;
}

Result<std::vector<std::pair<std::string, Bytes>>> Index::xattrs_of(std::uint64_t ino) {
  std::lock_guard lock(mu_);
  DFS_ASSIGN_OR_RETURN(Statement stmt,
                       rows::prepare_bound(*db_, "SELECT name, value FROM xattrs WHERE ino = ? ORDER BY name", sql_ino(ino)));
  std::vector<std::pair<std::string, Bytes>> xattrs;
  for (;;) {
    DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return xattrs;
    ByteView value = stmt.column_blob(1);
    xattrs.emplace_back(stmt.column_text(0), Bytes(value.begin(), value.end()));
  }
}

Result<NamespaceTxn> Index::begin_namespace() {
  std::unique_lock lock(mu_);
  NamespaceTxn txn(std::move(lock), *db_, unsynced_, namespace_changes_);
  DFS_ASSIGN_OR_RETURN(Transaction tx,
                       Transaction::begin(*db_, Transaction::Mode::immediate, Transaction::Durability::deferred));
  txn.tx_ = std::make_unique<Transaction>(std::move(tx));
  return txn;
}

// --- NamespaceTxn ----------------------------------------------------------

NamespaceTxn::NamespaceTxn(std::unique_lock<std::mutex> lock, Database& db, std::atomic<bool>& unsynced,
                           std::atomic<std::uint64_t>& changes)
    : lock_(std::move(lock)), db_(&db), unsynced_(&unsynced), changes_(&changes) {}
NamespaceTxn::NamespaceTxn(NamespaceTxn&&) noexcept = default;
NamespaceTxn& NamespaceTxn::operator=(NamespaceTxn&& other) noexcept {
  if (this != &other) {
    tx_.reset();  // roll back ours while we still hold our lock
    tx_ = std::move(other.tx_);
    db_ = other.db_;
    unsynced_ = other.unsynced_;
    lock_ = std::move(other.lock_);
  }
  return *this;
}
NamespaceTxn::~NamespaceTxn() { tx_.reset(); }  // rolls back before lock_ is released

Status NamespaceTxn::commit() {
  if (!tx_) return make_error(Errc::internal, "namespace transaction committed twice");
  unsynced_->store(true);  // before the commit: make_durable must not miss it
  Status committed = tx_->commit();
  changes_->fetch_add(1);  // after: a builder that saw the old count rescans
  tx_.reset();
  lock_.unlock();  // the index is free again, committed or not
  return committed;
}

Result<InodeAttr> NamespaceTxn::get_inode(std::uint64_t ino) { return db_get_inode(*db_, ino); }

Result<std::optional<std::uint64_t>> NamespaceTxn::lookup(std::uint64_t parent, const std::string& name) {
  return db_lookup(*db_, parent, name);
}

Result<std::uint64_t> NamespaceTxn::create_inode(const InodeAttr& attr) { return db_create_inode(*db_, attr); }

Status NamespaceTxn::add_entry(std::uint64_t parent, const std::string& name, std::uint64_t ino) {
  return db_add_entry(*db_, parent, name, ino);
}

Status NamespaceTxn::remove_entry(std::uint64_t parent, const std::string& name) {
  DFS_TRY(rows::execute(*db_, "DELETE FROM entries WHERE parent = ? AND name = ?", sql_ino(parent), name));
  if (db_->changes() == 0) {
    return make_error(Errc::not_found, "no entry '" + name + "' in directory " + std::to_string(parent));
  }
  return {};
}

Status NamespaceTxn::update_inode(const InodeAttr& attr) { return db_update_inode(*db_, attr); }

Status NamespaceTxn::delete_inode(std::uint64_t ino) {
  DFS_ASSIGN_OR_RETURN(auto linked, rows::query_int(*db_, "SELECT 1 FROM entries WHERE ino = ?1 OR parent = ?1 LIMIT 1",
                                                    sql_ino(ino)));
  if (linked.has_value()) {
    return make_error(Errc::invalid_argument, "inode " + std::to_string(ino) + " is still linked or has entries");
  }
  DFS_TRY(rows::execute(*db_, "DELETE FROM inodes WHERE ino = ?", sql_ino(ino)));
  if (db_->changes() == 0) return no_such_inode(ino);
  return {};
}

Result<bool> NamespaceTxn::has_entries(std::uint64_t dir) {
  DFS_ASSIGN_OR_RETURN(auto any, rows::query_int(*db_, "SELECT 1 FROM entries WHERE parent = ? LIMIT 1", sql_ino(dir)));
  return any.has_value();
}

Result<std::optional<std::uint64_t>> NamespaceTxn::parent_of(std::uint64_t ino) {
  DFS_ASSIGN_OR_RETURN(auto parent, rows::query_int(*db_,
                                                    "SELECT parent FROM entries WHERE ino = ? "
                                                    "ORDER BY parent, name LIMIT 1",
                                                    sql_ino(ino)));
  if (!parent.has_value()) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(*parent));
}

Result<std::optional<std::string>> NamespaceTxn::some_name(std::uint64_t ino) {
  DFS_ASSIGN_OR_RETURN(Statement stmt, rows::prepare_bound(*db_,
                                                           "SELECT name FROM entries WHERE ino = ? "
                                                           "ORDER BY parent, name LIMIT 1",
                                                           sql_ino(ino)));
  DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(stmt.column_text(0));
}

Result<std::vector<std::uint64_t>> NamespaceTxn::orphans() {
  DFS_ASSIGN_OR_RETURN(Statement stmt, db_->prepare("SELECT ino FROM inodes WHERE nlink = 0 ORDER BY ino"));
  return read_uints(stmt);
}

Result<std::uint64_t> NamespaceTxn::inode_count() {
  DFS_ASSIGN_OR_RETURN(std::int64_t count, db_->query_int64("SELECT count(*) FROM inodes"));
  return static_cast<std::uint64_t>(count);
}

Status NamespaceTxn::set_xattr(std::uint64_t ino, const std::string& name, ByteView value, XattrMode mode) {
  DFS_TRY(check_xattr_name(name));
  DFS_TRY(inode_mode(*db_, ino));
  DFS_ASSIGN_OR_RETURN(auto present, rows::query_int(*db_, "SELECT 1 FROM xattrs WHERE ino = ? AND name = ?",
                                                     sql_ino(ino), name));
  if (present && mode == XattrMode::create_only) {
    return make_error(Errc::already_exists, "inode " + std::to_string(ino) + " already has attribute " + name);
  }
  if (!present && mode == XattrMode::replace_only) {
    return make_error(Errc::not_found, "inode " + std::to_string(ino) + " has no attribute " + name);
  }
  return rows::execute(*db_, "INSERT INTO xattrs (ino, name, value) VALUES (?, ?, ?) "
                             "ON CONFLICT (ino, name) DO UPDATE SET value = excluded.value",
                       sql_ino(ino), name, value);
}

Result<std::optional<Bytes>> NamespaceTxn::get_xattr(std::uint64_t ino, const std::string& name) {
  DFS_ASSIGN_OR_RETURN(Statement stmt, rows::prepare_bound(*db_, "SELECT value FROM xattrs WHERE ino = ? AND name = ?",
                                                           sql_ino(ino), name));
  DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
  if (!row) return std::optional<Bytes>();
  ByteView value = stmt.column_blob(0);
  return std::optional<Bytes>(Bytes(value.begin(), value.end()));
}

Result<std::vector<std::string>> NamespaceTxn::list_xattrs(std::uint64_t ino) {
  DFS_ASSIGN_OR_RETURN(Statement stmt,
                       rows::prepare_bound(*db_, "SELECT name FROM xattrs WHERE ino = ? ORDER BY name", sql_ino(ino)));
  std::vector<std::string> names;
  for (;;) {
    DFS_ASSIGN_OR_RETURN(bool row, stmt.step());
    if (!row) return names;
    names.push_back(stmt.column_text(0));
  }
}

Result<bool> NamespaceTxn::remove_xattr(std::uint64_t ino, const std::string& name) {
  DFS_TRY(rows::execute(*db_, "DELETE FROM xattrs WHERE ino = ? AND name = ?", sql_ino(ino), name));
  return db_->changes() > 0;
}

Status NamespaceTxn::record_version(const FileRecord& file, const std::vector<ChunkId>& referenced) {
  if (file.chunk_size == 0) return make_error(Errc::invalid_argument, "file " + file.name + " has chunk size 0");
  DFS_ASSIGN_OR_RETURN(std::int64_t size, rows::to_sql(file.size, "file size"));
  DFS_ASSIGN_OR_RETURN(std::int64_t count, rows::to_sql(file.chunk_count, "chunk count"));
  DFS_TRY(rows::execute(*db_,
                        "INSERT INTO files (manifest_id, file_key, name, size, chunk_size, chunk_count, added_at, "
                        "from_mount) VALUES (?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT (manifest_id) DO NOTHING",
                        file.manifest.bytes, file.key, file.name, size, std::int64_t{file.chunk_size}, count,
                        file.added_at_unix));
  if (db_->changes() == 0) return {};  // recorded before, by someone else: theirs
  return rows::insert_chunk_refs(*db_, file.manifest, referenced);
}

Status NamespaceTxn::release_version(const ChunkId& manifest) {
  // One statement: ours, unpointed-at and unpinned, or nothing happens.
  // Deleting the files row cascades to its refs.
  return rows::execute(*db_,
                       "DELETE FROM files WHERE manifest_id = ?1 AND from_mount = 1 "
                       "AND NOT EXISTS (SELECT 1 FROM inodes WHERE manifest_id = ?1) "
                       "AND NOT EXISTS (SELECT 1 FROM pins WHERE manifest_id = ?1)",
                       manifest.bytes);
}

}  // namespace dfs::index
