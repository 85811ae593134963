#include "loadgen/sse_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace r1::loadgen {
namespace {

// LF, CRLF and CR line ends, a comment, a non-data field, a two-line event,
// an event without data, and "data" without a space.
const std::string kStream =
    "data: {\"a\":1}\n\n"
    ": keep-alive comment\r\n"
    "event: message\r\n"
    "data: {\"b\":2}\r\n\r\n"
    "id: 7\n\n"
    "data: line one\rdata:line two\r\r"
    "data: [DONE]\n\n";

const std::vector<std::string> kEvents = {"{\"a\":1}", "{\"b\":2}", "line one\nline two",
                                          "[DONE]"};

std::vector<std::string> parse_pieces(const std::vector<std::string>& pieces) {
  SseParser parser;
  std::vector<std::string> events;
  for (const std::string& p : pieces) EXPECT_TRUE(parser.feed(p, events));
  EXPECT_FALSE(parser.mid_event());
  return events;
}

TEST(SseParser, WholeStream) { EXPECT_EQ(parse_pieces({kStream}), kEvents); }

TEST(SseParser, SplitAtEveryByte) {
  for (size_t cut = 0; cut <= kStream.size(); ++cut) {
    EXPECT_EQ(parse_pieces({kStream.substr(0, cut), kStream.substr(cut)}), kEvents) << cut;
  }
}

TEST(SseParser, OneByteAtATime) {
  std::vector<std::string> pieces;
  for (char ch : kStream) pieces.emplace_back(1, ch);
  EXPECT_EQ(parse_pieces(pieces), kEvents);
}

TEST(SseParser, ThreeWaySplits) {
  for (size_t a = 0; a <= kStream.size(); a += 3) {
    for (size_t b = a; b <= kStream.size(); b += 5) {
      EXPECT_EQ(parse_pieces({kStream.substr(0, a), kStream.substr(a, b - a), kStream.substr(b)}),
                kEvents);
    }
  }
}

TEST(SseParser, UnfinishedEventIsHeld) {
  SseParser parser;
  std::vector<std::string> events;
  EXPECT_TRUE(parser.feed("data: partial\n", events));
  EXPECT_TRUE(events.empty());
  EXPECT_TRUE(parser.mid_event());
  EXPECT_TRUE(parser.feed("\n", events));
  EXPECT_EQ(events, std::vector<std::string>{"partial"});
}

TEST(SseParser, OversizedEventFails) {
  SseParser parser(16);
  std::vector<std::string> events;
  EXPECT_FALSE(parser.feed("data: " + std::string(64, 'x'), events));
  EXPECT_FALSE(parser.ok());
  EXPECT_FALSE(parser.feed("\n\n", events));
  EXPECT_TRUE(events.empty());
  parser.reset();
  EXPECT_TRUE(parser.feed("data: ok\n\n", events));
  EXPECT_EQ(events, std::vector<std::string>{"ok"});
}

}  // namespace
}  // namespace r1::loadgen
