// Replies that grow with what they describe (a directory's entries, the
// places of a tree's chunks) travel in pages of about kPageBytes
// (control_channel.hpp).
#pragma once

#include <cstddef>
#include <functional>

#include "control.pb.h"
#include "dfs/control/control_channel.hpp"
#include "dfs/util/result.hpp"

namespace dfs::control {

// Sends `items` in as many pages as they fill: `add(item, page)` puts one
// item into `page` and returns the message it added. The page's size is
// summed as it grows, since ByteSizeLong walks the whole page each time.
// No item, no page.
template <typename Items, typename Add>
Status send_in_pages(const Items& items, Add add, const std::function<Status(const Reply&)>& send) {
  Reply page;
  std::size_t bytes = 0;
  for (const auto& item : items) {
    bytes += add(item, page).ByteSizeLong() + 8;  // its tag and length
    if (bytes >= kPageBytes) {
      DFS_TRY(send(page));
      page.Clear();
      bytes = 0;
    }
  }
  return bytes > 0 ? send(page) : Status{};
}

}  // namespace dfs::control
