// Durations in configuration files and flags: "250ms", "30s", "1.5s",
// "5m", "1h" -> whole milliseconds, and back.
//
// Thread contract: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"

namespace r1::config {

using Duration = std::chrono::milliseconds;

// Errors are kInvalidArgument "<key>: ...".
Result<Duration> parse_duration(std::string_view text, std::string_view key = "duration");
// 1500ms -> "1.5s", 300000ms -> "5m".
std::string format_duration(Duration d);

}  // namespace r1::config
