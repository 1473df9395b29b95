#include "dfs/control/control.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "control.pb.h"
#include "dfs/control/control_channel.hpp"
#include "directory_proto.hpp"
#include "paging.hpp"
#include "service_proto.hpp"
#include "dfs/util/log.hpp"

namespace dfs::control {

namespace {

// The control socket's pool: a few requests at once (a put and a get that
// stream files, status calls beside them); more wait in the queue, then
// in the listen backlog.
constexpr std::size_t kControlWorkers = 4;
constexpr std::size_t kControlQueue = 16;
// A client has this long to send its request: one that connects and says
// nothing cannot hold a worker.
constexpr int kRequestTimeoutSeconds = 10;

Result<sockaddr_un> socket_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    return make_error(Errc::invalid_argument, "control socket path " + path + " is longer than " +
                                                  std::to_string(sizeof addr.sun_path - 1) + " bytes");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

Result<UniqueFd> unix_socket() {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_error("cannot create a UNIX socket");
  return UniqueFd(fd);
}

control::Reply error_reply(const Error& error) {
  control::Reply reply;
  reply.mutable_error()->set_code(static_cast<std::uint32_t>(error.code));
  reply.mutable_error()->set_message(error.message);
  return reply;
}

Error error_from(const control::ErrorReply& e) {
  return Error{static_cast<Errc>(std::min<std::uint32_t>(e.code(), static_cast<std::uint32_t>(Errc::internal))),
               e.message()};
}

// The uid and gid of the process at the other end of `conn`.
Result<ucred> peer_credentials(int conn) {
  ucred cred{};
  socklen_t size = sizeof cred;
  if (::getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0) {
    return errno_error("cannot tell who is on the control socket");
  }
  return cred;
}

// Answers one request on `conn` by calling `service` (or `mount`'s handlers).
class RequestHandler {
 public:
  RequestHandler(int conn, Service& service, const MountHandlers& mount)
      : conn_(conn), service_(service), mount_(mount) {}

  Status handle(const control::Request& request, UniqueFd passed) {
    switch (request.body_case()) {
      case control::Request::kPut: return put(request.put(), std::move(passed));
      case control::Request::kGet: return get(request.get(), std::move(passed));
      case control::Request::kList: return list();
      case control::Request::kStatus: return status();
      case control::Request::kPeers: return peers();
      case control::Request::kOpen: return open(request.open());
      case control::Request::kGc: return gc(request.gc());
      case control::Request::kPutTree: return put_tree(request.put_tree(), std::move(passed));
      case control::Request::kGetTree: return get_tree(request.get_tree(), std::move(passed));
      case control::Request::kListDirectory: return list_directory(request.list_directory());
      case control::Request::kLookup: return lookup(request.lookup());
      case control::Request::kRemove: return remove(request.remove());
      case control::Request::kSnapshot: return snapshot();
      case control::Request::kLocate: return locate(request.locate());
      case control::Request::kLeases: return leases(request.leases());
      case control::Request::BODY_NOT_SET: break;
    }
    return send(error_reply(make_error(Errc::invalid_argument, "unknown control request")));
  }

 private:
  Status send(const control::Reply& reply) { return send_control_message(conn_, reply); }

  // Progress is best effort: a client that went away is noticed at the end.
  ProgressFn progress() {
    return [this](std::uint64_t done, std::uint64_t total) {
      control::Reply reply;
      reply.mutable_progress()->set_bytes_done(done);
      reply.mutable_progress()->set_bytes_total(total);
      (void)send(reply);
    };
  }

  Status put(const control::PutRequest& request, UniqueFd input) {
    if (!input.valid()) return send(error_reply(make_error(Errc::invalid_argument, "put came without a file")));
    PutOptions options;
    options.chunk_size = request.chunk_size();
    auto outcome = service_.put(input.get(), request.name(), options, progress());
    if (!outcome.ok()) return send(error_reply(outcome.error()));
    control::Reply reply;
    fill(*outcome, *reply.mutable_put());
    return send(reply);
  }

  static void fill(const PutOutcome& outcome, control::PutReply& reply) {
    reply.set_file_id(outcome.id.to_string());
    reply.set_replicas_wanted(outcome.replicas_wanted);
    reply.set_replicas_min(outcome.replicas_min);
  }

  Status put_tree(const control::PutTreeRequest& request, UniqueFd dir) {
    if (!dir.valid()) return send(error_reply(make_error(Errc::invalid_argument, "put -r came without a directory")));
    PutOptions options;
    options.chunk_size = request.chunk_size();
    auto outcome = service_.put_tree(dir.get(), request.name(), options, progress());
    if (!outcome.ok()) return send(error_reply(outcome.error()));
    control::Reply reply;
    fill(*outcome, *reply.mutable_put_tree());
    return send(reply);
  }

  Status get_tree(const control::GetTreeRequest& request, UniqueFd dir) {
    if (!dir.valid()) return send(error_reply(make_error(Errc::invalid_argument, "get came without a directory")));
    auto id = FileId::parse(request.file_id());
    if (!id.ok()) return send(error_reply(id.error()));
    Status got = service_.get_tree(*id, dir.get(), progress());
    if (!got.ok()) return send(error_reply(got.error()));
    control::Reply reply;
    reply.mutable_get_tree();
    return send(reply);
  }

  Status list_directory(const control::ListDirectoryRequest& request) {
    auto id = FileId::parse(request.file_id());
    if (!id.ok()) return send(error_reply(id.error()));
    auto directory = service_.list_directory(*id);
    if (!directory.ok()) return send(error_reply(directory.error()));
    DFS_TRY(send_in_pages(
        directory->entries,
        [](const DirEntry& e, control::Reply& page) -> control::DirectoryEntry& {
          auto& entry = *page.mutable_directory_page()->add_entries();
          to_proto(e, entry);
          return entry;
        },
        [this](const control::Reply& page) { return send(page); }));
    control::Reply reply;
    reply.mutable_list_directory();
    return send(reply);
  }

  Status lookup(const control::LookupRequest& request) {
    auto id = FileId::parse(request.file_id());
    if (!id.ok()) return send(error_reply(id.error()));
    auto entry = service_.lookup(*id, request.path());
    if (!entry.ok()) return send(error_reply(entry.error()));
    control::Reply reply;
    to_proto(*entry, *reply.mutable_lookup()->mutable_entry());
    return send(reply);
  }

  Status remove(const control::RemoveRequest& request) {
    auto id = FileId::parse(request.file_id());
    if (!id.ok()) return send(error_reply(id.error()));
    Status removed = service_.remove(*id);
    if (!removed.ok()) return send(error_reply(removed.error()));
    control::Reply reply;
    reply.mutable_remove();
    return send(reply);
  }

  Status get(const control::GetRequest& request, UniqueFd output) {
    if (!output.valid()) return send(error_reply(make_error(Errc::invalid_argument, "get came without a file")));
    auto id = FileId::parse(request.file_id());
    if (!id.ok()) return send(error_reply(id.error()));
    Status got = request.path().empty() ? service_.get(*id, output.get(), progress())
                                        : service_.get_path(*id, request.path(), output.get(), progress());
    if (!got.ok()) return send(error_reply(got.error()));
    control::Reply reply;
    reply.mutable_get();
    return send(reply);
  }

  Status list() {
    auto files = service_.list();
    if (!files.ok()) return send(error_reply(files.error()));
    control::Reply reply;
    for (const auto& f : *files) {
      auto* entry = reply.mutable_list()->add_files();
      entry->set_file_id(f.file_id);
      entry->set_name(f.name);
      entry->set_size(f.size);
      entry->set_added_at_unix(f.added_at_unix);
      entry->set_is_directory(f.is_directory);
      entry->set_from_mount(f.from_mount);
    }
    reply.mutable_list();
    return send(reply);
  }

  Status status() {
    auto s = service_.status();
    if (!s.ok()) return send(error_reply(s.error()));
    control::Reply reply;
    *reply.mutable_status() = to_proto(*s);
    return send(reply);
  }

  Status peers() {
    auto peers = service_.peers();
    if (!peers.ok()) return send(error_reply(peers.error()));
    control::Reply reply;
    for (const auto& p : *peers) {
      auto* entry = reply.mutable_peers()->add_peers();
      entry->set_node_id(p.node_id);
      entry->set_address(p.address);
      entry->set_last_seen_seconds(p.last_seen_seconds);
      entry->set_failures(p.failures);
    }
    reply.mutable_peers();
    return send(reply);
  }

  Status locate(const control::LocateRequest& request) {
    auto id = FileId::parse(request.file_id());
    if (!id.ok()) return send(error_reply(id.error()));
    auto location = service_.locate(*id, request.repair());
    if (!location.ok()) return send(error_reply(location.error()));
    return send_location(*location, [this](const control::Reply& r) { return send(r); });
  }

  Status leases(const control::LeasesRequest& request) {
    if (static_cast<std::size_t>(request.chunk_ids_size()) > node::kMaxLeaseQuery) {
      return send(error_reply(make_error(Errc::too_large, "a lease query of " +
                                                              std::to_string(request.chunk_ids_size()) + " chunks")));
    }
    std::vector<ChunkId> ids;
    for (const std::string& bytes : request.chunk_ids()) {
      ChunkId id;
      if (bytes.size() != id.bytes.size()) {
        return send(error_reply(make_error(Errc::invalid_argument, "a chunk ID of " + std::to_string(bytes.size()) +
                                                                       " bytes in a lease query")));
      }
      std::copy(bytes.begin(), bytes.end(), id.bytes.begin());
      ids.push_back(id);
    }
    auto ends = service_.leases(ids);
    if (!ends.ok()) return send(error_reply(ends.error()));
    control::Reply reply;
    auto* out = reply.mutable_leases();
    for (const auto& lease : *ends) {
      out->add_expires_at(lease ? lease->expires_at : 0);
      out->add_placer_key(lease && lease->placer_key ? std::string(lease->placer_key->begin(), lease->placer_key->end())
                                                     : std::string());
    }
    return send(reply);
  }

  Status gc(const control::GcRequest& request) {
    GcOptions options;
    options.dry_run = request.dry_run();
    auto report = service_.collect_garbage(options);
    if (!report.ok()) return send(error_reply(report.error()));
    control::Reply reply;
    *reply.mutable_gc() = to_proto(*report);
    return send(reply);
  }

  Status open(const control::OpenRequest& request) {
    if (!mount_.open) {
      return send(error_reply(make_error(Errc::not_supported,
                                         "the peer running on this data directory is a headless node (dfs node): "
                                         "it has no mount to place files on; run dfsmount instead")));
    }
    auto id = FileId::parse(request.file_id());
    if (!id.ok()) return send(error_reply(id.error()));
    auto cred = peer_credentials(conn_);
    if (!cred.ok()) return send(error_reply(cred.error()));
    OpenSharedRequest wanted(std::move(*id));
    wanted.path = request.path();
    wanted.cwd = request.cwd();
    wanted.uid = cred->uid;
    wanted.gid = cred->gid;
    wanted.umask = request.umask() & 0777;
    auto placed = mount_.open(wanted);
    if (!placed.ok()) return send(error_reply(placed.error()));
    control::Reply reply;
    reply.mutable_open()->set_path(*placed);
    return send(reply);
  }

  Status snapshot() {
    if (!mount_.snapshot) {
      return send(error_reply(make_error(Errc::not_supported,
                                         "the peer running on this data directory takes no namespace snapshots: "
                                         "that needs a mount (dfsmount) on a network, with a recovery key "
                                         "(dfs recovery-key) and --snapshot-interval not 0")));
    }
    auto taken = mount_.snapshot();
    if (!taken.ok()) return send(error_reply(taken.error()));
    control::Reply reply;
    *reply.mutable_snapshot() = to_proto(*taken);
    return send(reply);
  }

  int conn_;
  Service& service_;
  const MountHandlers& mount_;
};

}  // namespace

Result<std::unique_ptr<ControlServer>> ControlServer::start(const std::string& socket_path, Service& service,
                                                           MountHandlers mount) {
  DFS_ASSIGN_OR_RETURN(sockaddr_un addr, socket_address(socket_path));
  DFS_ASSIGN_OR_RETURN(UniqueFd listener, unix_socket());
  // The caller holds the data directory's store lock, so a socket file
  // left here is a dead peer's: replace it.
  ::unlink(socket_path.c_str());
  // Created 0600 from the start (no window where others could connect).
  mode_t old_mask = ::umask(0177);
  int bound = ::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old_mask);
  if (bound != 0) return errno_error("cannot bind the control socket " + socket_path);
  if (::listen(listener.get(), 64) != 0) return errno_error("cannot listen on " + socket_path);
  std::unique_ptr<ControlServer> server(
      new ControlServer(socket_path, std::move(listener), service, std::move(mount)));
  for (std::size_t i = 0; i < kControlWorkers; ++i) {
    server->workers_.emplace_back([s = server.get()] { s->work_loop(); });
  }
  server->acceptor_ = std::thread([s = server.get()] { s->accept_loop(); });
  return server;
}

ControlServer::ControlServer(std::string path, UniqueFd listener, Service& service, MountHandlers mount)
    : path_(std::move(path)), listener_(std::move(listener)), service_(service), mount_(std::move(mount)) {}

ControlServer::~ControlServer() { stop(); }

void ControlServer::stop() {
  if (stopping_.exchange(true)) return;
  ::shutdown(listener_.get(), SHUT_RDWR);  // wakes accept()
  changed_.notify_all();
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& w : workers_) w.join();  // each finishes its request in progress
  ::unlink(path_.c_str());
}

void ControlServer::accept_loop() {
  while (!stopping_.load()) {
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return stopping_.load() || queue_.size() < kControlQueue; });
    }
    int conn = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (!stopping_.load()) log::error(std::string("control socket: accept failed: ") + std::strerror(errno));
      return;
    }
    std::lock_guard lock(mutex_);
    queue_.emplace_back(conn);
    changed_.notify_all();
  }
}

void ControlServer::work_loop() {
  for (;;) {
    UniqueFd conn;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return stopping_.load() || !queue_.empty(); });
      if (stopping_.load()) return;  // connections still queued close unanswered
      conn = std::move(queue_.front());
      queue_.pop_front();
      changed_.notify_all();
    }
    serve(std::move(conn));
  }
}

void ControlServer::serve(UniqueFd conn) {
  const timeval limit{kRequestTimeoutSeconds, 0};
  ::setsockopt(conn.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  control::Request request;
  UniqueFd passed;
  Status received = receive_control_message(conn.get(), request, &passed);
  if (!received.ok()) {
    // A client that connects and leaves (ControlClient::connect's probe)
    // is routine; anything else is worth a line.
    if (received.error().code != Errc::unavailable) log::warn("control socket: " + received.error().message);
    return;
  }
  Status answered = RequestHandler(conn.get(), service_, mount_).handle(request, std::move(passed));
  if (!answered.ok()) log::info("control socket: could not answer: " + answered.error().message);
}

// --- client ---

namespace {

// One request on a fresh connection; returns the final reply, handing
// progress replies to `progress` on the way.
// `page` takes the pages of a long reply (a listing's, a locate's).
Result<control::Reply> call(const std::string& path, const control::Request& request, int pass_fd,
                            const ProgressFn& progress,
                            const std::function<Status(const control::Reply&)>& page = {}) {
  DFS_ASSIGN_OR_RETURN(sockaddr_un addr, socket_address(path));
  DFS_ASSIGN_OR_RETURN(UniqueFd sock, unix_socket());
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return errno_error("cannot reach the peer on " + path);
  }
  DFS_TRY(send_control_message(sock.get(), request, pass_fd));
  for (;;) {
    control::Reply reply;
    Status received = receive_control_message(sock.get(), reply);
    if (!received.ok()) {
      return make_error(Errc::unavailable, "the peer stopped answering (" + received.error().message + ")");
    }
    if (reply.has_progress()) {
      if (progress) progress(reply.progress().bytes_done(), reply.progress().bytes_total());
      continue;
    }
    if ((reply.has_directory_page() || reply.has_locate_page()) && page) {
      DFS_TRY(page(reply));
      continue;
    }
    if (reply.has_error()) return error_from(reply.error());
    return reply;
  }
}

Result<PutOutcome> outcome_from(const control::PutReply& reply) {
  DFS_ASSIGN_OR_RETURN(FileId id, FileId::parse(reply.file_id()));
  return PutOutcome{std::move(id), reply.replicas_wanted(), reply.replicas_min()};
}

}  // namespace

Result<std::optional<std::unique_ptr<ControlClient>>> ControlClient::connect(const std::string& socket_path) {
  DFS_ASSIGN_OR_RETURN(sockaddr_un addr, socket_address(socket_path));
  DFS_ASSIGN_OR_RETURN(UniqueFd sock, unix_socket());
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == ENOENT || errno == ECONNREFUSED) return std::optional<std::unique_ptr<ControlClient>>();
    return errno_error("cannot reach the peer on " + socket_path);
  }
  // That probe connection closes unused; the server reads EOF and moves on.
  return std::optional(std::unique_ptr<ControlClient>(new ControlClient(socket_path)));
}

Result<PutOutcome> ControlClient::put(int fd, const std::string& name, const PutOptions& options,
                                      const ProgressFn& progress) {
  control::Request request;
  request.mutable_put()->set_name(name);
  request.mutable_put()->set_chunk_size(options.chunk_size);
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, fd, progress));
  if (!reply.has_put()) return make_error(Errc::internal, "the peer answered a put with something else");
  return outcome_from(reply.put());
}

Status ControlClient::get(const FileId& id, int fd, const ProgressFn& progress) {
  control::Request request;
  request.mutable_get()->set_file_id(id.to_string());
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, fd, progress));
  if (!reply.has_get()) return make_error(Errc::internal, "the peer answered a get with something else");
  return {};
}

Status ControlClient::get_path(const FileId& root, const std::string& path, int fd, const ProgressFn& progress) {
  control::Request request;
  request.mutable_get()->set_file_id(root.to_string());
  request.mutable_get()->set_path(path);
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, fd, progress));
  if (!reply.has_get()) return make_error(Errc::internal, "the peer answered a get with something else");
  return {};
}

Result<std::vector<FileSummary>> ControlClient::list() {
  control::Request request;
  request.mutable_list();
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, -1, {}));
  std::vector<FileSummary> files;
  for (const auto& f : reply.list().files()) {
    files.push_back({f.file_id(), f.name(), f.size(), f.added_at_unix(), f.is_directory(), f.from_mount()});
  }
  return files;
}

Result<PutOutcome> ControlClient::put_tree(int dirfd, const std::string& name, const PutOptions& options,
                                           const ProgressFn& progress) {
  control::Request request;
  request.mutable_put_tree()->set_name(name);
  request.mutable_put_tree()->set_chunk_size(options.chunk_size);
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, dirfd, progress));
  if (!reply.has_put_tree()) return make_error(Errc::internal, "the peer answered a put -r with something else");
  return outcome_from(reply.put_tree());
}

Status ControlClient::get_tree(const FileId& id, int dirfd, const ProgressFn& progress) {
  control::Request request;
  request.mutable_get_tree()->set_file_id(id.to_string());
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, dirfd, progress));
  if (!reply.has_get_tree()) return make_error(Errc::internal, "the peer answered a get with something else");
  return {};
}

Result<Directory> ControlClient::list_directory(const FileId& id) {
  control::Request request;
  request.mutable_list_directory()->set_file_id(id.to_string());
  Directory directory;
  auto take = [&](const control::Reply& page) -> Status {
    if (!page.has_directory_page()) return make_error(Errc::internal, "the peer sent a locate's page in a listing");
    for (const auto& e : page.directory_page().entries()) {
      if (directory.entries.size() >= kMaxDirectoryEntries) {
        return make_error(Errc::too_large, "the peer sent more entries than a directory holds");
      }
      DFS_ASSIGN_OR_RETURN(DirEntry entry, from_proto(e));
      directory.entries.push_back(std::move(entry));
    }
    return {};
  };
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, -1, {}, take));
  if (!reply.has_list_directory()) return make_error(Errc::internal, "the peer answered ls with something else");
  DFS_TRY(directory.validate());
  return directory;
}

Result<DirEntry> ControlClient::lookup(const FileId& root, const std::string& path) {
  control::Request request;
  request.mutable_lookup()->set_file_id(root.to_string());
  request.mutable_lookup()->set_path(path);
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, -1, {}));
  if (!reply.has_lookup()) return make_error(Errc::internal, "the peer answered a lookup with something else");
  return from_proto(reply.lookup().entry());
}

Status ControlClient::remove(const FileId& id) {
  control::Request request;
  request.mutable_remove()->set_file_id(id.to_string());
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, -1, {}));
  if (!reply.has_remove()) return make_error(Errc::internal, "the peer answered rm with something else");
  return {};
}

Result<ServiceStatus> ControlClient::status() {
  control::Request request;
  request.mutable_status();
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, -1, {}));
  if (!reply.has_status()) return make_error(Errc::internal, "the peer answered status with something else");
  return from_proto(reply.status());
}

Result<std::vector<PeerSummary>> ControlClient::peers() {
  control::Request request;
  request.mutable_peers();
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, -1, {}));
  std::vector<PeerSummary> peers;
  for (const auto& p : reply.peers().peers()) {
    peers.push_back({p.node_id(), p.address(), p.last_seen_seconds(), p.failures()});
  }
  return peers;
}

Result<GcReport> ControlClient::collect_garbage(const GcOptions& options) {
  control::Request request;
  request.mutable_gc()->set_dry_run(options.dry_run);
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, -1, {}));
  if (!reply.has_gc()) return make_error(Errc::internal, "the peer answered gc with something else");
  return from_proto(reply.gc());
}

Result<std::vector<std::optional<HeldLease>>> ControlClient::leases(const std::vector<ChunkId>& ids) {
  if (ids.size() > node::kMaxLeaseQuery) {
    return make_error(Errc::too_large, "a lease query of " + std::to_string(ids.size()) + " chunks");
  }
  control::Request request;
  auto* query = request.mutable_leases();
  for (const ChunkId& id : ids) query->add_chunk_ids(std::string(id.bytes.begin(), id.bytes.end()));
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, -1, {}));
  const control::LeasesReply& answer = reply.leases();
  if (!reply.has_leases() || answer.expires_at_size() != query->chunk_ids_size() ||
      answer.placer_key_size() != query->chunk_ids_size()) {
    return make_error(Errc::internal, "the peer answered a lease query with something else");
  }
  std::vector<std::optional<HeldLease>> held;
  for (int i = 0; i < answer.expires_at_size(); ++i) {
    if (answer.expires_at(i) == 0) {
      held.emplace_back();
      continue;
    }
    HeldLease lease{answer.expires_at(i), std::nullopt};
    const std::string& key = answer.placer_key(i);
    if (key.size() == 32) {
      lease.placer_key.emplace();
      std::copy(key.begin(), key.end(), lease.placer_key->begin());
    } else if (!key.empty()) {
      return make_error(Errc::internal, "the peer sent a placer key of " + std::to_string(key.size()) + " bytes");
    }
    held.push_back(lease);
  }
  return held;
}

Result<FileLocation> ControlClient::locate(const FileId& id, bool repair) {
  control::Request request;
  request.mutable_locate()->set_file_id(id.to_string());
  request.mutable_locate()->set_repair(repair);
  LocationReader reader;
  auto take = [&reader](const control::Reply& page) -> Status {
    if (!page.has_locate_page()) return make_error(Errc::internal, "the peer sent a listing's page in a locate");
    return reader.page(page.locate_page());
  };
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, -1, {}, take));
  if (!reply.has_locate()) return make_error(Errc::internal, "the peer answered a locate with something else");
  return reader.finish(reply.locate());
}

Result<std::string> ControlClient::open_shared(const OpenSharedRequest& open) {
  control::Request request;
  request.mutable_open()->set_file_id(open.id.to_string());
  request.mutable_open()->set_path(open.path);
  request.mutable_open()->set_cwd(open.cwd);
  request.mutable_open()->set_umask(open.umask);
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, -1, {}));
  if (!reply.has_open()) return make_error(Errc::internal, "the peer answered an open with something else");
  return reply.open().path();
}

Result<node::SnapshotOutcome> ControlClient::snapshot() {
  control::Request request;
  request.mutable_snapshot();
  DFS_ASSIGN_OR_RETURN(control::Reply reply, call(path_, request, -1, {}));
  if (!reply.has_snapshot()) return make_error(Errc::internal, "the peer answered a snapshot with something else");
  return from_proto(reply.snapshot());
}

}  // namespace dfs::control
