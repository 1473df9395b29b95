// FileContent: one regular file's content while the filesystem works on
// it: the committed version (manifest + key) plus a write-back area of
// dirty chunks, tracked per chunk so a commit re-seals only those.
//
// Model: chunk i reads as its dirty buffer if it has one, else as the
// chunk write-behind stored for it, else as chunk i of the working base
// manifest, else as zeros; bytes past a chunk's stored length and before
// the file size read as zeros (extension). A truncate drops the base
// chunks past the new end and trims the boundary chunk, so a later
// extension reads zeros there, not the old bytes.
//
// Holes: a chunk with none of the three is a hole. It reads as zeros with
// no I/O and is written into the next version as a hole run (no chunk
// sealed, stored or sent), so growing a file (truncate, a write far past
// the end) costs O(1) whatever the gap, and a commit walks only the chunks
// that hold data. punch() makes whole chunks holes again.
//
// Every chunk and manifest is sealed and stored by the content's
// VersionWriter (store/version_writer.hpp), the one `dfs put` uses too,
// whose sink streams the sealed bytes to the version's replication stream
// (version_stream.hpp) as they are sealed: seal_version hands that stream
// to its caller with the new version.
//
// Write-behind: when a write that ends at a chunk's end leaves its
// in-memory dirty buffer full (a sequential writer's every chunk), the
// chunk is sealed and stored in the background (write_behind.hpp) and its
// memory released; seal_version then reuses its ChunkRef. A chunk that is
// read, written or truncated while its seal runs waits for that seal
// first. One written again afterwards is dirty again (the stored chunk is
// garbage, GC reclaims it) and stays so until the commit: at most one
// background seal per chunk and version, so an editor of one chunk does
// not pay a seal per write. A background put that fails hands the chunk
// back as dirty data and the next seal_version reports the error once; a
// failed publish (the store batch's commit) loses the chunks it held, so
// every later seal_version of this content fails and the file keeps its
// last committed version.
//
// Not thread-safe: the owner (FileState) serialises every call with its
// mutex. seal_version and write-behind run jobs on the pool.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "chunk_reader.hpp"
#include "dfs/store/in_flight.hpp"
#include "dfs/util/file.hpp"
#include "version_stream.hpp"
#include "write_behind.hpp"

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
  crypto::SecretKey key;  // the version's fresh manifest key
  Manifest manifest;
  std::vector<ChunkId> referenced;  // data chunks and manifest segments
  // The chunks this version sealed, on their way to the peers (with a
  // network): the commit's caller waits for them (fsync) or not (close).
  VersionStream::Taken replication;
};

// Where FileContent gets its dependencies.
struct ContentEnv {
  ChunkReader* reader;
  store::ChunkStore* store;
  WorkerPool* pool;
  MemoryBudget* budget;
  std::string scratch_dir;
  // Where chunks stored ahead of their commit are held away from GC; null
  // when no GC runs.
  store::InFlightChunks* in_flight = nullptr;
  // Where sealed chunks are streamed as they are sealed; null without peers.
  replicate::ChunkNetwork* network = nullptr;
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
  // Makes [offset, end) read as zeros, the size unchanged (fallocate's
  // PUNCH_HOLE and ZERO_RANGE; `end` is clamped to the size): the chunks it
  // covers whole become holes, the bytes of the others are zeroed.
  Status punch(std::uint64_t offset, std::uint64_t end);
  // lseek SEEK_DATA (hole false) / SEEK_HOLE (hole true), by chunks: the
  // first offset at or after `offset` in a chunk that holds data / in a
  // hole or at the end. not_found at or past the end, or with no data after.
  Result<std::uint64_t> seek(std::uint64_t offset, bool hole);
  // Plaintext bytes stored for the content, holes not counted (st_blocks).
  Result<std::uint64_t> stored_bytes();
  // Read-ahead of chunks [first, first + count) that are clean base chunks.
  void prefetch(std::uint64_t first, std::uint32_t count);

  // Seals the chunks that hold data (padding a short one to what the size
  // needs; holes stay hole runs) on the pool, stores them and the manifest in one unsynced batch. Reused chunks the
  // local stores lack (a shared file's) are fetched and stored too, so a
  // committed version never depends on another peer.
  // Each chunk is added to `hold` before it is put (GC keeps off it);
  // those write-behind stored earlier are held by the content until adopt.
  // First waits for the write-behind still running, and fails with its
  // error if a background put or publish failed.
  Result<NewVersion> seal_version(store::InFlightChunks::Hold& hold);
  // After the index committed `version`: it is the new base; nothing dirty;
  // GC may judge the chunks stored ahead again.
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
  // The stored chunk `index` reads as when it has no dirty buffer: the one
  // write-behind sealed, else the base's; null if neither.
  const ChunkRef* clean_ref(std::uint64_t index) const;
  Result<Plaintext> clean_plaintext(std::uint64_t index);
  std::uint32_t stored_length(std::uint64_t index) const;
  // Whether chunk `index` holds data (not a hole); no seal may be running.
  bool holds_data(std::uint64_t index) const;
  // The first chunk at or after `index` that holds data, or UINT64_MAX.
  std::uint64_t next_data(std::uint64_t index) const;
  // Zeros [offset, end) where chunks hold bytes (a hole is zeros already).
  Status zero_stored(std::uint64_t offset, std::uint64_t end);
  // `length` zero bytes (at most a chunk) that read_pieces lends for holes.
  ByteView zeros(std::size_t length);
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
  // The entries of the version being sealed, in order, into `manifest`.
  Status seal_entries(Manifest& manifest, store::PutBatch& batch);
  // The version writer (store/version_writer.hpp), streaming to stream_;
  // it seals each chunk and each manifest under a fresh key.
  const store::VersionWriter& writer();
  // --- write-behind ---
  // Seals chunk `index` in the background if its dirty buffer is full.
  void write_behind_if_complete(std::uint64_t index);
  // Takes the outcomes of the seals that finished (all of them if `wait`).
  void settle_seals(bool wait);
  void settle(WriteBehind::Outcome outcome);
  // Waits for the seals of chunks [first, last] if any is running.
  void settle_range(std::uint64_t first, std::uint64_t last);
  Status finish_write_behind();
  // Chunks write-behind stored that no version will name (written again,
  // truncated away, or the content dropped uncommitted): removed from the
  // store at once, not left to GC.
  void orphan_sealed_ahead(std::map<std::uint64_t, ChunkRef>::iterator first,
                           std::map<std::uint64_t, ChunkRef>::iterator last);
  void remove_orphans();
  std::uint64_t chunk_offset(std::uint64_t index) const { return index * chunk_size_; }

  ContentEnv env_;
  std::optional<ChunkId> committed_;   // the index's manifest for this file
  std::optional<crypto::SecretKey> key_;  // opens committed_ (that version alone)
  bool base_loaded_ = false;
  Manifest base_;                      // working base: committed, minus truncated chunks
  std::uint32_t chunk_size_;
  std::uint64_t size_;
  bool changed_ = false;
  std::map<std::uint64_t, Dirty> dirty_;
  UniqueFd spill_;                     // unlinked temp file, made on first spill
  std::map<std::uint64_t, ChunkRef> sealed_ahead_;  // stored by write-behind, not yet committed
  std::set<std::uint64_t> written_again_;  // after write-behind stored them; not sealed ahead again
  std::vector<ChunkId> orphans_;       // stored by write-behind, named by no version: removed at adopt
  Status write_behind_error_;          // a background put's failure, for the next seal_version
  std::shared_ptr<const Bytes> zeros_;  // made on the first read of a hole
  VersionStream stream_;               // the writer's sink
  std::optional<store::VersionWriter> writer_;  // made once key_ is set
  WriteBehind write_behind_;           // last: its jobs finish before the rest goes
};

}  // namespace dfs::fs
