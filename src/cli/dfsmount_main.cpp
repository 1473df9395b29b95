// dfsmount: a peer and a FUSE mount of its filesystem, in one process
// (DESIGN.md §1). Parses FUSE-style and long options, opens the data
// directory, starts the P2P engine when peers are configured, mounts,
// serves the control socket (dfs status/put/get reach this peer, dfs open
// places shared files on the mount), goes to the background once the mount
// is up (unless -f), and on SIGINT/SIGTERM or fusermount3 -u unmounts,
// lets the FileSystem commit open files, and stops the peer.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/algorithm/string/split.hpp>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "mount_command_line.hpp"
#include "mount_table.hpp"
#include "namespace_recovery.hpp"
#include "namespace_snapshots.hpp"
#include "gc_command.hpp"
#include "dfs/fs/open_filesystem.hpp"
#include "dfs/fuse/mount.hpp"
#include "dfs/daemon/daemon.hpp"
#include "dfs/util/file.hpp"
#include "dfs/util/log.hpp"
#include "dfs_config.h"
#include "peer_options.hpp"
#include "shared_file_placer.hpp"

namespace po = boost::program_options;

namespace {

using namespace dfs;
using namespace dfs::cli;

po::options_description mount_options() {
  po::options_description desc("Options");
  desc.add_options()
      ("help,h", "show this help and exit")
      ("version,V", "show the version and exit")
      ("foreground,f", "stay in the foreground (default: background once mounted)")
      ("debug,d", "print every FUSE request (implies -f)")
      ("options,o", po::value<std::vector<std::string>>()->value_name("OPT[,OPT...]")->composing(),
       "mount options: FUSE's (allow_other, ro, ...), nonempty, and any long option below as NAME=VALUE "
       "(data=DIR, replicas=2, bootstrap=HOST:PORT, network_key=FILE, ...)")
      ("data", po::value<std::string>()->value_name("DIR"),
       "data directory (default: SOURCE, else $XDG_DATA_HOME/dfs or ~/.local/share/dfs)")
      ("quota", po::value<std::string>()->value_name("SIZE"),
       "refuse to store more than SIZE of chunks (e.g. 50G; default: no limit)")
      ("recover", po::value<std::string>()->value_name("KEYFILE"),
       "on a new data directory: rebuild the namespace from the latest snapshot published under this "
       "recovery key (dfs recovery-key --export), then mount it; needs --bootstrap")
      ("at", po::value<std::string>()->value_name("WHEN"),
       "with --recover: an older snapshot, by its number in dfs recover --list (0 the latest) or a time "
       "(YYYY-MM-DD HH:MM[:SS], @SECONDS): the newest taken at or before it")
      ("verbose,v", "also log progress notes")
      ("quiet,q", "log nothing");
  return desc;
}

// Runs in the background: the parent waits for the child to say the mount
// is up (exit 0) or why it is not (that line, exit 1). Must run before any
// thread starts. Returns the pipe the child reports on.
int daemonize() {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid > 0) {
    close(pipe_fds[1]);
    std::string report;
    char buf[512];
    for (ssize_t n; (n = read(pipe_fds[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<std::size_t>(n));
    if (report == "ok") _exit(kExitOk);
    std::fputs(report.empty() ? "dfsmount: the background process died before mounting\n" : report.c_str(), stderr);
    _exit(kExitFailure);
  }
  close(pipe_fds[0]);
  setsid();
  return pipe_fds[1];
}

// The child's report to the waiting parent; stdio then goes to the log.
void report_ready(int fd, const std::string& log_path) {
  if (fd < 0) return;
  (void)!write(fd, "ok", 2);
  close(fd);
  const int null_fd = open("/dev/null", O_RDWR);
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  dup2(null_fd, STDIN_FILENO);
  dup2(null_fd, STDOUT_FILENO);
  dup2(log_fd >= 0 ? log_fd : null_fd, STDERR_FILENO);
  if (null_fd > STDERR_FILENO) close(null_fd);
  if (log_fd > STDERR_FILENO) close(log_fd);
  (void)!chdir("/");
}

int fail(int report_fd, const std::string& message) {
  const std::string line = "dfsmount: " + message + "\n";
  if (report_fd >= 0) {
    (void)!write(report_fd, line.data(), line.size());  // the waiting parent prints it
  } else {
    std::fputs(line.c_str(), stderr);
  }
  return kExitFailure;
}

int run(int argc, char** argv) {
  po::options_description visible = mount_options();
  visible.add(mount_tuning_description());
  visible.add(peer_options_description());
  visible.add(gc_options_description());
  MountCommandLine line;
  if (auto done = parse_mount_command_line(argc, argv, visible, line)) return *done;
  const po::variables_map& vm = line.vm;
  const std::string& data_dir = line.data_dir;
  fuse::MountOptions mount;
  auto mountpoint = check_mountpoint(line);
  if (!mountpoint.ok()) {
    std::fprintf(stderr, "dfsmount: %s\n", mountpoint.error().message.c_str());
    return mountpoint.error().code == Errc::invalid_argument ? kExitUsage : kExitFailure;
  }
  mount.mountpoint = *mountpoint;
  mount.fuse_options = line.fuse_options;
  mount.fsname_option = fsname_option(data_dir);
  mount.debug = vm.count("debug") != 0;
  mount.entry_timeout = vm["entry-timeout"].as<double>();
  mount.attr_timeout = vm["attr-timeout"].as<double>();
  node::NodeOptions node_options;
  node_options.data_dir = data_dir;
  if (vm.count("quota")) {
    auto quota = parse_size(vm["quota"].as<std::string>());
    if (!quota.ok()) {
      print_error("--quota", quota.error());
      return kExitUsage;
    }
    node_options.quota_bytes = *quota;
  }
  auto peer_options = peer_options_from(vm, data_dir);
  if (!peer_options.ok()) {
    print_error("dfsmount", peer_options.error());
    return kExitUsage;
  }
  auto gc = gc_settings_from(vm);
  if (!gc.ok()) {
    print_error("dfsmount", gc.error());
    return kExitUsage;
  }
  const double commit_seconds = vm["commit-interval"].as<double>();
  if (!(commit_seconds >= 0 && commit_seconds <= 3600)) {
    std::fprintf(stderr, "dfsmount: --commit-interval must be between 0 and 3600 seconds\n");
    return kExitUsage;
  }
  const auto commit_interval = std::chrono::milliseconds(static_cast<std::int64_t>(commit_seconds * 1000));
  auto snapshot_interval = snapshot_interval_from(vm["snapshot-interval"].as<double>());
  if (!snapshot_interval.ok()) {
    std::fprintf(stderr, "dfsmount: %s\n", snapshot_interval.error().message.c_str());
    return kExitUsage;
  }
  // A network when one is named; a lone peer otherwise (DESIGN.md §1).
  const bool networked = !vm["listen"].defaulted() || vm.count("bootstrap");
  std::optional<std::string> recover_key, recover_at;
  if (vm.count("recover")) recover_key = vm["recover"].as<std::string>();
  if (vm.count("at")) recover_at = vm["at"].as<std::string>();
  if (recover_at && !recover_key) {
    std::fprintf(stderr, "dfsmount: --at goes with --recover\n");
    return kExitUsage;
  }
  if (recover_key && !vm.count("bootstrap")) {
    std::fprintf(stderr, "dfsmount: --recover needs --bootstrap HOST:PORT: the snapshots are in the network\n");
    return kExitUsage;
  }
  if (recover_at) {
    if (auto choice = parse_snapshot_choice(*recover_at); !choice.ok()) {
      std::fprintf(stderr, "dfsmount: %s\n", choice.error().message.c_str());
      return kExitUsage;
    }
  }
  log::set_level(vm.count("verbose") ? log::Level::info : log::Level::warn);
  if (vm.count("quiet")) log::set_level(log::Level::off);
  if (line.fake) return kExitOk;  // mount.dfs -f: everything checked, nothing mounted

  const bool foreground = vm.count("foreground") || mount.debug;
  const int report_fd = foreground ? -1 : daemonize();
  daemon::keep_chunk_buffers_mapped();
  // The stop signals are blocked in this thread and so in every thread it
  // starts (the peer, the pool, the control socket): the FUSE threads,
  // started once they are unblocked, take them and end the loop.
  daemon::block_stop_signals();

  await_data_dir_release(data_dir, kReleaseWait);  // a dfsmount unmounted just now may still be exiting
  auto opened = daemon::Daemon::open(
      daemon_options(node_options, *gc, networked ? std::optional(std::move(*peer_options)) : std::nullopt));
  if (!opened.ok()) return fail(report_fd, opened.error().message);
  daemon::Daemon& daemon = **opened;
  node::DataDir& data = daemon.data();

  // The filesystem works on the data directory's store, cache, index and
  // pool, beside the node.
  const std::string scratch = data_dir + "/tmp";  // private like the rest of the data directory
  if (Status made = make_dirs(scratch); !made.ok()) return fail(report_fd, made.error().message);
  fs::Backend backend;
  backend.store = &data.store();
  backend.cache = &data.cache();
  backend.index = &data.index();
  backend.pool = &data.pool();
  backend.network = daemon.peer();
  backend.in_flight = &data.in_flight();
  fs::FsOptions fs_options;
  fs_options.scratch_dir = scratch;
  fs_options.commit_interval = commit_interval;
  auto filesystem = fs::open_filesystem(backend, fs_options);
  if (!filesystem.ok()) return fail(report_fd, "cannot open the filesystem: " + filesystem.error().message);
  if (recover_key) {
    auto recovered = recover_namespace(data_dir, *recover_key, recover_at, *daemon.peer(), **filesystem);
    if (!recovered.ok()) return fail(report_fd, "cannot recover: " + recovered.error().message);
    std::fprintf(stderr, "dfsmount: %s\n", recovered->c_str());
  }

  auto mounted = fuse::Mount::create(**filesystem, mount);
  if (!mounted.ok()) return fail(report_fd, mounted.error().message);
  // Started once the mount exists: `dfs open` places files on it.
  SharedFilePlacer placer(**filesystem, **mounted, mount.mountpoint);
  control::MountHandlers handlers;
  handlers.open = [&placer](const control::OpenSharedRequest& request) { return placer.place(request); };
  // Namespace snapshots (issue 15): with a network and a recovery key,
  // made before the mount or while it runs.
  p2p::Peer* peer = daemon.peer();
  MountSnapshots snapshots(data_dir, peer, *snapshot_interval, namespace_source(**filesystem), data.index(),
                           [peer](crypto::SigningKey key) { return peer->set_lease_key(std::move(key)); });
  if (Status started = snapshots.start(); !started.ok()) {
    return fail(report_fd, "namespace snapshots: " + started.error().message);
  }
  handlers.snapshot = [&snapshots] { return snapshots.take_now(); };
  Status served = daemon.serve(std::move(handlers));
  if (!served.ok()) return fail(report_fd, served.error().message);
  if (daemon.peer()) {
    std::fprintf(stderr, "dfsmount: %s mounted; %s\n", mount.mountpoint.c_str(), daemon.describe().c_str());
  } else {
    std::fprintf(stderr, "dfsmount: %s mounted (lone peer)\n", mount.mountpoint.c_str());
  }
  std::fflush(stderr);
  report_ready(report_fd, data_dir + "/dfsmount.log");
  log::set_style(log::daemon_style());  // each line of a mount's log says when

  daemon::block_stop_signals(false);
  const Status ran = (*mounted)->run();  // until unmounted or signalled
  daemon::block_stop_signals();
  daemon.stop_serving();  // its open requests use the mount and the filesystem
  mounted->reset();       // unmounted: no request can arrive now
  snapshots.finish();     // the last snapshot; its thread uses the filesystem
  filesystem->reset();    // commits what was still open
  daemon.stop();
  std::fprintf(stderr, "dfsmount: %s unmounted\n", mount.mountpoint.c_str());
  if (!ran.ok()) {
    print_error("dfsmount", ran.error());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const po::error& e) {
    std::fprintf(stderr, "dfsmount: %s (try 'dfsmount --help')\n", e.what());
    return kExitUsage;
  }
}
