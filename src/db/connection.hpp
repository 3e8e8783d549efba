#pragma once

#include "core/config.hpp"

#include <pqxx/connection>
#include <pqxx/except>

#include <memory>
#include <stdexcept>
#include <string>

namespace scpipe::db {

/// A connection could not be opened; the message names the (password-free) target and why.
class connect_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A libpq/libpqxx message on one line (they end in a newline and may span several).
std::string one_line(std::string text);

/// The SQLSTATE of `e`. libpqxx 6.4 throws insufficient_privilege without it (as it does the
/// transaction_rollback family, which are not sql_errors there): its code is restored from the
/// type, so a permission error is logged and classified like any other.
std::string sqlstate_of(const pqxx::sql_error& e);

/// For an SQLSTATE that means the database lacks objects scpipe's migrations create (undefined
/// schema, table or function), the advice to run `scpipe migrate`; otherwise empty.
std::string migration_hint(const std::string& sqlstate);

/// A database error for people, in one form everywhere: the migrate advice first when it
/// applies, then the message on one line and its SQLSTATE, e.g. "the database lacks scpipe's
/// tables or functions: run scpipe migrate: ERROR: relation ... does not exist (SQLSTATE 42P01)".
/// The migrator itself leaves the advice out (`with_migrate_hint` false).
std::string error_text(const pqxx::sql_error& e, bool with_migrate_hint = true);

/// One trivial query (`select 1`): throws when the database does not answer.
void ping(pqxx::connection& conn);

/// Call first thing in main, before any thread opens a connection. libpq uses OpenSSL (SCRAM's
/// nonces, TLS), which keeps state per thread and frees it when each thread exits. By default
/// OpenSSL also tears down its process-wide state at exit, deleting that per-thread key: CAF
/// lets main return as soon as a detached actor's function ends, while that thread may still be
/// running its exit destructors, so the two raced (a leak report under LeakSanitizer, a rare
/// segfault in libcrypto). Leaving the process-wide state to the operating system at exit
/// removes the race; each thread still frees its own.
void keep_openssl_until_exit();

/// A database connection whose server notices go to the JSON log instead of raw stderr.
class connection {
public:
  /// Opens a connection for `cfg`: its url (or libpq's PG* variables when empty), with
  /// connect_timeout and application_name added unless the url sets them, and notices below
  /// WARNING suppressed. Throws connect_error.
  explicit connection(const database_config& cfg, const std::string& application_name = "scpipe");
  ~connection();

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// The libpqxx connection.
  pqxx::connection& get() {
    return *conn_;
  }

private:
  class notice_logger;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<notice_logger> notices_; ///< declared after conn_: unregisters first
};

} // namespace scpipe::db
