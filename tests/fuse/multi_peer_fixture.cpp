#include "multi_peer_fixture.hpp"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "../common/chunk_on_disk.hpp"
#include "../common/eventually.hpp"

namespace dfs::fuse::test {

namespace stdfs = std::filesystem;
using dfs::testing::binary_from_env;
using dfs::testing::Daemon;
using dfs::testing::eventually;
using dfs::testing::ProcessResult;
using dfs::testing::run_process;

namespace {

// "listening on HOST:PORT" in a peer's log: where it actually listens (port 0 picks a free one).
std::string listen_address(const std::string& log) {
  const std::string marker = "listening on ";
  const auto at = log.find(marker);
  if (at == std::string::npos) return {};
  const auto start = at + marker.size();
  return log.substr(start, log.find_first_of(" \n", start) - start);
}

// Chunks held in a store directory (store/ or cache/ of a data directory).
std::size_t count_chunks(const std::string& dir) { return dfs::testing::chunks_on_disk(dir).size(); }

}  // namespace

std::string random_content(std::size_t n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(gen());
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

int stat_errno(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? 0 : errno;
}

void MultiPeerFixture::SetUp() {
  ASSERT_EQ(::access("/dev/fuse", R_OK | W_OK), 0) << "/dev/fuse is missing or not usable: cannot mount";
  ASSERT_TRUE(tmp_.ok());
  dir_ = tmp_.path();
}

void MultiPeerFixture::TearDown() {
  mounts_.clear();  // unmounts, whatever happened
  nodes_.clear();   // kills what still runs
  if (HasFailure()) {
    tmp_.keep();
    std::fprintf(stderr, "logs kept in %s\n", dir_.c_str());
  }
}

std::vector<std::string> MultiPeerFixture::peer_args(int host) const {
  std::vector<std::string> args = {"--listen", "127.0.0." + std::to_string(host) + ":0", "--replicas", "3",
                                   "--repair-interval", repair_interval_, "--fetch-timeout", kFetchTimeoutSeconds};
  if (!bootstrap_.empty()) args.insert(args.end(), {"--bootstrap", bootstrap_});
  return args;
}

std::vector<std::string> MultiPeerFixture::mount_args(const std::string& peer, int host,
                                                      const std::vector<std::string>& extra) const {
  std::vector<std::string> args = {"-f", "--data", data(peer)};
  const auto peer_part = peer_args(host);
  args.insert(args.end(), peer_part.begin(), peer_part.end());
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(mnt(peer));
  return args;
}

void MultiPeerFixture::start_mount(const std::string& peer, int host, const std::vector<std::string>& extra) {
  stdfs::create_directories(mnt(peer));
  const std::vector<std::string> args = mount_args(peer, host, extra);
  auto mount = std::make_unique<MountProcess>(binary_from_env("DFSMOUNT_BIN"), args, mnt(peer),
                                              dir_ + "/" + peer + ".log");
  const std::string why = mount->wait_mounted(30);
  ASSERT_TRUE(why.empty()) << "cannot mount: " << why;
  // Its peer and control socket are up once it says so (after mounting).
  ASSERT_TRUE(mount->wait_for_log(" mounted", 30)) << mount->log();
  if (bootstrap_.empty()) bootstrap_ = listen_address(mount->log());
  ASSERT_FALSE(bootstrap_.empty()) << mount->log();
  mounts_[peer] = std::move(mount);
}

void MultiPeerFixture::start_node(const std::string& peer, int host) {
  std::vector<std::string> args = {"--data", data(peer), "node"};
  const auto peer_part = peer_args(host);
  args.insert(args.end(), peer_part.begin(), peer_part.end());
  nodes_[peer] = std::make_unique<Daemon>(binary_from_env("DFS_BIN"), args, dir_ + "/" + peer + ".log");
  ASSERT_TRUE(nodes_[peer]->wait_for_log("listening on")) << nodes_[peer]->log();
  if (bootstrap_.empty()) bootstrap_ = listen_address(nodes_[peer]->log());
}

ProcessResult MultiPeerFixture::dfs(const std::string& peer, std::vector<std::string> args) {
  args.insert(args.begin(), {"--data", data(peer)});
  return run_process(binary_from_env("DFS_BIN"), args);
}

void MultiPeerFixture::wait_for_peers(const std::string& peer, int n) {
  int known = 0;
  eventually(
      [&] {
        const std::string out = dfs(peer, {"peers"}).out;
        known = static_cast<int>(std::count(out.begin(), out.end(), '\n'));
        return known >= n;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(50));
  ASSERT_GE(known, n) << peer << " knows " << known << " peers";
}

std::string MultiPeerFixture::id_of(const std::string& path) {
  auto r = dfs("A", {"id", path});  // dfs id asks the mount PATH is on, whatever --data says
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.size(), 109u) << r.out;  // 108 characters and a newline
  return r.out.substr(0, r.out.find('\n'));
}

void MultiPeerFixture::wait_for_chunks(const std::string& peer, std::size_t n) {
  EXPECT_TRUE(eventually([&] { return dfs::testing::served_chunks_on_disk(data(peer)).size() >= n; },
                         std::chrono::seconds(5), std::chrono::milliseconds(50)))
      << peer << " was not sent the file's chunks";
}

void MultiPeerFixture::wait_for_copies(const std::string& peer, const std::string& owner) {
  const auto all_copied = [&] {
    std::vector<ChunkId> served;
    for (const auto& [id, where] : dfs::testing::served_chunks_on_disk(data(peer))) served.push_back(id);
    std::sort(served.begin(), served.end());
    for (const auto& [id, where] : dfs::testing::chunks_on_disk(data(owner) + "/store")) {
      if (!std::binary_search(served.begin(), served.end(), id)) return false;
    }
    return true;
  };
  EXPECT_TRUE(eventually(all_copied, std::chrono::seconds(10), std::chrono::milliseconds(50)))
      << peer << " was not sent every chunk " << owner << " stores";
}

std::size_t MultiPeerFixture::chunks_held(const std::string& peer) const {
  return dfs::testing::served_chunks_on_disk(data(peer)).size() + count_chunks(data(peer) + "/cache");
}

}  // namespace dfs::fuse::test
