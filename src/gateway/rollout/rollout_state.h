// Rollout state persistence: RolloutState <-> JSON, written atomically
// (temp file in the same directory, fsync, rename) so a crash leaves either
// the old or the new file, never a torn one.
//
// Format (version 1):
//   {"format": 1, "phase": "analyzing", "message": "...", "phase_elapsed_ms": 60000,
//    "spec": {...RolloutSpec fields, durations in ms...},
//    "rolling": {"replica_index": 1, "step": "draining", "step_elapsed_ms": 0,
//                "replaced": 1, "restore_pending": [], "restore_final": "aborted"},
//    "stats": {"stable": {"requests": 10, "errors": 0, "latencies_ms": [...]}, "canary": {...}},
//    "waiting_reported": false}
//
// Thread contract: free functions, no shared state.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"
#include "gateway/rollout/rollout_types.h"

namespace r1::gateway {

std::string rollout_state_to_json(const RolloutState& state);
// kCorrupt for malformed/truncated JSON, a missing or mistyped field, or an
// out-of-range value; messages name `source` (the file).
Result<RolloutState> parse_rollout_state(std::string_view text, const std::string& source);

Status write_rollout_state(const std::string& path, const RolloutState& state);
// kNotFound / kIo naming the file, or parse_rollout_state's errors.
Result<RolloutState> read_rollout_state(const std::string& path);

}  // namespace r1::gateway
