#include "cli/load.hpp"

#include "cli/interrupt.hpp"
#include "cli/progress.hpp"
#include "core/crm_rows.hpp"
#include "core/json_documents.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "db/connection.hpp"
#include "db/staged_documents.hpp"
#include "db/staging_copy.hpp"
#include "db/tables.hpp"

#include <boost/json/fwd.hpp>

#include <pqxx/except>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <stdexcept>

namespace scpipe::cli {

namespace {

/// A problem with an input file; the message names the file and, where known, the line.
class input_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

using row = std::vector<std::optional<std::string>>;

/// Turns a chunk of a file into rows, appended to `lines` in COPY's text format; returns an
/// error message ("line N: ...") when the input is bad. Called once more with an empty chunk and
/// `last` set at the end of the file.
using row_parser = std::function<std::optional<std::string>(std::string_view chunk, bool last,
                                                            db::copy_lines& lines)>;

/// Makes the parser of one file; it may ask the database what it needs to know.
using parser_factory = std::function<row_parser(pqxx::connection&)>;

/// Streams every file through `make_parser()` into `table`, one transaction per file, and
/// prints the rows loaded per file. Stops at the first file that fails (exit 1).
int load_files(const invocation& inv, const std::string& command, const std::string& table,
               const std::vector<std::string>& columns, const parser_factory& make_parser,
               std::string_view noun, std::string_view nouns) {
  // Each chunk's rows go to the server in one call, which libpqxx copies once more: 32 KiB of
  // input keeps that below glibc's mmap threshold. At 1 MiB the copies came from fresh pages
  // every time and load-users spent 2-4 times as much CPU in the kernel (1M documents).
  constexpr size_t chunk_size = 1 << 15;
  std::string current; // the file being loaded, for error messages
  try {
    db::connection conn{inv.cfg.database, "scpipe " + command};
    command_interrupt on_signal{"scpipe " + command, conn.get(), inv.cfg.database};
    std::vector<char> buffer(chunk_size);
    for (const auto& path : inv.args) {
      if (command_interrupt::interrupted_by())
        throw input_error{"interrupted before " + path + ", which was not loaded"};
      current = path;
      std::ifstream in{path, std::ios::binary};
      if (!in)
        throw input_error{path + ": cannot open: " + std::strerror(errno)};
      std::error_code size_error;
      auto total = std::filesystem::file_size(path, size_error);
      progress shown{path, size_error ? 0 : static_cast<size_t>(total)};
      auto parse = make_parser(conn.get());
      db::staging_copy copy{conn.get(), table, columns};
      db::copy_lines lines;
      size_t bytes = 0;
      size_t written = 0;
      for (bool last = false; !last;) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        auto n = static_cast<size_t>(in.gcount());
        if (in.bad())
          throw input_error{path + ": read error: " + std::strerror(errno)};
        last = n == 0;
        bytes += n;
        if (command_interrupt::interrupted_by())
          throw input_error{path + ": interrupted; nothing of " + path + " was loaded"};
        if (auto problem = parse(std::string_view{buffer.data(), n}, last, lines))
          throw input_error{path + ":" + *problem + "; nothing of " + path + " was loaded"};
        written += lines.rows;
        copy.write(lines);
        shown.update(bytes, written);
      }
      auto loaded = copy.commit();
      shown.done();
      std::cout << path << ": " << loaded << ' ' << plural(loaded, noun, nouns) << " loaded into "
                << table << '\n';
      log::info(command, "file loaded", {{"file", path}, {"rows", loaded}, {"table", table}});
    }
    return exit_success;
  } catch (const input_error& e) {
    std::cerr << "scpipe " << command << ": " << e.what() << '\n';
  } catch (const pqxx::sql_error& e) {
    std::cerr << "scpipe " << command << ": " << current << ": " << db::error_text(e)
              << "; nothing of " << current << " was loaded\n";
  } catch (const pqxx::in_doubt_error& e) {
    std::cerr << "scpipe " << command << ": " << current << ": the connection broke during the "
              << "commit, so whether the file loaded is unknown: look for its rows before loading "
                 "it again ("
              << db::one_line(e.what()) << ")\n";
  } catch (const std::exception& e) {
    std::cerr << "scpipe " << command << ": " << (current.empty() ? "" : current + ": ")
              << db::one_line(e.what())
              << (current.empty() ? "" : "; nothing of " + current + " was loaded") << '\n';
  }
  return exit_failure;
}

/// Documents as they came, each with its staged fields when the database takes them (read
/// from the parse that checks each document's syntax: each document is parsed once).
row_parser document_parser(pqxx::connection& conn) {
  struct state {
    std::vector<std::optional<staged_user>> staged; // one per document found, in order
    json_document_splitter splitter;
    std::vector<json_document> docs;
  };
  auto st = std::make_shared<state>();
  if (db::stages_fields(conn)) {
    st->splitter = json_document_splitter{json_document_splitter::default_max_document_bytes,
                                          [raw = st.get()](const boost::json::value& v) {
                                            raw->staged.push_back(stage_user_document(v));
                                          }};
  }
  return
      [st](std::string_view chunk, bool last, db::copy_lines& lines) -> std::optional<std::string> {
        auto err = last ? st->splitter.finish(st->docs) : st->splitter.feed(chunk, st->docs);
        if (err)
          return std::to_string(err->line) + ": "
                 + (err->record ? "record " + std::to_string(err->record) + ": " : std::string{})
                 + err->message;
        static const std::optional<staged_user> none;
        for (size_t i = 0; i < st->docs.size(); ++i)
          db::append_staged_document_line(lines.text, st->docs[i].text,
                                          i < st->staged.size() ? st->staged[i] : none);
        lines.rows += st->docs.size();
        st->docs.clear();
        st->staged.clear();
        return std::nullopt;
      };
}

row_parser crm_parser(pqxx::connection&) {
  struct state {
    csv_reader reader;
    crm_row_mapper mapper;
    bool header_seen = false;
    std::vector<csv_record> records;
  };
  auto st = std::make_shared<state>();
  return
      [st](std::string_view chunk, bool last, db::copy_lines& lines) -> std::optional<std::string> {
        auto err = last ? st->reader.finish(st->records) : st->reader.feed(chunk, st->records);
        if (err)
          return std::to_string(err->line) + ": " + err->message;
        for (const auto& record : st->records) {
          if (!st->header_seen) {
            st->header_seen = true;
            if (auto bad = st->mapper.header(record))
              return std::to_string(bad->line) + ": " + bad->message;
            for (const auto& ignored : st->mapper.ignored_columns())
              log::warn("load-crm",
                        "column ignored: " + std::string{db::tables::crm_customers}
                            + " has no place for it",
                        {{"column", ignored}});
            continue;
          }
          row r;
          if (auto bad = st->mapper.map(record, r))
            return std::to_string(bad->line) + ": " + bad->message;
          lines.add(r);
        }
        st->records.clear();
        if (last && !st->header_seen)
          return std::string{
              "1: the file is empty (expected a header: user_email,industry,region,company_name)"};
        return std::nullopt;
      };
}

} // namespace

int load_users_command(const invocation& inv) {
  return load_files(inv, "load-users", std::string{db::tables::user_documents},
                    db::staged_document_columns(), document_parser, "document", "documents");
}

int load_crm_command(const invocation& inv) {
  std::vector<std::string> columns;
  for (const auto* c : crm_row_mapper::columns())
    columns.emplace_back(c);
  return load_files(inv, "load-crm", std::string{db::tables::crm_customers}, columns, crm_parser,
                    "row", "rows");
}

} // namespace scpipe::cli
