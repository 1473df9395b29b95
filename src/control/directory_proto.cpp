#include "directory_proto.hpp"

namespace dfs::control {

void to_proto(const DirEntry& e, DirectoryEntry& out) {
  out.set_name(e.name);
  out.set_type(static_cast<std::uint32_t>(e.type));
  out.set_mode(e.mode);
  out.set_mtime_seconds(e.mtime_seconds);
  out.set_mtime_nanoseconds(e.mtime_nanoseconds);
  out.set_size(e.size);
  if (e.id) out.set_file_id(e.id->to_string());
  out.set_target(e.target);
}

Result<DirEntry> from_proto(const DirectoryEntry& in) {
  DirEntry e;
  e.name = in.name();
  if (in.type() < static_cast<std::uint32_t>(EntryType::file) ||
      in.type() > static_cast<std::uint32_t>(EntryType::block_device)) {
    return make_error(Errc::corrupt, "the peer sent an entry of unknown type " + std::to_string(in.type()));
  }
  e.type = static_cast<EntryType>(in.type());
  e.mode = in.mode();
  e.mtime_seconds = in.mtime_seconds();
  e.mtime_nanoseconds = in.mtime_nanoseconds();
  e.size = in.size();
  if (!in.file_id().empty()) {
    DFS_ASSIGN_OR_RETURN(FileId id, FileId::parse(in.file_id()));
    e.id = std::move(id);
  }
  e.target = in.target();
  Directory one;
  one.entries.push_back(e);
  DFS_TRY(one.validate());
  return e;
}

}  // namespace dfs::control
