// A net::Transport that records each request, for tests of what goes out
// over it (the Dialer, the chunk client); the test answers them by hand.
#pragma once

#include <deque>
#include <optional>
#include <string>

#include "dfs/net/transport.hpp"

namespace dfs::testing {

class RecordingTransport final : public net::Transport {
 public:
  struct Sent {
    std::string address;
    std::optional<net::NodeIdBytes> expected;
    bool dialed = false;
    net::ResponseCallback callback;
    wire::Envelope request;
    SharedBytes payload;
  };
  const net::NodeIdBytes& self_id() const override { return id_; }
  void set_request_handler(net::RequestHandler) override {}
  void request(std::string address, std::optional<net::NodeIdBytes> expected, wire::Envelope request,
               SharedBytes payload, std::chrono::milliseconds, net::ResponseCallback callback) override {
    sent.push_back({std::move(address), expected, false, std::move(callback), std::move(request), std::move(payload)});
  }
  void request_dialed(std::string address, net::NodeIdBytes expected, wire::Envelope request,
                      std::chrono::milliseconds, net::ResponseCallback callback) override {
    sent.push_back({std::move(address), expected, true, std::move(callback), std::move(request), {}});
  }
  // Completes the oldest request with `result`; returns its address.
  std::string answer(Result<net::Message> result) {
    Sent s = std::move(sent.front());
    sent.pop_front();
    s.callback(std::move(result));
    return s.address;
  }
  std::deque<Sent> sent;

 private:
  net::NodeIdBytes id_{};
};

}  // namespace dfs::testing
