// `r1serve bench serve`: see cmd_bench_serve.h.
#include "cmd_bench_serve.h"

#include <cstdio>
#include <string>

#include "app_config.h"
#include "common.h"
#include "core/os/fd_limit.h"
#include "loadgen/load_runner.h"
#include "loadgen/report.h"

namespace r1::app {

CLI::App* add_bench_serve_command(CLI::App& bench, loadgen::LoadConfig& c) {
  using loadgen::kMaxConcurrency;
  CLI::App* cmd = bench.add_subcommand(
      "serve", "load-test a running server over HTTP (TTFT, TPOT, ITL, E2E latency)");
  cmd->add_option("--url", c.url, "server base URL, http://host[:port][/prefix]");
  cmd->add_option("--endpoint", c.endpoint,
                  "chat, completions (streamed SSE) or predict (/api/predict, not streamed)")
      ->check(CLI::IsMember({"chat", "completions", "predict"}));
  cmd->add_option("--model", c.model, "\"model\" of each request (empty: not sent)");
  cmd->add_option("-c,--concurrency", c.concurrency,
                  "max requests in flight (0: 1, or 256 with --rate)")
      ->check(CLI::Range(0, kMaxConcurrency));
  cmd->add_option("--connections", c.connections,
                  "keep-alive connections opened (GET /health each) before the run and held to its "
                  "end; requests go over them round robin (0: opened as needed)")
      ->check(CLI::Range(0, kMaxConcurrency));
  cmd->add_option("--rate", c.rate, "requests/s with Poisson arrivals (0: closed loop)")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("-n,--num-requests", c.num_requests,
                  "requests to send (0: 100, or unlimited with --duration)")
      ->check(CLI::Range(int64_t{0}, loadgen::kMaxNumRequests));
  cmd->add_option("--duration", c.duration_s, "seconds after which no request starts (0: none)")
      ->check(CLI::Range(0.0, loadgen::kMaxDurationS));
  cmd->add_option("--prompt-len", c.prompt_len, "synthetic prompt length in words (~tokens)")
      ->check(CLI::Range(1, loadgen::kMaxPromptLen));
  cmd->add_option("--output-len", c.output_len, "max_tokens of each request")
      ->check(CLI::Range(1, loadgen::kMaxOutputLen));
  cmd->add_option("--api-key", c.api_key, "sent as Authorization: Bearer KEY");
  cmd->add_option("--seed", c.seed, "seed of the prompts and arrival times");
  cmd->add_option("--timeout", c.timeout_s, "seconds per request, connect to last byte")
      ->check(CLI::Range(0.001, loadgen::kMaxTimeoutS));
  cmd->add_flag("--json", c.json, "print one JSON object on stdout");
  return cmd;
}

namespace {

// The resolved settings on one stderr line; the API key is not shown.
void print_plan(const loadgen::LoadPlan& plan) {
  const loadgen::LoadConfig& c = plan.config;
  std::fprintf(stderr,
               "# r1serve bench serve: url=%s endpoint=%s model=\"%s\" concurrency=%d connections=%d rate=%g "
               "num-requests=%lld duration=%g prompt-len=%d output-len=%d api-key=%s seed=%llu "
               "timeout=%g json=%s\n",
               c.url.c_str(), c.endpoint.c_str(), c.model.c_str(), c.concurrency, c.connections, c.rate,
               static_cast<long long>(c.num_requests), c.duration_s, c.prompt_len, c.output_len,
               c.api_key.empty() ? "(none)" : "(set)", static_cast<unsigned long long>(c.seed),
               c.timeout_s, c.json ? "true" : "false");
}

// Descriptors beyond the sockets: stdio, the resolver, the event loop.
constexpr uint64_t kSpareFds = 32;

// Raises the open-file soft limit; an error when it cannot hold one socket
// per request in flight.
Status ensure_fd_limit(int concurrency) {
  const Result<FdLimit> lim = raise_fd_limit();
  const uint64_t soft = lim.ok() ? lim->soft : fd_soft_limit();
  const uint64_t need = static_cast<uint64_t>(concurrency) + kSpareFds;
  if (soft != 0 && soft < need) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::to_string(concurrency) + " connections need " + std::to_string(need) +
                          " open files; the limit is " + std::to_string(soft) +
                          (lim.ok() ? "" : " (" + lim.error().message + ")") + " (ulimit -n)");
  }
  return Status();
}

}  // namespace

int bench_serve_command(const loadgen::LoadConfig& c) {
  Result<loadgen::LoadPlan> plan = loadgen::make_plan(c);
  if (plan.ok()) {
    const int sockets = std::max(plan->config.concurrency, plan->config.connections);
    if (Status fds = ensure_fd_limit(sockets); !fds.ok()) plan = fds.error();
  }
  if (!plan.ok()) {
    report(plan.error());
    return kExitUsage;
  }
  print_plan(*plan);
  Result<loadgen::LoadResult> result = loadgen::run_load(*plan);
  if (!result.ok()) return report(result.error());
  loadgen::Report r = loadgen::build_report(result->records, result->wall_s);
  r.connections = result->connections;
  r.stale_retries = result->stale_retries;
  if (c.json) {
    std::printf("%s\n", loadgen::report_json(r, *plan).c_str());
  } else {
    std::printf("%s", loadgen::report_text(r, *plan).c_str());
  }
  std::fflush(stdout);
  if (r.succeeded == 0) {
    std::fprintf(stderr, "error: no request succeeded\n");
    return kExitError;
  }
  return kExitOk;
}

}  // namespace r1::app
