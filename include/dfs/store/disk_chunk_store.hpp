// DiskChunkStore: a peer's local chunk storage, one file per chunk, except
// for small chunks, which are packed.
//
// Layout under the store directory:
//   LOCK                      held with flock() while the store is open, so
//                             two stores (or processes) never share a dir
//   chunks/<2 hex>/<64 hex>   the chunks, fanned out by their first byte
//   packs/<8 hex>.pack        chunks of at most ChunkPack::kMaxPackedChunkSize
//                             sealed bytes, appended (store/chunk_pack.hpp):
//                             a small file's data and manifest cost no inode
//   tmp/                      puts in progress; whatever is left here is
//                             what a crash mid-put left, removed at open
//   quarantine/               chunks that failed verification, kept for a
//                             human to look at; never served again
//   verified                  the chunk files this store has checked and how
//                             each looked then (VerifiedFiles::encode),
//                             written at close and read at open, so chunks
//                             read back after a restart are not hashed
//                             again while their files are unchanged; an
//                             unreadable or missing one only costs hashes
//
// A put of a larger chunk writes a temp file in tmp/ (same filesystem), fsyncs it, renames it
// into chunks/ and fsyncs the fan-out directory, so after a crash a chunk is
// either wholly there or absent. Usage is computed by scanning chunks/ at
// open and kept up to date in memory after that; a quota below the usage
// found at open is allowed (puts then fail with no_space until removes make
// room). A remove is not fsynced: a crash may bring a removed chunk back,
// which is harmless (GC removes it again) and keeps removes cheap.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "dfs/store/chunk_pack.hpp"
#include "dfs/store/chunk_store.hpp"
#include "dfs/store/usage_counter.hpp"
#include "dfs/store/verified_files.hpp"
#include "dfs/util/file.hpp"

namespace dfs::store {

struct DiskStoreOptions {
  std::uint64_t quota_bytes = 0;  // 0 = unlimited
  // fsync every chunk file and its directory before put returns. false only
  // for benchmarks and tests that say so: a crash may then lose chunks.
  bool durable = true;
};

class DiskChunkStore final : public ChunkStore {
 public:
  // Opens (creating if needed) the store in `dir`. Fails with
  // Errc::unavailable if another open store holds the directory.
  static Result<std::unique_ptr<DiskChunkStore>> open(const std::string& dir, DiskStoreOptions options);
  // Writes the `verified` file (not synced: losing it costs only hashes).
  ~DiskChunkStore() override;

  Status put(const ChunkId& id, ByteView sealed) override;
  Result<Bytes> get(const ChunkId& id) override;
  // Reads a large chunk around the page cache (O_DIRECT) into a buffer of
  // the calling thread: see the .cpp.
  Status with_sealed(const ChunkId& id, const SealedUse& use) override;
  // Takes the chunk file as it is now for one this store checked, so that
  // get_for_peer and with_sealed lend it unhashed: what a medium failing
  // under an unchanged inode looks like, for tests of what catches it.
  Status trust_as_is_for_testing(const ChunkId& id);
  // Skips the hash while the chunk's file is unchanged since this store
  // last hashed it or wrote it from checked bytes (see the .cpp for why).
  Result<Bytes> get_for_peer(const ChunkId& id) override;
  Result<bool> contains(const ChunkId& id) override;
  Status remove(const ChunkId& id) override;
  Result<std::vector<ChunkId>> list() override;
  Usage usage() const override;
  // Writes the batch's chunks to tmp/ unsynced; commit() syncs them all
  // with one syncfs, renames them into place, and syncs again for the
  // directory entries: two journal commits per batch instead of two per
  // chunk, with the same guarantee (a chunk appears only once its bytes
  // are durable; after commit every one survives a crash).
  // commit_unsynced() renames them into place with no sync at all.
  std::unique_ptr<PutBatch> begin_batch() override;
  // One syncfs of the store's filesystem (none if the store is not durable).
  Status sync() override;
  void prefetch(const ChunkId& id) override;

  // Moves chunk `id` from `from` into this store by renaming its file:
  // no read, no hash, no copy (the bytes were checked when `from` stored
  // them), and never a moment when neither store holds it. Usage moves
  // along (Errc::no_space if this store's quota refuses it; `from` keeps
  // it then). If this store already holds the chunk, `from`'s copy is
  // removed. Errc::not_found if `from` does not hold it. Returns false,
  // changing nothing, if the two stores are on different filesystems
  // (the caller copies instead). Not durable until sync().
  Result<bool> move_from(DiskChunkStore& from, const ChunkId& id);

  // Deletes the files in tmp/ last modified at least `age` ago (all of
  // them for 0): puts that died without cleaning up (a crash is cleaned at
  // open; this is for a store that stays open for months). `age` must be
  // longer than any put or batch stays in tmp/, which a batch does from
  // its first put until commit. Returns how many it deleted.
  Result<std::uint64_t> remove_temp_files_older_than(std::chrono::seconds age);

  // Where the store keeps things, for tests and tools.
  const std::string& dir() const { return dir_; }
  // The path chunk `id` has if it is not packed.
  std::string chunk_path(const ChunkId& id) const;
  // Where chunk `id`'s sealed bytes are on disk: a file of its own (offset
  // 0) or a pack. Errc::not_found.
  struct OnDisk {
    std::string path;
    std::uint64_t offset = 0;
    bool packed = false;
  };
  Result<OnDisk> locate(const ChunkId& id);
  // Every chunk under the store directory `dir`, found without opening the
  // store: for tests and tools looking at the store of a running peer.
  static Result<std::vector<std::pair<ChunkId, OnDisk>>> list_on_disk(const std::string& dir);
  std::string tmp_dir() const { return dir_ + "/tmp"; }
  std::string quarantine_dir() const { return dir_ + "/quarantine"; }
  std::string verified_path() const { return dir_ + "/verified"; }

 private:
  DiskChunkStore(std::string dir, DiskStoreOptions options, UniqueFd lock_file);
  friend class DiskPutBatch;

  // A chunk written to tmp/ but not yet in place: what a batch holds.
  struct StagedChunk {
    ChunkId id;
    std::string temp_path;
    UsageCounter::Reservation reservation;
  };
  // Checks (unless `trusted`: see PutBatch::put_verified), reserves and
  // writes `sealed` to a temp file (synced if `sync_now`). nullopt if the
  // chunk is already stored.
  Result<std::optional<StagedChunk>> stage(const ChunkId& id, ByteView sealed, bool sync_now, bool trusted = false);
  // Renames a staged chunk into place; its temp file is gone either way.
  Status publish_staged(StagedChunk& staged);
  // A small chunk a batch holds until it commits: packed then, in one
  // append with the batch's other small chunks.
  struct PackedChunk {
    ChunkId id;
    Bytes sealed;
    UsageCounter::Reservation reservation;
  };
  static bool packable(std::size_t sealed_size) { return sealed_size <= ChunkPack::kMaxPackedChunkSize; }
  // stage() for a packable chunk: checks and reserves. nullopt if stored.
  Result<std::optional<PackedChunk>> stage_packed(const ChunkId& id, ByteView sealed, bool trusted);
  // Appends the chunks to the pack (synced first if `sync`) and commits
  // the reservations of those it added.
  Status publish_packed(std::vector<PackedChunk>& chunks, bool sync);
  // Keeps a copy of a packed chunk that failed verification in
  // quarantine/ and removes it from the pack.
  void quarantine_packed(const ChunkId& id, ByteView bytes, const std::string& why);
  Status sync_filesystem();

  Status prepare_dirs();
  Status clean_tmp();
  Status scan_usage();
  // The `verified` file into verified_ / verified_ into it. Failures are
  // logged, never fatal: the store then hashes what it reads.
  void load_verified();
  void save_verified() const;
  std::string fanout_dir(std::uint8_t first_byte) const;
  Result<bool> publish(const ChunkId& id, const std::string& temp_path, UsageCounter::Reservation& reservation);
  Status sync_fanout_dir(const ChunkId& id);
  // Identifies the file a get read, so quarantine moves that file and not
  // one a concurrent remove + put may have put in its place.
  struct FileKey {
    std::uint64_t dev = 0;
    std::uint64_t ino = 0;
  };
  void quarantine(const ChunkId& id, FileKey seen, const std::string& why);
  // Where read_checked puts a chunk file of the size it asks for.
  struct ReadBuffer {
    std::uint8_t* data = nullptr;
    std::size_t capacity = 0;  // at least the size asked for
    bool direct = false;       // data and capacity are aligned for O_DIRECT: read around the page cache
  };
  // get(), get_for_peer() and with_sealed(): opens the chunk file, refuses
  // what cannot be a chunk, reads it into `buffer_for(its size)`, checks it
  // against `id` (quarantining it if it does not match; skipped if
  // `trust_unchanged` and verified_ shows the file unchanged since it was
  // last checked) and returns the bytes read.
  Result<ByteView> read_checked(const ChunkId& id, const std::function<ReadBuffer(std::size_t)>& buffer_for,
                                bool trust_unchanged);
  // read_checked() of a packed chunk; not_found if `id` is not packed.
  Result<ByteView> read_packed(const ChunkId& id, const std::function<ReadBuffer(std::size_t)>& buffer_for);
  Result<Bytes> read_into_bytes(const ChunkId& id, bool trust_unchanged);
  // read_checked into this thread's aligned scratch (around the page cache
  // for large chunks), or into `fallback` if no scratch can be had. The
  // view is valid until this thread's next read.
  Result<ByteView> read_into_scratch(const ChunkId& id, Bytes& fallback, bool trust_unchanged);
  std::string unique_suffix();
  std::mutex& lock_for(const ChunkId& id) { return id_locks_[id.bytes[0] % id_locks_.size()]; }

  const std::string dir_;
  const std::string chunks_dir_;
  const DiskStoreOptions options_;
  // Holds flock(LOCK_EX) on dir_/LOCK for the store's lifetime: tmp/ is
  // emptied at open and usage is only right if we are the only writer.
  const UniqueFd lock_file_;

  UsageCounter usage_;
  VerifiedFiles verified_;
  std::unique_ptr<ChunkPack> pack_;
  // Whether a chunk small enough for the pack may be a file of its own
  // (stored before packs, or moved in from such a file): only then does
  // stage_packed look for the file, a failed stat per small chunk put
  // otherwise (two per small file written on the mount, issue 13).
  std::atomic<bool> small_files_{false};
  // Makes temp and quarantine names unique within this (only) process.
  std::atomic<std::uint64_t> next_name_{0};
  // Each mutex serialises the changes to the directory entries of the
  // chunks whose first ID byte maps to it: the exists-check + rename of a
  // put, the stat + unlink of a remove, the check + rename of a quarantine.
  // So usage changes by exactly the size of the file that came or went.
  // Held only around those few syscalls, never while writing or hashing.
  // Lock order: an id lock before usage_'s (leaf) lock.
  std::array<std::mutex, 64> id_locks_;
};

}  // namespace dfs::store
