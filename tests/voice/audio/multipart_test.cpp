// multipart/form-data: boundaries, CRLF handling, preamble and epilogue,
// binary data with boundary-like text, limits, repeated names.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "voice/audio/multipart.h"

namespace r1::voice {
namespace {

const std::string kType = "multipart/form-data; boundary=XyZ";

std::string field(const std::string& name, const std::string& value, const std::string& extra = "") {
  return "--XyZ\r\nContent-Disposition: form-data; name=\"" + name + "\"" + extra + "\r\n\r\n" + value + "\r\n";
}

bool inside(std::string_view part, std::string_view body) {
  return part.data() >= body.data() && part.data() + part.size() <= body.data() + body.size();
}

TEST(MultipartTest, OpenAiTranscriptionForm) {
  std::string audio = std::string("RIFF\0\0\0\0WAVE", 12) + "\r\n--XyZ-not-a-boundary\r\n--X\r\n\0\xFF";
  const std::string body = "preamble, ignored\r\n" +
                           field("file", audio, "; filename=\"a b.wav\"\r\nContent-Type: audio/wav") +
                           field("model", "whisper-1") + field("timestamp_granularities[]", "word") +
                           field("timestamp_granularities[]", "segment") + field("empty", "") +
                           "--XyZ--\r\nepilogue --XyZ\r\n";
  Result<MultipartForm> form = parse_multipart(kType, body);
  ASSERT_TRUE(form.ok()) << form.error().to_string();
  ASSERT_EQ(form->parts.size(), 5u);
  const MultipartPart* file = form->first("file");
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->data, audio);
  EXPECT_TRUE(file->has_filename);
  EXPECT_EQ(file->filename, "a b.wav");
  EXPECT_EQ(file->content_type, "audio/wav");
  EXPECT_EQ(form->first("model")->data, "whisper-1");
  EXPECT_FALSE(form->first("model")->has_filename);
  EXPECT_EQ(form->values("timestamp_granularities[]"), (std::vector<std::string_view>{"word", "segment"}));
  EXPECT_EQ(form->all("timestamp_granularities[]").size(), 2u);
  EXPECT_EQ(form->first("empty")->data, "");
  EXPECT_EQ(form->first("missing"), nullptr);
  EXPECT_TRUE(form->values("missing").empty());
  for (const MultipartPart& p : form->parts) EXPECT_TRUE(inside(p.data, body));
}

TEST(MultipartTest, Boundaries) {
  EXPECT_EQ(*multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(*multipart_boundary("Multipart/Form-Data;boundary=\"a b:c\""), "a b:c");
  EXPECT_EQ(*multipart_boundary("multipart/form-data; charset=utf-8; BOUNDARY=----WebKitFormBoundary7MA4YWxk"),
            "----WebKitFormBoundary7MA4YWxk");
  EXPECT_EQ(*multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'b')), std::string(70, 'b'));
  const std::vector<std::string> bad = {
      "application/json",
      "multipart/form-data",
      "multipart/form-data; boundary=",
      "multipart/form-data; boundary=\"\"",
      "multipart/form-data; boundary=" + std::string(71, 'b'),
      "multipart/form-data; boundary=\"ends in space \"",
      "multipart/form-data; boundary=\"unterminated",
      "multipart/form-data; boundary=semi{colon}",
      "multipart/mixed; boundary=abc",
  };
  for (const std::string& h : bad) {
    Result<std::string> r = multipart_boundary(h);
    ASSERT_FALSE(r.ok()) << h;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_FALSE(parse_multipart(h, field("a", "1") + "--XyZ--").ok());
  }
}

TEST(MultipartTest, QuotedBoundaryAndCaseInsensitiveHeaders) {
  const std::string body =
      "--a b\r\ncontent-disposition: FORM-DATA; NAME=\"q\\\"uote\"; FileName=x.bin\r\n"
      "CONTENT-TYPE:  application/octet-stream  \r\nX-Other: ignored\r\n\r\n1\r\n--a b--";
  Result<MultipartForm> form = parse_multipart("multipart/form-data; boundary=\"a b\"", body);
  ASSERT_TRUE(form.ok()) << form.error().to_string();
  ASSERT_EQ(form->parts.size(), 1u);
  EXPECT_EQ(form->parts[0].name, "q\"uote");
  EXPECT_EQ(form->parts[0].filename, "x.bin");
  EXPECT_EQ(form->parts[0].content_type, "application/octet-stream");
  EXPECT_EQ(form->parts[0].data, "1");
}

TEST(MultipartTest, TransportPaddingAndNoParts) {
  Result<MultipartForm> padded = parse_multipart(kType, "--XyZ \t\r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--XyZ--");
  ASSERT_TRUE(padded.ok()) << padded.error().to_string();
  EXPECT_EQ(padded->first("a")->data, "v");
  Result<MultipartForm> none = parse_multipart(kType, "--XyZ--\r\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->parts.empty());
  // "--XyZX" is not the delimiter: all of it up to the close is preamble.
  Result<MultipartForm> pre = parse_multipart(kType, "--XyZX\r\n" + field("a", "1").substr(7) + "--XyZ--");
  ASSERT_TRUE(pre.ok());
  EXPECT_TRUE(pre->parts.empty());
}

TEST(MultipartTest, BareLfIsNotALineBreak) {
  // With LF only, no header block ends: an error, not a misparse.
  Result<MultipartForm> r = parse_multipart(kType, "--XyZ\nContent-Disposition: form-data; name=a\n\nv\n--XyZ--");
  EXPECT_FALSE(r.ok());
}

TEST(MultipartTest, MalformedBodies) {
  struct Case {
    std::string body;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {"", "no boundary"},
      {"no delimiter at all", "no boundary"},
      {field("a", "1"), "closing boundary"},
      {field("a", "1") + "--XyZ", "closing boundary"},  // the last delimiter lacks CRLF or --
      {field("a", "1") + "--XyZ\r\n", "headers do not end"},
      {field("a", "1") + "--XyZ\r\n\r\nv\r\n--XyZ--", "no headers"},
      {"--XyZ\r\nContent-Disposition: form-data; name=a\r\n", "headers do not end"},
      {"--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--", "no Content-Disposition"},
      {"--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\nv\r\n--XyZ--", "not form-data"},
      {"--XyZ\r\nContent-Disposition: form-data; filename=a\r\n\r\nv\r\n--XyZ--", "no name"},
      {"--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--XyZ--", "malformed"},
      {"--XyZ\r\nno colon here\r\n\r\nv\r\n--XyZ--", "malformed part header"},
  };
  for (const Case& c : cases) {
    Result<MultipartForm> r = parse_multipart(kType, c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.error().code, ErrorCode::kCorrupt) << c.body;
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos) << c.body << " -> " << r.error().message;
  }
}

TEST(MultipartTest, Limits) {
  std::string body;
  for (int i = 0; i < 5; ++i) body += field("f" + std::to_string(i), "v");
  body += "--XyZ--";
  EXPECT_EQ(parse_multipart(kType, body, {.max_parts = 5})->parts.size(), 5u);
  Result<MultipartForm> many = parse_multipart(kType, body, {.max_parts = 4});
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().code, ErrorCode::kOutOfRange);
  const std::string long_header = field("a", "v", "\r\nX-Pad: " + std::string(9000, 'p')) + "--XyZ--";
  Result<MultipartForm> big = parse_multipart(kType, long_header);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, ErrorCode::kOutOfRange);
  EXPECT_TRUE(parse_multipart(kType, long_header, {.max_header_bytes = 10000}).ok());
  // A header block that never ends, longer than the limit: a limit error too.
  Result<MultipartForm> endless = parse_multipart(kType, "--XyZ\r\nX: " + std::string(20000, 'h'));
  ASSERT_FALSE(endless.ok());
  EXPECT_EQ(endless.error().code, ErrorCode::kOutOfRange);
}

}  // namespace
}  // namespace r1::voice
