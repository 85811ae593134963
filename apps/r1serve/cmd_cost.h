// `r1serve cost [INPUTS.yaml] [--from-bench report.json] [--svg chart.svg]`:
// the 3-year (or --horizon) total cost of ownership of serving locally
// against a cloud service (src/tco). Prints the per-year itemized
// comparison, the break-even month and, with a throughput (measured by
// `r1serve bench serve --json`), the cost per million output tokens; writes
// the cumulative-cost chart as SVG. With no INPUTS the brief's table
// (deploy/cost/brief.yaml) is used, and the output says so.
//
// Thread contract: called from main()'s thread only.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace r1::app {

struct CostCommandConfig {
  std::string inputs_path;  // empty: the brief's table (tco::brief_inputs())
  std::string from_bench;   // a `bench serve --json` report: sets workload.tokens_per_s
  std::string svg_path;     // empty: no chart
  std::optional<std::string> currency;
  std::string horizon;  // "5y", "60m"; empty: the inputs'
  std::optional<double> tokens_per_s;
  std::optional<double> utilisation;
  std::optional<double> hours_per_day;
};

CLI::App* add_cost_command(CLI::App& app, CostCommandConfig& c);
int cost_command(const CostCommandConfig& c);

}  // namespace r1::app
