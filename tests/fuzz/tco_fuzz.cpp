// libFuzzer entry: the two parsers of untrusted input of `r1serve cost`
// (src/tco) over arbitrary bytes: parse_inputs (YAML) and
// parse_bench_report (JSON) must return a value or an error with a
// message, never crash, hang or throw. Inputs that parse are computed and
// rendered; the model's invariants are checked (totals are the sum of the
// years and the last cumulative point; both series span the horizon).
// Seeds: tests/fuzz/corpus/tco/.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tco/bench_report.h"
#include "tco/inputs.h"
#include "tco/model.h"
#include "tco/render.h"

namespace {

using namespace r1::tco;

void check_side(const SideCost& s, const TcoResult& r) {
  CHECK(s.cumulative.size() == static_cast<size_t>(r.inputs.horizon_months) + 1);
  CHECK(s.by_period.size() == r.periods.size());
  double sum = 0;
  for (double v : s.by_period) sum += v;
  const double tolerance = 1e-6 * std::max(1.0, s.total);
  CHECK(std::isfinite(s.total) && s.total >= 0);
  CHECK(std::fabs(sum - s.total) <= tolerance) << sum << " vs " << s.total;
  CHECK(std::fabs(s.cumulative.back() - s.total) <= tolerance);
  CHECK(s.total_before_hidden <= s.total + tolerance);
}

void run_model(const TcoInputs& in) {
  r1::Result<TcoResult> r = compute(in);
  if (!r.ok()) {
    CHECK(!r.error().message.empty());
    return;
  }
  check_side(r->local, *r);
  check_side(r->cloud, *r);
  if (r->break_even_month) CHECK(*r->break_even_month >= 1 && *r->break_even_month <= in.horizon_months);
  const std::string text = render_text(*r, RenderNotes{"fuzz", ""});
  CHECK(text.find("break-even: ") != std::string::npos);
  const std::string svg = render_svg(*r);
  CHECK(svg.find("</svg>") != std::string::npos);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  r1::Result<TcoInputs> in = parse_inputs(text);
  if (in.ok()) {
    run_model(*in);
  } else {
    CHECK(!in.error().message.empty());
  }
  r1::Result<BenchThroughput> b = parse_bench_report(text);
  if (!b.ok()) {
    CHECK(!b.error().message.empty());
    return 0;
  }
  CHECK(b->output_tokens_per_s > 0 && b->succeeded > 0 && b->succeeded <= b->total);
  TcoInputs brief = brief_inputs();
  brief.workload.tokens_per_s = b->output_tokens_per_s;
  run_model(brief);
  CHECK(!describe(*b).empty());
  return 0;
}
