#include "dfs/net/wire_codes.hpp"

#include <array>
#include <string>
#include <utility>

namespace dfs::net {

namespace {
// 0 is left unused so that an Error with no code set is recognisable.
constexpr std::array<std::pair<Errc, std::uint32_t>, 14> kCodes{{
    {Errc::invalid_argument, 1},
    {Errc::not_found, 2},
    {Errc::already_exists, 3},
    {Errc::truncated, 4},
    {Errc::too_large, 5},
    {Errc::bad_version, 6},
    {Errc::corrupt, 7},
    {Errc::io_error, 8},
    {Errc::no_space, 9},
    {Errc::permission_denied, 10},
    {Errc::unavailable, 11},
    {Errc::timed_out, 12},
    {Errc::internal, 13},
    {Errc::busy, 14},
}};
}  // namespace

std::uint32_t to_wire_code(Errc code) {
  for (const auto& [errc, wire] : kCodes) {
    if (errc == code) return wire;
  }
  return 13;
}

Errc from_wire_code(std::uint32_t code) {
  for (const auto& [errc, wire] : kCodes) {
    if (wire == code) return errc;
  }
  return Errc::internal;
}

namespace {
// Replies go to other peers: a message naming a file of ours (a store
// error says which file failed) would tell them how this machine is laid
// out. Every word that starts with '/' is replaced.
std::string without_local_paths(const std::string& message) {
  std::string out;
  out.reserve(message.size());
  for (std::size_t i = 0; i < message.size();) {
    const bool word_start = i == 0 || message[i - 1] == ' ' || message[i - 1] == '"' || message[i - 1] == '(' ||
                            message[i - 1] == '\'';
    if (message[i] == '/' && word_start) {
      out += "(a local path)";
      while (i < message.size() && message[i] != ' ' && message[i] != '"' && message[i] != '\'' &&
             message[i] != ')' && message[i] != ':' && message[i] != ',') {
        ++i;
      }
      continue;
    }
    out.push_back(message[i++]);
  }
  return out;
}
}  // namespace

std::string printable_error_text(const std::string& text) {
  std::string out = text.substr(0, kMaxPeerErrorText);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

Error from_wire_error(const wire::Error& error) {
  return Error{from_wire_code(error.code()), printable_error_text(error.message())};
}

wire::Error to_wire_error(const Error& error) {
  wire::Error out;
  out.set_code(to_wire_code(error.code));
  out.set_message(without_local_paths(error.message));
  return out;
}

}  // namespace dfs::net
