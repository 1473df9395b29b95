#include "gc_command.hpp"

#include <cstdio>
#include <iostream>

#include "cli_util.hpp"
#include "dfs/control/control.hpp"
#include "dfs/control/control_channel.hpp"
#include "dfs/util/log.hpp"

namespace po = boost::program_options;

namespace dfs::cli {

po::options_description gc_options_description() {
  po::options_description desc("garbage collection (also read from DATA/dfs.conf)");
  desc.add_options()
      ("gc-interval", po::value<double>()->value_name("SECONDS")->default_value(3600),
       "how often the running peer deletes chunks nobody needs (unreferenced, unleased)")
      ("lease-length", po::value<unsigned>()->value_name("SECONDS")
           ->default_value(static_cast<unsigned>(node::kDefaultLeaseLength.count())),
       "how long a chunk received from another peer is kept unless its owner renews it "
       "(31 days: chunks outlive a lost machine long enough to recover its namespace)");
  return desc;
}

Result<GcSettings> gc_settings_from(const po::variables_map& vm) {
  GcSettings settings;
  const double interval = vm["gc-interval"].as<double>();
  if (!(interval >= 0.01)) return make_error(Errc::invalid_argument, "--gc-interval must be at least 0.01 seconds");
  settings.interval = std::chrono::milliseconds(static_cast<std::int64_t>(interval * 1000));
  const unsigned lease = vm["lease-length"].as<unsigned>();
  if (lease == 0) return make_error(Errc::invalid_argument, "--lease-length must be at least 1 second");
  settings.lease_length = std::chrono::seconds(lease);
  return settings;
}

daemon::DaemonOptions daemon_options(node::NodeOptions node, const GcSettings& settings,
                                     std::optional<p2p::PeerOptions> peer) {
  daemon::DaemonOptions options;
  options.node = std::move(node);
  options.node.lease_length = settings.lease_length;
  options.peer = std::move(peer);
  options.gc_interval = settings.interval;
  return options;
}

namespace {

void print_report(const node::GcReport& r, bool dry_run) {
  const auto n = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf("chunks examined:    %llu\n", n(r.chunks_examined));
  std::printf("%s %llu from the store, %llu from the cache\n", dry_run ? "would collect:     " : "chunks collected:  ",
              n(r.chunks_collected), n(r.cache_collected));
  if (!dry_run) std::printf("space freed:        %s\n", human_bytes(r.bytes_freed).c_str());
  if (!dry_run) std::printf("tmp files removed:  %llu\n", n(r.temp_files_removed));
  if (!dry_run) std::printf("expired leases:     %llu\n", n(r.leases_expired));
}

// A running peer (dfs node, dfsmount) collects when asked over its
// control socket: its GC is safe beside its puts and the mount's writes.
// A stopped one is opened here.
Result<node::GcReport> collect(const GlobalOptions& global, const node::GcOptions& options) {
  auto client = control::ControlClient::connect(control::control_socket_path(global.node.data_dir));
  if (client.ok() && *client) return (**client)->collect_garbage(options);
  await_data_dir_release(global.node.data_dir, kReleaseWait);
  auto node = node::Node::open(global.node);
  if (!node.ok()) return Error{node.error().code, "cannot open " + global.node.data_dir + ": " + node.error().message};
  return (*node)->collect_garbage(options);
}

}  // namespace

int run_gc(const GlobalOptions& global, const Args& args) {
  po::options_description options("gc options");
  options.add_options()("dry-run,n", "count what would be collected; delete nothing")("help,h", "show this help and exit");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "dfs: gc: %s (try 'dfs gc --help')\n", e.what());
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << "Usage: dfs gc [--dry-run]\n\nDeletes the chunks of the data directory that no file references and\n"
                 "no lease holds. A running peer (dfs node, dfsmount) is asked to collect\n"
                 "now through its control socket; it also collects by itself every\n"
                 "--gc-interval.\n\n"
              << options;
    return kExitOk;
  }
  if (Status exists = require_data_dir(global.node.data_dir); !exists.ok()) {
    print_error("gc", exists.error());
    return kExitFailure;
  }
  node::GcOptions gc_options;
  gc_options.dry_run = vm.count("dry-run") != 0;
  auto report = collect(global, gc_options);
  if (!report.ok()) {
    print_error("gc", report.error());
    return kExitFailure;
  }
  print_report(*report, gc_options.dry_run);
  return kExitOk;
}

}  // namespace dfs::cli
