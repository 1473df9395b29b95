// Replies of the control socket (control.proto) other than directories
// (directory_proto.hpp): status, gc, snapshot and locate, both directions.
#pragma once

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
// Where a file's chunks are (dfs where/check).
LocateReply to_proto(const node::FileLocation& location);
// Checks every ID the peer sent.
Result<node::FileLocation> from_proto(const LocateReply& reply);

}  // namespace dfs::control
