// `dfs recovery-key`: makes (once) and shows the namespace's recovery key
// (node/recovery.hpp, issue 15); `dfs snapshot`: asks the mount for a
// namespace snapshot now (node/snapshot_scheduler.hpp).
#include <boost/program_options.hpp>
#include <cstdio>

#include "cli_util.hpp"
#include "commands.hpp"
#include "dfs/node/recovery.hpp"
#include "dfs/util/file.hpp"

namespace po = boost::program_options;

namespace dfs::cli {

int run_recovery_key(const GlobalOptions& global, const Args& args) {
  po::options_description options("recovery-key options");
  options.add_options()("export", po::value<std::string>()->value_name("FILE"),
                        "also write the key to FILE (a new file, mode 0600), to keep off this machine");
  po::variables_map vm;
  if (auto done = parse_command(
          "recovery-key [--export FILE]", options, {}, {}, args, vm,
          "Makes this data directory's recovery key if it has none (DATA/recovery.key,\n"
          "mode 0600) and shows it: \"dfsr1-\" and groups of five characters, with a\n"
          "checksum that catches a mistyped one. It signs and seals the namespace's\n"
          "recovery pointer in the DHT, the one record that names its snapshots.\n"
          "Whoever holds the key can read every file: write it down or keep the\n"
          "exported file somewhere safe, off this machine.")) {
    return *done;
  }
  if (Status made = make_dirs(global.node.data_dir); !made.ok()) {
    print_error("recovery-key", made.error());
    return kExitFailure;
  }
  auto key = node::load_recovery_key(global.node.data_dir, true);
  if (!key.ok()) {
    print_error("recovery-key", key.error());
    return kExitFailure;
  }
  if (vm.count("export")) {
    if (Status written = node::export_recovery_key(*key, vm["export"].as<std::string>()); !written.ok()) {
      print_error("recovery-key", written.error());
      return kExitFailure;
    }
  }
  std::printf("%s\n", key->to_text().c_str());
  std::fprintf(stderr,
               "This recovery key reads every file of %s. Keep it off this machine (write it\n"
               "down, or keep a file from --export).\n",
               global.node.data_dir.c_str());
  return kExitOk;
}

int run_snapshot(const GlobalOptions& global, const Args& args) {
  po::options_description options("snapshot options");
  po::variables_map vm;
  if (auto done = parse_command(
          "snapshot", options, {}, {}, args, vm,
          "Asks the mount running on the data directory (dfsmount) to take a\n"
          "snapshot of its namespace now and publish it under the recovery key.\n"
          "Prints when it was taken, its files and bytes, and whether it was new.\n"
          "A mount also takes one every --snapshot-interval while it changes, and at\n"
          "unmount; dfs status shows the last.")) {
    return *done;
  }
  auto client = running_peer(global.node.data_dir);
  if (!client.ok()) {
    print_error("snapshot", client.error());
    return kExitFailure;
  }
  auto taken = (*client)->snapshot();
  if (!taken.ok()) {
    print_error("snapshot", taken.error());
    return kExitFailure;
  }
  std::printf("%s  %llu files  %s  %s\n", local_time(taken->snapshot.taken_at).c_str(),
              static_cast<unsigned long long>(taken->snapshot.files), human_bytes(taken->snapshot.bytes).c_str(),
              taken->published ? "published" : "unchanged since the last snapshot");
  return kExitOk;
}

}  // namespace dfs::cli
