// Helpers shared by the fs tests: a peer's data directory in a temp dir
// (a real DiskChunkStore, cache store and SQLite index, as Node lays them
// out) with a FileSystem over it, and shorthands for common operations.
#pragma once

#include "../../common/eventually.hpp"
#include "../../common/temp_dir.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <system_error>

#include "dfs/chunk/manifest.hpp"
#include "dfs/fs/open_filesystem.hpp"
#include "dfs/replicate/chunk_network.hpp"
#include "dfs/store/disk_chunk_store.hpp"

#define ASSERT_OK(expr)                                              \
  do {                                                               \
    auto&& assert_ok_ = (expr);                                      \
    ASSERT_TRUE(assert_ok_.ok()) << assert_ok_.error().to_string();  \
  } while (0)

#define EXPECT_ERRC(expr, errc)                                                   \
  do {                                                                            \
    auto&& expect_errc_ = (expr);                                                 \
    ASSERT_FALSE(expect_errc_.ok()) << "expected " << errc_name(errc);            \
    EXPECT_EQ(expect_errc_.error().code, errc) << expect_errc_.error().to_string(); \
  } while (0)

namespace dfs::fs::testing {

using ::dfs::testing::eventually;

// A scratch directory named after these tests.
class TempDir : public dfs::testing::TempDir {
 public:
  TempDir() : dfs::testing::TempDir("dfs-fs-test") {}
};

inline Bytes random_bytes(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

// One peer's data directory: store/, cache/, index.sqlite, and a
// FileSystem over them that tests can close and reopen.
class Peer {
 public:
  // `image_of`: start from a copy of that directory, taken while its peer
  // runs: what a power loss leaves (the page cache is the disk here).
  // `damage` then changes the copy before anything opens it.
  explicit Peer(FsOptions options = {}, const std::string& image_of = "",
                const std::function<void(const std::string& dir)>& damage = {})
      : options_(std::move(options)) {
    if (!image_of.empty()) {
      std::filesystem::copy(image_of, dir_.path(),
                            std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
    }
    if (damage) damage(dir_.path());
    options_.scratch_dir = dir_.path();
    store::DiskStoreOptions store_options;
    store_options.durable = false;  // the tests do not cut power
    store_ = std::move(store::DiskChunkStore::open(dir_.path() + "/store", store_options)).value();
    cache_ = std::move(store::DiskChunkStore::open(dir_.path() + "/cache", store_options)).value();
    index_ = std::move(index::Index::open(dir_.path() + "/index.sqlite")).value();
    reopen();
  }
  ~Peer() { fs_.reset(); }

  // Destroys the FileSystem and opens a new one on the same directory.
  void reopen() {
    fs_.reset();
    Backend backend{store_.get(), cache_.get(), index_.get(), &pool_, network_};
    fs_ = std::move(open_filesystem(backend, options_)).value();
  }
  void set_network(replicate::ChunkNetwork* network) {
    network_ = network;
    reopen();
  }

  FileSystem& fs() { return *fs_; }
  store::DiskChunkStore& store() { return *store_; }
  store::DiskChunkStore& cache() { return *cache_; }
  index::Index& index() { return *index_; }
  const std::string& dir() const { return dir_.path(); }

 private:
  TempDir dir_;
  FsOptions options_;
  WorkerPool pool_{2};
  std::unique_ptr<store::DiskChunkStore> store_, cache_;
  std::unique_ptr<index::Index> index_;
  replicate::ChunkNetwork* network_ = nullptr;
  std::unique_ptr<FileSystem> fs_;
};

// A network of one other peer: fetches come from its store.
class OnePeerNetwork final : public replicate::ChunkNetwork {
 public:
  explicit OnePeerNetwork(store::ChunkStore& other) : other_(other) {}
  Result<Bytes> fetch(const ChunkId& id) override {
    ++fetches;
    return other_.get(id);
  }
  replicate::ReplicationSummary replicate(const std::vector<ChunkId>& ids) override {
    replicated += ids.size();
    return replicate::ReplicationSummary{1, 1, {}, {}};
  }
  replicate::NetworkStatus status() override { return {}; }
  std::vector<replicate::PeerSummary> peers() override { return {}; }

  std::atomic<int> fetches{0};  // fetches come from the read and read-ahead threads too
  std::atomic<std::size_t> replicated{0};  // written by the background replication thread too

 private:
  store::ChunkStore& other_;
};

inline const Caller kCaller{1000, 1000, 022};

// Creates parent/name with `content`, closed. Returns its inode.
inline Ino put_file(FileSystem& fs, Ino parent, const std::string& name, ByteView content) {
  auto created = fs.create(kCaller, parent, name, 0644, O_WRONLY);
  EXPECT_TRUE(created.ok()) << created.error().to_string();
  if (!created.ok()) return 0;
  auto [attr, fh] = *created;
  auto written = fs.write(fh, 0, content);
  EXPECT_TRUE(written.ok()) << written.error().to_string();
  auto released = fs.release(fh);
  EXPECT_TRUE(released.ok()) << released.error().to_string();
  return attr.ino;
}

// The whole content of `ino`, read through a fresh handle.
inline Bytes read_all(FileSystem& fs, Ino ino) {
  auto fh = fs.open(ino, O_RDONLY);
  EXPECT_TRUE(fh.ok()) << fh.error().to_string();
  if (!fh.ok()) return {};
  Bytes out;
  Bytes buf(300 * 1024);
  for (;;) {
    auto n = fs.read(*fh, out.size(), buf);
    EXPECT_TRUE(n.ok()) << n.error().to_string();
    if (!n.ok() || *n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  EXPECT_TRUE(fs.release(*fh).ok());
  return out;
}

// The data chunk IDs of a file's committed version.
inline std::vector<ChunkId> data_chunks(Peer& peer, Ino ino) {
  auto inode = peer.index().get_inode(ino);
  EXPECT_TRUE(inode.ok());
  if (!inode.ok() || !inode->manifest) return {};
  auto manifest = load_manifest(crypto::SecretKey::from_bytes(*inode->file_key), *inode->manifest,
                                [&](const ChunkId& id) { return peer.store().get(id); });
  EXPECT_TRUE(manifest.ok()) << manifest.error().to_string();
  return manifest.ok() ? manifest->stored_ids() : std::vector<ChunkId>{};
}

}  // namespace dfs::fs::testing
