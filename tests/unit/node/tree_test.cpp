// Node::put_tree / get_tree / remove on a real data directory: a tree with
// every awkward kind of entry comes back bit-exact with its modes, times
// and symlinks; small files are packed per directory (and a subdirectory's
// ID opens none of its siblings' packs); hostile snapshots (names that
// climb out, trees too large, packs that lie) are refused; rm leaves the
// chunks, packs included, to GC.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "../../common/temp_dir.hpp"
#include "dfs/chunk/directory.hpp"
#include "dfs/node/data_dir.hpp"
#include "dfs/node/node.hpp"
#include "dfs/replicate/chunk_network.hpp"
#include "dfs/store/version_reader.hpp"
#include "dfs/util/file.hpp"

namespace dfs::node {
namespace {

namespace fs = std::filesystem;

// Everything a recreated entry must keep: type, mode, mtime, content or target.
struct Seen {
  mode_t mode = 0;
  timespec mtime{};
  std::string content;  // a file's bytes, a symlink's target
  bool operator==(const Seen& o) const {
    return mode == o.mode && mtime.tv_sec == o.mtime.tv_sec && mtime.tv_nsec == o.mtime.tv_nsec && content == o.content;
  }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Relative path -> what is there, for a whole tree (the root excluded).
void scan(const std::string& root, const std::string& rel, std::map<std::string, Seen>& out) {
  for (const auto& e : fs::directory_iterator(root + rel)) {
    const std::string name = rel + "/" + e.path().filename().string();
    struct stat st{};
    ASSERT_EQ(::lstat((root + name).c_str(), &st), 0) << name;
    Seen seen{st.st_mode, st.st_mtim, {}};
    if (S_ISREG(st.st_mode)) seen.content = slurp(root + name);
    if (S_ISLNK(st.st_mode)) seen.content = fs::read_symlink(root + name).string();
    out[name] = seen;
    if (S_ISDIR(st.st_mode)) scan(root, name, out);
  }
}

// Every entry under `want` is under `got` with the same type, mode, mtime
// and content (or target), and `got` has nothing more.
void expect_same_tree(const std::string& want_root, const std::string& got_root) {
  std::map<std::string, Seen> want, got;
  scan(want_root, "", want);
  scan(got_root, "", got);
  EXPECT_EQ(got.size(), want.size());
  for (const auto& [name, seen] : want) {
    ASSERT_TRUE(got.count(name)) << name;
    EXPECT_TRUE(got[name] == seen) << name;
  }
}

void set_mtime(const std::string& path, std::int64_t seconds, long ns) {
  const timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(seconds), ns}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

class TreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok());
    dir_ = tmp_.path();
    NodeOptions options;
    options.data_dir = dir_ + "/data";
    options.chunk_size = 4096;
    options.durable = false;
    data_dir_ = std::move(DataDir::open(options)).value();
    node_ = std::make_unique<Node>(*data_dir_);
  }
  void TearDown() override {
    // Directories made read-only by a test must not keep the temp dir.
    for (const auto& e : fs::recursive_directory_iterator(dir_, fs::directory_options::skip_permission_denied)) {
      if (e.is_directory() && !e.is_symlink()) fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add);
    }
  }

  void write(const std::string& rel, const std::string& content, fs::perms mode = fs::perms(0644)) {
    std::ofstream(src() + rel, std::ios::binary) << content;
    fs::permissions(src() + rel, mode);
  }

  std::string src() const { return dir_ + "/src"; }

  FileId put(const std::string& path) {
    auto fd = open_file(path, O_RDONLY | O_DIRECTORY);
    EXPECT_TRUE(fd.ok());
    auto outcome = node_->put_tree(fd->get(), "src", {}, {});
    EXPECT_TRUE(outcome.ok()) << outcome.error().to_string();
    return outcome->id;
  }

  Status get(const FileId& id, const std::string& out) {
    fs::create_directory(out);
    auto fd = open_file(out, O_RDONLY | O_DIRECTORY);
    EXPECT_TRUE(fd.ok());
    return node_->get_tree(id, fd->get(), {});
  }

  // A tree of `files` files over the awkward cases the issue lists.
  void make_tree(int files) {
    fs::create_directories(src() + "/empty dir");
    fs::create_directories(src() + "/sub/deeper");
    write("/empty file", "");
    write("/name with spaces", "spaces");
    write("/new\nline", "newline");
    write("/\xff\xfe not utf-8", "bytes");
    write("/read-only", "ro", fs::perms(0444));
    write("/script", "#!/bin/sh\n", fs::perms(0755));
    std::string big(3 * 4096 * 5 + 17, '\0');
    for (std::size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>(i);
    write("/sub/large", big);  // several chunks: through a pipeline of its own
    for (int i = 0; i < files; ++i) write("/sub/deeper/f" + std::to_string(i), "file " + std::to_string(i));
    fs::create_symlink("../name with spaces", src() + "/sub/link up");
    fs::create_symlink("nowhere at all", src() + "/dangling");
    fs::create_hard_link(src() + "/name with spaces", src() + "/sub/hard link");
    ASSERT_EQ(::mkfifo((src() + "/a fifo").c_str(), 0600), 0);
    fs::permissions(src() + "/a fifo", fs::perms(0620));  // past the umask
    std::string deep = src() + "/nest";
    for (int i = 0; i < 60; ++i) deep += "/d" + std::to_string(i);
    fs::create_directories(deep);
    std::ofstream(deep + "/bottom") << "bottom";
    set_mtime(src() + "/name with spaces", 1234567890, 123456789);
    set_mtime(src() + "/sub/link up", 1000000000, 5);
    set_mtime(src() + "/sub", 1500000000, 999999999);
    fs::permissions(src() + "/sub", fs::perms(0555));
  }

  dfs::testing::TempDir tmp_{"dfs-tree-test"};
  std::string dir_;
  std::unique_ptr<DataDir> data_dir_;
  std::unique_ptr<Node> node_;  // on data_dir_
};

TEST_F(TreeTest, ATreeWithEveryAwkwardEntryComesBackBitExactWithModesTimesAndSymlinks) {
  const char* long_tests = std::getenv("DFS_LONG_TESTS");
  make_tree(long_tests && std::string(long_tests) == "1" ? 10000 : 300);
  const FileId id = put(src());
  EXPECT_TRUE(id.is_directory());
  ASSERT_TRUE(get(id, dir_ + "/out").ok());
  expect_same_tree(src(), dir_ + "/out");
}

TEST_F(TreeTest, HardLinksShareOneFileIdAndTheTreeIsListedAsOneDirectoryItem) {
  make_tree(3);
  const FileId id = put(src());
  auto root = node_->list_directory(id);
  ASSERT_TRUE(root.ok()) << root.error().to_string();
  const DirEntry* plain = root->find("name with spaces");
  ASSERT_NE(plain, nullptr);
  auto linked = node_->lookup(id, "sub/hard link");
  ASSERT_TRUE(linked.ok()) << linked.error().to_string();
  EXPECT_EQ(linked->id, plain->id);
  EXPECT_EQ(root->find("a fifo")->type, EntryType::fifo);
  EXPECT_EQ(root->find("a fifo")->mode, 0620u);
  auto items = node_->list();
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 1u);
  EXPECT_TRUE(items->front().is_directory);
  EXPECT_FALSE(items->front().from_mount);
  EXPECT_EQ(items->front().name, "src");
  EXPECT_EQ(items->front().file_id, id.to_string());
}

TEST_F(TreeTest, RemovingATreeLeavesEveryOneOfItsChunksToGc) {
  make_tree(20);
  const FileId id = put(src());
  ASSERT_GT(node_->status()->referenced_chunks, 20u);
  ASSERT_TRUE(node_->remove(id).ok());
  EXPECT_TRUE(node_->list()->empty());
  EXPECT_EQ(node_->status()->referenced_chunks, 0u);
  auto report = node_->collect_garbage(GcOptions{});
  ASSERT_TRUE(report.ok()) << report.error().to_string();
  EXPECT_EQ(data_dir_->store().usage().chunks, 0u);
  EXPECT_EQ(node_->remove(id).error().code, Errc::not_found);
}

TEST_F(TreeTest, AnIdThisPeerDidNotPutCannotBeRemoved) {
  make_tree(1);
  FileId id = put(src());
  id.key = crypto::SecretKey::generate();
  EXPECT_EQ(node_->remove(id).error().code, Errc::not_found);
  EXPECT_EQ(node_->list()->size(), 1u);
}

// A snapshot sealed around entries no honest writer makes.
FileId seal_raw(store::ChunkStore& store, std::vector<DirEntry> entries) {
  DirectorySegment seg;
  seg.is_head = true;
  seg.total_entries = entries.size();
  seg.entries = std::move(entries);
  const crypto::SecretKey key = crypto::SecretKey::generate();
  SealedChunk sealed = seal_chunk(key, ChunkKind::directory, encode_directory_segment(seg));
  EXPECT_TRUE(store.put(sealed.id, sealed.bytes).ok());
  return FileId{sealed.id, key, IdKind::directory};
}

DirEntry fifo(std::string name) {
  DirEntry e;
  e.name = std::move(name);
  e.type = EntryType::fifo;
  e.mode = 0600;
  return e;
}

TEST_F(TreeTest, ASnapshotWithANameThatClimbsOutIsRefusedAndNothingIsMade) {
  for (const char* name : {"..", ".", "../escape", "a/b"}) {
    const FileId id = seal_raw(data_dir_->store(), {fifo(name)});
    const std::string out = dir_ + "/out-" + std::to_string(std::string(name).size()) + name[0];
    Status got = get(id, out);
    ASSERT_FALSE(got.ok()) << name;
    EXPECT_EQ(got.error().code, Errc::corrupt) << name;
    EXPECT_NE(got.error().message.find("not a name one directory entry may have"), std::string::npos)
        << got.error().message;
    EXPECT_TRUE(fs::is_empty(out)) << name;
    EXPECT_FALSE(fs::exists(dir_ + "/escape"));
  }
}

// 8 distinct snapshots, each naming the one below 16 times: 16^7 entries
// to make.
FileId one_snapshot_named_over_and_over(store::ChunkStore& store) {
  FileId level = seal_raw(store, {fifo("leaf")});
  for (int depth = 0; depth < 7; ++depth) {
    std::vector<DirEntry> entries;
    for (char c = 'a'; c < 'a' + 16; ++c) {
      DirEntry e;
      e.name = std::string(1, c);
      e.type = EntryType::directory;
      e.mode = 0755;
      e.id = level;
      entries.push_back(e);
    }
    level = seal_raw(store, entries);
  }
  return level;
}

TEST_F(TreeTest, ATreeNamingOneSnapshotOverAndOverIsRefusedBeforeAnythingIsMade) {
  const FileId level = one_snapshot_named_over_and_over(data_dir_->store());
  Status got = get(level, dir_ + "/out");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::too_large);
  EXPECT_NE(got.error().message.find("entries"), std::string::npos) << got.error().message;
  EXPECT_TRUE(fs::is_empty(dir_ + "/out"));
}

TEST_F(TreeTest, ATreeNestedPastTheBoundIsRefused) {
  FileId level = seal_raw(data_dir_->store(), {fifo("leaf")});
  for (std::size_t depth = 0; depth <= store::kMaxTreeDepth; ++depth) {
    DirEntry e;
    e.name = "d";
    e.type = EntryType::directory;
    e.id = level;
    level = seal_raw(data_dir_->store(), {e});
  }
  Status got = get(level, dir_ + "/out");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::too_large);
  EXPECT_TRUE(fs::is_empty(dir_ + "/out"));
}

// Peers that hold whatever `store` holds, counting the fetches. With a
// gate, a fetch (other than of `ungated`) waits, up to a second, until
// `gate` fetches are in flight together: fetches made one at a time each
// wait the second out, and never reach it.
class GatedNetwork final : public ChunkNetwork {
 public:
  GatedNetwork(store::ChunkStore& store, std::size_t gate, ChunkId ungated)
      : store_(store), gate_(gate), ungated_(ungated) {}

  Result<Bytes> fetch(const ChunkId& id) override {
    std::unique_lock lock(mu_);
    ++fetches_;
    if (gate_ > 0 && id != ungated_) {
      most_in_flight_ = std::max(most_in_flight_, ++in_flight_);
      if (in_flight_ >= gate_) opened_ = true;
      changed_.notify_all();
      changed_.wait_for(lock, std::chrono::seconds(1), [&] { return opened_; });
      --in_flight_;
    }
    lock.unlock();
    return store_.get(id);
  }
  ReplicationSummary replicate(const std::vector<ChunkId>&) override { return {}; }
  replicate::NetworkStatus status() override { return {}; }
  std::vector<PeerSummary> peers() override { return {}; }

  std::size_t fetches() {
    std::lock_guard lock(mu_);
    return fetches_;
  }
  std::size_t most_in_flight() {
    std::lock_guard lock(mu_);
    return most_in_flight_;
  }

 private:
  store::ChunkStore& store_;
  const std::size_t gate_;
  const ChunkId ungated_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::size_t fetches_ = 0, in_flight_ = 0, most_in_flight_ = 0;
  bool opened_ = false;
};

// A second peer, with an empty data directory, that fetches from `network`.
struct Reader {
  Reader(const std::string& dir, ChunkNetwork& network) {
    NodeOptions options;
    options.data_dir = dir;
    options.chunk_size = 4096;
    options.durable = false;
    data_dir = std::move(DataDir::open(options)).value();
    node = std::make_unique<Node>(*data_dir);
    node->attach_network(&network);
  }
  ~Reader() { node->attach_network(nullptr); }
  Status get(const FileId& id, const std::string& out) {
    fs::create_directory(out);
    auto fd = open_file(out, O_RDONLY | O_DIRECTORY);
    EXPECT_TRUE(fd.ok());
    return node->get_tree(id, fd->get(), {});
  }
  std::unique_ptr<DataDir> data_dir;
  std::unique_ptr<Node> node;
};

// From peers, a tree's directories are fetched a level at a time, not one
// round trip after another: the 8 subdirectories' snapshots are asked for
// together.
TEST_F(TreeTest, FromPeersTheSnapshotsOfALevelAreFetchedAllAtOnce) {
  fs::create_directories(src());
  for (int i = 0; i < 8; ++i) {
    fs::create_directories(src() + "/d" + std::to_string(i));
    write("/d" + std::to_string(i) + "/f", "file " + std::to_string(i));
  }
  const FileId id = put(src());
  GatedNetwork network(data_dir_->store(), 8, id.manifest);
  Reader reader(dir_ + "/reader", network);
  Status got = reader.get(id, dir_ + "/out");
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  expect_same_tree(src(), dir_ + "/out");
  EXPECT_EQ(network.most_in_flight(), 8u);
  EXPECT_EQ(network.fetches(), 9u) << "each snapshot once, though the tree is walked twice (counted, then made)";
}

// The walk ahead of the fetches is bounded like the others: a tree that
// names one snapshot over and over costs one fetch per distinct snapshot,
// and is refused before anything is made.
TEST_F(TreeTest, FromPeersATreeNamingOneSnapshotOverAndOverIsFetchedOnceAndRefused) {
  const FileId level = one_snapshot_named_over_and_over(data_dir_->store());
  GatedNetwork network(data_dir_->store(), 0, level.manifest);
  Reader reader(dir_ + "/reader", network);
  Status got = reader.get(level, dir_ + "/out");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::too_large);
  EXPECT_TRUE(fs::is_empty(dir_ + "/out"));
  EXPECT_EQ(network.fetches(), 8u);
}

TEST_F(TreeTest, GettingAFileIdAsATreeOrATreeAsAFileSaysWhich) {
  fs::create_directories(src());
  write("/f", std::string(kPackFilesBelow, 'x'));  // not packed: it has a File ID
  const FileId tree = put(src());
  const FileId file = *node_->lookup(tree, "f")->id;
  EXPECT_EQ(get(file, dir_ + "/out").error().code, Errc::not_directory);
  EXPECT_EQ(node_->get(tree, STDOUT_FILENO, {}).error().code, Errc::is_directory);
}

// ---- packs ---------------------------------------------------------------

// The packs the files of one snapshot name.
std::set<ChunkId> packs_of(const Directory& d) {
  std::set<ChunkId> out;
  for (const DirEntry& e : d.entries) {
    if (e.packed) out.insert(e.packed->pack);
  }
  return out;
}

std::string bytes_of(std::size_t n, char seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 31 + i / 7);
  return s;
}

TEST_F(TreeTest, SmallFilesArePackedPerDirectoryAndComeBackBitExact) {
  fs::create_directories(src() + "/many");
  for (int i = 0; i < 400; ++i) write("/many/f" + std::to_string(i), "small file " + std::to_string(i));
  // Around the threshold, empty, and more than one pack's worth.
  write("/below", bytes_of(kPackFilesBelow - 1, 'a'));
  write("/at", bytes_of(kPackFilesBelow, 'b'));
  write("/above", bytes_of(kPackFilesBelow + 1, 'c'));
  write("/empty", "");
  for (int i = 0; i < 5; ++i) write("/fill" + std::to_string(i), bytes_of(200 * 1024, static_cast<char>('d' + i)));
  write("/same 1", "duplicate content");
  write("/same 2", "duplicate content");
  fs::create_hard_link(src() + "/same 1", src() + "/linked");
  fs::create_hard_link(src() + "/same 1", src() + "/many/linked");
  const FileId id = put(src());

  auto root = node_->list_directory(id);
  ASSERT_TRUE(root.ok()) << root.error().to_string();
  EXPECT_TRUE(root->find("below")->is_packed());
  EXPECT_FALSE(root->find("at")->is_packed());
  EXPECT_FALSE(root->find("above")->is_packed());
  EXPECT_FALSE(root->find("empty")->is_packed());
  EXPECT_TRUE(root->find("same 2")->is_packed());
  EXPECT_EQ(root->find("below")->size, kPackFilesBelow - 1);
  // Hard links keep one File ID across directories, so are not packed.
  EXPECT_FALSE(root->find("linked")->is_packed());
  EXPECT_EQ(node_->lookup(id, "many/linked")->id, root->find("linked")->id);
  // 5 x 200 KiB + 256 KiB do not fit one pack of 1 MiB.
  EXPECT_GE(packs_of(*root).size(), 2u);
  auto many = node_->lookup(id, "many");
  const Directory listed = node_->list_directory(*many->id).value();
  EXPECT_EQ(packs_of(listed).size(), 1u);  // 400 small files, one chunk
  // Fewer than kInlinePackBelow bytes: in the snapshot's own head (format 5), no chunk at all.
  EXPECT_TRUE(listed.find("f123")->packed->is_inline());
  EXPECT_EQ(listed.find("f123")->packed->pack, many->id->manifest);
  EXPECT_FALSE(root->find("below")->packed->is_inline());

  ASSERT_TRUE(get(id, dir_ + "/out").ok());
  expect_same_tree(src(), dir_ + "/out");

  // One file out of the tree by its path, packed or not.
  for (const char* path : {"below", "many/f123", "at", "empty"}) {
    const std::string out = dir_ + "/one-" + std::string(path).substr(path[0] == 'm' ? 5 : 0);
    auto fd = open_file(out, O_WRONLY | O_CREAT | O_EXCL);
    ASSERT_TRUE(fd.ok());
    Status one = node_->get_path(id, path, fd->get(), {});
    ASSERT_TRUE(one.ok()) << path << ": " << one.error().to_string();
    EXPECT_EQ(slurp(out), slurp(src() + "/" + path)) << path;
  }
  EXPECT_EQ(node_->get_path(id, "many", STDOUT_FILENO, {}).error().code, Errc::is_directory);
}

TEST_F(TreeTest, ASubdirectoryIdOpensNoneOfItsSiblingsOrItsParentsPacks) {
  fs::create_directories(src() + "/x/inner");
  fs::create_directories(src() + "/y");
  write("/r", "root file");
  write("/x/x1", "x one");
  write("/x/x2", "x two");
  write("/x/inner/i", "inner");
  write("/y/y1", "y's secret");
  const FileId id = put(src());
  const Directory root = node_->list_directory(id).value();
  const FileId x = *root.find("x")->id;
  const Directory xs = node_->list_directory(x).value();
  const Directory inner = node_->list_directory(*xs.find("inner")->id).value();
  const Directory ys = node_->list_directory(*root.find("y")->id).value();
  // Every key reachable from x's ID: its files' packs and its subtree's.
  std::set<ChunkId> reachable = packs_of(xs);
  for (const ChunkId& c : packs_of(inner)) reachable.insert(c);
  ASSERT_FALSE(reachable.empty());
  for (const std::set<ChunkId>& others : {packs_of(root), packs_of(ys)}) {
    ASSERT_FALSE(others.empty());
    for (const ChunkId& c : others) EXPECT_FALSE(reachable.contains(c)) << "a pack shared across directories";
  }
  // And the sibling's file does not open with any key x's tree holds.
  const DirEntry& secret = *ys.find("y1");
  auto sealed = data_dir_->store().get(secret.packed->pack);
  ASSERT_TRUE(sealed.ok());
  for (const Directory* d : {&xs, &inner}) {
    for (const DirEntry& e : d->entries) {
      if (!e.packed) continue;
      PackedRef guess = *secret.packed;
      guess.key = e.packed->key;
      EXPECT_FALSE(open_pack(guess, *sealed).ok());
    }
  }
}

TEST_F(TreeTest, APackThatDoesNotOpenOrIsTooShortIsAClearErrorNamingTheFile) {
  const crypto::SecretKey key = crypto::SecretKey::generate();
  const SealedChunk pack = seal_chunk(key, ChunkKind::data, Bytes(100, 'p'));
  ASSERT_TRUE(data_dir_->store().put(pack.id, pack.bytes).ok());
  auto entry = [&](std::string name, std::uint64_t size, std::uint32_t offset, const crypto::SecretKey& k) {
    DirEntry e;
    e.name = std::move(name);
    e.type = EntryType::file;
    e.mode = 0644;
    e.size = size;
    e.packed = PackedRef{pack.id, k, offset, nullptr};
    return e;
  };
  struct Case {
    DirEntry e;
    const char* says;
  };
  ChunkId missing;
  missing.bytes.fill(9);
  DirEntry nowhere = entry("nowhere", 5, 0, key);
  nowhere.packed->pack = missing;
  for (const Case& c : {Case{entry("wrong key", 5, 0, crypto::SecretKey::generate()), "does not open with its key"},
                        Case{entry("too short", 50, 60, key), "past the end of its pack"},
                        Case{nowhere, "cannot read the pack"}}) {
    const FileId id = seal_raw(data_dir_->store(), {c.e});
    const std::string out = dir_ + "/out-" + c.e.name;
    Status got = get(id, out);
    ASSERT_FALSE(got.ok()) << c.e.name;
    EXPECT_NE(got.error().message.find(c.says), std::string::npos) << got.error().message;
    EXPECT_NE(got.error().message.find(c.e.name), std::string::npos) << got.error().message;
    EXPECT_FALSE(node_->get_path(id, c.e.name, STDOUT_FILENO, {}).ok());
  }
}

TEST_F(TreeTest, AKeptTreesPacksAreReferencedUntilItIsRemoved) {
  fs::create_directories(src() + "/sub");
  for (int i = 0; i < 50; ++i) write("/sub/f" + std::to_string(i), "file " + std::to_string(i));
  const FileId id = put(src());
  const FileId sub = *node_->lookup(id, "sub")->id;
  const ChunkId pack = *packs_of(node_->list_directory(sub).value()).begin();
  ASSERT_TRUE(node_->collect_garbage(GcOptions{}).ok());
  EXPECT_TRUE(data_dir_->store().contains(pack).value());
  ASSERT_TRUE(get(id, dir_ + "/out").ok());
  EXPECT_EQ(slurp(dir_ + "/out/sub/f7"), "file 7");
  ASSERT_TRUE(node_->remove(id).ok());
  ASSERT_TRUE(node_->collect_garbage(GcOptions{}).ok());
  EXPECT_FALSE(data_dir_->store().contains(pack).value());
}

}  // namespace
}  // namespace dfs::node
