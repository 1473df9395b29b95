// The File ID, a read capability for one snapshot of a file (DESIGN.md §2):
//
//     "dfs1" + base32( manifest head chunk ID (32 bytes) | file key (32 bytes) )
//
// 107 characters. Whoever holds it can fetch and decrypt that version of
// the file; the ID names content, so it changes whenever the content does.
#pragma once

#include <string>
#include <string_view>

#include "dfs/chunk/chunk_id.hpp"

namespace dfs {

inline constexpr std::string_view kFileIdPrefix = "dfs";
inline constexpr char kFileIdVersion = '1';
inline constexpr std::size_t kFileIdLength = 4 + 103;  // prefix+version, base32 of 64 bytes

struct FileId {
  ChunkId manifest;
  crypto::SecretKey key;

  std::string to_string() const;
  // Rejects, each with its own message: a missing "dfs" prefix, an unknown
  // version digit, a wrong length, and characters outside base32.
  static Result<FileId> parse(std::string_view text);
};

}  // namespace dfs
