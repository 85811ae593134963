// The command line of the stand-alone benchmark tools (membw,
// llama_bench_peer): parse, then print the options in effect on one
// stderr line ("# <tool>: --opt value ..."), as r1serve's commands do.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

namespace r1::bench {

// std::nullopt when the tool should run; else the exit code (help, or a
// usage error already printed by CLI11).
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv, const char* tool) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::string line = app.config_to_str(true, false);
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::fprintf(stderr, "# %s: %s\n", tool, line.c_str());
  return std::nullopt;
}

}  // namespace r1::bench
