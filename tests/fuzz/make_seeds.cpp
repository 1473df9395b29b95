// Writes the seed corpus: a few valid inputs per target, so each fuzzer
// starts from inputs that pass its decoder instead of rediscovering the
// formats byte by byte.
//
//     fuzz_make_seeds tests/fuzz/corpus
//
// The seeds are committed; run this again only when a format changes.
// Sealed seeds use random nonces, so their bytes differ from run to run.
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "chain_input.hpp"
#include "dfs/chunk/file_id.hpp"
#include "dfs/chunk/manifest.hpp"
#include "dfs/util/encoding.hpp"
#include "fuzz_common.hpp"

namespace {
using namespace dfs;
namespace fs = std::filesystem;

ChunkId id_filled(std::uint8_t n) {
  ChunkId id;
  id.bytes.fill(n);
  return id;
}

void write(const fs::path& dir, const std::string& name, ByteView bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
}

void write_text(const fs::path& dir, const std::string& name, std::string_view text) {
  write(dir, name, as_bytes(text));
}

Bytes prefixed(std::uint8_t first, ByteView rest) {
  Bytes out{first};
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

// The segments of a 5-chunk file split 2 + 2 + 1, as seal_manifest would.
std::vector<ManifestSegment> chained_segments() {
  const std::uint32_t chunk_size = kMinChunkSize;
  std::vector<ChunkRef> refs;
  for (std::uint8_t i = 0; i < 5; ++i) refs.push_back({id_filled(i), i < 4 ? chunk_size : 100});
  std::vector<ManifestSegment> segs(3);
  segs[0].is_head = true;
  segs[0].file_size = 4ull * chunk_size + 100;
  segs[0].chunk_size = chunk_size;
  segs[0].total_chunks = refs.size();
  for (std::size_t i = 0; i < refs.size(); ++i) segs[i / 2].entries.push_back(refs[i]);
  segs[0].next = id_filled(0xee);  // placeholders: the chain harness links them
  segs[1].next = id_filled(0xee);
  return segs;
}

ManifestSegment small_file_head() {
  ManifestSegment seg;
  seg.is_head = true;
  seg.file_size = 10;
  seg.chunk_size = kDefaultChunkSize;
  seg.total_chunks = 1;
  seg.entries = {{id_filled(7), 10}};
  return seg;
}

ManifestSegment empty_file_head() {
  ManifestSegment seg;
  seg.is_head = true;
  seg.chunk_size = kDefaultChunkSize;
  return seg;
}

void text_seeds(const fs::path& root, const FileId& file_id) {
  const std::string id = file_id.to_string();
  write_text(root / "fuzz_file_id", "valid", id);
  write_text(root / "fuzz_file_id", "valid_upper_body", id.substr(0, 4) + [&] {
    std::string body = id.substr(4);
    for (char& c : body) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return body;
  }());

  write_text(root / "fuzz_base32", "file_id_body", id.substr(4));
  write_text(root / "fuzz_base32", "short", to_base32(as_bytes("hello")));
  write_text(root / "fuzz_base32", "mixed_case", "MfRgG");

  write_text(root / "fuzz_hex", "chunk_id", file_id.manifest.hex());
  write_text(root / "fuzz_hex", "upper", "DEADBEEF");
  write_text(root / "fuzz_address", "ipv4", "10.201.0.1:4001");
  write_text(root / "fuzz_address", "ipv6", "[fd0d:f500::c]:4001");
  write_text(root / "fuzz_address", "name", "peer-7.example.org:65535");
}

void segment_seeds(const fs::path& root) {
  const auto segs = chained_segments();
  write(root / "fuzz_manifest_segment", "head_with_next", encode_manifest_segment(segs[0]));
  write(root / "fuzz_manifest_segment", "continuation_last", encode_manifest_segment(segs[2]));
  write(root / "fuzz_manifest_segment", "empty_file", encode_manifest_segment(empty_file_head()));
}

void sealed_chunk_seeds(const fs::path& root, const crypto::SecretKey& key) {
  const fs::path dir = root / "fuzz_sealed_chunk";
  const Bytes data = seal_chunk(key, ChunkKind::data, as_bytes("some file content")).bytes;
  const Bytes manifest = seal_chunk(key, ChunkKind::manifest, encode_manifest_segment(small_file_head())).bytes;
  write(dir, "open_data", prefixed(0, data));
  write(dir, "open_manifest", prefixed(2, manifest));
  write(dir, "open_empty_data", prefixed(0, seal_chunk(key, ChunkKind::data, {}).bytes));
  write(dir, "seal_data", prefixed(1, as_bytes("plaintext to seal")));
}

void chain_seeds(const fs::path& root) {
  const fs::path dir = root / "fuzz_manifest_chain";
  using fuzz::ChainSegment;
  std::vector<ChainSegment> chain;
  for (const ManifestSegment& seg : chained_segments()) {
    chain.push_back({seg.next ? fuzz::kLinkFlag : std::uint8_t{0}, encode_manifest_segment(seg)});
  }
  write(dir, "three_segments", fuzz::join_chain_input(chain));
  write(dir, "single_segment", fuzz::join_chain_input({{0, encode_manifest_segment(small_file_head())}}));
  write(dir, "empty_file", fuzz::join_chain_input({{0, encode_manifest_segment(empty_file_head())}}));
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR   (e.g. tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  const crypto::SecretKey key = fuzz::fixed_key();
  try {
    text_seeds(root, FileId{id_filled(0x5a), key});
    segment_seeds(root);
    sealed_chunk_seeds(root, key);
    chain_seeds(root);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_make_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
