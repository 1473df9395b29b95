// The dfs subcommands. Each parses its own arguments (after the global ones
// were taken out) and returns a process exit status (cli_util.hpp).
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dfs/node/node.hpp"

namespace dfs::cli {

struct GlobalOptions {
  node::NodeOptions node;    // data_dir resolved, quota set
  std::string config_file;   // DATA/dfs.conf (may not exist)
  bool data_must_exist = false;  // the command reads: refuse a missing data directory (require_data_dir)
};

using Args = std::vector<std::string>;

int run_put(const GlobalOptions& global, const Args& args);
int run_get(const GlobalOptions& global, const Args& args);
int run_ls(const GlobalOptions& global, const Args& args);
int run_status(const GlobalOptions& global, const Args& args);
int run_peers(const GlobalOptions& global, const Args& args);
int run_node(const GlobalOptions& global, const Args& args);
int run_id(const GlobalOptions& global, const Args& args);
int run_open(const GlobalOptions& global, const Args& args);
int run_recovery_key(const GlobalOptions& global, const Args& args);
int run_snapshot(const GlobalOptions& global, const Args& args);
int run_recover(const GlobalOptions& global, const Args& args);
int run_keygen(const GlobalOptions& global, const Args& args);
int run_rm(const GlobalOptions& global, const Args& args);

// Parses a subcommand's arguments. Returns the exit status to end with if
// the command should not run (help shown or a usage error), else nullopt.
// `operands` names the positional arguments; they are parsed but not shown
// as options in --help. `about`, if given, is shown by --help under the usage.
std::optional<int> parse_command(const char* usage, const boost::program_options::options_description& options,
                                 const boost::program_options::options_description& operands,
                                 const boost::program_options::positional_options_description& positional,
                                 const Args& args, boost::program_options::variables_map& vm,
                                 const char* about = nullptr);

// parse_command for a command whose operands are IDs ("id", any number).
std::optional<int> parse_ids_command(const char* usage, const boost::program_options::options_description& options,
                                     const Args& args, boost::program_options::variables_map& vm,
                                     const char* about = nullptr);

// Parses the "id" operand of `command` into `id`. When it is missing or
// malformed, says why on stderr and returns kExitUsage (a mistyped ID is a
// command-line mistake, dfs(1) EXIT STATUS); nullopt once `id` is set.
std::optional<int> parse_file_id_operand(const boost::program_options::variables_map& vm, const char* command,
                                         std::optional<FileId>& id);

// The running peer of the data directory if there is one (through its
// control socket), else the data directory itself as a lone peer. `note`
// says so on stderr for commands whose result depends on it.
Result<std::unique_ptr<node::Service>> open_service(const GlobalOptions& global, bool note);

}  // namespace dfs::cli
