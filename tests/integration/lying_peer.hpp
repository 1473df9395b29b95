// A peer that claims everything and stores nothing (issue 10): it listens
// on a loopback address with a valid identity, answers PING and the DHT's
// lookups (with no contacts) so that honest peers take it into their
// routing tables, acknowledges every PUT_CHUNK and drops the bytes, says
// "held" to every chunk a HAS_CHUNKS asks about, and answers a storage
// challenge (PROVE_CHUNK) with a made-up proof — the cheapest way to be
// counted as a replica without spending any disk.
//
// It serves on a thread of its own (one io_context); its counters may be
// read from the test's thread. Loopback only.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "dfs/net/identity.hpp"

namespace dfs::testing {

class LyingPeer {
 public:
  // Listens at `listen` ("127.0.0.x:port").
  explicit LyingPeer(const std::string& listen);
  ~LyingPeer();
  LyingPeer(const LyingPeer&) = delete;
  LyingPeer& operator=(const LyingPeer&) = delete;

  const net::Identity& identity() const { return identity_; }
  const std::string& address() const { return address_; }
  // Introduces itself to the peer at `address` (a FIND_NODE for its own ID,
  // naming its listen address) so that peer pings it and adds it.
  void introduce_to(const std::string& address);

  std::uint64_t puts_dropped() const { return puts_dropped_.load(); }
  std::uint64_t chunks_claimed() const { return chunks_claimed_.load(); }
  std::uint64_t challenges() const { return challenges_.load(); }

 private:
  class Session;
  void accept();

  net::Identity identity_;
  std::string address_;
  std::unique_ptr<boost::asio::ssl::context> ssl_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<std::uint64_t> puts_dropped_{0};
  std::atomic<std::uint64_t> chunks_claimed_{0};
  std::atomic<std::uint64_t> challenges_{0};
  std::thread thread_;  // last: started once everything else is ready
};

}  // namespace dfs::testing
