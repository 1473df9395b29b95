// Kademlia at scale on the simulator: thousands of nodes in one process,
// lookups checked against the ground truth computed from the global node
// list, without churn, with message loss, and after nodes die.
//
// Size: DFS_DHT_SIM_NODES (default 2000; 300 under sanitizers, which make
// each event ~10x dearer) and DFS_DHT_SIM_LOOKUPS (default 300).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "dfs/dht/signed_record.hpp"
#include "sim/sim_cluster.hpp"

namespace dfs::dht {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::size_t kDefaultNodes = 300;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr std::size_t kDefaultNodes = 300;
#else
constexpr std::size_t kDefaultNodes = 2000;
#endif
#else
constexpr std::size_t kDefaultNodes = 2000;
#endif

std::size_t env_or(const char* name, std::size_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  return static_cast<std::size_t>(std::stoul(text));
}

const std::size_t kNodes = env_or("DFS_DHT_SIM_NODES", kDefaultNodes);
const std::size_t kLookups = env_or("DFS_DHT_SIM_LOOKUPS", 300);

struct Accuracy {
  std::size_t exact = 0;         // lookups that returned exactly the true k closest
  std::size_t closest_found = 0; // lookups whose first result is the true closest
  std::size_t total = 0;
  std::size_t messages = 0;      // RPCs over every lookup
  double overlap = 0;            // mean share of the true k closest found
  double exact_rate() const { return total ? static_cast<double>(exact) / static_cast<double>(total) : 0; }
  double closest_rate() const { return total ? static_cast<double>(closest_found) / static_cast<double>(total) : 0; }
};

std::ostream& operator<<(std::ostream& out, const Accuracy& a) {
  return out << a.exact << "/" << a.total << " exact, " << a.closest_found << "/" << a.total
             << " found the closest, mean overlap " << a.overlap;
}

class DhtSimulation : public ::testing::Test {
 protected:
  static sim::ClusterConfig config() {
    sim::ClusterConfig c;
    c.seed = 2024;
    return c;  // k = 20, alpha = 3, latency 5-50 ms, 1 s timeout
  }

  void SetUp() override { ASSERT_TRUE(cluster.grow(kNodes)); }

  // Runs kLookups lookups for random targets from random live nodes and
  // compares each result with the true k closest (live ones, if asked),
  // leaving out the asker, which never returns itself. A settled lookup
  // (`settle` > 0) is compared on its first `settle` results.
  Accuracy measure(bool live_only, std::size_t settle = 0) {
    const std::size_t k = settle > 0 ? settle : config().dht.k;
    Accuracy acc;
    double overlap_sum = 0;
    for (std::size_t i = 0; i < kLookups; ++i) {
      const std::size_t from = cluster.random_live_node();
      const NodeId target = NodeId::random(cluster.rng());
      auto outcome = cluster.lookup(from, target, settle);
      if (!outcome) {
        ADD_FAILURE() << "lookup " << i << " did not finish";
        continue;
      }
      auto truth = cluster.true_closest(target, k + 1, live_only);
      std::erase(truth, cluster.contact(from).id);
      truth.resize(std::min(truth.size(), k));
      std::vector<NodeId> got;
      for (const auto& c : outcome->closest) got.push_back(c.id);
      got.resize(std::min(got.size(), k));
      acc.messages += outcome->stats.messages;
      std::size_t common = 0;
      for (const NodeId& id : got) common += std::count(truth.begin(), truth.end(), id);
      overlap_sum += static_cast<double>(common) / static_cast<double>(truth.size());
      acc.exact += got == truth ? 1 : 0;
      acc.closest_found += !got.empty() && got.front() == truth.front() ? 1 : 0;
      ++acc.total;
    }
    acc.overlap = overlap_sum / static_cast<double>(acc.total);
    return acc;
  }

  sim::SimCluster cluster{config()};
};

TEST_F(DhtSimulation, WithoutChurnLookupsReturnTheTrueKClosest) {
  const Accuracy acc = measure(false);
  std::cout << "[ " << kNodes << " nodes, no churn ] " << acc << "\n";
  EXPECT_GE(acc.exact_rate(), 0.99) << acc;
}

// A lookup that needs only the 3 closest (a chunk's holders) stops once
// those have answered: the same 3, for fewer messages and round trips.
TEST_F(DhtSimulation, SettledLookupsReturnTheTrueThreeClosestWithFewerMessages) {
  const Accuracy settled = measure(false, 3);
  const Accuracy strict = measure(false);
  std::cout << "[ " << kNodes << " nodes, settle 3 ] " << settled << ", " << settled.messages << " messages against "
            << strict.messages << " strict\n";
  EXPECT_GE(settled.exact_rate(), 0.99) << settled;
  EXPECT_LT(settled.messages, strict.messages);
}

// Right after a mass failure every routing table still lists the dead, and
// a responder returns only its k closest entries, so live nodes just past
// rank k are often not learnt: the closest is found, the far end of the k
// may not be. Printed for the record; the exact-k bar is the next test's.
TEST_F(DhtSimulation, RightAfterTenPercentOfNodesDieLookupsStillFindTheClosestLiveNodes) {
  cluster.kill_random(kNodes / 10);
  const Accuracy acc = measure(true);
  std::cout << "[ " << kNodes << " nodes, 10% just killed ] " << acc << "\n";
  EXPECT_GE(acc.closest_rate(), 0.99) << acc;
  EXPECT_GE(acc.overlap, 0.95) << acc;
}

// One round of bucket refresh (what every node runs each refresh interval)
// meets the dead, and their repeated failures drop them from the tables.
TEST_F(DhtSimulation, OnceBucketsAreRefreshedAfterTenPercentDieLookupsReturnTheKClosestLiveNodes) {
  cluster.kill_random(kNodes / 10);
  // Let a refresh interval pass idle, so that every bucket of every node is
  // due, then run maintenance just long enough for one round of refresh.
  const auto& dht_config = config().dht;
  cluster.loop().run_for(dht_config.bucket_refresh_interval);
  cluster.start_all();
  cluster.loop().run_for(2 * dht_config.maintenance_interval);
  // Measure that round alone: the lookups below take a while of virtual
  // time (dead contacts still cost timeouts) and must not start another.
  cluster.stop_all();
  const Accuracy acc = measure(true);
  std::cout << "[ " << kNodes << " nodes, 10% killed, buckets refreshed ] " << acc << "\n";
  EXPECT_GE(acc.exact_rate(), 0.95) << acc;
}

TEST_F(DhtSimulation, WithOnePercentLossLookupsStillSucceed) {
  cluster.network().set_loss(0.01);
  const Accuracy acc = measure(false);
  std::cout << "[ " << kNodes << " nodes, 1% loss ] " << acc << "\n";
  EXPECT_GE(acc.exact_rate(), 0.95) << acc;
  EXPECT_GE(acc.closest_rate(), 0.99) << acc;
}

TEST_F(DhtSimulation, WithFivePercentLossLookupsStillSucceed) {
  cluster.network().set_loss(0.05);
  const Accuracy acc = measure(false);
  std::cout << "[ " << kNodes << " nodes, 5% loss ] " << acc << "\n";
  // A live node whose two attempts are both lost (about 1% per RPC) is
  // left out, so an exact k of 20 is missed now and then; the closest
  // nodes, where data lives, are still found.
  EXPECT_GE(acc.exact_rate(), 0.75) << acc;
  EXPECT_GE(acc.closest_rate(), 0.97) << acc;
  EXPECT_GE(acc.overlap, 0.98) << acc;
}

// Issue 10: peers that answer every FIND_NODE with made-up contacts — IDs
// right next to the target, at the address of a real peer (which proves
// another ID) or of a peer that never answers. A contact enters a lookup's
// result only once it answered over a connection that proved its ID, so
// the lies cost time (each made-up contact is tried, and fails), never a
// wrong result.
TEST_F(DhtSimulation, LookupsReturnTheTrueClosestWhenSomePeersAnswerWithMadeUpContacts) {
  const Contact blackhole{NodeId::random(cluster.rng()), "sim:blackhole"};
  cluster.network().attach(blackhole, nullptr);  // takes requests, answers none
  for (std::size_t liar = 0; liar < kNodes; liar += 20) {  // 5% of the nodes
    cluster.network().set_handler(
        cluster.contact(liar).address, [this, liar, blackhole](const Contact& from, const Request& request) -> Response {
          const auto* find = std::get_if<FindNodeRequest>(&request);
          if (find == nullptr) return cluster.dht(liar).handle(from, request);
          FindNodeResponse lies;
          for (std::uint8_t i = 1; i <= 20; ++i) {
            NodeId id = find->target;
            id.bytes.back() ^= i;  // closer to the target than any real peer
            const std::string address = i % 2 ? blackhole.address : cluster.contact((liar + i) % kNodes).address;
            lies.contacts.push_back(Contact{id, address});
          }
          return lies;
        });
  }
  const Accuracy acc = measure(false);
  std::cout << "[ " << kNodes << " nodes, 5% answer with made-up contacts ] " << acc << ", " << acc.messages
            << " messages\n";
  EXPECT_GE(acc.closest_rate(), 0.99) << acc;
  EXPECT_GE(acc.overlap, 0.98) << acc;
}

TEST_F(DhtSimulation, RecordsAreFoundFromAnyNodeAfterNodesDie) {
  std::vector<NodeId> keys;
  for (int i = 0; i < 20; ++i) {
    keys.push_back(NodeId::random(cluster.rng()));
    auto stored = cluster.put(cluster.random_live_node(), Record{keys.back(), Bytes{1, 2}, 3600, {}});
    ASSERT_TRUE(stored && stored->ok());
  }
  cluster.kill_random(kNodes / 10);
  std::size_t found = 0;
  for (const NodeId& key : keys) {
    auto got = cluster.get(cluster.random_live_node(), key);
    found += got && got->ok() ? 1 : 0;
  }
  EXPECT_EQ(found, keys.size());
}


// Signed mutable records (a namespace's recovery pointer) across a network
// of 200 nodes: what a reader finds, whatever storage nodes are offered.
class SignedRecordsOnTheNetwork : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cluster.grow(200)); }

  Record record(std::uint64_t sequence) {
    return Record{signed_record_key(writer.public_key()),
                  encode_signed_value(writer, sequence, Bytes{1, 2, 3}).value(), 3600, {}};
  }
  // The latest pointer a random node finds for `key`'s writer.
  Result<SignedValue> read(const crypto::PublicKey& key) {
    auto got = cluster.get(cluster.random_live_node(), signed_record_key(key));
    if (!got) return make_error(Errc::timed_out, "get did not finish");
    if (!got->ok()) return got->take_error();
    return latest_signed(**got, key);
  }

  static sim::ClusterConfig config() {
    sim::ClusterConfig c;
    c.seed = 15;
    return c;
  }

  sim::SimCluster cluster{config()};
  crypto::SigningKey writer = crypto::SigningKey::from_seed(crypto::SecretKey::generate());
};

TEST_F(SignedRecordsOnTheNetwork, ANewerSequenceFromAnotherMachineIsWhatReadersFind) {
  ASSERT_TRUE(cluster.put(3, record(1)).value().ok());
  ASSERT_TRUE(cluster.put(150, record(2)).value().ok());  // the replacement machine
  auto latest = read(writer.public_key());
  ASSERT_TRUE(latest.ok()) << latest.error().to_string();
  EXPECT_EQ(latest->sequence, 2u);
}

// Every node that holds sequence 2 refuses the replayed 1. (A node among
// the replayer's closest that never held the record may take it: it has
// nothing to roll back. Whether the replayer's lookup meets such a node
// depends on the random key, so the test checks the holders themselves.)
TEST_F(SignedRecordsOnTheNetwork, AReplayedOlderSequenceIsRefusedEverywhere) {
  const Record old = record(1);
  ASSERT_TRUE(cluster.put(3, old).value().ok());
  ASSERT_TRUE(cluster.put(3, record(2)).value().ok());
  auto sequence_at = [&](std::size_t node) -> std::uint64_t {
    const Response r = cluster.dht(node).handle(cluster.contact(9), FindValueRequest{old.key});
    auto latest = latest_signed(std::get<FindValueResponse>(r).records, writer.public_key());
    return latest.ok() ? latest->sequence : 0;
  };
  std::vector<std::size_t> holders;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    if (sequence_at(i) == 2) holders.push_back(i);
  }
  ASSERT_FALSE(holders.empty());
  auto replay = cluster.put(77, old);
  ASSERT_TRUE(replay.has_value());
  for (std::size_t i : holders) {
    EXPECT_EQ(sequence_at(i), 2u) << "node " << i << " accepted sequence 1 over 2";
    const Response r = cluster.dht(i).handle(cluster.contact(77), StoreRequest{old});
    EXPECT_FALSE(std::get<StoreResponse>(r).stored) << "node " << i << " stored sequence 1 over 2";
  }
  EXPECT_EQ(read(writer.public_key())->sequence, 2u);
}

TEST_F(SignedRecordsOnTheNetwork, ATamperedRecordIsRefusedByTheNodesItIsOffered) {
  ASSERT_TRUE(cluster.put(3, record(1)).value().ok());
  Record tampered = record(2);
  tampered.value[tampered.value.size() / 2] ^= 0x40;
  tampered.publisher = cluster.contact(9).id;
  for (const NodeId& id : cluster.true_closest(tampered.key, 20, true)) {
    for (std::size_t i = 0; i < cluster.size(); ++i) {
      if (cluster.contact(i).id != id) continue;
      const Response r = cluster.dht(i).handle(cluster.contact(9), StoreRequest{tampered});
      EXPECT_FALSE(std::get<StoreResponse>(r).stored);
    }
  }
  EXPECT_EQ(read(writer.public_key())->sequence, 1u);
}

TEST_F(SignedRecordsOnTheNetwork, AnotherKeyFindsNothing) {
  ASSERT_TRUE(cluster.put(3, record(1)).value().ok());
  const auto stranger = crypto::SigningKey::from_seed(crypto::SecretKey::generate());
  EXPECT_EQ(read(stranger.public_key()).error().code, Errc::not_found);
}

}  // namespace
}  // namespace dfs::dht
