// Chat templates: native renderers for the few template families r1serve
// serves, byte-for-byte equal to the Jinja originals (as rendered by HF
// transformers: jinja2 with trim_blocks and lstrip_blocks). No general
// Jinja engine. Golden tests: tests/tokenizer/golden/.
//
// Families:
//  kDeepSeekR1         the published DeepSeek-R1 distill template (Qwen and
//                      Llama distills). Last system message after BOS, no role
//                      tag; reasoning before "</think>" stripped from history;
//                      generation prompt "<｜Assistant｜><think>\n".
//                      enable_thinking is ignored (as in the original).
//  kDeepSeekR1LlamaCpp llama.cpp's amended copy (fixture
//                      DeepSeek-R1-Distill-Qwen-32B): as above, but the
//                      generation prompt gets "</think>" appended when
//                      enable_thinking is false.
//  kQwen25             Qwen2.5-Instruct ChatML, with its default system
//                      prompt ("You are Qwen, created by Alibaba Cloud. ...")
//                      when the conversation has none.
//  kChatml             generic ChatML (HF's default ChatML template), no
//                      default system prompt.
//  kQwen3              Qwen3: reasoning_content / "<think>" handling in
//                      history; enable_thinking=false adds the empty
//                      "<think>\n\n</think>\n\n" block to the generation prompt.
//  kLlama3             the standard Meta-Llama-3-Instruct template (no fixture
//                      ships one; written from the well-known template, see
//                      tests/tokenizer/golden/templates/llama3.jinja): BOS,
//                      "<|start_header_id|>role<|end_header_id|>\n\n" +
//                      trimmed content + "<|eot_id|>".
//
// Messages: roles "system", "user", "assistant" and "tool" (a tool result as
// plain content); anything else is an error. Tool calls and tool
// definitions are not supported (render them into content yourself).
// `reasoning_content` is only read by kQwen3 (the others' templates ignore
// it); an empty string means "not given", so the template falls back to
// splitting "<think>...</think>" out of `content`.
//
// Thread contract: pure functions on value types; safe from any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "core/result.h"

namespace r1::tokenizer {

struct ChatMessage {
  std::string role;
  std::string content;
  std::string reasoning_content;
};

struct ChatTemplateOptions {
  bool add_generation_prompt = true;
  bool enable_thinking = true;
  std::string bos_token;  // kDeepSeekR1*, kLlama3 emit it first
  std::string eos_token;  // unused: the families hard-code their end markers
};

enum class ChatTemplateKind {
  kDeepSeekR1,
  kDeepSeekR1LlamaCpp,
  kQwen25,
  kChatml,
  kQwen3,
  kLlama3,
};

// Canonical name: "deepseek-r1", "deepseek-r1-llamacpp", "qwen2.5",
// "chatml", "qwen3", "llama3".
std::string_view chat_template_name(ChatTemplateKind kind);

// Parses a canonical name or alias ("deepseek-r1-qwen-32b" for the llama.cpp
// variant, "qwen2", "qwen2.5-instruct", "llama-3"); kInvalidArgument if none.
Result<ChatTemplateKind> chat_template_from_name(std::string_view name);

// Guesses the family from a tokenizer.chat_template source by distinctive
// substrings. Unknown or empty source gives kDeepSeekR1 with *recognized set
// to false (the caller should warn); *recognized is true otherwise.
ChatTemplateKind detect_chat_template(std::string_view jinja_source,
                                      bool* recognized = nullptr);

// Renders a conversation. Errors (kInvalidArgument): empty conversation,
// unknown role.
Result<std::string> render_chat(ChatTemplateKind kind,
                                std::span<const ChatMessage> messages,
                                const ChatTemplateOptions& options);

// Python str.strip() (Unicode whitespace) on UTF-8 text, as Jinja's `trim`
// filter applies it. Exposed for tests.
std::string_view python_strip(std::string_view text);

}  // namespace r1::tokenizer
