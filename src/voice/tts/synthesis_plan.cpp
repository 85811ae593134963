#include "voice/tts/synthesis_plan.h"

#include <algorithm>
#include <utility>

#include "voice/tts/ssml.h"

namespace r1::voice {
namespace {

Piece composed(const SsmlSegment& s, const SynthesisParams& p) {
  Piece piece;
  piece.rate = std::clamp(p.rate * s.rate, kMinRate, kMaxRate);
  piece.pitch = std::clamp(p.pitch + s.pitch, kMinPitch, kMaxPitch);
  piece.volume = std::clamp(p.volume * s.volume, kMinVolume, kMaxVolume);
  return piece;
}

}  // namespace

Result<std::vector<Piece>> plan_pieces(std::string_view text, const SynthesisParams& params,
                                       const ClauseOptions* clauses) {
  std::vector<SsmlSegment> segments;
  if (params.ssml) {
    R1_ASSIGN_OR_RETURN(segments, parse_ssml(text));
  } else {
    segments = plain_segments(text);
  }
  std::vector<Piece> out;
  bool first = true;
  for (const SsmlSegment& s : segments) {
    const Piece base = composed(s, params);
    std::vector<Clause> parts;
    if (clauses != nullptr && !s.text.empty()) {
      ClauseOptions o = *clauses;
      if (!first) o.first_words = 0;
      parts = split_clauses(s.text, o);
    } else if (!s.text.empty()) {
      parts.push_back(Clause{s.text, false});
    }
    first = first && parts.empty();
    for (Clause& c : parts) {
      Piece p = base;
      p.text = std::move(c.text);
      p.soft_end = c.soft_end;
      out.push_back(std::move(p));
    }
    if (s.break_ms <= 0) continue;
    if (parts.empty()) out.push_back(base);
    out.back().break_ms = s.break_ms;
  }
  return out;
}

}  // namespace r1::voice
