#include "dfs/chunk/file_id.hpp"

#include <cctype>

#include "dfs/util/encoding.hpp"

namespace dfs {

std::string FileId::to_string() const {
  Bytes raw;
  raw.reserve(crypto::kDigestSize + crypto::kKeySize);
  raw.insert(raw.end(), manifest.bytes.begin(), manifest.bytes.end());
  raw.insert(raw.end(), key.bytes().begin(), key.bytes().end());
  std::string out(kFileIdPrefix);
  out.push_back(kFileIdVersion);
  out += to_base32(raw);
  crypto::random_bytes(raw);  // overwrite the key copy before freeing
  return out;
}

namespace {

// "dfs", "DFS", "Dfs": an ID read aloud or typed from a printout may come in
// any case, like the base32 after it.
bool has_prefix(std::string_view text) {
  if (text.size() < kFileIdPrefix.size()) return false;
  for (std::size_t i = 0; i < kFileIdPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != kFileIdPrefix[i]) return false;
  }
  return true;
}

}  // namespace

Result<FileId> FileId::parse(std::string_view text) {
  if (!has_prefix(text)) {
    return make_error(Errc::invalid_argument, "not a dfs File ID: it should start with \"dfs1\"");
  }
  if (text.size() <= kFileIdPrefix.size() || text[kFileIdPrefix.size()] != kFileIdVersion) {
    std::string version = text.size() > kFileIdPrefix.size() ? std::string(1, text[kFileIdPrefix.size()]) : "";
    return make_error(Errc::bad_version, "File ID version \"" + version + "\" is not supported (this build reads version 1)");
  }
  if (text.size() != kFileIdLength) {
    return make_error(Errc::invalid_argument, "a File ID has " + std::to_string(kFileIdLength) + " characters, this one has " +
                                                  std::to_string(text.size()) + " (cut short when copied?)");
  }
  auto raw = from_base32(text.substr(kFileIdPrefix.size() + 1));
  if (!raw.ok()) return make_error(Errc::invalid_argument, "malformed File ID: " + raw.error().message);
  std::array<std::uint8_t, crypto::kKeySize> key_bytes{};
  ChunkId manifest;
  std::copy_n(raw->begin(), crypto::kDigestSize, manifest.bytes.begin());
  std::copy_n(raw->begin() + crypto::kDigestSize, crypto::kKeySize, key_bytes.begin());
  FileId id{manifest, crypto::SecretKey::from_bytes(key_bytes)};
  crypto::random_bytes(key_bytes);
  crypto::random_bytes(*raw);
  return id;
}

}  // namespace dfs
