#include "dfs/store/chunk_pack.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <functional>
#include <unordered_set>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "dir_util.hpp"
#include "dfs/util/log.hpp"

namespace dfs::store {
namespace {

constexpr std::uint8_t kMagic[4] = {'d', 'f', 's', 'P'};
constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kStateOffset = 5;
constexpr std::size_t kSizeOffset = 8;
constexpr std::size_t kIdOffset = 12;
constexpr const char* kSuffix = ".pack";

Error packed_not_found(const ChunkId& id) {
  return make_error(Errc::not_found, "chunk " + id.short_hex() + " not found");
}

// The number of a pack file named <8 hex digits>.pack, or nullopt.
std::optional<std::uint32_t> pack_number(const std::string& name) {
  if (name.size() != 8 + std::strlen(kSuffix) || name.compare(8, std::string::npos, kSuffix) != 0) return std::nullopt;
  std::uint32_t number = 0;
  for (int i = 0; i < 8; ++i) {
    const char c = name[static_cast<std::size_t>(i)];
    const int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return std::nullopt;
    number = number << 4 | static_cast<std::uint32_t>(digit);
  }
  return number == 0 ? std::nullopt : std::optional<std::uint32_t>(number);
}

std::string pack_path(const std::string& dir, std::uint32_t number) {
  char name[16];
  std::snprintf(name, sizeof name, "%08x", number);
  return dir + "/" + name + kSuffix;
}

Result<std::vector<std::uint32_t>> pack_numbers(const std::string& dir) {
  std::vector<std::uint32_t> numbers;
  DFS_TRY(for_each_entry(dir, [&](const std::string& name, const struct stat& st) -> Status {
    auto number = pack_number(name);
    if (number && S_ISREG(st.st_mode)) numbers.push_back(*number);
    else log::warn("chunk pack: ignoring " + dir + "/" + name + ", which is not a pack");
    return {};
  }));
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

// Walks the whole records of the pack open as `fd`: calls `fn(header,
// record offset)` for each and returns the end of the last whole one. A
// record cut short or with a header that does not decode ends the walk:
// everything from there on is a torn tail.
template <typename Fn>
Result<std::uint64_t> walk_records(int fd, const std::string& path, Fn&& fn) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) return errno_error("cannot stat " + path);
  const auto file_size = static_cast<std::uint64_t>(st.st_size);
  std::uint64_t at = 0;
  std::uint8_t raw[ChunkPack::kRecordHeaderSize];
  while (at + ChunkPack::kRecordHeaderSize <= file_size) {
    DFS_ASSIGN_OR_RETURN(std::size_t got, pread_full(fd, MutableByteView(raw, sizeof raw), at, path));
    if (got < sizeof raw) break;
    auto header = ChunkPack::decode_header(ByteView(raw, sizeof raw));
    if (!header.ok() || at + sizeof raw + header->size > file_size) break;
    fn(*header, at);
    at += sizeof raw + header->size;
  }
  if (at < file_size) {
    log::warn("chunk pack " + path + ": " + std::to_string(file_size - at) + " bytes from offset " + std::to_string(at) +
              " are not whole records (a write a crash cut short)");
  }
  return at;
}

Status mark_removed(int fd, std::uint64_t record, const std::string& path) {
  const std::uint8_t removed = ChunkPack::kRemoved;
  if (::pwrite(fd, &removed, 1, static_cast<off_t>(record + kStateOffset)) != 1) {
    return errno_error("cannot mark the record at " + std::to_string(record) + " of " + path + " removed");
  }
  return {};
}

}  // namespace

void ChunkPack::encode_header(const Header& header, std::uint8_t out[kRecordHeaderSize]) {
  std::memcpy(out, kMagic, sizeof kMagic);
  out[4] = kVersion;
  out[kStateOffset] = header.state;
  out[6] = out[7] = 0;
  for (int i = 0; i < 4; ++i) out[kSizeOffset + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(header.size >> (8 * i));
  std::memcpy(out + kIdOffset, header.id.bytes.data(), header.id.bytes.size());
}

Result<ChunkPack::Header> ChunkPack::decode_header(ByteView bytes) {
  if (bytes.size() < kRecordHeaderSize) return make_error(Errc::corrupt, "pack record header is truncated");
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) return make_error(Errc::corrupt, "pack record has no magic");
  if (bytes[4] != kVersion) return make_error(Errc::corrupt, "pack record version " + std::to_string(bytes[4]) + " is unknown");
  Header header;
  header.state = bytes[kStateOffset];
  if (header.state != kLive && header.state != kRemoved) return make_error(Errc::corrupt, "pack record state is unknown");
  for (int i = 0; i < 4; ++i) header.size |= std::uint32_t{bytes[kSizeOffset + static_cast<std::size_t>(i)]} << (8 * i);
  if (header.size > kMaxPackedChunkSize) return make_error(Errc::corrupt, "pack record size is out of range");
  std::memcpy(header.id.bytes.data(), bytes.data() + kIdOffset, header.id.bytes.size());
  return header;
}

Result<std::vector<std::pair<ChunkId, ChunkPack::Place>>> ChunkPack::scan(const std::string& dir) {
  std::vector<std::pair<ChunkId, Place>> out;
  struct stat st{};
  if (::stat(dir.c_str(), &st) != 0) return out;  // no pack yet
  DFS_ASSIGN_OR_RETURN(std::vector<std::uint32_t> numbers, pack_numbers(dir));
  for (std::uint32_t number : numbers) {
    const std::string path = pack_path(dir, number);
    DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_RDONLY));
    DFS_TRY(walk_records(fd.get(), path, [&](const Header& header, std::uint64_t record) {
      if (header.state == kLive) out.emplace_back(header.id, Place{path, record + kRecordHeaderSize, header.size});
    }));
  }
  return out;
}

Result<std::unique_ptr<ChunkPack>> ChunkPack::open(const std::string& dir, bool durable) {
  bool created = false;
  DFS_TRY(make_dir(dir, &created));
  // A durable append must not vanish with a directory entry a power loss took.
  const std::size_t slash = dir.find_last_of('/');
  if (created && durable) DFS_TRY(fsync_dir(slash == std::string::npos ? "." : dir.substr(0, std::max<std::size_t>(slash, 1))));
  std::unique_ptr<ChunkPack> pack(new ChunkPack(dir, durable));
  DFS_ASSIGN_OR_RETURN(std::vector<std::uint32_t> numbers, pack_numbers(dir));
  for (std::uint32_t number : numbers) DFS_TRY(pack->load(number));
  if (pack->packs_.empty()) DFS_TRY(pack->begin_pack_locked(1));
  return pack;
}

ChunkPack::~ChunkPack() = default;

std::string ChunkPack::path_of(std::uint32_t number) const { return pack_path(dir_, number); }

// Indexes the live records of pack `number` (at open, before any other
// call) and cuts its torn tail, if any, so appends start on a whole record.
Status ChunkPack::load(std::uint32_t number) {
  const std::string path = path_of(number);
  DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_RDWR));
  PackFile file{number, nullptr, 0, 0};
  std::vector<std::uint64_t> second_copies;  // what a compaction cut short by a crash left twice
  DFS_ASSIGN_OR_RETURN(file.end, walk_records(fd.get(), path, [&](const Header& header, std::uint64_t record) {
    const std::uint64_t bytes = kRecordHeaderSize + header.size;
    if (header.state != kLive) {
      file.removed += bytes;
    } else if (!index_.emplace(header.id, Entry{number, record, header.size}).second) {
      file.removed += bytes;
      second_copies.push_back(record);
    }
  }));
  if (::ftruncate(fd.get(), static_cast<off_t>(file.end)) != 0) return errno_error("cannot cut the torn tail of " + path);
  // Marked removed, so that a remove of the copy kept cannot bring it back.
  for (std::uint64_t record : second_copies) DFS_TRY(mark_removed(fd.get(), record, path));
  file.fd = std::make_shared<UniqueFd>(std::move(fd));
  packs_.push_back(std::move(file));
  return {};
}

Status ChunkPack::begin_pack_locked(std::uint32_t number) {
  const std::string path = path_of(number);
  DFS_ASSIGN_OR_RETURN(UniqueFd fd, open_file(path, O_RDWR | O_CREAT | O_EXCL, 0600));
  if (durable_) DFS_TRY(fsync_dir(dir_));
  packs_.push_back(PackFile{number, std::make_shared<UniqueFd>(std::move(fd)), 0, 0});
  return {};
}

ChunkPack::PackFile* ChunkPack::pack_locked(std::uint32_t number) {
  for (PackFile& file : packs_) {
    if (file.number == number) return &file;
  }
  return nullptr;
}

// Writes `records` at the end of the current pack with one pwritev (after
// beginning a new pack if the current one is full) and fills `placed`.
// Nothing enters the index here: the caller does, once this returned.
Status ChunkPack::append_locked(std::vector<std::pair<Header, ByteView>>& records, std::vector<Entry>& placed,
                                bool sync) {
  if (packs_.back().end >= kPackFileSize) DFS_TRY(begin_pack_locked(packs_.back().number + 1));
  PackFile& current = packs_.back();
  std::vector<std::uint8_t> headers(records.size() * kRecordHeaderSize);
  std::vector<iovec> pieces;
  pieces.reserve(records.size() * 2);
  std::uint64_t at = current.end;
  placed.clear();
  for (std::size_t i = 0; i < records.size(); ++i) {
    std::uint8_t* header = headers.data() + i * kRecordHeaderSize;
    encode_header(records[i].first, header);
    pieces.push_back(iovec{header, kRecordHeaderSize});
    pieces.push_back(iovec{const_cast<std::uint8_t*>(records[i].second.data()), records[i].second.size()});  // only read
    placed.push_back(Entry{current.number, at, records[i].first.size});
    at += kRecordHeaderSize + records[i].first.size;
  }
  const std::string path = path_of(current.number);
  // IOV_MAX bounds one call; a short write goes on where it stopped.
  std::size_t first = 0;
  std::uint64_t offset = current.end;
  while (first < pieces.size()) {
    const int count = static_cast<int>(std::min<std::size_t>(pieces.size() - first, IOV_MAX));
    const ssize_t n = ::pwritev(current.fd->get(), pieces.data() + first, count, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const Error error = errno_error("cannot append to " + path);
      (void)::ftruncate(current.fd->get(), static_cast<off_t>(current.end));  // leave no partial record behind
      return error;
    }
    offset += static_cast<std::uint64_t>(n);
    for (auto left = static_cast<std::size_t>(n); left > 0;) {
      const std::size_t used = std::min(left, pieces[first].iov_len);
      pieces[first].iov_base = static_cast<std::uint8_t*>(pieces[first].iov_base) + used;
      pieces[first].iov_len -= used;
      left -= used;
      if (pieces[first].iov_len == 0) ++first;
    }
    while (first < pieces.size() && pieces[first].iov_len == 0) ++first;  // an empty chunk's bytes
  }
  if (sync && ::fdatasync(current.fd->get()) != 0) {
    const Error error = errno_error("cannot sync " + path);
    (void)::ftruncate(current.fd->get(), static_cast<off_t>(current.end));
    return error;
  }
  current.end = at;
  return {};
}

Result<std::vector<bool>> ChunkPack::append(const std::vector<Chunk>& chunks, bool sync,
                                            const std::function<void(std::size_t)>& on_added) {
  std::lock_guard lock(mu_);
  std::vector<bool> added(chunks.size(), false);
  std::vector<std::pair<Header, ByteView>> records;
  std::vector<std::size_t> which;
  // The same chunk twice in one call is written once. A set, not a scan of
  // `which`: a tree's commit hands over tens of thousands of chunks at once.
  std::unordered_set<ChunkId> taken;
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& chunk = chunks[i];
    if (chunk.sealed.size() > kMaxPackedChunkSize) {
      return make_error(Errc::invalid_argument, "chunk " + chunk.id.short_hex() + " is not a size a pack holds");
    }
    if (index_.count(chunk.id) || !taken.insert(chunk.id).second) continue;
    records.emplace_back(Header{kLive, static_cast<std::uint32_t>(chunk.sealed.size()), chunk.id}, chunk.sealed);
    which.push_back(i);
  }
  if (records.empty()) return added;
  std::vector<Entry> placed;
  DFS_TRY(append_locked(records, placed, sync));
  for (std::size_t k = 0; k < which.size(); ++k) {
    index_.emplace(chunks[which[k]].id, placed[k]);
    added[which[k]] = true;
    if (on_added) on_added(which[k]);
  }
  return added;
}

bool ChunkPack::contains(const ChunkId& id) const {
  std::lock_guard lock(mu_);
  return index_.count(id) != 0;
}

Result<std::size_t> ChunkPack::read(const ChunkId& id, const std::function<std::uint8_t*(std::size_t)>& into) {
  std::shared_ptr<UniqueFd> fd;
  Entry entry;
  {
    std::lock_guard lock(mu_);
    auto it = index_.find(id);
    if (it == index_.end()) return packed_not_found(id);
    entry = it->second;
    fd = pack_locked(entry.pack)->fd;
  }
  std::uint8_t* out = into(entry.size);
  return pread_full(fd->get(), MutableByteView(out, entry.size), entry.record + kRecordHeaderSize, path_of(entry.pack));
}

Result<std::uint32_t> ChunkPack::remove(const ChunkId& id) {
  std::lock_guard lock(mu_);
  auto it = index_.find(id);
  if (it == index_.end()) return packed_not_found(id);
  const Entry entry = it->second;
  PackFile& file = *pack_locked(entry.pack);
  DFS_TRY(mark_removed(file.fd->get(), entry.record, path_of(entry.pack)));
  index_.erase(it);
  file.removed += kRecordHeaderSize + entry.size;
  if (&file != &packs_.back() && file.removed * 2 > file.end) {
    Status compacted = compact_locked(entry.pack);
    if (!compacted.ok()) log::warn("chunk pack: compacting " + path_of(entry.pack) + ": " + compacted.error().to_string());
  }
  return entry.size;
}

// Copies the live records of pack `number` to the current pack, about
// 1 MiB per write, then deletes it. A crash in between leaves two copies of
// some chunks, which open counts once.
Status ChunkPack::compact_locked(std::uint32_t number) {
  const std::string path = path_of(number);
  const std::shared_ptr<UniqueFd> fd = pack_locked(number)->fd;
  std::vector<ChunkId> ids;
  for (const auto& [id, entry] : index_) {
    if (entry.pack == number) ids.push_back(id);
  }
  constexpr std::size_t kGroupBytes = 1 << 20;
  for (std::size_t first = 0; first < ids.size();) {
    std::vector<Bytes> group;
    std::vector<std::pair<Header, ByteView>> records;
    std::size_t bytes = 0;
    std::size_t next = first;
    for (; next < ids.size() && bytes < kGroupBytes; ++next) {
      const Entry& entry = index_.at(ids[next]);
      Bytes& data = group.emplace_back(entry.size);
      DFS_ASSIGN_OR_RETURN(std::size_t got, pread_full(fd->get(), MutableByteView(data.data(), data.size()),
                                                       entry.record + kRecordHeaderSize, path));
      if (got != data.size()) return make_error(Errc::io_error, path + " is shorter than its index says");
      bytes += data.size();
    }
    for (std::size_t i = first; i < next; ++i) {
      records.emplace_back(Header{kLive, index_.at(ids[i]).size, ids[i]}, ByteView(group[i - first]));
    }
    std::vector<Entry> placed;
    DFS_TRY(append_locked(records, placed, durable_));
    for (std::size_t i = first; i < next; ++i) index_.at(ids[i]) = placed[i - first];
    first = next;
  }
  if (::unlink(path.c_str()) != 0) return errno_error("cannot remove " + path);
  packs_.erase(std::find_if(packs_.begin(), packs_.end(), [&](const PackFile& f) { return f.number == number; }));
  log::debug("chunk pack: compacted " + path + " (" + std::to_string(ids.size()) + " live chunks moved)");
  return {};
}

std::vector<ChunkId> ChunkPack::list() const {
  std::lock_guard lock(mu_);
  std::vector<ChunkId> ids;
  ids.reserve(index_.size());
  for (const auto& [id, entry] : index_) ids.push_back(id);
  return ids;
}

std::optional<ChunkPack::Place> ChunkPack::place(const ChunkId& id) const {
  std::lock_guard lock(mu_);
  auto it = index_.find(id);
  if (it == index_.end()) return std::nullopt;
  return Place{path_of(it->second.pack), it->second.record + kRecordHeaderSize, it->second.size};
}

ChunkPack::Totals ChunkPack::totals() const {
  std::lock_guard lock(mu_);
  Totals totals;
  for (const auto& [id, entry] : index_) {
    ++totals.chunks;
    totals.bytes += entry.size;
  }
  return totals;
}

}  // namespace dfs::store
