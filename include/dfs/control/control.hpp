// The control socket: ControlServer serves a Service (the daemon's Node) on
// DATA/control.sock; ControlClient is a Service that forwards each call to
// it. See control.proto for the protocol. One request per connection, each
// connection served on a thread of its own, so a long put does not hold up
// a status.
//
// `dfs open` places a shared file on a mount and `dfs snapshot` takes a
// namespace snapshot of it, which only dfsmount has: it gives the server
// MountHandlers. control/ knows nothing of the filesystem (fs/ sits above
// it), so the request travels as data and the handler, written where fs/
// is known, does the work.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <condition_variable>
#include <deque>
#include <vector>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "dfs/node/service.hpp"
#include "dfs/node/snapshot_scheduler.hpp"
#include "dfs/util/file.hpp"

namespace dfs::control {

// What the socket carries: the calls of node::Service.
using node::FileLocation;
using node::FileSummary;
using node::GcOptions;
using node::GcReport;
using node::HeldLease;
using node::PeerSummary;
using node::ProgressFn;
using node::PutOptions;
using node::PutOutcome;
using node::Service;
using node::ServiceStatus;

// A request to place the file `id` on the mount (dfs open).
struct OpenSharedRequest {
  explicit OpenSharedRequest(FileId file_id) : id(std::move(file_id)) {}

  FileId id;
  std::string path;  // absolute, symlinks resolved; empty: the default place
  std::string cwd;   // the client's working directory, to pick the default place
  // Who asked, from the kernel (SO_PEERCRED), not from the client's word:
  // the new file's owner.
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t umask = 022;  // the client's
};

// Places the file and returns the absolute path it is now at.
using OpenHandler = std::function<Result<std::string>(const OpenSharedRequest& request)>;
// Takes a namespace snapshot now (node::SnapshotScheduler::take_now).
using SnapshotHandler = std::function<Result<node::SnapshotOutcome>()>;

// What only a mount answers; an empty handler answers Errc::not_supported
// (a headless peer, or a mount without a recovery key for snapshots).
struct MountHandlers {
  OpenHandler open;
  SnapshotHandler snapshot;
};

class ControlServer {
 public:
  // Binds `socket_path` (mode 0600; a stale socket file is replaced) and
  // serves `service`, and `mount`'s requests, until stop() or destruction.
  static Result<std::unique_ptr<ControlServer>> start(const std::string& socket_path, Service& service,
                                                      MountHandlers mount = {});
  ~ControlServer();
  // Stops accepting, waits for requests in progress, removes the socket.
  void stop();

 private:
  ControlServer(std::string path, UniqueFd listener, Service& service, MountHandlers mount);
  void accept_loop();
  void serve(UniqueFd connection);

  const std::string path_;
  UniqueFd listener_;
  Service& service_;
  const MountHandlers mount_;
  void work_loop();

  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  // A fixed pool serves the connections the acceptor queues; the acceptor
  // waits while the queue is full, so clients wait in the listen backlog
  // and no number of them costs more threads or memory.
  std::vector<std::thread> workers_;
  std::mutex mutex_;                  // guards queue_
  std::condition_variable changed_;   // queue_ or stopping_ changed
  std::deque<UniqueFd> queue_;        // accepted, not yet served
};

class ControlClient final : public Service {
 public:
  // Connects to the peer serving `socket_path`; nullopt if none is running
  // (no socket, or nobody listening on it).
  static Result<std::optional<std::unique_ptr<ControlClient>>> connect(const std::string& socket_path);

  Result<PutOutcome> put(int fd, const std::string& name, const PutOptions& options,
                         const ProgressFn& progress) override;
  Status get(const FileId& id, int fd, const ProgressFn& progress) override;
  Result<std::vector<FileSummary>> list() override;
  Result<PutOutcome> put_tree(int dirfd, const std::string& name, const PutOptions& options,
                              const ProgressFn& progress) override;
  Status get_tree(const FileId& id, int dirfd, const ProgressFn& progress) override;
  Result<Directory> list_directory(const FileId& id) override;
  Result<DirEntry> lookup(const FileId& root, const std::string& path) override;
  Status get_path(const FileId& root, const std::string& path, int fd, const ProgressFn& progress) override;
  Status remove(const FileId& id) override;
  Result<ServiceStatus> status() override;
  Result<std::vector<PeerSummary>> peers() override;
  Result<GcReport> collect_garbage(const GcOptions& options) override;
  Result<FileLocation> locate(const FileId& id, bool repair) override;
  Result<std::vector<std::optional<HeldLease>>> leases(const std::vector<ChunkId>& ids) override;

  // Asks the peer (dfsmount) to place a shared file; returns where it did.
  // uid and gid of `request` are ignored: the server takes them from the
  // socket.
  Result<std::string> open_shared(const OpenSharedRequest& request);
  // Asks the mount for a namespace snapshot now (dfs snapshot).
  Result<node::SnapshotOutcome> snapshot();

 private:
  explicit ControlClient(std::string socket_path) : path_(std::move(socket_path)) {}
  const std::string path_;
};

}  // namespace dfs::control
