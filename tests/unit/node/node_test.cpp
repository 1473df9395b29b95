// Node on a real data directory (disk store + SQLite index in a temp dir):
// round trips, failure clean-up, and what a reader sees of tampering.
#include "../../common/chunk_on_disk.hpp"
#include "../../common/temp_dir.hpp"
#include "dfs/node/node.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>

#include "dfs/store/version_reader.hpp"
#include "dfs/util/file.hpp"

namespace dfs::node {
namespace {

namespace fs = std::filesystem;

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok());
    dir_ = tmp_.path();
  }

  std::unique_ptr<Node> open_node(std::uint64_t quota = 0, std::uint32_t chunk_size = 4096) {
    NodeOptions options;
    options.data_dir = dir_ + "/data";
    options.quota_bytes = quota;
    options.chunk_size = chunk_size;
    auto node = Node::open(options);
    EXPECT_TRUE(node.ok()) << node.error().to_string();
    return std::move(node).value();
  }

  // Writes `data` to a file and returns an fd positioned at its start.
  UniqueFd file_with(const Bytes& data) {
    std::string path = dir_ + "/input-" + std::to_string(counter_++);
    auto fd = open_file(path, O_RDWR | O_CREAT | O_TRUNC);
    EXPECT_TRUE(fd.ok());
    EXPECT_TRUE(write_full(fd->get(), data, path).ok());
    ::lseek(fd->get(), 0, SEEK_SET);
    return std::move(fd).value();
  }

  Bytes read_back(Node& node, const FileId& id) {
    std::string path = dir_ + "/output-" + std::to_string(counter_++);
    auto fd = open_file(path, O_RDWR | O_CREAT | O_TRUNC);
    Status got = node.get(id, fd->get(), {});
    EXPECT_TRUE(got.ok()) << got.error().to_string();
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
  }

  // Where each chunk is on disk: its own file, or a pack.
  std::vector<std::pair<ChunkId, store::DiskChunkStore::OnDisk>> chunks_on_disk() {
    return dfs::testing::chunks_on_disk(dir_ + "/data/store");
  }

  dfs::testing::TempDir tmp_{"dfs-node-test"};
  std::string dir_;
  int counter_ = 0;
};

Result<FileId> put(Node& node, int fd, const std::string& name) {
  auto outcome = node.put(fd, name, PutOptions{}, {});
  if (!outcome.ok()) return outcome.take_error();
  return outcome->id;
}

Bytes random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<std::uint8_t>(gen());
  return b;
}

TEST_F(NodeTest, FilesOfEveryBoundarySizeRoundTripBitExact) {
  auto node = open_node();
  for (std::size_t size : {0, 1, 4095, 4096, 4097, 3 * 4096, 100000}) {
    Bytes data = random_bytes(size, static_cast<unsigned>(size));
    auto fd = file_with(data);
    auto id = put(*node, fd.get(), "f");
    ASSERT_TRUE(id.ok()) << id.error().to_string();
    EXPECT_EQ(read_back(*node, *id), data) << "size " << size;
  }
}

TEST_F(NodeTest, PutRecordsTheFileAndEveryChunkInTheIndex) {
  auto node = open_node();
  auto fd = file_with(random_bytes(10000, 1));
  auto id = put(*node, fd.get(), "notes.txt").value();
  auto files = node->list().value();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, "notes.txt");
  EXPECT_EQ(files[0].size, 10000u);
  EXPECT_EQ(files[0].file_id, id.to_string());
  auto status = node->status().value();
  EXPECT_EQ(status.usage.chunks, 4u) << "3 data chunks and 1 manifest";
  EXPECT_EQ(status.referenced_chunks, 4u);
}

TEST_F(NodeTest, TheStoreHoldsNoTraceOfAPlaintextMarker) {
  auto node = open_node();
  std::string marker = "MARKER-7f3a-PLAINTEXT-";
  std::string text;
  while (text.size() < 50000) text += marker;
  auto fd = file_with(Bytes(text.begin(), text.end()));
  ASSERT_TRUE(put(*node, fd.get(), "secret.txt").ok());
  // Packs included: every file under the store.
  for (const auto& entry : fs::recursive_directory_iterator(dir_ + "/data/store")) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(bytes.find("MARKER-7f3a"), std::string::npos) << entry.path();
  }
}

TEST_F(NodeTest, APutThatRunsOutOfQuotaLeavesNothingBehind) {
  auto node = open_node(/*quota=*/20000);
  auto fd = file_with(random_bytes(100000, 2));
  auto id = put(*node, fd.get(), "big");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error().code, Errc::no_space);
  EXPECT_EQ(node->status()->usage.chunks, 0u);
  EXPECT_EQ(node->status()->usage.bytes, 0u);
  EXPECT_TRUE(node->list()->empty());
  EXPECT_TRUE(chunks_on_disk().empty());
}

TEST_F(NodeTest, GetReportsACorruptChunkAndWritesNothingPastIt) {
  auto node = open_node();
  auto fd = file_with(random_bytes(3 * 4096, 3));
  auto id = put(*node, fd.get(), "f").value();
  // Flip a byte in every chunk but the manifest: the read must fail.
  for (const auto& [chunk, where] : chunks_on_disk()) {
    if (chunk == id.manifest) continue;
    ASSERT_TRUE(dfs::testing::flip_chunk_byte(where, 40)) << where.path;
  }
  node.reset();
  node = open_node();
  std::string out = dir_ + "/out";
  auto out_fd = open_file(out, O_RDWR | O_CREAT | O_TRUNC).value();
  Status got = node->get(id, out_fd.get(), {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::corrupt);
  EXPECT_EQ(fs::file_size(out), 0u);
}

TEST_F(NodeTest, GetOfAnUnknownManifestSaysThePeerDoesNotHoldIt) {
  auto node = open_node();
  FileId unknown{ChunkId{}, crypto::SecretKey::generate()};
  unknown.manifest.bytes.fill(7);
  auto out_fd = open_file(dir_ + "/out", O_RDWR | O_CREAT | O_TRUNC).value();
  Status got = node->get(unknown, out_fd.get(), {});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::not_found);
  EXPECT_NE(got.error().message.find("holds a file with that ID"), std::string::npos);
}

TEST_F(NodeTest, GetWithTheWrongKeyFailsAuthentication) {
  auto node = open_node();
  auto fd = file_with(random_bytes(5000, 4));
  auto id = put(*node, fd.get(), "f").value();
  FileId wrong{id.manifest, crypto::SecretKey::generate()};
  auto out_fd = open_file(dir_ + "/out", O_RDWR | O_CREAT | O_TRUNC).value();
  EXPECT_EQ(node->get(wrong, out_fd.get(), {}).error().code, Errc::corrupt);
}

TEST_F(NodeTest, FilesSurviveReopeningTheDataDirectory) {
  Bytes data = random_bytes(20000, 5);
  FileId id = [&] {
    auto node = open_node();
    auto fd = file_with(data);
    return put(*node, fd.get(), "f").value();
  }();
  auto node = open_node();
  EXPECT_EQ(read_back(*node, id), data);
  EXPECT_EQ(node->list()->size(), 1u);
}

// A network that records what a put streams to it: each chunk's ID with
// its bytes, while the put still runs, and says the odd-numbered chunks
// belong to other peers.
class RecordingNetwork final : public ChunkNetwork {
 public:
  struct Seen {
    ChunkId id;
    Bytes sealed;
  };
  class Stream final : public ReplicationStream {
   public:
    explicit Stream(RecordingNetwork& net) : net_(net) {}
    // Called from the put's sealing threads at once, as the real stream is.
    void add(const ChunkId& id, std::shared_ptr<const Bytes> sealed) override {
      std::lock_guard lock(net_.mu);
      net_.seen.push_back({id, *sealed});
    }
    ReplicationSummary finish() override {
      ReplicationSummary summary{3, 3, {}, {}};
      for (std::size_t i = 1; i < net_.seen.size(); i += 2) summary.not_ours.push_back(net_.seen[i].id);
      return summary;
    }

   private:
    RecordingNetwork& net_;
  };

  Result<Bytes> fetch(const ChunkId& id) override {
    return make_error(Errc::not_found, "no peer holds " + id.short_hex());
  }
  ReplicationSummary replicate(const std::vector<ChunkId>&) override {
    ADD_FAILURE() << "a put streams its chunks instead of replicating them afterwards";
    return {};
  }
  std::unique_ptr<ReplicationStream> start_replication() override { return std::make_unique<Stream>(*this); }
  replicate::NetworkStatus status() override { return {}; }
  std::vector<PeerSummary> peers() override { return {}; }

  std::mutex mu;  // guards seen while the put runs
  std::vector<Seen> seen;
};

TEST_F(NodeTest, APutStreamsEverySealedChunkAndItsManifestToTheNetworkAndCachesWhatOthersHold) {
  NodeOptions options;
  options.data_dir = dir_ + "/data";
  options.chunk_size = 4096;
  auto data_dir = DataDir::open(options);
  ASSERT_TRUE(data_dir.ok()) << data_dir.error().to_string();
  auto node = std::make_unique<Node>(**data_dir);
  RecordingNetwork network;
  node->attach_network(&network);
  Bytes data = random_bytes(5 * 4096 + 10, 6);
  auto fd = file_with(data);
  auto outcome = node->put(fd.get(), "f", PutOptions{}, {});
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  ASSERT_EQ(network.seen.size(), 7u) << "6 data chunks and the manifest";
  EXPECT_EQ(network.seen.back().id, outcome->id.manifest);
  for (std::size_t i = 0; i < network.seen.size(); ++i) {
    const auto& chunk = network.seen[i];
    EXPECT_EQ(ChunkId::of(chunk.sealed), chunk.id) << "the bytes streamed are the chunk's";
    // Chunks held by others moved from the store to the cache.
    EXPECT_EQ(*(*data_dir)->store().contains(chunk.id), i % 2 == 0) << "chunk " << i;
    EXPECT_EQ(*(*data_dir)->cache().contains(chunk.id), i % 2 == 1) << "chunk " << i;
  }
  node->attach_network(nullptr);
  EXPECT_EQ(read_back(*node, outcome->id), data);
}

// Peers that hold whatever `store` holds. The fetch of `held` waits (at
// most 30 s: a failing run must still end) until `behind` other fetches
// have started; fetches of `broken` fail.
class HoldingNetwork final : public ChunkNetwork {
 public:
  HoldingNetwork(store::ChunkStore& store, ChunkId held, std::size_t behind, ChunkId broken = {})
      : store_(store), held_(held), behind_(behind), broken_(broken) {}

  Result<Bytes> fetch(const ChunkId& id) override {
    std::unique_lock lock(mu_);
    if (id == broken_) return make_error(Errc::unavailable, "no peer could serve " + id.short_hex());
    if (id == held_) {
      released_by_others_ = changed_.wait_for(lock, std::chrono::seconds(30), [&] { return others_ >= behind_; });
    } else {
      ++others_;
      changed_.notify_all();
    }
    lock.unlock();
    return store_.get(id);
  }
  ReplicationSummary replicate(const std::vector<ChunkId>&) override { return {}; }
  replicate::NetworkStatus status() override { return {}; }
  std::vector<PeerSummary> peers() override { return {}; }

  bool released_by_others() {
    std::lock_guard lock(mu_);
    return released_by_others_;
  }

 private:
  store::ChunkStore& store_;
  const ChunkId held_;
  const std::size_t behind_;
  const ChunkId broken_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::size_t others_ = 0;
  bool released_by_others_ = false;
};

class RemoteGetTest : public NodeTest {
 protected:
  static constexpr std::size_t kChunks = 100;

  void SetUp() override {
    NodeTest::SetUp();
    writer_dir_ = open_dir("data");
    writer_ = std::make_unique<Node>(*writer_dir_);
    data_ = random_bytes(kChunks * 4096 - 100, 8);
    auto fd = file_with(data_);
    id_ = put(*writer_, fd.get(), "f").value();
    manifest_ = store::read_manifest(writer_dir_->store(), id_).value();
    reader_dir_ = open_dir("reader");
    reader_ = std::make_unique<Node>(*reader_dir_);
  }
  void TearDown() override { reader_->attach_network(nullptr); }

  std::unique_ptr<DataDir> open_dir(const std::string& name) {
    NodeOptions options;
    options.data_dir = dir_ + "/" + name;
    options.chunk_size = 4096;
    options.durable = false;
    return std::move(DataDir::open(options)).value();
  }

  // Gets the file at the reader through `network` into a new regular file.
  Status get_through(ChunkNetwork& network, const std::string& out) {
    reader_->attach_network(&network);
    auto fd = open_file(out, O_RDWR | O_CREAT | O_TRUNC).value();
    return reader_->get(id_, fd.get(), {});
  }
  const ChunkId& chunk(std::uint64_t i) const { return manifest_.chunk(i)->id; }

  Bytes data_;
  std::unique_ptr<DataDir> writer_dir_;
  std::unique_ptr<Node> writer_;
  FileId id_;
  Manifest manifest_;
  std::unique_ptr<DataDir> reader_dir_;
  std::unique_ptr<Node> reader_;
};

Bytes contents_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// A get into a regular file writes each chunk at its offset as it comes:
// while its first chunk is slow to arrive, the fetches of the chunks
// behind it go on (more than the widest window of them), where a get
// written in order stopped once its window of fetches had completed.
TEST_F(RemoteGetTest, ASlowChunkDoesNotHoldBackTheFetchesBehindIt) {
  HoldingNetwork network(writer_dir_->store(), chunk(0), kChunks - 2);
  const std::string out = dir_ + "/out";
  Status got = get_through(network, out);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  EXPECT_TRUE(network.released_by_others());
  EXPECT_EQ(contents_of(out), data_);
}

// A get that fails leaves nothing past the chunks written without a gap
// from the start, whatever came in later.
TEST_F(RemoteGetTest, AFailedGetLeavesOnlyThePrefixBeforeTheMissingChunk) {
  HoldingNetwork network(writer_dir_->store(), ChunkId{}, 0, chunk(5));
  const std::string out = dir_ + "/out";
  Status got = get_through(network, out);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::unavailable);
  const Bytes written = contents_of(out);
  EXPECT_LE(written.size(), 5u * 4096);
  EXPECT_TRUE(std::equal(written.begin(), written.end(), data_.begin()));
}

}  // namespace
}  // namespace dfs::node
