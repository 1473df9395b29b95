// NetChunkClient's batched PUTs (issue 12, p2p/net_adapters.hpp): small
// PUTs asked for one peer in one turn of the network thread go out as one
// PUT_CHUNKS, each caller hears its own chunk's outcome, and a peer that
// does not know PUT_CHUNKS gets single PUT_CHUNKs instead.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "dfs/net/wire_codes.hpp"
#include "dfs/p2p/chunk_wire.hpp"
#include "dfs/p2p/net_adapters.hpp"
#include "dfs/replicate/config.hpp"
#include "recording_transport.hpp"

namespace dfs::p2p {
namespace {

using namespace std::chrono_literals;
using testing::RecordingTransport;

Bytes bytes_of(std::size_t n, std::uint8_t seed) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(seed + i);
  return out;
}

dht::Contact contact(std::uint8_t n) {
  dht::Contact c;
  c.id.bytes[0] = n;
  c.address = "127.0.0." + std::to_string(n) + ":4001";
  return c;
}

net::Message answer_with(wire::Envelope env) {
  net::Message m;
  m.env = std::move(env);
  return m;
}

class ChunkClientBatches : public ::testing::Test {
 protected:
  // PUTs `sealed` to `to`; its outcome lands in outcomes[index].
  void put(const dht::Contact& to, const Bytes& sealed) {
    const std::size_t index = outcomes.size();
    outcomes.emplace_back(std::nullopt);
    client.put_chunk(to, ChunkId::of(sealed), Bytes(sealed), {},
                     [this, index](Status s) { outcomes[index] = std::move(s); });
  }
  // Runs the network thread's queued turns (the batch flush).
  void turn() {
    io.restart();
    io.poll();
  }

  boost::asio::io_context io;
  RecordingTransport net;
  NetChunkClient client{std::make_shared<Dialer>(net), io, 5s};
  std::vector<std::optional<Status>> outcomes;
};

TEST_F(ChunkClientBatches, SmallPutsForOnePeerInOneTurnGoOutAsOneBatchAndEachHearsItsOwnOutcome) {
  const Bytes a = bytes_of(1000, 1), b = bytes_of(2000, 2), c = bytes_of(3000, 3);
  const Bytes other = bytes_of(500, 4), large = bytes_of(replicate::kMaxBatchedChunkSize + 1, 5);
  put(contact(1), a);
  put(contact(1), b);
  put(contact(2), other);
  put(contact(1), large);
  put(contact(1), c);
  EXPECT_EQ(net.sent.size(), 1u) << "only the large chunk goes out at once";
  turn();
  ASSERT_EQ(net.sent.size(), 3u);
  EXPECT_TRUE(net.sent[0].request.has_put_chunk());  // the large one, alone
  // One batch for peer 1, in the order asked; peer 2's lone chunk alone.
  const RecordingTransport::Sent& batch = net.sent[1];
  ASSERT_TRUE(batch.request.has_put_chunks());
  auto decoded = put_batch_from_wire(batch.request, batch.payload.size());
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  ASSERT_EQ(decoded->chunks.size(), 3u);
  const Bytes* in_order[] = {&a, &b, &c};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(decoded->chunks[i].id, ChunkId::of(*in_order[i]));
    const ByteView bytes = batch.payload.view().subspan(decoded->chunks[i].offset, decoded->chunks[i].size);
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), in_order[i]->begin(), in_order[i]->end()));
  }
  EXPECT_EQ(batch.expected, contact(1).id.bytes);
  EXPECT_TRUE(net.sent[2].request.has_put_chunk());
  EXPECT_EQ(net.sent[2].expected, contact(2).id.bytes);

  wire::Envelope single;
  single.mutable_put_chunk_result();
  net.answer(answer_with(single));
  net.answer(answer_with(put_batch_result_to_wire({Status{}, make_error(Errc::corrupt, "does not match its ID"),
                                                   make_error(Errc::permission_denied, "not among the closest")})));
  net.answer(answer_with(single));
  ASSERT_TRUE(outcomes[0] && outcomes[1] && outcomes[2] && outcomes[3] && outcomes[4]);
  EXPECT_TRUE(outcomes[0]->ok());  // a
  ASSERT_FALSE(outcomes[1]->ok());  // b
  EXPECT_EQ(outcomes[1]->error().code, Errc::corrupt);
  EXPECT_TRUE(outcomes[2]->ok());  // other
  EXPECT_TRUE(outcomes[3]->ok());  // large
  ASSERT_FALSE(outcomes[4]->ok());  // c: refused as not among the closest, which a placer reads as unreachable
  EXPECT_EQ(outcomes[4]->error().code, Errc::unavailable);
  EXPECT_EQ(client.batch_stats().batches, 1u);
  EXPECT_EQ(client.batch_stats().chunks, 3u);
}

TEST_F(ChunkClientBatches, AFullBatchGoesOutAtOnceAndTheRestFollowOnTheNextTurn) {
  for (std::size_t i = 0; i < replicate::kMaxPutBatchChunks + 2; ++i) put(contact(1), bytes_of(100, static_cast<std::uint8_t>(i)));
  ASSERT_EQ(net.sent.size(), 1u);
  EXPECT_EQ(net.sent[0].request.put_chunks().chunks_size(), static_cast<int>(replicate::kMaxPutBatchChunks));
  turn();
  ASSERT_EQ(net.sent.size(), 2u);
  EXPECT_EQ(net.sent[1].request.put_chunks().chunks_size(), 2);
}

// Self-clocked: with two requests to a peer unanswered, its next PUTs
// wait and fill one batch, which goes as soon as one of the two is
// answered; PUTs to another peer do not wait for them.
TEST_F(ChunkClientBatches, WhileTwoRequestsToAPeerAreUnansweredItsNextPutsFillOneBatch) {
  put(contact(1), bytes_of(100, 1));
  turn();
  put(contact(1), bytes_of(100, 2));
  turn();
  ASSERT_EQ(net.sent.size(), 2u);
  for (std::uint8_t i = 3; i < 10; ++i) {
    put(contact(1), bytes_of(100, i));
    turn();
  }
  put(contact(2), bytes_of(100, 10));
  turn();
  ASSERT_EQ(net.sent.size(), 3u) << "peer 1's third request went before one of its first two was answered";
  EXPECT_EQ(net.sent[2].expected, contact(2).id.bytes);
  wire::Envelope stored;
  stored.mutable_put_chunk_result();
  net.answer(answer_with(stored));
  ASSERT_EQ(net.sent.size(), 3u);
  ASSERT_TRUE(net.sent[2].request.has_put_chunks());
  EXPECT_EQ(net.sent[2].request.put_chunks().chunks_size(), 7);
  ASSERT_TRUE(outcomes[0] && outcomes[0]->ok());
}

TEST_F(ChunkClientBatches, AFailedBatchFailsEachOfItsChunks) {
  put(contact(1), bytes_of(100, 1));
  put(contact(1), bytes_of(100, 2));
  turn();
  ASSERT_EQ(net.sent.size(), 1u);
  net.answer(make_error(Errc::timed_out, "no answer"));
  for (const auto& outcome : outcomes) {
    ASSERT_TRUE(outcome && !outcome->ok());
    EXPECT_EQ(outcome->error().code, Errc::timed_out);
  }
}

// A peer from before PUT_CHUNKS answers it as a request it does not know
// (invalid_argument): the batch's chunks go to it again one by one, and
// so does every later PUT to that peer.
TEST_F(ChunkClientBatches, APeerThatDoesNotKnowBatchesGetsSinglePutsFromThenOn) {
  put(contact(1), bytes_of(100, 1));
  put(contact(1), bytes_of(100, 2));
  turn();
  ASSERT_EQ(net.sent.size(), 1u);
  ASSERT_TRUE(net.sent[0].request.has_put_chunks());
  net.answer(make_error(Errc::invalid_argument, "a request type this peer does not know"));
  ASSERT_EQ(net.sent.size(), 2u);
  wire::Envelope stored;
  stored.mutable_put_chunk_result();
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(net.sent.front().request.has_put_chunk());
    EXPECT_EQ(net.sent.front().payload.size(), 100u);
    net.answer(answer_with(stored));
  }
  ASSERT_TRUE(outcomes[0] && outcomes[0]->ok());
  ASSERT_TRUE(outcomes[1] && outcomes[1]->ok());

  put(contact(1), bytes_of(100, 3));
  put(contact(1), bytes_of(100, 4));
  turn();
  ASSERT_EQ(net.sent.size(), 2u);
  EXPECT_TRUE(net.sent[0].request.has_put_chunk());
  EXPECT_TRUE(net.sent[1].request.has_put_chunk());
}

}  // namespace
}  // namespace dfs::p2p
