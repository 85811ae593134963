#include "tco/bench_report.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>

namespace r1::tco {
namespace {

using Json = nlohmann::json;
constexpr size_t kMaxReportBytes = 1 << 20;

Error report_error(const std::string& message) {
  return make_error(ErrorCode::kInvalidArgument, "bench report: " + message);
}

const char* json_kind(const Json& j) {
  if (j.is_object()) return "an object";
  if (j.is_array()) return "an array";
  if (j.is_string()) return "a string";
  if (j.is_boolean()) return "a boolean";
  if (j.is_null()) return "null";
  return "a number";
}

Status read_number(const Json& j, const char* key, bool required, double& out) {
  auto it = j.find(key);
  if (it == j.end()) return required ? report_error(std::string(key) + ": missing") : Status();
  if (!it->is_number()) {
    return report_error(std::string(key) + ": expected a number, got " + json_kind(*it));
  }
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < 0) return report_error(std::string(key) + ": must be a finite number >= 0");
  out = v;
  return Status();
}

Status read_count(const Json& j, const char* key, bool required, int64_t& out) {
  auto it = j.find(key);
  if (it == j.end()) return required ? report_error(std::string(key) + ": missing") : Status();
  if (!it->is_number_integer() || it->get<int64_t>() < 0) {
    return report_error(std::string(key) + ": expected a count (integer >= 0), got " + it->dump());
  }
  out = it->get<int64_t>();
  return Status();
}

Status read_fields(const Json& j, BenchThroughput& b) {
  R1_RETURN_IF_ERROR(read_number(j, "output_tokens_per_s", true, b.output_tokens_per_s));
  R1_RETURN_IF_ERROR(read_number(j, "duration_s", true, b.duration_s));
  R1_RETURN_IF_ERROR(read_count(j, "total", true, b.total));
  R1_RETURN_IF_ERROR(read_count(j, "succeeded", true, b.succeeded));
  R1_RETURN_IF_ERROR(read_count(j, "failed", false, b.failed));
  R1_RETURN_IF_ERROR(read_count(j, "rejected", false, b.rejected));
  R1_RETURN_IF_ERROR(read_count(j, "concurrency", false, b.concurrency));
  if (auto it = j.find("url"); it != j.end()) {
    if (!it->is_string()) return report_error(std::string("url: expected a string, got ") + json_kind(*it));
    b.url = it->get<std::string>();
  }
  return Status();
}

}  // namespace

Result<BenchThroughput> parse_bench_report(std::string_view json) {
  if (json.size() > kMaxReportBytes) return report_error("larger than 1 MiB");
  Json j = Json::parse(json.begin(), json.end(), nullptr, false);
  if (j.is_discarded()) {
    return report_error("not valid JSON (write it with `r1serve bench serve --json > report.json`)");
  }
  if (!j.is_object()) return report_error(std::string("expected an object, got ") + json_kind(j));
  BenchThroughput b;
  R1_RETURN_IF_ERROR(read_fields(j, b));
  if (b.succeeded > b.total) return report_error("succeeded: more than total");
  if (b.succeeded == 0) return report_error("succeeded: 0 (the run measured no throughput)");
  if (b.output_tokens_per_s <= 0) return report_error("output_tokens_per_s: 0 (no output tokens measured)");
  return b;
}

std::string describe(const BenchThroughput& b) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), "%.1f output tokens/s over %.1f s: %lld of %lld requests succeeded",
                b.output_tokens_per_s, b.duration_s, static_cast<long long>(b.succeeded),
                static_cast<long long>(b.total));
  std::string out = buf;
  if (b.concurrency > 0) out += ", concurrency " + std::to_string(b.concurrency);
  if (!b.url.empty()) out += ", " + b.url;
  return out;
}

}  // namespace r1::tco
