// GC on the command line: `dfs gc [--dry-run]`, and the GC and lease
// options `dfs node` and dfsmount share (also read from DATA/dfs.conf).
#pragma once

#include <boost/program_options.hpp>
#include <chrono>

#include "commands.hpp"
#include "dfs/daemon/daemon.hpp"

namespace dfs::cli {

struct GcSettings {
  std::chrono::milliseconds interval{std::chrono::hours(1)};  // how often a running peer collects
  std::chrono::seconds lease_length = node::kDefaultLeaseLength;
};

boost::program_options::options_description gc_options_description();
// Errc::invalid_argument for a zero interval or lease.
Result<GcSettings> gc_settings_from(const boost::program_options::variables_map& vm);
// What both mains run: a daemon on `node` with these GC settings (the lease
// length goes to the node), on the network `peer` if any.
daemon::DaemonOptions daemon_options(node::NodeOptions node, const GcSettings& settings,
                                     std::optional<p2p::PeerOptions> peer);

int run_gc(const GlobalOptions& global, const Args& args);

}  // namespace dfs::cli
