// Leases (schema v3) and what GC may collect, on real SQLite files.
#include <gtest/gtest.h>

#include "dfs/index/index.hpp"
#include "dfs/index/schema.hpp"
#include "dfs/index/sqlite.hpp"
#include "index_test_util.hpp"

namespace dfs::index {
namespace {

using testing::file;
using testing::id;
using testing::IndexTest;

constexpr std::int64_t kNow = 1'800'000'000;

class LeaseTest : public IndexTest {
 protected:
  void SetUp() override {
    IndexTest::SetUp();
    index_ = open_index();
    ASSERT_NE(index_, nullptr);
  }

  std::vector<ChunkId> collectable(const std::vector<ChunkId>& candidates, std::int64_t now = kNow) {
    auto garbage = index_->collectable(candidates, now);
    EXPECT_OK(garbage);
    return garbage.ok() ? *garbage : std::vector<ChunkId>{};
  }

  std::unique_ptr<Index> index_;
};

TEST_F(LeaseTest, AChunkNeitherReferencedNorLeasedIsCollectable) {
  EXPECT_EQ(collectable({id(1)}), std::vector<ChunkId>{id(1)});
}

TEST_F(LeaseTest, AReferencedChunkIsNeverCollectable) {
  ASSERT_OK(index_->record_file(file(1), {id(1)}));
  EXPECT_TRUE(collectable({id(1)}).empty());
}

TEST_F(LeaseTest, ALeasedChunkIsKeptUntilItsLeaseEnds) {
  ASSERT_OK(index_->extend_leases({id(1), id(2)}, kNow + 10));
  EXPECT_TRUE(collectable({id(1), id(2)}, kNow + 9).empty());
  EXPECT_EQ(collectable({id(1), id(2)}, kNow + 10), (std::vector<ChunkId>{id(1), id(2)}));
}

TEST_F(LeaseTest, ExtendingALeaseNeverShortensIt) {
  ASSERT_OK(index_->extend_leases({id(1)}, kNow + 100));
  ASSERT_OK(index_->extend_leases({id(1)}, kNow + 10));
  EXPECT_TRUE(*index_->is_leased(id(1), kNow + 50));
  ASSERT_OK(index_->extend_leases({id(1)}, kNow + 200));
  EXPECT_TRUE(*index_->is_leased(id(1), kNow + 150));
}

// Issue 15: what repair's copies carry. The first key recorded stays.
TEST_F(LeaseTest, ALeaseTellsThePlacerKeyRecordedWithIt) {
  Index::Key32 placer{}, owner{}, stranger{};
  placer.fill(1);
  owner.fill(2);
  stranger.fill(3);
  ASSERT_OK(index_->extend_leases({Index::LeaseGrant{id(1), placer, owner}, Index::LeaseGrant{id(2), placer}},
                                  kNow + 10));
  ASSERT_OK(index_->extend_leases({Index::LeaseGrant{id(1), placer, stranger}}, kNow + 20));
  EXPECT_EQ(*index_->lease_placer_key(id(1)), std::optional<Index::Key32>(owner));
  EXPECT_EQ(*index_->lease_placer_key(id(2)), std::nullopt) << "placed without a key";
  EXPECT_EQ(*index_->lease_placer_key(id(3)), std::nullopt) << "no lease";
}

TEST_F(LeaseTest, CollectableKeepsTheCandidatesOrderAndSkipsWhatIsHeld) {
  ASSERT_OK(index_->record_file(file(1), {id(2)}));
  ASSERT_OK(index_->extend_leases({id(4)}, kNow + 1));
  EXPECT_EQ(collectable({id(5), id(4), id(3), id(2), id(1)}), (std::vector<ChunkId>{id(5), id(3), id(1)}));
  EXPECT_TRUE(collectable({}).empty());
}

TEST_F(LeaseTest, DroppingExpiredLeasesRemovesOnlyThoseThatEnded) {
  ASSERT_OK(index_->extend_leases({id(1)}, kNow));
  ASSERT_OK(index_->extend_leases({id(2)}, kNow + 1));
  auto dropped = index_->drop_expired_leases(kNow);
  ASSERT_OK(dropped);
  EXPECT_EQ(*dropped, 1u);
  EXPECT_FALSE(*index_->is_leased(id(1), kNow - 1));
  EXPECT_TRUE(*index_->is_leased(id(2), kNow));
}

TEST_F(LeaseTest, ReferencedChunksListsEachChunkOnce) {
  ASSERT_OK(index_->record_file(file(1), {id(1), id(2)}));
  ASSERT_OK(index_->record_file(file(2), {id(2), id(3)}));
  auto chunks = index_->referenced_chunks();
  ASSERT_OK(chunks);
  std::sort(chunks->begin(), chunks->end(), [](const ChunkId& a, const ChunkId& b) { return a.bytes < b.bytes; });
  // The files' manifests too: each files row keeps its own.
  std::vector<ChunkId> expected{id(1), id(2), id(3), file(1).manifest, file(2).manifest};
  std::sort(expected.begin(), expected.end(), [](const ChunkId& a, const ChunkId& b) { return a.bytes < b.bytes; });
  EXPECT_EQ(*chunks, expected);
}

TEST_F(IndexTest, AVersion2IndexIsMigratedToTheLatestKeepingItsFiles) {
  {
    Database db = open_raw();
    ASSERT_OK(migrate(db, index_migrations().first(2)));
    ASSERT_EQ(*schema_version(db), 2);
    ASSERT_FALSE(db.exec("SELECT * FROM leases").ok());
    ASSERT_OK(db.exec("INSERT INTO files (manifest_id, file_key, name, size, chunk_size, chunk_count, added_at) "
                      "VALUES (zeroblob(32), zeroblob(32), 'old', 1, 1, 1, 1)"));
    ASSERT_OK(db.exec("INSERT INTO chunk_refs (chunk_id, manifest_id) VALUES (randomblob(32), zeroblob(32))"));
  }
  auto index = open_index();
  ASSERT_NE(index, nullptr);
  Database db = open_raw();
  EXPECT_EQ(*schema_version(db), kSchemaVersion);
  auto files = index->list_files();
  ASSERT_OK(files);
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(files->front().name, "old");
  EXPECT_EQ(*index->referenced_chunk_count(), 2u);  // its chunk and its manifest
  ASSERT_OK(index->extend_leases({id(1)}, kNow));
  EXPECT_TRUE(*index->is_leased(id(1), kNow - 1));
  EXPECT_TRUE(*index->leases_to_grant()) << "the chunks stored before v3 still need their leases";
  ASSERT_OK(index->leases_granted());
  EXPECT_FALSE(*index->leases_to_grant());
}

}  // namespace
}  // namespace dfs::index
