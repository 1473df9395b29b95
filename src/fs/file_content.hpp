// FileContent: one regular file's content while the filesystem works on
// it: the committed version (manifest + key) plus a write-back area of
// dirty chunks, tracked per chunk so a commit re-seals only those.
//
// Model: chunk i reads as its dirty buffer if it has one, else as chunk i
// of the working base manifest, else as zeros; bytes past a chunk's stored
// length and before the file size read as zeros (holes, extension). A
// truncate drops the base chunks past the new end and trims the boundary
// chunk, so a later extension reads zeros there, not the old bytes.
//
// Not thread-safe: the owner (FileState) serialises every call with its
// mutex. seal_version runs jobs on the pool while the owner's lock is held.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "chunk_reader.hpp"
#include "dfs/store/in_flight.hpp"
#include "dfs/util/file.hpp"

namespace dfs::fs {

// The largest file size accepted (Errc::too_large, EFBIG, beyond): far
// below what the index's int64 columns hold.
inline constexpr std::uint64_t kMaxFileSize = std::uint64_t{1} << 50;

// Bytes of dirty plaintext held in memory, for all files together.
class MemoryBudget {
 public:
  explicit MemoryBudget(std::size_t limit) : limit_(limit) {}
  bool try_reserve(std::size_t n);
  void release(std::size_t n) { used_.fetch_sub(n); }

 private:
  const std::size_t limit_;
  std::atomic<std::size_t> used_{0};
};

// A sealed and stored version, not yet in the index.
struct NewVersion {
  ChunkId head;
  crypto::SecretKey key;
  Manifest manifest;
  std::vector<ChunkId> referenced;  // data chunks and manifest segments
};

// Where FileContent gets its dependencies.
struct ContentEnv {
  ChunkReader* reader;
  store::ChunkStore* store;
  WorkerPool* pool;
  MemoryBudget* budget;
  std::string scratch_dir;
};

class FileContent {
 public:
  // The committed version: both or neither of manifest and key.
  FileContent(ContentEnv env, std::optional<ChunkId> manifest, std::optional<crypto::SecretKey> key,
              std::uint64_t size, std::uint32_t new_chunk_size);
  ~FileContent();
  FileContent(const FileContent&) = delete;
  FileContent& operator=(const FileContent&) = delete;

  std::uint64_t size() const { return size_; }
  // Whether the content differs from the committed version.
  bool changed() const { return changed_; }
  // Makes the next seal_version write a version even if nothing changed
  // (an empty file asked for its ID).
  void mark_changed() { changed_ = true; }
  const std::optional<ChunkId>& committed() const { return committed_; }
  // Hands the committed manifest to the read cache if this content is
  // exactly that commit and holds it decoded (a file being closed), so
  // that the next open of the file reads no manifest chunk.
  void remember_committed_manifest() const;

  Result<std::size_t> read(std::uint64_t offset, MutableByteView out);
  // read() without the copy where the bytes sit in the read cache.
  Result<ReadPieces> read_pieces(std::uint64_t offset, std::size_t size);
  Status write(std::uint64_t offset, ByteView data);
  Status truncate(std::uint64_t size);
  // Read-ahead of chunks [first, first + count) that are clean base chunks.
  void prefetch(std::uint64_t first, std::uint32_t count);

  // Seals the dirty chunks (and pads or zero-fills what the size needs) on
  // the pool, stores them and the manifest in one batch. Reused chunks the
  // local stores lack (a shared file's) are fetched and stored too, so a
  // committed version never depends on another peer.
  // Each chunk is added to `hold` before it is put (GC keeps off it).
  Result<NewVersion> seal_version(store::InFlightChunks::Hold& hold);
  // After the index committed `version`: it is the new base; nothing dirty.
  void adopt(NewVersion version);
  // The chunks of the committed version (data and head), for replication.
  Result<std::vector<ChunkId>> committed_chunks();

  std::uint32_t chunk_size() const { return chunk_size_; }

 private:
  struct Dirty {
    Bytes data;            // in memory (when !spilled)
    bool spilled = false;  // else at chunk_index * chunk_size in spill_
    std::uint32_t length = 0;
  };

  Status ensure_base();
  std::uint32_t stored_length(std::uint64_t index) const;
  Status copy_chunk(std::uint64_t index, std::uint32_t from, MutableByteView out);
  // Calls `visit(index, from, length)` for each chunk piece of the `length`
  // bytes at `offset` (within the file); what read and read_pieces share.
  template <typename Visit>
  Status for_each_piece(std::uint64_t offset, std::size_t length, Visit&& visit);
  Result<Dirty*> dirty_for_write(std::uint64_t index, bool overwrites_all);
  Status write_into(Dirty& dirty, std::uint64_t index, std::uint32_t at, ByteView data);
  Status trim(Dirty& dirty, std::uint32_t length);
  Status ensure_spill();
  Status pwrite_all(ByteView data, std::uint64_t offset);
  void drop_dirty(std::uint64_t index);
  Result<Bytes> plaintext_of(std::uint64_t index, std::uint32_t required);
  Result<ChunkRef> seal_one(std::uint64_t index, std::uint32_t required, store::PutBatch& batch);
  std::uint64_t chunk_offset(std::uint64_t index) const { return index * chunk_size_; }

  ContentEnv env_;
  std::optional<ChunkId> committed_;   // the index's manifest for this file
  std::optional<crypto::SecretKey> key_;
  bool base_loaded_ = false;
  Manifest base_;                      // working base: committed, minus truncated chunks
  std::uint32_t chunk_size_;
  std::uint64_t size_;
  bool changed_ = false;
  std::map<std::uint64_t, Dirty> dirty_;
  UniqueFd spill_;                     // unlinked temp file, made on first spill
};

}  // namespace dfs::fs
