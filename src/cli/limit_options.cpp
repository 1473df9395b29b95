// The peer options that bound what strangers can make a node hold
// (TlsTransportOptions): connection caps, answer queues, deadlines, log
// rate; and the budget for their chunks. Part of the peer options (peer_options.hpp), so dfs node and
// dfsmount take them and DATA/dfs.conf may set them.
#include <boost/program_options.hpp>

#include "cli_util.hpp"
#include "peer_options.hpp"

namespace po = boost::program_options;

namespace dfs::cli {

namespace {

Result<std::size_t> count_option(const po::variables_map& vm, const char* name, std::size_t min, std::size_t max) {
  const std::size_t n = vm[name].as<std::size_t>();
  if (n < min || n > max) {
    return make_error(Errc::invalid_argument, std::string("--") + name + " must be between " + std::to_string(min) +
                                                  " and " + std::to_string(max));
  }
  return n;
}

Result<std::size_t> size_option(const po::variables_map& vm, const char* name) {
  auto size = parse_size(vm[name].as<std::string>());
  constexpr std::uint64_t kMin = 16u << 20;  // room for one chunk of the largest size
  if (!size.ok() || *size < kMin || *size > (std::uint64_t{1} << 40)) {
    return make_error(Errc::invalid_argument, std::string("--") + name + " must be a size of at least 16M");
  }
  return static_cast<std::size_t>(*size);
}

Result<std::chrono::milliseconds> seconds_option(const po::variables_map& vm, const char* name) {
  const double s = vm[name].as<double>();
  if (!(s >= 0.1 && s <= 3600)) {
    return make_error(Errc::invalid_argument, std::string("--") + name + " must be between 0.1 and 3600 seconds");
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
}

}  // namespace

void add_limit_options(po::options_description& desc) {
  desc.add_options()
      ("max-connections", po::value<std::size_t>()->value_name("N")->default_value(512),
       "accept at most N connections from other peers at a time")
      ("max-connections-per-address", po::value<std::size_t>()->value_name("N")->default_value(32),
       "... and at most N from one IP address")
      ("max-handshakes", po::value<std::size_t>()->value_name("N")->default_value(64),
       "at most N connections still in set-up (TLS handshake, network key) at a time")
      ("max-handshakes-per-address", po::value<std::size_t>()->value_name("N")->default_value(8),
       "... and at most N from one IP address")
      ("handshake-timeout", po::value<double>()->value_name("SECONDS")->default_value(10),
       "drop a connection whose set-up takes longer")
      ("max-reply-queue", po::value<std::string>()->value_name("SIZE")->default_value("64M"),
       "chunk answers queued for one peer; beyond, its requests wait and it is not read")
      ("max-node-reply-queue", po::value<std::string>()->value_name("SIZE")->default_value("128M"),
       "chunk answers queued for all peers together")
      ("write-timeout", po::value<double>()->value_name("SECONDS")->default_value(30),
       "drop a peer that reads nothing of an answer for SECONDS")
      ("frame-timeout", po::value<double>()->value_name("SECONDS")->default_value(60),
       "drop a peer that does not finish a message it started within SECONDS")
      ("log-lines-per-minute", po::value<std::size_t>()->value_name("N")->default_value(60),
       "log at most N lines a minute about peers' refused connections and messages")
      ("storage-for-others", po::value<std::string>()->value_name("SIZE")->default_value("10G"),
       "keep at most SIZE of chunks other peers put here (DATA/held/), apart from --quota")
      ("put-rate", po::value<std::string>()->value_name("SIZE")->default_value("256M"),
       "take at most SIZE a second of chunks from one peer, and from one address; beyond: busy")
      ("put-chunks-per-second", po::value<std::size_t>()->value_name("N")->default_value(1024),
       "... and at most N chunks a second")
      ("max-put-queue", po::value<std::string>()->value_name("SIZE")->default_value("128M"),
       "chunks received and not yet stored, all peers together; beyond: busy")
      ("challenges-per-second", po::value<std::size_t>()->value_name("N")->default_value(8),
       "answer at most N storage challenges a second from one peer, and from one address; beyond: busy");
}

Status limit_options_from(const po::variables_map& vm, p2p::PeerOptions& peer) {
  constexpr std::size_t kMany = 1'000'000;
  net::TlsTransportOptions& net = peer.net;
  DFS_ASSIGN_OR_RETURN(net.max_inbound_connections, count_option(vm, "max-connections", 1, kMany));
  DFS_ASSIGN_OR_RETURN(net.max_inbound_per_address, count_option(vm, "max-connections-per-address", 1, kMany));
  DFS_ASSIGN_OR_RETURN(net.max_handshakes, count_option(vm, "max-handshakes", 1, kMany));
  DFS_ASSIGN_OR_RETURN(net.max_handshakes_per_address, count_option(vm, "max-handshakes-per-address", 1, kMany));
  DFS_ASSIGN_OR_RETURN(net.handshake_timeout, seconds_option(vm, "handshake-timeout"));
  DFS_ASSIGN_OR_RETURN(net.max_reply_bytes_per_connection, size_option(vm, "max-reply-queue"));
  DFS_ASSIGN_OR_RETURN(net.max_reply_bytes_per_node, size_option(vm, "max-node-reply-queue"));
  DFS_ASSIGN_OR_RETURN(net.write_timeout, seconds_option(vm, "write-timeout"));
  DFS_ASSIGN_OR_RETURN(net.frame_timeout, seconds_option(vm, "frame-timeout"));
  DFS_ASSIGN_OR_RETURN(net.log_lines_per_minute, count_option(vm, "log-lines-per-minute", 1, kMany));
  auto for_others = parse_size(vm["storage-for-others"].as<std::string>());
  if (!for_others.ok() || *for_others < (16u << 20)) {
    return make_error(Errc::invalid_argument, "--storage-for-others must be a size of at least 16M");
  }
  peer.storage_for_others = *for_others;
  DFS_ASSIGN_OR_RETURN(peer.put_limits.bytes_per_second, size_option(vm, "put-rate"));
  DFS_ASSIGN_OR_RETURN(peer.put_limits.chunks_per_second, count_option(vm, "put-chunks-per-second", 1, kMany));
  DFS_ASSIGN_OR_RETURN(peer.put_limits.max_queued_bytes, size_option(vm, "max-put-queue"));
  DFS_ASSIGN_OR_RETURN(peer.challenges_per_second, count_option(vm, "challenges-per-second", 1, kMany));
  return {};
}

}  // namespace dfs::cli
