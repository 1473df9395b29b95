// VersionWriter::write_directory and the reader's half (version_reader.hpp):
// a snapshot written at one peer reads back through a chain that holds none
// of it locally, and paths inside it resolve with the hostile cases refused.
#include <gtest/gtest.h>

#include <mutex>

#include "dfs/store/chunk_source.hpp"
#include "dfs/store/memory_chunk_store.hpp"
#include "dfs/store/version_reader.hpp"
#include "dfs/store/version_writer.hpp"

namespace dfs::store {
namespace {

class VersionIoTest : public ::testing::Test {
 protected:
  // The writer's sink runs on the caller's threads; it locks as a real
  // replication stream does.
  VersionWriter writer{[this](const ChunkId& id, std::shared_ptr<const Bytes>) {
    std::lock_guard lock(sent_mutex);
    sent.push_back(id);
  }};

  WrittenManifest write(const Directory& d) {
    auto batch = written.begin_batch();
    auto result = writer.write_directory(d, *batch);
    EXPECT_TRUE(result.ok()) << result.error().to_string();
    EXPECT_TRUE(batch->commit().ok());
    return result.value();
  }

  FileId write_file(std::string_view text) {
    auto batch = written.begin_batch();
    Manifest m;
    m.add_chunk(writer.write_chunk(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), *batch).value());
    m.file_size = text.size();
    auto result = writer.write_manifest(m, *batch).value();
    EXPECT_TRUE(batch->commit().ok());
    return result.id();
  }

  static DirEntry entry(std::string name, const FileId& id, std::uint64_t size = 0) {
    DirEntry e;
    e.name = std::move(name);
    e.type = id.is_directory() ? EntryType::directory : EntryType::file;
    e.mode = 0644;
    e.size = size;
    e.id = id;
    return e;
  }

  // Reads what `written` holds as another peer would: an empty local store
  // and cache, everything from the peers.
  std::unique_ptr<ChunkStore> remote_reader() {
    return make_chunk_source(ChunkChain{&local, &cache, [this](const ChunkId& id) { return written.get(id); }, false});
  }

  MemoryChunkStore written, local, cache;
  std::mutex sent_mutex;
  std::vector<ChunkId> sent;  // guarded by sent_mutex
};

TEST_F(VersionIoTest, ADirectoryWrittenAtOnePeerReadsBackAtAnotherThroughItsChain) {
  Directory d;
  d.entries.push_back(entry("a file", write_file("hello"), 5));
  const WrittenManifest w = write(d);
  EXPECT_EQ(w.kind, IdKind::directory);
  EXPECT_TRUE(w.id().is_directory());
  EXPECT_TRUE(w.id().to_string().starts_with("dfs1d"));
  EXPECT_EQ(std::vector<ChunkId>(sent.end() - static_cast<std::ptrdiff_t>(w.segments.size()), sent.end()), w.segments);
  auto reader = remote_reader();
  auto back = read_directory(*reader, w.id());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, d);
  EXPECT_TRUE(local.list().value().empty());  // keep_fetched = false
}

TEST_F(VersionIoTest, ALargeDirectoryChainsAndEverySegmentIsSent) {
  Directory d;
  const FileId f = write_file("x");
  for (int i = 0; i < 20000; ++i) d.entries.push_back(entry("entry " + std::to_string(100000 + i), f, 1));
  sent.clear();
  const WrittenManifest w = write(d);
  EXPECT_GT(w.segments.size(), 1u);
  EXPECT_EQ(sent, w.segments);
  auto reader = remote_reader();
  EXPECT_EQ(read_directory(*reader, w.id()).value(), d);
}

TEST_F(VersionIoTest, AnInvalidDirectoryIsRefusedAndNothingIsStored) {
  Directory d;
  d.entries.push_back(entry("..", write_file("x")));
  const auto before = written.list().value().size();
  auto batch = written.begin_batch();
  auto result = writer.write_directory(d, *batch);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::corrupt);
  ASSERT_TRUE(batch->commit().ok());
  EXPECT_EQ(written.list().value().size(), before);
}

TEST_F(VersionIoTest, KindsAreCheckedBothWays) {
  const FileId file = write_file("abc");
  const FileId dir = write(Directory{}).id();
  EXPECT_EQ(read_directory(written, file).error().code, Errc::not_directory);
  EXPECT_EQ(read_manifest(written, dir).error().code, Errc::is_directory);
  EXPECT_EQ(read_manifest(written, file).value().file_size, 3u);
}

TEST_F(VersionIoTest, AMissingSnapshotIsNotFoundWithItsID) {
  FileId id = write(Directory{}).id();
  id.manifest.bytes[0] ^= 1;
  auto result = read_directory(written, id);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::not_found);
  EXPECT_NE(result.error().message.find(id.manifest.short_hex()), std::string::npos);
}

TEST_F(VersionIoTest, PathsResolveThroughNestedSnapshots) {
  const FileId leaf = write_file("leaf");
  Directory inner;
  inner.entries.push_back(entry("file", leaf, 4));
  Directory outer;
  outer.entries.push_back(entry("sub dir", write(inner).id()));
  const FileId root = write(outer).id();
  auto reader = remote_reader();
  auto found = resolve_path(*reader, root, "sub dir/file");
  ASSERT_TRUE(found.ok()) << found.error().to_string();
  EXPECT_EQ(*found->id, leaf);
  EXPECT_EQ(resolve_path(*reader, root, "/sub dir//")->type, EntryType::directory);
  EXPECT_EQ(resolve_path(*reader, root, "sub dir/nope").error().code, Errc::not_found);
  EXPECT_EQ(resolve_path(*reader, root, "sub dir/file/more").error().code, Errc::not_directory);
  EXPECT_EQ(resolve_path(*reader, root, "sub dir/../sub dir").error().code, Errc::invalid_argument);
  EXPECT_EQ(resolve_path(*reader, root, "").error().code, Errc::invalid_argument);
  EXPECT_EQ(resolve_path(*reader, leaf, "x").error().code, Errc::not_directory);
}

TEST_F(VersionIoTest, APathDeeperThanTheBoundIsRefusedBeforeAnyFetch) {
  std::string path;
  for (std::size_t i = 0; i <= kMaxTreeDepth; ++i) path += "d/";
  FileId bogus;
  bogus.kind = IdKind::directory;  // names nothing: a fetch would say not_found
  EXPECT_EQ(resolve_path(written, bogus, path).error().code, Errc::too_large);
}

}  // namespace
}  // namespace dfs::store
