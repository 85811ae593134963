// Logging: a thin layer over spdlog so modules share one format and level.
//
// Thread contract: safe from any thread (spdlog's default logger is).
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace r1::log {

// "trace", "debug", "info", "warn", "error", "off"; false if unknown.
bool set_level(std::string_view level);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace r1::log
