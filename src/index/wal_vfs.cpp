// The gathering VFS (wal_vfs.hpp): SQLite's default VFS, with the -wal
// file's writes gathered into one write per commit.
//
// SQLite allocates szOsFile bytes per open file. A file that is not a WAL
// is opened by the default VFS straight into that space (it needs less), so
// it is SQLite's own file object. A WAL gets a GatherFile: our methods,
// then the default VFS's file object, aligned, which every call is passed
// on to.
#include "wal_vfs.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <vector>

namespace dfs::index {

namespace {

constexpr const char* kVfsName = "dfs-gather";
// A WAL frame header: page number, then the database size in pages after
// the commit if the frame ends a transaction (0 otherwise), then salts and
// checksums (sqlite.org/fileformat2.html#walformat).
constexpr int kFrameHeaderSize = 24;

sqlite3_vfs* g_default = nullptr;  // SQLite's default VFS, set once by gathering_vfs_name
sqlite3_vfs g_vfs;                 // a copy of it with our xOpen; set once

// What a WAL file gathers: bytes not yet written, which go at `start`.
struct Gathered {
  std::vector<std::uint8_t> bytes;
  sqlite3_int64 start = 0;
  // Where the last write (gathered or not) ended: only a write that starts
  // there is gathered. SQLite appends a transaction's frames in order; the
  // writes it makes elsewhere (a page written again in place, checksums
  // rewritten after the commit frame, the WAL's header) go through at once.
  sqlite3_int64 next = -1;
  // A commit frame's header was written: the write after it (its page)
  // completes the commit, and everything gathered is written with it.
  bool commit_pending = false;
};

struct GatherFile {
  sqlite3_file base;  // first: SQLite sees a GatherFile as a sqlite3_file
  Gathered* gathered;
};

constexpr std::size_t kRealOffset = (sizeof(GatherFile) + alignof(std::max_align_t) - 1) & ~(alignof(std::max_align_t) - 1);

GatherFile* gather_of(sqlite3_file* file) { return reinterpret_cast<GatherFile*>(file); }
sqlite3_file* real_of(sqlite3_file* file) {
  return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
}

// Writes what is gathered, in one call. Whatever happens, nothing stays
// gathered: after a failed write SQLite rolls the commit back and writes
// its frames again.
int write_gathered(sqlite3_file* file) {
  Gathered& g = *gather_of(file)->gathered;
  if (g.bytes.empty()) return SQLITE_OK;
  sqlite3_file* real = real_of(file);
  const int rc = real->pMethods->xWrite(real, g.bytes.data(), static_cast<int>(g.bytes.size()), g.start);
  g.bytes.clear();
  return rc;
}

bool is_commit_header(const void* data, int amount) {
  if (amount != kFrameHeaderSize) return false;
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  std::uint32_t db_size = 0;
  for (int i = 4; i < 8; ++i) db_size = (db_size << 8) | bytes[i];
  return db_size != 0;
}

int gather_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  Gathered& g = *gather_of(file)->gathered;
  const bool completes_commit = g.commit_pending;
  g.commit_pending = is_commit_header(data, amount);
  const bool appends = offset == g.next && static_cast<std::size_t>(amount) <= kMaxGathered;
  g.next = offset + amount;
  if (!appends || g.bytes.size() + static_cast<std::size_t>(amount) > kMaxGathered) {
    if (int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  }
  if (!appends) {
    sqlite3_file* real = real_of(file);
    return real->pMethods->xWrite(real, data, amount, offset);
  }
  if (g.bytes.empty()) g.start = offset;
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  g.bytes.insert(g.bytes.end(), bytes, bytes + amount);
  return completes_commit ? write_gathered(file) : SQLITE_OK;
}

// The other methods: what is gathered first where the call could see or
// change the file's bytes, then SQLite's own method.
int gather_close(sqlite3_file* file) {
  const int written = write_gathered(file);
  sqlite3_file* real = real_of(file);
  const int closed = real->pMethods->xClose(real);
  delete gather_of(file)->gathered;
  gather_of(file)->gathered = nullptr;
  return written != SQLITE_OK ? written : closed;
}

int gather_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  if (int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  sqlite3_file* real = real_of(file);
  return real->pMethods->xRead(real, out, amount, offset);
}

int gather_truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  sqlite3_file* real = real_of(file);
  return real->pMethods->xTruncate(real, size);
}

int gather_sync(sqlite3_file* file, int flags) {
  if (int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  sqlite3_file* real = real_of(file);
  return real->pMethods->xSync(real, flags);
}

int gather_file_size(sqlite3_file* file, sqlite3_int64* size) {
  if (int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  sqlite3_file* real = real_of(file);
  return real->pMethods->xFileSize(real, size);
}

int gather_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  if (int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  sqlite3_file* real = real_of(file);
  return real->pMethods->xFetch(real, offset, amount, out);
}

// Passed on as they are.
int gather_lock(sqlite3_file* f, int level) { return real_of(f)->pMethods->xLock(real_of(f), level); }
int gather_unlock(sqlite3_file* f, int level) { return real_of(f)->pMethods->xUnlock(real_of(f), level); }
int gather_check_reserved(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int gather_file_control(sqlite3_file* f, int op, void* arg) {
  return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int gather_sector_size(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int gather_device(sqlite3_file* f) { return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f)); }
int gather_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
}
int gather_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void gather_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int gather_shm_unmap(sqlite3_file* f, int remove) { return real_of(f)->pMethods->xShmUnmap(real_of(f), remove); }
int gather_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), offset, p);
}

// Version 3 methods; the default VFS's files all have them (checked at open).
const sqlite3_io_methods kGatherMethods = {
    3,
    gather_close,
    gather_read,
    gather_write,
    gather_truncate,
    gather_sync,
    gather_file_size,
    gather_lock,
    gather_unlock,
    gather_check_reserved,
    gather_file_control,
    gather_sector_size,
    gather_device,
    gather_shm_map,
    gather_shm_lock,
    gather_shm_barrier,
    gather_shm_unmap,
    gather_fetch,
    gather_unfetch,
};

int gather_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0) return g_default->xOpen(g_default, name, file, flags, out_flags);
  auto* gather = gather_of(file);
  gather->base.pMethods = nullptr;  // until the real file is open: SQLite then closes nothing
  sqlite3_file* real = real_of(file);
  const int rc = g_default->xOpen(g_default, name, real, flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  if (real->pMethods == nullptr || real->pMethods->iVersion < 3) {
    // Not the methods this wrapper passes on: the file as SQLite made it.
    // Cannot happen with the unix VFS; its object must then fit at `file`.
    if (real->pMethods != nullptr) real->pMethods->xClose(real);
    return g_default->xOpen(g_default, name, file, flags, out_flags);
  }
  gather->gathered = new (std::nothrow) Gathered();
  if (gather->gathered == nullptr) {
    real->pMethods->xClose(real);
    return SQLITE_NOMEM;
  }
  gather->base.pMethods = &kGatherMethods;
  return SQLITE_OK;
}

}  // namespace

const char* gathering_vfs_name() {
  static std::once_flag once;
  static bool registered = false;
  std::call_once(once, [] {
    if (sqlite3_initialize() != SQLITE_OK) return;
    g_default = sqlite3_vfs_find(nullptr);
    if (g_default == nullptr) return;
    // The default VFS's other methods take it as their first argument and
    // read only its pAppData and mxPathname, which the copy keeps.
    g_vfs = *g_default;
    g_vfs.zName = kVfsName;
    g_vfs.pNext = nullptr;
    g_vfs.szOsFile = static_cast<int>(kRealOffset) + g_default->szOsFile;
    g_vfs.xOpen = gather_open;
    registered = sqlite3_vfs_register(&g_vfs, /*makeDflt=*/0) == SQLITE_OK;
  });
  return registered ? kVfsName : nullptr;
}

}  // namespace dfs::index
