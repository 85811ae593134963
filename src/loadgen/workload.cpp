#include "loadgen/workload.h"

#include <nlohmann/json.hpp>

#include <array>
#include <random>

namespace r1::loadgen {

namespace {

using Json = nlohmann::json;

constexpr std::array<const char*, 64> kWords = {
    "the",   "of",    "and",   "to",    "in",    "is",    "was",   "for",   "on",    "are",
    "as",    "with",  "his",   "they",  "at",    "be",    "this",  "from",  "have",  "or",
    "by",    "one",   "had",   "not",   "but",   "what",  "all",   "were",  "when",  "we",
    "there", "can",   "an",    "your",  "which", "their", "said",  "if",    "do",    "will",
    "each",  "about", "how",   "up",    "out",   "them",  "then",  "she",   "many",  "some",
    "so",    "these", "would", "other", "into",  "has",   "more",  "her",   "two",   "like",
    "him",   "see",   "time",  "could"};

bool non_empty_string(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}

int64_t usage_tokens(const Json& j) {
  auto usage = j.find("usage");
  if (usage == j.end() || !usage->is_object()) return -1;
  auto n = usage->find("completion_tokens");
  if (n == usage->end() || !n->is_number_integer()) return -1;
  return n->get<int64_t>();
}

bool choice_has_token(ApiEndpoint endpoint, const Json& choice) {
  if (!choice.is_object()) return false;
  if (endpoint == ApiEndpoint::kCompletions) return non_empty_string(choice, "text");
  auto delta = choice.find("delta");
  if (delta == choice.end() || !delta->is_object()) return false;
  return non_empty_string(*delta, "content") || non_empty_string(*delta, "reasoning_content") ||
         non_empty_string(*delta, "reasoning");
}

}  // namespace

std::string synthetic_prompt(int n_words, uint64_t seed, uint64_t index) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32)};
  std::mt19937_64 rng(seq);
  std::uniform_int_distribution<size_t> pick(0, kWords.size() - 1);
  std::string text;
  text.reserve(static_cast<size_t>(n_words) * 6);
  for (int i = 0; i < n_words; ++i) {
    if (i > 0) text += ' ';
    text += kWords[pick(rng)];
  }
  return text;
}

std::string request_body(const BodyParams& params) {
  Json j = Json::object();
  if (!params.model.empty()) j["model"] = params.model;
  if (params.endpoint == ApiEndpoint::kChat) {
    j["messages"] = Json::array({Json{{"role", "user"}, {"content", params.prompt}}});
  } else {
    j["prompt"] = params.prompt;
  }
  j["max_tokens"] = params.max_tokens;
  if (endpoint_streams(params.endpoint)) {
    j["stream"] = true;
    j["stream_options"] = Json{{"include_usage", true}};
  }
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {

// The JSON object in `text`, with f.valid, f.error and f.usage_tokens set;
// a discarded value (f invalid) when it is not an object.
Json read_object(std::string_view text, ChunkFacts& f) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Json(Json::value_t::discarded);
  f.valid = true;
  f.error = j.contains("error");
  f.usage_tokens = usage_tokens(j);
  return j;
}

}  // namespace

ChunkFacts read_chunk(ApiEndpoint endpoint, std::string_view data) {
  ChunkFacts f;
  const Json j = read_object(data, f);
  if (!f.valid) return f;
  auto choices = j.find("choices");
  if (choices != j.end() && choices->is_array()) {
    for (const Json& choice : *choices) {
      f.has_token = f.has_token || choice_has_token(endpoint, choice);
    }
  }
  return f;
}

ChunkFacts read_completed(std::string_view body) {
  ChunkFacts f;
  const Json j = read_object(body, f);
  if (!f.valid) return f;
  f.has_token = non_empty_string(j, "text") || non_empty_string(j, "reasoning");
  return f;
}

}  // namespace r1::loadgen
