// SpeechSynthesizer: the text-to-speech interface of the voice library, its
// value types (VoiceInfo, SynthesisParams), the streaming AudioSink, the
// CancelToken, and the checks every backend shares (validate_request).
// Backends: flite/flite_synthesizer.h (linked, English),
// espeak/espeak_synthesizer.h (a child process, many languages),
// fake_synthesizer.h (server tests).
//
// Thread contract: every SpeechSynthesizer in this folder and its subfolders
// may be used from several threads at once (synthesize() and voices() are
// const-safe and reentrant; each call has its own state). The sink is called
// only on the thread that called synthesize(), never after synthesize()
// returns. A CancelToken is shared between threads: cancel() from any
// thread, once; cancelled() is one atomic load. Value types have no shared
// state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "voice/audio/pcm.h"

namespace r1::voice {

struct VoiceInfo {
  std::string name;      // what SynthesisParams::voice takes: "slt", "en-us"
  std::string language;  // BCP-47-ish: "en-US", "cmn-Latn-pinyin"
  std::string gender;    // "female", "male" or "" (unknown)
  int sample_rate = 0;   // Hz of the audio synthesize() gives for this voice
  std::string backend;   // "flite" | "espeak-ng" | "fake"
};

inline constexpr double kMinRate = 0.25, kMaxRate = 4.0;       // like OpenAI `speed`
inline constexpr double kMinPitch = -12.0, kMaxPitch = 12.0;   // semitones
inline constexpr double kMinVolume = 0.0, kMaxVolume = 4.0;    // linear gain
inline constexpr size_t kDefaultMaxTextBytes = 4096;           // OpenAI `input` limit

struct SynthesisParams {
  std::string voice;    // a VoiceInfo::name of this synthesizer; "" = its default
  double rate = 1.0;    // speaking-rate multiplier, kMinRate..kMaxRate
  double pitch = 0.0;   // semitones, kMinPitch..kMaxPitch
  double volume = 1.0;  // linear gain, kMinVolume..kMaxVolume; samples clip at int16
  bool ssml = false;    // text is the SSML subset of ssml.h
  size_t max_text_bytes = kDefaultMaxTextBytes;  // longer text is kInvalidArgument
};

// Receives audio as it is made: mono int16 at sample_rate (the voice's native
// rate; synthesizers never resample). Return false to stop synthesis early:
// synthesize() then returns ok. The span is valid only during the call.
using AudioSink = std::function<bool(std::span<const int16_t> samples, int sample_rate)>;

// Cancellation shared between threads. Copies share one flag. A cancelled
// synthesize() returns kUnavailable "synthesis cancelled" (is_cancelled()).
class CancelToken {
 public:
  void cancel() { source_.request_stop(); }
  bool cancelled() const { return source_.stop_requested(); }
  // For waits that must wake on cancel (std::stop_callback,
  // condition_variable_any::wait with a stop_token).
  std::stop_token token() const { return source_.get_token(); }

 private:
  std::stop_source source_;
};

Error cancelled_error();
bool is_cancelled(const Error& error);

class SpeechSynthesizer {
 public:
  virtual ~SpeechSynthesizer() = default;
  virtual std::vector<VoiceInfo> voices() const = 0;
  // Streams the audio of `text` to `sink` in chunks as it is synthesized.
  // Errors: kInvalidArgument (unknown voice, a parameter out of range, empty
  // or too long text, malformed SSML), kUnavailable (cancelled, or the
  // backend is not installed), kInternal/kIo (the backend failed).
  virtual Status synthesize(std::string_view text, const SynthesisParams& params,
                            const AudioSink& sink, const CancelToken& cancel) = 0;
};

// The checks every backend makes first: ranges, empty/too-long text, and
// that params.voice (after defaulting) is one of `voices`. Returns the
// VoiceInfo to use.
Result<VoiceInfo> validate_request(std::string_view text, const SynthesisParams& params,
                                   const std::vector<VoiceInfo>& voices);

// Synthesizes everything into one buffer (at the voice's native rate).
Result<Pcm16> synthesize_all(SpeechSynthesizer& synth, std::string_view text,
                             const SynthesisParams& params);

// Multiplies samples by gain, rounding and clipping to int16, into out.
void apply_gain(std::span<const int16_t> in, double gain, std::vector<int16_t>& out);

}  // namespace r1::voice
