// The plan of one synthesize() call: the request's text (plain or SSML)
// as pieces to speak in order, each with its final rate/pitch/volume (the
// request's composed with the SSML prosody, clamped to the request ranges)
// and the silence after it. Shared by the flite and espeak-ng backends.
//
// Thread contract: pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "voice/tts/speech_synthesizer.h"
#include "voice/tts/text_split.h"

namespace r1::voice {

struct Piece {
  std::string text;       // may be empty: a pure break
  bool soft_end = false;  // a cut inside a phrase (text_split.h)
  double rate = 1.0;      // multiplier, kMinRate..kMaxRate
  double pitch = 0.0;     // semitones, kMinPitch..kMaxPitch
  double volume = 1.0;    // gain, kMinVolume..kMaxVolume
  int break_ms = 0;       // silence after the text
};

// With `clauses`, each segment's text is split into clauses (the first
// clause of the request gets the first_words cut); without, one piece per
// segment. Errors: malformed SSML (kInvalidArgument).
Result<std::vector<Piece>> plan_pieces(std::string_view text, const SynthesisParams& params,
                                       const ClauseOptions* clauses);

}  // namespace r1::voice
