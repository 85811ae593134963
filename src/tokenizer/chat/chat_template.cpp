#include "tokenizer/chat/chat_template.h"

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace r1::tokenizer {
namespace {

// Literal strings of the templates (not the caller's eos_token: the
// templates hard-code them).
constexpr std::string_view kDsUser = "<｜User｜>";
constexpr std::string_view kDsAssistant = "<｜Assistant｜>";
constexpr std::string_view kDsEnd = "<｜end▁of▁sentence｜>";
constexpr std::string_view kDsOutputsBegin = "<｜tool▁outputs▁begin｜>";
constexpr std::string_view kDsOutputsEnd = "<｜tool▁outputs▁end｜>";
constexpr std::string_view kDsOutputBegin = "<｜tool▁output▁begin｜>";
constexpr std::string_view kDsOutputEnd = "<｜tool▁output▁end｜>";
constexpr std::string_view kImStart = "<|im_start|>";
constexpr std::string_view kImEnd = "<|im_end|>";
constexpr std::string_view kQwenDefaultSystem =
    "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
constexpr std::string_view kThinkOpen = "<think>";
constexpr std::string_view kThinkClose = "</think>";

struct NameEntry {
  std::string_view name;
  ChatTemplateKind kind;
};

constexpr std::array<NameEntry, 11> kNames = {{
    {"deepseek-r1", ChatTemplateKind::kDeepSeekR1},
    {"deepseek-r1-llamacpp", ChatTemplateKind::kDeepSeekR1LlamaCpp},
    {"qwen2.5", ChatTemplateKind::kQwen25},
    {"chatml", ChatTemplateKind::kChatml},
    {"qwen3", ChatTemplateKind::kQwen3},
    {"llama3", ChatTemplateKind::kLlama3},
    // aliases
    {"deepseek-r1-qwen-32b", ChatTemplateKind::kDeepSeekR1LlamaCpp},
    {"qwen2", ChatTemplateKind::kQwen25},
    {"qwen2.5-instruct", ChatTemplateKind::kQwen25},
    {"llama-3", ChatTemplateKind::kLlama3},
    {"deepseek-r1-distill", ChatTemplateKind::kDeepSeekR1},
}};

// Python str.split(sep)[-1]: the text after the last `sep`.
std::string_view after_last(std::string_view s, std::string_view sep) {
  size_t pos = s.rfind(sep);
  return pos == std::string_view::npos ? s : s.substr(pos + sep.size());
}

// Python str.split(sep)[0]: the text before the first `sep`.
std::string_view before_first(std::string_view s, std::string_view sep) {
  return s.substr(0, s.find(sep));
}

std::string_view lstrip_newlines(std::string_view s) {
  size_t i = s.find_first_not_of('\n');
  return i == std::string_view::npos ? std::string_view() : s.substr(i);
}

std::string_view rstrip_newlines(std::string_view s) {
  size_t i = s.find_last_not_of('\n');
  return i == std::string_view::npos ? std::string_view() : s.substr(0, i + 1);
}

bool is_python_space(uint32_t cp) {
  if ((cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20)) return true;
  if (cp == 0x85 || cp == 0xa0 || cp == 0x1680) return true;
  if (cp >= 0x2000 && cp <= 0x200a) return true;
  return cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
         cp == 0x3000;
}

// Decodes the UTF-8 sequence at s[i..]; returns its length, 0 if invalid.
size_t decode_utf8(std::string_view s, size_t i, uint32_t* cp) {
  auto b = static_cast<unsigned char>(s[i]);
  size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3
                                : (b >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  uint32_t v = len == 1 ? b : (b & (0x7f >> len));
  for (size_t k = 1; k < len; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xc0) != 0x80) return 0;
    v = (v << 6) | (c & 0x3f);
  }
  *cp = v;
  return len;
}

bool is_known_role(std::string_view role) {
  return role == "system" || role == "user" || role == "assistant" ||
         role == "tool";
}

Status validate(std::span<const ChatMessage> messages) {
  if (messages.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "chat template: empty conversation");
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    if (!is_known_role(messages[i].role)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "chat template: message " + std::to_string(i) +
                            " has unknown role '" + messages[i].role +
                            "' (expected system, user, assistant or tool)");
    }
  }
  return Status();
}

void append(std::string& out, std::initializer_list<std::string_view> parts) {
  for (std::string_view p : parts) out += p;
}

// Qwen-style tool result grouping: consecutive tool messages share one
// "<|im_start|>user" turn.
void render_qwen_tool(std::span<const ChatMessage> msgs, size_t i,
                      std::string& out) {
  if (i == 0 || msgs[i - 1].role != "tool") out += "<|im_start|>user";
  append(out, {"\n<tool_response>\n", msgs[i].content, "\n</tool_response>"});
  if (i + 1 == msgs.size() || msgs[i + 1].role != "tool") {
    append(out, {kImEnd, "\n"});
  }
}

void render_im_turn(const ChatMessage& m, std::string& out) {
  append(out, {kImStart, m.role, "\n", m.content, kImEnd, "\n"});
}

std::string render_deepseek_r1(std::span<const ChatMessage> msgs,
                               const ChatTemplateOptions& opt,
                               bool llamacpp_variant) {
  std::string_view system_prompt;
  for (const ChatMessage& m : msgs) {
    if (m.role == "system") system_prompt = m.content;
  }
  std::string out = opt.bos_token;
  out += system_prompt;
  bool is_tool = false;
  bool is_output_first = true;
  for (const ChatMessage& m : msgs) {
    if (m.role == "user") {
      is_tool = false;
      append(out, {kDsUser, m.content});
    } else if (m.role == "assistant" && is_tool) {
      append(out, {kDsOutputsEnd, m.content, kDsEnd});
      is_tool = false;
    } else if (m.role == "assistant") {
      append(out, {kDsAssistant, after_last(m.content, kThinkClose), kDsEnd});
    } else if (m.role == "tool") {
      is_tool = true;
      append(out, {is_output_first ? kDsOutputsBegin : "\n", kDsOutputBegin,
                   m.content, kDsOutputEnd});
      is_output_first = false;
    }
  }
  if (is_tool) out += kDsOutputsEnd;
  if (opt.add_generation_prompt && !is_tool) {
    append(out, {kDsAssistant, "<think>\n"});
    if (llamacpp_variant && !opt.enable_thinking) out += kThinkClose;
  }
  return out;
}

std::string render_qwen25(std::span<const ChatMessage> msgs,
                          const ChatTemplateOptions& opt) {
  std::string out;
  std::string_view system = msgs[0].role == "system"
                                ? std::string_view(msgs[0].content)
                                : kQwenDefaultSystem;
  append(out, {kImStart, "system\n", system, kImEnd, "\n"});
  for (size_t i = 0; i < msgs.size(); ++i) {
    const ChatMessage& m = msgs[i];
    if (m.role == "tool") {
      render_qwen_tool(msgs, i, out);
    } else if (m.role != "system" || i > 0) {
      render_im_turn(m, out);
    }
  }
  if (opt.add_generation_prompt) append(out, {kImStart, "assistant\n"});
  return out;
}

std::string render_chatml(std::span<const ChatMessage> msgs,
                          const ChatTemplateOptions& opt) {
  std::string out;
  for (const ChatMessage& m : msgs) render_im_turn(m, out);
  if (opt.add_generation_prompt) append(out, {kImStart, "assistant\n"});
  return out;
}

// Index of the last user message that is a real query (not a wrapped tool
// response); messages.size() - 1 if none.
size_t qwen3_last_query_index(std::span<const ChatMessage> msgs) {
  for (size_t i = msgs.size(); i-- > 0;) {
    const std::string& c = msgs[i].content;
    bool wrapped_tool = c.starts_with("<tool_response>") &&
                        c.ends_with("</tool_response>");
    if (msgs[i].role == "user" && !wrapped_tool) return i;
  }
  return msgs.size() - 1;
}

void render_qwen3_assistant(std::span<const ChatMessage> msgs, size_t i,
                            size_t last_query, std::string& out) {
  const ChatMessage& m = msgs[i];
  std::string_view content = m.content;
  std::string_view reasoning;
  if (!m.reasoning_content.empty()) {
    reasoning = m.reasoning_content;
  } else if (content.find(kThinkClose) != std::string_view::npos) {
    content = lstrip_newlines(after_last(m.content, kThinkClose));
    reasoning = lstrip_newlines(after_last(
        rstrip_newlines(before_first(m.content, kThinkClose)), kThinkOpen));
  }
  bool is_last = i + 1 == msgs.size();
  if (i > last_query && (is_last || !reasoning.empty())) {
    append(out, {kImStart, "assistant\n<think>\n",
                 rstrip_newlines(lstrip_newlines(reasoning)), "\n</think>\n\n",
                 lstrip_newlines(content)});
  } else {
    append(out, {kImStart, "assistant\n", content});
  }
  append(out, {kImEnd, "\n"});
}

std::string render_qwen3(std::span<const ChatMessage> msgs,
                         const ChatTemplateOptions& opt) {
  std::string out;
  if (msgs[0].role == "system") render_im_turn(msgs[0], out);
  size_t last_query = qwen3_last_query_index(msgs);
  for (size_t i = 0; i < msgs.size(); ++i) {
    const ChatMessage& m = msgs[i];
    if (m.role == "user" || (m.role == "system" && i > 0)) {
      render_im_turn(m, out);
    } else if (m.role == "assistant") {
      render_qwen3_assistant(msgs, i, last_query, out);
    } else if (m.role == "tool") {
      render_qwen_tool(msgs, i, out);
    }
  }
  if (opt.add_generation_prompt) {
    append(out, {kImStart, "assistant\n"});
    if (!opt.enable_thinking) out += "<think>\n\n</think>\n\n";
  }
  return out;
}

std::string render_llama3(std::span<const ChatMessage> msgs,
                          const ChatTemplateOptions& opt) {
  std::string out = opt.bos_token;
  for (const ChatMessage& m : msgs) {
    append(out, {"<|start_header_id|>", m.role, "<|end_header_id|>\n\n",
                 python_strip(m.content), "<|eot_id|>"});
  }
  if (opt.add_generation_prompt) {
    out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  }
  return out;
}

}  // namespace

std::string_view python_strip(std::string_view text) {
  size_t begin = 0;
  uint32_t cp = 0;
  while (begin < text.size()) {
    size_t len = decode_utf8(text, begin, &cp);
    if (len == 0 || !is_python_space(cp)) break;
    begin += len;
  }
  size_t end = text.size();
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin &&
           (static_cast<unsigned char>(text[start]) & 0xc0) == 0x80) {
      --start;
    }
    size_t len = decode_utf8(text, start, &cp);
    if (len != end - start || !is_python_space(cp)) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

std::string_view chat_template_name(ChatTemplateKind kind) {
  for (const NameEntry& e : kNames) {
    if (e.kind == kind) return e.name;
  }
  CHECK(false) << "unnamed ChatTemplateKind " << static_cast<int>(kind);
  return {};
}

Result<ChatTemplateKind> chat_template_from_name(std::string_view name) {
  for (const NameEntry& e : kNames) {
    if (e.name == name) return e.kind;
  }
  std::string known;
  for (size_t i = 0; i < 6; ++i) {
    known += (i ? ", " : "") + std::string(kNames[i].name);
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown chat template '" + std::string(name) +
                        "' (known: " + known + ")");
}

ChatTemplateKind detect_chat_template(std::string_view src, bool* recognized) {
  auto has = [src](std::string_view s) {
    return src.find(s) != std::string_view::npos;
  };
  if (recognized != nullptr) *recognized = true;
  if (has(kDsAssistant)) {
    return has("enable_thinking") ? ChatTemplateKind::kDeepSeekR1LlamaCpp
                                  : ChatTemplateKind::kDeepSeekR1;
  }
  if (has(kImStart)) {
    if (has(kThinkOpen) || has("enable_thinking")) {
      return ChatTemplateKind::kQwen3;
    }
    return has("You are Qwen") ? ChatTemplateKind::kQwen25
                               : ChatTemplateKind::kChatml;
  }
  if (has("<|start_header_id|>")) return ChatTemplateKind::kLlama3;
  if (recognized != nullptr) *recognized = false;
  return ChatTemplateKind::kDeepSeekR1;
}

Result<std::string> render_chat(ChatTemplateKind kind,
                                std::span<const ChatMessage> messages,
                                const ChatTemplateOptions& options) {
  R1_RETURN_IF_ERROR(validate(messages));
  switch (kind) {
    case ChatTemplateKind::kDeepSeekR1:
      return render_deepseek_r1(messages, options, false);
    case ChatTemplateKind::kDeepSeekR1LlamaCpp:
      return render_deepseek_r1(messages, options, true);
    case ChatTemplateKind::kQwen25:
      return render_qwen25(messages, options);
    case ChatTemplateKind::kChatml:
      return render_chatml(messages, options);
    case ChatTemplateKind::kQwen3:
      return render_qwen3(messages, options);
    case ChatTemplateKind::kLlama3:
      return render_llama3(messages, options);
  }
  return make_error(ErrorCode::kInvalidArgument, "chat template: bad kind");
}

}  // namespace r1::tokenizer
