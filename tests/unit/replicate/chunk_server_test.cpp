// ChunkServer: what a peer accepts from and serves to strangers.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>
#include <unordered_map>

#include "dfs/replicate/chunk_server.hpp"
#include "dfs/replicate/config.hpp"
#include "dfs/store/memory_chunk_store.hpp"
#include "dfs/store/served_store.hpp"

namespace dfs::replicate {
namespace {

Bytes bytes_of(std::string_view text) {
  ByteView v = as_bytes(text);
  return Bytes(v.begin(), v.end());
}

class ChunkServerTest : public ::testing::Test {
 protected:
  store::MemoryChunkStore store;
  ChunkServer server{store};
  const Bytes chunk = bytes_of("sealed chunk bytes");
  const ChunkId id = ChunkId::of(chunk);
};

TEST_F(ChunkServerTest, APutWhoseBytesDoNotHashToTheIdIsRefusedAndNothingIsStored) {
  const Bytes other = bytes_of("other bytes");
  Status put = server.on_put(id, other);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, Errc::corrupt);
  EXPECT_EQ(store.usage().chunks, 0u);
  EXPECT_FALSE(*store.contains(id));
  EXPECT_EQ(server.stats().puts_refused, 1u);
}

TEST_F(ChunkServerTest, APutOfMatchingBytesIsStoredAndServedBack) {
  ASSERT_TRUE(server.on_put(id, chunk).ok());
  Result<Bytes> got = server.on_get(id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, chunk);
  EXPECT_EQ(server.stats().puts_stored, 1u);
  EXPECT_EQ(server.stats().gets_served, 1u);
}

TEST_F(ChunkServerTest, AChallengeIsAnsweredWithTheHashOfTheNonceAndTheStoredBytes) {
  ASSERT_TRUE(server.on_put(id, chunk).ok());
  const ProofNonce nonce = fresh_proof_nonce();
  Result<crypto::Digest> proof = server.on_prove(id, nonce);
  ASSERT_TRUE(proof.ok());
  EXPECT_EQ(*proof, storage_proof(nonce, chunk));
  EXPECT_NE(*proof, storage_proof(fresh_proof_nonce(), chunk)) << "a proof must depend on the nonce";
  EXPECT_EQ(server.stats().proofs_served, 1u);
}

TEST_F(ChunkServerTest, AChallengeForAChunkNotHeldIsNotFound) {
  Result<crypto::Digest> proof = server.on_prove(id, fresh_proof_nonce());
  ASSERT_FALSE(proof.ok());
  EXPECT_EQ(proof.error().code, Errc::not_found);
  EXPECT_EQ(server.stats().proofs_served, 0u);
}

TEST_F(ChunkServerTest, PuttingAChunkAlreadyHeldSucceeds) {
  ASSERT_TRUE(server.on_put(id, chunk).ok());
  EXPECT_TRUE(server.on_put(id, chunk).ok());
  EXPECT_EQ(store.usage().chunks, 1u);
}

TEST_F(ChunkServerTest, APutAboveTheSizeLimitIsRefusedAsTooLarge) {
  const Bytes huge(kMaxSealedChunkSize + 1, 0xab);
  Status put = server.on_put(ChunkId::of(huge), huge);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, Errc::too_large);
  EXPECT_EQ(store.usage().chunks, 0u);
}

TEST_F(ChunkServerTest, AGetOfAChunkNotHeldIsNotFound) {
  Result<Bytes> got = server.on_get(id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::not_found);
}

TEST_F(ChunkServerTest, AChunkThatWentBadOnDiskIsNeverServed) {
  ASSERT_TRUE(server.on_put(id, chunk).ok());
  ASSERT_TRUE(store.corrupt_for_testing(id).ok());
  Result<Bytes> got = server.on_get(id);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::corrupt);
  EXPECT_EQ(server.stats().gets_failed, 1u);
}

TEST_F(ChunkServerTest, HasAnswersForEachIdInOrder) {
  ASSERT_TRUE(server.on_put(id, chunk).ok());
  const ChunkId missing = ChunkId::of(bytes_of("missing"));
  Result<std::vector<bool>> held = server.on_has(std::vector<ChunkId>{missing, id, missing});
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(*held, (std::vector<bool>{false, true, false}));
}

TEST_F(ChunkServerTest, HasRefusesABatchAboveTheProtocolLimit) {
  const std::vector<ChunkId> ids(kMaxHasChunksBatch + 1, id);
  Result<std::vector<bool>> held = server.on_has(ids);
  ASSERT_FALSE(held.ok());
  EXPECT_EQ(held.error().code, Errc::too_large);
  EXPECT_TRUE(server.on_has(std::vector<ChunkId>(kMaxHasChunksBatch, id)).ok());
}

// Run under TSan/ASan, this is the check that the server is thread-safe.
TEST_F(ChunkServerTest, ConcurrentPutsGetsAndHasFromManyThreadsAgree) {
  constexpr int kThreads = 4;
  constexpr int kChunks = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this] {
      for (int i = 0; i < kChunks; ++i) {
        const Bytes b = bytes_of("chunk " + std::to_string(i));
        const ChunkId cid = ChunkId::of(b);
        EXPECT_TRUE(server.on_put(cid, b).ok());
        EXPECT_TRUE(server.on_get(cid).ok());
        EXPECT_EQ(*server.on_has(std::vector<ChunkId>{cid}), std::vector<bool>{true});
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(store.usage().chunks, static_cast<std::uint64_t>(kChunks));
  EXPECT_EQ(server.stats().puts_stored, static_cast<std::uint64_t>(kThreads * kChunks));
}

// Records what the server leased, as node/'s LeaseBook would: each lease
// or renewal, and who placed each chunk (a renewal by placer is granted
// only to that placer, as the index does).
struct RecordedLeases final : LeaseRecorder {
  void lease(const ChunkId& id, const dht::NodeId& placer, const PlacerKey& key) override {
    std::lock_guard lock(mu);
    leased.push_back(id);
    placers[id] = placer;
    if (key) keys[id] = *key;
  }
  void renew(const ChunkId& id) override {
    std::lock_guard lock(mu);
    leased.push_back(id);
  }
  void renew_placed_by(const std::vector<ChunkId>& ids, const dht::NodeId& asker, const PlacerKey& key) override {
    std::lock_guard lock(mu);
    for (const ChunkId& id : ids) {
      auto it = placers.find(id);
      if (it == placers.end() || it->second != asker) continue;
      leased.push_back(id);
      if (key) keys.emplace(id, *key);  // where none is
    }
  }
  void renew_keyed(const std::vector<ChunkId>& ids, const crypto::PublicKey& key, std::int64_t) override {
    std::lock_guard lock(mu);
    for (const ChunkId& id : ids) {
      auto it = keys.find(id);
      if (it != keys.end() && it->second == key) leased.push_back(id);
    }
  }
  std::mutex mu;  // guards all three
  std::vector<ChunkId> leased;
  std::unordered_map<ChunkId, dht::NodeId> placers;
  std::unordered_map<ChunkId, crypto::PublicKey> keys;
};

dht::NodeId peer(std::uint8_t n) {
  dht::NodeId id;
  id.bytes[0] = n;
  return id;
}

TEST(ChunkServerLeases, APutLeasesTheChunkAndItsPlacersHasRenewsOnlyHeldChunks) {
  store::MemoryChunkStore store;
  RecordedLeases leases;
  ChunkServer server(store, nullptr, &leases);
  const Bytes chunk = bytes_of("leased chunk");
  const ChunkId id = ChunkId::of(chunk), absent = ChunkId::of(bytes_of("absent"));
  ASSERT_TRUE(server.on_put(id, chunk, peer(1)).ok());
  EXPECT_EQ(leases.leased, std::vector<ChunkId>{id});
  ASSERT_TRUE(server.on_has(std::vector<ChunkId>{absent, id}, HasAsker{peer(1), {}}).ok());
  EXPECT_EQ(leases.leased, (std::vector<ChunkId>{id, id}));
}

TEST(ChunkServerLeases, AStrangersHasRenewsNoLeaseButAHoldersDoes) {
  store::MemoryChunkStore store;
  RecordedLeases leases;
  ChunkServer server(store, nullptr, &leases);
  const Bytes chunk = bytes_of("junk a stranger wants kept");
  const ChunkId id = ChunkId::of(chunk);
  ASSERT_TRUE(server.on_put(id, chunk, peer(1)).ok());
  // Neither the placer nor a holder: answered, but nothing renewed.
  Result<std::vector<bool>> answer = server.on_has(std::vector<ChunkId>{id}, HasAsker{peer(2), {false}});
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(*answer, std::vector<bool>{true});
  EXPECT_EQ(leases.leased.size(), 1u);
  // One of the chunk's current holders: renewed, whoever placed it.
  ASSERT_TRUE(server.on_has(std::vector<ChunkId>{id}, HasAsker{peer(3), {true}}).ok());
  EXPECT_EQ(leases.leased.size(), 2u);
}

// Issue 15: a machine recovered with the namespace's recovery key has a
// new node ID, neither the placer nor a holder; a HAS signed by the lease
// key the placer sent renews the chunk. Signed by another key, sent by
// another asker than the one signed for, or naming another holder, it
// renews nothing.
TEST(ChunkServerLeases, AHasSignedByThePlacersKeyRenewsFromANewNodeIdAndNoOtherSignatureDoes) {
  store::MemoryChunkStore store;
  RecordedLeases leases;
  ChunkServer server(store, nullptr, &leases);
  const crypto::SigningKey owner = crypto::SigningKey::from_seed(crypto::SecretKey::generate());
  const crypto::SigningKey stranger = crypto::SigningKey::from_seed(crypto::SecretKey::generate());
  const Bytes chunk = bytes_of("a lost machine's chunk");
  const std::vector<ChunkId> ids{ChunkId::of(chunk)};
  ASSERT_TRUE(server.on_put(ids[0], chunk, peer(1), owner.public_key()).ok());
  ASSERT_EQ(leases.leased.size(), 1u);
  const dht::NodeId holder = peer(9), recovered = peer(5);
  const auto ask = [&](const dht::NodeId& asker, const KeyedRenewal& renewal) {
    ASSERT_TRUE(server.on_has(ids, HasAsker{asker, {false}, renewal, holder}).ok());
  };
  ask(recovered, sign_renewal(stranger, holder, recovered, 1000, ids));
  ask(peer(6), sign_renewal(owner, holder, recovered, 1000, ids));       // replayed from another node
  ask(recovered, sign_renewal(owner, peer(8), recovered, 1000, ids));    // signed for another holder
  KeyedRenewal claimed = sign_renewal(stranger, holder, recovered, 1000, ids);
  claimed.key = owner.public_key();  // the owner's key, a stranger's signature
  ask(recovered, claimed);
  EXPECT_EQ(leases.leased.size(), 1u) << "a renewal not signed by the placer's key renewed the lease";
  ask(recovered, sign_renewal(owner, holder, recovered, 1000, ids));
  EXPECT_EQ(leases.leased.size(), 2u) << "the placer's key did not renew from a new node ID";
}

// Issue 15: a placer that got its recovery key after placing names it
// with its next signed HAS, also for the chunks it holds itself (one of
// their R closest), so a machine that recovers its namespace renews those
// by the key alone. A holder's HAS names no key for what it did not place.
TEST(ChunkServerLeases, AHasSignedByAPlacerThatHoldsTheChunkTooNamesItsKeyForIt) {
  store::MemoryChunkStore store;
  RecordedLeases leases;
  ChunkServer server(store, nullptr, &leases);
  const crypto::SigningKey owner = crypto::SigningKey::from_seed(crypto::SecretKey::generate());
  const Bytes placed = bytes_of("placed before the key"), other = bytes_of("placed by another");
  const std::vector<ChunkId> ids{ChunkId::of(placed), ChunkId::of(other)};
  ASSERT_TRUE(server.on_put(ids[0], placed, peer(1)).ok());  // no key yet
  ASSERT_TRUE(server.on_put(ids[1], other, peer(2)).ok());
  const dht::NodeId holder = peer(9);
  ASSERT_TRUE(server.on_has(ids, HasAsker{peer(1), {true, true}, sign_renewal(owner, holder, peer(1), 1000, ids),
                                          holder}).ok());
  ASSERT_EQ(leases.keys.count(ids[0]), 1u) << "the placer's key was not recorded";
  EXPECT_EQ(leases.keys.at(ids[0]), owner.public_key());
  EXPECT_EQ(leases.keys.count(ids[1]), 0u) << "a key recorded for a chunk its signer did not place";
}

TEST(ChunkServerLeases, ARefusedPutLeasesNothing) {
  store::MemoryChunkStore store;
  RecordedLeases leases;
  ChunkServer server(store, nullptr, &leases);
  EXPECT_FALSE(server.on_put(ChunkId::of(bytes_of("a")), bytes_of("b")).ok());
  EXPECT_TRUE(leases.leased.empty());
}

TEST(ChunkServerBudget, PutsGoToTheBudgetForOthersAndAFullBudgetAnswersFullWithoutTouchingTheOwnersStore) {
  store::MemoryChunkStore own(/*quota_bytes=*/1 << 20);
  const Bytes first = bytes_of("a stranger's first chunk");
  store::MemoryChunkStore held(/*quota_bytes=*/first.size());
  store::ServedStore served(own, held);
  ChunkServer server(served, &held);
  ASSERT_TRUE(server.on_put(ChunkId::of(first), first).ok());
  EXPECT_EQ(held.usage().chunks, 1u);
  const Bytes second = bytes_of("and its second one");
  Status put = server.on_put(ChunkId::of(second), second);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, Errc::no_space);
  EXPECT_NE(put.error().message.find("full"), std::string::npos) << put.error().message;
  EXPECT_EQ(own.usage().chunks, 0u);
  EXPECT_EQ(server.stats().puts_full, 1u);
  // Served either way: GET and HAS read both stores.
  EXPECT_TRUE(server.on_get(ChunkId::of(first)).ok());
}

TEST(ChunkServerBudget, APutOfAChunkTheOwnerAlreadyHoldsCostsNoBudget) {
  store::MemoryChunkStore own;
  store::MemoryChunkStore held(/*quota_bytes=*/1);
  store::ServedStore served(own, held);
  ChunkServer server(served, &held);
  const Bytes chunk = bytes_of("the owner's own chunk");
  ASSERT_TRUE(own.put(ChunkId::of(chunk), chunk).ok());
  EXPECT_TRUE(server.on_put(ChunkId::of(chunk), chunk).ok());
  EXPECT_EQ(held.usage().chunks, 0u);
}

// Issue 12: a batch (PUT_CHUNKS) is checked chunk by chunk, as single
// PUTs would be: one chunk whose bytes do not match its ID is refused
// alone, leased nothing, and the good ones around it are stored.
TEST(ChunkServerBatch, ABatchWithOneBadHashStoresTheGoodChunksAndRefusesOnlyTheBadOne) {
  store::MemoryChunkStore store;
  RecordedLeases leases;
  ChunkServer server(store, nullptr, &leases);
  const Bytes a = bytes_of("first of the batch"), b = bytes_of("second of the batch"), c = bytes_of("third");
  const Bytes forged = bytes_of("not the second's bytes");
  const std::vector<ChunkServer::PutItem> items{{ChunkId::of(a), a}, {ChunkId::of(b), forged}, {ChunkId::of(c), c}};
  const std::vector<Status> outcomes = server.on_put_many(items, peer(1));
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_TRUE(outcomes[0].ok());
  ASSERT_FALSE(outcomes[1].ok());
  EXPECT_EQ(outcomes[1].error().code, Errc::corrupt);
  EXPECT_TRUE(outcomes[2].ok());
  EXPECT_TRUE(*store.contains(ChunkId::of(a)));
  EXPECT_FALSE(*store.contains(ChunkId::of(b)));
  EXPECT_TRUE(*store.contains(ChunkId::of(c)));
  EXPECT_EQ(leases.leased, (std::vector<ChunkId>{ChunkId::of(a), ChunkId::of(c)}));
  EXPECT_EQ(server.stats().puts_stored, 2u);
  EXPECT_EQ(server.stats().puts_refused, 1u);
}

TEST(ChunkServerBatch, ABatchOverTheBudgetStoresWhatFitsAndAnswersFullForTheRest) {
  store::MemoryChunkStore own;
  const Bytes first = bytes_of("fits the budget"), second = bytes_of("does not fit"), third = bytes_of("nor this");
  store::MemoryChunkStore held(/*quota_bytes=*/first.size());
  store::ServedStore served(own, held);
  ChunkServer server(served, &held);
  const std::vector<ChunkServer::PutItem> items{
      {ChunkId::of(first), first}, {ChunkId::of(second), second}, {ChunkId::of(third), third}};
  const std::vector<Status> outcomes = server.on_put_many(items, peer(2));
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_TRUE(outcomes[0].ok());
  for (std::size_t i : {1u, 2u}) {
    ASSERT_FALSE(outcomes[i].ok());
    EXPECT_EQ(outcomes[i].error().code, Errc::no_space);
    EXPECT_NE(outcomes[i].error().message.find("full"), std::string::npos) << outcomes[i].error().message;
  }
  EXPECT_EQ(held.usage().chunks, 1u);
  EXPECT_EQ(own.usage().chunks, 0u);
  EXPECT_EQ(server.stats().puts_full, 2u);
}

TEST(ReplicationConfigTest, DefaultsAreValidAndOutOfRangeFieldsAreNamed) {
  EXPECT_TRUE(ReplicationConfig{}.validate().ok());
  ReplicationConfig c;
  c.replicas = 0;
  ASSERT_FALSE(c.validate().ok());
  EXPECT_NE(c.validate().error().message.find("replicas"), std::string::npos);
  c = {};
  c.has_batch_size = kMaxHasChunksBatch + 1;
  ASSERT_FALSE(c.validate().ok());
  EXPECT_NE(c.validate().error().message.find("has_batch_size"), std::string::npos);
  c = {};
  c.repair_jitter = 1.0;
  EXPECT_FALSE(c.validate().ok());
}

}  // namespace
}  // namespace dfs::replicate
