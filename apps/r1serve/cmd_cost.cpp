// `r1serve cost`: reads the inputs and the bench report, applies the
// command-line overrides, and prints/writes the src/tco renderings.
#include "cmd_cost.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "common.h"
#include "tco/bench_report.h"
#include "tco/inputs.h"
#include "tco/model.h"
#include "tco/render.h"

namespace r1::app {
namespace {

constexpr const char* kBriefSource =
    "built-in defaults, the brief's table (the same as deploy/cost/brief.yaml)";

Result<std::string> read_text(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, std::string("cannot open ") + what + " '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error(ErrorCode::kIo, std::string("cannot read ") + what + " '" + path + "'");
  return text.str();
}

Error with_path(const Error& e, const std::string& path) {
  return make_error(e.code, e.message + " (" + path + ")");
}

Result<tco::TcoInputs> load_inputs(const CostCommandConfig& c) {
  if (c.inputs_path.empty()) return tco::brief_inputs();
  R1_ASSIGN_OR_RETURN(std::string text, read_text(c.inputs_path, "cost inputs"));
  Result<tco::TcoInputs> in = tco::parse_inputs(text);
  if (!in.ok()) return with_path(in.error(), c.inputs_path);
  return in;
}

// Applies --from-bench and the overrides; returns the throughput's source.
Result<std::string> apply_overrides(const CostCommandConfig& c, tco::TcoInputs& in) {
  std::string throughput_source;
  if (!c.from_bench.empty()) {
    R1_ASSIGN_OR_RETURN(std::string text, read_text(c.from_bench, "bench report"));
    Result<tco::BenchThroughput> b = tco::parse_bench_report(text);
    if (!b.ok()) return with_path(b.error(), c.from_bench);
    in.workload.tokens_per_s = b->output_tokens_per_s;
    throughput_source = "measured, " + c.from_bench + ": " + tco::describe(*b);
  }
  if (c.tokens_per_s) {
    in.workload.tokens_per_s = *c.tokens_per_s;
    throughput_source = "--tokens-per-s (given, not measured)";
  }
  if (c.currency) {
    R1_RETURN_IF_ERROR(tco::check_currency(*c.currency, "--currency"));
    in.currency = *c.currency;
  }
  if (!c.horizon.empty()) {
    R1_ASSIGN_OR_RETURN(in.horizon_months, tco::parse_months(c.horizon, "--horizon", tco::kMaxHorizonMonths));
  }
  if (c.utilisation) in.workload.utilisation = *c.utilisation;
  if (c.hours_per_day) in.workload.hours_per_day = *c.hours_per_day;
  return throughput_source;
}

Status write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return make_error(ErrorCode::kIo, "cannot write chart '" + path + "'");
  return Status();
}

}  // namespace

CLI::App* add_cost_command(CLI::App& app, CostCommandConfig& c) {
  CLI::App* cmd = app.add_subcommand("cost", "3-year TCO: cloud vs local, break-even month, cost per million tokens");
  cmd->add_option("inputs", c.inputs_path, "YAML of inputs (none: the brief's table, deploy/cost/brief.yaml)")
      ->check(CLI::ExistingFile);
  CLI::Option* bench = cmd->add_option("--from-bench", c.from_bench,
                                       "`r1serve bench serve --json` report: measured output tokens/s")
                           ->check(CLI::ExistingFile);
  cmd->add_option("--svg", c.svg_path, "write the cumulative-cost chart (SVG) here");
  cmd->add_option("--currency", c.currency, "currency symbol printed before amounts (default: the inputs')");
  cmd->add_option("--horizon", c.horizon, "comparison horizon, e.g. 36m or 5y (default: the inputs')");
  cmd->add_option("--tokens-per-s", c.tokens_per_s, "output tokens/s of the local servers (instead of --from-bench)")
      ->check(CLI::Range(0.0, 1e12))
      ->excludes(bench);
  cmd->add_option("--utilisation", c.utilisation, "share of the serving hours at that rate, 0..1")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--hours-per-day", c.hours_per_day, "serving hours a day (also per-hour cloud billing)")
      ->check(CLI::Range(0.0, 24.0));
  return cmd;
}

int cost_command(const CostCommandConfig& c) {
  Result<tco::TcoInputs> in = load_inputs(c);
  if (!in.ok()) return report(in.error());
  Result<std::string> throughput_source = apply_overrides(c, *in);
  if (!throughput_source.ok()) return report(throughput_source.error());
  Result<tco::TcoResult> result = tco::compute(*in);
  if (!result.ok()) return report(result.error());
  print_config();
  const tco::RenderNotes notes{c.inputs_path.empty() ? kBriefSource : c.inputs_path, *throughput_source};
  std::printf("%s", tco::render_text(*result, notes).c_str());
  if (!c.svg_path.empty()) {
    if (Status s = write_file(c.svg_path, tco::render_svg(*result)); !s.ok()) return report(s.error());
    std::printf("chart: %s\n", c.svg_path.c_str());
  }
  return kExitOk;
}

}  // namespace r1::app
