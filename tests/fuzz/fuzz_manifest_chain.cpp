// Fuzzes load_manifest over a chain of segments built from the input (see
// chain_input.hpp): verification, decryption and decoding of each segment
// (both formats), the head/continuation rules, hole runs, and the bounds
// that stop overlong chains.
//
// Properties: no crash, no unbounded work; an accepted manifest satisfies
// manifest.hpp's invariant (its entries cover the file's chunks and each
// stored chunk holds its share of the size); and it seals (under a fresh
// key, in format 2) and loads back to itself.
#include "chain_harness.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  static const crypto::SecretKey key = fuzz::fixed_key();
  auto segments = fuzz::split_chain_input(ByteView(data, size));
  if (segments.empty()) return 0;

  fuzz::ChunkMap chunks;
  const ChunkId head = fuzz::build_chain(key, ChunkKind::manifest, segments, chunks);
  auto manifest = load_manifest(key, head, fuzz::fetcher_over(chunks));
  if (!manifest.ok()) return 0;

  FUZZ_CHECK(manifest->validate().ok());
  std::uint64_t covered = 0, stored = 0;
  for (const ManifestEntry& entry : manifest->entries()) {
    covered += entry.span();
    if (!entry.is_hole()) stored += entry.chunk.plain_size;
  }
  FUZZ_CHECK(covered == manifest->chunk_count());
  FUZZ_CHECK(stored <= manifest->file_size);

  // Re-seal in a few segments (a chain, when there are entries to split).
  const auto per_segment = static_cast<std::uint32_t>(manifest->entries().size() / 3 + 1);
  auto resealed = seal_manifest(*manifest, per_segment);
  FUZZ_CHECK(resealed.ok());
  fuzz::ChunkMap again;
  for (const SealedChunk& s : resealed->segments) again[s.id] = s.bytes;
  auto reloaded = load_manifest(resealed->key, resealed->head, fuzz::fetcher_over(again));
  FUZZ_CHECK(reloaded.ok());
  FUZZ_CHECK(*reloaded == *manifest);
  return 0;
}
