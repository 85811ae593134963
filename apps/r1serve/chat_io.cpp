#include "chat_io.h"

#include <unistd.h>

#include <cstdio>

#include "core/log.h"
#include "sampling/gguf_defaults.h"

namespace r1::app {

Result<sampling::SamplingParams> sampling_params(const LoadedModel& m, const SamplingOptions& o) {
  sampling::SamplingParams p = sampling::with_overrides(sampling::defaults_from_gguf(*m.file), o.fields);
  p.max_tokens = o.n_predict;
  p.stop = o.stop;
  R1_RETURN_IF_ERROR(sampling::validate(p, m.tokenizer->n_vocab()));
  return p;
}

Result<ChatSetup> chat_setup(const LoadedModel& m, const ChatOptions& o) {
  ChatSetup s;
  if (!o.template_name.empty()) {
    R1_ASSIGN_OR_RETURN(s.kind, tokenizer::chat_template_from_name(o.template_name));
  } else {
    bool recognized = false;
    std::string_view source = m.file->find_string("tokenizer.chat_template").value_or("");
    s.kind = tokenizer::detect_chat_template(source, &recognized);
    if (!recognized) {
      log::warn("chat template not recognized; using {}", tokenizer::chat_template_name(s.kind));
    }
  }
  const tokenizer::Tokenizer& tok = *m.tokenizer;
  if (tok.bos_id() >= 0) s.options.bos_token = tok.token_text(tok.bos_id());
  if (tok.eos_id() >= 0) s.options.eos_token = tok.token_text(tok.eos_id());
  s.options.enable_thinking = !o.no_think;
  return s;
}

Result<std::vector<int32_t>> render_prompt(const LoadedModel& m, const ChatSetup& setup,
                                           std::span<const tokenizer::ChatMessage> messages,
                                           std::string* text) {
  R1_ASSIGN_OR_RETURN(*text, tokenizer::render_chat(setup.kind, messages, setup.options));
  const std::string& bos = setup.options.bos_token;
  const bool has_bos = !bos.empty() && text->rfind(bos, 0) == 0;
  tokenizer::EncodeOptions opts;
  opts.add_bos = m.tokenizer->add_bos_default() && !has_bos;
  opts.parse_special = true;
  return m.tokenizer->encode(*text, opts);
}

StreamPrinter::StreamPrinter(bool show_reasoning, bool starts_in_reasoning)
    : show_reasoning_(show_reasoning),
      tty_(isatty(fileno(stdout)) != 0),
      splitter_(starts_in_reasoning) {}

void StreamPrinter::push(std::string_view piece) { print(splitter_.push(piece)); }

void StreamPrinter::finish() {
  print(splitter_.finish());
  close_block();
  if (any_output_ && !ends_with_newline_) std::fputc('\n', stdout);
  std::fflush(stdout);
}

void StreamPrinter::close_block() {
  if (!in_block_) return;
  if (!ends_with_newline_) std::fputc('\n', stdout);
  std::fputs(tty_ ? "\033[0m\n" : "[/thinking]\n", stdout);
  in_block_ = false;
  ends_with_newline_ = true;
}

void StreamPrinter::print(const tokenizer::ReasoningDelta& d) {
  if (show_reasoning_ && !d.reasoning_delta.empty()) {
    if (!in_block_) std::fputs(tty_ ? "\033[2;90m[thinking]\n" : "[thinking]\n", stdout);
    in_block_ = true;
    std::fwrite(d.reasoning_delta.data(), 1, d.reasoning_delta.size(), stdout);
    any_output_ = true;
    ends_with_newline_ = d.reasoning_delta.back() == '\n';
  }
  if (!d.content_delta.empty()) {
    close_block();
    std::fwrite(d.content_delta.data(), 1, d.content_delta.size(), stdout);
    any_output_ = true;
    ends_with_newline_ = d.content_delta.back() == '\n';
  }
  std::fflush(stdout);
}

void print_stats(const engine::GenerateStats& s, double load_seconds) {
  if (load_seconds >= 0) std::fprintf(stderr, "load: %.2f s | ", load_seconds);
  std::fprintf(stderr,
               "prompt: %lld tokens (%lld cached) in %.2f s, %.1f tok/s | "
               "generation: %lld tokens in %.2f s, %.1f tok/s | stop: %s\n",
               static_cast<long long>(s.n_prompt), static_cast<long long>(s.n_prompt_reused),
               s.prompt_seconds, s.prompt_tokens_per_second(),
               static_cast<long long>(s.n_generated), s.gen_seconds, s.gen_tokens_per_second(),
               engine::stop_reason_name(s.stop_reason));
}

engine::SessionOptions session_options(const ModelOptions& m) {
  engine::SessionOptions so;
  so.n_ctx = m.ctx;
  so.n_threads = m.threads;
  return so;
}

Result<ChatModel> open_chat_model(const ModelOptions& model, const SamplingOptions& sampling,
                                  const ChatOptions& chat) {
  ChatModel cm;
  R1_ASSIGN_OR_RETURN(cm.loaded, load_model(model.path, model.ctx));
  R1_ASSIGN_OR_RETURN(cm.sampling, sampling_params(cm.loaded, sampling));
  R1_ASSIGN_OR_RETURN(cm.setup, chat_setup(cm.loaded, chat));
  R1_ASSIGN_OR_RETURN(cm.session,
                      engine::Session::create(cm.loaded.model, cm.loaded.tokenizer, session_options(model)));
  return cm;
}

}  // namespace r1::app
