// The worker side of stream continuation (src/gateway/continuation.h) over
// real HTTP against the FakeBackend: "r1_include_token_ids" puts
// "r1_token_ids" on every chunk, held-back tokens ride with the chunk that
// carries their text, and "resume_tokens" reaches the backend.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "test_server.h"

namespace r1::server::test {
namespace {

using Json = nlohmann::json;
using Ids = std::vector<int32_t>;

// The chunks of a streamed response (without [DONE]).
std::vector<Json> chunks_of(const ClientResponse& r) {
  EXPECT_EQ(r.status, 200) << r.body;
  std::vector<Json> out;
  for (const std::string& d : sse_data(r.body)) {
    if (d != "[DONE]") out.push_back(parse_json(d));
  }
  return out;
}

Ids ids_of(const Json& chunk) {
  EXPECT_TRUE(chunk.contains("r1_token_ids")) << chunk.dump();
  return chunk.value("r1_token_ids", Ids{});
}

Ids all_ids(const std::vector<Json>& chunks) {
  Ids all;
  for (const Json& c : chunks) {
    const Ids ids = ids_of(c);
    all.insert(all.end(), ids.begin(), ids.end());
  }
  return all;
}

std::string text_of(const Json& chunk) {
  if (!chunk.contains("choices") || chunk["choices"].empty()) return "";
  const Json& c = chunk["choices"][0];
  if (c.contains("text")) return c["text"].get<std::string>();
  const Json& d = c["delta"];
  return d.value("reasoning_content", std::string()) + d.value("content", std::string());
}

Ids range(int32_t from, int32_t to) {
  Ids out;
  for (int32_t i = from; i < to; ++i) out.push_back(i);
  return out;
}

const char* kStreamIds = R"("stream":true,"r1_include_token_ids":true)";

TEST(TokenIds, EveryChunkCarriesIdsAndTheyConcatenateToTheScript) {
  TestServer s;
  const std::string extra = std::string(kStreamIds) + R"(,"stream_options":{"include_usage":true})";
  const std::vector<Json> chunks = chunks_of(s.post("/v1/chat/completions", chat_body(extra)));
  ASSERT_GE(chunks.size(), 3u);
  EXPECT_EQ(all_ids(chunks), range(100, 110));
  // <think> (no visible text) goes with the role chunk; "</think>" and
  // "\n\n" with the first content chunk.
  EXPECT_EQ(ids_of(chunks[0]), Ids{100});
  bool saw_the = false;
  for (const Json& c : chunks) {
    if (text_of(c) == "The") {
      saw_the = true;
      EXPECT_EQ(ids_of(c), (Ids{104, 105, 106}));
    }
    if (text_of(c) == " me") {
      EXPECT_EQ(ids_of(c), Ids{102});
    }
  }
  EXPECT_TRUE(saw_the);
  EXPECT_TRUE(ids_of(chunks.back()).empty());  // the usage chunk
}

TEST(TokenIds, AbsentUnlessRequested) {
  TestServer s;
  for (const Json& c : chunks_of(s.post("/v1/chat/completions", chat_body(R"("stream":true)")))) {
    EXPECT_FALSE(c.contains("r1_token_ids")) << c.dump();
  }
  const ClientResponse r =
      s.post("/v1/chat/completions", chat_body(R"("r1_include_token_ids":true)"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(parse_json(r.body).contains("r1_token_ids"));
}

TEST(TokenIds, HeldBackTokensRideWithTheTextThatCompletesThem) {
  using K = FakePiece::Kind;
  FakeBackendConfig fake;
  fake.script = {{"A", K::kContent}, {"", K::kContent}, {"", K::kContent}, {"B", K::kContent},
                 {"C", K::kContent}, {"", K::kContent}};
  TestServer s(fake);
  const std::vector<Json> chunks =
      chunks_of(s.post("/v1/chat/completions", chat_body(kStreamIds)));
  std::string text;
  Ids ids;
  for (const Json& c : chunks) {
    text += text_of(c);
    const Ids got = ids_of(c);
    ids.insert(ids.end(), got.begin(), got.end());
    if (text == "A") {
      EXPECT_EQ(ids, Ids{100});
    }
    if (text == "AB") {
      EXPECT_EQ(ids, (Ids{100, 101, 102, 103}));
    }
    if (text == "ABC" && c["choices"][0]["finish_reason"].is_null()) {
      EXPECT_EQ(ids, (Ids{100, 101, 102, 103, 104}));
    }
  }
  EXPECT_EQ(text, "ABC");
  EXPECT_EQ(ids, range(100, 106));  // the finish chunk reports the rest
}

TEST(TokenIds, CompletionsStreamCarriesIds) {
  TestServer s;
  const std::vector<Json> chunks = chunks_of(
      s.post("/v1/completions", R"({"prompt":"2+2?","stream":true,"r1_include_token_ids":true})"));
  EXPECT_EQ(all_ids(chunks), range(100, 110));
  EXPECT_EQ(ids_of(chunks[0]), Ids{100});
  EXPECT_EQ(text_of(chunks[0]), "<think>");
}

TEST(TokenIds, ResumeTokensReachTheBackendAndAreNotReEmitted) {
  TestServer s;
  const std::string extra = std::string(kStreamIds) + R"(,"resume_tokens":[100,101,102])";
  const std::vector<Json> chunks = chunks_of(s.post("/v1/chat/completions", chat_body(extra)));
  EXPECT_EQ(s.backend->last_request().resume_tokens, (Ids{100, 101, 102}));
  EXPECT_EQ(all_ids(chunks), range(103, 110));
  std::string text;
  for (const Json& c : chunks) text += text_of(c);
  EXPECT_EQ(text, " think.The answer is 4.");
}

TEST(TokenIds, InvalidFieldsAre400) {
  TestServer s;
  for (const char* extra : {R"("r1_include_token_ids":"yes")", R"("r1_include_token_ids":1)",
                            R"("resume_tokens":[-1])", R"("resume_tokens":"1,2")",
                            R"("resume_tokens":[1.5])", R"("resume_tokens":[4294967296])"}) {
    const ClientResponse r = s.post("/v1/chat/completions", chat_body(extra));
    EXPECT_EQ(r.status, 400) << extra << " " << r.body;
    EXPECT_TRUE(is_openai_error(r.body)) << r.body;
  }
  EXPECT_EQ(s.backend->submitted(), 0);
}

}  // namespace
}  // namespace r1::server::test
