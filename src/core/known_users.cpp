#include "core/known_users.hpp"

#include <algorithm>
#include <charconv>

namespace scpipe {

user_id_set::user_id_set(std::vector<int32_t> ids) : ids_{std::move(ids)} {
  std::sort(ids_.begin(), ids_.end());
  ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
}

bool user_id_set::contains(int64_t user_id) const {
  if (user_id < INT32_MIN || user_id > INT32_MAX)
    return false;
  return std::binary_search(ids_.begin(), ids_.end(), static_cast<int32_t>(user_id));
}

uint64_t user_id_set::count_unknown(std::string_view copy_rows) const {
  uint64_t unknown = 0;
  for (size_t begin = 0; begin < copy_rows.size();) {
    auto end = copy_rows.find('\n', begin);
    if (end == std::string_view::npos)
      end = copy_rows.size();
    auto row = copy_rows.substr(begin, end - begin);
    auto field = row.substr(0, row.find('\t'));
    int64_t user_id = 0;
    auto [ptr, err] = std::from_chars(field.data(), field.data() + field.size(), user_id);
    if (err != std::errc{} || ptr != field.data() + field.size() || !contains(user_id))
      ++unknown;
    begin = end + 1;
  }
  return unknown;
}

void known_users::replace(std::shared_ptr<const user_id_set> ids) {
  std::lock_guard guard{mutex_};
  ids_ = std::move(ids);
}

std::shared_ptr<const user_id_set> known_users::current() const {
  std::lock_guard guard{mutex_};
  return ids_;
}

} // namespace scpipe
