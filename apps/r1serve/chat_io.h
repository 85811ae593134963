// Shared pieces of `run` and `chat`: sampling parameters from the model and
// the options, chat-template rendering to token ids, and the stdout printer
// that shows reasoning apart from the answer.
//
// Thread contract: main()'s thread only.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common.h"
#include "engine/generate.h"
#include "sampling/sampler.h"
#include "tokenizer/chat/chat_template.h"
#include "tokenizer/chat/reasoning.h"

namespace r1::app {

// The model's general.sampling.* defaults (R1's 0.6 / 0.95 when absent)
// with the command-line overrides applied, validated.
Result<sampling::SamplingParams> sampling_params(const LoadedModel& m, const SamplingOptions& o);

struct ChatSetup {
  tokenizer::ChatTemplateKind kind = tokenizer::ChatTemplateKind::kDeepSeekR1;
  tokenizer::ChatTemplateOptions options;
};

// The template named by --template, else detected from the model.
Result<ChatSetup> chat_setup(const LoadedModel& m, const ChatOptions& o);

// Renders the conversation with the generation prompt and tokenizes it
// (special tokens parsed; BOS added when the model wants it and the
// template did not write it). *text receives the rendered prompt.
Result<std::vector<int32_t>> render_prompt(const LoadedModel& m, const ChatSetup& setup,
                                           std::span<const tokenizer::ChatMessage> messages,
                                           std::string* text);

// Prints streamed output to stdout: reasoning under a "[thinking]" header
// (dim on a terminal, closed by "[/thinking]" otherwise) or hidden, then
// the answer.
class StreamPrinter {
 public:
  StreamPrinter(bool show_reasoning, bool starts_in_reasoning);
  void push(std::string_view piece);
  void finish();

 private:
  void print(const tokenizer::ReasoningDelta& d);
  void close_block();

  bool show_reasoning_;
  bool tty_;
  bool in_block_ = false;
  bool any_output_ = false;
  bool ends_with_newline_ = true;
  tokenizer::ReasoningSplitter splitter_;
};

// "load: 0.10 s | prompt: 12 tokens (0 cached) in ... tok/s | generation:
// ..." on stderr; the load part only when load_seconds >= 0.
void print_stats(const engine::GenerateStats& s, double load_seconds);

engine::SessionOptions session_options(const ModelOptions& m);

// What `run` and `chat` start from: the loaded model, its sampling
// parameters (the model's defaults with the options applied), the chat
// template and an engine session; the first error, as each step reports it.
struct ChatModel {
  LoadedModel loaded;
  sampling::SamplingParams sampling;
  ChatSetup setup;
  std::unique_ptr<engine::Session> session;
};
Result<ChatModel> open_chat_model(const ModelOptions& model, const SamplingOptions& sampling,
                                  const ChatOptions& chat);

}  // namespace r1::app
