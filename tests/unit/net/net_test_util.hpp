// Shared scaffolding of the transport tests: a network thread, endpoints
// on 127.0.0.1 with captured logs, and small helpers. Loopback only.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../../common/eventually.hpp"
#include "dfs/net/tls_transport.hpp"

namespace dfs::net::testing {

using namespace std::chrono_literals;
using ::dfs::testing::eventually;

// Log lines of one endpoint, written on the network thread, read by tests.
class LogCapture {
 public:
  LogSink sink() {
    return [this](log::Level, std::string_view line) {
      std::lock_guard lock(mu_);
      lines_.emplace_back(line);
    };
  }
  bool contains(const std::string& text) const {
    std::lock_guard lock(mu_);
    for (const auto& l : lines_) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }
  // Polls: a peer logs its side of a refusal when its own read completes.
  bool wait_for(const std::string& text, std::chrono::milliseconds limit = 5s) const {
    return ::dfs::testing::eventually([&] { return contains(text); }, limit);
  }
  std::string all() const {
    std::lock_guard lock(mu_);
    std::string out;
    for (const auto& l : lines_) out += l + "\n";
    return out;
  }

 private:
  mutable std::mutex mu_;  // guards lines_
  std::vector<std::string> lines_;
};

struct Endpoint {
  std::unique_ptr<TlsTransport> transport;
  std::shared_ptr<LogCapture> logs = std::make_shared<LogCapture>();
  std::string address;  // 127.0.0.1:port, if listening
  NodeIdBytes id{};
};

// One io_context run by one thread, as in a node; endpoints made on it.
class NetFixture : public ::testing::Test {
 protected:
  NetFixture() : work_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

  ~NetFixture() override {
    on_io([this] {
      for (auto& e : endpoints_) e->transport->stop();
    });
    work_.reset();
    thread_.join();
    endpoints_.clear();  // the io_context is not running: safe to destroy
  }

  // Runs `fn` on the network thread and waits for it.
  template <typename Fn>
  auto on_io(Fn fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto done = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return done.get();
  }

  Endpoint& make_endpoint(TlsTransportOptions options = {}, bool listen = true) {
    auto endpoint = std::make_unique<Endpoint>();
    options.log = endpoint->logs->sink();
    auto identity = Identity::generate();
    EXPECT_TRUE(identity.ok());
    endpoint->id = identity->node_id();
    on_io([&] {
      auto transport = TlsTransport::create(io_, std::move(*identity), std::move(options));
      EXPECT_TRUE(transport.ok()) << transport.error().to_string();
      endpoint->transport = std::move(*transport);
      if (listen) {
        auto port = endpoint->transport->listen("127.0.0.1", 0);
        EXPECT_TRUE(port.ok()) << port.error().to_string();
        endpoint->address = "127.0.0.1:" + std::to_string(*port);
      }
    });
    endpoints_.push_back(std::move(endpoint));
    return *endpoints_.back();
  }

  // Answers every request with Pong.
  static void serve_ping(Endpoint& e) {
    e.transport->set_request_handler([](const PeerInfo&, Message, Responder respond) {
      wire::Envelope pong;
      pong.mutable_pong();
      respond.reply(std::move(pong));
    });
  }

  static wire::Envelope ping() {
    wire::Envelope env;
    env.mutable_ping();
    return env;
  }

  Result<Message> call(Endpoint& from, const Endpoint& to, wire::Envelope env, Bytes payload = {},
                       std::optional<NodeIdBytes> expected = std::nullopt, std::chrono::milliseconds timeout = 10s) {
    return request_blocking(*from.transport, to.address, expected ? expected : std::optional(to.id), std::move(env),
                            std::move(payload), timeout);
  }

  boost::asio::io_context io_;

 private:
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
};

}  // namespace dfs::net::testing
