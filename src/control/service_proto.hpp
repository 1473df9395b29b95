// Replies of the control socket (control.proto) other than directories
// (directory_proto.hpp): status, gc, snapshot and locate, both directions,
// and the pages a locate travels in.
#pragma once

#include <functional>

#include "control.pb.h"
#include "dfs/node/service.hpp"
#include "dfs/node/snapshot_scheduler.hpp"

namespace dfs::control {

StatusReply to_proto(const node::ServiceStatus& s);
node::ServiceStatus from_proto(const StatusReply& r);
GcReply to_proto(const node::GcReport& r);
node::GcReport from_proto(const GcReply& g);
// The root's ID stays in the mount: `dfs snapshot` reports what was taken,
// not the capability to read it.
SnapshotReply to_proto(const node::SnapshotOutcome& o);
node::SnapshotOutcome from_proto(const SnapshotReply& r);
// Where a file's or tree's chunks are (dfs where/check): LocatePage
// replies cut by size (a tree of many chunks takes many pages, each well
// under kMaxControlMessageSize), then one LocateReply with the rest.
// Sends them through `send`.
Status send_location(const node::FileLocation& location, const std::function<Status(const Reply&)>& send);

// The client's side: takes the pages, then the final reply. Refuses more
// than `max_chunks` chunks in all, IDs that do not parse, and pages after
// the end.
class LocationReader {
 public:
  explicit LocationReader(std::size_t max_chunks = node::kMaxLocateChunks) : max_chunks_(max_chunks) {}
  Status page(const LocatePage& page);
  Result<node::FileLocation> finish(const LocateReply& reply);

 private:
  std::size_t max_chunks_;
  bool finished_ = false;
  node::FileLocation location_;
};

}  // namespace dfs::control
