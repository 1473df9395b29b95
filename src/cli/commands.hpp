// The dfs subcommands. Each parses its own arguments (after the global ones
// were taken out) and returns a process exit status (cli_util.hpp).
#pragma once

#include <string>
#include <vector>

#include "dfs/node/node.hpp"

namespace dfs::cli {

struct GlobalOptions {
  node::NodeOptions node;    // data_dir resolved, quota set
  std::string config_file;   // DATA/dfs.conf (may not exist)
};

using Args = std::vector<std::string>;

int run_put(const GlobalOptions& global, const Args& args);
int run_get(const GlobalOptions& global, const Args& args);
int run_ls(const GlobalOptions& global, const Args& args);
int run_status(const GlobalOptions& global, const Args& args);
int run_peers(const GlobalOptions& global, const Args& args);
int run_node(const GlobalOptions& global, const Args& args);

}  // namespace dfs::cli
