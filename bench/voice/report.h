// voice_bench's output: percentiles, the JSON record of a run and the human
// (markdown) tables printed from it. Timing figures carry their per-round
// medians beside the overall median.
//
// Thread contract: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "voice/corpus.h"
#include "voice/measure.h"

namespace r1::voice_bench {

// Linear-interpolated percentile (q in 0..1) of values; 0 for none.
double percentile(std::vector<double> values, double q);

// {"n", "p50", "p95", "max", "per_round_p50": [...]} of values, with
// round[i] the round of values[i] (round may be empty: no per-round list).
nlohmann::json summary(const std::vector<double>& values, const std::vector<int>& round, int rounds);

nlohmann::json tts_json(const Corpus& corpus, int rounds);
nlohmann::json sweep_json(const Corpus& corpus, const std::vector<ConditionResult>& results, int rounds);
nlohmann::json streaming_json(const std::vector<StreamResult>& results, int rounds);

// The markdown tables of a whole record (the JSON built above).
std::string markdown_tables(const nlohmann::json& record);

}  // namespace r1::voice_bench
