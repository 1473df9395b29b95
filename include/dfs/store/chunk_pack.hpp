// ChunkPack: small chunks packed into append-only files, where a file of
// their own each would cost more than their bytes (DiskChunkStore uses it).
//
// Why: a 4 KiB file on the mount is two small chunks (its data and its
// manifest). As files, each costs an inode, a directory entry in tmp/ and a
// rename into chunks/; creating 2,000 small files through the mount spent
// most of its CPU in the filesystem's inode allocator (ext4 without a
// journal scans past every inode freed in the last 30 s on each create).
// Appended to a pack, a chunk is one pwrite to a file that is already open.
//
// Layout: DIR/<8 hex digits>.pack, numbered upwards; appends go to the
// highest, and a new one is begun once it passes kPackFileSize. Each pack
// is a sequence of records:
//
//   "dfsP" | version (1) = 1 | state (1) | 0 (2) | size (4, LE) | chunk ID (32) | sealed bytes (size)
//
// state is kLive or kRemoved. A chunk's bytes are checked against its ID
// by the reader (DiskChunkStore), as for chunk files: the pack trusts
// nothing it reads back.
//
// Crash safety: a record is written with one pwrite and becomes visible
// only after it (and, if durable, after an fdatasync). A crash can leave
// only a torn tail on the pack being appended to; open cuts a pack at the
// first record that is not whole (short, bad magic, version or size) and
// logs it. A power loss that leaves a whole-length record with wrong bytes
// is caught by the reader's hash. A remove rewrites the state byte without
// syncing: a crash may bring a removed chunk back, which is harmless (GC
// removes it again), as for chunk files.
//
// Space: once more than half of a pack other than the current one is
// removed records, its live records are appended to the current pack and
// the old pack is deleted (within that remove call).
//
// Memory: one index entry per packed chunk (about 80 bytes).
//
// Thread-safe. mu_ guards the index, the pack table and the current pack's
// end; reads pread outside it (a pack's descriptor stays open while a read
// holds it, even if compaction deletes the file meanwhile).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "dfs/chunk/chunk_id.hpp"
#include "dfs/util/bytes.hpp"
#include "dfs/util/file.hpp"
#include "dfs/util/result.hpp"

namespace dfs::store {

class ChunkPack {
 public:
  // Chunks up to this sealed size are packed; larger ones keep a file.
  static constexpr std::size_t kMaxPackedChunkSize = 64 * 1024 - 1;
  // A pack grows to about this size before the next one is begun.
  static constexpr std::uint64_t kPackFileSize = 32ull << 20;
  static constexpr std::size_t kRecordHeaderSize = 44;
  static constexpr std::uint8_t kLive = 1;
  static constexpr std::uint8_t kRemoved = 0;

  struct Header {
    std::uint8_t state = kLive;
    std::uint32_t size = 0;
    ChunkId id;
  };
  // Encodes and decodes a record header. decode refuses a wrong magic,
  // version or state and a size above kMaxPackedChunkSize (Errc::corrupt).
  static void encode_header(const Header& header, std::uint8_t out[kRecordHeaderSize]);
  static Result<Header> decode_header(ByteView bytes);

  // Where a packed chunk's sealed bytes are.
  struct Place {
    std::string path;
    std::uint64_t offset = 0;
    std::uint32_t size = 0;
  };
  // Every live record of the packs in `dir`, read without opening the pack
  // (no lock, no repair): for tests and tools looking at the store of a
  // running peer. A torn tail ends a pack's listing.
  static Result<std::vector<std::pair<ChunkId, Place>>> scan(const std::string& dir);

  // Opens the packs in `dir` (creating it if needed), indexing their live
  // records and cutting torn tails. `durable`: a new pack file's directory
  // entry and the copies compaction makes are synced.
  static Result<std::unique_ptr<ChunkPack>> open(const std::string& dir, bool durable);

  struct Chunk {
    ChunkId id;
    ByteView sealed;  // at most kMaxPackedChunkSize bytes
  };
  // Appends the chunks that are not packed yet, in one write (fdatasynced
  // if `sync`); returns, for each, whether it was added. They become
  // visible once written and synced; on an error none of them was added.
  // `on_added(i)` runs for each added chunks[i] as it becomes visible,
  // under the pack's lock (a leaf lock may be taken there: the usage's).
  Result<std::vector<bool>> append(const std::vector<Chunk>& chunks, bool sync,
                                   const std::function<void(std::size_t)>& on_added = {});

  bool contains(const ChunkId& id) const;
  // Reads chunk `id` (unverified) into `into(size)`, a buffer of at least
  // `size` bytes the caller provides; returns its size. Errc::not_found.
  Result<std::size_t> read(const ChunkId& id, const std::function<std::uint8_t*(std::size_t)>& into);
  // Removes `id`; returns its sealed size. Errc::not_found.
  Result<std::uint32_t> remove(const ChunkId& id);
  std::vector<ChunkId> list() const;
  std::optional<Place> place(const ChunkId& id) const;

  struct Totals {
    std::uint64_t chunks = 0;
    std::uint64_t bytes = 0;  // sealed bytes of live chunks
  };
  Totals totals() const;

  ~ChunkPack();

 private:
  struct PackFile {
    std::uint32_t number = 0;
    std::shared_ptr<UniqueFd> fd;
    std::uint64_t end = 0;         // bytes of whole records
    std::uint64_t removed = 0;     // bytes of removed records
  };
  struct Entry {
    std::uint32_t pack = 0;  // PackFile::number
    std::uint64_t record = 0;  // offset of the record's header
    std::uint32_t size = 0;
  };

  ChunkPack(std::string dir, bool durable) : dir_(std::move(dir)), durable_(durable) {}
  std::string path_of(std::uint32_t number) const;
  Status load(std::uint32_t number);
  Status begin_pack_locked(std::uint32_t number);
  Status append_locked(std::vector<std::pair<Header, ByteView>>& records, std::vector<Entry>& placed, bool sync);
  Status compact_locked(std::uint32_t number);
  PackFile* pack_locked(std::uint32_t number);

  const std::string dir_;
  const bool durable_;
  mutable std::mutex mu_;
  std::unordered_map<ChunkId, Entry> index_;  // guarded by mu_
  std::vector<PackFile> packs_;               // guarded by mu_; by number, the last one is appended to
};

}  // namespace dfs::store
