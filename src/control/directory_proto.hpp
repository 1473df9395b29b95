// Directory entries on the control socket (control.proto DirectoryEntry):
// both directions, and the pages a listing travels in.
#pragma once

#include "control.pb.h"
#include "dfs/chunk/directory.hpp"

namespace dfs::control {

// Entries per DirectoryPage: at most ~600 bytes each (a 255-byte name, a
// 108-character ID or a target...), well under the message limit. Longer
// symlink targets are rare; a page is also cut by size.
inline constexpr std::size_t kPageBytes = 512 * 1024;

void to_proto(const DirEntry& entry, DirectoryEntry& out);
// Checks what the server sent as a snapshot's entry would be checked.
Result<DirEntry> from_proto(const DirectoryEntry& in);

}  // namespace dfs::control
