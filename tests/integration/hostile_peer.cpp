#include "hostile_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "tls.hpp"

namespace dfs::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

tcp::endpoint endpoint_of(const std::string& address) {
  const auto colon = address.rfind(':');
  return tcp::endpoint(asio::ip::make_address(address.substr(0, colon)),
                       static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
}

HostilePeer::HostilePeer(const std::string& source_ip, const std::string& address)
    : identity_(net::Identity::generate().value()),
      ssl_(net::tls::make_context(identity_).value()),
      stream_(io_, *ssl_) {
  auto& socket = stream_.lowest_layer();
  socket.open(tcp::v4());
  socket.bind(tcp::endpoint(asio::ip::make_address(source_ip), 0));
  socket.connect(endpoint_of(address));
}

void HostilePeer::handshake_and_hello() {
  stream_.handshake(asio::ssl::stream_base::client);
  wire::Envelope env;
  env.mutable_hello();
  send_raw(net::encode_frame(env, {}).value());
}

void HostilePeer::send(wire::Envelope env, ByteView payload) {
  env.set_request_id(next_request_++);
  env.mutable_sender()->set_node_id(id().data(), id().size());
  send_raw(net::encode_frame(env, payload).value());
}

void HostilePeer::send_raw(ByteView bytes) { asio::write(stream_, asio::buffer(bytes.data(), bytes.size())); }

HostilePeer::ReadEnd HostilePeer::read_until(std::chrono::milliseconds limit, const std::function<bool(ByteView)>& take) {
  ReadEnd end = ReadEnd::timed_out;
  std::array<std::uint8_t, 64 * 1024> buf{};
  std::function<void()> read_on = [&] {
    stream_.async_read_some(asio::buffer(buf), [&](const boost::system::error_code& ec, std::size_t n) {
      if (ec || take(ByteView(buf.data(), n))) {
        end = ec ? ReadEnd::closed : ReadEnd::stopped;
        io_.stop();
        return;
      }
      read_on();
    });
  };
  read_on();
  io_.restart();
  io_.run_for(limit);
  return end;
}

bool HostilePeer::closed_by_victim(std::chrono::milliseconds limit) {
  return read_until(limit, [](ByteView) { return false; }) == ReadEnd::closed;
}

bool HostilePeer::hung_up() {
  pollfd p{stream_.lowest_layer().native_handle(), POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

std::optional<net::Frame> HostilePeer::read_frame(std::chrono::milliseconds limit) {
  bool malformed = false;
  if (pending_.empty()) {
    read_until(limit, [&](ByteView bytes) {
      std::vector<net::Frame> frames;
      malformed = !decoder_.feed(bytes, frames).ok();
      for (auto& f : frames) {
        if (f.envelope.body_case() != wire::Envelope::kHello) pending_.push_back(std::move(f));
      }
      return malformed || !pending_.empty();
    });
  }
  if (malformed || pending_.empty()) return std::nullopt;
  net::Frame frame = std::move(pending_.front());
  pending_.pop_front();
  return frame;
}

wire::Envelope HostilePeer::get_chunk(const ChunkId& id) {
  wire::Envelope env;
  env.mutable_get_chunk()->set_chunk_id(id.bytes.data(), id.bytes.size());
  return env;
}

wire::Envelope HostilePeer::put_chunk(const ChunkId& id, std::uint32_t lease_seconds) {
  wire::Envelope env;
  env.mutable_put_chunk()->set_chunk_id(id.bytes.data(), id.bytes.size());
  env.mutable_put_chunk()->set_lease_seconds(lease_seconds);
  return env;
}

wire::Envelope HostilePeer::has_chunks(const std::vector<ChunkId>& ids) {
  wire::Envelope env;
  for (const auto& id : ids) env.mutable_has_chunks()->add_chunk_ids(id.bytes.data(), id.bytes.size());
  return env;
}

HostilePeer::Batch HostilePeer::put_chunks(const std::vector<std::pair<ChunkId, Bytes>>& chunks) {
  Batch batch;
  for (const auto& [id, bytes] : chunks) {
    wire::PutChunksEntry& entry = *batch.env.mutable_put_chunks()->add_chunks();
    entry.set_chunk_id(id.bytes.data(), id.bytes.size());
    entry.set_size(static_cast<std::uint32_t>(bytes.size()));
    batch.payload.insert(batch.payload.end(), bytes.begin(), bytes.end());
  }
  return batch;
}

bool probe_unix_socket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

int open_plain_connection(const std::string& source_ip, const std::string& address) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, source_ip.c_str(), &from.sin_addr);
  const auto colon = address.rfind(':');
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
  ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &to.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

ProcessUsage usage_of(int pid) {
  ProcessUsage u;
  const std::string proc = "/proc/" + std::to_string(pid);
  std::ifstream status(proc + "/status");
  std::string line;
  while (std::getline(status, line)) {
    const auto kib = [&] { return std::stoull(line.substr(line.find(':') + 1)) * 1024; };
    if (line.rfind("VmRSS:", 0) == 0) u.rss = kib();
    if (line.rfind("VmHWM:", 0) == 0) u.peak_rss = kib();
    if (line.rfind("VmSize:", 0) == 0) u.vm_size = kib();
    if (line.rfind("Threads:", 0) == 0) u.threads = std::stoul(line.substr(8));
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(proc + "/fd", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    ++u.fds;
  }
  return u;
}

}  // namespace dfs::testing
