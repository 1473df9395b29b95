// Every ID reads exactly one version (DESIGN.md §2): a version's manifest
// is sealed under a key fresh for that version and each data chunk under a
// key of its own, so an edit's new manifest and new chunks are unreadable
// with the ID of the version before, while untouched chunks are reused as
// they were (same ID, same key).
#include "fs_test_util.hpp"

namespace dfs::fs {
namespace {

using testing::kCaller;
using testing::Peer;
using testing::put_file;
using testing::random_bytes;

constexpr std::size_t kMiB = 1 << 20;

class FsVersionKeys : public ::testing::Test {
 protected:
  FileId id_of(Ino ino) {
    auto id = peer.fs().file_id(ino);
    EXPECT_TRUE(id.ok()) << id.error().to_string();
    return id.ok() ? *id : FileId{};
  }
  Result<Manifest> manifest(const crypto::SecretKey& key, const ChunkId& head) {
    return load_manifest(key, head, [this](const ChunkId& id) { return peer.store().get(id); });
  }
  void overwrite(Ino ino, std::uint64_t offset, std::string_view text) {
    auto fh = peer.fs().open(ino, O_RDWR);
    ASSERT_OK(fh);
    ASSERT_OK(peer.fs().write(*fh, offset, as_bytes(text)));
    ASSERT_OK(peer.fs().release(*fh));
  }

  Peer peer;
};

TEST_F(FsVersionKeys, AnOldIdOpensNeitherTheNextVersionsManifestNorItsNewChunks) {
  const Ino ino = put_file(peer.fs(), kRootIno, "f", random_bytes(3 * kMiB + 5, 1));
  const FileId first = id_of(ino);
  overwrite(ino, kMiB + 10, "an edit in chunk 1");
  const FileId second = id_of(ino);
  ASSERT_NE(first.manifest, second.manifest);
  EXPECT_FALSE(first.key == second.key);

  auto before = manifest(first.key, first.manifest);
  auto after = manifest(second.key, second.manifest);
  ASSERT_OK(before);
  ASSERT_OK(after);
  // The old ID's key does not open the new manifest.
  EXPECT_ERRC(manifest(first.key, second.manifest), Errc::corrupt);

  ASSERT_EQ(after->chunk_count(), 4u);
  for (std::uint64_t i : {0u, 2u, 3u}) {
    EXPECT_EQ(*after->chunk(i), *before->chunk(i)) << "untouched chunk " << i << " is reused as it was";
  }
  const ChunkRef& edited = *after->chunk(1);
  ASSERT_NE(edited.id, before->chunk(1)->id);
  auto sealed = peer.store().get(edited.id);
  ASSERT_OK(sealed);
  EXPECT_TRUE(open_data_chunk(edited, *sealed).ok());
  // Nothing the old ID holds or leads to opens the new chunk: not its
  // manifest key, nor any chunk key of the old version.
  EXPECT_ERRC(decrypt_chunk(first.key, ChunkKind::data, *sealed), Errc::corrupt);
  for (std::uint64_t i = 0; i < before->chunk_count(); ++i) {
    EXPECT_ERRC(decrypt_chunk(before->chunk(i)->key, ChunkKind::data, *sealed), Errc::corrupt);
  }
}

TEST_F(FsVersionKeys, EveryChunkOfAVersionHasAKeyOfItsOwn) {
  const Ino ino = put_file(peer.fs(), kRootIno, "f", Bytes(3 * kMiB, 0x42));
  const FileId id = id_of(ino);
  auto m = manifest(id.key, id.manifest);
  ASSERT_OK(m);
  ASSERT_EQ(m->chunk_count(), 3u);
  // Equal plaintext, yet unrelated keys and so unrelated chunk IDs.
  EXPECT_FALSE(m->chunk(0)->key == m->chunk(1)->key);
  EXPECT_NE(m->chunk(0)->id, m->chunk(1)->id);
  for (std::uint64_t i = 0; i < 3; ++i) EXPECT_FALSE(m->chunk(i)->key == id.key);
}

}  // namespace
}  // namespace dfs::fs
