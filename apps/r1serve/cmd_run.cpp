// `r1serve run`: one prompt, streamed answer, timings.
#include <cstdio>

#include "chat_io.h"

namespace r1::app {

CLI::App* add_run_command(CLI::App& app, RunConfig& c) {
  CLI::App* cmd = app.add_subcommand("run", "answer one prompt");
  add_model_options(cmd, c.model);
  cmd->add_option("-p,--prompt", c.prompt, "user prompt")->required();
  add_sampling_options(cmd, c.sampling);
  add_chat_options(cmd, c.chat);
  return cmd;
}

int run_command(const RunConfig& c) {
  Result<ChatModel> cm = open_chat_model(c.model, c.sampling, c.chat);
  if (!cm.ok()) return report(cm.error());
  std::vector<tokenizer::ChatMessage> messages;
  if (!c.chat.system.empty()) messages.push_back({"system", c.chat.system, ""});
  messages.push_back({"user", c.prompt, ""});
  std::string text;
  Result<std::vector<int32_t>> prompt = render_prompt(cm->loaded, cm->setup, messages, &text);
  if (!prompt.ok()) return report(prompt.error());
  print_config();

  StreamPrinter printer(c.chat.reasoning == "show", tokenizer::prompt_opens_reasoning(text));
  engine::GenerateRequest req{std::move(*prompt), cm->sampling};
  Result<engine::GenerateStats> stats =
      cm->session->generate(req, [&](const engine::TokenEvent& e) {
        printer.push(e.text);
        return true;
      });
  printer.finish();
  if (!stats.ok()) return report(stats.error());
  print_stats(*stats, cm->loaded.load_seconds);
  return kExitOk;
}

}  // namespace r1::app
