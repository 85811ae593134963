#include "server/api/openai_render.h"

#include <nlohmann/json.hpp>

namespace r1::server {
namespace {

using Json = nlohmann::json;

// The worker side of src/gateway/continuation.h's kTokenIdsField.
constexpr const char* kTokenIdsKey = "r1_token_ids";

std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string sse(const Json& j) { return "data: " + dump(j) + "\n\n"; }

Json or_null(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

Json bytes_of(const std::string& s) {
  Json b = Json::array();
  for (unsigned char c : s) b.push_back(static_cast<int>(c));
  return b;
}

Json chat_logprob(const TokenLogprob& lp) {
  Json top = Json::array();
  for (const TokenAlternative& a : lp.top) {
    top.push_back({{"token", a.text}, {"logprob", a.logprob}, {"bytes", bytes_of(a.text)}});
  }
  return {{"token", lp.text},
          {"logprob", lp.logprob},
          {"bytes", bytes_of(lp.text)},
          {"top_logprobs", top}};
}

// Legacy completions format.
Json text_logprobs(const std::vector<TokenLogprob>& lps) {
  Json tokens = Json::array(), token_lps = Json::array(), tops = Json::array();
  for (const TokenLogprob& lp : lps) {
    tokens.push_back(lp.text);
    token_lps.push_back(lp.logprob);
    Json top = Json::object();
    for (const TokenAlternative& a : lp.top) top[a.text] = a.logprob;
    tops.push_back(top);
  }
  return {{"tokens", tokens}, {"token_logprobs", token_lps}, {"top_logprobs", tops}};
}

Json logprobs_json(Endpoint endpoint, const std::vector<TokenLogprob>& lps) {
  if (endpoint == Endpoint::kCompletion) return text_logprobs(lps);
  Json content = Json::array();
  for (const TokenLogprob& lp : lps) content.push_back(chat_logprob(lp));
  return {{"content", content}};
}

Json usage_json(const Usage& u) {
  return {{"prompt_tokens", u.prompt_tokens},
          {"completion_tokens", u.completion_tokens},
          {"total_tokens", u.prompt_tokens + u.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", u.cached_prompt_tokens}}}};
}

double per_token(double ms, int64_t n) { return n > 0 ? ms / static_cast<double>(n) : 0.0; }
double per_second(double ms, int64_t n) { return ms > 0 ? 1e3 * static_cast<double>(n) / ms : 0.0; }

Json timings_json(const Timings& t) {
  return {{"prompt_n", t.prompt_n},
          {"prompt_ms", t.prompt_ms},
          {"prompt_per_token_ms", per_token(t.prompt_ms, t.prompt_n)},
          {"prompt_per_second", per_second(t.prompt_ms, t.prompt_n)},
          {"predicted_n", t.predicted_n},
          {"predicted_ms", t.predicted_ms},
          {"predicted_per_token_ms", per_token(t.predicted_ms, t.predicted_n)},
          {"predicted_per_second", per_second(t.predicted_ms, t.predicted_n)},
          {"cache_n", t.cache_n}};
}

Json envelope(const ResponseMeta& meta, bool chunk) {
  const bool chat = meta.endpoint == Endpoint::kChat;
  const char* object = chat ? (chunk ? "chat.completion.chunk" : "chat.completion")
                            : "text_completion";
  return {{"id", meta.id},
          {"object", object},
          {"created", meta.created},
          {"model", meta.model},
          {"system_fingerprint", "r1serve"}};
}

}  // namespace

std::string render_error(const ApiError& e) {
  Json err = {{"message", e.message},
              {"type", e.type},
              {"param", or_null(e.param)},
              {"code", or_null(e.code)}};
  return dump(Json{{"error", err}});
}

std::string render_stream_error(const ApiError& error) {
  return "data: " + render_error(error) + "\n\n";
}

std::string render_stream_delta(const ResponseMeta& meta, const StreamDelta& d) {
  Json out = envelope(meta, true);
  Json choice = {{"index", 0}, {"finish_reason", nullptr}};
  Json lps = nullptr;
  if (d.logprob) lps = logprobs_json(meta.endpoint, {*d.logprob});
  if (meta.endpoint == Endpoint::kChat) {
    Json delta = Json::object();
    if (d.role) {
      delta["role"] = "assistant";
      delta["content"] = "";
    }
    if (!d.reasoning.empty()) delta["reasoning_content"] = d.reasoning;
    if (!d.content.empty()) delta["content"] = d.content;
    choice["delta"] = delta;
  } else {
    choice["text"] = d.content;
  }
  choice["logprobs"] = lps;
  out["choices"] = Json::array({choice});
  if (d.token_ids) out[kTokenIdsKey] = *d.token_ids;
  return sse(out);
}

std::string render_stream_finish(const ResponseMeta& meta, const FinishEvent& finish,
                                 const std::vector<int32_t>* token_ids) {
  Json out = envelope(meta, true);
  Json choice = {{"index", 0},
                 {"logprobs", nullptr},
                 {"finish_reason", finish_reason_name(finish.reason)}};
  if (meta.endpoint == Endpoint::kChat) {
    choice["delta"] = Json::object();
  } else {
    choice["text"] = "";
  }
  out["choices"] = Json::array({choice});
  out["timings"] = timings_json(finish.timings);
  if (token_ids) out[kTokenIdsKey] = *token_ids;
  return sse(out);
}

std::string render_stream_usage(const ResponseMeta& meta, const Usage& usage,
                                const std::vector<int32_t>* token_ids) {
  Json out = envelope(meta, true);
  out["choices"] = Json::array();
  out["usage"] = usage_json(usage);
  if (token_ids) out[kTokenIdsKey] = *token_ids;
  return sse(out);
}

std::string render_completed(const ResponseMeta& meta, const Completed& done) {
  const char* finish_reason = finish_reason_name(done.finish.reason);
  if (meta.endpoint == Endpoint::kPredict) {
    return dump(Json{{"text", done.content},
                     {"reasoning", done.reasoning},
                     {"finish_reason", finish_reason},
                     {"usage", usage_json(done.finish.usage)},
                     {"timings", timings_json(done.finish.timings)}});
  }
  Json out = envelope(meta, false);
  Json choice = {{"index", 0}, {"finish_reason", finish_reason}};
  choice["logprobs"] = done.want_logprobs ? logprobs_json(meta.endpoint, done.logprobs) : nullptr;
  if (meta.endpoint == Endpoint::kChat) {
    Json message = {{"role", "assistant"}, {"content", done.content}};
    if (!done.reasoning.empty()) message["reasoning_content"] = done.reasoning;
    choice["message"] = message;
  } else {
    choice["text"] = done.content;
  }
  out["choices"] = Json::array({choice});
  out["usage"] = usage_json(done.finish.usage);
  out["timings"] = timings_json(done.finish.timings);
  return dump(out);
}

std::string render_models(const std::vector<std::string>& model_ids, int64_t created) {
  Json data = Json::array();
  for (const std::string& id : model_ids) {
    data.push_back({{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", "r1serve"}});
  }
  return dump(Json{{"object", "list"}, {"data", data}});
}

}  // namespace r1::server
