#include "sampling/stop_matcher.h"

#include <gtest/gtest.h>

#include <random>

namespace r1::sampling {
namespace {

struct StopRun {
  std::string emitted;
  bool stopped = false;
  int stop_index = -1;
};

// Feeds `text` cut at the given ascending positions, then finish().
StopRun feed_split(const std::vector<std::string>& stops, const std::string& text,
               const std::vector<size_t>& cuts) {
  StopMatcher m(stops);
  StopRun run;
  size_t start = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(text.size());
  for (size_t end : ends) {
    const StopMatcher::Output out = m.feed(std::string_view(text).substr(start, end - start));
    run.emitted += out.text;
    if (out.stopped) {
      run.stopped = true;
      run.stop_index = out.stop_index;
    }
    start = end;
  }
  run.emitted += m.finish();
  return run;
}

// Whole-text reference: the occurrence that ends first, then the longer one.
StopRun reference(const std::vector<std::string>& stops, const std::string& text) {
  StopRun best{text, false, -1};
  size_t best_end = std::string::npos;
  size_t best_pos = std::string::npos;
  for (size_t i = 0; i < stops.size(); ++i) {
    const size_t pos = text.find(stops[i]);
    if (pos == std::string::npos) continue;
    const size_t end = pos + stops[i].size();
    if (end < best_end || (end == best_end && pos < best_pos)) {
      best_end = end;
      best_pos = pos;
      best = {text.substr(0, pos), true, static_cast<int>(i)};
    }
  }
  return best;
}

void expect_same(const StopRun& got, const StopRun& want, const std::string& ctx) {
  EXPECT_EQ(got.emitted, want.emitted) << ctx;
  EXPECT_EQ(got.stopped, want.stopped) << ctx;
  EXPECT_EQ(got.stop_index, want.stop_index) << ctx;
}

TEST(StopMatcher, EverySplitOfOneAndTwoCuts) {
  const std::vector<std::string> stops{"</think>", "\n\nUser:"};
  const std::string text = "Let me see.\n\nUse</thi</think> answer";
  const StopRun want = reference(stops, text);
  ASSERT_TRUE(want.stopped);
  EXPECT_EQ(want.emitted, "Let me see.\n\nUse</thi");
  for (size_t a = 0; a <= text.size(); ++a) {
    expect_same(feed_split(stops, text, {a}), want, "cut " + std::to_string(a));
    for (size_t b = a; b <= text.size(); ++b) {
      expect_same(feed_split(stops, text, {a, b}), want,
                  "cuts " + std::to_string(a) + "," + std::to_string(b));
    }
  }
  std::vector<size_t> bytes;
  for (size_t i = 1; i < text.size(); ++i) bytes.push_back(i);
  expect_same(feed_split(stops, text, bytes), want, "byte by byte");
}

TEST(StopMatcher, HoldsBackOnlyPossiblePrefixes) {
  StopMatcher m({"</s>"});
  StopMatcher::Output out = m.feed("abc<");
  EXPECT_EQ(out.text, "abc");
  EXPECT_FALSE(out.stopped);
  EXPECT_EQ(m.held(), 1u);
  out = m.feed("/x");
  EXPECT_EQ(out.text, "</x");
  EXPECT_EQ(m.held(), 0u);
  out = m.feed("</");
  EXPECT_EQ(out.text, "");
  EXPECT_EQ(m.finish(), "</");
}

TEST(StopMatcher, OverlappingSelfPrefix) {
  const std::vector<std::string> stops{"aab"};
  for (size_t cut = 0; cut <= 4; ++cut) {
    const StopRun r = feed_split(stops, "aaab", {cut});
    EXPECT_TRUE(r.stopped);
    EXPECT_EQ(r.emitted, "a");
  }
  const StopRun bytes = feed_split(stops, "aaab", {1, 2, 3});
  EXPECT_EQ(bytes.emitted, "a");
}

TEST(StopMatcher, NothingAfterStop) {
  StopMatcher m({"STOP"});
  StopMatcher::Output out = m.feed("hello STOP world");
  EXPECT_EQ(out.text, "hello ");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(out.stop_index, 0);
  out = m.feed("more");
  EXPECT_EQ(out.text, "");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(m.finish(), "");
}

TEST(StopMatcher, NoStopsPassesThrough) {
  StopMatcher m({});
  EXPECT_EQ(m.feed("abc").text, "abc");
  EXPECT_EQ(m.held(), 0u);
  StopMatcher empty_only({""});
  EXPECT_EQ(empty_only.feed("abc").text, "abc");
}

TEST(StopMatcher, FirstCompletedStopWins) {
  // "c" completes before "abcd" does, however the text is split.
  const std::vector<std::string> stops{"abcd", "c"};
  for (size_t cut = 0; cut <= 5; ++cut) {
    const StopRun r = feed_split(stops, "xabcd", {cut});
    EXPECT_EQ(r.emitted, "xab") << cut;
    EXPECT_EQ(r.stop_index, 1);
  }
}

TEST(StopMatcher, RandomTextsMatchReference) {
  std::mt19937 rng(123);
  auto random_string = [&](size_t len) {
    std::string s;
    for (size_t i = 0; i < len; ++i) s.push_back("abc"[rng() % 3]);
    return s;
  };
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<std::string> stops;
    for (int k = 0, n = 1 + rng() % 3; k < n; ++k) stops.push_back(random_string(1 + rng() % 4));
    const std::string text = random_string(rng() % 20);
    std::vector<size_t> cuts;
    for (size_t i = 1; i < text.size(); ++i) {
      if (rng() % 3 == 0) cuts.push_back(i);
    }
    expect_same(feed_split(stops, text, cuts), reference(stops, text),
                "iter " + std::to_string(iter));
  }
}

}  // namespace
}  // namespace r1::sampling
