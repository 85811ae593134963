#include "tokenizer/chat/reasoning.h"

#include <algorithm>
#include <utility>

#include "core/check.h"

namespace r1::tokenizer {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
         c == '\r';
}

std::string_view trim_left(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  return s.substr(i);
}

std::string_view trim_right(std::string_view s) {
  size_t n = s.size();
  while (n > 0 && is_space(s[n - 1])) --n;
  return s.substr(0, n);
}

std::string_view trim(std::string_view s) { return trim_right(trim_left(s)); }

// Length of the longest suffix of `s` that is a proper prefix of `tag`.
size_t partial_tag_suffix(std::string_view s, std::string_view tag) {
  size_t max = std::min(s.size(), tag.size() - 1);
  for (size_t k = max; k > 0; --k) {
    if (s.substr(s.size() - k) == tag.substr(0, k)) return k;
  }
  return 0;
}

}  // namespace

ReasoningSplit split_reasoning(std::string_view full,
                               bool starts_in_reasoning) {
  std::string_view s = full;
  bool in_reasoning = starts_in_reasoning;
  std::string_view lead = trim_left(s);
  if (lead.starts_with(kThinkOpenTag)) {
    s = lead.substr(kThinkOpenTag.size());
    in_reasoning = true;
  }
  if (!in_reasoning) return ReasoningSplit{"", std::string(full)};
  size_t pos = s.find(kThinkCloseTag);
  if (pos == std::string_view::npos) {
    return ReasoningSplit{std::string(trim(s)), ""};
  }
  return ReasoningSplit{
      std::string(trim(s.substr(0, pos))),
      std::string(trim_left(s.substr(pos + kThinkCloseTag.size())))};
}

bool prompt_opens_reasoning(std::string_view prompt) {
  return trim_right(prompt).ends_with(kThinkOpenTag);
}

ReasoningSplitter::ReasoningSplitter(bool starts_in_reasoning) {
  reset(starts_in_reasoning);
}

void ReasoningSplitter::reset(bool starts_in_reasoning) {
  starts_in_reasoning_ = starts_in_reasoning;
  phase_ = Phase::kPrefix;
  held_.clear();
  held_space_.clear();
  reasoning_started_ = false;
}

bool ReasoningSplitter::in_reasoning() const {
  if (phase_ == Phase::kPrefix) return starts_in_reasoning_;
  return phase_ == Phase::kReasoning;
}

ReasoningDelta ReasoningSplitter::push(std::string_view piece) {
  CHECK(phase_ != Phase::kFinished) << "push() after finish()";
  ReasoningDelta out;
  feed(piece, out);
  return out;
}

ReasoningDelta ReasoningSplitter::finish() {
  CHECK(phase_ != Phase::kFinished) << "finish() called twice";
  ReasoningDelta out;
  std::string rest = std::move(held_);
  held_.clear();
  if (phase_ == Phase::kPrefix) {
    if (starts_in_reasoning_) {
      emit_reasoning(rest, out);
    } else {
      out.content_delta += rest;
    }
  } else if (phase_ == Phase::kReasoning) {
    emit_reasoning(rest, out);  // a dangling "</thi" is plain text
  }
  held_space_.clear();  // trailing reasoning whitespace is trimmed
  phase_ = Phase::kFinished;
  return out;
}

void ReasoningSplitter::feed(std::string_view text, ReasoningDelta& out) {
  switch (phase_) {
    case Phase::kPrefix:
      feed_prefix(text, out);
      return;
    case Phase::kReasoning:
      feed_reasoning(text, out);
      return;
    case Phase::kContentLead:
      feed_content_lead(text, out);
      return;
    case Phase::kContent:
      out.content_delta += text;
      return;
    case Phase::kFinished:
      break;
  }
  CHECK(false) << "feed() in finished phase";
}

void ReasoningSplitter::feed_prefix(std::string_view text,
                                    ReasoningDelta& out) {
  held_ += text;
  std::string_view lead = trim_left(held_);
  if (lead.empty()) return;  // only whitespace so far
  if (lead.starts_with(kThinkOpenTag)) {
    std::string rest(lead.substr(kThinkOpenTag.size()));
    held_.clear();
    phase_ = Phase::kReasoning;
    feed_reasoning(rest, out);
    return;
  }
  if (kThinkOpenTag.starts_with(lead)) return;  // may still become "<think>"
  std::string all = std::move(held_);
  held_.clear();
  if (starts_in_reasoning_) {
    phase_ = Phase::kReasoning;
    feed_reasoning(all, out);
  } else {
    phase_ = Phase::kContent;
    out.content_delta += all;
  }
}

void ReasoningSplitter::feed_reasoning(std::string_view text,
                                       ReasoningDelta& out) {
  std::string buf = std::move(held_);
  held_.clear();
  buf += text;
  size_t pos = buf.find(kThinkCloseTag);
  if (pos != std::string::npos) {
    emit_reasoning(std::string_view(buf).substr(0, pos), out);
    held_space_.clear();
    phase_ = Phase::kContentLead;
    feed_content_lead(
        std::string_view(buf).substr(pos + kThinkCloseTag.size()), out);
    return;
  }
  size_t keep = partial_tag_suffix(buf, kThinkCloseTag);
  emit_reasoning(std::string_view(buf).substr(0, buf.size() - keep), out);
  held_ = buf.substr(buf.size() - keep);
}

void ReasoningSplitter::feed_content_lead(std::string_view text,
                                          ReasoningDelta& out) {
  std::string_view rest = trim_left(text);
  if (rest.empty()) return;
  phase_ = Phase::kContent;
  out.content_delta += rest;
}

void ReasoningSplitter::emit_reasoning(std::string_view text,
                                       ReasoningDelta& out) {
  if (!reasoning_started_) {
    text = trim_left(text);
    if (text.empty()) return;
    reasoning_started_ = true;
  }
  std::string_view body = trim_right(text);
  if (body.empty()) {
    held_space_ += text;
    return;
  }
  out.reasoning_delta += held_space_;
  out.reasoning_delta += body;
  held_space_ = std::string(text.substr(body.size()));
}

}  // namespace r1::tokenizer
