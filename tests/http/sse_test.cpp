#include "http/sse.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace r1::http {
namespace {

// LF, CRLF and CR line ends, comments, event and id fields, a two-line
// event, an event without data, "data" without a space, a bare "data".
const std::string kStream =
    "data: {\"a\":1}\n\n"
    ": keep-alive comment\r\n"
    "event: delta\r\n"
    "id: 3\r\n"
    "data: {\"b\":2}\r\n\r\n"
    "id: 7\n\n"
    "data: line one\rdata:line two\r\r"
    "data\n\n"
    "data: [DONE]\n\n";

struct Seen {
  std::string data, event, id;
  bool has_data;
  bool operator==(const Seen&) const = default;
};

const std::vector<Seen> kEvents = {
    {"{\"a\":1}", "", "", true},  {"{\"b\":2}", "delta", "3", true}, {"", "", "7", false},
    {"line one\nline two", "", "", true}, {"", "", "", true},        {"[DONE]", "", "", true},
};

std::vector<Seen> read_pieces(const std::vector<std::string>& pieces, bool keep_raw, std::string* raw) {
  SseReader reader(SseReaderOptions{kMaxSseEventBytes, keep_raw});
  std::vector<SseEvent> events;
  for (const std::string& p : pieces) EXPECT_TRUE(reader.feed(p, events));
  EXPECT_FALSE(reader.mid_event());
  std::vector<Seen> seen;
  for (const SseEvent& e : events) {
    seen.push_back({e.data, e.event, e.id, e.has_data});
    if (raw != nullptr) *raw += e.raw;
  }
  return seen;
}

TEST(SseReader, WholeStream) {
  std::string raw;
  EXPECT_EQ(read_pieces({kStream}, true, &raw), kEvents);
  EXPECT_EQ(raw, kStream);  // every byte relayed, in order
}

TEST(SseReader, SplitAtEveryByte) {
  for (const bool keep_raw : {false, true}) {
    for (size_t cut = 0; cut <= kStream.size(); ++cut) {
      std::string raw;
      EXPECT_EQ(read_pieces({kStream.substr(0, cut), kStream.substr(cut)}, keep_raw, &raw), kEvents) << cut;
      if (keep_raw) {
        EXPECT_EQ(raw, kStream) << cut;
      }
    }
  }
}

TEST(SseReader, OneByteAtATime) {
  std::vector<std::string> pieces;
  for (char ch : kStream) pieces.emplace_back(1, ch);
  std::string raw;
  EXPECT_EQ(read_pieces(pieces, true, &raw), kEvents);
  EXPECT_EQ(raw, kStream);
}

TEST(SseReader, RawEventKeepsItsCrlf) {
  SseReader reader(SseReaderOptions{kNoSseLimit, true});
  std::vector<SseEvent> events;
  EXPECT_TRUE(reader.feed("data: x\r\n\r", events));
  EXPECT_TRUE(events.empty());  // the CR may be half of a CRLF
  EXPECT_TRUE(reader.mid_event());
  EXPECT_TRUE(reader.feed("\n", events));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].raw, "data: x\r\n\r\n");
}

TEST(SseReader, UnfinishedEventIsHeld) {
  SseReader reader;
  std::vector<SseEvent> events;
  EXPECT_TRUE(reader.feed("data: partial\n", events));
  EXPECT_TRUE(events.empty());
  EXPECT_TRUE(reader.mid_event());
  EXPECT_TRUE(reader.feed("\n", events));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "partial");
}

TEST(SseReader, OversizedEventFails) {
  SseReader reader(SseReaderOptions{16, false});
  std::vector<SseEvent> events;
  EXPECT_FALSE(reader.feed("data: " + std::string(64, 'x'), events));
  EXPECT_FALSE(reader.ok());
  EXPECT_FALSE(reader.feed("\n\n", events));
  EXPECT_TRUE(events.empty());
  reader.reset();
  EXPECT_TRUE(reader.feed("data: ok\n\n", events));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "ok");
}

TEST(SseWriter, FramesAndReadsBack) {
  EXPECT_EQ(sse_frame("{\"a\":1}"), "data: {\"a\":1}\n\n");
  EXPECT_EQ(sse_frame("one\ntwo"), "data: one\ndata: two\n\n");
  EXPECT_EQ(sse_frame(""), "data: \n\n");
  EXPECT_EQ(kSseDone, "data: [DONE]\n\n");
  for (const std::string data : {"x", "one\ntwo", "", "a\n\nb"}) {
    EXPECT_EQ(sse_data_of(sse_frame(data)), data);
  }
  EXPECT_EQ(sse_data_of("data: no terminator"), "no terminator");
  EXPECT_EQ(sse_data_of("data: a\r\ndata: b\r\n\r\n"), "a\nb");
  EXPECT_EQ(sse_data_of(": comment\n\n"), "");
}

}  // namespace
}  // namespace r1::http
