// LinkEmulator: forwards IP packets between the peers' TUN devices as a
// WAN would. Every ordered pair of peers (a link) has its own one-way
// delay, jitter, loss rate, bandwidth and queue, and may be cut (a
// partition) until healed. The kernel here has no netem, so this is the
// netem: one thread, epoll over the TUN fds, a timer for the next packet
// due, and a heap of packets in flight.
//
// Per packet: read from the sender's TUN; drop it if its destination is
// no peer, if the link is cut, or with the link's loss rate; otherwise it
// leaves once the link has sent what was queued before it (bandwidth; tail
// drop beyond the queue limit), arrives one delay (± jitter, never before
// the link's previous packet: no reordering) later, and is written to the
// receiver's TUN.
//
// Threads: run() owns everything on its thread; command() is called from
// it too (the control socket is one of its fds).
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace dfs::netharness {

struct LinkParams {
  double delay_ms = 0;     // one way
  double jitter_ms = 0;    // uniform in ±jitter_ms around delay_ms
  double loss = 0;         // fraction of packets dropped, 0..1
  double rate_mbit = 0;    // bandwidth in Mbit/s; 0: unlimited
  double queue_kb = 4096;  // bytes waiting for bandwidth beyond this are dropped
  bool cut = false;        // partitioned: every packet dropped
};

struct EmulatorStats {
  std::uint64_t forwarded_packets = 0;
  std::uint64_t forwarded_bytes = 0;
  std::uint64_t lost = 0;          // by the loss rate
  std::uint64_t cut = 0;           // by a partition
  std::uint64_t queue_full = 0;    // by the bandwidth queue
  std::uint64_t unroutable = 0;    // addressed to no peer (multicast and the like)
  std::uint64_t write_failed = 0;  // the receiver's TUN refused it
};

class LinkEmulator {
 public:
  // `tun_fds[i]` is peer i's TUN (non-blocking, not owned). Every link
  // starts with `defaults`.
  LinkEmulator(std::vector<int> tun_fds, const LinkParams& defaults, std::uint64_t seed);
  ~LinkEmulator();
  LinkEmulator(const LinkEmulator&) = delete;
  LinkEmulator& operator=(const LinkEmulator&) = delete;

  // Forwards until `stop_fd` (an eventfd or signalfd) is readable. If
  // `control_fd` is a listening UNIX socket, serves one command line per
  // connection on it (see command()).
  void run(int control_fd, int stop_fd);

  // One control command; returns the reply line ("ok ..." or "error ...").
  //   link SRC DST key=value...   set a link's parameters; SRC/DST a peer or '*'
  //                               keys: delay_ms jitter_ms loss rate_mbit queue_kb
  //   partition A,B,...           cut every link between these peers and the rest
  //   heal                        restore every cut link
  //   stats                       counters so far
  std::string command(std::string_view line);

  const EmulatorStats& stats() const { return stats_; }

 private:
  struct Packet;
  struct Link {
    LinkParams params;
    std::int64_t busy_until_ns = 0;  // when the link has sent what is queued
    std::int64_t last_due_ns = 0;    // arrival of its previous packet
  };

  Link& link(int src, int dst) { return links_[static_cast<std::size_t>(src * peers_ + dst)]; }
  void read_from(int src, std::int64_t now);
  void route(int src, std::unique_ptr<Packet> packet, std::int64_t now);
  void deliver_due(std::int64_t now);
  void arm_timer();
  void serve_control(int control_fd);
  std::string set_link(std::string_view args);
  std::string partition(std::string_view group);

  int peers_;
  std::vector<int> tun_fds_;
  std::vector<Link> links_;
  std::mt19937_64 random_;
  int epoll_fd_ = -1;
  int timer_fd_ = -1;
  // Packets in flight, a min-heap on (due, sequence).
  std::vector<std::unique_ptr<Packet>> in_flight_;
  std::vector<std::unique_ptr<Packet>> free_;  // buffers to reuse
  std::uint64_t sequence_ = 0;
  EmulatorStats stats_;
};

}  // namespace dfs::netharness
