// ChunkPack on its own: records, torn tails, removal, compaction, scan.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dfs/store/chunk_pack.hpp"
#include "store_test_util.hpp"

namespace dfs::store {
namespace {

namespace fs = std::filesystem;
using testing::make_chunk;
using testing::TestChunk;

class ChunkPackTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }

  std::unique_ptr<ChunkPack> open() {
    auto pack = ChunkPack::open(dir(), /*durable=*/false);
    EXPECT_TRUE(pack.ok()) << pack.error().to_string();
    return pack.ok() ? std::move(pack).value() : nullptr;
  }

  static void add(ChunkPack& pack, const TestChunk& chunk) {
    auto added = pack.append({ChunkPack::Chunk{chunk.id, ByteView(chunk.bytes)}}, /*sync=*/false);
    ASSERT_TRUE(added.ok()) << added.error().to_string();
  }

  static Bytes read(ChunkPack& pack, const ChunkId& id) {
    Bytes out;
    auto got = pack.read(id, [&](std::size_t size) {
      out.resize(size);
      return out.data();
    });
    EXPECT_TRUE(got.ok()) << got.error().to_string();
    return out;
  }

  std::string dir() const { return dir_.path() + "/packs"; }
  std::string first_pack() const { return dir() + "/00000001.pack"; }

  testing::TempDir dir_;
};

TEST_F(ChunkPackTest, AppendedChunksReadBackAndAChunkAppendedTwiceIsKeptOnce) {
  auto pack = open();
  const TestChunk a = make_chunk(4000, 1), b = make_chunk(10, 2);
  auto added = pack->append({{a.id, ByteView(a.bytes)}, {b.id, ByteView(b.bytes)}, {a.id, ByteView(a.bytes)}}, false);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, (std::vector<bool>{true, true, false}));
  EXPECT_EQ(read(*pack, a.id), a.bytes);
  EXPECT_EQ(read(*pack, b.id), b.bytes);
  EXPECT_EQ(pack->totals().chunks, 2u);
  EXPECT_EQ(fs::file_size(first_pack()), 2 * ChunkPack::kRecordHeaderSize + 4010);
}

TEST_F(ChunkPackTest, ATornTailIsCutAtOpenAndTheWholeRecordsBeforeItStay) {
  const TestChunk a = make_chunk(3000, 3), b = make_chunk(3000, 4);
  {
    auto pack = open();
    add(*pack, a);
    add(*pack, b);
  }
  const auto whole = fs::file_size(first_pack());
  fs::resize_file(first_pack(), whole - 100);  // b's bytes cut short
  auto pack = open();
  EXPECT_EQ(read(*pack, a.id), a.bytes);
  EXPECT_FALSE(pack->contains(b.id));
  EXPECT_EQ(fs::file_size(first_pack()), ChunkPack::kRecordHeaderSize + 3000) << "the tail is cut, appends go on from there";
  add(*pack, b);
  pack.reset();
  EXPECT_EQ(read(*open(), b.id), b.bytes);
}

TEST_F(ChunkPackTest, AHeaderThatDoesNotDecodeEndsThePackThere) {
  const TestChunk a = make_chunk(100, 5);
  {
    auto pack = open();
    add(*pack, a);
  }
  std::ofstream(first_pack(), std::ios::binary | std::ios::app) << std::string(200, 'x');
  auto pack = open();
  EXPECT_EQ(pack->list().size(), 1u);
  EXPECT_EQ(fs::file_size(first_pack()), ChunkPack::kRecordHeaderSize + 100);
}

TEST_F(ChunkPackTest, DecodeHeaderRefusesWrongMagicVersionStateAndSize) {
  std::uint8_t raw[ChunkPack::kRecordHeaderSize];
  ChunkPack::encode_header(ChunkPack::Header{ChunkPack::kLive, 77, make_chunk(77, 6).id}, raw);
  ASSERT_TRUE(ChunkPack::decode_header(ByteView(raw, sizeof raw)).ok());
  EXPECT_EQ(ChunkPack::decode_header(ByteView(raw, sizeof raw))->size, 77u);
  EXPECT_EQ(ChunkPack::decode_header(ByteView(raw, sizeof raw - 1)).error().code, Errc::corrupt);
  for (std::size_t at : {std::size_t{0}, std::size_t{4}, std::size_t{5}, std::size_t{11}}) {
    std::uint8_t bad[sizeof raw];
    std::memcpy(bad, raw, sizeof raw);
    bad[at] = 0xff;
    EXPECT_EQ(ChunkPack::decode_header(ByteView(bad, sizeof bad)).error().code, Errc::corrupt) << "byte " << at;
  }
}

TEST_F(ChunkPackTest, RemovedChunksStayRemovedAfterReopening) {
  const TestChunk a = make_chunk(500, 7), b = make_chunk(600, 8);
  {
    auto pack = open();
    add(*pack, a);
    add(*pack, b);
    EXPECT_EQ(pack->remove(a.id).value(), 500u);
    EXPECT_EQ(pack->remove(a.id).error().code, Errc::not_found);
  }
  auto pack = open();
  EXPECT_FALSE(pack->contains(a.id));
  EXPECT_EQ(read(*pack, b.id), b.bytes);
  EXPECT_EQ(pack->totals().bytes, 600u);
}

// Filling past kPackFileSize begins a second pack; removing most of the
// first one's chunks then copies the rest over and deletes it.
TEST_F(ChunkPackTest, APackMostlyRemovedIsCompactedIntoTheCurrentOneAndDeleted) {
  auto pack = open();
  std::vector<TestChunk> chunks;
  std::uint64_t written = 0;
  for (std::uint32_t seed = 100; written <= ChunkPack::kPackFileSize; ++seed) {
    chunks.push_back(make_chunk(ChunkPack::kMaxPackedChunkSize, seed));
    add(*pack, chunks.back());
    written += ChunkPack::kRecordHeaderSize + ChunkPack::kMaxPackedChunkSize;
  }
  const TestChunk last = make_chunk(1000, 99);
  add(*pack, last);
  ASSERT_TRUE(fs::exists(dir() + "/00000002.pack"));
  const std::size_t keep = chunks.size() / 4;
  for (std::size_t i = keep; i < chunks.size(); ++i) ASSERT_TRUE(pack->remove(chunks[i].id).ok());
  EXPECT_FALSE(fs::exists(first_pack())) << "compacted away";
  for (std::size_t i = 0; i < keep; ++i) EXPECT_EQ(read(*pack, chunks[i].id), chunks[i].bytes);
  EXPECT_EQ(read(*pack, last.id), last.bytes);
  pack.reset();
  pack = open();
  EXPECT_EQ(pack->totals().chunks, keep + 1);
  for (std::size_t i = 0; i < keep; ++i) EXPECT_EQ(read(*pack, chunks[i].id), chunks[i].bytes);
}

// A crash during a compaction can leave a chunk in two packs (or twice in
// one); once removed it must not come back from the other copy.
TEST_F(ChunkPackTest, AChunkRecordedTwiceIsKeptOnceAndStaysRemovedOnceRemoved) {
  const TestChunk a = make_chunk(700, 11);
  {
    auto pack = open();
    add(*pack, a);
  }
  std::ifstream in(first_pack(), std::ios::binary);
  const std::string record((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(first_pack(), std::ios::binary | std::ios::app) << record;
  {
    auto pack = open();
    EXPECT_EQ(pack->totals().chunks, 1u);
    EXPECT_EQ(read(*pack, a.id), a.bytes);
    ASSERT_TRUE(pack->remove(a.id).ok());
  }
  EXPECT_FALSE(open()->contains(a.id));
}

TEST_F(ChunkPackTest, ScanListsTheLiveRecordsWithoutOpeningThePack) {
  const TestChunk a = make_chunk(321, 9), b = make_chunk(123, 10);
  auto pack = open();
  add(*pack, a);
  add(*pack, b);
  ASSERT_TRUE(pack->remove(b.id).ok());
  auto scanned = ChunkPack::scan(dir());
  ASSERT_TRUE(scanned.ok());
  ASSERT_EQ(scanned->size(), 1u);
  EXPECT_EQ(scanned->front().first, a.id);
  EXPECT_EQ(scanned->front().second.offset, ChunkPack::kRecordHeaderSize);
  EXPECT_EQ(scanned->front().second.size, 321u);
  EXPECT_TRUE(ChunkPack::scan(dir_.path() + "/none")->empty());
}

}  // namespace
}  // namespace dfs::store
