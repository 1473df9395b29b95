// A hostile peer for the tests of issue 10: a real client of the wire
// protocol (TCP, TLS 1.3 with a valid Ed25519 certificate of a fresh
// identity, Hello without a network key, as a stranger on an open network)
// that then does what the test says: requests it never reads the answers
// of, frames it never finishes, connections it never completes. Blocking
// calls on the test thread; loopback only (it binds a 127.0.0.x source).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dfs/net/frame.hpp"
#include "dfs/net/identity.hpp"

namespace dfs::testing {

// "127.0.0.x:port" as an endpoint.
boost::asio::ip::tcp::endpoint endpoint_of(const std::string& address);

class HostilePeer {
 public:
  // Connects from `source_ip` (127.0.0.x) to `address` ("127.0.0.y:port").
  HostilePeer(const std::string& source_ip, const std::string& address);

  const net::NodeIdBytes& id() const { return identity_.node_id(); }
  // TLS handshake, then our Hello (no network proof); does not read the
  // victim's Hello.
  void handshake_and_hello();
  // Sends one frame: `env` (request ID and our sender filled in) and
  // `payload`.
  void send(wire::Envelope env, ByteView payload = {});
  // Sends raw bytes inside TLS.
  void send_raw(ByteView bytes);
  // Reads (and discards) until the victim closes the connection: true,
  // or `limit` passes: false.
  bool closed_by_victim(std::chrono::milliseconds limit);
  // True once the victim has closed the connection, found without reading
  // anything it sent (POLLRDHUP).
  bool hung_up();
  // Reads one whole frame (skipping the victim's Hello; frames that came
  // with it are kept for the next call); nullopt on error or after `limit`.
  std::optional<net::Frame> read_frame(std::chrono::milliseconds limit);

  // A GET_CHUNK / PUT_CHUNK / HAS_CHUNKS request.
  static wire::Envelope get_chunk(const ChunkId& id);
  static wire::Envelope put_chunk(const ChunkId& id, std::uint32_t lease_seconds);
  static wire::Envelope has_chunks(const std::vector<ChunkId>& ids);
  // A PUT_CHUNKS (issue 12) of each (ID, bytes sent under it), and its
  // payload: the bytes end to end.
  struct Batch {
    wire::Envelope env;
    Bytes payload;
  };
  static Batch put_chunks(const std::vector<std::pair<ChunkId, Bytes>>& chunks);

 private:
  boost::asio::io_context io_;
  net::Identity identity_;
  std::unique_ptr<boost::asio::ssl::context> ssl_;
  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  enum class ReadEnd { stopped, closed, timed_out };
  // The one read loop: reads until `take` (given each read's bytes) says
  // stop, the victim closes the connection, or `limit` passes.
  ReadEnd read_until(std::chrono::milliseconds limit, const std::function<bool(ByteView)>& take);

  net::FrameDecoder decoder_;
  std::deque<net::Frame> pending_;  // decoded, not yet returned by read_frame
  std::uint64_t next_request_ = 1;
};

// Connects to the UNIX socket at `path` and closes the connection at once
// (what every dfs command does first, to see whether a peer runs there).
bool probe_unix_socket(const std::string& path);

// Opens a plain TCP connection from `source_ip` to `address` and leaves it
// there (a half-open connection: no TLS). -1 if the connect failed.
int open_plain_connection(const std::string& source_ip, const std::string& address);

// The victim's resident memory and its peak (VmRSS, VmHWM, bytes), its
// open descriptors and its threads, from /proc.
struct ProcessUsage {
  std::uint64_t rss = 0;
  std::uint64_t peak_rss = 0;
  std::uint64_t vm_size = 0;
  std::size_t fds = 0;
  std::size_t threads = 0;
};
ProcessUsage usage_of(int pid);

}  // namespace dfs::testing
