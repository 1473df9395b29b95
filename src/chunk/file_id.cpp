#include "dfs/chunk/file_id.hpp"

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

Result<FileId> FileId::parse(std::string_view text) {
  if (text.substr(0, kFileIdPrefix.size()) != kFileIdPrefix) {
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
