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

std::optional<std::string> SseSplitter::next() {
  size_t end = std::string::npos, len = 0;
  const size_t lf = buffer_.find("\n\n"), crlf = buffer_.find("\r\n\r\n");
  if (lf != std::string::npos && (crlf == std::string::npos || lf < crlf)) {
    end = lf, len = 2;
  } else if (crlf != std::string::npos) {
    end = crlf, len = 4;
  }
  if (end == std::string::npos) return std::nullopt;
  std::string event = buffer_.substr(0, end + len);
  buffer_.erase(0, end + len);
  return event;
}

std::string sse_data(std::string_view event) {
  std::string data;
  size_t pos = 0;
  while (pos < event.size()) {
    size_t eol = event.find('\n', pos);
    if (eol == std::string_view::npos) eol = event.size();
    std::string_view line = event.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.substr(0, 5) == "data:") {
      line.remove_prefix(5);
      if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      if (!data.empty()) data += '\n';
      data += line;
    }
    pos = eol + 1;
  }
  return data;
}

StreamTracker::StreamTracker(const PreparedRequest& request)
    : track_(request.resumable), keep_ids_(request.client_wants_ids) {}

std::string StreamTracker::on_event(std::string_view event) {
  if (done_ || errored()) return "";
  const std::string data = sse_data(event);
  if (data == "[DONE]") {
    done_ = true;
    return std::string(event);
  }
  if (data.empty() || !track_) {
    if (data.find("\"error\"") != std::string::npos && parse_json(data).contains("error")) {
      error_ = std::string(event);
      return "";
    }
    return std::string(event);
  }
  return on_json(data);
}

std::string StreamTracker::on_json(std::string_view data) {
  Json chunk = parse_json(data);
  if (!chunk.is_object()) return "data: " + std::string(data) + "\n\n";
  if (chunk.contains("error")) {
    error_ = "data: " + std::string(data) + "\n\n";
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
  return "data: " + dump(chunk) + "\n\n";
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
