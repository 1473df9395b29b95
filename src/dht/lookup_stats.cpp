// describe_lookups: the medians of recent lookups, for dfs status.
#include <algorithm>

#include "dfs/dht/dht.hpp"

namespace dfs::dht {

namespace {

template <typename T, typename F>
T median_of(const std::deque<LookupStats>& recent, F field) {
  std::vector<T> values;
  values.reserve(recent.size());
  for (const LookupStats& s : recent) values.push_back(field(s));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2), values.end());
  return values[values.size() / 2];
}

}  // namespace

std::string describe_lookups(const LookupTotals& totals, const std::deque<LookupStats>& recent) {
  std::string line = "DHT lookups: " + std::to_string(totals.lookups) + " so far";
  if (recent.empty()) return line;
  const auto ms = [](const LookupStats& s) { return s.duration.count(); };
  const auto slowest = std::max_element(recent.begin(), recent.end(),
                                        [&](const LookupStats& a, const LookupStats& b) { return ms(a) < ms(b); });
  return line + "; the last " + std::to_string(recent.size()) + ": median " +
         std::to_string(median_of<std::int64_t>(recent, ms)) + " ms, " +
         std::to_string(median_of<std::size_t>(recent, [](const LookupStats& s) { return s.hops; })) + " hops, " +
         std::to_string(median_of<std::size_t>(recent, [](const LookupStats& s) { return s.messages; })) +
         " messages; slowest " + std::to_string(ms(*slowest)) + " ms";
}

}  // namespace dfs::dht
