// Stable numbers for dfs::Errc in wire::Error.code. The enum's order is an
// implementation detail of util/; these numbers are a protocol and never
// change. An unknown number from a newer peer reads as Errc::internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "dfs/util/result.hpp"
#include "wire.pb.h"

namespace dfs::net {

std::uint32_t to_wire_code(Errc code);
Errc from_wire_code(std::uint32_t code);

// A wire::Error carrying `error`.
wire::Error to_wire_error(const Error& error);

// A peer's error text, made safe to log: one line, at most
// kMaxPeerErrorText bytes, control characters replaced (a newline could
// forge a log line).
inline constexpr std::size_t kMaxPeerErrorText = 300;
std::string printable_error_text(const std::string& text);

// The Error a peer sent: its code (from_wire_code) and its text, made
// printable.
Error from_wire_error(const wire::Error& error);

}  // namespace dfs::net
