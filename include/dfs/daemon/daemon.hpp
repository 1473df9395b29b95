// Daemon: a running peer, as both `dfs node` and dfsmount run it — the data
// directory (node::DataDir), the Node on it, the P2P engine on its store,
// cache and leases (when a network is named), periodic GC and the control
// socket — assembled, started and stopped in one order. The two mains
// differ only in whether they mount a filesystem on it.
//
// Stop signals: call block_stop_signals() before any thread starts, so that
// every thread the daemon starts inherits the mask; then either
// wait_for_stop_signal() (dfs node) or unblock them in the threads that are
// to take them (dfsmount's FUSE loop).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "dfs/control/control.hpp"
#include "dfs/node/node.hpp"
#include "dfs/p2p/peer.hpp"

namespace dfs::daemon {

struct DaemonOptions {
  node::NodeOptions node;
  // The network to join; none: a lone peer. Its leases and owned_chunks
  // are the node's, whatever they say here.
  std::optional<p2p::PeerOptions> peer;
  std::chrono::milliseconds gc_interval{std::chrono::hours(1)};
};

class Daemon {
 public:
  // Opens the node (creating the data directory) and, with a network,
  // starts the peer and attaches it to the node. Serves nothing yet.
  static Result<std::unique_ptr<Daemon>> open(DaemonOptions options);
  // stop(), if it was not called.
  ~Daemon();

  // The data directory's parts, for a filesystem mounted on the peer.
  node::DataDir& data() { return *data_; }
  node::Node& node() { return *node_; }
  // The network, or null for a lone peer.
  p2p::Peer* peer() { return peer_.get(); }
  // What a log line says the daemon is: "peer ID listening on ADDRESS" or
  // "lone peer".
  std::string describe() const;

  // Starts periodic GC and the control socket on DATA/control.sock. A
  // mount's `dfs open` and `dfs snapshot` requests go to `mount`; without
  // its handlers they are refused.
  Status serve(control::MountHandlers mount = {});
  // No new control requests; those in progress finish. Call before
  // tearing down what the MountHandlers use.
  void stop_serving();
  // stop_serving(), then stops the peer (repair, connections) and detaches
  // it from the node. The node stays open until destruction.
  void stop();

 private:
  Daemon(DaemonOptions options, std::unique_ptr<node::DataDir> data);

  DaemonOptions options_;
  // Destroyed in reverse: the control socket, then the peer, then the node
  // both of them use, then the data directory under all of them.
  std::unique_ptr<node::DataDir> data_;
  std::unique_ptr<node::Node> node_;
  std::unique_ptr<p2p::Peer> peer_;
  std::unique_ptr<control::ControlServer> control_;
};

// Has the allocator serve chunk buffers from its heaps and keep a few
// chunks' worth free for the next ones (util/memory.hpp); a warning if
// glibc refuses. Call once, before any thread starts. Every chunk a peer
// receives, serves, seals or decrypts is a buffer of its own: with glibc's
// defaults each one's pages were faulted in and zeroed again (a remote get's
// reader: 23,000 faults for 256 MiB, 7,500 with this; a cold 1 GiB read
// through the mount: 35,700 and 12,900).
void keep_chunk_buffers_mapped();

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and in every
// thread it starts from now on (true), or unblocks them (false).
void block_stop_signals(bool blocked = true);
// Waits for one of them (blocked beforehand); returns which.
int wait_for_stop_signal();
// "interrupted", "terminated", "hung up".
const char* stop_signal_name(int signal);

}  // namespace dfs::daemon
