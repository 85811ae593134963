#include "server/server_metrics.h"

#include <unistd.h>

#include <fstream>

namespace r1::server {

ServerMetrics::ServerMetrics(metrics::Registry& r, const std::string& version,
                             const std::string& model)
    : requests(r.counter("r1serve_requests_total", "HTTP requests by endpoint and status code.",
                         {"endpoint", "code"})),
      time_to_first_token(
          r.histogram("r1serve_time_to_first_token_seconds",
                      "Time from receiving a request to its first generated token.",
                      {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60})
              .get()),
      inter_token_latency(r.histogram("r1serve_inter_token_latency_seconds",
                                      "Time between consecutive generated tokens of a request.",
                                      {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1})
                              .get()),
      request_duration(r.histogram("r1serve_request_duration_seconds",
                                   "Time from receiving a generation request to its last event.",
                                   {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300})
                           .get()),
      queue_depth(r.gauge("r1serve_queue_depth", "Requests waiting for admission.").get()),
      running_sequences(r.gauge("r1serve_running_sequences", "Sequences being decoded.").get()),
      kv_cache_usage(r.gauge("r1serve_kv_cache_usage_ratio",
                             "KV cache blocks referenced by live sequences / all blocks, 0..1.")
                         .get()),
      kv_cache_cached_blocks(
          r.gauge("r1serve_kv_cache_cached_blocks",
                  "KV cache blocks held only by the prefix cache (reclaimable).")
              .get()),
      kv_cache_blocks_total(
          r.gauge("r1serve_kv_cache_blocks_total", "KV cache blocks in the pool.").get()),
      prompt_tokens(r.counter("r1serve_prompt_tokens_total", "Prompt tokens processed.").get()),
      generation_tokens(
          r.counter("r1serve_generation_tokens_total", "Tokens generated.").get()),
      prefix_cache_hits(r.counter("r1serve_prefix_cache_hits_total",
                                  "Requests that reused prompt tokens from the prefix cache.")
                            .get()),
      engine_steps(r.counter("r1serve_engine_steps_total",
                             "Engine steps (one batched forward pass each), by kind.", {"kind"})),
      engine_forward_seconds(
          r.counter("r1serve_engine_forward_seconds_total",
                    "Seconds the engine spent in the model's forward pass, by step kind.", {"kind"})),
      engine_busy_seconds(
          r.counter("r1serve_engine_busy_seconds_total",
                    "Seconds of whole engine steps, by kind: the forward pass plus sampling, "
                    "detokenizing, handing events to the HTTP side, admission and planning.",
                    {"kind"})),
      model_load_seconds(
          r.gauge("r1serve_model_load_seconds", "Seconds it took to load the model.").get()),
      resident_memory(r.gauge("r1serve_process_resident_memory_bytes",
                              "Resident set size of the server process.")
                          .get()),
      process(r),
      anonymous_memory(r.gauge("r1serve_process_anonymous_memory_bytes",
                               "Anonymous resident memory of the server process (RssAnon: no "
                               "file-backed pages such as an mmapped model).")
                           .get()),
      cpu_cores(r.gauge("r1serve_cpu_available_cores",
                        "CPU cores the process may use (affinity mask, capped by a cgroup quota).")
                    .get()) {
  r.gauge("r1serve_build_info", "Build and model information (always 1).", {"version", "model"})
      .with({version, model})
      .set(1);
}

void ServerMetrics::update(const BackendStats& stats) {
  queue_depth.set(static_cast<double>(stats.queue_depth));
  running_sequences.set(static_cast<double>(stats.running_sequences));
  kv_cache_usage.set(stats.kv_cache_usage_ratio);
  kv_cache_cached_blocks.set(static_cast<double>(stats.kv_cache_cached_blocks));
  kv_cache_blocks_total.set(static_cast<double>(stats.kv_cache_blocks_total));
  const BackendStats::StepTotals& d = stats.engine_decode;
  const BackendStats::StepTotals& a = stats.engine_all;
  engine_steps.with({"decode"}).advance_to(static_cast<double>(d.steps));
  engine_steps.with({"prefill"}).advance_to(static_cast<double>(a.steps - d.steps));
  engine_forward_seconds.with({"decode"}).advance_to(d.forward_seconds);
  engine_forward_seconds.with({"prefill"}).advance_to(a.forward_seconds - d.forward_seconds);
  engine_busy_seconds.with({"decode"}).advance_to(d.busy_seconds);
  engine_busy_seconds.with({"prefill"}).advance_to(a.busy_seconds - d.busy_seconds);
  model_load_seconds.set(stats.model_load_seconds);
  const ProcessStats p = process.update();
  resident_memory.set(p.resident_bytes);
  anonymous_memory.set(p.anonymous_bytes);
  cpu_cores.set(available_cpu_cores());
}

void ServerMetrics::record_finish(const FinishEvent& finish) {
  prompt_tokens.inc(static_cast<double>(finish.usage.prompt_tokens));
  generation_tokens.inc(static_cast<double>(finish.usage.completion_tokens));
  if (finish.usage.cached_prompt_tokens > 0) prefix_cache_hits.inc();
}

double process_resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  double size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace r1::server
