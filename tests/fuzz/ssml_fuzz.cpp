// libFuzzer entry: the SSML subset parser (src/voice/tts/ssml.h) and the
// synthesis plan over arbitrary bytes must return segments or an error with
// a message, never crash, hang or throw; every segment's values stay in
// their documented ranges and its text has no control bytes. Seeds:
// tests/fuzz/corpus/ssml/.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/check.h"
#include "voice/tts/ssml.h"
#include "voice/tts/synthesis_plan.h"

namespace {

using r1::voice::SsmlSegment;

void check_segment(const SsmlSegment& s) {
  CHECK(std::isfinite(s.rate) && s.rate >= 0.25 && s.rate <= 4.0) << s.rate;
  CHECK(std::isfinite(s.pitch) && s.pitch >= -12.0 && s.pitch <= 12.0) << s.pitch;
  CHECK(std::isfinite(s.volume) && s.volume >= 0.0 && s.volume <= 4.0) << s.volume;
  CHECK(s.break_ms >= 0 && s.break_ms <= r1::voice::kMaxBreakMs) << s.break_ms;
  CHECK(!s.text.empty() || s.break_ms > 0);
  CHECK(s.text.empty() || (s.text.front() != ' ' && s.text.back() != ' '));
  for (char c : s.text) CHECK(static_cast<unsigned char>(c) >= 0x20 || c == '\n');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const r1::Result<std::vector<SsmlSegment>> segments = r1::voice::parse_ssml(text);
  if (!segments.ok()) {
    CHECK(!segments.error().message.empty());
  } else {
    CHECK(segments->size() <= r1::voice::SsmlLimits{}.max_segments);
    for (const SsmlSegment& s : *segments) check_segment(s);
  }
  r1::voice::SynthesisParams params;
  params.ssml = true;
  params.rate = 3.0;
  params.pitch = -10;
  const r1::voice::ClauseOptions clauses;
  const auto plan = r1::voice::plan_pieces(text, params, &clauses);
  CHECK(plan.ok() == segments.ok());
  if (plan.ok()) {
    for (const r1::voice::Piece& p : *plan) {
      CHECK(p.rate >= 0.25 && p.rate <= 4.0 && p.pitch >= -12 && p.pitch <= 12);
      CHECK(p.volume >= 0 && p.volume <= 4 && p.break_ms >= 0);
      CHECK(p.text.size() <= clauses.max_chars);
    }
  }
  return 0;
}
