// LruCache: a map that forgets its least recently used entries once their
// costs (bytes, chunk references: the owner decides) pass a budget. The
// read cache keeps decrypted chunks and decoded manifests in two of them.
// Not thread-safe: its owner guards it with its own lock.
#pragma once

#include <cstddef>
#include <list>
#include <unordered_map>
#include <utility>

namespace dfs::fs {

template <typename Key, typename Value>
class LruCache {
 public:
  explicit LruCache(std::size_t budget) : budget_(budget) {}

  // The value under `key`, now the most recently used; nullptr if absent.
  // Valid until the next insert.
  const Value* find(const Key& key) {
    auto it = where_.find(key);
    if (it == where_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->value;
  }

  bool contains(const Key& key) const { return where_.count(key) != 0; }

  // Keeps `value` under `key` unless the key is present or the value alone
  // costs more than the budget; then forgets the least recently used
  // entries until the costs fit.
  void insert(const Key& key, Value value, std::size_t cost) {
    if (where_.count(key) || cost > budget_) return;
    order_.push_front(Entry{key, std::move(value), cost});
    where_.emplace(key, order_.begin());
    used_ += cost;
    while (used_ > budget_) {
      used_ -= order_.back().cost;
      where_.erase(order_.back().key);
      order_.pop_back();
    }
  }

 private:
  struct Entry {
    Key key;
    Value value;
    std::size_t cost;
  };

  const std::size_t budget_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<Key, typename std::list<Entry>::iterator> where_;
  std::size_t used_ = 0;  // sum of the costs in order_
};

}  // namespace dfs::fs
