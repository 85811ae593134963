// Clause splitting, the synthesis plan and silence trimming.
#include <gtest/gtest.h>

#include "voice/tts/flite/silence_trim.h"
#include "voice/tts/synthesis_plan.h"
#include "voice/tts/text_split.h"

namespace r1::voice {
namespace {

std::vector<std::string> texts(const std::vector<Clause>& cs) {
  std::vector<std::string> out;
  for (const Clause& c : cs) out.push_back(c.text);
  return out;
}

TEST(TextSplit, SplitsAtPunctuationAndNewlines) {
  ClauseOptions o;
  o.first_words = 0;
  EXPECT_EQ(texts(split_clauses("Hello there, my friend. How are you? Fine; thanks: yes!", o)),
            (std::vector<std::string>{"Hello there,", "my friend.", "How are you?", "Fine; thanks:",
                                      "yes!"}));
  EXPECT_EQ(texts(split_clauses("first line here\nsecond line here", o)),
            (std::vector<std::string>{"first line here", "second line here"}));
  // No split inside numbers or abbreviations without a blank after them.
  EXPECT_EQ(texts(split_clauses("It costs 3.50 dollars,ok", o)),
            (std::vector<std::string>{"It costs 3.50 dollars,ok"}));
  EXPECT_TRUE(split_clauses("   ", o).empty());
}

TEST(TextSplit, ShortClausesJoinTheNext) {
  ClauseOptions o;
  o.first_words = 0;
  EXPECT_EQ(texts(split_clauses("Yes, no, maybe so. Alright then.", o)),
            (std::vector<std::string>{"Yes, no,", "maybe so.", "Alright then."}));
  EXPECT_EQ(texts(split_clauses("A, b, c, d. Ok.", o)), (std::vector<std::string>{"A, b, c,", "d. Ok."}));
}

TEST(TextSplit, LongClausesSplitAtBlanks) {
  ClauseOptions o;
  o.first_words = 0;
  o.max_chars = 20;
  const std::vector<Clause> cs = split_clauses("one two three four five six seven eight nine", o);
  ASSERT_GE(cs.size(), 3u);
  for (size_t i = 0; i < cs.size(); ++i) {
    EXPECT_LE(cs[i].text.size(), 20u);
    EXPECT_EQ(cs[i].soft_end, i + 1 < cs.size());
  }
  const std::vector<Clause> word = split_clauses(std::string(50, 'x'), o);
  EXPECT_EQ(word.size(), 3u);
}

TEST(TextSplit, FirstClauseIsCutShort) {
  const std::vector<Clause> cs =
      split_clauses("The quick brown fox jumps over the lazy dog. Then it sleeps.");
  EXPECT_EQ(texts(cs), (std::vector<std::string>{"The quick brown fox jumps",
                                                 "over the lazy dog.", "Then it sleeps."}));
  EXPECT_TRUE(cs[0].soft_end);
  EXPECT_FALSE(cs[1].soft_end);
  // A tail of one or two words stays.
  EXPECT_EQ(split_clauses("one two three four five six seven.").size(), 1u);
}

TEST(SynthesisPlan, ComposesProsodyAndBreaks) {
  SynthesisParams p;
  p.rate = 2.0;
  p.pitch = 10;
  p.volume = 0.5;
  p.ssml = true;
  Result<std::vector<Piece>> plan = plan_pieces(
      "<speak>Hi there. <prosody rate=\"x-fast\" pitch=\"+5st\">Fast, high words.</prosody>"
      "<break time=\"250ms\"/></speak>", p, nullptr);
  ASSERT_TRUE(plan.ok());
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_EQ((*plan)[0].rate, 2.0);
  EXPECT_EQ((*plan)[1].rate, 4.0);    // 2 x 2
  EXPECT_EQ((*plan)[1].pitch, 12.0);  // 10 + 5, clamped
  EXPECT_EQ((*plan)[1].volume, 0.5);
  EXPECT_EQ((*plan)[1].break_ms, 250);
  ClauseOptions o;
  Result<std::vector<Piece>> clauses = plan_pieces(
      "<speak>Hi there, you. <prosody rate=\"x-fast\">Fast, high words.</prosody></speak>", p, &o);
  ASSERT_TRUE(clauses.ok());
  EXPECT_EQ(clauses->size(), 3u);
  p.ssml = false;
  Result<std::vector<Piece>> plain = plan_pieces("a <b> c", p, nullptr);
  ASSERT_TRUE(plain.ok());
  ASSERT_EQ(plain->size(), 1u);
  EXPECT_EQ((*plain)[0].text, "a <b> c");
}

TEST(SilenceTrim, TrimsLeadAndTail) {
  std::vector<int16_t> in(100, 0);
  in.insert(in.end(), 10, 1000);
  in.insert(in.end(), 100, 0);
  for (bool tail : {false, true}) {
    SilenceTrim t(5, true, tail);
    std::vector<int16_t> out;
    for (size_t i = 0; i < in.size(); i += 7) {
      t.feed(std::span(in).subspan(i, std::min<size_t>(7, in.size() - i)), out);
    }
    t.finish(out);
    EXPECT_EQ(out.size(), tail ? 20u : 115u);
    EXPECT_EQ(out[5], 1000);
  }
  SilenceTrim quiet(5, true, false);
  std::vector<int16_t> out;
  quiet.feed(std::vector<int16_t>(50, 0), out);
  quiet.finish(out);
  EXPECT_EQ(out.size(), 5u);
}

}  // namespace
}  // namespace r1::voice
