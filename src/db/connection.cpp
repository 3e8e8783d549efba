#include "db/connection.hpp"

#include "core/conninfo.hpp"
#include "core/log.hpp"

#include <pqxx/errorhandler>
#include <pqxx/except>
#include <pqxx/nontransaction>

#include <openssl/crypto.h>

namespace scpipe::db {

void keep_openssl_until_exit() {
  // The first initialisation decides whether OpenSSL registers its atexit cleanup.
  OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr);
}

void ping(pqxx::connection& conn) {
  pqxx::nontransaction tx{conn};
  tx.exec("select 1");
}

std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  for (auto& ch : text)
    if (ch == '\n')
      ch = ' ';
  return text;
}

std::string sqlstate_of(const pqxx::sql_error& e) {
  if (e.sqlstate().empty() && dynamic_cast<const pqxx::insufficient_privilege*>(&e))
    return "42501";
  return e.sqlstate();
}

std::string migration_hint(const std::string& sqlstate) {
  if (sqlstate == "3F000" || sqlstate == "42P01" || sqlstate == "42883")
    return "the database lacks scpipe's tables or functions: run scpipe migrate";
  return {};
}

std::string error_text(const pqxx::sql_error& e, bool with_migrate_hint) {
  auto sqlstate = sqlstate_of(e);
  auto hint = with_migrate_hint ? migration_hint(sqlstate) : std::string{};
  return (hint.empty() ? "" : hint + ": ") + one_line(e.what()) + " (SQLSTATE " + sqlstate + ")";
}

class connection::notice_logger : public pqxx::errorhandler {
public:
  using pqxx::errorhandler::errorhandler;

  bool operator()(const char msg[]) noexcept override {
    try {
      log::warn("database", one_line(msg));
    } catch (...) {
      // a notice that cannot be logged is dropped
    }
    return false; // handled: libpqxx's default handler would print it raw to stderr
  }
};

connection::connection(const database_config& cfg, const std::string& application_name) {
  auto conninfo = with_parameter(cfg.url, "connect_timeout", std::to_string(cfg.connect_timeout_s));
  conninfo = with_parameter(conninfo, "application_name", application_name);
  // Text is UTF-8 whatever PGCLIENTENCODING says: scpipe validates and counts characters in it.
  conninfo = with_parameter(conninfo, "client_encoding", "UTF8");
  // A server that vanishes (host down, partition) is noticed within about 30 s instead of
  // the kernel's default of many minutes, so a writer's deadline and retries apply.
  conninfo = with_parameter(conninfo, "keepalives_idle", "10");
  conninfo = with_parameter(conninfo, "keepalives_interval", "5");
  conninfo = with_parameter(conninfo, "keepalives_count", "3");
  conninfo = with_parameter(conninfo, "tcp_user_timeout", "30000");
  try {
    conn_ = std::make_unique<pqxx::connection>(conninfo);
  } catch (const pqxx::broken_connection& e) {
    std::string target = cfg.url.empty() ? "the database of the PG* environment variables"
                                         : redact_conninfo(cfg.url);
    throw connect_error{"cannot connect to " + target + ": " + one_line(e.what())};
  }
  notices_ = std::make_unique<notice_logger>(*conn_);
  pqxx::nontransaction{*conn_}.exec("set client_min_messages = warning");
}

connection::~connection() = default;

} // namespace scpipe::db
