// `dfs recovery-key`: makes (once) and shows the namespace's recovery key
// (node/recovery.hpp, issue 15); `dfs snapshot`: asks the mount for a
// namespace snapshot now (node/snapshot_scheduler.hpp); `dfs recover`: lists
// the snapshots a recovery key names in the network (namespace_recovery.hpp).
#include <boost/program_options.hpp>
#include <cstdio>

#include "cli_util.hpp"
#include "commands.hpp"
#include "gc_command.hpp"
#include "namespace_recovery.hpp"
#include "peer_options.hpp"
#include "dfs/daemon/daemon.hpp"
#include "dfs/node/recovery.hpp"
#include "dfs/util/file.hpp"

namespace po = boost::program_options;

namespace dfs::cli {

namespace {

// A key made while a mount runs on the data directory takes effect at once:
// the mount's first snapshot request finds it, starts its snapshots and
// renews with its lease key from then on (MountSnapshots). A headless peer
// takes none: it uses the key from its next start.
void start_using_new_key(const std::string& data_dir) {
  auto client = running_peer(data_dir);
  if (!client.ok()) return;  // nothing runs there: the next mount uses it
  auto taken = (*client)->snapshot();
  if (taken.ok()) {
    std::fprintf(stderr, "The mount running on %s uses it now: its first snapshot (%llu files) is %s.\n",
                 data_dir.c_str(), static_cast<unsigned long long>(taken->snapshot.files),
                 taken->published ? "published" : "not new");
  } else {
    std::fprintf(stderr, "The peer running on %s does not use it yet: %s\n", data_dir.c_str(),
                 taken.error().message.c_str());
  }
}

}  // namespace

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
  auto existing = node::load_recovery_key(global.node.data_dir, false);
  const bool made = !existing.ok() && existing.error().code == Errc::not_found;
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
  if (made) start_using_new_key(global.node.data_dir);
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

namespace dfs::cli {

int run_recover(const GlobalOptions& global, const Args& args) {
  po::options_description options("recover options");
  options.add_options()("list", "list the snapshots the key names (what it does anyway)")(
      "at", po::value<std::string>()->value_name("WHEN"),
      "say which snapshot dfsmount --recover --at WHEN would take: its number in the list (0 the latest) or "
      "a time (YYYY-MM-DD HH:MM[:SS], @SECONDS)");
  options.add(peer_options_description());
  po::options_description operands;
  operands.add_options()("key", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("key", 1);
  po::variables_map vm;
  if (auto done = parse_command(
          "recover KEYFILE [--list] [--at WHEN] --bootstrap HOST:PORT", options, operands, positional, args, vm,
          "Lists the namespace snapshots the network holds for the recovery key in\n"
          "KEYFILE (its file or printable form): number, time, files, size, newest\n"
          "first. Runs a peer of its own on the data directory for the lookup (on\n"
          "127.0.0.1:0 unless --listen says otherwise). A wrong key finds none: exit 1.\n"
          "dfsmount --recover KEYFILE [--at WHEN] rebuilds the namespace from one.")) {
    return *done;
  }
  if (!vm.count("key") || !vm.count("bootstrap")) {
    std::fprintf(stderr, "dfs: recover: needs a KEYFILE and --bootstrap HOST:PORT (try 'dfs recover --help')\n");
    return kExitUsage;
  }
  std::optional<SnapshotChoice> choice;
  if (vm.count("at")) {
    auto parsed = parse_snapshot_choice(vm["at"].as<std::string>());
    if (!parsed.ok()) {
      print_error("recover", parsed.error());
      return kExitUsage;
    }
    choice = *parsed;
  }
  auto key = node::read_recovery_key_file(vm["key"].as<std::string>());
  if (!key.ok()) {
    print_error("recover", key.error());
    return kExitFailure;
  }
  if (vm["listen"].defaulted()) vm.at("listen").value() = std::string("127.0.0.1:0");  // any free port
  auto peer = peer_options_from(vm, global.node.data_dir);
  if (!peer.ok()) {
    print_error("recover", peer.error());
    return kExitUsage;
  }
  if (Status made = make_dirs(global.node.data_dir); !made.ok()) {
    print_error("recover", made.error());
    return kExitFailure;
  }
  auto daemon = daemon::Daemon::open(daemon_options(global.node, GcSettings{}, std::move(*peer)));
  if (!daemon.ok()) {
    print_error("recover", daemon.error());
    return kExitFailure;
  }
  auto found = find_snapshots(*key, *(*daemon)->peer());
  if (!found.ok()) {
    print_error("recover", found.error());
    return kExitFailure;
  }
  std::printf("%s", describe_snapshots(found->pointer).c_str());
  if (choice) {
    auto chosen = choose_snapshot(found->pointer, *choice);
    if (!chosen.ok()) {
      print_error("recover", chosen.error());
      return kExitFailure;
    }
    std::printf("--at %s: the snapshot of %s\n", vm["at"].as<std::string>().c_str(),
                local_time(chosen->taken_at).c_str());
  }
  return kExitOk;
}

}  // namespace dfs::cli
