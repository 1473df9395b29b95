// Transfers on the simulator's loop with a ChunkClient the test answers by
// hand: the bound on RPCs in flight (by size), foreground before background, the
// backstop timeout, the check of HAS answers, and reads deferred to a slot.
#include "dfs/replicate/transfers.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "dfs/store/memory_chunk_store.hpp"
#include "sim/event_loop.hpp"

namespace dfs::replicate {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Records each RPC; the test answers them in any order.
class ManualClient final : public ChunkClient {
 public:
  struct Call {
    std::string kind;  // "put", "get", "has" or "prove"
    ChunkId id;
    std::size_t bytes = 0;  // of a put
    std::function<void(Status)> put_done;
    std::function<void(Result<Bytes>)> get_done;
    std::function<void(Result<std::vector<bool>>)> has_done;
  };
  void put_chunk(const dht::Contact&, const ChunkId& id, SharedBytes sealed, const PlacerKey& lease_key,
                 std::function<void(Status)> done) override {
    calls.push_back(Call{"put", id, sealed.size(), std::move(done), {}, {}});
    put_keys.push_back(lease_key);
  }
  void get_chunk(const dht::Contact&, const ChunkId& id, std::function<void(Result<Bytes>)> done) override {
    calls.push_back(Call{"get", id, 0, {}, std::move(done), {}});
  }
  void has_chunks(const dht::Contact&, std::vector<ChunkId> ids,
                  std::function<void(Result<std::vector<bool>>)> done) override {
    calls.push_back(Call{"has", ids.empty() ? ChunkId{} : ids.front(), 0, {}, {}, std::move(done)});
  }
  void prove_chunk(const dht::Contact&, const ChunkId& id, const ProofNonce&,
                   std::function<void(Result<crypto::Digest>)> done) override {
    calls.push_back(Call{"prove", id, 0, {}, {}, {}});
    proofs.push_back(std::move(done));
  }
  std::vector<Call> calls;
  std::vector<PlacerKey> put_keys;  // the lease key each put named, in order
  std::vector<std::function<void(Result<crypto::Digest>)>> proofs;  // of the "prove" calls, in order
};

ChunkId id_of(const std::string& s) { return ChunkId::of(as_bytes(s)); }

class TransfersTest : public ::testing::Test {
 protected:
  explicit TransfersTest(std::size_t parallel = 2)
      : transfers(std::make_unique<Transfers>(client, loop, nullptr, parallel, seconds(5))) {}

  // Runs the loop until nothing is due before `d` from now.
  void run_for(milliseconds d) { loop.run_for(d); }

  sim::EventLoop loop;
  ManualClient client;
  const dht::Contact peer{dht::NodeId{}, "127.0.0.1:1"};
  std::unique_ptr<Transfers> transfers;
};

TEST_F(TransfersTest, AtMostParallelRpcsAreInFlightAndTheNextStartsWhenOneAnswers) {
  int answered = 0;
  for (int i = 0; i < 4; ++i) {
    transfers->get(peer, id_of("c" + std::to_string(i)), [&answered](Result<Bytes>) { ++answered; });
  }
  ASSERT_EQ(client.calls.size(), 2u);
  client.calls[0].get_done(Bytes{});
  run_for(milliseconds(1));
  EXPECT_EQ(answered, 1);
  EXPECT_EQ(client.calls.size(), 3u);
  EXPECT_EQ(client.calls[2].id, id_of("c2"));
}

// A slot is a whole chunk's worth: small PUTs (a tree's files and
// manifests) share it, many at once, while whole chunks take one each.
TEST_F(TransfersTest, SmallPutsShareASlotAndWholeChunksTakeOneEach) {
  auto put = [this](const std::string& name, std::size_t bytes) {
    transfers->put(peer, id_of(name), std::make_shared<const Bytes>(bytes, 0x5a), false, [](Status) {});
  };
  for (int i = 0; i < 3; ++i) put("whole" + std::to_string(i), 1 << 20);
  EXPECT_EQ(client.calls.size(), 2u) << "two slots, two whole chunks";
  client.calls[0].put_done(Status{});
  client.calls[1].put_done(Status{});
  run_for(milliseconds(1));
  ASSERT_EQ(client.calls.size(), 3u);
  client.calls[2].put_done(Status{});
  run_for(milliseconds(1));
  for (int i = 0; i < 32; ++i) put("small" + std::to_string(i), 4096);
  EXPECT_EQ(client.calls.size(), 3u + 32u) << "32 small puts fit in two slots at once";
  put("small-more", 4096);
  EXPECT_EQ(client.calls.size(), 3u + 32u) << "the 33rd waits for room";
}

class OneSlotTest : public TransfersTest {
 protected:
  OneSlotTest() : TransfersTest(1) {}
};

TEST_F(OneSlotTest, AQueuedForegroundRpcStartsBeforeBackgroundOnesQueuedEarlier) {
  transfers->has(peer, {id_of("first")}, [](Result<std::vector<bool>>) {});
  transfers->has(peer, {id_of("repair")}, [](Result<std::vector<bool>>) {});
  transfers->get(peer, id_of("user"), [](Result<Bytes>) {});
  ASSERT_EQ(client.calls.size(), 1u);
  client.calls[0].has_done(std::vector<bool>{true});
  ASSERT_EQ(client.calls.size(), 2u);
  EXPECT_EQ(client.calls[1].kind, "get");
  EXPECT_EQ(client.calls[1].id, id_of("user"));
}

TEST_F(OneSlotTest, AGetSaysItWasSentWhenItLeavesTheQueueNotWhenItIsQueued) {
  transfers->get(peer, id_of("first"), [](Result<Bytes>) {});
  bool sent = false;
  transfers->get(peer, id_of("second"), [](Result<Bytes>) {}, [&sent] { sent = true; });
  EXPECT_FALSE(sent);
  ASSERT_EQ(client.calls.size(), 1u);
  client.calls[0].get_done(Bytes{});
  EXPECT_TRUE(sent);
  EXPECT_EQ(client.calls.size(), 2u);
}

TEST_F(OneSlotTest, AnRpcThatNeverAnswersEndsTimedOutAndFreesItsSlot) {
  std::optional<Status> put;
  transfers->put(peer, id_of("x"), std::make_shared<const Bytes>(Bytes(10)), false,
                 [&put](Status s) { put = std::move(s); });
  std::optional<Result<Bytes>> got;
  transfers->get(peer, id_of("y"), [&got](Result<Bytes> r) { got = std::move(r); });
  ASSERT_EQ(client.calls.size(), 1u);

  ASSERT_TRUE(loop.run_until([&] { return put.has_value(); }, loop.now() + seconds(6)));
  ASSERT_FALSE(put->ok());
  EXPECT_EQ(put->error().code, Errc::timed_out);
  ASSERT_EQ(client.calls.size(), 2u);  // the slot went to the GET
  // A late answer to the abandoned PUT changes nothing.
  client.calls[0].put_done(Status{});
  client.calls[1].get_done(Bytes{1, 2});
  run_for(milliseconds(1));
  ASSERT_TRUE(got && got->ok());
  EXPECT_EQ(**got, (Bytes{1, 2}));
}

TEST_F(TransfersTest, AHasAnswerOfAnotherLengthThanTheRequestIsCorrupt) {
  std::optional<Result<std::vector<bool>>> held;
  transfers->has(peer, {id_of("a"), id_of("b")}, [&held](Result<std::vector<bool>> r) { held = std::move(r); });
  client.calls.at(0).has_done(std::vector<bool>{true});
  run_for(milliseconds(1));
  ASSERT_TRUE(held.has_value());
  ASSERT_FALSE(held->ok());
  EXPECT_EQ(held->error().code, Errc::corrupt);
}

TEST_F(OneSlotTest, PutFromReadsTheChunkOnlyOnceASlotIsGrantedAndFailsAsTheReadDoes) {
  store::MemoryChunkStore store;
  const Bytes sealed(100, 7);
  const ChunkId id = ChunkId::of(sealed);

  transfers->get(peer, id_of("busy"), [](Result<Bytes>) {});
  std::optional<Status> copied;
  transfers->put_from(LocalChunks{store, nullptr, {}}, peer, id, [&copied](Status s) { copied = std::move(s); });
  std::optional<Status> missing;
  transfers->put_from(LocalChunks{store, nullptr, {}}, peer, id_of("gone"), [&missing](Status s) { missing = std::move(s); });
  // Stored while the copy waits for its slot: the read comes after the wait.
  ASSERT_TRUE(store.put(id, sealed).ok());
  ASSERT_EQ(client.calls.size(), 1u);

  client.calls[0].get_done(Bytes{});
  run_for(milliseconds(1));
  ASSERT_EQ(client.calls.size(), 2u);
  EXPECT_EQ(client.calls[1].kind, "put");
  EXPECT_EQ(client.calls[1].bytes, sealed.size());
  client.calls[1].put_done(Status{});
  run_for(milliseconds(1));
  ASSERT_TRUE(copied && copied->ok());
  ASSERT_TRUE(missing.has_value());
  ASSERT_FALSE(missing->ok());
  EXPECT_EQ(missing->error().code, Errc::not_found);
}

// A repair copy names the lease key recorded with the chunk here (the
// owner's, issue 15), so the owner's keyed renewals cover the new copy; a
// chunk with none recorded leaves the client's own.
TEST_F(TransfersTest, PutFromNamesTheLeaseKeyRecordedWithTheChunk) {
  store::MemoryChunkStore store;
  const Bytes owners(50, 1), unkeyed(50, 2);
  ASSERT_TRUE(store.put(ChunkId::of(owners), owners).ok());
  ASSERT_TRUE(store.put(ChunkId::of(unkeyed), unkeyed).ok());
  crypto::PublicKey owner_key{};
  owner_key.fill(9);
  const PlacerKeyOf recorded = [&](const ChunkId& id) -> Result<PlacerKey> {
    if (id == ChunkId::of(owners)) return PlacerKey(owner_key);
    return PlacerKey();
  };
  transfers->put_from(LocalChunks{store, nullptr, recorded}, peer, ChunkId::of(owners), [](Status) {});
  transfers->put_from(LocalChunks{store, nullptr, recorded}, peer, ChunkId::of(unkeyed), [](Status) {});
  run_for(milliseconds(1));
  ASSERT_EQ(client.put_keys.size(), 2u);
  EXPECT_EQ(client.put_keys[0], PlacerKey(owner_key));
  EXPECT_EQ(client.put_keys[1], PlacerKey());
}

TEST_F(TransfersTest, DestroyedWithRpcsInFlightItCallsNothingBack) {
  bool called = false;
  transfers->get(peer, id_of("a"), [&called](Result<Bytes>) { called = true; });
  transfers->get(peer, id_of("b"), [&called](Result<Bytes>) { called = true; });
  transfers->get(peer, id_of("queued"), [&called](Result<Bytes>) { called = true; });
  transfers.reset();
  client.calls.at(0).get_done(Bytes{});
  loop.run_for(seconds(10));  // past the backstop too
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace dfs::replicate
