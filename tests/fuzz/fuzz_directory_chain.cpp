// Fuzzes load_directory over a chain of segments built from the input (see
// chain_input.hpp), as fuzz_manifest_chain does for file manifests: what a
// peer handed a directory ID gets, where the sharer may be the attacker.
//
// Properties: no crash, no unbounded work; an accepted snapshot satisfies
// directory.hpp's rules (safe, unique, sorted names; IDs only on files and
// directories, packs only on files and within their bounds, inline ones
// named by the head and key that hold them); and it seals (in small
// segments, so it chains) and loads back to itself.
#include "chain_harness.hpp"
#include "dfs/chunk/directory.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace dfs;
  static const crypto::SecretKey key = fuzz::fixed_key();
  auto segments = fuzz::split_chain_input(ByteView(data, size));
  if (segments.empty()) return 0;

  fuzz::ChunkMap chunks;
  const ChunkId head = fuzz::build_chain(key, ChunkKind::directory, segments, chunks);
  auto directory = load_directory(key, head, fuzz::fetcher_over(chunks));
  if (!directory.ok()) return 0;

  FUZZ_CHECK(directory->validate().ok());
  for (const DirEntry& e : directory->entries) FUZZ_CHECK(directory->find(e.name) == &e);

  auto resealed = seal_directory(*directory, 512);
  FUZZ_CHECK(resealed.ok());
  fuzz::ChunkMap again;
  for (const SealedChunk& s : resealed->segments) again[s.id] = s.bytes;
  auto reloaded = load_directory(resealed->key, resealed->head, fuzz::fetcher_over(again));
  FUZZ_CHECK(reloaded.ok());
  // An inline file (format 5) is named by the head and key that hold it:
  // after resealing, the new head's and key.
  for (DirEntry& e : directory->entries) {
    if (e.packed && e.packed->is_inline()) {
      FUZZ_CHECK(e.packed->pack == head && e.packed->key == key);
      e.packed->pack = resealed->head;
      e.packed->key = resealed->key;
    }
  }
  FUZZ_CHECK(*reloaded == *directory);
  return 0;
}
