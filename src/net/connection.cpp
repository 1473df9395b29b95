// Connection steady state: reading frames, matching responses, the write
// queue, per-peer limits, deadlines, idle close.
#include "connection.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "dfs/net/address.hpp"
#include "dfs/net/wire_codes.hpp"
#include "read_wakeups.hpp"

namespace dfs::net::detail {

// --- reading ----------------------------------------------------------------

// Mid-payload, TLS decrypts straight into the frame's payload buffer;
// otherwise into read_buf_, which the decoder then takes apart.
void Connection::read_more() {
  if (reading_ || closed_) return;
  if (reading_should_pause()) {
    reading_paused_ = true;  // on_reply_written resumes
    return;
  }
  reading_paused_ = false;
  reading_ = true;
  tune_read_wakeups();
  const MutableByteView payload_space = decoder_.payload_space();
  const bool into_payload = !payload_space.empty();
  const asio::mutable_buffer into = into_payload ? asio::buffer(payload_space.data(), payload_space.size())
                                                 : asio::buffer(read_buf_);
  stream_.async_read_some(into, [self = shared_from_this(), into_payload](const boost::system::error_code& ec,
                                                                          std::size_t n) {
    self->reading_ = false;
    if (self->closed_) return;
    if (ec) {
      // EOF and resets are how peers leave; not worth a warning.
      self->close(Errc::unavailable, "connection lost: " + ec.message(), log::Level::debug);
      return;
    }
    self->on_read(n, into_payload);
  });
}

// While a large payload arrives, the reader sleeps until a few hundred KiB
// wait on the socket rather than waking for every TLS record
// (read_wakeups.hpp says why and why the mark is safe).
void Connection::tune_read_wakeups() {
  if (read_low_mark_ == 0 || !established_) return;
  const std::size_t mark = ReadWakeups::next(read_low_mark_, decoder_.payload_missing());
  if (mark == read_low_mark_) return;
  boost::system::error_code ec;
  stream_.lowest_layer().set_option(tcp::socket::receive_low_watermark(static_cast<int>(mark)), ec);
  if (!ec) {
    read_low_mark_ = mark;
    return;
  }
  // Never leave a mark above what is sure to arrive: back to waking at
  // once, and no more tuning on this connection.
  shared_->log(log::Level::debug, label() + ": cannot set SO_RCVLOWAT: " + ec.message());
  stream_.lowest_layer().set_option(tcp::socket::receive_low_watermark(1), ec);
  read_low_mark_ = 0;
}

void Connection::on_read(std::size_t n, bool into_payload) {
  const auto now = Clock::now();
  last_activity_ = now;
  last_heard_ = now;
  const bool mid_frame = decoder_.partial_bytes() > 0;
  bool completed = false;
  Status decoded;
  std::vector<Frame> frames;
  if (into_payload) decoder_.payload_received(n, frames);
  ByteView data = into_payload ? ByteView() : ByteView(read_buf_.data(), n);
  do {
    if (!data.empty()) {
      // Before the peer is admitted, one frame at a time: its Hello
      // changes the limits the frames after it are decoded with.
      std::size_t used = 0;
      decoded = decoder_.feed(data, frames, established_ ? SIZE_MAX : 1, used);
      data = data.subspan(used);
    }
    completed = completed || !frames.empty();
    for (Frame& frame : frames) {
      if (established_) {
        on_frame(std::move(frame));
      } else {
        on_hello(std::move(frame));
      }
      if (closed_) return;
    }
    frames.clear();
  } while (!data.empty() && decoded.ok());
  // The frame deadline counts from the first byte of a frame.
  if (completed || !mid_frame) frame_started_ = now;
  if (!decoded.ok()) {
    close(Errc::unavailable, "closed: it sent a malformed frame: " + decoded.error().message, log::Level::warn);
    return;
  }
  read_more();
}

// Every frame's sender must be the node that proved its ID in the
// handshake; once checked, consumers may trust env.sender().node_id().
bool Connection::check_sender(wire::Envelope& env) {
  const std::string& claimed = env.sender().node_id();
  if (!claimed.empty() &&
      (claimed.size() != kNodeIdSize || std::memcmp(claimed.data(), peer_.id.data(), kNodeIdSize) != 0)) {
    close(Errc::unavailable, "closed: protocol error: its messages claim another node ID than the one it proved",
          log::Level::warn);
    return false;
  }
  env.mutable_sender()->set_node_id(peer_.id.data(), peer_.id.size());
  // An address that does not parse is no place to dial: such a peer is
  // treated as one that does not listen (never handed out as a contact).
  if (!env.sender().address().empty() && parse_host_port(env.sender().address()).ok()) {
    peer_.listen_address = env.sender().address();
    peer_.more_listen_addresses.clear();
    for (const auto& more : env.sender().more_addresses()) {
      if (peer_.more_listen_addresses.size() + 1 >= kMaxAddressesPerPeer) break;
      if (parse_host_port(more).ok()) peer_.more_listen_addresses.push_back(more);
    }
  }
  return true;
}

void Connection::on_frame(Frame frame) {
  if (!check_sender(frame.envelope)) return;
  if (frame.envelope.body_case() == wire::Envelope::kHello) {
    close(Errc::unavailable, "closed: protocol error: a second Hello", log::Level::warn);
    return;
  }
  if (frame.envelope.is_response()) {
    on_response(std::move(frame));
  } else {
    on_incoming_request(std::move(frame));
  }
}

void Connection::on_response(Frame frame) {
  auto it = requests_.find(frame.envelope.request_id());
  if (it == requests_.end() || !it->second.sent) {
    // Most likely the answer to a request that timed out: harmless.
    shared_->log(log::Level::debug, label() + " answered unknown request " +
                                        std::to_string(frame.envelope.request_id()) + "; ignored");
    return;
  }
  Pending& p = it->second;
  --in_flight_count_;
  in_flight_bytes_ -= p.payload_size;
  if (frame.envelope.body_case() == wire::Envelope::kError) {
    Error e = from_wire_error(frame.envelope.error());
    complete(p, make_error(e.code, label() + ": " + e.message));
  } else {
    complete(p, Message{std::move(frame.envelope), std::move(frame.payload), peer_});
  }
  requests_.erase(it);
  pump();
}

void Connection::on_incoming_request(Frame frame) {
  const std::uint64_t id = frame.envelope.request_id();
  ++incoming_in_flight_;  // until its answer is written (see write_next)
  if (frame.envelope.body_case() == wire::Envelope::BODY_NOT_SET) {
    respond(id, make_error(Errc::invalid_argument, "a request type this peer does not know"));
  } else if (incoming_in_flight_ > 2 * shared_->options.max_incoming_in_flight) {
    // Even "busy" answers pile up if the peer never reads them.
    close(Errc::unavailable, "closed: it sends requests without reading the answers", log::Level::warn);
  } else if (incoming_in_flight_ > shared_->options.max_incoming_in_flight) {
    respond(id, make_error(Errc::busy, "busy: too many of your requests in flight"));
  } else if (!parked_.empty() || !dispatch_fits(frame.envelope)) {
    parked_.push_back(std::move(frame));  // dispatched as answers drain; reading waits
  } else {
    dispatch(std::move(frame));
  }
}

// --- what a peer's requests may make us hold --------------------------------------

namespace {
// The answer to a GET_CHUNK carries a chunk: until it is known, it may be
// as large as the largest. Other answers carry no payload.
std::size_t answer_reservation(const wire::Envelope& request) {
  return request.body_case() == wire::Envelope::kGetChunk ? kMaxPayloadSize : 0;
}
}  // namespace

// A request is handed to the handler only while the answers it may bring
// fit this connection's cap, counting those queued and those being
// produced; a connection with nothing queued or reserved always gets one.
bool Connection::dispatch_fits(const wire::Envelope& request) const {
  const std::size_t need = answer_reservation(request);
  if (need == 0 || queued_reply_bytes_ + reserved_reply_bytes_ == 0) return true;
  return queued_reply_bytes_ + reserved_reply_bytes_ + need <= shared_->options.max_reply_bytes_per_connection;
}

void Connection::dispatch(Frame frame) {
  const std::uint64_t id = frame.envelope.request_id();
  const std::size_t need = answer_reservation(frame.envelope);
  if (need > 0) {
    // The node's cap is not waited for: a peer is told to come back later.
    if (shared_->queued_reply_bytes + shared_->reserved_reply_bytes + need > shared_->options.max_reply_bytes_per_node) {
      ++shared_->busy_answers;
      respond(id, make_error(Errc::busy, "busy: this node has too many answers queued; ask again later"));
      return;
    }
    reserved_reply_bytes_ += need;
    shared_->reserved_reply_bytes += need;
    reservations_.emplace(id, need);
  }
  if (auto owner = owner_.lock()) owner->on_request(shared_from_this(), std::move(frame));
}

void Connection::release_reservation(std::uint64_t request_id) {
  auto it = reservations_.find(request_id);
  if (it == reservations_.end()) return;
  reserved_reply_bytes_ -= it->second;
  shared_->reserved_reply_bytes -= it->second;
  reservations_.erase(it);
}

void Connection::dispatch_parked() {
  while (!closed_ && !parked_.empty() && dispatch_fits(parked_.front().envelope)) {
    Frame frame = std::move(parked_.front());
    parked_.pop_front();
    dispatch(std::move(frame));
  }
}

// --- our requests -------------------------------------------------------------

void Connection::submit(OutgoingRequest request) {
  if (closed_) {
    Pending p;
    p.callback = std::move(request.callback);
    complete(p, make_error(Errc::unavailable, label() + ": connection closed"));
    return;
  }
  const std::uint64_t id = next_request_id_++;
  request.env.set_request_id(id);
  request.env.set_is_response(false);
  *request.env.mutable_sender() = self_contact_;
  Pending p;
  p.callback = std::move(request.callback);
  auto head = encode_frame_head(request.env, request.payload.size());
  if (!head.ok()) {
    complete(p, head.take_error());
    return;
  }
  if (waiting_.size() >= shared_->options.max_queued_requests) {
    complete(p, make_error(Errc::unavailable, label() + ": too many requests queued for this peer (" +
                                                  std::to_string(waiting_.size()) + ")"));
    return;
  }
  p.head = std::move(*head);
  p.payload_size = request.payload.size();
  p.payload = std::move(request.payload);
  p.expected = request.expected;
  p.timeout = request.timeout;
  p.queued_at = Clock::now();
  p.timer = std::make_unique<asio::steady_timer>(shared_->io, request.timeout);
  p.timer->async_wait([self = shared_from_this(), id](const boost::system::error_code& ec) {
    if (!ec) self->on_timeout(id);
  });
  requests_.emplace(id, std::move(p));
  waiting_.push_back(id);
  pump();
}

// Sends waiting requests while the per-peer limits allow.
void Connection::pump() {
  const auto& opt = shared_->options;
  while (established_ && !closed_ && !waiting_.empty()) {
    auto it = requests_.find(waiting_.front());
    if (it == requests_.end()) {  // timed out while waiting
      waiting_.pop_front();
      continue;
    }
    Pending& p = it->second;
    const bool over_count = in_flight_count_ >= opt.max_requests_in_flight;
    const bool over_bytes = in_flight_count_ > 0 && in_flight_bytes_ + p.payload_size > opt.max_bytes_in_flight;
    if (over_count || over_bytes) return;
    waiting_.pop_front();
    if (p.expected && *p.expected != peer_.id) {
      complete(p, make_error(Errc::permission_denied,
                             label() + " is not the expected node " + short_id(*p.expected)));
      requests_.erase(it);
      continue;
    }
    send_request(p);
  }
}

void Connection::send_request(Pending& p) {
  p.sent = true;
  ++in_flight_count_;
  in_flight_bytes_ += p.payload_size;
  enqueue(OutFrame{std::move(p.head), std::move(p.payload), false});
}

void Connection::on_timeout(std::uint64_t id) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;
  Pending& p = it->second;
  if (p.sent) {
    --in_flight_count_;
    in_flight_bytes_ -= p.payload_size;
  }
  // Only a request the peer was sent can show that it went silent: one
  // still waiting for the per-peer limits (or for the set-up, whose
  // deadline is the handshake timeout) shows only our own queue.
  const bool silent = p.sent && established_ && !heard_since(p.queued_at);
  const std::string waited = std::to_string(p.timeout.count()) + " ms";
  complete(p, make_error(Errc::timed_out, label() + " did not answer within " + waited));
  requests_.erase(it);  // a waiting_ entry left behind is skipped by pump()
  if (silent) {
    // Silent for a whole request timeout: the link is cut or the peer
    // stopped. Kept, this connection would stay useless after the link is
    // back: TCP resends what it holds only at its backed-off retransmit
    // time (seconds to minutes after a long cut), and every request queued
    // meanwhile times out too. The next request dials afresh instead.
    close(Errc::unavailable, "heard nothing for " + waited + "; dropped as dead", log::Level::debug);
    return;
  }
  pump();
}

// Whether the peer showed since `t` that it is there: it sent us bytes,
// or a frame of ours that filled the socket buffer kept moving (its TCP
// acknowledges what we send, so a large write is no sign of a dead peer).
bool Connection::heard_since(Clock::time_point t) const {
  return last_heard_ >= t || (writing_ && write_progress_ >= t);
}

// Callbacks are posted, never run inside the connection's own bookkeeping.
void Connection::complete(Pending& p, Result<Message> result) {
  if (p.timer) p.timer->cancel();
  if (!p.callback) return;
  asio::post(shared_->io, [cb = std::move(p.callback), r = std::move(result)]() mutable { cb(std::move(r)); });
  p.callback = nullptr;
}

// --- answering the peer ------------------------------------------------------

void Connection::respond(std::uint64_t request_id, Result<Reply> reply) {
  if (closed_) return;
  release_reservation(request_id);
  wire::Envelope env;
  SharedBytes payload;
  if (reply.ok() && !reply_fits(reply->payload.size())) {
    // An answer larger than its reservation (a handler other than the
    // chunk service's): dropped now, so that a peer that reads nothing
    // cannot make us hold more than the caps.
    ++shared_->busy_answers;
    reply = make_error(Errc::busy, "busy: too many answers queued for you; read them, then ask again");
  }
  if (reply.ok()) {
    env = std::move(reply->env);
    payload = std::move(reply->payload);
  } else {
    *env.mutable_error() = to_wire_error(reply.error());
  }
  env.set_request_id(request_id);
  env.set_is_response(true);
  *env.mutable_sender() = self_contact_;
  auto head = encode_frame_head(env, payload.size());
  if (!head.ok()) {
    // Our handler built an answer the frame limits refuse: tell the peer
    // rather than leave it waiting.
    shared_->log(log::Level::error, "answer to " + label() + " not sent: " + head.error().to_string());
    payload = {};
    wire::Envelope err;
    *err.mutable_error() = to_wire_error(make_error(Errc::internal, "the answer exceeds the frame limits"));
    err.set_request_id(request_id);
    err.set_is_response(true);
    *err.mutable_sender() = self_contact_;
    head = encode_frame_head(err, 0);
  }
  enqueue(OutFrame{std::move(*head), std::move(payload), true});
}

// --- writing ----------------------------------------------------------------

void Connection::enqueue(OutFrame frame) {
  if (frame.answers_incoming) {
    queued_reply_bytes_ += frame.payload.size();
    shared_->queued_reply_bytes += frame.payload.size();
  }
  if (frame.payload.empty()) {
    control_queue_.push_back(std::move(frame));
  } else {
    bulk_queue_.push_back(std::move(frame));
  }
  write_next();
}

void Connection::write_next() {
  if (writing_ || closed_) return;
  auto& queue = !control_queue_.empty() ? control_queue_ : bulk_queue_;
  if (queue.empty()) return;
  writing_frame_ = std::move(queue.front());
  queue.pop_front();
  writing_ = true;
  write_progress_ = Clock::now();
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(writing_frame_.head),
                                                  asio::buffer(writing_frame_.payload.view().data(), writing_frame_.payload.size())};
  // Called before each piece is written: the write deadline counts from
  // the last piece that got out, not from the frame's start.
  auto progress = [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
    self->write_progress_ = Clock::now();
    return asio::transfer_all()(ec, n);
  };
  asio::async_write(stream_, buffers, std::move(progress), [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
    self->writing_ = false;
    if (self->closed_) {
      self->close_socket();  // close() waited for this frame to get out
      return;
    }
    if (ec) {
      self->close(Errc::unavailable, "connection lost while writing: " + ec.message(), log::Level::debug);
      return;
    }
    const std::size_t written = self->writing_frame_.payload.size();
    const bool answer = self->writing_frame_.answers_incoming;
    self->writing_frame_ = OutFrame{};
    self->last_activity_ = Clock::now();
    if (answer) {
      --self->incoming_in_flight_;
      self->on_reply_written(written);
    }
    self->write_next();
  });
}

// --- limits on what the peer makes us hold --------------------------------------

// An answer with `payload_size` bytes fits while both caps hold; one
// answer always fits a connection with nothing queued, as long as the
// node's cap holds, so every peer gets served in turn.
bool Connection::reply_fits(std::size_t payload_size) const {
  if (payload_size == 0) return true;
  const auto& opt = shared_->options;
  const std::size_t node = shared_->queued_reply_bytes + shared_->reserved_reply_bytes;
  if (node + payload_size > opt.max_reply_bytes_per_node) return false;
  const std::size_t mine = queued_reply_bytes_ + reserved_reply_bytes_;
  return mine == 0 || mine + payload_size <= opt.max_reply_bytes_per_connection;
}

// Requests waiting for room, or answers at the cap: the peer's further
// requests wait in TCP.
bool Connection::reading_should_pause() const {
  if (!established_) return false;
  if (!parked_.empty()) return true;
  return queued_reply_bytes_ > 0 && queued_reply_bytes_ >= shared_->options.max_reply_bytes_per_connection;
}

void Connection::on_reply_written(std::size_t payload_size) {
  queued_reply_bytes_ -= payload_size;
  shared_->queued_reply_bytes -= payload_size;
  dispatch_parked();
  if (reading_paused_) read_more();
}

// Ticks while the connection is established, at a quarter of the shorter
// deadline, so each fires within 25% of its value.
void Connection::arm_watchdog() {
  const auto& opt = shared_->options;
  const auto tick = std::max(std::min(opt.write_timeout, opt.frame_timeout) / 4, std::chrono::milliseconds(10));
  watchdog_.expires_after(tick);
  watchdog_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && !self->closed_) self->on_watchdog();
  });
}

void Connection::on_watchdog() {
  const auto now = Clock::now();
  const auto& opt = shared_->options;
  if (writing_ && now - write_progress_ >= opt.write_timeout) {
    ++shared_->dropped_slow_readers;
    close(Errc::unavailable,
          "closed: it read nothing for " + std::to_string(opt.write_timeout.count()) + " ms (write timeout)",
          log::Level::info);
    return;
  }
  if (decoder_.partial_bytes() > 0 && now - frame_started_ >= opt.frame_timeout) {
    ++shared_->dropped_stalled_frames;
    close(Errc::unavailable,
          "closed: a frame it started did not complete within " + std::to_string(opt.frame_timeout.count()) +
              " ms (frame timeout)",
          log::Level::info);
    return;
  }
  arm_watchdog();
}

// --- idle close ---------------------------------------------------------------

bool Connection::busy() const {
  return !requests_.empty() || incoming_in_flight_ > 0 || writing_ || decoder_.partial_bytes() > 0;
}

void Connection::arm_idle_timer() {
  setup_timer_.expires_at(last_activity_ + shared_->options.idle_timeout);
  setup_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && !self->closed_) self->on_idle_timer();
  });
}

void Connection::on_idle_timer() {
  const auto idle_for = Clock::now() - last_activity_;
  if (busy() || idle_for < shared_->options.idle_timeout) {
    if (busy()) last_activity_ = Clock::now();  // in use: count idleness from now
    arm_idle_timer();
    return;
  }
  close(Errc::unavailable, "closed: idle for " + std::to_string(shared_->options.idle_timeout.count()) + " ms",
        log::Level::debug);
}

// --- closing ----------------------------------------------------------------

void Connection::close(Errc code, const std::string& reason, log::Level level) {
  if (closed_) return;
  closed_ = true;
  const std::string what = label() + " " + reason;
  shared_->log(level, what);
  setup_timer_.cancel();
  redial_timer_.cancel();
  watchdog_.cancel();
  resolver_.cancel();
  for (auto& [id, p] : requests_) complete(p, make_error(code, what));
  requests_.clear();
  waiting_.clear();
  control_queue_.clear();
  bulk_queue_.clear();
  // Answers never written give their bytes back (the one being written
  // keeps its payload alive until its handler runs, but no longer counts).
  shared_->queued_reply_bytes -= queued_reply_bytes_;
  queued_reply_bytes_ = 0;
  shared_->reserved_reply_bytes -= reserved_reply_bytes_;
  reserved_reply_bytes_ = 0;
  reservations_.clear();
  parked_.clear();
  // During set-up, a frame being written is our Hello, which lets a peer we
  // refuse find out (and log) why: it gets out first, the write's handler
  // closes the socket, and the timer bounds the wait. Later, nothing is
  // worth waiting for: stop() must not hang on a chunk to a slow peer.
  if (writing_ && !established_) {
    setup_timer_.expires_after(shared_->options.handshake_timeout);
    setup_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->close_socket();
    });
  } else {
    close_socket();
  }
  if (auto owner = owner_.lock()) owner->on_closed(shared_from_this());
}

void Connection::close_socket() {
  boost::system::error_code ignored;
  setup_timer_.cancel();
  stream_.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.lowest_layer().close(ignored);
}

}  // namespace dfs::net::detail
