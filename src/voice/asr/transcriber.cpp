#include "voice/asr/transcriber.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

namespace r1::voice {
namespace {

// One segment in progress: the recognizer's open utterance.
class Segmenter {
 public:
  Segmenter(SpeechRecognizer& rec, const TranscribeParams& p, const SegmentSink& sink, Transcript& out)
      : rec_(rec), params_(p), sink_(sink), out_(out) {}

  // origin_ms: the stream time of the first sample fed (the pre-roll's).
  Status open(int64_t origin_ms, std::span<const int16_t> preroll) {
    R1_RETURN_IF_ERROR(rec_.start());
    start_ms_ = std::max<int64_t>(0, origin_ms);
    fed_samples_ = 0;
    open_ = true;
    return feed(preroll);
  }

  Status feed(std::span<const int16_t> samples) {
    fed_samples_ += samples.size();
    return rec_.feed(samples);
  }

  bool too_long() const { return open_ && fed_samples_ >= params_.max_segment_s * kWorkRate; }
  bool is_open() const { return open_; }

  Status close(int64_t end_ms) {
    open_ = false;
    R1_ASSIGN_OR_RETURN(Recognition r, rec_.finish());
    if (r.text.empty()) return {};
    TranscriptSegment seg;
    seg.id = static_cast<int>(out_.segments.size());
    const double origin = start_ms_ / 1000.0;
    seg.start_s = r.words.empty() ? origin : origin + r.words.front().start_s;
    seg.end_s = std::max(seg.start_s, std::min(end_ms / 1000.0, origin + r.words.back().end_s));
    seg.text = r.text;
    seg.confidence = r.confidence;
    for (RecognizedWord& w : r.words) {
      w.start_s += origin;
      w.end_s += origin;
      seg.words.push_back(std::move(w));
    }
    out_.text += (out_.text.empty() ? "" : " ") + seg.text;
    out_.segments.push_back(seg);
    if (sink_) sink_(out_.segments.back());
    return {};
  }

 private:
  SpeechRecognizer& rec_;
  const TranscribeParams& params_;
  const SegmentSink& sink_;
  Transcript& out_;
  int64_t start_ms_ = 0;
  size_t fed_samples_ = 0;
  bool open_ = false;
};

Status segment_with_vad(const Pcm16& audio, const TranscribeParams& params, Segmenter& seg) {
  R1_ASSIGN_OR_RETURN(std::unique_ptr<VoiceActivityDetector> vad, VoiceActivityDetector::create(params.vad));
  std::vector<int16_t> padded = audio.samples;
  padded.resize((padded.size() + kFrameSamples - 1) / kFrameSamples * kFrameSamples, 0);
  for (size_t i = 0; i < padded.size(); i += kFrameSamples) {
    const Frame frame(padded.data() + i, kFrameSamples);
    const VadStep step = vad->feed(frame);
    if (step.event && step.event->type == VadEventType::kSpeechStart) {
      const std::vector<int16_t> pre = vad->take_preroll();
      const int64_t origin = vad->now_ms() - static_cast<int64_t>(pre.size()) * 1000 / kWorkRate;
      R1_RETURN_IF_ERROR(seg.open(origin, pre));
      continue;
    }
    if (seg.is_open()) R1_RETURN_IF_ERROR(seg.feed(frame));
    if (step.event && step.event->type == VadEventType::kSpeechEnd) {
      R1_RETURN_IF_ERROR(seg.close(vad->now_ms()));
    } else if (seg.too_long()) {  // cut here; the next frame opens a new segment
      R1_RETURN_IF_ERROR(seg.close(vad->now_ms()));
      R1_RETURN_IF_ERROR(seg.open(vad->now_ms(), {}));
    }
  }
  if (seg.is_open()) R1_RETURN_IF_ERROR(seg.close(vad->now_ms()));
  return {};
}

}  // namespace

Result<Transcript> transcribe(const Pcm16& audio, SpeechRecognizer& recognizer,
                              const TranscribeParams& params, const SegmentSink& on_segment) {
  if (audio.sample_rate != kWorkRate) {
    return make_error(ErrorCode::kInvalidArgument, "transcribe: audio must be 16 kHz mono");
  }
  R1_ASSIGN_OR_RETURN(const Pcm16 clean, clean_recording(audio, params.front_end));
  Transcript out;
  out.duration_s = audio.seconds();
  Segmenter seg(recognizer, params, on_segment, out);
  if (params.use_vad) {
    R1_RETURN_IF_ERROR(segment_with_vad(clean, params, seg));
  } else {
    R1_RETURN_IF_ERROR(seg.open(0, {}));
    R1_RETURN_IF_ERROR(seg.feed(clean.samples));
    R1_RETURN_IF_ERROR(seg.close(static_cast<int64_t>(std::llround(out.duration_s * 1000))));
  }
  return out;
}

std::string subtitle_time(double seconds, char separator) {
  const int64_t ms = std::max<int64_t>(0, std::llround(seconds * 1000));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld%c%03lld", static_cast<long long>(ms / 3600000),
                static_cast<long long>(ms / 60000 % 60), static_cast<long long>(ms / 1000 % 60), separator,
                static_cast<long long>(ms % 1000));
  return buf;
}

std::string render_srt(const Transcript& t) {
  std::string out;
  for (const TranscriptSegment& s : t.segments) {
    out += std::to_string(s.id + 1) + "\n" + subtitle_time(s.start_s, ',') + " --> " +
           subtitle_time(s.end_s, ',') + "\n" + s.text + "\n\n";
  }
  return out;
}

std::string render_vtt(const Transcript& t) {
  std::string out = "WEBVTT\n\n";
  for (const TranscriptSegment& s : t.segments) {
    out += subtitle_time(s.start_s, '.') + " --> " + subtitle_time(s.end_s, '.') + "\n" + s.text + "\n\n";
  }
  return out;
}

}  // namespace r1::voice
