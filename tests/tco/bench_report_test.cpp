// parse_bench_report over the JSON that `r1serve bench serve --json`
// prints, written here by the load generator's own report_json.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "loadgen/report.h"
#include "tco/bench_report.h"
#include "tco/model.h"

namespace r1::tco {
namespace {

// A real report: 4 requests (one a 429, one a timeout) over 2 s.
std::string real_report_json() {
  std::vector<loadgen::RequestRecord> records(4);
  records[0] = {.ok = true, .ttft_s = 0.1, .e2e_s = 1.0, .itl_s = {0.05, 0.05}, .output_tokens = 300};
  records[1] = {.ok = true, .ttft_s = 0.2, .e2e_s = 1.5, .itl_s = {0.07}, .output_tokens = 100};
  records[2] = {.ok = false, .error = loadgen::kRejectedKind};
  records[3] = {.ok = false, .error = "timeout"};
  loadgen::Report report = loadgen::build_report(records, 2.0);
  loadgen::LoadConfig config;
  config.url = "http://127.0.0.1:8000";
  config.endpoint = "completions";
  config.concurrency = 4;
  config.num_requests = 4;
  Result<loadgen::LoadPlan> plan = loadgen::make_plan(config);
  EXPECT_TRUE(plan.ok());
  return loadgen::report_json(report, *plan);
}

std::string error_of(const std::string& json) {
  Result<BenchThroughput> r = parse_bench_report(json);
  return r.ok() ? "" : r.error().message;
}

TEST(TcoBenchReport, ReadsTheRealFormat) {
  Result<BenchThroughput> b = parse_bench_report(real_report_json());
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  EXPECT_DOUBLE_EQ(b->output_tokens_per_s, 400 / 2.0);  // successful requests' tokens / wall time
  EXPECT_DOUBLE_EQ(b->duration_s, 2.0);
  EXPECT_EQ(b->total, 4);
  EXPECT_EQ(b->succeeded, 2);
  EXPECT_EQ(b->rejected, 1);
  EXPECT_EQ(b->failed, 1);
  EXPECT_EQ(b->concurrency, 4);
  EXPECT_EQ(b->url, "http://127.0.0.1:8000/v1/completions");
  EXPECT_EQ(describe(*b), "200.0 output tokens/s over 2.0 s: 2 of 4 requests succeeded, concurrency 4, "
                          "http://127.0.0.1:8000/v1/completions");
}

TEST(TcoBenchReport, MeasuredThroughputGivesCostPerMillion) {
  Result<BenchThroughput> b = parse_bench_report(real_report_json());
  ASSERT_TRUE(b.ok());
  TcoInputs in = brief_inputs();
  in.workload = {.tokens_per_s = b->output_tokens_per_s, .utilisation = 0.5, .hours_per_day = 24};
  Result<TcoResult> r = compute(in);
  ASSERT_TRUE(r.ok());
  const double millions = 200 * 0.5 * 86400 * 365 / 12.0 * 36 / 1e6;  // 9,460.8 M tokens in 3 years
  ASSERT_TRUE(r->local_per_million.has_value());
  EXPECT_NEAR(*r->local_per_million, 990000 / millions, 1e-9);
}

TEST(TcoBenchReport, Errors) {
  nlohmann::json j = nlohmann::json::parse(real_report_json());
  auto with = [&](const char* key, nlohmann::json v) {
    nlohmann::json k = j;
    if (v.is_discarded()) k.erase(key);
    else k[key] = v;
    return error_of(k.dump());
  };
  const nlohmann::json erase(nlohmann::json::value_t::discarded);
  EXPECT_EQ(with("output_tokens_per_s", erase), "bench report: output_tokens_per_s: missing");
  EXPECT_EQ(with("output_tokens_per_s", "fast"), "bench report: output_tokens_per_s: expected a number, got a string");
  EXPECT_EQ(with("output_tokens_per_s", -1), "bench report: output_tokens_per_s: must be a finite number >= 0");
  EXPECT_EQ(with("output_tokens_per_s", 0), "bench report: output_tokens_per_s: 0 (no output tokens measured)");
  EXPECT_EQ(with("succeeded", 0), "bench report: succeeded: 0 (the run measured no throughput)");
  EXPECT_EQ(with("succeeded", 9), "bench report: succeeded: more than total");
  EXPECT_EQ(with("total", 1.5), "bench report: total: expected a count (integer >= 0), got 1.5");
  EXPECT_EQ(with("url", 5), "bench report: url: expected a string, got a number");
  EXPECT_EQ(error_of("[1, 2]"), "bench report: expected an object, got an array");
  EXPECT_EQ(error_of("target: x\nthroughput: 2 req/s\n"),
            "bench report: not valid JSON (write it with `r1serve bench serve --json > report.json`)");
  EXPECT_EQ(error_of(""), error_of("{"));
}

}  // namespace
}  // namespace r1::tco
