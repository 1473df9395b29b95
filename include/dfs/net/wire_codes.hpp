// Stable numbers for dfs::Errc in wire::Error.code. The enum's order is an
// implementation detail of util/; these numbers are a protocol and never
// change. An unknown number from a newer peer reads as Errc::internal.
#pragma once

#include <cstdint>

#include "dfs/util/result.hpp"
#include "wire.pb.h"

namespace dfs::net {

std::uint32_t to_wire_code(Errc code);
Errc from_wire_code(std::uint32_t code);

// A wire::Error carrying `error`.
wire::Error to_wire_error(const Error& error);

}  // namespace dfs::net
