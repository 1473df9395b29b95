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
#include "dfs/chunk/directory.hpp"
#include "dfs/chunk/file_id.hpp"
#include "dfs/chunk/manifest.hpp"
#include "dfs/chunk/recovery_pointer.hpp"
#include "dfs/crypto/recovery_key.hpp"
#include "dfs/dht/signed_record.hpp"
#include "dfs/store/verified_files.hpp"
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

ManifestEntry chunk_entry(std::uint8_t n, std::uint32_t size) {
  return ManifestEntry{0, ChunkRef{id_filled(n), size, fuzz::fixed_key()}};
}

// The segments of a 5-chunk file split 2 + 2 + 1, as seal_manifest would
// (in `version`'s format).
std::vector<ManifestSegment> chained_segments(std::uint8_t version = kManifestFormatVersion) {
  const std::uint32_t chunk_size = kMinChunkSize;
  std::vector<ManifestEntry> refs;
  for (std::uint8_t i = 0; i < 5; ++i) refs.push_back(chunk_entry(i, i < 4 ? chunk_size : 100));
  std::vector<ManifestSegment> segs(3);
  for (ManifestSegment& seg : segs) seg.version = version;
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
  seg.entries = {chunk_entry(7, 10)};
  return seg;
}

// A sparse file: a chunk, a run of holes, a chunk.
ManifestSegment sparse_file_head() {
  ManifestSegment seg;
  seg.is_head = true;
  seg.chunk_size = kMinChunkSize;
  seg.file_size = 1000ull * kMinChunkSize + 5;
  seg.total_chunks = 1001;
  seg.entries = {chunk_entry(1, kMinChunkSize), ManifestEntry::hole_run(999), chunk_entry(2, 5)};
  return seg;
}

// A directory of one entry of every type, in name order.
DirectorySegment directory_head() {
  DirectorySegment seg;
  seg.is_head = true;
  auto add = [&](std::string name, EntryType type, std::uint32_t mode) -> DirEntry& {
    DirEntry e;
    e.name = std::move(name);
    e.type = type;
    e.mode = mode;
    e.mtime_seconds = 1700000000;
    e.mtime_nanoseconds = 5;
    seg.entries.push_back(std::move(e));
    return seg.entries.back();
  };
  DirEntry& file = add("a file", EntryType::file, 0644);
  file.size = 10;
  file.id = FileId{id_filled(3), fuzz::fixed_key(), IdKind::file};
  add("fifo", EntryType::fifo, 0600);
  DirEntry& link = add("link", EntryType::symlink, 0777);
  link.target = "../target";
  link.size = link.target.size();
  DirEntry& sub = add("sub", EntryType::directory, 0755);
  sub.id = FileId{id_filled(4), fuzz::fixed_key(), IdKind::directory};
  seg.total_entries = seg.entries.size();
  return seg;
}

// Version 5: directory_head() and two small files whose bytes lie in the
// head itself (an inline pack), as put -r writes a directory of source files.
DirectorySegment inline_head() {
  DirectorySegment seg = directory_head();
  const auto inline_bytes = std::make_shared<const Bytes>(Bytes{'i', 'n', 'l', 'i', 'n', 'e'});
  for (const char* name : {"u-inline", "v-inline"}) {
    DirEntry& e = seg.entries.emplace_back();
    e.name = name;
    e.mode = 0644;
    e.size = 3;
    e.packed = PackedRef{{}, crypto::SecretKey::from_bytes({}), name[0] == 'u' ? 0u : 3u, inline_bytes};
  }
  seg.total_entries = seg.entries.size();
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

  FileId dir_id = file_id;
  dir_id.kind = IdKind::directory;
  write_text(root / "fuzz_file_id", "valid_directory", dir_id.to_string());
  // The first format, as tests/fixtures/format_v1 holds one: no kind tag.
  write_text(root / "fuzz_file_id", "valid_first_format",
             "dfs1ty6mhfznenphvy46nfxdpqrl7yq6upgocuoturapakmvoo3xjsntngnx7w6codfoyuvhsncvxtuyl2fgcvyqnyqkzbxblsajx5cttuy");

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
  write(root / "fuzz_manifest_segment", "sparse_file", encode_manifest_segment(sparse_file_head()));
  write(root / "fuzz_manifest_segment", "first_format_head", encode_manifest_segment(chained_segments(kManifestFormatV1)[0]));
  write(root / "fuzz_directory_segment", "every_type", encode_directory_segment(directory_head()));
  DirectorySegment with_metadata = directory_head();
  with_metadata.entries[0].owner = EntryOwner{1000, 1000};
  with_metadata.entries[0].atime = EntryTime{1700000000, 7};
  with_metadata.entries[0].link = 3;
  with_metadata.entries[0].xattrs = {{"user.k", Bytes{1, 2, 3}}};
  write(root / "fuzz_directory_segment", "with_metadata", encode_directory_segment(with_metadata));
  DirectorySegment empty;
  empty.is_head = true;
  write(root / "fuzz_directory_segment", "empty", encode_directory_segment(empty));
  // Version 3: a packed file beside one by File ID.
  DirectorySegment with_pack = directory_head();
  DirEntry& packed = with_pack.entries.emplace_back();
  packed.name = "x-packed";  // after directory_head()'s names
  packed.mode = 0644;
  packed.size = 7;
  packed.packed = PackedRef{id_filled(5), fuzz::fixed_key(), 4096, nullptr};
  with_pack.total_entries = with_pack.entries.size();
  write(root / "fuzz_directory_segment", "with_pack", encode_directory_segment(with_pack));
  // Version 4: a namespace snapshot's root, with its own attributes.
  DirectorySegment with_self = with_pack;
  with_self.self = DirSelf{0750, EntryTime{1700000000, 9}, EntryOwner{1000, 1000}, EntryTime{1700000001, 0},
                           {{"user.root", Bytes{4, 5}}}};
  write(root / "fuzz_directory_segment", "with_self", encode_directory_segment(with_self));
  // Version 5: files inline in the head, after one of every type.
  write(root / "fuzz_directory_segment", "with_inline", encode_directory_segment(inline_head()));
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
  write(dir, "sparse_file", fuzz::join_chain_input({{0, encode_manifest_segment(sparse_file_head())}}));
  std::vector<ChainSegment> first_format;
  for (const ManifestSegment& seg : chained_segments(kManifestFormatV1)) {
    first_format.push_back({seg.next ? fuzz::kLinkFlag : std::uint8_t{0}, encode_manifest_segment(seg)});
  }
  write(dir, "first_format_three_segments", fuzz::join_chain_input(first_format));

  // A directory split in two: its first two entries, then the rest.
  DirectorySegment head = directory_head();
  DirectorySegment tail;
  tail.entries.assign(head.entries.begin() + 2, head.entries.end());
  head.entries.resize(2);
  head.next = id_filled(0xee);  // a placeholder: the harness links it
  write(root / "fuzz_directory_chain", "two_segments",
        fuzz::join_chain_input({{fuzz::kLinkFlag, encode_directory_segment(head)}, {0, encode_directory_segment(tail)}}));
  // Version 5: a head with its inline pack, then a continuation (version 1)
  // whose file is named by its File ID.
  DirectorySegment inline_first = inline_head();
  DirectorySegment after;
  DirEntry& later = after.entries.emplace_back();
  later.name = "w-later";
  later.mode = 0644;
  later.size = 10;
  later.id = FileId{id_filled(6), fuzz::fixed_key(), IdKind::file};
  inline_first.total_entries = inline_first.entries.size() + 1;
  inline_first.next = id_filled(0xee);  // a placeholder: the harness links it
  write(root / "fuzz_directory_chain", "inline_head_then_more",
        fuzz::join_chain_input({{fuzz::kLinkFlag, encode_directory_segment(inline_first)},
                                {0, encode_directory_segment(after)}}));
  write(root / "fuzz_directory_chain", "single_segment", fuzz::join_chain_input({{0, encode_directory_segment(directory_head())}}));
}
}  // namespace

void recovery_seeds(const fs::path& root, const crypto::SecretKey& key) {
  const auto writer = crypto::SigningKey::from_seed(key);
  write(root / "fuzz_signed_record", "small", dht::encode_signed_value(writer, 7, Bytes{1, 2, 3}).value());
  write(root / "fuzz_signed_record", "empty_payload", dht::encode_signed_value(writer, 0, {}).value());
  write(root / "fuzz_signed_record", "largest",
        dht::encode_signed_value(writer, UINT64_MAX, Bytes(dht::kMaxSignedPayload, 0x33)).value());
  const auto recovery = crypto::RecoveryKey::from_secret(key);
  write_text(root / "fuzz_recovery_key", "file", recovery.to_file_text());
  write_text(root / "fuzz_recovery_key", "printable", recovery.to_text());
  RecoveryPointer pointer;
  for (std::uint8_t i = 0; i < 3; ++i) {
    pointer.snapshots.push_back(SnapshotRef{FileId{id_filled(i), key, IdKind::directory}, 1000 - i, 7, 4096});
  }
  write(root / "fuzz_recovery_pointer", "three", encode_pointer(pointer));
}

void verified_files_seeds(const fs::path& root) {
  const fs::path dir = root / "fuzz_verified_files";
  store::VerifiedFiles verified;
  write(dir, "empty", verified.encode());
  verified.remember(id_filled(1), store::FileStamp{2049, 12, 1048605, 1796661856413858324, 1796661856413858324});
  write(dir, "one", verified.encode());
  verified.remember(id_filled(2), store::FileStamp{2049, 13, 4096, 1, 2});
  verified.remember(id_filled(1), store::FileStamp{2049, 14, 4096, 3, 4});
  write(dir, "remembered_again", verified.encode());
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR   (e.g. tests/fuzz/corpus)\n", argv[0]);
    return 2;
  }
  const fs::path root = argv[1];
  const crypto::SecretKey key = fuzz::fixed_key();
  try {
    text_seeds(root, FileId{id_filled(0x5a), key, IdKind::file});
    segment_seeds(root);
    sealed_chunk_seeds(root, key);
    chain_seeds(root);
    recovery_seeds(root, key);
    verified_files_seeds(root);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz_make_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
