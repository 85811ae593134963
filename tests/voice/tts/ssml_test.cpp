// The SSML subset parser: elements, values, entities, nesting, errors.
#include "voice/tts/ssml.h"

#include <gtest/gtest.h>

#include <cmath>

namespace r1::voice {
namespace {

std::vector<SsmlSegment> parse_ok(const std::string& doc) {
  Result<std::vector<SsmlSegment>> r = parse_ssml(doc);
  EXPECT_TRUE(r.ok()) << doc << ": " << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? *r : std::vector<SsmlSegment>{};
}

std::string parse_error(const std::string& doc, const SsmlLimits& limits = {}) {
  Result<std::vector<SsmlSegment>> r = parse_ssml(doc, limits);
  EXPECT_FALSE(r.ok()) << doc;
  if (r.ok()) return "";
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  return r.error().message;
}

TEST(Ssml, PlainTextAndSpeakRoot) {
  for (const std::string doc : {"Hello   world", "<speak>Hello world</speak>",
                                "<?xml version=\"1.0\"?>\n<speak version=\"1.1\" xml:lang=\"en-US\">"
                                "  Hello <!-- a comment --> world </speak>\n"}) {
    const std::vector<SsmlSegment> s = parse_ok(doc);
    ASSERT_EQ(s.size(), 1u) << doc;
    EXPECT_EQ(s[0].text, "Hello world") << doc;
    EXPECT_EQ(s[0].break_ms, 0);
    EXPECT_EQ(s[0].rate, 1.0);
  }
}

TEST(Ssml, Entities) {
  const std::vector<SsmlSegment> s =
      parse_ok("<speak>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#65;&#x42; &#x4F60;</speak>");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].text, "a & b <c> \"d\" 'e' AB \xe4\xbd\xa0");
  EXPECT_NE(parse_error("a &nbsp; b").find("unknown entity"), std::string::npos);
  EXPECT_NE(parse_error("a & b").find("at byte 2"), std::string::npos);
  parse_error("&#0;");
  parse_error("&#xD800;");
  parse_error("&#x110000;");
  parse_error("&#12a;");
}

TEST(Ssml, Breaks) {
  const std::vector<SsmlSegment> s = parse_ok(
      "<speak>one<break time=\"300ms\"/>two<break time='1.5s'/>three<break strength=\"strong\"/>"
      "four<break/>five <break strength=\"none\"/>six<break time=\"99s\"/></speak>");
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0].text, "one");
  EXPECT_EQ(s[0].break_ms, 300);
  EXPECT_EQ(s[1].break_ms, 1500);
  EXPECT_EQ(s[2].break_ms, 700);
  EXPECT_EQ(s[3].break_ms, 400);
  EXPECT_EQ(s[4].text, "five six");
  EXPECT_EQ(s[4].break_ms, kMaxBreakMs);  // clamped
  const std::vector<SsmlSegment> lead = parse_ok("<break time=\"200ms\"/>after");
  ASSERT_EQ(lead.size(), 2u);
  EXPECT_EQ(lead[0].text, "");
  EXPECT_EQ(lead[0].break_ms, 200);
  for (const std::string bad : {"<break time=\"300\"/>", "<break time=\"-1s\"/>",
                                "<break time=\"1e3ms\"/>", "<break time=\"nanms\"/>",
                                "<break strength=\"loud\"/>"}) {
    EXPECT_NE(parse_error(bad).find("break"), std::string::npos) << bad;
  }
}

TEST(Ssml, ProsodyNestsAndComposes) {
  const std::vector<SsmlSegment> s = parse_ok(
      "<speak>a<prosody rate=\"50%\" pitch=\"+2st\" volume=\"-6dB\">b"
      "<prosody rate=\"x-fast\" pitch=\"-1st\" volume=\"+6dB\">c</prosody>d</prosody>e</speak>");
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0].text, "a");
  EXPECT_EQ(s[1].text, "b");
  EXPECT_DOUBLE_EQ(s[1].rate, 0.5);
  EXPECT_DOUBLE_EQ(s[1].pitch, 2);
  EXPECT_NEAR(s[1].volume, 0.501, 0.001);
  EXPECT_DOUBLE_EQ(s[2].rate, 2.0);  // a keyword sets the level
  EXPECT_DOUBLE_EQ(s[2].pitch, 1);   // semitones add
  EXPECT_NEAR(s[2].volume, 1.0, 0.001);
  EXPECT_EQ(s[3].text, "d");
  EXPECT_DOUBLE_EQ(s[3].rate, 0.5);
  EXPECT_EQ(s[4].text, "e");
  EXPECT_DOUBLE_EQ(s[4].rate, 1.0);
}

TEST(Ssml, ProsodyValues) {
  auto one = [](const std::string& attrs) {
    const std::vector<SsmlSegment> s = parse_ok("<prosody " + attrs + ">x</prosody>");
    return s.empty() ? SsmlSegment{} : s[0];
  };
  EXPECT_DOUBLE_EQ(one("rate=\"slow\"").rate, 0.75);
  EXPECT_DOUBLE_EQ(one("rate=\"150%\"").rate, 1.5);
  EXPECT_DOUBLE_EQ(one("rate=\"1000%\"").rate, 4.0);  // clamped
  EXPECT_DOUBLE_EQ(one("rate=\"0%\"").rate, 0.25);
  EXPECT_DOUBLE_EQ(one("pitch=\"x-high\"").pitch, 8);
  EXPECT_NEAR(one("pitch=\"+100%\"").pitch, 12, 1e-9);
  EXPECT_NEAR(one("pitch=\"50%\"").pitch, -12, 1e-9);
  EXPECT_NEAR(one("pitch=\"-50%\"").pitch, -12, 1e-9);
  EXPECT_DOUBLE_EQ(one("pitch=\"+30st\"").pitch, 12);  // clamped
  EXPECT_DOUBLE_EQ(one("volume=\"silent\"").volume, 0);
  EXPECT_DOUBLE_EQ(one("volume=\"x-loud\"").volume, 2);
  EXPECT_DOUBLE_EQ(one("volume=\"+60dB\"").volume, 4);  // clamped
  for (const std::string bad : {"rate=\"quick\"", "rate=\"-5%\"", "pitch=\"200Hz\"",
                                "pitch=\"+st\"", "volume=\"6dB\"", "volume=\"loudest\""}) {
    EXPECT_NE(parse_error("<prosody " + bad + ">x</prosody>").find("bad prosody"),
              std::string::npos)
        << bad;
  }
}

TEST(Ssml, SentencesParagraphsAndUnknownTags) {
  const std::vector<SsmlSegment> s = parse_ok(
      "<speak><p><s>First <emphasis level=\"strong\">one</emphasis>.</s><s>Second "
      "<say-as interpret-as=\"digits\">42</say-as>.</s></p>"
      "<p>Third<![CDATA[ <raw> & ]]>end</p></speak>");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].text, "First one.");
  EXPECT_EQ(s[0].break_ms, kSentenceBreakMs);
  EXPECT_EQ(s[1].text, "Second 42.");
  EXPECT_EQ(s[1].break_ms, kSentenceBreakMs + kParagraphBreakMs);
  EXPECT_EQ(s[2].text, "Third <raw> & end");
  EXPECT_EQ(s[2].break_ms, kParagraphBreakMs);
}

TEST(Ssml, NewlinesSurviveAsClauseBoundaries) {
  const std::vector<SsmlSegment> s = parse_ok("<speak>line one \n  line two</speak>");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].text, "line one\nline two");
}

TEST(Ssml, MalformedMarkupNamesThePosition) {
  EXPECT_NE(parse_error("<speak>hello").find("<speak> is never closed at byte 0"), std::string::npos);
  EXPECT_NE(parse_error("<speak>a</prosody></speak>").find("</prosody> closes <speak>"),
            std::string::npos);
  EXPECT_NE(parse_error("a</s>").find("closes nothing at byte 1"), std::string::npos);
  EXPECT_NE(parse_error("<speak>a</speak>b").find("after </speak>"), std::string::npos);
  EXPECT_NE(parse_error("<speak><speak>a</speak></speak>").find("root"), std::string::npos);
  for (const std::string bad :
       {"<", "<>", "< speak>", "<speak", "<speak a>", "<speak a=b>", "<speak a=\"b>",
        "<speak a=\"1\" a=\"2\">x</speak>", "<speak a=\"<\">x</speak>", "<!-- open", "<?xml",
        "<![CDATA[ open", "<!DOCTYPE speak>", "<break time=\"1s\"x=\"1\"/>", "</>",
        "<prosody rate=\"slow\">x</prosody "}) {
    const std::string msg = parse_error(bad);
    EXPECT_NE(msg.find("at byte"), std::string::npos) << bad << " -> " << msg;
  }
}

TEST(Ssml, Limits) {
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "<prosody>";
  EXPECT_NE(parse_error(deep + "x").find("nesting deeper than 32"), std::string::npos);
  SsmlLimits small;
  small.max_bytes = 10;
  EXPECT_NE(parse_error("<speak>too long</speak>", small).find("longer than 10"), std::string::npos);
  small = {};
  small.max_segments = 3;
  EXPECT_NE(parse_error("a<break/>b<break/>c<break/>d<break/>", small).find("segments"),
            std::string::npos);
}

TEST(Ssml, PlainSegments) {
  EXPECT_TRUE(plain_segments(" \n\t ").empty());
  const std::vector<SsmlSegment> s = plain_segments("  a <b> &amp;\tc\n\nd ");
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].text, "a <b> &amp; c\nd");
}

}  // namespace
}  // namespace r1::voice
