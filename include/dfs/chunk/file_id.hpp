// The File ID, a read capability for one snapshot of a file or of a
// directory tree (DESIGN.md §2):
//
//     "dfs1" + base32( tag (1 byte) | manifest head chunk ID (32) | manifest key (32) )
//
// 108 characters. The tag says what the manifest describes; its value puts
// the kind in the ID's fifth character, so people can tell them apart:
// "dfs1f…" is a file, "dfs1d…" a directory. The key is the one that
// version's manifest is sealed with (manifest.hpp), so whoever holds the ID
// can read that version and no other; the ID changes whenever the content
// does.
//
// IDs of the first format (107 characters, no tag, always a file, whose
// key also opened every chunk) are still parsed; they print in the new form,
// which names the same manifest with the same key.
#pragma once

#include <string>
#include <string_view>

#include "dfs/chunk/chunk_id.hpp"

namespace dfs {

inline constexpr std::string_view kFileIdPrefix = "dfs";
inline constexpr char kFileIdVersion = '1';
inline constexpr std::size_t kFileIdLength = 4 + 104;      // prefix+version, base32 of 65 bytes
inline constexpr std::size_t kFileIdLengthV1 = 4 + 103;    // base32 of 64 bytes: no tag

enum class IdKind : std::uint8_t {
  file = 5 << 3,       // base32 'f'
  directory = 3 << 3,  // base32 'd'
};

struct FileId {
  ChunkId manifest;
  crypto::SecretKey key = crypto::SecretKey::from_bytes({});
  IdKind kind = IdKind::file;

  bool is_directory() const { return kind == IdKind::directory; }
  bool operator==(const FileId&) const = default;
  std::string to_string() const;
  // Rejects, each with its own message: a missing "dfs" prefix, an unknown
  // version digit, a wrong length, characters outside base32, and an
  // unknown tag.
  static Result<FileId> parse(std::string_view text);
};

}  // namespace dfs
