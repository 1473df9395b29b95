// dfs-netharness: a WAN in network namespaces for tests and benchmarks.
//
//   dfs-netharness run --peers N --control SOCKET [link options]
//       makes N namespaces dfsnh-PID-0.. (addresses.hpp), forwards between
//       them until SIGTERM/SIGINT (or until its parent dies), then deletes
//       them and whatever still runs inside. Prints "ready" on stderr once
//       the namespaces are up. Exit 77: namespaces or TUN not available.
//       --nat P,Q,...  puts those peers behind NAT (Namespaces::add_nat):
//       run them in namespace dfsnh-PID-P-lan (exit 77 without nft(8)).
//   dfs-netharness ctl SOCKET COMMAND...   one command (link_emulator.hpp)
//   dfs-netharness exec NAMESPACE PROGRAM ARGS...
//       runs PROGRAM inside a namespace (setns, then exec: same process)
//   dfs-netharness sweep                   delete namespaces of killed runs
//   dfs-netharness selftest [--mbytes N] [--streams N] [link options]
//       the emulator's forwarding speed (selftest.hpp)
// Link options (every link's defaults): --delay-ms (one way) --jitter-ms
// --loss --rate-mbit --queue-kb; also --mtu (default 60000), --seed.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "link_emulator.hpp"
#include "namespaces.hpp"
#include "selftest.hpp"

namespace dfs::netharness {
namespace {

constexpr int kExitUnavailable = 77;  // meson's and automake's "skipped"

int usage() {
  std::fprintf(stderr,
               "usage: dfs-netharness run --peers N --control SOCKET [--delay-ms MS] [--jitter-ms MS] [--loss P]\n"
               "                          [--rate-mbit R] [--queue-kb KB] [--mtu BYTES] [--seed S] [--nat P,Q,...]\n"
               "       dfs-netharness ctl SOCKET COMMAND...\n"
               "       dfs-netharness exec NAMESPACE PROGRAM ARGS...\n"
               "       dfs-netharness sweep\n"
               "       dfs-netharness selftest [--mbytes N] [--streams N] [link options as for run]\n");
  return 2;
}

// --key value pairs; false on anything else.
bool parse_options(int argc, char** argv, int first, std::map<std::string, std::string>& out) {
  for (int i = first; i < argc; i += 2) {
    if (std::strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) return false;
    out[argv[i] + 2] = argv[i + 1];
  }
  return true;
}

double number(const std::map<std::string, std::string>& opts, const char* key, double fallback) {
  auto it = opts.find(key);
  return it == opts.end() ? fallback : std::strtod(it->second.c_str(), nullptr);
}

LinkParams link_defaults(const std::map<std::string, std::string>& opts) {
  LinkParams p;
  p.delay_ms = number(opts, "delay-ms", 0);
  p.jitter_ms = number(opts, "jitter-ms", 0);
  p.loss = number(opts, "loss", 0);
  p.rate_mbit = number(opts, "rate-mbit", 0);
  p.queue_kb = number(opts, "queue-kb", p.queue_kb);
  return p;
}

int listen_unix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return -1;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  const int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  ::unlink(path.c_str());
  if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(s, 16) != 0) {
    if (s >= 0) ::close(s);
    return -1;
  }
  return s;
}

int run(const std::map<std::string, std::string>& opts) {
  const int peers = static_cast<int>(number(opts, "peers", 0));
  const auto control_path = opts.find("control");
  if (peers < 1 || control_path == opts.end()) return usage();
  // Stop signals arrive on a signalfd, so that forwarding ends between two
  // packets and the cleanup below always runs. If the test that started us
  // dies, we get SIGTERM too.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&stop_signals, s);
  ::sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  const int stop_fd = ::signalfd(-1, &stop_signals, SFD_CLOEXEC);

  if (const int swept = sweep_stale(); swept > 0) {
    std::fprintf(stderr, "dfs-netharness: deleted %d namespaces left by killed runs\n", swept);
  }
  const int mtu = static_cast<int>(number(opts, "mtu", 60000));
  auto ns = Namespaces::create(peers, mtu);
  if (!ns.ok()) {
    std::fprintf(stderr, "dfs-netharness: cannot set up the namespaces: %s\n", ns.error().to_string().c_str());
    return kExitUnavailable;
  }
  if (auto nat = opts.find("nat"); nat != opts.end()) {
    for (const char* p = nat->second.c_str(); *p != '\0';) {
      char* end = nullptr;
      const long peer = std::strtol(p, &end, 10);
      Status natted = end == p ? make_error(Errc::invalid_argument, "--nat takes peer numbers: " + nat->second)
                               : (*ns)->add_nat(static_cast<int>(peer), mtu);
      if (!natted.ok()) {
        std::fprintf(stderr, "dfs-netharness: cannot put peer %ld behind NAT: %s\n", peer,
                     natted.error().to_string().c_str());
        return natted.error().code == Errc::not_supported ? kExitUnavailable : 1;
      }
      p = *end == ',' ? end + 1 : end;
    }
  }
  const int control = listen_unix(control_path->second);
  if (control < 0) {
    std::fprintf(stderr, "dfs-netharness: cannot listen on %s: %s\n", control_path->second.c_str(),
                 std::strerror(errno));
    return 1;
  }
  LinkEmulator emulator((*ns)->tun_fds(), link_defaults(opts), static_cast<std::uint64_t>(number(opts, "seed", 1)));
  std::fprintf(stderr, "dfs-netharness: namespaces' tcp_rmem: %s (the host's, initial buffer scaled to MTU %d)\n",
               (*ns)->tcp_rmem().c_str(), mtu);
  std::fprintf(stderr, "dfs-netharness: ready prefix=%s peers=%d\n", run_prefix().c_str(), peers);
  std::fflush(stderr);
  emulator.run(control, stop_fd);
  ::close(control);
  ::unlink(control_path->second.c_str());
  std::fprintf(stderr, "dfs-netharness: stopping: %s\n", emulator.command("stats").c_str());
  return 0;  // ~Namespaces deletes them
}

int ctl(int argc, char** argv) {
  if (argc < 4) return usage();
  std::string line;
  for (int i = 3; i < argc; ++i) line += std::string(i > 3 ? " " : "") + argv[i];
  line += "\n";
  sockaddr_un addr{};
  const std::string path = argv[2];
  if (path.size() >= sizeof addr.sun_path) return usage();
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  const int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0 || ::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::write(s, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    std::fprintf(stderr, "dfs-netharness: cannot reach %s: %s\n", path.c_str(), std::strerror(errno));
    return 1;
  }
  std::string reply;
  char buf[512];
  ssize_t got;
  while ((got = ::read(s, buf, sizeof buf)) > 0) reply.append(buf, static_cast<std::size_t>(got));
  ::close(s);
  std::fputs(reply.c_str(), stdout);
  return reply.rfind("ok", 0) == 0 ? 0 : 1;
}

// Enters the namespace and becomes PROGRAM, so that whoever started us
// holds the program's PID (to signal it, to wait for it).
int exec_in(int argc, char** argv) {
  if (argc < 4) return usage();
  if (Status entered = enter_namespace_by_name(argv[2]); !entered.ok()) {
    std::fprintf(stderr, "dfs-netharness: %s\n", entered.error().to_string().c_str());
    return 1;
  }
  ::execv(argv[3], argv + 3);
  std::fprintf(stderr, "dfs-netharness: cannot run %s: %s\n", argv[3], std::strerror(errno));
  return 127;
}

}  // namespace
}  // namespace dfs::netharness

int main(int argc, char** argv) {
  using namespace dfs::netharness;
  if (argc < 2) return usage();
  const std::string verb = argv[1];
  std::map<std::string, std::string> opts;
  if (verb == "ctl") return ctl(argc, argv);
  if (verb == "exec") return exec_in(argc, argv);
  if (verb == "sweep") {
    std::printf("deleted %d stale namespaces\n", sweep_stale());
    return 0;
  }
  if (!parse_options(argc, argv, 2, opts)) return usage();
  if (verb == "run") return run(opts);
  if (verb == "selftest") {
    const auto bytes = static_cast<std::uint64_t>(number(opts, "mbytes", 1024)) << 20;
    const int streams = static_cast<int>(number(opts, "streams", 1));
    if (streams < 1 || streams > 256) return usage();
    return run_selftest(bytes, static_cast<int>(number(opts, "mtu", 60000)), link_defaults(opts), streams);
  }
  return usage();
}
