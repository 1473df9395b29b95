// Fuzzes the batched PUT's decoders (issue 12, p2p/chunk_wire.hpp) on
// what a peer sends: a PUT_CHUNKS request with the size of its frame's
// payload, and a PUT_CHUNKS answer.
//
// Input: 3 bytes of payload size (little-endian, up to 16 MiB, past the
// batch's bound), then an Envelope.
//
// Properties: a decoded request is within the protocol's bounds (1 to
// kMaxPutBatchChunks chunks of 1 to kMaxBatchedChunkSize bytes each, end
// to end, adding up to the payload) and re-encodes to a request that
// decodes to the same; a decoded answer has one outcome per chunk, each
// error's text printable and bounded, and re-encodes to the same codes.
#include "dfs/net/wire_codes.hpp"
#include "dfs/p2p/chunk_wire.hpp"
#include "dfs/replicate/config.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  if (size < 3) return 0;
  const std::size_t payload_size = data[0] | (data[1] << 8) | (data[2] << 16);
  wire::Envelope env;
  if (!env.ParseFromArray(data + 3, static_cast<int>(size - 3))) return 0;

  if (auto batch = p2p::put_batch_from_wire(env, payload_size); batch.ok()) {
    FUZZ_CHECK(env.has_put_chunks());
    FUZZ_CHECK(!batch->chunks.empty() && batch->chunks.size() <= replicate::kMaxPutBatchChunks);
    FUZZ_CHECK(payload_size <= replicate::kMaxPutBatchBytes);
    std::size_t offset = 0;
    std::vector<std::pair<ChunkId, std::size_t>> entries;
    for (const p2p::BatchedChunk& chunk : batch->chunks) {
      FUZZ_CHECK(chunk.offset == offset);
      FUZZ_CHECK(chunk.size >= 1 && chunk.size <= replicate::kMaxBatchedChunkSize);
      offset += chunk.size;
      entries.emplace_back(chunk.id, chunk.size);
    }
    FUZZ_CHECK(offset == payload_size);
    auto again = p2p::put_batch_from_wire(p2p::put_batch_to_wire(entries, batch->key), payload_size);
    FUZZ_CHECK(again.ok() && again->chunks == batch->chunks && again->key == batch->key);
  }

  const auto count = static_cast<std::size_t>(env.put_chunks_result().outcomes_size());
  if (auto outcomes = p2p::put_batch_result_from_wire(env, count); outcomes.ok()) {
    FUZZ_CHECK(env.has_put_chunks_result() && outcomes->size() == count);
    for (const Status& outcome : *outcomes) {
      if (outcome.ok()) continue;
      const std::string& text = outcome.error().message;
      FUZZ_CHECK(text.size() <= net::kMaxPeerErrorText);
      for (char c : text) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
    }
    auto again = p2p::put_batch_result_from_wire(p2p::put_batch_result_to_wire(*outcomes), count);
    FUZZ_CHECK(again.ok());
    for (std::size_t i = 0; i < count; ++i) {
      FUZZ_CHECK((*again)[i].ok() == (*outcomes)[i].ok());
      if (!(*again)[i].ok()) FUZZ_CHECK((*again)[i].error().code == (*outcomes)[i].error().code);
    }
  }
  if (count != 0) FUZZ_CHECK(!p2p::put_batch_result_from_wire(env, count - 1).ok());
  return 0;
}
