// open_shared: a file put by another peer, reached through a ChunkNetwork.
#include <sys/stat.h>

#include <optional>

#include "fs_test_util.hpp"

namespace dfs::fs {
namespace {

using testing::kCaller;
using testing::OnePeerNetwork;
using testing::Peer;
using testing::put_file;
using testing::random_bytes;
using testing::read_all;

constexpr std::size_t kMiB = 1 << 20;

// Alice and Bob, Bob reaching Alice's store through the network.
class FsShare : public ::testing::Test {
 protected:
  FsShare() { bob.set_network(&network); }

  // Puts `data` at Alice as "report"; its inode, and its ID in `id`.
  Ino put_at_alice(ByteView data, std::optional<FileId>& id) {
    const Ino ino = put_file(alice.fs(), kRootIno, "report", data);
    auto got = alice.fs().file_id(ino);
    EXPECT_TRUE(got.ok());
    if (got.ok()) id = *got;
    return ino;
  }

  Peer alice, bob;
  OnePeerNetwork network{alice.store()};
};

TEST_F(FsShare, ASharedFileReadsBitExactFromTheOtherPeer) {
  Bytes data = random_bytes(3 * kMiB + 77, 11);
  std::optional<FileId> id;
  put_at_alice(data, id);
  ASSERT_TRUE(id);
  auto placed = bob.fs().open_shared(kCaller, *id, kRootIno, "from-alice");
  ASSERT_OK(placed);
  EXPECT_EQ(placed->size, data.size());
  EXPECT_TRUE(S_ISREG(placed->mode));
  EXPECT_EQ(read_all(bob.fs(), placed->ino), data);
  EXPECT_GT(network.fetches, 0);
  EXPECT_EQ(bob.fs().file_id(placed->ino)->to_string(), id->to_string());
}

TEST_F(FsShare, AWriteToASharedFileMakesOurOwnVersion) {
  Bytes data = random_bytes(2 * kMiB + 5, 12);
  std::optional<FileId> id;
  const Ino original = put_at_alice(data, id);
  ASSERT_TRUE(id);
  auto placed = bob.fs().open_shared(kCaller, *id, kRootIno, "mine");
  ASSERT_OK(placed);
  auto fh = bob.fs().open(placed->ino, O_RDWR);
  ASSERT_OK(fh);
  ASSERT_OK(bob.fs().write(*fh, 10, as_bytes("bob was here")));
  ASSERT_OK(bob.fs().release(*fh));
  auto mine = bob.fs().file_id(placed->ino);
  ASSERT_OK(mine);
  EXPECT_NE(mine->to_string(), id->to_string());
  // Alice's file is untouched, and Bob's version is whole on Bob's peer.
  EXPECT_EQ(read_all(alice.fs(), original), data);
  EXPECT_EQ(alice.fs().file_id(original)->to_string(), id->to_string());
  bob.set_network(nullptr);
  Bytes expected = data;
  std::copy_n("bob was here", 12, expected.begin() + 10);
  EXPECT_EQ(read_all(bob.fs(), placed->ino), expected);
}

TEST_F(FsShare, AnUnknownIdFailsWithNotFound) {
  FileId unknown{ChunkId::of(as_bytes("nothing")), crypto::SecretKey::generate()};
  EXPECT_ERRC(bob.fs().open_shared(kCaller, unknown, kRootIno, "x"), Errc::not_found);
  EXPECT_ERRC(bob.fs().lookup(kRootIno, "x"), Errc::not_found);
}

TEST_F(FsShare, AWrongKeyFailsAsCorrupt) {
  std::optional<FileId> id;
  put_at_alice(as_bytes("secret"), id);
  ASSERT_TRUE(id);
  FileId wrong{id->manifest, crypto::SecretKey::generate()};
  EXPECT_ERRC(bob.fs().open_shared(kCaller, wrong, kRootIno, "x"), Errc::corrupt);
}

TEST_F(FsShare, FsyncAsksTheNetworkForCopies) {
  auto created = bob.fs().create(kCaller, kRootIno, "f", 0644, O_RDWR);
  ASSERT_OK(created);
  ASSERT_OK(bob.fs().write(created->second, 0, random_bytes(kMiB + 1, 13)));
  ASSERT_OK(bob.fs().fsync(created->second, false));
  EXPECT_EQ(network.replicated, 3u);  // two data chunks and the manifest
  ASSERT_OK(bob.fs().release(created->second));
}

}  // namespace
}  // namespace dfs::fs
