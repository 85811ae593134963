#include "loadgen/report.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace r1::loadgen {

namespace {

using Json = nlohmann::json;

Json summary_ms(const Summary& s) {
  return Json{{"count", s.count}, {"mean", s.mean * 1e3}, {"p50", s.p50 * 1e3},
              {"p90", s.p90 * 1e3}, {"p99", s.p99 * 1e3}, {"min", s.min * 1e3},
              {"max", s.max * 1e3}};
}

std::string line(const char* format, auto... args) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), format, args...);
  return buf;
}

std::string summary_row(const char* name, const Summary& s) {
  if (s.count == 0) return line("%-6s %10s %10s %10s %10s %8d\n", name, "-", "-", "-", "-", 0);
  return line("%-6s %10.2f %10.2f %10.2f %10.2f %8lld\n", name, s.mean * 1e3, s.p50 * 1e3,
              s.p90 * 1e3, s.p99 * 1e3, static_cast<long long>(s.count));
}

std::string target(const LoadPlan& plan) {
  return plan.config.url + std::string(endpoint_path(plan.endpoint));
}

}  // namespace

Report build_report(const std::vector<RequestRecord>& records, double wall_s) {
  Report r;
  r.wall_s = wall_s;
  r.total = static_cast<int64_t>(records.size());
  std::vector<double> ttft, tpot, itl, e2e;
  for (const RequestRecord& rec : records) {
    if (!rec.ok && rec.error == kRejectedKind) {
      ++r.rejected;
      continue;
    }
    if (!rec.ok) {
      ++r.failed;
      ++r.errors[rec.error.empty() ? "unknown" : rec.error];
      continue;
    }
    ++r.succeeded;
    r.output_tokens += rec.output_tokens;
    e2e.push_back(rec.e2e_s);
    itl.insert(itl.end(), rec.itl_s.begin(), rec.itl_s.end());
    if (rec.ttft_s < 0) continue;
    ttft.push_back(rec.ttft_s);
    if (rec.output_tokens > 1) {
      tpot.push_back((rec.e2e_s - rec.ttft_s) / static_cast<double>(rec.output_tokens - 1));
    }
  }
  if (wall_s > 0) {
    r.requests_per_s = static_cast<double>(r.succeeded) / wall_s;
    r.output_tokens_per_s = static_cast<double>(r.output_tokens) / wall_s;
  }
  r.ttft_s = summarize(std::move(ttft));
  r.tpot_s = summarize(std::move(tpot));
  r.itl_s = summarize(std::move(itl));
  r.e2e_s = summarize(std::move(e2e));
  return r;
}

std::string report_json(const Report& report, const LoadPlan& plan) {
  const LoadConfig& c = plan.config;
  Json j;
  j["url"] = target(plan);
  j["endpoint"] = endpoint_name(plan.endpoint);
  j["concurrency"] = c.concurrency;
  j["rate"] = c.rate;
  j["num_requests"] = c.num_requests;
  j["duration_limit_s"] = c.duration_s;
  j["prompt_len"] = c.prompt_len;
  j["output_len"] = c.output_len;
  j["seed"] = c.seed;
  j["duration_s"] = report.wall_s;
  j["total"] = report.total;
  j["succeeded"] = report.succeeded;
  j["rejected"] = report.rejected;
  j["failed"] = report.failed;
  j["connections"] = report.connections;
  j["stale_retries"] = report.stale_retries;
  j["output_tokens"] = report.output_tokens;
  j["requests_per_s"] = report.requests_per_s;
  j["output_tokens_per_s"] = report.output_tokens_per_s;
  j["ttft_ms"] = summary_ms(report.ttft_s);
  j["tpot_ms"] = summary_ms(report.tpot_s);
  j["itl_ms"] = summary_ms(report.itl_s);
  j["e2el_ms"] = summary_ms(report.e2e_s);
  j["errors"] = Json::object();
  for (const auto& [kind, n] : report.errors) j["errors"][kind] = n;
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string report_text(const Report& report, const LoadPlan& plan) {
  const LoadConfig& c = plan.config;
  std::string out = "target: " + target(plan) + "\n";
  out += plan.config.rate > 0
             ? line("load: Poisson %.2f req/s, at most %d in flight\n", c.rate, c.concurrency)
             : line("load: closed loop, %d in flight\n", c.concurrency);
  out += line("requests: %lld total, %lld succeeded, %lld rejected (429), %lld failed in %.2f s\n",
              static_cast<long long>(report.total), static_cast<long long>(report.succeeded),
              static_cast<long long>(report.rejected), static_cast<long long>(report.failed),
              report.wall_s);
  out += line("connections: %lld established, %lld stale keep-alive retries\n",
              static_cast<long long>(report.connections),
              static_cast<long long>(report.stale_retries));
  out += line("throughput: %.2f req/s, %.2f output tokens/s (%lld tokens)\n",
              report.requests_per_s, report.output_tokens_per_s,
              static_cast<long long>(report.output_tokens));
  out += line("%-6s %10s %10s %10s %10s %8s\n", "ms", "mean", "p50", "p90", "p99", "n");
  out += summary_row("TTFT", report.ttft_s);
  out += summary_row("TPOT", report.tpot_s);
  out += summary_row("ITL", report.itl_s);
  out += summary_row("E2EL", report.e2e_s);
  if (!report.errors.empty()) {
    out += "failures:";
    for (const auto& [kind, n] : report.errors) {
      out += " " + kind + "=" + std::to_string(n);
    }
    out += "\n";
  }
  return out;
}

}  // namespace r1::loadgen
