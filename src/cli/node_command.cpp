// dfs node: a headless storage peer. Runs the daemon (daemon/daemon.hpp:
// the P2P engine on the data directory, GC, the control socket for dfs
// put/get/status/peers) until SIGINT, SIGTERM or SIGHUP, then shuts down
// cleanly.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "cli_util.hpp"
#include "commands.hpp"
#include "peer_options.hpp"
#include "gc_command.hpp"
#include "dfs/daemon/daemon.hpp"
#include "dfs/net/address.hpp"
#include "dfs/node/recovery.hpp"
#include "dfs/p2p/peer.hpp"
#include "dfs/util/log.hpp"

namespace po = boost::program_options;

namespace dfs::cli {

po::options_description peer_options_description() {
  po::options_description desc("peer options (also read from DATA/dfs.conf)");
  desc.add_options()
      ("listen,l", po::value<std::string>()->value_name("HOST:PORT")->default_value("127.0.0.1:4001"),
       "accept peers on HOST:PORT; HOST an IPv4 address, [IPv6] or a host name; [::] takes both families "
       "(port 0: any free port)")
      ("advertise", po::value<std::string>()->value_name("HOST:PORT[,HOST:PORT]"),
       "the address other peers should dial to reach this one (default: the --listen address; needed "
       "with 0.0.0.0 or [::]); a dual-stack peer lists one of each family, comma-separated, up to 4, "
       "which others dial in turn")
      ("bootstrap,b", po::value<std::vector<std::string>>()->value_name("HOST:PORT")->composing(),
       "join the network through this peer (repeatable)")
      ("network-key", po::value<std::string>()->value_name("FILE"),
       "private network: only peers holding the same key file may connect")
      ("replicas,r", po::value<std::size_t>()->value_name("N")->default_value(3),
       "copies of each chunk, on the N peers closest to its ID")
      ("repair-interval", po::value<unsigned>()->value_name("SECONDS")->default_value(600),
       "how often to check that every chunk held here has its N copies")
      ("fetch-timeout",
       po::value<double>()->value_name("SECONDS")->default_value(
           std::chrono::duration<double>(p2p::PeerOptions{}.fetch_timeout).count()),
       "give up on a chunk no peer delivers after SECONDS (a read then fails with EIO)");
  add_limit_options(desc);
  return desc;
}

namespace {

// --advertise A[,B...]: each a HOST:PORT, at most net::kMaxAddressesPerPeer.
Result<std::vector<std::string>> advertised_addresses(const std::string& list) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at <= list.size();) {
    const auto comma = std::min(list.find(',', at), list.size());
    out.push_back(list.substr(at, comma - at));
    DFS_TRY(net::parse_host_port(out.back()));
    at = comma + 1;
  }
  if (out.size() > net::kMaxAddressesPerPeer) {
    return make_error(Errc::invalid_argument, "--advertise lists " + std::to_string(out.size()) +
                                                  " addresses; at most " + std::to_string(net::kMaxAddressesPerPeer));
  }
  return out;
}

// The lease key (issue 15): of the recovery key dfsmount --recover names
// (its leases are those this node takes over; a bad file is reported by
// the recovery itself), else of the data directory's, if it has one.
Result<std::optional<crypto::SigningKey>> lease_key_from(const po::variables_map& vm, const std::string& data_dir) {
  if (vm.count("recover")) {
    auto key = node::read_recovery_key_file(vm["recover"].as<std::string>());
    if (key.ok()) return std::optional(key->lease_key());
  }
  auto key = node::load_recovery_key(data_dir, false);
  if (key.ok()) return std::optional(key->lease_key());
  if (key.error().code == Errc::not_found) return std::optional<crypto::SigningKey>();
  return key.take_error();
}

}  // namespace

Result<p2p::PeerOptions> peer_options_from(const po::variables_map& vm, const std::string& data_dir) {
  p2p::PeerOptions options;
  options.data_dir = data_dir;
  options.listen = vm["listen"].as<std::string>();
  if (vm.count("bootstrap")) options.bootstrap = vm["bootstrap"].as<std::vector<std::string>>();
  if (vm.count("advertise")) {
    DFS_ASSIGN_OR_RETURN(options.advertise, advertised_addresses(vm["advertise"].as<std::string>()));
  }
  // Typos are usage errors here rather than failed dials later.
  DFS_ASSIGN_OR_RETURN(const net::HostPort listen, net::parse_host_port(options.listen));
  for (const auto& address : options.bootstrap) DFS_TRY(net::parse_host_port(address));
  if ((listen.host == "0.0.0.0" || listen.host == "::") && options.advertise.empty()) {
    log::warn("listening on " + options.listen + " with no --advertise: other peers cannot dial that address, "
              "so this peer is not handed out as a contact");
  }
  if (vm.count("network-key")) {
    DFS_ASSIGN_OR_RETURN(options.network_key, p2p::read_network_key(vm["network-key"].as<std::string>()));
  }
  options.replicas = vm["replicas"].as<std::size_t>();
  if (options.replicas < 1 || options.replicas > 20) {
    return make_error(Errc::invalid_argument, "--replicas must be between 1 and 20");
  }
  const unsigned interval = vm["repair-interval"].as<unsigned>();
  if (interval == 0) return make_error(Errc::invalid_argument, "--repair-interval must be at least 1 second");
  options.repair_interval = std::chrono::seconds(interval);
  const double fetch_timeout = vm["fetch-timeout"].as<double>();
  if (!(fetch_timeout >= 0.1 && fetch_timeout <= 3600)) {
    return make_error(Errc::invalid_argument, "--fetch-timeout must be between 0.1 and 3600 seconds");
  }
  options.fetch_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(fetch_timeout * 1000));
  DFS_TRY(limit_options_from(vm, options));
  DFS_ASSIGN_OR_RETURN(options.lease_key, lease_key_from(vm, data_dir));
  return options;
}

int run_keygen(const GlobalOptions&, const Args& args) {
  po::options_description options("keygen options");
  po::options_description operands;
  operands.add_options()("file", po::value<std::string>());
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  if (auto done = parse_command("keygen FILE", options, operands, positional, args, vm,
                                "Writes a new network key (32 random bytes, in hex) to FILE, which must not\n"
                                "exist, readable by its owner only. Give it to each peer of a private\n"
                                "network with --network-key FILE.")) {
    return *done;
  }
  if (!vm.count("file")) {
    std::fprintf(stderr, "dfs: keygen: no file given (try 'dfs keygen --help')\n");
    return kExitUsage;
  }
  const std::string path = vm["file"].as<std::string>();
  if (Status written = p2p::write_network_key(path); !written.ok()) {
    print_error("keygen", written.error());
    return kExitFailure;
  }
  return kExitOk;
}

int run_node(const GlobalOptions& global, const Args& args) {
  po::options_description options = peer_options_description();
  options.add(gc_options_description());
  po::options_description all = options;
  all.add_options()("help,h", "show this help and exit");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).run(), vm);
    auto config = read_config_file(global.config_file, options);
    if (!config.ok()) {
      std::fprintf(stderr, "dfs: %s\n", config.error().message.c_str());
      return kExitUsage;
    }
    if (*config) po::store(**config, vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "dfs: node: %s (try 'dfs node --help')\n", e.what());
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << "Usage: dfs node [OPTIONS]\n\n" << all;
    return kExitOk;
  }
  auto peer_options = peer_options_from(vm, global.node.data_dir);
  if (!peer_options.ok()) {
    print_error("node", peer_options.error());
    return kExitUsage;
  }
  auto gc = gc_settings_from(vm);
  if (!gc.ok()) {
    print_error("node", gc.error());
    return kExitUsage;
  }
  if (log::level() == log::Level::error) log::set_level(log::Level::warn);  // a daemon's warnings matter
  log::set_style(log::daemon_style());  // a peer's log is read later: each line says when
  daemon::keep_chunk_buffers_mapped();
  daemon::block_stop_signals();

  await_data_dir_release(global.node.data_dir, kReleaseWait);
  auto daemon = daemon::Daemon::open(daemon_options(global.node, *gc, std::move(*peer_options)));
  if (!daemon.ok()) {
    print_error("node", daemon.error());
    return kExitFailure;
  }
  if (Status served = (*daemon)->serve(); !served.ok()) {
    print_error("node", served.error());
    return kExitFailure;
  }
  // One line that scripts and tests can wait for.
  std::fprintf(stderr, "dfs node: %s\n", (*daemon)->describe().c_str());
  std::fflush(stderr);

  const int signal = daemon::wait_for_stop_signal();
  std::fprintf(stderr, "dfs node: %s, shutting down\n", daemon::stop_signal_name(signal));
  (*daemon)->stop();  // no new requests, those in progress finish; repair stops, connections close
  return kExitOk;
}

}  // namespace dfs::cli
