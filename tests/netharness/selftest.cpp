#include "selftest.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <thread>
#include <vector>

#include "addresses.hpp"
#include "namespaces.hpp"

namespace dfs::netharness {

namespace {

using Clock = std::chrono::steady_clock;

double cpu_seconds_of_this_thread() {
  rusage u{};
  ::getrusage(RUSAGE_THREAD, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Streams `bytes` over `streams` TCP connections at once (as iperf3 -P)
// from namespace `from` to a listener in `to` on `host`; MB/s in all, or
// a negative number if one failed.
double stream(const Namespaces& ns, int from, int to, const char* host, std::uint64_t bytes, int streams) {
  std::promise<int> port_ready;
  auto port = port_ready.get_future();
  std::atomic<std::uint64_t> received{0};
  Clock::time_point end;
  std::thread receiver([&] {
    int s = -1;
    if (ns.enter(to).ok() && (s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0) {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      ::inet_pton(AF_INET, host, &addr.sin_addr);
      socklen_t len = sizeof addr;
      if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(s, streams) == 0 &&
          ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
        port_ready.set_value(ntohs(addr.sin_port));
        const timeval patience{60, 0};  // a sender that never connects ends the wait, not the run
        ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
        std::vector<std::thread> readers;
        for (int i = 0; i < streams; ++i) {
          const int c = ::accept(s, nullptr, nullptr);
          if (c < 0) break;
          readers.emplace_back([c, &received] {
            std::vector<char> buf(1 << 20);
            ssize_t got;
            while ((got = ::read(c, buf.data(), buf.size())) > 0) received += static_cast<std::uint64_t>(got);
            ::close(c);
          });
        }
        for (auto& r : readers) r.join();
        end = Clock::now();
        ::close(s);
        return;
      }
      ::close(s);
    }
    port_ready.set_value(-1);
  });
  const int p = port.get();
  const auto start = Clock::now();
  std::atomic<int> sent{0};
  std::vector<std::thread> senders;
  for (int i = 0; i < streams; ++i) {
    const std::uint64_t share = bytes / static_cast<std::uint64_t>(streams) + (i == 0 ? bytes % static_cast<std::uint64_t>(streams) : 0);
    senders.emplace_back([&, share] {
      int s = -1;
      if (p < 0 || !ns.enter(from).ok() || (s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) return;
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<std::uint16_t>(p));
      ::inet_pton(AF_INET, host, &addr.sin_addr);
      if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        std::vector<char> buf(1 << 20, 'x');
        std::uint64_t left = share;
        while (left > 0) {
          const ssize_t put = ::write(s, buf.data(), std::min<std::uint64_t>(left, buf.size()));
          if (put <= 0) break;
          left -= static_cast<std::uint64_t>(put);
        }
        if (left == 0) ++sent;
      }
      ::close(s);  // a stream that failed still ends: the receiver's read returns
    });
  }
  for (auto& t : senders) t.join();
  receiver.join();
  if (sent != streams || received != bytes) return -1;
  return static_cast<double>(bytes) / 1e6 / std::chrono::duration<double>(end - start).count();
}

}  // namespace

int run_selftest(std::uint64_t bytes, int mtu, const LinkParams& link, int streams) {
  auto ns = Namespaces::create(2, mtu);
  if (!ns.ok()) {
    std::fprintf(stderr, "dfs-netharness: %s\n", ns.error().to_string().c_str());
    return 77;
  }
  const int stop = ::eventfd(0, EFD_CLOEXEC);
  LinkEmulator emulator((*ns)->tun_fds(), link, 1);
  double emulator_cpu = 0;
  std::thread forwarder([&] {
    emulator.run(-1, stop);
    emulator_cpu = cpu_seconds_of_this_thread();
  });
  const std::string to = ipv4_of(1);
  const double through = stream(**ns, 0, 1, to.c_str(), bytes, streams);
  const std::uint64_t one = 1;
  (void)!::write(stop, &one, sizeof one);
  forwarder.join();
  ::close(stop);
  const double direct = stream(**ns, 0, 0, "127.0.0.1", bytes, streams);
  if (through < 0 || direct < 0) {
    std::fprintf(stderr, "dfs-netharness: selftest: a stream failed\n");
    return 1;
  }
  const double gib = static_cast<double>(bytes) / (1u << 30);
  std::printf("%d TCP stream%s of %.0f MiB in all, MTU %d (tcp_rmem %s), delay %.1f ms, loss %.3f\n", streams,
              streams == 1 ? "" : "s", static_cast<double>(bytes) / (1 << 20), mtu, (*ns)->tcp_rmem().c_str(),
              link.delay_ms, link.loss);
  std::printf("  through the emulator (namespace to namespace): %8.1f MB/s\n", through);
  std::printf("  loopback inside one namespace (no emulator):   %8.1f MB/s\n", direct);
  std::printf("  ratio: %.2f; emulator CPU: %.2f s per GiB forwarded\n", through / direct, emulator_cpu / gib);
  return 0;
}

}  // namespace dfs::netharness
