// Index: files, chunk references (what GC keeps) and pins.
#include <gtest/gtest.h>

#include <limits>

#include "dfs/index/index.hpp"
#include "index_test_util.hpp"

namespace dfs::index {
namespace {

using testing::file;
using testing::id;

class FilesTest : public testing::IndexTest {
 protected:
  void SetUp() override {
    IndexTest::SetUp();
    index_ = open_index();
    ASSERT_NE(index_, nullptr);
  }

  std::vector<ChunkId> unreferenced(const std::vector<ChunkId>& candidates) {
    auto garbage = index_->unreferenced(candidates);
    EXPECT_OK(garbage);
    return garbage.ok() ? *garbage : std::vector<ChunkId>{};
  }

  std::unique_ptr<Index> index_;
};

TEST_F(FilesTest, ARecordedFileIsListedAndFoundWithEveryField) {
  FileRecord f = file(1, "r\xc3\xa9sum\xc3\xa9.pdf");
  f.size = std::numeric_limits<std::int64_t>::max();
  f.chunk_size = std::numeric_limits<std::uint32_t>::max();
  f.added_at_unix = -5;
  ASSERT_OK(index_->record_file(f, {id(1), id(2)}));

  auto files = index_->list_files();
  ASSERT_OK(files);
  EXPECT_EQ(*files, std::vector<FileRecord>{f});
  auto found = index_->find_file(f.manifest);
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(**found, f);
}

TEST_F(FilesTest, FilesAreListedOldestFirst) {
  ASSERT_OK(index_->record_file(file(3), {}));
  ASSERT_OK(index_->record_file(file(1), {}));
  ASSERT_OK(index_->record_file(file(2), {}));
  auto files = index_->list_files();
  ASSERT_OK(files);
  EXPECT_EQ(*files, (std::vector<FileRecord>{file(1), file(2), file(3)}));
}

TEST_F(FilesTest, FindingAnUnknownManifestGivesNothing) {
  auto found = index_->find_file(id(7));
  ASSERT_OK(found);
  EXPECT_FALSE(found->has_value());
}

TEST_F(FilesTest, RecordingAFileAgainUpdatesItsRowAndReplacesItsRefs) {
  ASSERT_OK(index_->record_file(file(1, "old"), {id(1), id(2)}));
  ASSERT_OK(index_->record_file(file(1, "new"), {id(2), id(3)}));
  auto files = index_->list_files();
  ASSERT_OK(files);
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(files->front().name, "new");
  EXPECT_EQ(unreferenced({id(1), id(2), id(3)}), std::vector<ChunkId>{id(1)});
}

TEST_F(FilesTest, ForgettingAFileRemovesItAndItsRefs) {
  ASSERT_OK(index_->record_file(file(1), {id(1), id(2)}));
  ASSERT_OK(index_->forget_file(file(1).manifest));
  EXPECT_TRUE(index_->list_files()->empty());
  EXPECT_EQ(*index_->referenced_chunk_count(), 0u);
  EXPECT_FALSE(*index_->is_referenced(id(1)));
}

TEST_F(FilesTest, ForgettingAnUnknownFileIsNotFound) {
  Status status = index_->forget_file(id(9));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::not_found);
}

TEST_F(FilesTest, AChunkSharedByTwoFilesStaysReferencedUntilBothAreForgotten) {
  ASSERT_OK(index_->record_file(file(1), {id(1), id(2)}));
  ASSERT_OK(index_->record_file(file(2), {id(2), id(3)}));
  ASSERT_OK(index_->forget_file(file(1).manifest));
  EXPECT_FALSE(*index_->is_referenced(id(1)));
  EXPECT_TRUE(*index_->is_referenced(id(2)));
  ASSERT_OK(index_->forget_file(file(2).manifest));
  EXPECT_FALSE(*index_->is_referenced(id(2)));
}

TEST_F(FilesTest, ManifestSegmentsAreReferencedLikeDataChunks) {
  const ChunkId segment = file(1).manifest;  // the manifest is a chunk too
  ASSERT_OK(index_->record_file(file(1), {id(1), segment}));
  EXPECT_TRUE(*index_->is_referenced(segment));
  EXPECT_TRUE(unreferenced({segment}).empty());
}

TEST_F(FilesTest, UnreferencedReturnsTheCandidatesNoFileNeedsInTheirOrder) {
  ASSERT_OK(index_->record_file(file(1), {id(2), id(4)}));
  EXPECT_EQ(unreferenced({id(5), id(4), id(3), id(2), id(1)}), (std::vector<ChunkId>{id(5), id(3), id(1)}));
  EXPECT_TRUE(unreferenced({}).empty());
}

TEST_F(FilesTest, ReferencedChunkCountCountsEachChunkOnce) {
  ASSERT_OK(index_->record_file(file(1), {id(1), id(2), id(2)}));
  ASSERT_OK(index_->record_file(file(2), {id(2), id(3)}));
  EXPECT_EQ(*index_->referenced_chunk_count(), 5u);  // and the two manifests
}

TEST_F(FilesTest, PinsCanBeSetAndCleared) {
  ASSERT_OK(index_->record_file(file(1), {}));
  EXPECT_FALSE(*index_->is_pinned(file(1).manifest));
  ASSERT_OK(index_->set_pinned(file(1).manifest, true));
  ASSERT_OK(index_->set_pinned(file(1).manifest, true));  // idempotent
  EXPECT_TRUE(*index_->is_pinned(file(1).manifest));
  ASSERT_OK(index_->set_pinned(file(1).manifest, false));
  EXPECT_FALSE(*index_->is_pinned(file(1).manifest));
}

TEST_F(FilesTest, RecordingAPinnedFileAgainKeepsItsPin) {
  ASSERT_OK(index_->record_file(file(1), {}));
  ASSERT_OK(index_->set_pinned(file(1).manifest, true));
  ASSERT_OK(index_->record_file(file(1, "renamed"), {}));
  EXPECT_TRUE(*index_->is_pinned(file(1).manifest));
}

TEST_F(FilesTest, ForgettingAFileDropsItsPin) {
  ASSERT_OK(index_->record_file(file(1), {}));
  ASSERT_OK(index_->set_pinned(file(1).manifest, true));
  ASSERT_OK(index_->forget_file(file(1).manifest));
  ASSERT_OK(index_->record_file(file(1), {}));
  EXPECT_FALSE(*index_->is_pinned(file(1).manifest));
}

TEST_F(FilesTest, PinningOrAskingAboutAnUnknownFileIsNotFound) {
  Status pin = index_->set_pinned(id(9), true);
  ASSERT_FALSE(pin.ok());
  EXPECT_EQ(pin.error().code, Errc::not_found);
  auto pinned = index_->is_pinned(id(9));
  ASSERT_FALSE(pinned.ok());
  EXPECT_EQ(pinned.error().code, Errc::not_found);
}

TEST_F(FilesTest, ASizeAboveInt64IsRefusedAndNothingIsRecorded) {
  FileRecord f = file(1);
  f.size = std::numeric_limits<std::uint64_t>::max();
  Status status = index_->record_file(f, {id(1)});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::invalid_argument);
  EXPECT_TRUE(index_->list_files()->empty());
  EXPECT_FALSE(*index_->is_referenced(id(1)));
}

TEST_F(FilesTest, AZeroChunkSizeIsRefused) {
  FileRecord f = file(1);
  f.chunk_size = 0;
  Status status = index_->record_file(f, {});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::invalid_argument);
}

// Fault injection: a trigger in the file makes one chunk_refs insert fail,
// after the files row and the other refs of the call were written.
TEST_F(FilesTest, RecordFileLeavesNothingWhenALaterRefInsertFails) {
  index_.reset();
  {
    Database db = open_raw();
    const std::string poison = id(3).hex();
    ASSERT_OK(db.exec("CREATE TRIGGER poison BEFORE INSERT ON chunk_refs WHEN hex(NEW.chunk_id) = upper('" + poison +
                      "') BEGIN SELECT RAISE(ABORT, 'injected failure'); END"));
  }
  index_ = open_index();
  ASSERT_NE(index_, nullptr);
  ASSERT_OK(index_->record_file(file(1), {id(1)}));

  Status status = index_->record_file(file(2), {id(1), id(2), id(3), id(4)});
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("injected failure"), std::string::npos) << status.error().message;
  EXPECT_EQ(*index_->list_files(), std::vector<FileRecord>{file(1)});
  EXPECT_EQ(*index_->referenced_chunk_count(), 2u);  // id(1) and file(1)'s manifest
  EXPECT_FALSE(*index_->is_referenced(id(2)));
  // The connection is usable afterwards: no transaction was left open.
  ASSERT_OK(index_->record_file(file(2), {id(2)}));
}

TEST_F(FilesTest, ReRecordingWithAFailingRefKeepsTheOldRefs) {
  ASSERT_OK(index_->record_file(file(1, "old"), {id(1)}));
  index_.reset();
  {
    Database db = open_raw();
    ASSERT_OK(db.exec("CREATE TRIGGER poison BEFORE INSERT ON chunk_refs WHEN hex(NEW.chunk_id) = upper('" +
                      id(3).hex() + "') BEGIN SELECT RAISE(ABORT, 'injected failure'); END"));
  }
  index_ = open_index();
  ASSERT_NE(index_, nullptr);
  ASSERT_FALSE(index_->record_file(file(1, "new"), {id(2), id(3)}).ok());
  EXPECT_EQ(index_->list_files()->front().name, "old");
  EXPECT_TRUE(*index_->is_referenced(id(1)));
  EXPECT_FALSE(*index_->is_referenced(id(2)));
}

}  // namespace
}  // namespace dfs::index
