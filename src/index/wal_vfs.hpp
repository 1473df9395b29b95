// The SQLite VFS every Database opens its files through: SQLite's own
// ("unix") for everything but the -wal file, whose writes it gathers.
//
// Why: SQLite writes each WAL frame as two writes (its 24-byte header, then
// the page), so a transaction of 12 pages cost 24 pwrite calls; a small
// file created on the mount costs two transactions. Each write of a
// partial block also goes through ext4's write path on its own. Gathered,
// a transaction's frames go to the file in one pwrite.
//
// What stays as it was: a commit is in the file (the page cache) before
// SQLite makes it visible. The frames are written, in one call, as the
// commit frame (the one whose header carries the database size) is
// complete, inside the same xWrite SQLite checks for errors, so a failed
// write fails the commit as before and a process that dies after a commit
// returned loses nothing. Any other access to the file (a read, a sync, a
// truncate, its size, a write that does not continue the gathered run,
// closing it) writes what is gathered first, so SQLite never sees the file
// without its own writes. Only frames appended in order are gathered;
// writes elsewhere in the file (a page written again in place within a
// transaction, checksums rewritten after it, the WAL's header) go through
// at once, after what was gathered.
#pragma once

#include <cstddef>

namespace dfs::index {

// At most this many bytes wait, and go in one write: SQLite's unix VFS
// writes less than 128 KiB per call (it masks the size with 0x1ffff), so a
// bigger run would come back as a short write (SQLITE_FULL). 31 pages of
// 4 KiB with their headers; a small file's commit is about 12.
inline constexpr std::size_t kMaxGathered = 126 * 1024;

// The registered VFS's name, for sqlite3_open_v2 (registered on first use;
// not the default VFS, so other users of SQLite in the process keep theirs).
// Null if registration failed (SQLite's default is then used).
const char* gathering_vfs_name();

}  // namespace dfs::index
