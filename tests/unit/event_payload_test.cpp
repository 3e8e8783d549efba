#include "core/event_payload.hpp"

#include <gtest/gtest.h>

using namespace scpipe;

namespace {

std::string reasons(const decoded_payload& d) {
  std::string out;
  for (const auto& r : d.rejections)
    out += std::to_string(r.index) + ": " + r.reason + "\n";
  return out;
}

/// The one rejection reason of a single-event payload.
std::string reason_for(const std::string& event) {
  auto d = decode_payload(event);
  EXPECT_EQ(d.accepted, 0u) << event;
  return d.rejections.size() == 1 ? d.rejections[0].reason : reasons(d);
}

} // namespace

TEST(event_payload, valid_event_becomes_one_copy_line) {
  auto d = decode_payload(
      R"({"user_id": "7", "event_type": "login", "event_time": "5/13/2019 3:11:04", "platform": "ios", "first_event": "TRUE", "ignored": {"x": 1}})");
  EXPECT_EQ(reasons(d), "");
  EXPECT_EQ(d.accepted, 1u);
  EXPECT_EQ(d.rows, "7\tios\t2019-05-13 03:11:04\tlogin\tt\n");
}

TEST(event_payload, optional_fields_may_be_missing_or_null) {
  auto d = decode_payload(
      R"([{"user_id": 1, "event_type": "a", "event_time": "2019-01-01T00:00:00Z"},
          {"user_id": 2, "event_type": "a", "event_time": "2019-01-01T00:00:00Z", "platform": null, "first_event": null}])");
  EXPECT_EQ(d.rows, "1\t\\N\t2019-01-01 00:00:00+00:00\ta\tf\n"
                    "2\t\\N\t2019-01-01 00:00:00+00:00\ta\tf\n");
}

TEST(event_payload, text_is_escaped_for_copy) {
  auto d = decode_payload(
      R"({"user_id": 1, "event_type": "a\tb\\c", "event_time": "2019-01-01T00:00:00", "platform": "x\ny\rz"})");
  EXPECT_EQ(d.rows, "1\tx\\ny\\rz\t2019-01-01 00:00:00\ta\\tb\\\\c\tf\n");
}

TEST(event_payload, each_field_rule_has_a_reason_naming_the_field) {
  auto base = [](const std::string& fields) { return "{" + fields + "}"; };
  const std::string time = R"("event_time": "2019-01-01T00:00:00")";
  const std::string type = R"("event_type": "login")";
  EXPECT_EQ(reason_for(base(type + "," + time)), "user_id: missing");
  EXPECT_EQ(reason_for(base(R"("user_id": null,)" + type + "," + time)), "user_id: missing");
  EXPECT_EQ(reason_for(base(R"("user_id": 1.5,)" + type + "," + time)),
            "user_id: must be an integer or a string of digits, got a number with a fraction or "
            "exponent");
  EXPECT_EQ(reason_for(base(R"("user_id": 2147483648,)" + type + "," + time)),
            "user_id: 2147483648 does not fit a 32-bit integer");
  EXPECT_EQ(reason_for(base(R"("user_id": 18446744073709551615,)" + type + "," + time)),
            "user_id: 18446744073709551615 does not fit a 32-bit integer");
  EXPECT_EQ(reason_for(base(R"("user_id": "99999999999999999999999",)" + type + "," + time)),
            R"(user_id: "99999999999999999999999" does not fit a 32-bit integer)");
  EXPECT_EQ(reason_for(base(R"("user_id": "-5",)" + type + "," + time)),
            R"(user_id: "-5" is not a string of digits)");
  EXPECT_EQ(reason_for(base(R"("user_id": true,)" + type + "," + time)),
            "user_id: must be an integer or a string of digits, got a boolean");
  EXPECT_EQ(reason_for(base(R"("user_id": 1,)" + time)), "event_type: missing");
  EXPECT_EQ(reason_for(base(R"("user_id": 1, "event_type": 5,)" + time)),
            "event_type: must be a string, got an integer");
  EXPECT_EQ(
      reason_for(base(R"("user_id": 1, "event_type": ")" + std::string(51, 'x') + "\"," + time)),
      "event_type: 51 characters, more than 50");
  EXPECT_EQ(reason_for(base(R"("user_id": 1, "event_type": "a\u0000b",)" + time)),
            "event_type: contains a NUL character (\\u0000), which text cannot hold");
  EXPECT_EQ(reason_for(base(R"("user_id": 1,)" + type)), "event_time: missing");
  EXPECT_EQ(reason_for(base(R"("user_id": 1,)" + type + R"(, "event_time": 1557717064)")),
            "event_time: must be a string, got an integer");
  EXPECT_EQ(
      reason_for(base(R"("user_id": 1,)" + type + R"(, "event_time": "2019-02-30T00:00:00")")),
      R"(event_time: "2019-02-30T00:00:00": day 30 does not exist in 2019-02)");
  EXPECT_EQ(reason_for(base(R"("user_id": 1,)" + type + "," + time + R"(, "platform": ["ios"])")),
            "platform: must be a string, got an array");
  EXPECT_EQ(reason_for(base(R"("user_id": 1,)" + type + "," + time + R"(, "platform": ")"
                            + std::string(201, 'p') + "\"")),
            "platform: 201 characters, more than 200");
  EXPECT_EQ(
      reason_for(base(R"("user_id": 1,)" + type + "," + time + R"(, "first_event": "yes")")),
      R"(first_event: must be true or false (or "TRUE", "FALSE", "true", "false", "1", "0"), got "yes")");
  EXPECT_EQ(reason_for("[5]"), "an event must be a JSON object, got an integer");
  // Every problem of an event is listed.
  EXPECT_EQ(reason_for("{}"), "user_id: missing; event_type: missing; event_time: missing");
}

TEST(event_payload, lengths_count_characters_not_bytes) {
  auto d = decode_payload(R"({"user_id": 1, "event_type": ")" + std::string(50 * 0 + 0, 'x') + [] {
    std::string s;
    for (int i = 0; i < 50; ++i)
      s += "é";
    return s;
  }() + R"(", "event_time": "2019-01-01T00:00:00"})");
  EXPECT_EQ(reasons(d), "");
  EXPECT_EQ(d.accepted, 1u);
}

TEST(event_payload, bad_events_keep_their_index_and_exact_text) {
  std::string bad =
      "{\"user_id\" :  \"x\",\n \"event_type\": \"a\", \"event_time\": \"2019-01-01T00:00:00\"}";
  auto d = decode_payload(
      "[ {\"user_id\": 1, \"event_type\": \"a\", \"event_time\": \"2019-01-01T00:00:00\"},\n  "
      + bad + " , [1, \"]\"] ]");
  EXPECT_EQ(d.accepted, 1u);
  ASSERT_EQ(d.rejections.size(), 2u);
  EXPECT_EQ(d.rejections[0].index, 1);
  EXPECT_EQ(d.rejections[0].raw, bad);
  EXPECT_EQ(d.rejections[1].index, 2);
  EXPECT_EQ(d.rejections[1].raw, "[1, \"]\"]");
}

TEST(event_payload, ndjson_lines_are_events_and_a_broken_line_is_one_rejection) {
  auto d = decode_payload(
      "{\"user_id\": 1, \"event_type\": \"a\", \"event_time\": \"2019-01-01T00:00:00\"}\n"
      "\n"
      "{\"user_id\": 2, \"event_type\": \"a\"\r\n"
      "{\"user_id\": 3, \"event_type\": \"a\", \"event_time\": \"2019-01-01T00:00:00\"}");
  EXPECT_EQ(d.accepted, 2u);
  ASSERT_EQ(d.rejections.size(), 1u);
  EXPECT_EQ(d.rejections[0].index, 1);
  EXPECT_EQ(d.rejections[0].raw, "{\"user_id\": 2, \"event_type\": \"a\"");
  EXPECT_EQ(d.rejections[0].reason.rfind("invalid JSON", 0), 0u) << d.rejections[0].reason;
}

TEST(event_payload, payloads_that_are_not_events_are_rejected_whole) {
  for (std::string payload : std::vector<std::string>{
           "", "   ", "not json", "[1, 2", "\"a string\"", "[]", "[{\"a\": 1} {\"b\": 2}]",
           std::string(40, '[') + std::string(40, ']')}) {
    auto d = decode_payload(payload);
    EXPECT_EQ(d.accepted, 0u) << payload;
    ASSERT_GE(d.rejections.size(), 1u) << payload;
    if (payload != "\"a string\"") {
      EXPECT_EQ(d.rejections[0].index, -1) << payload;
      EXPECT_EQ(d.rejections[0].raw, payload);
    }
  }
  EXPECT_EQ(decode_payload("[]").rejections[0].reason, "payload has no events");
}

TEST(event_payload, invalid_utf8_is_a_payload_rejection) {
  auto d = decode_payload(
      "{\"user_id\": 1, \"event_type\": \"\xc3\x28\", \"event_time\": \"2019-01-01T00:00:00\"}");
  EXPECT_EQ(d.accepted, 0u);
  ASSERT_EQ(d.rejections.size(), 1u);
  EXPECT_EQ(d.rejections[0].index, -1);
  EXPECT_EQ(d.rejections[0].reason, "payload is not JSON (not UTF-8 (byte 0xC3 at offset 30))");
}

TEST(event_payload, ndjson_with_a_broken_first_line_keeps_the_good_lines) {
  auto d = decode_payload(
      "{\"user_id\": 1,}\n"
      "{\"user_id\": 2, \"event_type\": \"a\", \"event_time\": \"2019-01-01T00:00:00\"}\n"
      "[1]\n");
  EXPECT_EQ(d.accepted, 1u);
  EXPECT_EQ(d.rejected, 2u);
  ASSERT_EQ(d.rejections.size(), 2u);
  EXPECT_EQ(d.rejections[0].index, 0);
  EXPECT_EQ(d.rejections[1].index, 2);
  EXPECT_EQ(d.rejections[1].reason, "an event must be a JSON object, got an array");
}

TEST(event_payload, broken_json_over_several_lines_is_refused_whole) {
  std::string payload = "{\n  \"user_id\": 1,\n  \"event_type\": \"a\"\n";
  auto d = decode_payload(payload);
  EXPECT_EQ(d.accepted, 0u);
  EXPECT_EQ(d.rejected, 1u);
  ASSERT_EQ(d.rejections.size(), 1u);
  EXPECT_EQ(d.rejections[0].index, -1);
  EXPECT_EQ(d.rejections[0].raw, payload);
}

TEST(event_payload, a_flood_of_bad_events_keeps_a_bounded_number_of_dead_letters) {
  std::string payload = "[1";
  for (int i = 1; i < 100000; ++i)
    payload += ",1";
  payload += "]";
  auto d = decode_payload(payload);
  EXPECT_EQ(d.accepted, 0u);
  EXPECT_EQ(d.rejected, 100000u);
  ASSERT_EQ(d.rejections.size(), max_dead_letters_per_payload + 1);
  EXPECT_EQ(d.rejections[999].index, 999);
  EXPECT_EQ(d.rejections[999].raw, "1");
  EXPECT_EQ(d.rejections.back().index, -1);
  EXPECT_EQ(d.rejections.back().raw, payload) << "the rest is kept, once, in the whole payload";
  EXPECT_EQ(d.rejections.back().reason.rfind("100000 events refused", 0), 0u);
}

// -- hostile input: each gets its own clear reason, nothing crashes ----------------------------

TEST(event_payload, deeply_nested_json_is_refused_whole_with_a_reason) {
  std::string deep(100000, '[');
  auto d = decode_payload(deep + std::string(100000, ']'));
  EXPECT_EQ(d.accepted, 0u);
  ASSERT_EQ(d.rejections.size(), 1u);
  EXPECT_EQ(d.rejections[0].index, -1);
  EXPECT_EQ(d.rejections[0].reason, "payload is not JSON (nested deeper than 32 levels)");
  // In NDJSON, only the line that nests too deep is refused.
  auto good = R"({"user_id": 1, "event_type": "a", "event_time": "2019-01-01T00:00:00"})";
  auto nested = R"({"user_id": 2, "event_type": "a", "event_time": "2019-01-01T00:00:00", "x": )"
                + std::string(40, '[') + std::string(40, ']') + "}";
  auto e = decode_payload(std::string{good} + "\n" + nested + "\n");
  EXPECT_EQ(e.accepted, 1u);
  ASSERT_EQ(e.rejections.size(), 1u);
  EXPECT_EQ(e.rejections[0].index, 1);
  EXPECT_EQ(e.rejections[0].reason, "invalid JSON (nested deeper than 32 levels)");
  EXPECT_EQ(e.rejections[0].raw, nested);
}

TEST(event_payload, huge_strings_are_refused_naming_the_field_and_kept_verbatim) {
  std::string big(4 << 20, 'x');
  auto event =
      R"({"user_id": 1, "event_type": ")" + big + R"(", "event_time": "2019-01-01T00:00:00"})";
  auto d = decode_payload(event);
  EXPECT_EQ(d.accepted, 0u);
  ASSERT_EQ(d.rejections.size(), 1u);
  EXPECT_EQ(d.rejections[0].reason, "event_type: 4194304 characters, more than 50");
  EXPECT_EQ(d.rejections[0].raw, event);
}

TEST(event_payload, nul_characters_are_refused_escaped_or_raw) {
  auto escaped =
      R"({"user_id": 1, "event_type": "log\u0000in", "event_time": "2019-01-01T00:00:00"})";
  auto d = decode_payload(escaped);
  ASSERT_EQ(d.rejections.size(), 1u);
  EXPECT_EQ(d.rejections[0].reason,
            "event_type: contains a NUL character (\\u0000), which text cannot hold");
  EXPECT_EQ(d.rejections[0].raw, escaped);
  std::string raw_nul = "{\"user_id\": 1, \"event_type\": \"log";
  raw_nul += '\0';
  raw_nul += "in\", \"event_time\": \"2019-01-01T00:00:00\"}";
  auto r = decode_payload(raw_nul);
  ASSERT_EQ(r.rejections.size(), 1u);
  EXPECT_EQ(r.rejections[0].reason, "payload is not JSON (a NUL byte at offset 33)");
  EXPECT_EQ(r.rejections[0].raw, raw_nul);
}

TEST(event_payload, sql_metacharacters_are_data) {
  auto d = decode_payload(
      R"({"user_id": 1, "event_type": "x'); DROP TABLE sc.sc_user_event; --\\\t", "platform": "a\"b", "event_time": "2019-01-01T00:00:00"})");
  EXPECT_EQ(d.accepted, 1u);
  // COPY text escapes only backslash, tab, newline and CR; quotes and semicolons are data.
  EXPECT_EQ(d.rows,
            "1\ta\"b\t2019-01-01 00:00:00\tx'); DROP TABLE sc.sc_user_event; --\\\\\\t\tf\n");
}
