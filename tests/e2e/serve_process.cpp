#include "serve_process.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "../server/http_client.h"

namespace r1::e2e {
namespace {

std::vector<std::string> serve_argv(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {r1serve_binary(), "serve"};
  const auto given = [&](const char* flag) { return std::find(args.begin(), args.end(), flag) != args.end(); };
  if (!given("--host")) argv.insert(argv.end(), {"--host", "127.0.0.1"});
  if (!given("--port")) argv.insert(argv.end(), {"--port", "0"});
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace

std::string r1serve_binary() { return std::string(R1_BINARY_DIR) + "/r1serve"; }

std::string synth_once(const std::string& name, const std::vector<std::string>& synth_args) {
  const std::string dir = std::string(R1_BINARY_DIR) + "/tests/e2e";
  const std::string out = dir + "/" + name;
  std::error_code ec;
  if (std::filesystem::is_regular_file(out, ec)) return out;
  std::filesystem::create_directories(dir, ec);
  const std::string tmp = out + ".tmp." + std::to_string(getpid());
  std::vector<std::string> argv = {r1serve_binary(), "model", "synth"};
  argv.insert(argv.end(), synth_args.begin(), synth_args.end());
  argv.insert(argv.end(), {"--threads", "2", "-o", tmp});
  if (run_command(argv) == 0) std::filesystem::rename(tmp, out, ec);
  return out;
}

const std::string& tiny_model() {
  static const std::string path =
      synth_once("serve_tiny_qwen2_q8_0.gguf", {"--preset", "tiny-qwen2", "--type", "q8_0"});
  return path;
}

uint16_t listening_port(const std::string& log, const std::string& prefix) {
  const size_t at = log.find(prefix);
  if (at == std::string::npos) return 0;
  const size_t end = log.find('\n', at);
  if (end == std::string::npos) return 0;
  const size_t colon = log.rfind(':', end);
  if (colon == std::string::npos || colon < at + prefix.size() || end == colon + 1 || end - colon > 6) return 0;
  int port = 0;
  for (size_t i = colon + 1; i < end; ++i) {
    if (log[i] < '0' || log[i] > '9') return 0;
    port = port * 10 + (log[i] - '0');
  }
  return port <= 65535 ? static_cast<uint16_t>(port) : 0;
}

ServeProcess::ServeProcess(const std::vector<std::string>& args, const std::vector<std::string>& env)
    : ChildProcess(serve_argv(args), {.env = env, .stop_grace = std::chrono::milliseconds(0)}) {
  wait_for_log([](const std::string& log) { return listening_port(log) != 0; }, std::chrono::seconds(30));
  port_ = listening_port(log());
}

bool ServeProcess::wait_ready(std::chrono::milliseconds timeout) const {
  return test_support::poll_until([&] { return server::test::http_request(port_, "GET", "/ready").status == 200; },
                                  timeout);
}

}  // namespace r1::e2e
