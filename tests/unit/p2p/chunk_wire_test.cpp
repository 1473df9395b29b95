// The batched PUT's codec (issue 12, p2p/chunk_wire.hpp): what a receiver
// takes from a peer before any chunk is looked at, and what a sender takes
// from the answer.
#include "dfs/p2p/chunk_wire.hpp"

#include <gtest/gtest.h>

#include "../../common/chunk_ids.hpp"
#include "dfs/net/wire_codes.hpp"
#include "dfs/replicate/config.hpp"

namespace dfs::p2p {
namespace {

TEST(PutBatchWire, ARequestDecodesToItsChunksAtTheirOffsetsInThePayload) {
  crypto::PublicKey key{};
  key.fill(9);
  const wire::Envelope env = put_batch_to_wire({{testing::chunk_id_filled(1), 100}, {testing::chunk_id_filled(2), 50}, {testing::chunk_id_filled(3), 7}}, key);
  auto batch = put_batch_from_wire(env, 157);
  ASSERT_TRUE(batch.ok()) << batch.error().to_string();
  ASSERT_EQ(batch->chunks.size(), 3u);
  EXPECT_EQ(batch->chunks[0], (BatchedChunk{testing::chunk_id_filled(1), 0, 100}));
  EXPECT_EQ(batch->chunks[1], (BatchedChunk{testing::chunk_id_filled(2), 100, 50}));
  EXPECT_EQ(batch->chunks[2], (BatchedChunk{testing::chunk_id_filled(3), 150, 7}));
  EXPECT_EQ(batch->key, replicate::PlacerKey{key});
}

TEST(PutBatchWire, SizesThatDoNotAddUpToThePayloadAreRefused) {
  const wire::Envelope env = put_batch_to_wire({{testing::chunk_id_filled(1), 100}, {testing::chunk_id_filled(2), 50}}, {});
  for (std::size_t payload : {0u, 149u, 151u, 100u}) {
    auto batch = put_batch_from_wire(env, payload);
    ASSERT_FALSE(batch.ok()) << payload;
    EXPECT_EQ(batch.error().code, Errc::corrupt);
  }
}

TEST(PutBatchWire, ABatchBeyondTheProtocolsBoundsIsRefusedWhole) {
  std::vector<std::pair<ChunkId, std::size_t>> many(replicate::kMaxPutBatchChunks + 1, {testing::chunk_id_filled(1), 10});
  auto batch = put_batch_from_wire(put_batch_to_wire(many, {}), many.size() * 10);
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().code, Errc::too_large);

  const std::size_t big = replicate::kMaxBatchedChunkSize + 1;
  batch = put_batch_from_wire(put_batch_to_wire({{testing::chunk_id_filled(1), big}}, {}), big);
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().code, Errc::too_large);

  batch = put_batch_from_wire(put_batch_to_wire({{testing::chunk_id_filled(1), 10}}, {}), replicate::kMaxPutBatchBytes + 1);
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.error().code, Errc::too_large);
}

TEST(PutBatchWire, AnEmptyBatchAnEmptyChunkAndMalformedFieldsAreRefused) {
  wire::Envelope env;
  env.mutable_put_chunks();
  EXPECT_FALSE(put_batch_from_wire(env, 0).ok());
  EXPECT_FALSE(put_batch_from_wire(put_batch_to_wire({{testing::chunk_id_filled(1), 0}}, {}), 0).ok());
  env = put_batch_to_wire({{testing::chunk_id_filled(1), 10}}, {});
  env.mutable_put_chunks()->mutable_chunks(0)->set_chunk_id(std::string(31, 'x'));
  EXPECT_FALSE(put_batch_from_wire(env, 10).ok());
  env = put_batch_to_wire({{testing::chunk_id_filled(1), 10}}, {});
  env.mutable_put_chunks()->set_placer_key(std::string(33, 'k'));
  EXPECT_FALSE(put_batch_from_wire(env, 10).ok());
  wire::Envelope other;
  other.mutable_put_chunk();
  EXPECT_FALSE(put_batch_from_wire(other, 10).ok());
}

TEST(PutBatchWire, TheAnswerGivesEachChunkItsOwnOutcome) {
  const std::vector<Status> sent{Status{}, make_error(Errc::corrupt, "chunk does not match its ID"),
                                 make_error(Errc::busy, "busy\nforged log line")};
  auto got = put_batch_result_from_wire(put_batch_result_to_wire(sent), 3);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_TRUE((*got)[0].ok());
  ASSERT_FALSE((*got)[1].ok());
  EXPECT_EQ((*got)[1].error().code, Errc::corrupt);
  EXPECT_EQ((*got)[1].error().message, "chunk does not match its ID");
  ASSERT_FALSE((*got)[2].ok());
  EXPECT_EQ((*got)[2].error().code, Errc::busy);
  EXPECT_EQ((*got)[2].error().message.find('\n'), std::string::npos) << "a peer's text must stay on one line";
}

TEST(PutBatchWire, AnAnswerWithAnotherNumberOfOutcomesIsCorrupt) {
  auto got = put_batch_result_from_wire(put_batch_result_to_wire({Status{}, Status{}}), 3);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, Errc::corrupt);
  wire::Envelope other;
  other.mutable_put_chunk_result();
  EXPECT_FALSE(put_batch_result_from_wire(other, 0).ok());
}

TEST(PutBatchWire, AnOutcomesTextIsCutAndLocalPathsAreLeftOut) {
  auto got = put_batch_result_from_wire(
      put_batch_result_to_wire({make_error(Errc::io_error, "cannot write /var/lib/dfs/held/x " + std::string(1000, 'y'))}),
      1);
  ASSERT_TRUE(got.ok());
  const std::string& text = (*got)[0].error().message;
  EXPECT_LE(text.size(), net::kMaxPeerErrorText);
  EXPECT_EQ(text.find("/var/lib"), std::string::npos) << text;
}

}  // namespace
}  // namespace dfs::p2p
