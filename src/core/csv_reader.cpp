#include "core/csv_reader.hpp"

namespace scpipe {

void csv_reader::end_field() {
  record_.fields.push_back(std::move(field_));
  field_.clear();
}

void csv_reader::end_record(std::vector<csv_record>& out) {
  end_field();
  // A blank line is one empty unquoted field: skipped.
  if (!(record_.fields.size() == 1 && record_.fields[0].empty() && !record_started_))
    out.push_back(std::move(record_));
  record_ = {};
  record_started_ = false;
  record_bytes_ = 0;
}

std::optional<csv_error> csv_reader::feed(std::string_view chunk, std::vector<csv_record>& out) {
  return scan(bom_.next(chunk), out);
}

std::optional<csv_error> csv_reader::scan(std::string_view chunk, std::vector<csv_record>& out) {
  for (size_t i = 0; i < chunk.size(); ++i) {
    char c = chunk[i];
    if (state_ == state::after_cr) {
      // CR ended the record; a following LF belongs to it.
      state_ = state::field_start;
      if (c == '\n')
        continue;
    }
    if (record_.fields.empty() && field_.empty() && !record_started_
        && state_ == state::field_start)
      record_.line = line_;
    if (++record_bytes_ > max_bytes_)
      return csv_error{record_.line, "a record starting here is longer than "
                                         + std::to_string(max_bytes_)
                                         + " bytes (is a closing quote missing?)"};
    switch (state_) {
    case state::field_start:
      if (c == '"') {
        state_ = state::quoted;
        quote_line_ = line_;
        record_started_ = true;
        break;
      }
      state_ = state::unquoted;
      [[fallthrough]];
    case state::unquoted:
      if (c == ',') {
        end_field();
        record_started_ = true;
        state_ = state::field_start;
      } else if (c == '\n' || c == '\r') {
        end_record(out);
        state_ = c == '\r' ? state::after_cr : state::field_start;
        ++line_;
      } else if (c == '"') {
        return csv_error{line_, "a quote inside an unquoted field (quote the whole field and "
                                "double the quote)"};
      } else {
        field_ += c;
        record_started_ = true;
      }
      break;
    case state::quoted:
      if (c == '"')
        state_ = state::quote_in_quoted;
      else {
        if (c == '\n')
          ++line_;
        field_ += c;
      }
      break;
    case state::quote_in_quoted:
      if (c == '"') {
        field_ += '"';
        state_ = state::quoted;
      } else if (c == ',') {
        end_field();
        state_ = state::field_start;
      } else if (c == '\n' || c == '\r') {
        end_record(out);
        state_ = c == '\r' ? state::after_cr : state::field_start;
        ++line_;
      } else {
        return csv_error{line_, "unexpected character after a closing quote"};
      }
      break;
    case state::after_cr:
      break; // handled above
    }
  }
  return std::nullopt;
}

std::optional<csv_error> csv_reader::finish(std::vector<csv_record>& out) {
  if (auto err = scan(bom_.flush(), out))
    return err;
  if (state_ == state::quoted)
    return csv_error{quote_line_, "a quoted field starting here is never closed"};
  if (state_ == state::unquoted || state_ == state::quote_in_quoted
      || (state_ == state::field_start && (record_started_ || !record_.fields.empty())))
    end_record(out);
  state_ = state::field_start;
  return std::nullopt;
}

} // namespace scpipe
