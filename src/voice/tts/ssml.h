// A parser for the SSML subset the synthesizers take (pure: no I/O, no
// global state). Elements:
//   <speak>                     the root; optional (bare text is accepted)
//   <break time="300ms|1.5s" strength="none|x-weak|weak|medium|strong|x-strong"/>
//                               silence; time wins over strength; default medium
//   <prosody rate=.. pitch=.. volume=..>..</prosody>   nestable, values compose:
//     rate   x-slow|slow|medium|fast|x-fast|default | N% (a multiplier) | N
//     pitch  x-low|low|medium|high|x-high|default | +Nst|-Nst|Nst
//            | +N%|-N% (a relative change) | N% (a ratio); Hz is unsupported
//     volume silent|x-soft|soft|medium|loud|x-loud|default | +NdB|-NdB
//   <s>, <p>                    a sentence / paragraph: a pause after it
//   <!-- comments -->, <?xml ..?> declarations: skipped; <![CDATA[..]]>: text
//   entities &amp; &lt; &gt; &quot; &apos; &#N; &#xH;
// Unknown elements (<emphasis>, <say-as>, <voice>, ...) are accepted when
// well-formed and their text content is kept (it is still spoken). Malformed
// markup (unclosed or mismatched tags, bad attributes, unknown entities, bad
// values, too deep, too long) is a kInvalidArgument Error naming the byte
// offset. Output values are clamped to the ranges below.
//
// Thread contract: parse_ssml is a pure function; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace r1::voice {

inline constexpr int kMaxBreakMs = 10000;
inline constexpr int kSentenceBreakMs = 300;   // after </s>
inline constexpr int kParagraphBreakMs = 600;  // after </p>

// Text spoken with its prosody, then break_ms of silence. Text may be empty
// (a pure break). rate/volume are multipliers, pitch is semitones; all are
// relative to the request's SynthesisParams and clamped:
//   rate 0.25..4, pitch -12..12, volume 0..4, break_ms 0..kMaxBreakMs.
struct SsmlSegment {
  std::string text;  // blanks collapsed (a run with a newline to '\n'), entities decoded
  int break_ms = 0;
  double rate = 1.0;
  double pitch = 0.0;
  double volume = 1.0;
};

struct SsmlLimits {
  size_t max_bytes = 64 * 1024;
  int max_depth = 32;
  size_t max_segments = 1024;
};

Result<std::vector<SsmlSegment>> parse_ssml(std::string_view markup,
                                            const SsmlLimits& limits = {});

// The segments of plain text: one segment, or none for blank text.
std::vector<SsmlSegment> plain_segments(std::string_view text);

}  // namespace r1::voice
