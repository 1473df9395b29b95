#include "dfs/chunk/directory.hpp"

#include <sys/stat.h>

#include <algorithm>

#include "chain.hpp"

namespace dfs {

std::optional<EntryType> entry_type_of_mode(std::uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return EntryType::file;
    case S_IFDIR: return EntryType::directory;
    case S_IFLNK: return EntryType::symlink;
    case S_IFIFO: return EntryType::fifo;
    case S_IFSOCK: return EntryType::socket;
    case S_IFCHR: return EntryType::char_device;
    case S_IFBLK: return EntryType::block_device;
    default: return std::nullopt;
  }
}

std::uint32_t mode_bits_of(EntryType type) {
  switch (type) {
    case EntryType::file: return S_IFREG;
    case EntryType::directory: return S_IFDIR;
    case EntryType::symlink: return S_IFLNK;
    case EntryType::fifo: return S_IFIFO;
    case EntryType::socket: return S_IFSOCK;
    case EntryType::char_device: return S_IFCHR;
    case EntryType::block_device: return S_IFBLK;
  }
  return 0;
}

namespace {
constexpr std::uint8_t kHeadSegment = 0;
constexpr std::uint8_t kContinuationSegment = 1;
constexpr std::uint32_t kMaxMode = 07777;
constexpr std::uint32_t kNanosecondsPerSecond = 1'000'000'000;
// name length, a one-byte name, type, mode, mtime, size: the least an entry takes.
constexpr std::size_t kSmallestEntry = 1 + 1 + 1 + 4 + 8 + 4 + 8;

constexpr std::uint8_t kHasOwner = 1;
constexpr std::uint8_t kHasAtime = 2;
constexpr std::uint8_t kHasRdev = 4;
constexpr std::uint8_t kHasLink = 8;
constexpr std::uint8_t kHasXattrs = 16;
constexpr std::uint8_t kKnownFlags = kHasOwner | kHasAtime | kHasRdev | kHasLink | kHasXattrs;

constexpr std::uint8_t kFileById = 0;
constexpr std::uint8_t kFilePacked = 1;
constexpr std::uint8_t kFileInline = 2;

bool has_id(EntryType type) { return type == EntryType::file || type == EntryType::directory; }
bool is_device(EntryType type) { return type == EntryType::char_device || type == EntryType::block_device; }

Error bad_entry(const DirEntry& e, const std::string& what) {
  return make_error(Errc::corrupt, "entry \"" + e.name + "\" " + what);
}

Status check_xattrs(const DirEntry& e) {
  if (e.xattrs.size() > kMaxEntryXattrs) {
    return make_error(Errc::too_large, "entry \"" + e.name + "\" has " + std::to_string(e.xattrs.size()) + " xattrs");
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < e.xattrs.size(); ++i) {
    const EntryXattr& x = e.xattrs[i];
    if (x.name.empty() || x.name.size() > kMaxEntryNameLength || x.name.find('\0') != std::string::npos) {
      return bad_entry(e, "has an xattr name of " + std::to_string(x.name.size()) + " bytes or with a NUL");
    }
    if (i > 0 && !(e.xattrs[i - 1].name < x.name)) return bad_entry(e, "has xattrs out of order or repeated");
    if (x.value.size() > kMaxXattrValue) return bad_entry(e, "has an xattr value of " + std::to_string(x.value.size()) + " bytes");
    total += x.name.size() + x.value.size();
  }
  if (total > kMaxEntryXattrBytes) return bad_entry(e, "has " + std::to_string(total) + " bytes of xattrs");
  return {};
}

Status check_metadata(const DirEntry& e) {
  if (e.atime && e.atime->nanoseconds >= 1'000'000'000u) return bad_entry(e, "has an atime of too many nanoseconds");
  if (e.rdev && !is_device(e.type)) return bad_entry(e, "is not a device but has a device number");
  if (e.link && (e.type != EntryType::file || *e.link == 0)) return bad_entry(e, "has a link number but is not a file, or it is 0");
  return check_xattrs(e);
}

// A packed file lies wholly inside a pack (an inline one inside its
// directory's inline pack), and a pack holds no empty file.
Status check_packed(const DirEntry& e) {
  if (e.type != EntryType::file) return bad_entry(e, "is packed but not a file");
  const std::uint64_t pack_size = e.packed->is_inline() ? e.packed->inline_bytes->size() : kMaxPackBytes;
  if (e.size == 0 || e.size > pack_size || e.packed->offset > pack_size - e.size) {
    return bad_entry(e, "is packed as " + std::to_string(e.size) + " bytes at offset " +
                            std::to_string(e.packed->offset) + " (its pack holds " + std::to_string(pack_size) +
                            " bytes)");
  }
  return {};
}

bool is_inline(const DirEntry& e) { return e.packed && e.packed->is_inline(); }

Status check_entry(const DirEntry& e) {
  DFS_TRY(check_entry_name(e.name));
  if (e.mode > kMaxMode) return make_error(Errc::corrupt, "entry \"" + e.name + "\" has mode " + std::to_string(e.mode));
  if (e.mtime_nanoseconds >= kNanosecondsPerSecond) {
    return make_error(Errc::corrupt, "entry \"" + e.name + "\" has " + std::to_string(e.mtime_nanoseconds) + " ns");
  }
  if (e.packed) DFS_TRY(check_packed(e));
  if (has_id(e.type) != (e.id.has_value() || e.packed.has_value()) || (e.id && e.packed)) {
    return make_error(Errc::corrupt, "entry \"" + e.name + "\": only files and directories carry an ID (or files a pack)");
  }
  if (e.id && e.id->is_directory() != (e.type == EntryType::directory)) {
    return make_error(Errc::corrupt, "entry \"" + e.name + "\": its ID's kind does not match its type");
  }
  if (e.type == EntryType::symlink) {
    if (e.target.empty() || e.target.size() > kMaxSymlinkTargetLength || e.target.find('\0') != std::string::npos) {
      return make_error(Errc::corrupt, "entry \"" + e.name + "\" has a symlink target of " +
                                           std::to_string(e.target.size()) + " bytes or with a NUL");
    }
  } else if (!e.target.empty()) {
    return make_error(Errc::corrupt, "entry \"" + e.name + "\" is not a symlink but has a target");
  }
  return check_metadata(e);
}

std::uint8_t metadata_flags(const DirEntry& e) {
  return static_cast<std::uint8_t>((e.owner ? kHasOwner : 0) | (e.atime ? kHasAtime : 0) | (e.rdev ? kHasRdev : 0) |
                                   (e.link ? kHasLink : 0) | (e.xattrs.empty() ? 0 : kHasXattrs));
}

ByteView view_of(std::string_view text) { return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()); }

void encode_metadata(ByteWriter& w, const DirEntry& e) {
  w.u8(metadata_flags(e));
  if (e.owner) {
    w.u32(e.owner->uid);
    w.u32(e.owner->gid);
  }
  if (e.atime) {
    w.u64(static_cast<std::uint64_t>(e.atime->seconds));
    w.u32(e.atime->nanoseconds);
  }
  if (e.rdev) w.u64(*e.rdev);
  if (e.link) w.u64(*e.link);
  if (e.xattrs.empty()) return;
  w.u32(static_cast<std::uint32_t>(e.xattrs.size()));
  for (const EntryXattr& x : e.xattrs) {
    w.u8(static_cast<std::uint8_t>(x.name.size()));
    w.bytes(view_of(x.name));
    w.u32(static_cast<std::uint32_t>(x.value.size()));
    w.bytes(x.value);
  }
}

std::string text_of(ByteView bytes) { return std::string(bytes.begin(), bytes.end()); }

Status decode_xattrs(ByteReader& in, DirEntry& e) {
  DFS_ASSIGN_OR_RETURN(std::uint32_t count, in.u32("xattr count"));
  if (count == 0 || count > kMaxEntryXattrs) return make_error(Errc::corrupt, "entry with " + std::to_string(count) + " xattrs");
  std::size_t total = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    EntryXattr x;
    DFS_ASSIGN_OR_RETURN(std::uint8_t name_length, in.u8("xattr name length"));
    DFS_ASSIGN_OR_RETURN(ByteView name, in.bytes(name_length, "xattr name"));
    x.name = text_of(name);
    DFS_ASSIGN_OR_RETURN(std::uint32_t value_length, in.u32("xattr value length"));
    if (value_length > kMaxXattrValue) return make_error(Errc::too_large, "xattr value of " + std::to_string(value_length) + " bytes");
    total += name_length + value_length;
    if (total > kMaxEntryXattrBytes) return make_error(Errc::too_large, "entry with more than " + std::to_string(kMaxEntryXattrBytes) + " bytes of xattrs");
    DFS_ASSIGN_OR_RETURN(ByteView value, in.bytes(value_length, "xattr value"));
    x.value.assign(value.begin(), value.end());
    e.xattrs.push_back(std::move(x));
  }
  return {};
}

Status decode_metadata(ByteReader& in, DirEntry& e) {
  DFS_ASSIGN_OR_RETURN(std::uint8_t flags, in.u8("directory entry metadata flags"));
  if ((flags & ~kKnownFlags) != 0) return make_error(Errc::corrupt, "unknown directory entry metadata flags " + std::to_string(flags));
  if (flags & kHasOwner) {
    EntryOwner owner;
    DFS_ASSIGN_OR_RETURN(owner.uid, in.u32("entry uid"));
    DFS_ASSIGN_OR_RETURN(owner.gid, in.u32("entry gid"));
    e.owner = owner;
  }
  if (flags & kHasAtime) {
    EntryTime atime;
    DFS_ASSIGN_OR_RETURN(std::uint64_t seconds, in.u64("entry atime"));
    atime.seconds = static_cast<std::int64_t>(seconds);
    DFS_ASSIGN_OR_RETURN(atime.nanoseconds, in.u32("entry atime nanoseconds"));
    e.atime = atime;
  }
  if (flags & kHasRdev) {
    DFS_ASSIGN_OR_RETURN(std::uint64_t rdev, in.u64("entry rdev"));
    e.rdev = rdev;
  }
  if (flags & kHasLink) {
    DFS_ASSIGN_OR_RETURN(std::uint64_t link, in.u64("entry link number"));
    e.link = link;
  }
  if (flags & kHasXattrs) DFS_TRY(decode_xattrs(in, e));
  return {};
}

void encode_entry(ByteWriter& w, const DirEntry& e, std::uint8_t version) {
  w.u8(static_cast<std::uint8_t>(e.name.size()));
  w.bytes(ByteView(reinterpret_cast<const std::uint8_t*>(e.name.data()), e.name.size()));
  w.u8(static_cast<std::uint8_t>(e.type));
  w.u32(e.mode);
  w.u64(static_cast<std::uint64_t>(e.mtime_seconds));
  w.u32(e.mtime_nanoseconds);
  w.u64(e.size);
  if (version >= kDirectoryFormatWithPacks && e.type == EntryType::file) {
    w.u8(is_inline(e) ? kFileInline : e.packed ? kFilePacked : kFileById);
  }
  if (is_inline(e)) {
    w.u32(e.packed->offset);
  } else if (e.packed) {
    w.bytes(e.packed->pack.bytes);
    w.bytes(e.packed->key.bytes());
    w.u32(e.packed->offset);
  } else if (e.id) {
    w.bytes(e.id->manifest.bytes);
    w.bytes(e.id->key.bytes());
  } else if (e.type == EntryType::symlink) {
    w.u32(static_cast<std::uint32_t>(e.target.size()));
    w.bytes(view_of(e.target));
  }
  if (version != kDirectoryFormatVersion) encode_metadata(w, e);
}

// Form 1 of a file entry in version 3.
Status decode_packed(ByteReader& in, DirEntry& e) {
  PackedRef ref;
  DFS_ASSIGN_OR_RETURN(ref.pack.bytes, in.array<crypto::kDigestSize>("directory entry pack ID"));
  DFS_ASSIGN_OR_RETURN(auto key, in.array<crypto::kKeySize>("directory entry pack key"));
  ref.key = crypto::SecretKey::from_bytes(key);
  crypto::wipe(key);
  DFS_ASSIGN_OR_RETURN(ref.offset, in.u32("directory entry pack offset"));
  e.packed = std::move(ref);
  return {};
}

// Decodes an entry of a segment of `version`; `inline_bytes` is a version 5
// head's inline pack (null otherwise).
Result<DirEntry> decode_entry(ByteReader& in, std::uint8_t version, const std::shared_ptr<const Bytes>& inline_bytes) {
  DirEntry e;
  DFS_ASSIGN_OR_RETURN(std::uint8_t name_length, in.u8("directory entry name length"));
  DFS_ASSIGN_OR_RETURN(ByteView name, in.bytes(name_length, "directory entry name"));
  e.name = text_of(name);
  DFS_ASSIGN_OR_RETURN(std::uint8_t type, in.u8("directory entry type"));
  if (type < static_cast<std::uint8_t>(EntryType::file) || type > static_cast<std::uint8_t>(EntryType::block_device)) {
    return make_error(Errc::corrupt, "directory entry of unknown type " + std::to_string(type));
  }
  e.type = static_cast<EntryType>(type);
  DFS_ASSIGN_OR_RETURN(e.mode, in.u32("directory entry mode"));
  DFS_ASSIGN_OR_RETURN(std::uint64_t seconds, in.u64("directory entry mtime"));
  e.mtime_seconds = static_cast<std::int64_t>(seconds);
  DFS_ASSIGN_OR_RETURN(e.mtime_nanoseconds, in.u32("directory entry mtime nanoseconds"));
  DFS_ASSIGN_OR_RETURN(e.size, in.u64("directory entry size"));
  std::uint8_t form = kFileById;
  if (version >= kDirectoryFormatWithPacks && e.type == EntryType::file) {
    DFS_ASSIGN_OR_RETURN(form, in.u8("directory entry file form"));
    if (form != kFileById && form != kFilePacked && !(form == kFileInline && inline_bytes)) {
      return make_error(Errc::corrupt, "directory entry of unknown file form " + std::to_string(form));
    }
  }
  if (form == kFileInline) {
    PackedRef ref;
    DFS_ASSIGN_OR_RETURN(ref.offset, in.u32("directory entry inline offset"));
    ref.inline_bytes = inline_bytes;
    e.packed = std::move(ref);
  } else if (form == kFilePacked) {
    DFS_TRY(decode_packed(in, e));
  } else if (has_id(e.type)) {
    FileId id;
    id.kind = e.type == EntryType::directory ? IdKind::directory : IdKind::file;
    DFS_ASSIGN_OR_RETURN(id.manifest.bytes, in.array<crypto::kDigestSize>("directory entry manifest ID"));
    DFS_ASSIGN_OR_RETURN(auto key, in.array<crypto::kKeySize>("directory entry key"));
    id.key = crypto::SecretKey::from_bytes(key);
    crypto::wipe(key);
    e.id = std::move(id);
  } else if (e.type == EntryType::symlink) {
    DFS_ASSIGN_OR_RETURN(std::uint32_t length, in.u32("symlink target length"));
    if (length > kMaxSymlinkTargetLength) {
      return make_error(Errc::too_large, "symlink target of " + std::to_string(length) + " bytes");
    }
    DFS_ASSIGN_OR_RETURN(ByteView target, in.bytes(length, "symlink target"));
    e.target = text_of(target);
  }
  if (version != kDirectoryFormatVersion) DFS_TRY(decode_metadata(in, e));
  DFS_TRY(check_entry(e));
  return e;
}

// The self block's metadata as an entry's, to share its encoding and checks.
DirEntry as_entry(const DirSelf& self) {
  DirEntry e;
  e.name = ".";  // for messages only
  e.type = EntryType::directory;
  e.owner = self.owner;
  e.atime = self.atime;
  e.xattrs = self.xattrs;
  return e;
}

Status check_self(const DirSelf& self) {
  if (self.mode > kMaxMode) return make_error(Errc::corrupt, "the directory's own mode is " + std::to_string(self.mode));
  if (self.mtime.nanoseconds >= kNanosecondsPerSecond) {
    return make_error(Errc::corrupt, "the directory's own mtime has too many nanoseconds");
  }
  return check_metadata(as_entry(self));
}

void encode_self(ByteWriter& w, const DirSelf& self) {
  w.u32(self.mode);
  w.u64(static_cast<std::uint64_t>(self.mtime.seconds));
  w.u32(self.mtime.nanoseconds);
  encode_metadata(w, as_entry(self));
}

Result<DirSelf> decode_self(ByteReader& in) {
  DirSelf self;
  DFS_ASSIGN_OR_RETURN(self.mode, in.u32("directory's own mode"));
  DFS_ASSIGN_OR_RETURN(std::uint64_t seconds, in.u64("directory's own mtime"));
  self.mtime.seconds = static_cast<std::int64_t>(seconds);
  DFS_ASSIGN_OR_RETURN(self.mtime.nanoseconds, in.u32("directory's own mtime nanoseconds"));
  DirEntry e;
  e.name = ".";
  e.type = EntryType::directory;
  DFS_TRY(decode_metadata(in, e));
  if (!e.owner || !e.atime || e.rdev || e.link) {
    return make_error(Errc::corrupt, "the directory's own attributes lack an owner or an atime, or have a device "
                                     "or link number");
  }
  self.owner = *e.owner;
  self.atime = *e.atime;
  self.xattrs = std::move(e.xattrs);
  DFS_TRY(check_self(self));
  return self;
}

// The one version a segment is written as (canonical).
std::uint8_t version_for(const DirectorySegment& segment) {
  const std::vector<DirEntry>& entries = segment.entries;
  if (std::any_of(entries.begin(), entries.end(), is_inline)) return kDirectoryFormatWithInlinePack;
  if (segment.self) return kDirectoryFormatWithSelf;
  if (std::any_of(entries.begin(), entries.end(), [](const DirEntry& e) { return e.is_packed(); })) {
    return kDirectoryFormatWithPacks;
  }
  if (std::any_of(entries.begin(), entries.end(), [](const DirEntry& e) { return e.has_metadata(); })) {
    return kDirectoryFormatWithMetadata;
  }
  return kDirectoryFormatVersion;
}

// An entry's encoded size, to split segments by bytes.
std::size_t encoded_size(const DirEntry& e) {
  std::size_t n = kSmallestEntry - 1 + e.name.size();
  if (e.id) n += crypto::kDigestSize + crypto::kKeySize;
  // A version 3 entry's form and metadata flags (counted for every entry: a bound, not exact).
  n += 2;
  if (e.packed) n += is_inline(e) ? 4 : crypto::kDigestSize + crypto::kKeySize + 4;
  if (e.type == EntryType::symlink) n += 4 + e.target.size();
  if (e.has_metadata()) {
    n += 1 + (e.owner ? 8 : 0) + (e.atime ? 12 : 0) + (e.rdev ? 8 : 0) + (e.link ? 8 : 0);
    if (!e.xattrs.empty()) n += 4;
    for (const EntryXattr& x : e.xattrs) n += 1 + x.name.size() + 4 + x.value.size();
  }
  return n;
}
}  // namespace

Status check_entry_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxEntryNameLength) {
    return make_error(Errc::corrupt, "a directory entry name of " + std::to_string(name.size()) + " bytes");
  }
  if (name == "." || name == ".." || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos) {
    return make_error(Errc::corrupt, "\"" + std::string(name.substr(0, name.find('\0'))) +
                                         "\" is not a name one directory entry may have");
  }
  return {};
}

Status Directory::validate() const {
  if (self) DFS_TRY(check_self(*self));
  if (entries.size() > kMaxDirectoryEntries) return make_error(Errc::too_large, "directory of " + std::to_string(entries.size()) + " entries");
  const Bytes* shared = nullptr;  // the inline pack all inline entries share
  for (std::size_t i = 0; i < entries.size(); ++i) {
    DFS_TRY(check_entry(entries[i]));
    if (is_inline(entries[i])) {
      const Bytes* bytes = entries[i].packed->inline_bytes.get();
      if (shared != nullptr && bytes != shared) {
        return make_error(Errc::corrupt, "entry \"" + entries[i].name + "\" is inline in another inline pack");
      }
      if (bytes->empty() || bytes->size() > kMaxPackBytes || self) {
        return make_error(Errc::corrupt, "an inline pack of " + std::to_string(bytes->size()) +
                                             " bytes (1 to " + std::to_string(kMaxPackBytes) +
                                             "), or beside the directory's own attributes");
      }
      shared = bytes;
    }
    if (i > 0 && !(entries[i - 1].name < entries[i].name)) {
      return make_error(Errc::corrupt, "directory entries out of order or repeated at \"" + entries[i].name + "\"");
    }
  }
  return {};
}

const DirEntry* Directory::find(std::string_view name) const {
  auto it = std::lower_bound(entries.begin(), entries.end(), name,
                             [](const DirEntry& e, std::string_view n) { return std::string_view(e.name) < n; });
  return it != entries.end() && it->name == name ? &*it : nullptr;
}

Bytes encode_directory_segment(const DirectorySegment& segment) {
  Bytes out;
  ByteWriter w(out);
  const std::uint8_t version = version_for(segment);
  w.u8(version);
  w.u8(segment.is_head ? kHeadSegment : kContinuationSegment);
  if (segment.is_head) w.u64(segment.total_entries);
  if (version == kDirectoryFormatWithInlinePack) {  // a head's only (seal_directory)
    const Bytes& pack = *std::find_if(segment.entries.begin(), segment.entries.end(), is_inline)->packed->inline_bytes;
    w.u32(static_cast<std::uint32_t>(pack.size()));
    w.bytes(pack);
  } else if (segment.self) {
    encode_self(w, *segment.self);  // a head's only (seal_directory)
  }
  w.u32(static_cast<std::uint32_t>(segment.entries.size()));
  for (const DirEntry& e : segment.entries) encode_entry(w, e, version);
  w.u8(segment.next ? 1 : 0);
  if (segment.next) w.bytes(segment.next->bytes);
  return out;
}

Result<DirectorySegment> decode_directory_segment(ByteView plaintext) {
  ByteReader in(plaintext);
  DFS_ASSIGN_OR_RETURN(std::uint8_t version, in.u8("directory version"));
  if (version < kDirectoryFormatVersion || version > kDirectoryFormatWithInlinePack) {
    return make_error(Errc::bad_version, "directory snapshot has format version " + std::to_string(version) +
                                             ", this build reads versions " + std::to_string(kDirectoryFormatVersion) +
                                             " to " + std::to_string(kDirectoryFormatWithInlinePack));
  }
  DFS_ASSIGN_OR_RETURN(std::uint8_t kind, in.u8("directory segment kind"));
  if (kind != kHeadSegment && kind != kContinuationSegment) {
    return make_error(Errc::corrupt, "unknown directory segment kind " + std::to_string(kind));
  }
  DirectorySegment seg;
  seg.is_head = kind == kHeadSegment;
  if (seg.is_head) {
    DFS_ASSIGN_OR_RETURN(seg.total_entries, in.u64("directory entry total"));
    if (seg.total_entries > kMaxDirectoryEntries) {
      return make_error(Errc::too_large, "directory claims " + std::to_string(seg.total_entries) + " entries");
    }
  }
  if (version == kDirectoryFormatWithSelf) {
    if (!seg.is_head) return make_error(Errc::corrupt, "a continuation segment of version 4 (a head's only)");
    DFS_ASSIGN_OR_RETURN(seg.self, decode_self(in));
  }
  std::shared_ptr<const Bytes> inline_bytes;
  if (version == kDirectoryFormatWithInlinePack) {
    if (!seg.is_head) return make_error(Errc::corrupt, "a continuation segment of version 5 (a head's only)");
    DFS_ASSIGN_OR_RETURN(std::uint32_t length, in.u32("inline pack length"));
    if (length == 0 || length > kMaxPackBytes) {
      return make_error(Errc::corrupt, "an inline pack of " + std::to_string(length) + " bytes (1 to " +
                                           std::to_string(kMaxPackBytes) + ")");
    }
    DFS_ASSIGN_OR_RETURN(ByteView bytes, in.bytes(length, "inline pack"));
    inline_bytes = std::make_shared<const Bytes>(bytes.begin(), bytes.end());
  }
  DFS_ASSIGN_OR_RETURN(std::uint32_t count, in.u32("directory entry count"));
  if (std::uint64_t{count} * kSmallestEntry > in.remaining()) {
    return make_error(Errc::truncated, "directory segment claims " + std::to_string(count) +
                                           " entries but holds only " + std::to_string(in.remaining()) + " bytes");
  }
  seg.entries.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    DFS_ASSIGN_OR_RETURN(DirEntry e, decode_entry(in, version, inline_bytes));
    if (!seg.entries.empty() && !(seg.entries.back().name < e.name)) {
      return make_error(Errc::corrupt, "directory entries out of order or repeated at \"" + e.name + "\"");
    }
    seg.entries.push_back(std::move(e));
  }
  DFS_ASSIGN_OR_RETURN(std::uint8_t has_next, in.u8("directory next flag"));
  if (has_next > 1) return make_error(Errc::corrupt, "directory next flag is " + std::to_string(has_next));
  if (has_next) {
    ChunkId next;
    DFS_ASSIGN_OR_RETURN(next.bytes, in.array<crypto::kDigestSize>("directory next segment ID"));
    seg.next = next;
  }
  DFS_TRY(in.expect_end("directory segment"));
  if (version_for(seg) != version) {
    return make_error(Errc::corrupt, "a directory segment of version " + std::to_string(version) +
                                         " whose entries would be written as version " +
                                         std::to_string(version_for(seg)) + " (not canonical)");
  }
  return seg;
}

std::optional<Bytes> inline_pack(const PackedRef& ref) {
  if (!ref.is_inline()) return std::nullopt;
  return *ref.inline_bytes;
}

Result<Bytes> open_pack(const PackedRef& ref, ByteView sealed) {
  auto plain = decrypt_chunk(ref.key, ChunkKind::data, sealed);
  if (!plain.ok()) {
    Error e = plain.take_error();
    e.message = "the pack " + ref.pack.short_hex() + " does not open with its key: " + e.message;
    return e;
  }
  if (plain->empty() || plain->size() > kMaxPackBytes) {
    return make_error(Errc::corrupt, "the pack " + ref.pack.short_hex() + " holds " + std::to_string(plain->size()) +
                                         " bytes (1 to " + std::to_string(kMaxPackBytes) + ")");
  }
  return plain;
}

Result<ByteView> packed_bytes(const DirEntry& e, ByteView pack) {
  if (!e.packed) return make_error(Errc::invalid_argument, "\"" + e.name + "\" is not a packed file");
  if (e.packed->offset > pack.size() || e.size > pack.size() - e.packed->offset) {
    return make_error(Errc::corrupt, "\"" + e.name + "\" reaches past the end of its pack " +
                                         e.packed->pack.short_hex() + " (" + std::to_string(e.size) + " bytes at " +
                                         std::to_string(e.packed->offset) + " of " + std::to_string(pack.size()) + ")");
  }
  return pack.subspan(e.packed->offset, e.size);
}

Result<SealedManifest> seal_directory(const Directory& directory, std::size_t segment_bytes) {
  DFS_TRY(directory.validate());
  // Split by encoded size, then seal from the tail backwards (each segment
  // names the next one's ID).
  // Inline files are in the head, with their pack: it reaches at least to
  // the last of them, however large (put -r inlines only in directories
  // of at most kMaxInlinePackEntries entries).
  std::size_t head_at_least = 0;
  for (std::size_t i = 0; i < directory.entries.size(); ++i) {
    if (is_inline(directory.entries[i])) head_at_least = i + 1;
  }
  std::vector<std::pair<std::size_t, std::size_t>> ranges;  // [begin, end) of entries
  std::size_t begin = 0, bytes = 0;
  for (std::size_t i = 0; i < directory.entries.size(); ++i) {
    const std::size_t n = encoded_size(directory.entries[i]);
    if (i > begin && i >= head_at_least && bytes + n > segment_bytes) {
      ranges.emplace_back(begin, i);
      begin = i;
      bytes = 0;
    }
    bytes += n;
  }
  ranges.emplace_back(begin, directory.entries.size());
  SealedManifest out;
  out.key = crypto::SecretKey::generate();
  out.segments.resize(ranges.size());
  std::optional<ChunkId> next;
  for (std::size_t s = ranges.size(); s-- > 0;) {
    DirectorySegment seg;
    seg.is_head = s == 0;
    seg.total_entries = seg.is_head ? directory.entries.size() : 0;
    if (seg.is_head) seg.self = directory.self;
    seg.entries.assign(directory.entries.begin() + static_cast<std::ptrdiff_t>(ranges[s].first),
                       directory.entries.begin() + static_cast<std::ptrdiff_t>(ranges[s].second));
    seg.next = next;
    out.segments[s] = seal_chunk(out.key, ChunkKind::directory, encode_directory_segment(seg));
    next = out.segments[s].id;
  }
  out.head = out.segments[0].id;
  return out;
}

Result<Directory> load_directory(const crypto::SecretKey& key, const ChunkId& head, const ChunkFetcher& fetch) {
  Directory directory;
  std::uint64_t total = 0;
  auto absorb = [&](DirectorySegment& seg, bool first) -> Status {
    if (first) {
      total = seg.total_entries;
      directory.self = std::move(seg.self);
    }
    if (!first && seg.entries.empty()) return make_error(Errc::corrupt, "directory chain has an empty continuation segment");
    if (seg.entries.size() > total - directory.entries.size()) {
      return make_error(Errc::corrupt, "directory chain holds more entries than its head's count " + std::to_string(total));
    }
    if (!seg.entries.empty() && !directory.entries.empty() && !(directory.entries.back().name < seg.entries.front().name)) {
      return make_error(Errc::corrupt, "directory chain repeats or reorders names at \"" + seg.entries.front().name + "\"");
    }
    for (DirEntry& e : seg.entries) directory.entries.push_back(std::move(e));
    return Status{};
  };
  DFS_TRY(chain::walk(key, ChunkKind::directory, head, fetch, decode_directory_segment, absorb));
  for (DirEntry& e : directory.entries) {
    if (is_inline(e)) {  // named as the chunk and key that hold them
      e.packed->pack = head;
      e.packed->key = key;
    }
  }
  if (directory.entries.size() != total) {
    return make_error(Errc::corrupt, "directory chain holds " + std::to_string(directory.entries.size()) +
                                         " entries, its head promised " + std::to_string(total));
  }
  return directory;
}

}  // namespace dfs
