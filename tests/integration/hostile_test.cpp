// Issue 10: a node that survives strangers. Each test runs one attack from
// a hostile peer (hostile_peer.hpp: a real client of the wire protocol,
// TLS with a valid certificate, on 127.0.0.66) against a real `dfs node`
// (the victim), and asserts the bounds: the victim's memory and
// descriptors, a legitimate `dfs get` from another peer during the attack
// (bit-exact), and what the victim says it refused. Loopback only.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>

#include "../common/chunk_on_disk.hpp"
#include "../common/eventually.hpp"
#include "../common/test_data.hpp"
#include "dfs/chunk/sealed_chunk.hpp"
#include "dfs/crypto/recovery_key.hpp"
#include "dfs/replicate/config.hpp"
#include "dfs/replicate/keyed_renewal.hpp"
#include "dfs/util/clock.hpp"
#include "dfs/util/encoding.hpp"
#include "hostile_peer.hpp"
#include "lying_peer.hpp"
#include "run_process.hpp"

namespace dfs::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kVictim = 0;
constexpr int kOwner = 1;   // puts the files the victim holds
constexpr int kReader = 2;  // gets them from the victim during an attack
constexpr const char* kAttackerIp = "127.0.0.66";
constexpr std::uint64_t kMiB = 1u << 20;
// The target for an attacked node's resident memory.
constexpr std::uint64_t kMaxVictimRss = 256 * kMiB;

int base_port() { return 20000 + static_cast<int>(::getpid() % 20000); }

// The number written right before `what` in `text` (0 if none).
std::uint64_t number_before(const std::string& text, const std::string& what) {
  const auto at = text.find(what);
  if (at == std::string::npos) return 0;
  auto start = at;
  while (start > 0 && std::isdigit(static_cast<unsigned char>(text[start - 1]))) --start;
  return start == at ? 0 : std::stoull(text.substr(start, at - start));
}

// eventually() with a coarser poll: each poll of these tests runs `dfs`.
template <typename Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit = 20s) {
  return eventually(pred, limit, 20ms);
}

class Hostile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dfs-hostile-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    peers_.clear();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::string write_file(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string data(int i) const { return dir_ + "/peer" + std::to_string(i); }
  std::string address(int i) const {
    return "127.0.0." + std::to_string(21 + i) + ":" + std::to_string(base_port());
  }

  // Starts peer i (joining through the victim unless it is the victim),
  // with `extra` options; the victim's repair is slow, so what it holds
  // stays put during a test.
  void start_peer(int i, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--data", data(i), "node", "--listen", address(i)};
    if (std::find(extra.begin(), extra.end(), "--repair-interval") == extra.end()) {
      args.insert(args.end(), {"--repair-interval", "600"});
    }
    if (i != kVictim) args.insert(args.end(), {"--bootstrap", address(kVictim)});
    args.insert(args.end(), extra.begin(), extra.end());
    peers_[i] = std::make_unique<Daemon>(binary_from_env("DFS_BIN"), args, data(i) + ".log");
    ASSERT_TRUE(peers_[i]->wait_for_log("listening on")) << peers_[i]->log();
    if (i != kVictim) {
      ASSERT_TRUE(wait_until([&] { return known_peers(i) >= 1; })) << peers_[i]->log();
    }
  }

  ProcessResult dfs_at(int i, std::vector<std::string> args) { return dfs_with_data(data(i), std::move(args)); }
  int known_peers(int i) { return peers_known_at(data(i)); }
  std::string status(int i) { return dfs_at(i, {"status"}).out; }
  bool status_says(int i, const std::string& text) {
    return wait_until([&] { return status(i).find(text) != std::string::npos; });
  }

  // The owner puts `content`; returns its File ID.
  std::string put_at_owner(const std::string& content, const std::string& chunk_size = "1M") {
    auto r = dfs_at(kOwner, {"put", "--chunk-size", chunk_size, write_file("f" + chunk_size, content)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out.substr(0, r.out.find('\n'));
  }

  // A legitimate get from the reader, while the attack goes on.
  void expect_reader_gets(const std::string& id, const std::string& content) {
    const std::string out = dir_ + "/got";
    auto got = dfs_at(kReader, {"get", id, "-o", out});
    ASSERT_EQ(got.exit_code, 0) << got.err;
    EXPECT_TRUE(read_file(out) == content) << "the reader's copy differs";
    fs::remove(out);
  }

  ProcessUsage victim_usage() { return usage_of(peers_.at(kVictim)->pid()); }

  // Peer i's node ID in hex, from the line it logs when it starts.
  std::string node_id(int i) const {
    const std::string log = peers_.at(i)->log();
    return log.substr(log.find("peer ") + 5, 64);
  }

  // Whether chunk `id` is closer (XOR metric) to node `a` than to node `b`.
  static bool closer_to(const ChunkId& id, const Bytes& a, const Bytes& b) {
    for (std::size_t i = 0; i < id.bytes.size(); ++i) {
      const int da = id.bytes[i] ^ a[i];
      const int db = id.bytes[i] ^ b[i];
      if (da != db) return da < db;
    }
    return false;
  }
  // How many of `others` are closer to chunk `id` than node `who`.
  static long closer_than(const ChunkId& id, const Bytes& who, const std::vector<Bytes>& others) {
    return std::count_if(others.begin(), others.end(), [&](const Bytes& o) { return closer_to(id, o, who); });
  }
  // A 4 KiB chunk the victim takes with --replicas 1 (fewer than 4 of
  // peers 1..`count` closer to it: its placement window is 2R + 2) and
  // that none of `askers` holds (4 of them closer); none if no such chunk
  // turned up (an asker in the victim's half of the ID space, when that
  // half holds only 3 other peers).
  std::optional<SealedChunk> chunk_far_from(const std::vector<const HostilePeer*>& askers, int count, int seed) const {
    const Bytes victim = from_hex(node_id(kVictim)).value();
    std::vector<Bytes> others;
    for (int i = 1; i <= count; ++i) others.push_back(from_hex(node_id(i)).value());
    const auto key = crypto::SecretKey::generate();
    for (int n = 0; n < 4096; ++n) {
      SealedChunk chunk = seal_chunk(key, ChunkKind::data, Bytes(4096, static_cast<std::uint8_t>(n + seed)));
      bool far = closer_than(chunk.id, victim, others) < 4;
      for (const HostilePeer* asker : askers) {
        far = far && closer_than(chunk.id, Bytes(asker->id().begin(), asker->id().end()), others) >= 4;
      }
      if (far) return chunk;
    }
    return std::nullopt;
  }
  // Sends `chunks` as one PUT_CHUNKS and returns the outcomes the victim
  // answered (none, and a test failure, if it answered anything else).
  static std::vector<wire::Error> put_batch(HostilePeer& attacker,
                                            const std::vector<std::pair<ChunkId, Bytes>>& chunks) {
    const HostilePeer::Batch batch = HostilePeer::put_chunks(chunks);
    attacker.send(batch.env, batch.payload);
    auto answer = attacker.read_frame(20s);
    if (!answer || answer->envelope.body_case() != wire::Envelope::kPutChunksResult) {
      ADD_FAILURE() << "PUT_CHUNKS answered " << (answer ? answer->envelope.DebugString() : "nothing");
      return {};
    }
    const auto& outcomes = answer->envelope.put_chunks_result().outcomes();
    return {outcomes.begin(), outcomes.end()};
  }
  bool victim_holds(const ChunkId& chunk) const {
    for (const auto& [id, where] : served_chunks_on_disk(data(kVictim))) {
      if (id == chunk) return true;
    }
    return false;
  }

  std::string dir_;
  std::map<int, std::unique_ptr<Daemon>> peers_;
};

// 64 GET_CHUNK for one 16 MiB chunk on one connection, answers never read
// (the victim grew by ~1.1 GiB and held it while the connection lasted).
TEST_F(Hostile, AnswersNeverReadAreCappedAndTheDeafPeerIsDropped) {
  start_peer(kVictim, {"--write-timeout", "2"});
  start_peer(kOwner);
  const std::string content = random_content(48 * kMiB, 1);
  const std::string id = put_at_owner(content, "16M");
  std::optional<ChunkId> big;
  for (const auto& [chunk, where] : served_chunks_on_disk(data(kVictim))) {
    if (!where.packed && fs::file_size(where.path) > 15 * kMiB) big = chunk;
  }
  ASSERT_TRUE(big) << "the victim holds no 16 MiB chunk";
  start_peer(kReader);

  HostilePeer attacker(kAttackerIp, address(kVictim));
  attacker.handshake_and_hello();
  for (int i = 0; i < 64; ++i) attacker.send(HostilePeer::get_chunk(*big));
  expect_reader_gets(id, content);
  EXPECT_TRUE(status_says(kVictim, "busy answers")) << status(kVictim);
  EXPECT_TRUE(status_says(kVictim, "write 2 s (1 dropped)")) << status(kVictim);
  EXPECT_TRUE(attacker.closed_by_victim(10s));
  EXPECT_LE(victim_usage().peak_rss, kMaxVictimRss);
}

// Thousands of connections that never finish set-up (plain TCP, no TLS)
// from one address (the victim had +1 GiB and 6,020 descriptors).
TEST_F(Hostile, HalfOpenConnectionsAreCappedPerAddressAndOverall) {
  start_peer(kVictim, {"--max-handshakes-per-address", "8", "--max-handshakes", "32"});
  start_peer(kOwner);
  const std::string content = random_content(4 * kMiB, 2);
  const std::string id = put_at_owner(content);
  start_peer(kReader);
  const std::size_t fds_before = victim_usage().fds;

  constexpr int kConnections = 1000;
  std::vector<int> held;
  for (int i = 0; i < kConnections; ++i) {
    const int fd = open_plain_connection(kAttackerIp, address(kVictim));
    if (fd >= 0) held.push_back(fd);
  }
  EXPECT_GE(held.size(), 900u);
  EXPECT_TRUE(wait_until([&] { return number_before(status(kVictim), " refused") >= held.size() - 8; }))
      << status(kVictim);
  expect_reader_gets(id, content);
  const ProcessUsage during = victim_usage();
  EXPECT_LE(during.fds, fds_before + 8 + 8) << "the victim holds a descriptor per half-open connection";
  EXPECT_LE(during.peak_rss, kMaxVictimRss);
  for (int fd : held) ::close(fd);
}

// A frame header announcing 16 MiB followed by 1 KiB kept a connection
// open forever.
TEST_F(Hostile, AFrameStartedAndNeverFinishedClosesItsConnection) {
  start_peer(kVictim, {"--frame-timeout", "1"});
  HostilePeer attacker(kAttackerIp, address(kVictim));
  attacker.handshake_and_hello();
  wire::Envelope env = HostilePeer::put_chunk(ChunkId{}, 60);
  env.set_request_id(1);
  Bytes frame = net::encode_frame_head(env, 16 * kMiB).value();
  frame.resize(frame.size() + 1024, 0x55);
  attacker.send_raw(frame);
  EXPECT_TRUE(attacker.closed_by_victim(20s));
  EXPECT_TRUE(status_says(kVictim, "frame 1 s (1 dropped)")) << status(kVictim);
}

// Every refused frame wrote a log line: a flood wrote unbounded logs.
TEST_F(Hostile, AFloodOfRefusedFramesWritesABoundedNumberOfLogLines) {
  start_peer(kVictim, {"--log-lines-per-minute", "20"});
  constexpr int kFlood = 200;
  for (int i = 0; i < kFlood; ++i) {
    HostilePeer attacker(kAttackerIp, address(kVictim));
    attacker.handshake_and_hello();
    const Bytes garbage(64, 0xee);  // version byte 0xee: malformed
    attacker.send_raw(garbage);
    ASSERT_TRUE(attacker.closed_by_victim(10s));
  }
  EXPECT_GE(number_before(status(kVictim), " suppressed)"), 1u) << status(kVictim);
  const std::string log = peers_.at(kVictim)->log();
  const auto lines = std::count(log.begin(), log.end(), '\n');
  EXPECT_LE(lines, 40) << log.substr(0, 4000);
  EXPECT_GE(lines, 1);
}

// Any stranger could PUT_CHUNK any bytes, even where this node is not
// among the chunk's closest peers. Now a node takes a chunk only where
// placement would put it: among the 2R + 2 closest peers it knows.
TEST_F(Hostile, APutOfAChunkFarFromThisNodeIsRefusedAndOneCloseToItIsTaken) {
  start_peer(kVictim, {"--replicas", "1"});  // takes chunks it is among the 4 closest to
  for (int i = 1; i <= 5; ++i) start_peer(i);
  ASSERT_TRUE(wait_until([&] { return known_peers(kVictim) >= 5; })) << dfs_at(kVictim, {"peers"}).out;
  std::vector<Bytes> others;
  for (int i = 1; i <= 5; ++i) others.push_back(from_hex(node_id(i)).value());
  const Bytes victim = from_hex(node_id(kVictim)).value();
  // Seals random chunks until one is farther from the victim than from
  // every other peer (`far`), or closer to it than to all (`!far`).
  const auto chunk_where = [&](bool far) {
    const auto key = crypto::SecretKey::generate();
    for (;;) {
      SealedChunk c = seal_chunk(key, ChunkKind::data, Bytes(4096, 7));
      bool all = true;
      for (const Bytes& other : others) all = all && (closer_to(c.id, other, victim) == far);
      if (all) return c;
    }
  };
  HostilePeer attacker(kAttackerIp, address(kVictim));
  attacker.handshake_and_hello();
  const SealedChunk far = chunk_where(true);
  attacker.send(HostilePeer::put_chunk(far.id, 86400), far.bytes);
  auto answer = attacker.read_frame(20s);
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->envelope.body_case(), wire::Envelope::kError);
  EXPECT_NE(answer->envelope.error().message().find("not among the closest"), std::string::npos);
  const SealedChunk near = chunk_where(false);
  attacker.send(HostilePeer::put_chunk(near.id, 86400), near.bytes);
  answer = attacker.read_frame(20s);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->envelope.body_case(), wire::Envelope::kPutChunkResult);
}

// A stranger filled a node with --quota 20M through PUT_CHUNK and its
// owner's next put failed "would exceed the quota". Now what strangers put
// goes to a budget of its own (--storage-for-others), refused "full" when
// spent, and the owner's quota never sees it.
TEST_F(Hostile, AStrangerFillingTheStorageForOthersNeverMakesTheOwnersPutFail) {
  start_peer(kVictim, {"--storage-for-others", "16M", "--quota", "20M"});
  HostilePeer attacker(kAttackerIp, address(kVictim));
  attacker.handshake_and_hello();
  const auto key = crypto::SecretKey::generate();
  bool full = false;
  int stored = 0;
  for (int i = 0; i < 40 && !full; ++i) {  // 40 MiB offered, twice the owner's quota
    const SealedChunk c = seal_chunk(key, ChunkKind::data, Bytes(kMiB, static_cast<std::uint8_t>(i)));
    attacker.send(HostilePeer::put_chunk(c.id, 86400), c.bytes);
    auto answer = attacker.read_frame(20s);
    ASSERT_TRUE(answer);
    if (answer->envelope.body_case() == wire::Envelope::kPutChunkResult) {
      ++stored;
      continue;
    }
    ASSERT_EQ(answer->envelope.body_case(), wire::Envelope::kError);
    EXPECT_NE(answer->envelope.error().message().find("full"), std::string::npos)
        << answer->envelope.error().message();
    full = true;
  }
  EXPECT_TRUE(full) << "16 MiB of storage for others took " << stored << " chunks of 1 MiB";
  EXPECT_LE(stored, 16);
  // The owner's own 12 MiB fit its 20 MiB quota, whatever strangers sent.
  const std::string content = random_content(12 * kMiB, 4);
  auto put = dfs_at(kVictim, {"put", write_file("own", content)});
  EXPECT_EQ(put.exit_code, 0) << put.err;
  EXPECT_TRUE(status_says(kVictim, "1 refused as full")) << status(kVictim);
}

// A stranger could push chunks as fast as the disk took them. Now each
// peer (and each address) has a rate, beyond which it hears "busy" (a
// placer then tries another peer), and the node keeps serving others.
TEST_F(Hostile, APutFloodFromOnePeerIsAnsweredBusy) {
  start_peer(kVictim, {"--put-chunks-per-second", "1"});  // a burst of 2, then 1 a second
  start_peer(kOwner);
  const std::string content = random_content(2 * kMiB, 5);
  const std::string id = put_at_owner(content);
  start_peer(kReader);
  HostilePeer attacker(kAttackerIp, address(kVictim));
  attacker.handshake_and_hello();
  const auto key = crypto::SecretKey::generate();
  constexpr int kFlood = 20;
  for (int i = 0; i < kFlood; ++i) {
    const SealedChunk c = seal_chunk(key, ChunkKind::data, Bytes(4096, static_cast<std::uint8_t>(i)));
    attacker.send(HostilePeer::put_chunk(c.id, 86400), c.bytes);
  }
  int busy = 0;
  for (int i = 0; i < kFlood; ++i) {
    auto answer = attacker.read_frame(20s);
    ASSERT_TRUE(answer);
    if (answer->envelope.body_case() == wire::Envelope::kError &&
        answer->envelope.error().message().find("busy: you are putting chunks faster") != std::string::npos) {
      ++busy;
    }
  }
  EXPECT_GE(busy, kFlood / 2) << "a flood of " << kFlood << " PUTs at 1 chunk/s was mostly taken";
  expect_reader_gets(id, content);
  EXPECT_TRUE(status_says(kVictim, "chunks/s")) << status(kVictim);
}

// Issue 12: PUT_CHUNKS carries many small chunks in one request. Each is
// checked as a PUT_CHUNK of its own would be: a chunk whose bytes do not
// match its ID is refused alone, and the good ones around it are stored.
TEST_F(Hostile, ABatchedPutIsCheckedChunkByChunkAndOnlyItsBadChunkIsRefused) {
  start_peer(kVictim);
  HostilePeer attacker(kAttackerIp, address(kVictim));
  attacker.handshake_and_hello();
  const auto key = crypto::SecretKey::generate();
  std::vector<std::pair<ChunkId, Bytes>> chunks;
  for (int i = 0; i < 4; ++i) {
    SealedChunk c = seal_chunk(key, ChunkKind::data, Bytes(4096, static_cast<std::uint8_t>(i)));
    chunks.emplace_back(c.id, std::move(c.bytes));
  }
  chunks[2].second[100] ^= 1;  // no longer the bytes of its ID
  const std::vector<wire::Error> outcomes = put_batch(attacker, chunks);
  ASSERT_EQ(outcomes.size(), 4u);
  for (int i : {0, 1, 3}) {
    EXPECT_EQ(outcomes[i].code(), 0u) << outcomes[i].message();
    EXPECT_TRUE(victim_holds(chunks[i].first)) << "chunk " << i;
  }
  EXPECT_NE(outcomes[2].code(), 0u);
  EXPECT_NE(outcomes[2].message().find("do not hash to its ID"), std::string::npos) << outcomes[2].message();
  EXPECT_FALSE(victim_holds(chunks[2].first));
}

// A batch beyond the protocol's bounds (more chunks than
// kMaxPutBatchChunks, a chunk above kMaxBatchedChunkSize, sizes that do
// not add up) is refused whole, before any chunk is looked at, and the
// connection goes on serving.
TEST_F(Hostile, ABatchedPutBeyondTheProtocolsBoundsIsRefusedWhole) {
  start_peer(kVictim);
  HostilePeer attacker(kAttackerIp, address(kVictim));
  attacker.handshake_and_hello();
  const auto key = crypto::SecretKey::generate();
  const SealedChunk small = seal_chunk(key, ChunkKind::data, Bytes(1000, 1));
  const SealedChunk large = seal_chunk(key, ChunkKind::data, Bytes(replicate::kMaxBatchedChunkSize, 2));
  std::vector<std::pair<ChunkId, Bytes>> too_many(replicate::kMaxPutBatchChunks + 1, {small.id, small.bytes});
  HostilePeer::Batch sizes_off = HostilePeer::put_chunks({{small.id, small.bytes}, {small.id, small.bytes}});
  sizes_off.payload.pop_back();
  const HostilePeer::Batch refused[] = {HostilePeer::put_chunks(too_many),
                                        HostilePeer::put_chunks({{small.id, small.bytes}, {large.id, large.bytes}}),
                                        sizes_off};
  for (const HostilePeer::Batch& batch : refused) {
    attacker.send(batch.env, batch.payload);
    auto answer = attacker.read_frame(20s);
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->envelope.body_case(), wire::Envelope::kError);
    EXPECT_NE(answer->envelope.error().message().find("PUT_CHUNKS"), std::string::npos)
        << answer->envelope.error().message();
  }
  EXPECT_FALSE(victim_holds(small.id));
  EXPECT_EQ(put_batch(attacker, {{small.id, small.bytes}}).size(), 1u);
  EXPECT_TRUE(victim_holds(small.id));
}

// A batch counts against the budget for others chunk by chunk: what fits
// is stored, the rest is answered "full", and the owner's put still fits.
TEST_F(Hostile, ABatchedPutOverTheBudgetIsStoredUntilFullAndTheRestAnsweredFull) {
  start_peer(kVictim, {"--storage-for-others", "16M", "--quota", "20M"});
  HostilePeer attacker(kAttackerIp, address(kVictim));
  attacker.handshake_and_hello();
  const auto key = crypto::SecretKey::generate();
  int sent = 0, stored = 0, full = 0;
  for (int round = 0; round < 6 && full == 0; ++round) {  // 6 x 64 x 60 KiB: 22.5 MiB offered
    std::vector<std::pair<ChunkId, Bytes>> chunks;
    for (int i = 0; i < 64; ++i, ++sent) {
      SealedChunk c = seal_chunk(key, ChunkKind::data, Bytes(60 * 1024, static_cast<std::uint8_t>(sent)));
      chunks.emplace_back(c.id, std::move(c.bytes));
    }
    const std::vector<wire::Error> outcomes = put_batch(attacker, chunks);
    ASSERT_EQ(outcomes.size(), chunks.size());
    for (const wire::Error& outcome : outcomes) {
      if (outcome.code() == 0) ++stored;
      if (outcome.message().find("full") != std::string::npos) ++full;
    }
  }
  EXPECT_GE(full, 1) << "16 MiB of storage for others took " << stored << " chunks of 60 KiB";
  EXPECT_LE(stored, 273) << "16 MiB of storage for others took " << stored << " chunks of 60 KiB";
  EXPECT_EQ(stored + full, sent);
  // The owner's own 12 MiB fit its 20 MiB quota, whatever strangers sent.
  auto put = dfs_at(kVictim, {"put", write_file("own", random_content(12 * kMiB, 6))});
  EXPECT_EQ(put.exit_code, 0) << put.err;
  EXPECT_TRUE(status_says(kVictim, std::to_string(full) + " refused as full")) << status(kVictim);
}

// A stranger's batch is held to the rules a single PUT is: a chunk this
// node is not among the closest peers of is refused, one it is among the
// closest of in the same batch is taken; beyond its rate, chunks are
// answered "busy".
TEST_F(Hostile, ABatchedPutFromAStrangerIsHeldToThePlacementAndRateRulesChunkByChunk) {
  start_peer(kVictim, {"--replicas", "1", "--put-chunks-per-second", "1"});  // window: its 4 closest; a burst of 2
  for (int i = 1; i <= 5; ++i) start_peer(i);
  ASSERT_TRUE(wait_until([&] { return known_peers(kVictim) >= 5; })) << dfs_at(kVictim, {"peers"}).out;
  std::vector<Bytes> others;
  for (int i = 1; i <= 5; ++i) others.push_back(from_hex(node_id(i)).value());
  const Bytes victim = from_hex(node_id(kVictim)).value();
  const auto key = crypto::SecretKey::generate();
  // A chunk farther from the victim than from every other peer (`far`),
  // or closer to it than to all (`!far`).
  const auto chunk_where = [&](bool far, int seed) {
    for (int n = 0;; ++n) {
      SealedChunk c = seal_chunk(key, ChunkKind::data, Bytes(4096, static_cast<std::uint8_t>(seed + n)));
      bool all = true;
      for (const Bytes& other : others) all = all && (closer_to(c.id, other, victim) == far);
      if (all) return c;
    }
  };
  const SealedChunk far = chunk_where(true, 0), near = chunk_where(false, 1), later = chunk_where(false, 2),
                    latest = chunk_where(false, 3);
  HostilePeer attacker(kAttackerIp, address(kVictim));
  attacker.handshake_and_hello();
  const std::vector<wire::Error> outcomes = put_batch(
      attacker, {{far.id, far.bytes}, {near.id, near.bytes}, {later.id, later.bytes}, {latest.id, latest.bytes}});
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_NE(outcomes[0].message().find("not among the closest"), std::string::npos) << outcomes[0].message();
  EXPECT_EQ(outcomes[1].code(), 0u) << outcomes[1].message();
  EXPECT_TRUE(victim_holds(near.id));
  EXPECT_FALSE(victim_holds(far.id));
  // A burst of 2 chunks: the third near one is over the rate.
  EXPECT_NE(outcomes[3].message().find("busy"), std::string::npos) << outcomes[3].message();
}

// Any peer's HAS_CHUNKS renewed the lease of any chunk held: a stranger
// could keep junk alive for ever by asking about it. Now only the peer
// that put a chunk, or one of its current holders (among its closest peers
// in the routing table), renews it.
TEST_F(Hostile, AStrangerAskingAboutJunkItDidNotPlaceDoesNotKeepItAlive) {
  start_peer(kVictim, {"--replicas", "1", "--lease-length", "2", "--gc-interval", "0.5"});  // window: 4 closest
  for (int i = 1; i <= 5; ++i) start_peer(i);
  ASSERT_TRUE(wait_until([&] { return known_peers(kVictim) >= 5; })) << dfs_at(kVictim, {"peers"}).out;
  HostilePeer placer(kAttackerIp, address(kVictim));
  placer.handshake_and_hello();
  // A chunk the victim takes and the asker does not hold. For some asker
  // IDs there is none: then the asker takes a fresh identity.
  std::optional<SealedChunk> found;
  std::unique_ptr<HostilePeer> asker;
  while (!found) {
    asker = std::make_unique<HostilePeer>("127.0.0.67", address(kVictim));
    found = chunk_far_from({asker.get()}, 5, 0);
  }
  const SealedChunk junk = *found;
  asker->handshake_and_hello();
  placer.send(HostilePeer::put_chunk(junk.id, 86400), junk.bytes);
  auto answer = placer.read_frame(20s);
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->envelope.body_case(), wire::Envelope::kPutChunkResult);
  const auto held = [&] { return victim_holds(junk.id); };
  ASSERT_TRUE(held());
  // The asker keeps asking, far more often than the lease lasts.
  EXPECT_TRUE(wait_until(
      [&] {
        asker->send(HostilePeer::has_chunks({junk.id}));
        auto present = asker->read_frame(5s);
        return present && !held();
      },
      30s))
      << "a stranger's HAS_CHUNKS kept the junk chunk alive";
}

// Issue 15: a machine recovered with the namespace's recovery key has a
// new node ID, neither the placer of its chunks nor (in a network larger
// than 2R + 2) among their holders, so its HAS_CHUNKS renewed nothing and
// the recovered files' chunks expired. Now the placer sends its lease key
// with each chunk, and a HAS signed by that key renews from any node ID;
// one signed by a stranger's key renews nothing.
TEST_F(Hostile, ARecoveredMachineWithANewNodeIdRenewsByThePlacersKeyAndAStrangersKeyDoesNot) {
  start_peer(kVictim, {"--replicas", "1", "--lease-length", "2", "--gc-interval", "0.5"});  // window: 4 closest
  for (int i = 1; i <= 5; ++i) start_peer(i);  // 6 peers, more than 2R + 2
  ASSERT_TRUE(wait_until([&] { return known_peers(kVictim) >= 5; })) << dfs_at(kVictim, {"peers"}).out;
  const auto recovery_key = crypto::RecoveryKey::generate();
  const crypto::SigningKey owner = recovery_key.lease_key();
  const crypto::SigningKey stranger_key = crypto::RecoveryKey::generate().lease_key();
  HostilePeer lost(kAttackerIp, address(kVictim));  // the machine that placed them, gone after
  lost.handshake_and_hello();
  std::optional<SealedChunk> kept, junk;
  std::unique_ptr<HostilePeer> recovered, stranger;
  while (!kept || !junk) {
    recovered = std::make_unique<HostilePeer>("127.0.0.67", address(kVictim));
    stranger = std::make_unique<HostilePeer>("127.0.0.68", address(kVictim));
    kept = chunk_far_from({recovered.get(), stranger.get()}, 5, 0);
    junk = chunk_far_from({recovered.get(), stranger.get()}, 5, 128);
  }
  recovered->handshake_and_hello();
  stranger->handshake_and_hello();
  // Kept first: the junk's lease then ends no earlier than the kept one's.
  for (const SealedChunk* chunk : {&*kept, &*junk}) {
    wire::Envelope put = HostilePeer::put_chunk(chunk->id, 86400);
    put.mutable_put_chunk()->set_placer_key(std::string(owner.public_key().begin(), owner.public_key().end()));
    lost.send(std::move(put), chunk->bytes);
    auto answer = lost.read_frame(20s);
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->envelope.body_case(), wire::Envelope::kPutChunkResult);
  }
  const dht::NodeId victim{dht::NodeId::from_hex(node_id(kVictim)).value()};
  const auto ask = [&](HostilePeer& asker, const crypto::SigningKey& key, const ChunkId& id) {
    const std::vector<ChunkId> ids{id};
    const auto renewal = replicate::sign_renewal(key, victim, dht::NodeId{asker.id()}, unix_seconds(), ids);
    wire::Envelope has = HostilePeer::has_chunks(ids);
    wire::KeyedRenewal& out = *has.mutable_has_chunks()->mutable_renewal();
    out.set_public_key(std::string(renewal.key.begin(), renewal.key.end()));
    out.set_issued_at(renewal.issued_at);
    out.set_signature(std::string(renewal.signature.begin(), renewal.signature.end()));
    asker.send(std::move(has));
    return asker.read_frame(5s).has_value();
  };
  ASSERT_TRUE(victim_holds(kept->id) && victim_holds(junk->id));
  // Both keep asking, far more often than the lease lasts, until the
  // stranger's chunk is collected.
  EXPECT_TRUE(wait_until(
      [&] { return ask(*recovered, owner, kept->id) && ask(*stranger, stranger_key, junk->id) && !victim_holds(junk->id); },
      30s))
      << "a HAS signed by a stranger's key kept a chunk alive";
  EXPECT_TRUE(victim_holds(kept->id)) << "the recovered machine's HAS, signed by the placer's key, did not renew";
}

// Repair trusted HAS_CHUNKS answers: a peer that says it holds every chunk
// and stores none (it acknowledges PUTs and drops the bytes) took a
// replica slot for good, and its chunks lived on fewer real copies. Now
// each repair round challenges a sample of its claims (PROVE_CHUNK): it
// fails, it is distrusted, and the honest peers get the copies.
TEST_F(Hostile, APeerClaimingChunksItDoesNotStoreIsCaughtAndHonestPeersGetTheCopies) {
  const std::vector<std::string> fast_repair = {"--repair-interval", "1"};
  start_peer(kVictim, fast_repair);
  LyingPeer liar(std::string(kAttackerIp) + ":" + std::to_string(base_port()));
  liar.introduce_to(address(kVictim));
  ASSERT_TRUE(wait_until([&] { return known_peers(kVictim) >= 1; })) << "the victim never took the liar in";
  start_peer(kOwner, fast_repair);
  start_peer(kReader, fast_repair);
  for (int i : {kOwner, kReader}) {
    ASSERT_TRUE(wait_until([&] { return known_peers(i) >= 2; })) << dfs_at(i, {"peers"}).out;
  }
  // R = 3 among three honest peers and the liar: the liar is among the
  // three closest of about three chunks in four, each of which then lives
  // on two honest peers only, until repair sees through it.
  auto put = dfs_at(kOwner, {"put", "--chunk-size", "64K", write_file("f", random_content(24 * 64 * 1024, 9))});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  ASSERT_GT(liar.puts_dropped(), 0u) << "the liar was given no chunk to keep";
  const auto honest_copies = [&] {
    std::map<ChunkId, int> copies;
    for (int i : {kVictim, kOwner, kReader}) {
      for (const auto& [id, where] : served_chunks_on_disk(data(i))) ++copies[id];
    }
    return copies;
  };
  EXPECT_TRUE(wait_until(
      [&] {
        const auto copies = honest_copies();
        return copies.size() >= 24 && std::all_of(copies.begin(), copies.end(), [](const auto& c) { return c.second == 3; });
      },
      60s))
      << "chunks the liar claimed still have fewer than 3 honest copies";
  EXPECT_GT(liar.challenges(), 0u);
  EXPECT_TRUE(status_says(kOwner, "1 peers distrusted") || status_says(kVictim, "1 peers distrusted"))
      << status(kOwner);
}

// A stranger could guess a weak network key offline from the proof a node
// sends to any peer: `hunter2` was accepted.
TEST_F(Hostile, AWeakOrExposedNetworkKeyIsRefusedAndKeygenMakesAGoodOne) {
  const std::string weak = write_file("weak.key", "hunter2");
  fs::permissions(weak, fs::perms::owner_read | fs::perms::owner_write);
  auto refused = dfs_at(kVictim, {"node", "--listen", address(kVictim), "--network-key", weak});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("at least 32 bytes"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("dfs keygen"), std::string::npos) << refused.err;

  const std::string exposed = write_file("exposed.key", random_content(64, 3));
  fs::permissions(exposed, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                               fs::perms::others_read);
  refused = dfs_at(kVictim, {"node", "--listen", address(kVictim), "--network-key", exposed});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("chmod 600 " + exposed), std::string::npos) << refused.err;

  const std::string good = dir_ + "/good.key";
  auto made = dfs_at(kVictim, {"keygen", good});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(fs::status(good).permissions(), fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_GE(fs::file_size(good), 32u);
  EXPECT_NE(dfs_at(kVictim, {"keygen", good}).exit_code, 0) << "keygen replaced an existing key";
  start_peer(kVictim, {"--network-key", good});
}

// The control socket kept a thread (and its stack) per connection until
// stop: 200 dfs status calls grew VmSize by 3.2 GB.
TEST_F(Hostile, FiveHundredControlConnectionsLeaveThreadsAndAddressSpaceFlat) {
  start_peer(kVictim);
  const std::string socket = data(kVictim) + "/control.sock";
  // Warm-up: each thread that serves gets its allocator arena (address
  // space, not a leak) on its first request.
  for (int i = 0; i < 20; ++i) ASSERT_NE(status(kVictim).find("node ID"), std::string::npos);
  const ProcessUsage before = victim_usage();
  for (int i = 0; i < 500; ++i) ASSERT_TRUE(probe_unix_socket(socket));
  ASSERT_NE(status(kVictim).find("node ID"), std::string::npos);  // served after them all
  const ProcessUsage after = victim_usage();
  EXPECT_LE(after.threads, before.threads + 2);
  // One thread stack per connection would be 500 x 8 MiB.
  EXPECT_LE(after.vm_size, before.vm_size + 128 * kMiB);
}

// `dfs get -o` made 0644 files whatever the umask.
TEST_F(Hostile, GetOutputHonoursTheUmask) {
  auto put = dfs_at(kOwner, {"put", write_file("private", "a private file")});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  const std::string id = put.out.substr(0, put.out.find('\n'));
  const mode_t old = ::umask(077);
  auto got = dfs_at(kOwner, {"get", id, "-o", dir_ + "/out"});
  ::umask(old);
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(fs::status(dir_ + "/out").permissions(), fs::perms::owner_read | fs::perms::owner_write);
}

}  // namespace
}  // namespace dfs::testing
