#include "dfs/chunk/directory.hpp"
#include "dfs/util/encoding.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <map>
#include <memory>

namespace dfs {
namespace {

FileId id_of(IdKind kind, std::uint8_t n) {
  FileId id;
  id.manifest.bytes.fill(n);
  id.key = crypto::SecretKey::generate();
  id.kind = kind;
  return id;
}

DirEntry file(std::string name, std::uint64_t size = 10) {
  DirEntry e;
  e.name = std::move(name);
  e.type = EntryType::file;
  e.mode = 0644;
  e.mtime_seconds = 1700000000;
  e.mtime_nanoseconds = 123456789;
  e.size = size;
  e.id = id_of(IdKind::file, 1);
  return e;
}

DirEntry symlink(std::string name, std::string target) {
  DirEntry e;
  e.name = std::move(name);
  e.type = EntryType::symlink;
  e.mode = 0777;
  e.mtime_seconds = -5;  // before 1970: still representable
  e.size = target.size();
  e.target = std::move(target);
  return e;
}

// Every kind of entry, with the awkward names put -r must carry.
Directory sample() {
  Directory d;
  d.entries.push_back(file("\n newline and space"));
  DirEntry fifo;
  fifo.name = "a fifo";
  fifo.type = EntryType::fifo;
  fifo.mode = 0600;
  d.entries.push_back(fifo);
  DirEntry sub;
  sub.name = "sub";
  sub.type = EntryType::directory;
  sub.mode = 0755;
  sub.size = 12345;
  sub.id = id_of(IdKind::directory, 2);
  d.entries.push_back(sub);
  d.entries.push_back(symlink("z-link", "../somewhere/else"));
  d.entries.push_back(file(std::string("\xff\xfe not utf-8", 12), 0));
  return d;
}

// Bytes from hex digits, for segments checked in as written by earlier builds.
Bytes hex(std::string_view text) { return from_hex(text).value(); }

struct SegmentMap {
  std::map<ChunkId, Bytes> chunks;
  void add(const SealedManifest& sm) {
    for (const auto& s : sm.segments) chunks[s.id] = s.bytes;
  }
  ChunkFetcher fetcher() {
    return [this](const ChunkId& id) -> Result<Bytes> {
      auto it = chunks.find(id);
      if (it == chunks.end()) return make_error(Errc::not_found, "no chunk " + id.short_hex());
      return it->second;
    };
  }
};

TEST(Directory, EachEntryTypeMapsToItsModeBitsAndBackAndNoOtherModeHasOne) {
  for (EntryType type : {EntryType::file, EntryType::directory, EntryType::symlink, EntryType::fifo,
                         EntryType::socket, EntryType::char_device, EntryType::block_device}) {
    EXPECT_EQ(entry_type_of_mode(mode_bits_of(type) | 0644), type);
  }
  EXPECT_EQ(mode_bits_of(EntryType::symlink), static_cast<std::uint32_t>(S_IFLNK));
  EXPECT_EQ(entry_type_of_mode(0644), std::nullopt) << "no S_IFMT bits";
  EXPECT_EQ(entry_type_of_mode(0170000), std::nullopt) << "every S_IFMT bit";
}

TEST(Directory, EveryKindOfEntryRoundTripsThroughTheSegmentCodec) {
  DirectorySegment seg;
  seg.is_head = true;
  seg.entries = sample().entries;
  seg.total_entries = seg.entries.size();
  const Bytes bytes = encode_directory_segment(seg);
  auto back = decode_directory_segment(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->entries, seg.entries);
  EXPECT_EQ(encode_directory_segment(*back), bytes);
}

TEST(Directory, ALargeDirectoryChainsAndLoadsBackWhole) {
  Directory d;
  for (int i = 0; i < 500; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "file-%04d", i);
    d.entries.push_back(file(name, static_cast<std::uint64_t>(i)));
  }
  auto sealed = seal_directory(d, 4096);
  ASSERT_TRUE(sealed.ok()) << sealed.error().to_string();
  EXPECT_GT(sealed->segments.size(), 10u);
  SegmentMap store;
  store.add(*sealed);
  auto loaded = load_directory(sealed->key, sealed->head, store.fetcher());
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(*loaded, d);
  ASSERT_NE(loaded->find("file-0321"), nullptr);
  EXPECT_EQ(loaded->find("file-0321")->size, 321u);
  EXPECT_EQ(loaded->find("file-9999"), nullptr);
}

TEST(Directory, AnEmptyDirectorySealsToOneSegment) {
  auto sealed = seal_directory(Directory{}).value();
  EXPECT_EQ(sealed.segments.size(), 1u);
  SegmentMap store;
  store.add(sealed);
  EXPECT_TRUE(load_directory(sealed.key, sealed.head, store.fetcher()).value().entries.empty());
}

TEST(Directory, NamesThatCouldLeaveTheTreeOrCollideAreRefused) {
  for (std::string bad : {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
                          std::string("nul\0in", 6), std::string(256, 'x')}) {
    EXPECT_FALSE(check_entry_name(bad).ok()) << bad;
    Directory d;
    d.entries.push_back(file(bad));
    EXPECT_FALSE(seal_directory(d).ok()) << bad;
  }
  EXPECT_TRUE(check_entry_name(std::string(255, 'x')).ok());
  Directory twice;
  twice.entries = {file("same"), file("same")};
  EXPECT_FALSE(twice.validate().ok());
  Directory unsorted;
  unsorted.entries = {file("b"), file("a")};
  EXPECT_FALSE(unsorted.validate().ok());
}

TEST(Directory, TheDecoderRejectsAForgedNameEvenWhenSealedByTheKeyHolder) {
  DirectorySegment seg;
  seg.is_head = true;
  seg.total_entries = 1;
  seg.entries = {file("ab")};
  Bytes bytes = encode_directory_segment(seg);
  // version, kind, total (8), count (4), name length, then the name.
  ASSERT_EQ(bytes[2 + 8 + 4], 2);
  bytes[2 + 8 + 4 + 1] = '.';
  bytes[2 + 8 + 4 + 2] = '.';
  EXPECT_EQ(decode_directory_segment(bytes).error().code, Errc::corrupt);
  bytes[2 + 8 + 4 + 2] = '/';
  EXPECT_EQ(decode_directory_segment(bytes).error().code, Errc::corrupt);
}

TEST(Directory, TheDecoderRejectsTruncationTrailingBytesAndBadFields) {
  DirectorySegment seg;
  seg.is_head = true;
  seg.total_entries = 1;
  seg.entries = {symlink("l", "target")};
  const Bytes good = encode_directory_segment(seg);
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto r = decode_directory_segment(ByteView(good).first(n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, Errc::truncated) << n << ": " << r.error().message;
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_FALSE(decode_directory_segment(trailing).ok());
  Bytes version = good;
  version[0] = 9;
  EXPECT_EQ(decode_directory_segment(version).error().code, Errc::bad_version);
  const std::size_t type_at = 2 + 8 + 4 + 1 + 1;
  Bytes type = good;
  type[type_at] = 99;
  EXPECT_EQ(decode_directory_segment(type).error().code, Errc::corrupt);
  Bytes mode = good;
  mode[type_at + 2] = 0x10;  // mode 0x1000ff..: past 07777
  EXPECT_EQ(decode_directory_segment(mode).error().code, Errc::corrupt);
  Bytes nanos = good;
  nanos[type_at + 1 + 4 + 8 + 3] = 0xff;  // nanoseconds' high byte
  EXPECT_EQ(decode_directory_segment(nanos).error().code, Errc::corrupt);
  Bytes huge_target = good;
  huge_target[type_at + 1 + 4 + 8 + 4 + 8 + 2] = 1;  // target length 65536 + 6
  EXPECT_EQ(decode_directory_segment(huge_target).error().code, Errc::too_large);
  Bytes huge_total = good;
  huge_total[2 + 7] = 1;  // total entries 2^56 + 1
  EXPECT_EQ(decode_directory_segment(huge_total).error().code, Errc::too_large);
}

TEST(Directory, AChainThatRepeatsNamesAcrossSegmentsOrUnderdeliversIsRejected) {
  auto key = crypto::SecretKey::generate();
  DirectorySegment tail;
  tail.entries = {file("a")};
  SealedChunk st = seal_chunk(key, ChunkKind::directory, encode_directory_segment(tail));
  DirectorySegment head;
  head.is_head = true;
  head.total_entries = 2;
  head.entries = {file("b")};
  head.next = st.id;
  SealedChunk sh = seal_chunk(key, ChunkKind::directory, encode_directory_segment(head));
  SegmentMap store;
  store.chunks[st.id] = st.bytes;
  store.chunks[sh.id] = sh.bytes;
  EXPECT_EQ(load_directory(key, sh.id, store.fetcher()).error().code, Errc::corrupt);

  head.total_entries = 3;
  head.next.reset();
  SealedChunk short_head = seal_chunk(key, ChunkKind::directory, encode_directory_segment(head));
  store.chunks[short_head.id] = short_head.bytes;
  EXPECT_EQ(load_directory(key, short_head.id, store.fetcher()).error().code, Errc::corrupt);
}

TEST(Directory, ADirectoryIdOpensNeitherAFileManifestNorTheReverse) {
  auto sealed = seal_directory(sample()).value();
  SegmentMap store;
  store.add(sealed);
  EXPECT_EQ(load_manifest(sealed.key, sealed.head, store.fetcher()).error().code, Errc::corrupt);
  Manifest m;
  m.chunk_size = 4096;
  auto file_sealed = seal_manifest(m).value();
  store.add(file_sealed);
  EXPECT_EQ(load_directory(file_sealed.key, file_sealed.head, store.fetcher()).error().code, Errc::corrupt);
}

// Every optional field a namespace snapshot carries.
Directory with_metadata() {
  Directory d = sample();
  DirEntry& f = d.entries[0];
  f.owner = EntryOwner{1000, 100};
  f.atime = EntryTime{1700000001, 5};
  f.link = 42;
  f.xattrs = {{"user.a", Bytes{1, 2}}, {"user.b", Bytes{}}};
  DirEntry dev;
  dev.name = "dev";
  dev.type = EntryType::char_device;
  dev.mode = 0600;
  dev.rdev = 0x0103;
  d.entries.insert(d.entries.begin() + 2, dev);
  return d;
}

DirectorySegment head_of(const Directory& d) {
  DirectorySegment seg;
  seg.is_head = true;
  seg.entries = d.entries;
  seg.total_entries = seg.entries.size();
  return seg;
}

TEST(Directory, MetadataRoundTripsAsVersionTwoAndPlainEntriesStayVersionOne) {
  const Bytes plain = encode_directory_segment(head_of(sample()));
  EXPECT_EQ(plain[0], kDirectoryFormatVersion);
  const DirectorySegment seg = head_of(with_metadata());
  const Bytes bytes = encode_directory_segment(seg);
  EXPECT_EQ(bytes[0], kDirectoryFormatWithMetadata);
  auto back = decode_directory_segment(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->entries, seg.entries);
  EXPECT_EQ(encode_directory_segment(*back), bytes);
  const Directory d = with_metadata();
  auto sealed = seal_directory(d, 64);
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  SegmentMap store;
  store.add(*sealed);
  EXPECT_EQ(load_directory(sealed->key, sealed->head, store.fetcher()).value(), d);
}

TEST(Directory, AVersionTwoSegmentWithoutMetadataIsNotCanonical) {
  // One plain entry, rewritten as version 2 with an empty metadata block.
  DirectorySegment one;
  one.is_head = true;
  one.total_entries = 1;
  one.entries = {file("x")};
  Bytes bytes = encode_directory_segment(one);
  bytes[0] = kDirectoryFormatWithMetadata;
  bytes.insert(bytes.end() - 1, 0);  // flags 0, before has_next
  EXPECT_EQ(decode_directory_segment(bytes).error().code, Errc::corrupt);
}

TEST(Directory, MetadataThatDoesNotFitItsEntryIsRefused) {
  auto refused = [](auto change) {
    Directory d = with_metadata();
    change(d);
    return !d.validate().ok() && !seal_directory(d).ok();
  };
  EXPECT_TRUE(refused([](Directory& d) { d.entries[0].rdev = 1; }));            // a file with a device number
  EXPECT_TRUE(refused([](Directory& d) { d.entries[0].link = 0; }));            // link 0
  EXPECT_TRUE(refused([](Directory& d) { d.entries[1].link = 7; }));            // a fifo with a link number
  EXPECT_TRUE(refused([](Directory& d) { std::swap(d.entries[0].xattrs[0], d.entries[0].xattrs[1]); }));
  EXPECT_TRUE(refused([](Directory& d) { d.entries[0].xattrs[0].name.clear(); }));
  EXPECT_TRUE(refused([](Directory& d) { d.entries[0].xattrs[0].value.resize(kMaxXattrValue + 1); }));
  EXPECT_TRUE(refused([](Directory& d) { d.entries[0].atime->nanoseconds = 1'000'000'000; }));
}

TEST(Directory, TheDecoderRejectsUnknownMetadataFlagsAndHugeXattrCounts) {
  DirectorySegment one;
  one.is_head = true;
  one.total_entries = 1;
  one.entries = {file("x")};
  one.entries[0].xattrs = {{"user.a", Bytes{9}}};
  const Bytes good = encode_directory_segment(one);
  // The metadata block: flags, count (4), name length, name (6), value length (4), value (1); then has_next.
  const std::size_t flags_at = good.size() - 1 - 1 - 4 - 6 - 1 - 4 - 1;
  ASSERT_EQ(good[flags_at], 16);
  Bytes unknown = good;
  unknown[flags_at] = 16 | 64;
  EXPECT_EQ(decode_directory_segment(unknown).error().code, Errc::corrupt);
  Bytes huge = good;
  huge[flags_at + 4] = 0x7f;  // count's high byte
  EXPECT_FALSE(decode_directory_segment(huge).ok());
  Bytes zero = good;
  zero[flags_at + 1] = 0;  // count 0 with the xattrs bit set
  EXPECT_FALSE(decode_directory_segment(zero).ok());
}

// ---- packed files (format version 3) ----------------------------------------

DirEntry packed(std::string name, std::uint64_t size, std::uint32_t offset, const PackedRef& pack) {
  DirEntry e = file(std::move(name), size);
  e.id.reset();
  e.packed = PackedRef{pack.pack, pack.key, offset, nullptr};
  return e;
}

PackedRef some_pack() {
  PackedRef ref;
  ref.pack.bytes.fill(7);
  ref.key = crypto::SecretKey::generate();
  return ref;
}

DirectorySegment one_entry(DirEntry e) {
  DirectorySegment seg;
  seg.is_head = true;
  seg.total_entries = 1;
  seg.entries = {std::move(e)};
  return seg;
}

TEST(Directory, PackedFilesRoundTripAsVersionThreeBesideEveryOtherKindOfEntry) {
  const PackedRef pack = some_pack();
  Directory d = with_metadata();
  d.entries.insert(d.entries.begin(), packed("\x01 packed first", 5, 0, pack));
  d.entries.push_back(packed("\xff\xff packed last", kMaxPackBytes - 5, 5, pack));
  ASSERT_TRUE(d.validate().ok()) << d.validate().error().message;
  const DirectorySegment seg = head_of(d);
  const Bytes bytes = encode_directory_segment(seg);
  EXPECT_EQ(bytes[0], kDirectoryFormatWithPacks);
  auto back = decode_directory_segment(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->entries, seg.entries);
  EXPECT_EQ(encode_directory_segment(*back), bytes);
  auto sealed = seal_directory(d, 64);
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  SegmentMap store;
  store.add(*sealed);
  EXPECT_EQ(load_directory(sealed->key, sealed->head, store.fetcher()).value(), d);
}

// A version 1 segment as the encoder wrote it before packs existed (commit
// 9dc9802; the same bytes as tests/fuzz/corpus/fuzz_directory_segment/every_type).
TEST(Directory, AVersionOneSegmentWrittenBeforePacksStillReadsBitExact) {
  const Bytes old = hex(
      "010004000000000000000400000006612066696c6501a401000000f1536500000000050000000a000000000000000303"
      "030303030303030303030303030303030303030303030303030303030303a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1"
      "b2b3b4b5b6b7b8b9babbbcbdbebf046669666f048001000000f1536500000000050000000000000000000000046c696e"
      "6b03ff01000000f1536500000000050000000900000000000000090000002e2e2f7461726765740373756202ed010000"
      "00f153650000000005000000000000000000000004040404040404040404040404040404040404040404040404040404"
      "04040404a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf00");
  auto seg = decode_directory_segment(old);
  ASSERT_TRUE(seg.ok()) << seg.error().message;
  ASSERT_EQ(seg->entries.size(), 4u);
  EXPECT_EQ(seg->entries[0].name, "a file");
  EXPECT_EQ(seg->entries[0].size, 10u);
  ASSERT_TRUE(seg->entries[0].id.has_value());
  EXPECT_FALSE(seg->entries[0].is_packed());
  EXPECT_EQ(seg->entries[0].id->manifest.bytes[0], 3);
  EXPECT_EQ(seg->entries[2].target, "../target");
  EXPECT_TRUE(seg->entries[3].id->is_directory());
  EXPECT_EQ(encode_directory_segment(*seg), old);
}

TEST(Directory, TheDecoderRejectsPackedEntriesThatLeaveTheirPackOrAreEmpty) {
  const PackedRef pack = some_pack();
  const auto refused = [](DirEntry e) {
    const Bytes bytes = encode_directory_segment(one_entry(e));  // the encoder does not validate
    auto r = decode_directory_segment(bytes);
    Directory d;
    d.entries = {e};
    return !r.ok() && r.error().code == Errc::corrupt && !d.validate().ok();
  };
  EXPECT_TRUE(refused(packed("empty", 0, 0, pack)));
  EXPECT_TRUE(refused(packed("past the end", 10, kMaxPackBytes - 9, pack)));
  EXPECT_TRUE(refused(packed("wraps", 2, 0xffffffffu, pack)));
  EXPECT_TRUE(refused(packed("larger than a pack", kMaxPackBytes + 1, 0, pack)));
  EXPECT_TRUE(refused(packed("huge", std::uint64_t{1} << 40, 0, pack)));
  const Bytes good = encode_directory_segment(one_entry(packed("p", kMaxPackBytes, 0, pack)));
  ASSERT_TRUE(decode_directory_segment(good).ok());
  // version, kind, total (8), count (4), name length, "p", type, mode (4), mtime (8), ns (4), size (8): the form.
  const std::size_t form_at = 2 + 8 + 4 + 1 + 1 + 1 + 4 + 8 + 4 + 8;
  ASSERT_EQ(good[form_at], 1);
  Bytes form = good;
  form[form_at] = 2;
  EXPECT_EQ(decode_directory_segment(form).error().code, Errc::corrupt);
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto r = decode_directory_segment(ByteView(good).first(n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, Errc::truncated) << n;
  }
  // Only files are packed; and a file is packed or has a File ID, not both.
  DirEntry dir = packed("d", 5, 0, pack);
  dir.type = EntryType::directory;
  Directory d;
  d.entries = {dir};
  EXPECT_FALSE(d.validate().ok());
  DirEntry both = packed("b", 5, 0, pack);
  both.id = id_of(IdKind::file, 1);
  d.entries = {both};
  EXPECT_FALSE(d.validate().ok());
}

DirSelf root_self() {
  return DirSelf{0701, EntryTime{1600000000, 3}, EntryOwner{1000, 100}, EntryTime{1600000100, 0},
                 {{"user.root", Bytes{9}}}};
}

TEST(Directory, TheDirectorysOwnAttributesRoundTripAsVersionFourInTheHeadOnly) {
  Directory d = with_metadata();
  d.self = root_self();
  ASSERT_TRUE(d.validate().ok()) << d.validate().error().message;
  DirectorySegment seg = head_of(d);
  seg.self = d.self;
  const Bytes bytes = encode_directory_segment(seg);
  EXPECT_EQ(bytes[0], kDirectoryFormatWithSelf);
  auto back = decode_directory_segment(bytes);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->self, d.self);
  EXPECT_EQ(back->entries, seg.entries);
  EXPECT_EQ(encode_directory_segment(*back), bytes);
  // Chained: the head carries it, the continuations are as before.
  auto sealed = seal_directory(d, 64);
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  ASSERT_GT(sealed->segments.size(), 1u);
  SegmentMap store;
  store.add(*sealed);
  auto loaded = load_directory(sealed->key, sealed->head, store.fetcher());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(*loaded, d);
}

TEST(Directory, ASnapshotWithoutItsOwnAttributesStillLoadsAsBefore) {
  const Directory d = with_metadata();  // as written before version 4
  auto sealed = seal_directory(d);
  ASSERT_TRUE(sealed.ok());
  SegmentMap store;
  store.add(*sealed);
  auto loaded = load_directory(sealed->key, sealed->head, store.fetcher());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_FALSE(loaded->self.has_value());
  EXPECT_EQ(*loaded, d);
}

TEST(Directory, AVersionFourContinuationOrOwnAttributesWithoutOwnerOrOfABadModeAreRefused) {
  DirectorySegment seg = one_entry(file("x"));
  seg.self = root_self();
  Bytes bytes = encode_directory_segment(seg);
  Bytes continuation = bytes;
  continuation[1] = 1;  // kind: continuation, which has no count nor self block
  continuation.erase(continuation.begin() + 2, continuation.begin() + 10);
  EXPECT_EQ(decode_directory_segment(continuation).error().code, Errc::corrupt);
  const std::size_t flags_at = 2 + 8 + 4 + 8 + 4;
  ASSERT_EQ(bytes[flags_at], 1 | 2 | 16);  // owner, atime, xattrs
  Bytes no_owner = bytes;
  no_owner[flags_at] = 2 | 16;
  no_owner.erase(no_owner.begin() + flags_at + 1, no_owner.begin() + flags_at + 9);
  EXPECT_EQ(decode_directory_segment(no_owner).error().code, Errc::corrupt);
  seg.self->mode = 010000;
  EXPECT_FALSE(seal_directory(Directory{seg.entries, seg.self}).ok());
}

TEST(Directory, AVersionThreeSegmentWithoutAPackedFileIsNotCanonical) {
  DirEntry e = file("x");
  e.owner = EntryOwner{1, 2};
  Bytes bytes = encode_directory_segment(one_entry(e));
  ASSERT_EQ(bytes[0], kDirectoryFormatWithMetadata);
  bytes[0] = kDirectoryFormatWithPacks;
  const std::size_t form_at = 2 + 8 + 4 + 1 + 1 + 1 + 4 + 8 + 4 + 8;
  bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(form_at), std::uint8_t{0});  // form 0: by File ID
  auto r = decode_directory_segment(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::corrupt);
  EXPECT_NE(r.error().message.find("canonical"), std::string::npos) << r.error().message;
}

TEST(Directory, APackOpensOnlyWithItsKeyAndAnEntryMayNotReachPastItsEnd) {
  const PackedRef pack = [] {
    PackedRef ref;
    ref.key = crypto::SecretKey::generate();
    return ref;
  }();
  const Bytes plain{'a', 'b', 'c', 'd', 'e'};
  const SealedChunk sealed = seal_chunk(pack.key, ChunkKind::data, plain);
  PackedRef ref = pack;
  ref.pack = sealed.id;
  auto opened = open_pack(ref, sealed.bytes);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  const DirEntry cd = packed("cd", 2, 2, ref);
  auto bytes = packed_bytes(cd, *opened);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(Bytes(bytes->begin(), bytes->end()), (Bytes{'c', 'd'}));
  // Valid as an entry (a pack may hold up to kMaxPackBytes), but past this pack's end.
  auto past = packed_bytes(packed("past", 2, 4, ref), *opened);
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error().code, Errc::corrupt);
  EXPECT_NE(past.error().message.find("past the end of its pack"), std::string::npos);
  PackedRef wrong = ref;
  wrong.key = crypto::SecretKey::generate();
  EXPECT_EQ(open_pack(wrong, sealed.bytes).error().code, Errc::corrupt);
  // A manifest or a directory segment is no pack, even under the right key.
  const SealedChunk as_manifest = seal_chunk(pack.key, ChunkKind::manifest, plain);
  EXPECT_EQ(open_pack(ref, as_manifest.bytes).error().code, Errc::corrupt);
  const SealedChunk empty = seal_chunk(pack.key, ChunkKind::data, Bytes{});
  EXPECT_EQ(open_pack(ref, empty.bytes).error().code, Errc::corrupt);
}

// ---- inline packs (format version 5) ----------------------------------------

DirEntry inlined(std::string name, std::uint64_t size, std::uint32_t offset, std::shared_ptr<const Bytes> bytes) {
  DirEntry e = file(std::move(name), size);
  e.id.reset();
  e.packed = PackedRef{{}, crypto::SecretKey::from_bytes({}), offset, std::move(bytes)};
  return e;
}

std::shared_ptr<const Bytes> inline_bytes(std::string_view text) {
  return std::make_shared<const Bytes>(text.begin(), text.end());
}

// What load_directory gives back for `d` sealed as `sealed`: its inline
// entries named by the head segment and the directory's key.
Directory as_loaded(Directory d, const SealedManifest& sealed) {
  for (DirEntry& e : d.entries) {
    if (e.packed && e.packed->is_inline()) {
      e.packed->pack = sealed.head;
      e.packed->key = sealed.key;
    }
  }
  return d;
}

TEST(Directory, InlineFilesRoundTripAsVersionFiveInTheHeadOfAChainBesidePacks) {
  const auto bytes = inline_bytes("hello, world");
  Directory d = with_metadata();
  d.entries.insert(d.entries.begin(), inlined("\x01 inline first", 5, 0, bytes));
  d.entries.insert(d.entries.begin() + 1, packed("\x02 packed", 9, 3, some_pack()));
  d.entries.push_back(inlined("\xff\xff inline last", 7, 5, bytes));  // after entries that would fill the head
  ASSERT_TRUE(d.validate().ok()) << d.validate().error().message;
  auto sealed = seal_directory(d, 64);
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  SegmentMap store;
  store.add(*sealed);
  auto loaded = load_directory(sealed->key, sealed->head, store.fetcher());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(*loaded, as_loaded(d, *sealed));
  // The head holds every inline file; the rest chains as before.
  auto head = decode_directory_segment(decrypt_chunk(sealed->key, ChunkKind::directory, sealed->segments[0].bytes).value());
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->entries.back().name, "\xff\xff inline last");
  // A reader takes an inline file's bytes with no fetch.
  const DirEntry& last = loaded->entries.back();
  auto pack = inline_pack(*last.packed);
  ASSERT_TRUE(pack.has_value());
  auto file_bytes = packed_bytes(last, *pack);
  ASSERT_TRUE(file_bytes.ok());
  EXPECT_EQ(std::string(file_bytes->begin(), file_bytes->end()), ", world");
  EXPECT_FALSE(inline_pack(*loaded->entries[1].packed).has_value());  // a pack chunk is fetched
}

// A version 5 head as this build first wrote it (December 2026): checked in
// so that later builds keep reading it bit-exact. Two inline files in a
// pack of 5 bytes and a symlink.
TEST(Directory, AVersionFiveSegmentReadsBitExact) {
  const Bytes v5 = hex(
      "0500030000000000000005000000616263646503000000016101a401000000f153650000000015cd5b07020000000000"
      "0000020000000000016201a401000000f153650000000015cd5b070300000000000000020200000000016303ff010000"
      "fbffffffffffffff000000000100000000000000010000007a0000");
  auto seg = decode_directory_segment(v5);
  ASSERT_TRUE(seg.ok()) << seg.error().message;
  ASSERT_EQ(seg->entries.size(), 3u);
  const DirEntry& b = seg->entries[1];
  EXPECT_EQ(b.name, "b");
  ASSERT_TRUE(b.packed && b.packed->is_inline());
  EXPECT_EQ(*b.packed->inline_bytes, (Bytes{'a', 'b', 'c', 'd', 'e'}));
  auto bytes = packed_bytes(b, *b.packed->inline_bytes);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(Bytes(bytes->begin(), bytes->end()), (Bytes{'c', 'd', 'e'}));
  EXPECT_EQ(seg->entries[2].target, "z");
  EXPECT_EQ(encode_directory_segment(*seg), v5);
}

TEST(Directory, InlineFilesOutsideTheirPackOrOutsideAVersionFiveHeadAreRefused) {
  const auto bytes = inline_bytes("abcde");
  const auto refused = [](DirEntry e) {
    DirectorySegment seg = one_entry(e);
    Directory d;
    d.entries = {e};
    auto r = decode_directory_segment(encode_directory_segment(seg));  // the encoder does not validate
    return !r.ok() && r.error().code == Errc::corrupt && !d.validate().ok();
  };
  EXPECT_TRUE(refused(inlined("empty", 0, 0, bytes)));
  EXPECT_TRUE(refused(inlined("past the end", 2, 4, bytes)));
  EXPECT_TRUE(refused(inlined("wraps", 2, 0xffffffffu, bytes)));
  EXPECT_TRUE(refused(inlined("larger", 6, 0, bytes)));
  const Bytes good = encode_directory_segment(one_entry(inlined("p", 5, 0, bytes)));
  ASSERT_EQ(good[0], kDirectoryFormatWithInlinePack);
  ASSERT_TRUE(decode_directory_segment(good).ok());
  for (std::size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(decode_directory_segment(ByteView(good).first(n)).ok()) << n;
  // version, kind, total (8), then the inline pack's length (4).
  Bytes empty_pack = good;
  empty_pack.erase(empty_pack.begin() + 14, empty_pack.begin() + 19);
  empty_pack[10] = 0;
  EXPECT_EQ(decode_directory_segment(empty_pack).error().code, Errc::corrupt);
  Bytes continuation = good;
  continuation[1] = 1;
  continuation.erase(continuation.begin() + 2, continuation.begin() + 10);
  EXPECT_EQ(decode_directory_segment(continuation).error().code, Errc::corrupt);
  // An inline form in a version 3 segment, and a version 5 one with nothing inline.
  Bytes as_three = encode_directory_segment(one_entry(packed("p", 5, 0, some_pack())));
  ASSERT_EQ(as_three[0], kDirectoryFormatWithPacks);
  const std::size_t form_at = 2 + 8 + 4 + 1 + 1 + 1 + 4 + 8 + 4 + 8;
  as_three[form_at] = 2;
  EXPECT_EQ(decode_directory_segment(as_three).error().code, Errc::corrupt);
  Bytes no_inline = encode_directory_segment(one_entry(packed("p", 5, 0, some_pack())));
  no_inline[0] = kDirectoryFormatWithInlinePack;
  const Bytes pack_field{1, 0, 0, 0, 'x'};
  no_inline.insert(no_inline.begin() + 10, pack_field.begin(), pack_field.end());
  auto r = decode_directory_segment(no_inline);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("canonical"), std::string::npos) << r.error().message;
  // One inline pack per directory, and none beside the directory's own attributes.
  Directory two;
  two.entries = {inlined("a", 1, 0, bytes), inlined("b", 1, 0, inline_bytes("abcde"))};
  EXPECT_FALSE(two.validate().ok());
  Directory with_self;
  with_self.entries = {inlined("a", 1, 0, bytes)};
  with_self.self = root_self();
  EXPECT_FALSE(seal_directory(with_self).ok());
}

}  // namespace
}  // namespace dfs
