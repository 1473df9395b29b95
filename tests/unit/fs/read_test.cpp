// The read path: chunks verified and decrypted from the store, then the
// cache store, into the read cache; bit-exact, and never a corrupt byte.
#include <filesystem>
#include <fstream>

#include "fs_test_util.hpp"

namespace dfs::fs {
namespace {

using testing::data_chunks;
using testing::Peer;
using testing::put_file;
using testing::random_bytes;
using testing::read_all;

constexpr std::size_t kMiB = 1 << 20;

void flip_byte_on_disk(const std::string& path, std::streamoff at) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(at);
  const char byte = static_cast<char>(file.get());
  file.seekp(at);
  file.put(static_cast<char>(byte ^ 0x10));
}

Result<std::size_t> read_at(FileSystem& fs, Ino ino, std::uint64_t offset, MutableByteView out) {
  DFS_ASSIGN_OR_RETURN(FileHandle fh, fs.open(ino, O_RDONLY));
  auto n = fs.read(fh, offset, out);
  EXPECT_TRUE(fs.release(fh).ok());
  return n;
}

TEST(FsRead, ReadsAtEveryOffsetAcrossChunkEdgesAreBitExact) {
  Peer peer;
  const Bytes data = random_bytes(2 * kMiB + 777, 11);
  const Ino ino = put_file(peer.fs(), kRootIno, "f", data);
  peer.reopen();  // a cold read cache
  for (std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{kMiB - 5}, std::uint64_t{2 * kMiB + 700}}) {
    Bytes out(4096, 0xAB);
    auto n = read_at(peer.fs(), ino, offset, out);
    ASSERT_OK(n);
    const std::size_t expected = std::min<std::uint64_t>(out.size(), data.size() - offset);
    ASSERT_EQ(*n, expected);
    EXPECT_TRUE(std::equal(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(expected),
                           data.begin() + static_cast<std::ptrdiff_t>(offset)))
        << "at " << offset;
  }
}

TEST(FsRead, AChunkCorruptedOnDiskFailsTheReadInsteadOfServingItsBytes) {
  Peer peer;
  const Bytes data = random_bytes(2 * kMiB + 100, 12);
  const Ino ino = put_file(peer.fs(), kRootIno, "f", data);
  const ChunkId second = data_chunks(peer, ino).at(1);
  peer.reopen();
  flip_byte_on_disk(peer.store().chunk_path(second), 300'000);  // in the part read around the page cache
  Bytes out(4096);
  auto n = read_at(peer.fs(), ino, kMiB + 10, out);
  ASSERT_FALSE(n.ok());
  // EIO: the only copy is corrupt (now quarantined), and nobody else has one.
  EXPECT_EQ(n.error().code, Errc::corrupt);
  EXPECT_TRUE(read_at(peer.fs(), ino, 10, out).ok());  // the other chunks still read
}

TEST(FsRead, AChunkCorruptedInTheStoreIsReadFromAGoodCopyInTheCacheStore) {
  Peer peer;
  const Bytes data = random_bytes(kMiB + 100, 13);
  const Ino ino = put_file(peer.fs(), kRootIno, "f", data);
  const ChunkId first = data_chunks(peer, ino).at(0);
  auto good = peer.store().get(first);
  ASSERT_OK(good);
  ASSERT_OK(peer.cache().put(first, *good));
  peer.reopen();
  flip_byte_on_disk(peer.store().chunk_path(first), static_cast<std::streamoff>(good->size() - 1));
  EXPECT_EQ(read_all(peer.fs(), ino), data);
}

TEST(FsRead, AReopenedFileReadsNoManifestChunkAndAWrongKeyStillFails) {
  Peer peer;
  const Bytes data = random_bytes(5000, 16);
  const Ino ino = put_file(peer.fs(), kRootIno, "f", data);
  auto id = peer.fs().file_id(ino);
  ASSERT_OK(id);
  EXPECT_EQ(read_all(peer.fs(), ino), data);  // its manifest is now cached
  // Gone from the store, the manifest still opens from the cache...
  auto manifest = peer.store().get(id->manifest);
  ASSERT_OK(manifest);
  ASSERT_OK(peer.store().remove(id->manifest));
  EXPECT_EQ(read_all(peer.fs(), ino), data);
  // ...but only with its own key.
  FileId wrong{id->manifest, crypto::SecretKey::generate()};
  ASSERT_OK(peer.store().put(id->manifest, *manifest));
  EXPECT_ERRC(peer.fs().open_shared(testing::kCaller, wrong, kRootIno, "x"), Errc::corrupt);
}

Bytes joined(const ReadPieces& read) {
  Bytes out;
  for (ByteView piece : read.pieces) out.insert(out.end(), piece.begin(), piece.end());
  return out;
}

TEST(FsRead, ReadPiecesGiveTheBytesReadGivesAndOutliveTheHandle) {
  Peer peer;
  const Bytes data = random_bytes(2 * kMiB + 777, 14);
  const Ino ino = put_file(peer.fs(), kRootIno, "f", data);
  peer.reopen();
  auto fh = peer.fs().open(ino, O_RDONLY);
  ASSERT_OK(fh);
  auto across_an_edge = peer.fs().read_pieces(*fh, kMiB - 100, 300);
  auto to_the_end = peer.fs().read_pieces(*fh, 2 * kMiB, kMiB);
  auto past_the_end = peer.fs().read_pieces(*fh, data.size() + 1, 10);
  ASSERT_OK(peer.fs().release(*fh));
  ASSERT_OK(across_an_edge);
  ASSERT_OK(to_the_end);
  ASSERT_OK(past_the_end);
  EXPECT_EQ(across_an_edge->pieces.size(), 2u);  // one per chunk, straight from the read cache
  EXPECT_EQ(joined(*across_an_edge), Bytes(data.begin() + kMiB - 100, data.begin() + kMiB + 200));
  EXPECT_EQ(joined(*to_the_end), Bytes(data.begin() + 2 * kMiB, data.end()));
  EXPECT_EQ(past_the_end->size(), 0u);
}

TEST(FsRead, ReadPiecesSeeUnflushedWritesAndZerosPastTheStoredBytes) {
  Peer peer;
  const Ino ino = put_file(peer.fs(), kRootIno, "f", random_bytes(5000, 15));
  auto fh = peer.fs().open(ino, O_RDWR);
  ASSERT_OK(fh);
  ASSERT_OK(peer.fs().write(*fh, 10, as_bytes("new")));
  ASSERT_OK(peer.fs().write(*fh, 9000, as_bytes("end")));  // a hole from 5000 to 9000
  Bytes expected(9003);
  ASSERT_OK(peer.fs().read(*fh, 0, expected));
  auto read = peer.fs().read_pieces(*fh, 0, 20'000);
  ASSERT_OK(read);
  EXPECT_EQ(joined(*read), expected);
  EXPECT_EQ(std::string(expected.begin() + 10, expected.begin() + 13), "new");
  EXPECT_EQ(Bytes(expected.begin() + 6000, expected.begin() + 6010), Bytes(10, 0));
  ASSERT_OK(peer.fs().release(*fh));
}

// A read-ahead that opens a corrupt chunk quarantines its file; closing
// the filesystem waits for the read-aheads in flight, so what stays in
// place after it was never read ahead.
TEST(FsRead, ASequentialReaderHasTheNextEightChunksReadAhead) {
  Peer peer;
  const Bytes data = random_bytes(10 * kMiB, 17);
  const Ino ino = put_file(peer.fs(), kRootIno, "f", data);
  const std::vector<ChunkId> chunks = data_chunks(peer, ino);
  ASSERT_EQ(chunks.size(), 10u);
  peer.reopen();
  for (std::size_t i = 1; i < chunks.size(); ++i) flip_byte_on_disk(peer.store().chunk_path(chunks[i]), 1000);
  auto fh = peer.fs().open(ino, O_RDONLY);
  ASSERT_OK(fh);
  Bytes first(kMiB);
  ASSERT_OK(peer.fs().read(*fh, 0, first));  // sequential from 0: reads ahead from chunk 1
  ASSERT_OK(peer.fs().release(*fh));
  peer.reopen();
  ASSERT_EQ(FsOptions{}.read_ahead_chunks, 8u);
  for (std::size_t i = 1; i < chunks.size(); ++i) {
    EXPECT_EQ(std::filesystem::exists(peer.store().chunk_path(chunks[i])), i > 8) << "chunk " << i;
  }
}

}  // namespace
}  // namespace dfs::fs
