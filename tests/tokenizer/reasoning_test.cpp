// Reasoning splitter: explicit expectations for split_reasoning, and the
// streaming splitter agreeing with it for every way of cutting the input.
#include "tokenizer/chat/reasoning.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace r1::tokenizer {
namespace {

ReasoningSplit stream(std::string_view text, const std::vector<size_t>& cuts,
                      bool starts_in_reasoning) {
  ReasoningSplitter splitter(starts_in_reasoning);
  ReasoningSplit out;
  size_t prev = 0;
  auto add = [&out](const ReasoningDelta& d) {
    out.reasoning += d.reasoning_delta;
    out.content += d.content_delta;
  };
  for (size_t cut : cuts) {
    add(splitter.push(text.substr(prev, cut - prev)));
    prev = cut;
  }
  add(splitter.push(text.substr(prev)));
  add(splitter.finish());
  return out;
}

void expect_split(std::string_view text, bool starts, std::string_view reasoning,
                  std::string_view content) {
  SCOPED_TRACE(testing::Message() << "text='" << text << "' starts=" << starts);
  ReasoningSplit s = split_reasoning(text, starts);
  EXPECT_EQ(s.reasoning, reasoning);
  EXPECT_EQ(s.content, content);
}

TEST(SplitReasoning, Rules) {
  // R1: the prompt pre-fills "<think>\n", the model emits only "</think>".
  expect_split("Let me think.\n</think>\n\nAnswer.", true, "Let me think.", "Answer.");
  // The model opens the block itself (Qwen3), after optional whitespace.
  expect_split("<think>\nplan\n</think>\n\nDone", false, "plan", "Done");
  expect_split("\n <think>plan</think>Done", false, "plan", "Done");
  // Redundant open tag when already in reasoning.
  expect_split("<think>\nplan</think>x", true, "plan", "x");
  // No think block: content verbatim.
  expect_split("  Hello <b>world</b>\n", false, "", "  Hello <b>world</b>\n");
  expect_split("a < b and <thin", false, "", "a < b and <thin");
  expect_split("x <think>y</think>", false, "", "x <think>y</think>");
  // Never closed: all reasoning (trimmed).
  expect_split("still thinking\n", true, "still thinking", "");
  expect_split("<think>\nstill", false, "still", "");
  expect_split("<thi", true, "<thi", "");
  expect_split("abc </thi", true, "abc </thi", "");
  // Empty and whitespace-only reasoning.
  expect_split("<think>\n\n</think>\n\nHi", false, "", "Hi");
  expect_split("</think>", true, "", "");
  expect_split("", true, "", "");
  expect_split("", false, "", "");
  expect_split(" \n", false, "", " \n");
  // Only the first "</think>" closes; later tags are content.
  expect_split("r</think>c</think>d<think>e", true, "r", "c</think>d<think>e");
  // Inner whitespace and unicode preserved.
  expect_split("<think> a \n b </think> 世界 \n", false, "a \n b", "世界 \n");
}

TEST(SplitReasoning, PromptOpensReasoning) {
  EXPECT_TRUE(prompt_opens_reasoning("<｜User｜>hi<｜Assistant｜><think>\n"));
  EXPECT_TRUE(prompt_opens_reasoning("...<think>"));
  EXPECT_FALSE(prompt_opens_reasoning("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
  EXPECT_FALSE(prompt_opens_reasoning("<|im_start|>assistant\n"));
}

const std::vector<std::string> kSamples = {
    "Let me think.\n</think>\n\nAnswer.",
    "<think>\nplan step 1\nstep 2 \n</think>\n\nDone < done",
    "\n <think> x </think>  y ",
    "a < b and <thin and </thin",
    "<thi",
    "<think",
    "<think>",
    "</think>",
    "<<think>>x<</think>>",
    "r</think>c</think>d<think>e",
    "   \n\t ",
    "<think>\n思考 🌍\n</think>\n\nこんにちは",
    "no tags at all, just text\n",
    "never closed <think> block \n\n",
    "</th</think</think>\n x",
    "<think></think>",
    "",
};

TEST(ReasoningSplitter, EverySingleAndDoubleCutMatchesSplit) {
  for (bool starts : {false, true}) {
    for (const std::string& s : kSamples) {
      SCOPED_TRACE(testing::Message() << "text='" << s << "' starts=" << starts);
      ReasoningSplit want = split_reasoning(s, starts);
      for (size_t i = 0; i <= s.size(); ++i) {
        for (size_t j = i; j <= s.size(); ++j) {
          ReasoningSplit got = stream(s, {i, j}, starts);
          ASSERT_EQ(got.reasoning, want.reasoning) << "cuts " << i << "," << j;
          ASSERT_EQ(got.content, want.content) << "cuts " << i << "," << j;
        }
      }
    }
  }
}

TEST(ReasoningSplitter, ByteByByteAndRandomChunkings) {
  std::mt19937 rng(1234);
  for (bool starts : {false, true}) {
    for (const std::string& s : kSamples) {
      SCOPED_TRACE(testing::Message() << "text='" << s << "' starts=" << starts);
      ReasoningSplit want = split_reasoning(s, starts);
      std::vector<size_t> every;
      for (size_t i = 1; i < s.size(); ++i) every.push_back(i);
      ReasoningSplit got = stream(s, every, starts);
      EXPECT_EQ(got.reasoning, want.reasoning);
      EXPECT_EQ(got.content, want.content);
      for (int trial = 0; trial < 200; ++trial) {
        std::vector<size_t> cuts;
        for (size_t i = 1; i < s.size(); ++i) {
          if (rng() % 3 == 0) cuts.push_back(i);
        }
        got = stream(s, cuts, starts);
        ASSERT_EQ(got.reasoning, want.reasoning) << "trial " << trial;
        ASSERT_EQ(got.content, want.content) << "trial " << trial;
      }
    }
  }
}

TEST(ReasoningSplitter, RandomTextsFromTagFragments) {
  const std::vector<std::string> atoms = {"<think>", "</think>", "<", "</", "<th",
                                          "</thi", ">", "k", " ", "\n", "a", "é"};
  std::mt19937 rng(99);
  for (int n = 0; n < 2000; ++n) {
    std::string s;
    size_t len = rng() % 10;
    for (size_t i = 0; i < len; ++i) s += atoms[rng() % atoms.size()];
    bool starts = rng() % 2 == 0;
    ReasoningSplit want = split_reasoning(s, starts);
    std::vector<size_t> cuts;
    for (size_t i = 1; i < s.size(); ++i) {
      if (rng() % 2 == 0) cuts.push_back(i);
    }
    ReasoningSplit got = stream(s, cuts, starts);
    ASSERT_EQ(got.reasoning, want.reasoning) << "text='" << s << "' starts=" << starts;
    ASSERT_EQ(got.content, want.content) << "text='" << s << "' starts=" << starts;
  }
}

TEST(ReasoningSplitter, WellFormedOutputHasNoTags) {
  const std::vector<std::pair<std::string, bool>> inputs = {
      {"<think>\nA\n</think>\n\nB", false},
      {"A\n</think>\n\nB", true},
      {"<think>A</think>B", true},
  };
  for (const auto& [s, starts] : inputs) {
    std::vector<size_t> every;
    for (size_t i = 1; i < s.size(); ++i) every.push_back(i);
    ReasoningSplit got = stream(s, every, starts);
    EXPECT_EQ(got.reasoning, "A");
    EXPECT_EQ(got.content, "B");
  }
}

TEST(ReasoningSplitter, ReleasesEarlyAndHoldsOnlyAmbiguousText) {
  ReasoningSplitter sp(true);
  EXPECT_TRUE(sp.in_reasoning());
  auto d = sp.push("\nStep one. ");
  EXPECT_EQ(d.reasoning_delta, "Step one.");  // trailing space held
  d = sp.push("Step two <");
  EXPECT_EQ(d.reasoning_delta, " Step two");  // " <" held: may be "</think>"
  d = sp.push("b>");
  EXPECT_EQ(d.reasoning_delta, " <b>");  // not a tag after all
  d = sp.push("</thi");
  EXPECT_TRUE(d.empty());
  d = sp.push("nk>\n\nThe ");
  EXPECT_EQ(d.reasoning_delta, "");
  EXPECT_EQ(d.content_delta, "The ");
  EXPECT_FALSE(sp.in_reasoning());
  d = sp.push("answer <thin");
  EXPECT_EQ(d.content_delta, "answer <thin");  // content is never held
  d = sp.finish();
  EXPECT_TRUE(d.empty());
  EXPECT_TRUE(sp.finished());
}

TEST(ReasoningSplitter, PrefixIsHeldThenReleasedAsContent) {
  ReasoningSplitter sp(false);
  EXPECT_TRUE(sp.push(" <thi").empty());
  auto d = sp.push("s is html");
  EXPECT_EQ(d.content_delta, " <this is html");
  ReasoningSplitter partial(false);
  EXPECT_TRUE(partial.push("<thin").empty());
  d = partial.finish();
  EXPECT_EQ(d.content_delta, "<thin");
}

TEST(ReasoningSplitter, NeverClosedEndsAsReasoning) {
  ReasoningSplitter sp(false);
  auto d = sp.push("<think>\nhmm, ");
  EXPECT_EQ(d.reasoning_delta, "hmm,");
  EXPECT_TRUE(sp.in_reasoning());
  d = sp.push("more </th");
  EXPECT_EQ(d.reasoning_delta, " more");
  d = sp.finish();
  EXPECT_EQ(d.reasoning_delta, " </th");
  EXPECT_EQ(d.content_delta, "");
}

TEST(ReasoningSplitter, ResetStartsOver) {
  ReasoningSplitter sp(true);
  (void)sp.push("a</think>b");
  (void)sp.finish();
  sp.reset(false);
  auto d = sp.push("plain");
  EXPECT_EQ(d.content_delta, "plain");
}

}  // namespace
}  // namespace r1::tokenizer
