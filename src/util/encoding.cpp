#include "dfs/util/encoding.hpp"

#include <algorithm>

namespace dfs {

void ByteWriter::u32(std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void ByteWriter::u64(std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

Result<ByteView> ByteReader::bytes(std::size_t n, const char* what) {
  if (n > remaining()) {
    return make_error(Errc::truncated, std::string("input ends inside ") + what + " (need " +
                                           std::to_string(n) + " bytes, have " +
                                           std::to_string(remaining()) + ")");
  }
  ByteView view = in_.subspan(pos_, n);
  pos_ += n;
  return view;
}

Result<std::uint8_t> ByteReader::u8(const char* what) {
  DFS_ASSIGN_OR_RETURN(ByteView v, bytes(1, what));
  return v[0];
}

Result<std::uint32_t> ByteReader::u32(const char* what) {
  DFS_ASSIGN_OR_RETURN(ByteView v, bytes(4, what));
  std::uint32_t out = 0;
  for (int i = 3; i >= 0; --i) out = (out << 8) | v[static_cast<std::size_t>(i)];
  return out;
}

Result<std::uint64_t> ByteReader::u64(const char* what) {
  DFS_ASSIGN_OR_RETURN(ByteView v, bytes(8, what));
  std::uint64_t out = 0;
  for (int i = 7; i >= 0; --i) out = (out << 8) | v[static_cast<std::size_t>(i)];
  return out;
}

Status ByteReader::expect_end(const char* what) const {
  if (remaining() != 0) {
    return make_error(Errc::corrupt, std::to_string(remaining()) + " unexpected trailing bytes after " + what);
  }
  return {};
}

namespace {
constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kBase32Alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int base32_value(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}
}  // namespace

std::string to_hex(ByteView data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t b : data) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0xf]);
  }
  return out;
}

Result<Bytes> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return make_error(Errc::invalid_argument, "hex text has an odd length");
  Bytes out(text.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(text[2 * i]);
    int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return make_error(Errc::invalid_argument, "invalid hex character at position " + std::to_string(2 * i));
    }
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string to_base32(ByteView data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::uint8_t b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32Alphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

Result<Bytes> from_base32(std::string_view text) {
  // Lengths that leave 1, 3 or 6 spare characters cannot come from to_base32.
  std::size_t rem = text.size() % 8;
  if (rem == 1 || rem == 3 || rem == 6) {
    return make_error(Errc::invalid_argument, "base32 text has an impossible length " + std::to_string(text.size()));
  }
  Bytes out;
  out.reserve(text.size() * 5 / 8);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    int v = base32_value(text[i]);
    if (v < 0) {
      return make_error(Errc::invalid_argument, "invalid base32 character at position " + std::to_string(i));
    }
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<std::uint8_t>(buffer >> (bits - 8)));
      bits -= 8;
    }
  }
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) {
    return make_error(Errc::invalid_argument, "base32 text has non-zero trailing bits");
  }
  return out;
}

}  // namespace dfs
