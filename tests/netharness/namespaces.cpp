// Namespaces through ip(8) (netns add/delete, addresses, links) and the
// kernel directly (setns, the TUN device, /proc to find what runs inside).
#include "namespaces.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "addresses.hpp"

namespace dfs::netharness {

namespace {

constexpr const char* kNamePrefix = "dfsnh-";
constexpr const char* kNetnsDir = "/run/netns/";
constexpr int kTxQueueLength = 10000;  // packets the kernel queues for us before dropping

// Runs `program` (iproute2's ip, nft) with these arguments; its output
// goes to our stderr. Errc::not_supported if it is not installed.
Status run_program(std::string program, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(program.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork");
  if (pid == 0) {
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  std::string line = program;
  for (const auto& a : args) line += " " + a;
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return make_error(code == 127 ? Errc::not_supported : Errc::io_error,
                    "\"" + line + "\" failed" + (code == 127 ? " (is " + program + " installed?)" : ""));
}

Status run_ip(const std::vector<std::string>& args) { return run_program("ip", args); }

// An fd that closes itself.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

}  // namespace

Status enter_namespace_by_name(const std::string& name) {
  Fd ns(::open((kNetnsDir + name).c_str(), O_RDONLY | O_CLOEXEC));
  if (ns.fd < 0) return errno_error("cannot open namespace " + name);
  if (::setns(ns.fd, CLONE_NEWNET) != 0) return errno_error("cannot enter namespace " + name);
  return {};
}

namespace {

// Runs `f` (returning a Status) on this thread inside namespace `name`,
// then returns to the harness's own namespace: this thread would
// otherwise stay in one that is about to be deleted.
template <typename F>
Status inside(const std::string& name, F f) {
  Fd home(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (home.fd < 0) return errno_error("cannot open this thread's namespace");
  DFS_TRY(enter_namespace_by_name(name));
  Status done = f();
  if (::setns(home.fd, CLONE_NEWNET) != 0) return errno_error("cannot return to the harness's own namespace");
  return done;
}

// Opens /dev/net/tun inside namespace `name` and makes tun0 there: the
// device lives in the namespace it was created from, and the fd stays
// bound to it after this thread returns to its own namespace.
Result<int> open_tun_in(const std::string& name) {
  int fd = -1;
  Status made = inside(name, [&]() -> Status {
    fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return errno_error("cannot make tun0 in " + name);
    ifreq ifr{};
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    std::strncpy(ifr.ifr_name, "tun0", IFNAMSIZ - 1);
    if (::ioctl(fd, TUNSETIFF, &ifr) == 0) return {};
    const int err = errno;
    ::close(fd);
    fd = -1;
    return errno_error("cannot make tun0 in " + name, err);
  });
  if (!made.ok()) {
    if (fd >= 0) ::close(fd);
    return made.take_error();
  }
  return fd;
}

constexpr const char* kTcpRmem = "/proc/sys/net/ipv4/tcp_rmem";

// Sets tcp_rmem (scaled_tcp_rmem) inside namespace `name`.
Status set_tcp_rmem_in(const std::string& name, const std::string& value) {
  return inside(name, [&]() -> Status {
    std::ofstream out(kTcpRmem);
    out << value << "\n";
    out.flush();
    if (!out) return make_error(Errc::io_error, std::string("cannot set ") + kTcpRmem + " in " + name);
    return {};
  });
}

// The inode identifying a network namespace, from its name or a process.
ino_t namespace_inode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// SIGKILLs every process whose network namespace is `name` (the peers a
// test started there and did not stop).
void kill_processes_in(const std::string& name) {
  const ino_t target = namespace_inode(kNetnsDir + name);
  if (target == 0) return;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return;
  while (const dirent* e = ::readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (*end != '\0' || pid <= 1 || pid == ::getpid()) continue;
    if (namespace_inode("/proc/" + std::string(e->d_name) + "/ns/net") == target) {
      ::kill(static_cast<pid_t>(pid), SIGKILL);
    }
  }
  ::closedir(proc);
}

// Whether the harness that made namespaces dfsnh-PID-* still runs: PID
// exists, is not a zombie, and is a dfs-netharness (not a later process
// that reused the PID).
bool harness_runs(long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto open = line.find('('), close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 >= line.size()) return false;
  return line.substr(open + 1, close - open - 1) == "dfs-netharness" && line[close + 2] != 'Z';
}

void delete_namespace(const std::string& name) {
  kill_processes_in(name);
  (void)run_ip({"netns", "delete", name});
}

}  // namespace

std::string run_prefix() { return kNamePrefix + std::to_string(::getpid()); }

std::string scaled_tcp_rmem(int mtu) {
  long min = 4096, initial = 131072, max = 6 << 20;  // the kernel's defaults
  std::ifstream(kTcpRmem) >> min >> initial >> max;
  if (mtu > kEthernetMtu) initial = static_cast<long>(static_cast<double>(initial) * mtu / kEthernetMtu);
  return std::to_string(min) + " " + std::to_string(initial) + " " + std::to_string(std::max(max, initial));
}

std::string Namespaces::name(int peer) const { return prefix_ + "-" + std::to_string(peer); }

Result<std::unique_ptr<Namespaces>> Namespaces::create(int count, int mtu) {
  if (count < 1 || count > kMaxPeers) {
    return make_error(Errc::invalid_argument, "the harness runs 1 to " + std::to_string(kMaxPeers) + " peers");
  }
  std::unique_ptr<Namespaces> made(new Namespaces());
  made->prefix_ = run_prefix();
  made->tcp_rmem_ = scaled_tcp_rmem(mtu);
  for (int i = 0; i < count; ++i) DFS_TRY(made->add(mtu));
  return made;
}

Status Namespaces::add(int mtu) {
  const int peer = created_;
  const std::string ns = name(peer);
  DFS_TRY(run_ip({"netns", "add", ns}));
  ++created_;
  DFS_ASSIGN_OR_RETURN(const int fd, open_tun_in(ns));
  tun_fds_.push_back(fd);
  DFS_TRY(set_tcp_rmem_in(ns, tcp_rmem_));
  DFS_TRY(run_ip({"-n", ns, "link", "set", "lo", "up"}));
  DFS_TRY(run_ip({"-n", ns, "link", "set", "tun0", "mtu", std::to_string(mtu), "txqueuelen",
                  std::to_string(kTxQueueLength), "up"}));
  DFS_TRY(run_ip({"-n", ns, "addr", "add", ipv4_of(peer) + "/" + std::to_string(kIpv4PrefixLength), "dev", "tun0"}));
  DFS_TRY(run_ip({"-n", ns, "addr", "add", ipv6_of(peer) + "/" + std::to_string(kIpv6PrefixLength), "dev", "tun0",
                  "nodad"}));
  return {};
}

Status Namespaces::add_nat(int peer, int mtu) {
  if (peer < 0 || peer >= created_) return make_error(Errc::invalid_argument, "no peer " + std::to_string(peer));
  DFS_TRY(run_program("nft", {"--version"}));
  const std::string router = name(peer), lan = lan_name(peer);
  const std::string net24 = "/24";
  DFS_TRY(run_ip({"netns", "add", lan}));
  natted_.push_back(peer);
  DFS_TRY(set_tcp_rmem_in(lan, tcp_rmem_));
  DFS_TRY(run_ip({"-n", lan, "link", "set", "lo", "up"}));
  DFS_TRY(run_ip({"-n", router, "link", "add", "lan0", "mtu", std::to_string(mtu), "type", "veth", "peer", "name",
                  "lan0", "netns", lan}));
  DFS_TRY(run_ip({"-n", router, "addr", "add", kNatRouterIpv4 + net24, "dev", "lan0"}));
  DFS_TRY(run_ip({"-n", lan, "addr", "add", kNatPeerIpv4 + net24, "dev", "lan0"}));
  DFS_TRY(run_ip({"-n", router, "link", "set", "lan0", "up"}));
  DFS_TRY(run_ip({"-n", lan, "link", "set", "lan0", "up"}));
  DFS_TRY(run_ip({"-n", lan, "route", "add", "default", "via", kNatRouterIpv4}));
  DFS_TRY(run_ip({"netns", "exec", router, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"}));
  return run_ip({"netns", "exec", router, "nft",
                 "add table ip nat; add chain ip nat out { type nat hook postrouting priority srcnat; }; "
                 "add rule ip nat out oifname tun0 masquerade"});
}

Status Namespaces::enter(int peer) const { return enter_namespace_by_name(name(peer)); }

Namespaces::~Namespaces() {
  for (int fd : tun_fds_) ::close(fd);
  for (int peer : natted_) delete_namespace(lan_name(peer));
  for (int i = 0; i < created_; ++i) delete_namespace(name(i));
}

int sweep_stale() {
  std::vector<std::string> stale;
  if (DIR* dir = ::opendir(kNetnsDir)) {
    while (const dirent* e = ::readdir(dir)) {
      const std::string name = e->d_name;
      if (name.rfind(kNamePrefix, 0) != 0) continue;
      char* end = nullptr;
      const long pid = std::strtol(name.c_str() + std::strlen(kNamePrefix), &end, 10);
      if (*end != '-' || pid <= 0) continue;
      if (harness_runs(pid)) continue;
      stale.push_back(name);
    }
    ::closedir(dir);
  }
  for (const auto& name : stale) delete_namespace(name);
  return static_cast<int>(stale.size());
}

}  // namespace dfs::netharness
