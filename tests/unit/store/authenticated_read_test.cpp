// Reads that decrypt (with_sealed) of chunk files on disk: a file unchanged
// since its store wrote or checked it is lent without a second hash, and a
// copy that then fails AES-GCM authentication is hashed, quarantined and
// read from the chain's next link (chunk_source.hpp). The damage is real
// (a byte flipped in the chunk file); the store is then told to take the
// file as it is, as a medium failing under an unchanged inode would look.
// What a store checked it remembers across a close and an open (its
// `verified` file), for files that did not change in between.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>

#include "../../common/chunk_on_disk.hpp"
#include "dfs/chunk/sealed_chunk.hpp"
#include "dfs/store/chunk_source.hpp"
#include "dfs/store/disk_chunk_store.hpp"
#include "dfs/store/memory_chunk_store.hpp"
#include "store_test_util.hpp"

namespace dfs::store {
namespace {

// Larger than a packed chunk, so that it has a file of its own.
constexpr std::size_t kPlainSize = 256 * 1024;

std::size_t entries(const std::string& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

class AuthenticatedReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    DiskStoreOptions options;
    options.durable = false;  // durability is not what these tests are about
    local = std::move(DiskChunkStore::open(dir_.path() + "/store", options)).value();
    cache = std::move(DiskChunkStore::open(dir_.path() + "/cache", options)).value();
    plain = testing::make_chunk(kPlainSize, 3).bytes;
    SealedChunk sealed = seal_chunk(key, ChunkKind::data, plain);
    id = sealed.id;
    bytes = std::move(sealed.bytes);
  }

  std::unique_ptr<ChunkStore> chain() {
    return make_chunk_source(ChunkChain{local.get(), cache.get(), [this](const ChunkId& wanted) {
                                          ++fetches;
                                          return peers.get(wanted);
                                        }});
  }

  // Damages `store`'s file of the chunk where no hash check will see it.
  void go_bad_unseen(DiskChunkStore& store) {
    auto where = store.locate(id);
    ASSERT_TRUE(where.ok()) << where.error().to_string();
    ASSERT_FALSE(where->packed);
    ASSERT_TRUE(dfs::testing::flip_chunk_byte(*where, bytes.size() / 2));
    ASSERT_TRUE(store.trust_as_is_for_testing(id).ok());
  }

  // Closes the local store and opens it again, as a remount does.
  void reopen_local() {
    local.reset();
    DiskStoreOptions options;
    options.durable = false;
    local = std::move(DiskChunkStore::open(dir_.path() + "/store", options)).value();
  }

  // The bytes the local store lends for the chunk.
  Bytes lent_by_local() {
    Bytes lent;
    Status status = local->with_sealed(id, [&lent](ByteView sealed) {
      lent.assign(sealed.begin(), sealed.end());
      return Status{};
    });
    EXPECT_TRUE(status.ok()) << status.error().to_string();
    return lent;
  }

  // What fs/'s ChunkReader does with what it is lent.
  Status decrypt(ChunkStore& from, const crypto::SecretKey& with, Bytes& out) {
    return from.with_sealed(id, [&](ByteView sealed) -> Status {
      DFS_ASSIGN_OR_RETURN(const std::size_t size, opened_size(sealed));
      out.assign(size, 0);
      return decrypt_chunk_into(with, ChunkKind::data, sealed, out);
    });
  }

  testing::TempDir dir_;
  std::unique_ptr<DiskChunkStore> local;
  std::unique_ptr<DiskChunkStore> cache;
  MemoryChunkStore peers;
  std::atomic<int> fetches{0};
  const crypto::SecretKey key = crypto::SecretKey::generate();
  Bytes plain;
  ChunkId id;
  Bytes bytes;
};

TEST_F(AuthenticatedReadTest, AnUnchangedChunkFileIsLentWithoutASecondHash) {
  ASSERT_TRUE(local->put(id, bytes).ok());
  go_bad_unseen(*local);
  Bytes lent;
  ASSERT_TRUE(local->with_sealed(id, [&lent](ByteView sealed) {
                      lent.assign(sealed.begin(), sealed.end());
                      return Status{};
                    }).ok());
  EXPECT_NE(lent, bytes) << "the damage reached the reader: no hash stood in between";
  // get() always hashes.
  EXPECT_EQ(local->get(id).error().code, Errc::corrupt);
}

TEST_F(AuthenticatedReadTest, AChunkFileUnchangedSinceTheLastOpenIsLentWithoutAHashAfterReopening) {
  ASSERT_TRUE(local->put(id, bytes).ok());
  go_bad_unseen(*local);
  reopen_local();
  EXPECT_NE(lent_by_local(), bytes) << "what the store checked before the reopen was taken on trust";
}

TEST_F(AuthenticatedReadTest, AChunkFileChangedWhileTheStoreWasClosedIsHashedAgain) {
  ASSERT_TRUE(local->put(id, bytes).ok());
  auto where = local->locate(id);
  ASSERT_TRUE(where.ok());
  local.reset();  // it remembers the file as its put left it
  ASSERT_TRUE(dfs::testing::flip_chunk_byte(*where, bytes.size() / 2));
  reopen_local();
  Status lent = local->with_sealed(id, [](ByteView) { return Status{}; });
  ASSERT_FALSE(lent.ok()) << "the changed file was lent unchecked";
  EXPECT_EQ(lent.error().code, Errc::corrupt);
  EXPECT_EQ(entries(local->quarantine_dir()), 1u);
}

TEST_F(AuthenticatedReadTest, ADamagedVerifiedFileIsIgnoredAndTheChunksAreHashed) {
  ASSERT_TRUE(local->put(id, bytes).ok());
  go_bad_unseen(*local);
  const std::string verified = local->verified_path();
  local.reset();
  ASSERT_TRUE(std::filesystem::exists(verified));
  std::filesystem::resize_file(verified, std::filesystem::file_size(verified) - 1);
  reopen_local();
  Status lent = local->with_sealed(id, [](ByteView) { return Status{}; });
  ASSERT_FALSE(lent.ok()) << "a torn verified file was believed";
  EXPECT_EQ(lent.error().code, Errc::corrupt);
}

TEST_F(AuthenticatedReadTest, ALocalCopyThatFailsAuthenticationIsQuarantinedAndReadFromThePeers) {
  ASSERT_TRUE(local->put(id, bytes).ok());
  ASSERT_TRUE(peers.put(id, bytes).ok());
  go_bad_unseen(*local);
  auto source = chain();
  Bytes out;
  Status read = decrypt(*source, key, out);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(out, plain);
  EXPECT_EQ(fetches, 1);
  EXPECT_FALSE(*local->contains(id));
  EXPECT_EQ(entries(local->quarantine_dir()), 1u);
}

TEST_F(AuthenticatedReadTest, ACachedCopyThatFailsAuthenticationIsQuarantinedFetchedAndCachedAgain) {
  ASSERT_TRUE(cache->put(id, bytes).ok());
  ASSERT_TRUE(peers.put(id, bytes).ok());
  go_bad_unseen(*cache);
  auto source = chain();
  Bytes out;
  Status read = decrypt(*source, key, out);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(out, plain);
  EXPECT_EQ(entries(cache->quarantine_dir()), 1u);
  auto again = cache->get(id);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(*again, bytes);
}

TEST_F(AuthenticatedReadTest, ACopyOnlyThisPeerHeldIsReportedCorruptOnceQuarantined) {
  ASSERT_TRUE(local->put(id, bytes).ok());
  go_bad_unseen(*local);
  auto source = chain();
  Bytes out;
  Status read = decrypt(*source, key, out);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, Errc::corrupt);
  EXPECT_FALSE(*local->contains(id));
}

TEST_F(AuthenticatedReadTest, AGoodCopyOpenedWithTheWrongKeyStaysAndNothingElseIsAsked) {
  ASSERT_TRUE(local->put(id, bytes).ok());
  ASSERT_TRUE(peers.put(id, bytes).ok());
  auto source = chain();
  Bytes out;
  Status read = decrypt(*source, crypto::SecretKey::generate(), out);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, Errc::corrupt);
  EXPECT_TRUE(*local->contains(id));
  EXPECT_EQ(entries(local->quarantine_dir()), 0u);
  EXPECT_EQ(fetches, 0);
}

}  // namespace
}  // namespace dfs::store
