// open_shared of a directory ID: the whole tree placed from another peer,
// browsable under .dfs/ids, and hostile snapshots refused whole.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dfs/chunk/directory.hpp"
#include "dfs/fs/id_directory.hpp"
#include "dfs/fs/place_shared.hpp"
#include "fs_test_util.hpp"

namespace dfs::fs {
namespace {

using testing::kCaller;
using testing::OnePeerNetwork;
using testing::Peer;
using testing::put_file;
using testing::read_all;

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

// The owner of the root (the user who made the index), who may place there.
Caller owner() { return Caller{static_cast<std::uint32_t>(::getuid()), static_cast<std::uint32_t>(::getgid()), 022}; }

class SharedTree : public ::testing::Test {
 protected:
  SharedTree() { bob.set_network(&network); }

  // Alice's tree: shared/{a.txt, link -> a.txt, hard (a link of a.txt), fifo, sub/b.txt, empty/}
  FileId share_at_alice() {
    FileSystem& fs = alice.fs();
    shared_ = fs.mkdir(kCaller, kRootIno, "shared", 0750).value().ino;
    const Ino a = put_file(fs, shared_, "a.txt", as_bytes("alpha"));
    EXPECT_TRUE(fs.link(a, shared_, "hard").ok());
    EXPECT_TRUE(fs.symlink(kCaller, "a.txt", shared_, "link").ok());
    EXPECT_TRUE(fs.mknod(kCaller, shared_, "fifo", S_IFIFO | 0600, 0).ok());
    const Ino sub = fs.mkdir(kCaller, shared_, "sub", 0755).value().ino;
    put_file(fs, sub, "b.txt", as_bytes("beta"));
    EXPECT_TRUE(fs.mkdir(kCaller, shared_, "empty", 0700).ok());
    return fs.file_id(shared_).value();
  }

  Attr at(FileSystem& fs, Ino dir, const std::string& name) {
    auto attr = fs.lookup(dir, name);
    EXPECT_TRUE(attr.ok()) << name << ": " << attr.error().to_string();
    return attr.ok() ? *attr : Attr{};
  }

  // A directory segment sealed as is (no validation), stored at Alice.
  FileId forge(const std::vector<dfs::DirEntry>& entries, std::uint64_t total) {
    DirectorySegment seg;
    seg.is_head = true;
    seg.total_entries = total;
    seg.entries = entries;
    FileId id;
    id.kind = IdKind::directory;
    id.key = crypto::SecretKey::generate();
    SealedChunk sealed = seal_chunk(id.key, ChunkKind::directory, encode_directory_segment(seg));
    EXPECT_TRUE(alice.store().put(sealed.id, sealed.bytes).ok());
    id.manifest = sealed.id;
    return id;
  }

  dfs::DirEntry subdir(const std::string& name, const FileId& id) {
    dfs::DirEntry e;
    e.name = name;
    e.type = EntryType::directory;
    e.mode = 0755;
    e.id = id;
    return e;
  }

  Peer alice, bob;
  OnePeerNetwork network{alice.store()};
  Ino shared_ = 0;
};

TEST_F(SharedTree, ADirectoryIdPlacesTheWholeTreeFetchingFromTheSharer) {
  const FileId id = share_at_alice();
  ASSERT_FALSE(bob.store().contains(id.manifest).value());
  FileSystem& fs = bob.fs();
  auto placed = place_shared(fs, owner(), id, "got");
  ASSERT_TRUE(placed.ok()) << placed.error().to_string();
  EXPECT_TRUE(S_ISDIR(placed->attr.mode));
  const Ino got = placed->attr.ino;
  const Attr a = at(fs, got, "a.txt");
  EXPECT_EQ(a.mode & 07777, 0644u);
  EXPECT_EQ(a.uid, owner().uid);
  EXPECT_EQ(read_all(fs, a.ino), bytes_of("alpha"));
  EXPECT_EQ(read_all(fs, at(fs, got, "hard").ino), bytes_of("alpha"));
  EXPECT_NE(at(fs, got, "hard").ino, a.ino);  // a hard link arrives as a file of its own
  EXPECT_EQ(fs.readlink(at(fs, got, "link").ino).value(), "a.txt");
  EXPECT_TRUE(S_ISFIFO(at(fs, got, "fifo").mode));
  EXPECT_EQ(at(fs, got, "empty").mode & 07777, 0700u);
  const Ino sub = at(fs, got, "sub").ino;
  EXPECT_EQ(read_all(fs, at(fs, sub, "b.txt").ino), bytes_of("beta"));
  EXPECT_EQ(at(fs, got, "a.txt").mtime, at(alice.fs(), shared_, "a.txt").mtime);
  EXPECT_GT(network.fetches, 0);
}

TEST_F(SharedTree, AnEditAtTheReaderLeavesTheSharersSnapshotAsItWas) {
  const FileId id = share_at_alice();
  FileSystem& fs = bob.fs();
  const Ino got = place_shared(fs, owner(), id, "got").value().attr.ino;
  const Ino a = at(fs, got, "a.txt").ino;
  const FileHandle fh = fs.open(a, O_WRONLY | O_TRUNC).value();
  ASSERT_TRUE(fs.write(fh, 0, as_bytes("bob's")).ok());
  ASSERT_TRUE(fs.release(fh).ok());
  EXPECT_NE(fs.file_id(got).value(), id);
  const DirectorySnapshot alices = alice.fs().snapshot(shared_, SnapshotScope::shared).value();
  EXPECT_EQ(alices.id, id);
  EXPECT_EQ(alices.sealed, 0u);
  EXPECT_EQ(read_all(alice.fs(), at(alice.fs(), shared_, "a.txt").ino), bytes_of("alpha"));
}

TEST_F(SharedTree, ADirectoryIdUnderDotDfsIdsIsBrowsableAndReadOnly) {
  const FileId id = share_at_alice();
  FileSystem& fs = bob.fs();
  const Attr ids = at(fs, at(fs, kRootIno, ".dfs").ino, "ids");
  const Attr top = at(fs, ids.ino, id.to_string());
  ASSERT_TRUE(S_ISDIR(top.mode));
  EXPECT_EQ(top.mode & 0222, 0u);
  const Attr sub = at(fs, top.ino, "sub");
  const Attr b = at(fs, sub.ino, "b.txt");
  EXPECT_EQ(b.mode & 0222, 0u);
  EXPECT_EQ(read_all(fs, b.ino), bytes_of("beta"));
  EXPECT_EQ(fs.readdir(top.ino).value().size(), 6u);
  EXPECT_ERRC(fs.create(kCaller, sub.ino, "new", 0644, O_WRONLY), Errc::read_only);
  EXPECT_ERRC(fs.unlink(sub.ino, "b.txt"), Errc::read_only);
  EXPECT_ERRC(fs.mkdir(kCaller, top.ino, "d", 0755), Errc::read_only);
  EXPECT_ERRC(fs.open(b.ino, O_WRONLY), Errc::read_only);
  EXPECT_ERRC(fs.rename(sub.ino, "b.txt", kRootIno, "stolen", 0), Errc::read_only);
}

TEST_F(SharedTree, NamesThatLeaveTheTreeAreRefusedAndNothingIsPlaced) {
  for (const std::string bad : {"..", "a/b", "."}) {
    dfs::DirEntry e;
    e.name = bad;
    e.type = EntryType::fifo;
    e.mode = 0600;
    const FileId id = forge({e}, 1);
    auto placed = bob.fs().open_shared(kCaller, id, kRootIno, "evil");
    ASSERT_FALSE(placed.ok()) << bad;
    EXPECT_EQ(placed.error().code, Errc::corrupt) << placed.error().to_string();
    EXPECT_ERRC(bob.fs().lookup(kRootIno, "evil"), Errc::not_found);
  }
}

TEST_F(SharedTree, ATreeThatRepeatsASubtreePastTheEntryBoundIsRefused) {
  // Each level names the one below twice: 4094 directories to place from 12
  // distinct segments, past a bound of 1000 (the default bound, 2^20, is
  // passed the same way by 20 levels; fewer keep the test fast).
  FsOptions options;
  options.max_shared_tree_entries = 1000;
  Peer carol(options);
  carol.set_network(&network);
  FileId below = forge({}, 0);
  for (int level = 0; level < 11; ++level) below = forge({subdir("a", below), subdir("b", below)}, 2);
  auto placed = carol.fs().open_shared(kCaller, below, kRootIno, "bomb");
  ASSERT_FALSE(placed.ok());
  EXPECT_EQ(placed.error().code, Errc::too_large) << placed.error().to_string();
  EXPECT_ERRC(carol.fs().lookup(kRootIno, "bomb"), Errc::not_found);
}

TEST_F(SharedTree, ATreeNestedDeeperThanTheBoundIsRefused) {
  FileId below = forge({}, 0);
  for (std::size_t level = 0; level <= kMaxSnapshotDepth + 1; ++level) below = forge({subdir("d", below)}, 1);
  auto placed = bob.fs().open_shared(kCaller, below, kRootIno, "deep");
  ASSERT_FALSE(placed.ok());
  EXPECT_EQ(placed.error().code, Errc::too_large) << placed.error().to_string();
  EXPECT_NE(placed.error().message.find("deeper"), std::string::npos) << placed.error().message;
}

TEST_F(SharedTree, AnEntryWhoseSizeDisagreesWithItsFileIsRefused) {
  share_at_alice();
  const FileId a = alice.fs().file_id(at(alice.fs(), shared_, "a.txt").ino).value();
  dfs::DirEntry e;
  e.name = "liar";
  e.type = EntryType::file;
  e.mode = 0644;
  e.size = 1 << 30;
  e.id = a;
  auto placed = bob.fs().open_shared(kCaller, forge({e}, 1), kRootIno, "x");
  ASSERT_FALSE(placed.ok());
  EXPECT_EQ(placed.error().code, Errc::corrupt) << placed.error().to_string();
}

}  // namespace
}  // namespace dfs::fs
