// voice_bench's measurements over a Corpus:
//   - the condition sweep: noise x NS level; each utterance mixed, cleaned
//     by a fresh front end (10 ms frames, HPF on), then decoded whole by
//     the recognizer; corpus-level WER and the decode RTF (feed + finish
//     time / audio time, one thread);
//   - the streaming pass: each utterance (1 s of silence or noise after
//     it) frame by frame through front end + VAD + recognizer fed live;
//     at each VAD speech end, finish() is timed (end event -> final text),
//     and the VAD's detection delay (real end of speech -> end event) is
//     recorded apart.
// Both alternate their conditions utterance by utterance in rounds (round
// r takes the utterances whose position % rounds == r), so a slow patch
// of the machine falls on every condition alike.
//
// Thread contract: single-threaded.
#pragma once

#include <string>
#include <vector>

#include "voice/asr/speech_recognizer.h"
#include "voice/asr/wer.h"
#include "voice/corpus.h"
#include "voice/frontend/front_end.h"
#include "voice/frontend/vad.h"

namespace r1::voice_bench {

using r1::voice::NsLevel;
using r1::voice::WerCount;

const char* ns_name(NsLevel level);

struct Condition {
  Mix mix;
  NsLevel ns = NsLevel::kOff;
  std::vector<int> utterances;  // indices into Corpus::utterances
  std::string name() const;
};

struct ConditionResult {
  Condition condition;
  WerCount wer;
  std::vector<WerCount> per_voice;  // by Corpus::voices index
  std::vector<double> rtf;          // per utterance
  std::vector<int> rtf_round;       // the round of each rtf entry
};

std::vector<ConditionResult> run_sweep(const Corpus& corpus, const std::vector<Condition>& conditions,
                                       r1::voice::SpeechRecognizer& rec, int rounds);

struct StreamCondition {
  Mix mix;  // tail_s is the silence after the speech (1 s)
  NsLevel ns = NsLevel::kModerate;
  int hangover_ms = 300;
  std::vector<int> utterances;
  std::string name() const;
};

struct StreamResult {
  StreamCondition condition;
  std::vector<double> final_ms;     // end event -> finish() returned, the last segment of each utterance
  std::vector<int> final_round;
  std::vector<double> all_final_ms;  // every segment's finish()
  std::vector<double> detect_ms;    // real end of speech -> end event emitted (stream time)
  std::vector<double> stamp_ms;     // end event's at_ms - real end of speech
  std::vector<double> feed_us;      // per 10 ms frame: front end + VAD + recognizer feed
  int no_end = 0;                   // utterances without an end event before the stream ended
  int split = 0;                    // utterances cut into more than one segment
  WerCount wer;                     // of the segments' texts joined
};

std::vector<StreamResult> run_streaming(const Corpus& corpus, const std::vector<StreamCondition>& conditions,
                                        r1::voice::SpeechRecognizer& rec, int rounds);

}  // namespace r1::voice_bench
