// Where a file's chunks are (node::FileLocation) on the control socket
// (control.proto LocateReply): both directions.
#pragma once

#include "control.pb.h"
#include "dfs/node/service.hpp"

namespace dfs::control {

LocateReply to_locate_reply(const node::FileLocation& location);
// Checks every ID the server sent.
Result<node::FileLocation> from_locate_reply(const LocateReply& reply);

}  // namespace dfs::control
