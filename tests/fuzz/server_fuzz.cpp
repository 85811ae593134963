// libFuzzer entry: the OpenAI request parsers over arbitrary bytes must
// return a request or an OpenAI-style error, never crash, hang, throw or
// allocate beyond a constant factor of the input. Every result is rendered
// and the error bodies must be valid JSON. Seeds: tests/fuzz/corpus/server/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/api/openai_render.h"
#include "server/api/openai_types.h"

namespace {

using r1::server::ApiRequest;
using r1::server::ApiResult;

void check(const ApiResult<ApiRequest>& r) {
  if (!r.ok()) {
    CHECK(!r.error().message.empty());
    CHECK(r.error().http_status >= 400 && r.error().http_status < 600);
    const std::string body = r1::server::render_error(r.error());
    CHECK(!nlohmann::json::parse(body, nullptr, false).is_discarded()) << body;
    return;
  }
  const r1::server::GenerationRequest& g = r.value().generation;
  CHECK(g.max_tokens == -1 || (g.max_tokens >= 1 && g.max_tokens <= 131072));
  CHECK(g.top_logprobs >= 0 && g.top_logprobs <= r1::server::kMaxTopLogprobs);
  CHECK(g.stop.size() <= r1::server::kMaxStopStrings);
  CHECK(g.is_chat() || !g.prompt_text.empty() || !g.prompt_tokens.empty());
  r1::server::Completed done;
  for (const auto& m : g.messages) done.content += m.content;
  done.reasoning = g.prompt_text;
  const r1::server::ResponseMeta meta{r.value().endpoint, "id", 0, "m"};
  const std::string body = r1::server::render_completed(meta, done);
  CHECK(!nlohmann::json::parse(body, nullptr, false).is_discarded());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  r1::server::ParseLimits limits;
  limits.model_id = "r1";
  check(r1::server::parse_chat_request(body, limits));
  check(r1::server::parse_completion_request(body, limits));
  check(r1::server::parse_predict_request(body, limits));
  return 0;
}
