/// Fuzzes json_document_splitter (src/core/json_documents.hpp): a user-document file (a JSON
/// array of objects, or objects one after another) split into its documents as `load-users`
/// streams it. The first input byte picks a chunk size and a document size limit; the rest is
/// the file. Checks that the file fed in chunks gives exactly what it gives in one piece (the
/// same documents, the same error), and that every document is a JSON object found verbatim
/// in the file on the line and at the position it reports. Each document's staged fields
/// (core/staged_user.hpp, what load-users reads from the same parse) hold their invariants:
/// normalized times normalize to themselves, and no array keeps a repeated id.

#include "core/json_documents.hpp"
#include "core/staged_user.hpp"
#include "require.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

namespace {

using namespace scpipe;
using fuzz::require;

struct split_result {
  std::vector<json_document> documents;
  std::optional<json_stream_error> error;
};

split_result split(std::string_view file, size_t chunk, size_t max_bytes) {
  json_document_splitter splitter{max_bytes};
  split_result out;
  for (size_t at = 0; at < file.size() && !out.error; at += chunk)
    out.error = splitter.feed(file.substr(at, chunk), out.documents);
  if (!out.error)
    out.error = splitter.finish(out.documents);
  require(splitter.records() >= out.documents.size(), "records() counts every document");
  return out;
}

void require_normalized(const std::optional<std::string>& ts) {
  if (ts)
    require(normalize_upstream_ts(*ts) == ts, "a normalized time normalizes to itself");
}

void check_staged(const boost::json::value& document) {
  auto staged = stage_user_document(document);
  if (!staged)
    return;
  require(document.is_object(), "only objects are staged");
  require_normalized(staged->signup_ts);
  for (const auto* items : {&staged->checklists, &staged->inspections}) {
    std::set<std::string> ids;
    for (const auto& item : *items) {
      require(ids.insert(item.id).second, "a staged array keeps one entry per id");
      require_normalized(item.ts);
      require_normalized(item.created_ts);
    }
  }
}

bool same(const json_document& a, const json_document& b) {
  return a.text == b.text && a.line == b.line && a.record == b.record;
}

bool same(const std::optional<json_stream_error>& a, const std::optional<json_stream_error>& b) {
  if (!a || !b)
    return !a && !b;
  return a->line == b->line && a->record == b->record && a->message == b->message;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  // Low bits: chunk size 1..32; high bit: a small document limit, to reach the size error.
  size_t chunk = (data[0] & 0x1F) + 1;
  size_t max_bytes = data[0] & 0x80 ? 64 : json_document_splitter::default_max_document_bytes;
  std::string_view file{reinterpret_cast<const char*>(data + 1), size - 1};
  require_normalized(normalize_upstream_ts(file));

  auto whole = split(file, file.size() + 1, max_bytes);
  auto chunked = split(file, chunk, max_bytes);
  require(std::equal(whole.documents.begin(), whole.documents.end(), chunked.documents.begin(),
                     chunked.documents.end(),
                     [](const auto& a, const auto& b) { return same(a, b); }),
          "chunking does not change the documents");
  require(same(whole.error, chunked.error), "chunking does not change the error");

  std::string_view text = file;
  if (text.starts_with("\xEF\xBB\xBF"))
    text.remove_prefix(3);
  size_t lines = 1 + static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  size_t at = 0;
  size_t line = 1;
  for (size_t i = 0; i < whole.documents.size(); ++i) {
    const auto& doc = whole.documents[i];
    require(doc.record == i + 1, "records are numbered 1, 2, ...");
    require(doc.text.size() <= max_bytes, "a document is within the size limit");
    require(doc.text.starts_with('{') && doc.text.ends_with('}'), "a document is an object");
    boost::json::error_code ec;
    boost::json::parse_options opt;
    opt.max_depth = 64; // as the splitter checks
    auto v = boost::json::parse(doc.text, ec, {}, opt);
    require(!ec && v.is_object(), "a document parses as a JSON object");
    check_staged(v);
    // Only blanks, '[' and ',' separate documents, so the next occurrence is the document.
    auto found = text.find(doc.text, at);
    require(found != std::string_view::npos, "a document is verbatim in the file");
    line += static_cast<size_t>(std::count(text.begin() + at, text.begin() + found, '\n'));
    require(doc.line == line, "a document's line is where it starts");
    line += static_cast<size_t>(std::count(doc.text.begin(), doc.text.end(), '\n'));
    at = found + doc.text.size();
  }
  if (whole.error) {
    require(!whole.error->message.empty(), "an error has a message");
    require(whole.error->line >= 1 && whole.error->line <= lines, "an error's line is in the file");
    require(whole.error->record <= whole.documents.size() + 1,
            "an error concerns a found document or the next one");
  }
  return 0;
}
