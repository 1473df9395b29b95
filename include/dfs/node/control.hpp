// The control socket: ControlServer serves a Service (the daemon's Node) on
// DATA/control.sock; ControlClient is a Service that forwards each call to
// it. See control.proto for the protocol. One request per connection, each
// connection served on a thread of its own, so a long put does not hold up
// a status.
#pragma once

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "dfs/node/service.hpp"
#include "dfs/util/file.hpp"

namespace dfs::node {

class ControlServer {
 public:
  // Binds `socket_path` (mode 0600; a stale socket file is replaced) and
  // serves `service` until stop() or destruction.
  static Result<std::unique_ptr<ControlServer>> start(const std::string& socket_path, Service& service);
  ~ControlServer();
  // Stops accepting, waits for requests in progress, removes the socket.
  void stop();

 private:
  ControlServer(std::string path, UniqueFd listener, Service& service);
  void accept_loop();
  void serve(UniqueFd connection);

  const std::string path_;
  UniqueFd listener_;
  Service& service_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mutex_;                  // guards workers_
  std::list<std::thread> workers_;    // one per connection, joined at stop
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
  Result<ServiceStatus> status() override;
  Result<std::vector<PeerSummary>> peers() override;

 private:
  explicit ControlClient(std::string socket_path) : path_(std::move(socket_path)) {}
  const std::string path_;
};

}  // namespace dfs::node
