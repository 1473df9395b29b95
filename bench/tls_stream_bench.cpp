// dfs-bench-tls-stream: what Asio's SSL stream costs per byte, against
// OpenSSL driving the socket itself, for the bulk transfers of dfs.
//
// One sender and one receiver thread in this process move SIZE MiB over a
// TCP connection on 127.0.0.1, in 1 MiB writes (a chunk's frame), with
// dfs's own TLS context (tls::make_context: TLS 1.3, its cipher suites,
// mutual certificates), twice:
//   asio     boost::asio::ssl::stream<tcp::socket>, blocking write/read_some:
//            every record goes through Asio's BIO pair and 17 KiB buffers
//   direct   SSL_set_fd on the same kind of socket, blocking SSL_write_ex /
//            SSL_read_ex into the caller's buffer: no BIO pair, no copies
//            but OpenSSL's own
//   direct+ra  the same with read-ahead into a 256 KiB buffer at the
//            receiver (fewer, larger socket reads)
// and prints, for each, the wall time, MB/s and the CPU-seconds per GiB of
// the whole process (both ends; getrusage), the figure that matters on a
// machine whose cores the peers share. MB = 10^6 bytes.
//
// Usage: dfs-bench-tls-stream [SIZE_MIB]   (default 1024)
#include <sys/resource.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>
#include <vector>

#include "tls.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr std::size_t kWrite = 1 << 20;  // one chunk's frame

double cpu_seconds() {
  struct rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

// A connected pair of sockets on 127.0.0.1.
struct SocketPair {
  explicit SocketPair(asio::io_context& io) : client(io), server(io) {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    client.set_option(tcp::no_delay(true));  // as dfs sets it
    server.set_option(tcp::no_delay(true));
  }
  tcp::socket client;
  tcp::socket server;
};

// Runs `send` and `receive` on two threads after the handshake is done,
// and prints the figures of the transfer of `total` bytes.
void report(const char* name, std::size_t total, const std::function<void()>& send,
            const std::function<void()>& receive) {
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  std::thread sender(send);
  receive();
  sender.join();
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  const double gib = static_cast<double>(total) / (1 << 30);
  std::printf("%-8s %8.3f s %7.0f MB/s %6.2f CPU-s/GiB\n", name, wall, static_cast<double>(total) / wall / 1e6,
              cpu / gib);
}

void run_asio(asio::ssl::context& ctx, std::size_t total) {
  asio::io_context io;
  SocketPair pair(io);
  asio::ssl::stream<tcp::socket&> client(pair.client, ctx);
  asio::ssl::stream<tcp::socket&> server(pair.server, ctx);
  std::thread accepting([&] { server.handshake(asio::ssl::stream_base::server); });
  client.handshake(asio::ssl::stream_base::client);
  accepting.join();
  SSL_clear_mode(client.native_handle(), SSL_MODE_RELEASE_BUFFERS);  // as dfs does
  SSL_clear_mode(server.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  std::vector<std::uint8_t> out(kWrite, 0x5a);
  std::vector<std::uint8_t> in(kWrite);
  report("asio", total,
         [&] {
           for (std::size_t sent = 0; sent < total; sent += kWrite) asio::write(client, asio::buffer(out));
         },
         [&] {
           for (std::size_t got = 0; got < total;) got += server.read_some(asio::buffer(in));
         });
}

void run_direct(asio::ssl::context& ctx, std::size_t total, bool read_ahead) {
  asio::io_context io;
  SocketPair pair(io);
  SSL* client = SSL_new(ctx.native_handle());
  SSL* server = SSL_new(ctx.native_handle());
  SSL_set_fd(client, pair.client.native_handle());
  SSL_set_fd(server, pair.server.native_handle());
  SSL_set_connect_state(client);
  SSL_set_accept_state(server);
  if (read_ahead) {
    SSL_set_read_ahead(server, 1);
    SSL_set_default_read_buffer_len(server, 256 * 1024);
  }
  bool server_ok = false;
  std::thread accepting([&] { server_ok = SSL_do_handshake(server) == 1; });
  const bool client_ok = SSL_do_handshake(client) == 1;
  accepting.join();
  if (!client_ok || !server_ok) {
    std::fprintf(stderr, "dfs-bench-tls-stream: direct handshake failed\n");
    std::exit(1);
  }
  std::vector<std::uint8_t> out(kWrite, 0x5a);
  std::vector<std::uint8_t> in(kWrite);
  report(read_ahead ? "direct+ra" : "direct", total,
         [&] {
           for (std::size_t sent = 0; sent < total;) {
             std::size_t n = 0;
             if (SSL_write_ex(client, out.data(), out.size(), &n) != 1) std::exit(1);
             sent += n;
           }
         },
         [&] {
           for (std::size_t got = 0; got < total;) {
             std::size_t n = 0;
             if (SSL_read_ex(server, in.data(), in.size(), &n) != 1) std::exit(1);
             got += n;
           }
         });
  SSL_free(client);
  SSL_free(server);
}

}  // namespace

int main(int argc, char** argv) {
  const long mib = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1024;
  if (argc > 2 || mib <= 0) {
    std::fprintf(stderr, "usage: dfs-bench-tls-stream [SIZE_MIB]\n");
    return 2;
  }
  const std::size_t total = static_cast<std::size_t>(mib) << 20;
  auto identity = dfs::net::Identity::generate();
  if (!identity.ok()) {
    std::fprintf(stderr, "dfs-bench-tls-stream: %s\n", identity.error().to_string().c_str());
    return 1;
  }
  auto ctx = dfs::net::tls::make_context(*identity);
  if (!ctx.ok()) {
    std::fprintf(stderr, "dfs-bench-tls-stream: %s\n", ctx.error().to_string().c_str());
    return 1;
  }
  std::printf("%ld MiB over 127.0.0.1 in %zu-byte writes, TLS 1.3 as dfs sets it up\n", mib, kWrite);
  run_asio(**ctx, total);
  run_direct(**ctx, total, false);
  run_direct(**ctx, total, true);
  return 0;
}
