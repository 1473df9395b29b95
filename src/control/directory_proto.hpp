// Directory entries on the control socket (control.proto DirectoryEntry):
// both directions, and the pages a listing travels in.
#pragma once

#include "control.pb.h"
#include "dfs/control/control_channel.hpp"
#include "dfs/chunk/directory.hpp"

namespace dfs::control {

void to_proto(const DirEntry& entry, DirectoryEntry& out);
// Checks what the server sent as a snapshot's entry would be checked.
Result<DirEntry> from_proto(const DirectoryEntry& in);

}  // namespace dfs::control
