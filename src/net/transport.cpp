// The implementation-independent parts of Transport: Responder and the
// future-based helpers for threads other than the network thread.
#include "dfs/net/transport.hpp"

#include <atomic>

namespace dfs::net {

struct Responder::State {
  explicit State(SendFn fn) : send(std::move(fn)) {}
  ~State() {
    if (!answered.exchange(true)) {
      send(make_error(Errc::internal, "the peer dropped the request without answering"));
    }
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  const SendFn send;
  // Copies of a Responder may race (two worker threads); the first wins.
  std::atomic<bool> answered{false};
};

Responder::Responder(SendFn send) : state_(std::make_shared<State>(std::move(send))) {}

void Responder::reply(wire::Envelope response, SharedBytes payload) const {
  if (state_->answered.exchange(true)) return;
  state_->send(Reply{std::move(response), std::move(payload)});
}

void Responder::fail(Error error) const {
  if (state_->answered.exchange(true)) return;
  state_->send(std::move(error));
}

std::future<Result<Message>> request_future(Transport& transport, std::string address,
                                            std::optional<NodeIdBytes> expected, wire::Envelope request,
                                            SharedBytes payload, std::chrono::milliseconds timeout) {
  // std::function needs a copyable callable, hence the shared promise.
  auto promise = std::make_shared<std::promise<Result<Message>>>();
  auto future = promise->get_future();
  transport.request(std::move(address), expected, std::move(request), std::move(payload), timeout,
                    [promise](Result<Message> result) { promise->set_value(std::move(result)); });
  return future;
}

Result<Message> request_blocking(Transport& transport, std::string address, std::optional<NodeIdBytes> expected,
                                 wire::Envelope request, SharedBytes payload, std::chrono::milliseconds timeout) {
  // The transport answers by `timeout`; the grace covers a busy network
  // thread, so that a stalled or stopped one cannot hang the caller.
  constexpr std::chrono::milliseconds kGrace{1000};
  auto future = request_future(transport, std::move(address), expected, std::move(request), std::move(payload),
                               timeout);
  if (future.wait_for(timeout + kGrace) != std::future_status::ready) {
    return make_error(Errc::timed_out, "no answer within " + std::to_string(timeout.count()) +
                                           " ms (the network thread did not respond)");
  }
  return future.get();
}

}  // namespace dfs::net
