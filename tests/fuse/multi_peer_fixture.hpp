// A network of real peers on 127.0.0.x for sharing tests: dfsmount
// processes (mounts) and headless `dfs node` peers, the first started being
// the others' bootstrap peer, each with its data directory and log in one
// scratch directory (kept when a test fails). Tear-down unmounts and kills
// whatever still runs.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../common/temp_dir.hpp"
#include "mount_process.hpp"
#include "run_process.hpp"

namespace dfs::fuse::test {

// How long a peer waits for a chunk from others before giving up (EIO).
inline constexpr const char* kFetchTimeoutSeconds = "5";

std::string random_content(std::size_t n, unsigned seed);
std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& content);
// errno of stat(path), 0 if it succeeds.
int stat_errno(const std::string& path);

class MultiPeerFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::string data(const std::string& peer) const { return dir_ + "/" + peer; }
  std::string mnt(const std::string& peer) const { return dir_ + "/" + peer + "-mnt"; }

  // dfsmount -f for `peer` on 127.0.0.<host>, mounted at mnt(peer), with
  // `extra` options.
  void start_mount(const std::string& peer, int host, const std::vector<std::string>& extra = {});
  // The dfsmount -f command line start_mount runs.
  std::vector<std::string> mount_args(const std::string& peer, int host, const std::vector<std::string>& extra) const;
  // dfs node for `peer` on 127.0.0.<host>. The first peer started (mount
  // or node) is the others' bootstrap peer.
  void start_node(const std::string& peer, int host);
  // `dfs --data data(peer) ARGS...`.
  dfs::testing::ProcessResult dfs(const std::string& peer, std::vector<std::string> args);
  // Waits until `peer` knows `n` others.
  void wait_for_peers(const std::string& peer, int n);
  // `dfs id PATH` (file or directory on a mount), checked to succeed.
  std::string id_of(const std::string& path);
  // Waits until `peer` serves `n` chunks (in its store, or held for others).
  void wait_for_chunks(const std::string& peer, std::size_t n);
  // Waits until `peer` serves every chunk in `owner`'s store.
  void wait_for_copies(const std::string& peer, const std::string& owner);
  // Chunks `peer` holds in its store, for others and in its cache.
  std::size_t chunks_held(const std::string& peer) const;

  ::dfs::testing::TempDir tmp_{"dfs-multi-peer"};
  std::string dir_;
  std::string bootstrap_;
  std::map<std::string, std::unique_ptr<MountProcess>> mounts_;
  std::map<std::string, std::unique_ptr<dfs::testing::Daemon>> nodes_;
  // --repair-interval of the peers started from now on (seconds): rare by
  // default, so that no repair round moves chunks under a test's feet.
  std::string repair_interval_ = "3600";

 private:
  std::vector<std::string> peer_args(int host) const;
};

}  // namespace dfs::fuse::test
