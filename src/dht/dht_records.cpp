// Dht records (STORE / FIND_VALUE) and periodic maintenance: expiry,
// bucket refresh, republish and replication.
#include <algorithm>

#include "dfs/dht/dht.hpp"
#include "dfs/dht/signed_record.hpp"
#include "lookup.hpp"

namespace dfs::dht {

namespace {

// Adds `record` to `records`, keeping one per publisher: the latest.
void merge_by_publisher(std::vector<Record>& records, const Record& record) {
  auto it = std::find_if(records.begin(), records.end(),
                         [&](const Record& r) { return r.publisher == record.publisher; });
  if (it == records.end()) {
    records.push_back(record);
  } else if (later_copy(record, *it)) {
    *it = record;
  }
}

struct StoreRound {
  std::size_t waiting = 0;  // STORE RPCs not completed yet
  std::size_t stored = 0;   // nodes that accepted the record
  std::function<void(Result<std::size_t>)> done;
};

}  // namespace

void Dht::put_record(Record record, std::function<void(Result<std::size_t>)> done) {
  record.publisher = self_.id;
  if (Status valid = validate_record(record); !valid.ok()) {
    post([done = std::move(done), error = valid.take_error()] { done(error); });
    return;
  }
  // Kept even if no node takes it now: the next republish tries again.
  published_[record.key] = Published{record, scheduler_.now() + config_.record_republish_interval};
  store_on_closest(record, true, std::move(done));
}

void Dht::stop_publishing(const NodeId& key) { published_.erase(key); }

void Dht::store_on_closest(const Record& record, bool store_locally, std::function<void(Result<std::size_t>)> done) {
  run_lookup(record.key, false, {}, [this, record, store_locally, done = std::move(done)](LookupResult result) mutable {
    const auto& closest = result.closest;
    // This node holds a copy too when it is one of the k closest (always,
    // when it knows nobody: a lone node stores for itself).
    const bool self_is_close = closest.size() < config_.k || closer(record.key, self_.id, closest.back().id);
    std::size_t stored = 0;
    if (store_locally && self_is_close && store_.put(record, scheduler_.now())) stored = 1;
    store_on(closest, record, stored, std::move(done));
  });
}

void Dht::store_on(const std::vector<Contact>& nodes, const Record& record, std::size_t already,
                   std::function<void(Result<std::size_t>)> done) {
  auto finish = [](StoreRound& round) {
    if (round.stored == 0) {
      round.done(make_error(Errc::unavailable, "no node accepted the record"));
    } else {
      round.done(round.stored);
    }
  };
  auto round = std::make_shared<StoreRound>(StoreRound{nodes.size(), already, std::move(done)});
  if (nodes.empty()) {
    finish(*round);
    return;
  }
  for (const Contact& node : nodes) {
    rpc(node, StoreRequest{record}, [round, finish](Result<Reply> result) {
      if (result.ok()) {
        const auto* response = std::get_if<StoreResponse>(&result->body);
        if (response != nullptr && response->stored) ++round->stored;
      }
      if (--round->waiting == 0) finish(*round);
    });
  }
}

void Dht::get_records(const NodeId& key, std::function<void(Result<std::vector<Record>>)> done) {
  run_lookup(key, true, {}, [this, key, done = std::move(done)](LookupResult result) {
    std::vector<Record> records = std::move(result.records);
    for (const Record& local : store_.get(key, scheduler_.now())) merge_by_publisher(records, local);
    if (records.empty()) {
      done(make_error(Errc::not_found, "no record under key " + key.short_hex()));
    } else {
      done(std::move(records));
    }
  });
}

void Dht::start() {
  if (maintenance_timer_ != 0) return;
  std::weak_ptr<int> alive = alive_;
  maintenance_timer_ = scheduler_.schedule(config_.maintenance_interval, [this, alive] {
    if (!alive.expired()) maintain();
  });
}

void Dht::stop() {
  if (lost_timer_ != 0) scheduler_.cancel(lost_timer_);
  lost_timer_ = 0;
  if (maintenance_timer_ == 0) return;
  scheduler_.cancel(maintenance_timer_);
  maintenance_timer_ = 0;
}

void Dht::maintain() {
  maintenance_timer_ = 0;
  start();  // the next tick
  const TimePoint now = scheduler_.now();
  store_.expire(now);
  if (auto stale = table_.stale_buckets(now, config_.bucket_refresh_interval); !stale.empty()) {
    refresh_buckets(stale, [] {});
  }
  for (auto& [key, published] : published_) {
    if (published.next_due > now) continue;
    published.next_due = now + config_.record_republish_interval;
    store_on_closest(published.record, true, [](Result<std::size_t>) {});
  }
  if (config_.record_replicate_interval.count() > 0) {
    for (const Record& record : store_.take_due_for_replication(now, config_.record_replicate_interval)) {
      // Our own records are republished in full above.
      if (record.publisher != self_.id) store_on_closest(record, false, [](Result<std::size_t>) {});
    }
  }
}

}  // namespace dfs::dht
