// GC on the command line: `dfs gc [--dry-run]`, and the GC and lease
// options `dfs node` and dfsmount share (also read from DATA/dfs.conf).
#pragma once

#include <boost/program_options.hpp>
#include <chrono>

#include "commands.hpp"
#include "dfs/node/node.hpp"

namespace dfs::cli {

struct GcSettings {
  std::chrono::milliseconds interval{std::chrono::hours(1)};  // how often a running peer collects
  std::chrono::seconds lease_length = node::kDefaultLeaseLength;
};

boost::program_options::options_description gc_options_description();
// Errc::invalid_argument for a zero interval or lease.
Result<GcSettings> gc_settings_from(const boost::program_options::variables_map& vm);
// Starts the node's periodic GC with `settings` (the lease length must
// already be in the NodeOptions the node was opened with).
void start_gc(node::Node& node, const GcSettings& settings);

int run_gc(const GlobalOptions& global, const Args& args);

}  // namespace dfs::cli
