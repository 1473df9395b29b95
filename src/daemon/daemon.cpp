#include "dfs/daemon/daemon.hpp"

#include <pthread.h>
#include <signal.h>

#include "dfs/chunk/sealed_chunk.hpp"
#include "dfs/control/control_channel.hpp"
#include "dfs/util/memory.hpp"

namespace dfs::daemon {

Result<std::unique_ptr<Daemon>> Daemon::open(DaemonOptions options) {
  if (options.peer) options.node.storage_for_others = options.peer->storage_for_others;
  auto data = node::DataDir::open(options.node);
  if (!data.ok()) return Error{data.error().code, "cannot open " + options.node.data_dir + ": " + data.error().message};
  std::unique_ptr<Daemon> daemon(new Daemon(std::move(options), std::move(*data)));
  if (daemon->options_.peer) {
    node::DataDir& dir = *daemon->data_;
    p2p::PeerOptions peer_options = *daemon->options_.peer;
    peer_options.leases = &dir.leases();
    peer_options.owned_chunks = &dir.cache();
    peer_options.referenced_chunks = [&index = dir.index()] { return index.referenced_chunks(); };
    peer_options.lease_keys = [&index = dir.index()](const ChunkId& id) -> Result<replicate::PlacerKey> {
      DFS_ASSIGN_OR_RETURN(auto key, index.lease_placer_key(id));
      return key ? replicate::PlacerKey(*key) : replicate::PlacerKey();
    };
    peer_options.held_chunks = &dir.held();
    DFS_ASSIGN_OR_RETURN(daemon->peer_, p2p::Peer::start(peer_options, dir.served()));
    daemon->node_->attach_network(daemon->peer_.get());
  }
  return daemon;
}

Daemon::Daemon(DaemonOptions options, std::unique_ptr<node::DataDir> data)
    : options_(std::move(options)), data_(std::move(data)), node_(std::make_unique<node::Node>(*data_)) {}

Daemon::~Daemon() { stop(); }

std::string Daemon::describe() const {
  if (!peer_) return "lone peer";
  return "peer " + peer_->node_id_hex() + " listening on " + peer_->listen_address();
}

Status Daemon::serve(control::MountHandlers mount) {
  node_->start_gc(options_.gc_interval, node::GcOptions{});
  DFS_ASSIGN_OR_RETURN(control_, control::ControlServer::start(control::control_socket_path(options_.node.data_dir),
                                                              *node_, std::move(mount)));
  return {};
}

void Daemon::stop_serving() {
  if (control_) control_->stop();
}

void Daemon::stop() {
  stop_serving();
  if (peer_) {
    peer_->stop();
    node_->attach_network(nullptr);
  }
}

namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void keep_chunk_buffers_mapped() {
  constexpr std::size_t kKeepFree = 32u << 20;
  if (Status tuned = keep_large_buffers_mapped(kMaxSealedChunkSize + 4096, kKeepFree); !tuned.ok()) {
    log::warn("allocator left at its defaults: " + tuned.error().message);
  }
}

void block_stop_signals(bool blocked) {
  const sigset_t set = stop_signals();
  pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, nullptr);
}

int wait_for_stop_signal() {
  const sigset_t set = stop_signals();
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

const char* stop_signal_name(int signal) {
  switch (signal) {
    case SIGINT: return "interrupted";
    case SIGTERM: return "terminated";
    case SIGHUP: return "hung up";
    default: return "stopped";
  }
}

}  // namespace dfs::daemon
