#include "gateway/proxy/continuation.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "gateway/policy/router.h"

namespace r1::gateway {
namespace {

using Json = nlohmann::ordered_json;

Json parse_json(std::string_view text) {
  return Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

bool is_completion_path(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  return path == "/v1/chat/completions" || path == "/v1/completions";
}

// A stable key for a conversation: the first two messages, or the prompt.
std::string body_session_key(const Json& body) {
  std::string basis;
  if (auto it = body.find("messages"); it != body.end() && it->is_array()) {
    for (size_t i = 0; i < it->size() && i < 2; ++i) basis += dump((*it)[i]);
  } else if (auto p = body.find("prompt"); p != body.end()) {
    basis = dump(*p);
  }
  if (basis.empty()) return "";
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(stable_hash(basis)));
  return hex;
}

void append_text(const Json& choice, std::string* out) {
  for (const char* key : {"text"}) {
    if (auto it = choice.find(key); it != choice.end() && it->is_string()) *out += it->get<std::string>();
  }
  auto delta = choice.find("delta");
  if (delta == choice.end() || !delta->is_object()) return;
  for (const char* key : {"reasoning_content", "content"}) {
    if (auto it = delta->find(key); it != delta->end() && it->is_string()) *out += it->get<std::string>();
  }
}

// A continuation's opening chunk that only repeats the role.
bool role_only(const Json& chunk, const std::string& text, bool has_ids) {
  if (!text.empty() || has_ids || chunk.contains("usage")) return false;
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array()) return false;
  for (const Json& c : *choices) {
    if (auto f = c.find("finish_reason"); f != c.end() && !f->is_null()) return false;
  }
  return true;
}

}  // namespace

PreparedRequest prepare_request(std::string_view target, std::string_view body,
                                std::string_view session_header) {
  PreparedRequest p;
  p.upstream_body = std::string(body);
  p.session_key = std::string(session_header);
  Json j = parse_json(body);
  if (!j.is_object()) return p;
  if (p.session_key.empty()) p.session_key = body_session_key(j);
  auto s = j.find("stream");
  p.stream = s != j.end() && s->is_boolean() && s->get<bool>();
  if (!p.stream || !is_completion_path(target)) return p;
  auto ids = j.find(kIncludeTokenIdsField);
  p.client_wants_ids = ids != j.end() && ids->is_boolean() && ids->get<bool>();
  j[kIncludeTokenIdsField] = true;
  p.resumable = true;
  p.upstream_body = dump(j);
  return p;
}

void SseSplitter::feed(std::string_view bytes) {
  if (next_ == events_.size()) events_.clear(), next_ = 0;
  reader_.feed(bytes, events_);
}

std::optional<http::SseEvent> SseSplitter::next_event() {
  if (next_ == events_.size()) return std::nullopt;
  return std::move(events_[next_++]);
}

std::optional<std::string> SseSplitter::next() {
  std::optional<http::SseEvent> e = next_event();
  if (!e) return std::nullopt;
  return std::move(e->raw);
}

StreamTracker::StreamTracker(const PreparedRequest& request)
    : track_(request.resumable), keep_ids_(request.client_wants_ids) {}

std::string StreamTracker::on_event(std::string_view event) {
  http::SseEvent parsed;
  parsed.data = sse_data(event);
  parsed.has_data = !parsed.data.empty();
  parsed.raw = std::string(event);
  return on_event(parsed);
}

std::string StreamTracker::on_event(const http::SseEvent& event) {
  if (done_ || errored()) return "";
  const std::string& data = event.data;
  if (data == "[DONE]") {
    done_ = true;
    return event.raw;
  }
  if (data.empty() || !track_) {
    if (data.find("\"error\"") != std::string::npos && parse_json(data).contains("error")) {
      error_ = event.raw;
      return "";
    }
    return event.raw;
  }
  return on_json(data);
}

std::string StreamTracker::on_json(std::string_view data) {
  Json chunk = parse_json(data);
  if (!chunk.is_object()) return http::sse_frame(data);
  if (chunk.contains("error")) {
    error_ = http::sse_frame(data);
    return "";
  }
  bool has_ids = false;
  if (auto ids = chunk.find(kTokenIdsField); ids != chunk.end()) {
    if (ids->is_array()) {
      for (const Json& t : *ids) {
        if (t.is_number_integer()) tokens_.push_back(t.get<int32_t>()), has_ids = true;
      }
    }
    if (!keep_ids_) chunk.erase(kTokenIdsField);
  }
  std::string text;
  if (auto choices = chunk.find("choices"); choices != chunk.end() && choices->is_array()) {
    for (const Json& c : *choices) append_text(c, &text);
  }
  text_ += text;
  auto id = chunk.find("id");
  if (!continuing_ && first_id_.empty() && id != chunk.end() && id->is_string()) {
    first_id_ = id->get<std::string>();
  }
  if (continuing_) {
    if (role_only(chunk, text, has_ids)) return "";
    if (id != chunk.end() && !first_id_.empty()) *id = first_id_;
  }
  return http::sse_frame(dump(chunk));
}

void StreamTracker::begin_continuation() {
  continuing_ = true;
  error_.clear();
}

std::string StreamTracker::resume_body(std::string_view original_body) const {
  Json j = parse_json(original_body);
  if (!j.is_object()) return std::string(original_body);
  j[kResumeTokensField] = tokens_;
  return dump(j);
}

}  // namespace r1::gateway
