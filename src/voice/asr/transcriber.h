// A whole recording to text: front end -> VAD segmentation -> one utterance
// per speech segment through a SpeechRecognizer. What POST
// /v1/audio/transcriptions and `r1serve transcribe` run.
//
//   audio (16 kHz) -> FrontEnd (NS/HPF) -> VAD -> [pre-roll + speech frames]
//                  -> recognizer.start/feed/finish per segment
//                  -> segments with absolute word times
//
// A segment longer than max_segment_s is cut there (pocketsphinx's search
// grows with the utterance). Without the VAD (use_vad = false) the whole
// recording is one utterance.
//
// Thread contract: transcribe() is a pure function of its inputs; the
// recognizer passed in is used from the calling thread (another thread may
// cancel() it).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/result.h"
#include "voice/asr/speech_recognizer.h"
#include "voice/audio/pcm.h"
#include "voice/frontend/front_end.h"
#include "voice/frontend/vad.h"

namespace r1::voice {

struct TranscriptSegment {
  int id = 0;
  double start_s = 0;
  double end_s = 0;
  std::string text;
  std::vector<RecognizedWord> words;  // absolute times
  double confidence = 0;
};

struct Transcript {
  std::string text;  // the segments' texts joined by spaces
  std::vector<TranscriptSegment> segments;
  double duration_s = 0;
  std::string language = "en";
};

struct TranscribeParams {
  FrontEndConfig front_end;
  VadConfig vad;
  bool use_vad = true;
  double max_segment_s = 30.0;
};

// Called as each segment is final (stream=true sends it as a delta).
using SegmentSink = std::function<void(const TranscriptSegment&)>;

Result<Transcript> transcribe(const Pcm16& audio, SpeechRecognizer& recognizer,
                              const TranscribeParams& params, const SegmentSink& on_segment = {});

// "00:01:02,345" (srt) / "00:01:02.345" (vtt).
std::string subtitle_time(double seconds, char separator);
std::string render_srt(const Transcript& t);
std::string render_vtt(const Transcript& t);

}  // namespace r1::voice
