// The producer-session frame of docs/protocol.md: what is read, what is refused and why.

#include "core/producer_session.hpp"
#include "core/protocol.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

using namespace scpipe;

namespace {

producer_session parsed(std::string_view frame) {
  auto r = parse_producer_session(frame);
  if (auto* why = std::get_if<std::string>(&r)) {
    ADD_FAILURE() << frame << ": " << *why;
    return {};
  }
  return std::get<producer_session>(r);
}

std::string refusal(std::string_view frame) {
  auto r = parse_producer_session(frame);
  if (std::holds_alternative<producer_session>(r)) {
    ADD_FAILURE() << frame << " was accepted";
    return {};
  }
  return std::get<std::string>(r);
}

} // namespace

TEST(producer_session, producer_and_sequence_are_read) {
  auto s = parsed("3f2c9a1e-0b7d.host_1:web 17");
  EXPECT_EQ(s.producer, "3f2c9a1e-0b7d.host_1:web");
  EXPECT_EQ(s.sequence, 17u);
  EXPECT_EQ(parsed("p 0").sequence, 0u);
  EXPECT_EQ(parsed("p 9223372036854775807").sequence, protocol::max_producer_sequence);
  EXPECT_EQ(parsed(std::string(64, 'x') + " 1").producer, std::string(64, 'x'));
}

TEST(producer_session, the_frame_it_writes_reads_back) {
  producer_session s{"prod-7", 123456789012ULL};
  auto back = parsed(session_frame(s));
  EXPECT_EQ(back.producer, s.producer);
  EXPECT_EQ(back.sequence, s.sequence);
}

TEST(producer_session, each_malformed_frame_is_refused_naming_what_is_wrong) {
  EXPECT_NE(refusal("prod").find("no space"), std::string::npos);
  EXPECT_NE(refusal(" 5").find("1 to 64 characters, got 0"), std::string::npos);
  EXPECT_NE(refusal(std::string(65, 'x') + " 5").find("got 65"), std::string::npos);
  EXPECT_NE(refusal("pr\"od 5").find("character outside"), std::string::npos);
  EXPECT_NE(refusal("pr,od 5").find("character outside"), std::string::npos);
  EXPECT_NE(refusal("prod ").find("not decimal digits"), std::string::npos);
  EXPECT_NE(refusal("prod -1").find("not decimal digits"), std::string::npos);
  EXPECT_NE(refusal("prod +1").find("not decimal digits"), std::string::npos);
  EXPECT_NE(refusal("prod 1 ").find("not decimal digits"), std::string::npos);
  EXPECT_NE(refusal("prod 9223372036854775808").find("is over"), std::string::npos);
  EXPECT_NE(refusal("prod 99999999999999999999999").find("is over"), std::string::npos);
  // Bytes that are not text are shown in hex, never raw.
  auto r = refusal(std::string{"pr\x01od 1"});
  EXPECT_NE(r.find("0x"), std::string::npos) << r;
}
