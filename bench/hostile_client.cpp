// dfs-bench-hostile: runs one attack of issue 10 against a dfs node until
// SIGTERM or SIGINT, for bench/hostile.sh (the figures: a remote get
// during each attack against none, and the attacked node's peak RSS).
//
//   dfs-bench-hostile ATTACK SOURCE_IP HOST:PORT [CHUNK_HEX]
//
//   deaf      one connection, 64 GET_CHUNK for CHUNK_HEX, answers never
//             read; reconnects when dropped
//   halfopen  1000 plain TCP connections that never start TLS, reopened as
//             the node closes them
//   stall     64 connections that each start a 16 MiB frame and send 1 KiB
//             of it; reconnects when dropped
//   flood     connection after connection sending a malformed frame
//   putflood  one connection that PUTs fresh 1 MiB chunks (random bytes:
//             the node checks their hash, not their seal) as fast as the
//             node answers, 8 in flight; reconnects when dropped
//
// Loopback only: SOURCE_IP and HOST must be 127.0.0.x.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../tests/integration/hostile_peer.hpp"

namespace {

using dfs::testing::HostilePeer;
using namespace std::chrono_literals;

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

bool loopback(const std::string& ip) { return ip.rfind("127.", 0) == 0; }

// Keeps `n` attackers made by `make` alive, replacing those the node drops.
template <typename Make>
void keep_up(std::size_t n, Make make) {
  std::vector<std::unique_ptr<HostilePeer>> peers;
  while (!g_stop) {
    while (peers.size() < n && !g_stop) {
      try {
        peers.push_back(make());
      } catch (const std::exception&) {
        break;  // refused: try again on the next round
      }
    }
    std::erase_if(peers, [](const auto& p) { return p->hung_up(); });
    ::usleep(20'000);
  }
}

// PUT_CHUNK of fresh random chunks, `window` in flight, until stopped or
// dropped. Prints what the node answered when it ends.
void put_flood(const std::string& source, const std::string& target) {
  std::uint64_t stored = 0, busy = 0, full = 0, other = 0;
  std::mt19937_64 rng(std::random_device{}());
  const auto send_one = [&](HostilePeer& p) {
    dfs::Bytes chunk(1u << 20);
    for (std::size_t i = 0; i + 8 <= chunk.size(); i += 8) {
      const std::uint64_t r = rng();
      std::memcpy(chunk.data() + i, &r, 8);
    }
    p.send(HostilePeer::put_chunk(dfs::ChunkId::of(chunk), 86400), chunk);
  };
  while (!g_stop) {
    try {
      HostilePeer p(source, target);
      p.handshake_and_hello();
      constexpr int kWindow = 8;
      for (int i = 0; i < kWindow; ++i) send_one(p);
      while (!g_stop) {
        auto answer = p.read_frame(5s);
        if (!answer) break;
        if (answer->envelope.body_case() == dfs::wire::Envelope::kPutChunkResult) {
          ++stored;
        } else {
          const std::string& message = answer->envelope.error().message();
          ++(message.find("busy") != std::string::npos ? busy : message.find("full") != std::string::npos ? full : other);
        }
        send_one(p);
      }
    } catch (const std::exception&) {
    }
  }
  std::printf("putflood: %llu stored, %llu busy, %llu full, %llu refused otherwise\n",
              static_cast<unsigned long long>(stored), static_cast<unsigned long long>(busy),
              static_cast<unsigned long long>(full), static_cast<unsigned long long>(other));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s deaf|halfopen|stall|flood|putflood SOURCE_IP HOST:PORT [CHUNK_HEX]\n", argv[0]);
    return 2;
  }
  const std::string attack = argv[1], source = argv[2], target = argv[3];
  if (!loopback(source) || !loopback(target)) {
    std::fprintf(stderr, "dfs-bench-hostile: loopback addresses only\n");
    return 2;
  }
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  signal(SIGPIPE, SIG_IGN);
  if (attack == "deaf") {
    if (argc < 5) return 2;
    const auto chunk = dfs::ChunkId::from_hex(argv[4]);
    if (!chunk.ok()) return 2;
    keep_up(1, [&] {
      auto p = std::make_unique<HostilePeer>(source, target);
      p->handshake_and_hello();
      for (int i = 0; i < 64; ++i) p->send(HostilePeer::get_chunk(*chunk));
      return p;
    });
  } else if (attack == "stall") {
    keep_up(64, [&] {
      auto p = std::make_unique<HostilePeer>(source, target);
      p->handshake_and_hello();
      dfs::wire::Envelope env = HostilePeer::put_chunk(dfs::ChunkId{}, 60);
      env.set_request_id(1);
      dfs::Bytes frame = dfs::net::encode_frame_head(env, 16u << 20).value();
      frame.resize(frame.size() + 1024, 0x55);
      p->send_raw(frame);
      return p;
    });
  } else if (attack == "flood") {
    while (!g_stop) {
      try {
        HostilePeer p(source, target);
        p.handshake_and_hello();
        const dfs::Bytes garbage(64, 0xee);
        p.send_raw(garbage);
        p.closed_by_victim(1s);
      } catch (const std::exception&) {
      }
    }
  } else if (attack == "putflood") {
    put_flood(source, target);
  } else if (attack == "halfopen") {
    std::vector<int> fds;
    while (!g_stop) {
      while (fds.size() < 1000 && !g_stop) {
        const int fd = dfs::testing::open_plain_connection(source, target);
        if (fd < 0) break;
        fds.push_back(fd);
      }
      // Close those the node closed (readable with EOF), so they reopen.
      std::vector<pollfd> polls;
      for (int fd : fds) polls.push_back(pollfd{fd, POLLIN, 0});
      ::poll(polls.data(), polls.size(), 100);
      std::vector<int> alive;
      for (const auto& p : polls) {
        if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
          ::close(p.fd);
        } else {
          alive.push_back(p.fd);
        }
      }
      fds.swap(alive);
    }
    for (int fd : fds) ::close(fd);
  } else {
    std::fprintf(stderr, "dfs-bench-hostile: unknown attack %s\n", attack.c_str());
    return 2;
  }
  return 0;
}
