// Text encodings of binary values: lowercase hex (chunk IDs in paths and
// logs) and RFC 4648 base32 without padding (File IDs, which users copy and
// paste, so the alphabet avoids 0/1/8/9 look-alikes and is case-insensitive).
#pragma once

#include <string>
#include <string_view>

#include "dfs/util/bytes.hpp"

namespace dfs {

std::string to_hex(ByteView data);
Result<Bytes> from_hex(std::string_view text);

// Lowercase RFC 4648 base32, no '=' padding.
std::string to_base32(ByteView data);
// Accepts upper or lower case; rejects padding, other characters and
// non-canonical trailing bits.
Result<Bytes> from_base32(std::string_view text);

}  // namespace dfs
