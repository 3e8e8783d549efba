#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

namespace scpipe {

/// The user ids of the current users (sc.sc_user) at one moment, for counting events whose
/// user the dimension does not know without a query per batch. 4 bytes per user.
class user_id_set {
public:
  explicit user_id_set(std::vector<int32_t> ids);

  bool contains(int64_t user_id) const;
  size_t size() const {
    return ids_.size();
  }

  /// Counts the rows of `copy_rows` (decoded_payload::rows: COPY text, one event per line, the
  /// user id first) whose user id is not in the set.
  uint64_t count_unknown(std::string_view copy_rows) const;

private:
  std::vector<int32_t> ids_; // sorted, unique
};

/// The latest user_id_set, shared between the one who loads it (the ETL scheduler, after a run
/// that inserted users) and its readers (the writers, after each commit). Empty until loaded.
class known_users {
public:
  void replace(std::shared_ptr<const user_id_set> ids);
  std::shared_ptr<const user_id_set> current() const;

private:
  mutable std::mutex mutex_;
  std::shared_ptr<const user_id_set> ids_;
};

} // namespace scpipe
