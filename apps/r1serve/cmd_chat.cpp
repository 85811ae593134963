// `r1serve chat`: interactive multi-turn chat on stdin/stdout. History keeps
// answers without their reasoning (as the templates do); the KV cache
// prefix is reused between turns.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "chat_io.h"

namespace r1::app {

CLI::App* add_chat_command(CLI::App& app, ChatConfig& c) {
  CLI::App* cmd = app.add_subcommand("chat", "interactive chat (/exit, /reset)");
  add_model_options(cmd, c.model);
  add_sampling_options(cmd, c.sampling);
  add_chat_options(cmd, c.chat);
  return cmd;
}

namespace {

struct ChatState {
  const ChatConfig& config;
  const LoadedModel& model;
  const ChatSetup& setup;
  const sampling::SamplingParams& sampling;
  engine::Session& session;
  std::vector<tokenizer::ChatMessage> history;

  void reset() {
    history.clear();
    if (!config.chat.system.empty()) history.push_back({"system", config.chat.system, ""});
  }

  // One user turn; false on an error (reported).
  bool turn(const std::string& user) {
    history.push_back({"user", user, ""});
    std::string text;
    Result<std::vector<int32_t>> prompt = render_prompt(model, setup, history, &text);
    if (!prompt.ok()) {
      history.pop_back();
      report(prompt.error());
      return false;
    }
    const bool opens = tokenizer::prompt_opens_reasoning(text);
    StreamPrinter printer(config.chat.reasoning == "show", opens);
    engine::GenerateRequest req{std::move(*prompt), sampling};
    Result<engine::GenerateStats> stats = session.generate(req, [&](const engine::TokenEvent& e) {
      printer.push(e.text);
      return true;
    });
    printer.finish();
    if (!stats.ok()) {
      history.pop_back();
      report(stats.error());
      return false;
    }
    tokenizer::ReasoningSplit split = tokenizer::split_reasoning(stats->text, opens);
    history.push_back({"assistant", split.content, split.reasoning});
    print_stats(*stats, -1.0);
    return true;
  }
};

}  // namespace

int chat_command(const ChatConfig& c) {
  Result<ChatModel> cm = open_chat_model(c.model, c.sampling, c.chat);
  if (!cm.ok()) return report(cm.error());
  print_config();
  std::fprintf(stderr, "loaded in %.2f s; /exit to quit, /reset to clear the history\n",
               cm->loaded.load_seconds);

  ChatState state{c, cm->loaded, cm->setup, cm->sampling, *cm->session, {}};
  state.reset();
  const bool tty = isatty(fileno(stdin)) != 0;
  std::string line;
  for (;;) {
    if (tty) {
      std::fputs("> ", stdout);
      std::fflush(stdout);
    }
    if (!std::getline(std::cin, line) || line == "/exit") break;
    if (line == "/reset") {
      state.reset();
      cm->session->reset();
      continue;
    }
    if (line.empty()) continue;
    state.turn(line);
  }
  return kExitOk;
}

}  // namespace r1::app
