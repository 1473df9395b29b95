#include "link_emulator.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <set>
#include <sstream>

#include "addresses.hpp"

namespace dfs::netharness {

namespace {

constexpr std::size_t kMaxPacket = 65536;  // above any MTU a TUN takes
constexpr int kReadBatch = 64;             // packets read from one TUN per wakeup
constexpr std::size_t kMaxCommand = 4096;

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const auto at = s.find(sep);
    if (at != 0) out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) break;
    s.remove_prefix(at + 1);
  }
  return out;
}

bool parse_number(std::string_view s, double& out) {
  // std::from_chars for double: GCC 11+.
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

struct LinkEmulator::Packet {
  std::int64_t due_ns = 0;
  std::uint64_t sequence = 0;
  int dst = 0;
  std::size_t size = 0;
  unsigned char bytes[kMaxPacket];
};

namespace {

// Min-heap order on (due, sequence): std heaps are max-heaps.
template <typename P>
bool later(const P& a, const P& b) {
  return a->due_ns != b->due_ns ? a->due_ns > b->due_ns : a->sequence > b->sequence;
}

}  // namespace

LinkEmulator::LinkEmulator(std::vector<int> tun_fds, const LinkParams& defaults, std::uint64_t seed)
    : peers_(static_cast<int>(tun_fds.size())),
      tun_fds_(std::move(tun_fds)),
      links_(static_cast<std::size_t>(peers_ * peers_), Link{defaults}),
      random_(seed) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
}

LinkEmulator::~LinkEmulator() {
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (timer_fd_ >= 0) ::close(timer_fd_);
}

void LinkEmulator::run(int control_fd, int stop_fd) {
  // epoll data: 0..peers-1 a TUN, then the timer, the control socket, stop.
  const int timer_tag = peers_, control_tag = peers_ + 1, stop_tag = peers_ + 2;
  auto watch = [this](int fd, int tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(tag);
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  };
  for (int i = 0; i < peers_; ++i) watch(tun_fds_[static_cast<std::size_t>(i)], i);
  watch(timer_fd_, timer_tag);
  if (control_fd >= 0) watch(control_fd, control_tag);
  watch(stop_fd, stop_tag);

  epoll_event events[64];
  for (;;) {
    const int n = ::epoll_wait(epoll_fd_, events, 64, -1);
    if (n < 0 && errno != EINTR) return;
    const std::int64_t now = now_ns();
    for (int e = 0; e < n; ++e) {
      const int tag = static_cast<int>(events[e].data.u32);
      if (tag < peers_) {
        read_from(tag, now);
      } else if (tag == timer_tag) {
        std::uint64_t expirations;
        (void)!::read(timer_fd_, &expirations, sizeof expirations);
      } else if (tag == control_tag) {
        serve_control(control_fd);
      } else if (tag == stop_tag) {
        return;
      }
    }
    deliver_due(now_ns());
    arm_timer();
  }
}

void LinkEmulator::read_from(int src, std::int64_t now) {
  for (int i = 0; i < kReadBatch; ++i) {
    std::unique_ptr<Packet> packet;
    if (!free_.empty()) {
      packet = std::move(free_.back());
      free_.pop_back();
    } else {
      packet = std::make_unique<Packet>();
    }
    const ssize_t got = ::read(tun_fds_[static_cast<std::size_t>(src)], packet->bytes, kMaxPacket);
    if (got <= 0) {
      free_.push_back(std::move(packet));
      return;  // EAGAIN: drained
    }
    packet->size = static_cast<std::size_t>(got);
    route(src, std::move(packet), now);
  }
}

void LinkEmulator::route(int src, std::unique_ptr<Packet> packet, std::int64_t now) {
  const auto dst = destination_peer(packet->bytes, packet->size);
  auto drop = [&](std::uint64_t& counter) {
    ++counter;
    free_.push_back(std::move(packet));
  };
  if (!dst || *dst >= peers_) return drop(stats_.unroutable);
  Link& l = link(src, *dst);
  if (l.params.cut) return drop(stats_.cut);
  if (l.params.loss > 0 && std::uniform_real_distribution<double>(0, 1)(random_) < l.params.loss) {
    return drop(stats_.lost);
  }
  std::int64_t leaves = now;
  if (l.params.rate_mbit > 0) {
    const double ns_per_byte = 8e3 / l.params.rate_mbit;
    const std::int64_t start = std::max(now, l.busy_until_ns);
    const double queued_bytes = static_cast<double>(start - now) / ns_per_byte;
    if (queued_bytes > l.params.queue_kb * 1024) return drop(stats_.queue_full);
    leaves = start + static_cast<std::int64_t>(static_cast<double>(packet->size) * ns_per_byte);
    l.busy_until_ns = leaves;
  }
  double delay_ms = l.params.delay_ms;
  if (l.params.jitter_ms > 0) {
    delay_ms += std::uniform_real_distribution<double>(-l.params.jitter_ms, l.params.jitter_ms)(random_);
  }
  const std::int64_t due = std::max(leaves + static_cast<std::int64_t>(std::max(0.0, delay_ms) * 1e6), l.last_due_ns);
  l.last_due_ns = due;
  packet->due_ns = due;
  packet->sequence = sequence_++;
  packet->dst = *dst;
  in_flight_.push_back(std::move(packet));
  std::push_heap(in_flight_.begin(), in_flight_.end(), later<std::unique_ptr<Packet>>);
}

void LinkEmulator::deliver_due(std::int64_t now) {
  while (!in_flight_.empty() && in_flight_.front()->due_ns <= now) {
    std::pop_heap(in_flight_.begin(), in_flight_.end(), later<std::unique_ptr<Packet>>);
    std::unique_ptr<Packet> packet = std::move(in_flight_.back());
    in_flight_.pop_back();
    if (::write(tun_fds_[static_cast<std::size_t>(packet->dst)], packet->bytes, packet->size) ==
        static_cast<ssize_t>(packet->size)) {
      ++stats_.forwarded_packets;
      stats_.forwarded_bytes += packet->size;
    } else {
      ++stats_.write_failed;
    }
    free_.push_back(std::move(packet));
  }
}

void LinkEmulator::arm_timer() {
  itimerspec spec{};
  if (!in_flight_.empty()) {
    const std::int64_t due = std::max<std::int64_t>(in_flight_.front()->due_ns, 1);
    spec.it_value.tv_sec = due / 1'000'000'000;
    spec.it_value.tv_nsec = due % 1'000'000'000;
  }  // else all zero: disarmed
  ::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void LinkEmulator::serve_control(int control_fd) {
  const int conn = ::accept4(control_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) return;
  // A client sends its line at once; never let one stall the forwarding.
  timeval timeout{1, 0};
  ::setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string line;
  char buf[512];
  while (line.find('\n') == std::string::npos && line.size() < kMaxCommand) {
    const ssize_t got = ::read(conn, buf, sizeof buf);
    if (got <= 0) break;
    line.append(buf, static_cast<std::size_t>(got));
  }
  line = line.substr(0, line.find('\n'));
  const std::string reply = command(line) + "\n";
  (void)!::write(conn, reply.data(), reply.size());
  ::close(conn);
}

std::string LinkEmulator::command(std::string_view line) {
  const auto words = split(line, ' ');
  if (words.empty()) return "error empty command";
  const std::string_view verb = words[0];
  const std::string_view rest = line.substr(std::min(line.size(), line.find(verb) + verb.size()));
  if (verb == "link") return set_link(rest);
  if (verb == "partition" && words.size() == 2) return partition(words[1]);
  if (verb == "heal" && words.size() == 1) {
    for (auto& l : links_) l.params.cut = false;
    return "ok";
  }
  if (verb == "stats" && words.size() == 1) {
    std::ostringstream s;
    s << "ok forwarded_packets=" << stats_.forwarded_packets << " forwarded_bytes=" << stats_.forwarded_bytes
      << " lost=" << stats_.lost << " cut=" << stats_.cut << " queue_full=" << stats_.queue_full
      << " unroutable=" << stats_.unroutable << " write_failed=" << stats_.write_failed
      << " in_flight=" << in_flight_.size();
    return s.str();
  }
  return "error unknown command \"" + std::string(line.substr(0, 100)) + "\"";
}

std::string LinkEmulator::set_link(std::string_view args) {
  const auto words = split(args, ' ');
  if (words.size() < 2) return "error usage: link SRC DST key=value...";
  auto peers_of = [this](std::string_view w, std::vector<int>& out) {
    if (w == "*") {
      for (int i = 0; i < peers_; ++i) out.push_back(i);
      return true;
    }
    int p = -1;
    const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), p);
    if (ec != std::errc() || end != w.data() + w.size() || p < 0 || p >= peers_) return false;
    out.push_back(p);
    return true;
  };
  std::vector<int> srcs, dsts;
  if (!peers_of(words[0], srcs) || !peers_of(words[1], dsts)) return "error no such peer";
  // Parse everything before changing anything.
  std::vector<std::pair<std::string_view, double>> settings;
  for (std::size_t i = 2; i < words.size(); ++i) {
    const auto eq = words[i].find('=');
    double v = 0;
    if (eq == std::string_view::npos || !parse_number(words[i].substr(eq + 1), v)) {
      return "error expected key=number, got \"" + std::string(words[i]) + "\"";
    }
    const std::string_view key = words[i].substr(0, eq);
    const bool in_range = key == "loss" ? v >= 0 && v <= 1
                          : key == "delay_ms" || key == "jitter_ms" ? v >= 0 && v <= 60'000
                          : key == "rate_mbit" ? v >= 0 && v <= 1e6
                          : key == "queue_kb" ? v > 0 && v <= 1e7
                                              : false;
    if (!in_range) return "error unknown key or value out of range: \"" + std::string(words[i]) + "\"";
    settings.emplace_back(key, v);
  }
  for (int s : srcs) {
    for (int d : dsts) {
      LinkParams& p = link(s, d).params;
      for (const auto& [key, v] : settings) {
        (key == "loss" ? p.loss : key == "delay_ms" ? p.delay_ms : key == "jitter_ms" ? p.jitter_ms
                                 : key == "rate_mbit" ? p.rate_mbit : p.queue_kb) = v;
      }
    }
  }
  return "ok";
}

std::string LinkEmulator::partition(std::string_view group) {
  std::set<int> inside;
  for (auto w : split(group, ',')) {
    int p = -1;
    const auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), p);
    if (ec != std::errc() || end != w.data() + w.size() || p < 0 || p >= peers_) {
      return "error no such peer \"" + std::string(w) + "\"";
    }
    inside.insert(p);
  }
  for (int s = 0; s < peers_; ++s) {
    for (int d = 0; d < peers_; ++d) {
      if (inside.count(s) != inside.count(d)) link(s, d).params.cut = true;
    }
  }
  return "ok";
}

}  // namespace dfs::netharness
