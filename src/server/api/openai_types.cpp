#include "server/api/openai_types.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <set>

namespace r1::server {
namespace {

using Json = nlohmann::json;
using MaybeError = std::optional<ApiError>;

#define R1_API_TRY(expr)          \
  do {                            \
    if (auto e_ = (expr)) return *e_; \
  } while (0)

std::string type_name(const Json& v) {
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  return v.type_name();
}

ApiError wrong_type(const std::string& param, const char* want, const Json& got) {
  return invalid_request(param, "'" + param + "' must be " + want + ", got " + type_name(got),
                         "invalid_type");
}

const Json* field(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return nullptr;  // null means absent
  return &*it;
}

MaybeError read_bool(const Json& obj, const char* name, bool* out) {
  const Json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) return wrong_type(name, "a boolean", *v);
  *out = v->get<bool>();
  return std::nullopt;
}

// "'<name>' must be in [lo, hi], got <value>".
ApiError out_of_range(const char* name, const std::string& lo, const std::string& hi, const Json& v) {
  return invalid_request(name,
                         "'" + std::string(name) + "' must be in [" + lo + ", " + hi + "], got " + v.dump());
}

// An integer in [lo, hi]; floats with integral values are not accepted.
MaybeError read_int(const Json& obj, const char* name, int64_t lo, int64_t hi,
                    std::optional<int64_t>* out) {
  const Json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) return wrong_type(name, "an integer", *v);
  const bool neg = v->is_number_integer() && !v->is_number_unsigned() && v->get<int64_t>() < 0;
  if (!neg && v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(hi)) {
    return invalid_request(name, "'" + std::string(name) + "' must be at most " +
                                     std::to_string(hi) + ", got " + v->dump());
  }
  const int64_t x = v->get<int64_t>();
  if (x < lo || x > hi) return out_of_range(name, std::to_string(lo), std::to_string(hi), *v);
  *out = x;
  return std::nullopt;
}

MaybeError read_float(const Json& obj, const char* name, double lo, double hi,
                      std::optional<float>* out) {
  const Json* v = field(obj, name);
  if (!v) return std::nullopt;
  if (!v->is_number()) return wrong_type(name, "a number", *v);
  const double x = v->get<double>();
  if (!std::isfinite(x) || x < lo || x > hi) {
    return out_of_range(name, Json(lo).dump(), Json(hi).dump(), *v);
  }
  *out = static_cast<float>(x);
  return std::nullopt;
}

ApiResult<Json> parse_object(std::string_view body) {
  if (json_too_deep(body, kMaxJsonDepth)) {
    return invalid_request("", "the request body nests deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels", "invalid_json");
  }
  Json doc = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return invalid_request("", "the request body is not valid JSON", "invalid_json");
  }
  if (!doc.is_object()) return invalid_request("", "the request body must be a JSON object");
  return doc;
}

MaybeError check_fields(const Json& obj, const std::set<std::string>& known,
                        const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (known.count(it.key()) == 0) {
      return invalid_request(where + it.key(),
                             "Unrecognized request argument supplied: " + where + it.key(),
                             "unknown_field");
    }
  }
  return std::nullopt;
}

MaybeError parse_model(const Json& obj, const ParseLimits& limits, ApiRequest* out) {
  const Json* v = field(obj, "model");
  if (!v) return std::nullopt;
  if (!v->is_string()) return wrong_type("model", "a string", *v);
  out->model = v->get<std::string>();
  if (!out->model.empty() && out->model != limits.model_id) {
    return invalid_request("model", "The model '" + out->model + "' does not exist; this server "
                                    "serves '" + limits.model_id + "'", "model_not_found");
  }
  return std::nullopt;
}

MaybeError parse_stream(const Json& obj, ApiRequest* out) {
  R1_API_TRY(read_bool(obj, "stream", &out->stream));
  const Json* so = field(obj, "stream_options");
  if (!so) return std::nullopt;
  if (!so->is_object()) return wrong_type("stream_options", "an object", *so);
  if (!out->stream) {
    return invalid_request("stream_options",
                           "'stream_options' is only allowed when 'stream' is true");
  }
  R1_API_TRY(check_fields(*so, {"include_usage"}, "stream_options."));
  const Json* iu = field(*so, "include_usage");
  if (iu && !iu->is_boolean()) return wrong_type("stream_options.include_usage", "a boolean", *iu);
  out->include_usage = iu && iu->get<bool>();
  return std::nullopt;
}

MaybeError parse_max_tokens(const Json& obj, const ParseLimits& limits, GenerationRequest* g) {
  for (const char* name : {"max_tokens", "max_completion_tokens", "n_predict"}) {
    std::optional<int64_t> n;
    const Json* v = field(obj, name);
    if (v && v->is_number_integer() && !v->is_number_unsigned() && v->get<int64_t>() < 0) {
      return invalid_request(name, "'" + std::string(name) + "' must be positive, got " +
                                       v->dump(), "invalid_value");
    }
    R1_API_TRY(read_int(obj, name, 1, limits.max_tokens_limit, &n));
    if (n) g->max_tokens = static_cast<int>(*n);
  }
  return std::nullopt;
}

MaybeError parse_stop(const Json& obj, GenerationRequest* g) {
  const Json* v = field(obj, "stop");
  if (!v) return std::nullopt;
  if (v->is_string()) {
    g->stop.push_back(v->get<std::string>());
  } else if (v->is_array()) {
    if (v->size() > kMaxStopStrings) {
      return invalid_request("stop", "'stop' holds at most " + std::to_string(kMaxStopStrings) +
                                         " strings");
    }
    for (const Json& s : *v) {
      if (!s.is_string()) return wrong_type("stop", "a string or an array of strings", s);
      g->stop.push_back(s.get<std::string>());
    }
  } else {
    return wrong_type("stop", "a string or an array of strings", *v);
  }
  for (const std::string& s : g->stop) {
    if (s.empty() || s.size() > kMaxStopBytes) {
      return invalid_request("stop", "each stop string must be 1.." +
                                         std::to_string(kMaxStopBytes) + " bytes");
    }
  }
  return std::nullopt;
}

MaybeError parse_logit_bias(const Json& obj, GenerationRequest* g) {
  const Json* v = field(obj, "logit_bias");
  if (!v) return std::nullopt;
  if (!v->is_object()) return wrong_type("logit_bias", "an object", *v);
  if (v->size() > kMaxLogitBiasEntries) {
    return invalid_request("logit_bias", "'logit_bias' holds at most " +
                                             std::to_string(kMaxLogitBiasEntries) + " entries");
  }
  for (auto it = v->begin(); it != v->end(); ++it) {
    const std::string& key = it.key();
    int64_t id = 0;
    const bool digits = !key.empty() && key.size() <= 9 &&
                        key.find_first_not_of("0123456789") == std::string::npos;
    if (digits) id = std::stoll(key);
    if (!digits) {
      return invalid_request("logit_bias", "'logit_bias' keys must be token ids, got '" +
                                               key.substr(0, 64) + "'");
    }
    if (!it->is_number() || !std::isfinite(it->get<double>()) ||
        std::fabs(it->get<double>()) > kMaxLogitBias) {
      return invalid_request("logit_bias", "'logit_bias' values must be numbers in [-100, 100]");
    }
    g->sampling.logit_bias.emplace_back(static_cast<int32_t>(id), it->get<float>());
  }
  return std::nullopt;
}

MaybeError parse_sampling(const Json& obj, GenerationRequest* g) {
  SamplingOptions& s = g->sampling;
  R1_API_TRY(read_float(obj, "temperature", 0.0, 2.0, &s.temperature));
  R1_API_TRY(read_float(obj, "top_p", 0.0, 1.0, &s.top_p));
  if (s.top_p && *s.top_p <= 0.0f) return invalid_request("top_p", "'top_p' must be in (0, 1]");
  std::optional<int64_t> top_k, last_n, seed;
  R1_API_TRY(read_int(obj, "top_k", 0, 1 << 20, &top_k));
  if (top_k) s.top_k = static_cast<int>(*top_k);
  R1_API_TRY(read_float(obj, "min_p", 0.0, 1.0, &s.min_p));
  R1_API_TRY(read_float(obj, "presence_penalty", -2.0, 2.0, &s.presence_penalty));
  R1_API_TRY(read_float(obj, "frequency_penalty", -2.0, 2.0, &s.frequency_penalty));
  R1_API_TRY(read_float(obj, "repeat_penalty", 0.0, 10.0, &s.repeat_penalty));
  if (s.repeat_penalty && *s.repeat_penalty <= 0.0f) {
    return invalid_request("repeat_penalty", "'repeat_penalty' must be positive");
  }
  R1_API_TRY(read_int(obj, "repeat_last_n", -1, 1 << 20, &last_n));
  if (last_n) s.repeat_last_n = static_cast<int>(*last_n);
  const Json* sv = field(obj, "seed");
  if (sv && sv->is_number_unsigned()) {
    s.seed = sv->get<uint64_t>();
  } else {
    R1_API_TRY(read_int(obj, "seed", std::numeric_limits<int64_t>::min(),
                        std::numeric_limits<int64_t>::max(), &seed));
    if (seed) s.seed = static_cast<uint64_t>(*seed);
  }
  R1_API_TRY(parse_logit_bias(obj, g));
  return parse_stop(obj, g);
}

// Chat: logprobs is a boolean, top_logprobs 0..20 (needs logprobs).
// Completions: logprobs is an integer 0..5 (the number of alternatives).
MaybeError parse_logprobs(const Json& obj, Endpoint endpoint, GenerationRequest* g) {
  if (endpoint == Endpoint::kCompletion) {
    std::optional<int64_t> n;
    R1_API_TRY(read_int(obj, "logprobs", 0, 5, &n));
    g->logprobs = n.has_value();
    g->top_logprobs = n ? static_cast<int>(*n) : 0;
    return std::nullopt;
  }
  R1_API_TRY(read_bool(obj, "logprobs", &g->logprobs));
  std::optional<int64_t> top;
  R1_API_TRY(read_int(obj, "top_logprobs", 0, kMaxTopLogprobs, &top));
  if (top && !g->logprobs) {
    return invalid_request("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
  }
  g->top_logprobs = top ? static_cast<int>(*top) : 0;
  return std::nullopt;
}

MaybeError parse_token_array(const Json& v, const char* name, size_t max_len,
                             std::vector<int32_t>* out) {
  if (!v.is_array()) return wrong_type(name, "an array of token ids", v);
  if (v.size() > max_len) {
    return invalid_request(name, "'" + std::string(name) + "' is too long", "context_length_exceeded");
  }
  for (const Json& t : v) {
    if (!t.is_number_integer() || t.get<int64_t>() < 0 ||
        t.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      return invalid_request(name, "'" + std::string(name) + "' must hold token ids (integers >= 0)");
    }
    out->push_back(static_cast<int32_t>(t.get<int64_t>()));
  }
  return std::nullopt;
}

// Fields every generation endpoint shares.
MaybeError parse_common(const Json& obj, const ParseLimits& limits, ApiRequest* out) {
  GenerationRequest& g = out->generation;
  R1_API_TRY(parse_model(obj, limits, out));
  R1_API_TRY(parse_stream(obj, out));
  R1_API_TRY(parse_max_tokens(obj, limits, &g));
  R1_API_TRY(parse_sampling(obj, &g));
  R1_API_TRY(parse_logprobs(obj, out->endpoint, &g));
  std::optional<int64_t> n;
  R1_API_TRY(read_int(obj, "n", 1, 1, &n));
  const Json* user = field(obj, "user");
  if (user && !user->is_string()) return wrong_type("user", "a string", *user);
  const Json* cache = field(obj, "cache_prompt");
  if (cache && !cache->is_boolean()) return wrong_type("cache_prompt", "a boolean", *cache);
  R1_API_TRY(read_bool(obj, "r1_include_token_ids", &out->include_token_ids));
  const Json* resume = field(obj, "resume_tokens");
  if (resume) R1_API_TRY(parse_token_array(*resume, "resume_tokens", limits.max_prompt_tokens,
                                           &g.resume_tokens));
  return std::nullopt;
}

const std::set<std::string>& common_fields() {
  static const std::set<std::string> k = {
      "model", "stream", "stream_options", "max_tokens", "max_completion_tokens", "n_predict",
      "temperature", "top_p", "top_k", "min_p", "presence_penalty", "frequency_penalty",
      "repeat_penalty", "repeat_last_n", "seed", "stop", "logit_bias", "logprobs",
      "top_logprobs", "n", "user", "cache_prompt", "resume_tokens", "r1_include_token_ids"};
  return k;
}

MaybeError parse_content(const Json& v, const std::string& param, std::string* out) {
  if (v.is_string()) {
    *out = v.get<std::string>();
    return std::nullopt;
  }
  if (!v.is_array()) return wrong_type(param, "a string or an array of text parts", v);
  for (const Json& part : v) {
    const Json* type = part.is_object() ? field(part, "type") : nullptr;
    const Json* text = part.is_object() ? field(part, "text") : nullptr;
    if (!type || !type->is_string() || type->get<std::string>() != "text" || !text ||
        !text->is_string() || part.size() != 2) {
      return invalid_request(param, "only {\"type\":\"text\",\"text\":...} content parts are "
                                    "supported");
    }
    *out += text->get<std::string>();
  }
  return std::nullopt;
}

MaybeError parse_message(const Json& m, size_t i, ChatMessage* out) {
  const std::string p = "messages[" + std::to_string(i) + "]";
  if (!m.is_object()) return wrong_type(p, "an object", m);
  R1_API_TRY(check_fields(m, {"role", "content", "name", "reasoning_content"}, p + "."));
  const Json* role = field(m, "role");
  if (!role) return invalid_request(p + ".role", "'" + p + ".role' is required");
  if (!role->is_string()) return wrong_type(p + ".role", "a string", *role);
  out->role = role->get<std::string>();
  if (out->role == "developer") out->role = "system";
  if (out->role != "system" && out->role != "user" && out->role != "assistant") {
    return invalid_request(p + ".role", "unknown role '" + out->role.substr(0, 64) +
                                            "'; expected system, developer, user or assistant",
                           "invalid_value");
  }
  const Json* content = field(m, "content");
  if (!content && out->role != "assistant") {
    return invalid_request(p + ".content", "'" + p + ".content' is required");
  }
  if (content) R1_API_TRY(parse_content(*content, p + ".content", &out->content));
  const Json* name = field(m, "name");
  if (name && !name->is_string()) return wrong_type(p + ".name", "a string", *name);
  const Json* rc = field(m, "reasoning_content");
  if (rc && !rc->is_string()) return wrong_type(p + ".reasoning_content", "a string", *rc);
  if (rc) out->reasoning_content = rc->get<std::string>();
  return std::nullopt;
}

MaybeError parse_messages(const Json& obj, const ParseLimits& limits, GenerationRequest* g) {
  const Json* v = field(obj, "messages");
  if (!v) return invalid_request("messages", "'messages' is required");
  if (!v->is_array()) return wrong_type("messages", "an array", *v);
  if (v->empty()) return invalid_request("messages", "'messages' must not be empty");
  if (v->size() > limits.max_messages) {
    return invalid_request("messages", "'messages' holds at most " +
                                           std::to_string(limits.max_messages) + " messages");
  }
  g->messages.resize(v->size());
  for (size_t i = 0; i < v->size(); ++i) R1_API_TRY(parse_message((*v)[i], i, &g->messages[i]));
  return std::nullopt;
}

MaybeError parse_reasoning_format(const Json& obj, GenerationRequest* g) {
  const Json* v = field(obj, "reasoning_format");
  if (!v) return std::nullopt;
  if (!v->is_string()) return wrong_type("reasoning_format", "a string", *v);
  const std::string f = v->get<std::string>();
  if (f == "none") {
    g->split_reasoning = false;
  } else if (f != "deepseek" && f != "auto") {
    return invalid_request("reasoning_format", "'reasoning_format' must be none, auto or deepseek");
  }
  return std::nullopt;
}

ApiResult<ApiRequest> parse_with(std::string_view body, Endpoint endpoint,
                                 MaybeError (*specific)(const Json&, const ParseLimits&,
                                                        ApiRequest*),
                                 const ParseLimits& limits) {
  try {
    ApiResult<Json> doc = parse_object(body);
    if (!doc.ok()) return doc.error();
    ApiRequest req;
    req.endpoint = endpoint;
    if (auto e = specific(doc.value(), limits, &req)) return *e;
    if (auto e = parse_common(doc.value(), limits, &req)) return *e;
    return req;
  } catch (const std::exception& e) {  // nlohmann: a boundary, never expected
    return invalid_request("", std::string("malformed request: ") + e.what());
  }
}

MaybeError chat_fields(const Json& obj, const ParseLimits& limits, ApiRequest* out) {
  std::set<std::string> known = common_fields();
  known.insert({"messages", "reasoning_format", "response_format"});
  R1_API_TRY(check_fields(obj, known, ""));
  const Json* rf = field(obj, "response_format");
  if (rf && !(rf->is_object() && rf->size() == 1 && rf->contains("type") &&
              (*rf)["type"] == "text")) {
    return invalid_request("response_format", "only {\"type\":\"text\"} is supported");
  }
  R1_API_TRY(parse_reasoning_format(obj, &out->generation));
  return parse_messages(obj, limits, &out->generation);
}

MaybeError completion_fields(const Json& obj, const ParseLimits& limits, ApiRequest* out) {
  std::set<std::string> known = common_fields();
  known.insert({"prompt", "echo", "suffix"});
  R1_API_TRY(check_fields(obj, known, ""));
  const Json* echo = field(obj, "echo");
  if (echo && !(echo->is_boolean() && !echo->get<bool>())) {
    return invalid_request("echo", "'echo' is not supported");
  }
  if (field(obj, "suffix")) return invalid_request("suffix", "'suffix' is not supported");
  out->generation.split_reasoning = false;
  const Json* p = field(obj, "prompt");
  if (!p) return invalid_request("prompt", "'prompt' is required");
  if (p->is_string()) {
    out->generation.prompt_text = p->get<std::string>();
    if (out->generation.prompt_text.empty()) {
      return invalid_request("prompt", "'prompt' must not be empty");
    }
    return std::nullopt;
  }
  R1_API_TRY(parse_token_array(*p, "prompt", limits.max_prompt_tokens,
                               &out->generation.prompt_tokens));
  if (out->generation.prompt_tokens.empty()) {
    return invalid_request("prompt", "'prompt' must not be empty");
  }
  return std::nullopt;
}

MaybeError predict_fields(const Json& obj, const ParseLimits&, ApiRequest* out) {
  std::set<std::string> known = common_fields();
  known.insert({"prompt", "reasoning_format"});
  R1_API_TRY(check_fields(obj, known, ""));
  const Json* p = field(obj, "prompt");
  if (!p) return invalid_request("prompt", "'prompt' is required");
  if (!p->is_string()) return wrong_type("prompt", "a string", *p);
  if (p->get<std::string>().empty()) return invalid_request("prompt", "'prompt' must not be empty");
  out->generation.messages.push_back({"user", p->get<std::string>(), ""});
  return parse_reasoning_format(obj, &out->generation);
}

}  // namespace

ApiError invalid_request(std::string param, std::string message, std::string code) {
  return ApiError{400, "invalid_request_error", std::move(message), std::move(param),
                  std::move(code)};
}

ApiError api_error_from(const Error& error) {
  switch (error.code) {
    case ErrorCode::kResourceExhausted:
      return ApiError{429, "rate_limit_error", error.message, "", "queue_full"};
    case ErrorCode::kInvalidArgument:
      return invalid_request("", error.message);
    case ErrorCode::kOutOfRange:
      return invalid_request("messages", error.message, "context_length_exceeded");
    case ErrorCode::kUnsupported:
      return ApiError{503, "unavailable_error", error.message, "", "not_ready"};
    default:
      return ApiError{500, "server_error", error.message, "", ""};
  }
}

bool json_too_deep(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

ApiResult<ApiRequest> parse_chat_request(std::string_view body, const ParseLimits& limits) {
  return parse_with(body, Endpoint::kChat, chat_fields, limits);
}

ApiResult<ApiRequest> parse_completion_request(std::string_view body, const ParseLimits& limits) {
  return parse_with(body, Endpoint::kCompletion, completion_fields, limits);
}

ApiResult<ApiRequest> parse_predict_request(std::string_view body, const ParseLimits& limits) {
  return parse_with(body, Endpoint::kPredict, predict_fields, limits);
}

}  // namespace r1::server
